"""schedule.csv and schedule.xlsx (scheduler.export.tables, scheduler.export.xlsx), on a small
hand-built schedule. The workbook's print setup, outline, conditional formats and People
sheet are tested in depth in test_export_xlsx.py.

The fixture `sample_schedule()` is also used by test_export_chart.py and
test_gantt_browser.py. It has Chinese names, a task split by a weekend, a late task, a task
name beginning with `=` and a person name beginning with `@` (formula injection), and a task
name with `<`, `&` and `"` (HTML escaping).
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from scheduler.export.tables import (
    LATE_COLOUR,
    OFF_DAY_COLOUR,
    WINDOW_COLOUR,
    headers,
    person_colours,
    write_csv,
)
from scheduler.export.xlsx import write_xlsx
from scheduler.export.xlsx_gantt import GANTT_FIRST_DAY_COLUMN, GANTT_HEADER_ROWS
from scheduler.export.xlsx_people import weekly_load
from scheduler.schedule import ActivityWindow, Person, Schedule, ScheduledTask

GOLDEN = Path(__file__).parent / "golden" / "tables" / "schedule.csv"
D = date.fromisoformat


def sample_schedule() -> Schedule:
    """Two activities, five tasks, three people, in May-June 2027 (weekends 8/9 May, ...)."""
    mid = "mid_year@2027-06-01"
    member = "member_day@2027-05-18"

    def task(
        activity: str,
        step: str,
        name: str,
        role: str,
        who: str,
        start: str,
        end: str,
        due: str | None,
        **extra,
    ) -> ScheduledTask:
        return ScheduledTask(
            id=f"{activity}/{step}",
            activity=activity,
            step=step,
            name=name,
            role=role,
            assignee=who,
            start=D(start),
            end=D(end),
            load=extra.pop("load", 100),
            due=D(due) if due else None,
            late_days=extra.pop("late_days", 0),
            stretches=extra.pop("stretches", ((D(start), D(end)),)),
            **extra,
        )

    tasks = [
        task(
            mid,
            "photos",
            "商品拍摄",
            "design",
            "li_na",
            "2027-05-13",
            "2027-05-18",
            "2027-05-21",
            working_days=4,
            stretches=((D("2027-05-13"), D("2027-05-14")), (D("2027-05-17"), D("2027-05-18"))),
        ),
        task(
            mid,
            "copy",
            '文案 <草稿> & "审核"',
            "copywriting",
            "wang_fang",
            "2027-05-19",
            "2027-05-21",
            "2027-05-25",
            working_days=3,
            load=50,
        ),
        task(
            mid,
            "pricing",
            "=SUM(A1) 价格核对",
            "ops",
            "xiao_wang",
            "2027-05-24",
            "2027-05-27",
            "2027-05-25",
            working_days=4,
            late_days=2,
            after=(f"{mid}/copy",),
        ),
        task(
            mid,
            "launch",
            "上线检查",
            "ops",
            "xiao_wang",
            "2027-05-31",
            "2027-05-31",
            "2027-05-31",
            working_days=1,
            strict=True,
        ),
        task(
            member,
            "banner",
            "会员日海报",
            "design",
            "li_na",
            "2027-05-10",
            "2027-05-12",
            "2027-05-14",
            working_days=3,
            load=50,
        ),
    ]
    return Schedule(
        plan="天猫旗舰店 2027",
        status="feasible",
        tasks=tasks,
        activities=[
            ActivityWindow(
                mid, "mid_year", "618 年中大促", "festival", D("2027-06-01"), D("2027-06-18")
            ),
            ActivityWindow(
                member, "member_day", "会员日", "monthly", D("2027-05-18"), D("2027-05-18")
            ),
        ],
        staff=[
            Person("li_na", "李娜", ("design",)),
            Person("wang_fang", "王芳", ("copywriting",)),
            Person("xiao_wang", "@小王", ("ops",), capacity=80),
        ],
        language="zh",
    )


def rgb(cell) -> str | None:
    """The solid fill colour of a cell as `#rrggbb`, or None when it is not filled."""
    if cell.fill is None or cell.fill.fill_type != "solid":
        return None
    return "#" + str(cell.fill.start_color.rgb)[-6:].lower()


def dxf_colour(rule) -> str | None:
    """The fill colour of a conditional format rule as `#rrggbb`, or None without a fill."""
    fill = rule.dxf.fill if rule.dxf is not None else None
    if fill is None:
        return None
    for colour in (fill.fgColor, fill.bgColor):
        rgb = getattr(colour, "rgb", None)
        if isinstance(rgb, str) and rgb != "00000000":
            return "#" + rgb[-6:].lower()
    return None


def conditional_cells(sheet, colour: str) -> set[tuple[int, int]]:
    """The (row, column) cells that a conditional format with this fill colour covers."""
    cells = set()
    for formatting in sheet.conditional_formatting:
        if any(dxf_colour(rule) == colour for rule in formatting.rules):
            for ranges in formatting.sqref.ranges:
                for row in range(ranges.min_row, ranges.max_row + 1):
                    for col in range(ranges.min_col, ranges.max_col + 1):
                        cells.add((row, col))
    return cells


# ---------------------------------------------------------------- csv


def test_csv_has_bom_and_round_trips_chinese(tmp_path: Path) -> None:
    path = tmp_path / "schedule.csv"
    write_csv(sample_schedule(), path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns) == headers("zh")
    assert frame.columns[2] == "activity (活动)"
    assert "商品拍摄" in set(frame["task (任务)"])
    assert '文案 <草稿> & "审核"' in set(frame["task (任务)"])
    assert set(frame["assignee (负责人)"]) == {"李娜", "王芳", "'@小王"}


def test_csv_rows_sorted_by_start_then_id(tmp_path: Path) -> None:
    path = tmp_path / "schedule.csv"
    write_csv(sample_schedule(), path)
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame["start (开始)"]) == sorted(frame["start (开始)"])
    assert frame["task id (任务编号)"][0] == "member_day@2027-05-18/banner"


def test_csv_neutralises_formula_cells(tmp_path: Path) -> None:
    path = tmp_path / "schedule.csv"
    write_csv(sample_schedule(), path)
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    pricing = frame[frame["step (步骤)"] == "pricing"].iloc[0]
    assert pricing["task (任务)"] == "'=SUM(A1) 价格核对"
    assert pricing["late days (延误天数)"] == "2"
    for column in frame.columns:
        assert not any(
            value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in frame[column]
        )


def test_csv_english_headers() -> None:
    assert headers("en")[:3] == ["task id", "activity id", "activity"]


def test_csv_golden(tmp_path: Path) -> None:
    path = tmp_path / "schedule.csv"
    write_csv(sample_schedule(), path)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(path.read_bytes())
    assert path.read_bytes() == GOLDEN.read_bytes(), "regenerate with UPDATE_GOLDEN=1"


def test_csv_of_empty_schedule_has_header_only(tmp_path: Path) -> None:
    path = tmp_path / "schedule.csv"
    write_csv(Schedule(plan="p", status="infeasible", tasks=[]), path)
    assert path.read_text(encoding="utf-8-sig") == ",".join(headers("en")) + "\n"


# ---------------------------------------------------------------- xlsx


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("xlsx") / "schedule.xlsx"
    write_xlsx(sample_schedule(), path)
    return load_workbook(path)


def test_xlsx_sheets(workbook) -> None:
    assert workbook.sheetnames == ["Tasks", "Gantt", "People"]


def test_xlsx_tasks_sheet(workbook) -> None:
    sheet = workbook["Tasks"]
    assert [c.value for c in sheet[1]] == table_headers("zh", SHEET_COLUMNS)
    assert sheet.freeze_panes == "B2"  # the header row and the task column stay in view
    assert "Tasks" in sheet.tables
    assert sheet.max_row == 6
    values = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    pricing = values["=SUM(A1) 价格核对"]  # kept as text, not a formula
    assert pricing[0].data_type == "s"
    assert pricing[2].value.date() == date(2027, 5, 24)
    assert sheet.column_dimensions["A"].width > 10


# The Tasks sheet's and schedule.csv's columns, in order: (English, Chinese) header.
TABLE_COLUMNS = (
    ("task id", "任务编号"),
    ("activity id", "活动编号"),
    ("activity", "活动"),
    ("step", "步骤"),
    ("task", "任务"),
    ("role", "角色"),
    ("assignee id", "负责人编号"),
    ("assignee", "负责人"),
    ("start", "开始"),
    ("end", "结束"),
    ("working days", "工作日"),
    ("load %", "负荷 %"),
    ("due", "截止"),
    ("late days", "延误天数"),
    ("strict", "硬截止"),
)
# The Tasks sheet's columns, in order: what a person reads first (task, assignee, dates), the
# ids last (FORMAT.md section 6 fixes no order).
SHEET_COLUMNS = (
    ("task", "任务"),
    ("assignee", "负责人"),
    ("start", "开始"),
    ("end", "结束"),
    ("due", "截止"),
    ("late days", "延误天数"),
    ("activity", "活动"),
    ("role", "角色"),
    ("working days", "工作日"),
    ("load %", "负荷 %"),
    ("strict", "硬截止"),
    ("step", "步骤"),
    ("task id", "任务编号"),
    ("activity id", "活动编号"),
    ("assignee id", "负责人编号"),
)
TABLE_DATES = {"start", "end", "due"}
TABLE_NUMBERS = {"working days", "load %", "late days"}


def table_schedule(language: str = "zh") -> Schedule:
    """The sample (two activities, a late task, a task split by a weekend) and a third
    activity whose task has no due date and starts on the same day as 文案 (copy), listed last
    but with a task id that sorts before it."""
    schedule = sample_schedule()
    live = "daily_live@2027-05-20"
    schedule.activities.append(
        ActivityWindow(live, "daily_live", "直播日", "daily", D("2027-05-20"), D("2027-05-20"))
    )
    one_day = (D("2027-05-19"), D("2027-05-19"))
    schedule.tasks.append(
        ScheduledTask(
            id=f"{live}/script",
            activity=live,
            step="script",
            name="+直播脚本",
            role="copywriting",
            assignee="wang_fang",
            start=one_day[0],
            end=one_day[1],
            load=50,
            due=None,
            late_days=0,
            stretches=(one_day,),
            working_days=1,
        )
    )
    schedule.language = language
    return schedule


def expected_table(schedule: Schedule) -> list[dict[str, Any]]:
    """The rows the Tasks sheet must hold, worked out from the schedule's tasks: one per task,
    sorted by start date then task id (the order tables.py promises), dates as `date`."""
    activities = {a.id: a.name for a in schedule.activities}
    people = {p.id: p.name for p in schedule.staff}
    return [
        {
            "task id": t.id,
            "activity id": t.activity,
            "activity": activities[t.activity],
            "step": t.step,
            "task": t.name,
            "role": schedule.roles.get(t.role, t.role),  # the role's name, else its key
            "assignee id": t.assignee,
            "assignee": people[t.assignee],
            "start": t.start,
            "end": t.end,
            "working days": t.working_days,
            "load %": t.load,
            "due": t.due,
            "late days": t.late_days,
            "strict": ("是" if t.strict else "否")
            if schedule.language == "zh"
            else ("yes" if t.strict else "no"),
        }
        for t in sorted(schedule.tasks, key=lambda t: (t.start, t.id))
    ]


def table_headers(language: str, columns=TABLE_COLUMNS) -> list[str]:
    if language == "zh":
        return [f"{en} ({zh})" for en, zh in columns]
    return [en for en, _ in columns]


def sheet_rows(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """The Tasks sheet read back with openpyxl: its header and one dict per row (keyed by
    the English column name), dates as `date`; each cell's type is checked on the way."""
    sheet = load_workbook(path)["Tasks"]
    header = [c.value for c in sheet[1]]
    rows = []
    for cells in sheet.iter_rows(min_row=2):
        row = {}
        for (name, _), cell in zip(SHEET_COLUMNS, cells, strict=True):
            value = cell.value
            where = f"Tasks!{cell.coordinate} ({name})"
            if name in TABLE_DATES:
                if value is not None:  # an empty cell is no date (a task without a due)
                    assert isinstance(value, datetime) and cell.is_date, f"{where}: {value!r}"
                    assert value.time() == datetime.min.time(), f"{where}: {value!r}: a time"
                    assert cell.number_format == "yyyy-mm-dd", f"{where}: {cell.number_format}"
                    value = value.date()
            elif name in TABLE_NUMBERS:
                assert type(value) is int, f"{where}: {value!r} is not a number"
            else:
                assert cell.data_type == "s", f"{where}: {value!r} is {cell.data_type}, not text"
            row[name] = value
        rows.append(row)
    assert sheet.max_column == len(SHEET_COLUMNS)
    return header, rows


