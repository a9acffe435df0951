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
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from planner.store.profile import Profile, Window

if TYPE_CHECKING:
    from planner.calendars.busy import BusyInterval

GRID_MINUTES = 30
GRID_SECONDS = 60 * GRID_MINUTES
_GRID = dt.timedelta(minutes=GRID_MINUTES)
UTC = dt.UTC


class Candidate(NamedTuple):
    """A session of ``type_key`` could start here. (A named tuple: immutable, and made several
    times faster than a frozen dataclass; a roster makes hundreds per athlete.)"""

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


@functools.lru_cache(maxsize=4096)
def steady_day(date: dt.date, tz: dt.tzinfo) -> bool:
    """No clock change from this midnight to the next: every wall time exists once and real
    time runs with the wall clock, so the round trips through UTC can be skipped. (Remembered:
    a roster asks it for the same dates and zones again and again.)"""
    midnight = dt.datetime.combine(date, dt.time())
    return (midnight.replace(tzinfo=tz).utcoffset()
            == (midnight + dt.timedelta(days=1)).replace(tzinfo=tz).utcoffset())


class WindowDay:
    """One availability window on one plan day: what the groups of its session types share
    (made once per window, not once per type: a roster makes ~190 groups per athlete)."""

    __slots__ = (
        "blocked",
        "date",
        "day",
        "opens",
        "opens_at",
        "steady",
        "tz",
        "window",
    )

    def __init__(self, day: int, date: dt.date, window: Window, tz: dt.tzinfo,
                 blocked: Sequence[tuple[dt.datetime, dt.datetime]],
                 steady: bool | None = None) -> None:
        self.day, self.date, self.window, self.tz, self.blocked = day, date, window, tz, blocked
        self.steady = steady_day(date, tz) if steady is None else steady
        self.opens = dt.datetime.combine(date, dt.time(), tz) + dt.timedelta(
            minutes=window.start)      # on a steady day, step k starts k grid steps after this
        # On a day without a clock change, the POSIX time of the first grid step: step k starts
        # k grid steps after it in real time. None on a day with a change.
        self.opens_at = self.opens.timestamp() if self.steady else None


class Slots:
    """The grid starts of one session type in one window on one plan day, made on demand.

    A day free from 00:00 to 24:00 holds ~46 starts per type; over a year that is ~68,000
    candidates, and ``planner.scheduling.pruning`` needs only a few of each group: the first, and
    the
    earliest one after a given moment."""

    __slots__ = ("_length", "_made", "day", "frame", "length", "steps", "type_key", "window")

    def __init__(self, frame: WindowDay, type_key: str, length: int,
                 duration: dt.timedelta | None = None) -> None:
        self.frame, self.day, self.window = frame, frame.day, frame.window
        self.type_key, self.length = type_key, length
        # len(range(window.start, window.end - length + 1, GRID_MINUTES)), as arithmetic
        self.steps = max(0, (frame.window.end - length - frame.window.start) // GRID_MINUTES + 1)
        # ``length`` as a timedelta (``slots`` passes it made once per session type)
        self._length = dt.timedelta(minutes=length) if duration is None else duration
        # On a clock-change day the starts are remembered: ``earliest_from`` scans them again
        # for each bound. On other days a start is plain arithmetic, cheaper to make again.
        self._made: dict[int, Candidate | None] | None = None

    @property
    def date(self) -> dt.date:
        return self.frame.date

    @property
    def tz(self) -> dt.tzinfo:
        return self.frame.tz

    @property
    def blocked(self) -> Sequence[tuple[dt.datetime, dt.datetime]]:
        return self.frame.blocked

    def at(self, step: int) -> Candidate | None:
        """The candidate ``step`` grid steps after the window opens, or None when that start
        does not exist (a DST gap), the session would outlast the window or overlaps busy time."""
        if self.frame.steady:
            return self._at(step)
        if self._made is None:
            self._made = {}
        if step not in self._made:
            self._made[step] = self._at(step)
        return self._made[step]

    def _at(self, step: int) -> Candidate | None:
        frame = self.frame
        minute = frame.window.start + step * GRID_MINUTES
        if frame.steady:   # wall time runs with real time: plain arithmetic on the wall clock
            if minute + self.length > frame.window.end:
                return None
            start = frame.opens + _GRID * step
            end = start + self._length
        else:
            found = local_time(frame.date, minute, frame.tz)
            if found is None:
                return None
            start = found
            # The end in real time, then checked against the window on the wall clock.
            end = (start.astimezone(UTC) + self._length).astimezone(frame.tz)
            closes = dt.datetime.combine(frame.date, dt.time()) + dt.timedelta(
                minutes=frame.window.end)
            if second_pass(start) or second_pass(end) or end.replace(tzinfo=None) > closes:
                return None
        if frame.blocked and _overlaps(start, end, frame.blocked):
            return None
        return Candidate(frame.day, minute, self.type_key, step, start, end)

    def __iter__(self) -> Iterator[Candidate]:
        for step in range(self.steps):
            found = self.at(step)
            if found is not None:
                yield found

    @property
    def opens_at(self) -> float | None:
        """See ``WindowDay.opens_at``."""
        return self.frame.opens_at

    def first_from(self, step: int) -> Candidate | None:
        """The first candidate at grid step ``step`` or later."""
        # on a steady day ``at`` is ``_at``: called straight (pruning asks this for every group)
        at = self._at if self.frame.steady else self.at
        for later in range(max(0, step), self.steps):
            found = at(later)
            if found is not None:
                return found
        return None

    def earliest_from(self, bound: dt.datetime) -> Candidate | None:
        """The first candidate starting at or after ``bound`` (aware) in real time."""
        frame = self.frame
        if frame.steady:     # starts run with real time: the first step at or after the bound
            steps, late = divmod(bound - frame.opens, _GRID)
            return self.first_from(steps + (1 if late else 0))
        local = bound.astimezone(frame.tz)
        if local.date() > frame.date:
            return None
        first = 0
        if local.date() == frame.date:   # one step early: wall and real time part at DST changes
            first = max(0, (local.hour * 60 + local.minute - frame.window.start) // GRID_MINUTES
                        - 1)
        for step in range(first, self.steps):
            found = self.at(step)
            if found is not None and found.start.astimezone(UTC) >= bound:
                return found
        return None


def slots(profile: Profile, minutes_by_type: Mapping[str, int],
          busy: Sequence[BusyInterval] = (), days: Iterable[int] | None = None) -> list[Slots]:
    """The groups of candidate starts on the given plan days (default: all), by day, window and
    session type, in that order."""
    tz = profile.tz
    blocked = _by_local_day(busy, tz)
    types = [(type_key, length, dt.timedelta(minutes=length))
             for type_key, length in minutes_by_type.items()]
    groups: list[Slots] = []
    for day in days if days is not None else range(7 * profile.weeks):
        date = profile.start + dt.timedelta(days=day)
        windows = profile.windows_on(date)
        if not windows:
            continue
        steady = steady_day(date, tz)
        for window in windows:
            frame = WindowDay(day, date, window, tz, blocked.get(date, ()), steady)
            groups += [Slots(frame, type_key, length, duration)
                       for type_key, length, duration in types]
    return groups


def candidates(profile: Profile, minutes_by_type: Mapping[str, int],
               busy: Sequence[BusyInterval] = (), days: Iterable[int] | None = None,
               ) -> list[Candidate]:
    """Every grid start on the given plan days (default: all) where a session of each type fits
    wholly inside one window and overlaps no busy interval."""
    return [c for group in slots(profile, minutes_by_type, busy, days) for c in group]
