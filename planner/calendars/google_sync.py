"""Push a plan into a Google calendar of its own through Google's Calendar API v3 and its Python
client (google-api-python-client), touching only what changed.

The calendar is one periodize created (the only kind the ``calendar.app.created`` scope can
reach); its id is kept in the store. Each session is one event carrying the plan's iCalendar UID
(``iCalUID``) and private extended properties naming the plan and the session, so a sync lists
exactly its own events (``privateExtendedProperty``) and leaves anything else in the calendar
alone. New sessions are imported, changed ones patched (only the fields that differ), dropped
ones deleted, unchanged ones not touched; writes go in batches, and requests Google turns away
for load (429, 5xx, 403 rate limits) are retried with exponential backoff. Nothing is remembered
between syncs but the calendar id: every sync compares the calendar with the plan afresh, so a
sync after a sync sends no write, and a sync cut short is finished by the next one.

Google behaviours relied on (each with Google's documentation; the tests' stand-in follows them):
- events.list filters on ``privateExtendedProperty=name=value`` and leaves deleted events out
  unless ``showDeleted``: https://developers.google.com/workspace/calendar/api/v3/reference/events/list
- events.import takes an event with its ``iCalUID``; a UID the calendar already holds, even in
  a deleted event, is refused with 409 "The requested identifier already exists":
  https://developers.google.com/workspace/calendar/api/v3/reference/events/import and
  https://github.com/googleapis/google-api-python-client/issues/846
- a deleted event is kept with status "cancelled" ("cancelled" means deleted in Google, so a
  missed session keeps status confirmed and is marked in its title, as the .ics marks it, and
  shown as free time); deleting it again answers 410 Gone:
  https://developers.google.com/workspace/calendar/api/v3/reference/events and
  https://github.com/googleapis/google-api-python-client/issues/210
- patch changes only the fields sent:
  https://developers.google.com/workspace/calendar/api/v3/reference/events/patch
- batches: https://developers.google.com/workspace/calendar/api/guides/batch ; errors and
  exponential backoff: https://developers.google.com/workspace/calendar/api/guides/errors
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from planner.calendars.export.ics import description, revision_uid, summary
from planner.calendars.export.log_links import LogLinks
from planner.errors import RemoteError
from planner.store.database import GoogleCalendar
from planner.store.plan import CHECK_TYPES, Plan, Session

if TYPE_CHECKING:
    from googleapiclient.errors import HttpError

    from planner.calendars.caldav_sync import SyncReport

#: Private extended properties on every event periodize writes. The first marks it as ours (a
#: sync lists by it, so events of an earlier plan in the calendar are found too).
MARK = ("periodize", "1")
PLAN_KEY = "periodizePlan"
SESSION_KEY = "periodizeSession"

#: Retries for one request (the library's num_retries) and for the failed parts of a batch.
RETRIES = 5
#: Requests per batch. Google accepts up to 1000; a judgement call: smaller batches mean less to
#: send again when a whole batch is turned away, and a gentler burst against per-user limits.
BATCH_SIZE = 50
#: Longest wait between retries, in seconds (Google's guidance caps backoff at 32-64 s).
MAX_BACKOFF_S = 32.0
#: UIDs tried for one session when Google holds earlier ones in deleted events (see _import).
UID_TRIES = 4
#: Seconds to wait for Google to connect or answer one request.
TIMEOUT_S = 30

def event_body(plan: Plan, session: Session, safety_note: str, links: LogLinks | None = None
               ) -> dict[str, Any]:
    """The Calendar v3 event for one session (without iCalUID). A missed session keeps status
    confirmed (in Google "cancelled" means deleted), is titled "Missed: ..." as in the .ics, and
    shows as free time. With ``links``, the session's page is the event's source (Google shows
    it as a link) and ends its description."""
    if session.session_type in CHECK_TYPES:
        return check_body(plan, session, links)
    missed = session.status == "missed"
    linked = {} if links is None else {"source": {"title": "Log this session",
                                                  "url": links.url(session)}}
    return {
        **linked,
        "summary": summary(session),
        "description": description(session, safety_note, links),
        "start": {"dateTime": session.start.isoformat(), "timeZone": plan.timezone},
        "end": {"dateTime": session.end.isoformat(), "timeZone": plan.timezone},
        "status": "confirmed",
        "transparency": "transparent" if missed else "opaque",
        "extendedProperties": {"private": {MARK[0]: MARK[1], PLAN_KEY: plan.plan_id,
                                           SESSION_KEY: session.uid}},
    }


def check_body(plan: Plan, check: Session, links: LogLinks | None = None) -> dict[str, Any]:
    """The Calendar v3 event for a check (``Plan.checks``): the baseline test at its time, the
    PSFS check-in all day (shown as free time), with the texts of the .ics."""
    from planner.calendars.export.check_text import check_description, check_summary
    from planner.store.links import measure_url
    from planner.store.plan import BASELINE

    url = None if links is None else measure_url(links.base_url, links.token)
    timed = check.session_type == BASELINE
    day = check.start.date()
    return {
        **({} if url is None else {"source": {"title": "Record it", "url": url}}),
        "summary": check_summary(check),
        "description": check_description(check, url),
        "start": ({"dateTime": check.start.isoformat(), "timeZone": plan.timezone} if timed
                  else {"date": day.isoformat()}),
        "end": ({"dateTime": check.end.isoformat(), "timeZone": plan.timezone} if timed
                else {"date": (day + dt.timedelta(days=1)).isoformat()}),
        "status": "confirmed",
        "transparency": "opaque" if timed else "transparent",
        "extendedProperties": {"private": {MARK[0]: MARK[1], PLAN_KEY: plan.plan_id,
                                           SESSION_KEY: check.uid}},
    }


def differing_fields(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``ours`` whose value Google's event ``theirs`` does not hold (as a patch).
    Times compare as instants with the same zone name; an absent transparency or status is
    Google's default (opaque, confirmed); of the private properties only ours are compared."""
    patch = {}
    for name, value in ours.items():
        if not _same(name, value, theirs.get(name)):
            patch[name] = value
    return patch


