"""Push a plan's events into one calendar on a CalDAV server, touching only what changed.

The plan's events are stored one per resource (CalDAV refuses several events in one PUT), each
tagged ``X-PERIODIZE-PLAN``. A sync makes the calendar hold exactly the plan's events: new ones
are created, changed ones are written over their old resource, events of any earlier plan that
the new plan no longer holds are deleted, and everything else - above all the user's own events,
which carry no ``X-PERIODIZE-PLAN`` - is left alone. A second sync with the same plan sends no
request that changes anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, cast
from urllib.parse import urlsplit, urlunsplit

from icalendar import Calendar as ICalendar
from icalendar import Component

from planner.errors import InputError, RemoteError
from planner.export.ics import PLAN_PROPERTY

if TYPE_CHECKING:
    from caldav.calendarobjectresource import Event as DAVEvent
    from caldav.collection import Calendar as DAVCalendar
    from caldav.davclient import DAVClient

#: Seconds to wait for the server to connect or answer one request.
TIMEOUT_S = 20

#: VEVENT properties always compared, whether or not our event carries them: a property the plan
#: dropped (no DESCRIPTION any more, say) must count as a change. Any other property our event
#: carries is compared too; properties only the server has, outside this set, are taken to be
#: ones the server added (CREATED, LAST-MODIFIED, vendor X- properties) and are ignored.
COMPARED = frozenset({
    "UID", "SEQUENCE", "DTSTART", "DTEND", "DURATION", "SUMMARY", "DESCRIPTION", "CATEGORIES",
    "STATUS", "LOCATION", "TRANSP", "CLASS", "PRIORITY", "URL", "RRULE", "RDATE", "EXDATE",
    "RECURRENCE-ID", PLAN_PROPERTY,
})
#: Never compared: DTSTAMP is the moment the file was written, not part of the event.
IGNORED = frozenset({"DTSTAMP"})
#: VALARM properties compared (servers add their own, e.g. X-WR-ALARMUID, ACKNOWLEDGED).
ALARM_COMPARED = frozenset({"ACTION", "TRIGGER", "DURATION", "REPEAT", "DESCRIPTION", "SUMMARY"})

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,120}")


@dataclass(frozen=True)
class SyncReport:
    """What one sync did, by UID, each tuple sorted."""

    created: tuple[str, ...]     # UIDs PUT as new resources
    updated: tuple[str, ...]     # UIDs whose content changed, PUT over the old resource
    deleted: tuple[str, ...]     # UIDs removed from the server (the plan dropped them)
    unchanged: tuple[str, ...]   # UIDs left alone (no request that changes anything)


@dataclass
class _Found:
    """One event resource on the server, parsed."""

    obj: DAVEvent
    events: list[Component]          # its VEVENTs
    uids: frozenset[str]
    ours: bool                       # some VEVENT in it carries X-PERIODIZE-PLAN


def sync_calendar(resources: Mapping[str, bytes], *, url: str, user: str, password: str,
                  calendar_name: str, plan_id: str) -> SyncReport:
    """Make the calendar named ``calendar_name`` hold exactly the events in ``resources``.

    ``resources`` maps each UID to a complete iCalendar object holding one VEVENT with that UID
    (plus its VTIMEZONE) and the property ``X-PERIODIZE-PLAN:<plan_id>``; anything else is a
    programming error (ValueError). The calendar is found among the principal's calendars by
    display name and created when missing.

    For each UID: no event with it on the server -> PUT as a new resource (created); an event
    with it whose content differs -> PUT over that same resource URL (updated); the same content
    -> no request (unchanged). The bytes given are PUT unchanged, so SEQUENCE is ours, never
    bumped by the library. Events on the server that carry ``X-PERIODIZE-PLAN`` (of any plan)
    and whose UID is not in ``resources`` are deleted; events without it are never touched.

    "Same content" rule: both sides are parsed with icalendar and their VEVENTs compared
    property by property, each property rendered as its content line (value and parameters,
    so a DTSTART moved to another TZID differs). Compared are the properties in ``COMPARED``
    (UID, SEQUENCE, DTSTART, DTEND, SUMMARY, DESCRIPTION, CATEGORIES, STATUS, ...) plus every
    other property our event carries; DTSTAMP is ignored, and so are properties only the server
    has outside ``COMPARED`` (it may add CREATED, LAST-MODIFIED, X- properties). VALARMs are
    compared on the properties in ``ALARM_COMPARED``. VTIMEZONEs are not compared (servers
    rewrite them; the TZID on DTSTART/DTEND is compared).

    An event on the server with one of our UIDs but no ``X-PERIODIZE-PLAN`` belongs to the user
    and is not overwritten: RemoteError. So is every server failure - unreachable (connection
    refused, unknown host, no answer within ``TIMEOUT_S``), authentication refused, not a CalDAV
    server, calendar creation or a write refused - with a one-line message that names the URL
    and never the password. A URL that is not http(s) is an InputError.
    """
    _check_url(url)
    wanted = {uid: _parse_resource(uid, data, plan_id) for uid, data in resources.items()}

    from caldav.calendarobjectresource import Event as DAVEventClass

    where = shown_url(url)
    with dav_client(url, user, password) as client:
        calendar = open_calendar(client, calendar_name, where, create=True)
        if calendar.url is None:
            raise _remote(where, f"the calendar {calendar_name!r} has no address")
        home = calendar.url
        found = _list_events(calendar)
        by_uid: dict[str, list[_Found]] = {}
        for item in found:
            for uid in item.uids:
                by_uid.setdefault(uid, []).append(item)

        created: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        for uid in sorted(wanted):
            data, ours = resources[uid], wanted[uid]
            on_server = sorted(by_uid.get(uid, []), key=lambda f: str(f.obj.url))
            foreign = [f for f in on_server if not f.ours]
            if foreign:
                raise _remote(where, f"calendar {calendar_name!r} already holds an event "
                                     f"with UID {uid!r} that periodize did not write; it "
                                     "is left alone: remove it or use another calendar")
            if not on_server:
                event = DAVEventClass(client=client, parent=calendar,
                                      url=home.join(_resource_name(uid)))
                event.save(raw_data=data, increase_seqno=False)
                created.append(uid)
                continue
            target, extra = on_server[0], on_server[1:]
            for duplicate in extra:          # same UID twice: keep one resource only
                duplicate.obj.delete()
            if not extra and same_content(ours, target.events):
                unchanged.append(uid)
                continue
            # PUT over the same URL; the ETag read with the listing is sent as If-Match.
            target.obj.save(raw_data=data, increase_seqno=False)
            updated.append(uid)

        deleted: set[str] = set()
        for item in found:
            if item.ours and item.uids and not item.uids & wanted.keys():
                item.obj.delete()
                deleted.update(item.uids)
    return SyncReport(created=tuple(created), updated=tuple(updated),
                      deleted=tuple(sorted(deleted)), unchanged=tuple(unchanged))


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        _ = parts.port                   # raises ValueError for a port that is not a number
    except ValueError:
        ok = False
    if not ok:
        raise InputError("--url", shown_url(url), "an http:// or https:// CalDAV address")


def shown_url(url: str) -> str:
    """The URL without any user:password@ part, fit to be shown."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
    except ValueError:
        return url.rpartition("@")[2]
    if "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=host))
    return url


