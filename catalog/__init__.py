"""The exercise catalogue and the 8-week template, as data (``exercises.toml``, ``template.toml``),
read strictly: a key the loader does not know, a dose out of range or a drill the template names
but the catalogue lacks is an error, never ignored."""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.errors import InputError
from planner.store.strict_toml import read_toml, reject_unknown, take, take_choice, take_int

KINDS = ("warmup", "plyometrics", "strength", "stretching", "isometric")
# "isometric": holds for a painful day, named by a knee exercise's `pain_day`, never placed in a
# session by themselves.
ATHLETE_LEVELS = ("beginner", "intermediate", "advanced")
INTENSITIES = ("low", "moderate", "high")
PHASES = ("foundation", "build", "deload", "peak", "taper")
ROLES = ("main", "warmup")
STRENGTH_ROLES = ("main", "hip")   # "hip": hip work [Willy 2019], left out when `hip_work = false`
VARIABLES = ("range", "load", "tempo", "support")   # what a level changes, one step at a time
EQUIPMENT = ("step-10", "step-15", "step-20", "step-25", "box-20", "box-30", "box-45", "box-60",
             "bench", "band", "dumbbells", "slant-board")
JUMP_REST_RATIO = (5, 10)      # [NSCA] work:rest 1:5 to 1:10 for plyometric sets
HERE = Path(__file__).parent


@dataclass(frozen=True)
class Substitute:
    """What a level becomes when the athlete lacks its equipment (same dose and timing)."""

    name: str
    cue: str
    range_cm: int | None = None    # the range it reproduces, in cm, where that is a height


@dataclass(frozen=True)
class Variant:
    """What a level is for one equipment list: the level itself, or its substitute (with the
    items that are missing)."""

    name: str
    cue: str
    steps: tuple[int, int, int, int]
    range_cm: int | None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Level:
    """One step of an exercise's progression, with its dose and timing."""

    level: int
    name: str
    sets: int
    reps: int | None
    hold_seconds: int | None
    per_side: bool
    cue: str
    work_seconds: int = 0          # one set's work (per side when per_side)
    rest_seconds: int = 0          # after each set
    steps: tuple[int, int, int, int] = (0, 0, 0, 0)   # range, load, tempo, support
    equipment: tuple[str, ...] = ()
    substitute: Substitute | None = None
    tempo_text: str | None = None  # how a rep is paced, on levels that progress by tempo
    range_cm: int | None = None    # the range in cm where it is a height (a step-down's drop)
    deep_knee: bool = False        # a deep bend under load or kneeling: symptom-guided range
    range_cue: str | None = None   # on deep levels: the pain-free-range cue and its regression

    def variant(self, equipment: frozenset[str] | None) -> Variant:
        """The ONE substitution rule: the level itself when ``equipment`` (None: everything)
        holds what it needs, else its substitute, naming the missing items."""
        missing = () if equipment is None else tuple(
            e for e in self.equipment if e not in equipment)
        if missing and self.substitute is not None:
            sub = self.substitute
            return Variant(sub.name, sub.cue, self.steps, sub.range_cm, missing)
        return Variant(self.name, self.cue, self.steps, self.range_cm)

    @property
    def sides(self) -> int:
        return 2 if self.per_side else 1

    @property
    def set_seconds(self) -> int:
        """One set with the rest after it."""
        return self.work_seconds * self.sides + self.rest_seconds


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    kind: str
    cue: str
    advance_when: str | None
    intensity: str | None          # plyometrics only
    reps_per_set: int | None       # plyometrics only: contacts are split into sets of this size
    levels: tuple[Level, ...]
    role: str = "main"             # plyometrics: "warmup" drills open every jump session;
    #                                strength: "hip" work (left out when a profile says so)
    pain_day: Exercise | None = None   # strength: the isometric hold for a painful day
    for_pain: tuple[int, int] | None = None   # isometric: the pain band (0-10) it is for

    def at(self, level: int) -> Level:
        """The level numbered ``level``, within the progression's first and last."""
        first = self.levels[0].level
        return self.levels[max(0, min(level - first, len(self.levels) - 1))]


