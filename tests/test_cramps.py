"""Cramps (issue 23 §8): ``periodize cramp DATE [--during] [--where TEXT]`` logs a cramp the way
the other log commands log (compare-and-swap, one transaction, bad input refused in one line
with the store untouched); cramps on 3 days within 14 are recurring, which ``cramp``, ``status``
and ``report`` say with the guide's advice to see a doctor; the cramp text has the guide's
points (rest the muscle, medicines, severe pain with dark urine)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from factories import one_line_error, run
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.monitoring import default_monitoring, load_monitoring
from planner.errors import ConcurrentChange, InputError
from planner.store.database import CrampDay, open_store
from planner.training.cramps import recurring

RULES = default_monitoring()
TODAY = "2027-02-28"


def _days(db: Path) -> tuple[list[dt.date], list[dt.date]]:
    """Days of the stored plan with a session, and days without one."""
    with open_store(db) as store:
        plan = store.current()[0]
    with_session = sorted({plan.local_date(s) for s in plan.sessions})
    every = [plan.start + dt.timedelta(days=n) for n in range((plan.end - plan.start).days)]
    return with_session, [d for d in every if d not in with_session]


def _cramps(db: Path) -> tuple[CrampDay, ...]:
    with open_store(db) as store:
        return store.athlete_log(store.current()[0].plan_id).cramps


def test_a_cramp_during_a_session_is_logged_with_the_advice(store: Path) -> None:
    day = _days(store)[0][1]
    result = run("--db", str(store), "cramp", str(day), "--during", "--where", "inner thigh",
                 "--today", TODAY)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())
    assert f"cramp on {day:%a %Y-%m-%d} during the session" in flat
    assert "stretch the muscle gently, massage it" in flat
    assert "Recurring" not in flat and "1 on 1 day" in flat and "inner thigh" in flat
    assert _cramps(store) == (CrampDay(day, 1, True, "inner thigh"),)
    again = run("--db", str(store), "cramp", str(day), "--today", TODAY)
    assert again.exit_code == 0 and "(2 that day)" in again.stdout
    assert _cramps(store) == (CrampDay(day, 2, True, "inner thigh"),)


def test_the_cramp_text_has_the_guides_points() -> None:
    text = RULES.cramp
    for needle in ("stop, stretch the muscle gently, massage it", "let the muscle rest",
                   "medicines make cramps likelier", "dark, tea-coloured urine",
                   "see a doctor at once", "rhabdomyolysis", "keep coming back need a doctor"):
        assert needle in text, needle


@pytest.mark.slow
def test_recurring_cramps_are_said_by_cramp_status_and_report(store: Path,
                                                              tmp_path: Path) -> None:
    sessions, free = _days(store)
    first = sessions[0]
    days = [first, *(d for d in free if first < d <= first + dt.timedelta(days=13))][:3]
    assert len(days) == 3
    for n, day in enumerate(days):
        result = run("--db", str(store), "cramp", str(day), "--today", TODAY)
        assert result.exit_code == 0, result.output
        assert ("keep coming back: see a doctor" in " ".join(result.stdout.split())) == (n == 2)
    status = run("--db", str(store), "status", "--today", TODAY)
    assert status.exit_code == 0, status.output
    flat = " ".join(status.stdout.split())
    assert "Cramps logged: 3 on 3 days" in flat and "Recurring: cramps on 3 days" in flat
    assert RULES.cramp_recurring in flat
    page = tmp_path / "report.html"
    report = run("--db", str(store), "report", "-o", str(page), "--today", TODAY)
    assert report.exit_code == 0, report.output
    html = page.read_text(encoding="utf-8")
    assert "<h3>Cramps</h3>" in html and "Recurring: cramps on 3 days" in html


def test_status_without_cramps_says_nothing_of_them(store: Path) -> None:
    status = run("--db", str(store), "status", "--today", TODAY)
    assert status.exit_code == 0 and "Cramp" not in status.stdout


@pytest.mark.parametrize(("args", "field", "value"), [
    (["2027-13-01"], "DATE", "2027-13-01"),
    (["2027-03-20"], "DATE", "2027-03-20"),                       # after --today
    (["2026-11-01"], "DATE", "2026-11-01"),                       # weeks before the plan
    (["FREE", "--during"], "--during", "FREE"),                   # no session that day
    (["FIRST", "--where", "a\nb"], "--where", "a\\nb"),
    (["FIRST", "--where", "   "], "--where", "   "),
    (["FIRST", "--where", "x" * 61], "--where", "x" * 10),
])
def test_bad_input_is_refused_in_one_line_and_changes_nothing(
        store: Path, args: list[str], field: str, value: str) -> None:
    sessions, free = _days(store)
    args = [str(sessions[0]) if a == "FIRST" else str(free[0]) if a == "FREE" else a
            for a in args]
    value = str(free[0]) if value == "FREE" else value
    before = store.read_bytes()
    result = run("--db", str(store), "cramp", *args, "--today", "2027-03-01")
    one_line_error(result, field, value)
    assert store.read_bytes() == before


def test_a_cramp_is_written_only_against_the_store_it_read(store: Path) -> None:
    with open_store(store) as db:
        plan_id = db.current()[0].plan_id
        stale = db.changes()
        db.record_cramp(plan_id, dt.date(2027, 1, 5), False, None, dt.datetime(2027, 1, 5, 9,
                        tzinfo=dt.UTC), expect=stale)
        with pytest.raises(ConcurrentChange):
            db.record_cramp(plan_id, dt.date(2027, 1, 6), False, None,
                            dt.datetime(2027, 1, 6, 9, tzinfo=dt.UTC), expect=stale)
    assert [c.day for c in _cramps(store)] == [dt.date(2027, 1, 5)]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.sets(st.integers(0, 60), max_size=12), st.integers(0, 60))
def test_recurring_is_its_plain_definition(offsets: set[int], as_of: int) -> None:
    """Property: recurring iff some window of cramp_window days ending on a cramp day up to
    ``as_of`` holds cramp_days cramp days; the window it names is the latest such."""
    base = dt.date(2027, 1, 1)
    cramps = [CrampDay(base + dt.timedelta(days=o), 1 + o % 3, o % 2 == 0) for o in offsets]
    found = recurring(cramps, RULES, base + dt.timedelta(days=as_of))
    seen = sorted(o for o in offsets if o <= as_of)
    windows = [[o for o in seen if end - RULES.cramp_window < o <= end] for end in seen]
    hits = [w for w in windows if len(w) >= RULES.cramp_days]
    assert (found is None) == (not hits)
    if found is not None:
        latest = hits[-1]
        assert (found.first, found.last, found.days) == (
            base + dt.timedelta(days=latest[0]), base + dt.timedelta(days=latest[-1]),
            len(latest))
        assert found.cramps == sum(1 + o % 3 for o in latest)


def test_the_recurring_rule_is_read_strictly(tmp_path: Path) -> None:
    source = Path(load_monitoring.__code__.co_filename).parent / "monitoring.toml"
    text = source.read_text(encoding="utf-8")
    assert text.count("recurring_window = 14\n") == 1
    bad = tmp_path / "monitoring.toml"
    bad.write_text(text.replace("recurring_window = 14\n", "recurring_window = 2\n"),
                   encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_monitoring(bad)
    assert caught.value.field == "cramp.recurring_window" and caught.value.value == 2


def test_the_installed_script_logs_a_cramp(store: Path, tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "periodize"
    if not exe.exists():
        pytest.skip("the periodize script is not installed next to this Python")
    day = _days(store)[0][0]
    done = subprocess.run([str(exe), "--db", str(store), "cramp", str(day), "--where",
                           "vastus medialis", "--today", TODAY], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False,
                          env={"PATH": str(exe.parent), "HOME": str(tmp_path),
                               "LANG": "C.UTF-8"})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "vastus medialis" in done.stdout
    assert _cramps(store) == (CrampDay(day, 1, False, "vastus medialis"),)


def test_recurring_cramps_put_the_advice_in_every_later_session(store: Path,
                                                                 tmp_path: Path) -> None:
    """Issue 23 §2/§8: once cramps recur (3 days within 14), every session on a later day
    carries the advice to see a doctor, in the stored plan, in `today` and in the calendar
    (read back with icalendar); no session on or before that day does."""
    import icalendar

    from planner import commands

    sessions, free = _days(store)
    first = sessions[0]
    days = [first, *(d for d in free if first < d <= first + dt.timedelta(days=13))][:3]
    for day in days[:2]:
        assert run("--db", str(store), "cramp", str(day), "--today", TODAY).exit_code == 0
    plan = commands.current_plan(store)
    assert not any(RULES.cramp_recurring in s.notes for s in plan.sessions), "not recurring yet"
    assert run("--db", str(store), "cramp", str(days[2]), "--today", TODAY).exit_code == 0
    plan = commands.current_plan(store)
    later = [s for s in plan.sessions if plan.local_date(s) > days[2]]
    assert later and all(RULES.cramp_recurring in s.notes for s in later)
    assert not any(RULES.cramp_recurring in s.notes for s in plan.sessions
                   if plan.local_date(s) <= days[2])
    for session, wanted in ((later[0], True), (later[-1], True), (plan.sessions[0], False)):
        shown = run("--db", str(store), "today", "--date", str(plan.local_date(session)))
        assert shown.exit_code == 0, shown.output
        assert (RULES.cramp_recurring in " ".join(shown.stdout.split())) == wanted, shown.stdout
    ics = tmp_path / "plan.ics"
    assert run("--db", str(store), "export", "-o", str(ics), "--today", TODAY).exit_code == 0
    events = icalendar.Calendar.from_ical(ics.read_bytes()).events
    advised = {event.get("UID") for event in events
               if RULES.cramp_recurring in " ".join(str(event.get("DESCRIPTION")).split())}
    assert advised == {s.uid for s in later}
