"""The athlete profile (TOML): when they can train, where, at what level. Read strictly."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from planner.errors import InputError, closest
from planner.store.intake import Intake, intake_from_dict
from planner.store.limits import Limits, limits_from_dict
from planner.store.plan import last_day
from planner.store.strict_toml import read_toml, reject_unknown, take, take_choice, take_int

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LEVELS = ("beginner", "intermediate", "advanced")
MAX_WEEKS = 52
_CALDAV_KEYS = ("url", "user", "calendar")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_TOP_KEYS = ("name", "timezone", "start", "weeks", "level", "rest_days", "busy", "busy_caldav",
             "busy_buffer_minutes", "warmup", "availability", "plyometrics", "strength",
             "equipment", "cleared_to_jump", "hip_work", "limits", "intake", "involved_side",
             "progress_without_logs", "strength_day_after_jumps", "calendar", "example")
_CALENDAR_KEYS = ("base_url", "morning_checkin")
STEP_HEIGHTS = (10, 15, 20, 25)       # cm: the catalogue's step-down heights
BOX_HEIGHTS = (20, 30, 45, 60)        # cm: the catalogue's box-jump heights
_EQUIPMENT_FLAGS = {"bench": "bench", "band": "band", "dumbbells": "dumbbells",
                    "slant_board": "slant-board"}
_EQUIPMENT_KEYS = ("steps_cm", "boxes_cm", *_EQUIPMENT_FLAGS)


@dataclass(frozen=True, order=True)
class Window:
    """A local time window on a weekday, in minutes after midnight (end exclusive, up to 1440)."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class CalDavSource:
    """A calendar on a CalDAV server whose events block time: server URL, user, display name."""

    url: str
    user: str
    calendar: str

    def to_dict(self) -> dict[str, str]:
        return {"url": self.url, "user": self.user, "calendar": self.calendar}


