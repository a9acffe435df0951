"""A plan as data: sessions with their times and doses. ``to_dict`` is the JSON contract that
``export --format json`` writes and the store keeps; ``plan_from_dict`` reads it back."""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from planner.identity_memo import IdentityMemo

STATUSES = ("planned", "done", "missed")

#: How a session stands as of a day for replanning (``Plan.state``): logged done, logged missed,
#: past with no word (replan places what follows as if done), or today and later (to come).
#: What the views show is ``planner.store.as_of`` (there a past session with no word is "not
#: logged", never done).
DONE, MISSED, UNLOGGED, AHEAD = "done", "missed", "unlogged", "ahead"
STATES = (DONE, MISSED, UNLOGGED, AHEAD)

#: "Today" as a command is given it: a date (``--today``), or the moment now (UTC), whose date
#: is then taken in the plan's time zone (``Plan.today``).
Today = dt.date | dt.datetime
NAMESPACE = uuid.UUID("6f1c8f0e-52a4-5d2b-9a57-2f1d3c0b7e11")   # periodize plans


def last_day(start: dt.date, weeks: int) -> dt.date:
    """The last day of a plan of ``weeks`` weeks from ``start``."""
    return start + dt.timedelta(days=7 * weeks - 1)


def plan_identity(name: str, timezone: str, start: dt.date) -> str:
    """The plan's identity: who (name), where (time zone) and from when (start). Not the paths
    of busy calendars or the windows: the same athlete regenerating in another folder, or with
    an edited week, keeps the same UIDs, so a re-import updates rather than duplicates."""
    identity = json.dumps([name, timezone, start.isoformat()], ensure_ascii=False)
    return str(uuid.uuid5(NAMESPACE, identity))


def session_uid(plan_id: str, week: int, ordinal: int) -> str:
    """The stable UID of the ``ordinal``-th session ever placed in calendar week ``week``."""
    return f"{uuid.uuid5(_plan_uuid(plan_id), f'week-{week}/session-{ordinal}')}@periodize"


#: The session types of ``Plan.checks``: a baseline test, a PSFS check-in.
BASELINE, PSFS = "baseline", "psfs"
CHECK_TYPES = (BASELINE, PSFS)


def test_uid(plan_id: str, number: int) -> str:
    """The stable UID of the plan's ``number``-th baseline test (0: before week 1)."""
    return f"{uuid.uuid5(_plan_uuid(plan_id), f'baseline-test/{number}')}@periodize"


def psfs_uid(plan_id: str, number: int) -> str:
    """The stable UID of the plan's ``number``-th PSFS check-in (0: the plan's first day)."""
    return f"{uuid.uuid5(_plan_uuid(plan_id), f'psfs-check-in/{number}')}@periodize"


@functools.lru_cache(maxsize=256)
def _plan_uuid(plan_id: str) -> uuid.UUID:
    """``plan_id`` parsed once, not once per session (a plan has dozens)."""
    return uuid.UUID(plan_id)


def athlete_key(name: str) -> str:
    """Who a plan is for, as compared across stores and rosters: the name with its spaces
    collapsed, in Unicode NFC, case-folded. "Sam Smith" and "sam  smith" are one athlete; "Zoë"
    and "Zoe" are two (a judgement call: accents are part of a name)."""
    import unicodedata

    return unicodedata.normalize("NFC", " ".join(name.split())).casefold()


@dataclass(frozen=True)
class Dose:
    """One exercise as prescribed in one session."""

    name: str
    kind: str                     # warmup | plyometrics | strength | stretching
    sets: int
    reps: int | None
    hold_seconds: int | None
    foot_contacts: int | None     # plyometrics only
    level: int
    cue: str
    per_side: bool = False
    work_seconds: int | None = None   # one set's work (per side), from the catalogue
    rest_seconds: int | None = None   # rest after each set

    def describe(self) -> str:
        """'4 × 8 (32 foot contacts), rest 90 s between sets', '1 × 5, rest 60 s'."""
        if self.reps is not None:
            amount = f"{self.reps}"
        elif self.hold_seconds is not None and self.hold_seconds >= 120 and self.sets == 1:
            return f"{self.hold_seconds // 60} min"       # a timed block, e.g. easy cardio
        else:
            amount = f"{self.hold_seconds} s"
        text = f"{self.sets} × {amount}" + (" each side" if self.per_side else "")
        if self.foot_contacts is not None:
            text += f" ({self.foot_contacts} foot contacts)"
        if self.rest_seconds:
            text += f", rest {self.rest_seconds} s" + (" between sets" if self.sets > 1 else "")
        return text


