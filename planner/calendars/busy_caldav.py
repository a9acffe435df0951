"""Busy time read from a calendar on a CalDAV server (``[[busy_caldav]]`` in the profile).

The events overlapping the plan's range are fetched with a time-range REPORT, unexpanded, and
each resource's iCalendar data goes through :func:`planner.calendars.busy.read_busy_text`, the same
reader
as .ics files: recurrences, all-day events, time zones, cancelled and free events are understood
in one place. Server failures become one-line RemoteErrors that never hold the password.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from planner.calendars.busy import DEFAULT_BUFFER, BusyInterval, read_busy_text
from planner.calendars.caldav_client import dav_client, open_calendar, shown_url

if TYPE_CHECKING:
    from planner.store.profile import CalDavSource

#: Asked of the server beyond the range on each side: all-day and floating events are matched
#: by the server in a zone of its choosing; read_busy_text cuts to the exact range.
_MARGIN = timedelta(days=1)


def read_busy_caldav(source: CalDavSource, password: str, tz: ZoneInfo, first_day: date,
                     last_day: date, buffer: timedelta = DEFAULT_BUFFER) -> list[BusyInterval]:
    """Busy intervals from the calendar ``source.calendar`` (display name) on ``source.url``
    that touch the local days first_day..last_day, as :func:`planner.calendars.busy.read_busy_file`
    gives
    them for a file. A missing calendar, an unreachable server, refused credentials and other
    server failures are RemoteErrors naming the URL, without the password."""
    if last_day < first_day or buffer < timedelta(0):
        raise ValueError("need first_day <= last_day and a buffer of zero or more")
    where = shown_url(source.url)
    start = datetime.combine(first_day, time(), tz).astimezone(UTC) - buffer - _MARGIN
    end = datetime.combine(last_day + timedelta(days=1), time(), tz).astimezone(UTC)
    end += buffer + _MARGIN
    with dav_client(source.url, source.user, password) as client:
        calendar = open_calendar(client, source.calendar, where, create=False)
        found = cast("list[Any]", calendar.search(start=start, end=end, event=True))
        resources = [_raw(obj) for obj in found]
    origin = f"{where} {source.calendar}"
    intervals: list[BusyInterval] = []
    for data in resources:
        if data:
            intervals += read_busy_text(data, origin, tz, first_day, last_day, buffer)
    return sorted(intervals, key=lambda i: (i.start, i.end))


def _raw(obj: Any) -> bytes:
    """One resource's iCalendar bytes as the server sent them."""
    raw = obj.raw_data
    if raw is None:
        return b""
    return raw if isinstance(raw, bytes) else str(raw).encode()
