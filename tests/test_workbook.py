"""Plans from a workbook (FORMAT.md section 8, issue 15 item 1), with the real openpyxl.

A workbook made by `init` and filled the way a person fills it (Excel date cells and
`YYYY-MM-DD` text, comma lists with odd spaces, empty cells and an empty row, numbers
typed as text) is planned exactly as its YAML twin; the bundled examples and some
conformance cases converted with `init --from` plan as their YAML; a mistake in a cell
names its sheet and cell; conversions go both ways. Every schedule is checked by the
independent tests/rules.py against the YAML twin.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import rules
import yaml
from conftest import REPO_ROOT, crash_report, invoke_cli, require_conformance
from test_conformance import check_result

from scheduler import api
from scheduler.plan.workbook import plan_data
from scheduler.plan.workbook_write import DropDowns, write_workbook

EXAMPLES = REPO_ROOT / "examples"
SEARCH = ["--effort", "2", "--workers", "1"]  # small and deterministic: both twins the same


def run(args: list) -> tuple[int, str]:
    result = invoke_cli(args)
    assert result.exception is None or isinstance(result.exception, SystemExit), crash_report(
        result
    )
    text = result.output  # stdout and stderr, as a terminal shows them
    assert "Traceback" not in text, text
    return result.exit_code, text


def planned(plan: Path, out: Path) -> dict:
    """schedule.json of `plan`, planned through the CLI (exit 0 or 4)."""
    code, text = run(["plan", plan, "--out", out, *SEARCH])
    assert code in (0, 4), text
    return json.loads((out / "schedule.json").read_text(encoding="utf-8"))


def same_result(first: dict, second: dict) -> None:
    """The two schedule.json are the same but for when they were made."""
    ignored = {"generated", "solver"}
    assert first["tasks"] == second["tasks"]
    assert {k: v for k, v in first.items() if k not in ignored} == {
        k: v for k, v in second.items() if k not in ignored
    }


def same_plan(first: Path, second: Path) -> None:
    """The two files load as the same plan (but for their file names)."""
    one, two = api.load_plan(first), api.load_plan(second)
    assert replace(one, source=Path("x")) == replace(two, source=Path("x"))


def header(sheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[1] if cell.value}


def fill(sheet, row: int, **values) -> None:
    """Set the cells of one row by column name; None empties a cell."""
    columns = header(sheet)
    for name, value in values.items():
        sheet.cell(row=row, column=columns[name.rstrip("_")], value=value)


def clear_rows(sheet) -> None:
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.value = None


def plan_row(sheet, key: str) -> int:
    return next(c.row for c in sheet["A"] if c.value == key)


# ------------------------------------------------------------------ init, blank


def test_init_writes_a_blank_workbook_with_drop_downs(tmp_path):
    book_file = tmp_path / "plan.xlsx"
    code, text = run(["init", book_file])
    assert code == 0, text
    book = openpyxl.load_workbook(book_file)
    assert book.sheetnames[:6] == ["Plan", "Stores", "Staff", "Leave", "Activities", "Roles"]
    assert book["Lists"].sheet_state == "hidden"
    assert list(header(book["Staff"])) == ["id", "name", "email", "roles", "capacity", "stores"]
    assert list(header(book["Activities"])) == [
        "id", "template", "store", "start", "end", "live_days",
        "repeat", "festival", "title", "owner", "except",
    ]  # fmt: skip
    for name in ("Plan", "Stores", "Staff", "Leave", "Activities", "Roles"):
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet.max_row >= 2, f"{name} has no example row"
        assert sheet.column_dimensions["A"].width >= 10, name
    plan_sheet = book["Plan"]
    assert [c.value for c in plan_sheet["A"][1:]] == [
        "name", "timezone", "start", "end", "language",
        "templates", "workdays", "holidays", "closed", "open",
    ]  # fmt: skip
    assert isinstance(plan_sheet.cell(plan_row(plan_sheet, "start"), 2).value, datetime)

    lists = book["Lists"]
    values = {c[0].value: [x.value for x in c[1:] if x.value] for c in lists.iter_cols()}
    assert "double_eleven" in values["templates"] and "weekly_promo" in values["templates"]
    assert "mid_autumn" in values["festivals"] and "qixi" in values["festivals"]
    assert {"operations", "design", "promotion", "customer_service"} <= set(values["roles"])
    assert values["stores"] == ["tmall"]

    def validations(sheet_name: str) -> dict[str, object]:
        sheet = book[sheet_name]
        found = {}
        for rule in sheet.data_validations.dataValidation:
            column = str(rule.sqref).split(":")[0].rstrip("0123456789")
            found[next(k for k, v in header(sheet).items() if v == _column_number(column))] = rule
        return found

    activity_rules = validations("Activities")
    assert activity_rules["template"].type == "list"
    assert activity_rules["template"].formula1.startswith("Lists!")
    assert activity_rules["template"].showErrorMessage  # only the templates there
    assert activity_rules["festival"].formula1.startswith("Lists!")
    assert activity_rules["store"].formula1.startswith("Lists!")
    staff_rules = validations("Staff")
    assert staff_rules["roles"].formula1.startswith("Lists!")
    assert not staff_rules["roles"].showErrorMessage  # a comma list is more than one item
    assert "Staff!" in validations("Leave")["staff"].formula1

    # The example rows are a plan that validates, and init is deterministic.
    code, text = run(["validate", book_file])
    assert code == 0, text
    again = tmp_path / "again.xlsx"
    run(["init", again])
    assert again.read_bytes() == book_file.read_bytes()


def _column_number(letter: str) -> int:
    from openpyxl.utils import column_index_from_string

    return column_index_from_string(letter)


def test_init_refuses_to_overwrite_without_force(tmp_path):
    book_file = tmp_path / "plan.xlsx"
    book_file.write_bytes(b"mine")
    code, text = run(["init", book_file])
    assert code == 2
    assert text.strip().splitlines() == [
        f"{book_file}: already exists (another file name, or --force to overwrite it)"
    ]
    assert book_file.read_bytes() == b"mine"
    code, text = run(["init", book_file, "--force"])
    assert code == 0, text
    assert openpyxl.load_workbook(book_file).sheetnames[0] == "Plan"
    code, text = run(["init", "--help"])
    assert "--force" in text and "overwrit" in text


# ------------------------------------------------------------------ a person's workbook

TWIN = """\
name: Workbook twin 2026
timezone: Asia/Shanghai
start: 2026-03-01
end: 2026-04-30
language: en
calendar:
  workdays: [mon, tue, wed, thu, fri]
  holidays: CN
  closed: [2026-03-27]
