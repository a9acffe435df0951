"""Factory helpers for tests: profiles (as objects and as TOML files), solved plans, the CLI
runner and its one-line-error check, and the hypothesis settings (registered here, once).

Every helper is a plain typed function. Overrides replace top-level profile keys; an override of
``None`` removes the key (to test a missing field). Nothing here reads the clock: plans are
stamped with ``NOW``. Fixtures (a generated store and a private copy of it) are in conftest.py.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import json
import os
import random
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

import cli
from catalog import default_catalog
from planner.store.profile import Profile, profile_from_dict
from planner.training.dosing import shortest_session

if TYPE_CHECKING:
    from planner.calendars.busy import BusyInterval
    from planner.scheduling.solve import SolveStats
    from planner.store.plan import Plan, Session

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "athlete.toml"
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
"""The fixed "now" every test plan is stamped with (DTSTAMP, created)."""

# Hypothesis settings, registered once. Property tests of the rules run a fixed sequence; the
# fuzzers run fresh random inputs on a developer's machine (to find new defects) and a fixed
# sequence in CI, so that a landing is never blocked by a find unrelated to the change.
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("rules", max_examples=60, deadline=None, derandomize=True,
                          print_blob=True, suppress_health_check=_SLOW_OK)
settings.register_profile("fuzz", max_examples=150, deadline=None,
                          derandomize=bool(os.environ.get("CI")),
                          suppress_health_check=[*_SLOW_OK, HealthCheck.filter_too_much])
settings.register_profile("hostile-text", max_examples=120, deadline=None,
                          derandomize=bool(os.environ.get("CI")), suppress_health_check=_SLOW_OK)
RULES = settings.get_profile("rules")
FUZZ = settings.get_profile("fuzz")
HOSTILE_TEXT = settings.get_profile("hostile-text")

DEFAULTS: dict[str, Any] = {
    "name": "Test athlete",
    "timezone": "Europe/London",
    "start": dt.date(2027, 1, 4),           # a Monday
    "weeks": 8,
    "level": "beginner",
    "rest_days": ["sun"],
    "availability": {
        "mon": ["18:00-20:00"],
        "wed": ["18:00-20:00"],
        "fri": ["18:00-20:00"],
        "sat": ["09:00-12:00"],
    },
}


def profile_data(**overrides: Any) -> dict[str, Any]:
    """The default profile as TOML-shaped data with ``overrides`` applied (None removes a key)."""
    data: dict[str, Any] = {**DEFAULTS, **overrides}
    return {key: value for key, value in data.items() if value is not None}


def make_profile(**overrides: Any) -> Profile:
    """A validated Profile: the defaults above with ``overrides`` applied."""
    return profile_from_dict(profile_data(**overrides))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()                      # a TOML local date, not a string
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)   # JSON escapes are valid TOML
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def profile_toml(**overrides: Any) -> str:
    """The profile as TOML text: scalars and arrays first, then one [table] per mapping."""
    data = profile_data(**overrides)
    lines = [f"{key} = {_toml_value(value)}" for key, value in data.items()
             if not isinstance(value, Mapping)]
    for key, value in data.items():
        if isinstance(value, Mapping):
            lines += ["", f"[{key}]"]
            lines += [f"{inner} = {_toml_value(item)}" for inner, item in value.items()]
    return "\n".join(lines) + "\n"


def write_profile(tmp_path: Path, **overrides: Any) -> Path:
    """Write the profile as ``tmp_path/profile.toml`` and return its path."""
    path = tmp_path / "profile.toml"
    path.write_text(profile_toml(**overrides), encoding="utf-8")
    return path


def build_with_stats(profile: Profile, busy: Sequence[BusyInterval] = (),
                     ) -> tuple[Plan, SolveStats]:
    """Solve a plan for ``profile`` with the shipped catalogue, stamped with ``NOW``."""
    from catalog import default_catalog
    from planner.workflows.generate import build_plan

    return build_plan(profile, default_catalog(), busy, NOW)


def build(profile: Profile, busy: Sequence[BusyInterval] = ()) -> Plan:
    """Solve a plan for ``profile`` (see ``build_with_stats``)."""
    return build_with_stats(profile, busy)[0]


def events_of(plan: Plan) -> tuple[Session, ...]:
    """Everything a calendar holds of ``plan``: its sessions, then its checks (baseline tests,
    PSFS check-ins)."""
    return (*plan.sessions, *plan.checks)


# -- the CLI -----------------------------------------------------------------------------------
def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """``periodize ARGS`` through click's runner (stdout and stderr kept apart)."""
    return CliRunner(env=env).invoke(cli.main, list(args), prog_name="periodize")


