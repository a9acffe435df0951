"""Rerun issue 14's measurements on real plans, through the command line.

For beginner, intermediate and advanced athletes with 2-, 3- and 5-day weeks, 8 and 52 weeks:
`periodize generate` then `periodize export --format json`, and from the JSON alone:

- the largest week / rolling-4-week ratio, for jump contacts and strength volume (sets x reps),
  with the plan's starting base standing in before week 1 (the workload rule's own reading)
- the shortest gap from the end of a strength session to the start of a later jump session
- the shortest gap between two strength session starts
- booked session minutes against minutes recomputed from each session's sets, work and rest
- strength level resets: an exercise's level lower than in an earlier session

    python benchmarks/program_check.py            # all 18 plans (a few minutes on 2 cores)
    python benchmarks/program_check.py --quick    # 8 weeks only
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LEVELS = ("beginner", "intermediate", "advanced")
DAYS = {2: ("mon", "thu"), 3: ("mon", "wed", "fri"), 5: ("mon", "tue", "wed", "thu", "fri")}
SETUP_SECONDS = 60        # catalogue's setup_seconds, read below from the package to be sure


def profile_text(level: str, days: tuple[str, ...], weeks: int) -> str:
    windows = "\n".join(f'{d} = ["17:00-21:00"]' for d in days)
    return (f'name = "check {level} {len(days)}d {weeks}w"\ntimezone = "Europe/London"\n'
            f"start = 2027-01-04\nweeks = {weeks}\nlevel = \"{level}\"\nrest_days = []\n\n"
            f"[availability]\n{windows}\n")


def run(args: list[str], cwd: Path) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=cwd,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"periodize {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def plan_json(level: str, days: int, weeks: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        (where / "athlete.toml").write_text(profile_text(level, DAYS[days], weeks),
                                            encoding="utf-8")
        run(["--db", "store.db", "generate", "athlete.toml", "-o", "plan.ics"], where)
        data: dict[str, Any] = json.loads(run(["--db", "store.db", "export", "--format", "json"],
                                             where))
        return data


def strength_volume(session: dict[str, Any]) -> int:
    return sum(e["sets"] * (e["reps"] or 0) * (2 if e["per_side"] else 1)
               for e in session["exercises"] if e["kind"] == "strength")


def max_ratio(weekly: list[int], base: float) -> float:
    history = [base] * 4 + [float(v) for v in weekly]
    return max(v / (sum(history[i:i + 4]) / 4) for i, v in enumerate(weekly))


def needed_minutes(session: dict[str, Any]) -> int:
    """Minutes by block from the session's own doses: sets x (work x sides + rest) + setup."""
    blocks: dict[str, int] = {}
    for e in session["exercises"]:
        sides = 2 if e["per_side"] else 1
        seconds = e["sets"] * ((e["work_seconds"] or 0) * sides + (e["rest_seconds"] or 0))
        blocks[e["kind"]] = blocks.get(e["kind"], 0) + seconds + SETUP_SECONDS
    return sum(math.ceil(s / 60) for s in blocks.values())


def measure(data: dict[str, Any], bases: dict[str, float]) -> dict[str, Any]:
    sessions = sorted(data["sessions"], key=lambda s: dt.datetime.fromisoformat(s["start"]))
    weeks = data["plan"]["weeks"]

    def per_week(value: Any) -> list[int]:
        return [sum(value(s) for s in sessions if s["week"] == w) for w in range(1, weeks + 1)]

    def utc(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC)

    lifts = [s for s in sessions if "strength" in s["kinds"]]
    jumps = [s for s in sessions if "plyometrics" in s["kinds"]]
    after_strength = [(utc(j["start"]) - utc(s["end"])).total_seconds() / 3600
                      for s in lifts for j in jumps
                      if j is not s and utc(j["start"]) > utc(s["start"])]
    between = [(utc(b["start"]) - utc(a["start"])).total_seconds() / 3600
               for a, b in itertools.pairwise(lifts)]
    booked: dict[str, int] = {}
    largest: dict[str, int] = {}
    short = 0
    for s in sessions:
        need = needed_minutes(s)
        booked[s["type"]] = s["minutes"]
        largest[s["type"]] = max(largest.get(s["type"], 0), need)
        short += need > s["minutes"]
    seen: dict[str, int] = {}
    resets = 0
    for s in sessions:
        for e in s["exercises"]:
            if e["kind"] == "strength":
                key = e["name"].split(":")[0]
                resets += e["level"] < seen.get(key, -1)
                seen[key] = max(seen.get(key, -1), e["level"])
    return {
        "contacts_ratio": max_ratio(per_week(lambda s: s["foot_contacts"]), bases["contacts"]),
        "strength_ratio": max_ratio(per_week(strength_volume), bases["strength"]),
        "strength_to_jumps_h": min(after_strength, default=math.inf),
        "strength_gap_h": min(between, default=math.inf),
        "minutes": {t: (booked[t], largest[t]) for t in sorted(booked)},
        "too_short": short,
        "resets": resets,
        "top_levels": seen,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8-week plans only")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from catalog import default_catalog
    from planner.training.dosing import starting_base

    catalog = default_catalog()
    global SETUP_SECONDS
    SETUP_SECONDS = catalog.setup_seconds
    print(f"{'level':<12} {'days':>4} {'weeks':>5} {'contacts':>8} {'strength':>8} "
          f"{'S->J h':>7} {'S-S h':>6} {'minutes booked/largest need':<44} {'short':>5} "
          f"{'resets':>6}")
    worst: dict[str, float] = {"contacts": 0, "strength": 0, "s2j": math.inf, "s2s": math.inf,
                               "resets": 0, "short": 0}
    for weeks in (8,) if args.quick else (8, 52):
        for level in LEVELS:
            bases = {m: starting_base(catalog, level, m) for m in ("contacts", "strength")}
            for days in DAYS:
                m = measure(plan_json(level, days, weeks), bases)
                minutes = " ".join(f"{t} {b}/{n}" for t, (b, n) in m["minutes"].items())
                print(f"{level:<12} {days:>4} {weeks:>5} {m['contacts_ratio']:>8.2f} "
                      f"{m['strength_ratio']:>8.2f} {m['strength_to_jumps_h']:>7.1f} "
                      f"{m['strength_gap_h']:>6.1f} {minutes:<44} {m['too_short']:>5} "
                      f"{m['resets']:>6}")
                worst["contacts"] = max(worst["contacts"], m["contacts_ratio"])
                worst["strength"] = max(worst["strength"], m["strength_ratio"])
                worst["s2j"] = min(worst["s2j"], m["strength_to_jumps_h"])
                worst["s2s"] = min(worst["s2s"], m["strength_gap_h"])
                worst["resets"] += m["resets"]
                worst["short"] += m["too_short"]
    print(f"\nworst: week/rolling-4-week ratio {worst['contacts']:.2f} (contacts), "
          f"{worst['strength']:.2f} (strength); strength end -> jump start {worst['s2j']:.1f} h; "
          f"strength -> strength {worst['s2s']:.1f} h; sessions shorter than their doses "
          f"{worst['short']:.0f}; level resets {worst['resets']:.0f}")


if __name__ == "__main__":
    main()
