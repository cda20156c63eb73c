"""PSPLIB single-mode RCPSP instances through the engine's solver core (issue 12, item 4).

    python benchmarks/psplib.py --set j30 --time-limit 2 --workers 2 [--instances N]
        [--sample stratified60] [--model both|core|plain] [--data DIR] --out results.jsonl

Reads the `.sm` files of a set (j30, j60, j90, j120) from `--data` (default
`../shared/data/psplib` beside the repository), turns each into the core's problem model
(`scheduler.core.Problem`: one task per job holding its renewable resources through
`Task.uses`) and minimises the makespan with `scheduler.core.solve_makespan`. For
comparison, the same instances go through a plain CP-SAT model written here (one interval
per job, one cumulative per resource, default parameters). Every schedule of either is
checked by `check_schedule`, a precedence and capacity check from the file's data alone.

Writes one JSON line per instance and model (`instance`, `model`, `makespan`, `status`,
`seconds`, `starts`: each job's start, jobs numbered as in the file, `reference`, `bound`,
`valid`) to `--out`, then prints a summary table per model: valid, proven optimal, equal
to the reference, better than it, mean and largest gap to it. The references are
`solutions/j30opt.sm` (proven optima) for J30 and the best-known upper bounds
`solutions/j<n>hrs.sm` otherwise.

This benchmark mode is time-bounded: `--time-limit` seconds (wall clock) per instance and
model, as the issue asks, so results may differ between runs and machines. `--effort`
makes the core's search deterministic instead (CP-SAT deterministic time, as in `plan`).
`--sample stratified60` takes 60 instances spread over the parameter groups: instance k of
the set's (parameter, instance) order at position k * n / 60, shifted by k modulo the group
size (J120: one instance of each of the 60 groups, instance numbers 1, 2, .., 10, 1, ..).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import ortools
from ortools.sat.python import cp_model

from scheduler.core import MAKESPAN, OPTIMAL, Precedence, Problem, Resource, Task, solve_makespan
from scheduler.terminal import text_table
from scheduler.versions.atomic import write_text

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "psplib"
SETS = ("j30", "j60", "j90", "j120")


@dataclass(frozen=True)
class Instance:
    """One single-mode RCPSP: jobs 1..n as in the file (index 0 is job 1)."""

    name: str
    durations: tuple[int, ...]
    successors: tuple[tuple[int, ...], ...]  # job indices (0-based)
    demands: tuple[tuple[int, ...], ...]  # per job, per resource
    capacities: tuple[int, ...]


def parse_sm(path: Path) -> Instance:
    """The instance of a PSPLIB single-mode `.sm` file (ValueError when it is not one)."""
    text = path.read_text("ascii", errors="replace")
    jobs = int(_field(text, r"jobs \(incl\. supersource/sink \):\s*(\d+)", path))
    renewable = int(_field(text, r"- renewable\s*:\s*(\d+)", path))
    successors: dict[int, tuple[int, ...]] = {}
    for line in _section(text, "PRECEDENCE RELATIONS:", path)[1:]:
        numbers = [int(x) for x in line.split()]
        job, count = numbers[0], numbers[2]
        if numbers[1] != 1 or len(numbers) != 3 + count:
            raise ValueError(f"{path}: job {job}: not a single-mode precedence line")
        successors[job] = tuple(s - 1 for s in numbers[3:])
    durations: dict[int, int] = {}
    demands: dict[int, tuple[int, ...]] = {}
    for line in _section(text, "REQUESTS/DURATIONS:", path)[2:]:
        numbers = [int(x) for x in line.split()]
        if len(numbers) < 3 + renewable:
            raise ValueError(f"{path}: short request line {line!r}")
        durations[numbers[0]] = numbers[2]
        demands[numbers[0]] = tuple(numbers[3 : 3 + renewable])
    capacity_lines = _section(text, "RESOURCEAVAILABILITIES:", path)
    capacities = tuple(int(x) for x in capacity_lines[1].split()[:renewable])
    if sorted(successors) != list(range(1, jobs + 1)) or sorted(durations) != sorted(successors):
        raise ValueError(f"{path}: expected jobs 1..{jobs} in both tables")
    order = range(1, jobs + 1)
    return Instance(
        name=path.stem,
        durations=tuple(durations[j] for j in order),
        successors=tuple(successors[j] for j in order),
        demands=tuple(demands[j] for j in order),
        capacities=capacities,
    )


def _field(text: str, pattern: str, path: Path) -> str:
    found = re.search(pattern, text)
    if found is None:
        raise ValueError(f"{path}: no match for {pattern!r}")
    return found.group(1)


def _section(text: str, title: str, path: Path) -> list[str]:
    """The non-empty lines after `title` up to the next line of stars."""
    if title not in text:
        raise ValueError(f"{path}: no {title}")
    body = text.split(title, 1)[1].split("*****", 1)[0]
    return [line for line in body.splitlines() if line.strip()]


def read_references(folder: Path, name: str) -> dict[str, int]:
    """Reference makespans of a set by instance name (`j301_1`): J30's proven optima,
    else the best-known upper bounds."""
    path = folder / ("j30opt.sm" if name == "j30" else f"{name}hrs.sm")
    found = {}
    for line in path.read_text("ascii", errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 3 and all(p.isdigit() for p in parts[:3]):
            found[f"{name}{parts[0]}_{parts[1]}"] = int(parts[2])
    return found


def to_problem(instance: Instance) -> tuple[Problem, list[int]]:
    """The core's problem of an instance, and the job index of each task.

    Jobs of duration 0 (the source and sink) hold nothing and take no time: they are left
    out, their precedences carried through them, and put back by `job_starts`."""
    real = [j for j, d in enumerate(instance.durations) if d > 0]
    task_of = {j: k for k, j in enumerate(real)}
    resources = tuple(Resource(f"R{r + 1}", c) for r, c in enumerate(instance.capacities))
    tasks = []
    for j in real:
        uses = tuple((r, u) for r, u in enumerate(instance.demands[j]) if u > 0)
        if not uses:
            raise ValueError(f"{instance.name}: job {j + 1} takes time but needs no resource")
        tasks.append(Task(f"job{j + 1}", instance.durations[j], (), uses=uses))
    precedences = sorted(
        {(task_of[a], task_of[b]) for a in real for b in _real_successors(instance, a)}
    )
    problem = Problem(
        tasks=tuple(tasks),
        resources=resources,
        precedences=tuple(Precedence(a, b) for a, b in precedences),
        horizon=max(1, sum(instance.durations)),
    )
    return problem, real


def _real_successors(instance: Instance, job: int) -> set[int]:
    """The jobs of positive duration after `job`, through jobs of duration 0."""
    found, todo, seen = set(), list(instance.successors[job]), set()
    while todo:
        j = todo.pop()
        if j in seen:
            continue
        seen.add(j)
        if instance.durations[j] > 0:
            found.add(j)
        else:
            todo.extend(instance.successors[j])
    return found


def job_starts(instance: Instance, real: list[int], task_starts: tuple[int, ...]) -> list[int]:
    """Every job's start: the solved tasks' starts, each job of duration 0 at the end of
    its latest predecessor (0 when it has none)."""
    starts: list[int | None] = [None] * len(instance.durations)
    for k, j in enumerate(real):
        starts[j] = task_starts[k]
    preds: list[list[int]] = [[] for _ in instance.durations]
    for a, succs in enumerate(instance.successors):
        for b in succs:
            preds[b].append(a)
    changed = True
    while changed:  # few zero jobs: settle them by repeated passes
        changed = False
        for j, d in enumerate(instance.durations):
            if d == 0 and all(starts[p] is not None for p in preds[j]):
                value = max((starts[p] + instance.durations[p] for p in preds[j]), default=0)
                if starts[j] != value:
                    starts[j], changed = value, True
    return [s if s is not None else 0 for s in starts]


def check_schedule(instance: Instance, starts: list[int]) -> list[str]:
    """Every precedence and capacity rule the job starts break, from the file's data alone
    (empty when the schedule is valid)."""
    found = []
    n = len(instance.durations)
    if len(starts) != n:
        return [f"{len(starts)} starts for {n} jobs"]
    for j in range(n):
        if starts[j] < 0:
            found.append(f"job {j + 1} starts at {starts[j]} < 0")
        for s in instance.successors[j]:
            if starts[s] < starts[j] + instance.durations[j]:
                found.append(f"job {s + 1} starts before job {j + 1} ends")
    end = max((s + d for s, d in zip(starts, instance.durations, strict=True)), default=0)
    for t in range(end):
        for r, capacity in enumerate(instance.capacities):
            load = sum(
                instance.demands[j][r]
                for j in range(n)
                if starts[j] <= t < starts[j] + instance.durations[j]
            )
            if load > capacity:
                found.append(f"R{r + 1} at {t}: {load} > {capacity}")
    return found


def makespan_of(instance: Instance, starts: list[int]) -> int:
    """The end of the last job."""
    return max(s + d for s, d in zip(starts, instance.durations, strict=True))


def solve_core(
    instance: Instance, time_limit: float, workers: int, effort: float | None = None
) -> dict:
    """Makespan, status, job starts and bound from the engine's core."""
    began = time.monotonic()
    problem, real = to_problem(instance)
    result = solve_makespan(
        problem,
        effort=1e9 if effort is None else effort,
        time_limit=time_limit if effort is None else 600.0,
        workers=workers,
        # time-bounded: CP-SAT's parallel portfolio, not the deterministic interleaving
        **({"interleave_search": False} if effort is None else {}),
    )
    seconds = time.monotonic() - began
    if not result.has_solution:
        return {"status": result.status, "seconds": seconds, "starts": None, "bound": None}
    return {
        "status": result.status,
        "seconds": seconds,
        "starts": job_starts(instance, real, result.starts),
        "bound": result.bounds[MAKESPAN],
    }


