"""Solve a `Problem` with OR-Tools CP-SAT.

Objectives, lexicographic: first the least total lateness (`late`), then the least total
delay (`delay`: the periods by which tasks start after their earliest possible start, so
that work is done early and leaves buffer before its due date). Each is its own CP-SAT
solve; the second keeps the first's optimum, starts from its solution and, where it costs
no delay, keeps its choice of resources (the heuristic spreads work evenly). The first is the
contract's objective and decides the status (`optimal` once its optimum is proven); the
second is a tie-break polished for at most `polish_time` seconds, and its proven bound is
reported beside its value.

A serial list-scheduling heuristic (`greedy.py`) gives the first solution; when it has no
lateness at all, that is already the optimum of the first objective.

Lateness needs the time label of a task's last period, an element constraint whose size is
the task's end window. To keep it small the first solve caps each task's last period at
`max(due period, earliest last period) + late_window`. Any schedule that breaks a cap has a
task at least `late_window + 1` time units late, so a capped optimum of at most
`late_window` is the true optimum; otherwise the solve is repeated with the window widened.

When no schedule exists, the model is rebuilt with one assumption literal per constraint
term (a release, a deadline, a resource's unavailable range, a precedence) and CP-SAT names
a set of terms that cannot hold together; it is shrunk to a minimal one when time allows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.core.greedy import serial_schedule
from scheduler.core.problem import Problem, Scale
from scheduler.core.result import FEASIBLE, INFEASIBLE, OPTIMAL, UNKNOWN, Result
from scheduler.core.windows import (
    earliest_starts,
    late_caps,
    latest_starts,
    pinned_part,
    preferred_starts,
)

LATE = "late"
DELAY = "delay"


def solve(
    problem: Problem,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    late_window: int = 15,
    polish_time: float = 5.0,
    explain: bool = True,
) -> Result:
    """The best schedule for `problem` found within `time_limit` seconds."""
    clock = _Clock(time_limit)
    start = _greedy_start(problem)
    if start is not None and start.objectives[LATE] == 0:
        first, window = start, late_window  # no lateness at all: nothing can be better
    else:
        first, window = _least_lateness(problem, start, late_window, clock, workers)
    if first.status == INFEASIBLE:
        conflict = find_conflict(problem, clock) if explain else ()
        return Result(INFEASIBLE, runtime=clock.elapsed(), conflict=conflict)
    if first.status == UNKNOWN:
        return Result(UNKNOWN, runtime=clock.elapsed())
    second = _solve_delay(problem, window, first, clock, workers, polish_time)
    return second if second.has_solution else first


def _least_lateness(
    problem: Problem, start: Result | None, window: int, clock: _Clock, workers: int
) -> tuple[Result, int]:
    """The first objective's solve, widening the late window until its optimum is exact."""
    if start is not None:  # the capped model must admit the heuristic's schedule
        window = max(window, _overshoot(problem, start))
    while True:
        first = _solve_lateness(problem, window, clock, workers, start)
        if first.status == INFEASIBLE:
            if start is None and _feasibility(problem, clock, workers) not in (OPTIMAL, FEASIBLE):
                return first, window  # impossible (or not known) whatever the window
            if window >= problem.horizon:
                return first, window
            window = min(problem.horizon, window * 4)  # the window was what made it impossible
        elif first.status == OPTIMAL and first.objectives[LATE] > window:
            window = first.objectives[LATE]  # the optimum under this window is the true one
        else:
            return first, window


def _overshoot(problem: Problem, solution: Result) -> int:
    """How far past its due period (and earliest end) a task of `solution` ends, at most."""
    est = earliest_starts(problem)
    over = 0
    for i, task in enumerate(problem.tasks):
        if task.due is not None:
            base = max(problem.last_period_at(task.due), est[i] + task.duration - 1)
            over = max(over, solution.starts[i] + task.duration - 1 - base)
    return over


def find_conflict(problem: Problem, clock: _Clock | None = None) -> tuple[str, ...]:
    """Names of constraint terms that admit no schedule together, minimal when time allows."""
    clock = clock or _Clock(30.0)
    pinned = pinned_part(problem)
    terms = _solve_with_assumptions(pinned, None, clock)
    if terms:
        problem = pinned  # the small part holds the whole conflict
    else:  # the horizon itself is too short: look at everything
        terms = _solve_with_assumptions(problem, None, clock)
    if not terms:
        return ()
    kept = list(terms)
    for term in list(kept):
        if clock.remaining() < 1.0:
            break
        trial = [t for t in kept if t != term]
        if _solve_with_assumptions(problem, set(trial), clock):
            kept = trial  # still impossible without `term`: it is not needed
    return tuple(kept)


