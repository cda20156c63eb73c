"""What a sub-solve of a changed plan (a fix's check, a staffing probe) sends back.

A sub-solve may run on another machine (scheduler/executors.py), so it returns only what
its caller reads: the status, the total late days and whether the wall-clock limit cut it
short, not the whole schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scheduler.plan.model import Plan

SCHEDULED = ("optimal", "feasible")


@dataclass(frozen=True)
class Outcome:
    """The result of planning a changed plan."""

    status: str  # optimal | feasible | infeasible | unknown
    late_days: int
    cut_short: bool = False  # the wall-clock limit stopped it: its late days may differ

    @property
    def scheduled(self) -> bool:
        """Whether the changed plan got a schedule."""
        return self.status in SCHEDULED


SubSolve = Callable[[Plan], Outcome]  # a picklable function (a module-level one, or a partial)
