"""The tie-break a part at a time: the least delay, once the lateness is settled.

The tie-break (cpsat's `_solve_delay`) starts every task as early as it can (or as near its
preferred start) among the schedules of least lateness. One model of a large problem is
too large for it: a store's year of 700 tasks spent its whole share in CP-SAT's presolve
and came back with nothing. So a large problem is polished a window at a time, like the
large-neighbourhood search of `lns.py`: the tasks running in a window of the schedule, in
groups that share no resource and no precedence (stores with their own people), are
re-placed by CP-SAT with every other task where it is, for the least delay of the group's
tasks (and, at equal delay, the most of them on the resource they had); the groups of a
window are independent sub-solves, run through the executor. None of them may
end later than its time now allows (its lateness now, a deadline), so no task gets later;
a task back at its place of the previous version stays there, so nothing more changes.
Windows go from the first period to the last and again shifted by half a window, until a
pass lowers the delay by less than MIN_GAIN of it or the effort is spent; each sub-solve
is bounded by deterministic work on one worker with a fixed seed, so the same schedule and
effort give the same polish. Each task of a window stays between its earliest start and
one window after its end now.
What it costs: a better order of tasks far apart in time is found only as far as a window
reaches.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from scheduler.core.check import violations
from scheduler.core.lns import (
    group_of_tasks,
    in_reach,
    independent_groups,
    lateness_of,
    sub_problem,
)
from scheduler.core.problem import Problem
from scheduler.core.result import Result
from scheduler.core.windows import earliest_starts, latest_starts
from scheduler.executors import IN_PROCESS, Executor

WINDOW = 20  # periods per window (four working weeks), at two offsets
PART_EFFORT = 0.25  # deterministic work per window, at most
MAX_FREE = 200  # tasks free in one window, at most (the earliest-starting ones)
MIN_GAIN = 0.01  # of the delay: a pass that lowers it by less is the last
# a window's model is small: CP-SAT's presolve took most of its time (the store's year:
# 1.3 s of polish, 0.8 s with these, the same schedule)
PARAMETERS = {"cp_model_probing_level": 0, "max_presolve_iterations": 1, "symmetry_level": 0}


@dataclass(frozen=True)
class Window:
    """One sub-solve's input: the window's free tasks first in `problem`, then the pinned."""

    problem: Problem
    free: int  # how many of the sub-problem's tasks are free
    starts: tuple[int, ...]  # the sub-problem's schedule now (its hint)
    resources: tuple[int, ...]
    est: tuple[int, ...]  # each task's earliest start in the whole problem (delay from it)
    preferred: tuple[int | None, ...]
    effort: float
    time_limit: float


@dataclass(frozen=True)
class Placed:
    """A sub-solve's answer: the free tasks' better places, or None, and the work spent."""

    starts: tuple[int, ...] | None
    resources: tuple[int, ...] | None
    effort: float
    cut_short: bool
    settled: bool = False  # proven the least: solving the window again gains nothing


def polish(
    problem: Problem,
    start: Result,
    est: list[int],
    preferred: list[int | None],
    budget: float,
    clock,
    executor: Executor = IN_PROCESS,
) -> tuple[Result, int]:
    """`start` with less delay (periods after `est`, or away from `preferred` where a task
    has one), window by window (see the module docstring), within `budget` units of
    deterministic work on `clock` (cpsat's budget); its lateness, task by task, no higher.
    Returns the schedule and its delay."""
    starts, resources = list(start.starts), list(start.resources)
    caps = _deadlines(problem, start.lateness)
    group_of = group_of_tasks(problem)
    settled: dict[tuple[int, int], tuple] = {}  # (window, part) -> its input when settled
    gained = True
    while gained:  # a pass over every window at both offsets, until one gains too little
        gained, before = False, _delay(starts, est, preferred)
        for offset in (0, WINDOW // 2):
            for begin in range(offset - WINDOW if offset else 0, problem.horizon, WINDOW):
                if clock.spent >= budget or clock.out_of_time():
                    return _result(problem, start, starts, resources, est, preferred)
                todo = []
                for free in _parts(problem, starts, resources, begin, group_of):
                    item = _window(problem, starts, resources, free, caps, est, preferred, 0.0,
                                   clock)  # fmt: skip
                    if item is not None and settled.get((begin, free[0])) != _input(item):
                        todo.append((free, item))  # else nothing to gain, or settled as it is
                share = min(PART_EFFORT, (budget - clock.spent) / max(1, len(todo)))
                items = [replace(item, effort=share) for _, item in todo]
                for (free, item), answer in zip(todo, executor.map(solve_window, items),
                                                strict=True):  # fmt: skip
                    clock.spent += answer.effort
                    clock.cut_short = clock.cut_short or answer.cut_short
                    settled.pop((begin, free[0]), None)
                    if answer.starts is not None:
                        for k, i in enumerate(free):
                            starts[i], resources[i] = answer.starts[k], answer.resources[k]
                        gained = True
                        if answer.settled:  # its best: settled for the part as it is now
                            item = _window(problem, starts, resources, free, caps, est,
                                           preferred, 0.0, clock)  # fmt: skip
                    if answer.settled and item is not None:
                        settled[(begin, free[0])] = _input(item)
        gained = gained and before - _delay(starts, est, preferred) >= MIN_GAIN * before
    return _result(problem, start, starts, resources, est, preferred)


def _input(item: Window) -> tuple:
    """What a window's answer depends on: its sub-problem and where its tasks are now."""
    return item.problem, item.starts, item.resources


def _result(problem: Problem, start: Result, starts: list[int], resources: list[int],
            est: list[int], preferred: list[int | None]) -> tuple[Result, int]:  # fmt: skip
    """`start` with the polished places, unless they break a rule or make a task later."""
    late = tuple(lateness_of(problem, starts))
    if violations(problem, starts, resources) or any(
        now > was for now, was in zip(late, start.lateness, strict=True)
    ):
        return start, _delay(list(start.starts), est, preferred)
    polished = replace(start, starts=tuple(starts), resources=tuple(resources), lateness=late)
    return polished, _delay(starts, est, preferred)


def _delay(starts: list[int], est: list[int], preferred: list[int | None]) -> int:
    """The tie-break's delay of a schedule (cpsat's `_Model.delay`)."""
    return sum(
        s - e if p is None else abs(s - p) for s, e, p in zip(starts, est, preferred, strict=True)
    )


def _deadlines(problem: Problem, lateness: tuple[int, ...]) -> list[int | None]:
    """Each task's exclusive end, at the latest, that keeps it no later than `lateness`."""
    caps: list[int | None] = []
    for task, late in zip(problem.tasks, lateness, strict=True):
        if task.due is None:
            caps.append(task.deadline)
            continue
        cap = problem.last_period_at(task.due + late) + 1
        caps.append(cap if task.deadline is None else min(cap, task.deadline))
    return caps


def _parts(problem: Problem, starts: list[int], resources: list[int], begin: int,
           group_of: list[int]) -> list[list[int]]:  # fmt: skip
    """The task sets free in the window from `begin`: the tasks running in it (but for
    pinned ones and those at their place of the previous version), split into the groups
    that precedences and resource groups link (independent: no shared resource, no
    precedence between two of them), each cut to its MAX_FREE earliest-starting tasks."""
    end = begin + WINDOW
    free = [
        i
        for i, t in enumerate(problem.tasks)
        if starts[i] < end
        and starts[i] + t.duration > begin
        and t.fixed_start is None
        and t.previous != (starts[i], resources[i])
    ]
    return [
        sorted(part, key=lambda i: (starts[i], i))[:MAX_FREE]
        for part in independent_groups(problem, free, group_of)
    ]


def _window(problem: Problem, starts: list[int], resources: list[int], free: list[int],
            caps: list[int | None], est: list[int], preferred: list[int | None],
            effort: float, clock) -> Window | None:  # fmt: skip
    """The sub-solve placing the tasks `free`; None when none of them can start sooner."""
    if not any(
        (starts[i] > est[i]) if preferred[i] is None else starts[i] != preferred[i] for i in free
    ):
        return None
    # each free task stays between its start in the whole model (or sooner, if it is
    # there now) and a window after its end now, no later than its lateness now allows
    lows = [min(est[i], starts[i]) for i in free]
    ends = [_earlier(caps[i], starts[i] + problem.tasks[i].duration + WINDOW) for i in free]
    sub, s, r = sub_problem(problem, starts, resources, free, (min(lows), max(ends)))
    tasks = list(sub.tasks)
    for k, (low, end) in enumerate(zip(lows, ends, strict=True)):
        task = tasks[k]
        release = low if task.release is None else max(task.release, low)
        tasks[k] = replace(task, due=None, release=release, deadline=_earlier(task.deadline, end))
    sub = replace(sub, tasks=tuple(tasks))
    first, last = earliest_starts(sub), latest_starts(sub)
    if any(e > s for e, s in zip(first, last, strict=True)):
        return None  # (a guard: the schedule now fits these windows)
    kept = in_reach(sub, len(free), first, last)  # the pinned tasks it may meet
    return Window(
        replace(sub, tasks=tuple(sub.tasks[k] for k in kept)), len(free),
        tuple(s[k] for k in kept), tuple(r[k] for k in kept),
        tuple(est[free[k]] if k < len(free) else s[k] for k in kept),
        tuple(preferred[free[k]] if k < len(free) else None for k in kept),
        effort, max(0.1, clock.time_limit - clock.elapsed()),
    )  # fmt: skip


def _earlier(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def solve_window(item: Window) -> Placed:
    """The least delay of one window's free tasks (then the most of them on their resource
    now), searched from their current places with one CP-SAT worker within its effort; the
    places only when better (a module-level function of one picklable argument)."""
    from scheduler.core import cpsat  # cpsat runs this search: imported when it runs

    clock = cpsat._Budget(item.effort, item.time_limit)
    problem = item.problem
    built = cpsat._Model(problem, earliest_starts(problem), latest_starts(problem))
    delay = built.delay(list(item.est), list(item.preferred))
    same = [built.vars[k].chosen.get(item.resources[k]) for k in range(item.free)]
    same = [literal for literal in same if literal is not None]  # on its resource now
    built.model.Minimize(delay * (len(same) + 1) - sum(same))
    built.add_hint(Result(cpsat.FEASIBLE, item.starts, item.resources))
    code, solver = clock.run(built.model, item.effort, 1, **PARAMETERS)
    now = _delay(list(item.starts), list(item.est), list(item.preferred))
    settled = cpsat._status(code) == cpsat.OPTIMAL
    if cpsat._status(code) not in (cpsat.OPTIMAL, cpsat.FEASIBLE) or (
        solver.ObjectiveValue() >= now * (len(same) + 1) - len(same)
    ):
        return Placed(None, None, clock.spent, clock.cut_short, settled)
    starts, resources, _ = built.read(solver)
    return Placed(starts[: item.free], resources[: item.free], clock.spent, clock.cut_short,
                  settled)  # fmt: skip
