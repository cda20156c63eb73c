"""Re-planning the bundled yearly example mid-year, through the command line.

`examples/tmall-flagship-2027.yaml` (about 700 tasks, bundled templates: the plan names no
`templates:` folder, and any it named would be copied beside the copy) is planned once per
module (v1, a small `--effort`). The re-planning day T is the first day from 2027-07-01 on
when an operations task of an activity without an owner is under way in v1 (v1 is the same
for the same plan and effort, so T is too). Each scenario copies v1's output folder, edits
the plan data with PyYAML in its own folder and runs `replan --today T`:

(a) a designer (陈浩, chen_hao) leaves the staff;
(b) Double Eleven's live window moves a week earlier (its id keeps its tasks);
(c) the assignee of that operations task goes on leave from T on, across its remaining days;
(d) a new activity (an autumn tea launch) is added;
(e) nothing changed.

Every scenario checks what FORMAT.md section 5 makes of the edit: the schedule obeys rules
1-7 by tests/rules.py with `today=T`; a task that ended before T has v1's dates and
assignee; a task under way on T keeps its start, and its assignee unless that person left
or is on leave on one of its working days from T on; every other task starts on or after T;
changes.csv lists exactly the tasks that differ between the two schedule.json files
(tests/test_changes.py). Each prints and records (`record_property`) how many tasks moved or
were reassigned out of how many. (e) also wants no change at all: the same tasks, an empty
changes.csv and every event of every .ics file with its SEQUENCE unchanged (read with
icalendar).

Slow (one yearly plan and five re-plans, about a minute and a half on two cores); it runs in
CI like every slow test.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest
import rules
import yaml
from conftest import REPO_ROOT, crash_report, invoke_cli
from test_changes import check_rows, expected

pytestmark = pytest.mark.slow

EXAMPLE = REPO_ROOT / "examples" / "tmall-flagship-2027.yaml"
EFFORT = 3  # deterministic search work per run: the same schedule on every machine
MID_YEAR = date(2027, 7, 1)
DESIGNER = "chen_hao"
CHANGED = {"moved", "reassigned", "moved+reassigned"}


@dataclass
class Version1:
    """v1 of the yearly example: its plan data, output folder, schedule and the day T."""

    data: dict
    out: Path
    schedule: dict
    today: date
    under_way_ops: dict  # the task of scenario (c)

    def task(self, task_id: str) -> dict:
        return next(t for t in self.schedule["tasks"] if t["id"] == task_id)


@dataclass
class Replanned:
    """One scenario's re-plan: its plan file, output folder, schedule and changes.csv rows."""

    plan_path: Path
    out: Path
    exit_code: int
    schedule: dict
    rows: list[dict]


def load_example() -> dict:
    with open(EXAMPLE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def write_plan(folder: Path, data: dict, text: str | None = None) -> Path:
    """The plan data (or the example's own `text`) as `folder`/plan.yaml, with the template
    folders it names copied beside it, so that its relative `templates:` paths resolve."""
    folder.mkdir(parents=True, exist_ok=True)
    extra = data.get("templates") or []
    for name in [extra] if isinstance(extra, str) else extra:
        shutil.copytree(EXAMPLE.parent / name, folder / name, dirs_exist_ok=True)
    path = folder / "plan.yaml"
    if text is None:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def read_schedule(out: Path) -> dict:
    return json.loads((out / "schedule.json").read_text(encoding="utf-8"))


def read_changes(out: Path) -> list[dict]:
    raw = (out / "changes.csv").read_bytes()
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))


def owned_activities(data: dict) -> set[str]:
    """Occurrence ids of the activities with an owner (all one-off ones with an id here)."""
    return {str(a["id"]) for a in data["activities"] if a.get("owner") and a.get("id")}


def choose_today(data: dict, schedule: dict) -> tuple[date, dict]:
    """The first day from MID_YEAR on with an operations task of an unowned activity under way
    (it started before that day and ends on or after it), and that task."""
    owned = owned_activities(data)
    day = MID_YEAR
    while day < date(2027, 10, 1):
        text = day.isoformat()
        under_way = sorted(
            (
                t
                for t in schedule["tasks"]
                if t["role"] == "operations"
                and t["activity"] not in owned
                and t["start"] < text <= t["end"]
            ),
            key=lambda t: (t["start"], t["id"]),
        )
        if under_way:
            return day, under_way[0]
        day += timedelta(days=1)
    raise AssertionError("no operations task is under way on any day of July-September")


