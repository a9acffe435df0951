"""profile -> slots -> demands -> model -> solution -> dosed sessions -> validated plan, and
the one way a single athlete is planned, stored and written (``generate`` and ``batch``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from catalog import Catalog
from planner.errors import NoPlanPossible, StoreError
from planner.scheduling.availability import candidates, slots
from planner.scheduling.checks import plan_checks
from planner.scheduling.model import W_HABIT, Key, ModelInput
from planner.scheduling.pruning import prune
from planner.scheduling.solve import Progress, SolveStats, solve
from planner.store.plan import Plan, Session, plan_identity, session_uid
from planner.store.profile import Profile
from planner.training.dosing import dosed_session, durations, load_caps
from planner.training.limits import apply_limits
from planner.training.program import Demand, demand
from planner.training.validate import verify

if TYPE_CHECKING:
    from planner.calendars.busy import BusyInterval
    from planner.calendars.export.log_links import LogLinks
    from planner.store.database import Store


def plan_id_for(profile: Profile) -> str:
    """The plan's identity (see ``planner.store.plan.plan_identity``)."""
    return plan_identity(profile.name, profile.timezone, profile.start)


def typical_week(profile: Profile, minutes: dict[str, int], demands: Sequence[Demand],
                 ) -> frozenset[Key]:
    """Stage one: the week the athlete will get used to, solved on the bare windows (no busy
    time) as a cycle, for the busiest week's targets. Empty when even that cannot be placed: the
    full model then explains why.

    Its candidates are not pruned (``planner.scheduling.pruning``): the week is small (7 days), and
    among
    equally good typical weeks the one the solver picks depends on the model's shape, so pruning
    here would change plans that need not change (a judgement call).

    Remembered per week shape (``week_shape``): athletes with the same windows get the same
    model, so the same week, without solving it again (a roster shares many)."""
    busiest = Demand(1, 1, max((d.plyo for d in demands), key=lambda t: t[2]),
                     max((d.strength for d in demands), key=lambda t: t[2]))
    key = (week_shape(profile), tuple(minutes.items()), busiest, profile.strength_day_after_jumps)
    if key not in _TYPICAL_WEEKS:
        if len(_TYPICAL_WEEKS) >= _TYPICAL_WEEKS_KEPT:
            _TYPICAL_WEEKS.clear()
        week = candidates(profile, minutes, (), range(7))
        data = ModelInput(start=profile.start, candidates=week, durations=minutes,
                          demands=[busiest], cyclic=True, spread=True,
                          strength_day_after_jumps=profile.strength_day_after_jumps)
        try:
            chosen, _ = solve(data, explain=False)
        except NoPlanPossible:
            chosen = []
        _TYPICAL_WEEKS[key] = frozenset((c.day, c.minute, c.type_key) for c in chosen)
    return _TYPICAL_WEEKS[key]


_TYPICAL_WEEKS: dict[tuple[object, ...], frozenset[Key]] = {}
_TYPICAL_WEEKS_KEPT = 4096


def week_shape(profile: Profile) -> tuple[object, ...]:
    """What the typical week's model is made of: the windows of the first seven days and, when
    the clock changes in them, the zone and the dates. Without a change the model sees times
    only as differences (the 48-hour rule), so the zone and the dates do not matter."""
    tz = profile.tz
    days = [profile.start + dt.timedelta(days=d) for d in range(8)]
    offsets = {dt.datetime.combine(day, dt.time(), tz).utcoffset() for day in days}
    clock = () if len(offsets) == 1 else (profile.timezone, profile.start)
    return (tuple(profile.windows_on(day) for day in days[:7]), clock)


def habit_reference(week_pattern: frozenset[Key], weeks: int) -> frozenset[Key]:
    """The typical week repeated over the block: stage two pays for each deviation."""
    return frozenset((7 * w + day, minute, t) for w in range(weeks)
                     for day, minute, t in week_pattern)


