"""Weekly jump volume never jumps: at most a third over the last full (non-deload) week."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from factories import NOW, make_profile
from icalendar import Calendar, Event

from catalog import default_catalog
from planner.busy_sources import read_busy
from planner.dosing import RAMP, RampWeek, ramp_caps, session_doses
from planner.generate import build_plan
from planner.plan import Plan

LONDON = ZoneInfo("Europe/London")
EVENINGS = {d: ["18:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}


def weekly_contacts(plan: Plan) -> dict[int, int]:
    return {w: sum(s.foot_contacts for s in plan.week_sessions(w))
            for w in range(1, plan.weeks + 1)}


def test_no_cap_when_the_template_ramp_fits() -> None:
    weeks = [RampWeek(w, w, 3 if w in (3, 5, 6, 7) else 2, 0, 0) for w in range(1, 9)]
    assert ramp_caps(default_catalog(), "beginner", weeks) == {}


def test_a_short_week_caps_the_next_one_and_the_block_climbs_back() -> None:
    # Week 2 had one jump session of 80 contacts instead of two: week 3 may reach 106.
    weeks = [RampWeek(*w) for w in ((1, 1, 2, 0, 0), (2, 2, 1, 0, 0), (3, 3, 3, 0, 0),
                                    (4, 4, 2, 0, 0), (5, 5, 3, 0, 0))]
    caps = ramp_caps(default_catalog(), "beginner", weeks)
    assert caps[3] == int(RAMP * 80) // 3
    assert 4 not in caps or 2 * caps[4] <= RAMP * 3 * caps[3]


def test_missed_contacts_keep_the_reference_but_not_the_weeks_own_volume() -> None:
    # Week 2: 80 done and 80 missed. Week 3 is measured against 160, not 80.
    assert ramp_caps(default_catalog(), "beginner",
                     [RampWeek(2, 2, 0, 80, 80), RampWeek(3, 3, 3, 0, 0)]) == {}
    # The current week: 80 done, 2 sessions to come, reference 120 -> 80 more at most.
    assert ramp_caps(default_catalog(), "beginner",
                     [RampWeek(1, 1, 2, 0, 0), RampWeek(2, 2, 2, 80, 0)],
                     ) == {2: (int(RAMP * 120) - 80) // 2}


def test_a_capped_session_never_rounds_above_its_cap() -> None:
    catalog = default_catalog()
    for program_week in range(1, 9):
        for cap in range(30, 101, 7):
            doses = session_doses(catalog, "beginner", program_week, "jumps", True, cap)
            assert sum(d.foot_contacts or 0 for d in doses) <= cap


def _busy_week(tmp_path: Path) -> Path:
    """Every weekday evening of week 2 (11-15 Jan 2027) taken: only Saturday is left."""
    stamp = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    events = [Event.new(uid=f"late-{d}@example.org", stamp=stamp, summary="Late shift",
                        start=dt.datetime(2027, 1, d, 17, 0, tzinfo=LONDON),
                        end=dt.datetime(2027, 1, d, 22, 0, tzinfo=LONDON))
              for d in range(11, 16)]
    calendar = Calendar.new(prodid="-//tests//EN", uid="busy-week", subcomponents=events)
    calendar.add_missing_timezones()
    path = tmp_path / "shifts.ics"
    path.write_bytes(calendar.to_ical())
    return path


def test_the_week_after_a_short_week_ramps_back_gradually(tmp_path: Path) -> None:
    catalog = default_catalog()
    profile = make_profile(availability=EVENINGS, plyometrics={"sessions_per_week": [1, 3]},
                           strength={"sessions_per_week": [1, 3]})
    free = weekly_contacts(build_plan(profile, catalog, [], NOW)[0])
    shifts = _busy_week(tmp_path)
    busy = read_busy(profile, [shifts])
    short = weekly_contacts(build_plan(profile, catalog, busy, NOW)[0])

    assert short[2] < free[2], "the shifts must shorten week 2"
    assert free[3] > RAMP * short[2], "without the ramp, week 3 would jump"
    reference = short[1]
    for week in range(2, 9):
        assert short[week] <= RAMP * reference, week
        if week != 4:          # the deload week is not a reference: coming back from it is planned
            reference = short[week]
