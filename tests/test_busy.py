"""Reading the user's calendars as busy time: real client exports (Google, Apple, Outlook,
Thunderbird), recurrences with exceptions, time zones and daylight saving, free and cancelled
events, buffers and merging, the planning range, refusals of files that are not calendars, speed."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from factories import named

from planner.calendars.busy import MAX_BUSY_BYTES, BusyInterval, read_busy_file, read_busy_text
from planner.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "busy"
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
FIRST, LAST = date(2027, 3, 1), date(2027, 4, 25)  # 8 weeks, Monday to Sunday; BST from 28 March
NO_BUFFER = timedelta(0)

Row = tuple[datetime, datetime, str]


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """An aware datetime in Europe/London."""
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


def rows(intervals: list[BusyInterval]) -> list[Row]:
    return [(b.start, b.end, b.summary) for b in intervals]


def read(name: str, buffer: timedelta = timedelta(minutes=15), tz: ZoneInfo = LONDON,
         first: date = FIRST, last: date = LAST) -> list[BusyInterval]:
    return read_busy_file(FIXTURES / name, tz, first, last, buffer)


def calendar(*events: str, header: str = "") -> bytes:
    """A minimal calendar around the given VEVENT bodies, with CRLF line ends."""
    body = "".join(f"BEGIN:VEVENT\nUID:{n}@test\nDTSTAMP:20270101T000000Z\n{event.strip()}\n"
                   "END:VEVENT\n" for n, event in enumerate(events))
    text = ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//periodize//tests//EN\n"
            f"{header}{body}END:VCALENDAR\n")
    return text.replace("\n", "\r\n").encode()


def read_text(data: bytes, buffer: timedelta = NO_BUFFER, tz: ZoneInfo = LONDON,
              first: date = FIRST, last: date = LAST) -> list[Row]:
    return rows(read_busy_text(data, "test.ics", tz, first, last, buffer))


# --- the four clients' exports, interval by interval -----------------------------------------


def test_google_export() -> None:
    """UTC single events, a weekly TZID series with an EXDATE and a moved occurrence, all-day
    trips (busy) and birthdays (free), a cancelled event, events at and beyond the range ends."""
    choir = [(local(2027, m, d, 19, 15), local(2027, m, d, 21, 15), "Choir")
             for m, d in [(3, 3), (3, 10), (3, 24), (3, 31), (4, 8), (4, 14), (4, 21)]]
    assert rows(read("google.ics")) == sorted([
        (local(2027, 2, 26), local(2027, 3, 2), "Ski trip"),
        (local(2027, 3, 2, 8, 45), local(2027, 3, 2, 10, 15), "Dentist"),
        (local(2027, 3, 19), local(2027, 3, 22), "Trip to Leeds"),
        (local(2027, 4, 13, 16, 45), local(2027, 4, 13, 17, 45), "Haircut"),
        (local(2027, 4, 25, 21, 45), local(2027, 4, 26, 6, 15), "Night shift"),
        *choir,
    ])


def test_apple_export() -> None:
    """X-APPLE-* properties, a COUNT series with one occurrence moved onto a lunch it then touches
    (merged), a week-long all-day holiday, a transparent fortnightly reminder."""
    physio = [(local(2027, m, d, 7, 45), local(2027, m, d, 9), "Physio")
              for m, d in [(3, 2), (3, 9), (3, 23), (3, 30), (4, 6)]]
    assert rows(read("apple.ics")) == sorted([
        *physio,
        (local(2027, 3, 16, 10, 45), local(2027, 3, 16, 13, 30), "Lunch with Sam / Physio"),
        (local(2027, 4, 12), local(2027, 4, 17), "Holiday in Spain"),
    ])


def test_outlook_export() -> None:
    """Windows TZIDs with Outlook's own VTIMEZONEs (no TZNAME, "-0000"), an EXDATE on Easter
    Monday, an out-of-office all-day conference, a New York call, a "free" block."""
    meetings = [(local(2027, m, d, 17, 45), local(2027, m, d, 19, 15), "Team meeting")
                for m, d in [(3, 1), (3, 8), (3, 15), (3, 22), (3, 29), (4, 12), (4, 19)]]
    assert rows(read("outlook.ics")) == sorted([
        *meetings,
        (local(2027, 3, 17, 15, 45), local(2027, 3, 17, 16, 45), "Call with Boston office"),
        (local(2027, 3, 23), local(2027, 3, 25), "Conference"),
    ])


def test_thunderbird_export() -> None:
    """VTIMEZONEs with X-LIC-LOCATION, a COUNT series, an UNTIL series with one occurrence
    cancelled by a RECURRENCE-ID override, a New York webinar, a transparent event."""
    football = [(local(2027, 3, d, 19, 45), local(2027, 3, d, 21, 15), "Five-a-side")
                for d in (4, 11, 18, 25)]
    piano = [(local(2027, m, d, 9, 45), local(2027, m, d, 11, 15), "Piano lesson")
             for m, d in [(3, 6), (3, 13), (3, 20), (4, 3), (4, 10), (4, 17)]]
    assert rows(read("thunderbird.ics")) == sorted([
        *football, *piano,
        (local(2027, 3, 25, 17, 45), local(2027, 3, 25, 19, 15), "Webinar (New York)"),
    ])


@pytest.mark.parametrize("name", ["google.ics", "apple.ics", "outlook.ics", "thunderbird.ics",
                                  "new_york.ics", "floating.ics", "x_wr_timezone.ics"])
def test_intervals_are_in_the_profile_zone_sorted_and_disjoint(name: str) -> None:
    busy = read(name)
    assert busy
    assert all(b.start.tzinfo is LONDON and b.end.tzinfo is LONDON for b in busy)
    assert all(b.start < b.end for b in busy)
    assert all(a.end < b.start for a, b in itertools.pairwise(busy))


# --- recurrences ------------------------------------------------------------------------------


def test_exdate_blocks_nothing_and_a_moved_occurrence_blocks_its_new_time_only() -> None:
    choir_days = [b.start.date() for b in read("google.ics") if b.summary == "Choir"]
    assert date(2027, 3, 17) not in choir_days  # EXDATE
    assert date(2027, 4, 7) not in choir_days  # moved by RECURRENCE-ID ...
    assert date(2027, 4, 8) in choir_days  # ... to the Thursday
    assert len(choir_days) == 7


def test_a_cancelled_occurrence_of_a_series_blocks_nothing() -> None:
    piano_days = [b.start.date() for b in read("thunderbird.ics") if b.summary == "Piano lesson"]
    assert date(2027, 3, 27) not in piano_days
    assert len(piano_days) == 6


def test_cancelled_and_free_events_do_not_block() -> None:
    summaries = {b.summary for name in ("google.ics", "apple.ics", "outlook.ics", "thunderbird.ics")
                 for b in read(name)}
    assert summaries.isdisjoint({"Book club", "Mum's birthday", "Bins out", "Focus time",
                                 "Reading list"})
    data = calendar("SUMMARY:lower case\nSTATUS:cancelled\nDTSTART:20270302T100000Z\n"
                    "DTEND:20270302T110000Z",
                    "SUMMARY:odd status\nSTATUS:X-ON-HOLD\nDTSTART:20270303T100000Z\n"
                    "DTEND:20270303T110000Z")
    assert read_text(data) == [(local(2027, 3, 3, 10), local(2027, 3, 3, 11), "odd status")]


# --- time zones and daylight saving -----------------------------------------------------------


def test_weekly_event_stays_at_local_time_across_the_clock_change() -> None:
    """Outlook's "GMT Standard Time" meeting at 18:00 on Mondays either side of 28 March 2027."""
    meetings = {b.start.date(): b for b in read("outlook.ics", buffer=NO_BUFFER)}
    before, after = meetings[date(2027, 3, 22)], meetings[date(2027, 3, 29)]
    assert (before.start.hour, before.end.hour) == (after.start.hour, after.end.hour) == (18, 19)
    assert before.start.utcoffset() == timedelta(0)
    assert after.start.utcoffset() == timedelta(hours=1)
    assert after.start.astimezone(UTC) - before.start.astimezone(UTC) == timedelta(days=7, hours=-1)


