"""Why tasks are late and what would fix it (issue 13 items 1-4), read from the solved
schedule.

Each plan is planned into a folder (its schedule.json checked by tests/rules.py) and then
explained. The explanation's claims are checked against the schedule and the plan file,
not against the engine's own chain, in the plan's language (a zh plan's are Chinese
sentences, an en plan's English ones): every "waits for X, which ends E" names a real
predecessor that ends on E, after which the task starts on the first working day allowed;
every person named as the reason had leave or another task between the day the chain's
first task could have started and its end (nobody with nothing in the window is blamed);
the holiday between two links is named. Every suggested fix is applied with the jsonpatch
library to the plan's YAML data and planned by the CLI: it gets exactly the late days it
claims, fewer than before.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import jsonpatch
import pytest
import rules
import yaml
from conftest import invoke_cli, require_conformance

WEEKLY_STAFF = """
staff:
  - {id: wang_fang, name: 王芳, roles: [operations]}
  - {id: zhao_lei, name: 赵磊, roles: [promotion, operations]}
  - id: li_na
    name: 李娜
    roles: [design]
    leave: LEAVE
  - {id: chen_jing, name: 陈静, roles: [customer_service], capacity: 50}
"""

DESIGNER_AWAY = (
    """
name: 小山茶铺 设计师休假
timezone: Asia/Shanghai
start: 2026-03-01
end: 2026-03-14
language: zh
calendar: {workdays: [mon, tue, wed, thu, fri], holidays: CN}
"""
    + WEEKLY_STAFF.replace("LEAVE", "[{from: 2026-03-02, to: 2026-03-09}]")
    + """
activities:
  - {template: weekly_promo, repeat: "FREQ=WEEKLY;BYDAY=FR"}
"""
)

SPRING_FESTIVAL = (
    """
name: 春节前后
timezone: Asia/Shanghai
start: 2026-02-20
end: 2026-02-28
language: LANGUAGE
calendar: {workdays: [mon, tue, wed, thu, fri], holidays: CN}
"""
    + WEEKLY_STAFF.replace(
        "LEAVE", "[{from: 2026-02-14, to: 2026-02-14}, {from: 2026-02-24, to: 2026-02-24}]"
    )
    + """
activities:
  - {id: wk, template: weekly_promo, start: 2026-02-27}
"""
)

DATE = r"\d{4}-\d\d-\d\d"


def _planned(tmp_path: Path, text: str, with_plan: bool = False) -> tuple[Path, dict, str]:
    """Plan `text` into a folder, check the schedule by the rules, then explain it; the
    output of `explain` (after that of `plan` when `with_plan`)."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = invoke_cli(["plan", plan, "--out", out, "--suggest"])
    assert result.exit_code == 4, result.output
    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    assert rules.check_schedule(plan, schedule) == []
    before = sorted(p.name for p in tmp_path.iterdir())
    explained = invoke_cli(["explain", plan])
    assert explained.exit_code == 4, explained.output
    assert "Traceback" not in explained.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "explain wrote something"
    return plan, schedule, (result.output + "\n" if with_plan else "") + explained.output


@pytest.fixture(scope="module")
def designer_away(tmp_path_factory) -> tuple[Path, dict, str]:
    """The designer-away plan, planned and explained once for the tests that read it."""
    return _planned(tmp_path_factory.mktemp("designer_away"), DESIGNER_AWAY)


def _reasons(schedule: dict) -> dict[str, str]:
    return {item["term"]: item["text"] for item in schedule.get("explanation", [])}


def _leave(plan: Path) -> dict[str, list[tuple[date, date]]]:
    data = yaml.safe_load(plan.read_text(encoding="utf-8"))
    return {
        p["id"]: [(rules.as_date(lv["from"]), rules.as_date(lv["to"])) for lv in p.get("leave", [])]
        for p in data["staff"]
    }


