"""The Gantt charts: `gantt.png` (matplotlib, Agg) and `gantt.html` (one offline file).

Both draw one row per task, grouped under a row per activity occurrence, in time order. One
row per task keeps every task name readable next to its own bar, shows a task split by a
weekend as separate pieces, and never stacks bars on each other; the picture only grows
taller with more tasks (about 0.25 in a row in the PNG), which a viewer scrolls.

Colours: each person has one colour (legend at the top); the days of a task after its due date
are red and a late task's label is red; the live window of an activity is pale yellow across
its rows, with a gold bar in the activity's own row; non-working days are light grey (days not
in `working_days`, or weekends when that is empty); an optional `today` is a red line.

The HTML needs no network: inline CSS and a little vanilla JS (zoom buttons and a person
filter); without JS it still shows the chart at its default zoom.
"""

from __future__ import annotations

import functools
import html
import importlib.util
import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from matplotlib import font_manager, rc_context
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import offset_copy

from scheduler.atomic import write_bytes, write_text
from scheduler.export.tables import (
    LATE_COLOUR,
    OFF_DAY_COLOUR,
    WINDOW_COLOUR,
    OffDays,
    activity_label,
    activity_windows,
    day_range,
    day_span,
    grouped_tasks,
    is_chinese,
    off_days,
    person_colours,
    person_names,
    worked_days,
)
from scheduler.schedule import ActivityWindow, Schedule, ScheduledTask

GO_LIVE_COLOUR = "#f59f00"  # the live window's bar in the activity's own row

# Families tried in order; any other installed family with "CJK" in its name comes next.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Heiti SC",
    "Hiragino Sans GB",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Source Han Sans",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
    "AR PL UKai CN",
)
# Python packages that ship a Simplified Chinese font file; used when no system font has CJK.
FONT_PACKAGES = ("pylopdf_fonts_zh_cn", "mplfonts")
FONT_FILE = re.compile(r"sans.*(sc|cjk)|hei", re.IGNORECASE)
CJK_TEXT = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")

TEXT = {
    "en": {
        "today": "today",
        "people": "People",
        "late": "late",
        "due": "due",
        "window": "live window",
        "everyone": "everyone",
        "person": "Person",
        "zoom": "Zoom",
        "year": "Year",
        "month": "Month",
        "week": "Week",
        "tasks": "Activity / task",
        "no_tasks": "No tasks.",
        "working_days": "working days",
        "status": "status",
        "late_days": "late days",
        "late_note": "+{n}d late",
        "shown": "tasks shown",
        "count": "tasks",
        "fit": "Fit",
    },
    "zh": {
        "today": "今天",
        "people": "人员",
        "late": "延误",
        "due": "截止",
        "window": "上线期",
        "everyone": "全部人员",
        "person": "人员",
        "zoom": "缩放",
        "year": "年",
        "month": "月",
        "week": "周",
        "tasks": "活动 / 任务",
        "no_tasks": "没有任务。",
        "working_days": "个工作日",
        "status": "状态",
        "late_days": "延误天数",
        "late_note": "延误 {n} 天",
        "shown": "显示任务",
        "count": "任务",
        "fit": "适应",
    },
}


def _text(schedule: Schedule) -> dict[str, str]:
    return TEXT["zh" if is_chinese(schedule.language) else "en"]


# ---------------------------------------------------------------- fonts


@functools.cache
def cjk_font_family() -> str | None:
    """The name of a font family able to draw Chinese, or None when none can be found.

    Looks at the fonts matplotlib knows, then at fonts shipped by optional Python packages
    (FONT_PACKAGES), which are registered with matplotlib when found.
    """
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    for name in CJK_FAMILIES:
        if name in installed:
            return name
    for name in sorted(installed):
        if "CJK" in name:
            return name
    return _font_from_packages()


