"""Issue 24 §5: what a command prints about the plan is what it changed, read back from the store.

A walk through replans of several kinds (a trip, a missed session, pain of 8/10, a changed
profile) and the log entries around them. After each command every printed change is parsed
and compared with the difference between the revision the store held before the command and the
one after it, computed here on its own (by UID, start, kind of session and doses): nothing is
said that did not change, nothing changed that is not said, a session whose start stayed is
never "moved", and the doses named are the stored ones."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Collection
from pathlib import Path

import pytest
from factories import EXAMPLE, RULES, run
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog import default_catalog
from planner import commands
from planner.store.plan import Plan, Session
from planner.training.session_types import TYPES

ARROW = " → "


def _when(plan: Plan, s: Session) -> str:
    return f"{s.start.astimezone(plan.tz):%a %-d %b %H:%M}"


def _day(plan: Plan, s: Session) -> str:
    return f"{s.start.astimezone(plan.tz):%a %-d %b}"


def _short(s: Session) -> str:
    return TYPES[s.session_type].short.lower()


def expected(before: Plan, after: Plan, named: Collection[str]) -> dict[str, set[object]]:
    """The difference of two revisions, by kind, computed here (not by the program's code)."""
    old = {s.uid: s for s in before.sessions}
    found: dict[str, set[object]] = {k: set() for k in (
        "missed", "planned again", "moved", "changed", "added", "dropped", "re-dosed")}
    for s in after.sessions:
        was = old.get(s.uid)
        if was is None:
            found["added"].add(f"{_when(after, s)} {_short(s)}")
            continue
        if s.uid not in named and (was.status == "missed") != (s.status == "missed"):
            found["missed" if s.status == "missed" else "planned again"].add(_day(after, s))
        if was.start != s.start:
            found["moved"].add((_when(before, was), _when(after, s)))
        elif was.session_type != s.session_type:
            found["changed"].add((_day(after, s), _short(was), _short(s)))
        elif (was.exercises, was.end, was.rpe) != (s.exercises, s.end, s.rpe):
            found["re-dosed"].add(_day(after, s))
    kept = {s.uid for s in after.sessions}
    found["dropped"] = {f"{_when(before, s)} {_short(s)}" for s in before.sessions
                        if s.uid not in kept}
    return found


def printed(output: str) -> tuple[dict[str, set[object]], list[tuple[str, str]], list[str]]:
    """The change lines of a command's output, parsed: by kind, the "what on days" pairs of the
    re-dosed line, and the reasons ("from DAY: note")."""
    lines: list[str] = []
    for line in output.splitlines():
        if line.startswith("    ") and lines:          # a wrapped line's continuation
            lines[-1] += " " + line.strip()
        elif line.startswith("  "):
            lines.append(line.strip())
    found: dict[str, set[object]] = {k: set() for k in (
        "missed", "planned again", "moved", "changed", "added", "dropped", "re-dosed")}
    redosed: list[tuple[str, str]] = []
    reasons: list[str] = []
    for line in lines:
        kind, _, rest = line.partition(": ")
        if kind.startswith("from "):
            reasons.append(line)
        elif kind == "moved":
            for item in rest.split(", "):
                a, b = item.split(ARROW)
                b = re.sub(r" \(now [a-z+]+\)$", "", b)
                if re.fullmatch(r"\d\d:\d\d", b):           # the same day, a new time
                    b = a.rsplit(" ", 1)[0] + " " + b
                found["moved"].add((a, b))
        elif kind in ("changed", "re-dosed"):
            for group in rest.split("; "):
                what, _, days = group.rpartition(" on ")
                for day in days.split(", "):
                    if kind == "changed":
                        a, b = what.split(ARROW)
                        found["changed"].add((day, a, b))
                    else:
                        found["re-dosed"].add(day)
                        redosed.append((what, day))
        elif kind in found:
            found[kind] |= set(rest.split(", "))
    return found, redosed, reasons


def check(before: Plan, after: Plan, output: str, named: Collection[str] = ()) -> None:
    said, redosed, reasons = printed(output)
    want = expected(before, after, named)
    assert said == want, (output, want)
    # A session whose start did not change is never "moved".
    starts = {_when(before, s) for s in before.sessions
              if any(t.uid == s.uid and t.start == s.start for t in after.sessions)}
    moved_from = {str(pair[0]) for pair in said["moved"] if isinstance(pair, tuple)}
    assert not moved_from & starts
    # The doses named are the stored sessions' (after substitution and limits).
    catalog = default_catalog()
    old = {s.uid: s for s in before.sessions}
    on_day = {_day(after, s): s for s in after.sessions}
    for what, day in redosed:
        s = on_day[day]
        was = old[s.uid]
        contacts = re.search(r"(\d+) → (\d+) contacts", what)
        if contacts:
            assert (was.foot_contacts, s.foot_contacts) == tuple(map(int, contacts.groups()))
        levels = re.search(r"levels? ((?:\d+, )*\d+) → (\d+)", what)
        if levels:
            def level_of(x: Session) -> dict[str, int]:
                return {e.id: d.level for d in x.exercises if d.kind == "strength"
                        and (e := catalog.of_dose(d.name)) is not None}
            a, b = level_of(was), level_of(s)
            moved = {(a[k], b[k]) for k in a if k in b and a[k] != b[k]}
            assert moved == {(int(old), int(levels[2])) for old in levels[1].split(", ")}, (
                what, day)
        week = re.search(r"block week (\d+) → (\d+)", what)
        if week:
            assert (was.program_week, s.program_week) == tuple(map(int, week.groups()))
    for line in reasons:
        day, _, note = line.removeprefix("from ").partition(": ")
        s = on_day[day]
        assert (note in s.notes and note not in old.get(s.uid, s).notes) or s.uid not in old, line


LEVEL_NOTE = re.compile(r"^(?P<names>[a-z ,]+?) (?:back to|stays? at|eased to) level "
                        r"(?P<level>\d+) \(")


def notes_match_levels(plan: Plan) -> None:
    """Every note "step down, split squat back to level 0 (...)" (or "stay at", "eased to")
    names the level the session's stored doses of those exercises are at."""
    catalog = default_catalog()
    by_name = {e.name.lower(): e.id for e in catalog.of_kind("strength")}
    for s in plan.sessions:
        levels = {e.id: d.level for d in s.exercises if d.kind == "strength"
                  and (e := catalog.of_dose(d.name)) is not None}
        for note in s.notes:
            found = LEVEL_NOTE.match(note)
            if found is None:
                continue
            for name in found["names"].split(", "):
                key = by_name[name]
                if key in levels:
                    assert levels[key] == int(found["level"]), (f"{s.start:%a %d %b}", note)


def _step(db: Path, *args: str, named_days: tuple[str, ...] = ()) -> str:
    before = commands.current_plan(db)
    result = run("--db", str(db), *args)
    assert result.exit_code == 0, result.output
    after = commands.current_plan(db)
    named = {s.uid for s in before.sessions if f"{before.local_date(s)}" in named_days}
    check(before, after, result.output, named)
    notes_match_levels(after)
    return result.output


def _session_on_or_after(db: Path, day: dt.date) -> dt.date:
    plan = commands.current_plan(db)
    return min(d for s in plan.sessions if (d := plan.local_date(s)) >= day
               and s.status == "planned")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    shutil.copytree(EXAMPLE.parent, folder / "examples")
    db = folder / "sam.db"
    result = run("--db", str(db), "generate", str(folder / "examples" / "athlete.toml"),
                 "-o", str(folder / "plan.ics"))
    assert result.exit_code == 0, result.output
    return db


def test_every_printed_change_is_the_stored_difference(example: Path, tmp_path: Path) -> None:
    db = tmp_path / "sam.db"
    shutil.copy(example, db)
    ics = str(tmp_path / "plan.ics")
    _step(db, "done", "2027-01-04", "--rpe", "5", "--today", "2027-01-04")
    # A 3-day trip, said ahead, then the replan around it.
    out = _step(db, "missed", "2027-01-13..2027-01-15", "--today", "2027-01-11",
                named_days=("2027-01-13", "2027-01-14", "2027-01-15"))
    out = _step(db, "replan", "--today", "2027-01-11", "-o", ics)
    assert "missed:" not in out         # the trip's misses were said by `missed`
    assert len(out.splitlines()) <= 12, out
    # A missed session, then the replan.
    day = _session_on_or_after(db, dt.date(2027, 1, 18))
    _step(db, "missed", f"{day}", "--today", f"{day + dt.timedelta(days=1)}",
          named_days=(f"{day}",))
    _step(db, "replan", "--today", f"{day + dt.timedelta(days=1)}", "-o", ics)
    # Pain of 8/10 during a session, and the morning after.
    day = _session_on_or_after(db, day + dt.timedelta(days=1))
    out = _step(db, "done", f"{day}", "--pain", "8", "--today", f"{day}")
    assert "re-dosed:" in out or "changed:" in out
    _step(db, "pain", f"{day + dt.timedelta(days=1)}", "8", "--today",
          f"{day + dt.timedelta(days=1)}")
    # A changed profile: no more Wednesday mornings.
    profile = tmp_path / "athlete.toml"
    text = (EXAMPLE.parent / "athlete.toml").read_text(encoding="utf-8")
    profile.write_text(text.replace('wed = ["07:00-08:00", "18:00-20:00"]',
                                    'wed = ["18:00-20:00"]').replace(
        'busy = ["work.ics"]', f'busy = ["{EXAMPLE.parent / "work.ics"}"]'), encoding="utf-8")
    _step(db, "replan", "--today", "2027-01-25", "--profile", str(profile), "-o", ics)
    # Taking the pain entry out, and undoing that.
    _step(db, "log", "rm", f"done:{day}")


def test_a_replan_after_a_trip_says_only_its_own_changes(example: Path, tmp_path: Path) -> None:
    """The trip's replan: its lines are the sessions it moved, changed, added or re-dosed (the
    misses were said when logged), each once."""
    db = tmp_path / "sam.db"
    shutil.copy(example, db)
    _step(db, "missed", "2027-01-13..2027-01-15", "--today", "2027-01-11",
          named_days=("2027-01-13", "2027-01-14", "2027-01-15"))
    out = _step(db, "replan", "--today", "2027-01-11", "-o", str(tmp_path / "p.ics"))
    kinds = [line.strip().split(":")[0] for line in out.splitlines() if line.startswith("  ")
             and not line.startswith("    ")]
    assert len(kinds) == len(set(kinds)), out          # one line per kind


def test_a_red_flag_on_levels_already_at_the_bottom_says_they_stay(tmp_path: Path) -> None:
    """Rehab first (not cleared to jump): strength is at level 0 already, so pain of 8/10 says
    the exercises stay at level 0, never that they go "back to" it."""
    from factories import write_profile

    db = tmp_path / "rehab.db"
    profile = write_profile(tmp_path, cleared_to_jump=False)
    assert run("--db", str(db), "generate", str(profile), "-o", str(tmp_path / "p.ics")
               ).exit_code == 0
    out = _step(db, "done", "2027-01-04", "--pain", "8", "--today", "2027-01-04")
    said = " ".join(out.split())
    assert "stay at level 0 (pain 8/10 on Mon 4 Jan)" in said and "back to level" not in said


@pytest.mark.slow
@settings(RULES, max_examples=25)
@given(st.lists(st.tuples(st.sampled_from(["done", "missed", "trip", "pain", "replan"]),
                          st.integers(0, 10), st.integers(1, 4)), min_size=2, max_size=5))
def test_random_logs_and_replans_print_only_the_stored_difference(
        example: Path, tmp_path_factory: pytest.TempPathFactory,
        steps: list[tuple[str, int, int]]) -> None:
    """Property: whatever is logged and replanned, in any order, each command's printed changes
    are the difference between the revision before it and the one after (``check``), and every
    level note names the stored level."""
    db = tmp_path_factory.mktemp("random") / "sam.db"
    shutil.copy(example, db)
    day = dt.date(2027, 1, 4)
    for kind, score, gap in steps:
        day += dt.timedelta(days=gap)
        today = ("--today", f"{day}")
        plan = commands.current_plan(db)
        past = [plan.local_date(s) for s in plan.sessions if plan.local_date(s) <= day
                and s.status == "planned"]
        if kind in ("done", "missed") and past:
            words = [kind, f"{past[-1]}"] + (["--pain", f"{score}"] if kind == "done" else [])
            _step(db, *words, *today, named_days=(f"{past[-1]}",) if kind == "missed" else ())
        elif kind == "trip":
            away = [f"{day + dt.timedelta(days=n)}" for n in range(1, 4)]
            if any(plan.local_date(s) > day and f"{plan.local_date(s)}" in away
                   for s in plan.sessions) and day + dt.timedelta(days=3) <= plan.end:
                _step(db, "missed", f"{away[0]}..{away[-1]}", *today, named_days=tuple(away))
        elif kind == "pain" and past:
            _step(db, "pain", f"{past[-1] + dt.timedelta(days=1)}", f"{score}",
                  "--today", f"{max(day, past[-1] + dt.timedelta(days=1))}")
        elif kind == "replan" and day <= plan.end:
            _step(db, "replan", *today, "-o", str(db.with_suffix(".ics")))
