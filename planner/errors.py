"""One error family for the whole tool; the CLI maps each to an exit code once, in one place."""

from __future__ import annotations

import difflib
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
        shown = value if isinstance(value, str) else repr(value)
        if isinstance(shown, str) and len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"{field}: {shown!r} is not accepted; {accepted}")


class NoPlanPossible(PeriodizeError):
    """The week cannot hold the program; the message says which rule and why."""

    exit_code = 1


class StoreError(PeriodizeError):
    """The plan store is missing, foreign, too new or damaged."""

    exit_code = 2


class RemoteError(PeriodizeError):
    """A calendar server could not be reached or refused a request."""

    exit_code = 3


def closest(word: str, choices: Iterable[str]) -> str:
    """A "did you mean" suffix for an unknown word, or an empty string."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
