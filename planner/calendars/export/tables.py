"""The plan as tables (pandas): CSV, a terminal table and weekly sums. JSON is in ``plan_json``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.store.plan import Plan
from planner.training.session_types import TYPES

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from planner.store.as_of import SessionState

COLUMNS = ["week", "date", "weekday", "start", "end", "minutes", "session", "kinds", "status",
           "foot_contacts", "load", "uid"]


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


def plan_csv(plan: Plan, week: int | None = None, states: Sequence[SessionState] = ()) -> str:
    """The sessions as CSV; with ``states``, each session's state as of the export's day and
    what was logged for it in columns of their own beside the target effort."""
    import pandas as pd

    frame = sessions_frame(plan, week)
    if states:
        known = {st.uid: st.fields() for st in states}
        for column in ("state", "target_rpe", "logged_rpe", "logged_pain", "not_met"):
            frame[column] = pd.Series([_cell(known[uid][column]) if uid in known else ""
                                       for uid in frame["uid"]], dtype=object)
    return csv_text(frame)


def _cell(value: object) -> str:
    """A list (the rules not met) as one cell, ids joined by '+'; None as an empty cell; a
    score as its digits (not as a float of a column with gaps)."""
    if isinstance(value, list):
        return "+".join(str(v) for v in value)
    return "" if value is None else str(value)


#: A cell starting with one of these is read by spreadsheets as a formula (or, tab and carriage
#: return, shifted into one): "=cmd|' /C calc'!A0", "+SUM(1+1)", "-2+3", "@SUM(A1)".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with a single quote, as
    OWASP's CSV-injection guidance recommends (the quote shows the text as text); anything
    else unchanged."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (LF line ends, no index) with every text cell spreadsheet-safe."""
    import csv

    safe = frame.map(spreadsheet_safe)
    # The writer quotes a cell holding the line end ("\n") but not a lone carriage return,
    # which many readers take for a line end too: then every text cell is quoted.
    if safe.map(lambda cell: isinstance(cell, str) and "\r" in cell).to_numpy().any():
        return str(safe.to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC))
    return str(safe.to_csv(index=False, lineterminator="\n"))


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
