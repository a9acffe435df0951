"""The benchmark times the stages of ``planner.workflows.generate`` by name: a renamed or moved
stage fails
it loudly instead of silently leaving a row out."""

from __future__ import annotations

import types

import pytest
from factories import load_benchmark


def test_every_stage_the_benchmark_times_exists_and_is_called() -> None:
    from factories import NOW, make_profile

    import planner.workflows.generate as gen
    from catalog import default_catalog

    bench = load_benchmark()
    clock = bench.StageClock()
    gen._TYPICAL_WEEKS.clear()      # remembered per week shape: time it being made
    with clock.watching(gen, bench.GENERATE_STAGES):
        gen.build_plan(make_profile(weeks=2), default_catalog(), [], NOW)
    clock.check_called(gen, bench.GENERATE_STAGES)
    assert set(clock.totals) == set(bench.GENERATE_STAGES)


def test_a_missing_stage_fails_the_benchmark_loudly() -> None:
    bench = load_benchmark()
    module = types.ModuleType("planner.renamed")
    module.solve = lambda: None   # type: ignore[attr-defined]
    with pytest.raises(SystemExit, match=r"planner\.renamed has no stage typical_week"), \
            bench.StageClock().watching(module, ("solve", "typical_week")):
        pass
    with pytest.raises(SystemExit, match=r"planner\.renamed\.solve was never called"):
        bench.StageClock().check_called(module, ("solve",))
