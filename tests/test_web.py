"""``periodize serve``: the athlete's pages, the log sent from them (the CLI's own functions,
once per key), the physio's view (password, cookie, CSRF), tokens that never reach another
athlete's data, the security headers and the feed route. Through Starlette's TestClient; the
real-browser tests are in test_web_browser.py."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from factories import run, write_profile

pytest.importorskip("starlette", reason="the web extra is not installed")

from starlette.testclient import TestClient

from planner import commands
from planner.commands import pages
from planner.store.database import open_store
from planner.web import physio
from planner.web.app import Settings, make_app, printable

#: Tuesday of the plan's second week, 08:00 UTC: Monday's session is past and not logged.
TUESDAY = dt.datetime(2027, 1, 12, 8, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"


def _store(folder: Path, name: str, token: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"{name.lower()}.db"
    profile = write_profile(folder, name=name)
    result = run("--db", str(db), "generate", str(profile))
    assert result.exit_code == 0, result.output
    commands.feed_token(db, token, renew=True)
    return db


@pytest.fixture(scope="module")
def roster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("roster")
    _store(folder, "Ana", "ana-token-0123456789")
    _store(folder, "Ben", "ben-token-0123456789")
    physio.set_password(physio.password_file(folder), PASSWORD)
    return folder


@pytest.fixture
def folder(roster: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "roster"
    shutil.copytree(roster, copy)
    return copy


def client_for(folder: Path, clock: Callable[[], dt.datetime] = lambda: TUESDAY,
               lines: list[str] | None = None) -> TestClient:
    settings = Settings(sorted(folder.glob("*.db")), clock, "http://127.0.0.1:8765",
                        physio.password_file(folder),
                        log=lines.append if lines is not None else None)
    return TestClient(make_app(settings), follow_redirects=False)


def test_the_athlete_page_opens_on_the_session_to_log_with_every_exercise(folder: Path) -> None:
    client = client_for(folder)
    page = client.get("/a/ana-token-0123456789/")
    assert page.status_code == 200
    html = page.text
    # Monday 11 January is past and not logged: the page opens on it, to log it.
    assert "To log:" in html and "Mon 11 Jan" in html
    view = pages.athlete_page(folder / "ana.db", TUESDAY).focus
    assert view is not None and view.day == dt.date(2027, 1, 11)
    for exercise in view.exercises:        # every exercise's level, dose and cue, as `today`
        assert exercise.dose in html.replace("&#39;", "'")
        assert exercise.title.split(" · ")[0] in html
    assert any(e.rule for e in view.exercises) and "Next level when:" in html
    assert 'class="timer" data-rest=' in html
    # The morning after Monday's session: the question is asked first.
    assert html.index("This morning") < html.index("To log:")


def test_every_form_field_has_a_visible_label(folder: Path) -> None:
    html = client_for(folder).get("/a/ana-token-0123456789/").text
    inputs = re.findall(r"<input (?![^>]*type=\"hidden\")[^>]*>", html)
    assert inputs
    for field in inputs:      # each radio and checkbox sits inside its <label>
        before = html[:html.index(field)]
        assert before.rfind("<label>") > before.rfind("</label>"), field


def test_a_log_from_the_page_is_the_clis_done_and_shows_what_changed(folder: Path) -> None:
    client = client_for(folder)
    db = folder / "ana.db"
    before = commands.current_plan(db)
    answer = client.post("/a/ana-token-0123456789/log", data={
        "key": "k-1", "what": "done", "day": "2027-01-11", "rpe": "9", "pain": "6",
        "not_met": ["step-down"]})
    assert answer.status_code == 303
    shown = client.get(answer.headers["location"])
    assert shown.status_code == 200 and "Logged 2027-01-11 as done." in shown.text
    with open_store(db) as store:
        entry = store.log(before.plan_id)[-1]
        assert (entry.day, entry.status, entry.rpe, entry.pain) == (
            dt.date(2027, 1, 11), "done", 9, 6)
        assert store.current()[0].revision > before.revision   # re-dosed, as `done` does
    said = pages.logged_words(db, "k-1")
    assert said is not None and len(said) > 1
    for line in said[1:]:
        assert printable(line).replace("'", "&#39;") in shown.text


def test_the_same_key_twice_is_recorded_once(folder: Path) -> None:
    client = client_for(folder)
    db = folder / "ana.db"
    entry = {"key": "offline-1", "what": "done", "day": "2027-01-11", "pain": "2"}
    first = client.post("/a/ana-token-0123456789/log", data=entry,
                        headers={"Accept": "application/json"})
    with open_store(db) as store:
        changes = store.changes()
    second = client.post("/a/ana-token-0123456789/log", data={**entry, "pain": "5"},
                         headers={"Accept": "application/json"})
    assert first.status_code == second.status_code == 200
    assert first.json()["again"] is False and second.json()["again"] is True
    assert second.json()["said"] == first.json()["said"]
    with open_store(db) as store:
        assert store.changes() == changes, "the second sending changed nothing"
        assert store.log(store.current()[0].plan_id)[-1].pain == 2


def test_entries_wait_only_for_entries_to_the_same_store(folder: Path) -> None:
    """One lock per store file (however it is named): an entry for one athlete of a roster
    never waits for another athlete's."""
    ana, other = folder / "ana.db", folder / "ben.db"
    lock = pages._entry_lock(ana)
    assert pages._entry_lock(folder / "." / "ana.db") is lock
    assert pages._entry_lock(other) is not lock
    with lock:      # an entry for Ana in progress: Ben's lock is free
        assert pages._entry_lock(other).acquire(blocking=False)
        pages._entry_lock(other).release()
        assert not pages._entry_lock(ana).acquire(blocking=False)


