"""RRULE expansion: the checker's own expander (tests/rules.py) and the engine, both held
to python-dateutil, which FORMAT.md section 4 names as the reference:

    "`repeat` is expanded with the plan's `start` as DTSTART; as in python-dateutil,
    DTSTART is an occurrence only when it matches the rule" ... "one occurrence per date
    within [start, end]".

The reference below iterates dateutil's rule directly (not the engine's call). Where a
case lists its dates, they are worked out by hand from a calendar, so that the reference
itself is checked too.
"""

from __future__ import annotations

import itertools
import warnings
from datetime import date, datetime, timedelta

import pytest
import rules
from dateutil.rrule import rrulestr

from scheduler import api


def dateutil_dates(rule: str, first: date, last: date) -> list[date]:
    """The dates of `rule` with DTSTART `first` up to `last`, straight from dateutil.

    Iterates the rule and stops at the first date past `last` (a rule must have one, or
    end by COUNT/UNTIL: dateutil would otherwise search up to the year 9999)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # COUNT with UNTIL
        recurrence = rrulestr(rule, dtstart=datetime.combine(first, datetime.min.time()))
    found = []
    for moment in recurrence:
        if moment.date() > last:
            break
        found.append(moment.date())
    return found


def d(text: str) -> date:
    return date.fromisoformat(text)


def days(*texts: str) -> list[date]:
    return [d(t) for t in texts]


# (id, rule, plan start = DTSTART, plan end, the dates worked out by hand)
EDGE_CASES = [
    (
        "monthday-31",  # months without a 31st have no occurrence (not the 30th)
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "2026-01-01",
        "2026-12-31",
        days(
            "2026-01-31",
            "2026-03-31",
            "2026-05-31",
            "2026-07-31",
            "2026-08-31",
            "2026-10-31",
            "2026-12-31",
        ),
    ),
    (
        "monthday-minus-1",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "2026-01-01",
        "2026-06-30",
        days("2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"),
    ),
    (
        "monthly-from-the-31st",  # no BYxxx: DTSTART's day of the month, so not Feb/Apr/Jun
        "FREQ=MONTHLY",
        "2026-01-31",
        "2026-06-30",
        days("2026-01-31", "2026-03-31", "2026-05-31"),
    ),
    (
        "setpos-last-friday",
        "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1",
        "2026-01-01",
        "2026-12-31",
        days(
            "2026-01-30",
            "2026-02-27",
            "2026-03-27",
            "2026-04-24",
            "2026-05-29",
            "2026-06-26",
            "2026-07-31",
            "2026-08-28",
            "2026-09-25",
            "2026-10-30",
            "2026-11-27",
            "2026-12-25",
        ),
    ),
    (
        "setpos-last-weekday",  # the last Monday-to-Friday day of each month
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "2026-03-01",
        "2026-05-31",
        days("2026-03-31", "2026-04-30", "2026-05-29"),
    ),
    (
        "setpos-dtstart-after-march-last-friday",  # 03-27 is before DTSTART: dropped
        "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1",
        "2026-03-28",
        "2026-05-31",
        days("2026-04-24", "2026-05-29"),
    ),
    (
        "setpos-weekly-from-a-wednesday",  # dateutil's first week starts at DTSTART
        "FREQ=WEEKLY;BYDAY=MO,FR;BYSETPOS=1",
        "2026-03-04",
        "2026-03-20",
        days("2026-03-06", "2026-03-09", "2026-03-16"),
    ),
    (
        "nth-friday-numbered-and-last",
        "FREQ=MONTHLY;BYDAY=1FR,-1FR",
        "2026-03-01",
        "2026-04-30",
        days("2026-03-06", "2026-03-27", "2026-04-03", "2026-04-24"),
    ),
    (
        "plain-and-numbered-byday",  # dateutil keeps the days that match both parts
        "FREQ=MONTHLY;BYDAY=FR,-1FR",
        "2026-03-01",
        "2026-04-30",
        days("2026-03-27", "2026-04-24"),
    ),
    (
        "until-inclusive",
        "FREQ=WEEKLY;BYDAY=FR;UNTIL=20260320",
        "2026-03-01",
        "2026-03-31",
        days("2026-03-06", "2026-03-13", "2026-03-20"),
    ),
    (
        "until-date-time",
        "FREQ=WEEKLY;BYDAY=FR;UNTIL=20260320T090000",
        "2026-03-01",
        "2026-03-31",
        days("2026-03-06", "2026-03-13", "2026-03-20"),
    ),
    (
        "until-beyond-the-plan-end",
        "FREQ=WEEKLY;BYDAY=FR;UNTIL=20261231",
        "2026-03-01",
        "2026-03-31",
        days("2026-03-06", "2026-03-13", "2026-03-20", "2026-03-27"),
    ),
    (
        "until-before-the-plan-start",
        "FREQ=WEEKLY;BYDAY=FR;UNTIL=20260220",
        "2026-03-01",
        "2026-03-31",
        [],
    ),
    (
        "count-dtstart-matches",  # DTSTART is the first of the three
        "FREQ=DAILY;COUNT=3",
        "2026-03-01",
        "2026-03-31",
        days("2026-03-01", "2026-03-02", "2026-03-03"),
    ),
    (
        "count-dtstart-does-not-match",  # Sunday 03-01 is not counted
        "FREQ=WEEKLY;BYDAY=WE;COUNT=3",
        "2026-03-01",
        "2026-03-31",
        days("2026-03-04", "2026-03-11", "2026-03-18"),
    ),
    (
        "count-beyond-the-plan-end",  # the other three are after the end
        "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=6",
        "2026-03-01",
        "2026-05-31",
        days("2026-03-15", "2026-04-15", "2026-05-15"),
    ),
    (
        "interval-fortnight",  # fortnights from DTSTART's week (Mon 02-23..Sun 03-01)
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
        "2026-03-01",
        "2026-03-31",
        days("2026-03-14", "2026-03-28"),
    ),
    (
        "interval-fortnight-wkst-sunday",  # the week is Sun 03-01..Sat 03-07
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA;WKST=SU",
        "2026-03-01",
        "2026-03-31",
        days("2026-03-07", "2026-03-21"),
    ),
    (
        "interval-quarterly-from-mid-january",  # January's 1st is before DTSTART
        "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1",
        "2026-01-15",
        "2026-12-31",
        days("2026-04-01", "2026-07-01", "2026-10-01"),
    ),
    (
        "dtstart-matches",
        "FREQ=WEEKLY;BYDAY=SU",
        "2026-03-01",
        "2026-03-15",
        days("2026-03-01", "2026-03-08", "2026-03-15"),
    ),
    (
        "weekly-without-byday",  # DTSTART's weekday
        "FREQ=WEEKLY",
        "2026-03-01",
        "2026-03-15",
        days("2026-03-01", "2026-03-08", "2026-03-15"),
    ),
    (
        "dtstart-does-not-match",
        "FREQ=WEEKLY;BYDAY=FR",
        "2026-03-01",
        "2026-03-15",
        days("2026-03-06", "2026-03-13"),
    ),
    (
        "all-after-the-plan-end",
        "FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=11",
        "2026-01-01",
        "2026-06-30",
        [],
    ),
    (
        "leap-day",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "2026-01-01",
        "2028-12-31",
        days("2028-02-29"),
    ),
    (
        "first-monday-of-the-year",
        "FREQ=YEARLY;BYDAY=1MO",
        "2026-01-01",
        "2027-12-31",
        days("2026-01-05", "2027-01-04"),
    ),
    (
        "second-sunday-of-may",
        "FREQ=YEARLY;BYMONTH=5;BYDAY=2SU",
        "2026-01-01",
        "2027-12-31",
        days("2026-05-10", "2027-05-09"),
    ),
    (
        "rrule-prefix-lower-case",
        "RRULE:freq=weekly;byday=fr",
        "2026-03-01",
        "2026-03-15",
        days("2026-03-06", "2026-03-13"),
    ),
]
CASE_IDS = [case[0] for case in EDGE_CASES]


@pytest.mark.parametrize(("name", "rule", "first", "last", "want"), EDGE_CASES, ids=CASE_IDS)
def test_dateutil_gives_the_dates_worked_out_by_hand(name, rule, first, last, want):
    assert dateutil_dates(rule, d(first), d(last)) == want


@pytest.mark.parametrize(("name", "rule", "first", "last", "want"), EDGE_CASES, ids=CASE_IDS)
def test_checker_expands_as_dateutil(name, rule, first, last, want):
    assert rules.rrule_dates(rule, d(first), d(last)) == dateutil_dates(rule, d(first), d(last))


# --------------------------------------------------------------------------- engine

TICK_TEMPLATE = """\
id: tick
name: {en: Tick, zh: 打卡}
kind: weekly
live_days: 1
steps:
  - id: prep
    name: {en: Prepare, zh: 准备}
    role: operations
    duration: 1
