"""Property tests: generated plans (YAML files with their own templates) through the CLI.

1. Any well-formed plan gives exit 0, 3 or 4 (never 2, never a traceback); a written
   schedule obeys FORMAT.md rules 1-7 (checked by tests/rules.py); exit 0 exactly when no
   task is late; a plan year whose CN calendar is not published yet gets a warning naming
   it. Exit 3 must be earned: the plan has a `strict` step, the same plan without `strict`
   has a schedule, and a greedy search written here from FORMAT.md finds none either (when
   it finds one, that schedule passes the checker and refutes the engine).
2. A plan built around a concrete on-time schedule (tasks placed one after another on
   working days by whoever rule 1 allows, every `earliest` on or before and every `due` on
   or after the constructed dates) comes back on time: exit 0.

The plans vary what FORMAT.md lets a plan vary: years 2025-2028 (2027 and 2028: the
holidays library's estimate, as section 1 says), plans across a new year, work weeks,
`holidays: CN` or none, `calendar.open` and `closed` days, one-off activities (some
outside the plan), RRULEs (WEEKLY with BYDAY/INTERVAL/COUNT/UNTIL, MONTHLY by month day or
n-th weekday, DAILY, YEARLY), festivals (lunar ones too), `except` dates, stores and the
staff's `stores`, owners, leave, capacities and loads, templates shared by activities.

Examples are random on every run; see tests/property_settings.py for the seed and budget.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import rules
import yaml
from conftest import crash_report, invoke_cli
from holidays.countries.china import ChinaStaticHolidays
from hypothesis import event, given, note
from hypothesis import strategies as st
from property_settings import SEED_NOTE, property_test

# Search work per engine run (CP-SAT deterministic time, section 5's "always the same
# result"); the wall-clock limit is a safety net far above it.
EFFORT = 5
ON_TIME_EFFORT = 20  # the on-time test asks for the optimum: more work
TIME_LIMIT = 300
# `except` on repeat and festival activities (FORMAT.md section 4): generated when True.
GENERATE_EXCEPT = True

ROLES = ["operations", "design", "service"]
STORES = ["tmall", "jd"]
YEARS = [2025, 2026, 2027, 2028]
# The last year whose official CN arrangement python-holidays holds (section 1: later years
# are the package's estimate, and a warning names them).
LAST_PUBLISHED_CN = max(ChinaStaticHolidays.special_public_holidays)
BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
LAGS = ["", "", "+1wd", "+2wd", "+1d", "+2d", "+3d"]
MON_FRI = ["mon", "tue", "wed", "thu", "fri"]
WORK_WEEKS = [
    MON_FRI,
    MON_FRI,
    MON_FRI,
    ["mon", "tue", "wed", "thu", "fri", "sat"],
    ["tue", "wed", "thu", "fri", "sat"],
    ["mon", "tue", "wed", "thu"],
]
FESTIVALS = [  # FORMAT.md section 4: solar, then Chinese lunar
    "new_year", "valentines", "womens_day", "day_520", "mid_year_618", "double_nine",
    "national_day", "double_eleven", "double_twelve", "christmas",
    "spring_festival", "lantern", "dragon_boat", "qixi", "mid_autumn", "double_ninth",
]  # fmt: skip


# --------------------------------------------------------------------------- generators


@st.composite
def windows(draw) -> tuple[date, date]:
    """A plan's [start, end]: 1-4 months from any day of 2025-2028 (some across a new year)."""
    first = date(draw(st.sampled_from(YEARS)), 1, 1) + timedelta(days=draw(st.integers(0, 364)))
    return first, first + timedelta(days=draw(st.integers(30, 120)))


@st.composite
def calendars(draw, window: tuple[date, date]) -> dict:
    """`calendar`: a work week, CN holidays or none, a few closed and open dates."""
    calendar: dict = {
        "workdays": list(draw(st.sampled_from(WORK_WEEKS))),
        "holidays": draw(st.sampled_from(["CN", "CN", "CN", None])),
    }
    span = (window[1] - window[0]).days

    def some_days() -> set[date]:
        count = draw(st.integers(0, 3)) if draw(st.booleans()) else 0
        return {window[0] + timedelta(days=draw(st.integers(-40, span))) for _ in range(count)}

    closed = some_days()
    opened = some_days() - closed  # a date both closed and open is bad input
    if closed:
        calendar["closed"] = sorted(closed)
    if opened:
        calendar["open"] = sorted(opened)
    return calendar


