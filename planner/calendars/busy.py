"""The user's existing calendars (.ics exports or downloaded feeds) read as busy time.

Recurrences are expanded by ``recurring_ical_events`` over the planning range only; its ``of()``
first applies ``x_wr_timezone.to_standard``, so a calendar's X-WR-TIMEZONE (Google) gives its UTC
and floating times their zone. Floating times left after that are read in the profile's zone, as
the expander compares them against range bounds in that zone. Intervals are computed in UTC, so
that buffers and merging stay right across daylight-saving changes, and handed back in the
profile's zone.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from planner.errors import InputError

if TYPE_CHECKING:
    from icalendar import Component, Event

MAX_BUSY_BYTES = 5_000_000
MAX_OCCURRENCES = 10_000     # in the plan's range; a rule repeating every second or minute is not
                             # a calendar anyone keeps, and expanding it would take minutes
#: Occurrences a file's repeating events may generate from their first one to the plan's end,
#: all rules together. The expander (dateutil) walks every occurrence from DTSTART, even those
#: long before the plan, at about 3 microseconds each: this bounds the work to about a second.
#: A daily meeting since 1970 is 21,000, an hourly reminder since 2020 about 63,000.
MAX_GENERATED = 500_000
#: Judgement call: a rule repeating more often than every 15 minutes is refused outright. Busy
#: time is widened by a 15-minute buffer on each side, so such a series is one solid block; no
#: calendar anyone keeps holds one, and from an old DTSTART it would generate millions.
FINEST_REPEAT = timedelta(minutes=15)
DEFAULT_BUFFER = timedelta(minutes=15)
_TOO_BIG = f"files up to {MAX_BUSY_BYTES // 1_000_000} MB are read"

_Span = tuple[datetime, datetime, str]  # start and end in UTC, summary


@dataclass(frozen=True)
class BusyInterval:
    """Time the user is not free: [start, end) in the profile's zone, and what blocks it."""

    start: datetime
    end: datetime
    summary: str


def read_busy_file(path: Path, tz: ZoneInfo, first_day: date, last_day: date,
                   buffer: timedelta = DEFAULT_BUFFER) -> list[BusyInterval]:
    """Busy intervals from one .ics file that touch the local days first_day..last_day (inclusive),
    widened by ``buffer`` on each side (timed events only), sorted by start then end, merged where
    they overlap or touch."""
    return read_busy_text(busy_file_bytes(path), str(path), tz, first_day, last_day, buffer)


def busy_file_bytes(path: Path) -> bytes:
    """The bytes of a busy calendar file, read with the usual checks (a regular file, not too
    big)."""
    from planner.store.reading import read_regular

    return read_regular(path, "busy", MAX_BUSY_BYTES, _TOO_BIG, kind=".ics file")


def read_busy_text(data: bytes, source: str, tz: ZoneInfo, first_day: date, last_day: date,
                   buffer: timedelta = DEFAULT_BUFFER) -> list[BusyInterval]:
    """Same as :func:`read_busy_file`, from bytes already read; ``source`` (a path or a URL) names
    the origin in errors."""
    if last_day < first_day or buffer < timedelta(0):
        raise ValueError("need first_day <= last_day and a buffer of zero or more")
    if len(data) > MAX_BUSY_BYTES:
        raise InputError("busy", source, _TOO_BIG)
    text = data.removeprefix(b"\xef\xbb\xbf").strip()
    if not text:
        raise InputError("busy", source, "the file is empty")
    if text[:15].upper() != b"BEGIN:VCALENDAR":
        raise InputError("busy", source,
                         "an iCalendar (.ics) file is expected: no BEGIN:VCALENDAR found")
    range_start = datetime.combine(first_day, time(), tz)
    range_end = datetime.combine(last_day + timedelta(days=1), time(), tz)
    try:
        events = _occurrences(data, range_start - buffer, range_end + buffer)
    except _TooMany:
        raise InputError("busy", source, f"calendars with up to {MAX_OCCURRENCES:,} events in "
                         "the plan's weeks (a rule repeats too often)") from None
    except _TooFine as exc:
        raise InputError("busy", source, "events that repeat every 15 minutes or less often "
                         f"({exc.args[0]})") from None
    except _TooLong as exc:
        raise InputError("busy", source, "calendars whose repeating events add up to at most "
                         f"{MAX_GENERATED:,} occurrences from their first to the plan's end "
                         f"({exc.args[0]})") from None
    except Exception as exc:  # the parsing libraries raise many kinds; none may become a traceback
        raise InputError("busy", source,
                         f"a valid iCalendar file is expected (the reader said: {exc})") from None
    spans = [_span(event, tz, buffer) for event in events if _blocks(event)]
    touching = [(start, end, summary) for start, end, summary in spans
                if start < end and start < range_end and end > range_start]
    return _merge(touching, tz)


class _TooMany(Exception):
    """More occurrences in the range than ``MAX_OCCURRENCES``."""


class _TooFine(Exception):
    """A rule repeating more often than ``FINEST_REPEAT``; args[0] names it."""


class _TooLong(Exception):
    """Rules that would generate more than ``MAX_GENERATED`` occurrences; args[0] names one."""


