"""Periodization: which template week each block week is, and how many sessions of each kind a
week asks of the solver.

The block itself is data (``catalog/template.toml``). Plans longer than the template run it
again, each block starting where the last one ended (strength level, drill level, contacts);
what a session holds is dosed in ``planner.training.dosing``; the session types are in
``planner.training.session_types``; the weekly workload rule is ``planner.training.workload``."""

from __future__ import annotations

from dataclasses import dataclass

from catalog import Catalog, TemplateWeek
from planner.identity_memo import IdentityMemo


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


#: Phases whose weeks hold every drill at its level: they absorb, they bring nothing new.
HOLDING_PHASES = frozenset({"deload", "taper"})
_DRILL_LEVELS: IdentityMemo[dict[str, int]] = IdentityMemo()


def drill_level(catalog: Catalog, level: str, program_week: int, drill: str) -> int:
    """A jump drill's level (box height, bound distance, ...) in a program week (issue 23 §3).

    A drill's first week is at its entry level (its lowest), whatever the athlete's level: the
    landing is learned on the easiest form of each drill [NSCA: low intensity before high].
    Each later week that holds it (warm-up drills: every week) is one level higher, except a
    deload or taper week, which holds it, never above the athlete level's ``drill_level`` plus
    one a block (``catalog/template.toml``). So the declared level sets how far and how soon a
    drill climbs after its first week, not where it starts: a beginner's drills stay at entry
    level through the first block, an intermediate's reach level 1 the week after, an advanced
    athlete's level 2 two weeks after (judgement call: one level a week, the pace at which the
    template brings in a new drill)."""
    levels = _DRILL_LEVELS.get(catalog, (level, program_week),
                               lambda: _drill_levels(catalog, level, program_week))
    return levels.get(drill, catalog.exercise(drill).levels[0].level)


def _drill_levels(catalog: Catalog, level: str, program_week: int) -> dict[str, int]:
    """Every plyometric exercise's level in ``program_week`` (see ``drill_level``), walking the
    weeks before it; a drill not given yet is absent."""
    warmups = {e.id for e in catalog.of_kind("plyometrics") if e.role == "warmup"}
    found: dict[str, int] = {}
    for week in range(1, program_week + 1):
        tpl, _ = template_week(catalog, week)
        top = catalog.levels[level].drill_level + block_index(catalog, week)
        for drill in (*sorted(warmups), *tpl.drills):
            if drill not in found:
                found[drill] = catalog.exercise(drill).levels[0].level
            elif tpl.phase not in HOLDING_PHASES:
                found[drill] = max(found[drill], min(found[drill] + 1, top))
    return found


def session_contacts(catalog: Catalog, level: str, program_week: int) -> int:
    """The template's foot contacts for one jump session (warm-up drills included): beginner
    figure x level scale, a little more each later block, within the level's cap; the doses
    hold at most this many in whole sets."""
    tpl, cycle = template_week(catalog, program_week)
    scale = catalog.levels[level]
    raw = tpl.contacts * scale.contacts_scale * (1 + catalog.next_block_contacts * cycle)
    return min(round(raw / 5) * 5, scale.contacts_cap)
