"""One session in words: every exercise with its level, dose, rest between sets and cue, why the
log changed it, the guide's cramp advice and the safety note. The same text is the calendar
event's description and the body of ``periodize today``; lines fit 80 columns."""

from __future__ import annotations

import functools
import textwrap

from catalog import default_catalog
from catalog.monitoring import default_monitoring
from planner.identity_memo import IdentityMemo
from planner.store.plan import Dose, Session
from planner.training.session_types import BLOCK_HEADINGS, BLOCKS

WIDTH = 80


@functools.lru_cache(maxsize=4096)
def _wrap(text: str, first: str = "", rest: str = "") -> tuple[str, ...]:
    # Remembered: a roster's texts share most of their paragraphs (a dose's cue, the cramp
    # advice, the safety note), and textwrap is slow; the lines are a tuple, never changed.
    return tuple(textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest,
                               break_on_hyphens=False) or [first.rstrip()])


def rest_seconds(dose: Dose) -> int:
    """Rest between the sets of a dose: its own, or for a plan stored before doses carried it,
    the catalogue's for that exercise at that level (one source of rest: ``exercises.toml``)."""
    if dose.rest_seconds is not None:
        return dose.rest_seconds
    exercise = default_catalog().of_dose(dose.name)
    return exercise.at(dose.level).rest_seconds if exercise is not None else 0


def tempo_text(dose: Dose) -> str | None:
    """How a rep is paced, where the catalogue's level progresses by tempo (else None)."""
    exercise = default_catalog().of_dose(dose.name)
    return exercise.at(dose.level).tempo_text if exercise is not None else None


def dose_lines(dose: Dose, cue: bool = True) -> list[str]:
    """'- Step down · level 2: Step down from a 15 cm step', the dose with its rest, the cue."""
    name, _, level_name = dose.name.partition(": ")
    title = name
    if dose.kind in ("plyometrics", "strength"):
        title += f" · level {dose.level}" + (f": {level_name}" if level_name else "")
    amount = dose.describe()          # with the catalogue's rest after each set
    if dose.rest_seconds is None and dose.sets > 1 and rest_seconds(dose):   # stored before it
        amount += f", rest {rest_seconds(dose)} s between sets"
    tempo = tempo_text(dose)
    if tempo:
        amount += f"; tempo: {tempo}"
    return [*_wrap(title, "- ", "  "), *_wrap(amount, "  ", "  "),
            *(_wrap(dose.cue, "  ", "  ") if cue else ())]


def session_text(session: Session, safety_note: str) -> str:
    """The whole session: header, blocks in the order done, notes, cramp advice, safety."""
    # Looked up by the doses' identity first: hashing them by content for ``_text``'s cache was
    # most of the cost of a session's text (foot contacts follow from the doses).
    minutes, exercises = session.minutes, session.exercises
    return _TEXTS.get(exercises, (session.week, minutes, session.rpe, session.notes, safety_note),
                      lambda: _text(session.week, minutes, session.rpe, session.notes, exercises,
                                    session.foot_contacts, safety_note))


_TEXTS: IdentityMemo[str] = IdentityMemo()


@functools.lru_cache(maxsize=4096)
def _text(week: int, minutes: int, rpe: int, notes: tuple[str, ...], exercises: tuple[Dose, ...],
          foot_contacts: int, safety_note: str, short: bool = False) -> str:
    """Cached on everything the text is made of: in a roster most sessions share their text with
    another athlete's (the same level, week and type), and wrapping it is a sixth of the cost of
    an athlete's calendar (measured with ``benchmarks/run.py``). ``short``: without the cues
    and the cramp advice (the session's page has them)."""
    lines = [f"Week {week} · {minutes} min · effort {rpe}/10 (CR-10)"]
    if notes:
        lines += ["", "Adjusted from your log:"]
        for note in notes:
            lines += _wrap(note, "- ", "  ")
    for kind in BLOCKS:
        doses = [d for d in exercises if d.kind == kind]
        if doses:
            extra = f" ({foot_contacts} foot contacts)" if kind == "plyometrics" else ""
            lines += ["", BLOCK_HEADINGS[kind] + extra]
            for dose in doses:
                lines += dose_lines(dose, cue=not short)
    cramp = () if short else _wrap(default_monitoring().cramp)
    lines += ["", *cramp, *_wrap(f"Safety: {safety_note}")]
    return "\n".join(lines)


def short_session_text(session: Session, safety_note: str, url: str) -> str:
    """The session's essentials and its page: what to do (each exercise with its level and
    dose, why the log changed it), the safety note, then the link to the page that holds the
    rest (cues, rest timer, the log). A calendar event's description when ``periodize serve``
    has an address: a 52-week plan's .ics stays well under 1 MB."""
    return _text(session.week, session.minutes, session.rpe, session.notes, session.exercises,
                 session.foot_contacts, safety_note, short=True) + f"\n\nLog this session:\n{url}"
