"""Writing a plan's data as a workbook (FORMAT.md section 8) that a person fills in Excel.

Each sheet gets its header row (bold, frozen), one row per item, columns sized to their
content, and drop-down lists: templates, roles, festival keys, stores, staff ids and
languages. Lists that a cell may hold several of (a person's roles, stores) offer the
drop-down without refusing other text, since such a cell holds a comma-separated list.
The file is the same bytes for the same data (fixed timestamps) and written atomically.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.plan.workbook_cells import (
    ACTIVITIES_SHEET,
    COLUMNS,
    LEAVE_SHEET,
    LISTS_SHEET,
    NO_HOLIDAYS,
    PLAN_KEYS,
    PLAN_SHEET,
    ROLES_SHEET,
    STAFF_SHEET,
    STORES_SHEET,
)
from scheduler.versions.atomic import write_bytes
from scheduler.xlsx_archive import deterministic_zip

DATE_FORMAT = "yyyy-mm-dd"
VALIDATED_ROWS = 1000  # rows of each column that get its drop-down list
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill(fill_type="solid", start_color="DDEBF7", end_color="DDEBF7")


@dataclass(frozen=True)
class DropDowns:
    """The values offered in the workbook's drop-down lists."""

    templates: Sequence[str]
    roles: Sequence[str]
    festivals: Sequence[str]
    stores: Sequence[str]
    languages: Sequence[str]


class CellTextError(ValueError):
    """A text holds a character a workbook cannot store (a control character)."""

    def __init__(self, key_path: str, value: str):
        self.key_path, self.value = key_path, value
        super().__init__(f"{key_path}: {value!r}")


def workbook_bytes(data: dict, lists: DropDowns) -> bytes:
    """The .xlsx file of plan `data` (as a plan file loads), with drop-downs from `lists`."""
    book = Workbook()
    book.remove(book.active)
    _plan_sheet(book.create_sheet(PLAN_SHEET), data, lists)
    stores = data.get("stores") or []
    roles = [_role_row(role) for role in data.get("roles") or []]
    staff = data.get("staff") or []
    leave = [
        {"staff": person.get("id"), **entry}
        for person in staff
        for entry in person.get("leave") or []
    ]
    sheets = {
        STORES_SHEET: stores,
        STAFF_SHEET: staff,
        LEAVE_SHEET: leave,
        ACTIVITIES_SHEET: data.get("activities") or [],
        ROLES_SHEET: roles,
    }
    for name in COLUMNS:
        if name != PLAN_SHEET:
            _item_sheet(book.create_sheet(name), name, sheets[name])
    _drop_downs(book, lists)
    book.active = 0
    buffer = io.BytesIO()
    book.save(buffer)
    return deterministic_zip(buffer.getvalue())


def write_workbook(path: Any, data: dict, lists: DropDowns) -> None:
    """Write plan `data` as a workbook to `path`, atomically."""
    write_bytes(path, workbook_bytes(data, lists))


def _role_row(role: Any) -> dict:
    if not isinstance(role, dict):
        return {"id": role}
    name = role.get("name")
    row = {"id": role.get("id")}
    if isinstance(name, dict):
        row["name_en"], row["name_zh"] = name.get("en"), name.get("zh")
    elif name is not None:
        row["name_en"] = row["name_zh"] = name
    return row


def _header(sheet: Worksheet, columns: Sequence[str]) -> None:
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    sheet.freeze_panes = "A2"


def _plan_sheet(sheet: Worksheet, data: dict, lists: DropDowns) -> None:
    _header(sheet, COLUMNS[PLAN_SHEET])
    for row, (key, target) in enumerate(PLAN_KEYS.items(), start=2):
        sheet.cell(row=row, column=1, value=key)
        holder: Any = data
        for part in target[:-1]:
            holder = holder.get(part) if isinstance(holder, dict) else None
        if not isinstance(holder, dict) or target[-1] not in holder:
            continue
        value = holder[target[-1]]
        if key == "holidays" and value is None:
            value = NO_HOLIDAYS
        _put(sheet.cell(row=row, column=2), value, ".".join(target))
        if key == "language":
            _validate(sheet, f"B{row}", _list_range(lists, "languages"), strict=True)
    _size_columns(sheet, 2)


