"""The nights the clocks change: a window that opens in the repeated hour (fold) or spans the
missing one (gap), in zones that shift by an hour (London, New York), by half an hour (Lord
Howe) and at a quarter to the hour (Chatham). Through generate, export, sync and batch, every
session ends after it starts in real time, and a second reader (the ``ical`` package) reads
each event at the instant the plan holds: iCalendar reads an ambiguous local time as its first
occurrence, so no session may start or end in the second one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from factories import NOW, profile_toml
from ical.calendar_stream import IcsCalendarStream
from radicale_fixture import server_events

import cli
from planner import commands
from planner.store.plan import BASELINE, Plan
from planner.training.validate import check_plan
from planner.workflows.batch import OK, run_batch

# (zone, the Monday before the change, the Sunday window, which night)
NIGHTS = [
    ("Europe/London", "2027-10-25", "01:30-04:00", "fold"),        # 01:00-02:00 twice
    ("Europe/London", "2027-03-22", "00:30-03:00", "gap"),         # 01:00-02:00 missing
    ("America/New_York", "2027-11-01", "01:30-04:00", "fold"),     # 01:00-02:00 twice
    ("America/New_York", "2027-03-08", "01:30-04:00", "gap"),      # 02:00-03:00 missing
    ("Australia/Lord_Howe", "2027-03-29", "01:30-04:00", "fold"),  # 01:30-02:00 twice
    ("Australia/Lord_Howe", "2027-09-27", "01:30-03:30", "gap"),   # 02:00-02:30 missing
    ("Pacific/Chatham", "2027-03-29", "03:00-05:30", "fold"),      # 02:45-03:45 twice
    ("Pacific/Chatham", "2027-09-20", "02:30-05:00", "gap"),       # 02:45-03:45 missing
]
IDS = [f"{zone.split('/')[1]}-{night}" for zone, _, _, night in NIGHTS]


def night_profile(zone: str, monday: str, window: str) -> dict[str, Any]:
    """One week whose only free times are Wednesday evening and the night of the change: with one
    jump and one strength session a week, the Sunday night is used."""
    return {"name": f"Night owl {zone}", "timezone": zone, "start": dt.date.fromisoformat(monday),
            "weeks": 1, "rest_days": None,
            "availability": {"wed": ["18:00-20:00"], "sun": [window]},
            "plyometrics": {"sessions_per_week": [1, 1]},
            "strength": {"sessions_per_week": [1, 1]}}


def write_night(folder: Path, zone: str, monday: str, window: str, stem: str = "profile") -> Path:
    path = folder / f"{stem}.toml"
    path.write_text(profile_toml(**night_profile(zone, monday, window)), encoding="utf-8")
    return path


def read_back(data: str, zone: str) -> list[tuple[dt.datetime, dt.datetime]]:
    """(start, end) of every timed event in UTC, as the ``ical`` package reads the calendar (the
    all-day PSFS check-ins have no instants)."""
    calendar = IcsCalendarStream.calendar_from_ics(data)
    spans = []
    for event in calendar.events:
        start, end = event.dtstart, event.dtend
        if not isinstance(start, dt.datetime):
            assert str(event.summary).startswith("PSFS check-in")
            continue
        assert isinstance(start, dt.datetime) and isinstance(end, dt.datetime)
        spans.append((start.astimezone(dt.UTC), end.astimezone(dt.UTC)))
    return sorted(spans)


def plan_spans(plan: Plan) -> list[tuple[dt.datetime, dt.datetime]]:
    """The sessions' and the baseline tests' spans in UTC."""
    return sorted((s.start.astimezone(dt.UTC), s.end.astimezone(dt.UTC))
                  for s in (*plan.sessions, *plan.checks_of(BASELINE)))


def assert_sound(plan: Plan, zone: str, monday: str) -> None:
    tz = ZoneInfo(zone)
    sunday = dt.date.fromisoformat(monday) + dt.timedelta(days=6)
    assert any(s.start.astimezone(tz).date() == sunday for s in plan.sessions), \
        "the night of the change is used"
    for s in plan.sessions:
        start, end = s.start.astimezone(tz), s.end.astimezone(tz)
        assert end.astimezone(dt.UTC) > start.astimezone(dt.UTC)
        assert end.replace(tzinfo=None) > start.replace(tzinfo=None), "ends after it starts"
        assert (start.fold, end.fold) == (0, 0), "no time in the repeated hour's second pass"


@pytest.mark.parametrize(("zone", "monday", "window", "night"), NIGHTS, ids=IDS)
def test_generate_and_export_on_the_night_the_clocks_change(
        tmp_path: Path, zone: str, monday: str, window: str, night: str) -> None:
    db, out = tmp_path / "plan.db", tmp_path / "plan.ics"
    profile = write_night(tmp_path, zone, monday, window)
    result = CliRunner().invoke(cli.main, ["--db", str(db), "generate", str(profile),
                                           "-o", str(out)])
    assert result.exit_code == 0, result.output
    plan = commands.current_plan(db)
    assert_sound(plan, zone, monday)
    assert check_plan(plan, commands.read_profile(profile, _catalog())) == []
    assert read_back(out.read_text(encoding="utf-8"), zone) == plan_spans(plan)
    exported = CliRunner().invoke(cli.main, ["--db", str(db), "export"])
    assert exported.exit_code == 0, exported.output
    assert read_back(exported.stdout, zone) == plan_spans(plan)
    as_json = json.loads(commands.export(db, None, "json"))
    assert [s["minutes"] for s in as_json["sessions"]] == [s.minutes for s in plan.sessions]


@pytest.mark.caldav
@pytest.mark.parametrize(("zone", "monday", "window", "night"), NIGHTS, ids=IDS)
def test_sync_on_the_night_the_clocks_change(
        tmp_path: Path, radicale_url: str, caldav_calendar_name: str, zone: str, monday: str,
        window: str, night: str) -> None:
    db = tmp_path / "plan.db"
    plan = commands.generate(write_night(tmp_path, zone, monday, window), db, None, NOW).plan
    report = commands.sync(db, radicale_url, "athlete", "x", caldav_calendar_name)
    assert len(report.created) == len(plan.sessions) + len(plan.checks)
    held = server_events(radicale_url, caldav_calendar_name)
    assert set(held) == {s.uid for s in (*plan.sessions, *plan.checks)}
    spans = []
    for copies in held.values():
        event = copies[0][2]
        data = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + \
            event.to_ical().decode() + "END:VCALENDAR\r\n"
        # The server's copy carries its VTIMEZONE separately; the ical reader resolves the TZID
        # from the IANA database, as calendar clients do.
        spans += read_back(data, zone)
    assert sorted(spans) == plan_spans(plan)


def test_batch_plans_every_night(tmp_path: Path) -> None:
    roster = tmp_path / "roster"
    roster.mkdir()
    for index, (zone, monday, window, _) in enumerate(NIGHTS):
        write_night(roster, zone, monday, window, stem=f"night-{index}")
    summary = run_batch(roster, tmp_path / "out", NOW, jobs=1)
    assert [r.status for r in summary.results] == [OK] * len(NIGHTS), summary.results
    assert (tmp_path / "out" / "summary.csv").exists()
    for index, (zone, monday, _, _) in enumerate(NIGHTS):
        plan = commands.current_plan(tmp_path / "out" / f"night-{index}.db")
        assert_sound(plan, zone, monday)
        data = (tmp_path / "out" / f"night-{index}.ics").read_text(encoding="utf-8")
        assert read_back(data, zone) == plan_spans(plan)


def _catalog() -> Any:
    from catalog import default_catalog

    return default_catalog()
