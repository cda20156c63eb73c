"""FORMAT.md sections 6 and 7 under real faults: "a version is written whole or not at all".

A real `python -m scheduler plan` (and `replan --today`) into a folder that already holds
version 1 is killed with SIGKILL, by the operating system's signal and not by a hook in the
engine, at moments spread over the whole run: while it imports and loads the plan, while the
solver searches, while it exports, while it writes history.sqlite, writes the journal and
installs the files, and while it cleans up. After each kill the next commands are run as a
user would (`history DIR`, then a run that recovers the folder first, then a run that writes
a new version) and the folder is read back file by file: it holds exactly one whole version,
version 1 or the killed run's new one, never a mix.

A full disk is made for real too: a small tmpfs, filled until the new version cannot fit.

How the kills are placed (tests/test_versions.py already stops a child at chosen renames with
os._exit; this file does not touch the engine's code at all):

- Timed kills: the run is measured once, then killed at evenly spread moments of it. A
  watcher process tells the phase from the folder (inotify): the run opens DIR/.promo-lock
  once it has loaded the plan, and creates DIR/.promo-staging once the solver is done.
- Event kills, for the phases that last milliseconds (the history write, the journal, the
  install): a watcher process follows the folder with inotify and kills the child right
  after a chosen file operation (the journal put in place, the old history.sqlite moved
  aside, the journal removed, ...). So that the child cannot run on past that moment, the
  watcher shares one CPU with the child's main thread and takes real-time priority (root;
  otherwise it makes the child SCHED_IDLE from the first event on): each inotify wake-up
  pre-empts the child at once.

Everything runs in real processes; the checks read the files with json, csv, icalendar and
sqlite3, never through the engine's readers.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import icalendar
import pytest
from conftest import crash_report, invoke_cli
from test_atomic import files_in

import scheduler
from scheduler.export.ics import task_uid
from scheduler.versions import folder as version

ENGINE_ROOT = Path(scheduler.__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ENGINE_ROOT))
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="inotify, sched_setaffinity and tmpfs: Linux"
)
LOCK = version.LOCK

# A small plan that is hard to solve: twelve sales in one month for two designers, so some
# tasks are late and CP-SAT spends its whole effort (no proof of optimality), about a third
# of a run. Version 1 plans PLAN_A; the killed runs plan (or re-plan) PLAN_B, where one sale
# moves a day and a designer's leave grows.
EFFORT = "0.5"
TODAY = "2026-02-20"
PLAN_NAME = "Fault test shop"

TEMPLATE = """\
id: sale
name: {en: Sale, zh: 特惠}
kind: theme
live_days: 3
steps:
  - {id: plan, name: {en: Plan, zh: 策划}, role: operations, duration: 2,
     earliest: start-15wd, due: start-4wd}
  - {id: photos, name: {en: Photos, zh: 拍摄}, role: design, duration: 3, after: [plan],
     due: start-2wd}
  - {id: poster, name: {en: Poster, zh: 海报}, role: design, duration: 2, after: [photos],
     due: start-1wd}
  - {id: listing, name: {en: Listing, zh: 上架}, role: operations, duration: 1,
     after: [poster], due: start}
"""

SALE_DAYS = [10, 12, 13, 16, 17, 19, 20, 23, 24, 26, 27, 30]
PLAN_A = f"""\
name: {PLAN_NAME}
start: 2026-03-01
end: 2026-03-31
language: en
templates: [templates]
calendar: {{holidays: CN}}
staff:
  - {{id: wang_fang, name: Wang Fang, email: wang.fang@example.com, roles: [operations]}}
  - {{id: zhang_wei, name: Zhang Wei, roles: [operations]}}
  - {{id: li_na, name: Li Na, email: li.na@example.com, roles: [design]}}
  - {{id: zhao_lei, name: Zhao Lei, roles: [design], leave: [{{from: 2026-03-09, to: 2026-03-11}}]}}
