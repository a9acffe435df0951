"""Atomic output: write a temporary file in the target's folder, then rename it into place, so a
failed or interrupted run never leaves a half-written file.

Only regular files are written. A device (``/dev/full``, ``/dev/null``), a pipe or a socket at
the path is refused: renaming over it would replace the node with a file. A symbolic link is
written through: its target file is replaced (atomically, in the target's folder) and the link
stays, so whatever reads the target (a served folder, a synced file) sees the new plan.

The file gets the mode any program would create it with (0666 less the umask, e.g. 0644), not
the temporary file's 0600: a calendar is written to be shared, served or subscribed to. A file
that is replaced keeps its own mode (someone who made it private keeps it private).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from planner.errors import InputError


def _target(path: Path) -> Path:
    """Where the bytes go: ``path``, or the file a symbolic link at ``path`` points to."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def check_writable(path: Path, field: str = "--output") -> None:
    """Refuse, before any work is done, an output path that cannot be written."""
    try:
        _check(path, _target(path), field)
    except OSError as exc:     # a name too long, a loop of links, ...
        raise InputError(field, str(path), f"a path that can be written ({exc.strerror or exc})"
                         ) from None


def _check(path: Path, target: Path, field: str) -> None:
    folder = target.parent if str(target.parent) else Path()
    if target.is_dir():
        raise InputError(field, str(path), "a file path, not a folder")
    if target.exists() and not stat.S_ISREG(target.stat().st_mode):
        raise InputError(field, str(path), "a regular file (not a device, a pipe or a socket)")
    if not folder.is_dir():
        why = "is a file, not a folder" if folder.exists() else "does not exist"
        raise InputError(field, str(path), f"a path in an existing folder ({folder} {why})")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise InputError(field, str(path), "a path you may write to")
    limit = os.pathconf(folder, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
    if len(os.fsencode(f".{target.name}.") + b"12345678.tmp") > limit:  # the temporary file
        raise InputError(field, str(path), f"a file name of at most {limit - 14} bytes")


def _mode(target: Path) -> int:
    """The replaced file's permission bits, else 0666 less the process's umask."""
    with contextlib.suppress(FileNotFoundError):
        return stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0o022)       # the only way to read it; set back at once
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, data: bytes, field: str = "--output") -> None:
    """Write ``data`` to ``path`` (through a symbolic link, to its target) all at once or not
    at all."""
    check_writable(path, field)
    target = _target(path)
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.fchmod(fd, _mode(target))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(target)
    except BaseException as exc:
        if tmp:
            with contextlib.suppress(FileNotFoundError):
                Path(tmp).unlink()
        if isinstance(exc, OSError):   # a full disk, a folder made read-only meanwhile
            raise InputError(field, str(path), f"a place the file can be written to ("
                             f"{exc.strerror or exc}); nothing was written there") from None
        raise
