"""How each session stands as of a day, with what was logged for it: the one derivation the
views that show a session's state with its scores use (issue 24 §3).

A session is ``done`` or ``missed`` when the log says so (its entry found by the session's UID,
else by its date: entries older than issue 24 have no UID), or ``missed`` when the revision
says so; a session before ``today`` with no word is ``not logged`` (silence is not success),
even where a replan stored it as done as prescribed (that is the replan's assumption, not the
athlete's word); the rest are ``planned``. A done session carries its logged effort, pain and
the exercises whose level rule was not met, beside the target effort."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from planner.store.database import LogEntry
from planner.store.plan import DONE, MISSED, Plan

PLANNED, NOT_LOGGED = "planned", "not logged"
STATES = (PLANNED, DONE, MISSED, NOT_LOGGED)


@dataclass(frozen=True)
class SessionState:
    uid: str
    day: dt.date                      # the session's date in the plan's zone
    state: str                        # one of STATES
    target_rpe: int                   # the effort the plan asks for (CR-10)
    rpe: int | None = None            # logged effort
    pain: int | None = None           # logged worst pain during
    not_met: tuple[str, ...] = ()     # exercises whose level rule was not met

    def fields(self) -> dict[str, Any]:
        """The state and the logged scores as export fields, beside the targets."""
        return {"state": self.state, "target_rpe": self.target_rpe, "logged_rpe": self.rpe,
                "logged_pain": self.pain, "not_met": list(self.not_met)}


def session_states(plan: Plan, log: Sequence[LogEntry], today: dt.date | None,
                   ) -> tuple[SessionState, ...]:
    """Each session's state as of ``today`` (None: nothing is past), in the plan's order."""
    by_uid = {e.uid: e for e in log if e.uid is not None}
    by_day = {e.day: e for e in log if e.uid is None}
    found = []
    for s in plan.sessions:
        day = plan.local_date(s)
        entry = by_uid.get(s.uid) or by_day.get(day)
        if entry is not None:
            state = entry.status
        elif s.status == MISSED:
            state = s.status
        elif today is not None and day < today:
            state = NOT_LOGGED
        else:
            state = PLANNED
        scored = entry is not None and state == DONE
        found.append(SessionState(
            s.uid, day, state, s.rpe, entry.rpe if scored and entry else None,
            entry.pain if scored and entry else None,
            entry.not_met if scored and entry else ()))
    return tuple(found)