def _font_from_packages() -> str | None:
    for package in FONT_PACKAGES:
        spec = importlib.util.find_spec(package)
        folders = spec.submodule_search_locations if spec else None
        for folder in folders or ():
            for file in sorted(Path(folder).rglob("*")):
                if file.suffix.lower() in {".otf", ".ttf", ".ttc"} and FONT_FILE.search(file.name):
                    font_manager.fontManager.addfont(str(file))
                    return font_manager.FontProperties(fname=str(file)).get_name()
    return None


def _has_cjk(schedule: Schedule) -> bool:
    texts = [schedule.plan, *(t.name for t in schedule.tasks)]
    texts += [p.name for p in schedule.staff] + [a.name for a in schedule.activities]
    return any(CJK_TEXT.search(text) for text in texts)


# ---------------------------------------------------------------- rows shared by both charts


@dataclass(frozen=True)
class Row:
    """One chart row: an activity heading (task is None) or a task."""

    activity: str
    label: str
    window: ActivityWindow | None
    task: ScheduledTask | None = None


def chart_rows(schedule: Schedule) -> list[Row]:
    """The chart's rows from top to bottom: each activity heading followed by its tasks."""
    windows = activity_windows(schedule)
    rows: list[Row] = []
    for activity_id, tasks in grouped_tasks(schedule):
        window = windows.get(activity_id)
        rows.append(Row(activity_id, activity_label(schedule, activity_id), window))
        rows += [Row(activity_id, task.name, window, task) for task in tasks]
    return rows


def split_at_due(task: ScheduledTask) -> list[tuple[date, date, bool]]:
    """The task's stretches as (first, last, late) pieces, cut where the due date passes."""
    pieces: list[tuple[date, date, bool]] = []
    for day in worked_days(task):
        late = task.due is not None and day > task.due
        last = pieces[-1] if pieces else None
        if last and last[1] + timedelta(days=1) == day and last[2] == late:
            pieces[-1] = (last[0], day, late)
        else:
            pieces.append((day, day, late))
    return pieces


def _tooltip(schedule: Schedule, task: ScheduledTask, names: dict[str, str]) -> str:
    words = _text(schedule)
    lines = [
        task.name,
        f"{words['person']}: {names.get(task.assignee, task.assignee)}",
        f"{task.start.isoformat()} – {task.end.isoformat()} "
        f"({task.working_days or len(worked_days(task))} {words['working_days']})",
    ]
    if task.due is not None:
        lines.append(f"{words['due']}: {task.due.isoformat()}")
    if task.late_days > 0:
        lines.append(f"{words['late_days']}: {task.late_days}")
    return "\n".join(lines)


# ---------------------------------------------------------------- PNG

DPI = 100
ROW_INCHES = 0.25
FONT_PT = 8
NOTE_PT = 7
LEGEND_RAISE_PT = 24  # the legend sits this far above the plot, over the top date labels
TODAY_COLOUR = "#c92a2a"


def write_png(
    schedule: Schedule,
    path: str | Path,
    *,
    today: date | None = None,
    working_days: Sequence[date] = (),
) -> None:
    """Write `gantt.png`: the Gantt chart as an image, Chinese drawn with a CJK font.

    Without a CJK font the default font is used and a warning says so.
    """
    family = cjk_font_family()
    if family is None and _has_cjk(schedule):
        warnings.warn(
            "no CJK font found, Chinese text in gantt.png will show as boxes "
            "(install the Debian package fonts-noto-cjk)",
            stacklevel=2,
        )
    write_bytes(path, png_bytes(schedule, today, off_days(schedule, working_days), family))


def png_bytes(schedule: Schedule, today: date | None, off: OffDays, family: str | None) -> bytes:
    """The PNG image of the chart drawn with the font family `family` (None: the default)."""
    families = ["DejaVu Sans", family] if family else ["DejaVu Sans"]
    buffer = io.BytesIO()
    with rc_context({"font.family": families}), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from font")
        figure = _figure(schedule, today, off)
        FigureCanvasAgg(figure)
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _inches(text: str, points: float = FONT_PT) -> float:
    """Rough width of a line of text: CJK characters one em wide, others 0.62 em."""
    ems = sum(1.0 if CJK_TEXT.match(ch) else 0.62 for ch in text)
    return ems * points / 72


