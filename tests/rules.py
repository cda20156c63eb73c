"""An independent checker of schedules against FORMAT.md (contract v1), rules 1-7.

Written from /work/shared/FORMAT.md alone: it imports nothing from `scheduler`.
It re-reads the plan file and its templates, builds the working calendar from
python-holidays, expands the occurrences (explicit dates, RRULEs, festivals),
resolves the offsets and then checks a parsed `schedule.json` dict.

    violations = check_schedule("plan.yaml", json.loads(Path("out/schedule.json").read_text()))
    assert violations == []

Every violation is one readable line that starts with what it is about:
`schedule:`, `tasks:`, `fields:`, `rule 1:` ... `rule 6:` or `rule 7:` (the
`late_days` bookkeeping), so that tests can look for a particular kind.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import holidays
import yaml
from lunardate import LunarDate

BUNDLED_TEMPLATES = Path(__file__).parents[1] / "templates" / "activities"

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
DEFAULT_WORKDAYS = ["mon", "tue", "wed", "thu", "fri"]

SOLAR_FESTIVALS = {
    "new_year": (1, 1),
    "valentines": (2, 14),
    "womens_day": (3, 8),
    "day_520": (5, 20),
    "mid_year_618": (6, 18),
    "double_nine": (9, 9),
    "national_day": (10, 1),
    "double_eleven": (11, 11),
    "double_twelve": (12, 12),
    "christmas": (12, 25),
}
LUNAR_FESTIVALS = {
    "spring_festival": (1, 1),
    "lantern": (1, 15),
    "dragon_boat": (5, 5),
    "qixi": (7, 7),
    "mid_autumn": (8, 15),
    "double_ninth": (9, 9),
}

OFFSET_RE = re.compile(r"^(start|end)(?:([+-])(\d+)(wd|d))?$")
AFTER_RE = re.compile(r"^([A-Za-z0-9_]+)(?:\+(\d+)(wd|d))?$")

STATUSES = {"optimal", "feasible", "infeasible"}


# --------------------------------------------------------------------------- dates


def as_date(value: object) -> date:
    """A YAML/JSON date (PyYAML already gives `date` for unquoted ISO dates)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


class WorkCalendar:
    """Working days: weekdays - holidays + make-up days - closed + open (FORMAT section 1)."""

    def __init__(self, calendar: dict | None):
        calendar = calendar or {}
        names = calendar.get("workdays") or DEFAULT_WORKDAYS
        self.weekdays = {WEEKDAYS[str(n).lower()[:3]] for n in names}
        country = calendar.get("holidays")
        self.country = str(country).upper() if country else None
        self.closed = {as_date(d) for d in calendar.get("closed") or []}
        self.open = {as_date(d) for d in calendar.get("open") or []}
        self._years: set[int] = set()
        self.holidays: set[date] = set()
        self.makeup: set[date] = set()

    def _load_year(self, year: int) -> None:
        if year in self._years:
            return
        self._years.add(year)
        if not self.country:
            return
        official = holidays.country_holidays(self.country, years=year)
        self.holidays.update(d for d in official if d.year == year)
        # CN 调休: python-holidays lists the make-up (weekend) working days here.
        self.makeup.update(getattr(official, "weekend_workdays", ()) or ())

    def is_working(self, day: date) -> bool:
        self._load_year(day.year)
        working = day.weekday() in self.weekdays
        if day in self.holidays:
            working = False
        if day in self.makeup:
            working = True
        if day in self.closed:
            working = False
        if day in self.open:
            working = True
        return working

    def workday(self, anchor: date, n: int) -> date:
        """Excel WORKDAY(anchor, n): the n-th working day after (n > 0) or before (n < 0)
        the anchor, counted from the anchor itself, which need not be a working day."""
        day, step, left = anchor, (1 if n > 0 else -1), abs(n)
        while left:
            day += timedelta(days=step)
            if self.is_working(day):
                left -= 1
        return day

    def on_or_after(self, day: date) -> date:
        while not self.is_working(day):
            day += timedelta(days=1)
        return day

    def on_or_before(self, day: date) -> date:
        while not self.is_working(day):
            day -= timedelta(days=1)
        return day

    def working_days(self, first: date, last: date) -> list[date]:
        days, day = [], first
        while day <= last:
            if self.is_working(day):
                days.append(day)
            day += timedelta(days=1)
        return days


