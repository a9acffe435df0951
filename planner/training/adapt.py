"""Listening to the athlete: the log re-doses the forecast.

The plan that generate and replan make is a forecast: every strength level and jump volume as the
template would have them if every session went as prescribed. This stage walks the sessions in
time order with what the athlete logged (``done --rpe --pain --not-met``, ``pain``, ``screen``)
and returns the plan re-dosed, each change explained in words on the session it changes. It never
moves a session: only doses (and, when jumps pause, the session's type) change.

- Strength, per exercise: the level rises one step at a time, and only after its rule was met in
  two sessions in a row at the current level. Silence is not success: a session on or before
  ``as_of`` without a log is "not logged" and neither counts nor breaks the run (unless the
  profile says ``progress_without_logs = true``, the user's choice of calendar progression);
  only sessions after ``as_of`` (all of them when it is None) are a forecast that assumes every
  rule met. After ``UNLOGGED_ASK`` past sessions in a row without a log, every later session
  asks for the log in one line. A missed session neither counts nor breaks the run.
  Rehab first (not cleared to jump): strength starts at the regression (level 0) whatever the
  declared level, and stays below the first loaded level until a passed screen. When the
  template asks for a lower level (a deload or a new cycle), the level follows it down.
- Pain (Thomeé 1997; Silbernagel 2007; thresholds in ``catalog/monitoring.toml``): pain during a
  session above the limit, a morning-after score above its limit or a rise of ``morning_rise``
  over the previous morning eases the next sessions: each strength exercise one level back, the
  next jump session's contacts cut by about a third, and jump volume held there until
  ``within_limits_to_raise`` sessions went by within the limits. Pain at ``stop_at`` or more:
  jumps pause, every strength exercise goes back to its lowest level (the regression), no
  strength level rises and every following session carries the red flag, until a readiness
  screen passed on a day whose morning pain was logged at most ``screen_morning_max`` and at
  least ``screen_after_hours`` after the last such score (``screen_refusal``; judgement call).
- Jump volume rises (over the last jump session) only when no session logged in the 7 days
  before was above the pain limit or more than ``rpe_margin`` above its target effort.
- The workload rule holds in the re-dosed plan as in the template (``planner.training.workload``,
through
  ``dosing.session_cap``): each week's jump contacts and strength volume, as re-dosed, stay
  within 1.3 x the average of the four weeks before (the level's starting base before the
  plan). Coming back after a cut or a pause, volume climbs by that rule. Judgement call: a
  session logged missed counts here as prescribed until a replan (re-dosing changes doses,
  never the schedule); what missed work does to the average is ``replan``'s, which counts only
  what was done, marks the session missed in the plan (then left out here) and may add a
  make-up.
  The same exception as the template: a session never drops below one set of the first warm-up
  drill or one set of each strength exercise. A jump block that (re)starts after a passed
  readiness screen counts the weeks before it at the starting base, as a new plan does.
- Every re-dosed exercise goes through the dosing functions with the profile's equipment, so a
  re-dosed session never prescribes equipment the athlete lacks (the catalogue's substitute).
- Not cleared to jump (a profile saying so): the jump sessions hold mobility and stretching (a
  combined one keeps its strength) until a passed screen; then the jump block starts at its first
  week. Judgement call: a passed screen after a red flag restarts the block the same way.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from catalog import Catalog, Exercise
from catalog.monitoring import Monitoring
from planner.store.plan import MISSED, Dose, Plan, Session
from planner.store.profile import Profile
from planner.training.dosing import (
    fit_strength,
    paused_session,
    plyo_doses,
    session_cap,
    strength_dose,
    strength_volume,
)
from planner.training.program import session_contacts

if TYPE_CHECKING:
    from planner.store.database import AthleteLog, LogEntry

#: After this many past sessions in a row without a log, later sessions ask for the log.
UNLOGGED_ASK = 2
UNLOGGED_TEXT = ("{n} past sessions have no log: levels hold at the last logged ones; log them "
                 "with `periodize done DATE --rpe N --pain N` (or `missed DATE`)")
NOT_CLEARED_STRENGTH = "rehab first: strength starts at the regression"
#: How the note of a session whose jumps are paused begins (the physio's view looks for it).
PAUSED = "jumps paused"
NOT_CLEARED = ("not yet cleared to jump: record a passed readiness screen "
               "(`periodize screen DATE --passed`)")


def unloaded_top(exercise: Exercise) -> int:
    """The highest level of an exercise before its first loaded one (a level whose load step
    is above the regression's): what a rehab-first athlete may reach before a passed screen."""
    top = exercise.levels[0].level
    for lvl in exercise.levels[1:]:
        if lvl.steps[1] > exercise.levels[0].steps[1]:
            break
        top = lvl.level
    return top


def screen_refusal(rules: Monitoring, log: AthleteLog, day: dt.date) -> str | None:
    """Why a readiness screen passed on ``day`` cannot clear the athlete (None: it can): the
    morning pain of that day must be logged at no more than ``screen_morning_max`` when there
    was a score at ``stop_at`` or more before it (and, logged, never above it), and the day at
    least ``screen_after_hours`` after the day of that score. A judgement call (monitoring.toml)."""
    severe = [e.day for e in log.sessions
              if e.status == "done" and e.pain is not None and e.pain >= rules.stop_at
              and e.day <= day]
    severe += [d for d, pain in log.mornings if pain >= rules.stop_at and d <= day]
    morning = dict(log.mornings).get(day)
    limit = rules.screen_morning_max
    if morning is not None and morning > limit:
        return (f"for a passed screen, a day whose morning pain is at most {limit}/10 (the "
                f"morning of {day} was logged at {morning}/10)")
    if severe:
        last = max(severe)
        ready = last + dt.timedelta(hours=rules.screen_after_hours)
        if day < ready:
            return (f"for a passed screen, a day from {ready} on, {rules.screen_after_hours} h "
                    f"after the pain of {rules.stop_at}/10 or more on {last}")
        if morning is None:
            return (f"for a passed screen, a day whose morning pain was logged at most "
                    f"{limit}/10 (after a red flag; log it first: periodize pain {day} N)")
    return None


def _when(day: dt.date) -> str:
    return f"{day:%a %-d %b}"


@dataclass
class _State:
    """Where the athlete is, walking forward through the sessions."""

    levels: dict[str, int] = field(default_factory=dict)
    streak: dict[str, int] = field(default_factory=dict)       # met in a row at the level
    restarted: dict[str, str] = field(default_factory=dict)    # why the run last began at 0
    ease: dict[str, str] = field(default_factory=dict)         # exercise -> why (next session)
    reset: dict[str, str] = field(default_factory=dict)        # exercise -> why (back to 1)
    cut: str | None = None              # the next jump session is cut, and why
    hold_why: str = ""                  # why jump volume is held after a cut
    need_within: int = 0                # sessions within the limits before jumps rise again
    stopped: str | None = None          # red flag: why jumps are paused
    cleared: bool = True
    restart: bool = False               # the next jump session starts the block afresh
    restart_week: int | None = None
    last_contacts: int | None = None    # of the last jump session dosed
    recent: list[tuple[dt.date, str]] = field(default_factory=list)   # logged over a limit
    morning: int | None = None          # the previous morning-after score
    # week -> (contacts, strength volume) as re-dosed, missed sessions left out
    volume: dict[int, tuple[int, int]] = field(default_factory=dict)
    jump_origin: int = 1                # the week the jump block (re)started
    unlogged: int = 0                   # past sessions in a row without a log

    def past(self, week: int, which: int) -> list[int]:
        """The weeks before ``week`` as dosed (``which``: 0 contacts, 1 strength volume), from
        the plan's first week; jump contacts from the week the jump block last (re)started."""
        return [self.volume.get(w, (0, 0))[which]
                for w in range(self.jump_origin if which == 0 else 1, week)]


@dataclass(frozen=True)
class _Room:
    """What the workload rule needs to cap one session: how many sessions of each kind are left
    to dose in its week (this one included)."""

    jumps: int
    strength: int


def _trigger_ease(state: _State, rules: Monitoring, ids: Sequence[str], why: str) -> None:
    for exercise_id in ids:
        state.ease.setdefault(exercise_id, why)
    state.cut = state.cut or why
    state.hold_why = why
    state.need_within = rules.within_limits_to_raise


def _trigger_stop(state: _State, rules: Monitoring, ids: Sequence[str], why: str) -> None:
    for exercise_id in ids:
        state.reset[exercise_id] = why
    state.stopped = state.stopped or why
    state.need_within = rules.within_limits_to_raise
    state.hold_why = why


def _morning(state: _State, rules: Monitoring, ids: Sequence[str], day: dt.date,
             pain: int) -> None:
    before, state.morning = state.morning, pain
    if pain >= rules.stop_at:
        _trigger_stop(state, rules, ids, f"pain {pain}/10 on the morning of {_when(day)}")
    elif pain > rules.morning_limit:
        _trigger_ease(state, rules, ids, f"pain {pain}/10 on the morning of {_when(day)}")
    elif before is not None and pain >= before + rules.morning_rise:
        _trigger_ease(state, rules, ids,
                      f"morning pain up from {before} to {pain}/10 on {_when(day)}")
    if pain > rules.morning_limit:
        state.recent.append((day, f"pain {pain}/10 on the morning of {_when(day)}"))


def _strength(catalog: Catalog, profile: Profile, state: _State, s: Session, doses: list[Dose],
              out: list[str], room: _Room) -> list[Dose]:
    notes: list[str] = []
    for i, dose in enumerate(doses):
        exercise = catalog.of_dose(dose.name) if dose.kind == "strength" else None
        if exercise is None:
            continue
        key, planned = exercise.id, dose.level
        name = exercise.name.lower()
        lowest = exercise.levels[0].level
        ceiling = planned if state.cleared else min(planned, unloaded_top(exercise))
        if key not in state.levels and not state.cleared:
            # Rehab first: strength starts at the regression whatever the declared level.
            state.levels[key], state.restarted[key] = lowest, NOT_CLEARED_STRENGTH
        level = state.levels.get(key, planned)
        if key in state.reset:     # a red flag: back to the regression (the lowest level)
            level, state.streak[key] = lowest, 0
            state.restarted[key] = state.reset[key]
            if planned != lowest:
                notes.append(f"{name} back to level {lowest} ({state.reset[key]})")
        elif key in state.ease:
            # One level back, down to the exercise's regression (level 0) at the lowest.
            level, state.streak[key] = max(exercise.levels[0].level, level - 1), 0
            state.restarted[key] = state.ease[key]
            if level != planned:
                notes.append(f"{name} eased to level {level} ({state.ease[key]})")
        elif state.stopped and planned > level:
            notes.append(f"{name} stays at level {level} (no level rises while the red flag "
                         "stands)")
        elif ceiling > level:
            if state.streak.get(key, 0) >= 2:
                level, state.streak[key] = level + 1, 0
                if level < planned:
                    notes.append(f"{name} up to level {level}, below the plan's {planned} "
                                 "(one level at a time)")
            elif state.streak.get(key, 0) == 0 and key in state.restarted:
                notes.append(f"{name} stays at level {level} ({state.restarted[key]})")
            else:
                notes.append(f"{name} stays at level {level} (rule met once so far; twice in "
                             "a row moves it up)")
        elif ceiling < level:
            level = ceiling
        if not state.cleared and planned > level and level == ceiling:
            notes.append(f"{name} stays at level {level} (no loaded level before a passed "
                         "readiness screen)")
        state.reset.pop(key, None)
        state.ease.pop(key, None)
        state.levels[key] = level
        if level != planned:
            doses[i] = strength_dose(catalog, exercise, level, s.program_week, profile.equipment)
    # "step down, split squat stays at level 1 (...)": one line per reason, not per exercise.
    grouped: dict[str, list[str]] = {}
    names = {e.name.lower() for e in catalog.of_kind("strength")}
    for note in notes:
        name = next(n for n in names if note.startswith(n + " "))
        grouped.setdefault(note[len(name) + 1:], []).append(name)
    out += [f"{', '.join(who)} {what.replace('stays ', 'stay ') if len(who) > 1 else what}"
            for what, who in grouped.items()]
    if not room.strength:
        return doses
    cap = session_cap(catalog, profile.level, "strength", state.past(s.week, 1),
                      state.volume.get(s.week, (0, 0))[1], room.strength,
                      lambda c: strength_volume(fit_strength(doses, c)))
    if cap is not None and strength_volume(doses) > cap:
        doses = fit_strength(doses, cap)
        out.append(f"strength cut to {strength_volume(doses)} reps by the workload rule (at most "
                   "1.3 times the average of the four weeks before)")
    return doses


def _jumps(catalog: Catalog, profile: Profile, plan_level: str, rules: Monitoring,
           state: _State, s: Session, day: dt.date, doses: list[Dose], notes: list[str],
           room: _Room) -> list[Dose]:
    forecast = sum(d.foot_contacts or 0 for d in doses)
    program_week = s.program_week
    restarting = state.restart
    if state.restart or state.restart_week is not None:
        if state.restart_week is None or state.restart:
            # Judgement call: a block that (re)starts after a passed readiness screen starts at
            # its first week, the stated starting base, as a new plan does; the weeks of the
            # pause are not held against it (else it could never climb off one set of hops).
            state.restart, state.restart_week, state.jump_origin = False, s.week, s.week
        program_week = max(1, s.week - state.restart_week + 1)
    planned = (forecast if program_week == s.program_week
               else min(forecast, session_contacts(catalog, plan_level, program_week)))
    contacts, why = planned, ""
    last = state.last_contacts
    if state.cut is not None:
        contacts = int(min(planned, last if last is not None else planned)
                       * (1 - rules.cut_fraction))
        why = f"jumps cut to {{n}} contacts ({state.cut})"
        state.cut = None
    elif state.need_within > 0 and last is not None and planned > last:
        contacts = last
        why = (f"jumps held at {last} contacts ({state.hold_why}; they rise after "
               f"{state.need_within} more session{'s' if state.need_within > 1 else ''} "
               "within the limits)")
    elif last is not None and planned > last:
        bad = [words for when, words in state.recent if day - when <= dt.timedelta(days=7)]
        if bad:
            contacts, why = last, f"jumps held at {last} contacts ({bad[-1]})"
    if restarting and last is not None and contacts > last:
        contacts, why = last, "jumps restart at {n} contacts, no more than before the pause"

    def dosed(cap: int | None) -> int:
        wanted = contacts if cap is None else min(contacts, cap)
        return sum(d.foot_contacts or 0 for d in plyo_doses(
            catalog, plan_level, program_week, wanted, profile.equipment))

    cap = None if not room.jumps else session_cap(
        catalog, plan_level, "contacts", state.past(s.week, 0),
        state.volume.get(s.week, (0, 0))[0], room.jumps, dosed)
    if cap is not None and cap < contacts:
        contacts = cap
        why = (f"jumps at {{n}} of the plan's {planned} contacts by the workload rule (at most "
               "1.3 times the average of the four weeks before)")
    new = doses
    if contacts < forecast or program_week != s.program_week:
        fresh = plyo_doses(catalog, plan_level, program_week, contacts, profile.equipment)
        new = [d for d in doses if d.kind != "plyometrics"]
        at = next((i for i, d in enumerate(doses) if d.kind == "plyometrics"), len(new))
        new[at:at] = fresh
        if program_week != s.program_week and not why:
            why = f"jump block week {program_week} (cleared to jump)"
    done = sum(d.foot_contacts or 0 for d in new)
    if why:
        notes.append(why.replace("{n}", str(done)))
    state.last_contacts = done
    return new


def _after(rules: Monitoring, state: _State, s: Session, day: dt.date, entry: LogEntry | None,
           ids: Sequence[str], forecast: bool) -> None:
    """What the log says about a session done. Unlogged: in the forecast (after ``as_of``, or
    by the user's choice) as prescribed with every rule met; in the past, "not logged": it
    neither advances nor regresses anything."""
    if entry is None and not forecast:
        state.unlogged += 1
        return
    if entry is not None:
        state.unlogged = 0
    for key in (ids if "strength" in s.kinds else ()):
        if entry is not None and key in entry.not_met:
            state.streak[key], state.restarted[key] = 0, f"rule not met on {_when(day)}"
        else:
            state.streak[key] = state.streak.get(key, 0) + 1
    pain = entry.pain if entry is not None else None
    within = pain is None or pain <= rules.during_limit
    if within and state.need_within > 0:
        state.need_within -= 1
    if pain is not None and pain >= rules.stop_at:
        _trigger_stop(state, rules, ids, f"pain {pain}/10 on {_when(day)}")
    elif pain is not None and pain > rules.during_limit:
        _trigger_ease(state, rules, ids, f"pain {pain}/10 on {_when(day)}")
    if not within:
        state.recent.append((day, f"pain {pain}/10 on {_when(day)}"))
    if entry is not None and entry.rpe is not None and entry.rpe > s.rpe + rules.rpe_margin:
        state.recent.append((day, f"effort {entry.rpe}/10 on {_when(day)}, target {s.rpe}"))


def adapt(forecast: Plan, profile: Profile, catalog: Catalog, rules: Monitoring,
          log: AthleteLog, as_of: dt.date | None = None) -> tuple[Plan, frozenset[int]]:
    """The forecast re-dosed by the log as of the day ``as_of`` (None: every unlogged session
    is forecast), and the weeks left short of jumps by a pause."""
    tz = profile.tz
    ids = [e.id for e in catalog.of_kind("strength")]
    entries = {e.day: e for e in log.sessions}
    state = _State(cleared=profile.cleared_to_jump)
    # A morning check comes before that day's session; a screen after it.
    timeline: list[tuple[dt.date, int, object]] = [
        *((day, 0, pain) for day, pain in log.mornings),
        *((s.start.astimezone(tz).date(), 1, s) for s in forecast.sessions),
        *((day, 2, passed) for day, passed in log.screens)]
    timeline.sort(key=lambda item: (item[0], item[1]))
    sessions: list[Session] = []
    short: set[int] = set()
    left: dict[tuple[int, str], int] = {}      # (week, kind) -> sessions not yet dosed
    for s in forecast.sessions:
        for kind in s.kinds if s.status != MISSED else ():
            left[s.week, kind] = left.get((s.week, kind), 0) + 1
    for day, order, item in timeline:
        if order == 0:
            assert isinstance(item, int)
            _morning(state, rules, ids, day, item)
            continue
        if order == 2:
            if item and (state.stopped or not state.cleared) and not screen_refusal(
                    rules, log, day):
                # The block restarts at its first week, never above the last jump session.
                state.stopped, state.cleared, state.restart = None, True, True
                state.need_within = 0
            continue
        assert isinstance(item, Session)
        s = item
        entry = entries.get(day)
        live = state
        if entry is not None and entry.status == "missed":   # dosed, but it teaches nothing
            state = copy.deepcopy(state)
        notes: list[str] = []
        if state.stopped:
            notes.append(rules.red_flag)
        if "plyometrics" in s.kinds and (state.stopped or not state.cleared):
            notes.append(f"{PAUSED} ({state.stopped or NOT_CLEARED})")
            s = paused_session(catalog, profile, forecast.level, s)
            short.add(s.week)
        room = _Room(0, 0)               # a session the plan marks missed is not capped
        if s.status != MISSED:
            room = _Room(left[s.week, "plyometrics"] if "plyometrics" in s.kinds else 0,
                         left[s.week, "strength"] if "strength" in s.kinds else 0)
            for kind in item.kinds:
                left[s.week, kind] -= 1
        doses = _strength(catalog, profile, state, s, list(s.exercises), notes, room)
        if "plyometrics" in s.kinds:
            doses = _jumps(catalog, profile, forecast.level, rules, state, s, day, doses, notes,
                           room)
        live.jump_origin = state.jump_origin    # a restart dosed, even in a missed session
        if state.unlogged >= UNLOGGED_ASK and (as_of is None or day > as_of):
            notes.append(UNLOGGED_TEXT.format(n=state.unlogged))
        if state is live:
            _after(rules, state, s, day, entry, ids,
                   as_of is None or day > as_of or profile.progress_without_logs)
        if s.status != MISSED:
            contacts, lifted = live.volume.get(s.week, (0, 0))
            live.volume[s.week] = (contacts + sum(d.foot_contacts or 0 for d in doses),
                                   lifted + strength_volume(doses))
        state = live
        sessions.append(dataclasses.replace(s, exercises=tuple(doses), notes=tuple(notes)))
    return dataclasses.replace(forecast, sessions=tuple(sessions)), frozenset(short)


def _content(s: Session) -> tuple[object, ...]:
    return (s.start, s.end, s.session_type, s.exercises, s.notes, s.rpe)


def restamp(new: Plan, previous: Plan, now: dt.datetime) -> Plan:
    """Sessions whose content differs from the previous revision get SEQUENCE + 1 and ``now``;
    unchanged ones keep the previous revision's SEQUENCE and stamp."""
    old = {s.uid: s for s in previous.sessions}
    sessions = []
    for s in new.sessions:
        before = old.get(s.uid)
        if before is None:
            sessions.append(s)
        elif _content(before) == _content(s):     # a status the caller already stamped stays
            sessions.append(s if s.sequence > before.sequence else dataclasses.replace(
                s, sequence=before.sequence, stamp=before.stamp))
        else:
            sessions.append(dataclasses.replace(
                s, sequence=max(before.sequence + 1, s.sequence), stamp=now))
    return dataclasses.replace(new, sessions=tuple(sessions))


def changes(previous: Plan, new: Plan) -> list[str]:
    """What re-dosing changed, in words, each from the first session it changes."""
    tz = ZoneInfo(new.timezone)
    old = {s.uid: s for s in previous.sessions}
    seen: dict[str, dt.date] = {}
    back: list[Session] = []
    for s in new.sessions:
        before = old.get(s.uid)
        if before is None or _content(before) == _content(s):
            continue
        for note in s.notes:
            seen.setdefault(note, s.start.astimezone(tz).date())
        if not s.notes:
            back.append(s)
    lines = [f"from {_when(day)}: {note}" for note, day in seen.items()]
    lines += [f"{_when(s.start.astimezone(tz).date())}: back to the plan's doses" for s in back]
    return lines


def adapted(forecast: Plan, profile: Profile, catalog: Catalog, rules: Monitoring,
            log: AthleteLog, as_of: dt.date | None = None) -> Plan:
    """``adapt`` as of the day ``as_of`` (sessions on or before it without a log are "not
    logged"; None: all of them forecast), refusing a result that breaks a hard rule the
    forecast kept (a bug, not a user error): re-dosing changes doses and shortens paused
    sessions, never moves one."""
    from planner.training.limits import apply_limits
    from planner.training.validate import check_plan

    if (not (log.sessions or log.mornings or log.screens) and profile.cleared_to_jump
            and (as_of is None or profile.progress_without_logs
                 or not any(s.start.astimezone(profile.tz).date() <= as_of
                            for s in forecast.sessions))):
        # Nothing logged: every session counts as done as prescribed, which is the forecast
        # (``tests/test_program_properties.py`` holds ``adapt`` to that). A roster's first plans
        # all come here; re-dosing them to the same doses was a tenth of their cost.
        return apply_limits(forecast, profile, catalog)
    new, short = adapt(forecast, profile, catalog, rules, log, as_of)
    new = apply_limits(new, profile, catalog)       # a physio's limits cap what is re-dosed
    broken = (set(check_plan(new, profile, short_weeks=short))
              - set(check_plan(forecast, profile, short_weeks=short)))
    if broken:
        raise RuntimeError("internal error: re-dosing breaks a hard rule: " + sorted(broken)[0])
    return new
