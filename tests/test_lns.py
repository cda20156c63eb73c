"""The date bound and the large-neighbourhood search of the core, on generated problems.

Every schedule is checked by `core.check.violations` (written apart from the model and the
search) and its lateness recomputed here from the problem's definitions.
"""

from __future__ import annotations

import pickle
import random
from dataclasses import replace

from hypothesis import given, note
from property_settings import SEED_NOTE, property_test
from test_core import brute_force_lateness, tiny_problems

from scheduler.core import (
    FEASIBLE,
    OPTIMAL,
    Precedence,
    Problem,
    Resource,
    Scale,
    Task,
    cpsat,
    lns,
    solve,
)
from scheduler.core.bounds import date_bound, earliest_ends
from scheduler.core.check import violations
from scheduler.core.greedy import deadline_first_schedule, serial_schedule
from scheduler.core.window_bound import window_bound
from scheduler.executors import IN_PROCESS


def lateness(problem: Problem, starts) -> int:
    """Total lateness of a schedule, from the definitions."""
    return sum(
        max(0, problem.time(s + t.duration - 1) - t.due)
        for t, s in zip(problem.tasks, starts, strict=True)
        if t.due is not None
    )


def crowded(seed: int, teams: int = 3, chains: int = 14) -> Problem:
    """Teams of two people and a shared pair of specialists, chains of three tasks (team,
    specialist, team) due too soon for everybody to be on time; weekends skip time labels."""
    rng = random.Random(seed)
    resources = [Resource(f"team{k}.{m}", 1) for k in range(teams) for m in range(2)]
    resources += [
        Resource("special.0", max(2, teams // 2), ((20, 25),)),
        Resource("special.1", 1, ((40, 44),)),
    ]
    shared = (len(resources) - 2, len(resources) - 1)
    horizon = 90
    times = tuple(d + 2 * (d // 5) for d in range(horizon))  # five working days a week
    tasks, precedences = [], []
    for k in range(teams):
        team = (2 * k, 2 * k + 1)
        for c in range(chains):
            release = rng.randrange(0, 60)
            due = times[min(horizon - 1, release + rng.randrange(3, 9))]
            first = len(tasks)
            tasks.append(Task(f"t{k}.{c}.a", rng.randrange(1, 3), team, release=release))
            tasks.append(Task(f"t{k}.{c}.b", rng.randrange(1, 4), shared, due=due - 1))
            tasks.append(Task(f"t{k}.{c}.c", 1, team, due=due))
            precedences.append(Precedence(first, first + 1, rng.randrange(0, 2)))
            precedences.append(Precedence(first + 1, first + 2, 1, Scale.TIME))
    return Problem(tuple(tasks), tuple(resources), tuple(precedences), horizon, times)


def greedy(problem: Problem):
    start = cpsat._greedy_start(problem)
    assert start is not None and not violations(problem, list(start.starts), list(start.resources))
    return start


class Clock:
    """The budget the search spends: cpsat's own, for the given effort."""

    def __new__(cls, effort: float):
        return cpsat._Budget(effort, 120.0)


def test_the_search_improves_on_the_first_schedule_and_keeps_every_rule():
    gains = []
    for seed in (3, 4, 5):
        problem = crowded(seed)
        start = greedy(problem)
        assert start.objectives["late"] > 0, "the generator must make late problems"
        floor, _ = date_bound(problem)
        found = lns.improve(problem, start, floor, 4.0, Clock(4.0))
        assert not violations(problem, list(found.starts), list(found.resources))
        assert found.objectives["late"] == lateness(problem, found.starts)
        assert sum(found.lateness) == found.objectives["late"]
        assert floor <= found.objectives["late"] <= start.objectives["late"]
        assert found.status == (OPTIMAL if found.objectives["late"] == floor else FEASIBLE)
        gains.append(start.objectives["late"] - found.objectives["late"])
    assert max(gains) > 0, "the search improves some of them"


def test_the_search_gives_the_same_schedule_every_time_and_on_any_executor():
    problem = crowded(7)
    start = greedy(problem)

    class Pickling:
        """Runs each call on a copy that went through pickle, last item first (as a remote
        worker would get it), and returns the results in the order given."""

        def __init__(self):
            self.calls = 0

        def map(self, fn, items):
            self.calls += len(items)
            copied = [pickle.loads(pickle.dumps((fn, item))) for item in items]
            done = [f(item) for f, item in reversed(copied)]
            return [pickle.loads(pickle.dumps(r)) for r in reversed(done)]

    runs = []
    pickling = Pickling()
    for executor in (IN_PROCESS, IN_PROCESS, pickling):
        found = lns.improve(problem, start, 0, 1.5, Clock(1.5), executor)
        runs.append((found.starts, found.resources, found.objectives["late"]))
    assert pickling.calls > 0
    assert runs[0] == runs[1] == runs[2]


def test_components_of_a_window_share_no_resource_group_and_no_precedence():
    problem = crowded(3, teams=4)
    start = greedy(problem)
    late = list(start.lateness)
    groups = lns.group_of_tasks(problem)
    seen = 0
    for begin in range(0, problem.horizon, 20):
        parts = lns.window_parts(problem, list(start.starts), late, begin, begin + 20)
        owner = {i: k for k, part in enumerate(parts) for i in part}
        for part in parts:
            assert any(late[i] > 0 for i in part)
        for p in problem.precedences:
            if p.pred in owner and p.succ in owner:
                assert owner[p.pred] == owner[p.succ]
        for a in owner:
            for b in owner:
                if groups[a] == groups[b]:
                    assert owner[a] == owner[b]
        seen += len(parts)
    assert seen > 0


def test_solve_goes_a_part_at_a_time_on_a_large_problem():
    problem = crowded(11, teams=12)
    assert len(problem.tasks) >= cpsat.LNS_MIN_TASKS
    start = greedy(problem)
    result = solve(problem, effort=2, time_limit=120)
    assert result.has_solution
    assert not violations(problem, list(result.starts), list(result.resources))
    assert result.objectives["late"] == lateness(problem, result.starts)
    assert result.objectives["late"] <= start.objectives["late"]
    assert result.late_bounds["dates"] == date_bound(problem)[0]
    assert result.bounds["late"] == max(result.late_bounds.values())
    assert result.bounds["late"] <= result.objectives["late"]


def test_a_task_whose_every_person_is_on_leave_waits_for_the_first_back():
    # period = day; both people away 2..6 and 2..9: the task of 3 days due at 4 starts at 7
    problem = Problem(
        (Task("t", 3, (0, 1), release=1, due=4), Task("u", 1, (0, 1), due=12)),
        (Resource("a", 1, ((2, 7),)), Resource("b", 1, ((2, 10),))),
        (Precedence(0, 1, 2),),
        horizon=20,
    )
    assert earliest_ends(problem) == [10, 13]  # 7..9, then u at 12 after two periods
    bound, each = date_bound(problem)
    assert each == [5, 0] and bound == 5
    result = solve(problem, effort=2, time_limit=60)
    assert result.status == OPTIMAL and result.objectives["late"] == 5
    assert result.late_bounds["dates"] == 5


@property_test(local=100, ci=500, shrink=True)
@given(tiny_problems())
def test_the_date_bound_never_exceeds_the_least_lateness(problem):
    note(SEED_NOTE)
    expected = brute_force_lateness(problem)
    if expected is not None:
        assert date_bound(problem)[0] <= expected


def test_a_part_too_large_for_one_sub_solve_goes_a_slice_at_a_time(monkeypatch):
    # the teams share the specialists: a window's part is one component, here larger than
    # a sub-solve of (at most) 30 tasks
    monkeypatch.setattr(lns, "CHUNK", 30)
    problem = crowded(5, teams=4, chains=16)
    start = greedy(problem)
    late = list(start.lateness)
    large = [
        part
        for begin in range(0, problem.horizon, 20)
        for part in lns.window_parts(problem, list(start.starts), late, begin, begin + 20)
        if len(part) > lns.CHUNK
    ]
    assert large, "no part is larger than a sub-solve: the test is idle"
    for part in large:
        batches = lns._batches([part], late)
        assert all(len(batch) == 1 and len(batch[0]) <= lns.CHUNK for batch in batches)
        covered = {i for batch in batches for i in batch[0]}
        assert covered <= set(part)
        assert {i for i in part if late[i] > 0} <= covered  # every late task gets a slice
    found = lns.improve(problem, start, 0, 2.0, Clock(2.0))
    assert not violations(problem, list(found.starts), list(found.resources))
    assert found.objectives["late"] == lateness(problem, found.starts)
    assert found.objectives["late"] < start.objectives["late"]


def urgent_before_strict(teams: int) -> Problem:
    """`teams` people, each with ten one-day tasks due in the first week and one five-day
    task due at period 10 that must end by then (its deadline): the urgent small tasks come
    first in the heuristic's order and push the strict one past its deadline, although it
    fits when placed first (the small tasks are then late, which is allowed)."""
    tasks = []
    for team in range(teams):
        small = [Task(f"small{team}_{k}", 1, (team,), release=0, due=k // 2 + 1) for k in range(10)]
        tasks += small
        tasks.append(Task(f"strict{team}", 5, (team,), release=0, due=9, deadline=10))
    resources = tuple(Resource(f"person{team}") for team in range(teams))
    return Problem(tuple(tasks), resources, (), horizon=40)


def test_the_heuristic_places_a_strict_task_pushed_past_its_deadline_first():
    problem = urgent_before_strict(3)
    plain = serial_schedule(problem)
    assert plain is not None and plain[0][10] + 5 > 10  # the plain heuristic misses it
    starts, resources = deadline_first_schedule(problem)
    assert violations(problem, starts, resources) == []
    assert all(starts[team * 11 + 10] + 5 <= 10 for team in range(3))
    # two strict tasks on one person that cannot both keep their deadlines: None
    strict = replace(problem.tasks[10], deadline=8)
    tasks = (*problem.tasks[:10], strict, strict)
    clash = replace(problem, tasks=tasks, resources=(Resource("p"),))
    assert deadline_first_schedule(clash) is None


def test_a_large_problem_with_such_a_strict_task_is_solved_within_its_rules():
    problem = urgent_before_strict(cpsat.LNS_MIN_TASKS // 11 + 1)
    result = solve(problem, effort=2)
    assert result.status in (OPTIMAL, FEASIBLE), result.status
    assert violations(problem, result.starts, result.resources) == []
    assert result.objectives["late"] == lateness(problem, result.starts)


def test_a_bound_proven_from_the_search_s_schedule_ends_it_as_optimal():
    problem = crowded(4)
    start = greedy(problem)
    floor, _ = date_bound(problem)
    plain = lns.improve(problem, start, floor, 4.0, Clock(4.0))
    assert plain.objectives["late"] > floor, "the search alone leaves it unproven"
    seen = []

    def reprove(schedule, only_proof):  # tries fail; the full bound proves it least
        assert not violations(problem, list(schedule.starts), list(schedule.resources))
        seen.append((schedule.objectives["late"], only_proof))
        return floor if only_proof else schedule.objectives["late"]

    found = lns.improve(problem, start, floor, 4.0, Clock(4.0), reprove=reprove)
    assert found.status == OPTIMAL and found.bounds["late"] == found.objectives["late"]
    assert seen[-1] == (found.objectives["late"], False)
    tries = seen[:-1]
    assert tries and all(only_proof for _, only_proof in tries), seen
    lates = [late for late, _ in tries]
    assert lates == sorted(set(lates), reverse=True), "one try per pass that gains"


def test_a_try_that_proves_the_first_pass_s_schedule_ends_the_search_there():
    problem = crowded(4)
    start = greedy(problem)
    floor, _ = date_bound(problem)
    seen = []

    def reprove(schedule, only_proof):  # every try proves the schedule least late
        seen.append((schedule.objectives["late"], only_proof))
        return schedule.objectives["late"]

    clock = Clock(4.0)
    found = lns.improve(problem, start, floor, 4.0, clock, reprove=reprove)
    assert len(seen) == 1 and seen[0][1] is True
    assert found.status == OPTIMAL and found.objectives["late"] == seen[0][0]
    assert found.objectives["late"] < start.objectives["late"]
    assert clock.spent < 4.0


def test_parts_late_only_by_their_own_dates_are_not_solved_again():
    problem = crowded(4)
    # a task of a person of its own, released after its due: late by its dates alone
    alone = Task("alone", 3, (len(problem.resources),), release=50, due=problem.times[45])
    problem = replace(
        problem, tasks=(*problem.tasks, alone), resources=(*problem.resources, Resource("solo"))
    )
    forced = len(problem.tasks) - 1
    start = greedy(problem)
    floor, own = date_bound(problem)
    assert own[forced] > 0 and start.lateness[forced] == own[forced]

    class Recording:
        """Runs every call here and keeps the free tasks of each sub-solve."""

        def __init__(self):
            self.free = []

        def map(self, fn, items):
            self.free += [set(item.free) for item in items]
            return IN_PROCESS.map(fn, items)

    recording = Recording()
    found = lns.improve(problem, start, floor, 2.0, Clock(2.0), recording)
    assert recording.free, "the other tasks' parts are solved"
    assert not any(forced in free for free in recording.free)
    assert found.lateness[forced] == own[forced]
    assert not violations(problem, list(found.starts), list(found.resources))
    assert found.objectives["late"] == lateness(problem, found.starts)


def test_the_bound_from_parts_stops_at_a_partition_that_proves_enough():
    cheaper = 0
    for seed in (3, 4, 5, 6):
        problem = crowded(seed)
        found = lns.improve(problem, greedy(problem), 0, 4.0, Clock(4.0))
        whole, early = Clock(4.0), Clock(4.0)
        full = window_bound(problem, found, 2.0, whole)
        assert full <= found.objectives["late"]
        assert window_bound(problem, found, 2.0, early, enough=full) == full
        assert early.spent <= whole.spent
        cheaper += early.spent < whole.spent
    assert cheaper > 0, "some bound is proven before the last partition"


def test_a_try_at_a_proof_gives_up_cheaply_and_proves_what_the_full_bound_proves():
    given_up = proven = 0
    for seed in (3, 4, 5, 6):
        problem = crowded(seed)
        for schedule in (greedy(problem), lns.improve(problem, greedy(problem), 0, 4.0,
                                                      Clock(4.0))):  # fmt: skip
            late = schedule.objectives["late"]
            whole, tried = Clock(4.0), Clock(4.0)
            full = window_bound(problem, schedule, 2.0, whole, enough=late)
            attempt = window_bound(problem, schedule, 2.0, tried, enough=late, only_proof=True)
            assert date_bound(problem)[0] <= attempt <= full <= late
            assert tried.spent <= whole.spent
            if full == late:
                assert attempt == late
                proven += 1
            else:
                given_up += tried.spent < whole.spent
    assert proven > 0 and given_up > 0
