"""What a calendar's events link to when ``periodize serve`` has an address (``[calendar]
base_url`` in the profile): each session's page, to log it (``planner.store.links``), and
whether a check-in event the morning after each session asks for the pain score there."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planner.store.links import session_url
from planner.store.plan import Session

if TYPE_CHECKING:
    from planner.store.database import Store
    from planner.store.profile import Profile


@dataclass(frozen=True)
class LogLinks:
    base_url: str
    token: str                      # the athlete's secret (the plan's feed token)
    morning_checkin: int | None = None   # minutes after midnight, local time; None: no check-in

    def url(self, session: Session) -> str:
        """The session's page (by its UID, also in a per-revision Google import)."""
        return session_url(self.base_url, self.token, session.uid)


def links_for(profile: Profile, token: str) -> LogLinks | None:
    """The links of the calendar an athlete with this ``token`` is served (None: the profile
    names no ``[calendar] base_url``)."""
    if profile.base_url is None:
        return None
    return LogLinks(profile.base_url, token, profile.morning_checkin)


def store_links(store: Store, plan_id: str, profile: Profile) -> LogLinks | None:
    """``links_for`` the plan in ``store``: its athlete's token (the feed's), made now if it has
    none yet, so the links work once ``periodize serve`` runs."""
    if profile.base_url is None:
        return None
    token = store.feed_token(plan_id)
    if token is None:
        token = secrets.token_urlsafe(24)
        store.set_feed_token(plan_id, token)
    return links_for(profile, token)
