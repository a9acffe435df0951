"""The shipped exercise catalogue and 8-week template: their content, and the loader refusing
broken copies of them with errors that name the field and the value."""

from __future__ import annotations

import itertools
import math
import re
import shutil
from pathlib import Path

import pytest

from catalog import (
    ATHLETE_LEVELS,
    EQUIPMENT,
    HERE,
    INTENSITIES,
    Catalog,
    Exercise,
    default_catalog,
    load_catalog,
)
from planner.errors import InputError

DRILLS = ("ankle-hops", "snap-down", "squat-jump", "lateral-line-hop", "single-leg-hop",
          "box-jump", "lateral-bound")
STRENGTH = ("step-down", "split-squat", "reverse-nordic", "tibialis-raise", "hip-abduction",
            "hip-bridge")   # the guide's four, then hip work [Willy 2019]
STRETCHES = ("standing-quad-stretch", "lying-quad-stretch", "couch-stretch")
# NSCA (Essentials, plyometrics chapter; Chu): foot contacts per session by athlete level.
NSCA_CONTACTS = {"beginner": (60, 100), "intermediate": (100, 150), "advanced": (120, 200)}
KEBAB = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
# Words that make a cue lean on a level the athlete may never have done.
RELATIVE = re.compile(r"\b(than before|as before|same (depth|position|as)|previous|"
                      r"further (out|than)|a little (deeper|more) than|again)\b", re.I)
VARIABLES = ("range", "load", "tempo", "support")


@pytest.fixture
def cat() -> Catalog:
    return default_catalog()


def _ids(cat: Catalog, kind: str) -> tuple[str, ...]:
    return tuple(e.id for e in cat.of_kind(kind))


def _progressive(cat: Catalog) -> list[Exercise]:
    return [e for e in cat.exercises if e.kind in ("strength", "plyometrics")]


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
    assert [e.id for e in cat.of_kind("plyometrics") if e.role == "warmup"] == [
        "ankle-hops", "snap-down"]


def test_ids_are_kebab_case_and_every_text_is_filled(cat: Catalog) -> None:
    assert cat.safety_note.strip()
    for exercise in cat.exercises:
        assert KEBAB.fullmatch(exercise.id), exercise.id
        assert exercise.name.strip() and exercise.cue.strip(), exercise.id
        for level in exercise.levels:
            assert level.name.strip() and level.cue.strip(), (exercise.id, level.level)


def test_cues_stand_alone(cat: Catalog) -> None:
    """No cue or name refers to another level ("deeper than before"): an athlete may start at
    any level, so each says the whole movement."""
    for exercise in cat.exercises:
        texts = [exercise.cue] + [t for lv in exercise.levels for t in (
            lv.name, lv.cue, *((lv.substitute.name, lv.substitute.cue) if lv.substitute else ()))]
        for text in texts:
            assert not RELATIVE.search(text), (exercise.id, text)


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
    expected = {"ankle-hops": "low", "snap-down": "low", "squat-jump": "low",
                "lateral-line-hop": "low", "single-leg-hop": "moderate", "box-jump": "moderate",
                "lateral-bound": "high"}
    for drill_id, intensity in expected.items():
        drill = cat.exercise(drill_id)
        assert drill.intensity == intensity
        assert drill.advance_when is None
        for level in drill.levels:
            assert level.reps == drill.reps_per_set and level.hold_seconds is None
    assert all(lv.per_side for lv in cat.exercise("lateral-bound").levels)
    assert all(lv.per_side for lv in cat.exercise("single-leg-hop").levels)


def test_jump_rest_is_five_to_ten_times_the_work(cat: Catalog) -> None:
    """[NSCA] work:rest 1:5 to 1:10 on every jump set (both legs' work for a per-side set)."""
    for drill in cat.of_kind("plyometrics"):
        for lv in drill.levels:
            work = lv.work_seconds * (2 if lv.per_side else 1)
            assert 5 * work <= lv.rest_seconds <= 10 * work, (drill.id, lv.level)


def test_every_set_has_work_and_strength_sets_rest(cat: Catalog) -> None:
    for exercise in cat.exercises:
        for lv in exercise.levels:
            assert lv.work_seconds > 0, (exercise.id, lv.level)
            if exercise.kind == "strength":
                assert 30 <= lv.rest_seconds <= 180, (exercise.id, lv.level)
            if lv.hold_seconds is not None:
                assert lv.work_seconds == lv.hold_seconds, (exercise.id, lv.level)


