"""Loading and checking plan and template files (FORMAT.md sections 1-4 and 7).

Each check gets a small plan in a temporary folder, built from a valid base with one
mistake; the message must name the file, the key path, the value and what is wrong.
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CONFORMANCE_DIR, conformance_param, require_conformance

from scheduler.errors import BadInput
from scheduler.plan.loading import (
    available_templates,
    bundled_templates_dir,
    load_plan,
    load_template,
)
from scheduler.plan.model import After, CalendarSettings, LocalText, Offset
from scheduler.plan.templates import parse_after, parse_offset

TEMPLATE: dict[str, Any] = {
    "id": "promo",
    "name": {"en": "Promotion", "zh": "促销"},
    "kind": "theme",
    "live_days": 3,
    "steps": [
        {"id": "copy", "name": "Copywriting", "role": "operations", "duration": 1,
         "due": "start-3d"},
        {"id": "photos", "name": {"en": "Photos"}, "role": "design", "duration": 2,
         "after": ["copy+1wd"], "due": "start-1d"},
        {"id": "listing", "name": {"zh": "上架"}, "role": "operations", "duration": 1,
         "after": ["photos"], "earliest": "start-5wd", "due": "start", "strict": True},
    ],
}  # fmt: skip

PLAN: dict[str, Any] = {
    "name": "Test plan",
    "start": date(2026, 3, 1),
    "end": date(2026, 3, 31),
    "templates": ["templates"],
    "staff": [
        {"id": "wang_fang", "name": "王芳", "roles": ["operations"]},
        {"id": "li_na", "name": "李娜", "roles": ["design"]},
    ],
    "activities": [{"template": "promo", "start": date(2026, 3, 20)}],
}

DELETE = object()


def edit(data: dict[str, Any], path: str, value: Any = DELETE) -> dict[str, Any]:
    """A copy of `data` with the item at dotted `path` (`staff.1.capacity`) set or deleted."""
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    key: Any = int(last) if isinstance(node, list) else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return data


def write(folder: Path, plan: dict | str = PLAN, template: dict | str = TEMPLATE) -> Path:
    """Write plan.yaml and templates/promo.yaml into `folder`; the plan's path."""
    (folder / "templates").mkdir(exist_ok=True)
    for path, data in [(folder / "plan.yaml", plan), (folder / "templates/promo.yaml", template)]:
        text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
    return folder / "plan.yaml"


def problems(plan_path: Path) -> list[str]:
    """The messages `load_plan` raises for `plan_path` (it must raise)."""
    with pytest.raises(BadInput) as raised:
        load_plan(plan_path)
    return [str(problem) for problem in raised.value.problems]


def assert_reported(messages: list[str], *parts: str) -> None:
    """Some message contains every one of `parts`."""
    assert any(all(part in m for part in parts) for m in messages), "\n".join(messages)


# --- the plan file -------------------------------------------------------------------

