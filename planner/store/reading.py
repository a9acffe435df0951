"""Reading a user's file: a regular file only, never more than a limit, never a blocking wait.

The file is opened without blocking (a named pipe would otherwise wait for a writer forever) and
judged by what was opened (``fstat``), not by a look at the path before, so it cannot be swapped
in between. Devices, pipes, sockets and folders are refused; so is a file over the limit, before
its bytes are read, and one that grows past it while being read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from planner.errors import InputError


def read_regular(path: Path, field: str, max_bytes: int, too_big: str,
                 kind: str = "file", judge: Callable[[os.stat_result], None] | None = None,
                 ) -> bytes:
    """The bytes of the regular file at ``path`` (at most ``max_bytes``). Every failure is an
    InputError on ``field`` naming the path: missing, unreadable, a folder ("give a{n} {kind},
    not a folder"), a device or pipe ("a regular {kind} (not a device or a pipe)"), or bigger
    than ``max_bytes`` (``too_big``). ``judge(stat)`` may refuse the file opened (by raising),
    e.g. for its owner or mode, before anything is read."""
    source = str(path)
    article = "an" if kind[:1] in "aeiou." else "a"
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(field, source, "the file does not exist") from None
    except IsADirectoryError:
        raise InputError(field, source, f"give {article} {kind}, not a folder") from None
    except (OSError, ValueError) as exc:   # ValueError: a NUL in the path
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise InputError(field, source, f"the file cannot be read ({reason})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(field, source, f"give {article} {kind}, not a folder")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(field, source, f"a regular {kind} (not a device or a pipe)")
        if info.st_size > max_bytes:
            raise InputError(field, source, too_big)
        if judge is not None:
            judge(info)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        try:
            data = handle.read(max_bytes + 1)   # bounded: the file may grow while we read
        except OSError as exc:
            raise InputError(field, source, f"the file cannot be read ({exc.strerror})") from None
    if len(data) > max_bytes:
        raise InputError(field, source, too_big)
    return data
