"""Issue 26 §3 and §5 in the calendar: the baseline tests (a short session of their own, once
before week 1 and again every four weeks, placed in the athlete's windows by stated rules) and
the PSFS check-ins (all day, every 14 days from the plan's first day), in every calendar output,
parsed back by a second library; the independent validator holds the tests' rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from factories import EXAMPLE, NOW, RULES, build, make_profile, run, write_profile
from hypothesis import assume, given
from hypothesis import strategies as st

from catalog import Catalog
from planner import commands
from planner.calendars import google_sync
from planner.calendars.export.ics import plan_calendar, session_resources
from planner.calendars.export.log_links import LogLinks
from planner.errors import NoPlanPossible
from planner.scheduling import checks
from planner.scheduling.checks import AFTER_JUMPS, BEFORE_FIRST, LEAD_DAYS, PSFS_EVERY_DAYS
from planner.store.links import measure_url
from planner.store.plan import BASELINE, PSFS, Plan
from planner.training.validate import check_plan

BASE = "https://periodize.example.org"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
UTC = dt.UTC


def _rules_hold(plan: Plan, lead: bool) -> None:
    """The placement rules, read from the plan alone (``lead``: the first test comes before the
    plan, the windows allowing)."""
    tz = plan.tz
    tests = plan.checks_of(BASELINE)
    weeks = [t.week for t in tests]
    # One a test week, in order; a week no window fits goes without (and generate says so).
    assert set(weeks) - {0} <= set(range(1, plan.weeks + 1, 4)) and weeks == sorted(weeks)
    assert (checks.tests_left_out(plan) is None) == (len(tests) == len(range(1, plan.weeks + 1, 4)))
    first = min(s.start for s in plan.sessions)
    if lead and weeks and weeks[0] in (0, 1):
        assert tests[0].week == 0
        assert plan.start - dt.timedelta(days=LEAD_DAYS) <= plan.local_date(tests[0]) < plan.start
        assert tests[0].end.astimezone(UTC) + BEFORE_FIRST <= first.astimezone(UTC)
    for t in tests:
        assert t.minutes == 25 and t.exercises == () and t.sequence == 0
        for s in plan.sessions:
            if "plyometrics" in s.kinds:
                assert not dt.timedelta(0) <= t.start - s.end < AFTER_JUMPS
                assert s.start.astimezone(tz).date() != t.start.astimezone(tz).date()
            assert t.end <= s.start or s.end <= t.start          # never overlapping
    psfs = plan.checks_of(PSFS)
    assert [plan.local_date(c) for c in psfs] == [
        plan.start + dt.timedelta(days=d) for d in range(0, 7 * plan.weeks, PSFS_EVERY_DAYS)]
    assert all(c.end - c.start == dt.timedelta(days=1) or c.end.date() == c.start.date()
               + dt.timedelta(days=1) for c in psfs)


def test_the_example_athlete_gets_a_test_before_week_1_and_in_week_5() -> None:
    profile = commands.read_profile(EXAMPLE, _catalog())
    plan = build(profile)
    _rules_hold(plan, lead=True)
    tests = plan.checks_of(BASELINE)
    # Saturday before the Monday start (Sunday is a rest day), the latest window that day; in
    # week 5 the first start 24 h after Monday's jumps end (18:44; strength never falls the day
    # after jumps, so Monday holds jumps alone now).
    assert [f"{t.start:%a %d %b %H:%M}" for t in tests] == ["Sat 02 Jan 11:30",
                                                            "Tue 02 Feb 19:00"]
    assert check_plan(plan, profile) == []


@pytest.mark.slow
@RULES
@given(days=st.lists(st.sampled_from(WEEKDAYS), min_size=3, max_size=7, unique=True),
       weeks=st.integers(2, 13), evening=st.booleans())
def test_tests_keep_their_rules_for_any_week(days: list[str], weeks: int,
                                            evening: bool) -> None:
    """Property over random windows and plan lengths: wherever the tests land, the rules hold
    and the independent validator passes the plan (generate refuses one it does not)."""
    window = "18:00-20:00" if evening else "07:00-09:30"
    profile = make_profile(availability={d: [window] for d in days}, rest_days=[], weeks=weeks,
                           plyometrics={"sessions_per_week": [1, 3]},
                           strength={"sessions_per_week": [1, 3]})
    try:
        plan = build(profile)
    except NoPlanPossible:             # windows too few for the training itself
        assume(False)
        return
    _rules_hold(plan, lead=True)
    assert check_plan(plan, profile) == []


def test_the_validator_refuses_a_test_on_a_jump_day_or_after_jumps() -> None:
    profile = make_profile()
    plan = build(profile)
    jump = next(s for s in plan.sessions if "plyometrics" in s.kinds)
    test = plan.checks_of(BASELINE)[1]
    for start in (jump.end + dt.timedelta(minutes=30), jump.end + dt.timedelta(hours=20)):
        moved = dataclasses.replace(test, start=start, end=start + dt.timedelta(minutes=25))
        bad = dataclasses.replace(plan, checks=tuple(moved if c is test else c
                                                     for c in plan.checks))
        found = check_plan(bad, profile)
        assert any(p.startswith("baseline test") and "jump" in p for p in found), found


def test_psfs_check_ins_and_tests_read_back_with_the_ical_package() -> None:
    """The second library: every check is an event; the PSFS check-ins are all-day dates
    (VALUE=DATE, exclusive end), free time; the texts say how to record; with a base URL both
    link to the athlete's page."""
    from ical.calendar_stream import IcsCalendarStream

    plan = build(make_profile())
    links = LogLinks(BASE, "tok")
    for data in (plan_calendar(plan, "Safe.", links=links),
                 *[r for uid, r in session_resources(plan, "Safe.", links).items()
                   if uid in {c.uid for c in plan.checks}]):
        events = {e.uid: e for e in IcsCalendarStream.calendar_from_ics(data.decode()).events}
        for c in plan.checks:
            if c.uid not in events:
                continue
            event = events[c.uid]
            assert event.url is not None and str(event.url) == measure_url(BASE, "tok")
            assert event.description is not None
            assert f"periodize measure {c.start.date()}" in event.description
            assert event.description.endswith(
                f"Record it on your page:\n{measure_url(BASE, 'tok')}")
            if c.session_type == PSFS:
                assert event.dtstart == c.start.date() and not isinstance(event.dtstart,
                                                                          dt.datetime)
                assert event.dtend == c.start.date() + dt.timedelta(days=1)
                assert str(event.transparency).upper().endswith("TRANSPARENT")
                assert event.summary == f"PSFS check-in · week {c.week}"
                assert "psfs.stairs=N" in event.description
            else:
                assert event.dtstart == c.start and event.dtend == c.end
                assert "sts.left=N" in event.description and "stepdowns.left=N" in (
                    event.description)


