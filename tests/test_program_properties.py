"""Property tests over random athletes (level, days, equipment, 1-52 weeks): every plan keeps the
recovery rules (independent validator), the workload rule, never prescribes equipment the
athlete lacks (and names the substitute), never steps a level back, and is what re-dosing by an
empty log gives back (``planner.training.adapt.adapted`` skips re-dosing a plan nobody logged)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from factories import acwr_spikes, build, weekly_volume
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import ATHLETE_LEVELS, default_catalog
from catalog.monitoring import default_monitoring
from planner.errors import NoPlanPossible
from planner.store.database import AthleteLog
from planner.store.profile import BOX_HEIGHTS, STEP_HEIGHTS, profile_from_dict
from planner.training.adapt import adapt
from planner.training.dosing import starting_base
from planner.training.validate import check_plan

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FLAGS = ("bench", "band", "dumbbells", "slant_board")
PROPERTY = settings(max_examples=10, deadline=None, derandomize=True, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _names() -> dict[str, tuple[list[tuple[str, ...]], bool]]:
    """Dose name -> (equipment of each level it can stand for, whether it is a substitute)."""
    found: dict[str, tuple[list[tuple[str, ...]], bool]] = {}
    for e in default_catalog().exercises:
        for lv in e.levels:
            own = (lv.name if e.kind == "plyometrics" else e.name if len(e.levels) == 1
                   else f"{e.name}: {lv.name}")
            found.setdefault(own, ([], False))[0].append(lv.equipment)
            if lv.substitute is not None:
                found.setdefault(f"{e.name}: {lv.substitute.name}", ([], True))[0].append(
                    lv.equipment)
    return found


NAMES = _names()


@st.composite
def athletes(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(st.sets(st.sampled_from(DAYS), min_size=2, max_size=7))
    raw: dict[str, Any] = {
        "timezone": "Europe/London", "start": dt.date(2027, 1, 4),
        "weeks": draw(st.one_of(st.integers(1, 10), st.integers(11, 20), st.just(52))),
        "level": draw(st.sampled_from(ATHLETE_LEVELS)), "rest_days": [],
        "availability": {d: ["17:00-21:00"] for d in sorted(days)},
        "plyometrics": {"sessions_per_week": [draw(st.integers(1, 2)), 3]},
        "strength": {"sessions_per_week": [draw(st.integers(1, 2)), 3]},
        "warmup": draw(st.booleans()),
    }
    if draw(st.booleans()):
        raw["equipment"] = {
            "steps_cm": sorted(draw(st.sets(st.sampled_from(STEP_HEIGHTS)))),
            "boxes_cm": sorted(draw(st.sets(st.sampled_from(BOX_HEIGHTS)))),
            **{flag: draw(st.booleans()) for flag in FLAGS}}
    return raw


@pytest.mark.slow
def test_random_athletes_get_plans_a_physiotherapist_would_sign() -> None:
    outcomes: list[bool] = []

    @PROPERTY
    @given(athletes())
    def check(raw: dict[str, Any]) -> None:
        profile = profile_from_dict(raw)
        try:
            plan = build(profile)
        except NoPlanPossible as exc:
            assert "\n" not in str(exc)
            outcomes.append(False)
            return
        outcomes.append(True)
        assert check_plan(plan, profile) == []
        catalog = default_catalog()
        assert adapt(plan, profile, catalog, default_monitoring(), AthleteLog()) == (
            plan, frozenset()), "re-dosing by an empty log changes the plan"
        for measure in ("contacts", "strength"):
            assert acwr_spikes(weekly_volume(plan, measure),
                           starting_base(catalog, profile.level, measure)) == [], measure
        have = profile.equipment
        top: dict[str, int] = {}
        for s in sorted(plan.sessions, key=lambda s: s.start):
            for d in s.exercises:
                options, substitute = NAMES[d.name]
                if have is None:
                    assert not substitute, d.name
                elif substitute:          # says what it replaces and which item is missing
                    assert "Substitute for" in d.cue, d.cue
                    assert any(item in d.cue for needs in options for item in needs
                               if item not in have), d.cue
                else:
                    assert any(set(needs) <= have for needs in options), (d.name, sorted(have))
                if d.kind == "strength":
                    key = d.name.split(":")[0]
                    assert d.level >= top.get(key, 0), (d.name, d.level, top.get(key))
                    top[key] = d.level

    check()
    assert sum(outcomes) >= len(outcomes) * 3 // 4, f"only {sum(outcomes)} of {len(outcomes)}"
