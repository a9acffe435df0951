"""The ASGI application of ``periodize serve``: the athlete's pages and the calendar feed behind
the athlete's token, the physio's view behind a password. Handlers are plain functions (Starlette
runs them in its thread pool): each reads the store through ``planner.commands``."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from planner.calendars.feed import CONTENT_TYPE, last_modified, unchanged
from planner.commands import pages
from planner.errors import ConcurrentChange, PeriodizeError
from planner.store.links import athlete_url
from planner.web import physio
from planner.web.site import Athlete, Site

HERE = Path(__file__).parent
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Every answer's security headers. No inline script anywhere (the pages load /static/app.js);
#: the report's own inline styles and SVG need 'unsafe-inline' for style only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
REPORT_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
HEADERS = {
    "Server": "periodize",                      # no library or Python version told
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",          # the token in the address never leaves in one
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
NOT_FOUND = "Not found\n"
SCORES = range(11)


def printable(text: str) -> str:
    """``text`` with every control character escaped (\\x1b, \\n...): what a client sends never
    reaches the operator's terminal raw."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclass
class Settings:
    """What ``serve`` was started with."""

    stores: list[Path]
    clock: Callable[[], dt.datetime]            # the CLI's: nothing below it reads the clock
    base_url: str = "http://127.0.0.1:8765"
    password_file: Path | None = None
    feed_only: bool = False                     # ``periodize feed``: the feed route alone
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    log: Callable[[str], None] | None = None    # one line a request (default: stderr)


class Guard:
    """Pure ASGI middleware: the security headers on every answer, and one log line a request
    that never holds the path (tokens are secrets) and escapes what the client sent."""

    def __init__(self, app: ASGIApp, log: Callable[[str], None] | None) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [0]

        async def guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", CSP)
            await send(message)

        try:
            await self.app(scope, receive, guarded)
        finally:
            if self.log is not None:
                client = scope.get("client") or ("-", 0)
                self.log(f"{printable(str(client[0]))} "
                         f"{printable(str(scope.get('method', '-')))[:16]} {status[0]}")


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")


