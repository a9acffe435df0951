"""pytest plugin: a real Radicale CalDAV server on 127.0.0.1, started once per test session.

Any user name logs in (no passwords). Every user may read and write their own calendars, except
``READONLY_USER``, who may only read theirs: that is how a refused calendar creation is tested.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from icalendar import Calendar, Component

READONLY_USER = "readonly"
# Radicale is polled until it answers or exits; the count only guards against a server that
# neither answers nor exits (a hang), it is not a limit on how fast a loaded machine starts it.
START_POLLS = 2400          # 0.05 s apart: two minutes and more

_RIGHTS = f"""\
[readonly-principal]
user: {READONLY_USER}
collection: {READONLY_USER}
permissions: RrW

[readonly-calendars]
user: {READONLY_USER}
collection: {READONLY_USER}/.*
permissions: Rr

[owner]
user: .+
collection: {{user}}(/.*)?
permissions: RrWw

[root]
user: .+
collection:
permissions: R
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True                      # any HTTP status means the server is up
    except OSError:
        return False


@pytest.fixture(scope="session")
def radicale_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT/``) of a Radicale server with a fresh storage folder."""
    if importlib.util.find_spec("radicale") is None:
        pytest.skip("radicale is not installed")
    home = tmp_path_factory.mktemp("radicale")
    rights = home / "rights"
    rights.write_text(_RIGHTS, encoding="utf-8")
    port = free_port()
    yield from run_server(
        [sys.executable, "-m", "radicale", "--config", "",
         "--server-hosts", f"127.0.0.1:{port}",
         "--auth-type", "none", "--auth-delay", "0",
         "--rights-type", "from_file", "--rights-file", str(rights),
         "--storage-filesystem-folder", str(home / "storage"),
         "--logging-level", "warning"],
        f"http://127.0.0.1:{port}/", home / "radicale.log", "radicale")


def run_server(command: list[str], url: str, log_path: Path, name: str) -> Iterator[str]:
    """Start a server (``command``, its output to ``log_path``), yield ``url`` once it answers,
    stop it afterwards: the body of a server fixture."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        wait_until_up(process, url, log_path, name)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def wait_until_up(process: subprocess.Popen[bytes], url: str, log_path: Path,
                  name: str = "radicale") -> None:
    """Poll ``url`` until the server ``process`` answers; fail with its log if it never does."""
    for _ in range(START_POLLS):
        if process.poll() is not None:
            pytest.fail(f"{name} exited with code {process.returncode} before answering:\n"
                        + log_path.read_text(encoding="utf-8", errors="replace"))
        if _answers(url):
            return
        time.sleep(0.05)
    pytest.fail(f"{name} did not answer on {url} after {START_POLLS} polls:\n"
                + log_path.read_text(encoding="utf-8", errors="replace"))


@pytest.fixture
def caldav_calendar_name(request: pytest.FixtureRequest) -> str:
    """A calendar display name no other test uses."""
    return f"periodize test {request.node.name} {uuid.uuid4().hex[:8]}"


def open_calendar(url: str, name: str, *, create: bool = False, user: str = "athlete") -> Any:
    """The calendar called ``name`` of ``user`` on the test server (any password logs in)."""
    from caldav.davclient import DAVClient

    principal = DAVClient(url=url, username=user, password="x").get_principal()
    for calendar in cast(list[Any], principal.get_calendars()):
        if calendar.get_display_name() == name:
            return calendar
    assert create, f"no calendar named {name!r} on the server"
    return principal.make_calendar(name=name)


def caldav_rule_breaks(data: bytes) -> list[str]:
    """How one stored calendar object breaks RFC 4791 section 4.1 or our resource form: a METHOD,
    a calendar-level UID or NAME, VEVENTs of more than one UID, a TZID without its VTIMEZONE."""
    calendar = Calendar.from_ical(data)
    breaks = [f"calendar-level {name}" for name in ("METHOD", "UID", "NAME", "X-WR-CALNAME")
              if name in calendar]
    uids = {str(event.get("UID")) for event in calendar.walk("VEVENT")}
    if len(uids) != 1:
        breaks.append(f"{len(uids)} UIDs in one resource")
    if calendar.get_missing_tzids():
        breaks.append(f"no VTIMEZONE for {sorted(calendar.get_missing_tzids())}")
    return breaks


def stored_rule_breaks(url: str, name: str, user: str = "athlete") -> dict[str, list[str]]:
    """Resource URL -> its CalDAV rule breaks, for every resource of the calendar that has any."""
    found = {}
    for obj in open_calendar(url, name, user=user).get_events():
        breaks = caldav_rule_breaks(obj.raw_data if isinstance(obj.raw_data, bytes)
                                    else str(obj.raw_data).encode())
        if breaks:
            found[str(obj.url)] = breaks
    return found


def server_events(url: str, name: str, user: str = "athlete",
                  ) -> dict[str, list[tuple[str, str, Component]]]:
    """UID -> [(resource URL, ETag, VEVENT)], one entry per resource holding that UID."""
    found: dict[str, list[tuple[str, str, Component]]] = {}
    for obj in open_calendar(url, name, user=user).get_events():
        for event in Calendar.from_ical(obj.raw_data).walk("VEVENT"):
            found.setdefault(str(event["UID"]), []).append((str(obj.url), obj.etag, event))
    return found
