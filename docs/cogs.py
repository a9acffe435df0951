"""What the documentation's generated parts are made from (run by cog, checked by a test).

Every ``[[[cog ...]]]`` block in README.md and docs/*.md calls one of these; ``python -m cogapp
-r -I docs README.md docs/*.md`` rewrites them all, ``--check`` (``tests/test_docs.py``) fails
when one is stale. Example outputs come from the program itself, run as typed in a scratch
folder holding a copy of ``examples/``: nothing is written by hand.
"""

from __future__ import annotations

import ast
import atexit
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A solve time differs between runs; the docs show it as a placeholder.
_SECONDS = re.compile(r"(proven optimal|solved|not proven optimal|found) in \d+(\.\d+)? s")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


# --- example runs -------------------------------------------------------------------------------


class Shell:
    """A scratch folder with a copy of ``examples/`` and a private home (its data folder holds
    the stores), where commands run as a reader types them (``periodize ...``), with no
    solutions cache."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="periodize-docs-"))
        shutil.copytree(ROOT / "examples", self.folder / "examples")
        home = self.folder / "home"
        home.mkdir()
        self.env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
                    "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache"),
                    "PERIODIZE_CACHE": "off", "COLUMNS": "100", "PYTHONPATH": str(ROOT)}
        # No store named: the stores are where a reader's are, in the private data folder (the
        # example athlete in a store of its own, as for a reader).
        self.env.pop("PERIODIZE_DB", None)
        self.env.pop("PERIODIZE_GOOGLE_CLIENT_SECRET", None)
        self.env.pop("PERIODIZE_CALDAV_PASSWORD", None)

    def write(self, name: str, text: str) -> None:
        """Put a file (a profile the example needs) in the scratch folder."""
        (self.folder / name).write_text(text, encoding="utf-8")

    def run(self, command: str, expect: int = 0) -> str:
        """The output of ``command`` (``periodize ...``), stdout and stderr as a terminal shows
        them; fails when the exit code is not ``expect``."""
        words = shlex.split(command, comments=True)
        assert words[0] == "periodize", command
        result = subprocess.run(
            [sys.executable, "-c", "import cli; cli.main(prog_name='periodize')", *words[1:]],
            cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=600,
            check=False)
        if result.returncode != expect:
            raise RuntimeError(f"{command!r} exited {result.returncode} (expected {expect}):\n"
                               f"{result.stdout}{result.stderr}")
        return _SECONDS.sub(r"\1 in … s", result.stdout + result.stderr).rstrip("\n")

    def session(self, *commands: str, head: int | None = None) -> str:
        """``$ command`` and its output for each command, as one terminal session; ``head``
        keeps each output's first lines (then ``…``)."""
        lines: list[str] = []
        for command in commands:
            lines.append(f"$ {command}")
            output = self.run(command).splitlines()
            if head is not None and len(output) > head:
                output = [*output[:head], "…"]
            lines += output
        return "\n".join(lines)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


_SHELLS: dict[str, Shell] = {}


def _close_all() -> None:
    for each in _SHELLS.values():
        each.close()


def shell(name: str) -> Shell:
    """The shell called ``name``, made at first use (a doc's blocks share one, in order)."""
    if name not in _SHELLS:
        if not _SHELLS:
            atexit.register(_close_all)
        _SHELLS[name] = Shell()
    return _SHELLS[name]


def session(name: str, *commands: str, head: int | None = None) -> str:
    """A fenced terminal session: ``commands`` run in the shell called ``name``."""
    return fenced(shell(name).session(*commands, head=head))


