"""Solve a `Problem` with OR-Tools CP-SAT.

Objectives, lexicographic: first the least total lateness (`late`), then the least total
delay (`delay`: the periods by which tasks start after their earliest possible start, so
that work is done early and leaves buffer before its due date). Each is its own CP-SAT
solve; the second keeps the first's optimum, starts from its solution and, where it costs
no delay, keeps its choice of resources (the heuristic spreads work evenly). The first is the
contract's objective and decides the status (`optimal` once its optimum is proven); the
second is a tie-break polished within a share of the effort, and its proven bound is
reported beside its value; a large problem's is polished a window of the schedule at a
time (`polish.py`: one model of it spent its share in presolve), without a bound.

One answer: every limit that decides a result is deterministic work, never seconds. The
`effort` is counted in CP-SAT's deterministic time (summed over the solves); with more than
one worker CP-SAT interleaves its subsolvers (`interleave_search`), which is deterministic
whatever the number of workers and the machine's load. The wall-clock `time_limit` is only
a safety net: a run it cuts short says so (`Result.cut_short`), since such a result may
differ between runs.

A serial list-scheduling heuristic (`greedy.py`) gives the first solution; when it has no
lateness at all, that is already the optimum of the first objective. When it is late or
misses a deadline, CP-SAT first searches the *near part* (`windows.near_part`: every task
within a margin of its due dates), small and quick, whose schedules are schedules of the
whole; the whole problem is then solved from the best of them, which proves or improves it.
The result is never worse than that first schedule. Before any search, cheap bounds
prove how little lateness is possible: every task's earliest end (`bounds.py`), the
backlog of work that each group of resources cannot clear in time (`load_bound.py`),
that backlog carried to the tasks after it (`chain_bound.py`) and the time-indexed linear
relaxation of each busy group's tasks (`lp_bound.py`); a first schedule that reaches them
is optimal. The relaxation's solution also says in which order to place the busy tasks:
more first schedules, the least late one kept. A large problem's first schedule that is
later than all of them is then bounded by its parts solved alone (`window_bound.py`). When
a smaller one is late, relaxations that limit one resource group only (`relaxation.py`)
give a proven lower bound, small models solved first: a schedule that reaches it is
optimal, and the search stops there.

The model's windows are cut soundly at both ends: below by `windows.early_floor` (no best
schedule needs a task to start earlier; the working calendar reaches years back), above by
the late window.

Lateness needs the time label of a task's last period, an element constraint whose size is
the task's end window. To keep it small the first solve caps each task's last period at
`max(due period, earliest last period) + late_window`. Any schedule that breaks a cap has a
task at least `late_window + 1` time units late, so a capped optimum of at most
`late_window` is the true optimum; otherwise the solve is repeated with the window widened.

`solve_makespan` is the other objective: the least makespan (a resource-constrained
project, RCPSP: tasks holding several renewable resources through `Task.uses`). The same
model, its start windows cut by precedences below and by the makespan of a first schedule
above (`sgs.py`: serial list scheduling with justification, also the search's hint), the
makespan bounded below by the longest chain, each resource's work and the one-machine bound
of the tasks that cannot overlap (`makespan_lower_bound`, `disjunctive.py`). The search gets
60% of the budget; when it ends within `PROOF_GAP` periods of its bound, the rest goes to
asking for a schedule one period shorter, with a redundant no-overlap constraint on each such
set of tasks, until none exists (the proof) or the budget ends; otherwise it searches on.

When no schedule exists, the model is rebuilt with one assumption literal per constraint
term (a release, a deadline, a resource's unavailable range, a precedence) and CP-SAT names
a set of terms that cannot hold together; it is shrunk to a minimal one when time allows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from scheduler.core import lns
from scheduler.core.bounds import date_bound
from scheduler.core.chain_bound import backlog_bounds
from scheduler.core.check import violations
from scheduler.core.disjunctive import clique_bound, disjunctive_cliques
from scheduler.core.greedy import deadline_first_schedule, serial_schedule
from scheduler.core.lns import SUB_EFFORT
from scheduler.core.lp_bound import lp_relaxation
from scheduler.core.polish import polish
from scheduler.core.problem import Problem, Scale
from scheduler.core.relaxation import only_group, resource_groups
from scheduler.core.result import FEASIBLE, INFEASIBLE, OPTIMAL, UNKNOWN, Result
from scheduler.core.sgs import shortest_schedule
from scheduler.core.window_bound import window_bound
from scheduler.core.windows import (
    earliest_starts,
    early_floor,
    late_caps,
    latest_starts,
    near_part,
    pinned_part,
    preferred_starts,
)
from scheduler.executors import IN_PROCESS, Executor

LATE = "late"
CHANGES = "changes"
DELAY = "delay"
MAKESPAN = "makespan"


DEFAULT_EFFORT = 20.0
LATE_WINDOW = 15  # time units past its due a task may end in the first lateness model
POLISH_SHARE = 0.25  # of the effort, at most, for the tie-break
POLISH_SLICE = 0.05  # of the effort per slice of the tie-break (stopped by a slice without gain)
WINDOW_SHARE = 0.1  # of the effort, at most, for the parts solved alone (large problems)
NEAR_SHARE = 0.2  # of the effort, at most, for first schedules near the due dates
NEAR_MARGINS = (20, 60, 180)  # periods before its preferred start a task may start there
CHANGE_SHARE = 0.25  # of the effort, at most, for least change (with a previous version)
RELAX_SHARE = 0.15  # of the effort, at most, for the lower bound of relaxations (when late)
RELAX_MAX_WINDOW = 60  # late window beyond which a relaxation is not tried
LNS_MIN_TASKS = 500  # tasks from which the search goes a part at a time (core/lns.py)
WHOLE_SHARE = 0.5  # of the search's work left, at most, for the whole model (with a start)
WHOLE_ONLY_TASKS = 100  # tasks below which the whole model takes all of it (a part would be
# nearly the whole: halving its work only left small problems unproven)


def solve(
    problem: Problem,
    *,
    effort: float = DEFAULT_EFFORT,
    time_limit: float = 600.0,
    workers: int = 2,
    late_window: int = LATE_WINDOW,
    explain: bool = True,
    progress: Callable[[str, int | None, int | None], None] | None = None,
    executor: Executor = IN_PROCESS,
    lateness_only: bool = False,
) -> Result:
    """The best schedule for `problem` found within `effort` units of deterministic work.

    The same problem, effort and workers give the same result on any machine under any
    load and on any `executor` (where the independent sub-solves of a large-neighbourhood
    search run); `time_limit` seconds is a safety net that, when it cuts the search short,
    marks the result `cut_short`. `progress(phase, late, bound)` is told each phase as it
    begins, with the least lateness found so far and its proven bound (None: not known).
    `lateness_only` stops once the least lateness is settled, before least change and the
    tie-break (which never change it): for a caller that reads only the lateness.
    """
    clock = _Budget(effort, time_limit)
    report = progress or (lambda _phase, _late, _bound: None)
    report("first schedule", None, None)
    dates, _ = date_bound(problem)  # no schedule is less late than its earliest ends
    large = len(problem.tasks) >= LNS_MIN_TASKS
    start = _greedy_start(problem)
    if start is None and large:  # (the near part of a large problem is large too)
        start = _greedy_start(problem, deadlines_first=True)
    backlog: dict[str, int] = {}
    if start is None or start.objectives[LATE] > dates:
        # nor than its groups' backlog of work allows, nor that backlog carried down its
        # chains (not needed when the first schedule meets the date bound: it is optimal)
        backlog["load"], backlog["chains"] = backlog_bounds(problem)
        relaxed_lp = lp_relaxation(problem)  # and each busy set's time-indexed relaxation
        backlog["lp"] = relaxed_lp.bound
        if start is None or start.objectives[LATE] > relaxed_lp.bound:
            # the busy sets' tasks placed in the order the relaxation starts them
            start = _better(start, _guided_start(problem, relaxed_lp.targets))
    known = max([dates, *backlog.values()])
    if start is None or (start.objectives[LATE] > known and not large):
        report("near part", _late_of(start), known)
        start = _near_start(problem, start, clock, workers, dates)
        if start is None:  # CP-SAT found none near the due dates: the deadlines first
            start = _greedy_start(problem, deadlines_first=True)
    relaxed = 0  # a proven lower bound of the least lateness from relaxations
    if (start is None or start.objectives[LATE] > known) and not large:
        # (their models are the whole problem's size: too large to solve when it is large)
        report("bound", _late_of(start), known)
        relaxed = _relaxed_bound(problem, clock, workers)
    # CP-SAT's models get the bounds they always had: a redundant floor on the lateness
    # changes their search, and a small one proves sooner without the load bound in it
    search_floor = max(dates, relaxed)
    floor = max([search_floor, *backlog.values()])
    parts = {"dates": dates, **backlog, "relaxation": relaxed}
    if start is not None and start.objectives[LATE] == floor:
        # no lateness at all, or as little as a bound allows: nothing can be better
        first, window = replace(start, status=OPTIMAL, bounds={LATE: floor}), late_window
    elif large and start is not None:
        # one model of the whole is too large to improve its first schedule: a part at a time
        report("neighbourhoods", _late_of(start), floor)

        def reprove(schedule: Result, only_proof: bool) -> int:
            # parts of the problem solved alone: small models, a bound the whole one cannot
            # give, and cheaper to prove from the search's schedule than from the first
            share = min(clock.effort * WINDOW_SHARE, _search_budget(problem, clock) - clock.spent)
            found = window_bound(problem, schedule, share, clock, executor,
                                 enough=schedule.objectives[LATE],
                                 only_proof=only_proof)  # fmt: skip
            parts["windows"] = max(parts.get("windows", 0), found)
            return found

        first = lns.improve(problem, start, floor, _search_budget(problem, clock), clock,
                            executor, reprove=reprove)  # fmt: skip
        window = max(late_window, _overshoot(problem, first))
    else:
        report("lateness", _late_of(start), floor)
        first, window = _least_lateness(problem, start, late_window, clock, workers, search_floor)
        parts["search"] = first.bounds.get(LATE, 0) if first.has_solution else 0
    if start is not None and (
        not first.has_solution or start.objectives[LATE] <= first.objectives[LATE]
    ):
        # Never worse than the first schedule (it keeps every hard constraint), and kept
        # where CP-SAT finds no better one: it lies near the due dates.
        proven = first.status == OPTIMAL and first.objectives[LATE] == start.objectives[LATE]
        bound = min(first.bounds.get(LATE, 0), start.objectives[LATE])
        first = replace(start, status=OPTIMAL if proven else FEASIBLE, bounds={LATE: max(0, bound)})
    if (
        not large
        and start is not None
        and first.status == FEASIBLE
        and _search_budget(problem, clock) - clock.spent > SUB_EFFORT / 10
    ):
        # the whole model stopped short of its proof: what is left of the search's share
        # goes to a part at a time
        low = max(floor, first.bounds.get(LATE, 0))
        first = lns.improve(problem, first, low, _search_budget(problem, clock), clock, executor)
        window = max(window, _overshoot(problem, first))
    if first.has_solution and floor > first.bounds.get(LATE, 0):
        proven = first.objectives[LATE] == floor
        first = replace(
            first, status=OPTIMAL if proven else first.status, bounds={**first.bounds, LATE: floor}
        )
    if first.status == INFEASIBLE:
        conflict = find_conflict(problem, clock) if explain else ()
        return clock.stamp(Result(INFEASIBLE, conflict=conflict, late_bounds=parts))
    if first.status == UNKNOWN:
        return clock.stamp(Result(UNKNOWN, late_bounds=parts))
    first = replace(first, late_bounds=parts)
    if lateness_only:
        return clock.stamp(first)
    if _has_previous(problem):
        report("least change", first.objectives[LATE], first.bounds.get(LATE))
        first = _previous_kept(problem, first) or _solve_changes(
            problem, window, first, clock, workers
        )
    report("tie-break", first.objectives[LATE], first.bounds.get(LATE))
    if large:
        return clock.stamp(_polish_delay(problem, window, first, clock, executor))
    second = _solve_delay(problem, window, first, clock, workers)
    return clock.stamp(second if second.has_solution else first)


def _late_of(result: Result | None) -> int | None:
    """The lateness of a schedule found so far (None: none found)."""
    return None if result is None else result.objectives[LATE]


PROOF_SHARE = 0.4  # of a makespan solve's budget kept for what follows its first search
PROOF_GAP = 3  # `_shorter_or_proof` when the first search left at most this many periods


def solve_makespan(
    problem: Problem,
    *,
    effort: float = DEFAULT_EFFORT,
    time_limit: float = 600.0,
    workers: int = 2,
    **parameters: object,
) -> Result:
    """The schedule of least makespan (the end of the last task) found within `effort`
    units of deterministic work, lateness and due dates aside; `objectives` and `bounds`
    give the makespan and its proven lower bound under `MAKESPAN`.

    Deterministic like `solve` as long as `effort` is what stops it; a run stopped by
    `time_limit` seconds instead is marked `cut_short`. `parameters` are CP-SAT parameters.
    """
    clock = _Budget(effort, time_limit)
    est = earliest_starts(problem)
    cliques = disjunctive_cliques(problem)
    low = makespan_lower_bound(problem, est, cliques)
    first = _shortest_start(problem)
    high = problem.horizon if first is None else first.objectives[MAKESPAN]
    if first is not None and high <= low:
        return clock.stamp(replace(first, status=OPTIMAL, bounds={MAKESPAN: high}))
    first_part = 1.0 - PROOF_SHARE
    found, bound = _least_makespan(
        problem, est, low, first, clock, effort * first_part, workers, first_part, parameters
    )
    if found is None:
        return clock.stamp(Result(INFEASIBLE if bound is None else UNKNOWN))
    if found.objectives[MAKESPAN] > bound:
        if found.objectives[MAKESPAN] - bound <= PROOF_GAP:
            found, bound = _shorter_or_proof(problem, est, cliques, found, bound, clock, workers)
        else:  # too far from a proof: the rest of the budget goes on searching
            found, bound = _least_makespan(
                problem, est, bound, found, clock, clock.remaining(), workers, 1.0, parameters
            )
    value = found.objectives[MAKESPAN]
    return clock.stamp(
        replace(
            found,
            status=OPTIMAL if value <= bound else FEASIBLE,
            bounds={MAKESPAN: min(value, bound)},
        )
    )


def _least_makespan(
    problem: Problem,
    est: list[int],
    low: int,
    start: Result | None,
    clock: _Budget,
    effort: float,
    workers: int,
    share: float,
    parameters: dict,
) -> tuple[Result | None, int | None]:
    """The shortest schedule CP-SAT finds from `start` (its hint, and its makespan the upper
    bound) within `effort` and `share` of the time left, with the proven lower bound; a
    None schedule when there is none, with a None bound when none can exist."""
    high = problem.horizon if start is None else start.objectives[MAKESPAN]
    lst = _latest_within(problem, est, high)
    if lst is None:
        return (start, high) if start is not None else (None, None)
    built = _Model(problem, est, lst)
    makespan = built.add_makespan(low, high)
    built.model.Minimize(makespan)
    if start is not None:
        built.add_hint(start)
    code, solver = clock.run(built.model, effort, workers, share=share, **parameters)
    status = _status(code)
    if status not in (OPTIMAL, FEASIBLE):  # nothing found, not even the hint: keep it
        return start, (None if status == INFEASIBLE and start is None else low)
    starts, resources, _ = built.read(solver)
    value = int(solver.Value(makespan))
    found = Result(FEASIBLE, starts, resources, objectives={MAKESPAN: value})
    return found, max(low, int(solver.BestObjectiveBound()))


def _shorter_or_proof(
    problem: Problem,
    est: list[int],
    cliques: list[tuple[int, ...]],
    found: Result,
    bound: int,
    clock: _Budget,
    workers: int,
) -> tuple[Result, int]:
    """With the budget left: a schedule one period shorter than `found`, again and again,
    or the proof that there is none (then `found`'s makespan is the bound). The model is
    asked for any schedule, no objective, and carries a redundant no-overlap constraint
    per set of tasks that cannot overlap (`disjunctive_cliques`), which prunes more."""
    while clock.elapsed() < clock.time_limit and clock.remaining() > 0:
        high = found.objectives[MAKESPAN] - 1
        lst = _latest_within(problem, est, high)
        if lst is None:
            return found, high + 1
        built = _Model(problem, est, lst)
        built.add_makespan(bound, high)
        built.add_no_overlaps(clique for clique in cliques if len(clique) >= 3)
        code, solver = clock.run(built.model, clock.remaining(), workers)
        if code == cp_model.INFEASIBLE:
            return found, high + 1
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return found, bound
        starts, resources, _ = built.read(solver)
        length = _makespan_of(problem, starts)
        found = replace(found, starts=starts, resources=resources, objectives={MAKESPAN: length})
        if length <= bound:
            return found, bound
    return found, bound


def _latest_within(problem: Problem, est: list[int], high: int) -> list[int] | None:
    """Each task's latest start when every task ends by `high`; None when some task's
    window is then empty."""
    lst = latest_starts(replace(problem, horizon=high))
    return None if any(e > s for e, s in zip(est, lst, strict=True)) else lst


def _makespan_of(problem: Problem, starts) -> int:
    """The end of the last task."""
    return max(s + t.duration for s, t in zip(starts, problem.tasks, strict=True))


def makespan_lower_bound(
    problem: Problem, est: list[int] | None = None, cliques: list[tuple[int, ...]] | None = None
) -> int:
    """A lower bound of every schedule's makespan: the longest chain of releases and
    precedences, each resource's work divided by its capacity (after the earliest start
    of its tasks; work on alternative resources is left out), and the one-machine bound
    of each set of tasks that cannot overlap (`disjunctive.clique_bound`)."""
    est = earliest_starts(problem) if est is None else est
    bound = max((e + t.duration for e, t in zip(est, problem.tasks, strict=True)), default=0)
    bound = max(bound, clique_bound(problem, est, cliques))
    for r, resource in enumerate(problem.resources):
        work = [
            (est[i], units * task.duration)
            for i, task in enumerate(problem.tasks)
            for used, units in task.uses
            if used == r
        ]
        if work:  # unavailable ranges left out: the bound stays a bound
            first = min(e for e, _ in work)
            total = sum(w for _, w in work)
            bound = max(bound, first + -(-total // resource.capacity))
    return bound


def _shortest_start(problem: Problem) -> Result | None:
    """The list-scheduling heuristic's schedule (`sgs.py`) as a result, when it keeps
    every hard constraint."""
    found = shortest_schedule(problem)
    if found is None or violations(problem, *found):
        return None
    starts, resources = found
    return Result(
        FEASIBLE,
        tuple(starts),
        tuple(resources),
        objectives={MAKESPAN: _makespan_of(problem, starts)},
        bounds={MAKESPAN: 0},
    )


def _least_lateness(
    problem: Problem,
    start: Result | None,
    window: int,
    clock: _Budget,
    workers: int,
    floor: int = 0,
) -> tuple[Result, int]:
    """The first objective's solve, widening the late window until its optimum is exact
    (`floor`: a proven lower bound, so that reaching it ends the search)."""
    if start is not None:  # the capped model must admit the heuristic's schedule
        window = max(window, _overshoot(problem, start))
    limit = None
    if start is not None and len(problem.tasks) >= WHOLE_ONLY_TASKS:
        # half of what is left, the rest for a part at a time (lns.py)
        limit = max(0.01, (_search_budget(problem, clock) - clock.spent) * WHOLE_SHARE)
    while True:
        first = _solve_lateness(problem, window, clock, workers, start, limit, floor=floor)
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


def _near_start(
    problem: Problem, start: Result | None, clock: _Budget, workers: int, floor: int = 0
) -> Result | None:
    """The better of `start` and the schedules CP-SAT finds when every task stays near its
    due dates (`near_part`, margins widening while its share of the effort lasts), until
    one reaches `floor`, a proven lower bound.

    Where the heuristic misses a due date or a deadline, the whole problem's windows reach
    far back (the working calendar covers years) and CP-SAT may find nothing in a small
    effort; the near part is small, and each of its schedules is one of the whole."""
    best = start
    budget = clock.spent + clock.effort * NEAR_SHARE
    for margin in NEAR_MARGINS:
        limit = min(budget, clock.effort) - clock.spent
        if limit < 0.01 or clock.out_of_time():
            break
        part = near_part(problem, margin)
        found = _solve_lateness(part, margin, clock, workers, best, limit, floor=floor)
        if found.has_solution and (best is None or found.objectives[LATE] < best.objectives[LATE]):
            late = found.objectives[LATE]
            best = replace(found, status=OPTIMAL if late <= floor else FEASIBLE, bounds={LATE: 0})
        if best is not None and best.objectives[LATE] <= floor:
            break
        if margin >= problem.horizon:
            break
    return best


def _relaxed_bound(problem: Problem, clock: _Budget, workers: int) -> int:
    """A proven lower bound of the least lateness: the largest least lateness of the
    relaxations that limit one resource group only (`relaxation.only_group`), each solved
    from its heuristic schedule within a share of the effort. Groups whose heuristic
    schedule is on time, or as late as its date bound (`bounds.date_bound`), bound nothing
    beyond the whole problem's date bound and cost nothing."""
    groups = resource_groups(problem)
    if len(groups) < 2:
        return 0  # the relaxation would be the problem itself
    late = []
    for group in groups:
        part = only_group(problem, group)
        start = _greedy_start(part)
        dates, _ = date_bound(part)
        if start is not None and start.objectives[LATE] > dates:
            late.append((part, start, dates))
    bound = 0
    for part, start, dates in late:
        if clock.out_of_time():
            break
        # a window up to the heuristic's total lateness makes the capped bound the true one;
        # a wide window makes the model large (gigabytes without presolve), so it is cut
        # to RELAX_MAX_WINDOW, and the bound with it (see _capped)
        window = min(start.objectives[LATE], max(RELAX_MAX_WINDOW, _overshoot(part, start)))
        if window > RELAX_MAX_WINDOW:
            continue  # months late: too large a model to bound
        limit = clock.effort * RELAX_SHARE / len(late)
        # CP-SAT's presolve costs these models more than it gives (they are proven sooner
        # without it)
        found = _solve_lateness(
            part, window, clock, workers, start, limit, floor=dates, cp_model_presolve=False
        )
        if found.has_solution:
            bound = max(bound, found.bounds[LATE])
    return bound