@st.composite
def rrules(draw, window: tuple[date, date]) -> str:
    """An RRULE with a handful of occurrences at most in the plan."""
    kind = draw(st.integers(0, 7))
    count = draw(st.integers(1, 3))
    day = draw(st.sampled_from(BYDAY))
    if kind == 0:
        return f"FREQ=WEEKLY;BYDAY={day};COUNT={count}"
    if kind == 1:
        days = ",".join(draw(st.lists(st.sampled_from(BYDAY), min_size=1, max_size=2, unique=True)))
        return f"FREQ=WEEKLY;INTERVAL={draw(st.integers(2, 3))};BYDAY={days};COUNT={count}"
    if kind == 2:
        monthday = draw(st.sampled_from([*range(1, 32), -1]))
        return f"FREQ=MONTHLY;BYMONTHDAY={monthday};COUNT={count}"
    if kind == 3:  # no COUNT: bounded by the plan's end (at most 5 months)
        return f"FREQ=MONTHLY;BYMONTHDAY={draw(st.integers(1, 28))}"
    if kind == 4:
        return f"FREQ=DAILY;INTERVAL={draw(st.integers(1, 10))};COUNT={count}"
    if kind == 5:
        until = window[0] + timedelta(days=draw(st.integers(0, 35)))
        return f"FREQ=WEEKLY;BYDAY={day};UNTIL={until:%Y%m%d}"
    if kind == 6:
        nth = draw(st.sampled_from([1, 2, -1]))
        return f"FREQ=MONTHLY;BYDAY={nth}{day};COUNT={draw(st.integers(1, 2))}"
    some = window[0] + timedelta(days=draw(st.integers(0, (window[1] - window[0]).days)))
    return f"FREQ=YEARLY;BYMONTH={some.month};BYMONTHDAY={some.day}"


def festival_keys_in(window: tuple[date, date]) -> list[str]:
    years = range(window[0].year, window[1].year + 1)
    return [
        key
        for key in FESTIVALS
        if any(window[0] <= rules.festival_date(key, y) <= window[1] for y in years)
    ]


@st.composite
def step_lists(draw, with_offsets: bool) -> list[dict]:
    """1-5 steps; `after` only refers to earlier steps, so there is no cycle."""
    steps = []
    for i in range(draw(st.integers(1, 5))):
        step = {
            "id": f"s{i}",
            "name": {"en": f"Step {i}", "zh": f"步骤{i}"},
            "role": draw(st.sampled_from(ROLES)),
            "duration": draw(st.integers(1, 3)),
        }
        load = draw(st.sampled_from([25, 50, 100]))
        if load != 100 or draw(st.booleans()):
            step["load"] = load
        if i and draw(st.booleans()):
            preds = draw(st.lists(st.integers(0, i - 1), min_size=1, max_size=2, unique=True))
            step["after"] = [f"s{p}{draw(st.sampled_from(LAGS))}" for p in preds]
        if with_offsets:
            # Same unit for both and earliest's N >= due's N: earliest is never after due.
            unit = draw(st.sampled_from(["d", "wd"]))
            due_n = draw(st.integers(0, 20))
            earliest_n = due_n + draw(st.integers(0, 15))
            if draw(st.booleans()):
                step["earliest"] = f"start-{earliest_n}{unit}" if earliest_n else "start"
            if draw(st.booleans()):
                step["due"] = f"start-{due_n}{unit}" if due_n else "start"
                if draw(st.integers(0, 3)) == 0:
                    step["strict"] = True
        steps.append(step)
    if with_offsets and draw(st.integers(0, 3)) == 0:  # a post-activity review
        first = draw(st.integers(1, 3))
        steps.append(
            {
                "id": "review",
                "name": {"en": "Review", "zh": "复盘"},
                "role": draw(st.sampled_from(ROLES)),
                "duration": 1,
                "earliest": f"end+{first}d",
                "due": f"end+{first + draw(st.integers(0, 5))}d",
            }
        )
    return steps


def template_doc(index: int, steps: list[dict], live_days: int) -> dict:
    return {
        "id": f"gen_t{index}",
        "name": {"en": f"Generated {index}", "zh": f"生成活动{index}"},
        "kind": "theme",
        "live_days": live_days,
        "steps": steps,
    }