def script(path: str, *args: str) -> str:
    """A fenced run of one of the project's scripts (``python benchmarks/...``)"""
    result = subprocess.run([sys.executable, path, *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=600, check=True,
                            env={**os.environ, "PERIODIZE_CACHE": "off"})
    return fenced(" ".join(["$ python", path, *args]) + "\n" + result.stdout.rstrip("\n"))


def fenced(text: str, language: str = "") -> str:
    return f"```{language}\n{text}\n```"


# --- the command reference (as sqlite-utils' docs/cli-reference) -----------------------------


def command_table() -> str:
    """Each command with its one-line help and its options, from click."""
    import click

    import cli

    def flags(command: click.Command, ctx: click.Context) -> str:
        records = [p.get_help_record(ctx) for p in command.get_params(ctx)
                   if isinstance(p, click.Option) and p.name != "version"]
        return ", ".join(f"`{_cell(r[0])}`" for r in records if r and "--help" not in r[0])

    root = click.Context(cli.main, info_name="periodize", **cli.main.context_settings)
    rows = ["| command | what it does | options |", "|---|---|---|",
            f"| `periodize [OPTIONS] COMMAND` | {_cell(cli.main.get_short_help_str(200))} | "
            f"{flags(cli.main, root)} |"]
    for name, command in cli.main.commands.items():
        ctx = click.Context(command, info_name=name, parent=root)
        usage = " ".join(command.collect_usage_pieces(ctx))
        rows.append(f"| `periodize {name} {_cell(usage)}` | "
                    f"{_cell(command.get_short_help_str(200))} | {flags(command, ctx)} |")
    return "\n".join(rows)


def command_help() -> str:
    """``periodize COMMAND --help`` of every command, 80 columns wide."""
    from click.testing import CliRunner

    import cli

    parts = []
    for name in ["", *cli.main.commands]:
        args = [name, "--help"] if name else ["--help"]
        result = CliRunner().invoke(cli.main, args, prog_name="periodize", terminal_width=80)
        assert result.exit_code == 0, result.output
        title = f"periodize {name}".strip()
        parts.append(f"### {title}\n\n" + fenced(f"$ {title} --help\n{result.output.rstrip()}"))
    return "\n\n".join(parts)


# --- the layers ----------------------------------------------------------------------------------


def _docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?\.)(\s|$)", text)
    return match.group(1) if match else text