def test_new_york_series_keeps_its_instant_when_read_into_london() -> None:
    """TZID=America/New_York with no VTIMEZONE; the US changes clocks on 14 March, the UK on 28
    March, so for two weeks 13:00 in New York is 17:00 in London instead of 18:00."""
    busy = read("new_york.ics", buffer=NO_BUFFER)
    assert [b.start.hour for b in busy] == [18, 18, 17, 17, 18, 18, 18, 18]
    for b in busy:
        in_new_york = b.start.astimezone(NEW_YORK)
        assert (in_new_york.hour, in_new_york.minute, in_new_york.weekday()) == (13, 0, 0)
        assert b.end - b.start == timedelta(minutes=30)


def test_windows_tzid_without_vtimezone_is_mapped_to_its_iana_zone() -> None:
    data = calendar("SUMMARY:Call\nDTSTART;TZID=Eastern Standard Time:20270317T120000\n"
                    "DTEND;TZID=Eastern Standard Time:20270317T130000")
    assert read_text(data) == [(local(2027, 3, 17, 16), local(2027, 3, 17, 17), "Call")]


def test_floating_times_are_read_in_the_profile_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    for tz in (LONDON, berlin):
        classes = [b for b in read("floating.ics", buffer=NO_BUFFER, tz=tz)
                   if b.summary == "Evening class"]
        assert len(classes) == 7
        assert {(b.start.hour, b.start.minute, b.end.hour, b.end.minute) for b in classes} == {
            (18, 0, 19, 30)}
        assert all(b.start.tzinfo is tz for b in classes)