@dataclass(frozen=True)
class Session:
    uid: str
    start: dt.datetime            # aware, in the plan's zone
    end: dt.datetime
    week: int                     # calendar week of the plan, 1-based
    program_week: int             # the block week whose doses it carries (differs after a break)
    session_type: str             # jumps | strength | combined | stretch
    kinds: tuple[str, ...]
    status: str
    sequence: int
    stamp: dt.datetime            # UTC time of the last change (DTSTAMP)
    rpe: int
    exercises: tuple[Dose, ...]
    notes: tuple[str, ...] = ()   # why the log re-dosed it, and red-flag advice, in words

    @property
    def minutes(self) -> int:
        """Real minutes (in UTC: a fall-back night's repeated hour counts once)."""
        return int((self.end.astimezone(dt.UTC) - self.start.astimezone(dt.UTC)
                    ).total_seconds() // 60)

    @property
    def load(self) -> int:
        """Session RPE × minutes (Foster's session load)."""
        return self.rpe * self.minutes

    @property
    def foot_contacts(self) -> int:
        # Summed once per tuple of doses (shared by a roster's sessions: see identity_memo).
        return _FOOT_CONTACTS.get(self.exercises, None, lambda: sum(
            d.foot_contacts or 0 for d in self.exercises))

    def with_status(self, status: str) -> Session:
        return replace(self, status=status)

    def content(self) -> tuple[object, ...]:
        """Everything a calendar shows of the session: all but its SEQUENCE and DTSTAMP, which
        say when and how often it changed, and done vs planned, which it does not show. Every
        field that reaches the event's text is here - the notes too (a re-dosing's reason, the
        red-flag advice), or undo and redo would change an event's text at an equal SEQUENCE
        and calendars would keep the old one (issue 28 §3; tests/test_sequence_chains.py)."""
        return (self.uid, self.start.astimezone(dt.UTC), self.end.astimezone(dt.UTC), self.week,
                self.program_week, self.session_type, self.kinds,
                self.status if self.status in ("missed", "dropped") else "", self.rpe,
                self.exercises, self.notes)


@dataclass(frozen=True)
class Plan:
    plan_id: str
    name: str
    timezone: str
    start: dt.date
    weeks: int
    level: str
    revision: int
    created: dt.datetime          # UTC time this revision was made
    sessions: tuple[Session, ...]
    program_weeks: tuple[int, ...] = ()   # block week carried by each calendar week (1-based)
    # Events that hold no training (issue 26 §3, §5): the baseline tests (type ``BASELINE``,
    # placed by ``planner.scheduling.baseline_tests``) and the PSFS check-ins (``PSFS``, all
    # day: local midnight to midnight). Outside ``sessions``: nothing is dosed, counted or
    # logged as done for them; what they ask for is recorded with ``measure``.
    checks: tuple[Session, ...] = ()

    @property
    def end(self) -> dt.date:
        """The plan's last day."""
        return last_day(self.start, self.weeks)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self, when: Today) -> dt.date:
        """The one rule for "today" in every command: a date given is taken as it is; the moment
        now is turned into the date it falls on in the plan's time zone."""
        if isinstance(when, dt.datetime):
            return when.astimezone(self.tz).date()
        return when

    def local_date(self, session: Session) -> dt.date:
        """The day a session falls on, in the plan's time zone."""
        return session.start.astimezone(self.tz).date()

    def state(self, session: Session, today: dt.date | None) -> str:
        """How a session stands as of ``today`` for replan (and the web pages' grid, on the
        plan as of the day, whose statuses already say "not logged"): ``done`` or ``missed``
        when so logged (or so in the revision); a session before today with no word is
        ``unlogged``, which replan counts as done as prescribed (``counts_done``) to place what
        follows; today's and later ones are ``ahead``. With ``today`` None nothing is past.
        Views show ``planner.store.as_of``'s states, where it is "not logged"."""
        if session.status in (DONE, MISSED):
            return session.status
        if today is not None and self.local_date(session) < today:
            return UNLOGGED
        return AHEAD

    def with_marks(self, marks: Mapping[dt.date, str]) -> Plan:
        """The plan with the log's done/missed word applied to the session of each day."""
        if not marks:
            return self
        return replace(self, sessions=tuple(
            s.with_status(marks[day]) if (day := self.local_date(s)) in marks else s
            for s in self.sessions))

    def program_week(self, week: int) -> int:
        """The block week calendar week ``week`` carries (itself unless a replan shifted it)."""
        return self.program_weeks[week - 1] if self.program_weeks else week

    @property
    def calendar_name(self) -> str:
        """The calendar's display name, the same for every revision: a replan changes only the
        events that changed (a subscribed calendar's name change rewrote every item)."""
        return f"periodize · {self.name}"

    @property
    def revision_calendar_name(self) -> str:
        """The name of a calendar made for this revision alone (Google's file import, where
        each revision goes into a new calendar, ``ics.revision_uid``)."""
        return f"{self.calendar_name} · rev {self.revision}"

    def content(self) -> tuple[object, ...]:
        """What the plan says, without its revision, creation time, SEQUENCEs and DTSTAMPs: two
        plans with equal content are the same plan."""
        return (self.plan_id, self.name, self.timezone, self.start, self.weeks, self.level,
                tuple(self.program_week(w) for w in range(1, self.weeks + 1)),
                tuple(s.content() for s in self.sessions), tuple(t.content() for t in self.checks))

    def checks_of(self, kind: str) -> tuple[Session, ...]:
        """The checks of one type (``BASELINE`` or ``PSFS``)."""
        return tuple(c for c in self.checks if c.session_type == kind)

    def week_sessions(self, week: int) -> tuple[Session, ...]:
        return tuple(s for s in self.sessions if s.week == week)

    def to_dict(self) -> dict[str, Any]:
        return {"plan": self._head(), "sessions": [_session_dict(s) for s in self.sessions],
                "checks": [_session_dict(t) for t in self.checks]}

    def to_json(self) -> str:
        """``json.dumps(self.to_dict())``, the very same text, made faster for the store: each
        distinct list of exercises is encoded once per process (``_exercises_json``) and put in
        its place in the plan's text, encoded with every session's exercises empty (one call); a
        roster's sessions share a few dozen such lists, and encoding them was most of the cost
        of storing a plan."""
        text = json.dumps({"plan": self._head(),
                           "sessions": [_session_dict(s, []) for s in self.sessions],
                           "checks": [_session_dict(t) for t in self.checks]})
        # '"exercises": [], ' is found only as a session's key: in a text the quotes would be
        # escaped. One per session, in order.
        parts = text.split(_NO_EXERCISES)
        pieces = [parts[0]]
        # a check's exercises are empty too, and its own: its parts are kept as they are
        sessions = (*self.sessions, *(None for _ in self.checks))
        for session, part in zip(sessions, parts[1:], strict=True):
            if session is None:
                pieces += [_NO_EXERCISES, part]
                continue
            pieces += ['"exercises": ', _exercises_json(session.exercises), ", ", part]
        return "".join(pieces)

    def _head(self) -> dict[str, Any]:
        return {
            "id": self.plan_id, "name": self.name, "timezone": self.timezone,
            "start": self.start.isoformat(), "weeks": self.weeks, "level": self.level,
            "revision": self.revision, "created": self.created.isoformat(),
            "calendar_name": self.calendar_name,
            "program_weeks": [self.program_week(w) for w in range(1, self.weeks + 1)],
        }