def _item_sheet(sheet: Worksheet, name: str, items: Sequence[Any]) -> None:
    columns = COLUMNS[name]
    _header(sheet, columns)
    for row, item in enumerate(items, start=2):
        if not isinstance(item, dict):
            continue
        for index, column in enumerate(columns, start=1):
            if item.get(column) is not None:
                where = f"{name.lower()}[{row - 2}].{column}"
                _put(sheet.cell(row=row, column=index), item[column], where)
    _size_columns(sheet, len(columns))


def _put(cell: Any, value: Any, key_path: str) -> None:
    """Store one value as a person would type it: dates as Excel dates, lists comma-
    separated, texts as text (never a formula)."""
    if isinstance(value, list):
        value = ", ".join(v.isoformat() if isinstance(v, date) else str(v) for v in value)
    if isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
        return
    if isinstance(value, str):
        if ILLEGAL_CHARACTERS_RE.search(value):
            raise CellTextError(key_path, value)
        cell.value = value
        cell.data_type = "s"  # `=x` stays text
        return
    cell.value = value


def _display_width(value: Any) -> int:
    text = value.isoformat() if isinstance(value, date) else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


# room for what is typed in a column even when the example leaves it empty
_MIN_WIDTHS = {"value": 24, "email": 22, "roles": 24, "repeat": 26, "except": 24, "title": 14}


def _size_columns(sheet: Worksheet, count: int) -> None:
    for index in range(1, count + 1):
        cells = [cell for (cell,) in sheet.iter_rows(min_col=index, max_col=index)]
        widths = [_display_width(cell.value) for cell in cells if cell.value is not None]
        least = _MIN_WIDTHS.get(str(cells[0].value), 10) if cells else 10
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(max([least, *widths]) + 2, 60)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.alignment = Alignment(vertical="top")


_LIST_COLUMNS = ("templates", "roles", "festivals", "stores", "languages")


def _list_range(lists: DropDowns, name: str) -> str | None:
    values = getattr(lists, name)
    if not values:
        return None
    letter = get_column_letter(_LIST_COLUMNS.index(name) + 1)
    return f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"


def _drop_downs(book: Workbook, lists: DropDowns) -> None:
    """The hidden Lists sheet and each column's drop-down list."""
    sheet = book.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    for index, name in enumerate(_LIST_COLUMNS, start=1):
        sheet.cell(row=1, column=index, value=name)
        for row, value in enumerate(getattr(lists, name), start=2):
            _put(sheet.cell(row=row, column=index), value, f"{name}[{row - 2}]")
    last = VALIDATED_ROWS + 1
    staff_ids = f"{STAFF_SHEET}!$A$2:$A${last}"
    wanted = [
        (STAFF_SHEET, "roles", _list_range(lists, "roles"), False, "roles, comma-separated"),
        (STAFF_SHEET, "stores", _list_range(lists, "stores"), False, "stores, comma-separated"),
        (LEAVE_SHEET, "staff", staff_ids, True, "a staff id of sheet Staff"),
        (ACTIVITIES_SHEET, "template", _list_range(lists, "templates"), True, "a template id"),
        (ACTIVITIES_SHEET, "store", _list_range(lists, "stores"), True, "a store id"),
        (ACTIVITIES_SHEET, "festival", _list_range(lists, "festivals"), True, "a festival key"),
        (ACTIVITIES_SHEET, "owner", staff_ids, True, "a staff id of sheet Staff"),
        (ROLES_SHEET, "id", _list_range(lists, "roles"), False, "a role key"),
    ]
    for sheet_name, column, source, strict, prompt in wanted:
        letter = get_column_letter(COLUMNS[sheet_name].index(column) + 1)
        cells = f"{letter}2:{letter}{last}"
        _validate(book[sheet_name], cells, source, strict, prompt)


def _validate(
    sheet: Worksheet, cells: str, source: str | None, strict: bool, prompt: str = ""
) -> None:
    """A drop-down list from `source` on `cells`; `strict` refuses other values."""
    if source is None:
        return
    rule = DataValidation(type="list", formula1=source, allow_blank=True)
    rule.showErrorMessage = strict
    if strict:
        rule.errorTitle, rule.error = "Not in the list", f"Choose {prompt or 'a value'}."
    if prompt:
        rule.showInputMessage = True
        rule.prompt = prompt
    rule.add(cells)
    sheet.add_data_validation(rule)
