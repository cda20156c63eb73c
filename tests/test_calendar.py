"""The working calendar, offsets and festival dates against published facts (DOMAIN.md)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from scheduler.plan.model import CalendarSettings, Offset
from scheduler.workdays.calendar import WorkCalendar, provisional_years
from scheduler.workdays.festivals import FESTIVAL_KEYS, festival_date, festival_dates

CN = CalendarSettings()


@pytest.fixture(scope="module")
def cal2026() -> WorkCalendar:
    return WorkCalendar(CN, date(2025, 12, 1), date(2027, 1, 31))


@pytest.mark.parametrize(
    "day", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
)
def test_cn_makeup_days_2026_are_working_days(cal2026, day):
    assert cal2026.is_working(date.fromisoformat(day))


@pytest.mark.parametrize(
    "first,last",
    [
        ("2026-01-01", "2026-01-03"),
        ("2026-02-15", "2026-02-23"),
        ("2026-04-04", "2026-04-06"),
        ("2026-05-01", "2026-05-05"),
        ("2026-06-19", "2026-06-21"),
        ("2026-09-25", "2026-09-27"),
        ("2026-10-01", "2026-10-07"),
    ],
)
def test_cn_days_off_2026(cal2026, first, last):
    day = date.fromisoformat(first)
    while day <= date.fromisoformat(last):
        assert not cal2026.is_working(day), day
        day += timedelta(days=1)


def test_2026_has_248_working_days(cal2026):
    assert sum(1 for d in cal2026.days if d.year == 2026) == 248


def test_2027_is_provisional_and_2026_is_not():
    assert provisional_years("CN", [2026, 2027]) == [2027]
    assert provisional_years(None, [2027]) == []


def test_closed_and_open_override_everything():
    settings = CalendarSettings(
        closed=(date(2026, 3, 11), date(2026, 10, 10)), open=(date(2026, 3, 14), date(2026, 10, 5))
    )
    cal = WorkCalendar(settings, date(2026, 1, 1), date(2026, 12, 31))
    assert not cal.is_working(date(2026, 3, 11))  # a Wednesday
    assert not cal.is_working(date(2026, 10, 10))  # a make-up Saturday
    assert cal.is_working(date(2026, 3, 14))  # a Saturday
    assert cal.is_working(date(2026, 10, 5))  # a National Day holiday


def test_six_day_week():
    six_days = CalendarSettings(workdays=(0, 1, 2, 3, 4, 5))
    cal = WorkCalendar(six_days, date(2026, 3, 1), date(2026, 3, 31))
    assert cal.is_working(date(2026, 3, 7)) and not cal.is_working(date(2026, 3, 8))


@pytest.mark.parametrize(
    "anchor,n,expected",
    [
        ("2026-03-14", -1, "2026-03-13"),  # Saturday anchor: the Friday before
        ("2026-03-14", 1, "2026-03-16"),  # the Monday after
        ("2026-03-14", -6, "2026-03-06"),
        ("2026-03-13", -1, "2026-03-12"),  # a working anchor is not counted
        ("2026-03-13", 0, "2026-03-13"),
        ("2026-09-30", 1, "2026-10-08"),  # across National Day
        ("2026-10-09", 1, "2026-10-10"),  # the make-up Saturday counts
        ("2026-02-13", 1, "2026-02-14"),  # make-up Saturday before Spring Festival
        ("2026-02-14", 1, "2026-02-24"),  # then nine days off
    ],
)
def test_workday_is_excel_workday(cal2026, anchor, n, expected):
    assert cal2026.workday(date.fromisoformat(anchor), n) == date.fromisoformat(expected)


def test_offsets_in_days_and_working_days(cal2026):
    start, end = date(2026, 10, 15), date(2026, 10, 21)
    assert cal2026.resolve(Offset("start", -25, "d", "start-25d"), start, end) == date(2026, 9, 20)
    assert cal2026.resolve(Offset("start", -5, "wd", "start-5wd"), start, end) == date(2026, 10, 9)
    assert cal2026.resolve(Offset("end", 1, "d", "end+1d"), start, end) == date(2026, 10, 22)
    assert cal2026.resolve(Offset("end", 0, "d", "end"), start, end) == end


def test_stretches_split_at_weekends_and_holidays(cal2026):
    first = cal2026.index(date(2026, 9, 29))
    assert cal2026.stretches(first, 5) == [
        (date(2026, 9, 29), date(2026, 9, 30)),
        (date(2026, 10, 8), date(2026, 10, 10)),
    ]


@pytest.mark.parametrize(
    "key,expected",
    [
        ("spring_festival", "2026-02-17"),
        ("lantern", "2026-03-03"),
        ("dragon_boat", "2026-06-19"),
        ("qixi", "2026-08-19"),
        ("mid_autumn", "2026-09-25"),
        ("double_ninth", "2026-10-18"),
        ("double_eleven", "2026-11-11"),
        ("mid_year_618", "2026-06-18"),
    ],
)
def test_festival_dates_2026(key, expected):
    assert festival_date(key, 2026) == date.fromisoformat(expected)


def test_lunar_festivals_2027():
    assert [festival_date(k, 2027) for k in ("spring_festival", "dragon_boat", "mid_autumn")] == [
        date(2027, 2, 6),
        date(2027, 6, 9),
        date(2027, 9, 15),
    ]


def test_festival_dates_only_inside_the_window():
    assert festival_dates("spring_festival", date(2026, 8, 1), date(2026, 11, 30)) == []
    assert festival_dates("new_year", date(2026, 1, 1), date(2027, 12, 31)) == [
        date(2026, 1, 1),
        date(2027, 1, 1),
    ]
    assert len(FESTIVAL_KEYS) == 16
