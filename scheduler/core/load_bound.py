"""A lower bound of the least total lateness from the work each group of resources must do.

Where the date bound (`bounds.date_bound`) sees every task alone, this bound sees that a
few people cannot do much work at once: the backlog of an overloaded team grows over the
year, and every task in it is late.

Take a set S of tasks that only the resources R can do (the other tasks left out: they
could only take capacity away), each with its earliest start and end from releases and
precedences (`bounds.earliest_ends`) and its due period D (the last period on or before its
due date). For a period t and a period a, let Q be the tasks of S that start no earlier
than a and are due before t. All their work (duration x demand) is done from a on, and R
offers at most capacity(a, t) units in the periods a .. t-1 (leave excluded), so at the
start of t at least X = work(Q) - capacity(a, t) units of Q are still to do. Each task
holds at most its own work, so at least m tasks of Q are unfinished then, m the fewest of
Q's largest works that add up to X; and every one of them is past its due. The tasks
unfinished and past due at t, counted over t, are the late periods of all tasks:

    sum over tasks of (last period - D)+  =  sum over t of #{tasks: D < t, unfinished at t}

so the sum over t of the largest such m (over the periods a tried), or of the number of
tasks whose earliest end alone is after t, whichever is larger, bounds S's lateness in
working days; weighting each t by its calendar days (and counting from D + 2, since the
first late period is worth at least one day) bounds it in calendar days. The relaxation
lets a task be split across R's resources and paused, so it is sound for every schedule.

Disjoint task sets add up (in any schedule, each set's tasks form a schedule of its own
relaxation), so the tasks are split by their exact set of alternatives, and again by the
groups of resources that tasks link; the better split is kept, each set at least its date
bound. The work is one sweep over the periods per set and period a tried: fast at any size.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

from scheduler.core.bounds import date_bound, earliest_ends
from scheduler.core.problem import Problem
from scheduler.core.relaxation import resource_groups

MAX_ORIGINS = 24  # periods a tried per set (spread over its earliest starts)


def load_bound(problem: Problem) -> int:
    """A lower bound of the least total lateness of `problem` from each resource group's
    capacity over time (see the module docstring); never below the date bound."""
    ends = earliest_ends(problem)
    dates, own = date_bound(problem, ends)
    exact, groups, _, linked = task_sets(problem)
    by_exact = sum(_set_bound(problem, list(r), m, ends, own) for r, m in exact.items())
    by_group = sum(_set_bound(problem, groups[k], m, ends, own) for k, m in linked.items())
    in_sets = {i for members in exact.values() for i in members}
    rest = sum(late for i, late in enumerate(own) if i not in in_sets)
    return max(dates, rest + max(by_exact, by_group))


def task_sets(
    problem: Problem,
) -> tuple[dict[tuple[int, ...], list[int]], list, dict[int, int], dict[int, list[int]]]:
    """The tasks with a due date that only a set of resources can do, by that set; the
    resource groups, each resource's group, and the tasks of each group."""
    exact: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for i, task in enumerate(problem.tasks):
        if task.due is not None and task.resources and not task.uses:
            exact[_alternatives(task)].append(i)
    groups = resource_groups(problem)
    group_of = {r: k for k, group in enumerate(groups) for r in group}
    linked: dict[int, list[int]] = defaultdict(list)
    for alternatives, members in exact.items():
        linked[group_of[alternatives[0]]].extend(members)
    return exact, groups, group_of, linked


def _alternatives(task) -> tuple[int, ...]:
    """The resources a task may run on."""
    if task.fixed_resource is not None:
        return (task.fixed_resource,)
    return tuple(sorted(set(task.resources)))


