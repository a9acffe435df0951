"""The plans of a varied roster, as recorded: speed work on the planner must change no plan.

Forty synthetic athletes (``benchmarks/run.py``'s roster: 3-6 days, morning, evening and weekend
windows, seven zones, three levels, start dates over 20 weeks, some with one free day) are
planned with ``run_batch`` and each calendar's SHA-256 (the PRODID line left out, so that a
version number does not count) is compared with ``tests/fixtures/golden/roster.json``. A change
that means to change plans regenerates it with ``python tests/test_roster_plans.py --write``
and says so in its commit. The record holds the OR-Tools version it was made with: another
version may choose another of several equally good plans, so the comparison is skipped there
(visibly) until the record is made again."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import sys
import tempfile
from pathlib import Path

import pytest
from factories import golden_record, load_benchmark

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "tests" / "fixtures" / "golden" / "roster.json"
ATHLETES = 40


def roster_digests(folder: Path) -> dict[str, str]:
    """Each planned athlete's calendar file name -> SHA-256 of it without its PRODID line."""
    from planner.workflows.batch import run_batch

    bench = load_benchmark()
    roster = folder / "roster.csv"
    bench.synthetic_roster(roster, ATHLETES)
    run_batch(roster, folder / "plans", bench.NOW, jobs=1)
    digests = {}
    for path in sorted((folder / "plans").glob("*.ics")):
        lines = [line for line in path.read_bytes().split(b"\r\n")
                 if not line.startswith(b"PRODID:")]
        digests[path.name] = hashlib.sha256(b"\r\n".join(lines)).hexdigest()
    return digests


@pytest.mark.slow
def test_a_varied_roster_gets_the_recorded_plans(tmp_path: Path) -> None:
    record = golden_record(RECORD, "python tests/test_roster_plans.py --write")
    digests = roster_digests(tmp_path)
    assert len(digests) == record["planned"] > ATHLETES * 3 // 4
    changed = sorted(name for name, digest in digests.items()
                     if record["calendars"].get(name) != digest)
    assert not changed, f"plans changed for {changed} (see this module's docstring)"


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    with tempfile.TemporaryDirectory() as folder:
        found = roster_digests(Path(folder))
    RECORD.write_text(json.dumps({"ortools": importlib.metadata.version("ortools"),
                                  "planned": len(found), "calendars": found}, indent=1)
                      + "\n", encoding="utf-8")
    print(f"{RECORD}: {len(found)} calendars")
