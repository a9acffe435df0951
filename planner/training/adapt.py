"""Listening to the athlete: the log re-doses the forecast.

The plan that generate and replan make is a forecast: every strength level and jump volume as the
template would have them if every session went as prescribed. This stage walks the sessions in
time order with what the athlete logged (``done --rpe --pain --not-met``, ``pain``, ``screen``)
and returns the plan re-dosed as of a day (``as_of``), each change explained in words on the
session it changes. It never moves a session: only doses (and, when jumps pause, the session's
type) change. Thresholds: ``catalog/monitoring.toml``; jump gates: ``catalog/gates.toml``; each
with its source or "judgement call".

INVARIANTS (each is a hypothesis property in tests/test_safety_properties.py):

1. Monotone. For any log, replacing one score by a worse one (higher pain during, a higher
   morning score, a rule not met instead of met, an effort further above its target) never gives
   any later session a higher strength level, more strength sets, more foot contacts, or jumps
   back sooner. Every trigger is therefore a fixed line (a score at or above a threshold, a
   week's mean above the settled line), never a difference from an earlier score: a rule like
   "2 points above the previous morning" would let a worse earlier morning hide a later rise.
   Red flag: pain at ``stop_at`` (7) or more, during or on a morning, pauses jumps, sends every
   strength exercise to its lowest level (the regression) and no level rises while it stands.
   It clears only by a readiness screen passed on a day whose morning pain was logged at most
   ``screen_morning_max`` and at least ``screen_after_hours`` after the last such score
   (``screen_refusal``, judgement call); the ``screen`` command refuses any other.
2. The pain-monitoring model, whole [Thomeé 1997; Silbernagel 2007]. Pain during above
   ``during_limit`` or a morning above ``morning_limit`` eases the next sessions (each strength
   exercise one level back, the next jump session about a third fewer contacts, then jump volume
   held until ``within_limits_to_raise`` sessions within the limits). A morning above
   ``settled_max`` (not settled) holds every level and the jump volume until a settled morning
   is logged, and the strength rule of the session the day before counts as not met ("no extra
   knee pain the next morning"). A plan week whose logged mornings average
   ``week_mean_rise`` or more above the settled line eases the next sessions. Persistent pain
   (``persistent_days`` mornings at ``persistent_at`` or more within ``persistent_window``
   days) puts the advice to see a physiotherapist or doctor in every later session, and
   recurring cramps (``planner.training.cramps``, [cramp] in ``monitoring.toml``) put the
   advice to see a doctor in every session on a later day than the cramp that made them
   recurring. Effort
   logged more than ``rpe_margin`` above the target, or pain above the limit, in the 7 days
   before holds jump volume.
3. Jumps need the strength to land them. A drill's first appearance in the block and every rise
   in its level, and any rise in a session's foot contacts, need their gate (``gates.toml``:
   e.g. step down and split squat at a stated level, the rule met in their last two logged
   sessions); else the jump session holds its last drills and volume and says why.
4. Real workload. Each week's jump contacts and strength volume, as re-dosed, stay within 1.3 x
   the average of the four weeks before [Gabbett 2016; a conservative heuristic, Impellizzeri
   2021 questions the ratio]; weeks before the plan count at the level's starting base, and
   weeks paused, missed (logged missed) or absent count as what was done: zero. Re-entry
   (judgement call): the first week of jumps after a pause holds at most the re-entry volume,
   half the last full week before the pause (a block that never ran, as for rehab first: the
   level's starting base, as a new plan), each week after it at most 30 % more, and never more
   than the larger of the re-entry volume and 1.3 x the real average. Weeks of zeros alone
   would forbid any return: the re-entry volume is the floor that lets the athlete back, and
   the rule climbs as real weeks replace the zeros in the four-week window. A block that
   restarts after week 1 says how many of its weeks the plan still holds.
5. Silence is not success. A level rises only on logged evidence: a session on or before
   ``as_of`` without a log is "not logged" and neither advances nor regresses anything (unless
   the profile says ``progress_without_logs = true``, the user's choice of calendar
   progression); sessions after ``as_of`` (all, when it is None) are a forecast that assumes
   every rule met. ``done`` without options is a log with every rule met. After
   ``UNLOGGED_ASK`` past sessions in a row without a log, every later session asks for the log
   in one line.
6. Rehab first (not cleared to jump): jump sessions hold mobility and stretching and strength
   starts at its regression (level 0) whatever the declared level, below the first loaded level,
   until a passed screen; then the jump block starts at its first week (judgement call: a
   passed screen after a red flag restarts it the same way).

7. A baseline test (``catalog/baseline.toml``) sets where each knee exercise starts: from its
   day on, an exercise above the level the test gives goes down to it; a test never raises one.
   A worse result never gives a higher level (tests/test_baseline.py).

Strength levels rise one step at a time, only after the rule was met in two sessions in a row at
the current level; when the template asks for a lower level, the level follows it down. A session
never drops below one set of the first warm-up drill or one set of each strength exercise (the
template's exception to the workload rule). Every re-dosed exercise goes through the dosing
functions with the profile's equipment (the catalogue's substitute when an item is missing).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from catalog import Catalog, Exercise
from catalog.gates import Criterion, Gates, default_gates
from catalog.monitoring import Monitoring
from planner.store.plan import MISSED, Dose, Plan, Session
from planner.store.profile import Profile
from planner.training.cramps import recurring
from planner.training.dosing import (
    fit_strength,
    paused_session,
    plyo_doses,
    session_cap,
    starting_base,
    strength_dose,
    strength_volume,
)
from planner.training.program import (
    HOLDING_PHASES,
    drill_level,
    session_contacts,
    template_week,
)
from planner.training.readiness import Readiness, readiness
from planner.training.workload import ACWR_LIMIT, ACWR_WEEKS, session_share

if TYPE_CHECKING:
    from planner.store.database import AthleteLog, LogEntry

#: After this many past sessions in a row without a log, later sessions ask for the log.
UNLOGGED_ASK = 2
UNLOGGED_TEXT = "{n} past sessions not logged, levels held: log them (periodize done DATE)"
NOT_CLEARED_STRENGTH = "rehab first: strength starts at the regression"
#: How the note of a session whose jumps are paused begins (the physio's view looks for it).
PAUSED = "jumps paused"
NOT_CLEARED = ("not yet cleared to jump: record a passed readiness screen "
               "(`periodize screen DATE --passed`)")
#: Re-entry after a pause (judgement call, see invariant 4): the first week back at most this
#: share of the last full week before it, then at most ``ACWR_LIMIT`` times the week before.
REENTRY_SHARE = 0.5


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
    reset: dict[str, str] = field(default_factory=dict)        # exercise -> why (to the lowest)
    # exercise -> (level, rule met) of each session logged (or forecast), for the jump gates
    evidence: dict[str, list[tuple[int, bool]]] = field(default_factory=dict)
    cut: str | None = None              # the next jump session is cut, and why
    hold_why: str = ""                  # why jump volume is held after a cut
    need_within: int = 0                # sessions within the limits before jumps rise again
    stopped: str | None = None          # red flag: why jumps are paused
    unsettled: str | None = None        # the last morning was not settled: nothing rises
    persistent: bool = False            # persistent pain: see a professional
    cramps_recur: bool = False          # recurring cramps: see a doctor
    weeks_checked: int = 0              # plan weeks whose morning mean was judged
    cleared: bool = True
    readiness: Readiness | None = None  # the latest measurements' gates (None: none taken)
    restart: bool = False               # the next jump session starts the block afresh
    restart_week: int | None = None
    last_contacts: int | None = None    # of the last jump session dosed
    jump_week: int | None = None        # the program week whose drills were last dosed
    drill_levels: dict[str, int] = field(default_factory=dict)   # drills given so far
    recent: list[tuple[dt.date, str]] = field(default_factory=list)   # logged over a limit
    # week -> (contacts, strength volume) as re-dosed and done (a logged miss or pause: zero)
    volume: dict[int, tuple[int, int]] = field(default_factory=dict)
    jumped: bool = False                # a jump session was dosed since the last pause
    last_full: int | None = None        # contacts of the last week whose jumps all ran
    reentry: tuple[int, float] | None = None    # (the week back, its volume) after a pause
    unlogged: int = 0                   # past sessions in a row without a log
    # exercise -> (level, why) a baseline test gave, applied at the exercise's next session
    tested: dict[str, tuple[int, str]] = field(default_factory=dict)

    def past(self, week: int, which: int) -> list[int]:
        """The weeks before ``week`` as dosed and done (``which``: 0 contacts, 1 strength
        volume), from the plan's first week."""
        return [self.volume.get(w, (0, 0))[which] for w in range(1, week)]


