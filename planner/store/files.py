"""Atomic output: write a temporary file in the target's folder, then rename it into place, so a
failed or interrupted run never leaves a half-written file.

Only regular files are written. A device (``/dev/full``, ``/dev/null``), a pipe or a socket at
the path is refused: renaming over it would replace the node with a file. A symbolic link is
written through: its target file is replaced (atomically, in the target's folder) and the link
stays, so whatever reads the target (a served folder, a synced file) sees the new plan.

A temporary file is held locked (``flock``) while it is written; one of our naming that nobody
holds locked was left by a process that was killed (SIGKILL, a power cut) and is removed by the
next write to the same place (``sweep_stale``): only ours, only stale.

A full disk is said as such (``DiskFull``, exit 3), with what was kept.

The file gets the mode any program would create it with (0666 less the umask, e.g. 0644), not
the temporary file's 0600: a calendar is written to be shared, served or subscribed to. A file
that is replaced keeps its own mode (someone who made it private keeps it private).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from planner.errors import DiskFull, InputError, no_space

#: write_atomic's temporary files: ``.NAME.<8 of mkstemp's letters>.tmp`` beside NAME.
_ATOMIC_TMP = r"[a-z0-9_]{8}"


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd``: ``os.write`` may write fewer (a disk filling
    up); a write of nothing is a full disk (ENOSPC)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(28, os.strerror(28))   # ENOSPC
        view = view[written:]


def hold(fd: int) -> None:
    """Lock an open temporary file for as long as this process has it open (and no longer: the
    system drops the lock when the process dies), so that ``sweep_stale`` leaves it alone."""
    with contextlib.suppress(ImportError, OSError):   # no flock (Windows): nothing is swept
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _stale(path: Path) -> bool:
    """Whether nobody holds the temporary file at ``path`` locked (its writer died)."""
    try:
        import fcntl
    except ImportError:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False         # held: a live writer's
    finally:
        os.close(fd)
    return True


def sweep_stale(target: Path, middle: str = _ATOMIC_TMP) -> list[Path]:
    """Remove the temporary files a killed run left beside ``target``: only names of our own
    making (``.NAME.<middle>.tmp``, ``middle`` a regular expression) and only those no live
    process holds (``hold``). Best effort, never an error; returns what was removed."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.{middle}\.tmp")
    removed = []
    with contextlib.suppress(OSError):
        for entry in _entries(target.parent):
            if pattern.fullmatch(entry) and _stale(target.parent / entry):
                with contextlib.suppress(OSError):
                    (target.parent / entry).unlink()
                    removed.append(target.parent / entry)
    return removed


def _entries(folder: Path) -> Iterator[str]:
    with os.scandir(folder if str(folder) else ".") as scan:
        for entry in scan:
            if entry.name.startswith("."):
                yield entry.name


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
    sweep_stale(target)
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            hold(fd)
            os.fchmod(fd, _mode(target))
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        Path(tmp).replace(target)
    except BaseException as exc:
        if tmp:
            with contextlib.suppress(FileNotFoundError):
                Path(tmp).unlink()
        if no_space(exc):
            raise DiskFull(f"{path}: the disk is full; nothing was written there; free some "
                           "space and run the command again") from None
        if isinstance(exc, OSError):   # a folder made read-only meanwhile
            raise InputError(field, str(path), f"a place the file can be written to ("
                             f"{exc.strerror or exc}); nothing was written there") from None
        raise
