"""history.sqlite and the `history`, `diff` and `restore` commands (FORMAT.md sections 6-7).

The scenario of test_changes.py: version 1 plans; version 2 re-plans with the holder of
sale_a/plan on leave and sale_b dropped; version 3 adds sale_c. The database is read back
with plain sqlite3 and compared with the files each version left in the folder; the
calendars with icalendar.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from conftest import crash_report, invoke_cli
from icalendar import Calendar
from test_calendar_updates import SALE_A_PLAN_WINDOW, SALE_B, TEMPLATE, plan_text
from test_changes import expected

from scheduler.export.ics import task_uid


def write_plan(folder: Path, text: str) -> Path:
    (folder / "templates").mkdir(parents=True, exist_ok=True)
    (folder / "templates" / "sale.yaml").write_text(TEMPLATE, encoding="utf-8")
    (folder / "plan.yaml").write_text(text, encoding="utf-8")
    return folder / "plan.yaml"


def cli(*args, code: int = 0):
    result = invoke_cli([str(a) for a in args])
    assert result.exit_code == code, crash_report(result)
    assert "Traceback" not in (result.output or "")
    return result


def snapshot(out: Path) -> dict:
    """What a version left in the folder: schedule.json's text, changes.csv's rows and
    each calendar file's events (UID -> SEQUENCE, STATUS)."""
    rows = list(csv.DictReader((out / "changes.csv").read_text("utf-8-sig").splitlines()))
    events = {}
    for path in sorted((out / "calendar").glob("*.ics")):
        calendar = Calendar.from_ical(path.read_bytes())
        events[f"calendar/{path.name}"] = {
            str(e["UID"]): (int(e.get("SEQUENCE", 0)), str(e.get("STATUS", "CONFIRMED")))
            for e in calendar.walk("VEVENT")
        }
    return {
        "schedule": (out / "schedule.json").read_text("utf-8"),
        "changes": rows,
        "events": events,
    }


def db_rows(out: Path, sql: str, *args) -> list[tuple]:
    with closing(sqlite3.connect(out / "history.sqlite")) as db:
        return db.execute(sql, args).fetchall()


@pytest.fixture
def three_versions(tmp_path: Path) -> tuple[Path, list[dict], list[Path]]:
    out = tmp_path / "out"
    plans, snaps = [], []
    first = write_plan(tmp_path / "v1", plan_text())
    cli("plan", first, "--out", out)
    snaps.append(snapshot(out))
    holder = next(t for t in json.loads(snaps[0]["schedule"])["tasks"] if t["id"] == "sale_a/plan")[
        "assignee"
    ]
    edited = plan_text(leave={holder: SALE_A_PLAN_WINDOW}, sale_b=False)
    second = write_plan(tmp_path / "v2", edited)
    cli("replan", second, "--out", out, "--today", "2026-03-02")
    snaps.append(snapshot(out))
    third = write_plan(tmp_path / "v3", edited + SALE_B.replace("sale_b", "sale_c"))
    cli("plan", third, "--out", out)
    snaps.append(snapshot(out))
    plans = [first, second, third]
    return out, snaps, plans


def test_each_version_is_kept_whole(three_versions):
    """Every run adds one row with the plan's text, its templates, the schedule it wrote,
    the counts of its changes.csv and the events of its calendar files."""
    out, snaps, plans = three_versions
    (schema,) = db_rows(out, "SELECT value FROM meta WHERE key = 'schema_version'")
    assert schema == ("2",)
    (mode,) = db_rows(out, "PRAGMA journal_mode")
    assert mode == ("wal",)
    rows = db_rows(
        out,
        "SELECT number, command, plan_text, today, schedule, moved, reassigned, added, "
        "cancelled FROM versions ORDER BY number",
    )
    assert [r[0] for r in rows] == [1, 2, 3]
    assert [r[1] for r in rows] == ["plan", "replan", "plan"]
    assert [r[3] for r in rows] == [None, "2026-03-02", None]
    for (number, _, text, _, schedule, *counts), snap, plan in zip(rows, snaps, plans, strict=True):
        assert text == plan.read_text("utf-8")
        assert schedule == snap["schedule"]
        kinds = [r["change"] for r in snap["changes"]]
        assert counts == [
            sum("moved" in k for k in kinds),
            sum("reassigned" in k for k in kinds),
            kinds.count("added"),
            kinds.count("cancelled"),
        ]
        templates = db_rows(out, "SELECT id, text FROM templates WHERE version = ?", number)
        assert templates == [("sale", TEMPLATE)]
        events: dict[str, dict] = {}
        for file, uid, sequence, status in db_rows(
            out, "SELECT file, uid, sequence, status FROM events WHERE version = ?", number
        ):
            events.setdefault(file, {})[uid] = (sequence, status)
        assert events == snap["events"]
    assert not list(out.glob("history.sqlite-*"))  # no journal files left beside it


def test_history_lists_the_versions(three_versions):
    out, snaps, _ = three_versions
    lines = cli("history", out).output.splitlines()
    assert lines[0].split()[:3] == ["version", "written", "(UTC)"]
    body = lines[2:]
    assert [line.split()[0] for line in body] == ["1", "2", "3"]
    assert "replan --today 2026-03-02" in body[1]
    late = [sum(t["late_days"] for t in json.loads(s["schedule"])["tasks"]) for s in snaps]
    for line, snap, days in zip(body, snaps, late, strict=True):
        assert json.loads(snap["schedule"])["status"] in line.split()
        assert str(days) in line.split()


