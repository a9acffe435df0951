"""Push a plan's events into one calendar on a CalDAV server, touching only what changed and
only what this plan wrote.

The plan's events are stored one per resource (CalDAV refuses several events in one PUT), each
stamped ``X-PERIODIZE-PLAN:<plan id>``. A sync makes the calendar hold exactly the plan's
events: new ones are created, changed ones are written over their old resource, and this plan's
events that it no longer holds are deleted. Nothing else is touched: the user's own events carry
no ``X-PERIODIZE-PLAN``, and a calendar holding another plan's events is refused (nothing is
changed) unless ``replace`` is given, which replaces that plan with this one. A second sync
with the same plan sends no request that changes anything.

Every check is made before the first write. A sync that fails part way (the server goes away, a
write is refused) leaves some resources written and others not yet; each resource is whole
(one PUT), and the next sync compares the calendar afresh and completes it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from icalendar import Calendar as ICalendar
from icalendar import Component

from planner.calendars.caldav_client import (
    check_url,
    dav_client,
    open_calendar,
    remote_error,
    shown_url,
)
from planner.calendars.export.ics import PLAN_PROPERTY

if TYPE_CHECKING:
    from caldav.calendarobjectresource import Event as DAVEvent
    from caldav.collection import Calendar as DAVCalendar
    from caldav.davclient import DAVClient

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
    plans: frozenset[str]            # the X-PERIODIZE-PLAN values of its VEVENTs (none: user's)


def sync_calendar(resources: Mapping[str, bytes], *, url: str, user: str, password: str,
                  calendar_name: str, plan_id: str, replace: bool = False) -> SyncReport:
    """Make the calendar named ``calendar_name`` hold exactly the events in ``resources``.

    ``resources`` maps each UID to a complete iCalendar object holding one VEVENT with that UID
    (plus its VTIMEZONE) and the property ``X-PERIODIZE-PLAN:<plan_id>``; anything else is a
    programming error (ValueError). The calendar is found among the principal's calendars by
    display name and created when missing.

    For each UID: no event with it on the server -> PUT as a new resource (created); an event
    with it whose content differs -> PUT over that same resource URL (updated); the same content
    -> no request (unchanged). The bytes given are PUT unchanged, so SEQUENCE is ours, never
    bumped by the library. Events on the server stamped ``X-PERIODIZE-PLAN:<plan_id>`` whose UID
    is not in ``resources`` are deleted; events without the stamp are never touched.

    Events stamped with another plan's id: the sync is refused (RemoteError, nothing changed)
    unless ``replace``, which deletes them (and overwrites one holding a UID of ours).

    "Same content" rule: both sides are parsed with icalendar and their VEVENTs compared
    property by property, each property rendered as its content line (value and parameters,
    so a DTSTART moved to another TZID differs). Compared are the properties in ``COMPARED``
    (UID, SEQUENCE, DTSTART, DTEND, SUMMARY, DESCRIPTION, CATEGORIES, STATUS, ...) plus every
    other property our event carries; DTSTAMP is ignored, and so are properties only the server
    has outside ``COMPARED`` (it may add CREATED, LAST-MODIFIED, X- properties). VALARMs are
    compared on the properties in ``ALARM_COMPARED``. VTIMEZONEs are not compared (servers
    rewrite them; the TZID on DTSTART/DTEND is compared).

    An event on the server with one of our UIDs but no ``X-PERIODIZE-PLAN`` belongs to the user
    and is not overwritten: RemoteError, before anything is written. So is every server
    failure - unreachable (connection refused, unknown host, no answer within ``TIMEOUT_S``),
    authentication refused, not a CalDAV server, calendar creation or a write refused - with a
    one-line message that names the URL and never the password. A URL that is not http(s)
    is an InputError.
    """
    check_url(url)
    wanted = {uid: _parse_resource(uid, data, plan_id) for uid, data in resources.items()}
    where = shown_url(url)
    with dav_client(url, user, password) as client:
        calendar = open_calendar(client, calendar_name, where, create=True)
        if calendar.url is None:
            raise remote_error(where, f"the calendar {calendar_name!r} has no address")
        found = _list_events(calendar)
        mine = [f for f in found if f.plans == {plan_id}]
        others = [f for f in found if f.plans and f.plans != {plan_id}]
        _refuse_unless_safe(found, others, wanted.keys(), replace, calendar_name, where)
        kept = mine + (others if replace else [])
        created, updated, unchanged, written = _write(client, calendar, resources, wanted,
                                                      _by_uid(kept))
        deleted = _delete_unwanted(kept, written, wanted.keys())
    return SyncReport(created=tuple(created), updated=tuple(updated),
                      deleted=tuple(sorted(deleted)), unchanged=tuple(unchanged))


def _by_uid(items: Iterable[_Found]) -> dict[str, list[_Found]]:
    by_uid: dict[str, list[_Found]] = {}
    for item in items:
        for uid in item.uids:
            by_uid.setdefault(uid, []).append(item)
    return by_uid


def _write(client: DAVClient, calendar: DAVCalendar, resources: Mapping[str, bytes],
           wanted: Mapping[str, Component], by_uid: Mapping[str, list[_Found]],
           ) -> tuple[list[str], list[str], list[str], set[str]]:
    """PUT each wanted event that is new or changed (see ``sync_calendar``); the UIDs created,
    updated and unchanged, and the resource URLs that hold them now."""
    from caldav.calendarobjectresource import Event as DAVEventClass

    home = calendar.url
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    written: set[str] = set()                 # resource URLs kept (PUT over or unchanged)
    for uid in sorted(wanted):
        data, ours = resources[uid], wanted[uid]
        on_server = sorted(by_uid.get(uid, []), key=lambda f: str(f.obj.url))
        if not on_server:
            assert home is not None               # checked by sync_calendar
            event = DAVEventClass(client=client, parent=calendar,
                                  url=home.join(_resource_name(uid)))
            event.save(raw_data=data, increase_seqno=False)
            created.append(uid)
            continue
        target, extra = on_server[0], on_server[1:]
        written.add(str(target.obj.url))
        for duplicate in extra:          # same UID twice: keep one resource only
            duplicate.obj.delete()
            written.add(str(duplicate.obj.url))
        if not extra and same_content(ours, target.events):
            unchanged.append(uid)
            continue
        # PUT over the same URL; the ETag read with the listing is sent as If-Match.
        target.obj.save(raw_data=data, increase_seqno=False)
        updated.append(uid)
    return created, updated, unchanged, written


def _delete_unwanted(items: Iterable[_Found], written: set[str], wanted: Iterable[str],
                     ) -> set[str]:
    """Delete every resource of ours not kept by ``_write``; the UIDs that went."""
    keep = set(wanted)
    deleted: set[str] = set()
    for item in items:
        if item.uids and str(item.obj.url) not in written:
            item.obj.delete()
            deleted.update(item.uids - keep)
    return deleted


def _refuse_unless_safe(found: list[_Found], others: list[_Found], wanted: Iterable[str],
                        replace: bool, calendar_name: str, where: str) -> None:
    """Refuse, before any write, a sync that would touch what this plan did not write."""
    ours = set(wanted)
    for item in found:
        if not item.plans and item.uids & ours:
            uid = sorted(item.uids & ours)[0]
            raise remote_error(where, f"calendar {calendar_name!r} already holds an event with "
                                      f"UID {uid!r} that periodize did not write; nothing was "
                                      "changed: remove that event or use another calendar")
    if others and not replace:
        count = sum(len(item.events) for item in others)
        raise remote_error(where, f"calendar {calendar_name!r} holds {count} event"
                                  f"{'s' if count != 1 else ''} of another periodize plan; "
                                  "nothing was changed: use --replace to replace that plan "
                                  "with this one, or --calendar to choose another calendar")


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
        plans = frozenset(str(e[PLAN_PROPERTY]) for e in events if PLAN_PROPERTY in e)
        found.append(_Found(obj, events, uids, plans))
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
