"""The layers point down: cli -> commands -> workflows -> stages -> data -> base (the profile,
read strictly, is data: the store keeps it). Read from the import graph of the source (every
import, lazy ones inside functions and those only for type checking included), the way khal keeps
cli -> controllers -> model."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

#: Top to bottom, one entry per package (``planner/`` is laid out by layer; see
#: ``planner/*/__init__.py``). A module may import modules of its own layer or of a layer below.
#: A name ending in ".*" stands for a package and everything in it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cli", ("cli",)),
    ("web", ("planner.web.*",)),
    ("commands", ("planner.commands.*",)),
    ("workflows", ("planner.workflows.*", "planner.views.*")),
    ("stages", ("planner.training.*", "planner.scheduling.*", "planner.calendars.*")),
    ("data", ("planner.store.*", "catalog.*")),
    ("base", ("planner", "planner.errors", "planner.identity_memo")),
)
OURS = ("cli", "planner", "catalog")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    files = [ROOT / "cli.py", *(ROOT / "planner").rglob("*.py"), *(ROOT / "catalog").rglob("*.py")]
    return {_module_name(f): f for f in files}


def _imports(path: Path) -> Iterator[str]:
    """Every module of ours that ``path`` imports, anywhere in the file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # "from planner import commands" imports planner.commands
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        else:
            continue
        yield from (n for n in names if n.split(".")[0] in OURS)


def layer_of(module: str) -> int | None:
    for index, (_, members) in enumerate(LAYERS):
        for member in members:
            if module == member or (member.endswith(".*") and (
                    module == member[:-2] or module.startswith(member[:-1]))):
                return index
    return None


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(m for m in _sources() if layer_of(m) is None)
    assert not unplaced, f"add these to LAYERS in {Path(__file__).name}: {unplaced}"


def test_imports_only_point_down() -> None:
    sources = _sources()
    upward = []
    for module, path in sorted(sources.items()):
        own = layer_of(module)
        for target in _imports(path):
            if target not in sources:      # "from planner.store.plan import Plan": the name Plan
                continue
            theirs = layer_of(target)
            if own is not None and theirs is not None and theirs < own:
                upward.append(f"{module} ({LAYERS[own][0]}) imports {target} "
                              f"({LAYERS[theirs][0]})")
    assert not upward, "\n".join(upward)


@pytest.mark.slow
def test_no_import_cycles() -> None:
    sources = _sources()
    graph = {m: {t for t in _imports(p) if t in sources and t != m} for m, p in sources.items()}
    # A package's __init__ is imported with any of its modules; it may not import them back.
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path[path.index(nxt):], nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


@pytest.mark.parametrize("module", ["planner.workflows.batch", "planner.workflows.replan",
                                    "planner.workflows.generate"])
def test_workflows_do_not_reach_into_the_command_layer(module: str) -> None:
    imported = set(_imports(_sources()[module]))
    assert not {m for m in imported if m == "planner.commands" or m.startswith("planner.commands.")}


def test_only_the_cli_uses_click_or_reads_the_clock() -> None:
    found = []
    for module, path in _sources().items():
        if module == "cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""])
                found += [f"{module} imports click" for n in names if n.split(".")[0] == "click"]
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("now", "today", "utcnow")
                    and ast.unparse(node.func.value).split(".")[-1] in ("date", "datetime")):
                found.append(f"{module}:{node.lineno} reads the clock ({node.func.attr}())")
    assert not found, "\n".join(found)
