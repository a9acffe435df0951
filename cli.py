"""periodize: a thin click layer over ``planner``. Each command parses its options, calls one
library function, prints the result; errors become one line and an exit code, once, in
``handle_errors``. Heavy libraries (ortools, pandas, icalendar) load only in the commands
that use them."""

from __future__ import annotations

import datetime as dt
import functools
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, overload

import click

from planner import __version__
from planner.errors import PeriodizeError

if TYPE_CHECKING:
    from planner.calendars.caldav_sync import SyncReport
    from planner.commands.logbook import Logged
    from planner.store.intake import Intake
    from planner.store.plan import Session

F = TypeVar("F", bound=Callable[..., Any])


INTERRUPTED = ("Interrupted: the store and files hold the previous plan or the new one, never "
               "part of either.")


@overload
def handle_errors(command: F) -> F: ...
@overload
def handle_errors(*, interrupted: str) -> Callable[[F], F]: ...
def handle_errors(command: F | None = None, *, interrupted: str = INTERRUPTED) -> Any:
    """Print a PeriodizeError as one line on stderr and exit with its code; no traceback. A
    Ctrl-C (or SIGTERM, SIGHUP) prints ``interrupted`` and exits with the signal's code. Use as
    ``@handle_errors`` or ``@handle_errors(interrupted="...")``."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except PeriodizeError as exc:
                click.echo(f"Error: {exc}", err=True)
                sys.exit(exc.exit_code)
            except KeyboardInterrupt as exc:
                _interrupted(exc, interrupted)
            except ImportError as exc:   # Ctrl-C while a compiled extension (OR-Tools) loaded
                cause = exc.__cause__ or exc.__context__
                if isinstance(cause, KeyboardInterrupt):
                    _interrupted(cause, interrupted)
                raise

        return wrapper  # type: ignore[return-value]

    return decorate(command) if command is not None else decorate


def _interrupted(exc: KeyboardInterrupt, message: str = INTERRUPTED) -> NoReturn:
    """Every change is one transaction and every file is replaced whole, so whatever moment the
    Ctrl-C (or SIGTERM, SIGHUP) came at, the store and the files are either as before or wholly
    new. ``message`` starts "Interrupted: "; a signal other than Ctrl-C is named instead."""
    if isinstance(exc, Terminated):
        head, _, rest = message.partition("Interrupted: ")
        message = f"{head}Stopped by {exc.name}: {rest}"
    click.echo(message, err=True)
    # The stop is said; a half-read HTTP response finalised at shutdown (urllib3's __del__
    # after a sync was stopped mid-request) must not print "Exception ignored" after it.
    sys.unraisablehook = lambda unraisable: None
    sys.exit(_exit_code(exc))


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, as Python raises KeyboardInterrupt for
    SIGINT: one path ends every command cleanly (store rolled back, files whole, batch workers
    ended). The exit code is the shell's for that signal, 128 + its number (143, 129)."""

    def __init__(self, signum: int) -> None:
        import signal

        super().__init__(signum)
        self.name = signal.Signals(signum).name
        self.exit_code = 128 + signum


def _exit_code(exc: KeyboardInterrupt) -> int:
    return exc.exit_code if isinstance(exc, Terminated) else 130


def _terminate(signum: int, frame: object) -> None:
    import signal

    for name in _ENDING:     # one is enough: the clean-up that follows is not interrupted again
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    raise Terminated(signum)


_ENDING = [name for name in ("SIGTERM", "SIGHUP") if hasattr(__import__("signal"), name)]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _db(ctx: click.Context) -> Path:
    """The store named (--db, PERIODIZE_DB), else the default one; while that holds no plan
    and the example athlete's store does, the example's (every command names whose plan it
    reads: ``_named``)."""
    db: Path | None = ctx.obj
    if db is not None:
        return db
    from planner.store.database import default_path, example_path

    default = default_path()
    try:
        if not default.exists() and example_path().exists():
            return example_path()
    except OSError:          # the store's own opening says what is wrong with the folder
        pass
    return default


def _named(db: Path, lines: Sequence[str], err: bool = False, alone: bool = False) -> None:
    """Print ``lines``, the first after whose plan it is: 'Sam · revision 3 · done: ...'
    (issue 24 §4); ``alone``: on a line of its own, above a table. ``err``: the lines go to
    standard error (the data itself is on stdout)."""
    from planner import commands

    head = commands.athlete_head(db)
    first, *rest = ["", *lines] if alone else [*lines] or [""]
    click.echo(f"{head} · {first}" if first else head, err=err)
    for line in rest:
        click.echo(line, err=err)


