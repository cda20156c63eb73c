"""Time each export on an agency's schedule: 10 stores sharing their designers.

    python benchmarks/bench_exports.py [--stores 10] [--repeat 3] [--profile xlsx]

The plan is made here: the bundled example's activities once per store (store ids
`s01`..), each store with its own operations, promotion and customer-service people,
designers shared by all stores, one per two stores. It is solved once with low effort
(`plan --effort 1`: how late it is does not matter here) and its schedule.json is kept in
the temporary folder (re-used while the plan and the code's solve give the same file).
Then each export is timed: the whole `promo-scheduler export` command in a fresh process,
and each writer in-process (ics, csv, xlsx, html, png). `--profile NAME` prints a cProfile
of one in-process writer instead. Figures go to BENCHMARKS.md with the machine.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import hashlib
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from scheduler.export.gantt_html import write_html
from scheduler.export.gantt_png import write_png
from scheduler.export.ics import write_calendars
from scheduler.export.tables import write_csv, write_xlsx
from scheduler.schedule import Schedule
from scheduler.terminal import text_table

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "tmall-flagship-2027.yaml"
WRITERS = ("ics", "csv", "xlsx", "html", "png")


def agency_plan(stores: int, example: Path = EXAMPLE) -> dict:
    """The example's year once per store: own operations, promotion and customer service
    per store, its designers' places taken by shared designers, one per two stores."""
    base = yaml.safe_load(example.read_text(encoding="utf-8"))
    ids = [f"s{n:02d}" for n in range(1, stores + 1)]
    own = [p for p in base["staff"] if "design" not in p["roles"]]
    designers = [p for p in base["staff"] if "design" in p["roles"]]
    staff = []
    for store in ids:
        for person in own:
            copied = copy.deepcopy(person)
            copied["id"] = f"{store}_{person['id']}"
            copied["name"] = f"{person['name']} ({store})"
            copied["email"] = person["email"].replace("@", f"+{store}@")
            copied["stores"] = [store]
            staff.append(copied)
    for n in range(max(1, stores // 2)):
        copied = copy.deepcopy(designers[n % len(designers)])
        copied["id"] = f"designer_{n + 1:02d}"
        copied["name"] = f"{copied['name']} {n + 1}"
        copied["email"] = copied["email"].replace("@", f"+{n + 1}@")
        staff.append(copied)
    activities = []
    for store in ids:
        for activity in base["activities"]:
            copied = copy.deepcopy(activity)
            copied["store"] = store
            if "owner" in copied:
                copied["owner"] = f"{store}_{copied['owner']}"
            activities.append(copied)
    plan = {key: value for key, value in base.items() if key not in ("staff", "activities")}
    plan["name"] = f"{base['name']} × {stores} stores"
    plan["stores"] = [{"id": s, "name": f"店铺 {s}"} for s in ids]
    plan["staff"] = staff
    plan["activities"] = activities
    return plan


def cached_schedule(stores: int, workers: int) -> Path:
    """The schedule.json of the agency plan, solved once at --effort 1 and kept in the
    temporary folder under a name from the plan's text."""
    text = yaml.safe_dump(agency_plan(stores), allow_unicode=True, sort_keys=False)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"promo-bench-exports-{stores}-{digest}"
    schedule = folder / "out" / "schedule.json"
    if schedule.is_file():
        return schedule
    folder.mkdir(parents=True, exist_ok=True)
    plan = folder / "agency.yaml"
    plan.write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "scheduler", "plan", str(plan), "--out", str(folder / "out"),
               "--effort", "1", "--workers", str(workers), "--no-suggest"]  # fmt: skip
    print(f"solving {plan} once (--effort 1) ...", file=sys.stderr, flush=True)
    begin = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 4):
        sys.exit(f"plan failed with exit {done.returncode}:\n{done.stderr}")
    print(f"solved in {time.perf_counter() - begin:.1f} s", file=sys.stderr, flush=True)
    return schedule


def writers(schedule: Schedule, out: Path) -> dict[str, Callable[[], object]]:
    """Each export writer as `export_all` calls it, writing into `out`."""
    return {
        "ics": lambda: write_calendars(
            schedule, out, stamp=schedule.generated, working_days=schedule.working_days
        ),
        "csv": lambda: write_csv(schedule, out / "schedule.csv"),
        "xlsx": lambda: write_xlsx(
            schedule, out / "schedule.xlsx", working_days=schedule.working_days
        ),
        "html": lambda: write_html(schedule, out / "gantt.html"),
        "png": lambda: write_png(schedule, out / "gantt.png"),
    }


def in_process_row(schedule_file: Path) -> list[str]:
    """Seconds of each writer in this process, and their sum."""
    schedule = Schedule.read(schedule_file)
    with tempfile.TemporaryDirectory() as folder:
        seconds = []
        for write in writers(schedule, Path(folder)).values():
            begin = time.perf_counter()
            write()
            seconds.append(time.perf_counter() - begin)
    return [f"{s:.2f}" for s in seconds] + [f"{sum(seconds):.2f}"]


def command_seconds(schedule_file: Path) -> float:
    """Wall seconds of `python -m scheduler export SCHEDULE.json --out TMP` (fresh process,
    an empty folder: every export, changes.csv, schedule.json and history.sqlite)."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "scheduler", "export", str(schedule_file),
                   "--out", str(Path(folder) / "out")]  # fmt: skip
        begin = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - begin
        if done.returncode != 0:
            sys.exit(f"export failed with exit {done.returncode}:\n{done.stderr}")
        return seconds


def profile(schedule_file: Path, name: str) -> None:
    """Print the 30 functions where one in-process writer spends most time (cumulative)."""
    schedule = Schedule.read(schedule_file)
    with tempfile.TemporaryDirectory() as folder:
        write = writers(schedule, Path(folder))[name]
        profiler = cProfile.Profile()
        profiler.runcall(write)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    """Make and solve the agency plan (once), then time the exports and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", choices=WRITERS, help="profile one writer instead")
    args = parser.parse_args()
    schedule_file = cached_schedule(args.stores, args.workers)
    if args.profile:
        profile(schedule_file, args.profile)
        return
    schedule = Schedule.read(schedule_file)
    print(f"schedule: {schedule_file}")
    print(
        f"plan: {schedule.plan}: {len(schedule.tasks)} tasks, {len(schedule.staff)} staff, "
        f"{len(schedule.activities)} activity occurrences"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    print("\nExporting (seconds; in-process writers, then the whole `export` command)")
    headers = [*WRITERS, "all", "export command"]
    rows = [
        [*in_process_row(schedule_file), f"{command_seconds(schedule_file):.2f}"]
        for _ in range(args.repeat)
    ]
    print(text_table(headers, rows))


if __name__ == "__main__":
    main()
