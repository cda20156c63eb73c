"""The domain-agnostic core against brute force on tiny problems, and its named conflicts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st
from property_settings import SEED_NOTE, property_test

from scheduler.core import (
    INFEASIBLE,
    OPTIMAL,
    Precedence,
    Problem,
    Resource,
    Scale,
    Task,
    solve,
)
from scheduler.core.greedy import serial_schedule
from scheduler.core.relaxation import only_group, resource_groups
from scheduler.core.windows import earliest_starts, early_floor


def brute_force_lateness(problem: Problem) -> int | None:
    """The least total lateness over every schedule, by enumeration (None: no schedule)."""
    n = len(problem.tasks)
    best: list[int | None] = [None]
    starts = [0] * n
    chosen = [0] * n
    usage = [[0] * problem.horizon for _ in problem.resources]
    for r, resource in enumerate(problem.resources):
        for a, b in resource.unavailable:
            for q in range(a, b):
                usage[r][q] = resource.capacity

    def lateness() -> int:
        total = 0
        for i, task in enumerate(problem.tasks):
            if task.due is not None:
                total += max(0, problem.time(starts[i] + task.duration - 1) - task.due)
        return total

    def precedences_hold() -> bool:
        for p in problem.precedences:
            pred, succ = problem.tasks[p.pred], p.succ
            if p.scale is Scale.PERIODS:
                if starts[succ] < starts[p.pred] + pred.duration + p.delay:
                    return False
            elif (
                problem.time(starts[succ])
                < problem.time(starts[p.pred] + pred.duration - 1) + p.delay
            ):
                return False
        return True

    def place(i: int) -> None:
        if i == n:
            if precedences_hold():
                value = lateness()
                if best[0] is None or value < best[0]:
                    best[0] = value
            return
        task = problem.tasks[i]
        last_start = problem.horizon - task.duration
        if task.deadline is not None:
            last_start = min(last_start, task.deadline - task.duration)
        for s in range(task.release or 0, last_start + 1):
            for r in task.resources:
                cap = problem.resources[r].capacity
                span = range(s, s + task.duration)
                if any(usage[r][q] + task.demand > cap for q in span):
                    continue
                for q in span:
                    usage[r][q] += task.demand
                starts[i], chosen[i] = s, r
                place(i + 1)
                for q in span:
                    usage[r][q] -= task.demand

    place(0)
    return best[0]


@st.composite
def tiny_problems(draw) -> Problem:
    horizon = draw(st.integers(6, 9))
    gaps = draw(st.lists(st.integers(1, 3), min_size=horizon, max_size=horizon))
    times = tuple(sum(gaps[: i + 1]) for i in range(horizon))
    resources = tuple(
        Resource(
            f"r{k}",
            draw(st.sampled_from([1, 2])),
            draw(st.sampled_from([(), ((2, 4),)])),
        )
        for k in range(draw(st.integers(1, 2)))
    )
    tasks = []
    for i in range(draw(st.integers(1, 4))):
        allowed = draw(
            st.lists(st.integers(0, len(resources) - 1), min_size=1, max_size=2, unique=True)
        )
        capacity = min(resources[r].capacity for r in allowed)
        tasks.append(
            Task(
                f"t{i}",
                draw(st.integers(1, 2)),
                tuple(allowed),
                demand=draw(st.integers(1, capacity)),
                release=draw(st.integers(0, 3)),
                deadline=draw(st.one_of(st.none(), st.integers(4, horizon))),
                due=draw(st.one_of(st.none(), st.integers(times[0], times[-1]))),
            )
        )
    precedences = []
    for succ in range(1, len(tasks)):
        if draw(st.booleans()):
            pred = draw(st.integers(0, succ - 1))
            scale = draw(st.sampled_from([Scale.PERIODS, Scale.TIME]))
            precedences.append(Precedence(pred, succ, draw(st.integers(0, 2)), scale))
    return Problem(tuple(tasks), resources, tuple(precedences), horizon, times)


@property_test(local=100, ci=1000, shrink=True)
@given(tiny_problems())
def test_solver_matches_brute_force(problem):
    """The proven least lateness equals enumeration's, and infeasible means no schedule."""
    note(SEED_NOTE)
    expected = brute_force_lateness(problem)
    result = solve(problem, effort=4, time_limit=60)
    if expected is None:
        assert result.status == INFEASIBLE
        assert result.conflict, "an infeasible problem names its conflicting terms"
    else:
        assert result.status == OPTIMAL
        assert result.objectives["late"] == expected
        assert sum(result.lateness) == expected


