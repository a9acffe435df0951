"""sync_calendar against real servers (Radicale; Xandikos too for the change, refusal and
partial-sync tests; see radicale_fixture.py and xandikos_fixture.py) and a few fake ones."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import threading
from collections.abc import Iterator, Mapping
from typing import Any, cast
from zoneinfo import ZoneInfo

import niquests
import pytest
from icalendar import Calendar, Component, Event
from radicale_fixture import READONLY_USER, free_port, open_calendar, server_events

from planner.calendars import caldav_client
from planner.calendars.caldav_sync import SyncReport, sync_calendar
from planner.errors import InputError, RemoteError

BERLIN = ZoneInfo("Europe/Berlin")
STAMP = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
PASSWORD = "s3cret-Pa55word"
USER = "athlete"
PLAN = "plan-2026-spring"
CHANGING = {"PUT", "DELETE", "POST", "MKCALENDAR", "MKCOL", "PROPPATCH", "MOVE", "COPY"}


def resource(uid: str, start: dt.datetime, *, sequence: int = 0, plan: str | None = PLAN,
             summary: str = "Knee strength") -> bytes:
    """One plan event as the exporter writes it: one VEVENT and its VTIMEZONE."""
    event = Event.new(uid=uid, stamp=STAMP, start=start, end=start + dt.timedelta(minutes=45),
                      summary=summary, sequence=sequence, description="3 x 8 split squats",
                      categories=["knee", "strength"])
    if plan is not None:
        event.add("X-PERIODIZE-PLAN", plan)
    cal = Calendar.new(prodid="-//periodize tests//EN", subcomponents=[event])
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return data


def plan(count: int = 3, *, sequence: int = 4, plan_id: str = PLAN,
         prefix: str = "session") -> dict[str, bytes]:
    return {f"{prefix}-{i}@periodize": resource(
        f"{prefix}-{i}@periodize", dt.datetime(2026, 3, 2 + i, 18, 30, tzinfo=BERLIN),
        sequence=sequence, plan=plan_id) for i in range(count)}


def push(url: str, name: str, resources: Mapping[str, bytes], plan_id: str = PLAN,
         user: str = USER) -> SyncReport:
    return sync_calendar(resources, url=url, user=user, password=PASSWORD, calendar_name=name,
                         plan_id=plan_id)


# --- reading the server back with caldav -------------------------------------------------------

def single(events: dict[str, list[tuple[str, str, Component]]], uid: str) -> Event:
    assert len(events[uid]) == 1, f"{uid} is stored {len(events[uid])} times"
    return cast(Event, events[uid][0][2])


def tzid(event: Event) -> str:
    dtstart: Any = event["DTSTART"]
    return str(dtstart.params["TZID"])


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every HTTP method sent by any niquests session (what caldav sends with), in order."""
    methods: list[str] = []
    original = niquests.Session.request

    def recording(self: niquests.Session, method: str, *args: Any, **kwargs: Any) -> Any:
        methods.append(method.upper())
        return original(self, method, *args, **kwargs)

    monkeypatch.setattr(niquests.Session, "request", recording)
    return methods


# --- against Radicale --------------------------------------------------------------------------

@pytest.mark.smoke
@pytest.mark.caldav
def test_first_sync_creates_every_resource(radicale_url: str, caldav_calendar_name: str,
                                           wire: list[str]) -> None:
    resources = plan(3, sequence=4)
    report = push(radicale_url, caldav_calendar_name, resources)

    assert report == SyncReport(created=tuple(sorted(resources)), updated=(), deleted=(),
                                unchanged=())
    assert wire.count("PUT") == 3 and wire.count("MKCALENDAR") == 1
    events = server_events(radicale_url, caldav_calendar_name)
    assert set(events) == set(resources)
    for i, uid in enumerate(sorted(resources)):
        event = single(events, uid)
        assert tzid(event) == "Europe/Berlin"
        assert event.start == dt.datetime(2026, 3, 2 + i, 18, 30, tzinfo=BERLIN)
        assert event.sequence == 4                         # not bumped by the library
        assert str(event["X-PERIODIZE-PLAN"]) == PLAN