# How each claim reads, by the plan's language (scheduler/phrases.py): the separator after
# "ends E, late by N", the one between links, "X waits for P (id), which ends E" (with the
# mark of a lag after P), "X could start D, but R" and a person blamed in R.
CLAIMS = {
    "en": {
        "reason": ": ",
        "clauses": "; ",
        "waits": rf"(?:it|.+?) waits for .+? \(([^()]+)\)(?: and \S+ after it)?, "
        rf"which ends ({DATE})",
        "lag": " after it",
        "then": rf", and could start ({DATE}), but (.*)$",
        "could": rf"(?:it|.+ \(([^()]+)\)) could start ({DATE}), but (.*)$",
        "blamed": r"\(([a-z][a-z0-9_]*)\) is ",
    },
    "zh": {
        "reason": "：",
        "clauses": "；",
        "waits": rf"(?:它|.+?)要等 .+? \(([^()]+)\) 完成（({DATE})）",
        "lag": "之后还要再隔",
        "then": rf"，最早可在 ({DATE}) 开始，但(.*)$",
        "could": rf"(?:它|.+ \(([^()]+)\) )最早可在 ({DATE}) 开始，但(.*)$",
        "blamed": r"\(([a-z][a-z0-9_]*)\) (?:休假|正忙于)",
    },
}


def _check_claims(plan: Path, schedule: dict) -> int:
    """Every claim of every late task's explanation, against the schedule and the plan.
    Returns how many claims were checked."""
    tasks = {t["id"]: t for t in schedule["tasks"]}
    calendar = rules.load_plan(plan).calendar
    leave = _leave(plan)
    words = CLAIMS["zh" if schedule["language"].startswith("zh") else "en"]
    checked = 0
    for term, text in _reasons(schedule).items():
        if not term.startswith("late["):
            continue
        task = tasks[term[5:-1]]
        parts = text.split(words["reason"], 1)[1].split(words["clauses"])
        current = task
        for part in parts:
            waits = re.match(words["waits"], part)
            if waits:
                pred = tasks[waits.group(1)]
                assert pred["id"] in current["after"], (term, part)
                assert pred["end"] == waits.group(2), (term, part)
                first_allowed = rules.as_date(pred["end"]) + timedelta(days=1)
                while not calendar.is_working(first_allowed):
                    first_allowed += timedelta(days=1)
                then = re.search(words["then"], part)
                if then:
                    # the predecessor made it late, and then its people held it longer
                    assert rules.as_date(then.group(1)) == first_allowed, (term, part)
                    assert _late_if_started(current, first_allowed, calendar), (term, part)
                    checked += _check_blamed(current, first_allowed, then.group(2), words,
                                             leave, schedule, text)  # fmt: skip
                elif words["lag"] not in part:
                    assert rules.as_date(current["start"]) == first_allowed, (term, part)
                current = pred
                checked += 1
                continue
            could = re.match(words["could"], part)
            if could:
                root = tasks[could.group(1)] if could.group(1) else task
                assert root["id"] == current["id"], (term, part)
                first = rules.as_date(could.group(2))
                checked += _check_blamed(root, first, could.group(3), words, leave, schedule, text)
    return checked


def _late_if_started(task: dict, first: date, calendar) -> bool:
    """Whether `task`, started on `first`, would end after its due (its working days on)."""
    day, left = first, task["working_days"] - 1
    while left > 0:
        day += timedelta(days=1)
        left -= calendar.is_working(day)
    return rules.as_date(task["due"]) < day


def _check_blamed(root: dict, first: date, reason: str, words, leave, schedule, text) -> int:
    """Each person `reason` blames had leave or another task between `first` (the day `root`
    could have started, before it did) and `root`'s end. Returns how many were checked."""
    last = rules.as_date(root["end"])
    assert first < rules.as_date(root["start"]), (root["id"], reason)
    blamed = re.findall(words["blamed"], reason)
    assert blamed, (root["id"], reason)
    checked = 0
    for person in blamed:
        away = any(a <= last and b >= first for a, b in leave.get(person, []))
        busy = any(
            t["assignee"] == person
            and t["id"] != root["id"]
            and rules.as_date(t["start"]) <= last
            and rules.as_date(t["end"]) >= first
            for t in schedule["tasks"]
        )
        assert away or busy, f"{person} is blamed with nothing in {first}..{last}: {text}"
        checked += 1
    return checked


def test_a_late_task_waits_for_its_chain_not_for_an_idle_person(designer_away):
    plan, schedule, output = designer_away
    reasons = _reasons(schedule)
    cs_ready = reasons["late[weekly_promo@2026-03-06/cs_ready]"]
    assert "weekly_promo@2026-03-06/listing" in cs_ready
    assert "weekly_promo@2026-03-06/design" in cs_ready
    assert "李娜 (li_na) 休假 2026-03-02..2026-03-09" in cs_ready  # a zh plan: Chinese words
    assert "chen_jing" not in cs_ready  # she had nothing to do that week
    assert _check_claims(plan, schedule) >= 4
    assert cs_ready in output


