"""How many people of a role a plan needs: the fewest with which that role makes no task late.

For a role, the plan's holders give the role up (they keep their other roles) and k
full-time people with only that role, no leave and every store take it over. The answer is
the least k whose schedule is as little late as with the most people tried (`ceiling`):
zero late days when the other roles keep everything on time, else the lateness the other
roles cause on their own, which no number of this role's people removes. More people never
make a plan later, so k is found by bisection; it is proven the least when the schedule
with k - 1 people is proven later (status optimal, or no schedule at all).

The probes go through an executor (scheduler/executors.py). One that runs several at once
gets each round's next bisection points ahead of need (the middle, and the middles of both
halves, ...); only the points the bisection itself visits decide the answer, so it is the
same whether the probes ran here one after the other or on a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from scheduler.executors import IN_PROCESS, Executor, width_of
from scheduler.expansion.expand import calendar_span, occurrences, task_graph
from scheduler.plan.model import Plan, StaffMember
from scheduler.planning.subsolve import Outcome, SubSolve
from scheduler.workdays.calendar import WorkCalendar


@dataclass(frozen=True)
class RoleNeed:
    """The fewest people of one role, and what the plan gets with them."""

    role: str
    in_plan: int  # people holding the role in the plan
    fewest: int  # the least number of full-time people with which the role adds no lateness
    late_days: int  # total late days with `fewest` of them (the other roles' part)
    proven: bool  # fewest - 1 is proven to be later
    ceiling: int  # the most people tried


def role_need(plan: Plan, role: str, probe: SubSolve, executor: Executor = IN_PROCESS) -> RoleNeed:
    """The fewest full-time people of `role` with which `plan` is as little late as with
    the most tried (`probe` plans a changed plan, through `executor`)."""
    holders = [p for p in plan.staff if role in p.roles]
    tasks = role_task_count(plan, role)
    ceiling = max(1, min(tasks, max(2 * len(holders), len(holders) + 3)))
    depth = width_of(executor).bit_length()  # bisection levels probed per round
    results: dict[int, Outcome] = {}
    visited: set[int] = {ceiling}  # the points the bisection itself looks at

    def run(counts: list[int]) -> None:
        wanted = [k for k in dict.fromkeys(counts) if k not in results]
        changed = [with_people(plan, role, k) for k in wanted]
        results.update(zip(wanted, executor.map(probe, changed), strict=True))

    def late(k: int) -> int | None:
        found = results[k]
        return found.late_days if found.scheduled else None

    low, high = 0, ceiling  # late(low) is worse than target (0 people: nobody can do it)
    run([ceiling, *_middles(low, high, depth)])
    target = late(ceiling)
    while high - low > 1:
        middle = (low + high) // 2
        if middle not in results:
            run(_middles(low, high, depth))
        visited.add(middle)
        got = late(middle)
        if got is not None and target is not None and got <= target:
            high = middle
        else:
            low = middle
    before = results.get(high - 1) if high - 1 in visited else None
    proven = high == 1 or (
        before is not None and (before.status == "infeasible" or before.status == "optimal")
    )
    return RoleNeed(role, len(holders), high, late(high) or 0, proven, ceiling)


def _middles(low: int, high: int, depth: int) -> list[int]:
    """The points bisecting (low, high) visits in its next `depth` steps, whichever way
    each step goes."""
    if depth < 1 or high - low <= 1:
        return []
    middle = (low + high) // 2
    return [middle, *_middles(low, middle, depth - 1), *_middles(middle, high, depth - 1)]


def with_people(plan: Plan, role: str, count: int) -> Plan:
    """The plan with `role` done by `count` full-time people who do nothing else, the
    plan's holders keeping only their other roles."""
    staff = [replace(p, roles=tuple(r for r in p.roles if r != role)) for p in plan.staff]
    taken = {p.id for p in plan.staff}
    extra = []
    n = 0
    while len(extra) < count:
        n += 1
        person_id = f"{role}_{n}"
        if person_id not in taken:
            extra.append(StaffMember(person_id, f"{plan.role_name(role)} {n}", (role,)))
    return replace(plan, staff=tuple([p for p in staff if p.roles] + extra))


def role_task_count(plan: Plan, role: str) -> int:
    """How many tasks of the plan need `role`."""
    first, last = calendar_span(plan)
    graph = task_graph(plan, occurrences(plan), WorkCalendar(plan.calendar, first, last))
    return sum(1 for _, node in graph.nodes(data=True) if node["role"] == role)
