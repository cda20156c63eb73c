"""The adapter between the plan and the domain-agnostic core.

`compile_plan` turns a plan's task graph into a `core.Problem` (working-day periods, calendar
days as time labels, staff as resources); `to_schedule` turns the core's `Result` back into
dates and people. Every core term is named after the plan's own ids (task ids, staff ids),
so that `describe_term` can say what a term means in the plan's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

import networkx as nx

from scheduler.core import Precedence, Problem, Resource, Result, Scale, Task
from scheduler.errors import Problems
from scheduler.expansion.expand import Occurrence, calendar_span, occurrences, task_graph
from scheduler.phrases import lag_text, phrasebook
from scheduler.plan.model import Leave, Plan, StaffMember
from scheduler.planning.baseline import Baseline, Split, split_tasks
from scheduler.schedule import ActivityWindow, ExplanationItem, Person, Schedule, ScheduledTask
from scheduler.workdays.calendar import WorkCalendar, provisional_warning


@dataclass
class Compiled:
    """A plan ready for the core, with what is needed to map results back."""

    plan: Plan
    calendar: WorkCalendar
    occurrences: list[Occurrence]
    graph: nx.DiGraph
    problem: Problem
    task_ids: list[str]
    staff_ids: list[str]
    leave_blocks: dict[str, list[list[Leave]]] = field(default_factory=dict)  # per person
    warnings: list[str] = field(default_factory=list)
    split: Split = field(default_factory=Split)  # re-planning: finished and under-way tasks
    departed: list[Person] = field(default_factory=list)  # earlier staff no longer in the plan


def compile_plan(plan: Plan, baseline: Baseline | None = None) -> Compiled:
    """Expand `plan` and build its core problem; raises BadInput for unstaffable tasks.

    With a `baseline` (the previous version), every task that had a place keeps it where
    least change allows; with its re-planning day, finished tasks leave the problem, tasks
    under way keep their start and nothing else starts before that day (FORMAT.md
    section 5)."""
    warnings: list[str] = []
    found = occurrences(plan, warnings)
    first, last = calendar_span(plan)
    if baseline is not None:
        days = baseline.dates()
        first, last = min([first, *days]), max([last, *days])
    calendar = WorkCalendar(plan.calendar, first, last)
    graph = task_graph(plan, found, calendar)
    _warn_provisional(plan, graph, warnings)

    durations = {t: graph.nodes[t]["duration"] for t in graph.nodes}
    split = split_tasks(baseline, list(graph.nodes), durations, plan.staff, calendar)
    task_ids = [t for t in graph.nodes if t not in split.finished]
    index = {t: i for i, t in enumerate(task_ids)}
    staff_ids = [p.id for p in plan.staff]
    today = calendar.index_on_or_after(baseline.today) if baseline and baseline.today else None
    after_finished = _releases_after_finished(graph, split, calendar)
    starts = {o.id: calendar.index_on_or_after(o.start) for o in found}
    problems = Problems(plan.source)
    tasks = []
    for task_id in task_ids:
        node = graph.nodes[task_id]
        eligible = _eligible(plan, node)
        if not eligible:
            occ = next(o for o in found if o.id == node["occurrence"])
            problems.add(
                f"activities[{occ.spec.index}]",
                occ.spec.store or occ.spec.template,
                f"nobody can do step {node['step']} (role {node['role']}, load {node['load']})",
                "a staff member with that role, working for that store, with enough capacity",
            )
            continue
        due, earliest = node["due"], node["earliest"]
        resources = tuple(staff_ids.index(p.id) for p in eligible)
        release = calendar.index_on_or_after(earliest) if earliest else None
        duration, fixed_start, fixed_resource = node["duration"], None, None
        previous = baseline.task(task_id) if baseline else None
        place = None
        if previous is not None:
            place = (
                calendar.index(previous.start) if calendar.is_working(previous.start) else None,
                staff_ids.index(previous.assignee) if previous.assignee in staff_ids else None,
            )
        if task_id in split.under_way:
            work = split.under_way[task_id]
            duration, fixed_start, release = work.remaining, today, None
            if work.keeper is not None and staff_ids.index(work.keeper) in resources:
                fixed_resource = staff_ids.index(work.keeper)
            place = (today, place[1] if place else None)
        elif today is not None:
            release = max(today, release or 0, after_finished.get(task_id, 0))
        tasks.append(
            Task(
                name=task_id,
                duration=duration,
                resources=resources,
                demand=node["load"],
                release=release,
                target=starts[node["occurrence"]],
                deadline=calendar.index_on_or_before(due) + 1 if node["strict"] else None,
                due=due.toordinal() if due else None,
                fixed_start=fixed_start,
                fixed_resource=fixed_resource,
                previous=place,
            )
        )
    problems.raise_if_any()
    precedences = tuple(
        Precedence(index[a], index[b], data["lag"], Scale.PERIODS)
        if data["unit"] == "wd"
        else Precedence(index[a], index[b], data["lag"] + 1, Scale.TIME)
        for a, b, data in graph.edges(data=True)
        if a in index and b in index and b not in split.under_way
    )
    leave_blocks = {p.id: _leave_blocks(p, calendar) for p in plan.staff}
    problem = Problem(
        tasks=tuple(tasks),
        resources=tuple(
            Resource(p.id, p.capacity, tuple(_span(b, calendar) for b in leave_blocks[p.id]))
            for p in plan.staff
        ),
        precedences=precedences,
        horizon=len(calendar),
        times=tuple(d.toordinal() for d in calendar.days),
    )
    departed = [p for p in (baseline.schedule.staff if baseline else []) if p.id not in staff_ids]
    return Compiled(
        plan, calendar, found, graph, problem, task_ids, staff_ids, leave_blocks, warnings,
        split, departed,
    )  # fmt: skip


def _releases_after_finished(graph: nx.DiGraph, split: Split, calendar: WorkCalendar) -> dict:
    """For tasks that follow a finished one: the first period the lag after it allows."""
    releases: dict[str, int] = {}
    for a, b, data in graph.edges(data=True):
        if a not in split.finished or b in split.finished:
            continue
        end = split.finished[a].end
        if data["unit"] == "wd":
            first = calendar.index_on_or_before(end) + 1 + data["lag"]
        else:
            first = calendar.index_on_or_after(end + timedelta(days=data["lag"] + 1))
        releases[b] = max(releases.get(b, 0), first)
    return releases


def _eligible(plan: Plan, node: dict) -> list[StaffMember]:
    """Who may do a task (FORMAT.md rule 1), with the capacity for its load."""
    people = [
        p
        for p in plan.staff
        if node["role"] in p.roles
        and p.capacity >= node["load"]
        and (node["store"] is None or p.stores is None or node["store"] in p.stores)
    ]
    owner = node["owner"]
    if owner and any(p.id == owner for p in people):
        return [p for p in people if p.id == owner]
    return people


def _leave_blocks(person: StaffMember, calendar: WorkCalendar) -> list[list[Leave]]:
    """The person's leave that covers working days, overlapping or touching ones merged."""
    blocks: list[list[Leave]] = []
    last_end = -2
    for leave in sorted(person.leave, key=lambda lv: lv.start):
        first, last = _index_span(leave, calendar)
        if first > last:
            continue  # no working day in it
        if blocks and first <= last_end + 1:
            blocks[-1].append(leave)
            last_end = max(last_end, last)
        else:
            blocks.append([leave])
            last_end = last
    return blocks


