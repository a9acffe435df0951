"""The plan as one self-contained HTML page: the calendar, the weekly load across the block,
adherence so far and every session's exercises. Nothing on the page loads anything (no scripts,
no fonts, no images from elsewhere: the charts are inline SVG drawn by matplotlib), it prints
cleanly, and the same plan gives byte-identical HTML."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING

from planner.store.as_of import NOT_LOGGED, PLANNED, STATES, SessionState
from planner.store.plan import DONE, MISSED, Plan, Session
from planner.store.profile import WEEKDAYS, Profile
from planner.training.session_types import BLOCK_HEADINGS, SESSION_TYPES, TYPES
from planner.views import days
from planner.views.baseline import baseline_section
from planner.views.days import LIGHTER_PHASES, Day
from planner.views.progress import Progress

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Each session's state as of the report's day (``plan_as_of``: the plan's sessions carry it).
STATE_WORDS = {DONE: "done", MISSED: "missed", NOT_LOGGED: "past, not logged", PLANNED: "planned"}
STATE_SIGNS = {DONE: " ✓", MISSED: " ✗", NOT_LOGGED: " ○", PLANNED: ""}
BADGES = {DONE: "done ✓", MISSED: "missed ✗", NOT_LOGGED: "not logged ○", PLANNED: "planned"}
CSS_CLASSES = {DONE: "done", MISSED: "missed", NOT_LOGGED: "unlogged", PLANNED: "ahead"}
COLORS = {"contacts": "#c2185b", "strength": "#00838f", "minutes": "#5c6bc0",
          "light": "#fff3cd", DONE: "#2e7d32", MISSED: "#c62828", NOT_LOGGED: "#f9a825",
          PLANNED: "#b0bec5"}

CSS = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5f6b7a; --line: #d5dbe3;
  --jumps: #c2185b; --strength: #00838f; --combined: #2e7d32; --stretch: #3949ab; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h2 { font-size: 1.3em; margin: 32px 0 10px; border-bottom: 2px solid var(--line);
  padding-bottom: 4px; }
h3 { font-size: 1.05em; margin: 18px 0 6px; }
.sub, .note, figcaption, .meta { color: var(--muted); }
.safety { border-left: 4px solid #f9a825; background: #fffbea; padding: 10px 14px;
  margin: 16px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left;
  vertical-align: top; }
th { background: #f3f5f8; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.calendar td, table.calendar th { width: 12.5%; }
table.calendar td { height: 4.2em; }
.date { font-size: 0.8em; color: var(--muted); display: block; }
.s { display: block; font-weight: 600; text-decoration: none; color: inherit; }
.s.jumps { color: var(--jumps); } .s.strength { color: var(--strength); }
.s.combined { color: var(--combined); } .s.stretch { color: var(--stretch); }
.s.missed { text-decoration: line-through; color: #c62828; }
.s.unlogged { font-style: italic; }
td.rest { background: #f1f3f5; color: var(--muted); font-style: italic; }
td.closed { background: repeating-linear-gradient(45deg, #fafbfc, #fafbfc 6px, #f0f2f5 6px,
  #f0f2f5 12px); color: var(--muted); }
td.today { outline: 3px solid #f9a825; outline-offset: -3px; background: #fff8e1; }
td.done { background: #e8f5e9; } td.missed { background: #ffebee; }
th.light, tr.light th { background: #fff3cd; }
.mark { font-weight: 700; }
.legend { font-size: 0.9em; color: var(--muted); margin-top: 6px; }
.legend span { margin-right: 14px; }
figure { margin: 12px 0; }
figure svg { width: 100%; height: auto; display: block; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
.session { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px;
  margin: 10px 0; break-inside: avoid; }
.session h3 { margin-top: 4px; }
.session table { font-size: 0.9em; }
.session td.cue { color: var(--muted); }
.session td.dose { white-space: nowrap; }
.session td.part { width: 7.5em; }
.badge { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: 0.85em;
  background: #eceff1; }
.badge.done { background: #e8f5e9; color: #1b5e20; }
.badge.missed { background: #ffebee; color: #b71c1c; }
.badge.unlogged { background: #fff3cd; color: #6d4c00; }
.over { color: #b71c1c; font-weight: 700; }
.physio { border-left: 4px solid #00838f; background: #f2fafa; padding: 8px 14px; }
.physio ul { margin: 4px 0; padding-left: 1.2em; }
table.logged th, table.logged td { overflow-wrap: normal; }
@media (max-width: 700px) { .cols { grid-template-columns: 1fr; } body { padding: 10px; } }
@media (max-width: 600px) {
  body { padding: 8px; overflow-wrap: anywhere; }
  table.calendar { table-layout: fixed; font-size: 0.68em; }
  table.calendar th, table.calendar td { width: auto; padding: 1px 2px; }
  table.calendar th:first-child { width: 2.4em; }
  table.calendar td { height: auto; }
  .session table, .session tbody, .session tr, .session td, .session th { display: block;
    width: auto; border: 0; padding: 1px 0; }
  .session tr { border-top: 1px solid var(--line); padding: 4px 0; }
  .session thead { display: none; }
  .session td.dose { white-space: normal; font-weight: 600; }
  .session td.part { width: auto; color: var(--muted); }
  table { font-size: 0.9em; }
}
@media print {
  @page { size: A4; margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; }
  section.week { break-before: page; }
  .cols { grid-template-columns: 1fr 1fr; }
  table.calendar { font-size: 9pt; }
}
"""