def _search_budget(problem: Problem, clock: _Budget) -> float:
    """The deterministic work, counted from the start, up to which the least-lateness
    search may go (the rest is kept for least change and the tie-break)."""
    reserve = clock.effort * (POLISH_SHARE + (CHANGE_SHARE if _has_previous(problem) else 0))
    return clock.effort - reserve


def _overshoot(problem: Problem, solution: Result) -> int:
    """How far past its due period (and earliest end) a task of `solution` ends, at most."""
    est = earliest_starts(problem)
    over = 0
    for i, task in enumerate(problem.tasks):
        if task.due is not None:
            base = max(problem.last_period_at(task.due), est[i] + task.duration - 1)
            over = max(over, solution.starts[i] + task.duration - 1 - base)
    return over


def find_conflict(problem: Problem, clock: _Budget | None = None) -> tuple[str, ...]:
    """Names of constraint terms that admit no schedule together, minimal when the effort
    allows."""
    clock = clock or _Budget(DEFAULT_EFFORT, 600.0)
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
        if clock.remaining() < 1.0 or clock.out_of_time():
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
        self._labels: list[tuple[int, int, cp_model.IntVar, cp_model.IntVar, int]] = []
        self._away: list[tuple[int, cp_model.IntVar, int]] = []  # (task, |start - preferred|)
        self._changed: list[tuple[int, cp_model.IntVar, int, int]] = []  # (task, literal, place)
        self._delay: tuple[cp_model.IntVar, list[int], list[int | None]] | None = None
        self._held: dict[int, cp_model.IntervalVar] = {}
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
            for i, task in enumerate(self.problem.tasks):
                for used, units in task.uses:
                    if used == r:
                        intervals.append(self.held(i))
                        demands.append(units)
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

    def held(self, i: int) -> cp_model.IntervalVar:
        """Task i's interval on the resources it uses (`Task.uses`), made once."""
        if i not in self._held:
            task, tv = self.problem.tasks[i], self.vars[i]
            self._held[i] = self.model.NewFixedSizeIntervalVar(
                tv.start, task.duration, f"hold[{task.name}]"
            )
        return self._held[i]

    def add_no_overlaps(self, cliques) -> None:
        """A redundant no-overlap constraint on each set of tasks that cannot overlap."""
        for clique in cliques:
            self.model.AddNoOverlap([self.held(i) for i in clique])

    def add_makespan(self, low: int, high: int) -> cp_model.IntVar:
        """The end of the last task, between `low` and `high`."""
        makespan = self.model.NewIntVar(low, high, "makespan")
        for tv, task in zip(self.vars, self.problem.tasks, strict=True):
            self.model.Add(makespan >= tv.start + task.duration)
        return makespan

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
        self._labels.append((i, offset, index, label, low))
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
                self._away.append((i, away, preferred[i]))
                terms.append(away)
        total = self.model.NewIntVar(0, self.problem.horizon * max(1, len(terms)), "delay")
        self.model.Add(total == sum(terms))
        self._delay = (total, est, preferred)
        return total

    def changes(self) -> cp_model.LinearExpr:
        """How many tasks start elsewhere or run on another resource than their previous
        version (each task counted once)."""
        terms: list = []
        for i, task in enumerate(self.problem.tasks):
            if task.previous is None:
                continue
            start, resource = task.previous
            tv = self.vars[i]
            if start is None or resource is None or not tv.low <= start <= tv.high:
                terms.append(1)  # its previous place is no longer possible
                continue
            if resource not in tv.chosen:
                terms.append(1)
                continue
            changed = self.model.NewBoolVar(f"changed[{task.name}]")
            self.model.Add(tv.start == start).OnlyEnforceIf(changed.Not())
            self.model.Add(tv.chosen[resource] == 1).OnlyEnforceIf(changed.Not())
            self._changed.append((i, changed, start, resource))
            terms.append(changed)
        return cp_model.LinearExpr.Sum(terms)

    def add_hint(self, result: Result) -> None:
        """Start the search from an earlier solution (every variable that it decides, so
        that CP-SAT takes it as its first solution when it fits the model)."""
        for i, tv in enumerate(self.vars):
            self.model.AddHint(tv.start, result.starts[i])
            for r, lit in tv.chosen.items():
                if not isinstance(lit, int) and len(tv.chosen) > 1:
                    self.model.AddHint(lit, r == result.resources[i])
        times = self.problem.times
        for i, offset, index, label, low in self._labels:
            period = result.starts[i] + offset
            self.model.AddHint(index, period - low)
            if times is not None and 0 <= period < len(times):
                self.model.AddHint(label, times[period])
        for i, tv in enumerate(self.vars):
            task = self.problem.tasks[i]
            if tv.late is not None and task.due is not None:
                last = self.problem.time(result.starts[i] + task.duration - 1)
                self.model.AddHint(tv.late, max(0, last - task.due))
        for i, away, preferred in self._away:
            self.model.AddHint(away, abs(result.starts[i] - preferred))
        for i, changed, start, resource in self._changed:
            moved = result.starts[i] != start or result.resources[i] != resource
            self.model.AddHint(changed, moved)
        if self._delay is not None:
            total, est, preferred = self._delay
            self.model.AddHint(
                total,
                sum(
                    result.starts[i] - est[i] if p is None else abs(result.starts[i] - p)
                    for i, p in enumerate(preferred)
                ),
            )

    def read(self, solver: cp_model.CpSolver) -> tuple[tuple[int, ...], ...]:
        """Starts, resources and lateness of the solver's current solution."""
        starts = tuple(solver.Value(v.start) for v in self.vars)
        resources = tuple(
            next((r for r, lit in v.chosen.items() if solver.BooleanValue(lit)), -1)
            for v in self.vars
        )
        lateness = tuple(
            max(0, solver.Value(self.time_of_last(i)) - t.due) if t.due is not None else 0
            for i, t in enumerate(self.problem.tasks)
        )
        return starts, resources, lateness


