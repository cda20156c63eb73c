"""FORMAT.md section 6: a version (one successful run) is written whole or not at all, and two
runs on one folder never interleave.

A run killed (SIGKILL) at any moment while it installs its files leaves the folder to be
finished by the next start; a failure while installing is rolled back; a second run waits
for the first, or with --no-wait exits 5. Every check reads the folder's files back:
schedule.json against team.ics, event by event.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import icalendar
import pytest
from conftest import crash_report, invoke_cli
from test_atomic import PLAN, files_in, write_plan

import scheduler
from scheduler.versions import folder as version

ENGINE_ROOT = Path(scheduler.__file__).resolve().parents[1]
MOVED = PLAN.replace("2026-03-20", "2026-03-25")


def consistent(out: Path) -> dict:
    """schedule.json, after checking that team.ics holds exactly its tasks at its dates."""
    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    calendar = icalendar.Calendar.from_ical((out / "calendar" / "team.ics").read_bytes())
    live = {}
    for event in calendar.walk("VEVENT"):
        if str(event.get("STATUS", "")).upper() != "CANCELLED":
            ref = str(event["X-PROMO-REF"])
            live.setdefault(ref, []).append(event.decoded("DTSTART"))
    assert sorted(live) == sorted(t["id"] for t in schedule["tasks"])
    for task in schedule["tasks"]:
        assert min(live[task["id"]]).isoformat() == task["start"], task["id"]
    leftovers = [
        n for n in (version.STAGING, version.BACKUP, version.JOURNAL) if (out / n).exists()
    ]
    assert leftovers == []
    return schedule


def starts(schedule: dict) -> dict[str, str]:
    return {t["id"]: t["start"] for t in schedule["tasks"]}


def run_child(script: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ENGINE_ROOT))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# A child that plans the moved plan into the folder and dies (os._exit, as SIGKILL would
# leave it: no cleanup) at its N-th rename while installing the new version.
KILLED_WHILE_INSTALLING = """
    import os, sys
    from scheduler.versions import folder as version
    from scheduler.cli import main
    limit, count, real = int(sys.argv[1]), [0], os.replace
    def replace(src, dst):
        installing = version.STAGING not in str(dst) or version.BACKUP in str(dst)
        if installing == (sys.argv[4] == "installing"):
            count[0] += 1
            if count[0] == limit:
                os._exit(9)
        return real(src, dst)
    version.os.replace = replace
    main(["plan", sys.argv[2], "--out", sys.argv[3]])
