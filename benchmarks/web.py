"""What `periodize serve` costs a request: the athlete's page, a log POST and the feed (200 and
304), each at 1, 10 and 50 concurrent clients, against the same server returning a static file
of the same size (the ratio is the figure: it takes the machine and the HTTP stack out).

    python benchmarks/web.py [--requests N] [--markdown]

The server runs in a process of its own (as `periodize serve` does: uvicorn with the settings of
planner/web/server.py), on a store generated from the tests' default profile starting two weeks ago,
so there are sessions to log. Each client holds one keep-alive connection and sends its share
of N requests (default 300 per row), after one request that is not timed (a row measures the
steady state: the pages' data and the feed are kept until the store changes). Log POSTs record
Monday's session done, each with a key of its own and an effort from 3 to 6 (every POST goes
through `done`: read, compare-and-swap, re-dose, a revision). "feed 200, store changed" moves
the store file's time before each request, so the feed is read and rendered again, as for the
first request after any change. The server's CPU per request is read from /proc (Linux).
Everything goes to a temporary folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from factories import write_profile  # noqa: E402

from planner import commands  # noqa: E402

TOKEN = "benchmark-token-0123456789"
CONCURRENCY = (1, 10, 50)
SERVER = """
import sys
from pathlib import Path
from starlette.responses import Response
from starlette.routing import Route
import cli
from planner.web.app import Settings, make_app
from planner.web.server import listen, serve
db, static = Path(sys.argv[1]), Path(sys.argv[2])
app = make_app(Settings([db], cli._now))
def static_file(request):     # a file read from disk and sent whole, through the same stack
    return Response((static / request.path_params["name"]).read_bytes(),
                    media_type="application/octet-stream")


