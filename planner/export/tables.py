"""The plan as JSON (the documented contract) and as tables (pandas: CSV and a terminal table)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from planner.plan import Plan
from planner.session_types import TYPES

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["week", "date", "weekday", "start", "end", "minutes", "session", "kinds", "status",
           "foot_contacts", "load", "uid"]


def plan_json(plan: Plan) -> str:
    """``{"plan": {...}, "sessions": [...]}`` in session order, stable key order."""
    return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n"


def sessions_frame(plan: Plan, week: int | None = None) -> pd.DataFrame:
    """One row per session (optionally of one week), in time order."""
    import pandas as pd

    rows = [{
        "week": s.week, "date": s.start.date().isoformat(), "weekday": f"{s.start:%a}",
        "start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}", "minutes": s.minutes,
        "session": TYPES[s.session_type].label, "kinds": "+".join(s.kinds), "status": s.status,
        "foot_contacts": s.foot_contacts, "load": s.load, "uid": s.uid,
    } for s in plan.sessions if week is None or s.week == week]
    return pd.DataFrame(rows, columns=COLUMNS)


def plan_table(plan: Plan, week: int | None = None) -> str:
    """The sessions as a plain-text table for the terminal (no UID, no kinds column)."""
    return str(sessions_frame(plan, week).drop(columns=["uid", "kinds"]).to_string(index=False))


def plan_csv(plan: Plan, week: int | None = None) -> str:
    return str(sessions_frame(plan, week).to_csv(index=False, lineterminator="\n"))


def weekly_frame(plan: Plan) -> pd.DataFrame:
    """Per week: sessions, jump and strength sessions, foot contacts, minutes and load."""
    frame = sessions_frame(plan)
    frame = frame[frame["status"] != "missed"]
    frame = frame.assign(plyometrics=frame["kinds"].str.contains("plyometrics").astype(int),
                         strength=frame["kinds"].str.contains("strength").astype(int))
    weekly = frame.groupby("week").agg(
        sessions=("uid", "count"), plyometrics=("plyometrics", "sum"),
        strength=("strength", "sum"), foot_contacts=("foot_contacts", "sum"),
        minutes=("minutes", "sum"), load=("load", "sum"))
    return weekly.reindex(range(1, plan.weeks + 1), fill_value=0).reset_index()
