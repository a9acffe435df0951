"""The plan as it stands on a day: what every view shows (issue 24 §3, issue 23 §5).

``plan_as_of(store, today)`` is the one place a view gets the plan from: the current revision
with its doses re-dosed by the log as of the day before ``today`` (``adapted(..., as_of=...)``:
past sessions without a log neither advance nor regress, so levels hold at the last confirmed
one unless the profile says ``progress_without_logs = true``), each session's ``status`` its
state on that day (``planner.store.as_of``: planned, done, missed, not logged; a session a
replan dropped stays "dropped" in the calendars), and the logged scores beside the targets.
``today`` (terminal, report, JSON/CSV export, calendars, feed) is always given by the caller:
nothing here reads the clock.

Calendars keep the version of an event with the highest SEQUENCE. A session whose text as of
the day differs from the stored revision's (held levels, the ask for the log, "Not logged") is
handed out above the revision's SEQUENCE (``_sequenced``); ``hand_out`` records it in the
store, so the next revision goes above it (else a session logged later, back at the revision's
text, would come with a lower SEQUENCE and calendars would keep the held one)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from dataclasses import dataclass

from planner.errors import PeriodizeError
from planner.store.as_of import NOT_LOGGED, PLANNED, SessionState, session_states
from planner.store.database import AthleteLog, Store
from planner.store.plan import Plan, Session, Today
from planner.store.profile import Profile


@dataclass(frozen=True)
class AsOf:
    """The plan as of ``day`` (None: as stored, nothing past) and what it was made from."""

    plan: Plan                          # doses as of the day; each status its state that day
    profile: Profile
    states: tuple[SessionState, ...]    # each session's state and logged scores, plan order
    day: dt.date | None
    log: AthleteLog
    forecast: Plan                      # the revision before the log re-dosed it


def plan_as_of(store: Store, today: Today | None) -> AsOf:
    """The current plan as of ``today`` (a date, or the moment now, taken in the plan's zone;
    None: every session is to come, as stored)."""
    from catalog import default_catalog
    from catalog.monitoring import default_monitoring
    from planner.training.adapt import adapted

    current, profile = store.current()
    log = store.athlete_log(current.plan_id)
    forecast = store.forecast()
    day = None if today is None else current.today(today)
    marked = store.marked(current)
    states = session_states(marked, log.sessions, day)
    unlogged = any(st.state == NOT_LOGGED for st in states)
    if day is None or not unlogged or profile.progress_without_logs:
        dosed = marked        # as of any day with nothing unlogged before it: the revision
    else:
        seen = {s.uid: s for s in adapted(forecast, profile, default_catalog(),
                                          default_monitoring(), log,
                                          as_of=day - dt.timedelta(days=1)).sessions}
        dosed = dataclasses.replace(marked, sessions=tuple(
            _doses_of(s, seen[s.uid]) if s.uid in seen else s for s in marked.sessions))
    state_of = {st.uid: st.state for st in states}
    shown = tuple(s.with_status(_status(s, state_of.get(s.uid))) for s in dosed.sessions)
    plan = _sequenced(dataclasses.replace(dosed, sessions=shown), marked, store, day,
                      sum(st.state == NOT_LOGGED for st in states))
    return AsOf(plan, profile, states, day, log, forecast)


def _doses_of(stored: Session, seen: Session) -> Session:
    """The stored session with the doses (and the length and type a paused jump session takes)
    it has as of the day."""
    return dataclasses.replace(stored, end=seen.end, session_type=seen.session_type,
                               kinds=seen.kinds, exercises=seen.exercises, notes=seen.notes,
                               rpe=seen.rpe)


def _status(session: Session, state: str | None) -> str:
    if state is None or session.status == "dropped":
        return session.status
    return "planned" if state == PLANNED else state


def _shows(s: Session) -> tuple[object, ...]:
    """What a calendar shows of the session: its content and the states it marks."""
    return (s.content(), s.status == NOT_LOGGED)


def _sequenced(plan: Plan, stored: Plan, store: Store, day: dt.date | None,
               unlogged: int) -> Plan:
    """SEQUENCE and DTSTAMP as of ``day``. With the log as it is, what a session shows as of a
    day depends on the day only through the set of past sessions not logged, which only grows
    as days pass: its size, ``unlogged``, numbers the versions. A session whose calendar text
    differs from the stored revision's (or that was handed out above the revision's SEQUENCE)
    gets the revision's SEQUENCE + ``unlogged``: one (UID, SEQUENCE) never carries two texts,
    and SEQUENCE rises as the text changes; stamped at the start of the day, never before its
    stored stamp. A new revision goes above what was handed out (``hand_out``)."""
    held = {s.uid: s for s in stored.sessions}
    changed = {s.uid for s in plan.sessions
               if s.uid in held and _shows(s) != _shows(held[s.uid])}
    if day is None or not unlogged:
        return plan
    marks = store.handed_out(list(held))
    changed |= {uid for uid, mark in marks.items() if mark > held[uid].sequence}
    if not changed:
        return plan
    start = dt.datetime.combine(day, dt.time(), tzinfo=plan.tz).astimezone(dt.UTC)
    return dataclasses.replace(plan, sessions=tuple(
        dataclasses.replace(s, sequence=held[s.uid].sequence + unlogged,
                            stamp=max(held[s.uid].stamp, start))
        if s.uid in changed else s for s in plan.sessions))


def hand_out(store: Store, seen: AsOf) -> None:
    """Record the SEQUENCEs a calendar is given (``plan_as_of``), so the store's next revision
    goes above them. A store that cannot be written now (read-only, busy, full) keeps what it
    had: the calendar then has the text of the day at that SEQUENCE, no harm beyond it."""
    with contextlib.suppress(PeriodizeError):
        store.record_handed_out({s.uid: s.sequence for s in seen.plan.sessions})