@st.composite
def activity_entries(draw, templates: int, window: tuple[date, date], stores: bool) -> list[dict]:
    """One activity per template gen_t<i>; one with an `id` may share an earlier template.

    Occurrence ids stay unique: an activity without `id` has a template of its own, and
    ids are act<i>."""
    first, last = window
    span = (last - first).days
    activities = []
    for i in range(templates):
        activity: dict = {"template": f"gen_t{i}"}
        if draw(st.booleans()):
            activity["id"] = f"act{i}"
            if i and draw(st.integers(0, 3)) == 0:
                activity["template"] = f"gen_t{draw(st.integers(0, i - 1))}"
        when = draw(st.sampled_from(["start", "start", "repeat", "repeat", "festival"]))
        if when == "start":
            # Mostly inside the plan; now and then just outside it (a warning, not planned).
            offset = draw(st.integers(0, span) | st.integers(-10, span + 10))
            activity["start"] = first + timedelta(days=offset)
            if draw(st.integers(0, 3)) == 0:
                activity["end"] = activity["start"] + timedelta(days=draw(st.integers(0, 6)))
        elif when == "repeat":
            activity["repeat"] = draw(rrules(window))
        else:
            inside = festival_keys_in(window)
            if inside and draw(st.integers(0, 3)):
                activity["festival"] = draw(st.sampled_from(inside))
            else:  # possibly no occurrence at all: no error
                activity["festival"] = draw(st.sampled_from(FESTIVALS))
        if draw(st.integers(0, 3)) == 0:
            activity["live_days"] = draw(st.integers(1, 7))
        if draw(st.integers(0, 4)) == 0:
            activity["title"] = f"标题 {i}"
        if stores and draw(st.booleans()):
            activity["store"] = draw(st.sampled_from(STORES))
        if GENERATE_EXCEPT and when != "start" and draw(st.integers(0, 3)) == 0:
            dates = rules.activity_dates(activity, first, last)
            if dates:
                activity["except"] = draw(
                    st.lists(st.sampled_from(dates), min_size=1, max_size=2, unique=True)
                )
        activities.append(activity)
    return activities


def leaves(draw, window: tuple[date, date]) -> list[dict]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        first = window[0] + timedelta(days=draw(st.integers(-40, 120)))
        out.append({"from": first, "to": first + timedelta(days=draw(st.integers(0, 10)))})
    return out


def works_for(member: dict, store: str | None) -> bool:
    return store is None or "stores" not in member or store in member["stores"]


@st.composite
def staff_lists(
    draw, templates: list[dict], activities: list[dict], stores: bool, window: tuple[date, date]
) -> list[dict]:
    """1-4 people (p0 works for every store), some activities' owners, no bad input."""
    staff = []
    for k in range(draw(st.integers(1, 4))):
        member: dict = {
            "id": f"p{k}",
            "name": f"员工{k}",
            "roles": draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True)),
        }
        capacity = draw(st.sampled_from([None, 50, 100]))
        if capacity is not None:
            member["capacity"] = capacity
        if stores and k and draw(st.booleans()):
            member["stores"] = draw(
                st.lists(st.sampled_from(STORES), min_size=1, max_size=2, unique=True)
            )
        leave = leaves(draw, window)
        if leave:
            member["leave"] = leave
        staff.append(member)
    for activity in activities:
        if draw(st.integers(0, 2)) == 0:
            candidates = [m["id"] for m in staff if works_for(m, activity.get("store"))]
            activity["owner"] = draw(st.sampled_from(candidates))

    ensure_staffed(staff, templates, activities)
    return staff


def ensure_staffed(staff: list[dict], templates: list[dict], activities: list[dict]) -> None:
    """Make every task doable, so that the plan is no bad input (FORMAT.md section 7).

    An owner holding a step's role gets the capacity for its load; otherwise, when nobody
    with the role works for the activity's store with that capacity, staff[0] (who works
    for every store) takes the role with capacity 100."""
    by_id = {m["id"]: m for m in staff}
    assert "stores" not in staff[0]
    steps_of = {t["id"]: t["steps"] for t in templates}
    for activity in activities:
        store, owner = activity.get("store"), by_id.get(activity.get("owner"))
        for step in steps_of[activity["template"]]:
            role, load = step["role"], step.get("load", 100)
            if owner is not None and role in owner["roles"]:
                if owner.get("capacity", 100) < load:
                    owner["capacity"] = 100
                continue
            if not any(
                role in m["roles"] and works_for(m, store) and m.get("capacity", 100) >= load
                for m in staff
            ):
                if role not in staff[0]["roles"]:
                    staff[0]["roles"].append(role)
                staff[0]["capacity"] = 100


