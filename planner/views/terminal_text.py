"""Plain-text views for the terminal: the week-by-week summary, the catalogue, the history."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from catalog import Catalog, Exercise
from planner.store.as_of import NOT_LOGGED, PLANNED, SessionState
from planner.store.database import Revision
from planner.store.plan import DONE, MISSED, Plan, Session
from planner.store.profile import Profile
from planner.training.session_types import BLOCKS, TYPES


def plan_view(plan: Plan, profile: Profile, fmt: str, week: int | None, today: dt.date | None,
              chart: bool = False, color: bool | None = None,
              states: Sequence[SessionState] = ()) -> str:
    """What ``periodize show`` prints: the weekly load chart, the calendar grid (the whole
    plan), or the sessions (of one week) as a table, CSV or JSON (with ``states``: each
    session's state and logged scores, as ``export`` writes them)."""
    if chart:
        from planner.views.terminal_grid import load_chart

        return load_chart(plan)
    if fmt == "grid" and week is None:
        from planner.views.terminal_grid import plan_grid

        return plan_grid(plan, profile, today, color=color)
    from planner.calendars.export.plan_json import plan_json
    from planner.calendars.export.tables import plan_csv, plan_table

    if fmt == "json":
        return plan_json(plan if week is None else replace(plan, sessions=plan.week_sessions(week)),
                         states)
    return plan_csv(plan, week, states) if fmt == "csv" else plan_table(plan, week)


def week_summary(plan: Plan) -> str:
    """One line per week: each session's day, time and type, then contacts and load."""
    lines = [f"{plan.name}: {plan.weeks} weeks from {plan.start:%a %-d %b %Y} "
             f"({plan.level}, {plan.timezone}), revision {plan.revision}"]
    for week in range(1, plan.weeks + 1):
        sessions = plan.week_sessions(week)
        live = [s for s in sessions if s.status != "missed"]
        parts = [f"{s.start:%a %H:%M} {TYPES[s.session_type].short}"
                 + {"missed": " (missed)", "done": " (done)",
                    "not logged": " (not logged)"}.get(s.status, "")
                 for s in sessions]
        contacts = sum(s.foot_contacts for s in live)
        load = sum(s.load for s in live)
        lines.append(f"  week {week:>2}: " + (", ".join(parts) or "no sessions")
                     + f"  | {contacts} contacts, load {load}")
    return "\n".join(lines)


def catalog_list(catalog: Catalog) -> str:
    lines = []
    for kind in BLOCKS:
        lines.append(kind.capitalize())
        for e in catalog.of_kind(kind):
            levels = f"{len(e.levels)} levels" if len(e.levels) > 1 else ""
            lines.append(f"  {e.id:<24} {e.name:<28} {levels}".rstrip())
    return "\n".join(lines)


def exercise_detail(exercise: Exercise) -> str:
    lines = [f"{exercise.name} ({exercise.kind}, id {exercise.id})", f"  {exercise.cue}"]
    if exercise.intensity:
        lines.append(f"  intensity: {exercise.intensity}; sets of {exercise.reps_per_set}")
    for lvl in exercise.levels:
        amount = f"{lvl.reps} reps" if lvl.reps is not None else f"{lvl.hold_seconds} s"
        side = " each side" if lvl.per_side else ""
        rest = f", rest {lvl.rest_seconds} s" if lvl.rest_seconds else ""
        lines.append(f"  level {lvl.level}: {lvl.name}: {lvl.sets} × {amount}{side}{rest}. "
                     f"{lvl.cue}")
        if lvl.substitute is not None:
            lines.append(f"    needs {', '.join(lvl.equipment)}; without: "
                         f"{lvl.substitute.name}. {lvl.substitute.cue}")
        if lvl.range_cue:
            lines.append(f"    {lvl.range_cue}")
    if exercise.advance_when:
        lines.append(f"  next level when: {exercise.advance_when}")
    return "\n".join(lines)


def history_list(revisions: Sequence[Revision]) -> str:
    return "\n".join(f"{'*' if r.current else ' '} rev {r.number:>3}  {r.created:%Y-%m-%d %H:%M} "
                     f"UTC  {r.sessions:>3} sessions  {r.note}" + ("  (undone)" if r.undone else "")
                     for r in revisions)


def adherence(plan: Plan, states: Sequence[SessionState]) -> str:
    """Done / missed / not logged / planned per week and per kind, by each session's state as of
    the day (``plan_as_of``): a past session not logged is not counted as done (silence is not
    success); the line under the table says how many those are."""
    state = {st.uid: st.state for st in states}

    def of(s: Session) -> str:
        return state.get(s.uid, PLANNED)

    lines = [f"{'week':>4}  {'done':>4}  {'missed':>6}  {'not logged':>10}  {'planned':>7}"]
    for week in range(1, plan.weeks + 1):
        counts = Counter(of(s) for s in plan.week_sessions(week))
        lines.append(f"{week:>4}  {counts[DONE]:>4}  {counts[MISSED]:>6}  "
                     f"{counts[NOT_LOGGED]:>10}  {counts[PLANNED]:>7}")
    lines.append("")
    for kind in ("plyometrics", "strength", "stretching"):
        counts = Counter(of(s) for s in plan.sessions if kind in s.kinds)
        total = counts[DONE] + counts[MISSED] + counts[NOT_LOGGED]
        rate = (f"{counts[DONE]} of {total} done, {round(100 * counts[DONE] / total)}%"
                if total else "nothing due yet")
        lines.append(f"{kind:<12} {counts[DONE]} done, {counts[MISSED]} missed, "
                     f"{counts[NOT_LOGGED]} not logged, {counts[PLANNED]} planned ({rate})")
    unlogged = sum(of(s) == NOT_LOGGED for s in plan.sessions)
    if unlogged:
        lines += ["", f"{unlogged} past session{'s' if unlogged != 1 else ''} not logged, not "
                  "counted as done: `periodize done DATE` (or `missed DATE`)."]
    return "\n".join(lines)


def template_markdown(catalog: Catalog, level: str = "beginner") -> str:
    """The 8-week template as docs/training.md shows it, computed from the doses a plan holds
    (cog writes it there; a test keeps it current): sessions, contacts, strength volume and
    levels."""
    from planner.training.dosing import session_doses, strength_volume
    from planner.training.program import strength_level
    from planner.training.workload import workload_ratios

    weeks = catalog.weeks
    jumps = [sum(d.foot_contacts or 0 for d in session_doses(catalog, level, w.number, "jumps",
                                                               True)) for w in weeks]
    lifts = [strength_volume(session_doses(catalog, level, w.number, "strength", True))
             for w in weeks]
    contacts = [w.plyo_sessions * c for w, c in zip(weeks, jumps, strict=True)]
    volume = [w.strength_sessions * v for w, v in zip(weeks, lifts, strict=True)]
    names = {e.id: e.name.lower().replace(" (landing drill)", "") for e in catalog.exercises}

    def row(title: str, cells: Sequence[object]) -> str:
        return f"| {title} | " + " | ".join(str(c) for c in cells) + " |"

    def level_cell(w: int) -> str:
        delta = weeks[w].sets_delta
        return f"{strength_level(catalog, level, w + 1)}" + (f" ({delta:+d} set)" if delta else "")

    rows = [
        row("week", [w.number for w in weeks]),
        "|---|" + "---|" * len(weeks),
        row("phase", [w.phase for w in weeks]),
        row("jump sessions", [w.plyo_sessions for w in weeks]),
        row(f"contacts a session ({level}, warm-up drills included)", jumps),
        row(f"contacts a week ({level})", contacts),
        row("contacts ratio to the last 4 weeks",
            [f"{r:.2f}" for r in workload_ratios(contacts, contacts[0])]),
        row(f"strength sets × reps a week ({level})", volume),
        row(f"strength level ({level})", [level_cell(i) for i in range(len(weeks))]),
        row("drills after the landing warm-up",
            [", ".join(names[d] for d in w.drills) for w in weeks]),
    ]
    return "\n".join(rows) + "\n"