def test_google_gets_the_checks_all_day_and_timed() -> None:
    plan = build(make_profile())
    psfs, test = plan.checks_of(PSFS)[0], plan.checks_of(BASELINE)[0]
    body = google_sync.event_body(plan, psfs, "Safe.")
    assert body["start"] == {"date": psfs.start.date().isoformat()}
    assert body["end"] == {"date": (psfs.start.date() + dt.timedelta(days=1)).isoformat()}
    assert body["transparency"] == "transparent"
    assert google_sync.differing_fields(body, {**body}) == {}
    assert set(google_sync.differing_fields(
        body, {**body, "start": {"date": "2027-01-05"}})) == {"start"}
    timed = google_sync.event_body(plan, test, "Safe.", LogLinks(BASE, "tok"))
    assert timed["start"]["dateTime"] == test.start.isoformat()
    assert timed["source"] == {"title": "Record it", "url": measure_url(BASE, "tok")}


def test_a_replan_keeps_the_past_test_moves_the_later_one_and_drops_one_it_cannot_hold(
        tmp_path: Path) -> None:
    """A replan from week 2 with a single window a week: the test before week 1 stays as it was,
    the psfs check-ins keep their days; week 5's test is placed again around the new sessions
    (SEQUENCE one up when it moves), or, with no window for it, kept CANCELLED one SEQUENCE up
    in every calendar (an import never deletes)."""
    db = tmp_path / "plan.db"
    profile = write_profile(tmp_path)
    commands.generate(profile, db, tmp_path / "plan.ics", NOW)
    before = commands.current_plan(db)
    (tmp_path / "fewer").mkdir()
    fewer = write_profile(tmp_path / "fewer", availability={"mon": ["18:00-20:00"],
                                                            "thu": ["18:00-20:00"]})
    done = run("--db", str(db), "replan", "--today", "2027-01-11", "--profile", str(fewer),
               "-o", str(tmp_path / "plan.ics"))
    assert done.exit_code == 0, done.output
    after = commands.current_plan(db)
    old = {c.uid: c for c in before.checks}
    assert after.checks_of(PSFS) == before.checks_of(PSFS)
    first = before.checks_of(BASELINE)[0]
    assert first in after.checks                                     # past: as it was
    later = next(c for c in after.checks if c.uid == before.checks_of(BASELINE)[1].uid)
    was = old[later.uid]
    if later.status == "dropped":
        assert later.sequence == was.sequence + 1 and later.start == was.start
        ics = (tmp_path / "plan.ics").read_text(encoding="utf-8")
        assert "Dropped: Baseline test · week 5" in ics.replace("\r\n ", "")
    else:
        assert later.sequence == (was.sequence if later.start == was.start
                                  else was.sequence + 1)
        assert later.start.weekday() in (0, 3)
    assert check_plan(after, commands.read_profile(fewer, _catalog()),
                      history_before=dt.datetime(2027, 1, 11, tzinfo=after.tz)) == []


def _catalog() -> Catalog:
    from catalog import default_catalog

    return default_catalog()
