"""The Gantt tables: `schedule.csv` and `schedule.xlsx` (FORMAT.md section 6).

`schedule.csv` has one row per task, sorted by start then task id, UTF-8 with a BOM so that
Excel shows Chinese. Text cells that a spreadsheet would read as a formula (starting with
`=`, `+`, `-`, `@`, a tab or a carriage return) get a leading `'`; line breaks are `\n`
(quoted), other control characters are dropped (`scheduler.export.cells.table_text`).

In `schedule.xlsx` every text cell, on every sheet, is a text cell (never a formula): text
that looks like one keeps its value and gets Excel's quote prefix, so that editing the cell
does not turn it into a formula either; characters XML cannot hold are dropped and a text
longer than an Excel cell is cut (`scheduler.export.cells.xml_text`).

`schedule.xlsx` has three sheets: `Tasks` (the same table, with real dates and a filter),
`Gantt` (one row per task, one column per calendar day; the task's working days are filled in
its person's colour, the days after its due date in red; the live window of its activity is
pale yellow; non-working days are grey; a schedule longer than Excel's 16384 columns shows
its first `GANTT_MAX_DAYS` days and says so in A1) and `People` (each person's work per ISO
week in person-days, plus the colour legend).

The helpers `person_colours`, `worked_days`, `activity_label` and `ordered_tasks` are shared
with the charts (`scheduler.export.gantt_png`).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from copy import copy
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.export.cells import looks_like_formula, table_text, xml_text
from scheduler.schedule import ActivityWindow, Schedule, ScheduledTask
from scheduler.versions.atomic import write_bytes

# (key, English header, Chinese header): the columns of schedule.csv and of the Tasks sheet.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("task_id", "task id", "任务编号"),
    ("activity_id", "activity id", "活动编号"),
    ("activity", "activity", "活动"),
    ("step", "step", "步骤"),
    ("task", "task", "任务"),
    ("role", "role", "角色"),
    ("assignee_id", "assignee id", "负责人编号"),
    ("assignee", "assignee", "负责人"),
    ("start", "start", "开始"),
    ("end", "end", "结束"),
    ("working_days", "working days", "工作日"),
    ("load", "load %", "负荷 %"),
    ("due", "due", "截止"),
    ("late_days", "late days", "延误天数"),
    ("strict", "strict", "硬截止"),
)
DATE_KEYS = frozenset({"start", "end", "due"})

# Medium-light colours, distinct from each other, from the late red and from the grey and
# yellow used for non-working days and live windows; black text stays readable on them.
PALETTE: tuple[str, ...] = (
    "#6baed6",
    "#fd8d3c",
    "#74c476",
    "#9e9ac8",
    "#e7ba52",
    "#6dccda",
    "#f1a3d6",
    "#a1887f",
    "#cedb9c",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#9edae5",
)
LATE_COLOUR = "#e03131"
WINDOW_COLOUR = "#fff3bf"
OFF_DAY_COLOUR = "#e9ecef"
FIXED_TIMESTAMP = "1980-01-01T00:00:00Z"  # written into the xlsx instead of "now"


# ---------------------------------------------------------------- shared helpers


def is_chinese(language: str) -> bool:
    """Whether a schedule language (`zh`, `zh-CN`, ...) asks for Chinese labels."""
    return language.lower().startswith("zh")


def headers(language: str) -> list[str]:
    """The column headers of schedule.csv and the Tasks sheet for a schedule language."""
    if is_chinese(language):
        return [f"{en} ({zh})" for _, en, zh in COLUMNS]
    return [en for _, en, _ in COLUMNS]


def ordered_tasks(schedule: Schedule) -> list[ScheduledTask]:
    """The tasks sorted by start date, then by task id."""
    return sorted(schedule.tasks, key=lambda t: (t.start, t.id))


def worked_days(task: ScheduledTask) -> list[date]:
    """The calendar days a task is worked on: the days of its stretches (start..end if none)."""
    stretches = task.stretches or ((task.start, task.end),)
    return [day for first, last in stretches for day in day_range(first, last)]


def day_range(first: date, last: date) -> list[date]:
    """Every calendar day from `first` to `last`, both inclusive."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def person_colours(schedule: Schedule) -> dict[str, str]:
    """A stable `#rrggbb` colour for each person id: staff order first, then other assignees."""
    ids = [p.id for p in schedule.staff]
    ids += sorted({t.assignee for t in schedule.tasks} - set(ids))
    return {pid: PALETTE[n % len(PALETTE)] for n, pid in enumerate(ids)}


