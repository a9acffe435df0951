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

Never "done" for work not done: before any task is sent, the address is asked, within
``HANDSHAKE_TIMEOUT_S``, whether it is a Dask scheduler at all (an HTTP service, the dashboard's
port, a silent TCP service are one line, exit 3), and the scheduler is given
``WORKERS_TIMEOUT_S`` for a first worker to join (else one line, exit 3, nothing planned). A
scheduler lost mid-run (``ClusterLost``) ends the run: the summary says which athletes were
planned and which were not, exit 3. Only ``tcp://`` and ``tls://`` (with Dask's TLS settings)
are accepted; ``tcp://`` carries pickles, unencrypted and unauthenticated, so it belongs on a
private network the coach trusts.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import InputError, MissingExtra, PeriodizeError, RemoteError

LOCAL = "local"           # --cluster local: a LocalCluster on this machine
INSTALL = "periodize batch --cluster needs Dask: pip install 'periodize[cluster]'"
CONNECT_TIMEOUT_S = 30
#: Deadlines (settings, judgement calls): for an address to answer as a Dask scheduler; for a
#: first worker to join it; for the scheduler to come back once its connection is lost.
HANDSHAKE_TIMEOUT_S = 20
WORKERS_TIMEOUT_S = 60
#: How often the wait for results looks at the client's state (a scheduler lost mid-run).
RESULT_POLL_S = 0.05
#: How long one completed future's result is waited for before it is looked at again (a future
#: handed back when its worker died would otherwise be waited on for ever).
RESULT_WAIT_S = 2.0
SCHEMES = ("tcp", "tls")
ACCEPTED = ("local, tcp://HOST:PORT (a private network you trust: Dask's tcp:// carries "
            "pickles, unencrypted) or tls://HOST:PORT with Dask's TLS settings "
            "(distributed.comm.tls.ca-file, .client.cert, .client.key)")
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


class ClusterLost(RemoteError):
    """The Dask scheduler went away mid-run (or its client closed): nothing more can be
    planned there. ``run_batch`` writes the summary of what was and was not done."""


def check_address(address: str) -> Any:
    """The ``security`` (Dask's ``Security`` for tls://, else None) to reach ``address`` with;
    InputError (exit 2) for a scheme periodize does not speak or tls:// without certificates."""
    from distributed.comm.addressing import parse_address

    try:
        scheme, _ = parse_address(address, strict=False)
    except (ValueError, TypeError) as exc:
        raise InputError("--cluster", address, f"{ACCEPTED} ({exc})") from None
    if scheme not in SCHEMES:
        raise InputError("--cluster", address, ACCEPTED)
    if scheme == "tcp":
        return None
    from distributed.security import Security

    security = Security()         # Dask's configuration: files and DASK_* variables
    if not (security.tls_ca_file and security.tls_client_cert):
        raise InputError("--cluster", address, "tls:// with Dask's TLS settings: a CA file and "
                         "a client certificate (distributed.comm.tls.ca-file and "
                         "distributed.comm.tls.client.cert, .client.key, in Dask's "
                         "configuration or DASK_DISTRIBUTED__COMM__TLS__... variables)")
    return security


def probe(address: str, security: Any) -> None:
    """Ask ``address`` who it is, through Dask's own RPC, within ``HANDSHAKE_TIMEOUT_S``:
    Dask's client waits for the handshake without a deadline (a silent TCP service or the
    dashboard's HTTP port holds it for minutes) and reads an HTTP answer as a frame length (an
    allocation of exabytes). RemoteError (one line) unless a Dask scheduler answers."""
    import asyncio
    import threading

    from distributed.core import rpc

    args = security.get_connection_args("client") if security is not None else {}
    answer: list[object] = []

    async def identity() -> object:
        async with rpc(address, timeout=HANDSHAKE_TIMEOUT_S, connection_args=args) as remote:
            return await remote.identity()

    def ask() -> None:
        try:
            answer.append(asyncio.run(asyncio.wait_for(identity(), HANDSHAKE_TIMEOUT_S)))
        except BaseException as exc:   # whatever it is, it is not a scheduler's answer
            answer.append(exc)

    thread = threading.Thread(target=ask, name="periodize-probe", daemon=True)
    thread.start()
    thread.join(HANDSHAKE_TIMEOUT_S + 5)   # a deadline past asyncio's own, in case it hangs
    reply = answer[0] if answer else TimeoutError()
    if isinstance(reply, dict) and reply.get("type") == "Scheduler":
        return
    why = ("no answer" if isinstance(reply, TimeoutError | asyncio.TimeoutError)
           else "it answered, but not as a Dask scheduler" if not isinstance(reply, BaseException)
           else _brief(reply))
    raise RemoteError(f"--cluster: {address!r} is not a Dask scheduler that answers ({why}, "
                      f"within {HANDSHAKE_TIMEOUT_S:g} s); nothing was planned; give the "
                      "scheduler's address (usually port 8786; 8787 is its dashboard)")


