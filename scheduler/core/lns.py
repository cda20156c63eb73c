"""Large-neighbourhood search: improve a schedule one part at a time, the rest fixed.

Where one CP-SAT model of the whole problem is too large to improve its first schedule
(thousands of tasks with year-long windows), the search re-solves small *neighbourhoods*
instead. A neighbourhood is a time window of the current schedule cut along the
task-resource graph: the tasks running in the window (or due in it, for a late task),
split into the connected components that their precedences and shared resource groups
form. Every other task stays where it is: its precedences become releases and deadlines of
the free tasks, and its work a fixed interval on its resources. CP-SAT minimises the free
tasks' lateness from their current places; a better answer is accepted. Every schedule
kept is a schedule of the whole problem, so the search never loses the one it started from
and never gets worse.

The components of one window share no resource and no precedence, so they are independent
sub-solves: they run through an executor (`scheduler.executors`), in order, and their
improvements are merged. A component of more than CHUNK tasks (many stores sharing their
designers make a window one component of hundreds) is too large for one sub-solve's work
to improve: it goes a slice at a time instead, CHUNK consecutive tasks in the order of
their starts, each slice half over the one before, each solved with the one before it in
place. Windows go from the first period to the last, then again,
shifted by half a window, then with wider windows, until a whole round of passes improves
nothing, the lateness reaches its proven lower bound, or the effort is spent. Each
sub-solve is bounded by deterministic work and runs one CP-SAT worker with a fixed seed:
the same problem and effort give the same schedule on any executor.

What it costs: an improvement that needs tasks far apart in time to move together (a
long chain, or a resource freed in one month for a task in another) is found only as far
as a window reaches; the result is a local optimum, as good as the bound it is reported
beside says.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace

import networkx as nx

from scheduler.core.bounds import date_bound
from scheduler.core.check import violations
from scheduler.core.problem import Problem, Task
from scheduler.core.result import FEASIBLE, OPTIMAL, Result
from scheduler.core.windows import follow, latest_before, per_problem, topological_precedences
from scheduler.executors import IN_PROCESS, Executor

WINDOWS = (20, 60)  # periods per window, in turn (four and twelve working weeks)
SUB_EFFORT = 1.0  # deterministic work per neighbourhood sub-solve, at most
MAX_FREE = 600  # tasks of a window's part, at most (the earliest-starting ones)
CHUNK = 200  # tasks free in one sub-solve, at most: a larger part goes a slice at a time
# CP-SAT's presolve took most of a sub-solve's work and time (a store's year: 0.1-0.2 units
# each with its probing, the same answers in a tenth of it with one light presolve pass)
SUB_PARAMETERS = {"cp_model_probing_level": 0, "max_presolve_iterations": 1, "symmetry_level": 0}


@dataclass(frozen=True)
class Neighbourhood:
    """One sub-solve's input: the sub-problem, where its free tasks are now, and limits."""

    problem: Problem  # the free tasks first (`free` of them), then the fixed ones it needs
    free: tuple[int, ...]  # their indices in the whole problem
    starts: tuple[int, ...]  # the sub-problem's current schedule (its hint)
    resources: tuple[int, ...]
    late: int  # the free tasks' current lateness
    effort: float
    time_limit: float
    below: int | None = None  # only whether its free tasks can be less late than this


@dataclass(frozen=True)
class Answer:
    """A sub-solve's result: better places of the free tasks, or none."""

    starts: tuple[int, ...] | None
    resources: tuple[int, ...] | None
    late: int
    effort: float
    cut_short: bool
    bound: int = 0  # the proven least lateness of the free tasks, with the others as they are


