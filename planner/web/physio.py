"""The physio's password and session: the password kept only as an argon2 hash (argon2-cffi) in a
file of mode 0600 beside the stores, a signed session cookie (Starlette's SessionMiddleware:
HttpOnly, SameSite=Strict, Secure when the base URL is https) and a CSRF token per session that
every form of the physio's view carries back (the synchronizer-token pattern)."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from planner.errors import InputError

SESSION_KEY = "physio"
CSRF_KEY = "csrf"
MIN_LENGTH = 10


def password_file(stores_at: Path) -> Path:
    """Where the hash is kept: in the roster folder, or beside a single store."""
    if stores_at.is_dir():
        return stores_at / "physio-password.argon2"
    return stores_at.with_name(stores_at.name + ".physio-password.argon2")


def set_password(path: Path, password: str) -> None:
    """Keep ``password`` as an argon2 hash at ``path`` (mode 0600, replaced atomically)."""
    from argon2 import PasswordHasher

    if len(password) < MIN_LENGTH:
        raise InputError("password", "*" * len(password), f"at least {MIN_LENGTH} characters")
    data = (PasswordHasher().hash(password) + "\n").encode()
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def password_set(path: Path) -> bool:
    return path.is_file()


def check_password(path: Path, password: str) -> bool:
    """Whether ``password`` matches the hash kept at ``path`` (False when none is kept)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        stored = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return False
    try:
        return bool(PasswordHasher().verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token, made on first use."""
    token = session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def csrf_ok(session: dict[str, Any], sent: object) -> bool:
    held = session.get(CSRF_KEY)
    return (isinstance(held, str) and isinstance(sent, str)
            and hmac.compare_digest(held.encode(), sent.encode()))


def signed_in(session: dict[str, Any]) -> bool:
    return session.get(SESSION_KEY) is True
