"""From weekday windows, rest days and busy time to candidate session starts (zoned datetimes).

Starts lie on a 30-minute grid from each window's opening: coarse enough to keep the model
small (the shared measurements: a 15-minute grid did not prove optimal in 30 s), fine enough
for people.

Times are computed in UTC: two aware datetimes in one zone compare and subtract by wall clock in
Python, which is wrong across a clock change. A local time that occurs twice (the repeated hour
when clocks go back) is used only in its first pass, because that is how iCalendar reads a
local time with a TZID (RFC 5545, 3.3.5): a session starting or ending in the second pass would
be shown an hour off, or ending before it starts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planner.profile import Profile

if TYPE_CHECKING:
    from planner.busy import BusyInterval

GRID_MINUTES = 30
UTC = dt.UTC


@dataclass(frozen=True)
class Candidate:
    """A session of ``type_key`` could start here."""

    day: int              # days after the plan's first day
    minute: int           # local start, minutes after midnight
    type_key: str
    offset: int           # grid steps after its window opens
    start: dt.datetime    # aware, local
    end: dt.datetime

    @property
    def week(self) -> int:
        return self.day // 7 + 1


def local_time(day: dt.date, minute: int, tz: dt.tzinfo) -> dt.datetime | None:
    """The aware local time (its first pass when it occurs twice), or None when the wall time
    does not exist (a DST gap)."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    aware = naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    if aware.replace(tzinfo=None) != naive:
        return None
    return aware


def second_pass(local: dt.datetime) -> bool:
    """True for an instant whose wall time occurred once already that night (``fold`` is set by
    the conversion from UTC): a calendar would read that wall time as the earlier instant."""
    return bool(local.astimezone(UTC).astimezone(local.tzinfo).fold)


def _by_local_day(busy: Sequence[BusyInterval], tz: dt.tzinfo,
                  ) -> dict[dt.date, list[tuple[dt.datetime, dt.datetime]]]:
    """Busy intervals (as UTC pairs) under each local date they touch."""
    days: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = {}
    for b in busy:
        pair = (b.start.astimezone(UTC), b.end.astimezone(UTC))
        day, last = b.start.astimezone(tz).date(), b.end.astimezone(tz).date()
        while day <= last:
            days.setdefault(day, []).append(pair)
            day += dt.timedelta(days=1)
    return days


def _overlaps(start: dt.datetime, end: dt.datetime,
              busy: Sequence[tuple[dt.datetime, dt.datetime]]) -> bool:
    s, e = start.astimezone(UTC), end.astimezone(UTC)
    return any(s < b_end and b_start < e for b_start, b_end in busy)


def candidates(profile: Profile, minutes_by_type: Mapping[str, int],
               busy: Sequence[BusyInterval] = (), days: Iterable[int] | None = None,
               ) -> list[Candidate]:
    """Every grid start on the given plan days (default: all) where a session of each type fits
    wholly inside one window and overlaps no busy interval."""
    tz = profile.tz
    blocked = _by_local_day(busy, tz)
    found: list[Candidate] = []
    for day in days if days is not None else range(7 * profile.weeks):
        date = profile.start + dt.timedelta(days=day)
        for window in profile.windows_on(date):
            closes = dt.datetime.combine(date, dt.time()) + dt.timedelta(minutes=window.end)
            for type_key, length in minutes_by_type.items():
                for step, minute in enumerate(range(window.start, window.end - length + 1,
                                                     GRID_MINUTES)):
                    start = local_time(date, minute, tz)
                    if start is None:
                        continue
                    # The end in real time, then checked against the window on the wall clock.
                    end = (start.astimezone(UTC) + dt.timedelta(minutes=length)).astimezone(tz)
                    if second_pass(start) or second_pass(end):
                        continue
                    if end.replace(tzinfo=None) <= closes and not _overlaps(
                            start, end, blocked.get(date, ())):
                        found.append(Candidate(day, minute, type_key, step, start, end))
    return found
