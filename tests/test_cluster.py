"""`periodize batch --cluster`: a roster planned as Dask tasks gives the process pool's plans byte
for byte and the same summary, survives a worker killed mid-run, and reports a bad row, an
impossible week or a crashing task without stopping the rest. The cluster is a LocalCluster of
two worker processes on 127.0.0.1 (no network)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
import pytest
from click.testing import CliRunner
from factories import ATHLETES, NOW, ROOT, outputs, write_roster

import cli
from planner.errors import MissingExtra
from planner.workflows.batch import BAD_INPUT, ERROR, NO_PLAN, OK, BatchSummary, run_batch
from planner.workflows.cluster import LOCAL_HTTP

distributed = pytest.importorskip("distributed")

@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=LOCAL_HTTP, host="127.0.0.1") as cluster, \
            distributed.Client(cluster) as connected:
        yield connected


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BatchSummary]:
    """The same roster through the process pool: what the cluster must match."""
    folder = tmp_path_factory.mktemp("pool")
    roster = write_roster(folder / "roster.csv")
    return roster, run_batch(roster, folder / "plans", NOW, jobs=2)


def worker_processes() -> list[int]:
    """This process's LocalCluster worker processes (Linux: read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and b"multiprocessing-fork" in command:
            found.append(int(entry.name))
    return sorted(found)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds workers through /proc")
@pytest.mark.slow
def test_a_worker_killed_mid_run_has_its_tasks_run_again(
        pool: tuple[Path, BatchSummary], tmp_path: Path) -> None:
    """`--cluster local`: one worker process is killed when 8 athletes are done (32 to go, 8
    of them out on the workers); Dask runs its tasks again on a new one. First in this module,
    before the shared ``client`` fixture starts: one Dask client in the process, as a coach's
    run has (two clients in one process can trip over each other's event loops)."""
    roster, _ = pool
    killed: list[int] = []
    others = set(worker_processes())   # another test's cluster, if any

    def progress(done: int, total: int) -> None:
        if done == 8 and not killed:
            workers = [pid for pid in worker_processes() if pid not in others]
            assert workers, "no worker process of this run found"
            os.kill(workers[0], signal.SIGKILL)
            killed.append(workers[0])

    summary = run_batch(roster, tmp_path / "plans", NOW, jobs=2, progress=progress,
                        cluster="local")
    assert len(killed) == 1
    assert [(r.athlete, r.status, r.reason) for r in summary.results if r.status == ERROR] == []
    assert outputs(tmp_path / "plans") == outputs(roster.parent / "plans")
    assert [r.status for r in summary.results].count(OK) == ATHLETES - 2
    assert killed[0] not in worker_processes()


@pytest.mark.slow
def test_the_cluster_plans_what_the_pool_plans(client: Any, pool: tuple[Path, BatchSummary],
                                               tmp_path: Path) -> None:
    roster, by_pool = pool
    calls: list[tuple[int, int]] = []
    summary = run_batch(roster, tmp_path / "plans", NOW, progress=lambda *c: calls.append(c),
                        cluster=client.scheduler.address)
    assert [(r.athlete, r.status, r.sessions, r.reason) for r in summary.results] == \
        [(r.athlete, r.status, r.sessions, r.reason) for r in by_pool.results]
    statuses = [r.status for r in summary.results]
    assert statuses.count(BAD_INPUT) == 1 and statuses.count(NO_PLAN) == 1
    assert statuses.count(OK) == ATHLETES - 2
    assert outputs(tmp_path / "plans") == outputs(roster.parent / "plans")
    assert calls == [(n, ATHLETES) for n in range(1, ATHLETES + 1)]
    # every store and calendar came back to this process, and nothing else was counted as plans
    assert summary.returned_bytes == sum(p.stat().st_size for p in (tmp_path / "plans").iterdir()
                                         if p.suffix in (".db", ".ics"))


@pytest.mark.slow
def test_with_a_url_the_workers_write_the_plans(client: Any, pool: tuple[Path, BatchSummary],
                                                tmp_path: Path) -> None:
    """``-o file://...``: each worker reads and writes its athlete's files there; the client
    writes no plan (its writer would fail the test) and gets no plan's bytes back; the folder
    is the pool's, byte for byte, summary.csv and athletes.json included."""
    roster, by_pool = pool
    calls: list[tuple[int, int]] = []
    with mock.patch("planner.workflows.batch._write_results",
                    side_effect=AssertionError("client wrote")):
        summary = run_batch(roster, (tmp_path / "plans").as_uri(), NOW,
                            progress=lambda *c: calls.append(c), cluster=client.scheduler.address)
    assert summary.returned_bytes == 0
    assert summary.summary_csv == f"{(tmp_path / 'plans').as_uri()}/summary.csv"
    assert [(r.athlete, r.status, r.sessions, r.reason) for r in summary.results] == \
        [(r.athlete, r.status, r.sessions, r.reason) for r in by_pool.results]
    assert outputs(tmp_path / "plans") == outputs(roster.parent / "plans")
    assert sorted(p.name for p in (tmp_path / "plans").iterdir()) == \
        sorted(p.name for p in (roster.parent / "plans").iterdir())
    assert calls == [(n, ATHLETES) for n in range(1, ATHLETES + 1)]


