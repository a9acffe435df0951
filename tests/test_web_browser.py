"""The web pages in a real browser: Playwright driving Debian's Chromium (its own browser
download cannot run here), at a phone's 390×844 and a desktop's 1280×800. An athlete logs a
session, answers the morning question and sees the re-dosed next session; a log made offline is
held on the phone and recorded once when the network returns; the physio signs in, sees the red
flag and signs off a screen; no page scrolls sideways at 390 px; axe-core (from npm, injected
into each page) finds no serious or critical accessibility violation. Skips, saying why, only
when Chromium, Playwright or npm is missing."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from factories import run, write_profile

from planner import commands
from planner.store.database import open_store

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parent / "axe"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PASSWORD = "correct horse battery"
ANA, BEN = "ana-browser-token-0123456789", "ben-browser-token-0123456789"

pytest.importorskip("uvicorn", reason="the web extra is not installed")
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright is not installed (pip install playwright)")
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from planner.web import physio  # noqa: E402
from planner.web.app import Settings, make_app  # noqa: E402
from planner.web.server import running  # noqa: E402

# Each test drives Chromium: out of the quick loop (`pytest -m "not slow"`), in CI's whole run.
pytestmark = pytest.mark.slow


class Clock:
    """The server's clock, moved by the test."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Site:
    url: str
    folder: Path
    clock: Clock


def _store(folder: Path, name: str, token: str) -> Path:
    db = folder / f"{name.lower()}.db"
    result = run("--db", str(db), "generate", str(write_profile(folder, name=name)))
    assert result.exit_code == 0, result.output
    commands.feed_token(db, token, renew=True)
    return db


@pytest.fixture(scope="module")
def roster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser-roster")
    _store(folder, "Ana", ANA)
    _store(folder, "Ben", BEN)
    physio.set_password(physio.password_file(folder), PASSWORD)
    return folder


@pytest.fixture
def site(roster: Path, tmp_path: Path) -> Iterator[Site]:
    folder = tmp_path / "roster"
    shutil.copytree(roster, folder)
    clock = Clock(dt.datetime(2027, 1, 12, 8, 0, tzinfo=dt.UTC))     # Tuesday, week 2
    app = make_app(Settings(sorted(folder.glob("*.db")), clock, "http://127.0.0.1",
                            physio.password_file(folder)))
    with running(app) as server:
        yield Site(server.url, folder, clock)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url}: {width} px wide"