def _date_words(day: dt.date) -> str:
    """'Mon 4 Jan 2027' (no platform-specific strftime flags)."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def _svg(fig: Figure, prefix: str, label: str) -> str:
    """The figure as an inline <svg> element: no XML prolog or DOCTYPE, no namespace URLs
    (the HTML parser supplies them), ids prefixed so two charts on a page cannot clash."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight",
                metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    text = re.sub(r'\s+(width|height)="[^"]*pt"', "", text, count=2)
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r'url\(#([^)]+)\)', rf'url(#{prefix}-\1)', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)
    text = text.replace("<svg", f'<svg role="img" aria-label="{escape(label)}"', 1)
    return text.strip()


def _shade(ax: Axes, phases: Mapping[int, str], label: bool) -> None:
    for week, phase in phases.items():
        if phase in LIGHTER_PHASES:
            ax.axvspan(week - 0.5, week + 0.5, color=COLORS["light"], zorder=0)
            if label:
                ax.text(week, 1.02, phase, transform=ax.get_xaxis_transform(), ha="center",
                        va="bottom", fontsize=9, color="#8a6d00")


def _load_chart(weeks: Sequence[int], contacts: Sequence[int], sets: Sequence[int],
                minutes: Sequence[int], phases: Mapping[int, str]) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 5.6))
    axes = fig.subplots(3, 1, sharex=True)
    series = [("Foot contacts", contacts, COLORS["contacts"]),
              ("Strength sets", sets, COLORS["strength"]),
              ("Minutes", minutes, COLORS["minutes"])]
    for i, (ax, (title, values, color)) in enumerate(zip(axes, series, strict=True)):
        _shade(ax, phases, label=i == 0)
        bars = ax.bar(weeks, values, color=color, width=0.62, zorder=2)
        ax.bar_label(bars, fontsize=8, padding=2)
        ax.set_ylabel(title, fontsize=9)
        ax.set_ylim(0, max([*values, 1]) * 1.25)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", color="#e6e9ee", zorder=1)
    axes[-1].set_xticks(list(weeks), [f"W{w}" for w in weeks])
    axes[-1].set_xlim(min(weeks) - 0.6, max(weeks) + 0.6)
    fig.align_ylabels(axes)
    fig.tight_layout(h_pad=0.6)
    return _svg(fig, "load", "Weekly foot contacts, strength sets and minutes, week by week")


def _adherence_chart(weeks: Sequence[int], counts: Mapping[int, Mapping[str, int]],
                     phases: Mapping[int, str]) -> str:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(10, 2.8))
    ax = fig.subplots()
    _shade(ax, phases, label=True)
    bottom = [0] * len(weeks)
    for key, label in ((DONE, "done"), (NOT_LOGGED, "not logged"),
                       (MISSED, "missed"), (PLANNED, "to come")):
        values = [counts[w][key] for w in weeks]
        ax.bar(weeks, values, bottom=bottom, color=COLORS[key], width=0.62, label=label,
               zorder=2)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("Sessions", fontsize=9)
    ax.set_ylim(0, max([*bottom, 1]) * 1.3)
    ax.set_xticks(list(weeks), [f"W{w}" for w in weeks])
    ax.set_xlim(min(weeks) - 0.6, max(weeks) + 0.6)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    ax.legend(ncols=4, fontsize=8, frameon=False, loc="upper left")
    fig.tight_layout()
    return _svg(fig, "adherence", "Sessions done, missed, not logged and to come, by week")


