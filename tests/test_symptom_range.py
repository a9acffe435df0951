"""Symptom-guided range (issue 23 §6; Willy 2019): every deep-knee level (a deep bend under load
or kneeling) tells the athlete to stay in the range that hurts at most 3/10 and gives a version
that leaves the painful range out; shallow levels do not carry it. The catalogue refuses a deep
level without that regression."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from factories import build, make_profile
from test_catalog import _copy, _edit, _index, _refused

from catalog import EQUIPMENT, default_catalog, load_catalog
from planner.errors import InputError
from planner.training.dosing import dose_exercise

CATALOG = default_catalog()
# Read from the words, not the flag: what makes a level deep for the knee.
DEEP = re.compile(r"\bkneel|back knee on a cushion|full-depth|rear-foot-elevated|"
                  r"45 degrees|as far as you control", re.I)
LIMIT = "at or below 3/10"
MARK = "Pain-free range: go only as deep as the knee stays " + LIMIT   # the [symptom_guided] cue


def _deep_by_words(exercise_cue: str, name: str, cue: str) -> bool:
    return bool(DEEP.search(f"{exercise_cue} {name} {cue}"))


def test_deep_levels_carry_the_pain_free_range_and_a_regression() -> None:
    deep_seen = {e.id: 0 for e in CATALOG.exercises}
    for exercise in CATALOG.exercises:
        for lv in exercise.levels:
            words = _deep_by_words(exercise.cue, lv.name, lv.cue)
            assert lv.deep_knee == words, (exercise.id, lv.level, lv.name)
            for equipment in (None, frozenset(), frozenset(EQUIPMENT)):
                cue = dose_exercise(exercise, lv.level, equipment=equipment).cue
                assert (MARK in cue) == words, (exercise.id, lv.level, equipment)
                if words:
                    assert lv.range_cue is not None and lv.range_cue in cue
                    deep_seen[exercise.id] += 1
    # the three: full-depth split squat, long reverse Nordic lean, kneeling positions
    assert deep_seen["split-squat"] == 5 * 3 and deep_seen["reverse-nordic"] == 7 * 3
    assert deep_seen["couch-stretch"] == 3 and deep_seen["step-down"] == 0


def test_the_regression_leaves_the_painful_range_out() -> None:
    for exercise_id, words in (("split-squat", "stack of cushions"),
                               ("reverse-nordic", "wall sit"),
                               ("couch-stretch", "chair seat")):
        lv = CATALOG.exercise(exercise_id).levels[-1]
        assert lv.range_cue is not None and words in lv.range_cue and LIMIT in lv.range_cue


def test_every_session_of_a_plan_says_it_where_it_kneels() -> None:
    plan = build(make_profile())
    strength = [s for s in plan.sessions if "strength" in s.kinds]
    assert strength
    for session in plan.sessions:
        couch = [d for d in session.exercises if d.name == "Couch stretch"]
        assert couch and all(MARK in d.cue for d in couch)
    for session in strength:
        nordic = [d for d in session.exercises if d.name.startswith("Reverse Nordic")]
        assert nordic and all(MARK in d.cue for d in nordic)
        for d in session.exercises:
            if d.name.startswith("Split squat"):
                assert (MARK in d.cue) == (d.level >= 2), (d.name, d.level)


def test_a_deep_level_without_a_regression_is_refused(tmp_path: Path) -> None:
    _edit(tmp_path, "exercises.toml", 'id = "split-squat"', "painful_range = ",
          "# painful_range = ", "[[exercises]]")
    _refused(tmp_path, f"exercises[{_index('split-squat')}].painful_range", "(missing)")


def test_a_regression_without_a_deep_level_is_refused(tmp_path: Path) -> None:
    _edit(tmp_path, "exercises.toml", 'id = "step-down"', "\ncue = ",
          '\npainful_range = "Go less deep."\ncue = ', "[[exercises]]")
    _refused(tmp_path, f"exercises[{_index('step-down')}].painful_range", "Go less deep.")


def test_a_range_cue_that_does_not_state_its_limit_is_refused(tmp_path: Path) -> None:
    _copy(tmp_path)
    path = tmp_path / "exercises.toml"
    text = path.read_text(encoding="utf-8")
    assert text.count("max_pain = 3\n") == 1
    path.write_text(text.replace("max_pain = 3\n", "max_pain = 2\n"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_catalog(tmp_path)
    assert caught.value.field == "symptom_guided.cue"
    assert "3/10" in str(caught.value.value) and "2/10" in str(caught.value)


def test_the_exercise_list_shows_the_range_cue() -> None:
    from planner.views.terminal_text import exercise_detail

    text = exercise_detail(CATALOG.exercise("reverse-nordic"))
    assert text.count(MARK) == 7
