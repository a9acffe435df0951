"""The plan in each file format the tool writes (iCalendar, JSON, CSV), as bytes or to a file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from catalog import default_catalog
from planner.calendars.export.log_links import LogLinks
from planner.errors import InputError, StoreError
from planner.store.files import write_atomic
from planner.store.plan import Plan, Session

if TYPE_CHECKING:
    from planner.store.as_of import SessionState

FORMATS = ("ics", "json", "csv")


def render(plan: Plan, fmt: str, google: bool = False,
           dropped: Sequence[Session] = (), links: LogLinks | None = None,
           states: Sequence[SessionState] = ()) -> bytes:
    """The plan in ``fmt``; an .ics also holds the sessions a replan ``dropped``, cancelled,
    and with ``links`` each session's link (``log_links``); JSON and CSV carry ``states``
    (``planner.store.as_of``): each session's state and logged scores."""
    if fmt == "ics":
        from icalendar.error import InvalidCalendar

        from planner.calendars.export.ics import plan_calendar

        try:
            return plan_calendar(plan, default_catalog().safety_note, google, dropped,
                                 links=links)
        except InvalidCalendar as exc:   # only a revision stored by an older periodize
            raise StoreError(f"revision {plan.revision} cannot be written as a calendar ({exc}); "
                             "run `periodize generate PROFILE` to make a sound one") from None
    from planner.calendars.export.plan_json import plan_json
    from planner.calendars.export.tables import plan_csv

    return (plan_json(plan, states) if fmt == "json" else plan_csv(plan, states=states)).encode()


def write_plan(plan: Plan, output: Path, fmt: str, google: bool = False,
               dropped: Sequence[Session] = (), data: bytes | None = None,
               links: LogLinks | None = None, states: Sequence[SessionState] = ()) -> None:
    """Write the plan in ``fmt`` (or ``data``, already rendered) to ``output``, atomically."""
    if fmt not in FORMATS:
        raise InputError("--format", fmt, "one of " + ", ".join(FORMATS))
    write_atomic(output, data if data is not None
                 else render(plan, fmt, google, dropped, links, states))
