"""Re-planning is the least-late, then least-change schedule, checked exhaustively on tiny plans.

Hypothesis writes a tiny plan (tests/test_optimum.py's `tiny_plans`: at most 5 tasks),
which the CLI plans into a folder (v1, a small `--effort`). Then it draws a re-planning
day T (mostly inside a task of v1, so that it is under way on T) and one edit of the plan
data (new leave: for the assignee of a task under way on T across its remaining days, or
around any of v1's tasks; a staff member removed when every task stays staffable and they
own no activity; a one-off activity's live window moved by up to ten days), and runs, each
on its own copy of the v1 folder:

1. `replan EDITED --today T`. An exhaustive search written here from FORMAT.md section 5
   (tests/rules.py's plan and calendar model, never `scheduler`) enumerates every schedule
   of the edited plan that obeys rules 1-6 and re-planning's rules against v1: a task that
   ended before T keeps its dates and assignee (rules 1-4 not re-checked); a task under way
   on T keeps its start, and its assignee unless that person left the plan or is on leave
   on one of its working days from T on (then anyone rule 1 allows who does the remaining
   days; rules 2-4 from T on); every other task starts on or after T. It finds the least
   total `late_days`, then among those schedules the fewest tasks moved (other start) or
   reassigned against v1. The CLI must exit 3 exactly when there is none, else exit 0/4
   with no rule violation (`rules.check_schedule(..., today=T)`), the frozen tasks as in
   v1, the under-way ones at their start (and with their assignee where the rules keep
   it), changes.csv listing exactly the tasks that differ (tests/test_changes.py), and, at
   status `optimal`, exactly the optimum's lateness and number of changes (`feasible`:
   lateness and changes no better than the optimum, recorded as a Hypothesis event).
2. `plan EDITED` into the folder (a fresh plan, nothing frozen; the previous version is
   only its tie-break, section 5): at `optimal` the least lateness of any schedule, and at
   most twice the fewest changes among the least-late schedules (0 when 0 is possible).

A reading the checker and the engine do not share: when the edit moves dates so that a task
that ended before T now starts before its `earliest` or ends after its strict `due` (or a
task under way starts before its `earliest`), the literal contract (rules 1-4 alone are
exempt, "Rules 1-6 are never broken") leaves no schedule, while the engine keeps the past
as it happened. Such an example is tagged with the event "history breaks rule 6 after the
edit"; it is checked against the engine's reading (the past exempt from rule 6, a strict
`due` of work under way still enforced), and the checker's complaints must be exactly those
past tasks.

Why the search's horizon is enough (positions are indices in the list of working days)
------------------------------------------------------------------------------------------
tests/test_optimum.py's left-shift argument, with two kinds of tasks kept in place. Take
any schedule S obeying the rules above. Place its tasks again in the order of their starts
in S, each with its assignee from S: the fixed ones (ended before T, under way) and the
ones S leaves unchanged (v1's start and assignee) at their position in S, every other one
at the earliest position at or after its `earliest`, T and its predecessors' new ends plus
lag where its assignee is free of leave and has the capacity next to the tasks placed
already. By induction each task lands at or before its start in S: a task placed earlier
started no later in S and ends no later now, so on the days from the task's start in S on
it works only days it worked in S, and the S position still fits. Every task ends no later
(no more lateness) and every unchanged task stays unchanged (no more changes): some
optimum of the lexicographic objective is such a schedule. Walking back from its last end
as in test_optimum.py, a chain now stops at a task whose lower bound is its `earliest` or T,
or right after a fixed or unchanged predecessor, which ends by B = the last end in v1 of
the plan's tasks. So every end is at most
    H = max(E, T, B + 1) + sum(durations) + sum(lags N) + leave working days
          + (tasks + leave ranges) * (longest duration - 1),
with the sums over every task (fixed ones too: their days may be the ones that refuse a
start). Every v1 position is below H as well, so the search tries, for each task that is
not fixed, every start from its lower bound to H - duration + 1 (v1's start and assignee
first), every assignee rule 1 allows, with per person-day loads from T on, and branch and
bound on (late days, changes).

Examples are random on every run; tests/property_settings.py prints the seed and sets the
budget (`CI` scales it). `test_replan_regression_cases` replays, with the same checks, two
examples the property found in the engine of ab37e06 (work under way slid off its start).
"""

