"""Dosing: what one session holds at a level and block week (sets, reps, holds, foot contacts,
per-set work and rest), how long it takes (computed from the catalogue's timing), how hard it
is, and the weekly caps the workload rule (``planner.training.workload``) sets on jumps and
strength.
``dose_exercise`` is the one way to prescribe an exercise at a level."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from catalog import INTENSITIES, Catalog, Exercise
from planner.store.plan import Dose, Session
from planner.training.program import (
    drill_level,
    session_contacts,
    strength_level,
    template_week,
)
from planner.training.session_types import TYPES
from planner.training.workload import WeekLoad, workload_caps

if TYPE_CHECKING:
    from planner.scheduling.availability import Candidate
    from planner.store.profile import Profile


T = TypeVar("T")
# What the catalogue prescribes, remembered: a roster asks the same (level, week, type, caps,
# equipment) questions thousands of times, and the answers (frozen doses) never change. Keyed by
# the catalogue's identity (a Catalog holds a dict, so it has no hash); the entry keeps the
# catalogue itself, so its id cannot be reused while the entry lives.
_MEMO: dict[tuple[object, ...], tuple[Catalog, object]] = {}
_MEMO_KEPT = 16_384


def _memo(catalog: Catalog, key: tuple[object, ...], compute: Callable[[], T]) -> T:
    found = _MEMO.get((id(catalog), *key))
    if found is not None and found[0] is catalog:
        return found[1]  # type: ignore[return-value]
    value = compute()
    if len(_MEMO) >= _MEMO_KEPT:
        _MEMO.clear()
    _MEMO[(id(catalog), *key)] = (catalog, value)
    return value


# --- one exercise at one level ------------------------------------------------------------------


def dose_exercise(exercise: Exercise, level: int, sets: int | None = None,
                  equipment: frozenset[str] | None = None) -> Dose:
    """The ONE way to prescribe an exercise at a level: its dose, timing and cue, with the
    catalogue's substitute when ``equipment`` (None: everything) lacks what the level needs.
    ``sets`` overrides the level's sets (jump drills are dosed in sets from contacts)."""
    lvl = exercise.at(level)
    count = lvl.sets if sets is None else sets
    name = lvl.name if exercise.kind == "plyometrics" else (
        f"{exercise.name}: {lvl.name}" if len(exercise.levels) > 1 else exercise.name)
    cue = f"{exercise.cue} {lvl.cue}".strip()
    variant = lvl.variant(equipment)
    if variant.missing:
        name = f"{exercise.name}: {variant.name}"
        cue = (f"Substitute for \u201c{lvl.name}\u201d: no {' or '.join(variant.missing)} in "
               f"your equipment list. {exercise.cue} {variant.cue}")
    if lvl.range_cue:
        cue += f" {lvl.range_cue}"
    if exercise.advance_when:
        cue += f" Next level when: {exercise.advance_when}"
    if exercise.pain_day is not None:
        cue += " " + pain_day_text(exercise.pain_day, equipment)
    contacts = count * (lvl.reps or 0) * lvl.sides if exercise.kind == "plyometrics" else None
    return Dose(name, exercise.kind, count, lvl.reps, lvl.hold_seconds, contacts, lvl.level, cue,
                lvl.per_side, lvl.work_seconds, lvl.rest_seconds)


def pain_day_text(hold: Exercise, equipment: frozenset[str] | None) -> str:
    """What to do instead on a day with knee pain in the hold's band (a judgement call)."""
    lvl = hold.at(1)
    missing = equipment is not None and any(e not in equipment for e in lvl.equipment)
    name = lvl.substitute.name if missing and lvl.substitute is not None else lvl.name
    low, high = hold.for_pain or (0, 10)
    return (f"Knee pain {low}\u2013{high}/10 today: instead, {name}, {lvl.sets} \u00d7 "
            f"{lvl.hold_seconds} s, rest {lvl.rest_seconds} s (an isometric hold; a judgement "
            "call, the evidence is mixed).")