@pytest.mark.smoke
@pytest.mark.caldav
def test_changed_dropped_and_kept_events(caldav_url: str, caldav_calendar_name: str) -> None:
    first = plan(4, sequence=1)
    push(caldav_url, caldav_calendar_name, first)
    before = server_events(caldav_url, caldav_calendar_name)
    moved, dropped, *kept = sorted(first)

    second = dict(first)
    new_start = dt.datetime(2026, 3, 2, 7, 15, tzinfo=BERLIN)
    second[moved] = resource(moved, new_start, sequence=2)
    del second[dropped]
    report = push(caldav_url, caldav_calendar_name, second)

    assert report == SyncReport(created=(), updated=(moved,), deleted=(dropped,),
                                unchanged=tuple(kept))
    after = server_events(caldav_url, caldav_calendar_name)
    assert set(after) == set(second)
    event = single(after, moved)
    assert event.start == new_start and event.sequence == 2
    assert after[moved][0][0] == before[moved][0][0]       # same resource, written over
    for uid in kept:
        assert after[uid][0][1] == before[uid][0][1]       # ETag untouched


@pytest.mark.caldav
def test_second_identical_sync_sends_no_changing_request(
        caldav_url: str, caldav_calendar_name: str, wire: list[str]) -> None:
    resources = plan(3)
    push(caldav_url, caldav_calendar_name, resources)
    assert "PUT" in wire                                   # the recorder does see writes
    etags = {uid: [(u, e) for u, e, _ in found]
             for uid, found in server_events(caldav_url, caldav_calendar_name).items()}
    wire.clear()

    # The exporter writes a fresh VCALENDAR UID each time (icalendar's Calendar.new): bytes
    # differ, the events do not.
    again = plan(3)
    assert again != resources
    report = push(caldav_url, caldav_calendar_name, again)

    assert report == SyncReport(created=(), updated=(), deleted=(),
                                unchanged=tuple(sorted(resources)))
    assert "REPORT" in wire                                # it did read the calendar
    assert not CHANGING & set(wire), wire
    after = {uid: [(u, e) for u, e, _ in found]
             for uid, found in server_events(caldav_url, caldav_calendar_name).items()}
    assert after == etags


@pytest.mark.caldav
def test_each_compared_property_counts_as_a_change(radicale_url: str,
                                                   caldav_calendar_name: str) -> None:
    uid = "one@periodize"
    start = dt.datetime(2026, 3, 2, 18, 30, tzinfo=BERLIN)
    push(radicale_url, caldav_calendar_name, {uid: resource(uid, start, sequence=1)})
    variants = {
        "summary": resource(uid, start, sequence=1, summary="Plyometrics"),
        "sequence": resource(uid, start, sequence=2),
        "timezone": resource(uid, start.replace(tzinfo=ZoneInfo("Europe/London")), sequence=2),
    }
    for what, data in variants.items():
        report = push(radicale_url, caldav_calendar_name, {uid: data})
        assert report.updated == (uid,), what
        assert push(radicale_url, caldav_calendar_name, {uid: data}).unchanged == (uid,), what
    stored = single(server_events(radicale_url, caldav_calendar_name), uid)
    assert tzid(stored) == "Europe/London"


def snapshot(url: str, name: str) -> dict[str, list[tuple[str, str]]]:
    """UID -> [(resource URL, ETag)]: what a sync that touches nothing must leave as it is."""
    return {uid: [(u, e) for u, e, _ in found] for uid, found in server_events(url, name).items()}


@pytest.mark.caldav
def test_another_plan_in_the_calendar_is_refused_and_left_untouched(
        caldav_url: str, caldav_calendar_name: str, wire: list[str]) -> None:
    calendar = open_calendar(caldav_url, caldav_calendar_name, create=True)
    mine = "dentist@example.org"
    calendar.add_event(resource(mine, dt.datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN), plan=None,
                                summary="Dentist"))
    other = plan(2, plan_id="plan-of-another-athlete", prefix="other")
    push(caldav_url, caldav_calendar_name, other, plan_id="plan-of-another-athlete")
    before = snapshot(caldav_url, caldav_calendar_name)
    wire.clear()

    with pytest.raises(RemoteError, match="2 events of another periodize plan") as caught:
        push(caldav_url, caldav_calendar_name, plan(3, prefix="new"))
    assert "--replace" in str(caught.value) and caught.value.exit_code == 3
    assert not CHANGING & set(wire), wire
    assert snapshot(caldav_url, caldav_calendar_name) == before


