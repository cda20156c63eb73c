"""Property tests: generated plans (YAML files with their own templates) through the CLI.

1. Any well-formed plan gives exit 0, 3 or 4 (never 2, never a traceback), and a
   written schedule obeys FORMAT.md rules 1-7 (checked by tests/rules.py).
2. A plan built around a concrete on-time schedule (one person per role, tasks
   placed one after another on working days, every `earliest` on or before and
   every `due` on or after the constructed dates) comes back on time: exit 0.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import rules
import yaml
from conftest import crash_report, invoke_cli
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

# Reproducible in CI (derandomize); no shrinking: one engine run can take up to the
# 10 s time limit, and a failure's notes already hold the whole plan as YAML.
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ROLES = ["operations", "design", "service"]
WINDOWS = [  # plan start, plan end: all in 2026, whose CN calendar is published
    (date(2026, 2, 1), date(2026, 4, 30)),
    (date(2026, 3, 1), date(2026, 5, 31)),
    (date(2026, 4, 15), date(2026, 7, 15)),
    (date(2026, 9, 1), date(2026, 11, 30)),
]
BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
LAGS = ["", "", "+1wd", "+2wd", "+1d", "+2d", "+3d"]
CALENDAR = {"workdays": ["mon", "tue", "wed", "thu", "fri"], "holidays": "CN"}


# --------------------------------------------------------------------------- generators


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


@st.composite
def activity_entries(draw, count: int, window: tuple[date, date]) -> list[dict]:
    """Activity i uses template gen_t<i>, so no two occurrences share an id."""
    first, last = window
    activities = []
    for i in range(count):
        activity: dict = {"template": f"gen_t{i}"}
        if draw(st.booleans()):
            activity["id"] = f"act{i}"
        if draw(st.booleans()):
            activity["start"] = first + timedelta(days=draw(st.integers(0, (last - first).days)))
        else:
            day = draw(st.sampled_from(BYDAY))
            activity["repeat"] = f"FREQ=WEEKLY;BYDAY={day};COUNT={draw(st.integers(1, 3))}"
        if draw(st.integers(0, 3)) == 0:
            activity["live_days"] = draw(st.integers(1, 7))
        activities.append(activity)
    return activities


def template_doc(index: int, steps: list[dict], live_days: int) -> dict:
    return {
        "id": f"gen_t{index}",
        "name": {"en": f"Generated {index}", "zh": f"生成活动{index}"},
        "kind": "theme",
        "live_days": live_days,
        "steps": steps,
    }


def leaves(draw, window: tuple[date, date]) -> list[dict]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        first = window[0] + timedelta(days=draw(st.integers(-30, 120)))
        out.append({"from": first, "to": first + timedelta(days=draw(st.integers(0, 10)))})
    return out


@st.composite
def any_plans(draw) -> dict:
    """A well-formed plan: every role held, every load within someone's capacity, no cycle."""
    window = draw(st.sampled_from(WINDOWS))
    count = draw(st.integers(1, 3))
    templates = [
        template_doc(i, draw(step_lists(with_offsets=True)), draw(st.integers(1, 5)))
        for i in range(count)
    ]
    activities = draw(activity_entries(count, window))
    used = sorted({s["role"] for t in templates for s in t["steps"]})
    max_load = {
        role: max(s.get("load", 100) for t in templates for s in t["steps"] if s["role"] == role)
        for role in used
    }

    stores = draw(st.integers(0, 2)) == 0
    staff = []
    for k in range(draw(st.integers(1, 4))):
        roles = draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True))
        staff.append(
            {"id": f"p{k}", "name": f"员工{k}", "roles": roles, "leave": leaves(draw, window)}
        )
    for role in used:  # a role nobody holds would be bad input
        if not any(role in m["roles"] for m in staff):
            staff[draw(st.integers(0, len(staff) - 1))]["roles"].append(role)
    if stores:
        for member in staff[1:]:
            if draw(st.booleans()):
                member["stores"] = draw(
                    st.lists(st.sampled_from(["tmall", "jd"]), min_size=1, max_size=2, unique=True)
                )
        for role in used:  # someone with the role works for every store
            if not any(role in m["roles"] and "stores" not in m for m in staff):
                staff[0]["roles"].append(role)
        for activity in activities:
            if draw(st.booleans()):
                activity["store"] = draw(st.sampled_from(["tmall", "jd"]))
    for member in staff:  # capacity >= the largest load of each role held
        need = max([max_load.get(r, 0) for r in member["roles"]] + [50])
        member["capacity"] = 100 if need > 50 else draw(st.sampled_from([50, 100]))
        if not member["leave"]:
            del member["leave"]
    for activity in activities:
        if draw(st.integers(0, 3)) == 0:
            store = activity.get("store")
            candidates = [
                m["id"] for m in staff if store is None or store in m.get("stores", [store])
            ]
            activity["owner"] = draw(st.sampled_from(candidates))

    plan = {
        "name": "Generated plan",
        "timezone": "Asia/Shanghai",
        "start": window[0],
        "end": window[1],
        "language": draw(st.sampled_from(["en", "zh"])),
        "templates": ["templates"],
        "calendar": dict(CALENDAR),
        "staff": staff,
        "activities": activities,
    }
    if stores:
        plan["stores"] = [{"id": "tmall", "name": "天猫旗舰店"}, {"id": "jd", "name": "京东自营店"}]
    if draw(st.integers(0, 3)) == 0:
        plan["calendar"]["closed"] = [window[0] + timedelta(days=draw(st.integers(0, 60)))]
    return {"plan": plan, "templates": templates}


