"""The plan as iCalendar (RFC 5545), built with icalendar: one VEVENT per session (and per check:
a baseline test, an all-day PSFS check-in) with TZID and VTIMEZONE, stable UIDs, DTSTAMP and
SEQUENCE from the store (never from a clock here), no RRULE, no VALARM.

Two shapes. The file (``plan_calendar``) is a published calendar: METHOD:PUBLISH (Outlook and
Apple refuse REQUEST with several events) and a name, no calendar-level UID. A CalDAV
resource (``session_resources``) is one event's object as RFC 4791 stores it: VERSION, PRODID,
the VTIMEZONE and the VEVENT only - no METHOD (SabreDAV servers such as Nextcloud refuse it) and
no calendar-level UID or NAME (vdirsyncer takes the first UID as the object's identity).

VTIMEZONEs list each onset of a STANDARD/DAYLIGHT part in its RDATEs, the DTSTART included:
ical.js (Thunderbird and many web calendars) and older libical ignore the DTSTART of a part
that has RDATEs, which shifts every session after a daylight-saving change."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from planner import __version__
from planner.calendars.export.ics_memo import Memo, memo_calendar
from planner.calendars.export.log_links import LogLinks
from planner.store.plan import Plan, Session
from planner.training.session_types import BLOCK_HEADINGS, TYPES

if TYPE_CHECKING:
    from icalendar import Calendar, Event, Timezone, vDDDTypes

PRODID = f"-//periodize//periodize {__version__}//EN"
PLAN_PROPERTY = "X-PERIODIZE-PLAN"


#: The summary's first words for a session's state as of the calendar's day (``plan_as_of``).
_PREFIX = {"missed": "Missed: ", "dropped": "Dropped: ", "not logged": "Not logged: "}
#: Statuses written as STATUS:CANCELLED: missed, and dropped by a replan (see dropped_sessions).
_CANCELLED = frozenset({"missed", "dropped"})

#: Values and content lines made once per content for every calendar (see ``ics_memo``).
_MEMO = Memo()
_plain = False


@contextmanager
def plain_icalendar() -> Iterator[None]:
    """Within it, calendars are made with icalendar's plain API only (``Event.new``, no memo,
    icalendar's own folding): the reference the fast path must match byte for byte (tests)."""
    from planner.calendars.export.ics_folding import icalendar_folding

    global _plain
    before, _plain = _plain, True
    try:
        with icalendar_folding():
            yield
    finally:
        _plain = before


def _calendar_class() -> type[Calendar]:
    """icalendar's Calendar, or outside ``plain_icalendar`` one whose lines come through the
    memo, with the fast folding (``ics_folding``) in place."""
    from icalendar import Calendar

    from planner.calendars.export.ics_folding import use_fast_folding

    if _plain:
        return Calendar
    use_fast_folding()   # a workaround for icalendar 7.3's folding cost, same bytes
    return memo_calendar(_MEMO)


def summary(session: Session) -> str:
    """'Plyometrics + stretch · week 3'; 'Missed: ...' once it is known to be missed, 'Not
    logged: ...' when past without a word in the log."""
    text = f"{TYPES[session.session_type].label} · week {session.week}"
    return _PREFIX.get(session.status, "") + text


def description(session: Session, safety_note: str, links: LogLinks | None = None) -> str:
    """The session in words (``session_text``): the same text ``periodize today`` shows; with
    ``links``, its essentials and the link to its page, which holds the rest."""
    # Nothing here may depend on the rest of the plan (its length, say): a session's text changes
    # only when the session does, so SEQUENCE stays honest.
    from planner.calendars.export.session_text import session_text, short_session_text

    if links is not None:
        return short_session_text(session, safety_note, links.url(session))
    return session_text(session, safety_note)


def revision_uid(plan: Plan, session: Session) -> str:
    """A UID of this revision only, for Google's file import: Google may refuse to import again
    a UID the user deleted, so each re-import after a replan gets UIDs it has never seen."""
    base, _, domain = session.uid.partition("@")
    return f"{base}-rev{plan.revision}@{domain}"


