"""Cheap lower bounds of the least total lateness, from the problem's data alone.

No task can end before its *earliest end*: its release, its predecessors' earliest ends
plus their delays, and, where it is exact, the resources it needs: a task runs on
consecutive periods of one of its alternatives (and all of its `uses`), so it cannot start
in a stretch too short between unavailable ranges of every resource that could take it (a
task whose every eligible person is on leave waits for the first one back). Other tasks
are left out (they could only delay it further). Each task is then at least as late as its
earliest end is past its due, in every schedule: the sum is a lower bound of the least
total lateness, computed in linear time before any search.
"""

from __future__ import annotations

import bisect

from scheduler.core.problem import Problem, Resource
from scheduler.core.windows import follow, topological_order, topological_precedences


def earliest_ends(problem: Problem) -> list[int]:
    """Each task's earliest end (exclusive period) in any schedule, from releases,
    precedences and the unavailable ranges of every resource that could do it."""
    tasks = problem.tasks
    blocked = [_Blocked(r) for r in problem.resources]
    est = [_own_release(t) for t in tasks]
    incoming: list[list] = [[] for _ in tasks]
    for p in topological_precedences(problem):
        incoming[p.succ].append(p)
    ect = [0] * len(tasks)
    for i in topological_order(problem):
        task = tasks[i]
        for p in incoming[i]:
            est[i] = max(est[i], follow(problem, p, ect[p.pred] - tasks[p.pred].duration))
        if task.fixed_start is None:
            est[i] = _first_free_start(problem, blocked, i, est[i])
        ect[i] = est[i] + task.duration
    return ect


def date_bound(problem: Problem, ends: list[int] | None = None) -> tuple[int, list[int]]:
    """The lower bound of total lateness from earliest ends (see the module docstring), and
    each task's own least lateness (`ends`: `earliest_ends(problem)`, when known already)."""
    ect = earliest_ends(problem) if ends is None else ends
    late = [
        0 if task.due is None else max(0, problem.time(end - 1) - task.due)
        for task, end in zip(problem.tasks, ect, strict=True)
    ]
    return sum(late), late


def _own_release(task) -> int:
    if task.fixed_start is not None:
        return task.fixed_start
    return task.release or 0


class _Blocked:
    """A resource's unavailable ranges, sorted, for finding free stretches."""

    def __init__(self, resource: Resource):
        self.ranges = sorted(resource.unavailable)
        self.starts = [a for a, _ in self.ranges]

    def first_fit(self, start: int, duration: int) -> int:
        """The first start >= `start` whose `duration` periods avoid every range."""
        k = max(0, bisect.bisect_right(self.starts, start) - 1)
        while k < len(self.ranges):
            a, b = self.ranges[k]
            if b <= start:
                k += 1
                continue
            if a >= start + duration:
                return start
            start = b
            k += 1
        return start


def _first_free_start(problem: Problem, blocked: list[_Blocked], i: int, start: int) -> int:
    """The first start >= `start` at which one alternative and all `uses` of task i are
    available for its whole duration (`start` itself when nothing fits in the horizon).

    Every valid start t >= s has each use free from t, so t >= each use's first fit from s,
    and one alternative free from t, so t >= the least of their first fits from there:
    jumping to that point skips no valid start."""
    task = problem.tasks[i]
    allowed = (task.fixed_resource,) if task.fixed_resource is not None else task.resources
    used = [r for r, _ in task.uses]
    current = start
    while current + task.duration <= problem.horizon:
        ahead = max([current, *(blocked[r].first_fit(current, task.duration) for r in used)])
        if allowed:
            ahead = min(blocked[r].first_fit(ahead, task.duration) for r in allowed)
        if ahead == current:
            return current
        current = ahead
    return start
