"""The `People` sheet of `schedule.xlsx`: each person's load against their own capacity.

100% is a full day at the person's capacity: on a day, the sum of the loads of the tasks
they work on divided by their capacity; in an ISO week, their person-days divided by
capacity x the week's working days (the plan calendar's; the schedule carries no leave).
Over 100% is over capacity. Both cover the days from the first to the last day worked.

Two tables: per person and ISO week (name, id, capacity %, the number of over-capacity
days, then one column per week), and below it per day (date, weekday, then one column per
person). A colour scale from white (0%) to orange (100%) and a red fill with white bold text
above 100% are conditional formats on both; the count column is red when it is not 0.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.export.tables import (
    OFF_DAY_COLOUR,
    OffDays,
    day_range,
    is_chinese,
    person_colours,
    person_names,
    worked_days,
)
from scheduler.export.xlsx_common import StyleCache, print_landscape, set_text, solid_fill
from scheduler.export.xlsx_gantt import weekday_labels
from scheduler.schedule import Schedule

OVER_COLOUR = "#c92a2a"
SCALE_COLOUR = "#f08c00"
WEEK_FIRST_COLUMN = 5  # A-D: person, id, capacity %, over-capacity days
DAY_FIRST_COLUMN = 3  # A-B: date, weekday


def iso_week(day: date) -> str:
    """A day's ISO week as `2027-W38`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def daily_load(schedule: Schedule) -> dict[str, dict[date, int]]:
    """Person id -> day -> the sum of the loads (percent) of the tasks they work on that day."""
    load: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for task in schedule.tasks:
        for day in worked_days(task):
            load[task.assignee][day] += task.load
    return {pid: dict(days) for pid, days in load.items()}


def weekly_load(schedule: Schedule) -> dict[str, dict[str, float]]:
    """Person id -> ISO week (`2027-W38`) -> person-days: sum of load/100 over days worked."""
    load: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for pid, days in daily_load(schedule).items():
        for day, percent in days.items():
            load[pid][iso_week(day)] += percent / 100
    return {pid: dict(weeks) for pid, weeks in load.items()}


def capacities(schedule: Schedule) -> dict[str, int]:
    """Person id -> capacity percent (100 for an assignee missing from the staff)."""
    known = {p.id: p.capacity for p in schedule.staff}
    return {pid: known.get(pid, 100) for pid in person_colours(schedule)}


def share_of_capacity(load: float, capacity: int, days: int = 1) -> float:
    """A load (percent-days) as a share of `days` full days at `capacity`: 1.0 is full; a
    load with no day or no capacity to hold it is measured against one day at 1%."""
    return round(load / (max(capacity, 1) * max(days, 1)), 4)


def work_span(schedule: Schedule) -> list[date]:
    """Every calendar day from the first to the last day anybody works (none without tasks)."""
    worked = [day for task in schedule.tasks for day in worked_days(task)]
    return day_range(min(worked), max(worked)) if worked else []


def week_working_days(day: date, off: OffDays) -> int:
    """The working days of the ISO week holding `day`."""
    monday = day - timedelta(days=day.weekday())
    return sum(monday + timedelta(days=n) not in off for n in range(7))


def weekly_share(schedule: Schedule, off: OffDays) -> dict[str, dict[str, float]]:
    """Person id -> ISO week -> their load as a share of their capacity that week (1.0 full):
    their person-days over capacity x the week's working days."""
    working = {iso_week(day): week_working_days(day, off) for day in work_span(schedule)}
    cap = capacities(schedule)
    return {
        pid: {
            week: share_of_capacity(days * 100, cap[pid], working.get(week, 0))
            for week, days in weeks.items()
        }
        for pid, weeks in weekly_load(schedule).items()
    }


def over_capacity_days(schedule: Schedule) -> dict[str, list[date]]:
    """Person id -> the days their tasks' loads add up to more than their capacity."""
    cap = capacities(schedule)
    return {
        pid: sorted(day for day, load in days.items() if load > cap[pid])
        for pid, days in daily_load(schedule).items()
    }


def fill_people_sheet(sheet: Worksheet, schedule: Schedule, off: OffDays) -> None:
    """Fill the People sheet (see the module docstring)."""
    zh = is_chinese(schedule.language)
    sheet["A1"] = (
        "每人的负荷占其能力的比例：100% = 按其能力满负荷工作（每周：占当周工作日的比例）；"
        "超过 100% 即超负荷（红色）"
        if zh
        else "Each person's load as a share of their capacity: 100% = full days at their "
        "capacity (per week: of that week's working days); over 100% is over capacity (red)"
    )
    sheet["A1"].font = Font(italic=True)
    days = work_span(schedule)
    weeks = sorted({iso_week(d) for d in days})
    people = list(person_colours(schedule))
    week_range = _weeks_table(sheet, schedule, off, people, weeks, zh)
    day_range_ = _days_table(sheet, schedule, off, people, days, zh)
    _load_rules(sheet, [r for r in (week_range, day_range_) if r])
    sheet.freeze_panes = "C3"
    widths = {"A": 16, "B": 12, "C": 11, "D": 13}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    last = max(WEEK_FIRST_COLUMN + len(weeks), DAY_FIRST_COLUMN + len(people))
    for col in range(WEEK_FIRST_COLUMN, last):
        sheet.column_dimensions[get_column_letter(col)].width = 11
    # the name columns on every page; no title row: the two tables have different headers
    print_landscape(sheet, title_cols="A:B", scale=70)


