"""Property test: random edits of generated plans, then `replan` (FORMAT.md sections 5 and 7).

Each example draws a whole plan with tests/test_properties.py's generators (`plan_cases`),
plans it into a folder (`plan`, a small `--effort`) and, when that wrote a schedule (exit 0
or 4), edits the plan the way a store's team does mid-plan, picks a re-planning day T among
the dates of the baseline's tasks (so that some are finished and some under way) and runs
`replan EDITED --out DIR --today T`. The edits:

- leave: a staff member goes on leave over days of one of their tasks (often from T on
  over a task under way on T, which then goes to someone else; else over any task);
- remove: a staff member leaves the plan (only one whose leaving keeps every step staffed:
  someone else with its role, store and the capacity for its load; the activities they
  owned lose their `owner`, which would otherwise name nobody);
- move: a one-off activity's live window moves to another day of the plan (its `end` with
  it). With an `id` its tasks stay the same tasks, now with other offsets; without one the
  occurrence id changes, so its tasks are cancelled and new ones added.

What must hold, all computed here from the two schedule.json files and the plan files
(tests/rules.py reads them; nothing comes from `scheduler`):

- `replan` exits 0, 3 or 4 and shows no traceback;
- exit 0 or 4: `rules.check_schedule(edited, schedule, today=T)` finds nothing (rules 1-7
  with section 5's exemptions), exit 0 exactly when no task is late; every baseline task the
  edited plan still has that ended before T has its baseline start, end and assignee (also
  when that person left); every task under way on T (start < T <= end) keeps its start, and
  its assignee unless that person left or is on leave on one of its working days from T on;
  no task starts before T unless it did in the baseline with that same start;
- exit 3: section 7, "every file already in the output folder stays as it was": the folder
  is byte-identical, so schedule.json is still the baseline's. And exit 3 must be earned:
  when no open task has a strict due, every kept (finished or under-way) task still meets
  rules 5-6 in the edited plan and the work under way that needs a new assignee finds one
  (greedily, here), a schedule exists (everything else can wait until after the kept work
  and all leave), so exit 3 is an engine error.

Examples are random on every run; see tests/property_settings.py for the seed and budget.
"""

from __future__ import annotations

import copy
import tempfile
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import rules
from conftest import crash_report, invoke_cli
from hypothesis import event, given, note
from hypothesis import strategies as st
from property_settings import SEED_NOTE, property_test
from test_properties import (
    EFFORT,
    TIME_LIMIT,
    eligible,
    plan_cases,
    read_schedule,
    run_plan,
    works_for,
    write_case,
)
from test_replan_optimum import history_conflicts

EDITS = ("leave", "remove", "move")


# --------------------------------------------------------------------------- helpers


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def run_replan(plan_path: Path, out: Path, today: date, effort: float = EFFORT):
    """`replan --today T` with the same small `--effort` as the baseline's `plan`."""
    args = ["replan", plan_path, "--out", out, "--today", today.isoformat()]
    args += ["--effort", effort, "--time-limit", TIME_LIMIT]
    result = invoke_cli(args)
    text = result.output or ""
    note(f"replan --today {today}:\n{text}")
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}\n{crash_report(result)}"
    )
    return result


def staffable(plan: dict, templates: list[dict]) -> bool:
    """Every step of every activity has someone rule 1 allows with the capacity for its load
    (the owner when they hold the role), so that the plan is no bad input."""
    by_id = {m["id"]: m for m in plan["staff"]}
    steps_of = {t["id"]: t["steps"] for t in templates}
    for activity in plan["activities"]:
        store, owner = activity.get("store"), by_id.get(activity.get("owner"))
        if activity.get("owner") and owner is None:
            return False
        for step in steps_of[activity["template"]]:
            role, load = step["role"], step.get("load", 100)
            if owner is not None and role in owner["roles"] and works_for(owner, store):
                people = [owner]
            else:
                people = [m for m in plan["staff"] if role in m["roles"] and works_for(m, store)]
            if not any(m.get("capacity", 100) >= load for m in people):
                return False
    return True