from __future__ import annotations

import bisect
import copy
import csv
import json
import shutil
import tempfile
import textwrap
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import hypothesis
import pytest
import rules
import yaml
from conftest import crash_report, invoke_cli
from hypothesis import given
from hypothesis import strategies as st
from property_settings import SEED_NOTE, property_test
from test_changes import check_rows, expected
from test_optimum import tiny_plans
from test_properties import as_schedule, dump, eligible, works_for

# v1 needs a schedule, not a proof; the re-plans are tiny and must reach the optimum.
PLAN_EFFORT = 2
REPLAN_EFFORT = 5
TIME_LIMIT = 300
CHANGED = {"moved", "reassigned", "moved+reassigned"}
HISTORY_NOTE = "history breaks rule 6 after the edit"


def say(text: str) -> None:
    """A Hypothesis note inside a property test, else printed (the regression cases)."""
    if hypothesis.control.currently_in_test_context():
        hypothesis.note(text)
    else:
        print(text)


def tag(name: str) -> None:
    """A Hypothesis event inside a property test (its statistics), else nothing."""
    if hypothesis.control.currently_in_test_context():
        hypothesis.event(name)


# --------------------------------------------------------------------------- edits


def staffable(plan: dict, templates: list[dict]) -> bool:
    """Every step of every activity has someone with its role, store and capacity."""
    steps_of = {t["id"]: t["steps"] for t in templates}
    for activity in plan["activities"]:
        store = activity.get("store")
        for step in steps_of[activity["template"]]:
            if not any(
                step["role"] in m["roles"]
                and works_for(m, store)
                and m.get("capacity", 100) >= step.get("load", 100)
                for m in plan["staff"]
            ):
                return False
    return True


@st.composite
def edits(draw, plan: dict, templates: list[dict], v1: dict, today: date) -> tuple[dict, str]:
    """The edited plan data and a one-line description of the edit."""
    edited = copy.deepcopy(plan)
    owners = {a.get("owner") for a in plan["activities"]}
    removable = []
    for k, member in enumerate(plan["staff"]):
        if member["id"] in owners or len(plan["staff"]) == 1:
            continue
        rest = {**plan, "staff": [m for i, m in enumerate(plan["staff"]) if i != k]}
        if staffable(rest, templates):
            removable.append(k)
    movable = [k for k, a in enumerate(plan["activities"]) if a.get("start") is not None]
    kinds = ["leave"] + ["remove"] * bool(removable) + ["move"] * bool(movable)
    kind = draw(st.sampled_from(kinds))
    if kind == "remove":
        k = draw(st.sampled_from(removable))
        gone = edited["staff"].pop(k)
        return edited, f"removed {gone['id']} from the staff"
    if kind == "move":
        k = draw(st.sampled_from(movable))
        activity = edited["activities"][k]
        first, last = rules.as_date(plan["start"]), rules.as_date(plan["end"])
        start = rules.as_date(activity["start"])
        shifts = [s for s in range(-10, 11) if s and first <= start + timedelta(days=s) <= last]
        shift = draw(st.sampled_from(shifts))
        activity["start"] = start + timedelta(days=shift)
        if activity.get("end") is not None:
            activity["end"] = rules.as_date(activity["end"]) + timedelta(days=shift)
        name = activity.get("id") or activity["template"]
        return edited, f"moved activity {name} by {shift:+d} days to {activity['start']}"
    # New leave: across a task under way on T, for its assignee (it must be handed over),
    # or around any of v1's tasks, mostly its assignee's.
    text = today.isoformat()
    under_way = [t for t in v1["tasks"] if t["start"] < text <= t["end"]]
    ids = [m["id"] for m in edited["staff"]]
    if under_way and draw(st.booleans()):
        task = draw(st.sampled_from(under_way))
        who = task["assignee"]
        begin = today - timedelta(days=draw(st.integers(0, 2)))
        end = rules.as_date(task["end"]) + timedelta(days=draw(st.integers(0, 3)))
    else:
        task = draw(st.sampled_from(v1["tasks"]))
        who = task["assignee"] if draw(st.integers(0, 3)) else draw(st.sampled_from(ids))
        begin = rules.as_date(task["start"]) + timedelta(days=draw(st.integers(-3, 2)))
        end = begin + timedelta(days=draw(st.integers(0, 5)))
    member = next(m for m in edited["staff"] if m["id"] == who)
    member.setdefault("leave", []).append({"from": begin, "to": end})
    return edited, f"leave for {who} {begin}..{end}"


