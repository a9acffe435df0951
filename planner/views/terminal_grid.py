"""The plan at a glance in the terminal: a calendar grid (weeks by weekdays) and a weekly load
bar chart. ``rich`` renders the grid; it is imported inside the functions so that
``periodize --help`` stays fast."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from planner.store.plan import Plan
from planner.store.profile import Profile
from planner.training.session_types import TYPES
from planner.views.days import (
    LIGHTER_PHASES,
    TODAY_MARK,
    Day,
    abbreviation,
    plan_days,
    week_phases,
    weekday_columns,
)

KIND_STYLES = {"jumps": "bold magenta", "strength": "bold cyan", "combined": "bold green",
               "stretch": "bold blue"}
LIGHTER_MARK = "↓"
NOT_LOGGED_MARK = "○"      # a past session with no word in the log: not counted as done
BAR_BLOCKS = " ▏▎▍▌▋▊▉█"


def _console(width: int, color: bool | None) -> Any:
    """A rich Console writing to a string. ``color=None`` asks rich about the real standard
    output (a terminal? NO_COLOR? FORCE_COLOR?); NO_COLOR or False means no escapes at all."""
    from rich.console import Console

    if color is None:
        probe = Console(width=width)
        color = probe.is_terminal and not probe.no_color and probe.color_system is not None
        system = probe.color_system or "standard"
    else:
        system = "truecolor" if color else "standard"
    if color:
        return Console(file=io.StringIO(), width=width, force_terminal=True,
                       color_system=system,  # type: ignore[arg-type]
                       legacy_windows=False, highlight=False)
    return Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None,
                   no_color=True, legacy_windows=False, highlight=False)


def _cell(day: Day, width: int) -> Any:
    """Two lines: the date with today's and done/missed marks, then the session(s); each line
    padded to ``width`` so that today's reverse style covers the whole cell."""
    from rich.text import Text

    status = ""
    if day.sessions:
        marks = {s.status for s in day.sessions}
        status = ("✗" if "missed" in marks else NOT_LOGGED_MARK if "not logged" in marks
                  else "✓" if marks == {"done"} else "")
    text = Text(no_wrap=True, overflow="crop")
    text.append(TODAY_MARK if day.today else " ", style="bold yellow" if day.today else "")
    date = f"{day.date.day:>2} {day.date:%b}"
    text.append(date, style="" if day.today else "dim")
    used = 1 + len(date)
    if status:
        text.append(" " + status, style={"✗": "bold red", "✓": "bold green"}.get(status,
                                                                                "bold yellow"))
        used += 2
    text.append(" " * max(0, width - used) + "\n")
    lines: list[tuple[str, str]] = []
    for s in day.sessions:
        style = ("strike red" if s.status == "missed" else "italic" if s.status == "not logged"
                 else KIND_STYLES.get(s.session_type, "bold"))
        lines.append((f"{abbreviation(s)} {s.start:%H:%M}", style))
    if not lines:
        lines.append(("rest", "dim italic") if day.rest else ("·", "dim") if not day.open
                     else ("", ""))
    for i, (words, style) in enumerate(lines):
        text.append("\n" if i else "")
        text.append(words, style=style)
        text.append(" " * max(0, width - len(words)))
    if day.today:
        text.stylize("reverse")
    return text


def plan_grid(plan: Plan, profile: Profile, today: dt.date | None, width: int = 80,
              color: bool | None = None) -> str:
    """The plan as a calendar: a row per week, a column per weekday (from the plan's first
    weekday), each cell the day's date and its session's kind and start time."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    weeks = plan_days(plan, profile, today)
    phases = week_phases(plan)
    lighter = [w for w, p in phases.items() if p in LIGHTER_PHASES]
    head_width = 3
    cell_width = max(5, min(12, (width - head_width - 7) // 7 - 1))
    table = Table(box=box.SQUARE, show_edge=False, padding=(0, 0, 0, 1), pad_edge=False,
                  collapse_padding=False, header_style="bold", expand=False)
    table.add_column("Wk", width=head_width, no_wrap=True, overflow="crop")
    for name in weekday_columns(plan):
        table.add_column(name, width=cell_width, no_wrap=True,
                         overflow="crop")
    for days in weeks:
        week = days[0].week
        mark = LIGHTER_MARK if phases[week] in LIGHTER_PHASES else ""
        head = Text(f"{week}\n{mark}", style="bold" + (" yellow" if mark else ""))
        table.add_row(head, *(_cell(d, cell_width) for d in days), end_section=True)
    console = _console(width, color)
    console.print(table)
    legend = Text(overflow="fold")
    for key in ("jumps", "strength", "combined", "stretch"):
        legend.append(TYPES[key].abbreviation, style=KIND_STYLES[key])
        legend.append(f" {TYPES[key].words}  ")
    legend.append("rest", style="dim italic")
    legend.append(" rest day  ")
    legend.append("·", style="dim")
    legend.append(" no window  ")
    legend.append(TODAY_MARK, style="bold yellow")
    legend.append(" today  ")
    legend.append("✓", style="bold green")
    legend.append(" done  ")
    legend.append("✗", style="bold red")
    legend.append(" missed  ")
    legend.append(NOT_LOGGED_MARK, style="bold yellow")
    legend.append(" past, not logged")
    if lighter:
        legend.append("  ")
        legend.append(LIGHTER_MARK, style="bold yellow")
        legend.append(" lighter week (" + ", ".join(f"{w} {phases[w]}" for w in lighter) + ")")
    console.print(legend)
    if today is not None and not weeks[0][0].date <= today <= weeks[-1][-1].date:
        where = "before the plan starts" if today < plan.start else "after the plan ends"
        console.print(Text(f"Today ({today:%a} {today.day} {today:%b %Y}) is {where}.",
                           style="dim"))
    output: str = console.file.getvalue()
    return "\n".join(line.rstrip() for line in output.splitlines()) + "\n"


def _bar(value: float, top: float, width: int) -> str:
    """A horizontal bar of ``width`` cells at most, in eighths of a cell."""
    if top <= 0 or value <= 0:
        return ""
    eighths = round(value / top * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (BAR_BLOCKS[part] if part else "")


def load_chart(plan: Plan, width: int = 80) -> str:
    """Weekly load (session RPE x minutes, missed sessions left out) as a text bar chart: a row
    per week with its phase (deload and taper marked ↓), a bar, the load, contacts and minutes."""
    from planner.calendars.export.tables import weekly_frame

    frame = weekly_frame(plan)
    phases = week_phases(plan)
    rows = list(zip(*([int(v) for v in frame[c]] for c in ("week", "load", "foot_contacts",
                                                            "minutes")), strict=True))
    top = max((load for _, load, _, _ in rows), default=0)
    phase_width = max((len(p) for p in phases.values()), default=5) + 3
    numbers = " {:>5} {:>8} {:>7}"
    bar_width = max(10, width - 5 - phase_width - len(numbers.format("", "", "")))
    lines = [f"{'week':>4} {'phase':<{phase_width}}{'load (session RPE × minutes)':<{bar_width}}"
             + numbers.format("load", "contacts", "minutes")]
    for week, load, contacts, minutes in rows:
        phase = phases.get(week, "")
        label = f"{phase} {LIGHTER_MARK}" if phase in LIGHTER_PHASES else phase
        lines.append(f"{week:>4} {label:<{phase_width}}{_bar(load, top, bar_width):<{bar_width}}"
                     + numbers.format(load, contacts, minutes))
    lines.append(f"{LIGHTER_MARK} lighter week (deload or taper). Missed sessions are not counted.")
    return "\n".join(line.rstrip() for line in lines) + "\n"
