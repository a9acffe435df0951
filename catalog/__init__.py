"""The exercise catalogue and the 8-week template, as data (``exercises.toml``, ``template.toml``),
read strictly: a key the loader does not know, a dose out of range or a drill the template names
but the catalogue lacks is an error, never ignored."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.errors import InputError
from planner.strict_toml import read_toml, reject_unknown, take, take_choice, take_int

KINDS = ("warmup", "plyometrics", "strength", "stretching")
ATHLETE_LEVELS = ("beginner", "intermediate", "advanced")
INTENSITIES = ("low", "moderate", "high")
PHASES = ("foundation", "build", "deload", "peak", "taper")
BLOCKS = ("warmup", "plyometrics", "strength", "stretching", "mobility")
HERE = Path(__file__).parent


@dataclass(frozen=True)
class Level:
    """One step of an exercise's progression, with its dose."""

    level: int
    name: str
    sets: int
    reps: int | None
    hold_seconds: int | None
    per_side: bool
    cue: str


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

    def at(self, level: int) -> Level:
        """The level ``level`` (1-based), capped at the top of the progression."""
        return self.levels[max(1, min(level, len(self.levels))) - 1]


@dataclass(frozen=True)
class TemplateWeek:
    """One week of the block: how many sessions, how much jumping, which strength stage."""

    number: int
    phase: str
    plyo_sessions: int
    strength_sessions: int
    contacts: int                  # a beginner's foot contacts per plyometric session
    drills: tuple[str, ...]        # low intensity first
    strength_stage: int
    sets_delta: int
    rpe: int                       # session RPE (CR-10) used for the week's load


@dataclass(frozen=True)
class LevelScale:
    contacts_scale: float
    strength_offset: int
    contacts_cap: int              # most contacts a session, whatever the template says


@dataclass(frozen=True)
class Catalog:
    exercises: tuple[Exercise, ...]
    block_minutes: Mapping[str, Mapping[str, int]]   # block -> athlete level -> minutes
    weeks: tuple[TemplateWeek, ...]
    levels: Mapping[str, LevelScale]
    safety_note: str

    def exercise(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)

    def of_kind(self, kind: str) -> tuple[Exercise, ...]:
        return tuple(e for e in self.exercises if e.kind == kind)

    def of_dose(self, dose_name: str) -> Exercise | None:
        """The exercise a dose prescribes: named as the exercise, or 'Exercise: level name'."""
        for exercise in self.exercises:
            if dose_name == exercise.name or dose_name.startswith(exercise.name + ": "):
                return exercise
        return None

    def find(self, name: str) -> Exercise | None:
        """An exercise by id or by name, ignoring case."""
        wanted = name.strip().lower()
        for exercise in self.exercises:
            if wanted in (exercise.id, exercise.name.lower()):
                return exercise
        return None


def _level(raw: Any, path: str, expected: int) -> Level:
    if not isinstance(raw, dict):
        raise InputError(path, raw, "a table is expected")
    reject_unknown(raw, ("level", "name", "sets", "reps", "hold_seconds", "per_side", "cue"), path)
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
    return Level(level=number, name=take(raw, "name", str, path),
                 sets=take_int(raw, "sets", path, 1, 10), reps=reps, hold_seconds=hold,
                 per_side=take(raw, "per_side", bool, path, False), cue=take(raw, "cue", str, path))