def test_a_step_late_after_its_chain_and_then_its_person_names_both(tmp_path):
    # the designer's leave makes the 03-06 briefing a week late before 陈静 is even needed;
    # her day off on 03-12, the first day it could start, costs it one day more
    text = DESIGNER_AWAY.replace(
        "capacity: 50}", "capacity: 50, leave: [{from: 2026-03-12, to: 2026-03-12}]}"
    )
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    result = invoke_cli(["plan", plan, "--out", tmp_path / "out", "--no-suggest"])
    assert result.exit_code == 4, result.output
    schedule = json.loads((tmp_path / "out" / "schedule.json").read_text(encoding="utf-8"))
    assert rules.check_schedule(plan, schedule) == []
    reasons = _reasons(schedule)
    late = reasons["late[weekly_promo@2026-03-06/cs_ready]"]
    # the chain goes on past her: the listing, the design and 李娜's leave, which cost most
    assert "最早可在 2026-03-12 开始，但陈静 (chen_jing) 休假 2026-03-12" in late
    assert late.index("chen_jing") < late.index("weekly_promo@2026-03-06/design")
    assert "李娜 (li_na) 休假 2026-03-02..2026-03-09" in late
    # the next week's briefing is late by her day off alone: she is its whole reason
    alone = reasons["late[weekly_promo@2026-03-13/cs_ready]"]
    assert "陈静 (chen_jing) 休假 2026-03-12" in alone and "li_na" not in alone
    assert _check_claims(plan, schedule) >= 6


def test_a_promotion_that_cannot_be_prepared_before_it_ends_is_its_own_finding(designer_away):
    _plan, schedule, output = designer_away
    text = _reasons(schedule)["unprepared[weekly_promo@2026-03-06]"]
    ready = max(
        t["end"]
        for t in schedule["tasks"]
        if t["activity"] == "weekly_promo@2026-03-06" and t["due"] <= "2026-03-06"
    )
    assert ready > "2026-03-08"
    assert f"要到 {ready} 才能准备好，而上线期 2026-03-06..2026-03-08 已经结束" in text
    assert "来不及准备的活动：" in output
    # The next Friday's sale is ready in time: no finding for it.
    assert "unprepared[weekly_promo@2026-03-13]" not in _reasons(schedule)


# How a leave and a holiday between two steps read, by the plan's language.
SPRING_WORDS = {
    "zh": ("(li_na) 休假 2026-02-14、2026-02-24", "2026-02-15..2026-02-23 是春节"),
    "en": (
        "(li_na) is on leave 2026-02-14, 2026-02-24",
        "2026-02-15..2026-02-23 is Chinese New Year (Spring Festival)",
    ),
}


@pytest.fixture(scope="module", params=["zh", "en"])
def spring_festival(request, tmp_path_factory) -> tuple[str, Path, dict, str]:
    """The Spring Festival plan in each language, planned and explained once; the output of
    `plan` and `explain`."""
    folder = tmp_path_factory.mktemp(f"spring_{request.param}")
    text = SPRING_FESTIVAL.replace("LANGUAGE", request.param)
    return (request.param, *_planned(folder, text, with_plan=True))


def test_the_holiday_between_two_steps_is_named(spring_festival):
    language, plan, schedule, _ = spring_festival
    design = _reasons(schedule)["late[wk/design]"]
    leave, holiday = SPRING_WORDS[language]
    assert leave in design
    assert holiday in design
    assert _check_claims(plan, schedule) >= 3


# English sentence words that a zh plan's `plan` and `explain` never show (outside names and ids),
# and Chinese phrases that an en plan's never show (issue 13 item 6).
ENGLISH_WORDS = re.compile(
    r"\b(ends|waits for|could start|may not start|is on leave|busy with|late day|day\(s\)|"
    r"task\(s\)|status|Late|Fixes|no task late|Cannot|ready|no working days?|Wrote|tasks for)\b"
)
CHINESE_PHRASES = ("状态", "延误", "完成", "要等", "最早可在", "休假", "正忙于", "修改建议",
                   "无任务延误", "来不及准备", "不上班", "无法排出日程", "截止日")  # fmt: skip