@pytest.mark.slow
def test_a_worker_lost_while_writing_to_a_url_leaves_no_partial_file(
        client: Any, pool: tuple[Path, BatchSummary], tmp_path: Path) -> None:
    """A worker dies after writing Athlete 07's calendar under its temporary name, before the
    rename (its store is already in place); Dask runs the task again on a worker, which finds
    the new store unchanged and writes the calendar whole. No temporary, partial or second file
    is left: the folder is the pool's."""
    roster, _ = pool
    marker = tmp_path / "killed"

    def sabotage(marker: str) -> None:   # on each worker; kills one worker once
        import pathlib

        original = pathlib.Path.replace

        def replace(self: pathlib.Path, target: Any) -> pathlib.Path:
            if pathlib.Path(target).name == "athlete-07.ics":
                try:
                    os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                except FileExistsError:
                    pass
                else:
                    os._exit(1)
            return original(self, target)

        replace.original = original  # type: ignore[attr-defined]
        pathlib.Path.replace = replace  # type: ignore[method-assign,assignment]

    def repair() -> None:
        import pathlib

        pathlib.Path.replace = getattr(  # type: ignore[method-assign]
            pathlib.Path.replace, "original", pathlib.Path.replace)

    client.run(sabotage, str(marker))
    try:
        summary = run_batch(roster, (tmp_path / "plans").as_uri(), NOW,
                            cluster=client.scheduler.address)
    finally:
        client.run(repair)
    assert marker.exists()                          # a worker did die mid-write
    assert [(r.athlete, r.reason) for r in summary.results if r.status == ERROR] == []
    assert outputs(tmp_path / "plans") == outputs(roster.parent / "plans")
    assert not list((tmp_path / "plans").glob(".*"))


@pytest.mark.slow
def test_a_crashing_task_is_reported_and_the_rest_are_planned(
        client: Any, tmp_path: Path) -> None:
    def sabotage() -> None:   # on each worker: one athlete's solve raises
        import planner.workflows.generate as generate

        original = generate.build_plan

        def broken(profile: Any, *args: Any, **kwargs: Any) -> Any:
            if profile.name == "Athlete 03":
                raise RuntimeError("boom\nsecond line")
            return original(profile, *args, **kwargs)

        broken.original = original  # type: ignore[attr-defined]
        generate.build_plan = broken

    def repair() -> None:
        import planner.workflows.generate as generate

        generate.build_plan = getattr(generate.build_plan, "original", generate.build_plan)

    client.run(sabotage)
    try:
        summary = run_batch(write_roster(tmp_path / "roster.csv", 8), tmp_path / "plans", NOW,
                            cluster=client.scheduler.address)
    finally:
        client.run(repair)
    by_name = {r.athlete: r for r in summary.results}
    assert by_name["Athlete 03"].status == ERROR    # as the pool records it
    assert by_name["Athlete 03"].reason == "internal error: RuntimeError: boom second line"
    assert by_name["Athlete 05"].status == BAD_INPUT
    assert [r.status for r in summary.results].count(OK) == 6
    assert not (tmp_path / "plans" / "athlete-03.ics").exists()
    frame = pd.read_csv(summary.summary_csv, keep_default_na=False)
    assert list(frame["status"]).count(ERROR) == 1


@pytest.mark.slow
def test_busy_calendars_travel_with_the_task(client: Any, tmp_path: Path) -> None:
    team = tmp_path / "team"
    team.mkdir()
    shutil.copy(ROOT / "examples" / "athlete.toml", team / "sam.toml")
    shutil.copy(ROOT / "examples" / "work.ics", team / "work.ics")
    by_pool = run_batch(team, tmp_path / "pool", NOW, jobs=1)
    on_cluster = run_batch(team, tmp_path / "cluster", NOW, cluster=client.scheduler.address)
    assert [r.status for r in on_cluster.results] == [r.status for r in by_pool.results] == [OK]
    assert outputs(tmp_path / "cluster") == outputs(tmp_path / "pool")
    # a changed week: the worker, sent the store, adds revision 2 to it
    profile = team / "sam.toml"
    profile.write_text(profile.read_text(encoding="utf-8").replace("weeks = 8", "weeks = 6"),
                       encoding="utf-8")
    again = run_batch(team, tmp_path / "cluster", NOW, cluster=client.scheduler.address)
    assert again.results[0].status == OK
    from planner.store.database import open_store

    with open_store(tmp_path / "cluster" / "sam.db") as store:
        assert store.current()[0].revision == 2