_HEAD = re.compile(r"^[^\n·]+ · revision \d+(?: · |\n|$)")


def unnamed(output: str) -> str:
    """A command's output without whose plan it is ("Sam · revision 3 · " before its first
    line, or that line alone above a table: issue 24 §4); fails when it is not there."""
    head = _HEAD.match(output)
    assert head is not None, output
    return output[head.end():]


def named(value: object) -> str:
    """How a one-line error names ``value``: quoted, a long path cut in the middle (it keeps
    its file name), as ``InputError`` writes it; a test's temporary paths may be long."""
    from planner.errors import InputError

    return str(InputError("x", value, "")).removeprefix("x: ").removesuffix(" is not accepted; ")


def one_line_error(result: Result, *needles: str, code: int = 2, quiet: bool = True) -> str:
    """Exit ``code``, no traceback, exactly one line on stderr starting 'Error: ' and holding
    every needle, nothing on stdout (unless not ``quiet``: batch has shown its progress label).
    Returns the line."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("Error: "), line
    assert result.stdout == "" or not quiet, result.stdout
    for needle in needles:
        assert needle in line, (needle, line)
    return line


def weekly_volume(plan: Plan, measure: str) -> list[int]:
    """Foot contacts ("contacts") or strength sets x reps, each side counted ("strength") of
    every week of ``plan``, missed sessions left out; the test's own arithmetic."""
    def of(week: int) -> int:
        sessions = [s for s in plan.week_sessions(week) if s.status != "missed"]
        if measure == "contacts":
            return sum(s.foot_contacts for s in sessions)
        return sum(d.sets * (d.reps or 0) * (2 if d.per_side else 1)
                   for s in sessions for d in s.exercises if d.kind == "strength")
    return [of(w) for w in range(1, plan.weeks + 1)]


def acwr_spikes(volumes: Sequence[int], base: float) -> list[str]:
    """Weeks above 1.3 x the mean of the four weeks before (``base`` before the plan)."""
    history = [base] * 4 + [float(v) for v in volumes]
    found = []
    for i, volume in enumerate(volumes):
        chronic = sum(history[i:i + 4]) / 4
        if volume > 1.3 * chronic + 1e-9:
            found.append(f"week {i + 1}: {volume} against {chronic:.1f} ({volume / chronic:.2f})")
    return found


