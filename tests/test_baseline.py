"""Issue 26 §3: the baseline test sets each knee exercise's starting level (rules in
catalog/baseline.toml) and later tests move it down when worse; never up (the logged rule
does). Properties: a worse result never gives a higher level, and every level is on the
exercise's ladder, on the rule alone and through the re-dosing of a whole plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from factories import NOW, RULES, build, make_profile, one_line_error, run, write_profile
from hypothesis import given
from hypothesis import strategies as st

from catalog import default_catalog
from catalog.baseline import HERE, default_baseline, load_baseline
from catalog.monitoring import default_monitoring
from planner import commands
from planner.errors import InputError
from planner.store.database import AthleteLog, open_store
from planner.store.plan import Plan
from planner.training.adapt import adapted
from planner.training.baseline import baseline_levels

TEST = default_baseline()
CATALOG = default_catalog()
LADDERS = {e.id: (e.levels[0].level, e.levels[-1].level) for e in CATALOG.of_kind("strength")}
NAMES = ("stepdowns.left", "stepdowns.right", "sts.left", "sts.right", "pain.squat")


def _results(data: st.DataObject) -> dict[str, float]:
    """A test day's results; each measure recorded or not."""
    return {name: float(data.draw(st.integers(0, 10 if name.startswith("pain.") else 30)))
            for name in NAMES if data.draw(st.booleans())}


def _worse(data: st.DataObject, values: dict[str, float]) -> dict[str, float]:
    """The same measures, each as good or worse: fewer repetitions, more pain."""
    return {name: (min(10.0, v + data.draw(st.integers(0, 10))) if name.startswith("pain.")
                   else max(0.0, v - data.draw(st.integers(0, 30))))
            for name, v in values.items()}


@RULES
@given(data=st.data())
def test_a_worse_baseline_never_gives_a_higher_level(data: st.DataObject) -> None:
    values = _results(data)
    worse = _worse(data, values)
    better, lower = baseline_levels(values, TEST), baseline_levels(worse, TEST)
    # An exercise left out keeps its level (no bound); more pain may bound more of them.
    assert set(better) <= set(lower)
    for exercise, (level, why) in lower.items():
        low, high = LADDERS[exercise]
        assert low <= level <= better.get(exercise, (high, ""))[0] <= high, (exercise, values,
                                                                              worse)
        assert why


def test_the_rules_map_counts_and_pain() -> None:
    assert baseline_levels({"stepdowns.left": 12, "stepdowns.right": 4}, TEST) == {
        "step-down": (0, "4 controlled step downs on the weaker leg")}
    got = baseline_levels({"sts.left": 10, "sts.right": 11}, TEST)
    assert got["split-squat"][0] == 3 and got["reverse-nordic"][0] == 2
    capped = baseline_levels({"sts.left": 20, "sts.right": 20, "pain.squat": 4}, TEST)
    assert {e: lv for e, (lv, _) in capped.items()} == {
        "split-squat": 1, "reverse-nordic": 1, "step-down": 1}
    assert capped["split-squat"][1] == "pain 4/10 during the single-leg squat"
    assert baseline_levels({"pain.squat": 3}, TEST) == {}        # below the first cap
    assert baseline_levels({"pain.squat": 7}, TEST)["step-down"][0] == 0


_PLAN: dict[str, Plan] = {}


def _levels(plan: Plan, exercise: str) -> list[int]:
    found = CATALOG.exercise(exercise)
    return [d.level for s in plan.sessions for d in s.exercises
            if d.kind == "strength" and CATALOG.of_dose(d.name) is found]


@pytest.mark.slow
@RULES
@given(data=st.data())
def test_through_the_re_dosing_a_worse_baseline_never_gives_a_higher_level(
        data: st.DataObject) -> None:
    """Property over a whole plan: a test before week 1 and one in week 5, each made worse,
    never gives any session a higher level of any strength exercise; every level stays on its
    ladder and never above the plan's own."""
    profile = make_profile(level="intermediate")
    plan = _PLAN.setdefault("plan", build(profile))
    days = (plan.start - dt.timedelta(days=1), plan.start + dt.timedelta(days=29))
    first, second = _results(data), _results(data)
    worse_first, worse_second = _worse(data, first), _worse(data, second)

    def redosed(a: dict[str, float], b: dict[str, float]) -> Plan:
        log = AthleteLog(measures=tuple((d, n, v) for d, vals in zip(days, (a, b), strict=True)
                                        for n, v in sorted(vals.items())))
        return adapted(plan, profile, CATALOG, default_monitoring(), log)

    better, lower = redosed(first, second), redosed(worse_first, worse_second)
    for exercise, (low, high) in LADDERS.items():
        ours, theirs, planned = (_levels(better, exercise), _levels(lower, exercise),
                                 _levels(plan, exercise))
        assert all(low <= w <= b <= p <= high for w, b, p in zip(theirs, ours, planned,
                                                                 strict=True)), exercise


