"""What solving a `Problem` gives back: a result, never an exception for infeasibility."""

from __future__ import annotations

from dataclasses import dataclass, field

OPTIMAL = "optimal"
FEASIBLE = "feasible"
INFEASIBLE = "infeasible"
UNKNOWN = "unknown"  # no solution found within the effort, none proven impossible


@dataclass(frozen=True)
class Result:
    """The solver's answer.

    starts/resources/lateness are indexed like `Problem.tasks` (empty without a solution).
    objectives: the value of each named objective term, in lexicographic order.
    bounds: the proven lower bound of each objective term.
    late_bounds: where the bound of the least lateness comes from: `dates` (earliest ends
    from dates, lags, precedences and leave, before any search), `load` (the backlog of
    work each resource group cannot clear in time, also before any search), `chains` (that
    backlog carried to the tasks after it through precedences, before any search; these two
    are left out when the first schedule meets the date bound), `lp` (the time-indexed
    linear relaxation of each busy group's tasks, before any search, left out likewise),
    `relaxation` (relaxations solved with CP-SAT), `search` (the whole model's search),
    `decomposition` (independent parts solved alone); `bounds["late"]` is their largest.
    conflict: names of constraint terms that together admit no schedule (when infeasible).
    """

    status: str
    starts: tuple[int, ...] = ()
    resources: tuple[int, ...] = ()
    lateness: tuple[int, ...] = ()
    objectives: dict[str, int] = field(default_factory=dict)
    bounds: dict[str, int] = field(default_factory=dict)
    runtime: float = 0.0  # wall-clock seconds (timing: may differ between runs)
    conflict: tuple[str, ...] = ()
    effort: float = 0.0  # deterministic work spent (CP-SAT deterministic time)
    cut_short: bool = False  # the wall-clock safety limit stopped the search
    late_bounds: dict[str, int] = field(default_factory=dict)  # the lateness bound's sources

    @property
    def has_solution(self) -> bool:
        """Whether a schedule came back."""
        return self.status in (OPTIMAL, FEASIBLE)
