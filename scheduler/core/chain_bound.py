"""A lower bound of the least total lateness from a busy group's backlog carried down its chains.

The backlog bound (`load_bound.py`) counts, for the tasks that only a group of resources
can do, how long they stay unfinished past their own due dates. When the group is
overloaded, most of the lateness is not its own: every task after it (the listing after a
design, the ads after the listing) is late too, and the backlog bound never sees them.
This bound counts the backlog once more for each of them.

*Effective dues.* Take a task i and a task w reachable from i through precedences, with
dist(i, w) a lower bound of end(w) - end(i) in every schedule: along a path each precedence
adds its successor's duration and, for a delay in periods, the delay; for a delay in time
units, the fewest periods such a delay spans anywhere in the horizon (over every period L,
the first period at or after time(L) + delay, less L), less one, since that delay runs from
the predecessor's last period (with a delay of 0 the successor may start in that very
period). Every path gives a lower bound; the longest is kept. With D(w) the due period of w
(the last period on or before its due date), q = D(w) - dist(i, w) is an effective due of i
standing for w: when i's last period l is past q, w's is at least l + dist, past D(w), and
w is late by time(l + dist) - due(w) > time(l + dist) - time(D(w) + 1), that is by at least
1 + the sum over the periods t = q + 2 .. l of step(t + dist), step(u) = time(u) - time(u-1):
the pair is worth 1 in the period t = q + 1 and step(t + dist) >= 1 in each later period t
that i is unfinished at. A task's own due date is the pair (D(i), 0), w = i. A witness w
whose earliest end alone makes it own(w) late (its date bound) is late by max(own(w), y)
= own(w) + (y - own(w))+, y as above: its pair's q is put off by own(w), which drops the
first own(w) periods (each worth at least 1), and own(w) is counted with `rest`.

*The sweep.* Give each task i of a set S (tasks that only the resources R can do) a few
such pairs, every w standing for one pair of one task only, and let c(i, t) be the worth at
t of i's pairs with q < t: what i being unfinished at the start of t adds to their
lateness. Summed over t and the unfinished tasks, it is at most the lateness of the tasks
w. The load bound's argument holds with Q the tasks of S started no earlier than a with
c(i, t) > 0: at least X = work(Q) - capacity(a, t) units of Q are still to do at t, held by
unfinished tasks, each holding at most its work, so their total c is at least the
fractional cover's (the cheapest c per unit of work first, the last one in part), rounded
up, and at least the fewest tasks that can hold X times the least c in Q. Tasks whose
earliest end alone is after t are unfinished: the sum of their c(i, t) bounds it too, and
the larger is kept for each t. With only their own pairs, the tasks cost at least one and
their step each: the sweep gives at least the load bound's (which counts each period once,
or weighs it by its step from D + 2 on).

*Adding up.* The tasks w of all pairs are pairwise distinct, and every task that stands for
a pair of some set is left out of `rest` (the own date bounds of the tasks in no set, and
now the own(w) of the witnesses): the sets' sums and `rest` bound the lateness of disjoint
sets of tasks, and add up.

*Choosing pairs.* Each exact set of the load bound gets a rank, how far its backlog bound
is above its own tasks' date bounds, per task (tasks in no set rank below every set).
Witnesses w go only to the tasks of sets whose rank is above 0 (elsewhere the backlog does
not reach past the earliest ends, which already bound w), and only from tasks with a due
date of a lower rank: such a task then stands for its pair instead of its own due date
(within one set, a task that comes later in a chain is more often the one left unfinished,
and so better counted by its own due). Greedily, the sources of the highest rank first,
then the pairs with the least slack (q less the task's earliest last period), at most
MAX_WITNESSES a task, among its MAX_REACH nearest successors. The result is never below
the load bound: the sets are split as that bound splits them (by exact alternatives, or by
linked groups of resources), the better split kept, and the load bound itself too. Work:
a walk of at most MAX_REACH tasks per task of a busy set, and a sweep per set like the
load bound's, its few kinds of task (work, pairs past due) sorted per backlogged period.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter, defaultdict
from fractions import Fraction

from scheduler.core.bounds import date_bound, earliest_ends
from scheduler.core.load_bound import (
    _alternatives,
    _cumulative_capacity,
    _set_bound,
    _unfinished,
    capacity_between,
    task_sets,
)
from scheduler.core.problem import Problem, Scale
from scheduler.core.windows import topological_order

MAX_REACH = 64  # successors walked per task (the nearest first)
MAX_WITNESSES = 8  # pairs per task besides its own due date
CHAIN_ORIGINS = 96  # periods a tried by a set with witnesses (the others: the load bound's)
# costs c and works w below it: c / w in floating point orders their ratios exactly (two
# distinct ones differ by at least 1 / w w' > 2^-34; each c / w < 2^17 is off by < 2^-36)
EXACT = 2**17

Pair = tuple[int, int, int]  # (effective due period, dist, the task w it stands for)


def chain_bound(problem: Problem) -> int:
    """A lower bound of the least total lateness of `problem` from each resource group's
    backlog carried to its tasks' successors (see the module docstring); never below the
    backlog bound (`load_bound.load_bound`)."""
    return backlog_bounds(problem)[1]


def backlog_bounds(problem: Problem) -> tuple[int, int]:
    """The backlog bound (`load_bound.load_bound`) and this module's, computed together."""
    tasks = problem.tasks
    ends = earliest_ends(problem)
    dates, own = date_bound(problem, ends)
    exact, groups, group_of, linked = task_sets(problem)
    each = {r: _set_bound(problem, list(r), m, ends, own) for r, m in exact.items()}
    by_group = sum(_set_bound(problem, groups[k], m, ends, own) for k, m in linked.items())
    in_sets = {i for members in exact.values() for i in members}
    rest = sum(late for i, late in enumerate(own) if i not in in_sets)
    load = max(dates, rest + max(sum(each.values()), by_group))

    # how far each exact set's backlog is above its own date bounds, per task: a task may
    # stand for a task of a set below its own (or of none), which then loses its own due
    level = {
        r: Fraction(value - sum(own[i] for i in exact[r]), len(exact[r]))
        for r, value in each.items()
    }
    rank = [
        level.get(_alternatives(task), Fraction(-1)) if task.resources else Fraction(-1)
        for task in tasks
    ]
    sources = [
        i for i, task in enumerate(tasks) if task.resources and not task.uses and rank[i] > 0
    ]
    witnesses = _witnesses(problem, ends, sources, rank, own)
    if not witnesses:
        return load, load
    taken = {w for picks in witnesses.values() for _, _, w in picks}
    due = [None if t.due is None else max(-1, problem.last_period_at(t.due)) for t in tasks]
    pairs: dict[int, list[Pair]] = {}
    for i in sorted({*in_sets, *sources}):
        mine = [] if due[i] is None or i in taken else [(due[i], 0, i)]
        mine += witnesses.get(i, [])
        if mine:
            pairs[i] = mine
    by_exact: dict[tuple[int, ...], list[int]] = defaultdict(list)
    by_linked: dict[int, list[int]] = defaultdict(list)
    for i in sorted(pairs):
        alternatives = _alternatives(tasks[i])
        by_exact[alternatives].append(i)
        by_linked[group_of[alternatives[0]]].append(i)

    def bound(resources: list[int], members: list[int]) -> int:
        days = _sweep(problem, resources, members, ends, pairs)
        # (the date bounds of the tasks with their own pair; a witness's is in `rest`)
        return max(days, sum(own[i] for i in members if i not in taken))

    split = sum(bound(list(r), m) for r, m in by_exact.items())
    grouped = sum(bound(groups[k], m) for k, m in by_linked.items())
    # each witness's own date bound, which its pair's effective due was put off by
    rest = sum(late for i, late in enumerate(own) if i not in in_sets or i in taken)
    return load, max(load, rest + max(split, grouped))


