"""Leave out candidate starts that no optimal plan needs, before the model is built.

A window free all day holds ~46 starts per session type on the 30-minute grid; over 52 weeks
that is ~68,000 Booleans and, through the 48-hour jump rule, millions of pairwise terms (15 s
and 410 MB to prove optimal, measured). Almost all of those starts are dominated.

The argument (an exchange argument over the model in ``planner.scheduling.model``). Group the
candidates by
(day, window, session type). Within a group, the only things that depend on the start are

- the late-start penalty, which grows with the start;
- the change penalty, which depends on whether the key is in the reference;
- the 48-hour rules between plyometric sessions, and between strength sessions, two or three
  days apart (and after history), constraints "start(later) - start(earlier) >= 48 h";
- the 24-hour rule from a strength session's end to a jump start two days later (binding only
  around midnight or a spring-forward night; the day after is refused outright),
  "start(jumps) - end(strength) >= 24 h". Moving a strength session earlier moves its end
  earlier too, so it only gives the jumps after it more room.
- the 24-hour rule from a jump session's end to a strength start two days later (and after
  history; the day after is refused outright), "start(strength) - end(jumps) >= 24 h": the
  same argument, kinds swapped.
- the rest between sessions on consecutive days (and after history), "start(later) -
  end(earlier) >= 8 h": moving a session earlier only gives the next day's session more rest,
  and the earliest start 8 h after each session the day before is kept.

Take an optimal plan and move each session that is not a reference key to the earliest start of
its group that keeps these gaps after the sessions before it (as they stand now). A move only
makes a session earlier, so its own predecessors still fit (checked) and its successors get more
room; every other rule counts sessions per day or week and does not see the start. The
late-start penalty does not grow and the change penalty does not grow (the session was already
off the reference, or lands on it). Repeat until nothing moves (finite: moves only go earlier).
In the result every session is either its group's first candidate, a reference key, or the
earliest candidate that keeps one of those gaps after some session (or history) before it
(the binding gap is one of them), which by
induction over the days is itself of one of these three sorts. So keeping just those candidates
— a closure computed day by day below — keeps an optimal plan of the same cost, and
every rule subset's feasibility (the same argument with fewer constraints), so conflicts are
explained the same way. A profile with ``strength_day_after_jumps`` (the strength_after_jumps
rule left out by the athlete's choice) is such a subset: the starts kept for that rule's bound
cost a few Booleans, never a plan.

Only plans over consecutive days are pruned: the cyclic typical week
(``planner.workflows.generate``) is
7 days, small, and kept whole.

Any new term or rule that depends on the start time must be added here; ``tests/test_pruning.py``
checks on random profiles that the pruned and the whole model reach the same optimum.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence

from planner.scheduling.availability import GRID_MINUTES, GRID_SECONDS, UTC, Candidate, Slots
from planner.scheduling.model import (
    RECOVERY_JUMPS_AFTER_STRENGTH,
    RECOVERY_PLYO,
    RECOVERY_STRENGTH,
    RECOVERY_STRENGTH_AFTER_JUMPS,
    REST_BETWEEN_SESSIONS,
    History,
    Key,
)
from planner.training.session_types import TYPES

_GAPS = (2, 3)   # the 48-hour rules' pairs (consecutive days are always under 48 h)
# (plyometric, strength) of each session type, looked up once (asked for every candidate kept).
_KINDS = {key: (kinds.plyometric, kinds.strength) for key, kinds in TYPES.items()}


def prune(groups: Sequence[Slots], reference: frozenset[Key] = frozenset(),
          history: Sequence[History] = ()) -> list[Candidate]:
    """The candidates of ``groups`` that an optimal plan may need (see the module's docstring),
    in the order ``planner.scheduling.availability.candidates`` lists them. ``reference`` and
    ``history``
    are those of the (not cyclic) ``ModelInput`` the candidates are for.

    Moments are POSIX seconds (floats, exact for whole seconds): the same instants as aware
    datetimes in UTC, compared and shifted without making a datetime for each
    (``tests/test_pruning.py`` checks the result against the plain closure)."""
    kept: dict[tuple[int, int], Candidate] = {}   # (group index, step) -> candidate
    jumps: dict[int, list[float]] = defaultdict(list)   # day -> kept plyometric starts
    jump_ends: dict[int, list[float]] = defaultdict(list)   # day -> their ends
    ends: dict[int, set[float]] = defaultdict(set)      # day -> kept sessions' ends
    lifts: dict[int, list[float]] = defaultdict(list)   # day -> kept strength starts
    lift_ends: dict[int, list[float]] = defaultdict(list)   # day -> their ends

    def keep(index: int, found: Candidate | None) -> None:
        if found is None:
            return
        key = (index, found.offset)
        if key in kept:
            return
        kept[key] = found
        group = groups[index]
        opens = group.frame.opens_at
        if opens is None:
            start, end = found.start.timestamp(), found.end.timestamp()
        else:     # no clock change that day: the same instants, by arithmetic
            start = opens + found.offset * GRID_SECONDS
            end = start + group.length * 60
        ends[found.day].add(end)
        plyometric, strength = _KINDS[found.type_key]
        if plyometric:
            jumps[found.day].append(start)
            jump_ends[found.day].append(end)
        if strength:
            lifts[found.day].append(start)
            lift_ends[found.day].append(end)

    wanted: dict[int, dict[str, list[int]]] = defaultdict(dict)   # reference starts by day
    for day, minute, type_key in reference:
        wanted[day].setdefault(type_key, []).append(minute)
    by_day: dict[int, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        by_day[group.day].append(index)
        keep(index, group.first_from(0))
        starts = wanted.get(group.day)
        for minute in starts.get(group.type_key, ()) if starts else ():
            step, late = divmod(minute - group.window.start, GRID_MINUTES)
            if not late and 0 <= step < group.steps and (index, step) not in kept:
                keep(index, group.at(step))

    def stamp(t: dt.datetime, after: dt.timedelta) -> float:
        return (t.astimezone(UTC) + after).timestamp()

    plyo_history = {stamp(h.start, RECOVERY_PLYO) for h in history
                    if TYPES[h.type_key].plyometric}
    lift_history = {stamp(h.start, RECOVERY_STRENGTH) for h in history
                    if TYPES[h.type_key].strength}
    lift_end_history = {stamp(h.end or h.start, RECOVERY_JUMPS_AFTER_STRENGTH) for h in history
                        if TYPES[h.type_key].strength}
    jump_end_history = {stamp(h.end or h.start, RECOVERY_STRENGTH_AFTER_JUMPS) for h in history
                        if TYPES[h.type_key].plyometric}
    # A session done ends at its end, else its start plus its type's minutes (as the model has it).
    minutes = {g.type_key: g.length for g in groups} if history else {}
    rested_history = {stamp(h.end, REST_BETWEEN_SESSIONS) if h.end is not None
                      else stamp(h.start, dt.timedelta(minutes=minutes[h.type_key])
                                 + REST_BETWEEN_SESSIONS)
                      for h in history if h.end is not None or h.type_key in minutes}
    rest, plyo, strength, jumps_after, lifts_after = (gap.total_seconds() for gap in (
        REST_BETWEEN_SESSIONS, RECOVERY_PLYO, RECOVERY_STRENGTH, RECOVERY_JUMPS_AFTER_STRENGTH,
        RECOVERY_STRENGTH_AFTER_JUMPS))
    for day in sorted(by_day):   # predecessors lie on earlier days: one pass in day order
        # The day's bounds as plain lists: most days have none inside any window, and the
        # sorted sets of each kind are made only when one has (a repeated bound finds nothing
        # more in the search for one).
        rested = [*rested_history, *[end + rest for end in ends.get(day - 1, ())]]
        jump_bounds = [*plyo_history, *lift_end_history,
                       *[start + plyo for gap in _GAPS for start in jumps.get(day - gap, ())],
                       *[end + jumps_after for end in lift_ends.get(day - 2, ())]]
        lift_bounds = [*lift_history, *jump_end_history,
                       *[start + strength for gap in _GAPS for start in lifts.get(day - gap, ())],
                       *[end + lifts_after for end in jump_ends.get(day - 2, ())]]
        # Most bounds fall outside every window: a window with no bound of any kind inside
        # it (after its opening, before its last start) is passed over at once.
        every = sorted(rested + jump_bounds + lift_bounds)
        by_kind: dict[tuple[bool, bool], list[float]] = {}   # the same for each window that day
        for index in by_day[day]:
            group = groups[index]
            opens = group.frame.opens_at
            if opens is not None:
                first = bisect_right(every, opens)
                if first == len(every) or every[first] > opens + group.steps * GRID_SECONDS:
                    continue
            which = _KINDS[group.type_key]
            bounds = by_kind.get(which)
            if bounds is None:
                bounds = by_kind[which] = sorted({*rested, *(jump_bounds if which[0] else ()),
                                                  *(lift_bounds if which[1] else ())})
            if opens is None:            # a clock change that day: search in real time
                for bound in bounds:
                    keep(index, group.earliest_from(dt.datetime.fromtimestamp(bound, UTC)))
                continue
            # Without a change, a bound's grid step is arithmetic (``Slots.earliest_from``);
            # a bound at or before the window's opening gives the first candidate, kept above.
            last = group.steps
            inside = bounds[bisect_right(bounds, opens):
                            bisect_right(bounds, opens + last * GRID_SECONDS)]
            for step in {-int((opens - bound) // GRID_SECONDS) for bound in inside}:
                if 0 < step < last:     # in any order: ``kept`` is sorted at the end
                    keep(index, group.first_from(step))
    return [kept[key] for key in sorted(kept)]
