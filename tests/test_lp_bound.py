"""The time-indexed relaxation's bound and its guided first schedule (`core/lp_bound.py`).

A bound that is too high would make the solver stop early and call a late schedule
optimal: the bound is checked against enumeration on tiny problems (crowded ones, where it
is above the date bound, so that the check is not idle) and against what the solver finds
on larger ones. The guided first schedule is checked by a rule check written here, from
the problem's data alone.
"""

from __future__ import annotations

from hypothesis import event, given, note
from hypothesis import strategies as st
from property_settings import SEED_NOTE, property_test
from test_core import brute_force_lateness, tiny_problems
from test_lns import crowded
from test_load_bound import chained_tiny, crowded_tiny

from scheduler.core import Precedence, Problem, Resource, Scale, Task, solve
from scheduler.core import lp_bound as lp_bound_module
from scheduler.core.bounds import date_bound
from scheduler.core.chain_bound import backlog_bounds
from scheduler.core.cpsat import _greedy_start, _guided_start
from scheduler.core.lp_bound import lp_bound, lp_relaxation


def broken_rules(problem: Problem, starts: list[int], resources: list[int]) -> list[str]:
    """What a schedule breaks: a start before its release or past the horizon, a deadline,
    a precedence with its delay, a resource's capacity or leave (an empty list: none)."""
    broken = []
    tasks = problem.tasks
    load = {}
    for task, start, resource in zip(tasks, starts, resources, strict=True):
        end = start + task.duration
        if start < (task.release or 0) or end > problem.horizon:
            broken.append(f"{task.name}: starts at {start}")
        if task.deadline is not None and end > task.deadline:
            broken.append(f"{task.name}: ends at {end}, after its deadline")
        held = [(r, units) for r, units in task.uses]
        if task.resources:
            if resource not in task.resources:
                broken.append(f"{task.name}: on resource {resource}")
            held.append((resource, task.demand))
        for r, units in held:
            for period in range(start, end):
                load[r, period] = load.get((r, period), 0) + units
    for (r, period), units in load.items():
        resource = problem.resources[r]
        away = any(a <= period < b for a, b in resource.unavailable)
        if units > (0 if away else resource.capacity):
            broken.append(f"{resource.name}: {units} units in period {period}")
    for p in problem.precedences:
        pred_end = starts[p.pred] + tasks[p.pred].duration
        if p.scale is Scale.PERIODS:
            gap = starts[p.succ] - pred_end
        else:  # time units from the predecessor's last period to the successor's first
            gap = problem.time(starts[p.succ]) - problem.time(pred_end - 1)
        if gap < p.delay:
            broken.append(f"{tasks[p.pred].name} -> {tasks[p.succ].name}: {gap} < {p.delay}")
    return broken


def lateness(problem: Problem, starts: list[int]) -> int:
    """The total lateness of a schedule, from the due dates and time labels."""
    return sum(
        max(0, problem.time(start + task.duration - 1) - task.due)
        for task, start in zip(problem.tasks, starts, strict=True)
        if task.due is not None
    )


def test_one_person_three_tasks_due_at_once_is_exact():
    # three tasks of two periods, free from period 0 and due at period 1: ends 2, 4, 6, so
    # 0 + 2 + 4 late; the relaxation may split a task's start, but not its work
    problem = Problem(
        tuple(Task(f"t{i}", 2, (0,), release=0, due=1) for i in range(3)),
        (Resource("a", 1),),
        horizon=10,
    )
    assert date_bound(problem)[0] == 0
    assert lp_bound(problem) == 6 == brute_force_lateness(problem)


def test_the_backlog_is_priced_in_the_tasks_after_it():
    # the three tasks above, each followed by a one-period task of an unlimited team due one
    # period after it: each successor is as late as its task (0 + 2 + 4 more)
    person = tuple(Task(f"t{i}", 2, (0,), release=0, due=1) for i in range(3))
    after = tuple(Task(f"s{i}", 1, (1,), due=2) for i in range(3))
    problem = Problem(
        person + after,
        (Resource("a", 1), Resource("team", 3)),
        tuple(Precedence(i, 3 + i) for i in range(3)),
        horizon=10,
    )
    assert lp_bound(problem) == 12 == brute_force_lateness(problem)


def test_one_persons_chain_is_held_in_the_relaxation():
    # one person of two units: t3 (one period, both units) before t4 (two periods, one
    # unit), and three tasks beside them; found by a random search as a case where the
    # relaxation without the precedence rows gives 3, the least lateness being 4
    problem = Problem(
        (
            Task("t0", 2, (0,), demand=1, release=0, due=1),
            Task("t1", 2, (0,), demand=2, release=0, due=2),
            Task("t2", 1, (0,), demand=2, release=0, due=3),
            Task("t3", 1, (0,), demand=2, release=0, due=2),
            Task("t4", 2, (0,), demand=1, release=0, due=2),
        ),
        (Resource("a", 2),),
        (Precedence(3, 4),),
        horizon=9,
    )
    assert lp_bound(problem) == 4 == brute_force_lateness(problem)


