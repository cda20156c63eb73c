"""A lower bound of the least total lateness from parts of the problem, each solved alone.

Leaving tasks out of a problem is a relaxation: in any schedule of the whole, the tasks of
a part P form a schedule of P alone, once each of them keeps its earliest start in the
whole (`bounds.earliest_ends`: releases, predecessors and leave) as its release. So the
least lateness of P alone, or any proven lower bound of it, bounds what P's tasks cost in
every schedule, and the bounds of disjoint parts add up.

The parts follow the problem's own structure: the chains that precedences link (a store's
activity and its steps) stay whole, and chains are grouped by the window of periods their
first due date falls in, so that the chains that compete for people at the same time are
solved together. Each part is solved by CP-SAT from the current schedule (restricted to it)
within a fixed deterministic effort, on one worker; the parts are independent, so they go
through the executor like the neighbourhoods of `lns.py`. A part that the first schedule
already gets as little late as its date bound costs nothing. Several window widths and
offsets are tried and the best sum kept: where lateness is local (a designer short before
Double Eleven), the parts are small enough to prove, and the sum is the optimum or near it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace

import networkx as nx

from scheduler.core.bounds import date_bound, earliest_ends
from scheduler.core.lns import SUB_EFFORT, Answer, Neighbourhood, solve_neighbourhood
from scheduler.core.problem import Precedence, Problem
from scheduler.core.result import Result
from scheduler.executors import IN_PROCESS, Executor, width_of

WIDTHS = (20, 60)  # periods per window (four and twelve working weeks), each at two offsets
MAX_PART = 400  # tasks in one part, at most: a larger one is left to its date bound


def window_bound(
    problem: Problem,
    start: Result,
    budget: float,
    clock,
    executor: Executor = IN_PROCESS,
    enough: int | None = None,
    only_proof: bool = False,
) -> int:
    """The largest sum, over the partitions tried, of each part's proven least lateness
    (see the module docstring), spending at most `budget` units of deterministic work on
    `clock` (cpsat's budget: `spent`, `time_limit`, `elapsed`); never below the date bound.
    The partitions are solved one after the other, and the rest left untried once one of
    them bounds the lateness by `enough` (the lateness of a known schedule: no bound can
    be higher). A partition is given up as soon as its parts left cannot lift it above
    the best sum so far. With `only_proof`, a cheap try at proving `enough` optimal, each
    part is only asked whether it can be less late than in `start`, and the try ends at
    the first partition that falls short of `enough`: it costs a part where it fails."""
    ends = earliest_ends(problem)
    dates, own = date_bound(problem, ends)
    firsts = [end - task.duration for end, task in zip(ends, problem.tasks, strict=True)]
    chains = _chains(problem)
    partitions = [_windows(problem, chains, width, offset) for width in WIDTHS
                  for offset in (0, width // 2)]  # fmt: skip
    late = start.lateness
    todo = []
    for k, parts in enumerate(partitions):
        for members in parts:
            gain = sum(late[i] - own[i] for i in members)  # the most its part can add
            if len(members) <= MAX_PART and gain > 0:
                todo.append((k, members, gain))
    per_part = min(SUB_EFFORT, budget / max(1, len(todo)))
    best = dates
    for k in range(len(partitions)):
        mine = sorted(
            ((members, gain) for j, members, gain in todo if j == k), key=lambda part: -part[1]
        )  # the likeliest to fall short first
        hope = dates + sum(gain for _, gain in mine)  # the partition's sum at the most
        goal = max(best + 1, enough if only_proof and enough is not None else 0)
        extra = 0  # what the partition's solved parts add to the date bound
        solved = _solved(problem, mine, firsts, start, per_part, clock, executor, only_proof)
        if hope < goal:
            continue  # out of reach: left unsolved
        for (members, gain), answer in solved:
            clock.spent += answer.effort
            clock.cut_short = clock.cut_short or answer.cut_short
            got = max(0, answer.bound - sum(own[i] for i in members))
            extra += got
            hope -= gain - got
            if hope < goal:
                break
        best = max(best, dates + extra)
        if (enough is not None and best >= enough) or (only_proof and hope < goal):
            break  # proven; or a try at a proof that fell short
    return best


def _solved(
    problem: Problem,
    parts: list[tuple[list[int], int]],
    firsts: list[int],
    start: Result,
    effort: float,
    clock,
    executor: Executor,
    only_proof: bool,
) -> Iterator[tuple[tuple[list[int], int], Answer]]:
    """Each part (members, gain) with the answer of its sub-solve, in order, as many solved
    at once as `executor` runs: a caller that stops early leaves the rest unsolved. With
    `only_proof`, a sub-solve only asks whether its part can be less late than now."""
    width = width_of(executor)
    late = start.lateness
    for at in range(0, len(parts), width):
        chunk = parts[at : at + width]
        items = [_neighbourhood(problem, members, firsts, start, late, effort, clock, only_proof)
                 for members, _ in chunk]  # fmt: skip
        yield from zip(chunk, executor.map(solve_neighbourhood, items), strict=True)


def _neighbourhood(
    problem: Problem,
    members: list[int],
    firsts: list[int],
    start: Result,
    late: list[int],
    effort: float,
    clock,
    only_proof: bool,
) -> Neighbourhood:
    """The sub-solve of the part `members` alone, from its places in `start` (with
    `only_proof`: whether it can be less late than there)."""
    now = sum(late[i] for i in members)
    return Neighbourhood(
        _part(problem, members, firsts), tuple(members),
        tuple(start.starts[i] for i in members), tuple(start.resources[i] for i in members),
        now, effort, max(0.1, clock.time_limit - clock.elapsed()), now if only_proof else None,
    )  # fmt: skip


def _chains(problem: Problem) -> list[list[int]]:
    """The tasks in groups that precedences link (weakly connected), each sorted."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(problem.tasks)))
    graph.add_edges_from((p.pred, p.succ) for p in problem.precedences)
    return sorted(sorted(chain) for chain in nx.connected_components(graph))


def _windows(problem: Problem, chains: list[list[int]], width: int, offset: int) -> list:
    """The chains with a due date, grouped by the window [offset + k * width, ...) of
    periods in which their first due date falls."""
    parts: dict[int, list[int]] = defaultdict(list)
    for chain in chains:
        dues = [problem.last_period_at(problem.tasks[i].due) for i in chain
                if problem.tasks[i].due is not None]  # fmt: skip
        if dues:
            parts[(min(dues) - offset) // width].extend(chain)
    return [sorted(parts[k]) for k in sorted(parts)]


def _part(problem: Problem, members: list[int], firsts: list[int]) -> Problem:
    """The tasks `members` alone, each released no earlier than its earliest start in the
    whole problem, with the precedences among them (nothing else fixed)."""
    index = {i: k for k, i in enumerate(members)}
    tasks = []
    for i in members:
        task = problem.tasks[i]
        release = (
            task.release if task.fixed_start is not None else max(task.release or 0, firsts[i])
        )
        tasks.append(replace(task, release=release, previous=None))
    precedences = tuple(
        Precedence(index[p.pred], index[p.succ], p.delay, p.scale)
        for p in problem.precedences
        if p.pred in index and p.succ in index
    )
    return Problem(tuple(tasks), problem.resources, precedences, problem.horizon, problem.times)
