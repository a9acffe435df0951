"""The benchmark times the stages of ``planner.generate`` by name: a renamed or moved stage fails
it loudly instead of silently leaving a row out."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent


def _benchmark() -> Any:
    spec = importlib.util.spec_from_file_location("benchmark_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module            # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def test_every_stage_the_benchmark_times_exists_and_is_called() -> None:
    from factories import NOW, make_profile

    import planner.generate as gen
    from catalog import default_catalog

    bench = _benchmark()
    clock = bench.StageClock()
    gen._TYPICAL_WEEKS.clear()      # remembered per week shape: time it being made
    with clock.watching(gen, bench.GENERATE_STAGES):
        gen.build_plan(make_profile(weeks=2), default_catalog(), [], NOW)
    clock.check_called(gen, bench.GENERATE_STAGES)
    assert set(clock.totals) == set(bench.GENERATE_STAGES)


def test_a_missing_stage_fails_the_benchmark_loudly() -> None:
    bench = _benchmark()
    module = types.ModuleType("planner.renamed")
    module.solve = lambda: None   # type: ignore[attr-defined]
    with pytest.raises(SystemExit, match=r"planner\.renamed has no stage typical_week"), \
            bench.StageClock().watching(module, ("solve", "typical_week")):
        pass
    with pytest.raises(SystemExit, match=r"planner\.renamed\.solve was never called"):
        bench.StageClock().check_called(module, ("solve",))