@st.composite
def grouped_problems(draw) -> Problem:
    """Tiny problems with two or three resources, so that they often fall into groups."""
    problem = draw(tiny_problems())
    extra = draw(st.integers(1, 2))
    resources = problem.resources + tuple(
        Resource(f"x{k}", 1, draw(st.sampled_from([(), ((1, 3),)]))) for k in range(extra)
    )
    tasks = tuple(
        replace(task, resources=(len(problem.resources) + draw(st.integers(0, extra - 1)),))
        if task.demand == 1 and draw(st.booleans())
        else task
        for task in problem.tasks
    )
    return replace(problem, tasks=tasks, resources=resources)


@property_test(local=60, ci=300, shrink=True)
@given(grouped_problems())
def test_a_one_group_relaxation_bounds_the_least_lateness(problem):
    """Each one-group relaxation is never later than the problem itself (enumeration of
    both), and the bound `solve` reports never exceeds the enumerated optimum."""
    note(SEED_NOTE)
    expected = brute_force_lateness(problem)
    groups = resource_groups(problem)
    event(f"{len(groups)} group(s)")
    for group in groups:
        relaxed = brute_force_lateness(only_group(problem, group))
        if expected is not None:
            assert relaxed is not None and relaxed <= expected, group
    result = solve(problem, effort=2, time_limit=60)
    if expected is not None:
        assert result.bounds["late"] <= expected <= result.objectives["late"]


@st.composite
def far_problems(draw) -> Problem:
    """Problems whose tasks mostly have no release and are due near the end of a long
    horizon: the model then starts them no earlier than windows.early_floor."""
    horizon = draw(st.integers(26, 30))
    gaps = draw(st.lists(st.integers(1, 2), min_size=horizon, max_size=horizon))
    times = tuple(sum(gaps[: i + 1]) for i in range(horizon))
    leave = draw(st.sampled_from([(), ((horizon - 8, horizon - 6),), ((3, 5),)]))
    resources = (Resource("r0", 1, leave), Resource("r1", draw(st.sampled_from([1, 2]))))
    tasks = []
    for i in range(draw(st.integers(2, 4))):
        allowed = tuple(draw(st.sampled_from([[0], [0], [1], [0, 1]])))
        capacity = min(resources[r].capacity for r in allowed)
        tasks.append(
            Task(
                f"t{i}",
                draw(st.sampled_from([1, 1, 2])),
                allowed,
                demand=draw(st.integers(1, capacity)),
                release=draw(st.sampled_from([None, None, horizon - 9])),
                deadline=draw(st.one_of(st.none(), st.integers(horizon - 6, horizon))),
                due=draw(st.sampled_from([None, times[-8], times[-5], times[-5]])),
            )
        )
    precedences = []
    for succ in range(1, len(tasks)):
        if draw(st.booleans()):
            scale = draw(st.sampled_from([Scale.PERIODS, Scale.TIME]))
            precedences.append(Precedence(succ - 1, succ, draw(st.integers(0, 2)), scale))
    return Problem(tuple(tasks), resources, tuple(precedences), horizon, times)


@property_test(local=30, ci=120, shrink=True)
@given(far_problems())
def test_the_early_floor_keeps_the_least_lateness(problem):
    """Cutting away the periods before the early floor keeps the proven least lateness
    (and the existence of a schedule) of enumeration over the whole horizon."""
    note(SEED_NOTE)
    floor = early_floor(problem, earliest_starts(problem))
    event("floor above 0" if floor > 0 else "floor 0")
    expected = brute_force_lateness(problem)
    result = solve(problem, effort=4, time_limit=60)
    if expected is None:
        assert result.status == INFEASIBLE
    else:
        assert result.status == OPTIMAL
        assert result.objectives["late"] == expected
        assert min(result.starts) >= floor


