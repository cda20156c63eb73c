"""A first schedule of short makespan: serial schedule generation with justification.

The serial schedule-generation scheme places tasks one at a time, the eligible one (all of
its predecessors placed) of best priority first, each at the earliest period from which
every resource it needs (its `uses`, and the first of its alternative resources with room)
has the capacity for its whole duration. Several classical priority rules are tried (latest
finish, latest start, most successors, greatest rank positional weight); each schedule is
then improved by double justification (Valls et al. 2005): shift every task right as far as
the makespan allows, latest first, then left again, earliest first, which never lengthens
the schedule and often shortens it. The best schedule found is returned: a hint and an upper
bound for the CP-SAT makespan model. Deadlines and fixed starts are not looked at here; the
caller checks the schedule (`check.violations`) before trusting it.
"""

from __future__ import annotations

from scheduler.core.problem import Precedence, Problem, Scale
from scheduler.core.windows import earliest_starts, follow, latest_starts, topological_order

JUSTIFY_ROUNDS = 4  # double-justification passes per priority rule, at most


def shortest_schedule(problem: Problem) -> tuple[list[int], list[int]] | None:
    """Starts and resources (-1: none) of the shortest schedule the rules find; None when
    some task finds no room within the horizon."""
    best: tuple[int, list[int], list[int]] | None = None
    for priority in _priorities(problem):
        placed = _serial(problem, priority, forward=True)
        if placed is None:
            continue
        starts, chosen = placed
        for _ in range(JUSTIFY_ROUNDS):
            improved = _justify(problem, starts, chosen)
            if improved is None or _makespan(problem, improved) >= _makespan(problem, starts):
                break
            starts = improved
        length = _makespan(problem, starts)
        if best is None or length < best[0]:
            best = (length, starts, chosen)
    return None if best is None else (best[1], best[2])


def _makespan(problem: Problem, starts: list[int]) -> int:
    return max((s + t.duration for s, t in zip(starts, problem.tasks, strict=True)), default=0)


def _priorities(problem: Problem) -> list[list[tuple[int, int]]]:
    """Priority keys per task (smaller first) of the rules tried, in a fixed order."""
    est = earliest_starts(problem)
    lst = latest_starts(problem)
    tasks = problem.tasks
    succs: list[list[int]] = [[] for _ in tasks]
    for p in problem.precedences:
        succs[p.pred].append(p.succ)
    below: list[set[int]] = [set() for _ in tasks]  # all transitive successors
    for i in reversed(topological_order(problem)):
        for j in succs[i]:
            below[i].add(j)
            below[i] |= below[j]
    lft = [lst[i] + t.duration for i, t in enumerate(tasks)]
    return [
        [(lft[i], est[i]) for i in range(len(tasks))],
        [(lst[i], est[i]) for i in range(len(tasks))],
        [(-len(below[i]), lft[i]) for i in range(len(tasks))],
        [
            (-(t.duration + sum(tasks[j].duration for j in succs[i])), lft[i])
            for i, t in enumerate(tasks)
        ],
    ]


class _Profile:
    """Units in use of every resource in every period."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.usage = [[0] * problem.horizon for _ in problem.resources]
        for r, resource in enumerate(problem.resources):
            for start, end in resource.unavailable:
                for period in range(max(start, 0), min(end, problem.horizon)):
                    self.usage[r][period] = resource.capacity

    def clash(
        self, needs: list[tuple[int, int]], start: int, duration: int, last: bool = True
    ) -> int | None:
        """None when `needs` fit from `start`, else the last (or first) clashing period."""
        found = None
        for r, units in needs:
            row, room = self.usage[r], self.problem.resources[r].capacity - units
            for period in range(start, start + duration):
                if row[period] > room and (
                    found is None or (period > found if last else period < found)
                ):
                    found = period
        return found

    def take(self, needs: list[tuple[int, int]], start: int, duration: int) -> None:
        """Book `needs` over [start, start + duration)."""
        for r, units in needs:
            for period in range(start, start + duration):
                self.usage[r][period] += units


def _needs(problem: Problem, i: int, r: int) -> list[tuple[int, int]]:
    task = problem.tasks[i]
    return [*(((r, task.demand),) if r >= 0 else ()), *task.uses]


def _serial(
    problem: Problem,
    priority: list[tuple[int, int]],
    forward: bool,
    chosen: list[int] | None = None,
    bound: int | None = None,
) -> tuple[list[int], list[int]] | None:
    """One serial pass. Forward: each task at its earliest feasible start. Backward
    (`bound`: the makespan): each at its latest feasible end, successors first."""
    tasks, horizon = problem.tasks, problem.horizon
    before: list[list[Precedence]] = [[] for _ in tasks]  # constraints placed ones impose
    for p in problem.precedences:
        before[p.succ if forward else p.pred].append(p)
    waiting = [len(b) for b in before]
    after: list[list[int]] = [[] for _ in tasks]
    for p in problem.precedences:
        after[p.pred if forward else p.succ].append(p.succ if forward else p.pred)
    profile = _Profile(problem)
    starts, picked = [-1] * len(tasks), [-1] * len(tasks)
    ready = {i for i in range(len(tasks)) if waiting[i] == 0}
    while ready:
        i = min(ready, key=lambda k: (priority[k], k))
        ready.discard(i)
        task = tasks[i]
        options = (
            [chosen[i]]
            if chosen is not None
            else (
                list(
                    task.fixed_resource if task.fixed_resource is not None else r
                    for r in task.resources
                )
                or [-1]
            )
        )
        best = None
        for r in dict.fromkeys(options):
            needs = _needs(problem, i, r)
            if forward:
                start = max(
                    [task.release or 0] + [follow(problem, p, starts[p.pred]) for p in before[i]]
                )
                while start + task.duration <= horizon:
                    clash = profile.clash(needs, start, task.duration)
                    if clash is None:
                        break
                    start = clash + 1
                else:
                    continue
                if best is None or start < best[0]:
                    best = (start, r, needs)
            else:
                assert bound is not None
                start = min(
                    [bound - task.duration]
                    + [starts[p.succ] - p.delay - task.duration for p in before[i]]
                )
                while start >= 0:
                    clash = profile.clash(needs, start, task.duration, last=False)
                    if clash is None:
                        break
                    start = clash - task.duration
                else:
                    continue
                if best is None or start > best[0]:
                    best = (start, r, needs)
        if best is None:
            return None
        starts[i], picked[i] = best[0], best[1]
        profile.take(best[2], best[0], task.duration)
        for j in after[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                ready.add(j)
    if min(starts, default=0) < 0:
        return None
    return starts, picked


def _justify(problem: Problem, starts: list[int], chosen: list[int]) -> list[int] | None:
    """Double justification of a schedule: right then left; None when a pass fails."""
    if any(p.scale is not Scale.PERIODS for p in problem.precedences):
        return None  # the right shift counts delays in periods only
    length = _makespan(problem, starts)
    ends = [-(s + t.duration) for s, t in zip(starts, problem.tasks, strict=True)]
    right = _serial(problem, [(e, 0) for e in ends], False, chosen, length)
    if right is None:
        return None
    left = _serial(problem, [(s, 0) for s in right[0]], True, chosen)
    return None if left is None else left[0]