@st.composite
def replan_days(draw, v1: dict) -> date:
    """T: mostly inside one of v1's tasks that spans more than a day (under way on T), else
    any day from just before v1's first start to just after its last end."""
    spans = [(rules.as_date(t["start"]), rules.as_date(t["end"])) for t in v1["tasks"]]
    long = [(a, b) for a, b in spans if b > a]
    if long and draw(st.integers(0, 2)):
        first, last = draw(st.sampled_from(long))
        return first + timedelta(days=draw(st.integers(1, (last - first).days)))
    first = min(a for a, _ in spans) - timedelta(days=3)
    last = max(b for _, b in spans) + timedelta(days=2)
    return first + timedelta(days=draw(st.integers(0, (last - first).days)))


# --------------------------------------------------------------------------- search


@dataclass
class Slot:
    """One task of the edited plan in working-day positions."""

    id: str
    kind: str  # "finished" (ended before T), "under way" (on T) or "open"
    duration: int
    load: int
    candidates: list[str]  # rule 1 (one kept assignee for a task under way that keeps it)
    preds: list[tuple[int, int, str]]  # (slot index, N, unit)
    late: list[int]  # late days by end position
    lower: int  # earliest position from `earliest` and T
    last_end: int  # the last end position a strict due allows (the horizon otherwise)
    fixed: tuple[int, int] | None = None  # (start, end) positions of a finished/under-way task
    previous: tuple[int | None, str] | None = None  # v1's start position and assignee


@dataclass
class Optimum:
    """The lexicographic optimum (late days, then changes) and one schedule reaching it."""

    late: int
    changes: int
    placement: dict[str, tuple[date, date, str]]
    kinds: dict[str, str] = field(default_factory=dict)


def classify(plan: rules.Plan, v1: dict, today: date | None) -> dict[str, str]:
    """Each task of the edited plan: finished, under way or open on T (FORMAT.md section 5)."""
    previous = {t["id"]: t for t in v1["tasks"]}
    kinds = {}
    for task_id in plan.tasks:
        old = previous.get(task_id)
        if today is None or old is None or rules.as_date(old["start"]) >= today:
            kinds[task_id] = "open"
        elif rules.as_date(old["end"]) < today:
            kinds[task_id] = "finished"
        else:
            kinds[task_id] = "under way"
    return kinds


def history_conflicts(plan: rules.Plan, v1: dict, today: date | None) -> list[str]:
    """Fixed tasks that break rule 6 of the edited plan where the readings differ: one that
    ended before T and starts before its `earliest` or ends after its strict `due`, one under
    way that starts before its `earliest` (its strict due binds in both readings)."""
    if today is None:
        return []
    previous = {t["id"]: t for t in v1["tasks"]}
    out = []
    for task_id, kind in classify(plan, v1, today).items():
        if kind == "open":
            continue
        spec, old = plan.tasks[task_id], previous[task_id]
        first, last = rules.as_date(old["start"]), rules.as_date(old["end"])
        early = spec.earliest is not None and first < spec.earliest
        past_strict_due = (
            kind == "finished"
            and spec.step.strict
            and spec.due is not None
            and last > plan.calendar.on_or_before(spec.due)
        )
        if early or past_strict_due:
            out.append(task_id)
    return out


