"""The plan's days as every view shows them: one ``Day`` per calendar day of the plan, grouped
in weeks from the plan's first weekday, with the phase each week carries. Shared by the terminal
grid and the HTML report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from planner.plan import Plan, Session

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ABBREVIATIONS = {"jumps": "J", "strength": "S", "combined": "J+S", "stretch": "Mob"}
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
    return ABBREVIATIONS.get(session.session_type, session.session_type[:3].capitalize())


def _weekday_index(key: Any) -> int | None:
    word = str(key).strip().lower()[:3]
    return WEEKDAY_KEYS.index(word) if word in WEEKDAY_KEYS else None


def profile_days(profile: Mapping[str, Any]) -> tuple[frozenset[int], frozenset[int]]:
    """(rest weekdays, weekdays with at least one window) from the stored profile dict."""
    rest = {i for d in profile.get("rest_days", []) or [] if (i := _weekday_index(d)) is not None}
    windows = profile.get("availability", {}) or {}
    open_days = {i for key, value in windows.items()
                 if value and (i := _weekday_index(key)) is not None}
    return frozenset(rest), frozenset(open_days - rest)


def local_date(plan: Plan, session: Session) -> dt.date:
    return session.start.astimezone(ZoneInfo(plan.timezone)).date()


def plan_days(plan: Plan, profile: Mapping[str, Any], today: dt.date | None) -> list[list[Day]]:
    """The plan's days, one list of seven per week, starting on the plan's first day."""
    if isinstance(today, dt.datetime):
        today = today.date()
    rest, open_days = profile_days(profile)
    by_date: dict[dt.date, list[Session]] = {}
    for s in sorted(plan.sessions, key=lambda s: s.start):
        by_date.setdefault(local_date(plan, s), []).append(s)
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
    from planner.program import template_week

    catalog = default_catalog()
    phases = {}
    for week in range(1, plan.weeks + 1):
        sessions = plan.week_sessions(week)
        program_week = sessions[0].program_week if sessions else week
        phases[week] = template_week(catalog, program_week)[0].phase
    return phases