# --- the CP-SAT model ---------------------------------------------------------------


@dataclass
class _TaskVars:
    start: cp_model.IntVar
    low: int  # the start's domain
    high: int
    chosen: dict[int, cp_model.IntVar]  # resource index -> presence literal
    late: cp_model.IntVar | None = None


class _Model:
    """One CP-SAT model of `problem`; with `enforce`, every constraint term is switchable."""

    def __init__(self, problem: Problem, est: list[int], lst: list[int], enforce: bool = False):
        self.problem = problem
        self.model = cp_model.CpModel()
        self.enforce = enforce
        self.terms: dict[str, cp_model.IntVar] = {}
        self.est, self.lst = est, lst
        self.vars: list[_TaskVars] = []
        self._time_of_last: dict[int, cp_model.IntVar] = {}
        self._time_of_start: dict[int, cp_model.IntVar] = {}
        self._add_tasks()
        self._add_precedences()
        self._add_resources()

    def _literal(self, term: str) -> list[cp_model.IntVar]:
        """The enforcement literal list of a constraint term (empty when not switchable)."""
        if not self.enforce:
            return []
        self.terms[term] = self.model.NewBoolVar(term)
        return [self.terms[term]]

    def _add_tasks(self) -> None:
        """Each task starts in its window and runs on exactly one of its resources."""
        m = self.model
        for i, task in enumerate(self.problem.tasks):
            low, high = (
                (0, self.problem.horizon - task.duration)
                if self.enforce
                else (
                    self.est[i],
                    self.lst[i],
                )
            )
            high = max(low, high)
            start = m.NewIntVar(low, high, f"start[{task.name}]")
            if self.enforce:
                if task.release is not None:
                    m.Add(start >= task.release).OnlyEnforceIf(
                        self._literal(f"release[{task.name}]")
                    )
                if task.deadline is not None:
                    m.Add(start + task.duration <= task.deadline).OnlyEnforceIf(
                        self._literal(f"deadline[{task.name}]")
                    )
                if task.fixed_start is not None:
                    m.Add(start == task.fixed_start).OnlyEnforceIf(
                        self._literal(f"fixed[{task.name}]")
                    )
            allowed = (task.fixed_resource,) if task.fixed_resource is not None else task.resources
            chosen = {}
            for r in allowed:
                name = f"assign[{task.name},{self.problem.resources[r].name}]"
                chosen[r] = m.NewConstant(1) if len(allowed) == 1 else m.NewBoolVar(name)
            if len(allowed) > 1:
                m.AddExactlyOne(chosen.values())
            self.vars.append(_TaskVars(start, low, high, chosen))

    def _add_precedences(self) -> None:
        """A successor starts after its predecessor ends, plus the delay."""
        tasks = self.problem.tasks
        for p in self.problem.precedences:
            pred, succ = self.vars[p.pred], self.vars[p.succ]
            when = self._literal(f"after[{tasks[p.pred].name}->{tasks[p.succ].name}]")
            if p.scale is Scale.PERIODS:
                ct = self.model.Add(succ.start >= pred.start + tasks[p.pred].duration + p.delay)
            else:
                ct = self.model.Add(
                    self.time_of_start(p.succ) >= self.time_of_last(p.pred) + p.delay
                )
            ct.OnlyEnforceIf(when)

    def _add_resources(self) -> None:
        """On every period, a resource's tasks use at most its capacity, none when unavailable."""
        m = self.model
        for r, resource in enumerate(self.problem.resources):
            intervals, demands = [], []
            for i, task in enumerate(self.problem.tasks):
                if r not in self.vars[i].chosen:
                    continue
                tv = self.vars[i]
                intervals.append(
                    m.NewOptionalFixedSizeIntervalVar(
                        tv.start, task.duration, tv.chosen[r], f"work[{task.name},{resource.name}]"
                    )
                )
                demands.append(task.demand)
            if not intervals:
                continue
            for k, (start, end) in enumerate(resource.unavailable):
                term = f"unavailable[{resource.name}#{k}]"
                present = self._literal(term)
                if present:
                    block = m.NewOptionalFixedSizeIntervalVar(start, end - start, present[0], term)
                else:
                    block = m.NewFixedSizeIntervalVar(start, end - start, term)
                intervals.append(block)
                demands.append(resource.capacity)
            if all(d == resource.capacity for d in demands):
                m.AddNoOverlap(intervals)
            else:
                m.AddCumulative(intervals, demands, resource.capacity)

    def time_of_last(self, i: int) -> cp_model.IntVar:
        """The time label of task i's last period."""
        if i not in self._time_of_last:
            offset = self.problem.tasks[i].duration - 1
            self._time_of_last[i] = self._time_at(
                i, offset, f"time_of_last[{self.problem.tasks[i].name}]"
            )
        return self._time_of_last[i]

    def time_of_start(self, i: int) -> cp_model.IntVar:
        """The time label of task i's first period."""
        if i not in self._time_of_start:
            self._time_of_start[i] = self._time_at(
                i, 0, f"time_of_start[{self.problem.tasks[i].name}]"
            )
        return self._time_of_start[i]

    def _time_at(self, i: int, offset: int, name: str) -> cp_model.IntVar:
        tv = self.vars[i]
        start = tv.start
        if self.problem.times is None:
            label = self.model.NewIntVar(0, self.problem.horizon, name)
            self.model.Add(label == start + offset)
            return label
        low, high = tv.low + offset, min(tv.high + offset, self.problem.horizon - 1)
        table = list(self.problem.times[low : high + 1])
        index = self.model.NewIntVar(0, len(table) - 1, f"{name}.index")
        self.model.Add(index == start + offset - low)
        label = self.model.NewIntVar(table[0], table[-1], name)
        self.model.AddElement(index, table, label)
        return label

    def add_lateness(self) -> cp_model.LinearExpr:
        """Each task's lateness: how far the time of its last period passes its due."""
        total = []
        for i, task in enumerate(self.problem.tasks):
            if task.due is None:
                continue
            late = self.model.NewIntVar(0, 10**7, f"late[{task.name}]")
            self.model.AddMaxEquality(late, [self.time_of_last(i) - task.due, 0])
            self.vars[i].late = late
            total.append(late)
        return sum(total) if total else cp_model.LinearExpr.Sum([])

    def delay(self, est: list[int], preferred: list[int | None]) -> cp_model.IntVar:
        """Periods by which tasks start after their earliest start, or away from their
        preferred start when they have one."""
        terms = []
        for i, tv in enumerate(self.vars):
            if preferred[i] is None:
                terms.append(tv.start - est[i])
            else:
                away = self.model.NewIntVar(
                    0, self.problem.horizon, f"away[{self.problem.tasks[i].name}]"
                )
                self.model.AddAbsEquality(away, tv.start - preferred[i])
                terms.append(away)
        total = self.model.NewIntVar(0, self.problem.horizon * max(1, len(terms)), "delay")
        self.model.Add(total == sum(terms))
        return total

    def add_hint(self, result: Result) -> None:
        """Start the search from an earlier solution."""
        for i, tv in enumerate(self.vars):
            self.model.AddHint(tv.start, result.starts[i])
            for r, lit in tv.chosen.items():
                if not isinstance(lit, int) and len(tv.chosen) > 1:
                    self.model.AddHint(lit, r == result.resources[i])

    def read(self, solver: cp_model.CpSolver) -> tuple[tuple[int, ...], ...]:
        """Starts, resources and lateness of the solver's current solution."""
        starts = tuple(solver.Value(v.start) for v in self.vars)
        resources = tuple(
            next(r for r, lit in v.chosen.items() if solver.BooleanValue(lit)) for v in self.vars
        )
        lateness = tuple(
            max(0, solver.Value(self.time_of_last(i)) - t.due) if t.due is not None else 0
            for i, t in enumerate(self.problem.tasks)
        )
        return starts, resources, lateness


