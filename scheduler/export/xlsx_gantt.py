"""The `Gantt` sheet of `schedule.xlsx`: one column per calendar day, activities grouped.

Rows 1-3 are the header: the plan name and the months (row 1), the day of the month (row 2,
real dates) and the weekday (row 3, with the column titles). Then each activity in order of
its first live day: an activity row (its name in column A; its preparation span dark grey,
its live window amber) and its task rows below it (outline level 1, so that the activity
collapses to its row), each with the task in column B and the assignee in column C; the
activity name is not repeated on them. A task's working days are filled in its person's
colour, the days after its due date in red, its due date has a red right edge; the live
window of its activity is pale yellow with a top and bottom edge.

Conditional formatting, not fixed fills, greys the non-working days (one rule over the
day columns, leaving out the live windows so that they stay visible) and marks today (a red
header and red column edges): the export's `today` when given, else Excel's TODAY(), which
follows the viewer's clock. No cell holds a formula.

Printing (`scheduler.export.xlsx_gantt_print`): A4 landscape, one month per page width,
the header rows and the name columns on every page, and for each month only the rows that
have work or a live window in it. A schedule longer than Excel's 16384 columns shows its
first `GANTT_MAX_DAYS` days and says so in A1.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import Outline
from openpyxl.worksheet.worksheet import Worksheet

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
    person_colours,
    person_names,
    worked_days,
)
from scheduler.export.xlsx_common import StyleCache, set_text, solid_fill
from scheduler.export.xlsx_gantt_print import GanttRows, setup_gantt_print
from scheduler.schedule import ActivityWindow, Schedule, ScheduledTask

GANTT_HEADER_ROWS = 3  # months, days, weekdays
GANTT_FIRST_DAY_COLUMN = 4  # columns A-C: activity, task, assignee
EXCEL_COLUMNS = 16384
GANTT_MAX_DAYS = EXCEL_COLUMNS - GANTT_FIRST_DAY_COLUMN + 1  # later days: left out, with a note
DAY_WIDTH = 3.0
NAME_WIDTHS = {"A": 2.7, "B": 30.0, "C": 10.0}  # A only indents: activity names overflow it
ACTIVITY_WINDOW_COLOUR = "#ffd43b"  # the live window on the activity's own row
PREPARATION_COLOUR = "#495057"  # first task start to last task end on the activity's row
TODAY_COLOUR = "#1c7ed6"  # blue: the due edges are red
LATE_NAME_FILL = "#ffe3e3"
WEEKDAYS = {"zh": "一二三四五六日", "en": "MTWTFSS"}


def gantt_column(day: date, first_day: date) -> int:
    """The Gantt sheet column (1-based) of a calendar day, given the grid's first day."""
    return GANTT_FIRST_DAY_COLUMN + (day - first_day).days


def fill_gantt_sheet(
    sheet: Worksheet, schedule: Schedule, off: OffDays, today: date | None = None
) -> None:
    """Fill the Gantt sheet (see the module docstring); `today` fixes the today marker, else
    it follows the viewer's clock."""
    zh = is_chinese(schedule.language)
    set_text(sheet["A1"], schedule.plan)
    sheet["A1"].font = Font(bold=True)
    sheet["B3"], sheet["C3"] = ("活动 / 任务", "负责人") if zh else ("activity / task", "assignee")
    for cell in sheet[3][:3]:
        cell.font = Font(bold=True)
    for column, width in NAME_WIDTHS.items():
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = sheet.cell(row=GANTT_HEADER_ROWS + 1, column=GANTT_FIRST_DAY_COLUMN)
    sheet.sheet_properties.outlinePr = Outline(summaryBelow=False, summaryRight=True)
    span = day_span(schedule)
    if span is None:
        return
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
    _header(sheet, days, off, "zh" if zh else "en")
    rows = _rows(sheet, schedule, days, off)
    _off_day_rule(sheet, days, off, rows)
    _today_rules(sheet, days, rows.last, today)
    setup_gantt_print(sheet, days, rows)


def _header(sheet: Worksheet, days: list[date], off: OffDays, language: str) -> None:
    bold = Font(bold=True)
    styles = StyleCache()
    for day in days:
        col = gantt_column(day, days[0])
        if col == GANTT_FIRST_DAY_COLUMN or day.day == 1:
            sheet.cell(row=1, column=col, value=f"{day:%Y-%m}").font = bold
        number = sheet.cell(row=2, column=col, value=day)
        weekday = sheet.cell(row=3, column=col, value=WEEKDAYS[language][day.weekday()])
        colour = OFF_DAY_COLOUR if day in off else ""
        styles.apply_header(number, colour, number_format="d")
        styles.apply_header(weekday, colour)
        sheet.column_dimensions[get_column_letter(col)].width = DAY_WIDTH


