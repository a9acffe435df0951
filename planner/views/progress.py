"""How the athlete is doing against the plan: each strength exercise's level week by week (and the
plan's, where the log held it lower), logged effort against the target, and the pain trend with
the limits of the pain-monitoring model. Shown by ``status`` and in the HTML report."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from catalog import Catalog, Exercise
from catalog.monitoring import Monitoring
from planner.store.as_of import SessionState
from planner.store.database import AthleteLog
from planner.store.plan import DONE, Plan, Session
from planner.views.cramps import cramp_lines


@dataclass(frozen=True)
class Logged:
    """One session with what was logged about it (None: not said)."""

    day: dt.date
    target: int                   # the session's effort target, CR-10
    rpe: int | None
    pain: int | None              # during
    morning: int | None           # the next morning check that belongs to it


@dataclass(frozen=True)
class Progress:
    weeks: tuple[int, ...]
    levels: tuple[tuple[str, tuple[tuple[int | None, int | None], ...]], ...]
    # ^ (exercise name, per week: (its level, the plan's level)); None: no session that week
    logged: tuple[Logged, ...]
    limits: str                   # the pain-monitoring limits in words, with their sources
    pain_limit: int
    stop_at: int
    cramps: tuple[str, ...] = ()  # the cramps logged, in words (planner.views.cramps)
    morning_limit: int = 10
    physio: tuple[str, ...] = ()  # what a physio reads first (``physio_lines``)


def limits_text(rules: Monitoring) -> str:
    return (f"Pain limits: during at most {rules.during_limit}/10; the next morning settled "
            f"(at most {rules.settled_max}/10, else no rise) and at most "
            f"{rules.morning_limit}/10; {rules.stop_at}/10 or more pauses jumps (Thomeé 1997; "
            "Silbernagel 2007).")


def progress(plan: Plan, forecast: Plan, log: AthleteLog, catalog: Catalog,
             rules: Monitoring, states: Sequence[SessionState] = (),
             day: dt.date | None = None) -> Progress:
    """``plan``: the plan as of ``day`` (``plan_as_of``), whose ``states`` give the logged
    effort and pain of each session done."""
    tz = ZoneInfo(plan.timezone)
    planned = {s.uid: s for s in forecast.sessions}
    weeks = tuple(range(1, plan.weeks + 1))
    levels = []
    for exercise in catalog.of_kind("strength"):
        def level_of(s: Session, exercise: Exercise = exercise) -> int | None:
            return next((d.level for d in s.exercises if d.kind == "strength"
                         and catalog.of_dose(d.name) is exercise), None)

        row: list[tuple[int | None, int | None]] = []
        for week in weeks:      # the week's lowest level: a hold shows even if it ended
            pairs = [(level_of(s), level_of(planned[s.uid]) if s.uid in planned else None)
                     for s in plan.week_sessions(week) if s.status != "missed"]
            pairs = [pair for pair in pairs if pair[0] is not None]
            row.append(min(pairs, key=lambda pair: pair[0] or 0) if pairs else (None, None))
        levels.append((exercise.name, tuple(row)))
    scored = {st.uid: st for st in states if st.state == DONE}
    if not states:
        by_day = {e.day: e for e in log.sessions if e.status == DONE}
        scored = {s.uid: SessionState(s.uid, d, DONE, s.rpe, by_day[d].rpe, by_day[d].pain)
                  for s in plan.sessions if (d := s.start.astimezone(tz).date()) in by_day}
    days = [(s.start.astimezone(tz).date(), s) for s in plan.sessions]
    mornings: dict[dt.date, int] = {}
    for morning, pain in log.mornings:
        before = [d for d, _ in days if d < morning]
        if before:
            mornings[before[-1]] = pain
    logged = [Logged(d, s.rpe, one.rpe if (one := scored.get(s.uid)) else None,
                     one.pain if one else None, mornings.get(d))
              for d, s in days if s.uid in scored or d in mornings]
    cramps = cramp_lines(log.cramps, rules, day)
    return Progress(weeks, tuple(levels), tuple(logged), limits_text(rules), rules.during_limit,
                    rules.stop_at, cramps, rules.morning_limit,
                    (*physio_lines(plan, forecast, log, rules, day), *cramps))


#: The physio's list of adjustments reaches this many days past the day it is read (the week
#: ahead; the rest of the plan is a forecast the log will change again). A judgement call.
AHEAD_DAYS = 7


def _day(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def physio_lines(plan: Plan, forecast: Plan, log: AthleteLog, rules: Monitoring,
                 day: dt.date | None = None) -> tuple[str, ...]:
    """What a physio reads first, a line each, as of ``day``: red flags with their dates, jump
    pauses (from when, why, until what), readiness screens, each adjustment the log made with
    its reason (the notes re-dosing gave, against the forecast), and the persistent-pain
    advice when it applies (``progress`` adds the cramps logged, and the advice when they
    recur)."""
    from planner.training.adapt import PAUSED

    def said(d: dt.date) -> bool:
        return day is None or d <= day

    flags = [(e.day, f"pain {e.pain}/10 during {_day(e.day)}") for e in log.sessions
             if e.status == DONE and e.pain is not None and e.pain >= rules.stop_at
             and said(e.day)]
    flags += [(d, f"morning pain {p}/10 on {_day(d)}") for d, p in log.mornings
              if p >= rules.stop_at and said(d)]
    lines = [f"Red flags ({rules.stop_at}/10 or more): "
             + ("; ".join(words for _, words in sorted(flags)) or "none") + "."]
    lines += _pauses(plan, PAUSED)
    screens = [f"{'passed' if ok else 'failed'} {_day(d)}" for d, ok in log.screens if said(d)]
    lines.append("Readiness screens: " + (", ".join(screens) or "none recorded") + ".")
    ahead = None if day is None else day + dt.timedelta(days=AHEAD_DAYS)
    adjusted = _reasons(plan, forecast, ahead)
    lines.append(("Adjustments by the log" if ahead is None else
                  f"Adjustments by the log, up to {_day(ahead)}") + ":"
                 + (" none." if not adjusted else ""))
    lines += [f"  {line}" for line in adjusted]
    if any(rules.persistent in s.notes for s in plan.sessions):
        lines.append(rules.persistent)
    return tuple(lines)


def _reasons(plan: Plan, forecast: Plan, until: dt.date | None) -> list[str]:
    """'from Sat 16 Jan: step down ... back to level 0 (pain 8/10 on Fri 15 Jan)': each reason
    re-dosing gave (``adapt``'s notes) that the forecast did not have, from the first session
    it changed, up to ``until`` (None: the whole plan)."""
    planned = {s.uid: s for s in forecast.sessions}
    first: dict[str, dt.date] = {}
    for s in sorted(plan.sessions, key=lambda s: s.start):
        if until is not None and plan.local_date(s) > until:
            break
        old = planned.get(s.uid)
        for note in s.notes:
            if old is None or note not in old.notes:
                first.setdefault(note, plan.local_date(s))
    return [f"from {_day(day)}: {note}" for note, day in first.items()]


def _pauses(plan: Plan, paused: str) -> list[str]:
    """'Jumps paused from Wed 20 Jan (pain 8/10 on Fri 15 Jan) until ...', one line a pause:
    a run of sessions whose note says so, ended by the next jump session the plan holds."""
    lines: list[str] = []
    first: Session | None = None
    why = ""
    for s in sorted(plan.sessions, key=lambda s: s.start):
        note = next((n for n in s.notes if n.startswith(paused)), None)
        if note is not None:
            if first is None:
                first, why = s, note.removeprefix(paused).strip()
            continue
        if first is not None and "plyometrics" in s.kinds:
            lines.append(f"Jumps paused from {_day(first.start.date())} {why}, until "
                         f"{_day(s.start.date())}, when the plan has them again.".replace(
                             "  ", " "))
            first = None
    if first is not None:
        lines.append(f"Jumps paused from {_day(first.start.date())} {why}, until a readiness "
                     "screen is passed (periodize screen DATE --passed).".replace("  ", " "))
    return lines


def _cell(value: int | None, limit: int | None = None) -> str:
    """A score ('-': not logged), marked '!' above ``limit``."""
    if value is None:
        return "-"
    return f"{value}!" if limit is not None and value > limit else str(value)


def progress_text(p: Progress) -> str:
    """What a physio reads first, levels by week ('2<3': level 2 where the plan had 3), then
    the logged sessions with the scores above the limits marked '!'."""
    head = "Strength level by week (2<3: held at 2 where the plan had 3)"
    lines = [*(textwrap.fill(line, 80, subsequent_indent="    " if line.startswith("  ")
                             else "  ") for line in p.physio), ""] if p.physio else []
    lines += [head, f"  {'':<16}" + "".join(f"{'W' + str(w):>6}" for w in p.weeks)]
    for name, row in p.levels:
        cells = [(_cell(now) if now == then or now is None or then is None
                  else f"{now}<{then}") for now, then in row]
        lines.append(f"  {name:<16}" + "".join(f"{c:>6}" for c in cells))
    lines.append("")
    if not p.logged:
        lines.append("Nothing logged with effort or pain yet "
                     "(periodize done DATE --rpe N --pain N; periodize pain DATE N).")
    else:
        lines.append(f"  {'session':<12}{'effort/target':>14}{'pain during':>13}"
                     f"{'next morning':>14}")
        for entry in p.logged:
            effort = f"{_cell(entry.rpe)}/{entry.target}"
            lines.append(f"  {entry.day:%a %d %b}  {effort:>14}"
                         f"{_cell(entry.pain, p.pain_limit):>13}"
                         f"{_cell(entry.morning, p.morning_limit):>14}")
        lines.append(f"  ! above the limit (during {p.pain_limit}/10, next morning "
                     f"{p.morning_limit}/10)")
    lines += textwrap.wrap(p.limits, 80)       # the cramps: in the physio's lines, first
    return "\n".join(lines)
