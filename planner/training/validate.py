"""An independent check of a plan against the hard rules.

It reads only the finished plan (times and exercises) and the profile, and shares no code with
the solver's constraints: a mistake in the model cannot hide itself here. Used after every solve
and by the property tests."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from planner.store.plan import BASELINE, Plan, Session
from planner.store.profile import Profile

if TYPE_CHECKING:
    from planner.calendars.busy import BusyInterval

# NSCA (Essentials of Strength Training and Conditioning, plyometrics): off-season contacts per
# session, by experience. Independent of the catalogue's own caps on purpose.
NSCA_MAX_CONTACTS = {"beginner": 100, "intermediate": 150, "advanced": 200}
PLYO_GAP = dt.timedelta(hours=48)          # NSCA: 48-72 h between plyometric sessions
STRENGTH_GAP = dt.timedelta(hours=48)      # ACSM: 48 h between sessions for the same muscles
JUMPS_AFTER_STRENGTH = dt.timedelta(hours=24)
STRENGTH_AFTER_JUMPS = dt.timedelta(hours=24)   # from a jump session's end (issue 23 §6)
LOADED_DAYS_RUNNING = 2                    # a third loaded day in a row breaks the rule
# Judgement call (as in the model, on purpose not shared with it): a night's rest between
# sessions, 8 h from one's end to the next one's start in real time.
REST_GAP = dt.timedelta(hours=8)
# A baseline test (judgement call, as its placement states it in docs/clinical.md): not within
# this long after a jump session ends.
TEST_AFTER_JUMPS = dt.timedelta(hours=24)


def _minutes(t: dt.datetime) -> int:
    return t.hour * 60 + t.minute


class _Timed(NamedTuple):
    """A session with its times converted once (the checks below read them many times)."""

    session: Session
    start: dt.datetime     # UTC
    end: dt.datetime       # UTC
    local: dt.datetime     # the start on the profile's wall clock
    day: dt.date           # its local date

    @property
    def label(self) -> str:
        return f"{self.local:%a %Y-%m-%d %H:%M}"


def _timed(s: Session, tz: dt.tzinfo) -> _Timed:
    local = s.start.astimezone(tz)
    return _Timed(s, _utc(s.start), _utc(s.end), local, local.date())


def _placement(t: _Timed, profile: Profile, busy: Sequence[BusyInterval]) -> list[str]:
    tz = profile.tz
    start, end = t.local, t.session.end.astimezone(tz)
    # Wall clocks, compared naive; instants, compared in UTC (one zone compares by wall clock).
    if end.replace(tzinfo=None) <= start.replace(tzinfo=None) or t.end <= t.start:
        return [f"{t.label}: ends before it starts (on the wall clock or in real time)"]
    if start.fold or end.fold:
        # iCalendar reads a repeated local time as its first pass (RFC 5545, 3.3.5).
        return [f"{t.label}: starts or ends in the second pass of a repeated hour"]
    if start.weekday() in profile.rest_days:
        return [f"{t.label}: a session on a rest day"]
    first, last = _minutes(start), _minutes(end) or 24 * 60
    inside = end.date() == start.date() or (last == 24 * 60 and end - start < dt.timedelta(days=1))
    if not inside or not any(w.start <= first and last <= w.end
                             for w in profile.availability[start.weekday()]):
        return [f"{t.label}: not wholly inside an availability window"]
    return [f"{t.label}: overlaps busy time ({b.summary or 'busy'})" for b in busy
            if t.start < _utc(b.end) and _utc(b.start) < t.end]


def _utc(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.UTC)


def _content(s: Session, level: str) -> list[str]:
    def where() -> str:
        return f"{s.start:%a %Y-%m-%d %H:%M}"

    problems = []
    kinds = [d.kind for d in s.exercises]
    jumps = [i for i, k in enumerate(kinds) if k == "plyometrics"]
    stretches = [i for i, k in enumerate(kinds) if k == "stretching"]
    if not stretches:
        problems.append(f"{where()}: no stretching")
    if jumps and stretches and min(stretches) < max(jumps):
        problems.append(f"{where()}: static stretching before jumping")
    if set(kinds) - {"warmup"} != set(s.kinds):
        problems.append(f"{where()}: kinds {s.kinds} do not match its exercises")
    if s.foot_contacts > NSCA_MAX_CONTACTS[level]:
        problems.append(f"{where()}: {s.foot_contacts} foot contacts, over the NSCA range for a "
                        f"{level}")
    return problems


def _physio(s: Session, profile: Profile) -> list[str]:
    """A physio's limits, read from the session's own doses (not the dosing code's caps)."""
    limits = profile.limits
    where = f"{s.start:%a %Y-%m-%d %H:%M}"
    problems = []
    if limits.no_jumps and any(d.kind == "plyometrics" for d in s.exercises):
        problems.append(f"{where}: jumps, and the physio set no jumps")
    if limits.contacts_max is not None and s.foot_contacts > limits.contacts_max:
        problems.append(f"{where}: {s.foot_contacts} foot contacts, over the physio's "
                        f"{limits.contacts_max}")
    top = limits.strength_level_max
    if top is not None and any(d.kind == "strength" and d.level > top for d in s.exercises):
        problems.append(f"{where}: a strength level over the physio's {top}")
    return problems


def _day_after(firsts: Sequence[_Timed], thens: Sequence[_Timed], gap: dt.timedelta,
               then_words: str, first_words: str,
               past: Callable[[_Timed, _Timed], bool]) -> list[str]:
    """A session of ``thens`` on the day after one of ``firsts``, or within ``gap`` of its end
    (one holding both is allowed: it does the first kind first)."""
    problems = []
    for f in firsts:
        for t in thens:
            if t is f or t.start <= f.start:
                continue
            after = t.start - f.end
            if (after < gap or (t.day - f.day).days == 1) and not past(f, t):
                problems.append(f"{t.label}: {then_words} only {after} after the "
                                f"{first_words} session of {f.label} (not the day after, "
                                f"{gap.total_seconds() / 3600:.0f} h at least)")
    return problems


def _recovery(ordered: Sequence[_Timed], tz: dt.tzinfo,
              history_before: dt.datetime | None, strength_day_after_jumps: bool = False,
              ) -> list[str]:
    """Recovery between loaded sessions, in real time (UTC: two times in one ZoneInfo subtract
    on the wall clock), ``ordered`` by start. Pairs wholly in the past are history, not the
    plan's choice. ``strength_day_after_jumps``: the athlete's choice to lift the day after
    jumping (the profile key), which takes strength_after_jumps out."""
    def past(*sessions: _Timed) -> bool:
        return history_before is not None and all(
            x.session.start < history_before for x in sessions)

    problems: list[str] = []
    jumps = [t for t in ordered if "plyometrics" in t.session.kinds]
    strength = [t for t in ordered if "strength" in t.session.kinds]
    # rule: plyo_recovery
    problems += [f"{b.label}: plyometrics {b.session.start - a.session.start} after the last"
                 for a, b in itertools.pairwise(jumps)
                 if b.start - a.start < PLYO_GAP and not past(a, b)]
    # rule: strength_recovery
    problems += [f"{b.label}: strength only {b.session.start - a.session.start} after the last "
                 "(48 h apart, never on consecutive days)"
                 for a, b in itertools.pairwise(strength)
                 if b.start - a.start < STRENGTH_GAP and not past(a, b)]
    # rule: strength_before_jumps
    problems += _day_after(strength, jumps, JUMPS_AFTER_STRENGTH, "jumps", "strength", past)
    if not strength_day_after_jumps:     # rule: strength_after_jumps
        problems += _day_after(jumps, strength, STRENGTH_AFTER_JUMPS, "strength", "jump", past)
    # rule: quad_rest_day
    loaded = sorted({t.day for t in ordered
                     if set(t.session.kinds) & {"plyometrics", "strength"}})
    run = 1
    for a, b in itertools.pairwise(loaded):
        run = run + 1 if (b - a).days == 1 else 1
        if run > LOADED_DAYS_RUNNING and not (
                history_before is not None and b < history_before.astimezone(tz).date()):
            problems.append(f"{b}: loaded quad work {run} days running "
                            "(one day in any three without jumps or strength)")
    return problems


def _tests(plan: Plan, live: Sequence[_Timed], profile: Profile, busy: Sequence[BusyInterval],
           history_before: dt.datetime | None) -> list[str]:
    """The baseline tests not yet past: in a window, clear of busy time, never on a jump
    session's day nor within ``TEST_AFTER_JUMPS`` after one, clear of a session on their day
    and a night's rest from any other."""
    problems = []
    for test in plan.checks_of(BASELINE):
        t = _timed(test, profile.tz)
        if test.status == "dropped":
            continue
        if history_before is not None and t.start < _utc(history_before):
            continue
        problems += [f"baseline test {p}" for p in _placement(t, profile, busy)]
        for other in live:
            jump = "plyometrics" in other.session.kinds
            gap = dt.timedelta(0) if other.day == t.day else REST_GAP
            if other.day == t.day and jump:
                problems.append(f"baseline test {t.label}: on the day of a jump session")
            elif not (t.start >= other.end + gap or t.end + gap <= other.start):
                problems.append(f"baseline test {t.label}: less than {gap} from a session")
            if ("plyometrics" in other.session.kinds
                    and dt.timedelta(0) <= t.start - other.end < TEST_AFTER_JUMPS):
                problems.append(f"baseline test {t.label}: within {TEST_AFTER_JUMPS} after the "
                                "jump session of " + other.label)
    return problems


def check_plan(plan: Plan, profile: Profile, busy: Sequence[BusyInterval] = (),
               history_before: dt.datetime | None = None,
               short_weeks: frozenset[int] = frozenset()) -> list[str]:
    """Every broken hard rule, as a sentence; empty when the plan is sound.

    Sessions before ``history_before`` are past: only the recovery rules apply to them.
    ``short_weeks`` may fall below their weekly minimums (a replan after a miss runs short)."""
    tz = profile.tz
    live = [_timed(s, tz) for s in plan.sessions if s.status != "missed"]
    problems: list[str] = []
    for t in live:
        s = t.session
        # A session logged done is a fact, not a choice of this plan: busy time added since (a
        # dentist at that hour) or a profile edited since does not make it wrong.
        if s.status != "done" and (history_before is None or t.start >= _utc(history_before)):
            problems += _placement(t, profile, busy)
            problems += _content(s, plan.level)
            problems += _physio(s, profile)
    # A plain count (Counter's type check of its argument is slow in a long-running process:
    # the ABC caches behind isinstance(_, Mapping) are cleared whenever a class is registered).
    dates: dict[dt.date, int] = {}
    for t in live:
        dates[t.day] = dates.get(t.day, 0) + 1
    problems += [f"{d}: {n} sessions on one day" for d, n in dates.items() if n > 1]

    ordered = sorted(live, key=lambda t: t.start)
    # rule: rest_between
    problems += [f"{b.start.astimezone(tz):%a %Y-%m-%d %H:%M}: starts {b.start - a.end} after "
                 f"the session before ends (less than {REST_GAP} of rest)"
                 for a, b in itertools.pairwise(ordered)
                 if a.day != b.day and b.start - a.end < REST_GAP]
    problems += _recovery(ordered, tz, history_before, profile.strength_day_after_jumps)
    problems += _tests(plan, live, profile, busy, history_before)
    by_week: dict[int, list[Session]] = {}
    for t in live:
        by_week.setdefault((t.day - plan.start).days // 7 + 1, []).append(t.session)
    for week in range(1, plan.weeks + 1):
        in_week = by_week.get(week, [])
        plyo = sum("plyometrics" in s.kinds for s in in_week)
        strength = sum("strength" in s.kinds for s in in_week)
        low_p, high_p = profile.plyo_sessions
        low_s, high_s = profile.strength_range
        # rules: plyo_volume, strength_volume
        if plyo > high_p or strength > high_s:
            problems.append(f"week {week}: {plyo} plyometric / {strength} strength sessions, "
                            "over the weekly maximum")
        if week in short_weeks:
            continue
        if plyo < low_p:
            problems.append(f"week {week}: {plyo} plyometric sessions, fewer than {low_p}")
        if strength < low_s:
            problems.append(f"week {week}: {strength} strength sessions, fewer than {low_s}")
        if not any("stretching" in s.kinds for s in in_week):   # rule: stretching_weekly
            problems.append(f"week {week}: no stretching")
    return problems


def verify(plan: Plan, profile: Profile, busy: Sequence[BusyInterval],
           history_before: dt.datetime | None = None,
           short_weeks: frozenset[int] = frozenset()) -> Plan:
    """Refuse to hand out a plan the independent validator rejects (a bug, not a user error)."""
    problems = check_plan(plan, profile, busy, history_before, short_weeks)
    if problems:
        raise RuntimeError("internal error: the solver's plan breaks a hard rule: " + problems[0])
    return plan
