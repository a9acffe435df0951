"""The CalDAV client both ``sync`` and ``busy_caldav`` use: one way to connect, find a calendar
by its display name, and turn every server failure into a one-line RemoteError that names the URL
and never holds the password."""

from __future__ import annotations

import contextlib
import re
import signal
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn, cast
from urllib.parse import quote, urlsplit, urlunsplit

from planner.errors import InputError, RemoteError
from planner.store.profile import is_http_url

if TYPE_CHECKING:
    from caldav.collection import Calendar as DAVCalendar
    from caldav.davclient import DAVClient

#: Seconds to wait for the server to connect or answer one request.
TIMEOUT_S = 20
#: Seconds the whole exchange may take: every request of one sync or of one busy-time read.
#: A server that answers one byte at a time never trips the per-request timeout; this ends it.
#: Judgement call: a sync of a 52-week plan is about 300 requests, well inside two minutes on
#: any server that works.
DEADLINE_S = 120.0
#: Bytes one answer may hold. A calendar of ten years of events is a few MB; an answer without
#: end would otherwise grow the process until the system kills it.
MAX_RESPONSE_BYTES = 50_000_000


class _Abort(BaseException):
    """Ends the exchange from inside the HTTP library. A BaseException, so that no library
    code catching Exception can swallow it."""


class _DeadlinePassed(_Abort):
    pass


class _TooBig(_Abort):
    pass


class _Deadline:
    """Raise ``_DeadlinePassed`` wherever the program is once ``seconds`` have passed (an
    interval timer and SIGALRM: a blocking read is interrupted too). Only in the main thread of
    a platform with ``setitimer``; elsewhere only the per-request timeout applies."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = False
        self.previous: Any = None

    def __enter__(self) -> None:
        if not hasattr(signal, "setitimer") or (
                threading.current_thread() is not threading.main_thread()):
            return
        self.previous = signal.signal(signal.SIGALRM, self._expire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        self.armed = True

    def _expire(self, signum: int, frame: object) -> None:
        raise _DeadlinePassed

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
            self.armed = False


def _bounded_body(response: Any, **_: Any) -> Any:
    """A response hook: read the body now, refusing it past ``MAX_RESPONSE_BYTES`` (by its
    Content-Length before reading, else as it arrives), so the library never holds more."""
    length = str(response.headers.get("Content-Length") or "")
    if length.isdigit() and int(length) > MAX_RESPONSE_BYTES:
        raise _TooBig
    chunks, size = [], 0
    for chunk in response.iter_content(65536):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise _TooBig
        chunks.append(chunk)
    response._content = b"".join(chunks)      # what ``response.content`` would have read
    response._content_consumed = True
    return response


def check_url(url: str) -> None:
    if not is_http_url(url):
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


# Judgement call: a password this long is taken to be unambiguous anywhere in a message; a
# shorter one ("p") is redacted only where it stands as a credential, in a URL's user:password@.
UNAMBIGUOUS_PASSWORD = 8


def redact(text: str, password: str) -> str:
    """``text`` with ``password`` hidden as ``***`` where it is a credential (the password of a
    URL's user information, as typed or percent-encoded) and, when it is at least
    ``UNAMBIGUOUS_PASSWORD`` characters long, wherever it appears. A short password is not
    replaced inside other words (``p`` must not turn ``http`` into ``htt***``)."""
    if not password:
        return text
    for form in dict.fromkeys((password, quote(password, safe=""))):
        text = re.sub(r"(//[^/\s@]*:)" + re.escape(form) + "@", r"\1***@", text)
    if len(password) >= UNAMBIGUOUS_PASSWORD:
        text = text.replace(password, "***")
    return text


def _fail(where: str, password: str, reason: str) -> NoReturn:
    raise RemoteError(redact(str(remote_error(where, reason)), password)) from None


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
        with _Deadline(DEADLINE_S), DAVClientClass(
                url=url, username=user or None, password=password, timeout=TIMEOUT_S,
                enable_rfc6764=False) as client:
            client.session.hooks["response"].append(_bounded_body)
            yield client
    except _DeadlinePassed:
        _fail(where, password, f"the exchange did not finish within {DEADLINE_S:g} s (the "
                               "server is too slow or has stalled)")
    except _TooBig:
        _fail(where, password, f"an answer was over {MAX_RESPONSE_BYTES / 1e6:g} MB; it was "
                               "not read")
    except RemoteError as exc:
        if redact(str(exc), password) != str(exc):
            raise RemoteError(redact(str(exc), password)) from None
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
    except (AttributeError, TypeError, KeyError, IndexError, AssertionError) as exc:
        # caldav reading an answer of the wrong shape (an empty 207, a missing element)
        _fail(where, password, f"the server's answer is not valid CalDAV ({type(exc).__name__}"
                               f": {_first_line(exc)})")


def open_calendar(client: DAVClient, name: str, where: str, create: bool) -> DAVCalendar:
    """The principal's calendar with display name ``name``; created when missing if ``create``,
    else a RemoteError that lists the calendars there are."""
    # RFC 4918: a DAV resource lists its compliance classes in the answer to OPTIONS. Ask the
    # given URL first, then the principal (SOGo lists calendar-access only there).
    classes = _dav_classes(client, str(client.url), where)
    if "calendar-access" not in classes:
        if not classes:
            raise remote_error(where, "this is not a CalDAV server (its answer has no DAV header)")
        if "calendar-access" not in _dav_classes(client, str(client.get_principal().url), where):
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


def _dav_classes(client: DAVClient, url: str, where: str) -> str:
    """The DAV compliance classes the server lists for ``url``. A server error (5xx) is said to
    be one, not taken for a server without CalDAV."""
    response = client.options(url)
    status = int(response.status or 0)
    reason = _first_line(getattr(response, "reason", "") or "")
    if status >= 500:
        raise remote_error(where, f"the server failed ({status} {reason}".rstrip()
                           + "); try again later or tell its administrator")
    classes = str(response.headers.get("DAV") or "")
    if status >= 400 and not classes:
        raise remote_error(where, f"the server refused the request ({status} {reason}".rstrip()
                           + "); check the address")
    return classes
