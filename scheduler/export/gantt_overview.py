"""gantt.png for a large schedule: a year overview in two panels sharing one time axis.

Activities (top): one row per activity occurrence, labelled with its name and first live day.
A light bar spans its preparation (first task's start to last task's end), the live window is
a strong dark bar, and each task is a short bar in its person's colour, in up to
`gantt_overview_rows.MAX_LANES` thin lanes so that tasks on the same days stay visible side by
side. Days worked after a task's due date are red, and a row with late tasks has a red label
and a red note after it.

People (bottom): one row per person, a bar per day whose height is the sum of the loads of
the tasks they work that day, as a share of their capacity (red: over capacity), so that one
sees who is busy when.

Both panels: month gridlines and labels, Monday gridlines (the day of the month above the
activities), non-working days lightly shaded, the optional `today` line, a legend on top.
The rows' data are in `gantt_overview_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory, offset_copy

from scheduler.export.gantt_common import (
    TODAY_COLOUR,
    late_note,
    split_at_due,
    words,
)
from scheduler.export.gantt_draw import Box, rectangles, shade_off_days, today_line
from scheduler.export.gantt_fonts import text_inches
from scheduler.export.gantt_overview_rows import (
    ActivityRow,
    PersonRow,
    overview_rows,
    person_rows,
)
from scheduler.export.tables import (
    LATE_COLOUR,
    OFF_DAY_COLOUR,
    OffDays,
    day_range,
    person_colours,
    person_names,
)
from scheduler.schedule import Schedule
from scheduler.words import status_name

WIDTH_INCHES = 28.0  # 2800 px at 100 dpi
ROW_INCHES = 0.21  # an activity row
PERSON_ROW_INCHES = 0.46  # a person row: room for the height of a day's load
MAX_PANEL_INCHES = 44.0  # more activities than fit at ROW_INCHES: thinner rows
MIN_ROW_INCHES = 0.1
NOTE_GAP_DAYS = 2  # a late note starts this far after the row's last day
FIRST_MONTH_MIN_DAYS = 10  # a shorter first partial month gets no label
FONT_PT = 9
TICK_PT = 8
TITLE_PT = 15
PREPARATION_COLOUR = "#d0d7de"
ZEBRA_COLOUR = "#f1f3f5"
# Not gold as in the one-row-per-task chart: there the tasks are in their own rows, here they
# share the activity's row with the live window and gold is too near the orange person colour.
LIVE_COLOUR = "#343a40"


@dataclass(frozen=True)
class _Layout:
    """Where everything goes, in inches from the figure's top-left corner."""

    width: float
    height: float
    left: float
    right: float
    legend_top: float
    legend_columns: int
    activities_top: float
    row: float
    persons_top: float
    person_row: float


def overview_figure(
    schedule: Schedule, span: tuple[date, date], today: date | None, off: OffDays
) -> Figure:
    """The year overview of a schedule with tasks, over the days of `span`."""
    rows = overview_rows(schedule)
    people = person_rows(schedule)
    handles = _legend_handles(schedule, rows, people, today)
    layout = _layout(schedule, rows, people, span, [h.get_label() for h in handles])
    figure = Figure(figsize=(layout.width, layout.height))
    days = (span[1] - span[0]).days + 1

    top = _axes(figure, layout, layout.activities_top, len(rows) * layout.row)
    top.set_xlim(0, days)
    top.set_ylim(len(rows) - 0.5, -0.5)
    _draw_activities(top, schedule, rows, span, off)
    _row_labels(top, [r.label for r in rows], [r.late_days > 0 for r in rows], layout.row)
    _calendar(top, span, day_labels=True, bottom=False)
    today_line(top, span, today)

    bottom = _axes(figure, layout, layout.persons_top, len(people) * layout.person_row)
    bottom.set_xlim(0, days)
    bottom.set_ylim(len(people) - 0.5, -0.5)
    _draw_people(bottom, people, span, off)
    _row_labels(bottom, [p.label for p in people], [False] * len(people), layout.person_row)
    _calendar(bottom, span, day_labels=False, bottom=True)
    today_line(bottom, span, today)

    _titles(figure, schedule, rows, layout)
    figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(layout.left / layout.width, 1 - layout.legend_top / layout.height),
        fontsize=FONT_PT,
        ncol=layout.legend_columns,
        frameon=False,
        borderaxespad=0,
        handlelength=1.6,
        columnspacing=1.4,
    )
    return figure


