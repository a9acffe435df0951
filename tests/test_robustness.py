"""Bad input through the command line: exit 2, one line naming the field, the value and what is
accepted, no traceback, and nothing changed: the stored plan, its revisions and log stay as they
were (byte for byte) and no output file appears. Complements test_cli.py (the first profile
errors, missing files and folders) and test_replan.py (bad dates for missed/done/replan)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from factories import (
    BAD_PROFILES,
    ROOT,
    SHORTEST,
    BadProfile,
    one_line_error,
    profile_toml,
    run,
    write_profile,
)

import cli
from planner.calendars.busy import MAX_BUSY_BYTES
from planner.store.database import SCHEMA_VERSION, open_store

BUSY_FIXTURES = ROOT / "tests" / "fixtures" / "busy"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4


def shown(value: str) -> str:
    """How an error line shows a value: quoted, long ones cut in the middle (a path keeps its
    file name)."""
    return repr(value if len(value) <= 80 else value[:38] + "..." + value[-39:])


def snapshot(db: Path) -> tuple[Any, ...]:
    """The current plan, the revision list and the log, as read through the store; and the
    file's bytes (a refused command must not even touch it)."""
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    with open_store(db) as store:
        plan = store.current()[0]
        return (plan.to_dict(), [(r.number, r.note, r.current) for r in store.history()],
                store.log(plan.plan_id), digest)


@pytest.fixture
def store(store: Path) -> Path:
    """conftest's private copy of the stored plan, with one missed day."""
    assert run("--db", str(store), "missed", "2027-01-11").exit_code == 0
    return store


def refused(store: Path, tmp_path: Path, args: Sequence[str], *needles: str,
            output: bool = True) -> str:
    """Run a command that must be refused; check the store is untouched and that nothing was
    written where its output would go. Returns the error line."""
    before = snapshot(store)
    out_dir = tmp_path / "out"
    out_dir.mkdir(exist_ok=True)
    extra = ["-o", str(out_dir / "plan.ics")] if output else []
    line = one_line_error(run("--db", str(store), *args, *extra), *needles)
    assert snapshot(store) == before, "a refused command changed the store"
    assert list(out_dir.iterdir()) == [], "a refused command wrote a file"
    return line


# --- the profile ------------------------------------------------------------------------------


def _toml_line(text: str, line: str) -> int:
    """The 1-based number of ``line`` in ``text``."""
    return text.splitlines().index(line) + 1


def test_malformed_toml_names_the_line(tmp_path: Path, store: Path) -> None:
    text = profile_toml().replace("weeks = 8\n", "weeks = 8\nweeks = 9\n")   # a key twice
    profile = tmp_path / "profile.toml"
    profile.write_text(text, encoding="utf-8")
    line = refused(store, tmp_path, ["generate", str(profile)],
                   f"profile: {shown(str(profile))} is not accepted; it is not valid TOML")
    assert f"line {_toml_line(text, 'weeks = 9')}" in line


@pytest.mark.parametrize(("broken", "fixed"), [
    ("[availability", "[availability]"),                      # an unclosed table header
    ("start = 2027-02-30", "start = 2027-01-04"),             # a date that does not exist
    ('name = "Test athlete', 'name = "Test athlete"'),        # an unclosed string
])
def test_malformed_toml_variants_name_their_line(tmp_path: Path, store: Path, broken: str,
                                                 fixed: str) -> None:
    text = profile_toml()
    number = _toml_line(text, fixed)
    profile = tmp_path / "profile.toml"
    profile.write_text(text.replace(fixed, broken), encoding="utf-8")
    line = refused(store, tmp_path, ["generate", str(profile)], "not valid TOML")
    assert f"line {number}" in line


def test_a_profile_that_is_not_utf8(tmp_path: Path, store: Path) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_bytes(profile_toml().encode("utf-16"))
    refused(store, tmp_path, ["generate", str(profile)], f"profile: {shown(str(profile))}",
            "UTF-8")


