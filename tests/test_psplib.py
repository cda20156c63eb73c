"""PSPLIB RCPSP instances through the core's makespan objective (benchmarks/psplib.py).

A few small J30 instances at small, deterministic efforts; the benchmark itself (all 480,
J120) is run by hand, see BENCHMARKS.md.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.core import (
    MAKESPAN,
    OPTIMAL,
    Precedence,
    Problem,
    Resource,
    Task,
    solve_makespan,
)
from scheduler.core.check import violations

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "psplib"
SCRIPT = ROOT / "benchmarks" / "psplib.py"

needs_data = pytest.mark.skipif(
    not (DATA / "j30").is_dir(), reason=f"no PSPLIB data in {DATA} (../shared/data/psplib)"
)


def _load_script():
    spec = importlib.util.spec_from_file_location("psplib_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


psplib = _load_script()


def brute_force_makespan(problem: Problem) -> int:
    """The least makespan over every start vector within the horizon (tiny problems)."""
    best = None
    ranges = [range(problem.horizon - t.duration + 1) for t in problem.tasks]
    for starts in itertools.product(*ranges):
        if not violations(problem, list(starts), [-1] * len(starts)):
            length = max(s + t.duration for s, t in zip(starts, problem.tasks, strict=True))
            best = length if best is None else min(best, length)
    return best


def test_makespan_of_tasks_holding_several_resources_equals_brute_force():
    # a and b cannot overlap on R1 (2 + 2 > 3), b and c not on R2, a before d
    problem = Problem(
        tasks=(
            Task("a", 2, (), uses=((0, 2),)),
            Task("b", 3, (), uses=((0, 2), (1, 1))),
            Task("c", 2, (), uses=((1, 2),)),
            Task("d", 1, (), uses=((0, 1), (1, 1))),
        ),
        resources=(Resource("R1", 3), Resource("R2", 2)),
        precedences=(Precedence(0, 3),),
        horizon=9,
    )
    result = solve_makespan(problem, effort=5.0, workers=1)
    assert result.status == OPTIMAL
    assert not violations(problem, list(result.starts), list(result.resources))
    assert result.objectives[MAKESPAN] == brute_force_makespan(problem) == 5
    assert result.bounds[MAKESPAN] == 5


def test_a_task_cannot_use_more_than_a_resource_has():
    with pytest.raises(ValueError, match="more than the capacity"):
        Problem((Task("a", 1, (), uses=((0, 4),)),), (Resource("R1", 3),), horizon=2)
    with pytest.raises(ValueError, match="no resource"):
        Task("a", 1, ())


@needs_data
def test_parser_reads_jobs_resources_and_precedences():
    instance = psplib.parse_sm(DATA / "j30" / "j301_1.sm")
    assert len(instance.durations) == 32
    assert instance.capacities == (12, 13, 4, 12)
    assert instance.durations[1] == 8 and instance.demands[1] == (4, 0, 0, 0)
    assert instance.successors[0] == (1, 2, 3)  # job 1 before jobs 2, 3, 4
    assert instance.durations[0] == instance.durations[31] == 0
    problem, real = psplib.to_problem(instance)
    assert len(problem.tasks) == 30 and real == list(range(1, 31))
    assert len(problem.resources) == 4
    big = psplib.parse_sm(DATA / "j120" / "j1201_1.sm")
    assert len(big.durations) == 122 and len(big.capacities) == 4


@needs_data
def test_independent_check_finds_broken_schedules():
    instance = psplib.parse_sm(DATA / "j30" / "j301_1.sm")
    serial, at = [0] * 32, 0  # every job after the one before: valid, if long
    for j, d in enumerate(instance.durations):
        serial[j], at = at, at + d
    assert psplib.check_schedule(instance, serial) == []
    early = list(serial)
    early[5] = 0  # job 6 before its predecessor job 2 ends
    assert any(
        "job 6 starts before job 2 ends" in p for p in psplib.check_schedule(instance, early)
    )
    together = [0] * 32  # all at once: over every capacity
    assert any("R1 at 0" in p for p in psplib.check_schedule(instance, together))


@needs_data
@pytest.mark.parametrize("name", ["j301_1", "j301_2", "j3010_1"])
def test_core_reaches_the_proven_optimum_of_easy_instances(name):
    instance = psplib.parse_sm(DATA / "j30" / f"{name}.sm")
    reference = psplib.read_references(DATA / "solutions", "j30")[name]
    found = psplib.solve_core(instance, time_limit=60.0, workers=2, effort=5.0)
    assert psplib.check_schedule(instance, found["starts"]) == []
    assert found["status"] == OPTIMAL
    assert psplib.makespan_of(instance, found["starts"]) == reference == found["bound"]
    plain = psplib.solve_plain(instance, time_limit=10.0, workers=2)
    assert psplib.check_schedule(instance, plain["starts"]) == []
    assert psplib.makespan_of(instance, plain["starts"]) == reference


@needs_data
def test_stratified_sample_takes_one_instance_of_each_j120_group():
    chosen = psplib.select(list((DATA / "j120").glob("*.sm")), "stratified60", None)
    groups = [psplib._order(p)[0] for p in chosen]
    assert groups == list(range(1, 61))
    assert [psplib._order(p)[1] for p in chosen[:11]] == [*range(1, 11), 1]


@needs_data
def test_command_writes_one_checked_json_line_per_instance_and_model(tmp_path):
    out = tmp_path / "results.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--set",
            "j30",
            "--time-limit",
            "1",
            "--workers",
            "1",
            "--instances",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["instance"], r["model"]) for r in rows] == [
        ("j301_1", "core"),
        ("j301_1", "plain"),
        ("j301_2", "core"),
        ("j301_2", "plain"),
    ]
    for row in rows:
        instance = psplib.parse_sm(DATA / "j30" / f"{row['instance']}.sm")
        assert psplib.check_schedule(instance, row["starts"]) == [] and row["valid"]
        assert row["makespan"] == psplib.makespan_of(instance, row["starts"])
        assert set(row) >= {"instance", "makespan", "status", "seconds", "starts"}
    assert "mean gap" in done.stdout and "core" in done.stdout
