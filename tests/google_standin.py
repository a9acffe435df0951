"""A stand-in for Google (Calendar API v3 and the OAuth token endpoint), in process.

It takes the place of the ``httplib2.Http`` object under google-api-python-client, so requests
go through the real client library (discovery document, batch encoding, retries, credentials
refresh) and only the far end is played here. It follows Google's documented behaviour for the
calls periodize makes; each is linked in docs/calendars.md ("What the tests assume about Google"):

- calendars.insert / get / patch; a calendar periodize did not create answers 404.
- events.list: ``privateExtendedProperty=name=value`` and ``iCalUID`` filters; deleted events
  (status "cancelled") only with ``showDeleted=true``; pages of ``maxResults``.
- events.import: needs ``iCalUID``; a UID the calendar already holds, in a live or a deleted
  event, answers 409 "The requested identifier already exists".
- events.patch: replaces the top-level fields sent; a deleted event answers 410.
- events.delete: marks the event cancelled (kept); deleting it again answers 410.
- batch: multipart/mixed at /batch/calendar/v3, one answer part per request part.
- token endpoint: a refresh with a revoked refresh token answers 400 invalid_grant.
- every API call needs a live bearer token (else 401).

Faults for tests: ``fail`` (status codes answered before a request matching a predicate is
served), ``interrupt_after`` (``interrupt``, KeyboardInterrupt unless set, once that many writes
were served, as a Ctrl-C or a dropped connection in the middle of a batch would leave it: those
writes done, no answer read).
"""

from __future__ import annotations

import email.parser
import itertools
import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httplib2

TOKEN_URI = "https://oauth2.googleapis.com/token"
API = "/calendar/v3/"
BATCH = "/batch/calendar/v3"
WRITES = {"POST", "PATCH", "PUT", "DELETE"}


@dataclass
class Call:
    """One API call as the stand-in saw it (batch parts each count once)."""

    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class Fault:
    """Answer ``statuses`` in turn to the requests ``matches`` picks, then serve them."""

    matches: Callable[[Call], bool]
    statuses: list[int]


