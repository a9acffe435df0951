"""How the athlete is doing against the plan: each strength exercise's level week by week (and the
plan's, where the log held it lower), logged effort against the target, and the pain trend with
the limits of the pain-monitoring model. Shown by ``status`` and in the HTML report."""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from catalog import Catalog, Exercise
from catalog.monitoring import Monitoring
from planner.store.database import AthleteLog
from planner.store.plan import Plan, Session
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


def limits_text(rules: Monitoring) -> str:
    return (f"Pain limits: during at most {rules.during_limit}/10; the next morning settled "
            f"(at most {rules.settled_max}/10, else no rise) and at most "
            f"{rules.morning_limit}/10; {rules.stop_at}/10 or more pauses jumps (Thomeé 1997; "
            "Silbernagel 2007).")


def progress(plan: Plan, forecast: Plan, log: AthleteLog, catalog: Catalog,
             rules: Monitoring) -> Progress:
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
    entries = {e.day: e for e in log.sessions if e.status == "done"}
    days = [(s.start.astimezone(tz).date(), s) for s in plan.sessions]
    mornings: dict[dt.date, int] = {}
    for morning, pain in log.mornings:
        before = [d for d, _ in days if d < morning]
        if before:
            mornings[before[-1]] = pain
    logged = [Logged(day, s.rpe, entries[day].rpe if day in entries else None,
                     entries[day].pain if day in entries else None, mornings.get(day))
              for day, s in days if day in entries or day in mornings]
    return Progress(weeks, tuple(levels), tuple(logged), limits_text(rules), rules.during_limit,
                    rules.stop_at, cramp_lines(log.cramps, rules))


def _cell(value: int | None) -> str:
    return "-" if value is None else str(value)


def progress_text(p: Progress) -> str:
    """Levels by week ('2<3': level 2 where the plan had 3), then the logged sessions."""
    head = "Strength level by week (2<3: held at 2 where the plan had 3)"
    lines = [head, f"  {'':<16}" + "".join(f"{'W' + str(w):>6}" for w in p.weeks)]
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
            lines.append(f"  {entry.day:%a %d %b}  {effort:>14}{_cell(entry.pain):>13}"
                         f"{_cell(entry.morning):>14}")
    lines += textwrap.wrap(p.limits, 80)
    if p.cramps:
        lines.append("")
        for line in p.cramps:
            lines += textwrap.wrap(line, 80)
    return "\n".join(lines)