stores:
  - {id: tmall, name: 天猫旗舰店}
  - {id: jd, name: 京东自营店}
roles:
  - {id: design, name: {en: Design, zh: 美工}}
staff:
  - {id: wang_fang, name: 王芳, email: wang.fang@example.com, roles: [operations]}
  - {id: zhao_lei, name: 赵磊, roles: [promotion, operations], stores: [tmall, jd]}
  - id: li_na
    name: 李娜
    roles: [design]
    leave:
      - {from: 2026-04-22, to: 2026-04-23}
      - {from: 2026-03-16, to: 2026-03-16}
  - {id: chen_jing, name: 陈静, roles: [customer_service], capacity: 50}
activities:
  - template: weekly_promo
    store: tmall
    repeat: "FREQ=WEEKLY;BYDAY=FR"
    except: [2026-03-13, 2026-04-03]
  - {template: monthly_member_day, store: jd, repeat: "FREQ=MONTHLY;BYMONTHDAY=18", title: 会员日}
  - {id: spring_tea, template: theme_launch, start: 2026-04-01, live_days: 10, title: Spring tea}
  - {template: daily_deal, festival: womens_day, title: 38}
"""


def person_fills(book_file: Path) -> None:
    """Fill a workbook made by `init` as a person would in Excel."""
    book = openpyxl.load_workbook(book_file)
    plan = book["Plan"]
    for key, value in {
        "name": "Workbook twin 2026",
        "start": datetime(2026, 3, 1),  # an Excel date cell
        "end": "2026-04-30",  # a date typed as text
        "language": "en",
        "templates": None,
        "workdays": "mon, tue,wed ,  thu,fri",
        "holidays": "CN",
        "closed": datetime(2026, 3, 27),  # one date, a date cell, in a list column
        "open": None,
    }.items():
        plan.cell(row=plan_row(plan, key), column=2, value=value)
    plan.cell(row=plan_row(plan, "start"), column=2).number_format = "yyyy-mm-dd"

    stores = book["Stores"]
    fill(stores, 3, id="jd", name="京东自营店")  # row 2: init's example, tmall, kept

    roles = book["Roles"]
    fill(roles, 2, id="design", name_en="Design", name_zh="美工")

    staff = book["Staff"]
    clear_rows(staff)
    fill(staff, 2, id="wang_fang", name="王芳", email="wang.fang@example.com", roles="operations")
    fill(staff, 3, id="zhao_lei", name="赵磊", roles="promotion,operations", stores=" tmall,jd ")
    fill(staff, 4, id="li_na", name="李娜", roles="design")
    # row 5 left empty, as people do
    fill(staff, 6, id="chen_jing", name="陈静", roles="customer_service", capacity="50")

    leave = book["Leave"]
    clear_rows(leave)
    fill(leave, 2, staff="li_na", from_=datetime(2026, 4, 22), to="2026-04-23")
    fill(leave, 3, staff="li_na", from_="2026-03-16", to=datetime(2026, 3, 16))

    activities = book["Activities"]
    clear_rows(activities)
    fill(
        activities, 2, template="weekly_promo", store="tmall",
        repeat="FREQ=WEEKLY;BYDAY=FR", except_="2026-03-13 , 2026-04-03",
    )  # fmt: skip
    fill(
        activities, 3, template="monthly_member_day", store="jd",
        repeat="FREQ=MONTHLY;BYMONTHDAY=18", title="会员日",
    )  # fmt: skip
    fill(
        activities, 4, id="spring_tea", template="theme_launch", start=datetime(2026, 4, 1),
        live_days="10", title="Spring tea",
    )  # fmt: skip
    fill(activities, 5, template="daily_deal", festival="womens_day", title=38)
    book.save(book_file)


def test_a_filled_workbook_plans_as_its_yaml_twin(tmp_path):
    book_file = tmp_path / "team.xlsx"
    assert run(["init", book_file])[0] == 0
    person_fills(book_file)
    saved = openpyxl.load_workbook(book_file)  # the cells really are what a person types
    assert isinstance(saved["Leave"]["B2"].value, datetime)
    assert isinstance(saved["Leave"]["B3"].value, str)
    assert saved["Staff"]["E6"].value == "50"
    twin = tmp_path / "twin.yaml"
    twin.write_text(TWIN, encoding="utf-8")

    same_plan(book_file, twin)
    from_book = planned(book_file, tmp_path / "book")
    from_twin = planned(twin, tmp_path / "twin")
    same_result(from_book, from_twin)
    activities = {t["activity"] for t in from_book["tasks"]}
    assert "tmall:weekly_promo@2026-03-06" in activities
    assert "tmall:weekly_promo@2026-03-13" not in activities  # except, written as text
    assert "jd:monthly_member_day@2026-04-18" in activities
    assert "daily_deal@2026-03-08" in activities and "spring_tea" in activities
    assert len(from_book["tasks"]) > 40
    assert rules.check_schedule(twin, from_book) == []
    # validate and calendar take the workbook too
    code, text = run(["validate", book_file])
    assert code == 0 and "OK" in text, text
    code, text = run(["calendar", book_file])
    assert code == 0 and "spring_tea" in text, text


# ------------------------------------------------------------------ examples


def test_the_quickstart_converted_plans_as_its_yaml(tmp_path):
    source = EXAMPLES / "quickstart.yaml"
    book_file = tmp_path / "quickstart.xlsx"
    assert run(["init", book_file, "--from", source])[0] == 0
    same_plan(book_file, source)
    from_book = planned(book_file, tmp_path / "book")
    same_result(from_book, planned(source, tmp_path / "yaml"))
    assert rules.check_schedule(source, from_book) == []


@pytest.mark.slow
def test_the_yearly_example_converted_plans_as_its_yaml(tmp_path):
    source = EXAMPLES / "tmall-flagship-2027.yaml"
    book_file = tmp_path / "tmall.xlsx"
    assert run(["init", book_file, "--from", source])[0] == 0
    same_plan(book_file, source)
    options = {"effort": 1.0, "workers": 1}
    from_book = api.make_schedule(api.load_plan(book_file), **options)
    from_yaml = api.make_schedule(api.load_plan(source), **options)
    assert json.loads(from_book.to_json())["tasks"] == json.loads(from_yaml.to_json())["tasks"]
    assert len(from_book.tasks) > 600
    assert rules.check_schedule(source, json.loads(from_book.to_json())) == []


def test_the_bundled_example_workbook_is_init_s_conversion_of_its_yaml(tmp_path):
    """examples/quickstart.xlsx is what `init --from examples/quickstart.yaml` writes."""
    shipped = EXAMPLES / "quickstart.xlsx"
    made = tmp_path / "quickstart.xlsx"
    assert run(["init", made, "--from", EXAMPLES / "quickstart.yaml"])[0] == 0
    assert book_content(made) == book_content(shipped), (
        "regenerate it: promo-scheduler init examples/quickstart.xlsx "
        "--from examples/quickstart.yaml --force"
    )  # the cells, not the bytes: another openpyxl version writes other XML
    same_plan(shipped, EXAMPLES / "quickstart.yaml")


def book_content(path: Path) -> dict:
    """What a person sees of a workbook: each sheet's values, widths and drop-downs."""
    book = openpyxl.load_workbook(path)
    return {
        sheet.title: (
            sheet.sheet_state,
            list(sheet.iter_rows(values_only=True)),
            {k: d.width for k, d in sheet.column_dimensions.items()},
            sorted((str(r.sqref), r.formula1) for r in sheet.data_validations.dataValidation),
        )
        for sheet in book
    }


