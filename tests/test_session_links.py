"""Calendars that link to the athlete's pages (issue 25): with ``[calendar] base_url`` in the
profile, every event of the .ics, the feed, each CalDAV resource and Google's event carries its
session's page (``planner.store.links.session_url``) as URL and at the end of a description cut
to the essentials; ``morning_checkin`` adds a check-in with a reminder the morning after each
session. Read back with the strict ``ical`` parser, a second library."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from factories import make_profile, one_line_error, run, write_profile
from ical.calendar_stream import IcsCalendarStream

from catalog import default_catalog
from planner.calendars.export.ics import checkin_uid, plan_calendar, session_resources
from planner.calendars.export.log_links import LogLinks, links_for
from planner.calendars.feed import read_feed
from planner.calendars.google_sync import event_body
from planner.store.database import open_store
from planner.store.links import measure_url, session_url
from planner.store.plan import Plan

BASE = "https://plans.example.org/coach"


def _generate(tmp_path: Path, calendar: str, weeks: int = 8) -> tuple[Path, bytes]:
    tmp_path.mkdir(exist_ok=True)
    profile = write_profile(tmp_path, weeks=weeks)
    profile.write_text(profile.read_text(encoding="utf-8") + "\n[calendar]\n" + calendar,
                       encoding="utf-8")
    db, out = tmp_path / "store.db", tmp_path / "plan.ics"
    result = run("--db", str(db), "generate", str(profile), "-o", str(out))
    assert result.exit_code == 0, result.output
    return db, out.read_bytes()


def _stored(db: Path) -> tuple[Plan, str]:
    with open_store(db) as store:
        plan = store.current()[0]
        token = store.feed_token(plan.plan_id)
    assert token is not None
    return plan, token


def test_every_event_links_to_its_sessions_page(tmp_path: Path) -> None:
    db, data = _generate(tmp_path, f'base_url = "{BASE}/"\n')
    plan, token = _stored(db)
    events = IcsCalendarStream.calendar_from_ics(data.decode("utf-8")).events
    assert len(events) == len(plan.sessions) + len(plan.checks)
    checks = {c.uid for c in plan.checks}
    for event in events:                  # a check links to the page that records it
        if event.uid in checks:
            assert str(event.url) == measure_url(BASE, token)
            assert event.description is not None and event.description.endswith(
                f"Record it on your page:\n{measure_url(BASE, token)}")
    events = [e for e in events if e.uid not in checks]
    by_uid = {s.uid: s for s in plan.sessions}
    for event in events:
        url = session_url(BASE, token, event.uid)
        assert event.uid in by_uid and str(event.url) == url
        assert event.description is not None and event.description.endswith(
            f"Log this session:\n{url}")
        # the essentials: every exercise with its dose, the safety note; the cues left out
        session = by_uid[event.uid]
        assert all(d.name.partition(": ")[0] in event.description for d in session.exercises)
        assert "Safety:" in event.description
        assert not any(d.cue and d.cue in event.description for d in session.exercises)
    # the same links in the feed, for the same token
    feed = read_feed(db, token)
    assert feed is not None and data.count(b"URL:") == feed.body.count(b"URL:") == len(
        events) + len(checks)


def test_a_check_in_follows_each_session_the_next_morning(tmp_path: Path) -> None:
    db, data = _generate(tmp_path, f'base_url = "{BASE}"\nmorning_checkin = "07:30"\n')
    plan, token = _stored(db)
    events = {e.uid: e for e in IcsCalendarStream.calendar_from_ics(data.decode()).events}
    assert len(events) == 2 * len(plan.sessions) + len(plan.checks)
    for session in plan.sessions:
        check = events[checkin_uid(session.uid)]
        start = check.dtstart
        assert isinstance(start, dt.datetime)
        local = start.astimezone(session.start.tzinfo)
        assert local.date() == session.start.date() + dt.timedelta(days=1)
        assert (local.hour, local.minute) == (7, 30)
        assert str(check.url) == session_url(BASE, token, session.uid)
        assert check.alarm and check.sequence == session.sequence
    # CalDAV: one resource per event, the check-ins too
    links = links_for(dataclasses.replace(make_profile(), base_url=BASE, morning_checkin=450),
                      token)
    resources = session_resources(plan, default_catalog().safety_note, links)
    assert set(resources) == {u for s in plan.sessions for u in (s.uid, checkin_uid(s.uid))} | {
        c.uid for c in plan.checks}
    assert all(b"BEGIN:VALARM" in resources[checkin_uid(s.uid)] for s in plan.sessions)


def test_without_a_base_url_nothing_links_and_no_token_is_made(tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "plan.ics"
    assert run("--db", str(db), "generate", str(write_profile(tmp_path)), "-o",
               str(out)).exit_code == 0
    assert b"URL:" not in out.read_bytes() and b"Log this session" not in out.read_bytes()
    with open_store(db) as store:
        assert store.feed_token(store.current()[0].plan_id) is None


@pytest.mark.slow
def test_a_year_with_links_is_well_under_a_megabyte(tmp_path: Path) -> None:
    """Google's import and subscription are widely reported to fail above about 1 MB."""
    _, linked = _generate(tmp_path / "a", f'base_url = "{BASE}"\n', weeks=52)
    _, checked = _generate(tmp_path / "b", f'base_url = "{BASE}"\nmorning_checkin = "07:00"\n',
                           weeks=52)
    assert len(linked) < 500_000 and len(checked) < 700_000


