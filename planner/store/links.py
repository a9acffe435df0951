"""The addresses of an athlete's pages, one scheme for every place that writes or serves them:
``periodize serve`` routes them, and each calendar event (.ics, CalDAV, Google, the feed)
carries its session's link when a base URL is configured.

    BASE/a/<athlete token>/s/<session uid>
    BASE/a/<athlete token>/measure            (a baseline test or PSFS ratings)

The athlete token is the secret of the athlete's pages (as the feed's token); the session uid is
the event's UID (``Session.uid``). The session page asks the morning-after pain question first
on the day after the session, so the morning check-in links to the same address."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from planner.errors import InputError

ACCEPTED_BASE_URL = ("an http:// or https:// address without a query or fragment, "
                     "e.g. https://periodize.example.org")


def check_base_url(field: str, value: str) -> str:
    """``value`` as a base URL for the athlete's pages (its trailing slashes dropped), or an
    ``InputError`` naming ``field``."""
    try:
        parts = urlsplit(value)
    except ValueError:
        raise InputError(field, value, ACCEPTED_BASE_URL) from None
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.query
            or parts.fragment or "?" in value or "#" in value or not value.isprintable()
            or any(c.isspace() for c in value)):
        raise InputError(field, value, ACCEPTED_BASE_URL)
    return value.rstrip("/")


def athlete_url(base_url: str, athlete_token: str) -> str:
    """The athlete's own page (their latest session not yet logged, then today's)."""
    return f"{base_url.rstrip('/')}/a/{quote(athlete_token, safe='')}"


def measure_url(base_url: str, athlete_token: str) -> str:
    """The page that records a baseline test or PSFS ratings (``measure``): what a check's
    event (``Plan.checks``) links to."""
    return f"{athlete_url(base_url, athlete_token)}/measure"


def session_url(base_url: str, athlete_token: str, uid: str) -> str:
    """The page of the session whose event UID is ``uid``: log it, answer the morning question."""
    return f"{athlete_url(base_url, athlete_token)}/s/{quote(uid, safe='')}"