def test_conflict_names_the_leave_the_deadline_and_the_release():
    problem = Problem(
        tasks=(Task("register", 2, (0,), release=5, deadline=10), Task("poster", 1, (1,))),
        resources=(Resource("ops", 1, ((5, 10),)), Resource("design", 1)),
        horizon=20,
    )
    result = solve(problem, time_limit=5)
    assert result.status == INFEASIBLE
    assert set(result.conflict) == {
        "release[register]",
        "deadline[register]",
        "unavailable[ops#0]",
    }


def test_time_scale_precedence_counts_labels_not_periods():
    # periods are working days labelled by calendar day; a 3-day wait after day 4 (label 4)
    # means the successor's label must be >= 4 + 3 + 1 = 8: period 5 (label 8)
    times = (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)
    problem = Problem(
        tasks=(Task("ship", 1, (0,), release=4), Task("check", 1, (0,))),
        resources=(Resource("ops", 1),),
        precedences=(Precedence(0, 1, 4, Scale.TIME),),
        horizon=10,
        times=times,
    )
    result = solve(problem, time_limit=5)
    assert result.starts == (4, 6)


def test_cumulative_capacity_lets_two_half_loads_share_a_day():
    problem = Problem(
        tasks=(Task("a", 1, (0,), demand=50, due=0), Task("b", 1, (0,), demand=50, due=0)),
        resources=(Resource("half", 100),),
        horizon=5,
    )
    result = solve(problem, time_limit=5)
    assert result.starts == (0, 0) and result.objectives["late"] == 0


def test_greedy_respects_capacity_and_precedence():
    problem = Problem(
        tasks=(Task("a", 2, (0,)), Task("b", 2, (0,)), Task("c", 1, (0, 1))),
        resources=(Resource("r0", 1, ((0, 1),)), Resource("r1", 1)),
        precedences=(Precedence(0, 2, 1),),
        horizon=10,
    )
    starts, chosen = serial_schedule(problem)
    assert chosen == [0, 0, 1]  # c goes to r1, free while r0 is busy
    assert starts[0] >= 1 and starts[1] >= 1  # r0 is unavailable in period 0
    assert abs(starts[0] - starts[1]) >= 2  # both on r0, no overlap
    assert starts[2] >= starts[0] + 2 + 1


def test_greedy_keeps_a_pinned_task_where_it_is():
    """Work under way (a fixed start) keeps its place even when a more urgent task could
    take it first: the greedy schedule is then still a schedule (regression: the greedy slid
    the pinned task, and the solver returned that broken schedule as its start)."""
    problem = Problem(
        tasks=(
            Task("urgent", 2, (0,), release=0, due=2),
            Task("pinned", 2, (0,), fixed_start=1, fixed_resource=0),
        ),
        resources=(Resource("r0", 1),),
        horizon=10,
    )
    starts, chosen = serial_schedule(problem)
    assert starts[1] == 1 and chosen[1] == 0
    assert starts[0] >= 3  # not over the pinned task
    result = solve(problem, effort=2)
    assert result.status == OPTIMAL
    assert result.starts[1] == 1
    assert result.starts[0] >= 3 and result.objectives["late"] == sum(result.lateness) > 0


def test_problem_rejects_a_demand_above_capacity():
    with pytest.raises(ValueError, match="exceeds the capacity"):
        Problem((Task("a", 1, (0,), demand=2),), (Resource("r", 1),), horizon=3)


def test_conflict_in_a_large_problem_is_found_in_its_pinned_part():
    """300 free tasks beside one impossible strict one: the conflict names only that one."""
    free = tuple(Task(f"free{i}", 2, (0, 1), release=i % 50, due=60) for i in range(300))
    strict = Task("register", 2, (0,), release=5, deadline=8)
    problem = Problem(
        tasks=(*free, strict),
        resources=(Resource("ops", 1, ((5, 9),)), Resource("design", 1)),
        horizon=400,
    )
    result = solve(problem, time_limit=20)
    assert result.status == INFEASIBLE
    assert set(result.conflict) == {"release[register]", "deadline[register]", "unavailable[ops#0]"}
