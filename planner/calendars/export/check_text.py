"""What a check's event says (``Plan.checks``): the baseline test, what to do and how to record
it; the PSFS check-in, what to rate and how to record it. One text for every calendar (.ics,
the feed, CalDAV and Google)."""

from __future__ import annotations

from planner.store.plan import BASELINE, Session


def check_summary(check: Session) -> str:
    """'Baseline test · week 5', 'PSFS check-in · week 3'."""
    if check.session_type == BASELINE:
        return "Baseline test · " + (f"week {check.week}" if check.week else "before week 1")
    return f"PSFS check-in · week {check.week}"


def check_description(check: Session, url: str | None) -> str:
    """The check in words; with ``url`` (the page that records it), a last line linking to
    it."""
    from catalog.baseline import default_baseline

    day = check.start.date()
    if check.session_type == BASELINE:
        test = default_baseline()
        when = f"Week {check.week}" if check.week else "Before week 1"
        lines = [f"{when} · about {test.minutes} min · a test, not a workout",
                 "It sets where each knee exercise starts; later tests move them down if "
                 "worse. Go by control, not effort: stop an item at the first rep that breaks "
                 "form or hurts more than 3/10.", ""]
        lines += [f"{n}. {step}" for n, step in enumerate(test.steps, 1)]
        lines += ["", "Record the results (the names in brackets):",
                  f"periodize measure {day} stepdowns.left=N stepdowns.right=N sts.left=N "
                  "sts.right=N pain.squat=N"]
    else:
        lines = ["Patient-Specific Functional Scale, every two weeks (Stratford 1995).",
                 "Rate each activity your knee limits that you named at the start (up to "
                 "five): 0 = cannot do it, 10 = as well as before the knee trouble.", "",
                 "Record them with the same names as before, e.g.:",
                 f"periodize measure {day} psfs.stairs=N psfs.running=N"]
    if url is not None:
        lines += ["", f"Record it on your page:\n{url}"]
    return "\n".join(lines)
