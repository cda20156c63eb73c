"""The engine and TaskJuggler 3 on the same plans, side by side in one run (issue 12).

    python benchmarks/taskjuggler.py [--plan PATH ...] [--stores 1 10] [--variant own shared]
                                     [--out DIR] [--no-engine] [--tj3 tj3] [--tj-priority due]

For each plan (default: the bundled example, then the agency plans of `--stores` stores
that `benchmarks/scale.py` builds, imported from it):

1. the plan is expanded with the project's own library (`compile_plan`: task graph,
   working calendar, eligible people, leave) and written as a TaskJuggler project
   (`plan.tjp`, see `tjp_project` for the translation and what it cannot say exactly);
2. `tj3` schedules it (timed, the whole command with its csv report);
3. TaskJuggler's schedule is read back from the report (id, start, end, resources);
4. the engine's whole `plan` command runs on the same plan file (a fresh process, timed;
   `--no-suggest`: fix suggestions re-solve the plan several times);
5. both schedules go through the same independent check, `tests/rules.py`'s
   `check_schedule` (written from FORMAT.md alone; it imports nothing from `scheduler`),
   which counts rule 1-6 violations; late tasks and late days (calendar days from the due
   date as written to the last day, FORMAT.md rule 7) are counted from its plan reading too.

One table: plan, tasks, engine seconds and figures, TaskJuggler seconds and figures, and
the machine's 1-minute load average before each measurement (the machine may be shared).
Everything a case writes stays in `--out DIR/<case>/`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "examples" / "tmall-flagship-2027.yaml"
HOURS = 8  # TaskJuggler hours in one working day (`dailyworkinghours`)
DAY_START = 9  # working hours 9:00-17:00 on every working day
RULES = tuple(f"rule {n}" for n in range(1, 7))


def _rules_module():
    """tests/rules.py, the independent checker, loaded from its file (no pytest needed)."""
    spec = importlib.util.spec_from_file_location("promo_rules", ROOT / "tests" / "rules.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


rules = _rules_module()


# --------------------------------------------------------------------------- translation


@dataclass
class Translation:
    """A TaskJuggler project for one plan, and how to map its ids back."""

    text: str
    tasks: dict[str, str]  # TaskJuggler task id -> plan task id
    people: dict[str, str]  # TaskJuggler resource id -> staff id
    plan_name: str
    notes: list[str] = field(default_factory=list)


def _quote(text: str) -> str:
    """A TaskJuggler string literal."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _hours(percent: int) -> int:
    """Whole TaskJuggler hours for `percent` of one working day (at least one)."""
    return max(1, round(HOURS * percent / 100))


def _off_intervals(calendar, first: date, last: date) -> list[tuple[date, int]]:
    """The days from `first` to `last` that are not working days, as (first day, days) runs."""
    runs: list[tuple[date, int]] = []
    day = first
    while day <= last:
        if not calendar.is_working(day):
            if runs and runs[-1][0] + timedelta(days=runs[-1][1]) == day:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1)
            else:
                runs.append((day, 1))
        day += timedelta(days=1)
    return runs


def _priorities(dues: list[date | None]) -> dict[date | None, int]:
    """TaskJuggler priority (1..1000) per due date: the earlier the due, the higher; tasks
    without a due date get 1. This is the only lever TaskJuggler has for soft due dates."""
    distinct = sorted({d for d in dues if d is not None})
    span = max(1, len(distinct) - 1)
    found: dict[date | None, int] = {None: 1}
    for rank, due in enumerate(distinct):
        found[due] = 1000 - round(998 * rank / span)
    return found


