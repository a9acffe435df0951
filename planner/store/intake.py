"""The intake's answers (a profile's ``[intake]`` table, or ``periodize intake``'s prompts): the
knee's story. What they decide is ``planner.training.triage``'s."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from planner.errors import InputError

PLACES = ("front", "inside", "outside", "back", "thigh")
YES_NO = ("swelling", "locking", "giving_way", "hot_swollen", "night_pain", "calf", "fever")
DATES = ("since", "surgery", "injury")
KEYS = ("where", *DATES, *YES_NO)


@dataclass(frozen=True)
class Intake:
    where: tuple[str, ...]               # where it hurts, of PLACES
    since: dt.date | None = None         # when it started
    surgery: dt.date | None = None       # knee surgery, its date
    injury: dt.date | None = None        # a knee injury, its date
    swelling: bool = False
    locking: bool = False
    giving_way: bool = False
    hot_swollen: bool = False
    night_pain: bool = False
    calf: bool = False                   # calf pain or swelling after surgery or an injury
    fever: bool = False

    def to_dict(self, dates_as_text: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"where": list(self.where)}
        data.update({key: getattr(self, key).isoformat() if dates_as_text else getattr(self, key)
                     for key in DATES if getattr(self, key)})
        data.update({key: getattr(self, key) for key in YES_NO})
        return data

    def toml(self) -> str:
        """The answers as a profile's ``[intake]`` table (strings JSON-quoted: valid TOML)."""
        lines = ["[intake]"]
        for key, value in self.to_dict(dates_as_text=False).items():
            shown = ("true" if value else "false") if isinstance(value, bool) else (
                value.isoformat() if isinstance(value, dt.date)
                else "[" + ", ".join(json.dumps(v) for v in value) + "]")
            lines.append(f"{key} = {shown}")
        return "\n".join(lines) + "\n"


def _date(value: Any, where: str) -> dt.date:
    """A TOML date, or its ISO text (as the store keeps it)."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InputError(where, value, "a date like 2026-11-02")
    return value


def intake_from_dict(raw: Mapping[str, Any], where: str = "intake") -> Intake:
    """The ``[intake]`` table, read strictly."""
    for key in raw:
        if key not in KEYS:
            raise InputError(f"{where}.{key}", raw[key], "one of " + ", ".join(KEYS))
    places = raw.get("where")
    if (not isinstance(places, list) or not places
            or any(p not in PLACES for p in places)):
        raise InputError(f"{where}.where", places,
                         "a list of one or more of " + ", ".join(PLACES))
    for key in YES_NO:
        if not isinstance(raw.get(key, False), bool):
            raise InputError(f"{where}.{key}", raw[key], "true or false")

    def day(key: str) -> dt.date | None:
        return None if raw.get(key) is None else _date(raw[key], f"{where}.{key}")

    def yes(key: str) -> bool:
        return bool(raw.get(key, False))

    return Intake(tuple(dict.fromkeys(places)), since=day("since"), surgery=day("surgery"),
                  injury=day("injury"), swelling=yes("swelling"), locking=yes("locking"),
                  giving_way=yes("giving_way"), hot_swollen=yes("hot_swollen"),
                  night_pain=yes("night_pain"), calf=yes("calf"), fever=yes("fever"))
