"""Replanning after real life: history stays, the future moves as little as possible, and the
progression resumes where the body is rather than where the calendar is.

- Sessions before ``today`` are history: done unless marked missed; a newly missed one becomes
  CANCELLED (SEQUENCE raised), every other keeps its UID, time and content.
- After 7 or more days without training (or half of the last week's sessions missed) the next
  block week repeats the last one completed; after 14 or more it steps one block week back. The
  block extends by the weeks lost, or with ``keep_end`` keeps its end date, dropping the weeks it
  no longer has room for and ending on the taper. The first jump session after a break never
  has more foot contacts than the last one completed.
- The solver starts from the current plan (hint) and pays for every change; a change in a week
  after the current one costs more than a missing make-up, so a make-up never shifts later
  weeks. The current week's minimums become soft: it gets a make-up where a legal day remains,
  else it runs short (no cramming).
- A changed profile (``replan --profile``) is planned as a fresh plan of that profile would be:
  its own typical week is the habit, and the current plan's sessions only break ties between
  otherwise equal plans (a new day is used; nothing is kept at the cost of a session).
- Days the athlete said ahead of time they will be away are kept free; their weeks may move
  sessions to other days or run short."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from catalog import Catalog
from planner.errors import InputError
from planner.scheduling.availability import Candidate, slots
from planner.scheduling.checks import replanned_checks
from planner.scheduling.model import W_CHANGE, W_CHANGE_LATER, W_HABIT, History, Key, ModelInput
from planner.scheduling.pruning import prune
from planner.scheduling.solve import SolveStats, solve
from planner.store.plan import AHEAD, DONE, MISSED, Plan, Session, counts_done, session_uid
from planner.store.profile import Profile
from planner.training.dosing import dosed_session, durations, load_caps, strength_volume
from planner.training.program import demand
from planner.training.session_types import TYPES
from planner.training.validate import verify
from planner.workflows.generate import habit_reference, typical_week

if TYPE_CHECKING:
    from planner.calendars.busy import BusyInterval
    from planner.store.database import LogEntry

REPEAT_AFTER_DAYS = 7
STEP_BACK_AFTER_DAYS = 14


@dataclass(frozen=True)
class Change:
    kind: str          # missed | moved | re-dosed | added | dropped
    text: str


@dataclass(frozen=True)
class Replanned:
    plan: Plan
    changes: tuple[Change, ...]
    resume: str        # how the progression resumes, in words
    stats: SolveStats | None
    changed: bool = True   # worth a new revision: the profile or the sessions changed


@dataclass(frozen=True)
class Resume:
    """Where the body is: which block week comes next, and the jump contacts it may not exceed."""

    program_weeks: tuple[int, ...]
    contacts_cap: int | None
    broke: bool
    words: str


def _label(start: dt.datetime, type_key: str, tz: dt.tzinfo) -> str:
    """'Wed 13 Jan 18:00 Plyometrics + stretch'."""
    return f"{start.astimezone(tz):%a %-d %b %H:%M} {TYPES[type_key].label}"


def _is_past(plan: Plan, s: Session, today: dt.date) -> bool:
    """Before today, or today and already marked done or missed (``plan`` carries the marks)."""
    return plan.state(s, today) != AHEAD


def _history(plan: Plan, marked: Plan, today: dt.date, now: dt.datetime,
             ) -> tuple[list[Session], list[Change]]:
    """Past sessions with their final status by ``Plan.state``: the log's word, else done as
    prescribed. ``marked`` is ``plan`` with the log's marks."""
    tz = plan.tz
    past, changes = [], []
    for s, m in zip(plan.sessions, marked.sessions, strict=True):
        if not _is_past(marked, m, today):
            continue
        status = DONE if counts_done(marked.state(m, today)) else MISSED
        if status == s.status or {status, s.status} == {"done", "planned"}:
            past.append(s.with_status(status))
            continue
        past.append(dataclasses.replace(s, status=status, sequence=s.sequence + 1, stamp=now))
        changes.append(Change(status, f"{status}: {_label(s.start, s.session_type, tz)}"))
    return past, changes


