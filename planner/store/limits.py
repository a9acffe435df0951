"""Limits a physiotherapist (or coach) sets on an athlete's plan: "no jumps", "contacts <= 80",
"strength level <= 3". They are kept with the athlete's profile in the store (each revision
carries them), become hard rules in the model (no jump sessions) and in the independent
validator, and caps in dosing and re-dosing; the athlete sees each as "set by your physio".

Only the ``limits`` command (the physio's) lifts a limit: a profile file's ``[limits]`` table and
the stored ones combine to the stricter of each (``Limits.stricter``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from planner.errors import InputError

#: The accepted forms, as shown in errors and help.
FORMS = '"no jumps", "contacts <= N" (N 10 to 200) or "strength level <= N" (N 0 to 6)'
CONTACTS_RANGE = (10, 200)      # per session: ten is one set of ankle hops; 200 the NSCA top
LEVEL_RANGE = (0, 6)            # the catalogue's strength levels
_LIMIT = re.compile(r"^\s*(?:(no\s+jumps?)|(contacts|strength\s+level)\s*(?:<=|≤|=<)\s*(\d{1,3}))"
                    r"\s*$", re.IGNORECASE)
_KEYS = ("no_jumps", "contacts_max", "strength_level_max")


@dataclass(frozen=True)
class Limits:
    """What the plan must obey. None: no limit on that."""

    no_jumps: bool = False
    contacts_max: int | None = None          # foot contacts in one session
    strength_level_max: int | None = None    # the highest level of any strength exercise

    def __bool__(self) -> bool:
        return self != Limits()

    def stricter(self, other: Limits) -> Limits:
        """The stricter of each limit of the two."""
        def low(a: int | None, b: int | None) -> int | None:
            return b if a is None else a if b is None else min(a, b)

        return Limits(self.no_jumps or other.no_jumps, low(self.contacts_max, other.contacts_max),
                      low(self.strength_level_max, other.strength_level_max))

    def words(self) -> list[str]:
        """Each limit as the physio would say it."""
        said = ["no jumps"] if self.no_jumps else []
        if self.contacts_max is not None:
            said.append(f"contacts <= {self.contacts_max}")
        if self.strength_level_max is not None:
            said.append(f"strength level <= {self.strength_level_max}")
        return said

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"no_jumps": True} if self.no_jumps else {}
        if self.contacts_max is not None:
            data["contacts_max"] = self.contacts_max
        if self.strength_level_max is not None:
            data["strength_level_max"] = self.strength_level_max
        return data


def _number(value: Any, where: str, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(where, value, f"a whole number from {low} to {high}")
    return value


def limits_from_dict(raw: Mapping[str, Any], where: str = "limits") -> Limits:
    """The ``[limits]`` table of a profile (or the stored form), read strictly."""
    for key in raw:
        if key not in _KEYS:
            raise InputError(f"{where}.{key}", raw[key], "one of " + ", ".join(_KEYS))
    no_jumps = raw.get("no_jumps", False)
    if not isinstance(no_jumps, bool):
        raise InputError(f"{where}.no_jumps", no_jumps, "true or false")
    contacts = raw.get("contacts_max")
    level = raw.get("strength_level_max")
    return Limits(no_jumps,
                  None if contacts is None else _number(contacts, f"{where}.contacts_max",
                                                        CONTACTS_RANGE),
                  None if level is None else _number(level, f"{where}.strength_level_max",
                                                     LEVEL_RANGE))


def parse_limits(texts: Iterable[str], where: str = "LIMIT") -> Limits:
    """Limits from the physio's words, e.g. ("no jumps", "contacts <= 80"); the last of each
    kind wins. A text in no accepted form is refused, naming it and the forms."""
    data: dict[str, Any] = {}
    for text in texts:
        match = _LIMIT.match(text) if isinstance(text, str) else None
        if match is None:
            raise InputError(where, text, FORMS)
        if match.group(1):
            data["no_jumps"] = True
            continue
        contacts = match.group(2).lower() == "contacts"
        low, high = CONTACTS_RANGE if contacts else LEVEL_RANGE
        number = int(match.group(3))
        if not low <= number <= high:
            raise InputError(where, text, f"N from {low} to {high}: {FORMS}")
        data["contacts_max" if contacts else "strength_level_max"] = number
    return limits_from_dict(data, where)