@st.composite
def one_persons_chains(draw) -> Problem:
    """Five short tasks of one person (one to three units), released early and due soon,
    most after others (lags in periods or in time units): the precedence rows of
    the relaxation hold between them."""
    horizon = draw(st.integers(7, 9))
    gaps = draw(st.lists(st.integers(1, 2), min_size=horizon, max_size=horizon))
    times = tuple(sum(gaps[: i + 1]) for i in range(horizon))
    capacity = draw(st.sampled_from([2, 1, 3]))
    tasks, precedences = [], []
    for i in range(5):
        demand = draw(st.integers(1, capacity))
        due = draw(st.sampled_from(times[:3]))
        tasks.append(Task(f"t{i}", draw(st.sampled_from([2, 1])), (0,), demand, release=0, due=due))
        if i and draw(st.sampled_from([True, True, False])):
            scale = draw(st.sampled_from([Scale.PERIODS, Scale.PERIODS, Scale.TIME]))
            pred = draw(st.integers(0, i - 1))
            precedences.append(Precedence(pred, i, draw(st.integers(0, 1)), scale))
    resources = (Resource("a", capacity, draw(st.sampled_from([(), ((2, 3),)]))),)
    return Problem(tuple(tasks), resources, tuple(precedences), horizon, times)


LP_GAINS: list[bool] = []  # whether the relaxation saw more than the date bound, per example


@property_test(local=100, ci=150, shrink=True)
@given(st.one_of(tiny_problems(), crowded_tiny(), chained_tiny()))
def test_the_relaxation_never_exceeds_the_least_lateness(problem):
    note(SEED_NOTE)
    bound = checked_bound(problem)
    if bound is not None:
        LP_GAINS.append(bound > date_bound(problem)[0])


def checked_bound(problem: Problem) -> int | None:
    """The relaxation's bound, checked to lie between the date bound and the least
    lateness found by enumeration (None: the problem has no schedule)."""
    expected = brute_force_lateness(problem)
    if expected is None:
        return None
    bound = lp_bound(problem)
    dates = date_bound(problem)[0]
    event("above the date bound" if bound > dates else "the date bound")
    event("exact" if bound == expected else "below")
    assert dates <= bound <= expected
    return bound


ROW_GAINS: list[bool] = []  # whether the precedence rows raised the bound, per example


@property_test(local=200, ci=300, shrink=True)
@given(one_persons_chains())
def test_one_persons_chains_never_exceed_the_least_lateness(problem):
    note(SEED_NOTE)
    bound = checked_bound(problem)
    if bound is None:
        return
    real_inside = lp_bound_module._inside
    try:  # the same relaxation without its precedence rows
        lp_bound_module._inside = lambda *_: []
        without_rows = lp_bound(problem)
    finally:
        lp_bound_module._inside = real_inside
    assert without_rows <= bound
    event("the rows raise the bound" if bound > without_rows else "no gain from the rows")
    ROW_GAINS.append(bound > without_rows)


def test_the_precedence_rows_raise_the_bound_in_some_examples():
    """The property test above is not idle: in some of its examples (it runs first, in
    file order; else here) the precedence rows raise the bound."""
    if not ROW_GAINS:
        test_one_persons_chains_never_exceed_the_least_lateness()
    assert sum(ROW_GAINS) >= 0.01 * len(ROW_GAINS), (sum(ROW_GAINS), len(ROW_GAINS))


def test_the_relaxation_is_above_the_date_bound_in_a_fair_share():
    """The property test above is not idle: in a fair share of its examples (it runs
    first, in file order; else here) the relaxation sees more than each task alone."""
    if not LP_GAINS:
        test_the_relaxation_never_exceeds_the_least_lateness()
    assert sum(LP_GAINS) >= 0.1 * len(LP_GAINS), (sum(LP_GAINS), len(LP_GAINS))


def test_shared_specialists_are_bounded_above_the_backlog_and_below_what_is_found():
    """Four teams sharing two specialists (tests/test_lns.py's crowded problems): the
    relaxation prices the specialists' overload in the team tasks after them, above the
    backlog bounds, and no schedule the solver finds is below it."""
    for seed in (1, 3):
        problem = crowded(seed, teams=4, chains=20)
        _, chains = backlog_bounds(problem)
        bound = lp_bound(problem)
        result = solve(problem, effort=1, time_limit=60)
        assert result.late_bounds["lp"] == bound
        assert chains < bound <= result.objectives["late"], (seed, chains, bound)
        starts, resources = list(result.starts), list(result.resources)
        assert not broken_rules(problem, starts, resources)
        assert lateness(problem, starts) == result.objectives["late"]


def test_the_guided_first_schedule_keeps_every_rule_and_is_less_late():
    """The busy tasks placed in the order of their targets: a valid schedule, less late
    than the heuristic's own order, and what the solver starts from."""
    problem = crowded(1, teams=8, chains=25)
    relaxed = lp_relaxation(problem)
    plain, guided = _greedy_start(problem), _guided_start(problem, relaxed.targets)
    assert plain is not None and guided is not None
    for start in (plain, guided):
        assert not broken_rules(problem, list(start.starts), list(start.resources))
        assert lateness(problem, list(start.starts)) == start.objectives["late"]
    assert relaxed.bound <= guided.objectives["late"] < plain.objectives["late"]
    result = solve(problem, effort=1, time_limit=120)
    assert not broken_rules(problem, list(result.starts), list(result.resources))
    assert relaxed.bound <= result.objectives["late"] <= guided.objectives["late"]
