"""The plan as a subscribable iCalendar feed: the "From URL" / "subscribe" of Google Calendar,
Apple Calendar and Outlook, which refresh it on their own.

``periodize feed`` and ``periodize serve`` answer ``GET /<token>.ics`` with the current plan
as ``text/calendar; charset=utf-8`` (the HTTP side lives in ``planner.web``): the plan with the
log's marks (a missed session is CANCELLED at once) and the sessions replans dropped, CANCELLED.
The token is a secret kept per plan in the store; a wrong token gets a bare 404 that says
nothing about the plan. ``ETag`` (a hash of the body) and ``Last-Modified`` (when the store last
changed) let clients ask ``If-None-Match`` / ``If-Modified-Since`` and get 304 when nothing
changed. This module holds what the answer is made of; it reads no clock (callers pass it).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import math
from dataclasses import dataclass
from pathlib import Path

from catalog import default_catalog
from planner.calendars.export.ics import plan_calendar
from planner.calendars.export.log_links import links_for
from planner.store.database import open_store

#: Asked of clients that honour it (REFRESH-INTERVAL, X-PUBLISHED-TTL): Apple and Outlook
#: refresh a subscription on their own schedule, shortened to this when they follow the hint.
REFRESH = dt.timedelta(hours=1)
CONTENT_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class Feed:
    """What one answer holds: the body, its entity tag and when the store last changed (seconds
    since the epoch, to the file system's precision)."""

    body: bytes
    etag: str
    changed: float
    until: float | None = None     # when the day it was made for ends (then it is made again)


def feed_path(token: str) -> str:
    return f"/{token}.ics"


def store_changed(db: Path) -> float:
    """When the store at ``db`` last changed: its file's or its write-ahead log's time. Read
    BEFORE the plan is read, so a change in between makes the time older, never newer, than
    what was read (a client then asks again rather than keeping a stale copy)."""
    return max(p.stat().st_mtime for p in (db, Path(f"{db}-wal")) if p.exists())


def read_feed(db: Path, token: str, changed: float | None = None,
              now: dt.datetime | None = None) -> Feed | None:
    """The current plan's feed as of ``now``'s day in the plan's zone (``plan_as_of``; None:
    as stored), read from the store now, if ``token`` is its feed's token (compared in
    constant time); else None. ``changed``: ``store_changed(db)`` read before. A day's start
    counts as a change: the doses as of a day move with the day (a session not logged holds
    the levels after it), so a client asking If-Modified-Since gets the new day's feed."""
    from planner.training.plan_as_of import hand_out, plan_as_of

    when = store_changed(db) if changed is None else changed
    with open_store(db) as store:
        stored = store.current().plan
        held = store.feed_token(stored.plan_id)
        if held is None or not hmac.compare_digest(token.encode(), held.encode()):
            return None
        seen = plan_as_of(store, now)
        dropped = store.dropped(stored)
        hand_out(store, seen)
    body = plan_calendar(seen.plan, default_catalog().safety_note, dropped=dropped,
                         refresh=REFRESH, links=links_for(seen.profile, held))
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    until = None
    if seen.day is not None:
        start = dt.datetime.combine(seen.day, dt.time(), tzinfo=seen.plan.tz)
        when = max(when, start.timestamp())
        until = dt.datetime.combine(seen.day + dt.timedelta(days=1), dt.time(),
                                    tzinfo=seen.plan.tz).timestamp()
    return Feed(body, etag, when, until)


def last_modified(feed: Feed, now: float) -> str | None:
    """The ``Last-Modified`` value: the whole second of the last change, but only once that
    second is over. HTTP dates have whole seconds, so a second change within the same second
    would carry the same date and a client asking ``If-Modified-Since`` would be told "not
    modified" for a feed that was (Apache does the same); until the second ends the answer
    carries no date and clients revalidate by ETag."""
    second = math.floor(feed.changed)
    if second >= math.floor(now):
        return None
    return email.utils.format_datetime(dt.datetime.fromtimestamp(second, dt.UTC), usegmt=True)


def _opaque(tag: str) -> str:
    """An entity tag without its weakness mark: nginx with gzip turns "x" into W/"x"."""
    tag = tag.strip()
    return tag[2:] if tag[:2] in ("W/", "w/") else tag


def unchanged(feed: Feed, if_none_match: str | None, if_modified_since: str | None,
              now: float) -> bool:
    """RFC 9110 13.1: If-None-Match decides when sent (compared weakly, 13.1.2); else
    If-Modified-Since, against the date ``last_modified`` gives (none yet: changed)."""
    if if_none_match is not None:
        tags = [t for t in if_none_match.split(",") if t.strip()]
        return any(t.strip() == "*" or _opaque(t) == _opaque(feed.etag) for t in tags)
    sent = last_modified(feed, now)
    if if_modified_since is None or sent is None:
        return False
    try:
        when = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False
    if when.tzinfo is None:
        return False
    return math.floor(feed.changed) <= when.timestamp()
