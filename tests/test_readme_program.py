"""The README's numbers about the template come from the code: its table is exactly what
``template_markdown`` computes from the catalogue and the dosing (run this file to rewrite it)."""

from __future__ import annotations

import re

from factories import ROOT

from catalog import default_catalog
from planner.views.terminal_text import template_markdown

README = ROOT / "README.md"
TABLE = re.compile(r"(<!-- template-table -->\n)(.*?)(<!-- /template-table -->)", re.S)


def test_the_readme_template_table_is_the_computed_one() -> None:
    match = TABLE.search(README.read_text(encoding="utf-8"))
    assert match, "README lost its <!-- template-table --> markers"
    assert match.group(2) == template_markdown(default_catalog())


def test_the_table_holds_the_figures_a_plan_holds() -> None:
    """The weekly contacts row is sessions x the dosed session, and the ratios row keeps 1.3."""
    table = template_markdown(default_catalog())
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in table.splitlines()}
    sessions = [int(c) for c in rows["jump sessions"]]
    each = [int(c) for c in rows["contacts a session (beginner, warm-up drills included)"]]
    assert [int(c) for c in rows["contacts a week (beginner)"]] == [
        a * b for a, b in zip(sessions, each, strict=True)]
    assert max(float(c) for c in rows["contacts ratio to the last 4 weeks"]) <= 1.3


def _rewrite() -> None:
    text = README.read_text(encoding="utf-8")
    table = template_markdown(default_catalog())
    README.write_text(TABLE.sub(lambda m: m.group(1) + table + m.group(3), text),
                      encoding="utf-8")
    print(f"rewrote the template table in {README}")


if __name__ == "__main__":
    _rewrite()
