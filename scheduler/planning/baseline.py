"""The previous version of a schedule, as re-planning sees it (FORMAT.md section 5).

With a re-planning day T (`replan --today T`), each task of the previous schedule is
- finished (it ended before T): it keeps its dates and assignee and leaves the problem;
- under way (it started before T and ends on or after T): it keeps its start; its remaining
  working days from T on are what is scheduled, by its assignee unless they left the plan or
  are on leave on one of those days (then by someone else, who becomes its assignee);
- open (it starts on or after T, or is new): scheduled afresh, starting on or after T.

Without T (`plan` into a folder that holds a schedule) nothing is frozen: the previous
version only says where each task was, so that least change can keep it there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from scheduler.plan.model import StaffMember
from scheduler.schedule import Schedule, ScheduledTask
from scheduler.workdays.calendar import WorkCalendar


@dataclass(frozen=True)
class Baseline:
    """The previous schedule and the re-planning day (None: a fresh plan)."""

    schedule: Schedule
    today: date | None = None

    def task(self, task_id: str) -> ScheduledTask | None:
        """The previous version of a task (None for a task that is new)."""
        return self._by_id.get(task_id)

    @cached_property
    def _by_id(self) -> dict[str, ScheduledTask]:
        return {t.id: t for t in self.schedule.tasks}

    def dates(self) -> list[date]:
        """Every date the baseline and the re-planning day name (for the calendar's span)."""
        days = [d for t in self.schedule.tasks for d in (t.start, t.end)]
        return days + ([self.today] if self.today else [])


@dataclass
class Split:
    """The tasks of a plan by what re-planning on T does with them."""

    finished: dict[str, ScheduledTask] = field(default_factory=dict)
    under_way: dict[str, UnderWay] = field(default_factory=dict)


@dataclass(frozen=True)
class UnderWay:
    """A task under way on T: its previous version and what is left of it from T on."""

    previous: ScheduledTask
    done: int  # working days before T
    remaining: int  # working days from T on
    keeper: str | None  # the assignee who keeps it, or None: it is handed over


def split_tasks(
    baseline: Baseline | None,
    task_ids: list[str],
    durations: dict[str, int],
    staff: tuple[StaffMember, ...],
    calendar: WorkCalendar,
) -> Split:
    """Which tasks are finished and which are under way on the baseline's re-planning day."""
    split = Split()
    if baseline is None or baseline.today is None:
        return split
    today = baseline.today
    people = {p.id: p for p in staff}
    for task_id in task_ids:
        previous = baseline.task(task_id)
        if previous is None or previous.start >= today:
            continue
        if previous.end < today:
            split.finished[task_id] = previous
            continue
        done = sum(1 for d in calendar.days if previous.start <= d < today)
        remaining = max(1, durations[task_id] - done)
        first = calendar.index_on_or_after(today)
        days = calendar.days[first : first + remaining]
        person = people.get(previous.assignee)
        keeps = person is not None and not any(
            lv.start <= d <= lv.end for lv in person.leave for d in days
        )
        split.under_way[task_id] = UnderWay(
            previous, done, remaining, previous.assignee if keeps else None
        )
    return split
