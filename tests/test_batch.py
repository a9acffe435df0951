"""Plans for a roster: one store and calendar per athlete planned, a summary for all, bad rows
and impossible weeks recorded without stopping the others, the same plans at any ``jobs``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from factories import NOW

from planner import commands
from planner.errors import InputError
from planner.store.database import open_store
from planner.store.profile import profile_from_dict
from planner.workflows.batch import (
    BAD_INPUT,
    ERROR_KEY,
    NO_PLAN,
    OK,
    BatchSummary,
    read_roster,
    run_batch,
    unique_slugs,
)

ROOT = Path(__file__).parent.parent
HEADER = ("name,timezone,start,level,weeks,rest_days,mon,tue,wed,thu,fri,sat,sun,plyo_min,plyo_max,"
          "strength_day_after_jumps")
ROWS = [  # five athletes: three plannable, one bad time zone, one with only Thursday free
    "Sam Smith,Europe/London,2027-01-04,beginner,8,sun,18:00-20:00,18:30-20:00,"
    "07:00-08:00;18:00-20:00,18:00-20:00,17:30-19:00,09:00-12:00,,,,",
    # Ana's one-hour mornings on days back to back hold no session of both, so her plan needs
    # strength the day after jumps: her choice, in the last column (issue 23 §6).
    "Ana,Europe/Lisbon,2027-01-04,intermediate,,sat;sun,07:00-08:00,07:00-08:00,07:00-08:00,"
    "07:00-08:00,07:00-08:00,,,2,2,true",
    "Bo,Mars/Olympus,2027-01-04,beginner,8,,18:00-20:00,,18:00-20:00,,18:00-20:00,,,,,",
    "Thursday Only,UTC,2027-01-04,beginner,8,,,,,18:00-20:00,,,,,,",
    "Zoë O'Brien,America/New_York,2027-01-04,advanced,6,sun,,06:30-08:00,,06:30-08:00,,"
    "09:00-11:00,,,,",
]
NAMES = ["Sam Smith", "Ana", "Bo", "Thursday Only", "Zoë O'Brien"]
PLANNED = {"Sam Smith": "sam-smith", "Ana": "ana", "Zoë O'Brien": "zoe-o-brien"}


def write_roster(folder: Path, rows: list[str] = ROWS, header: str = HEADER) -> Path:
    path = folder / "roster.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def plans_in(out: Path) -> dict[str, dict[str, Any]]:
    """Each planned athlete's plan as `export --format json` gives it, from its store."""
    plans = {}
    for slug in PLANNED.values():
        with open_store(out / f"{slug}.db") as store:
            plans[slug] = store.current()[0].to_dict()
    return plans


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> tuple[BatchSummary, Path]:
    folder = tmp_path_factory.mktemp("serial")
    calls: list[tuple[int, int]] = []
    summary = run_batch(write_roster(folder), folder / "plans", NOW, jobs=1,
                        progress=lambda done, total: calls.append((done, total)))
    assert calls == [(n, 5) for n in range(1, 6)]
    return summary, folder / "plans"


def test_roster_records_bad_rows_and_impossible_weeks_and_plans_the_rest(
        serial: tuple[BatchSummary, Path]) -> None:
    summary, out = serial
    assert [r.athlete for r in summary.results] == NAMES
    assert [r.status for r in summary.results] == [OK, OK, BAD_INPUT, NO_PLAN, OK]
    by_name = {r.athlete: r for r in summary.results}
    assert "timezone" in by_name["Bo"].reason and "Mars/Olympus" in by_name["Bo"].reason
    assert "Thursday" in by_name["Thursday Only"].reason
    for result in summary.results:
        assert "\n" not in result.reason
        assert (result.reason == "") == (result.status == OK)
        assert (result.sessions > 0) == (result.status == OK)
    # files for the three planned athletes only, and the summary
    expected = {f"{slug}.{ext}" for slug in PLANNED.values() for ext in ("db", "ics")}
    assert {p.name for p in out.iterdir()} == expected | {"summary.csv", "athletes.json"}
    for name, slug in PLANNED.items():
        with open_store(out / f"{slug}.db") as store:
            plan, profile = store.current()
        assert len(plan.sessions) == by_name[name].sessions
        assert plan.name == name and plan.revision == 1
        calendar = (out / f"{slug}.ics").read_text(encoding="utf-8")
        assert calendar.count("BEGIN:VEVENT") == by_name[name].sessions + len(plan.checks)
    with open_store(out / "zoe-o-brien.db") as store:
        plan, profile = store.current()
    assert plan.weeks == 6 and plan.level == "advanced" and profile.rest_days == (6,)
    with open_store(out / "ana.db") as store:
        plan, profile = store.current()
    assert profile.plyo_range == (2, 2) and plan.weeks == 8


