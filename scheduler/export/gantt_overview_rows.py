"""The rows of gantt.png's year overview: one per activity occurrence, one per person.

An activity row holds the occurrence's tasks, each given a lane (up to MAX_LANES) so that
tasks on the same days can be drawn side by side in the row. A person row holds their load on
each day: the sum of the `load` percentages of the tasks they work that day (a task's days
are the days of its stretches).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from scheduler.export.gantt_common import words
from scheduler.export.tables import (
    activity_label,
    activity_windows,
    grouped_tasks,
    person_colours,
    person_names,
    worked_days,
)
from scheduler.schedule import ActivityWindow, Schedule, ScheduledTask

MAX_LANES = 4


@dataclass(frozen=True)
class ActivityRow:
    """One activity occurrence in the overview, with its tasks each placed in a lane."""

    activity: str
    label: str
    window: ActivityWindow | None
    tasks: tuple[ScheduledTask, ...]
    lanes: tuple[int, ...]  # the lane of each task, 0 at the top
    lane_count: int

    @property
    def late_days(self) -> int:
        """The late days of the activity's tasks."""
        return sum(t.late_days for t in self.tasks)

    @property
    def preparation(self) -> tuple[date, date] | None:
        """First day of its first task to last day of its last task (None without tasks)."""
        if not self.tasks:
            return None
        return min(t.start for t in self.tasks), max(t.end for t in self.tasks)

    @property
    def last_day(self) -> date:
        """The last day drawn in the row: its last task's or its live window's."""
        days = [t.end for t in self.tasks] + ([self.window.end] if self.window else [])
        return max(days)


@dataclass(frozen=True)
class PersonRow:
    """One person in the overview: their total load (percent) on each day they work."""

    person: str
    label: str
    colour: str
    capacity: int
    load: dict[date, int]


def overview_rows(schedule: Schedule) -> list[ActivityRow]:
    """The overview's activity rows, top to bottom: every activity occurrence that has tasks
    in the order of the other charts, and live windows without tasks where they start."""
    windows = activity_windows(schedule)
    rows = []
    for activity_id, tasks in grouped_tasks(schedule):
        lanes = _lanes(tasks)
        count = min(MAX_LANES, max(lanes, default=0) + 1)
        label = activity_label(schedule, activity_id, windows)
        window = windows.get(activity_id)
        rows.append(ActivityRow(activity_id, label, window, tuple(tasks), lanes, count))
    used = {row.activity for row in rows}
    for window in schedule.activities:
        if window.id not in used:
            label = activity_label(schedule, window.id, windows)
            empty = ActivityRow(window.id, label, window, (), (), 1)
            at = next((i for i, r in enumerate(rows) if _row_start(r) > window.start), len(rows))
            rows.insert(at, empty)
    return rows


def _row_start(row: ActivityRow) -> date:
    if row.window is not None:
        return row.window.start
    return row.tasks[0].start


def _lanes(tasks: list[ScheduledTask]) -> tuple[int, ...]:
    """A lane for each task such that tasks sharing a lane do not overlap, when MAX_LANES
    lanes suffice; otherwise the lane that frees up first."""
    ends: list[date] = []  # the last day taken in each lane
    lanes: dict[str, int] = {}
    for task in sorted(tasks, key=lambda t: (t.start, t.end, t.id)):
        free = [n for n, end in enumerate(ends) if end < task.start]
        if free:
            lane = free[0]
        elif len(ends) < MAX_LANES:
            ends.append(task.end)
            lane = len(ends) - 1
        else:
            lane = min(range(len(ends)), key=lambda n: ends[n])
        ends[lane] = max(ends[lane], task.end)
        lanes[task.id] = lane
    return tuple(lanes[t.id] for t in tasks)


def person_rows(schedule: Schedule) -> list[PersonRow]:
    """The overview's person rows: everyone with tasks, in staff order, with their daily load."""
    load: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for task in schedule.tasks:
        for day in worked_days(task):
            load[task.assignee][day] += task.load
    names = person_names(schedule)
    capacity = {p.id: p.capacity for p in schedule.staff}
    text = words(schedule)
    counts = Counter(t.assignee for t in schedule.tasks)
    rows = []
    for pid, colour in person_colours(schedule).items():
        if pid not in load:
            continue
        count = counts[pid]
        label = f"{names.get(pid, pid)} · {count} {text['count']}"
        cap = capacity.get(pid, 100) or 100
        if cap != 100:
            label += f" · {text['capacity']} {cap}%"
        rows.append(PersonRow(pid, label, colour, cap, dict(load[pid])))
    return rows
