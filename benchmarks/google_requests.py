"""How many HTTP requests `periodize sync --google` makes, counted against the tests' stand-in
for Google (tests/google_standin.py; no network): a first sync of the example plan, a sync after
it, and a sync after a replan around one missed session.

    python benchmarks/google_requests.py

A count, not a time: each line says the HTTP requests sent (a batch is one), the API calls in
them, how many of those wrote, and the sync's own summary. Everything goes to a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from google_standin import GoogleStandIn  # noqa: E402

from planner import commands  # noqa: E402
from planner.calendars import google_auth, google_sync  # noqa: E402

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_CONFIG_HOME"] = str(Path(folder) / "config")
        token = google_auth.token_path()
        token.parent.mkdir(parents=True)
        token.write_text('{"token": "access-0", "refresh_token": "refresh-1", "client_id": "c", '
                         '"client_secret": "s", "expiry": "2999-01-01T00:00:00Z"}')
        standin = GoogleStandIn()
        http_requests = 0

        def new_http() -> GoogleStandIn:
            return standin

        original = standin.request

        def counted(*args: object, **kwargs: object) -> object:
            nonlocal http_requests
            http_requests += 1
            return original(*args, **kwargs)  # type: ignore[arg-type]

        standin.request = counted  # type: ignore[method-assign,assignment]
        google_sync.new_http = new_http
        db = Path(folder) / "store.db"
        plan = commands.generate(ROOT / "examples" / "athlete.toml", db, None, NOW).plan

        def measure(label: str) -> None:
            nonlocal http_requests
            http_requests = 0
            standin.calls.clear()
            report = commands.sync_google(db, None, None)
            writes = len(standin.writes())
            print(f"{label}: {http_requests} HTTP requests, {len(standin.calls)} API calls, "
                  f"{writes} writes; {len(report.created)} created, {len(report.updated)} "
                  f"updated, {len(report.deleted)} deleted, {len(report.unchanged)} unchanged.")

        measure(f"first sync ({len(plan.sessions)} sessions, {len(plan.checks)} checks)")
        measure("a sync after it")
        missed = next(s for s in plan.week_sessions(2) if "plyometrics" in s.kinds)
        day = missed.start.date()
        commands.record(db, [day.isoformat()], "missed", None, NOW)
        commands.replan(db, day + dt.timedelta(days=1), None, None, NOW + dt.timedelta(days=1))
        measure(f"after `missed {day}` and a replan")


if __name__ == "__main__":
    main()