def test_summary_csv_lists_every_athlete_in_roster_order(
        serial: tuple[BatchSummary, Path]) -> None:
    summary, out = serial
    assert summary.summary_csv == out / "summary.csv"
    frame = pd.read_csv(summary.summary_csv, keep_default_na=False)
    assert list(frame.columns) == ["athlete", "status", "sessions", "solve_seconds", "reason"]
    assert len(frame) == 5
    assert list(frame["athlete"]) == NAMES
    assert list(frame["status"]) == [r.status for r in summary.results]
    assert list(frame["sessions"]) == [r.sessions for r in summary.results]
    assert list(frame["reason"]) == [r.reason for r in summary.results]
    assert (frame["solve_seconds"] > 0).sum() == 3


@pytest.mark.slow
def test_parallel_run_gives_the_same_plans(serial: tuple[BatchSummary, Path],
                                           tmp_path: Path) -> None:
    first, out1 = serial
    calls: list[tuple[int, int]] = []
    second = run_batch(write_roster(tmp_path), tmp_path / "plans", NOW, jobs=2,
                       progress=lambda done, total: calls.append((done, total)))
    assert [(r.athlete, r.status, r.sessions, r.reason) for r in second.results] == \
        [(r.athlete, r.status, r.sessions, r.reason) for r in first.results]
    assert plans_in(tmp_path / "plans") == plans_in(out1)
    assert [done for done, _ in calls] == [1, 2, 3, 4, 5]
    assert {total for _, total in calls} == {5}


def test_folder_of_profiles_plans_each_as_generate_would(tmp_path: Path) -> None:
    roster = tmp_path / "team"
    roster.mkdir()
    shutil.copy(ROOT / "examples" / "athlete.toml", roster / "sam.toml")
    shutil.copy(ROOT / "examples" / "work.ics", roster / "work.ics")   # relative busy path
    (roster / "kim.toml").write_text(
        'name = "Kim"\ntimezone = "Asia/Tokyo"\nstart = 2027-02-01\nweeks = 4\n'
        '[availability]\nmon = ["06:00-07:30"]\nwed = ["06:00-07:30"]\nsat = ["08:00-10:00"]\n',
        encoding="utf-8")
    (roster / "notes.txt").write_text("not a profile", encoding="utf-8")
    calls: list[tuple[int, int]] = []
    summary = run_batch(roster, tmp_path / "out", NOW, jobs=1,
                        progress=lambda done, total: calls.append((done, total)))
    assert [(r.athlete, r.status) for r in summary.results] == [("kim", OK), ("sam", OK)]
    assert calls == [(1, 2), (2, 2)]
    # the same plan as `periodize generate team/sam.toml` (its busy time included)
    alone = commands.generate(roster / "sam.toml", tmp_path / "alone.db", None, NOW)
    assert len(alone.plan.sessions) < 36   # work.ics took some sessions away
    with open_store(tmp_path / "out" / "sam.db") as store:
        assert store.current()[0].to_dict() == alone.plan.to_dict()
    with open_store(tmp_path / "out" / "kim.db") as store:
        assert store.current()[0].weeks == 4


