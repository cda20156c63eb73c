"""A lower bound of the least total lateness from a linear relaxation of each busy set's tasks.

The backlog bounds (`load_bound.py`, `chain_bound.py`) count how much work a group cannot
clear in time. This bound prices each start: for a set S of tasks that only the resources
R can do, and a task j of S starting at period s, let c(j, s) be j's lateness then plus, for
each *witness* w of j (a task after j, within a few precedences), w's least lateness when j
starts at s: w's earliest start with j's start at s carried along the precedences from j
(every other predecessor at its own earliest start), or w's own date bound if that is
more. In every schedule the tasks of S together hold at most the units R offers in each
period (leave excluded; the tasks of other sets only take units away), so the least
lateness of S and its witnesses is at least the optimum of the time-indexed relaxation

    minimise   sum over j, s of c(j, s) x(j, s)
    subject to sum over s of x(j, s) = 1                         for each task j of S
               sum over j, s with s <= t < s + p(j) of d(j) x(j, s) <= cap(t)   each t
               x >= 0, x(j, s) = 0 for s before j's earliest start or past its last one

(p: duration, d: demand). Its value is not used as it is: GLOP solves it over the starts
within WINDOW periods of each task's due period (those the optimum needs), and its duals
pi(t) >= 0 of the capacity rows give the Lagrangian bound over every start,

    L(pi) = sum over j of min over s of [c(j, s) + d(j) (pi(s) + .. + pi(s + p(j) - 1))]
            - sum over t of pi(t) cap(t),

a lower bound for any pi >= 0 (a schedule's usage never exceeds cap), evaluated here over
every start, in floating point rounded up past a margin of 1e-6: the bound stays sound
whatever the LP's windows and tolerances. GLOP is deterministic.

Precedences between two members (one person's chain of steps) hold in a second LP: when
succ starts at least g periods after pred in every schedule (g the least over pred's
starts), then for each period t

    sum over s <= t of x(succ, s)  -  sum over s <= t - g of x(pred, s)  <=  0

(written with a variable for the share of each started by t). Their duals mu >= 0 enter
L as well: mu is added to succ's starts up to t and taken from pred's starts up to t - g,
and the bound stays one for any mu >= 0 as for any pi. The set counts the higher of the two
LPs' bounds (the rows raise the LP's value, but the check over every start may come out
either way).

Sets are the load bound's (tasks with a due date and the same alternatives), taken only
when busy (their backlog bound above their own date bounds), the busiest per task first.
A task counts once: as a member of one set, or as the witness of one member (never a task
of a busy set), or with its own date bound in `rest`; disjoint sets add up. The
result is never below the date bound.

The LP's solution also says when each member should start: its *target*, the first start
by which a share of the member is started in the LP (an alpha-point; one set of targets
for each share of TARGET_SHARES and each of the two LPs: the rows' targets are not always
the better ones). Placed in the order of their targets, a busy set's tasks
make a much better first schedule than by their due dates alone (`greedy.serial_schedule`'s
`urgencies`): on ten stores sharing five designers, 1,241 late days against 4,591.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from ortools.linear_solver import pywraplp

from scheduler.core.bounds import date_bound, earliest_ends
from scheduler.core.load_bound import _cumulative_capacity, _set_bound, task_sets
from scheduler.core.problem import Problem, Scale
from scheduler.core.windows import topological_order

WINDOW = 120  # periods past a task's due period (or earliest start) that the LP holds
MAX_DEPTH = 4  # precedences from a task to its witnesses
MAX_VARIABLES = 1_500_000  # the LP's variables over all sets; beyond it a set is left out
TARGET_SHARES = (0.7, 0.6, 0.8, 0.5, 0.9)  # of a member started in the LP by its target start
ROWS_SIMPLEX = "use_dual_simplex: true"  # for the LP with precedence rows: 3 times as fast


@dataclass(frozen=True)
class Relaxed:
    """The bound, and the members' target starts (task index -> period): one mapping per
    share of TARGET_SHARES from the LP without the precedence rows, then one per share from
    the LP with them (the same where no set has a precedence inside it)."""

    bound: int
    targets: tuple[dict[int, int], ...] = field(default_factory=tuple)


def lp_bound(problem: Problem) -> int:
    """A lower bound of the least total lateness of `problem` from the time-indexed
    relaxation of each busy set of tasks (see the module docstring)."""
    return lp_relaxation(problem).bound


def lp_relaxation(problem: Problem) -> Relaxed:
    """The bound of `lp_bound` and the members' target starts (see the module docstring)."""
    ends = earliest_ends(problem)
    dates, own = date_bound(problem, ends)
    busy = _busy_sets(problem, ends, own)
    if not busy:
        return Relaxed(dates)
    labels = _labels(problem)
    successors: dict[int, list] = defaultdict(list)
    predecessors: dict[int, list] = defaultdict(list)
    for p in problem.precedences:
        successors[p.pred].append(p)
        predecessors[p.succ].append(p)
    position = {i: k for k, i in enumerate(topological_order(problem))}
    in_busy = {i for _, members in busy for i in members}
    counted: set[int] = set()
    total, variables = 0.0, 0
    targets: tuple[dict[int, int], ...] = tuple({} for _ in range(2 * len(TARGET_SHARES)))
    for resources, members in busy:
        members = [j for j in members if j not in counted]
        witnesses = _witnesses(problem, members, successors, in_busy, counted)
        costs = {
            j: _costs(
                problem, j, ends, own, labels, witnesses[j], successors, predecessors, position
            )
            for j in members
        }
        inside = _inside(problem, members, labels)
        chained = {i for pred, succ, _ in inside for i in (pred, succ)}
        size = sum(  # a start variable per period of each window, a share variable as well
            _window(problem, j, ends, len(costs[j]))[1] * (2 if j in chained else 1)
            for j in members
        )
        startable = all(np.isfinite(costs[j]).any() for j in members)
        if not startable or variables + size > MAX_VARIABLES:
            continue
        variables += size
        counted.update(members)
        counted.update(w for j in members for w in witnesses[j])
        value, starts = _relaxation(problem, resources, members, ends, costs, [])
        ordered_starts = starts
        if inside:  # the rows raise the LP's value, but the targets are not always better
            value_in_order, ordered_starts = _relaxation(
                problem, resources, members, ends, costs, inside
            )
            value = max(value, value_in_order)  # each a bound: the higher one counts
        total += value
        for mine, found in zip(targets, [*starts, *ordered_starts], strict=True):
            mine.update(found)
    rest = sum(late for i, late in enumerate(own) if i not in counted)
    return Relaxed(max(dates, rest + math.ceil(total - 1e-6)), targets)