@dataclass(frozen=True)
class _Room:
    """What the workload rule needs to cap one session: how many sessions of each kind its week
    holds. Each gets an equal share of the week's ceiling, whatever the others were given: a
    share that grew when an earlier session was cut would let a worse log buy a bigger session
    later in the week (invariant 1)."""

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
             pain: int, mornings: dict[dt.date, int]) -> None:
    said = f"pain {pain}/10 on the morning of {_when(day)}"
    if pain >= rules.stop_at:
        _trigger_stop(state, rules, ids, said)
    elif pain > rules.morning_limit:
        _trigger_ease(state, rules, ids, said)
    state.unsettled = f"morning pain {pain}/10 on {_when(day)}, not settled" if (
        pain > rules.settled_max) else None
    if pain > rules.morning_limit:
        state.recent.append((day, said))
    window = [d for d, p in mornings.items() if p >= rules.persistent_at
              and day - dt.timedelta(days=rules.persistent_window) < d <= day]
    if len(window) >= rules.persistent_days:
        state.persistent = True


def _week_means(state: _State, rules: Monitoring, ids: Sequence[str], week: int,
                by_week: dict[int, list[int]]) -> None:
    """Judge the morning mean of every plan week before ``week`` not judged yet."""
    for w in range(state.weeks_checked + 1, week):
        scores = by_week.get(w, [])
        line = rules.settled_max + rules.week_mean_rise
        if scores and sum(scores) >= line * len(scores):
            _trigger_ease(state, rules, ids, f"mornings averaged {sum(scores) / len(scores):.1f}"
                          f"/10 in week {w}, {rules.week_mean_rise} or more above settled")
    state.weeks_checked = max(state.weeks_checked, week - 1)


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
        tested = state.tested.pop(key, None)
        if tested is not None and tested[0] < min(level, ceiling):
            # A baseline test below where the athlete stands puts the exercise there; a test
            # never raises a level (the logged rule does).
            level, state.streak[key], state.restarted[key] = tested[0], 0, tested[1]
        if key in state.reset:     # a red flag: back to the regression (the lowest level)
            was, level, state.streak[key] = min(level, ceiling), lowest, 0
            state.restarted[key] = state.reset[key]
            if planned != lowest:    # "back to" only from a higher level: else it stays there
                notes.append(f"{name} {'back to' if was > lowest else 'stays at'} level "
                             f"{lowest} ({state.reset[key]})")
        elif key in state.ease:
            # One level back, down to the exercise's regression (level 0) at the lowest.
            level, state.streak[key] = max(lowest, min(level, ceiling) - 1), 0
            state.restarted[key] = state.ease[key]
            if level != planned:
                notes.append(f"{name} eased to level {level} ({state.ease[key]})")
        elif state.stopped and ceiling > level:
            notes.append(f"{name} stays at level {level} (no level rises while the red flag "
                         "stands)")
        elif state.unsettled and ceiling > level:
            notes.append(f"{name} stays at level {level} ({state.unsettled})")
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
    cap = session_cap(catalog, profile.level, "strength", state.past(s.week, 1), 0,
                      room.strength,
                      lambda c: strength_volume(fit_strength(doses, c)))
    if cap is not None and strength_volume(doses) > cap:
        doses = fit_strength(doses, cap)
        out.append(f"strength cut to {strength_volume(doses)} reps by the workload rule (at most "
                   "1.3 times the average of the four weeks before)")
    return doses


