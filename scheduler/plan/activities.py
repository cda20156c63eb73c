"""The `activities` section of a plan file (FORMAT.md section 4).

An activity names its template and exactly one of `start` (a one-off), `repeat` (an
RRULE expanded from the plan's start) or `festival` (a named date); its owner is on the
staff and its store in the plan's `stores`. Ids must keep occurrence ids unique.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

from dateutil.rrule import rrule, rrulestr

from scheduler.errors import shorten
from scheduler.plan.fields import Fields, one_of, written
from scheduler.plan.model import MAX_LIVE_DAYS, MAX_RULE_LENGTH, ActivitySpec, StaffMember
from scheduler.plan.staff import check_store
from scheduler.plan.staffing import works_for
from scheduler.workdays.festivals import FESTIVAL_KEYS

ACTIVITY_FIELDS = (
    "id", "template", "start", "end", "live_days", "repeat",
    "festival", "title", "owner", "store", "except",
)  # fmt: skip
WHEN_FIELDS = ("start", "repeat", "festival")  # exactly one per activity
DAY_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
RULE_PARTS = (
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)  # fmt: skip  (RFC 5545 section 3.3.10)
# part -> (lowest, highest, may be negative): RFC 5545's ranges of the numeric parts
NUMBER_RANGES = {
    "BYSECOND": (0, 60, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}
TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
_UNTIL = re.compile(r"[0-9]{8}(T[0-9]{6})?")
_UNTIL_UTC = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_NUMBER = re.compile(r"[0-9]{1,18}")
_SIGNED = re.compile(r"[+-]?[0-9]{1,9}")
_WEEKDAY = re.compile(r"([+-]?[0-9]{1,9})?[A-Z]{2}")


def read_activities(
    fields: Fields,
    plan_start: date | None,
    staff: Sequence[StaffMember],
    store_ids: list[str] | None,
) -> tuple[ActivitySpec, ...]:
    """The plan's `activities` list: each entry checked, ids unique per store.

    `plan_start` is the RRULEs' DTSTART; `store_ids` None when the plan has no `stores`.
    """
    specs = [
        _activity(section, plan_start, staff, store_ids)
        for section in fields.mappings("activities", True, "a list of activities")
    ]
    if fields.data.get("activities") == []:
        fields.add("activities", [], "no activities", "a list of at least one activity")
    _check_unique_occurrences(fields, specs)
    return tuple(specs)


def _activity(
    section: Fields,
    plan_start: date | None,
    staff: Sequence[StaffMember],
    store_ids: list[str] | None,
) -> ActivitySpec:
    section.only(ACTIVITY_FIELDS)
    start, end = _activity_window(section)
    store = section.text("store")
    if store is not None and not check_store(section, "store", store, store_ids):
        store = None
    spec = ActivitySpec(
        index=section.index,
        template=section.text("template", required=True, what="a template id") or "",
        id=section.ident("id"),
        start=start,
        end=end,
        live_days=section.integer("live_days", 1, MAX_LIVE_DAYS, unit="calendar days"),
        repeat=_repeat(section, plan_start),
        festival=_festival(section),
        title=section.text("title"),
        owner=section.text("owner"),
        store=store,
        except_dates=_except_dates(section),
    )
    _check_owner(section, spec, staff)
    return spec


def _activity_window(section: Fields) -> tuple[date | None, date | None]:
    """`start` and `end`, with exactly one of start, repeat, festival given."""
    given = [key for key in WHEN_FIELDS if section.data.get(key) is not None]
    if len(given) > 1:
        value = ", ".join(f"{key}: {written(section.data[key])}" for key in given)
        section.problems.add(
            section.path,
            value,
            f"both {' and '.join(given)}",
            "exactly one of start, repeat, festival",
        )
    elif not given:
        section.problems.add(
            section.path, "", "no start, repeat or festival", "exactly one of them"
        )
    start, end = section.day("start"), section.day("end")
    if section.data.get("end") is not None and "start" not in given:
        section.add(
            "end", section.data["end"], "end without start", "live_days with repeat or festival"
        )
    if start and end and end < start:
        section.add("end", end, f"before start {start}", "end on or after start")
    elif start and end and (end - start).days >= MAX_LIVE_DAYS:
        section.add(
            "end",
            end,
            f"a live window of {(end - start).days + 1} days from start {start}",
            f"a live window of at most {MAX_LIVE_DAYS} days",
        )
        end = None
    return start, end


def _repeat(section: Fields, plan_start: date | None) -> str | None:
    """An RFC 5545 RRULE of whole days, as python-dateutil reads it.

    One RRULE value and nothing else: no line break or other control character (dateutil
    splits its input at any whitespace, so a `\\r`, `\\v` or U+2028 would start a second
    rule or an RDATE), no other property, each part once, numbers in RFC 5545's ranges.
    """
    rule = section.text("repeat", limit=None)
    if rule is None:
        return None
    expected = "an RRULE such as FREQ=WEEKLY;BYDAY=FR (DTSTART is the plan's start)"
    if len(rule) > MAX_RULE_LENGTH:
        problem = f"too long ({len(rule):,} characters)"
        section.add("repeat", rule, problem, f"an RRULE of at most {MAX_RULE_LENGTH:,} characters")
        return None
    if "\n" in rule or "DTSTART" in rule.upper():
        section.add("repeat", rule, "more than one RRULE line", expected)
        return None
    mistake = _rule_mistake(rule)
    if mistake is not None:
        section.add("repeat", rule, mistake, expected)
        return None
    frequency = next((p[5:] for p in _rule_parts(rule) if p.startswith("FREQ=")), "")
    if frequency not in DAY_FREQUENCIES:
        within = frequency in ("HOURLY", "MINUTELY", "SECONDLY")
        problem = "repeats within a day" if within else "is no frequency"
        section.add("repeat", rule, f"FREQ={frequency} {problem}", one_of(DAY_FREQUENCIES))
        return None
    start = datetime.combine(plan_start or date(2000, 1, 1), datetime.min.time())
    try:
        parsed = rrulestr(rule, dtstart=start)
    except (ValueError, TypeError, IndexError, OverflowError) as error:
        section.add("repeat", rule, f"not a valid RRULE ({error})", expected)
        return None
    if not isinstance(parsed, rrule):
        section.add("repeat", rule, "not a single RRULE value", expected)
        return None
    return rule


def _rule_parts(rule: str) -> list[str]:
    """The NAME=VALUE parts of an RRULE value, upper case, without an `RRULE:` prefix."""
    body = rule.upper()
    return body[len("RRULE:") :].split(";") if body.startswith("RRULE:") else body.split(";")


def _rule_mistake(rule: str) -> str | None:
    """What keeps `rule` from being one RFC 5545 RRULE value of whole days, or None.

    dateutil checks the names and forms of most parts; this checks what it lets through:
    whitespace and control characters, other properties (RDATE, EXDATE ...), a part given
    twice, COUNT with UNTIL, numbers out of range (INTERVAL=0 never ends, BYMONTHDAY=0 is no
    day), an UNTIL that is no date (dateutil would read `UNTIL=2026` as a date of this
    year's calendar: today's month and day), times of day (BYHOUR, BYMINUTE, BYSECOND:
    occurrences are days, and two times a day would make two occurrences of one date) and
    the numbered weekdays and BYSETPOS that RFC 5545 does not allow.
    """
    odd = next((c for c in rule if c.isspace() or not c.isprintable()), None)
    if odd is not None:
        return f"not a single RRULE value (whitespace or a control character: {odd!a})"
    parts: dict[str, str] = {}
    for part in _rule_parts(rule):
        name, equals, value = part.partition("=")
        if ":" in name:
            return f"not a single RRULE value ({name.partition(':')[0]} is another property)"
        if not equals or not value:
            return f"not a valid RRULE (part {shorten(part, 30)!r} is not NAME=VALUE)"
        if name not in RULE_PARTS:
            return f"not a valid RRULE (unknown part {shorten(name, 30)})"
        if name in parts:
            return f"not a valid RRULE ({name} given twice)"
        parts[name] = value
        mistake = _value_mistake(name, value)
        if mistake is not None:
            return f"not a valid RRULE ({name}={shorten(value, 30)}: {mistake})"
    if "COUNT" in parts and "UNTIL" in parts:
        return "not a valid RRULE (COUNT and UNTIL together; RFC 5545 allows one of them)"
    if "FREQ" not in parts:
        return "not a valid RRULE (no FREQ)"
    mistake = _combination_mistake(parts)
    return f"not a valid RRULE ({mistake})" if mistake is not None else None


def _value_mistake(name: str, value: str) -> str | None:
    """What is wrong with the value of part `name` on its own, or None."""
    if name in TIME_PARTS:
        return "occurrences are whole days (leave out BYHOUR, BYMINUTE and BYSECOND)"
    if name in ("INTERVAL", "COUNT"):
        if not _NUMBER.fullmatch(value) or int(value) < 1:
            return "not an integer of at least 1"
        return None
    if name == "UNTIL":
        if _UNTIL_UTC.fullmatch(value):
            return "a UTC time; the rule's days are the plan's, so a date YYYYMMDD"
        if not _UNTIL.fullmatch(value):
            return "not a date YYYYMMDD"
        return None
    if name == "BYDAY":
        for item in value.split(","):
            match = _WEEKDAY.fullmatch(item)
            if match and match.group(1) and not 1 <= abs(int(match.group(1))) <= 53:
                return f"week number {match.group(1)} is not 1..53 or -53..-1"
        return None  # dateutil names a weekday it does not know
    if name not in NUMBER_RANGES:
        return None
    low, high, signed = NUMBER_RANGES[name]
    for item in value.split(","):
        number = int(item) if _SIGNED.fullmatch(item) else None
        if number is None or (number < 0 and not signed) or not low <= abs(number) <= high:
            sign = f" or -{high}..-{low}" if signed else ""
            return f"{shorten(item, 20)} is not {low}..{high}{sign}"
    return None


def _combination_mistake(parts: dict[str, str]) -> str | None:
    """A BYSETPOS without another BY part to pick from, a numbered BYDAY where RFC 5545 has
    no numbers (dateutil would drop the number: `FREQ=WEEKLY;BYDAY=2MO` every Monday) or
    beyond the weeks of its month or year (dateutil fails on it); else None."""
    frequency = parts["FREQ"]
    if "BYSETPOS" in parts and not any(p.startswith("BY") and p != "BYSETPOS" for p in parts):
        return "BYSETPOS without another BY part to pick from"
    numbered = [m.group(1) for m in map(_WEEKDAY.fullmatch, parts.get("BYDAY", "").split(","))
                if m and m.group(1)]  # fmt: skip
    if not numbered:
        return None
    if frequency not in ("MONTHLY", "YEARLY") or "BYWEEKNO" in parts:
        where = "with BYWEEKNO" if frequency == "YEARLY" else f"with FREQ={frequency}"
        return (
            f"BYDAY={shorten(parts['BYDAY'], 30)}: a numbered weekday {where}: RFC 5545 "
            "allows one with FREQ=MONTHLY or YEARLY only, and not with BYWEEKNO"
        )
    weeks = 5 if frequency == "MONTHLY" or "BYMONTH" in parts else 53
    beyond = next((n for n in numbered if abs(int(n)) > weeks), None)
    if beyond is not None:
        within = "a month" if weeks == 5 else "a year"
        return (
            f"BYDAY={parts['BYDAY']}: week {beyond} of {within} is not 1..{weeks} or -{weeks}..-1"
        )
    return None


def _except_dates(section: Fields) -> tuple[date, ...]:
    """`except`: dates of a series that are not planned (checked against the series when
    it is expanded); only a `repeat` or `festival` activity has a series."""
    if section.data.get("except") is None:
        return ()
    if section.data.get("repeat") is None and section.data.get("festival") is None:
        section.add(
            "except",
            section.data["except"],
            "except without repeat or festival",
            "except only on a repeat or festival activity",
        )
        return ()
    return section.dates("except")


def _festival(section: Fields) -> str | None:
    key = section.text("festival")
    if key is not None and key not in FESTIVAL_KEYS:
        section.add("festival", key, "unknown festival", one_of(FESTIVAL_KEYS, key))
        return None
    return key


def _check_owner(section: Fields, spec: ActivitySpec, staff: Sequence[StaffMember]) -> None:
    """The owner is on the staff and works for the activity's store."""
    if spec.owner is None:
        return
    person = next((p for p in staff if p.id == spec.owner), None)
    if person is None:
        section.add(
            "owner", spec.owner, "not on the staff", one_of([p.id for p in staff], spec.owner)
        )
    elif not works_for(person, spec.store):
        section.add(
            "owner",
            spec.owner,
            f"does not work for store {spec.store}",
            "an owner whose `stores` include the activity's store",
        )


def _check_unique_occurrences(fields: Fields, specs: Sequence[ActivitySpec]) -> None:
    """Activity ids are unique per store; so are `<template>@<start>` of one-offs without id.

    (Occurrences of `repeat` and `festival` activities are only known once expanded.)
    """
    first: dict[tuple[str | None, str], int] = {}
    for spec in specs:
        if spec.id is not None:
            key, field = (spec.store, spec.id), "id"
        elif spec.start is not None and spec.repeat is None and spec.festival is None:
            key, field = (spec.store, f"{spec.template}@{spec.start}"), "start"
        else:
            continue
        if key in first:
            store = f" in store {spec.store}" if spec.store else ""
            fields.problems.add(
                f"activities[{spec.index}].{field}",
                key[1] if field == "id" else written(spec.start),
                f"same occurrence id {key[1]}{store} as activities[{first[key]}]",
                "unique activity ids; give one-off activities an `id`",
            )
        first.setdefault(key, spec.index)