@pytest.mark.parametrize("language", ["zh", "en"])
def test_xlsx_tasks_sheet_holds_every_task_as_in_the_schedule(
    tmp_path: Path, language: str
) -> None:
    schedule = table_schedule(language)
    tasks = {t.step: t for t in schedule.tasks}
    assert tasks["pricing"].late_days > 0 and len(tasks["photos"].stretches) == 2
    path = tmp_path / "schedule.xlsx"
    write_xlsx(schedule, path)
    header, rows = sheet_rows(path)
    assert header == table_headers(language, SHEET_COLUMNS)
    expected = expected_table(schedule)
    assert [r["task id"] for r in expected] != [t.id for t in schedule.tasks]  # sorting matters
    assert len(rows) == len(schedule.tasks) == 6
    assert sorted(r["task id"] for r in rows) == sorted(t.id for t in schedule.tasks)
    assert [r["task id"] for r in rows] == [r["task id"] for r in expected]  # the order
    for got, want in zip(rows, expected, strict=True):
        wrong = {k: (got[k], v) for k, v in want.items() if got[k] != v}
        assert not wrong, f"{want['task id']}: (sheet, schedule) differ in {wrong}"
    sheet = load_workbook(path)["Tasks"]
    assert sheet.tables["Tasks"].ref == f"A1:O{len(rows) + 1}"  # the filter covers every row


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_csv_text(name: str, value: Any) -> str:
    """How schedule.csv writes a cell of the Tasks sheet: ISO dates, an empty cell for no
    value, numbers as digits, and a `'` before text that a spreadsheet would run."""
    if value is None:
        return ""
    if name in TABLE_DATES:
        assert isinstance(value, datetime), f"{name}: {value!r}"
        return value.date().isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return str(value)