def make_app(settings: Settings) -> Starlette:
    site = Site(settings.stores)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    base = settings.base_url.rstrip("/")
    # The path the site sits under behind a proxy (https://example.org/periodize -> /periodize):
    # every address the pages write starts with it; the routes here stay at the root (the
    # proxy strips it).
    root = urlsplit(base).path.rstrip("/")
    templates.env.globals["root"] = root

    def render(request: Request, name: str, context: dict[str, Any], status: int = 200,
               csp: str | None = None) -> Response:
        response = templates.TemplateResponse(request, name, context, status_code=status)
        if csp is not None:
            response.headers["Content-Security-Policy"] = csp
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    def not_found() -> Response:
        return PlainTextResponse(NOT_FOUND, status_code=404)

    def athlete_of(request: Request) -> Athlete | None:
        return site.athlete(str(request.path_params.get("token", "")))

    # -- the feed ---------------------------------------------------------------------------------
    def feed(request: Request) -> Response:
        name = str(request.path_params["name"])
        if not name.endswith(".ics"):
            return not_found()
        token = name.removesuffix(".ics")
        athlete = site.athlete(token)
        if athlete is None:
            return not_found()
        try:
            found = site.feed(athlete, token, settings.clock())
        except PeriodizeError as exc:          # no plan any more, a damaged store
            _stderr(printable(str(exc)))
            found = None
        if found is None:
            return not_found()
        now = settings.clock().timestamp()
        headers = {"ETag": found.etag, "Cache-Control": "no-cache"}
        modified = last_modified(found, now)
        if modified is not None:
            headers["Last-Modified"] = modified
        if unchanged(found, request.headers.get("if-none-match"),
                     request.headers.get("if-modified-since"), now):
            return Response(status_code=304, headers=headers)
        headers["Content-Disposition"] = 'inline; filename="plan.ics"'
        return Response(found.body, headers=headers, media_type=CONTENT_TYPE)

    # -- the athlete's pages ----------------------------------------------------------------------
    def _day(now: dt.datetime) -> dt.datetime:
        """The quarter hour ``now`` falls in (UTC): a key under which a page's data is kept
        while the store is unchanged (every zone's offset is a multiple of 15 minutes, so no
        day changes inside a quarter hour)."""
        utc = now.astimezone(dt.UTC)
        return utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)

    def athlete_page(athlete: Athlete) -> pages.AthletePage:
        now = settings.clock()
        return site.kept(athlete, ("page", _day(now)),
                         lambda: pages.athlete_page(athlete.db, now))

    def athlete_context(request: Request, athlete: Athlete) -> dict[str, Any]:
        token = str(request.path_params["token"])
        home = athlete_url(root, token) + "/"
        return {"home": home, "token": token, "scores": SCORES,
                "manifest": home + "manifest.webmanifest"}

    # A page is made once per store state (and quarter hour) with marks where each answer's own
    # entry keys go (random marks, made at start: no plan text holds them), then each answer
    # is that text with fresh keys put in: a page costs about what a file of its size does.
    marks = (f"k{secrets.token_hex(16)}", f"m{secrets.token_hex(16)}")

    def athlete_html(request: Request, athlete: Athlete, key: tuple[Any, ...],
                     context: Callable[[], dict[str, Any] | None]) -> Response:
        token = str(request.path_params["token"])

        def made() -> str | None:
            values = context()
            if values is None:
                return None
            return templates.get_template("athlete.html").render({
                **athlete_context(request, athlete), **values, "key": marks[0],
                "morning_key": marks[1]})

        html = site.kept(athlete, ("html", token, *key, _day(settings.clock())), made)
        if html is None:
            return not_found()
        for mark in marks:
            html = html.replace(mark, secrets.token_urlsafe(16))
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    def home(request: Request) -> Response:
        athlete = athlete_of(request)
        if athlete is None:
            return not_found()

        def context() -> dict[str, Any]:
            page = athlete_page(athlete)
            return {"page": page, "view": page.focus}

        return athlete_html(request, athlete, ("home",), context)

    def session(request: Request) -> Response:
        athlete = athlete_of(request)
        if athlete is None:
            return not_found()
        uid = str(request.path_params["uid"])

        def context() -> dict[str, Any] | None:
            view = pages.session_page(athlete.db, uid, settings.clock())
            return None if view is None else {"page": athlete_page(athlete), "view": view}

        return athlete_html(request, athlete, ("session", uid), context)

    async def log_entry(request: Request) -> Response:
        athlete = athlete_of(request)
        if athlete is None:
            return not_found()
        form = await request.form()
        values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        not_met = [str(v) for v in form.getlist("not_met") if isinstance(v, str)]
        # measure: fields "measure.NAME" (empty ones skipped), and "more" as NAME=VALUE words
        measures = [f"{k.removeprefix('measure.')}={v.strip()}" for k, v in values.items()
                    if k.startswith("measure.") and v.strip()]
        measures += values.get("more", "").split()
        from starlette.concurrency import run_in_threadpool

        try:
            logged = await run_in_threadpool(
                pages.log_entry, athlete.db, values.get("key", ""), values.get("what", ""),
                values.get("day", ""), settings.clock(), rpe=values.get("rpe"),
                pain=values.get("pain"), not_met=not_met, measures=measures)
        except ConcurrentChange as exc:
            return _refused(request, athlete, str(exc), 409)
        except PeriodizeError as exc:
            return _refused(request, athlete, str(exc), 400)
        token = str(request.path_params["token"])
        if "application/json" in request.headers.get("accept", ""):
            return Response(json.dumps({"said": logged.said, "again": logged.again}),
                            media_type="application/json")
        return RedirectResponse(
            f"{athlete_url(root, token)}/logged/{pages.check_key(values['key'])}",
            status_code=303)

    def _refused(request: Request, athlete: Athlete, message: str, status: int) -> Response:
        if "application/json" in request.headers.get("accept", ""):
            return Response(json.dumps({"error": message}), status_code=status,
                            media_type="application/json")
        return render(request, "message.html", {
            **athlete_context(request, athlete), "title": "Not recorded",
            "lines": [message, "Nothing was changed."]}, status)

    def measure_page(request: Request) -> Response:
        """The form that records a baseline test or PSFS ratings (what a check's event links
        to); it posts to the log route as any entry, once per key."""
        athlete = athlete_of(request)
        if athlete is None:
            return not_found()
        from catalog.baseline import default_baseline

        today = athlete_page(athlete).today
        return render(request, "measure.html", {
            **athlete_context(request, athlete), "key": secrets.token_urlsafe(16),
            "today": today, "steps": default_baseline().steps,
            "psfs": pages.measure_names(athlete.db)})

    def logged(request: Request) -> Response:
        athlete = athlete_of(request)
        if athlete is None:
            return not_found()
        try:
            said = pages.logged_words(athlete.db, str(request.path_params["key"]))
        except PeriodizeError:
            said = None
        if said is None:
            return not_found()
        return render(request, "message.html", {
            **athlete_context(request, athlete), "title": "Recorded", "lines": said})

    def plan(request: Request) -> Response:
        athlete = athlete_of(request)
        if athlete is None:
            return not_found()
        page = athlete_page(athlete)
        grid = site.kept(athlete, ("grid", page.today), lambda: pages.plan_grid(page))
        return render(request, "plan.html", {**athlete_context(request, athlete),
                                             "page": page, "grid": grid})

    def history(request: Request) -> Response:
        athlete = athlete_of(request)
        if athlete is None:
            return not_found()
        plan_, log, revisions = pages.history(athlete.db)
        return render(request, "history.html", {
            **athlete_context(request, athlete), "plan": plan_, "log": log,
            "revisions": revisions})

    def undo(request: Request) -> Response:
        athlete = athlete_of(request)
        if athlete is None:
            return not_found()
        from planner import commands

        try:
            back = commands.undo(athlete.db, settings.clock())
        except PeriodizeError as exc:
            return _refused(request, athlete, str(exc), 400)
        return render(request, "message.html", {
            **athlete_context(request, athlete), "title": "Undone",
            "lines": [f"Back to revision {back.number}: {back.note}."]})

    def manifest(request: Request) -> Response:
        athlete = athlete_of(request)
        if athlete is None:
            return not_found()
        start = athlete_url(root, str(request.path_params["token"])) + "/"
        body = {"name": "periodize: your sessions", "short_name": "periodize",
                "start_url": start, "scope": start, "display": "standalone",
                "background_color": "#ffffff", "theme_color": "#00838f",
                "icons": [{"src": f"{root}/static/icon.svg", "sizes": "any",
                           "type": "image/svg+xml"},
                          {"src": f"{root}/static/icon-192.png", "sizes": "192x192",
                           "type": "image/png"}]}
        return Response(json.dumps(body), media_type="application/manifest+json",
                        headers={"Cache-Control": "no-cache"})

    def service_worker(request: Request) -> Response:
        return Response((HERE / "static" / "sw.js").read_bytes(),
                        media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})

    # -- the physio's view ------------------------------------------------------------------------
    def physio_context(request: Request) -> dict[str, Any]:
        return {"csrf": physio.csrf_token(request.session),
                "password_set": settings.password_file is not None
                and physio.password_set(settings.password_file)}

    def physio_home(request: Request) -> Response:
        if not physio.signed_in(request.session):
            return RedirectResponse(f"{root}/physio/login", status_code=303)
        now = settings.clock()
        rows: list[tuple[Athlete, pages.AthleteRow | None, str | None]] = []
        for athlete in site.athletes:
            try:
                rows.append((athlete, pages.athlete_row(athlete.db, now), None))
            except PeriodizeError as exc:
                rows.append((athlete, None, str(exc)))
        return render(request, "physio.html", {**physio_context(request), "rows": rows})

    async def physio_login(request: Request) -> Response:
        context = physio_context(request)
        if request.method == "GET":
            return render(request, "login.html", {**context, "error": None})
        form = await request.form()
        if not physio.csrf_ok(request.session, form.get("csrf")):
            return render(request, "login.html", {**context, "error": "The form expired; "
                                                  "try again."}, 403)
        password = form.get("password")
        from starlette.concurrency import run_in_threadpool

        ok = (settings.password_file is not None and isinstance(password, str)
              and await run_in_threadpool(physio.check_password, settings.password_file,
                                          password))
        if not ok:
            return render(request, "login.html", {**context, "error": "Wrong password."}, 403)
        request.session.clear()                 # a new session on sign-in (no fixation)
        request.session[physio.SESSION_KEY] = True
        physio.csrf_token(request.session)
        return RedirectResponse(f"{root}/physio/", status_code=303)

    async def physio_logout(request: Request) -> Response:
        form = await request.form()
        if physio.csrf_ok(request.session, form.get("csrf")):
            request.session.clear()
        return RedirectResponse(f"{root}/physio/login", status_code=303)

    def physio_report(request: Request) -> Response:
        if not physio.signed_in(request.session):
            return RedirectResponse(f"{root}/physio/login", status_code=303)
        athlete = site.by_slug(str(request.path_params["slug"]))
        if athlete is None:
            return not_found()
        html = pages.report_html(athlete.db, settings.clock())
        return Response(html, media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": REPORT_CSP,
                                 "Cache-Control": "no-store"})

    async def physio_screen(request: Request) -> Response:
        if not physio.signed_in(request.session):
            return RedirectResponse(f"{root}/physio/login", status_code=303)
        form = await request.form()
        if not physio.csrf_ok(request.session, form.get("csrf")):
            return PlainTextResponse("The form expired; go back and try again.\n", 403)
        athlete = site.by_slug(str(request.path_params["slug"]))
        if athlete is None:
            return not_found()
        from starlette.concurrency import run_in_threadpool

        try:
            logged_ = await run_in_threadpool(pages.sign_off_screen, athlete.db,
                                              settings.clock())
        except PeriodizeError as exc:
            return render(request, "physio_message.html", {
                **physio_context(request), "title": "Not recorded", "lines": [str(exc)]}, 400)
        return render(request, "physio_message.html", {
            **physio_context(request), "title": f"Screen signed off for {athlete.slug}",
            "lines": list(logged_.changes) or ["The plan ahead is unchanged."]})

    async def physio_limits(request: Request) -> Response:
        if not physio.signed_in(request.session):
            return RedirectResponse(f"{root}/physio/login", status_code=303)
        athlete = site.by_slug(str(request.path_params["slug"]))
        if athlete is None:
            return not_found()
        from starlette.concurrency import run_in_threadpool

        from planner import commands

        context = {**physio_context(request), "athlete": athlete}
        if request.method == "GET":
            held = await run_in_threadpool(commands.limits, athlete.db)
            return render(request, "limits.html", {**context, "limits": held, "error": None})
        form = await request.form()
        if not physio.csrf_ok(request.session, form.get("csrf")):
            return PlainTextResponse("The form expired; go back and try again.\n", 403)

        def field(name: str) -> str | None:
            value = form.get(name)
            return value if isinstance(value, str) else None

        texts = pages.limit_texts(field("no_jumps") == "on", field("contacts"), field("level"))
        try:
            done = await run_in_threadpool(commands.set_limits, athlete.db, texts,
                                           settings.clock())
        except PeriodizeError as exc:
            held = await run_in_threadpool(commands.limits, athlete.db)
            return render(request, "limits.html", {**context, "limits": held,
                                                   "error": str(exc)}, 400)
        lines = ["Limits now: " + (", ".join(done.limits.words()) or "none") + "."]
        lines += list(done.changes) or ["The plan ahead is unchanged."]
        lines += [done.note] if done.note else []
        return render(request, "physio_message.html", {
            **physio_context(request), "title": f"Limits set for {athlete.slug}",
            "lines": lines})

    feed_routes = [Route("/{name}", feed, methods=["GET", "HEAD"])]
    routes = feed_routes if settings.feed_only else [
        Route("/a/{token}", home),              # athlete_url: the address printed and linked
        Route("/a/{token}/", home),
        Route("/a/{token}/s/{uid}", session),
        Route("/a/{token}/log", log_entry, methods=["POST"]),
        Route("/a/{token}/measure", measure_page),
        Route("/a/{token}/logged/{key}", logged),
        Route("/a/{token}/plan", plan),
        Route("/a/{token}/history", history),
        Route("/a/{token}/undo", undo, methods=["POST"]),
        Route("/a/{token}/manifest.webmanifest", manifest),
        Route("/sw.js", service_worker),
        Route("/physio/", physio_home),
        Route("/physio/login", physio_login, methods=["GET", "POST"]),
        Route("/physio/logout", physio_logout, methods=["POST"]),
        Route("/physio/a/{slug}", physio_report),
        Route("/physio/a/{slug}/screen", physio_screen, methods=["POST"]),
        Route("/physio/a/{slug}/limits", physio_limits, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        *feed_routes,
    ]
    middleware = [
        Middleware(Guard, log=settings.log),
        Middleware(SessionMiddleware, secret_key=settings.secret_key,
                   session_cookie="periodize_physio", max_age=8 * 3600, path=f"{root}/physio",
                   same_site="strict", https_only=base.startswith("https://")),
    ]
    async def missing(request: Request, exc: Exception) -> Response:
        return not_found()              # the same bare answer for every path not served

    app = Starlette(routes=routes, middleware=middleware, exception_handlers={404: missing})
    app.router.redirect_slashes = False
    return app
