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

RECOVERY_PLYO = dt.timedelta(hours=48)
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


@dataclass(frozen=True)
class History:
    """A session already done before the first free day; it constrains what may follow."""

    day: int
    start: dt.datetime
    type_key: str


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
        self.days = sorted({k[0] for k in self.x})
        self.by_day: dict[int, list[tuple[str, cp_model.IntVar]]] = defaultdict(list)
        for (day, _, t), var in self.x.items():
            self.by_day[day].append((t, var))
        self._one_session_a_day()
        self._rest_between_sessions()
        self._weekly_volumes()
        self._plyometric_recovery()
        self._strength_recovery()
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
        return [v for t, v in self.by_day.get(day, ()) if (
            test is None or test in TYPES[t].kinds
            or (test == "loaded" and TYPES[t].kinds != ("stretching",)))]

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
        return sum(v for d in self._week_days(week) for v in self._day_vars(d, kind)) + \
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
            c = self.by_candidate[key]
            ends[c.day].append((c.end.astimezone(UTC), var))
            starts[c.day][c.start.astimezone(UTC)].append(var)
        for day in self.days:
            nxt, shift = self._later(day, 1)
            for begin, here in sorted(starts.get(nxt, {}).items()):
                late = [v for end, v in ends[day] if begin + shift - end < REST_BETWEEN_SESSIONS]
                if late:
                    self._enforce(self.model.add(sum(late) + sum(here) <= 1), "rest_between",
                                  nxt // 7 + 1)
        for h in self.data.history:
            done = h.start.astimezone(UTC) + dt.timedelta(minutes=self.data.durations[h.type_key])
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

    def _plyometric_recovery(self) -> None:
        """Plyometric starts at least 48 h apart, measured in absolute time (DST-proof)."""
        starts: dict[int, dict[int, list[cp_model.IntVar]]] = defaultdict(lambda: defaultdict(list))
        for (day, minute, t), var in self.x.items():
            if TYPES[t].plyometric:
                starts[day][minute].append(var)
        for day in self.days:
            # Not on consecutive days.
            nxt, _ = self._later(day, 1)
            if nxt in starts:
                pair = self._day_vars(day, "plyometrics") + self._day_vars(nxt, "plyometrics")
                self._enforce(self.model.add(sum(pair) <= 1), "plyo_recovery", nxt // 7 + 1)
            # Two or three days later (a late start before a spring-forward weekend): only starts
            # a full 48 h after this one, in real time.
            for gap in (2, 3):
                after, shift = self._later(day, gap)
                for minute, here in starts.get(day, {}).items():
                    begin = self.start_utc[(day, minute)]
                    early = [v for m2, vs in starts.get(after, {}).items()
                             if self.start_utc[(after, m2)] + shift - begin < RECOVERY_PLYO
                             for v in vs]
                    if early:
                        self._enforce(self.model.add(sum(here) + sum(early) <= 1),
                                      "plyo_recovery", after // 7 + 1)
        for h in self.data.history:
            if not TYPES[h.type_key].plyometric:
                continue
            for (day, minute, t), var in self.x.items():
                if TYPES[t].plyometric and (
                        self.start_utc[(day, minute)] - h.start.astimezone(UTC) < RECOVERY_PLYO):
                    self._enforce(self.model.add(var == 0), "plyo_recovery", day // 7 + 1)

    def _strength_recovery(self) -> None:
        """Strength never on consecutive calendar days (ACSM: 48 h for the same muscles)."""
        for day in self.days:
            nxt, _ = self._later(day, 1)
            if self._day_vars(nxt, "strength"):
                pair = self._day_vars(day, "strength") + self._day_vars(nxt, "strength")
                self._enforce(self.model.add(sum(pair) <= 1), "strength_recovery", nxt // 7 + 1)
        for h in self.data.history:
            if TYPES[h.type_key].strength:
                for var in self._day_vars(h.day + 1, "strength"):
                    self._enforce(self.model.add(var == 0), "strength_recovery",
                                  (h.day + 1) // 7 + 1)

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
