"""Exports of a schedule: the files of FORMAT.md section 6 that people open.

Each writer takes a `Schedule` (which carries everything it needs, so that
`promo-scheduler export schedule.json` works without the plan) and writes atomically.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from scheduler.executors import beside
from scheduler.export.options import ExportOptions
from scheduler.schedule import Schedule

DRAW_BESIDE_FROM = 2000  # tasks from which gantt.png is drawn in another process meanwhile


def export_all(schedule: Schedule, out_dir: Path, options: ExportOptions) -> list[Path]:
    """Write the calendars, the Gantt tables and the Gantt charts into `out_dir` (a large
    schedule's gantt.png drawn on another core meanwhile: the same bytes)."""
    from scheduler.export.gantt_png import write_png

    out_dir.mkdir(parents=True, exist_ok=True)
    large = len(schedule.tasks) >= DRAW_BESIDE_FROM
    draw = partial(write_png, schedule, out_dir / "gantt.png", today=options.today)
    with beside(draw, here=not large) as png:
        written = _write_the_rest(schedule, out_dir, options)
        png()
    names = ["schedule.csv", "schedule.xlsx", "gantt.png", "gantt.html"]
    return [*written, *(out_dir / n for n in names)]


def _write_the_rest(schedule: Schedule, out_dir: Path, options: ExportOptions) -> list[Path]:
    """Every export but gantt.png; returns the calendars written."""
    from scheduler.export.gantt_html import write_html
    from scheduler.export.ics import write_calendars
    from scheduler.export.tables import write_csv, write_xlsx

    stamp = schedule.generated or datetime(2000, 1, 1, tzinfo=UTC)
    written = write_calendars(
        schedule,
        out_dir,
        stamp=stamp,
        event_time=options.event_time,
        alarm=options.alarm,
        working_days=schedule.working_days,
    )
    write_csv(schedule, out_dir / "schedule.csv")
    write_xlsx(
        schedule,
        out_dir / "schedule.xlsx",
        working_days=schedule.working_days,
        today=options.today,
    )
    write_html(schedule, out_dir / "gantt.html", today=options.today)
    return written
