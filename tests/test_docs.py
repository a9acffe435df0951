"""The documentation cannot drift from the program: every generated part of README.md and
docs/*.md (the command reference, the layer table, the rules index, the template, example
outputs) is current (cog), the reference names every command and option, every rule is stated
by the model and checked by the validator and the tests' checker on their own, the README stays
short, and mkdocs builds the docs with no broken link."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cogs
import pytest

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def _generated_files() -> list[str]:
    return ["README.md", *sorted(str(p.relative_to(ROOT)) for p in DOCS.glob("*.md")
                                 if "[[[cog" in p.read_text(encoding="utf-8"))]


@pytest.mark.slow
def test_every_generated_part_is_current() -> None:
    files = _generated_files()
    result = subprocess.run([sys.executable, "-m", "cogapp", "--check", "-I", "docs", *files],
                            cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, (
        "generated docs are stale: run `python -m cogapp -r -I docs README.md docs/*.md`\n"
        + result.stdout + result.stderr)


def test_the_reference_names_every_command_and_option() -> None:
    import click

    import cli

    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    root = click.Context(cli.main, info_name="periodize", **cli.main.context_settings)
    for name, command in cli.main.commands.items():
        assert f"| `periodize {name} " in text, name
        assert f"### periodize {name}\n" in text, name
        ctx = click.Context(command, info_name=name, parent=root)
        for param in command.get_params(ctx):
            if isinstance(param, click.Option) and "--help" not in param.opts:
                assert f"`{param.opts[0]}" in text or f", {param.opts[0]}" in text, (
                    name, param.opts)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_as_documented(shell: str) -> None:
    script = Path(sys.executable).parent / "periodize"
    if not script.exists():
        pytest.skip("periodize is not installed in this Python's environment")
    env = {**os.environ, "_PERIODIZE_COMPLETE": f"{shell}_source"}
    result = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "_PERIODIZE_COMPLETE" in result.stdout
    assert f"_PERIODIZE_COMPLETE={shell}_source periodize" in (
        DOCS / "commands.md").read_text(encoding="utf-8")


def test_the_template_table_holds_the_figures_a_plan_holds() -> None:
    """The weekly contacts row is sessions x the dosed session, and the ratios row keeps 1.3."""
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in cogs.template_table().splitlines()}
    sessions = [int(c) for c in rows["jump sessions"]]
    each = [int(c) for c in rows["contacts a session (beginner, warm-up drills included)"]]
    assert [int(c) for c in rows["contacts a week (beginner)"]] == [
        a * b for a, b in zip(sessions, each, strict=True)]
    assert max(float(c) for c in rows["contacts ratio to the last 4 weeks"]) <= 1.3


# --- the rules ------------------------------------------------------------------------------------


def test_every_rule_is_stated_by_the_model_and_checked_on_its_own_twice() -> None:
    """Each named rule is in the model, and marked (``# rule: NAME``) at a check of the
    validator and of the tests' checker, which share no code with the model."""
    rules = cogs.rule_names()
    assert len(rules) >= 8
    model = cogs.model_places()
    validator, checker = cogs.marked_places(cogs.VALIDATOR), cogs.marked_places(cogs.CHECKER)
    missing = [f"{rule}: {where}" for rule in rules for where, places in (
        ("the model", model), ("the validator", validator), ("tests/test_rules.py", checker))
        if not places.get(rule)]
    assert not missing, "\n".join(missing)


def test_every_marker_names_a_rule() -> None:
    rules = set(cogs.rule_names())
    for path in (cogs.VALIDATOR, cogs.CHECKER, cogs.PRUNING):
        assert set(cogs.marked_places(path)) <= rules, path


def test_the_validator_shares_nothing_with_the_model() -> None:
    """The independence the rules index relies on: the validator imports nothing from the
    scheduling stage, and names no rule but in its markers."""
    text = (ROOT / cogs.VALIDATOR).read_text(encoding="utf-8")
    assert "planner.scheduling" not in text
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    assert not [r for r in cogs.rule_names() if f'"{r}"' in code or f"'{r}'" in code]


def test_the_rules_start_dependent_are_kept_by_pruning() -> None:
    """The spacing rules see a session's start: pruning must keep the starts they need."""
    pruning = cogs.pruning_places()
    for rule in ("plyo_recovery", "strength_recovery", "strength_before_jumps", "rest_between"):
        assert pruning.get(rule), rule


# --- the README and the site ----------------------------------------------------------------------


def test_the_readme_is_short_and_starts_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block and block.start() < text.index("\n## ")
    assert block.group(1).splitlines() == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/periodize generate "
        "examples/athlete.toml -o plan.ics",
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"]
    assert "not medical advice" in text
    assert "3.11" in text and "python3-venv" in text
    assert ".venv/bin/pip install -e '.[google]'" in text


def test_the_readmes_links_lead_to_files() -> None:
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if "://" not in link]
    assert local
    assert [link for link in local if not (ROOT / link).exists()] == []


def test_mkdocs_builds_the_docs_strictly(tmp_path: Path) -> None:
    if shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("mkdocs is not installed (it comes with the [test] extra)")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                             str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "rules" / "index.html").exists()
