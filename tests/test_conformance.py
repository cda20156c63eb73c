"""The conformance suite of FORMAT.md (../shared/conformance): every case, through the CLI.

Each case folder holds `plan.yaml` and `expect.yaml` (see its README): the exit code,
total late days, task count, exact dates and assignees, occurrence ids, messages.
Schedules that come back are also re-checked against rules 1-7 by tests/rules.py.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
import rules
import yaml
from conftest import (
    CONFORMANCE_DIR,
    conformance_param,
    crash_report,
    invoke_cli,
    require_conformance,
)


def load_expect(case: str) -> dict:
    return yaml.safe_load((CONFORMANCE_DIR / case / "expect.yaml").read_text(encoding="utf-8"))


def case_params(*exits: int) -> list:
    """The case folders (with the given expected exit codes), or one placeholder that
    skips (fails under CI) when the folder is missing."""
    if not CONFORMANCE_DIR.is_dir():
        return [conformance_param("missing")]
    cases = sorted(p.name for p in CONFORMANCE_DIR.iterdir() if (p / "expect.yaml").is_file())
    return [c for c in cases if not exits or load_expect(c)["exit"] in exits]


def output_of(result) -> str:
    """stdout + stderr of a CliRunner result, whatever click's capture mode."""
    text = result.output or ""
    with contextlib.suppress(ValueError):  # older click: stderr mixed into output
        text += result.stderr or ""
    return text


def assert_clean_exit(result, want: int) -> None:
    text = output_of(result)
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}\n{crash_report(result)}"
    )
    assert result.exit_code == want, f"exit {result.exit_code}, expected {want}\n{text}"


def assert_message_contains(result, expect: dict) -> None:
    text = output_of(result)
    for needle in expect.get("message_contains") or []:
        needle = str(needle)  # YAML reads an unquoted 2026-03-20 as a date; str() gives it back
        assert needle in text, f"{needle!r} not in the message:\n{text}"


def read_schedule(out: Path) -> dict:
    return json.loads((out / "schedule.json").read_text(encoding="utf-8"))