@dataclass(frozen=True)
class Profile:
    timezone: str
    start: dt.date
    weeks: int = 8
    level: str = "beginner"
    name: str = "athlete"
    rest_days: tuple[int, ...] = ()
    availability: tuple[tuple[Window, ...], ...] = ((),) * 7   # index 0 = Monday
    busy: tuple[Path, ...] = ()
    busy_caldav: tuple[CalDavSource, ...] = ()
    busy_buffer_minutes: int = 15
    warmup: bool = True
    plyo_range: tuple[int, int] = (2, 3)
    strength_range: tuple[int, int] = (2, 3)
    equipment: frozenset[str] | None = None   # catalogue names; None: no list given (all)
    cleared_to_jump: bool = True      # False: rehab first, no jumps until a passed screen
    # True: the user's choice to let past sessions without a log progress as if every rule was
    # met (calendar progression); default False: a level rises only on logged evidence.
    progress_without_logs: bool = False
    hip_work: bool = True             # False: strength sessions without the hip exercises
    # True: the user's choice to let a strength session fall on the day after a jump session
    # (rule ``strength_after_jumps`` off; see docs/program.md). Default False: never within 24 h.
    strength_day_after_jumps: bool = False
    # [calendar]: the address ``periodize serve`` is reached at (each event then links to its
    # session's page), and the time of an optional check-in event the morning after each
    # session (minutes after midnight; None: none).
    base_url: str | None = None
    morning_checkin: int | None = None
    intake: Intake | None = None      # the intake's answers (planner.training.triage)
    involved_side: str = "both"       # left | right | both: the knee the plan is for
    limits: Limits = field(default_factory=Limits)   # a physio's limits (planner.store.limits)
    # True: the bundled example athlete (examples/athlete.toml), planned into a store of its own
    # when no store is named, so the user's own first plan goes to the default one (issue 24 §4).
    example: bool = False

    @property
    def plyo_sessions(self) -> tuple[int, int]:
        """Jump sessions a week the plan may hold: none under a physio's "no jumps"."""
        return (0, 0) if self.limits.no_jumps else self.plyo_range

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def end(self) -> dt.date:
        """The last day of the plan."""
        return last_day(self.start, self.weeks)

    def windows_on(self, day: dt.date) -> tuple[Window, ...]:
        """The windows open on a calendar date (none on rest days)."""
        weekday = day.weekday()
        return () if weekday in self.rest_days else self.availability[weekday]

    def to_dict(self) -> dict[str, Any]:
        """The profile as TOML-shaped data (for the store and for re-reading). ``busy_caldav``
        appears only when set, so profiles stored before it existed still compare equal."""
        data: dict[str, Any] = {
            "name": self.name, "timezone": self.timezone, "start": self.start.isoformat(),
            "weeks": self.weeks, "level": self.level,
            "rest_days": [WEEKDAYS[d] for d in self.rest_days],
            "busy": [str(p) for p in self.busy], "busy_buffer_minutes": self.busy_buffer_minutes,
            "warmup": self.warmup,
            "availability": {WEEKDAYS[d]: [str(w) for w in ws]
                             for d, ws in enumerate(self.availability) if ws},
            "plyometrics": {"sessions_per_week": list(self.plyo_range)},
            "strength": {"sessions_per_week": list(self.strength_range)},
        }
        if self.busy_caldav:
            data["busy_caldav"] = [source.to_dict() for source in self.busy_caldav]
        if self.equipment is not None:
            data["equipment"] = {
                "steps_cm": [h for h in STEP_HEIGHTS if f"step-{h}" in self.equipment],
                "boxes_cm": [h for h in BOX_HEIGHTS if f"box-{h}" in self.equipment],
                **{key: name in self.equipment for key, name in _EQUIPMENT_FLAGS.items()}}
        if not self.cleared_to_jump:
            data["cleared_to_jump"] = False
        if not self.hip_work:
            data["hip_work"] = False
        if self.limits:
            data["limits"] = self.limits.to_dict()
        if self.intake is not None:
            data["intake"] = self.intake.to_dict()
        if self.involved_side != "both":
            data["involved_side"] = self.involved_side
        if self.progress_without_logs:
            data["progress_without_logs"] = True
        if self.example:
            data["example"] = True
        if self.strength_day_after_jumps:
            data["strength_day_after_jumps"] = True
        calendar: dict[str, Any] = {}
        if self.base_url is not None:
            calendar["base_url"] = self.base_url
        if self.morning_checkin is not None:
            hours, minutes = divmod(self.morning_checkin, 60)
            calendar["morning_checkin"] = f"{hours:02d}:{minutes:02d}"
        if calendar:
            data["calendar"] = calendar
        return data


def _weekday(value: Any, where: str) -> int:
    """'mon' or 'Monday' (any case) -> 0."""
    word = value.strip().lower() if isinstance(value, str) else ""
    for index, (short, full) in enumerate(zip(WEEKDAYS, DAY_NAMES, strict=True)):
        if word in (short, full.lower()):
            return index
    raise InputError(where, value, "a weekday: " + ", ".join(WEEKDAYS)
                     + closest(word, [*WEEKDAYS, *(d.lower() for d in DAY_NAMES)]))


def parse_window(text: Any, where: str) -> Window:
    """'18:00-20:00' -> Window(1080, 1200); 24:00 is allowed as an end."""
    match = _WINDOW.match(text) if isinstance(text, str) else None
    if not match:
        raise InputError(where, text, 'a window like "18:00-20:00" (24-hour clock)')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        raise InputError(where, text, "times from 00:00 to 24:00")
    window = Window(h1 * 60 + m1, h2 * 60 + m2)
    if window.end <= window.start:
        raise InputError(where, text, "the end after the start, on the same day")
    return window


def _session_range(table: Mapping[str, Any], key: str, low: int, high: int,
                   default: tuple[int, int]) -> tuple[int, int]:
    section = take(table, key, dict, "", {})
    reject_unknown(section, ("sessions_per_week",), key)
    raw = take(section, "sessions_per_week", list, key, list(default))
    where = f"{key}.sessions_per_week"
    if (len(raw) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw)
            or not low <= raw[0] <= raw[1] <= high):
        raise InputError(where, raw, f"[min, max] with {low} <= min <= max <= {high}")
    return raw[0], raw[1]