def build_plan(profile: Profile, catalog: Catalog, busy: Sequence[BusyInterval],
               now: dt.datetime, progress: Progress | None = None) -> tuple[Plan, SolveStats]:
    """Solve a fresh plan for the profile. ``now`` (UTC) stamps it; nothing here reads a clock.
    When no plan fits with the hip work, the plan without it (``hip_work_left_out`` says so)."""
    try:
        return _build_plan(profile, catalog, busy, now, progress)
    except NoPlanPossible:
        if not profile.hip_work:
            raise
        # Judgement call: hip work [Willy 2019] is added to the knee program, never put before
        # it: windows that cannot hold the longer strength sessions get the plan without it.
        return _build_plan(dataclasses.replace(profile, hip_work=False), catalog, busy, now,
                           progress)


def _build_plan(profile: Profile, catalog: Catalog, busy: Sequence[BusyInterval],
                now: dt.datetime, progress: Progress | None) -> tuple[Plan, SolveStats]:
    plan_id = plan_id_for(profile)
    minutes = durations(catalog, profile)
    demands = [demand(catalog, w, w, profile.plyo_sessions, profile.strength_range)
               for w in range(1, profile.weeks + 1)]
    reference = habit_reference(typical_week(profile, minutes, demands), profile.weeks)
    data = ModelInput(start=profile.start,
                      candidates=prune(slots(profile, minutes, busy), reference),
                      durations=minutes, demands=demands, reference=reference,
                      change_weights=dict.fromkeys(range(1, profile.weeks + 1), W_HABIT),
                      strength_day_after_jumps=profile.strength_day_after_jumps)
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
                program_weeks=tuple(range(1, profile.weeks + 1)),
                checks=plan_checks(profile, sessions, busy, plan_id, now))
    return verify(apply_limits(plan, profile, catalog), profile, busy), stats


def plan_athlete(profile: Profile, catalog: Catalog, db: Path, output: Path | None,
                 now: dt.datetime, note: str, busy: Sequence[Path] = (),
                 progress: Progress | None = None, files: Mapping[Path, bytes] | None = None,
                 ) -> tuple[Plan, SolveStats, bool]:
    """Plan one athlete: read their busy time (and ``busy`` files; ``files`` holds calendar
    files already read, by path), solve, store the plan as a new revision in ``db`` and write
    its calendar to ``output``. ``generate``, ``batch`` and ``batch --cluster`` all plan an
    athlete through here. Returns the stored plan, the solve's figures and whether a new
    revision was made (see ``store_plan``)."""
    from planner.calendars.busy_sources import read_busy
    from planner.store.database import retry_once

    intervals = read_busy(profile, busy, files=files)
    profile = with_stored_limits(profile, db)
    plan, stats = build_plan(profile, catalog, intervals, now, progress)
    if hip_work_left_out(plan, profile, catalog):
        # Stored so, so replans and re-dosing keep to it.
        profile = dataclasses.replace(profile, hip_work=False)
    stored, saved = retry_once(lambda: store_plan(db, plan, profile, catalog, note, output))
    return stored, stats, saved


def with_stored_limits(profile: Profile, db: Path) -> Profile:
    """The profile with the limits a physio set on the athlete's stored plan (the stricter of
    each, with the file's own): only the ``limits`` command lifts one."""
    try:
        if not db.exists():
            return profile
    except OSError:          # a name the system refuses: the store's own opening says so
        return profile
    from planner.store.database import open_store

    with open_store(db) as store:
        if not store.history():
            return profile
        stored = store.current().profile.limits
    if not stored:
        return profile
    return dataclasses.replace(profile, limits=profile.limits.stricter(stored))


def hip_work_left_out(plan: Plan, profile: Profile, catalog: Catalog) -> str | None:
    """A line for the athlete when the profile asked for hip work and the plan holds none
    (its windows could not hold the longer strength sessions), else None."""
    strength = [s for s in plan.sessions if "strength" in s.kinds]
    if not profile.hip_work or not strength or any(
            (found := catalog.of_dose(d.name)) is not None and found.role == "hip"
            for s in strength for d in s.exercises):
        return None
    return ("hip work left out: no plan fits your windows with the longer strength sessions "
            "it needs (the patellofemoral guideline, Willy 2019, pairs hip and knee work; "
            "longer windows bring it back)")


