"""Issue 24 §4: one athlete, named. The bundled example is planned into a store of its own, so
the README's first command and then the user's own ``generate``, both without a store named,
give two plans side by side; and every command that reads or writes a plan names the athlete
(and the revision the store holds) in its first line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from factories import EXAMPLE, ROOT, run

PROFILE = EXAMPLE.read_text(encoding="utf-8")


def _own_profile(folder: Path, name: str = "Alex") -> Path:
    """The user's copy of the example with their own name, without the example line."""
    text = "\n".join(line for line in PROFILE.splitlines()
                     if not line.startswith(("example =", "  ")) and "leave this line" not in line)
    path = folder / "examples" / "me.toml"
    path.write_text(text.replace('name = "Sam"', f'name = "{name}"'), encoding="utf-8")
    return path


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """No store named: the default and example stores live in a private data folder."""
    shutil.copytree(EXAMPLE.parent, tmp_path / "examples")
    return {"XDG_DATA_HOME": str(tmp_path / "data"), "PERIODIZE_DB": ""}


@pytest.mark.slow
def test_the_example_then_your_own_plan_both_without_a_store_named(
        tmp_path: Path, home: dict[str, str]) -> None:
    """The README's first command, as a real process, then the user's own profile: the second
    is not refused as another athlete, and from then on the commands act on the user's plan."""
    env = {**os.environ, **home, "PERIODIZE_CACHE": "off", "PYTHONPATH": str(ROOT)}
    first = subprocess.run(
        [sys.executable, "-c", "import cli; cli.main(prog_name='periodize')", "generate",
         "examples/athlete.toml", "-o", "plan.ics"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert first.returncode == 0, first.stderr
    assert "the example athlete has a store of its own" in first.stdout
    data = tmp_path / "data" / "periodize"
    assert (data / "example.db").exists() and not (data / "periodize.db").exists()
    # Before the user's own plan, the commands use the example, and say so.
    today = run("today", "--date", "2027-01-04", env=home)
    assert today.exit_code == 0 and today.output.startswith("Sam (example) · revision 1 · ")
    own = run("generate", str(_own_profile(tmp_path)), "-o", str(tmp_path / "me.ics"), env=home)
    assert own.exit_code == 0, own.output
    assert own.output.startswith("Alex: 8 weeks") and (data / "periodize.db").exists()
    done = run("done", "2027-01-04", "--today", "2027-01-04", env=home)
    assert done.exit_code == 0 and done.output.startswith("Alex · revision 2 · done: Mon 4 Jan")
    # The example's store is as it was.
    example = run("--db", str(data / "example.db"), "history", env=home)
    assert example.output.splitlines()[0] == "Sam (example) · revision 1"


def test_a_store_named_takes_the_example_too(tmp_path: Path) -> None:
    """--db (or PERIODIZE_DB) wins: the example goes where the user said."""
    shutil.copytree(EXAMPLE.parent, tmp_path / "examples")
    db = tmp_path / "mine.db"
    result = run("--db", str(db), "generate", str(tmp_path / "examples" / "athlete.toml"), "-o",
                 str(tmp_path / "plan.ics"))
    assert result.exit_code == 0 and db.exists(), result.output
    assert "store of its own" not in result.output


@pytest.fixture(scope="module")
def sam(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sam")
    shutil.copytree(EXAMPLE.parent, folder / "examples")
    db = folder / "sam.db"
    result = run("--db", str(db), "generate", str(folder / "examples" / "athlete.toml"), "-o",
                 str(folder / "plan.ics"))
    assert result.exit_code == 0, result.output
    run("--db", str(db), "done", "2027-01-04", "--pain", "3", "--today", "2027-01-05")
    return db


TODAY = ("--today", "2027-01-06")
#: Every command that reads or writes a plan, with the arguments of one run (sync to CalDAV is
#: the test below; feed and serve print their addresses with the name: test_feed, test_serve).
COMMANDS = {
    "show": ["show"], "show-table": ["show", "--format", "table"],
    "show-chart": ["show", "--chart"], "show-json": ["show", "--format", "json"],
    "show-csv": ["show", "--format", "csv"],
    "report": ["report", "-o", "{tmp}/r.html", *TODAY],
    "export": ["export", "-o", "{tmp}/p.ics"], "export-stdout": ["export", "--format", "csv"],
    "today": ["today", "--date", "2027-01-06"], "status": ["status", *TODAY],
    "history": ["history"], "log": ["log"], "log-rm": ["log", "rm", "done:2027-01-04"],
    "done": ["done", "2027-01-06", "--rpe", "6", *TODAY],
    "missed": ["missed", "2027-01-06", *TODAY],
    "missed-ahead": ["missed", "2027-01-13..2027-01-15", *TODAY],
    "pain": ["pain", "2027-01-05", "2", *TODAY],
    "screen": ["screen", "2027-01-06", "--failed", *TODAY],
    "cramp": ["cramp", "2027-01-06", *TODAY],
    "measure": ["measure", "2027-01-06", "kujala=70", *TODAY],
    "limits": ["limits"], "limits-set": ["limits", "contacts <= 80"],
    "replan": ["replan", "-o", "{tmp}/p.ics", *TODAY],
    "undo": ["undo"], "redo": ["undo", "+", "redo"],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_plan_command_names_the_athlete_first(name: str, sam: Path, tmp_path: Path) -> None:
    db = tmp_path / "sam.db"
    shutil.copy(sam, db)
    words = [w.replace("{tmp}", str(tmp_path)) for w in COMMANDS[name]]
    if "+" in words:                          # a command run first, then the one tested
        before, words = words[:words.index("+")], words[words.index("+") + 1:]
        assert run("--db", str(db), *before).exit_code == 0
    result = run("--db", str(db), *words)
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("Sam (example) · revision "), first
    # The revision named is the one the store holds after the command.
    from planner import commands

    assert first.split(" · ")[1] == f"revision {commands.current_plan(db).revision}"
    if name in ("show-json", "show-csv", "export-stdout"):     # the data itself stays clean
        assert "Sam (example) ·" not in result.stdout and result.stderr.startswith("Sam")


@pytest.mark.slow
def test_a_caldav_sync_names_the_athlete_first(sam: Path, tmp_path: Path, radicale_url: str,
                                               caldav_calendar_name: str) -> None:
    db = tmp_path / "sam.db"
    shutil.copy(sam, db)
    result = run("--db", str(db), "sync", "--url", radicale_url, "--user", "athlete",
                 "--calendar", caldav_calendar_name, env={"PERIODIZE_CALDAV_PASSWORD": "pw"})
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Sam (example) · revision 2 · ") and " created, " in (
        result.output), result.output
