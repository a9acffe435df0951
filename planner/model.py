"""The CP-SAT model: one Boolean per candidate (day, start, session type), hard rules each under a
named enforcement literal (rule, week), and soft goals as penalty terms summed in one objective.

Habit is solved in two stages (see ``planner.generate``): first one cyclic "typical week", then
the whole block with a penalty for each session that deviates from it. With the typical week
fixed, the habit penalty is linear in the placement variables and its relaxation is tight; as a
single model with pattern variables and |week - pattern| terms, one worker did not prove
optimality in 20 s (measured), the pairwise form in the shared notes neither in 30 s."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from planner.availability import UTC, Candidate
from planner.program import Demand
from planner.session_types import TYPES

RECOVERY_PLYO = dt.timedelta(hours=48)            # NSCA: 48-72 h between plyometric sessions
RECOVERY_STRENGTH = dt.timedelta(hours=48)        # ACSM: 48 h between sessions, same muscles
RECOVERY_JUMPS_AFTER_STRENGTH = dt.timedelta(hours=24)   # see _jumps_after_strength
QUAD_WINDOW_DAYS = 3                              # one unloaded day in any three (judgement call)
# Judgement call: "one session a day" means a night's rest between sessions, not a change of
# calendar date: a session starts at least 8 h after the one before ends, in real time (so
# windows 23:00-24:00 and 00:00-01:00 never give two sessions ten minutes apart).
REST_BETWEEN_SESSIONS = dt.timedelta(hours=8)
STRETCH_DAYS_TARGET = 3        # ACSM: flexibility work 2-3 days a week at least

# Penalty weights, largest first: a missing session costs more than moving several others, a move
# more than any comfort goal. Later weeks of a replan use ``W_CHANGE_LATER`` so that a make-up
# never shifts the weeks after it.
W_SHORTFALL = 10_000
W_CHANGE_LATER = 20_000
W_CHANGE = 1_000
W_COMBINED = 300
W_STRETCH_DAYS = 50
W_STRETCH_ONLY = 20
W_HABIT = 10
W_BACK_TO_BACK = 4
W_LATE_START = 1               # per grid step after the window opens: a tie-breaker

Key = tuple[int, int, str]     # (day, minute, session type)


def _sum(terms: Sequence[cp_model.LinearExprT]) -> cp_model.LinearExprT:
    """``sum(terms)`` as one flat expression (the same model; builtin sum nests one per term)."""
    return cp_model.LinearExpr.sum(terms)


@dataclass(frozen=True)
class History:
    """A session already done before the first free day; it constrains what may follow."""

    day: int
    start: dt.datetime
    type_key: str
    end: dt.datetime | None = None            # for the 24 h after strength; None: the start


@dataclass(frozen=True)
class ModelInput:
    start: dt.date                            # the plan's first day (day 0)
    candidates: Sequence[Candidate]
    durations: Mapping[str, int]              # minutes of each session type
    demands: Sequence[Demand]                 # one per calendar week, in order
    first_free_day: int = 0                   # replan: days before are history
    history: Sequence[History] = ()
    relaxed_weeks: frozenset[int] = frozenset()   # weekly minimums soft (a partly past week)
    reference: frozenset[Key] = frozenset()       # replan: the current plan's future sessions
    change_weights: Mapping[int, int] = field(default_factory=dict)  # week -> cost of a change
    tie_breaker: frozenset[Key] = frozenset()     # sessions to keep only among equal plans
    cyclic: bool = False                      # one typical week that repeats: day 6 -> day 0
    spread: bool = False                      # penalise loaded sessions on days running


@dataclass(frozen=True)
class Rule:
    name: str
    week: int


class PlanModel:
    """Builds the model. ``explain=True`` puts every hard rule under an assumption literal and
    leaves the objective out (CP-SAT cores need a pure feasibility problem)."""

    def __init__(self, data: ModelInput, explain: bool = False) -> None:
        self.data = data
        self.explain = explain
        self.model = cp_model.CpModel()
        self.rules: dict[Rule, cp_model.IntVar] = {}
        self.x: dict[Key, cp_model.IntVar] = {}
        for c in data.candidates:
            if c.day >= data.first_free_day:
                name = f"x_w{c.week}_d{c.day}_{c.minute // 60:02d}{c.minute % 60:02d}_{c.type_key}"
                self.x[(c.day, c.minute, c.type_key)] = self.model.new_bool_var(name)
        self.by_candidate = {(c.day, c.minute, c.type_key): c for c in data.candidates}
        self.start_utc = {(c.day, c.minute): c.start.astimezone(UTC) for c in data.candidates}
        self.end_utc = {(c.day, c.minute, c.type_key): c.end.astimezone(UTC)
                        for c in data.candidates}
        self.days = sorted({k[0] for k in self.x})
        self.by_day: dict[int, list[tuple[str, cp_model.IntVar]]] = defaultdict(list)
        self._day_cache: dict[tuple[int, str | None], list[cp_model.IntVar]] = {}
        for (day, _, t), var in self.x.items():
            self.by_day[day].append((t, var))
        self._one_session_a_day()
        self._rest_between_sessions()
        self._weekly_volumes()
        self._plyometric_recovery()
        self._strength_recovery()
        self._jumps_after_strength()
        self._quad_rest_days()
        if not explain:
            # Lexicographic: the tie-break terms sum to at most ``scale - 1``, so scaling every
            # other term by ``scale`` lets them decide only among plans otherwise equal.
            ties = self._tie_terms()
            scale = len(self.data.tie_breaker) + len(self.days) + 1 if ties else 1
            terms: list[cp_model.LinearExprT] = [scale * w * t for w, t in self._penalties()]
            self.model.minimize(sum([*terms, *ties]))
            if data.reference:
                for key, var in self.x.items():
                    self.model.add_hint(var, key in data.reference)

    # -- helpers -------------------------------------------------------------------------------
    def _enforce(self, constraint: cp_model.Constraint, rule: str, week: int) -> None:
        if self.explain:
            key = Rule(rule, week)
            if key not in self.rules:
                self.rules[key] = self.model.new_bool_var(f"rule_{rule}_w{week}")
            constraint.only_enforce_if(self.rules[key])

    def _day_vars(self, day: int, test: str | None = None) -> list[cp_model.IntVar]:
        """Variables of one day; ``test`` keeps only types holding that kind, or "loaded" for
        every type but stretch-only."""
        key = (day, test)
        if key not in self._day_cache:
            self._day_cache[key] = [v for t, v in self.by_day.get(day, ()) if (
                test is None or test in TYPES[t].kinds
                or (test == "loaded" and TYPES[t].kinds != ("stretching",)))]
        return self._day_cache[key]

    def _later(self, day: int, n: int) -> tuple[int, dt.timedelta]:
        """The day ``n`` days after ``day`` and the shift to add to its times (cyclic wrap)."""
        if self.data.cyclic and day + n > 6:
            return (day + n) % 7, dt.timedelta(days=7)
        return day + n, dt.timedelta(0)

    def _week_days(self, week: int) -> range:
        return range(7 * (week - 1), 7 * week)

    def _history_count(self, week: int, kind: str | None) -> int:
        return sum(1 for h in self.data.history if h.day // 7 + 1 == week
                   and (kind is None or kind in TYPES[h.type_key].kinds))

    def _count(self, week: int, kind: str | None) -> cp_model.LinearExprT:
        return _sum([v for d in self._week_days(week) for v in self._day_vars(d, kind)]) + \
            self._history_count(week, kind)

    # -- hard rules ----------------------------------------------------------------------------
    def _one_session_a_day(self) -> None:
        for day in self.days:
            self.model.add_at_most_one(self._day_vars(day))

    def _rest_between_sessions(self) -> None:
        """A session on the next day starts ``REST_BETWEEN_SESSIONS`` after this day's ends.
        For each start time of the next day, that start and every session of this day ending
        too late for it form a clique: at most one of them."""
        ends: dict[int, list[tuple[dt.datetime, cp_model.IntVar]]] = defaultdict(list)
        starts: dict[int, dict[dt.datetime, list[cp_model.IntVar]]] = defaultdict(
            lambda: defaultdict(list))
        for key, var in self.x.items():
            day, minute, _ = key
            ends[day].append((self.end_utc[key], var))
            starts[day][self.start_utc[(day, minute)]].append(var)
        for day in self.days:
            nxt, shift = self._later(day, 1)
            for begin, here in sorted(starts.get(nxt, {}).items()):
                limit = begin + shift - REST_BETWEEN_SESSIONS   # an end after this is too late
                late = [v for end, v in ends[day] if end > limit]
                if late:
                    self._enforce(self.model.add(_sum([*late, *here]) <= 1), "rest_between",
                                  nxt // 7 + 1)
        for h in self.data.history:
            done = (h.end.astimezone(UTC) if h.end is not None else h.start.astimezone(UTC)
                    + dt.timedelta(minutes=self.data.durations[h.type_key]))
            for day in (h.day + 1, h.day + 2):
                for begin, here in starts.get(day, {}).items():
                    if begin - done < REST_BETWEEN_SESSIONS:
                        for var in here:
                            self._enforce(self.model.add(var == 0), "rest_between", day // 7 + 1)

    def _weekly_volumes(self) -> None:
        for d in self.data.demands:
            relaxed = d.week in self.data.relaxed_weeks
            for kind, (low, high, _), rule in (("plyometrics", d.plyo, "plyo_volume"),
                                               ("strength", d.strength, "strength_volume")):
                count = self._count(d.week, kind)
                self.model.add(count <= high)
                if not relaxed:
                    self._enforce(self.model.add(count >= low), rule, d.week)
            if not relaxed:
                self._enforce(self.model.add(self._count(d.week, None) >= 1),
                              "stretching_weekly", d.week)

    def _spacing(self, first: str, then: str, gap: dt.timedelta, rule: str,
                 from_end: bool = False, days: tuple[int, ...] = (1, 2, 3)) -> None:
        """A session holding ``then`` never starts within ``gap`` after the start (or, with
        ``from_end``, the end) of one holding ``first``, measured in real time (UTC), so a
        daylight-saving night neither shortens nor lengthens it; also against history."""
        def holds(t: str, kind: str) -> bool:
            return kind in TYPES[t].kinds

        # (day, reference time in UTC) -> variables of sessions holding ``first`` there
        marks: dict[int, dict[dt.datetime, list[cp_model.IntVar]]] = defaultdict(
            lambda: defaultdict(list))
        follows: dict[int, list[tuple[dt.datetime, cp_model.IntVar]]] = defaultdict(list)
        firsts = {t for t in TYPES if holds(t, first)}
        thens = {t for t in TYPES if holds(t, then)}
        for key, var in self.x.items():
            day, minute, t = key
            if t in firsts:
                ref = self.end_utc[key] if from_end else self.start_utc[(day, minute)]
                marks[day][ref].append(var)
            if t in thens:
                follows[day].append((self.start_utc[(day, minute)], var))
        for day, by_ref in marks.items():
            for n in days:
                after, shift = self._later(day, n)
                later = follows.get(after, [])
                if not later:
                    continue
                for ref, here in by_ref.items():
                    limit = ref + gap - shift        # a start before this is too early
                    early = [v for begin, v in later if begin < limit]
                    if early:
                        self._enforce(self.model.add(_sum([*here, *early]) <= 1), rule,
                                      after // 7 + 1)
        for h in self.data.history:
            if not holds(h.type_key, first):
                continue
            ref = (h.end if from_end and h.end is not None else h.start).astimezone(UTC)
            for day, later in follows.items():
                for begin, var in later:
                    if begin - ref < gap:
                        self._enforce(self.model.add(var == 0), rule, day // 7 + 1)

    def _plyometric_recovery(self) -> None:
        """Plyometric starts at least 48 h apart [NSCA: 48-72 h]."""
        self._spacing("plyometrics", "plyometrics", RECOVERY_PLYO, "plyo_recovery")

    def _strength_recovery(self) -> None:
        """Strength starts at least 48 h apart [ACSM: 48 h between sessions for the same
        muscles], in real time: Monday evening and Wednesday morning are not 48 h."""
        self._spacing("strength", "strength", RECOVERY_STRENGTH, "strength_recovery")

    def _jumps_after_strength(self) -> None:
        """No jump session on the day after a strength session, and none within 24 h of its end
        in real time (a short spring-forward night can bring the day after next that close):
        landing asks the quads for the eccentric work they have just been tired by. Jumps before
        strength in one session is the intended order and stays allowed. Judgement call: the
        calendar day (rather than exactly 24 h) keeps the rule readable and lets the candidate
        pruning (``planner.pruning``) stay small."""
        rule = "strength_before_jumps"
        for day in self.days:
            nxt, _ = self._later(day, 1)
            after = self._day_vars(nxt, "plyometrics")
            lifts = self._day_vars(day, "strength")
            if after and lifts:
                self._enforce(self.model.add(_sum([*lifts, *after]) <= 1), rule, nxt // 7 + 1)
        for h in self.data.history:
            if TYPES[h.type_key].strength:
                for var in self._day_vars(h.day + 1, "plyometrics"):
                    self._enforce(self.model.add(var == 0), rule, (h.day + 1) // 7 + 1)
        self._spacing("strength", "plyometrics", RECOVERY_JUMPS_AFTER_STRENGTH, rule,
                      from_end=True, days=(2,))

    def _quad_rest_days(self) -> None:
        """In any three days running, at least one without loaded quad work (jumps or
        strength). Judgement call: no source gives a number; it keeps five free days from
        becoming five loaded days running while allowing two loaded days back to back."""
        if not self.days:
            return
        last = self.days[-1]
        loaded_history: dict[int, int] = defaultdict(int)
        for h in self.data.history:
            if TYPES[h.type_key].kinds != ("stretching",):
                loaded_history[h.day] += 1
        span = range(7) if self.data.cyclic else range(
            max(0, self.data.first_free_day - 2), last - 1)
        for day in span:
            window = [self._later(day, n)[0] for n in range(QUAD_WINDOW_DAYS)]
            terms = [v for d in window for v in self._day_vars(d, "loaded")]
            known = sum(loaded_history.get(d, 0) for d in window)
            if not terms:
                continue
            week = 1 if self.data.cyclic else window[-1] // 7 + 1
            self._enforce(self.model.add(_sum(terms) + known <= QUAD_WINDOW_DAYS - 1),
                          "quad_rest_day", week)

    # -- soft goals ----------------------------------------------------------------------------
    def _penalties(self) -> list[tuple[int, cp_model.LinearExprT]]:
        return (self._shortfall_terms() + self._session_type_terms() + self._stretch_day_terms()
                + self._back_to_back_terms() + self._late_start_terms() + self._change_terms())

    def _gap(self, name: str, expr: cp_model.LinearExprT, bound: int) -> cp_model.IntVar:
        """A variable at least max(0, expr) (minimised, so equal to it)."""
        var = self.model.new_int_var(0, bound, name)
        self.model.add(var >= expr)
        return var

    def _shortfall_terms(self) -> list[tuple[int, cp_model.LinearExprT]]:
        """Each session below the week's target, and each above it, costs the most."""
        terms: list[tuple[int, cp_model.LinearExprT]] = []
        for d in self.data.demands:
            for kind, (_, _, target) in (("plyometrics", d.plyo), ("strength", d.strength)):
                count = self._count(d.week, kind)
                terms.append((W_SHORTFALL, self._gap(f"short_{kind}_w{d.week}", target - count, 7)))
                terms.append((W_SHORTFALL, self._gap(f"over_{kind}_w{d.week}", count - target, 7)))
        return terms

    def _session_type_terms(self) -> list[tuple[int, cp_model.LinearExprT]]:
        """Jumps and strength share a session only when the week has too few days; a stretch-only
        session is added only to reach the weekly stretching days."""
        weights = {"combined": W_COMBINED, "stretch": W_STRETCH_ONLY}
        return [(weights[t], v) for (_, _, t), v in self.x.items() if t in weights]

    def _stretch_day_terms(self) -> list[tuple[int, cp_model.LinearExprT]]:
        return [(W_STRETCH_DAYS, self._gap(f"stretch_days_w{d.week}",
                                           STRETCH_DAYS_TARGET - self._count(d.week, None), 7))
                for d in self.data.demands]

    def _back_to_back_terms(self) -> list[tuple[int, cp_model.LinearExprT]]:
        """Spread the week: a loaded session (not stretch-only) on two days running costs a little.
        Used for the typical week only: over a whole block these terms made one worker miss
        optimality (26 weeks: not proven in 20 s; without them 0.13 s), and the block follows
        the typical week's shape anyway."""
        terms: list[tuple[int, cp_model.LinearExprT]] = []
        if not self.data.spread:
            return terms
        for day in self.days:
            today = self._day_vars(day, "loaded")
            tomorrow = self._day_vars(self._later(day, 1)[0], "loaded")
            if today and tomorrow:
                both = self._gap(f"b2b_d{day}", sum(today) + sum(tomorrow) - 1, 1)
                terms.append((W_BACK_TO_BACK, both))
        return terms

    def _late_start_terms(self) -> list[tuple[int, cp_model.LinearExprT]]:
        """Among equal plans, start when the window opens."""
        return [(W_LATE_START * self.by_candidate[k].offset, v) for k, v in self.x.items()
                if self.by_candidate[k].offset]

    def _change_terms(self) -> list[tuple[int, cp_model.LinearExprT]]:
        """Every reference session not kept, and every session not in the reference, costs its
        week's weight: the typical week when generating, the current plan when replanning."""
        ref = self.data.reference
        if not ref:
            return []

        def weight(day: int) -> int:
            return self.data.change_weights.get(day // 7 + 1, W_CHANGE)

        terms: list[tuple[int, cp_model.LinearExprT]] = [
            (weight(key[0]), 1 - self.x[key] if key in self.x else 1)
            for key in sorted(ref) if key[0] >= self.data.first_free_day]
        terms += [(weight(key[0]), var) for key, var in self.x.items() if key not in ref]
        return terms

    def _tie_terms(self) -> list[cp_model.LinearExpr]:
        """One per tie-breaker session not kept and per session outside the tie-breaker."""
        ties = self.data.tie_breaker
        if not ties:
            return []
        return ([1 - self.x[k] for k in sorted(ties) if k in self.x]
                + [var for k, var in self.x.items() if k not in ties])

    def chosen(self, solver: cp_model.CpSolver) -> list[Candidate]:
        """The candidates the solver picked, in time order."""
        return sorted((self.by_candidate[k] for k, v in self.x.items() if solver.value(v)),
                      key=lambda c: (c.day, c.minute))

    def chosen_indices(self, solver: cp_model.CpSolver) -> tuple[int, ...]:
        """The model's indices of the placement variables the solver set."""
        return tuple(v.index for v in self.x.values() if solver.value(v))

    def chosen_at(self, indices: tuple[int, ...]) -> list[Candidate] | None:
        """``chosen`` for the placement variables at ``indices`` (see ``chosen_indices``); None
        when one is not a placement variable of this model."""
        by_index = {v.index: k for k, v in self.x.items()}
        if not set(indices) <= by_index.keys():
            return None
        return sorted((self.by_candidate[by_index[i]] for i in indices),
                      key=lambda c: (c.day, c.minute))
