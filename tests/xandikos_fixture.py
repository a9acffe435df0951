"""pytest plugin: a real Xandikos CalDAV server on 127.0.0.1, a second server written
independently of Radicale, started once per test session. Single user, no authentication (any
user name and password log in as the one principal, ``/user/``). ``caldav_url`` runs a test
against each server in turn."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator

import pytest
from radicale_fixture import free_port, run_server

SERVERS = ("radicale", "xandikos")


@pytest.fixture(scope="session")
def xandikos_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT/``) of a Xandikos server with a fresh folder."""
    if importlib.util.find_spec("xandikos") is None:
        pytest.skip("xandikos is not installed")
    home = tmp_path_factory.mktemp("xandikos")
    port = free_port()
    yield from run_server(
        [sys.executable, "-m", "xandikos", "serve", "--directory", str(home / "data"),
         "--defaults", "--listen-address", "127.0.0.1", "--port", str(port),
         "--no-detect-systemd", "--state-dir", str(home / "state")],
        f"http://127.0.0.1:{port}/", home / "xandikos.log", "xandikos")


@pytest.fixture(params=SERVERS)
def caldav_url(request: pytest.FixtureRequest) -> str:
    """The base URL of each test CalDAV server in turn (Radicale, then Xandikos)."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url