"""


def write_series_plan(folder, rule: str, first: str, last: str, extra: str = "") -> object:
    """A plan with one `repeat` activity of a one-step template."""
    (folder / "templates").mkdir(exist_ok=True)
    (folder / "templates" / "tick.yaml").write_text(TICK_TEMPLATE, encoding="utf-8")
    path = folder / "plan.yaml"
    path.write_text(
        f"name: rrule {rule}\n"
        f"start: {first}\n"
        f"end: {last}\n"
        "templates: [templates]\n"
        "calendar: {workdays: [mon, tue, wed, thu, fri]}\n"
        "staff: [{id: wang_fang, name: Wang Fang, roles: [operations]}]\n"
        "activities:\n"
        f'  - {{template: tick, repeat: "{rule}"{extra}}}\n',
        encoding="utf-8",
    )
    return path


def engine_ids(path) -> list[str]:
    return [o.id for o in api.activity_calendar(api.load_plan(path), [])]


def checker_ids(path) -> list[str]:
    return [o.id for o in rules.load_plan(path).occurrences]


@pytest.mark.parametrize(("name", "rule", "first", "last", "want"), EDGE_CASES, ids=CASE_IDS)
def test_engine_and_checker_occurrences_are_dateutils(tmp_path, name, rule, first, last, want):
    path = write_series_plan(tmp_path, rule, first, last)
    reference = [f"tick@{day.isoformat()}" for day in dateutil_dates(rule, d(first), d(last))]
    assert checker_ids(path) == reference
    assert engine_ids(path) == reference


def test_engine_and_checker_leave_except_dates_out(tmp_path):
    rule = "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1"
    path = write_series_plan(
        tmp_path, rule, "2026-03-01", "2026-06-30", extra=", except: [2026-04-24, 2026-06-26]"
    )
    want = ["tick@2026-03-27", "tick@2026-05-29"]
    assert checker_ids(path) == want
    assert engine_ids(path) == want


def test_the_cli_calendar_lists_the_same_occurrences(tmp_path, run_cli):
    rule = "FREQ=MONTHLY;BYMONTHDAY=31"
    path = write_series_plan(tmp_path, rule, "2026-01-01", "2026-12-31")
    result = run_cli(["calendar", path])
    assert result.exit_code == 0, result.output
    listed = [word for word in result.output.split() if word.startswith("tick@")]
    reference = [f"tick@{day}" for day in dateutil_dates(rule, d("2026-01-01"), d("2026-12-31"))]
    assert listed == reference == checker_ids(path)


# --------------------------------------------------------------------------- many rules

FREQS = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]
BY_PARTS = [
    "",
    "BYDAY=FR",
    "BYDAY=MO,FR",
    "BYDAY=-1FR",
    "BYDAY=2TU,-1FR",
    "BYDAY=FR,-1FR",
    "BYMONTHDAY=31",
    "BYMONTHDAY=-1",
    "BYMONTHDAY=1,15,-1",
    "BYDAY=FR;BYSETPOS=-1",
    "BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1,-1",
    "BYDAY=SA,SU;BYSETPOS=-1",
    "BYMONTH=2,3;BYMONTHDAY=29,30",
    "BYMONTH=3;BYDAY=2SU",
    "BYYEARDAY=1,-1,100",
    "BYDAY=FR;BYMONTHDAY=13",
]
ENDINGS = ["", "INTERVAL=2", "INTERVAL=3;COUNT=4", "UNTIL=20270415", "WKST=SU;INTERVAL=2"]
DTSTARTS = ["2026-03-01", "2026-03-04", "2026-12-28", "2028-02-29"]


def grid() -> list[str]:
    return [
        ";".join(part for part in (f"FREQ={freq}", by, ending) if part)
        for freq, by, ending in itertools.product(FREQS, BY_PARTS, ENDINGS)
    ]


@pytest.mark.parametrize("first", DTSTARTS)
def test_checker_expands_as_dateutil_for_many_rules(first):
    """Every combination above, over 500 days from each DTSTART (each one recurs, so
    dateutil stops soon after the horizon)."""
    start = d(first)
    last = start + timedelta(days=500)
    differ = {}
    for rule in grid():
        want, got = dateutil_dates(rule, start, last), rules.rrule_dates(rule, start, last)
        if want != got:
            differ[rule] = {"dateutil": want[:6], "checker": got[:6]}
    assert not differ, differ


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=HOURLY",  # within a day: no whole-day occurrences
        "FREQ=DAILY;BYHOUR=9,17",
        "FREQ=YEARLY;BYWEEKNO=10",  # not modelled by the checker: refused, not guessed
        "FREQ=WEEKLY;UNTIL=20260320T000000Z",  # dateutil refuses a UTC UNTIL here too
        "FREQ=MONTHLY;BYDAY=0FR",
        "FREQ=MONTHLY;BYMONTHDAY=0",
        "BYDAY=FR",
        "FREQ=WEEKLY;BYDAY=FR;BYDAY=MO",
    ],
)
def test_checker_refuses_what_it_cannot_expand(rule):
    with pytest.raises(ValueError):
        rules.rrule_dates(rule, d("2026-03-01"), d("2026-03-31"))
