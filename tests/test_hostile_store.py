"""A hostile world for the store (issue 28 sections 2 and 6, issue 27 section 5): a full disk, a
write cut short, a filesystem without hard links, two commands upgrading an old store at once,
an old store on read-only media, files a killed run left behind. Every failure is one line with
the exit code of its class, and the store is whole and unchanged (or the line says what was
kept). The full-disk runs use a size-limited tmpfs the test mounts (as root; skipped, visibly,
otherwise); work is bounded by counts of steps, never by time."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import build, make_profile, one_line_error, run, write_profile
from old_stores import downgrade

from planner.errors import ConcurrentChange
from planner.store import database
from planner.store.database import SCHEMA_VERSION, open_store

TODAY = "2027-01-07"     # the plan starts on Monday 2027-01-04; Wednesday 6 holds a session


def rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, and the file's integrity report."""
    with sqlite3.connect(db) as raw:
        names = [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        state = {name: sorted(raw.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
                 for name in names}
        state["integrity"] = raw.execute("PRAGMA integrity_check").fetchall()
    raw.close()
    return state


def tmp_leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- a write cut short, no hard links -----------------------------------------------------------


def test_a_short_write_never_links_an_incomplete_store(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """os.write may write fewer bytes than asked (a disk filling up): the rest is written, and
    a write of nothing is a full disk: one line, exit 3, no store, no temporary file."""
    profile = write_profile(tmp_path)
    real = os.write
    calls = [0]

    def short(fd: int, data: bytes | memoryview) -> int:
        calls[0] += 1
        return real(fd, bytes(data)[:4096]) if calls[0] < 3 else 0   # then the disk is full

    monkeypatch.setattr(os, "write", short)
    result = run("--db", str(tmp_path / "s.db"), "generate", str(profile),
                 "-o", str(tmp_path / "plan.ics"))
    one_line_error(result, "disk is full", "nothing was saved", code=3)
    assert not (tmp_path / "s.db").exists() and not (tmp_path / "plan.ics").exists()
    assert tmp_leftovers(tmp_path) == []

    calls[0] = -10**9              # short writes only: every byte still reaches the file
    monkeypatch.setattr(os, "write", lambda fd, data: real(fd, bytes(data)[:1000]))
    result = run("--db", str(tmp_path / "s.db"), "generate", str(profile),
                 "-o", str(tmp_path / "plan.ics"))
    assert result.exit_code == 0, result.output
    assert rows(tmp_path / "s.db")["integrity"] == [("ok",)]
    assert len(rows(tmp_path / "s.db")["revisions"]) == 1


@pytest.mark.parametrize("refusal", [errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS])
def test_a_store_is_created_where_the_filesystem_has_no_hard_links(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refusal: int) -> None:
    """FAT, exFAT and many FUSE or SMB mounts refuse os.link: the store is made by an exclusive
    create and a rename instead, whole, and still never over another command's store."""
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(refusal, os.strerror(refusal))

    monkeypatch.setattr(os, "link", no_links)
    profile = write_profile(tmp_path)
    db = tmp_path / "s.db"
    result = run("--db", str(db), "generate", str(profile), "-o", str(tmp_path / "plan.ics"))
    assert result.exit_code == 0, result.output
    state = rows(db)
    assert state["integrity"] == [("ok",)] and len(state["revisions"]) == 1
    assert tmp_leftovers(tmp_path) == []

    # Another command made the store meanwhile: this one saves nothing and overwrites nothing.
    other = tmp_path / "other.db"
    store = open_store(other, create=True)
    shutil.copy(db, other)
    before = other.read_bytes()
    with pytest.raises(ConcurrentChange, match="another periodize created this store"), store:
        store.save(build(make_profile()), make_profile(), "test")
    assert other.read_bytes() == before
    assert tmp_leftovers(tmp_path) == []


# --- stale temporary files ----------------------------------------------------------------------


def test_only_stale_temporary_files_of_our_own_naming_are_removed(tmp_path: Path) -> None:
    """A SIGKILL between writing a temporary file and renaming it leaves it behind; the next
    write to the same place removes it - only names of our own making, and only files no live
    process holds (a writer holds its file locked while it works)."""
    profile = write_profile(tmp_path)
    db, ics = tmp_path / "s.db", tmp_path / "plan.ics"
    stale = [tmp_path / ".s.db.0123456789ab.tmp", tmp_path / ".plan.ics.k3j_x9q2.tmp"]
    foreign = [tmp_path / ".s.db.backup.tmp", tmp_path / ".other.db.0123456789ab.tmp",
               tmp_path / ".plan.ics.mine.tmp", tmp_path / "s.db.0123456789ab.tmp"]
    live = [tmp_path / ".s.db.fedcba987654.tmp", tmp_path / ".plan.ics.abcdefgh.tmp"]
    for path in [*stale, *foreign, *live]:
        path.write_bytes(b"half a file")
    held = []
    for path in live:          # as a writer in another process holds its file
        fd = os.open(path, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.append(fd)
    try:
        result = run("--db", str(db), "generate", str(profile), "-o", str(ics))
        assert result.exit_code == 0, result.output
        left = set(tmp_leftovers(tmp_path))
        assert left == {p.name for p in [*foreign, *live]}, left
    finally:
        for fd in held:
            os.close(fd)
    # Released (their writer died): the next run removes them too.
    result = run("--db", str(db), "generate", str(profile), "-o", str(ics))
    assert result.exit_code == 0, result.output
    assert set(tmp_leftovers(tmp_path)) == {p.name for p in foreign}


# --- old stores ---------------------------------------------------------------------------------


def test_two_commands_upgrading_an_old_store_at_once_both_succeed(
        store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The schema version is read again inside the write transaction: a command that read the
    old version just before another command upgraded the store does not upgrade it again."""
    downgrade(store, 4)
    before = rows(store)["revisions"]
    real = database._version
    calls = [0]

    def other_command_first(db: sqlite3.Connection, path: Path) -> int:
        calls[0] += 1
        version = real(db, path)
        if calls[0] == 1:            # between this read and BEGIN IMMEDIATE, another upgrade
            monkeypatch.setattr(database, "_version", real)
            open_store(store).close()
        return version

    monkeypatch.setattr(database, "_version", other_command_first)
    with open_store(store) as opened:
        assert len(opened.history()) == 1
    state = rows(store)
    # Kept as they were (plans as text), with the UIDs of their sessions beside them (schema 10)
    assert [r[:-1] for r in state["revisions"]] == before and state["integrity"] == [("ok",)]
    assert all(json.loads(str(r[-1])) == [s["uid"] for s in json.loads(str(r[6]))["sessions"]]
               for r in state["revisions"])
    with sqlite3.connect(store) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    raw.close()


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of 2 MB mounted at a folder of the test's (root only: skipped otherwise)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a size-limited tmpfs (the full-disk and read-only "
                    "media cases)")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs",
                           str(disk)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_an_old_store_on_read_only_media_is_read_and_never_written(
        store: Path, mounted: Path) -> None:
    """Opening an old store upgrades it; on read-only media it is upgraded in memory for
    reading instead: show and export work, a change is refused in one line, the file is
    untouched."""
    downgrade(store, 4)
    shutil.copy(store, mounted / "s.db")
    subprocess.run(["mount", "-o", "remount,ro", str(mounted)], check=True)
    image = (mounted / "s.db").read_bytes()
    db = str(mounted / "s.db")
    result = run("--db", db, "show")
    assert result.exit_code == 0, result.output
    result = run("--db", db, "export")
    assert result.exit_code == 0 and "BEGIN:VCALENDAR" in result.stdout, result.output
    one_line_error(run("--db", db, "done", "2027-01-06", "--today", TODAY), "read-only")
    one_line_error(run("--db", db, "undo"))
    assert (mounted / "s.db").read_bytes() == image


# --- a full disk, stepped -----------------------------------------------------------------------

#: Free space left on the disk before each command (KiB): from nothing to enough for most.
FREE_KIB = (0, 12, 64, 160, 320, 720)
COMMANDS: dict[str, list[str]] = {
    "generate (new store)": ["--db", "{disk}/new.db", "generate", "{disk}/profile.toml",
                             "-o", "{disk}/new.ics"],
    "generate (changed)": ["--db", "{disk}/s.db", "generate", "{disk}/changed.toml",
                           "-o", "{disk}/plan.ics"],
    "done": ["--db", "{disk}/s.db", "done", "2027-01-06", "--rpe", "5", "--today", TODAY],
    "pain": ["--db", "{disk}/s.db", "pain", TODAY, "3", "--today", TODAY],
    "replan": ["--db", "{disk}/s.db", "replan", "--today", TODAY, "-o", "{disk}/plan.ics"],
    "undo": ["--db", "{disk}/s.db", "undo"],
}


def _fill(disk: Path, free_kib: int) -> None:
    """Leave about ``free_kib`` KiB free on ``disk`` (one file takes the rest)."""
    stat = os.statvfs(disk)
    size = stat.f_bavail * stat.f_frsize - free_kib * 1024
    if size > 0:
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.posix_fallocate(fd, 0, size)
        finally:
            os.close(fd)


@pytest.mark.slow
def test_a_full_disk_never_damages_a_store(stored: tuple[Path, Path], tmp_path: Path,
                                           mounted: Path) -> None:
    """Each command at each free-space level: it works (exit 0), or it says in one line that
    the disk is full (exit 3) and the store is whole with every row as before - or, when the
    store took the new revision and only the calendar file could not be written, the line says
    exactly that and the calendar file is as it was."""
    base = tmp_path / "base"
    base.mkdir()
    profile = write_profile(base)
    shutil.copy(stored[0], base / "s.db")
    changed = base / "changed.toml"
    changed.write_text(profile.read_text().replace('"09:00-12:00"', '"08:00-12:00"'))
    assert run("--db", str(base / "s.db"), "generate", str(changed),
               "-o", str(base / "plan.ics")).exit_code == 0       # two revisions: undo works
    outcomes: dict[str, set[str]] = {name: set() for name in COMMANDS}
    for free in FREE_KIB:
        for name, template in COMMANDS.items():
            for path in mounted.iterdir():
                path.unlink()
            for path in base.iterdir():
                shutil.copy(path, mounted / path.name)
            _fill(mounted, free)
            before, calendar = rows(mounted / "s.db"), (mounted / "plan.ics").read_bytes()
            args = [a.format(disk=mounted) for a in template]
            result = run(*args)
            where = (name, free, result.exit_code, result.output)
            assert rows(mounted / "s.db")["integrity"] == [("ok",)], where
            if (mounted / "new.db").exists():
                assert rows(mounted / "new.db")["integrity"] == [("ok",)], where
            if result.exit_code == 0:
                outcomes[name].add("worked")
                continue
            line = one_line_error(result, "the disk is full", code=3, quiet=False)
            if "the store holds the new plan" in line:
                outcomes[name].add("kept the store's change")
            else:
                outcomes[name].add("refused")
                assert rows(mounted / "s.db") == before, where
                assert not (mounted / "new.db").exists(), where
            assert (mounted / "plan.ics").read_bytes() == calendar, where
    print("full-disk outcomes:", outcomes)
    for name, seen in outcomes.items():   # every command met a full disk and enough space
        assert "worked" in seen and seen - {"worked"}, (name, seen)


# --- scores in ASCII digits ---------------------------------------------------------------------


@pytest.mark.parametrize(("args", "field"), [
    (["pain", TODAY, "\u0663"], "N"),                        # Arabic-Indic three
    (["pain", TODAY, "\uff13"], "N"),                        # full-width three
    (["done", "2027-01-06", "--rpe", "\u0665"], "--rpe"),
    (["done", "2027-01-06", "--pain", "\u0662"], "--pain"),
    (["done", "2027-01-06", "--rpe", "\u09e9"], "--rpe"),    # Bengali three
])
def test_every_score_takes_ascii_digits_only(store: Path, args: list[str], field: str) -> None:
    """Python's int() reads any Unicode digit; dates take 0-9 only, and so does every score."""
    before = rows(store)
    one_line_error(run("--db", str(store), *args, "--today", TODAY), field, "digits 0-9")
    assert rows(store) == before
    assert run("--db", str(store), "pain", TODAY, "3", "--today", TODAY).exit_code == 0


# --- names no file system holds -----------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["--db", "\ud800.db", "show"],
    ["show", "--db", "x\udfff.db"],
    ["batch", "\ud800.csv"],
    ["batch", "r" * 300 + ".csv"],
    ["--db", "d" * 300 + ".db", "show"],
])
def test_a_path_no_file_system_holds_is_one_line(tmp_path: Path, args: list[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A 300-character name (longer than any file system's 255 bytes) and a lone surrogate
    (no encoding holds it): one line, exit 2, nothing made."""
    monkeypatch.chdir(tmp_path)
    line = one_line_error(run(*args), quiet=False)
    assert "\\ud8" in line or "\\udf" in line or "too long" in line, line
    assert list(tmp_path.iterdir()) == []
