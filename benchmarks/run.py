"""The figures benchmarks/README.md reports: start-up, generate, replan, long horizons, a roster,
and the CPU per athlete against an earlier revision.

    python benchmarks/run.py [--quick] [--markdown] [--athletes N] [--only SECTION ...]
                             [--baseline REV]

Each figure is the median of several runs (fewer with --quick), on the machine described at the
top of the output. Whole commands run as subprocesses, exactly as a person types them; the
in-process figures call the planner's functions. Nothing is written into the repository: every
file goes to a temporary folder. This is a measurement, not a test: nothing here fails on a
slow figure (the targets are printed beside the figures).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import importlib.metadata
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "athlete.toml"
NOW = dt.datetime(2026, 12, 20, 9, 0, tzinfo=dt.UTC)
PY = sys.executable
WORKDIR: list[Path] = []   # the temporary folder the commands run in (set by main)
T = TypeVar("T")
# planner.scheduling.solutions' switch: off for the measured searches
CACHE_ENV = "PERIODIZE_CACHE"
SECTIONS = ("startup", "generate", "replan", "redose", "horizons", "worst-case", "roster", "cost",
            "render", "store")


# -- output ------------------------------------------------------------------------------------
@dataclasses.dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])

    def render(self, markdown: bool) -> str:
        if markdown:
            lines = [f"### {self.title}", "", "| " + " | ".join(self.headers) + " |",
                     "|" + "|".join("---" for _ in self.headers) + "|"]
            lines += ["| " + " | ".join(row) + " |" for row in self.rows]
            lines += ["", *self.notes] if self.notes else []
            return "\n".join(lines)
        widths = [max(len(r[i]) for r in [self.headers, *self.rows])
                  for i in range(len(self.headers))]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines = [self.title, "=" * len(self.title), fmt.format(*self.headers),
                 fmt.format(*("-" * w for w in widths))]
        lines += [fmt.format(*row) for row in self.rows]
        lines += ["", *self.notes] if self.notes else []
        return "\n".join(lines)


def secs(value: float) -> str:
    if value < 0.01:
        return f"{value * 1000:.1f} ms"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def ratio(value: float, base: float) -> str:
    return f"{value / base:.1f}×"


def measure(action: Callable[[], T], runs: int, warmup: int = 1) -> tuple[float, T]:
    """The median seconds of ``runs`` calls (after ``warmup`` untimed ones) and the last result."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def median_time(action: Callable[[], object], runs: int, warmup: int = 1) -> float:
    return measure(action, runs, warmup)[0]


# -- the machine -------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> list[tuple[str, str]]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cores = f"{os.cpu_count()}" + (f" ({usable} usable)" if usable not in (None, os.cpu_count())
                                   else "")

    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    return [("platform", platform.platform()), ("CPU", cpu_model()), ("cores", cores),
            ("Python", platform.python_version()),
            ("ortools", version("ortools")), ("pandas", version("pandas")),
            ("icalendar", version("icalendar")), ("periodize", version("periodize")),
            ("load average", load_average())]


def load_average() -> str:
    """Other work on the machine skews every figure: say how busy it was."""
    try:
        one, five, fifteen = os.getloadavg()
    except (OSError, AttributeError):
        return "unknown"
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} (1, 5, 15 min)"


def render_machine(markdown: bool) -> str:
    items = machine()
    if markdown:
        return "\n".join(f"- **{k}**: {v}" for k, v in items)
    return "\n".join(f"{k:>10}: {v}" for k, v in items)


# -- subprocesses ------------------------------------------------------------------------------
def periodize() -> list[str]:
    """The installed command, else the CLI module run by this Python."""
    script = Path(PY).parent / "periodize"
    found = str(script) if script.exists() else shutil.which("periodize")
    return [found] if found else [PY, str(ROOT / "cli.py")]


def run(command: Sequence[str], env: dict[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(command), capture_output=True, text=True,
                            cwd=WORKDIR[-1] if WORKDIR else None, env=env, timeout=600,
                            check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}: "
                           + (result.stderr.strip().splitlines() or ["(no message)"])[-1])
    return result


def time_command(command: Sequence[str], runs: int, env: dict[str, str] | None = None) -> float:
    return median_time(lambda: run(command, env), runs)


def imported_by_cli() -> list[str]:
    code = ("import json, sys, cli; print(json.dumps([m for m in ('ortools', 'pandas', "
            "'icalendar', 'numpy', 'caldav', 'rich') if m in sys.modules]))")
    modules: list[str] = json.loads(run([PY, "-c", code]).stdout)
    return modules


