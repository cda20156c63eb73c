"""The domain-agnostic scheduling core: a problem model and its CP-SAT solver.

Nothing here knows about stores, plans, YAML or calendars: tasks, resources and
precedences on an integer time axis.
"""

from scheduler.core.cpsat import (
    DEFAULT_EFFORT,
    MAKESPAN,
    find_conflict,
    makespan_lower_bound,
    solve,
    solve_makespan,
)
from scheduler.core.problem import Precedence, Problem, Resource, Scale, Task
from scheduler.core.result import FEASIBLE, INFEASIBLE, OPTIMAL, UNKNOWN, Result

__all__ = [
    "DEFAULT_EFFORT",
    "FEASIBLE",
    "INFEASIBLE",
    "MAKESPAN",
    "OPTIMAL",
    "UNKNOWN",
    "Precedence",
    "Problem",
    "Resource",
    "Result",
    "Scale",
    "Task",
    "find_conflict",
    "makespan_lower_bound",
    "solve",
    "solve_makespan",
]
