"""The engine's total lateness is the true optimum on tiny generated plans.

Hypothesis writes tiny plans (at most 5 tasks: one to three activities, one-off, festival
or `repeat` with COUNT/INTERVAL, sometimes an `except` date; any year 2025-2028, work
weeks, CN holidays or none, `calendar.open`/`closed` days; 1-3 staff with loads and
capacities of 50 or 100, leave, sometimes `stores` on staff and activities and an
activity `owner`; lags, one or two `strict` steps; `earliest` on every root step and
`due` on every step). An exhaustive search written here from FORMAT.md alone (it uses
tests/rules.py's plan and calendar model, never `scheduler`) finds the least total
`late_days` of any schedule obeying rules 1-6, or that there is none; the CLI must agree:
exit 3 exactly when there is none (status `infeasible`), otherwise exit 0/4, status
`optimal`, the same total, and no rule violation.

The search places the tasks in topological order, every start from the task's lower
bound (its `earliest`, its predecessors' ends plus lag) up to a horizon H, every
assignee rule 1 allows (the role; the activity's store when both name stores; the owner
alone where the owner holds the role), with per person-day load bookkeeping (rules 2-4),
lags (5), earliest and strict due (6), and branch and bound on late days.

Why a bounded horizon H is enough (positions are indices in the list of working
days; lateness is a non-decreasing function of a task's last day)
------------------------------------------------------------------------------
1. Left shift. Take any schedule S obeying rules 1-6. Place its tasks again, in the
   order of their starts in S, each with its assignee from S, at the earliest
   position that is at or after its `earliest` and its predecessors' new ends plus
   lag, and whose `duration` days are free of the assignee's leave and fit their
   capacity next to the tasks already placed. By induction every task lands at or
   before its start in S: its predecessors started earlier in S, so they are placed
   already and end no later than in S; a task placed earlier started no later than
   it in S and now ends no later, so on the task's S days it works only on days it
   also worked in S: the S position still fits. So the new schedule S' obeys rules
   1-6 (a strict due is only easier to meet earlier; the assignees are S's, so rule 1
   holds with owners and stores too) and is no later anywhere: some optimal schedule
   is such a left-shifted one, and a search that covers every left-shifted schedule
   finds the optimum (and finds a schedule iff one exists).
2. Every task of a left-shifted schedule ends by H. Take the task that ends last
   and walk back: from a task t, if its lower bound comes from a predecessor, go to
   that predecessor (the chain ends at a task whose lower bound is its own
   `earliest`, at most E = the latest `earliest` position of any task). The stretch
   from there to the last end splits into the chain's working days; lag gaps, at
   most N positions for a lag `+Nwd` or `+Nd` (the successor may start at the
   (N+1)-th working day after the end, or on the first working day after N calendar
   days, of which at most N are working days); and for each chain task t the
   positions from its lower bound to its start. Every start there was refused, so
   each of those positions is either bad (t's assignee is on leave, or tasks of
   others not on the chain load that day so that t does not fit) or in a run of
   good positions shorter than t's duration, followed by a bad position where a
   task or a leave begins. These stretches are disjoint, so the bad positions are
   at most the days of the tasks off the chain plus the staff's leave working
   days, and the short runs at most (tasks - 1 + leaves) of them, each under the
   longest duration. Hence every end is at most
       H = E + sum(durations) + sum(lags N) + leave working days
             + (tasks - 1 + leave ranges) * (longest duration - 1) - 1,
   and a search whose starts reach H - duration + 1 covers every left-shifted
   schedule.
3. What the plan features do to this. Owners and stores only narrow each task's
   candidates, and both steps keep S's assignees. Repeats, festivals and `except` only
   decide which tasks exist: `tasks`, the durations and the lags in H are summed over
   the tasks there are. `open`, `closed`, holidays and the work week decide which dates
   are working days, but every step above counts positions in that list of working
   days (a `+Nd` lag spans N calendar days, so at most N positions, on any calendar),
   and the leave working days are counted on the same calendar.
"""

from __future__ import annotations

import bisect
import json
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import rules
from conftest import crash_report, invoke_cli
from hypothesis import event, given, note
from hypothesis import strategies as st
from property_settings import SEED_NOTE, property_test
from test_properties import (
    BYDAY,
    GENERATE_EXCEPT,
    YEARS,
    as_schedule,
    calendars,
    eligible,
    ensure_staffed,
    festival_keys_in,
    offset_text,
    template_doc,
    works_for,
    write_case,
)

