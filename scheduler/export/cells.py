"""Text made safe for the export formats, whatever a plan or schedule.json holds.

- `encodable` (from `scheduler.schedule`): lone surrogates (which JSON and YAML escapes such
  as `\\ud800` can produce, but which no UTF-8 file can hold) become U+FFFD; a schedule's own
  texts are already encodable, and every writer passes its text through it once more.
- `neutralise`: a spreadsheet cell that Excel, LibreOffice or Google Sheets would take for a
  formula (its first character, after any leading spaces and control characters, is `=`,
  `+`, `-` or `@`, or their full-width forms, or it starts with a tab or a carriage return)
  gets a leading `'`, the usual way to mark text.
- `table_text`: a csv cell's text: encodable, line breaks as `\\n` (a lone carriage return
  would end the row in Excel but not be quoted by the csv writer), no other C0 control
  character, neutralised.
- `xml_text`: an xlsx cell's text: encodable, without the characters XML 1.0 cannot hold
  (openpyxl refuses C0 controls, Excel refuses U+FFFE and U+FFFF) and at most Excel's 32767
  characters. `looks_like_formula` says when such a cell needs Excel's quote prefix.
- `chart_text`: a chart label: one line, no control character, at most `CHART_LIMIT`
  characters.
"""

from __future__ import annotations

import re
from typing import Any

from scheduler.schedule import encodable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")  # and full-width = + - @
XLSX_CELL_LIMIT = 32767  # characters Excel holds in one cell
CHART_LIMIT = 120  # characters of a label drawn in gantt.png
ELLIPSIS = "…"

_LEADING = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]*")
_BREAKS = re.compile(r"\r\n|\r")
_TABLE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CHART_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula (or a DDE command)."""
    if text.startswith(FORMULA_PREFIXES):
        return True
    rest = text[_LEADING.match(text).end() :]
    return bool(rest) and rest[0] in FORMULA_STARTS


def neutralise(value: Any) -> Any:
    """A text cell made safe against spreadsheet formula injection (other values unchanged)."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def table_text(value: Any) -> Any:
    """A csv cell: text encodable, on `\\n` line breaks, without other control characters,
    neutralised (other values unchanged)."""
    if not isinstance(value, str):
        return value
    text = _TABLE_CONTROL.sub("", _BREAKS.sub("\n", encodable(value)))
    return neutralise(text)


def xml_text(text: str, limit: int = XLSX_CELL_LIMIT) -> str:
    """An xlsx cell's text: encodable, without characters XML 1.0 forbids, at most `limit`
    characters (the end cut and marked with an ellipsis)."""
    text = _XML_ILLEGAL.sub("", encodable(text))
    if len(text) > limit:
        text = text[: limit - len(ELLIPSIS)] + ELLIPSIS
    return text


def chart_text(text: str, limit: int = CHART_LIMIT) -> str:
    """A label for a chart: encodable, one line, no control character, at most `limit`
    characters."""
    text = _CHART_CONTROL.sub(" ", encodable(text[: limit * 4])).strip()
    if len(text) > limit:
        text = text[: limit - len(ELLIPSIS)] + ELLIPSIS
    return text
