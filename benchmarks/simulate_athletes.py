"""Seven athletes live their 8-week plans day by day through periodize's own commands (issue 23).

Each athlete gets a plan from ``planner.commands.generate`` and then, every day of the plan, reads
the day's session as the stored plan has it, and logs what a person of that kind would: ``done``
with effort, pain and the rules not met, the next morning's ``pain``, a ``missed`` range, a
``screen``; every command is the library function the CLI calls, with ``today`` passed in (nothing
reads the clock). At the end the plan is read as of its last day (``adapted(..., as_of=...)``)
and a Markdown table per athlete gives, week by week: the step down and split squat levels, the
jump contacts really done (a logged miss or a pause: zero) and the real workload ratio (this
week over the average of the four before, weeks before the plan at the level's starting base).

    python benchmarks/simulate_athletes.py            # all seven (about a minute on 2 cores)
    python benchmarks/simulate_athletes.py --only pain-8

The athletes (the audit's seven):
  compliant       every session done at its target effort, pain 2/10, mornings 1/10
  pain-6-week-3   as compliant, but pain 6/10 during the first session of week 3
  morning-plus-2  as compliant, but every morning 3/10 from week 3 on (two above the 1 before)
  pain-8          pain 8/10 in week 3's first session, 5/10 the morning after, then 2; tries the
                  screen the next day (refused: too soon), passes it five days later
  never-met       every strength session logged --not-met all
  absent-10-days  away for ten days from the start of week 4 (``missed START..END`` ahead)
  rehab-first     cleared_to_jump = false; fails the screen in week 2, passes it in week 4
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalog import default_catalog  # noqa: E402
from catalog.monitoring import default_monitoring  # noqa: E402
from planner import commands  # noqa: E402
from planner.commands import logbook  # noqa: E402
from planner.errors import InputError  # noqa: E402
from planner.store.database import open_store  # noqa: E402
from planner.store.plan import Plan, Session  # noqa: E402
from planner.training.adapt import adapted  # noqa: E402
from planner.training.dosing import starting_base  # noqa: E402
from planner.training.workload import workload_ratios  # noqa: E402

START = dt.date(2027, 1, 4)          # a Monday
GENERATED = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
PROFILE = """name = "{name}"
timezone = "Europe/London"
start = 2027-01-04
weeks = 8
level = "beginner"
rest_days = ["sun"]
cleared_to_jump = {cleared}

