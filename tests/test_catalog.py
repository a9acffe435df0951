"""The shipped exercise catalogue and 8-week template: their content, and the loader refusing
broken copies of them with errors that name the field and the value."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from catalog import ATHLETE_LEVELS, HERE, INTENSITIES, Catalog, default_catalog, load_catalog
from planner.errors import InputError

DRILLS = ("squat-jump", "box-jump", "lateral-bound")
STRENGTH = ("step-down", "split-squat", "reverse-nordic", "tibialis-raise")
STRETCHES = ("standing-quad-stretch", "lying-quad-stretch", "couch-stretch")
# NSCA (Essentials, plyometrics chapter; Chu): foot contacts per session by athlete level.
NSCA_CONTACTS = {"beginner": (60, 100), "intermediate": (100, 150), "advanced": (120, 200)}
KEBAB = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@pytest.fixture
def cat() -> Catalog:
    return default_catalog()


def _ids(cat: Catalog, kind: str) -> tuple[str, ...]:
    return tuple(e.id for e in cat.of_kind(kind))


def _scaled(cat: Catalog, level: str, contacts: int) -> int:
    scale = cat.levels[level]
    return min(round(contacts * scale.contacts_scale), scale.contacts_cap)


# --- the shipped catalogue ------------------------------------------------------------------


def test_default_catalog_loads_once_from_the_package() -> None:
    first = default_catalog()
    assert first is default_catalog()
    assert load_catalog(HERE) == first
    assert load_catalog() == first


def test_catalog_has_the_guides_exercises(cat: Catalog) -> None:
    assert _ids(cat, "plyometrics") == DRILLS
    assert _ids(cat, "strength") == STRENGTH
    assert _ids(cat, "stretching") == STRETCHES
    assert 3 <= len(cat.of_kind("warmup")) <= 4


def test_ids_are_kebab_case_and_every_text_is_filled(cat: Catalog) -> None:
    assert cat.safety_note.strip()
    for exercise in cat.exercises:
        assert KEBAB.fullmatch(exercise.id), exercise.id
        assert exercise.name.strip() and exercise.cue.strip(), exercise.id
        for level in exercise.levels:
            assert level.name.strip() and level.cue.strip(), (exercise.id, level.level)


def test_safety_note_names_the_warning_signs(cat: Catalog) -> None:
    note = cat.safety_note.lower()
    for sign in ("pain", "worse", "tingling", "numbness", "weakness", "leg", "doctor"):
        assert sign in note, sign


def test_find_by_id_or_name(cat: Catalog) -> None:
    found = cat.find("  Couch Stretch ")
    assert found is not None and found.id == "couch-stretch"
    assert cat.find("reverse-nordic") is cat.exercise("reverse-nordic")
    assert cat.find("burpee") is None


def test_drill_intensities_and_set_sizes(cat: Catalog) -> None:
    expected = {"squat-jump": ("low", 8, 10, False), "box-jump": ("moderate", 4, 6, False),
                "lateral-bound": ("high", 5, 8, True)}
    for drill_id, (intensity, low, high, per_side) in expected.items():
        drill = cat.exercise(drill_id)
        assert drill.intensity == intensity
        assert drill.reps_per_set is not None and low <= drill.reps_per_set <= high
        assert len(drill.levels) == 1
        (level,) = drill.levels
        assert (level.sets, level.reps, level.hold_seconds) == (1, drill.reps_per_set, None)
        assert level.per_side is per_side
        assert drill.advance_when is None


def test_strength_exercises_have_four_dosed_levels_and_a_rule_to_advance(cat: Catalog) -> None:
    for exercise in cat.of_kind("strength"):
        assert [lv.level for lv in exercise.levels] == [1, 2, 3, 4], exercise.id
        assert exercise.advance_when is not None and len(exercise.advance_when) > 40
        for level in exercise.levels:
            assert level.reps is not None and level.hold_seconds is None
            assert 2 <= level.sets <= 4, (exercise.id, level.level)
            assert 6 <= level.reps <= 15, (exercise.id, level.level)
        assert exercise.at(0) is exercise.levels[0]
        assert exercise.at(9) is exercise.levels[-1]
    # one-legged work is dosed per side; the bilateral reverse Nordic is not
    assert all(lv.per_side for lv in cat.exercise("step-down").levels)
    assert all(lv.per_side for lv in cat.exercise("split-squat").levels)
    assert not any(lv.per_side for lv in cat.exercise("reverse-nordic").levels)


def test_step_down_box_height_rises_level_by_level(cat: Catalog) -> None:
    heights = [int(m.group(1)) for lv in cat.exercise("step-down").levels
               if (m := re.search(r"(\d+)\s*cm", lv.name))]
    assert len(heights) == 4
    assert heights == sorted(heights) and len(set(heights)) == 4


def test_stretches_follow_acsm_and_the_guide(cat: Catalog) -> None:
    for stretch in cat.of_kind("stretching"):
        (level,) = stretch.levels
        assert level.per_side and level.reps is None and level.hold_seconds is not None
        assert 2 <= level.sets <= 4                    # ACSM: repeated 2–4 times
        assert 10 <= level.hold_seconds <= 60
        assert level.sets * level.hold_seconds >= 60   # ACSM: about 60 s per stretch in total
    for stretch_id in ("standing-quad-stretch", "lying-quad-stretch"):
        assert cat.exercise(stretch_id).levels[0].hold_seconds == 30   # guide: about 30 s
    couch = cat.exercise("couch-stretch").levels[0].hold_seconds
    assert couch is not None and 45 <= couch <= 60


def test_warmup_items_are_single_level(cat: Catalog) -> None:
    for item in cat.of_kind("warmup"):
        assert len(item.levels) == 1, item.id
        assert item.advance_when is None


# --- block minutes --------------------------------------------------------------------------


def test_beginner_combined_session_fits_75_minutes(cat: Catalog) -> None:
    minutes = cat.block_minutes
    combined = sum(minutes[b]["beginner"] for b in ("warmup", "plyometrics", "strength",
                                                   "stretching"))
    assert combined <= 75


@pytest.mark.parametrize("level", ATHLETE_LEVELS)
def test_stretch_only_session_is_about_15_minutes(cat: Catalog, level: str) -> None:
    minutes = cat.block_minutes
    assert 12 <= minutes["mobility"][level] + minutes["stretching"][level] <= 18
    assert 9 <= minutes["stretching"][level] <= 12


@pytest.mark.parametrize("level", ATHLETE_LEVELS)
def test_blocks_hold_their_doses(cat: Catalog, level: str) -> None:
    """A rough time for the top level of every item of a block (holds, a few seconds a rep,
    rest between sets) never exceeds the minutes the solver books for that block."""

    def seconds(kind: str, per_rep: int, rest: int) -> int:
        total = 0
        for exercise in cat.of_kind(kind):
            lv = exercise.levels[-1]
            work = lv.hold_seconds if lv.hold_seconds is not None else per_rep * (lv.reps or 0)
            total += lv.sets * (work * (2 if lv.per_side else 1) + rest)
        return total

    minutes = cat.block_minutes
    assert seconds("warmup", 2, 0) <= 60 * minutes["warmup"][level]
    assert seconds("stretching", 0, 10) <= 60 * minutes["stretching"][level]
    assert seconds("strength", 4, 60) <= 60 * minutes["strength"][level]


def test_plyometric_minutes_grow_with_athlete_level(cat: Catalog) -> None:
    plyo = [cat.block_minutes["plyometrics"][lvl] for lvl in ATHLETE_LEVELS]
    assert plyo == sorted(plyo) and plyo[0] < plyo[-1]


# --- the 8-week template --------------------------------------------------------------------


def test_eight_weeks_numbered_in_order(cat: Catalog) -> None:
    assert [w.number for w in cat.weeks] == list(range(1, 9))
    assert cat.weeks[0].phase == "foundation"


def test_deload_week_is_lighter_than_both_neighbours(cat: Catalog) -> None:
    deloads = [i for i, w in enumerate(cat.weeks) if w.phase == "deload"]
    assert deloads == [3]                                  # week 4
    before, deload, after = cat.weeks[2], cat.weeks[3], cat.weeks[4]
    assert deload.contacts < before.contacts and deload.contacts < after.contacts
    assert deload.rpe < before.rpe and deload.rpe < after.rpe
    assert deload.plyo_sessions <= min(before.plyo_sessions, after.plyo_sessions)


def test_taper_week_is_last_and_lighter_than_the_peak(cat: Catalog) -> None:
    taper = cat.weeks[-1]
    assert taper.phase == "taper"
    assert [w.phase for w in cat.weeks].count("taper") == 1
    peak = [w for w in cat.weeks if w.phase == "peak"]
    assert peak and all(taper.contacts < w.contacts and taper.rpe < w.rpe for w in peak)


def test_sessions_per_week_follow_the_phase(cat: Catalog) -> None:
    for week in cat.weeks:
        expected = 3 if week.phase in ("build", "peak") else 2
        assert week.plyo_sessions == expected, week.number
        assert week.strength_sessions == 2, week.number    # guide: at least twice a week


def test_drills_run_low_to_high_intensity(cat: Catalog) -> None:
    rank = {e.id: INTENSITIES.index(e.intensity or "") for e in cat.of_kind("plyometrics")}
    for week in cat.weeks:
        ranks = [rank[d] for d in week.drills]
        assert ranks == sorted(ranks), week.number
        assert len(set(week.drills)) == len(week.drills), week.number
        assert rank[week.drills[0]] == 0, week.number      # every session starts low


def test_lateral_bounds_only_in_the_second_half(cat: Catalog) -> None:
    weeks_with = [w.number for w in cat.weeks if "lateral-bound" in w.drills]
    assert weeks_with and min(weeks_with) >= 5
    assert all(w.drills == ("squat-jump",) for w in cat.weeks[:1])


def test_intensity_rises_as_volume_falls(cat: Catalog) -> None:
    second_half = [w for w in cat.weeks[4:] if w.phase in ("build", "peak")]
    contacts = [w.contacts for w in second_half]
    rpe = [w.rpe for w in second_half]
    assert contacts == sorted(contacts, reverse=True) and contacts[0] > contacts[-1]
    assert rpe == sorted(rpe) and rpe[0] < rpe[-1]
    biggest = max(cat.weeks, key=lambda w: w.contacts)
    assert "lateral-bound" not in biggest.drills


def test_strength_stage_rises_from_one_to_four(cat: Catalog) -> None:
    stages = [w.strength_stage for w in cat.weeks]
    assert stages[0] == 1 and max(stages) == 4
    assert stages == sorted(stages)
    for week in cat.weeks:
        lighter = week.phase in ("deload", "taper")
        assert week.sets_delta == (-1 if lighter else 0), week.number


@pytest.mark.parametrize("level", ATHLETE_LEVELS)
def test_contacts_stay_within_nsca_ranges(cat: Catalog, level: str) -> None:
    low, high = NSCA_CONTACTS[level]
    scale = cat.levels[level]
    assert scale.contacts_cap <= high
    for week in cat.weeks:
        assert round(week.contacts * scale.contacts_scale) <= high, week.number
        assert 20 <= _scaled(cat, level, week.contacts) <= high, week.number
    # the volume peak reaches the level's range
    assert max(_scaled(cat, level, w.contacts) for w in cat.weeks) >= low


def test_beginner_contacts_are_60_to_100(cat: Catalog) -> None:
    assert cat.levels["beginner"].contacts_scale == 1.0
    assert all(60 <= w.contacts <= 100 for w in cat.weeks)


def test_athlete_levels_scale_up(cat: Catalog) -> None:
    scales = [cat.levels[lvl] for lvl in ATHLETE_LEVELS]
    assert [s.contacts_scale for s in scales] == sorted(s.contacts_scale for s in scales)
    assert [s.contacts_cap for s in scales] == sorted(s.contacts_cap for s in scales)
    assert [s.strength_offset for s in scales] == sorted(s.strength_offset for s in scales)
    assert scales[0].strength_offset == 0


# --- broken copies are refused --------------------------------------------------------------


def _copy(tmp_path: Path) -> None:
    for name in ("exercises.toml", "template.toml"):
        shutil.copyfile(HERE / name, tmp_path / name)


def _edit(tmp_path: Path, name: str, start: str, old: str, new: str, end: str) -> None:
    """Copy both files into tmp_path, then replace the first ``old`` after the unique marker
    ``start`` in ``name``; ``old`` must come before the next ``end`` (the next table)."""
    _copy(tmp_path)
    path = tmp_path / name
    text = path.read_text(encoding="utf-8")
    assert text.count(start) == 1, start
    begin = text.index(start)
    at = text.index(old, begin)
    stop = text.find(end, begin + len(start))
    assert stop == -1 or at < stop, (start, old)
    path.write_text(text[:at] + new + text[at + len(old):], encoding="utf-8")


def _week_marker(tmp_path: Path, index: int) -> str:
    """Make the ``index``-th [[weeks]] header of the copied template unique, to edit that week."""
    path = tmp_path / "template.toml"
    head, *weeks = path.read_text(encoding="utf-8").split("[[weeks]]")
    marker = f"[[weeks]]  # edited week {index}"
    path.write_text(head + "".join((marker if i == index else "[[weeks]]") + body
                                   for i, body in enumerate(weeks)), encoding="utf-8")
    return marker


def _index(exercise_id: str) -> int:
    return [e.id for e in default_catalog().exercises].index(exercise_id)


def _refused(tmp_path: Path, field: str, value: object) -> InputError:
    with pytest.raises(InputError) as caught:
        load_catalog(tmp_path)
    err = caught.value
    assert err.field == field
    assert err.value == value
    assert field in str(err) and str(value) in str(err)
    return err


EXERCISE_CASES = [
    # (exercise id, old text, new text, field under exercises[i], bad value)
    pytest.param("step-down", "cue = ", 'colour = "red"\ncue = ', "colour", "colour",
                 id="unknown-exercise-key"),
    pytest.param("step-down", "per_side = true", 'per_side = true\ntempo = "3-0-1"',
                 "levels[0].tempo", "tempo", id="unknown-level-key"),
    pytest.param("standing-quad-stretch", "hold_seconds = 30", "hold_seconds = 30\nreps = 5",
                 "levels[0]", "reps=5, hold_seconds=30", id="reps-and-hold"),
    pytest.param("split-squat", "advance_when = ", "# advance_when = ", "advance_when",
                 "(missing)", id="strength-without-advance-when"),
    pytest.param("reverse-nordic", "level = 2", "level = 3", "levels[1].level", 3,
                 id="level-numbering-gap"),
    pytest.param("step-down", "sets = 3", "sets = 0", "levels[0].sets", 0, id="sets-zero"),
    pytest.param("tibialis-raise", "sets = 2", "sets = 11", "levels[0].sets", 11,
                 id="sets-eleven"),
    pytest.param("couch-stretch", "hold_seconds = 45", "hold_seconds = 3",
                 "levels[0].hold_seconds", 3, id="hold-too-short"),
    pytest.param("squat-jump", "intensity = ", "# intensity = ", "intensity", "(missing)",
                 id="drill-without-intensity"),
    pytest.param("box-jump", 'intensity = "moderate"', 'intensity = "medium"', "intensity",
                 "medium", id="drill-intensity-unknown"),
    pytest.param("step-down", "kind = ", 'intensity = "low"\nkind = ', "intensity", "low",
                 id="intensity-on-strength"),
]


@pytest.mark.parametrize(("exercise_id", "old", "new", "sub_field", "value"), EXERCISE_CASES)
def test_broken_exercise_is_refused(tmp_path: Path, exercise_id: str, old: str, new: str,
                                    sub_field: str, value: object) -> None:
    _edit(tmp_path, "exercises.toml", f'id = "{exercise_id}"', old, new, "[[exercises]]")
    _refused(tmp_path, f"exercises[{_index(exercise_id)}].{sub_field}", value)


WEEK_CASES = [
    # (week index, old text, new text, field under weeks[i], bad value)
    pytest.param(2, 'drills = ["', 'drills = ["tuck-jump", "', "drills", "tuck-jump",
                 id="drill-not-in-catalogue"),
    pytest.param(5, 'drills = ["', 'drills = ["step-down", "', "drills", "step-down",
                 id="strength-exercise-as-drill"),
    pytest.param(2, "plyo_sessions", "plyo_session", "plyo_session", "plyo_session",
                 id="unknown-week-key"),
    pytest.param(0, "contacts = 60", "contacts = 250", "contacts", 250, id="contacts-too-high"),
    pytest.param(3, 'phase = "deload"', 'phase = "rest"', "phase", "rest", id="unknown-phase"),
    pytest.param(7, "sets_delta = -1", "sets_delta = 1", "sets_delta", 1,
                 id="sets-delta-positive"),
]


@pytest.mark.parametrize(("week", "old", "new", "sub_field", "value"), WEEK_CASES)
def test_broken_template_week_is_refused(tmp_path: Path, week: int, old: str, new: str,
                                         sub_field: str, value: object) -> None:
    _copy(tmp_path)
    marker = _week_marker(tmp_path, week)
    text = (tmp_path / "template.toml").read_text(encoding="utf-8")
    begin = text.index(marker)
    at = text.index(old, begin)
    stop = text.find("[[weeks]]", begin + len(marker))
    assert stop == -1 or at < stop, (week, old)
    (tmp_path / "template.toml").write_text(text[:at] + new + text[at + len(old):],
                                            encoding="utf-8")
    _refused(tmp_path, f"weeks[{week}].{sub_field}", value)


def test_drill_that_is_not_text_is_refused(tmp_path: Path) -> None:
    """A table in the drill list is an InputError, not a TypeError from a set lookup."""
    _copy(tmp_path)
    marker = _week_marker(tmp_path, 0)
    path = tmp_path / "template.toml"
    text = path.read_text(encoding="utf-8")
    old = 'drills = ["squat-jump"'
    at = text.index(old, text.index(marker))
    text = text[:at] + 'drills = [{ id = "squat-jump" }, "squat-jump"' + text[at + len(old):]
    path.write_text(text, encoding="utf-8")
    _refused(tmp_path, "weeks[0].drills", {"id": "squat-jump"})


def test_unknown_key_suggests_the_known_one(tmp_path: Path) -> None:
    _copy(tmp_path)
    path = tmp_path / "template.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("strength_sessions = 2",
                                                             "strenght_sessions = 2", 1),
                    encoding="utf-8")
    err = _refused(tmp_path, "weeks[0].strenght_sessions", "strenght_sessions")
    assert "did you mean 'strength_sessions'" in str(err)


def test_level_scale_out_of_range_is_refused(tmp_path: Path) -> None:
    _edit(tmp_path, "template.toml", "[levels.advanced]", "contacts_scale = 1.5",
          "contacts_scale = 3.0", "[[weeks]]")
    _refused(tmp_path, "levels.advanced.contacts_scale", 3.0)


def test_unknown_block_is_refused(tmp_path: Path) -> None:
    _edit(tmp_path, "exercises.toml", "[block_minutes]", "mobility = ",
          "cooldown = { beginner = 5, intermediate = 5, advanced = 5 }\nmobility = ",
          "[[exercises]]")
    _refused(tmp_path, "block_minutes.cooldown", "cooldown")


def test_duplicate_id_is_refused(tmp_path: Path) -> None:
    _edit(tmp_path, "exercises.toml", 'id = "lying-quad-stretch"', "lying-quad-stretch",
          "standing-quad-stretch", "[[exercises]]")
    _refused(tmp_path, "exercises.id", "standing-quad-stretch")


def test_the_unedited_copy_loads(tmp_path: Path) -> None:
    """The helpers above copy faithfully: a copy with no edit loads to the same catalogue."""
    _copy(tmp_path)
    _week_marker(tmp_path, 4)
    assert load_catalog(tmp_path) == default_catalog()


def test_weekly_jump_volume_rises_gradually(cat: Catalog) -> None:
    """Sessions × contacts never rise more than a third over the last full (non-deload) week."""
    weekly = [w.plyo_sessions * w.contacts for w in cat.weeks]
    reference = weekly[0]
    for week, volume in zip(cat.weeks[1:], weekly[1:], strict=True):
        assert volume <= reference * 4 / 3, (week.number, volume, reference)
        if week.phase != "deload":
            reference = volume