def _caldav_sources(raw: Mapping[str, Any]) -> tuple[CalDavSource, ...]:
    """``[[busy_caldav]]`` tables: url (http or https), user and calendar, all required."""
    items = take(raw, "busy_caldav", list, "", [])
    sources = []
    for index, item in enumerate(items):
        where = f"busy_caldav[{index}]"
        if not isinstance(item, dict):
            raise InputError(where, item, "a table with url, user and calendar "
                             "(write it as [[busy_caldav]])")
        reject_unknown(item, _CALDAV_KEYS, where)
        url, user, calendar = (plain_text(take(item, key, str, where).strip(), f"{where}.{key}")
                               for key in _CALDAV_KEYS)
        if not is_http_url(url):
            raise InputError(f"{where}.url", url, "an http:// or https:// CalDAV address")
        if not user:
            raise InputError(f"{where}.user", user, "a user name")
        if not calendar:
            raise InputError(f"{where}.calendar", calendar, "the calendar's display name")
        sources.append(CalDavSource(url, user, calendar))
    return tuple(sources)


def is_http_url(url: str) -> bool:
    """Whether ``url`` is an http:// or https:// address with a host (and a numeric port, if
    any): the one check for every calendar server address, in profiles and on the command
    line."""
    try:
        parts = urlsplit(url)
        _ = parts.port                   # raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _equipment(raw: Mapping[str, Any]) -> frozenset[str] | None:
    """``[equipment]``: step and box heights (cm) and what else is at hand; anything not listed
    is taken as missing and the plan uses the catalogue's substitutes. No table: all of it."""
    if "equipment" not in raw:
        return None
    table = take(raw, "equipment", dict, "")
    reject_unknown(table, _EQUIPMENT_KEYS, "equipment")
    names: set[str] = set()
    for key, prefix, heights in (("steps_cm", "step", STEP_HEIGHTS),
                                 ("boxes_cm", "box", BOX_HEIGHTS)):
        for height in take(table, key, list, "equipment", []):
            if height not in heights or isinstance(height, bool):
                raise InputError(f"equipment.{key}", height,
                                 "heights in cm from " + ", ".join(map(str, heights)))
            names.add(f"{prefix}-{height}")
    names |= {name for key, name in _EQUIPMENT_FLAGS.items()
              if take(table, key, bool, "equipment", False)}
    return frozenset(names)