# -- 1. start-up -------------------------------------------------------------------------------
def startup(runs: int, env: dict[str, str]) -> Table:
    table = Table("Start-up (whole commands, subprocess)",
                  ["command", "median", "× `import click`", "target"])
    base = time_command([PY, "-c", "import click"], runs, env)
    bare = time_command([PY, "-c", "pass"], runs, env)
    table.add("`python -c pass`", secs(bare), ratio(bare, base), "")
    table.add("`python -c \"import click\"`", secs(base), "1.0×", "baseline")
    cmd = periodize()
    for args in (["--help"], ["--version"], ["catalog"]):
        value = time_command([*cmd, *args], runs, env)
        mark = "ok" if value <= 3 * base else "over"
        table.add(f"`periodize {' '.join(args)}`", secs(value), ratio(value, base),
                  f"≤ 3× ({mark})")
    heavy = imported_by_cli()
    table.notes.append(f"Heavy modules loaded by `import cli`: {', '.join(heavy) or 'none'} "
                       f"(of ortools, pandas, icalendar, numpy, caldav, rich). {runs} runs each.")
    return table


# -- 2. generate -------------------------------------------------------------------------------
#: The functions of ``planner.workflows.generate`` timed one by one (a missing one stops the
#: benchmark).
GENERATE_STAGES = ("typical_week", "slots", "prune", "solve", "verify")


class StageClock:
    """Wraps functions that ``planner.workflows.generate`` calls, timing the outermost call of
    each."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.depth = 0

    @contextmanager
    def watching(self, module: Any, names: Sequence[str]) -> Iterator[None]:
        missing = [n for n in names if not callable(getattr(module, n, None))]
        if missing:   # a renamed or moved stage must not silently vanish from the table
            raise SystemExit(f"benchmark: {module.__name__} has no stage "
                             f"{', '.join(missing)}; update StageClock's names")
        originals = {n: getattr(module, n) for n in names}
        for name, func in originals.items():
            setattr(module, name, self._wrap(name, func))
        try:
            yield
        finally:
            for name, func in originals.items():
                setattr(module, name, func)

    def check_called(self, module: Any, names: Sequence[str]) -> None:
        """A stage that exists but is no longer called is as wrong a figure as a missing one."""
        idle = [n for n in names if n not in self.totals]
        if idle:
            raise SystemExit(f"benchmark: {module.__name__}.{', '.join(idle)} was never called "
                             "while timing build_plan; update StageClock's names")

    def _wrap(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            outer = self.depth == 0
            self.depth += 1
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.depth -= 1
                if outer:
                    self.totals[name] = (self.totals.get(name, 0.0)
                                         + time.perf_counter() - started)

        return timed


def generate(runs: int, inner_runs: int, env: dict[str, str], tmp: Path) -> Table:
    import planner.workflows.generate as gen
    from catalog import default_catalog
    from planner.calendars.busy_sources import read_busy
    from planner.calendars.export.formats import render, write_plan
    from planner.commands import read_profile
    from planner.store.database import open_store

    table = Table("Generate: examples/athlete.toml, 8 weeks", ["step", "median", "note"])
    bare = time_command([PY, "-c", "from ortools.sat.python import cp_model; import icalendar"],
                        runs, env)
    counter = iter(range(10**6))

    def whole() -> None:
        n = next(counter)
        run([*periodize(), "--db", str(tmp / f"gen{n}.db"), "generate", str(EXAMPLE),
             "-o", str(tmp / f"gen{n}.ics")], env)

    command = median_time(whole, runs)
    mark = "ok" if command <= 1.5 * bare else "over"
    table.add("`periodize generate` (whole command)", secs(command),
              f"{ratio(command, bare)} the bare import; target ≤ 1.5× ({mark})")
    table.add("bare `import cp_model, icalendar`", secs(bare), "baseline")

    catalog = default_catalog()
    read = median_time(lambda: read_profile(EXAMPLE, catalog), inner_runs)
    profile = read_profile(EXAMPLE, catalog)
    busy_time = median_time(lambda: read_busy(profile), inner_runs)
    busy = read_busy(profile)
    build = median_time(lambda: gen.build_plan(profile, catalog, busy, NOW), inner_runs)
    clock = StageClock()
    stages = GENERATE_STAGES
    with clock.watching(gen, stages):
        for _ in range(inner_runs):
            plan, stats = gen.build_plan(profile, catalog, busy, NOW)
    table.add("read profile (in process)", secs(read), "TOML + validation")
    table.add("read busy calendar", secs(busy_time), f"{len(busy)} busy intervals from work.ics")
    table.add("`build_plan` (model + solve + validate)", secs(build),
              f"{len(plan.sessions)} sessions, {stats.status.lower()}")
    labels = {"typical_week": "stage 1: typical week (remembered per week shape)",
              "slots": "stage 2: candidate slots", "prune": "stage 2: pruning dominated starts",
              "solve": "stage 2: model + CP-SAT solve", "verify": "independent validation"}
    clock.check_called(gen, stages)
    for name in stages:
        table.add(f"↳ {labels[name]}", secs(clock.totals[name] / inner_runs), "mean")
    rest = build - sum(clock.totals.values()) / inner_runs
    table.add("↳ the rest (demands, dosing, ids)", secs(max(rest, 0.0)), "by difference")
    table.add("↳ CP-SAT alone (SolveStats.seconds)", secs(stats.seconds), "stage 2, model built")
    counter2 = iter(range(10**6))

    def store() -> None:
        with open_store(tmp / f"store{next(counter2)}.db", create=True) as s:
            s.save(plan, profile, "benchmark")

    table.add("store: new SQLite store + save", secs(median_time(store, inner_runs)),
              "one transaction")
    table.add("export: render iCalendar", secs(median_time(lambda: render(plan, "ics"),
                                                           inner_runs)),
              f"{len(render(plan, 'ics')) // 1024} KiB")
    table.add("export: write .ics atomically",
              secs(median_time(lambda: write_plan(plan, tmp / "bench.ics", "ics"), inner_runs)),
              "render + fsync + rename")
    table.notes.append(f"Subprocess rows: {runs} runs each; in-process rows: {inner_runs}.")
    return table


# -- 3. replan ---------------------------------------------------------------------------------
def _stored_example(tmp: Path, name: str, env: dict[str, str]) -> tuple[Path, Any]:
    """A store holding the example's plan, made by the command line, and that plan."""
    from planner.store.database import open_store

    db = tmp / f"{name}-base.db"
    run([*periodize(), "--db", str(db), "generate", str(EXAMPLE), "-o", str(tmp / f"{name}.ics")],
        env)
    with open_store(db) as store:
        return db, store.current()[0]


