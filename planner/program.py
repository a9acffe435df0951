"""Periodization: which template week each block week is, and how many sessions of each kind a
week asks of the solver.

The block itself is data (``catalog/template.toml``). Plans longer than the template repeat it,
each repetition one strength stage higher ("beat who you were last week"); what a session holds
is dosed in ``planner.dosing``; the session types are in ``planner.session_types``."""

from __future__ import annotations

from dataclasses import dataclass

from catalog import Catalog, TemplateWeek


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
