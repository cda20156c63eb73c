"""Reading a plan workbook (FORMAT.md section 8) into the data its YAML twin would load as.

`read_workbook` gives the same plain mapping `yamlfile.read_mapping` gives for the
equivalent plan file (dates as dates, lists as lists, an empty cell an absent field), so
that the same validators check it, and a `CellMap` to name the cell of each mistake. The
workbook's own mistakes (a missing sheet, an unknown column, a Leave row of nobody, a file
that is no workbook) come back as located mistakes, never as an exception.

Cells are read as a person types them: Excel dates or `YYYY-MM-DD` text; comma-separated
lists (a full-width comma too), spaces around items ignored; whole numbers written as
text (`"100"`) are numbers where a number is expected; `none` in `holidays` means no
official holidays (`holidays: null`).
"""

from __future__ import annotations

import difflib
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from scheduler.errors import InputProblem
from scheduler.plan.fields import ISO_DATE, one_of
from scheduler.plan.workbook_cells import (
    ACTIVITIES_SHEET,
    COLUMNS,
    DATE_COLUMNS,
    DATE_LIST_COLUMNS,
    INTEGER_COLUMNS,
    LEAVE_SHEET,
    LIST_COLUMNS,
    LISTS_SHEET,
    NO_HOLIDAYS,
    PLAN_KEYS,
    PLAN_SHEET,
    REQUIRED_SHEETS,
    ROLES_SHEET,
    STAFF_SHEET,
    STORES_SHEET,
    CellMap,
    CellProblem,
    is_workbook,
)
from scheduler.plan.yamlfile import MAX_FILE_BYTES

MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # the workbook's XML, unzipped (a zip bomb is refused)
MAX_ROWS = 100_000  # rows read per sheet; a year's plan has a few hundred
MAX_COLUMNS = 64  # columns read per sheet; the widest sheet has eleven
_LIST_SEPARATOR = re.compile(r"[,，]")
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")


@dataclass
class WorkbookData:
    """A workbook's plan data (None when it cannot be read), its own mistakes, its cells."""

    data: dict | None
    problems: list[InputProblem] = field(default_factory=list)
    cells: CellMap = field(default_factory=CellMap)


@dataclass
class _Table:
    """One item sheet: its column letters by header, and its non-empty rows."""

    sheet: str
    letters: dict[str, str]  # column name -> letter
    rows: list[tuple[int, dict[str, Any]]]  # (row number, column name -> cell value)
    last_letter: str

    def row_range(self, row: int) -> str:
        """The reference of a whole item row, e.g. A4:F4."""
        return f"A{row}:{self.last_letter}{row}"


def read_workbook(path: Path, label: str) -> WorkbookData:
    """The plan data in workbook `path`, its mistakes (named `label`) and its cell map."""
    reader = _Reader(label)
    book = reader.open(path)
    if book is None:
        return WorkbookData(None, reader.problems)
    try:
        tables = reader.tables(book)
    finally:
        book.close()
    data = reader.plan_data(tables)
    return WorkbookData(data, reader.problems, reader.cells)