def task_days(baseline: dict) -> list[date]:
    """The dates of the baseline's tasks (first to last day each) and each day after a last
    day: candidates for T."""
    days: set[date] = set()
    for task in baseline["tasks"]:
        first, last = rules.as_date(task["start"]), rules.as_date(task["end"])
        days.update(first + timedelta(days=i) for i in range((last - first).days + 2))
    return sorted(days)


def by_id(tasks: list[dict]) -> dict[str, dict]:
    return {t["id"]: t for t in tasks}


# --------------------------------------------------------------------------- edits


def add_leave(data, plan: dict, baseline: dict, today: date) -> str:
    """Leave for the assignee of one baseline task, overlapping that task's days: often
    from T on over a task under way on T (a handover), else over any open or any task."""
    tasks = sorted(baseline["tasks"], key=lambda t: t["id"])
    under_way = [t for t in tasks if t["start"] < today.isoformat() <= t["end"]]
    open_tasks = [t for t in tasks if t["end"] >= today.isoformat()]
    mode = data.draw(st.integers(0, 3), label="leave kind")
    if under_way and mode >= 2:
        task = data.draw(st.sampled_from(under_way), label="task under way the leave hits")
        last_day = rules.as_date(task["end"])
        start = today + timedelta(days=data.draw(st.integers(0, (last_day - today).days)))
        end = start + timedelta(days=data.draw(st.integers(0, 7)))
    else:
        pool = open_tasks if open_tasks and mode else tasks
        task = data.draw(st.sampled_from(pool), label="task the leave overlaps")
        first_day, last_day = rules.as_date(task["start"]), rules.as_date(task["end"])
        span = (last_day - first_day).days
        start = first_day + timedelta(days=data.draw(st.integers(-3, span)))
        reach = max(0, (first_day - start).days)  # reach the task's first day at least
        end = start + timedelta(days=data.draw(st.integers(reach, reach + 7)))
    member = next(m for m in plan["staff"] if m["id"] == task["assignee"])
    member.setdefault("leave", []).append({"from": start, "to": end})
    return f"leave {member['id']} {start}..{end} (over {task['id']})"


def remove_member(data, plan: dict, templates: list[dict]) -> str | None:
    """A staff member leaves the plan, when the rest can still do every step."""
    candidates = []
    for member in plan["staff"]:
        rest = copy.deepcopy(plan)
        rest["staff"] = [m for m in rest["staff"] if m["id"] != member["id"]]
        for activity in rest["activities"]:
            if activity.get("owner") == member["id"]:
                del activity["owner"]
        if rest["staff"] and staffable(rest, templates):
            candidates.append(member["id"])
    if not candidates:
        return None
    gone = data.draw(st.sampled_from(candidates), label="staff member who leaves")
    plan["staff"] = [m for m in plan["staff"] if m["id"] != gone]
    dropped = []
    for activity in plan["activities"]:
        if activity.get("owner") == gone:
            del activity["owner"]
            dropped.append(activity.get("id") or activity["template"])
    return f"remove {gone}" + (f" (no longer the owner of {dropped})" if dropped else "")


def move_activity(data, plan: dict) -> str | None:
    """A planned one-off activity's live window moves to another day of the plan."""
    first, last = rules.as_date(plan["start"]), rules.as_date(plan["end"])
    movable = [
        a for a in plan["activities"] if "start" in a and first <= rules.as_date(a["start"]) <= last
    ]
    if not movable:
        return None
    activity = data.draw(st.sampled_from(movable), label="activity that moves")
    old = rules.as_date(activity["start"])
    span = (last - first).days
    k = data.draw(st.integers(0, span - 1), label="new start (plan day)")
    new = first + timedelta(days=k if k < (old - first).days else k + 1)  # another day
    activity["start"] = new
    if "end" in activity:
        activity["end"] = rules.as_date(activity["end"]) + (new - old)
    name = activity.get("id") or activity["template"]
    return f"move {name} {old} -> {new}" + ("" if activity.get("id") else " (no id)")