app.router.routes.insert(0, Route("/bench/{name}", static_file))
sock = listen("127.0.0.1", 0)
print(sock.getsockname()[1], flush=True)
serve(app, sock)
"""


@dataclasses.dataclass
class Row:
    what: str
    clients: int
    p50: float
    p95: float
    rate: float
    statuses: str
    cpu_ms: float          # the server process's CPU (user + system) per request


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process ``pid`` has used so far (Linux: /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _request(connection: http.client.HTTPConnection, method: str, path: str,
             headers: dict[str, str], body: str | None) -> int:
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def measure(port: int, pid: int, what: str, clients: int, total: int,
            make: Callable[[int], tuple[str, str, dict[str, str], str | None]]) -> Row:
    """``total`` requests from ``clients`` threads, each on its own keep-alive connection."""
    times: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        # Log POSTs are one at a time (each is a compare-and-swap write): at 50 clients a POST
        # waits for the 49 before it, minutes on a loaded machine.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
        mine = range(index, total, clients)
        start.wait()
        for n in mine:
            method, path, headers, body = make(n)
            began = time.perf_counter()
            status = _request(connection, method, path, headers, body)
            took = time.perf_counter() - began
            with lock:
                times.append(took)
                statuses[status] = statuses.get(status, 0) + 1
        connection.close()

    warm = http.client.HTTPConnection("127.0.0.1", port, timeout=120)   # not timed: each row
    _request(warm, *make(-1))            # measures the steady state, not the first read
    warm.close()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    cpu = _cpu_seconds(pid)
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    cpu = _cpu_seconds(pid) - cpu
    ordered = sorted(times)
    return Row(what, clients, statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))],
               len(ordered) / wall, ", ".join(f"{n}×{s}" for s, n in sorted(statuses.items())),
               cpu * 1000 / len(ordered))


def _get(path: str, headers: dict[str, str] | None = None,
         ) -> Callable[[int], tuple[str, str, dict[str, str], str | None]]:
    return lambda n: ("GET", path, headers or {}, None)


def run(requests: int) -> tuple[list[Row], dict[str, int]]:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        today = dt.datetime.now(dt.UTC)
        monday = today.date() - dt.timedelta(days=today.weekday() + 7)
        db = base / "plan.db"
        commands.generate(write_profile(base, start=monday), db, None, today)
        commands.feed_token(db, TOKEN, renew=True)
        plan = commands.current_plan(db)
        logged = plan.local_date(plan.sessions[0]).isoformat()
        static = base / "static"
        static.mkdir()
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(db), str(static)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert server.stdout is not None
            port = int(server.stdout.readline())
            sizes = {}
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            for name, path in (("page", f"/a/{TOKEN}"), ("feed", f"/{TOKEN}.ics")):
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                sizes[name] = len(body)
                if name == "feed":
                    etag = response.getheader("ETag") or ""
                (static / f"{name}.bin").write_bytes(b"x" * len(body))
            connection.request("POST", f"/a/{TOKEN}/log", body=urlencode(
                {"key": "warm", "what": "done", "day": logged, "rpe": "5", "pain": "2"}),
                headers={"Content-Type": "application/x-www-form-urlencoded",
                         "Accept": "application/json"})
            answer = connection.getresponse()
            sizes["log"] = len(answer.read())
            (static / "log.bin").write_bytes(b"x" * sizes["log"])
            connection.close()

            def post(n: int) -> tuple[str, str, dict[str, str], str | None]:
                return ("POST", f"/a/{TOKEN}/log", {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json"}, urlencode({
                        "key": f"bench-{time.perf_counter_ns()}-{n}", "what": "done",
                        "day": logged, "rpe": str(3 + n % 4), "pain": "2"}))

            tag = [etag]

            def revalidate(n: int) -> tuple[str, str, dict[str, str], str | None]:
                # The row's first (untimed) request learns the feed's current ETag: the log
                # POSTs before it changed the plan, so the tag read at the start is stale.
                if n < 0:
                    ask = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    ask.request("GET", f"/{TOKEN}.ics")
                    answer = ask.getresponse()
                    answer.read()
                    tag[0] = answer.getheader("ETag") or ""
                    ask.close()
                return ("GET", f"/{TOKEN}.ics", {"If-None-Match": tag[0]}, None)

            def changed(n: int) -> tuple[str, str, dict[str, str], str | None]:
                # The store changed since the last request (its file's time moves on), so the
                # feed is read and rendered again: what the first request after a change costs.
                stamp = time.time_ns()
                os.utime(db, ns=(stamp, stamp))
                return ("GET", f"/{TOKEN}.ics", {}, None)

            cases: list[tuple[str, Callable[[int], tuple[str, str, dict[str, str],
                                                         str | None]]]] = [
                ("athlete page", _get(f"/a/{TOKEN}")),
                ("static, page's size", _get("/bench/page.bin")),
                ("log POST", post),
                ("static, log answer's size", _get("/bench/log.bin")),
                ("feed 200", _get(f"/{TOKEN}.ics")),
                ("feed 200, store changed", changed),
                ("feed 304", revalidate),
                ("static, feed's size", _get("/bench/feed.bin")),
            ]
            rows = [measure(port, server.pid, what, clients, requests, make)
                    for clients in CONCURRENCY for what, make in cases]
        finally:
            server.terminate()
            server.wait(60)
    return rows, sizes


def _ratio(rows: list[Row], what: str, static: str, clients: int) -> float:
    mine = next(r for r in rows if r.what == what and r.clients == clients)
    base = next(r for r in rows if r.what == static and r.clients == clients)
    return mine.p95 / base.p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--markdown", action="store_true")
    options = parser.parse_args()
    rows, sizes = run(options.requests)
    pairs = {"athlete page": "static, page's size", "log POST": "static, log answer's size",
             "feed 200": "static, feed's size", "feed 200, store changed": "static, feed's size",
             "feed 304": "static, feed's size"}
    print(f"Bodies: page {sizes['page'] / 1024:.1f} KiB, log answer {sizes['log']} B, feed "
          f"{sizes['feed'] / 1024:.0f} KiB; {options.requests} requests a row.\n")
    print("| request | clients | p50 | p95 | req/s | p95 ÷ static's | server CPU/request "
          "| answers |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        ratio = (f"{_ratio(rows, row.what, pairs[row.what], row.clients):.2f}×"
                 if row.what in pairs else "")
        print(f"| {row.what} | {row.clients} | {row.p50 * 1000:.1f} ms | "
              f"{row.p95 * 1000:.1f} ms | {row.rate:.0f} | {ratio} | {row.cpu_ms:.2f} ms | "
              f"{row.statuses} |")
    for clients in CONCURRENCY:
        def pick(what: str, clients: int = clients) -> Row:
            return next(r for r in rows if r.what == what and r.clients == clients)

        cached, full, fresh = pick("feed 304"), pick("feed 200"), pick("feed 200, store changed")
        print(f"\n{clients} client(s): a 304 costs the server {cached.cpu_ms:.2f} ms CPU, "
              f"{cached.cpu_ms / full.cpu_ms:.2f} of a 200 sent from memory and "
              f"{cached.cpu_ms / fresh.cpu_ms:.3f} of a 200 after a change (p50 "
              f"{cached.p50 / full.p50:.2f} and {cached.p50 / fresh.p50:.3f})", end="")
    print()
    if not options.markdown:
        print(json.dumps([dataclasses.asdict(r) for r in rows]))


if __name__ == "__main__":
    main()