# --- the solves ---------------------------------------------------------------------


class _Clock:
    def __init__(self, limit: float):
        self.begin = time.monotonic()
        self.limit = limit

    def elapsed(self) -> float:
        return time.monotonic() - self.begin

    def remaining(self) -> float:
        return max(0.0, self.limit - self.elapsed())


def _solver(seconds: float, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, seconds)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 0
    return solver


def _status(code: int) -> str:
    return {
        cp_model.OPTIMAL: OPTIMAL,
        cp_model.FEASIBLE: FEASIBLE,
        cp_model.INFEASIBLE: INFEASIBLE,
    }.get(code, UNKNOWN)


def _windows(problem: Problem, window: int | None) -> tuple[list[int], list[int]]:
    est = earliest_starts(problem)
    lst = latest_starts(problem, late_caps(problem, est, window))
    return est, lst


def _greedy_start(problem: Problem) -> Result | None:
    """The serial heuristic's schedule as a result, when it keeps every deadline."""
    found = serial_schedule(problem)
    if found is None:
        return None
    starts, resources = found
    late = []
    for task, first in zip(problem.tasks, starts, strict=True):
        if task.deadline is not None and first + task.duration > task.deadline:
            return None
        last_time = problem.time(first + task.duration - 1)
        late.append(max(0, last_time - task.due) if task.due is not None else 0)
    return Result(
        OPTIMAL if sum(late) == 0 else FEASIBLE,
        tuple(starts),
        tuple(resources),
        tuple(late),
        objectives={LATE: sum(late)},
        bounds={LATE: 0},
    )


