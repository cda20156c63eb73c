"""The command line as a user meets it: every command, exit codes, files written or not."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from rules import check_schedule

from scheduler.cli import main

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart.yaml"

PLAN = """\
name: CLI test shop
start: 2026-03-01
end: 2026-03-31
language: {language}
templates: [templates]
staff:
  - {{id: wang_fang, name: 王芳, email: wang.fang@example.com, roles: [operations]}}
  - id: li_na
    name: 李娜
    roles: [design]
    leave: [{{from: {leave_from}, to: {leave_to}}}]
activities:
  - {{id: spring_sale, template: sale, start: 2026-03-20, title: "春季特惠, 第一波"}}
"""

TEMPLATE = """\
id: sale
name: {en: Sale, zh: 特惠}
kind: theme
live_days: 3
steps:
  - id: plan
    name: {en: Plan, zh: 策划}
    role: operations
    duration: 2
    earliest: start-12d
    due: start-8d
  - id: poster
    name: {en: Poster, zh: 海报}
    role: design
    duration: 2
    after: [plan]
    due: start-4d
    strict: {strict}
"""


def write_plan(
    folder: Path, *, leave=("2026-04-20", "2026-04-21"), strict=False, language="zh"
) -> Path:
    (folder / "templates").mkdir(parents=True, exist_ok=True)
    (folder / "templates" / "sale.yaml").write_text(
        TEMPLATE.replace("{strict}", str(strict).lower()), encoding="utf-8"
    )
    plan = folder / "plan.yaml"
    plan.write_text(
        PLAN.format(language=language, leave_from=leave[0], leave_to=leave[1]), encoding="utf-8"
    )
    return plan


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_plan_on_time_exits_0_and_writes_every_output(tmp_path):
    plan = write_plan(tmp_path)
    out = tmp_path / "out"
    result = run("plan", plan, "--out", out)
    assert result.exit_code == 0, result.output
    for name in [
        "schedule.json",
        "schedule.csv",
        "schedule.xlsx",
        "gantt.png",
        "gantt.html",
        "calendar/team.ics",
        "calendar/activities.ics",
        "calendar/wang_fang.ics",
        "calendar/li_na.ics",
    ]:
        assert (out / name).is_file(), name
    data = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    assert data["status"] == "optimal" and len(data["tasks"]) == 2
    assert check_schedule(plan, data) == []
    assert "李娜" in result.output  # the summary names people


@pytest.mark.parametrize(
    ("language", "on_leave"),
    [("zh", "休假 2026-03-10..2026-03-16"), ("en", "is on leave 2026-03-10..2026-03-16")],
)
def test_plan_with_late_tasks_exits_4_and_says_why(tmp_path, language, on_leave):
    plan = write_plan(tmp_path, leave=("2026-03-10", "2026-03-16"), language=language)
    result = run("plan", plan, "--out", tmp_path / "out")
    assert result.exit_code == 4, result.output
    assert "spring_sale/poster" in result.output
    assert "李娜 (li_na)" in result.output and on_leave in result.output  # in the plan's words


def test_infeasible_exits_3_and_keeps_the_last_good_schedule(tmp_path):
    out = tmp_path / "out"
    assert run("plan", write_plan(tmp_path / "a"), "--out", out).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = write_plan(tmp_path / "b", leave=("2026-03-01", "2026-03-31"), strict=True)
    result = run("plan", bad, "--out", out)
    assert result.exit_code == 3, result.output
    assert "休假 2026-03-01..2026-03-31" in result.output  # a zh plan: its words
    assert "Traceback" not in result.output
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_bad_input_exits_2_and_writes_nothing(tmp_path):
    plan = write_plan(tmp_path)
    plan.write_text(
        plan.read_text(encoding="utf-8").replace("2026-03-31", "2026-02-30"), encoding="utf-8"
    )
    out = tmp_path / "out"
    result = run("plan", plan, "--out", out)
    assert result.exit_code == 2
    assert "plan.yaml" in result.output and "2026-02-30" in result.output
    assert not out.exists() or not any(out.iterdir())
    assert run("validate", plan).exit_code == 2


def test_missing_plan_file_is_bad_input(tmp_path):
    result = run("plan", tmp_path / "nope.yaml", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "nope.yaml" in result.output
    assert "Traceback" not in result.output


def test_validate_counts_and_warns(tmp_path):
    result = run("validate", write_plan(tmp_path))
    assert result.exit_code == 0
    assert "1 activity occurrences, 2 tasks, 2 staff" in result.output


def test_calendar_lists_the_occurrences(tmp_path):
    result = run("calendar", QUICKSTART)
    assert result.exit_code == 0, result.output
    assert "occurrence(s)" in result.output and "weekly" in result.output


def test_templates_lists_and_shows():
    listing = run("templates")
    assert listing.exit_code == 0
    for template_id in [
        "daily_deal",
        "weekly_promo",
        "monthly_member_day",
        "store_anniversary",
        "mid_year_618",
        "double_eleven",
        "double_twelve",
        "new_year_goods",
        "festival",
        "theme_launch",
    ]:
        assert template_id in listing.output
    shown = run("templates", "double_eleven")
    assert shown.exit_code == 0 and "registration" in shown.output and "strict" in shown.output
    unknown = run("templates", "singles_day")
    assert unknown.exit_code == 2 and "promo-scheduler templates" in unknown.output


def test_export_rewrites_the_same_calendars(tmp_path):
    plan = write_plan(tmp_path)
    out, again = tmp_path / "out", tmp_path / "again"
    assert run("plan", plan, "--out", out).exit_code == 0
    result = run("export", out / "schedule.json", "--out", again)
    assert result.exit_code == 0, result.output
    assert (again / "calendar" / "team.ics").read_bytes() == (
        out / "calendar" / "team.ics"
    ).read_bytes()


def test_event_time_option_is_checked(tmp_path):
    result = run("plan", write_plan(tmp_path), "--out", tmp_path / "o", "--event-time", "9-5")
    assert result.exit_code == 2 and "HH:MM-HH:MM" in result.output
    timed = run(
        "plan", write_plan(tmp_path), "--out", tmp_path / "t", "--event-time", "09:30-18:30"
    )
    assert timed.exit_code == 0
    assert "TZID=Asia/Shanghai" in (tmp_path / "t" / "calendar" / "team.ics").read_text()


def test_python_dash_m_is_the_same_program():
    done = subprocess.run(
        [sys.executable, "-m", "scheduler", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    for command in ["plan", "validate", "calendar", "templates", "export"]:
        assert command in done.stdout


@pytest.mark.slow
def test_wheel_ships_the_bundled_templates(tmp_path):
    """A plain `pip install .` must carry templates/activities inside the package."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    wheel = next(tmp_path.glob("promo_scheduler-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for template_id in ["weekly_promo", "double_eleven", "festival"]:
        assert f"scheduler/templates/activities/{template_id}.yaml" in names


