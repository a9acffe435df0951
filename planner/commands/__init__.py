"""What each command does, as library functions: the CLI parses options, calls one of these and
prints the result. Nothing here reads the clock; callers pass ``now``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from catalog import Catalog, default_catalog
from planner.calendars.busy_sources import read_busy
from planner.calendars.export.formats import FORMATS, render, write_plan
from planner.errors import InputError
from planner.store.database import Current, Revision, open_store, retry_once
from planner.store.files import check_writable, write_atomic
from planner.store.intake import Intake
from planner.store.limits import Limits
from planner.store.plan import Plan, Session, Today
from planner.store.profile import Profile, load_profile
from planner.training.dosing import shortest_session

if TYPE_CHECKING:
    from planner.calendars.caldav_sync import SyncReport
    from planner.scheduling.solve import Progress as SolveProgress
    from planner.scheduling.solve import SolveStats
    from planner.training.plan_as_of import AsOf
    from planner.views.progress import Progress
    from planner.workflows.replan import Replanned


@dataclass(frozen=True)
class Generated:
    plan: Plan
    stats: SolveStats
    output: Path | None
    notes: tuple[str, ...] = ()     # lines worth showing, none an error (profile_notes)
    saved: bool = True        # False: the current revision already was this plan
    db: Path | None = None    # the store it went to (the example's own, for the example)


def read_profile(path: Path, catalog: Catalog, today: dt.date | None = None) -> Profile:
    return load_profile(path, shortest_session(catalog), today)


def generate(profile_path: Path, db: Path, output: Path | None, now: dt.datetime,
             busy: Sequence[Path] = (), progress: SolveProgress | None = None,
             example_db: Path | None = None) -> Generated:
    """Solve a plan for the profile, store it as a new revision and write its calendar.
    ``example_db``: where a profile marked ``example = true`` goes instead of ``db`` (the
    caller passes it when the user named no store)."""
    from planner.scheduling.checks import tests_left_out
    from planner.store.profile import profile_notes
    from planner.workflows.generate import hip_work_left_out, plan_athlete

    catalog = default_catalog()
    profile = read_profile(profile_path, catalog, now.date())
    away: tuple[str, ...] = ()
    if profile.example and example_db is not None:
        db = example_db
        away = (f"the example athlete has a store of its own ({_home_relative(db)}), so your "
                "own profile's `generate` goes to the default one; until then `today`, `done` "
                "and the rest use the example",)
    said: tuple[str, ...] = ()
    if profile.intake is not None:
        profile, said = triaged(profile, now.astimezone(profile.tz).date())
    if output is not None:
        check_writable(output)
    plan, stats, saved = plan_athlete(profile, catalog, db, output, now,
                                      f"generated from {profile_path.name}", busy, progress)
    today = now.astimezone(profile.tz).date()
    hip = hip_work_left_out(plan, profile, catalog)
    untested = tests_left_out(plan)
    notes = [*said, *profile_notes(profile, today), *([hip] if hip else []),
             *([untested] if untested else []), *away]
    return Generated(plan, stats, output, tuple(notes), saved, db)


def _home_relative(path: Path) -> str:
    """'~/.local/share/periodize/example.db' for a path in the home folder."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except (ValueError, RuntimeError):      # elsewhere, or no home folder known
        return str(path)


def athlete_name(profile: Profile, plan: Plan) -> str:
    """The athlete as every command names them: 'Sam', 'Sam (example)'."""
    return plan.name + (" (example)" if profile.example else "")


def athlete_head(db: Path) -> str:
    """What every command that reads or writes a plan says first: whose plan and which
    revision the store holds now, 'Sam · revision 3' (issue 24 §4)."""
    with open_store(db) as store:
        plan, profile = store.current()
    return f"{athlete_name(profile, plan)} · revision {plan.revision}"


def current_plan(db: Path) -> Plan:
    with open_store(db) as store:
        return store.current().plan


def _marked(db: Path) -> Current:
    """The current plan with the log's done/missed marks, and its profile."""
    with open_store(db) as store:
        plan, profile = store.current()
        return Current(store.marked(plan), profile)


