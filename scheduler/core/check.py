"""Whether a schedule keeps every hard constraint of a `Problem` (lateness aside).

Written from the problem's definitions, apart from the model and the heuristic, so that a
schedule from either can be checked before it is trusted.
"""

from __future__ import annotations

from scheduler.core.problem import Problem, Scale


def violations(problem: Problem, starts: list[int], resources: list[int]) -> list[str]:
    """Every hard constraint that the schedule (a start and a resource per task, -1 for a
    task without alternative resources) breaks."""
    found: list[str] = []
    usage = [[0] * problem.horizon for _ in problem.resources]
    for r, resource in enumerate(problem.resources):
        for a, b in resource.unavailable:
            for period in range(max(a, 0), min(b, problem.horizon)):
                usage[r][period] = resource.capacity
    for i, task in enumerate(problem.tasks):
        start, r = starts[i], resources[i]
        end = start + task.duration
        if start < 0 or end > problem.horizon:
            found.append(
                f"{task.name}: periods {start}..{end - 1} outside 0..{problem.horizon - 1}"
            )
            continue
        if not task.resources:
            if r != -1:
                found.append(f"{task.name}: resource {r} is not allowed (it has no alternatives)")
                continue
        elif r not in task.resources or (
            task.fixed_resource is not None and r != task.fixed_resource
        ):
            found.append(f"{task.name}: resource {r} is not allowed")
            continue
        if task.release is not None and start < task.release:
            found.append(f"{task.name}: starts at {start}, before its release {task.release}")
        if task.deadline is not None and end > task.deadline:
            found.append(f"{task.name}: ends at {end}, after its deadline {task.deadline}")
        if task.fixed_start is not None and start != task.fixed_start:
            found.append(f"{task.name}: starts at {start}, not at its fixed {task.fixed_start}")
        held = ((r, task.demand),) if task.resources else ()
        for used, units in (*held, *task.uses):
            capacity = problem.resources[used].capacity
            for period in range(start, end):
                usage[used][period] += units
                if usage[used][period] > capacity:
                    name = problem.resources[used].name
                    found.append(f"{task.name}: {name} over capacity at {period}")
    for p in problem.precedences:
        pred, succ = problem.tasks[p.pred], problem.tasks[p.succ]
        if p.scale is Scale.PERIODS:
            ok = starts[p.succ] >= starts[p.pred] + pred.duration + p.delay
        else:
            last = problem.time(starts[p.pred] + pred.duration - 1)
            ok = problem.time(starts[p.succ]) >= last + p.delay
        if not ok:
            found.append(f"{succ.name}: starts too soon after {pred.name}")
    return found
