"""Signing in to Google for ``sync --google``: the OAuth installed-app flow of Google's own
libraries (google-auth-oauthlib, google-auth), with the user's own OAuth client, and the token
kept in the user config folder, readable by the user alone.

Scope: ``calendar.app.created`` only, "make secondary Google calendars, and see, create, change,
and delete events on them" - the calendars this app creates and nothing else. Google lists it
among the scopes that authorise every call the sync makes (calendars.insert/get/patch,
events.list/import/patch/delete):
https://developers.google.com/workspace/calendar/api/auth and e.g.
https://developers.google.com/workspace/calendar/api/v3/reference/calendars/insert
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import InputError, MissingExtra, RemoteError

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

SCOPES = ("https://www.googleapis.com/auth/calendar.app.created",)
INSTALL = "pip install 'periodize[google]'"
SECRET_ENV = "PERIODIZE_GOOGLE_CLIENT_SECRET"
#: How long the local redirect server waits for the browser's answer (a judgement call).
CONSENT_TIMEOUT_S = 300
HOW_TO_CLIENT = ("the OAuth client JSON (Desktop app) downloaded from the Google Cloud console, "
                 f"by --client-secret or {SECRET_ENV}; see `periodize sync --help`")


def require_extra() -> None:
    """Refuse in one line, naming the install command, when Google's libraries are missing."""
    import importlib

    try:
        for module in ("googleapiclient.discovery", "google_auth_oauthlib.flow",
                       "google_auth_httplib2", "google.oauth2.credentials"):
            importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(f"sync --google needs Google's client libraries ({exc.name} is "
                           f"missing); install them with: {INSTALL}") from None


def token_path() -> Path:
    """Where the sign-in is kept: ``google-token.json`` in the user config folder."""
    from platformdirs import user_config_path

    return user_config_path("periodize", appauthor=False) / "google-token.json"


def revoked_message(token: Path, reason: str) -> str:
    return (f"Google refused the saved sign-in ({reason}): it was revoked or has expired; "
            f"delete {token} and run `periodize sync --google` again to sign in")


def load_credentials(token: Path, client_secret: Path | None, http: Any) -> Credentials:
    """Credentials for the calendar: the saved token, refreshed through ``http`` when expired
    (and saved again), else a browser consent with the user's OAuth client (and saved).

    A refresh Google refuses (revoked, expired, client deleted) is a RemoteError saying how to
    sign in again; a missing or unusable client file is an InputError."""
    from google.auth.exceptions import RefreshError
    from google.oauth2.credentials import Credentials

    if token.exists():
        try:
            creds: Credentials = Credentials.from_authorized_user_file(  # type: ignore[no-untyped-call]
                str(token), list(SCOPES))
        except (ValueError, OSError) as exc:    # not JSON, or not a token (no refresh_token)
            raise RemoteError(f"{token}: not a usable Google sign-in ({_first_line(exc)}); "
                              "delete it and run `periodize sync --google` again") from None
        if not creds.valid:
            from google_auth_httplib2 import Request

            try:
                creds.refresh(Request(http))  # type: ignore[no-untyped-call]
            except RefreshError as exc:
                raise RemoteError(revoked_message(token, _refresh_reason(exc))) from None
            save_token(token, creds)
        return creds
    creds = consent(client_secret)
    save_token(token, creds)
    return creds


def consent(client_secret: Path | None) -> Credentials:
    """The installed-app flow: a browser page asks the user, a local server takes the answer."""
    if client_secret is None:
        raise InputError("--client-secret", "(not given)", HOW_TO_CLIENT)
    if not client_secret.is_file():
        raise InputError("--client-secret", str(client_secret), "an existing file: "
                         + HOW_TO_CLIENT)
    from google.oauth2.credentials import Credentials
    from google_auth_oauthlib.flow import InstalledAppFlow

    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_secret), list(SCOPES))
    except (ValueError, KeyError, OSError) as exc:   # not JSON, or not an installed-app client
        raise InputError("--client-secret", str(client_secret),
                         f"{HOW_TO_CLIENT} ({_first_line(exc)})") from None
    try:
        # The flow prints its prompt on standard output; standard output is the sync's summary.
        with contextlib.redirect_stdout(sys.stderr):
            creds = flow.run_local_server(
                port=0, open_browser=True, timeout_seconds=CONSENT_TIMEOUT_S,
                authorization_prompt_message="Sign in to Google to let periodize create its "
                                             "calendar (a browser opens; if not, visit {url} )",
                success_message="periodize is signed in; you can close this tab.")
    except Exception as exc:   # the user refused, or Google refused the client (oauthlib errors)
        raise RemoteError(f"Google sign-in did not complete ({_first_line(exc)})") from None
    if not isinstance(creds, Credentials):
        raise RemoteError("Google sign-in did not complete (no user credentials came back)")
    return creds


def save_token(token: Path, creds: Credentials) -> None:
    """Write the token whole (a temporary file renamed over it), created with mode 0600 - never
    readable by anyone else, not even for a moment - in a folder created with mode 0700."""
    try:
        token.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = token.with_name(f".{token.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(creds.to_json())  # type: ignore[no-untyped-call]
                out.flush()
                os.fsync(out.fileno())
            temporary.replace(token)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
    except OSError as exc:
        raise RemoteError(f"{token}: cannot save the Google sign-in ({exc.strerror or exc})"
                          ) from None


@contextlib.contextmanager
def refresh_errors(token: Path) -> Iterator[None]:
    """A refresh refused in the middle of a sync is the same one line as at its start."""
    from google.auth.exceptions import RefreshError

    try:
        yield
    except RefreshError as exc:
        raise RemoteError(revoked_message(token, _refresh_reason(exc))) from None


def _refresh_reason(exc: BaseException) -> str:
    """'invalid_grant' and the like, out of google-auth's RefreshError arguments."""
    for arg in exc.args[1:]:
        if isinstance(arg, dict) and arg.get("error"):
            return str(arg["error"])
    return _first_line(exc.args[0] if exc.args else exc)[:80] or "refresh refused"


def _first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0][:200] if lines else type(text).__name__