# --------------------------------------------------------------------------- RRULE
#
# FORMAT section 4: "`repeat` is expanded with the plan's `start` as DTSTART; as in
# python-dateutil, DTSTART is an occurrence only when it matches the rule", "one
# occurrence per date within [start, end]". This is a small RFC 5545 expander of its own
# (dates only), not a call into dateutil, so that the engine (which calls dateutil) and
# the checker do not share a blind spot; tests/test_rules_rrule.py holds both to dateutil.
#
# The model: the rule cuts time into periods (a day, a week starting on WKST, a month, a
# year; every INTERVAL-th one from DTSTART's). In each period the candidates are the days
# that pass every BYxxx part given (dateutil intersects them all, also plain and numbered
# BYDAY in one rule); BYSETPOS then picks by position among them. Days before DTSTART are
# dropped, COUNT counts what is left, UNTIL (inclusive) and the plan's end stop it.

RRULE_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
RRULE_DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
RRULE_BYDAY_RE = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
RRULE_UNTIL_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2}))?$")
RRULE_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYMONTHDAY"}
RRULE_PARTS |= {"BYMONTH", "BYYEARDAY", "BYSETPOS"}


@dataclass
class Recurrence:
    """One parsed RRULE (the parts that make sense for whole days)."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: datetime | None = None  # inclusive; naive, like the plan's midnight DTSTART
    wkst: int = 0
    weekdays: frozenset[int] = frozenset()  # BYDAY without a number
    numbered: frozenset[tuple[int, int]] = frozenset()  # BYDAY with one: (weekday, n)
    monthdays: frozenset[int] = frozenset()  # 1..31 and -31..-1
    months: frozenset[int] = frozenset()
    yeardays: frozenset[int] = frozenset()  # 1..366 and -366..-1
    setpos: tuple[int, ...] = ()


def parse_rrule(text: str) -> Recurrence:
    """`FREQ=WEEKLY;BYDAY=FR` (an optional `RRULE:` prefix, any case) -> Recurrence.

    Parts a whole-day plan cannot use (BYHOUR ...) and the rarely used BYWEEKNO are a
    ValueError: the checker would rather refuse than guess."""
    body = str(text).strip().upper()
    if body.startswith("RRULE:"):
        body = body[len("RRULE:") :]
    parts: dict[str, str] = {}
    for chunk in body.split(";"):
        name, equals, value = chunk.partition("=")
        if not equals or not value:
            raise ValueError(f"RRULE part {chunk!r} of {text!r} is not NAME=VALUE")
        if name not in RRULE_PARTS:
            raise ValueError(f"RRULE part {name} of {text!r}: not supported by the checker")
        if name in parts:
            raise ValueError(f"RRULE part {name} given twice in {text!r}")
        parts[name] = value
    if parts.get("FREQ") not in RRULE_FREQS:
        raise ValueError(f"RRULE {text!r}: FREQ must be one of {RRULE_FREQS}")
    freq = parts["FREQ"]

    until = None
    if "UNTIL" in parts:
        match = RRULE_UNTIL_RE.match(parts["UNTIL"])
        if not match:
            # A UTC (Z) UNTIL with a floating DTSTART is refused by dateutil as well.
            raise ValueError(f"RRULE UNTIL={parts['UNTIL']}: not a floating date or date-time")
        until = datetime(*(int(g or 0) for g in match.groups()))

    weekdays, numbered = set(), set()
    for item in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else []:
        match = RRULE_BYDAY_RE.match(item)
        if not match:
            raise ValueError(f"RRULE BYDAY item {item!r}")
        number, day = match.groups()
        if number is not None and int(number) == 0:
            raise ValueError(f"RRULE BYDAY item {item!r}: 0 is no position")
        # As dateutil does: a number means "n-th in the month/year" only for MONTHLY and
        # YEARLY rules; for WEEKLY and DAILY it is dropped.
        if number is None or freq in ("DAILY", "WEEKLY"):
            weekdays.add(RRULE_DAYS[day])
        else:
            numbered.add((RRULE_DAYS[day], int(number)))

    def signed(name: str, limit: int) -> list[int]:
        if name not in parts:
            return []
        values = [int(v) for v in parts[name].split(",")]
        if any(v == 0 or abs(v) > limit for v in values):
            raise ValueError(f"RRULE {name}={parts[name]}: out of range")
        return values

    months = [int(v) for v in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else []
    if any(not 1 <= m <= 12 for m in months):
        raise ValueError(f"RRULE BYMONTH={parts['BYMONTH']}: months are 1..12")
    interval = int(parts.get("INTERVAL", "1"))
    count = int(parts["COUNT"]) if "COUNT" in parts else None
    if interval < 1 or (count is not None and count < 1):
        raise ValueError(f"RRULE {text!r}: INTERVAL and COUNT are at least 1")
    if parts.get("WKST", "MO") not in RRULE_DAYS:
        raise ValueError(f"RRULE WKST={parts['WKST']}")
    return Recurrence(
        freq=freq,
        interval=interval,
        count=count,
        until=until,
        wkst=RRULE_DAYS[parts.get("WKST", "MO")],
        weekdays=frozenset(weekdays),
        numbered=frozenset(numbered),
        monthdays=frozenset(signed("BYMONTHDAY", 31)),
        months=frozenset(months),
        yeardays=frozenset(signed("BYYEARDAY", 366)),
        setpos=tuple(signed("BYSETPOS", 366)),
    )


def _month_length(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - date(year, month, 1)).days


def _nth_weekday_in(first: date, last: date, weekday: int, n: int) -> date | None:
    """The n-th (from the end when n < 0) `weekday` of the days first..last."""
    matching = [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if (first + timedelta(days=i)).weekday() == weekday
    ]
    if not 1 <= abs(n) <= len(matching):
        return None
    return matching[n - 1] if n > 0 else matching[n]


def _period_days(rule: Recurrence, dtstart: date, k: int) -> list[date]:
    """The days of the k-th period the rule visits (k = 0: the one holding DTSTART)."""
    if rule.freq == "DAILY":
        return [dtstart + timedelta(days=k * rule.interval)]
    if rule.freq == "WEEKLY":
        week_start = dtstart - timedelta(days=(dtstart.weekday() - rule.wkst) % 7)
        week_start += timedelta(weeks=k * rule.interval)
        days = [week_start + timedelta(days=i) for i in range(7)]
        # dateutil's first weekly period runs from DTSTART itself to the week's end, so
        # BYSETPOS counts only the days from DTSTART on in that week.
        return [d for d in days if d >= dtstart] if k == 0 else days
    if rule.freq == "MONTHLY":
        index = dtstart.year * 12 + dtstart.month - 1 + k * rule.interval
        year, month = divmod(index, 12)
        month += 1
        return [date(year, month, d) for d in range(1, _month_length(year, month) + 1)]
    year = dtstart.year + k * rule.interval
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


def _candidates(rule: Recurrence, dtstart: date, days: list[date]) -> list[date]:
    """The days of one period that pass every BYxxx filter (with dateutil's defaults)."""
    weekdays, monthdays, months = rule.weekdays, rule.monthdays, rule.months
    if not (weekdays or rule.numbered or monthdays or rule.yeardays):
        # Nothing says which days: the rule repeats DTSTART's weekday / day / date.
        if rule.freq == "WEEKLY":
            weekdays = frozenset({dtstart.weekday()})
        elif rule.freq == "MONTHLY":
            monthdays = frozenset({dtstart.day})
        elif rule.freq == "YEARLY":
            monthdays = frozenset({dtstart.day})
            months = months or frozenset({dtstart.month})

    numbered_days: set[date] = set()
    if rule.numbered:
        # "The n-th Friday" of the month (MONTHLY, or YEARLY with BYMONTH), else of the year.
        spans = set()
        for day in days:
            if rule.freq == "MONTHLY" or rule.months:
                last = date(day.year, day.month, _month_length(day.year, day.month))
                spans.add((date(day.year, day.month, 1), last))
            else:
                spans.add((date(day.year, 1, 1), date(day.year, 12, 31)))
        for first, last in spans:
            for weekday, n in rule.numbered:
                hit = _nth_weekday_in(first, last, weekday, n)
                if hit is not None:
                    numbered_days.add(hit)

    kept = []
    for day in days:
        month_length = _month_length(day.year, day.month)
        year_length = 366 if _month_length(day.year, 2) == 29 else 365
        yearday = (day - date(day.year, 1, 1)).days + 1
        if months and day.month not in months:
            continue
        if weekdays and day.weekday() not in weekdays:
            continue
        if rule.numbered and day not in numbered_days:
            continue
        if monthdays and not ({day.day, day.day - month_length - 1} & monthdays):
            continue
        if rule.yeardays and not ({yearday, yearday - year_length - 1} & rule.yeardays):
            continue
        kept.append(day)
    if rule.setpos:
        picked = set()
        for position in rule.setpos:
            if 1 <= abs(position) <= len(kept):
                picked.add(kept[position - 1] if position > 0 else kept[position])
        kept = sorted(picked)
    return kept


def rrule_dates(text: str, dtstart: date, last: date) -> list[date]:
    """The occurrence dates of RRULE `text` with DTSTART `dtstart`, up to `last` inclusive."""
    rule = parse_rrule(text)

    def beyond(day: date) -> bool:
        """Past the plan's end or past UNTIL (which is inclusive, a date-time or a date)."""
        return day > last or (rule.until is not None and datetime.combine(day, time()) > rule.until)

    found: list[date] = []
    k = 0
    while not beyond(_period_days(rule, dtstart, k)[0]):
        for day in _candidates(rule, dtstart, _period_days(rule, dtstart, k)):
            if day < dtstart:
                continue  # DTSTART is an occurrence only when it matches; nothing before it
            if beyond(day):
                return found
            found.append(day)
            if len(found) == rule.count:
                return found
        k += 1
    return found


# --------------------------------------------------------------------------- plan


@dataclass
class Lag:
    step: str
    n: int = 0
    unit: str = "wd"


@dataclass
class Step:
    id: str
    role: str
    duration: int
    load: int = 100
    after: list[Lag] = field(default_factory=list)
    earliest: str | None = None
    due: str | None = None
    strict: bool = False
    name: object = None


@dataclass
class Staff:
    id: str
    roles: set[str]
    capacity: int = 100
    leave: list[tuple[date, date]] = field(default_factory=list)
    stores: set[str] | None = None  # None: works for all stores

    def on_leave(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.leave)


@dataclass
class Occurrence:
    id: str
    template: str
    start: date
    end: date
    store: str | None
    owner: str | None
    steps: list[Step]


@dataclass
class ExpectedTask:
    id: str
    occurrence: Occurrence
    step: Step
    earliest: date | None  # as written (the offset resolved)
    due: date | None  # as written, even when not a working day


@dataclass
class Plan:
    path: Path
    name: str
    start: date
    end: date
    language: str
    calendar: WorkCalendar
    staff: dict[str, Staff]
    occurrences: list[Occurrence]
    tasks: dict[str, ExpectedTask]


def parse_offset(text: str) -> tuple[str, int, str]:
    """`start-5wd` -> ("start", -5, "wd"); `end` -> ("end", 0, "d")."""
    match = OFFSET_RE.match(str(text).strip())
    if not match:
        raise ValueError(f"not an offset: {text!r}")
    anchor, sign, number, unit = match.groups()
    n = int(number or 0) * (-1 if sign == "-" else 1)
    return anchor, n, unit or "d"


def resolve_offset(text: str, occurrence: Occurrence, calendar: WorkCalendar) -> date:
    anchor_name, n, unit = parse_offset(text)
    anchor = occurrence.start if anchor_name == "start" else occurrence.end
    if unit == "wd":
        return calendar.workday(anchor, n)
    return anchor + timedelta(days=n)


def parse_after(entry: object) -> Lag:
    match = AFTER_RE.match(str(entry).strip())
    if not match:
        raise ValueError(f"not a predecessor: {entry!r}")
    step, number, unit = match.groups()
    return Lag(step, int(number or 0), unit or "wd")


def load_yaml(path: Path) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader) or {}