@st.composite
def plan_cases(draw, with_offsets: bool) -> dict:
    """A well-formed plan and its templates (every role held, every load carried, no cycle)."""
    window = draw(windows())
    count = draw(st.integers(1, 3))
    templates = [
        template_doc(i, draw(step_lists(with_offsets=with_offsets)), draw(st.integers(1, 5)))
        for i in range(count)
    ]
    stores = draw(st.integers(0, 2)) == 0
    activities = draw(activity_entries(count, window, stores))
    staff = draw(staff_lists(templates, activities, stores, window))
    plan = {
        "name": "Generated plan",
        "timezone": "Asia/Shanghai",
        "start": window[0],
        "end": window[1],
        "language": draw(st.sampled_from(["en", "zh"])),
        "templates": ["templates"],
        "calendar": draw(calendars(window)),
        "staff": staff,
        "activities": activities,
    }
    if stores:
        plan["stores"] = [{"id": "tmall", "name": "天猫旗舰店"}, {"id": "jd", "name": "京东自营店"}]
    return {"plan": plan, "templates": templates}


@st.composite
def on_time_ingredients(draw) -> dict:
    """A plan with offset-free templates, plus how the construction sets the offsets."""
    case = draw(plan_cases(with_offsets=False))
    steps = [s["id"] for t in case["templates"] for s in t["steps"]]
    case["lead"] = draw(st.integers(0, 25))  # how long before the live start the work begins
    case["offsets"] = [  # per step: anchor, unit, earliest?, due?, strict?, slacks
        draw(
            st.tuples(
                st.sampled_from(["start", "end"]),
                st.sampled_from(["d", "wd"]),
                st.booleans(),
                st.booleans(),
                st.booleans(),
                st.integers(0, 3),
                st.integers(0, 3),
            )
        )
        for _ in steps
    ]
    return case


# --------------------------------------------------------------------------- helpers


def dump(doc: dict) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when available
    return yaml.dump(doc, Dumper=dumper, allow_unicode=True, sort_keys=False)


def write_case(folder: Path, plan: dict, templates: list[dict]) -> Path:
    """plan.yaml and templates/<id>.yaml in `folder`; the texts go into Hypothesis' notes."""
    (folder / "templates").mkdir(exist_ok=True)
    for template in templates:
        text = dump(template)
        (folder / "templates" / f"{template['id']}.yaml").write_text(text, encoding="utf-8")
        note(f"templates/{template['id']}.yaml:\n{text}")
    text = dump(plan)
    path = folder / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    note(f"plan.yaml:\n{text}")
    return path


def run_plan(plan_path: Path, out: Path, effort: float = EFFORT):
    """`plan` with a small deterministic `--effort`; the wall-clock limit only guards."""
    args = ["plan", plan_path, "--out", out, "--effort", effort, "--time-limit", TIME_LIMIT]
    result = invoke_cli(args)
    text = result.output or ""
    note(text)
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}\n{crash_report(result)}"
    )
    return result


def read_schedule(out: Path) -> dict:
    path = out / "schedule.json"
    assert path.is_file(), f"no {path}"
    return json.loads(path.read_text(encoding="utf-8"))


def eligible(plan: rules.Plan, task: rules.ExpectedTask) -> list[rules.Staff]:
    """Rule 1: who may do the task (the role, the store, the owner where they hold the role)."""
    occurrence, role = task.occurrence, task.step.role
    people = [
        m
        for m in plan.staff.values()
        if role in m.roles
        and (occurrence.store is None or m.stores is None or occurrence.store in m.stores)
    ]
    owner = plan.staff.get(occurrence.owner) if occurrence.owner else None
    return [owner] if owner in people else people


def predecessors(plan: rules.Plan, task: rules.ExpectedTask) -> list[tuple[str, rules.Lag]]:
    return [(f"{task.occurrence.id}/{lag.step}", lag) for lag in task.step.after]


def after_lag(calendar: rules.WorkCalendar, pred_end: date, lag: rules.Lag) -> date:
    """Rule 5: the first working day a successor may start on."""
    if lag.unit == "wd":
        return calendar.workday(pred_end, lag.n + 1)
    return calendar.on_or_after(pred_end + timedelta(days=lag.n + 1))