def least_change_optimum(plan: rules.Plan, v1: dict, today: date | None) -> Optimum | None:
    """The least late days, then the fewest tasks moved or reassigned against `v1`, of any
    schedule of `plan` that obeys rules 1-6 and, with `today`, re-planning's rules; None when
    there is none. The past is exempt from rule 6 here (see the module docstring)."""
    calendar = plan.calendar
    specs = list(plan.tasks.values())
    kinds = classify(plan, v1, today)
    if not specs:
        return Optimum(0, 0, {}, kinds)
    previous = {t["id"]: t for t in v1["tasks"]}
    anchors = [t.earliest for t in specs if t.earliest is not None]
    anchors += [rules.as_date(previous[t.id]["start"]) for t in specs if t.id in previous]
    anchors += [today] if today else []
    first_day = min(anchors) - timedelta(days=7)
    days = calendar.working_days(first_day, first_day + timedelta(days=500))

    def up(day: date) -> int:  # the first working day on or after `day`
        return bisect.bisect_left(days, day)

    def exact(day: date) -> int | None:  # the position of a working day
        i = up(day)
        return i if i < len(days) and days[i] == day else None

    def after_pred(end: int, n: int, unit: str) -> int:
        """Rule 5: the first position a successor may start at."""
        if unit == "wd":
            return end + n + 1
        return bisect.bisect_right(days, days[end] + timedelta(days=n))

    today_pos = up(today) if today else 0
    index = {t.id: i for i, t in enumerate(specs)}
    durations = [t.step.duration for t in specs]
    leave_ranges = [r for m in plan.staff.values() for r in m.leave]
    leave_days = sum(len(calendar.working_days(a, b)) for a, b in leave_ranges)
    lag_sum = sum(lag.n for t in specs for lag in t.step.after)
    latest_earliest = max([up(t.earliest) for t in specs if t.earliest is not None] + [0])
    v1_ends = [up(rules.as_date(previous[t.id]["end"])) for t in specs if t.id in previous]
    base = max(latest_earliest, today_pos, max(v1_ends, default=-1) + 1)
    horizon = (
        base
        + sum(durations)
        + lag_sum
        + leave_days
        + (len(specs) + len(leave_ranges)) * (max(durations) - 1)
    )
    assert horizon + 1 < len(days)

    slots: list[Slot] = []
    for t in specs:
        step, kind, old = t.step, kinds[t.id], previous.get(t.id)
        last_end = horizon
        if step.strict and t.due is not None:
            last_end = min(horizon, bisect.bisect_right(days, t.due) - 1)
        slot = Slot(
            id=t.id,
            kind=kind,
            duration=step.duration,
            load=step.load,
            candidates=[m.id for m in eligible(plan, t)],
            preds=[(index[f"{t.occurrence.id}/{lag.step}"], lag.n, lag.unit) for lag in step.after],
            late=[],
            lower=max(up(t.earliest) if t.earliest is not None else 0, today_pos),
            last_end=last_end,
        )
        if old is not None:
            slot.previous = (exact(rules.as_date(old["start"])), old["assignee"])
        if kind != "open":
            start = exact(rules.as_date(old["start"]))
            assert start is not None, f"v1 starts {t.id} on a day off"
            if kind == "finished":
                end = exact(rules.as_date(old["end"]))
                assert end is not None, f"v1 ends {t.id} on a day off"
                slot.candidates = [old["assignee"]]
            else:
                end = start + step.duration - 1
                if end > last_end:
                    return None  # a strict due that work under way can no longer meet
                keeper = plan.staff.get(old["assignee"])
                if keeper is not None and not any(
                    keeper.on_leave(days[d]) for d in range(today_pos, end + 1)
                ):
                    slot.candidates = [keeper.id]
            slot.fixed = (start, end)
        slots.append(slot)
    width = max([horizon] + [s.fixed[1] for s in slots if s.fixed]) + 1
    for slot, t in zip(slots, specs, strict=True):
        slot.late = [rules.expected_late_days(days[e], t.due, calendar) for e in range(width)]

    # Fixed tasks first, then the others in a topological order.
    order = [i for i, s in enumerate(slots) if s.fixed]
    while len(order) < len(slots):
        order.extend(
            i
            for i, s in enumerate(slots)
            if i not in order and all(p in order for p, _, _ in s.preds)
        )
    # Lower bounds: earliest ends without resources, and the strict dues passed upstream.
    early_end = [0] * len(slots)
    for i in order:
        s = slots[i]
        if s.fixed:
            early_end[i] = s.fixed[1]
            continue
        lower = max([s.lower] + [after_pred(early_end[p], n, u) for p, n, u in s.preds])
        early_end[i] = lower + s.duration - 1
    for i in reversed(order):
        s = slots[i]
        if s.fixed:
            continue
        latest_start = s.last_end - s.duration + 1
        for p, n, unit in s.preds:
            if slots[p].fixed:
                continue
            end = slots[p].last_end
            while end >= 0 and after_pred(end, n, unit) > latest_start:
                end -= 1
            slots[p].last_end = end

    def forced(i: int) -> int:
        """1 when the task cannot keep v1's start and assignee in any schedule."""
        s = slots[i]
        if s.previous is None:
            return 0
        start, member = s.previous
        if s.fixed:
            return int(member not in s.candidates)
        if start is None or member not in s.candidates or start < s.lower:
            return 1
        end = start + s.duration - 1
        if start + s.duration - 1 > s.last_end or start < early_end[i] - s.duration + 1:
            return 1
        return int(any(plan.staff[member].on_leave(days[d]) for d in range(start, end + 1)))

    floor = [slots[i].late[min(early_end[i], width - 1)] for i in order]
    rest_late = [sum(floor[k:]) for k in range(len(order) + 1)]
    forced_by = [forced(i) for i in order]
    rest_forced = [sum(forced_by[k:]) for k in range(len(order) + 1)]

    staff = plan.staff
    used = {m: [0] * width for m in staff}
    placed: dict[int, tuple[int, int, str]] = {}
    best: list = [None, None, None]  # late days, changes, placement

    def fits(s: Slot, member: str, start: int, end: int) -> bool:
        """Rules 3 and 4 from T on (the finished tasks are history)."""
        if s.kind == "finished":
            return True
        person = staff[member]
        return all(
            not person.on_leave(days[d]) and used[member][d] + s.load <= person.capacity
            for d in range(max(start, today_pos), end + 1)
        )

    def book(s: Slot, member: str, start: int, end: int, sign: int) -> None:
        if s.kind != "finished":
            for d in range(max(start, today_pos), end + 1):
                used[member][d] += sign * s.load

    def options(s: Slot, lower: int):
        """(start, assignee, changed) in the order tried: v1's place first, then by start."""
        if s.fixed:
            for member in s.candidates:
                yield s.fixed[0], member, int(s.previous is not None and member != s.previous[1])
            return
        first = s.previous if s.previous and s.previous[0] is not None else None
        if first and first[1] not in s.candidates:
            first = None  # v1's assignee left the plan: every place is a change
        top = s.last_end - s.duration + 1
        if first and lower <= first[0] <= top:
            yield first[0], first[1], 0
        for start in range(lower, top + 1):
            for member in s.candidates:
                if first is None or (start, member) != first:
                    yield start, member, int(s.previous is not None)

    def place(k: int, late: int, changes: int) -> bool:
        """Extend the placement; True once the lower bound is reached (nothing better)."""
        if k == len(order):
            if best[0] is None or (late, changes) < (best[0], best[1]):
                best[:] = [late, changes, dict(placed)]
            return (late, changes) == (rest_late[0], rest_forced[0])
        i = order[k]
        s = slots[i]
        lower = 0
        if not s.fixed:  # (rule 5 into the past held in v1, and these edits keep the lags)
            lower = max([s.lower] + [after_pred(placed[p][1], n, u) for p, n, u in s.preds])
        for start, member, changed in options(s, lower):
            end = start + s.duration - 1
            cost = late + s.late[end]
            bound = (cost + rest_late[k + 1], changes + changed + rest_forced[k + 1])
            if best[0] is not None and bound >= (best[0], best[1]):
                if not s.fixed and changed == int(s.previous is not None):
                    break  # later starts are no less late and change the task as well
                continue
            if not fits(s, member, start, end):
                continue
            book(s, member, start, end, +1)
            placed[i] = (start, end, member)
            done = place(k + 1, cost, changes + changed)
            del placed[i]
            book(s, member, start, end, -1)
            if done:
                return True
        return False

    place(0, 0, 0)
    if best[0] is None:
        return None
    placement = {slots[i].id: (days[a], days[b], m) for i, (a, b, m) in best[2].items()}
    return Optimum(best[0], best[1], placement, kinds)


