"""Expansion: the plan's activities become occurrences, and occurrences a graph of tasks.

Every occurrence (an explicit date, each date of a `repeat` RRULE, each year's festival date)
gets its template's steps as tasks. The result is one networkx DiGraph for the whole plan:
a node per task id with its attributes, an edge per `after` with its lag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import networkx as nx
from dateutil.rrule import rrulestr

from scheduler.errors import Problems
from scheduler.plan.model import ActivitySpec, Plan, Template
from scheduler.workdays.calendar import WorkCalendar
from scheduler.workdays.festivals import festival_dates


@dataclass(frozen=True)
class Occurrence:
    """One dated occurrence of an activity: its id and live window (calendar days)."""

    id: str
    spec: ActivitySpec
    template: Template
    start: date
    end: date
    title: str  # display name in the plan's language


def occurrences(plan: Plan, warnings: list[str] | None = None) -> list[Occurrence]:
    """Every occurrence whose live window starts in [plan.start, plan.end], sorted by date.

    Raises BadInput when two occurrences get the same id. Activities outside the plan and
    one-off activities without an `id` are reported in `warnings`.
    """
    warnings = warnings if warnings is not None else []
    problems = Problems(plan.source)
    found: list[Occurrence] = []
    seen: dict[str, int] = {}
    for spec in plan.activities:
        template = plan.templates[spec.template]
        windows = _live_windows(plan, spec, template)
        _check_except_dates(spec, {s for s, _ in windows if plan.start <= s <= plan.end}, problems)
        for start, end in windows:
            if start in spec.except_dates:
                continue
            if not plan.start <= start <= plan.end:
                warnings.append(
                    f"activities[{spec.index}] ({spec.template}) starts {start}, outside the "
                    f"plan {plan.start}..{plan.end}: not planned"
                )
                continue
            occurrence_id = _occurrence_id(spec, start)
            if occurrence_id in seen:
                problems.add(
                    f"activities[{spec.index}]",
                    occurrence_id,
                    f"duplicate occurrence id, also made by activities[{seen[occurrence_id]}]",
                    "give one of them its own `id`",
                )
                continue
            seen[occurrence_id] = spec.index
            title = spec.title or template.name.get(plan.language)
            found.append(Occurrence(occurrence_id, spec, template, start, end, title))
        if spec.start is not None and spec.id is None:
            warnings.append(
                f"activities[{spec.index}] ({spec.template} on {spec.start}) has no `id`: "
                "moving its date will re-create its tasks and calendar events instead of "
                "moving them"
            )
    problems.raise_if_any()
    return sorted(found, key=lambda o: (o.start, o.id))


def _check_except_dates(spec: ActivitySpec, starts: set[date], problems: Problems) -> None:
    """Every `except` date is an occurrence of the series within the plan."""
    for index, day in enumerate(spec.except_dates):
        if day not in starts:
            problems.add(
                f"activities[{spec.index}].except[{index}]",
                day.isoformat(),
                "not an occurrence of this activity in the plan",
                "start dates of the series' occurrences between the plan's start and end",
            )


def _live_windows(plan: Plan, spec: ActivitySpec, template: Template) -> list[tuple[date, date]]:
    length = spec.live_days or template.live_days
    if spec.start is not None:
        end = spec.end or spec.start + timedelta(days=length - 1)
        return [(spec.start, end)]
    if spec.repeat is not None:
        first = datetime.combine(plan.start, datetime.min.time())
        last = datetime.combine(plan.end, datetime.min.time())
        rule = rrulestr(spec.repeat, dtstart=first)
        starts = [d.date() for d in rule.between(first, last, inc=True)]
    elif spec.festival is not None:
        starts = festival_dates(spec.festival, plan.start, plan.end)
    else:
        starts = []
    return [(s, s + timedelta(days=length - 1)) for s in starts]


def _occurrence_id(spec: ActivitySpec, start: date) -> str:
    if spec.start is not None:
        base = spec.id or f"{spec.template}@{start.isoformat()}"
    else:
        base = f"{spec.id or spec.template}@{start.isoformat()}"
    return f"{spec.store}:{base}" if spec.store else base


def calendar_span(plan: Plan) -> tuple[date, date]:
    """The dates the working calendar must cover: preparation before, reviews after."""
    first = min([plan.start, *(s.start for s in plan.activities if s.start)])
    last = max([plan.end, *(s.end or s.start for s in plan.activities if s.start)])
    return first - timedelta(days=730), last + timedelta(days=730)


def task_graph(plan: Plan, found: list[Occurrence], calendar: WorkCalendar) -> nx.DiGraph:
    """The plan's tasks as a DiGraph: node = task id, edge = `after` with its lag.

    Node attributes: occurrence, step, name, role, duration, load, earliest, due, strict,
    owner, store. Edge attributes: lag, unit ("d" or "wd").
    """
    graph = nx.DiGraph()
    for occ in found:
        for step in occ.template.steps:
            graph.add_node(
                f"{occ.id}/{step.id}",
                occurrence=occ.id,
                step=step.id,
                name=step.name.get(plan.language),
                role=step.role,
                duration=step.duration,
                load=step.load,
                earliest=calendar.resolve(step.earliest, occ.start, occ.end)
                if step.earliest
                else None,
                due=calendar.resolve(step.due, occ.start, occ.end) if step.due else None,
                strict=step.strict and step.due is not None,
                owner=occ.spec.owner,
                store=occ.spec.store,
            )
        for step in occ.template.steps:
            for after in step.after:
                graph.add_edge(
                    f"{occ.id}/{after.step}",
                    f"{occ.id}/{step.id}",
                    lag=after.lag,
                    unit=after.unit,
                )
    return graph
