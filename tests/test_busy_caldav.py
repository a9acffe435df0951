"""Busy time read from a CalDAV calendar (``[[busy_caldav]]``): a real Radicale server holds the
user's events, and the plan keeps clear of them - checked against the events' own times."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from factories import NOW, make_profile, profile_data, write_profile
from icalendar import Calendar, Event
from radicale_fixture import free_port, open_calendar

from planner import commands
from planner.calendars.busy_sources import read_busy
from planner.errors import InputError, RemoteError
from planner.store.plan import Plan
from planner.store.profile import CalDavSource, profile_from_dict

LONDON = ZoneInfo("Europe/London")
START = dt.date(2027, 1, 4)               # a Monday; the plan runs 8 weeks
BUFFER = dt.timedelta(minutes=15)         # the profile's default busy_buffer_minutes
EVENINGS = {**{d: ["17:00-21:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            "sat": ["08:00-13:00"]}
SECRET = "hunter2-secret"

pytestmark = pytest.mark.caldav


def _event(uid: str, summary: str, start: dt.date | dt.datetime, end: dt.date | dt.datetime,
           rrule: dict[str, Any] | None = None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//periodize tests//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", NOW)
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", end)
    if rrule:
        event.add("rrule", rrule)
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def _monday_evenings() -> list[tuple[dt.datetime, dt.datetime]]:
    """The weekly event's occurrences, counted by hand: every Monday 17:30-19:30 London."""
    return [(dt.datetime.combine(START + dt.timedelta(weeks=w), dt.time(17, 30), LONDON),
             dt.datetime.combine(START + dt.timedelta(weeks=w), dt.time(19, 30), LONDON))
            for w in range(8)]


# (start, end) each event blocks, buffer included for timed events; all-day = whole local day.
ALL_DAY = dt.date(2027, 1, 16)                                # a Saturday
BLOCKED = [
    *((s - BUFFER, e + BUFFER) for s, e in _monday_evenings()),
    (dt.datetime.combine(ALL_DAY, dt.time(), LONDON),
     dt.datetime.combine(ALL_DAY + dt.timedelta(days=1), dt.time(), LONDON)),
    (dt.datetime(2027, 1, 13, 17, 0, tzinfo=dt.UTC) - BUFFER,       # Wednesday, in UTC
     dt.datetime(2027, 1, 13, 21, 0, tzinfo=dt.UTC) + BUFFER),
    (dt.datetime(2027, 2, 5, 16, 30, tzinfo=LONDON) - BUFFER,       # a Friday
     dt.datetime(2027, 2, 5, 20, 0, tzinfo=LONDON) + BUFFER),
]


@pytest.fixture
def busy_calendar(radicale_url: str, caldav_calendar_name: str) -> str:
    """A calendar holding a weekly evening event, an all-day event and two one-off events."""
    calendar = open_calendar(radicale_url, caldav_calendar_name, create=True)
    first_monday = dt.datetime.combine(START, dt.time(17, 30), LONDON)
    calendar.add_event(_event("weekly@test", "Choir", first_monday,
                              first_monday + dt.timedelta(hours=2),
                              {"freq": "weekly", "count": 20}))
    calendar.add_event(_event("allday@test", "Wedding", ALL_DAY,
                              ALL_DAY + dt.timedelta(days=1)))
    calendar.add_event(_event("utc@test", "Late meeting",
                              dt.datetime(2027, 1, 13, 17, 0, tzinfo=dt.UTC),
                              dt.datetime(2027, 1, 13, 21, 0, tzinfo=dt.UTC)))
    calendar.add_event(_event("friday@test", "Dinner",
                              dt.datetime(2027, 2, 5, 16, 30, tzinfo=LONDON),
                              dt.datetime(2027, 2, 5, 20, 0, tzinfo=LONDON)))
    return caldav_calendar_name


