"""Periodization: which sessions each week asks for, what each session holds, how long it takes.

The block itself is data (``catalog/template.toml``); this module turns a template week, the
athlete's level and a session type into doses (``dose_exercise`` is the one way to prescribe
an exercise at a level), computes session minutes from the catalogue's per-set timing, and caps
weekly volume under the rolling workload rule (``workload_caps``), which every dosing path uses.
Plans longer than the template run it again, each block starting where the last one ended."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from catalog import INTENSITIES, Catalog, Exercise, TemplateWeek
from planner.plan import Dose


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


@dataclass(frozen=True)
class Demand:
    """What one calendar week of the plan asks of the solver."""

    week: int                      # calendar week, 1-based
    program_week: int              # block week whose doses it carries, 1-based, may exceed 8
    plyo: tuple[int, int, int]     # (min, max, target)
    strength: tuple[int, int, int]


def template_week(catalog: Catalog, program_week: int) -> tuple[TemplateWeek, int]:
    """The template week behind a program week, and how many times the block has repeated."""
    cycle, index = divmod(program_week - 1, len(catalog.weeks))
    return catalog.weeks[index], cycle


def _clip(target: int, bounds: tuple[int, int]) -> tuple[int, int, int]:
    low, high = bounds
    return low, high, max(low, min(high, target))


def demand(catalog: Catalog, week: int, program_week: int, plyo_range: tuple[int, int],
           strength_range: tuple[int, int]) -> Demand:
    tpl, _ = template_week(catalog, program_week)
    return Demand(week, program_week, _clip(tpl.plyo_sessions, plyo_range),
                  _clip(tpl.strength_sessions, strength_range))


def block_index(catalog: Catalog, program_week: int) -> int:
    """Which run of the block a program week belongs to: 0 for weeks 1-8, 1 for 9-16, ..."""
    return template_week(catalog, program_week)[1]


def strength_level(catalog: Catalog, level: str, program_week: int) -> int:
    """The strength level a program week prescribes. Each block starts where the last ended:
    block n adds n times the stages one block climbs, so the level never falls back."""
    tpl, cycle = template_week(catalog, program_week)
    climb = catalog.weeks[-1].strength_stage - catalog.weeks[0].strength_stage
    return catalog.levels[level].start_level + tpl.strength_stage - 1 + cycle * climb


def drill_level(catalog: Catalog, level: str, program_week: int) -> int:
    """Each jump drill's level (box height, bound distance): one higher every block."""
    return catalog.levels[level].drill_level + block_index(catalog, program_week)


def session_contacts(catalog: Catalog, level: str, program_week: int) -> int:
    """The template's foot contacts for one jump session (warm-up drills included): beginner
    figure x level scale, a little more each later block, within the level's cap; the doses
    hold at most this many in whole sets."""
    tpl, cycle = template_week(catalog, program_week)
    scale = catalog.levels[level]
    raw = tpl.contacts * scale.contacts_scale * (1 + catalog.next_block_contacts * cycle)
    return min(round(raw / 5) * 5, scale.contacts_cap)


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
    missing = [] if equipment is None else [e for e in lvl.equipment if e not in equipment]
    if missing and lvl.substitute is not None:
        name = f"{exercise.name}: {lvl.substitute.name}"
        cue = (f"Substitute for \u201c{lvl.name}\u201d: no {' or '.join(missing)} in your "
               f"equipment list. {exercise.cue} {lvl.substitute.cue}")
    if exercise.advance_when:
        cue += f" Next level when: {exercise.advance_when}"
    contacts = count * (lvl.reps or 0) * lvl.sides if exercise.kind == "plyometrics" else None
    return Dose(name, exercise.kind, count, lvl.reps, lvl.hold_seconds, contacts, lvl.level, cue,
                lvl.per_side, lvl.work_seconds, lvl.rest_seconds)


