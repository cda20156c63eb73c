"""Why tasks are late, in the plan's words, read from the solved schedule.

For each late task its critical chain (`chains.critical_chain`): the predecessors it waited
for, with their end dates and the holidays between, down to what held the first of them:
its own earliest date, or the people who could do it and what occupied them then (their
tasks by name, their leave, holidays). A person with nothing in that window is never named.
An activity whose preparation ends after its live window is over is a finding of its own.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from scheduler.phrases import lag_text, phrasebook, subject
from scheduler.planning.adapter import Compiled
from scheduler.planning.chains import (
    AFTER,
    AFTER_PEOPLE,
    DATE,
    FIXED,
    PEOPLE,
    TODAY,
    Link,
    critical_chain,
)
from scheduler.schedule import ActivityWindow, ExplanationItem, Schedule, ScheduledTask

SHOWN_TASKS = 3  # tasks named per busy person; more are counted


def explain_lateness(compiled: Compiled, schedule: Schedule) -> list[ExplanationItem]:
    """The activities that cannot be prepared before their live window ends, then one item
    per late task: the chain of dates and people that makes it late. In the plan's
    language (scheduler/phrases.py)."""
    if not schedule.late_tasks:
        return []
    say = phrasebook(compiled.plan.language)
    items = [
        ExplanationItem(f"unprepared[{activity.id}]", _unprepared(say, activity, ready))
        for activity, ready in unprepared_activities(schedule)
    ]
    for task in schedule.late_tasks:
        text = say("late", task=label(task), end=task.end, days=task.late_days, due=task.due)
        if task.id in compiled.split.finished:
            text += say("finished")
        else:
            chain = critical_chain(compiled, schedule, task.id)
            text += say("reason") + _chain_text(compiled, schedule, chain)
        items.append(ExplanationItem(f"late[{task.id}]", text))
    return items


def unprepared_activities(schedule: Schedule) -> list[tuple[ActivityWindow, date]]:
    """Each activity whose preparation (its tasks due by its first live day) ends after its
    live window is over, with the day that preparation ends."""
    starts = {a.id: a.start for a in schedule.activities}
    ready: dict[str, date] = {}
    for task in schedule.tasks:
        if task.due is not None and task.due <= starts.get(task.activity, date.min):
            ready[task.activity] = max(ready.get(task.activity, task.end), task.end)
    return [(a, ready[a.id]) for a in schedule.activities if a.id in ready and ready[a.id] > a.end]


def label(task: ScheduledTask) -> str:
    """A task as messages name it: its name, then its id."""
    return f"{task.name} ({task.id})" if task.name and task.name != task.id else task.id


def span(first: date, last: date) -> str:
    """Two dates as a range, one date when they are the same day."""
    return str(first) if first == last else f"{first}..{last}"


def _unprepared(say, activity: ActivityWindow, ready: date) -> str:
    name = f"{activity.name} ({activity.id})" if activity.name else activity.id
    return say("unprepared", activity=name, ready=ready, window=span(activity.start, activity.end))


def _chain_text(compiled: Compiled, schedule: Schedule, chain: list[Link]) -> str:
    """The chain in words: what each task waited for, down to what held the first one."""
    language = compiled.plan.language
    say = phrasebook(language)
    parts = []
    for link, before in pairwise(chain):
        lag = say("waits_lag", lag=lag_text(link.lag, language)) if link.lag else ""
        gap = _holidays(compiled, before.task.end, link.task.start)
        who = say("it") if not parts else subject(_short(link.task), language)
        waits = {"who": who, "before": label(before.task), "lag": lag, "end": before.task.end}
        if link.held_by == AFTER_PEOPLE:
            taken = _taken(compiled, schedule, link)
            parts.append(say("waits_then_taken", **waits, gap=gap, date=link.could_start,
                             taken=taken))  # fmt: skip
        else:
            parts.append(say("waits", **waits, gap=gap))
    root = chain[-1]
    who = say("it") if len(chain) == 1 else subject(label(root.task), language)
    if root.held_by == PEOPLE:
        taken = _taken(compiled, schedule, root)
        parts.append(say("could_start", who=who, date=root.could_start, taken=taken))
    elif root.held_by == DATE:
        free = len(chain) == 1 or _all_after(chain)
        parts.append(say("earliest_free" if free else "earliest", who=who, date=root.could_start))
    elif root.held_by == TODAY:
        parts.append(say("today", who=who, date=root.could_start))
    elif root.held_by == FIXED:
        parts.append(say("fixed", who=who, start=root.task.start))
    return say("clauses").join(parts)


def _all_after(chain: list[Link]) -> bool:
    return all(link.held_by == AFTER for link in chain[:-1])


def _short(task: ScheduledTask) -> str:
    return task.name or task.id


def _taken(compiled: Compiled, schedule: Schedule, link: Link) -> str:
    """What occupied the people who could do the task between the day it could have started
    and the day it did: leave, other tasks and holidays. Free people are not named."""
    say = phrasebook(compiled.plan.language)
    task = link.task
    first = link.could_start
    last = compiled.calendar.day(
        max(compiled.calendar.index(task.start) + task.working_days - 2, 0)
    )
    last = min(last, task.end)
    index = compiled.task_ids.index(task.id)
    reasons = []
    for r in compiled.problem.tasks[index].resources:
        person = compiled.plan.staff[r]
        leave = [
            span(lv.start, lv.end) for lv in person.leave if lv.start <= last and lv.end >= first
        ]
        work = [
            t
            for t in schedule.tasks
            if t.assignee == person.id and t.id != task.id and t.start <= last and t.end >= first
        ]
        parts = [say("on_leave", spans=say("list").join(leave))] if leave else []
        if work:
            named = say("tasks").join(
                say("busy_task", task=label(t), span=span(t.start, t.end))
                for t in work[:SHOWN_TASKS]
            )
            more = (
                say("more_tasks", count=len(work) - SHOWN_TASKS) if len(work) > SHOWN_TASKS else ""
            )
            parts.append(say("busy_with", tasks=named, more=more))
        if parts:
            who = f"{person.name} ({person.id})"
            reasons.append(say("person_taken", person=who, what=say("and").join(parts)))
    days_off = _holidays(compiled, first, last, inclusive=True)
    if not reasons:
        proven = schedule.status == "optimal"
        return say("nobody_taken", span=span(first, last), days_off=days_off) + say(
            "earlier_is_later" if proven else "not_proven"
        )
    return say("clauses").join(reasons) + days_off


def _holidays(compiled: Compiled, after: date, before: date, inclusive: bool = False) -> str:
    """The holidays and closed days between two dates, as a clause (empty when none)."""
    if inclusive:
        first, last = after, before
    else:
        first = date.fromordinal(after.toordinal() + 1)
        last = date.fromordinal(before.toordinal() - 1)
    if first > last:
        return ""
    language = compiled.plan.language
    breaks = compiled.calendar.named_days_off(first, last, language)
    if not breaks:
        return ""
    say = phrasebook(language)
    named = say("list").join(say("day_off", span=span(a, b), name=name) for a, b, name in breaks)
    return say("days_off_one" if len(breaks) == 1 else "days_off_many", breaks=named)
