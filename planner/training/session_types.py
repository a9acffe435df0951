"""The kinds of session a plan holds: which blocks each has, in the order they are done, and the
words a person reads for them (one definition each: calendar summaries, reports, the terminal)."""

from __future__ import annotations

from dataclasses import dataclass

#: The blocks of a session in the order they are done, with their headings.
BLOCK_HEADINGS = {"warmup": "Warm-up", "plyometrics": "Plyometrics", "strength": "Strength",
                  "stretching": "Stretching"}
BLOCKS = tuple(BLOCK_HEADINGS)


@dataclass(frozen=True)
class SessionType:
    key: str
    kinds: tuple[str, ...]
    label: str          # calendar summary, report, replan's changes: "Plyometrics + stretch"
    short: str          # one-line week summary: "Jumps"
    abbreviation: str   # calendar grid cells: "J"
    words: str          # legends: "jumps"

    @property
    def plyometric(self) -> bool:
        return "plyometrics" in self.kinds

    @property
    def strength(self) -> bool:
        return "strength" in self.kinds


# Jumps come first, strength next, static stretching always last (it blunts jump performance).
SESSION_TYPES = (
    SessionType("jumps", ("plyometrics", "stretching"), "Plyometrics + stretch", "Jumps", "J",
                "jumps"),
    SessionType("strength", ("strength", "stretching"), "Strength + stretch", "Strength", "S",
                "strength"),
    SessionType("combined", ("plyometrics", "strength", "stretching"),
                "Plyometrics + strength + stretch", "Jumps+Strength", "J+S", "jumps + strength"),
    SessionType("stretch", ("stretching",), "Stretch", "Stretch", "Mob", "mobility & stretch"),
)
TYPES = {t.key: t for t in SESSION_TYPES}
