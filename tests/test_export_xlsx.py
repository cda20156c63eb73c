"""schedule.xlsx as a person opens and prints it (issue 15 item 2), read back with openpyxl.

On the hand-built sample of test_export_tables.py: the print setup of every sheet, the Gantt
sheet's outline (each activity's row, then its tasks one level down), its weekday row, the
today marker (the export's --today, else TODAY()), the off-day and late-day conditional
formats, and the People sheet against each person's capacity (with a person over capacity).

On the yearly example, planned through the command line and checked by tests/rules.py: the
People sheet against loads worked out here from schedule.json, the print areas (every bar is
printed, each range is one month and holds bars), and LibreOffice's rendering
(test_gantt_prints_with_libreoffice; skipped without `soffice`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
import rules
from conftest import REPO_ROOT, crash_report, invoke_cli
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries
from PIL import Image
from test_export_tables import conditional_cells, dxf_colour, sample_schedule

from scheduler.export.tables import LATE_COLOUR, OFF_DAY_COLOUR, person_colours
from scheduler.export.xlsx import write_xlsx
from scheduler.export.xlsx_people import OVER_COLOUR

D = date.fromisoformat
YEARLY = REPO_ROOT / "examples" / "tmall-flagship-2027.yaml"


@pytest.fixture(scope="module")
def sample_book(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("xlsx") / "schedule.xlsx"
    write_xlsx(sample_schedule(), path)
    return load_workbook(path)


def day_columns(sheet) -> dict[date, int]:
    """Day -> column, from the Gantt sheet's row of dates (row 2)."""
    return {c.value.date(): c.column for c in sheet[2] if hasattr(c.value, "date")}


def worked(task: dict) -> list[date]:
    """A schedule.json task's working days: the days of its stretches (start..end if none)."""
    stretches = task.get("stretches") or [[task["start"], task["end"]]]
    days = []
    for first, last in stretches:
        day = D(first)
        while day <= D(last):
            days.append(day)
            day += timedelta(days=1)
    return days


def task_rows(sheet) -> dict[str, int]:
    """Task name + assignee -> Gantt row (the sample's names are unique)."""
    return {
        f"{sheet.cell(row=r, column=2).value}|{sheet.cell(row=r, column=3).value}": r
        for r in range(4, sheet.max_row + 1)
        if sheet.cell(row=r, column=2).value
    }


# ---------------------------------------------------------------- print setup


def test_every_sheet_prints_landscape_on_a4_with_its_titles(sample_book) -> None:
    titles = {
        "Tasks": ("$1:$1", "$A:$A"),
        "Gantt": ("$1:$3", "$A:$C"),
        "People": (None, "$A:$B"),
    }
    for name, (rows, cols) in titles.items():
        sheet = sample_book[name]
        assert sheet.page_setup.orientation == "landscape", name
        assert int(sheet.page_setup.paperSize) == 9, name  # A4
        assert sheet.print_title_rows == rows, name
        assert sheet.print_title_cols == cols, name
    tasks = sample_book["Tasks"]
    assert tasks.sheet_properties.pageSetUpPr.fitToPage
    assert (int(tasks.page_setup.fitToWidth), int(tasks.page_setup.fitToHeight)) == (1, 0)
    header = [c.value for c in tasks[1]]
    strict = header.index("strict (硬截止)") + 1
    assert print_area(tasks) == [
        f"'Tasks'!$A$1:${tasks.cell(row=1, column=strict).column_letter}$6"
    ]


def test_gantt_prints_one_month_per_page_width(sample_book) -> None:
    sheet = sample_book["Gantt"]
    columns = day_columns(sheet)
    assert int(sheet.page_setup.scale) == 80
    assert not (sheet.sheet_properties.pageSetUpPr and sheet.sheet_properties.pageSetUpPr.fitToPage)
    # a column break before each month but the first: June 1st starts a page
    assert [b.id for b in sheet.col_breaks.brk] == [columns[D("2027-06-01")] - 1]
    months = {(d.year, d.month) for d in columns}
    ranges = [range_boundaries(r.split("!")[-1].replace("$", "")) for r in print_area(sheet)]
    for min_col, _, max_col, _ in ranges:  # each range lies within one month
        shown = {(d.year, d.month) for d, c in columns.items() if min_col <= c <= max_col}
        assert len(shown) == 1
    assert {
        m
        for r in ranges
        for d, c in columns.items()
        if r[0] <= c <= r[2]
        for m in [(d.year, d.month)]
    } == months