def _feasibility(problem: Problem, clock: _Clock, workers: int) -> str:
    """Whether a schedule keeps the hard constraints, lateness aside (optimal: one does)."""
    for part in (pinned_part(problem), problem):  # the small part decides, unless the
        est, lst = _windows(part, None)  # horizon is too short for the rest
        if any(e > s for e, s in zip(est, lst, strict=True)):
            return INFEASIBLE
        status = _status(
            _solver(clock.remaining() * 0.5, workers).Solve(_Model(part, est, lst).model)
        )
        if status not in (OPTIMAL, FEASIBLE):
            return status
    return status


def _solve_lateness(
    problem: Problem, window: int | None, clock: _Clock, workers: int, hint: Result | None
) -> Result:
    est, lst = _windows(problem, window)
    if any(e > s for e, s in zip(est, lst, strict=True)):
        return Result(INFEASIBLE, runtime=clock.elapsed())
    built = _Model(problem, est, lst)
    lateness = built.add_lateness()
    built.model.Minimize(lateness)
    if hint is not None:
        built.add_hint(hint)
    solver = _solver(clock.remaining() * 0.6, workers)
    status = _status(solver.Solve(built.model))
    if status not in (OPTIMAL, FEASIBLE):
        return Result(status, runtime=clock.elapsed())
    starts, resources, late = built.read(solver)
    return Result(
        status,
        starts,
        resources,
        late,
        objectives={LATE: sum(late)},
        bounds={LATE: int(solver.BestObjectiveBound())},
        runtime=clock.elapsed(),
    )


def _solve_delay(
    problem: Problem,
    window: int | None,
    first: Result,
    clock: _Clock,
    workers: int,
    polish_time: float,
) -> Result:
    est, lst = _windows(problem, window)
    built = _Model(problem, est, lst)
    built.model.Add(built.add_lateness() <= first.objectives[LATE])
    delay = built.delay(est, preferred_starts(problem))
    # keep the first solution's resources where it costs no delay (its balance of work)
    kept = [tv.chosen[r] for tv, r in zip(built.vars, first.resources, strict=True)]
    built.model.Minimize(delay * (len(kept) + 1) - sum(kept))
    built.add_hint(first)
    solver = _solver(min(clock.remaining(), polish_time), workers)
    status = _status(solver.Solve(built.model))
    if status not in (OPTIMAL, FEASIBLE):
        return Result(UNKNOWN)
    starts, resources, late = built.read(solver)
    return Result(
        first.status,
        starts,
        resources,
        late,
        objectives={LATE: sum(late), DELAY: int(solver.Value(delay))},
        bounds={LATE: first.bounds[LATE], DELAY: _delay_bound(solver, len(kept))},
        runtime=clock.elapsed(),
    )


def _delay_bound(solver: cp_model.CpSolver, kept: int) -> int:
    """The proven bound on delay from the bound on delay * (kept + 1) - kept resources."""
    return max(0, -(-int(solver.BestObjectiveBound()) // (kept + 1)))


def _solve_with_assumptions(
    problem: Problem, only: set[str] | None, clock: _Clock
) -> list[str] | None:
    """The assumed terms CP-SAT blames when proven infeasible; None otherwise."""
    built = _Model(problem, [], [], enforce=True)
    names = [n for n in built.terms if only is None or n in only]
    for name, literal in built.terms.items():
        if name not in names:
            built.model.Add(literal == 0)
    built.model.AddAssumptions([built.terms[n] for n in names])
    solver = _solver(min(clock.remaining(), 10.0), 1)
    solver.parameters.cp_model_presolve = False
    status = solver.Solve(built.model)
    if status != cp_model.INFEASIBLE:
        return None
    blamed = set(solver.SufficientAssumptionsForInfeasibility())
    return [n for n in names if built.terms[n].Index() in blamed] or names
