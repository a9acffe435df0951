"""Plans for a coach's roster: one store and one calendar per athlete, and a summary.

The roster is a CSV file (one athlete a row) or a folder of profile ``.toml`` files. Every row
goes through the same reader as ``periodize generate`` (``profile_from_dict``) and the same
planner (``build_plan``); a row that is bad or cannot be planned is recorded in the summary and
skipped, never stopping the others. Athletes are planned in parallel across processes; each
worker process imports OR-Tools and reads the catalogue once, then plans many athletes. The
solver is deterministic (one worker, fixed seed), so the plans do not depend on ``jobs``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import signal
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import InputError, NoPlanPossible, PeriodizeError, closest
from planner.store.profile import DAY_NAMES, WEEKDAYS, Profile

if TYPE_CHECKING:
    from planner.store.shared_folder import SharedFolder

OK, NO_PLAN, BAD_INPUT, ERROR = "ok", "no plan", "bad input", "error"
SUMMARY_NAME = "summary.csv"
ATHLETES_NAME = "athletes.json"   # file stem -> athlete (athlete_key), kept across runs
SUMMARY_COLUMNS = ("athlete", "status", "sessions", "solve_seconds", "reason")
NOT_PLANNED = "not planned: the cluster was lost before this athlete's plan came back"
ERROR_KEY = "__error__"   # a roster entry that could not be read: its one-line reason
CSV_COLUMNS = ("name", "timezone", "start", "level", "weeks", "rest_days", *WEEKDAYS,
               "plyo_min", "plyo_max", "strength_min", "strength_max", "strength_day_after_jumps")
_DAY_ALIASES = {full.lower(): short for short, full in zip(WEEKDAYS, DAY_NAMES, strict=True)}
_BAD_LINE = "\x00bad line\x00"   # marks, in the first column, a CSV line with too many fields
_DEFAULT_PLYO: tuple[int, int] = Profile.plyo_range   # the profile's defaults
_DEFAULT_STRENGTH: tuple[int, int] = Profile.strength_range
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
             *(f"lpt{i}" for i in range(1, 10))}   # names Windows will not give to a file


@dataclass(frozen=True)
class AthleteResult:
    athlete: str
    status: str            # "ok" | "no plan" | "bad input"
    sessions: int
    solve_seconds: float
    reason: str            # "" when ok


@dataclass(frozen=True)
class BatchSummary:
    results: tuple[AthleteResult, ...]
    seconds: float
    summary_csv: Path | str   # a URL when the output is one
    workers: int = 1       # processes that planned (1: this one)
    capped: str = ""       # why fewer than --jobs asked for: "" or "the 2 usable cores"
    returned_bytes: int = 0   # bytes of stores and calendars a cluster sent back to this process


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask; a container's CPU set), which
    ``os.cpu_count()`` overstates on a shared or limited machine."""
    counter = getattr(os, "process_cpu_count", None)        # Python 3.13+
    if counter is not None:
        return int(counter() or 1)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def worker_count(jobs: int | None, tasks: int) -> tuple[int, str]:
    """Processes to plan ``tasks`` athletes with ``--jobs`` (None: as many as usable cores),
    and why fewer than asked, if so. More processes than cores only add memory (each loads
    OR-Tools: about 110 MB) and switching; more than athletes would sit idle."""
    cores = usable_cores()
    if tasks == 0:
        return 1, ""
    wanted = cores if jobs is None else jobs
    workers = max(1, min(wanted, cores, tasks))
    if jobs is None or workers >= jobs:
        return workers, ""
    if workers == tasks and tasks < cores:
        return workers, f"the {tasks} athlete{'s' if tasks != 1 else ''} to plan"
    return workers, f"the {cores} usable core{'s' if cores != 1 else ''}"


