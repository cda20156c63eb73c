"""Self-checks of tests/rules.py, the independent rule checker (no engine needed).

The conformance cases list the forced schedule of each plan: rebuilt as a
schedule.json dict, each must pass the checker with zero violations, and each
perturbation (a shifted date, a wrong assignee, an overlap ...) must be caught
under the rule it breaks.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date, timedelta

import pytest
import rules
import yaml
from conftest import CONFORMANCE_DIR

# Every test here reads the conformance cases: skipped without them, failed under CI.
needs_cases = pytest.mark.usefixtures("conformance_dir")

# Cases whose expect.yaml lists every task of the schedule.
FULL_CASES = [
    "01-holiday-makeup",
    "02-wd-offset-weekend",
    "03-lags",
    "04-due-non-working",
    "05-earliest-non-working",
    "06-rrule-dtstart",
    "07-festivals",
    "08-capacity-load",
    "09-owner",
    "10-prep-before-start",
    "11-closed-open",
    "17-stores",
]


def load_expect(case: str) -> dict:
    return yaml.safe_load((CONFORMANCE_DIR / case / "expect.yaml").read_text(encoding="utf-8"))


def schedule_from_expect(case: str, plan_file: str = "plan.yaml") -> dict:
    """A schedule.json dict with the listed tasks; name/role/load/due from the templates."""
    plan = rules.load_plan(CONFORMANCE_DIR / case / plan_file)
    tasks = []
    for task_id, want in load_expect(case)["tasks"].items():
        activity, _, step_id = task_id.rpartition("/")
        spec = plan.tasks.get(task_id)
        step = spec.step if spec else None
        tasks.append(
            {
                "id": task_id,
                "activity": activity,
                "step": step_id,
                "name": rules.step_name(step, plan.language) if step else step_id,
                "role": step.role if step else None,
                "assignee": want["assignee"],
                "start": want["start"],
                "end": want["end"],
                "load": step.load if step else 100,
                "due": spec.due.isoformat() if spec and spec.due else None,
                "late_days": want.get("late_days", 0),
            }
        )
    return {"format": 1, "plan": plan.name, "status": "optimal", "tasks": tasks}


def check(case: str, schedule: dict, plan_file: str = "plan.yaml", **kwargs) -> list[str]:
    return rules.check_schedule(CONFORMANCE_DIR / case / plan_file, schedule, **kwargs)


def task(schedule: dict, task_id: str) -> dict:
    return next(t for t in schedule["tasks"] if t["id"] == task_id)


# --------------------------------------------------------------------------- valid schedules


@needs_cases
@pytest.mark.parametrize("case", FULL_CASES)
def test_expect_lists_every_task(case):
    expect = load_expect(case)
    assert len(expect["tasks"]) == expect["task_count"]


@needs_cases
@pytest.mark.parametrize("case", FULL_CASES)
def test_forced_schedule_has_no_violation(case):
    assert check(case, schedule_from_expect(case)) == []


@needs_cases
def test_replan_baseline_has_no_violation():
    baseline = json.loads((CONFORMANCE_DIR / "13-replan" / "baseline.json").read_text("utf-8"))
    assert check("13-replan", baseline, "plan0.yaml") == []


@needs_cases
def test_replan_result_has_no_violation_from_today_on():
    schedule = schedule_from_expect("13-replan")
    assert check("13-replan", schedule, today="2026-03-23") == []
    # Without `today`, the history breaks rules 1 (zhao_lei left) and 3 (li_na's leave).
    kinds = {v.split(":")[0] for v in check("13-replan", schedule)}
    assert kinds == {"rule 1", "rule 3"}


@needs_cases
def test_infeasible_schedule_without_tasks_is_consistent():
    plan = rules.load_plan(CONFORMANCE_DIR / "12-infeasible-leave" / "plan.yaml")
    schedule = {"format": 1, "plan": plan.name, "status": "infeasible", "tasks": []}
    assert check("12-infeasible-leave", schedule) == []


# --------------------------------------------------------------------------- calendar and offsets


def test_calendar_2026_matches_the_published_cn_schedule():
    """The days off and make-up days the conformance README lists for 2026."""
    off_ranges = [
        ("01-01", "01-03"),
        ("02-15", "02-23"),
        ("04-04", "04-06"),
        ("05-01", "05-05"),
        ("06-19", "06-21"),
        ("09-25", "09-27"),
        ("10-01", "10-07"),
    ]
    off = set()
    for first, last in off_ranges:
        day = date.fromisoformat(f"2026-{first}")
        while day <= date.fromisoformat(f"2026-{last}"):
            off.add(day)
            day += timedelta(days=1)
    makeup = {
        date.fromisoformat(f"2026-{d}")
        for d in ("01-04", "02-14", "02-28", "05-09", "09-20", "10-10")
    }
    calendar = rules.WorkCalendar(
        {"workdays": ["mon", "tue", "wed", "thu", "fri"], "holidays": "CN"}
    )
    day = date(2026, 1, 1)
    while day.year == 2026:
        want = day in makeup or (day.weekday() < 5 and day not in off)
        assert calendar.is_working(day) == want, day
        day += timedelta(days=1)


def test_closed_and_open_override_the_official_calendar():
    calendar = rules.WorkCalendar(
        {
            "holidays": "CN",
            "closed": [date(2026, 3, 11), date(2026, 10, 10)],
            "open": ["2026-03-14", "2026-10-05"],
        }
    )
    assert not calendar.is_working(date(2026, 3, 11))  # a closed Wednesday
    assert not calendar.is_working(date(2026, 10, 10))  # a closed make-up Saturday
    assert calendar.is_working(date(2026, 3, 14))  # an open Saturday
    assert calendar.is_working(date(2026, 10, 5))  # an open holiday


def test_wd_offsets_are_excel_workday_from_the_anchor():
    calendar = rules.WorkCalendar({"holidays": "CN"})
    saturday = date(2026, 3, 14)
    assert calendar.workday(saturday, -1) == date(2026, 3, 13)
    assert calendar.workday(saturday, 1) == date(2026, 3, 16)
    assert calendar.workday(saturday, -6) == date(2026, 3, 6)
    assert calendar.workday(saturday, 0) == saturday


def test_offsets_parse():
    assert rules.parse_offset("start-30d") == ("start", -30, "d")
    assert rules.parse_offset("start+2wd") == ("start", 2, "wd")
    assert rules.parse_offset("end") == ("end", 0, "d")
    with pytest.raises(ValueError):
        rules.parse_offset("start - 3d")
    assert rules.parse_after("photos+1wd") == rules.Lag("photos", 1, "wd")
    assert rules.parse_after("stock+10d") == rules.Lag("stock", 10, "d")
    assert rules.parse_after("copy") == rules.Lag("copy", 0, "wd")


def test_festival_dates_2026():
    assert rules.festival_date("qixi", 2026) == date(2026, 8, 19)
    assert rules.festival_date("mid_autumn", 2026) == date(2026, 9, 25)
    assert rules.festival_date("double_ninth", 2026) == date(2026, 10, 18)
    assert rules.festival_date("double_nine", 2026) == date(2026, 9, 9)
    assert rules.festival_date("spring_festival", 2026) == date(2026, 2, 17)


def test_late_days_count_from_the_due_as_written():
    calendar = rules.WorkCalendar({"holidays": "CN"})
    saturday = date(2026, 3, 21)
    assert rules.expected_late_days(date(2026, 3, 24), saturday, calendar) == 3
    assert rules.expected_late_days(date(2026, 3, 20), saturday, calendar) == 0
    assert rules.expected_late_days(date(2026, 3, 20), None, calendar) == 0


# --------------------------------------------------------------------------- perturbations


def edit(task_id: str, **fields) -> Callable[[dict], None]:
    def apply(schedule: dict) -> None:
        task(schedule, task_id).update(fields)

    return apply


def drop(task_id: str) -> Callable[[dict], None]:
    def apply(schedule: dict) -> None:
        schedule["tasks"] = [t for t in schedule["tasks"] if t["id"] != task_id]

    return apply


def duplicate(task_id: str, new_id: str | None = None) -> Callable[[dict], None]:
    def apply(schedule: dict) -> None:
        extra = copy.deepcopy(task(schedule, task_id))
        if new_id:
            extra["id"] = new_id
        schedule["tasks"].append(extra)

    return apply


def top(**fields) -> Callable[[dict], None]:
    def apply(schedule: dict) -> None:
        schedule.update(fields)

    return apply


PERTURBATIONS = [
    # (case, change, the kind of violation it must cause)
    ("01-holiday-makeup", edit("autumn_launch@2026-10-15/design", assignee="wang_fang"), "rule 1"),
    ("01-holiday-makeup", edit("autumn_launch@2026-10-15/design", assignee="nobody"), "rule 1"),
    (
        "09-owner",
        edit(
            "member_day/poster",
            assignee="zhao_lei",
            late_days=0,
            start="2026-03-11",
            end="2026-03-11",
        ),
        "rule 1",
    ),
    (
        "17-stores",
        edit(
            "tmall:b/prep", assignee="chen_jie", start="2026-03-12", end="2026-03-12", late_days=0
        ),
        "rule 1",
    ),
    # design keeps its start but ends a working day later: 6 working days, duration 5
    ("01-holiday-makeup", edit("autumn_launch@2026-10-15/design", end="2026-10-12"), "rule 2"),
    (
        "02-wd-offset-weekend",
        edit("weekend_flash@2026-03-14/check", start="2026-03-14", end="2026-03-14"),
        "rule 2",
    ),
    # make-up Sunday 09-20 is a working day; Saturday 09-19 is not
    (
        "01-holiday-makeup",
        edit("autumn_launch@2026-10-15/kickoff", start="2026-09-19", end="2026-09-19"),
        "rule 2",
    ),
    ("11-closed-open", edit("march_sale@2026-03-16/copy", start="2026-03-11"), "rule 2"),
    (
        "08-capacity-load",
        edit("tea_festival@2026-03-20/detail", start="2026-03-17", end="2026-03-17", late_days=0),
        "rule 4",
    ),
    ("09-owner", edit("new_arrivals/plan", assignee="wang_fang"), "rule 4"),
    (
        "06-rrule-dtstart",
        edit("live_show@2026-03-14/prep", start="2026-03-12", end="2026-03-12"),
        "rule 4",
    ),
    (
        "03-lags",
        edit("sample_lag@2026-03-16/shoot", start="2026-03-09", end="2026-03-09", late_days=0),
        "rule 5",
    ),
    (
        "03-lags",
        edit("sample_lag@2026-03-16/qc", start="2026-03-09", end="2026-03-09", late_days=0),
        "rule 5",
    ),
    (
        "10-prep-before-start",
        edit("summer_clearance@2026-07-03/photos", start="2026-06-24", end="2026-06-26"),
        "rule 5",
    ),
    (
        "05-earliest-non-working",
        edit("member_week@2026-03-16/copy", start="2026-03-06", end="2026-03-09", late_days=0),
        "rule 6",
    ),
    (
        "01-holiday-makeup",
        edit("autumn_launch@2026-10-15/design", start="2026-09-28", end="2026-10-09"),
        "rule 6",
    ),
    (
        "04-due-non-working",
        edit("spring_tea@2026-03-23/setup", start="2026-03-20", end="2026-03-23", late_days=2),
        "rule 6",
    ),
    ("04-due-non-working", edit("spring_tea@2026-03-23/notice", late_days=4), "rule 7"),
    ("04-due-non-working", edit("spring_tea@2026-03-23/notice", late_days=0), "rule 7"),
    (
        "01-holiday-makeup",
        edit("autumn_launch@2026-10-15/listing", start="2026-10-13", end="2026-10-13"),
        "rule 7",
    ),
    ("07-festivals", drop("festival_promo@2026-09-25/poster"), "tasks"),
    (
        "07-festivals",
        duplicate("festival_promo@2026-09-25/poster", "festival_promo@2026-02-17/poster"),
        "tasks",
    ),
    ("07-festivals", duplicate("festival_promo@2026-09-25/poster"), "tasks"),
    (
        "06-rrule-dtstart",
        duplicate("friday_deal@2026-03-06/prep", "friday_deal@2026-03-01/prep"),
        "tasks",
    ),
    ("17-stores", edit("jd:c/prep", activity="c"), "fields"),
    ("08-capacity-load", edit("tea_festival@2026-03-20/coupon", load=100), "fields"),
    ("02-wd-offset-weekend", top(status="done"), "schedule"),
    ("02-wd-offset-weekend", top(plan="another plan"), "schedule"),
]


@needs_cases
@pytest.mark.parametrize(
    ("case", "change", "kind"),
    PERTURBATIONS,
    ids=[
        f"{case[:2]}-{kind.replace(' ', '')}-{i}" for i, (case, _, kind) in enumerate(PERTURBATIONS)
    ],
)
def test_perturbation_is_caught(case, change, kind):
    schedule = schedule_from_expect(case)
    change(schedule)
    violations = check(case, schedule)
    assert any(v.startswith(kind + ":") for v in violations), violations


@needs_cases
def test_leave_is_caught_in_the_baseline():
    baseline = json.loads((CONFORMANCE_DIR / "13-replan" / "baseline.json").read_text("utf-8"))
    task(baseline, "member_day/photos")["assignee"] = "li_na"  # on leave 03-12..03-20
    violations = check("13-replan", baseline, "plan0.yaml")
    assert [v for v in violations if v.startswith("rule 3:")] == [
        "rule 3: member_day/photos: li_na is on leave on 2026-03-19",
        "rule 3: member_day/photos: li_na is on leave on 2026-03-20",
    ]


@needs_cases
def test_overlapping_full_day_tasks_are_caught():
    """Two 100% tasks of one person on one day: exactly one rule-4 line for that day."""
    schedule = schedule_from_expect("09-owner")
    task(schedule, "new_arrivals/plan")["assignee"] = "wang_fang"
    violations = check("09-owner", schedule)
    assert violations == [
        "rule 4: wang_fang on 2026-03-12: loads 200 > capacity 100: "
        "member_day/poster (100), new_arrivals/plan (100)"
    ]


@needs_cases
def test_infeasible_with_tasks_is_caught():
    schedule = schedule_from_expect("02-wd-offset-weekend")
    schedule["status"] = "infeasible"
    assert any(v.startswith("schedule:") for v in check("02-wd-offset-weekend", schedule))
