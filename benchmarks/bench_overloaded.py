"""An overloaded but feasible plan: the yearly example with three times the activities,
the same eight people and no strict step (issue 11).

    python benchmarks/bench_overloaded.py [--copies 3] [--effort 20]

Every activity of the example is planned `copies` times (the copies a few days later, weekly
and monthly ones on other weekdays and days of the month) with templates whose steps are
not strict, so that a schedule exists (rules 1-6 can all hold) but many tasks are late.
Prints, for each effort: the exit code, status, late days beside the proven bound, the
tasks, and the seconds of the whole `plan` command. Target: a schedule (exit 4), never
exit 3, within the time limit.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import yaml

from scheduler.terminal import text_table

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "tmall-flagship-2027.yaml"
TEMPLATES = ROOT / "templates" / "activities"
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def overloaded(copies: int, folder: Path) -> Path:
    """Write the overloaded plan and its non-strict templates into `folder`."""
    plan = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    templates = folder / "templates"
    templates.mkdir(parents=True)
    for path in TEMPLATES.glob("*.yaml"):
        template = yaml.safe_load(path.read_text("utf-8"))
        for step in template["steps"]:
            step.pop("strict", None)
        (templates / path.name).write_text(yaml.safe_dump(template, allow_unicode=True), "utf-8")
    plan["templates"] = ["templates"]
    activities = []
    for activity in plan["activities"]:
        activities.append(activity)
        for k in range(1, copies):
            twin = copy.deepcopy(activity)
            twin["title"] = f"{activity.get('title', activity['template'])} ({k + 1})"
            if "repeat" in twin:
                twin["repeat"] = _shifted_rule(twin["repeat"], k)
            elif "festival" in twin:
                twin.pop("festival")
                twin["id"] = f"{activity['festival']}_{k + 1}"
                twin["start"] = _festival_day(activity["festival"]) + timedelta(days=3 * k)
            else:
                twin["id"] = f"{activity['id']}_{k + 1}"
                for key in ("start", "end"):
                    if key in twin:
                        twin[key] = _as_date(twin[key]) + timedelta(days=3 * k)
            activities.append(twin)
    plan["activities"] = activities
    path = folder / "overloaded.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def _shifted_rule(rule: str, k: int) -> str:
    parts = dict(p.split("=", 1) for p in rule.split(";"))
    if "BYDAY" in parts:
        parts["BYDAY"] = WEEKDAYS[(WEEKDAYS.index(parts["BYDAY"]) - 2 * k) % 7]
    if "BYMONTHDAY" in parts:
        parts["BYMONTHDAY"] = str((int(parts["BYMONTHDAY"]) + 9 * k - 1) % 28 + 1)
    return ";".join(f"{key}={value}" for key, value in parts.items())


def _festival_day(key: str) -> date:
    from scheduler.workdays.festivals import festival_date

    return festival_date(key, 2027)


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def main() -> None:
    """Plan the overloaded example at a few efforts and print one row each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--effort", nargs="*", default=["5", "20"])
    options = parser.parse_args()
    print(f"plan: tmall-flagship-2027.yaml x{options.copies} activities, no strict step")
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}, CP-SAT workers 2")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        plan_path = overloaded(options.copies, Path(tmp) / "plan")
        for effort in options.effort:
            out = Path(tmp) / f"out-{effort}"
            begin = time.perf_counter()
            command = [sys.executable, "-m", "scheduler", "plan", str(plan_path)]
            command += ["--out", str(out), "--effort", effort]
            done = subprocess.run(command, capture_output=True, text=True)
            seconds = time.perf_counter() - begin
            if not (out / "schedule.json").is_file():
                rows.append([effort, done.returncode, "-", "-", "-", "-", f"{seconds:.1f}"])
                print(done.stderr[-2000:], file=sys.stderr)
                continue
            schedule = json.loads((out / "schedule.json").read_text("utf-8"))
            solver = schedule.get("solver", {})
            late = sum(t["late_days"] for t in schedule["tasks"])
            bound = solver.get("bounds", {}).get("late", "-")
            rows.append([
                effort, done.returncode, schedule["status"], late, bound,
                len(schedule["tasks"]), f"{seconds:.1f}",
            ])  # fmt: skip
    headers = ["effort", "exit", "status", "late days", "bound", "tasks", "seconds"]
    print(text_table(headers, rows))


if __name__ == "__main__":
    main()
