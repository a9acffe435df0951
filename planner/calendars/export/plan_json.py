"""The plan as JSON for other programs: a versioned format of its own, documented in
docs/json-export.md and kept apart from what the store holds (``Plan.to_dict``, internal, which
the store's own migrations look after). A change to this format raises ``VERSION`` and adds a
step to ``MIGRATIONS``, so an older export can still be read (``read_export``)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from planner.errors import InputError
from planner.store.plan import Plan, last_day, plan_from_dict

if TYPE_CHECKING:
    from planner.store.as_of import SessionState

VERSION = 4


def export_dict(plan: Plan, states: Sequence[SessionState] = ()) -> dict[str, Any]:
    """``{"version": 4, "plan": {...}, "sessions": [...], "checks": [...]}``, sessions in time
    order, each with its state as of the export's day and what was logged for it
    (``SessionState.fields``: ``state``, ``target_rpe``, ``logged_rpe``, ``logged_pain``,
    ``not_met``); the checks (baseline tests, PSFS check-ins) as the store holds them."""
    stored = plan.to_dict()
    known = {st.uid: st.fields() for st in states}
    return {"version": VERSION, "plan": {**stored["plan"], "end": plan.end.isoformat()},
            "sessions": [{**s, **known.get(s["uid"], _unlogged(s))} for s in stored["sessions"]],
            "checks": stored["checks"]}


def _unlogged(session: dict[str, Any]) -> dict[str, Any]:
    """The logged fields of a session nothing is known of: its status as state, no scores."""
    return {"state": session["status"], "target_rpe": session["rpe"], "logged_rpe": None,
            "logged_pain": None, "not_met": []}


def plan_json(plan: Plan, states: Sequence[SessionState] = ()) -> str:
    """The export as text: two-space indents, keys in a stable order, UTF-8 as written."""
    return json.dumps(export_dict(plan, states), indent=2, ensure_ascii=False) + "\n"


def _from_unversioned(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0, what periodize wrote before the format had a version: the same fields
    without ``version`` and the plan's ``end``."""
    head = data["plan"]
    end = last_day(dt.date.fromisoformat(head["start"]), head["weeks"])
    return {**data, "version": 1, "plan": {**head, "end": end.isoformat()}}


def _with_logged_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1, before issue 24: no state or logged scores beside the targets."""
    return {**data, "version": 2, "sessions": [{**s, **_unlogged(s)} for s in data["sessions"]]}


def _with_checks(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2, before issue 26 §3 and §5: no baseline tests or PSFS check-ins."""
    return {"checks": [], **data, "version": 3}


def _status_as_state(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3, before every view read the plan as of a day: ``status`` was the stored
    revision's (never "not logged") and the doses the stored ones. Read as they are."""
    return {**data, "version": 4}


#: version reached -> the step that gets there from the one before
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: _from_unversioned, 2: _with_logged_fields, 3: _with_checks, 4: _status_as_state}


def read_export(data: dict[str, Any]) -> Plan:
    """A plan from an export of any version up to ``VERSION`` (older ones migrated first)."""
    version = data.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= VERSION:
        raise InputError("version", version, f"an export of version 0 to {VERSION} (a newer "
                         "periodize wrote it? upgrade periodize)")
    try:
        for step in range(version + 1, VERSION + 1):
            data = MIGRATIONS[step](data)
        return plan_from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError("plan", type(exc).__name__, f"a periodize JSON export ({exc})") from None