def _sweep(
    problem: Problem,
    resources: list[int],
    members: list[int],
    ends: list[int],
    pairs: dict[int, list[Pair]],
) -> int:
    """The least number of late days of the tasks the pairs of `members` stand for (each
    pair's due put off by that task's own date bound); `members` only `resources` can do
    (see the module docstring)."""
    horizon = problem.horizon
    tasks = problem.tasks
    capacity = _cumulative_capacity(problem, resources)
    start = {i: ends[i] - tasks[i].duration for i in members}
    work = {i: tasks[i].duration * tasks[i].demand for i in members}
    chained = any(w != i for i in members for _, _, w in pairs[i])
    origins = _spread(sorted({start[i] for i in members}), CHAIN_ORIGINS if chained else 24)
    dists = sorted({d for i in members for _, d, _ in pairs[i]})
    step = {
        d: [problem.time(t + d) - problem.time(t + d - 1) for t in range(horizon)] for d in dists
    }
    # a pair is worth 1 in the period after its due (q + 1), the step at t + dist after it
    fresh: dict[int, list[int]] = defaultdict(list)  # t -> tasks with a pair at q + 1 = t
    aged: dict[int, list[tuple[int, int]]] = defaultdict(list)  # t -> (task, dist), q + 2 = t
    surely_fresh = [0] * (horizon + 2)  # those pairs of tasks whose earliest end is after t
    surely_aged = {d: [0] * (horizon + 2) for d in dists}
    for i in members:
        last = min(ends[i] - 1, horizon - 1)
        for q, d, _ in pairs[i]:
            first = max(q + 1, 0)
            fresh[first].append(i)
            aged[first + 1].append((i, d))
            if first <= last:
                surely_fresh[first] += 1
                surely_fresh[first + 1] -= 1
            if first + 1 <= last:
                surely_aged[d][first + 1] += 1
                surely_aged[d][last + 1] -= 1
    surely = list(itertools.accumulate(surely_fresh[:horizon]))
    for d, counts in surely_aged.items():
        for t, n in enumerate(itertools.accumulate(counts[:horizon])):
            surely[t] += n * step[d][t]

    open_ = _Backlog(origins, start, work)  # kinds (work, (pairs at q + 1, dists of older))
    last_entry = max([*fresh, *aged], default=-1)
    days = 0
    for t in range(horizon):
        for i, d in aged.get(t, ()):
            new, older = open_.key[i]
            open_.add(i, (new - 1, tuple(sorted((*older, d)))))
        for i in fresh.get(t, ()):
            new, older = open_.key.get(i, (0, ()))
            open_.add(i, (new + 1, older))
        weights: dict[tuple[int, tuple[int, ...]], int] = {}

        def cost(kind: tuple[int, tuple[int, ...]], t: int = t, weights: dict = weights) -> int:
            if kind not in weights:
                weights[kind] = kind[0] + sum(step[d][t] for d in kind[1])
            return weights[kind]

        late = open_.least(capacity, t, cost)
        if t > last_entry and late == 0:
            # nothing joins Q any more and the capacity only grows: no backlog from here on
            days += sum(surely[t:horizon])
            break
        days += max(late, surely[t])
    return days