def test_progressions_start_at_a_regression_and_move_one_variable_a_step(cat: Catalog) -> None:
    """Level 0 is a regression; each next level raises exactly one of range, load, tempo,
    support by one step and keeps the others and the dose (sets, reps, sides)."""
    for exercise in _progressive(cat):
        numbers = [lv.level for lv in exercise.levels]
        assert numbers == list(range(len(numbers))), exercise.id
        assert exercise.levels[0].steps == (0, 0, 0, 0), exercise.id
        for before, after in itertools.pairwise(exercise.levels):
            changed = [(VARIABLES[i], b, a) for i, (b, a) in
                       enumerate(zip(before.steps, after.steps, strict=True)) if a != b]
            assert len(changed) == 1, (exercise.id, after.level, changed)
            _, was, now = changed[0]
            assert now == was + 1, (exercise.id, after.level, changed)
            if exercise.role == "main" or exercise.kind == "strength":
                assert (before.sets, before.reps, before.per_side) == (
                    after.sets, after.reps, after.per_side), (exercise.id, after.level)


def test_strength_exercises_have_seven_levels_and_a_rule_to_advance(cat: Catalog) -> None:
    for exercise in cat.of_kind("strength"):
        assert [lv.level for lv in exercise.levels] == list(range(7)), exercise.id
        assert exercise.advance_when is not None and len(exercise.advance_when) > 40
        for level in exercise.levels:
            assert level.reps is not None and level.hold_seconds is None
            assert 2 <= level.sets <= 4, (exercise.id, level.level)
            assert 6 <= level.reps <= 15, (exercise.id, level.level)
        assert exercise.at(-3) is exercise.levels[0]
        assert exercise.at(99) is exercise.levels[-1]
    assert all(lv.per_side for lv in cat.exercise("step-down").levels)
    assert all(lv.per_side for lv in cat.exercise("split-squat").levels)
    assert not any(lv.per_side for lv in cat.exercise("reverse-nordic").levels)
    # The band comes off before the range grows (issue 14: not both in one step).
    nordic = cat.exercise("reverse-nordic").levels
    band = [lv.level for lv in nordic if "band" in lv.equipment]
    assert band == [0] and nordic[1].steps[0] == nordic[0].steps[0]


def test_step_and_box_heights_rise_level_by_level(cat: Catalog) -> None:
    for exercise_id in ("step-down", "box-jump"):
        heights = [int(m.group(1)) for lv in cat.exercise(exercise_id).levels
                   if (m := re.search(r"(\d+)\s*cm", lv.name))]
        assert heights == sorted(heights) and len(set(heights)) >= 4, (exercise_id, heights)


def test_every_level_needing_equipment_has_a_substitute_that_is_used(cat: Catalog) -> None:
    """Without the equipment the dose keeps its sets, reps and timing, takes the substitute's
    name and says what it replaces and why; with it, the level itself."""
    from planner.training.dosing import dose_exercise

    checked = 0
    for exercise in cat.exercises:
        for lv in exercise.levels:
            if not lv.equipment:
                assert lv.substitute is None, (exercise.id, lv.level)
                continue
            assert lv.substitute is not None
            assert set(lv.equipment) <= set(EQUIPMENT)
            full = dose_exercise(exercise, lv.level, equipment=frozenset(EQUIPMENT))
            bare = dose_exercise(exercise, lv.level, equipment=frozenset())
            assert lv.substitute.name in bare.name and lv.name in bare.cue
            assert all(item in bare.cue for item in lv.equipment), bare.cue
            assert lv.name in full.name and "Substitute" not in full.cue
            keep = ("sets", "reps", "hold_seconds", "per_side", "work_seconds", "rest_seconds",
                    "foot_contacts", "level")
            assert [getattr(bare, k) for k in keep] == [getattr(full, k) for k in keep]
            checked += 1
    assert checked >= 15


def test_stretches_follow_garber_and_the_guide(cat: Catalog) -> None:
    for stretch in cat.of_kind("stretching"):
        (level,) = stretch.levels
        assert level.per_side and level.reps is None and level.hold_seconds is not None
        assert 2 <= level.sets <= 4                    # Garber 2011: repeated 2–4 times
        assert 10 <= level.hold_seconds <= 60
        assert level.sets * level.hold_seconds >= 60   # about 60 s per stretch in total
    for stretch_id in ("standing-quad-stretch", "lying-quad-stretch"):
        assert cat.exercise(stretch_id).levels[0].hold_seconds == 30   # guide: about 30 s
    couch = cat.exercise("couch-stretch").levels[0].hold_seconds
    assert couch is not None and 45 <= couch <= 60


