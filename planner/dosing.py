"""Dosing: what one session holds at a level and block week (sets, reps, holds, foot contacts),
how long it takes, how hard it is, and the caps that keep weekly jump volume rising gently."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from catalog import Catalog, Exercise
from planner.plan import Dose, Session
from planner.program import template_week
from planner.session_types import TYPES

if TYPE_CHECKING:
    from planner.availability import Candidate
    from planner.profile import Profile


def session_minutes(catalog: Catalog, level: str, type_key: str, warmup: bool) -> int:
    """Minutes a session of this type takes: the sum of its blocks."""
    blocks = catalog.block_minutes
    kinds = TYPES[type_key].kinds
    if kinds == ("stretching",):
        return blocks["mobility"][level] + blocks["stretching"][level]
    return (blocks["warmup"][level] if warmup else 0) + sum(blocks[k][level] for k in kinds)


def session_contacts(catalog: Catalog, level: str, program_week: int,
                     cap: int | None = None) -> int:
    """Foot contacts of one plyometric session: template x level scale, within the level's cap."""
    tpl, _ = template_week(catalog, program_week)
    scale = catalog.levels[level]
    contacts = min(round(tpl.contacts * scale.contacts_scale / 5) * 5, scale.contacts_cap)
    return min(contacts, cap) if cap is not None else contacts


RAMP = 4 / 3    # a week's jump volume rises at most a third over the last full week with jumps


class RampWeek(NamedTuple):
    """One calendar week as ``ramp_caps`` sees it."""

    week: int               # calendar week, 1-based
    program_week: int       # the block week whose doses it carries
    jump_sessions: int      # jump sessions still to dose
    contacts_done: int      # foot contacts already done (a replan's past)
    contacts_missed: int    # foot contacts of sessions missed


def ramp_caps(catalog: Catalog, level: str, weeks: Sequence[RampWeek]) -> dict[int, int]:
    """Per-session contact caps that keep each week's foot contacts within ``RAMP`` of the last
    week with jumps that was not a deload (coming back from a deload to the block's level is
    planned). ``weeks`` in order. A week's own volume counts what was done; as the reference
    for the weeks after it, what was missed counts too, since a missed session is not a break
    (replan's break rules handle those). A week whose template volume fits gets no cap."""
    caps: dict[int, int] = {}
    reference: float | None = None
    for week, program_week, count, done, missed in weeks:
        each = session_contacts(catalog, level, program_week)
        total = done + count * each
        if reference is not None and count and total > RAMP * reference:
            caps[week] = max(0, int(RAMP * reference) - done) // count
            total = done + count * min(each, caps[week])
        if total + missed and template_week(catalog, program_week)[0].phase != "deload":
            reference = total + missed
    return caps


def plyo_doses(catalog: Catalog, level: str, program_week: int, cap: int | None) -> list[Dose]:
    """The jump drills of one session: the week's contacts (within ``cap``) in whole sets."""
    tpl, _ = template_week(catalog, program_week)
    total = session_contacts(catalog, level, program_week, cap)
    drills = [catalog.exercise(d) for d in tpl.drills]
    doses = []
    remaining = total
    for i, drill in enumerate(drills):
        share = remaining // (len(drills) - i)
        lvl = drill.at(1)
        per_set = (drill.reps_per_set or 1) * (2 if lvl.per_side else 1)
        if cap is None:                         # the nearest whole number of sets
            sets = max(1, round(share / per_set))
        else:                                   # never above the cap: a drill with no room for
            sets = share // per_set             # a set is left out (the later, more intense
            if sets == 0 and i:                 # ones first); the first keeps one set
                continue
            sets = max(1, sets)
        remaining -= sets * per_set
        doses.append(Dose(drill.name, "plyometrics", sets, drill.reps_per_set, None,
                          sets * per_set, lvl.level, f"{drill.cue} {lvl.cue}".strip(),
                          lvl.per_side))
    return doses


def strength_dose(catalog: Catalog, exercise: Exercise, level: int, program_week: int) -> Dose:
    """One strength exercise dosed at ``level`` in a program week (the week sets its sets)."""
    tpl, _ = template_week(catalog, program_week)
    lvl = exercise.at(level)
    return Dose(f"{exercise.name}: {lvl.name}", "strength", max(1, lvl.sets + tpl.sets_delta),
                lvl.reps, lvl.hold_seconds, None, lvl.level,
                f"{lvl.cue} Next level when: {exercise.advance_when}", lvl.per_side)


def _strength_doses(catalog: Catalog, level: str, program_week: int) -> list[Dose]:
    tpl, cycle = template_week(catalog, program_week)
    stage = tpl.strength_stage + catalog.levels[level].strength_offset + cycle
    return [strength_dose(catalog, exercise, stage, program_week)
            for exercise in catalog.of_kind("strength")]


def _plain_doses(catalog: Catalog, kind: str) -> list[Dose]:
    return [Dose(e.name, kind, e.at(1).sets, e.at(1).reps, e.at(1).hold_seconds, None, 1,
                 f"{e.cue} {e.at(1).cue}".strip(), e.at(1).per_side)
            for e in catalog.of_kind(kind)]


def session_doses(catalog: Catalog, level: str, program_week: int, type_key: str, warmup: bool,
                  contacts_cap: int | None = None) -> tuple[Dose, ...]:
    """Every exercise of one session in the order it is done: warm-up, jumps, strength, stretch."""
    kinds = TYPES[type_key].kinds
    doses: list[Dose] = []
    if warmup and kinds != ("stretching",):
        doses += _plain_doses(catalog, "warmup")
    if "plyometrics" in kinds:
        doses += plyo_doses(catalog, level, program_week, contacts_cap)
    if "strength" in kinds:
        doses += _strength_doses(catalog, level, program_week)
    doses += _plain_doses(catalog, "stretching")
    return tuple(doses)


def week_rpe(catalog: Catalog, program_week: int, type_key: str) -> int:
    """Session RPE for the load figure; a stretch-only session is easy whatever the week."""
    return 2 if type_key == "stretch" else template_week(catalog, program_week)[0].rpe


def durations(catalog: Catalog, profile: Profile) -> dict[str, int]:
    """Minutes of each session type for this athlete."""
    return {t: session_minutes(catalog, profile.level, t, profile.warmup) for t in TYPES}


def shortest_session(catalog: Catalog) -> int:
    """The fewest minutes any session can take (the least a training window must hold)."""
    return min(session_minutes(catalog, level, t, warmup)
               for level in catalog.levels for t in TYPES for warmup in (False, True))


def dosed_session(catalog: Catalog, profile: Profile, c: Candidate, program_week: int, uid: str,
                  stamp: dt.datetime, contacts_cap: int | None = None, sequence: int = 0,
                  status: str = "planned") -> Session:
    """A chosen slot with the exercises of its program week."""
    return Session(uid=uid, start=c.start, end=c.end, week=c.week, program_week=program_week,
                   session_type=c.type_key, kinds=TYPES[c.type_key].kinds, status=status,
                   sequence=sequence, stamp=stamp, rpe=week_rpe(catalog, program_week, c.type_key),
                   exercises=session_doses(catalog, profile.level, program_week, c.type_key,
                                           profile.warmup, contacts_cap))
