"""The athletes one server serves: a store, or a roster folder of stores (as ``batch`` writes),
each reached by its secret token. A request's token is compared with the tokens held in memory
before any store is opened; the memory is read again only when a store's files change (a stat,
not an open). The feed is kept per store and made again only when the store changed, so a
revalidation (304) costs a stat and a hash compare; the pages' data likewise (``kept``)."""

from __future__ import annotations

import datetime as dt
import hmac
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from planner.calendars.feed import Feed, read_feed, store_changed
from planner.store.database import feed_tokens


def _signature(db: Path) -> tuple[int, ...]:
    """What changes when the store changes: time, size and inode of the file and its WAL."""
    found: list[int] = []
    for path in (db, Path(f"{db}-wal")):
        try:
            st = path.stat()
        except OSError:
            found += [0, 0, 0]
            continue
        found += [st.st_mtime_ns, st.st_size, st.st_ino]
    return tuple(found)


@dataclass
class _Known:
    signature: tuple[int, ...]
    tokens: frozenset[str]
    feed: tuple[str, Feed] | None = None     # (the token it was read for, the feed)
    made: dict[Hashable, object] = field(default_factory=dict)   # what pages read, by key


@dataclass(frozen=True)
class Athlete:
    """One store the server serves, named by its file's stem (unique in a folder)."""

    slug: str
    db: Path


_T = TypeVar("_T")


class Site:
    """The stores served and what is known of each, shared by the server's threads."""

    def __init__(self, stores: list[Path]) -> None:
        self.athletes = tuple(Athlete(p.stem, p) for p in stores)
        self._known: dict[Path, _Known] = {}
        self._lock = threading.Lock()
        self._making: dict[Path, threading.RLock] = {}

    def by_slug(self, slug: str) -> Athlete | None:
        return next((a for a in self.athletes if a.slug == slug), None)

    def _refresh(self, athlete: Athlete) -> _Known:
        signature = _signature(athlete.db)
        with self._lock:
            known = self._known.get(athlete.db)
            if known is None or known.signature != signature:
                known = _Known(signature, feed_tokens(athlete.db))
                self._known[athlete.db] = known
            return known

    def athlete(self, token: str) -> Athlete | None:
        """The athlete whose store holds ``token`` (each compared in constant time), or None;
        no store is opened for a wrong token."""
        found = None
        raw = token.encode()
        for athlete in self.athletes:
            for held in self._refresh(athlete).tokens:
                if hmac.compare_digest(raw, held.encode()):
                    found = athlete
        return found

    def feed(self, athlete: Athlete, token: str, now: dt.datetime) -> Feed | None:
        """The athlete's feed for ``token`` (None: not the current plan's token) as of ``now``,
        read from the store only when it changed, or the day it was made for ended, since the
        last time."""
        def held(known: _Known) -> Feed | None:
            cached = known.feed
            if cached is not None and hmac.compare_digest(cached[0].encode(), token.encode()) \
                    and (cached[1].until is None or now.timestamp() < cached[1].until):
                return cached[1]
            return None

        found = held(self._refresh(athlete))
        if found is not None:
            return found
        with self._making_lock(athlete):    # one thread renders; the others wait and take it
            known = self._refresh(athlete)
            found = held(known)
            if found is not None:
                return found
            changed = store_changed(athlete.db)       # before reading (see store_changed)
            feed = read_feed(athlete.db, token, changed, now)
            if feed is not None:
                with self._lock:
                    if self._known.get(athlete.db) is known and known.signature == _signature(
                            athlete.db):
                        known.feed = (token, feed)
        return feed

    def _making_lock(self, athlete: Athlete) -> threading.RLock:
        with self._lock:
            return self._making.setdefault(athlete.db, threading.RLock())

    def kept(self, athlete: Athlete, key: Hashable, make: Callable[[], _T]) -> _T:
        """What ``make`` reads from the athlete's store, kept under ``key`` (which must hold
        everything else it depends on, e.g. the day) until the store's files change. One
        thread makes it; others asking meanwhile wait for it rather than read the store too."""
        known = self._refresh(athlete)
        if key in known.made:
            return known.made[key]  # type: ignore[return-value]
        with self._making_lock(athlete):
            known = self._refresh(athlete)
            if key in known.made:
                return known.made[key]  # type: ignore[return-value]
            value = make()
            with self._lock:
                if self._known.get(athlete.db) is known and known.signature == _signature(
                        athlete.db):
                    if len(known.made) > 64:        # a few days and sessions, not unbounded
                        known.made.clear()
                    known.made[key] = value
        return value
