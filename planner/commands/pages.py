"""What the web pages of ``periodize serve`` show and do, as library functions: the athlete's
page (the session that matters now, the morning question, the plan at a glance, the history),
a log entry sent from the page (through the very functions of ``done``, ``missed`` and ``pain``,
recorded once per key), and the physio's row for each athlete. Nothing here reads the clock."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from catalog import default_catalog
from catalog.monitoring import default_monitoring
from planner.commands import logbook
from planner.errors import InputError
from planner.store.database import AthleteLog, LogEntry, Revision, open_store
from planner.store.plan import AHEAD, DONE, MISSED, UNLOGGED, Plan, Session
from planner.store.profile import Profile

#: A key sent with a log entry from the page: the page makes one per form (a UUID); anything
#: else printable and short is accepted too (a client that makes its own).
KEY_LENGTH = 64

# One entry at a time per store (a key is looked up, the entry made and the key kept without a
# second one between); entries for different athletes of a roster go on side by side.
_ENTRY_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


def _entry_lock(db: Path) -> threading.Lock:
    with _LOCKS_LOCK:
        return _ENTRY_LOCKS.setdefault(Path(os.path.realpath(db)), threading.Lock())


@dataclass(frozen=True)
class ExerciseView:
    """One exercise as the page shows it: the same words as ``today``."""

    id: str | None                # the catalogue id, for strength exercises with a level rule
    title: str                    # 'Step down · level 2: from a 15 cm step'
    dose: str                     # '3 × 8 each side, rest 60 s between sets'
    cue: str
    rule: str | None              # how to move up a level (strength)
    rest_seconds: int             # between sets, for the rest timer (0: none)
    kind: str


@dataclass(frozen=True)
class SessionView:
    session: Session
    day: dt.date
    state: str                    # done / missed / unlogged / ahead (Plan.state)
    label: str                    # 'Strength', 'Jumps + strength'
    exercises: tuple[ExerciseView, ...]
    text: str                     # the whole session as ``today`` prints it
    entry: LogEntry | None        # what was logged about it


@dataclass(frozen=True)
class AthletePage:
    plan: Plan                    # with the log's marks
    profile: Profile
    today: dt.date
    focus: SessionView | None     # the latest not logged, else today's, else the next
    morning_due: dt.date | None   # today, when the morning question is not answered yet
    morning_after: dt.date | None  # the session day the morning question is about
    log: AthleteLog


def _label(session: Session) -> str:
    from planner.training.session_types import TYPES

    return TYPES[session.session_type].label


def session_view(plan: Plan, session: Session, today: dt.date, log: AthleteLog) -> SessionView:
    from planner.calendars.export.session_text import dose_lines, rest_seconds, session_text

    catalog = default_catalog()
    exercises = []
    for dose in session.exercises:
        exercise = catalog.of_dose(dose.name)
        lines = [line.strip() for line in dose_lines(dose)]
        title = " ".join(lines[0].removeprefix("- ").split())
        rule = exercise.advance_when if exercise is not None and dose.kind == "strength" else None
        cue = dose.cue.split(" Next level when: ")[0] if rule else dose.cue
        exercises.append(ExerciseView(
            exercise.id if exercise is not None and dose.kind == "strength" else None,
            title, dose.describe(), cue, rule,
            rest_seconds(dose) if dose.sets > 1 else 0, dose.kind))
    day = plan.local_date(session)
    entry = next((e for e in log.sessions if e.day == day), None)
    return SessionView(session, day, plan.state(session, today), _label(session),
                       tuple(exercises), session_text(session, catalog.safety_note), entry)


def focus_session(plan: Plan, today: dt.date) -> Session | None:
    """The session that matters now: the latest past one with no word yet since the last one
    logged (to log it), else today's, else the next one not missed; None after the last. (A
    judgement call: unlogged sessions before one logged count as done as prescribed, as
    everywhere, and are not asked about again.)"""
    said = [plan.local_date(s) for s in plan.sessions if s.status in (DONE, MISSED)]
    unlogged = [s for s in plan.sessions if plan.state(s, today) == UNLOGGED
                and (not said or plan.local_date(s) > max(said))]
    if unlogged:
        return unlogged[-1]
    ahead = [s for s in plan.sessions if plan.local_date(s) >= today]
    return next((s for s in ahead if plan.local_date(s) == today),
                next((s for s in ahead if s.status != MISSED), None))


def morning_question(plan: Plan, today: dt.date, log: AthleteLog) -> dt.date | None:
    """The day of the session the morning question asks about: yesterday's session, done or
    not yet logged, when this morning's pain is not recorded yet; else None."""
    if any(day == today for day, _ in log.mornings):
        return None
    yesterday = today - dt.timedelta(days=1)
    held = [s for s in plan.sessions if plan.local_date(s) == yesterday
            and plan.state(s, today) in (DONE, UNLOGGED)]
    return yesterday if held else None


