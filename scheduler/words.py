"""The words outputs show people, in a plan's language (`zh` or `en`): activity kinds, yes and
no, schedule statuses, and the standard role names of the bundled templates.

The standard role names ship as package data (`scheduler/data/roles.yaml`): FORMAT.md's
template format has no place for role names, so they are kept beside the templates and used
for a role that the plan's own `roles` list does not name. schedule.json keeps the keys.
"""

from __future__ import annotations

import importlib.resources
from functools import cache

import yaml

from scheduler.plan.model import LocalText

KIND_NAMES: dict[str, LocalText] = {
    "daily": LocalText("Daily deal", "日常活动"),
    "weekly": LocalText("Weekly promotion", "周活动"),
    "monthly": LocalText("Monthly event", "月度活动"),
    "anniversary": LocalText("Store anniversary", "店庆"),
    "semiannual": LocalText("Half-year sale", "半年大促"),
    "theme": LocalText("Theme campaign", "主题活动"),
    "festival": LocalText("Festival sale", "节日大促"),
}
STATUS_NAMES: dict[str, LocalText] = {
    "optimal": LocalText("optimal", "最优"),
    "feasible": LocalText("feasible", "可行"),
    "infeasible": LocalText("infeasible", "无解"),
    "unknown": LocalText("unknown", "未知"),
}
YES_NO = {True: LocalText("yes", "是"), False: LocalText("no", "否")}


def language_of(language: str) -> str:
    """`zh` for a Chinese schedule language (`zh`, `zh-CN`, ...), else `en`."""
    return "zh" if language.lower().startswith("zh") else "en"


def kind_name(kind: str, language: str) -> str:
    """An activity kind (`weekly`, `festival`, ...) as people read it; an unknown kind as is."""
    named = KIND_NAMES.get(kind)
    return named.get(language_of(language)) if named else kind


def yes_no(value: bool, language: str) -> str:
    """`yes`/`no` in the language (是/否 in Chinese)."""
    return YES_NO[bool(value)].get(language_of(language))


def status_name(status: str, language: str) -> str:
    """A schedule status (`optimal`, `feasible`, `infeasible`) as people read it."""
    named = STATUS_NAMES.get(status)
    return named.get(language_of(language)) if named else status


@cache
def standard_role_names() -> dict[str, LocalText]:
    """Role key -> its standard names in both languages, from the package data."""
    text = importlib.resources.files("scheduler").joinpath("data", "roles.yaml").read_text("utf-8")
    return {
        str(key): LocalText(str(v["en"]), str(v["zh"])) for key, v in yaml.safe_load(text).items()
    }


def role_label(role: str, names: dict[str, str]) -> str:
    """A role key as outputs show it: its display name in `names` (a schedule's), else the
    key."""
    return names.get(role) or role