def store_plan(db: Path, plan: Plan, profile: Profile, catalog: Catalog, note: str,
               output: Path | None) -> tuple[Plan, bool]:
    """Save a freshly made plan as the next revision and write its calendar to ``output``;
    when the current revision already is this plan for this profile, change nothing (no new
    revision, no renamed calendar). The calendar is rendered before the save commits, so a
    plan the exporter refuses is never stored. Returns the current plan and whether it is new."""
    from planner.calendars.export.formats import render
    from planner.store.database import AthleteLog, open_store

    calendar: list[bytes] = []
    with open_store(db, create=True) as store:
        expect = store.changes()
        # The forecast re-dosed by what the athlete already logged for this plan (if anything).
        from catalog.monitoring import default_monitoring
        from planner.training.adapt import adapted

        # A store just created (most of a roster) holds no log and no plan: nothing to read,
        # and after the save no other revision whose sessions the calendar must cancel.
        new = store.new
        log = AthleteLog() if new else store.athlete_log(plan.plan_id)
        redosed = adapted(plan, profile, catalog, default_monitoring(), log)
        current = store.current() if not new and store.history() else None
        unchanged = current is not None and (current.plan.content(), current.profile.to_dict()
                                             ) == (redosed.content(), profile.to_dict())
        if current is not None and unchanged:
            plan = current.plan
        else:
            if current is not None:
                refuse_in_progress(store, current.plan, plan)
            plan = store.save(redosed, profile, note,
                              forecast=plan if redosed.sessions != plan.sessions else None,
                              expect=expect,
                              check=lambda final: calendar.append(render(final, "ics")))
        dropped = () if new else store.dropped(plan)
        from planner.calendars.export.log_links import store_links

        links = store_links(store, plan.plan_id, profile)
    if output is not None:
        write_saved_plan(plan, not unchanged, output, dropped,
                         calendar[-1] if calendar and not dropped and links is None else None,
                         links)
    return plan, not unchanged


def refuse_in_progress(store: Store, current: Plan, new: Plan) -> None:
    """``generate`` solves from week 1: on a plan in progress (a log entry, or a session before
    today, ``new.created`` in the plan's zone) that would re-attach or drop what happened, so it
    is refused in one line pointing at ``replan --profile``, which keeps the past. Another
    athlete's plan is left to the store's own refusal (one store, one athlete)."""
    from planner.store.plan import athlete_key

    if athlete_key(current.name) != athlete_key(new.name):
        return
    log = store.athlete_log(current.plan_id)
    entries = len(log.sessions) + len(log.mornings) + len(log.screens)
    today = current.today(new.created)
    past = [s for s in current.sessions if current.local_date(s) < today]
    if not entries and not past:
        return
    held = ([f"{entries} log entr{'y' if entries == 1 else 'ies'}"] if entries else []) + (
        [f"{len(past)} session{'s' if len(past) != 1 else ''} before {today}"] if past else [])
    raise StoreError(f"{store.path}: {current.name}'s plan is in progress ({' and '.join(held)}); "
                     "generate would solve it again from week 1 and lose that; nothing was "
                     "changed; to change the profile run `periodize replan --profile PROFILE` (to "
                     "start over, a new store: --db FILE)")


def write_saved_plan(plan: Plan, saved: bool, output: Path, dropped: Sequence[Session],
                     data: bytes | None, links: LogLinks | None = None) -> None:
    """Write the calendar of ``plan``, which the store holds now (``saved``: as a revision this
    command made). A disk that fills up in between is said with what was kept: the store has
    the new revision, the calendar file is as it was."""
    from planner.calendars.export.formats import write_plan
    from planner.errors import DiskFull

    try:
        write_plan(plan, output, "ics", dropped=dropped, data=data, links=links)
    except DiskFull:
        if not saved:
            raise
        raise DiskFull(f"{output}: the disk is full; the store holds the new plan (revision "
                       f"{plan.revision}) but this calendar file was left as it was; free some "
                       f"space, then run `periodize export -o {output}`") from None
