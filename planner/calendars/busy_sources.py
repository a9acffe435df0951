"""All of an athlete's busy time: the profile's .ics files and CalDAV calendars, and any other
calendar files given on the command line, read over the plan's days."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from planner.errors import InputError

if TYPE_CHECKING:
    from planner.calendars.busy import BusyInterval
    from planner.store.profile import Profile


def read_busy(profile: Profile, extra: Sequence[Path] = (), first_day: dt.date | None = None,
              last_day: dt.date | None = None, files: Mapping[Path, bytes] | None = None,
              ) -> list[BusyInterval]:
    """Busy intervals from the profile's calendars and any given on the command line.
    ``files``: calendar files already read, by path (a cluster worker gets them with its task,
    as it may not see the coach's disk)."""
    from planner.calendars.busy import read_busy_file, read_busy_text

    buffer = dt.timedelta(minutes=profile.busy_buffer_minutes)
    first, last = first_day or profile.start, last_day or profile.end
    intervals: list[BusyInterval] = []
    for path in (*profile.busy, *extra):
        if files is not None and path in files:
            intervals += read_busy_text(files[path], str(path), profile.tz, first, last, buffer)
        else:
            intervals += read_busy_file(path, profile.tz, first, last, buffer)
    if profile.busy_caldav:
        from planner.calendars.busy_caldav import read_busy_caldav

        password = os.environ.get("PERIODIZE_CALDAV_PASSWORD")
        for source in profile.busy_caldav:
            if password is None:
                raise InputError("busy_caldav", source.url,
                                 "set PERIODIZE_CALDAV_PASSWORD to read this calendar")
            intervals += read_busy_caldav(source, password, profile.tz, first, last, buffer)
    return intervals