def said(fix: dict, language: str) -> str:
    """A fix's words in one language: schedule.json's `text` holds both, `zh / en`
    (FORMAT.md section 6); the terminal shows the plan's."""
    zh, _, en = fix["text"].partition(" / ")
    return zh if language == "zh" else en


def test_plan_and_explain_speak_only_the_plan_language(spring_festival, designer_away):
    language, _plan, schedule, output = spring_festival
    # the fixes too: the terminal shows their words in the plan's language only
    text = output
    for fix in schedule.get("suggestions") or []:
        assert said(fix, language) in text, fix["text"]
    if language == "zh":
        _, _, away_output = designer_away  # a zh plan with an unprepared one
        text += "\n" + away_output
        assert ENGLISH_WORDS.findall(text) == [], text
        for phrase in (
            "状态：最优",
            "延误：",
            "延误的任务：",
            "修改建议（",
            "无任务延误",
            "已写入",
        ):
            assert phrase in text, phrase
    else:
        assert [p for p in CHINESE_PHRASES if p in text] == [], text
        for phrase in ("status optimal", "Late: ", "Late tasks:", "Fixes, each checked by "
                       "planning the changed plan:", ": no task late", "could start",
                       "tasks for", "Wrote "):  # fmt: skip
            assert phrase in text, phrase


@pytest.mark.parametrize(
    ("language", "on_time"),
    [("zh", "延误：0 项任务，共 0 天，所有任务都按时完成"), ("en", "every task is on time")],
)
def test_explain_of_a_plan_on_time_says_so_and_exits_0(tmp_path, language, on_time):
    plan = tmp_path / "plan.yaml"
    plan.write_text(DESIGNER_AWAY.replace("2026-03-09", "2026-03-02").replace(
        "2026-03-02..", "2026-02-02.."
    ).replace("{from: 2026-03-02, to: 2026-03-02}", "{from: 2026-05-04, to: 2026-05-05}")
        .replace("language: zh", f"language: {language}"),
        encoding="utf-8")  # fmt: skip
    result = invoke_cli(["explain", plan])
    assert result.exit_code == 0, result.output
    assert on_time in result.output
    assert not (tmp_path / "out").exists()


