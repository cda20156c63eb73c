"""The result of planning, as data, and its file `schedule.json` (FORMAT.md section 6).

The contract fields are `format`, `plan`, `status`, `tasks` (with `id`, `activity`, `step`,
`name`, `role`, `assignee`, `start`, `end`, `load`, `due`, `late_days`) and `explanation`.
Everything else here is an addition that lets `promo-scheduler export` rebuild every export
from this one file without the plan: the activities' live windows, the staff, the working
stretches of each task, the plan's language and timezone, and the display names of the
roles (`roles`: `[{id, name}]`, the name in the plan's language; keys stay in `tasks`).

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
from zoneinfo import ZoneInfo

from scheduler.errors import BadInput, Problems

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
    roles: dict[str, str] = field(default_factory=dict)  # role key -> name in `language`
    solver: dict[str, Any] = field(default_factory=dict)  # objective values, bounds, time
    working_days: list[date] = field(default_factory=list)  # the plan calendar over the span
    suggestions: list[dict[str, Any]] | None = None  # checked fixes, when they were looked for
    # each fix's words in `language` alone, when made here (schedule.json's text has both)
    fix_words: list[str] | None = None
    generated: datetime | None = None  # when the schedule was made (UTC): the exports' DTSTAMP

    def __post_init__(self) -> None:
        _encodable_fields(self, "plan", "language", "timezone", "warnings")
        if not all(map(_is_encodable, [*self.stores, *self.stores.values()])):
            self.stores = {encodable(k): encodable(v) for k, v in self.stores.items()}
        if not all(map(_is_encodable, [*self.roles, *self.roles.values()])):
            self.roles = {encodable(k): encodable(v) for k, v in self.roles.items()}

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
            "roles": [{"id": k, "name": v} for k, v in self.roles.items()],
            "explanation": [asdict(e) for e in self.explanation],
            "warnings": list(self.warnings),
            "solver": self.solver,
            "generated": self.generated.isoformat() if self.generated else None,
            "working_days": [d.isoformat() for d in self.working_days],
        } | ({"suggestions": self.suggestions} if self.suggestions is not None else {})

    def to_json(self) -> str:
        """schedule.json's text: stable key order, UTF-8 characters kept; a lone surrogate
        (which UTF-8 cannot hold) written as its JSON escape, so that it reads back as it was."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schedule:
        """Read a schedule.json object (extra fields optional, as in the bare contract; null
        is taken as absent)."""
        return cls(
            plan=data["plan"],
            status=data["status"],
            tasks=[_task_from_json(t) for t in data.get("tasks") or []],
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
                for a in data.get("activities") or []
            ],
            staff=[
                Person(
                    id=p["id"],
                    name=p["name"],
                    roles=tuple(p.get("roles") or ()),
                    email=p.get("email"),
                    capacity=p.get("capacity") or 100,
                )
                for p in data.get("staff") or []
            ],
            explanation=_explanation_from_json(data.get("explanation")),
            warnings=list(data.get("warnings") or []),
            language=data.get("language") or "en",
            timezone=data.get("timezone") or "Asia/Shanghai",
            stores={s["id"]: s["name"] or "" for s in data.get("stores") or []},
            roles={r["id"]: r["name"] or r["id"] for r in data.get("roles") or []},
            solver=dict(data.get("solver") or {}),
            working_days=[date.fromisoformat(d) for d in data.get("working_days") or []],
            generated=datetime.fromisoformat(data["generated"]) if data.get("generated") else None,
            suggestions=data["suggestions"] if isinstance(data.get("suggestions"), list) else None,
        )

    @classmethod
    def read(cls, path: str | Path) -> Schedule:
        """Load a schedule.json file, checked first (`check_schedule`): anything wrong in it
        raises `BadInput` with one problem per mistake, each naming the file, the key path
        (`tasks[3].start`), the value as written, what is wrong and what was expected."""
        return cls.from_dict(read_schedule_data(path))


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
        (date.fromisoformat(s), date.fromisoformat(e)) for s, e in data.get("stretches") or []
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
        load=data.get("load") or 100,
        due=date.fromisoformat(data["due"]) if data.get("due") else None,
        late_days=data.get("late_days") or 0,
        strict=bool(data.get("strict")),
        earliest=date.fromisoformat(data["earliest"]) if data.get("earliest") else None,
        after=tuple(data.get("after") or ()),
        stretches=stretches or ((start, end),),
        working_days=data.get("working_days") or 0,
    )