def show(db: Path, week: int | None, fmt: str, today: Today, chart: bool = False,
         color: bool | None = None) -> str:
    """The plan as of ``today`` (``plan_as_of``: doses, and each session's state) as a calendar
    grid (one week: a table), a table, CSV or JSON, or its weekly load as a chart (CSV and
    JSON: each session's state and what was logged for it, as ``export`` writes them)."""
    from planner.training.plan_as_of import plan_as_of
    from planner.views.terminal_text import plan_view

    with open_store(db) as store:
        seen = plan_as_of(store, today)
    plan = seen.plan
    if week is not None and not 1 <= week <= plan.weeks:
        raise InputError("--week", week, f"a week from 1 to {plan.weeks}")
    return plan_view(plan, seen.profile, fmt, week, seen.day, chart, color, seen.states)


def athlete_progress(db: Path, today: Today) -> tuple[AsOf, Progress]:
    """The plan as of ``today`` (``plan_as_of``), and levels, effort and pain against the plan
    and the pain-monitoring limits, with what a physio reads first (red flags, pauses,
    screens, adjustments and their reasons)."""
    from catalog.monitoring import default_monitoring
    from planner.training.plan_as_of import plan_as_of
    from planner.views.progress import progress

    with open_store(db) as store:
        seen = plan_as_of(store, today)
    return seen, progress(seen.plan, seen.forecast, seen.log, default_catalog(),
                          default_monitoring(), seen.states, seen.day)


def report(db: Path, output: Path, today: Today) -> None:
    """Write the one-page HTML report (calendar, load chart, adherence, how it went, sessions)
    as of ``today``."""
    from planner.views.html_report import plan_report

    check_writable(output)
    seen, found = athlete_progress(db, today)
    html = plan_report(seen.plan, seen.profile, seen.day, default_catalog().safety_note, found,
                       seen.log.measures, seen.states)
    write_atomic(output, html.encode())


def status(db: Path, today: Today) -> str:
    """Adherence so far as of ``today`` (``plan_as_of``: a past session not logged is not
    done), what a physio reads first, each strength level by week against the plan, and
    logged effort and pain against the limits."""
    from planner.views.progress import progress_text
    from planner.views.terminal_text import adherence

    seen, found = athlete_progress(db, today)
    plan, profile = seen.plan, seen.profile
    said = adherence(plan, seen.states) + "\n\n" + progress_text(found)
    if profile.limits:
        said += "\n\nLimits set by your physio: " + ", ".join(profile.limits.words())
    outcomes = outcome_lines(db)
    if outcomes:
        said += "\n\nOutcomes:\n" + "\n".join(f"  {line}" for line in outcomes)
    tests = baseline_lines(db)
    if tests:
        said += "\n\nBaseline tests:\n" + "\n".join(f"  {line}" for line in tests)
    return said


def export(db: Path, output: Path | None, fmt: str, google: bool = False,
           today: Today | None = None) -> bytes:
    """Write the current plan as of ``today`` (``plan_as_of``; None: as stored, nothing past)
    to ``output`` (atomically), or return it for standard output. JSON and CSV carry each
    session's state with what was logged for it (``planner.store.as_of``)."""
    if fmt not in FORMATS:
        raise InputError("--format", fmt, "one of " + ", ".join(FORMATS))
    if google and fmt != "ics":
        raise InputError("--google", fmt, "--google goes with --format ics")
    from planner.calendars.export.log_links import store_links
    from planner.training.plan_as_of import hand_out, plan_as_of

    with open_store(db) as store:
        seen = plan_as_of(store, today)
        plan, profile, states = seen.plan, seen.profile, seen.states
        dropped = store.dropped(plan) if fmt == "ics" else ()
        links = store_links(store, plan.plan_id, profile) if fmt == "ics" else None
        if fmt == "ics":
            hand_out(store, seen)
    if output is not None:
        write_plan(plan, output, fmt, google, dropped, links=links, states=states)
        return b""
    return render(plan, fmt, google, dropped, links, states)


def record(db: Path, raw_days: Sequence[str], status: str, kind: str | None,
           now: dt.datetime) -> list[Session]:
    """Log sessions as done (as prescribed) or missed; see ``planner.commands.logbook`` for the
    rest."""
    from planner.commands import logbook

    logged = (logbook.done(db, raw_days, now) if status == "done"
              else logbook.missed(db, raw_days, kind, now))
    return list(logged.sessions)


@dataclass(frozen=True)
class Replan:
    plan: Plan
    saved: bool
    result: Replanned
    redosed: tuple[str, ...] = ()     # how the log re-dosed the new forecast, in words


