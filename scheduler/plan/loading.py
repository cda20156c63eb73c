"""Loading and checking plan files and the activity templates they use (FORMAT.md 1-4, 7).

`load_plan` gives a `Plan` every later layer can trust, or raises `BadInput` listing every
mistake of the plan file and of the templates it uses, each as
`file: key path: value as written: what is wrong (what was expected)`.

Defaults: `timezone` Asia/Shanghai, `language` en; `calendar` absent means Monday to Friday
with the CN official holidays, and inside `calendar` an absent `holidays` is CN too while
`holidays: null` means no official holidays at all (weekdays, `closed` and `open` only).
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from scheduler.errors import BadInput, InputProblem, Problems
from scheduler.plan.activities import read_activities
from scheduler.plan.fields import Fields, close_matches, one_of
from scheduler.plan.model import (
    FIRST_DATE,
    LANGUAGES,
    LAST_DATE,
    WEEKDAYS,
    ActivitySpec,
    CalendarSettings,
    Plan,
    Role,
    Template,
)
from scheduler.plan.staff import read_roles, read_staff, read_stores
from scheduler.plan.staffing import check_staffing
from scheduler.plan.templates import load_template, read_template
from scheduler.plan.workbook_cells import is_workbook
from scheduler.plan.workbook_read import located_in_workbooks, read_workbook
from scheduler.plan.yamlfile import read_mapping
from scheduler.words import standard_role_names

__all__ = [
    "available_templates",
    "bundled_templates_dir",
    "load_plan",
    "load_plan_data",
    "load_template",
]

PLAN_FIELDS = (
    "name", "timezone", "start", "end", "language", "templates",
    "calendar", "stores", "roles", "staff", "activities",
)  # fmt: skip
CALENDAR_FIELDS = ("workdays", "holidays", "closed", "open")


def bundled_templates_dir() -> Path:
    """The folder of the activity templates that ship with the package."""
    try:
        packaged = importlib.resources.files("scheduler") / "templates" / "activities"
        if packaged.is_dir():
            return Path(str(packaged))
    except (ModuleNotFoundError, NotADirectoryError):
        pass
    return Path(__file__).resolve().parents[2] / "templates" / "activities"


def available_templates(extra_dirs: Sequence[Path] = ()) -> dict[str, Path]:
    """Template id -> file, from `extra_dirs` in order, then the bundled templates.

    An id found in an earlier folder hides the same id in later ones.
    """
    found: dict[str, Path] = {}
    for folder in [*extra_dirs, bundled_templates_dir()]:
        if folder.is_dir():
            for file in sorted(folder.glob("*.yaml")):
                found.setdefault(file.stem, file)
    return found


def load_plan(path: str | Path) -> Plan:
    """The plan in file `path` (YAML, or a workbook .xlsx) with the templates it uses, checked.

    Raises `BadInput` listing every mistake of the plan file and of those templates.
    """
    path = Path(path)
    problems = Problems(path)
    data, unreadable = read_plan_file(path)
    problems.extend(unreadable)
    if data is None:
        raise BadInput(problems.found)
    try:
        return _checked_plan(data, path, problems)
    except BadInput as bad:
        if not is_workbook(path):
            raise
        raise BadInput(located_in_workbooks(bad.problems)) from None  # Sheet!Cell (key path)


def read_plan_file(path: Path) -> tuple[dict | None, list[InputProblem]]:
    """The data of plan file `path` as loaded from YAML (a workbook's as its YAML twin
    loads, FORMAT.md section 8) and the mistakes that make it unreadable (data None)."""
    if is_workbook(path):
        book = read_workbook(path, str(path))
        return book.data, book.problems
    return read_mapping(path, str(path), "a plan: name, start, end, staff, activities")


def load_plan_data(data: dict, path: str | Path) -> Plan:
    """The plan whose file data (as `load_plan` reads it) is `data`, checked as if it were
    the file `path`: templates are found relative to it, messages name it."""
    path = Path(path)
    return _checked_plan(data, path, Problems(path))


def _checked_plan(data: dict, path: Path, problems: Problems) -> Plan:
    """The plan of `data` with its templates; BadInput for every mistake found."""
    plan = _plan(Fields(problems, "", data), path)
    template_problems: list[InputProblem] = []
    templates = _used_templates(plan, problems, template_problems)
    if not any(p.path.startswith("staff") for p in problems.found):
        check_staffing(plan.activities, templates, plan.staff, problems, template_problems)
    if problems or template_problems:
        raise BadInput([*problems.found, *template_problems])
    return replace(plan, templates=templates, roles=_with_standard_roles(plan.roles))


def _with_standard_roles(roles: tuple[Role, ...]) -> tuple[Role, ...]:
    """The plan's roles, then the standard roles of the bundled templates that the plan
    does not list, with their standard names: the plan's own entries win."""
    listed = {role.id for role in roles}
    standard = standard_role_names()
    return roles + tuple(Role(key, standard[key]) for key in standard if key not in listed)