def _db_after(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.obj = value


#: Commands that do not use the plan store (no --db after them).
_NO_STORE = frozenset({"catalog", "batch"})


if TYPE_CHECKING:
    _IntParam = click.ParamType[int]
else:   # generic from click 8.2 only
    _IntParam = click.ParamType


class AsciiInt(_IntParam):
    """A whole number in ASCII digits: click's int (Python's) also takes "٣" or "３" as 3, where
    dates take 0-9 only."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None,
                ) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not (digits.isascii() and digits.isdigit()):
            self.fail(f"{value!r} is not a whole number in digits 0-9", param, ctx)
        return int(text)


ASCII_INT = AsciiInt()


class Described(click.Argument):
    """An argument with a few words on what it is, said when it is missing."""

    def __init__(self, *args: Any, help: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = help


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    """A date written YYYY-MM-DD, refused in the words of every other bad date."""
    if value is None:
        return None
    from planner.commands.logbook import parse_day
    from planner.errors import InputError

    try:
        return parse_day(value, "DATE")
    except InputError as exc:
        raise click.BadParameter(str(exc).removeprefix(f"{exc.field}: "), ctx, param) from None


# -- options shared by several commands (one declaration, one meaning) ------------------------
def today_option(command: F) -> F:
    """``--today``: the day to take as today, for every command that has one."""
    return click.option(
        "--today", callback=_date, metavar="YYYY-MM-DD",
        help="The day to take as today (default: today in the plan's time zone).")(command)


def output_option(default: Path | None, help: str, name: str = "output",
                  folder: bool = False) -> Callable[[F], F]:
    """``-o/--output``: where the command writes (a file, or a folder with ``folder``)."""
    return click.option("-o", "--output", name,
                        type=click.Path(path_type=Path, file_okay=not folder),
                        default=default, show_default=default is not None, help=help)


def busy_option(command: F) -> F:
    """``--busy``: more calendars whose events block time."""
    return click.option("--busy", type=click.Path(path_type=Path), multiple=True,
                        help="Another .ics calendar whose events block time (repeatable).",
                        )(command)


class FolderOrUrl(click.Path):
    """A folder path, or an fsspec URL (``s3://bucket/plans``) kept as text: ``batch -o``."""

    name = "folder or URL"

    def __init__(self) -> None:
        super().__init__(path_type=Path, file_okay=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None,
                ) -> Any:
        from planner.store.shared_folder import is_url

        if isinstance(value, str) and is_url(value):
            return value
        return super().convert(value, param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "DIR|URL"


class Periodize(click.Group):
    """The command group; a usage mistake (an unknown option, a bad value) is one line too.
    ``--db`` is accepted before the command and after it (``periodize show --db s.db``); after
    it, it wins."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if (name or cmd.name) not in _NO_STORE:
            cmd.params.append(click.Option(
                ["--db"], type=click.Path(path_type=Path, dir_okay=False), expose_value=False,
                callback=_db_after, help="Plan store (SQLite), as `periodize --db PATH`."))
        super().add_command(cmd, name)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        import signal
        import threading

        kwargs["standalone_mode"] = False
        handled = threading.current_thread() is threading.main_thread()
        previous = {name: signal.signal(getattr(signal, name), _terminate)
                    for name in (_ENDING if handled else [])}
        try:
            return super().main(*args, **kwargs)
        except click.MissingParameter as exc:
            # "Error: missing PROFILE (the profile .toml file to plan); usage: periodize
            # generate [OPTIONS] PROFILE" - what is missing and how the command is called.
            what = exc.param.human_readable_name if exc.param is not None else "a value"
            hint = f" ({exc.param.help})" if isinstance(exc.param, Described) else ""
            usage = exc.ctx.get_usage().removeprefix("Usage: ") if exc.ctx else "periodize"
            click.echo(f"Error: missing {what}{hint}; usage: {usage}", err=True)
            sys.exit(exc.exit_code)
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
        except UnicodeEncodeError as exc:
            # A path argument holding a lone surrogate (only from within Python: the system's
            # own arguments decode with surrogateescape), met by click's checks of the path.
            shown = ascii(exc.object) if isinstance(exc.object, str) else "a value"
            click.echo(f"Error: {shown} is not accepted; a path this system can store (it "
                       "holds a character that is not text: a lone surrogate)", err=True)
            sys.exit(2)
        finally:
            for name, handler in previous.items():
                signal.signal(getattr(signal, name), handler)


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
@click.argument("profile", type=click.Path(path_type=Path), cls=Described,
                help="the profile .toml file to plan from")
@output_option(Path("plan.ics"), "Where to write the calendar (.ics).")
@busy_option
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

    explicit = ctx.obj is not None
    from planner.store.database import default_path, example_path

    result = commands.generate(profile, _db(ctx) if explicit else default_path(), output, _now(),
                               busy, progress, None if explicit else example_path())
    if not result.saved:
        click.echo(f"No changes: revision {result.plan.revision} already is this plan. "
                   f"Calendar: {output}")
        return
    click.echo(week_summary(result.plan))
    stats = result.stats
    quality = ("proven optimal" if stats.optimal
               else f"best found in the time limit, within {stats.gap:.1%} of optimal")
    click.echo(f"\n{len(result.plan.sessions)} sessions; {quality} in {stats.seconds:.2f} s. "
               f"Calendar: {output} (import it into a calendar of its own, named "
               f"\"{result.plan.calendar_name}\").")
    for note in result.notes:
        click.echo(f"Note: {note}")


@main.command()
@click.option("--week", type=int, help="Only this week (1-based), as a table.")
@click.option("--format", "fmt", type=click.Choice(["grid", "table", "csv", "json"]),
              default="grid", show_default=True)
@click.option("--chart", is_flag=True, help="The weekly load as a chart instead.")
@today_option
@click.pass_context
@handle_errors
def show(ctx: click.Context, week: int | None, fmt: str, chart: bool,
         today: dt.date | None) -> None:
    """Show the current plan: a calendar grid, a table, CSV or JSON.

    \b
    Example:
      periodize show
      periodize show --week 3
      periodize show --chart
      periodize show --format json
    """
    from planner import commands

    text = commands.show(_db(ctx), week, fmt, today or _now(), chart)
    if fmt in ("grid", "table") or chart:
        _named(_db(ctx), text.splitlines(), alone=True)
    else:                # the data on stdout as it is; whose plan on stderr
        _named(_db(ctx), [f"the plan as {fmt.upper()}"], err=True)
        click.echo(text, nl=False)


@main.command()
@output_option(Path("plan.html"), "Where to write the page.")
@today_option
@click.pass_context
@handle_errors
def report(ctx: click.Context, output: Path, today: dt.date | None) -> None:
    """Write a one-page HTML report: calendar, load, adherence, levels and pain, every session.

    A past session with no word counts as done as prescribed, as in `periodize status` and
    `periodize replan`; the report says how many of those there are.

    \b
    Example:
      periodize report -o plan.html
    """
    from planner import commands

    commands.report(_db(ctx), output, today or _now())
    _named(_db(ctx), [f"Wrote {output}"])


@main.command()
@output_option(None, "File to write (atomically); standard output when left out.")
@click.option("--format", "fmt", type=click.Choice(["ics", "json", "csv"]), default="ics",
              show_default=True)
@click.option("--google", is_flag=True, help="UIDs of this revision only, for re-importing into "
              "Google Calendar after a replan (Google may refuse UIDs you deleted).")
@today_option
@click.pass_context
@handle_errors
def export(ctx: click.Context, output: Path | None, fmt: str, google: bool,
           today: dt.date | None) -> None:
    """Export the current plan as iCalendar, JSON or CSV.

    \b
    Example:
      periodize export -o plan.ics
      periodize export --google -o plan-google.ics
      periodize export --format csv > plan.csv
    """
    from planner import commands

    data = commands.export(_db(ctx), output, fmt, google, today or _now())
    if output is None:   # the data on stdout as it is; whose plan on stderr
        _named(_db(ctx), [f"the plan as {fmt.upper()}"], err=True)
        click.echo(data.decode("utf-8"), nl=False)
    else:
        _named(_db(ctx), [f"Wrote {output}"])


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


#: Above what a log entry changed ahead (the revision is named in the first line).
REDOSED = "Re-dosed (`periodize export` or `sync` updates your calendar):"


def _said(logged: Logged) -> list[str]:
    """What the entry replaced (one line per day), then how it changed future doses."""
    lines = list(logged.replaced)
    if logged.revision is None:
        return [*lines, f"No change to the doses ahead: {logged.why}." if logged.why
                else "No change to the doses ahead."]
    return [*lines, *_changes(REDOSED, logged.changes)]


def _changes(heading: str, changes: Sequence[str]) -> list[str]:
    """A heading and the changes under it, wrapped to 80 columns."""
    return [heading, *(textwrap.fill(line, 80, initial_indent="  ", subsequent_indent="    ")
                       for line in changes)]


KINDS = click.Choice(["plyometrics", "strength", "stretching"])
DATES_HELP = "one or more session dates, YYYY-MM-DD"


@main.command()
@click.argument("dates", nargs=-1, required=True, cls=Described, help=DATES_HELP)
@click.option("--kind", type=KINDS, help="Only if that date's session holds this kind.")
@click.option("--cancel", is_flag=True, help="Take back an absence recorded ahead: its days "
              "after today are free again.")
@today_option
@click.pass_context
@handle_errors
def missed(ctx: click.Context, dates: tuple[str, ...], kind: str | None, cancel: bool,
           today: dt.date | None) -> None:
    """Record that the sessions on DATES (YYYY-MM-DD, or START..END for an absence) were missed.

    A date after today records a known absence: `replan` moves its session to another day and
    keeps that day free. `--cancel` takes such an absence back.

    \b
    Example:
      periodize missed 2027-01-13
      periodize missed 2027-01-13 --kind plyometrics
      periodize missed 2027-01-18..2027-01-24
      periodize missed 2027-01-18..2027-01-24 --cancel
    """
    from planner.commands import logbook

    if cancel:
        if kind is not None:
            from planner.errors import InputError

            raise InputError("--kind", kind, "no --kind with --cancel (an absence is whole days)")
        _named(_db(ctx), _cancelled(logbook.cancel_absence(_db(ctx), dates, _now(), today)))
        return
    logged = logbook.missed(_db(ctx), dates, kind, _now(), today)
    lines = [f"missed: {s.start:%a %-d %b %H:%M} (week {s.week}{_was(logged, s, 'missed')})"
             for s in logged.sessions]
    if logged.revision is not None or logged.replaced:
        lines += _said(logged)
    if logged.away:
        lines.append(f"{len(logged.away)} day{'s' if len(logged.away) > 1 else ''} ahead "
                     "recorded as away: `periodize replan` keeps them free of sessions.")
    _named(_db(ctx), [*lines, "Run `periodize replan` to move the rest of the plan around it."])


def _cancelled(logged: Logged) -> list[str]:
    """What ``missed --cancel`` did, in one line, then how the plan changed."""
    from planner.commands.logbook import day_runs

    days = len(logged.freed)
    sessions = len(logged.sessions)
    line = (f"Absence cancelled: {', '.join(day_runs(logged.freed))} ({days} "
            f"day{'s' if days > 1 else ''}) free again; {sessions} session"
            f"{'s' if sessions != 1 else ''} there planned again.")
    if logged.revision is None:
        return [line]
    return [line, *_changes(REDOSED, logged.changes)]


def _was(logged: Logged, session: Session, status: str) -> str:
    """'; it was marked done, now missed' when the entry changed an earlier one."""
    earlier = logged.earlier.get(session.start.date())
    return f"; it was marked {earlier}, now {status}" if earlier else ""


@main.command()
@click.argument("dates", nargs=-1, required=True, cls=Described, help=DATES_HELP)
@click.option("--rpe", type=ASCII_INT, help="Session effort, 0-10 (CR-10; the plan's target is in "
              "the session text).")
@click.option("--pain", type=ASCII_INT, help="Worst knee or thigh pain during the session, 0-10.")
@click.option("--not-met", "not_met", multiple=True, metavar="ID",
              help="An exercise whose level rule was NOT met (repeatable; `all` for every one).")
@today_option
@click.pass_context
@handle_errors
def done(ctx: click.Context, dates: tuple[str, ...], rpe: int | None, pain: int | None,
         not_met: tuple[str, ...], today: dt.date | None) -> None:
    """Record that the sessions on DATES (YYYY-MM-DD) were done, and how one went.

    Without options: done as prescribed, every level rule met. Future doses follow the log:
    a level moves up after its rule was met twice in a row; pain above 5/10 eases the next
    sessions; 7/10 or more pauses jumps (see docs/logging.md, the pain-monitoring model).

    \b
    Example:
      periodize done 2027-01-11 2027-01-12
      periodize done 2027-01-13 --rpe 6 --pain 3 --not-met step-down
    """
    from planner.commands import logbook

    logged = logbook.done(_db(ctx), dates, _now(), rpe, pain, not_met, today)
    how = [f"effort {rpe}/10" if rpe is not None else "", f"pain {pain}/10" if pain is not None
           else "", "rule not met: " + ", ".join(logbook.not_met_ids(logged.sessions[0], not_met))
           if not_met else ""]
    extra = "; ".join(h for h in how if h)
    _named(_db(ctx), [
        f"done: {s.start:%a %-d %b %H:%M} (week {s.week}{_was(logged, s, 'done')})"
        + (f": {extra}" if extra else "") for s in logged.sessions] + _said(logged))


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("date")
@click.argument("score", metavar="N")
@today_option
@click.pass_context
@handle_errors
def pain(ctx: click.Context, date: str, score: str, today: dt.date | None) -> None:
    """Record knee or thigh pain (0-10) on the morning of DATE, the day after a session.

    It belongs to the latest session before that morning. Above 5/10, or 2 points above your
    previous morning, eases the next sessions; 7/10 or more pauses jumps.

    \b
    Example:
      periodize pain 2027-01-14 2
    """
    from planner.commands import logbook

    logged = logbook.morning_pain(_db(ctx), date, score, _now(), today)
    after = logged.sessions[0]
    _named(_db(ctx), [f"pain {int(score)}/10 on the morning of {date}, after "
                      f"{after.start:%a %-d %b %H:%M}", *_said(logged)])


@main.command()
@click.argument("date", required=False)
@click.option("--passed/--failed", default=None, help="The screen's result.")
@today_option
@click.pass_context
@handle_errors
def screen(ctx: click.Context, date: str | None, passed: bool | None,
           today: dt.date | None) -> None:
    """Show the readiness screen for jumping, or record its result on DATE.

    A passed screen clears a profile with `cleared_to_jump = false` (rehab first), and resumes
    jumps paused by pain of 7/10 or more: the jump block then starts at its first week.

    \b
    Example:
      periodize screen
      periodize screen 2027-02-01 --passed
    """
    from planner.commands import logbook
    from planner.errors import InputError

    if date is None:
        click.echo(logbook.screen_items())
        return
    if passed is None:
        raise InputError("--passed/--failed", "(missing)", "say how the screen went")
    logged = logbook.screen(_db(ctx), date, passed, _now(), today)
    _named(_db(ctx), [f"readiness screen {'passed' if passed else 'not passed'} on {date}",
                      *_said(logged)])


@main.command()
@click.argument("date")
@click.option("--during", is_flag=True, help="It came during that day's session.")
@click.option("--where", metavar="TEXT", help="Where it was, e.g. 'inner thigh' (one line).")
@today_option
@click.pass_context
@handle_errors
def cramp(ctx: click.Context, date: str, during: bool, where: str | None,
          today: dt.date | None) -> None:
    """Log a cramp on DATE, and see what to do about it.

    Cramps on 3 or more days within 14 days count as recurring: `status` and `report` then
    say to see a doctor. Logging the same day again counts one more cramp that day.

    \b
    Example:
      periodize cramp 2027-01-13 --during --where "inner thigh"
    """
    from planner.commands import logbook

    cramped = logbook.cramp(_db(ctx), date, during, where, _now(), today)
    count = f" ({cramped.count} that day)" if cramped.count > 1 else ""
    _named(_db(ctx), [
        f"cramp on {cramped.day:%a %Y-%m-%d}{' during the session' if during else ''}{count}",
        *(textwrap.fill(line, 80) for line in cramped.advice), *_said(cramped.logged)])


@main.command(name="log")
@click.argument("words", nargs=-1, metavar="[rm ID...]")
@click.pass_context
@handle_errors
def log_command(ctx: click.Context, words: tuple[str, ...]) -> None:
    """List the log's entries with their ids, or take entries out: `log rm ID ...`.

    An id is the entry's kind and date (done:2027-01-11, missed:..., pain:..., screen:...,
    cramp:...). Removing re-doses the plan from the rest (one change: `undo` brings the
    entries back). To correct an entry, log it again: it says what it replaces.

    \b
    Example:
      periodize log
      periodize log rm pain:2027-01-14
    """
    from planner.commands import logbook

    if not words:
        _, entries = logbook.listed(_db(ctx))
        _named(_db(ctx), [f"log: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}",
                          *(f"  {entry_id:<18} {text}" for entry_id, text in entries)])
        return
    if words[0] != "rm" or len(words) < 2:
        from planner.errors import InputError

        raise InputError("log", " ".join(words), "nothing (to list the log), or rm ID ... "
                         "(ids as `periodize log` lists them)")
    _named(_db(ctx), _said(logbook.remove(_db(ctx), words[1:], _now())))


@main.command()
@click.option("--date", "day", callback=_date, metavar="YYYY-MM-DD",
              help="Show this day's session, else the next (default: today in the plan's zone).")
@click.pass_context
@handle_errors
def today(ctx: click.Context, day: dt.date | None) -> None:
    """Show today's session (else the next): every exercise, dose, rest and cue, and how to log it.

    \b
    Example:
      periodize today
      periodize today --date 2027-01-13
    """
    from planner.commands import logbook

    _named(_db(ctx), logbook.today(_db(ctx), day, _now()).splitlines())


@main.command()
@today_option
@click.option("--profile", "profile", type=click.Path(path_type=Path),
              help="Take availability from this edited profile.")
@output_option(Path("plan.ics"), "Where to write the updated calendar.")
@click.option("--keep-end", is_flag=True, help="After a break, keep the end date (drop weeks) "
              "instead of extending the block.")
@busy_option
@click.pass_context
@handle_errors
def replan(ctx: click.Context, today: dt.date | None, profile: Path | None, output: Path,
           keep_end: bool, busy: tuple[Path, ...]) -> None:
    """Move the rest of the plan around missed sessions or a new week, from today on.

    \b
    Example:
      periodize missed 2027-01-13
      periodize replan --today 2027-01-14
      periodize replan --profile athlete.toml   # e.g. no more Wednesdays
    """
    from planner import commands

    out = commands.replan(_db(ctx), today, profile, output, _now(), keep_end, busy)
    said = out.result.resume.capitalize() + "."
    if not out.saved:
        _named(_db(ctx), [said, "No changes: the plan already fits."])
        return
    _named(_db(ctx), [said, *(textwrap.fill(line, 80, initial_indent="  ",
                                           subsequent_indent="    ")
                              for line in out.redosed or [
                                  "no session's time, kind or doses changed (the past is kept "
                                  "as it was logged)"]),
                      f"\nWritten to {output}: import it (Apple, Outlook), or `periodize sync` "
                      "(CalDAV) or `sync --google` updates a synced calendar in place (to import "
                      "into Google instead: `periodize export --google -o plan-google.ics`, into "
                      f"a new calendar \"{out.plan.revision_calendar_name}\")."])


@main.command()
@click.argument("profile", type=click.Path(path_type=Path, dir_okay=False))
@today_option
@handle_errors
def intake(profile: Path, today: dt.date | None) -> None:
    """Triage the knee before a plan starts: ask its story, or read the profile's [intake].

    Without an [intake] table in PROFILE, asks the questions and adds the answers to it. A red
    flag (locking, giving way, a hot swollen knee, calf signs after surgery or an injury, fever,
    pain that wakes you at night) stops here: see a doctor first, exit 2, no plan. Otherwise it
    says the pathway and whether jumps wait for a readiness screen; `generate` applies it.

    \b
    Example:
      periodize intake profile.toml
    """
    from planner import commands
    from planner.store.strict_toml import read_toml

    day = today or _now().date()
    if "intake" not in read_toml(profile, "profile"):
        commands.save_intake(profile, _ask_intake())
        click.echo(f"Answers added to {profile} as its [intake] table.")
    click.echo(commands.intake_check(profile, day))


def _ask_intake() -> Intake:
    """The intake's questions, in a terminal."""
    from planner.store.intake import PLACES, Intake

    places = click.prompt(f"Where does it hurt? ({', '.join(PLACES)}; several with commas)",
                          value_proc=_places)
    since = click.prompt("Since when? (YYYY-MM-DD)", type=click.DateTime(["%Y-%m-%d"])).date()

    def ask(question: str) -> bool:
        return click.confirm(question, default=False)

    surgery = injury = None
    if ask("Knee surgery in the last year?"):
        surgery = click.prompt("  Its date (YYYY-MM-DD)", type=click.DateTime(["%Y-%m-%d"])).date()
    if ask("A knee injury (a fall, a twist, a blow) in the last year?"):
        injury = click.prompt("  Its date (YYYY-MM-DD)", type=click.DateTime(["%Y-%m-%d"])).date()
    return Intake(
        places, since=since, surgery=surgery, injury=injury,
        swelling=ask("Does the knee swell after activity?"),
        locking=ask("Does it lock (get stuck and not straighten)?"),
        giving_way=ask("Does it give way under you?"),
        hot_swollen=ask("Is it hot and swollen now?"),
        night_pain=ask("Does knee pain wake you at night?"),
        calf=bool(surgery or injury) and ask("Calf pain or swelling since then?"),
        fever=ask("Do you have a fever?"))


def _places(text: str) -> tuple[str, ...]:
    from planner.store.intake import PLACES

    found = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    if not found or any(p not in PLACES for p in found):
        raise click.BadParameter("one or more of " + ", ".join(PLACES))
    return found


@main.command()
@click.argument("date")
@click.argument("measures", nargs=-1, metavar="NAME=VALUE...")
@today_option
@click.pass_context
@handle_errors
def measure(ctx: click.Context, date: str, measures: tuple[str, ...],
            today: dt.date | None) -> None:
    """Record what a physio measured on DATE; show what it opens and how outcomes moved.

    NAME is hop.single|triple|crossover|timed.left|right (cm; timed: s), stepdowns.left|right,
    sts.left|right (single-leg sit-to-stands), pain.ITEM (0-10 during a screen item; the
    baseline test's is pain.squat), psfs.ACTIVITY (0-10, up to five activities), kujala or
    koos_pf (totals 0-100). Symmetry is the involved leg over the other (profile
    `involved_side`). The baseline test's results set where each knee exercise starts.

    \b
    Example:
      periodize measure 2027-02-01 hop.single.left=130 hop.single.right=150 pain.hop=2
      periodize measure 2027-01-04 psfs.stairs=4 psfs.running=2 kujala=68
      periodize measure 2027-01-03 stepdowns.left=12 stepdowns.right=7 pain.squat=2
    """
    from planner import commands

    _named(_db(ctx), commands.measure(_db(ctx), date, measures, _now(), today))


@main.command()
@click.argument("limit", nargs=-1)
@click.option("--clear", is_flag=True, help="Lift every limit.")
@click.pass_context
@handle_errors
def limits(ctx: click.Context, limit: tuple[str, ...], clear: bool) -> None:
    """Show the physio's limits, or set them (replacing the ones before) and re-dose the plan.

    A LIMIT is "no jumps", "contacts <= N" (foot contacts a session) or "strength level <= N".
    They become hard rules for every plan made for this athlete (generate and replan keep them;
    only this command lifts one) and the athlete sees them as set by the physio.

    \b
    Example:
      periodize limits "no jumps" "strength level <= 3"
      periodize limits --clear
    """
    from planner import commands
    from planner.errors import InputError

    if not limit and not clear:
        found = commands.limits(_db(ctx))
        _named(_db(ctx), ["Limits set by the physio: " + (", ".join(found.words()) or "none")])
        return
    if limit and clear:
        raise InputError("--clear", " ".join(limit), "either limits or --clear, not both")
    done = commands.set_limits(_db(ctx), limit, _now())
    lines = ["Limits set by the physio: " + (", ".join(done.limits.words()) or "none"),
             *([done.note] if done.note else [])]
    if done.revision is None:
        _named(_db(ctx), [*lines, "No change to the doses ahead."])
        return
    _named(_db(ctx), lines + _changes(REDOSED, done.changes))


@main.command()
@today_option
@click.pass_context
@handle_errors
def status(ctx: click.Context, today: dt.date | None) -> None:
    """Show adherence, strength levels by week and logged effort and pain against the limits.

    A past session with no word counts as done as prescribed (as in the report and in replan).

    \b
    Example:
      periodize status
    """
    from planner import commands

    _named(_db(ctx), commands.status(_db(ctx), today or _now()).splitlines(), alone=True)


@main.command()
@click.option("--all", "include_undone", is_flag=True,
              help="Also the revisions set aside by undo.")
@click.pass_context
@handle_errors
def history(ctx: click.Context, include_undone: bool) -> None:
    """List the plan's revisions (* marks the current one).

    \b
    Example:
      periodize history
      periodize history --all
    """
    from planner import commands
    from planner.views.terminal_text import history_list

    _named(_db(ctx), history_list(commands.history(_db(ctx), include_undone)).splitlines(),
           alone=True)


@main.command()
@click.pass_context
@handle_errors
def undo(ctx: click.Context) -> None:
    """Undo the last change, whatever it was: a log entry (done, missed, pain, screen: the entry
    is taken back too), a replan or a profile change; say in one line what was undone. The
    undone change is kept: `redo` brings it back until a new change is made. Sessions that
    differ get a higher SEQUENCE, so calendars take the older plan back.

    \b
    Example:
      periodize undo
    """
    from planner import commands

    revision = commands.undo(_db(ctx), _now())
    _named(_db(ctx), [f"Undone: {revision.undid}; back to revision {revision.number} "
                      f"({revision.note}). `periodize redo` brings it back; `periodize export` "
                      "writes the calendar."])


@main.command()
@click.pass_context
@handle_errors
def redo(ctx: click.Context) -> None:
    """Bring back the revision the last undo set aside.

    \b
    Example:
      periodize redo
    """
    from planner import commands

    revision = commands.redo(_db(ctx), _now())
    _named(_db(ctx), [f"Redone: {revision.undid} (back to revision {revision.number}). "
                      "Run `periodize export` to write its calendar."])


PASSWORD_VARIABLE = "PERIODIZE_CALDAV_PASSWORD"


def _caldav_password() -> str:
    """The CalDAV password: PERIODIZE_CALDAV_PASSWORD, else typed at the terminal. Without
    either (a cron job, a pipe) it is a one-line usage error, never a prompt read from a pipe."""
    import os

    password = os.environ.get(PASSWORD_VARIABLE)
    if password:
        return password
    if not sys.stdin.isatty():
        from planner.errors import InputError

        raise InputError(PASSWORD_VARIABLE, "", "set it to the CalDAV password: there is no "
                         "terminal to type it at")
    try:
        return str(click.prompt("CalDAV password", hide_input=True, default="",
                                show_default=False))
    except click.Abort:                 # Ctrl-C or Ctrl-D at the prompt: nothing was sent
        raise KeyboardInterrupt from None


@main.command()
@click.option("--url", help="CalDAV address, e.g. https://dav.example/dav/")
@click.option("--user", help="CalDAV user name.")
@click.option("--google", is_flag=True, help="Sync to Google Calendar through Google's API "
              "instead (needs: pip install 'periodize[google]').")
@click.option("--client-secret", type=click.Path(path_type=Path, dir_okay=False),
              envvar="PERIODIZE_GOOGLE_CLIENT_SECRET", help="With --google: your OAuth client "
              "file (Desktop app) from the Google Cloud console; needed to sign in the first "
              "time. Default: PERIODIZE_GOOGLE_CLIENT_SECRET.")
@click.option("--calendar", help="Calendar name. CalDAV: found, or created; default periodize · "
              "NAME. Google: a calendar periodize creates and remembers; default periodize · "
              "NAME · rev N, renamed with each revision.")
@click.option("--replace", is_flag=True, help="CalDAV: the calendar holds another periodize "
              "plan; replace it with this one (your own events stay).")
@today_option
@click.pass_context
@handle_errors
def sync(ctx: click.Context, url: str | None, user: str | None, google: bool,
         client_secret: Path | None, calendar: str | None, replace: bool,
         today: dt.date | None) -> None:
    """Push the plan to a CalDAV calendar, or with --google to Google Calendar; only what
    changed is sent.

    CalDAV: only this plan's events are written or deleted; your own events in the calendar
    are never touched, and a calendar holding another plan is refused unless --replace.

    The CalDAV password comes from PERIODIZE_CALDAV_PASSWORD or a prompt, never the command line.

    \b
    Google Calendar, once: in console.cloud.google.com create a project,
    enable the Google Calendar API, set up the OAuth consent screen (add
    yourself as a test user), create an OAuth client ID of type "Desktop
    app" and download its JSON. The first sync opens a browser to sign in;
    periodize asks only to manage calendars it creates, keeps the sign-in in
    your config folder (readable by you alone), and creates its own
    calendar. Later syncs update that calendar in place.

    \b
    Example:
      PERIODIZE_CALDAV_PASSWORD=... periodize sync --url https://dav.example/ --user sam
      periodize sync --google --client-secret ~/Downloads/client_secret.json
      periodize sync --google
    """
    from planner.errors import InputError

    if google:
        for option, value in (("--url", url), ("--user", user)):
            if value is not None:
                raise InputError(option, value, "no CalDAV options with --google")
        if replace:
            raise InputError("--replace", "--google", "--replace is for CalDAV calendars")
        from planner import commands

        try:
            report = commands.sync_google(_db(ctx), calendar, client_secret, today or _now())
        except KeyboardInterrupt as exc:      # through the one path: SIGTERM/SIGHUP named too
            _interrupted(exc, "Interrupted: the Google calendar may be partly updated; run "
                         "`periodize sync --google` again to finish (it picks up where this one "
                         "stopped).")
        _named(_db(ctx), [_sync_summary(report)])
        return
    if client_secret is not None and ctx.get_parameter_source("client_secret") == \
            click.core.ParameterSource.COMMANDLINE:
        raise InputError("--client-secret", str(client_secret), "only with --google")
    for option, value in (("--url", url), ("--user", user)):
        if value is None:
            raise click.UsageError(f"Missing option '{option}' (CalDAV), or --google", ctx)
    assert url is not None and user is not None
    from planner import commands

    _named(_db(ctx), [_sync_summary(commands.sync(_db(ctx), url, user, _caldav_password(),
                                                  calendar, replace, today or _now()))])


def _sync_summary(report: SyncReport) -> str:
    """'3 created, 19 updated, 2 deleted, 3 unchanged.', the same for CalDAV and Google."""
    return (f"{len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.deleted)} deleted, {len(report.unchanged)} unchanged.")


_HOST_HELP = ("Address to listen on. Loopback by default: to share it, put a reverse proxy with "
              "TLS in front (docs/web.md); another address needs --allow-network.")


def _listen(host: str, port: int, allow_network: bool) -> Any:
    """A listening socket for ``serve`` and ``feed``: loopback unless ``--allow-network``."""
    from planner.errors import InputError
    from planner.web.server import is_loopback, listen

    if not is_loopback(host) and not allow_network:
        raise InputError("--host", host, "a loopback address (127.0.0.1, ::1, localhost), or "
                         "add --allow-network to serve the plan to the network")
    try:
        sock = listen(host, port)
    except (OSError, UnicodeError) as exc:
        raise InputError("--host/--port", f"{host}:{port}", "an address and port free to "
                         f"listen on ({getattr(exc, 'strerror', None) or exc})") from None
    if not is_loopback(host):
        click.echo(f"Warning: listening on {host}: the plan and its logging pages are "
                   "reachable from the network, over plain HTTP unless a proxy with TLS is in "
                   "front (docs/web.md).", err=True)
    return sock


def _base_url(host: str, port: int, base_url: str | None) -> str:
    if base_url is not None:
        from planner.store.links import check_base_url

        return check_base_url("--base-url", base_url)
    if host in ("0.0.0.0", "::", ""):
        import socket

        host = socket.gethostname()
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def _run_server(app: Any, sock: Any, what: str, lines: list[str]) -> None:
    """Serve until a signal; ``lines`` are printed once it listens with its signals handled."""
    from planner.web.server import serve as serve_on

    def ready() -> None:
        for line in lines:
            click.echo(line)

    stopped = serve_on(app, sock, ready)
    if stopped is not None:
        import signal

        click.echo(f"{what} stopped ({signal.Signals(stopped).name}).", err=True)
        sys.exit(128 + stopped)


_SERVER_OPTIONS = [
    click.option("--host", default="127.0.0.1", show_default=True, help=_HOST_HELP),
    click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
                 help="Port to listen on (0: any free one)."),
    click.option("--allow-network", is_flag=True, help="Allow a --host that is not loopback "
                 "(the plan is then reachable from the network)."),
]


def _server_options(command: F) -> F:
    for option in reversed(_SERVER_OPTIONS):
        command = option(command)
    return command


@main.command()
@_server_options
@click.option("--new-token", is_flag=True, help="Make a new secret token first: the old URL "
              "stops working (e.g. after sharing it by mistake).")
@click.pass_context
@handle_errors
def feed(ctx: click.Context, host: str, port: int, allow_network: bool, new_token: bool) -> None:
    """Serve the plan as a calendar feed to subscribe to ("From URL" in Google, Apple, Outlook).

    The URL holds a secret token kept with the plan, the same every time; each request reads
    the store, so replans, undo and done/missed reach subscribers at their next refresh.
    `periodize serve` serves the same feed with the athlete's pages.

    \b
    Example:
      periodize feed
      periodize feed --host 127.0.0.1 --port 8765 --new-token
    """
    import secrets

    from planner import commands
    from planner.web import require_web

    require_web()
    plan, token = commands.feed_token(_db(ctx), secrets.token_urlsafe(24), new_token)
    sock = _listen(host, port, allow_network)
    from planner.web.app import Settings, make_app

    url = f"{_base_url(host, sock.getsockname()[1], None)}/{token}.ics"
    app = make_app(Settings([_db(ctx)], _now, feed_only=True, log=_request_line))
    _run_server(app, sock, "Feed", [
        f"Serving the plan of {plan.name} at {url} (subscribe by URL; Apple and Outlook also "
        f"take {url.replace('http://', 'webcal://', 1)}). Ctrl-C stops."])


def _request_line(line: str) -> None:
    """One line a request on stderr: the time, then the web layer's escaped words."""
    click.echo(f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} {line}", err=True)


@main.command()
@_server_options
@click.option("--base-url", metavar="URL", help="The address people use, when a reverse proxy "
              "is in front (https://plans.example.org): printed, and in the links.")
@click.option("--roster", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Serve every athlete store (*.db) in this folder, as batch writes it, "
                   "instead of --db.")
@click.option("--set-password", is_flag=True, help="Set the physio's password first (asked "
              "twice, kept as an argon2 hash beside the stores).")
@click.option("--new-token", is_flag=True, help="Give every athlete a new secret link first: "
              "the old links (and feed URLs) stop working.")
@click.pass_context
@handle_errors
def serve(ctx: click.Context, host: str, port: int, allow_network: bool, base_url: str | None,
          roster: Path | None, set_password: bool, new_token: bool) -> None:
    """Serve the athlete's pages (log a session from the phone), the physio's view and the
    calendar feed.

    Prints each athlete's address (a secret link: a new one with --new-token revokes the old),
    then the physio's (behind a password: --set-password).

    \b
    Example:
      periodize serve
      periodize serve --roster plans --set-password
      periodize serve --base-url https://plans.example.org
    """
    import secrets

    from planner import commands
    from planner.errors import InputError
    from planner.store.links import athlete_url
    from planner.web import require_web

    require_web()
    if base_url is not None:
        _base_url(host, port, base_url)        # checked before anything is written
    from planner.web import physio

    stores = sorted(roster.glob("*.db")) if roster is not None else [_db(ctx)]
    if roster is not None and not stores:
        raise InputError("--roster", str(roster), "a folder holding athlete stores (*.db), as "
                         "`periodize batch` writes")
    password_file = physio.password_file(roster if roster is not None else stores[0])
    if set_password:
        password = click.prompt("Physio password", hide_input=True,
                                confirmation_prompt=True, err=True)
        physio.set_password(password_file, password)
        click.echo(f"Password kept (argon2 hash) in {password_file}.", err=True)
    tokens = [commands.feed_token(db, secrets.token_urlsafe(24), new_token) for db in stores]
    sock = _listen(host, port, allow_network)
    base = _base_url(host, sock.getsockname()[1], base_url)
    from planner.web.app import Settings, make_app

    app = make_app(Settings(stores, _now, base, password_file, log=_request_line))
    lines = [f"{plan.name}: {athlete_url(base, token)}" for plan, token in tokens]
    lines.append(f"Physio: {base}/physio/" + ("" if physio.password_set(password_file) else
                 "  (no password yet: run again with --set-password)"))
    _run_server(app, sock, "Server", [*lines, "Ctrl-C stops."])


@main.command()
@click.argument("roster", type=click.Path(path_type=Path), cls=Described,
                help="a CSV file, one athlete a row, or a folder of profile .toml files")
@click.option("-o", "--output", "out_dir", type=FolderOrUrl(), default=Path("plans"),
              show_default=True, help="Folder for each athlete's store and calendar, and "
              "summary.csv; or an fsspec URL (s3://bucket/plans, file:///shared/plans) that "
              "--cluster's workers write to themselves.")
@click.option("--jobs", type=click.IntRange(min=1), help="Processes, at most one per usable core "
              "and per athlete (default: the usable cores).")
@click.option("--cluster", metavar="ADDRESS", help="Plan on a Dask cluster: its scheduler's "
              "address (tls://host:8786 with Dask's TLS settings; tcp://host:8786 only on a "
              "private network you trust, as Dask's tcp:// carries pickles unencrypted), or "
              "'local' for a LocalCluster of --jobs processes. Needs pip install "
              "'periodize[cluster]'.")
@handle_errors(interrupted="\nInterrupted: athletes already planned keep their files; the "
                          "workers were ended.")
def batch(roster: Path, out_dir: Path | str, jobs: int | None, cluster: str | None) -> None:
    """Plan a whole roster: a CSV (one athlete a row) or a folder of profiles.

    CSV columns: name, timezone, start, level, weeks, rest_days ("sat;sun"), mon..sun
    holding windows separated by ";" (e.g. "07:00-08:00;18:00-20:00"), and optional
    plyo_min, plyo_max, strength_min, strength_max (sessions a week),
    strength_day_after_jumps (true or false, see docs/program.md).

    Exit code: 0 when every athlete was planned, 1 when some could not be (no plan fits),
    2 when some row was bad input; summary.csv says which, and why. 3 when the cluster
    failed: not a Dask scheduler, no worker joined, or the scheduler was lost mid-run
    (summary.csv then marks the athletes not planned).

    \b
    Example:
      periodize batch squad.csv -o plans --jobs 2
      periodize batch club.csv -o plans --cluster tls://scheduler:8786
      periodize batch club.csv -o s3://club/plans --cluster tls://scheduler:8786
    """
    from planner.workflows.batch import run_batch

    if cluster is not None:
        from planner.workflows.cluster import require_dask

        require_dask()   # before the progress bar: one line when Dask is missing
    with click.progressbar(length=0, label="Planning", show_pos=True) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        summary = run_batch(roster, out_dir, _now(), jobs, progress, cluster)
    if summary.capped:
        processes = "process" if summary.workers == 1 else "processes"
        click.echo(f"--jobs {jobs}: planned with {summary.workers} worker {processes}, capped "
                   f"at {summary.capped}.")
    counts: dict[str, int] = {}
    for result in summary.results:
        counts[result.status] = counts.get(result.status, 0) + 1
    click.echo(", ".join(f"{n} {status}" for status, n in counts.items())
               + f" in {summary.seconds:.1f} s. Summary: {summary.summary_csv}")
    for result in summary.results:
        if result.reason:   # a name from a roster is shown escaped if it holds control codes
            name = result.athlete if result.athlete.isprintable() else repr(result.athlete)
            click.echo(f"  {name}: {result.status}: {result.reason}")
    sys.exit(batch_exit_code(counts))


def batch_exit_code(counts: dict[str, int]) -> int:
    """2 when some row was bad input, else 1 when some athlete could not be planned (no plan, or
    an unexpected error), else 0: the codes a single ``generate`` would have given, the worst
    one."""
    from planner.workflows.batch import BAD_INPUT, ERROR, NO_PLAN

    return 2 if counts.get(BAD_INPUT) else 1 if counts.get(NO_PLAN) or counts.get(ERROR) else 0


if __name__ == "__main__":
    main()