def test_diff_shows_what_changed_between_two_versions(three_versions):
    out, snaps, _ = three_versions
    default = cli("diff", out).output
    assert default.startswith("Version 2 -> 3: ")
    assert f"{len(snaps[2]['changes'])} task(s) changed" in default
    first, second = (json.loads(snaps[i]["schedule"]) for i in (0, 1))
    wanted = expected(first, second)
    shown = cli("diff", out, 1, 2).output
    assert shown.startswith(f"Version 1 -> 2: {len(wanted)} task(s) changed")
    for task_id in wanted:
        assert task_id in shown
    assert cli("diff", out, 2, 2).output.startswith("Version 2 -> 2: 0 task(s)")


def test_restore_writes_an_old_version_again_as_a_new_one(three_versions):
    """restore 1: the schedule of version 1 (but `generated`), exported against version 3:
    sale_c's events (not in version 1) cancelled with a higher SEQUENCE, every event that
    differs from version 3 with a higher SEQUENCE, the unchanged ones as they were."""
    out, snaps, _ = three_versions
    output = cli("restore", out, 1).output
    assert output.startswith("Restored version 1 as version 4")
    restored = json.loads((out / "schedule.json").read_text("utf-8"))
    original = json.loads(snaps[0]["schedule"])
    restored.pop("generated"), original.pop("generated")
    restored.pop("solver", None), original.pop("solver", None)
    assert restored == original
    after = snapshot(out)
    team_before, team_after = (
        snaps[2]["events"]["calendar/team.ics"],
        after["events"]["calendar/team.ics"],
    )
    assert set(team_before) <= set(team_after)  # nothing dropped
    plan_name = original["plan"]
    v1_tasks = {t["id"]: t for t in json.loads(snaps[0]["schedule"])["tasks"]}
    v3_tasks = {t["id"]: t for t in json.loads(snaps[2]["schedule"])["tasks"]}
    task_of = {
        task_uid(plan_name, task_id, stretch): task_id
        for task_id in v1_tasks.keys() | v3_tasks.keys()
        for stretch in range(1, 30)
    }
    sale_c = [uid for uid in team_before if task_of.get(uid, "").startswith("sale_c")]
    assert sale_c, "version 3 has sale_c's events"
    for uid in sale_c:
        assert team_after[uid][1] == "CANCELLED" and team_after[uid][0] > team_before[uid][0]

    def place(task: dict) -> tuple:
        return task["start"], task["end"], task["assignee"]

    changed = {i for i in v1_tasks if i not in v3_tasks or place(v1_tasks[i]) != place(v3_tasks[i])}
    assert changed, "versions 1 and 3 differ"
    for uid, (sequence, status) in team_after.items():
        task_id = task_of.get(uid)
        if task_id not in v1_tasks:
            continue
        if task_id in changed:
            assert sequence > team_before.get(uid, (-1, ""))[0], uid
            assert status != "CANCELLED" or uid not in {
                u for u, t in task_of.items() if t == task_id and u in team_before
            }, uid
        else:
            assert (sequence, status) == team_before[uid], uid
    (row,) = db_rows(out, "SELECT command, restored_from FROM versions WHERE number = 4")
    assert row == ("restore", 1)
    assert "restore 1" in cli("history", out).output.splitlines()[-1]


def test_commands_on_a_folder_without_history_exit_2(tmp_path: Path):
    for command in (["history", tmp_path], ["diff", tmp_path], ["restore", tmp_path, 1]):
        result = cli(*command, code=2)
        assert "no history here" in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_a_version_that_does_not_exist_exits_2(three_versions):
    out, _, _ = three_versions
    before = (out / "history.sqlite").read_bytes()
    for command in (["restore", out, 9], ["diff", out, 1, 9]):
        result = cli(*command, code=2)
        assert "no version 9" in result.output
    assert (out / "history.sqlite").read_bytes() == before


def test_a_history_from_a_newer_program_is_refused(three_versions):
    out, _, plans = three_versions
    with closing(sqlite3.connect(out / "history.sqlite")) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        db.commit()
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    result = cli("plan", plans[2], "--out", out, code=2)
    assert "schema version 99 is newer" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_a_zh_plan_s_versions_are_read_out_in_chinese(tmp_path):
    quickstart = Path(__file__).resolve().parents[1] / "examples" / "quickstart.yaml"
    assert "language: zh" in quickstart.read_text("utf-8")
    out = tmp_path / "out"
    for _ in range(2):
        cli("plan", quickstart, "--out", out, "--effort", "1", "--no-suggest", "--quiet")
    assert cli("diff", out).output.startswith("版本 1 → 2：0 项任务有变化")
    assert cli("restore", out, 1).output.startswith("已把版本 1 恢复为版本 3：0 项任务有变化")
    exported = cli("export", out / "schedule.json", "--out", tmp_path / "again").output
    assert exported.startswith(f"已把 {out / 'schedule.json'} 的导出文件写入 {tmp_path / 'again'}/")
    assert [line.split()[0] for line in cli("history", out).output.splitlines()[2:]] == [
        "1",
        "2",
        "3",
    ]
