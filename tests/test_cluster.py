"""The independent sub-solves on a real Dask cluster (issue 12 item 3): same answers as here.

A `dask.distributed.LocalCluster` of two worker processes on 127.0.0.1 runs the checks of
a late plan's fixes (`plan --suggest --cluster`) and the staffing probes (`staffing` with
PROMO_SCHEDULER_CLUSTER); each result is compared with the in-process run of the same
command: the same schedule.json (less what FORMAT.md section 5 exempts: `generated` and
the solver's `seconds`), the same fixes, the same staffing table. The scheduler's own
record shows that the sub-solves ran on its workers. Without Dask these tests skip, and
fail under CI.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import rules
from click.testing import CliRunner
from conftest import crash_report, invoke_cli

import scheduler
from scheduler.cli import main
from scheduler.errors import BadInput
from scheduler.executors import INSTALL, executor_for

# Two designers' weeks around the Spring Festival: the weekly promotion's design waits for
# li_na's leave, so tasks are late and fixes are checked (tests/test_explain.py).
LATE_PLAN = """
name: 春节前后
timezone: Asia/Shanghai
start: 2026-02-20
end: 2026-02-28
language: en
calendar: {workdays: [mon, tue, wed, thu, fri], holidays: CN}
staff:
  - {id: wang_fang, name: 王芳, roles: [operations]}
  - {id: zhao_lei, name: 赵磊, roles: [promotion, operations]}
  - id: li_na
    name: 李娜
    roles: [design]
    leave: [{from: 2026-02-14, to: 2026-02-14}, {from: 2026-02-24, to: 2026-02-24}]
  - {id: chen_jing, name: 陈静, roles: [customer_service], capacity: 50}
activities:
  - {id: wk, template: weekly_promo, start: 2026-02-27}
"""

# Two theme launches at once need two designers (tests/test_staffing.py, by brute force).
STAFFING_PLAN = """
name: 人手测算
timezone: Asia/Shanghai
start: 2026-03-01
end: 2026-03-14
language: zh
calendar: {workdays: [mon, tue, wed, thu, fri], holidays: CN}
staff:
  - {id: wang_fang, name: 王芳, roles: [operations]}
  - {id: zhao_lei, name: 赵磊, roles: [promotion]}
  - {id: li_na, name: 李娜, roles: [design], leave: [{from: 2026-03-02, to: 2026-03-04}]}
  - {id: chen_jing, name: 陈静, roles: [customer_service]}
activities:
  - {id: a, template: weekly_promo, start: 2026-03-06}
  - {id: t1, template: theme_launch, start: 2026-03-13}
  - {id: t2, template: theme_launch, start: 2026-03-13}
"""

SOURCE_ROOT = str(Path(scheduler.__file__).resolve().parent.parent)
CLUSTER_ARGS = ["--cluster", "tcp://127.0.0.1:8786"]
NO_DASK = "dask[distributed] is not installed (pip install 'promo-scheduler[cluster]')"


def _require_dask():
    """The distributed module; without it a test skips, or fails when CI is set."""
    if importlib.util.find_spec("distributed") is None:
        if os.environ.get("CI"):
            pytest.fail(f"{NO_DASK}, but CI is set: the cluster tests must run")
        pytest.skip(NO_DASK)
    import distributed

    return distributed


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A real two-process Dask cluster on 127.0.0.1; its scheduler's address."""
    distributed = _require_dask()
    # The worker processes import the engine by name: from where this run imports it.
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [SOURCE_ROOT, saved] if p)
    try:
        with distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            processes=True,
            dashboard_address=None,
        ) as local:
            yield local.scheduler_address
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def _computed_on(address: str) -> int:
    """How many task transitions the cluster's scheduler has made (0 before any task)."""
    import distributed

    def transitions(dask_scheduler) -> int:
        if "solve_outcome" not in dask_scheduler.task_prefixes:
            return 0
        return dask_scheduler.transition_counter

    with distributed.Client(address, set_as_default=False) as client:
        return client.run_on_scheduler(transitions)


def _comparable(folder: Path) -> dict:
    schedule = json.loads((folder / "schedule.json").read_text(encoding="utf-8"))
    schedule.pop("generated", None)
    schedule.get("solver", {}).pop("seconds", None)
    return schedule


