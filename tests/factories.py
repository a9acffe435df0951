"""Factory helpers for tests: profiles (as objects and as TOML files) and solved plans.

Every helper is a plain typed function. Overrides replace top-level profile keys; an override of
``None`` removes the key (to test a missing field). Nothing here reads the clock: plans are
stamped with ``NOW``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.profile import Profile, profile_from_dict

if TYPE_CHECKING:
    from planner.busy import BusyInterval
    from planner.plan import Plan
    from planner.solve import SolveStats

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "athlete.toml"
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
"""The fixed "now" every test plan is stamped with (DTSTAMP, created)."""

DEFAULTS: dict[str, Any] = {
    "name": "Test athlete",
    "timezone": "Europe/London",
    "start": dt.date(2027, 1, 4),           # a Monday
    "weeks": 8,
    "level": "beginner",
    "rest_days": ["sun"],
    "availability": {
        "mon": ["18:00-20:00"],
        "wed": ["18:00-20:00"],
        "fri": ["18:00-20:00"],
        "sat": ["09:00-12:00"],
    },
}


def profile_data(**overrides: Any) -> dict[str, Any]:
    """The default profile as TOML-shaped data with ``overrides`` applied (None removes a key)."""
    data: dict[str, Any] = {**DEFAULTS, **overrides}
    return {key: value for key, value in data.items() if value is not None}


def make_profile(**overrides: Any) -> Profile:
    """A validated Profile: the defaults above with ``overrides`` applied."""
    return profile_from_dict(profile_data(**overrides))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()                      # a TOML local date, not a string
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)   # JSON escapes are valid TOML
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def profile_toml(**overrides: Any) -> str:
    """The profile as TOML text: scalars and arrays first, then one [table] per mapping."""
    data = profile_data(**overrides)
    lines = [f"{key} = {_toml_value(value)}" for key, value in data.items()
             if not isinstance(value, Mapping)]
    for key, value in data.items():
        if isinstance(value, Mapping):
            lines += ["", f"[{key}]"]
            lines += [f"{inner} = {_toml_value(item)}" for inner, item in value.items()]
    return "\n".join(lines) + "\n"


def write_profile(tmp_path: Path, **overrides: Any) -> Path:
    """Write the profile as ``tmp_path/profile.toml`` and return its path."""
    path = tmp_path / "profile.toml"
    path.write_text(profile_toml(**overrides), encoding="utf-8")
    return path


def build_with_stats(profile: Profile, busy: Sequence[BusyInterval] = (),
                     ) -> tuple[Plan, SolveStats]:
    """Solve a plan for ``profile`` with the shipped catalogue, stamped with ``NOW``."""
    from catalog import default_catalog
    from planner.generate import build_plan

    return build_plan(profile, default_catalog(), busy, NOW)


def build(profile: Profile, busy: Sequence[BusyInterval] = ()) -> Plan:
    """Solve a plan for ``profile`` (see ``build_with_stats``)."""
    return build_with_stats(profile, busy)[0]