def test_csv_and_xlsx_tasks_sheet_hold_the_same_rows(tmp_path: Path) -> None:
    schedule = table_schedule()
    write_csv(schedule, tmp_path / "schedule.csv")
    write_xlsx(schedule, tmp_path / "schedule.xlsx")
    csv = pd.read_csv(
        tmp_path / "schedule.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    sheet = pd.read_excel(
        tmp_path / "schedule.xlsx", sheet_name="Tasks", dtype=object, keep_default_na=False
    )
    assert list(csv.columns) == table_headers("zh")
    assert list(sheet.columns) == table_headers("zh", SHEET_COLUMNS)
    sheet = sheet[table_headers("zh")]  # the same columns, in the csv's order
    assert len(csv) == len(sheet) == len(schedule.tasks)
    names = [en for en, _ in TABLE_COLUMNS]
    csv_rows = [dict(zip(names, row, strict=True)) for row in csv.itertuples(index=False)]
    sheet_as_csv = [
        {n: as_csv_text(n, v if v != "" else None) for n, v in zip(names, row, strict=True)}
        for row in sheet.itertuples(index=False)
    ]
    for got, want in zip(csv_rows, sheet_as_csv, strict=True):
        wrong = {k: (got[k], v) for k, v in want.items() if got[k] != v}
        assert not wrong, f"{want['task id']}: (csv, xlsx) differ in {wrong}"
    # and both are the schedule: the neutralised cells are the only text that differs
    rows = {r["task id"]: r for r in csv_rows}
    assert rows["mid_year@2027-06-01/pricing"]["task"] == "'=SUM(A1) 价格核对"
    assert rows["daily_live@2027-05-20/script"]["task"] == "'+直播脚本"
    assert rows["daily_live@2027-05-20/script"]["due"] == ""


