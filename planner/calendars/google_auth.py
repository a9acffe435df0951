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
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
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
#: A client secret is about 400 bytes and a token about 600: far more is not one (a judgement
#: call, a cap so that /dev/zero or a huge file is refused before it is read).
MAX_SECRET_BYTES = 64 * 1024
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


_UNUSABLE = ("; this is not a usable Google sign-in: delete it and run `periodize sync "
             "--google` again")


def _stderr_note(text: str) -> None:
    print(f"Note: {text}", file=sys.stderr)


def _owned(path: Path, field: str, kind: str, tightened: bool,
           ) -> Callable[[os.stat_result], None]:
    """Refuse (as ssh does) a secret file another user owns or, unless it is ``tightened``
    after reading (the token: ``_tighten``), one others may change."""
    def judge(info: os.stat_result) -> None:
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            raise InputError(field, str(path), f"{kind} of your own (this one belongs to user "
                             f"id {info.st_uid}; a sign-in is never taken from someone else's "
                             "file)")
        if not tightened and info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise InputError(field, str(path), f"{kind} only you may change (it is "
                             f"{stat.S_IMODE(info.st_mode):04o}: others may write it; run chmod "
                             "600 on it after checking it is yours)")
    return judge


def read_secret(path: Path, field: str, kind: str, advice: str = "", tightened: bool = False,
                ) -> Any:
    """The JSON held in a secret file: a regular file of at most ``MAX_SECRET_BYTES``, yours,
    which no one else may change; InputError (one line, exit 2) otherwise or for JSON that
    cannot be read (nested too deep for Python's parser too); ``advice`` ends that line."""
    from planner.store.reading import read_regular

    data = read_regular(path, field, MAX_SECRET_BYTES, f"{kind} of at most "
                        f"{MAX_SECRET_BYTES // 1024} KB", kind,
                        _owned(path, field, kind, tightened))
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:   # UnicodeDecodeError is a ValueError
        why = "nested too deeply" if isinstance(exc, RecursionError) else _first_line(exc)
        raise InputError(field, str(path), f"{kind} holding JSON ({why}){advice}") from None


def _tighten(token: Path, note: Callable[[str], None]) -> None:
    """A token others may read is made 0600, with a note; a config folder others may change is
    reported (not changed: it may hold other programs' files)."""
    with contextlib.suppress(OSError):
        folder = token.parent.stat()
        if folder.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            note(f"{token.parent} may be changed by others (mode "
                 f"{stat.S_IMODE(folder.st_mode):04o}); a sign-in kept there is only as safe as "
                 "the folder: chmod 700 it")
    with contextlib.suppress(OSError):
        mode = stat.S_IMODE(token.stat().st_mode)
        if mode & 0o077:
            token.chmod(0o600)
            note(f"{token} was readable by others (mode {mode:04o}); it is now 0600, readable "
                 "by you alone")


def load_credentials(token: Path, client_secret: Path | None, http: Any,
                     note: Callable[[str], None] = _stderr_note) -> Credentials:
    """Credentials for the calendar: the saved token, refreshed through ``http`` when expired
    (and saved again), else a browser consent with the user's OAuth client (and saved).

    The token and the client file are read as secrets (``read_secret``): a regular file, capped,
    yours, that no one else may change; a token others may read is tightened to 0600 and
    ``note`` says so. A refresh Google refuses (revoked, expired, client deleted) is a
    RemoteError saying how to sign in again; a missing or unusable client file is an
    InputError."""
    from google.auth.exceptions import RefreshError
    from google.oauth2.credentials import Credentials

    if token.is_symlink() or token.exists():
        info = read_secret(token, "Google sign-in", "a token file", _UNUSABLE, tightened=True)
        _tighten(token, note)
        try:
            if not isinstance(info, dict):
                raise ValueError(f"a JSON object, not {type(info).__name__}")
            creds: Credentials = Credentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
                info, list(SCOPES))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # not a token
            raise InputError("Google sign-in", str(token), f"a token file periodize saved "
                             f"({_first_line(exc)}){_UNUSABLE}") from None
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


def _client_config(client_secret: Path) -> dict[str, Any]:
    """The OAuth client file's JSON, checked for the shape Google's flow reads: an object with
    an "installed" (or "web") object holding at least client_id, client_secret and the two URIs
    as text."""
    config = read_secret(client_secret, "--client-secret", "an OAuth client file")
    kind = next((k for k in ("installed", "web") if isinstance(config, dict) and k in config),
                None)
    client = config[kind] if kind is not None else None
    needed = ("client_id", "client_secret", "auth_uri", "token_uri")
    if not isinstance(client, dict) or not all(isinstance(client.get(k), str) for k in needed):
        shape = ("a JSON object with an 'installed' object holding " + ", ".join(needed))
        raise InputError("--client-secret", str(client_secret), f"{HOW_TO_CLIENT} ({shape})")
    return {str(kind): client}


def consent(client_secret: Path | None) -> Credentials:
    """The installed-app flow: a browser page asks the user, a local server takes the answer."""
    if client_secret is None:
        raise InputError("--client-secret", "(not given)", HOW_TO_CLIENT)
    if not client_secret.exists():
        raise InputError("--client-secret", str(client_secret), "an existing file: "
                         + HOW_TO_CLIENT)
    config = _client_config(client_secret)
    from google.oauth2.credentials import Credentials
    from google_auth_oauthlib.flow import InstalledAppFlow

    try:
        flow = InstalledAppFlow.from_client_config(config, list(SCOPES))
    except (ValueError, KeyError, TypeError) as exc:   # not an installed-app client
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