# Enough search work to prove the optimum of a 5-task plan; the wall clock only guards.
EFFORT = 20
TIME_LIMIT = 300
ROLES = ["operations", "design"]
STORES = ["tmall", "jd"]
LAGS = ["", "+1wd", "+2wd", "+1d", "+2d", "+3d"]
PLAN_DAYS = 60
# Per activity: (steps of its template, occurrences); at most 5 tasks in all.
SHAPES = [
    [(2, 1)], [(3, 1)], [(4, 1)], [(5, 1)], [(1, 2)], [(2, 2)], [(1, 3)], [(1, 4)],
    [(1, 1), (1, 1)], [(1, 1), (2, 1)], [(2, 1), (2, 1)], [(1, 2), (2, 1)], [(1, 3), (2, 1)],
    [(1, 1), (3, 1)], [(1, 2), (1, 2)], [(2, 2), (1, 1)], [(1, 1), (1, 1), (1, 1)],
    [(1, 2), (1, 1), (1, 1)], [(2, 1), (1, 1), (1, 1)],
]  # fmt: skip


# --------------------------------------------------------------------------- generators


@st.composite
def tiny_steps(draw, count: int) -> list[dict]:
    """`count` steps; `after` names earlier steps only; roots always have an `earliest`."""
    steps: list[dict] = []
    dues: list[int] = []
    for i in range(count):
        duration = draw(st.integers(1, 3))
        step: dict = {
            "id": f"s{i}",
            "name": {"en": f"Step {i}", "zh": f"步骤{i}"},
            "role": draw(st.sampled_from(ROLES)),
            "duration": duration,
            "load": draw(st.sampled_from([50, 100])),
        }
        if i and draw(st.booleans()):
            preds = draw(st.lists(st.integers(0, i - 1), min_size=1, max_size=2, unique=True))
            lags = [draw(st.sampled_from(LAGS)) for _ in preds]
            step["after"] = [f"s{p}{lag}" for p, lag in zip(preds, lags, strict=True)]
            # Due about when the chain can finish: the latest predecessor's due plus this step.
            reference = max(dues[p] for p in preds) + duration + 1
            if draw(st.integers(0, 2)) == 0:
                step["earliest"] = offset_text(
                    "start", reference - duration - draw(st.integers(0, 3)), "d"
                )
        else:
            earliest = draw(st.integers(-20, -3))
            step["earliest"] = offset_text("start", earliest, draw(st.sampled_from(["d", "wd"])))
            reference = earliest + duration
        due = reference + draw(st.integers(-2, 3))
        dues.append(due)
        step["due"] = offset_text("start", due, draw(st.sampled_from(["d", "wd"])))
        steps.append(step)
    return steps


@st.composite
def series(draw, occurrences: int, window: tuple[date, date]) -> dict:
    """The `start`, `festival` or `repeat` of an activity with about `occurrences`
    occurrences in the plan (fewer when a rule runs past the plan's end)."""
    first, last = window
    if occurrences == 1:
        kind = draw(st.sampled_from(["start", "start", "festival", "repeat"]))
        inside = festival_keys_in(window)
        if kind == "festival" and inside:
            return {"festival": draw(st.sampled_from(inside))}
        if kind == "repeat":
            return {"repeat": f"FREQ=WEEKLY;BYDAY={draw(st.sampled_from(BYDAY))};COUNT=1"}
        return {"start": first + timedelta(days=draw(st.integers(0, (last - first).days)))}
    extra = GENERATE_EXCEPT and draw(st.integers(0, 3)) == 0  # one more, then `except` it
    count = occurrences + extra
    kind = draw(st.integers(0, 3))
    if kind == 0:
        rule = f"FREQ=WEEKLY;BYDAY={draw(st.sampled_from(BYDAY))};COUNT={count}"
    elif kind == 1:
        rule = f"FREQ=DAILY;INTERVAL={draw(st.integers(1, 6))};COUNT={count}"
    elif kind == 2:
        days = ",".join(draw(st.lists(st.sampled_from(BYDAY), min_size=2, max_size=2, unique=True)))
        rule = f"FREQ=WEEKLY;INTERVAL=2;BYDAY={days};COUNT={count}"
    else:
        rule = f"FREQ=MONTHLY;BYMONTHDAY={draw(st.integers(1, 28))};COUNT={count}"
    entry: dict = {"repeat": rule}
    if extra:
        dates = rules.activity_dates(entry, first, last)
        if dates:
            entry["except"] = [draw(st.sampled_from(dates))]
    return entry