def dose_seconds(dose: Dose, setup_seconds: int) -> int:
    """How long a dose takes: every set's work (each side) and the rest after it, plus setting
    up. The rest after the last set is counted: it is the walk to the next exercise."""
    sides = 2 if dose.per_side else 1
    return dose.sets * ((dose.work_seconds or 0) * sides + (dose.rest_seconds or 0)) + setup_seconds


# --- the blocks of a session -------------------------------------------------------------------


def plyo_doses(catalog: Catalog, level: str, program_week: int, cap: int | None,
               equipment: frozenset[str] | None = None,
               below: Mapping[str, int] | None = None) -> list[Dose]:
    """The jump warm-up drills (ankle hops, the landing drill) and the week's drills, in whole
    sets within the session's contacts (and ``cap``); sets go one at a time to the drill with the
    fewest contacts so far, so the drills share the volume. Done hardest first, after the
    warm-up drills, while fresh. At least one set of the first warm-up drill is kept.
    ``below``: drill id -> the most its level may be (``planner.training.adapt`` keeps a drill
    held back by its gate at entry level, then one level a week)."""
    tpl, _ = template_week(catalog, program_week)
    total = session_contacts(catalog, level, program_week)
    if cap is not None:
        total = min(total, cap)
    warmups = [e for e in catalog.of_kind("plyometrics") if e.role == "warmup"]
    doses: list[Dose] = []
    remaining = total
    for drill in warmups:
        at = drill_level(catalog, level, program_week, drill.id)
        lvl = drill.at(at)
        count = min(lvl.sets, remaining // ((lvl.reps or 0) * lvl.sides))
        if count:
            doses.append(dose_exercise(drill, at, count, equipment))
            remaining -= doses[-1].foot_contacts or 0
    if not doses:
        doses.append(dose_exercise(warmups[0], drill_level(catalog, level, program_week,
                                                           warmups[0].id), 1, equipment))
    main = [catalog.exercise(d) for d in tpl.drills]
    levels = [min(drill_level(catalog, level, program_week, d.id),
                  (below or {}).get(d.id, drill_level(catalog, level, program_week, d.id)))
              for d in main]
    per_set = [(d.at(at).reps or 0) * d.at(at).sides for d, at in zip(main, levels, strict=True)]
    sets = [0] * len(main)
    while True:
        fits = [i for i in range(len(main)) if per_set[i] <= remaining]
        if not fits:
            break
        i = min(fits, key=lambda j: (sets[j] * per_set[j], j))
        sets[i] += 1
        remaining -= per_set[i]
    rank = {name: INTENSITIES.index(name) for name in INTENSITIES}
    order = sorted(range(len(main)), key=lambda j: -rank[main[j].intensity or "low"])
    doses += [dose_exercise(main[j], levels[j], sets[j], equipment) for j in order if sets[j]]
    return doses


def strength_volume(doses: Sequence[Dose]) -> int:
    """Strength volume of a session: sets x reps (each side counted) over its strength work."""
    return sum(d.sets * (d.reps or 0) * (2 if d.per_side else 1)
               for d in doses if d.kind == "strength")


def strength_dose(catalog: Catalog, exercise: Exercise, level: int, program_week: int,
                  equipment: frozenset[str] | None = None, sets: int | None = None) -> Dose:
    """One strength exercise at ``level`` in a program week: the week sets its sets (the
    deload's one fewer) unless ``sets`` is given."""
    tpl, _ = template_week(catalog, program_week)
    count = max(1, exercise.at(level).sets + tpl.sets_delta) if sets is None else sets
    return dose_exercise(exercise, level, count, equipment)


def fit_strength(doses: Sequence[Dose], cap: int | None) -> list[Dose]:
    """Strength doses under ``cap`` (sets x reps a session, each side counted): the strength
    exercise with the most volume loses a set until the session fits, never below one set each
    (so a very low cap can leave a session above it: the documented exception)."""
    fitted = list(doses)
    while cap is not None and strength_volume(fitted) > cap:
        movable = [i for i, d in enumerate(fitted) if d.kind == "strength" and d.sets > 1]
        if not movable:
            break
        i = max(movable, key=lambda j: (strength_volume(fitted[j:j + 1]), -j))
        fitted[i] = dataclasses.replace(fitted[i], sets=fitted[i].sets - 1)
    return fitted


def _strength_doses(catalog: Catalog, level: str, program_week: int, cap: int | None,
                    equipment: frozenset[str] | None, hip: bool = True) -> list[Dose]:
    """The strength exercises at the week's level (the knee's, then the hip's unless ``hip``
    is false), fitted under ``cap``."""
    stage = strength_level(catalog, level, program_week)
    return fit_strength([strength_dose(catalog, e, stage, program_week, equipment)
                         for e in catalog.of_kind("strength") if hip or e.role != "hip"], cap)


def _plain_doses(catalog: Catalog, kind: str) -> list[Dose]:
    return [dose_exercise(e, 1) for e in catalog.of_kind(kind)]


def has_warmup(type_key: str, warmup: bool) -> bool:
    """Jump sessions always open with the warm-up [NSCA: plyometrics after a warm-up], and
    stretch-only sessions too [Garber: stretch warm muscles]; ``warmup = false`` in the profile
    drops it from strength sessions only."""
    kinds = TYPES[type_key].kinds
    return warmup or "plyometrics" in kinds or kinds == ("stretching",)


def session_doses(catalog: Catalog, level: str, program_week: int, type_key: str, warmup: bool,
                  contacts_cap: int | None = None, strength_cap: int | None = None,
                  equipment: frozenset[str] | None = None, hip: bool = True,
                  ) -> tuple[Dose, ...]:
    """Every exercise of one session in the order it is done: warm-up, jumps, strength (hip
    work last, unless ``hip`` is false), stretch."""
    return _memo(catalog, ("session", level, program_week, type_key, warmup, contacts_cap,
                           strength_cap, equipment, hip),
                 lambda: _session_doses(catalog, level, program_week, type_key, warmup,
                                        contacts_cap, strength_cap, equipment, hip))


def _session_doses(catalog: Catalog, level: str, program_week: int, type_key: str, warmup: bool,
                   contacts_cap: int | None, strength_cap: int | None,
                   equipment: frozenset[str] | None, hip: bool) -> tuple[Dose, ...]:
    kinds = TYPES[type_key].kinds
    doses: list[Dose] = []
    if has_warmup(type_key, warmup):
        doses += _plain_doses(catalog, "warmup")
    if "plyometrics" in kinds:
        doses += plyo_doses(catalog, level, program_week, contacts_cap, equipment)
    if "strength" in kinds:
        doses += _strength_doses(catalog, level, program_week, strength_cap, equipment, hip)
    doses += _plain_doses(catalog, "stretching")
    return tuple(doses)


BLOCK_KINDS = ("warmup", "plyometrics", "strength", "stretching")


def block_minutes(catalog: Catalog, level: str, block: str, program_weeks: Iterable[int],
                  equipment: frozenset[str] | None = None, hip: bool = True) -> int:
    """Minutes a block takes for the largest dose it is given in ``program_weeks``, from the
    catalogue's per-set work and rest (rounded up to the minute)."""
    type_key = {"warmup": "stretch", "plyometrics": "jumps", "strength": "strength",
                "stretching": "stretch"}[block]
    seconds = max(sum(dose_seconds(d, catalog.setup_seconds)
                      for d in session_doses(catalog, level, w, type_key, True,
                                             equipment=equipment, hip=hip) if d.kind == block)
                  for w in program_weeks)
    return -(-seconds // 60)


def session_minutes(catalog: Catalog, level: str, type_key: str, warmup: bool,
                    program_weeks: Iterable[int] = (1,),
                    equipment: frozenset[str] | None = None, hip: bool = True) -> int:
    """Minutes a session of this type takes: the sum of its blocks' minutes."""
    weeks = tuple(program_weeks)
    kinds = TYPES[type_key].kinds
    blocks = list(kinds) + (["warmup"] if has_warmup(type_key, warmup) else [])
    return sum(block_minutes(catalog, level, b, weeks, equipment, hip) for b in blocks)


def _contacts_of(catalog: Catalog, level: str, equipment: frozenset[str] | None,
                 ) -> Callable[[int, int | None], int]:
    def contacts(program_week: int, cap: int | None) -> int:
        return _memo(catalog, ("contacts", level, program_week, cap, equipment),
                     lambda: sum(d.foot_contacts or 0 for d in plyo_doses(
                         catalog, level, program_week, cap, equipment)))
    return contacts


def _strength_of(catalog: Catalog, level: str, equipment: frozenset[str] | None,
                 hip: bool = True) -> Callable[[int, int | None], int]:
    def volume(program_week: int, cap: int | None) -> int:
        return _memo(catalog, ("strength volume", level, program_week, cap, equipment, hip),
                     lambda: strength_volume(_strength_doses(catalog, level, program_week, cap,
                                                             equipment, hip)))
    return volume


def starting_base(catalog: Catalog, level: str, measure: str) -> float:
    """The weekly volume an athlete at ``level`` is taken to tolerate before the plan: the
    template's week 1 at that level (see template.toml). ``measure``: contacts or strength."""
    first = catalog.weeks[0]
    if measure == "contacts":
        return first.plyo_sessions * _contacts_of(catalog, level, None)(1, None)
    return first.strength_sessions * _strength_of(catalog, level, None)(1, None)


def contact_caps(catalog: Catalog, level: str, weeks: Sequence[WeekLoad],
                 equipment: frozenset[str] | None = None) -> dict[int, int]:
    """Per-session foot-contact caps under the workload rule (see ``workload_caps``)."""
    return workload_caps(weeks, starting_base(catalog, level, "contacts"),
                         _contacts_of(catalog, level, equipment))


def strength_caps(catalog: Catalog, level: str, weeks: Sequence[WeekLoad],
                  equipment: frozenset[str] | None = None, hip: bool = True) -> dict[int, int]:
    """Per-session strength-volume caps (sets x reps) under the workload rule. Judgement call:
    the starting base counts the hip work even for a plan without it (a higher base; the
    plan's own volumes are lower, so the rule binds no sooner than for a plan with it)."""
    return workload_caps(weeks, starting_base(catalog, level, "strength"),
                         _strength_of(catalog, level, equipment, hip))


def session_cap(catalog: Catalog, level: str, measure: str, past: Sequence[int], done: int,
                remaining: int, volume: Callable[[int | None], int]) -> int | None:
    """The workload rule's cap on one session being re-dosed (``planner.training.adapt``), through
    the
    same ``workload_caps`` as a fresh plan: ``past`` are the weeks before as actually dosed
    (weeks 1..n), ``done`` this week's volume so far, ``remaining`` its sessions of this kind
    still to dose (this one included), ``volume(cap)`` this session's volume at a cap. None:
    it fits as it is. ``measure``: contacts or strength."""
    week = len(past) + 1
    weeks = [*(WeekLoad(i, 1, 0, v) for i, v in enumerate(past, start=1)),
             WeekLoad(week, 1, remaining, done)]
    return workload_caps(weeks, starting_base(catalog, level, measure),
                         lambda _program_week, cap: volume(cap)).get(week)


def week_rpe(catalog: Catalog, program_week: int, type_key: str) -> int:
    """Session RPE for the load figure; a stretch-only session is easy whatever the week."""
    return 2 if type_key == "stretch" else template_week(catalog, program_week)[0].rpe


def durations(catalog: Catalog, profile: Profile, program_weeks: int | None = None,
              ) -> dict[str, int]:
    """Minutes of each session type: the largest dose the plan's program weeks prescribe."""
    weeks = range(1, (program_weeks or profile.weeks) + 1)
    minutes = _memo(catalog, ("durations", profile.level, profile.warmup, weeks.stop,
                              profile.equipment, profile.hip_work),
                    lambda: {t: session_minutes(catalog, profile.level, t, profile.warmup, weeks,
                                                profile.equipment, profile.hip_work)
                             for t in TYPES})
    return dict(minutes)     # a copy: the caller may change it


def shortest_session(catalog: Catalog) -> int:
    """The fewest minutes any session can take (the least a training window must hold)."""
    return min(session_minutes(catalog, level, t, warmup)
               for level in catalog.levels for t in TYPES for warmup in (False, True))


def dosed_session(catalog: Catalog, profile: Profile, c: Candidate, program_week: int, uid: str,
                  stamp: dt.datetime, contacts_cap: int | None = None, sequence: int = 0,
                  status: str = "planned", strength_cap: int | None = None) -> Session:
    """A chosen slot with the exercises of its program week."""
    return Session(uid=uid, start=c.start, end=c.end, week=c.week, program_week=program_week,
                   session_type=c.type_key, kinds=TYPES[c.type_key].kinds, status=status,
                   sequence=sequence, stamp=stamp, rpe=week_rpe(catalog, program_week, c.type_key),
                   exercises=session_doses(catalog, profile.level, program_week, c.type_key,
                                           profile.warmup, contacts_cap, strength_cap,
                                           profile.equipment, profile.hip_work))


def load_caps(catalog: Catalog, profile: Profile, chosen: Sequence[Candidate],
              program_weeks: Sequence[int], done: Sequence[tuple[int, int]] = (),
              ) -> tuple[dict[int, int], dict[int, int]]:
    """Per-session (contacts, strength volume) caps for the chosen sessions under the rolling
    workload rule; ``done[w - 1]`` is calendar week w's (contacts, strength volume) already
    done (a replan's past)."""
    def loads(kind: str, which: int) -> list[WeekLoad]:
        sessions: dict[int, int] = {}     # a plain count: see planner.training.validate on Counter
        for c in chosen:
            if kind in TYPES[c.type_key].kinds:
                sessions[c.week] = sessions.get(c.week, 0) + 1
        return [WeekLoad(w, program_weeks[w - 1], sessions.get(w, 0),
                         done[w - 1][which] if w <= len(done) else 0)
                for w in range(1, len(program_weeks) + 1)]

    return (contact_caps(catalog, profile.level, loads("plyometrics", 0), profile.equipment),
            strength_caps(catalog, profile.level, loads("strength", 1), profile.equipment,
                          profile.hip_work))


PAUSED_TYPE = {"jumps": "stretch", "combined": "strength"}   # what a jump slot holds when paused


def paused_session(catalog: Catalog, profile: Profile, plan_level: str, s: Session) -> Session:
    """The jump slot without the jumps (a pause in re-dosing, a physio's "no jumps"): same
    start, the paused type's doses and length."""
    new_type = PAUSED_TYPE[s.session_type]
    minutes = session_minutes(catalog, plan_level, new_type, profile.warmup,
                              range(1, max(profile.weeks, s.program_week) + 1), profile.equipment,
                              profile.hip_work)
    end = (s.start.astimezone(dt.UTC) + dt.timedelta(minutes=minutes)).astimezone(s.start.tzinfo)
    return dataclasses.replace(
        s, session_type=new_type, kinds=TYPES[new_type].kinds, end=end,
        rpe=week_rpe(catalog, s.program_week, new_type),
        exercises=session_doses(catalog, plan_level, s.program_week, new_type, profile.warmup,
                                equipment=profile.equipment, hip=profile.hip_work))
