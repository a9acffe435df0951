"""The baseline test (``baseline.toml``): what it asks the athlete to do and the rule per exercise
that turns its results into a starting level. Read strictly and checked against the exercise
ladders: every level a rule gives is on its exercise's ladder."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from planner.errors import InputError
from planner.store.strict_toml import read_toml, reject_unknown, take, take_choice, take_int

HERE = Path(__file__).parent
#: Measures taken per leg (``NAME.left``, ``NAME.right``; the weaker leg counts).
PER_LEG = ("stepdowns", "sts")


@dataclass(frozen=True)
class LevelRule:
    exercise: str
    measure: str                  # one of PER_LEG
    at_least: tuple[int, ...]     # at_least[i] controlled reps give level i + 1
    source: str


@dataclass(frozen=True)
class PainCap:
    measure: str                  # "pain.ITEM"
    exercises: tuple[str, ...]
    caps: tuple[tuple[int, int], ...]   # (pain at or above, level at most), pain rising


@dataclass(frozen=True)
class BaselineTest:
    minutes: int
    steps: tuple[str, ...]
    rules: tuple[LevelRule, ...]
    pain: PainCap


def _ascending(values: list[object], where: str, low: int, high: int) -> tuple[int, ...]:
    if not values or any(not isinstance(v, int) or isinstance(v, bool) or not low <= v <= high
                         for v in values):
        raise InputError(where, values, f"a list of whole numbers from {low} to {high}")
    found = tuple(int(v) for v in values)   # type: ignore[call-overload]
    if any(b <= a for a, b in itertools.pairwise(found)):
        raise InputError(where, values, "numbers that rise from one to the next")
    return found


def load_baseline(ladders: Mapping[str, tuple[int, int]],
                  path: Path = HERE / "baseline.toml") -> BaselineTest:
    """The test, with ``ladders`` (strength exercise id -> its lowest and highest level): a rule
    names a strength exercise once and gives only levels on its ladder."""
    raw = read_toml(path, "baseline")
    reject_unknown(raw, ("schema", "minutes", "steps", "rules", "pain"), "")
    take_int(raw, "schema", "", 1, 1)
    steps = take(raw, "steps", list, "")
    if not steps or not all(isinstance(s, str) and s.strip() for s in steps):
        raise InputError("steps", steps, "a list of texts, one a step")
    rules: list[LevelRule] = []
    for i, item in enumerate(take(raw, "rules", list, "")):
        where = f"rules[{i}]"
        if not isinstance(item, dict):
            raise InputError(where, item, "a table with exercise, measure, at_least and source")
        reject_unknown(item, ("exercise", "measure", "at_least", "source"), where)
        exercise = take_choice(item, "exercise", where,
                               [e for e in ladders if e not in {r.exercise for r in rules}])
        low, high = ladders[exercise]
        at_least = _ascending(take(item, "at_least", list, where), f"{where}.at_least", 1, 50)
        if low + len(at_least) > high:
            raise InputError(f"{where}.at_least", list(at_least),
                             f"at most {high - low} thresholds (levels {low} to {high})")
        rules.append(LevelRule(exercise, take_choice(item, "measure", where, PER_LEG), at_least,
                               take(item, "source", str, where)))
    pain = take(raw, "pain", dict, "")
    reject_unknown(pain, ("measure", "exercises", "caps"), "pain")
    measure = take(pain, "measure", str, "pain")
    if not measure.startswith("pain."):
        raise InputError("pain.measure", measure, "a pain measure: pain.ITEM")
    exercises = take(pain, "exercises", list, "pain")
    if not exercises or any(e not in ladders for e in exercises):
        raise InputError("pain.exercises", exercises,
                         "strength exercises: " + ", ".join(sorted(ladders)))
    caps: list[tuple[int, int]] = []
    for i, cap in enumerate(take(pain, "caps", list, "pain")):
        where = f"pain.caps[{i}]"
        if not isinstance(cap, dict):
            raise InputError(where, cap, "a table with at and level")
        reject_unknown(cap, ("at", "level"), where)
        caps.append((take_int(cap, "at", where, 1, 10), take_int(cap, "level", where, 0, 9)))
    if not caps or any(b[0] <= a[0] or b[1] > a[1] for a, b in itertools.pairwise(caps)):
        raise InputError("pain.caps", caps, "caps whose pain rises and level never rises")
    if any(not ladders[e][0] <= level <= ladders[e][1] for e in exercises for _, level in caps):
        raise InputError("pain.caps", caps, "levels on each named exercise's ladder")
    return BaselineTest(take_int(raw, "minutes", "", 10, 60), tuple(steps), tuple(rules),
                        PainCap(measure, tuple(exercises), tuple(caps)))


@functools.cache
def default_baseline() -> BaselineTest:
    """The shipped test, against the shipped catalogue (read once)."""
    from catalog import default_catalog

    strength = default_catalog().of_kind("strength")
    return load_baseline({e.id: (e.levels[0].level, e.levels[-1].level) for e in strength})
