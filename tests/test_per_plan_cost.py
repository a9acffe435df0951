"""What makes a plan cheaper in a batch changes no byte of it: the folding workaround folds as
icalendar does, the typical week is solved once per week shape and is the week a fresh solve
gives, and candidate starts on days without a clock change are the ones the UTC round trip
gives. Work is counted (solves, calls), never timed."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from typing import Any
from unittest import mock

import pytest
from factories import NOW, make_profile
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar.parser import content_line, string

import planner.workflows.generate as generate
from catalog import default_catalog
from planner.calendars.export.ics import plan_calendar
from planner.calendars.export.ics_folding import fold, use_fast_folding
from planner.scheduling.availability import Slots, WindowDay, candidates, slots
from planner.scheduling.model import ModelInput, PlanModel, Rule
from planner.scheduling.solve import solve
from planner.training.dosing import durations
from planner.training.program import demand

CATALOG = default_catalog()
SETTINGS = settings(max_examples=300, deadline=None, derandomize=bool(os.environ.get("CI")))
# Lines like a calendar's: mostly ASCII, with escapes (\, ^ and what follows them), and
# characters of two, three and four octets.
LINES = st.text(alphabet=st.sampled_from([*"ab ,;:\\^n", "é", "·", "×", "🦵", "中"]),
                min_size=60, max_size=400)


@SETTINGS
@given(LINES)
def test_fold_is_icalendars_folding(line: str) -> None:
    assert fold(line) == string._foldline(line)


@SETTINGS
@given(st.text(min_size=30, max_size=300).filter(lambda t: "\n" not in t))
def test_fold_is_icalendars_folding_on_any_text(line: str) -> None:
    assert fold(line) == string._foldline(line)


def test_fast_folding_writes_the_same_calendar() -> None:
    plan, _ = generate.build_plan(make_profile(name="Zoë; \\ O'Brien, ^x"), CATALOG, [], NOW)
    with mock.patch.object(content_line, "_foldline", string._foldline), \
            mock.patch("planner.calendars.export.ics_folding.use_fast_folding", return_value=False):
        slow = plan_calendar(plan, CATALOG.safety_note)
        assert vars(content_line)["_foldline"] is string._foldline
        assert use_fast_folding() and use_fast_folding()   # idempotent
        assert vars(content_line)["_foldline"] is fold
        assert plan_calendar(plan, CATALOG.safety_note) == slow
    assert max(len(line) for line in slow.split(b"\r\n")) <= 75


def test_fast_folding_stays_out_when_icalendar_folds_otherwise() -> None:
    def other(line: str, limit: int = 75, fold_sep: str = "\r\n ") -> str:
        return line

    with mock.patch.object(content_line, "_foldline", other), \
            mock.patch.object(string, "_foldline", other):
        assert not use_fast_folding()
        assert vars(content_line)["_foldline"] is other


def test_the_typical_week_is_solved_once_per_week_shape() -> None:
    """Two athletes with the same windows, other zones and start dates, no clock change: one
    solve, and the week a fresh solve gives the second."""
    first = make_profile(name="A", timezone="Europe/Berlin", start=dt.date(2027, 1, 4),
                         availability={"mon": ["06:00-08:00"], "thu": ["17:00-19:30"],
                                       "sat": ["09:00-12:00"], "tue": ["18:00-20:00"]})
    second = dataclasses.replace(first, name="B", timezone="Asia/Tokyo",
                                 start=dt.date(2027, 6, 7))
    assert generate.week_shape(first) == generate.week_shape(second)
    generate._TYPICAL_WEEKS.clear()
    minutes = durations(CATALOG, first)
    demands = [demand(CATALOG, 1, 1, first.plyo_range, first.strength_range)]
    with mock.patch("planner.workflows.generate.solve", wraps=solve) as solves:
        week = generate.typical_week(first, minutes, demands)
        assert generate.typical_week(second, minutes, demands) == week
    assert solves.call_count == 1
    generate._TYPICAL_WEEKS.clear()
    assert generate.typical_week(second, minutes, demands) == week


def test_a_clock_change_in_the_first_week_gives_its_own_shape() -> None:
    before = make_profile(timezone="Europe/London", start=dt.date(2027, 3, 22))   # 28 March
    after = dataclasses.replace(before, start=dt.date(2027, 4, 5))
    assert generate.week_shape(before) != generate.week_shape(after)
    assert generate.week_shape(before)[1] == ("Europe/London", dt.date(2027, 3, 22))


@settings(max_examples=25, deadline=None, derandomize=bool(os.environ.get("CI")))
@given(st.sampled_from(("Europe/London", "America/New_York", "Australia/Lord_Howe", "UTC")),
       st.dates(dt.date(2027, 1, 1), dt.date(2027, 12, 31)))
@pytest.mark.slow
def test_candidates_without_a_clock_change_match_the_utc_round_trip(
        zone: str, start: dt.date) -> None:
    profile = make_profile(timezone=zone, start=start, weeks=2, rest_days=[],
                           availability={d: ["00:00-24:00"] for d in ("mon", "wed", "sun")}
                           | {"tue": ["05:30-09:00", "21:00-24:00"]})
    minutes = durations(CATALOG, profile)
    # The first candidate at or after a bound: every half hour from the day before to the day
    # after, and a minute either side of it (bounds are session ends plus rests: any minute).
    day = dt.timedelta(days=1)
    for fast in slots(profile, minutes):
        frame = fast.frame               # the same window and day, made the way a change day is
        slow = Slots(WindowDay(frame.day, frame.date, frame.window, frame.tz, frame.blocked,
                               steady=False), fast.type_key, fast.length)
        assert [fast.at(step) for step in range(fast.steps)] == [
            slow.at(step) for step in range(slow.steps)]
        opens = dt.datetime.combine(fast.date, dt.time(), fast.tz).astimezone(dt.UTC) - day
        bounds = [opens + dt.timedelta(minutes=m) for m in range(0, 3 * 24 * 60, 30)]
        bounds += [b + dt.timedelta(minutes=d) for b in bounds for d in (-1, 1)]
        assert [fast.earliest_from(b) for b in bounds] == [slow.earliest_from(b) for b in bounds]


def test_the_typical_week_model_depends_on_the_shape_only() -> None:
    """The premise of the cache: the same shape builds the same CP-SAT model."""
    first = make_profile(timezone="America/Los_Angeles", start=dt.date(2027, 1, 11))
    second = dataclasses.replace(first, timezone="Australia/Sydney", start=dt.date(2027, 7, 5))
    assert generate.week_shape(first) == generate.week_shape(second)
    protos = []
    for profile in (first, second):
        data = ModelInput(
            start=profile.start, durations={},
            candidates=candidates(profile, durations(CATALOG, profile), (), range(7)),
            demands=[demand(CATALOG, 1, 1, (2, 3), (2, 3))], cyclic=True, spread=True)
        protos.append(str(PlanModel(data).model.proto))
    assert protos[0] == protos[1]


def _clashing_input(overrides: dict[str, Any]) -> ModelInput:
    """The block model's input of a profile with no plan (caught as the solver gets it)."""
    import planner.scheduling.solve as solve_module
    from planner.errors import NoPlanPossible

    seen: list[ModelInput] = []

    def record(data: ModelInput) -> list[object]:
        seen.append(data)
        return []

    profile = make_profile(**{"rest_days": [], **overrides})
    with mock.patch.object(solve_module, "minimal_conflict", side_effect=record), \
            contextlib.suppress(NoPlanPossible):
        generate.build_plan(profile, CATALOG, [], NOW)
    return seen[-1]


