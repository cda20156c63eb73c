"""Tasks that can never overlap, their one-machine bound, and the makespan solve's proof
step (scheduler/core/disjunctive.py, cpsat._shorter_or_proof).

Every bound is checked against the least makespan found by trying every start vector, and
every clique against every valid schedule: nothing here re-reads the solver's variables.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.core import MAKESPAN, OPTIMAL, Precedence, Problem, Resource, Task, cpsat
from scheduler.core.check import violations
from scheduler.core.disjunctive import (
    clique_bound,
    disjunctive_cliques,
    one_machine_bound,
    tails,
)
from scheduler.core.result import FEASIBLE, Result
from scheduler.core.windows import earliest_starts

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "psplib"


def valid_schedules(problem: Problem):
    """Every start vector within the horizon that keeps every rule (tiny problems)."""
    ranges = [range(problem.horizon - t.duration + 1) for t in problem.tasks]
    for starts in itertools.product(*ranges):
        if not violations(problem, list(starts), [-1] * len(starts)):
            yield starts


def makespan(problem: Problem, starts) -> int:
    return max(s + t.duration for s, t in zip(starts, problem.tasks, strict=True))


@st.composite
def small_projects(draw):
    """3-4 tasks holding 1-2 resources, a few forward precedences, a short horizon."""
    capacities = draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))
    n = draw(st.integers(3, 4))
    tasks = []
    for k in range(n):
        used = draw(st.lists(st.sampled_from(range(len(capacities))), unique=True, min_size=1))
        uses = tuple((r, draw(st.integers(1, capacities[r]))) for r in sorted(used))
        tasks.append(Task(f"t{k}", draw(st.integers(1, 3)), (), uses=uses))
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=3))
    precedences = tuple(Precedence(a, b, draw(st.integers(0, 1))) for a, b in sorted(chosen))
    return Problem(
        tuple(tasks),
        tuple(Resource(f"R{r}", c) for r, c in enumerate(capacities)),
        precedences,
        horizon=sum(t.duration for t in tasks) + len(precedences),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_projects())
def test_no_two_tasks_of_a_clique_overlap_in_any_valid_schedule(problem):
    cliques = disjunctive_cliques(problem)
    for starts in valid_schedules(problem):
        for clique in cliques:
            for i, j in itertools.combinations(clique, 2):
                ti, tj = problem.tasks[i], problem.tasks[j]
                apart = starts[i] + ti.duration <= starts[j] or starts[j] + tj.duration <= starts[i]
                assert apart, (clique, starts)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_projects())
def test_the_bounds_never_exceed_the_least_makespan(problem):
    least = min(makespan(problem, s) for s in valid_schedules(problem))
    est = earliest_starts(problem)
    assert clique_bound(problem, est) <= least
    assert cpsat.makespan_lower_bound(problem, est) <= least
    after = tails(problem)
    for i, task in enumerate(problem.tasks):  # each task's chain, at least
        assert est[i] + task.duration + after[i] <= least


def test_one_machine_bound_runs_the_longest_tail_first():
    # non-preemptive: b then a ends 2 + 5 = 7 for b, a at 5; preempting changes nothing
    assert one_machine_bound([(0, 3, 0), (0, 2, 5)]) == 7
    # c is released at 1 and has the longest tail: a is interrupted for it
    assert one_machine_bound([(0, 4, 0), (1, 1, 10)]) == 12
    assert one_machine_bound([(5, 2, 1)]) == 8


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(1, 4), st.integers(0, 6)), min_size=1, max_size=5
    )
)
def test_one_machine_bound_is_below_every_sequence(jobs):
    best = None
    for order in itertools.permutations(jobs):
        now, worst = 0, 0
        for release, duration, tail in order:
            now = max(now, release) + duration
            worst = max(worst, now + tail)
        best = worst if best is None else min(best, worst)
    bound = one_machine_bound(jobs)
    assert max(r + d + q for r, d, q in jobs) <= bound <= best


def test_the_proof_step_finds_a_shorter_schedule_or_proves_there_is_none():
    # three tasks that cannot overlap two by two (2 + 2 > 3), and one beside them
    problem = Problem(
        tasks=(
            Task("a", 2, (), uses=((0, 2),)),
            Task("b", 2, (), uses=((0, 2),)),
            Task("c", 1, (), uses=((0, 2),)),
            Task("d", 3, (), uses=((0, 1),)),
        ),
        resources=(Resource("R", 3),),
        horizon=12,
    )
    serial = (0, 2, 4, 5)  # valid, 8 long; the least makespan is 5
    assert not violations(problem, list(serial), [-1] * 4)
    found = Result(FEASIBLE, serial, (-1,) * 4, objectives={MAKESPAN: 8})
    est = earliest_starts(problem)
    clock = cpsat._Budget(5.0, 60.0)
    shorter, bound = cpsat._shorter_or_proof(
        problem, est, disjunctive_cliques(problem), found, 3, clock, 1
    )
    least = min(makespan(problem, s) for s in valid_schedules(problem))
    assert least == 5
    assert not violations(problem, list(shorter.starts), list(shorter.resources))
    assert shorter.objectives[MAKESPAN] == makespan(problem, shorter.starts) == least
    assert bound == least


@pytest.mark.skipif(not (DATA / "j30").is_dir(), reason=f"no PSPLIB data in {DATA}")
def test_the_clique_bound_proves_a_j30_instance_that_cp_sat_alone_did_not():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "psplib_for_cliques", Path(__file__).resolve().parents[1] / "benchmarks" / "psplib.py"
    )
    psplib = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = psplib
    spec.loader.exec_module(psplib)
    instance = psplib.parse_sm(DATA / "j30" / "j3045_2.sm")
    problem, real = psplib.to_problem(instance)
    optimum = psplib.read_references(DATA / "solutions", "j30")["j3045_2"]
    assert cpsat.makespan_lower_bound(problem) == optimum == 125
    result = cpsat.solve_makespan(problem, effort=1.0, workers=2)
    starts = psplib.job_starts(instance, real, result.starts)
    assert psplib.check_schedule(instance, starts) == []
    assert psplib.makespan_of(instance, starts) == result.objectives[MAKESPAN] == optimum
    assert result.status == OPTIMAL