def test_warmup_items_are_single_level(cat: Catalog) -> None:
    for item in cat.of_kind("warmup"):
        assert len(item.levels) == 1, item.id
        assert item.advance_when is None


# --- durations from the catalogue's own numbers -----------------------------------------------


def _recomputed(cat: Catalog, level: str, block: str, weeks: range) -> int:
    """A block's minutes by this test's own arithmetic: for every program week, each dose's
    sets x (work x sides + rest) + setup; the largest week, rounded up to the minute."""
    from planner.training.dosing import session_doses

    type_key = {"plyometrics": "jumps", "strength": "strength"}.get(block, "stretch")
    largest = 0
    for week in weeks:
        seconds = 0
        for d in session_doses(cat, level, week, type_key, True):
            if d.kind == block:
                sides = 2 if d.per_side else 1
                seconds += d.sets * ((d.work_seconds or 0) * sides + (d.rest_seconds or 0))
                seconds += cat.setup_seconds
        largest = max(largest, seconds)
    return math.ceil(largest / 60)


@pytest.mark.parametrize("level", ATHLETE_LEVELS)
@pytest.mark.parametrize("weeks", [8, 52])
def test_session_minutes_are_the_recomputed_blocks(cat: Catalog, level: str, weeks: int) -> None:
    from planner.training.dosing import session_minutes

    blocks = {b: _recomputed(cat, level, b, range(1, weeks + 1))
              for b in ("warmup", "plyometrics", "strength", "stretching")}
    expected = {"jumps": blocks["warmup"] + blocks["plyometrics"] + blocks["stretching"],
                "strength": blocks["warmup"] + blocks["strength"] + blocks["stretching"],
                "combined": sum(blocks.values()),
                "stretch": blocks["warmup"] + blocks["stretching"]}
    for type_key, minutes in expected.items():
        assert session_minutes(cat, level, type_key, True, range(1, weeks + 1)) == minutes
    # warmup = false drops the warm-up from strength sessions only
    assert session_minutes(cat, level, "strength", False, range(1, weeks + 1)) == (
        blocks["strength"] + blocks["stretching"])
    assert session_minutes(cat, level, "jumps", False, range(1, weeks + 1)) == expected["jumps"]


def test_plyometric_minutes_grow_with_athlete_level(cat: Catalog) -> None:
    from planner.training.dosing import block_minutes

    plyo = [block_minutes(cat, lvl, "plyometrics", range(1, 9)) for lvl in ATHLETE_LEVELS]
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
    assert peak and all(taper.plyo_sessions * taper.contacts < w.plyo_sessions * w.contacts
                        and taper.rpe < w.rpe for w in peak)


def test_sessions_per_week_follow_the_guide(cat: Catalog) -> None:
    for week in cat.weeks:
        assert 2 <= week.plyo_sessions <= 3, week.number    # guide: 2–3 a week
        assert week.strength_sessions == 2, week.number    # guide: at least twice a week


def test_jump_drills_progress_low_to_high_over_the_block(cat: Catalog) -> None:
    """[NSCA] low before high over the program: the first week only low-intensity drills; a
    low-intensity lateral drill and a single-leg drill come in earlier weeks than lateral
    bounds (single-leg, lateral, high)."""
    def first(drill: str) -> int:
        return min(w.number for w in cat.weeks if drill in w.drills)

    rank = {e.id: INTENSITIES.index(e.intensity or "") for e in cat.of_kind("plyometrics")}
    assert all(rank[d] == 0 for d in cat.weeks[0].drills)
    assert first("lateral-line-hop") < first("single-leg-hop") < first("lateral-bound")
    assert first("box-jump") < first("lateral-bound")
    for week in cat.weeks:
        assert len(set(week.drills)) == len(week.drills), week.number


@pytest.mark.parametrize("level", ATHLETE_LEVELS)
def test_every_jump_session_lands_first_then_goes_hardest_first(cat: Catalog, level: str) -> None:
    from planner.training.dosing import session_doses

    names = {lv.name: e for e in cat.of_kind("plyometrics") for lv in e.levels}
    for week in range(1, 17):
        jumps = [names[d.name] for d in session_doses(cat, level, week, "jumps", False)
                 if d.kind == "plyometrics"]
        assert [e.id for e in jumps[:2]] == ["ankle-hops", "snap-down"], week
        main = [INTENSITIES.index(e.intensity or "") for e in jumps[2:]]
        assert main == sorted(main, reverse=True), (week, [e.id for e in jumps])
        doses = session_doses(cat, level, week, "jumps", False)
        assert sum(d.foot_contacts or 0 for d in doses) == sum(
            d.sets * (d.reps or 0) * (2 if d.per_side else 1)
            for d in doses if d.kind == "plyometrics"), "warm-up hops are counted"


