"""`sync --google`: the plan in a Google calendar of its own, through Google's client library
talking to a stand-in for Google (google_standin.py; no network). First sync, replan then sync,
a second sync that writes nothing, sessions deleted in Google, rate limits, an interrupted sync,
a revoked sign-in, the token file's mode, the user's own events left alone, the missing extra."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from factories import NOW, ROOT, events_of, unnamed, write_profile
from factories import run as cli_run
from google_standin import Fault, GoogleStandIn

import cli
from planner import commands
from planner.calendars import google_auth, google_sync
from planner.calendars.caldav_sync import SyncReport
from planner.calendars.export.ics import revision_uid
from planner.errors import RemoteError
from planner.store.database import GoogleCalendar, open_store
from planner.store.plan import Plan

EVENINGS = {d: ["18:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
LATER = NOW + dt.timedelta(days=1)
FAR = "2999-01-01T00:00:00Z"        # an access token that has not expired
PAST = "2000-01-01T00:00:00Z"       # one that has


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding one plan for an athlete free every evening but Sunday."""
    folder = tmp_path_factory.mktemp("google")
    db = folder / "store.db"
    commands.generate(write_profile(folder, availability=EVENINGS), db, None, NOW)
    return db


@pytest.fixture
def db(stored: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store.db"
    shutil.copy(stored, copy)
    return copy


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> GoogleStandIn:
    """The stand-in, put under the client library, and a saved sign-in for it."""
    standin = GoogleStandIn()
    monkeypatch.setattr(google_sync, "new_http", lambda: standin)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("PERIODIZE_GOOGLE_CLIENT_SECRET", raising=False)
    write_token(expiry=FAR)
    return standin


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every backoff wait asked for (by periodize or the library), none actually waited."""
    asked: list[float] = []
    monkeypatch.setattr("time.sleep", asked.append)
    return asked


def write_token(expiry: str, token: str = "access-0") -> Path:
    path = google_auth.token_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "token": token, "refresh_token": "refresh-1", "token_uri": "https://oauth2.googleapis"
        ".com/token", "client_id": "client.apps.googleusercontent.com",
        "client_secret": "shh", "scopes": list(google_auth.SCOPES), "expiry": expiry}))
    path.chmod(0o600)          # as periodize saves it (a wider mode gets a note)
    return path


def run(db: Path, *args: str) -> Result:
    return cli_run("--db", str(db), "sync", "--google", *args)


def sync(db: Path, calendar: str | None = None) -> SyncReport:
    return commands.sync_google(db, calendar, None)


def current(db: Path) -> Plan:
    return commands.current_plan(db)


def calendar_id(db: Path, name: str = "") -> str:
    with open_store(db) as store:
        found = store.google_calendar(name)
    assert found is not None
    return found.calendar_id


def ours(google: GoogleStandIn, cal: str) -> dict[str, dict[str, Any]]:
    """The live events periodize wrote, by session UID (each session exactly once)."""
    found: dict[str, dict[str, Any]] = {}
    for event in google.live(cal):
        private = event.get("extendedProperties", {}).get("private", {})
        key = private.get("periodizeSession")
        if key is not None and private.get("periodize") == "1":
            assert key not in found, f"session {key} is in the calendar twice"
            found[key] = event
    return found


def assert_holds(google: GoogleStandIn, db: Path) -> None:
    """The calendar holds exactly the current plan, each session as event_body writes it."""
    plan = current(db)
    held = ours(google, calendar_id(db))
    assert set(held) == {s.uid for s in events_of(plan)}
    for session in events_of(plan):
        event = held[session.uid]
        want = google_sync.event_body(plan, session, _note())
        assert google_sync.differing_fields(want, event) == {}, session.uid
        assert event["summary"].startswith("Missed: ") == (session.status == "missed")


def _note() -> str:
    from catalog import default_catalog

    return default_catalog().safety_note


def changed(plan: Plan) -> tuple[Plan, str, str, str]:
    """The plan with its first session moved an hour, its second dropped, its third missed."""
    first, second, third, *rest = plan.sessions
    hour = dt.timedelta(hours=1)
    moved = dataclasses.replace(first, start=first.start + hour, end=first.end + hour,
                                sequence=first.sequence + 1)
    missed = dataclasses.replace(third, status="missed", sequence=third.sequence + 1)
    return (dataclasses.replace(plan, sessions=(moved, missed, *rest), revision=2),
            first.uid, second.uid, third.uid)


def save(db: Path, plan: Plan) -> None:
    with open_store(db) as store:
        _, profile = store.current()
        store.save(plan, profile, "test change")


def writes_to(google: GoogleStandIn) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in google.writes()]


# --- first sync, a second, a replan -----------------------------------------------------------


def test_first_sync_creates_the_calendar_and_every_session(db: Path,
                                                           google: GoogleStandIn) -> None:
    plan = current(db)
    result = run(db)
    assert result.exit_code == 0, result.output
    n = len(events_of(plan))
    assert unnamed(result.stdout) == f"{n} created, 0 updated, 0 deleted, 0 unchanged.\n"

    [(cal, meta)] = google.calendars.items()
    assert meta["summary"] == plan.calendar_name == "periodize · Test athlete"
    assert meta["timeZone"] == "Europe/London"
    assert calendar_id(db) == cal                      # remembered in the store
    assert_holds(google, db)
    for session in plan.sessions:
        event = ours(google, cal)[session.uid]
        assert event["iCalUID"] == session.uid
        assert event["extendedProperties"]["private"] == {
            "periodize": "1", "periodizePlan": plan.plan_id, "periodizeSession": session.uid}
        assert dt.datetime.fromisoformat(event["start"]["dateTime"]) == session.start
        assert event["start"]["timeZone"] == event["end"]["timeZone"] == "Europe/London"
    # Batched: every import went in batches of at most BATCH_SIZE.
    imports = [c for c in google.calls if c.path.endswith("/events/import")]
    assert len(imports) == n
    assert google.batches == -(-n // google_sync.BATCH_SIZE)


def test_a_second_sync_writes_nothing(db: Path, google: GoogleStandIn) -> None:
    first = sync(db)
    google.calls.clear()
    again = sync(db)
    assert again == SyncReport(created=(), updated=(), deleted=(), unchanged=first.created)
    assert writes_to(google) == []
    assert [c.method for c in google.calls] == ["GET", "GET"]   # the calendar, its events
    assert google.batches == 1                                   # the first sync's only


def test_a_changed_plan_patches_deletes_and_leaves_the_rest(db: Path,
                                                            google: GoogleStandIn) -> None:
    sync(db)
    cal = calendar_id(db)
    before = {uid: dict(e) for uid, e in ours(google, cal).items()}
    plan, moved, dropped, missed = changed(current(db))
    save(db, plan)
    google.calls.clear()

    report = sync(db)

    kept = sorted(s.uid for s in events_of(plan) if s.uid not in (moved, missed))
    assert report == SyncReport(created=(), updated=tuple(sorted([moved, missed])),
                                deleted=(dropped,), unchanged=tuple(kept))
    assert_holds(google, db)
    after = ours(google, cal)
    assert after[missed]["summary"].startswith("Missed: ")
    assert after[missed]["transparency"] == "transparent"
    assert after[missed]["status"] == "confirmed"       # in Google, cancelled means deleted
    # Unchanged events untouched (same revision of the event: no patch reached them).
    for uid in kept:
        assert after[uid] == before[uid]
    # Patches carry only what differs.
    patches = {c.path.rsplit("/", 1)[1]: c.body for c in google.writes() if c.method == "PATCH"}
    assert patches[before[moved]["id"]] is not None
    assert set(patches[before[moved]["id"]] or {}) == {"start", "end"}
    assert set(patches[before[missed]["id"]] or {}) == {"summary", "transparency"}
    assert [c.method for c in google.writes()].count("DELETE") == 1
    # The calendar keeps its name: a replan changes only the events that changed.
    assert google.calendars[cal]["summary"] == "periodize · Test athlete"


def test_replan_then_sync_through_the_cli(db: Path, google: GoogleStandIn) -> None:
    assert run(db).exit_code == 0
    before = current(db)
    jump = next(s for s in before.week_sessions(2) if "plyometrics" in s.kinds)
    commands.record(db, [jump.start.date().isoformat()], "missed", "plyometrics", NOW)
    after = commands.replan(db, jump.start.date() + dt.timedelta(days=1), None, None,
                           LATER).plan
    new = {s.uid for s in events_of(after)} - {s.uid for s in events_of(before)}
    gone = {s.uid for s in events_of(before)} - {s.uid for s in events_of(after)}
    made_up = new | {s.uid for s in after.sessions if s.uid in {t.uid for t in before.sessions}
                     and "plyometrics" in s.kinds and s.week == 2 and s.uid != jump.uid
                     and s.kinds != next(t for t in before.sessions if t.uid == s.uid).kinds}
    assert made_up, "the replan was meant to make up the jumps (a new or a changed session)"

    result = run(db)

    assert result.exit_code == 0, result.output
    numbers = [int(word) for word in unnamed(result.stdout).replace(",", "").split()[::2]]
    # Changed = what Google shows changed (a session marked done, or a new SEQUENCE, is not).
    old = {s.uid: google_sync.event_body(before, s, _note()) for s in events_of(before)}
    updated = [s.uid for s in events_of(after) if s.uid not in new
               and google_sync.event_body(after, s, _note()) != old[s.uid]]
    assert updated, "the missed session at least changed"
    assert numbers == [len(new), len(updated), len(gone),
                       len(events_of(after)) - len(new) - len(updated)]
    assert_holds(google, db)
    assert ours(google, calendar_id(db))[jump.uid]["summary"].startswith("Missed: ")


def test_the_users_own_events_in_the_calendar_are_left_alone(db: Path,
                                                             google: GoogleStandIn) -> None:
    sync(db)
    cal = calendar_id(db)
    first = current(db).sessions[0]
    own = google.add(cal, {"summary": "Physio", "iCalUID": "physio@example.com",
                           "start": {"dateTime": "2027-01-05T10:00:00Z"},
                           "end": {"dateTime": "2027-01-05T11:00:00Z"}})
    tagged = google.add(cal, {"summary": "Other app", "extendedProperties": {
        "private": {"periodizeSession": first.uid}}})      # not marked as periodize's
    snapshot = [dict(own), dict(tagged)]
    plan, *_ = changed(current(db))
    save(db, plan)
    google.calls.clear()

    sync(db)

    assert [google.events[cal][own["id"]], google.events[cal][tagged["id"]]] == snapshot
    touched = {c.path for c in google.calls}
    assert not any(own["id"] in p or tagged["id"] in p for p in touched)
    assert_holds(google, db)


def test_nothing_outside_periodizes_calendar_is_read_or_written(db: Path,
                                                                google: GoogleStandIn) -> None:
    other = "primary"
    google.calendars[other] = {"id": other, "summary": "Sam"}
    google.events[other] = {}
    google.add(other, {"summary": "Dentist"})
    sync(db)
    save(db, changed(current(db))[0])
    sync(db)
    cal = calendar_id(db)
    assert {c.path for c in google.calls} <= {"/calendar/v3/calendars",
                                              f"/calendar/v3/calendars/{cal}",
                                              f"/calendar/v3/calendars/{cal}/events",
                                              f"/calendar/v3/calendars/{cal}/events/import",
                                              *(f"/calendar/v3/calendars/{cal}/events/{e}"
                                                for e in google.events[cal])}
    assert [c for c in google.calls if c.path == "/calendar/v3/calendars"] == [
        google.calls[0]]                                    # created once, on the first sync


def test_events_of_an_earlier_plan_in_the_calendar_are_replaced(db: Path,
                                                                 google: GoogleStandIn) -> None:
    sync(db)
    plan = current(db)
    renamed = tuple(dataclasses.replace(s, uid="new-" + s.uid) for s in plan.sessions)
    save(db, dataclasses.replace(plan, plan_id="another-plan", sessions=renamed))
    report = sync(db)
    assert report.deleted == tuple(sorted(s.uid for s in plan.sessions))
    assert report.created == tuple(sorted(s.uid for s in renamed))
    assert_holds(google, db)


def test_a_long_listing_is_read_page_by_page(db: Path, google: GoogleStandIn) -> None:
    sync(db)
    google.page_size = 10
    google.calls.clear()
    report = sync(db)
    n = len(events_of(current(db)))
    assert len(report.unchanged) == n and writes_to(google) == []
    assert [c.query.get("pageToken") for c in google.calls if c.path.endswith("/events")] == [
        None, *(str(k) for k in range(10, n, 10))]


# --- Google's own ways -------------------------------------------------------------------------


def test_a_session_deleted_in_google_comes_back_under_a_new_uid(db: Path,
                                                               google: GoogleStandIn) -> None:
    """Google keeps a deleted event's UID and refuses it again (409): the session is imported
    under the UID `export --google` gives this revision, and found by its session key after."""
    sync(db)
    cal = calendar_id(db)
    plan = current(db)
    victim = plan.sessions[4]
    google.events[cal][ours(google, cal)[victim.uid]["id"]]["status"] = "cancelled"

    report = sync(db)

    assert report.created == (victim.uid,)
    assert_holds(google, db)
    assert ours(google, cal)[victim.uid]["iCalUID"] == revision_uid(plan, victim)
    assert sync(db).created == ()                       # and stays found


@pytest.mark.slow
def test_an_import_whose_answer_was_lost_is_not_doubled(db: Path, google: GoogleStandIn) -> None:
    """A 409 for a UID our own live event holds (an import that went through but whose answer
    never came) brings that event up to date instead of adding another."""
    plan = current(db)
    session = plan.sessions[0]
    google.faults.append(Fault(lambda c: c.path.endswith("/import"), [503]))
    real_write = google_sync.GoogleSync.write

    def write_then_lose(self: google_sync.GoogleSync, ops: list[Any]) -> list[Any]:
        again = real_write(self, ops)
        # The first import was served, but as if its answer were lost: ask again.
        return [*again, next(op for op in ops if op.key == session.uid)]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(google_sync.GoogleSync, "write", write_then_lose)
        sync(db)
    assert_holds(google, db)


def test_rate_limited_requests_are_retried_with_growing_waits(
        db: Path, google: GoogleStandIn, waits: list[float]) -> None:
    plan = current(db)
    # The listing answered 503 once (the library's num_retries), a whole batch 429 once, and
    # one import 429 twice and 403 rateLimitExceeded once inside the batch (periodize's backoff).
    google.faults += [
        Fault(lambda c: c.method == "GET" and c.path.endswith("/events"), [503]),
        Fault(lambda c: c.path.endswith("/import") and c.body is not None
              and c.body.get("iCalUID") == plan.sessions[3].uid, [429, 429, 403]),
    ]
    real_batch = google_sync.GoogleSync._batch
    turned_away = [True]

    def batch_429_once(self: google_sync.GoogleSync, ops: list[Any]) -> list[Any]:
        if turned_away.pop() if turned_away else False:
            from google_standin import _response
            from googleapiclient.errors import HttpError

            return [(op, HttpError(_response(429), b"{}")) for op in ops]
        return real_batch(self, ops)

    attempts: list[int] = []
    real_backoff = google_sync.backoff

    def recorded(attempt: int) -> float:
        attempts.append(attempt)
        return real_backoff(attempt)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(google_sync.GoogleSync, "_batch", batch_429_once)
        patch.setattr(google_sync, "backoff", recorded)
        report = sync(db)

    assert len(report.created) == len(events_of(plan))
    assert_holds(google, db)
    assert attempts == [0, 1, 2, 3]                    # periodize's backoff, for the batch parts
    assert len(waits) == 5                             # and one by the library, for the listing
    assert [int(w) for w in waits[1:]] == [1, 2, 4, 8]   # 2**n + jitter below a second
    assert 0 <= waits[0] < 2                           # the library's: random * 2**1


@pytest.mark.slow
def test_google_refusing_for_good_is_one_line_exit_3(db: Path, google: GoogleStandIn,
                                                     waits: list[float]) -> None:
    google.faults.append(Fault(lambda c: c.path.endswith("/import"), [429] * 1000))
    result = run(db)
    assert result.exit_code == 3
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert "429" in result.stderr and "try again later" in result.stderr
    assert len([w for w in waits if w >= 1]) == google_sync.RETRIES


def test_a_delete_of_an_event_already_gone_counts_as_done(db: Path,
                                                          google: GoogleStandIn) -> None:
    """The user deletes a dropped session in Google between periodize's listing and its delete:
    Google answers 410 Gone, and the session counts as deleted."""
    sync(db)
    cal = calendar_id(db)
    plan, _, dropped, _ = changed(current(db))
    save(db, plan)
    real_list = google_sync.GoogleSync.list_events

    def list_then_user_deletes(self: google_sync.GoogleSync, **query: Any) -> Any:
        found = real_list(self, **query)
        google.events[cal][ours(google, cal)[dropped]["id"]]["status"] = "cancelled"
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(google_sync.GoogleSync, "list_events", list_then_user_deletes)
        assert sync(db).deleted == (dropped,)
    assert [c for c in google.calls if c.method == "DELETE"]
    assert sync(db).deleted == ()
    assert_holds(google, db)


def test_an_interrupted_sync_is_finished_by_the_next(db: Path, google: GoogleStandIn) -> None:
    plan = current(db)
    google.interrupt_after = 1 + 7         # the calendar, then 7 of the imports
    result = run(db)
    assert result.exit_code == 130
    assert "run `periodize sync --google` again" in result.stderr
    assert len(ours(google, calendar_id(db))) == 7

    google.interrupt_after = None
    result = run(db)

    assert result.exit_code == 0, result.output
    n = len(events_of(plan))
    assert unnamed(result.stdout) == f"{n - 7} created, 0 updated, 0 deleted, 7 unchanged.\n"
    assert_holds(google, db)
    assert len(google.calendars) == 1


def test_a_connection_lost_mid_sync_is_one_line_exit_3_and_the_next_sync_finishes(
        db: Path, google: GoogleStandIn) -> None:
    google.interrupt_after = 1 + 5
    google.interrupt = ConnectionResetError
    result = run(db)
    assert result.exit_code == 3, result.output
    assert result.stderr.splitlines() == ["Error: cannot reach Google Calendar "
                                          "(ConnectionResetError)"]
    google.interrupt_after = None
    report = sync(db)
    assert len(report.unchanged) == 5
    assert_holds(google, db)


def test_a_calendar_the_user_deleted_is_made_again(db: Path, google: GoogleStandIn) -> None:
    sync(db)
    old = calendar_id(db)
    del google.calendars[old]
    report = sync(db)
    assert calendar_id(db) != old
    assert len(report.created) == len(events_of(current(db)))
    assert_holds(google, db)


def test_a_calendar_the_user_renamed_keeps_its_name(db: Path, google: GoogleStandIn) -> None:
    sync(db)
    cal = calendar_id(db)
    google.calendars[cal]["summary"] = "Knee plan"
    save(db, changed(current(db))[0])
    sync(db)
    assert google.calendars[cal]["summary"] == "Knee plan"


@pytest.mark.slow
def test_calendar_option_names_a_calendar_of_its_own(db: Path, google: GoogleStandIn) -> None:
    sync(db)
    sync(db, calendar="Training")
    assert sorted(m["summary"] for m in google.calendars.values()) == [
        "Training", "periodize · Test athlete"]
    assert calendar_id(db, "Training") != calendar_id(db)


# --- signing in --------------------------------------------------------------------------------


def test_a_revoked_sign_in_is_one_line_exit_3(db: Path, google: GoogleStandIn) -> None:
    token = write_token(expiry=PAST)
    google.revoke()
    result = run(db)
    assert result.exit_code == 3, result.output
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert "invalid_grant" in result.stderr
    assert f"delete {token} and run `periodize sync --google` again" in result.stderr
    assert google.calls == [] and google.calendars == {}


def test_an_expired_access_token_is_refreshed_silently_and_kept(
        db: Path, google: GoogleStandIn) -> None:
    token = write_token(expiry=PAST, token="stale")
    token.chmod(0o644)
    result = run(db)
    assert result.exit_code == 0, result.output
    assert google.refreshes == 1
    saved = json.loads(token.read_text())
    assert saved["token"] in google.access_tokens and saved["refresh_token"] == "refresh-1"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600      # written anew, 0600 from the start


@dataclass
class Browser:
    """The user's browser and Google's consent page: ``open`` answers the local redirect server
    the way Google does, with a code (or an error), and the code is exchanged at Google's token
    endpoint (played by the stand-in, under requests, which google-auth-oauthlib uses)."""

    answer: str = "code=4/granted"
    opened: list[dict[str, str]] = field(default_factory=list)
    exchanges: list[dict[str, str]] = field(default_factory=list)

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        self.opened.append(query)
        target = f"{query['redirect_uri']}?state={query['state']}&{self.answer}"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        threading.Thread(target=lambda: opener.open(target, timeout=60).read(),
                         daemon=True).start()
        return True


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch, google: GoogleStandIn, tmp_path: Path) -> Browser:
    import webbrowser

    import requests

    user = Browser()
    monkeypatch.setattr(webbrowser, "get", lambda using=None: user)

    def token_endpoint(adapter: Any, request: Any, **_: Any) -> requests.Response:
        assert request.url == "https://oauth2.googleapis.com/token", request.url
        form = dict(urllib.parse.parse_qsl(request.body))
        user.exchanges.append(form)
        response = requests.Response()
        response.status_code = 200
        response.headers["content-type"] = "application/json"
        response._content = json.dumps({
            "access_token": "access-0", "refresh_token": "refresh-1", "expires_in": 3599,
            "token_type": "Bearer", "scope": google_auth.SCOPES[0]}).encode()
        response.url = request.url
        response.request = request
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", token_endpoint)
    token = google_auth.token_path()
    token.unlink()
    shutil.rmtree(token.parent)
    secret = tmp_path / "client_secret.json"
    secret.write_text(json.dumps({"installed": {
        "client_id": "client.apps.googleusercontent.com", "client_secret": "shh",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "redirect_uris": ["http://localhost"]}}))
    monkeypatch.setenv("PERIODIZE_GOOGLE_CLIENT_SECRET", str(secret))
    return user


def test_first_sign_in_runs_the_installed_app_flow_and_keeps_the_token_0600(
        db: Path, google: GoogleStandIn, browser: Browser) -> None:
    token = google_auth.token_path()
    old_umask = os.umask(0o022)
    try:
        result = run(db)
    finally:
        os.umask(old_umask)

    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(" created, 0 updated, 0 deleted, 0 unchanged.\n")
    assert result.stdout.count("\n") == 1                   # the prompt went to stderr
    [asked] = browser.opened
    assert asked["client_id"] == "client.apps.googleusercontent.com"
    assert asked["scope"] == "https://www.googleapis.com/auth/calendar.app.created"
    assert asked["redirect_uri"].startswith("http://localhost:")
    [exchange] = browser.exchanges
    assert exchange["code"] == "4/granted" and exchange["grant_type"] == "authorization_code"
    assert exchange["redirect_uri"] == asked["redirect_uri"]
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert stat.S_IMODE(token.parent.stat().st_mode) == 0o700
    assert json.loads(token.read_text())["refresh_token"] == "refresh-1"
    assert run(db).exit_code == 0 and len(browser.opened) == 1   # the token serves from then on


def test_a_refused_consent_is_a_one_line_error_exit_3(db: Path, google: GoogleStandIn,
                                             browser: Browser) -> None:
    browser.answer = "error=access_denied"
    result = run(db)
    assert result.exit_code == 3, result.output
    [line] = result.stderr.splitlines()[-1:]
    assert line.startswith("Error: Google sign-in did not complete (") and "access_denied" in line
    assert not google_auth.token_path().exists() and google.calls == []


def test_no_sign_in_and_no_client_file_is_one_line_exit_2(db: Path,
                                                          google: GoogleStandIn) -> None:
    google_auth.token_path().unlink()
    result = run(db)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --client-secret: ")
    assert "Google Cloud console" in result.stderr and len(result.stderr.splitlines()) == 1
    result = run(db, "--client-secret", str(db.parent / "nowhere.json"))
    assert result.exit_code == 2 and "nowhere.json" in result.stderr


def test_a_damaged_token_file_is_one_line_exit_2(db: Path, google: GoogleStandIn) -> None:
    google_auth.token_path().write_text("{not json")
    result = run(db)
    assert result.exit_code == 2        # the file is bad input, as a bad client file is
    assert "not a usable Google sign-in" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_save_token_never_widens_the_mode(tmp_path: Path) -> None:
    from google.oauth2.credentials import Credentials

    token = tmp_path / "deep" / "google-token.json"
    creds = Credentials(token="t", refresh_token="r")  # type: ignore[no-untyped-call]
    google_auth.save_token(token, creds)
    google_auth.save_token(token, creds)                 # replaced whole, still 0600
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert [p.name for p in token.parent.iterdir()] == ["google-token.json"]


# --- usage ---------------------------------------------------------------------------------------


def test_caldav_options_are_refused_with_google(db: Path) -> None:
    result = run(db, "--url", "https://dav.example/")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --url: ")


def test_help_documents_the_google_setup() -> None:
    result = CliRunner().invoke(cli.main, ["sync", "--google", "--help"])
    assert result.exit_code == 0
    for words in ("--client-secret", "PERIODIZE_GOOGLE_CLIENT_SECRET", "Google Calendar API",
                  "OAuth consent screen", "Desktop", "pip install 'periodize[google]'"):
        assert words in " ".join(result.stdout.split()), words


BLOCKER = """
import importlib.abc, sys
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('googleapiclient', 'google_auth_oauthlib',
                                  'google_auth_httplib2'):
            raise ImportError(f'No module named {name!r}', name=name)
        return None
sys.meta_path.insert(0, Blocker())
import cli
cli.main(sys.argv[1:])
"""


def test_without_the_extra_sync_google_says_how_to_install_it(db: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERIODIZE_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    done = subprocess.run([sys.executable, "-c", BLOCKER, "--db", str(db), "sync", "--google"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "Error: sync --google needs Google's client libraries (googleapiclient is missing); "
        "install them with: pip install 'periodize[google]'"]
    assert not (tmp_path / "config").exists()


STANDIN_RUN = """
import sys
sys.path.insert(0, 'tests')
from google_standin import GoogleStandIn
from planner.calendars import google_sync
standin = GoogleStandIn()
google_sync.new_http = lambda: standin
import cli
try:
    cli.main(sys.argv[1:])
finally:
    print(len(standin.calls), len(standin.writes()), file=sys.stderr)
"""


@pytest.mark.slow
def test_sync_google_in_a_fresh_python(db: Path, google: GoogleStandIn) -> None:
    """The whole command in its own interpreter (imports, exit code, output), Google's side
    played by the stand-in loaded into it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERIODIZE_")}
    token = google_auth.token_path()
    before = token.read_bytes()
    done = subprocess.run([sys.executable, "-c", STANDIN_RUN, "--db", str(db), "sync",
                           "--google"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    n = len(events_of(current(db)))
    assert done.returncode == 0, done.stderr
    assert unnamed(done.stdout) == f"{n} created, 0 updated, 0 deleted, 0 unchanged.\n"
    assert done.stderr.split() == [str(2 + n), str(1 + n)]    # calendar, list, imports
    assert token.read_bytes() == before                       # still valid: not rewritten


def test_remote_errors_never_leave_a_half_remembered_calendar(db: Path,
                                                              google: GoogleStandIn) -> None:
    google.faults.append(Fault(lambda c: c.method == "POST" and c.path.endswith("/calendars"),
                               [400]))
    with pytest.raises(RemoteError, match="create a calendar"):
        sync(db)
    with open_store(db) as store:
        assert store.google_calendar("") is None


def test_the_store_remembers_calendars_by_name(db: Path) -> None:
    with open_store(db) as store:
        store.remember_google_calendar("", GoogleCalendar("a@group", "periodize · A · rev 1"))
        store.remember_google_calendar("", GoogleCalendar("a@group", "periodize · A · rev 2"))
        store.remember_google_calendar("Training", GoogleCalendar("b@group", "Training"))
        assert store.google_calendar("") == GoogleCalendar("a@group", "periodize · A · rev 2")
        assert store.google_calendar("Training") == GoogleCalendar("b@group", "Training")
        assert store.google_calendar("Other") is None