def _pain_chart(p: Progress) -> str:
    """Logged effort against the target and pain (during, next morning) with the limits drawn."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.2))
    ax = fig.subplots()
    xs = list(range(len(p.logged)))
    series: list[tuple[str, list[int | None], str, str, str]] = [
        ("effort target", [r.target for r in p.logged], "#90a4ae", "--", ""),
        ("effort logged", [r.rpe for r in p.logged], COLORS["minutes"], "-", "o"),
        ("pain during", [r.pain for r in p.logged], COLORS["missed"], "-", "s"),
        ("pain next morning", [r.morning for r in p.logged], COLORS["contacts"], ":", "^")]
    for label, values, color, style, marker in series:
        points = [(x, v) for x, v in zip(xs, values, strict=True) if isinstance(v, int)]
        if points:
            ax.plot([x for x, _ in points], [v for _, v in points], linestyle=style,
                    marker=marker, color=color, label=label, zorder=3)
    limit, stop = p.pain_limit, p.stop_at
    ax.axhspan(limit, stop, color=COLORS["light"], zorder=0)
    ax.axhline(limit, color="#f9a825", linewidth=1, zorder=1)
    ax.axhline(stop, color=COLORS["missed"], linewidth=1, zorder=1)
    ax.text(1.0, limit, f" pain limit {limit}", transform=ax.get_yaxis_transform(),
            fontsize=8, va="center", color="#8a6d00")
    ax.text(1.0, stop, f" stop {stop}", transform=ax.get_yaxis_transform(), fontsize=8,
            va="center", color=COLORS["missed"])
    ax.set_ylim(0, 10.5)
    ax.set_ylabel("0-10", fontsize=9)
    ax.set_xticks(xs, [f"{r.day:%d %b}" for r in p.logged], fontsize=8, rotation=45)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    ax.legend(ncols=4, fontsize=8, frameon=False, loc="upper left")
    fig.tight_layout()
    return _svg(fig, "pain", "Logged effort against its target, and pain with the limits")


def _outcome_chart(measures: Sequence[tuple[dt.date, str, float]]) -> str:
    """PSFS mean (0-10, left axis) and Kujala / KOOS-PF totals (0-100, right axis) by date."""
    from matplotlib.figure import Figure

    psfs: dict[dt.date, list[float]] = {}
    totals: dict[str, dict[dt.date, float]] = {"kujala": {}, "koos_pf": {}}
    for day, name, value in measures:
        if name.startswith("psfs."):
            psfs.setdefault(day, []).append(value)
        elif name in totals:
            totals[name][day] = value
    fig = Figure(figsize=(10, 3.0))
    ax = fig.subplots()
    right = ax.twinx()
    every = sorted({day for day, _, _ in measures})
    at = {day: (day - every[0]).days for day in every}     # days since the first measurement
    if psfs:
        days_ = sorted(psfs)
        ax.plot([at[d] for d in days_], [sum(psfs[d]) / len(psfs[d]) for d in days_],
                marker="o", color=COLORS["minutes"], label="PSFS mean (0-10)")
    for name, label, color in (("kujala", "Kujala (0-100)", COLORS["contacts"]),
                               ("koos_pf", "KOOS-PF (0-100)", COLORS["missed"])):
        if totals[name]:
            points = sorted(totals[name].items())
            right.plot([at[d] for d, _ in points], [v for _, v in points], marker="s",
                       linestyle="--", color=color, label=label)
    ax.set_ylim(0, 10.5)
    right.set_ylim(0, 105)
    ax.set_ylabel("PSFS", fontsize=9)
    right.set_ylabel("total", fontsize=9)
    ax.tick_params(labelsize=8)
    right.tick_params(labelsize=8)
    ax.set_xticks([at[d] for d in every], [f"{d:%d %b}" for d in every], fontsize=8,
                  rotation=45)
    handles = [*ax.get_legend_handles_labels()[0], *right.get_legend_handles_labels()[0]]
    ax.legend(handles=handles, fontsize=8, frameon=False, loc="upper left", ncols=3)
    fig.tight_layout()
    return _svg(fig, "outcomes", "Outcome measures by date: PSFS mean, Kujala and KOOS-PF")


def _outcomes_section(measures: Sequence[tuple[dt.date, str, float]]) -> list[str]:
    from catalog.clinical import default_clinical
    from planner.training.readiness import outcomes_text

    lines = outcomes_text(measures, default_clinical())
    if not lines:
        return []
    with _svg_settings():
        chart = _outcome_chart(measures)
    return ["<h2>Outcomes</h2>", f"<figure>{chart}<figcaption>Patient-Specific Functional Scale "
            "mean and questionnaire totals, by the date measured.</figcaption></figure>",
            *(f"<p>{escape(line)}</p>" for line in lines)]


def _progress_section(p: Progress) -> list[str]:
    head = "".join(f'<th class="num">W{w}</th>' for w in p.weeks)
    rows = []
    for name, row in p.levels:
        cells = "".join(
            f'<td class="num">{"" if now is None else now}'
            + (f' <span class="note">(plan {then})</span>' if None not in (now, then)
               and now != then else "") + "</td>" for now, then in row)
        rows.append(f"<tr><th>{escape(name)}</th>{cells}</tr>")
    parts = ["<h2>How it went</h2>", "<h3>Strength level by week</h3>",
             f"<table><thead><tr><th>Exercise</th>{head}</tr></thead><tbody>{''.join(rows)}"
             "</tbody></table>",
             '<p class="note">A level moves up only after its rule was met in two sessions in '
             "a row; where the log held it lower, the plan's level is shown too.</p>",
             "<h3>Effort and pain</h3>"]
    if p.logged:
        with _svg_settings():
            chart = _pain_chart(p)
        parts.append(f"<figure>{chart}<figcaption>{escape(p.limits)}</figcaption>"
                     "</figure>")
        parts.append(_logged_table(p))
    else:
        parts.append(f"<p>Nothing logged with effort or pain yet. {escape(p.limits)}</p>")
    if p.cramps:
        parts += ["<h3>Cramps</h3>", *(f"<p>{escape(line)}</p>" for line in p.cramps)]
    return parts


def _physio_section(p: Progress) -> list[str]:
    """What a physio reads first (``progress.physio_lines``), as a short list."""
    if not p.physio:
        return []
    items, current = [], ""
    for line in p.physio:
        if line.startswith("  ") and current:          # an adjustment under its heading
            current += f"<li>{escape(line.strip())}</li>"
            continue
        if current:
            items.append(current + ("</ul>" if "<ul>" in current else "") + "</li>")
        current = f"<li>{escape(line)}" + ("<ul>" if line.endswith(":") else "")
    if current:
        items.append(current + ("</ul>" if "<ul>" in current else "") + "</li>")
    return ['<section class="physio"><h2>For the physio</h2>',
            f"<ul>{''.join(items)}</ul></section>"]


def _logged_table(p: Progress) -> str:
    """The logged sessions' scores, those above the limits marked."""
    def cell(value: int | None, limit: int | None = None) -> str:
        if value is None:
            return '<td class="num">-</td>'
        if limit is not None and value > limit:
            return f'<td class="num over">{value}!</td>'
        return f'<td class="num">{value}</td>'

    rows = "".join(f"<tr><th scope=\"row\">{r.day:%a} {r.day.day} {r.day:%b}</th>{cell(r.rpe)}"
                   f"<td class=\"num\">{r.target}</td>{cell(r.pain, p.pain_limit)}"
                   f"{cell(r.morning, p.morning_limit)}</tr>" for r in p.logged)
    return ('<table class="logged"><thead><tr><th scope="col">Session</th>'
            '<th class="num">RPE</th><th class="num">target</th><th class="num">pain during'
            '</th><th class="num">next morning</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
            f'<p class="note">! above the limit: pain during over {p.pain_limit}/10, the next '
            f"morning over {p.morning_limit}/10.</p>")


