"""Recurring cramps (issue 23 §8; the guide's "see a doctor" case): cramps logged on at least
``cramp_days`` different days within ``cramp_window`` days (``catalog/monitoring.toml``
[cramp], a judgement call stated there). Nothing here reads the clock: ``as_of`` is passed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from catalog.monitoring import Monitoring
from planner.store.database import CrampDay


@dataclass(frozen=True)
class Recurrence:
    """The latest window in which cramps recurred."""

    first: dt.date                    # the first cramp day of the window
    last: dt.date                     # the last one
    days: int                         # cramp days in it
    cramps: int                       # cramps in it


def recurring(cramps: Sequence[CrampDay], rules: Monitoring,
              as_of: dt.date | None = None) -> Recurrence | None:
    """The latest run of ``rules.cramp_window`` days holding cramps on at least
    ``rules.cramp_days`` days, among the cramps up to ``as_of`` (None: all); None if none."""
    days = sorted((c for c in cramps if as_of is None or c.day <= as_of), key=lambda c: c.day)
    for end in reversed(range(len(days))):
        start = days[end].day - dt.timedelta(days=rules.cramp_window - 1)
        inside = [c for c in days[:end + 1] if c.day >= start]
        if len(inside) >= rules.cramp_days:
            return Recurrence(inside[0].day, inside[-1].day, len(inside),
                              sum(c.count for c in inside))
    return None