@dataclass(frozen=True)
class TemplateWeek:
    """One week of the block: how many sessions, how much jumping, which strength stage."""

    number: int
    phase: str
    plyo_sessions: int
    strength_sessions: int
    contacts: int                  # a beginner's foot contacts per plyometric session
    drills: tuple[str, ...]        # main drills of the week
    strength_stage: int
    sets_delta: int
    rpe: int                       # session RPE (CR-10) used for the week's load


@dataclass(frozen=True)
class LevelScale:
    contacts_scale: float
    contacts_cap: int              # most contacts a session, whatever the template says
    start_level: int               # strength level of week 1
    drill_level: int               # jump drill level of the first block


@dataclass(frozen=True)
class Catalog:
    exercises: tuple[Exercise, ...]
    weeks: tuple[TemplateWeek, ...]
    levels: Mapping[str, LevelScale]
    safety_note: str
    setup_seconds: int = 60        # moving to an exercise and setting up
    next_block_contacts: float = 0.0

    def exercise(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)

    def of_kind(self, kind: str) -> tuple[Exercise, ...]:
        return tuple(e for e in self.exercises if e.kind == kind)

    def of_dose(self, dose_name: str) -> Exercise | None:
        """The exercise a dose prescribes: named as the exercise, 'Exercise: level name' (or
        'Exercise: substitute name'), or a jump drill's level name."""
        for exercise in self.exercises:
            if dose_name == exercise.name or dose_name.startswith(exercise.name + ": "):
                return exercise
        for exercise in self.exercises:      # jump drills are named by their level
            if any(dose_name == lv.name for lv in exercise.levels):
                return exercise
        return None

    def find(self, name: str) -> Exercise | None:
        """An exercise by id or by name, ignoring case."""
        wanted = name.strip().lower()
        for exercise in self.exercises:
            if wanted in (exercise.id, exercise.name.lower()):
                return exercise
        return None


_LEVEL_KEYS = ("level", "name", "sets", "reps", "hold_seconds", "per_side", "cue", "work_seconds",
               "rest_seconds", *VARIABLES, "tempo_text", "equipment", "substitute", "range_cm",
               "deep_knee")


def _range_cm(raw: dict[str, Any], path: str) -> int | None:
    return take_int(raw, "range_cm", path, 1, 200) if "range_cm" in raw else None


def _level(raw: Any, path: str, expected: int, jump: bool) -> Level:
    if not isinstance(raw, dict):
        raise InputError(path, raw, "a table is expected")
    reject_unknown(raw, _LEVEL_KEYS, path)
    number = take_int(raw, "level", path, expected, expected)
    reps = take(raw, "reps", int, path, None)
    hold = take(raw, "hold_seconds", int, path, None)
    if (reps is None) == (hold is None):
        raise InputError(path, f"reps={reps}, hold_seconds={hold}",
                         "exactly one of reps or hold_seconds")
    if reps is not None and not 1 <= reps <= 50:
        raise InputError(f"{path}.reps", reps, "a whole number from 1 to 50")
    if hold is not None and not 5 <= hold <= 600:
        raise InputError(f"{path}.hold_seconds", hold, "a whole number from 5 to 600")
    equipment = take(raw, "equipment", list, path, [])
    for item in equipment:
        if item not in EQUIPMENT:
            raise InputError(f"{path}.equipment", item, "one of " + ", ".join(EQUIPMENT))
    sub_raw = take(raw, "substitute", dict, path, None)
    substitute = None
    if sub_raw is not None:
        reject_unknown(sub_raw, ("name", "cue", "range_cm"), f"{path}.substitute")
        substitute = Substitute(take(sub_raw, "name", str, f"{path}.substitute"),
                                take(sub_raw, "cue", str, f"{path}.substitute"),
                                _range_cm(sub_raw, f"{path}.substitute"))
    if equipment and substitute is None:
        raise InputError(f"{path}.substitute", "(missing)",
                         "a level that needs equipment says what to do without it")
    level = Level(level=number, name=take(raw, "name", str, path),
                  sets=take_int(raw, "sets", path, 1, 10), reps=reps, hold_seconds=hold,
                  per_side=take(raw, "per_side", bool, path, False),
                  cue=take(raw, "cue", str, path),
                  work_seconds=take_int(raw, "work_seconds", path, 1, 600),
                  rest_seconds=take_int(raw, "rest_seconds", path, 0, 600),
                  steps=(take_int(raw, "range", path, 0, 9, 0),
                         take_int(raw, "load", path, 0, 9, 0),
                         take_int(raw, "tempo", path, 0, 9, 0),
                         take_int(raw, "support", path, 0, 9, 0)),
                  equipment=tuple(equipment), substitute=substitute,
                  tempo_text=take(raw, "tempo_text", str, path, None),
                  range_cm=_range_cm(raw, path),
                  deep_knee=take(raw, "deep_knee", bool, path, False))
    tempo_step = level.steps[VARIABLES.index("tempo")]
    if level.tempo_text is not None and not (tempo_step and 1 <= len(level.tempo_text) <= 60):
        raise InputError(f"{path}.tempo_text", level.tempo_text,
                         "1 to 60 characters, on a level that progresses by tempo (tempo >= 1)")
    if not jump and tempo_step and level.tempo_text is None:
        raise InputError(f"{path}.tempo_text", "(missing)",
                         "a level that progresses by tempo says its tempo, e.g. "
                         "\"3 s down, 2 s pause, 1 s up\"")
    if jump:
        low, high = JUMP_REST_RATIO
        work = level.work_seconds * level.sides
        if not low * work <= level.rest_seconds <= high * work:
            raise InputError(f"{path}.rest_seconds", level.rest_seconds,
                             f"{low} to {high} times the set's work ({work} s) [NSCA 1:5-1:10]")
    return level


