"""What the sheets of `schedule.xlsx` share: safe text cells, fills, cached cell looks, the
print setup and the deterministic archive.

Every text cell is written by `set_text`: a text cell (never a formula), with Excel's quote
prefix when it looks like one, without characters XML cannot hold
(`scheduler.export.cells.xml_text`).
"""

from __future__ import annotations

import re
from copy import copy
from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.export.cells import looks_like_formula, xml_text

PAPER_A4 = 9  # openpyxl's paperSize code for A4
_WIDE = re.compile("[\u2e81-\U0010ffff]")  # characters `display_width` counts twice


def solid_fill(colour: str) -> PatternFill:
    """A solid fill of a `#rrggbb` colour."""
    rgb = colour.lstrip("#").upper()
    return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)


def set_text(cell: Any, value: Any) -> None:
    """Store a value in a cell; any text stays text: never a formula, with Excel's quote prefix
    when it looks like one (no quote shown), without characters XML cannot hold."""
    if not isinstance(value, str):
        cell.value = value
        return
    text = xml_text(value)
    if type(text) is str:
        cell._value = text  # what openpyxl stores for a str, without checking it once more
    else:
        cell.value = text
    cell.data_type = "s"
    if looks_like_formula(text):
        cell.quotePrefix = True


def display_width(text: str) -> int:
    """The width of a text in Excel column units: wide (CJK) characters count twice."""
    if text.isascii():
        return len(text)
    return len(text) + len(_WIDE.findall(text))


EDGES = {
    "top": Side(style="thin", color="E6A700"),
    "bottom": Side(style="thin", color="E6A700"),
    "right": Side(style="medium", color="C92A2A"),
}


class StyleCache:
    """Cell looks (fill colour and border edges) built once and then copied: openpyxl hashes a
    style on every assignment, which makes a year-long grid of hundreds of rows slow."""

    def __init__(self) -> None:
        self._made: dict[tuple, Any] = {}

    def apply(self, cell: Any, colour: str, edges: frozenset[str] = frozenset()) -> None:
        """Give a cell the fill `colour` (none when empty) and the border `edges` of EDGES."""
        key = (colour, edges)
        made = self._made.get(key)
        if made is not None:
            cell._style = copy(made)
            return
        if colour:
            cell.fill = solid_fill(colour)
        if edges:
            cell.border = Border(**{edge: EDGES[edge] for edge in edges})
        self._made[key] = copy(cell._style)

    def apply_format(self, cell: Any, number_format: str) -> None:
        """Give a cell that has no look yet the number format `number_format`."""
        key = ("format", number_format)
        made = self._made.get(key)
        if made is not None:
            cell._style = copy(made)
            return
        cell.number_format = number_format
        self._made[key] = copy(cell._style)

    def apply_header(self, cell: Any, colour: str, number_format: str = "General") -> None:
        """Give a header cell small centred text, the fill `colour` (none when empty) and a
        number format."""
        key = ("header", colour, number_format)
        made = self._made.get(key)
        if made is not None:
            cell._style = copy(made)
            return
        cell.font = Font(size=9)
        cell.alignment = Alignment(horizontal="center")
        cell.number_format = number_format
        if colour:
            cell.fill = solid_fill(colour)
        self._made[key] = copy(cell._style)


def print_landscape(
    sheet: Worksheet,
    *,
    title_rows: str | None = None,
    title_cols: str | None = None,
    fit_width: int | None = None,
    fit_height: int | None = None,
    scale: int | None = None,
) -> None:
    """Set a sheet to print on A4 landscape with narrow margins and page numbers, repeating
    `title_rows` ("1:3") and `title_cols` ("A:C") on every page; either fitted to
    `fit_width` x `fit_height` pages (0: as many as needed) or printed at `scale` percent."""
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = PAPER_A4
    if scale is not None:
        setup.scale = scale
    if fit_width is not None or fit_height is not None:
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        setup.fitToWidth = fit_width if fit_width is not None else 0
        setup.fitToHeight = fit_height if fit_height is not None else 0
    margins = sheet.page_margins
    margins.left = margins.right = 0.4
    margins.top = margins.bottom = 0.5
    margins.header = margins.footer = 0.25
    sheet.oddFooter.center.text = "&P / &N"
    sheet.print_options.gridLines = False
    if title_rows:
        sheet.print_title_rows = title_rows
    if title_cols:
        sheet.print_title_cols = title_cols
