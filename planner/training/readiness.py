"""Readiness measured, not ticked, and outcomes over time (rules in ``catalog/clinical.toml``).

Measurement names (``periodize measure DATE NAME=VALUE ...``):
  hop.single.left / .right, hop.triple.*, hop.crossover.* (cm), hop.timed.* (s)
  stepdowns.left / .right   controlled step downs in a row (knee over the middle toes)
  sts.left / .right         single-leg sit-to-stands in a row (the baseline test)
  pain.ITEM                 pain 0-10 during a screen item (e.g. pain.hop); the worst counts
  psfs.ACTIVITY             a Patient-Specific Functional Scale rating 0-10 (e.g. psfs.stairs)
  kujala, koos_pf           questionnaire totals 0-100 (the items are not reproduced)

The gates are what the measurements open: two-legged jumps, single-leg and lateral drills, and
a return-to-sport suggestion for a physio to confirm. A lower symmetry never opens more."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from catalog.clinical import HOPS, ClinicalRules
from planner.errors import InputError

SIDES = ("left", "right")
_NAME = re.compile(r"^(hop\.(single|triple|crossover|timed)\.(left|right)|stepdowns\.(left|right)"
                   r"|sts\.(left|right)|pain\.[a-z][a-z0-9-]{0,29}|psfs\.[a-z][a-z0-9-]{0,29}|kujala|koos_pf)$")
ACCEPTED = ("hop.{single,triple,crossover,timed}.{left,right}, stepdowns.{left,right}, "
            "sts.{left,right}, pain.ITEM, psfs.ACTIVITY, kujala or koos_pf")


def _bounds(name: str) -> tuple[float, float, str]:
    if name.startswith("hop.timed."):
        return 0.5, 60.0, "seconds from 0.5 to 60"
    if name.startswith("hop."):
        return 1.0, 1000.0, "centimetres from 1 to 1000"
    if name.startswith(("stepdowns.", "sts.")):
        return 0.0, 50.0, "a whole number from 0 to 50"
    if name.startswith(("pain.", "psfs.")):
        return 0.0, 10.0, "a whole number from 0 to 10"
    return 0.0, 100.0, "a total from 0 to 100"


def parse_measures(pairs: Sequence[str], rules: ClinicalRules,
                   psfs_known: Sequence[str] = ()) -> dict[str, float]:
    """``["hop.single.left=150", ...]`` read strictly: each NAME=VALUE names a known measure and
    a value in its range; at most ``psfs_items`` PSFS activities over time (``psfs_known`` are
    those recorded before)."""
    values: dict[str, float] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip().lower()
        if not sep or not _NAME.match(name):
            raise InputError("MEASURE", pair, f"NAME=VALUE with NAME one of {ACCEPTED}")
        low, high, words = _bounds(name)
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        whole = not name.startswith("hop.")
        if not low <= value <= high or (whole and value != int(value)):
            raise InputError(name, raw.strip(), words)
        values[name] = value
    activities = {*psfs_known, *(n for n in values if n.startswith("psfs."))}
    if len(activities) > rules.psfs_items:
        raise InputError("psfs", ", ".join(sorted(activities)),
                         f"at most {rules.psfs_items} activities (Stratford 1995)")
    return values


def lsi(involved: float | None, uninvolved: float | None, more_is_better: bool) -> float | None:
    """Limb symmetry index, %: involved / uninvolved (a time: uninvolved / involved)."""
    if involved is None or uninvolved is None or min(involved, uninvolved) <= 0:
        return None
    return 100 * (involved / uninvolved if more_is_better else uninvolved / involved)


@dataclass(frozen=True)
class Readiness:
    lsi: Mapping[str, float | None]        # hop -> LSI % (None: not measured on both legs)
    two_leg: bool                          # two-legged jumps
    single_leg: bool                       # single-leg and lateral drills
    return_to_sport: bool                  # a suggestion a physio confirms
    why: tuple[str, ...]                   # what keeps a gate shut

    def gates(self) -> tuple[bool, bool, bool]:
        return self.two_leg, self.single_leg, self.return_to_sport


def readiness(values: Mapping[str, float], involved_side: str,
              rules: ClinicalRules) -> Readiness:
    """The gates one day's measurements open, for ``involved_side`` (left, right or both)."""
    why: list[str] = []
    pains = [v for n, v in values.items() if n.startswith("pain.")]
    steps = [values.get(f"stepdowns.{side}") for side in SIDES]
    if not pains:
        why.append("no pain recorded during the screen items")
    elif max(pains) > rules.two_leg_pain_max:
        why.append(f"pain {max(pains):.0f}/10 during a screen item, above "
                   f"{rules.two_leg_pain_max}")
    if any(s is None or s < rules.two_leg_stepdowns for s in steps):
        why.append(f"fewer than {rules.two_leg_stepdowns} controlled step downs on a leg")
    two_leg = not why
    indices: dict[str, float | None] = {}
    if involved_side in SIDES:
        other = SIDES[1 - SIDES.index(involved_side)]
        for hop in HOPS:
            indices[hop] = lsi(values.get(f"hop.{hop}.{involved_side}"),
                               values.get(f"hop.{hop}.{other}"), rules.hops[hop].more_is_better)
        single = indices["single"]
        single_leg = two_leg and single is not None and single >= rules.single_leg_lsi
        if two_leg and not single_leg:
            why.append("single-leg hop symmetry " + ("not measured" if single is None else
                       f"{single:.0f} %, below {rules.single_leg_lsi} %"))
        short = [h for h in HOPS if (indices[h] or 0.0) < rules.return_lsi]
        back = single_leg and not short
        if single_leg and short:
            why.append(f"hop battery below {rules.return_lsi} % or not measured: "
                       + ", ".join(short))
    else:
        # Both knees: no symmetry; the absolute criteria (pain and control) open single-leg work,
        # and return to sport is a physio's call (judgement call).
        single_leg, back = two_leg, False
        if two_leg:
            why.append("both knees involved: return to sport is for a physio to judge")
    return Readiness(indices, two_leg, single_leg, back, tuple(why))


