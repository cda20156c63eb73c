"""The result of planning, as data, and its file `schedule.json` (FORMAT.md section 6).

The contract fields are `format`, `plan`, `status`, `tasks` (with `id`, `activity`, `step`,
`name`, `role`, `assignee`, `start`, `end`, `load`, `due`, `late_days`) and `explanation`.
Everything else here is an addition that lets `promo-scheduler export` rebuild every export
from this one file without the plan: the activities' live windows, the staff, the working
stretches of each task, the plan's language and timezone.

A schedule holds only text that UTF-8 can hold: a lone surrogate (which a `\ud800` escape in
a YAML or JSON string can make) becomes U+FFFD when a task, activity, person, explanation or
schedule is made, so that every file, the history and the terminal can take its text.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
STATUSES = ("optimal", "feasible", "infeasible")


@dataclass(frozen=True)
class ScheduledTask:
    """One preparation task with its person and dates (start/end inclusive working days)."""

    id: str
    activity: str
    step: str
    name: str
    role: str
    assignee: str
    start: date
    end: date
    load: int
    due: date | None
    late_days: int
    strict: bool = False
    earliest: date | None = None
    after: tuple[str, ...] = ()  # task ids of the predecessors
    stretches: tuple[tuple[date, date], ...] = ()  # runs of consecutive calendar days worked
    working_days: int = 0  # = duration

    def __post_init__(self) -> None:
        _encodable_fields(self, "id", "activity", "step", "name", "role", "assignee", "after")


@dataclass(frozen=True)
class ActivityWindow:
    """One occurrence of an activity: its live window in calendar days (both inclusive)."""

    id: str
    template: str
    name: str
    kind: str
    start: date
    end: date
    store: str | None = None
    owner: str | None = None

    def __post_init__(self) -> None:
        _encodable_fields(self, "id", "template", "name", "kind", "store", "owner")


@dataclass(frozen=True)
class Person:
    """A staff member as the exports need them."""

    id: str
    name: str
    roles: tuple[str, ...]
    email: str | None = None
    capacity: int = 100

    def __post_init__(self) -> None:
        _encodable_fields(self, "id", "name", "roles", "email")


@dataclass(frozen=True)
class ExplanationItem:
    """One named constraint or fact that explains infeasibility or lateness."""

    term: str  # the solver term's name, e.g. "leave[wang_fang#0]"
    text: str  # what it means for a person reading the plan

    def __post_init__(self) -> None:
        _encodable_fields(self, "term", "text")


@dataclass
class Schedule:
    """A whole schedule: the tasks, the activities, the people, and how it was found."""

    plan: str
    status: str
    tasks: list[ScheduledTask]
    activities: list[ActivityWindow] = field(default_factory=list)
    staff: list[Person] = field(default_factory=list)
    explanation: list[ExplanationItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    language: str = "en"
    timezone: str = "Asia/Shanghai"
    stores: dict[str, str] = field(default_factory=dict)  # store id -> name
    solver: dict[str, Any] = field(default_factory=dict)  # objective values, bounds, time
    working_days: list[date] = field(default_factory=list)  # the plan calendar over the span
    generated: datetime | None = None  # when the schedule was made (UTC): the exports' DTSTAMP

    def __post_init__(self) -> None:
        _encodable_fields(self, "plan", "language", "timezone", "warnings")
        if not all(map(_is_encodable, [*self.stores, *self.stores.values()])):
            self.stores = {encodable(k): encodable(v) for k, v in self.stores.items()}

    @property
    def late_days(self) -> int:
        """Total late days over all tasks (FORMAT.md rule 7)."""
        return sum(t.late_days for t in self.tasks)

    @property
    def late_tasks(self) -> list[ScheduledTask]:
        """The tasks that end after their due date."""
        return [t for t in self.tasks if t.late_days > 0]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of schedule.json."""
        return {
            "format": FORMAT_VERSION,
            "plan": self.plan,
            "status": self.status,
            "late_days": self.late_days,
            "language": self.language,
            "timezone": self.timezone,
            "tasks": [_task_to_json(t) for t in self.tasks],
            "activities": [_plain(asdict(a)) for a in self.activities],
            "staff": [_plain(asdict(p)) for p in self.staff],
            "stores": [{"id": k, "name": v} for k, v in self.stores.items()],
            "explanation": [asdict(e) for e in self.explanation],
            "warnings": list(self.warnings),
            "solver": self.solver,
            "generated": self.generated.isoformat() if self.generated else None,
            "working_days": [d.isoformat() for d in self.working_days],
        }

    def to_json(self) -> str:
        """schedule.json's text: stable key order, UTF-8 characters kept; a lone surrogate
        (which UTF-8 cannot hold) written as its JSON escape, so that it reads back as it was."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schedule:
        """Read a schedule.json object (extra fields optional, as in the bare contract)."""
        return cls(
            plan=data["plan"],
            status=data["status"],
            tasks=[_task_from_json(t) for t in data.get("tasks", [])],
            activities=[
                ActivityWindow(
                    id=a["id"],
                    template=a["template"],
                    name=a["name"],
                    kind=a["kind"],
                    start=date.fromisoformat(a["start"]),
                    end=date.fromisoformat(a["end"]),
                    store=a.get("store"),
                    owner=a.get("owner"),
                )
                for a in data.get("activities", [])
            ],
            staff=[
                Person(
                    id=p["id"],
                    name=p["name"],
                    roles=tuple(p.get("roles", ())),
                    email=p.get("email"),
                    capacity=p.get("capacity", 100),
                )
                for p in data.get("staff", [])
            ],
            explanation=_explanation_from_json(data.get("explanation")),
            warnings=list(data.get("warnings", [])),
            language=data.get("language", "en"),
            timezone=data.get("timezone", "Asia/Shanghai"),
            stores={s["id"]: s["name"] for s in data.get("stores", [])},
            solver=dict(data.get("solver", {})),
            working_days=[date.fromisoformat(d) for d in data.get("working_days", [])],
            generated=datetime.fromisoformat(data["generated"]) if data.get("generated") else None,
        )

    @classmethod
    def read(cls, path: str | Path) -> Schedule:
        """Load a schedule.json file."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _task_to_json(task: ScheduledTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "activity": task.activity,
        "step": task.step,
        "name": task.name,
        "role": task.role,
        "assignee": task.assignee,
        "start": task.start.isoformat(),
        "end": task.end.isoformat(),
        "load": task.load,
        "due": task.due.isoformat() if task.due else None,
        "late_days": task.late_days,
        "strict": task.strict,
        "earliest": task.earliest.isoformat() if task.earliest else None,
        "after": list(task.after),
        "working_days": task.working_days,
        "stretches": [[s.isoformat(), e.isoformat()] for s, e in task.stretches],
    }