class _Reader:
    """Reads one workbook, collecting its mistakes and the cell of every key path."""

    def __init__(self, label: str):
        self.label = label
        self.problems: list[InputProblem] = []
        self.cells = CellMap()

    def add(self, where: str, value: Any, problem: str, expected: str = "") -> None:
        """Record a mistake of the workbook itself at `where` (a sheet or cell)."""
        shown = value.isoformat() if isinstance(value, (date, datetime)) else value
        self.problems.append(CellProblem(self.label, where, shown, problem, expected))

    # ------------------------------------------------------------ file and sheets

    def open(self, path: Path) -> Any:
        """The openpyxl workbook of `path`, or None with the reason recorded."""
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            self.add("", None, "file not found")
            return None
        except OSError as error:
            self.add("", None, f"cannot be read ({error.strerror})")
            return None
        if path.is_dir():
            self.add("", None, "is a folder", "an Excel workbook (.xlsx)")
            return None
        if size > MAX_FILE_BYTES:
            expected = f"a file of at most {MAX_FILE_BYTES // 1024 // 1024} MB"
            self.add("", f"{size / 1024 / 1024:.0f} MB", "file too large", expected)
            return None
        try:
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            self.add(
                "", None, "not an Excel workbook", "an .xlsx file saved by Excel or LibreOffice"
            )
            return None
        if unpacked > MAX_UNPACKED_BYTES:
            expected = f"at most {MAX_UNPACKED_BYTES // 1024 // 1024} MB unpacked"
            self.add("", f"{unpacked / 1024 / 1024:.0f} MB", "workbook too large", expected)
            return None
        try:
            return load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            self.add("", None, f"not a readable workbook ({reason})", "an .xlsx file")
            return None

    def tables(self, book: Any) -> dict[str, _Table]:
        """The plan's sheets found in `book` (names compared ignoring case and spaces)."""
        by_name = {name.strip().lower(): name for name in book.sheetnames}
        known = {name.lower() for name in COLUMNS} | {LISTS_SHEET.lower()}
        tables = {}
        for sheet in COLUMNS:
            name = by_name.get(sheet.lower())
            said = ("name", "start", "end") if sheet == PLAN_SHEET else (sheet.lower(),)
            if name is None:
                if sheet in REQUIRED_SHEETS:
                    self.cells.missing.update(said)
                    columns = ", ".join(COLUMNS[sheet])
                    self.add(
                        sheet, None, "missing sheet", f"a sheet {sheet} with the columns {columns}"
                    )
                continue
            table = self._readable(
                name, lambda name=name, sheet=sheet: self._table(sheet, book[name])
            )
            if table is not None:
                tables[sheet] = table
            elif sheet in REQUIRED_SHEETS:  # its mistake is said: not also each field
                self.cells.missing.update(said)
        for lowered, name in by_name.items():
            if lowered in known:
                continue
            guess = difflib.get_close_matches(name.strip(), list(COLUMNS), n=1, cutoff=0.75)
            if guess and self._readable(name, lambda name=name: any(self._rows(book[name]))):
                self.add(
                    name, None, "unknown sheet", f"did you mean {guess[0]}? {one_of(list(COLUMNS))}"
                )
        return tables

    def _readable(self, name: str, read: Callable[[], Any]) -> Any:
        """What `read` gives from sheet `name`, or None with the reason when its XML is
        damaged (a read-only workbook parses each sheet only when it is read)."""
        try:
            return read()
        except Exception as error:  # the XML parser and openpyxl raise many kinds
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            self.add(name, None, f"not a readable sheet ({reason})", "a sheet saved by Excel")
            return None

    def _rows(self, sheet: Any) -> Iterator[tuple[int, tuple]]:
        """The sheet's rows holding something, with their numbers."""
        sheet.reset_dimensions()  # a file's stated size may be wrong; read what is there
        for number, values in enumerate(
            sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True), start=1
        ):
            if number > MAX_ROWS:
                self.add(sheet.title, None, f"more than {MAX_ROWS:,} rows", "a plan's rows only")
                return
            if any(_given(v) for v in values):
                yield number, values

    def _table(self, sheet: str, worksheet: Any) -> _Table | None:
        """The items of one sheet, by header; header mistakes recorded."""
        rows = list(self._rows(worksheet))
        if not rows:
            return _Table(sheet, {}, [], "A")
        header_row, header = rows[0]
        columns = COLUMNS[sheet]
        if header_row != 1:
            self.add(
                f"{sheet}!A1", None, "no header row",
                f"row 1 names the columns: {', '.join(columns)}",
            )  # fmt: skip
            return None
        names: dict[int, str] = {}
        for index, value in enumerate(header):
            if not _given(value):
                continue
            name = str(value).strip().lower()
            where = f"{sheet}!{get_column_letter(index + 1)}1"
            if name not in columns:
                self.add(where, value, "unknown column", one_of(columns, name))
            elif name in names.values():
                self.add(where, value, "column written twice", "each column once")
            else:
                names[index] = name
        letters = {name: get_column_letter(i + 1) for i, name in names.items()}
        last = get_column_letter(max(names, default=0) + 1)
        items = []
        for number, values in rows[1:]:
            # a column without a header (a row number, pandas' index, a note) is not read
            item = {names[i]: v for i, v in enumerate(values) if i in names and _given(v)}
            if item:
                items.append((number, item))
        return _Table(sheet, letters, items, last)

    # ------------------------------------------------------------ the plan's data

    def plan_data(self, tables: dict[str, _Table]) -> dict:
        """The mapping a plan file with the workbook's content would load as."""
        data: dict[str, Any] = {}
        if PLAN_SHEET in tables:
            self._plan_keys(tables[PLAN_SHEET], data)
        for sheet, key in ((STORES_SHEET, "stores"), (ROLES_SHEET, "roles")):
            if sheet in tables and tables[sheet].rows:
                data[key] = self._items(tables[sheet], key)
        if STAFF_SHEET in tables:
            data["staff"] = self._items(tables[STAFF_SHEET], "staff")
            if LEAVE_SHEET in tables:
                self._leave(tables[LEAVE_SHEET], data["staff"])
        if ACTIVITIES_SHEET in tables:
            data["activities"] = self._items(tables[ACTIVITIES_SHEET], "activities")
        return data

    def _plan_keys(self, table: _Table, data: dict) -> None:
        if not table.rows:
            return
        for column in ("key", "value"):
            if column not in table.letters:
                self.add(f"{PLAN_SHEET}!A1", None, f"no column {column}", "the columns key, value")
                return
        seen: dict[str, int] = {}
        key_letter, value_letter = table.letters["key"], table.letters["value"]
        for row, item in table.rows:
            raw_key = item.get("key")
            if raw_key is None:
                where = f"{PLAN_SHEET}!{value_letter}{row}"
                self.add(where, item.get("value"), "a value without a key", one_of(list(PLAN_KEYS)))
                continue
            key = str(raw_key).strip().lower()
            where = f"{PLAN_SHEET}!{key_letter}{row}"
            if key not in PLAN_KEYS:
                self.add(where, raw_key, "unknown key", one_of(list(PLAN_KEYS), key))
                continue
            if key in seen:
                self.add(
                    where, raw_key, f"key written twice (also row {seen[key]})", "each key once"
                )
                continue
            seen[key] = row
            target = PLAN_KEYS[key]
            self.cells.put(".".join(target), PLAN_SHEET, f"{value_letter}{row}")
            value = item.get("value")
            if value is None:
                continue
            holder = data
            for part in target[:-1]:
                holder = holder.setdefault(part, {})
            if (
                key == "holidays"
                and isinstance(value, str)
                and value.strip().lower() == NO_HOLIDAYS
            ):
                holder[target[-1]] = None
                continue
            converted = _cell_value(key, value)
            if converted is not None:
                holder[target[-1]] = converted

    def _items(self, table: _Table, key: str) -> list[dict]:
        """One mapping per row of an item sheet (Stores, Roles, Staff, Activities)."""
        items = []
        for index, (row, cells) in enumerate(table.rows):
            path = f"{key}[{index}]"
            self.cells.put(path, table.sheet, table.row_range(row))
            for column, letter in table.letters.items():
                field_path = _field_path(key, path, column)
                self.cells.put(field_path, table.sheet, f"{letter}{row}")
            item: dict[str, Any] = {}
            for column, value in cells.items():
                converted = _cell_value(column, value)
                if converted is None:
                    continue
                if key == "roles" and column in ("name_en", "name_zh"):
                    item.setdefault("name", {})[column.removeprefix("name_")] = converted
                else:
                    item[column] = converted
            if key == "roles" and "name_en" in table.letters:
                self.cells.put(f"{path}.name", table.sheet, f"{table.letters['name_en']}{row}")
            items.append(item)
        return items

    def _leave(self, table: _Table, staff: list[dict]) -> None:
        """The rows of sheet Leave, each appended to its staff member's `leave`."""
        if table.rows and "staff" not in table.letters:
            self.add(f"{LEAVE_SHEET}!A1", None, "no column staff", "the columns staff, from, to")
            return
        index_of: dict[str, int] = {}
        for index, person in enumerate(staff):
            if person.get("id") is not None:
                index_of.setdefault(str(person["id"]).strip(), index)
        by_name: dict[str, list[int]] = {}  # a person's name serves when it is only theirs
        for index, person in enumerate(staff):
            if person.get("name") is not None:
                by_name.setdefault(str(person["name"]).strip(), []).append(index)
        for number, (row, cells) in enumerate(table.rows):
            where = f"{LEAVE_SHEET}!{table.letters['staff']}{row} (leave[{number}].staff)"
            who = cells.get("staff")
            if who is None:
                self.add(where, None, "missing", "required: the id of a staff member")
                continue
            person = index_of.get(str(who).strip())
            if person is None and len(by_name.get(str(who).strip(), [])) == 1:
                person = by_name[str(who).strip()][0]
            if person is None:
                self.add(where, who, "no such staff member", one_of(list(index_of), str(who)))
                continue
            leave = staff[person].setdefault("leave", [])
            path = f"staff[{person}].leave[{len(leave)}]"
            self.cells.put(path, LEAVE_SHEET, table.row_range(row))
            for column in ("from", "to"):
                if column in table.letters:
                    self.cells.put(f"{path}.{column}", LEAVE_SHEET, f"{table.letters[column]}{row}")
            leave.append({c: _cell_value(c, cells[c]) for c in ("from", "to") if c in cells})


