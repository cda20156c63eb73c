"""A team too small for its year still gets its schedule (never worse than the heuristic).

The bundled example without one of its two operations people: the one left holds more
than a year of work, and the serial heuristic, placing the most urgent steps first, pushes
the strict platform registrations past their deadlines. Each registration fits on its own,
so a schedule exists; the run once ended with exit 3 ("no schedule found"). Now the
heuristic places the steps of the deadlines it missed first, and the run gets a schedule:
exit 4, late but keeping every rule, strict deadlines included (checked by tests/rules.py).
The same when the person leaves mid-year and the plan is re-planned.
"""

from __future__ import annotations

import json
import shutil

import rules
import yaml
from conftest import REPO_ROOT, invoke_cli

EXAMPLE = REPO_ROOT / "examples" / "tmall-flagship-2027.yaml"


def _without_wang_fang(folder):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["staff"] = [p for p in data["staff"] if p["id"] != "wang_fang"]
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _checked(plan, out, result, today=None) -> dict:
    assert result.exit_code == 4, result.output  # late, not "no schedule"
    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    assert rules.check_schedule(plan, schedule, today=today) == []
    late = sum(task["late_days"] for task in schedule["tasks"])
    solver = schedule["solver"]
    assert late == solver["objectives"]["late"] > 0
    assert 0 < solver["bounds"]["late"] <= late
    hers = [task for task in schedule["tasks"] if task["assignee"] == "wang_fang"]
    assert all(task["end"] < (today or "0000") for task in hers)  # done before she left
    return schedule


def test_one_operations_person_for_the_whole_year(tmp_path):
    plan = _without_wang_fang(tmp_path)
    out = tmp_path / "out"
    result = invoke_cli(["plan", plan, "--out", out, "--no-suggest"])
    schedule = _checked(plan, out, result)
    strict = [t for t in schedule["tasks"] if t.get("strict")]
    assert strict and all(t["late_days"] == 0 for t in strict)


def test_an_operations_person_leaves_mid_year_and_the_plan_is_re_planned(tmp_path, yearly_planned):
    out = tmp_path / "out"
    shutil.copytree(yearly_planned.out, out)
    plan = _without_wang_fang(tmp_path)
    today = "2027-06-01"
    result = invoke_cli(["replan", plan, "--out", out, "--today", today, "--no-suggest"])
    _checked(plan, out, result, today=today)
