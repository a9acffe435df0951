"""What one command changed in the plan, in words (issue 24 §5): the revision the store held
before the command against the one it saved, one line per kind of change with its sessions,
then the reasons re-dosing gave that are new. Only this command's change is said (never the
past ones a revision already carried), and every word is read from the stored sessions, after
equipment substitution and the physio's limits."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from catalog import Catalog
from planner.store.plan import MISSED, Plan, Session
from planner.training.session_types import TYPES

#: The kinds of change, in the order they are said; each is the first word of its line.
MISSED_KIND = "missed"
BACK_KIND = "planned again"
MOVED_KIND = "moved"
CHANGED_KIND = "changed"
ADDED_KIND = "added"
DROPPED_KIND = "dropped"
REDOSED_KIND = "re-dosed"
KINDS = (MISSED_KIND, BACK_KIND, MOVED_KIND, CHANGED_KIND, ADDED_KIND, DROPPED_KIND,
         REDOSED_KIND)
ARROW = " → "
#: Kinds said as "what on day, day; what on day": sessions that changed alike, together.
BY_WHAT = (CHANGED_KIND, REDOSED_KIND)


@dataclass(frozen=True)
class PlanChanges:
    """The changes grouped by kind (kind, items), in ``KINDS`` order, and the new reasons
    ("from Thu 7 Jan: jumps paused (...)")."""

    groups: tuple[tuple[str, tuple[str, ...]], ...]
    reasons: tuple[str, ...]

    def lines(self) -> tuple[str, ...]:
        """'moved: Tue 12 Jan 18:00 → Wed 13 Jan 07:00, ...', 're-dosed: levels 1 → 0 on Thu 7
        Jan, Mon 11 Jan; 80 → 70 contacts on Sat 9 Jan', then the reasons."""
        return (*(f"{kind}: {('; ' if kind in BY_WHAT else ', ').join(items)}"
                  for kind, items in self.groups), *self.reasons)


def _day(plan: Plan, s: Session) -> str:
    return f"{s.start.astimezone(plan.tz):%a %-d %b}"


def _when(plan: Plan, s: Session) -> str:
    return f"{s.start.astimezone(plan.tz):%a %-d %b %H:%M}"


def _short(s: Session) -> str:
    return TYPES[s.session_type].short.lower()


def _levels(catalog: Catalog, s: Session) -> dict[str, int]:
    """The level of each strength exercise of the session, by exercise id."""
    found: dict[str, int] = {}
    for dose in s.exercises:
        exercise = catalog.of_dose(dose.name) if dose.kind == "strength" else None
        if exercise is not None:
            found[exercise.id] = dose.level
    return found


def _sets(catalog: Catalog, s: Session) -> dict[str, tuple[int, int | None, int | None]]:
    """Sets, reps and hold of each strength exercise of the session, by exercise id."""
    return {e.id: (d.sets, d.reps, d.hold_seconds) for d in s.exercises
            if d.kind == "strength" and (e := catalog.of_dose(d.name)) is not None}


def _dose_words(catalog: Catalog, old: Session, new: Session) -> str:
    """'80 → 70 contacts, levels 2 → 0': what differs, read from the stored doses."""
    if old.program_week != new.program_week:     # its doses follow from the block week
        return f"block week {old.program_week}{ARROW}{new.program_week}"
    parts = []
    if old.foot_contacts != new.foot_contacts:
        parts.append(f"{old.foot_contacts}{ARROW}{new.foot_contacts} contacts")
    was, now = _levels(catalog, old), _levels(catalog, new)
    shared = [k for k in was if k in now and was[k] != now[k]]
    moves = {(was[k], now[k]) for k in shared}
    if len(moves) == 1:
        (a, b), = moves
        parts.append(f"level{'s' if len(shared) > 1 else ''} {a}{ARROW}{b}")
    elif len({b for _, b in moves}) == 1:      # from several levels to one: "levels 2, 1 → 0"
        froms = ", ".join(str(a) for a in sorted({a for a, _ in moves}, reverse=True))
        parts.append(f"levels {froms}{ARROW}{next(iter(moves))[1]}")
    elif moves:
        way = ("down" if all(b < a for a, b in moves) else
               "up" if all(b > a for a, b in moves) else "changed")
        parts.append(f"levels {way}")
    if old.rpe != new.rpe:
        parts.append(f"effort {old.rpe}{ARROW}{new.rpe}")
    if not parts and old.minutes != new.minutes:
        parts.append(f"{old.minutes}{ARROW}{new.minutes} min")
    if not parts and any(_sets(catalog, old).get(k) not in (None, v)
                         for k, v in _sets(catalog, new).items()):
        parts.append("sets or reps")
    return ", ".join(parts) or "other doses"


def plan_changes(before: Plan, after: Plan, catalog: Catalog,
                 said: Collection[str] = ()) -> PlanChanges:
    """What ``after`` changed against ``before``, session by session (by UID): newly missed or
    planned again, moved (its start changed), changed (same start, another kind of session),
    added, dropped, re-dosed (same start and kind, other doses). A session whose start did not
    change is never "moved". ``said``: UIDs whose done/missed mark the command already said
    (the entry itself). A "done" mark is no change to the plan and is not said."""
    held = {s.uid: s for s in before.sessions}
    kept = {s.uid for s in after.sessions}
    groups: dict[str, list[str]] = {kind: [] for kind in KINDS}
    reasons: dict[str, Session] = {}
    alike: dict[str, dict[str, list[str]]] = {kind: {} for kind in BY_WHAT}
    for s in after.sessions:
        old = held.get(s.uid)
        if old is None:
            groups[ADDED_KIND].append(f"{_when(after, s)} {_short(s)}")
            continue
        if s.uid not in said and (old.status == MISSED) != (s.status == MISSED):
            groups[MISSED_KIND if s.status == MISSED else BACK_KIND].append(_day(after, s))
        if old.start != s.start:
            kind = "" if old.session_type == s.session_type else f" (now {_short(s)})"
            to = (f"{s.start.astimezone(after.tz):%H:%M}" if _day(before, old) == _day(after, s)
                  else _when(after, s))
            groups[MOVED_KIND].append(f"{_when(before, old)}{ARROW}{to}{kind}")
        elif old.session_type != s.session_type:
            alike[CHANGED_KIND].setdefault(f"{_short(old)}{ARROW}{_short(s)}", []).append(
                _day(after, s))
        elif (old.exercises, old.end, old.rpe) != (s.exercises, s.end, s.rpe):
            alike[REDOSED_KIND].setdefault(_dose_words(catalog, old, s), []).append(
                _day(after, s))
        for note in s.notes:
            if note not in old.notes:
                reasons.setdefault(note, s)
    for kind, days in alike.items():
        groups[kind] = [f"{what} on {', '.join(on)}" for what, on in days.items()]
    groups[DROPPED_KIND] = [f"{_when(before, s)} {_short(s)}" for s in before.sessions
                            if s.uid not in kept]
    return PlanChanges(
        tuple((kind, tuple(items)) for kind, items in groups.items() if items),
        tuple(f"from {_day(after, s)}: {note}" for note, s in reasons.items()))