def _task_from_json(data: dict[str, Any]) -> ScheduledTask:
    start = date.fromisoformat(data["start"])
    end = date.fromisoformat(data["end"])
    stretches = tuple(
        (date.fromisoformat(s), date.fromisoformat(e)) for s, e in data.get("stretches", [])
    )
    return ScheduledTask(
        id=data["id"],
        activity=data["activity"],
        step=data["step"],
        name=data["name"],
        role=data["role"],
        assignee=data["assignee"],
        start=start,
        end=end,
        load=data.get("load", 100),
        due=date.fromisoformat(data["due"]) if data.get("due") else None,
        late_days=data.get("late_days", 0),
        strict=data.get("strict", False),
        earliest=date.fromisoformat(data["earliest"]) if data.get("earliest") else None,
        after=tuple(data.get("after", ())),
        stretches=stretches or ((start, end),),
        working_days=data.get("working_days", 0),
    )


def _explanation_from_json(value: Any) -> list[ExplanationItem]:
    if not value:
        return []
    if isinstance(value, str):
        return [ExplanationItem(term="", text=line) for line in value.splitlines() if line]
    return [
        ExplanationItem(term=item.get("term", ""), text=item.get("text", ""))
        if isinstance(item, dict)
        else ExplanationItem(term="", text=str(item))
        for item in value
    ]


def encodable(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, so that UTF-8 can hold it."""
    return text if _is_encodable(text) else _LONE_SURROGATE.sub("\ufffd", text)


def _is_encodable(text: Any) -> bool:
    if not isinstance(text, str):
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _encodable_fields(item: Any, *names: str) -> None:
    """Make the text fields `names` of a (possibly frozen) dataclass UTF-8 encodable: texts,
    and the texts in tuples or lists."""
    for name in names:
        value = getattr(item, name)
        if isinstance(value, str):
            if not _is_encodable(value):
                object.__setattr__(item, name, encodable(value))
        elif isinstance(value, (tuple, list)) and not all(map(_is_encodable, value)):
            cleaned = [encodable(v) if isinstance(v, str) else v for v in value]
            object.__setattr__(item, name, type(value)(cleaned))


def _plain(value: Any) -> Any:
    """Dates to ISO strings and tuples to lists, recursively, for JSON."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
