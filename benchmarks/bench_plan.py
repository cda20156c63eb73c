"""Time the yearly example end to end: load, solve, each export, and the whole command.

    python benchmarks/bench_plan.py [PLAN.yaml] [--repeat N] [--workers N]

Prints two tables (solving, exporting); the figures go to BENCHMARKS.md with the machine.
Targets (issues 2 and 3): solve to proven optimality < 10 s, the whole `plan` command
< 20 s, all exports < 5 s, on 2 cores.
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
from scheduler.export.gantt_html import write_html
from scheduler.export.gantt_png import write_png
from scheduler.export.ics import write_calendars
from scheduler.export.tables import write_csv, write_xlsx
from scheduler.planning.adapter import compile_plan
from scheduler.terminal import text_table

ROOT = Path(__file__).resolve().parents[1]


def solve_row(plan_path: Path, workers: int) -> list[object]:
    """Seconds to load and to expand+solve, the status and the objective terms."""
    t0 = time.perf_counter()
    plan = api.load_plan(plan_path)
    t1 = time.perf_counter()
    compiled = compile_plan(plan)
    t2 = time.perf_counter()
    result = core.solve(compiled.problem, workers=workers)
    t3 = time.perf_counter()
    return [
        len(compiled.task_ids),
        f"{t1 - t0:.2f}",
        f"{t2 - t1:.2f}",
        f"{t3 - t2:.2f}",
        result.status,
        result.objectives.get("late", "-"),
        f"{result.objectives.get('delay', '-')} (>= {result.bounds.get('delay', '-')})",
        f"{command_seconds(plan_path):.2f}",
    ]


def command_seconds(plan_path: Path) -> float:
    """Wall seconds of `python -m scheduler plan PLAN --out TMP` in a fresh process."""
    with tempfile.TemporaryDirectory() as out:
        begin = time.perf_counter()
        command = [sys.executable, "-m", "scheduler", "plan", str(plan_path), "--out", out]
        subprocess.run(command, capture_output=True, check=False)
        return time.perf_counter() - begin


def export_row(plan_path: Path, workers: int) -> list[object]:
    """Seconds for each export of the example's schedule, and their sum."""
    schedule = api.make_schedule(api.load_plan(plan_path), workers=workers)
    stamp = schedule.generated
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        writers = {
            "ics": lambda: write_calendars(schedule, out, stamp=stamp),
            "csv": lambda: write_csv(schedule, out / "schedule.csv"),
            "xlsx": lambda: write_xlsx(schedule, out / "schedule.xlsx"),
            "png": lambda: write_png(schedule, out / "gantt.png"),
            "html": lambda: write_html(schedule, out / "gantt.html"),
        }
        seconds = []
        for write in writers.values():
            begin = time.perf_counter()
            write()
            seconds.append(time.perf_counter() - begin)
    return [f"{s:.2f}" for s in seconds] + [f"{sum(seconds):.2f}"]


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("plan", nargs="?", default=ROOT / "examples" / "tmall-flagship-2027.yaml")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    plan = Path(args.plan)
    print(f"plan: {plan.name}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, CP-SAT workers {args.workers}"
    )
    print("\nSolving (seconds; solve = heuristic + CP-SAT + 5 s delay polish at most)")
    headers = ["tasks", "load", "expand", "solve", "status", "late", "delay", "plan command"]
    print(text_table(headers, [solve_row(plan, args.workers) for _ in range(args.repeat)]))
    print("\nExporting (seconds)")
    headers = ["ics", "csv", "xlsx", "png", "html", "all"]
    print(text_table(headers, [export_row(plan, args.workers) for _ in range(args.repeat)]))


if __name__ == "__main__":
    main()
