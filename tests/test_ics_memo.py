"""The fast calendar path changes no byte: every calendar, CalDAV resource and variant (per
revision, dropped, refresh) is the one icalendar's plain API gives (``plain_icalendar``:
``Event.new``, no memo, icalendar's own folding and zone search), on random texts with everything
iCalendar escapes, in any order and after the memo has started again; the bounded zone search
gives icalendar's VTIMEZONE for random zones and spans. Work is counted, never timed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from unittest import mock
from zoneinfo import ZoneInfo, available_timezones

import pytest
from factories import NOW, make_profile
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event, Timezone, vText
from icalendar.error import InvalidCalendar
from icalendar.parser import Contentline

import planner.calendars.export.ics as ics
import planner.calendars.export.ics_zone_search as zone_search
import planner.workflows.generate as generate
from catalog import default_catalog
from planner.calendars.export.ics_memo import Memo, memo_calendar
from planner.store.plan import Plan

CATALOG = default_catalog()
SETTINGS = settings(max_examples=40, deadline=None, derandomize=bool(os.environ.get("CI")))
# Texts with every character TEXT escapes or folding cares about, and multi-octet ones.
TEXTS = st.text(alphabet=st.sampled_from([*"ab ,;:\\^\n\r\"'", "N", "é", "·", "🦵", "中"]),
                max_size=120) | st.text(max_size=60)


def _plan(zone: str = "Europe/London", start: dt.date = dt.date(2027, 3, 1)) -> Plan:
    plan, _ = generate.build_plan(make_profile(timezone=zone, start=start, weeks=3),
                                  CATALOG, [], NOW)
    return plan


PLANS = [_plan(), _plan("Australia/Lord_Howe", dt.date(2027, 3, 29)), _plan("UTC")]


def _variant(plan: Plan, name: str, notes: list[str], statuses: list[str], step: int) -> Plan:
    sessions = [dataclasses.replace(
        s, notes=tuple(notes[i % len(notes):][:2]) if notes else (),
        status=statuses[i % len(statuses)], sequence=s.sequence + i % step,
        stamp=s.stamp + dt.timedelta(hours=i % step)) for i, s in enumerate(plan.sessions)]
    return dataclasses.replace(plan, name=name, sessions=tuple(sessions))


def _everything(plan: Plan, note: str) -> list[object]:
    dropped = tuple(dataclasses.replace(s, status="dropped", sequence=s.sequence + 1)
                    for s in plan.sessions[-2:])
    rest = dataclasses.replace(plan, sessions=plan.sessions[:-2])
    return [ics.plan_calendar(plan, note), ics.plan_calendar(plan, note, per_revision=True),
            ics.plan_calendar(rest, note, dropped=dropped),
            ics.plan_calendar(rest, note, dropped=dropped, refresh=dt.timedelta(hours=6)),
            ics.session_resources(plan, note)]


@SETTINGS
@given(st.sampled_from(PLANS), TEXTS, st.lists(TEXTS, max_size=4), TEXTS,
       st.lists(st.sampled_from(["planned", "done", "missed"]), min_size=1, max_size=3),
       st.integers(1, 4))
@pytest.mark.slow
def test_the_fast_path_writes_what_icalendar_writes(
        base: Plan, name: str, notes: list[str], note: str, statuses: list[str],
        step: int) -> None:
    plan = _variant(base, name, notes, statuses, step)
    with ics.plain_icalendar():
        plain = _everything(plan, note)
    assert _everything(plan, note) == plain      # the memo filled
    assert _everything(plan, note) == plain      # and reused


@SETTINGS
@given(TEXTS, TEXTS, st.integers(0, 3))
def test_memoised_lines_are_icalendars_on_any_text(summary: str, text: str, sequence: int
                                                   ) -> None:
    """The memo's Calendar, values made once, against a plain Calendar with fresh values."""
    memo = Memo()

    def typed(name: str, value: str, shared: bool) -> vText:
        return memo.value((name, value), lambda: vText(value)) if shared else vText(value)

    def calendar(cls: type[Calendar], shared: bool) -> bytes:
        event = Event()
        for name, value in (("SUMMARY", summary), ("DESCRIPTION", text), ("X-NOTE", text)):
            event[name] = typed(name, value, shared)
        event.add("SEQUENCE", sequence)
        return bytes(cls.new(prodid="-//t//t//EN", subcomponents=[event], uid="u").to_ical())

    plain = calendar(Calendar, shared=False)
    assert calendar(memo_calendar(memo), shared=True) == plain
    assert calendar(memo_calendar(memo), shared=True) == plain