def _layout(
    schedule: Schedule,
    rows: list[ActivityRow],
    people: list[PersonRow],
    span: tuple[date, date],
    legend: list[str],
) -> _Layout:
    labels = [r.label for r in rows] + [p.label for p in people]
    left = max(text_inches(label, FONT_PT) for label in labels) + 0.45
    days = (span[1] - span[0]).days + 1
    plot = WIDTH_INCHES - left - 0.4
    beyond = [  # how far a late note reaches past the plot's right edge
        ((r.last_day - span[0]).days + NOTE_GAP_DAYS) / days * plot
        + text_inches(late_note(schedule, r.late_days), TICK_PT)
        - plot
        for r in rows
        if r.late_days > 0
    ]
    right = 0.4 + max([0.0, *beyond])
    entries = [text_inches(label, FONT_PT) + 0.45 for label in legend]
    room = WIDTH_INCHES - left - 0.4
    columns = len(legend) if sum(entries) <= room else max(1, int(room // max(entries)))
    legend_rows = -(-len(legend) // columns)
    row = max(MIN_ROW_INCHES, min(ROW_INCHES, MAX_PANEL_INCHES / max(1, len(rows))))
    legend_top = 0.85
    activities_top = legend_top + legend_rows * 0.22 + 0.85  # panel title, months, days
    persons_top = activities_top + len(rows) * row + 0.7  # panel title, months
    height = persons_top + len(people) * PERSON_ROW_INCHES + 0.4  # months below
    return _Layout(
        WIDTH_INCHES,
        height,
        left,
        right,
        legend_top,
        columns,
        activities_top,
        row,
        persons_top,
        PERSON_ROW_INCHES,
    )


def _axes(figure: Figure, layout: _Layout, top: float, height: float) -> Axes:
    """Axes without matplotlib's tick machinery (slow for hundreds of ticks): the labels and
    gridlines are drawn as plain texts and line collections instead."""
    axes = figure.add_axes(
        (
            layout.left / layout.width,
            1 - (top + height) / layout.height,
            1 - (layout.left + layout.right) / layout.width,
            height / layout.height,
        )
    )
    axes.xaxis.set_visible(False)
    axes.yaxis.set_visible(False)
    for side in ("left", "right"):
        axes.spines[side].set_visible(False)
    return axes


def _row_labels(axes: Axes, labels: list[str], late: list[bool], row_inches: float) -> None:
    size = min(FONT_PT, row_inches * 72 * 0.8)
    beside = offset_copy(
        blended_transform_factory(axes.transAxes, axes.transData),
        fig=axes.figure,
        x=-6,
        units="points",
    )
    for index, (label, is_late) in enumerate(zip(labels, late, strict=True)):
        axes.text(
            0,
            index,
            label,
            transform=beside,
            ha="right",
            va="center",
            fontsize=size,
            color=LATE_COLOUR if is_late else "black",
            fontweight="bold" if is_late else "normal",
            clip_on=False,
        )


def _calendar(axes: Axes, span: tuple[date, date], *, day_labels: bool, bottom: bool) -> None:
    """Month gridlines labelled `YYYY-MM` above (and below, when `bottom`) the plot, Monday
    gridlines, and with `day_labels` each Monday's day of the month above the plot."""
    days = day_range(*span)
    months = [(d - span[0]).days for d in days if d.day == 1]
    mondays = [(d - span[0]).days for d in days if d.weekday() == 0]
    along = axes.get_xaxis_transform()
    axes.vlines(mondays, 0, 1, transform=along, colors="#ced4da", linewidths=0.4, zorder=0.5)
    axes.vlines(months, 0, 1, transform=along, colors="#868e96", linewidths=0.8, zorder=0.5)
    figure = axes.figure
    month_at = 16 if day_labels else 4
    sides = [(1.0, month_at, "bottom")] + ([(0.0, -4, "top")] if bottom else [])
    names = [(x, f"{span[0] + timedelta(days=x):%Y-%m}") for x in months]
    if span[0].day != 1 and (not months or months[0] >= FIRST_MONTH_MIN_DAYS):
        names.insert(0, (0, f"{span[0]:%Y-%m}"))
    for y, offset, va in sides:
        place = offset_copy(along, fig=figure, x=2, y=offset, units="points")
        for x, name in names:
            axes.text(x, y, name, transform=place, fontsize=TICK_PT, va=va, clip_on=False)
    if day_labels:
        place = offset_copy(along, fig=figure, y=4, units="points")
        for x, day in zip(mondays, (d for d in days if d.weekday() == 0), strict=True):
            axes.text(x, 1.0, str(day.day), transform=place, fontsize=6, ha="center", va="bottom")


def _zebra(axes: Axes, count: int, days: int) -> None:
    stripes = [(0, i - 0.5, days, 1) for i in range(1, count, 2)]
    axes.add_collection(rectangles(stripes, facecolors=ZEBRA_COLOUR, linewidths=0, zorder=0))


def _draw_activities(
    axes: Axes, schedule: Schedule, rows: list[ActivityRow], span: tuple[date, date], off: OffDays
) -> None:
    first = span[0]
    days = (span[1] - first).days + 1
    _zebra(axes, len(rows), days)
    shade_off_days(axes, span, off, -0.5, len(rows), alpha=0.7, zorder=0.1)
    colours = person_colours(schedule)
    spans: list[Box] = []
    windows: list[Box] = []
    pieces: list[Box] = []
    faces: list[str] = []
    for index, row in enumerate(rows):
        if (prep := row.preparation) is not None:
            spans.append(((prep[0] - first).days, index - 0.4, (prep[1] - prep[0]).days + 1, 0.8))
        if row.window is not None:
            start, end = row.window.start, row.window.end
            windows.append(((start - first).days, index - 0.4, (end - start).days + 1, 0.8))
        lane_height = 0.72 / row.lane_count
        for task, lane in zip(row.tasks, row.lanes, strict=True):
            y = index - 0.36 + lane * lane_height
            for start, end, late in split_at_due(task):
                pieces.append(((start - first).days, y, (end - start).days + 1, lane_height))
                faces.append(LATE_COLOUR if late else colours[task.assignee])
        if row.late_days > 0:
            axes.text(
                (row.last_day - first).days + NOTE_GAP_DAYS,
                index,
                late_note(schedule, row.late_days),
                va="center",
                fontsize=TICK_PT,
                color=LATE_COLOUR,
                fontweight="bold",
                zorder=6,
            )
    axes.add_collection(
        rectangles(spans, facecolors=PREPARATION_COLOUR, edgecolors="#adb5bd", linewidths=0.5)
    )
    axes.add_collection(rectangles(windows, facecolors=LIVE_COLOUR, linewidths=0, zorder=2))
    axes.add_collection(
        rectangles(pieces, facecolors=faces, edgecolors="white", linewidths=0.4, zorder=3)
    )


def _draw_people(
    axes: Axes, people: list[PersonRow], span: tuple[date, date], off: OffDays
) -> None:
    first = span[0]
    days = (span[1] - first).days + 1
    _zebra(axes, len(people), days)
    shade_off_days(axes, span, off, -0.5, len(people), alpha=0.7, zorder=0.1)
    bars: list[Box] = []
    faces: list[str] = []
    for index, person in enumerate(people):
        base = index + 0.42
        for day, load in sorted(person.load.items()):
            share = load / person.capacity
            height = 0.84 * min(1.0, share)
            bars.append(((day - first).days, base - height, 1, height))
            faces.append(LATE_COLOUR if share > 1 else person.colour)
    axes.add_collection(rectangles(bars, facecolors=faces, linewidths=0, zorder=3))
    axes.hlines(
        [index + 0.42 - 0.84 for index in range(len(people))],
        0,
        days,
        colors="#adb5bd",
        linewidths=0.6,
        linestyles=":",
        zorder=2,
    )


def _titles(figure: Figure, schedule: Schedule, rows: list[ActivityRow], layout: _Layout) -> None:
    text = words(schedule)
    late = sum(1 for t in schedule.tasks if t.late_days > 0)
    status = status_name(schedule.status, schedule.language)
    title = (
        f"{schedule.plan} ({status}) · {text['count']}: {len(schedule.tasks)} · "
        f"{text['activities']}: {len(rows)} · {text['late']}: {late} "
        f"({text['late_days']}: {schedule.late_days})"
    )
    x = 0.3 / layout.width

    def at(inches: float) -> float:
        """The figure's y coordinate of a point `inches` below its top edge."""
        return 1 - inches / layout.height

    figure.text(x, at(0.2), title, fontsize=TITLE_PT, fontweight="bold", va="top")
    figure.text(x, at(0.55), text["overview"], fontsize=FONT_PT, va="top", color="#495057")
    figure.text(
        x,
        at(layout.activities_top - 0.45),
        f"{text['activity_panel']} ({len(rows)})",
        fontsize=FONT_PT + 2,
        fontweight="bold",
        va="bottom",
    )
    figure.text(
        x,
        at(layout.persons_top - 0.3),
        text["load_panel"],
        fontsize=FONT_PT + 2,
        fontweight="bold",
        va="bottom",
    )


def _legend_handles(
    schedule: Schedule, rows: list[ActivityRow], people: list[PersonRow], today: date | None
) -> list[Artist]:
    text = words(schedule)
    names = person_names(schedule)
    handles: list[Artist] = [
        Patch(color=person.colour, label=names.get(person.person, person.person))
        for person in people
    ]
    late = text["late"]
    if any(load > p.capacity for p in people for load in p.load.values()):
        late += f" / {text['overload']}"  # the same red: something to look at
    handles.append(
        Patch(facecolor=PREPARATION_COLOUR, edgecolor="#adb5bd", label=text["preparation"])
    )
    if any(row.window is not None for row in rows):
        handles.append(Patch(color=LIVE_COLOUR, label=text["window"]))
    handles += [
        Patch(color=LATE_COLOUR, label=late),
        Patch(facecolor=OFF_DAY_COLOUR, edgecolor="#ced4da", label=text["off_day"]),
    ]
    if today is not None:
        label = f"{text['today']} {today.isoformat()}"
        handles.append(Line2D([], [], color=TODAY_COLOUR, linestyle="--", label=label))
    return handles