# --- the solves ---------------------------------------------------------------------


class _Budget:
    """The search's limits: deterministic work, which decides results, and wall-clock
    seconds, a safety net that only cuts a run short (and marks it so)."""

    def __init__(self, effort: float, time_limit: float):
        self.begin = time.monotonic()
        self.effort = effort
        self.time_limit = time_limit
        self.spent = 0.0  # CP-SAT deterministic time used so far
        self.cut_short = False

    def elapsed(self) -> float:
        """Wall-clock seconds since the start."""
        return time.monotonic() - self.begin

    def remaining(self) -> float:
        """Deterministic work left."""
        return max(0.0, self.effort - self.spent)

    def out_of_time(self) -> bool:
        """Whether the wall-clock safety limit has run out (the run is then cut short)."""
        if self.elapsed() >= self.time_limit:
            self.cut_short = True
        return self.cut_short

    def run(
        self,
        model: cp_model.CpModel,
        effort: float,
        workers: int,
        share: float = 1.0,
        **parameters: object,
    ) -> tuple[int, cp_model.CpSolver]:
        """Solve `model` within `effort` units of deterministic work (and `share` of the
        time left)."""
        solver = cp_model.CpSolver()
        limit = max(0.01, effort)
        seconds = max(0.1, (self.time_limit - self.elapsed()) * share)
        solver.parameters.max_deterministic_time = limit
        solver.parameters.max_time_in_seconds = seconds
        solver.parameters.num_workers = max(1, workers)
        solver.parameters.interleave_search = workers > 1
        solver.parameters.random_seed = 0
        for name, value in parameters.items():
            if isinstance(value, list | tuple):  # a repeated field
                getattr(solver.parameters, name).extend(value)
            else:
                setattr(solver.parameters, name, value)
        code = solver.Solve(model)
        self.spent += solver.ResponseProto().deterministic_time
        if code not in (cp_model.OPTIMAL, cp_model.INFEASIBLE) and solver.WallTime() >= (
            seconds * 0.98
        ):
            self.cut_short = True  # stopped by the clock, not by the work limit
        return code, solver

    def stamp(self, result: Result) -> Result:
        """`result` with this run's runtime, work and cut-short mark."""
        return replace(
            result, runtime=self.elapsed(), effort=round(self.spent, 3), cut_short=self.cut_short
        )