def person_names(schedule: Schedule) -> dict[str, str]:
    """Person id -> display name (the id itself for an assignee missing from the staff)."""
    names = {t.assignee: t.assignee for t in schedule.tasks}
    names.update({p.id: p.name for p in schedule.staff})
    return names


def activity_windows(schedule: Schedule) -> dict[str, ActivityWindow]:
    """Activity occurrence id -> its live window."""
    return {a.id: a for a in schedule.activities}


def activity_label(schedule: Schedule, activity_id: str) -> str:
    """How charts name an activity occurrence: name, store when set, and first live day."""
    window = activity_windows(schedule).get(activity_id)
    if window is None:
        return activity_id
    store = schedule.stores.get(window.store, window.store) if window.store else None
    name = f"{window.name} · {store}" if store else window.name
    return f"{name} {window.start:%m-%d}"


def grouped_tasks(schedule: Schedule) -> list[tuple[str, list[ScheduledTask]]]:
    """The tasks grouped by activity, activities in order of first live day then first task."""
    groups: dict[str, list[ScheduledTask]] = defaultdict(list)
    for task in ordered_tasks(schedule):
        groups[task.activity].append(task)
    windows = activity_windows(schedule)

    def key(activity_id: str) -> tuple[date, date, str]:
        first_task = groups[activity_id][0].start
        window = windows.get(activity_id)
        return (window.start if window else first_task, first_task, activity_id)

    return [(aid, groups[aid]) for aid in sorted(groups, key=key)]


def day_span(schedule: Schedule) -> tuple[date, date] | None:
    """First and last calendar day to draw: all tasks and the live windows of their activities."""
    if not schedule.tasks:
        return None
    windows = activity_windows(schedule)
    used = [windows[t.activity] for t in schedule.tasks if t.activity in windows]
    firsts = [t.start for t in schedule.tasks] + [w.start for w in used]
    lasts = [t.end for t in schedule.tasks] + [w.end for w in used]
    firsts += [d for t in schedule.tasks for d, _ in t.stretches]
    lasts += [d for t in schedule.tasks for _, d in t.stretches]
    firsts += [t.due for t in schedule.tasks if t.due]  # a due may lie before the task
    lasts += [t.due for t in schedule.tasks if t.due]
    return min(firsts), max(lasts)


class OffDays:
    """Which calendar days are non-working: inside the range of the given working days, those
    not among them; outside it (or when none are given), Saturdays and Sundays."""

    def __init__(self, working_days: Iterable[date] = ()) -> None:
        self.working = frozenset(working_days)
        self.first = min(self.working, default=None)
        self.last = max(self.working, default=None)

    def __contains__(self, day: date) -> bool:
        if self.first is not None and self.last is not None and self.first <= day <= self.last:
            return day not in self.working
        return day.weekday() >= 5


def off_days(schedule: Schedule, working_days: Iterable[date] = ()) -> OffDays:
    """The non-working days: from `working_days`, else from the schedule's own plan calendar."""
    given = list(working_days) or list(getattr(schedule, "working_days", None) or ())
    return OffDays(given)


# ---------------------------------------------------------------- rows


def task_records(schedule: Schedule) -> list[dict[str, Any]]:
    """One dict per task, keyed like COLUMNS, dates as `date` objects, sorted by start and id."""
    windows = activity_windows(schedule)
    names = person_names(schedule)
    return [_record(task, windows, names) for task in ordered_tasks(schedule)]