def _unmet(catalog: Catalog, state: _State, criteria: Sequence[Criterion]) -> str | None:
    """The first criterion the evidence so far does not meet, in words (None: all met)."""
    for c in criteria:
        if c.kind == "measured":
            found = state.readiness
            if found is not None and not (found.two_leg if c.gate == "two_leg"
                                          else found.single_leg):
                what = "two-legged" if c.gate == "two_leg" else "single-leg and lateral"
                return (f"the measured readiness for {what} jumps "
                        f"({found.why[0] if found.why else 'not met'})")
            continue
        seen = state.evidence.get(c.exercise, [])[-c.sessions:]
        if len(seen) < c.sessions or not all(met and lv >= c.level for lv, met in seen):
            name = catalog.exercise(c.exercise).name.lower()
            return (f"{name} at level {c.level} or above, its rule met in its last "
                    f"{c.sessions} logged sessions")
    return None


def _gate(catalog: Catalog, gates: Gates, state: _State, plan_level: str,
          program_week: int) -> str | None:
    """Why the drills of ``program_week`` cannot be given yet (None: they can): a drill new to
    the athlete, or at a higher level than last given, whose gate is not met."""
    tpl, _ = template_week(catalog, program_week)
    for drill in tpl.drills:
        if state.drill_levels.get(drill, -1) >= drill_level(catalog, plan_level, program_week,
                                                            drill):
            continue
        if tpl.phase in HOLDING_PHASES:
            # A drill held back by its gate waits for a week that brings something new.
            return (f"{catalog.exercise(drill).name.lower()} waits: a {tpl.phase} week brings "
                    "in nothing new")
        unmet = _unmet(catalog, state, gates.drills.get(drill, ()))
        if unmet:
            return f"{catalog.exercise(drill).name.lower()} needs {unmet}"
    return None