def _log(db: Path) -> Any:
    with open_store(db) as store:
        return store.athlete_log(store.current()[0].plan_id)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_log_a_session_answer_the_morning_and_see_the_redosed_next_one(
        site: Site, browser: Any, viewport: dict[str, int]) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{site.url}/a/{ANA}")
    # The morning after Monday's session: asked first; then Monday's session, to log.
    morning = page.get_by_role("region", name="This morning")
    assert morning.is_visible()
    session = page.get_by_role("region", name="To log:")
    assert "Mon 11 Jan" in session.inner_text()
    _no_sideways_scroll(page)
    timer = page.get_by_role("button", name="Rest 60 s").first      # the rest timer counts down
    timer.click()
    countdown = page.get_by_role("timer").filter(has_text=" s").first
    countdown.wait_for()
    assert countdown.inner_text().removesuffix(" s").isdigit()
    page.get_by_role("radio", name="Done").check()
    page.get_by_role("group", name="Effort, CR-10").get_by_label("9", exact=True).check()
    page.get_by_role("group", name="Worst knee or thigh pain during").get_by_label(
        "6", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/logged/**")
    said = page.get_by_role("list").inner_text()
    assert "Logged 2027-01-11 as done." in said
    _no_sideways_scroll(page)
    entry = _log(site.folder / "ana.db").sessions[-1]
    assert (entry.day, entry.status, entry.rpe, entry.pain) == (dt.date(2027, 1, 11), "done", 9, 6)

    page.goto(f"{site.url}/a/{ANA}")
    page.get_by_role("group", name="Knee or thigh pain on waking").get_by_label(
        "5", exact=True).check()
    page.get_by_role("button", name="Save morning pain").click()
    page.wait_for_url("**/logged/**")
    assert "Morning pain on 2027-01-12 recorded: 5/10." in page.get_by_role("list").inner_text()
    assert _log(site.folder / "ana.db").mornings == ((dt.date(2027, 1, 12), 5),)

    # The next session, re-dosed from the log: the page says why, in words.
    page.goto(f"{site.url}/a/{ANA}")
    assert page.get_by_role("region", name="This morning").count() == 0
    heading = page.get_by_role("heading", level=2).first.inner_text()
    assert "Wed 13 Jan" in heading
    notes = page.locator(".notes").inner_text()
    assert "Adjusted from your log" in notes
    plan = commands.current_plan(site.folder / "ana.db")
    wednesday = next(s for s in plan.sessions if plan.local_date(s) == dt.date(2027, 1, 13))
    assert wednesday.notes and wednesday.notes[0] in notes
    _no_sideways_scroll(page)
    context.close()


def test_a_log_made_offline_is_sent_once_when_the_network_returns(
        site: Site, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{site.url}/a/{ANA}")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    db = site.folder / "ana.db"
    with open_store(db) as store:
        changes = store.changes()
    context.set_offline(True)
    page.get_by_role("radio", name="Missed").check()
    page.get_by_role("button", name="Save", exact=True).click()
    outbox = page.get_by_role("status")
    outbox.filter(has_text="saved on this phone").wait_for()
    assert _log(db).sessions == (), "nothing reached the server while offline"
    held = page.evaluate("JSON.parse(localStorage.getItem('periodize-outbox'))")
    assert len(held) == 1
    # The page, reloaded offline, comes from the service worker's cache and still holds it.
    page.reload()
    assert "1 entry saved on this phone" in page.get_by_role("status").inner_text()

    context.set_offline(False)
    outbox.filter(has_text="Sent from this phone").wait_for()   # (the CSP refuses
    #                                                             wait_for_function's eval)
    assert page.evaluate("JSON.parse(localStorage.getItem('periodize-outbox'))") == []
    assert [(e.day, e.status) for e in _log(db).sessions] == [(dt.date(2027, 1, 11), "missed")]
    with open_store(db) as store:
        once = store.changes()
        # The same entry again (a phone that lost the answer and sends it once more): refused
        # quietly, answered with the first one's words, nothing changed.
        again = page.evaluate(
            "item => fetch(item.action, {method: 'POST', body: item.body, headers: {"
            "'Content-Type': 'application/x-www-form-urlencoded', 'Accept': 'application/json'}"
            "}).then(r => r.json())", held[0])
        assert again["again"] is True and "Logged 2027-01-11 as missed." in again["said"][0]
        assert store.changes() == once
        keys = store.db.execute("SELECT count(*) FROM request_keys").fetchone()[0]
    assert once > changes and keys == 1
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_physio_signs_in_sees_the_red_flag_and_signs_off_a_screen(
        site: Site, browser: Any, viewport: dict[str, int]) -> None:
    ben = site.folder / "ben.db"
    commands.logbook.done(ben, ["2027-01-11"], site.clock.now, 7, 8)       # a red flag
    site.clock.now = dt.datetime(2027, 1, 14, 9, 0, tzinfo=dt.UTC)         # Thursday
    commands.logbook.morning_pain(ben, "2027-01-14", "2", site.clock.now)
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{site.url}/physio/")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong password."
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/physio/")
    _no_sideways_scroll(page)
    row = page.get_by_role("row").filter(has_text="Ben")
    assert "red flag" in row.inner_text()
    assert "red flag" not in page.get_by_role("row").filter(has_text="Ana").inner_text()
    row.get_by_role("button", name="Sign off screen").click()
    page.wait_for_url("**/screen")
    assert "Screen signed off for ben" in page.get_by_role("heading", level=1).inner_text()
    assert _log(ben).screens == ((dt.date(2027, 1, 14), True),)
    page.goto(f"{site.url}/physio/a/ben")
    assert "Calendar" in page.content()
    _no_sideways_scroll(page)
    context.close()


PAGES = [f"/a/{ANA}", f"/a/{ANA}/plan", f"/a/{ANA}/history", f"/a/{ANA}/measure", "/physio/login"]


def test_no_page_scrolls_sideways_on_a_phone(site: Site, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    plan = commands.current_plan(site.folder / "ana.db")
    for path in [*PAGES, f"/a/{ANA}/s/{plan.sessions[0].uid}"]:
        page.goto(site.url + path)
        _no_sideways_scroll(page)
    context.close()


def _axe_script() -> Path:
    script = AXE / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is needed to install axe-core (apt-get install npm)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=AXE,
                       check=True, timeout=600, env={**os.environ})
    return script


def test_no_serious_accessibility_violation(site: Site, browser: Any) -> None:
    script = _axe_script()
    # axe is injected as a script of its own: the page's CSP (no inline script) is set aside
    # for the test's injection only.
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{site.url}/physio/login")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/physio/")
    found = {}
    for path in [*PAGES[:-1], "/physio/", "/physio/a/ana", "/physio/a/ana/limits"]:
        page.goto(site.url + path)
        page.add_script_tag(path=str(script))
        violations = page.evaluate("axe.run().then(r => r.violations.map(v => "
                                   "({id: v.id, impact: v.impact, nodes: v.nodes.length})))")
        bad = [v for v in violations if v["impact"] in ("serious", "critical")]
        if bad:
            found[path.replace(ANA, "TOKEN")] = bad
    assert not found, found
