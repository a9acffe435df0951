"""The intake's rules (``intake.toml``): the pathway each painful place points to, the red-flag
answers and what they say, and when the answers hold the jumps back. Read strictly."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from planner.errors import InputError
from planner.store.strict_toml import read_toml, reject_unknown, take, take_int

HERE = Path(__file__).parent
PATHWAYS = ("general", "patellofemoral")
PLACES = ("front", "inside", "outside", "back", "thigh")
RED_FLAGS = ("locking", "giving_way", "hot_swollen", "calf", "fever", "night_pain")
_MESSAGES = ("red_flag", "general", "patellofemoral", "not_cleared")


@dataclass(frozen=True)
class IntakeRules:
    where: Mapping[str, str]             # place -> pathway
    red_flags: Mapping[str, str]         # answer -> what it is, in words
    messages: Mapping[str, str]
    surgery_weeks: int
    injury_weeks: int
    swelling_holds_jumps: bool


def load_intake(directory: Path = HERE) -> IntakeRules:
    path = directory / "intake.toml"
    raw = read_toml(path, "intake")
    reject_unknown(raw, ("schema", "where", "red_flags", "messages", "clearance"), "")
    take_int(raw, "schema", "", 1, 1)
    where = take(raw, "where", dict, "")
    reject_unknown(where, PLACES, "where")
    for place in PLACES:
        if where.get(place) not in PATHWAYS:
            raise InputError(f"where.{place}", where.get(place), "one of " + ", ".join(PATHWAYS))
    flags = take(raw, "red_flags", dict, "")
    reject_unknown(flags, RED_FLAGS, "red_flags")
    texts = {key: take(flags, key, str, "red_flags") for key in RED_FLAGS}
    messages = take(raw, "messages", dict, "")
    reject_unknown(messages, _MESSAGES, "messages")
    said = {key: take(messages, key, str, "messages") for key in _MESSAGES}
    for key, slot in (("red_flag", "{flags}"), ("not_cleared", "{why}")):
        if slot not in said[key]:
            raise InputError(f"messages.{key}", said[key], f"a text with {slot} in it")
    clearance = take(raw, "clearance", dict, "")
    reject_unknown(clearance, ("surgery_weeks", "injury_weeks", "swelling"), "clearance")
    return IntakeRules(dict(where), texts, said,
                       take_int(clearance, "surgery_weeks", "clearance", 0, 104),
                       take_int(clearance, "injury_weeks", "clearance", 0, 104),
                       take(clearance, "swelling", bool, "clearance"))


@functools.cache
def default_intake() -> IntakeRules:
    return load_intake(HERE)