def _day_classes(day: Day) -> list[str]:
    classes = ["today"] if day.today else []
    if day.sessions:
        statuses = {s.status for s in day.sessions}
        if "missed" in statuses:
            classes.append("missed")
        elif statuses == {"done"}:
            classes.append("done")
    elif day.rest:
        classes.append("rest")
    elif not day.open:
        classes.append("closed")
    return classes


def _state(s: Session) -> str:
    """The session's state as of the report's day (its status in the plan as of that day)."""
    return s.status if s.status in STATE_WORDS else PLANNED


def _session_link(plan: Plan, s: Session, anchor: str, today: dt.date | None) -> str:
    state = _state(s)
    title = f"{TYPES[s.session_type].label}, {STATE_WORDS[state]}"
    return (f'<a class="s {escape(s.session_type)} {CSS_CLASSES[state]}" href="#{anchor}" '
            f'title="{escape(title)}">{escape(days.abbreviation(s))} {s.start:%H:%M}'
            f"{STATE_SIGNS[state]}</a>")


def _day_cell(plan: Plan, day: Day, anchors: Mapping[str, str], today: dt.date | None) -> str:
    mark = f'<span class="mark">{days.TODAY_MARK} today</span> ' if day.today else ""
    body = [f'<span class="date">{mark}<time datetime="{day.date.isoformat()}">'
            f"{day.date.day} {day.date:%b}</time></span>"]
    body += [_session_link(plan, s, anchors[s.uid], today) for s in day.sessions]
    if not day.sessions:
        body.append("rest" if day.rest else "·" if not day.open else "")
    classes = _day_classes(day)
    cls = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{cls}>{''.join(body)}</td>"


