"""The CP-SAT models, as recorded: a refactor of ``planner.scheduling.model`` must hand CP-SAT the
very same
model. Among equally good plans, which one CP-SAT returns depends on the model's exact shape
(variable and constraint order, not only what they mean), so a "harmless" reordering would
change plans; this test names the model that changed instead of leaving a golden plan to.

The models of a few flows are built (a fresh plan: its typical week and its block; a replan
after a missed session, with history and a relaxed week; a plan over a clock change), each also
with ``explain=True``, and the SHA-256 of each ``str(proto)`` is compared with
``tests/fixtures/golden/model_protos.json``. A change that means to change the models
regenerates it with ``python tests/test_model_proto.py --write`` and says so in its commit. The
record holds the OR-Tools version it was made with: another version may write the proto
differently, so the comparison is skipped there (visibly) until the record is made again."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from factories import NOW, golden_record, write_profile

from planner import commands
from planner.scheduling import solve
from planner.scheduling.model import ModelInput, PlanModel
from planner.workflows import generate

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "tests" / "fixtures" / "golden" / "model_protos.json"
EVENINGS = {d: ["18:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
LATER = NOW + dt.timedelta(days=1)


def _inputs(flow: Callable[[Path], object], folder: Path) -> list[ModelInput]:
    """The inputs of the models ``flow`` solves (not its explanations), in order; the typical
    week is not taken from an earlier test's memory of it."""
    seen: list[ModelInput] = []

    class Recording(PlanModel):
        def __init__(self, data: ModelInput, explain: bool = False) -> None:
            super().__init__(data, explain)
            if not explain:
                seen.append(data)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(solve, "PlanModel", Recording)
        patch.setattr(generate, "_TYPICAL_WEEKS", {})
        flow(folder)
    return seen


def _fresh(folder: Path) -> object:
    return commands.generate(write_profile(folder, availability=EVENINGS), folder / "p.db",
                             None, NOW)


def _replan(folder: Path) -> object:
    """A jump session missed in week 2, replanned on its Tuesday: days before are history and
    the week's minimums are soft (it is partly past)."""
    plan = commands.generate(write_profile(folder, availability=EVENINGS), folder / "p.db",
                             None, NOW).plan
    missed = next(s for s in plan.week_sessions(2) if "plyometrics" in s.kinds)
    commands.record(folder / "p.db", [missed.start.date().isoformat()], "missed", None, NOW)
    return commands.replan(folder / "p.db", dt.date(2027, 1, 12), None, None, LATER)


def _clock_change(folder: Path) -> object:
    """London springs forward on Sunday 28 March 2027, in the first week."""
    return commands.generate(write_profile(folder, availability=EVENINGS,
                                           start=dt.date(2027, 3, 22), weeks=3),
                             folder / "p.db", None, NOW)


FLOWS: dict[str, Callable[[Path], object]] = {
    "fresh": _fresh, "replan": _replan, "clock_change": _clock_change}


def model_digests(folder: Path) -> dict[str, list[str]]:
    """Flow -> SHA-256 of each model's proto text, each model then its explain=True form."""
    digests: dict[str, list[str]] = {}
    for name, flow in FLOWS.items():
        (folder / name).mkdir()
        digests[name] = []
        for data in _inputs(flow, folder / name):
            for explain in (False, True):
                text = str(PlanModel(data, explain).model.proto)
                digests[name].append(hashlib.sha256(text.encode()).hexdigest())
    return digests


def test_the_models_are_the_recorded_ones(tmp_path: Path) -> None:
    record = golden_record(RECORD, "python tests/test_model_proto.py --write")
    digests = model_digests(tmp_path)
    # the replan has a history and a relaxed week; the typical weeks are built too
    assert [len(d) for d in digests.values()] == [len(d) for d in record["models"].values()]
    changed = [f"{flow} model {i // 2 + 1}{' (explain)' if i % 2 else ''}"
               for flow, found in digests.items()
               for i, digest in enumerate(found) if record["models"][flow][i] != digest]
    assert not changed, f"the CP-SAT model changed: {changed} (see this module's docstring)"


def test_explain_names_each_rule_literal_for_its_rule_and_week(tmp_path: Path) -> None:
    data = _inputs(_replan, tmp_path)[-1]
    assert data.history and data.relaxed_weeks
    built = PlanModel(data, explain=True)
    proto = built.model.proto
    names = [proto.variables[lit].name for lit in built.rules.values()]
    assert names == [f"rule_{r.name}_w{r.week}" for r in built.rules]
    assert not built.model.has_objective() and not PlanModel(data).rules


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    with tempfile.TemporaryDirectory() as folder:
        found = model_digests(Path(folder))
    RECORD.write_text(json.dumps({"ortools": importlib.metadata.version("ortools"),
                                  "models": found}, indent=1) + "\n", encoding="utf-8")
    print(f"{RECORD}: {sum(map(len, found.values()))} models")