def _calendar(raw: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """``[calendar]``: ``base_url`` (where ``periodize serve`` is reached) and
    ``morning_checkin`` ("07:30": a check-in event the morning after each session)."""
    from planner.store.links import check_base_url

    table = take(raw, "calendar", dict, "", {})
    reject_unknown(table, _CALENDAR_KEYS, "calendar")
    base = take(table, "base_url", str, "calendar", None)
    checkin = take(table, "morning_checkin", str, "calendar", None)
    if checkin is not None:
        match = _TIME.match(checkin)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise InputError("calendar.morning_checkin", checkin,
                             'a time like "07:30" (24-hour clock)')
    if checkin is not None and base is None:
        raise InputError("calendar.morning_checkin", checkin, "a calendar.base_url as well "
                         "(the check-in links to the session's page)")
    return (None if base is None else check_base_url("calendar.base_url", base),
            None if checkin is None else int(checkin[:-3]) * 60 + int(checkin[-2:]))


def _date(value: Any) -> dt.date:
    if value is None:
        raise InputError("start", "(missing)", "a first day like 2027-01-04 is required")
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError("start", value, "a date like 2027-01-04")


#: Legacy zone names (and common abbreviations) with the city zone a person most likely means.
#: EST, MST and HST are fixed offsets all year: a New York user writing EST would train an hour
#: off from March to November. The POSIX-style ones (EST5EDT, ...) are kept in tzdata only for
#: compatibility. Abbreviations are not zones at all. Judgement call: refuse them all, naming
#: the city zone; "UTC" and the Etc/GMT+N offsets stay, as an explicit choice of fixed time.
LEGACY_ZONES = {
    "EST": "America/New_York", "EDT": "America/New_York", "EST5EDT": "America/New_York",
    "CST": "America/Chicago", "CDT": "America/Chicago", "CST6CDT": "America/Chicago",
    "MST": "America/Denver (or America/Phoenix, which keeps no summer time)",
    "MDT": "America/Denver", "MST7MDT": "America/Denver",
    "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "PST8PDT": "America/Los_Angeles",
    "HST": "Pacific/Honolulu", "AKST": "America/Anchorage", "AKDT": "America/Anchorage",
    "CET": "Europe/Paris or Europe/Berlin", "CEST": "Europe/Paris or Europe/Berlin",
    "MET": "Europe/Paris or Europe/Berlin", "EET": "Europe/Athens or Europe/Helsinki",
    "WET": "Europe/Lisbon", "BST": "Europe/London", "IST": "Asia/Kolkata or Europe/Dublin",
    "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney", "JST": "Asia/Tokyo",
}


#: Judgement call: a plan starts within ten years of today. Dates beyond are typing slips
#: (9999-11-01) and would overflow the calendar writer; the range leaves room for entering an
#: old block to keep its log, or planning a season well ahead.
MAX_YEARS_AWAY = 10


def _near(start: dt.date, today: dt.date | None) -> dt.date:
    if today is None:
        return start
    earliest, latest = (_years_from(today, -MAX_YEARS_AWAY), _years_from(today, MAX_YEARS_AWAY))
    if not earliest <= start <= latest:
        raise InputError("start", start, f"a date from {earliest} to {latest} (within "
                         f"{MAX_YEARS_AWAY} years of today, {today})")
    return start


def _years_from(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (or earlier); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# Judgement call: a window opening before 05:00 (00:00-24:00 for "free all day") gets a note,
# since sessions start as early as a window allows; the plan itself is not changed.
NIGHT_ENDS = 5 * 60


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def profile_notes(profile: Profile, today: dt.date) -> list[str]:
    """Things worth a line when a plan is made, none an error: rest days that also have
    availability (the rest day wins), windows opening in the night, and a start in the past
    (judgement call: a warning, not a refusal, so that a block already under way can be
    entered and its log kept)."""
    notes = []
    for day in profile.rest_days:
        if profile.availability[day]:
            windows = ", ".join(str(w) for w in profile.availability[day])
            notes.append(f"{DAY_NAMES[day]} is a rest day and also has availability "
                         f"({windows}): the rest day wins, no sessions on {DAY_NAMES[day]}s.")
    night = [DAY_NAMES[day] for day in range(7) if day not in profile.rest_days
             and any(w.start < NIGHT_ENDS for w in profile.availability[day])]
    if night:
        notes.append(f"{_listed(night)} {'has a window' if len(night) == 1 else 'have windows'} "
                     f"opening before {_clock(NIGHT_ENDS)}: sessions start as early as a window "
                     "allows, so they may be planned in the night. If that is not what you "
                     "meant, give the hours you would train (e.g. 07:00-21:00).")
    if profile.end < today:
        notes.append(f"the plan ran from {profile.start} to {profile.end}, before today "
                     f"({today}): every session is in the past. To plan ahead, set start to a "
                     "coming Monday.")
    elif profile.start < today - dt.timedelta(days=7):
        weeks = (today - profile.start).days // 7
        notes.append(f"the plan started on {profile.start}, {weeks} weeks before today: its "
                     "sessions before today are in the past; record them with `periodize done` "
                     "or `periodize missed`, then `periodize replan`.")
    return notes


def _timezone(value: str) -> str:
    city = LEGACY_ZONES.get(value.strip().upper())
    if city is not None:
        raise InputError("timezone", value, f"a city zone, e.g. {city}: {value} is a legacy or "
                         "fixed-offset name whose clock does not follow local summer time")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):   # OSError: "Europe" is a folder
        raise InputError("timezone", value, "an IANA time zone name like Europe/London"
                         + closest(value, available_timezones() - set(LEGACY_ZONES))) from None
    return value


#: Characters refused in names: C0 and C1 controls (ESC, NUL, ...), line and paragraph
#: separators, and the bidirectional overrides that reorder what a terminal shows. A name goes
#: to the terminal, the .ics, the HTML report and calendar servers.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def plain_text(value: str, where: str) -> str:
    """``value`` unless it holds a control character (see ``CONTROL_CHARACTERS``): InputError."""
    found = CONTROL_CHARACTERS.search(value)
    if found:
        raise InputError(where, value, "text without control characters (found "
                         f"U+{ord(found.group()):04X})")
    return value


def profile_from_dict(raw: Mapping[str, Any], base: Path | None = None,
                      shortest_session: int = 15, today: dt.date | None = None) -> Profile:
    """Validate TOML-shaped data into a Profile. ``base`` resolves relative busy paths;
    ``shortest_session`` (minutes) is the least a window must hold; with ``today``, the start
    must lie within ``MAX_YEARS_AWAY`` years of it (a new plan; a stored one is not judged)."""
    reject_unknown(raw, _TOP_KEYS, "")
    availability_raw = take(raw, "availability", dict, "")
    windows: list[tuple[Window, ...]] = [()] * 7
    for key, value in availability_raw.items():
        day = _weekday(key, f"availability.{key}")
        where = f"availability.{key}"
        items = value if isinstance(value, list) else [value]
        parsed = sorted(parse_window(item, where) for item in items)
        for window in parsed:
            if window.end - window.start < shortest_session:
                raise InputError(where, str(window), f"windows of at least {shortest_session} "
                                 "minutes (the shortest session)")
        for first, second in itertools.pairwise(parsed):
            if second.start < first.end:
                raise InputError(where, f"{first}, {second}", "windows that do not overlap")
        windows[day] = tuple(parsed)
    rest = take(raw, "rest_days", list, "", [])
    rest_days = tuple(sorted({_weekday(d, "rest_days") for d in rest}))
    busy_raw = take(raw, "busy", list, "", [])
    for item in busy_raw:
        if not isinstance(item, str) or not item.strip() or "\0" in item:
            raise InputError("busy", item, "paths of .ics files, as text")
    busy = tuple(Path(p) if base is None or Path(p).is_absolute() else base / p
                 for p in busy_raw)
    base_url, morning_checkin = _calendar(raw)
    return Profile(
        timezone=_timezone(take(raw, "timezone", str, "")),
        start=_near(_date(raw.get("start")), today),
        weeks=take_int(raw, "weeks", "", 1, MAX_WEEKS, 8),
        level=take_choice(raw, "level", "", LEVELS, "beginner"),
        name=plain_text(take(raw, "name", str, "", "athlete").strip(), "name") or "athlete",
        rest_days=rest_days,
        availability=tuple(windows),
        busy=busy,
        busy_caldav=_caldav_sources(raw),
        busy_buffer_minutes=take_int(raw, "busy_buffer_minutes", "", 0, 240, 15),
        warmup=take(raw, "warmup", bool, "", True),
        plyo_range=_session_range(raw, "plyometrics", 0, 3, (2, 3)),
        strength_range=_session_range(raw, "strength", 0, 3, (2, 3)),
        equipment=_equipment(raw),
        cleared_to_jump=take(raw, "cleared_to_jump", bool, "", True),
        hip_work=take(raw, "hip_work", bool, "", True),
        involved_side=take_choice(raw, "involved_side", "", ("left", "right", "both"), "both"),
        limits=limits_from_dict(take(raw, "limits", dict, "", {})),
        intake=(intake_from_dict(take(raw, "intake", dict, "")) if "intake" in raw else None),
        progress_without_logs=take(raw, "progress_without_logs", bool, "", False),
        example=take(raw, "example", bool, "", False),
        strength_day_after_jumps=take(raw, "strength_day_after_jumps", bool, "", False),
        base_url=base_url, morning_checkin=morning_checkin,
    )


def load_profile(path: Path, shortest_session: int = 15, today: dt.date | None = None,
                 ) -> Profile:
    """Read a profile file; busy paths are relative to the file's folder; with ``today``, the
    start is checked against it (see ``profile_from_dict``)."""
    return profile_from_dict(read_toml(path, "profile"), path.parent.resolve(), shortest_session,
                             today)
