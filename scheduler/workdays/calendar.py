"""The plan's working calendar: which dates are working days, and the integer axis over them.

Working days = `workdays` weekdays, minus the country's public holidays, plus its official
make-up working days (CN 调休), minus `closed`, plus `open` (FORMAT.md section 1). The solver
works on the index of a working day in `WorkCalendar.days`; dates exist only at the edges.

A calendar covers a span of dates (the plan and two years around it). A date outside it,
such as a leave years away, is simply before its first or after its last working day; a
working-day offset that would need working days beyond the span is `OutsideCalendar`.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache

import holidays

from scheduler.plan.model import CalendarSettings, Offset


@cache
def _country(code: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(code, years=year)


@cache
def _named(code: str, year: int, language: str) -> holidays.HolidayBase:
    """The holidays of `code` in `year` with their names in `language` (zh or en), where the
    library has that language."""
    wanted = {"zh": ("zh_CN", "zh_TW"), "en": ("en_US", "en_GB")}.get(language, ())
    supported = holidays.country_holidays(code, years=year).supported_languages
    chosen = next((lang for lang in wanted if lang in supported), None)
    return holidays.country_holidays(code, years=year, language=chosen)


def official_days_off(code: str, year: int) -> set[date]:
    """Public holidays of country `code` in `year`, as python-holidays gives them."""
    return set(_country(code, year).keys())


def makeup_working_days(code: str, year: int) -> set[date]:
    """Official make-up working days (CN 调休) of country `code` in `year`."""
    calendar = _country(code, year)
    return {d for d in getattr(calendar, "weekend_workdays", ()) if d.year == year}


def last_published_year(code: str) -> int | None:
    """The last year whose official holiday arrangement the library knows, when it tells.

    For CN, the State Council publishes each year's holidays and make-up days late in the
    year before; later years are the library's estimate without make-up days.
    """
    if code.upper() != "CN":
        return None
    from holidays.countries.china import ChinaStaticHolidays

    return max(ChinaStaticHolidays.special_public_holidays)


def provisional_years(code: str | None, years: Iterable[int]) -> list[int]:
    """The years among `years` whose official calendar is not published yet."""
    if not code:
        return []
    last = last_published_year(code)
    if last is None:
        return []
    return sorted({y for y in years if y > last})


def provisional_warning(code: str | None, years: Iterable[int], language: str = "en") -> str | None:
    """One warning naming every year among `years` whose official calendar is not
    published yet, in `language` (zh or en), or None when there is none."""
    from scheduler.phrases import phrasebook  # (the phrase book imports the plan model)

    late = provisional_years(code, years)
    if not late:
        return None
    say = phrasebook(language)
    listed = say("list").join(str(y) for y in late)
    return say("provisional_one" if len(late) == 1 else "provisional", years=listed, code=code)


_SHIFTED_DAY = re.compile(r"调休|substitut|day off|休息日", re.IGNORECASE)
_OBSERVED = re.compile(r"\s*[（(](补假|observed|estimated|估计)[)）]", re.IGNORECASE)


def _main_name(names: list[str]) -> str:
    """The name a holiday break is known by: the most frequent among its days' names, days
    moved by 调休 and "observed" marks aside."""
    cleaned = [_OBSERVED.sub("", n) for n in names if not _SHIFTED_DAY.search(n)] or names
    return Counter(cleaned).most_common(1)[0][0]


def _with_closed(name: str, closed: list[date], language: str) -> str:
    """A holiday break's name with the plan's closed days inside it (in order)."""
    from scheduler.phrases import phrasebook

    runs: list[list[date]] = []
    for day in closed:
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    say = phrasebook(language)
    days = say("list").join(str(r[0]) if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs)
    return say("with_closed", name=name, days=days)


class OutsideCalendar(ValueError):
    """A working-day offset that leads past the first or last working day of the span."""


class WorkCalendar:
    """The working days of a plan between two dates, numbered 0, 1, 2, ... in order."""

    def __init__(self, settings: CalendarSettings, first: date, last: date):
        self.settings = settings
        self.first = first
        self.last = last
        off: set[date] = set()
        extra: set[date] = set()
        if settings.holidays:
            for year in range(first.year, last.year + 1):
                off |= official_days_off(settings.holidays, year)
                extra |= makeup_working_days(settings.holidays, year)
        closed, opened = set(settings.closed), set(settings.open)
        days = []
        day = first
        while day <= last:
            working = day.weekday() in settings.workdays and day not in off
            working = (working or day in extra) and day not in closed
            if working or day in opened:
                days.append(day)
            day += timedelta(days=1)
        self.days: list[date] = days
        self._index = {d: i for i, d in enumerate(days)}

    def __len__(self) -> int:
        return len(self.days)

    def is_working(self, day: date) -> bool:
        """Whether `day` is a working day of the plan."""
        return day in self._index

    def index(self, day: date) -> int:
        """The axis index of working day `day`."""
        return self._index[day]

    def index_on_or_after(self, day: date) -> int:
        """The index of the first working day on or after `day` (`len(self)` when there is
        none in the span: `day` is after it)."""
        return bisect.bisect_left(self.days, day)

    def index_on_or_before(self, day: date) -> int:
        """The index of the last working day on or before `day` (-1 when there is none in
        the span: `day` is before it)."""
        return bisect.bisect_right(self.days, day) - 1

    def day(self, index: int) -> date:
        """The working day at axis index `index`."""
        return self.days[index]

    def workday(self, anchor: date, n: int) -> date:
        """The n-th working day after `anchor` (before it when n < 0), as Excel's WORKDAY.

        `anchor` itself need not be a working day and is not counted; n == 0 is the anchor.
        Raises `OutsideCalendar` when that working day is not in the span.
        """
        if n == 0:
            return anchor
        if n > 0:
            index = bisect.bisect_right(self.days, anchor) + n - 1
        else:
            index = bisect.bisect_left(self.days, anchor) + n
        if not self.first <= anchor <= self.last or not 0 <= index < len(self.days):
            direction = "after" if n > 0 else "before"
            raise OutsideCalendar(
                f"{abs(n)} working days {direction} {anchor} fall outside the working "
                f"calendar {self.first}..{self.last}"
            )
        return self.days[index]

    def resolve(self, offset: Offset, start: date, end: date) -> date:
        """The date an offset names for an activity live from `start` to `end`."""
        anchor = start if offset.anchor == "start" else end
        if offset.unit == "wd":
            return self.workday(anchor, offset.amount)
        return anchor + timedelta(days=offset.amount)

    def day_off_name(self, day: date, language: str = "en") -> str | None:
        """Why a day that is not a working day is off, when it is more than a weekend: the
        official holiday's name, or "closed" for the plan's `closed` days; None otherwise."""
        if self.is_working(day):
            return None
        if day in self.settings.closed:
            return "店休 (closed)" if language == "zh" else "closed (the plan's closed days)"
        if self.settings.holidays:
            name = _named(self.settings.holidays, day.year, language).get(day)
            if name:
                return name
        return None

    def named_days_off(
        self, first: date, last: date, language: str = "en"
    ) -> list[tuple[date, date, str]]:
        """The holiday breaks from `first` to `last`: each run of consecutive days off that
        holds an official holiday or a closed day, with the weekends around it, and the
        holiday's name (the one most of its days carry, e.g. 春节 / National Day)."""
        breaks: list[tuple[date, date, str]] = []
        day = first
        while day <= last:
            if self.is_working(day):
                day += timedelta(days=1)
                continue
            block = []
            while day <= last and not self.is_working(day):
                block.append(day)
                day += timedelta(days=1)
            closed = [d for d in block if d in self.settings.closed]
            names = [n for d in block if d not in closed and (n := self.day_off_name(d, language))]
            if names:  # a holiday, and maybe closed days next to it
                name = _main_name(names)
                if closed:
                    name = _with_closed(name, closed, language)
                breaks.append((block[0], block[-1], name))
            elif closed:
                breaks.append((block[0], block[-1], self.day_off_name(closed[0], language)))
        return breaks

    def stretches(self, first_index: int, duration: int) -> list[tuple[date, date]]:
        """Runs of consecutive calendar days among the working days first_index.. +duration."""
        runs: list[tuple[date, date]] = []
        for day in self.days[first_index : first_index + duration]:
            if runs and day - runs[-1][1] == timedelta(days=1):
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        return runs