def _rows(sheet: Worksheet, schedule: Schedule, days: list[date], off: OffDays) -> GanttRows:
    colours = person_colours(schedule)
    names = person_names(schedule)
    windows = activity_windows(schedule)
    worked_anywhere = {d for t in schedule.tasks for d in worked_days(t)}
    # Off days on which somebody works are greyed cell by cell; all others by the rule.
    fixed_off = [d for d in days if d in off and d in worked_anywhere]
    styles = StyleCache()
    rows = GanttRows(worked=worked_anywhere)
    late_font, late_fill = Font(bold=True, color=LATE_COLOUR[1:]), solid_fill(LATE_NAME_FILL)
    bold = Font(bold=True)
    row = GANTT_HEADER_ROWS
    for activity_id, tasks in grouped_tasks(schedule):
        row += 1
        head = row
        window = windows.get(activity_id)
        set_text(sheet.cell(row=head, column=1), activity_label(schedule, activity_id, windows))
        sheet.cell(row=head, column=1).font = bold
        looks = activity_row_looks(tasks, window, fixed_off, off)
        _paint(sheet, head, looks, days, styles)
        rows.add(head, head, [d for d, (colour, _) in looks.items() if colour != OFF_DAY_COLOUR])
        for task in tasks:
            row += 1
            set_text(sheet.cell(row=row, column=2), task.name)
            set_text(sheet.cell(row=row, column=3), names.get(task.assignee, task.assignee))
            if task.late_days > 0:
                sheet.cell(row=row, column=2).font = late_font
                sheet.cell(row=row, column=2).fill = late_fill
            sheet.row_dimensions[row].outline_level = 1
            looks = gantt_row_looks(task, window, fixed_off, colours)
            _paint(sheet, row, looks, days, styles)
            rows.add(row, head, worked_days(task))
        if window is not None:
            rows.window(head, row, window.start, window.end)
    rows.last = row
    return rows


def _paint(
    sheet: Worksheet,
    row: int,
    looks: dict[date, tuple[str, frozenset[str]]],
    days: list[date],
    styles: StyleCache,
) -> None:
    first, last = days[0], days[-1]
    for day, (colour, edges) in looks.items():
        if first <= day <= last:
            styles.apply(sheet.cell(row=row, column=gantt_column(day, first)), colour, edges)


def gantt_row_looks(
    task: ScheduledTask,
    window: ActivityWindow | None,
    shaded: Iterable[date],
    colours: dict[str, str],
) -> dict[date, tuple[str, frozenset[str]]]:
    """Day -> (fill colour, borders) of one task's Gantt row; later rules win over earlier ones.

    The `shaded` days grey; the live window pale yellow with a top and bottom edge; the task's
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


def activity_row_looks(
    tasks: list[ScheduledTask],
    window: ActivityWindow | None,
    shaded: Iterable[date],
    off: OffDays,
) -> dict[date, tuple[str, frozenset[str]]]:
    """Day -> (fill colour, borders) of an activity's own row: the `shaded` days grey, the
    working days from its first task's start to its last task's end dark grey, its live
    window amber."""
    looks: dict[date, tuple[str, frozenset[str]]] = dict.fromkeys(
        shaded, (OFF_DAY_COLOUR, frozenset())
    )
    first, last = min(t.start for t in tasks), max(t.end for t in tasks)
    for day in day_range(first, last):
        if day not in off:
            looks[day] = (PREPARATION_COLOUR, frozenset())
    if window is not None:
        edges = frozenset({"top", "bottom"})
        span = day_range(window.start, window.end)
        looks.update(dict.fromkeys(span, (ACTIVITY_WINDOW_COLOUR, edges)))
    return looks


def _off_day_rule(sheet: Worksheet, days: list[date], off: OffDays, rows: GanttRows) -> None:
    """One conditional format greying the off days nobody works on, outside live windows."""
    worked = rows.worked
    ranges = []
    for first_col, last_col, kept in _column_blocks(days, off, worked, rows):
        for top, bottom in kept:
            ranges.append(
                f"{get_column_letter(first_col)}{top}:{get_column_letter(last_col)}{bottom}"
            )
    if not ranges:
        return
    rule = FormulaRule(formula=["TRUE"], fill=solid_fill(OFF_DAY_COLOUR))
    sheet.conditional_formatting.add(" ".join(ranges), rule)


def _column_blocks(
    days: list[date], off: OffDays, worked: set[date], rows: GanttRows
) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Runs of consecutive off-day columns with the same row intervals left to grey: every
    task row but those of activities live that day."""
    top, bottom = GANTT_HEADER_ROWS + 1, rows.last
    blocks: list[tuple[int, int, list[tuple[int, int]]]] = []
    for day in days:
        if day not in off or day in worked or bottom < top:
            continue
        kept = _complement(rows.windows_on(day), top, bottom)
        col = gantt_column(day, days[0])
        if blocks and blocks[-1][1] == col - 1 and blocks[-1][2] == kept:
            blocks[-1] = (blocks[-1][0], col, kept)
        else:
            blocks.append((col, col, kept))
    return [b for b in blocks if b[2]]


def _complement(taken: list[tuple[int, int]], top: int, bottom: int) -> list[tuple[int, int]]:
    kept, at = [], top
    for first, last in sorted(taken):
        if first > at:
            kept.append((at, first - 1))
        at = max(at, last + 1)
    if at <= bottom:
        kept.append((at, bottom))
    return kept


def _today_rules(sheet: Worksheet, days: list[date], last_row: int, today: date | None) -> None:
    """Today's header cells red and its column edged in red: `today`, else TODAY()."""
    first = get_column_letter(GANTT_FIRST_DAY_COLUMN)
    last = get_column_letter(gantt_column(days[-1], days[0]))
    when = f"DATE({today.year},{today.month},{today.day})" if today else "TODAY()"
    formula = f"{first}$2={when}"
    red = TODAY_COLOUR[1:].upper()
    header = FormulaRule(
        formula=[formula],
        fill=solid_fill(TODAY_COLOUR),
        font=Font(bold=True, color="FFFFFF"),
    )
    sheet.conditional_formatting.add(f"{first}2:{last}3", header)
    if last_row > GANTT_HEADER_ROWS:
        edge = Side(style="thin", color=red)
        column = FormulaRule(formula=[formula], border=Border(left=edge, right=edge))
        sheet.conditional_formatting.add(f"{first}4:{last}{last_row}", column)


def weekday_labels(language: str) -> str:
    """The weekday row's labels, Monday first, for a schedule language."""
    return WEEKDAYS["zh" if is_chinese(language) else "en"]