@dataclass(frozen=True)
class Outline:
    """What ``dropped_sessions`` needs of a revision: its number, when it was made and the UIDs
    of its sessions (the store keeps these beside each plan, so it need not read them all)."""

    revision: int
    created: dt.datetime
    uids: tuple[str, ...]


def outline(plan: Plan) -> Outline:
    return Outline(plan.revision, plan.created, tuple(s.uid for s in plan.sessions))


def dropped_uids(current: Outline, revisions: Sequence[Outline],
                 ) -> dict[str, tuple[int, dt.datetime]]:
    """The UIDs some revision held and ``current`` does not, each with the number of the last
    revision that held it and the creation time of the first revision after that without it."""
    last: dict[str, int] = {}
    gone: dict[str, dt.datetime] = {}
    for revision in [*sorted(revisions, key=lambda r: r.revision), current]:
        held = set(revision.uids)
        for uid in last.keys() - held - gone.keys():
            gone[uid] = revision.created
        for uid in revision.uids:
            last[uid] = revision.revision
            gone.pop(uid, None)
    kept = set(current.uids)
    return {uid: (number, gone[uid]) for uid, number in last.items() if uid not in kept}


def dropped_sessions(current: Plan, revisions: Sequence[Plan],
                     held: Callable[[int], Plan] | None = None,
                     outlines: Sequence[Outline] | None = None) -> tuple[Session, ...]:
    """Sessions that some revision of the plan held and ``current`` does not (a replan or an
    undo took them out), each as last held, with status "dropped", SEQUENCE one above the last
    one written and stamped with the creation time of the first revision without it; in time
    order. A calendar file carries them as CANCELLED: an import never deletes, so a session
    left out of the file would stay in Apple Calendar, Outlook or khal as planned.
    The store passes ``outlines`` of its revisions and ``held(number)`` to read the few
    revisions that last held a dropped session, rather than every revision."""
    by_number = {r.revision: r for r in revisions}
    read = held if held is not None else by_number.__getitem__
    found = dropped_uids(outline(current),
                         outlines if outlines is not None else [outline(r) for r in revisions])
    dropped = []
    for uid, (number, stamp) in found.items():
        s = next(s for s in read(number).sessions if s.uid == uid)
        dropped.append(replace(s, status="dropped", sequence=s.sequence + 1, stamp=stamp))
    return tuple(sorted(dropped, key=lambda s: (s.start, s.uid)))