@dataclass
class GoogleStandIn:
    calendars: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=lambda: {"access-0"})
    refresh_tokens: dict[str, bool] = field(default_factory=lambda: {"refresh-1": True})
    calls: list[Call] = field(default_factory=list)
    batches: int = 0
    refreshes: int = 0
    faults: list[Fault] = field(default_factory=list)
    interrupt_after: int | None = None
    interrupt: type[BaseException] = KeyboardInterrupt
    page_size: int = 2500
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- the httplib2.Http interface ------------------------------------------------------------
    def request(self, uri: str, method: str = "GET", body: Any = None,
                headers: dict[str, str] | None = None, **_: Any
                ) -> tuple[httplib2.Response, bytes]:
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        text = body.decode() if isinstance(body, bytes) else (body or "")
        if uri.startswith(TOKEN_URI):
            return self._token(text)
        parts = urllib.parse.urlsplit(uri)
        if parts.path == BATCH:
            return self._batch(text, headers)
        status, answer = self._api(method, parts.path, parts.query, text, headers)
        return _response(status), json.dumps(answer).encode()

    # -- OAuth -------------------------------------------------------------------------------------
    def _token(self, text: str) -> tuple[httplib2.Response, bytes]:
        form = dict(urllib.parse.parse_qsl(text))
        self.refreshes += 1
        if form.get("grant_type") != "refresh_token" or not self.refresh_tokens.get(
                form.get("refresh_token", "")):
            refused = {"error": "invalid_grant", "error_description": "Token has been expired "
                       "or revoked."}
            return _response(400), json.dumps(refused).encode()
        token = f"access-{len(self.access_tokens)}"
        self.access_tokens.add(token)
        answer = {"access_token": token, "expires_in": 3599, "token_type": "Bearer",
                  "scope": "https://www.googleapis.com/auth/calendar.app.created"}
        return _response(200), json.dumps(answer).encode()

    def revoke(self) -> None:
        """The user removed periodize's access in their Google account."""
        self.refresh_tokens = dict.fromkeys(self.refresh_tokens, False)
        self.access_tokens.clear()

    # -- batch -------------------------------------------------------------------------------------
    def _batch(self, text: str, headers: dict[str, str]) -> tuple[httplib2.Response, bytes]:
        self.batches += 1
        message = email.parser.Parser().parsestr(
            f"content-type: {headers['content-type']}\r\n\r\n{text}")
        boundary = "batch_standin_boundary"
        out = []
        for part in message.get_payload():
            assert not isinstance(part, str)
            content_id = str(part["Content-ID"])
            inner = str(part.get_payload())
            request_line, _, rest = inner.partition("\n")
            method, target, _version = request_line.split(" ", 2)
            parsed = email.parser.Parser().parsestr(rest)
            inner_headers = {k.lower(): str(v) for k, v in parsed.items()}
            target_parts = urllib.parse.urlsplit(target)
            status, answer = self._api(method, target_parts.path, target_parts.query,
                                       str(parsed.get_payload()), inner_headers)
            out.append(f"--{boundary}\r\nContent-Type: application/http\r\n"
                       f"Content-ID: <response-{content_id[1:]}\r\n\r\n"
                       f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n"
                       f"Content-Type: application/json; charset=UTF-8\r\n\r\n"
                       f"{json.dumps(answer)}\r\n")
        out.append(f"--{boundary}--\r\n")
        response = _response(200, f"multipart/mixed; boundary={boundary}")
        return response, "".join(out).encode()

    # -- the API -----------------------------------------------------------------------------------
    def _api(self, method: str, path: str, query: str, text: str, headers: dict[str, str]
             ) -> tuple[int, dict[str, Any]]:
        params = dict(urllib.parse.parse_qsl(query))
        body = json.loads(text) if text.strip() else None
        call = Call(method, urllib.parse.unquote(path), params, body)
        self.calls.append(call)
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.access_tokens:
            return _error(401, "authError", "Invalid Credentials")
        for fault in self.faults:
            if fault.statuses and fault.matches(call):
                status = fault.statuses.pop(0)
                return _error(status, "rateLimitExceeded" if status in (403, 429)
                              else "backendError", "stand-in fault")
        if method in WRITES and self.interrupt_after is not None:
            if self.interrupt_after <= 0:
                raise self.interrupt
            self.interrupt_after -= 1
        if not path.startswith(API):
            return _error(404, "notFound", "Not Found")
        segments = [urllib.parse.unquote(s) for s in path[len(API):].split("/")]
        return self._route(method, segments, params, body or {})

    def _route(self, method: str, seg: list[str], params: dict[str, str], body: dict[str, Any]
               ) -> tuple[int, dict[str, Any]]:
        if seg == ["calendars"] and method == "POST":
            calendar_id = f"standin{next(self._ids)}@group.calendar.google.com"
            self.calendars[calendar_id] = {"kind": "calendar#calendar", "id": calendar_id,
                                           **body}
            self.events[calendar_id] = {}
            return 200, self.calendars[calendar_id]
        if len(seg) < 2 or seg[0] != "calendars" or seg[1] not in self.calendars:
            return _error(404, "notFound", "Not Found")
        calendar_id = seg[1]
        if len(seg) == 2:
            if method == "GET":
                return 200, self.calendars[calendar_id]
            if method == "PATCH":
                self.calendars[calendar_id].update(body)
                return 200, self.calendars[calendar_id]
        events = self.events[calendar_id]
        if seg[2:] == ["events"] and method == "GET":
            return 200, self._list(events, params)
        if seg[2:] == ["events", "import"] and method == "POST":
            uid = body.get("iCalUID")
            if not uid:
                return _error(400, "required", "Missing iCalUID")
            if any(e.get("iCalUID") == uid for e in events.values()):
                return _error(409, "duplicate", "The requested identifier already exists.")
            return 200, self.add(calendar_id, body)
        if len(seg) == 4 and seg[2] == "events":
            event = events.get(seg[3])
            if event is None:
                return _error(404, "notFound", "Not Found")
            if event.get("status") == "cancelled" and method in ("PATCH", "DELETE"):
                return _error(410, "deleted", "Resource has been deleted")
            if method == "GET":
                return 200, event
            if method == "PATCH":
                event.update(body)
                event["sequence"] = event.get("sequence", 0) + 1
                return 200, event
            if method == "DELETE":
                event["status"] = "cancelled"
                return 204, {}
        return _error(400, "badRequest", f"stand-in does not serve {method} {'/'.join(seg)}")

    def _list(self, events: dict[str, dict[str, Any]], params: dict[str, str]
              ) -> dict[str, Any]:
        chosen = list(events.values())
        if params.get("showDeleted") != "true":
            chosen = [e for e in chosen if e.get("status") != "cancelled"]
        if "iCalUID" in params:
            chosen = [e for e in chosen if e.get("iCalUID") == params["iCalUID"]]
        if "privateExtendedProperty" in params:
            name, _, value = params["privateExtendedProperty"].partition("=")
            chosen = [e for e in chosen
                      if (e.get("extendedProperties") or {}).get("private", {}).get(name) == value]
        size = min(int(params.get("maxResults", 250)), self.page_size)
        start = int(params.get("pageToken", "0"))
        page: dict[str, Any] = {"kind": "calendar#events", "items": chosen[start:start + size]}
        if start + size < len(chosen):
            page["nextPageToken"] = str(start + size)
        return page

    # -- helpers for tests -------------------------------------------------------------------------
    def add(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Store an event as Google would (an id, status confirmed, sequence 0)."""
        event_id = body.get("id") or f"ev{next(self._ids):06d}"
        event = {"kind": "calendar#event", "id": event_id, "status": "confirmed",
                 "sequence": 0, **body}
        event.setdefault("iCalUID", f"{event_id}@google.com")
        self.events[calendar_id][event_id] = event
        return event

    def live(self, calendar_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events[calendar_id].values() if e.get("status") != "cancelled"]

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method in WRITES]


_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
            403: "Forbidden", 404: "Not Found", 409: "Conflict", 410: "Gone",
            429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


def _response(status: int, content_type: str = "application/json; charset=UTF-8"
              ) -> httplib2.Response:
    response = httplib2.Response({"status": str(status), "content-type": content_type})
    response.reason = _REASONS.get(status, "Status")
    return response


def _error(status: int, reason: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": status, "message": message,
                              "errors": [{"domain": "calendar", "reason": reason,
                                          "message": message}]}}
