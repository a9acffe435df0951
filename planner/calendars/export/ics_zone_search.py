"""WORKAROUND for icalendar 7.3's VTIMEZONE cost in zones without clock changes; remove once
icalendar stops its search at ``last_date``.

``Timezone.from_tzinfo`` finds each change of offset by stepping forward (64 days, then finer)
until the offset differs. After the last change before ``last_date`` it steps on until the next
one, and in a zone that has no more changes (UTC, Asia/Tokyo, most of Asia and Africa) that is
year 9999, where the datetime overflows: 8 ms a VTIMEZONE (UTC, Asia/Tokyo) against 0.2 ms for
a zone with daylight saving time, and 0.05 ms bounded (measured: ``Timezone.from_tzid`` over
spans of 16 months). A roster makes one per zone and span, and spans move with each start date.

``timezone`` gives icalendar the zone through a tzinfo that answers exactly as the zone
does up to ``last_date`` + 128 days and raises OverflowError past it, which icalendar already
takes as the end of the zone ("zoneinfo does not go all the way"). The output is the same: a
part of the zone is listed by where it starts, only starts before ``last_date`` are listed, and
a search from a start before ``last_date`` that reaches 64 days past it (the longest step) has
already passed every change before ``last_date``; what it would find beyond is never listed.
It is used only when icalendar's own VTIMEZONE agrees with it on probe zones and spans (a later
icalendar that builds them otherwise keeps its own), and ``tests/test_ics_memo.py`` checks the
two agree on random zones and dates. iCalendar is still written by icalendar: the VTIMEZONE is
``Timezone.from_tzinfo``'s.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from icalendar import Timezone

#: Past last_date, longer than icalendar's longest step (64 days) by a margin.
_REACH = dt.timedelta(days=128)
_PROBES = (("UTC", dt.date(2026, 11, 2), dt.date(2028, 3, 6)),
           ("Europe/London", dt.date(2026, 12, 20), dt.date(2028, 2, 21)),
           ("Europe/London", dt.date(2026, 12, 20), dt.date(2027, 4, 10)),   # change 13 days before
           ("Australia/Lord_Howe", dt.date(2027, 3, 1), dt.date(2028, 4, 30)))


class _Until(dt.tzinfo):
    """``zone`` up to ``limit`` (local time); past it, the OverflowError of year 9999."""

    def __init__(self, zone: dt.tzinfo, limit: dt.datetime) -> None:
        self.zone, self.limit = zone, limit

    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta | None:
        if when is not None and when.replace(tzinfo=None) > self.limit:
            raise OverflowError("past the span of the calendar")
        return self.zone.utcoffset(when)

    def dst(self, when: dt.datetime | None) -> dt.timedelta | None:
        return self.zone.dst(when)

    def tzname(self, when: dt.datetime | None) -> str | None:
        return self.zone.tzname(when)


def _bounded(tzid: str, first: dt.date, last: dt.date) -> Timezone:
    from icalendar import Timezone
    from icalendar.timezone import tzp

    zone = tzp.timezone(tzid)
    if zone is None:
        return Timezone.from_tzid(tzid, first_date=first, last_date=last)   # its own error
    limit = dt.datetime(last.year, last.month, last.day) + _REACH
    return Timezone.from_tzinfo(_Until(zone, limit), tzid, first, last)


@functools.cache
def _agrees() -> bool:
    """Whether icalendar's own VTIMEZONEs are the bounded ones on the probes (once a process)."""
    from icalendar import Timezone

    return all(Timezone.from_tzid(z, first_date=a, last_date=b).to_ical()
               == _bounded(z, a, b).to_ical() for z, a, b in _PROBES)


def timezone(tzid: str, first: dt.date, last: dt.date, bounded: bool = True) -> Timezone:
    """``Timezone.from_tzid(tzid, first_date=first, last_date=last)``, without the search to
    year 9999 when ``bounded`` and icalendar still agrees on the probes."""
    if bounded and _agrees():
        return _bounded(tzid, first, last)
    from icalendar import Timezone

    return Timezone.from_tzid(tzid, first_date=first, last_date=last)