def _plain_event(plan: Plan, session: Session, safety_note: str,
                 per_revision: bool = False, links: LogLinks | None = None) -> Event:
    from icalendar import Event
    from icalendar.enums import STATUS

    event = Event.new(
        uid=revision_uid(plan, session) if per_revision else session.uid, stamp=session.stamp,
        start=session.start, end=session.end,
        summary=summary(session), description=description(session, safety_note, links),
        categories=[BLOCK_HEADINGS[k] for k in session.kinds], sequence=session.sequence,
        status=STATUS.CANCELLED if session.status in _CANCELLED else STATUS.CONFIRMED,
        url=None if links is None else links.url(session))
    event.add(PLAN_PROPERTY, plan.plan_id)
    return event


CHECKIN_MINUTES = 10


def checkin_uid(uid: str) -> str:
    """The UID of the morning check-in after the session whose UID is ``uid``."""
    base, _, domain = uid.partition("@")
    return f"{base}-checkin@{domain}"


def checkin_event(plan: Plan, session: Session, links: LogLinks, per_revision: bool = False
                  ) -> Event:
    """The morning after ``session``, at ``links.morning_checkin`` in the plan's zone: a short
    event with a reminder (VALARM at its start) that links to the session's page, which asks
    for the morning-after pain score. Cancelled with its session; SEQUENCE and DTSTAMP are the
    session's, so it changes exactly when the session does."""
    from icalendar import Alarm, Event
    from icalendar.enums import STATUS, TRANSP

    assert links.morning_checkin is not None
    hours, minutes = divmod(links.morning_checkin, 60)
    day = session.start.date() + dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=session.start.tzinfo)
    url = links.url(session)
    words = (f"How does your knee feel this morning, after yesterday's "
             f"{TYPES[session.session_type].label.lower()} session? Answer the pain question "
             f"(0-10) on the session's page:\n{url}")
    alarm = Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("TRIGGER", dt.timedelta(0))
    alarm.add("DESCRIPTION", "Morning check-in: your knee's pain score")
    uid = checkin_uid(revision_uid(plan, session) if per_revision else session.uid)
    event = Event.new(
        uid=uid, stamp=session.stamp, start=start,
        end=start + dt.timedelta(minutes=CHECKIN_MINUTES),
        summary=_PREFIX.get(session.status, "") + "Morning check-in: knee pain score",
        description=words, sequence=session.sequence, url=url,
        status=STATUS.CANCELLED if session.status in _CANCELLED else STATUS.CONFIRMED,
        transparency=TRANSP.TRANSPARENT, subcomponents=[alarm])
    event.add(PLAN_PROPERTY, plan.plan_id)
    return event


def check_event(plan: Plan, check: Session, per_revision: bool = False,
                links: LogLinks | None = None) -> Event:
    """A check's VEVENT (``Plan.checks``): a baseline test at its time, or a PSFS check-in as
    an all-day event (DTSTART;VALUE=DATE, the exclusive DTEND the next day) that shows as free
    time. Its text says what to do and how to record it (``check_text``); with ``links``, it
    links to the athlete's page."""
    from icalendar import Event
    from icalendar.enums import STATUS, TRANSP

    from planner.calendars.export.check_text import check_description, check_summary
    from planner.store.links import measure_url
    from planner.store.plan import BASELINE

    url = None if links is None else measure_url(links.base_url, links.token)
    timed = check.session_type == BASELINE
    day = check.start.date()
    event = Event.new(
        uid=revision_uid(plan, check) if per_revision else check.uid, stamp=check.stamp,
        start=check.start if timed else day,
        end=check.end if timed else day + dt.timedelta(days=1),
        summary=_PREFIX.get(check.status, "") + check_summary(check),
        description=check_description(check, url),
        categories=["Baseline test" if timed else "Check-in"], sequence=check.sequence,
        status=STATUS.CANCELLED if check.status in _CANCELLED else STATUS.CONFIRMED,
        transparency=TRANSP.OPAQUE if timed else TRANSP.TRANSPARENT, url=url)
    event.add(PLAN_PROPERTY, plan.plan_id)
    return event


def _events(plan: Plan, session: Session, safety_note: str, per_revision: bool,
            links: LogLinks | None) -> list[Event]:
    """The session's event, and its morning check-in when ``links`` asks for one."""
    events = [session_event(plan, session, safety_note, per_revision, links)]
    if links is not None and links.morning_checkin is not None:
        events.append(checkin_event(plan, session, links, per_revision))
    return events