def test_a_late_plan_and_its_fixes_are_the_same_on_the_cluster(tmp_path, cluster):
    plan = tmp_path / "plan.yaml"
    plan.write_text(LATE_PLAN, encoding="utf-8")
    before = _computed_on(cluster)
    here, there = tmp_path / "here", tmp_path / "there"
    local = invoke_cli(["plan", plan, "--out", here, "--suggest"])
    remote = invoke_cli(["plan", plan, "--out", there, "--suggest", "--cluster", cluster])
    assert local.exit_code == 4, crash_report(local)
    assert remote.exit_code == 4, crash_report(remote)
    for folder in (here, there):
        schedule = json.loads((folder / "schedule.json").read_text(encoding="utf-8"))
        assert rules.check_schedule(plan, schedule) == []
    assert _computed_on(cluster) > before, "no sub-solve ran on the cluster"
    local_schedule, remote_schedule = _comparable(here), _comparable(there)
    assert len(local_schedule["suggestions"]) >= 2  # a leave move and one more designer
    assert remote_schedule["suggestions"] == local_schedule["suggestions"]
    assert remote_schedule == local_schedule
    timing = re.compile(r"\(\d+(?:\.\d+)? s\)")  # the solve's seconds: exempt
    same = timing.sub("", remote.output).replace(str(there), str(here))
    assert same == timing.sub("", local.output)


def test_staffing_is_the_same_on_the_cluster(tmp_path, cluster):
    plan = tmp_path / "plan.yaml"
    plan.write_text(STAFFING_PLAN, encoding="utf-8")
    before = _computed_on(cluster)
    local = invoke_cli(["staffing", plan, "--role", "design", "--effort", "2"])
    remote = CliRunner().invoke(
        main,
        ["staffing", str(plan), "--role", "design", "--effort", "2"],
        env={"PROMO_SCHEDULER_CLUSTER": cluster},
    )
    assert local.exit_code == 0, crash_report(local)
    assert remote.exit_code == 0, crash_report(remote)
    assert _computed_on(cluster) > before, "no staffing probe ran on the cluster"
    assert remote.output == local.output
    row = next(line for line in local.output.splitlines() if "(design)" in line)
    fewest = int(row.split("(design)")[1].split()[1])
    # tests/test_staffing.py finds 2 by brute force: never fewer; at this small effort the
    # search may stop short of the on-time schedule with 2 (then more, and not proven)
    assert fewest >= 2


def test_an_address_that_is_not_one_is_one_line_of_bad_input(tmp_path):
    _require_dask()
    plan = tmp_path / "plan.yaml"
    plan.write_text(LATE_PLAN, encoding="utf-8")
    out = tmp_path / "out"
    result = invoke_cli(["plan", plan, "--out", out, "--cluster", "nonsense://x"])
    assert result.exit_code == 2, crash_report(result)
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("--cluster: nonsense://x: not a scheduler address")
    assert "(an address such as tcp://HOST:8786)" in lines[0]
    assert not out.exists()


def test_no_scheduler_at_the_address_is_one_line_of_bad_input():
    _require_dask()
    with socket.socket() as probe:  # a port on which nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(BadInput) as raised:
        executor_for(address, timeout=1)
    assert len(raised.value.problems) == 1
    text = str(raised.value)
    assert text.startswith(f"--cluster: {address}: no Dask scheduler answers there (")
    assert "\n" not in text


def test_without_dask_the_option_says_how_to_install_it(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(LATE_PLAN, encoding="utf-8")
    out = tmp_path / "out"
    hidden = (  # this interpreter as one without Dask: importing it fails
        "import sys; sys.modules['distributed'] = None; from scheduler.cli import main; main()"
    )
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([SOURCE_ROOT, os.environ.get("PYTHONPATH", "")])
    )
    env.pop("PROMO_SCHEDULER_CLUSTER", None)
    result = subprocess.run(
        [sys.executable, "-c", hidden, "plan", str(plan), "--out", str(out), *CLUSTER_ARGS],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"--cluster: tcp://127.0.0.1:8786: Dask distributed is not installed (run {INSTALL})"
    ]
    assert result.stdout == ""
    assert not out.exists()