def test_explain_of_a_bad_plan_is_exit_2_with_the_field(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(DESIGNER_AWAY.replace("capacity: 50", "capacity: 500"), encoding="utf-8")
    result = invoke_cli(["explain", plan])
    assert result.exit_code == 2
    assert "staff[3].capacity" in result.output


# --------------------------------------------------------------------------- checked fixes


def _yaml_data(plan: Path) -> dict:
    """The plan file's data as FORMAT.md section 6 says a patch applies to it: dates as
    YYYY-MM-DD text."""

    def text_dates(value):
        if isinstance(value, dict):
            return {k: text_dates(v) for k, v in value.items()}
        if isinstance(value, list):
            return [text_dates(v) for v in value]
        return value.isoformat() if isinstance(value, date) else value

    return text_dates(yaml.safe_load(plan.read_text(encoding="utf-8")))


def _replanned(tmp_path: Path, plan: Path, patch: list, n: int) -> tuple[int, dict, Path]:
    """Apply `patch` with the jsonpatch library, write the YAML and plan it with the CLI."""
    data = jsonpatch.apply_patch(_yaml_data(plan), patch)
    patched = plan.with_name(f"patched{n}.yaml")
    patched.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / f"out{n}"
    result = invoke_cli(["plan", patched, "--out", out, "--no-suggest"])
    assert result.exit_code in (0, 4), result.output
    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    assert rules.check_schedule(patched, schedule) == []
    return result.exit_code, schedule, patched


def _late_days(schedule: dict) -> int:
    return sum(t["late_days"] for t in schedule["tasks"])


def test_every_suggested_fix_gets_the_late_days_it_claims(tmp_path, designer_away):
    plan, schedule, output = designer_away
    before = _late_days(schedule)
    fixes = schedule["suggestions"]
    assert fixes, "a plan late for lack of a designer gets fixes"
    assert "修改建议（每条都已按修改后的计划重新排期验证）：" in output
    kinds = set()
    for n, fix in enumerate(fixes):
        assert set(fix) == {"text", "patch", "late_days", "status"}
        assert all(op["path"].startswith(("/staff", "/activities")) for op in fix["patch"])
        _, replanned, _ = _replanned(tmp_path, plan, fix["patch"], n)
        assert _late_days(replanned) == fix["late_days"], fix["text"]
        assert replanned["status"] == fix["status"]
        assert fix["late_days"] < before
        kinds.add(fix["patch"][0]["path"].split("/")[1] + fix["patch"][0]["op"])
        assert said(fix, "zh") in output and fix["text"] not in output
    assert len(kinds) == len(fixes), "each fix is of another kind"
    assert [f["late_days"] for f in fixes] == sorted(f["late_days"] for f in fixes)


def test_an_impossible_plan_gets_a_fix_that_makes_it_possible(tmp_path):
    plan = tmp_path / "plan.yaml"
    folder = require_conformance() / "12-infeasible-leave"
    shutil.copytree(folder / "templates", tmp_path / "templates")
    plan.write_text((folder / "plan.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = invoke_cli(["plan", plan, "--out", tmp_path / "out", "--suggest"])
    assert result.exit_code == 3, result.output
    schedule = json.loads((tmp_path / "out" / "schedule.json").read_text(encoding="utf-8"))
    assert schedule["status"] == "infeasible"
    fixes = schedule["suggestions"]
    assert fixes
    for n, fix in enumerate(fixes):
        _, replanned, _ = _replanned(tmp_path, plan, fix["patch"], n)
        assert replanned["status"] in ("optimal", "feasible")
        assert _late_days(replanned) == fix["late_days"]
    explained = invoke_cli(["explain", plan])
    assert explained.exit_code == 3
    assert said(fixes[0], "zh") in explained.output


REGISTRATION = """
id: reg_launch
name: {zh: 报名上新, en: Registered launch}
kind: theme
live_days: 3
steps:
  - id: register
    name: {zh: 平台报名, en: Platform registration}
    role: operations
    duration: 3
    earliest: start-15wd
    due: start-12wd
    strict: true
  - id: review
    name: {zh: 复盘, en: Review}
    role: operations
    duration: 1
    after: [register]
    due: end+7d
"""

UNDER_WAY_PLAN = """
name: 报名进行中
timezone: Asia/Shanghai
start: 2026-03-01
end: 2026-06-30
language: zh
templates: [templates]
calendar: {workdays: [mon, tue, wed, thu, fri], holidays: CN}
staff:
  - {id: wang_fang, name: 王芳, roles: [operations]}
activities:
  - {id: launch, template: reg_launch, start: START}
  - {id: summer, template: reg_launch, start: 2026-06-26}
"""


def test_work_under_way_past_its_moved_strict_due_has_no_schedule_and_a_fix(tmp_path):
    """A strict step under way on T whose activity then moves so that its due is before
    T: its start is kept (FORMAT.md section 5) and rule 6 is hard, so no schedule exists;
    the message names the work under way, and leaving the activity out is offered and
    re-plans."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "reg_launch.yaml").write_text(REGISTRATION, encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text(UNDER_WAY_PLAN.replace("START", "2026-05-29"), encoding="utf-8")
    out = tmp_path / "out"
    assert invoke_cli(["plan", plan, "--out", out, "--effort", "1"]).exit_code == 0
    v1 = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    register = next(t for t in v1["tasks"] if t["id"] == "launch/register")
    first = date.fromisoformat(register["start"])
    today = first + timedelta(days=1)
    while today.weekday() >= 5:
        today += timedelta(days=1)
    assert today <= date.fromisoformat(register["end"]), "T lies inside the registration"

    edited = tmp_path / "edited.yaml"
    edited.write_text(UNDER_WAY_PLAN.replace("START", "2026-05-08"), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    args = ["replan", edited, "--out", out, "--today", str(today), "--effort", "1", "--suggest"]
    result = invoke_cli(args)
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert f"平台报名 (launch/register) 自 {first} 起已在进行" in result.output
    assert "平台报名 (launch/register) 是硬性截止：最晚" in result.output
    assert re.search(r"不做 \S+ \(launch\)：无任务延误", result.output), result.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before

    # the fix, applied by hand: the registration under way is cancelled, nothing is late
    data = _yaml_data(edited)
    data["activities"] = [a for a in data["activities"] if a["id"] != "launch"]
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = invoke_cli(args)
    assert result.exit_code == 0, result.output
    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    assert rules.check_schedule(edited, schedule, today=today) == []
