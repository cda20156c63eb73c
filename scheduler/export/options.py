"""How the exports are written: the options a user sets on `plan`, `replan` and `export`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time


@dataclass(frozen=True)
class ExportOptions:
    """How the exports are written (FORMAT.md section 6)."""

    event_time: tuple[time, time] | None = None  # timed events instead of all-day ones
    alarm: bool = True  # a reminder the working day before each task
    today: date | None = None  # a "today" line on the Gantt chart