@pytest.fixture(scope="module")
def v1(tmp_path_factory) -> Version1:
    """The yearly example planned once; T and the task of scenario (c) chosen from it."""
    folder = tmp_path_factory.mktemp("tmall-2027-v1")
    data = load_example()
    plan_path = write_plan(folder, data, text=EXAMPLE.read_text(encoding="utf-8"))
    out = folder / "out"
    result = invoke_cli(["plan", plan_path, "--out", out, "--effort", EFFORT])
    assert result.exit_code in (0, 4), crash_report(result)
    schedule = read_schedule(out)
    assert rules.check_schedule(plan_path, schedule) == []
    today, task = choose_today(data, schedule)
    print(f"\nv1: {len(schedule['tasks'])} tasks, status {schedule['status']}; T = {today}")
    return Version1(data, out, schedule, today, task)


def replan(v1: Version1, folder: Path, data: dict) -> Replanned:
    """`replan --today T` of `data` on a copy of v1's output folder."""
    out = folder / "out"
    shutil.copytree(v1.out, out)
    plan_path = write_plan(folder / "plan", data)
    args = ["replan", plan_path, "--out", out, "--today", v1.today, "--effort", EFFORT]
    result = invoke_cli(args)
    assert result.exit_code in (0, 4), crash_report(result)
    assert "Traceback" not in (result.output or ""), result.output
    return Replanned(plan_path, out, result.exit_code, read_schedule(out), read_changes(out))


def check_replanned(v1: Version1, new: Replanned, record_property, label: str) -> dict:
    """Section 5's rules against v1 and changes.csv; prints and records the change counts.
    Returns task id -> change (tests/test_changes.py's `expected`)."""
    today = v1.today
    violations = rules.check_schedule(new.plan_path, new.schedule, today=today)
    assert violations == [], "\n".join(violations[:50])

    plan = rules.load_plan(new.plan_path)
    old = {t["id"]: t for t in v1.schedule["tasks"]}
    frozen = under_way = 0
    for task in new.schedule["tasks"]:
        was = old.get(task["id"])
        first = rules.as_date(was["start"]) if was else None
        if was is not None and rules.as_date(was["end"]) < today:
            frozen += 1
            kept = (task["start"], task["end"], task["assignee"])
            assert kept == (was["start"], was["end"], was["assignee"]), task["id"]
        elif was is not None and first < today:
            under_way += 1
            assert task["start"] == was["start"], task["id"]
            keeper = plan.staff.get(was["assignee"])
            remaining = plan.calendar.working_days(today, rules.as_date(task["end"]))
            if keeper is not None and not any(keeper.on_leave(d) for d in remaining):
                assert task["assignee"] == was["assignee"], task["id"]
        else:
            assert rules.as_date(task["start"]) >= today, task["id"]
    check_rows(v1.schedule, new.schedule, new.rows)

    changes = expected(v1.schedule, new.schedule)
    counts = {kind: sum(1 for c in changes.values() if c == kind) for kind in sorted(CHANGED)}
    moved = sum(counts.values())
    total = len(new.schedule["tasks"])
    added = sum(1 for c in changes.values() if c == "added")
    cancelled = sum(1 for c in changes.values() if c == "cancelled")
    print(
        f"\n({label}) T={today}: {moved} of {total} tasks moved or reassigned {counts}, "
        f"{added} added, {cancelled} cancelled; {frozen} frozen, {under_way} under way; "
        f"late days {sum(t['late_days'] for t in new.schedule['tasks'])}, "
        f"status {new.schedule['status']}"
    )
    record_property("moved_or_reassigned", moved)
    record_property("tasks", total)
    record_property("added", added)
    record_property("cancelled", cancelled)
    return changes


def ics_sequences(out: Path) -> dict[str, dict[str, int]]:
    """File name under calendar/ -> UID -> SEQUENCE of each event."""
    found = {}
    for path in sorted((out / "calendar").glob("*.ics")):
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        found[path.name] = {
            str(event["UID"]): int(event.get("SEQUENCE", 0)) for event in calendar.walk("VEVENT")
        }
    return found


