"""A roster planned on a Dask distributed cluster (``periodize batch --cluster ADDRESS``).

Each athlete is one task running ``planner.workflows.batch``'s per-athlete function - the one the
process
pool runs, which plans through ``generate.plan_athlete`` as ``periodize generate`` does - in a
scratch folder on the worker. Work travels as data, never as paths the worker may not see: the
profile, the bytes of its busy calendars and of the athlete's store if there is one. The result
comes back as the summary row, the new store and the .ics; this process writes them as they
complete, so the plans are the pool's byte for byte. At most ``window`` tasks are out at once
(back-pressure: a roster of 100,000 never sits in memory as futures or results). A worker lost
mid-run has its tasks run again elsewhere by Dask; a task that fails anyway is reported in the
summary and the others go on.

With ``-o`` an fsspec URL (``planner.store.shared_folder``), the worker reads the athlete's store
from
there and writes the new store and .ics there itself; only the summary row comes back.

Dask is an optional extra: ``pip install 'periodize[cluster]'``. Nothing here imports it before
it is needed.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import MissingExtra, PeriodizeError, RemoteError

LOCAL = "local"           # --cluster local: a LocalCluster on this machine
INSTALL = "periodize batch --cluster needs Dask: pip install 'periodize[cluster]'"
CONNECT_TIMEOUT_S = 30
LOCAL_HTTP = ":0"         # a LocalCluster's HTTP server: any free port (see connect)

if TYPE_CHECKING:
    from planner.store.shared_folder import SharedFolder


PlanOne = Callable[[Any, Mapping[Path, bytes]], tuple[int, Any]]
"""``planner.workflows.batch``'s per-athlete function: (task, busy files) -> (index, summary row).
A task
is a dataclass with ``index``, ``profile``, ``store`` and ``calendar`` (paths)."""


@dataclass(frozen=True)
class RemoteTask:
    """One athlete's work as it travels to a worker: data only."""

    task: Any                            # paths in it are names for the files, not read there
    files: Mapping[Path, bytes]          # busy calendars by the profile's paths
    store: bytes | None                  # the athlete's store, when one exists already


@dataclass(frozen=True)
class RemoteResult:
    index: int
    result: Any                          # the summary row
    store: bytes | None                  # the store after planning; None when not planned
    calendar: bytes | None               # or when the worker wrote both to a shared folder

    @property
    def size(self) -> int:
        """Bytes of plans this result carries back."""
        return len(self.store or b"") + len(self.calendar or b"")


def plan_remote(plan_one: PlanOne, job: RemoteTask, folder: SharedFolder | None = None,
                ) -> RemoteResult:
    """On a worker: plan one athlete with the pool's function, in a scratch folder. With a
    shared ``folder``, the athlete's store is read from there (not sent) and the new store and
    calendar are written there (not returned): the store first, so that a worker lost between
    the two leaves a store whose retry changes nothing and writes the calendar."""
    with tempfile.TemporaryDirectory(prefix="periodize-") as scratch:
        store, calendar = Path(scratch) / "plan.db", Path(scratch) / "plan.ics"
        names = job.task.store.name, job.task.calendar.name
        existing = job.store if folder is None else folder.read(names[0])
        if existing is not None:
            store.write_bytes(existing)
        index, result = plan_one(replace(job.task, store=store, calendar=calendar), job.files)
        if not calendar.exists():        # not planned: nothing of the athlete's changes
            return RemoteResult(index, result, None, None)
        if folder is None:
            return RemoteResult(index, result, store.read_bytes(), calendar.read_bytes())
        folder.write(names[0], store.read_bytes())
        folder.write(names[1], calendar.read_bytes())
        return RemoteResult(index, result, None, None)


def _remote_task(task: Any, shared: bool) -> RemoteTask:
    """``task`` as data; the store too unless the worker reads it from a ``shared`` folder."""
    from planner.calendars.busy import busy_file_bytes

    files = {path: busy_file_bytes(path) for path in task.profile.busy}
    store = None if shared or not task.store.exists() else task.store.read_bytes()
    return RemoteTask(task, files, store)


def require_dask() -> None:
    """MissingExtra (one line: how to install it) unless Dask's distributed scheduler is
    installed."""
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise MissingExtra(INSTALL)


@contextlib.contextmanager
def connect(address: str, workers: int) -> Iterator[Any]:
    """A Dask client: on a new LocalCluster of ``workers`` processes for ``local``, else on the
    scheduler at ``address`` (``tcp://host:8786``)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise MissingExtra(INSTALL) from None
    cluster = None
    try:
        if address == LOCAL:
            # The scheduler serves HTTP (health, metrics, the dashboard) even when told None
            # (distributed 2025/2026: it then takes :8787 and warns when another program holds
            # it); a free port on this machine's loopback never collides.
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=LOCAL_HTTP, host="127.0.0.1")
            client = Client(cluster)
        else:
            client = Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        raise RemoteError(f"--cluster: cannot reach the Dask scheduler at {address!r} "
                          f"({' '.join(str(exc).split()) or type(exc).__name__})") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_on_cluster(tasks: Sequence[Any], address: str, workers: int, plan_one: PlanOne,
                   write: Callable[[Any, bytes, bytes], None],
                   finish: Callable[[int, Any], None],
                   failed: Callable[[Any, BaseException, bool], Any],
                   window: int | None = None, folder: SharedFolder | None = None) -> int:
    """Plan ``tasks`` on the cluster with ``plan_one``: ``write(task, store, calendar)`` and
    ``finish(index, row)`` for each as it completes; ``failed(task, error, crashed)`` makes the
    row of a task that could not be sent (its busy file unreadable) or that crashed. ``window``:
    tasks out at once (default four per worker thread, so that no worker waits for the next).
    ``folder``: the workers read and write the stores and calendars there, ``write`` is not
    called. Returns the bytes of plans that came back to this process."""
    from dask.distributed import as_completed

    with connect(address, workers) as client:
        threads = sum(client.nthreads().values()) or workers
        window = window or 4 * threads
        pending = iter(tasks)
        futures: dict[Any, Any] = {}
        returned = 0

        def submit(queue: Any) -> None:
            for task in pending:
                try:
                    job = _remote_task(task, folder is not None)
                except PeriodizeError as exc:   # an unreadable busy file: as the pool says it
                    finish(task.index, failed(task, exc, False))
                    continue
                future = client.submit(plan_remote, plan_one, job, folder,
                                       key=f"athlete-{task.index}", pure=False)
                futures[future] = task
                queue.add(future)
                return

        # on this client's loop: with no futures yet, as_completed would take the process's
        # default client's, another one if the caller holds a client of its own (a notebook),
        # and a task recomputed after its worker was lost then fails ("bound to a different
        # event loop")
        queue = as_completed([], loop=client.loop)
        try:
            for _ in range(window):
                submit(queue)
            for future in queue:
                task = futures.pop(future)
                try:
                    outcome: RemoteResult = future.result()
                except Exception as exc:   # the task crashed or its workers kept dying
                    finish(task.index, failed(task, exc, True))
                else:
                    returned += outcome.size
                    if outcome.store is not None and outcome.calendar is not None:
                        write(task, outcome.store, outcome.calendar)
                    finish(outcome.index, outcome.result)
                submit(queue)
        except BaseException:
            client.cancel(list(futures))
            raise
        return returned