def folder_state(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def has_replan() -> bool:
    from scheduler.cli import main

    return "replan" in getattr(main, "commands", {})


def check_result(plan: Path, schedule: dict, expect: dict, today=None) -> None:
    """The listed results of an exit 0/4 case, and rules 1-7 on the whole schedule."""
    tasks = {t["id"]: t for t in schedule.get("tasks") or []}
    assert schedule.get("status") == "optimal", schedule.get("status")
    assert len(schedule["tasks"]) == expect["task_count"], sorted(tasks)
    assert sum(t.get("late_days", 0) for t in tasks.values()) == expect["late_days"], {
        i: t.get("late_days") for i, t in tasks.items() if t.get("late_days")
    }
    mismatches = {}
    for task_id, want in (expect.get("tasks") or {}).items():
        got = tasks.get(task_id)
        want = {"late_days": 0, **want}
        have = {k: got.get(k) for k in want} if got else None
        if have != want:
            mismatches[task_id] = {"expected": want, "got": have}
    assert not mismatches, json.dumps(mismatches, indent=1, ensure_ascii=False)
    if "occurrences" in expect:
        assert {t["activity"] for t in tasks.values()} == set(expect["occurrences"])
    violations = rules.check_schedule(plan, schedule, today=today)
    assert violations == [], "\n".join(violations)


# --------------------------------------------------------------------------- plan


@pytest.mark.parametrize("case", case_params())
def test_plan(case, tmp_path):
    require_conformance()
    case_dir = CONFORMANCE_DIR / case
    expect = load_expect(case)
    if "baseline_plan" in expect:
        run_replan_case(case_dir, expect, tmp_path)
        return
    out = tmp_path / "out"
    out.mkdir()
    plan = case_dir / "plan.yaml"
    result = invoke_cli(["plan", plan, "--out", out])
    assert_clean_exit(result, expect["exit"])

    if expect["exit"] in (0, 4):
        check_result(plan, read_schedule(out), expect)
    elif expect["exit"] == 2:
        assert_message_contains(result, expect)
        if expect.get("writes_nothing"):
            assert folder_state(out) == {}, sorted(folder_state(out))
    elif expect["exit"] == 3:
        schedule = read_schedule(out)
        assert schedule.get("status") == "infeasible"
        assert not schedule.get("tasks")
        assert schedule.get("explanation"), "no explanation stored in schedule.json"


def run_replan_case(case_dir: Path, expect: dict, tmp_path: Path) -> None:
    """Case 13: plan the baseline plan, then `replan` the changed plan into the same folder."""
    if not has_replan():
        pytest.skip("needs the `replan` command (not built yet)")
    out = tmp_path / "out"
    out.mkdir()
    baseline = json.loads((case_dir / expect["baseline"]).read_text(encoding="utf-8"))
    base = {t["id"]: t for t in baseline["tasks"]}

    result = invoke_cli(["plan", case_dir / expect["baseline_plan"], "--out", out])
    assert_clean_exit(result, 0)
    first = {t["id"]: t for t in read_schedule(out)["tasks"]}

    def key(task: dict) -> tuple:
        return task["start"], task["end"], task["assignee"]

    assert {i: key(t) for i, t in first.items()} == {i: key(t) for i, t in base.items()}

    today = expect["today"]
    plan = case_dir / "plan.yaml"
    result = invoke_cli(["replan", plan, "--out", out, "--today", today])
    assert_clean_exit(result, expect["exit"])
    schedule = read_schedule(out)
    check_result(plan, schedule, expect, today=today)
    tasks = {t["id"]: t for t in schedule["tasks"]}

    for task_id in expect.get("frozen") or []:
        assert key(tasks[task_id]) == key(base[task_id]), task_id
    for task_id in expect.get("under_way") or []:
        assert tasks[task_id]["start"] == base[task_id]["start"], task_id
    moved = sorted(
        i
        for i, t in tasks.items()
        if i in base and (t["start"], t["assignee"]) != (base[i]["start"], base[i]["assignee"])
    )
    assert len(moved) <= expect["max_moved"], moved
    # No task starts before today unless it did so in the baseline.
    early = [
        i
        for i, t in tasks.items()
        if t["start"] < today and (i not in base or base[i]["start"] != t["start"])
    ]
    assert early == [], early


# --------------------------------------------------------------------------- validate


@pytest.mark.parametrize("case", case_params(2))
def test_validate_rejects_bad_input(case):
    require_conformance()
    expect = load_expect(case)
    result = invoke_cli(["validate", CONFORMANCE_DIR / case / "plan.yaml"])
    assert_clean_exit(result, 2)
    assert_message_contains(result, expect)


@pytest.mark.parametrize("case", case_params(0, 3, 4))
def test_validate_accepts_good_input(case):
    require_conformance()
    result = invoke_cli(["validate", CONFORMANCE_DIR / case / "plan.yaml"])
    assert_clean_exit(result, 0)


# --------------------------------------------------------------------------- infeasible


@pytest.mark.parametrize("case", case_params(3))
def test_infeasible_leaves_existing_files_alone(case, tmp_path):
    require_conformance()
    out = tmp_path / "out"
    out.mkdir()
    previous = {
        "format": 1,
        "plan": "an earlier plan",
        "status": "optimal",
        "tasks": [],
    }
    (out / "schedule.json").write_text(json.dumps(previous, indent=2) + "\n", encoding="utf-8")
    (out / "notes.txt").write_bytes("kept as it is\r\n保留\n".encode())
    before = folder_state(out)

    result = invoke_cli(["plan", CONFORMANCE_DIR / case / "plan.yaml", "--out", out])
    assert_clean_exit(result, 3)
    after = folder_state(out)
    assert {name: after.get(name) for name in before} == before