def _jump_ceiling(catalog: Catalog, plan_level: str, state: _State, week: int) -> float:
    """The most jump contacts week ``week`` may carry: 1.3 x the real rolling average of the
    four weeks before (weeks before the plan at the starting base, paused and missed weeks at
    what was done); after a pause, the re-entry volume climbing 30 % a week, never below it
    and, above it, never above the rolling rule (invariant 4)."""
    base = starting_base(catalog, plan_level, "contacts")
    window = ([base] * ACWR_WEEKS + state.past(week, 0))[-ACWR_WEEKS:]
    ceiling = ACWR_LIMIT * sum(window) / ACWR_WEEKS
    if state.reentry is None:
        return ceiling
    back, volume = state.reentry
    return min(volume * ACWR_LIMIT ** (week - back), max(volume, ceiling))


def _jumps(catalog: Catalog, gates: Gates, profile: Profile, plan_level: str, rules: Monitoring,
           state: _State, s: Session, day: dt.date, doses: list[Dose], notes: list[str],
           room: _Room, plan_weeks: int) -> list[Dose]:
    forecast = sum(d.foot_contacts or 0 for d in doses)
    program_week = s.program_week
    restarting = state.restart
    if state.restart or state.restart_week is not None:
        if state.restart_week is None or state.restart:
            # Judgement call: a block that (re)starts after a passed readiness screen starts at
            # its first week, the stated starting base, as a new plan does.
            state.restart, state.restart_week = False, s.week
            block = len(catalog.weeks)
            holds = max(0, plan_weeks - s.week + 1)
            if holds < block:
                notes.append(f"the jump block starts at its week 1 of {block}; this plan holds "
                             f"{holds} of them: make a new plan after it for the other "
                             f"{block - holds} (the block's progression is not squeezed)")
        program_week = max(1, s.week - state.restart_week + 1)
    if not state.jumped:
        # Back after a pause (or the block's first jumps): the re-entry rule (invariant 4).
        base = starting_base(catalog, plan_level, "contacts")
        state.reentry = (s.week, REENTRY_SHARE * state.last_full if state.last_full
                         else base)
        state.jumped = True
    held = ""
    gated = _gate(catalog, gates, state, plan_level, program_week)
    if gated and state.jump_week is not None:
        program_week, held = state.jump_week, f"jumps held at the last drills ({gated})"
    planned = min(forecast, session_contacts(catalog, plan_level, program_week))
    contacts, why = planned, held
    last = state.last_contacts
    if state.cut is not None:
        contacts = int(min(planned, last if last is not None else planned)
                       * (1 - rules.cut_fraction))
        why = f"jumps cut to {{n}} contacts ({state.cut})"
        state.cut = None
    elif last is not None and planned > last:
        bad = [words for when, words in state.recent if day - when <= dt.timedelta(days=7)]
        rise = _unmet(catalog, state, gates.rise)
        if state.need_within > 0:
            contacts = last
            why = (f"jumps held at {last} contacts ({state.hold_why}; they rise after "
                   f"{state.need_within} more session{'s' if state.need_within > 1 else ''} "
                   "within the limits)")
        elif bad:
            contacts, why = last, f"jumps held at {last} contacts ({bad[-1]})"
        elif state.unsettled:
            contacts, why = last, f"jumps held at {last} contacts ({state.unsettled})"
        elif state.stopped is None and rise:
            contacts, why = last, f"jumps held at {last} contacts (more contacts need {rise})"
    if restarting and last is not None and contacts > last:
        contacts, why = last, "jumps restart at {n} contacts, no more than before the pause"
    # A gate not passed holds the week's volume too: a week with one more jump session than
    # the last shares the last week's contacts (a week of zeros: the re-entry rule's).
    before = state.volume.get(s.week - 1, (0, 0))[0]
    unmet = held or (last is not None and state.stopped is None
                     and _unmet(catalog, state, gates.rise) is not None)
    if unmet and before and room.jumps and contacts > before // room.jumps:
        contacts = before // room.jumps
        why = why or (f"jumps held at {{n}} contacts, last week's {before} shared by this "
                      f"week's {room.jumps} jump sessions (more need "
                      f"{_unmet(catalog, state, gates.rise)})")

    # A drill's first session is at its entry level, each later one at most a level above the
    # last given (a drill its gate held back starts low, issue 23 §3).
    tpl, _ = template_week(catalog, program_week)
    below = {d: min(drill_level(catalog, plan_level, program_week, d),
                    state.drill_levels.get(d, catalog.exercise(d).levels[0].level - 1) + 1)
             for d in tpl.drills}
    behind = any(at < drill_level(catalog, plan_level, program_week, d)
                 for d, at in below.items())

    def dosed(cap: int | None) -> int:
        wanted = contacts if cap is None else min(contacts, cap)
        return sum(d.foot_contacts or 0 for d in plyo_doses(
            catalog, plan_level, program_week, wanted, profile.equipment, below))

    cap = None if not room.jumps else session_share(
        _jump_ceiling(catalog, plan_level, state, s.week), 0, room.jumps, dosed)
    if cap is not None and cap < contacts:
        contacts = cap
        why = (f"jumps at {{n}} of the plan's {planned} contacts by the workload rule (at most "
               "1.3 times the average of the four weeks before, or the re-entry after a pause)")
    # The least a jump session holds (one set of the first warm-up drill, the workload rule's
    # stated exception): a cap below it gives that, so a cut never lands under the next floor.
    least = sum(d.foot_contacts or 0 for d in plyo_doses(catalog, plan_level, program_week, 0,
                                                          profile.equipment, below))
    contacts = max(contacts, least)
    new = doses
    if contacts < forecast or program_week != s.program_week or behind:
        fresh = plyo_doses(catalog, plan_level, program_week, contacts, profile.equipment,
                           below)
        new = [d for d in doses if d.kind != "plyometrics"]
        at = next((i for i, d in enumerate(doses) if d.kind == "plyometrics"), len(new))
        new[at:at] = fresh
        if program_week != s.program_week and not why:
            why = f"jump block week {program_week} (cleared to jump)"
    done = sum(d.foot_contacts or 0 for d in new)
    if why:
        notes.append(why.replace("{n}", str(done)))
    state.last_contacts = done
    state.jump_week = program_week
    for drill in tpl.drills:
        state.drill_levels[drill] = max(state.drill_levels.get(drill, -1), below[drill])
    return new