# --------------------------------------------------------------------------- helpers


def run(command: str, plan_path: Path, out: Path, effort: float, *extra: object):
    args = [command, plan_path, "--out", out, "--effort", effort, "--time-limit", TIME_LIMIT]
    result = invoke_cli([*args, *extra])
    say(f"$ {command} {' '.join(map(str, extra))}: exit {result.exit_code}\n{result.output}")
    handled = result.exception is None or isinstance(result.exception, SystemExit)
    assert handled, crash_report(result)
    assert "Traceback" not in (result.output or ""), result.output
    return result


def read_schedule(out: Path) -> dict:
    return json.loads((out / "schedule.json").read_text(encoding="utf-8"))


def changed_tasks(old: dict, new: dict) -> int:
    """Tasks in both versions with another start, end or assignee."""
    return sum(1 for change in expected(old, new).values() if change in CHANGED)


def total_late(schedule: dict) -> int:
    return sum(t["late_days"] for t in schedule["tasks"])


def compact(schedule: dict) -> str:
    return "\n".join(
        f"  {t['id']}: {t['start']}..{t['end']} {t['assignee']} late {t['late_days']}"
        for t in schedule.get("tasks") or []
    )


def changes_rows(out: Path) -> list[dict]:
    raw = (out / "changes.csv").read_bytes()
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))