def _remote(where: str, reason: str) -> RemoteError:
    return RemoteError(_first_line(f"CalDAV server {where}: {reason}"))


def _fail(where: str, password: str, reason: str) -> NoReturn:
    error = _remote(where, reason)
    if password and password in str(error):
        error = RemoteError(str(error).replace(password, "***"))
    raise error from None


def _first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0][:300] if lines else ""


def _connection_reason(exc: BaseException) -> str:
    """The useful words out of a urllib3/niquests connection error chain."""
    text = str(exc)
    for pattern, reason in (("Connection refused", "connection refused"),
                            ("Failed to resolve", "unknown host name"),
                            ("Name or service not known", "unknown host name"),
                            ("timed out", "timed out"),
                            ("CERTIFICATE_VERIFY_FAILED", "TLS certificate not trusted"),
                            ("SSL", "TLS error")):
        if pattern in text:
            return reason
    return type(exc).__name__


@contextlib.contextmanager
def dav_client(url: str, user: str, password: str) -> Iterator[DAVClient]:
    """A client for the CalDAV server at ``url``. Every server failure inside the block (refused
    connection, unknown host, no answer within ``TIMEOUT_S``, refused credentials, a refused
    request, an answer that is not CalDAV) becomes a one-line RemoteError that names the URL and
    never holds the password; a URL that is not http(s) is an InputError."""
    _check_url(url)
    from caldav.davclient import DAVClient as DAVClientClass
    from caldav.lib import error as dav_error
    from caldav.lib.http_sync import requests as http

    where = shown_url(url)
    try:
        with DAVClientClass(url=url, username=user or None, password=password,
                            timeout=TIMEOUT_S, enable_rfc6764=False) as client:
            yield client
    except RemoteError as exc:
        if password and password in str(exc):
            raise RemoteError(str(exc).replace(password, "***")) from None
        raise
    except dav_error.AuthorizationError as exc:
        if exc.status == 403:
            _fail(where, password, "the server refused access (403); check the user's rights")
        _fail(where, password, "the server refused the user name or password (401)")
    except dav_error.DAVError as exc:
        _fail(where, password, f"the server refused a request ({type(exc).__name__}: "
                               f"{_first_line(exc.reason)})")
    except http.exceptions.Timeout:
        _fail(where, password, f"the server did not answer within {TIMEOUT_S} s")
    except http.exceptions.RequestException as exc:
        _fail(where, password, f"cannot reach the server ({_connection_reason(exc)})")
    except (ValueError, SyntaxError) as exc:   # icalendar or lxml choking on the server's answer
        _fail(where, password, f"the server's answer is not CalDAV ({_first_line(exc)})")