class _Backlog:
    """For each origin a, the tasks of Q (started no earlier than a, with a pair past due)
    counted by kind (work, what their pairs cost), and their work."""

    def __init__(self, origins: list[int], start: dict[int, int], work: dict[int, int]):
        self.origins = origins
        self.start = start
        self.work = work
        self.key: dict[int, object] = {}  # task -> what its pairs past due cost, by kind
        self.held = [0] * len(origins)
        self.kinds: list[Counter] = [Counter() for _ in origins]

    def add(self, i: int, key: object) -> None:
        """Task i's pairs past due are now `key` (it joins Q when it had none)."""
        w = self.work[i]
        old = self.key.get(i)
        self.key[i] = key
        for k, a in enumerate(self.origins):
            if self.start[i] < a:
                break
            if old is None:
                self.held[k] += w
            else:
                self.kinds[k][w, old] -= 1
            self.kinds[k][w, key] += 1

    def least(self, capacity: list[int], t: int, cost) -> int:
        """The least cost of the tasks of Q still open at the start of t, over the origins
        (`cost(key)`: what a task of that kind costs when open at t)."""
        most = 0
        for k, a in enumerate(self.origins):
            left = self.held[k] - capacity_between(capacity, a, t)
            if left > 0:
                most = max(most, _cheapest(left, self.kinds[k], cost))
        return most