def _status(code: int) -> str:
    return {
        cp_model.OPTIMAL: OPTIMAL,
        cp_model.FEASIBLE: FEASIBLE,
        cp_model.INFEASIBLE: INFEASIBLE,
    }.get(code, UNKNOWN)


def _windows(problem: Problem, window: int | None) -> tuple[list[int], list[int]]:
    """Each task's first and last start in the model: the early floor and the late caps
    cut away only periods that some best schedule does not need."""
    est = earliest_starts(problem)
    floor = early_floor(problem, est)
    est = [max(e, floor) for e in est]
    lst = latest_starts(problem, late_caps(problem, est, window))
    return est, lst


def _guided_start(problem: Problem, targets: tuple[dict[int, int], ...]) -> Result | None:
    """The least late of the serial heuristic's schedules with the busy tasks placed by
    each set of targets from the LP relaxation (`lp_bound.py`) that keeps every deadline
    (None: none does, or there are no targets)."""
    best = None
    for k, urgencies in enumerate(targets):
        if urgencies and urgencies not in targets[:k]:  # (each set of targets once)
            found = _greedy_start(problem, urgencies=urgencies) or _greedy_start(
                problem, deadlines_first=True, urgencies=urgencies
            )
            best = _better(best, found)
    return best


def _better(start: Result | None, other: Result | None) -> Result | None:
    """The less late of two first schedules (`start` on a tie; None: there is none)."""
    if other is None or (start is not None and start.objectives[LATE] <= other.objectives[LATE]):
        return start
    return other