def test_utc_times_keep_their_instant() -> None:
    parcel = [b for b in read("floating.ics", buffer=NO_BUFFER) if b.summary == "Parcel delivery"]
    assert rows(parcel) == [(local(2027, 3, 30, 13), local(2027, 3, 30, 14), "Parcel delivery")]
    assert parcel[0].start == datetime(2027, 3, 30, 12, tzinfo=UTC)


def test_x_wr_timezone_gives_floating_times_its_zone() -> None:
    """X-WR-TIMEZONE:America/New_York, not the profile's zone, decides the floating race time."""
    assert rows(read("x_wr_timezone.ics", buffer=NO_BUFFER)) == [
        (local(2027, 3, 6, 14), local(2027, 3, 6, 16), "Club race"),  # 09:00 EST
        (local(2027, 3, 20, 23), local(2027, 3, 21, 1), "Awards dinner"),  # given in UTC
    ]


def test_old_thunderbird_vendor_tzid_is_read_without_warnings(
        recwarn: pytest.WarningsRecorder) -> None:
    tzid = "/mozilla.org/20070129_1/Europe/London"
    data = calendar(f"SUMMARY:Old\nDTSTART;TZID={tzid}:20270330T100000\nDURATION:PT1H")
    assert read_text(data) == [(local(2027, 3, 30, 10), local(2027, 3, 30, 11), "Old")]
    assert not recwarn.list


def test_unknown_tzid_without_vtimezone_is_read_as_floating() -> None:
    data = calendar("SUMMARY:Mars\nDTSTART;TZID=Mars/Olympus:20270302T180000\n"
                    "DTEND;TZID=Mars/Olympus:20270302T190000")
    assert read_text(data) == [(local(2027, 3, 2, 18), local(2027, 3, 2, 19), "Mars")]


# --- all-day events ---------------------------------------------------------------------------