def _gantt_columns(sheet) -> dict[date, int]:
    """Day -> column, from the Gantt sheet's row of dates (row 2)."""
    return {cell.value.date(): cell.column for cell in sheet[2][GANTT_FIRST_DAY_COLUMN - 1 :]}


def _gantt_row(sheet, task_name: str) -> int:
    for row in range(GANTT_HEADER_ROWS + 1, sheet.max_row + 1):
        if sheet.cell(row=row, column=2).value == task_name:
            return row
    raise AssertionError(task_name)


def test_xlsx_gantt_span_and_header(workbook) -> None:
    sheet = workbook["Gantt"]
    columns = _gantt_columns(sheet)
    assert min(columns) == date(2027, 5, 10)  # earliest task start
    assert max(columns) == date(2027, 6, 18)  # end of the 618 live window
    assert len(columns) == 40
    assert sheet.cell(row=1, column=GANTT_FIRST_DAY_COLUMN).value == "2027-05"
    assert sheet.cell(row=1, column=columns[date(2027, 6, 1)]).value == "2027-06"
    assert sheet.freeze_panes == "D4"
    assert GANTT_HEADER_ROWS == 3  # months, days, weekdays


def test_xlsx_gantt_fills_exactly_the_working_days(workbook) -> None:
    sheet = workbook["Gantt"]
    columns = _gantt_columns(sheet)
    row = _gantt_row(sheet, "商品拍摄")
    colour = person_colours(sample_schedule())["li_na"]
    filled = {day for day, col in columns.items() if rgb(sheet.cell(row=row, column=col)) == colour}
    assert filled == {date(2027, 5, d) for d in (13, 14, 17, 18)}  # not the weekend 15/16


