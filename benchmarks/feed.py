"""What `periodize feed` costs a request: the example plan, then a 52-week plan, each fetched
in full (200) and revalidated (If-None-Match -> 304) over loopback, medians of 15 requests.

    python benchmarks/feed.py

Each line: the plan's events, the body's bytes, the median time of a 200 and of a 304, and
their ratio. The server keeps the last feed made and makes it again only when the store's files
changed (``planner.web.site``). Everything goes to a temporary folder. benchmarks/web.py measures
the pages and the feed under concurrent clients.
"""

from __future__ import annotations

import datetime as dt
import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from factories import write_profile  # noqa: E402

from planner import commands  # noqa: E402
from planner.web.app import Settings, make_app  # noqa: E402
from planner.web.server import running  # noqa: E402

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
RUNS = 15


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[float, int, str]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return time.perf_counter() - started, len(body), response.getheader("ETag") or ""


def measure(name: str, profile: Path, db: Path) -> None:
    commands.generate(profile, db, None, NOW)
    _, token = commands.feed_token(db, "benchmark-token", renew=False)
    app = make_app(Settings([db], lambda: dt.datetime.now(dt.UTC), feed_only=True))
    with running(app) as server:
        port, path = server.port, f"/{token}.ics"
        _, size, etag = fetch(port, path, {})
        full = [fetch(port, path, {})[0] for _ in range(RUNS)]
        cached = [fetch(port, path, {"If-None-Match": etag})[0] for _ in range(RUNS)]
    sessions = len(commands.current_plan(db).sessions)
    a, b = statistics.median(full), statistics.median(cached)
    print(f"{name}: {sessions} events, {size / 1024:.0f} KiB; 200 in {a * 1000:.0f} ms, "
          f"304 in {b * 1000:.0f} ms ({b / a:.2f} of a 200)")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "example").mkdir()
        (base / "year").mkdir()
        measure("example (8 weeks)", ROOT / "examples" / "athlete.toml", base / "example.db")
        measure("52 weeks", write_profile(base / "year", weeks=52), base / "year" / "y.db")


if __name__ == "__main__":
    main()