def _after(rules: Monitoring, state: _State, s: Session, day: dt.date, entry: LogEntry | None,
           ids: Sequence[str], forecast: bool, levels: dict[str, int],
           mornings: dict[dt.date, int]) -> None:
    """What the log says about a session done. Unlogged: in the forecast (after ``as_of``, or
    by the user's choice) as prescribed with every rule met; in the past, "not logged": it
    neither advances nor regresses anything. ``levels``: the session's strength levels."""
    if entry is None and not forecast:
        state.unlogged += 1
        return
    if entry is not None:
        state.unlogged = 0
    next_morning = mornings.get(day + dt.timedelta(days=1))
    for key in (ids if "strength" in s.kinds else ()):
        if entry is not None and key in entry.not_met:
            state.streak[key], state.restarted[key] = 0, f"rule not met on {_when(day)}"
            met = False
        elif next_morning is not None and next_morning > rules.settled_max:
            state.streak[key] = 0
            state.restarted[key] = (f"morning after {_when(day)} at {next_morning}/10: no extra "
                                    "knee pain is part of the rule")
            met = False
        else:
            state.streak[key] = state.streak.get(key, 0) + 1
            met = True
        if key in levels:
            state.evidence.setdefault(key, []).append((levels[key], met))
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


def _measured(log: AthleteLog, day: dt.date, side: str) -> Readiness | None:
    """The readiness gates of the latest test day (``periodize measure``) on or before ``day``;
    None when none was measured (a "measured" gate criterion is then met)."""
    from catalog.clinical import default_clinical

    tests = [(d, n, v) for d, n, v in log.measures
             if d <= day and n.startswith(("hop.", "stepdowns.", "pain."))]
    if not tests:
        return None
    last = max(d for d, _, _ in tests)
    return readiness({n: v for d, n, v in tests if d == last}, side, default_clinical())


