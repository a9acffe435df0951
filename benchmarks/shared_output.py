"""`periodize batch --cluster local`: plans streamed back to this process (`-o DIR`) against
plans written by the workers themselves to an fsspec URL (`-o file://...`).

    python benchmarks/shared_output.py [ATHLETES] [PAIRS]     # default 200 athletes, 3 pairs

Each run starts its own LocalCluster of 2 worker processes (as `--cluster local --jobs 2`
does) and plans the benchmark's synthetic roster; the two ways alternate, in PAIRS pairs. Per
way, the median of: wall time, CPU of this process (the client, and the LocalCluster's
scheduler, which runs in it; the workers are not counted) and the bytes of stores and calendars
that came back through Dask (``BatchSummary.returned_bytes``). The outputs are compared file by
file. Everything goes to a temporary folder.
"""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import run as bench  # noqa: E402  (benchmarks/run.py, beside this script)

from planner.workflows.batch import run_batch  # noqa: E402


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    athletes = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    figures: dict[str, list[tuple[float, float, int]]] = {"streamed": [], "url": []}
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        roster = tmp / "roster.csv"
        bench.synthetic_roster(roster, athletes)
        for turn in range(pairs):
            for way in ("streamed", "url") if turn % 2 == 0 else ("url", "streamed"):
                folder = tmp / f"{way}-{turn}"
                out: Path | str = folder if way == "streamed" else folder.as_uri()
                started, cpu = time.perf_counter(), own_cpu()
                summary = run_batch(roster, out, bench.NOW, jobs=2,
                                    cluster="local")
                figures[way].append((time.perf_counter() - started, own_cpu() - cpu,
                                     summary.returned_bytes))
        same = all(
            sorted(p.name for p in (tmp / f"streamed-{t}").iterdir())
            == sorted(p.name for p in (tmp / f"url-{t}").iterdir())
            and all(p.read_bytes() == (tmp / f"url-{t}" / p.name).read_bytes()
                    for p in (tmp / f"streamed-{t}").glob("*.ics"))
            for t in range(pairs))
    print(f"{athletes} athletes, LocalCluster of 2 workers, median of {pairs} alternating pairs")
    print("| output | wall | client CPU | plan bytes back through Dask |")
    print("|---|---|---|---|")
    for way, label in (("streamed", "`-o DIR` (streamed back)"),
                       ("url", "`-o file://...` (workers write)")):
        wall = statistics.median(f[0] for f in figures[way])
        cpu = statistics.median(f[1] for f in figures[way])
        back = statistics.median(f[2] for f in figures[way])
        print(f"| {label} | {wall:.1f} s | {cpu:.1f} s | {back / 1e6:.2f} MB |")
    print(f"Same file names and byte-identical calendars: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