@pytest.mark.caldav
def test_replace_swaps_the_other_plan_and_keeps_the_users_events(
        caldav_url: str, caldav_calendar_name: str) -> None:
    calendar = open_calendar(caldav_url, caldav_calendar_name, create=True)
    mine = "dentist@example.org"
    calendar.add_event(resource(mine, dt.datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN), plan=None,
                                summary="Dentist"))
    old = plan(2, plan_id="plan-2025-winter", prefix="old")
    assert push(caldav_url, caldav_calendar_name, old, plan_id="plan-2025-winter").created

    new = plan(2, prefix="new")
    report = sync_calendar(new, url=caldav_url, user=USER, password=PASSWORD,
                           calendar_name=caldav_calendar_name, plan_id=PLAN, replace=True)
    assert report.created == tuple(sorted(new))
    assert report.deleted == tuple(sorted(old))
    assert push(caldav_url, caldav_calendar_name, {}).deleted == tuple(sorted(new))

    events = server_events(caldav_url, caldav_calendar_name)
    assert set(events) == {mine}
    assert str(single(events, mine)["SUMMARY"]) == "Dentist"


@pytest.mark.caldav
def test_the_plans_own_events_are_updated_and_the_users_stay(radicale_url: str,
                                                   caldav_calendar_name: str) -> None:
    """Our own plan's events are ours to update: a plan's own earlier sync is never 'another
    plan', and the user's events around it stay through every sync."""
    calendar = open_calendar(radicale_url, caldav_calendar_name, create=True)
    mine = "dentist@example.org"
    calendar.add_event(resource(mine, dt.datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN), plan=None,
                                summary="Dentist"))
    first = plan(3)
    push(radicale_url, caldav_calendar_name, first)
    smaller = dict(list(first.items())[:2])
    assert push(radicale_url, caldav_calendar_name, smaller).deleted == (sorted(first)[2],)
    events = server_events(radicale_url, caldav_calendar_name)
    assert set(events) == {mine, *smaller}


class _Flaky:
    """Makes the n-th PUT of a sync fail as a server going away would."""

    def __init__(self, fail_at: int) -> None:
        self.puts = 0
        self.fail_at = fail_at

    def __call__(self, original: Any) -> Any:
        def save(obj: Any, *args: Any, **kwargs: Any) -> Any:
            self.puts += 1
            if self.puts == self.fail_at:
                raise niquests.exceptions.ConnectionError("Connection refused")
            return original(obj, *args, **kwargs)
        return save


@pytest.mark.caldav
@pytest.mark.slow
def test_a_sync_that_fails_part_way_is_completed_by_the_next(
        caldav_url: str, caldav_calendar_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from caldav.calendarobjectresource import CalendarObjectResource

    first = plan(4, sequence=0)
    push(caldav_url, caldav_calendar_name, first)
    moved, dropped, *_ = sorted(first)
    second = {uid: data for uid, data in first.items() if uid != dropped}
    second[moved] = resource(moved, dt.datetime(2026, 3, 2, 7, 0, tzinfo=BERLIN), sequence=1)
    second.update(plan(3, sequence=0, prefix="added"))

    flaky = _Flaky(fail_at=3)                 # the first two writes land, the third does not
    monkeypatch.setattr(CalendarObjectResource, "save", flaky(CalendarObjectResource.save))
    with pytest.raises(RemoteError) as caught:
        push(caldav_url, caldav_calendar_name, second)
    assert caught.value.exit_code == 3
    monkeypatch.undo()
    half = server_events(caldav_url, caldav_calendar_name)
    assert set(half) != set(second), "the failure must leave the sync unfinished"
    assert all(len(copies) == 1 for copies in half.values())

    report = push(caldav_url, caldav_calendar_name, second)
    assert report.deleted == (dropped,)
    events = server_events(caldav_url, caldav_calendar_name)
    assert set(events) == set(second)
    assert single(events, moved).sequence == 1
    assert push(caldav_url, caldav_calendar_name, second).unchanged == tuple(sorted(second))


@pytest.mark.caldav
def test_plan_uid_held_by_a_users_event_is_not_overwritten(
        radicale_url: str, caldav_calendar_name: str) -> None:
    calendar = open_calendar(radicale_url, caldav_calendar_name, create=True)
    uid = "session-0@periodize"
    calendar.add_event(resource(uid, dt.datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN), plan=None,
                                summary="Mine"))
    with pytest.raises(RemoteError, match="did not write"):
        push(radicale_url, caldav_calendar_name, plan(1))
    assert str(single(server_events(radicale_url, caldav_calendar_name), uid)["SUMMARY"]) == "Mine"