def _busy_sets(
    problem: Problem, ends: list[int], own: list[int]
) -> list[tuple[tuple[int, ...], list[int]]]:
    """The sets whose backlog bound is above their own date bounds, the busiest (per task)
    first."""
    exact, _, _, _ = task_sets(problem)
    level = {}
    for resources, members in exact.items():
        excess = _set_bound(problem, list(resources), members, ends, own)
        excess -= sum(own[i] for i in members)
        if excess > 0:
            level[resources] = Fraction(excess, len(members))
    order = sorted(level, key=lambda r: (-level[r], r))
    return [(r, exact[r]) for r in order]


def _witnesses(
    problem: Problem, members: list[int], successors: dict, in_busy: set[int], counted: set[int]
) -> dict[int, list[int]]:
    """For each member, the tasks with a due date within MAX_DEPTH precedences after it
    that no busy set holds and no other member has taken."""
    taken: set[int] = set()
    found: dict[int, list[int]] = {}
    members_here = set(members)
    for j in members:
        mine, frontier, seen = [], [j], {j}
        for _ in range(MAX_DEPTH):
            nxt = []
            for x in frontier:
                for p in successors.get(x, ()):
                    if p.succ not in seen:
                        seen.add(p.succ)
                        nxt.append(p.succ)
            frontier = nxt
            for w in nxt:
                free = w not in in_busy and w not in counted and w not in members_here
                if free and w not in taken and problem.tasks[w].due is not None:
                    taken.add(w)
                    mine.append(w)
        found[j] = mine
    return found


def _labels(problem: Problem) -> np.ndarray:
    """The time label of each period 0 .. 2 horizon, one unit a period past the horizon."""
    horizon = problem.horizon
    return np.array([problem.time(u) for u in range(2 * horizon + 1)], dtype=np.int64)