def solve_plain(instance: Instance, time_limit: float, workers: int) -> dict:
    """The plain CP-SAT model: one interval per job, one cumulative per resource,
    precedences, the makespan as the sink's end; default parameters."""
    began = time.monotonic()
    horizon = sum(instance.durations)
    model = cp_model.CpModel()
    starts, ends, intervals = [], [], []
    for j, d in enumerate(instance.durations):
        start = model.NewIntVar(0, horizon, f"s{j + 1}")
        end = model.NewIntVar(0, horizon, f"e{j + 1}")
        intervals.append(model.NewIntervalVar(start, d, end, f"job{j + 1}"))
        starts.append(start)
        ends.append(end)
    for j, succs in enumerate(instance.successors):
        for s in succs:
            model.Add(starts[s] >= ends[j])
    for r, capacity in enumerate(instance.capacities):
        jobs = [j for j in range(len(intervals)) if instance.demands[j][r] > 0]
        model.AddCumulative(
            [intervals[j] for j in jobs], [instance.demands[j][r] for j in jobs], capacity
        )
    makespan = model.NewIntVar(0, horizon, "makespan")
    model.AddMaxEquality(makespan, ends)
    model.Minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    code = solver.Solve(model)
    seconds = time.monotonic() - began
    status = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible"}.get(code)
    if status is None:
        return {
            "status": solver.StatusName(code).lower(),
            "seconds": seconds,
            "starts": None,
            "bound": None,
        }
    return {
        "status": status,
        "seconds": seconds,
        "starts": [solver.Value(s) for s in starts],
        "bound": int(solver.BestObjectiveBound()),
    }