def print_area(sheet) -> list[str]:
    """The print area's ranges (openpyxl reads them back as one comma-separated text)."""
    area = sheet.print_area
    if isinstance(area, str):
        return [part for part in area.split(",") if part]
    return list(area or [])


# ---------------------------------------------------------------- Gantt sheet


def test_gantt_groups_each_activity_above_its_tasks(sample_book) -> None:
    """Row 4 on: per activity (by first live day) its row, then its tasks by start and id at
    outline level 1, without the activity's name; the summary row above its details."""
    sheet = sample_book["Gantt"]
    schedule = sample_schedule()
    names = {p.id: p.name for p in schedule.staff}
    expected = []
    for window in sorted(schedule.activities, key=lambda a: a.start):
        expected.append(("activity", f"{window.name} {window.start:%m-%d}"))
        tasks = sorted(
            (t for t in schedule.tasks if t.activity == window.id), key=lambda t: (t.start, t.id)
        )
        expected += [("task", f"{t.name}|{names[t.assignee]}") for t in tasks]
    got = []
    for row in range(4, sheet.max_row + 1):
        a, b, c = (sheet.cell(row=row, column=col).value for col in (1, 2, 3))
        level = sheet.row_dimensions[row].outline_level
        if a is not None:
            assert (b, c, level) == (None, None, 0), row
            got.append(("activity", a))
        else:
            assert level == 1, row
            got.append(("task", f"{b}|{c}"))
    assert got == expected
    assert sheet.sheet_properties.outlinePr.summaryBelow is False
    assert sheet.freeze_panes == "D4"


@pytest.mark.parametrize(("language", "labels"), [("zh", "一二三四五六日"), ("en", "MTWTFSS")])
def test_gantt_weekday_row(tmp_path: Path, language: str, labels: str) -> None:
    schedule = sample_schedule()
    schedule.language = language
    write_xlsx(schedule, tmp_path / "s.xlsx")
    sheet = load_workbook(tmp_path / "s.xlsx")["Gantt"]
    columns = day_columns(sheet)
    assert len(columns) == 40
    for day, col in columns.items():
        cell = sheet.cell(row=3, column=col)
        assert (cell.value, cell.data_type) == (labels[day.weekday()], "s"), day


def today_rules(sheet) -> list[tuple[str, str]]:
    """(range, formula) of each conditional format that refers to a day in row 2."""
    found = []
    for formatting in sheet.conditional_formatting:
        for rule in formatting.rules:
            for formula in rule.formula or []:
                if "$2=" in formula:
                    found.append((str(formatting.sqref), formula))
    return found


def test_today_follows_the_viewers_clock(sample_book) -> None:
    sheet = sample_book["Gantt"]
    last = max(day_columns(sheet).values())
    letter = sheet.cell(row=1, column=last).column_letter
    assert sorted(today_rules(sheet)) == [
        (f"D2:{letter}3", "D$2=TODAY()"),
        (f"D4:{letter}{sheet.max_row}", "D$2=TODAY()"),
    ]


def test_today_given_to_export_is_fixed(tmp_path: Path) -> None:
    """`export --today` fixes the marker to that day (through the command line)."""
    source = tmp_path / "schedule.json"
    source.write_text(sample_schedule().to_json(), encoding="utf-8")
    result = invoke_cli(["export", source, "--out", tmp_path / "out", "--today", "2027-05-20"])
    assert result.exit_code == 0, crash_report(result)
    sheet = load_workbook(tmp_path / "out" / "schedule.xlsx")["Gantt"]
    formulas = {formula for _, formula in today_rules(sheet)}
    assert formulas == {"D$2=DATE(2027,5,20)"}


