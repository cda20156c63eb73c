"""Re-planning the yearly example after one change, against planning it afresh (issue 10).

    python benchmarks/bench_replan.py [PLAN.yaml] [--today 2027-06-01] [--effort 20]

Plans the example once (version 1), then for each one-change scenario times, each in a
fresh process and a copy of that folder: `replan --today T` (least lateness, then least
change against version 1, the past frozen), `plan` into the folder (a fresh plan whose
tie-break is closeness to version 1) and `plan` into an empty folder (afresh). Beside the
seconds: the status, late days, the tasks changed against version 1 (changes.csv rows) and
the least-change optimum where the engine proved it (its bound on changes).
Target: re-planning after one change is faster than planning afresh.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from scheduler.terminal import text_table

ROOT = Path(__file__).resolve().parents[1]


def add_leave(person: str, first: str, last: str) -> Callable[[dict], None]:
    """An edit: `person` takes leave from `first` to `last`."""

    def edit(plan: dict) -> None:
        member = next(p for p in plan["staff"] if p["id"] == person)
        member.setdefault("leave", []).append({"from": first, "to": last})

    return edit


def move_activity(activity_id: str, days: int) -> Callable[[dict], None]:
    """An edit: the live window of `activity_id` moves by `days` calendar days."""

    def edit(plan: dict) -> None:
        from datetime import date, timedelta

        activity = next(a for a in plan["activities"] if a.get("id") == activity_id)
        for key in ("start", "end"):
            if key in activity:
                value = activity[key]
                value = value if isinstance(value, date) else date.fromisoformat(str(value))
                activity[key] = value + timedelta(days=days)

    return edit


def nothing(plan: dict) -> None:
    """An edit that changes nothing."""


SCENARIOS = [
    ("nothing changed", nothing),
    ("designer chen_hao on leave 09-13..09-24", add_leave("chen_hao", "2027-09-13", "2027-09-24")),
    ("Double Eleven a week earlier", move_activity("double_eleven_2027", -7)),
]


def run(args: list[str]) -> tuple[float, int]:
    """Wall seconds and exit code of `python -m scheduler ARGS` in a fresh process."""
    begin = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "scheduler", *args], capture_output=True)
    return time.perf_counter() - begin, done.returncode


def outcome(folder: Path, first: Path) -> tuple[str, int, int, str]:
    """Status, late days, tasks moved or reassigned against version 1 (in `first`) and the
    least change the engine proved (its bound; '-' when it did not minimise change)."""
    schedule = json.loads((folder / "schedule.json").read_text("utf-8"))
    late = sum(t["late_days"] for t in schedule["tasks"])
    solver = schedule.get("solver", {})
    bound = solver.get("bounds", {}).get("changes")
    value = solver.get("objectives", {}).get("changes")
    proven = "-" if bound is None else (f"{bound} (proven)" if bound == value else f">= {bound}")
    return schedule["status"], late, changed(first, folder), proven


def changed(first: Path, second: Path) -> int:
    """Tasks whose dates or assignee differ between two schedule.json files (or that are in
    only one of them)."""

    def places(folder: Path) -> dict[str, tuple]:
        tasks = json.loads((folder / "schedule.json").read_text("utf-8"))["tasks"]
        return {t["id"]: (t["start"], t["end"], t["assignee"]) for t in tasks}

    a, b = places(first), places(second)
    return sum(a.get(task) != b.get(task) for task in a.keys() | b.keys())


def main() -> None:
    """Print one table: per scenario, replan vs plan into the folder vs plan afresh."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", nargs="?", default=ROOT / "examples" / "tmall-flagship-2027.yaml")
    parser.add_argument("--today", default="2027-06-01")
    parser.add_argument("--effort", default="20")
    options = parser.parse_args()
    source = Path(options.plan).resolve()
    data = yaml.safe_load(source.read_text("utf-8"))
    effort = ["--effort", options.effort]
    print(f"plan: {source.name}, --today {options.today}, --effort {options.effort}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = work / "v1"
        seconds, code = run(["plan", str(source), "--out", str(base), *effort])
        rows.append(["(version 1)", "plan", f"{seconds:.1f}", code, *outcome(base, base)])
        for name, edit in SCENARIOS:
            edited = copy.deepcopy(data)
            edit(edited)
            plan_path = source.parent / f".bench-{os.getpid()}.yaml"  # beside it: same templates
            plan_path.write_text(yaml.safe_dump(edited, allow_unicode=True), "utf-8")
            try:
                for command, extra, start in (
                    ("replan", ["--today", options.today], base),
                    ("plan", [], base),
                    ("plan afresh", [], None),
                ):
                    folder = work / f"{len(rows)}"
                    if start is not None:
                        shutil.copytree(start, folder)
                    verb = command.split()[0]
                    args = [verb, str(plan_path), "--out", str(folder), *extra, *effort]
                    seconds, code = run(args)
                    rows.append([name, command, f"{seconds:.1f}", code, *outcome(folder, base)])
            finally:
                plan_path.unlink(missing_ok=True)
    headers = ["change", "command", "seconds", "exit", "status", "late", "changed vs v1",
               "least change"]  # fmt: skip
    print(text_table(headers, rows))


if __name__ == "__main__":
    main()
