"""`periodize feed`: the plan as a subscribable calendar over HTTP. A real subscriber
(vdirsyncer's read-only http storage) pulls it before and after a replan; the answers carry the
right Content-Type, ETag/Last-Modified and 304; a wrong token gets a bare 404."""

from __future__ import annotations

import datetime as dt
import http.client
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from factories import NOW, events_of, write_profile
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar
from subscribers import synced_events, vdirsyncer_sync

import cli
from planner import commands
from planner.calendars.export.ics import summary
from planner.store.database import open_store
from planner.store.plan import Plan, Session

ROOT = Path(__file__).parent.parent
EVENINGS = {d: ["18:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
FEWER = {"mon": ["18:30-20:30"], "thu": ["18:00-20:00"]}   # Monday later: sessions move
TOKEN = "s3cret-feed-token-for-tests"


@dataclass
class Served:
    db: Path
    host: str
    port: int
    path: str
    folder: Path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    db = tmp_path / "plan.db"
    commands.generate(write_profile(tmp_path, availability=EVENINGS), db, None, NOW)
    _, token = commands.feed_token(db, TOKEN, renew=False)
    assert token == TOKEN
    pytest.importorskip("uvicorn", reason="the web extra is not installed")
    from planner.web.app import Settings, make_app
    from planner.web.server import running

    with running(make_app(Settings([db], _clock, feed_only=True))) as server:
        yield Served(db, "127.0.0.1", server.port, f"/{TOKEN}.ics", tmp_path)


def _clock() -> dt.datetime:
    """The server's clock in these tests: the real one (Last-Modified follows the store's
    file times)."""
    return dt.datetime.now(dt.UTC)


def get(served: Served, path: str, method: str = "GET", **headers: str,
        ) -> tuple[int, http.client.HTTPMessage, bytes]:
    connection = http.client.HTTPConnection(served.host, served.port, timeout=30)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()   # names in any case
    finally:
        connection.close()


def by_uid(body: bytes) -> dict[str, tuple[str, dt.datetime, str]]:
    """UID -> (STATUS, start, SUMMARY)."""
    found = {}
    for event in Calendar.from_ical(body).events:
        start = event.start
        if not isinstance(start, dt.datetime):       # a PSFS check-in, all day: its midnight
            start = dt.datetime.combine(start, dt.time(), ZoneInfo("Europe/London"))
        found[str(event["UID"])] = (str(event["STATUS"]), start, str(event["SUMMARY"]))
    return found


def test_the_feed_is_the_current_plan_as_text_calendar(served: Served) -> None:
    _aged(served.db)
    status, headers, body = get(served, served.path)
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    assert headers["ETag"].startswith('"') and headers["Last-Modified"].endswith(" GMT")
    assert headers["Server"] == "periodize", "no Python version told"
    plan = commands.current_plan(served.db)
    events = by_uid(body)
    assert {uid: (s, start) for uid, (s, start, _) in events.items()} == {
        s.uid: ("CONFIRMED", s.start) for s in events_of(plan)}
    calendar = Calendar.from_ical(body)
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body
    assert b"X-PUBLISHED-TTL:PT1H" in body
    assert calendar.get("X-PUBLISHED-TTL") is not None
    head_status, head_headers, head_body = get(served, served.path, "HEAD")
    assert (head_status, head_body, head_headers["ETag"]) == (200, b"", headers["ETag"])


def _aged(db: Path, seconds: float = 5) -> None:
    """The store as if its last change were ``seconds`` ago (a feed's Last-Modified is sent
    once the second of the last change is over)."""
    import os
    import time

    then = time.time() - seconds   # a file time to set, not a limit
    for path in (db, Path(f"{db}-wal")):
        if path.exists():
            os.utime(path, (then, then))


def test_unchanged_is_304_and_a_log_entry_changes_the_feed_at_once(served: Served) -> None:
    _aged(served.db)
    _, headers, _body = get(served, served.path)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    for condition in ({"If-None-Match": etag}, {"If-None-Match": f'"other", {etag}'},
                      {"If-Modified-Since": modified}):
        status, again, empty = get(served, served.path, **condition)
        assert (status, empty, again["ETag"]) == (304, b"", etag), condition
    assert get(served, served.path, **{"If-None-Match": '"other"'})[0] == 200

    plan = commands.current_plan(served.db)
    first = plan.sessions[0]
    commands.record(served.db, [first.start.date().isoformat()], "missed", None, NOW)
    status, headers, changed = get(served, served.path, **{"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    assert by_uid(changed)[first.uid][0] == "CANCELLED"
    assert by_uid(changed)[first.uid][2].startswith("Missed: ")


def test_a_wrong_token_gets_a_bare_404(served: Served) -> None:
    plan = commands.current_plan(served.db)
    answers = []
    for path in ("/", "/wrong.ics", f"/{TOKEN}", f"/{TOKEN}.ics/", f"/{TOKEN[:-1]}.ics",
                 f"/{TOKEN}x.ics", f"/{plan.plan_id}.ics", "/plan.ics", "/../plan.db"):
        status, headers, body = get(served, path)
        assert status == 404, path
        assert plan.name.encode() not in body and plan.plan_id.encode() not in body
        assert b"VCALENDAR" not in body
        answers.append((body, headers.get("Content-Type"), headers.get("Content-Length")))
    assert len(set(answers)) == 1, "every wrong path gets the same answer"
    assert get(served, f"/{TOKEN}.ics?x=1")[0] == 200


def expected(plan: Plan, dropped: Sequence[Session] = ()) -> list[tuple[str, dt.datetime, str]]:
    """(STATUS, start, SUMMARY) of every event the feed should hold, in start order (a check's
    summary with its "Dropped: " when a replan dropped it)."""
    from planner.calendars.export.check_text import check_summary

    events = [("CANCELLED" if s.status in ("missed", "dropped") else "CONFIRMED", s.start,
               summary(s)) for s in (*plan.sessions, *dropped)]
    events += [("CANCELLED" if c.status == "dropped" else "CONFIRMED", c.start,
                ("Dropped: " if c.status == "dropped" else "") + check_summary(c))
               for c in plan.checks]
    return sorted(events, key=lambda e: (e[1], e[2]))


@pytest.mark.slow
def test_vdirsyncer_follows_the_feed_through_a_replan(served: Served) -> None:
    """A subscriber (vdirsyncer's read-only http storage) pulls before and after a replan and
    holds exactly the feed's events: moved ones at their new time only, dropped and missed ones
    cancelled, none twice."""
    feed = {"type": "http", "url": f"http://{served.host}:{served.port}{served.path}"}
    local = served.folder / "subscribed"
    before = commands.current_plan(served.db)
    pulled = vdirsyncer_sync(feed, local)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr

    def seen() -> list[tuple[str, dt.datetime, str]]:
        return [(item.status, item.start, item.summary)
                for item in synced_events(local, ZoneInfo("Europe/London"))]

    assert seen() == expected(before)

    (served.folder / "fewer").mkdir()
    commands.record(served.db, [before.sessions[0].start.date().isoformat()], "missed", None,
                    NOW)
    commands.replan(served.db, dt.date(2027, 1, 18),
                    write_profile(served.folder / "fewer", availability=FEWER), None,
                    NOW + dt.timedelta(days=1))
    after = commands.current_plan(served.db)
    old = {s.uid: s for s in before.sessions}
    moved = [s for s in after.sessions if s.uid in old and s.start != old[s.uid].start]
    dropped = [s for s in before.sessions if s.uid not in {n.uid for n in after.sessions}]
    missed = [s for s in after.sessions if s.status == "missed"]
    assert moved and dropped and missed, "the replan must move, drop and miss sessions"

    pulled = vdirsyncer_sync(feed, local)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert "same UID" not in pulled.stderr + pulled.stdout
    with open_store(served.db) as store:
        cancelled = store.dropped(after)
    assert {s.uid for s in cancelled} == {s.uid for s in dropped}
    now_seen = seen()
    assert now_seen == expected(after, cancelled)
    for s in moved:                          # at the new time, no longer at the old one
        assert ("CONFIRMED", s.start, summary(s)) in now_seen
        assert ("CONFIRMED", old[s.uid].start, summary(old[s.uid])) not in now_seen or any(
            o.start == old[s.uid].start for o in after.sessions if o.uid != s.uid)


@pytest.mark.slow
def test_the_command_serves_until_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "plan.db"
    commands.generate(write_profile(tmp_path), db, None, NOW)
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "--db", str(db), "feed", "--port", "0"], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split(" at ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:") and url.endswith(".ics")
        host_port, path = url.removeprefix("http://").split("/", 1)
        served = Served(db, "127.0.0.1", int(host_port.split(":")[1]), "/" + path, tmp_path)
        status, _headers, body = get(served, served.path)
        assert status == 200 and body.startswith(b"BEGIN:VCALENDAR")
        # The same token on the next start: the subscription URL is stable.
        assert commands.feed_token(db, "ignored", renew=False)[1] == path.removesuffix(".ics")
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "stopped" in err
    assert path.removesuffix(".ics") not in err, "the token is never logged"


def test_a_new_token_retires_the_old_url(served: Served) -> None:
    _, token = commands.feed_token(served.db, "fresh-token", renew=True)
    assert token == "fresh-token"
    assert get(served, served.path)[0] == 404
    assert get(served, "/fresh-token.ics")[0] == 200


def test_a_port_in_use_is_one_line_and_exit_2(served: Served) -> None:
    result = CliRunner().invoke(cli.main, ["--db", str(served.db), "feed", "--port",
                                           str(served.port)])
    assert result.exit_code == 2
    assert result.output.startswith("Error: --host/--port") and result.output.count("\n") == 1


def test_last_modified_changes_with_every_change(served: Served) -> None:
    """A change within the second of the one before is never answered 304 to a client that
    sends If-Modified-Since only (the old server: 3 of 4 such changes were missed)."""
    plan = commands.current_plan(served.db)
    days = [s.start.date().isoformat() for s in plan.sessions[:4]]
    for day in days:
        status, headers, _ = get(served, served.path)
        assert status == 200
        modified = headers.get("Last-Modified")
        commands.record(served.db, [day], "missed", None, NOW)     # at once: the same second
        if modified is None:          # still the second of the last change: no date yet
            continue
        status, _, _ = get(served, served.path, **{"If-Modified-Since": modified})
        assert status == 200, "a changed feed answered 304"
    _aged(served.db)
    _, headers, _ = get(served, served.path)
    assert get(served, served.path, **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304


@given(changes=st.lists(st.floats(0, 5, allow_nan=False), min_size=1, max_size=6),
       fetch=st.floats(0, 6, allow_nan=False), later=st.floats(0, 8, allow_nan=False))
def test_if_modified_since_never_hides_a_change(changes: list[float], fetch: float,
                                                later: float) -> None:
    """The invariant behind Last-Modified: a client that fetched at ``fetch`` (and kept the
    date it was given) and asks again at ``later`` gets 304 only if the store did not change
    in between, whatever the change times within a second."""
    from planner.calendars.feed import Feed, last_modified, unchanged

    base = 1_800_000_000.0
    times = sorted(base + c for c in changes)
    seen = [t for t in times if t <= base + fetch]
    if not seen:
        return
    given = last_modified(Feed(b"", '"a"', seen[-1]), base + fetch)
    asked = max(base + fetch, base + later)
    now_seen = [t for t in times if t <= asked]
    result = unchanged(Feed(b"", '"b"', now_seen[-1]), None, given, asked)
    if now_seen[-1] != seen[-1]:
        assert not result, (given, seen[-1], now_seen[-1])
    elif given is not None:
        assert result


def test_a_weak_etag_is_compared_weakly(served: Served) -> None:
    _, headers, _ = get(served, served.path)
    etag = headers["ETag"]
    assert get(served, served.path, **{"If-None-Match": f"W/{etag}"})[0] == 304
    assert get(served, served.path, **{"If-None-Match": 'W/"other"'})[0] == 200
