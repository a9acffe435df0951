"""The athlete's side of the loop, as library functions: say how a session went (``done``), how
the knee felt the morning after (``pain``), which sessions were missed (``missed``, with date
ranges), that a readiness screen was passed (``screen``), and see one session (``today``).

Every word is checked before anything is written. A log entry that changes future doses is saved
in the same transaction as the new revision it causes (same session times, re-dosed from the
forecast by ``planner.training.adapt``; changed sessions get SEQUENCE + 1), so export, sync, show
and report
carry it at once and an interruption leaves neither half. Nothing here reads the clock."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from catalog import default_catalog
from catalog.monitoring import default_monitoring
from planner.errors import InputError
from planner.store.database import (
    AthleteLog,
    CrampDay,
    LogEntry,
    Store,
    open_store,
    retry_once,
)
from planner.store.plan import Plan, Session, Today
from planner.store.profile import Profile

if TYPE_CHECKING:
    from planner.workflows.replan import Replanned


_V = TypeVar("_V", int, bool)


def parse_day(raw: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise InputError(field, raw, "a date like 2027-01-13") from None


def not_ahead(plan: Plan, day: dt.date, raw: str, today: Today) -> None:
    """Refuse a log entry for a day after ``today`` (in the plan's time zone): what has not
    happened yet cannot be logged (``missed`` on days ahead records an absence instead)."""
    latest = plan.today(today)
    if day > latest:
        raise InputError("DATE", raw, f"a day up to today, {latest} in {plan.timezone}: it is "
                         "in the future (log a session on or after the day it happens)")


def session_days(plan: Plan, raw_days: Sequence[str], kind: str | None = None,
                 ranges: bool = False) -> list[Session]:
    """The sessions on the given dates (each must hold one), or with ``ranges`` in START..END
    ranges too (dates without a session inside a range are fine). Checks every date first."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(plan.timezone)
    by_day = {s.start.astimezone(tz).date(): s for s in plan.sessions}
    found: list[Session] = []
    for raw in raw_days:
        if ranges and ".." in raw:
            first_raw, _, last_raw = raw.partition("..")
            first, last = parse_day(first_raw, "START..END"), parse_day(last_raw, "START..END")
            if last < first:
                raise InputError("START..END", raw, "a range whose end is not before its start")
            inside = [s for d, s in sorted(by_day.items()) if first <= d <= last]
            if not inside:
                raise InputError("START..END", raw, f"a range holding a session, within "
                                 f"{plan.start} to {plan.end}")
            found += [s for s in inside if kind is None or kind in s.kinds]
            continue
        day = parse_day(raw, "DATE")
        if not plan.start <= day <= plan.end:
            raise InputError("DATE", raw, f"a date within the plan, {plan.start} to "
                             f"{plan.end}")
        session = by_day.get(day)
        if session is None:
            near = sorted(by_day, key=lambda d: abs((d - day).days))[:2]
            raise InputError("DATE", raw, "a date with a session; the nearest are "
                             + " and ".join(f"{d:%a %Y-%m-%d}" for d in sorted(near)))
        if kind is not None and kind not in session.kinds:
            raise InputError("--kind", kind, f"the session on {day} holds "
                             + ", ".join(session.kinds))
        found.append(session)
    return found


@dataclass(frozen=True)
class Logged:
    sessions: tuple[Session, ...]    # the sessions the entry is about
    changes: tuple[str, ...]         # how future doses changed, in words
    revision: int | None             # the new revision, if doses changed
    earlier: dict[dt.date, str] = dataclasses.field(default_factory=dict)  # words it replaced
    away: tuple[dt.date, ...] = ()   # days ahead recorded as an absence
    freed: tuple[dt.date, ...] = ()  # days ahead no longer recorded as an absence
    replaced: tuple[str, ...] = ()   # what the entry replaced, one line per day, in words
    saved: int | None = None         # the revision the entry made (every entry makes one: undo)
    why: str = ""                    # why no dose changed, when a score was above a limit


def _score(value: int | None, field: str, what: str) -> int | None:
    if value is not None and not 0 <= value <= 10:
        raise InputError(field, value, f"a whole number from 0 to 10 ({what})")
    return value


def redose(store: Store, log: AthleteLog, now: dt.datetime, note: str,
           forecast: Plan | None = None, profile: Profile | None = None,
           expect: int | None = None, check: Callable[[Plan], object] | None = None,
           always: bool = False, said: Collection[str] = ()) -> tuple[Plan, tuple[str, ...], bool]:
    """The current plan re-dosed from ``forecast`` (default: the stored one) by ``log`` and
    carrying its done/missed marks (a session marked missed is CANCELLED in calendars at once),
    the changes in words (the revision saved against the one before, ``plan_changes``; ``said``:
    UIDs whose mark the entry itself says), and whether it was saved as a new revision (when
    something changed: doses, marks, or the profile given). With ``always`` (a log entry) a
    revision is saved in any case, and the flag says whether doses changed."""
    from planner.commands.changes import plan_changes
    from planner.training.adapt import adapted, restamp

    catalog = default_catalog()
    current, stored = store.current()
    base = forecast if forecast is not None else store.forecast()
    athlete = profile if profile is not None else stored
    new = restamp(adapted(base, athlete, catalog, default_monitoring(), log), current, now)
    new = _marked_now(new.with_marks({e.day: e.status for e in log.sessions}), current, now)
    same = (new.program_weeks, new.weeks, athlete) == (current.program_weeks, current.weeks,
                                                       stored)
    if same and new.sessions == current.sessions and not always:
        return current, (), False
    if same and _unmarked(new) == _unmarked(current):
        # Only the marks (or, for a log entry, nothing) changed: a revision, no dose changed
        # (for a log entry, "saved" then says no dose changed).
        saved = store.save(dataclasses.replace(new, created=now), athlete, note,
                           forecast=base if base.sessions != new.sessions else None,
                           expect=expect, check=check)
        return saved, (), not always
    saved = store.save(dataclasses.replace(new, created=now), athlete, note,
                       forecast=base if base.sessions != new.sessions else None,
                       expect=expect, check=check)
    # What this command changed, in words: the revision saved against the one before it.
    return saved, plan_changes(current, saved, catalog, said).lines(), True


def _marked_now(new: Plan, current: Plan, now: dt.datetime) -> Plan:
    """A session newly marked missed, or no longer missed, stamped ``now`` (the store then
    raises its SEQUENCE: calendars show it cancelled, or back, at once)."""
    held = {s.uid: s for s in current.sessions}
    return dataclasses.replace(new, sessions=tuple(
        dataclasses.replace(s, stamp=now) if (old := held.get(s.uid)) is not None
        and (old.status == "missed") != (s.status == "missed") else s for s in new.sessions))


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _unmarked(plan: Plan) -> tuple[Session, ...]:
    """The sessions without their done/missed marks and the SEQUENCE and stamp marks raise."""
    return tuple(dataclasses.replace(s, status="planned", sequence=0, stamp=_EPOCH)
                 for s in plan.sessions)


def _logged(store: Store, plan_id: str, log: AthleteLog,
            write: Callable[[], dict[dt.date, str] | None], now: dt.datetime, note: str,
            sessions: Sequence[Session], away: Sequence[dt.date] = (),
            forecast: Plan | None = None, replaced: Sequence[str] = ()) -> Logged:
    """Write the log entry and the revision it causes, in one transaction (``write`` does the
    compare-and-swap: it fails if another command changed the store since it was read).
    ``forecast``: re-dose this one instead of the stored forecast."""
    with store.transaction():
        before = store.log_rows(plan_id)
        earlier = write() or {}
        if away:
            store.record_absence(plan_id, list(away), now)
        new, said, redosed = redose(store, log, now, note, forecast, always=True,
                                    said=[s.uid for s in sessions])
        store.keep_log_change(new.revision, before, store.log_rows(plan_id))
    return Logged(tuple(sessions), said, new.revision if redosed else None, earlier,
                  tuple(away), replaced=tuple(replaced), saved=new.revision)


def not_met_ids(session: Session, raw: Sequence[str]) -> tuple[str, ...]:
    """Exercise ids from --not-met, checked against the session's strength exercises."""
    catalog = default_catalog()
    day = f"{session.start:%a %Y-%m-%d}"
    held = [e.id for e in (catalog.of_dose(d.name) for d in session.exercises
                           if d.kind == "strength") if e is not None]
    if raw and not held:
        raise InputError("--not-met", raw[0], f"nothing: the session on {day} has no "
                         "strength exercise with a level rule")
    ids: list[str] = []
    for item in raw:
        wanted = item.strip().lower()
        if wanted == "none":
            continue
        if wanted == "all":
            ids += held
        elif wanted in held:
            ids.append(wanted)
        else:
            from planner.errors import closest

            raise InputError("--not-met", item, "all, none, or one of " + ", ".join(held)
                             + f" (the session on {day})" + closest(wanted, held))
    return tuple(dict.fromkeys(ids))


def done(db: Path, raw_days: Sequence[str], now: dt.datetime, rpe: int | None = None,
         pain: int | None = None, not_met: Sequence[str] = (), today: Today | None = None,
         ) -> Logged:
    """``done DATE [--rpe N] [--pain N] [--not-met ID ...]``: done, and how it went; a day
    after ``today`` (default: ``now``'s date in the plan's zone) is refused."""
    _score(rpe, "--rpe", "session effort on the CR-10 scale")
    _score(pain, "--pain", "the worst knee or thigh pain during the session")
    detailed = rpe is not None or pain is not None or bool(not_met)
    if detailed and len(raw_days) != 1:
        raise InputError("DATE", " ".join(raw_days), "one date when --rpe, --pain or --not-met "
                         "is given")
    return retry_once(lambda: _done(db, raw_days, now, rpe, pain, not_met, detailed,
                                    now if today is None else today))


def _done(db: Path, raw_days: Sequence[str], now: dt.datetime, rpe: int | None,
          pain: int | None, not_met: Sequence[str], detailed: bool, today: Today) -> Logged:
    with open_store(db) as store:
        expect = store.changes()
        plan = store.current()[0]
        for raw, day in [(raw, parse_day(raw, "DATE")) for raw in raw_days]:
            not_ahead(plan, day, raw, today)
        found = session_days(plan, raw_days)
        ids = not_met_ids(found[0], not_met) if detailed else ()
        tz = ZoneInfo(plan.timezone)
        days = [s.start.astimezone(tz).date() for s in found]
        log = store.athlete_log(plan.plan_id)
        before = {e.day: e for e in log.sessions}
        entries = [repeated(before.get(d), LogEntry(d, "done", None, rpe, pain, ids, s.uid),
                            not_met_given=bool(not_met)) for d, s in zip(days, found, strict=True)]
        kept = [e for e in log.sessions if e.day not in days]
        new_log = dataclasses.replace(
            log, sessions=tuple(sorted([*kept, *entries], key=lambda e: e.day)))
        replaced = [line for e in entries if e.day in before
                    if (line := replaces(before[e.day], e)) is not None]
        note = "logged done " + " ".join(d.isoformat() for d in days) + (
            f" ({entry_words(entries[0]).removeprefix('done, ')})"
            if len(entries) == 1 and entry_words(entries[0]) != "done" else "")
        logged = _logged(store, plan.plan_id, new_log,
                         lambda: store.record_entries(plan.plan_id, entries, now, expect=expect),
                         now, note, found, replaced=replaced)
        # Only for a pain given now: a kept one was answered when it was logged.
        return dataclasses.replace(
            logged, why=_no_change_why(logged, entries, plan) if pain is not None else "")


def _no_change_why(logged: Logged, entries: Sequence[LogEntry], plan: Plan) -> str:
    """Why a ``done`` whose pain was above the limit changed no dose: the sessions ahead are
    already eased or paused by an earlier score, or none is left."""
    rules = default_monitoring()
    high = [e for e in entries if e.pain is not None and e.pain > rules.during_limit]
    if logged.revision is not None or not high:
        return ""
    last = max(e.day for e in high)
    if not any(plan.local_date(s) > last for s in plan.sessions):
        return (f"pain {high[-1].pain}/10 is above the {rules.during_limit}/10 limit, but no "
                "session is left after it")
    return (f"pain {high[-1].pain}/10 is above the {rules.during_limit}/10 limit, but the "
            "sessions after it are already eased or paused by an earlier score")


def repeated(earlier: LogEntry | None, entry: LogEntry, not_met_given: bool) -> LogEntry:
    """A repeat ``done`` on a day logged done before: the scores it was not given are kept
    (``--not-met none`` clears the rules not met). Over a ``missed``, the entry as given."""
    if earlier is None or earlier.status != "done":
        return entry
    return dataclasses.replace(
        entry, rpe=earlier.rpe if entry.rpe is None else entry.rpe,
        pain=earlier.pain if entry.pain is None else entry.pain,
        not_met=entry.not_met if not_met_given else earlier.not_met)


def entry_words(entry: LogEntry) -> str:
    """'done, effort 7/10, pain 2/10, rule not met: step-down' / 'missed (plyometrics)'."""
    parts = [entry.status + (f" ({entry.kind})" if entry.kind else "")]
    if entry.rpe is not None:
        parts.append(f"effort {entry.rpe}/10")
    if entry.pain is not None:
        parts.append(f"pain {entry.pain}/10")
    if entry.not_met:
        parts.append("rule not met: " + ", ".join(entry.not_met))
    return ", ".join(parts)


def replaces(earlier: LogEntry, entry: LogEntry) -> str | None:
    """One line on what an entry replaced on its day and which earlier scores it kept, or None
    when the status word alone says it (``missed`` over a plain ``done``, and back)."""
    scored = (earlier.rpe, earlier.pain, earlier.not_met) != (None, None, ())
    if earlier.status != entry.status and not scored:
        return None
    if dataclasses.replace(earlier, uid=entry.uid) == entry:
        return f"{entry.day}: already so logged ({entry_words(entry)}); nothing changed"
    kept = [word for word, old, new in (
        (f"effort {earlier.rpe}/10", earlier.rpe, entry.rpe),
        (f"pain {earlier.pain}/10", earlier.pain, entry.pain),
        ("rule not met: " + ", ".join(earlier.not_met), earlier.not_met, entry.not_met))
        if old not in (None, ()) and old == new]
    return (f"{entry.day}: replaces {entry_words(earlier)}"
            + (f" (kept: {'; '.join(kept)})" if kept and entry.status == "done" else ""))


def missed(db: Path, raw_days: Sequence[str], kind: str | None, now: dt.datetime,
           today: Today | None = None) -> Logged:
    """``missed DATE ... | START..END``: the sessions were not done (ranges: an absence). Days
    after today (default: ``now``'s date in the plan's zone) are also recorded as a known
    absence (every day of a range), which replan keeps free of sessions."""
    return retry_once(lambda: _missed(db, raw_days, kind, now, now if today is None else today))


def _missed(db: Path, raw_days: Sequence[str], kind: str | None, now: dt.datetime,
            when: Today) -> Logged:
    with open_store(db) as store:
        expect = store.changes()
        plan = store.current()[0]
        found = session_days(plan, raw_days, kind, ranges=True)
        tz = ZoneInfo(plan.timezone)
        days = sorted({s.start.astimezone(tz).date() for s in found})
        today = plan.today(when)
        away = sorted({d for d in [*days, *_range_days(plan, raw_days)] if d > today})
        log = store.athlete_log(plan.plan_id)
        before = {e.day: e for e in log.sessions}
        kept = [e for e in log.sessions if e.day not in days]
        uids = {plan.local_date(s): s.uid for s in found}
        entries = [LogEntry(d, "missed", kind, uid=uids[d]) for d in days]
        new_log = dataclasses.replace(
            log, sessions=tuple(sorted([*kept, *entries], key=lambda e: e.day)))
        replaced = [line for e in entries if e.day in before
                    if (line := replaces(before[e.day], e)) is not None]
        return _logged(store, plan.plan_id, new_log,
                       lambda: store.record_entries(plan.plan_id, entries, now, expect=expect),
                       now, "logged missed " + " ".join(day_runs(days)), found,
                       away, replaced=replaced)


def cancel_absence(db: Path, raw_days: Sequence[str], now: dt.datetime,
                   today: Today | None = None) -> Logged:
    """``missed --cancel DATE ... | START..END``: take back an absence recorded ahead. Its days
    after today are free again and their sessions no longer marked missed; the doses are
    re-dosed from the shorter log, as ``missed`` does. A range holding no day ahead recorded as
    away is refused."""
    return retry_once(lambda: _cancel_absence(db, raw_days, now,
                                              now if today is None else today))


def _cancel_absence(db: Path, raw_days: Sequence[str], now: dt.datetime,
                    when: Today) -> Logged:
    with open_store(db) as store:
        expect = store.changes()
        plan = store.current()[0]
        today = plan.today(when)
        ahead = sorted(d for d in store.absences(plan.plan_id) if d > today)
        days: set[dt.date] = set()
        for raw in raw_days:
            field = "START..END" if ".." in raw else "DATE"
            first_raw, _, last_raw = raw.partition("..") if ".." in raw else (raw, "", raw)
            first, last = parse_day(first_raw, field), parse_day(last_raw, field)
            inside = {d for d in ahead if first <= d <= last}
            if not inside:
                raise InputError(field, raw, f"a range holding days recorded as away after "
                                 f"today ({today}): " + (", ".join(day_runs(ahead)) if ahead
                                                         else "there are none"))
            days |= inside
        log = store.athlete_log(plan.plan_id)
        kept = tuple(e for e in log.sessions if not (e.day in days and e.status == "missed"))
        freed = [s for s in plan.sessions if plan.local_date(s) in days]
        new_log = dataclasses.replace(log, sessions=kept)
        cancelled = sorted(days)
        replanned = _replanned_without(store, plan, new_log, days, today, now)
        logged = _logged(store, plan.plan_id, new_log,
                         lambda: store.cancel_absence(plan.plan_id, cancelled, expect=expect),
                         now, ("replanned" if replanned else "re-dosed") + ": absence cancelled "
                         + " ".join(day_runs(cancelled)), freed,
                         forecast=replanned.plan if replanned else None)
        return dataclasses.replace(logged, freed=tuple(cancelled))


def _replanned_without(store: Store, plan: Plan, log: AthleteLog, days: set[dt.date],
                       today: dt.date, now: dt.datetime) -> Replanned | None:
    """The forecast replanned from ``today`` without the absence on ``days``, when a replan
    since it was recorded made its sessions history (missed) and may have moved others to make
    up for them; else None (nothing moved: re-dosing is enough). Its sessions there are planned
    again and the future is solved as ``replan`` does, so no make-up doubles a session."""
    from catalog import default_catalog
    from planner.calendars.busy_sources import read_busy
    from planner.workflows.replan import busy_range, check_day, replan

    forecast = store.forecast()
    planned = dataclasses.replace(forecast, sessions=tuple(
        s.with_status("planned") if s.status == "missed" and forecast.local_date(s) in days
        else s for s in forecast.sessions))
    if planned == forecast:
        return None
    profile = store.current().profile
    day = max(plan.start, today)
    check_day(plan, day)
    busy = read_busy(profile, (), *busy_range(planned, day))
    away = frozenset(store.absences(plan.plan_id) - days)
    # A judgement call: solved as for a changed profile (the profile's own typical week first,
    # keeping times only as a tie-breaker), so the sessions come back where the plan had them
    # instead of the make-ups staying and the returned sessions being dropped.
    return replan(planned, profile, default_catalog(), log.sessions, busy, day, now,
                  profile_changed=True, away=away)


def day_runs(days: Sequence[dt.date]) -> list[str]:
    """Sorted days as runs of consecutive ones: ['2027-01-18..2027-01-24', '2027-02-01']."""
    runs: list[list[dt.date]] = []
    for day in days:
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return [f"{r[0]}..{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs]


def _range_days(plan: Plan, raw_days: Sequence[str]) -> list[dt.date]:
    """Every day of the plan inside the START..END ranges among ``raw_days`` (already checked
    by ``session_days``)."""
    found: list[dt.date] = []
    for raw in raw_days:
        if ".." in raw:
            first_raw, _, last_raw = raw.partition("..")
            first = max(plan.start, parse_day(first_raw, "START..END"))
            last = min(plan.end, parse_day(last_raw, "START..END"))
            found += [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    return found


def _latest_before(plan: Plan, day: dt.date) -> Session | None:
    tz = ZoneInfo(plan.timezone)
    before = [s for s in plan.sessions if s.start.astimezone(tz).date() < day]
    return before[-1] if before else None


def morning_pain(db: Path, raw_day: str, score: str, now: dt.datetime,
                 today: Today | None = None) -> Logged:
    """``pain DATE N``: the pain check on the morning of DATE, after the latest session; a
    morning after ``today`` (default: ``now``'s date in the plan's zone) is refused."""
    if not score.strip().isascii() or not score.strip().isdigit():   # int() takes "٣" too
        raise InputError("N", score, "a whole number from 0 to 10 in digits 0-9 (knee or "
                         "thigh pain on waking)")
    value = int(score.strip())
    _score(value, "N", "knee or thigh pain on waking")
    return retry_once(lambda: _morning_pain(db, raw_day, value, now,
                                            now if today is None else today))


@contextlib.contextmanager
def _on_day(db: Path, raw_day: str, today: Today) -> Iterator[tuple[Store, int, Plan, dt.date]]:
    """The store (with its change count, for the compare-and-swap), its current plan and DATE,
    refused when after today, for a command about one day."""
    with open_store(db) as store:
        expect = store.changes()
        plan = store.current()[0]
        day = parse_day(raw_day, "DATE")
        not_ahead(plan, day, raw_day, today)
        yield store, expect, plan, day


def _morning_pain(db: Path, raw_day: str, value: int, now: dt.datetime, today: Today) -> Logged:
    with _on_day(db, raw_day, today) as (store, expect, plan, day):
        last_morning = plan.end + dt.timedelta(days=1)
        session = _latest_before(plan, day) if day <= last_morning else None
        if session is None:
            first = plan.sessions[0].start if plan.sessions else None
            raise InputError("DATE", raw_day, "a morning after a session, from the day after "
                             f"the first one ({first:%a %Y-%m-%d}) to {last_morning}"
                             if first else "a morning after a session (the plan has none)")
        log = store.athlete_log(plan.plan_id)
        was = dict(log.mornings).get(day)
        mornings = tuple(sorted({**dict(log.mornings), day: value}.items()))
        replaced = _replacing(day, was, value, lambda v: f"morning pain {v}/10")
        return _logged(store, plan.plan_id, dataclasses.replace(log, mornings=mornings),
                       lambda: store.record_morning(plan.plan_id, day, value, now,
                                                    expect=expect),
                       now, f"logged pain {value}/10 on the morning of {day}", [session],
                       replaced=replaced)


def _replacing(day: dt.date, was: _V | None, new: _V, words: Callable[[_V], str]) -> list[str]:
    """What a repeat entry for ``day`` says: what it replaces, or that nothing changed."""
    if was is None:
        return []
    if was != new:
        return [f"{day}: replaces {words(was)}"]
    return [f"{day}: already so logged ({words(was)}); nothing changed"]


def screen(db: Path, raw_day: str, passed: bool, now: dt.datetime,
           today: Today | None = None) -> Logged:
    """``screen DATE --passed|--failed``: a readiness screen; a pass clears jumping. A day
    after ``today`` (default: ``now``'s date in the plan's zone) is refused."""
    return retry_once(lambda: _screen(db, raw_day, passed, now, now if today is None else today))


def _screen(db: Path, raw_day: str, passed: bool, now: dt.datetime, today: Today) -> Logged:
    with _on_day(db, raw_day, today) as (store, expect, plan, day):
        if not plan.start - dt.timedelta(days=7) <= day <= plan.end:
            raise InputError("DATE", raw_day, f"a date within the plan, {plan.start} to "
                             f"{plan.end}")
        log = store.athlete_log(plan.plan_id)
        if passed:
            from planner.training.adapt import screen_refusal

            refused = screen_refusal(default_monitoring(), log, day)
            if refused:
                raise InputError("DATE", raw_day, refused)
        was = dict(log.screens).get(day)
        screens = tuple(sorted({**dict(log.screens), day: passed}.items()))
        word = "passed" if passed else "not passed"
        replaced = _replacing(day, was, passed,
                              lambda v: f"a screen {'passed' if v else 'not passed'}")
        return _logged(store, plan.plan_id, dataclasses.replace(log, screens=screens),
                       lambda: store.record_screen(plan.plan_id, day, passed, now,
                                                   expect=expect),
                       now, f"logged readiness screen {word} on {day}", [],
                       replaced=replaced)


PLACE_CHARS = 60


@dataclass(frozen=True)
class Cramped:
    logged: Logged
    day: dt.date
    count: int                       # cramps logged that day, this one included
    advice: tuple[str, ...]          # what to do now, then the summary (and doctor) lines


def cramp(db: Path, raw_day: str, during: bool, where: str | None, now: dt.datetime,
          today: Today | None = None) -> Cramped:
    """``cramp DATE [--during] [--where TEXT]``: one more cramp on DATE (``--during``: in that
    day's session). A day after ``today`` (default: ``now``'s date in the plan's zone), a day
    more than a week outside the plan, ``--during`` on a day without a session and a place
    that is not one short line are refused."""
    place = None if where is None else where.strip()
    if place is not None and not (0 < len(place) <= PLACE_CHARS and place.isprintable()):
        raise InputError("--where", where, f"1 to {PLACE_CHARS} printable characters on one "
                         "line, where the cramp was (e.g. inner thigh)")
    return retry_once(lambda: _cramp(db, raw_day, during, place, now,
                                     now if today is None else today))


def _cramp(db: Path, raw_day: str, during: bool, place: str | None, now: dt.datetime,
           today: Today) -> Cramped:
    from planner.views.cramps import cramp_lines

    with _on_day(db, raw_day, today) as (store, expect, plan, day):
        week = dt.timedelta(days=7)
        if not plan.start - week <= day <= plan.end + week:
            raise InputError("DATE", raw_day, f"a date from {plan.start - week} to "
                             f"{plan.end + week} (the plan and a week either side)")
        sessions = [s for s in plan.sessions if plan.local_date(s) == day]
        if during and not sessions:
            raise InputError("--during", raw_day, "a day with a session (leave --during out "
                             "for a cramp outside training)")
        log = store.athlete_log(plan.plan_id)
        was = next((c for c in log.cramps if c.day == day), None)
        now_day = CrampDay(day, (was.count if was else 0) + 1,
                           during or bool(was and was.during),
                           place if place is not None else (was.place if was else None))
        cramps = tuple(sorted([*(c for c in log.cramps if c.day != day), now_day],
                              key=lambda c: c.day))
        logged = _logged(store, plan.plan_id, dataclasses.replace(log, cramps=cramps),
                         lambda: store.record_cramp(plan.plan_id, day, during, place, now,
                                                    expect=expect),
                         now, f"logged a cramp on {day}", sessions if during else [])
    rules = default_monitoring()
    return Cramped(logged, day, now_day.count,
                   (rules.cramp, *cramp_lines(cramps, rules, day)))


#: An entry's id is its kind and date (``done:2027-01-11``): the kinds and their tables.
ENTRY_KINDS = {"done": "log", "missed": "log", "pain": "morning", "screen": "screens",
               "cramp": "cramps"}


def log_entries(log: AthleteLog) -> list[tuple[str, str]]:
    """Every entry of the log as (id, words), in date order: what ``periodize log`` lists and
    ``log rm ID`` takes."""
    found: list[tuple[dt.date, str, str]] = [
        (e.day, f"{e.status}:{e.day}", entry_words(e)) for e in log.sessions]
    found += [(day, f"pain:{day}", f"morning pain {pain}/10") for day, pain in log.mornings]
    found += [(day, f"screen:{day}", "readiness screen " + ("passed" if passed else
                                                              "not passed"))
              for day, passed in log.screens]
    found += [(c.day, f"cramp:{c.day}", f"{c.count} cramp{'s' if c.count > 1 else ''}"
               + (" (during a session)" if c.during else "")) for c in log.cramps]
    return [(entry_id, words) for _, entry_id, words in sorted(found)]


def listed(db: Path) -> tuple[str, list[tuple[str, str]]]:
    """``periodize log``: the athlete's name and every log entry as (id, words)."""
    with open_store(db) as store:
        plan = store.current()[0]
        return plan.name, log_entries(store.athlete_log(plan.plan_id))


def remove(db: Path, ids: Sequence[str], now: dt.datetime) -> Logged:
    """``periodize log rm ID ...``: take entries out of the log by id (``kind:DATE``, as
    ``periodize log`` lists them); the plan is re-dosed from the rest in one revision, which
    ``undo`` takes back. An id the log does not hold is refused with those it holds."""
    return retry_once(lambda: _remove(db, ids, now))


def _remove(db: Path, ids: Sequence[str], now: dt.datetime) -> Logged:
    with open_store(db) as store:
        expect = store.changes()
        plan = store.current()[0]
        log = store.athlete_log(plan.plan_id)
        held = dict(log_entries(log))
        wanted = list(dict.fromkeys(i.strip().lower() for i in ids))
        for entry_id in wanted:
            if entry_id not in held:
                from planner.errors import closest

                raise InputError("ID", entry_id, "an entry id as `periodize log` lists it, "
                                 "kind:YYYY-MM-DD (" + (", ".join(list(held)[:4]) + (
                                     ", ..." if len(held) > 4 else "") if held else
                                     "the log is empty") + ")" + closest(entry_id, list(held)))
        gone = {(i.split(":")[0], dt.date.fromisoformat(i.split(":")[1])) for i in wanted}
        new_log = dataclasses.replace(
            log, sessions=tuple(e for e in log.sessions if (e.status, e.day) not in gone),
            mornings=tuple(m for m in log.mornings if ("pain", m[0]) not in gone),
            screens=tuple(x for x in log.screens if ("screen", x[0]) not in gone),
            cramps=tuple(c for c in log.cramps if ("cramp", c.day) not in gone))
        rows = [(ENTRY_KINDS[kind], day) for kind, day in sorted(gone)]
        said = [f"removed {i}: {held[i]}" for i in wanted]
        sessions = [s for s in plan.sessions if (plan.local_date(s) in {d for k, d in gone
                                                                       if k in ("done", "missed")})]
        return _logged(store, plan.plan_id, new_log,
                       lambda: store.remove_entries(plan.plan_id, rows, expect=expect), now,
                       "removed " + " ".join(wanted), sessions, replaced=said)


def session_for(db: Path, day: dt.date | None, now: dt.datetime) -> tuple[Session | None, dt.date]:
    """The session on ``day`` (default: today in the plan's zone), else the next one not
    missed (None after the last), and the day asked about; dosed as of the day before it
    (issue 23 §5: past sessions without a log hold the levels, and after two of them the
    session asks for the log)."""
    from planner.training.plan_as_of import plan_as_of

    with open_store(db) as store:
        plan = plan_as_of(store, day or now).plan
    tz = plan.tz
    day = day or plan.today(now)
    ahead = [s for s in plan.sessions if s.start.astimezone(tz).date() >= day]
    return next((s for s in ahead if s.start.astimezone(tz).date() == day),
                next((s for s in ahead if s.status != "missed"), None)), day


def today(db: Path, asked: dt.date | None, now: dt.datetime) -> str:
    """``today [--date DATE]``: that day's session, else the next, with the lines to log it."""
    from planner.calendars.export.session_text import session_text
    from planner.training.session_types import TYPES

    session, day = session_for(db, asked, now)
    if session is None:
        return f"No sessions on or after {day:%a %-d %b %Y}: the plan is over."
    local = session.start
    when = "Today" if local.date() == day else "Next session"
    head = (f"{when}: {local:%a %-d %b %Y}, {local:%H:%M}–{session.end:%H:%M} · "
            f"{TYPES[session.session_type].label}")
    if session.status != "planned":
        head += f" ({session.status})"
    catalog = default_catalog()
    ids = [e.id for e in (catalog.of_dose(d.name) for d in session.exercises
                          if d.kind == "strength") if e is not None]
    date = local.date().isoformat()
    log = [f"Log it:    periodize done {date} --rpe N --pain N"]
    if ids:
        log.append(f"           --not-met ID if a level rule was not met ({ids[0]}, ... or all)")
    log.append(f"Next day:  periodize pain {local.date() + dt.timedelta(days=1)} N"
               "   (knee pain on waking, 0-10)")
    return "\n".join([head, "", session_text(session, catalog.safety_note), "", *log])


def screen_items() -> str:
    """The readiness screen, as the athlete reads it."""
    rules = default_monitoring()
    lines = ["Readiness screen (all must pass, pain at most 3/10 throughout):"]
    lines += [f"  {i}. {item}" for i, item in enumerate(rules.screen, 1)]
    lines += ["Record it: periodize screen DATE --passed   (or --failed)"]
    return "\n".join(lines)