def _baseline_tests(log: AthleteLog) -> list[tuple[dt.date, dict[str, tuple[int, str]]]]:
    """Each baseline test day (``catalog/baseline.toml``) with the levels its results give."""
    from catalog.baseline import default_baseline
    from planner.training.baseline import baseline_levels, test_days

    test = default_baseline()
    return [(day, {e: (lv, f"baseline test on {_when(day)}: {why}")
                   for e, (lv, why) in baseline_levels(values, test).items()})
            for day, values in test_days(log.measures, test)]


def adapt(forecast: Plan, profile: Profile, catalog: Catalog, rules: Monitoring,
          log: AthleteLog, as_of: dt.date | None = None, gates: Gates | None = None,
          ) -> tuple[Plan, frozenset[int]]:
    """The forecast re-dosed by the log as of the day ``as_of`` (None: every unlogged session
    is forecast), and the weeks left short of jumps by a pause."""
    tz = profile.tz
    gates = gates if gates is not None else default_gates()
    ids = [e.id for e in catalog.of_kind("strength")]
    entries = {e.day: e for e in log.sessions}
    mornings = dict(log.mornings)
    by_week: dict[int, list[int]] = {}
    for day, pain in log.mornings:
        by_week.setdefault((day - forecast.start).days // 7 + 1, []).append(pain)
    state = _State(cleared=profile.cleared_to_jump, jumped=profile.cleared_to_jump)
    tests = _baseline_tests(log)
    # A morning check comes before that day's session; a screen after it, and a cramp too (it
    # may have come in that session: the advice starts with the next day's).
    timeline: list[tuple[dt.date, int, object]] = [
        *((day, 0, pain) for day, pain in log.mornings),
        *((s.start.astimezone(tz).date(), 1, s) for s in forecast.sessions),
        *((day, 2, passed) for day, passed in log.screens),
        *((c.day, 3, None) for c in log.cramps)]
    timeline.sort(key=lambda item: (item[0], item[1]))
    sessions: list[Session] = []
    short: set[int] = set()
    left: dict[tuple[int, str], int] = {}      # (week, kind) -> sessions the week holds
    for s in forecast.sessions:
        for kind in s.kinds if s.status != MISSED else ():
            left[s.week, kind] = left.get((s.week, kind), 0) + 1
    for day, order, item in timeline:
        if order == 0:
            assert isinstance(item, int)
            _morning(state, rules, ids, day, item, mornings)
            continue
        if order == 2:
            if item and (state.stopped or not state.cleared) and not screen_refusal(
                    rules, log, day):
                # The block restarts at its first week, never above the last jump session.
                state.stopped, state.cleared, state.restart = None, True, True
                state.need_within = 0
            continue
        if order == 3:
            state.cramps_recur = state.cramps_recur or recurring(log.cramps, rules, day) is not None
            continue
        assert isinstance(item, Session)
        s = item
        _week_means(state, rules, ids, s.week, by_week)
        state.readiness = _measured(log, day, profile.involved_side)
        while tests and tests[0][0] <= day:
            state.tested.update(tests.pop(0)[1])
        entry = entries.get(day)
        live = state
        skipped = entry is not None and entry.status == "missed"
        if skipped:                      # dosed, but it teaches nothing
            state = copy.deepcopy(state)
        notes: list[str] = []
        if state.stopped:
            notes.append(rules.red_flag)
        if state.persistent:
            notes.append(rules.persistent)
        if state.cramps_recur:
            notes.append(rules.cramp_recurring)
        if "plyometrics" in s.kinds and (state.stopped or not state.cleared):
            notes.append(f"{PAUSED} ({state.stopped or NOT_CLEARED})")
            s = paused_session(catalog, profile, forecast.level, s)
            short.add(s.week)
            live.jumped = False
        room = _Room(0, 0)               # a session the plan marks missed is not capped
        if s.status != MISSED:
            room = _Room(left[s.week, "plyometrics"] if "plyometrics" in s.kinds else 0,
                         left[s.week, "strength"] if "strength" in s.kinds else 0)
        doses = _strength(catalog, profile, state, s, list(s.exercises), notes, room)
        if "plyometrics" in s.kinds:
            doses = _jumps(catalog, gates, profile, forecast.level, rules, state, s, day, doses,
                           notes, room, forecast.weeks)
            live.reentry, live.jumped = state.reentry, state.jumped
        if state.unlogged >= UNLOGGED_ASK and (as_of is None or day > as_of):
            notes.append(UNLOGGED_TEXT.format(n=state.unlogged))
        if state is live:
            _after(rules, state, s, day, entry, ids,
                   as_of is None or day > as_of or profile.progress_without_logs,
                   _levels(catalog, doses), mornings)
        else:
            live.unlogged = 0
        if s.status != MISSED and not skipped:
            contacts, lifted = live.volume.get(s.week, (0, 0))
            live.volume[s.week] = (contacts + sum(d.foot_contacts or 0 for d in doses),
                                   lifted + strength_volume(doses))
        _full_week(live, forecast, s)
        state = live
        sessions.append(dataclasses.replace(s, exercises=tuple(doses), notes=tuple(notes)))
    return dataclasses.replace(forecast, sessions=tuple(sessions)), frozenset(short)


def _levels(catalog: Catalog, doses: Sequence[Dose]) -> dict[str, int]:
    found = {}
    for d in doses:
        exercise = catalog.of_dose(d.name) if d.kind == "strength" else None
        if exercise is not None:
            found[exercise.id] = d.level
    return found


def _full_week(state: _State, forecast: Plan, s: Session) -> None:
    """After the last session of a week: its contacts are the last full week's when its jumps
    all ran (none paused, none missed), for the re-entry rule."""
    rest = [t for t in forecast.sessions if t.week == s.week and t.start > s.start]
    if not rest and state.jumped and state.volume.get(s.week, (0, 0))[0]:
        state.last_full = state.volume[s.week][0]


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


def adapted(forecast: Plan, profile: Profile, catalog: Catalog, rules: Monitoring,
            log: AthleteLog, as_of: dt.date | None = None) -> Plan:
    """``adapt`` as of the day ``as_of`` (sessions on or before it without a log are "not
    logged"; None: all of them forecast), refusing a result that breaks a hard rule the
    forecast kept (a bug, not a user error): re-dosing changes doses and shortens paused
    sessions, never moves one."""
    from planner.training.limits import apply_limits
    from planner.training.validate import check_plan

    if (not (log.sessions or log.mornings or log.screens or log.measures or log.cramps)
            and profile.cleared_to_jump
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
