"""The Gantt tables: `schedule.csv` and what `schedule.xlsx` shares with it (FORMAT.md
section 6).

`schedule.csv` has one row per task, sorted by start then task id, UTF-8 with a BOM so that
Excel shows Chinese. Text cells that a spreadsheet would read as a formula (starting with
`=`, `+`, `-`, `@`, a tab or a carriage return) get a leading `'`; line breaks are `\n`
(quoted), other control characters are dropped (`scheduler.export.cells.table_text`).

`schedule.xlsx` is written by `scheduler.export.xlsx` (its sheets in the `xlsx_*` modules);
`write_xlsx` here is that writer.

The helpers `person_colours`, `worked_days`, `activity_label`, `ordered_tasks`, `day_span`
and `off_days` are shared with the workbook and the charts (`scheduler.export.gantt_png`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from scheduler.export.cells import table_text
from scheduler.schedule import ActivityWindow, Schedule, ScheduledTask
from scheduler.versions.atomic import write_bytes
from scheduler.words import role_label, yes_no

# (key, English header, Chinese header): the columns of schedule.csv and of the Tasks sheet.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("task_id", "task id", "任务编号"),
    ("activity_id", "activity id", "活动编号"),
    ("activity", "activity", "活动"),
    ("step", "step", "步骤"),
    ("task", "task", "任务"),
    ("role", "role", "角色"),
    ("assignee_id", "assignee id", "负责人编号"),
    ("assignee", "assignee", "负责人"),
    ("start", "start", "开始"),
    ("end", "end", "结束"),
    ("working_days", "working days", "工作日"),
    ("load", "load %", "负荷 %"),
    ("due", "due", "截止"),
    ("late_days", "late days", "延误天数"),
    ("strict", "strict", "硬截止"),
)
DATE_KEYS = frozenset({"start", "end", "due"})

# Medium-light colours, distinct from each other, from the late red and from the grey and
# yellow used for non-working days and live windows; black text stays readable on them.
PALETTE: tuple[str, ...] = (
    "#6baed6",
    "#fd8d3c",
    "#74c476",
    "#9e9ac8",
    "#e7ba52",
    "#6dccda",
    "#f1a3d6",
    "#a1887f",
    "#cedb9c",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#9edae5",
)
LATE_COLOUR = "#e03131"
WINDOW_COLOUR = "#fff3bf"
OFF_DAY_COLOUR = "#e9ecef"


# ---------------------------------------------------------------- shared helpers


def is_chinese(language: str) -> bool:
    """Whether a schedule language (`zh`, `zh-CN`, ...) asks for Chinese labels."""
    return language.lower().startswith("zh")


def headers(language: str) -> list[str]:
    """The column headers of schedule.csv and the Tasks sheet for a schedule language."""
    if is_chinese(language):
        return [f"{en} ({zh})" for _, en, zh in COLUMNS]
    return [en for _, en, _ in COLUMNS]


def ordered_tasks(schedule: Schedule) -> list[ScheduledTask]:
    """The tasks sorted by start date, then by task id."""
    return sorted(schedule.tasks, key=lambda t: (t.start, t.id))


def worked_days(task: ScheduledTask) -> list[date]:
    """The calendar days a task is worked on: the days of its stretches (start..end if none)."""
    stretches = task.stretches or ((task.start, task.end),)
    return [day for first, last in stretches for day in day_range(first, last)]


def day_range(first: date, last: date) -> list[date]:
    """Every calendar day from `first` to `last`, both inclusive."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def person_colours(schedule: Schedule) -> dict[str, str]:
    """A stable `#rrggbb` colour for each person id: staff order first, then other assignees."""
    ids = [p.id for p in schedule.staff]
    ids += sorted({t.assignee for t in schedule.tasks} - set(ids))
    return {pid: PALETTE[n % len(PALETTE)] for n, pid in enumerate(ids)}


def person_names(schedule: Schedule) -> dict[str, str]:
    """Person id -> display name (the id itself for an assignee missing from the staff)."""
    names = {t.assignee: t.assignee for t in schedule.tasks}
    names.update({p.id: p.name for p in schedule.staff})
    return names


def activity_windows(schedule: Schedule) -> dict[str, ActivityWindow]:
    """Activity occurrence id -> its live window."""
    return {a.id: a for a in schedule.activities}


def activity_label(
    schedule: Schedule, activity_id: str, windows: dict[str, ActivityWindow] | None = None
) -> str:
    """How charts name an activity occurrence: name, store when set, and first live day.
    `windows` is `activity_windows(schedule)` when the caller already has it."""
    window = (activity_windows(schedule) if windows is None else windows).get(activity_id)
    if window is None:
        return activity_id
    store = schedule.stores.get(window.store, window.store) if window.store else None
    name = f"{window.name} · {store}" if store else window.name
    return f"{name} {window.start:%m-%d}"