def _plan(fields: Fields, path: Path) -> Plan:
    """The plan's own fields, each section checked, with no templates yet."""
    fields.only(PLAN_FIELDS)
    name = fields.text("name", required=True) or ""
    timezone = _timezone(fields)
    start, end = _dates(fields)
    language = _language(fields)
    template_dirs = _template_dirs(fields, path)
    calendar = _calendar(fields)
    stores = read_stores(fields)
    store_ids = [s.id for s in stores] if fields.data.get("stores") is not None else None
    roles = read_roles(fields)
    staff = read_staff(fields, store_ids)
    return Plan(
        name=name,
        start=start or date.min,
        end=end or date.max,
        staff=staff,
        activities=read_activities(fields, start, staff, store_ids),
        templates={},
        source=path,
        timezone=timezone,
        language=language,
        calendar=calendar,
        stores=stores,
        template_dirs=template_dirs,
        roles=roles,
    )


def _dates(fields: Fields) -> tuple[date | None, date | None]:
    """The plan's `start` and `end` within FIRST_DATE..LAST_DATE, end not before start."""
    start = fields.day("start", required=True, within=(FIRST_DATE, LAST_DATE))
    end = fields.day("end", required=True, within=(FIRST_DATE, LAST_DATE))
    if start and end and end < start:
        fields.add("end", end, f"before start {start}", "end on or after start")
    return start, end


def _timezone(fields: Fields) -> str:
    zone = fields.text("timezone", default="Asia/Shanghai") or "Asia/Shanghai"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        fields.add("timezone", zone, "unknown time zone", "an IANA time zone, e.g. Asia/Shanghai")
    return zone


def _language(fields: Fields) -> str:
    language = fields.text("language", default="en") or "en"
    if language not in LANGUAGES:
        fields.add("language", language, "unknown language", one_of(LANGUAGES, language))
    return language


def _template_dirs(fields: Fields, path: Path) -> tuple[Path, ...]:
    """The plan's extra template folders, relative to the plan file; each must exist."""
    folders = []
    for index, item in enumerate(fields.items("templates", what="a list of folders")):
        if not isinstance(item, str) or not item.strip():
            fields.add(f"templates[{index}]", item, "not a folder name", "a folder path")
            continue
        folder = path.parent / Path(item).expanduser()
        if not folder.is_dir():
            expected = f"a folder relative to the plan file: {folder}"
            fields.add(f"templates[{index}]", item, "no such folder", expected)
        folders.append(folder)
    return tuple(folders)


def _calendar(fields: Fields) -> CalendarSettings:
    """The working calendar; absent means Monday to Friday with CN holidays."""
    data = fields.data.get("calendar")
    if data is None:
        return CalendarSettings()
    if not isinstance(data, dict):
        fields.add("calendar", data, "not a mapping", "workdays, holidays, closed, open")
        return CalendarSettings()
    section = Fields(fields.problems, "calendar", data)
    section.only(CALENDAR_FIELDS)
    workdays, country = _workdays(section), _holidays(section)
    closed, opened = section.dates("closed"), section.dates("open")
    for day in sorted(set(closed) & set(opened)):
        section.add("open", day, "also in closed", "a date closed or open, not both")
    return CalendarSettings(workdays=workdays, holidays=country, closed=closed, open=opened)


def _workdays(section: Fields) -> tuple[int, ...]:
    if not section.has("workdays"):
        return CalendarSettings().workdays
    numbers = set()
    for index, name in enumerate(section.items("workdays", what="a list of mon..sun")):
        if name in WEEKDAYS:
            numbers.add(WEEKDAYS.index(name))
        else:
            section.add(f"workdays[{index}]", name, "unknown weekday", one_of(WEEKDAYS, name))
    if isinstance(section.data["workdays"], list) and not section.data["workdays"]:
        section.add("workdays", [], "no working weekday", "a list of mon..sun")
    return tuple(sorted(numbers))


def _holidays(section: Fields) -> str | None:
    """The country code of the official holidays; absent is CN, null is none."""
    if not section.has("holidays"):
        return CalendarSettings().holidays
    value = section.data["holidays"]
    if value is None:
        return None
    if not isinstance(value, str):  # YAML reads a bare NO (Norway) as false
        expected = 'a country code such as CN, in quotes when it is "NO"'
        section.add("holidays", value, "not a country code", expected)
        return None
    code = value.strip().upper()
    if code not in _countries():
        matches = close_matches(code, sorted(_countries()))
        hint = f"did you mean {matches[0]}? " if matches else ""
        section.add("holidays", value, "unknown country code", hint + "a code such as CN, HK, US")
        return None
    return code


@cache
def _countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


def _used_templates(
    plan: Plan, problems: Problems, found: list[InputProblem]
) -> dict[str, Template]:
    """The templates the activities name, loaded; their files' mistakes go to `found`."""
    files = available_templates(plan.template_dirs)
    templates: dict[str, Template] = {}
    failed: set[str] = set()
    for spec in plan.activities:
        name = spec.template
        if not name or name in templates or name in failed:
            continue
        if name not in files:
            _unknown_template(problems, spec, plan.template_dirs, sorted(files))
            failed.add(name)
            continue
        template = read_template(files[name], found)
        if template is None:
            failed.add(name)
        else:
            templates[name] = template
    return templates


def _unknown_template(
    problems: Problems, spec: ActivitySpec, folders: Sequence[Path], known: list[str]
) -> None:
    searched = ", ".join(str(f) for f in [*folders, bundled_templates_dir()])
    matches = close_matches(spec.template, known)
    hint = f"did you mean {', '.join(matches)}? " if matches else ""
    problems.add(
        f"activities[{spec.index}].template",
        spec.template,
        "unknown template",
        f"{hint}no {spec.template}.yaml in {searched}",
    )
