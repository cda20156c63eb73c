"""How the Gantt sheet prints: one month per page width, only the rows that month needs.

A4 landscape at `GANTT_PRINT_SCALE` percent, which fits the name columns and 31 day columns
on one page width; the three header rows and the name columns A-C repeat on every page. The
print area is one range per month and stretch of rows: the rows with a bar in that month
(a task's working days; an activity's preparation span or live window), stretches less than
`GANTT_PRINT_GAP` rows apart joined, each started at its activity's row so that every page
says which activity its tasks belong to. Each range starts a new page, so every printed page
has names and bars. Column page breaks at each month's first day keep the month pages when
the print area is cleared. A schedule of decades (a print area longer than Excel takes, or
more month breaks than it keeps) prints the whole sheet, with breaks for its first months.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.export.xlsx_common import print_landscape

GANTT_PRINT_SCALE = 80  # percent: the name columns and 31 days fit an A4 landscape width
GANTT_PRINT_GAP = 20  # rows without a bar that still print in the same range
FIRST_ROW = 4  # the first row below the header
MAX_PRINT_AREA = 8000  # characters: Excel refuses a longer print area (a defined name)
MAX_BREAKS = 1023  # Excel keeps at most 1026 manual page breaks
FIRST_DAY_COLUMN = 4


@dataclass
class GanttRows:
    """What the Gantt sheet's rows hold, for the print areas and the off-day rule: per row its
    activity's row and the days it has a bar on; the live windows' row blocks."""

    worked: set[date] = field(default_factory=set)  # days somebody works on
    last: int = 0  # the last row used
    heads: dict[int, int] = field(default_factory=dict)  # row -> its activity's row
    bars: dict[int, set[date]] = field(default_factory=dict)
    windows: list[tuple[int, int, date, date]] = field(default_factory=list)

    def add(self, row: int, head: int, days: Iterable[date]) -> None:
        """Record a row, its activity's row and the days it has a bar on."""
        self.heads[row] = head
        self.bars[row] = set(days)

    def window(self, top: int, bottom: int, first: date, last: date) -> None:
        """Record that rows `top`..`bottom` show a live window from `first` to `last`."""
        self.windows.append((top, bottom, first, last))

    def windows_on(self, day: date) -> list[tuple[int, int]]:
        """The row blocks whose live window includes `day`."""
        return [(top, bottom) for top, bottom, first, last in self.windows if first <= day <= last]


def setup_gantt_print(sheet: Worksheet, days: list[date], rows: GanttRows) -> None:
    """Print setup of the Gantt sheet (see the module docstring)."""
    print_landscape(sheet, title_rows="1:3", title_cols="A:C", scale=GANTT_PRINT_SCALE)
    months = _months(days)
    for first, _ in list(months.values())[1 : MAX_BREAKS + 1]:
        sheet.col_breaks.append(Break(id=first - 1))
    areas = print_ranges(days, rows)
    if areas and sum(len(a) + 14 for a in areas) <= MAX_PRINT_AREA:  # 'Gantt'!$..$, each
        sheet.print_area = areas


def print_ranges(days: list[date], rows: GanttRows) -> list[str]:
    """The print area's ranges: per month, the stretches of rows that have a bar in it."""
    by_month: dict[tuple[int, int], set[int]] = defaultdict(set)
    for row, bar_days in rows.bars.items():
        for day in bar_days:
            if days[0] <= day <= days[-1]:
                by_month[(day.year, day.month)].add(row)
    ranges = []
    for month, (first_col, last_col) in _months(days).items():
        left, right = get_column_letter(first_col), get_column_letter(last_col)
        for top, bottom in _stretches(sorted(by_month.get(month, ())), rows.heads):
            ranges.append(f"{left}{top}:{right}{bottom}")
    return ranges


def _stretches(used: list[int], heads: dict[int, int]) -> list[tuple[int, int]]:
    """Rows joined into stretches (gaps under GANTT_PRINT_GAP), each from its activity row."""
    stretches: list[list[int]] = []
    for row in used:
        if stretches and row - stretches[-1][1] <= GANTT_PRINT_GAP:
            stretches[-1][1] = row
        else:
            start = heads.get(row, row)
            if stretches and start <= stretches[-1][1] + 1:
                stretches[-1][1] = row
            else:
                stretches.append([start, row])
    return [(top, bottom) for top, bottom in stretches]


def _months(days: list[date]) -> dict[tuple[int, int], tuple[int, int]]:
    """(year, month) -> the first and last column of its days."""
    months: dict[tuple[int, int], tuple[int, int]] = {}
    for index, day in enumerate(days):
        col = FIRST_DAY_COLUMN + index
        key = (day.year, day.month)
        months[key] = (months.get(key, (col, col))[0], col)
    return months
