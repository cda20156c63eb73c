"""An xlsx file made byte-for-byte reproducible: the same data gives the same file.

openpyxl stamps every zip entry and the document properties with the current time; both
the exported schedule.xlsx and a plan workbook written by `init` are rewritten here with
fixed times, so that two runs with the same input write the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile

FIXED_TIMESTAMP = "1980-01-01T00:00:00Z"  # written into the xlsx instead of "now"
_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def deterministic_zip(data: bytes) -> bytes:
    """The xlsx archive rewritten with fixed entry times and fixed document timestamps."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_TIMES.sub(rb"\g<1>" + FIXED_TIMESTAMP.encode() + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, content)
    return out.getvalue()