def improve(
    problem: Problem,
    start: Result,
    floor: int,
    budget: float,
    clock,
    executor: Executor = IN_PROCESS,
    window: tuple[int, ...] = WINDOWS,
    reprove: Callable[[Result, bool], int] | None = None,
) -> Result:
    """`start` improved neighbourhood by neighbourhood (see the module docstring) until its
    lateness reaches `floor` (a proven lower bound), a round of passes over every window
    size (`window`: periods) and offset gains nothing, or `clock` (cpsat's budget: `spent`,
    `out_of_time`, `time_limit`, `elapsed`) has spent `budget` units of deterministic work.

    `reprove(schedule, only_proof)` gives a proven lower bound that may be higher than
    `floor` (a bound from the parts of a good schedule is cheaper to prove than from the
    first schedule's): it is called with the search's schedule as soon as a pass first
    gains nothing, and once more with the last schedule when the search ends with work
    left, if that one is better and not yet proven; after each pass that gains, it is
    tried `only_proof`: given up as soon as it cannot prove that schedule optimal. Only
    the parts holding a task later than its own dates force (`bounds.date_bound`) are
    solved: the others cannot gain."""
    starts, resources = list(start.starts), list(start.resources)
    late = lateness_of(problem, starts)
    group_of = group_of_tasks(problem)
    _, own = date_bound(problem)  # each task's least lateness, from its earliest end
    # only tasks later than their own dates force can gain: the parts solved hold one
    excess = _excess(late, own)
    passes = [(size, offset) for size in window for offset in (0, size // 2)]
    reproved: int | None = None  # the lateness last given to `reprove`
    idle, turn = 0, 0
    while sum(late) > floor and idle < len(passes):
        size, offset = passes[turn % len(passes)]
        turn += 1
        gained = False
        for begin in range(offset - size if offset else 0, problem.horizon, size):
            if clock.spent >= budget or clock.out_of_time() or sum(late) <= floor:
                idle = len(passes)  # nothing left to spend, or nothing to gain: stop
                break
            parts = window_parts(problem, starts, excess, begin, begin + size, group_of)
            for batch in _batches(parts, excess):
                if clock.spent >= budget or clock.out_of_time():
                    break
                answers = _solve_batch(problem, starts, resources, late, batch, budget, clock,
                                       executor)  # fmt: skip
                for free, answer in answers:
                    for k, i in enumerate(free):
                        starts[i], resources[i] = answer.starts[k], answer.resources[k]
                if answers:
                    late = lateness_of(problem, starts)
                    excess = _excess(late, own)
                    gained = True
        idle = 0 if gained else idle + 1
        if reprove is not None and sum(late) > floor and clock.spent < budget:
            if gained:  # a try at proving the new schedule optimal, given up where it fails
                floor = max(floor, reprove(_as_result(start, starts, resources, late), True))
            elif idle == 1 and reproved is None:
                reproved = sum(late)
                floor = max(floor, reprove(_as_result(start, starts, resources, late), False))
    if (
        reprove is not None
        and sum(late) > floor
        and (reproved is None or sum(late) < reproved)
        and clock.spent < budget
        and not clock.out_of_time()
    ):
        floor = max(floor, reprove(_as_result(start, starts, resources, late), False))
    if violations(problem, starts, resources):
        return start  # never trade a schedule for a broken one
    bound = min(sum(late), max(floor, start.bounds.get("late", 0)))
    return _as_result(start, starts, resources, late, bound)


def _excess(late: list[int], own: list[int]) -> list[int]:
    """Each task's lateness beyond what its own dates force."""
    return [max(0, have - least) for have, least in zip(late, own, strict=True)]


def _as_result(
    start: Result, starts: list[int], resources: list[int], late: list[int], bound: int = 0
) -> Result:
    """`start` with the schedule `starts`, `resources` of lateness `late`, and `bound`."""
    total = sum(late)
    return replace(
        start,
        status=OPTIMAL if total <= bound else FEASIBLE,
        starts=tuple(starts),
        resources=tuple(resources),
        lateness=tuple(late),
        objectives={**start.objectives, "late": total},
        bounds={**start.bounds, "late": bound},
    )


def _batches(parts: list[list[int]], late: list[int]) -> list[list[list[int]]]:
    """The window's parts as batches of free task sets solved at once: the parts of at
    most CHUNK tasks together (they are independent), then each larger part a slice at a
    time (slices share resources, so each is solved with the one before in place)."""
    small = [part for part in parts if len(part) <= CHUNK]
    batches = [small] if small else []
    for part in parts:
        if len(part) > CHUNK:
            batches += [[piece] for piece in _slices(part, late)]
    return batches


def _slices(part: list[int], late: list[int]) -> list[list[int]]:
    """Runs of CHUNK consecutive tasks of `part` (in the order of their starts), each half
    over the one before, that hold a late task."""
    step = CHUNK // 2
    pieces = [part[k : k + CHUNK] for k in range(0, max(1, len(part) - step), step)]
    return [piece for piece in pieces if any(late[i] > 0 for i in piece)]


def _solve_batch(
    problem: Problem,
    starts: list[int],
    resources: list[int],
    late: list[int],
    batch: list[list[int]],
    budget: float,
    clock,
    executor: Executor,
) -> list[tuple[list[int], Answer]]:
    """The batch's free task sets re-placed from the current schedule, each within its
    share of the work left: the answers that make their tasks less late."""
    items = []
    for free in batch:
        sub, s, r = sub_problem(problem, starts, resources, free)
        items.append(
            Neighbourhood(
                sub, tuple(free), tuple(s), tuple(r), sum(late[i] for i in free),
                min(SUB_EFFORT, max(0.01, (budget - clock.spent) / len(batch))),
                max(0.1, clock.time_limit - clock.elapsed()),
            )
        )  # fmt: skip
    better = []
    for free, item, answer in zip(batch, items, executor.map(solve_neighbourhood, items),
                                  strict=True):  # fmt: skip
        clock.spent += answer.effort
        clock.cut_short = clock.cut_short or answer.cut_short
        if answer.starts is not None and answer.late < item.late:
            better.append((free, answer))
    return better


def solve_neighbourhood(item: Neighbourhood) -> Answer:
    """The least lateness of one neighbourhood's free tasks, searched from their current
    places with one CP-SAT worker within its effort (a module-level function of one
    picklable argument: executors may run it anywhere); with `below`, only whether they
    can be less late than that (proven not: the bound is `below`)."""
    from scheduler.core import cpsat  # cpsat runs this search: imported when it runs

    clock = cpsat._Budget(item.effort, item.time_limit)
    hint = Result(FEASIBLE, item.starts, item.resources)
    window = max(cpsat.LATE_WINDOW, cpsat._overshoot(item.problem, hint))
    n = len(item.free)
    est, lst = cpsat._windows(item.problem, window)
    kept = in_reach(item.problem, n, est, lst)
    problem = replace(item.problem, tasks=tuple(item.problem.tasks[k] for k in kept))
    hint = Result(FEASIBLE, tuple(item.starts[k] for k in kept),
                  tuple(item.resources[k] for k in kept))  # fmt: skip
    windows = ([est[k] for k in kept], [lst[k] for k in kept])
    found = cpsat._solve_lateness(problem, window, clock, 1, hint, item.effort, windows=windows,
                                  below=item.below, **SUB_PARAMETERS)  # fmt: skip
    if not found.has_solution:
        return Answer(None, None, item.late, clock.spent, clock.cut_short,
                      found.bounds.get("late", 0))  # fmt: skip
    return Answer(
        found.starts[:n], found.resources[:n], found.objectives["late"], clock.spent,
        clock.cut_short, found.bounds["late"],
    )  # fmt: skip


def in_reach(problem: Problem, free: int, est: list[int], lst: list[int]) -> list[int]:
    """The sub-problem's tasks its model needs: the `free` first ones, and the pinned ones
    whose work overlaps the periods the free ones may take (est .. lst + duration). A pinned
    task outside them can meet no free task on a resource (pinned tasks have no
    precedences in a sub-problem), so leaving it out changes no schedule the model allows."""
    tasks = problem.tasks
    low = min(est[:free], default=0)
    high = max((lst[k] + tasks[k].duration for k in range(free)), default=0)
    reach = [
        k
        for k in range(free, len(tasks))
        if tasks[k].fixed_start is None
        or (tasks[k].fixed_start < high and tasks[k].fixed_start + tasks[k].duration > low)
    ]
    return [*range(free), *reach]


def lateness_of(problem: Problem, starts) -> list[int]:
    """Each task's lateness when it starts at `starts`."""
    return [
        0 if t.due is None else max(0, problem.time(s + t.duration - 1) - t.due)
        for t, s in zip(problem.tasks, starts, strict=True)
    ]


def window_parts(
    problem: Problem,
    starts: list[int],
    late: list[int],
    begin: int,
    end: int,
    group_of: list[int] | None = None,
) -> list[list[int]]:
    """The free task sets of the window [begin, end): the tasks running in it, and the late
    ones due in it, split into the components their precedences and resource groups link
    (no shared resource, no precedence between two of them); only those holding a late
    task, each cut to its MAX_FREE earliest-starting tasks."""
    tasks = problem.tasks
    group_of = group_of or group_of_tasks(problem)
    inside = [
        i
        for i, t in enumerate(tasks)
        if (starts[i] < end and starts[i] + t.duration > begin)
        or (late[i] > 0 and t.due is not None and begin <= problem.last_period_at(t.due) < end)
    ]
    if not any(late[i] > 0 for i in inside):
        return []
    parts = []
    for component in independent_groups(problem, inside, group_of):
        if any(late[i] > 0 for i in component):
            parts.append(sorted(component, key=lambda i: (starts[i], i))[:MAX_FREE])
    return parts


def independent_groups(problem: Problem, chosen: list[int], group_of: list[int]) -> list[set]:
    """The tasks `chosen` in the groups that their precedences and resource groups
    (`group_of_tasks`) link, ordered by their first task: no two groups share a resource
    or a precedence, so each can be re-placed alone."""
    graph = nx.Graph()
    graph.add_nodes_from(chosen)
    inside = set(chosen)
    graph.add_edges_from(
        (p.pred, p.succ) for p in problem.precedences if p.pred in inside and p.succ in inside
    )
    first_of_group: dict[int, int] = {}
    for i in chosen:
        graph.add_edge(first_of_group.setdefault(group_of[i], i), i)
    return sorted(nx.connected_components(graph), key=min)


def group_of_tasks(problem: Problem) -> list[int]:
    """Each task's resource group (resources that tasks link as alternatives or hold
    together), the same number for tasks that may compete for a resource."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(problem.resources)))
    for task in problem.tasks:
        held = [*task.resources, *(r for r, _ in task.uses)]
        graph.add_edges_from(itertools.pairwise(held))
    root = {}
    for k, component in enumerate(sorted(nx.connected_components(graph), key=min)):
        for r in component:
            root[r] = k
    return [root[(*task.resources, *(r for r, _ in task.uses))[0]] for task in problem.tasks]


def sub_problem(
    problem: Problem,
    starts: list[int],
    resources: list[int],
    free: list[int],
    near: tuple[int, int] | None = None,
) -> tuple[Problem, list[int], list[int]]:
    """The problem of placing the `free` tasks with every other task where it is: their
    precedences with fixed tasks become releases and deadlines, fixed tasks on a resource
    the free ones may use stay there as pinned tasks without a due date (with `near`, the
    periods [low, high) the free tasks stay in, only those whose work overlaps them).
    Returns it and its current schedule (free tasks first, in the order given)."""
    chosen = set(free)
    index = {i: k for k, i in enumerate(free)}
    release = {i: problem.tasks[i].release for i in free}
    deadline = {i: problem.tasks[i].deadline for i in free}
    kept = []
    ordered, touching = topological_precedences(problem), _precedences_of(problem)
    for p in (ordered[k] for k in sorted({k for i in free for k in touching[i]})):
        if p.succ in chosen and p.pred not in chosen:
            at = follow(problem, p, starts[p.pred])
            release[p.succ] = at if release[p.succ] is None else max(release[p.succ], at)
        elif p.pred in chosen and p.succ not in chosen:
            end = latest_before(problem, p, starts[p.succ]) + problem.tasks[p.pred].duration
            deadline[p.pred] = end if deadline[p.pred] is None else min(deadline[p.pred], end)
        elif p.pred in chosen and p.succ in chosen:
            kept.append(replace(p, pred=index[p.pred], succ=index[p.succ]))
    tasks = [
        replace(problem.tasks[i], release=release[i], deadline=deadline[i], previous=None)
        for i in free
    ]
    usable = {
        r
        for i in free
        for r in (*problem.tasks[i].resources, *(u for u, _ in problem.tasks[i].uses))
    }
    fixed = []
    low, high = near or (0, problem.horizon)
    on = _tasks_on(problem)
    for j in sorted({j for r in usable for j in on[r]}):
        task = problem.tasks[j]
        if j in chosen or starts[j] >= high or starts[j] + task.duration <= low:
            continue
        own = (resources[j],) if resources[j] >= 0 else ()
        if not usable.intersection((*own, *(u for u, _ in task.uses))):
            continue
        fixed.append(j)
        tasks.append(
            Task(
                task.name,
                task.duration,
                own,
                demand=task.demand,
                fixed_start=starts[j],
                fixed_resource=own[0] if own else None,
                uses=task.uses,
            )
        )
    sub = replace(problem, tasks=tuple(tasks), precedences=tuple(kept), hint={})
    order = [*free, *fixed]
    return sub, [starts[i] for i in order], [resources[i] for i in order]


@per_problem
def _precedences_of(problem: Problem) -> list[list[int]]:
    """For each task, the positions in `topological_precedences` of its precedences."""
    touching: list[list[int]] = [[] for _ in problem.tasks]
    for k, p in enumerate(topological_precedences(problem)):
        touching[p.pred].append(k)
        touching[p.succ].append(k)
    return touching


@per_problem
def _tasks_on(problem: Problem) -> list[list[int]]:
    """For each resource, the tasks that may hold it (one of theirs, or one they use)."""
    on: list[list[int]] = [[] for _ in problem.resources]
    for j, task in enumerate(problem.tasks):
        for r in {*task.resources, *(u for u, _ in task.uses)}:
            on[r].append(j)
    return on