def _timed(args: list[str], env: dict[str, str]) -> float:
    """Seconds one whole ``periodize`` command takes (a subprocess)."""
    started = time.perf_counter()
    run([*periodize(), *args], env)
    return time.perf_counter() - started


def replan(runs: int, env: dict[str, str], tmp: Path) -> Table:
    """Replan after one missed session against generate, in alternating pairs on copies of one
    store: on a shared machine, timings drift, and only paired runs compare fairly."""
    table = Table("Replan after one missed session", ["step", "median", "note"])
    base_db, plan = _stored_example(tmp, "replan", env)
    missed_day = plan.sessions[0].start.date()
    today = missed_day + dt.timedelta(days=1)
    missed, replans, generates = [], [], []
    for turn in range(runs + 1):                 # the first pair warms the caches
        db, fresh = tmp / f"replan{turn}.db", tmp / f"generate{turn}.db"
        shutil.copy(base_db, db)
        shutil.copy(base_db, fresh)
        missed.append(_timed(["--db", str(db), "missed", missed_day.isoformat()], env))
        replans.append(_timed(["--db", str(db), "replan", "--today", today.isoformat(),
                               "-o", str(tmp / "replanned.ics")], env))
        generates.append(_timed(["--db", str(fresh), "generate", str(EXAMPLE),
                                 "-o", str(tmp / "generated.ics")], env))
    replan_s, generate_s = statistics.median(replans[1:]), statistics.median(generates[1:])
    table.add(f"`periodize missed {missed_day}`", secs(statistics.median(missed[1:])),
              "whole command")
    table.add(f"`periodize replan --today {today}`", secs(replan_s),
              f"whole command; {replan_s / generate_s:.2f}× generate, target ≤ 1.0× "
              f"({'ok' if replan_s <= generate_s * 1.02 else 'over'})")
    table.add("`periodize generate` (paired)", secs(generate_s), "whole command, same store")
    table.notes.append(f"{runs} alternating pairs, each on a fresh copy of one generated store "
                       "(≤ 2% counts as equal: below this machine's run-to-run noise).")
    return table