def _weeks_table(
    sheet: Worksheet,
    schedule: Schedule,
    off: OffDays,
    people: list[str],
    weeks: list[str],
    zh: bool,
) -> str | None:
    header = (
        ["人员", "编号", "能力 %", "超负荷天数"]
        if zh
        else ["person", "id", "capacity %", "over-capacity days"]
    )
    sheet.append(header + weeks)
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = wrap
    names, colours, cap = person_names(schedule), person_colours(schedule), capacities(schedule)
    share, over = weekly_share(schedule, off), over_capacity_days(schedule)
    styles = StyleCache()
    for row, pid in enumerate(people, start=3):
        values = [names.get(pid, pid), pid, cap[pid], len(over.get(pid, ()))]
        values += [share.get(pid, {}).get(w) for w in weeks]
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column)
            set_text(cell, value)
            if column >= WEEK_FIRST_COLUMN:
                styles.apply_format(cell, "0%")
        sheet.cell(row=row, column=1).fill = solid_fill(colours[pid])
    if not people:
        return None
    last = 2 + len(people)
    count = CellIsRule(
        operator="greaterThan", formula=["0"], fill=_solid(OVER_COLOUR), font=_white_bold()
    )
    sheet.conditional_formatting.add(f"D3:D{last}", count)
    if not weeks:
        return None
    return f"E3:{get_column_letter(WEEK_FIRST_COLUMN + len(weeks) - 1)}{last}"


def days_table_first_row(people: int) -> int:
    """The header row of the per-day table, below the weekly table and a title row."""
    return 2 + people + 3


def _days_table(
    sheet: Worksheet,
    schedule: Schedule,
    off: OffDays,
    people: list[str],
    days: list[date],
    zh: bool,
) -> str | None:
    if not people or not days:
        return None
    top = days_table_first_row(len(people))
    title = sheet.cell(row=top - 1, column=1)
    title.value = "每天（占能力的比例）" if zh else "Per day (share of capacity)"
    title.font = Font(bold=True)
    names, cap, load = person_names(schedule), capacities(schedule), daily_load(schedule)
    header = ["日期", "星期"] if zh else ["date", "weekday"]
    for column, value in enumerate(header + [names.get(p, p) for p in people], start=1):
        set_text(sheet.cell(row=top, column=column), value)
        sheet.cell(row=top, column=column).font = Font(bold=True)
    labels = weekday_labels(schedule.language)
    grey = solid_fill(OFF_DAY_COLOUR)
    styles = StyleCache()
    for row, day in enumerate(days, start=top + 1):
        date_cell = sheet.cell(row=row, column=1, value=day)
        styles.apply_format(date_cell, "yyyy-mm-dd")
        weekday = sheet.cell(row=row, column=2, value=labels[day.weekday()])
        if day in off:
            date_cell.fill = weekday.fill = grey
        for column, pid in enumerate(people, start=DAY_FIRST_COLUMN):
            percent = load.get(pid, {}).get(day, 0)
            if percent:
                cell = sheet.cell(
                    row=row, column=column, value=share_of_capacity(percent, cap[pid])
                )
                styles.apply_format(cell, "0%")
    last_col = get_column_letter(DAY_FIRST_COLUMN + len(people) - 1)
    return f"C{top + 1}:{last_col}{top + len(days)}"


def _load_rules(sheet: Worksheet, ranges: list[str]) -> None:
    if not ranges:
        return
    cells = " ".join(ranges)
    over = CellIsRule(
        operator="greaterThan",
        formula=["1"],
        fill=_solid(OVER_COLOUR),
        font=_white_bold(),
        stopIfTrue=True,
    )
    sheet.conditional_formatting.add(cells, over)
    scale = ColorScaleRule(
        start_type="num",
        start_value=0,
        start_color="FFFFFF",
        end_type="num",
        end_value=1,
        end_color=SCALE_COLOUR[1:].upper(),
    )
    sheet.conditional_formatting.add(cells, scale)


def _solid(colour: str) -> PatternFill:
    return solid_fill(colour)


def _white_bold() -> Font:
    return Font(bold=True, color="FFFFFF")
