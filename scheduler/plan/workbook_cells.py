"""The plan workbook's layout (FORMAT.md section 8) and where each key path lies in it.

A workbook holds the same data as a plan file: sheet `Plan` (key, value rows), `Stores`,
`Staff`, `Leave`, `Activities` and `Roles` (one item a row, columns found by their header).
`CellMap` remembers, while a workbook is read, which cell each key path of the equivalent
YAML data came from, so that a mistake names it: `Staff!E4 (staff[2].capacity)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from scheduler.errors import InputProblem

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

PLAN_SHEET, STORES_SHEET, STAFF_SHEET = "Plan", "Stores", "Staff"
LEAVE_SHEET, ACTIVITIES_SHEET, ROLES_SHEET = "Leave", "Activities", "Roles"
LISTS_SHEET = "Lists"  # the hidden sheet `init` keeps its drop-down lists in

# sheet -> its columns, in the order `init` writes them
COLUMNS: dict[str, tuple[str, ...]] = {
    PLAN_SHEET: ("key", "value"),
    STORES_SHEET: ("id", "name"),
    STAFF_SHEET: ("id", "name", "email", "roles", "capacity", "stores"),
    LEAVE_SHEET: ("staff", "from", "to"),
    ACTIVITIES_SHEET: (
        "id",
        "template",
        "store",
        "start",
        "end",
        "live_days",
        "repeat",
        "festival",
        "title",
        "owner",
        "except",
    ),
    ROLES_SHEET: ("id", "name_en", "name_zh"),
}
REQUIRED_SHEETS = (PLAN_SHEET, STAFF_SHEET, ACTIVITIES_SHEET)

# The keys of sheet Plan and where each goes in the plan's data.
PLAN_KEYS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "timezone": ("timezone",),
    "start": ("start",),
    "end": ("end",),
    "language": ("language",),
    "templates": ("templates",),
    "workdays": ("calendar", "workdays"),
    "holidays": ("calendar", "holidays"),
    "closed": ("calendar", "closed"),
    "open": ("calendar", "open"),
}

# How a cell of a column (or a Plan key) is read; every other column is text.
LIST_COLUMNS = frozenset({"roles", "stores", "templates", "workdays"})
DATE_COLUMNS = frozenset({"start", "end", "from", "to"})
DATE_LIST_COLUMNS = frozenset({"closed", "open", "except"})
INTEGER_COLUMNS = frozenset({"capacity", "live_days"})
NO_HOLIDAYS = "none"  # the `holidays` cell for `holidays: null` (no official holidays)

# The sheet each top-level key path lies in when no row or cell names it.
_SHEET_OF_KEY = {
    "staff": STAFF_SHEET,
    "activities": ACTIVITIES_SHEET,
    "stores": STORES_SHEET,
    "roles": ROLES_SHEET,
}
_LAST_PART = re.compile(r"(\[\d+\]|\.[^.\[\]]+)$")


def is_workbook(path: str | Path) -> bool:
    """Whether `path` names an Excel workbook (by its suffix) rather than a YAML file."""
    return Path(path).suffix.lower() in WORKBOOK_SUFFIXES


@dataclass
class CellMap:
    """Key path of the plan's data -> the cell (or row, or sheet) it was read from."""

    places: dict[str, str] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)  # top-level keys of sheets not there

    def put(self, key_path: str, sheet: str, reference: str = "") -> None:
        """Record that `key_path` was read from `reference` (a cell or range) of `sheet`."""
        self.places[key_path] = f"{sheet}!{reference}" if reference else sheet

    def place(self, key_path: str) -> str | None:
        """Where `key_path` (or the nearest item or field holding it) is in the workbook.

        A list item inside one cell (`staff[0].roles[1]`) is that cell; a field with no
        column is its row; a top-level key with no row is its sheet.
        """
        path = key_path
        while path:
            if path in self.places:
                return self.places[path]
            shorter = _LAST_PART.sub("", path)
            if shorter == path:
                break
            path = shorter
        top = re.split(r"[.\[]", key_path, maxsplit=1)[0]
        if top in _SHEET_OF_KEY:
            return _SHEET_OF_KEY[top]
        if top == "calendar" or top in PLAN_KEYS:
            return PLAN_SHEET
        return None

    def located(self, problems: Iterable[InputProblem], file: str) -> list[InputProblem]:
        """`problems` with each mistake of `file` naming its sheet and cell beside the key
        path: `Staff!E4 (staff[2].capacity)`. Mistakes already located stay as they are."""
        found = []
        for problem in problems:
            if problem.path in self.missing and problem.problem == "missing":
                continue  # said already: the sheet is missing
            where = None
            if problem.file == file and not isinstance(problem, CellProblem):
                where = self.place(problem.path) if problem.path else None
            if where is None:
                found.append(problem)
                continue
            found.append(
                CellProblem(
                    problem.file,
                    f"{where} ({problem.path})",
                    problem.value,
                    problem.problem,
                    problem.expected,
                )
            )
        return found


@dataclass(frozen=True)
class CellProblem(InputProblem):
    """A mistake in a workbook whose `path` names its sheet and cell."""
