"""A physio's limits applied to a plan's doses (``planner.store.limits``): jump contacts capped
per session, strength levels capped, jump sessions without their jumps under "no jumps". The
model keeps new plans free of jump sessions under "no jumps" (the profile's ``plyo_sessions``);
this caps what an existing plan or a re-dosing would prescribe. Sessions logged done are history
and keep their doses. Each capped session says so, "set by your physio"."""

from __future__ import annotations

import dataclasses

from catalog import Catalog
from planner.store.limits import Limits
from planner.store.plan import DONE, Dose, Plan, Session
from planner.store.profile import Profile
from planner.training.dosing import paused_session, plyo_doses, strength_dose

BY_PHYSIO = "set by your physio"


def limit_note(limits: Limits) -> str:
    return f"limits {BY_PHYSIO}: {', '.join(limits.words())}"


def _capped(catalog: Catalog, profile: Profile, level: str, s: Session,
            limits: Limits) -> tuple[Dose, ...]:
    doses = list(s.exercises)
    contacts = sum(d.foot_contacts or 0 for d in doses)
    if limits.contacts_max is not None and contacts > limits.contacts_max:
        fresh = plyo_doses(catalog, level, s.program_week, limits.contacts_max,
                           profile.equipment)
        at = next(i for i, d in enumerate(doses) if d.kind == "plyometrics")
        doses = [d for d in doses if d.kind != "plyometrics"]
        doses[at:at] = fresh
    top = limits.strength_level_max
    if top is not None:
        for i, dose in enumerate(doses):
            exercise = catalog.of_dose(dose.name) if dose.kind == "strength" else None
            if exercise is not None and dose.level > top:
                doses[i] = strength_dose(catalog, exercise, top, s.program_week,
                                         profile.equipment, sets=dose.sets)
    return tuple(doses)


def apply_limits(plan: Plan, profile: Profile, catalog: Catalog) -> Plan:
    """``plan`` within ``profile.limits``: every session not yet done capped, and said so."""
    limits = profile.limits
    if not limits:
        return plan
    note = limit_note(limits)
    sessions = []
    for s in plan.sessions:
        if s.status == DONE:
            sessions.append(s)
            continue
        if limits.no_jumps and "plyometrics" in s.kinds:
            s = paused_session(catalog, profile, plan.level, s)
        doses = _capped(catalog, profile, plan.level, s, limits)
        sessions.append(dataclasses.replace(
            s, exercises=doses, notes=s.notes if note in s.notes else (*s.notes, note)))
    return dataclasses.replace(plan, sessions=tuple(sessions))