def as_schedule(plan: rules.Plan, placement: dict[str, tuple[date, date, str]]) -> dict:
    """A placement (task id -> first day, last day, assignee) as a schedule.json dict."""
    tasks = []
    for task_id, (first, last, member) in placement.items():
        spec = plan.tasks[task_id]
        tasks.append(
            {
                "id": task_id,
                "activity": spec.occurrence.id,
                "step": spec.step.id,
                "role": spec.step.role,
                "assignee": member,
                "start": first.isoformat(),
                "end": last.isoformat(),
                "load": spec.step.load,
                "due": spec.due.isoformat() if spec.due else None,
                "late_days": rules.expected_late_days(last, spec.due, plan.calendar),
            }
        )
    return {"format": 1, "plan": plan.name, "status": "feasible", "tasks": tasks}


def greedy_schedule(plan: rules.Plan) -> dict[str, tuple[date, date, str]] | None:
    """A schedule obeying rules 1-6 found by serial list scheduling, or None.

    Tasks go one at a time, each as early as its `earliest`, its predecessors and its
    candidates' leave and capacity allow, to the candidate who finishes it first; a task
    with no `earliest` and no predecessor may start a year before the first activity
    (FORMAT.md puts no bound on it). Two priority rules are tried: the tightest strict due
    (own or downstream) first, and the earliest possible start first. Finding nothing
    proves nothing; finding one proves that a schedule exists."""
    calendar, tasks = plan.calendar, plan.tasks
    if not tasks:
        return {}
    floor = min(o.start for o in plan.occurrences) - timedelta(days=366)
    successors = defaultdict(list)
    for task in tasks.values():
        for pred, lag in predecessors(plan, task):
            successors[pred].append((task.id, lag))
    # The latest day a task may end for its own and its successors' strict dues (calendar
    # days, roughly: a priority, not a constraint).
    deadline: dict[str, date] = {}

    def latest_end(task_id: str) -> date:
        if task_id not in deadline:
            task = tasks[task_id]
            own = task.due if task.step.strict and task.due else date.max
            for succ, lag in successors[task_id]:
                succ_end = latest_end(succ)
                if succ_end != date.max:
                    slack = tasks[succ].step.duration + lag.n + 1
                    own = min(own, succ_end - timedelta(days=slack))
            deadline[task_id] = own
        return deadline[task_id]

    for task_id in tasks:
        latest_end(task_id)

    def attempt(priority: Callable[[str, date], tuple]) -> dict | None:
        used: dict[tuple[str, date], int] = defaultdict(int)
        placed: dict[str, tuple[date, date, str]] = {}
        while len(placed) < len(tasks):
            lowers = {}
            for task in tasks.values():
                if task.id in placed:
                    continue
                preds = predecessors(plan, task)
                if any(p not in placed for p, _ in preds):
                    continue
                lower = calendar.on_or_after(task.earliest or floor)
                for pred, lag in preds:
                    lower = max(lower, after_lag(calendar, placed[pred][1], lag))
                lowers[task.id] = lower
            task_id = min(lowers, key=lambda t: priority(t, lowers[t]))
            task = tasks[task_id]
            step = task.step
            best = None
            for member in eligible(plan, task):
                if member.capacity < step.load:
                    continue
                first = lowers[task_id]
                for _ in range(3000):
                    days = [first]
                    while len(days) < step.duration:
                        days.append(calendar.workday(days[-1], 1))
                    room = member.capacity - step.load
                    if all(not member.on_leave(d) and used[(member.id, d)] <= room for d in days):
                        break
                    first = calendar.workday(first, 1)
                else:
                    continue
                if best is None or days[-1] < best[1][-1]:
                    best = (member.id, days)
            if best is None:
                return None
            member_id, days = best
            if step.strict and task.due and days[-1] > calendar.on_or_before(task.due):
                return None
            for d in days:
                used[(member_id, d)] += step.load
            placed[task_id] = (days[0], days[-1], member_id)
        return placed

    for priority in (
        lambda t, lower: (deadline[t], lower, t),
        lambda t, lower: (lower, deadline[t], t),
    ):
        found = attempt(priority)
        if found is not None:
            return found
    return None


