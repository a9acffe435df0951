"""Issue 26 §2: the intake and its triage. Red flags stop the plan from starting (see a doctor,
exit 2, nothing stored but the answers); otherwise a pathway and whether jumps wait for a screen,
by the rules in catalog/intake.toml."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from factories import NOW, RULES, make_profile, one_line_error, run, write_profile
from hypothesis import given
from hypothesis import strategies as st

import cli
from catalog import HERE, default_catalog
from catalog.intake import RED_FLAGS, default_intake, load_intake
from planner import commands
from planner.errors import InputError, SeeADoctor
from planner.store.intake import PLACES, Intake, intake_from_dict
from planner.training.triage import triage

RULES_DATA = default_intake()
TODAY = dt.date(2026, 12, 6)
DAYS = st.none() | st.dates(dt.date(2025, 1, 1), TODAY)
ANSWERS = st.builds(
    Intake, st.lists(st.sampled_from(PLACES), min_size=1, max_size=5, unique=True).map(tuple),
    since=DAYS, surgery=DAYS, injury=DAYS, swelling=st.booleans(), locking=st.booleans(),
    giving_way=st.booleans(), hot_swollen=st.booleans(), night_pain=st.booleans(),
    calf=st.booleans(), fever=st.booleans())


@RULES
@given(answers=ANSWERS)
def test_triage_follows_its_rules(answers: Intake) -> None:
    """Property: a red flag iff one of the six red-flag answers; patellofemoral iff the front of
    the knee hurts; jumps wait iff surgery under 12 weeks, an injury under 6, or swelling."""
    found = triage(answers, RULES_DATA, TODAY)
    flagged = [key for key in RED_FLAGS if getattr(answers, key)]
    assert len(found.red_flags) == len(flagged)
    assert found.pathway == ("patellofemoral" if "front" in answers.where else "general")
    recent = ((answers.surgery is not None and (TODAY - answers.surgery).days < 84)
              or (answers.injury is not None and (TODAY - answers.injury).days < 42))
    assert found.cleared_to_jump is not (recent or answers.swelling)
    said = found.message(RULES_DATA)
    assert said.startswith("See a doctor") is bool(flagged)
    # The answers read back from the profile's table as they were given.
    assert intake_from_dict(answers.to_dict()) == answers


@pytest.mark.parametrize("flag", RED_FLAGS)
def test_a_red_flag_stops_generate_and_stores_nothing(tmp_path: Path, flag: str) -> None:
    profile = write_profile(tmp_path, intake={"where": ["front"], flag: True})
    before = profile.read_bytes()
    db = tmp_path / "plan.db"
    result = run("--db", str(db), "generate", str(profile), "-o", str(tmp_path / "plan.ics"))
    line = one_line_error(result, "See a doctor before starting this plan",
                          RULES_DATA.red_flags[flag])
    assert "nothing was planned" in line
    assert not db.exists() and not (tmp_path / "plan.ics").exists()
    assert profile.read_bytes() == before
    with pytest.raises(SeeADoctor):
        commands.generate(profile, db, None, NOW)


def test_recent_surgery_means_rehab_first(tmp_path: Path) -> None:
    profile = write_profile(tmp_path, intake={"where": ["inside"],
                                              "surgery": dt.date(2026, 11, 1)})
    made = commands.generate(profile, tmp_path / "plan.db", None, NOW)
    assert made.notes[0].startswith("Pathway: general knee strengthening")
    assert "Rehab first" in made.notes[0] and "less than 12 weeks ago" in made.notes[0]
    assert not any(d.kind == "plyometrics" for s in made.plan.sessions for d in s.exercises)
    # Long ago: cleared, jumps planned.
    old = write_profile(tmp_path, intake={"where": ["front"], "surgery": dt.date(2025, 1, 1)})
    again = commands.generate(old, tmp_path / "other.db", None, NOW)
    assert again.notes[0].startswith("Pathway: patellofemoral pain")
    assert any(d.kind == "plyometrics" for s in again.plan.sessions for d in s.exercises)


def _answer(profile: Path, answers: str) -> Result:
    """``periodize intake PROFILE`` answering its questions with ``answers`` (one a line)."""
    return CliRunner().invoke(cli.main, ["intake", str(profile), "--today", "2026-12-06"],
                              input=answers, prog_name="periodize")


def test_the_questions_in_a_terminal_add_the_answers_to_the_profile(tmp_path: Path) -> None:
    profile = write_profile(tmp_path)
    answers = "front\n2026-10-01\nn\nn\nn\nn\nn\nn\nn\nn\n"
    result = _answer(profile, answers)
    assert result.exit_code == 0, result.output
    assert "Pathway: patellofemoral pain" in result.output
    table = make_profile(intake={"where": ["front"], "since": dt.date(2026, 10, 1)}).intake
    assert commands.read_profile(profile, default_catalog()).intake == table
    # Asked again, the profile's answers are read, not asked: the same message, nothing added.
    text = profile.read_text(encoding="utf-8")
    again = run("intake", str(profile), "--today", "2026-12-06")
    assert again.exit_code == 0 and "Pathway: patellofemoral pain" in again.output
    assert profile.read_text(encoding="utf-8") == text


def test_a_red_flag_in_the_terminal_says_see_a_doctor_and_exits_2(tmp_path: Path) -> None:
    profile = write_profile(tmp_path)
    # front; since; no surgery; no injury; swelling no; locking YES; then no to the rest.
    answers = "front\n2026-10-01\nn\nn\nn\ny\nn\nn\nn\nn\n"
    result = _answer(profile, answers)
    assert result.exit_code == 2
    assert "See a doctor before starting this plan: the knee locks" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert "locking = true" in profile.read_text(encoding="utf-8")   # the answers, only
    assert not list(tmp_path.glob("*.db"))


def test_the_intake_table_and_its_rules_are_read_strictly(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"intake\.wher"):
        make_profile(intake={"wher": ["front"]})
    with pytest.raises(InputError, match=r"intake\.where"):
        make_profile(intake={"where": ["knee"]})
    with pytest.raises(InputError, match=r"intake\.locking"):
        make_profile(intake={"where": ["back"], "locking": "yes"})
    folder = tmp_path / "catalog"
    folder.mkdir()
    text = (HERE / "intake.toml").read_text(encoding="utf-8")
    for old, new, field in (("surgery_weeks = 12", "surgery_weeks = 500", "surgery_weeks"),
                            ('front = "patellofemoral"', 'front = "pfp"', "where.front"),
                            ("{flags}", "{flag}", "messages.red_flag")):
        (folder / "intake.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(InputError, match=field.replace(".", r"\.")):
            load_intake(folder)
    shutil.copy(HERE / "intake.toml", folder / "intake.toml")
    assert load_intake(folder) == RULES_DATA