def tjp_project(plan_path: Path, priority_by_due: bool = True) -> Translation:
    """The plan at `plan_path` as a TaskJuggler 3 project (.tjp text).

    The translation (every number comes from the engine's own `compile_plan`):
    - time: every calendar day has working hours 9:00-17:00 (8 h = 1 d), and every day that
      is not a working day of the plan (weekends, CN holidays, closed days; make-up working
      days stay working) is a global `leaves holiday`: the working calendar exactly;
    - people: one resource each, leave as `leaves annual`, capacity below 100% as a
      `dailymax` of that share of the day;
    - tasks: `effort` = duration x load of a day, `allocate` the eligible people (role,
      store, owner, capacity) as `alternative`s, `persistent` (one person for the whole
      task); a load below 100% is also a `dailymax` per person on the task, so a half-day
      task takes its working days at half a day each;
    - `after` with a lag: `depends` with `gaplength` (working days) or `gapduration`
      (calendar days). TaskJuggler's time is hourly and a part-day task ends in the middle
      of a day, where a successor could start the same day; the successor of a part-day
      task therefore waits one more day of working time (which can cost it a day when that
      predecessor happens to end at 17:00);
    - `earliest`: a dependency on a milestone at that date (a `start` with `depends` is an
      error in TaskJuggler, and `minstart` is only a check);
    - `due`: TaskJuggler has no soft deadline. Strict dues are `maxend` (a check that
      warns, not a constraint TaskJuggler schedules for); every due sets the task's
      `priority` (earlier due, higher priority; `priority_by_due=False`: TaskJuggler's
      default order), and lateness is measured afterwards.
    """
    from scheduler import api
    from scheduler.planning.adapter import compile_plan

    plan = api.load_plan(plan_path)
    compiled = compile_plan(plan)
    graph, calendar = compiled.graph, compiled.calendar
    problem = compiled.problem
    earliest = [graph.nodes[t]["earliest"] for t in compiled.task_ids]
    dues = [graph.nodes[t]["due"] for t in compiled.task_ids]
    dated = [d for d in earliest + dues if d is not None]
    first = min([*dated, plan.start]) - timedelta(days=7)
    last = min(calendar.last, max([*dated, plan.end]) + timedelta(days=366))

    people = {}
    for person in plan.staff:
        tj_id = person.id if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", person.id) else None
        people[tj_id or f"r{len(people)}"] = person.id
    tj_of_person = {staff: tj for tj, staff in people.items()}
    tasks = {f"t{i}": task_id for i, task_id in enumerate(compiled.task_ids)}
    tj_of_task = {task_id: tj for tj, task_id in tasks.items()}

    out = [
        f"project promo {_quote(plan.name)} {first.isoformat()} - {last.isoformat()} {{",
        f"  timezone {_quote(plan.timezone)}",
        f"  dailyworkinghours {HOURS}",
        f"  workinghours mon - sun {DAY_START}:00 - {DAY_START + HOURS}:00",
        "  timingresolution 60min",
        '  scenario plan "Plan"',
        "}",
        "",
        "# Days that are not working days of the plan (weekends, holidays, closed days).",
    ]
    for day, days in _off_intervals(calendar, first, last):
        out.append(f'leaves holiday "off" {day.isoformat()} +{days}d')
    out.append("")
    for tj_id, staff_id in people.items():
        person = plan.person(staff_id)
        body = []
        for leave in person.leave:
            until = leave.end + timedelta(days=1)
            body.append(f"  leaves annual {leave.start.isoformat()} - {until.isoformat()}")
        if person.capacity < 100:
            body.append(f"  limits {{ dailymax {_hours(person.capacity)}h }}")
        out.append(f"resource {tj_id} {_quote(staff_id)} {{")
        out.extend(body)
        out.append("}")
    out.append("")

    milestones = {}
    for day in sorted({d for d in earliest if d is not None}):
        milestones[day] = f"e{day.strftime('%Y%m%d')}"
        out.append(
            f"task {milestones[day]} {_quote('earliest ' + day.isoformat())} "
            f"{{ milestone start {day.isoformat()} }}"
        )
    out.append("")

    priority = _priorities(dues)
    loads = {task_id: problem.tasks[i].demand for i, task_id in enumerate(compiled.task_ids)}
    percents = {*loads.values(), *(p.capacity for p in plan.staff)}
    rounded = sorted(p for p in percents if HOURS * p % 100)
    notes = [f"loads/capacities {rounded}% rounded to whole hours of an {HOURS} h day"]
    for i, task_id in enumerate(compiled.task_ids):
        node, core_task = graph.nodes[task_id], problem.tasks[i]
        eligible = [tj_of_person[compiled.staff_ids[r]] for r in core_task.resources]
        load = core_task.demand
        effort = core_task.duration * _hours(load)
        body = [f"  effort {effort}h"]
        allocate = f"  allocate {eligible[0]}"
        if len(eligible) > 1:
            allocate += f" {{ alternative {', '.join(eligible[1:])} persistent }}"
        body.append(allocate)
        if load < 100:
            who = ", ".join(eligible)
            body.append(f"  limits {{ dailymax {_hours(load)}h {{ resources {who} }} }}")
        depends = []
        if node["earliest"] is not None:
            depends.append(milestones[node["earliest"]])
        for pred, _, data in graph.in_edges(task_id, data=True):
            lag, unit = data["lag"], data["unit"]
            if loads[pred] < 100:
                lag += 1  # a part-day predecessor ends in the middle of its last day
            gap = ""
            if lag:
                kind = "gaplength" if unit == "wd" else "gapduration"
                gap = f" {{ {kind} {lag}d }}"
            depends.append(tj_of_task[pred] + gap)
        if depends:
            body.append(f"  depends {', '.join(depends)}")
        if priority_by_due:
            body.append(f"  priority {priority[node['due']]}")
        if node["strict"] and node["due"] is not None:
            body.append(f"  maxend {(calendar.day(core_task.deadline - 1)).isoformat()}-17:00")
        out.append(f"task {tj_of_task[task_id]} {_quote(task_id)} {{")
        out.extend(body)
        out.append("}")
    out += [
        "",
        'taskreport "schedule" {',
        "  formats csv",
        "  columns id, start, end, resources",
        '  timeformat "%Y-%m-%d-%H:%M"',
        "  hideresource 1",
        "}",
        "",
    ]
    return Translation("\n".join(out), tasks, people, plan.name, notes if rounded else [])


