"""`explain` on over-constrained yearly plans, fixes included (issue 13).

    python benchmarks/bench_explain.py [--effort 20] [--variant one_designer]

Variants of the bundled yearly example: `one_designer` (the designer chen_hao removed: his
steps fall to the other designer) and `leave_double_eleven` (chen_hao on leave through the
Double Eleven preparation, 2027-09-20..2027-10-15, and zhang_ting, the other designer, on
leave 2027-10-08..2027-10-22: alone, chen_hao's leave is covered and nothing is late).
Prints, for each, the exit code, the late days, how many checked fixes were found, the late
days of the best one and the seconds of the whole `explain` command. Target: under 30 s,
fixes included.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from scheduler.terminal import text_table

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "tmall-flagship-2027.yaml"


def variant(name: str, folder: Path) -> Path:
    """Write the over-constrained variant `name` of the example into `folder`."""
    plan = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    if name == "one_designer":
        plan["staff"] = [p for p in plan["staff"] if p["id"] != "chen_hao"]
    elif name == "leave_double_eleven":
        for person in plan["staff"]:
            if person["id"] == "chen_hao":
                person["leave"] = [{"from": "2027-09-20", "to": "2027-10-15"}]
            if person["id"] == "zhang_ting":  # the other designer away too, after National Day
                person.setdefault("leave", []).append({"from": "2027-10-08", "to": "2027-10-22"})
    else:
        raise SystemExit(f"unknown variant {name}")
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def main() -> None:
    """Explain each variant and print one row each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--effort", default="20")
    parser.add_argument("--variant", nargs="*", default=["one_designer", "leave_double_eleven"])
    options = parser.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    print(f"machine: {machine}, Python {platform.python_version()}, CP-SAT workers 2")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in options.variant:
            plan = variant(name, Path(tmp))
            command = [sys.executable, "-m", "scheduler", "explain", str(plan)]
            command += ["--effort", options.effort]
            begin = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            seconds = time.perf_counter() - begin
            # the example is a zh plan: its lines are in Chinese (scheduler/phrases.py)
            late = re.search(r"延误：\d+ 项任务，共 (\d+) 天", done.stdout)
            listed = done.stdout.partition("修改建议（")[2]
            fixes = re.findall(r"^  - .*：(无任务延误|仍延误 (\d+) 天)", listed, re.M)
            best = min((0 if f[0] == "无任务延误" else int(f[1]) for f in fixes), default="-")
            rows.append([
                name, done.returncode, late.group(1) if late else "-", len(fixes), best,
                f"{seconds:.1f}",
            ])  # fmt: skip
    headers = ["variant", "exit", "late days", "fixes", "best fix", "seconds"]
    print(text_table(headers, rows))


if __name__ == "__main__":
    main()
