"""`periodize batch -o URL` without a cluster: the process pool writes the same files through
fsspec (``memory://`` in this process, ``file://`` from worker processes) as to a folder; the
athlete's store is read back from the URL on the next run; a file that cannot be written there
is that athlete's error and the others are planned. The cluster's side is in test_cluster.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from factories import NOW, outputs, write_roster

from planner.errors import InputError, RemoteError
from planner.store.shared_folder import SharedFolder, is_url
from planner.workflows.batch import ERROR, OK, run_batch

fsspec = pytest.importorskip("fsspec")


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[str]:
    """A folder of fsspec's in-memory filesystem (this process only), removed afterwards."""
    url = f"memory://{tmp_path.name}/plans"
    yield url
    filesystem = fsspec.filesystem("memory")
    if filesystem.exists(f"/{tmp_path.name}"):
        filesystem.rm(f"/{tmp_path.name}", recursive=True)


def copied(url: str, folder: Path) -> Path:
    """The files at ``url``, copied into ``folder`` to be compared."""
    folder.mkdir()
    filesystem, root = SharedFolder(url).filesystem()
    for path in filesystem.ls(root, detail=False):
        (folder / str(path).rsplit("/", 1)[-1]).write_bytes(filesystem.cat_file(path))
    return folder


@pytest.mark.parametrize("text", ["s3://bucket/plans", "file:///shared/plans", "memory://x",
                                  "gcs://b", "abfs+x.y://c"])
def test_a_url_is_told_from_a_path(text: str) -> None:
    assert is_url(text)
    assert not is_url(text.replace("://", "/"))
    assert not is_url("C:\\plans") and not is_url("plans") and not is_url("./s3:/x")


@pytest.mark.slow
def test_the_pool_writes_a_url_as_it_writes_a_folder(tmp_path: Path, memory: str) -> None:
    roster = write_roster(tmp_path / "roster.csv", 8)
    by_folder = run_batch(roster, tmp_path / "folder", NOW, jobs=1)
    by_url = run_batch(roster, memory, NOW, jobs=1)
    assert by_url.summary_csv == f"{memory}/summary.csv" and by_url.returned_bytes == 0
    assert [(r.athlete, r.status, r.sessions) for r in by_url.results] == \
        [(r.athlete, r.status, r.sessions) for r in by_folder.results]
    assert outputs(copied(memory, tmp_path / "url")) == outputs(tmp_path / "folder")
    # worker processes (spawned) write a file:// URL
    on_disk = run_batch(roster, (tmp_path / "file").as_uri(), NOW, jobs=2)
    assert on_disk.workers == 2
    assert outputs(tmp_path / "file") == outputs(tmp_path / "folder")


def test_the_store_is_read_back_from_the_url(tmp_path: Path, memory: str) -> None:
    from planner.store.database import open_store

    roster = write_roster(tmp_path / "roster.csv", 3)
    run_batch(roster, memory, NOW, jobs=1)
    roster.write_text(roster.read_text(encoding="utf-8").replace("Athlete 00", "athlete 00 "),
                      encoding="utf-8")                         # the same athlete, renamed
    text = roster.read_text(encoding="utf-8").splitlines()
    fields = text[1].split(",")
    fields[4] = "4" if fields[4] == "6" else "6"                 # their weeks changed
    roster.write_text("\n".join([text[0], ",".join(fields), *text[2:]]) + "\n", encoding="utf-8")
    again = run_batch(roster, memory, NOW, jobs=1)
    assert [r.status for r in again.results] == [OK, OK, OK]
    folder = copied(memory, tmp_path / "url")
    assert sorted(p.name for p in folder.iterdir()) == [
        "athlete-00.db", "athlete-00.ics", "athlete-01.db", "athlete-01.ics", "athlete-02.db",
        "athlete-02.ics", "athletes.json", "summary.csv"]
    with open_store(folder / "athlete-00.db") as store:
        assert store.current()[0].revision == 2                 # added to the stored one
    with open_store(folder / "athlete-01.db") as store:
        assert store.current()[0].revision == 1                 # unchanged: no new revision


def test_a_file_that_cannot_be_written_is_that_athletes_error(tmp_path: Path,
                                                              memory: str) -> None:
    roster = write_roster(tmp_path / "roster.csv", 4)
    real = SharedFolder.write

    def write(self: SharedFolder, name: str, data: bytes) -> None:
        if name == "athlete-02.ics":
            raise RemoteError(f"-o: cannot write {self.location(name)!r} (quota exceeded)")
        real(self, name, data)

    with mock.patch.object(SharedFolder, "write", write):
        summary = run_batch(roster, memory, NOW, jobs=1)
    by_name: dict[str, Any] = {r.athlete: r for r in summary.results}
    assert by_name["Athlete 02"].status == ERROR
    assert by_name["Athlete 02"].reason == (
        f"task failed: RemoteError: -o: cannot write '{memory}/athlete-02.ics' (quota exceeded)")
    assert [by_name[f"Athlete 0{i}"].status for i in (0, 1, 3)] == [OK, OK, OK]
    assert "athlete-02.ics" not in {p.name for p in copied(memory, tmp_path / "url").iterdir()}


def test_memory_is_refused_where_other_processes_would_write(tmp_path: Path,
                                                            memory: str) -> None:
    roster = write_roster(tmp_path / "roster.csv", 3)
    with pytest.raises(InputError, match=r"^-o: 'memory://.*' is not accepted; a URL every "
                                         r"worker process can reach"), \
            mock.patch("planner.workflows.batch.usable_cores", return_value=2):
        run_batch(roster, memory, NOW, jobs=2)
    assert not fsspec.filesystem("memory").exists(f"{memory[len('memory://'):]}/summary.csv")
