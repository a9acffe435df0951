"""Hostile and odd text in the calendar: exercise names, cues, the safety note and the calendar
name holding commas, semicolons, backslashes, colons, newlines, emoji, would-be iCalendar lines
and thousands of characters are escaped and folded by the calendar library. Written, then read
back with two parsers (icalendar and the stricter ``ical``): the same text, the same events and
properties, lines of at most 75 octets ending in CRLF. Nothing a profile says adds a property or
an event."""

from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path
from typing import Any

import icalendar
import pytest
from click.testing import CliRunner
from factories import HOSTILE_TEXT, build, make_profile, profile_toml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream

import cli
from catalog import default_catalog
from planner.calendars.export.ics import description, plan_calendar
from planner.store.plan import Plan, Session
from planner.store.profile import CONTROL_CHARACTERS

SPECIALS = [",", ";", "\\", ":", "\n", "\r\n", "\\n", "\\,", "\\;", "\\\\", '"', "'",
            "END:VEVENT\r\nBEGIN:VEVENT", "\r\nEND:VCALENDAR\r\n", "\nX-INJECTED:1\n",
            "\nDESCRIPTION;LANGUAGE=en:x", "BEGIN:VALARM", " ", "\u00a0", "\u2028", "\u2029",
            "\ufeff", "\u200d", "😀", "👩‍👩‍👧", "🇬🇧", "é", "ß", "中文", "עברית", "<b>&amp;</b>"]
CHARS = st.characters(exclude_categories=("Cs", "Cc"))      # no surrogates, no control chars
FRAGMENT = st.one_of(st.text(CHARS, max_size=40), st.sampled_from(SPECIALS))


def _cap(text: str) -> str:
    return text[:2000].removesuffix("\r")     # a cut must not leave half of a CRLF


HOSTILE = st.one_of(
    st.lists(FRAGMENT, max_size=60).map("".join),
    st.text(CHARS, min_size=1000, max_size=2000),
    st.lists(st.sampled_from(SPECIALS), min_size=100, max_size=400).map("".join),
).map(_cap)


def plain(text: str) -> str:
    """Text as a reader gets it back: iCalendar has one line break, written \\n. icalendar (7.3)
    writes a backslash followed by a capital N as that escape (step 1 of its documented
    ``escape_char``), so every reader gets a line break there: lossy, never an injection."""
    return text.replace("\r\n", "\n").replace("\\N", "\n")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build(make_profile())


@pytest.fixture(scope="module")
def baseline(plan: Plan) -> tuple[list[list[str]], list[str], list[str]]:
    """The shape of the untouched plan's calendar: each event's property names, the calendar's
    property names and every component's name, in order."""
    calendar = icalendar.Calendar.from_ical(plan_calendar(plan, default_catalog().safety_note))
    return ([sorted(e.keys()) for e in calendar.walk("VEVENT")], sorted(calendar.keys()),
            [str(c.name) for c in calendar.walk()])


def _hostile_session(session: Session, names: list[str], cues: list[str]) -> Session:
    doses = list(session.exercises)
    for i, (name, cue) in enumerate(zip(names, cues, strict=False)):
        if i < len(doses):
            doses[i] = dataclasses.replace(doses[i], name=name, cue=cue)
    return dataclasses.replace(session, exercises=tuple(doses))


def check_lines(data: bytes) -> None:
    """CRLF everywhere (no bare CR or LF), and no line longer than 75 octets."""
    lines = data.split(b"\r\n")
    assert lines[-1] == b"", "the file does not end with CRLF"
    for line in lines:
        assert b"\r" not in line and b"\n" not in line, line[:120]
        assert len(line) <= 75, (len(line), line[:120])


_TEXT_ESCAPE = re.compile(r"\\([\\;,nN])")


def calendar_name(component: Any) -> str:
    """X-WR-CALNAME as TEXT (RFC 7986 NAME). icalendar reads it as an unknown property, still
    escaped; it is unescaped here in one pass, as RFC 5545 section 3.3.11 says."""
    raw = str(component["X-WR-CALNAME"])
    return _TEXT_ESCAPE.sub(lambda m: "\n" if m[1] in "nN" else m[1], raw)