def dose_seconds(dose: Dose, setup_seconds: int) -> int:
    """How long a dose takes: every set's work (each side) and the rest after it, plus setting
    up. The rest after the last set is counted: it is the walk to the next exercise."""
    sides = 2 if dose.per_side else 1
    return dose.sets * ((dose.work_seconds or 0) * sides + (dose.rest_seconds or 0)) + setup_seconds


# --- the blocks of a session -------------------------------------------------------------------


def _plyo_doses(catalog: Catalog, level: str, program_week: int, cap: int | None,
                equipment: frozenset[str] | None) -> list[Dose]:
    """The jump warm-up drills (ankle hops, the landing drill) and the week's drills, in whole
    sets within the session's contacts (and ``cap``); sets go one at a time to the drill with the
    fewest contacts so far, so the drills share the volume. Done hardest first, after the
    warm-up drills, while fresh. At least one set of the first warm-up drill is kept."""
    tpl, _ = template_week(catalog, program_week)
    total = session_contacts(catalog, level, program_week)
    if cap is not None:
        total = min(total, cap)
    at = drill_level(catalog, level, program_week)
    warmups = [e for e in catalog.of_kind("plyometrics") if e.role == "warmup"]
    doses: list[Dose] = []
    remaining = total
    for drill in warmups:
        lvl = drill.at(at)
        count = min(lvl.sets, remaining // ((lvl.reps or 0) * lvl.sides))
        if count:
            doses.append(dose_exercise(drill, at, count, equipment))
            remaining -= doses[-1].foot_contacts or 0
    if not doses:
        doses.append(dose_exercise(warmups[0], at, 1, equipment))
    main = [catalog.exercise(d) for d in tpl.drills]
    per_set = [(d.at(at).reps or 0) * d.at(at).sides for d in main]
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
    doses += [dose_exercise(main[j], at, sets[j], equipment) for j in order if sets[j]]
    return doses


def strength_volume(doses: Sequence[Dose]) -> int:
    """Strength volume of a session: sets x reps (each side counted) over its strength work."""
    return sum(d.sets * (d.reps or 0) * (2 if d.per_side else 1)
               for d in doses if d.kind == "strength")


def _strength_doses(catalog: Catalog, level: str, program_week: int, cap: int | None,
                    equipment: frozenset[str] | None) -> list[Dose]:
    """The four strength exercises at the week's level; under ``cap`` (sets x reps a session)
    the exercise with the most volume loses a set until it fits, never below one set each."""
    tpl, _ = template_week(catalog, program_week)
    stage = strength_level(catalog, level, program_week)
    exercises = catalog.of_kind("strength")
    sets = [max(1, e.at(stage).sets + tpl.sets_delta) for e in exercises]
    per_set = [(e.at(stage).reps or 0) * e.at(stage).sides for e in exercises]
    while cap is not None and sum(s * p for s, p in zip(sets, per_set, strict=True)) > cap:
        movable = [i for i, s in enumerate(sets) if s > 1]
        if not movable:
            break
        i = max(movable, key=lambda j: (sets[j] * per_set[j], -j))
        sets[i] -= 1
    return [dose_exercise(e, stage, n, equipment) for e, n in zip(exercises, sets, strict=True)]


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
                  equipment: frozenset[str] | None = None) -> tuple[Dose, ...]:
    """Every exercise of one session in the order it is done: warm-up, jumps, strength, stretch."""
    kinds = TYPES[type_key].kinds
    doses: list[Dose] = []
    if has_warmup(type_key, warmup):
        doses += _plain_doses(catalog, "warmup")
    if "plyometrics" in kinds:
        doses += _plyo_doses(catalog, level, program_week, contacts_cap, equipment)
    if "strength" in kinds:
        doses += _strength_doses(catalog, level, program_week, strength_cap, equipment)
    doses += _plain_doses(catalog, "stretching")
    return tuple(doses)


BLOCK_KINDS = ("warmup", "plyometrics", "strength", "stretching")


