"""Why a task is late, in the plan's words: its own dates, or the people who could do it."""

from __future__ import annotations

from datetime import date

from scheduler.core.windows import earliest_starts
from scheduler.planning.adapter import Compiled
from scheduler.schedule import ExplanationItem, Schedule, ScheduledTask


def explain_lateness(compiled: Compiled, schedule: Schedule) -> list[ExplanationItem]:
    """One item per late task: the chain of dates that makes it late, or who is busy."""
    if not schedule.late_tasks:
        return []
    est = earliest_starts(compiled.problem)
    by_id = {t.id: t for t in schedule.tasks}
    items = []
    for task in schedule.late_tasks:
        if task.id in compiled.split.finished:
            items.append(
                ExplanationItem(
                    f"late[{task.id}]",
                    f"{task.id} ended {task.end}, {task.late_days} day(s) after its due "
                    f"{task.due}, before the re-planning day: it is done as it was",
                )
            )
            continue
        i = compiled.task_ids.index(task.id)
        node = compiled.graph.nodes[task.id]
        first_possible_end = compiled.calendar.day(est[i] + node["duration"] - 1)
        if first_possible_end > task.due:
            text = (
                f"{task.id} ends {task.end}, {task.late_days} day(s) after its due {task.due}: "
                f"even with everybody free it cannot end before {first_possible_end} "
                f"({_binding_reason(compiled, task.id, est)})"
            )
        else:
            text = (
                f"{task.id} ends {task.end}, {task.late_days} day(s) after its due {task.due}: "
                f"it could end by {first_possible_end}, but "
                + "; ".join(_busy(compiled, task, by_id, compiled.calendar.day(est[i])))
            )
        items.append(ExplanationItem(f"late[{task.id}]", text))
    return items


def _binding_reason(compiled: Compiled, task_id: str, est: list[int]) -> str:
    """What sets the task's earliest start: its own earliest date or a predecessor."""
    i = compiled.task_ids.index(task_id)
    start = compiled.calendar.day(est[i])
    for pred in compiled.graph.predecessors(task_id):
        if pred in compiled.split.finished:
            pred_end = compiled.split.finished[pred].end
        elif pred in compiled.split.under_way:
            continue  # a task under way fixes no successor's earliest start by itself
        else:
            j = compiled.task_ids.index(pred)
            pred_end = compiled.calendar.day(est[j] + compiled.problem.tasks[j].duration - 1)
        data = compiled.graph.edges[pred, task_id]
        lag = f" + {data['lag']}{data['unit']}" if data["lag"] else ""
        follows = compiled.calendar.workday(pred_end, 1) if not data["lag"] else None
        if follows is None or follows == start:
            return f"it starts {start} at the earliest, after {pred} (earliest end {pred_end}){lag}"
    earliest = compiled.graph.nodes[task_id]["earliest"]
    if earliest is None:  # held by the re-planning day: nothing new starts before it
        return f"it may not start before {start}, the re-planning day"
    return f"it may not start before its earliest date {earliest}"


def _busy(
    compiled: Compiled, task: ScheduledTask, by_id: dict[str, ScheduledTask], window_start: date
) -> list[str]:
    """For each person who could do the task: leave and other work from its earliest
    possible start to its due."""
    i = compiled.task_ids.index(task.id)
    reasons = []
    for r in compiled.problem.tasks[i].resources:
        person = compiled.plan.staff[r]
        leave = [
            f"on leave {lv.start}..{lv.end}"
            for lv in person.leave
            if lv.start <= task.due and lv.end >= window_start
        ]
        work = [
            t.id
            for t in by_id.values()
            if t.assignee == person.id
            and t.id != task.id
            and t.start <= task.due
            and t.end >= window_start
        ]
        parts = list(leave)
        if work:
            more = ", ..." if len(work) > 3 else ""
            parts.append(f"busy with {len(work)} other task(s) ({', '.join(work[:3])}{more})")
        who = f"{person.name} ({person.id})"
        what = "is " + " and ".join(parts) if parts else "has too little free time"
        reasons.append(f"{who} {what} between {window_start} and {task.due}")
    return reasons
