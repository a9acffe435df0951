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
from planner.logbook import _plan_end
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


def record(db: Path, raw_days: Sequence[str], status: str, kind: str | None,
           now: dt.datetime) -> list[Session]:
    """Log sessions as done (as prescribed) or missed; see ``planner.logbook`` for the rest."""
    from planner import logbook

    logged = (logbook.done(db, raw_days, now) if status == "done"
              else logbook.missed(db, raw_days, kind, now))
    return list(logged.sessions)


@dataclass(frozen=True)
class Replan:
    plan: Plan
    saved: bool
    result: Replanned
    redosed: tuple[str, ...] = ()     # how the log re-dosed the new forecast, in words


def replan(db: Path, today: dt.date | None, profile_path: Path | None, output: Path | None,
           now: dt.datetime, keep_end: bool = False, busy: Sequence[Path] = ()) -> Replan:
    """Re-solve the future around what happened; store a new revision if anything changed."""
    from zoneinfo import ZoneInfo

    from planner.profile import profile_from_dict
    from planner.replan import replan as solve_again

    catalog = default_catalog()
    with open_store(db) as store:
        stored = store.current()[1]
        plan = store.forecast()      # replan the forecast; the log re-doses the result
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
        from planner.logbook import redose

        new, said, saved = redose(store, store.athlete_log(plan.plan_id), now,
                                  f"replanned on {day}", result.plan, profile.to_dict())
    if output is not None:
        write_plan(new, output, "ics")
    return Replan(new, saved, result, said)


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


def sync(db: Path, url: str, user: str, password: str, calendar: str | None,
         replace: bool = False) -> SyncReport:
    """Make the CalDAV calendar hold exactly the current plan (one resource per session),
    touching only this plan's events; ``replace``: another plan's events there are replaced."""
    from planner.export.ics import session_resources
    from planner.sync import sync_calendar

    plan = current_plan(db)
    resources = session_resources(plan, default_catalog().safety_note)
    return sync_calendar(resources, url=url, user=user, password=password,
                         calendar_name=calendar or f"periodize · {plan.name}",
                         plan_id=plan.plan_id, replace=replace)


def sync_google(db: Path, calendar: str | None, client_secret: Path | None) -> SyncReport:
    """Make periodize's Google calendar hold exactly the current plan (see google_sync): sign
    in (saved token, else browser consent), create the calendar on first use and remember it."""
    from planner.google_auth import require_extra

    require_extra()
    from planner import google_auth, google_sync

    with open_store(db) as store:
        plan = store.current()[0]
        key = calendar or ""
        token = google_auth.token_path()
        http = google_sync.new_http()
        with google_sync.transport_errors(), google_auth.refresh_errors(token):
            creds = google_auth.load_credentials(token, client_secret, http)
            signed_in = creds.token
            service = google_sync.calendar_service(creds, http)
            calendar_id = google_sync.open_calendar(
                service, store.google_calendar(key), calendar or plan.calendar_name,
                plan.timezone, follow_name=calendar is None,
                remember=lambda found: store.remember_google_calendar(key, found))
            report = google_sync.GoogleSync(service, plan, default_catalog().safety_note,
                                            calendar_id).run()
        if creds.token != signed_in:         # refreshed during the sync: keep the new one
            google_auth.save_token(token, creds)
    return report
