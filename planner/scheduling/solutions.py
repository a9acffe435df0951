"""Solutions remembered by the exact model they solve, so that the same model is not searched
twice: a nightly re-plan of a roster whose weeks did not change, ``generate`` run again, or the
same typical week in several processes.

The key is the SHA-256 of the CP-SAT model as built (its whole protocol buffer, in text: every
variable, constraint, objective term and hint), the solver's settings and the OR-Tools version.
The solver runs one worker with a fixed seed and a limit on deterministic work
(``planner.scheduling.solve``), so that key decides its answer; what is remembered is that answer
(the
variables set, the status, the objective and the bound), and a model that differs in anything
is a different key. An infeasible model is never remembered (its explanation is searched anew).

The cache is a small SQLite file in the user's cache folder (``PERIODIZE_CACHE`` names another
file, or ``off``), at most ``KEPT`` solutions, the oldest dropped first. It is only ever an
optimisation: a cache that cannot be read or written (read-only, busy, damaged) is passed over
in silence and the model solved as if it were not there.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

CACHE_ENV = "PERIODIZE_CACHE"
OFF = "off"
KEPT = 100_000          # ~100 bytes of key and a few hundred of solution each: tens of MB at most
BUSY_TIMEOUT_S = 1.0    # another process writing: wait this long, then solve instead


@dataclass(frozen=True)
class Remembered:
    status: str
    objective: int
    bound: int
    chosen: tuple[int, ...]     # indices of the model's variables set to 1


def cache_path() -> Path | None:
    """``PERIODIZE_CACHE`` (a file, or ``off`` for none), else ``solutions.sqlite`` in the
    user's cache folder."""
    env = os.environ.get(CACHE_ENV)
    if env == OFF:
        return None
    if env:
        return Path(env)
    from platformdirs import user_cache_path

    return user_cache_path("periodize", appauthor=False) / "solutions.sqlite"


def model_key(model_text: str, settings: str) -> str:
    """The key of a model (``str(model.proto)``) solved with ``settings``."""
    digest = hashlib.sha256(f"ortools {_ortools()}\n{settings}\n".encode())
    digest.update(model_text.encode())
    return digest.hexdigest()


@functools.cache
def _ortools() -> str:
    from importlib.metadata import version

    return version("ortools")


_OPEN: dict[tuple[Path, int], sqlite3.Connection] = {}   # per file and process (not across fork)


def _connect(path: Path) -> sqlite3.Connection:
    key = (path, os.getpid())
    if key not in _OPEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")   # a cache: no wait on the disk per answer
        db.execute("CREATE TABLE IF NOT EXISTS solutions (key TEXT PRIMARY KEY, status TEXT, "
                   "objective INTEGER, bound INTEGER, chosen TEXT)")
        _OPEN[key] = db
    return _OPEN[key]


def recall(key: str) -> Remembered | None:
    """The solution remembered for ``key``, if any (None also when the cache is off or
    cannot be read)."""
    path = cache_path()
    if path is None:
        return None
    try:
        row = _connect(path).execute("SELECT status, objective, bound, chosen FROM solutions "
                                     "WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return Remembered(str(row[0]), int(row[1]), int(row[2]),
                          tuple(int(i) for i in json.loads(row[3])))
    except (sqlite3.Error, OSError, ValueError, TypeError):
        return None


def remember(key: str, solution: Remembered) -> None:
    """Keep ``solution`` for ``key`` (nothing when the cache is off or cannot be written)."""
    path = cache_path()
    if path is None:
        return
    try:
        db = _connect(path)
        db.execute("INSERT OR REPLACE INTO solutions (key, status, objective, bound, chosen) "
                   "VALUES (?, ?, ?, ?, ?)", (key, solution.status, solution.objective,
                                              solution.bound, json.dumps(solution.chosen)))
        db.execute("DELETE FROM solutions WHERE rowid <= (SELECT MAX(rowid) FROM solutions) - ?",
                   (KEPT,))
    except (sqlite3.Error, OSError):
        return