def _exercise(raw: Any, path: str) -> Exercise:
    if not isinstance(raw, dict):
        raise InputError(path, raw, "a table is expected")
    reject_unknown(raw, ("id", "name", "kind", "cue", "advance_when", "intensity",
                         "reps_per_set", "levels"), path)
    kind = take_choice(raw, "kind", path, KINDS)
    plyo = kind == "plyometrics"
    intensity = take_choice(raw, "intensity", path, INTENSITIES) if plyo else None
    reps_per_set = take_int(raw, "reps_per_set", path, 1, 20) if plyo else None
    if not plyo:
        for key in ("intensity", "reps_per_set"):
            if key in raw:
                raise InputError(f"{path}.{key}", raw[key], "only plyometric drills take this key")
    levels_raw = take(raw, "levels", list, path)
    if not levels_raw:
        raise InputError(f"{path}.levels", levels_raw, "at least one level")
    levels = tuple(_level(item, f"{path}.levels[{i}]", i + 1) for i, item in enumerate(levels_raw))
    advance = take(raw, "advance_when", str, path, None)
    if kind == "strength" and advance is None:
        raise InputError(f"{path}.advance_when", "(missing)",
                         "strength exercises say when to move to the next level")
    return Exercise(id=take(raw, "id", str, path), name=take(raw, "name", str, path), kind=kind,
                    cue=take(raw, "cue", str, path), advance_when=advance, intensity=intensity,
                    reps_per_set=reps_per_set, levels=levels)


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


def _block_minutes(raw: Any, path: str) -> dict[str, dict[str, int]]:
    if not isinstance(raw, dict):
        raise InputError(path, raw, "a table is expected")
    reject_unknown(raw, BLOCKS, path)
    minutes: dict[str, dict[str, int]] = {}
    for block in BLOCKS:
        per_level = take(raw, block, dict, path)
        reject_unknown(per_level, ATHLETE_LEVELS, f"{path}.{block}")
        minutes[block] = {lvl: take_int(per_level, lvl, f"{path}.{block}", 1, 120)
                          for lvl in ATHLETE_LEVELS}
    return minutes


def load_catalog(directory: Path = HERE) -> Catalog:
    """Read and validate ``exercises.toml`` and ``template.toml`` from ``directory``."""
    ex_path, tpl_path = directory / "exercises.toml", directory / "template.toml"
    ex_raw = read_toml(ex_path, "catalog")
    reject_unknown(ex_raw, ("schema", "safety_note", "block_minutes", "exercises"), "")
    take_int(ex_raw, "schema", "", 1, 1)
    exercises = tuple(_exercise(item, f"exercises[{i}]")
                      for i, item in enumerate(take(ex_raw, "exercises", list, "")))
    ids = [e.id for e in exercises]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise InputError("exercises.id", sorted(duplicates)[0], "each id once")
    for kind in KINDS:
        if not any(e.kind == kind for e in exercises):
            raise InputError("exercises.kind", kind,
                             "the catalogue needs at least one of each kind")

    tpl_raw = read_toml(tpl_path, "template")
    reject_unknown(tpl_raw, ("schema", "levels", "weeks"), "")
    take_int(tpl_raw, "schema", "", 1, 1)
    levels_raw = take(tpl_raw, "levels", dict, "")
    reject_unknown(levels_raw, ATHLETE_LEVELS, "levels")
    levels: dict[str, LevelScale] = {}
    for name in ATHLETE_LEVELS:
        item = take(levels_raw, name, dict, "levels")
        path = f"levels.{name}"
        reject_unknown(item, ("contacts_scale", "strength_offset", "contacts_cap"), path)
        scale = take(item, "contacts_scale", float, path)
        if not 0.5 <= scale <= 2.5:
            raise InputError(f"{path}.contacts_scale", scale, "a number from 0.5 to 2.5")
        levels[name] = LevelScale(scale, take_int(item, "strength_offset", path, 0, 5),
                                  take_int(item, "contacts_cap", path, 40, 200))
    drills = {e.id for e in exercises if e.kind == "plyometrics"}
    weeks = tuple(_week(item, f"weeks[{i}]", i + 1, drills)
                  for i, item in enumerate(take(tpl_raw, "weeks", list, "")))
    if not weeks:
        raise InputError("weeks", "[]", "at least one template week")
    return Catalog(exercises=exercises,
                   block_minutes=_block_minutes(take(ex_raw, "block_minutes", dict, ""),
                                                "block_minutes"),
                   weeks=weeks, levels=levels, safety_note=take(ex_raw, "safety_note", str, ""))


@functools.cache
def default_catalog() -> Catalog:
    """The catalogue that ships with periodize (read once per process)."""
    return load_catalog(HERE)