# -- 3b. logging with re-dosing ----------------------------------------------------------------
def redose(runs: int, env: dict[str, str], tmp: Path) -> Table:
    """`done` with effort and pain that re-doses the rest of the plan (a new revision) against
    generate, in alternating pairs on copies of one store, as for replan."""
    table = Table("Log a session that re-doses the plan", ["step", "median", "note"])
    base_db, plan = _stored_example(tmp, "redose", env)
    jump_day = next(s for s in plan.sessions if "plyometrics" in s.kinds).start.date()
    command = ["done", jump_day.isoformat(), "--rpe", "6", "--pain", "6",
               "--today", jump_day.isoformat()]        # logged on the day it happened
    dones, generates = [], []
    for turn in range(runs + 1):                 # the first pair warms the caches
        db, fresh = tmp / f"redose{turn}.db", tmp / f"redose-generate{turn}.db"
        shutil.copy(base_db, db)
        shutil.copy(base_db, fresh)
        dones.append(_timed(["--db", str(db), *command], env))
        generates.append(_timed(["--db", str(fresh), "generate", str(EXAMPLE),
                                 "-o", str(tmp / "generated.ics")], env))
    done_s, generate_s = statistics.median(dones[1:]), statistics.median(generates[1:])
    table.add(f"`periodize {' '.join(command)}`", secs(done_s),
              f"whole command, re-doses and saves a revision; {done_s / generate_s:.2f}× "
              f"generate, target ≤ 1.2× ({'ok' if done_s <= generate_s * 1.2 else 'over'})")
    table.add("`periodize generate` (paired)", secs(generate_s), "whole command, same store")
    table.notes.append(f"{runs} alternating pairs, each on a fresh copy of one generated store.")
    return table


# -- 4. horizons -------------------------------------------------------------------------------
def horizons(runs: int) -> Table:
    from catalog import default_catalog
    from planner.calendars.busy import BusyInterval
    from planner.calendars.busy_sources import read_busy
    from planner.commands import read_profile
    from planner.scheduling.solve import SolveStats
    from planner.store.plan import Plan
    from planner.store.profile import Profile
    from planner.workflows.generate import build_plan

    table = Table("Horizons: the example profile over longer blocks (in process)",
                  ["weeks", "status", "build_plan", "CP-SAT", "sessions", "booleans",
                   "constraints", "booleans/week", "constraints/week"])
    catalog = default_catalog()
    base = read_profile(EXAMPLE, catalog)
    for weeks in (8, 16, 26, 52):
        profile = dataclasses.replace(base, weeks=weeks)
        busy = read_busy(profile)

        def once(p: Profile = profile, b: list[BusyInterval] = busy) -> tuple[Plan, SolveStats]:
            return build_plan(p, catalog, b, NOW)

        wall, (plan, stats) = measure(once, runs, warmup=0)
        if stats.optimal:
            status = "OPTIMAL"
        else:
            gap = abs(stats.objective - stats.bound) / max(1, abs(stats.objective))
            status = f"{stats.status} (gap {gap:.1%})"
        table.add(weeks, status, secs(wall), secs(stats.seconds), len(plan.sessions),
                  f"{stats.booleans:,}", f"{stats.constraints:,}",
                  f"{stats.booleans / weeks:.0f}", f"{stats.constraints / weeks:.0f}")
    table.notes.append(f"Median of {runs} run{'s' if runs > 1 else ''}; busy time from work.ics "
                       "as far as it reaches. CP-SAT = SolveStats.seconds (stage 2).")
    return table


# -- 5. roster ---------------------------------------------------------------------------------
ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles",
         "Asia/Tokyo", "Australia/Sydney", "UTC")
MORNINGS = ("06:00-07:00", "06:30-07:30", "06:00-07:30", "07:00-08:00")
EVENINGS = ("17:30-19:00", "18:00-19:30", "18:00-20:00", "19:00-20:30")
WEEKEND = ("08:00-10:00", "09:00-11:00", "09:00-12:00", "10:00-12:00")
COLUMNS = ("name", "timezone", "start", "level", "weeks", "rest_days",
           "mon", "tue", "wed", "thu", "fri", "sat", "sun", "plyo_min", "plyo_max")


