"""Solutions remembered by their exact model (planner.scheduling.solutions): the same model is
answered
without a search and with the plan a search gives; any other model is searched; a cache that is
off, damaged or full never changes a plan. Searches are counted, never timed."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from unittest import mock

import pytest
from factories import NOW, make_profile, run, write_profile
from ortools.sat.python import cp_model

import planner.scheduling.solutions as solutions
import planner.workflows.generate as generate
from catalog import default_catalog
from planner.calendars.busy import BusyInterval
from planner.store.plan import Session
from planner.store.profile import Profile

CATALOG = default_catalog()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache" / "solutions.sqlite"
    monkeypatch.setenv(solutions.CACHE_ENV, str(path))
    return path


def _searches(profile: Profile, busy: list[BusyInterval] | None = None
              ) -> tuple[list[Session], int]:
    """The plan's sessions and how many CP-SAT searches making it took (the in-process typical
    week memo emptied first, so that only the cache can spare a search)."""
    generate._TYPICAL_WEEKS.clear()
    with mock.patch.object(cp_model.CpSolver, "solve", autospec=True,
                           side_effect=cp_model.CpSolver.solve) as searched:
        plan, _ = generate.build_plan(profile, CATALOG, busy or [], NOW)
    return list(plan.sessions), searched.call_count


def test_the_same_model_is_answered_without_a_search_and_with_the_same_plan(cache: Path
                                                                             ) -> None:
    profile = make_profile()
    first, searched = _searches(profile)
    assert searched == 2                       # the typical week, then the block
    again, searched_again = _searches(profile)
    assert searched_again == 0
    assert again == first
    rows = sqlite3.connect(cache).execute("SELECT count(*) FROM solutions").fetchone()[0]
    assert rows == 2


def test_a_model_that_differs_in_anything_is_searched(cache: Path) -> None:
    profile = make_profile()
    _searches(profile)
    later = dataclasses.replace(profile, weeks=profile.weeks + 1)   # the typical week is alike
    _, searched = _searches(later)
    assert searched == 1
    plan, _ = generate.build_plan(profile, CATALOG, [], NOW)
    first = plan.sessions[0]
    _, searched = _searches(profile, [BusyInterval(first.start, first.end, "dentist")])
    assert searched == 1                              # the block, with its first session busy


def test_off_damaged_or_full_the_cache_changes_no_plan(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    profile = make_profile()
    monkeypatch.setenv(solutions.CACHE_ENV, solutions.OFF)
    plain, searched = _searches(profile)
    assert searched == 2 and solutions.cache_path() is None
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"not a database" * 100)
    monkeypatch.setenv(solutions.CACHE_ENV, str(damaged))
    assert _searches(profile) == (plain, 2)
    assert _searches(profile) == (plain, 2)                     # nothing remembered there
    monkeypatch.setenv(solutions.CACHE_ENV, str(tmp_path / "small.sqlite"))
    monkeypatch.setattr(solutions, "KEPT", 1)
    assert _searches(profile) == (plain, 2)
    rows = sqlite3.connect(tmp_path / "small.sqlite").execute(
        "SELECT count(*) FROM solutions").fetchone()[0]
    assert rows == 1                                            # the oldest dropped


def test_an_answer_for_variables_the_model_lacks_is_not_used(cache: Path) -> None:
    profile = make_profile()
    plain, _ = _searches(profile)
    with sqlite3.connect(cache) as db:
        db.execute("UPDATE solutions SET chosen = '[999999]'")
    assert _searches(profile) == (plain, 2)


def test_generate_run_again_is_the_same_plan_from_the_cache(tmp_path: Path) -> None:
    profile = write_profile(tmp_path)
    cache = tmp_path / "solutions.sqlite"
    env = {solutions.CACHE_ENV: str(cache)}
    outputs = []
    for turn in range(2):
        result = run("--db", str(tmp_path / f"{turn}.db"), "generate", str(profile), "-o",
                     str(tmp_path / f"{turn}.ics"), env=env)
        assert result.exit_code == 0, result.output
        outputs.append([line for line in (tmp_path / f"{turn}.ics").read_bytes().splitlines()
                        if not line.startswith(b"DTSTAMP")])
    assert outputs[0] == outputs[1]
    assert cache.exists()