def test_unwritable_output_folder_is_a_message_not_a_traceback(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run("plan", write_plan(tmp_path), "--out", blocker / "out")
    assert result.exit_code == 2
    assert "Not a directory" in result.output or "not a directory" in result.output.lower()
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_a_yearly_plan_without_a_schedule_names_the_conflict(tmp_path):
    """Both operations people on leave over Double Eleven's registration window."""
    import yaml

    plan = yaml.safe_load((ROOT / "examples" / "tmall-flagship-2027.yaml").read_text("utf-8"))
    for person in plan["staff"]:
        if "operations" in person["roles"]:
            person.setdefault("leave", []).append({"from": "2027-09-01", "to": "2027-10-05"})
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    result = run("plan", path, "--out", tmp_path / "out", "--time-limit", "30")
    assert result.exit_code == 3, result.output
    # the example plan is a zh plan: the reasons are in Chinese
    assert "(double_eleven_2027/registration) 是硬性截止" in result.output
    assert "李明 (li_ming) 休假 2027-09-01..2027-10-05" in result.output
    data = json.loads((tmp_path / "out" / "schedule.json").read_text(encoding="utf-8"))
    assert data["status"] == "infeasible" and data["tasks"] == []
    assert any("registration" in item["text"] for item in data["explanation"])


PROVISIONAL_PLAN = """\
name: Provisional year shop
start: {start}
end: {end}
language: en
templates: [templates]
calendar: {{holidays: CN}}
staff:
  - {{id: wang_fang, name: 王芳, roles: [operations]}}
  - {{id: li_na, name: 李娜, roles: [design]}}
activities:
  - {{id: spring_sale, template: sale, start: {sale}}}
"""


def last_published_cn_year() -> int:
    """The last year whose official CN arrangement (holidays and 调休) python-holidays holds;
    later years are its estimate (FORMAT.md section 1)."""
    from holidays.countries.china import ChinaStaticHolidays

    return max(ChinaStaticHolidays.special_public_holidays)


def provisional_warnings(stderr: str) -> list[str]:
    words = ("publish", "estimate", "provisional")
    return [
        line
        for line in stderr.splitlines()
        if "warning" in line.lower() and any(w in line.lower() for w in words)
    ]


def plan_in(folder: Path, start: str, end: str, sale: str) -> Path:
    plan = write_plan(folder)
    plan.write_text(PROVISIONAL_PLAN.format(start=start, end=end, sale=sale), encoding="utf-8")
    return plan


@pytest.mark.parametrize("straddles", [False, True], ids=["wholly-in-it", "from-the-year-before"])
def test_a_year_not_yet_published_is_planned_with_a_warning_naming_it(tmp_path, straddles):
    last = last_published_cn_year()
    year = last + 1
    start = f"{last}-12-01" if straddles else f"{year}-03-01"
    sale = f"{year}-01-20" if straddles else f"{year}-03-20"
    plan = plan_in(tmp_path, start, f"{year}-03-31", sale)
    out = tmp_path / "out"
    result = run("plan", plan, "--out", out)
    assert result.exit_code in (0, 4), result.output  # a warning, not a failure
    warned = provisional_warnings(result.stderr)
    assert any(str(year) in line for line in warned), result.stderr
    assert not any(str(last) in line for line in warned), f"{last} is published: {warned}"
    assert "Traceback" not in result.output
    data = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    assert data["status"] in ("optimal", "feasible") and len(data["tasks"]) == 2
    assert check_schedule(plan, data) == []
    assert (out / "calendar" / "team.ics").is_file()


def test_a_published_year_gets_no_provisional_warning(tmp_path):
    last = last_published_cn_year()
    plan = plan_in(tmp_path, f"{last}-03-01", f"{last}-03-31", f"{last}-03-20")
    result = run("plan", plan, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert provisional_warnings(result.stderr) == [], result.stderr
    assert (tmp_path / "out" / "schedule.json").is_file()


def test_two_provisional_years_get_one_warning_naming_both(tmp_path):
    last = last_published_cn_year()
    first, second = last + 1, last + 2
    plan = plan_in(tmp_path, f"{first}-12-01", f"{second}-01-31", f"{second}-01-20")
    result = run("validate", plan)
    assert result.exit_code == 0, result.output
    warned = provisional_warnings(result.stderr)
    assert len(warned) == 1, result.stderr
    assert warned[0].startswith("warning: ") and f"{first}, {second}" in warned[0]


def test_a_zh_plan_is_warned_in_chinese(tmp_path):
    year = last_published_cn_year() + 1
    plan = plan_in(tmp_path, f"{year}-03-01", f"{year}-03-31", f"{year}-03-20")
    plan.write_text(plan.read_text("utf-8").replace("language: en", "language: zh"), "utf-8")
    result = run("validate", plan)
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warned == [
        f"warning: {year} 年的官方节假日安排（CN）尚未公布：按 holidays 库的估算排期"
        "（没有调休上班日）；公布后请重新排期"
    ], result.stderr


def test_every_option_of_every_command_has_help_and_no_strftime_metavar():
    import click

    for name, command in main.commands.items():
        context = click.Context(command, info_name=name)
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts[0]} has no help"
                record = param.get_help_record(context)
                assert record is not None and "%" not in record[0], (name, record)
    for name in ("plan", "replan", "export"):
        shown = run(name, "--help")
        assert shown.exit_code == 0
        assert "--today YYYY-MM-DD" in shown.output and "%Y" not in shown.output
    assert "Output folder" in run("export", "--help").output


def display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@pytest.mark.parametrize("columns", [60, 80, 100, 200])
def test_templates_fit_the_terminal_width(columns):
    from scheduler.plan.loading import available_templates, load_template

    template = load_template(available_templates(())["double_eleven"])
    for args in (["templates", "double_eleven"], ["templates"]):
        result = CliRunner().invoke(main, args, env={"COLUMNS": str(columns)})
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert max(display_width(line) for line in lines) <= columns, result.output
    shown = CliRunner().invoke(main, ["templates", "double_eleven"], env={"COLUMNS": str(columns)})
    flat = "".join(shown.output.split())
    for step in template.steps:
        assert step.id in shown.output and step.role in shown.output
        if columns >= 200:  # room for every name on one line
            assert step.name.zh in shown.output
        else:  # wrapped, but every character there in order
            assert all(ch in flat for ch in step.name.zh)


def test_calendar_has_a_weekday_column():
    from datetime import date

    result = CliRunner().invoke(main, ["calendar", str(QUICKSTART)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["start", "weekday", "end"]
    rows = [line.split() for line in lines[2:] if line[:4].isdigit()]
    assert len(rows) >= 10
    names = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")  # the plan is in Chinese
    for row in rows:
        assert row[1] == names[date.fromisoformat(row[0]).weekday()], row
    narrow = CliRunner().invoke(main, ["calendar", str(QUICKSTART)], env={"COLUMNS": "80"})
    assert max(display_width(line) for line in narrow.output.splitlines()) <= 80


def test_the_time_limit_keeps_the_share_of_the_exports_out_of_the_search():
    """`reserve` (what the caller needs after the search, the exports for `plan`) comes off
    the time limit: with all of it reserved the search is cut short and says so."""
    from scheduler import api

    plan = api.load_plan(ROOT / "examples" / "tmall-flagship-2027.yaml")
    free = api.make_schedule(plan, effort=1, time_limit=120)
    assert not free.solver["cut_short"]
    squeezed = api.make_schedule(plan, effort=1, time_limit=120, reserve=lambda tasks: 119.9)
    assert squeezed.solver["cut_short"]
    # (the example is a zh plan: the warning is in Chinese)
    said = "运行时间上限 120 秒在搜索用完工作量（1）之前停止了搜索"
    assert any(said in w for w in squeezed.warnings)
    assert api.export_reserve(35_000) > api.export_reserve(700) > 0