def _set_bound(
    problem: Problem, resources: list[int], members: list[int], ends: list[int], own: list[int]
) -> int:
    """The lateness bound of the tasks `members`, which only `resources` can do."""
    horizon = problem.horizon
    capacity = _cumulative_capacity(problem, resources)
    tasks = problem.tasks
    start = {i: ends[i] - tasks[i].duration for i in members}
    work = {i: tasks[i].duration * tasks[i].demand for i in members}
    due = {i: max(-1, problem.last_period_at(tasks[i].due)) for i in members}
    origins = _origins(sorted({start[i] for i in members}))
    by_due: dict[int, list[int]] = defaultdict(list)
    for i in members:
        by_due[min(due[i] + 1, horizon)].append(i)  # in Q from period due + 1 on
    surely = [0] * (horizon + 2)  # tasks past due whose earliest end alone is after t
    surely_day = [0] * (horizon + 2)  # the same, from due + 2 on
    for i in members:
        for first, counts in ((due[i] + 1, surely), (due[i] + 2, surely_day)):
            last = min(ends[i] - 1, horizon - 1)
            if first <= last:
                counts[max(first, 0)] += 1
                counts[last + 1] -= 1
    surely = list(itertools.accumulate(surely))
    surely_day = list(itertools.accumulate(surely_day))

    held = [0] * len(origins)  # work of Q for each origin a
    sizes: list[Counter[int]] = [Counter() for _ in origins]
    last_entry = max(by_due, default=-1)
    periods = days = 0
    for t in range(horizon):
        # Q(a, t-1) with the capacity up to t: tasks due before t - 1, still open at t
        late_day = _most_unfinished(held, origins, capacity, t, sizes)
        for i in by_due.get(t, ()):
            for k, a in enumerate(origins):
                if start[i] >= a:
                    held[k] += work[i]
                    sizes[k][work[i]] += 1
        late = _most_unfinished(held, origins, capacity, t, sizes)
        step = problem.time(t) - problem.time(t - 1)
        if t > last_entry and late == 0:
            # nothing joins Q any more and the capacity only grows: no backlog from here on
            periods += sum(surely[t:horizon])
            days += sum(
                (problem.time(u) - problem.time(u - 1)) * surely_day[u] for u in range(t, horizon)
            )
            break
        periods += max(late, surely[t])
        days += step * max(late_day, surely_day[t])
    return max(periods, days, sum(own[i] for i in members))


def _most_unfinished(
    held: list[int], origins: list[int], capacity: list[int], t: int, sizes: list[Counter[int]]
) -> int:
    """The largest number of tasks of Q still open at the start of t, over the origins."""
    most = 0
    for k, a in enumerate(origins):
        if held[k] > 0:
            most = max(most, _unfinished(held[k], capacity_between(capacity, a, t), sizes[k]))
    return most


def _origins(starts: list[int]) -> list[int]:
    """At most MAX_ORIGINS of the earliest starts, spread evenly, the least one first."""
    if len(starts) <= MAX_ORIGINS:
        return starts
    step = len(starts) / MAX_ORIGINS
    return sorted({starts[int(k * step)] for k in range(MAX_ORIGINS)})


def _cumulative_capacity(problem: Problem, resources: list[int]) -> list[int]:
    """capacity[t]: the units the resources offer in the periods 0 .. t-1 (leave excluded)."""
    per_period = [0] * problem.horizon
    for r in resources:
        resource = problem.resources[r]
        available = [resource.capacity] * problem.horizon
        for a, b in resource.unavailable:
            for t in range(max(0, a), min(b, problem.horizon)):
                available[t] = 0
        per_period = [x + y for x, y in zip(per_period, available, strict=True)]
    return [0, *itertools.accumulate(per_period)]


def capacity_between(capacity: list[int], a: int, t: int) -> int:
    """The units offered in the periods a .. t-1 (none when t <= a)."""
    if t <= a:
        return 0
    return capacity[min(t, len(capacity) - 1)] - capacity[max(a, 0)]


def _unfinished(held: int, offered: int, sizes: Counter[int]) -> int:
    """The fewest tasks that can hold `held - offered` units of work still to do, with
    `sizes` counting the tasks by their work."""
    left = held - offered
    if left <= 0:
        return 0
    count = 0
    for size in sorted(sizes, reverse=True):
        n = sizes[size]
        if size * n >= left:
            return count - (-left // size)
        left -= size * n
        count += n
    return count
