"""Agency plans from one store to fifty: time to load, expand, solve and export, and memory.

    python benchmarks/scale.py [--stores 1 10 50] [--variant shared own] [--effort 20]
                               [--no-export] [--time-limit 600]

Each store's year is the bundled example's (`examples/tmall-flagship-2027.yaml`: 53 weekly
sales, 12 member days, 618, Double Eleven, ...; about 700 tasks), with its own operations
(2), promotion (2) and customer service (2) people, their leave as in the example, and one
week in October when both of its customer-service people are away (the week Double
Eleven's service training is due, so a few tasks are late whatever the schedule: forced by
dates and leave). Designers:

- `shared`: one designer per two stores (at least one), working for every store;
- `own`: two designers per store, working for that store only. The stores then share
  nobody, so the least lateness of N stores is N times one store's (the optimum is known
  by construction once the 1-store plan is proven).

Strict steps are kept. Plans beyond the 20,000-task limit of a plan file (50 stores is
about 35,000 tasks) are planned with that limit raised for the run (`MAX_TASKS`).

Each case runs in its own process (its peak resident memory is the process's); one line
per case: tasks, seconds of each phase, status, late days, the lower bound of the least
lateness and its sources, the gap to it, peak memory.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "tmall-flagship-2027.yaml"
CS_AWAY = ("2027-10-11", "2027-10-15")  # the week both service people of a store are away


def agency_plan(stores: int, variant: str) -> dict:
    """The plan data of `stores` stores (see the module docstring)."""
    base = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    staff = base["staff"]
    others = [p for p in staff if "design" not in p["roles"]]
    designers = [p for p in staff if "design" in p["roles"]]
    plan = {k: v for k, v in base.items() if k not in ("staff", "activities")}
    plan["name"] = f"Agency of {stores} stores ({variant} designers)"
    plan["stores"] = [{"id": f"s{k:02d}", "name": f"Store {k:02d}"} for k in range(stores)]
    people, activities = [], []
    for k in range(stores):
        store = f"s{k:02d}"
        for person in others:
            twin = copy.deepcopy(person)
            twin["id"] = f"{person['id']}_{store}"
            twin["name"] = f"{person['name']}{k:02d}"
            twin.pop("email", None)
            twin["stores"] = [store]
            if "customer_service" in person["roles"]:
                twin["leave"] = [*twin.get("leave", []), {"from": CS_AWAY[0], "to": CS_AWAY[1]}]
            people.append(twin)
        if variant == "own":
            for person in designers:
                twin = copy.deepcopy(person)
                twin["id"] = f"{person['id']}_{store}"
                twin["name"] = f"{person['name']}{k:02d}"
                twin.pop("email", None)
                twin["stores"] = [store]
                people.append(twin)
        for activity in base["activities"]:
            twin = copy.deepcopy(activity)
            twin["store"] = store
            if "id" in twin:
                twin["id"] = f"{activity['id']}_{store}"
            if "owner" in twin:
                twin["owner"] = f"{activity['owner']}_{store}"
            activities.append(twin)
    if variant == "shared":
        for d in range(max(1, stores // 2)):
            model = designers[d % len(designers)]
            twin = copy.deepcopy(model)
            twin["id"] = f"designer_{d:02d}"
            twin["name"] = f"{model['name']}{d:02d}"
            twin.pop("email", None)
            people.append(twin)
    plan["staff"] = people
    plan["activities"] = activities
    return plan


def run_case(stores: int, variant: str, effort: float, time_limit: float, export: bool) -> dict:
    """Plan one case here and return its figures."""
    from scheduler import api, core
    from scheduler.expansion import expand
    from scheduler.planning.adapter import compile_plan, to_schedule

    expand.MAX_TASKS = max(expand.MAX_TASKS, 40_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "agency.yaml"
        path.write_text(yaml.safe_dump(agency_plan(stores, variant), allow_unicode=True), "utf-8")
        clock = time.perf_counter()
        plan = api.load_plan(path)
        loaded = time.perf_counter()
        compiled = compile_plan(plan)
        expanded = time.perf_counter()
        result = core.solve(compiled.problem, effort=effort, time_limit=time_limit, workers=2)
        solved = time.perf_counter()
        schedule = to_schedule(compiled, result)
        problems = core.check.violations(
            compiled.problem, list(result.starts), list(result.resources)
        )
        if export:
            api.write_outputs(schedule, Path(tmp) / "out")
        exported = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    late = result.objectives.get("late")
    bound = result.bounds.get("late")
    return {
        "stores": stores,
        "variant": variant,
        "tasks": len(compiled.problem.tasks),
        "load": round(loaded - clock, 2),
        "expand": round(expanded - loaded, 2),
        "solve": round(solved - expanded, 2),
        "export": round(exported - solved, 2) if export else None,
        "status": result.status,
        "late": late,
        "bound": bound,
        "sources": result.late_bounds,
        "gap": None if late is None or bound is None else _gap(late, bound),
        "effort": result.effort,
        "cut_short": result.cut_short,
        "valid": not problems,
        "peak_mb": round(peak),
    }


def _gap(late: int, bound: int) -> str:
    """How far above its bound the lateness is, in percent of the bound."""
    if late == bound:
        return "0%"
    return "inf" if bound == 0 else f"{100 * (late - bound) / bound:.1f}%"


def main() -> None:
    """Run every case in a fresh process and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, nargs="*", default=[1, 10])
    parser.add_argument("--variant", nargs="*", default=["shared", "own"])
    parser.add_argument("--effort", type=float, default=20.0)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--case", nargs=2, help=argparse.SUPPRESS)  # stores variant: one case
    options = parser.parse_args()
    if options.case:
        figures = run_case(
            int(options.case[0]), options.case[1], options.effort, options.time_limit,
            not options.no_export,
        )  # fmt: skip
        print(json.dumps(figures))
        return
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}, CP-SAT workers 2")
    print(f"effort {options.effort:g}, time limit {options.time_limit:g} s")
    rows = []
    for variant in options.variant:
        for stores in options.stores:
            command = [sys.executable, __file__, "--case", str(stores), variant]
            command += ["--effort", str(options.effort), "--time-limit", str(options.time_limit)]
            command += ["--no-export"] if options.no_export else []
            begin = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            seconds = time.perf_counter() - begin
            if done.returncode != 0:
                print(done.stderr[-3000:], file=sys.stderr)
                continue
            f = json.loads(done.stdout.strip().splitlines()[-1])
            sources = " ".join(f"{k} {v}" for k, v in f["sources"].items())
            rows.append([
                f["stores"], f["variant"], f["tasks"], f["load"], f["expand"], f["solve"],
                "-" if f["export"] is None else f["export"], f"{seconds:.1f}", f["status"],
                f["late"], f["bound"], "-" if f["gap"] is None else f["gap"],
                sources, f["effort"], "yes" if f["valid"] else "NO", f["peak_mb"],
            ])  # fmt: skip
            print(json.dumps(f), file=sys.stderr)
    from scheduler.terminal import text_table

    headers = [
        "stores", "designers", "tasks", "load", "expand", "solve", "export", "process",
        "status", "late", "bound", "gap", "bound from", "effort", "valid", "peak MB",
    ]  # fmt: skip
    print(text_table(headers, rows))


if __name__ == "__main__":
    main()
