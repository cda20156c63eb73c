"""The outside battery's last findings for issue 11, through the CLI and the real loaders.

- A role's `name` is a text or a mapping of language to text (FORMAT.md section 4): a
  number is bad input.
- A step role nobody holds and a step load above everyone's capacity are named where they
  are written: the template file and the step's key path (`weekly_promo.yaml:
  steps[4].role`), with the plan activity that uses the template; exit 2, nothing written.
- `export` of a schedule.json whose task names an assignee its `staff` does not list: exit
  2 with the file and the key path, no folder made.
- What is no mistake, and stays so: `capacity: null` is the default capacity (null is an
  absent optional field, as an empty workbook cell is, FORMAT.md section 8), and a closed or
  open day years away from the plan is simply outside it, like a far leave (README, Limits):
  the plan's schedule is the same with or without them.
"""

from __future__ import annotations

import json

from conftest import REPO_ROOT, crash_report, invoke_cli
from test_hostile_input import WEEKLY_PROMO, assert_bad_input, edited, plan_file, template_file
from test_hostile_input import planned as planned

from scheduler.plan.loading import load_plan


def test_a_role_name_that_is_a_number_is_bad_input(tmp_path, planned):
    plan = plan_file(tmp_path, ("staff:", "roles: [{id: design, name: 5}]\nstaff:"))
    assert_bad_input(planned, plan, str(plan), "roles[0].name", "5", "not a text", "{en: ...")


def test_a_role_name_as_text_or_per_language_is_kept(tmp_path):
    plan = plan_file(
        tmp_path,
        ("staff:", "roles: [{id: design, name: 美工}, {id: operations, name: {en: Ops}}]\nstaff:"),
    )
    loaded = load_plan(plan)
    assert loaded.role_name("design", "en") == loaded.role_name("design", "zh") == "美工"
    assert loaded.role_name("operations", "zh") == "Ops"


def test_a_step_role_nobody_holds_is_named_in_the_template(tmp_path, planned):
    template = edited(WEEKLY_PROMO, ("    role: design\n", "    role: designer\n"))
    plan = plan_file(tmp_path, template=template)
    assert_bad_input(
        planned, plan, template_file(plan), "steps[4].role", "designer",
        "no staff member has role designer", "did you mean design?",
        f"used by {plan} activities[0]",
    )  # fmt: skip


def test_a_step_load_above_every_capacity_is_named_in_the_template(tmp_path, planned):
    template = edited(
        WEEKLY_PROMO,
        ("    role: customer_service\n    duration: 1\n    load: 25\n",
         "    role: customer_service\n    duration: 1\n    load: 80\n"),
    )  # fmt: skip
    plan = plan_file(tmp_path, template=template)
    assert_bad_input(
        planned, plan, template_file(plan), "steps[7].load", "80",
        "above the capacity of everyone who may do it", "chen_jing 50",
        f"used by {plan} activities[0]",
    )  # fmt: skip


def test_export_of_an_assignee_not_in_staff_is_bad_input(tmp_path, planned):
    data = json.loads((planned / "schedule.json").read_text(encoding="utf-8"))
    data["tasks"][3]["assignee"] = "ghost"
    broken = tmp_path / "schedule.json"
    broken.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    result = invoke_cli(["export", broken, "--out", out])
    assert result.exit_code == 2, crash_report(result)
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{broken}: tasks[3].assignee: ghost: not in staff ("), line
    assert "wang_fang" in line
    assert not out.exists()
    data["tasks"][3]["assignee"] = data["staff"][0]["id"]  # a listed person: exported
    broken.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = invoke_cli(["export", broken, "--out", out])
    assert result.exit_code == 0, crash_report(result)


def test_capacity_null_is_the_default_capacity(tmp_path):
    plan = plan_file(tmp_path, ("    capacity: 50 ", "    capacity: null "))
    assert load_plan(plan).person("chen_jing").capacity == 100
    result = invoke_cli(["validate", plan])
    assert result.exit_code == 0, crash_report(result)


def test_closed_and_open_days_far_from_the_plan_change_nothing(tmp_path):
    """Like a leave years away: accepted, and the schedule is the one without them."""
    far = plan_file(
        tmp_path / "far",
        ("  closed: []", "  closed: [1950-01-02, 2099-12-30, 2031-06-02]"),
        ("  open: []", "  open: [1950-01-07, 2099-12-26, 2021-06-05]"),
    )
    schedules = []
    for plan in (REPO_ROOT / "examples" / "quickstart.yaml", far):
        out = plan.parent / "out" if plan == far else tmp_path / "near"
        result = invoke_cli(["plan", plan, "--out", out, "--effort", "1"])
        assert result.exit_code in (0, 4), crash_report(result)
        schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
        tasks = schedule["tasks"]
        schedules.append([(t["id"], t["assignee"], t["start"], t["end"]) for t in tasks])
    assert schedules[0] and schedules[0] == schedules[1]
    assert {day.isoformat() for day in load_plan(far).calendar.closed} >= {"2099-12-30"}
