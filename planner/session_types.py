"""The kinds of session a plan holds: which blocks each has, in the order they are done, and the
words a person reads for it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SessionType:
    key: str
    kinds: tuple[str, ...]
    label: str

    @property
    def plyometric(self) -> bool:
        return "plyometrics" in self.kinds

    @property
    def strength(self) -> bool:
        return "strength" in self.kinds


# Jumps come first, strength next, static stretching always last (it blunts jump performance).
SESSION_TYPES = (
    SessionType("jumps", ("plyometrics", "stretching"), "Plyometrics + stretch"),
    SessionType("strength", ("strength", "stretching"), "Strength + stretch"),
    SessionType("combined", ("plyometrics", "strength", "stretching"),
                "Plyometrics + strength + stretch"),
    SessionType("stretch", ("stretching",), "Stretch"),
)
TYPES = {t.key: t for t in SESSION_TYPES}