def athlete_page(db: Path, today_now: dt.datetime) -> AthletePage:
    """Everything the athlete's first page shows, as of ``today_now`` (the plan as of that
    day, ``plan_as_of``: its doses, and sessions past without a word "not logged")."""
    from planner.training.plan_as_of import plan_as_of

    with open_store(db) as store:
        seen = plan_as_of(store, today_now)
    plan, profile, log = seen.plan, seen.profile, seen.log
    today = plan.today(today_now)
    focus = focus_session(plan, today)
    after = morning_question(plan, today, log)
    return AthletePage(plan, profile, today,
                       session_view(plan, focus, today, log) if focus is not None else None,
                       today if after is not None else None, after, log)


def session_page(db: Path, uid: str, today_now: dt.datetime) -> SessionView | None:
    """One session of the current plan by its UID (None: not in this plan)."""
    with open_store(db) as store:
        plan = store.marked(store.current()[0])
        log = store.athlete_log(plan.plan_id)
    found = next((s for s in plan.sessions if s.uid == uid), None)
    return None if found is None else session_view(plan, found, plan.today(today_now), log)


@dataclass(frozen=True)
class PageLogged:
    said: tuple[str, ...]          # what the entry changed, in words (first line: what it was)
    again: bool                    # the key was recorded before: nothing was done this time


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise InputError("key", key[:KEY_LENGTH], f"a printable ASCII key of 1 to {KEY_LENGTH} "
                         "characters (the page makes one per entry)")
    return key


def _optional_score(raw: str | None, field: str) -> int | None:
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not (text.isascii() and text.isdigit()):
        raise InputError(field, raw, "a whole number from 0 to 10")
    return int(text)


def _words(logged: logbook.Logged, first: str) -> tuple[str, ...]:
    return ((first, *logged.replaced, *logged.changes) if logged.changes
            else (first, *logged.replaced, "The plan ahead is unchanged."))


def log_entry(db: Path, key: str, what: str, day: str, now: dt.datetime, *,
              rpe: str | None = None, pain: str | None = None,
              not_met: Sequence[str] = (), measures: Sequence[str] = ()) -> PageLogged:
    """A log entry sent from the page: ``what`` is done, missed, morning (``pain`` is then
    the morning score) or measure (``measures``: NAME=VALUE, a baseline test or PSFS
    ratings). It goes through ``done``, ``missed``, ``pain`` and ``measure`` exactly as the
    CLI's (same checks, same re-dosing, same compare-and-swap), once per ``key``: the same key
    again (an offline entry sent twice) changes nothing and answers the first one's words."""
    key = check_key(key)
    with _entry_lock(db):
        with open_store(db) as store:
            said = store.request_said(key)
        if said is not None:
            return PageLogged(said, True)
        logged: logbook.Logged | None
        if what == "done":
            logged = logbook.done(db, [day], now, _optional_score(rpe, "effort"),
                                  _optional_score(pain, "pain"), tuple(not_met))
            first = f"Logged {day} as done."
        elif what == "missed":
            logged = logbook.missed(db, [day], None, now)
            first = f"Logged {day} as missed."
        elif what == "morning":
            logged = logbook.morning_pain(db, day, pain or "", now)
            first = f"Morning pain on {day} recorded: {(pain or '').strip()}/10."
        elif what == "measure":
            from planner import commands

            logged, first = None, ""
            lines = tuple(commands.measure(db, day, measures, now))
        else:
            raise InputError("what", what, "done, missed, morning or measure")
        said = lines if logged is None else _words(logged, first)
        with open_store(db) as store:
            store.remember_request(key, store.current()[0].plan_id, now, said)
    return PageLogged(said, False)


def measure_names(db: Path) -> tuple[str, ...]:
    """The PSFS activities recorded so far (``psfs.NAME``), for the page's form."""
    with open_store(db) as store:
        found = store.measures(store.current().plan.plan_id)
    return tuple(sorted({name for _, name, _ in found if name.startswith("psfs.")}))


def logged_words(db: Path, key: str) -> tuple[str, ...] | None:
    """What the entry sent with ``key`` changed, if it was recorded."""
    with open_store(db) as store:
        return store.request_said(check_key(key))


