"""The plan's checks (``Plan.checks``): the baseline tests (issue 26 §3) and the PSFS check-ins
(§5), events of their own that hold no training.

PSFS check-ins: an all-day reminder every ``PSFS_EVERY_DAYS`` from the plan's first day, so they
never move with the sessions (judgement call: a day's reminder rather than an appointment, as
answering takes a minute and fits anywhere in the day).

Baseline tests: a short session of their own, once before week 1 and again every four weeks
(weeks 5, 9, ...), in the athlete's windows.

Placed after the solver has placed the training, by these rules (judgement calls, stated in
``docs/clinical.md``; the independent validator checks them again):

- inside an availability window, clear of busy time, on the 30-minute grid (``availability``);
- on a day without a session, at least the night's rest (``REST_BETWEEN_SESSIONS``) from any
  session; when the week has no such window, on the day of a strength or stretch session (never
  of a jump session), clear of it, before it where the window has room;
- never within 24 h after a jump session ends (tired legs would read as weak ones);
- the first in the days before the plan (see ``place_tests``); the others, and the first when
  the days before have no window, in their week, ending before the week's first strength session
  where a window allows (else after it: the levels then apply from the test on);
- the earliest start that keeps these rules, in its week; a week with none has no test.

The tests are not in the model: they hold no load, so nothing of the training waits for them,
and the plan's sessions are placed exactly as without them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from planner.scheduling.availability import UTC, candidates
from planner.store.plan import BASELINE, PSFS, Plan, Session, psfs_uid, test_uid

if TYPE_CHECKING:
    from planner.calendars.busy import BusyInterval
    from planner.store.profile import Profile

#: A PSFS check-in every this many days from the plan's first day (issue 26 §5: every two
#: weeks; Stratford 1995 sets no interval).
PSFS_EVERY_DAYS = 14
#: A test every this many weeks, from week 1.
EVERY_WEEKS = 4
#: No test within this long after a jump session ends (judgement call).
AFTER_JUMPS = dt.timedelta(hours=24)
#: The first test comes in the days before the plan (issue 26 §3: "once before week 1"): at
#: most this many days before it, and ending at least ``BEFORE_FIRST`` before the first session
#: (judgement call: a day between the test and the first training).
LEAD_DAYS = 7
BEFORE_FIRST = dt.timedelta(hours=24)
#: A night's rest between a test and a session, as between two sessions (judgement call, the
#: model's ``REST_BETWEEN_SESSIONS``; not imported from it, which would load the solver).
REST = dt.timedelta(hours=8)


def test_weeks(weeks: int) -> range:
    """The plan weeks that hold a baseline test (week 1's comes before the plan when it can)."""
    return range(1, weeks + 1, EVERY_WEEKS)


def place_tests(profile: Profile, sessions: Sequence[Session], busy: Sequence[BusyInterval],
                minutes: int, plan_id: str, now: dt.datetime,
                numbers: Sequence[int] | None = None, first_day: int = -LEAD_DAYS
                ) -> list[Session]:
    """The baseline tests numbered ``numbers`` (0 for week 1, 1 for week 5, ...; default:
    all), each placed by the rules above on plan day ``first_day`` or later, stamped ``now``
    with SEQUENCE 0. The first, before week 1: the latest start in the ``LEAD_DAYS`` before
    the plan that ends ``BEFORE_FIRST`` or more before its first session (week 0); without one,
    in week 1 as the others are placed in theirs."""
    tz = profile.tz
    days = {s.start.astimezone(tz).date(): s for s in sessions}
    jump_days = {s.start.astimezone(tz).date() for s in sessions if "plyometrics" in s.kinds}
    opening = min((s.start.astimezone(UTC) for s in sessions), default=None)
    found = []
    for number, week in enumerate(test_weeks(profile.weeks)):
        if numbers is not None and number not in numbers:
            continue
        if week == 1:
            lead = [c for c in candidates(profile, {BASELINE: minutes}, busy,
                                          range(max(first_day, -LEAD_DAYS), 0))
                    if opening is None or c.end.astimezone(UTC) + BEFORE_FIRST <= opening]
            if lead:
                c = max(lead, key=lambda c: c.start.astimezone(UTC))
                found.append(_test(plan_id, number, c.start, c.end, 0, now))
                continue
        alone, shared = [], []
        span = range(max(first_day, 7 * week - 7), 7 * week)
        # Only the sessions of this week and the weeks beside it can be within a day of it.
        near = [s for s in sessions if week - 1 <= s.week <= week + 1]
        spans = [(s.start.astimezone(UTC), s.end.astimezone(UTC)) for s in near]
        jumps = [s.end.astimezone(UTC) for s in near if "plyometrics" in s.kinds]
        for c in candidates(profile, {BASELINE: minutes}, busy, span):
            start, end = c.start.astimezone(UTC), c.end.astimezone(UTC)
            day = c.start.date()
            if any(dt.timedelta(0) <= start - j < AFTER_JUMPS for j in jumps):
                continue
            if day not in days:
                if all(start >= e + REST or end + REST <= s for s, e in spans):
                    alone.append(c)
            elif day not in jump_days and all(start >= e or end <= s for s, e in spans):
                shared.append(c)
        # A day of its own if the week has one; else beside a strength or stretch session on
        # its day, before it if the window has room (tired legs would read as weak ones).
        fits = sorted(alone, key=lambda c: c.start.astimezone(UTC)) or sorted(
            shared, key=lambda c: (days[c.start.date()].start < c.start,
                                   c.start.astimezone(UTC)))
        strength = [s.start for s in sessions if s.week == week and "strength" in s.kinds]
        if strength:       # before the week's first strength session, where it can be
            fits = [c for c in fits if c.end <= min(strength)] or fits
        if fits:
            found.append(_test(plan_id, number, fits[0].start, fits[0].end, week, now))
    return found


def _test(plan_id: str, number: int, start: dt.datetime, end: dt.datetime, week: int,
          now: dt.datetime) -> Session:
    return Session(test_uid(plan_id, number), start, end, week, max(week, 1), BASELINE,
                   (BASELINE,), "planned", 0, now, 0, ())


def tests_left_out(plan: Plan) -> str | None:
    """A line when a test week holds no baseline test (no window met the rules), else None."""
    held = {t.uid for t in plan.checks_of(BASELINE)}
    weeks = [w for n, w in enumerate(test_weeks(plan.weeks))
             if test_uid(plan.plan_id, n) not in held]
    if not weeks:
        return None
    return ("No window fits the baseline test in week " + ", ".join(map(str, weeks))
            + " (a day without jumps and not within 24 h after them): do it on a day of your "
            "choice and record it with `periodize measure`.")


def psfs_checkins(profile: Profile, plan_id: str, weeks: int, now: dt.datetime
                  ) -> list[Session]:
    """The all-day PSFS check-ins of a plan of ``weeks`` weeks from ``profile.start``."""
    tz = profile.tz
    found = []
    for number, offset in enumerate(range(0, 7 * weeks, PSFS_EVERY_DAYS)):
        day = profile.start + dt.timedelta(days=offset)
        start = dt.datetime.combine(day, dt.time(), tz)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
        found.append(Session(psfs_uid(plan_id, number), start, end, offset // 7 + 1,
                             offset // 7 + 1, PSFS, (PSFS,), "planned", 0, now, 0, ()))
    return found


def plan_checks(profile: Profile, sessions: Sequence[Session], busy: Sequence[BusyInterval],
                plan_id: str, now: dt.datetime) -> tuple[Session, ...]:
    """A new plan's checks, in time order."""
    from catalog.baseline import default_baseline

    tests = place_tests(profile, sessions, busy, default_baseline().minutes, plan_id, now)
    return tuple(sorted([*tests, *psfs_checkins(profile, plan_id, profile.weeks, now)],
                        key=lambda c: (c.start.astimezone(UTC), c.uid)))


def replanned_checks(plan: Plan, new: Plan, profile: Profile, busy: Sequence[BusyInterval],
                     today: dt.date, now: dt.datetime) -> tuple[Session, ...]:
    """The checks after a replan: the PSFS check-ins as they were (their days never move; a
    plan made longer gets the new ones); the tests before ``today`` as they were, the later ones
    placed again around the new sessions (SEQUENCE one up where one moves)."""
    import dataclasses

    from catalog.baseline import default_baseline

    at = dataclasses.replace(profile, weeks=new.weeks, start=plan.start)
    psfs = plan.checks_of(PSFS)
    held = {c.uid for c in psfs}
    psfs += tuple(c for c in psfs_checkins(at, plan.plan_id, new.weeks, now)
                  if c.uid not in held)
    tests = plan.checks_of(BASELINE)
    past = [t for t in tests if plan.local_date(t) < today]
    done = {t.uid for t in past}
    ahead = [n for n, w in enumerate(test_weeks(new.weeks))
             if test_uid(plan.plan_id, n) not in done
             and plan.start + dt.timedelta(days=7 * w - 1) >= today]
    placed = place_tests(at, new.sessions, busy, default_baseline().minutes, plan.plan_id, now,
                         ahead, first_day=(today - plan.start).days)
    kept = _kept(placed, tests, now)
    # A later test no window holds any more stays in the calendar as dropped (CANCELLED, one
    # SEQUENCE up): an import never deletes an event left out of a file.
    held = {t.uid for t in (*past, *kept)}
    gone = [t if t.status == "dropped" else dataclasses.replace(
        t, status="dropped", sequence=t.sequence + 1, stamp=now)
        for t in tests if t.uid not in held]
    return tuple(sorted([*psfs, *past, *kept, *gone],
                        key=lambda c: (c.start.astimezone(UTC), c.uid)))


def _kept(new: Sequence[Session], old: Sequence[Session], now: dt.datetime) -> list[Session]:
    """``new`` tests, each keeping its old SEQUENCE and stamp when it did not move (one up and
    ``now`` when it did)."""
    before = {t.uid: t for t in old}
    kept = []
    for t in new:
        was = before.get(t.uid)
        if was is not None and was.content() == t.content():
            t = was
        elif was is not None:
            t = Session(t.uid, t.start, t.end, t.week, t.program_week, t.session_type, t.kinds,
                        t.status, was.sequence + 1, now, t.rpe, t.exercises)
        kept.append(t)
    return kept
