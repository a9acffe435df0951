"""The terminal calendar grid and the weekly load chart (``periodize show`` views)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest
from factories import NOW

from catalog import default_catalog
from planner.calendars.export.tables import weekly_frame
from planner.store.plan import Plan, Session
from planner.store.profile import Profile, profile_from_dict
from planner.views.terminal_grid import load_chart, plan_grid
from planner.workflows.generate import build_plan

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ABBR = {"jumps": "J", "strength": "S", "combined": "J+S", "stretch": "Mob"}
MARKER = re.compile(r"(?<![\w+])(J\+S|J|S|Mob) \d\d:\d\d\b")
# Starts on a Wednesday so the columns must start there too; Thursday has no window; Sunday rests.
RAW: dict[str, Any] = {
    "name": "Grid", "timezone": "Europe/London", "start": "2027-01-06", "weeks": 8,
    "level": "beginner", "rest_days": ["sun"],
    "availability": {"mon": ["18:00-20:00"], "tue": ["18:30-20:00"],
                     "wed": ["07:00-08:00", "18:00-20:00"], "fri": ["17:30-19:00"],
                     "sat": ["09:00-12:00"]},
}


@pytest.fixture(scope="module")
def planned() -> tuple[Plan, Profile]:
    profile = profile_from_dict(RAW)
    plan, _ = build_plan(profile, default_catalog(), [], NOW)
    return plan, profile


def with_statuses(plan: Plan, statuses: dict[int, str]) -> Plan:
    ordered = sorted(plan.sessions, key=lambda s: s.start)
    changed = {ordered[i].uid: status for i, status in statuses.items()}
    return dataclasses.replace(plan, sessions=tuple(
        dataclasses.replace(s, status=changed[s.uid]) if s.uid in changed else s
        for s in plan.sessions))


def cells(grid: str) -> tuple[list[str], dict[int, list[tuple[str, str]]]]:
    """(weekday headers, week -> seven (date line, session lines) pairs) from a plain grid."""
    lines = [line for line in grid.splitlines() if "│" in line]
    headers = [part.strip() for part in lines[0].split("│")[1:]]
    weeks: dict[int, list[tuple[str, str]]] = {}
    week = 0
    for line in lines[1:]:
        parts = line.split("│")
        if parts[0].strip().isdigit():
            week = int(parts[0])
            weeks[week] = [(p, "") for p in parts[1:]]
        else:
            weeks[week] = [(d, s + "\n" + p) for (d, s), p in zip(weeks[week], parts[1:],
                                                                    strict=True)]
    return headers, weeks


def cell_of(plan: Plan, session: Session) -> tuple[int, int]:
    day = session.start.date()
    offset = (day - plan.start).days
    return offset // 7 + 1, offset % 7


def table_part(grid: str) -> str:
    return "\n".join(line for line in grid.splitlines() if "│" in line)


def test_every_session_appears_in_its_own_cell(planned: tuple[Plan, Profile]) -> None:
    plan, profile = planned
    grid = plan_grid(plan, profile, None, color=False)
    headers, weeks = cells(grid)
    assert headers == ["Wed", "Thu", "Fri", "Sat", "Sun", "Mon", "Tue"]
    assert sorted(weeks) == list(range(1, 9))
    assert len(MARKER.findall(table_part(grid))) == len(plan.sessions)
    for s in plan.sessions:
        week, column = cell_of(plan, s)
        date_line, session_lines = weeks[week][column]
        assert f"{s.start.day} {s.start:%b}" in date_line
        assert f"{ABBR[s.session_type]} {s.start:%H:%M}" in session_lines, (s.start, grid)


@pytest.mark.parametrize("color", [False, True])
def test_fits_80_columns(planned: tuple[Plan, Profile], color: bool) -> None:
    plan, profile = planned
    plan = with_statuses(plan, {0: "done", 1: "missed"})
    grid = plan_grid(plan, profile, plan.start + dt.timedelta(days=9), width=80, color=color)
    plain = ANSI.sub("", grid)
    assert max(len(line) for line in plain.splitlines()) <= 80
    assert ("\x1b[" in grid) is color


def test_no_escapes_when_color_is_false(planned: tuple[Plan, Profile],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    plan, profile = planned
    assert "\x1b" not in plan_grid(plan, profile, plan.start, color=False)


def test_no_color_env_and_non_terminal_mean_no_escapes(
        planned: tuple[Plan, Profile], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    plan, profile = planned
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    assert "\x1b" not in plan_grid(plan, profile, plan.start)      # captured: not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")                         # rich now sees a terminal
    assert "\x1b[" in plan_grid(plan, profile, plan.start)
    monkeypatch.setenv("NO_COLOR", "1")
    grid = plan_grid(plan, profile, plan.start)
    assert "\x1b" not in grid
    assert "▶" in grid                                             # marks survive without colour


def test_today_is_marked_in_its_cell(planned: tuple[Plan, Profile]) -> None:
    plan, profile = planned
    session = sorted(plan.sessions, key=lambda s: s.start)[5]
    today = session.start.date()
    grid = plan_grid(plan, profile, today, color=False)
    week, column = cell_of(plan, session)
    _, weeks = cells(grid)
    assert "▶" in weeks[week][column][0]
    assert table_part(grid).count("▶") == 1
    coloured = plan_grid(plan, profile, today, color=True)
    assert "\x1b[7m" in coloured or ";7m" in coloured or ";7;" in coloured   # reverse video


def test_today_outside_the_plan_is_said(planned: tuple[Plan, Profile]) -> None:
    plan, profile = planned
    grid = plan_grid(plan, profile, plan.start - dt.timedelta(days=3), color=False)
    assert "▶" not in table_part(grid)
    assert "before the plan starts" in grid


def test_rest_days_and_days_without_windows_differ(planned: tuple[Plan, Profile]) -> None:
    plan, profile = planned
    headers, weeks = cells(plan_grid(plan, profile, None, color=False))
    sunday, thursday = headers.index("Sun"), headers.index("Thu")
    for week in weeks.values():
        assert week[sunday][1].strip() == "rest"
        assert week[thursday][1].strip() == "·"


def test_missed_and_done_sessions_are_marked(planned: tuple[Plan, Profile]) -> None:
    plan, profile = planned
    ordered = sorted(plan.sessions, key=lambda s: s.start)
    marked = with_statuses(plan, {0: "done", 1: "done", 2: "missed"})
    grid = plan_grid(marked, profile, None, color=False)
    _, weeks = cells(grid)
    table = table_part(grid)
    assert table.count("✗") == 1 and table.count("✓") == 2
    week, column = cell_of(plan, ordered[2])
    assert "✗" in weeks[week][column][0]
    week, column = cell_of(plan, ordered[0])
    assert "✓" in weeks[week][column][0]
    assert "✗" not in table_part(plan_grid(plan, profile, None, color=False))


def test_legend_explains_the_marks(planned: tuple[Plan, Profile]) -> None:
    plan, profile = planned
    legend = plan_grid(plan, profile, None, color=False).split("\n")[-4:]
    text = " ".join(legend)
    for word in ("jumps", "strength", "rest day", "no window", "today", "done", "missed",
                 "4 deload", "8 taper"):
        assert word in text


def test_load_chart_rows_bars_and_lighter_weeks(planned: tuple[Plan, Profile]) -> None:
    plan, _ = planned
    chart = load_chart(plan)
    rows = [line for line in chart.splitlines() if re.match(r"^\s*\d+ ", line)]
    assert len(rows) == 8
    assert max(len(line) for line in chart.splitlines()) <= 80
    eighths = {c: i + 1 for i, c in enumerate("▏▎▍▌▋▊▉█")}
    bars = [sum(eighths.get(c, 0) for c in row) for row in rows]
    loads = [int(v) for v in weekly_frame(plan)["load"]]
    assert bars.index(max(bars)) == loads.index(max(loads))
    assert all(b > 0 for b in bars)
    assert "deload" in rows[3] and "↓" in rows[3]
    assert "taper" in rows[7] and "↓" in rows[7]
    assert not any("↓" in row for i, row in enumerate(rows) if i not in (3, 7))
    for row, (_, r) in zip(rows, weekly_frame(plan).iterrows(), strict=True):
        numbers = [int(n) for n in row.split()[-3:]]
        assert numbers == [int(r["load"]), int(r["foot_contacts"]), int(r["minutes"])]
