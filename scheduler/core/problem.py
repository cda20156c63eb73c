"""A small scheduling problem model, independent of stores, plans and calendars.

Time is an integer axis of periods 0 .. horizon-1. A task occupies `duration` consecutive
periods on exactly one of its alternative resources (or on none, when it has none), and holds
the units of its `uses` resources throughout: a multi-resource job of a resource-constrained
project (RCPSP) is a task with `uses` only. Each period may carry a *time label*
(`Problem.times`, strictly increasing) so that soft due dates and some delays can be measured
on another scale than periods (a plan uses working days as periods and calendar days as time).
Each dataclass checks its own fields; `Problem` checks the cross-references once.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from enum import Enum


class Scale(Enum):
    """What a precedence delay counts."""

    PERIODS = "periods"  # start(succ) >= end(pred) + delay, end exclusive
    TIME = "time"  # times[start(succ)] >= times[last(pred)] + delay, last = end - 1


@dataclass(frozen=True)
class Resource:
    """A renewable resource (a person, a machine) with a capacity per period.

    `unavailable` lists half-open period ranges [start, end) in which it can do nothing.
    """

    name: str
    capacity: int = 1
    unavailable: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError(f"resource {self.name}: capacity {self.capacity} < 1")
        for start, end in self.unavailable:
            if start >= end:
                raise ValueError(f"resource {self.name}: empty unavailable range {start}..{end}")
        ranges = sorted(self.unavailable)
        for (_, end), (start, _) in itertools.pairwise(ranges):
            if start < end:
                raise ValueError(f"resource {self.name}: unavailable ranges overlap; merge them")


@dataclass(frozen=True)
class Task:
    """A task of `duration` periods using `demand` of exactly one resource of `resources`
    (when there is any), and besides it `units` of each `(resource, units)` in `uses`.

    release: first period it may start in (None: no lower bound). deadline: a hard bound
    on its exclusive end. due: a soft bound on the time label of its last period; lateness =
    max(0, time - due). target: where to put a task that neither a release nor a due date
    places (see windows.preferred_starts). fixed_start / fixed_resource pin it (work
    already done or under way). previous: its (start, resource) in an earlier version, either
    None where that is no longer possible; a task whose start or resource differs from it
    counts as a change (least change, after least lateness).
    """

    name: str
    duration: int
    resources: tuple[int, ...]
    demand: int = 1
    release: int | None = None
    target: int | None = None
    deadline: int | None = None
    due: int | None = None
    fixed_start: int | None = None
    fixed_resource: int | None = None
    previous: tuple[int | None, int | None] | None = None
    uses: tuple[tuple[int, int], ...] = ()  # (resource index, units) held throughout

    def __post_init__(self) -> None:
        if self.duration < 1:
            raise ValueError(f"task {self.name}: duration {self.duration} < 1")
        if not self.resources and not self.uses:
            raise ValueError(f"task {self.name}: no resource can do it")
        for r, units in self.uses:
            if units < 1:
                raise ValueError(f"task {self.name}: uses {units} < 1 units of resource {r}")
        if len({r for r, _ in self.uses}) != len(self.uses):
            raise ValueError(f"task {self.name}: a resource listed twice in uses")


@dataclass(frozen=True)
class Precedence:
    """`succ` starts after `pred` ends, plus `delay` counted on `scale` (see Scale)."""

    pred: int
    succ: int
    delay: int = 0
    scale: Scale = Scale.PERIODS


@dataclass(frozen=True)
class Problem:
    """Tasks, resources and precedences over the periods 0 .. horizon-1."""

    tasks: tuple[Task, ...]
    resources: tuple[Resource, ...]
    precedences: tuple[Precedence, ...] = ()
    horizon: int = 0
    times: tuple[int, ...] | None = None  # time label of each period; None: the period itself
    hint: dict[int, tuple[int, int]] = field(default_factory=dict)  # task -> (start, resource)

    def __post_init__(self) -> None:
        if self.times is not None and len(self.times) != self.horizon:
            raise ValueError(f"times has {len(self.times)} labels for {self.horizon} periods")
        for index, task in enumerate(self.tasks):
            for r in task.resources:
                if not 0 <= r < len(self.resources):
                    raise ValueError(f"task {task.name}: unknown resource index {r}")
                if task.demand > self.resources[r].capacity:
                    raise ValueError(
                        f"task {task.name}: demand {task.demand} exceeds the capacity of "
                        f"{self.resources[r].name}"
                    )
            for r, units in task.uses:
                if not 0 <= r < len(self.resources):
                    raise ValueError(f"task {task.name}: unknown resource index {r}")
                if r in task.resources:
                    raise ValueError(f"task {task.name}: resource {r} both used and alternative")
                if units > self.resources[r].capacity:
                    raise ValueError(
                        f"task {task.name}: uses {units} units, more than the capacity of "
                        f"{self.resources[r].name}"
                    )
            if task.fixed_resource is not None and task.fixed_resource not in task.resources:
                raise ValueError(f"task {index} {task.name}: fixed resource is not allowed")
        for p in self.precedences:
            if not (0 <= p.pred < len(self.tasks) and 0 <= p.succ < len(self.tasks)):
                raise ValueError(f"precedence {p}: unknown task index")

    def time(self, period: int) -> int:
        """The time label of `period` (past either end of the horizon, one unit per period
        on from the nearest label, so that windows reaching beyond it stay comparable)."""
        if self.times is None:
            return period
        if period < 0:
            return self.times[0] + period
        if period >= len(self.times):
            return self.times[-1] + period - len(self.times) + 1
        return self.times[period]

    def first_period_at(self, label: int) -> int:
        """The first period whose time label is >= label (horizon when there is none)."""
        if self.times is None:
            return max(label, 0)
        return bisect.bisect_left(self.times, label)

    def last_period_at(self, label: int) -> int:
        """The last period whose time label is <= label (-1 when there is none)."""
        if self.times is None:
            return min(label, self.horizon - 1)
        return bisect.bisect_right(self.times, label) - 1