def readiness_text(r: Readiness, rules: ClinicalRules) -> list[str]:
    lines = [f"  {rules.hops[h].text}: LSI {v:.0f} %" for h, v in r.lsi.items() if v is not None]
    mark = {True: "open", False: "not yet"}
    lines += [f"  two-legged jumps: {mark[r.two_leg]}",
              f"  single-leg and lateral drills: {mark[r.single_leg]}",
              "  return to sport: " + ("suggested (each hop >= "
                                       f"{rules.return_lsi} %; a physio confirms)"
                                       if r.return_to_sport else "not yet")]
    lines += [f"  ({reason})" for reason in r.why]
    return lines


def outcomes_text(measures: Sequence[tuple[dt.date, str, float]],
                  rules: ClinicalRules) -> list[str]:
    """PSFS mean, Kujala and KOOS-PF totals by date, first against last with the important
    change and its source."""
    lines: list[str] = []
    psfs: dict[dt.date, list[float]] = {}
    totals: dict[str, list[tuple[dt.date, float]]] = {"kujala": [], "koos_pf": []}
    for day, name, value in measures:
        if name.startswith("psfs."):
            psfs.setdefault(day, []).append(value)
        elif name in totals:
            totals[name].append((day, value))
    series = [("PSFS mean", [(d, sum(v) / len(v)) for d, v in sorted(psfs.items())],
               rules.psfs_mcid, "Stratford 1995"),
              ("Kujala", totals["kujala"], rules.kujala_mcid, "Crossley 2004"),
              ("KOOS-PF", totals["koos_pf"], rules.koos_pf_mcid, "")]
    for label, points, mcid, source in series:
        if not points:
            continue
        shown = ", ".join(f"{d:%-d %b} {v:.1f}" for d, v in points)
        line = f"{label}: {shown}"
        if len(points) > 1:
            change = points[-1][1] - points[0][1]
            line += f"; change {change:+.1f}"
            if mcid:
                line += (f", {'at or above' if abs(change) >= mcid else 'below'} the "
                         f"important change of {mcid:g} ({source})")
        lines.append(line)
    return lines
