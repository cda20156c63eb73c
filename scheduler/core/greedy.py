"""A serial schedule-generation heuristic: a quick first schedule to start CP-SAT from.

Tasks are placed one at a time, the most urgent eligible one first (urgency: the latest
start that still meets its own due and its successors' dues), each at the earliest start
where one of its resources has the capacity for its whole duration (an unanchored task:
at the latest such start before its preferred one, see windows.preferred_starts).
Pinned tasks (a fixed start) go first, at their start. The result obeys the precedences,
releases, pins and resource limits; deadlines and due dates may be missed (CP-SAT repairs
that), so it is only a hint until `check.violations` finds it keeps every hard constraint.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from scheduler.core.problem import Problem
from scheduler.core.windows import follow, preferred_starts, urgency, with_predecessors


def serial_schedule(
    problem: Problem,
    first: frozenset[int] = frozenset(),
    urgencies: Mapping[int, int] | None = None,
) -> tuple[list[int], list[int]] | None:
    """Starts and resources of a schedule built greedily; None if a task finds no room.
    The tasks in `first` (with their predecessors among them) are placed before all others
    but the pinned ones; `urgencies` replaces the urgency of the tasks it names (a period:
    the lower, the sooner a ready task is placed)."""
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
    # Pinned tasks (work under way) first: their place is not for others to take.
    urgent = urgency(problem)
    for i, u in (urgencies or {}).items():
        urgent[i] = u
    priority = [
        (0 if t.fixed_start is not None else 1 if i in first else 2, u)
        for i, (t, u) in enumerate(zip(tasks, urgent, strict=True))
    ]
    preferred = preferred_starts(problem)
    ready = [(priority[i], i) for i in range(len(tasks)) if waiting[i] == 0]
    heapq.heapify(ready)
    starts = [-1] * len(tasks)
    chosen = [-1] * len(tasks)
    while ready:
        _, i = heapq.heappop(ready)
        earliest = _earliest(problem, i, preds[i], starts)
        placed = _place(problem, i, earliest, preferred[i], usage)
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
    earliest = task.fixed_start if task.fixed_start is not None else task.release or 0
    for p in preds:
        earliest = max(earliest, follow(problem, p, starts[p.pred]))
    return earliest


def _place(
    problem: Problem, i: int, earliest: int, preferred: int | None, usage: list[list[int]]
) -> tuple[int, int] | None:
    """The (start, resource) nearest the preferred start (else the earliest) with room for
    the whole task, filling `usage`. Between equally good resources the least used wins."""
    task = problem.tasks[i]
    allowed = (task.fixed_resource,) if task.fixed_resource is not None else task.resources
    best = None
    for r in sorted(allowed, key=lambda r: sum(usage[r]) / problem.resources[r].capacity):
        start = None
        if task.fixed_start is not None:  # pinned: there or nowhere
            fits = task.fixed_start + task.duration <= problem.horizon
            if fits and _fits(problem, i, r, task.fixed_start, usage) is None:
                best = best or (0, task.fixed_start, r)
            continue
        if preferred is not None and preferred >= earliest:
            start = _latest_fit(problem, i, r, earliest, preferred, usage)
        if start is None:
            start = _first_fit(problem, i, r, earliest, usage)
        if start is None:
            continue
        key = abs(start - preferred) if preferred is not None else start
        if best is None or key < best[0]:
            best = (key, start, r)
    if best is None:
        return None
    _, start, r = best
    for q in range(start, start + task.duration):
        usage[r][q] += task.demand
    return start, r


def _fits(problem: Problem, i: int, r: int, start: int, usage: list[list[int]]) -> int | None:
    """None when task i fits on resource r from `start`, else the first clashing period."""
    task = problem.tasks[i]
    capacity = problem.resources[r].capacity
    for q in range(start, start + task.duration):
        if usage[r][q] + task.demand > capacity:
            return q
    return None


def _first_fit(problem: Problem, i: int, r: int, earliest: int, usage) -> int | None:
    start = earliest
    while start + problem.tasks[i].duration <= problem.horizon:
        clash = _fits(problem, i, r, start, usage)
        if clash is None:
            return start
        start = clash + 1
    return None


def _latest_fit(problem: Problem, i: int, r: int, earliest: int, latest: int, usage) -> int | None:
    latest = min(latest, problem.horizon - problem.tasks[i].duration)
    for start in range(latest, earliest - 1, -1):
        if _fits(problem, i, r, start, usage) is None:
            return start
    return None


DEADLINE_ROUNDS = 8  # rounds of deadline_first_schedule, at most


def deadline_first_schedule(
    problem: Problem, urgencies: Mapping[int, int] | None = None
) -> tuple[list[int], list[int]] | None:
    """A serial schedule that keeps the deadlines the plain one misses, where placing their
    tasks first does: each round puts the tasks whose deadline a round missed, and every
    task before them, ahead of all others. None when no round keeps every deadline.
    `urgencies`: as for `serial_schedule`."""
    first: set[int] = set()
    for _ in range(DEADLINE_ROUNDS):
        found = serial_schedule(problem, frozenset(first), urgencies)
        if found is None:
            return None
        missed = [
            i
            for i, task in enumerate(problem.tasks)
            if task.deadline is not None and found[0][i] + task.duration > task.deadline
        ]
        if not missed:
            return found
        grown = first | with_predecessors(problem, missed)
        if grown == first:
            return None  # placed first already, and still late
        first = grown
    return None
