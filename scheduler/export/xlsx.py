"""`schedule.xlsx` (FORMAT.md section 6): the sheets Tasks, Gantt and People.

`Tasks` (`scheduler.export.xlsx_tasks`) is schedule.csv's table with the readable columns
first; `Gantt` (`scheduler.export.xlsx_gantt`) one column per calendar day, activities
grouped, printing one month per page width; `People` (`scheduler.export.xlsx_people`) each
person's load per week and per day against their own capacity.

Every text cell, on every sheet, is a text cell (never a formula): text that looks like one
keeps its value and gets Excel's quote prefix, so that editing the cell does not turn it into
a formula either (`scheduler.export.xlsx_common.set_text`). The archive has fixed times, so
the same schedule and options give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from scheduler.export.tables import off_days
from scheduler.export.xlsx_gantt import fill_gantt_sheet
from scheduler.export.xlsx_people import fill_people_sheet
from scheduler.export.xlsx_tasks import fill_tasks_sheet
from scheduler.schedule import Schedule
from scheduler.versions.atomic import write_bytes
from scheduler.xlsx_archive import deterministic_zip


def write_xlsx(
    schedule: Schedule,
    path: str | Path,
    *,
    working_days: Sequence[date] = (),
    today: date | None = None,
) -> None:
    """Write `schedule.xlsx` with the sheets Tasks, Gantt (day grid) and People (load).

    A day is non-working when it is not in `working_days` (default: the schedule's own plan
    calendar); without any, Saturdays and Sundays are. `today` fixes the Gantt sheet's today
    marker; without it the marker follows the viewer's clock (TODAY()).
    """
    off = off_days(schedule, working_days)
    workbook = Workbook()
    fill_tasks_sheet(workbook.active, schedule)
    fill_gantt_sheet(workbook.create_sheet("Gantt"), schedule, off, today)
    fill_people_sheet(workbook.create_sheet("People"), schedule, off)
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_bytes(path, deterministic_zip(buffer.getvalue()))
