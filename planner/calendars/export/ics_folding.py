"""WORKAROUND for icalendar 7.3's line-folding cost; remove once icalendar folds fast again.

icalendar folds every content line one character at a time since its fix for escape sequences
split across folds (collective/icalendar#1501, PR #1502, released in 7.3): it encodes each
character to count its octets. A plan's .ics is mostly long DESCRIPTIONs, and this loop was a
quarter of the CPU time of planning an athlete in a batch (7 of 28 ms of rendering, measured with
``benchmarks/run.py``; no newer release changes it).

``fold`` gives exactly icalendar's output - the same 75-octet limit, never inside a UTF-8
character, never between an escape's ``\\`` or ``^`` and the character it escapes - working on
the encoded line a fold at a time. ``use_fast_folding`` puts it in place of icalendar's only
when icalendar's own folding still agrees with it on probe lines (a later icalendar that folds
differently keeps its own), and ``tests/test_ics_folding.py`` checks the two agree on random
text. iCalendar itself is still written by icalendar; only this one helper is replaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LIMIT = 75
_SEPARATOR = "\r\n "
_ESCAPES = b"\\^"     # a fold never separates these from the character they escape
_PROBES = ("", "x" * 200, "DESCRIPTION:" + "Week 1 · 42 min\\n- Step down\\, slowly; " * 9,
           "SUMMARY:" + "é" * 80 + "^^" * 40 + "\\" * 75, "X:" + "🦵" * 40 + "a\\," * 30)


def fold(line: str, limit: int = _LIMIT, fold_sep: str = _SEPARATOR) -> str:
    """``line`` folded as icalendar 7.3's ``_foldline`` folds it (RFC 5545 section 3.1)."""
    data = line.encode("utf-8")
    if len(data) < limit:
        return line
    room = limit - 1            # octets a line may hold before the next character must fold
    parts: list[str] = []
    start = 0
    while len(data) - start > room:
        end = start + room
        while data[end] & 0xC0 == 0x80:       # not inside a character: back to its first octet
            end -= 1
        if end - start > 1 and data[end - 1] in _ESCAPES:
            end -= 1                           # keep an escape with what it escapes
        parts.append(data[start:end].decode("utf-8"))
        start = end
    parts.append(data[start:].decode("utf-8"))
    return fold_sep.join(parts)


def use_fast_folding() -> bool:
    """Make icalendar fold with ``fold`` (idempotent); False when left as it was."""
    from icalendar.parser import content_line, string

    theirs: Any = getattr(content_line, "_foldline", None)
    if theirs is fold:
        return True
    if theirs is not getattr(string, "_foldline", None) or not callable(theirs):
        return False
    for probe in _PROBES:
        if fold(probe) != theirs(probe):
            return False
    setattr(content_line, "_foldline", fold)   # the one name replaced  # noqa: B010
    return True


@contextmanager
def icalendar_folding() -> Iterator[None]:
    """Within it, icalendar folds with its own helper again (for a reference to compare with)."""
    from icalendar.parser import content_line, string

    before: Any = getattr(content_line, "_foldline", None)
    setattr(content_line, "_foldline", string._foldline)   # noqa: B010
    try:
        yield
    finally:
        setattr(content_line, "_foldline", before)   # noqa: B010
