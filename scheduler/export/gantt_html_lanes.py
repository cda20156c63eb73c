"""gantt.html's person view: one row (lane) per person, each of their tasks a bar on it.

A person can work on several tasks on one day (each takes a share of their capacity), so a
lane is cut into as many sub-lanes as that person has tasks at once: a task goes into the
first sub-lane free since the day before it starts (tasks in start order), and bars in one
sub-lane never overlap. The name of a task is written inside its bar, cut at the bar's end
(the whole name is in the bar's tooltip).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date

from scheduler.export.gantt_common import split_at_due, words
from scheduler.export.tables import LATE_COLOUR, person_colours, person_names
from scheduler.schedule import Schedule, ScheduledTask


def sub_lanes(tasks: list[ScheduledTask]) -> dict[str, int]:
    """The sub-lane (0, 1, ...) of each task id: a task takes the first sub-lane whose last
    task ended before it starts, in (start, end, id) order."""
    ends: list[date] = []
    placed: dict[str, int] = {}
    for task in sorted(tasks, key=lambda t: (t.start, t.end, t.id)):
        lane = next((i for i, end in enumerate(ends) if end < task.start), len(ends))
        if lane == len(ends):
            ends.append(task.end)
        else:
            ends[lane] = task.end
        placed[task.id] = lane
    return placed


def lanes_html(
    schedule: Schedule,
    first_day: date,
    escape: Callable[[object], str],
    tooltip: Callable[[ScheduledTask], str],
) -> str:
    """The person view's rows: a lane per person with tasks, in the legend's order;
    `escape` makes text safe for the page, `tooltip` is a task's hover text."""
    colours = person_colours(schedule)
    names = person_names(schedule)
    text = words(schedule)
    by_person: dict[str, list[ScheduledTask]] = defaultdict(list)
    for task in schedule.tasks:
        by_person[task.assignee].append(task)
    rows: list[str] = []
    for pid, colour in colours.items():
        tasks = by_person.get(pid, [])
        if not tasks:
            continue
        lanes = sub_lanes(tasks)
        bars = "".join(
            _lane_bars(task, lanes[task.id], first_day, colour, escape, tooltip(task))
            for task in sorted(tasks, key=lambda t: (t.start, t.end, t.id))
        )
        late = sum(1 for t in tasks if t.late_days > 0)
        count = f"{len(tasks)} {text['count']}" + (f", {late} {text['late']}" if late else "")
        name = escape(names.get(pid, pid))
        rows.append(
            f'<div class="row lane" data-person="{escape(pid)}" '
            f'style="--lanes:{max(lanes.values()) + 1}">'
            f'<div class="label" title="{name} ({escape(count)})">'
            f'<span class="dot" style="background:{colour}"></span>{name} '
            f"<small>{escape(count)}</small></div>"
            f'<div class="track">{bars}</div></div>\n'
        )
    return "".join(rows)


def _lane_bars(
    task: ScheduledTask,
    lane: int,
    first_day: date,
    colour: str,
    escape: Callable[[object], str],
    tooltip: str,
) -> str:
    tip = escape(tooltip)
    late = " late" if task.late_days > 0 else ""
    parts = []
    for index, (start, end, over) in enumerate(split_at_due(task)):
        label = f"<span>{escape(task.name)}</span>" if index == 0 else ""
        parts.append(
            f'<div class="lbar{late}{" over" if over else ""}" data-task="{escape(task.id)}" '
            f'style="--s:{(start - first_day).days};--n:{(end - start).days + 1};--l:{lane};'
            f'background:{LATE_COLOUR if over else colour}" title="{tip}">{label}</div>'
        )
    return "".join(parts)