# --------------------------------------------------------------------------- TaskJuggler


@dataclass
class Run:
    """One timed run of a command, with the machine's load average before it."""

    seconds: float
    returncode: int
    load: float
    stderr: str = ""


def load_average() -> float:
    """The machine's 1-minute load average (as `uptime` shows it)."""
    return os.getloadavg()[0]


def timed(command: list[str], cwd: Path, env: dict | None = None, timeout: float = 7200) -> Run:
    """Run `command` in `cwd`, timed by the wall clock."""
    load = load_average()
    begin = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    return Run(time.perf_counter() - begin, done.returncode, load, done.stderr)


def _day(stamp: str) -> date:
    """The date of a TaskJuggler time stamp `YYYY-MM-DD-HH:MM`."""
    return datetime.strptime(stamp.strip(), "%Y-%m-%d-%H:%M").date()


def read_tj_schedule(report: Path, translation: Translation, plan_path: Path) -> dict:
    """TaskJuggler's csv task report as a schedule.json-like dict for `check_schedule`.

    A task booked on several people (TaskJuggler may not keep one) gets the first as its
    assignee and a rule 1 violation in `extra_violations`; a task with nobody booked has
    no assignee (rule 1 again, from the check)."""
    from scheduler import api
    from scheduler.planning.adapter import compile_plan

    compiled = compile_plan(api.load_plan(plan_path))
    graph = compiled.graph
    checked_plan = rules.load_plan(plan_path)
    rows = list(_csv_rows(report))
    tasks, extra = [], []
    for row in rows:
        task_id = translation.tasks.get(row["Id"])
        if task_id is None:
            continue  # a milestone of an earliest date
        node = graph.nodes[task_id]
        booked = [translation.people[r] for r in re.findall(r"\(([^()]+)\)", row["Resources"])]
        if len(booked) > 1:
            extra.append(f"rule 1: {task_id}: booked on {len(booked)} people {booked}")
        start, end = _day(row["Start"]), _day(row["End"])
        due = checked_plan.tasks[task_id].due
        tasks.append(
            {
                "id": task_id,
                "activity": node["occurrence"],
                "step": node["step"],
                "role": node["role"],
                "assignee": booked[0] if booked else None,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "load": node["load"],
                "due": due.isoformat() if due else None,
                "late_days": rules.expected_late_days(end, due, checked_plan.calendar),
            }
        )
    return {
        "format": 1,
        "plan": translation.plan_name,
        "status": "feasible",
        "tasks": tasks,
        "extra_violations": extra,
    }


def _csv_rows(report: Path):
    """The rows of a TaskJuggler csv report (`;`-separated, quoted) as dicts."""
    import csv

    with open(report, encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter=";")


# --------------------------------------------------------------------------- the check


@dataclass
class Figures:
    """What the independent check says of one schedule."""

    tasks: int
    late_tasks: int
    late_days: int
    violations: Counter  # rule 1..6 (and "tasks" for missing or extra tasks) -> count
    involved: int = 0  # tasks named in a rule 1-6 violation

    @property
    def total(self) -> int:
        """Every rule 1-6 violation and every missing task."""
        return sum(self.violations.values())