# --------------------------------------------------------------------------- scenarios


def test_a_designer_leaves(v1, tmp_path, record_property):
    """(a) chen_hao leaves: his finished tasks stay his, no other task is his any more, and
    every task of his that was not finished is reassigned."""
    data = copy.deepcopy(v1.data)
    data["staff"] = [m for m in data["staff"] if m["id"] != DESIGNER]
    new = replan(v1, tmp_path, data)
    changes = check_replanned(v1, new, record_property, "a: designer leaves")
    for task in new.schedule["tasks"]:
        was = v1.task(task["id"])
        if rules.as_date(was["end"]) < v1.today:
            continue
        assert task["assignee"] != DESIGNER, task["id"]
        if was["assignee"] == DESIGNER:
            assert changes[task["id"]] in ("reassigned", "moved+reassigned"), task["id"]


def test_b_double_eleven_a_week_earlier(v1, tmp_path, record_property):
    """(b) Double Eleven's live window starts and ends a week earlier: its tasks (same
    occurrence id) are re-planned within the rules, nothing is added or cancelled."""
    data = copy.deepcopy(v1.data)
    activity = next(a for a in data["activities"] if a.get("id") == "double_eleven_2027")
    activity["start"] = rules.as_date(activity["start"]) - timedelta(days=7)
    activity["end"] = rules.as_date(activity["end"]) - timedelta(days=7)
    new = replan(v1, tmp_path, data)
    changes = check_replanned(v1, new, record_property, "b: Double Eleven a week earlier")
    assert not {"added", "cancelled"} & set(changes.values()), changes
    moved_d11 = sorted(t for t in changes if t.startswith("double_eleven_2027/"))
    print(f"    Double Eleven tasks changed: {len(moved_d11)} {moved_d11}")


def test_c_leave_across_work_under_way(v1, tmp_path, record_property):
    """(c) the assignee of an operations task under way on T goes on leave from T to past its
    end: it keeps its start and end and goes to someone else ("reassigned")."""
    task = v1.under_way_ops
    who = task["assignee"]
    data = copy.deepcopy(v1.data)
    member = next(m for m in data["staff"] if m["id"] == who)
    leave = {"from": v1.today, "to": rules.as_date(task["end"]) + timedelta(days=3)}
    member.setdefault("leave", []).append(leave)
    new = replan(v1, tmp_path, data)
    label = f"c: leave for {who} {leave['from']}..{leave['to']} across {task['id']}"
    changes = check_replanned(v1, new, record_property, label)
    now = next(t for t in new.schedule["tasks"] if t["id"] == task["id"])
    assert (now["start"], now["end"]) == (task["start"], task["end"])
    assert now["assignee"] != who
    assert changes[task["id"]] == "reassigned"


def test_d_new_activity(v1, tmp_path, record_property):
    """(d) a new autumn tea launch: its tasks are the `added` rows, all on or after T."""
    data = copy.deepcopy(v1.data)
    data["activities"].append(
        {"id": "autumn_tea_2027", "template": "theme_launch", "title": "秋茶上新",
         "start": date(2027, 9, 27)}
    )  # fmt: skip
    new = replan(v1, tmp_path, data)
    changes = check_replanned(v1, new, record_property, "d: new activity")
    added = {t for t, c in changes.items() if c == "added"}
    assert added == {t["id"] for t in new.schedule["tasks"] if t["activity"] == "autumn_tea_2027"}
    assert added
    assert "cancelled" not in changes.values()


def test_e_nothing_changed(v1, tmp_path, record_property):
    """(e) the same plan data (written again by PyYAML): no task changes, changes.csv is
    empty, and no event of any .ics file gets another SEQUENCE."""
    new = replan(v1, tmp_path, copy.deepcopy(v1.data))
    changes = check_replanned(v1, new, record_property, "e: nothing changed")
    assert changes == {}
    assert new.rows == []
    same = [(t["id"], t["start"], t["end"], t["assignee"]) for t in new.schedule["tasks"]]
    was = [(t["id"], t["start"], t["end"], t["assignee"]) for t in v1.schedule["tasks"]]
    assert sorted(same) == sorted(was)
    before, after = ics_sequences(v1.out), ics_sequences(new.out)
    assert before.keys() == after.keys()
    for name, sequences in before.items():
        assert after[name] == sequences, name