def _brief(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, MemoryError | OverflowError):   # an HTTP answer read as a frame length
        return "it answered, but not as a Dask scheduler"
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    text = text or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


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
    security = None if address == LOCAL else check_address(address)
    if address != LOCAL:
        probe(address, security)
    try:
        if address == LOCAL:
            # The scheduler serves HTTP (health, metrics, the dashboard) even when told None
            # (distributed 2025/2026: it then takes :8787 and warns when another program holds
            # it); a free port on this machine's loopback never collides.
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=LOCAL_HTTP, host="127.0.0.1")
            client = Client(cluster)
        else:
            client = Client(address, timeout=CONNECT_TIMEOUT_S, security=security)
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        raise RemoteError(f"--cluster: cannot reach the Dask scheduler at {address!r} "
                          f"({' '.join(str(exc).split()) or type(exc).__name__})") from None
    if address != LOCAL:
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
        except BaseException as exc:
            client.close()
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise RemoteError(f"--cluster: no worker joined the Dask scheduler at {address!r} "
                              f"within {WORKERS_TIMEOUT_S:g} s; nothing was planned; start "
                              "workers (dask worker ADDRESS) and run the batch again") from None
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
            idle = 0.0     # seconds waited in a row without a worker
            while futures:
                # A lost scheduler leaves the futures pending for as long as the client keeps
                # reconnecting (CONNECT_TIMEOUT_S), then the client closes; a scheduler whose
                # workers all left keeps them pending for ever: looked at between waits, never
                # waited on for ever.
                batch = queue.next_batch(block=False)
                if not batch:
                    idle = _idle_poll(client, address, idle, RESULT_POLL_S)
                    _wait_any(queue, RESULT_POLL_S)
                    continue
                for future in batch:
                    try:
                        # never waited on for ever: a future handed back when its worker died
                        # is computed again only once a worker is there
                        outcome: RemoteResult = future.result(timeout=RESULT_WAIT_S)
                    except TimeoutError:
                        queue.add(future)
                        idle = _idle_poll(client, address, idle, RESULT_WAIT_S)
                        continue
                    except Exception as exc:   # the task crashed or its workers kept dying
                        task = futures.pop(future)
                        _check_client(client, address)
                        finish(task.index, failed(task, exc, True))
                    else:
                        task = futures.pop(future)
                        returned += outcome.size
                        if outcome.store is not None and outcome.calendar is not None:
                            write(task, outcome.store, outcome.calendar)
                        finish(outcome.index, outcome.result)
                    submit(queue)
        except BaseException:
            with contextlib.suppress(Exception):
                client.cancel(list(futures))
            raise
        return returned


def _idle_poll(client: Any, address: str, idle: float, waited: float) -> float:
    """Seconds waited in a row without a worker, ``waited`` counted; ClusterLost when the
    scheduler is gone or its workers all left and none joined within WORKERS_TIMEOUT_S."""
    _check_client(client, address)
    idle = 0.0 if client.scheduler_info().get("workers") else idle + waited
    if idle > WORKERS_TIMEOUT_S:
        raise ClusterLost(f"--cluster: every worker left the Dask scheduler at {address!r} "
                          f"and none joined within {WORKERS_TIMEOUT_S:g} s")
    return idle


def _check_client(client: Any, address: str) -> None:
    """ClusterLost when the client lost its scheduler for good (it closed after trying to
    reconnect) or is closing."""
    if client.status not in ("running", "connecting", "newly-created"):
        raise ClusterLost(f"--cluster: the Dask scheduler at {address!r} was lost mid-run "
                          f"(client {client.status})")


def _wait_any(queue: Any, seconds: float) -> None:
    """Wait ``seconds`` unless a result is ready in ``queue`` (a poll, not a deadline: as
    ``as_completed``'s own iteration waits, in 100 ms slices)."""
    import time

    if not queue.has_ready():
        time.sleep(seconds)
