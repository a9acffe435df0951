"""Issue 25: limits a physio sets ("no jumps", "contacts <= 80", "strength level <= 3") are hard
rules: in the model (no jump sessions), in the independent validator, and caps on what dosing
and re-dosing prescribe; the athlete sees them as set by the physio."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from factories import NOW, RULES, build, make_profile, one_line_error, run, write_profile
from hypothesis import given
from hypothesis import strategies as st

from catalog import default_catalog
from catalog.monitoring import default_monitoring
from planner import commands
from planner.errors import InputError
from planner.store.database import AthleteLog, open_store
from planner.store.limits import Limits, parse_limits
from planner.store.plan import Plan
from planner.store.profile import Profile
from planner.training.adapt import adapted
from planner.training.validate import check_plan

CATALOG = default_catalog()
PROFILE = make_profile()
FORECAST = build(PROFILE)


def _broken(plan: Plan, limits: Limits) -> list[str]:
    """What the plan's own doses say against the limits (arithmetic of this test's own)."""
    problems = []
    for s in plan.sessions:
        if s.status == "done":
            continue
        if limits.no_jumps and any(d.kind == "plyometrics" for d in s.exercises):
            problems.append(f"{s.start}: jumps")
        if limits.contacts_max is not None and sum(
                d.foot_contacts or 0 for d in s.exercises) > limits.contacts_max:
            problems.append(f"{s.start}: contacts")
        if limits.strength_level_max is not None and any(
                d.kind == "strength" and d.level > limits.strength_level_max
                for d in s.exercises):
            problems.append(f"{s.start}: level")
    return problems


@pytest.mark.parametrize(("texts", "expected"), [
    (["no jumps"], Limits(no_jumps=True)),
    (["No Jump"], Limits(no_jumps=True)),
    (["contacts <= 80"], Limits(contacts_max=80)),
    (["contacts<=80", "contacts \u2264 60"], Limits(contacts_max=60)),
    (["strength level <= 3", "no jumps"], Limits(True, None, 3)),
    ([], Limits()),
])
def test_the_physios_words_are_read(texts: list[str], expected: Limits) -> None:
    assert parse_limits(texts) == expected
    assert parse_limits(expected.words()) == expected


@pytest.mark.parametrize("text", ["jumps", "contacts <= 5", "contacts <= 500",
                                  "strength level <= 7", "contacts < 80", "no jumps please"])
def test_anything_else_is_refused_naming_the_forms(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_limits([text])
    assert repr(text) in str(caught.value) or text in str(caught.value)
    assert "no jumps" in str(caught.value) or "from" in str(caught.value)


LIMITS = st.builds(Limits, st.booleans(), st.none() | st.integers(10, 200),
                   st.none() | st.integers(0, 6))


@pytest.mark.slow
@RULES
@given(limits=LIMITS, pain=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 10)),
                                    max_size=4))
def test_a_redosed_plan_never_breaks_a_limit(limits: Limits,
                                             pain: list[tuple[int, int]]) -> None:
    """Property: whatever the limits and the morning pain logged, the re-dosed plan keeps every
    limit (by this test's arithmetic and by the validator), each session says who set them,
    and no hard rule the forecast kept is broken."""
    profile = dataclasses.replace(PROFILE, limits=limits)
    mornings = tuple(sorted({PROFILE.start + dt.timedelta(days=day): score
                             for day, score in pain}.items()))
    new = adapted(FORECAST, profile, CATALOG, default_monitoring(), AthleteLog(mornings=mornings))
    assert _broken(new, limits) == []
    assert not [p for p in check_plan(new, profile) if "physio" in p]
    if limits:
        assert all(any("set by your physio" in n for n in s.notes) for s in new.sessions)


def test_the_validator_finds_a_broken_limit_on_its_own() -> None:
    limited = dataclasses.replace(PROFILE, limits=Limits(True, 40, 1))
    problems = check_plan(FORECAST, limited)
    assert any("the physio set no jumps" in p for p in problems)
    assert any("over the physio's 40" in p for p in problems)
    assert any("strength level over the physio's 1" in p for p in problems)
    assert check_plan(FORECAST, PROFILE) == []


def test_no_jumps_is_a_hard_rule_in_the_model(tmp_path: Path) -> None:
    """A new plan under "no jumps" places no jump session at all, week minimums or not."""
    made = commands.generate(write_profile(tmp_path, limits={"no_jumps": True}),
                             tmp_path / "plan.db", None, NOW)
    assert made.plan.sessions
    assert not any("plyometrics" in s.kinds for s in made.plan.sessions)
    assert all(s.foot_contacts == 0 for s in made.plan.sessions)


def _revisions(db: Path) -> int:
    with open_store(db) as store:
        return len(store.history())


def test_set_limits_redoses_the_plan_and_generate_keeps_them(tmp_path: Path) -> None:
    profile_path = write_profile(tmp_path)
    db = tmp_path / "plan.db"
    commands.generate(profile_path, db, None, NOW)
    assert commands.limits(db) == Limits()
    done = commands.set_limits(db, ["no jumps", "strength level <= 2"], NOW)
    assert done.revision == 2 and done.limits == Limits(True, None, 2)
    assert any("set by your physio" in line for line in done.changes)
    plan = commands.current_plan(db)
    assert _broken(plan, done.limits) == [] and plan.sessions
    assert commands.limits(db) == done.limits
    # The same limits again: nothing to do.
    assert commands.set_limits(db, ["strength level <= 2", "no jumps"], NOW).revision is None
    # The athlete regenerates from a file without limits: the physio's are kept.
    again = commands.generate(profile_path, db, None, NOW)
    assert not any("plyometrics" in s.kinds for s in again.plan.sessions)
    assert commands.limits(db) == done.limits
    # Lifting "no jumps" from a plan made without jump sessions says how to get them back.
    lifted = commands.set_limits(db, [], NOW)
    assert lifted.limits == Limits() and lifted.note is not None and "replan" in lifted.note


def test_the_cli_shows_sets_and_refuses(tmp_path: Path) -> None:
    db = tmp_path / "plan.db"
    commands.generate(write_profile(tmp_path), db, None, NOW)
    shown = run("limits", "--db", str(db))
    assert shown.exit_code == 0 and "Limits set by the physio: none" in shown.output
    before = _revisions(db)
    bad = run("limits", "contacts <= 5000", "--db", str(db))
    one_line_error(bad, "LIMIT", "contacts <= 5000")
    both = run("limits", "no jumps", "--clear", "--db", str(db))
    one_line_error(both, "--clear")
    assert _revisions(db) == before              # nothing stored by a refused command
    good = run("limits", "contacts <= 50", "--db", str(db))
    assert good.exit_code == 0, good.output
    assert "Limits set by the physio: contacts <= 50" in good.output
    status = run("status", "--db", str(db), "--today", "2027-01-20")
    assert "Limits set by your physio: contacts <= 50" in status.output
    cleared = run("limits", "--clear", "--db", str(db))
    assert cleared.exit_code == 0 and "none" in cleared.output


def test_a_profiles_limits_table_is_read_strictly() -> None:
    assert make_profile(limits={"contacts_max": 60}).limits == Limits(contacts_max=60)
    with pytest.raises(InputError, match=r"limits\.contact_max"):
        make_profile(limits={"contact_max": 60})
    with pytest.raises(InputError, match=r"limits\.strength_level_max"):
        make_profile(limits={"strength_level_max": 9})
    profile: Profile = make_profile(limits={"no_jumps": True})
    assert profile.to_dict()["limits"] == {"no_jumps": True}
    assert profile.plyo_sessions == (0, 0) and PROFILE.plyo_sessions == PROFILE.plyo_range
