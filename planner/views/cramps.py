"""The cramps the athlete logged, in words: a summary line, and the doctor's advice when they
recur (``planner.training.cramps``). Shown by ``cramp``, ``status`` and the HTML report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from catalog.monitoring import Monitoring
from planner.store.database import CrampDay
from planner.training.cramps import recurring


def cramp_lines(cramps: Sequence[CrampDay], rules: Monitoring,
                as_of: dt.date | None = None) -> tuple[str, ...]:
    """'Cramps logged: 4 on 3 days, the latest Wed 20 Jan 2027 (during a session; inner thigh).'
    and, when they recur, the advice; nothing when none were logged."""
    shown = [c for c in cramps if as_of is None or c.day <= as_of]
    if not shown:
        return ()
    latest = max(shown, key=lambda c: c.day)
    about = "; ".join(part for part in ("during a session" if latest.during else "",
                                        latest.place or "") if part)
    total = sum(c.count for c in shown)
    lines = [f"Cramps logged: {total} on {len(shown)} day{'s' if len(shown) > 1 else ''}, "
             f"the latest {latest.day:%a %-d %b %Y}" + (f" ({about})." if about else ".")]
    found = recurring(shown, rules, as_of)
    if found is not None:
        lines.append(f"Recurring: cramps on {found.days} days from {found.first:%-d %b} to "
                     f"{found.last:%-d %b} ({rules.cramp_days} or more within "
                     f"{rules.cramp_window} days). {rules.cramp_recurring}")
    return tuple(lines)
