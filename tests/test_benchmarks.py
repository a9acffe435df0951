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


def test_every_stage_the_benchmark_times_exists() -> None:
    import planner.generate as gen

    bench = _benchmark()
    with bench.StageClock().watching(gen, bench.GENERATE_STAGES):
        assert all(callable(getattr(gen, n)) for n in bench.GENERATE_STAGES)


def test_a_missing_stage_fails_the_benchmark_loudly() -> None:
    bench = _benchmark()
    module = types.ModuleType("planner.renamed")
    module.solve = lambda: None   # type: ignore[attr-defined]
    with pytest.raises(SystemExit, match=r"planner\.renamed has no stage typical_week"), \
            bench.StageClock().watching(module, ("solve", "typical_week")):
        pass