def _occurrences(data: bytes, start: datetime, end: datetime) -> list[Event]:
    """Every occurrence of every event in the file that overlaps [start, end).

    Refused before any expansion: a rule repeating more often than ``FINEST_REPEAT``
    (``_TooFine``), rules that would generate more than ``MAX_GENERATED`` occurrences before
    ``end`` (``_TooLong``); after it, more than ``MAX_OCCURRENCES`` in the range (``_TooMany``).
    The range is expanded in one query: the expander walks each rule from its DTSTART once."""
    import icalendar
    import recurring_ical_events

    with warnings.catch_warnings():  # e.g. a guessed vendor TZID: nothing the user can act on
        warnings.simplefilter("ignore")
        calendar = icalendar.Calendar.from_ical(data)
        _check_rules(calendar.walk("VEVENT"), end)
        found: list[Event] = recurring_ical_events.of(calendar).between(start, end)
    if len(found) > MAX_OCCURRENCES:
        raise _TooMany
    return found


def _moment(value: date | datetime) -> datetime:
    """A DTSTART, UNTIL or occurrence start as a datetime (a date: its midnight, floating)."""
    return value if isinstance(value, datetime) else datetime.combine(value, time())


#: Length of one step of each FREQ (an upper bound on how many steps fit: months of 28 days).
_STEP = {"SECONDLY": timedelta(seconds=1), "MINUTELY": timedelta(minutes=1),
         "HOURLY": timedelta(hours=1), "DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1),
         "MONTHLY": timedelta(days=28), "YEARLY": timedelta(days=365)}
#: BY parts that may add occurrences within one step (each value at most one; BYDAY below).
_EXPANDS = ("BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYHOUR", "BYMINUTE", "BYSECOND")


def _check_rules(events: list[Component], end: datetime) -> None:
    """Refuse rules finer than ``FINEST_REPEAT`` and files whose rules would generate more than
    ``MAX_GENERATED`` occurrences from their DTSTART to ``end``: an upper bound computed from
    each rule's FREQ, INTERVAL, BY parts, COUNT and UNTIL, before anything is expanded."""
    total = 0
    for event in events:
        rules = event.get("RRULE")
        if rules is None or "DTSTART" not in event:
            continue
        first = _utc(_moment(event.decoded("DTSTART")), UTC)
        name = str(event.get("SUMMARY", "")) or str(event.get("UID", "")) or "an event"
        for rule in rules if isinstance(rules, list) else [rules]:
            freq = str(rule.get("FREQ", ["?"])[0]).upper()
            interval = int(rule.get("INTERVAL", [1])[0])
            if freq not in _STEP or interval < 1:
                continue            # the expander refuses it with its own words
            text = rule.to_ical().decode()
            if _STEP[freq] * interval < FINEST_REPEAT:
                raise _TooFine(f"{name!r} repeats {text}")
            total += _generated(rule, freq, interval, first, end)
            if total > MAX_GENERATED:
                raise _TooLong(f"{name!r} repeats {text} from {first:%Y-%m-%d}")


def _generated(rule: Any, freq: str, interval: int, first: datetime, end: datetime) -> int:
    """At most how many occurrences ``rule`` generates from ``first`` to ``end``."""
    last = end
    if "UNTIL" in rule:
        last = min(last, _utc(_moment(rule["UNTIL"][0]), UTC))
    steps = max(0, (last - first) // (_STEP[freq] * interval)) + 1
    per_step = 1
    for part in _EXPANDS:
        per_step *= max(1, len(rule.get(part, [])))
    days = rule.get("BYDAY", [])
    if days:   # "MO" in a month is up to 5 Mondays, in a year up to 53
        per_step *= len(days) * {"MONTHLY": 5, "YEARLY": 53}.get(freq, 1)
    count = steps * per_step
    if "COUNT" in rule:
        count = min(count, max(0, int(rule["COUNT"][0])))
    return count


def _blocks(event: Event) -> bool:
    """Whether an occurrence takes the user's time (not cancelled, not marked free)."""
    status = str(event.get("STATUS", "")).upper()
    transparency = str(event.get("TRANSP", "")).upper()
    return status != "CANCELLED" and transparency != "TRANSPARENT"


def _span(event: Event, tz: ZoneInfo, buffer: timedelta) -> _Span:
    """An occurrence as a UTC span: whole local days for all-day events, else widened by buffer."""
    start, end = event.start, event.end
    summary = str(event.get("SUMMARY", ""))
    if isinstance(start, datetime) and isinstance(end, datetime):
        return _utc(start, tz) - buffer, _utc(end, tz) + buffer, summary
    first = datetime.combine(start, time(), tz).astimezone(UTC)
    return first, datetime.combine(end, time(), tz).astimezone(UTC), summary


def _utc(moment: datetime, tz: tzinfo) -> datetime:
    """An aware or floating (read in ``tz``) datetime in UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC)


def _merge(spans: list[_Span], tz: ZoneInfo) -> list[BusyInterval]:
    """Sort spans and merge those that overlap or touch, joining their distinct summaries."""
    merged: list[tuple[datetime, datetime, list[str]]] = []
    for start, end, summary in sorted(spans):
        if merged and start <= merged[-1][1]:
            first, last, summaries = merged[-1]
            merged[-1] = (first, max(last, end), [*summaries, summary])
        else:
            merged.append((start, end, [summary]))
    return [BusyInterval(start.astimezone(tz), end.astimezone(tz),
                         " / ".join(dict.fromkeys(name for name in summaries if name)))
            for start, end, summaries in merged]