def _greedy_start(
    problem: Problem, deadlines_first: bool = False, urgencies: dict[int, int] | None = None
) -> Result | None:
    """The serial heuristic's schedule as a result, when it keeps every deadline
    (`deadlines_first`: the one that places the tasks of missed deadlines first;
    `urgencies`: see `greedy.serial_schedule`)."""
    if deadlines_first:
        found = deadline_first_schedule(problem, urgencies)
    else:
        found = serial_schedule(problem, urgencies=urgencies)
    if found is None or violations(problem, *found):
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


def _feasibility(problem: Problem, clock: _Budget, workers: int) -> str:
    """Whether a schedule keeps the hard constraints, lateness aside (optimal: one does)."""
    for part in (pinned_part(problem), problem):  # the small part decides, unless the
        est, lst = _windows(part, None)  # horizon is too short for the rest
        if any(e > s for e, s in zip(est, lst, strict=True)):
            return INFEASIBLE
        code, _ = clock.run(_Model(part, est, lst).model, clock.remaining() * 0.5, workers)
        status = _status(code)
        if status not in (OPTIMAL, FEASIBLE):
            return status
    return status


def _solve_lateness(
    problem: Problem,
    window: int | None,
    clock: _Budget,
    workers: int,
    hint: Result | None,
    limit: float | None = None,
    floor: int = 0,
    windows: tuple[list[int], list[int]] | None = None,
    below: int | None = None,
    **parameters: object,
) -> Result:
    """The least lateness with each task's end capped `window` past its due (see the
    module's docstring); its bound is clamped to window + 1, which any schedule breaking a
    cap exceeds, so that it bounds every schedule. `windows`: each task's first and last
    start when the caller has them (`_windows` of a problem this one was cut from).
    `below`: only whether a schedule less late than that exists: the first one found, or
    INFEASIBLE with `below` (clamped) as the bound."""
    est, lst = windows or _windows(problem, window)
    if any(e > s for e, s in zip(est, lst, strict=True)):
        return Result(INFEASIBLE)
    built = _Model(problem, est, lst)
    lateness = built.add_lateness()
    if floor > 0:
        built.model.Add(lateness >= floor)
    if below is None:
        built.model.Minimize(lateness)
    else:
        built.model.Add(lateness <= below - 1)
    if hint is not None:
        built.add_hint(hint)
    if limit is None:
        reserve = clock.effort * (POLISH_SHARE + (CHANGE_SHARE if _has_previous(problem) else 0))
        limit = clock.remaining() - reserve
    code, solver = clock.run(built.model, limit, workers, **parameters)
    status = _status(code)
    if below is not None and status == INFEASIBLE:
        return Result(INFEASIBLE, bounds={LATE: max(floor, _capped(below, window))})
    if status not in (OPTIMAL, FEASIBLE):
        return Result(status)
    starts, resources, late = built.read(solver)
    proven = _capped(int(solver.BestObjectiveBound()), window) if below is None else 0
    return Result(
        FEASIBLE if below is not None else status,
        starts,
        resources,
        late,
        objectives={LATE: sum(late)},
        bounds={LATE: max(floor, proven)},
    )