@pytest.mark.parametrize("example", ["quickstart.yaml", "tmall-flagship-2027.yaml"])
def test_yaml_to_workbook_to_yaml_is_the_same_plan(example, tmp_path):
    source = EXAMPLES / example
    book_file, back = tmp_path / "plan.xlsx", tmp_path / "sub" / "plan.yaml"
    assert run(["init", book_file, "--from", source])[0] == 0
    code, text = run(["init", back, "--from", book_file])
    assert code == 0, text
    same_plan(back, source)
    same_plan(back, book_file)
    assert yaml.safe_load(back.read_text(encoding="utf-8"))["name"] == api.load_plan(source).name


# ------------------------------------------------------------------ mistakes


def quickstart_book(tmp_path: Path) -> Path:
    book_file = tmp_path / "plan.xlsx"
    assert run(["init", book_file, "--from", EXAMPLES / "quickstart.yaml"])[0] == 0
    return book_file


def edited(book_file: Path, change) -> Path:
    book = openpyxl.load_workbook(book_file)
    change(book)
    book.save(book_file)
    return book_file


def _set(sheet: str, cell: str, value):
    def change(book):
        book[sheet][cell] = value

    return change


def _rename(old: str, new: str):
    def change(book):
        book[old].title = new

    return change


def _delete(name: str):
    def change(book):
        del book[name]

    return change


