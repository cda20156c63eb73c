"""The `Tasks` sheet of `schedule.xlsx`: schedule.csv's table with the readable columns first.

The columns are those of schedule.csv (`scheduler.export.tables.COLUMNS`), reordered so that
what a person reads comes first: task, assignee, start, end, due, late days, activity, ...,
and the ids last. Real dates, an Excel table with a filter, the header row and the task
column frozen, late days flagged by conditional formatting, printed landscape one page wide
with the header on every page; the print area is task to strict (the step and the ids, for
machines, are not printed).
"""

from __future__ import annotations

from typing import Any

from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.export.tables import COLUMNS, DATE_KEYS, is_chinese, task_records
from scheduler.export.xlsx_common import StyleCache, display_width, print_landscape, set_text
from scheduler.schedule import Schedule

# The Tasks sheet's column order (keys of COLUMNS): readable columns first, ids last.
SHEET_KEYS: tuple[str, ...] = (
    "task",
    "assignee",
    "start",
    "end",
    "due",
    "late_days",
    "activity",
    "role",
    "working_days",
    "load",
    "strict",
    "step",
    "task_id",
    "activity_id",
    "assignee_id",
)
LAST_PRINTED = "strict"  # the print area leaves out the step and the ids: readable on paper
LATE_FONT = "C92A2A"
LATE_FILL = "FFE3E3"


def sheet_headers(language: str) -> list[str]:
    """The Tasks sheet's headers in its column order, for a schedule language."""
    titles = {key: (en, zh) for key, en, zh in COLUMNS}
    if is_chinese(language):
        return [f"{titles[k][0]} ({titles[k][1]})" for k in SHEET_KEYS]
    return [titles[k][0] for k in SHEET_KEYS]


def fill_tasks_sheet(sheet: Worksheet, schedule: Schedule) -> None:
    """Fill the Tasks sheet: one row per task, sorted by start then task id."""
    sheet.title = "Tasks"
    names = sheet_headers(schedule.language)
    sheet.append(names)
    records = task_records(schedule)
    styles = StyleCache()
    for row, record in enumerate(records, start=2):
        for col, key in enumerate(SHEET_KEYS, start=1):
            cell = sheet.cell(row=row, column=col)
            set_text(cell, record[key])
            if key in DATE_KEYS:
                styles.apply_format(cell, "yyyy-mm-dd")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "B2"
    _size_columns(sheet, names, records)
    print_landscape(sheet, title_rows="1:1", title_cols="A:A", fit_width=1, fit_height=0)
    if not records:
        return
    last = len(records) + 1
    sheet.print_area = f"A1:{get_column_letter(SHEET_KEYS.index(LAST_PRINTED) + 1)}{last}"
    ref = f"A1:{get_column_letter(len(SHEET_KEYS))}{last}"
    table = Table(displayName="Tasks", ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    sheet.add_table(table)
    late = get_column_letter(SHEET_KEYS.index("late_days") + 1)
    rule = CellIsRule(
        operator="greaterThan",
        formula=["0"],
        font=Font(bold=True, color=LATE_FONT),
        fill=PatternFill(fill_type="solid", start_color=LATE_FILL, end_color=LATE_FILL),
    )
    sheet.conditional_formatting.add(f"{late}2:{late}{last}", rule)


def _size_columns(sheet: Worksheet, names: list[str], records: list[dict[str, Any]]) -> None:
    for col, (key, header) in enumerate(zip(SHEET_KEYS, names, strict=True), start=1):
        cells = [header] + [_shown(key, r[key]) for r in records]
        width = max(display_width(str(c)) for c in cells) + 4  # room for the filter button
        sheet.column_dimensions[get_column_letter(col)].width = min(width, 48)


def _shown(key: str, value: Any) -> str:
    if key in DATE_KEYS:
        return "yyyy-mm-dd" if value else ""
    return "" if value is None else str(value)
