"""The command line: every command's help, generate -> show -> export in every format, where the
store lives (--db, PERIODIZE_DB), the catalogue, and bad input (exit 2, one line, no traceback,
nothing changed or written). Mostly in-process with CliRunner; a few real subprocesses check
the installed script, ``python -m cli`` and what importing the CLI costs."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import pytest
from factories import (
    EXAMPLE,
    ROOT,
    named,
    one_line_error,
    profile_toml,
    run,
    unnamed,
    write_profile,
)

import cli
from planner import __version__

ONE_LINE_ERROR = re.compile(r"^Error: (?P<field>[^:]+): '.*' is not accepted; .+$")
HEAVY = ("ortools", "pandas", "icalendar",
         # Google's client libraries (sync --google)
         "googleapiclient", "google_auth_oauthlib", "google_auth_httplib2", "google.auth",
         "google.oauth2", "httplib2",
         # Dask (batch --cluster) and fsspec (batch -o URL)
         "dask", "distributed", "fsspec",
         # the web server (serve, feed)
         "starlette", "uvicorn", "jinja2", "argon2", "itsdangerous", "multipart")


def exported_json(db: Path) -> str:
    result = run("--db", str(db), "export", "--format", "json")
    assert result.exit_code == 0, result.output
    return result.stdout


# --- version and help -------------------------------------------------------------------------


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"periodize, version {__version__}"


def test_main_help_has_an_example_and_lists_the_commands() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    for name in ("generate", "show", "export", "catalog"):
        assert name in result.stdout


@pytest.mark.parametrize("name", sorted(cli.main.commands))
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_every_command_has_help_with_an_example(name: str, flag: str) -> None:
    result = run(name, flag)
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout
    assert f"periodize {name}" in result.stdout, "the example should show the command itself"
    assert result.stdout.startswith("Usage: ")


def test_the_commands_include_the_documented_ones() -> None:
    assert {"generate", "show", "export", "catalog"} <= set(cli.main.commands)
    assert all(isinstance(c, click.Command) for c in cli.main.commands.values())


# --- generate -> show -> export ---------------------------------------------------------------


@pytest.mark.smoke
def test_generate_prints_a_summary_and_writes_the_calendar(tmp_path: Path) -> None:
    profile, db, out = write_profile(tmp_path), tmp_path / "store.db", tmp_path / "plan.ics"
    result = run("--db", str(db), "generate", str(profile), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert db.exists() and out.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    assert "proven optimal" in result.stdout
    assert re.search(r"^  week  1: Mon 18:00 ", result.stdout, re.MULTILINE)
    assert result.stdout.count("\n  week ") == 8
    assert result.stderr == ""


def test_show_table_csv_and_json(store: Path) -> None:
    import pandas as pd

    plan = json.loads(exported_json(store))
    count = len(plan["sessions"])
    assert count > 16

    table = run("--db", str(store), "show", "--format", "table")
    assert table.exit_code == 0
    head, *lines = table.stdout.strip().splitlines()
    assert head.startswith("Test athlete · revision ")        # whose plan (issue 24 §4)
    assert lines[0].split()[:2] == ["week", "date"] and len(lines) == count + 1

    csv = run("--db", str(store), "show", "--format", "csv")
    assert csv.exit_code == 0
    frame = pd.read_csv(io.StringIO(csv.stdout))
    assert len(frame) == count
    assert list(frame["uid"]) == [s["uid"] for s in plan["sessions"]]

    shown = run("--db", str(store), "show", "--format", "json")
    assert shown.exit_code == 0
    assert json.loads(shown.stdout) == plan


def test_show_one_week(store: Path) -> None:
    plan = json.loads(exported_json(store))
    week3 = [s for s in plan["sessions"] if s["week"] == 3]
    result = run("--db", str(store), "show", "--week", "3", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["sessions"] == week3
    table = run("--db", str(store), "show", "--week", "3", "--format", "table")
    rows = unnamed(table.stdout).strip().splitlines()
    assert len(rows) == len(week3) + 1
    assert all(line.split()[0] == "3" for line in rows[1:])


def test_show_default_view_covers_every_week(store: Path) -> None:
    result = run("--db", str(store), "show")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    for week in range(1, 9):
        assert re.search(rf"^{week}\s", result.stdout, re.MULTILINE), f"week {week} missing"
    assert "Traceback" not in result.output


@pytest.mark.smoke
@pytest.mark.parametrize("fmt", ["ics", "json", "csv"])
def test_export_to_stdout_and_to_a_file_agree(store: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"plan.{fmt}"
    to_stdout = run("--db", str(store), "export", "--format", fmt)
    assert to_stdout.exit_code == 0
    to_file = run("--db", str(store), "export", "--format", fmt, "-o", str(out))
    assert to_file.exit_code == 0
    assert unnamed(to_file.stdout).strip() == f"Wrote {out}"
    assert unnamed(to_stdout.stderr) == f"the plan as {fmt.upper()}\n"   # the data stays clean
    assert out.read_bytes() == to_stdout.stdout_bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["store.db", out.name])
    head = {"ics": b"BEGIN:VCALENDAR", "json": b'{\n  "version"', "csv": b"week,date,"}[fmt]
    assert to_stdout.stdout_bytes.startswith(head)


def test_export_default_format_is_ics(store: Path) -> None:
    assert run("--db", str(store), "export").stdout_bytes.startswith(b"BEGIN:VCALENDAR\r\n")


# --- where the store lives --------------------------------------------------------------------


def test_periodize_db_environment_variable(tmp_path: Path) -> None:
    profile, env_db = write_profile(tmp_path), tmp_path / "from-env.db"
    env = {"PERIODIZE_DB": str(env_db)}
    result = run("generate", str(profile), "-o", str(tmp_path / "plan.ics"), env=env)
    assert result.exit_code == 0, result.output
    assert env_db.exists()
    assert json.loads(run("show", "--format", "json", env=env).stdout)["sessions"]


def test_db_option_wins_over_the_environment(tmp_path: Path) -> None:
    profile, env_db, opt_db = write_profile(tmp_path), tmp_path / "env.db", tmp_path / "opt.db"
    env = {"PERIODIZE_DB": str(env_db)}
    result = run("--db", str(opt_db), "generate", str(profile), "-o", str(tmp_path / "p.ics"),
                 env=env)
    assert result.exit_code == 0, result.output
    assert opt_db.exists() and not env_db.exists()


def test_show_without_a_store_says_how_to_make_one(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    line = one_line_error(run("--db", str(db), "show"))
    assert "periodize generate" in line
    assert not db.exists(), "reading must not create a store"


def test_show_a_week_out_of_range(store: Path) -> None:
    line = one_line_error(run("--db", str(store), "show", "--week", "9"))
    assert line == "Error: --week: '9' is not accepted; a week from 1 to 8"


# --- catalogue --------------------------------------------------------------------------------


def test_catalog_lists_every_kind() -> None:
    result = run("catalog")
    assert result.exit_code == 0
    for word in ("Warmup", "Plyometrics", "Strength", "Stretching", "step-down", "squat-jump",
                 "couch-stretch"):
        assert word in result.stdout


@pytest.mark.parametrize("name", ["step-down", "Step down", "STEP-DOWN"])
def test_catalog_shows_one_exercise_with_its_levels(name: str) -> None:
    result = run("catalog", name)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Step down (strength, id step-down)")
    assert [f"level {n}:" in result.stdout for n in range(1, 5)] == [True] * 4
    assert "next level when:" in result.stdout


def test_catalog_unknown_name_suggests_the_closest() -> None:
    line = one_line_error(run("catalog", "step-dwn"))
    assert "did you mean 'step-down'?" in line


# --- bad input: exit 2, one line, nothing changed ---------------------------------------------
# The bad profiles are one table (factories.BAD_PROFILES), run in test_robustness.py.


def _bad_generate(tmp_path: Path, store: Path, profile: Path,
                  extra: Sequence[str] = ()) -> tuple[str, Path]:
    """Run a generate that must fail on ``store``; check nothing changed and nothing was
    written; return the error line and the output folder."""
    before = exported_json(store)
    out_dir = tmp_path / "out"
    out_dir.mkdir(exist_ok=True)
    args = ["--db", str(store), "generate", str(profile), "-o", str(out_dir / "plan.ics"),
            *extra]
    line = one_line_error(run(*args))
    assert exported_json(store) == before, "a failed generate changed the stored plan"
    assert list(out_dir.iterdir()) == [], "a failed generate wrote a file"
    return line, out_dir


def test_malformed_toml(tmp_path: Path, store: Path) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text(profile_toml().replace('level = "beginner"', 'level = "beginner'),
                       encoding="utf-8")
    line, _ = _bad_generate(tmp_path, store, profile)
    assert ONE_LINE_ERROR.match(line), line
    assert line.startswith("Error: profile: ") and "not valid TOML" in line


def test_missing_profile_file(tmp_path: Path, store: Path) -> None:
    line, _ = _bad_generate(tmp_path, store, tmp_path / "nope.toml")
    assert ONE_LINE_ERROR.match(line) and "does not exist" in line


def test_missing_busy_file_on_the_command_line(tmp_path: Path, store: Path) -> None:
    missing = tmp_path / "missing.ics"
    line, _ = _bad_generate(tmp_path, store, write_profile(tmp_path), ["--busy", str(missing)])
    match = ONE_LINE_ERROR.match(line)
    assert match and match["field"] == "busy" and named(str(missing)) in line


def test_output_in_a_missing_folder(tmp_path: Path, store: Path) -> None:
    before = exported_json(store)
    target = tmp_path / "no" / "such" / "plan.ics"
    line = one_line_error(run("--db", str(store), "generate",
                                     str(write_profile(tmp_path)), "-o", str(target)))
    match = ONE_LINE_ERROR.match(line)
    assert match and match["field"] == "--output" and "does not exist" in line
    assert exported_json(store) == before
    assert not (tmp_path / "no").exists()


def test_export_to_a_missing_folder(tmp_path: Path, store: Path) -> None:
    target = tmp_path / "no" / "plan.ics"
    line = one_line_error(run("--db", str(store), "export", "-o", str(target)))
    assert ONE_LINE_ERROR.match(line) and "--output" in line
    assert not target.parent.exists()


def test_db_in_a_missing_folder_is_refused_before_solving(tmp_path: Path) -> None:
    db = tmp_path / "no" / "store.db"
    out = tmp_path / "plan.ics"
    line = one_line_error(run("--db", str(db), "generate", str(write_profile(tmp_path)),
                                     "-o", str(out)))
    assert "--db" in line
    assert not db.parent.exists()


# --- real processes ---------------------------------------------------------------------------


def _script() -> Path:
    exe = Path(sys.executable).parent / "periodize"
    if not exe.exists():
        pytest.skip("the periodize script is not installed next to this Python")
    return exe


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path),
            "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}


@pytest.mark.smoke
@pytest.mark.slow
def test_installed_script_generates_the_example(tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "plan.ics"
    done = subprocess.run([str(_script()), "--db", str(db), "generate", str(EXAMPLE), "-o",
                           str(out)], cwd=tmp_path, env=_env(tmp_path), capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    assert db.exists()
    summary = re.search(r"^(\d+) sessions; proven optimal in ", done.stdout, re.MULTILINE)
    assert summary, done.stdout
    data = out.read_bytes()                 # the sessions, and the checks (issue 26 §3, §5)
    checks = data.count(b"CATEGORIES:Baseline test\r\n") + data.count(b"CATEGORIES:Check-in\r\n")
    assert data.count(b"BEGIN:VEVENT\r\n") == int(summary[1]) + checks and checks == 6
    # HOME is tmp_path: besides the plan and its store, only the solutions cache in the user
    # cache folder (planner.scheduling.solutions), with the two models solved.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cache", "plan.ics", "store.db"]
    cache = tmp_path / ".cache" / "periodize" / "solutions.sqlite"
    with sqlite3.connect(cache) as remembered:
        assert remembered.execute("SELECT count(*) FROM solutions").fetchone()[0] == 2


@pytest.mark.slow
def test_python_m_cli_exits_2_with_one_line_on_bad_input(tmp_path: Path) -> None:
    profile = write_profile(tmp_path, level="expert")
    done = subprocess.run([sys.executable, "-m", "cli", "--db", str(tmp_path / "s.db"),
                           "generate", str(profile), "-o", str(tmp_path / "p.ics")],
                          cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("Error: level: ")


def _loaded_after(code: str, tmp_path: Path) -> list[str]:
    """Which heavy libraries are in sys.modules after running ``code`` in a fresh Python."""
    script = (f"import sys\n{code}\n"
              f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return [m for m in done.stdout.strip().splitlines()[-1].split(",") if m] \
        if done.stdout.strip() else []


def test_importing_the_cli_loads_no_heavy_library(tmp_path: Path) -> None:
    assert _loaded_after("import cli", tmp_path) == []


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["catalog"], ["show", "--help"],
                                  ["sync", "--google", "--help"], ["serve", "--help"],
                                  ["feed", "--help"]])
def test_light_commands_load_no_heavy_library(tmp_path: Path, args: list[str]) -> None:
    code = ("import cli, contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            f"    cli.main({args!r})")
    assert _loaded_after(code, tmp_path) == []


def test_export_json_loads_no_heavy_library(stored: tuple[Path, Path], tmp_path: Path) -> None:
    code = ("import cli, contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            f"    cli.main(['--db', {str(stored[0])!r}, 'export', '--format', 'json'])")
    assert _loaded_after(code, tmp_path) == []


def test_db_that_is_not_a_store_is_refused_untouched(tmp_path: Path) -> None:
    foreign = tmp_path / "notes.txt"
    foreign.write_text("my notes, not a database\n", encoding="utf-8")
    out = tmp_path / "plan.ics"
    line = one_line_error(run("--db", str(foreign), "generate",
                                     str(write_profile(tmp_path)), "-o", str(out)))
    assert "not a readable periodize store" in line and "nothing was changed" in line
    assert foreign.read_text(encoding="utf-8") == "my notes, not a database\n"
    assert not out.exists()


@pytest.mark.parametrize("args", [["show", "--week", "abc"], ["export", "--format", "xml"]],
                         ids=["week-abc", "format-xml"])
def test_option_values_click_rejects_also_get_one_line(store: Path, args: list[str]) -> None:
    line = one_line_error(run("--db", str(store), *args))
    assert line.startswith(f"Error: {args[1]}: '{args[2]}' is not "), line


@pytest.mark.parametrize(("args", "words"), [
    (["generate"], "Error: missing PROFILE (the profile .toml file to plan from); usage: "
                   "periodize generate [OPTIONS] PROFILE"),
    (["missed"], "Error: missing DATES (one or more session dates, YYYY-MM-DD); usage: "
                 "periodize missed [OPTIONS] DATES..."),
    (["done"], "Error: missing DATES (one or more session dates, YYYY-MM-DD); usage: "
               "periodize done [OPTIONS] DATES..."),
    (["batch"], "Error: missing ROSTER (a CSV file, one athlete a row, or a folder of profile "
                ".toml files); usage: periodize batch [OPTIONS] ROSTER"),
])
def test_a_missing_argument_is_named_with_the_usage(args: list[str], words: str) -> None:
    result = run(*args)
    assert one_line_error(result) == words


def test_ctrl_c_in_batch_goes_through_the_one_error_handler(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.workflows.batch

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(planner.workflows.batch, "run_batch", interrupted)
    result = run("batch", str(tmp_path), "-o", str(tmp_path / "out"))
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == ("Interrupted: athletes already planned keep their "
                                              "files; the workers were ended.")