def test_off_days_greyed_by_one_rule_outside_windows_and_work(sample_book) -> None:
    """The conditional grey covers exactly the weekend cells of the task and activity rows
    that are neither in their activity's live window nor worked on."""
    sheet = sample_book["Gantt"]
    schedule = sample_schedule()
    columns = day_columns(sheet)
    windows = {a.id: a for a in schedule.activities}
    rows = task_rows(sheet)
    names = {p.id: p.name for p in schedule.staff}
    activity_rows = {
        a.id: next(
            r
            for r in range(4, sheet.max_row + 1)
            if (sheet.cell(row=r, column=1).value or "").startswith(a.name)
        )
        for a in schedule.activities
    }
    expected = set()
    for task in schedule.tasks:
        row = rows[f"{task.name}|{names[task.assignee]}"]
        window = windows[task.activity]
        for target in (row, activity_rows[task.activity]):
            for day, col in columns.items():
                if day.weekday() >= 5 and not window.start <= day <= window.end:
                    expected.add((target, col))
    assert conditional_cells(sheet, OFF_DAY_COLOUR) == expected


def test_late_days_flagged_on_the_tasks_sheet(sample_book) -> None:
    sheet = sample_book["Tasks"]
    header = [c.value for c in sheet[1]]
    late = sheet.cell(row=1, column=header.index("late days (延误天数)") + 1).column_letter
    rules_ = [(str(f.sqref), r) for f in sheet.conditional_formatting for r in f.rules]
    assert [(ref, r.operator, r.formula) for ref, r in rules_] == [
        (f"{late}2:{late}6", "greaterThan", ["0"])
    ]


# ---------------------------------------------------------------- People sheet


def expected_people(data: dict) -> tuple[dict, dict]:
    """From schedule.json: person -> day -> load share of capacity; person -> days over."""
    capacity = {p["id"]: p.get("capacity", 100) for p in data.get("staff", [])}
    load: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for task in data["tasks"]:
        for day in worked(task):
            load[task["assignee"]][day] += task["load"]
    share = {
        pid: {d: v / capacity.get(pid, 100) for d, v in days.items()} for pid, days in load.items()
    }
    over = {pid: sorted(d for d, v in days.items() if v > 1) for pid, days in share.items()}
    return share, over


def iso(day: date) -> str:
    return f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}"


def people_tables(sheet) -> tuple[dict, dict, dict, dict]:
    """The People sheet read back: id -> row of the weekly table, id -> over-capacity count,
    id -> day -> share (the per-day table), and the weekly table's header."""
    header = [c.value for c in sheet[2]]
    weekly, counts, row = {}, {}, 3
    while sheet.cell(row=row, column=2).value:
        pid = sheet.cell(row=row, column=2).value
        weekly[pid] = {
            header[c - 1]: sheet.cell(row=row, column=c).value for c in range(5, len(header) + 1)
        }
        counts[pid] = sheet.cell(row=row, column=4).value
        row += 1
    top = next(
        r
        for r in range(row, sheet.max_row + 1)
        if sheet.cell(row=r, column=1).value in ("date", "日期")
    )
    ids = {sheet.cell(row=3 + n, column=1).value: pid for n, pid in enumerate(weekly)}
    people = [ids[sheet.cell(row=top, column=c).value] for c in range(3, 3 + len(weekly))]
    daily: dict[str, dict[date, float]] = defaultdict(dict)
    for r in range(top + 1, sheet.max_row + 1):
        day = sheet.cell(row=r, column=1).value.date()
        for offset, pid in enumerate(people):
            value = sheet.cell(row=r, column=3 + offset).value
            if value is not None:
                daily[pid][day] = value
    return weekly, counts, daily, {"header": header, "day_top": top}