def _record(
    task: ScheduledTask, windows: dict[str, ActivityWindow], names: dict[str, str]
) -> dict[str, Any]:
    window = windows.get(task.activity)
    return {
        "task_id": task.id,
        "activity_id": task.activity,
        "activity": window.name if window else task.activity,
        "step": task.step,
        "task": task.name,
        "role": task.role,
        "assignee_id": task.assignee,
        "assignee": names.get(task.assignee, task.assignee),
        "start": task.start,
        "end": task.end,
        "working_days": task.working_days or len(worked_days(task)),
        "load": task.load,
        "due": task.due,
        "late_days": task.late_days,
        "strict": "yes" if task.strict else "no",
    }


def tasks_frame(schedule: Schedule) -> pd.DataFrame:
    """The task table as schedule.csv shows it: ISO date text, neutralised text cells."""
    rows = [
        [_csv_cell(key, record[key]) for key, _, _ in COLUMNS] for record in task_records(schedule)
    ]
    return pd.DataFrame(rows, columns=headers(schedule.language), dtype=object)


def _csv_cell(key: str, value: Any) -> Any:
    if key in DATE_KEYS:
        return value.isoformat() if value else ""
    return table_text(value)


# ---------------------------------------------------------------- csv


def write_csv(schedule: Schedule, path: str | Path) -> None:
    """Write `schedule.csv`: one row per task, UTF-8 with BOM, formula-safe, sorted by start."""
    text = tasks_frame(schedule).to_csv(index=False, lineterminator="\n")
    write_bytes(path, text.encode("utf-8-sig"))


# ---------------------------------------------------------------- xlsx


def write_xlsx(schedule: Schedule, path: str | Path, *, working_days: Sequence[date] = ()) -> None:
    """Write `schedule.xlsx` with the sheets Tasks, Gantt (day grid) and People (weekly load).

    A day is non-working when it is not in `working_days` (default: the schedule's own plan
    calendar); without any, Saturdays and Sundays are.
    """
    workbook = Workbook()
    _fill_tasks_sheet(workbook.active, schedule)
    _fill_gantt_sheet(workbook.create_sheet("Gantt"), schedule, off_days(schedule, working_days))
    _fill_people_sheet(workbook.create_sheet("People"), schedule)
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_bytes(path, _deterministic_zip(buffer.getvalue()))


def _fill(colour: str) -> PatternFill:
    rgb = colour.lstrip("#").upper()
    return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)