def _layers() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The layers as ``tests/test_layers.py`` holds them (the one definition)."""
    tree = ast.parse((ROOT / "tests" / "test_layers.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            if isinstance(target, ast.Name) and target.id == "LAYERS" and node.value:
                value: tuple[tuple[str, tuple[str, ...]], ...] = ast.literal_eval(node.value)
                return value
    raise LookupError("tests/test_layers.py has no LAYERS")


def _package_path(name: str) -> Path:
    path = ROOT.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _modules(package: str) -> Iterator[str]:
    folder = ROOT.joinpath(*package.split("."))
    for path in sorted(folder.glob("*.py")):
        if path.name != "__init__.py":
            yield path.stem
    for path in sorted(folder.iterdir()):
        if (path / "__init__.py").exists():
            yield path.name + "/"


def layer_table() -> str:
    """The layers, top to bottom: each package with its docstring's first sentence and its
    modules, read from the packages themselves."""
    rows = ["| layer | package | what it holds | modules |", "|---|---|---|---|"]
    for layer, members in _layers():
        for member in members:
            name = member.removesuffix(".*")
            path = _package_path(name)
            if not path.exists():
                continue
            doc = _cell(_first_sentence(_docstring(path)))
            modules = (", ".join(f"`{m}`" for m in _modules(name))
                       if path.name == "__init__.py" and member.endswith(".*") else "")
            shown = f"{path.relative_to(ROOT)}" if path.name != "__init__.py" else f"{name}/"
            rows.append(f"| {layer} | `{shown}` | {doc} | {modules} |")
    return "\n".join(rows)


# --- the program -------------------------------------------------------------------------------


def template_table() -> str:
    """The 8-week template as a plan doses it (``template_markdown``), for the beginner."""
    from catalog import default_catalog
    from planner.views.terminal_text import template_markdown

    return template_markdown(default_catalog()).rstrip("\n")


# --- the rules index -----------------------------------------------------------------------------

MODEL = "planner/scheduling/model.py"
PRUNING = "planner/scheduling/pruning.py"
EXPLAIN = "planner/scheduling/explain.py"
VALIDATOR = "planner/training/validate.py"
CHECKER = "tests/test_rules.py"
# The validator and the tests' checker share no code and no names with the model, on purpose: a
# comment ``# rule: NAME`` (or ``# rules: A, B``) at the check says which rule it checks.
_MARKER = re.compile(r"#\s*rules?:\s*([a-z_]+(?:\s*,\s*[a-z_]+)*)")


def _functions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef]]:
    """Every top-level function and method, with its qualified name."""
    found: list[tuple[str, ast.FunctionDef]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found.append((node.name, node))
        elif isinstance(node, ast.ClassDef):
            found += [(f"{node.name}.{n.name}", n) for n in node.body
                      if isinstance(n, ast.FunctionDef)]
    return found


def _enclosing(tree: ast.Module, line: int) -> str:
    for name, node in _functions(tree):
        if node.lineno <= line <= (node.end_lineno or node.lineno):
            return name
    return "module level"


def rule_names() -> list[str]:
    """The named rules, as the explanation knows them (every rule of the model must be there:
    the explanation looks each one up by name)."""
    from planner.scheduling import explain

    return list(explain._NEEDS)


def _tree(path: str) -> ast.Module:
    return ast.parse((ROOT / path).read_text(encoding="utf-8"))


def model_places() -> dict[str, list[str]]:
    """Where the model states each rule: the functions holding its literal."""
    places: dict[str, list[str]] = {}
    for name, node in _functions(_tree(MODEL)):
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                places.setdefault(sub.value, [])
                if name not in places[sub.value]:
                    places[sub.value].append(name)
    return places


def _constants_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id.isupper()}


def pruning_places() -> dict[str, list[str]]:
    """Where pruning keeps a rule: the functions of pruning.py using the model's constants that
    the rule's own model functions use (a rule that does not see the start has none)."""
    model = dict(_functions(_tree(MODEL)))
    pruning = _tree(PRUNING)
    shared = {a.name for n in pruning.body if isinstance(n, ast.ImportFrom)
              and n.module == "planner.scheduling.model" for a in n.names}
    places: dict[str, list[str]] = {}
    for rule, functions in model_places().items():
        constants = set().union(*(_constants_used(model[f]) for f in functions)) & shared
        for name, node in _functions(pruning):
            used = sorted(_constants_used(node) & constants)
            if used:
                places.setdefault(rule, []).append(f"{name} ({', '.join(used)})")
    return places


def marked_places(path: str) -> dict[str, list[str]]:
    """Where ``# rule: NAME`` comments in ``path`` say a rule is checked."""
    text = (ROOT / path).read_text(encoding="utf-8")
    tree = ast.parse(text)
    places: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        for match in _MARKER.finditer(line):
            for rule in (r.strip() for r in match.group(1).split(",")):
                where = _enclosing(tree, number)
                if where not in places.setdefault(rule, []):
                    places[rule].append(where)
    return places


def explanation(rule: str) -> str:
    from planner.scheduling import explain

    _, text, hint = explain._NEEDS[rule]
    text = text.format(plyo="N", strength="N")
    return f"“{text}”" + (f"; advice: “{hint}”" if hint else "")


def rules_table() -> str:
    """One row per named rule: what the athlete is told, and every place that states it."""
    model, pruning = model_places(), pruning_places()
    validator, checker = marked_places(VALIDATOR), marked_places(CHECKER)

    def where(places: dict[str, list[str]], rule: str, none: str = "—") -> str:
        return "<br>".join(f"`{p}`" for p in places.get(rule, [])) or none

    rows = [f"| rule | what the athlete is told (`{EXPLAIN}`) | the model (`{MODEL}`) | "
            f"pruning (`{PRUNING}`) | the validator (`{VALIDATOR}`) | "
            f"the tests' own checker (`{CHECKER}`) |", "|---|---|---|---|---|---|"]
    for rule in rule_names():
        rows.append(f"| `{rule}` | {_cell(explanation(rule))} | {where(model, rule)} | "
                    f"{where(pruning, rule, 'not needed: does not see the start')} | "
                    f"{where(validator, rule)} | {where(checker, rule)} |")
    return "\n".join(rows)
