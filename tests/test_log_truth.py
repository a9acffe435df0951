"""The athlete's log is the truth (issue 24): nothing rewrites it, undo reaches it, a repeat
entry says what it replaces and keeps what it was not given.

Through the CLI (``CliRunner``) on a private copy of one generated store (``store`` fixture:
the default test profile, plan from Mon 2027-01-04, sessions on Mon/Wed/Fri/Sat)."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import sqlite3
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from factories import NOW, RULES, one_line_error, unnamed
from factories import run as cli_run
from hypothesis import given, settings
from hypothesis import strategies as st
from old_stores import OLD_COLUMNS, downgrade

from planner import commands
from planner.errors import StoreError
from planner.store.database import open_store

LATER = "2027-03-31"      # every session of the plan is past by then


def run(db: Path, *args: str) -> Result:
    """``periodize --db DB ARGS``; log commands as of ``LATER`` unless ``--today`` is given."""
    if args and args[0] in ("done", "pain", "screen", "missed") and "--today" not in args:
        args = (*args, "--today", LATER)
    return cli_run("--db", str(db), *args)


def ok(result: Result) -> str:
    """The output of a command that succeeded, without whose plan it is (checked there)."""
    assert result.exit_code == 0, result.output
    return unnamed(result.output)


def clean(result: Result) -> str:
    """The data a command wrote to stdout (whose plan it is goes to stderr)."""
    assert result.exit_code == 0 and unnamed(result.stderr), result.output
    return result.stdout


def tables(db: Path) -> list[Any]:
    """Every row of the plan's revisions and of the log's tables."""
    with sqlite3.connect(db) as raw:
        rows = [raw.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in ("revisions", "log", "morning", "screens", "forecasts")]
    raw.close()
    return rows


def entry(db: Path, day: str) -> tuple[Any, ...]:
    with sqlite3.connect(db) as raw:
        row = raw.execute("SELECT status, rpe, pain, not_met FROM log WHERE day = ?",
                          (day,)).fetchone()
    raw.close()
    return tuple(row)


# -- 1. nothing rewrites history ----------------------------------------------------------------

def test_generate_on_a_plan_with_a_log_is_refused_and_changes_nothing(
        store: Path, stored: tuple[Path, Path], tmp_path: Path) -> None:
    ok(run(store, "done", "2027-01-04", "--rpe", "6", "--pain", "2"))
    ok(run(store, "missed", "2027-01-06"))
    before = tables(store)
    edited = tmp_path / "edited.toml"
    edited.write_text(stored[1].read_text(encoding="utf-8").replace("weeks = 8", "weeks = 9"),
                      encoding="utf-8")
    line = one_line_error(cli_run("--db", str(store), "generate", str(edited)),
                          "plan is in progress (2 log entries)", "replan --profile",
                          "nothing was changed")
    assert "\n" not in line.strip()
    assert tables(store) == before


def test_generate_on_a_plan_with_past_sessions_is_refused(store: Path,
                                                           stored: tuple[Path, Path],
                                                           tmp_path: Path) -> None:
    """No log at all, but the plan has begun (sessions before today): refused too."""
    edited = tmp_path / "edited.toml"
    edited.write_text(stored[1].read_text(encoding="utf-8").replace("weeks = 8", "weeks = 9"),
                      encoding="utf-8")
    before = tables(store)
    later = dt.datetime(2027, 1, 12, 9, tzinfo=dt.UTC)
    with pytest.raises(StoreError, match=r"sessions before 2027-01-12.*replan --profile"):
        commands.generate(edited, store, None, later)
    assert tables(store) == before
    # Before the plan starts and with no log, generating again is still the way to edit it.
    again = commands.generate(edited, store, None, NOW)
    assert again.saved and again.plan.weeks == 9


def test_a_repeat_done_says_what_it_replaces_and_keeps_what_it_was_not_given(
        store: Path) -> None:
    ok(run(store, "done", "2027-01-11", "--rpe", "5", "--pain", "2", "--not-met", "step-down"))
    out = ok(run(store, "done", "2027-01-11", "--rpe", "7"))
    assert ("2027-01-11: replaces done, effort 5/10, pain 2/10, rule not met: step-down "
            "(kept: pain 2/10; rule not met: step-down)") in out
    assert entry(store, "2027-01-11") == ("done", 7, 2, '["step-down"]')
    # A plain `done` again keeps every score; `--not-met none` clears the rules not met.
    out = ok(run(store, "done", "2027-01-11"))
    assert "2027-01-11: already so logged" in out
    assert entry(store, "2027-01-11") == ("done", 7, 2, '["step-down"]')
    out = ok(run(store, "done", "2027-01-11", "--not-met", "none"))
    assert "replaces done, effort 7/10, pain 2/10, rule not met: step-down" in out
    assert entry(store, "2027-01-11") == ("done", 7, 2, "[]")
    # A missed day logged done says so; done then missed says what the missed mark replaced.
    out = ok(run(store, "missed", "2027-01-11"))
    assert "2027-01-11: replaces done, effort 7/10, pain 2/10" in out
    assert entry(store, "2027-01-11") == ("missed", None, None, "[]")


def test_a_repeat_morning_pain_or_screen_says_what_it_replaces(store: Path) -> None:
    ok(run(store, "pain", "2027-01-14", "8"))
    out = ok(run(store, "pain", "2027-01-14", "2"))
    assert "2027-01-14: replaces morning pain 8/10" in out
    with open_store(store) as opened:
        assert opened.athlete_log(opened.current().plan.plan_id).mornings == (
            (dt.date(2027, 1, 14), 2),)
    ok(run(store, "screen", "2027-01-15", "--failed"))
    out = ok(run(store, "screen", "2027-01-15", "--passed"))
    assert "2027-01-15: replaces a screen not passed" in out


# -- 2. undo reaches what you logged ------------------------------------------------------------

def plan_id(db: Path) -> str:
    with open_store(db) as opened:
        return opened.current().plan.plan_id


def test_undo_takes_back_a_morning_pain_and_redo_brings_it_back(store: Path) -> None:
    ok(run(store, "done", "2027-01-13"))
    ok(run(store, "pain", "2027-01-14", "8"))       # meant 2
    with open_store(store) as opened:
        redosed = opened.current().plan
    out = ok(run(store, "undo"))
    assert out.startswith("Undone: logged pain 8/10 on the morning of 2027-01-14; back to "
                          "revision 2 (logged done 2027-01-13)")
    assert len(out.strip().splitlines()) == 1
    with open_store(store) as opened:
        assert opened.athlete_log(plan_id(store)).mornings == ()
        assert opened.current().plan.revision == 2
    # The next entry re-doses from the log without the 8.
    out = ok(run(store, "done", "2027-01-15"))
    assert "pain 8/10" not in out
    ok(run(store, "undo"))
    out = ok(run(store, "redo"))
    assert out.startswith("Redone: logged done 2027-01-15")
    ok(run(store, "undo"))
    ok(run(store, "undo"))
    out = ok(run(store, "redo"))        # the pain entry was set aside by a later change
    assert "Redone: logged done 2027-01-13" in out
    with open_store(store) as opened:
        assert opened.athlete_log(plan_id(store)).mornings == ()
        assert [e.day for e in opened.log(plan_id(store))] == [dt.date(2027, 1, 13)]
    assert redosed.revision == 3


def test_undo_after_a_done_that_changed_no_dose_undoes_the_done_not_the_replan(
        store: Path, stored: tuple[Path, Path], tmp_path: Path) -> None:
    edited = tmp_path / "edited.toml"
    edited.write_text(stored[1].read_text(encoding="utf-8").replace("weeks = 8", "weeks = 9"),
                      encoding="utf-8")
    ok(run(store, "replan", "--profile", str(edited), "--today", "2027-01-04"))
    with open_store(store) as opened:
        replanned = opened.current().plan.revision
    out = ok(run(store, "done", "2027-01-04"))
    assert "No change to the doses ahead." in out
    out = ok(run(store, "undo"))
    assert out.startswith(f"Undone: logged done 2027-01-04; back to revision {replanned} ")
    with open_store(store) as opened:
        assert opened.log(plan_id(store)) == []
        assert opened.current().plan.revision == replanned


def test_undo_of_a_repeat_done_brings_back_the_scores_it_replaced(store: Path) -> None:
    ok(run(store, "done", "2027-01-11", "--rpe", "5", "--pain", "2"))
    ok(run(store, "done", "2027-01-11", "--rpe", "8"))
    assert entry(store, "2027-01-11") == ("done", 8, 2, "[]")
    out = ok(run(store, "undo"))
    assert out.startswith("Undone: logged done 2027-01-11 (effort 8/10, pain 2/10)")
    assert entry(store, "2027-01-11") == ("done", 5, 2, "[]")


def test_a_missed_session_is_cancelled_in_the_calendar_at_once_with_a_higher_sequence(
        store: Path, tmp_path: Path) -> None:
    import icalendar

    ok(run(store, "export", "-o", str(tmp_path / "before.ics")))
    ok(run(store, "missed", "2027-01-13"))
    ok(run(store, "export", "-o", str(tmp_path / "after.ics")))

    def events(name: str) -> dict[str, Any]:
        cal = icalendar.Calendar.from_ical((tmp_path / name).read_bytes())
        return {e.decoded("DTSTART").date().isoformat(): e for e in cal.walk("VEVENT")
                if not str(e["SUMMARY"]).startswith(("PSFS check-in", "Baseline test"))}

    before, after = events("before.ics"), events("after.ics")
    assert str(before["2027-01-13"]["STATUS"]) == "CONFIRMED"
    assert str(after["2027-01-13"]["STATUS"]) == "CANCELLED"
    assert int(after["2027-01-13"]["SEQUENCE"]) > int(before["2027-01-13"]["SEQUENCE"])
    assert after["2027-01-13"]["UID"] == before["2027-01-13"]["UID"]
    # Undo brings it back, one SEQUENCE higher again (calendars keep the highest).
    ok(run(store, "undo"))
    ok(run(store, "export", "-o", str(tmp_path / "undone.ics")))
    undone = events("undone.ics")["2027-01-13"]
    assert str(undone["STATUS"]) == "CONFIRMED"
    assert int(undone["SEQUENCE"]) > int(after["2027-01-13"]["SEQUENCE"])


def test_a_store_of_the_previous_schema_gets_each_log_entry_on_its_session(
        stored: tuple[Path, Path], tmp_path: Path) -> None:
    """Migration 8 on a store as schema 7 had it (log entries by day only): every row kept,
    each log entry given the UID of the session its day held."""
    from planner.store import database as store_module

    db = tmp_path / "old.db"
    plan = commands.generate(stored[1], db, None, NOW).plan
    downgrade(db, 7)
    rows = [(plan.plan_id, "2027-01-11", "done", None, NOW.isoformat(), 6, None, "[]"),
            (plan.plan_id, "2027-01-13", "missed", None, NOW.isoformat(), None, None, "[]")]
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 7
        assert "uid" not in [c[1] for c in raw.execute("PRAGMA table_info(log)")]
        raw.executemany("INSERT INTO log (plan_id, day, status, kind, recorded, rpe, pain, "
                        "not_met) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        revisions = raw.execute(f"SELECT {OLD_COLUMNS} FROM revisions").fetchall()
    raw.close()
    with open_store(db) as opened:
        entries = opened.log(plan.plan_id)
    by_day = {plan.local_date(s): s.uid for s in plan.sessions}
    assert [(e.day.isoformat(), e.status, e.rpe) for e in entries] == [
        (r[1], r[2], r[5]) for r in rows]
    assert all(e.uid == by_day[e.day] for e in entries)
    with sqlite3.connect(db) as raw:
        assert raw.execute(f"SELECT {OLD_COLUMNS} FROM revisions").fetchall() == revisions
        assert raw.execute("PRAGMA user_version").fetchone()[0] == store_module.SCHEMA_VERSION
    raw.close()


# -- identity: every score stays on its own session through any replan ---------------------------

#: One step of a random history: log a past session done (with scores, or none), missed, or
#: replan; each moves "today" forward by some days first.
steps = st.lists(st.tuples(
    st.integers(0, 6),                                               # days forward
    st.sampled_from(["done", "missed", "replan", "generate"]),
    st.integers(0, 12),                                              # which past session
    st.one_of(st.none(), st.integers(0, 10)),                        # effort
    st.one_of(st.none(), st.integers(0, 6))), min_size=1, max_size=6)  # pain (no red flag)


@pytest.mark.slow
@settings(RULES, max_examples=8)
@given(history=steps)
def test_after_any_replan_every_score_is_on_its_own_session(
        stored: tuple[Path, Path], history: list[tuple[int, str, int, int | None, int | None]],
        ) -> None:
    """The identity property (issue 24 §1): random log entries and replans, days passing; after
    each step every entry is read back on the session (UID) it was given for, on that session's
    date in the current revision, with the scores it was given (a repeat ``done`` keeping those
    it was not given), and the plan shows that session done or missed."""
    from planner.commands import logbook

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "store.db"
        shutil.copy(stored[0], db)
        today = dt.date(2027, 1, 5)
        model: dict[str, tuple[str, int | None, int | None]] = {}
        dates: dict[str, dt.date] = {}
        for forward, action, which, rpe, pain in history:
            today += dt.timedelta(days=forward)
            now = dt.datetime.combine(today, dt.time(12), dt.UTC)
            plan = commands.current_plan(db)
            past = [s for s in plan.sessions if plan.local_date(s) < today]
            if action == "generate":       # an edited profile: refused once the plan began
                edited = Path(folder) / "edited.toml"
                edited.write_text(stored[1].read_text(encoding="utf-8").replace(
                    "weeks = 8", "weeks = 9"), encoding="utf-8")
                with contextlib.suppress(StoreError):
                    commands.generate(edited, db, None, now)
                assert not (model or past) or commands.current_plan(db) == plan
            elif action == "replan" or not past:
                commands.replan(db, today, None, None, now)
            else:
                session = past[which % len(past)]
                day = plan.local_date(session)
                if action == "done":
                    logbook.done(db, [day.isoformat()], now, rpe, pain, today=today)
                    old = model.get(session.uid)
                    kept = old if old is not None and old[0] == "done" else ("done", None, None)
                    model[session.uid] = ("done", kept[1] if rpe is None else rpe,
                                          kept[2] if pain is None else pain)
                else:
                    logbook.missed(db, [day.isoformat()], None, now, today=today)
                    model[session.uid] = ("missed", None, None)
                dates.setdefault(session.uid, day)
            with open_store(db) as opened:
                current = opened.current().plan
                entries = {e.uid: e for e in opened.log(current.plan_id)}
                marked = opened.marked(current)
            held = {s.uid: s for s in current.sessions}
            shown = {s.uid: s.status for s in marked.sessions}
            assert set(entries) == set(model)
            for uid, (status, effort, during) in model.items():
                assert uid in held, uid                     # the session is still there
                entry = entries[uid]
                assert (entry.status, entry.rpe, entry.pain) == (status, effort, during)
                assert entry.day == current.local_date(held[uid]) == dates[uid]
                assert shown[uid] == status == held[uid].status


# -- 3. one state, every view -------------------------------------------------------------------

class _Cards(HTMLParser):
    """The report's session cards: start (its <time>), badge, facts line and dose cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cards: dict[str, dict[str, Any]] = {}
        self._card: dict[str, Any] | None = None
        self._into = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if tag == "article" and "session" in classes:
            self._card = {"start": None, "badge": "", "meta": "", "doses": []}
        elif self._card is not None:
            if tag == "time" and self._card["start"] is None:
                self._card["start"] = found["datetime"]
            self._into = ("badge" if "badge" in classes else "meta" if "meta" in classes
                          else "dose" if "dose" in classes else "")
            if self._into == "dose":
                self._card["doses"].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "article" and self._card is not None:
            self.cards[self._card["start"]] = self._card
            self._card = None
        if tag in ("span", "p", "td"):
            self._into = ""

    def handle_data(self, data: str) -> None:
        if self._card is None or not self._into:
            return
        if self._into == "dose":
            self._card["doses"][-1] += data
        else:
            self._card[self._into] += data


