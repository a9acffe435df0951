"""The baseline test results over time (issue 26 §3), beside the outcomes, as a table for the
report (``status`` shows ``planner.training.baseline.baseline_text``). One row a test day:
each leg's counts, the pain during the single-leg squat, the single-leg hop, and the starting
levels the day's results gave."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

#: The columns, by measure name: what the table shows of a test day.
COLUMNS = (("stepdowns", "Step downs L / R"), ("sts", "Sit-to-stands L / R"),
           ("pain.squat", "Pain, single-leg squat"), ("hop.single", "Hop cm L / R"))


def _cell(values: dict[str, float], name: str) -> str:
    if name.startswith("pain."):
        return f"{values[name]:g}/10" if name in values else ""
    sides = [values.get(f"{name}.{side}") for side in ("left", "right")]
    return "" if sides == [None, None] else " / ".join(
        "–" if v is None else f"{v:g}" for v in sides)


def _days(measures: Sequence[tuple[dt.date, str, float]]
          ) -> list[tuple[dt.date, dict[str, float]]]:
    from catalog.baseline import default_baseline
    from planner.training.baseline import test_days

    test = default_baseline()
    days = dict(test_days(measures, test))
    for day, name, value in measures:        # the day's hop too, when it was a test day
        if day in days and name.startswith("hop.single."):
            days[day][name] = value
    return sorted(days.items())


def _levels(values: dict[str, float]) -> str:
    from catalog import default_catalog
    from catalog.baseline import default_baseline
    from planner.training.baseline import baseline_levels

    catalog = default_catalog()
    return ", ".join(f"{catalog.exercise(e).name.lower()} {lv}"
                     for e, (lv, _) in baseline_levels(values, default_baseline()).items())


def baseline_section(measures: Sequence[tuple[dt.date, str, float]]) -> list[str]:
    """For the report: the test days as a table (nothing when no test was recorded)."""
    days = _days(measures)
    if not days:
        return []
    head = "".join(f'<th class="num">{escape(label)}</th>' for _, label in COLUMNS)
    rows = [f"<tr><th>{day:%-d %b}</th>"
            + "".join(f'<td class="num">{escape(_cell(values, n))}</td>' for n, _ in COLUMNS)
            + f"<td>{escape(_levels(values))}</td></tr>" for day, values in days]
    return ["<h2>Baseline tests</h2>",
            '<p class="note">Each test day: the counts per leg, the pain during the single-leg '
            "squat, the single-leg hop, and the starting level each result gave (a test only "
            "ever lowers a level; the logged rule raises it).</p>",
            f'<table><thead><tr><th>Day</th>{head}<th>Levels given</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"]