def resume_point(plan: Plan, past: Sequence[Session], today: dt.date, tz: dt.tzinfo,
                 keep_end: bool) -> Resume:
    """The block weeks from the current calendar week on, after looking at the last sessions."""
    current_week = max(0, (today - plan.start).days) // 7 + 1
    old = [plan.program_week(w) for w in range(1, plan.weeks + 1)]
    done = [s for s in past if s.status == "done"]
    last = done[-1] if done else None
    idle = (today - (last.start.astimezone(tz).date() if last else plan.start)).days
    # The last 7 days up to today: a session ahead marked missed is a known absence, not a
    # sign of lost fitness yet (it is a break when it has happened).
    recent = [s for s in past
              if today - dt.timedelta(days=7) <= s.start.astimezone(tz).date() <= today]
    half_missed = bool(recent) and 2 * sum(s.status == "missed" for s in recent) >= len(recent)
    if idle < REPEAT_AFTER_DAYS and not half_missed:
        return Resume(tuple(old), None, False, "on track: the progression continues as planned")
    reached = last.program_week if last else 1
    step_back = idle >= STEP_BACK_AFTER_DAYS
    start = max(1, reached - 1) if step_back else reached
    remaining = list(range(start, old[-1] + 1))
    if keep_end:
        room = max(1, plan.weeks - current_week + 1)
        if len(remaining) > room:
            remaining = [*remaining[:room - 1], old[-1]] if room > 1 else remaining[:1]
    weeks = old[:current_week - 1] + remaining
    jumps = [s for s in done if "plyometrics" in s.kinds]
    cap = jumps[-1].foot_contacts if jumps else None
    why = (f"{idle} days since the last session" if idle >= REPEAT_AFTER_DAYS
           else "half of the sessions in the last 7 days missed")
    how = (f"stepping back to block week {start}" if step_back
           else f"repeating block week {start}")
    extra = len(weeks) - plan.weeks
    end = ("the end date stays" if keep_end else
           f"the block ends {extra} week{'s' if extra != 1 else ''} later" if extra > 0
           else "the end date stays")
    return Resume(tuple(weeks), cap, True, f"{why}: {how}; {end}")


def _key(s: Session, start: dt.date, tz: dt.tzinfo) -> Key:
    local = s.start.astimezone(tz)
    return ((local.date() - start).days, local.hour * 60 + local.minute, s.session_type)


def _reference(plan: Plan, future: Sequence[Session], weeks: int, tz: dt.tzinfo,
               ) -> frozenset[Key]:
    """The current plan's future sessions; weeks beyond its end follow its last week."""
    keys = {_key(s, plan.start, tz) for s in future}
    last_week = [_key(s, plan.start, tz) for s in plan.week_sessions(plan.weeks)]
    for week in range(plan.weeks + 1, weeks + 1):
        shift = 7 * (week - plan.weeks)
        keys |= {(day + shift, minute, t) for day, minute, t in last_week}
    return frozenset(keys)


def _pairs(new: list[Candidate], old: list[Session], start: dt.date, tz: dt.tzinfo,
           ) -> tuple[list[tuple[Candidate, Session | None]], list[Session]]:
    """Match a week's new sessions to its old ones: same slot, then same day, then same type,
    then in order. Unmatched new ones are additions; unmatched old ones are dropped."""
    left = list(old)
    matched: dict[int, Session] = {}
    tests = (
        lambda c, s: (c.day, c.minute, c.type_key) == _key(s, start, tz),
        lambda c, s: c.day == _key(s, start, tz)[0],
        lambda c, s: c.type_key == s.session_type,
        lambda c, s: True,
    )
    for test in tests:
        for i, c in enumerate(new):
            if i in matched:
                continue
            hit = next((s for s in left if test(c, s)), None)
            if hit is not None:
                matched[i] = hit
                left.remove(hit)
    return [(c, matched.get(i)) for i, c in enumerate(new)], left


def _next_uid(plan_id: str, week: int, taken: set[str]) -> str:
    ordinal = 1
    while session_uid(plan_id, week, ordinal) in taken:
        ordinal += 1
    uid = session_uid(plan_id, week, ordinal)
    taken.add(uid)
    return uid


def check_day(plan: Plan, day: dt.date) -> None:
    """The days a replan may start from: from a week before the plan to its last day."""
    if not plan.start - dt.timedelta(days=7) <= day <= plan.end:
        raise InputError("--today", day.isoformat(), f"a date within the plan, "
                         f"{plan.start} to {plan.end}")


def busy_range(plan: Plan, day: dt.date) -> tuple[dt.date, dt.date]:
    """The days whose busy time a replan from ``day`` needs: to the plan's end, or further when
    a break makes the block longer (at most by the longest block it carries)."""
    longest = max(plan.program_weeks or (plan.weeks,))
    return max(day, plan.start), max(plan.end, day + dt.timedelta(weeks=longest))