def _cheapest(left: int, kinds: Counter, cost) -> int:
    """A lower bound of the least total cost of tasks holding `left` units of work, with
    `kinds` counting the tasks by (work, key): the fractional cover (cheapest per unit of
    work first) rounded up, or the fewest tasks times the least cost, the larger."""
    items = [(cost(key), w, n) for (w, key), n in kinds.items() if n]
    if all(c < EXACT and w < EXACT for c, w, _ in items):
        items.sort(key=lambda item: item[0] / item[1])  # exact: see EXACT
    else:
        items.sort(key=lambda item: Fraction(item[0], item[1]))
    total = 0
    fractional = None
    remaining = left
    for c, w, n in items:
        if w * n >= remaining:
            fractional = total - (-c * remaining // w)
            break
        remaining -= w * n
        total += c * n
    if fractional is None:  # cannot happen: Q holds at least `left` units
        fractional = total
    sizes: Counter[int] = Counter()
    for (w, _), n in kinds.items():
        sizes[w] += n
    fewest = _unfinished(left, 0, sizes)
    return max(fractional, fewest * min(c for c, _, _ in items))


def _witnesses(
    problem: Problem, ends: list[int], sources: list[int], rank: list[Fraction], own: list[int]
) -> dict[int, list[Pair]]:
    """For each task of `sources`, its pairs (effective due, dist, w) with tasks w it
    reaches that have a due date and a lower `rank`, every w in one pair only, the sources
    of highest rank first; each effective due put off by w's own date bound `own[w]` (see
    the module docstring)."""
    tasks = problem.tasks
    position = {i: k for k, i in enumerate(topological_order(problem))}
    spans: dict[int, int] = {}
    after: list[list[tuple[int, int]]] = [[] for _ in tasks]
    for p in problem.precedences:
        if p.scale is Scale.PERIODS:
            gap = p.delay
        else:
            if p.delay not in spans:
                spans[p.delay] = _fewest_periods(problem, p.delay)
            gap = spans[p.delay] - 1
        after[p.pred].append((p.succ, gap + tasks[p.succ].duration))
    candidates = []
    for i in sources:
        for w, dist in _reach(i, after, position).items():
            if w != i and tasks[w].due is not None and rank[w] < rank[i]:
                q = max(-1, problem.last_period_at(tasks[w].due)) - dist + own[w]
                candidates.append((-rank[i], q - (ends[i] - 1), q, i, w, dist))
    candidates.sort()
    taken: set[int] = set()
    chosen: dict[int, list[Pair]] = defaultdict(list)
    for _, _, q, i, w, dist in candidates:
        if w not in taken and len(chosen[i]) < MAX_WITNESSES:
            taken.add(w)
            chosen[i].append((q, dist, w))
    return chosen


def _reach(
    source: int, after: list[list[tuple[int, int]]], position: dict[int, int]
) -> dict[int, int]:
    """The tasks reachable from `source` (at most MAX_REACH besides it, the nearest first),
    each with the longest path to it through those tasks: a lower bound of end - end."""
    seen = {source}
    frontier = [source]
    while frontier and len(seen) <= MAX_REACH:
        ahead = []
        for v in frontier:
            for s, _ in after[v]:
                if s not in seen and len(seen) <= MAX_REACH:
                    seen.add(s)
                    ahead.append(s)
        frontier = ahead
    longest = {source: 0}
    for v in sorted(seen, key=position.__getitem__):
        if v in longest:
            for s, gain in after[v]:
                if s in seen and (s not in longest or longest[s] < longest[v] + gain):
                    longest[s] = longest[v] + gain
    return longest


def _fewest_periods(problem: Problem, delay: int) -> int:
    """The fewest periods from a period L to the first one at or after time(L) + delay, over
    every period L of the horizon (counting the horizon itself where there is none)."""
    if problem.times is None:
        return min(max(L + delay, 0) - L for L in range(max(problem.horizon, 1)))
    times = problem.times
    return min(
        (bisect.bisect_left(times, label + delay) - L for L, label in enumerate(times)), default=0
    )


def _spread(starts: list[int], limit: int) -> list[int]:
    """At most `limit` of the earliest starts, spread evenly, the least one first."""
    if len(starts) <= limit:
        return starts
    step = len(starts) / limit
    return sorted({starts[int(k * step)] for k in range(limit)})