def check_people(sheet, data: dict) -> None:
    share, over = expected_people(data)
    weekly, counts, daily, where = people_tables(sheet)
    for pid in weekly:
        want = {d: round(v, 4) for d, v in share.get(pid, {}).items()}
        assert daily.get(pid, {}) == want, pid
        assert counts[pid] == len(over.get(pid, [])), pid
    # each person's week: person-days over (capacity x the week's plan working days)
    # (FORMAT.md section 1 / schedule.json: `working_days` is the plan calendar over its
    # range; outside it Monday to Friday)
    calendar = {D(text) for text in data.get("working_days") or []}
    first, last = min(calendar, default=None), max(calendar, default=None)

    def is_working(day: date) -> bool:
        if first is not None and first <= day <= last:
            return day in calendar
        return day.weekday() < 5

    working = defaultdict(int)
    worked_days = sorted({d for days in share.values() for d in days})
    for week in {iso(d) for d in worked_days}:
        year, number = week.split("-W")
        monday = date.fromisocalendar(int(year), int(number), 1)
        working[week] = sum(is_working(monday + timedelta(days=n)) for n in range(7))
    span = [
        worked_days[0] + timedelta(days=n)
        for n in range((worked_days[-1] - worked_days[0]).days + 1)
    ]
    assert sorted({iso(d) for d in span}) == list(next(iter(weekly.values())))
    for pid, weeks in weekly.items():
        for week, value in weeks.items():
            days = [d for d in share.get(pid, {}) if iso(d) == week]
            if not days:
                assert value is None, (pid, week)
                continue
            want = sum(share[pid][d] for d in days) / max(working[week], 1)
            assert value == pytest.approx(want, abs=1e-4), (pid, week)
    # the over-capacity cells of both tables are covered by the red rule
    red = conditional_cells(sheet, OVER_COLOUR)
    top = where["day_top"]
    ids = list(weekly)
    days = [sheet.cell(row=r, column=1).value.date() for r in range(top + 1, sheet.max_row + 1)]
    for pid, over_days in over.items():
        for day in over_days:
            assert (top + 1 + days.index(day), 3 + ids.index(pid)) in red, (pid, day)
        assert (3 + ids.index(pid), 4) in red  # the count column


def test_people_against_capacity_with_a_person_over_it(sample_book) -> None:
    """xiao_wang (capacity 80) works 100% tasks: 125% on each of their days, flagged."""
    schedule = sample_schedule()
    data = json.loads(schedule.to_json())
    data["working_days"] = [
        (D("2027-05-10") + timedelta(days=n)).isoformat()
        for n in range(40)
        if (D("2027-05-10") + timedelta(days=n)).weekday() < 5
    ]
    sheet = sample_book["People"]
    check_people(sheet, data)
    _, counts, daily, _ = people_tables(sheet)
    assert counts == {"li_na": 0, "wang_fang": 0, "xiao_wang": 5}
    assert set(daily["xiao_wang"].values()) == {1.25}
    formats = [
        (dxf_colour(r), r.type, r.operator, r.formula)
        for f in sheet.conditional_formatting
        for r in f.rules
    ]
    assert (dxf_colour_hex(OVER_COLOUR), "cellIs", "greaterThan", ["1"]) in formats
    scale = [r for f in sheet.conditional_formatting for r in f.rules if r.type == "colorScale"]
    assert [float(v.val) for v in scale[0].colorScale.cfvo] == [0.0, 1.0]  # 100% = full


def dxf_colour_hex(colour: str) -> str:
    return colour.lower()


# ---------------------------------------------------------------- the yearly example


@pytest.fixture(scope="module")
def yearly(yearly_planned) -> tuple[Path, dict]:
    out = yearly_planned.out
    assert yearly_planned.exit_code in (0, 4), yearly_planned.output
    data = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    violations = rules.check_schedule(YEARLY, data)
    assert violations == [], "\n".join(violations[:20])
    return out, data


@pytest.mark.slow
def test_yearly_people_against_capacity(yearly) -> None:
    out, data = yearly
    check_people(load_workbook(out / "schedule.xlsx")["People"], data)


@pytest.mark.slow
def test_yearly_print_area_prints_every_bar_in_its_month(yearly) -> None:
    """Every working day of every task is a filled cell of a task row, and every such cell
    lies in the print area; each of the print area's ranges holds some."""
    out, data = yearly
    sheet = load_workbook(out / "schedule.xlsx")["Gantt"]
    columns = day_columns(sheet)
    bar_colours = {c.lstrip("#").lower() for c in person_colours_of(data)} | {LATE_COLOUR[1:]}
    bars = set()
    for row in range(4, sheet.max_row + 1):
        if sheet.cell(row=row, column=2).value is None:
            continue  # an activity row
        for col in columns.values():
            fill = sheet.cell(row=row, column=col).fill
            if fill.fill_type == "solid" and str(fill.start_color.rgb)[-6:].lower() in bar_colours:
                bars.add((row, col))
    assert len(bars) == sum(len(worked(t)) for t in data["tasks"])
    ranges = [range_boundaries(r.split("!")[-1].replace("$", "")) for r in print_area(sheet)]
    printed = {
        (row, col)
        for min_col, min_row, max_col, max_row in ranges
        for row in range(min_row, max_row + 1)
        for col in range(min_col, max_col + 1)
    }
    assert bars <= printed
    for min_col, min_row, max_col, max_row in ranges:
        assert any(min_row <= r <= max_row and min_col <= c <= max_col for r, c in bars)


