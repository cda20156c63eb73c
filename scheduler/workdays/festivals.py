"""Named festival dates (FORMAT.md section 4): solar month-days and Chinese lunar dates."""

from __future__ import annotations

from datetime import date

from lunardate import LunarDate

# key -> (month, day) on the Gregorian calendar
SOLAR: dict[str, tuple[int, int]] = {
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

# key -> (lunar month, lunar day) on the Chinese lunar calendar
LUNAR: dict[str, tuple[int, int]] = {
    "spring_festival": (1, 1),
    "lantern": (1, 15),
    "dragon_boat": (5, 5),
    "qixi": (7, 7),
    "mid_autumn": (8, 15),
    "double_ninth": (9, 9),
}

FESTIVAL_KEYS: tuple[str, ...] = tuple(sorted(SOLAR | LUNAR))


def festival_date(key: str, year: int) -> date:
    """The date of festival `key` in Gregorian `year` (lunar festivals via `lunardate`)."""
    if key in SOLAR:
        month, day = SOLAR[key]
        return date(year, month, day)
    if key in LUNAR:
        month, day = LUNAR[key]
        return LunarDate(year, month, day).to_solar_date()
    raise KeyError(key)


def festival_dates(key: str, first: date, last: date) -> list[date]:
    """Every date of festival `key` that falls in [first, last], one per year at most."""
    found = []
    for year in range(first.year, last.year + 1):
        day = festival_date(key, year)
        if first <= day <= last:
            found.append(day)
    return found