PLAN_MISTAKES = [
    ("missing name", edit(PLAN, "name"), ["name", "missing"]),
    ("missing start", edit(PLAN, "start"), ["start", "missing"]),
    ("missing end", edit(PLAN, "end"), ["end", "missing"]),
    ("missing staff", edit(PLAN, "staff"), ["staff", "missing"]),
    ("missing activities", edit(PLAN, "activities"), ["activities", "missing"]),
    ("staff id", edit(PLAN, "staff.0.id"), ["staff[0].id", "missing"]),
    ("staff name", edit(PLAN, "staff.1.name"), ["staff[1].name", "missing"]),
    ("staff roles", edit(PLAN, "staff.1.roles"), ["staff[1].roles", "missing"]),
    ("empty roles", edit(PLAN, "staff.1.roles", []), ["staff[1].roles", "[]", "no roles"]),
    ("activity template", edit(PLAN, "activities.0.template"),
     ["activities[0].template", "missing"]),
    ("unknown field", edit(PLAN, "stat", "x"), ["stat", "x", "unknown field", "activities"]),
    ("staff field typo", edit(PLAN, "staff.0.role", ["design"]),
     ["staff[0].role", "[design]", "unknown field", "did you mean roles"]),
    ("capacity type", edit(PLAN, "staff.0.capacity", "full"),
     ["staff[0].capacity", "full", "not an integer", "1..100"]),
    ("capacity 0", edit(PLAN, "staff.0.capacity", 0),
     ["staff[0].capacity", ": 0:", "out of range"]),
    ("capacity 101", edit(PLAN, "staff.0.capacity", 101),
     ["staff[0].capacity", "101", "out of range"]),
    ("capacity float", edit(PLAN, "staff.0.capacity", 50.5),
     ["staff[0].capacity", "50.5", "not an integer"]),
    ("capacity bool", edit(PLAN, "staff.0.capacity", True),
     ["staff[0].capacity", "true", "not an integer"]),
    ("roles not a list", edit(PLAN, "staff.1.roles", "design"),
     ["staff[1].roles", "design", "not a list"]),
    ("end before start", edit(PLAN, "end", date(2026, 2, 1)),
     ["end", "2026-02-01", "before start 2026-03-01"]),
    ("activity end before start", edit(PLAN, "activities.0.end", date(2026, 3, 10)),
     ["activities[0].end", "2026-03-10", "before start 2026-03-20"]),
    ("leave backwards",
     edit(PLAN, "staff.1.leave", [{"from": date(2026, 3, 20), "to": date(2026, 3, 10)}]),
     ["staff[1].leave[0].from", "2026-03-20", "after to 2026-03-10"]),
    ("leave without to", edit(PLAN, "staff.1.leave", [{"from": date(2026, 3, 20)}]),
     ["staff[1].leave[0].to", "missing"]),
    ("language", edit(PLAN, "language", "fr"), ["language", "fr", "unknown language", "zh"]),
    ("timezone", edit(PLAN, "timezone", "Mars/Base"),
     ["timezone", "Mars/Base", "unknown time zone"]),
    ("workdays", edit(PLAN, "calendar", {"workdays": ["mon", "thurs"]}),
     ["calendar.workdays[1]", "thurs", "unknown weekday", "did you mean thu"]),
    ("holidays", edit(PLAN, "calendar", {"holidays": "XX"}),
     ["calendar.holidays", "XX", "unknown country code"]),
    ("holidays NO", edit(PLAN, "calendar", {"holidays": False}),
     ["calendar.holidays", "false", "not a country code", '"NO"']),
    ("calendar closed", edit(PLAN, "calendar", {"closed": ["2026-13-01"]}),
     ["calendar.closed[0]", "2026-13-01", "not a valid date"]),
    ("open and closed", edit(PLAN, "calendar", {"closed": [date(2026, 3, 7)],
                                                "open": [date(2026, 3, 7)]}),
     ["calendar.open", "2026-03-07", "also in closed"]),
    ("festival", edit(PLAN, "activities.0", {"template": "promo", "festival": "singles_day"}),
     ["activities[0].festival", "singles_day", "unknown festival", "double_eleven"]),
    ("rrule", edit(PLAN, "activities.0", {"template": "promo", "repeat": "FREQ=WEEKLY;BYDAY=XX"}),
     ["activities[0].repeat", "FREQ=WEEKLY;BYDAY=XX", "not a valid RRULE", "BYDAY"]),
    ("rrule frequency", edit(PLAN, "activities.0", {"template": "promo", "repeat": "FREQ=HOURLY"}),
     ["activities[0].repeat", "FREQ=HOURLY", "within a day"]),
    ("start and festival", edit(PLAN, "activities.0.festival", "qixi"),
     ["activities[0]", "start: 2026-03-20, festival: qixi", "both start and festival"]),
    ("no start", edit(PLAN, "activities.0.start"),
     ["activities[0]", "no start, repeat or festival"]),
    ("end without start",
     edit(PLAN, "activities.0", {"template": "promo", "festival": "qixi", "end": date(2026, 9, 1)}),
     ["activities[0].end", "2026-09-01", "end without start"]),
    ("activity live_days", edit(PLAN, "activities.0.live_days", 0),
     ["activities[0].live_days", "0", "out of range"]),
    ("owner", edit(PLAN, "activities.0.owner", "zhang_wei"),
     ["activities[0].owner", "zhang_wei", "not on the staff", "wang_fang"]),
    ("store without stores", edit(PLAN, "activities.0.store", "tmall"),
     ["activities[0].store", "tmall", "no `stores` list"]),
    ("unknown store", edit(edit(PLAN, "stores", [{"id": "tmall"}]), "activities.0.store", "jd"),
     ["activities[0].store", "jd", "unknown store", "tmall"]),
    ("unknown staff store", edit(edit(PLAN, "stores", [{"id": "tmall"}]), "staff.0.stores", ["jd"]),
     ["staff[0].stores[0]", "jd", "unknown store"]),
    ("staff id snake_case", edit(PLAN, "staff.0.id", "Wang Fang"),
     ["staff[0].id", "Wang Fang", "not a valid id", "snake_case"]),
    ("activity id snake_case", edit(PLAN, "activities.0.id", "Tea-Launch"),
     ["activities[0].id", "Tea-Launch", "not a valid id"]),
    ("store id snake_case", edit(PLAN, "stores", [{"id": "T mall"}]),
     ["stores[0].id", "T mall", "not a valid id"]),
    ("duplicate staff", edit(PLAN, "staff.1.id", "wang_fang"),
     ["staff[1].id", "wang_fang", "duplicate id", "staff[0]"]),
    ("duplicate store", edit(PLAN, "stores", [{"id": "tmall"}, {"id": "tmall"}]),
     ["stores[1].id", "tmall", "duplicate id"]),
    ("duplicate activity id",
     edit(PLAN, "activities", [{"id": "a", "template": "promo", "start": date(2026, 3, 20)},
                               {"id": "a", "template": "promo", "start": date(2026, 3, 27)}]),
     ["activities[1].id", ": a:", "same occurrence id", "activities[0]"]),
    ("duplicate one-off",
     edit(PLAN, "activities", [{"template": "promo", "start": date(2026, 3, 20)}] * 2),
     ["activities[1].start", "2026-03-20", "same occurrence id promo@2026-03-20"]),
    ("store role", edit(edit(edit(PLAN, "stores", [{"id": "tmall"}, {"id": "jd"}]),
                             "staff.1.stores", ["jd"]), "activities.0.store", "tmall"),
     ["activities[0].store", "tmall", "no staff member with role design works for this store"]),
    ("unknown template", edit(PLAN, "activities.0.template", "promoo"),
     ["activities[0].template", "promoo", "unknown template", "did you mean promo",
      "templates", str(bundled_templates_dir())]),
    ("template folder", edit(PLAN, "templates", ["templates", "nowhere"]),
     ["templates[1]", "nowhere", "no such folder"]),
    ("email", edit(PLAN, "staff.0.email", "wang fang"),
     ["staff[0].email", "wang fang", "not an email address"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("plan", "parts"), [pytest.param(p, s, id=name) for name, p, s in PLAN_MISTAKES]
)
def test_plan_mistake_is_reported(tmp_path, plan, parts):
    messages = problems(write(tmp_path, plan=plan))
    assert_reported(messages, "plan.yaml: ", *parts)


# A step's role or load the staff cannot cover is named in the template file, at the step
# (FORMAT.md section 7: bad input), with the plan's activity that uses the template.
STAFFING_MISTAKES = [
    ("role nobody holds", edit(PLAN, "staff.1.roles", ["designer"]),
     ["steps[1].role: design: no staff member has role design", "did you mean designer",
      "plan.yaml activities[0]"]),
    ("load above capacity", edit(PLAN, "staff.1.capacity", 20),
     ["steps[1].load: 100: above the capacity of everyone who may do it", "li_na 20",
      "plan.yaml activities[0]"]),
    ("owner capacity", edit(edit(edit(PLAN, "staff.1.capacity", 30), "staff.0.roles",
                                 ["operations", "design"]), "activities.0.owner", "li_na"),
     ["steps[1].load: 100: above the capacity", "li_na 30", "plan.yaml activities[0]"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("plan", "parts"), [pytest.param(p, s, id=name) for name, p, s in STAFFING_MISTAKES]
)
def test_staffing_mistake_is_reported_at_the_template_step(tmp_path, plan, parts):
    messages = problems(write(tmp_path, plan=plan))
    assert_reported(messages, f"{tmp_path / 'templates' / 'promo.yaml'}: ", *parts)
    assert len(messages) == 1, messages


# --- the template file ---------------------------------------------------------------

TEMPLATE_MISTAKES = [
    ("missing id", edit(TEMPLATE, "id"), ["id", "missing"]),
    ("missing name", edit(TEMPLATE, "name"), ["name", "missing"]),
    ("missing kind", edit(TEMPLATE, "kind"), ["kind", "missing"]),
    ("missing steps", edit(TEMPLATE, "steps"), ["steps", "missing"]),
    ("no steps", edit(TEMPLATE, "steps", []), ["steps", "no steps"]),
    ("step id", edit(TEMPLATE, "steps.0.id"), ["steps[0].id", "missing"]),
    ("step name", edit(TEMPLATE, "steps.0.name"), ["steps[0].name", "missing"]),
    ("step role", edit(TEMPLATE, "steps.0.role"), ["steps[0].role", "missing"]),
    ("step duration", edit(TEMPLATE, "steps.0.duration"), ["steps[0].duration", "missing"]),
    ("unknown field", edit(TEMPLATE, "steps.1.stat", True),
     ["steps[1].stat", "true", "unknown field", "did you mean strict"]),
    ("duration type", edit(TEMPLATE, "steps.1.duration", "two"),
     ["steps[1].duration", "two", "not an integer"]),
    ("duration 0", edit(TEMPLATE, "steps.1.duration", 0),
     ["steps[1].duration", "0", "out of range", ">= 1"]),
    ("strict type", edit(TEMPLATE, "steps.2.strict", "yes"),
     ["steps[2].strict", "yes", "not true or false"]),
    ("strict without due", edit(TEMPLATE, "steps.2.due"),
     ["steps[2].strict", "true", "strict without a due"]),
    ("after not a list", edit(TEMPLATE, "steps.2.after", "photos"),
     ["steps[2].after", "photos", "not a list"]),
    ("load 0", edit(TEMPLATE, "steps.0.load", 0), ["steps[0].load", "0", "out of range"]),
    ("load 101", edit(TEMPLATE, "steps.0.load", 101), ["steps[0].load", "101", "1..100"]),
    ("live_days", edit(TEMPLATE, "live_days", 0), ["live_days", "0", "out of range"]),
    ("kind", edit(TEMPLATE, "kind", "flash"), ["kind", "flash", "unknown kind", "festival"]),
    ("offset unit", edit(TEMPLATE, "steps.0.due", "start-30x"),
     ["steps[0].due", "start-30x", "not an offset", "wd"]),
    ("offset anchor", edit(TEMPLATE, "steps.0.due", "begin-3d"),
     ["steps[0].due", "begin-3d", "not an offset"]),
    ("offset spaces", edit(TEMPLATE, "steps.2.earliest", "start - 3d"),
     ["steps[2].earliest", "start - 3d", "not an offset"]),
    ("lag unit", edit(TEMPLATE, "steps.1.after", ["copy+2x"]),
     ["steps[1].after[0]", "copy+2x", "not a step or lag"]),
    ("lag negative", edit(TEMPLATE, "steps.1.after", ["copy-1wd"]),
     ["steps[1].after[0]", "copy-1wd", "N >= 0"]),
    ("id not file name", edit(TEMPLATE, "id", "promotion"),
     ["id", "promotion", "not the file name promo.yaml"]),
    ("unknown after step", edit(TEMPLATE, "steps.2.after", ["photos", "fotos+1d"]),
     ["steps[2].after[1]", "fotos+1d", "unknown step", "did you mean photos"]),
    ("cycle", edit(TEMPLATE, "steps.0.after", ["listing"]),
     ["steps[0].after", "copy -> listing -> photos -> copy", "cycle"]),
    ("self cycle", edit(TEMPLATE, "steps.1.after", ["photos"]),
     ["steps[1].after", "photos -> photos", "cycle"]),
    ("duplicate step", edit(TEMPLATE, "steps.2.id", "copy"),
     ["steps[2].id", "copy", "duplicate id", "steps[0].id"]),
    ("step id snake_case", edit(TEMPLATE, "steps.0.id", "Copy"),
     ["steps[0].id", "Copy", "not a valid id"]),
    ("name field", edit(TEMPLATE, "name", {"en": "Promotion", "fr": "Promo"}),
     ["name.fr", "Promo", "unknown field"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("template", "parts"), [pytest.param(t, s, id=name) for name, t, s in TEMPLATE_MISTAKES]
)
def test_template_mistake_is_reported_with_the_template_file(tmp_path, template, parts):
    messages = problems(write(tmp_path, template=template))
    assert_reported(messages, "promo.yaml: ", *parts)
    assert not any(m.startswith(str(tmp_path / "plan.yaml")) for m in messages)


def test_load_template_raises_all_mistakes_of_the_file(tmp_path):
    template = edit(edit(TEMPLATE, "kind", "flash"), "steps.0.duration", 0)
    write(tmp_path, template=template)
    with pytest.raises(BadInput) as raised:
        load_template(tmp_path / "templates" / "promo.yaml")
    assert len(raised.value.problems) == 2


# --- YAML itself ---------------------------------------------------------------------


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, plan="name: x\nstart: 2026-03-01\nstaff: [a, b\n")
    assert_reported(problems(path), "plan.yaml: line ", "YAML syntax error")


def test_yaml_syntax_error_line_number(tmp_path):
    path = write(tmp_path, plan="name: x\nstart: 2026-03-01\nend: a: b\n")
    assert_reported(problems(path), "plan.yaml: line 3: ", "mapping values are not allowed")


def test_template_syntax_error_names_the_template(tmp_path):
    path = write(tmp_path, template="id: promo\nname: [x\n")
    assert_reported(problems(path), "promo.yaml: line ", "YAML syntax error")


def test_plan_that_is_not_a_mapping(tmp_path):
    assert_reported(problems(write(tmp_path, plan="- a\n- b\n")), "plan.yaml: ", "not a mapping")


def test_empty_plan(tmp_path):
    assert_reported(problems(write(tmp_path, plan="")), "plan.yaml: ", "empty file")


def test_missing_plan_file(tmp_path):
    assert_reported(problems(tmp_path / "nothing.yaml"), "nothing.yaml: ", "file not found")


def test_key_written_twice(tmp_path):
    text = yaml.safe_dump(PLAN, allow_unicode=True) + "name: Again\n"
    assert_reported(problems(write(tmp_path, plan=text)), "plan.yaml: line ", "name", "twice")


@pytest.mark.parametrize(
    "written", ["2026-3-5", "2026-02-30", "2026-03-20T10:00:00", "20260320", "March 20"]
)
def test_bad_dates_as_written(tmp_path, written):
    text = yaml.safe_dump(edit(PLAN, "start"), allow_unicode=True) + f"start: {written}\n"
    assert_reported(problems(write(tmp_path, plan=text)), "plan.yaml: start: ", "not a valid date")


def test_impossible_date_is_reported_as_written(tmp_path):
    text = yaml.safe_dump(edit(PLAN, "start"), allow_unicode=True) + "start: 2026-02-30\n"
    assert_reported(
        problems(write(tmp_path, plan=text)), "start: 2026-02-30: not a valid date", "YYYY-MM-DD"
    )


def test_quoted_iso_date_is_a_date(tmp_path):
    text = yaml.safe_dump(edit(PLAN, "start"), allow_unicode=True) + "start: '2026-03-01'\n"
    assert load_plan(write(tmp_path, plan=text)).start == date(2026, 3, 1)


# --- all at once ---------------------------------------------------------------------


def test_all_mistakes_of_a_file_at_once(tmp_path):
    plan = edit(
        edit(edit(PLAN, "language", "fr"), "staff.0.capacity", 0), "activities.0.owner", "x"
    )
    messages = problems(write(tmp_path, plan=plan))
    assert len(messages) == 3, messages


def test_plan_and_template_mistakes_together(tmp_path):
    plan = edit(PLAN, "language", "fr")
    template = edit(TEMPLATE, "steps.0.due", "start-3x")
    messages = problems(write(tmp_path, plan=plan, template=template))
    assert_reported(messages, "plan.yaml: language")
    assert_reported(messages, "promo.yaml: steps[0].due")
    assert len(messages) == 2


def test_message_format(tmp_path):
    plan = edit(PLAN, "staff.1.leave", [{"from": date(2026, 3, 20), "to": date(2026, 3, 10)}])
    (message,) = problems(write(tmp_path, plan=plan))
    assert message == (
        f"{tmp_path / 'plan.yaml'}: staff[1].leave[0].from: 2026-03-20: after to 2026-03-10 "
        "(from on or before to)"
    )


# --- what a valid plan gives ---------------------------------------------------------


def test_valid_plan_fields_and_defaults(tmp_path):
    plan = load_plan(write(tmp_path))
    assert plan.name == "Test plan"
    assert (plan.start, plan.end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert plan.timezone == "Asia/Shanghai"
    assert plan.language == "en"
    assert plan.calendar == CalendarSettings((0, 1, 2, 3, 4), "CN", (), ())
    assert plan.stores == ()
    assert plan.template_dirs == (tmp_path / "templates",)
    wang = plan.person("wang_fang")
    assert (wang.capacity, wang.leave, wang.stores, wang.email) == (100, (), None, None)
    assert plan.activities[0].index == 0
    assert plan.activities[0].start == date(2026, 3, 20)
    assert plan.activities[0].live_days is None
    template = plan.templates["promo"]
    assert template.source == tmp_path / "templates" / "promo.yaml"
    assert template.name == LocalText("Promotion", "促销")
    assert template.live_days == 3
    copy_step, photos, listing = template.steps
    assert copy_step.name == LocalText("Copywriting", "Copywriting")
    assert photos.name == LocalText("Photos", "Photos")
    assert listing.name == LocalText("上架", "上架")
    assert (copy_step.load, copy_step.strict, copy_step.after) == (100, False, ())
    assert photos.after == (After("copy", 1, "wd", "copy+1wd"),)
    assert listing.after == (After("photos", 0, "wd", "photos"),)
    assert listing.earliest == Offset("start", -5, "wd", "start-5wd")
    assert listing.due == Offset("start", 0, "d", "start")
    assert listing.strict is True


def test_template_live_days_defaults_to_one(tmp_path):
    plan = load_plan(write(tmp_path, template=edit(TEMPLATE, "live_days")))
    assert plan.templates["promo"].live_days == 1


def test_activity_end_and_live_days_are_both_kept(tmp_path):
    plan = edit(edit(PLAN, "activities.0.end", date(2026, 3, 25)), "activities.0.live_days", 2)
    spec = load_plan(write(tmp_path, plan=plan)).activities[0]
    assert (spec.end, spec.live_days) == (date(2026, 3, 25), 2)


def test_calendar_settings(tmp_path):
    calendar = {"workdays": ["mon", "sat"], "closed": [date(2026, 3, 4)],
                "open": [date(2026, 3, 8)]}  # fmt: skip
    settings = load_plan(write(tmp_path, plan=edit(PLAN, "calendar", calendar))).calendar
    assert settings == CalendarSettings((0, 5), "CN", (date(2026, 3, 4),), (date(2026, 3, 8),))


def test_holidays_null_means_none(tmp_path):
    plan = load_plan(write(tmp_path, plan=edit(PLAN, "calendar", {"holidays": None})))
    assert plan.calendar.holidays is None


def test_holidays_other_country(tmp_path):
    plan = load_plan(write(tmp_path, plan=edit(PLAN, "calendar", {"holidays": "hk"})))
    assert plan.calendar.holidays == "HK"


def test_stores_staff_and_owner(tmp_path):
    plan = edit(PLAN, "stores", [{"id": "tmall", "name": "天猫"}, {"id": "jd"}])
    plan = edit(plan, "staff.0.stores", ["tmall"])
    plan = edit(plan, "staff.0.leave", [{"from": date(2026, 3, 2), "to": date(2026, 3, 3)}])
    plan = edit(plan, "activities.0", {"id": "launch", "template": "promo", "store": "tmall",
                                       "start": date(2026, 3, 20), "owner": "wang_fang",
                                       "title": 618})  # fmt: skip
    loaded = load_plan(write(tmp_path, plan=plan))
    assert [(s.id, s.name) for s in loaded.stores] == [("tmall", "天猫"), ("jd", "jd")]
    assert loaded.person("wang_fang").stores == ("tmall",)
    assert loaded.person("wang_fang").leave[0].start == date(2026, 3, 2)
    spec = loaded.activities[0]
    assert (spec.id, spec.store, spec.owner, spec.title) == ("launch", "tmall", "wang_fang", "618")


def test_repeat_and_festival_activities(tmp_path):
    plan = edit(PLAN, "activities", [
        {"template": "promo", "repeat": "FREQ=WEEKLY;BYDAY=FR", "live_days": 2},
        {"template": "promo", "festival": "qixi"},
    ])  # fmt: skip
    first, second = load_plan(write(tmp_path, plan=plan)).activities
    assert (first.repeat, first.live_days, second.festival) == ("FREQ=WEEKLY;BYDAY=FR", 2, "qixi")
    assert second.index == 1


def test_except_leaves_dates_of_a_series_out(tmp_path):
    from scheduler.expansion.expand import occurrences

    plan = edit(PLAN, "activities", [
        {"template": "promo", "repeat": "FREQ=WEEKLY;BYDAY=FR",
         "except": [date(2026, 3, 13), "2026-03-27"]},
    ])  # fmt: skip
    loaded = load_plan(write(tmp_path, plan=plan))
    assert loaded.activities[0].except_dates == (date(2026, 3, 13), date(2026, 3, 27))
    assert [o.id for o in occurrences(loaded)] == ["promo@2026-03-06", "promo@2026-03-20"]


@pytest.mark.parametrize(
    ("activity", "parts"),
    [
        (  # a Saturday: no occurrence of a Friday series
            {"template": "promo", "repeat": "FREQ=WEEKLY;BYDAY=FR", "except": ["2026-03-14"]},
            ["activities[0].except[0]: 2026-03-14: not an occurrence"],
        ),
        (  # a Friday of the series, but after the plan's end
            {"template": "promo", "repeat": "FREQ=WEEKLY;BYDAY=FR", "except": ["2026-04-03"]},
            ["activities[0].except[0]: 2026-04-03: not an occurrence"],
        ),
        (  # festival: qixi 2026 is 08-19, outside this plan; 03-08 is womens_day
            {"template": "promo", "festival": "womens_day", "except": ["2026-03-09"]},
            ["activities[0].except[0]: 2026-03-09: not an occurrence"],
        ),
        (
            {"template": "promo", "repeat": "FREQ=WEEKLY;BYDAY=FR", "except": ["2026-02-30"]},
            ["activities[0].except[0]: 2026-02-30"],
        ),
        (
            {
                "template": "promo",
                "start": date(2026, 3, 20),
                "id": "x",
                "except": [date(2026, 3, 20)],
            },
            ["activities[0].except: [2026-03-20]: except without repeat or festival"],
        ),
    ],
)
def test_bad_except_dates_are_reported(tmp_path, activity, parts):
    from scheduler.expansion.expand import occurrences

    path = write(tmp_path, plan=edit(PLAN, "activities", [activity]))
    with pytest.raises(BadInput) as raised:
        occurrences(load_plan(path))
    text = str(raised.value)
    for part in parts:
        assert part in text, text


# --- offsets and lags ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("start", Offset("start", 0, "d", "start")),
        ("end", Offset("end", 0, "d", "end")),
        ("start-30d", Offset("start", -30, "d", "start-30d")),
        ("start-5wd", Offset("start", -5, "wd", "start-5wd")),
        ("end+1d", Offset("end", 1, "d", "end+1d")),
        ("start+2wd", Offset("start", 2, "wd", "start+2wd")),
    ],
)
def test_parse_offset(text, offset):
    assert parse_offset(text) == offset


@pytest.mark.parametrize("text", ["start-30x", "begin-3d", "start - 3d", "start-3", "start-d", ""])
def test_parse_offset_rejects(text):
    assert parse_offset(text) is None


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("photos", After("photos", 0, "wd", "photos")),
        ("photos+2wd", After("photos", 2, "wd", "photos+2wd")),
        ("stock+10d", After("stock", 10, "d", "stock+10d")),
        ("a+0d", After("a", 0, "d", "a+0d")),
    ],
)
def test_parse_after(text, after):
    assert parse_after(text) == after


@pytest.mark.parametrize("text", ["photos+2x", "photos-1wd", "photos+wd", "Photos", "p +1d"])
def test_parse_after_rejects(text):
    assert parse_after(text) is None


# --- template lookup -----------------------------------------------------------------


def test_bundled_templates_load_cleanly():
    folder = bundled_templates_dir()
    files = sorted(folder.glob("*.yaml"))
    if not files:
        pytest.skip(f"no bundled templates in {folder} yet")
    for file in files:
        assert load_template(file).id == file.stem


def test_plan_folder_overrides_bundled_template(tmp_path):
    bundled = available_templates()
    if not bundled:
        pytest.skip("no bundled templates yet")
    template_id = sorted(bundled)[0]
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / f"{template_id}.yaml").write_text("id: x\n", encoding="utf-8")
    found = available_templates([folder])
    assert found[template_id] == folder / f"{template_id}.yaml"
    assert set(bundled) <= set(found)


def test_plan_uses_its_folder_before_the_bundled_one(tmp_path):
    if "weekly_promo" not in available_templates():
        pytest.skip("no bundled weekly_promo yet")
    template = edit(TEMPLATE, "id", "weekly_promo")
    write(tmp_path, template=template)
    (tmp_path / "templates" / "promo.yaml").rename(tmp_path / "templates" / "weekly_promo.yaml")
    plan = load_plan(write_plan_only(tmp_path, edit(PLAN, "activities.0.template", "weekly_promo")))
    assert plan.templates["weekly_promo"].source.parent == tmp_path / "templates"


def write_plan_only(folder: Path, plan: dict) -> Path:
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    return path


def test_only_used_templates_are_loaded(tmp_path):
    path = write(tmp_path)
    (tmp_path / "templates" / "broken.yaml").write_text("id: [oops\n", encoding="utf-8")
    assert set(load_plan(path).templates) == {"promo"}


def test_relative_plan_path_gives_relative_template_path(tmp_path, monkeypatch):
    write(tmp_path, template=edit(TEMPLATE, "kind", "flash"))
    monkeypatch.chdir(tmp_path)
    messages = problems(Path("plan.yaml"))
    assert_reported(messages, str(Path("templates") / "promo.yaml") + ": kind: flash")


# --- the conformance suite -----------------------------------------------------------


def conformance_plans() -> list[Any]:
    plans = sorted(CONFORMANCE_DIR.glob("*/plan.yaml"))
    if not plans:
        return [conformance_param(None)]
    return [pytest.param(p, id=p.parent.name) for p in plans]


@pytest.mark.parametrize("plan_path", conformance_plans())
def test_conformance_plan(plan_path):
    require_conformance()
    expect = yaml.safe_load((plan_path.parent / "expect.yaml").read_text(encoding="utf-8"))
    if expect["exit"] != 2:
        load_plan(plan_path)
        return
    with pytest.raises(BadInput) as raised:
        load_plan(plan_path)
    text = str(raised.value)
    for part in expect["message_contains"]:
        assert str(part) in text, text


def test_conformance_01_fields():
    path = require_conformance() / "01-holiday-makeup" / "plan.yaml"
    plan = load_plan(path)
    assert plan.name == "Conformance 01 holiday and make-up days"
    assert (plan.start, plan.end) == (date(2026, 9, 1), date(2026, 10, 31))
    assert (plan.language, plan.timezone) == ("zh", "Asia/Shanghai")
    assert plan.calendar == CalendarSettings((0, 1, 2, 3, 4), "CN", (), ())
    assert [(p.id, p.name, p.roles) for p in plan.staff] == [
        ("wang_fang", "王芳", ("operations",)),
        ("li_na", "李娜", ("design",)),
    ]
    (spec,) = plan.activities
    assert (spec.template, spec.start, spec.title) == (
        "autumn_launch",
        date(2026, 10, 15),
        "秋季上新 Autumn launch",
    )
    template = plan.templates["autumn_launch"]
    assert (template.kind, template.live_days) == ("theme", 7)
    assert [s.id for s in template.steps] == ["kickoff", "design", "listing"]
    design = template.step("design")
    assert (design.role, design.duration) == ("design", 5)
    assert design.earliest == Offset("start", -16, "d", "start-16d")
    assert design.due == Offset("start", -5, "d", "start-5d")
    assert template.step("listing").after == (After("design", 0, "wd", "design"),)


def test_no_staffing_noise_when_the_staff_list_is_wrong(tmp_path):
    assert problems(write(tmp_path, plan=edit(PLAN, "staff"))) == [
        f"{tmp_path / 'plan.yaml'}: staff: missing (required: a list of staff members)"
    ]


def test_no_cycle_noise_from_a_repeated_step_id(tmp_path):
    messages = problems(write(tmp_path, template=edit(TEMPLATE, "steps.2.id", "copy")))
    assert len(messages) == 1 and "duplicate id" in messages[0]