def grouped_tasks(schedule: Schedule) -> list[tuple[str, list[ScheduledTask]]]:
    """The tasks grouped by activity, activities in order of first live day then first task."""
    groups: dict[str, list[ScheduledTask]] = defaultdict(list)
    for task in ordered_tasks(schedule):
        groups[task.activity].append(task)
    windows = activity_windows(schedule)

    def key(activity_id: str) -> tuple[date, date, str]:
        first_task = groups[activity_id][0].start
        window = windows.get(activity_id)
        return (window.start if window else first_task, first_task, activity_id)

    return [(aid, groups[aid]) for aid in sorted(groups, key=key)]


def day_span(schedule: Schedule) -> tuple[date, date] | None:
    """First and last calendar day to draw: all tasks and the live windows of their activities."""
    if not schedule.tasks:
        return None
    windows = activity_windows(schedule)
    used = [windows[t.activity] for t in schedule.tasks if t.activity in windows]
    firsts = [t.start for t in schedule.tasks] + [w.start for w in used]
    lasts = [t.end for t in schedule.tasks] + [w.end for w in used]
    firsts += [d for t in schedule.tasks for d, _ in t.stretches]
    lasts += [d for t in schedule.tasks for _, d in t.stretches]
    firsts += [t.due for t in schedule.tasks if t.due]  # a due may lie before the task
    lasts += [t.due for t in schedule.tasks if t.due]
    return min(firsts), max(lasts)


class OffDays:
    """Which calendar days are non-working: inside the range of the given working days, those
    not among them; outside it (or when none are given), Saturdays and Sundays."""

    def __init__(self, working_days: Iterable[date] = ()) -> None:
        self.working = frozenset(working_days)
        self.first = min(self.working, default=None)
        self.last = max(self.working, default=None)

    def __contains__(self, day: date) -> bool:
        if self.first is not None and self.last is not None and self.first <= day <= self.last:
            return day not in self.working
        return day.weekday() >= 5


def off_days(schedule: Schedule, working_days: Iterable[date] = ()) -> OffDays:
    """The non-working days: from `working_days`, else from the schedule's own plan calendar."""
    given = list(working_days) or list(getattr(schedule, "working_days", None) or ())
    return OffDays(given)


# ---------------------------------------------------------------- rows


def task_records(schedule: Schedule) -> list[dict[str, Any]]:
    """One dict per task, keyed like COLUMNS, dates as `date` objects, sorted by start and id;
    the role by its name and `strict` as yes/no, in the schedule's language."""
    windows = activity_windows(schedule)
    names = person_names(schedule)
    return [_record(schedule, task, windows, names) for task in ordered_tasks(schedule)]


def _record(
    schedule: Schedule,
    task: ScheduledTask,
    windows: dict[str, ActivityWindow],
    names: dict[str, str],
) -> dict[str, Any]:
    window = windows.get(task.activity)
    return {
        "task_id": task.id,
        "activity_id": task.activity,
        "activity": window.name if window else task.activity,
        "step": task.step,
        "task": task.name,
        "role": role_label(task.role, schedule.roles),
        "assignee_id": task.assignee,
        "assignee": names.get(task.assignee, task.assignee),
        "start": task.start,
        "end": task.end,
        "working_days": task.working_days or len(worked_days(task)),
        "load": task.load,
        "due": task.due,
        "late_days": task.late_days,
        "strict": yes_no(task.strict, schedule.language),
    }


def tasks_frame(schedule: Schedule) -> pd.DataFrame:
    """The task table as schedule.csv shows it: ISO date text, neutralised text cells."""
    rows = [
        [_csv_cell(key, record[key]) for key, _, _ in COLUMNS] for record in task_records(schedule)
    ]
    return pd.DataFrame(rows, columns=headers(schedule.language), dtype=object)


def _csv_cell(key: str, value: Any) -> Any:
    if key in DATE_KEYS:
        return value.isoformat() if value else ""
    return table_text(value)


# ---------------------------------------------------------------- csv


def write_csv(schedule: Schedule, path: str | Path) -> None:
    """Write `schedule.csv`: one row per task, UTF-8 with BOM, formula-safe, sorted by start."""
    text = tasks_frame(schedule).to_csv(index=False, lineterminator="\n")
    write_bytes(path, text.encode("utf-8-sig"))


# ---------------------------------------------------------------- xlsx


def write_xlsx(
    schedule: Schedule,
    path: str | Path,
    *,
    working_days: Sequence[date] = (),
    today: date | None = None,
) -> None:
    """Write `schedule.xlsx` (`scheduler.export.xlsx.write_xlsx`, kept here for callers of
    this module)."""
    from scheduler.export.xlsx import write_xlsx as write

    write(schedule, path, working_days=working_days, today=today)