def _model_input(plan: Plan, profile: Profile, catalog: Catalog, busy: Sequence[BusyInterval],
                 today: dt.date, marks: Mapping[dt.date, str], past: Sequence[Session],
                 future: Sequence[Session], resume: Resume, calm: bool,
                 profile_changed: bool = False, away: frozenset[dt.date] = frozenset(),
                 ) -> ModelInput:
    """The solver's task from today on: the current plan as the reference (with a changed
    profile: its typical week, the current plan only breaking ties), recent history for the
    recovery rules, the current week's minimums soft when it has already begun, known absences
    kept free (their weeks soft)."""
    tz = profile.tz
    weeks = len(resume.program_weeks)
    # Today is free unless it already holds a session marked done or missed.
    first_free = max(0, (today - plan.start).days + (today in marks and any(
        plan.local_date(s) == today for s in plan.sessions)))
    current_week = max(0, (today - plan.start).days) // 7 + 1
    absent = {(d - plan.start).days for d in away if d >= today}
    short = frozenset(day // 7 + 1 for day in absent)

    def weight(week: int) -> int:
        if week > plan.weeks:
            return W_HABIT
        # A week holding a known absence may move its sessions (else they would only drop).
        return (W_CHANGE_LATER if calm and week > current_week and week not in short
                else W_CHANGE)

    minutes = durations(catalog, profile, max(plan.program_weeks or (plan.weeks,)))
    recent = today - dt.timedelta(days=7)
    history = [History((s.start.astimezone(tz).date() - plan.start).days, s.start, s.session_type,
                       s.end)
               for s in past if s.status == "done" and s.start.astimezone(tz).date() >= recent]
    demands = [demand(catalog, w, resume.program_weeks[w - 1], profile.plyo_sessions,
                      profile.strength_range) for w in range(current_week, weeks + 1)]
    current = _reference(plan, future, weeks, tz)
    ties = current if profile_changed else frozenset()
    if profile_changed:
        reference = habit_reference(typical_week(profile, minutes, demands), weeks)
        change_weights = dict.fromkeys(range(current_week, weeks + 1), W_HABIT)
    else:
        reference, change_weights = current, {w: weight(w) for w in range(current_week, weeks + 1)}
    return ModelInput(
        start=plan.start,
        candidates=prune(slots(profile, minutes, busy, [d for d in range(first_free, 7 * weeks)
                                                        if d not in absent]),
                         reference | ties, history),
        durations=minutes,
        demands=demands,
        first_free_day=first_free,
        history=history,
        relaxed_weeks=short | (frozenset({current_week}) if first_free > 7 * (current_week - 1)
                               else frozenset()),
        reference=reference,
        change_weights=change_weights,
        tie_breaker=ties,
        strength_day_after_jumps=profile.strength_day_after_jumps)


def _ramp(catalog: Catalog, profile: Profile, chosen: Sequence[Candidate],
          past: Sequence[Session], program_weeks: Sequence[int], current_week: int,
          ) -> tuple[dict[int, int], dict[int, int]]:
    """Per-session (contacts, strength volume) caps for each week under the rolling workload
    rule (``planner.training.workload``), over what was done (missed work lowers the average) and
    what
    is now chosen."""
    def done(week: int) -> tuple[int, int]:
        kept = [s for s in past if s.week == week and s.status == "done"]
        return (sum(s.foot_contacts for s in kept),
                sum(strength_volume(s.exercises) for s in kept))

    return load_caps(catalog, profile, chosen, program_weeks,
                     [done(w) for w in range(1, current_week + 1)])


def _dose_future(plan: Plan, profile: Profile, catalog: Catalog, chosen: Sequence[Candidate],
                 past: Sequence[Session], future: Sequence[Session], resume: Resume,
                 current_week: int, now: dt.datetime) -> tuple[list[Session], list[Change]]:
    """The chosen slots from the current week on as sessions: matched to the old ones (which
    keep their UIDs, and their content when nothing changed), dosed within the ramp caps and,
    for the first jump session after a break, within the last jump session's contacts."""
    tz = profile.tz
    weeks = len(resume.program_weeks)
    ramp, strength_ramp = _ramp(catalog, profile, chosen, past, resume.program_weeks,
                                current_week)
    ahead = [c for week in range(current_week, weeks + 1) for c in chosen if c.week == week]
    first_jump = (next((c for c in ahead if TYPES[c.type_key].plyometric), None)
                  if resume.broke and resume.contacts_cap is not None else None)
    taken = {s.uid for s in plan.sessions}
    sessions: list[Session] = []
    changes: list[Change] = []
    for week in range(current_week, weeks + 1):
        pairs, dropped = _pairs([c for c in chosen if c.week == week],
                                [s for s in future if s.week == week], plan.start, tz)
        for c, old in pairs:
            limits = [x for x in (ramp.get(week),
                                  resume.contacts_cap if c is first_jump else None)
                      if x is not None]
            fresh = dosed_session(catalog, profile, c, resume.program_weeks[week - 1],
                                  old.uid if old else _next_uid(plan.plan_id, week, taken), now,
                                  min(limits) if limits else None,
                                  strength_cap=strength_ramp.get(week))
            if old is None:
                changes.append(Change("added", f"added: {_label(c.start, c.type_key, tz)}"))
            elif _same(fresh, old):
                fresh = old
            else:
                fresh = dataclasses.replace(fresh, sequence=old.sequence + 1)
                changes += _describe(old, fresh, tz)
            sessions.append(fresh)
        changes += [Change("dropped", f"dropped: {_label(s.start, s.session_type, tz)}")
                    for s in dropped]
    return sessions, changes


def replan(plan: Plan, profile: Profile, catalog: Catalog, log: Sequence[LogEntry],
           busy: Sequence[BusyInterval], today: dt.date, now: dt.datetime,
           keep_end: bool = False, profile_changed: bool = False,
           away: frozenset[dt.date] = frozenset()) -> Replanned:
    """A new revision of ``plan`` from ``today`` on (local date), or the plan unchanged.
    ``away``: days the athlete said ahead of time they will be away."""
    check_day(plan, today)
    marks = {e.day: e.status for e in log}
    marked = plan.with_marks(marks)
    past, changes = _history(plan, marked, today, now)
    resume = resume_point(plan, past, today, profile.tz, keep_end)
    future = [s for s, m in zip(plan.sessions, marked.sessions, strict=True)
              if not _is_past(marked, m, today)]
    calm = not resume.broke and not profile_changed
    data = _model_input(plan, profile, catalog, busy, today, marks, past, future, resume, calm,
                        profile_changed, away)
    chosen, stats = solve(data)
    current_week = max(0, (today - plan.start).days) // 7 + 1
    ahead, more = _dose_future(plan, profile, catalog, chosen, past, future, resume,
                               current_week, now)
    new = dataclasses.replace(plan, weeks=len(resume.program_weeks),
                              sessions=tuple(sorted([*past, *ahead],
                                                    key=lambda s: s.start.astimezone(dt.UTC))),
                              created=now, program_weeks=resume.program_weeks)
    new = dataclasses.replace(new, checks=replanned_checks(plan, new, profile, busy, today, now))
    midnight = dt.datetime.combine(today, dt.time(), profile.tz)
    verify(new, profile, busy, history_before=midnight,
           short_weeks=frozenset(range(1, current_week + 1)) | data.relaxed_weeks)
    changed = profile_changed or (new.sessions, new.program_weeks, new.checks) != (
        plan.sessions, plan.program_weeks, plan.checks)
    return Replanned(new, (*changes, *more), resume.words, stats, changed)


def _same(a: Session, b: Session) -> bool:
    return (a.start, a.end, a.session_type, a.program_week, a.exercises) == (
        b.start, b.end, b.session_type, b.program_week, b.exercises)


def _describe(old: Session, new: Session, tz: dt.tzinfo) -> list[Change]:
    """What changed, in words; only what differs is named (never "2 -> 2")."""
    found = []
    before, after = (_label(x.start, x.session_type, tz) for x in (old, new))
    if before != after:
        found.append(Change("moved", f"moved: {before} -> {after}"))
    if old.minutes != new.minutes:
        found.append(Change("re-dosed", f"re-dosed: {after}: {old.minutes} -> {new.minutes} min"))
    if old.exercises != new.exercises or old.program_week != new.program_week:
        parts = []
        if old.program_week != new.program_week:
            parts.append(f"block week {old.program_week} -> {new.program_week}")
        if old.foot_contacts != new.foot_contacts:
            parts.append(f"{old.foot_contacts} -> {new.foot_contacts} foot contacts")
        if not parts:
            parts = _dose_changes(old, new)
        if parts:
            found.append(Change("re-dosed", f"re-dosed: {after}: " + ", ".join(parts)))
    return found


def _dose_changes(old: Session, new: Session, shown: int = 3) -> list[str]:
    """'Split squat: 3 × 8 -> 3 × 10' for each exercise whose dose differs (added or gone too),
    the first ``shown`` of them and a count of the rest."""
    was = {d.name: d.describe() for d in old.exercises}
    now = {d.name: d.describe() for d in new.exercises}
    parts = [f"{name}: {was.get(name, 'none')} -> {now.get(name, 'none')}"
             for name in [*was, *(n for n in now if n not in was)]
             if was.get(name) != now.get(name)]
    more = len(parts) - shown
    return parts[:shown] + ([f"and {more} more"] if more > 0 else [])
