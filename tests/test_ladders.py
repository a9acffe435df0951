"""Ladders stay ladders (issue 23 §7): whatever equipment a profile lists, every exercise's
levels, as dosed, are pairwise different and rise in difficulty; the catalogue refuses a
substitute that would break that for some equipment mix."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_catalog import _edit, _index, _refused

from catalog import default_catalog
from planner.store.plan import Dose
from planner.store.profile import BOX_HEIGHTS, STEP_HEIGHTS, profile_from_dict
from planner.training.dosing import dose_exercise

CATALOG = default_catalog()
LADDERS = [e for e in CATALOG.exercises if len(e.levels) > 1]
FLAGS = ("bench", "band", "dumbbells", "slant_board")
DROP = re.compile(r"drop (?:to the floor )?(?:is|of) about (\d+) cm")
STEP = re.compile(r"from an? (\d+) cm step")
BOX = re.compile(r"onto a (\d+) cm box|Forward jump of about (\d+) cm")


def _profile(equipment: dict[str, Any]) -> frozenset[str] | None:
    raw = {"timezone": "Europe/London", "start": "2027-01-04", "weeks": 8, "level": "beginner",
           "availability": {"mon": ["17:00-21:00"], "thu": ["17:00-21:00"]},
           "equipment": equipment}
    return profile_from_dict(raw).equipment


def _rungs(exercise_id: str, equipment: frozenset[str] | None) -> list[Dose]:
    exercise = CATALOG.exercise(exercise_id)
    return [dose_exercise(exercise, lv.level, equipment=equipment) for lv in exercise.levels]


def _drop_cm(dose: Dose) -> int:
    """A step-down's drop in cm as its text states it (read from the words, not the data)."""
    found = DROP.search(dose.cue) or STEP.search(dose.name)
    assert found is not None, dose.name
    return int(found.group(1))


def _box_rung(dose: Dose) -> tuple[str, int]:
    found = BOX.search(dose.name)
    assert found is not None, dose.name
    return ("box", int(found.group(1))) if found.group(1) else ("jump", int(found.group(2)))


def _check_ladders(equipment: frozenset[str] | None) -> None:
    for exercise in LADDERS:
        doses = [dose_exercise(exercise, lv.level, equipment=equipment)
                 for lv in exercise.levels]
        names = [d.name for d in doses]
        assert len(set(names)) == len(names), (exercise.id, names)
        bodies = [d.cue.split(" Next level when:")[0] for d in doses]
        assert len(set(bodies)) == len(bodies), exercise.id
        assert [d.level for d in doses] == [lv.level for lv in exercise.levels]
        for before, after in itertools.pairwise(exercise.levels):  # one variable up, none down
            assert all(a >= b for a, b in zip(after.steps, before.steps, strict=True))
            assert after.steps != before.steps, (exercise.id, after.level)
    drops = [_drop_cm(d) for d in _rungs("step-down", equipment)]
    steps = [lv.steps[0] for lv in CATALOG.exercise("step-down").levels]
    for (d0, r0), (d1, r1) in itertools.pairwise(zip(drops, steps, strict=True)):
        assert d1 >= d0 and (r1 == r0 or d1 > d0), (sorted(equipment or ()), drops)
    by_kind: dict[str, list[int]] = {}
    for kind, size in map(_box_rung, _rungs("box-jump", equipment)):
        by_kind.setdefault(kind, []).append(size)
    for kind, sizes in by_kind.items():
        assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes), (kind, sizes)


@settings(max_examples=120, deadline=None, derandomize=True)
@given(steps=st.sets(st.sampled_from(STEP_HEIGHTS)), boxes=st.sets(st.sampled_from(BOX_HEIGHTS)),
       flags=st.fixed_dictionaries({flag: st.booleans() for flag in FLAGS}))
def test_any_equipment_profile_keeps_every_ladder(steps: set[int], boxes: set[int],
                                                   flags: dict[str, bool]) -> None:
    """Property: through the profile reader and the one dosing function, every exercise's
    levels are pairwise different (name and instructions) and rise; a step-down's drop in cm
    never falls and grows with each range step; box and forward-jump rungs grow."""
    _check_ladders(_profile({"steps_cm": sorted(steps), "boxes_cm": sorted(boxes), **flags}))


def test_no_list_is_every_item() -> None:
    _check_ladders(None)


def test_no_step_and_no_weights_step_down_levels_0_to_3_differ() -> None:
    """Issue 23 §7: without a box or weights, levels 0-3 all became one full stair."""
    doses = _rungs("step-down", _profile({}))
    assert len({d.name for d in doses[:4]}) == 4
    assert [_drop_cm(d) for d in doses] == [10, 10, 15, 18, 18, 25, 25]
    assert all("Substitute for" in d.cue for d in doses)


def test_no_box_jump_substitutes_at_2_and_3_differ() -> None:
    doses = _rungs("box-jump", _profile({}))
    assert [_box_rung(d) for d in doses] == [("jump", 30), ("jump", 60), ("jump", 90),
                                             ("jump", 120)]
    assert doses[2].cue != doses[3].cue


def test_steps_15_and_20_bottom_stair_is_not_higher_than_level_2() -> None:
    """Issue 23 §7: with steps_cm = [15, 20], level 1 was the bottom stair (17-19 cm), higher
    than level 2's 15 cm step."""
    doses = _rungs("step-down", _profile({"steps_cm": [15, 20]}))
    assert [_drop_cm(d) for d in doses] == [10, 10, 15, 20, 20, 25, 25]
    assert "15 cm step" in doses[2].name and "Substitute" not in doses[2].cue
    assert "Substitute for" in doses[1].cue


@pytest.mark.parametrize(("old", "new", "at", "value"), [
    pytest.param('name = "Step down from the bottom stair to one thick book"',
                 'name = "Step down from the bottom stair to a stack of books"', 2,
                 "Step down from the bottom stair to a stack of books", id="same-name"),
    pytest.param("range_cm = 18                #", "range_cm = 14                #", 3,
                 "Step down from the bottom stair to the floor", id="stair-below-15-cm"),
])
def test_catalogue_refuses_a_substitute_that_breaks_a_ladder(tmp_path: Path, old: str, new: str,
                                                              at: int, value: str) -> None:
    _edit(tmp_path, "exercises.toml", 'id = "step-down"', old, new, "[[exercises]]")
    err = _refused(tmp_path, f"exercises[{_index('step-down')}].levels[{at}].substitute", value)
    assert "rung of its own" in str(err) and "\n" not in str(err)
