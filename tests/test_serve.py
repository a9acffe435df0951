"""``periodize serve`` as a process: the addresses it prints (each athlete's first, then the
physio's), loopback unless told, one line for a bad address, exit codes by signal as the docs say,
the operator's terminal safe from what clients send, and 1,000 clients at once queued rather than
reset (issue 28 §4)."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import run, write_profile

import cli

pytest.importorskip("uvicorn", reason="the web extra is not installed")

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def served_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("serve")
    db = folder / "plan.db"
    result = run("--db", str(db), "generate", str(write_profile(folder)))
    assert result.exit_code == 0, result.output
    return db


def _start(db: Path, *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "--db", str(db), "serve", "--port", "0", *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL)
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != "Ctrl-C stops.":
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        lines.append(line.strip())
    return process, lines


@pytest.fixture
def server(served_store: Path) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    process, lines = _start(served_store)
    try:
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=60)


def _host_port(url: str) -> tuple[str, int, str]:
    rest = url.removeprefix("http://")
    host_port, _, path = rest.partition("/")
    host, _, port = host_port.rpartition(":")
    return host, int(port), "/" + path


def test_serve_prints_the_athletes_address_then_the_physios(
        server: tuple[subprocess.Popen[str], list[str]]) -> None:
    _process, lines = server
    athlete, physio = lines[0], lines[1]
    assert athlete.startswith("Test athlete: http://127.0.0.1:") and "/a/" in athlete
    assert physio.startswith("Physio: http://127.0.0.1:") and "/physio/" in physio
    host, port, path = _host_port(athlete.split(": ", 1)[1])
    connection = http.client.HTTPConnection(host, port, timeout=60)
    connection.request("GET", path)
    answer = connection.getresponse()
    assert answer.status == 200 and b"Test athlete" in answer.read()


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129),
                                           (signal.SIGINT, 130)])
def test_a_signal_stops_it_with_the_shells_code(served_store: Path, sig: int,
                                                code: int) -> None:
    process, _lines = _start(served_store)
    process.send_signal(sig)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == code
    assert "stopped" in err and "Traceback" not in err


def test_a_request_line_with_escape_codes_reaches_the_terminal_escaped(
        server: tuple[subprocess.Popen[str], list[str]]) -> None:
    process, lines = server
    host, port, _ = _host_port(lines[0].split(": ", 1)[1])
    with socket.create_connection((host, port), timeout=60) as sock:
        sock.sendall(b"G\x1b[2J\x1b]0;owned\x07ET /\x1b[31m HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.recv(4096)
    with socket.create_connection((host, port), timeout=60) as sock:
        sock.sendall(b"GET /a/wrong\x1b[31m/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        sock.recv(4096)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert "\x1b" not in err and "\x07" not in err
    assert lines[0].split("/a/")[1].strip("/") not in err, "the token is never logged"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.0.2.1"])
def test_a_network_address_needs_the_flag(served_store: Path, host: str) -> None:
    result = CliRunner().invoke(cli.main, ["--db", str(served_store), "serve", "--host", host])
    assert result.exit_code == 2
    assert result.output.startswith("Error: --host") and "--allow-network" in result.output
    assert result.output.count("\n") == 1


def test_with_the_flag_it_says_the_plan_is_reachable(served_store: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "--db", str(served_store), "serve", "--port", "0",
         "--host", "0.0.0.0", "--allow-network"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert "reachable from the network" in err
    assert "0.0.0.0" not in first, "an address people can use, not the wildcard"


@pytest.mark.slow
def test_a_thousand_clients_at_once_are_queued_not_reset(
        server: tuple[subprocess.Popen[str], list[str]]) -> None:
    _process, lines = server
    host, port, _ = _host_port(lines[0].split(": ", 1)[1])
    clients = 1000
    barrier = threading.Barrier(clients)
    results: list[str] = []
    lock = threading.Lock()

    def one() -> None:
        try:
            sock = socket.create_connection((host, port), timeout=120)
        except OSError as exc:
            with lock:
                results.append(f"connect {exc.__class__.__name__}")
            return
        try:
            barrier.wait()
            sock.sendall(b"GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            head = sock.recv(64)
            with lock:
                results.append(head.split(b"\r\n")[0].decode() or "empty")
        except OSError as exc:
            with lock:
                results.append(exc.__class__.__name__)
        finally:
            sock.close()

    threads = [threading.Thread(target=one) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reset = [r for r in results if "Reset" in r or "connect" in r or r == "empty"]
    assert len(results) == clients
    assert not reset, f"{len(reset)} of {clients}: {sorted(set(reset))}"
    assert all(r.startswith("HTTP/1.1 ") for r in results)


def test_unfinished_requests_that_close_cost_nothing(
        server: tuple[subprocess.Popen[str], list[str]]) -> None:
    """The old server rendered the calendar for each of 1,000 unfinished requests when they
    closed (RSS 54 -> 767 MB, 1,000 BrokenPipeError tracebacks): here a request that never
    ends never reaches the application, and the server still answers afterwards."""
    process, lines = server
    host, port, path = _host_port(lines[0].split(": ", 1)[1])
    token = path.split("/")[2]
    idle = [socket.create_connection((host, port), timeout=60) for _ in range(300)]
    for n, sock in enumerate(idle):
        sock.sendall(f"GET /{token}.ics HTTP/1.1\r\nHost: x\r\n".encode() if n % 2 else b"")
    for sock in idle:
        sock.close()
    connection = http.client.HTTPConnection(host, port, timeout=60)
    connection.request("GET", f"/{token}.ics")
    assert connection.getresponse().status == 200
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err
    served = [line for line in err.splitlines() if line.endswith((" 200", " 304", " 404"))]
    assert len(served) == 1, "only the finished request reached the application"