@pytest.mark.caldav
def test_refused_calendar_creation_is_a_remote_error(radicale_url: str,
                                                     caldav_calendar_name: str) -> None:
    with pytest.raises(RemoteError, match="refused to create the calendar") as caught:
        push(radicale_url, caldav_calendar_name, plan(1), user=READONLY_USER)
    assert caught.value.exit_code == 3
    assert PASSWORD not in str(caught.value)


def test_a_resource_that_is_not_one_plan_event_is_refused() -> None:
    data = resource("a@periodize", dt.datetime(2026, 3, 2, 18, 0, tzinfo=BERLIN))
    for resources, plan_id in (({"b@periodize": data}, PLAN), ({"a@periodize": data}, "other")):
        with pytest.raises(ValueError, match="resource"):
            sync_calendar(resources, url="http://127.0.0.1:9/", user=USER, password=PASSWORD,
                          calendar_name="x", plan_id=plan_id)


# --- failures without Radicale -----------------------------------------------------------------

def test_server_down_is_a_remote_error_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/dav/"
    with pytest.raises(RemoteError) as caught:
        push(url, "Training", plan(1))
    message = str(caught.value)
    assert url in message and "connection refused" in message
    assert PASSWORD not in message and "\n" not in message
    assert caught.value.exit_code == 3


def test_password_in_the_url_is_not_shown() -> None:
    port = free_port()
    with pytest.raises(RemoteError) as caught:
        push(f"http://someone:{PASSWORD}@127.0.0.1:{port}/", "Training", plan(1))
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_a_one_letter_password_leaves_the_url_readable() -> None:
    """The password "p" is hidden where it is a credential, not inside "http" or the path."""
    url = f"http://127.0.0.1:{free_port()}/dav/p/"
    with pytest.raises(RemoteError) as caught:
        sync_calendar({}, url=url, user=USER, password="p", calendar_name="Training",
                      plan_id=PLAN)
    message = str(caught.value)
    assert url in message and "connection refused" in message, message
    assert "***" not in message


@pytest.mark.parametrize(("text", "password", "shown"), [
    ("http://athlete:p@host/dav/p/ refused", "p", "http://athlete:***@host/dav/p/ refused"),
    ("https://a:p%40ss@host/", "p@ss", "https://a:***@host/"),
    ("Basic auth for pass failed", "pass", "Basic auth for pass failed"),
    ("header echoed s3cret-Pa55word", PASSWORD, "header echoed ***"),
    ("nothing to hide", "", "nothing to hide"),
])
def test_a_password_is_redacted_only_as_a_credential_or_when_unambiguous(
        text: str, password: str, shown: str) -> None:
    assert caldav_client.redact(text, password) == shown


@pytest.mark.parametrize("url", ["ftp://example.org/cal/", "example.org/cal", "file:///tmp/x",
                                 "http://", "http://[::1/", "https://example.org:port/"])
def test_bad_url_is_an_input_error(url: str) -> None:
    with pytest.raises(InputError) as caught:
        push(url, "Training", plan(1))
    assert caught.value.field == "--url"


class _Fake(http.server.BaseHTTPRequestHandler):
    """401 to everything (``server.mode == "401"``) or a plain web page (``"web"``)."""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if getattr(self.server, "mode", "") == "401":
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="calendar"')
            body = b""
        else:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            body = b"<html><body>Welcome</body></html>"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_OPTIONS = do_PROPFIND = do_REPORT = do_MKCALENDAR = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(params=["401", "web"])
def fake_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    server.mode = request.param  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield request.param, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_refused_login_and_non_caldav_server(fake_server: tuple[str, str]) -> None:
    mode, url = fake_server
    with pytest.raises(RemoteError) as caught:
        push(url, "Training", plan(1))
    expected = "refused the user name or password" if mode == "401" else "not a CalDAV server"
    assert expected in str(caught.value) and url in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_silent_server_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caldav_client, "TIMEOUT_S", 0.3)
    with socket.socket() as listener:                      # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        with pytest.raises(RemoteError, match=r"did not answer within 0\.3 s"):
            push(url, "Training", plan(1))
