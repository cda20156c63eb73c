"""`staffing PLAN` (issue 13 item 5): the fewest people of a role, against brute force.

The brute force writes, for k = 1, 2, ..., the plan's YAML with the role taken from its
holders and given to k new full-time people (as the command documents), plans each with
the CLI (every schedule checked by tests/rules.py) and takes the least k whose late days
equal those of the largest team tried.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import rules
import yaml
from conftest import invoke_cli

PLAN = """
name: 人手测算
timezone: Asia/Shanghai
start: 2026-03-01
end: 2026-03-14
language: zh
calendar: {workdays: [mon, tue, wed, thu, fri], holidays: CN}
staff:
  - {id: wang_fang, name: 王芳, roles: [operations]}
  - {id: zhao_lei, name: 赵磊, roles: [promotion]}
  - {id: li_na, name: 李娜, roles: [design], leave: [{from: 2026-03-02, to: 2026-03-04}]}
  - {id: chen_jing, name: 陈静, roles: [customer_service]}
activities:
  - {id: a, template: weekly_promo, start: 2026-03-06}
  - {id: t1, template: theme_launch, start: 2026-03-13}
  - {id: t2, template: theme_launch, start: 2026-03-13}
"""


def _late_with(tmp_path: Path, role: str, k: int) -> int:
    data = yaml.safe_load(PLAN)
    staff = []
    for person in data["staff"]:
        person["roles"] = [r for r in person["roles"] if r != role]
        if person["roles"]:
            staff.append(person)
    staff += [{"id": f"extra_{i}", "name": f"extra {i}", "roles": [role]} for i in range(k)]
    data["staff"] = staff
    plan = tmp_path / f"{role}{k}.yaml"
    plan.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / f"out_{role}{k}"
    result = invoke_cli(["plan", plan, "--out", out, "--no-suggest"])
    assert result.exit_code in (0, 4), result.output
    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    assert rules.check_schedule(plan, schedule) == []
    return sum(t["late_days"] for t in schedule["tasks"])


@pytest.mark.parametrize("role", ["design"])  # two launches at once: two designers
def test_the_fewest_people_of_a_role_match_brute_force(tmp_path, role):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    result = invoke_cli(["staffing", plan, "--role", role])
    assert result.exit_code == 0, result.output
    # the role by its name, its key beside it: "美工 (design)"
    row = next(line for line in result.output.splitlines() if f"({role})  " in line)
    in_plan, fewest, proven, late = re.split(r"\s{2,}", row)[1:5]
    late_by_k = {k: _late_with(tmp_path, role, k) for k in range(1, int(fewest) + 2)}
    best = min(late_by_k.values())
    assert int(late) == late_by_k[int(fewest)] == best
    assert int(fewest) == min(k for k, v in late_by_k.items() if v == best)
    assert proven in ("yes", "是")  # in the plan's language
    assert in_plan == "1"
    assert int(fewest) == 2


def test_an_unknown_role_is_bad_input(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    result = invoke_cli(["staffing", plan, "--role", "designer"])
    assert result.exit_code == 2
    assert "--role: designer: no staff member holds this role" in result.output
