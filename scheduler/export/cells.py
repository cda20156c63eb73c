"""Text made safe for the export formats, whatever a plan or schedule.json holds.

- `encodable` (from `scheduler.schedule`): lone surrogates (which JSON and YAML escapes such
  as `\\ud800` can produce, but which no UTF-8 file can hold) become U+FFFD; a schedule's own
  texts are already encodable, and every writer passes its text through it once more.
- `neutralise`: a spreadsheet cell that Excel would take for a formula (starting with `=`,
  `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`.
- `table_text`: a csv cell's text: encodable, line breaks as `\\n` (a lone carriage return
  would end the row in Excel but not be quoted by the csv writer), no other C0 control
  character, neutralised.
- `xml_text`: an xlsx cell's text: encodable, without the characters XML 1.0 cannot hold
  (openpyxl refuses C0 controls, Excel refuses U+FFFE and U+FFFF) and at most Excel's 32767
  characters.
- `chart_text`: a chart label: one line, no control character, at most `CHART_LIMIT`
  characters.
"""

from __future__ import annotations

import re
from typing import Any

from scheduler.schedule import encodable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32767  # characters Excel holds in one cell
CHART_LIMIT = 120  # characters of a label drawn in gantt.png
ELLIPSIS = "…"

_BREAKS = re.compile(r"\r\n|\r")
_TABLE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CHART_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def neutralise(value: Any) -> Any:
    """A text cell made safe against spreadsheet formula injection (other values unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
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
