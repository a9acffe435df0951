"""The plan as a subscribable iCalendar feed over HTTP: the "From URL" / "subscribe" of Google
Calendar, Apple Calendar and Outlook, which refresh it on their own.

Served by the standard library's ``http.server``. ``GET /<token>.ics`` answers the current plan
as ``text/calendar; charset=utf-8``, built from the store on every request, so a replan, an undo
or a done/missed entry shows at the next refresh: the plan with the log's marks (a missed session
is CANCELLED at once), and the sessions replans dropped, CANCELLED. The token is a secret kept
per plan in the store; any other path (a wrong token) gets the same bare 404, which says nothing
about the plan. ``ETag`` (a hash of the body) and ``Last-Modified`` (the store file's time) let
clients ask ``If-None-Match`` / ``If-Modified-Since`` and get 304 when nothing changed.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import socket
import sys
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from catalog import default_catalog
from planner.calendars.export.ics import plan_calendar
from planner.errors import PeriodizeError
from planner.store.database import open_store

#: Asked of clients that honour it (REFRESH-INTERVAL, X-PUBLISHED-TTL): Apple and Outlook
#: refresh a subscription on their own schedule, shortened to this when they follow the hint.
REFRESH = dt.timedelta(hours=1)
CONTENT_TYPE = "text/calendar; charset=utf-8"
_NOT_FOUND = b"Not found\n"


@dataclass(frozen=True)
class Feed:
    """What one answer holds: the body, its entity tag and when the store last changed."""

    body: bytes
    etag: str
    modified: dt.datetime


def feed_path(token: str) -> str:
    return f"/{token}.ics"


def read_feed(db: Path, path: str) -> Feed | None:
    """The current plan's feed, read from the store now, if ``path`` is its feed's path (the
    token compared in constant time); else None."""
    with open_store(db) as store:
        stored = store.current()[0]
        token = store.feed_token(stored.plan_id)
        if token is None or not hmac.compare_digest(path.encode(), feed_path(token).encode()):
            return None
        plan = store.marked(stored)
        dropped = store.dropped(stored)
    body = plan_calendar(plan, default_catalog().safety_note, dropped=dropped, refresh=REFRESH)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    changed = max(p.stat().st_mtime for p in (db, Path(f"{db}-wal")) if p.exists())
    return Feed(body, etag, dt.datetime.fromtimestamp(int(changed), dt.UTC))


class FeedServer(ThreadingHTTPServer):
    """Serves the feed of the current plan in the store ``db`` at ``feed_path(its token)``."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], db: Path) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)
        self.db = db

    def url(self, token: str) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{feed_path(token)}"


class _Handler(BaseHTTPRequestHandler):
    server: FeedServer

    def version_string(self) -> str:
        """The Server header: no Python version told to the world."""
        return "periodize"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        try:
            feed = read_feed(self.server.db, urlsplit(self.path).path)
        except PeriodizeError as exc:          # no plan any more, a damaged store
            self.log_message("%s", exc)
            feed = None
        if feed is None:                       # the same bare answer for every failure
            self._send(HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain; charset=utf-8"},
                       _NOT_FOUND, send_body)
            return
        headers = {"ETag": feed.etag, "Cache-Control": "no-cache",
                   "Last-Modified": email.utils.format_datetime(feed.modified, usegmt=True)}
        if self._unchanged(feed):
            self._send(HTTPStatus.NOT_MODIFIED, headers, b"", send_body=False)
            return
        headers |= {"Content-Type": CONTENT_TYPE,
                    "Content-Disposition": 'inline; filename="plan.ics"'}
        self._send(HTTPStatus.OK, headers, feed.body, send_body)

    def _unchanged(self, feed: Feed) -> bool:
        """RFC 9110 13.1: If-None-Match decides when sent; else If-Modified-Since."""
        tags = self.headers.get("If-None-Match")
        if tags is not None:
            return tags.strip() == "*" or feed.etag in (t.strip() for t in tags.split(","))
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            when = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        return when.tzinfo is not None and feed.modified <= when

    def _send(self, status: HTTPStatus, headers: dict[str, str], body: bytes,
              send_body: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line a request, without the path: the token is a secret, even in a log."""
        sys.stderr.write(f"{self.log_date_time_string()} {self.address_string()} "
                         f"{self.command} {code}\n")