def _same(name: str, ours: Any, theirs: Any) -> bool:
    if name in ("start", "end"):
        if "date" in ours:                    # an all-day event
            return isinstance(theirs, dict) and theirs.get("date") == ours["date"]
        if not isinstance(theirs, dict) or "dateTime" not in theirs:
            return False
        try:
            instant = dt.datetime.fromisoformat(str(theirs["dateTime"]))
        except ValueError:
            return False
        return bool(instant == dt.datetime.fromisoformat(ours["dateTime"])
                    and theirs.get("timeZone") == ours["timeZone"])
    if name == "transparency":
        return bool(ours == (theirs or "opaque"))
    if name == "status":
        return bool(ours == (theirs or "confirmed"))
    if name == "extendedProperties":
        mine = ours["private"]
        held = (theirs or {}).get("private") or {}
        return all(held.get(key) == value for key, value in mine.items())
    return bool(ours == (theirs if theirs is not None else ""))


def _private(event: dict[str, Any]) -> dict[str, str]:
    props = (event.get("extendedProperties") or {}).get("private") or {}
    return props if isinstance(props, dict) else {}


def _ours(event: dict[str, Any]) -> bool:
    return _private(event).get(MARK[0]) == MARK[1] and bool(_private(event).get(SESSION_KEY))


# --- errors ------------------------------------------------------------------------------------

def _status(exc: HttpError) -> int:
    return int(exc.resp.status)


def _reason(exc: HttpError) -> str:
    """Google's own words for a refused request: its reason code, else the message."""
    details = exc.error_details if isinstance(exc.error_details, list) else []
    for detail in details:
        if isinstance(detail, dict) and detail.get("reason"):
            return str(detail["reason"])
    return str(exc.reason or "").strip().splitlines()[0][:120] if exc.reason else ""


def retryable(status: int, reason: str) -> bool:
    """Turned away for load: 429, 5xx, or 403 with a rate-limit reason (Google's guidance)."""
    return status == 429 or status >= 500 or (
        status == 403 and reason in ("rateLimitExceeded", "userRateLimitExceeded"))


def _refused(what: str, exc: HttpError) -> RemoteError:
    status, reason = _status(exc), _reason(exc)
    hint = ""
    if status == 401 or (status == 403 and reason in ("insufficientPermissions",
                                                       "forbidden", "accessNotConfigured")):
        hint = ("; check that the Calendar API is enabled for your Google Cloud project and that "
                "you allowed periodize to manage its calendars")
    if retryable(status, reason):
        hint = f"; Google still turned it away after {RETRIES} retries, try again later"
    return RemoteError(f"Google Calendar refused to {what} ({status}"
                       + (f" {reason}" if reason else "") + f"){hint}")


@contextlib.contextmanager
def transport_errors() -> Iterator[None]:
    """Google unreachable (no network, unknown host, timeout, TLS) is one line, exit 3."""
    import httplib2
    from google.auth.exceptions import TransportError

    try:
        yield
    except (httplib2.HttpLib2Error, OSError, TransportError) as exc:
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        raise RemoteError(f"cannot reach Google Calendar ({reason})") from None


# --- the sync ----------------------------------------------------------------------------------