def draw_edit(data, case: dict, baseline: dict, today: date) -> tuple[dict, str]:
    """The edited plan and what the edit was; the edits are tried in a drawn order, the
    first that applies is made (leave always applies)."""
    plan = copy.deepcopy(case["plan"])
    for kind in data.draw(st.permutations(EDITS), label="edit order"):
        if kind == "leave":
            what = add_leave(data, plan, baseline, today)
        elif kind == "remove":
            what = remove_member(data, plan, case["templates"])
        else:
            what = move_activity(data, plan)
        if what is not None:
            event(f"edit {kind}")
            return plan, what
    raise AssertionError("unreachable: leave always applies")


# --------------------------------------------------------------------------- expectations


def leaves_on(person: rules.Staff | None, days: list[date]) -> bool:
    return person is None or any(person.on_leave(d) for d in days)


def check_kept(plan: rules.Plan, baseline: dict, schedule: dict, today: date) -> None:
    """Section 5: finished tasks as they were, work under way at its start (and with its
    assignee unless they left or are on leave from T on), nothing new before T."""
    old, new = by_id(baseline["tasks"]), by_id(schedule["tasks"])
    counts: dict[str, int] = defaultdict(int)
    for task_id, was in old.items():
        if task_id not in plan.tasks:  # the edit cancelled it (checked by rules.py)
            counts["cancelled"] += 1
            continue
        now = new[task_id]  # rules.py checked that every task of the plan is there
        first, last = rules.as_date(was["start"]), rules.as_date(was["end"])
        if last < today:
            counts["finished"] += 1
            kept = (now["start"], now["end"], now["assignee"])
            assert kept == (was["start"], was["end"], was["assignee"]), (
                f"{task_id} ended before {today} in the baseline as "
                f"{was['start']}..{was['end']} by {was['assignee']}, now {kept}"
            )
        elif first < today:
            counts["under way"] += 1
            assert now["start"] == was["start"], (
                f"{task_id} is under way on {today} (baseline {was['start']}..{was['end']}) "
                f"but now starts {now['start']}"
            )
            keeper = plan.staff.get(was["assignee"])
            if leaves_on(keeper, plan.calendar.working_days(today, last)):
                counts["handed over"] += 1
            else:
                assert now["assignee"] == was["assignee"], (
                    f"{task_id} is under way on {today} and {was['assignee']} can finish it, "
                    f"but it went to {now['assignee']}"
                )
    for task_id, now in new.items():
        if rules.as_date(now["start"]) < today:
            was = old.get(task_id)
            assert was is not None and was["start"] == now["start"], (
                f"{task_id} starts {now['start']}, before {today}, but the baseline "
                + (f"started it {was['start']}" if was else "did not have it")
            )
    for kind, count in counts.items():
        if count:
            event(f"has {kind} tasks")