@pytest.mark.slow
def test_a_low_baseline_starts_low_and_the_rule_raises_it(tmp_path: Path) -> None:
    """Recorded through the CLI before week 1: step downs 4 on the weaker leg put the step down
    at level 0 from week 1 (the plan had 1); as the forecast meets its rule twice, it rises."""
    db = tmp_path / "plan.db"
    commands.generate(write_profile(tmp_path), db, None, NOW)
    with open_store(db) as store:
        plan = store.current().plan
    day = str(plan.start - dt.timedelta(days=1))
    made = run("--db", str(db), "measure", day, "stepdowns.left=12", "stepdowns.right=4",
               "sts.left=7", "sts.right=8", "pain.squat=1", "--today", day)
    assert made.exit_code == 0, made.output
    assert ("-> levels at most: step down 0 (4 controlled step downs on the weaker leg); split "
            "squat 2 (7 single-leg sit-to-stands on the weaker leg)") in made.output
    with open_store(db) as store:
        now = store.current().plan
    before, after = _levels(plan, "step-down"), _levels(now, "step-down")
    assert before[0] == 1 and after[0] == 0
    assert after[2] == 1 and all(a <= b for a, b in zip(after, before, strict=True))
    first = next(s for s in now.sessions if "strength" in s.kinds)
    assert any("baseline test on" in n for n in first.notes), first.notes
    status = run("--db", str(db), "status", "--today", day)
    assert "Baseline tests:" in status.output
    assert "levels at most: step down 0" in status.output
    page = tmp_path / "plan.html"
    assert run("--db", str(db), "report", "-o", str(page), "--today", day).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "<h2>Baseline tests</h2>" in html and "12 / 4" in html
    # Undoable as a log entry: undo takes the measurements and their levels back, redo again.
    undone = run("--db", str(db), "undo")
    assert undone.exit_code == 0 and f"Undone: measured on {day};" in undone.output
    with open_store(db) as store:
        assert store.measures(plan.plan_id) == []
        assert _levels(store.current().plan, "step-down") == before
    assert run("--db", str(db), "redo").exit_code == 0
    with open_store(db) as store:
        assert len(store.measures(plan.plan_id)) == 5
        assert _levels(store.current().plan, "step-down") == after


@pytest.mark.parametrize("pair", ["sts.middle=5", "sts.left=2.5", "sts.left=51"])
def test_a_bad_baseline_measure_is_one_line(tmp_path: Path, pair: str) -> None:
    db = tmp_path / "plan.db"
    commands.generate(write_profile(tmp_path), db, None, NOW)
    one_line_error(run("--db", str(db), "measure", "2026-12-01", pair, "--today", "2026-12-01"),
                   pair.partition("=")[0] if pair != "sts.middle=5" else "MEASURE")


@pytest.mark.parametrize(("old", "new", "field"), [
    ('exercise = "step-down"', 'exercise = "step-up"', "rules[0].exercise"),
    ("at_least = [5, 10, 15, 20]", "at_least = [5, 10, 10, 20]", "rules[0].at_least"),
    ("at_least = [5, 10, 15, 20]", "at_least = [5, 10, 15, 20, 25, 30, 35]",
     "rules[0].at_least"),
    ('measure = "stepdowns"', 'measure = "hops"', "rules[0].measure"),
    ("{ at = 6, level = 0 }", "{ at = 6, level = 2 }", "pain.caps"),
    ("minutes = 25", "minutes = 5", "minutes"),
])
def test_the_rules_file_is_read_strictly(tmp_path: Path, old: str, new: str,
                                         field: str) -> None:
    text = (HERE / "baseline.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "baseline.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError, match=field.replace(".", r"\.").replace("[", r"\[")):
        load_baseline(LADDERS, path)
    assert load_baseline(LADDERS) == TEST
