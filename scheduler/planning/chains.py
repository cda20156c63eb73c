"""Why a task starts when it does in a solved schedule: its critical chain.

Walking back from a task, each link says what held its start: the end of one of its
predecessors (then the chain goes on with that predecessor), the people who could do it
(it could have started earlier, but they were busy or away), its own earliest date or the
re-planning day, or that it was already under way or done. Where its people held it but
its predecessor alone already made it late, the chain goes on with that predecessor too:
the people cost it the last days, the predecessor the most. It is read from the schedule
as solved, not from a bound, so it names what really happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.planning.adapter import Compiled
from scheduler.schedule import Schedule, ScheduledTask

AFTER = "after"  # its start is the first day its predecessor (the next link) allows
PEOPLE = "people"  # it could have started on `could_start`; its people were taken
AFTER_PEOPLE = "after_people"  # as PEOPLE, but the predecessor (the next link) made it late
DATE = "date"  # its start is its own earliest date
TODAY = "today"  # its start is the re-planning day: nothing new starts before it
FIXED = "fixed"  # done or under way before the re-planning day: its start was kept


@dataclass(frozen=True)
class Link:
    """One task of a critical chain and what held its start."""

    task: ScheduledTask
    held_by: str  # AFTER, PEOPLE, AFTER_PEOPLE, DATE, TODAY or FIXED
    could_start: date  # the first day what comes before it allowed
    lag: str = ""  # the lag after the predecessor, e.g. "2wd" (AFTER, AFTER_PEOPLE)


def critical_chain(compiled: Compiled, schedule: Schedule, task_id: str) -> list[Link]:
    """The chain of links that fixes the start of task `task_id`, the task itself first."""
    by_id = {t.id: t for t in schedule.tasks}
    index = {t: i for i, t in enumerate(compiled.task_ids)}
    chain: list[Link] = []
    seen: set[str] = set()
    current = by_id[task_id]
    while current.id not in seen:
        seen.add(current.id)
        link, previous = _link(compiled, by_id, index, current)
        chain.append(link)
        if previous is None:
            break
        current = previous
    return chain


def _link(
    compiled: Compiled,
    by_id: dict[str, ScheduledTask],
    index: dict[str, int],
    task: ScheduledTask,
) -> tuple[Link, ScheduledTask | None]:
    """The link of `task`, and the predecessor the chain goes on with (if any)."""
    if task.id not in index or task.id in compiled.split.under_way:
        return Link(task, FIXED, task.start), None
    calendar = compiled.calendar
    start = calendar.index_on_or_after(task.start)
    release = compiled.problem.tasks[index[task.id]].release or 0
    binding, bound, lag = None, -1, ""
    for pred_id in compiled.graph.predecessors(task.id):
        pred = by_id.get(pred_id)
        if pred is None:
            continue
        data = compiled.graph.edges[pred_id, task.id]
        if data["unit"] == "wd":
            first = calendar.index_on_or_before(pred.end) + 1 + data["lag"]
        else:
            first = calendar.index_on_or_after(pred.end + timedelta(days=data["lag"] + 1))
        if first > bound or (first == bound and binding and pred.end > binding.end):
            binding, bound = pred, first
            lag = f"{data['lag']}{data['unit']}" if data["lag"] else ""
    could = max(release, bound, 0)
    could_start = calendar.day(min(could, len(calendar) - 1))
    if start > could:
        if binding is not None and bound >= release and _late_from(compiled, task, could):
            return Link(task, AFTER_PEOPLE, could_start, lag), binding
        return Link(task, PEOPLE, could_start), None
    if binding is None or release > bound:
        earliest = compiled.graph.nodes[task.id]["earliest"]
        own = earliest is not None and calendar.index_on_or_after(earliest) == release
        return Link(task, DATE if own else TODAY, could_start), None
    return Link(task, AFTER, could_start, lag), binding


def _late_from(compiled: Compiled, task: ScheduledTask, first: int) -> bool:
    """Whether `task` started on working day `first` would end after its due."""
    if task.due is None:
        return False
    calendar = compiled.calendar
    return calendar.day(min(first + task.working_days - 1, len(calendar) - 1)) > task.due