def why_no_schedule(plan: rules.Plan, baseline: dict, today: date) -> str | None:
    """A reason the re-plan may have no schedule, or None when one surely exists.

    Kept tasks (started before T, still in the plan) have fixed starts and ends; they may
    break rule 6 against the edited plan's offsets (rule 5 among them held in the baseline:
    lags and calendar are unchanged). Work under way whose assignee left or is on leave
    from T on needs someone free on its remaining days (tried greedily: failing proves
    nothing). Every other task can wait until after the kept work and all leave, one at a
    time, unless a strict due bounds it."""
    old = by_id(baseline["tasks"])
    calendar = plan.calendar
    kept = {
        task_id: old[task_id]
        for task_id in plan.tasks
        if task_id in old and rules.as_date(old[task_id]["start"]) < today
    }
    for task_id, spec in plan.tasks.items():
        if task_id in kept:
            first, last = rules.as_date(kept[task_id]["start"]), rules.as_date(kept[task_id]["end"])
            if spec.earliest and first < spec.earliest:
                return f"{task_id} started {first}, before its earliest {spec.earliest}"
            if spec.step.strict and spec.due and last > calendar.on_or_before(spec.due):
                return f"{task_id} ends {last}, after its strict due {spec.due}"
        elif spec.step.strict and spec.due:
            return f"{task_id} is open and has a strict due {spec.due}"

    used: dict[tuple[str, date], int] = defaultdict(int)
    handovers = []
    for task_id, task in sorted(kept.items()):
        last = rules.as_date(task["end"])
        if last < today:
            continue
        days = calendar.working_days(today, last)
        if leaves_on(plan.staff.get(task["assignee"]), days):
            handovers.append((task_id, days))
        else:
            for day in days:
                used[(task["assignee"], day)] += plan.tasks[task_id].step.load
    for task_id, days in handovers:
        load = plan.tasks[task_id].step.load
        for member in eligible(plan, plan.tasks[task_id]):
            if not leaves_on(member, days) and all(
                used[(member.id, d)] + load <= member.capacity for d in days
            ):
                for day in days:
                    used[(member.id, day)] += load
                break
        else:
            return f"{task_id} under way needs a new assignee and none was found greedily"
    return None


# --------------------------------------------------------------------------- property


@property_test(local=12, ci=24)
@given(case=plan_cases(with_offsets=True), data=st.data())
def test_random_edits_then_replan_stay_valid_and_keep_frozen_tasks(case, data):
    """A generated plan, planned, edited (leave, a member leaves, an activity moves) and
    re-planned on a day among its tasks' dates: a valid schedule that keeps finished tasks
    and work under way as section 5 says, or exit 3 with the folder untouched (and earned)."""
    note(SEED_NOTE)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan_path = write_case(folder, case["plan"], case["templates"])
        out = folder / "out"
        result = run_plan(plan_path, out)
        assert result.exit_code in (0, 3, 4), result.output
        if result.exit_code == 3:
            event("baseline: no schedule")
            return
        baseline = read_schedule(out)
        assert rules.check_schedule(plan_path, baseline) == []
        if not baseline["tasks"]:
            event("baseline: no tasks")
            return

        today = data.draw(st.sampled_from(task_days(baseline)), label="today")
        edited, what = draw_edit(data, case, baseline, today)
        note(f"edit: {what}; today {today}")
        edited_folder = folder / "edited"
        edited_folder.mkdir()
        edited_path = write_case(edited_folder, edited, case["templates"])
        before = snapshot(out)

        result = run_replan(edited_path, out, today)
        assert result.exit_code in (0, 3, 4), crash_report(result)
        event(f"replan exit {result.exit_code}")
        plan = rules.load_plan(edited_path)
        if result.exit_code == 3:
            assert snapshot(out) == before, "exit 3 changed the output folder"
            reason = why_no_schedule(plan, baseline, today)
            assert reason is not None, (
                "exit 3, yet a schedule exists: no open task has a strict due, the kept tasks "
                "keep rules 5-6 and the work under way found its assignees\n" + result.output
            )
            return
        schedule = read_schedule(out)
        assert schedule["status"] in ("optimal", "feasible"), schedule["status"]
        violations = rules.check_schedule(edited_path, schedule, today=today)
        # A moved activity can leave its kept past (finished, or under way with its start)
        # before its new `earliest`: FORMAT.md section 5 exempts the past from rules 1-4 only,
        # the engine keeps it as it happened. Until the contract settles this, the readings
        # may differ on exactly those tasks' rule 6, as in test_replan_optimum.
        conflicts = set(history_conflicts(plan, baseline, today))
        if conflicts:
            event("history breaks rule 6 after the edit")
            others = [v for v in violations if v.split()[2].rstrip(":") not in conflicts]
            assert all(v.startswith("rule 6:") for v in violations), violations
            violations = others
        assert violations == [], "\n".join(violations)
        late = sum(t["late_days"] for t in schedule["tasks"])
        assert (late == 0) == (result.exit_code == 0), (late, result.exit_code)
        check_kept(plan, baseline, schedule, today)