def _index_span(leave: Leave, calendar: WorkCalendar) -> tuple[int, int]:
    return calendar.index_on_or_after(leave.start), calendar.index_on_or_before(leave.end)


def _span(block: list[Leave], calendar: WorkCalendar) -> tuple[int, int]:
    """A merged leave block as a half-open range of periods."""
    spans = [_index_span(leave, calendar) for leave in block]
    return min(a for a, _ in spans), max(b for _, b in spans) + 1


def _warn_provisional(plan: Plan, graph: nx.DiGraph, warnings: list[str]) -> None:
    years = {plan.start.year, plan.end.year}
    for _, node in graph.nodes(data=True):
        for key in ("earliest", "due"):
            if node[key]:
                years.add(node[key].year)
    warning = provisional_warning(plan.calendar.holidays, years, plan.language)
    if warning:
        warnings.append(warning)


def to_schedule(compiled: Compiled, result: Result) -> Schedule:
    """The schedule a core result describes, in the plan's dates and people."""
    plan, calendar, graph = compiled.plan, compiled.calendar, compiled.graph
    tasks = []
    if result.has_solution:
        for i, task_id in enumerate(compiled.task_ids):
            node = graph.nodes[task_id]
            first = result.starts[i]
            duration = compiled.problem.tasks[i].duration
            start, end = calendar.day(first), calendar.day(first + duration - 1)
            if task_id in compiled.split.under_way:  # it keeps its start
                work = compiled.split.under_way[task_id]
                start = work.previous.start
                first = calendar.index_on_or_after(start)
            due = node["due"]
            tasks.append(
                ScheduledTask(
                    id=task_id,
                    activity=node["occurrence"],
                    step=node["step"],
                    name=node["name"],
                    role=node["role"],
                    assignee=compiled.staff_ids[result.resources[i]],
                    start=start,
                    end=end,
                    load=node["load"],
                    due=due,
                    late_days=max(0, (end - due).days) if due else 0,
                    strict=node["strict"],
                    earliest=node["earliest"],
                    after=tuple(graph.predecessors(task_id)),
                    stretches=tuple(calendar.stretches(first, node["duration"])),
                    working_days=node["duration"],
                )
            )
        tasks.extend(_finished_tasks(compiled))
        tasks.sort(key=lambda t: (t.start, t.id))
    return Schedule(
        plan=plan.name,
        status=result.status,
        tasks=tasks,
        activities=[
            ActivityWindow(
                id=o.id,
                template=o.template.id,
                name=o.title,
                kind=o.template.kind,
                start=o.start,
                end=o.end,
                store=o.spec.store,
                owner=o.spec.owner,
            )
            for o in compiled.occurrences
        ],
        staff=[Person(p.id, p.name, p.roles, p.email, p.capacity) for p in plan.staff]
        + [p for p in compiled.departed if any(t.assignee == p.id for t in tasks)],
        explanation=[ExplanationItem(t, describe_term(compiled, t)) for t in result.conflict],
        warnings=list(compiled.warnings),
        language=plan.language,
        timezone=plan.timezone,
        stores={s.id: s.name for s in plan.stores},
        roles=_role_names(plan, tasks),
        solver={
            "objectives": dict(result.objectives),
            "bounds": dict(result.bounds),
            "late_bounds": dict(result.late_bounds),
            "effort": result.effort,
            "cut_short": result.cut_short,
            "seconds": round(result.runtime, 3),
        },
    )


