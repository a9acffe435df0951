"""One rule for how a session stands as of a day (``Plan.state``), shared by ``status``, the
report and replan; and one rule for "today": the plan's time zone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from factories import build, make_profile, run

from planner.store.plan import AHEAD, DONE, MISSED, UNLOGGED, Plan, counts_done


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build(make_profile(timezone="Australia/Sydney", weeks=2))


def test_the_state_of_a_session_as_of_a_day(plan: Plan) -> None:
    first, second, third = sorted(plan.sessions, key=lambda s: s.start)[:3]
    day = plan.local_date(second)
    marked = dataclasses.replace(plan, sessions=(first.with_status("missed"), second, third))
    states = [marked.state(s, day + dt.timedelta(days=1)) for s in marked.sessions]
    assert states[:2] == [MISSED, UNLOGGED]              # logged missed; past with no word
    assert marked.state(third, plan.local_date(third)) == AHEAD       # today is still to come
    assert marked.state(second.with_status("done"), day) == DONE      # logged today
    assert marked.state(second, None) == AHEAD                        # no today: nothing past
    assert [counts_done(s) for s in (DONE, UNLOGGED, MISSED, AHEAD)] == [True, True, False, False]


def test_today_is_the_date_in_the_plans_zone(plan: Plan) -> None:
    late_evening_utc = dt.datetime(2027, 1, 11, 22, 30, tzinfo=dt.UTC)   # 09:30 next day in Sydney
    assert plan.today(late_evening_utc) == dt.date(2027, 1, 12)
    assert plan.today(dt.date(2027, 1, 11)) == dt.date(2027, 1, 11)       # a date given is kept
    assert plan.end == plan.start + dt.timedelta(days=13)


def test_marks_apply_to_the_session_of_their_day(plan: Plan) -> None:
    first = min(plan.sessions, key=lambda s: s.start)
    marked = plan.with_marks({plan.local_date(first): "missed"})
    assert [s.status for s in marked.sessions if s.uid == first.uid] == ["missed"]
    assert sum(s.status == "missed" for s in marked.sessions) == 1
    assert plan.with_marks({}) is plan


def _status_totals(text: str) -> tuple[int, int, int, int]:
    """(done, missed, not logged, planned) summed over the week rows of `periodize status`."""
    rows = [line.split() for line in text.splitlines() if re.fullmatch(r"\s*\d+(\s+\d+){4}", line)]
    return tuple(sum(int(r[i]) for r in rows) for i in (1, 2, 3, 4))  # type: ignore[return-value]


@pytest.mark.slow
def test_status_and_report_agree_on_the_same_store_and_day(store: Path, tmp_path: Path) -> None:
    """One missed and past sessions with no word: status and the report count them alike, as
    of the same day, and neither counts a session not logged as done (issue 23 §5)."""
    assert run("--db", str(store), "missed", "2027-01-06").exit_code == 0
    assert run("--db", str(store), "done", "2027-01-08", "--today", "2027-01-12").exit_code == 0
    today = "2027-01-12"
    status = run("--db", str(store), "status", "--today", today)
    assert status.exit_code == 0, status.output
    done, missed, unlogged, planned = _status_totals(status.stdout)
    assert (done, missed) == (1, 1) and unlogged >= 2
    assert f"{unlogged} past sessions not logged, not counted as done" in status.stdout

    page = tmp_path / "plan.html"
    report = run("--db", str(store), "report", "-o", str(page), "--today", today)
    assert report.exit_code == 0, report.output
    html = page.read_text(encoding="utf-8")
    past = done + missed + unlogged
    assert (f"So far: {done} of {past} past sessions done ({round(100 * done / past)}%), "
            f"{missed} missed, {unlogged} not logged (not counted as done); {planned} to "
            "come.") in html


def test_every_today_option_means_the_same() -> None:
    helps = {}
    for command in ("show", "report", "status", "replan"):
        result = run(command, "--help")
        assert result.exit_code == 0
        found = re.search(r"--today YYYY-MM-DD\s+(.+?)(?=\n\s+-|\n\n|\Z)", result.stdout, re.S)
        assert found, result.stdout
        helps[command] = " ".join(found.group(1).split())
    assert set(helps.values()) == {"The day to take as today (default: today in the plan's "
                                   "time zone)."}


def test_a_replan_counts_a_past_session_with_no_word_as_done(store: Path, tmp_path: Path,
                                                             ) -> None:
    """Replan's own rule: the revision it stores marks the unlogged past as done (to place
    what follows); every view as of a day still says "not logged" for them (issue 23 §5)."""
    from planner import commands

    assert run("--db", str(store), "missed", "2027-01-06").exit_code == 0
    result = run("--db", str(store), "replan", "--today", "2027-01-12", "-o",
                 str(tmp_path / "plan.ics"))
    assert result.exit_code == 0, result.output
    stored = commands.current_plan(store)
    past = [s for s in stored.sessions if stored.local_date(s) < dt.date(2027, 1, 12)]
    assert len(past) >= 4
    assert [s.status for s in past].count("missed") == 1
    assert all(s.status in ("done", "missed") for s in past)
    shown = run("--db", str(store), "show", "--format", "csv", "--today", "2027-01-12")
    rows = [line.split(",") for line in shown.stdout.splitlines()[1:]
            if line.split(",")[1] < "2027-01-12"]
    assert sorted(r[8] for r in rows) == sorted(
        "missed" if s.status == "missed" else "not logged" for s in past)
