"""Files periodize writes are readable as any program's would be: 0666 less the umask (0644 with
the usual 022), not the temporary file's 0600; a replaced file keeps the mode it had."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import write_profile

import cli


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the process's umask after a test sets its own."""
    saved = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(saved)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def invoke(db: Path, *args: str) -> None:
    result = CliRunner().invoke(cli.main, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_new_files_follow_the_umask(tmp_path: Path, umask: None, mask: int) -> None:
    os.umask(mask)
    db = tmp_path / "plan.db"
    invoke(db, "generate", str(write_profile(tmp_path)), "-o", str(tmp_path / "plan.ics"))
    invoke(db, "export", "--format", "csv", "-o", str(tmp_path / "plan.csv"))
    invoke(db, "export", "--format", "json", "-o", str(tmp_path / "plan.json"))
    for name in ("plan.ics", "plan.csv", "plan.json"):
        assert mode(tmp_path / name) == 0o666 & ~mask, name
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file left"


def test_a_replaced_file_keeps_its_mode(tmp_path: Path, umask: None) -> None:
    db = tmp_path / "plan.db"
    out = tmp_path / "plan.ics"
    invoke(db, "generate", str(write_profile(tmp_path)), "-o", str(out))
    out.chmod(0o600)
    invoke(db, "export", "-o", str(out))
    assert mode(out) == 0o600
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR")
