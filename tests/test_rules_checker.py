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
    "18-except",
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


def duplicate_as(
    task_id: str, old_date: str, new_date: str, shift_days: int
) -> Callable[[dict], None]:
    """A copy of a task for the occurrence on `new_date`, its dates moved along."""

    def apply(schedule: dict) -> None:
        extra = copy.deepcopy(task(schedule, task_id))
        for key in ("id", "activity"):
            extra[key] = extra[key].replace(old_date, new_date)
        for key in ("start", "end", "due"):
            moved = date.fromisoformat(extra[key]) + timedelta(days=shift_days)
            extra[key] = moved.isoformat()
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
    # An occurrence on an `except` date (03-13), complete and well placed: still no task
    # the plan implies.
    (
        "18-except",
        duplicate_as("friday_deal@2026-03-06/prep", "2026-03-06", "2026-03-13", shift_days=7),
        "tasks",
    ),
    # `due` holds the date as written (Saturday 03-21, Sunday 03-22), not the Friday
    # before it by which the task must finish.
    ("04-due-non-working", edit("spring_tea@2026-03-23/notice", due="2026-03-20"), "fields"),
    ("04-due-non-working", edit("spring_tea@2026-03-23/setup", due="2026-03-20"), "fields"),
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


# --------------------------------------------------------------------------- except


@needs_cases
def test_an_excepted_occurrence_is_named():
    schedule = schedule_from_expect("18-except")
    duplicate_as("friday_deal@2026-03-06/prep", "2026-03-06", "2026-03-27", shift_days=21)(schedule)
    assert check("18-except", schedule) == [
        "tasks: friday_deal@2026-03-27/prep is not implied by the plan"
    ]


@needs_cases
def test_the_checker_leaves_except_dates_out():
    plan = rules.load_plan(CONFORMANCE_DIR / "18-except" / "plan.yaml")
    assert [o.id for o in plan.occurrences] == [
        "friday_deal@2026-03-06",
        "friday_deal@2026-03-20",
    ]


def write_plan(folder, case: str, activities: str) -> object:
    """A copy of a conformance plan with other `activities` (the case's templates)."""
    text = (CONFORMANCE_DIR / case / "plan.yaml").read_text(encoding="utf-8")
    head = text[: text.index("activities:")]
    head = head.replace(
        "templates: [templates]", f"templates: [{CONFORMANCE_DIR / case}/templates]"
    )
    path = folder / "plan.yaml"
    path.write_text(head + "activities:\n" + activities, encoding="utf-8")
    return path


@needs_cases
@pytest.mark.parametrize(
    ("case", "activities", "stray"),
    [
        # a Saturday: the series has no occurrence on it
        (
            "18-except",
            '  - {template: friday_deal, repeat: "FREQ=WEEKLY;BYDAY=FR", except: [2026-03-14]}\n',
            "2026-03-14",
        ),
        # a Friday after the plan's end: no occurrence either
        (
            "18-except",
            '  - {template: friday_deal, repeat: "FREQ=WEEKLY;BYDAY=FR", except: [2026-04-03]}\n',
            "2026-04-03",
        ),
        # qixi is 2026-08-19, not 08-18
        (
            "07-festivals",
            "  - {template: festival_promo, festival: qixi, except: [2026-08-18]}\n",
            "2026-08-18",
        ),
    ],
    ids=["not-a-friday", "after-the-end", "not-qixi"],
)
def test_an_except_date_that_is_no_occurrence_is_bad_input(tmp_path, case, activities, stray):
    path = write_plan(tmp_path, case, activities)
    with pytest.raises(ValueError, match=stray):
        rules.load_plan(path)


@needs_cases
def test_except_on_a_festival_leaves_its_date_out(tmp_path):
    path = write_plan(
        tmp_path,
        "07-festivals",
        "  - {template: festival_promo, festival: qixi, except: [2026-08-19]}\n"
        "  - {template: festival_promo, festival: mid_autumn}\n",
    )
    assert [o.id for o in rules.load_plan(path).occurrences] == ["festival_promo@2026-09-25"]


# --------------------------------------------------------------------------- re-planning history


