"""`batch --cluster` in a hostile world (issue 28 section 1): never exit 0 with athletes unplanned.
An address that is not a Dask scheduler (an HTTP service, the dashboard's port, a silent TCP
service) is one line, exit 3; a scheme periodize does not speak, exit 2; a scheduler with no
worker is one line after its deadline; a scheduler killed mid-run leaves the summary of what was
and was not planned, exit 3. The servers are local fakes and real Dask schedulers on 127.0.0.1;
the deadlines are settings, patched small here (never a test time limit)."""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from factories import NOW, one_line_error, run, write_roster

import cli
from planner.errors import RemoteError
from planner.workflows import cluster
from planner.workflows.batch import ERROR, NOT_PLANNED, OK, SUMMARY_NAME, run_batch
from planner.workflows.cluster import LOCAL_HTTP

distributed = pytest.importorskip("distributed")

#: Real scheduler and worker processes, fake servers and deadlines of seconds: all slow.
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def small_deadlines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "HANDSHAKE_TIMEOUT_S", 2)
    monkeypatch.setattr(cluster, "WORKERS_TIMEOUT_S", 2)
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 3)
    monkeypatch.setattr(cluster, "RESULT_POLL_S", 0.05)


def _batch(roster: Path, out: Path, address: str) -> Any:
    """``periodize batch ROSTER -o OUT --cluster ADDRESS`` through click's runner."""
    return CliRunner().invoke(cli.main, ["batch", str(roster), "-o", str(out), "--cluster",
                                         address], prog_name="periodize")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP service that accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    """An HTTP service (as a Dask dashboard on :8787 is): it answers whatever it is sent."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize("server", ["silent_server", "http_server"])
def test_an_address_that_is_not_a_dask_scheduler_is_one_line(
        server: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    address = request.getfixturevalue(server)
    roster = write_roster(tmp_path / "roster.csv", 4)
    result = _batch(roster, tmp_path / "plans", address)
    one_line_error(result, address, "not a Dask scheduler", "nothing was planned", code=3,
                   quiet=False)
    assert not (tmp_path / "plans" / SUMMARY_NAME).exists()


@pytest.mark.parametrize("address", ["ucx://127.0.0.1:8786", "inproc://x", "ws://h:1",
                                     "tls://127.0.0.1:8786"])
def test_a_scheme_periodize_does_not_speak_is_bad_input(tmp_path: Path, address: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """ucx:// and the like are refused; tls:// without Dask's TLS settings too (exit 2)."""
    for key in [k for k in os.environ if k.startswith("DASK_DISTRIBUTED__COMM__TLS")]:
        monkeypatch.delenv(key)
    roster = write_roster(tmp_path / "roster.csv", 4)
    line = one_line_error(_batch(roster, tmp_path / "plans", address), "--cluster", code=2,
                          quiet=False)
    assert ("tls://" in line) and "TypeError" not in line
    assert not (tmp_path / "plans" / SUMMARY_NAME).exists()


