"""The files that hold Google secrets (issue 28 section 5): the saved token and the OAuth client
file are read as ssh reads its keys - a regular file, capped in size, the user's own, that no one
else may change - and any JSON in them that is not what Google's libraries read is one line,
exit 2. A token others may read is tightened to 0600 with a note; a config folder others may
change is reported. No request reaches Google in any of these cases."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import Result
from factories import one_line_error, run

pytest.importorskip("google_auth_oauthlib")

from planner.calendars import google_auth

TOKEN = {"token": "access-0", "refresh_token": "refresh-1",
         "token_uri": "https://oauth2.googleapis.com/token",
         "client_id": "client.apps.googleusercontent.com", "client_secret": "shh",
         "scopes": list(google_auth.SCOPES), "expiry": "2999-01-01T00:00:00Z"}


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty user config folder; the token's place in it (not made)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("PERIODIZE_GOOGLE_CLIENT_SECRET", raising=False)
    token = google_auth.token_path()
    token.parent.mkdir(parents=True, mode=0o700)
    token.parent.chmod(0o700)
    return token


def _no_google(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Count any attempt to reach Google (there must be none)."""
    from planner.calendars import google_sync

    calls: list[object] = []

    def new_http() -> object:
        calls.append("http")
        return object()

    monkeypatch.setattr(google_sync, "new_http", new_http)
    monkeypatch.setattr(google_auth, "consent", lambda *a: calls.append("consent"))
    return calls


def _sync(store: Path, *args: str) -> Result:
    return run("--db", str(store), "sync", "--google", *args)


@pytest.mark.parametrize("make", ["dev-zero", "fifo", "folder", "big"])
def test_a_token_that_is_not_a_small_regular_file_is_refused_unread(
        make: str, store: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """/dev/zero would be read for ever (24 GB before the kernel ended it), a FIFO blocks for
    ever: both are refused by what was opened, before a byte is read."""
    _no_google(monkeypatch)
    if make == "dev-zero":
        config.symlink_to("/dev/zero")
    elif make == "fifo":
        os.mkfifo(config, 0o600)
    elif make == "folder":
        config.mkdir()
    else:
        config.write_text(json.dumps({**TOKEN, "pad": "x" * google_auth.MAX_SECRET_BYTES}))
        config.chmod(0o600)
    one_line_error(_sync(store), "Google sign-in", str(config)[-20:])


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to give a file to another user")
def test_a_token_another_user_owns_is_refused(store: Path, config: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """As root, a link to another user's 0600 token was read and used: never."""
    calls = _no_google(monkeypatch)
    theirs = tmp_path / "theirs.json"
    theirs.write_text(json.dumps(TOKEN))
    theirs.chmod(0o600)
    os.chown(theirs, 4321, 4321)
    config.symlink_to(theirs)
    one_line_error(_sync(store), "Google sign-in", "of your own", "4321")
    assert "consent" not in calls
    secret = tmp_path / "client.json"
    secret.write_text(json.dumps({"installed": {"client_id": "a", "client_secret": "b",
                                                "auth_uri": "c", "token_uri": "d"}}))
    os.chown(secret, 4321, 4321)
    config.unlink()
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    one_line_error(_sync(store, "--client-secret", str(secret)), "--client-secret", "4321")


def test_a_token_others_may_read_is_tightened_with_a_note(
        store: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """0644 or 0666: made 0600 and said; a config folder others may change is reported."""
    from planner.calendars import google_sync

    monkeypatch.setattr(google_sync, "new_http", lambda: (_ for _ in ()).throw(
        RuntimeError("no network in this test")))
    for mode in (0o644, 0o666):
        config.write_text(json.dumps(TOKEN))
        config.chmod(mode)
        notes: list[str] = []
        creds = google_auth.load_credentials(config, None, None, notes.append)
        assert creds.refresh_token == "refresh-1"
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
        assert len(notes) == 1 and f"{mode:04o}" in notes[0] and "0600" in notes[0]
    config.parent.chmod(0o777)
    notes = []
    google_auth.load_credentials(config, None, None, notes.append)
    assert len(notes) == 1 and "0777" in notes[0] and "chmod 700" in notes[0]
    notes = []
    config.parent.chmod(0o700)
    google_auth.load_credentials(config, None, None, notes.append)
    assert notes == []                        # nothing to say of a private token


DEEP = "[" * 30_000 + "]" * 30_000     # 60 KB, under the cap: too deep for the parser


@pytest.mark.parametrize("text", ["5", "null", "[]", '"x"', DEEP, '{"token": 5}', "{", "\xff",
                                  '{"installed": 5}'])
def test_a_token_that_is_not_a_token_is_one_line_exit_2(
        text: str, store: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _no_google(monkeypatch)
    config.write_bytes(text.encode("utf-8", "surrogateescape") if text != "\xff"
                       else b"\xff")
    config.chmod(0o600)
    one_line_error(_sync(store), "Google sign-in", "not a usable Google sign-in")
    assert "consent" not in calls


@pytest.mark.parametrize("text", ["5", "null", "[]", '{"installed": 5}', '{"installed": []}',
                                  '{"installed": "x"}', '{"installed": {"client_id": 5}}',
                                  '{"other": {}}', DEEP, '{"installed": ' + DEEP + "}"])
def test_a_client_file_that_is_not_an_oauth_client_is_one_line_exit_2(
        text: str, store: Path, config: Path, tmp_path: Path) -> None:
    """No token yet: the client file is read before any browser opens."""
    secret = tmp_path / "client.json"
    secret.write_text(text)
    secret.chmod(0o600)
    line = one_line_error(_sync(store, "--client-secret", str(secret)), "--client-secret")
    assert "Traceback" not in line and not config.exists()


def test_a_client_file_others_may_change_is_refused(store: Path, config: Path,
                                                    tmp_path: Path) -> None:
    secret = tmp_path / "client.json"
    secret.write_text(json.dumps({"installed": {"client_id": "a", "client_secret": "b",
                                                "auth_uri": "c", "token_uri": "d"}}))
    secret.chmod(0o666)
    one_line_error(_sync(store, "--client-secret", str(secret)), "--client-secret", "0666",
                   "chmod 600")
    assert not config.exists()