def replan(db: Path, today: dt.date | None, profile_path: Path | None, output: Path | None,
           now: dt.datetime, keep_end: bool = False, busy: Sequence[Path] = ()) -> Replan:
    """Re-solve the future around what happened; store a new revision if anything changed.
    The new revision is saved only if no other command changed the store while this one solved
    (compare-and-swap); else the replan runs once more from the new state."""
    return retry_once(lambda: _replan(db, today, profile_path, output, now, keep_end, busy))


def _replan(db: Path, today: dt.date | None, profile_path: Path | None, output: Path | None,
            now: dt.datetime, keep_end: bool, busy: Sequence[Path]) -> Replan:
    from planner.workflows.replan import busy_range, check_day
    from planner.workflows.replan import replan as solve_again

    catalog = default_catalog()
    calendar: list[bytes] = []
    with open_store(db) as store:
        expect = store.changes()
        stored = profile = store.current().profile
        plan = store.forecast()      # replan the forecast; the log re-doses the result
        if profile_path is not None:
            profile = read_profile(profile_path, catalog, now.date())
            if profile.start != plan.start:
                raise InputError("--profile", str(profile_path), f"a profile with the plan's "
                                 f"start, {plan.start} (to start over, generate it in a new store: "
                                 "--db FILE)")
        # Before the plan starts, the clock's today is the plan's first day (no complaint
        # about a --today the user did not type).
        day = plan.today(today) if today is not None else max(plan.start, plan.today(now))
        check_day(plan, day)
        if output is not None:
            check_writable(output)
        intervals = read_busy(profile, busy, *busy_range(plan, day))
        result = solve_again(plan, profile, catalog, store.log(plan.plan_id), intervals,
                             max(day, plan.start), now, keep_end,
                             profile.to_dict() != stored.to_dict(), store.absences(plan.plan_id))
        from planner.commands.logbook import redose

        new, said, saved = redose(store, store.athlete_log(plan.plan_id), now,
                                  f"replanned on {day}", result.plan, profile, expect=expect,
                                  check=lambda final: calendar.append(render(final, "ics")))
        dropped = store.dropped(new)
        from planner.calendars.export.log_links import store_links

        links = store_links(store, new.plan_id, profile)
    if output is not None:
        from planner.workflows.generate import write_saved_plan

        write_saved_plan(new, saved, output, dropped,
                         calendar[-1] if calendar and not dropped and links is None else None,
                         links)
    return Replan(new, saved, result, said)


def marked_plan(db: Path) -> Plan:
    """The current plan with the log's done/missed marks."""
    return _marked(db).plan


def history(db: Path, include_undone: bool = False) -> list[Revision]:
    with open_store(db) as store:
        return store.history(include_undone)


def undo(db: Path, now: dt.datetime | None = None) -> Revision:
    """Return to the previous revision; the undone one is kept for ``redo``."""
    with open_store(db) as store:
        return store.undo(now)


def redo(db: Path, now: dt.datetime | None = None) -> Revision:
    """Bring back the revision the last undo set aside."""
    with open_store(db) as store:
        return store.redo(now)


def sync(db: Path, url: str, user: str, password: str, calendar: str | None,
         replace: bool = False, today: Today | None = None) -> SyncReport:
    """Make the CalDAV calendar hold exactly the current plan as of ``today`` (``plan_as_of``;
    one resource per session), touching only this plan's events; ``replace``: another plan's
    events there are replaced."""
    from planner.calendars.caldav_sync import sync_calendar
    from planner.calendars.export.ics import session_resources
    from planner.store.profile import plain_text

    if calendar is not None:
        plain_text(calendar, "--calendar")
    from planner.calendars.export.log_links import store_links
    from planner.training.plan_as_of import hand_out, plan_as_of

    with open_store(db) as store:
        seen = plan_as_of(store, today)
        plan = seen.plan
        links = store_links(store, plan.plan_id, seen.profile)
        hand_out(store, seen)
    resources = session_resources(plan, default_catalog().safety_note, links)
    return sync_calendar(resources, url=url, user=user, password=password,
                         calendar_name=calendar or f"periodize · {plan.name}",
                         plan_id=plan.plan_id, replace=replace)