def cpu_seconds() -> float:
    """User + system time of this process and of its children that have been waited for."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def synthetic_roster(path: Path, athletes: int, seed: int = 2027) -> int:
    """A roster with varied weeks; every 25th athlete has one free day only (no plan possible).
    Returns how many were made infeasible on purpose."""
    rng = random.Random(seed)
    first_monday = dt.date(2027, 1, 4)
    infeasible = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(athletes):
            lonely = i % 25 == 7
            infeasible += lonely
            days = sorted(rng.sample(range(7), 1 if lonely else rng.randint(3, 6)))
            cells = [""] * 7
            for day in days:
                if day >= 5:
                    windows = [rng.choice(WEEKEND)]
                else:
                    style = rng.random()
                    windows = ([rng.choice(MORNINGS), rng.choice(EVENINGS)] if style < 0.25
                               else [rng.choice(MORNINGS)] if style < 0.45
                               else [rng.choice(EVENINGS)])
                cells[day] = ";".join(windows)
            rest = rng.choice(("sun", "sat;sun", "wed")) if rng.random() < 0.2 else ""
            plyo = ("2", "2") if rng.random() < 0.15 else ("", "")
            start = first_monday + dt.timedelta(weeks=rng.randint(0, 20))
            writer.writerow([f"Athlete {i + 1:04d}", rng.choice(ZONES), start.isoformat(),
                             rng.choice(("beginner", "intermediate", "advanced")), 8, rest,
                             *cells, *plyo])
    return infeasible


def roster(athletes: int, tmp: Path, pairs: int) -> Table:
    """The roster three ways: the process pool with one and two workers, and a LocalCluster of
    two worker processes (``batch --cluster``). Pool and cluster run in alternating pairs (the
    machine's load drifts); CPU time counts this process and every process it started and
    waited for (workers, and a LocalCluster's nannies and their workers)."""
    from planner.workflows.batch import run_batch

    table = Table(f"Roster: {athletes} synthetic athletes, `run_batch` (8 weeks each)",
                  ["engine", "wall", "plans/s", "plans/s per worker", "CPU time",
                   "CPU per athlete", "cores used", "ok / no plan / bad"])
    path = tmp / "roster.csv"
    on_purpose = synthetic_roster(path, athletes)
    first: list[tuple[str, str, int]] | None = None
    calendars: dict[str, bytes] | None = None
    same = identical = True
    samples: dict[str, list[tuple[float, float, list[str]]]] = {}
    runs = [("pool, 1 process", 1, None)] + [
        run for _ in range(pairs) for run in (("pool, 2 processes", 2, None),
                                              ("LocalCluster, 2 workers", 2, "local"))]
    for turn, (label, workers, cluster) in enumerate(runs):
        out = tmp / f"roster-{turn}"
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        summary = run_batch(path, out, NOW, jobs=workers, cluster=cluster)
        wall = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_before
        outcome = [(r.athlete, r.status, r.sessions) for r in summary.results]
        files = {p.name: p.read_bytes() for p in out.glob("*.ics")}
        first = first or outcome
        calendars = calendars or files
        same = same and outcome == first
        identical = identical and files == calendars
        samples.setdefault(label, []).append((wall, cpu, [r.status for r in summary.results]))
        shutil.rmtree(out)
    # The nightly case: the same roster again, every model answered by the solutions cache
    # (planner.scheduling.solutions), which the runs above had off.
    warm = "pool, 2 processes, run again (solutions cache warm)"
    os.environ[CACHE_ENV] = str(tmp / "solutions.sqlite")
    try:
        run_batch(path, tmp / "roster-fill", NOW, jobs=2)
        cpu_before, started = cpu_seconds(), time.perf_counter()
        summary = run_batch(path, tmp / "roster-warm", NOW, jobs=2)
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
        identical = identical and {p.name: p.read_bytes() for p in (tmp / "roster-warm").glob(
            "*.ics")} == calendars
        samples[warm] = [(wall, cpu, [r.status for r in summary.results])]
    finally:
        os.environ[CACHE_ENV] = "off"
        for folder in ("roster-fill", "roster-warm"):
            shutil.rmtree(tmp / folder, ignore_errors=True)
    for label, runs_of in samples.items():
        workers = 1 if label.startswith("pool, 1") else 2
        wall = statistics.median(w for w, _, _ in runs_of)
        cpu = statistics.median(c for _, c, _ in runs_of)
        statuses = runs_of[-1][2]
        ok = statuses.count("ok")
        table.add(label, secs(wall), f"{ok / wall:.1f}", f"{ok / wall / workers:.1f}",
                  secs(cpu), f"{cpu / athletes * 1000:.0f} ms", f"{cpu / wall:.2f} of {workers}",
                  f"{ok} / {statuses.count('no plan')} / {statuses.count('bad input')}")
    table.notes.append(f"{on_purpose} athletes have a single free day on purpose (no plan). "
                       f"Same results everywhere: {'yes' if same else 'NO'}; byte-identical "
                       f"calendars: {'yes' if identical else 'NO'}. Pool and cluster: median of "
                       f"{pairs} alternating pair{'s' if pairs > 1 else ''}; one process and "
                       "run again: one run each (the solutions cache is off but there). "
                       "CPU time = user + system of this process and every process it "
                       "started (each worker imports OR-Tools once: about 1.5 s of CPU), per "
                       "athlete of the roster; cores used below the workers means waiting, often "
                       "for other work on the machine (see the load average).")
    return table


# -- 5b. CPU per athlete against an earlier revision -------------------------------------------
#: main when planner/ was split into subpackages (410dfb0), before the public-API model: the
#: oldest revision the script below runs on (issue 18's 0d56c3a has the flat layout).
BASELINE = "410dfb0"
_COST = """
import datetime as dt, sys, time
from pathlib import Path
import planner.workflows.generate   # OR-Tools: a pool worker imports it once, before its athletes
from catalog import default_catalog
from planner.workflows.batch import run_batch
default_catalog()
started = time.process_time()
summary = run_batch(Path(sys.argv[1]), Path(sys.argv[2]), dt.datetime.fromisoformat(sys.argv[3]),
                    jobs=1)
print(time.process_time() - started, sum(r.status == "ok" for r in summary.results))
"""


def unpacked(revision: str, folder: Path) -> Path:
    """The tree of git ``revision``, unpacked into ``folder`` (made here)."""
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def cost(athletes: int, tmp: Path, pairs: int, baseline: str) -> Table:
    """CPU per athlete of ``run_batch`` in one process (jobs=1), this tree against ``baseline``
    (a git revision, unpacked into a temporary folder and run with the same Python and
    libraries), on the same roster, in alternating pairs (the machine's load drifts). CPU is
    the process's own user + system time around ``run_batch``, after the imports."""
    old = unpacked(baseline, tmp / "baseline")
    path = tmp / "cost.csv"
    synthetic_roster(path, athletes)
    trees = ((f"{baseline} (subpackages, before the public-API model)" if baseline == BASELINE
              else baseline, old),
             ("this tree", ROOT))
    samples: dict[str, list[tuple[float, int]]] = {}
    for turn in range(pairs):
        for label, tree in trees:
            out = tmp / f"cost-{turn}-{len(samples.get(label, []))}-{tree.name}"
            env = {**os.environ, "PYTHONPATH": str(tree)}
            result = subprocess.run([PY, "-c", _COST, str(path), str(out), NOW.isoformat()],
                                    cwd=tmp, env=env, capture_output=True, text=True, check=True)
            seconds, ok = result.stdout.split()
            samples.setdefault(label, []).append((float(seconds), int(ok)))
            shutil.rmtree(out)
    table = Table(f"CPU per athlete: {athletes} synthetic athletes, `run_batch` in one process",
                  ["revision", "CPU per athlete", "ratio", "plans made"])
    first = statistics.median(c for c, _ in samples[trees[0][0]])
    for label, runs_of in samples.items():
        median = statistics.median(c for c, _ in runs_of)
        table.add(label, f"{median / athletes * 1000:.1f} ms", f"{median / first:.2f}×",
                  runs_of[-1][1])
    table.notes.append(f"Median of {pairs} alternating pair{'s' if pairs > 1 else ''}; the same "
                       "roster, Python and libraries. The revisions plan different programs "
                       "(the rules and doses changed since), so their plan counts may differ.")
    return table


# -- 6. the worst case of one plan ---------------------------------------------------------------
ALL_DAY = """name = "Retiree"
timezone = "Europe/London"
start = 2027-01-04
weeks = 52
[availability]
""" + "".join(f'{day} = ["00:00-24:00"]\n' for day in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                        "sun"))


def worst_case(env: dict[str, str], tmp: Path, runs: int) -> Table:
    """A year free all day, every day: the whole command's CPU time and peak memory (the
    kernel's accounting of the command's process)."""
    table = Table("The worst case of one plan: 52 weeks free 00:00-24:00 every day",
                  ["step", "median", "note"])
    profile = tmp / "allday.toml"
    profile.write_text(ALL_DAY, encoding="utf-8")
    walls, cpus, peaks = [], [], []
    measure_child = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
                     "capture_output=True); u = resource.getrusage(resource.RUSAGE_CHILDREN); "
                     "print(u.ru_utime + u.ru_stime, u.ru_maxrss)")
    for turn in range(runs):
        started = time.perf_counter()
        result = run([PY, "-c", measure_child, *periodize(), "--db", str(tmp / f"allday{turn}.db"),
                      "generate", str(profile), "-o", str(tmp / "allday.ics")], env)
        walls.append(time.perf_counter() - started)
        cpu, peak = result.stdout.split()
        cpus.append(float(cpu))
        peaks.append(int(peak) / 1024)
    table.add("`periodize generate allday.toml` (whole command)", secs(statistics.median(walls)),
              "wall; target under 2 s")
    table.add("CPU (user + system)", secs(statistics.median(cpus)), "of the command")
    table.add("peak memory", f"{statistics.median(peaks):.0f} MB",
              "maximum resident set; target under 200 MB")
    cached = {**env, CACHE_ENV: str(tmp / "allday-solutions.sqlite")}
    again = []
    for turn in range(2):   # the first fills the solutions cache, the second is answered by it
        started = time.perf_counter()
        run([*periodize(), "--db", str(tmp / f"allday-again{turn}.db"), "generate",
             str(profile), "-o", str(tmp / "allday.ics")], cached)
        again.append(time.perf_counter() - started)
    table.add("the same, run again (solutions cache warm)", secs(again[-1]),
              "wall; one run; every model answered by the cache")
    table.notes.append(f"{runs} run{'s' if runs > 1 else ''}; wall time includes a wrapper "
                       "Python that reads the command's CPU time and peak memory.")
    return table


