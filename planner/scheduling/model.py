"""The CP-SAT model: one Boolean per candidate (day, start, session type), hard rules each under a
named enforcement literal (rule, week), and soft goals as penalty terms summed in one objective.

Habit is solved in two stages (see ``planner.workflows.generate``): first one cyclic "typical
week", then
the whole block with a penalty for each session that deviates from it. With the typical week
fixed, the habit penalty is linear in the placement variables and its relaxation is tight; as a
single model with pattern variables and |week - pattern| terms, one worker did not prove
optimality in 20 s (measured), the pairwise form in the shared notes neither in 30 s."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from planner.scheduling.availability import UTC, Candidate
from planner.training.program import Demand
from planner.training.session_types import TYPES

RECOVERY_PLYO = dt.timedelta(hours=48)            # NSCA: 48-72 h between plyometric sessions
RECOVERY_STRENGTH = dt.timedelta(hours=48)        # ACSM: 48 h between sessions, same muscles
RECOVERY_JUMPS_AFTER_STRENGTH = dt.timedelta(hours=24)   # see _jumps_after_strength
RECOVERY_STRENGTH_AFTER_JUMPS = dt.timedelta(hours=24)   # see _strength_after_jumps
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
# A penalty term: a variable's index, ``~index`` (CP-SAT's negated literal, -index - 1) for
# "1 - that Boolean", or None for a constant 1 (a reference session that no variable can keep).
Term = int | None

INT_MIN, INT_MAX = cp_model.INT_MIN, cp_model.INT_MAX
_WEEK, _NO_SHIFT = dt.timedelta(days=7), dt.timedelta(0)
_LOADED = frozenset(t for t, s in TYPES.items() if s.kinds != ("stretching",))
# Session types holding each kind, and "loaded" for every type but stretch-only.
_HOLDING: dict[str, frozenset[str]] = {
    "loaded": _LOADED,
    **{k: frozenset(t for t, s in TYPES.items() if k in s.kinds)
       for k in {k for s in TYPES.values() for k in s.kinds}}}

# The tests of ``_day_vars`` each session type passes: None (every type) and its ``_HOLDING``.
_TESTS: dict[str, tuple[str | None, ...]] = {
    t: (None, *(test for test, types in _HOLDING.items() if t in types)) for t in TYPES}


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
    # The athlete's choice (profile key ``strength_day_after_jumps``): no strength_after_jumps rule.
    strength_day_after_jumps: bool = False


@dataclass(frozen=True)
class Rule:
    name: str
    week: int


class PlanModel:
    """Builds the model. ``explain=True`` puts every hard rule under an assumption literal and
    leaves the objective out (CP-SAT cores need a pure feasibility problem).

    The rules are worked out on variable indices and written into the proto through its public
    schema (``proto.constraints.add()``), in the very form CP-SAT's operator API gives
    (``model.add(sum(xs) <= 1)``: a linear constraint over the variables in index order,
    coefficients merged, the constant moved into the bounds): building through that API cost a
    sixth of a plan (issue 18), and the model CP-SAT sees must stay the same, since among
    equally good plans the one it returns depends on the model's exact shape
    (``tests/test_model_proto.py`` holds the recorded models)."""

    def __init__(self, data: ModelInput, explain: bool = False) -> None:
        self.data = data
        self.explain = explain
        self.model = cp_model.CpModel()
        self.proto = self.model.proto
        # explain mode: each rule's assumption literal (its variable's index), by rule and week
        self.rules: dict[Rule, int] = {}
        self.index: dict[Key, int] = {}                # key -> its variable's index
        self.by_candidate: dict[Key, Candidate] = {}
        # The variables of each day, in index order: all (None) and those of each ``_HOLDING``
        # test, filled as the variables are made (see ``_day_vars``).
        self._kinds: dict[str | None, dict[int, list[int]]] = {
            test: defaultdict(list) for test in (None, *_HOLDING)}
        # Each placement variable's start and end in UTC, by its index.
        self._starts: list[dt.datetime] = []
        self._ends: list[dt.datetime] = []
        # Each placement variable is a Boolean written into the proto; its IntVar is made only
        # when asked for (``x``).
        variables = self._variables = self.proto.variables
        times: dict[tuple[int, int], tuple[str, dt.datetime]] = {}   # the types share a start
        kinds, first_free = self._kinds, data.first_free_day
        index, by_candidate, starts, ends = self.index, self.by_candidate, self._starts, self._ends
        made = 0
        # per session type, the day lists of the tests it passes (looked up once, not per variable)
        sinks = {t: [kinds[test] for test in tests] for t, tests in _TESTS.items()}
        for c in data.candidates:
            day, minute, type_key = c.day, c.minute, c.type_key
            if day < first_free:
                continue
            at = (day, minute)
            shared = times.get(at)
            if shared is None:
                shared = times[at] = (f"x_w{c.week}_d{day}_{minute // 60:02d}{minute % 60:02d}_",
                                      c.start.astimezone(UTC))
            placed = variables.add()
            placed.name = shared[0] + type_key
            placed.domain.extend((0, 1))
            key = (day, minute, type_key)
            index[key] = made          # the placement variables are the model's first ones
            by_candidate[key] = c
            starts.append(shared[1])
            ends.append(c.end.astimezone(UTC))
            for by_day in sinks[type_key]:
                by_day[day].append(made)
            made += 1
        self.days = sorted(kinds[None])
        self._follows: dict[str, dict[int, tuple[list[dt.datetime], list[int]]]] = {}
        self._constraints = self.proto.constraints
        self._count_cache: dict[tuple[int, str | None], tuple[list[int], int]] = {}
        self._one_session_a_day()
        self._rest_between_sessions()
        self._weekly_volumes()
        self._plyometric_recovery()
        self._strength_recovery()
        self._jumps_after_strength()
        self._strength_after_jumps()
        self._quad_rest_days()
        if not explain:
            # Lexicographic: the tie-break terms sum to at most ``scale - 1``, so scaling every
            # other term by ``scale`` lets them decide only among plans otherwise equal.
            ties = self._tie_terms()
            scale = len(self.data.tie_breaker) + len(self.days) + 1 if ties else 1
            self._minimize(self._penalties(), scale, ties)
            if data.reference:
                # ``add_hint`` for each placement variable, in one go
                hint = self.proto.solution_hint
                hint.vars.extend(self.index.values())
                hint.values.extend([int(key in data.reference) for key in self.index])

    # -- writing the proto ---------------------------------------------------------------------
    def _rule(self, rule: str, week: int) -> int:
        """The index of the assumption literal of ``rule`` in ``week`` (made when first met)."""
        key = Rule(rule, week)
        if key not in self.rules:
            self.rules[key] = self._new_var(f"rule_{rule}_w{week}", 1)
        return self.rules[key]

    def _new_var(self, name: str, bound: int) -> int:
        """``model.new_int_var(0, bound, name)``, written into the proto: its index. (Every
        variable is written so: OR-Tools 9.14's CpModel keeps a list of the variables its own
        methods made, which a variable written into the proto would put out of step.)"""
        index = len(self._variables)
        var = self._variables.add()
        var.name = name
        var.domain.extend((0, bound))
        return index

    def assume(self, rules: Iterable[Rule]) -> None:
        """Explain mode: solve under the assumption that exactly these ``rules`` hold (those
        without a literal in this model are left out). ``model.add_assumptions``, by index."""
        self.model.clear_assumptions()
        self.proto.assumptions.extend([self.rules[r] for r in rules if r in self.rules])

    def _add_sum(self, indices: list[int], low: int, high: int, rule: str | None = None,
                 week: int = 0) -> None:
        """``model.add(low <= sum(variables) <= high)`` over distinct variables (INT_MIN or
        INT_MAX for no bound), enforced in explain mode by the literal of (``rule``, ``week``)."""
        literal = self._rule(rule, week) if rule is not None and self.explain else None
        self._add_linear(sorted(indices), low, high, literal)

    def _add_linear(self, variables: list[int], low: int, high: int, literal: int | None = None,
                    coeff: int = 1, last: int | None = None) -> None:
        """``low <= sum(coeff * variable) <= high``, the last coefficient ``last`` if given;
        the variables in index order, under ``literal`` if given."""
        constraint = self._constraints.add()
        if literal is not None:
            constraint.enforcement_literal.append(literal)
        linear = constraint.linear
        linear.vars.extend(variables)
        linear.coeffs.extend([coeff] * len(variables) if last is None else
                             [coeff] * (len(variables) - 1) + [last])
        linear.domain.extend((low, high))

    def _at_most_one(self, indices: list[int]) -> None:
        """``model.add_at_most_one``: the literals in the order given."""
        self._constraints.add().at_most_one.literals.extend(indices)

    def _minimize(self, terms: Iterable[tuple[int, Term]], scale: int = 1,
                  ties: Iterable[Term] = ()) -> None:
        """``model.minimize(sum(scale * weight * term) + sum(ties))``: variables in index order,
        coefficients merged, zeros left out, constants in the offset."""
        # one coefficient per variable, by index: read in index order without a sort
        coeffs = [0] * len(self.proto.variables)
        offset = 0
        for weights in ((scale * w, t) for w, t in terms), ((1, t) for t in ties):
            for weight, term in weights:
                if term is None:
                    offset += weight
                elif term >= 0:
                    coeffs[term] += weight
                else:
                    offset += weight
                    coeffs[~term] -= weight
        objective = self.proto.objective
        indices = [i for i, c in enumerate(coeffs) if c]
        objective.vars.extend(indices)
        objective.coeffs.extend([coeffs[i] for i in indices])
        objective.offset = offset
        objective.scaling_factor = 1.0

    # -- helpers -------------------------------------------------------------------------------
    def _day_vars(self, day: int, test: str | None = None) -> list[int]:
        """Variables of one day, in index order; ``test`` keeps only types holding that kind, or
        "loaded" for every type but stretch-only."""
        return self._kinds[test].get(day) or []

    def _following(self, then: str) -> dict[int, tuple[list[dt.datetime], list[int]]]:
        """Each day's variables of sessions holding ``then``, ordered by start (UTC): the starts
        and the variables. Made once a model: the spacing rules share them."""
        if then not in self._follows:
            starts = self._starts
            self._follows[then] = {day: (
                [starts[i] for i in order], order) for day, order in (
                    (day, sorted(ids, key=starts.__getitem__))
                    for day, ids in self._kinds[then].items())}
        return self._follows[then]

    def _later(self, day: int, n: int) -> tuple[int, dt.timedelta]:
        """The day ``n`` days after ``day`` and the shift to add to its times (cyclic wrap)."""
        if self.data.cyclic and day + n > 6:
            return (day + n) % 7, _WEEK
        return day + n, _NO_SHIFT

    def _week_days(self, week: int) -> range:
        return range(7 * (week - 1), 7 * week)

    def _history_count(self, week: int, kind: str | None) -> int:
        if not self.data.history:      # a first plan: no sum to make
            return 0
        return sum(1 for h in self.data.history if h.day // 7 + 1 == week
                   and (kind is None or kind in TYPES[h.type_key].kinds))

    def _count(self, week: int, kind: str | None) -> tuple[list[int], int]:
        """The week's sessions holding ``kind`` (all with None): the variables, and how many
        are history."""
        key = (week, kind)
        if key not in self._count_cache:
            by_day = self._kinds[kind]
            self._count_cache[key] = ([v for d in self._week_days(week)
                                       for v in by_day.get(d, ())],
                                      self._history_count(week, kind))
        return self._count_cache[key]

    # -- hard rules ----------------------------------------------------------------------------
    def _one_session_a_day(self) -> None:
        for day in self.days:
            self._at_most_one(self._day_vars(day))

    def _rest_between_sessions(self) -> None:
        """A session on the next day starts ``REST_BETWEEN_SESSIONS`` after this day's ends.
        For each start time of the next day, that start and every session of this day ending
        too late for it form a clique: at most one of them."""
        starts, ends, by_day = self._starts, self._ends, self._kinds[None]

        def at(day: int) -> dict[dt.datetime, list[int]]:
            """The day's start times, each with its variables, in index order of first use."""
            by_start: dict[dt.datetime, list[int]] = {}
            for i in by_day.get(day, ()):
                by_start.setdefault(starts[i], []).append(i)
            return by_start

        for day in self.days:
            nxt, shift = self._later(day, 1)
            if nxt not in by_day:
                continue
            # Usually every session of the day ends 8 h before the next day's earliest start:
            # no clique at all, seen without sorting (the same rules: none would be written).
            if (max(map(ends.__getitem__, by_day[day])) <= min(map(starts.__getitem__,
                                                                   by_day[nxt]))
                    + shift - REST_BETWEEN_SESSIONS):
                continue
            ending = sorted(by_day[day], key=ends.__getitem__)   # a late end: a tail
            times = [ends[i] for i in ending]
            for begin, here in sorted(at(nxt).items()):
                limit = begin + shift - REST_BETWEEN_SESSIONS   # an end after this is too late
                late = ending[bisect_right(times, limit):]
                if late:
                    self._add_sum([*late, *here], INT_MIN, 1, "rest_between", nxt // 7 + 1)
        for h in self.data.history:
            done = (h.end.astimezone(UTC) if h.end is not None else h.start.astimezone(UTC)
                    + dt.timedelta(minutes=self.data.durations[h.type_key]))
            for day in (h.day + 1, h.day + 2):
                for begin, here in at(day).items():
                    if begin - done < REST_BETWEEN_SESSIONS:
                        for i in here:
                            self._add_sum([i], 0, 0, "rest_between", day // 7 + 1)

    def _weekly_volumes(self) -> None:
        for d in self.data.demands:
            relaxed = d.week in self.data.relaxed_weeks
            for kind, (low, high, _), rule in (("plyometrics", d.plyo, "plyo_volume"),
                                               ("strength", d.strength, "strength_volume")):
                sessions, known = self._count(d.week, kind)
                self._add_sum(sessions, INT_MIN, high - known)
                if not relaxed:
                    self._add_sum(sessions, low - known, INT_MAX, rule, d.week)
            if not relaxed:
                sessions, known = self._count(d.week, None)
                self._add_sum(sessions, 1 - known, INT_MAX, "stretching_weekly", d.week)

    def _spacing(self, first: str, then: str, gap: dt.timedelta, rule: str,
                 from_end: bool = False, days: tuple[int, ...] = (1, 2, 3)) -> None:
        """A session holding ``then`` never starts within ``gap`` after the start (or, with
        ``from_end``, the end) of one holding ``first``, measured in real time (UTC), so a
        daylight-saving night neither shortens nor lengthens it; also against history."""
        follows = self._following(then)     # each day's, by start: the too early are a head
        refs = self._ends if from_end else self._starts
        for day, ids in self._kinds[first].items():
            by_ref: dict[dt.datetime, list[int]] = {}   # reference time -> its variables
            for i in ids:
                by_ref.setdefault(refs[i], []).append(i)
            for n in days:
                after, shift = self._later(day, n)
                if after not in follows:
                    continue
                begins, later = follows[after]
                ahead = gap - shift
                for ref, here in by_ref.items():
                    early = bisect_left(begins, ref + ahead)   # a start before this: too early
                    if early:
                        self._add_sum([*here, *later[:early]], INT_MIN, 1, rule, after // 7 + 1)
        starts = self._starts
        for h in self.data.history:
            if h.type_key not in _HOLDING[first]:
                continue
            ref = (h.end if from_end and h.end is not None else h.start).astimezone(UTC)
            for day, ids in self._kinds[then].items():
                for i in ids:
                    if starts[i] - ref < gap:
                        self._add_sum([i], 0, 0, rule, day // 7 + 1)

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
        pruning (``planner.scheduling.pruning``) stay small."""
        self._day_after("strength", "plyometrics", RECOVERY_JUMPS_AFTER_STRENGTH,
                        "strength_before_jumps")

    def _strength_after_jumps(self) -> None:
        """The same rule the other way (issue 23 §6: plans had strength 14 h after jumps, 8-13
        times in 8 weeks): no strength session on the day after a jump session, and none within
        24 h of its end in real time, so the landings' eccentric quad work has a day to settle.
        Strength after jumps in one session stays allowed. Judgement call: none of the
        program's sources gives a number for it or allows less; the calendar day rather than
        exactly 24 h for the same reasons as above (24 h from the end made pruning keep 54,533
        of a free year's candidates instead of under 2,500, measured). With both rules, days
        of jumps-only and strength-only sessions are never next to each other: an athlete with
        two days running gets one session holding both. Off when the athlete chose
        ``strength_day_after_jumps`` (a profile key, for weeks that cannot hold it otherwise)."""
        if self.data.strength_day_after_jumps:
            return
        self._day_after("plyometrics", "strength", RECOVERY_STRENGTH_AFTER_JUMPS,
                        "strength_after_jumps")

    def _day_after(self, first: str, then: str, gap: dt.timedelta, rule: str) -> None:
        """No session holding ``then`` on the day after one holding ``first`` (nor after
        history), and none within ``gap`` of its end two days later in real time."""
        earlier, later = self._kinds[first], self._kinds[then]
        for day in self.days:
            nxt, _ = self._later(day, 1)
            if day in earlier and nxt in later:
                self._add_sum([*earlier[day], *later[nxt]], INT_MIN, 1, rule, nxt // 7 + 1)
        for h in self.data.history:
            if h.type_key in _HOLDING[first]:
                for i in self._day_vars(h.day + 1, then):
                    self._add_sum([i], 0, 0, rule, (h.day + 1) // 7 + 1)
        self._spacing(first, then, gap, rule, from_end=True, days=(2,))

    def _quad_rest_days(self) -> None:
        """In any three days running, at least one without loaded quad work (jumps or
        strength). Judgement call: no source gives a number; it keeps five free days from
        becoming five loaded days running while allowing two loaded days back to back."""
        if not self.days:
            return
        last = self.days[-1]
        loaded_history: dict[int, int] = defaultdict(int)
        for h in self.data.history:
            if h.type_key in _LOADED:
                loaded_history[h.day] += 1
        span = range(7) if self.data.cyclic else range(
            max(0, self.data.first_free_day - 2), last - 1)
        loaded = self._kinds["loaded"]          # day -> its loaded sessions' variables
        cyclic = self.data.cyclic
        for day in span:
            window = ([self._later(day, n)[0] for n in range(QUAD_WINDOW_DAYS)] if cyclic
                      else range(day, day + QUAD_WINDOW_DAYS))    # no wrap: plainly the next days
            terms = [i for d in window for i in loaded.get(d, ())]
            if not terms:
                continue
            known = sum(loaded_history.get(d, 0) for d in window) if loaded_history else 0
            week = 1 if cyclic else window[-1] // 7 + 1
            self._add_sum(terms, INT_MIN, QUAD_WINDOW_DAYS - 1 - known, "quad_rest_day", week)

    # -- soft goals ----------------------------------------------------------------------------
    def _penalties(self) -> list[tuple[int, Term]]:
        return (self._shortfall_terms() + self._session_type_terms() + self._stretch_day_terms()
                + self._back_to_back_terms() + self._late_start_terms() + self._change_terms())

    def _gap(self, name: str, sign: int, sessions: list[int], constant: int, bound: int) -> int:
        """A variable at least max(0, sign * sum(sessions) + constant) (minimised, so equal to
        it): ``model.add(var >= expr)``, written as var - sign * sum(sessions) >= constant."""
        var = self._new_var(name, bound)
        # the newest variable has the last index
        self._add_linear([*sorted(sessions), var], constant, INT_MAX, coeff=-sign, last=1)
        return var

    def _shortfall_terms(self) -> list[tuple[int, Term]]:
        """Each session below the week's target, and each above it, costs the most."""
        terms: list[tuple[int, Term]] = []
        for d in self.data.demands:
            for kind, (_, _, target) in (("plyometrics", d.plyo), ("strength", d.strength)):
                sessions, known = self._count(d.week, kind)     # count = sum(sessions) + known
                terms.append((W_SHORTFALL, self._gap(f"short_{kind}_w{d.week}", -1, sessions,
                                                     target - known, 7)))
                terms.append((W_SHORTFALL, self._gap(f"over_{kind}_w{d.week}", 1, sessions,
                                                     known - target, 7)))
        return terms

    def _session_type_terms(self) -> list[tuple[int, Term]]:
        """Jumps and strength share a session only when the week has too few days; a stretch-only
        session is added only to reach the weekly stretching days."""
        weights = {"combined": W_COMBINED, "stretch": W_STRETCH_ONLY}
        return [(weights[t], i) for (_, _, t), i in self.index.items() if t in weights]

    def _stretch_day_terms(self) -> list[tuple[int, Term]]:
        terms: list[tuple[int, Term]] = []
        for d in self.data.demands:
            sessions, known = self._count(d.week, None)
            terms.append((W_STRETCH_DAYS, self._gap(f"stretch_days_w{d.week}", -1, sessions,
                                                    STRETCH_DAYS_TARGET - known, 7)))
        return terms

    def _back_to_back_terms(self) -> list[tuple[int, Term]]:
        """Spread the week: a loaded session (not stretch-only) on two days running costs a little.
        Used for the typical week only: over a whole block these terms made one worker miss
        optimality (26 weeks: not proven in 20 s; without them 0.13 s), and the block follows
        the typical week's shape anyway."""
        terms: list[tuple[int, Term]] = []
        if not self.data.spread:
            return terms
        for day in self.days:
            today = self._day_vars(day, "loaded")
            tomorrow = self._day_vars(self._later(day, 1)[0], "loaded")
            if today and tomorrow:
                both = self._gap(f"b2b_d{day}", 1, [*today, *tomorrow], -1, 1)
                terms.append((W_BACK_TO_BACK, both))
        return terms

    def _late_start_terms(self) -> list[tuple[int, Term]]:
        """Among equal plans, start when the window opens."""
        return [(W_LATE_START * c.offset, i)
                for i, c in enumerate(self.by_candidate.values()) if c.offset]

    def _change_terms(self) -> list[tuple[int, Term]]:
        """Every reference session not kept, and every session not in the reference, costs its
        week's weight: the typical week when generating, the current plan when replanning."""
        ref = self.data.reference
        if not ref:
            return []

        def weight(day: int) -> int:
            return self.data.change_weights.get(day // 7 + 1, W_CHANGE)

        terms: list[tuple[int, Term]] = [
            (weight(key[0]), ~self.index[key] if key in self.index else None)
            for key in sorted(ref) if key[0] >= self.data.first_free_day]
        terms += [(weight(key[0]), i) for key, i in self.index.items() if key not in ref]
        return terms

    def _tie_terms(self) -> list[int]:
        """One per tie-breaker session not kept and per session outside the tie-breaker."""
        ties = self.data.tie_breaker
        if not ties:
            return []
        return ([~self.index[k] for k in sorted(ties) if k in self.index]
                + [i for k, i in self.index.items() if k not in ties])

    def chosen(self, solver: cp_model.CpSolver) -> list[Candidate]:
        """The candidates the solver picked, in time order."""
        return sorted((self.by_candidate[k] for k in self._picked(solver)),
                      key=lambda c: (c.day, c.minute))

    def chosen_indices(self, solver: cp_model.CpSolver) -> tuple[int, ...]:
        """The model's indices of the placement variables the solver set."""
        return tuple(self.index[k] for k in self._picked(solver))

    def _picked(self, solver: cp_model.CpSolver) -> list[Key]:
        """The keys of the placement variables set to 1, in variable order. The solution is
        read once, not through ``solver.value`` for each variable (a call into OR-Tools each)."""
        values = solver.response_proto.solution
        return [k for k, i in self.index.items() if values[i]]

    def chosen_at(self, indices: tuple[int, ...]) -> list[Candidate] | None:
        """``chosen`` for the placement variables at ``indices`` (see ``chosen_indices``); None
        when one is not a placement variable of this model."""
        by_index = {i: k for k, i in self.index.items()}
        if not set(indices) <= by_index.keys():
            return None
        return sorted((self.by_candidate[by_index[i]] for i in indices),
                      key=lambda c: (c.day, c.minute))