def test_intensity_rises_as_volume_falls(cat: Catalog) -> None:
    second_half = [w for w in cat.weeks[4:] if w.phase in ("build", "peak")]
    contacts = [w.contacts for w in second_half]
    rpe = [w.rpe for w in second_half]
    assert contacts[0] == max(contacts) and contacts[0] > contacts[-1]
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
    from planner.training.program import session_contacts

    low, high = NSCA_CONTACTS[level]
    assert cat.levels[level].contacts_cap <= high
    sessions = [session_contacts(cat, level, w) for w in range(1, 53)]
    assert all(20 <= c <= high for c in sessions)
    assert max(sessions[:8]) >= low             # the block's largest session reaches the range


def test_beginner_contacts_are_60_to_100(cat: Catalog) -> None:
    assert cat.levels["beginner"].contacts_scale == 1.0
    assert all(60 <= w.contacts <= 100 for w in cat.weeks)


def test_athlete_levels_scale_up_and_start_above_the_regression(cat: Catalog) -> None:
    scales = [cat.levels[lvl] for lvl in ATHLETE_LEVELS]
    assert [s.contacts_scale for s in scales] == sorted(s.contacts_scale for s in scales)
    assert [s.contacts_cap for s in scales] == sorted(s.contacts_cap for s in scales)
    starts = [s.start_level for s in scales]
    assert starts == sorted(starts) and starts[0] == 1        # level 0 is kept for bad days
    assert [s.drill_level for s in scales] == sorted(s.drill_level for s in scales)


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
    pytest.param("step-down", "per_side = true", 'per_side = true\ncadence = "3-0-1"',
                 "levels[0].cadence", "cadence", id="unknown-level-key"),
    pytest.param("standing-quad-stretch", "hold_seconds = 30", "hold_seconds = 30\nreps = 5",
                 "levels[0]", "reps=5, hold_seconds=30", id="reps-and-hold"),
    pytest.param("split-squat", "advance_when = ", "# advance_when = ", "advance_when",
                 "(missing)", id="strength-without-advance-when"),
    pytest.param("reverse-nordic", "level = 2", "level = 3", "levels[2].level", 3,
                 id="level-numbering-gap"),
    pytest.param("step-down", "sets = 3", "sets = 0", "levels[0].sets", 0, id="sets-zero"),
    pytest.param("tibialis-raise", "sets = 3", "sets = 11", "levels[0].sets", 11,
                 id="sets-eleven"),
    pytest.param("couch-stretch", "hold_seconds = 45", "hold_seconds = 3",
                 "levels[0].hold_seconds", 3, id="hold-too-short"),
    pytest.param("squat-jump", "intensity = ", "# intensity = ", "intensity", "(missing)",
                 id="drill-without-intensity"),
    pytest.param("box-jump", 'intensity = "moderate"', 'intensity = "medium"', "intensity",
                 "medium", id="drill-intensity-unknown"),
    pytest.param("step-down", "kind = ", 'intensity = "low"\nkind = ', "intensity", "low",
                 id="intensity-on-strength"),
    pytest.param("squat-jump", "rest_seconds = 120", "rest_seconds = 30",
                 "levels[0].rest_seconds", 30, id="jump-rest-below-1-to-5"),
    pytest.param("squat-jump", "rest_seconds = 120", "rest_seconds = 250",
                 "levels[0].rest_seconds", 250, id="jump-rest-above-1-to-10"),
    pytest.param("split-squat", "per_side = true", 'per_side = true\nequipment = ["bench"]',
                 "levels[0].substitute", "(missing)", id="equipment-without-substitute"),
    pytest.param("step-down", 'equipment = ["step-10"]', 'equipment = ["step-12"]',
                 "levels[0].equipment", "step-12", id="unknown-equipment"),
    pytest.param("step-down", "range = 1", "range = 10", "levels[2].range", 10,
                 id="variable-out-of-range"),
    pytest.param("step-down", "per_side = true", 'per_side = true\ntempo_text = "slow"',
                 "levels[0].tempo_text", "slow", id="tempo-text-on-a-level-without-tempo"),
    pytest.param("step-down", "tempo_text = ", "# tempo_text = ", "levels[4].tempo_text",
                 "(missing)", id="tempo-level-without-its-tempo"),
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
    pytest.param(0, 'drills = ["', 'drills = ["ankle-hops", "', "drills", "ankle-hops",
                 id="warm-up-drill-as-a-week-drill"),
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


