"""What each command does, as library functions: the CLI parses options, calls one of these and
prints the result. Nothing here reads the clock; callers pass ``now``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from catalog import Catalog, default_catalog
from planner.busy_sources import read_busy
from planner.dosing import shortest_session
from planner.errors import InputError
from planner.export.files import check_writable, write_atomic
from planner.export.formats import FORMATS, render, write_plan
from planner.plan import Plan, Session
from planner.profile import Profile, load_profile
from planner.store import Revision, open_store

if TYPE_CHECKING:
    from planner.replan import Replanned
    from planner.solve import Progress, SolveStats
    from planner.sync import SyncReport


@dataclass(frozen=True)
class Generated:
    plan: Plan
    stats: SolveStats
    output: Path | None


def read_profile(path: Path, catalog: Catalog) -> Profile:
    return load_profile(path, shortest_session(catalog))


def generate(profile_path: Path, db: Path, output: Path | None, now: dt.datetime,
             busy: Sequence[Path] = (), progress: Progress | None = None) -> Generated:
    """Solve a plan for the profile, store it as a new revision and write its calendar."""
    from planner.generate import plan_athlete

    catalog = default_catalog()
    profile = read_profile(profile_path, catalog)
    if output is not None:
        check_writable(output)
    plan, stats = plan_athlete(profile, catalog, db, output, now,
                               f"generated from {profile_path.name}", busy, progress)
    return Generated(plan, stats, output)


def current_plan(db: Path) -> Plan:
    with open_store(db) as store:
        return store.current()[0]


def show(db: Path, week: int | None, fmt: str, today: dt.date | None = None,
         chart: bool = False, color: bool | None = None) -> str:
    """The plan as a calendar grid (one week: a table), a table, CSV or JSON, or its weekly load
    as a chart; with done/missed marks."""
    with open_store(db) as store:
        stored, profile = store.current()
        plan = store.marked(stored)
    if week is not None and not 1 <= week <= plan.weeks:
        raise InputError("--week", week, f"a week from 1 to {plan.weeks}")
    if chart:
        from planner.views.terminal_grid import load_chart

        return load_chart(plan)
    if fmt == "grid" and week is None:
        from planner.views.terminal_grid import plan_grid

        return plan_grid(plan, profile, today, color=color)
    from planner.export.tables import plan_csv, plan_json, sessions_frame

    if fmt == "json":
        if week is None:
            return plan_json(plan)
        from dataclasses import replace

        return plan_json(replace(plan, sessions=plan.week_sessions(week)))
    if fmt == "csv":
        return plan_csv(plan, week)
    frame = sessions_frame(plan, week).drop(columns=["uid", "kinds"])
    return str(frame.to_string(index=False))


def report(db: Path, output: Path, today: dt.date | None) -> None:
    """Write the one-page HTML report (calendar, load chart, adherence, sessions)."""
    from planner.views.html_report import plan_report

    check_writable(output)
    with open_store(db) as store:
        stored, profile = store.current()
        plan = store.marked(stored)
    html = plan_report(plan, profile, today, default_catalog().safety_note)
    write_atomic(output, html.encode())


def export(db: Path, output: Path | None, fmt: str, google: bool = False) -> bytes:
    """Write the current plan to ``output`` (atomically), or return it for standard output."""
    if fmt not in FORMATS:
        raise InputError("--format", fmt, "one of " + ", ".join(FORMATS))
    if google and fmt != "ics":
        raise InputError("--google", fmt, "--google goes with --format ics")
    plan = current_plan(db)
    if output is not None:
        write_plan(plan, output, fmt, google)
        return b""
    return render(plan, fmt, google)


def parse_day(raw: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise InputError(field, raw, "a date like 2027-01-13") from None


def _plan_end(plan: Plan) -> dt.date:
    return plan.start + dt.timedelta(days=7 * plan.weeks - 1)


def record(db: Path, raw_days: Sequence[str], status: str, kind: str | None,
           now: dt.datetime) -> list[Session]:
    """Log sessions as done or missed. Every date is checked before anything is written."""
    from zoneinfo import ZoneInfo

    with open_store(db) as store:
        plan = store.current()[0]
        tz = ZoneInfo(plan.timezone)
        by_day = {s.start.astimezone(tz).date(): s for s in plan.sessions}
        found: list[Session] = []
        for raw in raw_days:
            day = parse_day(raw, "DATE")
            if not plan.start <= day <= _plan_end(plan):
                raise InputError("DATE", raw, f"a date within the plan, {plan.start} to "
                                 f"{_plan_end(plan)}")
            session = by_day.get(day)
            if session is None:
                near = sorted(by_day, key=lambda d: abs((d - day).days))[:2]
                raise InputError("DATE", raw, "a date with a session; the nearest are "
                                 + " and ".join(f"{d:%a %Y-%m-%d}" for d in sorted(near)))
            if kind is not None and kind not in session.kinds:
                raise InputError("--kind", kind, f"the session on {day} holds "
                                 + ", ".join(session.kinds))
            found.append(session)
        store.record(plan.plan_id, [s.start.astimezone(tz).date() for s in found], status, kind,
                     now)
    return found


@dataclass(frozen=True)
class Replan:
    plan: Plan
    saved: bool
    result: Replanned


def replan(db: Path, today: dt.date | None, profile_path: Path | None, output: Path | None,
           now: dt.datetime, keep_end: bool = False, busy: Sequence[Path] = ()) -> Replan:
    """Re-solve the future around what happened; store a new revision if anything changed."""
    from zoneinfo import ZoneInfo

    from planner.profile import profile_from_dict
    from planner.replan import replan as solve_again

    catalog = default_catalog()
    with open_store(db) as store:
        plan, stored = store.current()
        if profile_path is not None:
            profile = read_profile(profile_path, catalog)
            if profile.start != plan.start:
                raise InputError("--profile", str(profile_path), f"a profile with the plan's "
                                 f"start, {plan.start} (to start afresh, use generate)")
        else:
            profile = profile_from_dict(stored, shortest_session=shortest_session(catalog))
        day = today or now.astimezone(ZoneInfo(plan.timezone)).date()
        if not plan.start - dt.timedelta(days=7) <= day <= _plan_end(plan):
            raise InputError("--today", day.isoformat(), f"a date within the plan, "
                             f"{plan.start} to {_plan_end(plan)}")
        if output is not None:
            check_writable(output)
        longest = max(plan.program_weeks or (plan.weeks,))
        intervals = read_busy(profile, busy, first_day=max(day, plan.start),
                              last_day=max(_plan_end(plan), day + dt.timedelta(weeks=longest)))
        result = solve_again(plan, profile, catalog, store.log(plan.plan_id), intervals,
                             max(day, plan.start), now, keep_end,
                             profile.to_dict() != stored)
        saved = profile.to_dict() != stored or (result.plan.sessions, result.plan.program_weeks
                                                 ) != (plan.sessions, plan.program_weeks)
        new = store.save(result.plan, profile.to_dict(), f"replanned on {day}") if saved else plan
    if output is not None:
        write_plan(new, output, "ics")
    return Replan(new, saved, result)


def marked_plan(db: Path) -> Plan:
    """The current plan with the log's done/missed marks."""
    with open_store(db) as store:
        return store.marked(store.current()[0])


def history(db: Path) -> list[Revision]:
    with open_store(db) as store:
        return store.history()


def undo(db: Path) -> Revision:
    with open_store(db) as store:
        return store.undo()


def sync(db: Path, url: str, user: str, password: str, calendar: str | None) -> SyncReport:
    """Make the CalDAV calendar hold exactly the current plan (one resource per session)."""
    from planner.export.ics import session_resources
    from planner.sync import sync_calendar

    plan = current_plan(db)
    resources = session_resources(plan, default_catalog().safety_note)
    return sync_calendar(resources, url=url, user=user, password=password,
                         calendar_name=calendar or f"periodize · {plan.name}",
                         plan_id=plan.plan_id)
