"""The plan store: what a new file says it is, migrations, one transaction per change (a failure
in the middle leaves everything as it was), undo and history, the log's upsert, and a loop that
kills generate and replan at random moments and checks that nothing was lost or half-written."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import icalendar
import pytest
from click.testing import CliRunner
from factories import NOW, ROOT, build, make_profile, write_profile
from hypothesis import given, settings
from hypothesis import strategies as st
from old_stores import OLD_COLUMNS, downgrade

import cli
from planner.errors import ConcurrentChange, InputError, StoreError
from planner.store import database as store_module
from planner.store import plan_blobs
from planner.store.database import APPLICATION_ID, SCHEMA_VERSION, LogEntry, Store, open_store
from planner.store.plan import PSFS, Plan, dropped_sessions, plan_from_dict

TABLES = ["absences", "counters", "cramps", "feed_tokens", "forecasts", "google_calendars", "log",
          "log_changes", "measures", "morning", "request_keys", "revisions", "screens", "sequences"]

DAY = dt.date(2027, 1, 11)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build(make_profile(weeks=2))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


def pragmas(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as raw:
        result = (raw.execute("PRAGMA application_id").fetchone()[0],
                  raw.execute("PRAGMA user_version").fetchone()[0])
    raw.close()
    return result


def tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as raw:
        names = [r[0] for r in raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    raw.close()
    return names


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as raw:
        result = [tuple(r) for r in raw.execute(sql)]
    raw.close()
    return result


def state(path: Path) -> tuple[list[tuple[Any, ...]], ...]:
    """Every row of every table, undone revisions included."""
    return (rows(path, f"SELECT {OLD_COLUMNS}, uids, undone FROM revisions ORDER BY id"),
            rows(path, "SELECT * FROM log ORDER BY id"),
            rows(path, "SELECT * FROM counters ORDER BY name"),
            rows(path, "SELECT * FROM sequences ORDER BY uid"))


def saved(db: Path, plan: Plan, count: int) -> list[Plan]:
    """Save ``count`` revisions of ``plan`` (each a little later) and return them."""
    out = []
    with open_store(db, create=True) as store:
        for n in range(count):
            later = dataclasses.replace(plan, created=NOW + dt.timedelta(hours=n))
            out.append(store.save(later, make_profile(name=f"rev {n}"), f"note {n + 1}"))
    return out


# --- schema and migrations --------------------------------------------------------------------


def test_a_new_store_says_what_it_is_and_which_schema_it_has(db: Path) -> None:
    open_store(db, create=True).close()
    assert pragmas(db) == (APPLICATION_ID, SCHEMA_VERSION)
    assert tables(db) == TABLES


def test_a_schema_1_store_gains_the_google_calendars_table_and_keeps_its_data(
        db: Path, plan: Plan) -> None:
    with sqlite3.connect(db) as raw:
        raw.executescript(store_module.MIGRATIONS[1])
        raw.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        raw.execute("PRAGMA user_version = 1")
        raw.execute("INSERT INTO log (plan_id, day, status, kind, recorded) VALUES "
                    "(?, '2027-01-05', 'missed', NULL, '2026-12-01T09:00:00+00:00')",
                    (plan.plan_id,))
    raw.close()
    with open_store(db) as store:
        store.remember_google_calendar("", store_module.GoogleCalendar("id@group", "periodize"))
    assert pragmas(db) == (APPLICATION_ID, SCHEMA_VERSION) and tables(db) == TABLES
    with open_store(db) as store:
        assert store.google_calendar("") == store_module.GoogleCalendar("id@group", "periodize")
        assert [(e.day.isoformat(), e.status) for e in store.log(plan.plan_id)] == [
            ("2027-01-05", "missed")]


def test_a_missing_store_is_created_only_when_asked(db: Path) -> None:
    with pytest.raises(StoreError, match="no plan store here; run `periodize generate"):
        open_store(db)
    assert not db.exists()


def test_an_empty_file_is_migrated_from_version_0(db: Path) -> None:
    db.touch()
    open_store(db).close()
    assert pragmas(db) == (APPLICATION_ID, SCHEMA_VERSION)
    assert tables(db) == TABLES


def test_a_fresh_sqlite_database_is_migrated_from_version_0(db: Path) -> None:
    with sqlite3.connect(db) as raw:
        raw.execute("PRAGMA user_version = 0")
        raw.execute("VACUUM")                       # a real, empty database file with a header
    raw.close()
    assert db.stat().st_size > 0 and pragmas(db) == (0, 0)
    with open_store(db) as store:
        assert store.history() == []
    assert pragmas(db) == (APPLICATION_ID, SCHEMA_VERSION)


def test_a_failed_migration_changes_nothing(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db.touch()
    broken = {**store_module.MIGRATIONS, 1: store_module.MIGRATIONS[1] + ";\nCREATE TABLE half ("}
    monkeypatch.setattr(store_module, "MIGRATIONS", broken)
    with pytest.raises(StoreError, match="nothing was changed"):
        open_store(db)
    assert tables(db) == [] and pragmas(db) == (0, 0)
    monkeypatch.undo()
    open_store(db).close()
    assert tables(db) == TABLES


def schema(path: Path) -> tuple[list[tuple[Any, ...]], tuple[Any, ...], bytes, bytes]:
    """Everything a store file says about itself: its tables and indexes as SQLite holds them,
    its pragmas, and the fixed fields of its header (page size, format versions, encoding)."""
    with sqlite3.connect(path) as raw:
        master = sorted(tuple(r) for r in raw.execute("SELECT * FROM sqlite_master"))
        said = tuple(raw.execute(f"PRAGMA {name}").fetchone()[0] for name in (
            "application_id", "user_version", "page_size", "encoding", "auto_vacuum",
            "journal_mode", "freelist_count", "integrity_check"))
    raw.close()
    header = path.read_bytes()[:100]
    return master, said, header[16:24], header[44:72]


def test_a_store_made_from_the_template_is_the_store_the_migrations_make(
        tmp_path: Path, plan: Plan) -> None:
    templated, migrated = tmp_path / "templated.db", tmp_path / "migrated.db"
    open_store(templated, create=True).close()
    migrated.touch()                      # an empty file: every migration runs, one by one
    open_store(migrated).close()
    assert schema(templated) == schema(migrated)
    assert schema(templated)[1][:2] == (APPLICATION_ID, SCHEMA_VERSION)
    assert tables(templated) == TABLES
    # And they keep a plan the same way.
    for path in (templated, migrated):
        with open_store(path) as store:
            store.save(plan, make_profile(), "first", expect=store.changes())
    assert state(templated) == state(migrated) and schema(templated) == schema(migrated)


def test_a_new_store_is_written_whole_at_its_first_change(db: Path, plan: Plan) -> None:
    with open_store(db, create=True) as store:
        assert not db.exists()              # held in memory until something is saved
        assert store.history() == [] and store.changes() == 0
        stored = store.save(plan, make_profile(), "first", expect=0)
        assert db.exists() and rows(db, "SELECT number FROM revisions") == [(1,)]
        store.record(plan.plan_id, [DAY], "missed", None, NOW)      # now on the file
    assert sorted(p.name for p in db.parent.iterdir()) == ["store.db"]    # no temporary file
    with open_store(db) as store:
        assert store.current()[0] == stored and store.changes() == 2
        assert [(e.day, e.status) for e in store.log(plan.plan_id)] == [(DAY, "missed")]
    assert _integrity(db) == "ok"


def test_a_new_store_whose_save_failed_is_written_empty(db: Path, plan: Plan) -> None:
    def refuse(final: Plan) -> None:
        raise ValueError("the exporter refuses it")

    with open_store(db, create=True) as store, pytest.raises(ValueError):
        store.save(plan, make_profile(), "first", expect=0, check=refuse)
    assert state(db) == ([], [], [("changes", 0)], [])     # as open_store always made it
    assert pragmas(db) == (APPLICATION_ID, SCHEMA_VERSION)


def test_two_commands_creating_one_store_never_overwrite_each_other(
        db: Path, plan: Plan) -> None:
    first, second = open_store(db, create=True), open_store(db, create=True)
    first.save(plan, make_profile(), "first", expect=first.changes())
    first.close()
    before = state(db)
    with pytest.raises(ConcurrentChange, match="another periodize created this store while "
                                               "this one worked; nothing was saved"):
        second.save(dataclasses.replace(plan, name="Alex"), make_profile(), "second",
                    expect=second.changes())
    assert second.history() == []          # nothing of it kept, in memory either
    second.close()
    assert state(db) == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["store.db"]


def test_a_new_store_whose_folder_went_away_saves_nothing(tmp_path: Path, plan: Plan) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()
    store = open_store(folder / "store.db", create=True)
    folder.rmdir()
    with pytest.raises(StoreError, match=r"the store cannot be created there \(No such file or "
                                         r"directory\); nothing was saved"):
        store.save(plan, make_profile(), "first", expect=0)
    assert store.history() == []
    store.close()      # not tried again on close: a refused command leaves no file (issue 28)
    assert not folder.exists()


def test_a_later_schema_migrates_an_existing_store_and_keeps_its_data(
        db: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    saved(db, plan, 2)
    with open_store(db) as store:
        store.record(plan.plan_id, [DAY], "missed", None, NOW)
    before = state(db)
    later = SCHEMA_VERSION + 1
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", later)
    monkeypatch.setattr(store_module, "MIGRATIONS", {
        **store_module.MIGRATIONS, later: "ALTER TABLE log ADD COLUMN note TEXT"})
    with open_store(db) as store:
        assert [r.number for r in store.history()] == [1, 2]
        assert store.log(plan.plan_id)[0].status == "missed"
    assert pragmas(db) == (APPLICATION_ID, later)
    after = state(db)
    assert after[0] == before[0] and [r[:-1] for r in after[1]] == before[1]
    assert after[2:] == before[2:]
    monkeypatch.undo()
    with pytest.raises(StoreError, match=rf"newer periodize \(schema {later}; this one reads "
                                         rf"up to {SCHEMA_VERSION}\)"):
        open_store(db)


def test_a_version_1_store_gains_the_athlete_log_and_keeps_its_entries(
        db: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1)
    open_store(db, create=True).close()
    with sqlite3.connect(db) as raw:
        raw.execute("INSERT INTO log (plan_id, day, status, kind, recorded) VALUES (?, ?, ?, ?, ?)",
                    (plan.plan_id, DAY.isoformat(), "done", None, NOW.isoformat()))
    raw.close()
    assert pragmas(db) == (APPLICATION_ID, 1)
    monkeypatch.undo()
    saved(db, plan, 1)
    with open_store(db) as store:
        assert store.log(plan.plan_id) == [LogEntry(DAY, "done", None, None, None, ())]
        assert store.forecast() == store.current()[0]
        store.record_morning(plan.plan_id, DAY, 3, NOW)
        store.record_screen(plan.plan_id, DAY, True, NOW)
        assert store.athlete_log(plan.plan_id).mornings == ((DAY, 3),)
    assert pragmas(db) == (APPLICATION_ID, SCHEMA_VERSION) and tables(db) == TABLES


def test_the_store_refuses_a_pain_score_out_of_range(db: Path, plan: Plan) -> None:
    saved(db, plan, 1)
    with open_store(db) as store, pytest.raises(StoreError):
        store.record_morning(plan.plan_id, DAY, 11, NOW)
    with open_store(db) as store:
        assert store.athlete_log(plan.plan_id).mornings == ()


# --- one transaction per change ---------------------------------------------------------------


def _fail_on_plan_json(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """json.dumps in the store works for the profile and fails for the plan (the second call)."""
    real = json.dumps

    def dumps(value: Any, **kwargs: Any) -> str:
        if isinstance(value, dict) and "sessions" in value:
            raise error
        return real(value, **kwargs)

    monkeypatch.setattr(json, "dumps", dumps)     # the module planner.store.database calls


@pytest.fixture
def with_undone(db: Path, plan: Plan) -> Path:
    """Three revisions, the last one undone (kept until the next save)."""
    saved(db, plan, 3)
    with open_store(db) as store:
        store.record(plan.plan_id, [DAY], "done", None, NOW)
        store.undo()
    return db


@pytest.mark.parametrize("error", [TypeError("not JSON serializable"), KeyboardInterrupt()],
                         ids=["error", "ctrl-c"])
def test_save_is_one_transaction(with_undone: Path, plan: Plan,
                                 monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """save sets the undone revision aside for good, then inserts the new one: a failure in
    between keeps the undone revision redoable and the old current one current."""
    before = state(with_undone)
    assert any(r[-1] > 0 for r in before[0])           # the undone revision is there
    _fail_on_plan_json(monkeypatch, error)
    with open_store(with_undone) as store, pytest.raises(type(error)):
        store.save(plan, make_profile(name="new"), "must not land")
    assert state(with_undone) == before
    with open_store(with_undone) as store:
        assert [r.number for r in store.history()] == [1, 2]


class FailingConnection:
    """Delegates to a real connection but fails the first statement that contains ``word``
    (for executemany, after the first row has gone in)."""

    def __init__(self, real: sqlite3.Connection, word: str) -> None:
        self.real = real
        self.word = word

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if self.word in sql:
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return self.real.execute(sql, *args)

    def executemany(self, sql: str, seq: list[tuple[Any, ...]]) -> sqlite3.Cursor:
        if self.word in sql:
            self.real.execute(sql, seq[0])
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return self.real.executemany(sql, seq)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def failing(with_undone: Path) -> Iterator[tuple[Store, FailingConnection]]:
    store = open_store(with_undone)
    proxy = FailingConnection(store.db, "INSERT")
    setattr(store, "db", proxy)          # noqa: B010 - a stand-in the type does not allow
    yield store, proxy
    proxy.real.close()


def test_a_failing_insert_rolls_back_the_delete_before_it(
        with_undone: Path, plan: Plan, failing: tuple[Store, FailingConnection]) -> None:
    before = state(with_undone)
    store, _ = failing
    with pytest.raises(StoreError, match=r"the store cannot be used \(disk I/O error"):
        store.save(plan, make_profile(), "must not land")
    assert state(with_undone) == before


def test_record_is_one_transaction(with_undone: Path, plan: Plan,
                                   failing: tuple[Store, FailingConnection]) -> None:
    before = state(with_undone)
    store, _ = failing
    days = [DAY + dt.timedelta(days=n) for n in range(3)]
    with pytest.raises(StoreError, match="nothing was changed"):
        store.record(plan.plan_id, days, "missed", None, NOW)
    assert state(with_undone) == before


def test_a_failing_undo_undoes_nothing(with_undone: Path,
                                       failing: tuple[Store, FailingConnection]) -> None:
    before = state(with_undone)
    store, proxy = failing
    proxy.word = "UPDATE"
    with pytest.raises(StoreError):
        store.undo()
    assert state(with_undone) == before


# --- history, undo and the log ----------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(text=st.text(), cue=st.text(), level=st.integers(0, 3))
def test_the_text_a_plan_is_stored_as_is_its_json_to_the_byte(
        plan: Plan, text: str, cue: str, level: int) -> None:
    # Plan.to_json encodes each list of exercises once and splices it in: texts that look like
    # its seams, quotes, newlines and any Unicode change nothing; nor does an empty list.
    seam = '"exercises": [], "notes": []}'
    first, second, *rest = plan.sessions
    doses = tuple(dataclasses.replace(d, cue=cue + seam, level=level) for d in first.exercises)
    odd = dataclasses.replace(plan, name=text + seam, sessions=(
        dataclasses.replace(first, exercises=doses, notes=(text, seam)),
        dataclasses.replace(second, exercises=()), *rest))
    for each in (plan, odd):
        assert each.to_json() == json.dumps(each.to_dict())
        assert plan_from_dict(json.loads(each.to_json())) == each


def test_history_lists_revisions_in_order_and_marks_the_current(db: Path, plan: Plan) -> None:
    saved(db, plan, 3)
    with open_store(db) as store:
        history = store.history()
        assert [(r.number, r.note, r.current) for r in history] == [
            (1, "note 1", False), (2, "note 2", False), (3, "note 3", True)]
        assert [r.created for r in history] == [NOW + dt.timedelta(hours=n) for n in range(3)]
        assert {r.sessions for r in history} == {len(plan.sessions)}
        assert store.current()[0].revision == 3


def test_saved_plans_read_back_equal(db: Path, plan: Plan) -> None:
    [first] = saved(db, plan, 1)
    assert first == dataclasses.replace(plan, revision=1)
    with open_store(db) as store:
        current, profile = store.current()
    assert current == first and current.to_dict() == first.to_dict()
    assert profile == make_profile(name="rev 0")


def test_undo_steps_back_and_the_next_save_keeps_what_was_undone(db: Path, plan: Plan) -> None:
    saved(db, plan, 3)
    with open_store(db) as store:
        back = store.undo()
        assert (back.number, back.current) == (2, True)
        assert [r.number for r in store.history()] == [1, 2]
        assert store.current()[0].revision == 2
        assert store.undo().number == 1
        with pytest.raises(InputError, match="undo: 'revision 1' is not accepted; a plan with an "
                                             "earlier revision"):
            store.undo()
        new = store.save(plan, make_profile(), "after undo")
        # Numbers are never reused: a calendar imported as "rev 3" is never a different plan.
        assert new.revision == 4
        assert [(r.number, r.note) for r in store.history()] == [(1, "note 1"),
                                                                 (4, "after undo")]
    # Every revision is kept; the undone ones are set aside for good once a new one is saved.
    assert rows(db, "SELECT number, undone FROM revisions ORDER BY number") == [
        (1, 0), (2, -1), (3, -1), (4, 0)]
    with open_store(db) as store:
        assert [(r.number, r.undone) for r in store.history(include_undone=True)] == [
            (1, False), (2, True), (3, True), (4, False)]
        with pytest.raises(InputError, match="redo"):
            store.redo()


def test_undo_and_current_without_a_plan(db: Path) -> None:
    with open_store(db, create=True) as store:
        assert store.history() == []
        with pytest.raises(InputError, match="undo: 'no plan'"):
            store.undo()
        with pytest.raises(StoreError, match="no plan yet; run `periodize generate PROFILE`"):
            store.current()


def test_record_upserts_and_the_latest_word_wins(db: Path, plan: Plan) -> None:
    saved(db, plan, 1)
    other = "another-plan"
    later = NOW + dt.timedelta(days=1)
    with open_store(db) as store:
        store.record(plan.plan_id, [DAY, DAY + dt.timedelta(days=2)], "missed", "plyometrics",
                     NOW)
        store.record(other, [DAY], "done", None, NOW)
        store.record(plan.plan_id, [DAY], "done", None, later)
        assert [(e.day, e.status, e.kind) for e in store.log(plan.plan_id)] == [
            (DAY, "done", None), (DAY + dt.timedelta(days=2), "missed", "plyometrics")]
        assert [(e.day, e.status) for e in store.log(other)] == [(DAY, "done")]
    assert rows(db, f"SELECT recorded FROM log WHERE day = '{DAY}' AND plan_id = "
                    f"'{plan.plan_id}'") == [(later.isoformat(),)]


def test_a_status_the_log_does_not_know_is_refused(db: Path, plan: Plan) -> None:
    saved(db, plan, 1)
    with open_store(db) as store, pytest.raises(StoreError, match="CHECK constraint"):
        store.record(plan.plan_id, [DAY], "skipped", None, NOW)
    assert rows(db, "SELECT * FROM log") == []


def test_marked_applies_the_log_in_the_plans_zone(db: Path, plan: Plan) -> None:
    saved(db, plan, 1)
    first = plan.sessions[0]
    day = first.start.date()
    with open_store(db) as store:
        store.record(plan.plan_id, [day], "missed", None, NOW)
        marked = store.marked(store.current()[0])
    assert marked.sessions[0].status == "missed"
    assert all(s.status == "planned" for s in marked.sessions[1:])


def test_a_damaged_revision_is_a_store_error(db: Path, plan: Plan) -> None:
    saved(db, plan, 1)
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE revisions SET plan = '{\"plan\": {}}'")
    raw.close()
    with open_store(db) as store:
        with pytest.raises(StoreError, match="revision 1 is damaged"):
            store.current()
        with pytest.raises(StoreError, match="a revision is damaged"):
            store.history()


@pytest.mark.parametrize("damage", [b"not zlib at all", zlib.compress(b"\xff\xfe not text"),
                                    zlib.compress(b'{"plan": {}}')])
def test_a_damaged_compressed_revision_is_a_store_error(db: Path, plan: Plan,
                                                        damage: bytes) -> None:
    saved(db, plan, 1)
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE revisions SET plan = ?", (damage,))
    raw.close()
    with open_store(db) as store, pytest.raises(StoreError, match="revision 1 is damaged"):
        store.current()


def test_plans_are_kept_compressed_and_read_back_whole(db: Path, plan: Plan) -> None:
    """Each revision keeps its plan as zlib-compressed JSON: the same text ``to_json`` gives,
    at a tenth of its size or less (27x for the example's 8 weeks)."""
    kept = saved(db, plan, 2)
    stored = rows(db, "SELECT plan FROM revisions ORDER BY number")
    assert all(isinstance(value, bytes) for (value,) in stored)
    assert [zlib.decompress(value).decode() for (value,) in stored] == [
        p.to_json() for p in kept]
    assert all(len(value) * 10 <= len(p.to_json())
               for (value,), p in zip(stored, kept, strict=True))
    with open_store(db) as store:
        assert store.revisions(plan.plan_id) == kept
        assert store.current()[0] == kept[-1]


def test_a_store_with_plans_kept_as_text_is_read_and_new_revisions_are_compressed(
        db: Path, plan: Plan) -> None:
    """A store of schema 9 holds each plan's text: it is read as it is, its rows are never
    rewritten by the upgrade (which lists each revision's UIDs beside it), and what is saved
    after it is compressed."""
    old = saved(db, plan, 1)
    downgrade(db, 9)
    before = rows(db, "SELECT * FROM revisions")
    assert isinstance(before[0][6], str) and pragmas(db) == (APPLICATION_ID, 9)
    with open_store(db) as store:
        assert store.current()[0] == old[0]
        assert store.athlete() == plan.name
        store.save(dataclasses.replace(plan, created=NOW + dt.timedelta(days=1)),
                   make_profile(), "after the upgrade")
    after = rows(db, f"SELECT {OLD_COLUMNS}, uids FROM revisions ORDER BY number")
    assert after[0][:-1] == before[0] and isinstance(after[1][6], bytes)
    assert [json.loads(r[-1]) for r in after] == [[s.uid for s in plan.sessions]] * 2
    assert pragmas(db) == (APPLICATION_ID, SCHEMA_VERSION)


def test_dropped_sessions_are_found_reading_only_the_revisions_that_held_them(
        db: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    """Forty revisions that only re-dose, then one that drops a session: finding the dropped
    session parses one plan (the last that held it) besides the current one, not all 41."""
    kept = saved(db, plan, 40)
    fewer = dataclasses.replace(plan, created=NOW + dt.timedelta(days=3),
                                sessions=plan.sessions[1:])
    with open_store(db) as store:
        current = store.save(fewer, make_profile(), "dropped one")
    parsed: list[int] = []
    real = plan_blobs.read_plan

    def counted(value: bytes | str) -> Plan:
        parsed.append(1)
        return real(value)

    monkeypatch.setattr(store_module, "read_plan", counted)
    with open_store(db) as store:
        dropped = store.dropped(current)
    assert [s.uid for s in dropped] == [plan.sessions[0].uid] and len(parsed) == 1
    assert dropped == dropped_sessions(current, [*kept, current])


# --- interruptions ----------------------------------------------------------------------------

TMP_PREFIX = ".plan.ics."


def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as raw:   # rolls back a hot journal left by a kill, as periodize does
        result = "\n".join(r[0] for r in raw.execute("PRAGMA integrity_check"))
    raw.close()
    return result


def _calendar_revisions(data: bytes, db: Path, plan_id: str) -> list[int]:
    """The stored revisions whose sessions a complete .ics file holds (by UID and start; the
    calendar's name no longer carries the revision); fails on a half-written file. Sessions
    earlier revisions dropped are in the file too, cancelled, and not counted."""
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    calendar = icalendar.Calendar.from_ical(data)
    held = {(str(e["UID"]), _moment(e.decoded("DTSTART")))
            for e in calendar.walk("VEVENT") if not str(e["SUMMARY"]).startswith("Dropped: ")}
    with open_store(db) as store:
        plans = store.revisions(plan_id)
    return [p.revision for p in plans if {
        (x.uid, _moment(x.start.date() if x.session_type == PSFS else x.start))
        for x in (*p.sessions, *(c for c in p.checks if c.status != "dropped"))} == held]


def _moment(value: dt.date) -> dt.date:
    """An event's start: an instant in UTC, or an all-day event's date (a PSFS check-in)."""
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value


# The child runs the CLI with hooks at two kinds of stage: before the k-th SQL statement (any
# point of a store transaction) and at the rename that puts a finished file in place. At the
# chosen stage it tells the parent (a byte on one pipe) and waits (a read on another), so the
# signal lands exactly there however fast or loaded the machine is: the kill point is chosen by
# the work done, not by a clock.
STAGED_CLI = """
import os, sqlite3, sys
marker, go = int(os.environ["KILL_MARKER_FD"]), int(os.environ["KILL_GO_FD"])
stage, nth = os.environ["KILL_STAGE"], int(os.environ["KILL_NTH"])
seen = {"sql": 0, "replace": 0}

def reached(kind):
    seen[kind] += 1
    if kind == stage and seen[kind] == nth:
        os.write(marker, b"@")
        os.read(go, 1)          # blocks until the parent has signalled and closed the pipe

connect = sqlite3.connect
def traced(*args, **kwargs):
    connection = connect(*args, **kwargs)
    connection.set_trace_callback(lambda sql: reached("sql"))
    return connection
sqlite3.connect = traced

rename = os.replace
def replace(*args, **kwargs):
    reached("replace")
    return rename(*args, **kwargs)
os.replace = replace

import cli
sys.argv = ["periodize", *sys.argv[1:]]
cli.main()
"""


def _run_to_stage(args: list[str], stage: str, nth: int, sig: signal.Signals | None,
                  ) -> tuple[int, str, bool]:
    """Run the CLI, send ``sig`` when it reaches the ``nth`` ``stage`` ("sql" or "replace";
    "start": at once, while Python starts), and return (exit code, stderr, whether the stage was
    reached)."""
    marker_r, marker_w = os.pipe()
    go_r, go_w = os.pipe()
    env = {**os.environ, "KILL_MARKER_FD": str(marker_w), "KILL_GO_FD": str(go_r),
           "KILL_STAGE": stage, "KILL_NTH": str(nth)}
    process = subprocess.Popen([sys.executable, "-c", STAGED_CLI, *args], cwd=ROOT, env=env,
                               pass_fds=(marker_w, go_r), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    os.close(marker_w)
    os.close(go_r)
    try:
        # A byte at the stage, or end of file when the child exits without reaching it.
        reached = stage == "start" or os.read(marker_r, 1) == b"@"
        if reached and sig is not None:
            process.send_signal(sig)
    finally:
        os.close(go_w)
        os.close(marker_r)
    _, err = process.communicate(timeout=300)   # a hang guard, not a limit on speed
    return process.returncode, err, reached


@pytest.mark.slow
def test_killing_generate_and_replan_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(20270104)
    db, out = tmp_path / "store.db", tmp_path / "plan.ics"
    profile = write_profile(tmp_path)
    assert _run(["--db", str(db), "generate", str(profile), "-o", str(out)]).returncode == 0
    assert _run(["--db", str(db), "missed", "2027-01-11"]).returncode == 0
    with open_store(db) as store:
        plan_id = store.current()[0].plan_id
        log = store.log(plan_id)
        numbers = [r.number for r in store.history()]
    assert [(e.day, e.status) for e in log] == [(DAY, "missed")]

    # replan --profile alternates between two block lengths, so that completed runs store
    # revisions (generate refuses a plan with a log: it would start it again from week 1).
    variants = [profile.read_text(encoding="utf-8"),
                profile.read_text(encoding="utf-8").replace("weeks = 8", "weeks = 9")]
    assert variants[0] != variants[1]
    commands = [["replan", "--profile", str(profile), "--today", "2027-01-12"],
                ["replan", "--today", "2027-01-12"]]
    outcomes: dict[str, int] = {}
    for turn in range(50):
        profile.write_text(variants[(turn // 2) % 2], encoding="utf-8")
        args = ["--db", str(db), *commands[turn % 2], "-o", str(out)]
        choice = rng.random()
        sig: signal.Signals | None
        if choice < 0.55:       # SIGKILL anywhere in a store transaction or at the file rename
            sig = signal.SIGKILL
            stage, nth = rng.choice([("sql", rng.randint(1, 40)), ("replace", 1)])
        elif choice < 0.8:      # Ctrl-C while the finished calendar is being put in place
            sig, stage, nth = signal.SIGINT, "replace", 1
        elif choice < 0.9:      # Ctrl-C while Python starts or loads its libraries
            sig, stage, nth = signal.SIGINT, "start", 0
        else:                   # no signal: the run completes
            sig, stage, nth = None, "replace", 0
        leftovers = {p.name for p in tmp_path.iterdir() if p.name.startswith(TMP_PREFIX)}
        code, err, reached = _run_to_stage(args, stage, nth, sig)
        signame = sig.name if sig else "none"
        where = f"turn {turn}: {args[2]} {signame} at {stage} {nth} -> {code}: {err[-300:]}"

        if code == 0 and err.startswith("Exception ignored in") and sig == signal.SIGINT:
            # Ctrl-C inside one of Python's own callbacks (an import lock's): Python reports it
            # as unraisable and carries on, so the run completes.
            kind = "sigint-lost-by-python"
            assert err.rstrip().endswith("KeyboardInterrupt:"), where
        elif code == 0:
            kind = "completed"
            assert err == "", where
        elif sig == signal.SIGKILL:
            kind = "killed"
            assert code == -signal.SIGKILL, where
        elif err.endswith(cli.INTERRUPTED + "\n"):
            kind = "interrupted"
            assert err == cli.INTERRUPTED + "\n", where
            assert code in (130, -signal.SIGINT), where
        elif code == -signal.SIGINT and err == "":
            # Ctrl-C after the command finished, while Python shuts down (it restores the
            # default handler then): the checks below show the work was complete.
            kind = "sigint-at-exit"
        else:
            # Ctrl-C while Python starts or click parses, before the command runs: Python's
            # traceback or click's "Aborted." (nothing can catch it earlier).
            kind = "sigint-before-the-command"
            assert "KeyboardInterrupt" in err or "Aborted" in err, where
            assert "in wrapper" not in err, where
        outcomes[kind] = outcomes.get(kind, 0) + 1

        # The store: sound, readable, the log intact, revisions only added.
        assert _integrity(db) == "ok", where
        with open_store(db) as store:
            store.current()
            assert store.log(plan_id) == log, where
            history = store.history()
        now = [r.number for r in history]
        assert now[:len(numbers)] == numbers and len(now) >= len(numbers), where
        numbers = now
        # The calendar: always a complete file of a stored revision, never half-written.
        assert _calendar_revisions(out.read_bytes(), db, plan_id), where
        # Nothing else left behind; a temporary file only by a process that had no chance to
        # clean up (killed by a signal), and never under the final name.
        names = {p.name for p in tmp_path.iterdir()}
        new_tmp = {n for n in names if n.startswith(TMP_PREFIX)} - leftovers
        assert names - {n for n in names if n.startswith(TMP_PREFIX)} <= {
            "store.db", "store.db-journal", "plan.ics", "profile.toml"}, where
        assert all(n.endswith(".tmp") for n in new_tmp), where
        assert not new_tmp or code < 0, where

        if sig == signal.SIGKILL and reached:
            assert kind == "killed", where         # the child was waiting at the stage
        if sig == signal.SIGINT and stage == "replace" and reached:
            assert kind == "interrupted", where

    print("kill loop outcomes:", outcomes)
    # Counts of what the stages guarantee, the same on any machine for this seed.
    assert outcomes.get("killed", 0) >= 5, outcomes
    assert outcomes.get("interrupted", 0) >= 3, outcomes
    assert outcomes.get("completed", 0) >= 2, outcomes
    assert len(numbers) > 2, numbers
    # A normal run after all that works, and its calendar is the newest revision.
    profile.write_text(variants[1], encoding="utf-8")
    assert _run(["--db", str(db), "replan", "--profile", str(profile), "--today", "2027-01-13",
                 "-o", str(out)]).returncode == 0
    with open_store(db) as store:
        current = store.current()[0]
    assert current.revision in _calendar_revisions(out.read_bytes(), db, current.plan_id)


def _interrupting(module: str, attribute: str) -> str:
    """A script that runs the CLI with ``module.attribute`` replaced by a function that sends
    the process SIGINT (as Ctrl-C does) when it is called."""
    return f"""
import os, signal, sys
import {module} as target

def interrupt(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)
    raise AssertionError("SIGINT did not interrupt")

target.{attribute} = interrupt
import cli
sys.argv = ["periodize", *sys.argv[1:]]
cli.main()
"""


def _generate_in(script: str, db: Path, profile: Path, out: Path,
                 ) -> subprocess.CompletedProcess[str]:
    """``periodize --db DB generate PROFILE -o OUT`` run by ``script`` (which patches something
    and then calls the CLI) in a fresh Python."""
    return subprocess.run([sys.executable, "-c", script, "--db", str(db), "generate",
                           str(profile), "-o", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def _interrupted_generate(tmp_path: Path, module: str, attribute: str) -> None:
    db, out = tmp_path / "store.db", tmp_path / "plan.ics"
    profile = write_profile(tmp_path)
    assert _run(["--db", str(db), "generate", str(profile), "-o", str(out)]).returncode == 0
    before, calendar = state(db), out.read_bytes()
    done = _generate_in(_interrupting(module, attribute), db, profile, out)
    assert state(db) == before and out.read_bytes() == calendar
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.ics", "profile.toml",
                                                          "store.db"]
    assert (done.returncode, done.stderr) == (130, cli.INTERRUPTED + "\n")


@pytest.mark.slow
def test_ctrl_c_after_the_save_says_what_was_kept(tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "plan.ics"
    profile = write_profile(tmp_path)
    assert _run(["--db", str(db), "generate", str(profile), "-o", str(out)]).returncode == 0
    before = state(db)
    done = _generate_in(_interrupting("planner.calendars.export.formats", "write_plan"), db,
                        profile, out)
    assert done.returncode == 130 and done.stderr.startswith("Interrupted")
    assert len(done.stderr.splitlines()) == 1
    saved_anyway = state(db) != before
    assert not (saved_anyway and "nothing was changed" in done.stderr), done.stderr


SIMULATED_INTERRUPTED_IMPORT = """
import sys
from importlib.abc import MetaPathFinder

class Interrupted(MetaPathFinder):
    # What a Ctrl-C in the middle of loading OR-Tools' pybind11 extension looks like: the
    # extension's initialisation turns the KeyboardInterrupt into an ImportError.
    def find_spec(self, name, path=None, target=None):
        if name == "ortools.sat.python.cp_model_helper":
            raise ImportError("initialization failed") from KeyboardInterrupt()
        return None

sys.meta_path.insert(0, Interrupted())
import cli
sys.argv = ["periodize", *sys.argv[1:]]
cli.main()
"""


@pytest.mark.slow
def test_ctrl_c_while_ortools_loads_is_handled(tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "plan.ics"
    done = _generate_in(SIMULATED_INTERRUPTED_IMPORT, db, write_profile(tmp_path), out)
    assert not out.exists()
    assert (done.returncode, done.stderr) == (130, cli.INTERRUPTED + "\n")


CTRL_C_DURING_THE_SEARCH = """
import os, signal, sys
from ortools.sat.python import cp_model

real = cp_model.CpSolver.solve

class CtrlC(cp_model.CpSolverSolutionCallback):
    sent = False

    def on_solution_callback(self):
        if not CtrlC.sent:
            CtrlC.sent = True
            os.kill(os.getpid(), signal.SIGINT)

def solve(self, model, callback=None):
    return real(self, model, CtrlC())

cp_model.CpSolver.solve = solve
import cli
sys.argv = ["periodize", *sys.argv[1:]]
cli.main()
"""


@pytest.mark.slow
def test_ctrl_c_during_the_search_interrupts_periodize(tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "plan.ics"
    done = _generate_in(CTRL_C_DURING_THE_SEARCH, db, write_profile(tmp_path), out)
    assert (done.returncode, done.stderr) == (130, cli.INTERRUPTED + "\n")
    assert not db.exists() and not out.exists()


@pytest.mark.slow
def test_ctrl_c_before_the_solver_is_handled(tmp_path: Path) -> None:
    """Ctrl-C while the profile is read: one line, exit 130, nothing changed or left behind."""
    _interrupted_generate(tmp_path, "planner.commands", "read_profile")


@pytest.mark.slow
def test_ctrl_c_after_the_solver_ran_is_handled(tmp_path: Path) -> None:
    """Ctrl-C just before the new revision is stored (or found to be stored already)."""
    _interrupted_generate(tmp_path, "planner.workflows.generate", "store_plan")


# --- compare-and-swap, one athlete per store, SEQUENCE, undo and redo -------------------------


def test_a_write_from_a_stale_read_is_refused_and_changes_nothing(db: Path, plan: Plan) -> None:
    saved(db, plan, 1)
    with open_store(db) as store:
        seen = store.changes()
        store.record(plan.plan_id, [DAY], "missed", None, NOW)       # another command's change
        before = state(db)
        with pytest.raises(ConcurrentChange, match="another periodize changed the plan while "
                                                   "this one worked; nothing was saved"):
            store.save(plan, make_profile(), "stale", expect=seen)
        with pytest.raises(ConcurrentChange):
            store.record(plan.plan_id, [DAY], "done", None, NOW, expect=seen)
        with pytest.raises(ConcurrentChange):
            store.undo(expect=seen)
        assert state(db) == before
        assert store.save(plan, make_profile(), "fresh", expect=store.changes()).revision == 2
    assert ConcurrentChange.exit_code == 3


def test_a_store_refuses_another_athletes_plan(tmp_path: Path, db: Path, plan: Plan) -> None:
    saved(db, plan, 1)
    before = state(db)
    with open_store(db) as store, pytest.raises(
            StoreError, match=r"this store holds Test athlete's plan, not Alex's .* --db FILE"):
        store.save(dataclasses.replace(plan, name="Alex"), make_profile(), "someone else")
    assert state(db) == before
    with open_store(db) as store:      # the same athlete, written differently
        store.save(dataclasses.replace(plan, name=" test  ATHLETE"), make_profile(), "same person")
    # Through the CLI, following the README: the example first, then one's own profile.
    example = tmp_path / "example.db"
    runner = CliRunner()
    assert runner.invoke(cli.main, ["--db", str(example), "generate", str(ROOT / "examples" /
                                    "athlete.toml"), "-o", str(tmp_path / "x.ics")]).exit_code == 0
    mine = write_profile(tmp_path, name="Alex")
    before = state(example)
    result = runner.invoke(cli.main, ["--db", str(example), "generate", str(mine), "-o",
                                      str(tmp_path / "x.ics")])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "holds Sam's plan, not Alex's" in result.output
    assert state(example) == before


def test_an_unchanged_regenerate_changes_nothing(tmp_path: Path) -> None:
    db, out = tmp_path / "plan.db", tmp_path / "plan.ics"
    profile = write_profile(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli.main, ["--db", str(db), "generate", str(profile), "-o",
                                    str(out)]).exit_code == 0
    before, calendar = state(db), out.read_bytes()
    again = runner.invoke(cli.main, ["--db", str(db), "generate", str(profile), "-o", str(out)])
    assert again.exit_code == 0 and "No changes: revision 1 already is this plan" in again.output
    assert state(db) == before and out.read_bytes() == calendar
    assert "periodize · Test athlete" in out.read_text(encoding="utf-8")


def _sequences(db: Path) -> dict[str, tuple[int, str]]:
    from planner import commands

    calendar = icalendar.Calendar.from_ical(commands.export(db, None, "ics"))
    return {str(e["UID"]): (int(str(e["SEQUENCE"])), str(e["STATUS"]))
            for e in calendar.events}


@pytest.mark.slow
def test_sequence_never_falls_through_replan_undo_redo_and_regenerate(tmp_path: Path) -> None:
    from planner import commands

    db = tmp_path / "plan.db"
    profile = write_profile(tmp_path)
    plan = commands.generate(profile, db, None, NOW).plan
    seen = [_sequences(db)]
    first = plan.sessions[0]
    commands.record(db, [first.start.date().isoformat()], "missed", None, NOW)
    later = NOW + dt.timedelta(days=40)
    commands.replan(db, first.start.date() + dt.timedelta(days=1), None, None, later)
    seen.append(_sequences(db))
    assert seen[-1][first.uid] == (1, "CANCELLED")
    assert commands.undo(db, later).number == 2      # the replan; the missed mark stands
    seen.append(_sequences(db))
    assert seen[-1][first.uid] == (1, "CANCELLED")
    back = commands.undo(db, later)                   # the log entry itself
    assert back.number == 1 and back.undid == "logged missed 2027-01-04"
    seen.append(_sequences(db))
    assert seen[-1][first.uid] == (2, "CONFIRMED")   # above the CANCELLED one calendars hold
    assert commands.redo(db, later).number == 2
    seen.append(_sequences(db))
    assert seen[-1][first.uid] == (3, "CANCELLED")
    commands.undo(db, later)
    # Nothing logged and nothing past as of NOW: generate may start the plan again (same UIDs).
    commands.generate(write_profile(tmp_path, weeks=6), db, None, NOW + dt.timedelta(hours=1))
    seen.append(_sequences(db))
    for before, after in itertools.pairwise(seen):
        for uid in before.keys() & after.keys():
            assert after[uid][0] >= before[uid][0], uid
            if after[uid] != before[uid]:
                assert after[uid][0] > before[uid][0], uid
    assert [(r.number, r.undone) for r in commands.history(db, include_undone=True)] == [
        (1, False), (2, True), (3, True), (4, False)]


def test_undo_keeps_the_undone_revision_and_redo_brings_it_back(tmp_path: Path) -> None:
    db = tmp_path / "plan.db"
    profile = write_profile(tmp_path)
    runner = CliRunner()
    base = ["--db", str(db)]
    assert runner.invoke(cli.main, [*base, "generate", str(profile), "-o",
                                    str(tmp_path / "p.ics")]).exit_code == 0
    assert runner.invoke(cli.main, [*base, "missed", "2027-01-11"]).exit_code == 0
    assert runner.invoke(cli.main, [*base, "replan", "--today", "2027-01-12", "-o",
                                    str(tmp_path / "p.ics")]).exit_code == 0
    undone = runner.invoke(cli.main, [*base, "undo"])
    assert undone.exit_code == 0 and "redo" in undone.output
    listed = runner.invoke(cli.main, [*base, "history", "--all"]).output
    assert "rev   3" in listed and "(undone)" in listed
    redone = runner.invoke(cli.main, [*base, "redo"])
    assert redone.exit_code == 0 and "Redone: replanned on 2027-01-12 (back to revision 3)" in (
        redone.output)
    again = runner.invoke(cli.main, [*base, "redo"])
    assert again.exit_code == 2 and again.output.startswith("Error: redo:")


@pytest.mark.slow
def test_concurrent_replans_never_lose_a_change(tmp_path: Path) -> None:
    """20 times: a `replan --profile` that drops Wednesdays and a plain `replan` start together
    from the same revision. Each either saves on top of the other's revision or says, in one
    line with exit 3, that it saved nothing; the profile change is never overwritten."""
    base, out = tmp_path / "base.db", tmp_path / "plan.ics"
    evenings = {d: ["18:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
    profile = write_profile(tmp_path, availability=evenings)
    edited = tmp_path / "edited"
    edited.mkdir()
    no_wednesdays = write_profile(edited, availability={
        d: w for d, w in evenings.items() if d != "wed"})
    assert _run(["--db", str(base), "generate", str(profile), "-o", str(out)]).returncode == 0
    assert _run(["--db", str(base), "missed", "2027-01-11"]).returncode == 0
    today = ["--today", "2027-01-12", "-o", str(out)]
    outcomes: list[tuple[int, int]] = []
    for turn in range(20):
        db = tmp_path / f"race-{turn}.db"
        db.write_bytes(base.read_bytes())
        runs = [subprocess.Popen([sys.executable, "-m", "cli", "--db", str(db), "replan", *args],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
                for args in (["--profile", str(no_wednesdays), *today], today)[::(-1) ** turn]]
        results = [(p.wait(timeout=300), p.communicate()[1]) for p in runs]
        for code, err in results:
            assert code in (0, 3), err
            assert code == 0 or (err.count("\n") == 1 and "nothing was saved" in err), err
        with open_store(db) as store:
            plan, stored = store.current()
            numbers = [r.number for r in store.history()]
        profile_saved = results[0 if turn % 2 == 0 else 1][0] == 0
        if profile_saved:
            assert not stored.availability[2], turn
            future = [s for s in plan.sessions if s.start.date() >= dt.date(2027, 1, 12)]
            assert future and all(s.start.weekday() != 2 for s in future), turn
        assert numbers == list(range(1, len(numbers) + 1))
        assert plan.sessions[0].status == "missed" or plan.sessions[0].start.date() != DAY
        outcomes.append((results[0][0], results[1][0]))
    print("race outcomes:", outcomes)
