"""Serving the application with uvicorn: one asyncio process, a deep listen backlog (1,000
clients connecting at once are queued, not reset), idle keep-alive connections closed after a
few seconds, a cap on connections at once (beyond it: 503, not unbounded memory), no access log
of ours with paths (tokens are secrets), and an exit by signal that says which one."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import socket
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

#: The listen queue asked of the kernel (Linux caps it at net.core.somaxconn, 4096 by default
#: since 5.4): the old feed server's 5 reset 372 of 1,000 clients connecting at once.
BACKLOG = 4096
#: Seconds an idle keep-alive connection is held (uvicorn's default; calendar clients make one
#: request and go).
KEEP_ALIVE_S = 5
#: Connections and tasks at once; beyond it uvicorn answers 503 at once instead of holding
#: a thread and a rendered calendar per connection (the old server: 3,001 threads, 767 MB).
LIMIT_CONCURRENCY = 2000
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: Seconds a connection may take to send a whole request head (line and headers), from when it
#: opens or its last answer ends: one that sends nothing, or a head that never ends (a
#: "slowloris"), is closed instead of holding a place among LIMIT_CONCURRENCY for ever.
HEAD_TIMEOUT_S = 10.0


class HeadDeadline(H11Protocol):
    """uvicorn's h11 protocol with ``HEAD_TIMEOUT_S`` for each request's head (uvicorn's own
    keep-alive timer starts only after a first answer)."""

    head_timeout = HEAD_TIMEOUT_S
    _head: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._head = self.loop.call_later(self.head_timeout, self._expired)

    def _disarm(self) -> None:
        if self._head is not None:
            self._head.cancel()
            self._head = None

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and not self.cycle.response_complete:   # a request began
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _expired(self) -> None:
        self._head = None
        if (self.cycle is None or self.cycle.response_complete) and \
                not self.transport.is_closing():
            self.transport.close()


def is_loopback(host: str) -> bool:
    """Whether ``host`` listens on this machine only: a loopback address or 'localhost'."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def listen(host: str, port: int) -> socket.socket:
    """A socket bound and listening (``OSError`` when the address is not free or not ours)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY on accepted connections only when the
    # socket says TCP, and without it a small answer written in two parts waited for the
    # client's delayed ACK (48 ms a request at one client, measured with benchmarks/web.py).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((host.strip("[]"), port))
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def config(app: Any, head_timeout: float = HEAD_TIMEOUT_S) -> uvicorn.Config:
    protocol = type("Protocol", (HeadDeadline,), {"head_timeout": head_timeout})
    return uvicorn.Config(
        app, http=protocol, backlog=BACKLOG, timeout_keep_alive=KEEP_ALIVE_S,
        limit_concurrency=LIMIT_CONCURRENCY, access_log=False, log_level="warning",
        server_header=False, proxy_headers=False, lifespan="off", log_config=None,
        timeout_graceful_shutdown=5)


class Server(uvicorn.Server):
    """uvicorn's server, stopped gracefully by SIGINT, SIGTERM or SIGHUP; ``stopped_by`` says
    which (the command then exits 128 + its number: 130, 143, 129)."""

    stopped_by: int | None = None
    ready: Callable[[], None] | None = None     # called once listening, signals handled

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.ready is not None:
            self.ready()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        before = {sig: signal.signal(sig, self._stop) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)

    def _stop(self, sig: int, frame: object) -> None:
        if self.stopped_by is None:
            self.stopped_by = sig
        self.should_exit = True


def serve(app: Any, sock: socket.socket, ready: Callable[[], None] | None = None) -> int | None:
    """Serve ``app`` on ``sock`` until a stop signal; the signal's number. ``ready`` is called
    once the server listens with its signal handlers in place (say the addresses there)."""
    server = Server(config(app))
    server.ready = ready
    server.run(sockets=[sock])
    return server.stopped_by


@dataclass
class Running:
    """A server running in a thread (tests and benchmarks): its base URL."""

    url: str
    port: int


@contextlib.contextmanager
def running(app: Any, host: str = "127.0.0.1", port: int = 0,
            head_timeout: float = HEAD_TIMEOUT_S) -> Iterator[Running]:
    """Serve ``app`` in a thread on ``host`` (port 0: a free one) while the block runs."""
    sock = listen(host, port)
    server = Server(config(app, head_timeout))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            threading.Event().wait(0.01)
        bound = sock.getsockname()
        yield Running(f"http://{host}:{bound[1]}", int(bound[1]))
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