@dataclass
class _Op:
    """One write: import a session, patch an event, or delete one."""

    kind: str                       # import | patch | delete
    key: str                        # the session UID (our key)
    event_id: str = ""
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class GoogleSync:
    """One sync of ``plan`` into the calendar ``calendar_id`` through ``service`` (a Calendar v3
    resource from googleapiclient.discovery.build)."""

    service: Any
    plan: Plan
    safety_note: str
    calendar_id: str
    links: LogLinks | None = None

    def run(self) -> SyncReport:
        from planner.calendars.caldav_sync import SyncReport

        sessions = {s.uid: s for s in (*self.plan.sessions, *self.plan.checks)}
        wanted = {uid: event_body(self.plan, s, self.safety_note, self.links)
                  for uid, s in sessions.items()}
        by_key: dict[str, list[dict[str, Any]]] = {}
        for event in self.list_events():
            by_key.setdefault(_private(event)[SESSION_KEY], []).append(event)

        ops: list[_Op] = []
        created: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        for key in sorted(wanted):
            held = sorted(by_key.get(key, []), key=lambda e: (e.get("iCalUID") != key,
                                                            str(e.get("id"))))
            if not held:
                ops.append(_Op("import", key, body={"iCalUID": key, **wanted[key]}))
                created.append(key)
                continue
            keep, *extra = held
            ops += [_Op("delete", key, event_id=str(e["id"])) for e in extra]   # duplicates
            patch = differing_fields(wanted[key], keep)
            if patch:
                ops.append(_Op("patch", key, event_id=str(keep["id"]), body=patch))
                updated.append(key)
            else:
                unchanged.append(key)
        dropped = sorted(key for key in by_key if key not in wanted)
        for key in dropped:
            ops += [_Op("delete", key, event_id=str(e["id"])) for e in by_key[key]]

        for op in self.write(ops):   # imports refused as duplicates, patches of vanished events
            self.import_anew(sessions[op.key], wanted[op.key])
        return SyncReport(created=tuple(created), updated=tuple(updated),
                          deleted=tuple(dropped), unchanged=tuple(unchanged))

    # -- reading --------------------------------------------------------------------------------
    def list_events(self, **query: Any) -> list[dict[str, Any]]:
        """Our events in the calendar (by the private mark), every page; with ``query`` (e.g.
        iCalUID, showDeleted) any events matching it, ours or not."""
        events = self.service.events()
        params: dict[str, Any] = {"calendarId": self.calendar_id, "maxResults": 2500}
        params.update(query or {"privateExtendedProperty": "=".join(MARK)})
        request = events.list(**params)
        found: list[dict[str, Any]] = []
        while request is not None:
            page = self.execute(request, "list the calendar's events")
            found += [e for e in page.get("items", []) if isinstance(e, dict)]
            request = events.list_next(request, page)
        return found if query else [e for e in found if _ours(e)
                                    and e.get("status") != "cancelled"]

    def execute(self, request: Any, what: str) -> Any:
        """One request, with the library's retries (exponential backoff) on 429/5xx."""
        from googleapiclient.errors import HttpError

        try:
            return request.execute(num_retries=RETRIES)
        except HttpError as exc:
            raise _refused(what, exc) from None

    # -- writing --------------------------------------------------------------------------------
    def write(self, ops: list[_Op]) -> list[_Op]:
        """Send ``ops`` in batches; retry what Google turned away for load, with exponential
        backoff. Returns the imports refused as duplicates (409) and the patches whose event
        had gone (404/410); a delete of an event already gone (404/410) is done."""
        pending = list(ops)
        again: list[_Op] = []
        for attempt in range(RETRIES + 1):
            failed: list[tuple[_Op, HttpError]] = []
            for start in range(0, len(pending), BATCH_SIZE):
                failed += self._batch(pending[start:start + BATCH_SIZE])
            pending = []
            for op, exc in failed:
                status, reason = _status(exc), _reason(exc)
                if op.kind == "delete" and status in (404, 410):
                    continue
                if (op.kind == "import" and status == 409) or (
                        op.kind == "patch" and status in (404, 410)):
                    again.append(op)
                elif retryable(status, reason) and attempt < RETRIES:
                    pending.append(op)
                else:
                    what = {"import": "add", "patch": "update", "delete": "delete"}[op.kind]
                    raise _refused(f"{what} the session {op.key}", exc)
            if not pending:
                break
            time.sleep(backoff(attempt))
        return again

    def _batch(self, ops: list[_Op]) -> list[tuple[_Op, HttpError]]:
        """One batch request; the parts that failed, with their errors. A whole batch turned
        away for load counts as every part failed."""
        from googleapiclient.errors import HttpError

        failed: list[tuple[_Op, HttpError]] = []

        def done(request_id: str, _response: Any, exc: HttpError | None) -> None:
            if exc is not None:
                failed.append((ops[int(request_id)], exc))

        batch = self.service.new_batch_http_request(callback=done)
        for number, op in enumerate(ops):
            batch.add(self._request(op), request_id=str(number))
        try:
            batch.execute()
        except HttpError as exc:
            if not retryable(_status(exc), _reason(exc)):
                raise _refused("take a batch of changes", exc) from None
            return [(op, exc) for op in ops]
        return failed

    def _request(self, op: _Op) -> Any:
        events = self.service.events()
        if op.kind == "import":
            return events.import_(calendarId=self.calendar_id, body=op.body)
        if op.kind == "patch":
            return events.patch(calendarId=self.calendar_id, eventId=op.event_id, body=op.body)
        return events.delete(calendarId=self.calendar_id, eventId=op.event_id)

    def import_anew(self, session: Session, body: dict[str, Any]) -> None:
        """Google refused the session's UID as taken (409). If the event holding it is ours and
        live (an import whose answer was lost), bring it up to date; if it is deleted (the user
        deleted it, and Google keeps deleted events' UIDs), import under a UID of this revision
        (``revision_uid``, as `export --google` does), then numbered ones. An event of someone
        else holding the UID is left alone: RemoteError."""
        from googleapiclient.errors import HttpError

        events = self.service.events()
        for uid in candidate_uids(self.plan, session):
            holders = self.list_events(iCalUID=uid, showDeleted=True)
            live = [e for e in holders if e.get("status") != "cancelled"]
            mine = [e for e in live if _ours(e) and _private(e)[SESSION_KEY] == session.uid]
            if mine:
                patch = differing_fields(body, mine[0])
                if patch:
                    self.execute(events.patch(calendarId=self.calendar_id,
                                              eventId=mine[0]["id"], body=patch),
                                 f"update the session {session.uid}")
                return
            if live:
                raise RemoteError(f"the Google calendar already holds an event with UID {uid!r} "
                                  "that periodize did not write; it is left alone: remove it "
                                  "or sync to another calendar (--calendar)")
            if holders:              # only deleted events hold this UID: try the next one
                continue
            try:
                events.import_(calendarId=self.calendar_id,
                               body={"iCalUID": uid, **body}).execute(num_retries=RETRIES)
                return
            except HttpError as exc:
                if _status(exc) != 409:
                    raise _refused(f"add the session {session.uid}", exc) from None
        raise RemoteError(f"Google keeps refusing the session {session.uid}: deleted events in "
                          "the calendar hold every UID tried; run `periodize sync --google` "
                          "again after the next replan, or use a new calendar (--calendar)")


