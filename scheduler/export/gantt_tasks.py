"""gantt.png for a small schedule: one row per task, grouped under a row per activity.

One row per task keeps every task name readable next to its own bar, shows a task split by a
weekend as separate pieces, and never stacks bars on each other; the picture grows about
0.25 in a row, so it is only drawn up to `gantt_png.DETAIL_MAX_TASKS` tasks.

Colours: each person has one colour (legend at the top); the days of a task after its due date
are red and a late task's label is red; the live window of an activity is pale yellow across
its rows, with a gold bar in the activity's own row; non-working days are light grey; an
optional `today` is a red line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from matplotlib.artist import Artist
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import offset_copy

from scheduler.export.gantt_common import (
    GO_LIVE_COLOUR,
    TODAY_COLOUR,
    Row,
    chart_rows,
    late_note,
    split_at_due,
    words,
)
from scheduler.export.gantt_draw import rectangles, shade_off_days, today_line
from scheduler.export.gantt_fonts import text_inches
from scheduler.export.tables import (
    LATE_COLOUR,
    WINDOW_COLOUR,
    OffDays,
    day_range,
    person_colours,
    person_names,
)
from scheduler.schedule import ActivityWindow, Schedule, ScheduledTask
from scheduler.words import status_name

ROW_INCHES = 0.25
FONT_PT = 8
NOTE_PT = 7
LEGEND_RAISE_PT = 34  # the legend sits this far above the plot, over the top date labels
MONTH_PAD_PT = 10  # month labels sit this far from the plot, a line beyond the Mondays' days


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


def task_figure(
    schedule: Schedule, span: tuple[date, date], today: date | None, off: OffDays
) -> Figure:
    """The one-row-per-task chart of a schedule with tasks, over the days of `span`."""
    rows = chart_rows(schedule)
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
    today_line(axes, span, today)
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


def _layout(
    schedule: Schedule, rows: list[Row], span: tuple[date, date], legend: list[str]
) -> _Layout:
    days = (span[1] - span[0]).days + 1
    left = max(text_inches(_short(r.label), FONT_PT) * 1.1 for r in rows) + 0.3
    plot = min(30.0, max(8.0, days * 0.065))
    beyond = [
        _note_x(r.task, span[0]) / (days + 0.5) * plot
        + text_inches(_note(schedule, r.task), NOTE_PT)
        - plot
        for r in rows
        if r.task is not None
    ]
    right = 0.3 + max([0.0, *beyond])
    width = left + plot + right
    entries = [text_inches(label, FONT_PT) + 0.6 for label in legend]
    if sum(entries) <= width - 0.3:
        columns = len(legend)
    else:
        columns = max(1, int((width - 0.3) // max(entries)))
    legend_height = -(-len(legend) // columns) * 0.2
    top = LEGEND_RAISE_PT / 72 + legend_height + 0.4
    bottom = 0.6
    height = top + bottom + ROW_INCHES * len(rows)
    return _Layout(width, height, left, right, top, bottom, columns, legend_height)


def _note(schedule: Schedule, task: ScheduledTask) -> str:
    """The text beside a task's bar: its person, and how late it is."""
    note = person_names(schedule).get(task.assignee, task.assignee)
    if task.late_days > 0:
        note += "  " + late_note(schedule, task.late_days)
    return note


def _note_x(task: ScheduledTask, first_day: date) -> float:
    """Where the text beside a task's bar starts: after the bar and after its due tick, so
    that the tick never strikes through the text."""
    last = max(task.end, task.due) if task.due is not None else task.end
    return (last - first_day).days + 1.4


def month_ticks(span: tuple[date, date], plot_inches: float) -> list[int]:
    """The days (from the span's first) labelled with their month: each first of a month,
    and the span's first day when the next first of a month is far enough for its label."""
    days = (span[1] - span[0]).days + 1
    firsts = [(d - span[0]).days for d in day_range(*span) if d.day == 1]
    label_days = (text_inches("2027-05", FONT_PT) + 0.1) / (plot_inches / (days + 0.5))
    if not firsts or (firsts[0] != 0 and firsts[0] >= label_days):
        firsts.insert(0, 0)
    return firsts


def _draw_background(axes, rows: list[Row], span: tuple[date, date], off: OffDays) -> None:
    shade_off_days(axes, span, off, -0.5, len(rows))
    heads = [
        (0, i - 0.5, (span[1] - span[0]).days + 1, 1) for i, r in enumerate(rows) if not r.task
    ]
    axes.add_collection(
        rectangles(heads, facecolors="#dee2e6", alpha=0.6, linewidths=0, zorder=0.2)
    )
    windows = [
        ((w.start - span[0]).days, first - 0.5, (w.end - w.start).days + 1, last - first + 1)
        for first, last, w in _window_blocks(rows)
        if w is not None
    ]
    axes.add_collection(
        rectangles(windows, facecolors=WINDOW_COLOUR, alpha=0.8, linewidths=0, zorder=0.5)
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
        rectangles(boxes, facecolors=faces, edgecolors="#495057", linewidths=0.4, zorder=3)
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
            _note_x(row.task, first_day),
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
    months = month_ticks(span, layout.width - layout.left - layout.right)
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
    if labels:
        axes.tick_params(axis="x", which="major", pad=MONTH_PAD_PT)
    axes.grid(axis="x", which="major", color="#868e96", linewidth=0.8)
    axes.grid(axis="x", which="minor", color="#ced4da", linewidth=0.4)
    axes.set_axisbelow(True)
    legend_pt = LEGEND_RAISE_PT + layout.legend_height * 72
    axes.set_title(
        f"{schedule.plan} ({status_name(schedule.status, schedule.language)})",
        fontsize=12,
        loc="left",
        pad=legend_pt + 6,
    )


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _legend_handles(schedule: Schedule, today: date | None) -> list[Artist]:
    text = words(schedule)
    names = person_names(schedule)
    handles: list[Artist] = [
        Patch(color=colour, label=names.get(pid, pid))
        for pid, colour in person_colours(schedule).items()
        if any(t.assignee == pid for t in schedule.tasks)
    ]
    handles += [
        Patch(color=LATE_COLOUR, label=text["late"]),
        Patch(color=GO_LIVE_COLOUR, label=text["window"]),
        Line2D([], [], color="#212529", linewidth=1, label=text["due"]),
    ]
    if today is not None:
        label = f"{text['today']} {today.isoformat()}"
        handles.append(Line2D([], [], color=TODAY_COLOUR, linestyle="--", label=label))
    return handles