def block_minutes(catalog: Catalog, level: str, block: str, program_weeks: Iterable[int],
                  equipment: frozenset[str] | None = None) -> int:
    """Minutes a block takes for the largest dose it is given in ``program_weeks``, from the
    catalogue's per-set work and rest (rounded up to the minute)."""
    type_key = {"warmup": "stretch", "plyometrics": "jumps", "strength": "strength",
                "stretching": "stretch"}[block]
    seconds = max(sum(dose_seconds(d, catalog.setup_seconds)
                      for d in session_doses(catalog, level, w, type_key, True,
                                             equipment=equipment) if d.kind == block)
                  for w in program_weeks)
    return -(-seconds // 60)


def session_minutes(catalog: Catalog, level: str, type_key: str, warmup: bool,
                    program_weeks: Iterable[int] = (1,),
                    equipment: frozenset[str] | None = None) -> int:
    """Minutes a session of this type takes: the sum of its blocks' minutes."""
    weeks = tuple(program_weeks)
    kinds = TYPES[type_key].kinds
    blocks = list(kinds) + (["warmup"] if has_warmup(type_key, warmup) else [])
    return sum(block_minutes(catalog, level, b, weeks, equipment) for b in blocks)


# --- the workload rule --------------------------------------------------------------------------

ACWR_LIMIT = 1.3     # [Gabbett 2016] acute:chronic workload ratio: sweet spot about 0.8-1.3
ACWR_WEEKS = 4       # [Gabbett 2016] chronic load: the rolling average of the last four weeks


def workload_ceiling(previous: Sequence[float], base: float) -> float:
    """The most a week may carry: ``ACWR_LIMIT`` x the average of the ``ACWR_WEEKS`` weeks
    before it (deloads and short weeks included). Weeks before the plan count as ``base``."""
    window = ([base] * ACWR_WEEKS + list(previous))[-ACWR_WEEKS:]
    return ACWR_LIMIT * sum(window) / ACWR_WEEKS


@dataclass(frozen=True)
class WeekLoad:
    """One calendar week as the workload rule sees it."""

    week: int
    program_week: int
    sessions: int          # sessions of this kind still to dose
    done: int = 0          # volume already done this week (a replan's past, a log)


def workload_caps(weeks: Sequence[WeekLoad], base: float,
                  per_session: Callable[[int, int | None], int]) -> dict[int, int]:
    """Per-session caps (week -> cap) that keep every week within ``workload_ceiling`` of the
    weeks before it, as actually dosed. ``per_session(program_week, cap)`` is one session's
    volume at a cap (never above it). Weeks whose template volume fits get no cap."""
    caps: dict[int, int] = {}
    history: list[float] = []
    for w in weeks:
        ceiling = workload_ceiling(history, base)
        total = w.done + w.sessions * per_session(w.program_week, None) if w.sessions else w.done
        if w.sessions and total > ceiling:
            caps[w.week] = max(0, int(ceiling) - w.done) // w.sessions
            total = w.done + w.sessions * per_session(w.program_week, caps[w.week])
        history.append(total)
    return caps


def _contacts_of(catalog: Catalog, level: str, equipment: frozenset[str] | None,
                 ) -> Callable[[int, int | None], int]:
    def contacts(program_week: int, cap: int | None) -> int:
        return sum(d.foot_contacts or 0
                   for d in _plyo_doses(catalog, level, program_week, cap, equipment))
    return contacts


def _strength_of(catalog: Catalog, level: str, equipment: frozenset[str] | None,
                 ) -> Callable[[int, int | None], int]:
    def volume(program_week: int, cap: int | None) -> int:
        return strength_volume(_strength_doses(catalog, level, program_week, cap, equipment))
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
                  equipment: frozenset[str] | None = None) -> dict[int, int]:
    """Per-session strength-volume caps (sets x reps) under the workload rule."""
    return workload_caps(weeks, starting_base(catalog, level, "strength"),
                         _strength_of(catalog, level, equipment))


def week_rpe(catalog: Catalog, program_week: int, type_key: str) -> int:
    """Session RPE for the load figure; a stretch-only session is easy whatever the week."""
    return 2 if type_key == "stretch" else template_week(catalog, program_week)[0].rpe
