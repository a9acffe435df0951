"""One error family for the whole tool; the CLI maps each to an exit code once, in one place."""

from __future__ import annotations

import datetime as dt
import difflib
import errno
from collections.abc import Iterable


class PeriodizeError(Exception):
    """Base of every error a user can meet. ``exit_code`` is what the CLI exits with."""

    exit_code = 2


class InputError(PeriodizeError):
    """Bad input: names the field, the value, and what would be accepted."""

    exit_code = 2

    def __init__(self, field: str, value: object, accepted: str) -> None:
        self.field = field
        self.value = value
        self.accepted = accepted
        # A TOML date or time is shown as written (2027-01-04T10:00:00), not as its Python repr.
        shown = (value if isinstance(value, str) else value.isoformat()
                 if isinstance(value, dt.date | dt.time) else repr(value))
        if len(shown) > 80:   # cut in the middle: a long path keeps its file name
            shown = shown[:38] + "..." + shown[-39:]
        # A TOML key may hold a newline ("\n" = 1): keep the message on one line.
        where = field if field.isprintable() else repr(field)[1:-1]
        super().__init__(f"{where}: {shown!r} is not accepted; {accepted}")


class NoPlanPossible(PeriodizeError):
    """The week cannot hold the program; the message says which rule and why."""

    exit_code = 1


class SeeADoctor(PeriodizeError):
    """The intake's answers hold a red flag: no plan starts; the message says why."""

    exit_code = 2


class StoreError(PeriodizeError):
    """The plan store is missing, foreign, too new or damaged."""

    exit_code = 2


class ConcurrentChange(StoreError):
    """Another periodize changed the store while this command worked; nothing was saved."""

    exit_code = 3


class DiskFull(PeriodizeError):
    """The disk (or the user's quota) is full: a state of the world, exit 3. The message says
    what was kept; a store is left as it was before the command."""

    exit_code = 3


#: errno values that mean "no space left": ENOSPC, and EDQUOT (a quota) where it exists.
NO_SPACE = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


def no_space(exc: BaseException) -> bool:
    """Whether ``exc`` is an OSError saying the disk or the quota is full."""
    return isinstance(exc, OSError) and exc.errno in NO_SPACE


class MissingExtra(PeriodizeError):
    """An optional part of periodize is not installed; the message says how to install it."""

    exit_code = 2


class RemoteError(PeriodizeError):
    """A calendar server could not be reached or refused a request."""

    exit_code = 3


def closest(word: str, choices: Iterable[str]) -> str:
    """A "did you mean" suffix for an unknown word, or an empty string."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