def counts_done(state: str) -> bool:
    """Whether a session in this state counts as done: logged done, or past with no word."""
    return state in (DONE, UNLOGGED)


def _session_dict(s: Session, exercises: list[Any] | None = None) -> dict[str, Any]:
    """The session as ``to_dict`` writes it (with ``exercises`` in place of its own, if given)."""
    return {
        "uid": s.uid, "start": s.start.isoformat(), "end": s.end.isoformat(), "week": s.week,
        "program_week": s.program_week, "type": s.session_type, "kinds": list(s.kinds),
        "status": s.status, "sequence": s.sequence, "stamp": s.stamp.isoformat(), "rpe": s.rpe,
        "minutes": s.minutes, "foot_contacts": s.foot_contacts,
        "exercises": [_dose_dict(d) for d in s.exercises] if exercises is None else exercises,
        "notes": list(s.notes),
    }


def _dose_dict(d: Dose) -> dict[str, Any]:
    return {"name": d.name, "kind": d.kind, "sets": d.sets, "reps": d.reps,
            "hold_seconds": d.hold_seconds, "foot_contacts": d.foot_contacts, "level": d.level,
            "cue": d.cue, "per_side": d.per_side, "work_seconds": d.work_seconds,
            "rest_seconds": d.rest_seconds}


_NO_EXERCISES = '"exercises": [], '


def _exercises_json(exercises: tuple[Dose, ...]) -> str:
    """A session's exercises as ``Plan.to_json`` writes them (remembered: see there; by the
    tuple's identity, as hashing a dozen Doses by content cost more than the lookup saved)."""
    return _EXERCISES_JSON.get(exercises, None,
                               lambda: json.dumps([_dose_dict(d) for d in exercises]))


_EXERCISES_JSON: IdentityMemo[str] = IdentityMemo()
_FOOT_CONTACTS: IdentityMemo[int] = IdentityMemo()


def plan_from_dict(data: dict[str, Any]) -> Plan:
    """The inverse of ``Plan.to_dict`` (times come back in the plan's zone)."""
    head = data["plan"]
    tz = ZoneInfo(head["timezone"])
    return Plan(plan_id=head["id"], name=head["name"], timezone=head["timezone"],
                start=dt.date.fromisoformat(head["start"]), weeks=head["weeks"],
                level=head["level"], revision=head["revision"],
                created=dt.datetime.fromisoformat(head["created"]),
                sessions=_sessions(data["sessions"], tz),
                program_weeks=tuple(head.get("program_weeks", ())),
                checks=_sessions(data.get("checks", ()), tz))


def _sessions(items: Sequence[dict[str, Any]], tz: ZoneInfo) -> tuple[Session, ...]:
    return tuple(
        Session(
            uid=s["uid"], start=dt.datetime.fromisoformat(s["start"]).astimezone(tz),
            end=dt.datetime.fromisoformat(s["end"]).astimezone(tz), week=s["week"],
            program_week=s["program_week"], session_type=s["type"], kinds=tuple(s["kinds"]),
            status=s["status"], sequence=s["sequence"],
            stamp=dt.datetime.fromisoformat(s["stamp"]), rpe=s["rpe"],
            exercises=tuple(Dose(**e) for e in s["exercises"]),
            notes=tuple(s.get("notes", ())),
        )
        for s in items
    )
