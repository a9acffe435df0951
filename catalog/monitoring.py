"""The pain-monitoring thresholds, the readiness screen and the guide's cramp advice
(``monitoring.toml``), read strictly like the rest of the catalogue. Rest between sets is the
catalogue's, per level (``exercises.toml``), not here."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from planner.errors import InputError
from planner.store.strict_toml import read_toml, reject_unknown, take, take_int

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Monitoring:
    during_limit: int
    morning_limit: int
    settled_max: int                  # a morning above it is not settled: progression holds
    week_mean_rise: int               # a week's mornings averaging this far above it: ease
    persistent_at: int                # persistent pain: mornings at this or more ...
    persistent_days: int              # ... on this many mornings ...
    persistent_window: int            # ... within this many days
    persistent: str                   # the advice it puts in every later session
    stop_at: int
    cut_fraction: float
    within_limits_to_raise: int
    rpe_margin: int
    red_flag: str
    screen_morning_max: int           # morning pain at most this on the day of a passed screen
    screen_after_hours: int           # ... and at least this long after the last score >= stop_at
    screen: tuple[str, ...]
    cramp: str                        # steps, rest, hydration, medicines, the urgent sign and
                                      # the doctor line, with the source
    cramp_days: int = 3               # cramps on this many different days ...
    cramp_window: int = 14            # ... within this many days are recurring
    cramp_recurring: str = ""         # the advice then


def load_monitoring(path: Path = HERE / "monitoring.toml") -> Monitoring:
    raw = read_toml(path, "monitoring")
    reject_unknown(raw, ("schema", "pain", "cramp"), "")
    take_int(raw, "schema", "", 1, 1)
    pain = take(raw, "pain", dict, "")
    reject_unknown(pain, ("during_limit", "morning_limit", "settled_max", "week_mean_rise",
                          "persistent_at", "persistent_days", "persistent_window", "persistent",
                          "stop_at",
                          "cut_fraction", "within_limits_to_raise", "rpe_margin", "red_flag",
                          "screen", "screen_morning_max", "screen_after_hours"), "pain")
    cut = take(pain, "cut_fraction", float, "pain")
    if not 0.1 <= cut <= 0.9:
        raise InputError("pain.cut_fraction", cut, "a number from 0.1 to 0.9")
    screen = take(pain, "screen", list, "pain")
    if not screen or not all(isinstance(item, str) for item in screen):
        raise InputError("pain.screen", screen, "a list of one or more texts")
    cramp = take(raw, "cramp", dict, "")
    reject_unknown(cramp, ("steps", "rest", "hydration", "medication", "urgent", "doctor",
                           "source", "recurring_days", "recurring_window", "recurring"), "cramp")
    text = " ".join(take(cramp, key, str, "cramp")
                    for key in ("steps", "rest", "hydration", "medication", "urgent", "doctor"))
    cramp_days = take_int(cramp, "recurring_days", "cramp", 2, 28)
    cramp_window = take_int(cramp, "recurring_window", "cramp", 1, 56)
    if cramp_window < cramp_days:
        raise InputError("cramp.recurring_window", cramp_window,
                         f"at least recurring_days ({cramp_days}) days")
    return Monitoring(
        during_limit=take_int(pain, "during_limit", "pain", 0, 10),
        morning_limit=take_int(pain, "morning_limit", "pain", 0, 10),
        settled_max=take_int(pain, "settled_max", "pain", 0, 9),
        week_mean_rise=take_int(pain, "week_mean_rise", "pain", 1, 10),
        persistent_at=take_int(pain, "persistent_at", "pain", 1, 10),
        persistent_days=take_int(pain, "persistent_days", "pain", 1, 28),
        persistent_window=take_int(pain, "persistent_window", "pain", 1, 28),
        persistent=take(pain, "persistent", str, "pain"),
        stop_at=take_int(pain, "stop_at", "pain", 1, 10),
        cut_fraction=cut,
        within_limits_to_raise=take_int(pain, "within_limits_to_raise", "pain", 1, 10),
        rpe_margin=take_int(pain, "rpe_margin", "pain", 0, 10),
        red_flag=take(pain, "red_flag", str, "pain"), screen=tuple(screen),
        screen_morning_max=take_int(pain, "screen_morning_max", "pain", 0, 10),
        screen_after_hours=take_int(pain, "screen_after_hours", "pain", 0, 24 * 14),
        cramp=f"{text} ({take(cramp, 'source', str, 'cramp')})",
        cramp_days=cramp_days, cramp_window=cramp_window,
        cramp_recurring=take(cramp, "recurring", str, "cramp"))


@functools.cache
def default_monitoring() -> Monitoring:
    """The rules that ship with periodize (read once per process)."""
    return load_monitoring()
