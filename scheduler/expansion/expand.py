"""Expansion: the plan's activities become occurrences, and occurrences a graph of tasks.

Every occurrence (an explicit date, each date of a `repeat` RRULE, each year's festival date)
gets its template's steps as tasks. The result is one networkx DiGraph for the whole plan:
a node per task id with its attributes, an edge per `after` with its lag.

A plan has at most `MAX_OCCURRENCES` occurrences and `MAX_TASKS` tasks (bad input above).
An RRULE is expanded only as far as the plan's end and that limit, and a rule that never
matches again is found out within 400 years of the calendar, not at year 9999 (see
`series_starts`).
"""

from __future__ import annotations

import calendar
import functools
import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import networkx as nx
from dateutil.rrule import rrulestr

from scheduler.errors import BadInput, Problems
from scheduler.phrases import phrasebook
from scheduler.plan.model import MAX_OCCURRENCES, MAX_TASKS, ActivitySpec, Plan, Template
from scheduler.workdays.calendar import OutsideCalendar, WorkCalendar
from scheduler.workdays.festivals import festival_dates

# 400 Gregorian years, a whole number of weeks: every date 400 years on has the same
# weekday, day of the month, day of the year and ISO week, so an RRULE repeats with it.
GREGORIAN_CYCLE = timedelta(days=146_097)


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
    say = phrasebook(plan.language)  # the warnings in the plan's language
    problems = Problems(plan.source)
    found: list[Occurrence] = []
    seen: dict[str, int] = {}
    too_many = False  # a rule with more than MAX_OCCURRENCES dates
    for spec in plan.activities:
        template = plan.templates[spec.template]
        windows = _live_windows(plan, spec, template)
        if spec.repeat is not None and len(windows) > MAX_OCCURRENCES:
            too_many = True
            problems.add(
                f"activities[{spec.index}].repeat",
                spec.repeat,
                f"more than {MAX_OCCURRENCES} occurrences from {plan.start} to {plan.end}",
                f"at most {MAX_OCCURRENCES:,} activity occurrences per plan: a rule that "
                "repeats less often, a COUNT or UNTIL, or a shorter plan",
            )
            continue
        entry = f"activities[{spec.index}] ({spec.template})"
        if spec.repeat is not None and not windows:
            warnings.append(
                say("no_occurrence", entry=entry, rule=spec.repeat, first=plan.start,
                    last=plan.end)
            )  # fmt: skip
        _check_except_dates(spec, {s for s, _ in windows if plan.start <= s <= plan.end}, problems)
        for start, end in windows:
            if start in spec.except_dates:
                continue
            if not plan.start <= start <= plan.end:
                warnings.append(
                    say("outside_plan", entry=entry, start=start, first=plan.start,
                        last=plan.end)
                )  # fmt: skip
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
            on = "，" if plan.language == "zh" else " on "
            dated = f"activities[{spec.index}] ({spec.template}{on}{spec.start})"
            warnings.append(say("no_id", entry=dated))
        if len(found) > MAX_OCCURRENCES:
            break
    if not too_many:
        _check_size(plan, found, problems)
    problems.raise_if_any()
    return sorted(found, key=lambda o: (o.start, o.id))


def _check_size(plan: Plan, found: list[Occurrence], problems: Problems) -> None:
    """At most MAX_OCCURRENCES occurrences and MAX_TASKS tasks in the plan."""
    if len(found) > MAX_OCCURRENCES:
        problems.add(
            "activities",
            f"more than {MAX_OCCURRENCES} occurrences",
            f"too many activity occurrences from {plan.start} to {plan.end}",
            f"at most {MAX_OCCURRENCES:,} per plan: fewer or less frequent activities, "
            "or a shorter plan",
        )
        return
    tasks = sum(len(o.template.steps) for o in found)
    if tasks > MAX_TASKS:
        problems.add(
            "activities",
            f"{tasks} tasks",
            f"too many preparation tasks from {plan.start} to {plan.end} "
            f"({len(found)} occurrences)",
            f"at most {MAX_TASKS:,} per plan: fewer or less frequent activities, or a shorter plan",
        )


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
    """The live windows of an activity (of a `repeat`, at most MAX_OCCURRENCES + 1)."""
    length = spec.live_days or template.live_days
    if spec.start is not None:
        return [(spec.start, spec.end or _plus_days(spec.start, length - 1))]
    if spec.repeat is not None:
        starts = series_starts(spec.repeat, plan.start, plan.end, MAX_OCCURRENCES)
    elif spec.festival is not None:
        starts = festival_dates(spec.festival, plan.start, plan.end)
    else:
        starts = []
    return [(s, _plus_days(s, length - 1)) for s in starts]


def _plus_days(day: date, days: int) -> date:
    """`day` plus `days`, or the last date there is (an activity that far away is outside
    any plan, and only its start is looked at)."""
    return day + timedelta(days=days) if (date.max - day).days >= days else date.max


def series_starts(rule: str, first: date, last: date, limit: int) -> list[date]:
    """The dates of RRULE `rule` with DTSTART `first` from `first` to `last`, as
    python-dateutil gives them; at most `limit` + 1 (more than `limit` is too many).

    dateutil looks for a rule's next date up to the year 9999, which takes seconds for a
    rule that never matches (`FREQ=DAILY;BYMONTHDAY=31;BYMONTH=2`). So the dates are found
    on a copy of the rule whose DTSTART is as late as `_probe_shift` allows: its dates are
    the rule's, shifted, and its search ends within a few decades (400 years at most). The
    copy has no UNTIL (that date would be shifted); the rule's own first dates, as many as
    the copy found, are the answer, ending early at the rule's UNTIL.
    """
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last, datetime.min.time())
    series = rrulestr(rule, dtstart=start)
    shift = _probe_shift(first.year, last.year)
    probe = series.replace(dtstart=start + shift, until=None)
    found = 0
    for moment in probe:
        if moment > end + shift:
            break
        found += 1
        if found > limit:
            break
    return [moment.date() for moment in itertools.islice(series, found) if moment <= end]


@functools.cache
def _probe_shift(first: int, last: int) -> timedelta:
    """The latest shift of the years `first - 1` to `last + 2` towards the year 9999 that
    keeps every one of them the same calendar (its length and the weekday of its 1 January),
    so that every date there keeps its weekday, day of the month, day of the year and week
    number, and an RRULE's dates there shift with it. A shift of whole 400-year cycles
    always does; in the years 1901-2099 and 9901-9999, whose leap years are every fourth,
    one of 28-year steps often ends closer to 9999."""
    years = range(first - 1, last + 3)
    latest = date.max.year - years[-1]
    for years_on in range(latest, latest - 400, -1):
        if all(_same_year(year, year + years_on) for year in years):
            return date(years[0] + years_on, 1, 1) - date(years[0], 1, 1)
    return GREGORIAN_CYCLE * (latest // 400)  # unreachable: a 400-year multiple is tried


def _same_year(one: int, other: int) -> bool:
    """Whether years `one` and `other` have the same calendar."""
    return calendar.isleap(one) == calendar.isleap(other) and (
        date(one, 1, 1).weekday() == date(other, 1, 1).weekday()
    )


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