def sync_google(db: Path, calendar: str | None, client_secret: Path | None,
                today: Today | None = None) -> SyncReport:
    """Make periodize's Google calendar hold exactly the current plan as of ``today``
    (``plan_as_of``; see google_sync): sign in (saved token, else browser consent), create the
    calendar on first use and remember it."""
    from planner.calendars.google_auth import require_extra

    require_extra()
    from planner.calendars import google_auth, google_sync
    from planner.calendars.export.log_links import store_links
    from planner.training.plan_as_of import hand_out, plan_as_of

    with open_store(db) as store:
        seen = plan_as_of(store, today)
        plan, profile = seen.plan, seen.profile
        links = store_links(store, plan.plan_id, profile)
        hand_out(store, seen)
        key = calendar or ""
        token = google_auth.token_path()
        http = google_sync.new_http()
        with google_sync.transport_errors(), google_auth.refresh_errors(token):
            creds = google_auth.load_credentials(token, client_secret, http)
            signed_in = creds.token
            service = google_sync.calendar_service(creds, http)
            calendar_id = google_sync.open_calendar(
                service, store.google_calendar(key), calendar or plan.calendar_name,
                plan.timezone, follow_name=calendar is None,
                remember=lambda found: store.remember_google_calendar(key, found))
            report = google_sync.GoogleSync(service, plan, default_catalog().safety_note,
                                            calendar_id, links).run()
        if creds.token != signed_in:         # refreshed during the sync: keep the new one
            google_auth.save_token(token, creds)
    return report


def feed_token(db: Path, new: str, renew: bool) -> tuple[Plan, str]:
    """The current plan and its feed token: the one it has, else (or with ``renew``) ``new``."""
    with open_store(db) as store:
        plan = store.current()[0]
        token = store.feed_token(plan.plan_id)
        if token is None or renew:
            store.set_feed_token(plan.plan_id, new)
            token = new
    return plan, token


# --- a physio's limits (issue 25) ---------------------------------------------------------------


@dataclass(frozen=True)
class LimitsSet:
    """What ``set_limits`` did: the limits now in force, the revision it made (None: nothing
    changed) and what re-dosing changed, in words."""

    limits: Limits
    revision: int | None
    changes: tuple[str, ...]
    note: str | None = None       # e.g. lifting "no jumps" from a plan made without jumps


def limits(db: Path) -> Limits:
    """The limits a physio set on the athlete's current plan (none: ``Limits()``)."""
    with open_store(db) as store:
        return store.current().profile.limits


def set_limits(db: Path, texts: Sequence[str], now: dt.datetime,
               expect: int | None = None) -> LimitsSet:
    """Replace the physio's limits with ``texts`` (e.g. ["no jumps", "contacts <= 80"]; empty:
    lift them all) and re-dose the current plan to obey them, as a new revision. ``expect``:
    the store's change count the caller saw (compare-and-swap, as the log commands)."""
    from planner.store.limits import parse_limits

    wanted = parse_limits(texts)
    return retry_once(lambda: _set_limits(db, wanted, now, expect))


def _set_limits(db: Path, wanted: Limits, now: dt.datetime, expect: int | None) -> LimitsSet:
    import dataclasses

    from planner.commands.logbook import redose

    with open_store(db) as store, store.transaction():
        plan, profile = store.current()
        if profile.limits == wanted:
            return LimitsSet(wanted, None, ())
        had_jumps = any("plyometrics" in s.kinds for s in store.forecast().sessions)
        words = ", ".join(wanted.words()) or "none"
        new, said, saved = redose(store, store.athlete_log(plan.plan_id), now,
                                  f"limits set by the physio: {words}",
                                  profile=dataclasses.replace(profile, limits=wanted),
                                  expect=expect)
    note = None
    if profile.limits.no_jumps and not wanted.no_jumps and not had_jumps:
        note = ("jumps are allowed again, but this plan was made without jump sessions: "
                "`periodize replan` or `generate` places them")
    return LimitsSet(wanted, new.revision if saved else None, said, note)


# --- intake and triage (issue 26) ---------------------------------------------------------------


def triaged(profile: Profile, today: dt.date) -> tuple[Profile, tuple[str, ...]]:
    """The profile as its intake's answers decide it (``planner.training.triage``): a red flag
    raises ``SeeADoctor`` (nothing is planned); otherwise the pathway (patellofemoral pain: hip
    work always asked for) and jumps held for a screen where a physio would hold them. Returns
    the profile and the line that says so."""
    import dataclasses

    from catalog.intake import default_intake
    from planner.errors import SeeADoctor
    from planner.training.triage import triage

    if profile.intake is None:
        return profile, ()
    rules = default_intake()
    found = triage(profile.intake, rules, today)
    if found.red_flags:
        raise SeeADoctor(found.message(rules))
    return dataclasses.replace(
        profile, cleared_to_jump=profile.cleared_to_jump and found.cleared_to_jump,
        hip_work=profile.hip_work or found.pathway == "patellofemoral",
    ), (found.message(rules),)