def _profile(tmp_path: Path, *sources: dict[str, str]) -> Path:
    """A profile file with evening windows, minimums of 0 and the given [[busy_caldav]] tables."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_profile(tmp_path, availability=EVENINGS,
                         plyometrics={"sessions_per_week": [0, 3]},
                         strength={"sessions_per_week": [0, 3]})
    tables = "".join(f'\n[[busy_caldav]]\nurl = "{s["url"]}"\nuser = "{s["user"]}"\n'
                     f'calendar = "{s["calendar"]}"\n' for s in sources)
    path.write_text(path.read_text(encoding="utf-8") + tables, encoding="utf-8")
    return path


def _generate(tmp_path: Path, *sources: dict[str, str]) -> Plan:
    return commands.generate(_profile(tmp_path, *sources), tmp_path / "plan.db", None, NOW).plan


def test_plan_keeps_clear_of_the_calendars_events(tmp_path: Path, radicale_url: str,
                                                 busy_calendar: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERIODIZE_CALDAV_PASSWORD", "x")
    source = {"url": radicale_url, "user": "athlete", "calendar": busy_calendar}
    busy = _generate(tmp_path / "busy", source)
    free = _generate(tmp_path / "free")
    clashes = [(f"{s.start:%a %d %b %H:%M}", f"{start:%a %d %b %H:%M}") for s in busy.sessions
               for start, end in BLOCKED if s.start < end and start < s.end]
    assert clashes == []
    assert [s for s in free.sessions for start, end in BLOCKED
            if s.start < end and start < s.end], "the events must block times a plan would use"
    assert [s.start for s in busy.sessions] != [s.start for s in free.sessions]
    assert not [s for s in busy.sessions if s.start.astimezone(LONDON).date() == ALL_DAY]


def test_read_busy_reads_every_occurrence(radicale_url: str, busy_calendar: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERIODIZE_CALDAV_PASSWORD", "x")
    profile = make_profile(busy_caldav=[{"url": radicale_url, "user": "athlete",
                                         "calendar": busy_calendar}])
    intervals = read_busy(profile)
    assert sorted((i.start, i.end) for i in intervals) == sorted(BLOCKED)
    assert intervals == sorted(intervals, key=lambda i: (i.start, i.end))
    assert {i.summary for i in intervals} == {"Choir", "Wedding", "Late meeting", "Dinner"}


def test_a_missing_calendar_is_a_remote_error(tmp_path: Path, radicale_url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERIODIZE_CALDAV_PASSWORD", "x")
    with pytest.raises(RemoteError, match="no calendar named 'Nowhere'") as caught:
        _generate(tmp_path, {"url": radicale_url, "user": "athlete", "calendar": "Nowhere"})
    assert caught.value.exit_code == 3 and "\n" not in str(caught.value)


def test_no_password_in_the_environment_is_an_input_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERIODIZE_CALDAV_PASSWORD", raising=False)
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(InputError, match="PERIODIZE_CALDAV_PASSWORD") as caught:
        _generate(tmp_path, {"url": url, "user": "sam", "calendar": "Work"})
    assert caught.value.field == "busy_caldav"


def test_server_down_is_a_remote_error_without_the_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERIODIZE_CALDAV_PASSWORD", SECRET)
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(RemoteError) as caught:
        _generate(tmp_path, {"url": url, "user": "sam", "calendar": "Work"})
    message = str(caught.value)
    assert url.rstrip("/") in message and SECRET not in message and "\n" not in message
    assert not (tmp_path / "plan.db").exists(), "nothing stored when busy time cannot be read"


SOURCE = {"url": "https://dav.example.com/dav/", "user": "sam", "calendar": "Work"}


@pytest.mark.parametrize(("value", "field", "words"), [
    ([{**SOURCE, "calender": "Work"}], "busy_caldav[0].calender", "did you mean 'calendar'"),
    ([{"url": SOURCE["url"], "user": "sam"}], "busy_caldav[0].calendar", "required"),
    ([{**SOURCE, "url": "ftp://dav.example.com/"}], "busy_caldav[0].url", "http"),
    ([{**SOURCE, "url": "dav.example.com"}], "busy_caldav[0].url", "http"),
    ([{**SOURCE, "calendar": "  "}], "busy_caldav[0].calendar", "display name"),
    ([SOURCE["url"]], "busy_caldav[0]", "[[busy_caldav]]"),
    (SOURCE, "busy_caldav", "a list"),
])
def test_busy_caldav_is_read_strictly(value: Any, field: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        make_profile(busy_caldav=value)
    assert caught.value.field == field and words in str(caught.value)


def test_an_unknown_top_level_key_suggests_busy_caldav() -> None:
    with pytest.raises(InputError, match="did you mean 'busy_caldav'"):
        make_profile(busy_calDAV=[SOURCE])


def test_profile_round_trips_with_caldav_sources() -> None:
    profile = make_profile(busy_caldav=[SOURCE, {**SOURCE, "calendar": "Family"}])
    assert profile.busy_caldav == (CalDavSource(**SOURCE),
                                   CalDavSource(SOURCE["url"], "sam", "Family"))
    assert profile_from_dict(profile.to_dict()) == profile
    plain = make_profile()
    assert "busy_caldav" not in plain.to_dict()            # stored older profiles stay equal
    assert profile_from_dict(plain.to_dict()) == plain
    assert profile_from_dict(profile_data(busy_caldav=[])).busy_caldav == ()