def open_calendar(client: DAVClient, name: str, where: str, create: bool) -> DAVCalendar:
    """The principal's calendar with display name ``name``; created when missing if ``create``,
    else a RemoteError that lists the calendars there are."""
    # RFC 4918: a DAV resource lists its compliance classes in the answer to OPTIONS. Ask the
    # given URL first, then the principal (SOGo lists calendar-access only there).
    classes = _dav_classes(client, str(client.url))
    if "calendar-access" not in classes:
        if not classes:
            raise _remote(where, "this is not a CalDAV server (its answer has no DAV header)")
        if "calendar-access" not in _dav_classes(client, str(client.get_principal().url)):
            raise _remote(where, "this is a WebDAV server without CalDAV (no calendar-access)")
    principal = client.get_principal()
    calendars = cast("list[DAVCalendar]", principal.get_calendars())
    names = [str(calendar.get_display_name()) for calendar in calendars]
    for calendar, shown in zip(calendars, names, strict=True):
        if shown == name:
            return calendar
    if not create:
        known = ", ".join(repr(n) for n in names[:10]) or "none"
        raise _remote(where, f"no calendar named {name!r}; the user's calendars: {known}")
    from caldav.lib import error as dav_error

    try:
        return cast("DAVCalendar", principal.make_calendar(name=name))
    except dav_error.DAVError as exc:
        status = f" ({exc.status})" if exc.status else ""
        raise _remote(where, f"the server refused to create the calendar {name!r}{status}; "
                             "create it yourself or use an existing one") from None


def _dav_classes(client: DAVClient, url: str) -> str:
    response = client.options(url)
    return str(response.headers.get("DAV") or "")


def _list_events(calendar: DAVCalendar) -> list[_Found]:
    """Every event resource in the calendar, parsed. Unparseable ones are skipped (not ours)."""
    found = []
    for obj in cast("list[DAVEvent]", calendar.get_events()):
        raw = obj.raw_data if obj.raw_data is not None else str(obj.data).encode()
        try:
            events = ICalendar.from_ical(raw).walk("VEVENT")
        except ValueError:
            continue
        uids = frozenset(str(e["UID"]) for e in events if "UID" in e)
        found.append(_Found(obj, events, uids, any(PLAN_PROPERTY in e for e in events)))
    return found


def _parse_resource(uid: str, data: bytes, plan_id: str) -> Component:
    """Check one of our resources and return its VEVENT."""
    try:
        events = ICalendar.from_ical(data).walk("VEVENT")
    except ValueError as exc:
        raise ValueError(f"resource {uid!r} is not iCalendar: {exc}") from exc
    if len(events) != 1:
        raise ValueError(f"resource {uid!r} holds {len(events)} VEVENTs; exactly one is needed")
    event = events[0]
    if str(event.get("UID")) != uid:
        raise ValueError(f"resource {uid!r} holds an event with UID {event.get('UID')!r}")
    if str(event.get(PLAN_PROPERTY)) != plan_id:
        raise ValueError(f"resource {uid!r} lacks {PLAN_PROPERTY}:{plan_id}")
    return event


def same_content(ours: Component, theirs: list[Component]) -> bool:
    """Whether the server's VEVENTs ``theirs`` hold our VEVENT unchanged (see sync_calendar)."""
    if len(theirs) != 1:
        return False
    names = (COMPARED | _names(ours)) - IGNORED
    if _lines(ours, names) != _lines(theirs[0], names):
        return False
    our_alarms = ours.walk("VALARM")
    alarm_names = ALARM_COMPARED.union(*(_names(a) for a in our_alarms)) - IGNORED
    return sorted(_lines(a, alarm_names) for a in our_alarms) == sorted(
        _lines(a, alarm_names) for a in theirs[0].walk("VALARM"))


def _names(component: Component) -> frozenset[str]:
    return frozenset(str(key).upper() for key in component)


def _lines(component: Component, names: frozenset[str]) -> list[tuple[str, list[str]]]:
    """Each named property as its sorted content lines (value and parameters); absent as []."""
    result = []
    for name in sorted(names):
        value = component.get(name)
        values: Iterable[Any] = () if value is None else (
            value if isinstance(value, list) else [value])
        result.append((name, sorted(str(component.content_line(name, v)) for v in values)))
    return result


def _resource_name(uid: str) -> str:
    """The resource file name for a UID: the UID itself when URL-safe, else a hash of it."""
    if _SAFE_NAME.fullmatch(uid):
        return uid + ".ics"
    return hashlib.sha256(uid.encode()).hexdigest()[:40] + ".ics"
