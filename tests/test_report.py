"""The HTML report: self-contained (nothing fetched, no script), escaped, reproducible, and it
renders in a real browser (headless Chromium, when installed)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from factories import NOW

from catalog import default_catalog
from planner.store.plan import Plan
from planner.store.profile import Profile, profile_from_dict
from planner.views.html_report import plan_report
from planner.workflows.generate import build_plan

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
NASTY = "<script>alert(1)</script> & Sam"
RAW: dict[str, Any] = {
    "name": "Sam", "timezone": "Europe/London", "start": "2027-01-04", "weeks": 8,
    "level": "beginner", "rest_days": ["sun"],
    "availability": {"mon": ["18:00-20:00"], "tue": ["18:30-20:00"],
                     "wed": ["07:00-08:00", "18:00-20:00"], "fri": ["17:30-19:00"],
                     "sat": ["09:00-12:00"]},
}
EXTERNAL = re.compile(r"^\s*(https?:|//|ftp:|data:text/html)", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.IGNORECASE)


class Page(HTMLParser):
    """Every start tag with its attributes, the visible text, and the <style> contents."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def make_plan(name: str = "Sam") -> tuple[Plan, Profile]:
    profile = profile_from_dict({**RAW, "name": name})
    plan, _ = build_plan(profile, default_catalog(), [], NOW)
    ordered = sorted(plan.sessions, key=lambda s: s.start)
    # As ``plan_as_of`` hands the report a plan: each session's status its state that day (the
    # fifth is past with no word: not logged).
    marks = {ordered[0].uid: "done", ordered[1].uid: "done", ordered[2].uid: "missed",
             ordered[3].uid: "done", ordered[4].uid: "not logged"}
    sessions = tuple(dataclasses.replace(s, status=marks[s.uid]) if s.uid in marks else s
                     for s in plan.sessions)
    return dataclasses.replace(plan, sessions=sessions), profile


@pytest.fixture(scope="module")
def planned() -> tuple[Plan, Profile]:
    return make_plan()


def today_of(plan: Plan) -> dt.date:
    """A day in week 2, after the four sessions marked in ``make_plan`` and a fifth unmarked."""
    ordered = sorted(plan.sessions, key=lambda s: s.start)
    return ordered[4].start.date() + dt.timedelta(days=1)


@pytest.fixture(scope="module")
def report(planned: tuple[Plan, Profile]) -> str:
    plan, profile = planned
    return plan_report(plan, profile, today_of(plan), default_catalog().safety_note)


@pytest.mark.slow
def test_every_session_is_listed_with_its_date_and_exercises(
        planned: tuple[Plan, Profile], report: str) -> None:
    plan, _ = planned
    page = parse(report)
    times = {value for tag, attrs in page.tags if tag == "time"
             for key, value in attrs if key == "datetime"}
    text = page.visible
    for s in plan.sessions:
        assert s.start.isoformat() in times
        assert f"{s.start:%a} {s.start.day} {s.start:%b %Y}, {s.start:%H:%M}" in text
        for dose in s.exercises:
            assert dose.describe() in text
    assert sum(1 for tag, attrs in page.tags if tag == "article") == len(plan.sessions)


def test_nothing_is_fetched_and_there_is_no_script(report: str) -> None:
    page = parse(report)
    assert not [tag for tag, _ in page.tags if tag in ("script", "iframe", "object", "embed",
                                                       "link", "img", "base")]
    for tag, attrs in page.tags:
        for key, value in attrs:
            assert not key.startswith("on"), (tag, key)          # no inline event handlers
            assert not EXTERNAL.match(value or ""), (tag, key, value)
            if key in ("href", "xlink:href", "src"):
                assert (value or "").startswith("#"), (tag, key, value)
            for url in CSS_URL.findall(value or ""):
                assert url.startswith("#"), (tag, key, value)
    css = "\n".join(page.styles)
    assert "@import" not in css and "@font-face" not in css
    assert all(url.startswith("#") for url in CSS_URL.findall(css))
    assert "http://" not in report and "https://" not in report
    assert "javascript:" not in report.lower()


def test_profile_and_catalogue_text_is_escaped() -> None:
    plan, profile = make_plan(NASTY)
    html = plan_report(plan, profile, None, "Stop if it hurts <b>sharply</b> & see a doctor.")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sam" in html
    assert "<b>sharply</b>" not in html
    page = parse(html)
    assert not [tag for tag, _ in page.tags if tag == "script"]
    assert NASTY in page.visible                                   # shown as written
    assert "Stop if it hurts <b>sharply</b> & see a doctor." in page.visible


def test_charts_are_inline_svg_with_the_lighter_weeks(report: str) -> None:
    page = parse(report)
    assert sum(1 for tag, _ in page.tags if tag == "svg") == 2
    assert "<svg" in report and "<?xml" not in report and "<!DOCTYPE svg" not in report
    ids = [value for _, attrs in page.tags for key, value in attrs if key == "id"]
    assert len(ids) == len(set(ids))                                # two charts, no id clash
    text = page.visible
    assert "week 4 deload" in text and "week 8 taper" in text


def test_adherence_counts(planned: tuple[Plan, Profile], report: str) -> None:
    plan, _ = planned
    text = parse(report).visible
    later = len(plan.sessions) - 5
    # One rule with `periodize status`: the past session with no word is not counted as done
    # (silence is not success), and the report says so.
    assert (f"So far: 3 of 5 past sessions done (60%), 1 missed, 1 not logged (not counted as "
            f"done); {later} to come.") in text
    assert len(re.findall(r'<a class="s \w+ unlogged"', report)) == 1      # the "○" in the calendar
    assert "not logged ○" in text and "?" not in text
    assert len(re.findall(r'<a class="s \w+ missed"', report)) == 1


def test_today_is_marked_in_the_calendar(planned: tuple[Plan, Profile],
                                         report: str) -> None:
    plan, _ = planned
    today = today_of(plan)
    assert re.search(r'<td class="[^"]*\btoday\b[^"]*"><span class="date"><span class="mark">'
                     rf'▶ today</span> <time datetime="{today.isoformat()}">', report)
    assert report.count('<span class="mark">▶ today</span>') == 1


@pytest.mark.slow
def test_same_plan_same_bytes(planned: tuple[Plan, Profile]) -> None:
    plan, profile = planned
    note = default_catalog().safety_note
    first = plan_report(plan, profile, today_of(plan), note)
    second = plan_report(plan, profile, today_of(plan), note)
    assert first == second
    assert "<dc:date>" not in first.lower()


def _chromium() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
def test_renders_in_headless_chromium(report: str, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed")
    page = tmp_path / "report.html"
    page.write_text(report, encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    (ARTIFACTS / "report.html").write_text(report, encoding="utf-8")
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
               f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
               f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("http_", "https_"))}
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env,
                            cwd=tmp_path, stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 10_000, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page_errors = [line for line in result.stderr.splitlines()
                   if "Uncaught" in line or ":CONSOLE" in line or "CONSOLE(" in line]
    assert not page_errors, page_errors
