"""Sessions a replan drops stay in plan.ics as STATUS:CANCELLED with SEQUENCE raised, because an
import never deletes: Apple Calendar, Outlook and khal would otherwise keep them as planned. Here
khal itself imports the replanned file over the previous import."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from factories import NOW, build, events_of, make_profile, write_profile
from factories import run as cli_run
from icalendar import Calendar

from planner import commands
from planner.store.plan import Plan, dropped_sessions

EVENINGS = {d: ["18:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
FEWER = {"mon": ["18:00-20:00"], "thu": ["18:00-20:00"]}
KHAL_CONFIG = """\
[calendars]
[[plan]]
path = {folder}/calendar/
type = calendar
[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
local_timezone = Europe/London
default_timezone = Europe/London
[sqlite]
path = {folder}/khal.db
"""


def run(db: Path, *args: str) -> None:
    result = cli_run("--db", str(db), *args)
    assert result.exit_code == 0, result.output


def events(ics: Path) -> dict[str, tuple[str, int, str]]:
    """UID -> (STATUS, SEQUENCE, SUMMARY) as the file says."""
    return {str(e["UID"]): (str(e["STATUS"]), e.sequence, str(e["SUMMARY"]))
            for e in Calendar.from_ical(ics.read_bytes()).events}


@pytest.fixture
def replanned(tmp_path: Path) -> tuple[Path, Plan, Plan, Path]:
    """A plan for six free evenings, then a replan from week 3 on with two: sessions dropped."""
    db, ics = tmp_path / "plan.db", tmp_path / "plan.ics"
    (tmp_path / "first").mkdir()
    (tmp_path / "fewer").mkdir()
    run(db, "generate", str(write_profile(tmp_path / "first", availability=EVENINGS)),
        "-o", str(ics))
    before = commands.current_plan(db)
    shutil.copy(ics, tmp_path / "before.ics")
    run(db, "replan", "--today", "2027-01-18", "--profile",
        str(write_profile(tmp_path / "fewer", availability=FEWER)), "-o", str(ics))
    after = commands.current_plan(db)
    return db, before, after, ics


def test_dropped_sessions_are_cancelled_in_plan_ics_with_sequence_raised(
        replanned: tuple[Path, Plan, Plan, Path]) -> None:
    db, before, after, ics = replanned
    gone = {s.uid for s in before.sessions} - {s.uid for s in after.sessions}
    assert len(gone) >= 5, "the replan must drop sessions for this test to mean anything"
    written = events(ics)
    assert set(written) == {s.uid for s in (*events_of(before), *events_of(after))}
    old = {s.uid: s for s in before.sessions}
    for uid in gone:
        status, sequence, summary = written[uid]
        assert status == "CANCELLED" and summary.startswith("Dropped: ")
        assert sequence == old[uid].sequence + 1
    for s in after.sessions:
        assert written[s.uid][:2] == ("CANCELLED" if s.status == "missed" else "CONFIRMED",
                                      s.sequence)
    # export writes the same file; Google's per-revision file goes to a new calendar: no drops.
    assert commands.export(db, None, "ics") == ics.read_bytes()
    assert commands.export(db, None, "ics", google=True).count(b"Dropped: ") == 0


@pytest.mark.slow
def test_khal_import_over_the_previous_import_shows_no_dropped_session_as_planned(
        tmp_path: Path, replanned: tuple[Path, Plan, Plan, Path]) -> None:
    khal = Path(sys.executable).parent / "khal"
    if not khal.exists():
        pytest.skip("khal is not installed (pip install -e '.[test]')")
    _, before, after, ics = replanned
    folder = tmp_path / "khal"
    (folder / "calendar").mkdir(parents=True)
    config = folder / "config"
    config.write_text(KHAL_CONFIG.format(folder=folder), encoding="utf-8")

    def khal_run(*args: str) -> str:
        done = subprocess.run([str(khal), "-c", str(config), *args], capture_output=True,
                              text=True, check=True, stdin=subprocess.DEVNULL)
        return done.stdout

    def listed() -> dict[str, tuple[str, str]]:
        """UID -> (STATUS, local start) of every event khal lists in the plan's range."""
        out = khal_run("list", "--day-format", "", "--format", "{uid}|{status}|{start}",
                       "2027-01-01", "2027-04-01")
        rows = [line.split("|") for line in out.splitlines() if line.strip()]
        return {uid: (status.strip(), start) for uid, status, start in rows}

    khal_run("import", "--batch", str(tmp_path / "before.ics"))
    first = listed()
    assert set(first) == {s.uid for s in events_of(before)}
    gone = first.keys() - {s.uid for s in events_of(after)}
    assert gone and all(first[uid][0] == "CONFIRMED" for uid in gone)

    khal_run("import", "--batch", str(ics))
    second = listed()
    assert {uid: second[uid][0] for uid in gone} == dict.fromkeys(gone, "CANCELLED")
    for s in after.sessions:
        local = s.start.astimezone(dt.UTC).astimezone(s.start.tzinfo)
        assert second[s.uid] == ("CANCELLED" if s.status == "missed" else "CONFIRMED",
                                 f"{local:%Y-%m-%d %H:%M}")


def test_dropped_sessions_follow_every_revision() -> None:
    """Dropped in revision 2 -> cancelled, stamped with revision 2; back in revision 3 -> not
    dropped; the version last held is the one cancelled."""
    plan = build(make_profile())
    a, b, c, *rest = plan.sessions
    later = dt.timedelta(days=1)
    moved = dataclasses.replace(c, start=c.start + dt.timedelta(hours=1), sequence=1)
    r1 = dataclasses.replace(plan, revision=1)
    r2 = dataclasses.replace(plan, revision=2, created=NOW + later, sessions=(a, moved, *rest))
    r3 = dataclasses.replace(plan, revision=3, created=NOW + 2 * later, sessions=(a, *rest))
    assert dropped_sessions(r2, [r1, r2]) == (
        dataclasses.replace(b, status="dropped", sequence=b.sequence + 1, stamp=r2.created),)
    assert [(s.uid, s.sequence, s.start, s.stamp) for s in dropped_sessions(r3, [r1, r2, r3])] == [
        (b.uid, b.sequence + 1, b.start, r2.created), (c.uid, 2, moved.start, r3.created)]
    back = dataclasses.replace(r3, revision=4, sessions=plan.sessions)
    assert dropped_sessions(back, [r1, r2, r3, back]) == ()
