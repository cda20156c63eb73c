"""Time the yearly example end to end: load, expand, solve, export, and the whole command.

    python benchmarks/bench_plan.py [PLAN.yaml] [--repeat N]

Prints a table; the figures go to BENCHMARKS.md with the machine they were measured on.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scheduler import api, core
from scheduler.compiler import compile_plan
from scheduler.summary import text_table

ROOT = Path(__file__).resolve().parents[1]


def measure(plan_path: Path, workers: int) -> dict[str, float | str | int]:
    """One run: seconds per stage, the status and the objective values."""
    t0 = time.perf_counter()
    plan = api.load_plan(plan_path)
    t1 = time.perf_counter()
    compiled = compile_plan(plan)
    t2 = time.perf_counter()
    result = core.solve(compiled.problem, time_limit=60, workers=workers)
    t3 = time.perf_counter()
    schedule = api.make_schedule(plan, time_limit=60, workers=workers)
    with tempfile.TemporaryDirectory() as out:
        t4 = time.perf_counter()
        api.write_outputs(schedule, out)
        t5 = time.perf_counter()
        command = [sys.executable, "-m", "scheduler", "plan", str(plan_path), "--out", out]
        t6 = time.perf_counter()
        code = subprocess.run(command, capture_output=True, check=False).returncode
        t7 = time.perf_counter()
    return {
        "tasks": len(compiled.task_ids),
        "load": t1 - t0,
        "expand": t2 - t1,
        "solve": t3 - t2,
        "status": result.status,
        "late": result.objectives.get("late", "-"),
        "delay": result.objectives.get("delay", "-"),
        "delay bound": result.bounds.get("delay", "-"),
        "export": t5 - t4,
        "command": t7 - t6,
        "exit": code,
    }


def main() -> None:
    """Run the benchmark and print one row per repetition."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("plan", nargs="?", default=ROOT / "examples" / "tmall-flagship-2027.yaml")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rows = []
    for _ in range(args.repeat):
        run = measure(Path(args.plan), args.workers)
        rows.append([f"{v:.2f}" if isinstance(v, float) else v for v in run.values()])
    headers = list(run.keys())
    print(f"plan: {args.plan}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, workers {args.workers}")
    print("seconds per stage (solve = CP-SAT incl. heuristic and polish; command = the CLI)")
    print(text_table(headers, rows))


if __name__ == "__main__":
    main()
