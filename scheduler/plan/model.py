"""The plan model: what a plan file and its activity templates say, as plain data.

No I/O and no validation here: `scheduler.plan.loading` builds these from YAML after checking
them, so code that receives a `Plan` can trust every field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Limits of a plan (README, "Limits"): a value beyond one is bad input, named with its limit.
FIRST_DATE = date(1950, 1, 1)  # plan start and end: the years of the holiday and lunar tables
LAST_DATE = date(2099, 12, 31)
MAX_LIVE_DAYS = 366  # an activity's live window, calendar days (live_days, start..end)
MAX_DURATION = 250  # a step's duration, working days (about a working year)
MAX_OFFSET = {"d": 365, "wd": 250}  # N of an offset ANCHOR±N UNIT or a lag step+N UNIT
MAX_OCCURRENCES = 5_000  # activity occurrences per plan
MAX_TASKS = 20_000  # preparation tasks per plan (occurrences times their steps)
MAX_ID_LENGTH = 64  # characters of an id (staff, store, activity, template, step)
MAX_TEXT_LENGTH = 200  # characters of a name, title or other one-line text
MAX_EMAIL_LENGTH = 254  # characters of an email address (RFC 5321's path limit less <>)
MAX_RULE_LENGTH = 1_000  # characters of a `repeat` RRULE
KINDS = ("daily", "weekly", "monthly", "anniversary", "semiannual", "theme", "festival")
LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class LocalText:
    """A name in English and Chinese; `get` falls back to the other language."""

    en: str
    zh: str

    def get(self, language: str) -> str:
        """The text in `language` (`en` or `zh`)."""
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class Offset:
    """A date relative to an activity's live window: `start-30d`, `end+2wd`, `start`."""

    anchor: str  # "start" | "end"
    amount: int  # signed
    unit: str  # "d" calendar days | "wd" working days
    text: str  # as written


@dataclass(frozen=True)
class After:
    """A predecessor step and the lag after its last day (`photos+2wd`, `stock+10d`)."""

    step: str
    lag: int = 0
    unit: str = "wd"  # "d" | "wd"
    text: str = ""


@dataclass(frozen=True)
class Step:
    """One preparation step of a template."""

    id: str
    name: LocalText
    role: str
    duration: int
    load: int = 100
    after: tuple[After, ...] = ()
    earliest: Offset | None = None
    due: Offset | None = None
    strict: bool = False


@dataclass(frozen=True)
class Template:
    """An activity template (`templates/activities/<id>.yaml`)."""

    id: str
    name: LocalText
    kind: str
    live_days: int
    steps: tuple[Step, ...]
    source: Path

    def step(self, step_id: str) -> Step:
        """The step with this id."""
        return next(s for s in self.steps if s.id == step_id)


@dataclass(frozen=True)
class Leave:
    """A person's leave, both dates inclusive."""

    start: date
    end: date


@dataclass(frozen=True)
class StaffMember:
    """A person on the team, the roles they can do and when they are away."""

    id: str
    name: str
    roles: tuple[str, ...]
    email: str | None = None
    capacity: int = 100
    leave: tuple[Leave, ...] = ()
    stores: tuple[str, ...] | None = None  # None: works for every store


@dataclass(frozen=True)
class CalendarSettings:
    """How working days are decided (FORMAT.md section 1)."""

    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # date.weekday() numbers, Monday = 0
    holidays: str | None = "CN"
    closed: tuple[date, ...] = ()
    open: tuple[date, ...] = ()


@dataclass(frozen=True)
class Store:
    """One store of an agency's plan."""

    id: str
    name: str


@dataclass(frozen=True)
class Role:
    """A role key with its display name, from the plan's optional `roles` list."""

    id: str
    name: LocalText | None = None  # None: outputs show the key


@dataclass(frozen=True)
class ActivitySpec:
    """One entry of the plan's `activities` list, before it is expanded into occurrences."""

    index: int  # position in the plan's list, for messages: activities[index]
    template: str
    id: str | None = None
    start: date | None = None
    end: date | None = None
    live_days: int | None = None
    repeat: str | None = None
    festival: str | None = None
    title: str | None = None
    owner: str | None = None
    store: str | None = None
    except_dates: tuple[date, ...] = ()  # `except`: occurrence start dates left out


@dataclass(frozen=True)
class Plan:
    """A whole plan file with the templates it uses, resolved and checked."""

    name: str
    start: date
    end: date
    staff: tuple[StaffMember, ...]
    activities: tuple[ActivitySpec, ...]
    templates: dict[str, Template]
    source: Path
    timezone: str = "Asia/Shanghai"
    language: str = "en"
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    stores: tuple[Store, ...] = ()
    template_dirs: tuple[Path, ...] = ()
    roles: tuple[Role, ...] = ()  # the optional `roles` list: display names of role keys

    def person(self, staff_id: str) -> StaffMember:
        """The staff member with this id."""
        return next(p for p in self.staff if p.id == staff_id)

    def role_name(self, role: str, language: str | None = None) -> str:
        """The display name of role key `role` in `language` (default: the plan's), or the
        key itself when the plan's `roles` list gives it no name (FORMAT.md section 4)."""
        named = next((r.name for r in self.roles if r.id == role and r.name), None)
        return named.get(language or self.language) if named else role