# --------------------------------------------------------------------------- property


def write_plan(folder: Path, plan: dict, templates: list[dict]) -> Path:
    """`folder`/plan.yaml and its templates/<id>.yaml; the plan text goes into the notes."""
    (folder / "templates").mkdir(parents=True)
    for template in templates:
        text = dump(template)
        (folder / "templates" / f"{template['id']}.yaml").write_text(text, encoding="utf-8")
    path = folder / "plan.yaml"
    path.write_text(dump(plan), encoding="utf-8")
    say(f"{folder.name}/plan.yaml:\n{dump(plan)}")
    return path


def plan_v1(folder: Path, case: dict) -> tuple[Path, dict] | None:
    """`plan` the case into `folder`/out: the output folder and v1's schedule (None when
    there is no schedule or no task to re-plan)."""
    say("templates:\n" + "\n".join(dump(t) for t in case["templates"]))
    plan_path = write_plan(folder / "v1", case["plan"], case["templates"])
    out = folder / "out"
    first = run("plan", plan_path, out, PLAN_EFFORT)
    if first.exit_code == 3:
        tag("v1 has no schedule")
        return None
    assert first.exit_code in (0, 4), first.output
    v1 = read_schedule(out)
    assert rules.check_schedule(plan_path, v1) == []
    if not v1["tasks"]:
        tag("v1 has no tasks")
        return None
    say(f"v1:\n{compact(v1)}")
    return out, v1


def check_edit(folder: Path, out: Path, case: dict, v1: dict, edited: dict, today: date) -> None:
    """Write the edited plan beside v1, then check `replan --today` and `plan` against the
    exhaustive optimum, each on its own copy of v1's folder."""
    edited_path = write_plan(folder / "v2", edited, case["templates"])
    plan = rules.load_plan(edited_path)
    check_replan(folder, out, edited_path, plan, v1, today)
    check_fresh_plan(folder, out, edited_path, plan, v1)


@property_test(local=25, ci=30)
@given(case=tiny_plans(), data=st.data())
def test_replan_and_plan_again_reach_the_least_change_optimum(case, data):
    """replan --today T: exactly the exhaustive least lateness, then least change, with the
    past frozen and work under way kept; plan again: least lateness, change within 2x."""
    say(SEED_NOTE)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        planned = plan_v1(folder, case)
        if planned is None:
            return
        out, v1 = planned
        today = data.draw(replan_days(v1))
        edited, description = data.draw(edits(case["plan"], case["templates"], v1, today))
        say(f"edit: {description}; --today {today}")
        tag(f"edit: {description.split()[0]}")
        check_edit(folder, out, case, v1, edited, today)