def check(plan_path: Path, schedule: dict) -> tuple[Figures, list[str]]:
    """Late tasks, late days and rule 1-6 violations of `schedule` (schedule.json-like),
    by tests/rules.py alone."""
    lines = rules.check_schedule(plan_path, schedule) + schedule.get("extra_violations", [])
    checked_plan = rules.load_plan(plan_path)
    late_tasks = late_days = 0
    for task in schedule.get("tasks") or []:
        expected = checked_plan.tasks.get(task["id"])
        if expected is None:
            continue
        late = rules.expected_late_days(
            date.fromisoformat(task["end"]), expected.due, checked_plan.calendar
        )
        late_tasks += late > 0
        late_days += late
    counted, involved = Counter(), set()
    known = {task["id"] for task in schedule.get("tasks") or []}
    for line in lines:
        kind = line.split(":", 1)[0]
        if kind in RULES or kind == "tasks":
            counted[kind] += 1
        if kind in RULES:
            words = (word.rstrip(":") for word in re.split(r"[\s,()]+", line))
            involved |= {word for word in words if word in known}
    tasks = len(schedule.get("tasks") or [])
    return Figures(tasks, late_tasks, late_days, counted, len(involved)), lines


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    """One plan to compare on."""

    label: str
    path: Path
    folder: Path


def agency_case(stores: int, variant: str, out: Path) -> Case:
    """The agency plan of `stores` stores of benchmarks/scale.py, written as a plan file."""
    sys.path.insert(0, str(HERE))
    import scale

    folder = out / f"stores-{stores}-{variant}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plan.yaml"
    data = scale.agency_plan(stores, variant)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    noun = "store" if stores == 1 else "stores"
    return Case(f"{stores} {noun} ({variant} designers)", path, folder)


def run_case(case: Case, engine: bool, tj3: str, priority_by_due: bool = True) -> dict:
    """Translate, run TaskJuggler and the engine, check both; the case's figures."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    row: dict = {"plan": case.label}
    begin = time.perf_counter()
    translation = tjp_project(case.path, priority_by_due)
    row["translate"] = time.perf_counter() - begin
    tjp = case.folder / "plan.tjp"
    tjp.write_text(translation.text, "utf-8")
    report = case.folder / "schedule.csv"
    report.unlink(missing_ok=True)
    tj = timed([tj3, "--no-color", "--silent", tjp.name], case.folder)
    row["tj"] = tj
    (case.folder / "tj3.log").write_text(tj.stderr, "utf-8")
    if tj.returncode != 0 or not report.exists():
        print(f"{case.label}: tj3 exit {tj.returncode}: {tj.stderr[-2000:]}", file=sys.stderr)
        row["tj_figures"] = None
    else:
        schedule = read_tj_schedule(report, translation, case.path)
        (case.folder / "tj-schedule.json").write_text(json.dumps(schedule, indent=1), "utf-8")
        figures, lines = check(case.path, schedule)
        (case.folder / "tj-violations.txt").write_text("\n".join(lines) + "\n", "utf-8")
        row["tj_figures"] = figures
        row["tj_warnings"] = tj.stderr.count("Warning:")
    row["notes"] = translation.notes
    if engine:
        out = case.folder / "engine"
        shutil.rmtree(out, ignore_errors=True)  # a fresh plan: no previous version
        command = [sys.executable, "-m", "scheduler", "plan", str(case.path), "--out", str(out)]
        run = timed([*command, "--no-suggest", "--quiet"], ROOT, env)
        row["engine"] = run
        (case.folder / "engine.log").write_text(run.stderr, "utf-8")
        if run.returncode not in (0, 4):
            tail = run.stderr[-2000:]
            print(f"{case.label}: engine exit {run.returncode}: {tail}", file=sys.stderr)
            row["engine_figures"] = None
        else:
            schedule = json.loads((out / "schedule.json").read_text("utf-8"))
            figures, lines = check(case.path, schedule)
            (case.folder / "engine-violations.txt").write_text("\n".join(lines) + "\n", "utf-8")
            row["engine_figures"] = figures
            row["engine_status"] = schedule.get("status")
            row["engine_bound"] = (schedule.get("solver") or {}).get("bounds", {}).get("late")
    return row


# --------------------------------------------------------------------------- report


def _cells(row: dict) -> list:
    """One table row of a case's figures."""
    tj, tjf = row["tj"], row.get("tj_figures")
    engine, enf = row.get("engine"), row.get("engine_figures")
    tasks = (tjf or enf).tasks if (tjf or enf) else "-"
    cells = [row["plan"], tasks]
    if engine is None:
        cells += ["-"] * 5
    elif enf is None:
        cells += [f"{engine.seconds:.1f}", f"exit {engine.returncode}", "-", "-", "-"]
    else:
        bound = row.get("engine_bound")
        status = row.get("engine_status", "?") + (f" (bound {bound})" if bound is not None else "")
        cells += [f"{engine.seconds:.1f}", status, enf.late_days, enf.total, f"{engine.load:.2f}"]
    cells.append(f"{tj.seconds:.1f}")
    if tjf is None:
        cells += [f"exit {tj.returncode}", "-", "-", "-"]
    else:
        cells += [tjf.late_tasks, tjf.late_days, tjf.total]
    cells.append(f"{tj.load:.2f}")
    return cells


