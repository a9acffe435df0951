"""The CalDAV client both ``sync`` and ``busy_caldav`` use: one way to connect, find a calendar
by its display name, and turn every server failure into a one-line RemoteError that names the URL
and never holds the password."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn, cast
from urllib.parse import urlsplit, urlunsplit

from planner.errors import InputError, RemoteError

if TYPE_CHECKING:
    from caldav.collection import Calendar as DAVCalendar
    from caldav.davclient import DAVClient

#: Seconds to wait for the server to connect or answer one request.
TIMEOUT_S = 20


def check_url(url: str) -> None:
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


def remote_error(where: str, reason: str) -> RemoteError:
    return RemoteError(_first_line(f"CalDAV server {where}: {reason}"))


def _fail(where: str, password: str, reason: str) -> NoReturn:
    error = remote_error(where, reason)
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
    check_url(url)
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
            raise remote_error(where, "this is not a CalDAV server (its answer has no DAV header)")
        if "calendar-access" not in _dav_classes(client, str(client.get_principal().url)):
            raise remote_error(where, "this is a WebDAV server without CalDAV (no calendar-access)")
    principal = client.get_principal()
    calendars = cast("list[DAVCalendar]", principal.get_calendars())
    names = [str(calendar.get_display_name()) for calendar in calendars]
    for calendar, shown in zip(calendars, names, strict=True):
        if shown == name:
            return calendar
    if not create:
        known = ", ".join(repr(n) for n in names[:10]) or "none"
        raise remote_error(where, f"no calendar named {name!r}; the user's calendars: {known}")
    from caldav.lib import error as dav_error

    try:
        return cast("DAVCalendar", principal.make_calendar(name=name))
    except dav_error.DAVError as exc:
        status = f" ({exc.status})" if exc.status else ""
        raise remote_error(where, f"the server refused to create the calendar {name!r}{status}; "
                             "create it yourself or use an existing one") from None


def _dav_classes(client: DAVClient, url: str) -> str:
    response = client.options(url)
    return str(response.headers.get("DAV") or "")
