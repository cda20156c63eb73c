"""The independent sub-solves on this machine's other cores (`executors.LocalProcesses`, the
commands' default): the same answers as one after the other in this process.

CP-SAT holds Python's lock while it searches, so the commands run the parts of a large
plan's bound, the neighbourhoods of one window and the checks of fixes in worker
processes. Each result is compared with the run of the same call in this process: the same
schedule.json (less the `generated` time and the solver's `seconds`), the same fixes. A
check of fixes on several cores runs every round of candidates at once: what it keeps must
be what the rounds keep, even where a round would have skipped a candidate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import rules
import yaml
from test_cluster import LATE_PLAN, STAFFING_PLAN

from scheduler import api
from scheduler.executors import IN_PROCESS, LocalProcesses, executor_for
from scheduler.plan.loading import load_plan
from scheduler.planning.adapter import compile_plan
from scheduler.planning.subsolve import Outcome
from scheduler.planning.suggest import suggest_fixes

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "tmall-flagship-2027.yaml"


def _square_where(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def _comparable(schedule) -> dict:
    data = json.loads(schedule.to_json())
    data.pop("generated", None)
    data.get("solver", {}).pop("seconds", None)
    return data


def test_calls_run_in_worker_processes_and_come_back_in_order():
    with LocalProcesses(2) as executor:
        found = executor.map(_square_where, list(range(8)))
        alone = executor.map(_square_where, [3])
    assert [square for square, _ in found] == [x * x for x in range(8)]
    assert {pid for _, pid in found} - {os.getpid()}, "no call ran in a worker process"
    assert alone == [(9, os.getpid())]  # a single call is not worth a process


def test_the_commands_use_this_machines_cores_without_a_cluster():
    with executor_for(None) as executor:
        assert isinstance(executor, LocalProcesses)
        assert executor.width == min(os.cpu_count() or 1, 4)


def test_a_large_late_plan_gets_the_same_schedule_on_worker_processes(tmp_path):
    # one designer for the example's year (benchmarks/bench_explain.py): 693 tasks, late,
    # so its bound's parts and its neighbourhoods are sub-solves
    plan = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    plan["staff"] = [p for p in plan["staff"] if p["id"] != "chen_hao"]
    path = tmp_path / "one_designer.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), "utf-8")
    loaded = load_plan(path)
    here = api.make_schedule(loaded, effort=1, executor=IN_PROCESS)
    with LocalProcesses(2) as executor:
        there = api.make_schedule(loaded, effort=1, executor=executor)
    assert here.late_days > 0 and "windows" in here.solver["late_bounds"]
    assert _comparable(there) == _comparable(here)
    assert rules.check_schedule(path, json.loads(there.to_json())) == []


def test_fixes_checked_on_worker_processes_are_the_same(tmp_path):
    path = tmp_path / "late.yaml"
    path.write_text(LATE_PLAN, "utf-8")
    loaded = load_plan(path)
    here = api.make_schedule(loaded, suggest=True, executor=IN_PROCESS)
    with LocalProcesses(2) as executor:
        there = api.make_schedule(loaded, suggest=True, executor=executor)
    assert len(here.suggestions) >= 2
    assert _comparable(there) == _comparable(here)


class _Recording:
    """Runs the calls here and records each batch's size; says it runs `width` at once."""

    def __init__(self, width: int):
        self.width = width
        self.batches: list[int] = []

    def map(self, fn, items):
        self.batches.append(len(items))
        return [fn(item) for item in items]


def _nothing_late(plan) -> Outcome:
    """A check that finds every changed plan on time: each kind's first try leaves no late
    day, so the rounds never try a second one."""
    return Outcome("optimal", 0)


def test_every_round_at_once_keeps_what_the_rounds_keep(tmp_path):
    path = tmp_path / "staffing.yaml"
    path.write_text(STAFFING_PLAN, "utf-8")
    loaded = load_plan(path)
    schedule = api.make_schedule(loaded, effort=2)
    compiled = compile_plan(loaded)
    rounds, ahead = _Recording(1), _Recording(2)
    one_by_one = suggest_fixes(loaded, compiled, schedule, _nothing_late, rounds)
    at_once = suggest_fixes(loaded, compiled, schedule, _nothing_late, ahead)
    assert len(rounds.batches) == 1 and len(ahead.batches) == 1
    assert ahead.batches[0] > rounds.batches[0], "no second try to skip: the test is idle"
    assert at_once == one_by_one


def test_with_another_thread_running_the_workers_start_clean():
    # a progress display runs a thread: a fork would copy the locks it holds, so the
    # workers come from a server process instead (scheduler/executors.py `_context`)
    stop = threading.Event()
    display = threading.Thread(target=stop.wait, daemon=True)
    display.start()
    try:
        with LocalProcesses(2) as executor:
            found = executor.map(_square_where, [1, 2, 3])
    finally:
        stop.set()
    assert [square for square, _ in found] == [1, 4, 9]
    assert {pid for _, pid in found} - {os.getpid()}


PARENT = """
import os, sys, threading, time
from scheduler.executors import LocalProcesses

def where(_):
    time.sleep(0.2)
    return os.getpid()

if __name__ == "__main__":
    if sys.argv[1] == "forkserver":  # another thread running: workers come from a server
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    with LocalProcesses(2) as executor:
        print(*sorted(set(executor.map(where, range(4)))), flush=True)
        time.sleep(60)  # killed here, its workers still idle in the pool
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended, waiting for its parent to read it


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
@pytest.mark.parametrize("start", ["fork", "forkserver"])
def test_workers_end_when_the_command_is_killed(tmp_path, start):
    # kill -9 of a running command leaves it no time to stop its pool: the workers must not
    # live on (orphaned, each holding a CP-SAT search) after it
    script = tmp_path / "parent.py"
    script.write_text(PARENT, encoding="utf-8")
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    parent = subprocess.Popen(
        [sys.executable, str(script), start], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert workers and parent.pid not in workers
        assert all(_running(pid) for pid in workers)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in workers), workers