def check_shape(data: bytes, plan: Plan, safety: str,
                baseline: tuple[list[list[str]], list[str], list[str]]) -> None:
    """Both parsers read the same events, properties and text as were written."""
    check_lines(data)
    from planner.calendars.export.check_text import check_description

    expected = {s.uid: plain(description(s, safety)) for s in plan.sessions}
    expected |= {c.uid: plain(check_description(c, None)) for c in plan.checks}
    name = plain(plan.calendar_name)

    calendar = icalendar.Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert [str(c.name) for c in calendar.walk()] == baseline[2], "a component was added or lost"
    assert sorted(calendar.keys()) == baseline[1], "a calendar property was added or lost"
    assert [sorted(e.keys()) for e in events] == baseline[0], "an event property was added"
    assert calendar_name(calendar) == name
    assert calendar_name({"X-WR-CALNAME": calendar["NAME"]}) == name
    assert {str(e["UID"]): str(e["DESCRIPTION"]) for e in events} == expected

    strict = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    assert strict.name == [name]
    assert len(strict.events) == len(plan.sessions) + len(plan.checks)
    assert {e.uid: e.description for e in strict.events} == expected
    assert {tuple(x.name for x in e.extras) for e in strict.events} == {("x-periodize-plan",)}
    assert sorted(x.name for x in strict.extras) == ["x-wr-calname"]


@HOSTILE_TEXT
@given(name=HOSTILE, names=st.lists(HOSTILE, min_size=1, max_size=3),
       cues=st.lists(HOSTILE, min_size=1, max_size=3), safety=HOSTILE)
@example(name="Sam\r\nEND:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:evil\r\nEND:VEVENT",
         names=["Step-down, slow; 3\\4", "a" * 2000], cues=["😀" * 700, "x\n\n\ny"],
         safety="Stop if it hurts:\r\nsharp pain, swelling; giving way.")
@example(name="", names=["\\n"], cues=["\\"], safety="\u2028DESCRIPTION:x\u2029")
@pytest.mark.slow
def test_hostile_text_round_trips_through_two_parsers(
        plan: Plan, baseline: tuple[list[list[str]], list[str], list[str]], name: str,
        names: list[str], cues: list[str], safety: str) -> None:
    sessions = list(plan.sessions)
    for i in (0, 1, len(sessions) - 1):
        sessions[i] = _hostile_session(sessions[i], names, cues)
    hostile = dataclasses.replace(plan, name=name, sessions=tuple(sessions))
    check_shape(plan_calendar(hostile, safety), hostile, safety, baseline)


# --- through the command line -----------------------------------------------------------------


@pytest.fixture(scope="module")
def generated_shape(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    """Calendar property names and component names of a plain one-week generate."""
    folder = tmp_path_factory.mktemp("plain")
    data = _generate(folder, "Plain name")
    calendar = icalendar.Calendar.from_ical(data)
    return sorted(calendar.keys()), [str(c.name) for c in calendar.walk()]


def _generate(folder: Path, name: str) -> bytes:
    profile = folder / "profile.toml"
    profile.write_text(profile_toml(name=name, weeks=1), encoding="utf-8")
    out = folder / "plan.ics"
    result = CliRunner().invoke(cli.main, ["--db", str(folder / "store.db"), "generate",
                                           str(profile), "-o", str(out)])
    assert result.exit_code == 0, (result.output, result.exception)
    return out.read_bytes()


@settings(HOSTILE_TEXT, max_examples=12)
@given(name=HOSTILE)
@example(name="Sam\nEND:VCALENDAR\nBEGIN:VCALENDAR\nX-WR-CALNAME:evil")
@example(name="Sam, \\the; runner: 🏃 END:VCALENDAR X-EVIL:1 \\n")
def test_a_hostile_profile_name_round_trips_through_generate(
        generated_shape: tuple[list[str], list[str]], name: str) -> None:
    """A name with a control character (a line break, a line separator) is refused when the
    profile is read (issue 11); any other text round-trips, escaped by the library."""
    if CONTROL_CHARACTERS.search(name.strip()):
        with tempfile.TemporaryDirectory() as folder:
            profile = Path(folder) / "profile.toml"
            profile.write_text(profile_toml(name=name, weeks=1), encoding="utf-8")
            result = CliRunner().invoke(cli.main, ["--db", str(Path(folder) / "s.db"),
                                                   "generate", str(profile)])
        assert result.exit_code == 2 and result.stderr.startswith("Error: name: ")
        assert "text without control characters" in result.stderr
        assert len(result.stderr.splitlines()) == 1
        return
    with tempfile.TemporaryDirectory() as folder:
        data = _generate(Path(folder), name)
    check_lines(data)
    expected = plain(f"periodize · {name.strip() or 'athlete'}")
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar_name(calendar) == expected
    assert (sorted(calendar.keys()), [str(c.name) for c in calendar.walk()]) == generated_shape
    strict = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    assert strict.name == [expected]
    assert len(strict.events) == len(calendar.walk("VEVENT")) > 0