@pytest.mark.slow
def test_every_view_tells_the_same_story_as_the_one_state_derivation(
        store: Path, tmp_path: Path, radicale_url: str, caldav_calendar_name: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One log - done with scores, missed, a red flag (pain 8/10), past sessions not logged,
    sessions ahead - through today, show (grid, table, JSON, CSV), status, report (HTML,
    parsed), export (JSON, CSV, .ics), CalDAV sync (Radicale), Google sync (the stand-in) and
    the feed: each agrees with ``plan_as_of`` on every session's state and doses as of the
    day, and with ``session_states`` on what was logged."""
    import csv
    import io
    import json
    import re

    import icalendar
    from google_standin import GoogleStandIn
    from radicale_fixture import server_events
    from test_google_sync import ours, write_token

    from catalog import default_catalog
    from planner.calendars import google_sync
    from planner.calendars.export.ics import description, summary
    from planner.calendars.export.session_text import session_text
    from planner.calendars.feed import read_feed
    from planner.store.as_of import NOT_LOGGED, PLANNED, session_states
    from planner.store.plan import DONE, MISSED
    from planner.training.plan_as_of import plan_as_of

    # Friday of week 3: Mon 18 and Wed 20 not logged since the last entry (three sessions a
    # week since strength never falls the day after jumps: the 20th alone was one too few).
    day = dt.date(2027, 1, 22)
    today = ["--today", day.isoformat()]
    ok(run(store, "done", "2027-01-11", "--rpe", "7", "--pain", "3", "--not-met", "step-down",
           *today))
    ok(run(store, "missed", "2027-01-13", *today))
    ok(run(store, "done", "2027-01-15", "--rpe", "6", "--pain", "8", *today))
    with open_store(store) as opened:
        seen = plan_as_of(opened, day)
        stored = opened.current().plan
        states = {one.uid: one for one in session_states(
            opened.marked(stored), opened.log(stored.plan_id), day)}
    plan, note = seen.plan, default_catalog().safety_note
    assert {one.uid: one for one in seen.states} == states
    state = {uid: one.state for uid, one in states.items()}
    counted = {k: sum(v == k for v in state.values()) for k in (DONE, MISSED, NOT_LOGGED)}
    assert counted[DONE] == 2 and counted[MISSED] == 1 and counted[NOT_LOGGED] >= 5
    assert {s.uid: s.status for s in plan.sessions} == {
        u: "planned" if v == PLANNED else v for u, v in state.items()}
    # The views show doses as of the day, not the stored revision's (which counts the sessions
    # not logged as done as prescribed): some session ahead differs, and asks for the log.
    held = {s.uid: s for s in stored.sessions}
    differ = [s for s in plan.sessions if s.exercises != held[s.uid].exercises
              or s.notes != held[s.uid].notes]
    assert differ and any("not logged" in n for s in differ for n in s.notes)
    logged = {uid: one.fields() for uid, one in states.items()}
    done_uid = next(u for u, one in states.items() if one.rpe == 7)
    assert logged[done_uid] == {"state": "done", "target_rpe": held[done_uid].rpe,
                                "logged_rpe": 7, "logged_pain": 3, "not_met": ["step-down"]}
    by_start = {s.start.isoformat(): s for s in plan.sessions}
    expected_dict = {d["uid"]: d for d in plan.to_dict()["sessions"]}

    # export and show, JSON and CSV
    for command in (["export", "--format", "json"], ["show", "--format", "json"]):
        data = json.loads(clean(run(store, *command, *today)))
        assert {d["uid"]: {k: d[k] for k in logged[d["uid"]]} for d in data["sessions"]} == logged
        assert {d["uid"]: (d["status"], d["exercises"], d["notes"]) for d in data["sessions"]} == {
            u: (d["status"], d["exercises"], d["notes"]) for u, d in expected_dict.items()}
    for command in (["export", "--format", "csv"], ["show", "--format", "csv"]):
        rows = list(csv.DictReader(io.StringIO(clean(run(store, *command, *today)))))
        assert {r["uid"]: (r["state"], r["status"], r["foot_contacts"]) for r in rows} == {
            s.uid: (state[s.uid], s.status, str(s.foot_contacts)) for s in plan.sessions}
        assert {r["uid"]: (r["logged_rpe"], r["logged_pain"], r["not_met"]) for r in rows} == {
            u: ("" if f["logged_rpe"] is None else str(f["logged_rpe"]),
                "" if f["logged_pain"] is None else str(f["logged_pain"]),
                "+".join(f["not_met"])) for u, f in logged.items()}
    # show: the week tables and the grid's marks
    for week in range(1, plan.weeks + 1):
        lines = ok(run(store, "show", "--week", str(week), *today)).splitlines()[1:]
        sessions = sorted(plan.week_sessions(week), key=lambda s: s.start)
        assert len(lines) == len(sessions)
        for line, s in zip(lines, sessions, strict=True):
            assert s.start.date().isoformat() in line and f" {s.status} " in f" {line} ", line
    grid = ok(run(store, "show", *today))
    marks = {f"{int(d)} {m}": mark for d, m, mark in
             re.findall(r"(\d{1,2}) (Jan|Feb|Mar) ?([✓✗○]?)", grid)}
    for s in plan.sessions:
        on_day = {o.status for o in plan.sessions if o.start.date() == s.start.date()}
        want = ("✗" if MISSED in on_day else "○" if NOT_LOGGED in on_day
                else "✓" if on_day == {DONE} else "")
        assert marks[f"{s.start.day} {s.start:%b}"] == want, s.start
    # today: the day's session as of the day, word for word; a logged one says its state
    said = ok(run(store, "today", "--date", day.isoformat()))
    first = min((s for s in plan.sessions if s.start.date() >= day), key=lambda s: s.start)
    assert session_text(first, note) in said
    for one in states.values():
        if one.state in (DONE, MISSED):
            head = ok(run(store, "today", "--date", one.day.isoformat())).splitlines()[0]
            assert head.endswith(f"({one.state})"), head
    # status: counts by week, the sessions not logged, the red flag with its date
    status = ok(run(store, "status", *today))
    said_n = re.search(r"(\d+) past sessions? not logged", status)
    assert said_n is not None and int(said_n.group(1)) == counted[NOT_LOGGED]
    for week in range(1, plan.weeks + 1):
        row = next(line.split() for line in status.splitlines() if line.split()[:1] == [str(week)])
        in_week = [state[s.uid] for s in plan.week_sessions(week)]
        assert [int(n) for n in row[1:5]] == [in_week.count(k) for k in
                                              (DONE, MISSED, NOT_LOGGED, PLANNED)], row
    assert "pain 8/10 during Fri 15 Jan" in status and "8!" in status
    assert "Jumps paused from" in status
    # report: each card's state, logged RPE and target, doses
    out = tmp_path / "report.html"
    ok(run(store, "report", "-o", str(out), *today))
    cards = _Cards()
    cards.feed(out.read_text(encoding="utf-8"))
    assert set(cards.cards) == set(by_start)
    badges = {DONE: "done", MISSED: "missed", NOT_LOGGED: "not logged", PLANNED: "planned"}
    for start, card in cards.cards.items():
        s = by_start[start]
        assert card["badge"].startswith(badges[state[s.uid]]), card
        assert card["doses"] == [d.describe() for d in s.exercises]
        facts = card["meta"].split(" · ")
        assert f"target {s.rpe}" in facts
        assert (f"RPE {states[s.uid].rpe}" in facts) == (states[s.uid].rpe is not None), facts
    # calendars: export .ics, CalDAV (Radicale), Google (the stand-in), the feed
    def agree(events: dict[str, tuple[str, str, str]], where: str) -> None:
        # the checks (baseline tests, PSFS check-ins) are there too, and hold no session
        assert {c.uid for c in stored.checks} <= set(events), where
        events = {uid: e for uid, e in events.items() if uid not in {c.uid for c in stored.checks}}
        assert events == {s.uid: (summary(s), description(s, note),
                                  "CANCELLED" if s.status == MISSED else "CONFIRMED")
                          for s in plan.sessions}, where
        assert any(summary(s).startswith("Not logged: ") for s in plan.sessions)

    def ics_events(data: bytes) -> dict[str, tuple[str, str, str]]:
        return {str(e["UID"]): (str(e["SUMMARY"]), str(e["DESCRIPTION"]), str(e["STATUS"]))
                for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}

    exported = clean(run(store, "export", *today)).encode()
    agree(ics_events(exported), "export")
    sequences = {str(e["UID"]): int(str(e["SEQUENCE"]))
                 for e in icalendar.Calendar.from_ical(exported).walk("VEVENT")}
    assert all(sequences[s.uid] > held[s.uid].sequence for s in differ)
    monkeypatch.setenv("PERIODIZE_CALDAV_PASSWORD", "x")
    ok(run(store, "sync", "--url", radicale_url, "--user", "athlete", "--calendar",
           caldav_calendar_name, *today))
    agree({uid: (str(e["SUMMARY"]), str(e["DESCRIPTION"]), str(e["STATUS"]))
           for uid, [(_, _, e)] in server_events(radicale_url, caldav_calendar_name).items()},
          "CalDAV")
    standin = GoogleStandIn()
    monkeypatch.setattr(google_sync, "new_http", lambda: standin)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("PERIODIZE_GOOGLE_CLIENT_SECRET", raising=False)
    write_token(expiry="2999-01-01T00:00:00Z")
    ok(run(store, "sync", "--google", *today))
    [calendar] = standin.calendars
    agree({uid: (e["summary"], e["description"],
                 "CANCELLED" if e["summary"].startswith("Missed: ") else "CONFIRMED")
           for uid, e in ours(standin, calendar).items()}, "Google")
    _, token = commands.feed_token(store, "t" * 32, False)
    feed = read_feed(store, token, now=dt.datetime(2027, 1, 22, 12, tzinfo=dt.UTC))
    assert feed is not None
    agree(ics_events(feed.body), "feed")


def test_a_calendar_as_of_each_day_raises_sequence_whenever_its_text_changes(
        store: Path) -> None:
    """Days pass without a log: sessions ahead hold their levels and ask for the log, past
    ones say "Not logged" (``plan_as_of``). Exported day after day, then after the missing
    sessions are logged: one (UID, SEQUENCE) never carries two texts and SEQUENCE never falls,
    so a calendar always keeps the latest text."""
    import icalendar

    def events(day: str) -> dict[str, tuple[int, str]]:
        data = clean(run(store, "export", "--today", day)).encode()
        return {str(e["UID"]): (int(str(e["SEQUENCE"])), str(e["SUMMARY"]) + "|"
                                + str(e["DESCRIPTION"]))
                for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}

    seen: dict[tuple[str, int], str] = {}
    highest: dict[str, int] = {}
    texts: dict[str, set[str]] = {}
    steps = [("2027-01-05", None), ("2027-01-07", None), ("2027-01-10", None),
             ("2027-01-12", None), ("2027-01-19", None), ("2027-01-19", "2027-01-04"),
             ("2027-01-19", "2027-01-06"), ("2027-01-20", None)]
    for day, logged in steps:
        if logged is not None:
            ok(run(store, "done", logged, "--today", day))
        for uid, (sequence, text) in events(day).items():
            assert seen.setdefault((uid, sequence), text) == text, (day, uid, sequence)
            assert sequence >= highest.get(uid, 0), (day, uid)
            highest[uid] = sequence
            texts.setdefault(uid, set()).add(text)
    assert sum(len(t) >= 3 for t in texts.values()) >= 5     # the texts did change, often


def test_log_lists_entries_by_id_and_rm_takes_one_out_which_undo_brings_back(
        store: Path) -> None:
    ok(run(store, "done", "2027-01-11", "--rpe", "7", "--pain", "3"))
    ok(run(store, "pain", "2027-01-12", "8"))
    ok(run(store, "done", "2027-01-13"))
    listed = ok(run(store, "log")).splitlines()
    assert listed[0] == "log: 3 entries"
    assert [line.split()[0] for line in listed[1:]] == [
        "done:2027-01-11", "pain:2027-01-12", "done:2027-01-13"]
    assert "done, effort 7/10, pain 3/10" in listed[1] and "morning pain 8/10" in listed[2]
    before = tables(store)
    one_line_error(run(store, "log", "rm", "pain:2027-01-14"), "ID: 'pain:2027-01-14'",
                   "pain:2027-01-12")
    one_line_error(run(store, "log", "delete", "pain:2027-01-12"), "rm ID")
    assert tables(store) == before
    out = ok(run(store, "log", "rm", "pain:2027-01-12"))
    assert out.startswith("removed pain:2027-01-12: morning pain 8/10\n")
    with open_store(store) as opened:
        plan = opened.current().plan
        assert opened.athlete_log(plan.plan_id).mornings == ()
    assert not any("Red flag" in note for s in plan.sessions for note in s.notes)
    assert [line.split()[0] for line in ok(run(store, "log")).splitlines()[1:]] == [
        "done:2027-01-11", "done:2027-01-13"]
    assert ok(run(store, "undo")).startswith("Undone: removed pain:2027-01-12;")
    with open_store(store) as opened:
        assert opened.athlete_log(plan.plan_id).mornings == ((dt.date(2027, 1, 12), 8),)


# -- 5. messages --------------------------------------------------------------------------------

def test_done_with_pain_above_the_limit_that_changes_nothing_says_why(store: Path) -> None:
    """After a red flag the sessions ahead are paused and at their lowest level: a later pain of
    6/10 changes no dose, and the line says so instead of a bare "no change"."""
    ok(run(store, "done", "2027-01-11", "--pain", "8"))
    out = ok(run(store, "done", "2027-01-13", "--pain", "6"))
    assert ("No change to the doses ahead: pain 6/10 is above the 5/10 limit, but the sessions "
            "after it are already eased or paused by an earlier score.") in out
    # Within the limit, nothing to explain.
    assert "above the" not in ok(run(store, "done", "2027-01-15", "--pain", "2"))