def test_a_worker_reads_the_store_from_the_url(client: Any, tmp_path: Path) -> None:
    """A changed week planned again into the same URL: the worker read the athlete's store there
    (nothing was sent) and added revision 2 to it."""
    team = tmp_path / "team"
    team.mkdir()
    shutil.copy(ROOT / "examples" / "athlete.toml", team / "sam.toml")
    shutil.copy(ROOT / "examples" / "work.ics", team / "work.ics")
    url = (tmp_path / "plans").as_uri()
    assert run_batch(team, url, NOW, cluster=client.scheduler.address).results[0].status == OK
    profile = team / "sam.toml"
    profile.write_text(profile.read_text(encoding="utf-8").replace("weeks = 8", "weeks = 6"),
                       encoding="utf-8")
    again = run_batch(team, url, NOW, cluster=client.scheduler.address)
    assert again.results[0].status == OK and again.returned_bytes == 0
    from planner.store.database import open_store

    with open_store(tmp_path / "plans" / "sam.db") as store:
        assert store.current()[0].revision == 2


def test_the_batch_command_on_a_cluster(client: Any, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster.csv", 12)
    result = CliRunner().invoke(cli.main, ["batch", str(roster), "-o", str(tmp_path / "plans"),
                                           "--cluster", client.scheduler.address])
    assert result.exit_code == 2, result.output     # one bad row, as with the pool
    assert "10 ok" in result.output and "1 bad input" in result.output
    assert "Athlete 05: bad input: timezone:" in result.output
    assert len(list((tmp_path / "plans").glob("*.ics"))) == 10


@pytest.mark.slow
def test_the_batch_command_writes_to_a_url_in_a_real_process(client: Any, tmp_path: Path,
                                                            ) -> None:
    roster = write_roster(tmp_path / "roster.csv", 6)
    url = (tmp_path / "plans").as_uri()
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "batch", str(roster), "-o", url,
                           "--cluster", client.scheduler.address], capture_output=True,
                          text=True, cwd=tmp_path, check=False)
    assert done.returncode == 2, done.stderr      # Athlete 05's bad time zone
    assert f"Summary: {url}/summary.csv" in done.stdout
    assert "5 ok, 1 bad input" in done.stdout and "Traceback" not in done.stderr
    assert sorted(p.name for p in (tmp_path / "plans").iterdir()) == sorted(
        [*(f"athlete-{i:02d}.{kind}" for i in (0, 1, 2, 3, 4) for kind in ("db", "ics")),
         "athletes.json", "summary.csv"])


@pytest.mark.parametrize(("url", "code", "says"), [
    ("foo://plans", 2, "-o: 'foo://plans' is not accepted; a folder, or an fsspec URL of a "
                       "protocol fsspec knows"),
    ("ftp://127.0.0.1:9/plans", 3, "-o: cannot reach 'ftp://127.0.0.1:9/plans'"),
    ("file:///dev/null/plans", 2, "-o: 'file:///dev/null/plans' is not accepted; a folder"),
])
def test_a_bad_url_is_one_line_and_nothing_is_written(client: Any, tmp_path: Path, url: str,
                                                       code: int, says: str) -> None:
    roster = write_roster(tmp_path / "roster.csv", 3)
    before = sorted(tmp_path.rglob("*"))
    result = CliRunner().invoke(cli.main, ["batch", str(roster), "-o", url,
                                           "--cluster", client.scheduler.address])
    assert result.exit_code == code, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {says}"), result.output
    assert "Traceback" not in result.output
    assert sorted(tmp_path.rglob("*")) == before


def test_a_url_whose_driver_is_missing_names_the_package(tmp_path: Path) -> None:
    if __import__("importlib.util").util.find_spec("s3fs") is not None:
        pytest.skip("s3fs is installed here")
    roster = write_roster(tmp_path / "roster.csv", 3)
    result = CliRunner().invoke(cli.main, ["batch", str(roster), "-o", "s3://club/plans"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == (
        "Error: -o: 's3://club/plans' needs s3fs (Install s3fs to access S3): pip install s3fs")
    assert not (tmp_path / "club").exists()


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_line_exit_3(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster.csv", 3)
    with mock.patch("planner.workflows.cluster.CONNECT_TIMEOUT_S", 1):
        result = CliRunner().invoke(cli.main, ["batch", str(roster), "-o", str(tmp_path / "out"),
                                               "--cluster", "tcp://127.0.0.1:9"])
    assert result.exit_code == 3, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(lines) == 1 and "tcp://127.0.0.1:9" in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_without_dask_one_line_says_how_to_install_it(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster.csv", 3)
    real = __import__("importlib.util").util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "distributed" else real(name, *args)

    with mock.patch("importlib.util.find_spec", find_spec):
        result = CliRunner().invoke(cli.main, ["batch", str(roster), "-o", str(tmp_path / "out"),
                                               "--cluster", "local"])
        with pytest.raises(MissingExtra, match=r"pip install 'periodize\[cluster\]'"):
            run_batch(roster, tmp_path / "out", NOW, cluster="local")
    assert result.exit_code == 2, result.output
    assert "pip install 'periodize[cluster]'" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