def intake_check(profile_path: Path, today: dt.date) -> str:
    """``periodize intake PROFILE`` on a profile with an ``[intake]`` table: the triage's one
    message (a red flag raises ``SeeADoctor``)."""
    profile = read_profile(profile_path, default_catalog())
    if profile.intake is None:
        raise InputError("intake", "(missing)", "an [intake] table in the profile, or answer "
                         "the questions in a terminal")
    return triaged(profile, today)[1][0]


def save_intake(profile_path: Path, answers: Intake) -> None:
    """Add the answers to the profile as its ``[intake]`` table (atomically; a profile that
    already has one is refused, unchanged)."""
    from planner.store.strict_toml import read_toml

    raw = read_toml(profile_path, "profile")
    if "intake" in raw:
        raise InputError("intake", profile_path.name, "a profile without an [intake] table "
                         "(edit the one it has)")
    text = profile_path.read_text(encoding="utf-8")
    write_atomic(profile_path, (text.rstrip("\n") + "\n\n" + answers.toml()).encode("utf-8"))


# --- measurements: readiness and outcomes (issue 26 §4, §5) -------------------------------------


def measure(db: Path, raw_day: str, pairs: Sequence[str], now: dt.datetime,
            today: Today | None = None) -> list[str]:
    """``measure DATE NAME=VALUE ...``: record what a physio measured on DATE (not after
    ``today``) and say what it opens (readiness) and how the outcomes moved."""
    from catalog.clinical import default_clinical
    from planner.commands.logbook import not_ahead, parse_day, redose
    from planner.training.readiness import parse_measures, readiness, readiness_text

    rules = default_clinical()
    day = parse_day(raw_day, "DATE")
    if not pairs:
        raise InputError("MEASURE", "(none)", "one or more NAME=VALUE")
    with open_store(db) as store:
        plan, profile = store.current()
        not_ahead(plan, day, raw_day, now if today is None else today)
        before = store.measures(plan.plan_id)
        values = parse_measures(pairs, rules, [n for _, n, _ in before if n.startswith("psfs.")])
        with store.transaction():
            rows = store.log_rows(plan.plan_id)
            store.record_measures(plan.plan_id, day, values, now)
            # The measured jump gates (catalog/gates.toml, kind "measured") and the baseline
            # test (catalog/baseline.toml) re-dose the plan; a revision in any case, so that
            # undo and redo reach the measurements as they reach a log entry.
            new, said, saved = redose(store, store.athlete_log(plan.plan_id), now,
                                      f"measured on {day}", always=True)
            store.keep_log_change(new.revision, rows, store.log_rows(plan.plan_id))
        taken = {n: v for d, n, v in store.measures(plan.plan_id) if d == day}
    lines = [f"measured on {day}: " + ", ".join(f"{n} {v:g}" for n, v in sorted(values.items()))]
    if saved and said:
        lines += [f"Re-dosed (revision {new.revision}):", *(f"  {line}" for line in said)]
    lines += baseline_lines(measures=[(day, n, v) for n, v in taken.items()])
    if any(n.startswith(("hop.", "stepdowns.", "pain.")) for n in taken):
        lines += [f"Readiness ({profile.involved_side} knee involved):",
                  *readiness_text(readiness(taken, profile.involved_side, rules), rules)]
    return lines + outcome_lines(db)


def baseline_lines(db: Path | None = None,
                   measures: Sequence[tuple[dt.date, str, float]] = ()) -> list[str]:
    """The baseline test days and the starting levels each gives (``catalog/baseline.toml``),
    from the store at ``db`` (every test so far) or from ``measures``."""
    from catalog import default_catalog
    from catalog.baseline import default_baseline
    from planner.training.baseline import baseline_text

    found = list(measures)
    if db is not None:
        with open_store(db) as store:
            found = store.measures(store.current().plan.plan_id)
    names = {e.id: e.name for e in default_catalog().of_kind("strength")}
    return baseline_text(found, default_baseline(), names)


def outcome_lines(db: Path) -> list[str]:
    """The outcome measures by date (PSFS, Kujala, KOOS-PF), for status and the report."""
    from catalog.clinical import default_clinical
    from planner.training.readiness import outcomes_text

    with open_store(db) as store:
        plan = store.current().plan
        found = store.measures(plan.plan_id)
    return outcomes_text(found, default_clinical())