def test_bad_input_from_the_page_is_refused_in_words_and_changes_nothing(folder: Path) -> None:
    client = client_for(folder)
    db = folder / "ana.db"
    with open_store(db) as store:
        changes = store.changes()
    for data in ({"key": "b1", "what": "done", "day": "2027-01-11", "pain": "11"},
                 {"key": "b2", "what": "done", "day": "2027-02-20"},       # after today
                 {"key": "b3", "what": "done", "day": "nope"},
                 {"key": "b4", "what": "jumped", "day": "2027-01-11"},
                 {"key": "", "what": "done", "day": "2027-01-11"},
                 {"key": "b5", "what": "done", "day": "2027-01-11", "not_met": "walking"}):
        answer = client.post("/a/ana-token-0123456789/log", data=data)
        assert answer.status_code == 400, data
        assert "Nothing was changed." in answer.text
    with open_store(db) as store:
        assert store.changes() == changes


def test_the_morning_question_goes_through_pain(folder: Path) -> None:
    client = client_for(folder)
    answer = client.post("/a/ana-token-0123456789/log", data={
        "key": "m1", "what": "morning", "day": "2027-01-12", "pain": "4"})
    assert answer.status_code == 303
    with open_store(folder / "ana.db") as store:
        assert store.athlete_log(store.current()[0].plan_id).mornings == (
            (dt.date(2027, 1, 12), 4),)
    assert "This morning" not in client.get("/a/ana-token-0123456789/").text


def test_an_athletes_link_never_reaches_another_athletes_data(folder: Path) -> None:
    client = client_for(folder)
    ben = client.get("/a/ben-token-0123456789/").text
    ana = client.get("/a/ana-token-0123456789/").text
    assert "Ben" in ben and "Ana" not in ben and "Ana" in ana and "Ben" not in ana
    # Ana's token with Ben's session UID: not found; and Ana cannot log on Ben's store.
    ben_uid = commands.current_plan(folder / "ben.db").sessions[0].uid
    assert client.get(f"/a/ana-token-0123456789/s/{ben_uid}").status_code == 404
    client.post("/a/ana-token-0123456789/log", data={"key": "x", "what": "missed",
                                                     "day": "2027-01-11"})
    with open_store(folder / "ben.db") as store:
        assert store.log(store.current()[0].plan_id) == []
    # A key recorded for Ana is not Ben's.
    assert client.get("/a/ben-token-0123456789/logged/x").status_code == 404
    for path in ("/a/nobody/", "/a/ana-token-012345678/", "/a/ana-token-0123456789x/",
                 "/nobody.ics", "/physio/a/ana"):
        assert client.get(path).status_code in (303, 404), path