# Case 13 re-planned on 2026-03-23: spring_new's three tasks and member_day/plan ended
# before it. Rules 1-4 are not re-checked for them, rules 5 and 6 are (FORMAT section 5).
FINISHED_PERTURBATIONS = [
    # listing on photos' last day (03-16): breaks `after: [photos]`
    (edit("spring_new/listing", start="2026-03-16", end="2026-03-16"), "rule 5"),
    # plan a day before its earliest start-9d (03-11)
    (edit("spring_new/plan", start="2026-03-10", end="2026-03-10"), "rule 6"),
    # plan moved (a day late) onto the first day of the photos under way (03-19): they
    # start on their predecessor's last day
    (edit("member_day/plan", start="2026-03-19", end="2026-03-19", late_days=1), "rule 5"),
]


@needs_cases
@pytest.mark.parametrize(
    ("change", "kind"),
    FINISHED_PERTURBATIONS,
    ids=[f"{kind.replace(' ', '')}-{i}" for i, (_, kind) in enumerate(FINISHED_PERTURBATIONS)],
)
def test_a_finished_task_is_held_to_rules_5_and_6(change, kind):
    schedule = schedule_from_expect("13-replan")
    assert check("13-replan", schedule, today="2026-03-23") == []
    change(schedule)
    violations = check("13-replan", schedule, today="2026-03-23")
    assert violations and all(v.startswith(kind + ":") for v in violations), violations


@needs_cases
def test_a_finished_task_is_not_held_to_rules_1_to_4():
    """The flip side: a finished task's departed assignee and leave are history."""
    schedule = schedule_from_expect("13-replan")
    task(schedule, "spring_new/photos")["assignee"] = "li_na"  # on leave 03-12..03-20
    assert check("13-replan", schedule, today="2026-03-23") == []
    assert any(v.startswith("rule 3:") for v in check("13-replan", schedule))


LONG_PREP = """\
id: long_prep
name: {en: Long preparation, zh: 长准备}
steps:
  - id: prep
    name: {en: Prepare, zh: 准备}
    role: operations
    duration: 3
    earliest: start-5d             # Sunday 2026-03-15 for a sale on Friday 03-20
    due: start-1d
"""


def under_way_schedule(tmp_path, start: str, end: str) -> tuple[object, dict]:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "long_prep.yaml").write_text(LONG_PREP, encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "name: under way\nstart: 2026-03-01\nend: 2026-03-31\ntemplates: [templates]\n"
        "calendar: {holidays: CN}\n"
        "staff: [{id: wang_fang, name: Wang Fang, roles: [operations]}]\n"
        "activities: [{id: sale, template: long_prep, start: 2026-03-20}]\n",
        encoding="utf-8",
    )
    schedule = {
        "format": 1,
        "plan": "under way",
        "status": "optimal",
        "tasks": [
            {
                "id": "sale/prep",
                "activity": "sale",
                "step": "prep",
                "name": "Prepare",
                "role": "operations",
                "assignee": "wang_fang",
                "start": start,
                "end": end,
                "load": 100,
                "due": "2026-03-19",
                "late_days": 0,
            }
        ],
    }
    return plan, schedule


def test_a_task_under_way_is_held_to_its_earliest(tmp_path):
    """Thu 03-12, Fri 03-13, Mon 03-16 is under way on 03-16 and starts before its
    earliest (03-15): the kept start breaks rule 6, which the contract never lifts."""
    plan, schedule = under_way_schedule(tmp_path, "2026-03-12", "2026-03-16")
    assert rules.check_schedule(plan, schedule, today="2026-03-16") == [
        "rule 6: sale/prep: starts 2026-03-12, before its earliest 2026-03-15"
    ]


def test_a_task_under_way_after_its_earliest_is_fine(tmp_path):
    plan, schedule = under_way_schedule(tmp_path, "2026-03-16", "2026-03-18")
    assert rules.check_schedule(plan, schedule, today="2026-03-17") == []
    assert rules.check_schedule(plan, schedule) == []


# --------------------------------------------------------------------------- due field


@needs_cases
def test_due_is_the_date_as_written():
    schedule = schedule_from_expect("04-due-non-working")
    assert task(schedule, "spring_tea@2026-03-23/notice")["due"] == "2026-03-21"  # a Saturday
    assert check("04-due-non-working", schedule) == []
    task(schedule, "spring_tea@2026-03-23/notice")["due"] = "2026-03-20"
    assert check("04-due-non-working", schedule) == [
        "fields: spring_tea@2026-03-23/notice: due '2026-03-20', expected 2026-03-21 "
        "as written (the last working day before it is 2026-03-20)"
    ]
