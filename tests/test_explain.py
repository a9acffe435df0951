"""Weeks that cannot hold the program: no plan, and one line in the user's words naming the rule
and the cause (which days have room, for what), built on CP-SAT assumptions. Through the library
and through the CLI (exit 1, message on stderr, nothing written)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from factories import NOW, build, make_profile, write_profile

import cli
from planner.calendars.busy_sources import read_busy
from planner.errors import NoPlanPossible

LONDON = ZoneInfo("Europe/London")
PLYO_NONE = {"sessions_per_week": [0, 0]}


def refusal(profile_overrides: dict[str, Any], busy: list[Path] | None = None) -> str:
    """The NoPlanPossible message for a profile (defaults from factories), checked one line."""
    profile = make_profile(**profile_overrides)
    intervals = read_busy(profile, busy or [])
    with pytest.raises(NoPlanPossible) as caught:
        build(profile, intervals)
    message = str(caught.value)
    assert message.strip() and "\n" not in message
    assert caught.value.exit_code == 1
    return message


def busy_evenings(path: Path, days: list[dt.date], name: str = "Late shift") -> Path:
    """A calendar, made with icalendar, with an event 17:00-21:00 (London) on each day."""
    from icalendar import Calendar, Event

    events = [Event.new(uid=f"shift-{day.isoformat()}@test", stamp=NOW, summary=name,
                        start=dt.datetime.combine(day, dt.time(17), LONDON),
                        end=dt.datetime.combine(day, dt.time(21), LONDON)) for day in days]
    calendar = Calendar.new(prodid="-//periodize tests//EN", subcomponents=events)
    calendar.add_missing_timezones()
    path.write_bytes(calendar.to_ical())
    return path


# Week 3 of the default profile (start Mon 4 Jan 2027): Mon 18 - Sun 24 Jan 2027. Its evening
# windows are Monday, Wednesday and Friday; Saturday morning stays free.
WEEK3_EVENINGS = [dt.date(2027, 1, 18), dt.date(2027, 1, 20), dt.date(2027, 1, 22)]
ONLY_THURSDAY = {"availability": {"thu": ["18:00-20:00"]}, "rest_days": []}
MON_TUE = {"availability": {"mon": ["18:00-20:00"], "tue": ["18:00-20:00"]},
           "plyometrics": PLYO_NONE, "strength": {"sessions_per_week": [2, 3]}}
SHORT_WINDOWS = {"availability": {d: ["18:00-18:30"] for d in ("mon", "wed", "fri", "sat")}}


# --- through the library ----------------------------------------------------------------------


def test_only_thursday_names_thursday_48_hours_and_plyometrics() -> None:
    message = refusal(ONLY_THURSDAY)
    assert "Thursday" in message
    assert "48 h" in message
    assert "plyometric" in message
    assert "only Thursday" in message and "jump session" in message
    assert "sessions_per_week" in message, "the message should say what to change"


def test_two_consecutive_days_name_strength_and_consecutive_days() -> None:
    message = refusal(MON_TUE)
    assert "strength" in message.lower()
    assert "consecutive" in message
    assert "Monday and Tuesday" in message
    assert "plyometric" not in message, "jumps are off: they are not the cause"


def test_windows_too_short_for_a_jump_session_say_so() -> None:
    message = refusal(SHORT_WINDOWS)
    assert "no day has a free window long enough" in message
    from catalog import default_catalog
    from planner.training.dosing import durations

    minutes = durations(default_catalog(), make_profile(**SHORT_WINDOWS))["jumps"]
    assert f"jump session ({minutes} min)" in message, "the jump session's computed minutes"


def test_the_same_windows_hold_a_plan_of_stretching_only() -> None:
    """The short windows are long enough for a stretch: without jumps and strength, a plan."""
    plan = build(make_profile(**SHORT_WINDOWS, plyometrics=PLYO_NONE,
                              strength={"sessions_per_week": [0, 0]}))
    assert plan.sessions and all(s.kinds == ("stretching",) for s in plan.sessions)


def test_a_busy_week_is_named_with_its_dates(tmp_path: Path) -> None:
    busy = busy_evenings(tmp_path / "shifts.ics", WEEK3_EVENINGS)
    message = refusal({}, [busy])
    assert "Week 3 (Mon 18 Jan – Sun 24 Jan 2027)" in message
    assert "only Saturday has room for a jump session" in message
    assert "Every week" not in message
    for other in ("Week 1 ", "Week 2 ", "Week 4 "):
        assert other not in message


def test_the_same_busy_calendar_in_another_week_moves_the_message(tmp_path: Path) -> None:
    week5 = [day + dt.timedelta(days=14) for day in WEEK3_EVENINGS]
    message = refusal({}, [busy_evenings(tmp_path / "shifts.ics", week5)])
    assert "Week 5 (Mon 1 Feb – Sun 7 Feb 2027)" in message


def test_without_the_busy_calendar_the_profile_has_a_plan() -> None:
    """The refusals above come from the busy week alone."""
    plan = build(make_profile())
    assert {s.week for s in plan.sessions} == set(range(1, 9))


# --- through the CLI --------------------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "words"), [
    (ONLY_THURSDAY, ["Thursday", "48 h", "plyometric"]),
    (MON_TUE, ["strength", "consecutive"]),
    (SHORT_WINDOWS, ["no day has a free window long enough"]),
], ids=["only-thursday", "mon-tue", "short-windows"])
def test_cli_refusal_exits_1_with_one_line_and_writes_nothing(
        tmp_path: Path, overrides: dict[str, Any], words: list[str]) -> None:
    profile = write_profile(tmp_path, **overrides)
    db, out = tmp_path / "store.db", tmp_path / "plan.ics"
    result = CliRunner().invoke(cli.main, ["--db", str(db), "generate", str(profile),
                                           "-o", str(out)])
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: No plan possible")
    for word in words:
        assert word in lines[0]
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert not db.exists() and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profile.toml"]


def test_cli_refusal_for_a_busy_week_names_it_and_keeps_the_stored_plan(tmp_path: Path) -> None:
    runner = CliRunner()
    profile = write_profile(tmp_path)
    db, first, second = tmp_path / "store.db", tmp_path / "first.ics", tmp_path / "second.ics"
    ok = runner.invoke(cli.main, ["--db", str(db), "generate", str(profile), "-o", str(first)])
    assert ok.exit_code == 0, ok.output
    before = runner.invoke(cli.main, ["--db", str(db), "export", "--format", "json"]).stdout

    busy = busy_evenings(tmp_path / "shifts.ics", WEEK3_EVENINGS)
    result = runner.invoke(cli.main, ["--db", str(db), "generate", str(profile), "-o",
                                      str(second), "--busy", str(busy)])
    assert result.exit_code == 1, result.output
    assert len(result.stderr.splitlines()) == 1
    assert "Week 3 (Mon 18 Jan – Sun 24 Jan 2027)" in result.stderr
    assert not second.exists()
    after = runner.invoke(cli.main, ["--db", str(db), "export", "--format", "json"]).stdout
    assert after == before and '"revision": 1' in after


def test_cli_refusal_without_output_option_writes_no_plan_ics(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``-o`` defaults to plan.ics in the working folder: a refusal must not create it."""
    profile = write_profile(tmp_path, **ONLY_THURSDAY)
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(cli.main, ["--db", "store.db", "generate", str(profile)])
    assert result.exit_code == 1
    assert list(folder.iterdir()) == []


def test_three_days_running_names_a_recovery_rule_across_kinds() -> None:
    """Monday to Wednesday only, an hour each (too short for jumps and strength together), one
    jump session and two strength sessions: strength must take Monday and Wednesday (48 h), so
    jumps would fall the day after strength and make three loaded days running. The message
    names a recovery rule, not a lack of windows."""
    message = refusal({"availability": {d: ["18:00-19:00"] for d in ("mon", "tue", "wed")},
                       "rest_days": [], "plyometrics": {"sessions_per_week": [1, 1]},
                       "strength": {"sessions_per_week": [2, 2]}})
    assert ("the day after a strength session" in message
            or "the day after a jump session" in message
            or "one day without jumps or strength in any three days running" in message), message
    assert "no day has a free window" not in message