# -- 7. rendering a roster's calendars -----------------------------------------------------------
RENDER_MODES = {
    "icalendar's plain API (`plain_icalendar`)": "plain",
    "+ fast folding (`ics_folding`): main before this change": "folding",
    "+ values and lines made once (`ics_memo`), bounded zone search (`ics_zone_search`)": "fast",
}
_RENDER_CHILD = """
import hashlib, pickle, sys, time
from contextlib import nullcontext
import icalendar
from catalog import default_catalog
from planner.calendars.export import formats, ics
from planner.calendars.export.ics_folding import use_fast_folding
plans, mode = pickle.load(open(sys.argv[1], "rb")), sys.argv[2]
default_catalog().safety_note
figures, digest = [], hashlib.sha256()
with (nullcontext() if mode == "fast" else ics.plain_icalendar()):
    if mode == "folding":
        use_fast_folding()
    for turn in range(2):
        started = time.process_time()
        bodies = [formats.render(plan, "ics") for plan in plans]
        figures.append((time.process_time() - started) / len(plans) * 1000)
for body in bodies:
    digest.update(body)
print(*figures, digest.hexdigest())
"""


def roster_calls(athletes: int, tmp: Path, module: Any, name: str,
                 keep: Callable[..., object]) -> list[Any]:
    """Plan a synthetic roster here (``run_batch``, one job) and return what ``keep`` makes of
    the arguments of each call of ``module.name`` on the way (the call itself goes ahead)."""
    from planner.workflows.batch import run_batch

    path = tmp / f"{name}-roster.csv"
    synthetic_roster(path, athletes)
    caught: list[Any] = []
    original = getattr(module, name)

    def catch(*args: Any, **kwargs: Any) -> Any:
        caught.append(keep(*args, **kwargs))
        return original(*args, **kwargs)

    setattr(module, name, catch)
    try:
        run_batch(path, tmp / f"{name}-out", NOW, jobs=1)
    finally:
        setattr(module, name, original)
    return caught