def _deletion_by_fresh_models(data: ModelInput) -> list[Rule]:
    """The conflict search by its definition: a fresh explain model and the usual solver for
    every trial."""
    import planner.scheduling.solve as solve_module

    def clash(rules: list[Rule]) -> bool:
        built = PlanModel(data, explain=True)
        built.assume(rules)
        solver = solve_module._solver(solve_module.WORK_LIMIT)
        return solver.status_name(solver.solve(built.model)) == "INFEASIBLE"

    first = PlanModel(data, explain=True)
    first.assume(first.rules)
    solver = solve_module._solver(solve_module.WORK_LIMIT)
    assert solver.status_name(solver.solve(first.model)) == "INFEASIBLE"
    by_index = {lit: rule for rule, lit in first.rules.items()}
    core = sorted((by_index[i] for i in solver.sufficient_assumptions_for_infeasibility()
                   if i in by_index), key=lambda r: (r.week, r.name))
    for rule in list(core):
        trial = [r for r in core if r != rule]
        if trial and clash(trial):
            core = trial
    return core


CLASHING: list[dict[str, Any]] = [
    {"availability": {"thu": ["18:00-20:00"], "sat": ["09:00-10:00"]}},
    {"availability": {"thu": ["18:00-20:00"]}},
    {"availability": {"mon": ["18:00-20:00"], "tue": ["18:00-20:00"]},
     "plyometrics": {"sessions_per_week": [0, 0]}, "strength": {"sessions_per_week": [2, 3]}},
    {"availability": {d: ["18:00-18:30"] for d in ("mon", "wed", "fri", "sat")}}]


@pytest.mark.parametrize("overrides", CLASHING)
def test_the_conflict_search_builds_one_model_and_finds_the_same_rules(
        overrides: dict[str, Any]) -> None:
    """Dropping rules one by one changes only the assumptions of one explain model, and the
    trials are asked of a cheaper solver (a yes-or-no question): the rules named are those of
    the search by its definition, with one build."""
    import planner.scheduling.solve as solve_module

    data = _clashing_input(overrides)
    with mock.patch.object(solve_module, "PlanModel", wraps=PlanModel) as built:
        rules = solve_module.minimal_conflict(data)
    assert built.call_count == 1
    assert rules and rules == _deletion_by_fresh_models(data)


def test_a_trial_the_cheap_solver_leaves_undecided_is_solved_the_usual_way() -> None:
    import planner.scheduling.solve as solve_module

    data = _clashing_input(CLASHING[0])
    expected = solve_module.minimal_conflict(data)
    with mock.patch.object(solve_module, "CHECK_LIMIT", 0.0), \
            mock.patch.object(solve_module, "_solver", wraps=solve_module._solver) as solvers:
        assert solve_module.minimal_conflict(data) == expected
    usual = [c for c in solvers.call_args_list if c.args == (solve_module.WORK_LIMIT,)]
    assert len(usual) >= 1 + len(expected)    # the first solve, then every undecided trial