activities:
""" + "".join(
    f"  - {{id: sale_{i:02d}, template: sale, start: 2026-03-{day:02d}}}\n"
    for i, day in enumerate(SALE_DAYS)
)
PLAN_B = PLAN_A.replace("start: 2026-03-19", "start: 2026-03-18").replace(
    "to: 2026-03-11", "to: 2026-03-13"
)

# --------------------------------------------------------------------------- the watcher

# inotify masks (linux/inotify.h)
IN_MODIFY, IN_OPEN, IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = (
    0x2, 0x20, 0x40, 0x80, 0x100, 0x200
)  # fmt: skip

# A process that starts the run, kills it (SIGKILL) at a moment given by a JSON spec and
# prints a JSON report: where the run was, and what the folder held once the run was dead.
# It follows the folder with inotify: the run opens DIR/.promo-lock once it has loaded the
# plan and takes the folder to solve into it, and creates DIR/.promo-staging when the solve
# is over and the export begins.
#   kind "measure": no kill; the run's duration, when it took the lock and began staging.
#   kind "at":      kill at the moment `at` of the undisturbed run (which took the lock at
#                   `lock_at` and began staging at `staging_at`), mapped onto this run's own
#                   progress; where the run was just before.
#   kind "event":   kill when the `steps` have happened in order, each `count` inotify
#                   events of `mask` on a file matching `name` in folder `dir` of the output.
KILLER = textwrap.dedent(
    r"""
    import ctypes, json, os, re, select, signal, struct, subprocess, sys, time

    spec = json.loads(sys.argv[1])
    out = spec["out"]
    staging = os.path.join(out, ".promo-staging")
    libc = ctypes.CDLL(None, use_errno=True)
    IN_OPEN = 0x20

    class Watch:
        def __init__(self):
            self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            self.folders = {}

        def add(self, folder, mask):
            wd = libc.inotify_add_watch(self.fd, os.path.join(out, folder).encode(), mask)
            if wd < 0:
                raise OSError(ctypes.get_errno(), "inotify_add_watch", folder)
            self.folders[wd] = folder

        def events(self, timeout):
            if not select.select([self.fd], [], [], timeout)[0]:
                return
            buf, i = os.read(self.fd, 1 << 16), 0
            while i < len(buf):
                wd, mask, _cookie, length = struct.unpack_from("iIII", buf, i)
                name = buf[i + 16 : i + 16 + length].rstrip(b"\0").decode(errors="replace")
                i += 16 + length
                yield self.folders.get(wd), mask, name

    def locked(watch, timeout=0.0):
        return any(m & IN_OPEN and n == ".promo-lock" for _, m, n in watch.events(timeout))

    def frozen():
        return {name: os.path.exists(os.path.join(out, path)) for name, path in [
            ("staging", ".promo-staging"), ("journal", ".promo-commit.json"),
            ("backup", ".promo-backup"), ("history", "history.sqlite"),
            ("staged_history", ".promo-staging/history.sqlite")]}

    report, lock = {}, Watch()
    lock.add("", IN_OPEN)
    began = time.monotonic()
    give_up = began + 300
    child = subprocess.Popen(spec["argv"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if spec["kind"] == "measure":
            while child.poll() is None and time.monotonic() < give_up:
                if "lock_at" not in report and locked(lock, 0.002):
                    report["lock_at"] = time.monotonic() - began
                if "staging_at" not in report and os.path.isdir(staging):
                    report["staging_at"] = time.monotonic() - began
                time.sleep(0.002)
            child.wait()
            report["duration"] = time.monotonic() - began
        elif spec["kind"] == "at":
            # The moment `at` of the undisturbed run, mapped onto this run's own progress (its
            # lock and staging moments): a run slowed down by the machine's load is killed as
            # far into the same phase as the undisturbed run was.
            at, lock_m, staging_m = spec["at"], spec["lock_at"], spec["staging_at"]
            seen = {}

            def deadline():  # each phase stretched as much as this run's previous one was
                if at < lock_m:
                    return at
                if at < staging_m:
                    if "lock" not in seen:
                        return None
                    return seen["lock"] + (at - lock_m) * seen["lock"] / lock_m
                if "staging" not in seen:
                    return None
                solve = (seen["staging"] - seen.get("lock", lock_m)) / (staging_m - lock_m)
                # not stretched past the undisturbed run's: a solve slowed down by the load
                # says little of the export after it, and early in the phase is still in it
                return seen["staging"] + (at - staging_m) * min(max(solve, 0.5), 1.0)

            while child.poll() is None:
                now, due = time.monotonic() - began, deadline()
                if due is not None and now >= due:
                    break
                wait = 0.005 if due is None else min(due - now, 0.005)
                if "lock" not in seen:
                    if locked(lock, wait):
                        seen["lock"] = time.monotonic() - began
                else:
                    time.sleep(wait)
                if "staging" not in seen and os.path.isdir(staging):
                    seen["staging"] = time.monotonic() - began
            report["locked"] = "lock" in seen or locked(lock)
            report["staged"] = "staging" in seen
            report["staging_before"] = os.path.isdir(staging)
            report["journal_before"] = os.path.exists(os.path.join(out, ".promo-commit.json"))
            report["seen"] = seen
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
        else:
            while child.poll() is None and not os.path.isdir(staging):
                time.sleep(0.002)
            watch, masks = Watch(), {}
            for step in spec["steps"]:
                masks[step["dir"]] = masks.get(step["dir"], 0) | step["mask"]
            for folder, mask in masks.items():
                watch.add(folder, mask)
            # This process and the run's main thread share one CPU. With real-time priority
            # (root) this process pre-empts the run at once on each event, so the run cannot
            # go on past an event before the kill. Without it, the run is made SCHED_IDLE at
            # the first step's event instead (which a loaded machine may let it run past).
            cpu = spec["cpu"]
            os.sched_setaffinity(0, {cpu})
            try:
                os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
                report["realtime"] = True
            except OSError:
                report["realtime"] = False
            report["pinned"] = False
            try:
                os.sched_setaffinity(child.pid, {cpu})
            except OSError as error:
                report["pin_error"] = str(error)
            steps, done, seen = spec["steps"], 0, 0
            while done < len(steps) and child.poll() is None and time.monotonic() < give_up:
                for folder, mask, name in watch.events(0.05):
                    step = steps[done]
                    if folder != step["dir"] or not mask & step["mask"]:
                        continue
                    if not re.search(step["name"], name):
                        continue
                    if not report["pinned"]:
                        try:
                            if not report["realtime"]:
                                policy, param = os.SCHED_IDLE, os.sched_param(0)
                                os.sched_setscheduler(child.pid, policy, param)
                            report["pinned"] = True
                        except OSError as error:
                            report["pin_error"] = str(error)
                    seen += 1
                    if seen >= step["count"]:
                        done, seen = done + 1, 0
                        if done == len(steps):
                            break
            report["matched"] = done == len(steps)
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
    report["elapsed"] = time.monotonic() - began
    report["rc"] = child.returncode
    report["stderr"] = child.stderr.read().decode(errors="replace")[-2000:]
    report.update(frozen())
    print(json.dumps(report))
    """
)


def watch(spec: dict) -> dict:
    """Run KILLER with `spec` and return its report."""
    done = subprocess.run(
        [sys.executable, "-c", KILLER, json.dumps(spec)],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def step(folder: str, mask: int, name: str, count: int = 1) -> dict:
    return {"dir": folder, "mask": mask, "name": name, "count": count}


JOURNAL_WRITTEN = [
    step("", IN_CREATE, r"\.promo-commit\.json\..+\.tmp$"),  # the journal's temporary file
    step("", IN_MOVED_TO, r"^\.promo-commit\.json$"),  # the commit point
]
# name: (the steps after which the run is killed, what the folder then holds)
EVENT_KILLS = {
    "plan": {
        # the staged history.sqlite has had 3 writes: killed inside the history write
        "history-write": (
            [
                step(".promo-staging", IN_CREATE, r"^history\.sqlite$"),
                step(".promo-staging", IN_MODIFY, r"^history\.sqlite", count=3),
            ],
            {"staged_history": True, "journal": False},
        ),
        # the journal in place, the old history.sqlite moved into .promo-backup and the new
        # one not yet put in its place: the folder has no history.sqlite
        "history-moved-aside": (
            [*JOURNAL_WRITTEN, step("", IN_MOVED_FROM, r"^history\.sqlite$")],
            {"journal": True, "backup": True, "history": False},
        ),
    },
    "replan": {
        # the journal in place, nothing installed yet
        "journal-written": (JOURNAL_WRITTEN, {"journal": True, "backup": False}),
        # everything installed and the journal removed; .promo-backup not yet removed
        "journal-removed": (
            [*JOURNAL_WRITTEN, step("", IN_DELETE, r"^\.promo-commit\.json$")],
            {"journal": False, "backup": True},
        ),
    },
}
TIMED_KILLS = {"plan": 6, "replan": 4}  # three of them in the middle of each phase


def command(kind: str, plan: Path, out: Path) -> list[str]:
    """The argv of a real `python -m scheduler plan|replan` run of `plan` into `out` (without
    the checked fixes: their solves would only lengthen the solving phase the kills sample)."""
    argv = [sys.executable, "-m", "scheduler", kind, str(plan), "--out", str(out), "--no-suggest"]
    if kind == "replan":
        argv += ["--today", TODAY]
    return [*argv, "--effort", EFFORT]


# --------------------------------------------------------------------------- reading a folder


@dataclass
class World:
    """The plans and version 1's folder, shared by the tests (read-only)."""

    plan_a: Path
    plan_b: Path
    v1: Path
    v1_files: dict[str, bytes]
    v1_schedule: str
    b_schedule: Path  # schedule.json of PLAN_B planned into version 1's folder


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    base = tmp_path_factory.mktemp("faults")
    (base / "templates").mkdir()
    (base / "templates" / "sale.yaml").write_text(TEMPLATE, encoding="utf-8")
    plan_a, plan_b = base / "plan_a.yaml", base / "plan_b.yaml"
    plan_a.write_text(PLAN_A, encoding="utf-8")
    plan_b.write_text(PLAN_B, encoding="utf-8")
    v1 = base / "v1"
    result = invoke_cli(["plan", plan_a, "--out", v1, "--effort", EFFORT])
    assert result.exit_code in (0, 4), crash_report(result)
    files = without_lock(files_in(v1))
    shutil.copytree(v1, base / "b")
    result = invoke_cli(["plan", plan_b, "--out", base / "b", "--effort", EFFORT])
    assert result.exit_code in (0, 4), crash_report(result)
    schedule = files["schedule.json"].decode("utf-8")
    return World(plan_a, plan_b, v1, files, schedule, base / "b" / "schedule.json")


def without_lock(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if name != LOCK}


def tasks_of(schedule: dict) -> list[tuple]:
    """What makes two schedules the same: each task's dates, stretches and assignee."""
    return sorted(
        (t["id"], t["assignee"], t["start"], t["end"], json.dumps(t.get("stretches")))
        for t in schedule["tasks"]
    )


def history_rows(out: Path) -> list[tuple[int, str]]:
    """(number, schedule) of every version in out/history.sqlite, read without changing the
    folder (immutable: no -wal or -shm file is made beside it)."""
    uri = (out / "history.sqlite").resolve().as_uri() + "?mode=ro&immutable=1"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        return db.execute("SELECT number, schedule FROM versions ORDER BY number").fetchall()


def live_events(path: Path) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    return {
        str(event["UID"]): event
        for event in calendar.walk("VEVENT")
        if str(event.get("STATUS", "")).upper() != "CANCELLED"
    }


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def whole_version(out: Path) -> tuple[dict, list[tuple[int, str]]]:
    """Check that `out` holds one whole version and return its schedule and history rows:
    no temporary files; team.ics holds exactly schedule.json's tasks (a UID per stretch, at
    its dates, for its assignee) and the person files partition it; schedule.csv and
    changes.csv describe the same tasks; history.sqlite's latest version is schedule.json."""
    temporary = (".tmp", "-wal", "-shm", "-journal")  # atomic writes', sqlite's
    leftovers = [
        str(p.relative_to(out))
        for p in out.rglob("*")
        if p.name in (version.STAGING, version.BACKUP, version.JOURNAL)
        or p.name.endswith(temporary)
    ]
    assert leftovers == [], f"left behind: {leftovers}"
    text = (out / "schedule.json").read_text(encoding="utf-8")
    schedule = json.loads(text)
    tasks = {t["id"]: t for t in schedule["tasks"]}

    team = live_events(out / "calendar" / "team.ics")
    expected = {}
    for task in tasks.values():
        for number, (first, _last) in enumerate(sorted(task["stretches"]), start=1):
            expected[task_uid(PLAN_NAME, task["id"], number)] = (task, first)
    assert sorted(team) == sorted(expected), "team.ics and schedule.json list other tasks"
    for uid, event in team.items():
        task, first = expected[uid]
        assert event.decoded("DTSTART").isoformat() == first, task["id"]
        assert str(event["X-PROMO-ASSIGNEE"]) == task["assignee"], task["id"]

    people: dict[str, str] = {}
    for path in (out / "calendar").glob("*.ics"):
        if path.name in ("team.ics", "activities.ics"):
            continue
        for uid in live_events(path):
            assert uid not in people, f"{uid} live in {people.get(uid)} and {path.stem}"
            assert expected[uid][0]["assignee"] == path.stem, uid
            people[uid] = path.stem
    assert sorted(people) == sorted(team), "the person files do not partition team.ics"

    rows_csv = csv_rows(out / "schedule.csv")
    table = {r["task id"]: (r["start"], r["end"], r["assignee id"]) for r in rows_csv}
    assert table == {i: (t["start"], t["end"], t["assignee"]) for i, t in tasks.items()}
    for row in csv_rows(out / "changes.csv"):
        if row["change"] == "cancelled":
            assert row["task"] not in table, row
        else:
            new = (row["new_start"], row["new_end"], row["new_assignee"])
            assert table.get(row["task"]) == new, row

    rows = history_rows(out)
    assert [n for n, _ in rows] == list(range(1, len(rows) + 1))
    assert rows[-1][1] == text, "history.sqlite's latest version is not schedule.json"
    return schedule, rows


def listed_versions(output: str) -> list[int]:
    """The version numbers `promo-scheduler history` printed."""
    return [int(line.split()[0]) for line in output.splitlines() if line[:1].isdigit()]


# --------------------------------------------------------------------------- the kill tests


@dataclass
class Kill:
    """One killed run: where it was killed, what the watcher saw, what the folder became."""

    label: str
    out: Path
    report: dict
    phase: str = ""
    outcome: str = ""

    def __str__(self) -> str:
        shown = {k: v for k, v in self.report.items() if k not in ("argv", "steps", "stderr")}
        return f"{self.label} [{self.phase}] -> {self.outcome}: {json.dumps(shown)}"


def phase_of(report: dict) -> str:
    """Where a timed kill found the run: loading (importing, reading the plan), solving
    (it holds the folder, nothing staged yet), exporting, installing, done (its version
    installed, the run not yet ended), or finished (it ended before the kill)."""
    if report["rc"] != -9:
        return "finished"
    if report["journal_before"]:
        return "installing"
    if report["staging_before"]:
        return "exporting"
    if report["staged"]:
        return "done"
    return "solving" if report["locked"] else "loading"


def check_after_kill(world: World, kill: Kill, kind: str, reference: list[tuple]) -> None:
    """The commands a user runs next, and the folder after each."""
    out, report = kill.out, kill.report
    # 1. `history` right away. It reads without recovering the folder; where the kill left
    #    no journal (nothing half installed) it must list the versions the folder holds.
    shown = invoke_cli(["history", out])
    assert "Traceback" not in shown.output, crash_report(shown)
    assert shown.exit_code == 0 or (shown.exit_code == 2 and report["journal"]), shown.output
    # 2. A start that recovers the folder and then writes nothing (`restore` of a version
    #    that does not exist: exit 2, no version added), so that the folder the recovery
    #    left can be read back before a new version is written on top of it.
    recovered = invoke_cli(["restore", out, "999"])
    assert recovered.exit_code == 2 and "no version 999" in recovered.output, crash_report(
        recovered
    )
    schedule, rows = whole_version(out)
    if (out / "schedule.json").read_text(encoding="utf-8") == world.v1_schedule:
        kill.outcome = "version 1"
        assert without_lock(files_in(out)) == world.v1_files, "not version 1 byte for byte"
        assert len(rows) == 1
    else:
        kill.outcome = "new version"
        assert tasks_of(schedule) == reference, "neither version 1 nor the killed run's"
        assert [n for n, _ in rows] == [1, 2] and rows[0][1] == world.v1_schedule
    if report["journal"]:  # killed after the commit point: the new version must be installed
        assert kill.outcome == "new version"
    if not report["journal"]:
        assert shown.exit_code == 0 and listed_versions(shown.output) == [n for n, _ in rows], (
            shown.output
        )
    # 3. The next run writes a version on top: the killed run's command, or `export`.
    if kill.label.startswith("event"):
        args = command(kind, world.plan_b, out)[3:]  # in-process: the same program
        nxt = invoke_cli(args)
        assert nxt.exit_code in (0, 4), crash_report(nxt)
    else:
        nxt = invoke_cli(["export", out / "schedule.json", "--out", out])
        assert nxt.exit_code == 0, crash_report(nxt)
    _, after = whole_version(out)
    assert after[:-1] == rows and len(after) == len(rows) + 1


def kill_runs(world: World, kind: str, base: Path) -> list[Kill]:
    """Run the command once undisturbed (its phases' moments, and the schedule a killed
    run's version must have), then kill it at evenly spread moments of that run and at the
    event kills, two runs at a time (the event kills start beside the undisturbed run); each
    folder is checked here while the next runs are under way. Returns the kills."""

    def new_kill(label: str, spec: dict) -> Kill:
        out = base / f"kill-{len(kills):02d}"
        shutil.copytree(world.v1, out)
        spec.update(argv=command(kind, world.plan_b, out), out=str(out))
        kills.append(Kill(label, out, spec))
        return kills[-1]

    kills: list[Kill] = []
    reference_dir = base / "reference"
    shutil.copytree(world.v1, reference_dir)
    cpu = max(os.sched_getaffinity(0))
    undisturbed = {"kind": "measure", "out": str(reference_dir)}
    undisturbed["argv"] = command(kind, world.plan_b, reference_dir)
    with ThreadPoolExecutor(2) as pool:
        measuring = pool.submit(watch, undisturbed)
        running = {}
        for name, (steps, _) in EVENT_KILLS[kind].items():
            kill = new_kill(f"event {name}", {"kind": "event", "steps": steps, "cpu": cpu})
            running[pool.submit(watch, kill.report)] = kill
        measured = measuring.result()
        assert measured["rc"] in (0, 4), measured["stderr"]
        whole_version(reference_dir)
        reference = tasks_of(json.loads((reference_dir / "schedule.json").read_text("utf-8")))
        if kind == "plan":  # the same as planned in-process: one answer (section 5)
            assert reference == tasks_of(json.loads(world.b_schedule.read_text("utf-8")))
        moments = {k: measured[k] for k in ("lock_at", "staging_at")}
        duration, count = measured["duration"], TIMED_KILLS[kind]
        # the middle of loading and of solving in the undisturbed run, the first quarter of
        # its export (short, and shorter in a run less loaded than the undisturbed one,
        # which ran beside the event kills: a kill at its middle once came after it), then
        # moments spread evenly over it
        edges = [0.0, measured["lock_at"], measured["staging_at"], duration]
        shares = (0.5, 0.5, 0.25)
        pairs = zip(itertools.pairwise(edges), shares, strict=True)
        in_phases = [a + (b - a) * share for (a, b), share in pairs]
        spread = [duration * (i + 0.5) / (count - 3) for i in range(count - 3)]
        for at in in_phases + spread:
            kill = new_kill(
                f"at {at:.2f} s of {duration:.2f} s", {"kind": "at", "at": at, **moments}
            )
            running[pool.submit(watch, kill.report)] = kill
        for future in as_completed(running):
            kill = running[future]
            kill.report = future.result()
            kill.phase = "event" if kill.label.startswith("event") else phase_of(kill.report)
            try:
                check_after_kill(world, kill, kind, reference)
            except AssertionError as error:
                raise AssertionError(f"after the kill {kill}:\n{error}") from error
    print(f"\n{kind}: undisturbed {measured}")
    return kills


def check_coverage(kind: str, kills: list[Kill]) -> None:
    """The timed kills found the run loading, solving and exporting; each event kill came
    at its moment (exactly, with a real-time watcher: the folder it left says so)."""
    table = "\n".join(str(k) for k in kills)
    phases = [k.phase for k in kills]
    for phase in ("loading", "solving", "exporting"):
        assert phase in phases, f"no kill landed while {phase}:\n{table}"
    for kill in kills:
        if kill.phase == "event":
            report = kill.report
            assert report["matched"], f"the events did not happen:\n{table}"
            assert report["rc"] == -9, f"the run ended before its kill:\n{table}"
            _, state = EVENT_KILLS[kind][kill.label.removeprefix("event ")]
            if report["realtime"]:
                assert {k: report[k] for k in state} == state, f"{kill.label}:\n{table}"
    print(f"\n{table}")


def test_plan_killed_at_any_moment_leaves_one_whole_version(world, tmp_path):
    """`plan` of a changed plan into a folder holding version 1, killed with SIGKILL at 6
    evenly spread moments (while loading, solving, exporting) and at 2 moments of the history
    write and the install (the staged history.sqlite half written; the old history.sqlite
    moved aside and the new one not yet in place).
    After each kill `history` answers without a traceback, the next start leaves exactly
    version 1 (byte for byte) or the killed run's version (the schedule of an undisturbed
    run, history.sqlite with 2 versions), whole, and the next run works."""
    kills = kill_runs(world, "plan", tmp_path)
    check_coverage("plan", kills)
    outcomes = {k.label: k.outcome for k in kills}
    assert outcomes["event history-write"] == "version 1"
    assert outcomes["event history-moved-aside"] == "new version"


def test_replan_killed_at_any_moment_leaves_one_whole_version(world, tmp_path):
    """`replan --today` of a changed plan against version 1, killed with SIGKILL at 4
    evenly spread moments and at 2 moments of the install (the journal in place and nothing
    installed; everything installed and the journal removed, but not yet .promo-backup): the
    same checks, and a kill after the commit point leaves the new version."""
    kills = kill_runs(world, "replan", tmp_path)
    check_coverage("replan", kills)
    assert all(k.outcome == "new version" for k in kills if k.phase == "event")


HISTORY_BUG = (
    "engine bug: `history` and `diff` read DIR/history.sqlite without recovering a version "
    "that a killed run left half installed: with the old history.sqlite moved aside and the "
    "new one not yet in place they answer 'no history here' (exit 2); before that they list "
    "only the old versions although the folder is committed to the new one"
)
EXPORT_BUG = (
    "engine bug: `export DIR/schedule.json --out DIR` reads schedule.json before it recovers "
    "the folder: right after a kill past the commit point it re-exports the old version's "
    "schedule, undoing the new version the recovery has just installed"
)


def test_commands_right_after_a_kill_see_the_version_the_folder_holds(world, tmp_path):
    """Section 6, "recovering at the next start is allowed": each command is such a start.
    A run (here `export`, the same installation as `plan`) is killed after its commit point,
    with the old history.sqlite moved into .promo-backup and the new one not yet in place.
    Then `history DIR` must list versions 1 and 2 (the folder is committed to version 2),
    and `export DIR/schedule.json --out DIR` must re-export version 2 as version 3. Neither
    does (HISTORY_BUG, EXPORT_BUG): the test then xfails, naming what it saw. The folder is
    whole after the export either way (checked)."""
    out, schedule = tmp_path / "out", tmp_path / "schedule.json"
    shutil.copytree(world.v1, out)
    shutil.copy(world.b_schedule, schedule)  # version 2: PLAN_B's schedule
    argv = [sys.executable, "-m", "scheduler", "export", str(schedule), "--out", str(out)]
    steps, state = EVENT_KILLS["plan"]["history-moved-aside"]
    report = watch({"kind": "event", "steps": steps, "cpu": max(os.sched_getaffinity(0)),
                    "argv": argv, "out": str(out)})  # fmt: skip
    assert report["matched"], report
    if {k: report[k] for k in state} != state:
        assert not report["realtime"], report
        pytest.skip(f"without real-time priority the run went on past its kill: {report}")

    shown = invoke_cli(["history", out])
    assert "Traceback" not in shown.output, crash_report(shown)
    again = invoke_cli(["export", out / "schedule.json", "--out", out])
    assert again.exit_code == 0, crash_report(again)
    _, rows = whole_version(out)
    assert [n for n, _ in rows] == [1, 2, 3]
    v2, v3 = (tasks_of(json.loads(text)) for _, text in rows[1:])
    assert v2 == tasks_of(json.loads(schedule.read_text(encoding="utf-8")))  # recovered

    bugs = []
    if shown.exit_code != 0 or listed_versions(shown.output) != [1, 2]:
        bugs.append(f"{HISTORY_BUG}; it printed: {shown.output.strip()}")
    if v3 != v2:
        same = v3 == tasks_of(json.loads(rows[0][1]))
        bugs.append(f"{EXPORT_BUG}; version 3 has version 1's tasks: {same}")
    if bugs:
        pytest.xfail(" / ".join(bugs))


# --------------------------------------------------------------------------- a full disk

MOUNT_SIZE = "3m"


@contextlib.contextmanager
def tmpfs(path: Path) -> Iterator[Path]:
    """A small tmpfs mounted at `path`, unmounted afterwards.

    Mounting needs root. Not root: skip (a developer's machine; CI runs the suite as root).
    Root but the mount fails: skip with the reason, except under CI (env CI set), where it
    is a failure: there the test must run, and a root that cannot mount (a container without
    CAP_SYS_ADMIN, no tmpfs) is a CI setup to fix, not a check to lose silently."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={MOUNT_SIZE}", "tmpfs", str(path)],
            capture_output=True,
            text=True,
        )
        failure = mounted.stderr.strip() or f"exit {mounted.returncode}"
    except OSError as error:  # no mount program
        mounted, failure = None, str(error)
    if mounted is None or mounted.returncode != 0:
        reason = f"cannot mount a tmpfs at {path}: {failure}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI runs as root: the full-disk test must run there)")
        pytest.skip(reason)
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(mount: Path, room: int) -> Path:
    """A filler file that leaves `room` bytes free on `mount`."""
    filler = mount / "filler"
    stats = os.statvfs(mount)
    size = stats.f_bavail * stats.f_frsize - room
    assert size > 0, f"{mount}: only {stats.f_bavail * stats.f_frsize} bytes free"
    with open(filler, "wb") as handle:
        chunk = b"\0" * (1 << 20)
        while size > 0:
            size -= handle.write(chunk[: min(size, len(chunk))])
    left = os.statvfs(mount)
    assert abs(left.f_bavail * left.f_frsize - room) <= 8192
    return filler


def test_a_full_disk_leaves_version_1_and_adds_no_version(world, tmp_path):
    """A real full disk: version 1 (the files `plan` wrote, copied) in a 3 MB tmpfs filled
    with a filler file until only a little room is left, then `plan` of the changed plan, at
    three fill levels (the run fails copying the calendars, writing the exports, writing
    history.sqlite). Each run exits 2
    with a one-line message and no traceback, the folder is still version 1 byte for byte
    (but the lock file) and history.sqlite lists 1 version. With the filler removed the
    next run works and the folder holds one whole version 2."""
    # The size of a version (version 1's files, rounded to pages; the new one is as big):
    # the staging folder needs all of it beside version 1, and more while it is written.
    size = sum(-(-len(data) // 4096) * 4096 for data in world.v1_files.values())
    rooms = [16 << 10, size // 2, size * 9 // 10]

    with contextlib.ExitStack() as stack:
        mounts = [stack.enter_context(tmpfs(tmp_path / f"disk-{i}")) for i in range(len(rooms))]
        outs = []
        for mount, room in zip(mounts, rooms, strict=True):
            shutil.copytree(world.v1, mount / "out")  # version 1, as `plan` wrote it
            fill(mount, room)
            outs.append(mount / "out")
        with ThreadPoolExecutor(len(outs)) as pool:
            failed = list(pool.map(
                lambda out: subprocess.run(command("plan", world.plan_b, out), env=ENV,
                                           capture_output=True, text=True, timeout=300),
                outs,
            ))  # fmt: skip
        for out, room, run in zip(outs, rooms, failed, strict=True):
            where = f"{room} bytes free: {run.stderr!r}"
            assert run.returncode == 2, where
            assert "Traceback" not in run.stderr + run.stdout, where
            message = [line for line in run.stderr.splitlines() if not line.startswith("warning:")]
            assert len(message) == 1, where
            assert os.strerror(errno.ENOSPC) in message[0] or "disk is full" in message[0], where
            print(f"\n{room} bytes free: exit 2: {message[0][:300]}")
            assert without_lock(files_in(out)) == world.v1_files, where
            shown = invoke_cli(["history", out])
            assert shown.exit_code == 0 and listed_versions(shown.output) == [1], shown.output
            assert len(history_rows(out)) == 1
        for mount in mounts:
            (mount / "filler").unlink()
        again = [invoke_cli(command("plan", world.plan_b, out)[3:]) for out in outs]
        expected = tasks_of(json.loads(world.b_schedule.read_text(encoding="utf-8")))
        for out, run in zip(outs, again, strict=True):
            assert run.exit_code in (0, 4), crash_report(run)
            schedule, rows = whole_version(out)
            assert len(rows) == 2 and rows[0][1] == world.v1_schedule
            assert tasks_of(schedule) == expected  # as PLAN_B planned on version 1 elsewhere
