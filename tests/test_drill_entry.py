"""A drill's first appearance is at its entry level (issue 23 §3): whatever the declared level, no
continuous squat jumps in an advanced athlete's week 1; no drill is new in a deload or taper
week; the hardest drills (the catalogue's top intensity) are never new in the plan's
highest-volume week. Held as a property over random athletes (level, weeks, sessions a week,
rehab first then cleared on a random day, rules not met for a while: the gates hold drills back
and let them in later) and by examples."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from factories import build
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import ATHLETE_LEVELS, INTENSITIES, default_catalog
from catalog.monitoring import default_monitoring
from planner.errors import NoPlanPossible
from planner.store.database import AthleteLog, LogEntry
from planner.store.plan import Plan
from planner.store.profile import profile_from_dict
from planner.training.adapt import adapted
from planner.training.program import drill_level

CATALOG = default_catalog()
RULES = default_monitoring()
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HARDEST = INTENSITIES[-1]
PROPERTY = settings(max_examples=25, deadline=None, derandomize=True, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def first_appearances(plan: Plan, restarted: bool = False) -> dict[str, tuple[int, int, int]]:
    """Each jump drill's first session: (exercise id) -> (plan week, program week, level).
    ``restarted`` (rehab first, cleared by a screen): the block starts at its week 1 with the
    first jump session, whatever the plan week (``planner.training.adapt``)."""
    found: dict[str, tuple[int, int, int]] = {}
    jumping = [s.week for s in plan.sessions if s.foot_contacts]
    for s in sorted(plan.sessions, key=lambda s: s.start):
        block_week = s.week - min(jumping) + 1 if restarted and jumping else s.program_week
        for d in s.exercises:
            exercise = CATALOG.of_dose(d.name) if d.kind == "plyometrics" else None
            if exercise is not None and exercise.id not in found:
                found[exercise.id] = (s.week, block_week, d.level)
    return found


def program_phase(week: int) -> str:
    return CATALOG.weeks[(week - 1) % len(CATALOG.weeks)].phase


def broken(plan: Plan, restarted: bool = False) -> list[str]:
    """Every first appearance that breaks the rules above, in words."""
    contacts: dict[int, int] = {}
    for s in plan.sessions:
        contacts[s.week] = contacts.get(s.week, 0) + (s.foot_contacts or 0)
    top = max(contacts.values(), default=0)
    problems = []
    for drill, (week, program_week, level) in first_appearances(plan, restarted).items():
        exercise = CATALOG.exercise(drill)
        if level != exercise.levels[0].level:
            problems.append(f"{drill} first at level {level} in week {week}")
        if exercise.role != "warmup" and program_phase(program_week) in ("deload", "taper"):
            problems.append(f"{drill} new in week {week}, a {program_phase(program_week)} week")
        if exercise.intensity == HARDEST and contacts[week] == top:
            problems.append(f"{drill} new in week {week}, the highest-volume week ({top})")
    return problems


@st.composite
def athletes(draw: st.DrawFn) -> tuple[dict[str, Any], AthleteLog]:
    days = draw(st.sets(st.sampled_from(DAYS), min_size=3, max_size=7))
    cleared = draw(st.booleans())
    raw: dict[str, Any] = {
        "timezone": "Europe/London", "start": dt.date(2027, 1, 4),
        "weeks": draw(st.one_of(st.integers(1, 10), st.integers(11, 20))),
        "level": draw(st.sampled_from(ATHLETE_LEVELS)), "rest_days": [],
        "availability": {d: ["17:00-21:00"] for d in sorted(days)},
        "plyometrics": {"sessions_per_week": sorted(draw(st.lists(st.integers(1, 3),
                                                                  min_size=2, max_size=2)))},
        "cleared_to_jump": cleared,
        "strength_day_after_jumps": draw(st.booleans()),
    }
    # Rules not met for the first N days hold the gates, then every rule is met; rehab first:
    # a passed screen on a random day (a settled morning) clears the athlete.
    unmet = draw(st.integers(0, 40))
    screen = raw["start"] + dt.timedelta(days=draw(st.integers(0, 60)))
    return raw, AthleteLog(
        sessions=tuple(LogEntry(raw["start"] + dt.timedelta(days=n), "done", None,
                                not_met=("step-down", "split-squat")) for n in range(unmet)),
        screens=() if cleared else ((screen, True),),
        mornings=() if cleared else ((screen, 1),))


def logged_plan(raw: dict[str, Any], log: AthleteLog) -> Plan | None:
    profile = profile_from_dict(raw)
    try:
        forecast = build(profile)
    except NoPlanPossible:
        return None
    days = {s.start.date() for s in forecast.sessions}
    log = AthleteLog(sessions=tuple(e for e in log.sessions if e.day in days),
                     screens=log.screens, mornings=log.mornings)
    return adapted(forecast, profile, CATALOG, RULES, log)


@pytest.mark.slow
def test_every_drill_first_appears_at_its_entry_level_and_never_in_a_light_or_peak_week() -> None:
    plans: list[bool] = []

    @PROPERTY
    @given(athletes())
    def check(case: tuple[dict[str, Any], AthleteLog]) -> None:
        plan = logged_plan(*case)
        plans.append(plan is not None)
        if plan is not None:
            restarted = not case[0]["cleared_to_jump"]
            assert broken(plan, restarted) == [], (case, broken(plan, restarted))

    check()
    assert sum(plans) >= len(plans) // 2, f"only {sum(plans)} plans of {len(plans)}"


@pytest.mark.parametrize("level", ATHLETE_LEVELS)
def test_an_advanced_athletes_week_1_is_at_entry_level_and_climbs_after(level: str) -> None:
    """No continuous squat jumps in week 1 whatever the level; the level then sets the pace:
    a beginner stays at entry level in the first block, an intermediate athlete is at level 1
    the next week, an advanced one at level 2 the week after that."""
    plan = build(profile_from_dict({"timezone": "Europe/London", "start": dt.date(2027, 1, 4),
                                    "level": level, "availability": {
                                        d: ["17:00-21:00"] for d in DAYS}}))
    assert broken(plan) == []
    week1 = next(s for s in plan.sessions if s.week == 1 and s.foot_contacts)
    names = [d.name for d in week1.exercises if d.kind == "plyometrics"]
    assert "Continuous squat jumps" not in names and "Small squat jump, stuck landing" in names
    squat = [drill_level(CATALOG, level, w, "squat-jump") for w in (1, 2, 3)]
    assert squat == {"beginner": [0, 0, 0], "intermediate": [0, 1, 1],
                     "advanced": [0, 1, 2]}[level]


def test_a_deload_or_taper_week_holds_every_drill_at_its_level() -> None:
    for level in ATHLETE_LEVELS:
        for week in range(2, 25):
            if program_phase(week) in ("deload", "taper"):
                for drill in CATALOG.weeks[(week - 1) % 8].drills:
                    assert (drill_level(CATALOG, level, week, drill)
                            == drill_level(CATALOG, level, week - 1, drill)), (level, week, drill)


def test_the_checker_sees_a_drill_new_above_entry_or_in_a_deload_week() -> None:
    """The property's checker can fail: a plan whose week 1 squat jumps are continuous, and one
    whose box jumps are first given in the deload week."""
    from dataclasses import replace

    plan = build(profile_from_dict({"timezone": "Europe/London", "start": dt.date(2027, 1, 4),
                                    "availability": {d: ["17:00-21:00"] for d in DAYS}}))
    first = next(s for s in plan.sessions if s.foot_contacts)
    raised = replace(first, exercises=tuple(
        replace(d, level=2) if d.kind == "plyometrics" and "quat" in d.name else d
        for d in first.exercises))
    assert any("squat-jump first at level 2" in p for p in broken(replace(
        plan, sessions=tuple(raised if s is first else s for s in plan.sessions))))
    late = tuple(s for s in plan.sessions if not (s.program_week == 3 and s.foot_contacts))
    assert any("box-jump new in week 4, a deload week" in p
               for p in broken(replace(plan, sessions=late)))