def test_a_wrong_token_opens_no_store(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_for(folder)
    client.get("/a/ana-token-0123456789/")          # the tokens are read once
    opened: list[Path] = []
    real = open_store

    def counting(path: Path, create: bool = False) -> object:
        opened.append(path)
        return real(path, create)

    monkeypatch.setattr("planner.calendars.feed.open_store", counting)
    monkeypatch.setattr("planner.commands.pages.open_store", counting)
    for path in ("/a/wrong/", "/wrong.ics", "/a/wrong/plan"):
        assert client.get(path).status_code == 404
    assert opened == []


def test_a_new_token_revokes_the_old_link(folder: Path) -> None:
    client = client_for(folder)
    assert client.get("/a/ana-token-0123456789/").status_code == 200
    commands.feed_token(folder / "ana.db", "ana-new-token-987654321", renew=True)
    assert client.get("/a/ana-token-0123456789/").status_code == 404
    assert client.get("/ana-token-0123456789.ics").status_code == 404
    assert client.get("/a/ana-new-token-987654321/").status_code == 200


def test_security_headers_on_every_answer(folder: Path) -> None:
    client = client_for(folder)
    for path in ("/a/ana-token-0123456789/", "/physio/login", "/nothing", "/static/app.css",
                 "/ana-token-0123456789.ics"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
    html = client.get("/a/ana-token-0123456789/").text
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None, "no inline script"
    assert " on" not in re.sub(r"<[^>]*>", "", "") and not re.search(r"<[^>]+ on\w+=", html)


@pytest.mark.slow
def test_the_physio_signs_in_sees_the_table_and_signs_off_a_screen(folder: Path) -> None:
    client = client_for(folder)
    assert client.get("/physio/").headers["location"] == "/physio/login"
    login = client.get("/physio/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert csrf is not None
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/physio" in cookie
    wrong = client.post("/physio/login", data={"csrf": csrf[1], "password": "nope"})
    assert wrong.status_code == 403
    no_csrf = client.post("/physio/login", data={"password": PASSWORD})
    assert no_csrf.status_code == 403
    good = client.post("/physio/login", data={"csrf": csrf[1], "password": PASSWORD})
    assert good.status_code == 303 and good.headers["location"] == "/physio/"
    table = client.get("/physio/")
    assert table.status_code == 200 and "Ana" in table.text and "Ben" in table.text
    csrf2 = re.search(r'name="csrf" value="([^"]+)"', table.text)
    assert csrf2 is not None
    report = client.get("/physio/a/ana")
    assert report.status_code == 200 and "Calendar" in report.text
    assert "frame-ancestors 'none'" in report.headers["content-security-policy"]
    # Signing off a screen needs the CSRF token; with it, it is `screen TODAY --passed`.
    assert client.post("/physio/a/ana/screen", data={}).status_code == 403
    done = client.post("/physio/a/ana/screen", data={"csrf": csrf2[1]})
    assert done.status_code == 200, done.text
    with open_store(folder / "ana.db") as store:
        assert store.athlete_log(store.current()[0].plan_id).screens == (
            (dt.date(2027, 1, 12), True),)


def test_the_physio_cookie_is_secure_behind_tls(folder: Path) -> None:
    settings = Settings(sorted(folder.glob("*.db")), lambda: TUESDAY,
                        "https://plans.example.org", physio.password_file(folder))
    client = TestClient(make_app(settings), base_url="https://testserver")
    assert "secure" in client.get("/physio/login").headers["set-cookie"].lower()


def test_request_lines_hold_no_token_and_no_control_characters(folder: Path) -> None:
    lines: list[str] = []
    client = client_for(folder, lines=lines)
    client.get("/a/ana-token-0123456789/")
    client.request("GET\x1b[31m", "/x")
    assert lines and all("ana-token" not in line for line in lines)
    assert all(line.isprintable() for line in lines)
    assert printable("a\x1b[2Jb\n") == "a\\x1b[2Jb\\n"


def test_the_feed_route_answers_304_for_a_weak_etag(folder: Path) -> None:
    client = client_for(folder)
    first = client.get("/ana-token-0123456789.ics")
    assert first.status_code == 200 and first.text.startswith("BEGIN:VCALENDAR")
    etag = first.headers["etag"]
    assert client.get("/ana-token-0123456789.ics",
                      headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get("/ana-token-0123456789.ics",
                      headers={"If-None-Match": '"other", ' + etag}).status_code == 304
    assert client.get("/ana-token-0123456789.ics",
                      headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_behind_a_proxys_path_every_address_carries_it(folder: Path) -> None:
    settings = Settings(sorted(folder.glob("*.db")), lambda: TUESDAY,
                        "https://example.org/periodize", physio.password_file(folder))
    client = TestClient(make_app(settings), follow_redirects=False)
    for path in ("/a/ana-token-0123456789", "/a/ana-token-0123456789/plan",
                 "/a/ana-token-0123456789/history", "/physio/login"):
        html = client.get(path).text
        links = re.findall(r'(?:href|src|action)="([^"]+)"', html)
        assert links and all(link.startswith("/periodize/") for link in links), (path, links)
    assert client.get("/physio/").headers["location"] == "/periodize/physio/login"
    manifest = client.get("/a/ana-token-0123456789/manifest.webmanifest").json()
    assert manifest["start_url"] == "/periodize/a/ana-token-0123456789/"
    assert "path=/periodize/physio" in client.get("/physio/login").headers["set-cookie"]


def test_history_shows_the_log_and_undo_is_the_clis_undo(folder: Path) -> None:
    client = client_for(folder)
    db = folder / "ana.db"
    client.post("/a/ana-token-0123456789/log", data={
        "key": "h1", "what": "done", "day": "2027-01-11", "rpe": "9", "pain": "6"})
    after = commands.current_plan(db).revision
    page = client.get("/a/ana-token-0123456789/history").text
    assert "Mon 11 Jan: done, effort 9/10, pain 6/10" in page
    assert "Undo the last change" in page
    undone = client.post("/a/ana-token-0123456789/undo")
    assert undone.status_code == 200 and "Back to revision" in undone.text
    assert commands.current_plan(db).revision < after


@pytest.mark.slow
@pytest.mark.parametrize("sent", [b"", b"GET /a/x/ HTTP/1.1\r\nHost: x\r\n"],
                         ids=["nothing", "a head that never ends"])
def test_a_connection_that_never_sends_a_whole_request_is_closed(folder: Path,
                                                                 sent: bytes) -> None:
    import socket

    from planner.web.server import running

    with running(make_app(Settings(sorted(folder.glob("*.db")), lambda: TUESDAY)),
                 head_timeout=0.5) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
            sock.sendall(sent)
            assert sock.recv(1024) == b"", "closed by the server, with no answer"
        with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
            sock.sendall(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while chunk := sock.recv(1024):          # kept alive after the answer, then closed
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 404") and answer.endswith(b"Not found\n")


def test_each_answer_carries_fresh_entry_keys(folder: Path) -> None:
    client = client_for(folder)
    keys = [re.findall(r'name="key" value="([^"]+)"', client.get(
        "/a/ana-token-0123456789/").text) for _ in range(3)]
    assert all(len(k) == 2 for k in keys)
    flat = [k for pair in keys for k in pair]
    assert len(set(flat)) == len(flat), "a key is never given out twice"


def _signed_in(client: TestClient) -> str:
    login = client.get("/physio/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert csrf is not None
    assert client.post("/physio/login", data={"csrf": csrf[1], "password": PASSWORD}
                       ).status_code == 303
    table = re.search(r'name="csrf" value="([^"]+)"', client.get("/physio/").text)
    assert table is not None
    return table[1]


def test_the_physio_sets_limits_through_the_limits_command(folder: Path) -> None:
    client = client_for(folder)
    assert client.get("/physio/a/ana/limits").status_code == 303      # signed in first
    csrf = _signed_in(client)
    form = client.get("/physio/a/ana/limits")
    assert form.status_code == 200 and 'name="contacts"' in form.text
    assert client.post("/physio/a/ana/limits", data={"no_jumps": "on"}).status_code == 403
    bad = client.post("/physio/a/ana/limits", data={"csrf": csrf, "contacts": "500"})
    assert bad.status_code == 400 and "contacts &lt;= 500" in bad.text
    assert not commands.limits(folder / "ana.db")
    done = client.post("/physio/a/ana/limits", data={"csrf": csrf, "no_jumps": "on",
                                                     "level": "2"})
    assert done.status_code == 200, done.text
    held = commands.limits(folder / "ana.db")
    assert held.no_jumps and held.strength_level_max == 2 and held.contacts_max is None
    assert not commands.limits(folder / "ben.db"), "another athlete's limits untouched"
    assert "no jumps, strength level &lt;= 2" in client.get("/physio/").text
    page = client.get("/a/ana-token-0123456789/").text
    assert "Set by your physio:" in page and "no jumps" in page
    plan = commands.current_plan(folder / "ana.db")
    ahead = [s for s in plan.sessions if s.start.date() >= TUESDAY.date()]
    assert ahead and all("plyometrics" not in s.kinds for s in ahead)


def test_clients_asking_at_once_after_a_change_share_one_render(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight clients miss the kept feed at the same moment (the first render waits until all
    eight have asked): one renders and the others take its answer. The render's own record of
    what it handed out changes the store once, so a second render may follow; never eight."""
    import threading

    from planner.web import site as site_module

    db = folder / "ana.db"
    athletes = site_module.Site([db])
    athlete = athletes.athletes[0]
    asked: set[int] = set()
    all_asked = threading.Condition()
    renders: list[int] = []
    from planner.calendars.feed import read_feed as real_read

    real_refresh = athletes._refresh

    def refresh(who: site_module.Athlete) -> object:
        with all_asked:
            asked.add(threading.get_ident())
            all_asked.notify_all()
        return real_refresh(who)

    def read(*args: object, **kwargs: object) -> object:
        renders.append(1)
        with all_asked:     # a deadlock guard, not a limit: eight threads ask within it
            assert all_asked.wait_for(lambda: len(asked) == 8, timeout=120)
        return real_read(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(athletes, "_refresh", refresh)
    monkeypatch.setattr(site_module, "read_feed", read)
    found: list[object] = []
    threads = [threading.Thread(target=lambda: found.append(
        athletes.feed(athlete, "ana-token-0123456789", TUESDAY))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and all(f is not None for f in found)
    assert len({f.etag for f in found}) == 1            # type: ignore[attr-defined]
    assert 1 <= len(renders) <= 2
