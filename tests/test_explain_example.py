"""Over-constrained variants of the bundled example (a zh plan): the explanation names the
people, holidays and steps that collide, and nobody who had nothing to do (issue 13).

Four variants of examples/tmall-flagship-2027.yaml, each planned by the CLI and checked by
tests/rules.py; every claim of every late task's explanation is then checked against the
schedule and the plan by test_explain's claim checker (each predecessor named is a
predecessor that ends on the day said; each person blamed had leave or another task in the
window):
- both designers away over the Double Eleven preparation;
- both designers away the week before the Spring Festival, a holiday without make-up days
  in the 2027 estimate, with the plan's own closed days after it: the break is named;
- 618 moved ten days earlier once its preparation had begun (`replan --today`): the work
  already under way is named as what fixed the late step;
- the only operations person away over Double Eleven's strict registration: no schedule,
  and the conflict names the window and the leave.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
import rules
import yaml
from conftest import REPO_ROOT, invoke_cli
from test_explain import _check_claims, _reasons

EXAMPLE = REPO_ROOT / "examples" / "tmall-flagship-2027.yaml"


def _variant(folder: Path, change) -> Path:
    """The example with `change(data)` applied, written into `folder`."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    change(data)
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _person(data: dict, person_id: str) -> dict:
    return next(p for p in data["staff"] if p["id"] == person_id)


def _away(data: dict, people: list[str], first: date, last: date) -> None:
    for person_id in people:
        _person(data, person_id).setdefault("leave", []).append({"from": first, "to": last})


def _planned(plan: Path, *options: str, expect: int = 4) -> tuple[dict, str]:
    out = plan.parent / "out"
    result = invoke_cli(["plan", plan, "--out", out, "--no-suggest", *options])
    assert result.exit_code == expect, result.output
    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    return schedule, result.output


def _late_reasons(schedule: dict) -> list[str]:
    return [text for term, text in _reasons(schedule).items() if term.startswith("late[")]


def test_both_designers_away_over_double_eleven_are_named(tmp_path):
    def change(data):
        _person(data, "chen_hao")["leave"] = [{"from": date(2027, 9, 20), "to": date(2027, 10, 15)}]
        _away(data, ["zhang_ting"], date(2027, 10, 8), date(2027, 10, 22))

    plan = _variant(tmp_path, change)
    schedule, output = _planned(plan)
    assert rules.check_schedule(plan, schedule) == []
    reasons = _late_reasons(schedule)
    assert reasons and all(text in output for text in reasons)
    # Double Eleven's steps come first: what is late is October's weekly sale and member day
    assert any("weekly_promo@2027-10-15/design" in text for text in reasons)
    for text in reasons:  # every late step waited for the designers
        assert "陈浩 (chen_hao) 休假 2027-09-20..2027-10-15" in text, text
        assert "张婷 (zhang_ting) 休假 2027-10-08..2027-10-22" in text, text
    assert _check_claims(plan, schedule) >= len(reasons)


def test_the_spring_festival_and_the_closed_days_after_it_are_named(tmp_path):
    # the example closes the store 02-11..02-12, after the holiday (2027-02-05..02-10 in
    # the holidays library's estimate: no make-up working day)
    plan = _variant(
        tmp_path,
        lambda d: _away(d, ["zhang_ting", "chen_hao"], date(2027, 1, 27), date(2027, 2, 4)),
    )
    schedule, _ = _planned(plan)
    assert rules.check_schedule(plan, schedule) == []
    reasons = _late_reasons(schedule)
    named = [t for t in reasons if "2027-02-05..2027-02-14 是春节" in t]
    assert named, reasons
    assert all("2027-02-11..2027-02-12 店休 (closed)，不上班" in t for t in named)
    assert all("休假 2027-01-27..2027-02-04" in t for t in named)
    assert _check_claims(plan, schedule) >= len(reasons)


def test_618_moved_ten_days_earlier_after_its_preparation_began(tmp_path, yearly_planned):
    out = tmp_path / "out"
    shutil.copytree(yearly_planned.out, out)

    def change(data):
        sale = next(a for a in data["activities"] if a.get("id") == "mid_year_618_2027")
        sale["start"], sale["end"] = date(2027, 5, 21), date(2027, 6, 10)

    plan = _variant(tmp_path, change)
    today = "2027-05-06"
    result = invoke_cli(["replan", plan, "--out", out, "--today", today, "--no-suggest"])
    assert result.exit_code == 4, result.output
    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    assert rules.check_schedule(plan, schedule, today=today) == []
    reasons = _reasons(schedule)
    design = reasons["late[mid_year_618_2027/design]"]
    started = next(t for t in schedule["tasks"] if t["id"] == "mid_year_618_2027/design")
    assert started["start"] < today  # it was under way: it keeps its start
    assert f"它自 {started['start']} 起已在进行或已完成" in design, design
    assert design in result.output


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_only_operations_person_away_over_a_strict_registration(tmp_path, language):
    def change(data):
        data["language"] = language
        data["staff"] = [p for p in data["staff"] if p["id"] != "wang_fang"]
        _person(data, "li_ming")["leave"] = [{"from": date(2027, 9, 13), "to": date(2027, 10, 8)}]

    plan = _variant(tmp_path, change)
    schedule, output = _planned(plan, expect=3)
    assert schedule["status"] == "infeasible"
    said = {
        "zh": ["(double_eleven_2027/registration) 不能早于最早日期 2027-09-15 开始",
               "最晚 2027-09-29 必须完成；它需要 李明 (li_ming) 的 1 个工作日",
               "李明 (li_ming) 休假 2027-09-13..2027-10-08"],
        "en": ["(double_eleven_2027/registration) may not start before its earliest date "
               "2027-09-15", "it must finish by 2027-09-29; it needs 1 working day(s) of "
               "李明 (li_ming)", "李明 (li_ming) is on leave 2027-09-13..2027-10-08"],
    }[language]  # fmt: skip
    for words in said:
        assert words in output, output
    assert "zhang_ting" not in output and "chen_hao" not in output  # not in the conflict