def session_event(plan: Plan, session: Session, safety_note: str,
                  per_revision: bool = False, links: LogLinks | None = None) -> Event:
    """The session's VEVENT. Outside ``plain_icalendar`` it is built from values made once per
    content (``_event_values``): the same properties with the same types and parameters that
    ``Event.new`` gives (whose setters convert and look up time zones each time), and, as there,
    an event that ends before it starts is refused (``Event.new`` raises InvalidCalendar)."""
    if _plain or session.end < session.start:
        return _plain_event(plan, session, safety_note, per_revision, links)
    from icalendar import Event

    event = Event()
    for name, value in _event_values(plan, session, safety_note, per_revision, links).items():
        event[name] = value
    return event


def _event_values(plan: Plan, session: Session, safety_note: str, per_revision: bool,
                  links: LogLinks | None = None) -> dict[str, object]:
    """The VEVENT's properties by name, as ``Event.new`` makes them, each value made once per
    content (``_MEMO``) except the UID, DTEND and a session's own link."""
    from icalendar import vCategory, vDDDTypes, vInt, vText, vUnknown, vUri

    memo = _MEMO
    text, words = summary(session), description(session, safety_note, links)
    status = "CANCELLED" if session.status in _CANCELLED else "CONFIRMED"
    linked: dict[str, object] = {} if links is None else {"URL": vUri(links.url(session))}
    return {
        "SUMMARY": memo.value(("SUMMARY", text), lambda: vText(text)),
        # with a link, each text is the session's own: not kept
        "DESCRIPTION": (memo.value(("DESCRIPTION", words), lambda: vText(words)) if links is None
                        else vText(words)),
        **linked,
        "UID": vText(revision_uid(plan, session) if per_revision else session.uid),
        "DTSTAMP": _moment(memo, "DTSTAMP", session.stamp, utc=True),
        "DTSTART": _moment(memo, "DTSTART", session.start),
        # Not memoised: ends vary with each session's minutes (70% of a roster's are unique).
        "DTEND": vDDDTypes(session.end),
        "CATEGORIES": memo.value(("CATEGORIES", session.kinds), lambda: vCategory(
            [BLOCK_HEADINGS[k] for k in session.kinds])),
        "SEQUENCE": memo.value(("SEQUENCE", session.sequence), lambda: vInt(session.sequence)),
        "STATUS": memo.value(("STATUS", status), lambda: vText(status)),
        PLAN_PROPERTY: memo.value((PLAN_PROPERTY, plan.plan_id), lambda: vUnknown(plan.plan_id)),
    }


def _moment(memo: Memo, name: str, when: dt.datetime, utc: bool = False) -> vDDDTypes:
    """The date-time value, made once per wall time and time zone object (aware datetimes
    compare by instant, so the key is the wall time, ``fold`` and the tzinfo itself, which the
    value holds on to). ``utc``: converted to UTC first, as icalendar does for DTSTAMP."""
    from icalendar import vDDDTypes
    from icalendar.timezone import tzp

    key = (name, when.replace(tzinfo=None), when.fold, id(when.tzinfo))
    return memo.value(key, lambda: vDDDTypes(tzp.localize_utc(when) if utc else when))


def plan_timezone(plan: Plan) -> Timezone:
    """The VTIMEZONE of the plan's zone, with only the transitions around the plan (small files,
    right offsets) and every onset listed in RDATE, the DTSTART too (see the module's text)."""
    first = plan.start - dt.timedelta(days=31)
    return _timezone(plan.timezone, first, plan.start + dt.timedelta(days=7 * plan.weeks + 366),
                     bounded=not _plain)


@functools.lru_cache(maxsize=256)
def _timezone(tzid: str, first: dt.date, last: dt.date, bounded: bool) -> Timezone:
    """Made once per zone and span (a roster shares a few zones, but the span moves with each
    start date). Calendars share the component; nothing may change it. ``bounded``: without
    icalendar's search to year 9999 in zones with no more clock changes (``ics_zone_search``,
    the same component; off in ``plain_icalendar``)."""
    from planner.calendars.export.ics_zone_search import timezone

    zone = timezone(tzid, first, last, bounded)
    for part in (*zone.standard, *zone.daylight):
        if "RDATE" in part:
            listed = part.get("RDATE")
            onsets = [d.dt for lists in (listed if isinstance(listed, list) else [listed])
                      for d in lists.dts]
            del part["RDATE"]
            part.add("RDATE", sorted({part.decoded("DTSTART"), *onsets}))
    return zone