HEADERS = [
    "plan", "tasks", "engine s", "engine status", "engine late days", "engine violations",
    "load", "TJ s", "TJ late tasks", "TJ late days", "TJ violations", "load",
]  # fmt: skip


def _breakdown(row: dict) -> str:
    """The violations per rule of both schedules, one line."""
    parts = []
    for who, key in (("engine", "engine_figures"), ("TJ", "tj_figures")):
        figures = row.get(key)
        if figures is None:
            continue
        counts = ", ".join(f"{k} {v}" for k, v in sorted(figures.violations.items())) or "none"
        involved = f" ({figures.involved} tasks)" if figures.involved else ""
        late = f"; {figures.late_tasks} late tasks" if who == "engine" else ""
        if who == "TJ":
            late = f"; tj3 warnings {row.get('tj_warnings', 0)}"
        parts.append(f"{who}: {counts}{involved}{late}")
    return f"{row['plan']}: " + " | ".join(parts)


def _commit() -> str:
    """The checked-out commit of this tree (short), with a mark when files are changed."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (modified)" if dirty else "")


def main() -> None:
    """Run every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, nargs="*", default=[EXAMPLE])
    parser.add_argument("--stores", type=int, nargs="*", default=[1, 10])
    parser.add_argument(
        "--variant", nargs="*", default=["own", "shared"], choices=["own", "shared"]
    )
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "taskjuggler")
    parser.add_argument("--no-engine", action="store_true", help="TaskJuggler only")
    parser.add_argument("--tj3", default="tj3", help="the tj3 command")
    parser.add_argument(
        "--tj-priority", choices=["due", "none"], default="due",
        help="TaskJuggler task priorities: by due date (default) or none (its own order)",
    )  # fmt: skip
    options = parser.parse_args()

    out = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    cases = []
    for path in options.plan:
        folder = out / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        cases.append(Case(path.name, path.resolve(), folder))
    for variant in options.variant:
        cases += [agency_case(n, variant, out) for n in options.stores]

    version = subprocess.run([options.tj3, "--version"], capture_output=True, text=True)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load {load_average():.2f} "
        f"at start; Python {platform.python_version()}; {version.stdout.strip()}"
    )
    print(f"commit {_commit()}, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; out {out}")
    rows = []
    for case in cases:
        row = run_case(case, not options.no_engine, options.tj3, options.tj_priority == "due")
        rows.append(row)
        print(" ".join(str(c) for c in _cells(row)), file=sys.stderr)
    from scheduler.terminal import text_table

    print(text_table(HEADERS, [_cells(row) for row in rows]))
    print()
    print("violations (rules 1-6, and `tasks` for tasks missing from a schedule):")
    for row in rows:
        print("  " + _breakdown(row))
        for note in row["notes"]:
            print(f"  {row['plan']}: {note}")
    print()
    print(
        "seconds: wall clock of the whole command (engine: `plan --no-suggest`, with every "
        "export; TJ: tj3 with its csv report); load: the 1-minute load average before it. "
        "Late days: calendar days from the due date as written to the last day (rule 7). "
        "Both schedules checked by tests/rules.py."
    )


if __name__ == "__main__":
    main()
