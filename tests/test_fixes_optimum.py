"""Every checked fix of a late or impossible plan gets the late days it claims, by someone
else's patch code and someone else's solver (issue 13's done-when).

FORMAT.md section 6 says each entry of schedule.json's `suggestions` is an RFC 6902 JSON
Patch against the plan file's data with the `late_days` and `status` that planning the
patched plan gives. tests/test_explain.py applies the patches with the jsonpatch library
but re-plans them with our own CLI; here nothing of `scheduler` judges a claim. Hypothesis
writes tiny plans (tests/test_optimum.py's `tiny_plans`, then squeezed: one or all people
of a role away for a stretch, every due of a template earlier, a step made strict with an
earlier due) and keeps those that the exhaustive search of tests/test_optimum.py (written from
FORMAT.md alone on tests/rules.py's plan model) proves late or impossible. The real CLI plans
each with suggestions on; every suggestion's patch is applied with `jsonpatch.apply_patch`
to the plan file's YAML data (dates as YYYY-MM-DD text), written, loaded by
`rules.load_plan` and solved exhaustively. The patched plan must have a schedule; a claim
with status `optimal` must be its exact optimum, one with `feasible` at least it; every
claim is below the original optimum (or the original had no schedule); a patch touches
plan fields of section 4 only, never `templates`. An impossible plan exits 3; tiny generated
ones record whether a fix was found (event), and the hand-written cases below (a designer
on leave across a design step, a strict registration whose only person is away) must get
fixes that check out.

A fix that adds a person puts them on leave from 400 days before the plan to the first day
they are needed and from the day after to 400 days after the plan. The exhaustive search's
horizon counts every leave working day, so `solved` clips leave that lies before every
task's `earliest` (no task can use those days: exact) and after a cut-off a few weeks past
the last due date; the clipped plan only has more free days, so its optimum is a lower bound
and its infeasibility is the real plan's. When the schedule the search returns also passes
tests/rules.py's checker on the real patched plan (it uses no clipped day), the bound is
attained and is the real optimum; otherwise the cut-off moves further out.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

import jsonpatch
import rules
import yaml
from conftest import crash_report, invoke_cli
from hypothesis import assume, currently_in_test_context, event, given, note
from hypothesis import strategies as st
from property_settings import SEED_NOTE, property_test
from test_explain import _yaml_data
from test_optimum import EFFORT, TIME_LIMIT, exhaustive_optimum, tiny_plans
from test_properties import (
    after_lag,
    as_schedule,
    dump,
    offset_text,
    predecessors,
    template_doc,
    write_case,
)

# The plan fields of FORMAT.md section 4 a fix may change (never `templates`, whose
# files the plan's steps come from, nor the plan's name, time zone or language).
PLAN_FIELDS = {"staff", "activities", "calendar", "start", "end", "stores", "roles"}
# Cut-offs (days after the last due date) beyond which leave is clipped for the search.
REACH = (21, 60, 150)
SQUEEZES = ["as generated", "leave", "leave", "dues", "strict"]


# --------------------------------------------------------------------------- generators


def _say(text: str) -> None:
    """A note of the hypothesis example; printed (shown on failure) in a fixed case."""
    if currently_in_test_context():
        note(text)
    else:
        print(text)


def _count(name: str) -> None:
    if currently_in_test_context():
        event(name)


def _earlier(offset: str, k: int) -> str:
    anchor, n, unit = rules.parse_offset(offset)
    return offset_text(anchor, n - k, unit)


@st.composite
def squeezed_plans(draw) -> dict:
    """A tiny plan, often squeezed so that it is late or impossible."""
    case = draw(tiny_plans())
    plan, templates = case["plan"], case["templates"]
    squeeze = draw(st.sampled_from(SQUEEZES))
    steps = [s for t in templates for s in t["steps"]]
    if squeeze == "leave":
        # one person of a step's role, or all of them, away for a stretch of the first
        # preparation weeks
        role = draw(st.sampled_from(sorted({s["role"] for s in steps})))
        holders = [m for m in plan["staff"] if role in m["roles"]]
        if draw(st.booleans()):
            holders = [draw(st.sampled_from(holders))]
        begin = plan["start"] + timedelta(days=draw(st.integers(-25, 20)))
        last = begin + timedelta(days=draw(st.integers(3, 12)))
        for member in holders:
            member["leave"] = [{"from": begin, "to": last}]
    elif squeeze == "dues":
        k = draw(st.integers(1, 4))
        for step in draw(st.sampled_from(templates))["steps"]:
            step["due"] = _earlier(step["due"], k)
    elif squeeze == "strict":
        step = draw(st.sampled_from(steps))
        step["strict"] = True
        step["due"] = _earlier(step["due"], draw(st.integers(0, 3)))
    case["squeeze"] = squeeze
    return case


# --------------------------------------------------------------------------- the oracle


def _clipped(plan: rules.Plan, low: date, high: date) -> rules.Plan:
    """The plan with every leave cut to [low, high]."""
    staff = {}
    for member_id, member in plan.staff.items():
        leave = [(max(a, low), min(b, high)) for a, b in member.leave]
        leave = [(a, b) for a, b in leave if a <= b]
        staff[member_id] = dataclasses.replace(member, leave=leave)
    return dataclasses.replace(plan, staff=staff)


def solved(plan_path: Path) -> int | None:
    """The least total late days of a schedule of the plan file obeying rules 1-6 (None
    when there is none), by the exhaustive search."""
    plan = rules.load_plan(plan_path)
    tasks = list(plan.tasks.values())
    if not tasks:
        return 0
    low = min(t.earliest for t in tasks if t.earliest is not None)
    last_due = max(t.due or t.earliest or low for t in tasks)
    for reach in REACH:
        found = exhaustive_optimum(_clipped(plan, low, last_due + timedelta(days=reach)))
        if found is None:
            return None  # fewer leave days and still no schedule
        optimum, placement = found
        schedule = as_schedule(plan, placement)
        if rules.check_schedule(plan_path, schedule) == []:
            assert sum(t["late_days"] for t in schedule["tasks"]) == optimum
            return optimum
        _count(f"search reached past {reach} days after the last due")
    raise AssertionError(f"the search's schedules all use leave days: {placement}")


def unstaffed_bound(plan_path: Path) -> tuple[int, bool]:
    """With as many free people as wanted (every task as early as rules 5 and 6 allow):
    the total late days, and whether some strict due is still missed. The late days of
    the dates alone, that no change to the staff or their leave can lower."""
    plan = rules.load_plan(plan_path)
    calendar, ends, late, missed = plan.calendar, {}, 0, False
    while len(ends) < len(plan.tasks):
        for task in plan.tasks.values():
            preds = predecessors(plan, task)
            if task.id in ends or any(p not in ends for p, _ in preds):
                continue
            starts = [after_lag(calendar, ends[p], lag) for p, lag in preds]
            if task.earliest is not None:
                starts.append(calendar.on_or_after(task.earliest))
            end = calendar.workday(max(starts), task.step.duration - 1)
            ends[task.id] = end
            late += rules.expected_late_days(end, task.due, calendar)
            if task.step.strict and end > calendar.on_or_before(task.due):
                missed = True
    return late, missed


# --------------------------------------------------------------------------- the check


def check_fixes(folder: Path, plan_path: Path, optimum: int | None) -> list[dict]:
    """Plan with suggestions through the CLI and check every suggestion exhaustively;
    the suggestions."""
    out = folder / "out"
    args = ["plan", plan_path, "--out", out, "--suggest"]
    result = invoke_cli([*args, "--effort", EFFORT, "--time-limit", TIME_LIMIT])
    _say(result.output or "")
    handled = result.exception is None or isinstance(result.exception, SystemExit)
    assert handled, crash_report(result)
    assert result.exit_code == (3 if optimum is None else 0 if optimum == 0 else 4), result.output
    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    if optimum is None:
        assert schedule["status"] == "infeasible"
    else:
        assert sum(t["late_days"] for t in schedule["tasks"]) >= optimum
    fixes = schedule.get("suggestions")
    assert isinstance(fixes, list), "a late or impossible plan's schedule.json has suggestions"
    data = _yaml_data(plan_path)
    for n, fix in enumerate(fixes):
        _say(f"suggestion {n}: {json.dumps(fix, ensure_ascii=False)}")
        assert set(fix) == {"text", "patch", "late_days", "status"}, fix
        for op in fix["patch"]:
            for key in ("path", "from"):
                if key in op:
                    assert op[key].split("/")[1] in PLAN_FIELDS, (fix["text"], op)
        patched = folder / f"patched{n}.yaml"
        changed = jsonpatch.apply_patch(data, fix["patch"])
        patched.write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
        fixed = solved(patched)
        _say(f"suggestion {n}: exhaustive optimum {fixed}")
        assert fixed is not None, f"{fix['text']}: the patched plan has no schedule"
        assert fix["status"] in ("optimal", "feasible"), fix
        if fix["status"] == "optimal":
            assert fix["late_days"] == fixed, (fix["text"], fix["late_days"], fixed)
        else:
            assert fixed <= fix["late_days"], (fix["text"], fix["late_days"], fixed)
        if optimum is not None:
            assert fix["late_days"] < optimum, (fix["text"], fix["late_days"], optimum)
    return fixes


@property_test(local=40, ci=56)
@given(squeezed_plans())
def test_every_fix_gets_the_late_days_it_claims_by_the_exhaustive_search(case):
    note(SEED_NOTE)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan_path = write_case(folder, case["plan"], case["templates"])
        optimum = solved(plan_path)
        assume(optimum != 0)
        note(f"search: optimum {optimum}")
        event(f"squeeze: {case['squeeze']}")
        event("no schedule" if optimum is None else "late")
        fixes = check_fixes(folder, plan_path, optimum)
        # Whether the dates alone make it so (a strict due missed, or the late days, even
        # with as many free people as wanted): then no change of staff or leave helps.
        late, missed = unstaffed_bound(plan_path)
        if optimum is None:
            kind = "impossible by the dates alone" if missed else "impossible for want of people"
        else:
            kind = "late by the dates alone" if late == optimum else "late for want of people"
        event(f"{kind}: {'fixed' if fixes else 'no fix'}")
        for fix in fixes:
            event(f"fix: {fix['patch'][0]['op']} /{fix['patch'][0]['path'].split('/')[1]}")
            event(f"fix status: {fix['status']}")


# --------------------------------------------------------------------------- fixed cases


def _step(step_id: str, role: str, duration: int, **more) -> dict:
    name = {"en": step_id.title(), "zh": step_id}
    return {"id": step_id, "name": name, "role": role, "duration": duration, **more}


def _fixed_case(
    tmp_path: Path, steps: list[dict], staff: list[dict], activities: list[dict] | None = None
) -> Path:
    plan = {
        "name": "Hand-written plan",
        "timezone": "Asia/Shanghai",
        "start": date(2026, 3, 1),
        "end": date(2026, 3, 31),
        "language": "en",
        "templates": ["templates"],
        "calendar": {"workdays": ["mon", "tue", "wed", "thu", "fri"], "holidays": "CN"},
        "staff": staff,
        "activities": activities
        or [{"id": "spring_sale", "template": "gen_t0", "start": date(2026, 3, 20)}],
    }
    (tmp_path / "templates").mkdir()
    template = dump(template_doc(0, steps, 3))
    (tmp_path / "templates" / "gen_t0.yaml").write_text(template, encoding="utf-8")
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(dump(plan), encoding="utf-8")
    print(f"templates/gen_t0.yaml:\n{template}\nplan.yaml:\n{dump(plan)}")
    return plan_path


def test_a_designer_on_leave_across_the_design_step_gets_fixes_that_check_out(tmp_path):
    steps = [
        _step("brief", "operations", 1, earliest="start-14d", due="start-12d"),
        _step("design", "design", 3, after=["brief"], due="start-6d"),
        _step("listing", "operations", 1, after=["design"], due="start-3d"),
    ]
    staff = [
        {"id": "wang_fang", "name": "王芳", "roles": ["operations"]},
        {
            "id": "li_na",
            "name": "李娜",
            "roles": ["design"],
            "leave": [{"from": date(2026, 3, 9), "to": date(2026, 3, 13)}],
        },
    ]
    plan_path = _fixed_case(tmp_path, steps, staff)
    optimum = solved(plan_path)
    assert optimum is not None and optimum > 0
    fixes = check_fixes(tmp_path, plan_path, optimum)
    assert fixes, "a plan late for its only designer's leave gets a fix"


def test_a_strict_registration_whose_only_person_is_away_gets_a_fix_that_checks_out(tmp_path):
    steps = [
        _step("register", "operations", 2, earliest="start-12d", due="start-8d", strict=True),
        _step("design", "design", 2, after=["register"], due="start-2d"),
    ]
    staff = [
        {
            "id": "wang_fang",
            "name": "王芳",
            "roles": ["operations"],
            "leave": [{"from": date(2026, 3, 6), "to": date(2026, 3, 13)}],
        },
        {"id": "li_na", "name": "李娜", "roles": ["design"]},
    ]
    plan_path = _fixed_case(tmp_path, steps, staff)
    assert solved(plan_path) is None
    fixes = check_fixes(tmp_path, plan_path, None)
    assert fixes, "a strict step whose only person is away gets a fix"
    explained = invoke_cli(["explain", plan_path])
    assert explained.exit_code == 3, explained.output
    assert fixes[0]["text"].partition(" / ")[2] in explained.output  # an en plan: English


# a strict step of three working days due on the Saturday before a Tuesday go-live, from
# the Thursday before: two working days, whoever does it
SHORT_WINDOW = [
    _step("register", "operations", 3, earliest="start-5d", due="start-3d", strict=True),
    _step("listing", "operations", 1, after=["register"], due="start-1d"),
]
TEAM = [{"id": "wang_fang", "name": "王芳", "roles": ["operations"]}]


def test_a_strict_step_short_of_working_days_gets_a_day_off_worked(tmp_path):
    # no person, leave or occurrence to remove helps: the team works that Saturday
    activities = [{"id": "launch", "template": "gen_t0", "start": date(2026, 3, 24)}]
    plan_path = _fixed_case(tmp_path, SHORT_WINDOW, TEAM, activities)
    assert solved(plan_path) is None
    fixes = check_fixes(tmp_path, plan_path, None)
    opened = [f for f in fixes if f["patch"][0]["path"] == "/calendar/open"]
    assert opened and opened[0]["patch"][0]["value"] == ["2026-03-21"], fixes


def test_the_occurrences_of_a_series_that_can_never_be_prepared_get_left_out(tmp_path):
    # each Tuesday's registration is short of a working day, but for the first: 2026-02-28
    # is a make-up working day (调休). Leaving out one occurrence is not enough: the three
    # (or their three Saturdays worked) are
    activities = [
        {"template": "gen_t0", "repeat": "FREQ=WEEKLY;BYDAY=TU;COUNT=4"},
        {"id": "other", "template": "gen_t1", "start": date(2026, 3, 27)},
    ]
    plan_path = _fixed_case(tmp_path, SHORT_WINDOW, TEAM, activities)
    other = [_step("brief", "operations", 1, earliest="start-6d", due="start-2d")]
    (tmp_path / "templates" / "gen_t1.yaml").write_text(
        dump(template_doc(1, other, 3)), encoding="utf-8"
    )
    assert solved(plan_path) is None
    fixes = check_fixes(tmp_path, plan_path, None)
    by_path = {f["patch"][0]["path"]: f["patch"][0]["value"] for f in fixes}
    assert by_path.get("/activities/0/except") == ["2026-03-10", "2026-03-17", "2026-03-24"]
    assert by_path.get("/calendar/open") == ["2026-03-07", "2026-03-14", "2026-03-21"]