def test_the_memo_starts_again_past_its_limit_and_writes_the_same() -> None:
    plan = PLANS[0]
    with ics.plain_icalendar():
        plain = ics.plan_calendar(plan, CATALOG.safety_note)
    small = Memo(limit=7)
    with mock.patch.object(ics, "_MEMO", small):
        for _ in range(2):
            assert ics.plan_calendar(plan, CATALOG.safety_note) == plain
        assert len(small._values) <= 7


def test_a_second_calendar_of_a_plan_makes_few_lines_anew() -> None:
    """Lines made again are the calendar's own and each event's UID and DTEND; the texts, start
    times, zone and the rest come from the memo (counted: ``Contentline.from_parts`` calls)."""
    plan, note = PLANS[1], CATALOG.safety_note
    ics.plan_calendar(plan, note)
    with mock.patch.object(Contentline, "from_parts", wraps=Contentline.from_parts) as made:
        body = ics.plan_calendar(plan, note)
    lines = body.count(b"\r\n") - body.count(b"\r\n ")
    assert lines > 10 * len(plan.sessions)
    # A check (baseline test, PSFS check-in: a few a plan) is made with Event.new each time.
    assert made.call_count <= 2 * len(plan.sessions) + 8 + 14 * len(plan.checks)


def test_a_session_outside_the_plans_zone_is_refused_on_both_paths() -> None:
    plan = PLANS[0]
    tokyo = ZoneInfo("Asia/Tokyo")
    odd = dataclasses.replace(plan.sessions[0], start=plan.sessions[0].start.astimezone(tokyo),
                              end=plan.sessions[0].end.astimezone(tokyo))
    bad = dataclasses.replace(plan, sessions=(odd, *plan.sessions[1:]))
    with pytest.raises(ValueError, match="Asia/Tokyo"):
        ics.plan_calendar(bad, CATALOG.safety_note)
    with ics.plain_icalendar(), pytest.raises(ValueError, match="Asia/Tokyo"):
        ics.plan_calendar(bad, CATALOG.safety_note)


def test_an_event_ending_before_it_starts_is_refused_as_icalendar_refuses_it() -> None:
    plan = PLANS[0]
    first = plan.sessions[0]
    bad = dataclasses.replace(plan, sessions=(
        dataclasses.replace(first, end=first.start - dt.timedelta(minutes=1)),
        *plan.sessions[1:]))
    for context in (ics.plain_icalendar(), mock.patch.object(ics, "_plain", False)):
        with context, pytest.raises(InvalidCalendar):
            ics.plan_calendar(bad, CATALOG.safety_note)


@settings(max_examples=80, deadline=None, derandomize=bool(os.environ.get("CI")))
@given(st.sampled_from(sorted(available_timezones())), st.dates(dt.date(1970, 1, 1),
                                                               dt.date(2060, 12, 31)),
       st.integers(1, 900))
@pytest.mark.slow
def test_the_bounded_zone_search_is_icalendars_vtimezone(zone: str, first: dt.date,
                                                         days: int) -> None:
    last = first + dt.timedelta(days=days)
    assert zone_search.timezone(zone, first, last).to_ical() == \
        Timezone.from_tzid(zone, first_date=first, last_date=last).to_ical()


def test_the_bounded_zone_search_stays_out_when_icalendar_builds_zones_otherwise() -> None:
    zone_search._agrees.cache_clear()
    try:
        with mock.patch.object(zone_search, "_REACH", dt.timedelta(days=1)):
            assert not zone_search._agrees()      # stops too early: a probe differs
            with mock.patch.object(Timezone, "from_tzinfo", wraps=Timezone.from_tzinfo) as made:
                zone_search.timezone("UTC", dt.date(2027, 1, 1), dt.date(2028, 1, 1))
            assert not isinstance(made.call_args.args[0], zone_search._Until)
    finally:
        zone_search._agrees.cache_clear()
    assert zone_search._agrees()


def test_the_plans_calendar_is_icalendars_events_and_writes_the_same() -> None:
    """Every session is an icalendar Event in the calendar (counted; no lines spliced in past
    icalendar's writer), and the bytes are the plain path's, for a plan read back from its JSON
    too (new tuples of doses: the identity memos remember them once more)."""
    from planner.store.plan import plan_from_dict

    plan, note = PLANS[0], CATALOG.safety_note
    with ics.plain_icalendar():
        plain = ics.plan_calendar(plan, note)
    ics.plan_calendar(plan, note)
    with mock.patch.object(Event, "__init__", side_effect=Event.__init__, autospec=True) as made:
        assert ics.plan_calendar(plan, note) == plain
    assert made.call_count == len(plan.sessions) + len(plan.checks)
    assert len(Calendar.from_ical(plain).events) == len(plan.sessions) + len(plan.checks)
    again = plan_from_dict(plan.to_dict())
    assert again.sessions[0].exercises is not plan.sessions[0].exercises
    assert ics.plan_calendar(again, note) == plain
