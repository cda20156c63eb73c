"""The tie-break a window at a time (core/polish.py), on generated problems.

Every schedule is checked by `core.check.violations` (written apart from the model and the
search); lateness and delay are recomputed here from the problem's definitions.
"""

from __future__ import annotations

import pickle
from dataclasses import replace

from test_lns import Clock, crowded, greedy, lateness

from scheduler.core import cpsat, lns, polish, solve
from scheduler.core.bounds import date_bound
from scheduler.core.check import violations
from scheduler.core.windows import preferred_starts
from scheduler.executors import IN_PROCESS


def each_lateness(problem, starts) -> list[int]:
    """Each task's lateness, from the definitions."""
    return [
        0 if t.due is None else max(0, problem.time(s + t.duration - 1) - t.due)
        for t, s in zip(problem.tasks, starts, strict=True)
    ]


def delay(starts, est, preferred) -> int:
    """The tie-break's delay: periods after the earliest start, or away from the preferred."""
    return sum(
        s - e if p is None else abs(s - p) for s, e, p in zip(starts, est, preferred, strict=True)
    )


def searched(seed: int):
    """A crowded problem, the search's schedule of it, and the tie-break's terms."""
    problem = crowded(seed)
    floor, _ = date_bound(problem)
    found = lns.improve(problem, greedy(problem), floor, 4.0, Clock(4.0))
    est, _ = cpsat._windows(problem, cpsat.LATE_WINDOW)
    return problem, found, est, preferred_starts(problem)


def test_the_polish_makes_no_task_later_and_lowers_the_delay():
    lowered = 0
    for seed in (3, 4, 5, 6):
        problem, start, est, preferred = searched(seed)
        found, value = polish.polish(problem, start, est, preferred, 2.0, Clock(2.0))
        assert not violations(problem, list(found.starts), list(found.resources))
        before, after = each_lateness(problem, start.starts), each_lateness(problem, found.starts)
        assert all(now <= was for now, was in zip(after, before, strict=True))
        assert list(found.lateness) == after
        assert value == delay(found.starts, est, preferred)
        assert value <= delay(start.starts, est, preferred)
        lowered += value < delay(start.starts, est, preferred)
    assert lowered > 0, "the polish gains on some of them"


def test_the_polish_comes_near_the_least_delay_of_one_model():
    for seed in (3, 4):
        problem, start, est, preferred = searched(seed)
        _, value = polish.polish(problem, start, est, preferred, 4.0, Clock(4.0))
        whole = cpsat._solve_delay(problem, cpsat.LATE_WINDOW, start, Clock(20.0), 2)
        assert lateness(problem, whole.starts) <= start.objectives["late"]
        least = delay(whole.starts, est, preferred)
        assert whole.bounds["delay"] == least, "the small problem's tie-break is proven"
        assert least <= value <= least + max(3, least // 10), (least, value)


def test_a_task_back_at_its_previous_place_stays_there():
    problem, start, est, preferred = searched(5)
    kept = set(range(0, len(problem.tasks), 3))
    tasks = tuple(
        replace(t, previous=(start.starts[i], start.resources[i])) if i in kept else t
        for i, t in enumerate(problem.tasks)
    )
    problem = replace(problem, tasks=tasks)
    found, _ = polish.polish(problem, start, est, preferred, 2.0, Clock(2.0))
    assert not violations(problem, list(found.starts), list(found.resources))
    assert all(
        (found.starts[i], found.resources[i]) == (start.starts[i], start.resources[i]) for i in kept
    )
    assert found.starts != start.starts, "the other tasks still move"


def test_the_polish_gives_one_answer_through_any_executor():
    class Pickling:
        """Runs every call here on a copy sent through pickle, as a cluster would."""

        def map(self, fn, items):
            copies = [pickle.loads(pickle.dumps(item)) for item in items]
            return [pickle.loads(pickle.dumps(answer)) for answer in IN_PROCESS.map(fn, copies)]

    problem, start, est, preferred = searched(4)
    here = polish.polish(problem, start, est, preferred, 2.0, Clock(2.0))
    again = polish.polish(problem, start, est, preferred, 2.0, Clock(2.0))
    there = polish.polish(problem, start, est, preferred, 2.0, Clock(2.0), Pickling())
    assert here[0].starts == again[0].starts == there[0].starts
    assert here[0].resources == again[0].resources == there[0].resources


def test_a_large_problem_s_tie_break_reports_the_delay_of_its_schedule():
    problem = crowded(7, teams=12)  # 504 tasks: a part at a time
    assert len(problem.tasks) >= cpsat.LNS_MIN_TASKS
    result = solve(problem, effort=4)
    assert not violations(problem, list(result.starts), list(result.resources))
    assert result.objectives["late"] == lateness(problem, result.starts)
    est, _ = cpsat._windows(problem, cpsat.LATE_WINDOW)
    assert result.objectives["delay"] == delay(result.starts, est, preferred_starts(problem))


def two_stores(seed: int):
    """Two crowded problems side by side, sharing no resource and no precedence."""
    a, b = crowded(seed), crowded(seed + 1)
    shift = len(a.resources)
    moved = tuple(replace(t, resources=tuple(r + shift for r in t.resources)) for t in b.tasks)
    links = tuple(
        replace(p, pred=p.pred + len(a.tasks), succ=p.succ + len(a.tasks)) for p in b.precedences
    )
    return replace(
        a,
        tasks=a.tasks + moved,
        resources=a.resources + b.resources,
        precedences=a.precedences + links,
    )


def test_the_groups_of_a_window_that_share_nobody_are_solved_side_by_side():
    class Recording:
        """Runs every call here and keeps how many came at once."""

        def __init__(self):
            self.sizes = []

        def map(self, fn, items):
            self.sizes.append(len(items))
            return IN_PROCESS.map(fn, items)

    problem = two_stores(3)
    floor, _ = date_bound(problem)
    start = lns.improve(problem, greedy(problem), floor, 4.0, Clock(4.0))
    est, _ = cpsat._windows(problem, cpsat.LATE_WINDOW)
    preferred = preferred_starts(problem)
    recording = Recording()
    found, value = polish.polish(problem, start, est, preferred, 2.0, Clock(2.0), recording)
    assert max(recording.sizes) == 2, recording.sizes
    assert not violations(problem, list(found.starts), list(found.resources))
    after = each_lateness(problem, found.starts)
    assert all(now <= was for now, was in zip(after, start.lateness, strict=True))
    assert value == delay(found.starts, est, preferred) < delay(start.starts, est, preferred)
