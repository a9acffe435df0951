"""The baseline test's results as starting levels (rules in ``catalog/baseline.toml``).

A test day is a day with any of the test's measures recorded (``periodize measure``). Its
results give each exercise with a rule a level: the count rule on the weaker leg, capped by the
pain during the single-leg squat. ``planner.training.adapt`` puts an exercise at that level from
the test on, when the athlete stands higher; it never raises one (levels rise on the logged
rule). INVARIANT (tests/test_baseline.py, hypothesis): a worse result (fewer repetitions on
either leg, more pain) never gives a higher level, and every level is on the exercise's
ladder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from catalog.baseline import PER_LEG, BaselineTest

SIDES = ("left", "right")


def is_test_measure(name: str, test: BaselineTest) -> bool:
    """Whether ``name`` is one of the baseline test's level-setting measures."""
    return name == test.pain.measure or name.partition(".")[0] in PER_LEG


def weaker_leg(values: Mapping[str, float], measure: str) -> float | None:
    """The lower of the legs recorded for ``measure`` (None: neither recorded)."""
    found = [values[f"{measure}.{side}"] for side in SIDES if f"{measure}.{side}" in values]
    return min(found) if found else None


def baseline_levels(values: Mapping[str, float], test: BaselineTest
                    ) -> dict[str, tuple[int, str]]:
    """Exercise id -> (the level one test day's ``values`` give, why in words). Exercises whose
    measures were not recorded are left out (they keep the level they have)."""
    found: dict[str, tuple[int, str]] = {}
    for rule in test.rules:
        count = weaker_leg(values, rule.measure)
        if count is None:
            continue
        level = sum(1 for at in rule.at_least if count >= at)
        found[rule.exercise] = (level, f"{count:g} {_WORDS[rule.measure]} on the weaker leg")
    pain = values.get(test.pain.measure)
    if pain is not None:
        caps = [level for at, level in test.pain.caps if pain >= at]
        if caps:
            for exercise in test.pain.exercises:
                if caps[-1] <= found.get(exercise, (caps[-1], ""))[0]:
                    found[exercise] = (caps[-1], f"pain {pain:g}/10 during the single-leg squat")
    return found


_WORDS = {"stepdowns": "controlled step downs", "sts": "single-leg sit-to-stands"}


def test_days(measures: Sequence[tuple[dt.date, str, float]], test: BaselineTest
              ) -> list[tuple[dt.date, dict[str, float]]]:
    """The baseline test days in date order, each with its level-setting measures."""
    days: dict[dt.date, dict[str, float]] = {}
    for day, name, value in measures:
        if is_test_measure(name, test):
            days.setdefault(day, {})[name] = value
    return sorted(days.items())


def baseline_text(measures: Sequence[tuple[dt.date, str, float]], test: BaselineTest,
                  names: Mapping[str, str]) -> list[str]:
    """The test days and the levels each gave, for ``measure``, ``status`` and the report:
    ``names`` maps exercise id -> its name."""
    lines = []
    for day, values in test_days(measures, test):
        shown = ", ".join(f"{n} {v:g}" for n, v in sorted(values.items()))
        levels = baseline_levels(values, test)
        gives = "; ".join(f"{names[e].lower()} {lv} ({why})" for e, (lv, why) in levels.items())
        lines.append(f"Baseline {day:%-d %b}: {shown}"
                     + (f" -> levels at most: {gives}" if gives else ""))
    return lines
