"""Fuzzing, bounded in time: whatever the profile loader or the busy-calendar reader is given, it
ends in a result or a clean InputError, never another exception. Profiles that load (one or two
weeks long) are solved too: a plan or NoPlanPossible.

Inputs: TOML-shaped data (the known keys with values of every TOML type, plus unknown keys),
TOML text (the test profile mutated line by line, and random text), random bytes, and the busy
fixtures with lines deleted, duplicated, swapped or corrupted."""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from factories import FUZZ, ROOT, build, profile_toml
from hypothesis import assume, event, example, given, settings
from hypothesis import strategies as st

from planner.calendars.busy import read_busy_text
from planner.errors import InputError, NoPlanPossible
from planner.store.plan import Plan
from planner.store.profile import Profile, profile_from_dict
from planner.store.strict_toml import read_toml

BUSY_FIXTURES = ROOT / "tests" / "fixtures" / "busy"
LONDON = ZoneInfo("Europe/London")
FIRST, LAST = dt.date(2027, 3, 1), dt.date(2027, 4, 25)
TOP_KEYS = ["name", "timezone", "start", "weeks", "level", "rest_days", "busy",
            "busy_buffer_minutes", "warmup", "availability", "plyometrics", "strength"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "Monday", "SUNDAY", "funday", ""]
ZONES = ["Europe/London", "UTC", "America/New_York", "Australia/Lord_Howe", "America/Santiago",
         "Pacific/Chatham", "Asia/Kathmandu", "Europe", "Etc/GMT+14", "posixrules", "",
         "../etc/passwd", "Europe/London\x00"]

# --- TOML-shaped values -----------------------------------------------------------------------

SCALARS = st.one_of(
    st.text(max_size=20), st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(), st.booleans(), st.dates(), st.datetimes(),
    st.datetimes(timezones=st.sampled_from([dt.UTC, LONDON])), st.times(),
    st.sampled_from([*ZONES, *DAYS, "18:00-20:00", "2027-01-04", "beginner", "work.ics"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8) | st.sampled_from(DAYS), inner,
                                        max_size=4), max_leaves=12)


@st.composite
def odd_windows(draw: st.DrawFn) -> str:
    """A window that may be odd: '7:05-25:00', '18:00 - 18:14', '24:00-24:00', '9:00to10:00'."""
    h1, h2 = draw(st.integers(0, 25)), draw(st.integers(0, 25))
    m1, m2 = draw(st.sampled_from([0, 5, 14, 15, 30, 45, 59, 60])), draw(st.sampled_from(
        [0, 15, 30, 45, 60]))
    sep = draw(st.sampled_from(["-", " - ", "–", "to"]))
    return f"{h1}:{m1:02d}{sep}{h2:02d}:{m2:02d}"


