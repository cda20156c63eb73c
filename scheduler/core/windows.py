"""Time windows of tasks from releases, deadlines, due dates and precedences (no resources).

A task is *anchored* when it has a release (or a fixed start) or follows an anchored task:
"as early as possible" means something for it. An unanchored task may start at any time
before its due date; its preferred start is the latest one that meets every due date after
it (just in time), or its own `target` when no due date bounds it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import TypeVar

from scheduler.core.problem import Precedence, Problem, Scale

T = TypeVar("T")
PROBLEMS_KEPT = 4  # problems whose `per_problem` values are kept (the whole and its parts)


def per_problem(fn: Callable[[Problem], T]) -> Callable[[Problem], T]:
    """`fn(problem)` kept for the last few problems asked (`PROBLEMS_KEPT`): a search asks
    for the same problem's again and again, between the parts it cuts from it. Problems
    are immutable, so the same object gives the same value."""
    kept: list[tuple] = [()]  # ((problem, value), ...), the last asked first

    @functools.wraps(fn)
    def cached(problem: Problem) -> T:
        last = kept[0]  # one read: another thread may replace it meanwhile
        for known, value in last:
            if known is problem:
                return value
        value = fn(problem)
        kept[0] = ((problem, value), *last[: PROBLEMS_KEPT - 1])
        return value

    return cached


@per_problem
def topological_precedences(problem: Problem) -> tuple[Precedence, ...]:
    """The precedences sorted so that every task's incoming ones come after its preds'."""
    order = {task: i for i, task in enumerate(topological_order(problem))}
    return tuple(sorted(problem.precedences, key=lambda p: (order[p.succ], order[p.pred])))


def topological_order(problem: Problem) -> list[int]:
    """Task indices, every predecessor before its successors (the precedences are acyclic)."""
    indegree = [0] * len(problem.tasks)
    successors: list[list[int]] = [[] for _ in problem.tasks]
    for p in problem.precedences:
        indegree[p.succ] += 1
        successors[p.pred].append(p.succ)
    order = [i for i, d in enumerate(indegree) if d == 0]
    for i in order:
        for j in successors[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                order.append(j)
    if len(order) != len(problem.tasks):
        raise ValueError("the precedences have a cycle")
    return order


def follow(problem: Problem, p: Precedence, pred_start: int) -> int:
    """The earliest start of p.succ when p.pred starts at `pred_start`."""
    pred = problem.tasks[p.pred]
    if p.scale is Scale.PERIODS:
        return pred_start + pred.duration + p.delay
    last_time = problem.time(pred_start + pred.duration - 1)
    return problem.first_period_at(last_time + p.delay)


def earliest_starts(problem: Problem) -> list[int]:
    """The earliest start of each task from releases and precedences."""
    est = [_own_release(t) or 0 for t in problem.tasks]
    for p in topological_precedences(problem):
        est[p.succ] = max(est[p.succ], follow(problem, p, est[p.pred]))
    return est


def latest_starts(problem: Problem, last_caps: dict[int, int] | None = None) -> list[int]:
    """The latest start of each task from deadlines, caps on last periods and precedences."""
    lst = []
    for i, task in enumerate(problem.tasks):
        end = problem.horizon if task.deadline is None else min(task.deadline, problem.horizon)
        if last_caps and i in last_caps:
            end = min(end, last_caps[i] + 1)
        latest = end - task.duration
        # a fixed start stays where it is; one that breaks its deadline empties the window
        lst.append(latest if task.fixed_start is None else min(task.fixed_start, latest))
    for p in reversed(topological_precedences(problem)):
        lst[p.pred] = min(lst[p.pred], latest_before(problem, p, lst[p.succ]))
    return lst


def urgency(problem: Problem) -> list[int]:
    """Each task's latest start that meets its due date, deadline and those after it
    (the end of the horizon for a task that none of them bounds)."""
    return [
        problem.horizon - task.duration if latest is None else latest
        for task, latest in zip(problem.tasks, _latest_for_dues(problem), strict=True)
    ]


def _latest_for_dues(problem: Problem) -> list[int | None]:
    """Each task's latest start that meets its due date, deadline and those after it;
    None when no due date or deadline bounds it."""
    latest: list[int | None] = []
    for task in problem.tasks:
        bounds = []
        if task.due is not None:
            bounds.append(problem.last_period_at(task.due) + 1)
        if task.deadline is not None:
            bounds.append(task.deadline)
        latest.append(min(bounds) - task.duration if bounds else None)
    for p in reversed(topological_precedences(problem)):
        after = latest[p.succ]
        if after is not None:
            before = latest_before(problem, p, after)
            latest[p.pred] = before if latest[p.pred] is None else min(latest[p.pred], before)
    return latest


def anchored(problem: Problem) -> list[bool]:
    """Whether each task has a release, or follows one that is anchored."""
    flags = [_own_release(t) is not None for t in problem.tasks]
    for p in topological_precedences(problem):
        flags[p.succ] = flags[p.succ] or flags[p.pred]
    return flags


def preferred_starts(problem: Problem) -> list[int | None]:
    """Where the tie-break pulls each task: None for anchored tasks (as early as possible),
    else just in time for the due dates after it, or its `target` when none bounds it."""
    flags = anchored(problem)
    latest = _latest_for_dues(problem)
    preferred: list[int | None] = []
    for i, task in enumerate(problem.tasks):
        last_start = problem.horizon - task.duration
        if flags[i]:
            preferred.append(None)
        elif latest[i] is not None:
            preferred.append(min(max(0, latest[i]), last_start))
        else:
            preferred.append(min(task.target or 0, last_start))
    return preferred


def early_floor(problem: Problem, est: list[int]) -> int:
    """A period before which no task needs to start: some best schedule (least lateness,
    least change, least delay) starts every task at or after it.

    Mirror of `late_caps`. Let Y be the earliest of the anchored tasks' earliest starts,
    the unanchored tasks' preferred starts and the previous starts. Only unanchored tasks
    start before Y, none of them late, and each can be pushed later, towards its preferred
    start, one at a time in the order of their ends, latest first, on the same resource:
    its old place stays free (everything pushed before it ended after it began), no
    successor or due date is broken, and no objective grows. Once no task can be pushed,
    every one starting before Y is held by a chain of successors, tasks on its resource
    (gaps shorter than the longest task) and unavailable ranges reaching Y, and that chain
    is no longer than the slack below.
    """
    tasks = problem.tasks
    if not tasks:
        return 0
    flags = anchored(problem)
    preferred = preferred_starts(problem)
    marks = [est[i] if flags[i] else preferred[i] for i in range(len(tasks))]
    marks += [t.previous[0] for t in tasks if t.previous and t.previous[0] is not None]
    ranges = sum(len(r.unavailable) for r in problem.resources)
    longest = max(t.duration for t in tasks)
    slack = (
        2 * sum(t.duration for t in tasks)
        + sum(max(0, p.delay) for p in problem.precedences)
        + sum(b - a for r in problem.resources for a, b in r.unavailable)
        + (2 * len(tasks) + ranges + 1) * (longest - 1)
        + 1
    )
    return max(0, min(marks) - slack)


def late_caps(problem: Problem, est: list[int], window: int | None) -> dict[int, int]:
    """The last period each task may end in under a late window (none without a window).

    A task with a due may end at most `window` periods after its due period (or after its
    earliest end). Tasks without a due fit, one after another, after all of those caps:
    some optimal schedule keeps every task inside these bounds when the optimum is at most
    `window` (see cpsat.py).
    """
    if window is None:
        return {}
    caps = {}
    for i, task in enumerate(problem.tasks):
        if task.due is not None:
            due_period = problem.last_period_at(task.due)
            caps[i] = max(due_period, est[i] + task.duration - 1) + window
    rest = [i for i, task in enumerate(problem.tasks) if task.due is None]
    if rest:
        end = max([*caps.values(), *(est[i] + problem.tasks[i].duration for i in rest)])
        end += sum(problem.tasks[i].duration for i in rest)
        end += sum(p.delay for p in problem.precedences if p.delay > 0)
        end += sum(b - a for r in problem.resources for a, b in r.unavailable)
        for i in rest:
            caps[i] = min(end, problem.horizon - 1)
    return caps


def _own_release(task) -> int | None:
    return task.fixed_start if task.fixed_start is not None else task.release


def latest_before(problem: Problem, p: Precedence, succ_start: int) -> int:
    """The latest start of p.pred that lets p.succ start at `succ_start`."""
    pred = problem.tasks[p.pred]
    if p.scale is Scale.PERIODS:
        return succ_start - p.delay - pred.duration
    latest_last = problem.last_period_at(problem.time(succ_start) - p.delay)
    return latest_last - pred.duration + 1


def with_predecessors(problem: Problem, tasks: list[int]) -> set[int]:
    """`tasks` and every task before them (through precedences)."""
    predecessors: dict[int, list[int]] = {}
    for p in problem.precedences:
        predecessors.setdefault(p.succ, []).append(p.pred)
    keep = set(tasks)
    todo = list(keep)
    while todo:
        for pred in predecessors.get(todo.pop(), []):
            if pred not in keep:
                keep.add(pred)
                todo.append(pred)
    return keep


def pinned_part(problem: Problem) -> Problem:
    """The tasks that a deadline or a fixed start pins, and all tasks before them.

    Only these can make a problem infeasible: every other task can wait until after them,
    so when the horizon is long enough for that, the whole problem has a schedule if and
    only if this part has (and when this part has none, the whole has none).
    """
    keep = with_predecessors(
        problem,
        [
            i
            for i, t in enumerate(problem.tasks)
            if t.deadline is not None or t.fixed_start is not None
        ],
    )
    order = sorted(keep)
    new_index = {old: new for new, old in enumerate(order)}
    return dataclasses.replace(
        problem,
        tasks=tuple(problem.tasks[i] for i in order),
        precedences=tuple(
            dataclasses.replace(p, pred=new_index[p.pred], succ=new_index[p.succ])
            for p in problem.precedences
            if p.succ in keep and p.pred in keep
        ),
        hint={},
    )


def near_part(problem: Problem, margin: int) -> Problem:
    """`problem` with every unanchored task released at most `margin` periods before its
    preferred start.

    A smaller search space around the due dates: each of its schedules is a schedule of
    the whole problem (it only adds releases), so it gives quick first schedules, but its
    optimum proves nothing about the whole.
    """
    preferred = preferred_starts(problem)
    tasks = tuple(
        task if at is None else dataclasses.replace(task, release=max(0, at - margin))
        for task, at in zip(problem.tasks, preferred, strict=True)
    )
    return dataclasses.replace(problem, tasks=tasks, hint={})
