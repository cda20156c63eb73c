"""Least change when the previous version still holds: kept as it is, without a solve.

Every schedule is checked by `core.check.violations` (written apart from the model and the
search); lateness is recomputed here from the problem's definitions.
"""

from __future__ import annotations

from dataclasses import replace

from test_lns import crowded, lateness

from scheduler.core import cpsat, solve
from scheduler.core.check import violations


def with_previous(problem, starts, resources):
    """`problem` with each task's previous place at `starts`, `resources`."""
    tasks = tuple(
        replace(t, previous=(s, r))
        for t, s, r in zip(problem.tasks, starts, resources, strict=True)
    )
    return replace(problem, tasks=tasks)


def test_a_previous_version_that_still_holds_is_kept_without_a_solve(monkeypatch):
    for seed in (3, 4):
        problem = crowded(seed)
        first = solve(problem, effort=2)
        again = with_previous(problem, first.starts, first.resources)
        kept = solve(again, effort=2)
        assert not violations(again, list(kept.starts), list(kept.resources))
        assert kept.starts == first.starts and kept.resources == first.resources
        assert kept.objectives["late"] == lateness(again, kept.starts) == first.objectives["late"]
        assert kept.objectives["changes"] == 0 and kept.bounds["changes"] == 0
        monkeypatch.setattr(cpsat, "_previous_kept", lambda _problem, _first: None)
        solved = solve(again, effort=2)  # CP-SAT's least change, within its share
        monkeypatch.undo()
        assert not violations(again, list(solved.starts), list(solved.resources))
        assert kept.effort < solved.effort


def test_a_previous_version_that_breaks_a_rule_now_is_not_kept():
    problem = crowded(5)
    first = solve(problem, effort=2)
    starts = list(first.starts)
    starts[0] = max(0, (problem.tasks[0].release or 0) - 1)  # before its release
    assert violations(problem, starts, list(first.resources))
    again = with_previous(problem, starts, first.resources)
    result = solve(again, effort=2)
    assert not violations(again, list(result.starts), list(result.resources))
    assert result.starts[0] != starts[0]
    assert result.objectives["changes"] >= 1