def test_all_day_events_block_whole_local_days_without_buffer() -> None:
    data = calendar("SUMMARY:Clocks go forward\nDTSTART;VALUE=DATE:20270328\n"
                    "DTEND;VALUE=DATE:20270329",
                    "SUMMARY:No end given\nDTSTART;VALUE=DATE:20270405")
    assert read_text(data, buffer=timedelta(hours=1)) == [
        (local(2027, 3, 28), local(2027, 3, 29), "Clocks go forward"),
        (local(2027, 4, 5), local(2027, 4, 6), "No end given"),
    ]
    start, end, _ = read_text(data)[0]
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)  # the short day


def test_multi_day_trip_blocks_every_day_it_covers() -> None:
    trips = [b for b in read("google.ics") if b.summary == "Trip to Leeds"]
    assert rows(trips) == [(local(2027, 3, 19), local(2027, 3, 22), "Trip to Leeds")]


# --- buffer and merging -----------------------------------------------------------------------


def test_buffer_is_configurable() -> None:
    no_buffer = read("apple.ics", buffer=NO_BUFFER)
    assert rows(no_buffer)[:4] == [
        (local(2027, 3, 2, 8), local(2027, 3, 2, 8, 45), "Physio"),
        (local(2027, 3, 9, 8), local(2027, 3, 9, 8, 45), "Physio"),
        (local(2027, 3, 16, 11), local(2027, 3, 16, 12), "Lunch with Sam"),
        (local(2027, 3, 16, 12, 30), local(2027, 3, 16, 13, 15), "Physio"),
    ]
    half_hour = read("apple.ics", buffer=timedelta(minutes=30))
    assert rows(half_hour)[0] == (local(2027, 3, 2, 7, 30), local(2027, 3, 2, 9, 15), "Physio")
    assert len(no_buffer) == 8
    assert len(half_hour) == 7


def test_buffer_near_the_clock_change_counts_real_minutes() -> None:
    """02:10 BST on 28 March is ten minutes after the clocks jump; 15 minutes earlier is 00:55 GMT,
    not the 01:55 of wall-clock arithmetic (a time that does not exist)."""
    data = calendar("SUMMARY:Early run\nDTSTART:20270328T011000Z\nDTEND:20270328T013000Z")
    (start, end, _), = read_text(data, buffer=timedelta(minutes=15))
    assert start == datetime(2027, 3, 28, 0, 55, tzinfo=UTC)
    assert end == datetime(2027, 3, 28, 1, 45, tzinfo=UTC)


def test_overlapping_and_touching_intervals_merge_with_distinct_summaries() -> None:
    data = calendar("SUMMARY:Choir\nDTSTART:20270302T180000Z\nDTEND:20270302T190000Z",
                    "SUMMARY:Choir\nDTSTART:20270302T183000Z\nDTEND:20270302T193000Z",
                    "SUMMARY:Dinner\nDTSTART:20270302T193000Z\nDTEND:20270302T203000Z",
                    "DTSTART:20270302T200000Z\nDTEND:20270302T210000Z",
                    "SUMMARY:Later\nDTSTART:20270302T211500Z\nDTEND:20270302T220000Z")
    assert read_text(data) == [
        (local(2027, 3, 2, 18), local(2027, 3, 2, 21), "Choir / Dinner"),
        (local(2027, 3, 2, 21, 15), local(2027, 3, 2, 22), "Later"),
    ]
    assert read_text(data, buffer=timedelta(minutes=10)) == [
        (local(2027, 3, 2, 17, 50), local(2027, 3, 2, 22, 10), "Choir / Dinner / Later"),
    ]


def test_an_event_without_duration_blocks_only_its_buffer() -> None:
    data = calendar("SUMMARY:Reminder\nDTSTART:20270302T090000Z")
    assert read_text(data) == []
    assert read_text(data, buffer=timedelta(minutes=15)) == [
        (local(2027, 3, 2, 8, 45), local(2027, 3, 2, 9, 15), "Reminder")]