def test_unreadable_profile_file_is_recorded_and_the_others_planned(tmp_path: Path) -> None:
    shutil.copy(ROOT / "examples" / "athlete.toml", tmp_path / "a.toml")
    (tmp_path / "a.toml").write_text(
        (tmp_path / "a.toml").read_text(encoding="utf-8").replace('busy = ["work.ics"]', ""),
        encoding="utf-8")
    (tmp_path / "b.toml").write_text("name = [unclosed\n", encoding="utf-8")
    entries = read_roster(tmp_path)
    assert [name for name, _ in entries] == ["a", "b"]
    assert "not valid TOML" in entries[1][1][ERROR_KEY]
    summary = run_batch(tmp_path, tmp_path / "out", NOW, jobs=1)
    assert [(r.athlete, r.status) for r in summary.results] == [("a", OK), ("b", BAD_INPUT)]
    assert "not valid TOML" in summary.results[1].reason
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"a.db", "a.ics", "summary.csv",
                                                              "athletes.json"}


def test_csv_rows_become_profile_dicts(tmp_path: Path) -> None:
    rows = [
        "Ann,UTC,2027-01-04,,8.0, Sat ; sun ,07:00-08:00 ; 18:00-19:00,,,,,,,3,,TRUE",
        "Ben,UTC,2027-01-04,expert,x,,18:00-20:00,,,,,,,,,",
        "Cy,UTC,2027-01-04,beginner,8,,18:00-20:00,,,,,,,,,,too many",
        ",,,,,,,,,,,,,,,",   # an empty spreadsheet line is skipped
        ",UTC,2027-01-04,beginner,8,,18:00-20:00,,,,,,,,,",
    ]
    entries = read_roster(write_roster(tmp_path, rows))
    assert [name for name, _ in entries] == ["Ann", "Ben", "Cy", "row 5"]
    ann = entries[0][1]
    assert ann == {"name": "Ann", "timezone": "UTC", "start": "2027-01-04", "weeks": 8,
                   "rest_days": ["Sat", "sun"],
                   "availability": {"mon": ["07:00-08:00", "18:00-19:00"]},
                   "plyometrics": {"sessions_per_week": [3, 3]},
                   "strength_day_after_jumps": True}
    profile = profile_from_dict(ann)
    assert profile.rest_days == (5, 6) and len(profile.availability[0]) == 2
    assert profile.strength_day_after_jumps
    with pytest.raises(InputError, match=r"weeks: .x. is not accepted"):
        profile_from_dict(entries[1][1])
    assert "17 fields but the header has 16" in entries[2][1][ERROR_KEY]


