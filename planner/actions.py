"""What each command does, as library functions: the CLI parses options, calls one of these and
prints the result. Nothing here reads the clock; callers pass ``now``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from catalog import Catalog, default_catalog
from planner.errors import InputError
from planner.export.files import check_writable, write_atomic
from planner.plan import Plan
from planner.profile import Profile, load_profile
from planner.program import TYPES, session_minutes
from planner.solve import SolveStats
from planner.store import open_store

if TYPE_CHECKING:
    from planner.busy import BusyInterval

FORMATS = ("ics", "json", "csv")


@dataclass(frozen=True)
class Generated:
    plan: Plan
    stats: SolveStats
    output: Path | None


def shortest_session(catalog: Catalog) -> int:
    return min(session_minutes(catalog, level, t, warmup)
               for level in catalog.levels for t in TYPES for warmup in (False, True))


def read_profile(path: Path, catalog: Catalog) -> Profile:
    return load_profile(path, shortest_session(catalog))


def read_busy(profile: Profile, extra: Sequence[Path] = (),
              first_day: dt.date | None = None) -> list[BusyInterval]:
    """Busy intervals from the profile's calendars and any given on the command line."""
    from planner.busy import read_busy_file

    buffer = dt.timedelta(minutes=profile.busy_buffer_minutes)
    first = first_day or profile.start
    intervals: list[BusyInterval] = []
    for path in (*profile.busy, *extra):
        intervals += read_busy_file(path, profile.tz, first, profile.end, buffer)
    return intervals


def generate(profile_path: Path, db: Path, output: Path | None, now: dt.datetime,
             busy: Sequence[Path] = ()) -> Generated:
    """Solve a plan for the profile, store it as a new revision and write its calendar."""
    from planner.generate import build_plan

    catalog = default_catalog()
    profile = read_profile(profile_path, catalog)
    if output is not None:
        check_writable(output)
    intervals = read_busy(profile, busy)
    plan, stats = build_plan(profile, catalog, intervals, now)
    with open_store(db, create=True) as store:
        plan = store.save(plan, profile.to_dict(), f"generated from {profile_path.name}")
    if output is not None:
        write_plan(plan, output, "ics")
    return Generated(plan, stats, output)


def render(plan: Plan, fmt: str) -> bytes:
    if fmt == "ics":
        from planner.export.ics import plan_calendar

        return plan_calendar(plan, default_catalog().safety_note)
    from planner.export.tables import plan_csv, plan_json

    return (plan_json(plan) if fmt == "json" else plan_csv(plan)).encode()


def write_plan(plan: Plan, output: Path, fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError("--format", fmt, "one of " + ", ".join(FORMATS))
    write_atomic(output, render(plan, fmt))


def current_plan(db: Path) -> Plan:
    with open_store(db) as store:
        return store.current()[0]


def show(db: Path, week: int | None, fmt: str) -> str:
    """The plan as a table, CSV or JSON, optionally one week of it."""
    plan = current_plan(db)
    if week is not None and not 1 <= week <= plan.weeks:
        raise InputError("--week", week, f"a week from 1 to {plan.weeks}")
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


def export(db: Path, output: Path | None, fmt: str) -> bytes:
    """Write the current plan to ``output`` (atomically), or return it for standard output."""
    if fmt not in FORMATS:
        raise InputError("--format", fmt, "one of " + ", ".join(FORMATS))
    plan = current_plan(db)
    if output is not None:
        write_plan(plan, output, fmt)
        return b""
    return render(plan, fmt)