def history(db: Path) -> tuple[Plan, AthleteLog, list[Revision]]:
    """The marked plan, the log and the revisions (newest first), for the history page."""
    with open_store(db) as store:
        plan = store.marked(store.current()[0])
        log = store.athlete_log(plan.plan_id)
        revisions = store.history()
    return plan, log, sorted(revisions, key=lambda r: -r.number)


@dataclass(frozen=True)
class AthleteRow:
    """One athlete in the physio's table."""

    name: str
    adherence: str                # 'done 9 of 12 so far (75 %)'
    last_pain: str                # 'during 3/10 on 2027-01-13; morning 2/10 on 2027-01-14'
    red_flag: bool
    screen_waiting: bool          # jumps paused: a passed readiness screen would clear them
    not_logged: int               # past sessions with no word
    next_session: str
    limits: tuple[str, ...] = ()  # the physio's limits, in words


def athlete_row(db: Path, today_now: dt.datetime) -> AthleteRow:
    from planner.training.adapt import PAUSED
    from planner.training.plan_as_of import plan_as_of

    rules = default_monitoring()
    with open_store(db) as store:
        seen = plan_as_of(store, today_now)
    plan, profile, log = seen.plan, seen.profile, seen.log
    today = plan.today(today_now)
    states = [plan.state(s, today) for s in plan.sessions]
    past = [st for st in states if st != AHEAD]
    done = sum(st == DONE for st in past)
    share = f" ({100 * done // len(past)} %)" if past else ""
    pains = [(e.day, e.pain) for e in log.sessions if e.pain is not None]
    words = []
    if pains:
        words.append(f"during {pains[-1][1]}/10 on {pains[-1][0]}")
    if log.mornings:
        words.append(f"morning {log.mornings[-1][1]}/10 on {log.mornings[-1][0]}")
    upcoming = [s for s in plan.sessions if plan.local_date(s) >= today]
    notes = {n for s in upcoming for n in s.notes}
    nxt = next((s for s in upcoming if s.status != MISSED), None)
    return AthleteRow(
        plan.name, f"done {done} of {len(past)} so far{share}", "; ".join(words) or "none yet",
        rules.red_flag in notes, any(n.startswith(PAUSED) for n in notes),
        sum(st == UNLOGGED for st in states),
        f"{plan.local_date(nxt):%a %Y-%m-%d} · {_label(nxt)}" if nxt is not None else "none",
        tuple(profile.limits.words()))


def limit_texts(no_jumps: bool, contacts: str | None, level: str | None) -> list[str]:
    """The physio's form as the words ``set_limits`` reads ("no jumps", "contacts <= 80",
    "strength level <= 3"); an empty number field sets no limit on that."""
    texts = ["no jumps"] if no_jumps else []
    for raw, words in ((contacts, "contacts"), (level, "strength level")):
        if raw is not None and raw.strip():
            texts.append(f"{words} <= {raw.strip()}")
    return texts


def report_html(db: Path, today_now: dt.datetime) -> str:
    """The athlete's HTML report (the one ``periodize report`` writes), as of ``today_now``."""
    from planner.commands import athlete_progress
    from planner.views.html_report import plan_report

    seen, found = athlete_progress(db, today_now)
    return plan_report(seen.plan, seen.profile, seen.day, default_catalog().safety_note, found,
                       seen.log.measures, seen.states)


def sign_off_screen(db: Path, now: dt.datetime) -> logbook.Logged:
    """The physio signs off a readiness screen today: ``screen TODAY --passed``."""
    with open_store(db) as store:
        plan = store.current()[0]
    return logbook.screen(db, plan.today(now).isoformat(), True, now)




@dataclass(frozen=True)
class GridDay:
    date: dt.date
    sessions: tuple[tuple[Session, str, str], ...]     # (session, its label, its state)
    rest: bool
    today: bool


def plan_grid(page: AthletePage) -> tuple[list[str], list[list[GridDay]]]:
    """The plan at a glance: the weekday columns and weeks × days (``planner.views.days``, as
    the report's calendar), each session with its state as of today."""
    from planner.views.days import plan_days, weekday_columns

    plan, today = page.plan, page.today
    weeks = [[GridDay(d.date, tuple((s, _label(s), plan.state(s, today)) for s in d.sessions),
                      d.rest, d.today) for d in week]
             for week in plan_days(plan, page.profile, today)]
    return weekday_columns(plan), weeks