@st.composite
def tiny_plans(draw) -> dict:
    year = draw(st.sampled_from(YEARS))
    first = date(year, 1, 1) + timedelta(days=draw(st.integers(0, 364)))
    window = (first, first + timedelta(days=PLAN_DAYS))
    shape = draw(st.sampled_from(SHAPES))
    templates = [
        template_doc(i, draw(tiny_steps(n)), draw(st.integers(1, 3)))
        for i, (n, _) in enumerate(shape)
    ]
    steps = [s for t in templates for s in t["steps"]]
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2]))):  # strict steps
        draw(st.sampled_from(steps))["strict"] = True

    stores = draw(st.integers(0, 2)) == 0
    activities = []
    for i, (_, occurrences) in enumerate(shape):
        activity: dict = {"template": f"gen_t{i}", **draw(series(occurrences, window))}
        if draw(st.booleans()):
            activity["id"] = f"act{i}"
        if stores and draw(st.booleans()):
            activity["store"] = draw(st.sampled_from(STORES))
        activities.append(activity)

    staff = []
    for k in range(draw(st.integers(1, 3))):
        member: dict = {
            "id": f"p{k}",
            "name": f"员工{k}",
            "roles": draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=2, unique=True)),
            "capacity": draw(st.sampled_from([50, 100])),
        }
        if stores and k and draw(st.booleans()):
            member["stores"] = [draw(st.sampled_from(STORES))]
        if draw(st.integers(0, 2)) == 0:
            around = first + timedelta(days=draw(st.integers(0, PLAN_DAYS)))
            begin = around - timedelta(days=draw(st.integers(0, 20)))
            member["leave"] = [
                {"from": begin, "to": begin + timedelta(days=draw(st.integers(0, 6)))}
            ]
        staff.append(member)
    for activity in activities:
        if draw(st.integers(0, 2)) == 0:
            candidates = [m["id"] for m in staff if works_for(m, activity.get("store"))]
            activity["owner"] = draw(st.sampled_from(candidates))
    ensure_staffed(staff, templates, activities)

    plan = {
        "name": "Generated tiny plan",
        "timezone": "Asia/Shanghai",
        "start": window[0],
        "end": window[1],
        "language": "en",
        "templates": ["templates"],
        "calendar": draw(calendars(window)),
        "staff": staff,
        "activities": activities,
    }
    if stores:
        plan["stores"] = [{"id": "tmall", "name": "天猫旗舰店"}, {"id": "jd", "name": "京东自营店"}]
    return {"plan": plan, "templates": templates}


# --------------------------------------------------------------------------- search


@dataclass
class Node:
    """One task in working-day positions."""

    id: str
    duration: int
    load: int
    earliest: int  # position of the first working day on or after `earliest` (0: none)
    strict_last: int | None  # last allowed end position (strict due)
    candidates: list[str]  # rule 1
    preds: list[tuple[int, int, str]]  # (node index, N, unit)
    late: list[int]  # late days by end position


