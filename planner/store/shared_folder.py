"""A batch's output folder given as an fsspec URL (``periodize batch ROSTER -o s3://bucket/plans``).

On a cluster, each worker reads the athlete's store from the URL and writes the new store and
.ics there itself, so no plan travels back to the client: for rosters too large to stream back.
Without ``--cluster`` the pool writes through the same code. A ``SharedFolder`` is only its URL:
it travels to workers as text and each process makes the filesystem itself (fsspec caches it),
with the credentials of fsspec's usual configuration there (environment variables, the
driver's own config files, ``~/.config/fsspec``).

Writing a file is all or nothing as far as the filesystem allows (a judgement call, per kind):
on a local (``file://``) path, through ``write_atomic`` - a temporary name in the same folder,
then a rename; elsewhere (object stores: S3, GCS, Azure) with the final name in one request,
since an object appears whole or not at all and a "rename" there is a copy and a delete. A
filesystem that is neither (SFTP, SMB) could show a partly written file if a worker dies while
writing it; the retry writes it whole again.

fsspec comes with Dask (the ``cluster`` extra); nothing here imports it before it is needed.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.errors import InputError, MissingExtra, RemoteError

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
INSTALL = "an fsspec URL for -o needs fsspec: pip install 'periodize[cluster]'"
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[^.]+\.tmp")   # write_atomic's temporary names


def is_url(text: str) -> bool:
    """Whether ``text`` is a URL (``scheme://...``) rather than a path."""
    return _URL.match(text) is not None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@dataclass(frozen=True)
class SharedFolder:
    """An output folder by its fsspec URL."""

    url: str

    def filesystem(self) -> tuple[Any, str]:
        """(fsspec filesystem, the folder's path on it); one-line errors for an unknown
        protocol (InputError, exit 2) and a driver that is not installed (MissingExtra)."""
        try:
            from fsspec.core import url_to_fs
        except ImportError:
            raise MissingExtra(INSTALL) from None
        try:
            fs, root = url_to_fs(self.url)
        except ImportError as exc:     # a known protocol whose driver is not installed
            package = getattr(exc.__cause__, "name", None) or "its fsspec driver"
            raise MissingExtra(f"-o: {self.url!r} needs {package} ({_one_line(exc)}): "
                               f"pip install {package}") from None
        except ValueError as exc:      # "Protocol not known: foo"
            raise InputError("-o", self.url, "a folder, or an fsspec URL of a protocol fsspec "
                             f"knows (file://, s3://, gcs://, ...) ({_one_line(exc)})") from None
        except Exception as exc:       # a driver that connects at once (ftp://, sftp://)
            raise RemoteError(f"-o: cannot reach {self.url!r} ({_one_line(exc)})") from None
        return fs, str(root).rstrip("/") or "/"

    def local(self) -> Path | None:
        """The folder as a local path, when the URL names one (``file://``)."""
        from fsspec.implementations.local import LocalFileSystem

        fs, root = self.filesystem()
        return Path(root) if isinstance(fs, LocalFileSystem) else None

    def private(self) -> bool:
        """Whether the folder lives in this process's memory (``memory://``), out of reach of
        any other process."""
        from fsspec.implementations.memory import MemoryFileSystem

        return isinstance(self.filesystem()[0], MemoryFileSystem)

    def location(self, name: str) -> str:
        """The URL of file ``name`` in this folder."""
        return f"{self.url.rstrip('/')}/{name}"

    def prepare(self) -> None:
        """Make a folder that is not local if needed and check that it can be written, before
        any planning, by writing and removing a probe file (RemoteError, exit 3: the outside
        world). A local one is checked as a plain ``-o DIR`` is."""
        fs, root = self.filesystem()
        probe = f"{root}/.periodize-probe"
        try:
            fs.makedirs(root, exist_ok=True)
            fs.pipe_file(probe, b"")
            fs.rm_file(probe)
        except Exception as exc:   # each driver raises its own (botocore, aiohttp, OSError)
            raise RemoteError(f"-o: cannot write to {self.url!r} ({_one_line(exc)})") from None

    def names(self) -> list[str]:
        """The names of the files in the folder."""
        fs, root = self.filesystem()
        try:
            return sorted(str(p).rsplit("/", 1)[-1] for p in fs.ls(root, detail=False))
        except FileNotFoundError:
            return []
        except Exception as exc:
            raise RemoteError(f"-o: cannot list {self.url!r} ({_one_line(exc)})") from None

    def read(self, name: str) -> bytes | None:
        """File ``name``'s bytes, None when there is no such file."""
        fs, root = self.filesystem()
        try:
            return bytes(fs.cat_file(f"{root}/{name}"))
        except FileNotFoundError:
            return None
        except Exception as exc:
            raise RemoteError(f"-o: cannot read {self.location(name)!r} ({_one_line(exc)})"
                              ) from None

    def write(self, name: str, data: bytes) -> None:
        """Write file ``name`` whole (see the module's note on what "whole" means where)."""
        local = self.local()
        if local is not None:
            from planner.store.files import write_atomic

            write_atomic(local / name, data, "-o")
            return
        fs, root = self.filesystem()
        try:
            fs.pipe_file(f"{root}/{name}", data)
        except Exception as exc:
            raise RemoteError(f"-o: cannot write {self.location(name)!r} ({_one_line(exc)})"
                              ) from None

    def sweep(self, names: Iterable[str]) -> int:
        """Remove temporary files that a worker killed while writing one of ``names`` left
        behind (its task ran again and wrote the file whole); how many were removed. Only local
        folders have them. Called when no task of the run is out any more."""
        local = self.local()
        if local is None:
            return 0
        wanted = set(names)
        removed = 0
        for path in local.iterdir():
            match = _TEMPORARY.fullmatch(path.name)
            if match is not None and match["name"] in wanted:
                with contextlib.suppress(OSError):   # left: harmless, named as a temporary
                    path.unlink()
                    removed += 1
        return removed
