"""profile -> slots -> demands -> model -> solution -> dosed sessions -> validated plan."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from catalog import Catalog
from planner.availability import Candidate, candidates
from planner.errors import NoPlanPossible
from planner.model import W_HABIT, Key, ModelInput
from planner.plan import Plan, Session
from planner.profile import Profile
from planner.program import (
    TYPES,
    Demand,
    WeekLoad,
    contact_caps,
    demand,
    session_doses,
    session_minutes,
    strength_caps,
    week_rpe,
)
from planner.solve import Progress, SolveStats, solve
from planner.validate import check_plan

if TYPE_CHECKING:
    from planner.busy import BusyInterval

NAMESPACE = uuid.UUID("6f1c8f0e-52a4-5d2b-9a57-2f1d3c0b7e11")   # periodize plans


def plan_id_for(profile: Profile) -> str:
    """The plan's identity: who (name), where (time zone) and from when (start). Not the paths
    of busy calendars or the windows: the same athlete regenerating in another folder, or with
    an edited week, keeps the same UIDs, so a re-import updates rather than duplicates."""
    identity = json.dumps([profile.name, profile.timezone, profile.start.isoformat()],
                          ensure_ascii=False)
    return str(uuid.uuid5(NAMESPACE, identity))


def session_uid(plan_id: str, week: int, ordinal: int) -> str:
    """The stable UID of the ``ordinal``-th session ever placed in calendar week ``week``."""
    return f"{uuid.uuid5(uuid.UUID(plan_id), f'week-{week}/session-{ordinal}')}@periodize"


def durations(catalog: Catalog, profile: Profile, program_weeks: int | None = None,
              ) -> dict[str, int]:
    """Minutes of each session type: the largest dose the plan's program weeks prescribe."""
    weeks = range(1, (program_weeks or profile.weeks) + 1)
    return {t: session_minutes(catalog, profile.level, t, profile.warmup, weeks,
                               profile.equipment) for t in TYPES}


def dosed_session(catalog: Catalog, profile: Profile, c: Candidate, program_week: int, uid: str,
                  stamp: dt.datetime, contacts_cap: int | None = None, sequence: int = 0,
                  status: str = "planned", strength_cap: int | None = None) -> Session:
    """A chosen slot with the exercises of its program week."""
    return Session(uid=uid, start=c.start, end=c.end, week=c.week, program_week=program_week,
                   session_type=c.type_key, kinds=TYPES[c.type_key].kinds, status=status,
                   sequence=sequence, stamp=stamp, rpe=week_rpe(catalog, program_week, c.type_key),
                   exercises=session_doses(catalog, profile.level, program_week, c.type_key,
                                           profile.warmup, contacts_cap, strength_cap,
                                           profile.equipment))


def load_caps(catalog: Catalog, profile: Profile, chosen: Sequence[Candidate],
              program_weeks: Sequence[int], done: Sequence[tuple[int, int]] = (),
              ) -> tuple[dict[int, int], dict[int, int]]:
    """Per-session (contacts, strength volume) caps for the chosen sessions under the rolling
    workload rule; ``done`` gives each earlier or current week's (contacts, strength volume)
    already done, by calendar week - 1."""
    def loads(kind: str, which: int) -> list[WeekLoad]:
        return [WeekLoad(w, program_weeks[w - 1],
                         sum(kind in TYPES[c.type_key].kinds for c in chosen if c.week == w),
                         done[w - 1][which] if w <= len(done) else 0)
                for w in range(1, len(program_weeks) + 1)]

    return (contact_caps(catalog, profile.level, loads("plyometrics", 0), profile.equipment),
            strength_caps(catalog, profile.level, loads("strength", 1), profile.equipment))


def verify(plan: Plan, profile: Profile, busy: Sequence[BusyInterval],
           history_before: dt.datetime | None = None,
           short_weeks: frozenset[int] = frozenset()) -> Plan:
    """Refuse to hand out a plan the independent validator rejects (a bug, not a user error)."""
    problems = check_plan(plan, profile, busy, history_before, short_weeks)
    if problems:
        raise RuntimeError("internal error: the solver's plan breaks a hard rule: " + problems[0])
    return plan


def typical_week(profile: Profile, minutes: dict[str, int], demands: Sequence[Demand],
                 ) -> frozenset[Key]:
    """Stage one: the week the athlete will get used to, solved on the bare windows (no busy
    time) as a cycle, for the busiest week's targets. Empty when even that cannot be placed: the
    full model then explains why."""
    days = range(7)
    busiest = Demand(1, 1, max((d.plyo for d in demands), key=lambda t: t[2]),
                     max((d.strength for d in demands), key=lambda t: t[2]))
    data = ModelInput(start=profile.start, candidates=candidates(profile, minutes, (), days),
                      durations=minutes, demands=[busiest], cyclic=True, spread=True)
    try:
        chosen, _ = solve(data, explain=False)
    except NoPlanPossible:
        return frozenset()
    return frozenset((c.day, c.minute, c.type_key) for c in chosen)


def habit_reference(week_pattern: frozenset[Key], weeks: int) -> frozenset[Key]:
    """The typical week repeated over the block: stage two pays for each deviation."""
    return frozenset((7 * w + day, minute, t) for w in range(weeks)
                     for day, minute, t in week_pattern)


def build_plan(profile: Profile, catalog: Catalog, busy: Sequence[BusyInterval],
               now: dt.datetime, progress: Progress | None = None) -> tuple[Plan, SolveStats]:
    """Solve a fresh plan for the profile. ``now`` (UTC) stamps it; nothing here reads a clock."""
    plan_id = plan_id_for(profile)
    minutes = durations(catalog, profile)
    demands = [demand(catalog, w, w, profile.plyo_range, profile.strength_range)
               for w in range(1, profile.weeks + 1)]
    pattern = typical_week(profile, minutes, demands)
    data = ModelInput(start=profile.start, candidates=candidates(profile, minutes, busy),
                      durations=minutes, demands=demands,
                      reference=habit_reference(pattern, profile.weeks),
                      change_weights=dict.fromkeys(range(1, profile.weeks + 1), W_HABIT))
    chosen, stats = solve(data, progress=progress)
    contacts, strength = load_caps(catalog, profile, chosen, range(1, profile.weeks + 1))
    ordinal: dict[int, int] = {}
    sessions = []
    for c in chosen:
        ordinal[c.week] = ordinal.get(c.week, 0) + 1
        sessions.append(dosed_session(catalog, profile, c, c.week,
                                      session_uid(plan_id, c.week, ordinal[c.week]), now,
                                      contacts.get(c.week), strength_cap=strength.get(c.week)))
    plan = Plan(plan_id=plan_id, name=profile.name, timezone=profile.timezone,
                start=profile.start, weeks=profile.weeks, level=profile.level, revision=1,
                created=now, sessions=tuple(sessions),
                program_weeks=tuple(range(1, profile.weeks + 1)))
    return verify(plan, profile, busy), stats
