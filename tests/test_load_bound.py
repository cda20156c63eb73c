"""The core's bounds from work, from work carried down chains and from parts
(`core/load_bound.py`, `core/chain_bound.py`, `core/window_bound.py`) against enumeration
and by hand.

A lower bound that is too high would make the solver stop early and call a late schedule
optimal, so each is checked against the least lateness found by enumerating every schedule
(tests/test_core.py's brute force), on tiny problems and on crowded ones where the bound is
above the date bound (so that the check is not idle).
"""

from __future__ import annotations

from hypothesis import event, given, note
from hypothesis import strategies as st
from property_settings import SEED_NOTE, property_test
from test_core import brute_force_lateness, tiny_problems
from test_lns import crowded

from scheduler.core import OPTIMAL, Precedence, Problem, Resource, Scale, Task, solve
from scheduler.core.bounds import date_bound
from scheduler.core.chain_bound import backlog_bounds, chain_bound
from scheduler.core.cpsat import _Budget, _greedy_start
from scheduler.core.load_bound import load_bound
from scheduler.core.window_bound import window_bound


def test_one_person_three_tasks_due_at_once_is_exact():
    # three tasks of two periods, all free from period 0 and due at period 1: ends 2, 4, 6,
    # so the least lateness is 0 + 2 + 4; each task alone is on time (date bound 0)
    problem = Problem(
        tuple(Task(f"t{i}", 2, (0,), release=0, due=1) for i in range(3)),
        (Resource("a", 1),),
        horizon=10,
    )
    assert date_bound(problem)[0] == 0
    assert load_bound(problem) == 6
    result = solve(problem, effort=1, time_limit=60)
    assert result.status == OPTIMAL and result.objectives["late"] == 6
    assert result.late_bounds["load"] == 6


def test_leave_and_calendar_days_count():
    # weekends: periods are working days, time labels skip two days after every fifth;
    # the person is away in periods 1..2, so two one-period tasks due at period 1 end at
    # periods 3 and 4 at the earliest: late (3 and 4 periods, 3 and 4 days here)
    times = tuple(d + 2 * (d // 5) for d in range(12))
    problem = Problem(
        (Task("a", 1, (0,), release=0, due=times[0]), Task("b", 1, (0,), release=0, due=times[0])),
        (Resource("p", 1, ((1, 3),)),),
        horizon=12,
        times=times,
    )
    exact = brute_force_lateness(problem)
    assert exact == 3
    assert date_bound(problem)[0] == 0
    assert 0 < load_bound(problem) <= exact


def test_a_chain_of_predecessors_only_keeps_its_earliest_end():
    # b follows a; both need the one person; b is due when a ends: b cannot be on time
    problem = Problem(
        (Task("a", 2, (0,), release=0, due=1), Task("b", 2, (0,), due=1)),
        (Resource("p", 1),),
        (Precedence(0, 1),),
        horizon=10,
    )
    assert load_bound(problem) <= brute_force_lateness(problem) == 2


@st.composite
def crowded_tiny(draw) -> Problem:
    """Four or five short tasks on one or two people, released early and due soon: the
    backlog, not any task alone, makes them late."""
    horizon = draw(st.integers(8, 10))
    gaps = draw(st.lists(st.integers(1, 2), min_size=horizon, max_size=horizon))
    times = tuple(sum(gaps[: i + 1]) for i in range(horizon))
    resources = tuple(
        Resource(f"r{k}", draw(st.sampled_from([1, 2])), draw(st.sampled_from([(), ((1, 3),)])))
        for k in range(draw(st.integers(1, 2)))
    )
    tasks = []
    for i in range(draw(st.integers(3, 5))):
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
                release=draw(st.integers(0, 2)),
                due=draw(st.sampled_from([None, times[1], times[2], times[3]])),
            )
        )
    return Problem(tuple(tasks), resources, (), horizon, times)


@property_test(local=100, ci=400, shrink=True)
@given(tiny_problems())
def test_the_backlog_bound_never_exceeds_the_least_lateness(problem):
    note(SEED_NOTE)
    expected = brute_force_lateness(problem)
    if expected is not None:
        assert date_bound(problem)[0] <= load_bound(problem) <= expected


@property_test(local=60, ci=200, shrink=True)
@given(crowded_tiny())
def test_the_backlog_bound_never_exceeds_the_least_lateness_when_crowded(problem):
    note(SEED_NOTE)
    expected = brute_force_lateness(problem)
    if expected is None:
        return
    bound = load_bound(problem)
    event("above the date bound" if bound > date_bound(problem)[0] else "the date bound")
    event("exact" if bound == expected else "below")
    assert bound <= expected


def _window_bound(problem: Problem) -> int | None:
    """The parts bound from the heuristic's schedule (None: the heuristic has none)."""
    start = _greedy_start(problem)
    if start is None:
        return None
    return window_bound(problem, start, 2.0, _Budget(2.0, 60))


@property_test(local=25, ci=60, shrink=True)
@given(st.one_of(tiny_problems(), crowded_tiny()))
def test_the_parts_bound_never_exceeds_the_least_lateness(problem):
    note(SEED_NOTE)
    expected = brute_force_lateness(problem)
    bound = _window_bound(problem)
    if expected is None or bound is None:
        return
    event("above the date bound" if bound > date_bound(problem)[0] else "the date bound")
    assert date_bound(problem)[0] <= bound <= expected