def _role_names(plan: Plan, tasks: list[ScheduledTask]) -> dict[str, str]:
    """Role key -> display name in the plan's language, for every role of the staff and
    the tasks, sorted by key."""
    keys = {r for p in plan.staff for r in p.roles} | {t.role for t in tasks}
    return {key: plan.role_name(key) for key in sorted(keys)}


def _finished_tasks(compiled: Compiled) -> list[ScheduledTask]:
    """The tasks that ended before the re-planning day, as they were (their due and late
    days measured against the plan as it is now)."""
    found = []
    for task_id, previous in compiled.split.finished.items():
        node = compiled.graph.nodes[task_id]
        due = node["due"]
        late = max(0, (previous.end - due).days) if due else 0
        found.append(
            replace(
                previous,
                name=node["name"],
                due=due,
                late_days=late,
                strict=node["strict"],
                earliest=node["earliest"],
                after=tuple(compiled.graph.predecessors(task_id)),
            )
        )
    return found


def describe_term(compiled: Compiled, term: str) -> str:
    """What a core constraint term (e.g. `unavailable[wang_fang#0]`) means in the plan, in
    its language (scheduler/phrases.py)."""
    kind, _, inner = term.partition("[")
    inner = inner.rstrip("]")
    graph, plan = compiled.graph, compiled.plan
    say = phrasebook(plan.language)
    if kind == "release":
        return say("release", task=_task_label(graph, inner), date=graph.nodes[inner]["earliest"])
    if kind == "deadline":
        node = graph.nodes[inner]
        return say(
            "strict",
            task=_task_label(graph, inner),
            due=node["due"],
            days=node["duration"],
            who=_who_can(compiled, inner),
        )
    if kind == "fixed" and inner in compiled.split.under_way:
        work = compiled.split.under_way[inner]
        return say(
            "under_way",
            task=_task_label(graph, inner),
            start=work.previous.start,
            days=work.remaining,
        )
    if kind == "unavailable":
        person_id, _, k = inner.partition("#")
        person = plan.person(person_id)
        spans = say("list").join(
            f"{lv.start}..{lv.end}" for lv in compiled.leave_blocks[person_id][int(k)]
        )
        return say("person_on_leave", person=f"{person.name} ({person.id})", spans=spans)
    if kind == "after":
        pred, _, succ = inner.partition("->")
        data = graph.edges[pred, succ]
        lag = f"{data['lag']}{data['unit']}"
        lag = say("starts_after_lag", lag=lag_text(lag, plan.language)) if data["lag"] else ""
        return say(
            "starts_after", after=_task_label(graph, succ), before=_task_label(graph, pred), lag=lag
        )
    return term


def _task_label(graph: nx.DiGraph, task_id: str) -> str:
    """A task as messages name it: its name, then its id."""
    name = graph.nodes[task_id].get("name")
    return f"{name} ({task_id})" if name and name != task_id else task_id


def _who_can(compiled: Compiled, task_id: str) -> str:
    i = compiled.task_ids.index(task_id)
    names = [compiled.plan.staff[r] for r in compiled.problem.tasks[i].resources]
    return phrasebook(compiled.plan.language)("or").join(f"{p.name} ({p.id})" for p in names)