def ladder(levels: tuple[Level, ...], equipment: frozenset[str] | None) -> tuple[Variant, ...]:
    """An exercise's levels as one equipment list makes them."""
    return tuple(level.variant(equipment) for level in levels)


def ladder_fault(variants: tuple[Variant, ...]) -> tuple[int, str] | None:
    """The first rung (index) that breaks the ladder and why, or None: the rungs are pairwise
    different in name and cue, each rises in at least one of range, load, tempo, support and
    falls in none, and where every rung states its range in cm, that never falls and rises with
    each range step."""
    for i, rung in enumerate(variants):
        for j in range(i):
            if rung.name == variants[j].name or rung.cue == variants[j].cue:
                return i, f"the same as level {j}'s"
    sized = all(v.range_cm is not None for v in variants)
    for i in range(1, len(variants)):
        before, after = variants[i - 1], variants[i]
        if after.steps == before.steps or any(
                a < b for a, b in zip(after.steps, before.steps, strict=True)):
            return i, "not one step harder than the level below"
        if sized and before.range_cm is not None and after.range_cm is not None and (
                after.range_cm < before.range_cm
                or (after.steps[0] > before.steps[0] and after.range_cm == before.range_cm)):
            return i, f"a range of {after.range_cm} cm after {before.range_cm} cm below"
    return None


def _check_ladder(levels: tuple[Level, ...], path: str) -> None:
    """Every equipment mix (every subset of the items the levels name) keeps the ladder."""
    items = sorted({e for level in levels for e in level.equipment})
    for count in range(len(items) + 1):
        for have in itertools.combinations(items, count):
            fault = ladder_fault(ladder(levels, frozenset(have)))
            if fault is not None:
                at, why = fault
                raise InputError(f"{path}.levels[{at}].substitute",
                                 levels[at].variant(frozenset(have)).name,
                                 f"a rung of its own with only [{', '.join(have)}]: it is "
                                 f"{why}")


def _symptom_cue(raw: dict[str, Any]) -> str:
    """``[symptom_guided]``: the pain-free-range cue, which states its limit as "N/10"."""
    table = take(raw, "symptom_guided", dict, "")
    reject_unknown(table, ("max_pain", "cue"), "symptom_guided")
    limit = take_int(table, "max_pain", "symptom_guided", 0, 5)
    cue = take(table, "cue", str, "symptom_guided")
    if f"{limit}/10" not in cue:
        raise InputError("symptom_guided.cue", cue, f"a text that states the limit as {limit}/10")
    return cue