def _with_timezone(calendar: Calendar, zone: Timezone) -> Calendar:
    """``calendar`` with ``zone`` first; refused if an event's time is in another zone."""
    missing: set[str | None]
    if _plain:
        calendar.subcomponents.insert(0, zone)
        missing = set(calendar.get_missing_tzids())
    else:
        # session_event's events carry a TZID only on DTSTART and DTEND: the same set as
        # get_missing_tzids gives, without its walk over every property (a fifth of the cost).
        tzids = {event[name].params.get("TZID") for event in calendar.subcomponents
                 for name in ("DTSTART", "DTEND")}
        missing = tzids - {None, "UTC", zone.tz_name}
        _MEMO.hold(zone)
        calendar.subcomponents.insert(0, zone)
    if missing:                              # a session outside the plan's zone: a bug
        raise ValueError(f"no VTIMEZONE for {sorted(str(tzid) for tzid in missing)}")
    return calendar


def plan_calendar(plan: Plan, safety_note: str, per_revision: bool = False,
                  dropped: Sequence[Session] = (), refresh: dt.timedelta | None = None,
                  links: LogLinks | None = None) -> bytes:
    """The whole plan as one .ics file for import or subscription, with the sessions a replan
    ``dropped`` as CANCELLED (see ``plan.dropped_sessions``); ``per_revision`` gives each
    revision its own UIDs (for Google's file import into a new calendar, see ``revision_uid``;
    dropped sessions are left out there, as that calendar never held them). ``refresh``: how
    often a subscribed client should fetch it again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
    ``links``: each event links to its session's page (and a check-in follows each session)."""
    from icalendar import vText

    sessions = plan.sessions if per_revision else sorted((*plan.sessions, *dropped),
                                                         key=lambda s: (s.start, s.uid))
    # NAME and X-WR-CALNAME are TEXT, but icalendar writes them unescaped (vUnknown): a name with
    # a comma or a newline would break the file. vText escapes them as DESCRIPTION is.
    calendar = _calendar_class().new(
        prodid=PRODID, method="PUBLISH",
        name=vText(plan.revision_calendar_name if per_revision else plan.calendar_name),
        subcomponents=[*(event for s in sessions
                         for event in _events(plan, s, safety_note, per_revision, links)),
                       *(check_event(plan, c, per_revision, links) for c in plan.checks
                         if not (per_revision and c.status == "dropped"))],
        refresh_interval=refresh)
    # No calendar-level UID (Calendar.new adds a random one): vdirsyncer, subscribing, copies the
    # calendar's properties into each event's item and takes the first UID as the item's, so
    # every event would be one item. The plan's id is in each event (X-PERIODIZE-PLAN).
    del calendar["UID"]
    if refresh is not None:
        from icalendar import vDuration

        calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"     # required by RFC 7986
        calendar.add("X-PUBLISHED-TTL", vDuration(refresh))          # Outlook's name for it
    return bytes(_with_timezone(calendar, plan_timezone(plan)).to_ical())


def session_resources(plan: Plan, safety_note: str, links: LogLinks | None = None
                      ) -> dict[str, bytes]:
    """One CalDAV calendar object per session (and per check-in, with ``links`` asking for
    them) and per check (``Plan.checks``), keyed by UID: VERSION, PRODID, VTIMEZONE, VEVENT and
    nothing else (RFC 4791 section 4.1: no METHOD; one UID per resource)."""
    zone = plan_timezone(plan)
    resources = {}
    events = [event for session in plan.sessions
              for event in _events(plan, session, safety_note, False, links)]
    for event in [*events, *(check_event(plan, c, False, links) for c in plan.checks)]:
        calendar = _calendar_class()()
        calendar.add("VERSION", "2.0")
        calendar.add("PRODID", PRODID)
        calendar.add_component(event)
        resources[str(event["UID"])] = bytes(_with_timezone(calendar, zone).to_ical())
    return resources