# Examples this property found in the engine of ab37e06 (fixed since by 6a488f6, "the
# greedy slid work under way off its fixed start"), kept as fixed cases.
STEP = {"name": {"en": "Step", "zh": "步骤"}, "load": 100}
REGRESSIONS = {
    # A task under way on T whose only possible assignee (the activity's owner p1) goes on
    # leave on its remaining day: no schedule exists (exit 3). The engine stretched the task
    # over the leave (2026-08-10..08-17, five working days for two) and wrote it as feasible.
    "under-way-owner-on-leave": (
        """
        name: Generated tiny plan
        start: 2026-07-29
        end: 2026-09-27
        templates: [templates]
        calendar: {workdays: [mon, tue, wed, thu], holidays: CN, open: [2026-06-30]}
        staff:
          - {id: p0, name: 员工0, roles: [design, operations], capacity: 50,
             leave: [{from: 2026-08-19, to: 2026-08-22}]}
          - {id: p1, name: 员工1, roles: [operations, design], capacity: 100}
        activities:
          - {template: gen_t0, start: 2026-08-14, owner: p1}
          - {template: gen_t1, repeat: "FREQ=WEEKLY;BYDAY=SA;COUNT=1"}
          - {template: gen_t2, festival: qixi}
        """,
        [
            [{"id": "s0", "role": "operations", "duration": 2, "earliest": "start-4d",
              "due": "start-4d"}],
            [{"id": "s0", "role": "operations", "duration": 2, "earliest": "start-13d",
              "due": "start-10d"}],
            [{"id": "s0", "role": "operations", "duration": 2, "load": 50,
              "earliest": "start-7d", "due": "start-3d"}],
        ],
        lambda plan: plan["staff"][1].setdefault("leave", []).append(
            {"from": date(2026, 8, 11), "to": date(2026, 8, 16)}
        ),
        date(2026, 8, 11),
    ),
    # A task under way on T (kept by p0, 2025-10-09..10-13 across the make-up Saturday
    # 10-11) and a moved activity's task that p0 alone may do: the least lateness is 44,
    # with the new task after the work under way. The engine gave 42 by putting the new
    # task on 10-11 and the rest of the work under way on 10-13..10-14 (rules 2 and 4).
    "under-way-slid-off-its-start": (
        """
        name: Generated tiny plan
        start: 2025-09-14
        end: 2025-11-13
        templates: [templates]
        calendar: {workdays: [mon, tue, wed, thu], holidays: CN}
        staff:
          - {id: p0, name: 员工0, roles: [operations, design], capacity: 100}
          - {id: p1, name: 员工1, roles: [operations, design], capacity: 50,
             leave: [{from: 2025-09-06, to: 2025-09-09}]}
        activities:
          - {template: gen_t0, repeat: "FREQ=WEEKLY;BYDAY=MO;COUNT=1"}
          - {template: gen_t1, start: 2025-10-07}
          - {template: gen_t2, start: 2025-10-05, owner: p0}
        """,
        [
            [{"id": "s0", "role": "operations", "duration": 2, "earliest": "start-3wd",
              "due": "start-3d", "strict": True},
             {"id": "s1", "role": "operations", "duration": 3, "earliest": "start-14d",
              "due": "start-8wd"}],
            [{"id": "s0", "role": "operations", "duration": 3, "earliest": "start-3d",
              "due": "start"}],
            [{"id": "s0", "role": "design", "duration": 1, "earliest": "start-14wd",
              "due": "start-11wd"}],
        ],
        lambda plan: plan["activities"][2].update(start=date(2025, 9, 25)),
        date(2025, 10, 10),
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_replan_regression_cases(name, tmp_path):
    """Fixed examples of the property above (work under way handed over to nobody, work
    under way slid off its start): the same checks against the exhaustive optimum."""
    text, steps, edit, today = REGRESSIONS[name]
    plan = yaml.safe_load(textwrap.dedent(text))
    templates = [
        {"id": f"gen_t{i}", "name": {"en": f"Generated {i}", "zh": f"生成活动{i}"},
         "kind": "theme", "live_days": (2, 3, 1)[i], "steps": [{**STEP, **s} for s in group]}
        for i, group in enumerate(steps)
    ]  # fmt: skip
    case = {"plan": plan, "templates": templates}
    planned = plan_v1(tmp_path, case)
    assert planned is not None
    out, v1 = planned
    edited = copy.deepcopy(plan)
    edit(edited)
    check_edit(tmp_path, out, case, v1, edited, today)


def check_replan(
    folder: Path, out: Path, plan_path: Path, plan: rules.Plan, v1: dict, today: date
) -> None:
    """Part 1: `replan --today` against the exhaustive optimum."""
    conflicts = history_conflicts(plan, v1, today)
    found = least_change_optimum(plan, v1, today)
    kinds = classify(plan, v1, today)
    for kind in ("finished", "under way"):
        if kind in kinds.values():
            tag(f"replan: some task {kind} on T")
    if conflicts:
        tag(HISTORY_NOTE)
        say(f"{HISTORY_NOTE}: {conflicts} (checked against the engine's reading)")
    if found is not None:
        mine = as_schedule(plan, found.placement)
        violations = rules.check_schedule(plan_path, mine, today=today)
        assert all(v.startswith("rule 6:") for v in violations), violations
        assert {v.split()[2].rstrip(":") for v in violations} <= set(conflicts), violations
        assert sum(t["late_days"] for t in mine["tasks"]) == found.late
        assert changed_tasks(v1, mine) == found.changes
        say(f"search: {found.late} late day(s), {found.changes} change(s):\n{compact(mine)}")
        tag("replan optimum late" if found.late else "replan optimum on time")
        tag(f"replan optimum {min(found.changes, 3)}{'+' if found.changes >= 3 else ''} changes")
    else:
        say("search: no schedule obeys the rules")
        tag("replan: no schedule")

    replanned = folder / "out-replan"
    shutil.copytree(out, replanned)
    before = (replanned / "schedule.json").read_bytes()
    result = run("replan", plan_path, replanned, REPLAN_EFFORT, "--today", today)
    if found is None:
        assert result.exit_code == 3, result.output
        assert (replanned / "schedule.json").read_bytes() == before
        return
    assert result.exit_code == (4 if found.late else 0), result.output
    new = read_schedule(replanned)
    say(f"engine ({new['status']}):\n{compact(new)}")
    violations = rules.check_schedule(plan_path, new, today=today)
    if conflicts:
        assert all(v.startswith("rule 6:") for v in violations), violations
        assert {v.split()[2].rstrip(":") for v in violations} <= set(conflicts), violations
    else:
        assert violations == [], "\n".join(violations)

    old = {t["id"]: t for t in v1["tasks"]}
    by_id = {t["id"]: t for t in new["tasks"]}
    for task_id, kind in kinds.items():
        was, now = old.get(task_id), by_id[task_id]
        if kind == "finished":
            assert (now["start"], now["end"], now["assignee"]) == (
                was["start"], was["end"], was["assignee"],
            ), task_id  # fmt: skip
        elif kind == "under way":
            assert now["start"] == was["start"], task_id
            keeper = plan.staff.get(was["assignee"])
            remaining = plan.calendar.working_days(today, rules.as_date(now["end"]))
            if keeper is not None and not any(keeper.on_leave(d) for d in remaining):
                assert now["assignee"] == was["assignee"], task_id
        else:
            assert rules.as_date(now["start"]) >= today, task_id
    check_rows(v1, new, changes_rows(replanned))

    late, changes = total_late(new), changed_tasks(v1, new)
    if new["status"] == "optimal":
        assert late == found.late, f"late {late}, optimum {found.late}"
        assert changes == found.changes, f"{changes} change(s), least {found.changes}"
    else:
        assert new["status"] == "feasible", new["status"]
        assert (late, changes) >= (found.late, found.changes)
        tag("replan: engine status feasible")
        say(f"feasible: {late} late, {changes} changes; optimum {found.late}, {found.changes}")


def check_fresh_plan(folder: Path, out: Path, plan_path: Path, plan: rules.Plan, v1: dict) -> None:
    """Part 2: `plan` into the v1 folder: least lateness, changes within twice the least."""
    found = least_change_optimum(plan, v1, None)
    planned = folder / "out-plan"
    shutil.copytree(out, planned)
    result = run("plan", plan_path, planned, REPLAN_EFFORT)
    if found is None:
        assert result.exit_code == 3, result.output
        tag("plan again: no schedule")
        return
    say(f"search (fresh): {found.late} late day(s), {found.changes} change(s)")
    assert result.exit_code == (4 if found.late else 0), result.output
    new = read_schedule(planned)
    assert rules.check_schedule(plan_path, new) == []
    check_rows(v1, new, changes_rows(planned))
    late, changes = total_late(new), changed_tasks(v1, new)
    say(f"engine (fresh, {new['status']}): {late} late, {changes} change(s)")
    if new["status"] == "optimal":
        assert late == found.late, f"late {late}, optimum {found.late}"
    else:
        tag("plan again: engine status feasible")
        assert late >= found.late
    if late == found.late:
        assert changes <= 2 * found.changes, f"{changes} change(s), least {found.changes}"
        if changes > found.changes:
            tag("plan again: more changes than the least")
