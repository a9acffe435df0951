"""The plan's days as every view shows them: one ``Day`` per calendar day of the plan, grouped
in weeks from the plan's first weekday, with the phase each week carries. Shared by the terminal
grid and the HTML report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from planner.store.plan import Plan, Session
from planner.store.profile import DAY_NAMES, Profile
from planner.training.session_types import TYPES

LIGHTER_PHASES = ("deload", "taper")
TODAY_MARK = "▶"


@dataclass(frozen=True)
class Day:
    """One calendar day of the plan as the grid and the report show it."""

    date: dt.date
    week: int
    sessions: tuple[Session, ...]
    rest: bool          # a rest day in the profile
    open: bool          # the profile has a training window that weekday
    today: bool


def abbreviation(session: Session) -> str:
    return TYPES[session.session_type].abbreviation


def weekday_columns(plan: Plan) -> list[str]:
    """'Mon' .. 'Sun' from the plan's first weekday: the columns of every calendar view."""
    first = plan.start.weekday()
    return [DAY_NAMES[(first + offset) % 7][:3] for offset in range(7)]


def plan_days(plan: Plan, profile: Profile, today: dt.date | None) -> list[list[Day]]:
    """The plan's days, one list of seven per week, starting on the plan's first day."""
    if isinstance(today, dt.datetime):
        today = today.date()
    rest = set(profile.rest_days)
    open_days = {d for d, windows in enumerate(profile.availability) if windows} - rest
    by_date: dict[dt.date, list[Session]] = {}
    for s in sorted(plan.sessions, key=lambda s: s.start.astimezone(dt.UTC)):
        by_date.setdefault(plan.local_date(s), []).append(s)
    weeks = []
    for week in range(1, plan.weeks + 1):
        days = []
        for offset in range(7):
            date = plan.start + dt.timedelta(days=7 * (week - 1) + offset)
            days.append(Day(date, week, tuple(by_date.get(date, ())), date.weekday() in rest,
                            date.weekday() in open_days, date == today))
        weeks.append(days)
    return weeks


def week_phases(plan: Plan) -> dict[int, str]:
    """Calendar week -> the template phase whose doses it carries (foundation, deload, ...)."""
    from catalog import default_catalog
    from planner.training.program import template_week

    catalog = default_catalog()
    phases = {}
    for week in range(1, plan.weeks + 1):
        sessions = plan.week_sessions(week)
        program_week = sessions[0].program_week if sessions else week
        phases[week] = template_week(catalog, program_week)[0].phase
    return phases