def add_medians(table: Table, label: str, samples: list[list[str]], digests: set[str]) -> None:
    """A row of the median of each of two figures (ms) over ``samples`` (child processes' lines:
    figure, figure, digest) and whether its first digest is the one of every row so far."""
    digests.add(samples[0][2])
    table.add(label, f"{statistics.median(float(s[0]) for s in samples):.2f} ms",
              f"{statistics.median(float(s[1]) for s in samples):.2f} ms",
              "yes" if len(digests) == 1 else "NO")


def render_calendars(athletes: int, tmp: Path, runs: int) -> Table:
    """CPU time of ``formats.render(plan, "ics")`` over the plans of a synthetic roster, each
    way in a fresh process: cold (every cache empty, as a batch worker starts) and warm (the
    same plans again). The plans are the ones ``run_batch`` renders (caught on the way)."""
    import pickle

    import planner.calendars.export.formats as formats

    plans = roster_calls(athletes, tmp, formats, "render", lambda plan, *_, **__: plan)
    (tmp / "plans.pickle").write_bytes(pickle.dumps(plans))
    table = Table(f"Rendering the .ics of {len(plans)} plans ({athletes} synthetic athletes, "
                  "8 weeks each), CPU per plan", ["how", "cold", "warm", "same bytes"])
    digests: set[str] = set()
    for label, mode in RENDER_MODES.items():
        samples = [run([PY, "-c", _RENDER_CHILD, str(tmp / "plans.pickle"), mode]).stdout.split()
                   for _ in range(runs)]
        add_medians(table, label, samples, digests)
    table.notes.append(f"Median of {runs} fresh processes each; cold = the first pass over the "
                       "plans in a new process (the memo and the VTIMEZONE cache empty), warm = "
                       "the same plans again. CPU time of the process (`time.process_time`).")
    return table


# -- 8. storing a roster's plans -----------------------------------------------------------------
STORE_BASELINE = "af898e6"    # main before a new store was made from a template (issue 18)
_STORE_CHILD = """
import hashlib, pickle, shutil, sqlite3, sys, time
from pathlib import Path
from catalog import default_catalog
from planner.workflows import generate
from planner.calendars.export import formats
pairs, out = pickle.load(open(sys.argv[1], "rb")), Path(sys.argv[2])
catalog = default_catalog()
spent = {"render": 0.0, "write": 0.0}
def timed(name, function):
    def run(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - started
    return run
formats.render = timed("render", formats.render)
formats.write_plan = timed("write", formats.write_plan)
figures = []
for turn in range(2):
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    spent.update(render=0.0, write=0.0)
    started = time.process_time()
    for i, (plan, profile) in enumerate(pairs):
        generate.store_plan(out / f"{i}.db", plan, profile, catalog, "stored", out / f"{i}.ics")
    whole = time.process_time() - started
    figures.append((whole - spent["render"] - spent["write"]) / len(pairs) * 1000)
digest = hashlib.sha256()
for i in range(len(pairs)):
    with sqlite3.connect(out / f"{i}.db") as db:
        for table in ("revisions", "forecasts", "sequences", "counters", "sqlite_master"):
            rows = db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            digest.update(repr(rows).encode())
    db.close()
    digest.update((out / f"{i}.ics").read_bytes())
print(*figures, digest.hexdigest())
"""


