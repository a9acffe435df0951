"""The exported plan, read back: iCalendar with icalendar and with the stricter ``ical`` package,
the JSON contract with exact values, CSV with pandas, and a golden file of the example plan.

The golden file ``tests/fixtures/golden/example.ics`` was generated once from
``examples/athlete.toml`` with a store in a temporary folder and ``now`` = factories.NOW; after an
intended change to the plan, regenerate it with ``.venv/bin/python tests/test_ics.py`` and review
the diff. Tests never write it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from factories import EXAMPLE, NOW, ROOT
from icalendar import Calendar, Event

from catalog import default_catalog
from planner import commands

GOLDEN = ROOT / "tests" / "fixtures" / "golden" / "example.ics"
LONDON = ZoneInfo("Europe/London")
CATEGORY = {"strength": "Strength", "plyometrics": "Plyometrics", "stretching": "Stretching"}
EventKey = tuple[str, str, str, str, int]


@dataclass(frozen=True)
class Export:
    ics: bytes
    plan: dict[str, Any]          # the JSON export, parsed
    csv: str
    db: Path


def generate(folder: Path, profile: Path = EXAMPLE, now: dt.datetime = NOW) -> Export:
    """Generate the plan into ``folder`` (store and calendar) and export it in every format."""
    folder.mkdir(parents=True, exist_ok=True)
    db, out = folder / "store.db", folder / "plan.ics"
    commands.generate(profile, db, out, now)
    return Export(ics=out.read_bytes(), plan=json.loads(commands.export(db, None, "json")),
                  csv=commands.export(db, None, "csv").decode(), db=db)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Export:
    return generate(tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="module")
def calendar(example: Export) -> Calendar:
    return Calendar.from_ical(example.ics)


@pytest.fixture
def golden_ics() -> bytes:
    """The committed golden calendar of the example profile (never written by tests)."""
    assert GOLDEN.exists(), f"{GOLDEN} is missing: run `.venv/bin/python tests/test_ics.py`"
    return GOLDEN.read_bytes()


def prop(component: Any, name: str) -> Any:
    """A property as icalendar parsed it (``.dt``, ``.params``, ``.cats`` ...), untyped."""
    return component[name]


def events_by_uid(cal: Calendar) -> dict[str, Event]:
    return {str(prop(e, "UID")): e for e in cal.events}


def session_events(cal: Calendar, export: Export) -> list[Event]:
    """The events of sessions: all but the checks (baseline tests, PSFS check-ins)."""
    checks = {c["uid"] for c in export.plan["checks"]}
    return [e for e in cal.events if str(prop(e, "UID")) not in checks]


def event_keys(cal: Calendar) -> set[EventKey]:
    """(UID, DTSTART, DTEND, SUMMARY, SEQUENCE) of every event; times with their TZID."""
    def when(e: Event, name: str) -> str:
        value = prop(e, name)
        return f"{value.params.get('TZID', '')}:{value.dt.isoformat()}"

    return {(str(prop(e, "UID")), when(e, "DTSTART"), when(e, "DTEND"), str(prop(e, "SUMMARY")),
             int(prop(e, "SEQUENCE"))) for e in cal.events}


def timezone_ids(cal: Calendar) -> set[str]:
    return {str(prop(tz, "TZID")) for tz in cal.timezones}


def dose_text(exercise: dict[str, Any]) -> str:
    """How a dose reads in the description, e.g. '2 × 30 s each side', '6 × 10', '5 min'."""
    if exercise["reps"] is None and exercise["sets"] == 1 and exercise["hold_seconds"] >= 120:
        return f"{exercise['hold_seconds'] // 60} min"
    amount = (f"{exercise['reps']}" if exercise["reps"] is not None
              else f"{exercise['hold_seconds']} s")
    return f"{exercise['sets']} × {amount}" + (" each side" if exercise["per_side"] else "")


# --- the file itself --------------------------------------------------------------------------


@pytest.mark.smoke
def test_every_line_ends_with_crlf_and_fits_75_octets(example: Export) -> None:
    data = example.ics
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n") == data.count(b"\r")
    lines = data.split(b"\r\n")[:-1]
    assert lines and max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines), "long descriptions should be folded"


@pytest.mark.smoke
def test_calendar_header(example: Export, calendar: Calendar) -> None:
    assert str(prop(calendar, "METHOD")) == "PUBLISH"
    assert str(prop(calendar, "VERSION")) == "2.0"
    assert str(prop(calendar, "X-WR-CALNAME")) == example.plan["plan"]["calendar_name"]
    assert str(prop(calendar, "X-WR-CALNAME")) == "periodize · Sam"     # no revision: stable
    assert "PRODID" in calendar


def test_no_rrule_no_valarm(example: Export, calendar: Calendar) -> None:
    assert b"RRULE" not in example.ics and b"VALARM" not in example.ics
    assert not calendar.walk("VALARM")
    assert all("RRULE" not in e and not e.rrules for e in calendar.events)


def test_every_tzid_has_a_vtimezone(example: Export, calendar: Calendar) -> None:
    assert calendar.get_missing_tzids() == set()
    timed = [e for e in calendar.events if isinstance(prop(e, "DTSTART").dt, dt.datetime)]
    assert len(timed) == len(calendar.events) - len(
        [c for c in example.plan["checks"] if c["type"] == "psfs"])     # all-day: no zone
    used = {str(prop(e, name).params["TZID"]) for e in timed for name in ("DTSTART", "DTEND")}
    assert used == {"Europe/London"}
    assert used <= timezone_ids(calendar)


def test_each_caldav_resource_is_one_events_object(example: Export) -> None:
    """RFC 4791 4.1: no METHOD, one UID; and no calendar-level UID or NAME (vdirsyncer)."""
    from radicale_fixture import caldav_rule_breaks

    from planner.calendars.export.ics import session_resources

    plan = commands.current_plan(example.db)
    resources = session_resources(plan, default_catalog().safety_note)
    assert set(resources) == {s.uid for s in (*plan.sessions, *plan.checks)}
    for uid, data in resources.items():
        assert caldav_rule_breaks(data) == [], uid
        calendar = Calendar.from_ical(data)
        assert [str(e["UID"]) for e in calendar.events] == [uid]
        assert sorted(calendar) == ["PRODID", "VERSION"]
        assert timezone_ids(calendar) == {"Europe/London"}


# --- one event per session --------------------------------------------------------------------


def test_one_event_per_session_with_the_right_times(example: Export, calendar: Calendar) -> None:
    sessions = example.plan["sessions"]
    events = events_by_uid(calendar)
    assert len(session_events(calendar, example)) == len(sessions) > 16
    assert len(calendar.events) == len(events) == len(sessions) + len(example.plan["checks"])
    for s in sessions:
        event = events[s["uid"]]
        for name, key in (("DTSTART", "start"), ("DTEND", "end")):
            value = prop(event, name).dt
            assert isinstance(value, dt.datetime) and value.tzinfo is not None
            assert prop(event, name).params["TZID"] == "Europe/London"
            assert value == dt.datetime.fromisoformat(s[key])
            assert value.utcoffset() == dt.datetime.fromisoformat(s[key]).utcoffset()


def test_uids_are_unique_and_stamped(example: Export, calendar: Calendar) -> None:
    events = calendar.events
    uids = [str(prop(e, "UID")) for e in events]
    assert len(set(uids)) == len(uids)
    assert all(re.fullmatch(r"[0-9a-f-]{36}@periodize", uid) for uid in uids)
    for e in events:
        assert prop(e, "DTSTAMP").dt == NOW
        assert int(prop(e, "SEQUENCE")) == 0
        assert str(prop(e, "STATUS")) == "CONFIRMED"


def test_summary_and_categories_follow_the_kinds(example: Export, calendar: Calendar) -> None:
    events = events_by_uid(calendar)
    labels = {("plyometrics", "stretching"): "Plyometrics + stretch",
              ("strength", "stretching"): "Strength + stretch",
              ("plyometrics", "strength", "stretching"): "Plyometrics + strength + stretch",
              ("stretching",): "Stretch"}
    for s in example.plan["sessions"]:
        event = events[s["uid"]]
        assert str(prop(event, "SUMMARY")) == f"{labels[tuple(s['kinds'])]} · week {s['week']}"
        categories = [str(c) for c in prop(event, "CATEGORIES").cats]
        assert categories == [CATEGORY[k] for k in s["kinds"]]


def test_description_holds_every_exercise_its_dose_cue_and_the_safety_note(
        example: Export, calendar: Calendar) -> None:
    safety = default_catalog().safety_note
    assert "doctor" in safety
    events = events_by_uid(calendar)
    for s in example.plan["sessions"]:
        text = str(prop(events[s["uid"]], "DESCRIPTION"))
        assert all(len(line) <= 80 for line in text.splitlines()), "fits 80 columns"
        flat = " ".join(text.split())          # lines are wrapped at 80 columns
        assert safety in flat
        assert "If a cramp strikes: stop, stretch the muscle gently, massage it" in flat
        assert "Cramps that keep coming back need a doctor" in flat
        for exercise in s["exercises"]:
            name, _, level = exercise["name"].partition(": ")
            shown = (f"{name} · level {exercise['level']}" + (f": {level}" if level else "")
                     if exercise["kind"] in ("plyometrics", "strength") else name)
            at = flat.index(f"- {shown} {dose_text(exercise)}")
            assert " ".join(exercise["cue"].split()) in flat
            if exercise["sets"] > 1 and exercise["kind"] != "warmup":
                assert re.match(r"[^-]*?, rest \d+ s between sets", flat[at + 2 + len(shown):])
        if "plyometrics" in s["kinds"]:
            assert f"({s['foot_contacts']} foot contacts)" in text
        # In the order done: static stretching after the jumps.
        if "plyometrics" in s["kinds"]:
            assert text.index("Plyometrics") < text.index("Stretching")


@pytest.mark.smoke
def test_the_strict_ical_parser_reads_the_same_events(example: Export) -> None:
    from ical.calendar_stream import IcsCalendarStream

    cal = IcsCalendarStream.calendar_from_ics(example.ics.decode("utf-8"))
    by_uid = {e.uid: e for e in cal.events}
    sessions = example.plan["sessions"]
    assert len(cal.events) == len(by_uid) == len(sessions) + len(example.plan["checks"])
    assert {tz.tz_id for tz in cal.timezones} == {"Europe/London"}
    for s in sessions:
        event = by_uid[s["uid"]]
        assert isinstance(event.dtstart, dt.datetime) and event.dtstart.tzinfo is not None
        assert event.dtstart == dt.datetime.fromisoformat(s["start"])
        assert event.dtend == dt.datetime.fromisoformat(s["end"])
        assert event.sequence == 0
        assert event.dtstamp == NOW
        assert event.categories == [CATEGORY[k] for k in s["kinds"]]
        assert event.rrule is None and not event.alarm
        assert event.description is not None and s["exercises"][0]["name"] in event.description


# --- stable UIDs ------------------------------------------------------------------------------


def test_two_exports_of_the_same_plan_are_identical(example: Export) -> None:
    first = commands.export(example.db, None, "ics")
    second = commands.export(example.db, None, "ics")
    assert first == second == example.ics


def test_two_generates_of_the_same_profile_give_the_same_uids(
        example: Export, tmp_path: Path) -> None:
    later = NOW + dt.timedelta(days=3)
    again = generate(tmp_path / "again", now=later)
    assert event_keys(Calendar.from_ical(again.ics)) == event_keys(Calendar.from_ical(example.ics))
    # Into the same store: the same plan, so no new revision and no new calendar name.
    store_copy = tmp_path / "copy"
    store_copy.mkdir()
    shutil.copy(example.db, store_copy / "store.db")
    third = generate(store_copy, now=later)
    assert third.plan["plan"]["revision"] == 1
    assert [s["uid"] for s in third.plan["sessions"]] == [s["uid"] for s in
                                                          example.plan["sessions"]]
    assert str(prop(Calendar.from_ical(third.ics), "X-WR-CALNAME")) == "periodize · Sam"
    assert third.ics == example.ics


def test_the_same_profile_in_another_folder_gives_the_same_uids(tmp_path: Path) -> None:
    keys = []
    for name in ("here", "there"):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(EXAMPLE, folder / "athlete.toml")
        shutil.copy(EXAMPLE.parent / "work.ics", folder / "work.ics")
        keys.append(event_keys(Calendar.from_ical(
            generate(folder / "out", folder / "athlete.toml").ics)))
    assert {key[1:] for key in keys[0]} == {key[1:] for key in keys[1]}, "not the same plan"
    assert {key[0] for key in keys[0]} == {key[0] for key in keys[1]}


# --- golden file ------------------------------------------------------------------------------


@pytest.mark.smoke
def test_example_matches_the_golden_calendar(example: Export, golden_ics: bytes) -> None:
    """Order-insensitive: the same events (UID, times, summary, sequence) and time zones."""
    golden = Calendar.from_ical(golden_ics)
    ours = Calendar.from_ical(example.ics)
    # sessions (31 until strength never followed jumps the next day), 2 baseline tests, 4 PSFS
    assert len(golden.events) == 24 + 6
    assert timezone_ids(ours) == timezone_ids(golden) == {"Europe/London"}
    assert {key[1:] for key in event_keys(ours)} == {key[1:] for key in event_keys(golden)}
    assert event_keys(ours) == event_keys(golden)


# --- JSON and CSV -----------------------------------------------------------------------------

SESSION_KEYS = {"uid", "start", "end", "week", "kinds", "status", "exercises"}
EXERCISE_KEYS = {"name", "kind", "sets", "reps", "hold_seconds", "foot_contacts", "level", "cue"}


def test_json_contract_shape(example: Export) -> None:
    data = example.plan
    assert set(data) == {"version", "plan", "sessions", "checks"} and data["version"] == 4
    head = data["plan"]
    assert (head["name"], head["timezone"], head["start"], head["weeks"], head["level"]) == (
        "Sam", "Europe/London", "2027-01-04", 8, "beginner")
    starts = [s["start"] for s in data["sessions"]]
    assert starts == sorted(starts), "sessions in time order"
    for s in data["sessions"]:
        assert set(s) >= SESSION_KEYS
        assert isinstance(s["uid"], str) and isinstance(s["week"], int)
        assert isinstance(s["kinds"], list) and isinstance(s["exercises"], list)
        for key in ("start", "end"):
            parsed = dt.datetime.fromisoformat(s[key])
            assert parsed.tzinfo is not None
            assert s[key].endswith("+00:00"), "January and February in London: GMT"
        for exercise in s["exercises"]:
            assert set(exercise) >= EXERCISE_KEYS
            assert isinstance(exercise["sets"], int) and isinstance(exercise["level"], int)


def test_json_first_session_exact_values(example: Export, calendar: Calendar) -> None:
    first = example.plan["sessions"][0]
    assert first["uid"] == str(prop(calendar.events[0], "UID"))
    assert first["start"] == "2027-01-04T18:00:00+00:00"
    assert first["end"] == "2027-01-04T19:10:00+00:00"     # 56 min + 14 of hip work
    assert (first["week"], first["program_week"], first["type"]) == (1, 1, "strength")
    assert first["kinds"] == ["strength", "stretching"]
    assert (first["status"], first["sequence"], first["minutes"]) == ("planned", 0, 70)
    assert first["stamp"] == NOW.isoformat() == "2026-12-01T09:00:00+00:00"
    assert first["foot_contacts"] == 0
    rows = [(e["name"], e["kind"], e["sets"], e["reps"], e["hold_seconds"], e["foot_contacts"],
             e["level"], e["per_side"], e["work_seconds"], e["rest_seconds"])
            for e in first["exercises"]]
    assert rows == [
        ("Easy bike or jog", "warmup", 1, None, 300, None, 1, False, 300, 0),
        ("Leg swings", "warmup", 2, 10, None, None, 1, True, 15, 5),
        ("Bodyweight squat", "warmup", 1, 10, None, None, 1, False, 40, 0),
        ("Step down: Step down from a 10 cm step", "strength", 3, 8, None, None, 1, True, 40, 60),
        ("Split squat: Split squat to half depth", "strength", 3, 8, None, None, 1, True, 40, 60),
        ("Reverse Nordic: Reverse Nordic, short lean", "strength", 3, 6, None, None, 1, False,
         36, 90),
        ("Tibialis raise: Wall tibialis raise", "strength", 3, 12, None, None, 1, False, 36, 45),
        ("Hip abduction: Clamshell with a 2-second hold", "strength", 3, 10, None, None, 1, True,
         50, 30),
        ("Bridge: Glute bridge with a 2-second hold", "strength", 3, 10, None, None, 1, False, 50,
         45),
        ("Standing quad stretch", "stretching", 2, None, 30, None, 1, True, 30, 10),
        ("Lying quad stretch", "stretching", 2, None, 30, None, 1, True, 30, 10),
        ("Couch stretch", "stretching", 2, None, 45, None, 1, True, 45, 15),
    ]
    assert all(isinstance(e["cue"], str) and len(e["cue"]) > 20 for e in first["exercises"])


def test_csv_reads_back_with_pandas(example: Export) -> None:
    import pandas as pd

    frame = pd.read_csv(io.StringIO(example.csv))
    sessions = example.plan["sessions"]
    assert len(frame) == len(sessions) > 16
    assert list(frame["uid"]) == [s["uid"] for s in sessions]
    assert list(frame["week"]) == [s["week"] for s in sessions]
    assert frame.loc[0, "date"] == "2027-01-04" and frame.loc[0, "start"] == "18:00"
    assert list(frame["foot_contacts"]) == [
        sum(e["foot_contacts"] or 0 for e in s["exercises"]) for s in sessions]


def _regenerate_golden() -> None:
    """Rewrite the golden file from the example profile (run by hand, never by a test)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        commands.generate(EXAMPLE, Path(folder) / "store.db", GOLDEN, NOW)
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    _regenerate_golden()


def test_a_dose_stored_without_its_rest_shows_the_catalogues_rest_for_that_level(
        tmp_path: Path) -> None:
    """Rest has one source, the catalogue's levels: a plan stored before doses carried their rest
    gets it from the exercise at that level, not from a second table."""
    import dataclasses

    from catalog.monitoring import load_monitoring
    from planner.calendars.export.session_text import dose_lines
    from planner.errors import InputError
    from planner.training.dosing import dose_exercise

    catalog = default_catalog()
    for exercise in (catalog.exercise("squat-jump"), catalog.of_kind("strength")[0]):
        for lv in exercise.levels:
            dose = dataclasses.replace(dose_exercise(exercise, lv.level, sets=3),
                                       rest_seconds=None)
            flat = " ".join(" ".join(dose_lines(dose)).split())
            assert f", rest {lv.rest_seconds} s between sets" in flat, (exercise.id, lv.level)
    toml = (ROOT / "catalog" / "monitoring.toml").read_text()
    assert "[rest]" not in toml
    extra = tmp_path / "monitoring.toml"
    extra.write_text(toml + "\n[rest]\nstrength = 90\n")
    with pytest.raises(InputError, match="rest"):
        load_monitoring(extra)
