"""Living with a real calendar: plans avoid busy time from each client's export (checked with a
second reader, the ``ical`` package), keep local times across daylight saving, and sync over
CalDAV to a real Radicale server from the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from factories import NOW, events_of, unnamed, write_profile
from factories import run as cli_run
from ical.calendar_stream import IcsCalendarStream
from radicale_fixture import free_port, open_calendar, server_events, stored_rule_breaks
from subscribers import synced_events, vdirsyncer_sync

import cli
from planner import commands
from planner.store.plan import Plan

LONDON = ZoneInfo("Europe/London")
FIXTURES = Path(__file__).parent / "fixtures" / "busy"
SPRING = dt.date(2027, 3, 1)            # the fixtures' range; clocks go forward on 28 March
EVENINGS = {**{d: ["17:00-21:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            "sat": ["08:00-13:00"]}
BUFFER = dt.timedelta(minutes=15)


def busy_occurrences(path: Path) -> list[tuple[dt.datetime, dt.datetime, str]]:
    """Blocking occurrences as read by the ``ical`` package (not by planner.calendars.busy)."""
    calendar = IcsCalendarStream.calendar_from_ics(path.read_text(encoding="utf-8"))
    first = dt.datetime.combine(SPRING, dt.time(), LONDON)
    spans = []
    for event in calendar.timeline_tz(LONDON).overlapping(first, first + dt.timedelta(weeks=9)):
        if str(event.status).endswith("CANCELLED") or event.transparency == "TRANSPARENT":
            continue
        begin, finish = event.start, event.end
        if isinstance(begin, dt.datetime) and isinstance(finish, dt.datetime):
            start, end = (t if t.tzinfo else t.replace(tzinfo=LONDON)        # floating: local
                          for t in (begin, finish))
            spans.append((start - BUFFER, end + BUFFER, event.summary or ""))
        else:
            spans.append((dt.datetime.combine(begin, dt.time(), LONDON),
                          dt.datetime.combine(finish, dt.time(), LONDON), event.summary or ""))
    return spans


def plan_with(tmp_path: Path, *busy: Path) -> Plan:
    """A spring plan around ``busy``. Weekly minimums are 0: the Apple export holds a week-long
    holiday, and these tests are about where sessions go, not how many a week needs."""
    profile = write_profile(tmp_path, start=SPRING, availability=EVENINGS,
                            plyometrics={"sessions_per_week": [0, 3]},
                            strength={"sessions_per_week": [0, 3]})
    return commands.generate(profile, tmp_path / "plan.db", None, NOW, busy).plan


@pytest.mark.parametrize("client", ["google", "apple", "outlook", "thunderbird", "new_york",
                                    "floating"])
def test_no_session_overlaps_a_busy_occurrence(tmp_path: Path, client: str) -> None:
    path = FIXTURES / f"{client}.ics"
    occurrences = busy_occurrences(path)
    assert occurrences, "the fixture must block something in the plan's range"
    plan = plan_with(tmp_path, path)
    clashes = [(f"{s.start:%a %d %b %H:%M}", what) for s in plan.sessions
               for start, end, what in occurrences if s.start < end and start < s.end]
    assert clashes == []


def test_busy_time_changes_the_plan(tmp_path: Path) -> None:
    """The check above means something only if busy time moves sessions."""
    (tmp_path / "free").mkdir()
    (tmp_path / "busy").mkdir()
    free = plan_with(tmp_path / "free")
    busy = plan_with(tmp_path / "busy", FIXTURES / "google.ics", FIXTURES / "thunderbird.ics")
    assert [s.start for s in free.sessions] != [s.start for s in busy.sessions]


def test_all_day_events_block_their_whole_days(tmp_path: Path) -> None:
    all_day = [(start.date(), end.date()) for start, end, _ in busy_occurrences(
        FIXTURES / "apple.ics") if start.time() == dt.time() and end - start >= dt.timedelta(1)]
    assert all_day
    plan = plan_with(tmp_path, FIXTURES / "apple.ics")
    blocked = {first + dt.timedelta(days=i) for first, last in all_day
               for i in range((last - first).days)}
    assert not [s for s in plan.sessions if s.start.astimezone(LONDON).date() in blocked]


def test_sessions_keep_their_local_time_across_daylight_saving(tmp_path: Path) -> None:
    plan = plan_with(tmp_path)
    before = [s for s in plan.sessions if s.start.date() < dt.date(2027, 3, 28)]
    after = [s for s in plan.sessions if s.start.date() > dt.date(2027, 3, 28)]

    def habit(sessions: list[Any]) -> set[tuple[int, dt.time, str]]:
        return {(s.start.weekday(), s.start.timetz().replace(tzinfo=None), s.session_type)
                for s in sessions}

    assert habit(before) & habit(after), "the same weekday and local time on both sides"
    assert {s.start.utcoffset() for s in before} == {dt.timedelta(0)}
    assert {s.start.utcoffset() for s in after} == {dt.timedelta(hours=1)}


# --- CalDAV from the command line --------------------------------------------------------------

def run(db: Path, *args: str, password: str = "x") -> Any:
    return cli_run("--db", str(db), *args, env={"PERIODIZE_CALDAV_PASSWORD": password})


@pytest.mark.caldav
@pytest.mark.slow
def test_generate_sync_replan_sync(tmp_path: Path, caldav_url: str,
                                   caldav_calendar_name: str) -> None:
    """The whole cycle against Radicale and Xandikos, then vdirsyncer syncs the result."""
    radicale_url = caldav_url             # each server in turn (see xandikos_fixture)
    db = tmp_path / "plan.db"
    profile = write_profile(tmp_path, availability={**EVENINGS, "sat": ["09:00-12:00"]})
    assert run(db, "generate", str(profile), "-o", str(tmp_path / "plan.ics")).exit_code == 0
    sync = ["sync", "--url", radicale_url, "--user", "athlete", "--calendar",
            caldav_calendar_name]
    plan = commands.current_plan(db)

    first = run(db, *sync)
    assert first.exit_code == 0, first.output
    assert f"{len(events_of(plan))} created, 0 updated, 0 deleted" in first.output
    held = server_events(radicale_url, caldav_calendar_name)
    assert set(held) == {s.uid for s in events_of(plan)}
    assert stored_rule_breaks(radicale_url, caldav_calendar_name) == {}

    week2 = [s for s in plan.week_sessions(2) if "plyometrics" in s.kinds]
    assert run(db, "missed", week2[0].start.date().isoformat()).exit_code == 0
    today = (week2[0].start + dt.timedelta(days=1)).date().isoformat()
    replanned = run(db, "replan", "--today", today, "-o", str(tmp_path / "plan.ics"))
    assert replanned.exit_code == 0, replanned.output
    new = commands.current_plan(db)
    changed = {s.uid for s in events_of(new)} ^ {s.uid for s in events_of(plan)}
    changed |= {s.uid for s in events_of(new) if s.sequence > 0}

    second = run(db, *sync)
    assert second.exit_code == 0, second.output
    held = server_events(radicale_url, caldav_calendar_name)
    assert set(held) == {s.uid for s in events_of(new)}
    assert all(len(copies) == 1 for copies in held.values()), "no duplicates"
    assert stored_rule_breaks(radicale_url, caldav_calendar_name) == {}
    missed = held[week2[0].uid][0][2]
    assert str(missed["STATUS"]) == "CANCELLED" and str(missed["SEQUENCE"]) == "1"
    created, updated = (int(unnamed(second.output).split()[i]) for i in (0, 2))
    assert created + updated == len(changed)

    third = run(db, *sync)
    assert "0 created, 0 updated, 0 deleted" in third.output

    # A real client syncs the calendar: no "multiple items with the same UID" refusal.
    address = str(open_calendar(radicale_url, caldav_calendar_name).url)
    pulled = vdirsyncer_sync({"type": "caldav", "url": address, "username": "athlete",
                              "password": "x"}, tmp_path / "vdirsyncer")
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert "same UID" not in pulled.stdout + pulled.stderr
    synced = synced_events(tmp_path / "vdirsyncer", new.tz)
    assert {item.uid: item.start for item in synced} == {s.uid: s.start
                                                         for s in events_of(new)}


def test_server_down_is_a_clear_error_and_the_plan_stays(tmp_path: Path) -> None:
    db = tmp_path / "plan.db"
    profile = write_profile(tmp_path)
    run(db, "generate", str(profile), "-o", str(tmp_path / "plan.ics"))
    before = json.dumps(commands.current_plan(db).to_dict())
    url = f"http://127.0.0.1:{free_port()}/"
    result = run(db, "sync", "--url", url, "--user", "sam", password="hunter2-secret")
    assert result.exit_code == 3
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert url.rstrip("/") in result.output and "hunter2-secret" not in result.output
    assert json.dumps(commands.current_plan(db).to_dict()) == before


def test_no_password_and_no_terminal_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """A cron job or a pipe: no prompt read from standard input, no GetPassWarning, no
    "Aborted.", no exit 1 (which means "no plan possible")."""
    db = tmp_path / "plan.db"
    run(db, "generate", str(write_profile(tmp_path)), "-o", str(tmp_path / "plan.ics"))
    env = {k: v for k, v in os.environ.items() if k != "PERIODIZE_CALDAV_PASSWORD"}
    url = f"http://127.0.0.1:{free_port()}/"
    done = subprocess.run([sys.executable, "-m", "cli", "--db", str(db), "sync", "--url", url,
                           "--user", "sam"], cwd=Path(__file__).parent.parent, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("Error: ")
    assert "PERIODIZE_CALDAV_PASSWORD" in done.stderr and "terminal" in done.stderr
    assert "Warning" not in done.stderr and "Aborted" not in done.stderr

    in_process = CliRunner().invoke(cli.main, ["--db", str(db), "sync", "--url", url, "--user",
                                               "sam"], env={"PERIODIZE_CALDAV_PASSWORD": ""})
    assert in_process.exit_code == 2 and "no terminal" in in_process.output


@pytest.mark.caldav
@pytest.mark.slow
def test_syncing_another_athletes_plan_into_the_calendar_is_refused(
        tmp_path: Path, radicale_url: str, caldav_calendar_name: str) -> None:
    """The bug this guards: one athlete's sync deleted another athlete's whole plan."""
    sync = ["sync", "--url", radicale_url, "--user", "athlete", "--calendar",
            caldav_calendar_name]
    stores = {}
    for name in ("Sam", "Alex"):
        folder = tmp_path / name
        folder.mkdir()
        stores[name] = folder / "plan.db"
        generated = run(stores[name], "generate", str(write_profile(folder, name=name)),
                        "-o", str(folder / "plan.ics"))
        assert generated.exit_code == 0, generated.output
    assert run(stores["Sam"], *sync).exit_code == 0
    sams = {s.uid for s in events_of(commands.current_plan(stores["Sam"]))}
    before = server_events(radicale_url, caldav_calendar_name)
    assert set(before) == sams

    refused = run(stores["Alex"], *sync)
    assert refused.exit_code == 3 and refused.output.count("\n") == 1
    assert "another periodize plan" in refused.output and "--replace" in refused.output
    assert server_events(radicale_url, caldav_calendar_name).keys() == before.keys()

    replaced = run(stores["Alex"], *sync, "--replace")
    assert replaced.exit_code == 0, replaced.output
    alexs = {s.uid for s in events_of(commands.current_plan(stores["Alex"]))}
    assert f"{len(alexs)} created, 0 updated, {len(sams)} deleted" in replaced.output
    assert set(server_events(radicale_url, caldav_calendar_name)) == alexs
