"""Atomic output: write a temporary file in the target's folder, then rename it into place, so a
failed or interrupted run never leaves a half-written file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from planner.errors import InputError


def check_writable(path: Path, field: str = "--output") -> None:
    """Refuse, before any work is done, an output path that cannot be written."""
    folder = path.parent if str(path.parent) else Path()
    if path.is_dir():
        raise InputError(field, str(path), "a file path, not a folder")
    if not folder.is_dir():
        why = "is a file, not a folder" if folder.exists() else "does not exist"
        raise InputError(field, str(path), f"a path in an existing folder ({folder} {why})")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(field, str(path), "a path you may write to")


def write_atomic(path: Path, data: bytes, field: str = "--output") -> None:
    """Write ``data`` to ``path`` all at once or not at all."""
    check_writable(path, field)
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException as exc:
        if tmp:
            with contextlib.suppress(FileNotFoundError):
                Path(tmp).unlink()
        if isinstance(exc, OSError):   # a full disk, a folder made read-only meanwhile
            raise InputError(field, str(path), f"a place the file can be written to ("
                             f"{exc.strerror or exc}); nothing was written there") from None
        raise