def _costs(
    problem: Problem,
    j: int,
    ends: list[int],
    own: list[int],
    labels: np.ndarray,
    witnesses: list[int],
    successors: dict,
    predecessors: dict,
    position: dict[int, int],
) -> np.ndarray:
    """c(j, s) for every start s in 0 .. horizon - duration (infinite where j cannot
    start)."""
    tasks = problem.tasks
    task = tasks[j]
    last = problem.horizon - task.duration
    if task.deadline is not None:
        last = min(last, task.deadline - task.duration)
    starts = np.arange(0, max(last, -1) + 1)
    cost = np.maximum(0, labels[starts + task.duration - 1] - task.due).astype(float)
    if witnesses:
        cost += _witness_costs(
            problem, j, starts, ends, own, labels, witnesses, successors, predecessors, position
        )
    earliest = ends[j] - task.duration
    if task.fixed_start is not None:
        keep = starts == task.fixed_start
        cost[~keep] = np.inf
    else:
        cost[: max(0, earliest)] = np.inf
    return cost


def _witness_costs(
    problem, j, starts, ends, own, labels, witnesses, successors, predecessors, position
) -> np.ndarray:
    """The witnesses' least lateness for each start of j (see the module docstring)."""
    tasks = problem.tasks
    reach_to = max(position[w] for w in witnesses)
    reached, stack = set(), [j]
    while stack:
        x = stack.pop()
        for p in successors.get(x, ()):
            if p.succ not in reached and position[p.succ] <= reach_to:
                reached.add(p.succ)
                stack.append(p.succ)
    start_of = {j: starts}
    top = len(labels) - 1
    total = np.zeros(len(starts))
    mine = set(witnesses)
    for x in sorted(reached, key=position.get):
        earliest = np.full(len(starts), ends[x] - tasks[x].duration, dtype=np.int64)
        for p in predecessors.get(x, ()):
            if p.pred in start_of:
                earliest = np.maximum(earliest, _follow(problem, p, start_of[p.pred], labels))
        start_of[x] = earliest
        if x in mine:
            last = np.minimum(earliest + tasks[x].duration - 1, top)
            total += np.maximum(own[x], labels[last] - tasks[x].due)
    return total