def template_folders(plan_path: Path, data: dict) -> list[Path]:
    extra = data.get("templates") or []
    if isinstance(extra, str):
        extra = [extra]
    return [plan_path.parent / folder for folder in extra] + [BUNDLED_TEMPLATES]


def load_template(template_id: str, folders: list[Path]) -> tuple[list[Step], int]:
    """The steps and default `live_days` of a template: plan folders first, then bundled."""
    for folder in folders:
        for suffix in (".yaml", ".yml"):
            path = folder / f"{template_id}{suffix}"
            if path.is_file():
                data = load_yaml(path)
                steps = [
                    Step(
                        id=str(s["id"]),
                        role=str(s["role"]),
                        duration=int(s["duration"]),
                        load=int(s.get("load", 100)),
                        after=[parse_after(a) for a in s.get("after") or []],
                        earliest=s.get("earliest"),
                        due=s.get("due"),
                        strict=bool(s.get("strict", False)),
                        name=s.get("name"),
                    )
                    for s in data.get("steps") or []
                ]
                return steps, int(data.get("live_days", 1))
    raise ValueError(f"template {template_id!r} not found in {[str(f) for f in folders]}")


def festival_date(key: str, year: int) -> date:
    if key in SOLAR_FESTIVALS:
        month, day = SOLAR_FESTIVALS[key]
        return date(year, month, day)
    if key in LUNAR_FESTIVALS:
        month, day = LUNAR_FESTIVALS[key]
        return LunarDate(year, month, day).to_solar_date()
    raise ValueError(f"unknown festival {key!r}")