@st.composite
def good_windows(draw: st.DrawFn) -> str:
    start = draw(st.integers(0, 46)) * 30
    end = draw(st.integers(start + 60, min(start + 240, 1440)))  # shorter ones are refused
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def mostly(good: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` nine times in ten, else ``odd``."""
    # Not on 0 or 9: hypothesis draws the ends of a range more often than the middle.
    return st.integers(0, 9).flatmap(lambda n: odd if n == 5 else good)


WINDOWS = mostly(good_windows(), odd_windows())
WEEKDAY = mostly(st.sampled_from(DAYS[:7]), st.sampled_from(DAYS))
SESSIONS = st.fixed_dictionaries({"sessions_per_week": mostly(
    st.lists(st.integers(0, 3), min_size=2, max_size=2).map(sorted),
    st.lists(st.integers(-1, 4), max_size=3))})


@st.composite
def profile_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """Near-valid profiles: each key mostly plausible, sometimes odd, sometimes any TOML value,
    sometimes left out; now and then an unknown key."""
    candidates: dict[str, st.SearchStrategy[Any]] = {
        "name": st.text(max_size=30),
        "timezone": mostly(st.sampled_from(ZONES[:7]), st.sampled_from(ZONES)),
        "start": mostly(st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31)),
                        st.dates().map(dt.date.isoformat) | st.text(max_size=12)),
        "weeks": mostly(st.integers(1, 2), st.integers(-1, 60)),
        "level": mostly(st.sampled_from(["beginner", "intermediate", "advanced"]),
                        st.sampled_from(["Beginner", "pro", ""])),
        "rest_days": st.lists(WEEKDAY, max_size=3),
        "busy": mostly(st.just([]), st.lists(st.sampled_from(["work.ics", "", " ", "a\x00b"]),
                                             max_size=2)),
        "busy_buffer_minutes": mostly(st.integers(0, 240), st.integers(-5, 300)),
        "warmup": st.booleans(),
        "availability": st.dictionaries(WEEKDAY, mostly(st.lists(WINDOWS, max_size=2),
                                                        WINDOWS), min_size=2, max_size=7),
        "plyometrics": SESSIONS,
        "strength": SESSIONS,
    }
    raw: dict[str, Any] = {}
    for key, plausible in candidates.items():
        chance = draw(st.integers(0, 39))
        if chance == 17 and key not in ("timezone", "availability"):
            continue                                          # left out
        raw[key] = draw(VALUES) if chance == 23 else draw(plausible)
    if draw(st.integers(0, 9)) == 5:
        raw[draw(st.text(min_size=1, max_size=12))] = draw(VALUES)
    return raw


def load(raw: dict[str, Any]) -> Profile | None:
    """The profile, or None for a clean refusal; any other exception fails the test."""
    try:
        return profile_from_dict(raw)
    except InputError as error:
        assert "\n" not in str(error) and " is not accepted; " in str(error)
        event("refused")
        return None


def solve_if_short(profile: Profile | None) -> None:
    if profile is None or profile.weeks > 2:
        return
    try:
        plan = build(profile)
    except NoPlanPossible as error:
        assert str(error)
        event("no plan possible")
        return
    assert isinstance(plan, Plan) and plan.weeks == profile.weeks
    event("a plan")


@FUZZ
@given(raw=st.dictionaries(st.sampled_from(TOP_KEYS) | st.text(max_size=12), VALUES,
                           max_size=14))
@pytest.mark.slow
def test_any_toml_shaped_data_loads_or_is_refused(raw: dict[str, Any]) -> None:
    load(raw)


@settings(FUZZ, max_examples=120)
@given(raw=profile_dicts())
@example(raw={"timezone": "Europe", "availability": {"mon": ["18:00-20:00"]}})
@example(raw={"timezone": "A" * 300, "availability": {}})
@example(raw={"timezone": "UTC", "start": dt.date(2027, 1, 4), "availability": {}, "busy": [1]})
@example(raw={"timezone": "Australia/Lord_Howe", "start": dt.date(2027, 4, 1), "weeks": 2,
              "availability": {d: ["00:00-24:00"] for d in DAYS[:7]}})
@example(raw={"timezone": "America/Santiago", "start": dt.date(2027, 4, 1), "weeks": 2,
              "availability": {"sat": ["23:00-24:00"], "sun": ["00:00-01:00"]}})
@pytest.mark.slow
def test_near_valid_profiles_load_and_solve_or_are_refused(raw: dict[str, Any]) -> None:
    solve_if_short(load(raw))


# --- TOML text --------------------------------------------------------------------------------

BASE_LINES = profile_toml(weeks=2).splitlines()
NOISE = ["=", "[", "]", "[[availability]]", '"', "'''", "\\", "#", "\t", "\x00", "\x7f", "é",
         "\ufeff", "inf", "nan", "1979-05-27T07:32:00Z", "0x1F", "{a = 1}", "weeks", ","]


AnyStr = TypeVar("AnyStr", str, bytes)


def mutate(draw: st.DrawFn, lines: list[AnyStr], edits: int, noise: st.SearchStrategy[AnyStr],
           truncate: bool = False) -> list[AnyStr]:
    """``lines`` with up to ``edits`` lines deleted, duplicated, swapped, corrupted with
    ``noise``, inserted from it, or (``truncate``) the file cut short. Never empty."""
    empty = lines[0][:0]                   # "" or b"", whichever the lines are
    lines = list(lines)
    ops = ["delete", "duplicate", "swap", "corrupt", "insert"] + (["truncate"] if truncate else [])
    for _ in range(edits):
        at = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(ops))
        if op == "delete":
            del lines[at]
        elif op == "duplicate":
            lines.insert(at, lines[at])
        elif op == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif op == "corrupt":
            cut = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:cut] + draw(noise) + lines[at][cut + draw(st.integers(0, 4)):]
        elif op == "insert":
            lines.insert(at, draw(noise))
        else:
            lines = lines[:at]
        if not lines:
            lines = [empty]
    return lines


@st.composite
def mutated_profiles(draw: st.DrawFn) -> str:
    """The two-week test profile with a few lines deleted, duplicated, swapped or corrupted."""
    noise = st.sampled_from(NOISE) | st.text(max_size=5)
    return "\n".join(mutate(draw, BASE_LINES, draw(st.integers(1, 4)), noise)) + "\n"


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def load_text(folder: Path, text: str | bytes) -> Profile | None:
    path = folder / "profile.toml"
    if isinstance(text, str):
        try:
            path.write_text(text, encoding="utf-8")
        except UnicodeEncodeError:
            assume(False)
    else:
        path.write_bytes(text)
    try:
        return profile_from_dict(read_toml(path, "profile"), folder)
    except InputError as error:
        assert "\n" not in str(error)
        event("refused")
        return None


@settings(FUZZ, max_examples=120)
@given(text=mutated_profiles())
def test_mutated_profile_text_loads_and_solves_or_is_refused(scratch: Path, text: str) -> None:
    solve_if_short(load_text(scratch, text))


@settings(FUZZ, max_examples=80)
@given(text=st.text(max_size=300) | st.binary(max_size=300))
def test_random_text_as_a_profile_is_refused_cleanly(scratch: Path, text: str | bytes) -> None:
    load_text(scratch, text)


# --- busy calendars ---------------------------------------------------------------------------

CALENDARS = {p.name: p.read_bytes() for p in sorted(BUSY_FIXTURES.glob("*.ics"))
             if p.stat().st_size}
ICS_NOISE = [b"BEGIN:VEVENT", b"END:VEVENT", b"END:VCALENDAR", b"BEGIN:VTIMEZONE",
             b"DTSTART:20270302T100000Z", b"DTEND:20270301T100000Z", b"DTSTART;VALUE=DATE:2027",
             b"RRULE:FREQ=DAILY;COUNT=-1", b"RRULE:FREQ=WEEKLY;UNTIL=19700101",
             b"EXDATE:garbage", b"TZID=Mars/Olympus", b"DURATION:-P1D", b"DURATION:P99999W",
             b"RECURRENCE-ID:20270303T100000Z", b"STATUS:CANCELLED", b"X-WR-TIMEZONE:Nowhere",
             b" folded", b":", b";", b"\xff\xfe", b"\x00", b"\r", b"\xef\xbb\xbf"]


def read_busy(data: bytes) -> None:
    try:
        intervals = read_busy_text(data, "fuzz.ics", LONDON, FIRST, LAST)
    except InputError as error:
        assert error.field == "busy" and "\n" not in str(error)
        return
    assert isinstance(intervals, list)
    for a, b in itertools.pairwise(intervals):
        assert a.end < b.start                        # sorted, merged, disjoint


@st.composite
def mutated_calendars(draw: st.DrawFn) -> bytes:
    data = CALENDARS[draw(st.sampled_from(sorted(CALENDARS)))]
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    noise = st.sampled_from(ICS_NOISE) | st.binary(max_size=4)
    lines = mutate(draw, lines, draw(st.integers(1, 6)), noise, truncate=True)
    return draw(st.sampled_from([b"\r\n", b"\n"])).join(lines)


@settings(FUZZ, max_examples=150)
@given(data=mutated_calendars())
@pytest.mark.slow
def test_mutated_calendars_read_or_are_refused(data: bytes) -> None:
    read_busy(data)


@settings(FUZZ, max_examples=80)
@given(data=st.binary(max_size=400) | st.binary(max_size=400).map(
    lambda tail: b"BEGIN:VCALENDAR\r\n" + tail))
def test_random_bytes_as_a_calendar_are_refused_cleanly(data: bytes) -> None:
    read_busy(data)


RULE_EVERY_SECOND = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:1\r\n"
                     b"DTSTAMP:20270101T000000Z\r\nDTSTART:20270101T000000Z\r\n"
                     b"DTEND:20270101T000001Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n"
                     b"END:VCALENDAR\r\n")


def test_a_rule_that_repeats_every_second_is_refused_after_bounded_work(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """86,400 occurrences in one day: refused before anything is expanded (counted)."""
    from test_busy import count_expanded

    counted = count_expanded(monkeypatch)
    with pytest.raises(InputError, match=r"^busy: 'x\.ics' .*every 15 minutes or less often"):
        read_busy_text(RULE_EVERY_SECOND, "x.ics", LONDON, dt.date(2027, 1, 4),
                       dt.date(2027, 1, 4))
    assert counted[0] == 0, counted