def _capped(bound: int, window: int | None) -> int:
    return bound if window is None else min(bound, window + 1)


def _has_previous(problem: Problem) -> bool:
    return any(task.previous is not None for task in problem.tasks)


def _previous_kept(problem: Problem, first: Result) -> Result | None:
    """The previous version itself, when every task has a place in it, it keeps every rule
    and it is no later than `first`: the least change is then none (proven) without a
    solve. None otherwise."""
    places = [task.previous for task in problem.tasks]
    if any(place is None or None in place for place in places):
        return None
    starts = [start for start, _ in places]
    resources = [resource for _, resource in places]
    if any(
        resource not in ((t.fixed_resource,) if t.fixed_resource is not None else t.resources)
        for t, resource in zip(problem.tasks, resources, strict=True)
    ) or violations(problem, starts, resources):
        return None
    late = tuple(lns.lateness_of(problem, starts))
    if sum(late) > first.objectives[LATE]:
        return None
    return replace(
        first,
        starts=tuple(starts),
        resources=tuple(resources),
        lateness=late,
        objectives={LATE: sum(late), CHANGES: 0},
        bounds={**first.bounds, CHANGES: 0},
    )


def _solve_changes(
    problem: Problem, window: int | None, first: Result, clock: _Budget, workers: int
) -> Result:
    """Least change: with the least lateness kept, the fewest tasks whose start or resource
    differs from their previous version."""
    est, lst = _windows(problem, window)
    built = _Model(problem, est, lst)
    built.model.Add(built.add_lateness() <= first.objectives[LATE])
    changes = built.changes()
    built.model.Minimize(changes)
    built.add_hint(first)
    code, solver = clock.run(built.model, clock.effort * CHANGE_SHARE, workers)
    if _status(code) not in (OPTIMAL, FEASIBLE):
        return first
    starts, resources, late = built.read(solver)
    return replace(
        first,
        starts=starts,
        resources=resources,
        lateness=late,
        objectives={LATE: sum(late), CHANGES: int(solver.ObjectiveValue())},
        bounds={**first.bounds, CHANGES: int(solver.BestObjectiveBound())},
    )