"""


def test_a_run_killed_while_staging_leaves_the_last_version(tmp_path):
    out = tmp_path / "out"
    assert invoke_cli(["plan", write_plan(tmp_path / "good"), "--out", out]).exit_code == 0
    before = files_in(out)
    moved = write_plan(tmp_path / "moved", MOVED)
    killed = run_child(KILLED_WHILE_INSTALLING, "3", str(moved), str(out), "staging")
    assert killed.returncode == 9, killed.stderr
    assert not (out / version.JOURNAL).exists()
    after = {k: v for k, v in files_in(out).items() if not k.startswith(version.STAGING)}
    assert after == before  # the new version never began to be installed
    version.recover(out)  # what the next start does first
    assert files_in(out) == before


@pytest.mark.parametrize("kill_at", [2, 5, 9, 15])  # 1: the journal itself
def test_a_run_killed_while_installing_is_finished_by_the_next_start(tmp_path, kill_at):
    out = tmp_path / "out"
    assert invoke_cli(["plan", write_plan(tmp_path / "good"), "--out", out]).exit_code == 0
    old = consistent(out)
    moved = write_plan(tmp_path / "moved", MOVED)
    killed = run_child(KILLED_WHILE_INSTALLING, str(kill_at), str(moved), str(out), "installing")
    assert killed.returncode == 9, killed.stderr
    assert (out / version.JOURNAL).exists()  # the half-installed version is recorded
    # The next start (here: `plan` of the unchanged moved plan) finishes the installation
    # first, so it starts from the killed run's complete version.
    result = invoke_cli(["plan", moved, "--out", out])
    assert result.exit_code == 0, crash_report(result)
    new = consistent(out)
    assert starts(new) != starts(old)
    fresh = tmp_path / "fresh"
    assert invoke_cli(["plan", moved, "--out", fresh]).exit_code == 0
    assert starts(new) == starts(json.loads((fresh / "schedule.json").read_text()))


def test_a_failure_while_installing_is_rolled_back(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert invoke_cli(["plan", write_plan(tmp_path / "good"), "--out", out]).exit_code == 0
    before = files_in(out)
    real, count = os.replace, [0]

    def replace(src, dst):
        if version.STAGING in str(src):
            count[0] += 1
            if count[0] == 5:
                raise OSError(28, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(version.os, "replace", replace)
    result = invoke_cli(["plan", write_plan(tmp_path / "moved", MOVED), "--out", out])
    monkeypatch.undo()
    assert result.exit_code == 2, crash_report(result)
    assert count[0] == 5  # some files of the new version had been installed
    assert files_in(out) == before


def test_no_wait_exits_5_while_another_run_holds_the_folder(tmp_path):
    out = tmp_path / "out"
    plan = write_plan(tmp_path / "good")
    assert invoke_cli(["plan", plan, "--out", out]).exit_code == 0
    before = files_in(out)
    with version.folder_lock(out, wait=False, on_wait=lambda: None):
        result = run_child(
            "import sys; from scheduler.cli import main; main(sys.argv[1:])",
            "plan", str(write_plan(tmp_path / "moved", MOVED)), "--out", str(out), "--no-wait",
        )  # fmt: skip
    assert result.returncode == 5, result.stderr
    assert "another run" in result.stderr and "Traceback" not in result.stderr
    assert files_in(out) == before


def test_a_second_run_waits_for_the_first_and_says_so(tmp_path):
    out = tmp_path / "out"
    moved = write_plan(tmp_path / "moved", MOVED)
    # The holder keeps the lock until told to let go (a line on its stdin), so that however
    # slowly the second run starts on a loaded machine, it finds the folder held.
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sys
            from scheduler.versions import folder as version
            with version.folder_lock(sys.argv[1], wait=False, on_wait=lambda: None):
                print("holding", flush=True)
                sys.stdin.readline()
        """), str(out)],
        env=dict(os.environ, PYTHONPATH=str(ENGINE_ROOT)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "holding"
    second = subprocess.Popen(
        [sys.executable, "-c", "import sys; from scheduler.cli import main; main(sys.argv[1:])",
         "plan", str(moved), "--out", str(out)],
        env=dict(os.environ, PYTHONPATH=str(ENGINE_ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    said = []
    for line in second.stderr:
        said.append(line)
        if "waiting" in line:
            break
    assert any("waiting" in line for line in said), "".join(said)
    assert second.poll() is None, "the second run did not wait for the lock"
    holder.stdin.write("go\n")
    holder.stdin.flush()
    holder.wait(timeout=30)
    _, rest = second.communicate(timeout=120)
    assert second.returncode == 0, "".join(said) + rest
    consistent(out)


def test_two_runs_started_together_leave_one_consistent_version(tmp_path):
    out = tmp_path / "out"
    plans = [write_plan(tmp_path / "good"), write_plan(tmp_path / "moved", MOVED)]
    env = dict(os.environ, PYTHONPATH=str(ENGINE_ROOT))
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "scheduler", "plan", str(p), "--out", str(out)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in plans
    ]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    schedule = consistent(out)
    assert len(schedule["tasks"]) == 2


def test_temporary_files_of_a_killed_run_are_removed_at_the_next_start(tmp_path):
    out = tmp_path / "out"
    plan = write_plan(tmp_path / "good")
    assert invoke_cli(["plan", plan, "--out", out]).exit_code == 0
    before = files_in(out)
    for stale in [out / ".schedule.json.k3j9x.tmp", out / "calendar" / ".team.ics.a1b2c3.tmp"]:
        stale.write_bytes(b"half a file")
    assert invoke_cli(["plan", plan, "--out", out]).exit_code == 0
    assert sorted(files_in(out)) == sorted(before)
