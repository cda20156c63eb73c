"""Relaxations of a `Problem` whose least lateness bounds the whole problem's from below.

Resources that share no task form independent *groups* (connected by the tasks that may run
on either). Keeping one group's resources as they are and giving every other task an
unlimited resource removes constraints only, so every schedule of the problem is one of the
relaxation: the relaxation's least lateness is a lower bound of the problem's. Where one
group is the bottleneck (a single designer before Double Eleven), that bound is the
problem's optimum or near it, and small enough to prove.
"""

from __future__ import annotations

import dataclasses
import itertools

from scheduler.core.problem import Problem, Resource


def resource_groups(problem: Problem) -> list[list[int]]:
    """Resource indices in groups no task links: each task's alternatives lie in one group."""
    parent = list(range(len(problem.resources)))

    def root(r: int) -> int:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    for task in problem.tasks:
        for a, b in itertools.pairwise(task.resources):
            parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for r in range(len(problem.resources)):
        groups.setdefault(root(r), []).append(r)
    return list(groups.values())


def only_group(problem: Problem, group: list[int]) -> Problem:
    """`problem` with only `group`'s resources limited: every other task runs on one
    resource of unlimited capacity, always available (previous versions and hints dropped:
    they do not bound lateness)."""
    index = {r: k for k, r in enumerate(group)}
    free = len(group)
    unlimited = Resource("unlimited", capacity=max(1, sum(t.demand for t in problem.tasks)))

    def mapped(r: int | None) -> int | None:
        return None if r is None else index.get(r, free)

    tasks = tuple(
        dataclasses.replace(
            task,
            resources=tuple(dict.fromkeys(mapped(r) for r in task.resources)),
            fixed_resource=mapped(task.fixed_resource),
            previous=None,
        )
        for task in problem.tasks
    )
    resources = (*(problem.resources[r] for r in group), unlimited)
    return dataclasses.replace(problem, tasks=tasks, resources=resources, hint={})