def select(files: list[Path], sample: str | None, count: int | None) -> list[Path]:
    """The instances to run, in (parameter, instance) order: a sample, then the first N."""
    files = sorted(files, key=_order)
    if sample == "stratified60" and len(files) > 60:
        step = len(files) // 60
        files = [files[k * len(files) // 60 + k % step] for k in range(60)]
    elif sample is not None and sample != "stratified60":
        raise ValueError(f"unknown sample {sample!r} (expected stratified60)")
    return files[:count] if count is not None else files


def _order(path: Path) -> tuple[int, int]:
    found = re.fullmatch(r"(?:j30|j60|j90|j120)(\d+)_(\d+)", path.stem)
    return (int(found.group(1)), int(found.group(2))) if found else (10**9, 0)


def run(args: argparse.Namespace) -> list[dict]:
    """Solve the selected instances with each model, writing the JSON lines."""
    folder = Path(args.data) / args.set
    files = select(list(folder.glob("*.sm")), args.sample, args.instances)
    references = read_references(Path(args.data) / "solutions", args.set)
    models = ("core", "plain") if args.model == "both" else (args.model,)
    rows, lines = [], []
    for path in files:
        instance = parse_sm(path)
        for model in models:
            if model == "core":
                found = solve_core(instance, args.time_limit, args.workers, args.effort)
            else:
                found = solve_plain(instance, args.time_limit, args.workers)
            starts = found["starts"]
            problems = check_schedule(instance, starts) if starts is not None else ["no schedule"]
            row = {
                "instance": instance.name,
                "model": model,
                "makespan": makespan_of(instance, starts) if starts is not None else None,
                "status": found["status"],
                "seconds": round(found["seconds"], 3),
                "starts": starts,
                "reference": references.get(instance.name),
                "bound": found["bound"],
                "valid": not problems,
            }
            if problems:
                row["problems"] = problems[:5]
            rows.append(row)
            lines.append(json.dumps(row, separators=(",", ":")))
            print(
                f"{instance.name:10} {model:5} {row['makespan']} ({row['reference']}) "
                f"{row['status']} {row['seconds']:.2f}s{'' if row['valid'] else ' INVALID'}",
                file=sys.stderr,
                flush=True,
            )
            write_text(args.out, "\n".join(lines) + "\n")
    return rows


def summary(rows: list[dict]) -> str:
    """Per model: instances, valid, proven, equal to / better than the reference, gaps."""
    table = []
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == model]
        solved = [r for r in mine if r["valid"] and r["reference"]]
        gaps = [100.0 * (r["makespan"] - r["reference"]) / r["reference"] for r in solved]
        table.append(
            [
                model,
                len(mine),
                sum(r["valid"] for r in mine),
                sum(r["status"] == OPTIMAL for r in mine),
                sum(r["makespan"] == r["reference"] for r in solved),
                sum(r["makespan"] < r["reference"] for r in solved),
                f"{sum(gaps) / len(gaps):+.2f}%" if gaps else "-",
                f"{max(gaps):+.2f}%" if gaps else "-",
                f"{sum(r['seconds'] for r in mine) / max(1, len(mine)):.2f}",
            ]
        )
    headers = [
        "model",
        "instances",
        "valid",
        "proven",
        "= ref",
        "< ref",
        "mean gap",
        "max gap",
        "mean s",
    ]
    return text_table(headers, table)


def main() -> None:
    """Command line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=SETS, default="j30")
    parser.add_argument("--time-limit", type=float, default=2.0, help="seconds per solve")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--instances", type=int, default=None, help="the first N only")
    parser.add_argument("--sample", choices=["stratified60"], default=None)
    parser.add_argument("--model", choices=["both", "core", "plain"], default="both")
    parser.add_argument(
        "--effort",
        type=float,
        default=None,
        help="deterministic work for the core instead of the time limit",
    )
    parser.add_argument("--data", default=str(DATA), help="the psplib folder")
    parser.add_argument("--out", required=True, help="JSON lines file")
    args = parser.parse_args()
    if not (Path(args.data) / args.set).is_dir():
        parser.exit(2, f"{args.data}: no {args.set} folder (expected the PSPLIB data)\n")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, OR-Tools {ortools.__version__}; "
        f"set {args.set}, time limit {args.time_limit} s, workers {args.workers}",
        flush=True,
    )
    rows = run(args)
    print(summary(rows))


if __name__ == "__main__":
    main()
