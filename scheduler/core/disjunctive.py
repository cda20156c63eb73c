"""Tasks that can never run at the same time, and the makespan bound they give.

Two tasks are *disjunctive* when together they would hold more than some resource's
capacity (through `Task.uses`) or when one must end before the other starts. A clique of
such tasks runs one task at a time, like one machine; the preemptive one-machine schedule
of its tasks, each released at its earliest start and followed by its tail (the work of
its longest chain of successors), bounds every schedule's makespan from below.
"""

from __future__ import annotations

import heapq
import itertools

import networkx as nx

from scheduler.core.problem import Precedence, Problem, Scale
from scheduler.core.windows import topological_precedences

CLIQUES = 2000  # maximal cliques looked at, in networkx's (deterministic) order


def tails(problem: Problem) -> list[int]:
    """Periods every schedule has after each task's end until the makespan: its longest
    chain of successors (precedences counted in periods; the others are left out, which
    keeps each value a lower bound)."""
    after = [0] * len(problem.tasks)
    for p in reversed(topological_precedences(problem)):
        if p.scale is Scale.PERIODS:
            chain = p.delay + problem.tasks[p.succ].duration + after[p.succ]
            after[p.pred] = max(after[p.pred], chain)
    return after


def disjunctive_cliques(problem: Problem, limit: int = CLIQUES) -> list[tuple[int, ...]]:
    """Up to `limit` maximal sets of two or more tasks holding `uses` resources of which
    no two can run at the same time, each sorted, largest first."""
    held = [i for i, task in enumerate(problem.tasks) if task.uses]
    graph = nx.Graph()
    graph.add_nodes_from(held)
    capacity = [resource.capacity for resource in problem.resources]
    units = {i: dict(problem.tasks[i].uses) for i in held}
    for a, i in enumerate(held):
        for j in held[a + 1 :]:
            if any(u + units[j].get(r, 0) > capacity[r] for r, u in units[i].items()):
                graph.add_edge(i, j)
    order = nx.DiGraph()
    order.add_edges_from((p.pred, p.succ) for p in problem.precedences if _apart(p))
    for i in held:
        if i in order:
            graph.add_edges_from((i, j) for j in nx.descendants(order, i) if j in units)
    found = (tuple(sorted(c)) for c in nx.find_cliques(graph) if len(c) >= 2)
    return sorted(itertools.islice(found, limit), key=lambda c: (-len(c), c))


def _apart(p: Precedence) -> bool:
    """Whether the precedence keeps its two tasks from sharing a period."""
    return p.delay >= (0 if p.scale is Scale.PERIODS else 1)


def one_machine_bound(jobs: list[tuple[int, int, int]]) -> int:
    """The least makespan of `(release, duration, tail)` jobs on one machine when a job may
    be interrupted (Jackson's preemptive schedule: always run the released job of longest
    tail), a lower bound of the makespan without interruptions."""
    jobs = sorted(jobs)
    ready: list[tuple[int, int]] = []  # (-tail, duration left)
    now = best = k = 0
    while k < len(jobs) or ready:
        if not ready:
            now = max(now, jobs[k][0])
        while k < len(jobs) and jobs[k][0] <= now:
            _, duration, tail = jobs[k]
            heapq.heappush(ready, (-tail, duration))
            k += 1
        negative_tail, left = heapq.heappop(ready)
        run = left if k == len(jobs) else min(left, jobs[k][0] - now)
        now += run
        if run < left:
            heapq.heappush(ready, (negative_tail, left - run))
        else:
            best = max(best, now - negative_tail)
    return best


def clique_bound(
    problem: Problem, est: list[int], cliques: list[tuple[int, ...]] | None = None
) -> int:
    """The largest one-machine bound over the disjunctive cliques (0 when there is none)."""
    cliques = disjunctive_cliques(problem) if cliques is None else cliques
    after = tails(problem)
    return max(
        (
            one_machine_bound([(est[i], problem.tasks[i].duration, after[i]) for i in clique])
            for clique in cliques
        ),
        default=0,
    )