def test_crowded_teams_get_bounds_above_the_date_bound_and_below_what_is_found():
    """Four teams sharing two specialists (tests/test_lns.py's crowded problems): the
    backlog bound sees the specialists' overload, the chain bound that overload again in
    the team tasks after them, the parts of chains due in the same weeks solved alone see
    more than each task alone, and no schedule found is below any of them."""
    for seed in (1, 3):
        problem = crowded(seed, teams=4, chains=20)
        dates = date_bound(problem)[0]
        result = solve(problem, effort=1, time_limit=60)
        assert result.late_bounds["load"] == load_bound(problem)
        assert result.late_bounds["chains"] == chain_bound(problem) > load_bound(problem)
        parts = _window_bound(problem)
        assert parts is not None
        for bound in (load_bound(problem), chain_bound(problem), parts):
            assert dates < bound <= result.objectives["late"], (seed, dates, bound)


def test_a_backlog_carried_to_each_successor_is_exact():
    # the load bound's three tasks on one person (ends 2, 4, 6: 0 + 2 + 4 late), each
    # followed by a one-period task of an unlimited team due one period after it: each
    # successor is as late as its task (0 + 2 + 4 more), which its own earliest end hides
    person = tuple(Task(f"t{i}", 2, (0,), release=0, due=1) for i in range(3))
    after = tuple(Task(f"s{i}", 1, (1,), due=2) for i in range(3))
    problem = Problem(
        person + after,
        (Resource("a", 1), Resource("team", 3)),
        tuple(Precedence(i, 3 + i) for i in range(3)),
        horizon=10,
    )
    assert brute_force_lateness(problem) == 12
    assert load_bound(problem) == 6
    assert backlog_bounds(problem) == (6, 12)
    result = solve(problem, effort=1, time_limit=60)
    assert result.status == OPTIMAL and result.objectives["late"] == 12
    assert result.late_bounds["chains"] == 12


def test_a_successor_that_may_start_in_the_last_period_gains_nothing_from_it():
    # a delay of 0 time units lets the successor start in its predecessor's last period:
    # b may end with a, so a's backlog says nothing about b beyond b's own end
    problem = Problem(
        (
            Task("x", 2, (0,), release=0, due=1),
            Task("a", 1, (0,), release=0, due=1),
            Task("b", 1, (1,), due=1),
        ),
        (Resource("p", 1), Resource("team", 2)),
        (Precedence(1, 2, 0, Scale.TIME),),
        horizon=8,
    )
    exact = brute_force_lateness(problem)
    assert load_bound(problem) <= chain_bound(problem) <= exact


@st.composite
def chained_tiny(draw) -> Problem:
    """Two or three short tasks of a shared resource released early and due soon, each
    followed by a task (sometimes by a chain of two) of an unlimited team or of another
    person, with lags in periods or in time units: the shared backlog makes them late."""
    horizon = draw(st.integers(7, 9))
    gaps = draw(st.lists(st.integers(1, 2), min_size=horizon, max_size=horizon))
    times = tuple(sum(gaps[: i + 1]) for i in range(horizon))
    away = draw(st.sampled_from([(), ((1, 3),)]))
    resources = (
        Resource("shared", draw(st.sampled_from([1, 1, 2])), away),
        Resource("team", 3),
        Resource("other", 1, draw(st.sampled_from([(), ((3, 4),)]))),
    )
    tasks, precedences = [], []
    shared = draw(st.integers(2, 3))
    for i in range(shared):
        demand = draw(st.integers(1, resources[0].capacity))
        due = draw(st.sampled_from([times[0], times[1], times[2]]))
        tasks.append(Task(f"s{i}", draw(st.integers(1, 2)), (0,), demand, release=0, due=due))
    for k in range(draw(st.integers(1, 3))):
        # the first ones follow a shared task each, the others any task before them
        pred = k if k < shared else draw(st.integers(0, len(tasks) - 1))
        scale = draw(st.sampled_from([Scale.PERIODS, Scale.TIME]))
        precedences.append(Precedence(pred, len(tasks), draw(st.integers(0, 2)), scale))
        where = draw(st.sampled_from([(1,), (1,), (2,), (1, 2)]))
        due = draw(st.sampled_from([None, times[1], times[2], times[3], times[4]]))
        tasks.append(Task(f"f{k}", 1, where, due=due))
    return Problem(tuple(tasks), resources, tuple(precedences), horizon, times)


CHAIN_GAINS: list[bool] = []  # whether the chains saw more than the backlog, per example


@property_test(local=100, ci=200, shrink=True)
@given(chained_tiny())
def test_the_chain_bound_never_exceeds_the_least_lateness(problem):
    note(SEED_NOTE)
    expected = brute_force_lateness(problem)
    if expected is None:
        return
    load, chains = backlog_bounds(problem)
    assert load == load_bound(problem)
    event("above the backlog bound" if chains > load else "the backlog bound")
    event("exact" if chains == expected else "below")
    assert load <= chains <= expected
    CHAIN_GAINS.append(chains > load)


def test_the_chain_bound_is_above_the_backlog_bound_in_a_fair_share():
    """The property test above is not idle: in a fair share of its examples (it runs
    first, in file order; else here) the chains see more than the backlog alone."""
    if not CHAIN_GAINS:
        test_the_chain_bound_never_exceeds_the_least_lateness()
    assert sum(CHAIN_GAINS) >= 0.1 * len(CHAIN_GAINS), (sum(CHAIN_GAINS), len(CHAIN_GAINS))


@property_test(local=100, ci=400, shrink=True)
@given(st.one_of(tiny_problems(), crowded_tiny()))
def test_the_chain_bound_never_exceeds_the_least_lateness_of_other_tiny_problems(problem):
    note(SEED_NOTE)
    expected = brute_force_lateness(problem)
    if expected is not None:
        assert load_bound(problem) <= chain_bound(problem) <= expected