def test_google_events_carry_the_link_as_their_source() -> None:
    from factories import build_with_stats

    plan, _ = build_with_stats(make_profile(weeks=1))
    links = LogLinks(BASE, "tok")
    body = event_body(plan, plan.sessions[0], "Be careful.", links)
    assert body["source"] == {"title": "Log this session",
                              "url": session_url(BASE, "tok", plan.sessions[0].uid)}
    assert body["description"].endswith(body["source"]["url"])
    assert "source" not in event_body(plan, plan.sessions[0], "Be careful.")


@pytest.mark.parametrize(("table", "field"), [
    ('base_url = "plans.example.org"\n', "calendar.base_url"),
    ('base_url = "https://plans.example.org/?a=1"\n', "calendar.base_url"),
    ('morning_checkin = "07:30"\n', "calendar.morning_checkin"),
    (f'base_url = "{BASE}"\nmorning_checkin = "7.30"\n', "calendar.morning_checkin"),
    (f'base_url = "{BASE}"\nmorning_checkin = "24:00"\n', "calendar.morning_checkin"),
    (f'base_url = "{BASE}"\nlink = true\n', "calendar.link"),
])
def test_a_bad_calendar_table_is_one_line_naming_the_key(tmp_path: Path, table: str,
                                                         field: str) -> None:
    profile = write_profile(tmp_path)
    profile.write_text(profile.read_text(encoding="utf-8") + "\n[calendar]\n" + table,
                       encoding="utf-8")
    db = tmp_path / "store.db"
    one_line_error(run("--db", str(db), "generate", str(profile), "-o",
                       str(tmp_path / "p.ics")), field)
    assert not db.exists()


def test_the_calendar_table_survives_the_store(tmp_path: Path) -> None:
    db, _ = _generate(tmp_path, f'base_url = "{BASE}/"\nmorning_checkin = "06:05"\n')
    with open_store(db) as store:
        profile = store.current()[1]
    assert (profile.base_url, profile.morning_checkin) == (BASE, 6 * 60 + 5)
    assert profile.to_dict()["calendar"] == {"base_url": BASE, "morning_checkin": "06:05"}


def test_icaljs_reads_sessions_and_check_ins_at_their_instants_across_a_clock_change(
        icaljs: Path) -> None:
    """Mozilla's ical.js (Thunderbird) reads the linked calendar and each CalDAV resource:
    every session and every check-in (07:30 local the next morning, across London's spring
    forward) at the instant planned."""
    from factories import build
    from test_timezones_everywhere import expected, read_icaljs, utc

    plan = build(make_profile(start=dt.date(2027, 3, 15), weeks=3))
    links = LogLinks(BASE, "tok", morning_checkin=7 * 60 + 30)
    want = expected(plan)
    for s in plan.sessions:
        morning = dt.datetime.combine(s.start.date() + dt.timedelta(days=1), dt.time(7, 30),
                                      tzinfo=s.start.tzinfo)
        want[checkin_uid(s.uid)] = (utc(morning), utc(morning + dt.timedelta(minutes=10)))
    note = default_catalog().safety_note
    assert read_icaljs(icaljs, plan_calendar(plan, note, links=links)) == want
    assert read_icaljs(icaljs, list(session_resources(plan, note, links).values())) == want
