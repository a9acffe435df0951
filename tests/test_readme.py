"""The README's command reference is generated from the click commands (cog) and cannot drift;
shell completion works as the README says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def test_the_command_reference_matches_the_commands() -> None:
    result = subprocess.run([sys.executable, "-m", "cogapp", "--check", "README.md"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, ("README.md's command reference is stale: run "
                                    "`python -m cogapp -r README.md`\n" + result.stdout
                                    + result.stderr)


def test_the_reference_names_every_command_and_option() -> None:
    import click

    import cli

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    root = click.Context(cli.main, info_name="periodize", **cli.main.context_settings)
    for name, command in cli.main.commands.items():
        assert f"| `periodize {name} " in text, name
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
    assert f"_PERIODIZE_COMPLETE={shell}_source periodize" in (ROOT / "README.md").read_text(
        encoding="utf-8")