def candidate_uids(plan: Plan, session: Session) -> list[str]:
    """The plan's UID, then one of this revision (as `export --google` makes), then numbered."""
    first = revision_uid(plan, session)
    base, _, domain = first.partition("@")
    return [session.uid, first, *(f"{base}-{n}@{domain}" for n in range(2, UID_TRIES))]


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter: 1-2 s, 2-3 s, 4-5 s ... up to MAX_BACKOFF_S."""
    return float(min(2.0 ** attempt + random.random(), MAX_BACKOFF_S))


# --- the calendar ------------------------------------------------------------------------------

def open_calendar(service: Any, stored: GoogleCalendar | None, name: str, timezone: str,
                  follow_name: bool, remember: Callable[[GoogleCalendar], None]) -> str:
    """The id of periodize's calendar: the stored one if Google still has it, else a new one
    named ``name`` (remembered at once, before any event is written). With ``follow_name`` the
    stored calendar is renamed to ``name`` (its title carries the revision) unless the user gave
    it a title of their own."""
    from googleapiclient.errors import HttpError

    calendars = service.calendars()
    if stored is not None:
        try:
            held = calendars.get(calendarId=stored.calendar_id).execute(num_retries=RETRIES)
        except HttpError as exc:
            if _status(exc) not in (404, 410):
                raise _refused("open periodize's calendar", exc) from None
        else:
            if follow_name and held.get("summary") == stored.summary != name:
                try:
                    calendars.patch(calendarId=stored.calendar_id,
                                    body={"summary": name}).execute(num_retries=RETRIES)
                except HttpError as exc:
                    raise _refused("rename periodize's calendar", exc) from None
                remember(GoogleCalendar(stored.calendar_id, name))
            return stored.calendar_id
    try:
        made = calendars.insert(body={"summary": name, "timeZone": timezone}).execute(
            num_retries=RETRIES)
    except HttpError as exc:
        raise _refused("create a calendar", exc) from None
    remember(GoogleCalendar(str(made["id"]), name))
    return str(made["id"])


def calendar_service(creds: Any, http: Any) -> Any:
    """A Calendar v3 client from the discovery document the library ships (no network)."""
    from google_auth_httplib2 import AuthorizedHttp
    from googleapiclient.discovery import build

    return build("calendar", "v3", http=AuthorizedHttp(creds, http=http),
                 static_discovery=True, cache_discovery=False)


def new_http() -> Any:
    """The HTTP transport (httplib2, as the client library uses); tests put a stand-in here."""
    import httplib2

    return httplib2.Http(timeout=TIMEOUT_S)
