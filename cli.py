"""periodize: a thin click layer over ``planner``. Each command parses its options, calls one
library function, prints the result; errors become one line and an exit code, once, in
``handle_errors``. Heavy libraries (ortools, pandas, icalendar) load only in the commands
that use them."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from planner import __version__
from planner.errors import PeriodizeError

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(command: F) -> F:
    """Print a PeriodizeError as one line on stderr and exit with its code; no traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PeriodizeError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _interrupted()
        except ImportError as exc:   # Ctrl-C while a compiled extension (OR-Tools) was loading
            if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
                _interrupted()
            raise

    return wrapper  # type: ignore[return-value]


INTERRUPTED = ("Interrupted: the store and files hold the previous plan or the new one, never "
               "part of either.")


def _interrupted() -> NoReturn:
    """Every change is one transaction and every file is replaced whole, so whatever moment the
    Ctrl-C came at, the store and the files are either as before or wholly new."""
    click.echo(INTERRUPTED, err=True)
    sys.exit(130)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _db(ctx: click.Context) -> Path:
    db: Path | None = ctx.obj
    if db is not None:
        return db
    from planner.store import default_path

    return default_path()


class Periodize(click.Group):
    """The command group; a usage mistake (an unknown option, a bad value) is one line too."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.BadParameter as exc:
            # "--week: 'abc' is not a valid integer." (click's words name the value and what
            # would be accepted; the field goes first, as in every other error).
            field = exc.param.opts[0] if exc.param is not None and exc.param.opts else "value"
            click.echo(f"Error: {field}: {exc.message}", err=True)
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            path = exc.ctx.command_path if exc.ctx else "periodize"
            click.echo(f"Error: {exc.format_message()} (see `{path} --help`)", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)


@click.group(cls=Periodize, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="periodize")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), envvar="PERIODIZE_DB",
              help="Plan store (SQLite). Default: PERIODIZE_DB, else your user data folder.")
@click.pass_context
def main(ctx: click.Context, db: Path | None) -> None:
    """Turn your week into a periodized knee, quad and plyometric plan, in your calendar.

    \b
    Example:
      periodize generate examples/athlete.toml -o plan.ics
    """
    ctx.obj = db


@main.command()
@click.argument("profile", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("plan.ics"),
              show_default=True, help="Where to write the calendar (.ics).")
@click.option("--busy", type=click.Path(path_type=Path), multiple=True,
              help="Another .ics calendar whose events block time (repeatable).")
@click.pass_context
@handle_errors
def generate(ctx: click.Context, profile: Path, output: Path, busy: tuple[Path, ...]) -> None:
    """Solve a plan for PROFILE, store it and write its calendar.

    \b
    Example:
      periodize generate examples/athlete.toml -o plan.ics
    """
    from planner import commands
    from planner.views.terminal_text import week_summary

    def progress(seconds: float, best: float, bound: float) -> None:
        click.echo(f"  solving… {seconds:4.1f} s, best plan so far scores {best:.0f} "
                   f"(no plan can score below {bound:.0f})", err=True)

    result = commands.generate(profile, _db(ctx), output, _now(), busy, progress)
    click.echo(week_summary(result.plan))
    stats = result.stats
    quality = ("proven optimal" if stats.optimal
               else f"best found within the work limit, within {stats.gap:.1%} of optimal")
    click.echo(f"\n{len(result.plan.sessions)} sessions; {quality} in {stats.seconds:.2f} s. "
               f"Calendar: {output} (import it into a calendar of its own, named "
               f"\"{result.plan.calendar_name}\").")


def _today(raw: str | None) -> dt.date:
    """--today, or today in the local zone of this machine."""
    from planner.commands import parse_day

    return parse_day(raw, "--today") if raw else dt.date.today()


@main.command()
@click.option("--week", type=int, help="Only this week (1-based), as a table.")
@click.option("--format", "fmt", type=click.Choice(["grid", "table", "csv", "json"]),
              default="grid", show_default=True)
@click.option("--chart", is_flag=True, help="The weekly load as a chart instead.")
@click.option("--today", help="Mark this day (YYYY-MM-DD) as today.")
@click.pass_context
@handle_errors
def show(ctx: click.Context, week: int | None, fmt: str, chart: bool, today: str | None) -> None:
    """Show the current plan: a calendar grid, a table, CSV or JSON.

    \b
    Example:
      periodize show
      periodize show --week 3
      periodize show --chart
      periodize show --format json
    """
    from planner import commands

    text = commands.show(_db(ctx), week, fmt, _today(today), chart)
    click.echo(text, nl=fmt in ("grid", "table") or chart)


@main.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("plan.html"),
              show_default=True, help="Where to write the page.")
@click.option("--today", help="Mark this day (YYYY-MM-DD) as today.")
@click.pass_context
@handle_errors
def report(ctx: click.Context, output: Path, today: str | None) -> None:
    """Write a one-page HTML report: calendar, weekly load, adherence, every session.

    \b
    Example:
      periodize report -o plan.html
    """
    from planner import commands

    commands.report(_db(ctx), output, _today(today))
    click.echo(f"Wrote {output}")


@main.command()
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="File to write (atomically); standard output when left out.")
@click.option("--format", "fmt", type=click.Choice(["ics", "json", "csv"]), default="ics",
              show_default=True)
@click.option("--google", is_flag=True, help="UIDs of this revision only, for re-importing into "
              "Google Calendar after a replan (Google may refuse UIDs you deleted).")
@click.pass_context
@handle_errors
def export(ctx: click.Context, output: Path | None, fmt: str, google: bool) -> None:
    """Export the current plan as iCalendar, JSON or CSV.

    \b
    Example:
      periodize export -o plan.ics
      periodize export --google -o plan-google.ics
      periodize export --format csv > plan.csv
    """
    from planner import commands

    data = commands.export(_db(ctx), output, fmt, google)
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        click.echo(f"Wrote {output}")


@main.command()
@click.argument("name", required=False)
@handle_errors
def catalog(name: str | None) -> None:
    """List the exercises, or show one with its levels.

    \b
    Example:
      periodize catalog
      periodize catalog step-down
    """
    from catalog import default_catalog
    from planner.errors import InputError, closest
    from planner.views.terminal_text import catalog_list, exercise_detail

    cat = default_catalog()
    if name is None:
        click.echo(catalog_list(cat))
        return
    exercise = cat.find(name)
    if exercise is None:
        raise InputError("NAME", name, "an exercise id or name from `periodize catalog`"
                         + closest(name, [e.id for e in cat.exercises]))
    click.echo(exercise_detail(exercise))


def _record(ctx: click.Context, dates: tuple[str, ...], status: str, kind: str | None) -> None:
    from planner import commands

    for s in commands.record(_db(ctx), dates, status, kind, _now()):
        click.echo(f"{status}: {s.start:%a %-d %b %H:%M} (week {s.week})")
    click.echo("Run `periodize replan` to move the rest of the plan around it.")


KINDS = click.Choice(["plyometrics", "strength", "stretching"])


@main.command()
@click.argument("dates", nargs=-1, required=True)
@click.option("--kind", type=KINDS, help="Only if that date's session holds this kind.")
@click.pass_context
@handle_errors
def missed(ctx: click.Context, dates: tuple[str, ...], kind: str | None) -> None:
    """Record that the sessions on DATES (YYYY-MM-DD) were missed.

    \b
    Example:
      periodize missed 2027-01-13
      periodize missed 2027-01-13 --kind plyometrics
    """
    _record(ctx, dates, "missed", kind)


@main.command()
@click.argument("dates", nargs=-1, required=True)
@click.pass_context
@handle_errors
def done(ctx: click.Context, dates: tuple[str, ...]) -> None:
    """Record that the sessions on DATES (YYYY-MM-DD) were done.

    \b
    Example:
      periodize done 2027-01-11 2027-01-12
    """
    _record(ctx, dates, "done", None)


@main.command()
@click.option("--today", help="The day to replan from (YYYY-MM-DD); default: today in the "
              "plan's time zone.")
@click.option("--profile", "profile", type=click.Path(path_type=Path),
              help="Take availability from this edited profile.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("plan.ics"),
              show_default=True, help="Where to write the updated calendar.")
@click.option("--keep-end", is_flag=True, help="After a break, keep the end date (drop weeks) "
              "instead of extending the block.")
@click.option("--busy", type=click.Path(path_type=Path), multiple=True,
              help="Another .ics calendar whose events block time (repeatable).")
@click.pass_context
@handle_errors
def replan(ctx: click.Context, today: str | None, profile: Path | None, output: Path,
           keep_end: bool, busy: tuple[Path, ...]) -> None:
    """Move the rest of the plan around missed sessions or a new week.

    \b
    Example:
      periodize missed 2027-01-13
      periodize replan --today 2027-01-14
      periodize replan --profile athlete.toml   # e.g. no more Wednesdays
    """
    from planner import commands

    day = commands.parse_day(today, "--today") if today else None
    out = commands.replan(_db(ctx), day, profile, output, _now(), keep_end, busy)
    click.echo(out.result.resume.capitalize() + ".")
    if not out.saved:
        click.echo("No changes: the plan already fits.")
        return
    for change in out.result.changes:
        click.echo(f"  {change.text}")
    click.echo(f"\nRevision {out.plan.revision} written to {output}. Google Calendar: delete the "
               f"plan's calendar, run `periodize export --google -o plan-google.ics` and import "
               f"that into a new calendar named \"{out.plan.calendar_name}\". Apple, Outlook: "
               f"import {output}. CalDAV: `periodize sync` updates in place.")


@main.command()
@click.option("--today", help="Count sessions before this date (YYYY-MM-DD) as due.")
@click.pass_context
@handle_errors
def status(ctx: click.Context, today: str | None) -> None:
    """Show adherence so far: done, missed and planned per week and per kind.

    \b
    Example:
      periodize status
    """
    from zoneinfo import ZoneInfo

    from planner import commands
    from planner.views.terminal_text import adherence

    plan = commands.marked_plan(_db(ctx))
    day = (commands.parse_day(today, "--today") if today
           else _now().astimezone(ZoneInfo(plan.timezone)).date())
    click.echo(adherence(plan, day))


@main.command()
@click.pass_context
@handle_errors
def history(ctx: click.Context) -> None:
    """List the plan's revisions (* marks the current one).

    \b
    Example:
      periodize history
    """
    from planner import commands
    from planner.views.terminal_text import history_list

    click.echo(history_list(commands.history(_db(ctx))))


@main.command()
@click.pass_context
@handle_errors
def undo(ctx: click.Context) -> None:
    """Return to the previous revision of the plan.

    \b
    Example:
      periodize undo
    """
    from planner import commands

    revision = commands.undo(_db(ctx))
    click.echo(f"Back to revision {revision.number} ({revision.note}). "
               "Run `periodize export` to write its calendar.")


@main.command()
@click.option("--url", required=True, help="CalDAV address, e.g. https://dav.example/dav/")
@click.option("--user", required=True, help="CalDAV user name.")
@click.option("--calendar", help="Calendar name (created if missing). Default: periodize · NAME.")
@click.pass_context
@handle_errors
def sync(ctx: click.Context, url: str, user: str, calendar: str | None) -> None:
    """Push the plan to a CalDAV calendar; only what changed is sent.

    The password comes from PERIODIZE_CALDAV_PASSWORD or a prompt, never the command line.

    \b
    Example:
      PERIODIZE_CALDAV_PASSWORD=... periodize sync --url https://dav.example/ --user sam
    """
    import os

    from planner import commands

    password = os.environ.get("PERIODIZE_CALDAV_PASSWORD") or click.prompt(
        "CalDAV password", hide_input=True, default="", show_default=False)
    report = commands.sync(_db(ctx), url, user, password, calendar)
    click.echo(f"{len(report.created)} created, {len(report.updated)} updated, "
               f"{len(report.deleted)} deleted, {len(report.unchanged)} unchanged.")


@main.command()
@click.argument("roster", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("plans"), show_default=True,
              help="Folder for each athlete's store and calendar, and summary.csv.")
@click.option("--jobs", type=click.IntRange(min=1), help="Processes (default: the core count).")
@handle_errors
def batch(roster: Path, out_dir: Path, jobs: int | None) -> None:
    """Plan a whole roster: a CSV (one athlete a row) or a folder of profiles.

    CSV columns: name, timezone, start, level, weeks, rest_days ("sat;sun"), and mon..sun
    holding windows separated by ";" (e.g. "07:00-08:00;18:00-20:00").

    \b
    Example:
      periodize batch squad.csv -o plans --jobs 2
    """
    from planner.batch import run_batch

    with click.progressbar(length=0, label="Planning", show_pos=True) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        try:
            summary = run_batch(roster, out_dir, _now(), jobs, progress)
        except KeyboardInterrupt:
            click.echo("\nInterrupted: athletes already planned keep their files.", err=True)
            sys.exit(130)
    counts: dict[str, int] = {}
    for result in summary.results:
        counts[result.status] = counts.get(result.status, 0) + 1
    click.echo(", ".join(f"{n} {status}" for status, n in counts.items())
               + f" in {summary.seconds:.1f} s. Summary: {summary.summary_csv}")
    for result in summary.results:
        if result.reason:
            click.echo(f"  {result.athlete}: {result.status}: {result.reason}")


if __name__ == "__main__":
    main()