@dataclass(frozen=True)
class _Layout:
    """Figure size and margins in inches, worked out before drawing (no second draw pass)."""

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    legend_columns: int
    legend_height: float


def _layout(
    schedule: Schedule, rows: list[Row], span: tuple[date, date], legend: list[str]
) -> _Layout:
    days = (span[1] - span[0]).days + 1
    left = max(_inches(_short(r.label)) * 1.1 for r in rows) + 0.3
    plot = min(30.0, max(8.0, days * 0.065))
    beyond = [
        ((r.task.end - span[0]).days + 1.4) / (days + 0.5) * plot
        + _inches(_note(schedule, r.task), NOTE_PT)
        - plot
        for r in rows
        if r.task is not None
    ]
    right = 0.3 + max([0.0, *beyond])
    width = left + plot + right
    entries = [_inches(label) + 0.6 for label in legend]
    if sum(entries) <= width - 0.3:
        columns = len(legend)
    else:
        columns = max(1, int((width - 0.3) // max(entries)))
    legend_height = -(-len(legend) // columns) * 0.2
    top = LEGEND_RAISE_PT / 72 + legend_height + 0.4
    bottom = 0.45
    height = top + bottom + ROW_INCHES * len(rows)
    return _Layout(width, height, left, right, top, bottom, columns, legend_height)


def _note(schedule: Schedule, task: ScheduledTask) -> str:
    """The text beside a task's bar: its person, and how late it is."""
    note = person_names(schedule).get(task.assignee, task.assignee)
    if task.late_days > 0:
        note += "  " + _text(schedule)["late_note"].format(n=task.late_days)
    return note


def _figure(schedule: Schedule, today: date | None, off: OffDays) -> Figure:
    rows = chart_rows(schedule)
    span = day_span(schedule)
    if span is None:
        figure = Figure(figsize=(6, 1.5))
        figure.text(0.5, 0.5, f"{schedule.plan}: {_text(schedule)['no_tasks']}", ha="center")
        return figure
    if today is not None and not span[0] <= today <= span[1]:
        today = None
    handles = _legend_handles(schedule, today)
    layout = _layout(schedule, rows, span, [h.get_label() for h in handles])
    figure = Figure(figsize=(layout.width, layout.height))
    figure.subplots_adjust(
        left=layout.left / layout.width,
        right=1 - layout.right / layout.width,
        top=1 - layout.top / layout.height,
        bottom=layout.bottom / layout.height,
    )
    axes = figure.add_subplot()
    _draw_background(axes, rows, span, off)
    _draw_bars(axes, schedule, rows, span[0])
    _draw_notes(axes, schedule, rows, span[0])
    _draw_axes(axes, schedule, rows, span, layout)
    if today is not None:
        x = (today - span[0]).days
        axes.axvline(x, color=TODAY_COLOUR, linestyle="--", linewidth=1.2, zorder=5)
    above = offset_copy(axes.transAxes, fig=figure, y=LEGEND_RAISE_PT, units="points")
    axes.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        bbox_transform=above,
        fontsize=FONT_PT,
        ncol=layout.legend_columns,
        frameon=False,
        borderaxespad=0,
    )
    return figure


def _rectangles(boxes: list[tuple[float, float, float, float]], **style) -> PolyCollection:
    """One collection of rectangles (x, y, width, height): far faster than one patch each."""
    verts = [[(x, y), (x + w, y), (x + w, y + h), (x, y + h)] for x, y, w, h in boxes]
    return PolyCollection(verts, **style)


def _draw_background(axes, rows: list[Row], span: tuple[date, date], off: OffDays):
    height = len(rows)
    offs = [((day - span[0]).days, -0.5, 1, height) for day in day_range(*span) if day in off]
    axes.add_collection(_rectangles(offs, facecolors=OFF_DAY_COLOUR, linewidths=0, zorder=0))
    heads = [
        (0, i - 0.5, (span[1] - span[0]).days + 1, 1) for i, r in enumerate(rows) if not r.task
    ]
    axes.add_collection(
        _rectangles(heads, facecolors="#dee2e6", alpha=0.6, linewidths=0, zorder=0.2)
    )
    windows = [
        ((w.start - span[0]).days, first - 0.5, (w.end - w.start).days + 1, last - first + 1)
        for first, last, w in _window_blocks(rows)
        if w is not None
    ]
    axes.add_collection(
        _rectangles(windows, facecolors=WINDOW_COLOUR, alpha=0.8, linewidths=0, zorder=0.5)
    )


def _window_blocks(rows: list[Row]) -> list[tuple[int, int, ActivityWindow | None]]:
    """(first row, last row, window) for each activity group."""
    blocks: list[tuple[int, int, ActivityWindow | None]] = []
    for index, row in enumerate(rows):
        if row.task is None:
            blocks.append((index, index, row.window))
        else:
            first, _, window = blocks[-1]
            blocks[-1] = (first, index, window)
    return blocks


def _draw_bars(axes, schedule: Schedule, rows: list[Row], first_day: date) -> None:
    colours = person_colours(schedule)
    boxes: list[tuple[float, float, float, float]] = []
    faces: list[str] = []
    for index, row in enumerate(rows):
        if row.task is None and row.window is not None:
            window = row.window
            boxes.append(
                (
                    (window.start - first_day).days,
                    index - 0.25,
                    (window.end - window.start).days + 1,
                    0.5,
                )
            )
            faces.append(GO_LIVE_COLOUR)
        for start, end, late in split_at_due(row.task) if row.task else ():
            boxes.append(((start - first_day).days, index - 0.31, (end - start).days + 1, 0.62))
            faces.append(LATE_COLOUR if late else colours[row.task.assignee])
    axes.add_collection(
        _rectangles(boxes, facecolors=faces, edgecolors="#495057", linewidths=0.4, zorder=3)
    )
    dues = [
        [((r.task.due - first_day).days + 1, i - 0.4), ((r.task.due - first_day).days + 1, i + 0.4)]
        for i, r in enumerate(rows)
        if r.task is not None and r.task.due is not None
    ]
    axes.add_collection(LineCollection(dues, colors="#212529", linewidths=1, zorder=4))


def _draw_notes(axes, schedule: Schedule, rows: list[Row], first_day: date) -> None:
    for index, row in enumerate(rows):
        if row.task is None:
            continue
        late = row.task.late_days > 0
        axes.text(
            (row.task.end - first_day).days + 1.4,
            index,
            _note(schedule, row.task),
            va="center",
            fontsize=NOTE_PT,
            color=LATE_COLOUR if late else "#343a40",
            zorder=4,
        )


def _draw_axes(
    axes, schedule: Schedule, rows: list[Row], span: tuple[date, date], layout: _Layout
) -> None:
    days = (span[1] - span[0]).days + 1
    axes.set_xlim(0, days + 0.5)
    axes.set_ylim(len(rows) - 0.5, -0.5)
    axes.set_yticks(range(len(rows)), [_short(r.label) for r in rows], fontsize=FONT_PT)
    for label, row in zip(axes.get_yticklabels(), rows, strict=True):
        if row.task is None:
            label.set_fontweight("bold")
        elif row.task.late_days > 0:
            label.set_color(LATE_COLOUR)
    all_days = day_range(*span)
    months = [(d - span[0]).days for d in all_days if d.day == 1 or d == span[0]]
    axes.set_xticks(
        months,
        [f"{span[0] + timedelta(days=x):%Y-%m}" for x in months],
        fontsize=FONT_PT,
        ha="left",
    )
    mondays = [(d - span[0]).days for d in all_days if d.weekday() == 0]
    labels = [str(d.day) for d in all_days if d.weekday() == 0] if days <= 120 else []
    axes.set_xticks(mondays, labels, minor=True, fontsize=6)
    axes.tick_params(axis="x", which="both", labeltop=True, top=True)
    axes.grid(axis="x", which="major", color="#868e96", linewidth=0.8)
    axes.grid(axis="x", which="minor", color="#ced4da", linewidth=0.4)
    axes.set_axisbelow(True)
    legend_pt = LEGEND_RAISE_PT + layout.legend_height * 72
    axes.set_title(
        f"{schedule.plan} ({schedule.status})", fontsize=12, loc="left", pad=legend_pt + 6
    )


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _legend_handles(schedule: Schedule, today: date | None) -> list[Artist]:
    words = _text(schedule)
    names = person_names(schedule)
    handles: list[Artist] = [
        Patch(color=colour, label=names.get(pid, pid))
        for pid, colour in person_colours(schedule).items()
        if any(t.assignee == pid for t in schedule.tasks)
    ]
    handles += [
        Patch(color=LATE_COLOUR, label=words["late"]),
        Patch(color=GO_LIVE_COLOUR, label=words["window"]),
        Line2D([], [], color="#212529", linewidth=1, label=words["due"]),
    ]
    if today is not None:
        label = f"{words['today']} {today.isoformat()}"
        handles.append(Line2D([], [], color=TODAY_COLOUR, linestyle="--", label=label))
    return handles


# ---------------------------------------------------------------- HTML

LABEL_PX = 300
ZOOMS = (("year", 3), ("month", 20), ("week", 40))
COMPACT_BELOW_PX = 18


def write_html(
    schedule: Schedule,
    path: str | Path,
    *,
    today: date | None = None,
    working_days: Sequence[date] = (),
) -> None:
    """Write `gantt.html`: one self-contained page (no network) with the Gantt chart."""
    write_text(path, gantt_html(schedule, today=today, working_days=working_days))


def gantt_html(
    schedule: Schedule, *, today: date | None = None, working_days: Sequence[date] = ()
) -> str:
    """The text of gantt.html."""
    words = _text(schedule)
    span = day_span(schedule)
    body = (
        _html_chart(schedule, span, today, off_days(schedule, working_days))
        if span
        else (f"<p>{_e(words['no_tasks'])}</p>")
    )
    lang = "zh-CN" if is_chinese(schedule.language) else "en"
    late = sum(1 for t in schedule.tasks if t.late_days > 0)
    summary = (
        f"{words['status']}: {schedule.status} · {words['count']}: {len(schedule.tasks)} · "
        f"{words['late']}: {late} ({words['late_days']}: {schedule.late_days})"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(schedule.plan)} · Gantt</title>\n<style>{CSS}</style>\n</head>\n"
        f'<body data-ready="0">\n<header><h1>{_e(schedule.plan)}</h1>'
        f'<p class="summary">{_e(summary)} '
        f'<span id="shown" data-label="{_e(words["shown"])}"></span></p>\n'
        f"{_html_controls(schedule, span)}{_html_legend(schedule)}</header>\n"
        f"{body}\n<script>{JS}</script>\n</body>\n</html>\n"
    )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _default_day_px(span: tuple[date, date] | None) -> int:
    if span is None:
        return ZOOMS[1][1]
    days = (span[1] - span[0]).days + 1
    return max(3, min(40, 1300 // days))


def _html_controls(schedule: Schedule, span: tuple[date, date] | None) -> str:
    words = _text(schedule)
    zooms = (*ZOOMS, ("fit", _default_day_px(span)))
    buttons = "".join(
        f'<button type="button" data-day="{px}">{_e(words[name])}</button>' for name, px in zooms
    )
    names = person_names(schedule)
    options = "".join(
        f'<option value="{_e(pid)}">{_e(names.get(pid, pid))}</option>'
        for pid in person_colours(schedule)
        if any(t.assignee == pid for t in schedule.tasks)
    )
    return (
        f'<div class="controls"><span>{_e(words["zoom"])}:</span> {buttons} '
        f'<label>{_e(words["person"])}: <select id="person"><option value="">'
        f"{_e(words['everyone'])}</option>{options}</select></label></div>\n"
    )


def _html_legend(schedule: Schedule) -> str:
    words = _text(schedule)
    names = person_names(schedule)
    chips = [
        f'<span class="chip" data-person="{_e(pid)}" style="background:{colour}">'
        f"{_e(names.get(pid, pid))}</span>"
        for pid, colour in person_colours(schedule).items()
        if any(t.assignee == pid for t in schedule.tasks)
    ]
    chips.append(f'<span class="chip chip-late">{_e(words["late"])}</span>')
    chips.append(f'<span class="chip chip-win">{_e(words["window"])}</span>')
    return f'<div class="legend">{"".join(chips)}</div>\n'


def _html_chart(
    schedule: Schedule, span: tuple[date, date], today: date | None, off: OffDays
) -> str:
    days = day_range(*span)
    day_px = _default_day_px(span)
    compact = " compact" if day_px < COMPACT_BELOW_PX else ""
    today_index = (today - span[0]).days if today and span[0] <= today <= span[1] else None
    data_today = "" if today_index is None else f' data-today="{today_index}"'
    return (
        f'<div id="gantt" class="gantt{compact}" style="--day:{day_px}px;--days:{len(days)};'
        f'--label:{LABEL_PX}px" data-compact="{COMPACT_BELOW_PX}"{data_today}>\n'
        f"{_html_head(schedule, days, off)}"
        f'<div class="body">\n{_html_grid(schedule, days, off, today_index)}'
        f"{_html_groups(schedule, span[0])}</div>\n</div>"
    )


def _html_head(schedule: Schedule, days: list[date], off: OffDays) -> str:
    months: list[tuple[int, int, date]] = []
    for index, day in enumerate(days):
        if not months or day.day == 1:
            months.append((index, 0, day))
        start, count, first = months[-1]
        months[-1] = (start, count + 1, first)
    month_html = "".join(
        f'<span class="m" style="--s:{s};--n:{n}">{first:%Y-%m}</span>' for s, n, first in months
    )
    day_html = "".join(
        f'<span class="d{" off" if day in off else ""}" style="--s:{i}" '
        f'title="{day.isoformat()}">{day.day}</span>'
        for i, day in enumerate(days)
    )
    return (
        f'<div class="head"><div class="label corner">{_e(_text(schedule)["tasks"])}</div>'
        f'<div class="track"><div class="months">{month_html}</div>'
        f'<div class="days">{day_html}</div></div></div>\n'
    )


def _html_grid(schedule: Schedule, days: list[date], off: OffDays, today: int | None) -> str:
    marks = [f'<i class="off" style="--s:{i}"></i>' for i, d in enumerate(days) if d in off]
    marks += [f'<i class="month" style="--s:{i}"></i>' for i, d in enumerate(days) if d.day == 1]
    if today is not None:
        title = f"{_text(schedule)['today']} {days[today].isoformat()}"
        marks.append(f'<i class="today" style="--s:{today}" title="{_e(title)}"></i>')
    return f'<div class="grid">{"".join(marks)}</div>\n'


def _html_groups(schedule: Schedule, first_day: date) -> str:
    colours = person_colours(schedule)
    names = person_names(schedule)
    parts: list[str] = []
    for row in chart_rows(schedule):
        if row.task is None:
            if parts:
                parts.append("</section>\n")
            parts.append(f'<section class="activity" data-activity="{_e(row.activity)}">\n')
            parts.append(_html_activity_row(row, first_day))
        else:
            parts.append(_html_task_row(schedule, row, first_day, colours, names))
    if parts:
        parts.append("</section>\n")
    return "".join(parts)


def _window_html(window: ActivityWindow | None, first_day: date, css: str, title: str) -> str:
    if window is None:
        return ""
    start = (window.start - first_day).days
    count = (window.end - window.start).days + 1
    tip = f"{title}: {window.start.isoformat()} – {window.end.isoformat()}"
    return f'<div class="{css}" style="--s:{start};--n:{count}" title="{_e(tip)}"></div>'


def _html_activity_row(row: Row, first_day: date) -> str:
    title = row.window.name if row.window else row.activity
    return (
        f'<div class="row act"><div class="label" title="{_e(row.activity)}">{_e(row.label)}'
        f'</div><div class="track">{_window_html(row.window, first_day, "golive", title)}'
        "</div></div>\n"
    )


def _html_task_row(
    schedule: Schedule, row: Row, first_day: date, colours: dict[str, str], names: dict[str, str]
) -> str:
    task = row.task
    assert task is not None
    tip = _e(_tooltip(schedule, task, names))
    person = _e(names.get(task.assignee, task.assignee))
    colour = colours[task.assignee]
    late = " late" if task.late_days > 0 else ""
    bars = "".join(
        f'<div class="bar{" over" if over else ""}" style="--s:{(s - first_day).days};'
        f'--n:{(e - s).days + 1};background:{LATE_COLOUR if over else colour}" title="{tip}">'
        "</div>"
        for s, e, over in split_at_due(task)
    )
    due = (
        f'<i class="due" style="--s:{(task.due - first_day).days + 1}" '
        f'title="{_e(_text(schedule)["due"])}: {task.due.isoformat()}"></i>'
        if task.due is not None and task.due >= first_day
        else ""
    )
    name = f"{_e(task.name)} · {person}" + (
        f" ({_e(_text(schedule)['late_note'].format(n=task.late_days))})" if late else ""
    )
    after = (task.end - first_day).days + 1
    window = _window_html(row.window, first_day, "win", _text(schedule)["window"])
    return (
        f'<div class="row task{late}" data-person="{_e(task.assignee)}" data-task="{_e(task.id)}">'
        f'<div class="label" title="{tip}"><span class="dot" style="background:{colour}"></span>'
        f"{_e(task.name)} <small>{person}</small></div>"
        f'<div class="track">{window}'
        f'{bars}{due}<span class="name" style="--s:{after}">{name}</span></div></div>\n'
    )


CSS = """
*{box-sizing:border-box}
body{margin:0;font:13px/1.35 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",
"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",sans-serif;color:#212529}
header{padding:8px 12px;border-bottom:1px solid #dee2e6}
h1{font-size:18px;margin:0 0 4px}
.summary{margin:0 0 6px;color:#495057}
.controls{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin-bottom:6px}
.controls button{font:inherit;padding:2px 10px;border:1px solid #adb5bd;background:#f8f9fa;
border-radius:4px;cursor:pointer}
.controls button.on{background:#343a40;color:#fff}
.legend{display:flex;gap:6px;flex-wrap:wrap}
.chip{padding:1px 8px;border-radius:10px;border:1px solid #868e96;cursor:pointer}
.chip-late{background:#e03131;color:#fff;cursor:default}
.chip-win{background:#fff3bf;border-color:#f59f00;cursor:default}
.gantt{overflow:auto;max-height:calc(100vh - 120px);position:relative}
.head,.row{display:flex;width:calc(var(--label) + var(--days) * var(--day))}
.head{position:sticky;top:0;z-index:4;background:#fff;border-bottom:1px solid #adb5bd}
.label{position:sticky;left:0;z-index:3;flex:none;width:var(--label);background:#fff;
padding:0 6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;
border-right:1px solid #adb5bd}
.track{position:relative;flex:none;width:calc(var(--days) * var(--day));z-index:1}
.head .track{height:38px}
.months,.days{position:absolute;left:0;right:0;height:19px}
.days{top:19px}
.m{position:absolute;left:calc(var(--s) * var(--day));width:calc(var(--n) * var(--day));
border-left:1px solid #868e96;padding-left:3px;font-weight:600;white-space:nowrap;overflow:hidden}
.d{position:absolute;left:calc(var(--s) * var(--day));width:var(--day);text-align:center;
font-size:11px;color:#495057}
.d.off{background:#e9ecef}
.compact .d{color:transparent}
.corner{display:flex;align-items:end;font-weight:600;padding-bottom:3px}
.body{position:relative}
.grid{position:absolute;top:0;bottom:0;left:var(--label);width:calc(var(--days) * var(--day));
pointer-events:none}
.grid i{position:absolute;top:0;bottom:0;left:calc(var(--s) * var(--day))}
.grid .off{width:var(--day);background:rgba(134,142,150,.16)}
.grid .month{border-left:1px solid #ced4da}
.grid .today{border-left:2px dashed #c92a2a;z-index:2}
.row{height:24px;border-bottom:1px solid #f1f3f5}
.row .label{line-height:23px}
.row.act{height:26px;background:rgba(222,226,230,.55)}
.row.act .label{font-weight:700;background:#e9ecef;line-height:25px}
.row.late .label{color:#c92a2a;font-weight:600}
.label small{color:#868e96}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:5px}
.win,.golive{position:absolute;top:0;bottom:0;left:calc(var(--s) * var(--day));
width:calc(var(--n) * var(--day));background:rgba(255,236,153,.55)}
.golive{top:5px;bottom:5px;background:#f59f00;border-radius:3px}
.bar{position:absolute;top:4px;height:16px;left:calc(var(--s) * var(--day));
width:max(calc(var(--n) * var(--day)),2px);border:1px solid rgba(0,0,0,.35);border-radius:3px}
.bar.over{border-color:#a51111}
.due{position:absolute;top:2px;height:20px;left:calc(var(--s) * var(--day) - 1px);width:2px;
background:#212529}
.name{position:absolute;left:calc(var(--s) * var(--day) + 5px);top:4px;line-height:16px;
white-space:nowrap;pointer-events:none;font-size:12px;background:rgba(255,255,255,.75);
padding:0 2px;border-radius:2px}
.row.late .name{color:#a51111;font-weight:600}
.row[hidden],section[hidden]{display:none}
"""

JS = """
(function () {
  var gantt = document.getElementById("gantt");
  var select = document.getElementById("person");
  var shown = document.getElementById("shown");
  function zoom(px) {
    if (!gantt) return;
    gantt.style.setProperty("--day", px + "px");
    gantt.classList.toggle("compact", px < Number(gantt.dataset.compact));
    document.querySelectorAll("button[data-day]").forEach(function (b) {
      b.classList.toggle("on", Number(b.dataset.day) === px);
    });
  }
  function filter() {
    var who = select ? select.value : "";
    var count = 0;
    document.querySelectorAll("section.activity").forEach(function (section) {
      var any = false;
      section.querySelectorAll(".row.task").forEach(function (row) {
        var hide = who !== "" && row.dataset.person !== who;
        row.hidden = hide;
        if (!hide) { any = true; count += 1; }
      });
      section.hidden = !any;
    });
    if (shown) shown.textContent = "· " + shown.dataset.label + ": " + count;
  }
  document.querySelectorAll("button[data-day]").forEach(function (b) {
    b.addEventListener("click", function () { zoom(Number(b.dataset.day)); });
  });
  document.querySelectorAll(".chip[data-person]").forEach(function (chip) {
    chip.addEventListener("click", function () {
      if (!select) return;
      select.value = select.value === chip.dataset.person ? "" : chip.dataset.person;
      filter();
    });
  });
  if (select) select.addEventListener("change", filter);
  filter();
  if (gantt && gantt.dataset.today) {
    var px = parseFloat(getComputedStyle(gantt).getPropertyValue("--day")) || 6;
    var label = parseFloat(getComputedStyle(gantt).getPropertyValue("--label")) || 0;
    var x = Number(gantt.dataset.today) * px;
    var view = gantt.clientWidth - label;
    if (x > view - 100) gantt.scrollLeft = x - view / 4;
  }
  document.body.dataset.ready = "1";
})();
"""
