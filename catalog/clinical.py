"""What a physio measures (``clinical.toml``): the hop battery, the gates that open jump drills
from measurements, and the outcome measures' important changes. Read strictly."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from planner.errors import InputError
from planner.store.strict_toml import read_toml, reject_unknown, take, take_int

HERE = Path(__file__).parent
HOPS = ("single", "triple", "crossover", "timed")


@dataclass(frozen=True)
class Hop:
    text: str
    more_is_better: bool


@dataclass(frozen=True)
class ClinicalRules:
    hops: Mapping[str, Hop]
    two_leg_pain_max: int
    two_leg_stepdowns: int
    single_leg_lsi: int
    return_lsi: int
    psfs_mcid: float
    psfs_items: int
    kujala_mcid: float
    koos_pf_mcid: float


def _number(table: dict[str, object], key: str, where: str, high: float) -> float:
    value = take(table, key, float, where)
    if not 0 <= value <= high:
        raise InputError(f"{where}.{key}", value, f"a number from 0 to {high}")
    return value


def load_clinical(directory: Path = HERE) -> ClinicalRules:
    raw = read_toml(directory / "clinical.toml", "clinical")
    reject_unknown(raw, ("schema", "hops", "gates", "outcomes"), "")
    take_int(raw, "schema", "", 1, 1)
    hops_raw = take(raw, "hops", dict, "")
    reject_unknown(hops_raw, HOPS, "hops")
    hops = {}
    for name in HOPS:
        item = take(hops_raw, name, dict, "hops")
        reject_unknown(item, ("text", "more_is_better"), f"hops.{name}")
        hops[name] = Hop(take(item, "text", str, f"hops.{name}"),
                         take(item, "more_is_better", bool, f"hops.{name}"))
    gates = take(raw, "gates", dict, "")
    reject_unknown(gates, ("two_leg_pain_max", "two_leg_stepdowns", "single_leg_lsi",
                           "return_lsi"), "gates")
    out = take(raw, "outcomes", dict, "")
    reject_unknown(out, ("psfs_mcid", "psfs_items", "kujala_mcid", "koos_pf_mcid"), "outcomes")
    return ClinicalRules(
        hops, take_int(gates, "two_leg_pain_max", "gates", 0, 10),
        take_int(gates, "two_leg_stepdowns", "gates", 1, 50),
        take_int(gates, "single_leg_lsi", "gates", 50, 100),
        take_int(gates, "return_lsi", "gates", 50, 100),
        _number(out, "psfs_mcid", "outcomes", 10), take_int(out, "psfs_items", "outcomes", 1, 5),
        _number(out, "kujala_mcid", "outcomes", 100), _number(out, "koos_pf_mcid", "outcomes", 100))


@functools.cache
def default_clinical() -> ClinicalRules:
    return load_clinical(HERE)