def test_a_scheduler_without_workers_is_one_line_after_its_deadline(tmp_path: Path) -> None:
    """Before: exit 0, a summary with the header only, every athlete silently unplanned."""
    roster = write_roster(tmp_path / "roster.csv", 4)
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp://",
                                  dashboard_address=LOCAL_HTTP, host="127.0.0.1") as empty:
        result = _batch(roster, tmp_path / "plans", empty.scheduler_address)
    one_line_error(result, "no worker joined", "nothing was planned", code=3, quiet=False)
    assert not list((tmp_path / "plans").glob("*.db"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _started(command: list[str], ready: str) -> subprocess.Popen[str]:
    """A Dask process, once its log says ``ready`` (read line by line: bounded by its output)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    assert process.stderr is not None
    for line in process.stderr:
        if ready in line:
            threading.Thread(target=process.stderr.read, daemon=True).start()   # keep draining
            return process
    raise AssertionError(f"{command[:3]} ended before saying {ready!r}")


@contextlib.contextmanager
def _dask_cluster() -> Iterator[tuple[str, subprocess.Popen[str], subprocess.Popen[str]]]:
    """A Dask scheduler and one worker, each a process of its own (as on a real cluster):
    the scheduler's address and both processes; both are killed afterwards if still running."""
    dask = str(Path(sys.executable).with_name("dask"))
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _started([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                          "--no-dashboard"], "Scheduler at")
    worker = None
    try:
        worker = _started([dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                           "--no-dashboard", "--host", "127.0.0.1"], "Registered to")
        yield address, scheduler, worker
    finally:
        for process in (scheduler, worker):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            if process is not None:
                process.wait()


def test_a_scheduler_killed_mid_run_leaves_the_summary_of_what_was_done(tmp_path: Path) -> None:
    """The scheduler (a process of its own, as on a real cluster) is killed when 3 athletes
    are done: the run ends with one line (exit 3) saying how many were planned and how many
    not, and the summary lists every athlete - planned, or "not planned"."""
    with _dask_cluster() as (address, scheduler, _worker):
        roster = write_roster(tmp_path / "roster.csv", 12)
        killed: list[int] = []

        def progress(done: int, total: int) -> None:
            if done == 3 and not killed:
                os.killpg(scheduler.pid, signal.SIGKILL)
                killed.append(done)

        with pytest.raises(RemoteError) as caught:
            run_batch(roster, tmp_path / "plans", NOW, progress=progress, cluster=address)
        message = str(caught.value)
        assert "lost mid-run" in message and "not planned" not in message.split(":")[0]
        assert caught.value.exit_code == 3 and "\n" not in message
        summary = pd.read_csv(tmp_path / "plans" / SUMMARY_NAME, keep_default_na=False)
        assert len(summary) == 12                      # every athlete, each with its status
        unplanned = summary[summary["reason"] == NOT_PLANNED]
        assert len(unplanned) >= 1 and set(unplanned["status"]) == {ERROR}
        planned = summary[summary["status"] == OK]
        assert f"{len(planned)} of 12 athletes planned, {len(unplanned)} not" in message
        stores = {p.stem for p in (tmp_path / "plans").glob("*.db")}
        assert len(stores) == len(planned) >= 2       # a store for each athlete said planned
        assert (tmp_path / "plans" / "athletes.json").exists()


def test_a_cluster_whose_workers_all_left_ends_the_run(tmp_path: Path) -> None:
    """The only worker is killed when 3 athletes are done and none joins: the run ends after
    WORKERS_TIMEOUT_S (patched small) with the summary of what was done, exit 3."""
    with _dask_cluster() as (address, _scheduler, worker):
        roster = write_roster(tmp_path / "roster.csv", 12)
        killed: list[int] = []

        def progress(done: int, total: int) -> None:
            if done == 3 and not killed and worker is not None:
                os.killpg(worker.pid, signal.SIGKILL)
                killed.append(done)

        with pytest.raises(RemoteError, match="every worker left") as caught:
            run_batch(roster, tmp_path / "plans", NOW, progress=progress, cluster=address)
        assert caught.value.exit_code == 3 and "not" in str(caught.value)
        summary = pd.read_csv(tmp_path / "plans" / SUMMARY_NAME, keep_default_na=False)
        assert len(summary) == 12 and (summary["reason"] == NOT_PLANNED).sum() >= 1


def test_the_batch_command_says_a_lost_scheduler_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the CLI: exit 3, one line naming the summary, no traceback."""
    def lost(*args: object, **kwargs: object) -> int:
        raise cluster.ClusterLost("--cluster: the Dask scheduler at 'tcp://x:1' was lost "
                                  "mid-run (client closed)")

    monkeypatch.setattr(cluster, "run_on_cluster", lost)
    roster = write_roster(tmp_path / "roster.csv", 4)
    result = run("batch", str(roster), "-o", str(tmp_path / "plans"), "--cluster", "tcp://x:1")
    one_line_error(result, "lost mid-run", "0 of 4 athletes planned", SUMMARY_NAME, code=3,
                   quiet=False)
    summary = pd.read_csv(tmp_path / "plans" / SUMMARY_NAME, keep_default_na=False)
    assert len(summary) == 4 and OK not in set(summary["status"])