def test_the_old_block_minutes_table_is_refused(tmp_path: Path) -> None:
    """Minutes are computed from per-set timing now; a typed-in table is an unknown key."""
    _edit(tmp_path, "exercises.toml", "setup_seconds = 60", "setup_seconds = 60",
          "setup_seconds = 60\nblock_minutes = 5", "[[exercises]]")
    _refused(tmp_path, "block_minutes", "block_minutes")


def test_duplicate_id_is_refused(tmp_path: Path) -> None:
    _edit(tmp_path, "exercises.toml", 'id = "lying-quad-stretch"', "lying-quad-stretch",
          "standing-quad-stretch", "[[exercises]]")
    _refused(tmp_path, "exercises.id", "standing-quad-stretch")


def test_the_unedited_copy_loads(tmp_path: Path) -> None:
    """The helpers above copy faithfully: a copy with no edit loads to the same catalogue."""
    _copy(tmp_path)
    _week_marker(tmp_path, 4)
    assert load_catalog(tmp_path) == default_catalog()


def test_the_template_figures_keep_the_workload_rule(cat: Catalog) -> None:
    """Sessions x contacts as written never exceed 1.3 x the average of the four weeks before
    (week 1's volume standing in before the plan) [Gabbett 2016]."""
    weekly = [w.plyo_sessions * w.contacts for w in cat.weeks]
    history = [weekly[0]] * 4 + weekly
    for i, volume in enumerate(weekly):
        assert volume <= 1.3 * sum(history[i:i + 4]) / 4, (i + 1, volume, history[i:i + 4])


@pytest.mark.parametrize("level", ATHLETE_LEVELS)
def test_long_plans_keep_progressing_and_never_reset(cat: Catalog, level: str) -> None:
    """Block 2 starts where block 1 ended (strength level; drills one level up, a little more
    volume); nothing ever steps back over 52 weeks without a reason from the athlete."""
    from planner.training.program import drill_level, session_contacts, strength_level

    strength = [strength_level(cat, level, w) for w in range(1, 53)]
    assert strength == sorted(strength)
    for drill in ("ankle-hops", "squat-jump", "box-jump", "lateral-bound"):
        drills = [drill_level(cat, level, w, drill) for w in range(1, 53)]
        assert drills == sorted(drills), drill
        # Each drill climbs in block 2 past where block 1 left it (at most its top).
        assert drills[15] > drills[7] or drills[7] >= cat.exercise(drill).levels[-1].level
    assert strength[8] == strength[7], "block 2 starts at the level block 1 ended on"
    top = max(lv.level for lv in cat.exercise("step-down").levels)
    assert strength[15] > strength[7] or strength[7] >= top, "block 2 climbs unless at the top"
    for week in range(9, 53):   # each later block's sessions at least the first block's
        assert session_contacts(cat, level, week) >= session_contacts(cat, level, week - 8)
    taper = [w for w in range(1, 53) if cat.weeks[(w - 1) % 8].phase == "taper"]
    assert taper == list(range(8, 53, 8)), "a lighter week between every two blocks"


def test_a_level_that_progresses_by_tempo_shows_its_tempo_and_no_other_does() -> None:
    """The event text and ``periodize today`` (one text, ``dose_lines``) show the tempo of every
    strength level that progresses by tempo, and none where the level has none."""
    from planner.calendars.export.session_text import dose_lines
    from planner.training.dosing import dose_exercise

    catalog = default_catalog()
    shown = 0
    for exercise in catalog.of_kind("strength"):
        for lv in exercise.levels:
            flat = " ".join(" ".join(dose_lines(dose_exercise(exercise, lv.level))).split())
            tempo_step = lv.steps[VARIABLES.index("tempo")]
            assert (lv.tempo_text is not None) == bool(tempo_step), (exercise.id, lv.level)
            if lv.tempo_text is None:
                assert "tempo:" not in flat, (exercise.id, lv.level)
            else:
                assert f"tempo: {lv.tempo_text}" in flat, (exercise.id, lv.level)
                shown += 1
    assert shown >= 4, "the catalogue has strength levels that progress by tempo"