def _exercise(raw: Any, path: str, symptom_cue: str) -> Exercise:
    if not isinstance(raw, dict):
        raise InputError(path, raw, "a table is expected")
    reject_unknown(raw, ("id", "name", "kind", "cue", "advance_when", "intensity",
                         "reps_per_set", "role", "levels", "painful_range", "pain_day",
                         "for_pain"), path)
    kind = take_choice(raw, "kind", path, KINDS)
    plyo = kind == "plyometrics"
    intensity = take_choice(raw, "intensity", path, INTENSITIES) if plyo else None
    reps_per_set = take_int(raw, "reps_per_set", path, 1, 20) if plyo else None
    role = (take_choice(raw, "role", path, ROLES, "main") if plyo
            else take_choice(raw, "role", path, STRENGTH_ROLES, "main") if kind == "strength"
            else "main")
    if not plyo:
        for key in ("intensity", "reps_per_set", "role") if kind != "strength" else (
                "intensity", "reps_per_set"):
            if key in raw:
                raise InputError(f"{path}.{key}", raw[key], "only plyometric drills take this key")
    levels_raw = take(raw, "levels", list, path)
    if not levels_raw:
        raise InputError(f"{path}.levels", levels_raw, "at least one level")
    for_pain = _pain_band(raw, path) if kind == "isometric" else None
    if kind != "isometric" and "for_pain" in raw:
        raise InputError(f"{path}.for_pain", raw["for_pain"], "only isometric holds take this key")
    if kind != "strength" and "pain_day" in raw:
        raise InputError(f"{path}.pain_day", raw["pain_day"],
                         "only strength exercises take this key")
    # Strength and jump progressions start with a regression, level 0; warm-up, stretches and
    # isometric holds have a single dose, level 1.
    first = 0 if kind in ("strength", "plyometrics") else 1
    levels = tuple(_level(item, f"{path}.levels[{i}]", first + i, plyo)
                   for i, item in enumerate(levels_raw))
    _check_ladder(levels, path)
    painful = take(raw, "painful_range", str, path, None)
    deep = [i for i, level in enumerate(levels) if level.deep_knee]
    if deep and painful is None:
        raise InputError(f"{path}.painful_range", "(missing)",
                         f"level {levels[deep[0]].level} is deep_knee: say how to leave out the "
                         "range that hurts")
    if painful is not None and not deep:
        raise InputError(f"{path}.painful_range", painful, "only on an exercise with a "
                         "deep_knee level")
    levels = tuple(dataclasses.replace(level, range_cue=f"{symptom_cue} {painful}")
                   if level.deep_knee else level for level in levels)
    advance = take(raw, "advance_when", str, path, None)
    if kind == "strength" and advance is None:
        raise InputError(f"{path}.advance_when", "(missing)",
                         "strength exercises say when to move to the next level")
    return Exercise(id=take(raw, "id", str, path), name=take(raw, "name", str, path), kind=kind,
                    cue=take(raw, "cue", str, path), advance_when=advance, intensity=intensity,
                    reps_per_set=reps_per_set, levels=levels, role=role, for_pain=for_pain)


def _pain_band(raw: dict[str, Any], path: str) -> tuple[int, int]:
    band = take(raw, "for_pain", list, path)
    if (len(band) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in band)
            or not 0 <= band[0] <= band[1] <= 10):
        raise InputError(f"{path}.for_pain", band, "[low, high], whole pain scores 0 to 10")
    return band[0], band[1]


def _link_pain_days(raws: list[Any], exercises: tuple[Exercise, ...]) -> tuple[Exercise, ...]:
    """Each strength exercise's ``pain_day`` id resolved to its isometric hold."""
    holds = {e.id: e for e in exercises if e.kind == "isometric"}
    linked = []
    for i, (raw, exercise) in enumerate(zip(raws, exercises, strict=True)):
        wanted = raw.get("pain_day") if isinstance(raw, dict) else None
        if wanted is not None:
            if wanted not in holds:
                raise InputError(f"exercises[{i}].pain_day", wanted,
                                 "one of " + ", ".join(sorted(holds)))
            exercise = dataclasses.replace(exercise, pain_day=holds[wanted])
        linked.append(exercise)
    return tuple(linked)