def exhaustive_optimum(plan: rules.Plan) -> tuple[int, dict[str, tuple[date, date, str]]] | None:
    """The least total late days of a schedule obeying rules 1-6 and one such schedule
    (task id -> first day, last day, assignee), or None when no schedule exists."""
    calendar = plan.calendar
    tasks = list(plan.tasks.values())
    if not tasks:
        return 0, {}
    assert all(t.earliest is not None or t.step.after for t in tasks)
    first_day = min(t.earliest for t in tasks if t.earliest is not None) - timedelta(days=7)
    days = calendar.working_days(first_day, first_day + timedelta(days=400))

    def up(day: date) -> int:  # first working day on or after `day`
        return bisect.bisect_left(days, day)

    index = {t.id: i for i, t in enumerate(tasks)}
    durations = [t.step.duration for t in tasks]
    leave_ranges = [r for m in plan.staff.values() for r in m.leave]
    leave_days = sum(len(calendar.working_days(a, b)) for a, b in leave_ranges)
    lag_sum = sum(lag.n for t in tasks for lag in t.step.after)
    latest_earliest = max(up(t.earliest) for t in tasks if t.earliest is not None)
    horizon = (
        latest_earliest
        + sum(durations)
        + lag_sum
        + leave_days
        + (len(tasks) - 1 + len(leave_ranges)) * (max(durations) - 1)
        - 1
    )
    assert horizon + 1 < len(days)

    nodes = []
    for t in tasks:
        step = t.step
        strict_last = None
        if step.strict:
            strict_last = bisect.bisect_right(days, t.due) - 1  # on or before the due
        nodes.append(
            Node(
                id=t.id,
                duration=step.duration,
                load=step.load,
                earliest=up(t.earliest) if t.earliest is not None else 0,
                strict_last=strict_last,
                candidates=[m.id for m in eligible(plan, t)],
                preds=[
                    (index[f"{t.occurrence.id}/{lag.step}"], lag.n, lag.unit) for lag in step.after
                ],
                late=[
                    rules.expected_late_days(days[e], t.due, calendar) for e in range(horizon + 1)
                ],
            )
        )

    def after_pred(end: int, n: int, unit: str) -> int:
        """Rule 5: the first position a successor may start at."""
        if unit == "wd":
            return end + n + 1
        return bisect.bisect_right(days, days[end] + timedelta(days=n))

    # Topological order (steps name earlier steps, but do not rely on it).
    order: list[int] = []
    while len(order) < len(nodes):
        order.extend(
            i
            for i, node in enumerate(nodes)
            if i not in order and all(p in order for p, _, _ in node.preds)
        )
    # Earliest ends without resources (a lower bound on every schedule's ends), and
    # latest ends that a strict due allows downstream (an upper bound).
    early_end = [0] * len(nodes)
    for i in order:
        node = nodes[i]
        lower = max([node.earliest] + [after_pred(early_end[p], n, u) for p, n, u in node.preds])
        early_end[i] = lower + node.duration - 1
    late_end = [horizon if n.strict_last is None else min(horizon, n.strict_last) for n in nodes]
    for i in reversed(order):
        latest_start = late_end[i] - nodes[i].duration + 1
        for p, n, unit in nodes[i].preds:
            end = late_end[p]
            while end >= 0 and after_pred(end, n, unit) > latest_start:
                end -= 1
            late_end[p] = end
    floor = [nodes[i].late[min(early_end[i], horizon)] for i in range(len(nodes))]
    rest = [sum(floor[i] for i in order[k:]) for k in range(len(order) + 1)]

    staff = plan.staff
    leave = {m: [staff[m].on_leave(d) for d in days[: horizon + 1]] for m in staff}
    used = {m: [0] * (horizon + 1) for m in staff}
    placed: dict[int, tuple[int, int, str]] = {}
    best: list = [None, None]  # total, placement

    def place(k: int, total: int) -> bool:
        """Extend the placement; True once the lower bound is reached (nothing better)."""
        if k == len(order):
            best[0], best[1] = total, dict(placed)
            return total == rest[0]
        i = order[k]
        node = nodes[i]
        lower = max([node.earliest] + [after_pred(placed[p][1], n, u) for p, n, u in node.preds])
        for start in range(lower, late_end[i] - node.duration + 2):
            end = start + node.duration - 1
            cost = total + node.late[end]
            if best[0] is not None and cost + rest[k + 1] >= best[0]:
                break  # later starts are no less late
            for member in node.candidates:
                capacity, busy, off = staff[member].capacity, used[member], leave[member]
                span = range(start, end + 1)
                if any(off[d] or busy[d] + node.load > capacity for d in span):
                    continue
                for d in span:
                    busy[d] += node.load
                placed[i] = (start, end, member)
                done = place(k + 1, cost)
                del placed[i]
                for d in span:
                    busy[d] -= node.load
                if done:
                    return True
        return False

    place(0, 0)
    if best[0] is None:
        return None
    schedule = {nodes[i].id: (days[s], days[e], m) for i, (s, e, m) in best[1].items()}
    return best[0], schedule


# --------------------------------------------------------------------------- property


@property_test(local=60, ci=80)
@given(tiny_plans())
def test_engine_lateness_is_the_exhaustive_optimum(case):
    note(SEED_NOTE)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan_path = write_case(folder, case["plan"], case["templates"])
        plan = rules.load_plan(plan_path)
        found = exhaustive_optimum(plan)
        if found is not None:
            optimum, placement = found
            mine = as_schedule(plan, placement)
            # The search's own schedule passes the independent checker.
            assert rules.check_schedule(plan_path, mine) == []
            assert sum(t["late_days"] for t in mine["tasks"]) == optimum
            note(f"search: optimum {optimum}: {placement}")
            event("optimum 0" if optimum == 0 else "optimum > 0")
        else:
            note("search: no schedule obeys rules 1-6")
            event("no schedule")
        event(f"{len(plan.tasks)} tasks")
        features = [
            k
            for k in ("owner", "store", "repeat", "festival", "except")
            if any(k in a for a in case["plan"]["activities"])
        ]
        features += [k for k in ("open", "closed") if k in case["plan"]["calendar"]]
        for feature in features:
            event(f"has {feature}")

        out = folder / "out"
        args = ["plan", plan_path, "--out", out, "--effort", EFFORT, "--time-limit", TIME_LIMIT]
        result = invoke_cli(args)
        note(result.output or "")
        handled = result.exception is None or isinstance(result.exception, SystemExit)
        assert handled, crash_report(result)
        # Exit 3 exactly when the search proves that no schedule exists.
        if found is None:
            assert result.exit_code == 3, result.output
        else:
            assert result.exit_code == (0 if optimum == 0 else 4), result.output
        assert (out / "schedule.json").is_file(), result.output
        schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
        if found is None:
            assert schedule["status"] == "infeasible"
            assert not schedule.get("tasks")
            return
        assert schedule["status"] == "optimal"
        assert sum(t["late_days"] for t in schedule["tasks"]) == optimum, result.output
        violations = rules.check_schedule(plan_path, schedule)
        assert violations == [], "\n".join(violations)