def _set_text(cell: Any, value: Any) -> None:
    """Store a value; any text stays text: never a formula, with Excel's quote prefix when it
    looks like one (no quote shown), without characters XML cannot hold."""
    if not isinstance(value, str):
        cell.value = value
        return
    text = xml_text(value)
    cell.value = text
    cell.data_type = "s"
    if looks_like_formula(text):
        cell.quotePrefix = True


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _fill_tasks_sheet(sheet: Worksheet, schedule: Schedule) -> None:
    sheet.title = "Tasks"
    names = headers(schedule.language)
    sheet.append(names)
    records = task_records(schedule)
    for row, record in enumerate(records, start=2):
        for col, (key, _, _) in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=row, column=col)
            _set_text(cell, record[key])
            if key in DATE_KEYS:
                cell.number_format = "yyyy-mm-dd"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    _size_columns(sheet, names, records)
    if records:
        ref = f"A1:{get_column_letter(len(COLUMNS))}{len(records) + 1}"
        table = Table(displayName="Tasks", ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        sheet.add_table(table)


def _size_columns(sheet: Worksheet, names: list[str], records: list[dict[str, Any]]) -> None:
    for col, ((key, _, _), header) in enumerate(zip(COLUMNS, names, strict=True), start=1):
        cells = [header] + [_csv_cell(key, r[key]) for r in records]
        width = max(_display_width(str(c)) for c in cells) + 4  # room for the filter button
        sheet.column_dimensions[get_column_letter(col)].width = min(width, 60)


# Gantt sheet layout: row 1 months, row 2 days (real dates shown as the day number); columns
# A-C activity, task, assignee; one column per calendar day from column D.
GANTT_HEADER_ROWS = 2
GANTT_FIRST_DAY_COLUMN = 4
EXCEL_COLUMNS = 16384
GANTT_MAX_DAYS = EXCEL_COLUMNS - GANTT_FIRST_DAY_COLUMN + 1  # later days: left out, with a note


def gantt_column(day: date, first_day: date) -> int:
    """The Gantt sheet column (1-based) of a calendar day, given the grid's first day."""
    return GANTT_FIRST_DAY_COLUMN + (day - first_day).days


def _fill_gantt_sheet(sheet: Worksheet, schedule: Schedule, off: OffDays) -> None:
    zh = is_chinese(schedule.language)
    sheet["A2"], sheet["B2"], sheet["C2"] = (
        ("活动", "任务", "负责人") if zh else ("activity", "task", "assignee")
    )
    span = day_span(schedule)
    if span is not None:
        days = day_range(*span)
        if len(days) > GANTT_MAX_DAYS:
            days = days[:GANTT_MAX_DAYS]
            sheet["A1"] = (
                f"{days[-1]} 之后的日期未显示：Excel 工作表最多 16384 列（全部见 gantt.html）"
                if zh
                else f"Days after {days[-1]} are not shown: an Excel sheet has 16384 columns "
                "(gantt.html shows them all)"
            )
            sheet["A1"].font = Font(italic=True, color=LATE_COLOUR[1:])
        _gantt_header(sheet, days, off)
        _gantt_rows(sheet, schedule, days, off)
    for column, width in zip("ABC", (24, 28, 12), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = sheet.cell(row=GANTT_HEADER_ROWS + 1, column=GANTT_FIRST_DAY_COLUMN)


def _gantt_header(sheet: Worksheet, days: list[date], off: OffDays) -> None:
    grey = _fill(OFF_DAY_COLOUR)
    bold = Font(bold=True)
    centre = Alignment(horizontal="center")
    for cell in sheet[2][:3]:
        cell.font = bold
    month_start: int | None = None
    for day in days:
        col = gantt_column(day, days[0])
        if month_start is None or day.day == 1:
            month_start = col
            sheet.cell(row=1, column=col, value=f"{day:%Y-%m}").font = bold
        cell = sheet.cell(row=2, column=col, value=day)
        cell.number_format = "d"
        cell.alignment = centre
        if day in off:
            cell.fill = grey
        sheet.column_dimensions[get_column_letter(col)].width = 3.2


def _gantt_rows(sheet: Worksheet, schedule: Schedule, days: list[date], off: OffDays) -> None:
    colours = person_colours(schedule)
    names = person_names(schedule)
    windows = activity_windows(schedule)
    shaded = [d for d in days if d in off]
    styles = _StyleCache()
    row = GANTT_HEADER_ROWS
    for activity_id, tasks in grouped_tasks(schedule):
        for task in tasks:
            row += 1
            _set_text(sheet.cell(row=row, column=1), activity_label(schedule, activity_id))
            _set_text(sheet.cell(row=row, column=2), task.name)
            _set_text(sheet.cell(row=row, column=3), names.get(task.assignee, task.assignee))
            if task.late_days > 0:
                sheet.cell(row=row, column=2).font = Font(bold=True, color=LATE_COLOUR[1:])
                sheet.cell(row=row, column=2).fill = _fill("#ffe3e3")
            looks = gantt_row_looks(task, windows.get(activity_id), shaded, colours)
            for day, (colour, edges) in looks.items():
                if day <= days[-1]:
                    column = gantt_column(day, days[0])
                    styles.apply(sheet.cell(row=row, column=column), colour, edges)


def gantt_row_looks(
    task: ScheduledTask,
    window: ActivityWindow | None,
    shaded: Iterable[date],
    colours: dict[str, str],
) -> dict[date, tuple[str, frozenset[str]]]:
    """Day -> (fill colour, borders) of one task's Gantt row; later rules win over earlier ones.

    Non-working days grey; the live window pale yellow with a top and bottom edge; the task's
    working days in its person's colour, red after its due date; a right edge on the due date.
    """
    looks: dict[date, tuple[str, frozenset[str]]] = dict.fromkeys(
        shaded, (OFF_DAY_COLOUR, frozenset())
    )
    if window is not None:
        edges = frozenset({"top", "bottom"})
        looks.update(dict.fromkeys(day_range(window.start, window.end), (WINDOW_COLOUR, edges)))
    for day in worked_days(task):
        late = task.due is not None and day > task.due
        looks[day] = (LATE_COLOUR if late else colours[task.assignee], frozenset())
    if task.due is not None:
        colour, edges = looks.get(task.due, ("", frozenset()))
        looks[task.due] = (colour, edges | {"right"})
    return looks


EDGES = {
    "top": Side(style="thin", color="E6A700"),
    "bottom": Side(style="thin", color="E6A700"),
    "right": Side(style="medium", color="C92A2A"),
}


class _StyleCache:
    """Cell looks built once and then copied: openpyxl hashes a style on every assignment,
    which makes a year-long grid of hundreds of rows slow."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, frozenset[str]], Any] = {}

    def apply(self, cell: Any, colour: str, edges: frozenset[str]) -> None:
        key = (colour, edges)
        made = self._made.get(key)
        if made is not None:
            cell._style = copy(made)
            return
        if colour:
            cell.fill = _fill(colour)
        if edges:
            cell.border = Border(**{edge: EDGES[edge] for edge in edges})
        self._made[key] = copy(cell._style)


def weekly_load(schedule: Schedule) -> dict[str, dict[str, float]]:
    """Person id -> ISO week (`2027-W38`) -> person-days: sum of load/100 over days worked."""
    load: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for task in schedule.tasks:
        for day in worked_days(task):
            year, week, _ = day.isocalendar()
            load[task.assignee][f"{year}-W{week:02d}"] += task.load / 100
    return {pid: dict(weeks) for pid, weeks in load.items()}


def _iso_weeks(days: Iterable[date]) -> list[str]:
    weeks = {f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in days}
    return sorted(weeks)


def _fill_people_sheet(sheet: Worksheet, schedule: Schedule) -> None:
    zh = is_chinese(schedule.language)
    sheet["A1"] = (
        "每人每 ISO 周的工作量，单位：人天（任务负荷% × 当周工作日之和；5 = 一人满负荷一周）"
        if zh
        else "Work per person and ISO week in person-days "
        "(sum of task load % x working days that week; 5 = one person full time for a week)"
    )
    sheet["A1"].font = Font(italic=True)
    load = weekly_load(schedule)
    span = day_span(schedule)
    weeks = _iso_weeks(day_range(*span)) if span else []
    header = ["人员", "编号", "能力 %"] if zh else ["person", "id", "capacity %"]
    sheet.append(header + weeks)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    _people_rows(sheet, schedule, load, weeks)
    sheet.freeze_panes = "D3"
    sheet.column_dimensions["A"].width = 16
    for col in range(4, 4 + len(weeks)):
        sheet.column_dimensions[get_column_letter(col)].width = 11
    if weeks and sheet.max_row > 2:
        cells = f"D3:{get_column_letter(3 + len(weeks))}{sheet.max_row}"
        rule = ColorScaleRule(
            start_type="num",
            start_value=0,
            start_color="FFFFFF",
            end_type="num",
            end_value=5,
            end_color="F08C00",
        )
        sheet.conditional_formatting.add(cells, rule)


def _people_rows(
    sheet: Worksheet, schedule: Schedule, load: dict[str, dict[str, float]], weeks: list[str]
) -> None:
    names = person_names(schedule)
    capacity = {p.id: p.capacity for p in schedule.staff}
    for pid, colour in person_colours(schedule).items():
        values = [round(load.get(pid, {}).get(w, 0.0), 2) for w in weeks]
        row = sheet.max_row + 1
        for column, value in enumerate(
            [names.get(pid, pid), pid, capacity.get(pid, 100), *values], start=1
        ):
            _set_text(sheet.cell(row=row, column=column), value)
        sheet.cell(row=row, column=1).fill = _fill(colour)


def _deterministic_zip(data: bytes) -> bytes:
    """The xlsx archive rewritten with fixed entry times and fixed document timestamps."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _fixed_core_times(content)
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, content)
    return out.getvalue()


def _fixed_core_times(content: bytes) -> bytes:
    pattern = rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)"
    return re.sub(pattern, rb"\g<1>" + FIXED_TIMESTAMP.encode() + rb"\g<2>", content)