def activity_dates(activity: dict, plan_start: date, plan_end: date) -> list[date]:
    """The live-window start dates of one activity entry that fall in [start, end],
    without its `except` dates (a ValueError names an except date that is no occurrence)."""
    if activity.get("start") is not None:
        if activity.get("except"):
            raise ValueError(f"`except` on a one-off activity (only repeat/festival): {activity!r}")
        starts = [as_date(activity["start"])]
    elif activity.get("repeat"):
        # DTSTART is the plan's start; as in dateutil it counts only when it matches.
        starts = rrule_dates(str(activity["repeat"]), plan_start, plan_end)
    elif activity.get("festival"):
        key = str(activity["festival"])
        starts = [festival_date(key, y) for y in range(plan_start.year, plan_end.year + 1)]
    else:
        raise ValueError(f"activity without start, repeat or festival: {activity!r}")
    starts = [d for d in starts if plan_start <= d <= plan_end]
    # `except`: occurrence start dates that are not planned, like EXDATE; a date that is
    # no occurrence is bad input.
    listed = activity.get("except") or []
    if not isinstance(listed, list):
        raise ValueError(f"except {listed!r} is not a list of dates: {activity!r}")
    excepted = {as_date(d) for d in listed}
    strays = sorted(excepted - set(starts))
    if strays:
        raise ValueError(
            f"except {[d.isoformat() for d in strays]} of {activity!r}: no occurrence on "
            f"that date (occurrences: {[d.isoformat() for d in starts]})"
        )
    return [d for d in starts if d not in excepted]


