"""The weekly workload rule [Gabbett 2016, Br J Sports Med 50:273-280]: a week's volume (jump
foot contacts, strength sets x reps) never exceeds 1.3 x the rolling average of the four weeks
before it, deloads and short weeks counted, weeks before the plan at a stated starting base.

One rule for every path that doses sessions: a fresh plan, a replan, and re-dosing from the
training log all cap their weeks through ``workload_caps``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

ACWR_LIMIT = 1.3     # [Gabbett 2016] acute:chronic workload ratio: sweet spot about 0.8-1.3
ACWR_WEEKS = 4       # [Gabbett 2016] chronic load: the rolling average of the last four weeks


def workload_ceiling(previous: Sequence[float], base: float) -> float:
    """The most a week may carry: ``ACWR_LIMIT`` x the average of the ``ACWR_WEEKS`` weeks
    before it (deloads and short weeks included). Weeks before the plan count as ``base``."""
    window = ([base] * ACWR_WEEKS + list(previous))[-ACWR_WEEKS:]
    return ACWR_LIMIT * sum(window) / ACWR_WEEKS


@dataclass(frozen=True)
class WeekLoad:
    """One calendar week as the workload rule sees it."""

    week: int
    program_week: int
    sessions: int          # sessions of this kind still to dose
    done: int = 0          # volume already done this week (a replan's past, a log)


def workload_caps(weeks: Sequence[WeekLoad], base: float,
                  per_session: Callable[[int, int | None], int]) -> dict[int, int]:
    """Per-session caps (week -> cap) that keep every week within ``workload_ceiling`` of the
    weeks before it, as actually dosed. ``per_session(program_week, cap)`` is one session's
    volume at a cap (never above it). Weeks whose template volume fits get no cap."""
    caps: dict[int, int] = {}
    history: list[float] = []
    for w in weeks:
        cap = (session_share(workload_ceiling(history, base), w.done, w.sessions,
                             functools.partial(per_session, w.program_week))
               if w.sessions else None)
        if cap is not None:
            caps[w.week] = cap
        total = w.done + w.sessions * per_session(w.program_week, cap) if w.sessions else w.done
        history.append(total)
    return caps


def session_share(ceiling: float, done: int, sessions: int,
                  per_session: Callable[[int | None], int]) -> int | None:
    """One session's cap when ``sessions`` more share what is left of a week's ``ceiling``
    after ``done``; None when they fit uncapped (``per_session(cap)``: one session's volume)."""
    if done + sessions * per_session(None) <= ceiling:
        return None
    return max(0, int(ceiling) - done) // sessions


def workload_ratios(volumes: Sequence[float], base: float) -> list[float]:
    """Each week's volume over the rolling average of the ``ACWR_WEEKS`` before it."""
    return [volume / (workload_ceiling(volumes[:i], base) / ACWR_LIMIT)
            for i, volume in enumerate(volumes)]
