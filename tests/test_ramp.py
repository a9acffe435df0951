"""The workload rule [Gabbett 2016]: no week's jump contacts, nor its strength volume, above 1.3 x
the average of the four weeks before it (deloads counted; before the plan, the level's starting
base). Checked here on finished plans with arithmetic of its own."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from factories import NOW, acwr_spikes, make_profile, weekly_volume
from icalendar import Calendar, Event

from catalog import ATHLETE_LEVELS, default_catalog
from planner.calendars.busy_sources import read_busy
from planner.store.profile import Profile
from planner.training.dosing import (
    contact_caps,
    session_doses,
    starting_base,
    strength_volume,
)
from planner.training.workload import WeekLoad, workload_ceiling
from planner.workflows.generate import build_plan

LONDON = ZoneInfo("Europe/London")
EVENINGS = {d: ["18:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
WEEKS = {"2-day": ("mon", "thu"), "3-day": ("mon", "wed", "fri"),
         "5-day": ("mon", "tue", "wed", "thu", "fri")}


def profile_for(level: str, days: tuple[str, ...], weeks: int) -> Profile:
    return make_profile(level=level, weeks=weeks, rest_days=[],
                        availability={d: ["17:00-21:00"] for d in days},
                        plyometrics={"sessions_per_week": [1, 3]},
                        strength={"sessions_per_week": [1, 3]})


def test_the_ceiling_is_a_rolling_four_week_average() -> None:
    assert workload_ceiling([], 100) == pytest.approx(130)
    assert workload_ceiling([100, 100, 100, 60], 0) == pytest.approx(1.3 * 90)   # deload counts
    assert workload_ceiling([1000, 10, 20, 30, 40], 0) == pytest.approx(1.3 * 25)  # four only
    assert workload_ceiling([200], 100) == pytest.approx(1.3 * 125)               # base fills


@pytest.mark.parametrize("level", ATHLETE_LEVELS)
def test_the_starting_base_is_week_one_at_that_level(level: str) -> None:
    catalog = default_catalog()
    one = session_doses(catalog, level, 1, "jumps", True)
    assert starting_base(catalog, level, "contacts") == 2 * sum(d.foot_contacts or 0 for d in one)
    lift = session_doses(catalog, level, 1, "strength", True)
    assert starting_base(catalog, level, "strength") == 2 * strength_volume(lift)


def test_the_beginner_template_itself_needs_no_cap() -> None:
    """The template is written to the rule; other levels may get a cap from whole sets."""
    catalog = default_catalog()
    weeks = [WeekLoad(w.number, w.number, w.plyo_sessions) for w in catalog.weeks]
    assert contact_caps(catalog, "beginner", weeks) == {}


@pytest.mark.parametrize("level", ATHLETE_LEVELS)
@pytest.mark.parametrize("days", sorted(WEEKS))
def test_every_eight_week_plan_keeps_the_workload_rule(level: str, days: str) -> None:
    catalog = default_catalog()
    plan = build_plan(profile_for(level, WEEKS[days], 8), catalog, [], NOW)[0]
    for measure in ("contacts", "strength"):
        volumes = weekly_volume(plan, measure)
        assert acwr_spikes(volumes, starting_base(catalog, level, measure)) == [], (
            measure, volumes)


@pytest.mark.parametrize("level", ATHLETE_LEVELS)
def test_a_52_week_plan_keeps_the_workload_rule(level: str) -> None:
    catalog = default_catalog()
    plan = build_plan(profile_for(level, WEEKS["3-day"], 52), catalog, [], NOW)[0]
    for measure in ("contacts", "strength"):
        volumes = weekly_volume(plan, measure)
        assert acwr_spikes(volumes, starting_base(catalog, level, measure)) == [], measure
        assert all(volumes), f"{measure}: a week without any"


def test_a_capped_session_never_rounds_above_its_cap() -> None:
    catalog = default_catalog()
    for program_week in range(1, 17):
        for cap in range(30, 101, 7):
            doses = session_doses(catalog, "beginner", program_week, "jumps", True, cap)
            assert sum(d.foot_contacts or 0 for d in doses) <= cap
        # The documented floor: one set of each strength exercise (80 with the hip work).
        floor = strength_volume([dataclasses.replace(d, sets=1) for d in session_doses(
            catalog, "beginner", program_week, "strength", True) if d.kind == "strength"])
        assert floor == 80
        for cap in range(floor, 200, 13):
            doses = session_doses(catalog, "beginner", program_week, "strength", True,
                                  strength_cap=cap)
            assert strength_volume(doses) <= cap


def test_done_volume_counts_in_its_week() -> None:
    catalog = default_catalog()
    base = starting_base(catalog, "beginner", "contacts")
    # 150 already done in week 1 and two sessions to come: only what fits under 1.3 x base.
    caps = contact_caps(catalog, "beginner", [WeekLoad(1, 1, 2, done=150)])
    assert caps == {1: (int(1.3 * base) - 150) // 2}


def _busy_week(tmp_path: Path) -> Path:
    """Every weekday evening of week 2 (11-15 Jan 2027) taken: only Saturday is left."""
    stamp = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    events = [Event.new(uid=f"late-{d}@example.org", stamp=stamp, summary="Late shift",
                        start=dt.datetime(2027, 1, d, 17, 0, tzinfo=LONDON),
                        end=dt.datetime(2027, 1, d, 22, 0, tzinfo=LONDON))
              for d in range(11, 16)]
    calendar = Calendar.new(prodid="-//tests//EN", uid="busy-week", subcomponents=events)
    calendar.add_missing_timezones()
    path = tmp_path / "shifts.ics"
    path.write_bytes(calendar.to_ical())
    return path


def test_the_weeks_after_a_short_week_ramp_back_under_the_rule(tmp_path: Path) -> None:
    catalog = default_catalog()
    profile = make_profile(availability=EVENINGS, plyometrics={"sessions_per_week": [1, 3]},
                           strength={"sessions_per_week": [1, 3]})
    free = weekly_volume(build_plan(profile, catalog, [], NOW)[0], "contacts")
    busy = read_busy(profile, [_busy_week(tmp_path)])
    short = weekly_volume(build_plan(profile, catalog, busy, NOW)[0], "contacts")
    assert short[1] < free[1], "the shifts must shorten week 2"
    assert acwr_spikes(short, starting_base(catalog, "beginner", "contacts")) == []
