"""Hostile and far-fetched input through the CLI (issue 11, classes 2, 3 and 5).

Far dates and huge numbers, unbounded or broken RRULEs and YAML edge cases are bad input
(FORMAT.md section 7): exit 2, no traceback, one line per mistake naming the file, the key
path and the value as written (shortened, on one line), and nothing written: an output
folder planned before is byte-identical afterwards. A value that is merely irrelevant (a
leave years before the plan) is no mistake at all. Each case is a small edit of
examples/quickstart.yaml (or of a copy of a bundled template beside it).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, crash_report, invoke_cli

QUICKSTART = (REPO_ROOT / "examples" / "quickstart.yaml").read_text(encoding="utf-8")
WEEKLY_PROMO = (REPO_ROOT / "templates" / "activities" / "weekly_promo.yaml").read_text(
    encoding="utf-8"
)
WEEKLY = '"FREQ=WEEKLY;BYDAY=FR"'  # the quickstart's activities[0].repeat, as written
MONTHLY = '"FREQ=MONTHLY;BYMONTHDAY=18"'  # activities[1].repeat
FIRST_STEP_DUE = "due: start-5wd "  # weekly_promo's steps[0].due
FIRST_STEP_EARLIEST = "earliest: start-6wd "  # weekly_promo's steps[0].earliest


def edited(text: str, *edits: tuple[str, str]) -> str:
    """`text` with each (old, new) replaced once; every `old` must be there."""
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def plan_file(folder: Path, *edits: tuple[str, str], template: str | None = None) -> Path:
    """The quickstart plan with `edits`, in `folder`; with `template`, that text is the
    plan's own `weekly_promo` (in `folder/tpl`, which the plan lists in `templates`)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = edited(QUICKSTART, *edits)
    if template is not None:
        (folder / "tpl").mkdir(exist_ok=True)
        (folder / "tpl" / "weekly_promo.yaml").write_text(template, encoding="utf-8")
        text = edited(
            text, ("timezone: Asia/Shanghai", "timezone: Asia/Shanghai\ntemplates: [tpl]")
        )
    path = folder / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def template_file(plan: Path) -> str:
    """How messages name the plan's own weekly_promo template."""
    return str(plan.parent / "tpl" / "weekly_promo.yaml")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder holding one version of the quickstart plan."""
    out = tmp_path_factory.mktemp("planned") / "out"
    result = invoke_cli(["plan", REPO_ROOT / "examples" / "quickstart.yaml", "--out", out,
                         "--effort", "1"])  # fmt: skip
    assert result.exit_code in (0, 4), crash_report(result)
    return out


def assert_bad_input(planned: Path, plan: Path, file: str, path: str, value: str, *parts: str):
    """`validate` and `plan` of `plan` both exit 2 with exactly one message, which starts
    `file: path: value: ` (an empty path left out) and holds every one of `parts`;
    `planned` is left as it was."""
    before = snapshot(planned)
    for args in (["validate", plan], ["plan", plan, "--out", planned, "--effort", "1"]):
        result = invoke_cli(args)
        assert result.exit_code == 2, crash_report(result)
        assert "Traceback" not in result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        prefix = ": ".join(part for part in (file, path, value) if part) + ": "
        assert lines[0].startswith(prefix), lines[0]
        for part in parts:
            assert part in lines[0], lines[0]
        assert result.stdout == ""
    assert snapshot(planned) == before


# --- class 2: far dates and huge numbers -------------------------------------------------

LIVE = "live_days: 10 "  # the quickstart's activities[2].live_days
ONE_OFF_START = "start: 2026-04-01"  # activities[2].start

PLAN_LIMITS = [
    ("live_days 1000", (LIVE, "live_days: 1000 "), "activities[2].live_days", "1000",
     ["out of range", "at most 366 calendar days"]),
    ("live_days 1e20", (LIVE, "live_days: 1e20 "), "activities[2].live_days", "1e20",
     ["not an integer", "at most 366"]),
    ("live_days 10**20", (LIVE, "live_days: 100000000000000000000 "),
     "activities[2].live_days", "100000000000000000000", ["out of range", "at most 366"]),
    ("plan start 0001-01-01", ("start: 2026-03-01 ", "start: 0001-01-01 "), "start",
     "0001-01-01", ["out of range", "a date from 1950-01-01 to 2099-12-31"]),
    ("plan end in 9999", ("end: 2026-04-30 ", "end: 9999-12-31 "), "end", "9999-12-31",
     ["out of range", "2099-12-31"]),
    ("one-off end in 9999", (LIVE, "end: 9999-12-31 "), "activities[2].end", "9999-12-31",
     ["live window", "at most 366 days"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "path", "value", "parts"),
    [pytest.param(*case[1:], id=case[0]) for case in PLAN_LIMITS],
)
def test_far_dates_and_huge_numbers_in_the_plan(tmp_path, planned, edit, path, value, parts):
    plan = plan_file(tmp_path, edit)
    assert_bad_input(planned, plan, str(plan), path, value, *parts)


TEMPLATE_LIMITS = [
    ("offset start-99999d", (FIRST_STEP_EARLIEST, "earliest: start-99999d "),
     "steps[0].earliest", "start-99999d", ["out of range", "365 for d"]),
    ("offset start+99999wd", (FIRST_STEP_DUE, "due: start+99999wd "), "steps[0].due",
     "start+99999wd", ["out of range", "250 for wd"]),
    ("lag +99999wd", ("after: [selection]\n", 'after: ["selection+99999wd"]\n'),
     "steps[3].after[0]", "selection+99999wd", ["lag out of range"]),
    ("duration 1e30", ("duration: 1\n", "duration: 1e30\n"), "steps[0].duration", "1e30",
     ["not an integer", "at most 250 working days"]),
    ("duration 10**30", ("duration: 1\n", f"duration: {10**30}\n"), "steps[0].duration",
     str(10**30), ["out of range", "at most 250 working days"]),
    ("template live_days 10**8", ("live_days: 3", "live_days: 100000000"), "live_days",
     "100000000", ["out of range", "366"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "path", "value", "parts"),
    [pytest.param(*case[1:], id=case[0]) for case in TEMPLATE_LIMITS],
)
def test_far_offsets_and_huge_numbers_in_a_template(tmp_path, planned, edit, path, value, parts):
    plan = plan_file(tmp_path, template=edited(WEEKLY_PROMO, edit))
    assert_bad_input(planned, plan, template_file(plan), path, value, *parts)


def test_a_working_day_offset_beyond_the_calendar_is_bad_input(tmp_path, planned):
    """Within the limit, but a team working on Sundays only has no 250th working day
    before the first Friday inside the two years the working calendar spans."""
    plan = plan_file(
        tmp_path,
        ("workdays: [mon, tue, wed, thu, fri]", "workdays: [sun]"),
        template=edited(WEEKLY_PROMO, (FIRST_STEP_EARLIEST, "earliest: start-250wd ")),
    )
    assert_bad_input(
        planned, plan, template_file(plan), "steps[0].earliest", "start-250wd",
        "for weekly_promo@2026-03-06", "outside the working calendar",
    )  # fmt: skip


def test_a_leave_years_away_is_irrelevant(tmp_path):
    plan = plan_file(
        tmp_path, ("{from: 2026-04-22, to: 2026-04-23}", "{from: 2023-04-22, to: 2023-04-23}")
    )
    result = invoke_cli(["validate", plan])
    assert result.exit_code == 0, crash_report(result)
    result = invoke_cli(["plan", plan, "--out", tmp_path / "out", "--effort", "1"])
    assert result.exit_code in (0, 4), crash_report(result)
    assert (tmp_path / "out" / "schedule.json").is_file()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-25"])
def test_a_one_off_activity_years_away_is_not_planned(tmp_path, day):
    plan = plan_file(tmp_path, (ONE_OFF_START, f"start: {day}"))
    result = invoke_cli(["validate", plan])
    assert result.exit_code == 0, crash_report(result)
    assert f"starts {day}, outside the plan" in result.stderr


# --- class 3: unbounded or broken RRULEs ------------------------------------------------


def test_a_daily_rule_for_a_century_is_over_the_occurrence_limit(tmp_path, planned):
    plan = plan_file(
        tmp_path, ("end: 2026-04-30 ", "end: 2099-12-31 "), (WEEKLY, '"FREQ=DAILY;UNTIL=21260101"')
    )
    started = time.perf_counter()
    assert_bad_input(
        planned, plan, str(plan), "activities[0].repeat", "FREQ=DAILY;UNTIL=21260101",
        "more than 5000 occurrences", "at most 5,000 activity occurrences per plan",
    )  # fmt: skip
    assert time.perf_counter() - started < 20


def test_three_daily_series_for_three_years_are_over_the_task_limit(tmp_path, planned):
    plan = plan_file(
        tmp_path,
        ("end: 2026-04-30 ", "end: 2029-04-30 "),
        (WEEKLY, '"FREQ=DAILY"'),
        (MONTHLY, '"FREQ=DAILY"'),
        ("  - id: spring_tea_2026", '  - {template: daily_deal, repeat: "FREQ=DAILY"}\n'
                                    "  - id: spring_tea_2026"),
    )  # fmt: skip
    assert_bad_input(
        planned, plan, str(plan), "activities", "31248 tasks",
        "too many preparation tasks", "at most 20,000 per plan",
    )  # fmt: skip


NOT_ONE_RULE = "not a single RRULE value"
BROKEN_RULES = [
    ("DAILY INTERVAL=0", "FREQ=DAILY;INTERVAL=0", "FREQ=DAILY;INTERVAL=0", "INTERVAL=0"),
    ("WEEKLY INTERVAL=0", "FREQ=WEEKLY;INTERVAL=0", "FREQ=WEEKLY;INTERVAL=0", "INTERVAL=0"),
    ("BYMONTHDAY=0", "FREQ=MONTHLY;BYMONTHDAY=0", "FREQ=MONTHLY;BYMONTHDAY=0", "1..31"),
    ("BYDAY=54FR", "FREQ=MONTHLY;BYDAY=54FR", "FREQ=MONTHLY;BYDAY=54FR", "1..53"),
    ("CR smuggles a rule", r"FREQ=WEEKLY;BYDAY=FR\rRRULE:FREQ=DAILY",
     r"FREQ=WEEKLY;BYDAY=FR\rRRULE:FREQ=DAILY", NOT_ONE_RULE),
    ("VT smuggles an RDATE", r"FREQ=WEEKLY;BYDAY=FR\vRDATE:20260310",
     r"FREQ=WEEKLY;BYDAY=FR\x0bRDATE:20260310", NOT_ONE_RULE),
    ("x1c smuggles an RDATE", r"FREQ=WEEKLY;BYDAY=FR\x1cRDATE:20260310",
     r"FREQ=WEEKLY;BYDAY=FR\x1cRDATE:20260310", NOT_ONE_RULE),
    ("U+2028 smuggles an RDATE", r"FREQ=WEEKLY;BYDAY=FR\u2028RDATE:20260310",
     r"FREQ=WEEKLY;BYDAY=FR\u2028RDATE:20260310", NOT_ONE_RULE),
    ("an RDATE alone", "RDATE:20260310", "RDATE:20260310", "RDATE is another property"),
    ("COUNT and UNTIL", "FREQ=DAILY;COUNT=3;UNTIL=20260320", "FREQ=DAILY;COUNT=3;UNTIL=20260320",
     "COUNT and UNTIL"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "shown", "part"), [pytest.param(*case[1:], id=case[0]) for case in BROKEN_RULES]
)
def test_a_broken_rule_is_bad_input(tmp_path, planned, rule, shown, part):
    """`rule` is YAML double-quoted text: its escapes become the characters."""
    plan = plan_file(tmp_path, (WEEKLY, f'"{rule}"'))
    started = time.perf_counter()
    assert_bad_input(planned, plan, str(plan), "activities[0].repeat", shown, part)
    assert time.perf_counter() - started < 20  # INTERVAL=0 used to loop for ever


def test_rules_that_never_match_are_quick(tmp_path):
    """dateutil searches such a rule up to the year 9999: 5 s for each daily one."""
    never = [f"FREQ={f};BYMONTHDAY=31;BYMONTH=2" for f in ("DAILY", "WEEKLY", "YEARLY")]
    more = "".join(f'  - {{template: daily_deal, repeat: "{rule}"}}\n' for rule in never)
    plan = plan_file(
        tmp_path,
        (MONTHLY, f'"{never[0]}"'),
        ("  - id: spring_tea_2026", more + "  - id: spring_tea_2026"),
    )
    started = time.perf_counter()
    result = invoke_cli(["validate", plan])
    assert time.perf_counter() - started < 10
    assert result.exit_code == 0, crash_report(result)
    for index, rule in enumerate([never[0], *never], start=1):
        assert f"activities[{index}] (" in result.stderr
        assert f"repeat {rule} has no occurrence from 2026-03-01 to 2026-04-30" in result.stderr


# --- class 5: YAML edge cases and the messages ----------------------------------------


def test_a_nul_byte_is_bad_input_with_its_line(tmp_path, planned):
    plan = plan_file(tmp_path, ("name: 小山茶铺", "name: 小山\x00茶铺"))
    line = plan.read_text(encoding="utf-8").split("\x00")[0].count("\n") + 1
    assert_bad_input(planned, plan, str(plan), f"line {line}", r"\x00", "U+0000 is not allowed")


@pytest.mark.parametrize("brackets", [("[", "]"), ("{a: ", "}")], ids=["lists", "mappings"])
def test_nesting_20000_deep_is_bad_input(tmp_path, planned, brackets):
    plan = tmp_path / "plan.yaml"
    opening, closing = brackets
    plan.write_text(f"name: {opening * 20000}1{closing * 20000}\n", encoding="utf-8")
    before = snapshot(planned)
    for args in (["validate", plan], ["plan", plan, "--out", planned]):
        result = invoke_cli(args)
        assert result.exit_code == 2, crash_report(result)
        expected = "nested too deeply (at most 64 levels of lists and mappings)"
        assert result.stderr == f"{plan}: line 1: {expected}\n"
    assert snapshot(planned) == before


def test_a_50_mb_file_is_bad_input_without_its_value(tmp_path, planned):
    plan = plan_file(tmp_path, ("title: 会员日", "title: 会员日\n    bogus: " + "x" * 50_000_000))
    assert_bad_input(planned, plan, str(plan), "", "48 MB", "file too large", "at most 10 MB")


def test_a_long_value_is_shortened_and_a_newline_escaped(tmp_path, planned):
    """Two mistakes, two lines: a 1 MB value cut to 60 characters, a value with line breaks
    on one line."""
    broken = '  - {template: daily_deal, festival: qixi, stat: "a\\nb\\u2028c"}\n'
    plan = plan_file(
        tmp_path,
        ("title: 会员日", "title: 会员日\n    bogus: " + "x" * 1_000_000),
        ("  - id: spring_tea_2026", broken + "  - id: spring_tea_2026"),
    )
    result = invoke_cli(["validate", plan])
    assert result.exit_code == 2, crash_report(result)
    first, second = result.stderr.splitlines()
    assert first.startswith(f"{plan}: activities[1].bogus: {'x' * 57}...: unknown field (")
    assert second.startswith(f"{plan}: activities[2].stat: a\\nb\\u2028c: unknown field (")
    assert len(first) < 300


def test_a_top_level_list_is_shown_as_yaml(tmp_path, planned):
    plan = tmp_path / "plan.yaml"
    plan.write_text("- 2026-01-01\n- a\n", encoding="utf-8")
    assert_bad_input(planned, plan, str(plan), "", "[2026-01-01, a]", "not a mapping")


def test_a_top_level_roles_list_is_accepted(tmp_path):
    """FORMAT.md section 4: `roles` names the roles in the plan's languages."""
    roles = "roles: [{id: design, name: {en: Design, zh: 美工}}, {id: operations}]\n"
    plan = plan_file(tmp_path, ("activities:\n", roles + "activities:\n"))
    result = invoke_cli(["validate", plan])
    assert result.exit_code == 0, crash_report(result)

    from scheduler.api import load_plan

    loaded = load_plan(plan)
    assert (loaded.role_name("design"), loaded.role_name("design", "en")) == ("美工", "Design")
    assert loaded.role_name("operations") == "operations"