MISTAKES = [
    pytest.param(
        _set("Staff", "E3", 150),
        "plan.xlsx: Staff!E3 (staff[1].capacity): 150: out of range (an integer 1..100)",
        id="capacity",
    ),
    pytest.param(
        _set("Staff", "E5", "half"),
        "plan.xlsx: Staff!E5 (staff[3].capacity): half: not an integer",
        id="capacity-text",
    ),
    pytest.param(
        _set("Leave", "A2", "li_nana"),
        "plan.xlsx: Leave!A2 (leave[0].staff): li_nana: no such staff member",
        id="leave-of-nobody",
    ),
    pytest.param(
        _set("Leave", "B2", "2026-04-31"),
        "plan.xlsx: Leave!B2 (staff[2].leave[0].from): 2026-04-31: not a valid date",
        id="impossible-date",
    ),
    pytest.param(
        _set("Leave", "C2", datetime(2026, 4, 1)),
        "plan.xlsx: Leave!B2 (staff[2].leave[0].from): 2026-04-22: after to 2026-04-01",
        id="leave-backwards",
    ),
    pytest.param(
        _set("Activities", "B2", "weekly_promos"),
        "plan.xlsx: Activities!B2 (activities[0].template): weekly_promos: unknown template",
        id="unknown-template",
    ),
    pytest.param(
        _set("Activities", "H3", "singles_day"),
        "plan.xlsx: Activities!H3 (activities[1]",
        id="festival",
    ),
    pytest.param(
        _set("Plan", "B8", "mon, tue, wed, thur, fri"),
        "plan.xlsx: Plan!B8 (calendar.workdays[3]): thur: unknown weekday",
        id="list-item",
    ),
    pytest.param(
        _set("Plan", "B4", datetime(2026, 3, 1, 9, 30)),
        "plan.xlsx: Plan!B4 (start): 2026-03-01 09:30:00: not a valid date",
        id="date-with-time",
    ),
    pytest.param(
        _set("Plan", "A12", "name"),
        "plan.xlsx: Plan!A12: name: key written twice (also row 2) (each key once)",
        id="key-twice",
    ),
    pytest.param(
        _set("Staff", "G1", "phone"),
        "plan.xlsx: Staff!G1: phone: unknown column",
        id="unknown-column",
    ),
    pytest.param(
        _delete("Activities"),
        "plan.xlsx: Activities: missing sheet",
        id="missing-sheet",
    ),
    pytest.param(
        _rename("Leave", "Leaves"),
        "plan.xlsx: Leaves: unknown sheet (did you mean Leave?",
        id="misspelt-sheet",
    ),
]