def person_colours_of(data: dict) -> list[str]:
    """The bar colours of schedule.json's people (the Gantt's legend: staff order)."""
    from scheduler.schedule import Schedule

    return list(person_colours(Schedule.from_dict(data)).values())


# ---------------------------------------------------------------- LibreOffice

GANTT_PAGE_LIMIT = 40  # the yearly example's Gantt sheet, printed by LibreOffice (36 in 2026-12)
GANTT_HEADER = "活动 / 任务"  # the Gantt sheet's B3, on every page of it
DOCS_PNG = REPO_ROOT / "docs" / "xlsx-gantt-print.png"


def fills(page) -> list[tuple[float, float, float]]:
    """The colours of the rectangles a PDF page fills (LibreOffice: `r g b rg`, then
    `x y w h re f*` lines)."""
    colour, found = None, []
    for line in page.get_contents().get_data().decode("latin-1").splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] == "rg":
            colour = tuple(float(p) for p in parts[:3])
        elif len(parts) >= 6 and parts[4] == "re" and parts[5].startswith("f") and colour:
            found.append(colour)
    return found


def near(colour: tuple[float, float, float], hex_colour: str) -> bool:
    want = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    return all(abs(a - b) < 0.01 for a, b in zip(colour, want, strict=True))


@pytest.mark.slow
def test_gantt_prints_with_libreoffice(yearly, tmp_path: Path) -> None:
    """LibreOffice prints the yearly Gantt sheet on at most GANTT_PAGE_LIMIT A4 landscape
    pages, each with the header, task and people names and task bars; one page is rendered
    to PNG (UPDATE_DOCS=1 stores it as docs/xlsx-gantt-print.png for the README)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip(
            "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui"
        )
    pypdf = pytest.importorskip("pypdf", reason="pypdf is in the test extra")
    out, data = yearly
    profile = (tmp_path / "profile").as_uri()  # a profile of its own: no clash with a user's
    subprocess.run(
        [
            *(soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf"),
            *("--outdir", str(tmp_path), str(out / "schedule.xlsx")),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    reader = pypdf.PdfReader(tmp_path / "schedule.pdf")
    pages = [(n, p) for n, p in enumerate(reader.pages) if GANTT_HEADER in p.extract_text()]
    assert 0 < len(pages) <= GANTT_PAGE_LIMIT, len(pages)
    people = {p["name"] for p in data["staff"]}
    tasks = {t["name"] for t in data["tasks"]}
    colours = person_colours_of(data)
    bars_per_page = {}
    for number, page in pages:
        assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
        text = page.extract_text()
        assert any(name in text for name in people), f"page {number + 1}: no person"
        assert any(name in text for name in tasks), f"page {number + 1}: no task"
        bars = [f for f in fills(page) if any(near(f, c) for c in colours)]
        assert bars, f"page {number + 1}: no task bar"
        bars_per_page[number] = len(bars)
    busiest = max(bars_per_page, key=bars_per_page.get)
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: no PNG of a page")
    subprocess.run(
        [
            *("pdftoppm", "-f", str(busiest + 1), "-l", str(busiest + 1), "-r", "110", "-png"),
            *("-singlefile", str(tmp_path / "schedule.pdf"), str(tmp_path / "page")),
        ],
        check=True,
        timeout=60,
    )
    with Image.open(tmp_path / "page.png") as image:
        assert image.width > image.height
        rgb = image.convert("RGB")
        seen = {
            rgb.getpixel((x, y)) for x in range(0, rgb.width, 4) for y in range(0, rgb.height, 4)
        }
    wanted = {tuple(int(c.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)) for c in colours}
    assert seen & wanted, "the rendered page shows no person's colour"
    if os.environ.get("UPDATE_DOCS"):
        DOCS_PNG.parent.mkdir(exist_ok=True)
        shutil.copyfile(tmp_path / "page.png", DOCS_PNG)