def _solve_delay(
    problem: Problem,
    window: int | None,
    first: Result,
    clock: _Budget,
    workers: int,
) -> Result:
    """The tie-break: with the least lateness (and least change) kept, the least delay,
    keeping `first`'s resources where that costs nothing. Solved in slices of
    deterministic work, each from the last one's schedule, until a slice gains nothing,
    the proof is done, or its share of the effort is spent."""
    est, lst = _windows(problem, window)
    built = _Model(problem, est, lst)
    built.model.Add(built.add_lateness() <= first.objectives[LATE])
    if CHANGES in first.objectives:
        built.model.Add(built.changes() <= first.objectives[CHANGES])
    delay = built.delay(est, preferred_starts(problem))
    # keep the first solution's resources where it costs no delay (its balance of work)
    kept = [tv.chosen[r] for tv, r in zip(built.vars, first.resources, strict=True)]
    built.model.Minimize(delay * (len(kept) + 1) - sum(kept))
    budget = clock.spent + clock.effort * POLISH_SHARE
    best, value, bound = None, None, 0
    while True:
        limit = min(clock.effort * POLISH_SLICE, budget - clock.spent)
        if limit < 0.01 or clock.out_of_time():
            break
        built.model.ClearHints()
        built.add_hint(best or first)
        code, solver = clock.run(built.model, limit, workers)
        if _status(code) not in (OPTIMAL, FEASIBLE):
            break
        gained = value is None or solver.ObjectiveValue() < value
        bound = max(bound, _delay_bound(solver, len(kept)))
        if gained:
            starts, resources, late = built.read(solver)
            value = solver.ObjectiveValue()
            best = replace(
                first,
                starts=starts,
                resources=resources,
                lateness=late,
                objectives={**first.objectives, LATE: sum(late), DELAY: int(solver.Value(delay))},
            )
        if not gained or _status(code) == OPTIMAL:
            break
    if best is None:
        return Result(UNKNOWN)
    return replace(best, bounds={**first.bounds, DELAY: min(bound, best.objectives[DELAY])})