def load_plan(plan_path: str | Path) -> Plan:
    plan_path = Path(plan_path)
    data = load_yaml(plan_path)
    start, end = as_date(data["start"]), as_date(data["end"])
    calendar = WorkCalendar(data.get("calendar"))
    folders = template_folders(plan_path, data)

    staff = {}
    for member in data.get("staff") or []:
        stores = member.get("stores")
        staff[str(member["id"])] = Staff(
            id=str(member["id"]),
            roles={str(r) for r in member.get("roles") or []},
            capacity=int(member.get("capacity", 100)),
            leave=[(as_date(x["from"]), as_date(x["to"])) for x in member.get("leave") or []],
            stores=None if stores is None else {str(s) for s in stores},
        )

    templates: dict[str, tuple[list[Step], int]] = {}
    occurrences: list[Occurrence] = []
    for activity in data.get("activities") or []:
        template_id = str(activity["template"])
        if template_id not in templates:
            templates[template_id] = load_template(template_id, folders)
        steps, template_live_days = templates[template_id]
        live_days = int(activity.get("live_days", template_live_days))
        explicit = activity.get("start") is not None
        for first in activity_dates(activity, start, end):
            if explicit and activity.get("end") is not None:
                last = as_date(activity["end"])  # end wins over live_days
            else:
                last = first + timedelta(days=live_days - 1)
            if explicit and activity.get("id"):
                occurrence_id = str(activity["id"])
            else:
                occurrence_id = f"{activity.get('id') or template_id}@{first.isoformat()}"
            store = activity.get("store")
            if store:
                occurrence_id = f"{store}:{occurrence_id}"
            occurrences.append(
                Occurrence(
                    id=occurrence_id,
                    template=template_id,
                    start=first,
                    end=last,
                    store=str(store) if store else None,
                    owner=str(activity["owner"]) if activity.get("owner") else None,
                    steps=steps,
                )
            )

    seen: set[str] = set()
    tasks: dict[str, ExpectedTask] = {}
    for occurrence in occurrences:
        if occurrence.id in seen:
            raise ValueError(f"{plan_path}: two occurrences with the id {occurrence.id!r}")
        seen.add(occurrence.id)
        for step in occurrence.steps:
            task_id = f"{occurrence.id}/{step.id}"
            tasks[task_id] = ExpectedTask(
                id=task_id,
                occurrence=occurrence,
                step=step,
                earliest=resolve_offset(step.earliest, occurrence, calendar)
                if step.earliest
                else None,
                due=resolve_offset(step.due, occurrence, calendar) if step.due else None,
            )

    return Plan(
        path=plan_path,
        name=str(data.get("name")),
        start=start,
        end=end,
        language=str(data.get("language", "en")),
        calendar=calendar,
        staff=staff,
        occurrences=occurrences,
        tasks=tasks,
    )