def _field_path(key: str, path: str, column: str) -> str:
    if key == "roles" and column.startswith("name_"):
        return f"{path}.name.{column.removeprefix('name_')}"
    return f"{path}.{column}"


def _given(value: Any) -> bool:
    """Whether a cell holds something (whitespace only is empty)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _cell_value(column: str, value: Any) -> Any:
    """A cell's value as the plan's data holds it for `column`; None for an empty cell."""
    if not _given(value):
        return None
    if column in DATE_LIST_COLUMNS:
        items = _list(value)
        return [_date(item) for item in items] if items else None
    if column in LIST_COLUMNS:
        return _list(value) or None
    if column in DATE_COLUMNS:
        return _date(value)
    if column in INTEGER_COLUMNS:
        return _integer(value)
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, datetime):
        return _date(value)
    return value


def _list(value: Any) -> list:
    if isinstance(value, str):
        return [item.strip() for item in _LIST_SEPARATOR.split(value) if item.strip()]
    return [value]


def _date(value: Any) -> Any:
    """An Excel date or `YYYY-MM-DD` text as a date; anything else as written (the
    validator reports it)."""
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date()
        return value.isoformat(sep=" ")
    if isinstance(value, str):
        text = value.strip()
        if ISO_DATE.match(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                return text  # 2027-02-30 stays text, as in a YAML file
        return text
    return value


def _integer(value: Any) -> Any:
    """A whole number, also written as text (`"100"`) or stored as a float (`100.0`)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        return int(value.strip())
    if isinstance(value, str):
        return value.strip()
    return value


def located_in_workbooks(problems: list[InputProblem]) -> list[InputProblem]:
    """`problems` with each mistake of a plan workbook naming its sheet and cell, also
    those found after loading (an `except` date that is no occurrence, a step nobody can
    do); the workbooks are read again for their cell maps."""
    files = {p.file for p in problems if not isinstance(p, CellProblem) and is_workbook(p.file)}
    for file in sorted(files):
        book = read_workbook(Path(file), file)
        if book.data is not None:
            problems = book.cells.located(problems, file)
    return problems