def test_xlsx_gantt_shades_weekends(workbook) -> None:
    sheet = workbook["Gantt"]
    columns = _gantt_columns(sheet)
    row = _gantt_row(sheet, "商品拍摄")
    shaded = {
        day for day, col in columns.items() if rgb(sheet.cell(row=2, column=col)) == OFF_DAY_COLOUR
    }
    assert shaded == {day for day in columns if day.weekday() >= 5}
    # In the task rows a conditional format greys them (not a fill of each cell) ...
    greyed = conditional_cells(sheet, OFF_DAY_COLOUR)
    assert (row, columns[date(2027, 5, 15)]) in greyed
    assert (row, columns[date(2027, 5, 19)]) not in greyed
    assert rgb(sheet.cell(row=row, column=columns[date(2027, 5, 19)])) is None
    # ... but not inside a live window, which stays visible over the weekend
    assert (row, columns[date(2027, 6, 5)]) not in greyed
    assert rgb(sheet.cell(row=row, column=columns[date(2027, 6, 5)])) == WINDOW_COLOUR


def test_xlsx_gantt_marks_late_days_and_live_window(workbook) -> None:
    sheet = workbook["Gantt"]
    columns = _gantt_columns(sheet)
    row = _gantt_row(sheet, "=SUM(A1) 价格核对")
    late = {d for d, c in columns.items() if rgb(sheet.cell(row=row, column=c)) == LATE_COLOUR}
    assert late == {date(2027, 5, 26), date(2027, 5, 27)}  # due 25th
    window = {d for d, c in columns.items() if rgb(sheet.cell(row=row, column=c)) == WINDOW_COLOUR}
    assert window == {date(2027, 6, d) for d in range(1, 19)}


