"""changes.csv (FORMAT.md section 6) and the per-person summary: one row per task that
changed against the previous version, worked out here from the two schedule.json files.

The scenario: a plan; then the person holding sale_a/plan goes on leave over its whole
window (it must be reassigned) and sale_b is dropped (its tasks are cancelled); then a new
activity is added.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from conftest import crash_report, invoke_cli
from test_calendar_updates import SALE_A_PLAN_WINDOW, SALE_B, TEMPLATE, plan_text

COLUMNS = [
    "task", "change", "old_start", "old_end", "old_assignee",
    "new_start", "new_end", "new_assignee", "reason",
]  # fmt: skip


def run(folder: Path, out: Path, text: str, *command: str):
    (folder / "templates").mkdir(parents=True, exist_ok=True)
    (folder / "templates" / "sale.yaml").write_text(TEMPLATE, encoding="utf-8")
    (folder / "plan.yaml").write_text(text, encoding="utf-8")
    result = invoke_cli([*(command or ["plan"]), folder / "plan.yaml", "--out", out])
    assert result.exit_code == 0, crash_report(result)
    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    raw = (out / "changes.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    return schedule, rows, result.output


def expected(old: dict | None, new: dict) -> dict[str, str]:
    """task id -> change, from the two schedules alone."""
    before = {t["id"]: t for t in old["tasks"]} if old else {}
    after = {t["id"]: t for t in new["tasks"]}
    found = {}
    for task_id in before.keys() | after.keys():
        a, b = before.get(task_id), after.get(task_id)
        if a is None:
            found[task_id] = "added"
        elif b is None:
            found[task_id] = "cancelled"
        else:
            moved = (a["start"], a["end"]) != (b["start"], b["end"])
            reassigned = a["assignee"] != b["assignee"]
            kind = "moved+reassigned" if moved and reassigned else "moved" if moved else ""
            kind = kind or ("reassigned" if reassigned else "")
            if kind:
                found[task_id] = kind
    return found


def check_rows(old: dict | None, new: dict, rows: list[dict]) -> None:
    assert all(column in rows[0] for column in COLUMNS) if rows else True
    assert {r["task"]: r["change"] for r in rows} == expected(old, new)
    assert len(rows) == len({r["task"] for r in rows})
    before = {t["id"]: t for t in old["tasks"]} if old else {}
    after = {t["id"]: t for t in new["tasks"]}
    for row in rows:
        for side, tasks in (("old", before), ("new", after)):
            task = tasks.get(row["task"])
            values = (row[f"{side}_start"], row[f"{side}_end"], row[f"{side}_assignee"])
            assert values == ((task["start"], task["end"], task["assignee"]) if task else ("",) * 3)


def test_changes_csv_lists_exactly_the_tasks_that_differ(tmp_path):
    out = tmp_path / "out"
    first, rows, _ = run(tmp_path / "v1", out, plan_text())
    check_rows(None, first, rows)  # a first version: every task added
    assert {r["change"] for r in rows} == {"added"}

    holder = next(t for t in first["tasks"] if t["id"] == "sale_a/plan")["assignee"]
    edited = plan_text(leave={holder: SALE_A_PLAN_WINDOW}, sale_b=False)
    second, rows, output = run(tmp_path / "v2", out, edited, "replan", "--today", "2026-03-02")
    check_rows(first, second, rows)
    by_task = {r["task"]: r for r in rows}
    assert by_task["sale_a/plan"]["change"] in ("reassigned", "moved+reassigned")
    assert holder in by_task["sale_a/plan"]["reason"] or "leave" in by_task["sale_a/plan"]["reason"]
    assert {t for t, r in by_task.items() if r["change"] == "cancelled"} == {
        t["id"] for t in first["tasks"] if t["activity"] == "sale_b"
    }
    # the terminal says it too, per person
    assert f"Changed against the previous version: {len(rows)} task(s)" in output
    assert "sale_a/plan" in output

    again, rows, output = run(tmp_path / "v3", out, edited, "replan", "--today", "2026-03-02")
    assert rows == [] and "0 task(s)" in output
    check_rows(second, again, rows)

    third, rows, _ = run(tmp_path / "v4", out, edited + SALE_B.replace("sale_b", "sale_c"))
    check_rows(again, third, rows)
    assert {r["task"] for r in rows if r["change"] == "added"} == {
        t["id"] for t in third["tasks"] if t["activity"] == "sale_c"
    }