def _legend() -> str:
    kinds = "".join(f"<span><b>{escape(t.abbreviation)}</b> {escape(t.words)}</span>"
                    for t in SESSION_TYPES)
    return (f'<p class="legend">{kinds}<span><i>rest</i> rest day</span>'
            f"<span>· no training window</span><span>{days.TODAY_MARK} today</span>"
            "<span>✓ done</span><span>✗ missed</span>"
            "<span>○ past, not logged (not counted as done)</span>"
            "<span>shaded week: deload or taper</span></p>")


def _calendar(plan: Plan, weeks: list[list[Day]], phases: Mapping[int, str],
              anchors: Mapping[str, str], today: dt.date | None) -> str:
    head = "".join(f"<th scope=\"col\">{name}</th>" for name in days.weekday_columns(plan))
    rows = []
    for week_days in weeks:
        week = week_days[0].week
        light = phases[week] in LIGHTER_PHASES
        label = f"W{week}" + (f"<br><small>{escape(phases[week])}</small>" if light else "")
        row_cls = ' class="light"' if light else ""
        cells = "".join(_day_cell(plan, day, anchors, today) for day in week_days)
        rows.append(f'<tr{row_cls}><th scope="row">{label}</th>{cells}</tr>')
    return (f'<table class="calendar"><thead><tr><th scope="col">Week</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>{_legend()}")


def _count_table(title: str, rows: Sequence[tuple[str, Mapping[str, int]]]) -> str:
    head = ("<tr><th scope=\"col\">" + escape(title) + "</th><th class=\"num\">Sessions</th>"
            "<th class=\"num\">Done</th><th class=\"num\">Not logged</th>"
            "<th class=\"num\">Missed</th><th class=\"num\">To come</th></tr>")
    body = "".join(
        f"<tr><th scope=\"row\">{escape(name)}</th><td class=\"num\">{sum(c.values())}</td>"
        + "".join(f"<td class=\"num\">{n}</td>"
                  for n in (c[DONE], c[NOT_LOGGED], c[MISSED], c[PLANNED])) + "</tr>"
        for name, c in rows)
    return f"<table><thead>{head}</thead><tbody>{body}</tbody></table>"


def _profile_summary(profile: Profile) -> str:
    parts = []
    if profile.rest_days:
        parts.append("rest days: " + ", ".join(WEEKDAYS[d] for d in profile.rest_days))
    windows = [f"{WEEKDAYS[d]} {', '.join(str(w) for w in ws)}"
               for d, ws in enumerate(profile.availability) if ws]
    if windows:
        parts.append("windows: " + "; ".join(windows))
    return escape(" · ".join(parts))


def _session_block(plan: Plan, s: Session, anchor: str, logged: SessionState | None) -> str:
    day = plan.local_date(s)
    label = TYPES[s.session_type].label
    state = _state(s)
    badge = f'<span class="badge {CSS_CLASSES[state]}">' + escape(BADGES[state])
    facts = [f"{s.minutes} min"]
    if logged is not None and logged.rpe is not None:
        facts.append(f"RPE {logged.rpe}")
    facts += [f"target {s.rpe}", f"load {s.load}"]
    if logged is not None and logged.pain is not None:
        facts.append(f"pain {logged.pain}/10")
    if logged is not None and logged.not_met:
        facts.append("rule not met: " + ", ".join(logged.not_met))
    if s.foot_contacts:
        facts.append(f"{s.foot_contacts} foot contacts")
    sets = sum(d.sets for d in s.exercises if d.kind == "strength")
    if sets:
        facts.append(f"{sets} strength sets")
    rows = "".join(
        f"<tr><td class=\"part\">{escape(BLOCK_HEADINGS.get(d.kind, d.kind))}</td>"
        f"<td>{escape(d.name)}</td><td class=\"dose\">{escape(d.describe())}</td>"
        f"<td class=\"cue\">{escape(d.cue)}</td></tr>"
        for d in s.exercises)
    return (f'<article class="session" id="{anchor}">'
            f'<h3><time datetime="{s.start.isoformat()}">{_date_words(day)}, '
            f"{s.start:%H:%M}–{s.end:%H:%M}</time> · {escape(label)} {badge}</span></h3>"
            f'<p class="meta">{escape(" · ".join(facts))}</p>'
            "<table><thead><tr><th>Part</th><th>Exercise</th><th>Dose</th><th>Cue</th></tr>"
            f"</thead><tbody>{rows}</tbody></table></article>")


def _adherence(plan: Plan, ordered: Sequence[Session], today: dt.date | None,
               ) -> tuple[dict[int, dict[str, int]], dict[str, dict[str, int]]]:
    """Sessions by their state as of the day, per calendar week and per session type."""
    by_week = {w: dict.fromkeys(STATES, 0) for w in range(1, plan.weeks + 1)}
    by_type: dict[str, dict[str, int]] = {}
    for s in ordered:
        state = _state(s)
        if s.week in by_week:
            by_week[s.week][state] += 1
        by_type.setdefault(s.session_type, dict.fromkeys(STATES, 0))[state] += 1
    return by_week, by_type


def adherence_words(counts: Mapping[str, int], today: dt.date | None) -> str:
    """'So far: 4 of 7 past sessions done (57%), 1 missed, 2 not logged (not counted as
    done); 20 to come.' The same rule as ``periodize status``."""
    done = counts[DONE]
    past = done + counts[MISSED] + counts[NOT_LOGGED]
    if past:
        unlogged = (f", {counts[NOT_LOGGED]} not logged (not counted as done)"
                    if counts[NOT_LOGGED] else "")
        words = (f"So far: {done} of {past} past sessions done ({round(100 * done / past)}%), "
                 f"{counts[MISSED]} missed{unlogged}; {counts[PLANNED]} to come.")
    else:
        words = f"Nothing logged yet; {counts[PLANNED]} sessions to come."
    return f"As of {_date_words(today)}. " + words if today is not None else words


def _svg_settings() -> contextlib.AbstractContextManager[None]:
    """A fixed hash salt and no metadata date: the same plan gives the same SVG, byte for byte."""
    import matplotlib

    matplotlib.use("Agg")
    return matplotlib.rc_context({"svg.hashsalt": "periodize", "svg.fonttype": "path",
                                  "font.family": "DejaVu Sans"})


def _charts(plan: Plan, by_week: Mapping[int, Mapping[str, int]],
            phases: Mapping[int, str]) -> tuple[str, str]:
    """The weekly load chart and the adherence chart, as inline SVG."""
    from planner.calendars.export.tables import weekly_frame

    numbers = list(range(1, plan.weeks + 1))
    frame = weekly_frame(plan)
    contacts = [int(v) for v in frame["foot_contacts"]]
    minutes = [int(v) for v in frame["minutes"]]
    strength_sets = [sum(d.sets for s in plan.week_sessions(w) if s.status != "missed"
                         for d in s.exercises if d.kind == "strength") for w in numbers]
    with _svg_settings():
        return (_load_chart(numbers, contacts, strength_sets, minutes, phases),
                _adherence_chart(numbers, by_week, phases))


def _type_rows(by_type: Mapping[str, Mapping[str, int]]) -> list[tuple[str, Mapping[str, int]]]:
    order = [t.key for t in SESSION_TYPES]
    return [(TYPES[t].label, by_type[t]) for t in order if t in by_type]


def _header(plan: Plan, profile: Profile, title: str) -> list[str]:
    return [
        f"<header><h1>{escape(title)}</h1>",
        f'<p class="sub">{_date_words(plan.start)} – {_date_words(plan.end)} · '
        f"{escape(plan.level)} · {escape(plan.timezone)} · revision {plan.revision} · "
        f"{len(plan.sessions)} sessions</p>",
        f'<p class="sub">{_profile_summary(profile)}</p></header>',
    ]


def _week_sections(plan: Plan, ordered: Sequence[Session], phases: Mapping[int, str],
                   anchors: Mapping[str, str], logged: Mapping[str, SessionState]) -> list[str]:
    sections = []
    for w in range(1, plan.weeks + 1):
        blocks = "".join(_session_block(plan, s, anchors[s.uid], logged.get(s.uid))
                         for s in ordered if s.week == w)
        sections.append(f'<section class="week"><h2>Week {w} · {escape(phases.get(w, ""))}</h2>'
                        + (blocks or '<p class="note">No sessions this week.</p>')
                        + "</section>")
    return sections


def plan_report(plan: Plan, profile: Profile, today: dt.date | None, safety_note: str,
                progress: Progress | None = None,
                measures: Sequence[tuple[dt.date, str, float]] = (),
                states: Sequence[SessionState] = ()) -> str:
    """The whole plan as one self-contained, printable HTML page (no scripts, nothing fetched).
    ``plan`` is the plan as of ``today`` (``plan_as_of``): each session's status is its state
    that day (a past session not logged is not counted as done), ``states`` what was logged
    for it; ``today`` marks the calendar."""
    phases = days.week_phases(plan)
    ordered = sorted(plan.sessions, key=lambda s: s.start.astimezone(dt.UTC))
    anchors = {s.uid: f"session-{i}" for i, s in enumerate(ordered, start=1)}
    by_week, by_type = _adherence(plan, ordered, today)
    load_svg, adherence_svg = _charts(plan, by_week, phases)
    how_it_went = _progress_section(progress) if progress is not None else []
    total = {k: sum(c[k] for c in by_week.values()) for k in STATES}
    title = f"{plan.name}: {plan.weeks}-week knee, quad and plyometric plan"
    light = ", ".join(f"week {w} {p}" for w, p in phases.items() if p in LIGHTER_PHASES)
    week_rows = [(f"Week {w}" + (f" ({phases[w]})" if phases[w] in LIGHTER_PHASES else ""), c)
                 for w, c in by_week.items()]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        *_header(plan, profile, title),
        *(_physio_section(progress) if progress is not None else []),
        f'<aside class="safety"><strong>Safety.</strong> {escape(safety_note)}</aside>'
        if safety_note.strip() else "",
        "<h2>Calendar</h2>",
        _calendar(plan, days.plan_days(plan, profile, today), phases, anchors, today),
        "<h2>Weekly load across the block</h2>",
        f"<figure>{load_svg}<figcaption>Foot contacts, strength sets and minutes per week "
        f"(missed sessions not counted). Shaded: the lighter weeks ({escape(light) or 'none'})."
        "</figcaption></figure>",
        "<h2>Adherence so far</h2>",
        f"<p>{escape(adherence_words(total, today))}</p>",
        f"<figure>{adherence_svg}</figure>",
        '<div class="cols"><div><h3>By week</h3>',
        _count_table("Week", week_rows),
        "</div><div><h3>By kind of session</h3>",
        _count_table("Kind", _type_rows(by_type)),
        "</div></div>",
        *how_it_went,
        *_outcomes_section(measures),
        *baseline_section(measures),
        "<h2>Sessions</h2>",
        '<p class="note">Each session in order: warm-up first, jumps before strength, '
        "stretching last.</p>",
        *_week_sections(plan, ordered, phases, anchors,
                        {st.uid: st for st in states if st.state == DONE}),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