def _shaded_header_days(path: Path) -> set[date]:
    sheet = load_workbook(path)["Gantt"]
    return {
        day
        for day, col in _gantt_columns(sheet).items()
        if rgb(sheet.cell(row=2, column=col)) == OFF_DAY_COLOUR
    }


def test_xlsx_gantt_working_days_replace_weekends(tmp_path: Path) -> None:
    """Inside the given working days' range only missing days are off; outside it, weekends."""
    path = tmp_path / "schedule.xlsx"
    may = [date(2027, 5, d) for d in range(10, 32) if d != 12]  # a holiday on 12, no weekends
    write_xlsx(sample_schedule(), path, working_days=may)
    june_weekends = {date(2027, 6, d) for d in (5, 6, 12, 13)}
    assert _shaded_header_days(path) == {date(2027, 5, 12)} | june_weekends


def test_xlsx_gantt_uses_the_schedules_own_calendar(tmp_path: Path) -> None:
    path = tmp_path / "schedule.xlsx"
    may = [date(2027, 5, d) for d in range(10, 32) if d != 12]
    write_xlsx(replace(sample_schedule(), working_days=may), path)
    assert date(2027, 5, 12) in _shaded_header_days(path)
    assert date(2027, 5, 15) not in _shaded_header_days(path)


def test_xlsx_people_weekly_person_days(workbook) -> None:
    sheet = workbook["People"]
    assert "100%" in sheet["A1"].value
    header = [c.value for c in sheet[2]]
    rows = {r[1].value: r for r in sheet.iter_rows(min_row=3)}
    li_na = rows["li_na"]
    # week 19 (10-16 May): banner 3 days at 50% + photos 2 days at 100%
    # as a share of a full week at her capacity (100%, 5 working days)
    assert li_na[header.index("2027-W19")].value == 0.7
    assert li_na[header.index("2027-W20")].value == 0.4
    assert li_na[header.index("2027-W19")].number_format == "0%"
    assert rows["xiao_wang"][2].value == 80
    assert weekly_load(sample_schedule())["wang_fang"] == {"2027-W20": 1.5}


def test_xlsx_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_xlsx(sample_schedule(), first)
    write_xlsx(sample_schedule(), second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(io.BytesIO(first.read_bytes())) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"1980-01-01T00:00:00Z" in archive.read("docProps/core.xml")


def test_xlsx_of_empty_schedule(tmp_path: Path) -> None:
    path = tmp_path / "schedule.xlsx"
    write_xlsx(Schedule(plan="p", status="infeasible", tasks=[]), path)
    assert load_workbook(path).sheetnames == ["Tasks", "Gantt", "People"]


def test_bare_contract_schedule(tmp_path: Path) -> None:
    """Only the contract's task fields: no activities, no staff, no stretches."""
    schedule = sample_schedule()
    schedule.activities, schedule.staff = [], []
    schedule.tasks = [replace(t, stretches=()) for t in schedule.tasks]
    write_csv(schedule, tmp_path / "schedule.csv")
    write_xlsx(schedule, tmp_path / "schedule.xlsx")
    frame = pd.read_csv(tmp_path / "schedule.csv", encoding="utf-8-sig", dtype=str)
    assert set(frame["activity (活动)"]) == {"mid_year@2027-06-01", "member_day@2027-05-18"}
    # three header rows, two activity rows, five task rows
    assert load_workbook(tmp_path / "schedule.xlsx")["Gantt"].max_row == 3 + 2 + 5
