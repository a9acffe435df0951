"""The athlete's log is the truth (issue 24): nothing rewrites it, undo reaches it, a repeat
entry says what it replaces and keeps what it was not given.

Through the CLI (``CliRunner``) on a private copy of one generated store (``store`` fixture:
the default test profile, plan from Mon 2027-01-04, sessions on Mon/Wed/Fri/Sat)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from factories import NOW, one_line_error
from factories import run as cli_run

from planner import commands
from planner.errors import StoreError
from planner.store.database import open_store

LATER = "2027-03-31"      # every session of the plan is past by then


def run(db: Path, *args: str) -> Result:
    """``periodize --db DB ARGS``; log commands as of ``LATER`` unless ``--today`` is given."""
    if args and args[0] in ("done", "pain", "screen", "missed") and "--today" not in args:
        args = (*args, "--today", LATER)
    return cli_run("--db", str(db), *args)


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def tables(db: Path) -> list[Any]:
    """Every row of the plan's revisions and of the log's tables."""
    with sqlite3.connect(db) as raw:
        rows = [raw.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in ("revisions", "log", "morning", "screens", "forecasts")]
    raw.close()
    return rows


def entry(db: Path, day: str) -> tuple[Any, ...]:
    with sqlite3.connect(db) as raw:
        row = raw.execute("SELECT status, rpe, pain, not_met FROM log WHERE day = ?",
                          (day,)).fetchone()
    raw.close()
    return tuple(row)


# -- 1. nothing rewrites history ----------------------------------------------------------------

def test_generate_on_a_plan_with_a_log_is_refused_and_changes_nothing(
        store: Path, stored: tuple[Path, Path], tmp_path: Path) -> None:
    ok(run(store, "done", "2027-01-04", "--rpe", "6", "--pain", "2"))
    ok(run(store, "missed", "2027-01-06"))
    before = tables(store)
    edited = tmp_path / "edited.toml"
    edited.write_text(stored[1].read_text(encoding="utf-8").replace("weeks = 8", "weeks = 9"),
                      encoding="utf-8")
    line = one_line_error(cli_run("--db", str(store), "generate", str(edited)),
                          "plan is in progress (2 log entries)", "replan --profile",
                          "nothing was changed")
    assert "\n" not in line.strip()
    assert tables(store) == before


def test_generate_on_a_plan_with_past_sessions_is_refused(store: Path,
                                                           stored: tuple[Path, Path],
                                                           tmp_path: Path) -> None:
    """No log at all, but the plan has begun (sessions before today): refused too."""
    edited = tmp_path / "edited.toml"
    edited.write_text(stored[1].read_text(encoding="utf-8").replace("weeks = 8", "weeks = 9"),
                      encoding="utf-8")
    before = tables(store)
    later = dt.datetime(2027, 1, 12, 9, tzinfo=dt.UTC)
    with pytest.raises(StoreError, match=r"sessions before 2027-01-12.*replan --profile"):
        commands.generate(edited, store, None, later)
    assert tables(store) == before
    # Before the plan starts and with no log, generating again is still the way to edit it.
    again = commands.generate(edited, store, None, NOW)
    assert again.saved and again.plan.weeks == 9


def test_a_repeat_done_says_what_it_replaces_and_keeps_what_it_was_not_given(
        store: Path) -> None:
    ok(run(store, "done", "2027-01-11", "--rpe", "5", "--pain", "2", "--not-met", "step-down"))
    out = ok(run(store, "done", "2027-01-11", "--rpe", "7"))
    assert ("2027-01-11: replaces done, effort 5/10, pain 2/10, rule not met: step-down "
            "(kept: pain 2/10; rule not met: step-down)") in out
    assert entry(store, "2027-01-11") == ("done", 7, 2, '["step-down"]')
    # A plain `done` again keeps every score; `--not-met none` clears the rules not met.
    out = ok(run(store, "done", "2027-01-11"))
    assert "2027-01-11: already so logged" in out
    assert entry(store, "2027-01-11") == ("done", 7, 2, '["step-down"]')
    out = ok(run(store, "done", "2027-01-11", "--not-met", "none"))
    assert "replaces done, effort 7/10, pain 2/10, rule not met: step-down" in out
    assert entry(store, "2027-01-11") == ("done", 7, 2, "[]")
    # A missed day logged done says so; done then missed says what the missed mark replaced.
    out = ok(run(store, "missed", "2027-01-11"))
    assert "2027-01-11: replaces done, effort 7/10, pain 2/10" in out
    assert entry(store, "2027-01-11") == ("missed", None, None, "[]")


def test_a_repeat_morning_pain_or_screen_says_what_it_replaces(store: Path) -> None:
    ok(run(store, "pain", "2027-01-14", "8"))
    out = ok(run(store, "pain", "2027-01-14", "2"))
    assert "2027-01-14: replaces morning pain 8/10" in out
    with open_store(store) as opened:
        assert opened.athlete_log(opened.current().plan.plan_id).mornings == (
            (dt.date(2027, 1, 14), 2),)
    ok(run(store, "screen", "2027-01-15", "--failed"))
    out = ok(run(store, "screen", "2027-01-15", "--passed"))
    assert "2027-01-15: replaces a screen not passed" in out
