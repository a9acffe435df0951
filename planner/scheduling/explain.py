"""Turn a clash of named rules into a sentence the athlete understands: which week, which days
have room, and which rule needs more than that."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from planner.store.profile import DAY_NAMES
from planner.training.session_types import TYPES

if TYPE_CHECKING:
    from planner.scheduling.model import ModelInput, Rule

#: The profile settings the advice names; a roster in another form (CSV) maps them to its own.
PLYO_SETTING = "[plyometrics] sessions_per_week"
STRENGTH_SETTING = "[strength] sessions_per_week"
AFTER_JUMPS_SETTING = "strength_day_after_jumps = true"
_NEEDS = {
    "plyo_volume": (("plyometrics",), "the plyometric block needs {plyo} sessions a week at "
                    "least 48 h apart", f"lower {PLYO_SETTING}"),
    "plyo_recovery": (("plyometrics",), "plyometric sessions need at least 48 h between them",
                      f"lower {PLYO_SETTING}"),
    "strength_volume": (("strength",), "strength work needs {strength} sessions a week",
                        f"lower {STRENGTH_SETTING}"),
    "strength_recovery": (("strength",), "strength sessions need at least 48 h between them "
                          "(never on consecutive days)", f"lower {STRENGTH_SETTING}"),
    # The two rules across kinds give no advice of their own: the weekly volumes in the same
    # clash already say which sessions_per_week to lower.
    "strength_before_jumps": (("strength", "plyometrics"), "no jump session may fall on "
                              "the day after a strength session",
                              ""),
    "strength_after_jumps": (("plyometrics", "strength"), "no strength session may fall on "
                             "the day after a jump session",
                             "give a day a window long enough for jumps and strength in one "
                             "session (jumps first), or choose strength the day after jumps "
                             f"with {AFTER_JUMPS_SETTING} in the profile"),
    "quad_rest_day": (("strength", "plyometrics"), "the quads need one day without jumps or "
                      "strength in any three days running",
                      ""),
    "stretching_weekly": (("stretching",), "stretching needs at least one session every week",
                          ""),
    "rest_between": (("stretching",), "sessions need at least 8 h of rest between them",
                     "add a window earlier in the evening or later in the morning"),
}
_ROOM = {"plyometrics": "a jump session", "strength": "a strength session",
         "stretching": "any session"}


def _names(days: Sequence[str]) -> str:
    return days[0] if len(days) == 1 else ", ".join(days[:-1]) + " and " + days[-1]


def room(data: ModelInput, week: int, kind: str) -> str:
    """'only Thursday has room for a jump session (50 min)' for one week."""
    fitting = [c for c in data.candidates if c.week == week and kind in TYPES[c.type_key].kinds
               and c.day >= data.first_free_day]
    shortest = min(m for t, m in data.durations.items() if kind in TYPES[t].kinds)
    days = sorted({c.day for c in fitting})
    what = f"{_ROOM[kind]} ({shortest} min)"
    if not days:
        return f"no day has a free window long enough for {what}"
    names = [DAY_NAMES[(data.start + dt.timedelta(days=d)).weekday()] for d in days]
    verb = "has" if len(days) == 1 else "have"
    return f"{'only ' if len(days) <= 3 else ''}{_names(names)} {verb} room for {what}"


def _week_label(data: ModelInput, week: int) -> str:
    first = data.start + dt.timedelta(days=7 * (week - 1))
    last = first + dt.timedelta(days=6)
    return f"Week {week} ({first:%a %-d %b} – {last:%a %-d %b %Y})"


def describe_conflict(rules: Sequence[Rule], data: ModelInput) -> str:
    """One line: where and why the week cannot hold the program, and what would help."""
    if not rules:
        return ("no plan fits these windows and the sessions already done; "
                "add availability or shorten the plan")
    demand = {d.week: d for d in data.demands}
    parts: list[str] = []
    hints: list[str] = []
    too_short = False
    for week in sorted({r.week for r in rules}):
        kinds = []
        needs = []
        for rule in (r for r in rules if r.week == week):
            rule_kinds, text, hint = _NEEDS[rule.name]
            d = demand[week]
            needs.append(text.format(plyo=d.plyo[0], strength=d.strength[0]))
            kinds += [k for k in rule_kinds if k not in kinds]
            if hint and hint not in hints:
                hints.append(hint)
        rooms = "; ".join(room(data, week, k) for k in kinds)
        too_short = too_short or "no day has" in rooms
        weeks = {d.week for d in data.demands if d.week >= data.first_free_day // 7 + 1}
        every = len(weeks) > 1 and all(
            "; ".join(room(data, w, k) for k in kinds) == rooms for w in weeks)
        label = "Every week" if every else _week_label(data, week)
        parts.append(f"{label}: {rooms}, but {' and '.join(needs)}")
        if every:
            break
    first = ("make a window longer, or add one" if too_short
             else "add a window on another day")
    if any(p.startswith("Week ") for p in parts) and not too_short:
        first += " (or free that week in your calendar)"
    advice = first + (f", or {' or '.join(hints)}" if hints else "")
    return f"No plan possible. {'; '.join(parts)}. To fix it: {advice}."