@pytest.mark.parametrize("change, message", MISTAKES)
def test_a_mistake_names_its_sheet_and_cell(change, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    book_file = edited(quickstart_book(Path(".")), change)
    out = tmp_path / "out"
    for command in (["validate", book_file], ["plan", book_file, "--out", out, *SEARCH]):
        code, text = run(command)
        assert code == 2, text
        assert any(line.startswith(message) for line in text.splitlines()), text
    assert not out.exists()


def test_a_mistake_found_when_expanding_names_its_cell(tmp_path, monkeypatch):
    """An `except` date that is no occurrence is found after loading, still by its cell."""
    monkeypatch.chdir(tmp_path)
    book_file = edited(quickstart_book(Path(".")), _set("Activities", "K2", "2026-03-07"))
    code, text = run(["plan", book_file, "--out", "out", *SEARCH])
    assert code == 2, text
    assert text.startswith(
        "plan.xlsx: Activities!K2 (activities[0].except[0]): 2026-03-07: not an occurrence"
    ), text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "content, problem",
    [
        (None, "no such file"),
        (b"name: not a workbook\n", "not an Excel workbook"),
        (b"PK\x03\x04" + b"\x00" * 200, "not an Excel workbook"),
        ("truncated", "not an Excel workbook"),
    ],
    ids=["missing", "text", "broken-zip", "truncated"],
)
def test_a_file_that_is_no_workbook_is_one_line(content, problem, tmp_path):
    book_file = tmp_path / "plan.xlsx"
    if content == "truncated":
        whole = quickstart_book(tmp_path).read_bytes()
        book_file.write_bytes(whole[: len(whole) // 2])
    elif content is not None:
        book_file.write_bytes(content)
    for command in (["validate", book_file], ["calendar", book_file]):
        code, text = run(command)
        assert code == 2
        lines = [line for line in text.splitlines() if line]
        assert len(lines) == 1 and lines[0].startswith(f"{book_file}: ") and problem in lines[0]
    code, text = run(["init", tmp_path / "x.yaml", "--from", book_file])
    assert code == 2 and not (tmp_path / "x.yaml").exists(), text


def test_an_empty_extra_sheet_and_odd_header_case_are_fine(tmp_path):
    book_file = quickstart_book(tmp_path)

    def change(book):
        book.create_sheet("Notes")["A1"] = "our team's notes"
        book["Staff"]["A1"] = " ID "

    edited(book_file, change)
    same_plan(book_file, EXAMPLES / "quickstart.yaml")


# ------------------------------------------------------------------ conformance


GOOD_CASES = ["01-holiday-makeup", "08-capacity-load", "09-owner", "17-stores", "18-except"]
BAD_CASES = ["15-bad-leave", "16-bad-festival"]


def case_book(case: str, tmp_path: Path) -> tuple[Path, dict]:
    """The case's plan as a workbook, in a copy of its folder (its templates beside it)."""
    folder = tmp_path / case
    shutil.copytree(require_conformance() / case, folder)
    expect = yaml.safe_load((folder / "expect.yaml").read_text(encoding="utf-8"))
    book_file = folder / "plan.xlsx"
    source = folder / "plan.yaml"
    if expect["exit"] == 2:  # init refuses a plan with mistakes: write its data as it is
        write_workbook(book_file, plan_data(source), DropDowns([], [], [], [], ["en", "zh"]))
    else:
        assert run(["init", book_file, "--from", source])[0] == 0
    return book_file, expect


@pytest.mark.parametrize("case", GOOD_CASES)
def test_conformance_cases_as_workbooks(case, tmp_path):
    book_file, expect = case_book(case, tmp_path)
    source = book_file.with_name("plan.yaml")
    code, text = run(["plan", book_file, "--out", tmp_path / "out"])
    assert code == expect["exit"], text
    schedule = json.loads((tmp_path / "out" / "schedule.json").read_text(encoding="utf-8"))
    check_result(source, schedule, expect)
    run(["plan", source, "--out", tmp_path / "yaml"])
    same_result(schedule, json.loads((tmp_path / "yaml" / "schedule.json").read_text("utf-8")))


@pytest.mark.parametrize("case", BAD_CASES)
def test_conformance_mistakes_in_workbooks(case, tmp_path):
    book_file, expect = case_book(case, tmp_path)
    code, text = run(["plan", book_file, "--out", tmp_path / "out"])
    assert code == 2, text
    for needle in expect["message_contains"]:
        needle = str(needle).replace("plan.yaml", "plan.xlsx")
        assert needle in text, text
    assert "!" in text.split(": ")[1], f"no sheet and cell named: {text}"
    assert not (tmp_path / "out").exists()


def test_replan_takes_a_workbook(tmp_path):
    """A team that moved to Excel re-plans its YAML version's folder from the workbook."""
    source = EXAMPLES / "quickstart.yaml"
    book_file = tmp_path / "quickstart.xlsx"
    assert run(["init", book_file, "--from", source])[0] == 0
    out = tmp_path / "out"
    planned(source, out)
    book = openpyxl.load_workbook(book_file)  # 王芳 takes a day off
    fill(book["Leave"], 3, staff="wang_fang", from_=datetime(2026, 3, 24), to="2026-03-24")
    book.save(book_file)
    code, text = run(["replan", book_file, "--out", out, "--today", "2026-03-20", *SEARCH])
    assert code in (0, 4), text
    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    twin = tmp_path / "twin.yaml"
    assert run(["init", twin, "--from", book_file])[0] == 0
    assert rules.check_schedule(twin, schedule, today="2026-03-20") == []
    assert not any(
        t["assignee"] == "wang_fang" and t["start"] <= "2026-03-24" <= t["end"]
        for t in schedule["tasks"]
        if t["start"] >= "2026-03-20"
    )


def test_a_workbook_written_by_pandas_is_the_same_plan(tmp_path):
    """Another tool's workbook: pandas' to_excel with its index column, sheets and columns
    in another order, Python dates, leave by the person's name, NaN for empty cells."""
    import pandas as pd

    source = EXAMPLES / "quickstart.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    calendar = data["calendar"]
    plan_rows = [
        ("end", data["end"]),
        ("name", data["name"]),
        ("start", data["start"]),
        ("workdays", ",".join(calendar["workdays"])),
        ("holidays", calendar["holidays"]),
        ("language", data["language"]),
        ("timezone", data["timezone"]),
    ]
    joined = {"roles", "except"}
    staff = [
        {k: ",".join(v) if k in joined else v for k, v in p.items() if k != "leave"}
        for p in data["staff"]
    ]
    leave = [
        {"to": lv["to"], "staff": p["name"], "from": lv["from"]}
        for p in data["staff"]
        for lv in p.get("leave", [])
    ]
    activities = [{k: ",".join(map(str, v)) if k in joined else v for k, v in a.items()}
                  for a in data["activities"]]  # fmt: skip
    book_file = tmp_path / "pandas.xlsx"
    with pd.ExcelWriter(book_file, engine="openpyxl") as writer:
        pd.DataFrame(activities).iloc[:, ::-1].to_excel(writer, sheet_name="Activities")
        pd.DataFrame(staff).to_excel(writer, sheet_name="Staff")
        pd.DataFrame(plan_rows, columns=["key", "value"]).to_excel(writer, sheet_name="Plan")
        pd.DataFrame(leave).to_excel(writer, sheet_name="Leave", index=False)
    same_plan(book_file, source)


def test_an_xml_entity_bomb_is_refused_in_one_line(tmp_path):
    """A workbook whose sheet XML expands entities (billion laughs) is no plan."""
    import zipfile

    whole = quickstart_book(tmp_path)
    bomb = tmp_path / "bomb.xlsx"
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    with zipfile.ZipFile(whole) as src, zipfile.ZipFile(bomb, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = content.decode("utf-8").replace("<v>", "<v>&a9;", 1)
                content = f"<!DOCTYPE worksheet [{entities}]>{text}".encode()
            dst.writestr(info, content)
    code, text = run(["validate", bomb])
    assert code == 2
    lines = [line for line in text.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith(f"{bomb}: not a readable workbook"), text


def test_a_damaged_sheet_is_one_line(tmp_path):
    """A sheet whose XML is cut short (read only when the sheet is read) is named."""
    import zipfile

    whole = quickstart_book(tmp_path)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(whole) as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet3.xml":  # Staff
                content = content[: len(content) // 2]
            dst.writestr(info, content)
    code, text = run(["plan", damaged, "--out", tmp_path / "out"])
    assert code == 2
    lines = [line for line in text.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith(f"{damaged}: Staff: not a readable sheet"), text
    assert not (tmp_path / "out").exists()


def _soffice() -> str:
    import os

    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("soffice is not on PATH but CI is set: install libreoffice-calc-nogui")
    pytest.skip("LibreOffice not installed (libreoffice-calc-nogui); set CI=1 to make this fail")


def test_a_workbook_saved_again_by_libreoffice_is_the_same_plan(tmp_path):
    """What init writes opens in a real spreadsheet program, and what that program saves
    (its own XML: other styles, dates, shared strings) plans the same, drop-downs kept."""
    import subprocess

    book_file = tmp_path / "in.xlsx"
    shutil.copy(EXAMPLES / "quickstart.xlsx", book_file)
    saved = tmp_path / "saved"
    subprocess.run(
        [
            _soffice(), "--headless", "--norestore",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", saved, book_file,
        ],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    resaved = saved / "in.xlsx"
    assert resaved.read_bytes() != book_file.read_bytes()
    same_plan(resaved, EXAMPLES / "quickstart.yaml")
    kept = openpyxl.load_workbook(resaved)["Activities"].data_validations.dataValidation
    assert any(r.formula1.startswith("Lists!") and "B2" in str(r.sqref) for r in kept)


def test_history_keeps_a_workbook_plan_as_its_yaml_text(tmp_path):
    """history.sqlite keeps each version's plan text: for a workbook, its YAML twin."""
    import sqlite3

    book_file = quickstart_book(tmp_path)
    out = tmp_path / "out"
    planned(book_file, out)
    with contextlib.closing(sqlite3.connect(out / "history.sqlite")) as db:
        plan_file, text = db.execute("SELECT plan_file, plan_text FROM versions").fetchone()
    assert plan_file == str(book_file)
    kept = tmp_path / "kept.yaml"
    kept.write_text(text, encoding="utf-8")
    same_plan(kept, EXAMPLES / "quickstart.yaml")
