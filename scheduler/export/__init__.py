"""Exports of a schedule: the files of FORMAT.md section 6 that people open.

Each writer takes a `Schedule` (which carries everything it needs, so that
`promo-scheduler export schedule.json` works without the plan) and writes atomically.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

from scheduler.executors import Executor, beside
from scheduler.export.options import ExportOptions
from scheduler.schedule import Schedule

DRAW_BESIDE_FROM = 2000  # tasks from which gantt.png is drawn in another process meanwhile


def export_all(
    schedule: Schedule, out_dir: Path, options: ExportOptions, executor: Executor | None = None
) -> list[Path]:
    """Write the calendars, the Gantt tables and the Gantt charts into `out_dir`. With an
    `executor` that has worker processes (`submit`: this machine's cores), gantt.png and
    schedule.xlsx are written in two of them meanwhile; else a large schedule's gantt.png
    in a worker of its own. The same bytes either way."""
    out_dir.mkdir(parents=True, exist_ok=True)
    draw = partial(_draw_png, schedule, out_dir / "gantt.png", options.today)
    table = partial(_write_xlsx, schedule, out_dir / "schedule.xlsx", options.today)
    submit = getattr(executor, "submit", None)
    if submit is not None:
        waits = [submit(draw), submit(table)]
        try:
            written = _write_the_rest(schedule, out_dir, options)
        except BaseException:
            for wait in waits:  # nothing may write into `out_dir` once this call has failed
                with suppress(Exception):
                    wait()
            raise
        for wait in waits:
            wait()
    else:
        with beside(draw, here=len(schedule.tasks) < DRAW_BESIDE_FROM) as png:
            written = _write_the_rest(schedule, out_dir, options)
            table()
            png()
    names = ["schedule.csv", "schedule.xlsx", "gantt.png", "gantt.html"]
    return [*written, *(out_dir / n for n in names)]


def _draw_png(schedule: Schedule, path: Path, today: date | None) -> None:
    """Write gantt.png (the chart library imported only where it draws: maybe a worker)."""
    from scheduler.export.gantt_png import write_png

    write_png(schedule, path, today=today)


def _write_xlsx(schedule: Schedule, path: Path, today: date | None) -> None:
    """Write schedule.xlsx (a module-level function: a worker may run it)."""
    from scheduler.export.tables import write_xlsx

    write_xlsx(schedule, path, working_days=schedule.working_days, today=today)


def _write_the_rest(schedule: Schedule, out_dir: Path, options: ExportOptions) -> list[Path]:
    """The calendars, schedule.csv and gantt.html; returns the calendars written."""
    from scheduler.export.gantt_html import write_html
    from scheduler.export.ics import write_calendars
    from scheduler.export.tables import write_csv

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
    write_html(schedule, out_dir / "gantt.html", today=options.today)
    return written
