"""The solver's run: progress reporting on long solves, and the stats it hands back."""

from __future__ import annotations

import pytest
from factories import NOW, make_profile

from catalog import default_catalog
from planner.scheduling import solve
from planner.workflows.generate import build_plan


def test_progress_reports_better_plans_with_their_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve, "QUIET_S", 0.0)          # report even a fast solve
    seen: list[tuple[float, float, float]] = []
    _, stats = build_plan(make_profile(), default_catalog(), [], NOW,
                             lambda *report: seen.append(report))
    assert seen, "no progress reported"
    assert all(best >= bound for _, best, bound in seen)
    assert seen[-1][1] == stats.objective
    assert stats.optimal and stats.gap == 0


def test_quiet_when_the_solve_is_short() -> None:
    seen: list[object] = []
    build_plan(make_profile(), default_catalog(), [], NOW, lambda *report: seen.append(report))
    assert seen == []
