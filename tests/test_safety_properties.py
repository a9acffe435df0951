"""The plan's answer to the athlete's log, held to what a physiotherapist would sign (issue 23).

Each invariant of ``planner.training.adapt`` (its module docstring states them) is checked here
with hypothesis over random logs, and each example of the issue as a test of its own:

1. A worse log never gets a lighter answer (monotone), and pain >= 7 pauses jumps and sends every
   strength exercise to its lowest level, with no rise while the red flag stands.
2. The pain-monitoring model, whole: unsettled mornings hold, a rising weekly trend eases, the
   level rule's "next morning" is read from the logged morning, persistent pain sends to a
   professional.
3. Jumps need the strength to land them (a gate per drill, in the catalogue).
4. Real workload after a pause (weeks of zeros count; a stated re-entry rule).
5. Silence is not success: a level rises only on logged evidence (``as_of``).
6. Rehab first caps strength too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from factories import RULES as RULE_SETTINGS
from factories import build, make_profile
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import default_catalog
from catalog.monitoring import default_monitoring
from planner.errors import InputError
from planner.store.database import AthleteLog, LogEntry
from planner.store.plan import Plan, Session
from planner.store.profile import Profile, profile_from_dict
from planner.training.adapt import UNLOGGED_ASK, adapt, adapted, unloaded_top

MONITORING = default_monitoring()
CATALOG = default_catalog()
STRENGTH = tuple(e.id for e in CATALOG.of_kind("strength"))
PROFILE = make_profile()
FORECAST = build(PROFILE)
DAYS = [s.start.date() for s in FORECAST.sessions]
STRENGTH_DAYS = [s.start.date() for s in FORECAST.sessions if "strength" in s.kinds]


def levels(s: Session) -> dict[str, int]:
    """Exercise id -> level, for the strength exercises of a session."""
    found = {}
    for dose in s.exercises:
        exercise = CATALOG.of_dose(dose.name)
        if dose.kind == "strength" and exercise is not None:
            found[exercise.id] = dose.level
    return found


def on(plan: Plan, day: dt.date) -> Session:
    return next(s for s in plan.sessions if s.start.date() == day)


def redosed(log: AthleteLog, profile: Profile = PROFILE, as_of: dt.date | None = None) -> Plan:
    return adapt(FORECAST, profile, CATALOG, MONITORING, log, as_of)[0]


def met(day: dt.date, pain: int | None = 2, rpe: int | None = None) -> LogEntry:
    return LogEntry(day, "done", None, rpe, pain)


# --- 1. the red flag --------------------------------------------------------------------------


def test_pain_8_sends_every_strength_exercise_to_its_lowest_level_and_holds_it() -> None:
    """Issue 23 §1: at level 1, pain 6 eased to level 0 but pain 8 left level 1."""
    first = STRENGTH_DAYS[0]
    plan = redosed(AthleteLog((LogEntry(first, "done", None, 5, 8),)))
    later = [s for s in plan.sessions if s.start.date() > first and "strength" in s.kinds]
    lowest = {e.id: e.levels[0].level for e in CATALOG.of_kind("strength")}
    assert later and all(levels(s) == lowest for s in later), [levels(s) for s in later]
    assert all(MONITORING.red_flag in s.notes for s in plan.sessions if s.start.date() > first)
    assert not any(s.foot_contacts for s in plan.sessions if s.start.date() > first)


def test_no_strength_level_rises_while_the_red_flag_stands() -> None:
    """The red flag of week 1, then every later strength session logged with every rule met:
    strength stays at the regression (before: level 4 by week 7)."""
    first = STRENGTH_DAYS[0]
    log = AthleteLog((LogEntry(first, "done", None, 5, 8),
                      *(met(d) for d in STRENGTH_DAYS[1:])))
    plan = redosed(log)
    assert {lv for s in plan.sessions if s.start.date() > first
            for lv in levels(s).values()} == {0}


# --- 5. silence is not success ----------------------------------------------------------------


def test_past_sessions_without_a_log_neither_advance_nor_regress() -> None:
    """As of the plan's last day, nothing logged: every strength exercise stays at week 1's
    level; the same plan as a forecast (as_of None) climbs as the template does."""
    end = FORECAST.end
    held = redosed(AthleteLog(), as_of=end)
    start = levels(next(s for s in FORECAST.sessions if "strength" in s.kinds))
    assert all(levels(s) == start for s in held.sessions if "strength" in s.kinds)
    assert max(lv for s in FORECAST.sessions for lv in levels(s).values()) > max(start.values())
    assert redosed(AthleteLog()) == FORECAST
    assert adapted(FORECAST, PROFILE, CATALOG, MONITORING, AthleteLog()) == FORECAST


def test_the_user_may_choose_calendar_progression() -> None:
    chosen = dataclasses.replace(PROFILE, progress_without_logs=True)
    assert redosed(AthleteLog(), chosen, as_of=FORECAST.end) == FORECAST


def test_two_unlogged_sessions_ask_for_the_log_in_one_line() -> None:
    as_of = DAYS[UNLOGGED_ASK - 1]
    plan = redosed(AthleteLog(), as_of=as_of)
    asked = [s for s in plan.sessions if any("have no log" in n for n in s.notes)]
    assert asked and all(s.start.date() > as_of for s in asked)
    assert [s.start.date() for s in asked] == [d for d in DAYS if d > as_of]
    note = next(n for n in asked[0].notes if "have no log" in n)
    assert "\n" not in note and "periodize done DATE" in note
    logged = redosed(AthleteLog(tuple(met(d) for d in DAYS[:UNLOGGED_ASK])), as_of=as_of)
    assert not any("have no log" in n for s in logged.sessions for n in s.notes)


def test_done_without_options_is_a_log_with_every_rule_met() -> None:
    as_of = STRENGTH_DAYS[3]
    log = AthleteLog(tuple(LogEntry(d, "done", None) for d in STRENGTH_DAYS[:4]))
    plan = redosed(log, as_of=as_of)
    assert levels(on(plan, STRENGTH_DAYS[4])) == levels(on(FORECAST, STRENGTH_DAYS[4]))


@settings(RULE_SETTINGS)
@given(st.lists(st.sampled_from(STRENGTH_DAYS), unique=True, max_size=len(STRENGTH_DAYS)),
       st.sampled_from(DAYS))
def test_no_level_rises_without_logged_evidence(logged: list[dt.date], as_of: dt.date) -> None:
    """Up to ``as_of``, a strength level above the last one rises only after two sessions
    logged (done, the rule met) in a row at the level below; unlogged ones neither count nor
    break the run."""
    log = AthleteLog(tuple(sorted((met(d) for d in logged), key=lambda e: e.day)))
    plan = redosed(log, as_of=as_of)
    days = set(logged)
    for exercise in STRENGTH:
        history = [(s.start.date(), levels(s)[exercise]) for s in plan.sessions
                   if "strength" in s.kinds and s.start.date() <= as_of]
        for i in range(1, len(history)):
            if history[i][1] > history[i - 1][1]:
                evidence = [d for d, lv in history[:i] if d in days and lv == history[i - 1][1]]
                assert len(evidence) >= 2, (exercise, history[i], evidence)


# --- 6. rehab first ---------------------------------------------------------------------------


def test_rehab_first_starts_strength_at_the_regression_and_holds_below_load() -> None:
    advanced = make_profile(level="advanced", cleared_to_jump=False)
    forecast = build(advanced)
    days = [s.start.date() for s in forecast.sessions if "strength" in s.kinds]
    log = AthleteLog(tuple(met(d) for d in days))
    plan = adapt(forecast, advanced, CATALOG, MONITORING, log, forecast.end)[0]
    first = levels(next(s for s in plan.sessions if "strength" in s.kinds))
    assert set(first.values()) == {0}, first
    tops = {e.id: unloaded_top(e) for e in CATALOG.of_kind("strength")}
    for s in plan.sessions:
        for exercise, level in levels(s).items():
            assert level <= tops[exercise], (s.start, exercise, level)
            assert CATALOG.exercise(exercise).at(level).steps[1] == 0


def test_progress_without_logs_is_read_strictly() -> None:
    assert make_profile(progress_without_logs=True).progress_without_logs
    assert not PROFILE.progress_without_logs
    with pytest.raises(InputError) as wrong:
        make_profile(progress_without_logs="yes")
    assert str(wrong.value).startswith("progress_without_logs: 'yes' is not accepted; ")
    assert "\n" not in str(wrong.value)
    chosen = make_profile(progress_without_logs=True)
    assert profile_from_dict(chosen.to_dict()) == chosen
