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

from scheduler.errors import BadInput, Problems
from scheduler.plan.model import ActivitySpec, Plan, Template
from scheduler.workdays.calendar import OutsideCalendar, WorkCalendar
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
        return [(spec.start, spec.end or _plus_days(spec.start, length - 1))]
    if spec.repeat is not None:
        first = datetime.combine(plan.start, datetime.min.time())
        last = datetime.combine(plan.end, datetime.min.time())
        rule = rrulestr(spec.repeat, dtstart=first)
        starts = [d.date() for d in rule.between(first, last, inc=True)]
    elif spec.festival is not None:
        starts = festival_dates(spec.festival, plan.start, plan.end)
    else:
        starts = []
    return [(s, _plus_days(s, length - 1)) for s in starts]


def _plus_days(day: date, days: int) -> date:
    """`day` plus `days`, or the last date there is (an activity that far away is outside
    any plan, and only its start is looked at)."""
    return day + timedelta(days=days) if (date.max - day).days >= days else date.max


def _occurrence_id(spec: ActivitySpec, start: date) -> str:
    if spec.start is not None:
        base = spec.id or f"{spec.template}@{start.isoformat()}"
    else:
        base = f"{spec.id or spec.template}@{start.isoformat()}"
    return f"{spec.store}:{base}" if spec.store else base


def calendar_span(plan: Plan) -> tuple[date, date]:
    """The dates the working calendar must cover: preparation before, reviews after.

    Two years around the live windows of the activities in the plan (activities starting
    outside it are not planned and need no calendar).
    """
    last = plan.end
    for spec in plan.activities:
        template = plan.templates.get(spec.template)
        length = spec.live_days or (template.live_days if template else 1)
        if spec.start is None:
            last = max(last, _plus_days(plan.end, length - 1))
        elif plan.start <= spec.start <= plan.end:
            last = max(last, spec.end or _plus_days(spec.start, length - 1))
    return plan.start - timedelta(days=730), last + timedelta(days=730)


def task_graph(plan: Plan, found: list[Occurrence], calendar: WorkCalendar) -> nx.DiGraph:
    """The plan's tasks as a DiGraph: node = task id, edge = `after` with its lag.

    Node attributes: occurrence, step, name, role, duration, load, earliest, due, strict,
    owner, store. Edge attributes: lag, unit ("d" or "wd").

    Raises BadInput when a working-day offset leads outside the working calendar (a plan
    calendar with too few working days for it).
    """
    graph = nx.DiGraph()
    problems: dict[tuple[str, str], Problems] = {}
    for occ in found:
        for position, step in enumerate(occ.template.steps):
            dates = {}
            for key in ("earliest", "due"):
                offset = getattr(step, key)
                try:
                    dates[key] = calendar.resolve(offset, occ.start, occ.end) if offset else None
                except OutsideCalendar as outside:
                    where = (str(occ.template.source), f"steps[{position}].{key}")
                    if where not in problems:
                        problems[where] = Problems(occ.template.source)
                        problems[where].add(
                            where[1],
                            offset.text,
                            f"for {occ.id}, {outside}",
                            "a smaller offset, or more working days in the plan's calendar",
                        )
                    dates[key] = None
            graph.add_node(
                f"{occ.id}/{step.id}",
                occurrence=occ.id,
                step=step.id,
                name=step.name.get(plan.language),
                role=step.role,
                duration=step.duration,
                load=step.load,
                earliest=dates["earliest"],
                due=dates["due"],
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
    if problems:
        raise BadInput([p for group in problems.values() for p in group.found])
    return graph