def test_a_device_as_profile_is_refused_unread(tmp_path: Path, store: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    refused(store, tmp_path, ["generate", "/dev/zero"], "profile: '/dev/zero'",
            "a regular file (not a device or a pipe)")




@pytest.mark.parametrize("case", BAD_PROFILES, ids=[c.id for c in BAD_PROFILES])
def test_bad_profile_field(tmp_path: Path, store: Path, case: BadProfile) -> None:
    """Each bad profile of the one table: one line naming the field, the value and what is
    accepted; the store untouched, no file written."""
    profile = write_profile(tmp_path, **case.overrides)
    shown_value = "'" if case.value is None else f"{case.value!r} is not accepted; "
    refused(store, tmp_path, ["generate", str(profile)], f"Error: {case.field}: {shown_value}",
            case.words)


def test_a_nul_in_a_busy_path_is_refused(tmp_path: Path, store: Path) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text(profile_toml(busy=["work.ics"]).replace("work.ics", "work\\u0000.ics"),
                       encoding="utf-8")
    refused(store, tmp_path, ["generate", str(profile)], "busy: 'work\\x00.ics'",
            "paths of .ics files")


# --- busy calendars ---------------------------------------------------------------------------


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _sparse(path: Path) -> Path:
    with path.open("wb") as handle:
        handle.truncate(MAX_BUSY_BYTES + 1)        # over the limit, and nothing is written
    return path


BAD_BUSY: list[tuple[str, Callable[[Path], Path], str]] = [
    ("empty", lambda folder: _write(folder / "empty.ics", b""), "the file is empty"),
    ("blank", lambda folder: _write(folder / "blank.ics", b"\xef\xbb\xbf \r\n\r\n"),
     "the file is empty"),
    ("png", lambda folder: _write(folder / "photo.ics", PNG),
     "an iCalendar (.ics) file is expected: no BEGIN:VCALENDAR found"),
    ("text", lambda folder: _write(folder / "notes.ics", b"Dentist on Tuesday at 3\n"),
     "an iCalendar (.ics) file is expected: no BEGIN:VCALENDAR found"),
    ("vcard", lambda folder: _write(folder / "card.ics", b"BEGIN:VCARD\r\nFN:Sam\r\nEND:VCARD\r\n"),
     "no BEGIN:VCALENDAR found"),
    ("cut-off", lambda folder: _write(folder / "cut.ics",
                                      (BUSY_FIXTURES / "broken.ics").read_bytes()),
     "a valid iCalendar file is expected (the reader said: "),
    ("calendar-then-binary", lambda folder: _write(folder / "mixed.ics",
                                                   b"BEGIN:VCALENDAR\r\n" + PNG),
     "a valid iCalendar file is expected"),
    ("over-5-MB", lambda folder: _sparse(folder / "huge.ics"), "files up to 5 MB are read"),
    ("a-folder", lambda folder: folder, "give an .ics file, not a folder"),
    ("missing", lambda folder: folder / "nowhere" / "cal.ics", "the file does not exist"),
]


@pytest.mark.parametrize(("make", "words"), [c[1:] for c in BAD_BUSY],
                         ids=[c[0] for c in BAD_BUSY])
def test_bad_busy_calendar_on_the_command_line(tmp_path: Path, store: Path,
                                               make: Callable[[Path], Path], words: str) -> None:
    folder = tmp_path / "calendars"
    folder.mkdir()
    busy = make(folder)
    refused(store, tmp_path, ["generate", str(write_profile(tmp_path)), "--busy", str(busy)],
            f"Error: busy: {shown(str(busy))} is not accepted; ", words)


@pytest.mark.parametrize(("make", "words"), [c[1:] for c in BAD_BUSY if c[0] in ("png", "text")],
                         ids=["png", "text"])
def test_bad_busy_calendar_named_in_the_profile(tmp_path: Path, store: Path,
                                                make: Callable[[Path], Path], words: str) -> None:
    busy = make(tmp_path)
    profile = write_profile(tmp_path, busy=[busy.name])       # relative to the profile's folder
    refused(store, tmp_path, ["generate", str(profile)],
            f"Error: busy: {shown(str(busy.resolve()))} is not accepted; ", words)


def test_bad_busy_calendar_for_replan(tmp_path: Path, store: Path) -> None:
    busy = _write(tmp_path / "photo.ics", PNG)
    refused(store, tmp_path, ["replan", "--today", "2027-01-12", "--busy", str(busy)],
            f"busy: {shown(str(busy))}", "no BEGIN:VCALENDAR found")


# --- dates, kinds and replan's profile ---------------------------------------------------------


@pytest.mark.parametrize(("args", "field", "value", "words"), [
    (["status", "--today", "2027-99-01"], "--today", "2027-99-01", "a date like 2027-01-13"),
    (["missed", ""], "DATE", "", "a date like"),
    (["done", "2027-01-11T18:00"], "DATE", "2027-01-11T18:00", "a date like"),
    (["done", "2027-01-11", "2027-01-13", "tomorrow"], "DATE", "tomorrow", "a date like"),
    (["missed", "2027-03-01"], "DATE", "2027-03-01", "a date within the plan, 2027-01-04 to "
     "2027-02-28"),
])
def test_bad_dates_not_covered_elsewhere(tmp_path: Path, store: Path, args: list[str],
                                         field: str, value: str, words: str) -> None:
    refused(store, tmp_path, args, f"Error: {field}: {value!r} is not accepted; ", words,
            output=False)


def test_replan_today_long_before_the_plan(tmp_path: Path, store: Path) -> None:
    refused(store, tmp_path, ["replan", "--today", "2026-12-01"], "--today: '2026-12-01'",
            "a date within the plan, 2027-01-04 to 2027-02-28")


def test_an_unknown_kind_is_refused(tmp_path: Path, store: Path) -> None:
    """--kind is a click choice: the usage error is one line too, and nothing is recorded."""
    refused(store, tmp_path, ["missed", "2027-01-13", "--kind", "jumps"],
            "Error: --kind: 'jumps' is not one of 'plyometrics', 'strength', 'stretching'.",
            output=False)


def test_replan_with_a_bad_profile(tmp_path: Path, store: Path) -> None:
    edited = tmp_path / "edited"
    edited.mkdir()
    profile = write_profile(edited, availability={"mon": ["18:00-18:05"]})
    refused(store, tmp_path, ["replan", "--today", "2027-01-12", "--profile", str(profile)],
            "availability.mon: '18:00-18:05'", f"at least {SHORTEST} minutes")


def test_replan_with_a_profile_that_starts_elsewhere(tmp_path: Path, store: Path) -> None:
    edited = tmp_path / "edited"
    edited.mkdir()
    profile = write_profile(edited, start=dt.date(2027, 2, 1))
    refused(store, tmp_path, ["replan", "--today", "2027-01-12", "--profile", str(profile)],
            f"--profile: {shown(str(profile))}", "the plan's start, 2027-01-04")


# --- the store --------------------------------------------------------------------------------


def _text_file(db: Path) -> None:
    db.write_text("These are my notes, not a database.\n" * 200, encoding="utf-8")


def _other_app(db: Path) -> None:
    db.unlink()
    with sqlite3.connect(db) as other:
        other.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
        other.execute("INSERT INTO contacts VALUES ('Sam', '555')")
    other.close()


def _newer(db: Path) -> None:
    with sqlite3.connect(db) as newer:
        newer.execute("PRAGMA user_version = 99")
    newer.close()


def _page_size(db: Path) -> int:
    return int.from_bytes(db.read_bytes()[16:18], "big")


def _damaged_page(db: Path) -> None:
    """Garbage over page 2 (the first table's root page)."""
    size = _page_size(db)
    with db.open("r+b") as handle:
        handle.seek(size)
        handle.write(b"\xde\xad\xbe\xef" * (size // 4))


def _damaged_header(db: Path) -> None:
    with db.open("r+b") as handle:
        handle.write(b"\x00" * 100)


def _spoiled(db: Path, found: bytes) -> None:
    """Bytes that are not UTF-8 over 40 bytes after every copy of ``found`` in the file (a
    page may hold a row more than once): the b-tree is sound, so SQLite's quick check passes,
    and the damage shows only when the row is read."""
    data = bytearray(db.read_bytes())
    at = data.find(found)
    assert at != -1, found
    while at != -1:
        data[at + 20:at + 60] = b"\xff" * 40
        at = data.find(found, at + 60)
    db.write_bytes(bytes(data))


def _damaged_text(db: Path) -> None:
    """In the text of the profile a revision was made from (stored as JSON text)."""
    _spoiled(db, b'"timezone": "')


def _damaged_plan(db: Path) -> None:
    """In the compressed plan of the current revision."""
    with sqlite3.connect(db) as raw:
        blob = raw.execute("SELECT plan FROM revisions ORDER BY number DESC").fetchone()[0]
    raw.close()
    _spoiled(db, bytes(blob[:16]))


BAD_STORES: dict[str, tuple[Callable[[Path], None], str]] = {
    "text-file": (_text_file, "not a readable periodize store (file is not a database)"),
    "other-app": (_other_app, "not a periodize plan store; nothing was changed"),
    "newer-schema": (_newer, "made by a newer periodize (schema 99; this one reads up to "
                             f"{SCHEMA_VERSION}); upgrade periodize"),
    "damaged-page": (_damaged_page, "the store is damaged ("),   # then "restore a backup"
    "damaged-header": (_damaged_header, "not a readable periodize store"),
    "damaged-text": (_damaged_text, "the store cannot be used (Could not decode to UTF-8"),
    "damaged-plan": (_damaged_plan, "is damaged (not a compressed plan: Error -3"),
}
COMMANDS: dict[str, list[str]] = {
    "show": ["show"],
    "history": ["history"],
    "missed": ["missed", "2027-01-13"],
    "undo": ["undo"],
    "export": ["export", "-o"],
    "replan": ["replan", "--today", "2027-01-12", "-o"],
    "generate": ["generate", "PROFILE", "-o"],
}


# A damaged row of text is never read by generate (it adds a revision) or undo (it reads
# revision numbers only): those two pairs have nothing to refuse.
UNUSABLE = [(kind, command) for kind in BAD_STORES for command in COMMANDS
            if not (kind in ("damaged-text", "damaged-plan") and command in ("generate", "undo"))]


@pytest.mark.parametrize(("kind", "command"), UNUSABLE)
def test_a_store_that_cannot_be_used_is_refused_untouched(tmp_path: Path, store: Path,
                                                          kind: str, command: str) -> None:
    damage, words = BAD_STORES[kind]
    damage(store)
    before = store.read_bytes()
    out = tmp_path / "out" / "plan.ics"
    out.parent.mkdir()
    args = [str(write_profile(tmp_path)) if a == "PROFILE" else a for a in COMMANDS[command]]
    if args[-1] == "-o":
        args.append(str(out))
    line = one_line_error(run("--db", str(store), *args), f"Error: {store}: ", words)
    if kind in ("text-file", "other-app", "damaged-header"):
        assert "point --db or PERIODIZE_DB at a periodize store" in line
    if kind in ("damaged-page", "damaged-text", "damaged-plan"):
        assert "restore a backup" in line
    assert store.read_bytes() == before, "a refused store was changed"
    assert not out.exists() and list(out.parent.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".toml") == ["out",
                                                                                "store.db"]


def test_the_damaged_page_message_is_one_short_line(tmp_path: Path, store: Path) -> None:
    """SQLite's quick check reports a damaged page over many lines; the error keeps one."""
    _damaged_page(store)
    line = one_line_error(run("--db", str(store), "show"), "restore a backup")
    assert "***" not in line and len(line) < 250


# --- where the output goes --------------------------------------------------------------------


def test_output_under_a_regular_file(tmp_path: Path, store: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder\n", encoding="utf-8")
    target = blocker / "plan.ics"
    for args in (["generate", str(write_profile(tmp_path))], ["export"],
                 ["replan", "--today", "2027-01-12"]):
        refused(store, tmp_path, [*args, "-o", str(target)],
                f"Error: --output: {shown(str(target))} is not accepted; ",
                f"a path in an existing folder ({blocker} is a file, not a folder)", output=False)
    assert blocker.read_text(encoding="utf-8") == "a file, not a folder\n"


def test_output_in_a_missing_folder_for_replan(tmp_path: Path, store: Path) -> None:
    target = tmp_path / "missing" / "plan.ics"
    refused(store, tmp_path, ["replan", "--today", "2027-01-12", "-o", str(target)],
            f"--output: {shown(str(target))}", "does not exist", output=False)
    assert not target.parent.exists()


def test_output_that_is_a_folder(tmp_path: Path, store: Path) -> None:
    folder = tmp_path / "calendar.ics"
    folder.mkdir()
    refused(store, tmp_path, ["generate", str(write_profile(tmp_path)), "-o", str(folder)],
            f"--output: {shown(str(folder))}", "a file path, not a folder", output=False)
    assert list(folder.iterdir()) == []


def test_output_in_a_read_only_folder(tmp_path: Path, store: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("this user may write into a read-only folder (root)")
        target = folder / "plan.ics"
        for args in (["generate", str(write_profile(tmp_path))], ["export"]):
            refused(store, tmp_path, [*args, "-o", str(target)], f"--output: {shown(str(target))}",
                    "a path you may write to", output=False)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_a_read_only_output_file_is_left_alone(tmp_path: Path, store: Path) -> None:
    target = tmp_path / "plan.ics"
    target.write_bytes(b"previous\r\n")
    target.chmod(0o444)
    try:
        if os.access(target, os.W_OK):
            pytest.skip("this user may write to a read-only file (root)")
        refused(store, tmp_path, ["export", "-o", str(target)], f"--output: {shown(str(target))}",
                "a path you may write to", output=False)
        assert target.read_bytes() == b"previous\r\n"
    finally:
        target.chmod(0o644)


# --- atomic writes ----------------------------------------------------------------------------


def _failing_fsync(error: BaseException) -> Callable[[int], None]:
    def fsync(fd: int) -> None:
        raise error

    return fsync


def test_a_full_disk_while_writing_leaves_the_previous_file(
        tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "plan.ics"
    target.parent.mkdir()
    target.write_bytes(b"BEGIN:VCALENDAR\r\nthe previous calendar\r\nEND:VCALENDAR\r\n")
    previous = target.read_bytes()
    before = snapshot(store)
    monkeypatch.setattr(os, "fsync", _failing_fsync(OSError(28, "No space left on device")))
    one_line_error(run("--db", str(store), "export", "-o", str(target)),
                   f"Error: {target}: the disk is full; nothing was written there", code=3)
    assert target.read_bytes() == previous
    assert [p.name for p in target.parent.iterdir()] == ["plan.ics"]   # no temporary file left
    assert snapshot(store) == before


def test_ctrl_c_while_writing_leaves_the_previous_file(
        tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "plan.ics"
    target.parent.mkdir()
    target.write_bytes(b"previous")
    monkeypatch.setattr(os, "fsync", _failing_fsync(KeyboardInterrupt()))
    result = run("--db", str(store), "export", "-o", str(target))
    assert (result.exit_code, result.stderr) == (130, cli.INTERRUPTED + "\n")
    assert target.read_bytes() == b"previous"
    assert [p.name for p in target.parent.iterdir()] == ["plan.ics"]