def store_plans(athletes: int, tmp: Path, runs: int) -> Table:
    """CPU time of ``generate.store_plan`` per plan of a synthetic roster (a new store each:
    open, save, write the file), without rendering and writing the calendar (timed apart and
    taken out), for this tree and for ``STORE_BASELINE`` unpacked from git, each in fresh
    processes taking turns. Also whether both stored the same rows and calendars."""
    import pickle

    from planner.workflows import generate

    pairs = roster_calls(athletes, tmp, generate, "store_plan",
                         lambda db, plan, profile, *_: (plan, profile))
    (tmp / "stored.pickle").write_bytes(pickle.dumps(pairs))
    old = unpacked(STORE_BASELINE, tmp / "store-baseline")
    trees = {f"{STORE_BASELINE} (each new store migrated, statement by statement)": old,
             "this tree (made from a template, written at its first change)": ROOT}
    samples: dict[str, list[list[str]]] = {label: [] for label in trees}
    for _ in range(runs):
        for label, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": str(tree)}
            samples[label].append(run([PY, "-c", _STORE_CHILD, str(tmp / "stored.pickle"),
                                       str(tmp / "store-files")], env=env).stdout.split())
    table = Table(f"Storing the {len(pairs)} plans of {athletes} synthetic athletes, each in a "
                  "new store: CPU per plan", ["tree", "first pass", "again", "same rows"])
    digests: set[str] = set()
    for label, got in samples.items():
        add_medians(table, label, got, digests)
    table.notes.append(f"Median of {runs} fresh processes each, taking turns; `store_plan`'s CPU "
                       "time (`time.process_time`) less rendering and writing the .ics, which "
                       "are timed apart. Same rows: every stored row and calendar identical.")
    return table


# -- main --------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer runs and athletes")
    parser.add_argument("--markdown", action="store_true",
                        help="print Markdown for benchmarks/README.md")
    parser.add_argument("--athletes", type=int, help="roster size (default 1000, --quick 100)")
    parser.add_argument("--only", action="append", choices=SECTIONS,
                        help="run only this section (repeatable)")
    parser.add_argument("--baseline", default=BASELINE,
                        help=f"git revision the cost section compares with (default {BASELINE})")
    args = parser.parse_args(argv)
    runs, inner, horizon_runs = (3, 5, 1) if args.quick else (10, 20, 3)
    athletes = args.athletes or (100 if args.quick else 1000)
    os.environ[CACHE_ENV] = "off"   # every figure is a search, unless a row says otherwise
    with tempfile.TemporaryDirectory(prefix="periodize-bench-") as name:
        tmp = Path(name)
        WORKDIR.append(tmp)   # so that no command can leave a file in the repository
        env = {**os.environ, "PERIODIZE_DB": str(tmp / "default.db")}
        sections: dict[str, Callable[[], Table]] = {
            "startup": lambda: startup(runs, env),
            "generate": lambda: generate(max(3, runs // 2), inner, env, tmp),
            "replan": lambda: replan(runs * 2, env, tmp),
            "redose": lambda: redose(runs * 2, env, tmp),
            "horizons": lambda: horizons(horizon_runs),
            "worst-case": lambda: worst_case(env, tmp, max(1, runs // 5)),
            "roster": lambda: roster(athletes, tmp, 1 if args.quick else 3),
            "cost": lambda: cost(athletes, tmp, 1 if args.quick else 3, args.baseline),
            "render": lambda: render_calendars(min(athletes, 200), tmp, 1 if args.quick else 3),
            "store": lambda: store_plans(min(athletes, 300), tmp, 1 if args.quick else 3),
        }
        heading = "Benchmarks" + (" (--quick)" if args.quick else "")
        print(f"## {heading}\n" if args.markdown else f"{heading}\n")
        print(render_machine(args.markdown) + "\n", flush=True)
        for name, section in sections.items():
            if args.only is None or name in args.only:
                print(section().render(args.markdown) + "\n", flush=True)
        end = f"Load average at the end: {load_average()}."
        print(f"_{end}_" if args.markdown else end)
    return 0


if __name__ == "__main__":
    sys.exit(main())
