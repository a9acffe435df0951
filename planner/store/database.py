"""The plan store: one SQLite file holding every revision of the plan and the log of what was
done or missed. Each change is one transaction; the file says what it is (``application_id``)
and which schema it has (``user_version``), and older schemas are migrated on open.

- One store, one athlete: a plan for someone else is refused (they get a store of their own).
- Every change counts itself (``changes``); a command that read the store at count N saves only
  if the count is still N, checked inside the write transaction (compare-and-swap), so two
  commands at once never lose one's change.
- Every revision is kept: ``undo`` sets the current one aside (``redo`` brings it back until a new
  change is made); revisions set aside by a later change stay listed in ``history --all``.
- SEQUENCE never falls: the store keeps the highest SEQUENCE it ever handed out per UID, and a
  session that differs from the one calendars hold gets a higher one, also after undo."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Concatenate, NamedTuple, ParamSpec, TypeVar

from planner.errors import (
    ConcurrentChange,
    DiskFull,
    InputError,
    PeriodizeError,
    StoreError,
    no_space,
)
from planner.store.plan import Outline, Plan, Session, athlete_key, dropped_sessions, outline
from planner.store.plan_blobs import plan_blob, read_plan
from planner.store.profile import Profile, profile_from_dict

APPLICATION_ID = 0x50455244          # "PERD"
SCHEMA_VERSION = 10
MIGRATIONS: dict[int, str] = {       # version reached -> SQL that gets there from the one before
    1: """
    CREATE TABLE revisions (
        id INTEGER PRIMARY KEY,
        plan_id TEXT NOT NULL,
        number INTEGER NOT NULL,
        created TEXT NOT NULL,
        note TEXT NOT NULL,
        profile TEXT NOT NULL,
        plan TEXT NOT NULL,
        undone INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE log (
        id INTEGER PRIMARY KEY,
        plan_id TEXT NOT NULL,
        day TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('done', 'missed')),
        kind TEXT,
        recorded TEXT NOT NULL,
        UNIQUE (plan_id, day)
    );
    """,
    2: """
    CREATE TABLE google_calendars (
        name TEXT PRIMARY KEY,
        calendar_id TEXT NOT NULL,
        summary TEXT NOT NULL
    );
    """,
    # How a session went (issue 13): effort (CR-10), worst pain during (0-10), the strength
    # exercises whose level rule was not met (JSON list of ids); the morning-after pain checks;
    # readiness screens; and, per revision re-dosed from the log, the forecast it was made from.
    3: """
    ALTER TABLE log ADD COLUMN rpe INTEGER CHECK (rpe BETWEEN 0 AND 10);
    ALTER TABLE log ADD COLUMN pain INTEGER CHECK (pain BETWEEN 0 AND 10);
    ALTER TABLE log ADD COLUMN not_met TEXT NOT NULL DEFAULT '[]';
    CREATE TABLE morning (
        id INTEGER PRIMARY KEY,
        plan_id TEXT NOT NULL,
        day TEXT NOT NULL,
        pain INTEGER NOT NULL CHECK (pain BETWEEN 0 AND 10),
        recorded TEXT NOT NULL,
        UNIQUE (plan_id, day)
    );
    CREATE TABLE screens (
        id INTEGER PRIMARY KEY,
        plan_id TEXT NOT NULL,
        day TEXT NOT NULL,
        passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
        recorded TEXT NOT NULL,
        UNIQUE (plan_id, day)
    );
    CREATE TABLE forecasts (
        number INTEGER PRIMARY KEY,
        plan TEXT NOT NULL
    );
    """,
    # The secret token of each plan's calendar feed (``periodize feed``).
    4: """
    CREATE TABLE feed_tokens (
        plan_id TEXT PRIMARY KEY,
        token TEXT NOT NULL
    );
    """,
    # revisions.undone: 0 current line, > 0 set aside by undo (in undo order, for redo), -1 set
    # aside and then replaced by a new change (kept, not redone).
    5: """
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO counters (name, value) VALUES ('changes', 0);
    CREATE TABLE sequences (uid TEXT PRIMARY KEY, sequence INTEGER NOT NULL);
    INSERT INTO sequences (uid, sequence)
        SELECT json_extract(s.value, '$.uid'), MAX(json_extract(s.value, '$.sequence'))
        FROM revisions, json_each(revisions.plan, '$.sessions') AS s GROUP BY 1;
    CREATE TABLE absences (
        id INTEGER PRIMARY KEY,
        plan_id TEXT NOT NULL,
        day TEXT NOT NULL,
        recorded TEXT NOT NULL,
        UNIQUE (plan_id, day)
    )
    """,
    # The key of each log entry sent from the web page (``periodize serve``), with what it
    # changed in words: an entry made offline and sent again when the network returns is
    # recorded once; the second sending is answered with the first one's words.
    6: """
    CREATE TABLE request_keys (
        key TEXT PRIMARY KEY,
        plan_id TEXT NOT NULL,
        recorded TEXT NOT NULL,
        said TEXT NOT NULL
    )
    """,
    # Cramps (issue 23 §8): how many the athlete logged on a day, whether one came during a
    # session, and where (their words, the latest given); one row per plan and day.
    7: """
    CREATE TABLE cramps (
        id INTEGER PRIMARY KEY,
        plan_id TEXT NOT NULL,
        day TEXT NOT NULL,
        count INTEGER NOT NULL CHECK (count >= 1),
        during INTEGER NOT NULL CHECK (during IN (0, 1)),
        place TEXT,
        recorded TEXT NOT NULL,
        UNIQUE (plan_id, day)
    )
    """,
    # Issue 24. log.uid: the session an entry is about, by identity (its date is the session's
    # date in the current revision); existing entries get the session their day held in the
    # newest revision in effect. log_changes: what each revision made by a log entry changed in
    # the log's tables (rows before and after, by table and day), so undo and redo reach it.
    8: """
    ALTER TABLE log ADD COLUMN uid TEXT;
    UPDATE log SET uid = (
        SELECT json_extract(s.value, '$.uid')
        FROM revisions AS r, json_each(r.plan, '$.sessions') AS s
        WHERE r.plan_id = log.plan_id AND r.undone = 0
          AND substr(json_extract(s.value, '$.start'), 1, 10) = log.day
        ORDER BY r.number DESC LIMIT 1);
    CREATE TABLE log_changes (
        number INTEGER PRIMARY KEY,
        before TEXT NOT NULL,
        after TEXT NOT NULL
    )
    """,
    # Issue 26: what a physio measures, by date: hop distances and times, controlled step
    # downs, pain during a test item, outcome totals (PSFS ratings, Kujala, KOOS-PF); each a
    # name of catalog/clinical.toml's and a number (the latest word of a day wins).
    9: """
    CREATE TABLE measures (
        id INTEGER PRIMARY KEY,
        plan_id TEXT NOT NULL,
        day TEXT NOT NULL,
        name TEXT NOT NULL,
        value REAL NOT NULL,
        recorded TEXT NOT NULL,
        UNIQUE (plan_id, day, name)
    )
    """,
    # Plans (revisions.plan, forecasts.plan) are written zlib-compressed from here on
    # (``plan_blobs``: 27x smaller); older rows keep their text and are read as they are.
    # revisions.uids: the UIDs of its sessions (a JSON list), so the sessions replans dropped
    # are found without reading every revision's plan (``dropped``).
    10: """
    ALTER TABLE revisions ADD COLUMN uids TEXT NOT NULL DEFAULT '[]';
    UPDATE revisions SET uids = (
        SELECT json_group_array(json_extract(s.value, '$.uid'))
        FROM json_each(revisions.plan, '$.sessions') AS s)
    """,
}

#: The tables of what the athlete said, one row per plan and day: a log entry's revision keeps
#: their rows as they were before and after it (``log_changes``), for undo and redo.
LOG_TABLES = ("log", "morning", "screens", "absences", "cramps")
#: ... and ``measures`` (``measure``), one row per plan, day and name: kept the same way, each
#: row under "DAY NAME".
UNDONE_TABLES = (*LOG_TABLES, "measures")


def _row_key(table: str, row: Mapping[str, object]) -> str:
    return f"{row['day']} {row['name']}" if table == "measures" else str(row["day"])


def default_path() -> Path:
    """``PERIODIZE_DB``, else ``periodize.db`` in the user data directory."""
    env = os.environ.get("PERIODIZE_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path("periodize", appauthor=False) / "periodize.db"


def example_path() -> Path:
    """Where the bundled example athlete is planned when no store is named (``example = true``
    in its profile): ``example.db`` beside the default store, so the user's own plan is not
    refused as a second athlete (issue 24 §4)."""
    from platformdirs import user_data_path

    return user_data_path("periodize", appauthor=False) / "example.db"


@dataclass(frozen=True)
class Revision:
    number: int
    plan_id: str
    created: dt.datetime
    note: str
    sessions: int
    current: bool
    undone: bool = False      # set aside by undo or by a change after an undo
    undid: str = ""           # undo/redo: the note of the revision set aside or brought back


class Current(NamedTuple):
    """The current revision as stored, and the profile it was made from."""

    plan: Plan
    profile: Profile


@dataclass(frozen=True)
class GoogleCalendar:
    """A Google calendar periodize created: its id and the title periodize last gave it."""

    calendar_id: str
    summary: str


@dataclass(frozen=True)
class LogEntry:
    day: dt.date
    status: str
    kind: str | None
    rpe: int | None = None            # session effort, CR-10
    pain: int | None = None           # worst knee or thigh pain during, 0-10
    not_met: tuple[str, ...] = ()     # exercise ids whose level rule was not met
    uid: str | None = None            # the session's UID (None: entries older than issue 24)


@dataclass(frozen=True)
class CrampDay:
    """The cramps logged on one day."""

    day: dt.date
    count: int                        # how many were logged that day
    during: bool                      # at least one came during a session
    place: str | None = None          # where, in the athlete's words (the latest given)


@dataclass(frozen=True)
class AthleteLog:
    """Everything the athlete said about one plan, by local date."""

    sessions: tuple[LogEntry, ...] = ()
    mornings: tuple[tuple[dt.date, int], ...] = ()    # (morning, pain 0-10)
    screens: tuple[tuple[dt.date, bool], ...] = ()    # (day, passed)
    cramps: tuple[CrampDay, ...] = ()
    measures: tuple[tuple[dt.date, str, float], ...] = ()   # (day, name, value): ``measure``


#: Seconds to wait for another program (another periodize) to finish with the store.
BUSY_TIMEOUT_S = 10.0


class StoreBusy(StoreError):
    """Another program holds the store locked beyond ``BUSY_TIMEOUT_S``: a state of the world,
    not bad input, so the exit code is that of the outside world."""

    exit_code = 3

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: the store is busy (another program, perhaps another "
                         f"periodize, has held it locked for {BUSY_TIMEOUT_S:g} s); nothing was "
                         "changed; try again when it has finished")


def _busy(exc: sqlite3.DatabaseError) -> bool:
    return getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED")


_P = ParamSpec("_P")
_R = TypeVar("_R")


def retry_once(step: Callable[[], _R]) -> _R:
    """Run ``step`` (which reads the store, works, then writes with compare-and-swap); when
    another command changed the store in between, run it once more from the new state. A second
    clash is reported (ConcurrentChange, exit 3)."""
    try:
        return step()
    except ConcurrentChange:
        return step()


def _brief(message: str) -> str:
    """One short line of an SQLite message (integrity reports span many lines)."""
    line = next((s for s in message.splitlines() if s.strip() and not s.startswith("***")), "")
    return line if len(line) <= 100 else line[:97] + "..."


def _guarded(method: Callable[Concatenate[Store, _P], _R]) -> Callable[Concatenate[Store, _P], _R]:
    """An SQLite failure after opening (a damaged page, text that is not UTF-8, a lock held too
    long) becomes a StoreError; the transaction was rolled back, so nothing was changed."""

    @functools.wraps(method)
    def wrapper(self: Store, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise _failure(self.path, exc) from None

    return wrapper


def _disk_full(path: Path) -> DiskFull:
    return DiskFull(f"{path}: the disk is full; nothing was changed in the store; free some "
                    "space and run the command again")


def _failure(path: Path, exc: sqlite3.DatabaseError) -> PeriodizeError:
    """The one-line error for an SQLite failure on an open store: busy, a full disk (said as
    such: the store is whole, SQLite rolled the change back), or a store that cannot be used."""
    if _busy(exc):
        return StoreBusy(path)
    name = getattr(exc, "sqlite_errorname", "")
    if name == "SQLITE_FULL":
        return _disk_full(path)
    if name.startswith("SQLITE_READONLY"):
        return StoreError(f"{path}: the store is read-only here ({_brief(str(exc))}); nothing "
                          "was changed; copy it to a writable folder to change it")
    return StoreError(f"{path}: the store cannot be used ({_brief(str(exc))}); nothing was "
                      "changed; if this persists, restore a backup")


class Store:
    """An open plan store. Use ``open_store``; close with ``close()`` or a ``with`` block.

    A store being created (``new``) is held in memory, made from the template (``_template``),
    until its first change commits or it is closed: then its file is written whole, at once
    (``_create_file``). A roster's store thus costs one file written instead of a migration and
    a save, each committed through a journal file of its own (issue 18); the file is the same
    store either way."""

    def __init__(self, connection: sqlite3.Connection, path: Path, new: bool = False) -> None:
        self._db: sqlite3.Connection | None = connection
        self.path = path
        self.new = new

    @property
    def db(self) -> sqlite3.Connection:
        """The connection; after a new store's file was written, to that file, opened when next
        used (a roster's store is not used again)."""
        if self._db is None:
            self._db = _connect(self.path)
        return self._db

    @db.setter
    def db(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None:
            self.close()
            return
        with contextlib.suppress(StoreError):     # the error on its way out says more
            self.close()

    def close(self) -> None:
        """Close the store; a new one that saw no change is written now (empty, as opened),
        unless another command made the file meanwhile."""
        try:
            if self.new:
                with contextlib.suppress(ConcurrentChange):
                    self._create_file()
        finally:
            if self._db is not None:
                self._db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error (or interruption). Inside an
        open transaction it joins it: a log entry and the revision it causes commit together.
        A new store's file is written when its first change commits."""
        if self.db.in_transaction:
            yield self.db
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                # SQLite may have rolled back already (a full disk, an I/O error): a second
                # ROLLBACK would raise over the error that says what happened.
                if self.db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self.db.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise _failure(self.path, exc) from None
        if self.new:
            self._create_file()

    def _create_file(self) -> None:
        """Write a new store (held in memory) to its file, and use the file from now on. The
        image goes to a temporary file, written whole (every byte checked) and synced, then
        linked under the store's name, which fails if the name exists: the file appears whole,
        and two commands creating the same store never overwrite each other (the later one
        saves nothing: ConcurrentChange). Where the filesystem has no hard links (FAT, exFAT,
        many FUSE and SMB mounts) the name is claimed by an exclusive create and the whole
        image renamed over that empty claim (``_claim_and_rename``). Its folder is synced too,
        as SQLite does when it makes its journal. On failure the store in memory is set back to
        the empty template: nothing was saved."""
        from planner.store.files import hold, write_all

        target = Path(os.path.realpath(self.path))
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            try:
                # 0o644 less the umask: the mode SQLite gives a database file it creates.
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                try:
                    hold(fd)
                    write_all(fd, self.db.serialize())
                    os.fsync(fd)
                finally:
                    os.close(fd)
                try:
                    os.link(tmp, target)
                except FileExistsError:
                    raise
                except OSError as exc:
                    if no_space(exc):
                        raise
                    _claim_and_rename(tmp, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
            with contextlib.suppress(OSError):   # a folder cannot be opened on every system
                folder = os.open(target.parent, os.O_RDONLY)
                try:
                    os.fsync(folder)
                finally:
                    os.close(folder)
        except FileExistsError:
            self._abandon()
            raise ConcurrentChange(f"{self.path}: another periodize created this store while "
                                   "this one worked; nothing was saved; run the command again"
                                   ) from None
        except OSError as exc:
            self._abandon()
            if no_space(exc):
                raise DiskFull(f"{self.path}: the disk is full; the store was not created and "
                               "nothing was saved; free some space and run the command again"
                               ) from None
            raise StoreError(f"{self.path}: the store cannot be created there "
                             f"({exc.strerror or exc}); nothing was saved; point --db or "
                             "PERIODIZE_DB at a file in a folder you may write to") from None
        self.new = False
        self.db.close()
        self._db = None

    def _abandon(self) -> None:
        """After a new store's file could not be made: the store in memory goes back to the
        empty template and is not written on close either (a refused command leaves no file)."""
        self.db.deserialize(_template())
        self.new = False

    def _damaged(self, what: str, exc: Exception) -> StoreError:
        """The one line for a row that cannot be read back (SQLite found the file sound)."""
        return StoreError(f"{self.path}: {what} is damaged ({_brief(str(exc))}); nothing was "
                          "changed; restore a backup")

    # -- plans -----------------------------------------------------------------------------------
    def _current_row(self) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM revisions WHERE undone = 0 ORDER BY number DESC LIMIT 1").fetchone()
        return row

    def _plan(self, row: sqlite3.Row) -> Plan:
        try:
            return read_plan(row["plan"])
        except (ValueError, KeyError, TypeError) as exc:
            raise self._damaged(f"revision {row['number']}", exc) from None

    @_guarded
    def current(self) -> Current:
        """The current revision, as stored, and the profile it was made from."""
        row = self._current_row()
        if row is None:
            raise StoreError(f"{self.path}: no plan yet; run `periodize generate PROFILE` first")
        plan = self._plan(row)
        try:
            profile = profile_from_dict(json.loads(row["profile"]))
        except (ValueError, KeyError, TypeError, InputError) as exc:
            raise self._damaged(f"revision {row['number']}", exc) from None
        return Current(plan, profile)

    @_guarded
    def changes(self) -> int:
        """How many changes this store has seen. A command reads it first and passes it to the
        write as ``expect``: the write goes ahead only if nothing changed in between."""
        return int(self.db.execute(
            "SELECT value FROM counters WHERE name = 'changes'").fetchone()[0])

    def _count_change(self, expect: int | None) -> int:
        """Inside a write transaction: refuse when another command changed the store since
        ``expect`` (compare-and-swap); count this change and return its number."""
        if expect is not None and self.changes() != expect:
            raise ConcurrentChange(f"{self.path}: another periodize changed the plan while this "
                                   "one worked; nothing was saved; run the command again")
        self.db.execute("UPDATE counters SET value = value + 1 WHERE name = 'changes'")
        return self.changes()

    @_guarded
    def athlete(self) -> str | None:
        """The name of the athlete whose plans this store holds (None while it is empty)."""
        row = self.db.execute("SELECT * FROM revisions ORDER BY number DESC LIMIT 1").fetchone()
        return None if row is None else self._plan(row).name

    def _check_athlete(self, plan: Plan) -> None:
        held = self.athlete()
        if held is not None and athlete_key(held) != athlete_key(plan.name):
            raise StoreError(f"{self.path}: this store holds {held}'s plan, not "
                             f"{plan.name}'s (one store, one athlete); nothing was changed; "
                             f"plan {plan.name} in a store of their own with --db FILE or "
                             "PERIODIZE_DB")

    def _issue(self, plan: Plan, before: Plan | None, stamp: dt.datetime | None) -> Plan:
        """``plan`` as it will be handed out to calendars, which keep the version with the
        highest SEQUENCE: a session as ``before`` (the revision calendars hold) had it keeps its
        SEQUENCE and DTSTAMP; any other gets a SEQUENCE above every one this store ever gave its
        UID (and ``stamp``, when given, as DTSTAMP). Records the new highest SEQUENCEs."""
        held = {s.uid: s for s in before.sessions} if before is not None else {}
        marks: dict[str, int] = {}
        for uid, sequence in self.db.execute("SELECT uid, sequence FROM sequences"):
            marks[uid] = sequence
        sessions = []
        for s in plan.sessions:
            old, mark = held.get(s.uid), marks.get(s.uid, -1)
            if old is not None and old.content() == s.content() and old.sequence >= mark:
                s = replace(s, sequence=max(s.sequence, old.sequence), stamp=old.stamp)
            elif s.sequence <= mark:
                s = replace(s, sequence=mark + 1, stamp=stamp or s.stamp)
            sessions.append(s)
        # A session calendars held that this plan drops is written CANCELLED one SEQUENCE up
        # (``dropped_sessions``): that is the highest it was given.
        kept = {s.uid for s in sessions}
        gone = [(uid, s.sequence + 1) for uid, s in held.items() if uid not in kept]
        self.db.executemany(
            "INSERT INTO sequences (uid, sequence) VALUES (?, ?) ON CONFLICT (uid) DO UPDATE "
            "SET sequence = max(sequence, excluded.sequence)",
            [*((s.uid, s.sequence) for s in sessions), *gone])
        return replace(plan, sessions=tuple(sessions))

    def marked(self, plan: Plan) -> Plan:
        """The plan with the log's done/missed marks applied (for showing it; a replan makes
        them part of a revision)."""
        return plan.with_marks({e.day: e.status for e in self.log(plan.plan_id)})

    @_guarded
    def forecast(self) -> Plan:
        """The current revision before the log re-dosed it (the plan itself if it was not)."""
        plan = self.current()[0]
        row = self.db.execute("SELECT plan FROM forecasts WHERE number = ?",
                              (plan.revision,)).fetchone()
        if row is None:
            return plan
        try:
            return read_plan(row["plan"])
        except (ValueError, KeyError, TypeError) as exc:
            raise self._damaged(f"revision {plan.revision}", exc) from None

    @_guarded
    def save(self, plan: Plan, profile: Profile, note: str,
             forecast: Plan | None = None, *, expect: int | None = None,
             check: Callable[[Plan], object] | None = None) -> Plan:
        """Store ``plan`` as the next revision (numbered here, SEQUENCEs raised where calendars
        need them) and return it as stored. ``forecast``: the plan before the log re-dosed it,
        kept for the next re-dosing. ``expect``: the ``changes()`` count the plan was made from
        (else ConcurrentChange, nothing saved). ``check(plan)`` runs on the final plan before
        the transaction commits (e.g. rendering its calendar): if it raises, nothing is
        saved."""
        with self.transaction() as db:
            self._count_change(expect)
            self._check_athlete(plan)
            last = db.execute("SELECT COALESCE(MAX(number), 0) FROM revisions").fetchone()[0]
            row = self._current_row()
            numbered = self._issue(replace(plan, revision=last + 1),
                                   self._plan(row) if row is not None else None, None)
            if check is not None:
                check(numbered)
            db.execute("UPDATE revisions SET undone = -1 WHERE undone > 0")   # no redo past this
            db.execute(
                "INSERT INTO revisions (plan_id, number, created, note, profile, plan, uids) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (plan.plan_id, last + 1, plan.created.isoformat(), note,
                 json.dumps(profile.to_dict(), sort_keys=True), plan_blob(numbered),
                 json.dumps(outline(numbered).uids)))
            db.execute("DELETE FROM forecasts WHERE number > ?", (last,))
            if forecast is not None:
                db.execute("INSERT INTO forecasts (number, plan) VALUES (?, ?)",
                           (last + 1, plan_blob(replace(forecast, revision=last + 1))))
        return numbered

    @_guarded
    def revisions(self, plan_id: str) -> list[Plan]:
        """Every stored revision of the plan ``plan_id``, those set aside by undo included
        (a calendar may hold them), oldest first."""
        rows = self.db.execute("SELECT number, plan FROM revisions WHERE plan_id = ? "
                               "ORDER BY number", (plan_id,)).fetchall()
        try:
            return [read_plan(r["plan"]) for r in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise self._damaged("a revision", exc) from None

    @_guarded
    def handed_out(self, uids: Sequence[str]) -> dict[str, int]:
        """The highest SEQUENCE this store gave each of ``uids`` (revisions and views as of a
        day, ``record_handed_out``)."""
        wanted = set(uids)
        return {uid: int(sequence) for uid, sequence
                in self.db.execute("SELECT uid, sequence FROM sequences") if uid in wanted}

    def record_handed_out(self, sequences: Mapping[str, int]) -> None:
        """Record SEQUENCEs a calendar was given beyond the revision's own (a view of the plan as
        of a day), so the next revision goes above them; writes only what is higher than held."""
        held = self.handed_out(list(sequences))
        higher = [(uid, n) for uid, n in sequences.items() if n > held.get(uid, -1)]
        if higher:
            with self.transaction() as db:
                db.executemany("INSERT INTO sequences (uid, sequence) VALUES (?, ?) ON CONFLICT "
                               "(uid) DO UPDATE SET sequence = max(sequence, excluded.sequence)",
                               higher)

    @_guarded
    def dropped(self, plan: Plan) -> tuple[Session, ...]:
        """The sessions earlier revisions held and ``plan`` does not (``dropped_sessions``)."""
        others = self.db.execute("SELECT COUNT(*) FROM revisions WHERE plan_id = ? AND "
                                 "number != ?", (plan.plan_id, plan.revision)).fetchone()[0]
        if not others:      # a first plan (most of a roster): nothing to read back and parse
            return ()
        rows = self.db.execute("SELECT number, created, uids FROM revisions WHERE plan_id = ?",
                               (plan.plan_id,)).fetchall()
        try:
            outlines = [Outline(r["number"], dt.datetime.fromisoformat(r["created"]),
                                tuple(json.loads(r["uids"]))) for r in rows]
        except (ValueError, TypeError) as exc:
            raise self._damaged("a revision", exc) from None

        def held(number: int) -> Plan:
            row = self.db.execute("SELECT * FROM revisions WHERE plan_id = ? AND number = ?",
                                  (plan.plan_id, number)).fetchone()
            return self._plan(row)

        return dropped_sessions(plan, (), held, outlines)

    @_guarded
    def feed_token(self, plan_id: str) -> str | None:
        """The secret token of the plan's calendar feed, if it has one."""
        row = self.db.execute("SELECT token FROM feed_tokens WHERE plan_id = ?",
                              (plan_id,)).fetchone()
        return None if row is None else str(row["token"])

    @_guarded
    def set_feed_token(self, plan_id: str, token: str) -> None:
        """Give the plan's feed the token ``token`` (the old one stops working)."""
        with self.transaction() as db:
            db.execute("INSERT INTO feed_tokens (plan_id, token) VALUES (?, ?) ON CONFLICT "
                       "(plan_id) DO UPDATE SET token = excluded.token", (plan_id, token))

    @_guarded
    def history(self, include_undone: bool = False) -> list[Revision]:
        """The revisions in effect (with ``include_undone``, also those set aside), oldest
        first."""
        rows = self.db.execute(
            "SELECT * FROM revisions" + ("" if include_undone else " WHERE undone = 0")
            + " ORDER BY number").fetchall()
        current = self._current_row()
        try:
            return [Revision(r["number"], r["plan_id"], dt.datetime.fromisoformat(r["created"]),
                             r["note"], len(read_plan(r["plan"]).sessions),
                             current is not None and r["number"] == current["number"],
                             r["undone"] != 0)
                    for r in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise self._damaged("a revision", exc) from None

    def _switch(self, to: int, before: Plan | None, now: dt.datetime | None) -> Revision:
        """Inside a transaction, after the ``undone`` marks changed: make revision ``to``'s
        sessions safe to hand out again (SEQUENCE above anything calendars have seen)."""
        row = self.db.execute("SELECT * FROM revisions WHERE number = ?", (to,)).fetchone()
        issued = self._issue(self._plan(row), before, now)
        self.db.execute("UPDATE revisions SET plan = ? WHERE number = ?",
                        (plan_blob(issued), to))
        return next(r for r in self.history() if r.current)   # a damaged row rolls back

    @_guarded
    def undo(self, now: dt.datetime | None = None, expect: int | None = None) -> Revision:
        """Step back to the previous revision. The undone one is kept: ``redo`` brings it back
        until a new change is saved. Sessions that differ from the undone revision get a higher
        SEQUENCE (and ``now`` as DTSTAMP), so calendars take the older plan back."""
        with self.transaction() as db:
            order = self._count_change(expect)
            rows = db.execute("SELECT * FROM revisions WHERE undone = 0 "
                              "ORDER BY number DESC LIMIT 2").fetchall()
            if len(rows) < 2:
                raise InputError("undo", "revision 1" if rows else "no plan",
                                 "a plan with an earlier revision to return to")
            db.execute("UPDATE revisions SET undone = ? WHERE number = ?",
                       (order, rows[0]["number"]))
            self._put_log(rows[0]["number"], "before")
            back = self._switch(rows[1]["number"], self._plan(rows[0]), now)
            return replace(back, undid=rows[0]["note"])

    @_guarded
    def redo(self, now: dt.datetime | None = None, expect: int | None = None) -> Revision:
        """Bring back the revision the last ``undo`` set aside (until a new change is saved)."""
        with self.transaction() as db:
            self._count_change(expect)
            row = db.execute("SELECT number FROM revisions WHERE undone > 0 "
                             "ORDER BY undone DESC LIMIT 1").fetchone()
            if row is None:
                raise InputError("redo", "nothing undone", "an undo to take back (a change "
                                 "saved after an undo replaces what was undone)")
            current = self._current_row()
            before = self._plan(current) if current is not None else None
            db.execute("UPDATE revisions SET undone = 0 WHERE number = ?", (row["number"],))
            self._put_log(row["number"], "after")
            back = self._switch(row["number"], before, now)
            return replace(back, undid=back.note)

    # -- log -------------------------------------------------------------------------------------
    @_guarded
    def log(self, plan_id: str) -> list[LogEntry]:
        """The plan's session entries in date order. An entry belongs to its session by
        identity: its day is that session's date in the current revision (the day recorded
        when the revision no longer holds the session)."""
        rows = self.db.execute("SELECT day, status, kind, rpe, pain, not_met, uid FROM log "
                               "WHERE plan_id = ? ORDER BY day", (plan_id,)).fetchall()
        current = self._current_row()
        days: dict[str, str] = {}
        if rows and current is not None and current["plan_id"] == plan_id:
            days = {s.uid: s.start.date().isoformat() for s in self._plan(current).sessions}
        try:
            entries = [LogEntry(dt.date.fromisoformat(days.get(r["uid"], r["day"])), r["status"],
                                r["kind"], r["rpe"], r["pain"], tuple(json.loads(r["not_met"])),
                                r["uid"]) for r in rows]
        except (ValueError, TypeError) as exc:
            raise self._damaged("the log", exc) from None
        return sorted(entries, key=lambda e: e.day)

    def log_rows(self, plan_id: str) -> dict[str, dict[str, dict[str, object]]]:
        """The rows of the log's tables for the plan, by table and day (without row ids)."""
        found: dict[str, dict[str, dict[str, object]]] = {}
        for table in UNDONE_TABLES:
            rows = self.db.execute(f"SELECT * FROM {table} WHERE plan_id = ?", (plan_id,))
            names = [d[0] for d in rows.description]
            found[table] = {_row_key(table, r): {k: v for k, v in zip(names, r, strict=True)
                                                 if k != "id"} for r in rows}
        return found

    @_guarded
    def keep_log_change(self, number: int, before: dict[str, dict[str, dict[str, object]]],
                        after: dict[str, dict[str, dict[str, object]]]) -> None:
        """Inside the transaction that saved revision ``number`` for a log entry: what the entry
        changed in the log's tables (``log_rows`` before and after), for undo and redo."""
        was: dict[str, dict[str, object]] = {}
        now: dict[str, dict[str, object]] = {}
        for table in UNDONE_TABLES:
            old, new = before.get(table, {}), after.get(table, {})
            for day in old.keys() | new.keys():
                if old.get(day) != new.get(day):
                    was.setdefault(table, {})[day] = old.get(day)
                    now.setdefault(table, {})[day] = new.get(day)
        with self.transaction() as db:
            db.execute("INSERT INTO log_changes (number, before, after) VALUES (?, ?, ?) "
                       "ON CONFLICT (number) DO UPDATE SET before = excluded.before, "
                       "after = excluded.after", (number, json.dumps(was), json.dumps(now)))

    def _put_log(self, number: int, side: str) -> None:
        """Inside a transaction: set the log's rows as revision ``number``'s log entry left them
        (``after``) or found them (``before``); a revision made by no log entry changes none."""
        row = self.db.execute(f"SELECT {side} FROM log_changes WHERE number = ?",
                              (number,)).fetchone()
        if row is None:
            return
        plan_id = self.db.execute("SELECT plan_id FROM revisions WHERE number = ?",
                                  (number,)).fetchone()[0]
        for table, days in json.loads(row[0]).items():
            if table not in UNDONE_TABLES:
                continue
            for day, values in days.items():
                if table == "measures":                     # "DAY NAME"
                    when, _, name = day.partition(" ")
                    self.db.execute("DELETE FROM measures WHERE plan_id = ? AND day = ? "
                                    "AND name = ?", (plan_id, when, name))
                else:
                    self.db.execute(f"DELETE FROM {table} WHERE plan_id = ? AND day = ?",
                                    (plan_id, day))
                if values is not None:
                    names = list(values)
                    self.db.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                                    f"({', '.join('?' * len(names))})",
                                    [values[n] for n in names])

    @_guarded
    def athlete_log(self, plan_id: str) -> AthleteLog:
        """Sessions, morning pain checks and readiness screens, each in date order."""
        mornings = self.db.execute("SELECT day, pain FROM morning WHERE plan_id = ? "
                                   "ORDER BY day", (plan_id,)).fetchall()
        screens = self.db.execute("SELECT day, passed FROM screens WHERE plan_id = ? "
                                  "ORDER BY day", (plan_id,)).fetchall()
        cramps = self.db.execute("SELECT day, count, during, place FROM cramps "
                                 "WHERE plan_id = ? ORDER BY day", (plan_id,)).fetchall()
        try:
            return AthleteLog(
                tuple(self.log(plan_id)),
                tuple((dt.date.fromisoformat(r["day"]), int(r["pain"])) for r in mornings),
                tuple((dt.date.fromisoformat(r["day"]), bool(r["passed"])) for r in screens),
                tuple(CrampDay(dt.date.fromisoformat(r["day"]), int(r["count"]),
                               bool(r["during"]), r["place"]) for r in cramps),
                tuple(self.measures(plan_id)))
        except (ValueError, TypeError) as exc:
            raise self._damaged("the log", exc) from None

    @_guarded
    def record(self, plan_id: str, days: list[dt.date], status: str, kind: str | None,
               now: dt.datetime, rpe: int | None = None, pain: int | None = None,
               not_met: tuple[str, ...] = (), *, expect: int | None = None,
               ) -> dict[dt.date, str]:
        """Record that the sessions on ``days`` were done or missed (the latest word wins), with
        how they went. Returns the earlier word on any of those days that said otherwise."""
        return self.record_entries(
            plan_id, [LogEntry(d, status, kind, rpe, pain, not_met) for d in days], now,
            expect=expect)

    @_guarded
    def record_entries(self, plan_id: str, entries: list[LogEntry], now: dt.datetime, *,
                       expect: int | None = None) -> dict[dt.date, str]:
        """Record each entry as the word on its day (replacing the day's earlier one). Returns
        the earlier word on any of those days that said otherwise."""
        with self.transaction() as db:
            self._count_change(expect)
            days = {e.day: e.status for e in entries}
            earlier = {dt.date.fromisoformat(r["day"]): r["status"] for r in db.execute(
                "SELECT day, status FROM log WHERE plan_id = ?", (plan_id,))
                if days.get(dt.date.fromisoformat(r["day"]), r["status"]) != r["status"]}
            db.executemany(
                "INSERT INTO log (plan_id, day, status, kind, recorded, rpe, pain, not_met, uid) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (plan_id, day) DO UPDATE SET status = excluded.status, "
                "kind = excluded.kind, recorded = excluded.recorded, rpe = excluded.rpe, "
                "pain = excluded.pain, not_met = excluded.not_met, uid = excluded.uid",
                [(plan_id, e.day.isoformat(), e.status, e.kind, now.isoformat(), e.rpe, e.pain,
                  json.dumps(list(e.not_met)), e.uid) for e in entries])
        return earlier

    @_guarded
    def remove_entries(self, plan_id: str, rows: list[tuple[str, dt.date]], *,
                       expect: int | None = None) -> None:
        """Delete the log rows given as (table of ``LOG_TABLES``, day). ``expect``: as for
        ``record`` (compare-and-swap)."""
        with self.transaction() as db:
            self._count_change(expect)
            for table, day in rows:
                if table not in LOG_TABLES:
                    raise ValueError(table)
                db.execute(f"DELETE FROM {table} WHERE plan_id = ? AND day = ?",
                           (plan_id, day.isoformat()))

    @_guarded
    def record_absence(self, plan_id: str, days: list[dt.date], now: dt.datetime) -> None:
        """Days ahead the athlete will be away: replan keeps them free of sessions."""
        with self.transaction() as db:
            db.executemany("INSERT INTO absences (plan_id, day, recorded) VALUES (?, ?, ?) "
                           "ON CONFLICT (plan_id, day) DO NOTHING",
                           [(plan_id, d.isoformat(), now.isoformat()) for d in days])

    @_guarded
    def cancel_absence(self, plan_id: str, days: list[dt.date], *,
                       expect: int | None = None) -> None:
        """Take back days recorded as away, and the missed marks they put on sessions there.
        ``expect``: as for ``record`` (compare-and-swap)."""
        with self.transaction() as db:
            self._count_change(expect)
            for table, only in (("absences", ""), ("log", " AND status = 'missed'")):
                db.executemany(f"DELETE FROM {table} WHERE plan_id = ? AND day = ?{only}",
                               [(plan_id, d.isoformat()) for d in days])

    @_guarded
    def absences(self, plan_id: str) -> frozenset[dt.date]:
        return frozenset(dt.date.fromisoformat(r[0]) for r in self.db.execute(
            "SELECT day FROM absences WHERE plan_id = ?", (plan_id,)))

    @_guarded
    def record_morning(self, plan_id: str, day: dt.date, pain: int, now: dt.datetime, *,
                       expect: int | None = None) -> None:
        """The morning-after pain check on ``day`` (the latest word wins). ``expect``: as for
        ``record`` (compare-and-swap)."""
        self._record_day("morning", "pain", plan_id, day, pain, now, expect)

    @_guarded
    def record_measures(self, plan_id: str, day: dt.date, values: dict[str, float],
                        now: dt.datetime, *, expect: int | None = None) -> None:
        """Measurements taken on ``day`` (name -> number; the latest word of a day wins)."""
        with self.transaction() as db:
            self._count_change(expect)
            db.executemany("INSERT INTO measures (plan_id, day, name, value, recorded) "
                           "VALUES (?, ?, ?, ?, ?) ON CONFLICT (plan_id, day, name) DO UPDATE "
                           "SET value = excluded.value, recorded = excluded.recorded",
                           [(plan_id, day.isoformat(), name, value, now.isoformat())
                            for name, value in sorted(values.items())])

    @_guarded
    def measures(self, plan_id: str) -> list[tuple[dt.date, str, float]]:
        """Every measurement, by day then name."""
        return [(dt.date.fromisoformat(r["day"]), r["name"], float(r["value"]))
                for r in self.db.execute("SELECT day, name, value FROM measures WHERE "
                                         "plan_id = ? ORDER BY day, name", (plan_id,))]

    @_guarded
    def record_screen(self, plan_id: str, day: dt.date, passed: bool, now: dt.datetime, *,
                      expect: int | None = None) -> None:
        """A readiness screen on ``day``, passed or not (the latest word wins). ``expect``: as
        for ``record`` (compare-and-swap)."""
        self._record_day("screens", "passed", plan_id, day, int(passed), now, expect)

    @_guarded
    def record_cramp(self, plan_id: str, day: dt.date, during: bool, place: str | None,
                     now: dt.datetime, *, expect: int | None = None) -> None:
        """One more cramp on ``day`` (during a session or not; where, if said: the latest place
        given stays). ``expect``: as for ``record`` (compare-and-swap)."""
        with self.transaction() as db:
            self._count_change(expect)
            db.execute("INSERT INTO cramps (plan_id, day, count, during, place, recorded) "
                       "VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT (plan_id, day) DO UPDATE SET "
                       "count = count + 1, during = MAX(during, excluded.during), "
                       "place = COALESCE(excluded.place, place), recorded = excluded.recorded",
                       (plan_id, day.isoformat(), int(during), place, now.isoformat()))

    def _record_day(self, table: str, column: str, plan_id: str, day: dt.date, value: int,
                    now: dt.datetime, expect: int | None) -> None:
        """One value a day in ``table`` (a name of ours, never the user's); the latest wins."""
        with self.transaction() as db:
            self._count_change(expect)
            db.execute(f"INSERT INTO {table} (plan_id, day, {column}, recorded) "
                       f"VALUES (?, ?, ?, ?) ON CONFLICT (plan_id, day) DO UPDATE SET "
                       f"{column} = excluded.{column}, recorded = excluded.recorded",
                       (plan_id, day.isoformat(), value, now.isoformat()))

    # -- keys of log entries sent from the web page ---------------------------------------------
    @_guarded
    def request_said(self, key: str) -> tuple[str, ...] | None:
        """What the log entry sent with ``key`` changed, in words, if it was recorded."""
        row = self.db.execute("SELECT said FROM request_keys WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return tuple(str(line) for line in json.loads(row["said"]))
        except (ValueError, TypeError) as exc:
            raise self._damaged("a request key", exc) from None

    @_guarded
    def remember_request(self, key: str, plan_id: str, now: dt.datetime,
                         said: tuple[str, ...]) -> None:
        """Keep ``key`` (and what its entry changed): the same key again is recorded once."""
        with self.transaction() as db:
            db.execute("INSERT INTO request_keys (key, plan_id, recorded, said) "
                       "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                       (key, plan_id, now.isoformat(), json.dumps(list(said))))

    # -- Google calendars ------------------------------------------------------------------------
    # Keyed by the --calendar name asked for ('' for the plan's own calendar); the id is Google's.
    @_guarded
    def google_calendar(self, name: str) -> GoogleCalendar | None:
        row = self.db.execute("SELECT calendar_id, summary FROM google_calendars WHERE name = ?",
                              (name,)).fetchone()
        return None if row is None else GoogleCalendar(row["calendar_id"], row["summary"])

    @_guarded
    def remember_google_calendar(self, name: str, calendar: GoogleCalendar) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO google_calendars (name, calendar_id, summary) VALUES (?, ?, ?) "
                       "ON CONFLICT (name) DO UPDATE SET calendar_id = excluded.calendar_id, "
                       "summary = excluded.summary", (name, calendar.calendar_id, calendar.summary))


#: ``_create_file``'s temporary files: ``.NAME.<12 hex digits>.tmp`` beside the store NAME.
_STORE_TMP = r"[0-9a-f]{12}"


def _claim_and_rename(tmp: Path, target: Path) -> None:
    """Put the whole file ``tmp`` at ``target`` without a hard link, never over an existing
    file: claim the name by an exclusive create (FileExistsError if it is taken), then rename
    the whole image over the empty claim. Until the rename, another command sees an empty
    file, which SQLite reads as an empty database; the rename replaces it whole."""
    claim = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.close(claim)
    try:
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise


def _version(db: sqlite3.Connection, path: Path) -> int:
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path}: made by a newer periodize (schema {version}; this one reads "
                         f"up to {SCHEMA_VERSION}); upgrade periodize")
    return version


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    if _version(db, path) == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another command may have migrated the store between
        # the read above and the lock (two commands opening an old store at once).
        for step in range(_version(db, path) + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[step].split(";"):
                if statement.strip():
                    db.execute(statement)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        raise


#: Why an old store could not be upgraded in place while it can still be read: read-only
#: media or folder, a full disk.
_CANNOT_UPGRADE = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_FULL")


def _read_upgraded(db: sqlite3.Connection, path: Path) -> sqlite3.Connection:
    """An old store that cannot be upgraded where it is (read-only media, a full disk), upgraded
    in memory for reading only: every write is refused (``query_only``), the file untouched."""
    image = db.serialize()
    db.close()
    memory = _connect(":memory:")
    memory.deserialize(image)
    _migrate(memory, path)
    memory.execute("PRAGMA query_only = 1")
    return memory


_TEMPLATES: dict[tuple[object, ...], bytes] = {}


def _template() -> bytes:
    """The image of an empty store at the current schema: the migrations run once per process
    in memory (so the schema keeps one definition) instead of statement by statement in each
    new file."""
    key = (SCHEMA_VERSION, tuple(MIGRATIONS.items()))
    if key not in _TEMPLATES:
        db = sqlite3.connect(":memory:", isolation_level=None)
        try:
            _migrate(db, Path(":memory:"))
            _TEMPLATES[key] = db.serialize()
        finally:
            db.close()
    return _TEMPLATES[key]


def _connect(path: Path | str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
    db.row_factory = sqlite3.Row
    return db


_ELSE = "point --db or PERIODIZE_DB at a periodize store, or at a new file"


def _prepare(path: Path, create: bool) -> bool:
    """Whether a store file exists at ``path``; the default folder is made when creating."""
    exists = path.exists()
    if not exists and not create:
        raise StoreError(f"{path}: no plan store here; run `periodize generate PROFILE` first "
                         "(or point --db / PERIODIZE_DB at your store)")
    if exists and path.is_dir():
        raise InputError("--db", str(path), "a file path, not a folder")
    if exists and not path.is_file():   # SQLite would open a pipe or a device and put its
        raise InputError("--db", str(path),   # journal beside it (/dev/null-journal)
                         "a regular file (not a device or a pipe)")
    if not exists and not path.parent.exists():
        if os.environ.get("PERIODIZE_DB") or path not in (default_path(), example_path()):
            raise InputError("--db", str(path), "a path in an existing folder")
        path.parent.mkdir(parents=True, exist_ok=True)
    return exists


def feed_tokens(path: Path) -> frozenset[str]:
    """Every feed token the store at ``path`` holds, read cheaply (read-only, no check, no
    migration): a server compares a request's token with these before it opens the store.
    An unreadable file or one without tokens gives none."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                             timeout=BUSY_TIMEOUT_S)
    except (sqlite3.Error, OSError, ValueError):
        return frozenset()
    try:
        return frozenset(str(r[0]) for r in db.execute("SELECT token FROM feed_tokens"))
    except sqlite3.Error:
        return frozenset()
    finally:
        db.close()


def open_store(path: Path, create: bool = False) -> Store:
    """Open the store at ``path``. A missing file is created only with ``create``; a file that is
    not a periodize store, comes from a newer version or is damaged is refused untouched."""
    try:
        os.fsencode(path)
    except UnicodeError:       # a lone surrogate: no file system holds that name
        raise InputError("--db", ascii(str(path))[1:-1], "a path this system can store (it "
                         "holds a character that is not text: a lone surrogate)") from None
    try:
        exists = _prepare(path, create)
    except OSError as exc:     # a name too long, a data folder that is a file or read-only
        why = exc.strerror or exc
        raise StoreError(f"{path}: the store cannot be opened or created there ({why}); nothing "
                         "was changed; point --db or PERIODIZE_DB at a file in a folder you may "
                         "write to") from None
    from planner.store.files import sweep_stale

    sweep_stale(Path(os.path.realpath(path)), _STORE_TMP)   # left by a command killed creating it
    if not exists:      # made in memory from the template; written when it first changes
        db = _connect(":memory:")
        db.deserialize(_template())
        return Store(db, path, new=True)
    try:
        db = _connect(path)
        app = db.execute("PRAGMA application_id").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app != APPLICATION_ID and (app != 0 or tables):
            db.close()
            raise StoreError(f"{path}: not a periodize plan store; nothing was changed "
                             f"({_ELSE})")
        check = db.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            db.close()
            raise StoreError(f"{path}: the store is damaged ({_brief(check)}); "
                             "restore a backup")
        try:
            _migrate(db, path)
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorname", "") not in _CANNOT_UPGRADE:
                raise
            db = _read_upgraded(db, path)
    except sqlite3.DatabaseError as exc:
        if _busy(exc):
            raise StoreBusy(path) from None
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_CORRUPT":
            raise StoreError(f"{path}: the store is damaged ({_brief(str(exc))}); nothing was "
                             "changed; restore a backup") from None
        raise StoreError(f"{path}: not a readable periodize store ({_brief(str(exc))}); nothing "
                         f"was changed ({_ELSE})") from None
    return Store(db, path)
