"""Every parser reads each session at the same instant: Mozilla's ical.js (Thunderbird and many
web calendars, run with node from tests/icaljs), icalendar and the stricter ``ical`` package, for
plans that cross daylight-saving changes (1 h in London and New York, 30 min in Lord Howe), 8
and 52 weeks long, as a file and as CalDAV resources.

ical.js ignores the DTSTART onset of a VTIMEZONE part that has RDATEs; the exporter lists every
onset in RDATE. The last test shows the check has teeth: the zone as icalendar writes it on its
own puts sessions off by the shift in ical.js."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from factories import build, make_profile
from icalendar import Calendar

from planner.calendars.export.ics import PRODID, plan_calendar, session_event, session_resources
from planner.store.plan import BASELINE, Plan

SAFETY = "Stop if it hurts."
#: (zone, a start whose first 8 weeks cross a change)
ZONES = [("Europe/London", dt.date(2027, 3, 1)),          # forward on 28 March
         ("America/New_York", dt.date(2027, 2, 22)),      # forward on 14 March
         ("Australia/Lord_Howe", dt.date(2027, 3, 8))]    # back 30 min on 4 April
Instants = dict[str, tuple[str, str]]


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _day(value: dt.date) -> str:
    return value.isoformat()


def expected(plan: Plan) -> Instants:
    """Each session's and baseline test's instants; each PSFS check-in's day (all day: the day
    and the next, exclusive)."""
    found = {s.uid: (utc(s.start), utc(s.end)) for s in plan.sessions}
    for c in plan.checks:
        found[c.uid] = ((utc(c.start), utc(c.end)) if c.session_type == BASELINE else
                        (_day(c.start.date()), _day(c.start.date() + dt.timedelta(days=1))))
    return found


def read_icaljs(script: Path, data: bytes | list[bytes]) -> Instants:
    stdin = data if isinstance(data, bytes) else json.dumps(
        [d.decode() for d in data]).encode()
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run([node, str(script)], input=stdin, capture_output=True, check=True)
    return {uid: (start, end) for uid, (start, end) in json.loads(done.stdout).items()}


def read_icalendar(data: bytes) -> Instants:
    found: Instants = {}
    for event in Calendar.from_ical(data).events:
        start, end = event.start, event.end
        if not isinstance(start, dt.datetime):          # all day
            assert not isinstance(end, dt.datetime)
            found[str(event["UID"])] = (_day(start), _day(end))
            continue
        assert isinstance(end, dt.datetime)
        found[str(event["UID"])] = (utc(start), utc(end))
    return found


def read_ical(data: bytes) -> Instants:
    from ical.calendar_stream import IcsCalendarStream

    calendar = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    found: Instants = {}
    for event in calendar.events:
        if not isinstance(event.dtstart, dt.datetime):      # all day
            assert event.dtstart is not None and event.dtend is not None
            assert not isinstance(event.dtend, dt.datetime)
            found[str(event.uid)] = (_day(event.dtstart), _day(event.dtend))
            continue
        assert event.dtstart.tzinfo is not None
        assert isinstance(event.dtend, dt.datetime)
        found[str(event.uid)] = (utc(event.dtstart), utc(event.dtend))
    return found


@pytest.fixture(scope="module", params=[(zone, start, weeks) for zone, start in ZONES
                                        for weeks in (8, 52)],
                ids=lambda p: f"{p[0]}-{p[2]}w")
def plan(request: pytest.FixtureRequest) -> Plan:
    zone, start, weeks = request.param
    built = build(make_profile(timezone=zone, start=start, weeks=weeks))
    offsets = {s.start.utcoffset() for s in built.sessions}
    assert len(offsets) == 2, f"the plan must cross a daylight-saving change: {offsets}"
    return built


@pytest.mark.slow
def test_every_parser_reads_the_file_at_the_same_instants(icaljs: Path, plan: Plan) -> None:
    data = plan_calendar(plan, SAFETY)
    want = expected(plan)
    assert read_icaljs(icaljs, data) == want
    assert read_icalendar(data) == want
    assert read_ical(data) == want


@pytest.mark.slow
def test_every_parser_reads_the_caldav_resources_at_the_same_instants(
        icaljs: Path, plan: Plan) -> None:
    resources = session_resources(plan, SAFETY)
    want = expected(plan)
    assert read_icaljs(icaljs, list(resources.values())) == want
    for uid, data in resources.items():
        assert read_icalendar(data) == {uid: want[uid]}
        assert read_ical(data) == {uid: want[uid]}


@pytest.mark.slow
def test_a_zone_without_its_first_onset_in_rdate_misleads_icaljs(icaljs: Path) -> None:
    """The failure the exporter avoids: ical.js shifts sessions after a change by the shift."""
    zone, start = ZONES[1]
    plan = build(make_profile(timezone=zone, start=start, weeks=52))
    calendar = Calendar.new(prodid=PRODID, subcomponents=[
        session_event(plan, s, SAFETY) for s in plan.sessions])
    calendar.add_missing_timezones(start - dt.timedelta(days=31), start + dt.timedelta(days=730))
    read = read_icaljs(icaljs, calendar.to_ical())
    want = {s.uid: (utc(s.start), utc(s.end)) for s in plan.sessions}     # sessions alone here
    off = [uid for uid in want if read[uid] != want[uid]]
    assert off and len(off) < len(want)
    one = next(s for s in plan.sessions if s.uid == off[0])
    shift = dt.datetime.fromisoformat(read[one.uid][0]) - one.start
    assert abs(shift) == dt.timedelta(hours=1)