@pytest.mark.parametrize(("header", "message"), [
    (HEADER.replace("thu", "thurs"), "'thurs' is not one"),
    (HEADER.replace("name,", "who,"), "'who' is not one"),
    (HEADER.replace("tue", "monday"), "each column once"),
])
def test_roster_with_bad_columns_is_refused(tmp_path: Path, header: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_roster(write_roster(tmp_path, ROWS[:1], header))


def test_missing_roster_and_bad_jobs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_roster(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="--jobs"):
        run_batch(write_roster(tmp_path), tmp_path / "out", NOW, jobs=0)
    assert not (tmp_path / "out").exists()


def test_slugs_are_safe_and_one_per_athlete() -> None:
    names = ["Sam", "sam", "Sam!", "sam-2", "../../etc/passwd", "李雷", "", "CON", "Zoë O'Brien"]
    slugs = unique_slugs(names)
    # "Sam" and "sam" are one athlete (athlete_key), so one stem.
    assert slugs == ["sam", "sam", "sam-2", "sam-2-2", "etc-passwd", "athlete", "athlete-2",
                     "con-athlete", "zoe-o-brien"]
    # Stems held by earlier runs stay with their athlete and are never given to another.
    assert unique_slugs(["Zoe", "Zoë"], {"zoe": "zoë", "zoe-2": None}) == ["zoe-3", "zoe"]


ZOES = ["Zoë,UTC,2027-01-04,beginner,2,,18:00-20:00,,18:00-20:00,,18:00-20:00,,,,",
        "Zoe,UTC,2027-01-04,beginner,2,,06:00-08:00,,06:00-08:00,,06:00-08:00,,,,"]


def test_roster_slugs_never_pass_to_another_athlete_across_runs(tmp_path: Path) -> None:
    out = tmp_path / "plans"
    first = run_batch(write_roster(tmp_path, ZOES), out, NOW, jobs=1)
    assert [r.status for r in first.results] == [OK, OK]
    zoe_e = (out / "zoe.ics").read_bytes()
    (tmp_path / "later").mkdir()
    second = run_batch(write_roster(tmp_path / "later", ZOES[1:]), out, NOW, jobs=1)
    assert [r.status for r in second.results] == [OK]
    assert (out / "zoe.ics").read_bytes() == zoe_e          # Zoë's calendar untouched
    for stem, name in (("zoe", "Zoë"), ("zoe-2", "Zoe")):
        with open_store(out / f"{stem}.db") as store:
            assert {r.plan_id for r in store.history()} == {store.current()[0].plan_id}
            assert store.current()[0].name == name and store.current()[0].revision == 1
    assert sorted(p.name for p in out.glob("*.db")) == ["zoe-2.db", "zoe.db"]


def test_one_athlete_meeting_a_bug_does_not_stop_the_roster(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.workflows.generate

    real = planner.workflows.generate.build_plan

    def build_plan(profile: Any, *args: Any, **kwargs: Any) -> Any:
        if profile.name == "Ana":
            raise ValueError("end must be after start")
        return real(profile, *args, **kwargs)

    monkeypatch.setattr(planner.workflows.generate, "build_plan", build_plan)
    out = tmp_path / "plans"
    summary = run_batch(write_roster(tmp_path, ROWS[:2]), out, NOW, jobs=1)
    assert [(r.athlete, r.status) for r in summary.results] == [("Sam Smith", OK),
                                                                ("Ana", "error")]
    assert "internal error: ValueError: end must be after start" in summary.results[1].reason
    assert (out / "summary.csv").exists() and (out / "sam-smith.ics").exists()


def test_batch_command_reports_each_athlete(tmp_path: Path) -> None:
    from click.testing import CliRunner

    import cli

    out = tmp_path / "plans"
    result = CliRunner().invoke(cli.main, ["batch", str(write_roster(tmp_path)), "-o", str(out),
                                           "--jobs", "1"])
    assert result.exit_code == 2, result.output          # a row was bad input
    assert "3 ok" in result.output and "1 bad input" in result.output
    assert "1 no plan" in result.output
    assert "Bo: bad input: timezone:" in result.output
    assert "Thursday Only: no plan: No plan possible." in result.output
    # The advice names what a CSV roster can set, not a profile's TOML table.
    assert "lower the plyo_min column" in result.output
    assert "sessions_per_week" not in result.output
    assert sorted(p.name for p in out.glob("*.ics")) == sorted(
        f"{slug}.ics" for slug in PLANNED.values())


def test_days_back_to_back_without_the_choice_get_advice_in_the_rosters_column(
        tmp_path: Path) -> None:
    """Ana's row without `true` in strength_day_after_jumps has no plan, and the reason names
    the rule and the column that gives her one (issue 23 §6); a wrong value is a bad row."""
    from click.testing import CliRunner

    import cli

    without = ROWS[1].removesuffix("true")
    wrong = "Ann" + ROWS[1].removeprefix("Ana").removesuffix("true") + "sometimes"
    out = tmp_path / "plans"
    result = CliRunner().invoke(cli.main, ["batch", str(write_roster(tmp_path, [without, wrong])),
                                           "-o", str(out), "--jobs", "1"])
    assert result.exit_code == 2, result.output
    rows = pd.read_csv(out / "summary.csv", keep_default_na=False).to_dict("records")
    assert [r["status"] for r in rows] == [NO_PLAN, BAD_INPUT]
    assert "no strength session may fall on the day after a jump session" in rows[0]["reason"]
    assert "true in the strength_day_after_jumps column" in rows[0]["reason"]
    assert "strength_day_after_jumps: 'sometimes' is not accepted" in rows[1]["reason"]