def largest_k(ok: Callable[[int], bool]) -> int:
    """The largest k in [-400, 400] with ok(k), for ok true up to some k and false after."""
    low, high = -400, 400
    while low < high:
        mid = (low + high + 1) // 2
        if ok(mid):
            low = mid
        else:
            high = mid - 1
    return low


def smallest_k(ok: Callable[[int], bool]) -> int:
    """The smallest k in [-400, 400] with ok(k), for ok false up to some k and true after."""
    low, high = -400, 400
    while low < high:
        mid = (low + high) // 2
        if ok(mid):
            high = mid
        else:
            low = mid + 1
    return low


def shifted(calendar: rules.WorkCalendar, base: date, k: int, unit: str) -> date:
    """The date of the offset `ANCHOR+k UNIT` for the anchor date `base`."""
    return calendar.workday(base, k) if unit == "wd" else base + timedelta(days=k)


def offset_text(anchor: str, k: int, unit: str) -> str:
    return anchor if k == 0 else f"{anchor}{k:+d}{unit}"


def construct(folder: Path, ingredients: dict) -> tuple[Path, dict]:
    """Place every task, then give the templates offsets that this placement meets.

    Each task goes, after its predecessors and `lead` days before its live window at the
    earliest, to the candidate of rule 1 (with the capacity) who can start it first, on
    whole days that person has free (no leave, no other task: loads never add up).
    Returns the plan path and the constructed schedule (a schedule.json dict)."""
    plan_doc, templates = ingredients["plan"], ingredients["templates"]
    plan_path = write_case(folder, plan_doc, templates)
    plan = rules.load_plan(plan_path)
    calendar = plan.calendar
    busy: dict[str, set[date]] = {m: set() for m in plan.staff}
    placed: dict[str, tuple[date, date, str]] = {}

    for occurrence in sorted(plan.occurrences, key=lambda o: (o.start, o.id)):
        for step in occurrence.steps:
            task = plan.tasks[f"{occurrence.id}/{step.id}"]
            lower = calendar.on_or_after(occurrence.start - timedelta(days=ingredients["lead"]))
            for pred, lag in predecessors(plan, task):
                lower = max(lower, after_lag(calendar, placed[pred][1], lag))
            best = None
            for member in eligible(plan, task):
                if member.capacity < step.load:
                    continue
                first = lower
                while True:
                    days = [first]
                    while len(days) < step.duration:
                        days.append(calendar.workday(days[-1], 1))
                    if not any(d in busy[member.id] or member.on_leave(d) for d in days):
                        break
                    first = calendar.workday(first, 1)
                if best is None or days[0] < best[1][0]:
                    best = (member.id, days)
            assert best is not None, f"nobody may do {task.id}"
            member_id, days = best
            busy[member_id].update(days)
            placed[task.id] = (days[0], days[-1], member_id)

    # Offsets per template step, over all the occurrences of its template.
    offsets = iter(ingredients["offsets"])
    for template in templates:
        occurrences = [o for o in plan.occurrences if o.template == template["id"]]
        for step in template["steps"]:
            anchor, unit, has_earliest, has_due, strict, slack_e, slack_d = next(offsets)
            if not occurrences:
                continue
            spans = [
                (o.start if anchor == "start" else o.end, placed[f"{o.id}/{step['id']}"])
                for o in occurrences
            ]

            if has_earliest:  # earliest on or before every constructed start
                k = largest_k(
                    lambda k, spans=spans, unit=unit: all(
                        shifted(calendar, base, k, unit) <= task[0] for base, task in spans
                    )
                )
                step["earliest"] = offset_text(anchor, k - slack_e, unit)
            if has_due:  # due (rounded back to a working day) on or after every constructed end
                k = smallest_k(
                    lambda k, spans=spans, unit=unit: all(
                        task[1] <= calendar.on_or_before(shifted(calendar, base, k, unit))
                        for base, task in spans
                    )
                )
                step["due"] = offset_text(anchor, k + slack_d, unit)
                if strict:
                    step["strict"] = True
    plan_path = write_case(folder, plan_doc, templates)
    return plan_path, as_schedule(rules.load_plan(plan_path), placed)


def provisional_years(plan: dict) -> list[int]:
    """The plan's years whose official CN calendar is an estimate (FORMAT.md section 1)."""
    if plan["calendar"].get("holidays") != "CN":
        return []
    years = {plan["start"].year, plan["end"].year}
    return sorted(y for y in years if y > LAST_PUBLISHED_CN)