def _polish_delay(
    problem: Problem, window: int | None, first: Result, clock: _Budget, executor: Executor
) -> Result:
    """The tie-break of a large problem, a window of the schedule at a time (`polish.py`)
    within its share of the effort: no task later (some may end sooner), the delay no
    higher."""
    est, _ = _windows(problem, window)
    budget = clock.spent + clock.effort * POLISH_SHARE
    polished, delay = polish(problem, first, est, preferred_starts(problem), budget, clock,
                             executor)  # fmt: skip
    late = sum(polished.lateness)
    return replace(
        polished,
        status=OPTIMAL if late <= first.bounds.get(LATE, 0) else first.status,
        objectives={**first.objectives, LATE: late, DELAY: delay},
    )


def _delay_bound(solver: cp_model.CpSolver, kept: int) -> int:
    """The proven bound on delay from the bound on delay * (kept + 1) - kept resources."""
    return max(0, -(-int(solver.BestObjectiveBound()) // (kept + 1)))


def _solve_with_assumptions(
    problem: Problem, only: set[str] | None, clock: _Budget
) -> list[str] | None:
    """The assumed terms CP-SAT blames when proven infeasible; None otherwise."""
    built = _Model(problem, [], [], enforce=True)
    names = [n for n in built.terms if only is None or n in only]
    for name, literal in built.terms.items():
        if name not in names:
            built.model.Add(literal == 0)
    built.model.AddAssumptions([built.terms[n] for n in names])
    status, solver = clock.run(built.model, 10.0, 1, cp_model_presolve=False)
    if status != cp_model.INFEASIBLE:
        return None
    blamed = set(solver.SufficientAssumptionsForInfeasibility())
    return [n for n in names if built.terms[n].Index() in blamed] or names