def step_name(step: Step, language: str) -> str:
    if isinstance(step.name, dict):
        return str(step.name.get(language) or step.name.get("en") or step.id)
    return str(step.name or step.id)


def expected_late_days(end: date, due: date | None, calendar: WorkCalendar) -> int:
    """Rule 7: on time when the task ends by the last working day on or before `due`;
    otherwise the calendar days from `due` as written to the task's last day."""
    if due is None or end <= calendar.on_or_before(due):
        return 0
    return max(0, (end - due).days)


# --------------------------------------------------------------------------- checker


def check_schedule(
    plan_path: str | Path,
    schedule: dict,
    *,
    today: date | str | None = None,
) -> list[str]:
    """Every violation of FORMAT.md rules 1-7 (and of the task set) in `schedule`.

    `today` (re-planning, FORMAT section 5): a task that ended before it is history,
    and rules 1-4 are not re-checked for it ("it happened"); rules 5 and 6 still are,
    since the contract exempts only 1-4 and says "Rules 1-6 are never broken". For a
    task under way on it, rules 3 and 4 apply from `today` on; its start is held to
    `earliest` like any other (see rule 6 below).
    """
    plan = load_plan(plan_path)
    today = as_date(today) if today is not None else None
    calendar = plan.calendar
    out: list[str] = []

    # Schedule level.
    status = schedule.get("status")
    if status not in STATUSES:
        out.append(f"schedule: status {status!r} is not one of {sorted(STATUSES)}")
    if schedule.get("format") != 1:
        out.append(f"schedule: format {schedule.get('format')!r} is not 1")
    if schedule.get("plan") != plan.name:
        out.append(f"schedule: plan {schedule.get('plan')!r} is not the plan's name {plan.name!r}")
    tasks = schedule.get("tasks") or []
    if status == "infeasible":
        if tasks:
            out.append(f"schedule: status infeasible but {len(tasks)} tasks")
        return out

    # The task set: every occurrence x every step, no more, no fewer.
    by_id: dict[str, dict] = {}
    for task in tasks:
        task_id = task.get("id")
        if task_id in by_id:
            out.append(f"tasks: {task_id} appears twice")
        by_id[task_id] = task
    for task_id in sorted(set(plan.tasks) - set(by_id)):
        out.append(f"tasks: {task_id} is missing")
    for task_id in sorted(set(by_id) - set(plan.tasks), key=str):
        out.append(f"tasks: {task_id} is not implied by the plan")

    # Parse the tasks we can check.
    checked: dict[str, tuple[ExpectedTask, dict, date, date]] = {}
    for task_id, task in by_id.items():
        expected = plan.tasks.get(task_id)
        if expected is None:
            continue
        try:
            first, last = as_date(task["start"]), as_date(task["end"])
        except (KeyError, TypeError, ValueError):
            out.append(f"fields: {task_id}: start/end {task.get('start')!r}/{task.get('end')!r}")
            continue
        checked[task_id] = (expected, task, first, last)
        out.extend(_check_fields(task_id, expected, task, calendar))

    def finished(last: date) -> bool:
        return today is not None and last < today

    daily_load: dict[tuple[str, date], list[tuple[str, int]]] = defaultdict(list)
    for task_id, (expected, task, first, last) in checked.items():
        step, occurrence = expected.step, expected.occurrence
        assignee = task.get("assignee")
        history = finished(last)

        # Rule 1: one assignee with the role, for the store, the owner where it applies.
        person = plan.staff.get(assignee)
        if not history:
            if person is None:
                out.append(f"rule 1: {task_id}: assignee {assignee!r} is not in the staff")
            else:
                if step.role not in person.roles:
                    out.append(
                        f"rule 1: {task_id}: {assignee} lacks role {step.role!r} "
                        f"(has {sorted(person.roles)})"
                    )
                if (
                    occurrence.store
                    and person.stores is not None
                    and (occurrence.store not in person.stores)
                ):
                    out.append(
                        f"rule 1: {task_id}: {assignee} does not work for store "
                        f"{occurrence.store!r} (works for {sorted(person.stores)})"
                    )
                owner = plan.staff.get(occurrence.owner) if occurrence.owner else None
                if (
                    owner is not None
                    and step.role in owner.roles
                    and (
                        occurrence.store is None
                        or owner.stores is None
                        or occurrence.store in owner.stores
                    )
                    and assignee != owner.id
                ):
                    out.append(
                        f"rule 1: {task_id}: owner {owner.id} holds role {step.role!r} "
                        f"but the assignee is {assignee}"
                    )

        # Rule 2: `duration` consecutive working days, start and end working days.
        days = calendar.working_days(first, last)
        if not history:
            if last < first:
                out.append(f"rule 2: {task_id}: end {last} before start {first}")
            if not calendar.is_working(first):
                out.append(f"rule 2: {task_id}: start {first} is not a working day")
            if not calendar.is_working(last):
                out.append(f"rule 2: {task_id}: end {last} is not a working day")
            if len(days) != step.duration:
                out.append(
                    f"rule 2: {task_id}: {first}..{last} holds {len(days)} working days, "
                    f"duration is {step.duration}"
                )

        # Rules 3 and 4 look at the days the assignee works (from `today` when re-planning).
        if person is not None and not history:
            for day in days:
                if today is not None and day < today:
                    continue
                if person.on_leave(day):
                    out.append(f"rule 3: {task_id}: {assignee} is on leave on {day}")
                daily_load[(assignee, day)].append((task_id, step.load))

        # Rule 6: earliest, and a strict due (rounded back to a working day). Checked for
        # every task, finished ones too: section 5 exempts a finished task from rules 1-4
        # only. A task under way on `today` is not exempt from `earliest` either: the
        # contract has it keep its start and re-checks rules 2-4 for a new assignee, but
        # nowhere lifts rule 6 for it, and "Rules 1-6 are never broken; when no schedule
        # satisfies them, status is infeasible". So the contract does not force the
        # exemption the checker used to make, and a kept start before a (moved) earliest
        # is a violation.
        if expected.earliest and first < expected.earliest:
            out.append(
                f"rule 6: {task_id}: starts {first}, before its earliest {expected.earliest}"
            )
        if step.strict and expected.due and last > calendar.on_or_before(expected.due):
            out.append(
                f"rule 6: {task_id}: strict due {expected.due} "
                f"(last working day {calendar.on_or_before(expected.due)}), ends {last}"
            )

        # Rule 7 bookkeeping: late_days as the contract counts them.
        want = expected_late_days(last, expected.due, calendar)
        if task.get("late_days") != want:
            out.append(
                f"rule 7: {task_id}: late_days {task.get('late_days')!r}, expected {want} "
                f"(end {last}, due {expected.due})"
            )

    # Rule 4: per person and working day, loads sum to at most the capacity.
    for (assignee, day), loads in sorted(daily_load.items()):
        total = sum(load for _, load in loads)
        capacity = plan.staff[assignee].capacity
        if total > capacity:
            names = ", ".join(f"{t} ({load})" for t, load in loads)
            out.append(f"rule 4: {assignee} on {day}: loads {total} > capacity {capacity}: {names}")

    # Rule 5: successor's first day after the predecessor's last day plus the lag.
    # Checked for finished tasks too (section 5 exempts them from rules 1-4 only).
    for task_id, (expected, _task, first, _last) in checked.items():
        for lag in expected.step.after:
            pred_id = f"{expected.occurrence.id}/{lag.step}"
            if pred_id not in checked:
                continue
            pred_last = checked[pred_id][3]
            if lag.unit == "wd":
                # At least the (n+1)-th working day after the predecessor's last day.
                limit = calendar.workday(pred_last, lag.n + 1)
                ok = first >= limit
            else:
                limit = pred_last + timedelta(days=lag.n)
                ok = first > limit
            if not ok:
                rel = ">=" if lag.unit == "wd" else ">"
                out.append(
                    f"rule 5: {task_id}: starts {first}, must be {rel} {limit} "
                    f"({pred_id} ends {pred_last}, lag {lag.n}{lag.unit})"
                )
    return out


def _check_fields(
    task_id: str, expected: ExpectedTask, task: dict, calendar: WorkCalendar
) -> list[str]:
    """The contract fields that follow from the plan alone."""
    out = []
    step = expected.step
    wants = {
        "activity": expected.occurrence.id,
        "step": step.id,
        "role": step.role,
        "load": step.load,
    }
    for key, want in wants.items():
        if task.get(key) != want:
            out.append(f"fields: {task_id}: {key} {task.get(key)!r}, expected {want!r}")
    due = task.get("due")
    if expected.due is None:
        if due not in (None, ""):
            out.append(f"fields: {task_id}: due {due!r} but the step has no due")
    elif due != expected.due.isoformat():
        # One value: the due as written (the step's offset resolved), even when it is not
        # a working day. Section 5 counts `late_days` "from `due`, as written even when it
        # is not a working day", which is only readable off the task if `due` holds that
        # date, and section 6's example names the field plainly `due`. The working day
        # before it (when the task must finish) is not the `due`.
        rounded = calendar.on_or_before(expected.due)
        note = f" (the last working day before it is {rounded})" if rounded != expected.due else ""
        out.append(
            f"fields: {task_id}: due {due!r}, expected {expected.due.isoformat()} as written{note}"
        )
    return out
