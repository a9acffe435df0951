"""Shared fixtures: a store holding one generated plan, and a private copy of it per test. The
Radicale server fixture lives in its own plugin module; plain helpers are in factories.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from factories import run, write_profile

pytest_plugins = ["radicale_fixture", "xandikos_fixture"]


# No test reads or fills the machine's solution cache (``planner.scheduling.solutions``): every
# test solves,
# whatever ran before it, and tests that count solves count them all. Set here, before any test
# module is imported (some plan at import), and inherited by every subprocess and worker; the
# cache's own tests give it a file of their own.
os.environ["PERIODIZE_CACHE"] = "off"

# Started from a shell's background job (`cmd &` without job control), the suite inherits SIGINT
# ignored, and so would every periodize it starts: the Ctrl-C tests could never interrupt them
# (CI run by hand that way hung in them). An ignored signal stays ignored across exec, a handled
# one is reset to the default there: handling it here gives each child Python's own Ctrl-C.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A store holding one plan generated (through the CLI) from the default test profile, and
    that profile. Never changed: tests that change a store use ``store``."""
    folder = tmp_path_factory.mktemp("stored")
    profile = write_profile(folder)
    db = folder / "store.db"
    result = run("--db", str(db), "generate", str(profile), "-o", str(folder / "plan.ics"))
    assert result.exit_code == 0, result.output
    return db, profile


@pytest.fixture
def store(stored: tuple[Path, Path], tmp_path: Path) -> Path:
    """A private copy of the stored plan for one test."""
    copy = tmp_path / "store.db"
    shutil.copy(stored[0], copy)
    return copy


ICALJS = Path(__file__).parent / "icaljs"


@pytest.fixture(scope="session")
def icaljs() -> Path:
    """The ical.js reader script (tests/icaljs/instants.mjs: Mozilla's parser, as Thunderbird
    reads calendars); ical.js is installed from npm when it is not there yet."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run ical.js")
    if not (ICALJS / "node_modules" / "ical.js" / "package.json").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ICALJS,
                       check=True, capture_output=True)
    return ICALJS / "instants.mjs"