# --- the planning range -----------------------------------------------------------------------


def test_only_events_touching_the_range_are_kept_and_none_is_clipped() -> None:
    busy = read("google.ics", first=date(2027, 3, 2), last=date(2027, 3, 2))
    assert rows(busy) == [(local(2027, 3, 2, 8, 45), local(2027, 3, 2, 10, 15), "Dentist")]
    summaries = [b.summary for b in read("google.ics")]
    assert "Parents' evening" not in summaries  # 10 May
    assert "Quiz night" not in summaries  # ends 23:15 with its buffer, on 28 February


def test_an_event_whose_buffer_reaches_into_the_range_is_kept() -> None:
    data = calendar("SUMMARY:Late\nDTSTART:20270228T233000Z\nDTEND:20270228T235500Z")
    assert read_text(data) == []
    assert read_text(data, buffer=timedelta(minutes=15)) == [
        (local(2027, 2, 28, 23, 15), local(2027, 3, 1, 0, 10), "Late")]


def test_a_range_that_ends_before_it_starts_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="first_day <= last_day"):
        read_text(calendar(), first=LAST, last=FIRST)


# --- refusals ---------------------------------------------------------------------------------


def refusal(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        read_busy_file(path, LONDON, FIRST, LAST)
    error = caught.value
    assert error.field == "busy"
    assert error.value == str(path)
    assert named(str(path)) in str(error)
    assert error.__cause__ is None  # no chained library traceback is shown
    assert error.__context__ is None or error.__suppress_context__
    return error


@pytest.mark.parametrize(("name", "accepted"), [
    ("missing.ics", "the file does not exist"),
    ("empty.ics", "the file is empty"),
    ("not_a_calendar.ics", "an iCalendar (.ics) file is expected: no BEGIN:VCALENDAR found"),
])
def test_refuses_files_that_are_not_calendars(name: str, accepted: str) -> None:
    assert refusal(FIXTURES / name).accepted == accepted


def test_refuses_a_folder() -> None:
    assert refusal(FIXTURES).accepted == "give an .ics file, not a folder"


def test_refuses_devices_and_pipes(tmp_path: Path) -> None:
    """Never read without end (/dev/zero) or wait for a writer (a named pipe)."""
    import os

    pipe = tmp_path / "feed.ics"
    os.mkfifo(pipe)
    for path in (Path("/dev/zero"), pipe):
        assert refusal(path).accepted == "a regular .ics file (not a device or a pipe)"


def test_refuses_binary_garbage(tmp_path: Path) -> None:
    image = tmp_path / "photo.ics"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256)))
    assert refusal(image).accepted.startswith("an iCalendar (.ics) file is expected")


def test_refuses_a_calendar_icalendar_cannot_parse() -> None:
    """A download cut off in the middle of an event: no END:VEVENT, no END:VCALENDAR."""
    accepted = refusal(FIXTURES / "broken.ics").accepted
    assert accepted.startswith("a valid iCalendar file is expected (the reader said: Found no ")


def test_a_stray_line_inside_an_event_is_skipped_as_icalendar_does() -> None:
    data = calendar("SUMMARY:Kept\nthis line has no colon\nDTSTART:20270302T100000Z\n"
                    "DTEND:20270302T110000Z")
    assert read_text(data) == [(local(2027, 3, 2, 10), local(2027, 3, 2, 11), "Kept")]
    with pytest.raises(InputError, match="the reader said: Content line could not be parsed"):
        read_text(b"BEGIN:VCALENDAR\r\nthis line has no colon\r\nEND:VCALENDAR\r\n")


@pytest.mark.parametrize("event", [
    "SUMMARY:bad start\nDTSTART:garbage",
    "SUMMARY:no start",
    "SUMMARY:bad rule\nDTSTART:20270301T100000Z\nRRULE:FREQ=SOMETIMES",
])
def test_refuses_events_the_libraries_cannot_expand(event: str) -> None:
    expected = r"^busy: 'test\.ics' is not accepted; a valid iCalendar file is expected \(the"
    with pytest.raises(InputError, match=expected):
        read_text(calendar(event))