def _explanation_from_json(value: Any) -> list[ExplanationItem]:
    if not value:
        return []
    if isinstance(value, str):
        return [ExplanationItem(term="", text=line) for line in value.splitlines() if line]
    return [
        ExplanationItem(term=item.get("term") or "", text=item.get("text") or "")
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


# --- checking a schedule.json -----------------------------------------------------------------

FIRST_DAY = date(1900, 1, 1)  # Excel has no date before 1900
LAST_DAY = date(2199, 12, 31)
SCHEDULE_EXPECTED = "a schedule.json written by promo-scheduler plan"
DATE_EXPECTED = "a date YYYY-MM-DD"
ID_EXPECTED = "an id: letters, digits, '_', '.' and '-', starting with a letter or digit"
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_ID_TEXT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_MISSING = object()


def read_schedule_data(path: str | Path) -> dict[str, Any]:
    """The JSON object of a schedule.json file, checked by `check_schedule` (BadInput: each
    mistake; a file that is no JSON, or not UTF-8, is one mistake)."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise BadInput.single(
            name, "", "", f"cannot be read: {error.strerror or error}", SCHEDULE_EXPECTED
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        where = f"byte {error.start}"
        raise BadInput.single(name, where, "", "not UTF-8 text", SCHEDULE_EXPECTED) from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise BadInput.single(
            name, where, "", f"not JSON: {error.msg}", SCHEDULE_EXPECTED
        ) from None
    except (ValueError, RecursionError) as error:
        problem = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise BadInput.single(name, "", "", f"not JSON: {problem}", SCHEDULE_EXPECTED) from None
    check_schedule(data, name)
    return data


def check_schedule(data: Any, file: str) -> None:
    """Check a schedule.json object before it is read: every field `Schedule.from_dict` and
    the exports use has its type, dates are YYYY-MM-DD from FIRST_DAY to LAST_DAY, ids are
    unique and staff ids can name a file. Raises BadInput with every mistake found."""
    check = _Check(file)
    if not isinstance(data, dict):
        check.add("", data, "not a schedule", "a JSON object with format, plan, status, tasks")
        check.problems.raise_if_any()
    if "format" in data and (type(data["format"]) is not int or data["format"] != FORMAT_VERSION):
        check.add("format", data["format"], "unsupported format", f"{FORMAT_VERSION}")
    check.text(data, "plan", "")
    status = check.text(data, "status", "")
    if status is not None and status not in STATUSES:
        check.add("status", status, "unknown status", " | ".join(STATUSES))
    for key in ("language", "timezone"):
        check.text(data, key, "", required=False)
    zone = data.get("timezone")
    if isinstance(zone, str) and zone.strip() and not _is_zone(zone):
        check.add("timezone", zone, "unknown timezone", "an IANA timezone, e.g. Asia/Shanghai")
    tasks = check.items(data, "tasks", "", required=True)
    for index, task in enumerate(tasks):
        _check_task(check, task, f"tasks[{index}]")
    check.unique(tasks, "tasks", "task")
    activities = check.items(data, "activities", "")
    for index, activity in enumerate(activities):
        _check_activity(check, activity, f"activities[{index}]")
    check.unique(activities, "activities", "activity")
    staff = check.items(data, "staff", "")
    for index, person in enumerate(staff):
        _check_person(check, person, f"staff[{index}]")
    check.unique(staff, "staff", "staff member")
    if isinstance(data.get("staff"), list):
        _check_assignees(check, staff, data.get("tasks"))
    for index, store in enumerate(check.items(data, "stores", "")):
        if check.mapping(store, f"stores[{index}]"):
            check.text(store, "id", f"stores[{index}]")
            check.text(store, "name", f"stores[{index}]", empty=True)
    for index, role in enumerate(check.items(data, "roles", "")):
        if check.mapping(role, f"roles[{index}]"):
            check.text(role, "id", f"roles[{index}]")
            check.text(role, "name", f"roles[{index}]", empty=True)
    for index, warning in enumerate(check.sequence(data, "warnings", "")):
        if not isinstance(warning, str):
            check.add(f"warnings[{index}]", warning, "not a text", "a text")
    explanation = data.get("explanation")
    if explanation is not None and not isinstance(explanation, (str, list)):
        check.add("explanation", explanation, "not an explanation", "a list of {term, text}")
    for index, item in enumerate(explanation if isinstance(explanation, list) else []):
        if isinstance(item, dict):
            check.text(item, "term", f"explanation[{index}]", required=False, empty=True)
            check.text(item, "text", f"explanation[{index}]", required=False, empty=True)
        elif not isinstance(item, str):
            check.add(f"explanation[{index}]", item, "not an explanation", "{term, text}")
    if data.get("solver") is not None and not isinstance(data["solver"], dict):
        check.add("solver", data["solver"], "not an object", "a JSON object")
    for index, day in enumerate(check.sequence(data, "working_days", "")):
        check.day_value(day, f"working_days[{index}]")
    generated = data.get("generated")
    if generated is not None and _timestamp(generated) is None:
        check.add(
            "generated", generated, "not a time", "an ISO 8601 time, e.g. 2027-01-01T08:00:00+00:00"
        )
    check.problems.raise_if_any()


def _check_task(check: _Check, task: Any, where: str) -> None:
    if not check.mapping(task, where):
        return
    check.text(task, "id", where)
    for key in ("activity", "step", "name", "role"):
        check.text(task, key, where, empty=key == "name")
    check.ident(task, "assignee", where)
    start = check.day(task, "start", where)
    end = check.day(task, "end", where)
    if start and end and end < start:
        check.add(f"{where}.end", task["end"], f"before start {start}", "on or after start")
    check.day(task, "due", where, required=False)
    check.day(task, "earliest", where, required=False)
    check.integer(task, "load", where, 1, 100)
    check.integer(task, "late_days", where, 0)
    check.integer(task, "working_days", where, 0)
    if "strict" in task and not isinstance(task["strict"], bool):
        check.add(f"{where}.strict", task["strict"], "not true or false", "true | false")
    for index, before in enumerate(check.sequence(task, "after", where)):
        if not isinstance(before, str):
            check.add(f"{where}.after[{index}]", before, "not a task id", "a task id")
    for index, stretch in enumerate(check.sequence(task, "stretches", where)):
        at = f"{where}.stretches[{index}]"
        if not (isinstance(stretch, list) and len(stretch) == 2):
            check.add(at, stretch, "not a stretch", "[first day, last day]")
            continue
        first, last = (
            check.day_value(stretch[0], f"{at}[0]"),
            check.day_value(stretch[1], f"{at}[1]"),
        )
        if first and last and not (start or first) <= first <= last <= (end or last):
            if start and end and end < start:
                continue  # said at end
            check.add(at, stretch, "not within the task's start and end", "days from start to end")


def _check_assignees(check: _Check, staff: list[dict], tasks: Any) -> None:
    """Each task's assignee is one of `staff` (a schedule.json that lists its staff names
    everyone it assigns: their calendar file is made from that entry)."""
    ids = [p.get("id") if isinstance(p, dict) else None for p in staff]
    if not all(isinstance(i, str) and _ID_TEXT.match(i) for i in ids):
        return  # a staff id is wrong, said already: who it lists is not known
    known = set(ids)
    for index, task in enumerate(tasks if isinstance(tasks, list) else []):
        if not isinstance(task, dict):
            continue  # recorded already
        assignee = task.get("assignee")
        if isinstance(assignee, str) and _ID_TEXT.match(assignee) and assignee not in known:
            shown = ", ".join(ids[:10]) + (", ..." if len(ids) > 10 else "")
            check.add(
                f"tasks[{index}].assignee",
                assignee,
                "not in staff",
                f"the id of a staff member of this schedule: {shown or 'none listed'}",
            )


def _check_activity(check: _Check, activity: Any, where: str) -> None:
    if not check.mapping(activity, where):
        return
    check.text(activity, "id", where)
    for key in ("template", "name", "kind"):
        check.text(activity, key, where, empty=True)
    start = check.day(activity, "start", where)
    end = check.day(activity, "end", where)
    if start and end and end < start:
        check.add(f"{where}.end", activity["end"], f"before start {start}", "on or after start")
    check.text(activity, "store", where, required=False)
    if activity.get("owner") is not None:
        check.ident(activity, "owner", where)


def _check_person(check: _Check, person: Any, where: str) -> None:
    if not check.mapping(person, where):
        return
    check.ident(person, "id", where)
    check.text(person, "name", where, empty=True)
    for index, role in enumerate(check.sequence(person, "roles", where)):
        if not isinstance(role, str):
            check.add(f"{where}.roles[{index}]", role, "not a role", "a role key")
    check.text(person, "email", where, required=False, empty=True)
    check.integer(person, "capacity", where, 1, 100)


class _Check:
    """The mistakes of one schedule.json, each at its key path."""

    def __init__(self, file: str):
        self.problems = Problems(file)

    def add(self, path: str, value: Any, problem: str, expected: str = "") -> None:
        """Record one mistake at `path`, the value shown as written in JSON."""
        self.problems.add(path, _as_written(value), problem, expected)

    def get(self, item: dict[str, Any], key: str, where: str, required: bool, expected: str):
        """The value at `key`, _MISSING (recorded when required) when absent."""
        if key not in item:
            if required:
                self.problems.add(_at(where, key), "", "missing", expected)
            return _MISSING
        return item[key]

    def mapping(self, item: Any, where: str) -> bool:
        """Whether `item` is a JSON object, recording it when it is not."""
        if isinstance(item, dict):
            return True
        self.add(where, item, "not an object", "a JSON object")
        return False

    def sequence(self, item: dict[str, Any], key: str, where: str, required: bool = False) -> list:
        """The list at `key` ([] when absent or null, or recorded when it is no list)."""
        value = self.get(item, key, where, required, "a list")
        if value is _MISSING or (value is None and not required):
            return []
        if not isinstance(value, list):
            self.add(_at(where, key), value, "not a list", "a JSON list")
            return []
        return value

    def items(self, item: dict[str, Any], key: str, where: str, required: bool = False) -> list:
        """The list at `key`; each item that is an object (the others recorded)."""
        found = self.sequence(item, key, where, required)
        return [v for i, v in enumerate(found) if self.mapping(v, f"{_at(where, key)}[{i}]")]

    def unique(self, items: list[dict[str, Any]], key: str, what: str) -> None:
        """Record each `id` already used by an earlier item of the list `key`."""
        first: dict[Any, int] = {}
        for index, item in enumerate(items):
            value = item.get("id")
            if not isinstance(value, str):
                continue
            if value in first:
                also = f"{key}[{first[value]}].id"
                self.add(
                    f"{key}[{index}].id", value, f"duplicate {what} id (also {also})", "unique ids"
                )
            first.setdefault(value, index)

    def text(
        self, item: dict, key: str, where: str, required: bool = True, empty: bool = False
    ) -> str | None:
        """A text field (null allowed when not required; empty only when `empty`)."""
        expected = "a text" if empty else "a non-empty text"
        value = self.get(item, key, where, required, expected)
        if value is _MISSING or (value is None and not required):
            return None
        if not isinstance(value, str):
            self.add(_at(where, key), value, "not a text", expected)
            return None
        if not empty and not value.strip():
            self.add(_at(where, key), value, "empty", expected)
            return None
        return value

    def ident(self, item: dict, key: str, where: str) -> str | None:
        """A staff id: it names a calendar file, so no `/`, no `..`, no line break."""
        value = self.get(item, key, where, True, ID_EXPECTED)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not _ID_TEXT.match(value):
            self.add(_at(where, key), value, "not a staff id", ID_EXPECTED)
            return None
        return value

    def integer(
        self, item: dict, key: str, where: str, low: int, high: int | None = None
    ) -> int | None:
        """An optional integer field in low..high."""
        expected = f"an integer {low}..{high}" if high is not None else f"an integer >= {low}"
        value = item.get(key)
        if value is None and key not in item:
            return None
        if type(value) is not int or value < low or (high is not None and value > high):
            self.add(_at(where, key), value, "not " + expected.removeprefix("an "), expected)
            return None
        return value

    def day(self, item: dict, key: str, where: str, required: bool = True) -> date | None:
        """A date field written YYYY-MM-DD (null allowed when not required)."""
        value = self.get(item, key, where, required, DATE_EXPECTED)
        if value is _MISSING or (value is None and not required):
            return None
        return self.day_value(value, _at(where, key))

    def day_value(self, value: Any, where: str) -> date | None:
        """`value` as a date from FIRST_DAY to LAST_DAY, recording it when it is none."""
        if not isinstance(value, str) or not _DATE_TEXT.match(value):
            self.add(where, value, "not a date", "YYYY-MM-DD")
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.add(where, value, "not a date", "YYYY-MM-DD")
            return None
        if not FIRST_DAY <= day <= LAST_DAY:
            self.add(where, value, "out of range", f"a date from {FIRST_DAY} to {LAST_DAY}")
            return None
        return day


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _as_written(value: Any) -> str:
    """A JSON value as it is written in the file (a text without its quotes)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)[:1000]
    except (TypeError, ValueError, RecursionError):
        return str(value)[:1000]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp if FIRST_DAY.year <= stamp.year <= LAST_DAY.year else None
