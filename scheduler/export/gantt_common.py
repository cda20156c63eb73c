"""What both Gantt charts (gantt.png and gantt.html) share: their words, colours and rows.

The person colours, the non-working days and the grouping of tasks by activity come from
`scheduler.export.tables`, so that the charts and the spreadsheet agree. Nothing here needs
matplotlib: the HTML page is written without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.export.tables import (
    activity_label,
    activity_windows,
    grouped_tasks,
    is_chinese,
    worked_days,
)
from scheduler.schedule import ActivityWindow, Schedule, ScheduledTask

GO_LIVE_COLOUR = "#f59f00"  # the live window's bar in the activity's own row
TODAY_COLOUR = "#c92a2a"

TEXT = {
    "en": {
        "today": "today",
        "people": "People",
        "late": "late",
        "due": "due",
        "window": "live window",
        "everyone": "everyone",
        "person": "Person",
        "role": "Role",
        "zoom": "Zoom",
        "year": "Year",
        "month": "Month",
        "week": "Week",
        "tasks": "Activity / task",
        "no_tasks": "No tasks.",
        "working_days": "working days",
        "status": "status",
        "late_days": "late days",
        "late_note": "+{n}d late",
        "shown": "tasks shown",
        "count": "tasks",
        "fit": "Fit",
        "this_week": "This week",
        "outside": "outside the plan",
        "view": "View",
        "view_activities": "Activities",
        "view_people": "People",
        "activities": "activities",
        "preparation": "preparation (first task – last task)",
        "off_day": "non-working day",
        "overload": "over capacity",
        "overview": "Year overview: one row per activity, each task a short bar in its "
        "person's colour; every task with its name is in gantt.html and schedule.xlsx.",
        "activity_panel": "Activities",
        "load_panel": "Daily load per person (bar height: share of their capacity)",
        "capacity": "capacity",
    },
    "zh": {
        "today": "今天",
        "people": "人员",
        "late": "延误",
        "due": "截止",
        "window": "上线期",
        "everyone": "全部人员",
        "person": "人员",
        "role": "角色",
        "zoom": "缩放",
        "year": "年",
        "month": "月",
        "week": "周",
        "tasks": "活动 / 任务",
        "no_tasks": "没有任务。",
        "working_days": "个工作日",
        "status": "状态",
        "late_days": "延误天数",
        "late_note": "延误 {n} 天",
        "shown": "显示任务",
        "count": "任务",
        "fit": "适应",
        "this_week": "本周",
        "outside": "不在计划期内",
        "view": "视图",
        "view_activities": "按活动",
        "view_people": "按人员",
        "activities": "活动",
        "preparation": "筹备期（首个任务 – 最后任务）",
        "off_day": "非工作日",
        "overload": "超出产能",
        "overview": "全年总览：每个活动一行，每个任务是一段按负责人着色的短条；"
        "各任务名称见 gantt.html 和 schedule.xlsx。",
        "activity_panel": "活动",
        "load_panel": "每人每日负荷（条高：占其产能的比例）",
        "capacity": "产能",
    },
}


def words(schedule: Schedule) -> dict[str, str]:
    """The charts' labels in the schedule's language (Chinese or English)."""
    return TEXT["zh" if is_chinese(schedule.language) else "en"]


@dataclass(frozen=True)
class Row:
    """One chart row: an activity heading (task is None) or a task."""

    activity: str
    label: str
    window: ActivityWindow | None
    task: ScheduledTask | None = None


def chart_rows(schedule: Schedule) -> list[Row]:
    """The chart's rows from top to bottom: each activity heading followed by its tasks."""
    windows = activity_windows(schedule)
    rows: list[Row] = []
    for activity_id, tasks in grouped_tasks(schedule):
        window = windows.get(activity_id)
        rows.append(Row(activity_id, activity_label(schedule, activity_id, windows), window))
        rows += [Row(activity_id, task.name, window, task) for task in tasks]
    return rows


def split_at_due(task: ScheduledTask) -> list[tuple[date, date, bool]]:
    """The task's stretches as (first, last, late) pieces, cut where the due date passes."""
    pieces: list[tuple[date, date, bool]] = []
    for day in worked_days(task):
        late = task.due is not None and day > task.due
        last = pieces[-1] if pieces else None
        if last and last[1] + timedelta(days=1) == day and last[2] == late:
            pieces[-1] = (last[0], day, late)
        else:
            pieces.append((day, day, late))
    return pieces


def late_note(schedule: Schedule, late_days: int) -> str:
    """How a chart says that something is `late_days` days late."""
    return words(schedule)["late_note"].format(n=late_days)