# -- rosters for batch ----------------------------------------------------------------------
ATHLETES = 40   # write_roster's default: a roster for batch and cluster tests
HEADER = "name,timezone,start,level,weeks,rest_days,mon,tue,wed,thu,fri,sat,sun,plyo_min,plyo_max"
ZONES = ("Europe/London", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney")
WINDOWS = ("06:00-07:30", "18:00-20:00", "17:30-19:00", "07:00-08:00;18:00-19:30")


def write_roster(path: Path, athletes: int = ATHLETES) -> Path:
    """``athletes`` rows: varied weeks, one row with a bad time zone, one free on Thursdays only
    (no plan possible)."""
    rng = random.Random(18)
    lines = [HEADER]
    for i in range(athletes):
        zone = "Mars/Olympus" if i == 5 else rng.choice(ZONES)
        days = [3] if i == 11 else sorted(rng.sample(range(7), rng.randint(3, 6)))
        cells = [rng.choice(WINDOWS) if d in days else "" for d in range(7)]
        lines.append(",".join([f"Athlete {i:02d}", zone, f"2027-01-{4 + 7 * (i % 3):02d}",
                               rng.choice(("beginner", "advanced")), str(rng.choice((4, 6))),
                               "", *cells, "", ""]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def outputs(folder: Path) -> dict[str, Any]:
    """Every file of a batch's output: calendars as bytes, stores as their plans' JSON, the
    summary without its timings."""
    import pandas

    from planner.calendars.export.plan_json import plan_json
    from planner.store.database import open_store

    found: dict[str, Any] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix == ".db":
            with open_store(path) as store:
                found[path.name] = plan_json(store.current()[0])
        elif path.name == "summary.csv":
            found[path.name] = pandas.read_csv(path, keep_default_na=False).drop(
                columns="solve_seconds").to_dict("records")
        else:
            found[path.name] = path.read_bytes()
    return found


def load_benchmark() -> Any:
    """``benchmarks/run.py`` as a module (its roster generator, stage names and the like)."""
    spec = importlib.util.spec_from_file_location("benchmark_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module            # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def golden_record(path: Path, regenerate: str) -> dict[str, Any]:
    """A golden record (``tests/fixtures/golden``) made with this OR-Tools version. Made with
    another, it is skipped visibly: that version may choose another of several equally good
    plans, or write the same model differently."""
    record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    ortools = importlib.metadata.version("ortools")
    if ortools != record["ortools"]:
        pytest.skip(f"recorded with ortools {record['ortools']}, this is {ortools}: "
                    f"regenerate with {regenerate}")
    return record


# --- bad profiles ------------------------------------------------------------------------------


class BadProfile(NamedTuple):
    """A profile ``generate`` must refuse in one line (exit 2), changing nothing."""

    id: str
    overrides: dict[str, Any]    # over the default profile (``write_profile``)
    field: str                   # the field the line names
    value: str | None            # the value as the line shows it (None: a path, not checked)
    words: str                   # what the line must say is accepted


SHORTEST = shortest_session(default_catalog())   # minutes, computed from the catalogue

#: The one table of bad profiles (tests/test_robustness.py runs each through the CLI).
_BAD: list[tuple[str, dict[str, Any], str, str | None, str]] = [
    ("unknown-key", {"wekes": 8}, "wekes", "wekes", "did you mean 'weeks'?"),
    ("unknown-timezone", {"timezone": "Europe/Londn"}, "timezone", "Europe/Londn",
     "(did you mean 'Europe/London'?)"),
    ("hour-25", {"availability": {"mon": ["25:00-26:00"]}}, "availability.mon", "25:00-26:00",
     "00:00 to 24:00"),
    ("end-before-start", {"availability": {"mon": ["20:00-18:00"]}}, "availability.mon",
     "20:00-18:00", "end after the start"),
    ("unknown-weekday", {"availability": {"funday": ["18:00-20:00"]}}, "availability.funday",
     "funday", "a weekday"),
    ("zero-weeks", {"weeks": 0}, "weeks", "0", "from 1 to 52"),
    ("53-weeks", {"weeks": 53}, "weeks", "53", "from 1 to 52"),
    ("start-tomorrow", {"start": "tomorrow"}, "start", "tomorrow", "a date like"),
    ("level-expert", {"level": "expert"}, "level", "expert", "beginner, intermediate, advanced"),
    ("busy-in-profile-missing", {"busy": ["nowhere.ics"]}, "busy", None, "does not exist"),
    ("unknown-nested-key", {"plyometrics": {"session_per_week": [2, 3]}},
     "plyometrics.session_per_week", "session_per_week", "did you mean 'sessions_per_week'?"),
    ("unknown-key-rest_day", {"rest_day": ["sun"]}, "rest_day", "rest_day",
     "did you mean 'rest_days'?"),
    ("weekday-typo", {"availability": {"wednsday": ["18:00-20:00"]}}, "availability.wednsday",
     "wednsday", "did you mean 'wednesday'?"),
    ("rest-day-unknown", {"rest_days": ["funday"]}, "rest_days", "funday", "a weekday: mon"),
    ("window-shorter-than-a-session", {"availability": {"mon": ["18:00-18:10"]}},
     "availability.mon", "18:00-18:10", f"at least {SHORTEST} minutes (the shortest session)"),
    ("window-overlap", {"availability": {"mon": ["18:00-20:00", "19:00-21:00"]}},
     "availability.mon", "18:00-20:00, 19:00-21:00", "windows that do not overlap"),
    ("window-words", {"availability": {"mon": ["6pm-8pm"]}}, "availability.mon", "6pm-8pm",
     'a window like "18:00-20:00"'),
    ("window-past-midnight", {"availability": {"mon": ["23:00-24:30"]}}, "availability.mon",
     "23:00-24:30", "times from 00:00 to 24:00"),
    ("window-minute-60", {"availability": {"mon": ["18:60-20:00"]}}, "availability.mon",
     "18:60-20:00", "times from 00:00 to 24:00"),
    ("window-a-number", {"availability": {"mon": [1800]}}, "availability.mon", "1800",
     'a window like "18:00-20:00"'),
    ("no-availability", {"availability": None}, "availability", "(missing)",
     "a table is required"),
    ("timezone-a-region", {"timezone": "Europe"}, "timezone", "Europe",
     "an IANA time zone name"),
    ("timezone-city", {"timezone": "London"}, "timezone", "London",
     "did you mean 'Europe/London'?"),
    ("timezone-empty", {"timezone": ""}, "timezone", "", "an IANA time zone name"),
    ("timezone-too-long", {"timezone": "A" * 300}, "timezone", "A" * 38 + "..." + "A" * 39,
     "an IANA time zone name"),
    ("timezone-a-number", {"timezone": 1}, "timezone", "1", "text is expected"),
    ("start-datetime", {"start": dt.datetime(2027, 1, 4, 10)}, "start", "2027-01-04T10:00:00",
     "a date like 2027-01-04"),
    ("start-no-such-day", {"start": "2027-02-30"}, "start", "2027-02-30", "a date like"),
    ("start-a-number", {"start": 20270104}, "start", "20270104", "a date like"),
    ("weeks-text", {"weeks": "8"}, "weeks", "8", "a whole number is expected"),
    ("weeks-fraction", {"weeks": 8.5}, "weeks", "8.5", "a whole number is expected"),
    ("weeks-negative", {"weeks": -1}, "weeks", "-1", "from 1 to 52"),
    ("level-typo", {"level": "Beginer"}, "level", "Beginer", "did you mean 'beginner'?"),
    ("level-a-number", {"level": 1}, "level", "1", "text is expected"),
    ("sessions-reversed", {"strength": {"sessions_per_week": [3, 1]}},
     "strength.sessions_per_week", "[3, 1]", "[min, max] with 0 <= min <= max <= 3"),
    ("sessions-too-many", {"plyometrics": {"sessions_per_week": [2, 7]}},
     "plyometrics.sessions_per_week", "[2, 7]", "max <= 3"),
    ("buffer-too-long", {"busy_buffer_minutes": 500}, "busy_buffer_minutes", "500",
     "from 0 to 240"),
    ("warmup-yes", {"warmup": "yes"}, "warmup", "yes", "true or false is expected"),
    ("name-a-number", {"name": 5}, "name", "5", "text is expected"),
    ("busy-a-number", {"busy": [1]}, "busy", "1", "paths of .ics files"),
    ("busy-empty-path", {"busy": [""]}, "busy", "", "paths of .ics files"),
    ("busy-not-a-list", {"busy": "work.ics"}, "busy", "work.ics", "a list is expected"),
]
BAD_PROFILES: list[BadProfile] = [BadProfile(*case) for case in _BAD]
