"""What a jump drill asks of the legs before it is given (``gates.toml``), read strictly like the
rest of the catalogue. A gate is a list of criteria, each a small table with a ``kind``, so a new
kind of criterion (a hop-symmetry or readiness measure) is added as data plus one checker in
``planner.training.adapt``."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.errors import InputError
from planner.store.strict_toml import read_toml, reject_unknown, take, take_choice, take_int

HERE = Path(__file__).parent
CRITERION_KINDS = ("strength", "measured")
MEASURED_GATES = ("two_leg", "single_leg")   # planner.training.readiness, catalog/clinical.toml


@dataclass(frozen=True)
class Criterion:
    kind: str
    exercise: str          # kind "strength": the exercise whose rule must be met
    level: int             # ... at this level or above
    sessions: int          # ... in each of its last this many logged sessions
    gate: str = ""         # kind "measured": the readiness gate the latest measures must open


@dataclass(frozen=True)
class Gates:
    drills: dict[str, tuple[Criterion, ...]]     # drill id -> its gate (empty: none)
    sources: dict[str, str]                      # drill id -> why, with its source
    rise: tuple[Criterion, ...]                  # for a rise in a session's foot contacts


def _criteria(raw: Any, path: str, strength: set[str]) -> tuple[Criterion, ...]:
    if not isinstance(raw, list):
        raise InputError(path, raw, "a list of criteria tables")
    found = []
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(item, dict):
            raise InputError(where, item, "a table with kind, exercise, level and sessions")
        kind = take(item, "kind", str, where)
        if kind not in CRITERION_KINDS:
            raise InputError(f"{where}.kind", kind, "one of " + ", ".join(CRITERION_KINDS))
        if kind == "measured":
            reject_unknown(item, ("kind", "gate"), where)
            found.append(Criterion(kind, "", 0, 1,
                                   take_choice(item, "gate", where, MEASURED_GATES)))
            continue
        reject_unknown(item, ("kind", "exercise", "level", "sessions"), where)
        exercise = take(item, "exercise", str, where)
        if exercise not in strength:
            raise InputError(f"{where}.exercise", exercise,
                             "a strength exercise: " + ", ".join(sorted(strength)))
        found.append(Criterion(kind, exercise, take_int(item, "level", where, 0, 9),
                               take_int(item, "sessions", where, 1, 6)))
    return tuple(found)


def load_gates(drills: set[str], strength: set[str], path: Path = HERE / "gates.toml",
               ) -> Gates:
    """The gates, checked against the catalogue's main jump drills and strength exercises:
    every drill has exactly one gate (an empty one says so), each with its source."""
    raw = read_toml(path, "gates")
    reject_unknown(raw, ("schema", "rise", "gates"), "")
    take_int(raw, "schema", "", 1, 1)
    by_drill: dict[str, tuple[Criterion, ...]] = {}
    sources: dict[str, str] = {}
    for i, item in enumerate(take(raw, "gates", list, "")):
        where = f"gates[{i}]"
        if not isinstance(item, dict):
            raise InputError(where, item, "a table with drill, source and criteria")
        reject_unknown(item, ("drill", "source", "criteria"), where)
        drill = take(item, "drill", str, where)
        if drill not in drills or drill in by_drill:
            raise InputError(f"{where}.drill", drill, "a main jump drill not gated yet: "
                             + ", ".join(sorted(drills - set(by_drill))))
        by_drill[drill] = _criteria(take(item, "criteria", list, where), f"{where}.criteria",
                                    strength)
        sources[drill] = take(item, "source", str, where)
    missing = sorted(drills - set(by_drill))
    if missing:
        raise InputError("gates", missing[0], "a gate for every main jump drill (an empty "
                         "criteria list says it has none)")
    return Gates(by_drill, sources, _criteria(take(raw, "rise", list, ""), "rise", strength))


@functools.cache
def default_gates() -> Gates:
    """The gates that ship with periodize, against the shipped catalogue (read once)."""
    from catalog import default_catalog

    catalog = default_catalog()
    return load_gates({e.id for e in catalog.of_kind("plyometrics") if e.role == "main"},
                      {e.id for e in catalog.of_kind("strength")})