@st.composite
def on_time_ingredients(draw) -> dict:
    """Templates without offsets, one person per role, and the slack used later."""
    window = draw(st.sampled_from(WINDOWS))
    count = draw(st.integers(1, 3))
    templates = [
        template_doc(i, draw(step_lists(with_offsets=False)), draw(st.integers(1, 5)))
        for i in range(count)
    ]
    used = sorted({s["role"] for t in templates for s in t["steps"]})
    staff = []
    for role in used:
        loads = [s.get("load", 100) for t in templates for s in t["steps"] if s["role"] == role]
        member = {"id": f"p_{role}", "name": role.title(), "roles": [role]}
        if max(loads) <= 50 and draw(st.booleans()):
            member["capacity"] = 50
        leave = leaves(draw, window)
        if leave:
            member["leave"] = leave
        staff.append(member)
    plan = {
        "name": "Generated on-time plan",
        "start": window[0],
        "end": window[1],
        "templates": ["templates"],
        "calendar": dict(CALENDAR),
        "staff": staff,
        "activities": draw(activity_entries(count, window)),
    }
    steps = [s["id"] for t in templates for s in t["steps"]]
    return {
        "plan": plan,
        "templates": templates,
        "lead": draw(st.integers(0, 25)),  # how long before the live start the work begins
        "offsets": [  # per step: anchor, unit, earliest?, due?, strict?, slacks
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
        ],
    }


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


def run_plan(plan_path: Path, out: Path):
    result = invoke_cli(["plan", plan_path, "--out", out, "--time-limit", "10"])
    text = result.output or ""
    note(text)
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}\n{crash_report(result)}"
    )
    return result


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

    Returns the plan path and the constructed schedule (a schedule.json dict)."""
    plan_doc, templates = ingredients["plan"], ingredients["templates"]
    plan_path = write_case(folder, plan_doc, templates)
    plan = rules.load_plan(plan_path)
    calendar = plan.calendar
    person = {next(iter(m.roles)): m for m in plan.staff.values()}
    busy: dict[str, set[date]] = {m: set() for m in plan.staff}
    placed: dict[str, tuple[date, date, str]] = {}

    for occurrence in sorted(plan.occurrences, key=lambda o: (o.start, o.id)):
        for step in occurrence.steps:
            lower = calendar.on_or_after(occurrence.start - timedelta(days=ingredients["lead"]))
            for lag in step.after:
                pred_end = placed[f"{occurrence.id}/{lag.step}"][1]
                if lag.unit == "wd":
                    lower = max(lower, calendar.workday(pred_end, lag.n + 1))
                else:
                    lower = max(lower, pred_end + timedelta(days=lag.n + 1))
            member = person[step.role]
            first = calendar.on_or_after(lower)
            while True:
                days = [first]
                while len(days) < step.duration:
                    days.append(calendar.workday(days[-1], 1))
                if not any(d in busy[member.id] or member.on_leave(d) for d in days):
                    break
                first = calendar.workday(first, 1)
            busy[member.id].update(days)
            placed[f"{occurrence.id}/{step.id}"] = (days[0], days[-1], member.id)

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

    plan = rules.load_plan(plan_path)
    tasks = []
    for task_id, spec in plan.tasks.items():
        first, last, who = placed[task_id]
        tasks.append(
            {
                "id": task_id,
                "activity": spec.occurrence.id,
                "step": spec.step.id,
                "role": spec.step.role,
                "assignee": who,
                "start": first.isoformat(),
                "end": last.isoformat(),
                "load": spec.step.load,
                "due": spec.due.isoformat() if spec.due else None,
                "late_days": 0,
            }
        )
    schedule = {"format": 1, "plan": plan.name, "status": "feasible", "tasks": tasks}
    return plan_path, schedule


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(any_plans())
def test_any_well_formed_plan_schedules_within_the_rules(case):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan_path = write_case(folder, case["plan"], case["templates"])
        out = folder / "out"
        result = run_plan(plan_path, out)
        assert result.exit_code in (0, 3, 4), result.output
        schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
        if result.exit_code == 3:
            # Only a strict due can make a generated plan impossible: `earliest` is a lower
            # bound, leave is finite and every role has someone for every store.
            strict = [s["id"] for t in case["templates"] for s in t["steps"] if s.get("strict")]
            assert strict, "no strict due, yet no schedule:\n" + result.output
            assert schedule["status"] == "infeasible"
            assert not schedule.get("tasks")
            return
        assert schedule["status"] in ("optimal", "feasible")
        violations = rules.check_schedule(plan_path, schedule)
        assert violations == [], "\n".join(violations)
        late = sum(t["late_days"] for t in schedule["tasks"])
        assert (late == 0) == (result.exit_code == 0), (late, result.exit_code)


@SETTINGS
@given(on_time_ingredients())
def test_plan_with_an_on_time_schedule_comes_back_on_time(ingredients):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan_path, constructed = construct(folder, ingredients)
        # The construction itself obeys the rules and is on time ...
        assert rules.check_schedule(plan_path, constructed) == []
        # ... so the engine, minimising late days, must find an on-time schedule.
        out = folder / "out"
        result = run_plan(plan_path, out)
        assert result.exit_code == 0, result.output
        schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
        assert [t["id"] for t in schedule["tasks"] if t["late_days"]] == []
        violations = rules.check_schedule(plan_path, schedule)
        assert violations == [], "\n".join(violations)
