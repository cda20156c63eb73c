"""A serial schedule-generation heuristic: a quick first schedule to start CP-SAT from.

Tasks are placed one at a time, the most urgent eligible one first (urgency: the latest
start that still meets its own due and its successors' dues), each at the earliest start
where one of its resources has the capacity for its whole duration. The result obeys the
precedences, releases and resource limits; deadlines and due dates may be missed (CP-SAT
repairs that), so it is only a hint.
"""

from __future__ import annotations

import heapq

from scheduler.core.problem import Problem, Scale


def urgency(problem: Problem) -> list[int]:
    """Each task's latest start that meets every due date and deadline after it."""
    order = _topological_order(problem)
    latest = []
    for task in problem.tasks:
        bound = problem.horizon
        if task.due is not None:
            bound = min(bound, problem.last_period_at(task.due) + 1)
        if task.deadline is not None:
            bound = min(bound, task.deadline)
        latest.append(bound - task.duration)
    successors: list[list] = [[] for _ in problem.tasks]
    for p in problem.precedences:
        successors[p.pred].append(p)
    for i in reversed(order):
        for p in successors[i]:
            delay = p.delay if p.scale is Scale.PERIODS else 0
            latest[i] = min(latest[i], latest[p.succ] - delay - problem.tasks[i].duration)
    return latest


def serial_schedule(problem: Problem) -> tuple[list[int], list[int]] | None:
    """Starts and resources of a schedule built greedily; None if a task finds no room."""
    tasks = problem.tasks
    usage = [[0] * problem.horizon for _ in problem.resources]
    for r, resource in enumerate(problem.resources):
        for start, end in resource.unavailable:
            for period in range(max(start, 0), min(end, problem.horizon)):
                usage[r][period] = resource.capacity
    preds: list[list] = [[] for _ in tasks]
    succs: list[list] = [[] for _ in tasks]
    for p in problem.precedences:
        preds[p.succ].append(p)
        succs[p.pred].append(p)
    waiting = [len(preds[i]) for i in range(len(tasks))]
    priority = urgency(problem)
    ready = [(priority[i], i) for i in range(len(tasks)) if waiting[i] == 0]
    heapq.heapify(ready)
    starts = [-1] * len(tasks)
    chosen = [-1] * len(tasks)
    while ready:
        _, i = heapq.heappop(ready)
        placed = _place(problem, i, _earliest(problem, i, preds[i], starts), usage)
        if placed is None:
            return None
        starts[i], chosen[i] = placed
        for p in succs[i]:
            waiting[p.succ] -= 1
            if waiting[p.succ] == 0:
                heapq.heappush(ready, (priority[p.succ], p.succ))
    if min(starts, default=0) < 0:
        return None
    return starts, chosen


def _earliest(problem: Problem, i: int, preds: list, starts: list[int]) -> int:
    task = problem.tasks[i]
    earliest = task.release if task.fixed_start is None else task.fixed_start
    for p in preds:
        pred_end = starts[p.pred] + problem.tasks[p.pred].duration
        if p.scale is Scale.PERIODS:
            earliest = max(earliest, pred_end + p.delay)
        else:
            label = problem.time(pred_end - 1) + p.delay
            earliest = max(earliest, problem.first_period_at(label))
    return earliest


def _place(problem: Problem, i: int, earliest: int, usage: list[list[int]]):
    """The earliest (start, resource) with room for the whole task, filling `usage`.

    Between resources that can start equally early, the least used so far wins.
    """
    task = problem.tasks[i]
    allowed = (task.fixed_resource,) if task.fixed_resource is not None else task.resources
    best = None
    for r in sorted(allowed, key=lambda r: sum(usage[r]) / problem.resources[r].capacity):
        capacity = problem.resources[r].capacity
        start = earliest
        while start + task.duration <= problem.horizon:
            clash = next(
                (
                    q
                    for q in range(start, start + task.duration)
                    if usage[r][q] + task.demand > capacity
                ),
                None,
            )
            if clash is None:
                break
            start = clash + 1
        else:
            continue
        if best is None or start < best[0]:
            best = (start, r)
    if best is None:
        return None
    start, r = best
    for q in range(start, start + task.duration):
        usage[r][q] += task.demand
    return best


def _topological_order(problem: Problem) -> list[int]:
    indegree = [0] * len(problem.tasks)
    succs: list[list[int]] = [[] for _ in problem.tasks]
    for p in problem.precedences:
        indegree[p.succ] += 1
        succs[p.pred].append(p.succ)
    order = [i for i, d in enumerate(indegree) if d == 0]
    for i in order:
        for j in succs[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                order.append(j)
    return order