# -- the roster --------------------------------------------------------------------------------
def read_roster(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(athlete name, TOML-shaped profile dict) pairs, in roster order.

    ``path`` is a CSV file (read with pandas) with one athlete a row — columns ``name``,
    ``timezone``, ``start``, ``level``, ``weeks`` (optional), ``rest_days`` (``"sat;sun"``), one
    column per weekday ``mon`` .. ``sun`` holding windows separated by ``;``
    (``"07:00-08:00;18:00-20:00"``; empty = unavailable) and optional ``plyo_min`` /
    ``plyo_max``, ``strength_min`` / ``strength_max``, ``strength_day_after_jumps`` (true or
    false) — or a folder of profile ``.toml`` files
    (name = file stem; relative ``busy``
    paths are made absolute against the folder).

    Values are passed on as written: ``profile_from_dict`` judges them, so a bad value gives the
    same message as in a profile file. An entry that cannot even be read (a CSV line with more
    fields than the header, a file that is not TOML) yields ``{ERROR_KEY: reason}``, which
    ``run_batch`` records as bad input. A roster that cannot be read at all (missing, no
    ``name`` column, an unknown column) raises InputError."""
    try:
        is_dir, exists = path.is_dir(), path.exists()
    except (OSError, ValueError) as exc:   # a name too long, a lone surrogate
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a usable path"
        raise InputError("ROSTER", ascii(str(path))[1:-1] if not str(path).isprintable()
                         else str(path), f"a CSV file or a folder of profile .toml files "
                         f"({why})") from None
    if is_dir:
        return _read_folder(path)
    if not exists:
        raise InputError("ROSTER", str(path), "a CSV file or a folder of profile .toml files "
                         "(it does not exist)")
    if path.suffix.lower() == ".toml":
        raise InputError("ROSTER", str(path), "a CSV file or a folder of profile .toml files; "
                         "plan a single profile with `periodize generate`")
    return _read_csv(path)


def _read_folder(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    from planner.store.strict_toml import read_toml

    folder = folder.resolve()   # as `generate` resolves a profile's busy paths
    files = sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))
    if not files:
        raise InputError("ROSTER", str(folder), "a folder holding profile .toml files "
                         "(none found)")
    entries: list[tuple[str, dict[str, Any]]] = []
    for file in files:
        try:
            raw = read_toml(file, "profile")
        except InputError as exc:
            entries.append((file.stem, {ERROR_KEY: one_line(exc)}))
            continue
        busy = raw.get("busy")
        if isinstance(busy, list):   # relative to the profile's folder, as `generate` reads it
            raw["busy"] = [str(folder / p) if isinstance(p, str) and p.strip()
                           and not Path(p).is_absolute() else p for p in busy]
        entries.append((file.stem, raw))
    return entries


#: A roster of a few thousand athletes is well under a megabyte.
MAX_ROSTER_BYTES = 20_000_000


def _read_csv(path: Path) -> list[tuple[str, dict[str, Any]]]:
    import io

    import pandas as pd

    from planner.store.reading import read_regular

    data = read_regular(path, "ROSTER", MAX_ROSTER_BYTES,
                        f"a CSV file of at most {MAX_ROSTER_BYTES // 1_000_000} MB")

    def too_many_fields(fields: list[str]) -> list[str]:
        # Keep the line, marked, so that it is reported in its place rather than dropped.
        return [_BAD_LINE + json.dumps(fields), *[""] * (width - 1)]

    try:
        header = pd.read_csv(io.BytesIO(data), nrows=0, encoding="utf-8-sig").columns
        width = len(header)
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False,
                            skipinitialspace=True, encoding="utf-8-sig", engine="python",
                            on_bad_lines=too_many_fields)
    except (UnicodeDecodeError, ValueError, OSError) as exc:
        # pandas' EmptyDataError and ParserError are ValueErrors
        raise InputError("ROSTER", str(path), "a readable UTF-8 CSV file with a header row "
                         f"({one_line(exc)})") from None
    columns = [_column(str(c)) for c in frame.columns]
    for column, original in zip(columns, frame.columns, strict=True):
        if column not in CSV_COLUMNS and not (
                str(original).startswith("Unnamed:") and not frame[original].astype(bool).any()):
            raise InputError("ROSTER", str(path), f"known columns only; {original!r} is not one"
                             + closest(column, CSV_COLUMNS) + "; known: " + ", ".join(CSV_COLUMNS))
    if "name" not in columns:
        raise InputError("ROSTER", str(path), "a header row with a 'name' column")
    if len(set(columns)) < len(columns):
        raise InputError("ROSTER", str(path), "each column once (some appear twice)")
    entries: list[tuple[str, dict[str, Any]]] = []
    for number, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        cells = [v.strip() if isinstance(v, str) else "" for v in values]
        if not any(cells):
            continue   # an empty spreadsheet line
        first = cells[0]
        if first.startswith(_BAD_LINE):
            fields = [str(f).strip() for f in json.loads(first[len(_BAD_LINE):])]
            row = dict(zip(columns, fields, strict=False))
            name = row.get("name") or f"row {number}"
            entries.append((name, {"name": name, ERROR_KEY: (
                f"row {number}: {len(fields)} fields but the header has {width} "
                "(put values that hold commas in double quotes)")}))
            continue
        row = dict(zip(columns, cells, strict=True))
        name = row["name"] or f"row {number}"
        entries.append((name, _row_profile(row, name)))
    return entries


def _column(title: str) -> str:
    key = title.strip().lower()
    return _DAY_ALIASES.get(key, key)


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,]", text) if part.strip()]


def _number(text: str) -> int | str:
    """'8' or '8.0' (as spreadsheets write it) -> 8; anything else is left for the reader to
    refuse with its usual message."""
    if re.fullmatch(r"[+-]?\d+(\.0*)?", text):
        return int(float(text))
    return text


def _row_profile(row: Mapping[str, str], name: str) -> dict[str, Any]:
    """One CSV row as the TOML-shaped profile ``profile_from_dict`` reads; empty cells are
    left out, so the profile's defaults apply."""
    raw: dict[str, Any] = {"name": name}
    for key in ("timezone", "start", "level"):
        if row.get(key):
            raw[key] = row[key]
    if row.get("weeks"):
        raw["weeks"] = _number(row["weeks"])
    if row.get("rest_days"):
        raw["rest_days"] = _split(row["rest_days"])
    raw["availability"] = {day: _split(row[day]) for day in WEEKDAYS
                           if row.get(day) and _split(row[day])}
    for prefix, key, default in (("plyo", "plyometrics", _DEFAULT_PLYO),
                                 ("strength", "strength", _DEFAULT_STRENGTH)):
        low_text, high_text = row.get(f"{prefix}_min"), row.get(f"{prefix}_max")
        if low_text or high_text:
            low = _number(low_text) if low_text else default[0]
            high = _number(high_text) if high_text else default[1]
            raw[key] = {"sessions_per_week": [low, high]}
    choice = row.get("strength_day_after_jumps")
    if choice:     # true/false as spreadsheets write them; anything else is refused as in TOML
        raw["strength_day_after_jumps"] = {"true": True, "false": False}.get(choice.lower(), choice)
    return raw


def csv_advice(reason: str) -> str:
    """A reason whose advice names profile settings, in the CSV roster's own columns."""
    from planner.scheduling.explain import AFTER_JUMPS_SETTING, PLYO_SETTING, STRENGTH_SETTING

    return (reason.replace(PLYO_SETTING, "the plyo_min column")
            .replace(STRENGTH_SETTING, "the strength_min column")
            .replace(f"{AFTER_JUMPS_SETTING} in the profile",
                     "true in the strength_day_after_jumps column"))


# -- file names --------------------------------------------------------------------------------
def slugify(name: str) -> str:
    """A safe, lower-case file name stem: 'Zoë O'Brien' -> 'zoe-o-brien'."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].rstrip("-") or "athlete"
    return f"{slug}-athlete" if slug in _RESERVED else slug


def unique_slugs(names: list[str], held: Mapping[str, str | None] | None = None) -> list[str]:
    """One file stem per athlete, in order. ``held`` maps the stems already in use (by earlier
    runs) to the athlete each holds (``athlete_key``; None: a file that is not one of ours). An
    athlete keeps the stem they hold; a new one gets their slug, or -2, -3, ... when another
    athlete has it: a stem is never reused for someone else, across runs too. The same athlete
    twice in one list gets the same stem."""
    from planner.store.plan import athlete_key

    held = held or {}
    by_athlete = {key: stem for stem, key in sorted(held.items()) if key is not None}
    used = set(held)
    slugs = []
    for name in names:
        key = athlete_key(name)
        if key not in by_athlete:
            base = slug = slugify(name)
            suffix = 2
            while slug in used:
                slug = f"{base}-{suffix}"
                suffix += 1
            used.add(slug)
            by_athlete[key] = slug
        slugs.append(by_athlete[key])
    return slugs


def held_slugs(out_dir: Path | SharedFolder) -> dict[str, str | None]:
    """The stems already in use in ``out_dir``: those in its ``ATHLETES_NAME`` index, with the
    athlete each belongs to, and any other store or calendar there (taken, by no one known)."""
    if isinstance(out_dir, Path):
        names = [p.name for p in out_dir.iterdir()]
        try:
            text: bytes | None = (out_dir / ATHLETES_NAME).read_bytes()
        except OSError:
            text = None
    else:
        names, text = out_dir.names(), out_dir.read(ATHLETES_NAME)
    held: dict[str, str | None] = {Path(name).stem: None for name in names
                                   if Path(name).suffix in (".db", ".ics")}
    try:
        index = json.loads(text.decode("utf-8")) if text is not None else {}
    except ValueError:   # UnicodeDecodeError too
        index = {}
    if isinstance(index, dict):
        held.update({str(stem): str(key) for stem, key in index.items()})
    return held


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# -- planning ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Task:
    index: int
    athlete: str
    profile: Profile
    store: Path
    calendar: Path
    note: str
    now: dt.datetime


def _start_worker() -> None:
    """Pool initializer: the parent handles Ctrl-C and a closed terminal (SIGINT and SIGHUP go
    to the whole process group; the parent ends the workers itself); import the solver and read
    the catalogue once per process, not once per athlete."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    import planner.workflows.generate  # noqa: F401  (OR-Tools)
    from catalog import default_catalog

    default_catalog()


def _plan_one(task: _Task, files: Mapping[Path, bytes] | None = None,
              ) -> tuple[int, AthleteResult]:
    """Plan one athlete: solve, store, write the calendar (as ``generate`` does). Failures are
    recorded, an unexpected one too: one athlete never stops the roster. ``files``: busy
    calendars already read, by path (on a cluster worker)."""
    from catalog import default_catalog
    from planner.workflows.generate import plan_athlete

    try:
        plan, stats, _ = plan_athlete(task.profile, default_catalog(), task.store,
                                      task.calendar, task.now, task.note, files=files)
    except NoPlanPossible as exc:
        return task.index, AthleteResult(task.athlete, NO_PLAN, 0, 0.0, one_line(exc))
    except PeriodizeError as exc:   # bad input (exit 2), or the world (a full disk: exit 3)
        status = BAD_INPUT if exc.exit_code == 2 else ERROR
        return task.index, AthleteResult(task.athlete, status, 0, 0.0, one_line(exc))
    except Exception as exc:   # a bug: recorded, and the others are still planned
        return task.index, AthleteResult(task.athlete, ERROR, 0, 0.0,
                                         f"internal error: {type(exc).__name__}: {one_line(exc)}")
    return task.index, AthleteResult(task.athlete, OK, len(plan.sessions), stats.seconds, "")


def _prepare_out_dir(out_dir: Path, shown: str | None = None) -> None:
    """Make ``out_dir`` if needed; InputError (named as the user gave it, ``shown``) unless it
    is a folder this process may write to."""
    shown = shown or str(out_dir)
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise InputError("-o", shown, "a folder, not a file")
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError("-o", shown, f"a folder that can be made ({exc.strerror})") from None
    if not os.access(out_dir, os.W_OK):
        raise InputError("-o", shown, "a folder you may write to")


def _failed(task: _Task, exc: BaseException, crashed: bool) -> AthleteResult:
    """The summary row of a cluster task that failed (its workers kept dying, say) or could not
    be sent (a busy calendar unreadable here: bad input, as the pool says it)."""
    if crashed:
        return AthleteResult(task.athlete, ERROR, 0, 0.0,
                             f"task failed: {type(exc).__name__}: {one_line(exc)}")
    return AthleteResult(task.athlete, BAD_INPUT, 0, 0.0, one_line(exc))


def _plan_shared(folder: SharedFolder, task: _Task) -> tuple[int, AthleteResult]:
    """Plan one athlete of a roster whose output is an fsspec URL, in this process (the pool):
    as a cluster worker does, in a scratch folder, the files read from and written to
    ``folder``. A file that cannot be read or written there is this athlete's error."""
    from planner.workflows.cluster import RemoteTask, plan_remote

    try:
        outcome = plan_remote(_plan_one, RemoteTask(task, {}, None), folder)
    except PeriodizeError as exc:
        return task.index, _failed(task, exc, True)
    return outcome.index, outcome.result


def _write_results(task: _Task, store: bytes, calendar: bytes) -> None:
    """Put a plan made elsewhere (a cluster worker) in place: the store, then the calendar."""
    from planner.store.files import write_atomic

    write_atomic(task.store, store, "-o")
    write_atomic(task.calendar, calendar, "-o")


def _summary_bytes(results: tuple[AthleteResult, ...]) -> bytes:
    import pandas as pd

    from planner.calendars.export.tables import csv_text

    frame = pd.DataFrame([(r.athlete, r.status, r.sessions, round(r.solve_seconds, 3), r.reason)
                          for r in results], columns=list(SUMMARY_COLUMNS))
    return csv_text(frame).encode()


def _index_bytes(held: Mapping[str, str | None], names: list[str], slugs: list[str]) -> bytes:
    from planner.store.plan import athlete_key

    index = {stem: key for stem, key in held.items() if key is not None}
    index.update({slug: athlete_key(name) for name, slug in zip(names, slugs, strict=True)})
    return (json.dumps(index, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def open_output(out_dir: Path | str) -> Path | SharedFolder:
    """``-o`` as given: a folder path, or a ``SharedFolder`` for an fsspec URL (``s3://...``,
    ``file:///shared/plans``; ``planner.store.shared_folder``). Made if needed, and checked writable
    before any planning: one-line errors, nothing written."""
    from planner.store.shared_folder import SharedFolder, is_url

    if isinstance(out_dir, Path) or not is_url(out_dir):
        path = Path(out_dir)
        _prepare_out_dir(path)
        return path
    folder = SharedFolder(out_dir)
    local = folder.local()
    if local is not None:
        _prepare_out_dir(local, out_dir)
    else:
        folder.prepare()
    return folder


def run_batch(roster: Path, out_dir: Path | str, now: dt.datetime, jobs: int | None = None,
              progress: Callable[[int, int], None] | None = None, cluster: str | None = None,
              ) -> BatchSummary:
    """Plan every athlete of ``roster``: ``out_dir/<slug>.db`` (the plan store) and
    ``out_dir/<slug>.ics`` per athlete planned, and ``out_dir/summary.csv`` (athlete, status,
    sessions, solve_seconds, reason) for all, in roster order.

    A bad row ("bad input"), an athlete whose week cannot hold the program ("no plan") or one
    that meets a bug ("error") is recorded with the one-line reason and skipped; existing files
    of that athlete are left as they are. A store already in ``out_dir`` gets a new revision, as
    with ``generate`` (none when the plan is unchanged). Each athlete keeps the file stem an
    earlier run gave them, and a stem is never given to another athlete (``unique_slugs``).
    ``jobs`` worker processes plan in parallel, at most one per usable core and per athlete
    (default: one per usable core; ``worker_count``); one runs in this process.
    ``progress(done, total)`` is called as each athlete is finished. ``now`` (UTC) stamps the
    plans. ``cluster``: plan on a Dask cluster instead, at that scheduler address or on a new
    LocalCluster of ``jobs`` processes for ``"local"`` (``planner.workflows.cluster``); the same
    plans,
    and an athlete whose task failed on the cluster is recorded as "error".

    ``out_dir`` may be an fsspec URL (``s3://bucket/plans``, ``file:///shared/plans``): the same
    files are written there through fsspec - by the cluster's workers themselves, so that no plan
    travels back (``planner.store.shared_folder``), or by the pool. The summary's ``returned_bytes``
    counts the plans' bytes a cluster sent back to this process."""
    from catalog import default_catalog
    from planner.store.profile import profile_from_dict
    from planner.training.dosing import shortest_session

    started = time.perf_counter()
    if jobs is not None and jobs < 1:
        raise InputError("--jobs", jobs, "a whole number from 1 up")
    if cluster is not None:
        from planner.workflows.cluster import require_dask

        require_dask()
    entries = read_roster(roster)
    output = open_output(out_dir)
    folder = None if isinstance(output, Path) else output
    place = Path() if folder is not None else Path(out_dir)   # where tasks' files are named
    shortest = shortest_session(default_catalog())
    total = len(entries)
    results: list[AthleteResult | None] = [None] * total
    done = 0

    from_csv = not roster.is_dir()

    def finish(index: int, result: AthleteResult) -> None:
        nonlocal done
        if from_csv and result.reason:
            result = replace(result, reason=csv_advice(result.reason))
        results[index] = result
        done += 1
        if progress is not None:
            progress(done, total)

    tasks: list[_Task] = []
    held = held_slugs(output)
    slugs = unique_slugs([name for name, _ in entries], held)
    first_row: dict[str, str] = {}
    for index, ((name, raw), slug) in enumerate(zip(entries, slugs, strict=True)):
        if ERROR_KEY in raw:
            finish(index, AthleteResult(name, BAD_INPUT, 0, 0.0, str(raw[ERROR_KEY])))
            continue
        if slug in first_row:
            finish(index, AthleteResult(name, BAD_INPUT, 0, 0.0, f"the same athlete as "
                                        f"{first_row[slug]!r} earlier in the roster"))
            continue
        first_row[slug] = name
        try:
            profile = profile_from_dict(raw, None, shortest, now.date())
        except InputError as exc:
            finish(index, AthleteResult(name, BAD_INPUT, 0, 0.0, one_line(exc)))
            continue
        tasks.append(_Task(index, name, profile, place / f"{slug}.db", place / f"{slug}.ics",
                           f"generated from {roster.name}", now))

    workers, capped = worker_count(jobs, len(tasks))
    if folder is not None and (cluster is not None or workers > 1) and folder.private():
        raise InputError("-o", folder.url, "a URL every worker process can reach; memory:// is "
                         "this process's own (use it with --jobs 1 and no --cluster)")
    plan: Callable[[_Task], tuple[int, AthleteResult]] = (
        _plan_one if folder is None else functools.partial(_plan_shared, folder))
    returned = 0
    lost: PeriodizeError | None = None
    if cluster is not None:
        from planner.workflows.cluster import ClusterLost, run_on_cluster

        if cluster != "local":
            workers, capped = 0, ""   # the cluster's own
        try:
            returned = run_on_cluster(tasks, cluster, workers, _plan_one, _write_results,
                                      finish, _failed, folder=folder)
        except ClusterLost as exc:    # what was done is kept and said; the rest is not planned
            lost = exc
            for task in tasks:
                if results[task.index] is None:
                    finish(task.index, AthleteResult(task.athlete, ERROR, 0, 0.0,
                                                     NOT_PLANNED))
    elif workers == 1:
        for task in tasks:
            finish(*plan(task))
    else:
        _run_pool(tasks, workers, finish, plan)

    final = tuple(r for r in results if r is not None)
    roster_index = _index_bytes(held, [name for name, _ in entries], slugs)
    if folder is None:
        from planner.store.files import write_atomic

        summary: Path | str = Path(out_dir) / SUMMARY_NAME
        write_atomic(Path(out_dir) / ATHLETES_NAME, roster_index, "-o")
        write_atomic(Path(summary), _summary_bytes(final), "-o")
    else:
        # temporary files of a worker lost while writing: its task ran again and wrote whole
        folder.sweep(name for task in tasks for name in (task.store.name, task.calendar.name))
        summary = folder.location(SUMMARY_NAME)
        folder.write(ATHLETES_NAME, roster_index)
        folder.write(SUMMARY_NAME, _summary_bytes(final))
    if lost is not None:
        missing = sum(r.reason == NOT_PLANNED for r in final)
        planned = sum(r.status == OK for r in final)
        raise type(lost)(f"{lost}: {planned} of {len(final)} athletes planned, {missing} not "
                         f"(each says so in {summary}); run the batch again for them")
    return BatchSummary(final, time.perf_counter() - started, summary, workers, capped, returned)


class WorkerLost(PeriodizeError):
    """A worker process died (killed by the system, e.g. for memory): the outside world, exit
    3. Athletes finished before keep their files; the summary is not written."""

    exit_code = 3


# Ctrl-C, SIGTERM and SIGHUP are handled in the main thread, when it runs Python code. Waiting
# for athletes with a timeout returns to Python this often, so that a signal noticed late (the
# kernel gives a process's signal to any of its threads; CI once saw a batch whose workers
# never finish keep waiting after SIGINT) is still handled at once.
SIGNAL_POLL_S = 0.25


def _run_pool(tasks: list[_Task], workers: int,
              finish: Callable[[int, AthleteResult], None],
              plan: Callable[[_Task], tuple[int, AthleteResult]] = _plan_one) -> None:
    """Plan ``tasks`` in ``workers`` fresh processes ("spawn": the same on every platform, and
    never a fork of a process that already runs solver or pandas threads)."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker)
    try:
        pending: set[Future[tuple[int, AthleteResult]]] = {
            pool.submit(plan, task) for task in tasks}
        while pending:
            finished, pending = wait(pending, timeout=SIGNAL_POLL_S, return_when=FIRST_COMPLETED)
            for future in finished:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    raise WorkerLost("batch: a worker process died (killed by the system, "
                                     "perhaps for memory; try fewer --jobs); athletes already "
                                     "planned keep their files") from None
                finish(*result)
    except BaseException:
        # Ctrl-C, SIGTERM, SIGHUP (raised here as KeyboardInterrupt by the CLI) or a failure:
        # nothing new starts, the workers are ended (an athlete being planned keeps its
        # previous files: each store change is one transaction, each file replaced whole), and
        # they are waited for, so that no process of ours outlives this one.
        pool.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():
            child.terminate()
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)
