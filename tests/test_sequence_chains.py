"""SEQUENCE over random chains of log entries, replans, undo and redo (issue 28 section 3).

A calendar keeps, per UID, the version with the highest SEQUENCE it has seen: so one (UID,
SEQUENCE) must never be exported with two different texts, and SEQUENCE never falls. Before,
undo and redo changed events' text (the red-flag paragraph) at an equal SEQUENCE, because the
comparison left out the session's notes. The calendar is parsed back by icalendar and compared
by everything it shows but DTSTAMP and SEQUENCE."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import pytest
from factories import NOW, write_profile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import commands
from planner.commands import logbook
from planner.errors import PeriodizeError

DAYS = [dt.date(2027, 1, 4) + dt.timedelta(days=n) for n in range(21)]
STEPS = st.one_of(
    st.tuples(st.just("pain"), st.sampled_from(DAYS[1:]), st.sampled_from([0, 3, 6, 7, 9])),
    st.tuples(st.just("done"), st.sampled_from(DAYS), st.sampled_from([None, 4, 8])),
    st.tuples(st.just("missed"), st.sampled_from(DAYS), st.none()),
    st.tuples(st.just("replan"), st.sampled_from(DAYS), st.none()),
    st.tuples(st.just("undo"), st.none(), st.none()),
    st.tuples(st.just("redo"), st.none(), st.none()),
)
CHAINS = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def shown(ics: bytes) -> dict[str, tuple[int, str]]:
    """Per UID: its SEQUENCE, and everything a calendar shows of it but DTSTAMP and SEQUENCE."""
    from icalendar import Calendar

    events: dict[str, tuple[int, str]] = {}
    for event in Calendar.from_ical(ics).walk("VEVENT"):
        text = "\n".join(f"{name}:{_ical(value)}"
                         for name, value in sorted(event.property_items(recursive=False)[1:-1])
                         if name not in ("DTSTAMP", "SEQUENCE"))
        events[str(event["UID"])] = (int(event.get("SEQUENCE", 0)), text)
    return events


def _ical(value: object) -> str:
    to_ical = getattr(value, "to_ical", None)
    return to_ical().decode() if to_ical is not None else str(value)


def _step(db: Path, step: tuple[str, dt.date | None, int | None], now: dt.datetime) -> None:
    kind, day, value = step
    try:
        if kind == "pain" and day is not None:
            logbook.morning_pain(db, day.isoformat(), str(value), now, today=day)
        elif kind == "done" and day is not None:
            logbook.done(db, [day.isoformat()], now, rpe=value, today=day)
        elif kind == "missed" and day is not None:
            logbook.missed(db, [day.isoformat()], None, now, today=day)
        elif kind == "replan":
            commands.replan(db, day, None, None, now)
        elif kind == "undo":
            commands.undo(db, now)
        elif kind == "redo":
            commands.redo(db, now)
    except PeriodizeError:
        pass          # not a session day, nothing to undo, ...: the chain goes on


def test_the_stored_plan_is_what_the_chains_start_from(stored: tuple[Path, Path]) -> None:
    events = shown(commands.export(stored[0], None, "ics"))
    assert events and all(sequence == 0 for sequence, _ in events.values())


@pytest.mark.slow
@given(chain=st.lists(STEPS, min_size=2, max_size=7))
@CHAINS
def test_an_event_never_changes_at_an_equal_sequence(stored: tuple[Path, Path],
                                                     chain: list[tuple[str, dt.date | None,
                                                                       int | None]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "s.db"
        shutil.copy(stored[0], db)
        write_profile(Path(folder))
        seen: dict[tuple[str, int], str] = {}
        highest: dict[str, int] = {}
        latest = DAYS[0]
        for number, step in enumerate([("export", None, None), *chain]):
            now = NOW + dt.timedelta(minutes=number)
            _step(db, step, now)
            # The calendar as of the latest day so far (days only move forward for a calendar):
            # sessions past and not logged hold the levels after them (``plan_as_of``), and
            # that text, too, must never change at an equal SEQUENCE.
            latest = max(latest, step[1] or latest)
            for uid, (sequence, text) in shown(commands.export(db, None, "ics",
                                                               today=latest)).items():
                earlier = seen.setdefault((uid, sequence), text)
                assert earlier == text, (step, uid, sequence, earlier, text)
                assert sequence >= highest.get(uid, 0), (step, uid, sequence)
                highest[uid] = sequence


# --- the store's own chains: revisions that differ in their notes alone --------------------------

NOTE_STEPS = st.lists(st.one_of(st.tuples(st.just("save"), st.integers(0, 2)),
                                st.just(("undo", 0)), st.just(("redo", 0))),
                      min_size=1, max_size=8)


@pytest.mark.slow
@given(noted=st.lists(st.sets(st.integers(0, 15), max_size=6), min_size=3, max_size=3),
       steps=NOTE_STEPS)
@CHAINS
def test_a_change_of_notes_alone_raises_sequence(noted: list[set[int]],
                                                 steps: list[tuple[str, int]]) -> None:
    """Three versions of one plan that differ only in which sessions carry a note (as the
    red-flag paragraph comes and goes), saved, undone and redone in any order: no (UID,
    SEQUENCE) is ever shown with two texts."""
    import dataclasses

    from factories import build, make_profile

    from planner.calendars.export.formats import render
    from planner.store.database import open_store

    profile = make_profile(weeks=2)
    base = build(profile)
    versions = [dataclasses.replace(base, sessions=tuple(
        dataclasses.replace(s, notes=("Red flag: see a physiotherapist.",) if i in chosen
                            else ()) for i, s in enumerate(base.sessions)))
        for chosen in noted]
    seen: dict[tuple[str, int], str] = {}
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "s.db"
        with open_store(db, create=True) as store:
            store.save(versions[0], profile, "first")
        for number, (kind, which) in enumerate(steps):
            now = NOW + dt.timedelta(minutes=number + 1)
            with open_store(db) as store:
                try:
                    if kind == "save":
                        store.save(dataclasses.replace(versions[which], created=now), profile,
                                   f"version {which}")
                    elif kind == "undo":
                        store.undo(now)
                    else:
                        store.redo(now)
                except PeriodizeError:
                    pass
                current = store.current().plan
            for uid, (sequence, text) in shown(render(current, "ics")).items():
                earlier = seen.setdefault((uid, sequence), text)
                assert earlier == text, (kind, which, uid, sequence)