[availability]
mon = ["18:00-20:00"]
wed = ["18:00-20:00"]
fri = ["18:00-20:00"]
sat = ["09:00-12:00"]
"""


def week_of(day: dt.date) -> int:
    return (day - START).days // 7 + 1


@dataclass(frozen=True)
class Athlete:
    """How one kind of athlete logs a day: ``session`` (pain during, not-met, or None for a
    session not logged), ``morning`` (the score on waking, None: not logged)."""

    name: str
    cleared: bool = True
    pain: Callable[[dt.date, bool], int] = lambda day, first: 2
    morning: Callable[[dt.date], int | None] = lambda day: 1
    never_met: bool = False
    away: tuple[dt.date, dt.date] | None = None
    screens: tuple[tuple[dt.date, bool], ...] = ()


def _first_of_week_3(day: dt.date, first: bool) -> bool:
    return week_of(day) == 3 and first


PAIN_8_DAY = START + dt.timedelta(days=14)          # Monday of week 3
ATHLETES = (
    Athlete("compliant"),
    Athlete("pain-6-week-3", pain=lambda d, first: 6 if _first_of_week_3(d, first) else 2),
    Athlete("morning-plus-2", morning=lambda d: 3 if week_of(d) >= 3 else 1),
    Athlete("pain-8", pain=lambda d, first: 8 if _first_of_week_3(d, first) else 2,
            morning=lambda d: 5 if d == PAIN_8_DAY + dt.timedelta(days=1) else (
                2 if d > PAIN_8_DAY else 1),
            screens=((PAIN_8_DAY + dt.timedelta(days=1), True),
                     (PAIN_8_DAY + dt.timedelta(days=6), True))),
    Athlete("never-met", never_met=True),
    Athlete("absent-10-days", away=(START + dt.timedelta(days=21),
                                    START + dt.timedelta(days=30))),
    Athlete("rehab-first", cleared=False,
            screens=((START + dt.timedelta(days=9), False), (START + dt.timedelta(days=23), True))),
)


def _on(plan: Plan, day: dt.date) -> Session | None:
    return next((s for s in plan.sessions if plan.local_date(s) == day), None)


def live(athlete: Athlete, folder: Path) -> tuple[Plan, list[str], set[dt.date]]:
    """The athlete's 8 weeks through the commands; the plan as of its last day, what the
    commands refused (one line each) and the days logged missed."""
    profile = folder / f"{athlete.name}.toml"
    profile.write_text(PROFILE.format(name=athlete.name,
                                      cleared="true" if athlete.cleared else "false"), "utf-8")
    db = folder / f"{athlete.name}.db"
    commands.generate(profile, db, None, GENERATED)
    plan = commands.current_plan(db)
    refused: list[str] = []
    missed: set[dt.date] = set()
    screens = dict(athlete.screens)
    seen_week: set[int] = set()
    for n in range((plan.end - plan.start).days + 1):
        day = plan.start + dt.timedelta(days=n)
        now = dt.datetime.combine(day, dt.time(21, 0), tzinfo=dt.UTC)
        if athlete.away and day == athlete.away[0] - dt.timedelta(days=1):
            leave, back = athlete.away
            missed |= {s for s in (plan.local_date(t) for t in plan.sessions)
                       if leave <= s <= back}
            logbook.missed(db, [f"{leave}..{back}"], None, now, today=day)
        away = athlete.away is not None and athlete.away[0] <= day <= athlete.away[1]
        if not away and n and day > plan.sessions[0].start.date():
            score = athlete.morning(day)
            if score is not None:
                logbook.morning_pain(db, day.isoformat(), str(score), now, today=day)
        plan = commands.current_plan(db)
        session = _on(plan, day)
        if session is not None and not away:
            first = week_of(day) not in seen_week
            seen_week.add(week_of(day))
            not_met = ("all",) if athlete.never_met and "strength" in session.kinds else ()
            logbook.done(db, [day.isoformat()], now, rpe=session.rpe,
                         pain=athlete.pain(day, first), not_met=not_met, today=day)
        if day in screens:
            try:
                logbook.screen(db, day.isoformat(), screens[day], now, today=day)
            except InputError as refusal:
                refused.append(f"{day}: {refusal}")
    with open_store(db) as store:
        current = store.current()
        final = adapted(store.forecast(), current.profile, default_catalog(),
                        default_monitoring(), store.athlete_log(current.plan.plan_id),
                        as_of=current.plan.end)
    return final, refused, missed


def table(athlete: Athlete, plan: Plan, missed: set[dt.date]) -> list[str]:
    catalog = default_catalog()
    done = [s for s in plan.sessions if plan.local_date(s) not in missed]
    contacts = [sum(s.foot_contacts for s in done if s.week == w)
                for w in range(1, plan.weeks + 1)]
    ratios = workload_ratios(contacts, starting_base(catalog, plan.level, "contacts"))
    rows = ["| week | step down | split squat | jump sessions | contacts done | ratio | "
            "drills | notes |", "|---|---|---|---|---|---|---|---|"]
    for w in range(1, plan.weeks + 1):
        week = [s for s in plan.sessions if s.week == w]
        strength = [s for s in week if "strength" in s.kinds]
        levels: dict[str, list[int]] = {}
        for s in strength:
            for d in s.exercises:
                exercise = catalog.of_dose(d.name) if d.kind == "strength" else None
                if exercise is not None:
                    levels.setdefault(exercise.id, []).append(d.level)
        drills = sorted({e.name.lower() for s in week if plan.local_date(s) not in missed
                         for d in s.exercises
                         if d.kind == "plyometrics"
                         for e in [catalog.of_dose(d.name)] if e is not None and e.role == "main"})
        notes = sorted({n.split(" (")[0] for s in week for n in s.notes
                        if not n.startswith(("step down", "split squat", "reverse", "tibialis"))})
        rows.append(
            f"| {w} | {'/'.join(map(str, levels.get('step-down', [])))} | "
            f"{'/'.join(map(str, levels.get('split-squat', [])))} | "
            f"{sum(1 for s in week if s.foot_contacts and plan.local_date(s) not in missed)} | "
            f"{contacts[w - 1]} | {ratios[w - 1]:.2f} | {', '.join(drills) or '-'} | "
            f"{'; '.join(n[:70] for n in notes) or '-'} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="one athlete by name")
    args = parser.parse_args()
    chosen = [a for a in ATHLETES if args.only in (None, a.name)]
    if not chosen:
        parser.error("--only: one of " + ", ".join(a.name for a in ATHLETES))
    with tempfile.TemporaryDirectory() as tmp:
        for athlete in chosen:
            plan, refused, missed = live(athlete, Path(tmp))
            print(f"### {athlete.name}\n")
            print("\n".join(table(athlete, plan, missed)))
            for line in refused:
                print(f"\nRefused: {line}")
            print()


if __name__ == "__main__":
    main()
