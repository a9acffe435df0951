"""Triage from the intake's answers (rules in ``catalog/intake.toml``): red flags stop the plan
from starting; otherwise a pathway, and whether the athlete is cleared to jump, as a physio
would decide it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from catalog.intake import RED_FLAGS, IntakeRules
from planner.store.intake import Intake


@dataclass(frozen=True)
class Triage:
    red_flags: tuple[str, ...]       # the red-flag answers given, in words
    pathway: str                     # general | patellofemoral
    cleared_to_jump: bool
    held_because: tuple[str, ...]    # why jumps wait for a screen

    def message(self, rules: IntakeRules) -> str:
        """The one message: see a doctor, or the pathway (and rehab first)."""
        if self.red_flags:
            return rules.messages["red_flag"].format(flags="; ".join(self.red_flags))
        said = rules.messages[self.pathway]
        if not self.cleared_to_jump:
            said += " " + rules.messages["not_cleared"].format(
                why=" and ".join(self.held_because))
        return said


def triage(intake: Intake, rules: IntakeRules, today: dt.date) -> Triage:
    flags = tuple(rules.red_flags[key] for key in RED_FLAGS if getattr(intake, key))
    # Judgement call: pain at the front (around the kneecap) anywhere in the answers is
    # patellofemoral pain [Willy], the pathway that asks more (hip + knee, pain-free range).
    pathway = ("patellofemoral" if any(rules.where[p] == "patellofemoral" for p in intake.where)
               else "general")
    held: list[str] = []
    for when, weeks, what in ((intake.surgery, rules.surgery_weeks, "knee surgery"),
                              (intake.injury, rules.injury_weeks, "a knee injury")):
        if when is not None and today - when < dt.timedelta(weeks=weeks):
            held.append(f"{what} on {when} is less than {weeks} weeks ago")
    if intake.swelling and rules.swelling_holds_jumps:
        held.append("the knee swells")
    return Triage(flags, pathway, not held, tuple(held))
