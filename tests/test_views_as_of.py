"""Every view reads the plan as of a day (``planner.training.plan_as_of``; issue 24 §3, issue
23 §5): silence is not success in any of them, and what a physio reads first is there.

Through the CLI on a private copy of the stored plan (``store`` fixture: the default test
profile, plan from Mon 2027-01-04, sessions on Mon/Wed/Fri/Sat), and, for the property, through
the log commands on random logs."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from factories import NOW, RULES
from factories import run as cli_run
from hypothesis import given
from hypothesis import strategies as st

from catalog.monitoring import default_monitoring
from planner.commands import logbook
from planner.errors import PeriodizeError
from planner.store.as_of import NOT_LOGGED
from planner.store.database import open_store
from planner.store.plan import DONE, MISSED
from planner.training.plan_as_of import plan_as_of


def run(db: Path, *args: str) -> str:
    result = cli_run("--db", str(db), *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_status_and_report_lead_with_what_a_physio_reads(store: Path, tmp_path: Path) -> None:
    """A red flag (pain 8 during, 8 the next morning), a failed then a passed screen: status and
    the report say each with its date, the pause with why and until when, the adjustments
    with their reasons, and mark the scores above the limits."""
    today = ("--today", "2027-01-20")
    run(store, "done", "2027-01-06", "--rpe", "6", "--pain", "8", *today)
    run(store, "pain", "2027-01-07", "8", *today)
    run(store, "screen", "2027-01-09", "--failed", *today)
    run(store, "pain", "2027-01-11", "1", *today)
    run(store, "screen", "2027-01-11", "--passed", *today)
    said = " ".join(run(store, "status", *today).split())
    assert ("Red flags (7/10 or more): pain 8/10 during Wed 6 Jan; morning pain 8/10 on Thu 7 "
            "Jan.") in said
    assert "Readiness screens: failed Sat 9 Jan, passed Mon 11 Jan." in said
    assert "Jumps paused from Fri 8 Jan (pain 8/10 on Wed 6 Jan), until " in said
    assert "when the plan has them again." in said          # the passed screen ended it
    assert "Adjustments by the log, up to Wed 27 Jan:" in said
    assert "back to level 0 (pain 8/10 on the morning of Thu 7 Jan)" in said
    assert re.search(r" Wed 06 Jan 6/\d+ 8! 8! ", said)   # during and next morning above 5
    assert re.search(r" \d+ past sessions not logged, not counted as done", said)
    page = tmp_path / "report.html"
    run(store, "report", "-o", str(page), *today)
    html = page.read_text(encoding="utf-8")
    physio = html[html.index('<section class="physio">'):html.index("</section>")]
    assert "pain 8/10 during Wed 6 Jan" in physio and "passed Mon 11 Jan" in physio
    assert "Jumps paused from Fri 8 Jan" in physio
    assert html.index('<section class="physio">') < html.index("<h2>Calendar</h2>")
    assert '<td class="num over">8!</td>' in html


def test_persistent_morning_pain_puts_its_advice_in_the_physio_lines(store: Path) -> None:
    today = ("--today", "2027-01-20")
    rules = default_monitoring()
    for day in range(rules.persistent_days):
        run(store, "pain", (dt.date(2027, 1, 5) + dt.timedelta(days=day)).isoformat(),
            str(rules.persistent_at), *today)
    said = " ".join(run(store, "status", *today).split())
    assert " ".join(rules.persistent.split()) in said


ENTRY = st.one_of(st.tuples(st.just("done"), st.sampled_from([None, 3, 6, 8]),
                            st.booleans()),
                  st.tuples(st.just("missed"), st.none(), st.just(False)))
LOG = st.dictionaries(st.integers(0, 15), ENTRY, max_size=6)


@pytest.mark.slow
@given(log=LOG, offset=st.integers(0, 30))
@RULES
def test_no_view_counts_a_session_not_logged_as_done_or_lets_it_raise_a_level(
        stored: tuple[Path, Path], log: dict[int, tuple[str, int | None, bool]],
        offset: int) -> None:
    """For any log and any day: a past session has the state its entry gives, else "not
    logged" (never done); no strength level as of the day is above the stored revision's,
    which counts the sessions not logged as done with every rule met."""
    day = dt.date(2027, 1, 4) + dt.timedelta(days=offset)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "s.db"
        shutil.copy(stored[0], db)
        with open_store(db) as opened:
            sessions = sorted(opened.current().plan.sessions, key=lambda s: s.start)
        entries = {}
        for index, (kind, pain, not_met) in sorted(log.items()):
            session = sessions[index]
            when = session.start.date().isoformat()
            try:
                if kind == "done":
                    logbook.done(db, [when], NOW, pain=pain, not_met=["all"] if not_met and
                                 "strength" in session.kinds else [], today=day)
                else:
                    logbook.missed(db, [when], None, NOW, today=day)
            except PeriodizeError:
                continue            # a day after ``day``: refused, nothing written
            entries[session.uid] = kind
        with open_store(db) as opened:
            seen = plan_as_of(opened, day)
            stored_plan = opened.current().plan
    held = {s.uid: s for s in stored_plan.sessions}
    for s in seen.plan.sessions:
        past = seen.plan.local_date(s) < day
        want = entries.get(s.uid, NOT_LOGGED if past else "planned")
        if s.uid not in entries and held[s.uid].status == MISSED:
            want = MISSED
        assert s.status == want, (s.start, s.status, want)
        assert s.status != DONE or entries.get(s.uid) == DONE
        levels = {d.name.split(" · ")[0]: d.level for d in s.exercises if d.kind == "strength"}
        before = {d.name.split(" · ")[0]: d.level for d in held[s.uid].exercises
                  if d.kind == "strength"}
        for name, level in levels.items():
            if name in before and level is not None and before[name] is not None:
                assert level <= before[name], (s.start, name, level, before[name])


@pytest.mark.slow
def test_the_report_with_the_physios_lines_fits_a_phone(store: Path, tmp_path: Path) -> None:
    """The report with a red flag, a pause, screens, adjustments and a marked score, in
    Chromium at 390 px: nothing scrolls sideways."""
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    today = ("--today", "2027-01-20")
    run(store, "done", "2027-01-06", "--rpe", "6", "--pain", "8", *today)
    run(store, "pain", "2027-01-07", "8", *today)
    run(store, "screen", "2027-01-09", "--failed", *today)
    page_file = tmp_path / "report.html"
    run(store, "report", "-o", str(page_file), *today)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium))
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(page_file.as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            assert page.is_visible("section.physio") and page.is_visible("table.logged")
        finally:
            browser.close()


def test_the_feed_moves_with_the_day_though_the_store_does_not(store: Path) -> None:
    """The feed server's clock passes a day with sessions not logged: the same store gives a
    new feed (its cache lasts a day), with one more session "Not logged" and the held ones a
    SEQUENCE up; asked again the same day, 304."""
    pytest.importorskip("uvicorn", reason="the web extra is not installed")
    import http.client

    from icalendar import Calendar

    from planner import commands
    from planner.web.app import Settings, make_app
    from planner.web.server import running

    token = commands.feed_token(store, "feed-token-for-the-day-test-0123", False)[1]
    now = [dt.datetime(2027, 1, 5, 12, tzinfo=dt.UTC)]

    def get(**headers: str) -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            connection.request("GET", f"/{token}.ics", headers=headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def unlogged(body: bytes) -> dict[str, int]:
        return {str(e["UID"]): int(str(e["SEQUENCE"])) for e in Calendar.from_ical(body).events
                if str(e["SUMMARY"]).startswith("Not logged: ")}

    with running(make_app(Settings([store], lambda: now[0], feed_only=True))) as server:
        status, headers, first = get()
        assert status == 200 and len(unlogged(first)) == 1          # Mon 4 Jan
        assert get(**{"If-None-Match": headers["ETag"]})[0] == 304
        now[0] = dt.datetime(2027, 1, 7, 12, tzinfo=dt.UTC)
        status, later_headers, later = get(**{"If-None-Match": headers["ETag"]})
        assert status == 200 and later_headers["ETag"] != headers["ETag"]
        assert len(unlogged(later)) == 2                            # and Wed 6 Jan
        held = unlogged(first)
        assert all(later_seq > held[uid] for uid, later_seq in unlogged(later).items()
                   if uid in held)


def test_recurring_cramps_are_among_the_physios_first_lines(store: Path) -> None:
    today = ("--today", "2027-01-20")
    for day in ("2027-01-05", "2027-01-08", "2027-01-12"):
        run(store, "cramp", day, *today)
    said = run(store, "status", *today)
    assert said.index("Recurring: cramps on 3 days") < said.index("Strength level by week")
    assert said.count("Recurring: cramps on 3 days") == 1