def assert_provisional_warnings(plan: dict, output: str) -> None:
    warnings = [line for line in output.splitlines() if "warning" in line.lower()]
    for year in provisional_years(plan):
        assert any(str(year) in line for line in warnings), (
            f"no warning names the estimated year {year}:\n{output}"
        )


def plan_events(plan: dict, exit_code: int) -> None:
    """What the example exercised, for `--hypothesis-show-statistics`."""
    event(f"exit {exit_code}")
    features = [
        k
        for k in ("owner", "store", "repeat", "festival", "except")
        if any(k in a for a in plan["activities"])
    ]
    features += [k for k in ("open", "closed") if k in plan["calendar"]]
    if provisional_years(plan):
        features.append("provisional year")
    for feature in features:
        event(f"has {feature}")


def without_strict(templates: list[dict]) -> list[dict]:
    relaxed = copy.deepcopy(templates)
    for template in relaxed:
        for step in template["steps"]:
            step.pop("strict", None)
    return relaxed


# --------------------------------------------------------------------------- properties


@property_test(local=25, ci=50)
@given(plan_cases(with_offsets=True))
def test_any_well_formed_plan_schedules_within_the_rules(case):
    note(SEED_NOTE)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan_path = write_case(folder, case["plan"], case["templates"])
        out = folder / "out"
        result = run_plan(plan_path, out)
        assert result.exit_code in (0, 3, 4), result.output
        plan_events(case["plan"], result.exit_code)
        assert_provisional_warnings(case["plan"], result.output)
        if result.exit_code == 3:
            # Exit 3 says that no schedule exists: proven (status infeasible, section 7's
            # schedule.json in a folder without one), and for a reason the plan holds.
            assert (out / "schedule.json").is_file(), "exit 3 but no schedule.json (unproven?)"
            schedule = read_schedule(out)
            assert schedule["status"] == "infeasible", schedule["status"]
            assert not schedule.get("tasks")
            # Only a strict due can make a generated plan impossible: `earliest` is a lower
            # bound, leave is finite and every task has someone with the capacity for it.
            strict = [s["id"] for t in case["templates"] for s in t["steps"] if s.get("strict")]
            assert strict, "no strict due, yet no schedule:\n" + result.output
            relaxed_folder = folder / "relaxed"
            relaxed_folder.mkdir()
            relaxed_templates = without_strict(case["templates"])
            relaxed_path = write_case(relaxed_folder, case["plan"], relaxed_templates)
            relaxed = run_plan(relaxed_path, relaxed_folder / "out")
            assert relaxed.exit_code in (0, 4), "without `strict`:\n" + relaxed.output
            # A schedule found here refutes exit 3.
            plan = rules.load_plan(plan_path)
            found = greedy_schedule(plan)
            if found is not None:
                mine = as_schedule(plan, found)
                violations = rules.check_schedule(plan_path, mine)
                assert violations == [], "the greedy search broke a rule:\n" + "\n".join(violations)
                raise AssertionError(
                    "exit 3, yet this schedule obeys rules 1-6:\n" + json.dumps(mine, indent=1)
                )
            return
        schedule = read_schedule(out)
        assert schedule["status"] in ("optimal", "feasible")
        violations = rules.check_schedule(plan_path, schedule)
        assert violations == [], "\n".join(violations)
        late = sum(t["late_days"] for t in schedule["tasks"])
        assert (late == 0) == (result.exit_code == 0), (late, result.exit_code)


@property_test(local=20, ci=40)
@given(on_time_ingredients())
def test_plan_with_an_on_time_schedule_comes_back_on_time(ingredients):
    note(SEED_NOTE)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan_path, constructed = construct(folder, ingredients)
        # The construction itself obeys the rules and is on time ...
        assert rules.check_schedule(plan_path, constructed) == []
        assert all(t["late_days"] == 0 for t in constructed["tasks"])
        # ... so the engine, minimising late days, must find an on-time schedule.
        out = folder / "out"
        result = run_plan(plan_path, out, effort=ON_TIME_EFFORT)
        plan_events(ingredients["plan"], result.exit_code)
        assert result.exit_code == 0, result.output
        assert_provisional_warnings(ingredients["plan"], result.output)
        schedule = read_schedule(out)
        assert [t["id"] for t in schedule["tasks"] if t["late_days"]] == []
        violations = rules.check_schedule(plan_path, schedule)
        assert violations == [], "\n".join(violations)