def _week(raw: Any, path: str, number: int, drills: set[str]) -> TemplateWeek:
    if not isinstance(raw, dict):
        raise InputError(path, raw, "a table is expected")
    reject_unknown(raw, ("phase", "plyo_sessions", "strength_sessions", "contacts", "drills",
                         "strength_stage", "sets_delta", "rpe"), path)
    names = take(raw, "drills", list, path)
    if not names:
        raise InputError(f"{path}.drills", names, "at least one plyometric drill")
    for name in names:
        if not isinstance(name, str) or name not in drills:
            raise InputError(f"{path}.drills", name, "one of " + ", ".join(sorted(drills)))
    return TemplateWeek(number=number, phase=take_choice(raw, "phase", path, PHASES),
                        plyo_sessions=take_int(raw, "plyo_sessions", path, 0, 3),
                        strength_sessions=take_int(raw, "strength_sessions", path, 0, 3),
                        contacts=take_int(raw, "contacts", path, 20, 200), drills=tuple(names),
                        strength_stage=take_int(raw, "strength_stage", path, 1, 10),
                        sets_delta=take_int(raw, "sets_delta", path, -2, 0),
                        rpe=take_int(raw, "rpe", path, 1, 10))


def load_catalog(directory: Path = HERE) -> Catalog:
    """Read and validate ``exercises.toml`` and ``template.toml`` from ``directory``."""
    ex_path, tpl_path = directory / "exercises.toml", directory / "template.toml"
    ex_raw = read_toml(ex_path, "catalog")
    reject_unknown(ex_raw, ("schema", "safety_note", "setup_seconds", "symptom_guided",
                            "exercises"), "")
    take_int(ex_raw, "schema", "", 2, 2)
    symptom_cue = _symptom_cue(ex_raw)
    raws = take(ex_raw, "exercises", list, "")
    exercises = _link_pain_days(raws, tuple(_exercise(item, f"exercises[{i}]", symptom_cue)
                                            for i, item in enumerate(raws)))
    ids = [e.id for e in exercises]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise InputError("exercises.id", sorted(duplicates)[0], "each id once")
    for kind in KINDS:
        if not any(e.kind == kind for e in exercises):
            raise InputError("exercises.kind", kind,
                             "the catalogue needs at least one of each kind")

    tpl_raw = read_toml(tpl_path, "template")
    reject_unknown(tpl_raw, ("schema", "levels", "blocks", "weeks"), "")
    take_int(tpl_raw, "schema", "", 2, 2)
    levels_raw = take(tpl_raw, "levels", dict, "")
    reject_unknown(levels_raw, ATHLETE_LEVELS, "levels")
    levels: dict[str, LevelScale] = {}
    for name in ATHLETE_LEVELS:
        item = take(levels_raw, name, dict, "levels")
        path = f"levels.{name}"
        reject_unknown(item, ("contacts_scale", "contacts_cap", "start_level", "drill_level"),
                       path)
        scale = take(item, "contacts_scale", float, path)
        if not 0.5 <= scale <= 2.5:
            raise InputError(f"{path}.contacts_scale", scale, "a number from 0.5 to 2.5")
        levels[name] = LevelScale(scale, take_int(item, "contacts_cap", path, 40, 200),
                                  take_int(item, "start_level", path, 0, 9),
                                  take_int(item, "drill_level", path, 0, 9))
    blocks = take(tpl_raw, "blocks", dict, "", {})
    reject_unknown(blocks, ("next_block_contacts",), "blocks")
    gain = take(blocks, "next_block_contacts", float, "blocks", 0.0)
    if not 0 <= gain <= 0.3:
        raise InputError("blocks.next_block_contacts", gain, "a number from 0 to 0.3")
    drills = {e.id for e in exercises if e.kind == "plyometrics" and e.role == "main"}
    weeks = tuple(_week(item, f"weeks[{i}]", i + 1, drills)
                  for i, item in enumerate(take(tpl_raw, "weeks", list, "")))
    if not weeks:
        raise InputError("weeks", "[]", "at least one template week")
    return Catalog(exercises=exercises, weeks=weeks, levels=levels,
                   safety_note=take(ex_raw, "safety_note", str, ""),
                   setup_seconds=take_int(ex_raw, "setup_seconds", "", 0, 300, 60),
                   next_block_contacts=gain)


@functools.cache
def default_catalog() -> Catalog:
    """The catalogue that ships with periodize (read once per process)."""
    return load_catalog(HERE)