def test_refuses_an_unknown_x_wr_timezone() -> None:
    with pytest.raises(InputError, match=r"the reader said: .*Mars/Olympus"):
        read_text(calendar(header="X-WR-TIMEZONE:Mars/Olympus\n"))


def test_refuses_a_big_file_before_reading_it(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.ics"
    with big.open("wb") as handle:
        handle.truncate(MAX_BUSY_BYTES + 1)  # sparse: nothing is written
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read before size check"))
    assert refusal(big).accepted == "files up to 5 MB are read"


def test_refuses_big_downloaded_text() -> None:
    data = calendar() + b" " * MAX_BUSY_BYTES
    with pytest.raises(InputError, match=r"^busy: 'https://example\.org/cal\.ics' .*up to 5 MB"):
        read_busy_text(data, "https://example.org/cal.ics", LONDON, FIRST, LAST)


def test_reads_a_calendar_with_a_byte_order_mark() -> None:
    data = b"\xef\xbb\xbf" + calendar("SUMMARY:Bom\nDTSTART:20270302T100000Z\n"
                                      "DTEND:20270302T110000Z")
    assert read_text(data) == [(local(2027, 3, 2, 10), local(2027, 3, 2, 11), "Bom")]


# --- speed and imports ------------------------------------------------------------------------


def count_expanded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the occurrences the expander hands to the busy reader (the reader's work per event:
    a copy, a span), in a one-element list that the reads below fill in."""
    import recurring_ical_events

    counted = [0]
    expand = recurring_ical_events.of

    def counting_of(*args: object, **kwargs: object) -> object:
        query = expand(*args, **kwargs)
        after, between = query.after, query.between

        def counting_after(start: datetime) -> Iterator[object]:
            for occurrence in after(start):
                counted[0] += 1
                yield occurrence

        def counting_between(start: datetime, end: datetime) -> list[object]:
            found: list[object] = between(start, end)
            counted[0] += len(found)
            return found

        query.after, query.between = counting_after, counting_between
        return query

    monkeypatch.setattr(recurring_ical_events, "of", counting_of)
    return counted


def test_a_long_daily_rule_and_hundreds_of_events_are_read_only_in_range(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Years of history are not copied out: the work is bounded by what falls in the plan's
    range (plus the one occurrence that shows the range has ended), counted, not timed."""
    singles = [f"SUMMARY:Single {n}\nDTSTART:{(date(2020, 1, 1) + timedelta(days=13 * n)):%Y%m%d}"
               "T120000Z\nDURATION:PT1H" for n in range(400)]  # about 14 years, one each 13 days
    data = calendar("SUMMARY:Commute\nDTSTART;TZID=Europe/London:20200101T080000\n"
                    "DTEND;TZID=Europe/London:20200101T090000\nRRULE:FREQ=DAILY",
                    *singles)
    path = tmp_path / "years.ics"
    path.write_bytes(data)
    counted = count_expanded(monkeypatch)
    busy = read_busy_file(path, LONDON, FIRST, LAST)
    assert sum(b.summary == "Commute" for b in busy) == 56
    in_range = [n for n in range(400) if FIRST <= date(2020, 1, 1) + timedelta(days=13 * n) <= LAST]
    assert sum(b.summary.startswith("Single") for b in busy) == len(in_range) == 4
    assert counted[0] <= 56 + 4 + 2, counted      # not the ~2,500 days since 2020


def test_importing_the_module_does_not_load_the_calendar_libraries() -> None:
    heavy = "{'icalendar', 'recurring_ical_events', 'x_wr_timezone'}"
    code = f"import sys, planner.calendars.busy; print(sorted({heavy} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).parent.parent)
    assert result.stdout.strip() == "[]"