def _follow(problem: Problem, p, pred_starts: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """windows.follow for an array of the predecessor's starts."""
    duration = problem.tasks[p.pred].duration
    if p.scale is Scale.PERIODS:
        return pred_starts + duration + p.delay
    last = labels[np.minimum(pred_starts + duration - 1, len(labels) - 1)]
    return np.searchsorted(labels, last + p.delay, side="left")


def _window(problem: Problem, j: int, ends: list[int], count: int) -> tuple[int, int]:
    """The first start of j that the LP holds, and how many."""
    task = problem.tasks[j]
    first = max(0, ends[j] - task.duration)
    if task.fixed_start is not None:
        return task.fixed_start, 1
    due_period = problem.last_period_at(task.due)
    stop = min(count, max(first, due_period - task.duration + 1) + WINDOW)
    return first, max(0, stop - first)


def _inside(problem: Problem, members: list[int], labels: np.ndarray) -> list[tuple[int, int, int]]:
    """The precedences between two members, each as (pred, succ, gap): succ starts at least
    `gap` periods after pred starts, whatever pred's start (a Scale.TIME delay turned into
    periods at its least)."""
    mine = set(members)
    inside = []
    for p in problem.precedences:
        if p.pred not in mine or p.succ not in mine:
            continue
        duration = problem.tasks[p.pred].duration
        if p.scale is Scale.PERIODS:
            gap = duration + p.delay
        else:
            starts = np.arange(0, max(1, problem.horizon - duration + 1))
            gap = int(np.min(_follow(problem, p, starts, labels) - starts))
        inside.append((p.pred, p.succ, gap))
    return inside


def _relaxation(
    problem: Problem,
    resources: tuple[int, ...],
    members: list[int],
    ends: list[int],
    costs: dict[int, np.ndarray],
    inside: list[tuple[int, int, int]],
) -> tuple[float, list[dict[int, int]]]:
    """L(pi, mu) at the duals of the LP over the members' windows, and the members' targets
    (see the module docstring)."""
    tasks = problem.tasks
    capacity = np.diff(_cumulative_capacity(problem, list(resources))).astype(float)
    lp = pywraplp.Solver.CreateSolver("GLOP")
    rows = [lp.Constraint(-lp.infinity(), float(capacity[t])) for t in range(problem.horizon)]
    objective = lp.Objective()
    chances: dict[int, list] = defaultdict(list)
    windows = {}
    for j in members:
        cost, duration, demand = costs[j], tasks[j].duration, tasks[j].demand
        first, count = windows[j] = _window(problem, j, ends, len(cost))
        once = lp.Constraint(1.0, 1.0)
        for s in range(first, first + count):
            if not np.isfinite(cost[s]):
                continue
            x = lp.NumVar(0.0, 1.0, "")
            chances[j].append((s, x))
            once.SetCoefficient(x, 1.0)
            objective.SetCoefficient(x, float(cost[s]))
            for t in range(s, s + duration):
                rows[t].SetCoefficient(x, float(demand))
    ordered = _precedence_rows(lp, inside, windows, chances)
    objective.SetMinimization()
    if inside:
        lp.SetSolverSpecificParametersAsString(ROWS_SIMPLEX)
    status = lp.Solve()
    targets: list[dict[int, int]] = [{} for _ in TARGET_SHARES]
    if status == pywraplp.Solver.OPTIMAL:
        prices = np.array([max(0.0, -row.dual_value()) for row in rows])
        for j, chance in chances.items():
            started = np.cumsum([x.solution_value() for _, x in chance])
            for mine, share in zip(targets, TARGET_SHARES, strict=True):
                k = min(int(np.searchsorted(started, share - 1e-9)), len(chance) - 1)
                mine[j] = chance[k][0]
    else:  # (an empty window: the prices of zero still give the members' least costs)
        prices = np.zeros(problem.horizon)
    shifts = _precedence_prices(ordered, costs, status == pywraplp.Solver.OPTIMAL)
    cumulative = np.concatenate([[0.0], np.cumsum(prices)])
    value = -float(prices @ capacity)
    for j in members:
        cost, duration = costs[j], tasks[j].duration
        n = len(cost)
        priced = cost + tasks[j].demand * (cumulative[duration : duration + n] - cumulative[:n])
        if j in shifts:
            priced = priced + shifts[j]
        value += float(np.min(priced))
    return value, targets


def _precedence_rows(lp, inside, windows, chances) -> list[tuple[int, int, int, int, object]]:
    """The rows "succ started by t implies pred started by t - gap" over succ's window, as
    y(succ, t) - y(pred, t - gap) <= 0 with y(j, t) the share of j started by t (a variable
    per member in a precedence and period of its window); each row as (pred, succ, t,
    t - gap, row)."""
    if not inside:
        return []
    started: dict[int, dict[int, object]] = {}
    for j in {i for pred, succ, _ in inside for i in (pred, succ)}:
        first, count = windows[j]
        at = dict(chances.get(j, ()))
        mine, before = {}, None
        for t in range(first, first + count):
            y = lp.NumVar(-lp.infinity(), lp.infinity(), "")
            definition = lp.Constraint(0.0, 0.0)  # y(t) = y(t - 1) + x(t)
            definition.SetCoefficient(y, 1.0)
            if before is not None:
                definition.SetCoefficient(before, -1.0)
            if t in at:
                definition.SetCoefficient(at[t], -1.0)
            mine[t] = before = y
        started[j] = mine
    ordered = []
    for pred, succ, gap in inside:
        first, count = windows[pred]
        for t, y in started[succ].items():
            u = t - gap
            if u >= first + count:  # pred is wholly started by then in the LP
                continue
            row = lp.Constraint(-lp.infinity(), 0.0)
            row.SetCoefficient(y, 1.0)
            if u >= first:
                row.SetCoefficient(started[pred][u], -1.0)
            ordered.append((pred, succ, t, u, row))
    return ordered


def _precedence_prices(ordered, costs: dict[int, np.ndarray], solved: bool) -> dict:
    """Each member's added cost per start from the precedence rows' duals mu >= 0: the
    row sum over s <= t of x(succ, s) - sum over s <= t - gap of x(pred, s) <= 0 holds in
    every schedule, so mu times it is added to the Lagrangian: +mu to succ's starts up to
    t, -mu to pred's starts up to t - gap."""
    if not solved or not ordered:
        return {}
    mass: dict[int, np.ndarray] = {}
    for pred, succ, t, u, row in ordered:
        mu = max(0.0, -row.dual_value())
        if mu <= 0.0:
            continue
        for j, at, sign in ((succ, t, 1.0), (pred, u, -1.0)):
            if at < 0:
                continue
            mine = mass.setdefault(j, np.zeros(len(costs[j])))
            mine[min(at, len(mine) - 1)] += sign * mu
    return {j: np.cumsum(m[::-1])[::-1] for j, m in mass.items()}
