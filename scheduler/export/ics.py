"""iCalendar export of a schedule (FORMAT.md section 6): team, person and activity calendars.

`write_calendars` writes into `<out>/calendar/`:

- `team.ics`: every task of the plan;
- `<staff id>.ics`: that person's events: the live ones are exactly the live events of
  `team.ics` assigned to them (the person files partition them), plus the cancelled events
  of tasks that left the plan or went to someone else;
- `activities.ics`: each activity occurrence's live window as one all-day event.

Decisions a user of Google Calendar, Outlook, Apple Calendar, Feishu or DingTalk will notice:

- **One event per stretch.** A task's working days can be interrupted by a weekend or a
  holiday; `ScheduledTask.stretches` lists the runs of consecutive calendar days worked, and
  each run is its own event, so nobody's calendar shows work on a day off. A split task's
  events say `(1/2)`, `(2/2)` after the title. The UID of a stretch depends only on the plan
  name, the task id and the stretch number (counted from 1, also for a task that is not
  split), so a task that gains a stretch keeps its first event and adds one.
- **All-day by default** (`DTSTART;VALUE=DATE`, exclusive `DTEND`). With
  `event_time=(start, end)` the events are timed in the plan's timezone (`TZID` plus a
  generated `VTIMEZONE`) from `start` on the stretch's first day to `end` on its last day.
- **Titles are one line**: a line break inside a name becomes a space in `SUMMARY`; the
  `DESCRIPTION` keeps the names as written. Other control characters are dropped.
- **Free/busy**: events are `TRANSP:TRANSPARENT`, since a preparation task is work, not a
  meeting that should block invitations.
- **Reminder**: the first stretch of a task carries a `VALARM` (`ACTION:DISPLAY`) at
  `alarm_at` (09:00) on the working day before it starts; later stretches carry none.
- **Late tasks** say so in `DESCRIPTION` and have `PRIORITY:1`.
- **Updates in place**: every earlier file of the same plan in the folder (`team.ics`, each
  `<staff id>.ics`, `activities.ics`) is its own export state. An event that is in a file
  again keeps its `SEQUENCE` there when none of its properties other than `DTSTAMP` and
  `SEQUENCE` changed, and gets a higher one when any did. An event that leaves a file (its
  task left the plan, or went to another person) stays in that file, as it was, with
  `STATUS:CANCELLED`, a higher `SEQUENCE` and a cancelled mark in its title, in this and
  every later export. So a reassigned task is cancelled in the old person's file and live in
  the new person's; the live events of the person files partition the live events of
  `team.ics`, while each file keeps its own cancelled ones.
- **Person files** are written for every staff member (empty when they have no task, so that
  a subscription never points at a missing file), for every assignee, and for everyone
  whose file of this plan is already in the folder, also after they left the plan. A file
  is named `<staff id>.ics` (`person_file_name`); an id that cannot name a file that way
  (`team` or `activities`, whose files are the team's and the activities' calendars, a
  Windows device name such as `con`, or one with other characters than letters, digits,
  `_`, `.` and `-`) names `staff~<id, percent-encoded>.ics`, which no other id gives.
- **Any text**: lone surrogates become U+FFFD, control characters are dropped, and the
  assignee's email is percent-encoded where a `mailto:` address cannot hold a character
  (a line break, a space, a quote), so no text can add a property or a line to a file.
- **Import and subscription, not iTIP**: no `METHOD`; the assignee with an email is the
  event's `ATTENDEE` with `PARTSTAT=ACCEPTED` (the task is theirs: no reply is asked for) and
  no `ORGANIZER`, so that no client treats an event as an invitation to answer.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import re
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from scheduler.export.cells import encodable
from scheduler.export.ics_fold import component_bytes
from scheduler.export.ics_lines import EventLines
from scheduler.export.ics_scan import CALENDAR_END, EventFacts, event_facts, split_calendar
from scheduler.export.ics_written import OWN_UID, WrittenFile, recall, remember
from scheduler.export.ics_zones import ZoneCache
from scheduler.schedule import Schedule, ScheduledTask
from scheduler.versions.atomic import write_bytes
from scheduler.words import kind_name, role_label

CALENDAR_FOLDER = "calendar"
TEAM_FILE = "team.ics"
ACTIVITIES_FILE = "activities.ics"
RESERVED_NAMES = frozenset({"team", "activities"})
# Names Windows gives to devices, whatever the extension: no file can have them there.
DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul", *(f"{port}{n}" for port in ("com", "lpt") for n in range(10))}
)
ESCAPED_PREFIX = "staff~"  # of a person file whose staff id cannot name it as it is
FILE_ID_LIMIT = 120  # characters of a staff id that names its file as it is
UID_DOMAIN = "promo-scheduler"
# Fixed namespace of every UID this module writes; changing it would duplicate every event
# people already imported.
UID_NAMESPACE = uuid.UUID("5b0c6a4e-8d0f-5f6b-9a1e-7c1f3c2d9e10")

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_MAILTO_UNSAFE = re.compile(r'[\s"<>\\^`{|}%\x00-\x1f\x7f-\x9f\u2028\u2029]')
_BREAKS = re.compile(r"\r\n|[\r\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"\s*\n\s*")
_ESCAPED = re.compile(r"\\([\\;,nN])")
_STAMP_OR_SEQUENCE = re.compile(rb"(DTSTAMP|SEQUENCE)[;:]", re.IGNORECASE)
_FOLD = re.compile(rb"\r\n[ \t]")
_VEVENT_BLOCK = re.compile(rb"^BEGIN:VEVENT\r\n.*?^END:VEVENT\r\n", re.MULTILINE | re.DOTALL)

_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "team": "团队",
        "activities": "活动日历",
        "activity": "活动",
        "store": "店铺",
        "step": "步骤",
        "role": "角色",
        "assignee": "负责人",
        "owner": "负责人",
        "dates": "工作日",
        "dates_value": "{start} 至 {end}，共 {n} 个工作日",
        "stretch": "本段",
        "stretch_value": "第 {i}/{n} 段，{start} 至 {end}",
        "load": "投入",
        "due": "截止",
        "due_none": "无",
        "strict": "（硬性截止）",
        "after": "前置任务",
        "after_none": "无",
        "state": "状态",
        "late": "延误 {n} 天",
        "on_time": "按时",
        "kind": "类型",
        "live": "上线",
        "live_value": "{start} 至 {end}，共 {n} 天",
        "alarm": "{start} 开始：{summary}",
        "cancelled": "[已取消] ",
        "colon": "：",
        "list_sep": "、",
    },
    "en": {
        "team": "Team",
        "activities": "Activities",
        "activity": "Activity",
        "store": "Store",
        "step": "Step",
        "role": "Role",
        "assignee": "Assignee",
        "owner": "Owner",
        "dates": "Working days",
        "dates_value": "{start} to {end}, {n} working days",
        "stretch": "This part",
        "stretch_value": "part {i} of {n}, {start} to {end}",
        "load": "Load",
        "due": "Due",
        "due_none": "none",
        "strict": " (hard deadline)",
        "after": "After",
        "after_none": "none",
        "state": "Status",
        "late": "late by {n} days",
        "on_time": "on time",
        "kind": "Kind",
        "live": "Live",
        "live_value": "{start} to {end}, {n} days",
        "alarm": "Starts {start}: {summary}",
        "cancelled": "[Cancelled] ",
        "colon": ": ",
        "list_sep": ", ",
    },
}


class CalendarStateError(ValueError):
    """An earlier calendar file in the output folder cannot be read as export state."""

    def __init__(self, path: Path, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(
            f"{path}: {problem} (it holds the SEQUENCE numbers of the events people imported; "
            "move it away to start them afresh, after which some calendars ignore changes)"
        )


def task_uid(plan: str, task_id: str, stretch: int) -> str:
    """The UID of a task's `stretch`-th event (from 1): depends on plan, task and number only."""
    return _uid("task", plan, task_id, stretch)


def activity_uid(plan: str, occurrence_id: str) -> str:
    """The UID of an activity occurrence's live-window event in activities.ics."""
    return _uid("activity", plan, occurrence_id)


def write_calendars(
    schedule: Schedule,
    out_dir: Path,
    *,
    stamp: datetime,
    event_time: tuple[time, time] | None = None,
    alarm: bool = True,
    working_days: Sequence[date] = (),
    alarm_at: time = time(9, 0),
) -> list[Path]:
    """Write team.ics, one .ics per person and activities.ics under `out_dir/calendar`.

    `stamp` is the DTSTAMP of every event (a naive value is taken as UTC), so the same
    schedule and stamp give byte-identical files. `event_time` makes the events timed
    instead of all-day. `alarm` adds a reminder at `alarm_at` on the working day before each
    task starts; `working_days` is the plan calendar's working days (any order; default: the
    schedule's own), and without any the reminder is on the calendar day before. An earlier
    export of the same plan in the folder is updated in place (SEQUENCE, cancelled events).
    Returns the paths written: team.ics, activities.ics, then the person files by staff id.
    """
    folder = Path(out_dir) / CALENDAR_FOLDER
    team_path = folder / TEAM_FILE
    activities_path = folder / ACTIVITIES_FILE
    words = _words(schedule.language)
    stamp_utc = _as_utc(stamp)
    if event_time is not None and not event_time[0] < event_time[1]:
        raise ValueError(f"event_time: {event_time}: the start must be before the end")

    days = tuple(sorted(set(working_days or schedule.working_days)))
    task_specs = _task_specs(schedule, event_time, alarm, alarm_at, days)
    activity_specs = _activity_specs(schedule)

    people = {p.id: p for p in schedule.staff}
    facts: Facts = {}  # team.ics and the person files hold the same events
    team_state = _read_state(team_path, schedule.plan, facts) or {}
    wanted = set(people) | {spec.owner for spec in task_specs}
    wanted |= {old.owner for old in team_state.values() if old.owner}
    person_states = _read_person_states(folder, schedule.plan, wanted, facts)
    owners = sorted(wanted | set(person_states))

    tasks = _rendered(task_specs, stamp_utc)
    team_events = _merge(task_specs, tasks, team_state, team_state, stamp_utc, words)
    activity_state = _read_state(activities_path, schedule.plan, facts) or {}
    activity_events = _merge(
        activity_specs, _rendered(activity_specs, stamp_utc), activity_state, activity_state,
        stamp_utc, words,
    )  # fmt: skip

    files: dict[Path, WrittenFile] = {}
    zones = ZoneCache()  # the team file and the person files use the same zones
    files[activities_path] = _calendar_file(
        schedule, f"{schedule.plan} · {words['activities']}", activity_events, zones
    )
    by_owner: dict[str, list[_Spec]] = {}
    for spec in task_specs:
        by_owner.setdefault(spec.owner, []).append(spec)
    for owner in owners:
        name = _one_line(people[owner].name) if owner in people else ""
        mine = by_owner.get(owner, [])
        state = person_states.get(owner, {})
        events = _merge(mine, tasks, state, team_state, stamp_utc, words)
        files[folder / person_file_name(owner)] = _calendar_file(
            schedule, f"{schedule.plan} · {name or owner}", events, zones
        )
    # team.ics is the SEQUENCE base of every file: written last, so that a run interrupted
    # after some person files gives the same files when it is repeated.
    files[team_path] = _calendar_file(
        schedule, f"{schedule.plan} · {words['team']}", team_events, zones
    )

    for path, written in files.items():
        if not (path.exists() and path.read_bytes() == written.data):
            write_bytes(path, written.data)
    remember({path: written for path, written in files.items() if written.events is not None})
    return [team_path, activities_path, *(folder / person_file_name(o) for o in owners)]


def person_file_name(staff_id: str) -> str:
    """The name of a person's calendar file: `<staff id>.ics`, or `staff~<id>.ics` with the id
    percent-encoded when it cannot name a file as it is (`team`, `activities`, a Windows
    device name, characters other than letters, digits, `_`, `.`, `-`). Distinct ids give
    distinct names; none is team.ics or activities.ics."""
    if (
        _SAFE_ID.fullmatch(staff_id)
        and len(staff_id) <= FILE_ID_LIMIT
        and staff_id.lower() not in RESERVED_NAMES | DEVICE_NAMES
        and not staff_id.endswith(".")
    ):
        return f"{staff_id}.ics"
    raw = staff_id.encode("utf-8", "surrogatepass")
    quoted = urllib.parse.quote_from_bytes(raw, safe="")
    if len(quoted) > FILE_ID_LIMIT:  # a file name holds 255 bytes: cut, and keep it unique
        digest = hashlib.sha256(raw).hexdigest()[:16]
        quoted = f"{quoted[: FILE_ID_LIMIT - 40].rstrip('%0123456789ABCDEF')}~{digest}"
    return f"{ESCAPED_PREFIX}{quoted}.ics"


def file_owner(file_name: str) -> str | None:
    """The staff id whose person file is `file_name` (e.g. li_na.ics); None for team.ics,
    activities.ics and any name that no staff id gives (or one cut to fit a file name)."""
    if not file_name.endswith(".ics") or file_name in (TEAM_FILE, ACTIVITIES_FILE):
        return None
    return _file_owner(file_name.removesuffix(".ics"))


def _file_owner(stem: str) -> str | None:
    """The staff id whose person file has this name (without .ics), None when no id has it."""
    if stem.startswith(ESCAPED_PREFIX):
        quoted = stem.removeprefix(ESCAPED_PREFIX)
        if "~" in quoted:
            return None  # a cut id: its file is found from the ids in the plan
        owner = urllib.parse.unquote(quoted, errors="surrogatepass")
    else:
        owner = stem
    return owner if person_file_name(owner) == f"{stem}.ics" else None


def calendar_states(out_dir: Path, plan: str) -> list[tuple[str, str, int, str, str]]:
    """Each event of the plan's calendar files under `out_dir`: (file, UID, SEQUENCE,
    STATUS, hash of its properties but DTSTAMP and SEQUENCE), sorted by file and UID."""
    folder = Path(out_dir) / CALENDAR_FOLDER
    found = []
    facts: Facts = {}
    for path in sorted(folder.glob("*.ics")) if folder.is_dir() else []:
        name = f"{CALENDAR_FOLDER}/{path.name}"
        known = _written_states(path, plan)
        if known is not None:
            found += [(name, *event) for event in known]
            continue
        try:
            state = _read_state(path, plan, facts) or {}
        except CalendarStateError:
            continue  # not ours
        for uid, old in sorted(state.items()):
            status = old.status
            digest = hashlib.sha256(old.content).hexdigest()
            found.append((name, uid, old.sequence, status, digest))
    return found


# --- what each event says -------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """The content of one event before SEQUENCE and DTSTAMP are known."""

    uid: str
    start: date | datetime
    end: date | datetime
    summary: str
    description: str
    categories: tuple[str, ...]
    owner: str  # staff id whose file holds the event; "" in activities.ics
    ref: str  # task id or occurrence id
    attendee: tuple[str, str] | None = None  # (email, display name)
    priority: int | None = None
    alarm: tuple[timedelta, str] | None = None  # (trigger relative to DTSTART, text)

    def fingerprint(self) -> str:
        content = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "tz": str(getattr(self.start, "tzinfo", None) or ""),
            "summary": self.summary,
            "description": self.description,
            "categories": list(self.categories),
            "owner": self.owner,
            "ref": self.ref,
            "attendee": list(self.attendee) if self.attendee else None,
            "priority": self.priority,
            "alarm": [self.alarm[0].total_seconds(), self.alarm[1]] if self.alarm else None,
        }
        text = json.dumps(content, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class _Names:
    """Look-ups by id and the plan language's words, shared by every event's text."""

    def __init__(self, schedule: Schedule):
        self.schedule = schedule
        self.words = _words(schedule.language)
        self.activities = {a.id: a for a in schedule.activities}
        self.people = {p.id: p for p in schedule.staff}
        self.tasks = {t.id: t for t in schedule.tasks}

    def activity(self, activity_id: str) -> str:
        """The activity's name, with its store in front when the plan has several stores."""
        activity = self.activities.get(activity_id)
        if activity is None:
            return activity_id
        name = activity.name or activity.id
        stores = self.schedule.stores
        if activity.store and len(stores) > 1:
            store = stores.get(activity.store, activity.store)
            if store not in name:
                name = f"{store} · {name}"
        return name

    def store(self, activity_id: str) -> str | None:
        activity = self.activities.get(activity_id)
        if activity is None or not activity.store:
            return None
        return self.schedule.stores.get(activity.store, activity.store)

    def person(self, staff_id: str) -> str:
        person = self.people.get(staff_id)
        return person.name if person else staff_id

    def task(self, task_id: str, seen_from: ScheduledTask) -> str:
        """A predecessor's name; with its activity's when that is another activity."""
        task = self.tasks.get(task_id)
        if task is None:
            return task_id
        if task.activity == seen_from.activity:
            return task.name
        return f"[{self.activity(task.activity)}] {task.name}"

    def kind(self, kind: str) -> str:
        return kind_name(kind, self.schedule.language)

    def role(self, role: str) -> str:
        return role_label(role, self.schedule.roles)


def _task_specs(
    schedule: Schedule,
    event_time: tuple[time, time] | None,
    alarm: bool,
    alarm_at: time,
    working_days: tuple[date, ...],
) -> list[_Spec]:
    names = _Names(schedule)
    words = names.words
    zone = ZoneInfo(schedule.timezone) if event_time is not None else None
    day_start = event_time[0] if event_time else time(0, 0)
    specs = []
    for task in schedule.tasks:
        activity = names.activities.get(task.activity)
        person = names.people.get(task.assignee)
        stretches = _stretches(task, working_days)
        title = f"[{_one_line(names.activity(task.activity))}] {_one_line(task.name)}"
        for number, (first, last) in enumerate(stretches, start=1):
            summary = title if len(stretches) == 1 else f"{title} ({number}/{len(stretches)})"
            if zone is not None and event_time is not None:
                start: date | datetime = datetime.combine(first, event_time[0], zone)
                end: date | datetime = datetime.combine(last, event_time[1], zone)
            else:
                start, end = first, last + timedelta(days=1)
            reminder = None
            if alarm and number == 1:
                before = _working_day_before(first, working_days)
                trigger = datetime.combine(before, alarm_at) - datetime.combine(first, day_start)
                text = words["alarm"].format(start=first.isoformat(), summary=summary)
                reminder = (trigger, text)
            specs.append(
                _Spec(
                    uid=task_uid(schedule.plan, task.id, number),
                    start=start,
                    end=end,
                    summary=summary,
                    description=_task_description(names, task, stretches, number),
                    categories=(names.kind(activity.kind),) if activity and activity.kind else (),
                    owner=task.assignee,
                    ref=task.id,
                    attendee=(_mailto(person.email), _one_line(person.name))
                    if person and person.email and _mailto(person.email)
                    else None,
                    priority=1 if task.late_days > 0 else None,
                    alarm=reminder,
                )
            )
    return _unique(specs, "task")


def _activity_specs(schedule: Schedule) -> list[_Spec]:
    names = _Names(schedule)
    words = names.words
    specs = []
    for activity in schedule.activities:
        label = names.activity(activity.id)
        live = words["live_value"].format(
            start=activity.start.isoformat(),
            end=activity.end.isoformat(),
            n=(activity.end - activity.start).days + 1,
        )
        lines = [
            (words["activity"], f"{label} ({activity.id})"),
            (words["kind"], names.kind(activity.kind)),
            (words["live"], live),
        ]
        store = names.store(activity.id)
        if store:
            lines.append((words["store"], store))
        if activity.owner:
            lines.append((words["owner"], names.person(activity.owner)))
        specs.append(
            _Spec(
                uid=activity_uid(schedule.plan, activity.id),
                start=activity.start,
                end=activity.end + timedelta(days=1),
                summary=_one_line(label),
                description=_lines(lines, words),
                categories=(names.kind(activity.kind),) if activity.kind else (),
                owner="",
                ref=activity.id,
            )
        )
    return _unique(specs, "activity")


def _task_description(
    names: _Names, task: ScheduledTask, stretches: list[tuple[date, date]], number: int
) -> str:
    words = names.words
    dates = words["dates_value"].format(
        start=task.start.isoformat(),
        end=task.end.isoformat(),
        n=task.working_days or sum((last - first).days + 1 for first, last in stretches),
    )
    lines = [(words["activity"], f"{names.activity(task.activity)} ({task.activity})")]
    store = names.store(task.activity)
    if store:
        lines.append((words["store"], store))
    lines += [
        (words["step"], f"{task.name} ({task.step})"),
        (words["role"], names.role(task.role)),
        (words["assignee"], names.person(task.assignee)),
        (words["dates"], dates),
    ]
    if len(stretches) > 1:
        first, last = stretches[number - 1]
        part = words["stretch_value"].format(
            i=number, n=len(stretches), start=first.isoformat(), end=last.isoformat()
        )
        lines.append((words["stretch"], part))
    if task.load != 100:
        lines.append((words["load"], f"{task.load}%"))
    due = words["due_none"]
    if task.due:
        due = task.due.isoformat() + (words["strict"] if task.strict else "")
    lines.append((words["due"], due))
    after = words["list_sep"].join(names.task(t, task) for t in task.after)
    lines.append((words["after"], after or words["after_none"]))
    state = words["late"].format(n=task.late_days) if task.late_days > 0 else words["on_time"]
    lines.append((words["state"], state))
    return _lines(lines, words)


def _lines(pairs: Iterable[tuple[str, str]], words: dict[str, str]) -> str:
    return "\n".join(f"{key}{words['colon']}{_clean(value)}" for key, value in pairs)


def _stretches(task: ScheduledTask, working_days: tuple[date, ...]) -> list[tuple[date, date]]:
    """The task's runs of consecutive calendar days worked, first to last."""
    if task.stretches:
        return sorted(task.stretches)
    if not working_days:
        return [(task.start, task.end)]
    lo = bisect.bisect_left(working_days, task.start)
    hi = bisect.bisect_right(working_days, task.end)
    runs: list[tuple[date, date]] = []
    for day in working_days[lo:hi]:
        if runs and day - runs[-1][1] == timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs or [(task.start, task.end)]


def _working_day_before(day: date, working_days: tuple[date, ...]) -> date:
    index = bisect.bisect_left(working_days, day)
    return working_days[index - 1] if index > 0 else day - timedelta(days=1)


def _unique(specs: list[_Spec], what: str) -> list[_Spec]:
    seen: dict[str, str] = {}
    for spec in specs:
        if spec.uid in seen:
            raise ValueError(f"two {what}s have the id {spec.ref!r}: each needs its own id")
        seen[spec.uid] = spec.ref
    return specs


# --- earlier export, SEQUENCE and cancellation ----------------------------------------------


@dataclass(frozen=True)
class _Old:
    """An event of the earlier version of one file."""

    parsed: Callable[[], Event]  # the event itself (parsed when a cancellation copies it)
    sequence: int
    cancelled: bool
    owner: str
    content: bytes  # its properties but DTSTAMP and SEQUENCE, as written (see `_content`)
    status: str  # its STATUS in upper case, CONFIRMED when it has none

    @property
    def event(self) -> Event:
        """The event as parsed by icalendar."""
        return self.parsed()


# An event's text -> what `event_facts` found in it and its `_content` (None: parse it).
Facts = dict[bytes, tuple[EventFacts, bytes] | None]


def _read_state(path: Path, plan: str, facts: Facts | None = None) -> dict[str, _Old] | None:
    """The events of an earlier export of `plan` at `path`, by UID.

    None when there is no file or it is another plan's or a foreign file (start afresh).
    `facts` keeps what was read of each event's text, for the next file holding it.
    """
    if not path.exists():
        return None
    raw = path.read_bytes()
    quick = _quick_state(raw, plan, {} if facts is None else facts)
    return quick if quick is not None else _parsed_state(path, raw, plan)


def _parsed_state(path: Path, raw: bytes, plan: str) -> dict[str, _Old] | None:
    """`_read_state` of the file `raw` read from `path`, every event parsed by icalendar."""
    try:
        calendar = Calendar.from_ical(raw)
    except ValueError as error:
        raise CalendarStateError(path, f"not an iCalendar file ({error})") from error
    if _x_text(calendar, "X-PROMO-PLAN") != _one_line(plan):
        return None
    found = calendar.walk("VEVENT")
    blocks = _VEVENT_BLOCK.findall(raw)  # each event as written, in the same order
    if len(blocks) != len(found):
        blocks = [event.to_ical() for event in found]
    state: dict[str, _Old] = {}
    for event, block in zip(found, blocks, strict=True):
        uid = str(event.get("UID", ""))
        if not uid:
            continue
        try:
            sequence = int(event.get("SEQUENCE", 0))
        except (TypeError, ValueError) as error:
            raise CalendarStateError(path, f"UID {uid}: SEQUENCE is not a number") from error
        state[uid] = _Old(
            parsed=functools.partial(_itself, event),
            sequence=sequence,
            cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
            owner=_x_text(event, "X-PROMO-ASSIGNEE"),
            content=_content(block),
            status=str(event.get("STATUS", "CONFIRMED")).upper(),
        )
    return state


def _itself(event: Event) -> Event:
    return event


def _quick_state(raw: bytes, plan: str, facts: Facts) -> dict[str, _Old] | None:
    """What `_read_state` finds in a file of `plan` laid out as this module writes it, read
    from each event's own lines (`ics_scan`, once per distinct event text in `facts`)
    instead of parsing every property; None for any file whose parse could differ (a
    foreign or edited one, another plan's): that one is parsed as before."""
    split = split_calendar(raw)
    if split is None:
        return None
    head, blocks = split
    try:
        calendar = Calendar.from_ical(head + CALENDAR_END)
    except ValueError:
        return None
    if calendar.walk("VEVENT") or _x_text(calendar, "X-PROMO-PLAN") != _one_line(plan):
        return None
    found: list[tuple[EventFacts, bytes, bytes]] = []
    for block in blocks:
        if block not in facts:
            known = event_facts(block)
            facts[block] = None if known is None else (known, _content(block))
        read = facts[block]
        if read is None:
            return None
        found.append((*read, block))
    state: dict[str, _Old] = {}
    for known, content, block in found:
        if not known.uid:
            continue
        status = known.status.upper() if known.status is not None else None
        state[known.uid] = _Old(
            parsed=_LazyEvent(head, block),
            sequence=known.sequence if known.sequence is not None else 0,
            cancelled=status == "CANCELLED",
            owner=known.assignee or "",
            content=content,
            status=status if status is not None else "CONFIRMED",
        )
    return state


class _LazyEvent:
    """The event of `block`, parsed (once, when asked for) as in its file: after its head."""

    __slots__ = ("block", "event", "head")

    def __init__(self, head: bytes, block: bytes):
        self.head = head
        self.block = block
        self.event: Event | None = None

    def __call__(self) -> Event:
        if self.event is None:
            text = self.head + self.block + CALENDAR_END
            self.event = Calendar.from_ical(text).walk("VEVENT")[0]
        return self.event


def _read_person_states(
    folder: Path, plan: str, wanted: set[str], facts: Facts | None = None
) -> dict[str, dict[str, _Old]]:
    """The earlier person files of `plan` in `folder`, by staff id.

    A file of someone in `wanted` must be readable; any other `.ics` file that is no person
    file of this plan (unreadable, another plan's, a name no staff id can have) is not ours
    and is left alone.
    """
    states: dict[str, dict[str, _Old]] = {}
    if not folder.is_dir():
        return states
    named = {person_file_name(owner): owner for owner in wanted}
    for path in sorted(folder.glob("*.ics")):
        owner = named.get(path.name) or _file_owner(path.stem)
        if owner is None:
            continue
        try:
            state = _read_state(path, plan, facts)
        except CalendarStateError:
            if owner in wanted:
                raise
            continue
        if state is not None:
            states[owner] = state
    return states


class _Rendered:
    """A spec's event, written once for every file that holds it."""

    def __init__(self, spec: _Spec, stamp: datetime, lines: EventLines):
        self.spec = spec
        self.stamp = stamp
        # Only what sorts the file and names its timezones: its text is written from lines.
        self.event = Event()
        self.event.add("UID", spec.uid)
        self.event.add("DTSTART", spec.start)
        self.event.add("DTEND", spec.end)
        self.event.add("STATUS", "CONFIRMED")
        self.ical = _event_bytes(spec, spec.fingerprint(), stamp, lines)

    @functools.cached_property
    def content(self) -> bytes:
        """As `_content`; computed only when there is an earlier event to compare with."""
        return _content(self.ical)

    def with_sequence(self, sequence: int) -> tuple[Event, bytes]:
        """The event and its text with this SEQUENCE."""
        if sequence == 0:
            return self.event, self.ical
        line = b"\r\nSEQUENCE:0\r\n"
        if self.ical.count(line) == 1:
            return self.event, self.ical.replace(line, b"\r\nSEQUENCE:%d\r\n" % sequence)
        event = _render(self.spec, sequence, self.spec.fingerprint(), self.stamp)
        return event, component_bytes(event)


def _rendered(specs: list[_Spec], stamp: datetime) -> dict[str, _Rendered]:
    lines = EventLines()
    return {spec.uid: _Rendered(spec, stamp, lines) for spec in specs}


def _merge(
    specs: list[_Spec],
    rendered: dict[str, _Rendered],
    state: dict[str, _Old],
    team_state: dict[str, _Old],
    stamp: datetime,
    words: dict[str, str],
) -> list[tuple[Event, bytes, int]]:
    """The events of one file, with their text and SEQUENCE: its live `specs` and, from its
    earlier version `state`, the cancelled events of everything that left it; sorted by
    start, then UID.

    An event unchanged against `state` keeps its SEQUENCE. A changed or new one gets the
    team file's: team.ics's earlier SEQUENCE, plus one when the event changed there, and
    always more than this file's earlier SEQUENCE of it; so a person file and team.ics
    agree on every live event.
    """
    events: list[tuple[Event, bytes, int]] = []
    for spec in specs:
        new = rendered[spec.uid]
        old = state.get(spec.uid)
        if old is not None and not old.cancelled and old.content == new.content:
            sequence = old.sequence
        else:
            team = team_state.get(spec.uid)
            sequence = 0
            if team is not None:
                same = not team.cancelled and team.content == new.content
                sequence = team.sequence if same else team.sequence + 1
            if old is not None:
                sequence = max(sequence, old.sequence + 1)
        events.append((*new.with_sequence(sequence), sequence))
    current = {spec.uid for spec in specs}
    for uid, old in state.items():
        if uid not in current:
            event = _cancelled(old, stamp, words)
            sequence = old.sequence if old.cancelled else old.sequence + 1
            events.append((event, component_bytes(event), sequence))
    events.sort(key=lambda item: (_day(item[0].get("DTSTART")), str(item[0]["UID"])))
    return events


def _content(ical: bytes) -> bytes:
    """An event's text (alarms included) without its DTSTAMP and SEQUENCE lines, unfolded.

    An event as rendered and as read back from its file give the same text (icalendar
    writes what it parsed unchanged), so this compares an event with its earlier version.
    """
    lines = _FOLD.sub(b"", ical).split(b"\r\n")
    return b"\r\n".join(line for line in lines if not _STAMP_OR_SEQUENCE.match(line))


def _render(spec: _Spec, sequence: int, fingerprint: str, stamp: datetime) -> Event:
    event = Event()
    event.add("UID", spec.uid)
    event.add("DTSTAMP", stamp)
    event.add("SEQUENCE", sequence)
    event.add("DTSTART", spec.start)
    event.add("DTEND", spec.end)
    event.add("SUMMARY", spec.summary)
    event.add("DESCRIPTION", spec.description)
    if spec.categories:
        event.add("CATEGORIES", [_one_line(c) for c in spec.categories])
    event.add("STATUS", "CONFIRMED")
    event.add("TRANSP", "TRANSPARENT")
    if spec.priority is not None:
        event.add("PRIORITY", spec.priority)
    if spec.attendee:
        event.add("ATTENDEE", _attendee(*spec.attendee))
    event.add("X-PROMO-REF", vText(encodable(spec.ref)))
    if spec.owner:
        event.add("X-PROMO-ASSIGNEE", vText(encodable(spec.owner)))
    event.add("X-PROMO-FINGERPRINT", fingerprint)
    if spec.alarm:
        trigger, text = spec.alarm
        reminder = Alarm()
        reminder.add("ACTION", "DISPLAY")
        reminder.add("DESCRIPTION", text)
        reminder.add("TRIGGER", trigger)
        event.add_component(reminder)
    return event


def _attendee(email: str, name: str) -> vCalAddress:
    """The ATTENDEE of a task's event: its assignee, who accepted it."""
    attendee = vCalAddress(f"mailto:{email}")  # `_mailto`: nothing to escape
    if name:
        # A double quote would be written as RFC 6868's ^', which few clients decode, and
        # a backslash before `;`, `:` or the end is read as an escape by many parsers.
        attendee.params["CN"] = name.replace('"', "'").replace("\\", "/")
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "ACCEPTED"
    return attendee


def _event_bytes(spec: _Spec, fingerprint: str, stamp: datetime, lines: EventLines) -> bytes:
    """The text of `_render(spec, 0, fingerprint, stamp)`, byte for byte, from lines each
    written once by icalendar (`ics_lines`): keep the two alike."""
    props: dict[str, bytes] = {
        "UID": lines.text("UID", spec.uid),
        "DTSTAMP": lines.value(Event, "DTSTAMP", stamp),
        "SEQUENCE": lines.value(Event, "SEQUENCE", 0),
        "DTSTART": lines.value(Event, "DTSTART", spec.start),
        "DTEND": lines.value(Event, "DTEND", spec.end),
        "SUMMARY": lines.text("SUMMARY", spec.summary),
        "DESCRIPTION": lines.text("DESCRIPTION", spec.description),
    }
    if spec.categories:
        props["CATEGORIES"] = lines.value(
            Event, "CATEGORIES", [_one_line(c) for c in spec.categories]
        )
    props["STATUS"] = lines.value(Event, "STATUS", "CONFIRMED")
    props["TRANSP"] = lines.value(Event, "TRANSP", "TRANSPARENT")
    if spec.priority is not None:
        props["PRIORITY"] = lines.value(Event, "PRIORITY", spec.priority)
    if spec.attendee:
        email, name = spec.attendee
        props["ATTENDEE"] = lines.made(
            ("ATTENDEE", email, name), Event, lambda e: e.add("ATTENDEE", _attendee(email, name))
        )
    props["X-PROMO-REF"] = lines.text("X-PROMO-REF", encodable(spec.ref))
    if spec.owner:
        props["X-PROMO-ASSIGNEE"] = lines.text("X-PROMO-ASSIGNEE", encodable(spec.owner))
    props["X-PROMO-FINGERPRINT"] = lines.text("X-PROMO-FINGERPRINT", fingerprint)
    text = [b"BEGIN:VEVENT\r\n", *(props[name] for name in lines.order(Event, list(props)))]
    if spec.alarm:
        trigger, words = spec.alarm
        alarm = {
            "ACTION": lines.value(Alarm, "ACTION", "DISPLAY"),
            "DESCRIPTION": lines.text("DESCRIPTION", words),
            "TRIGGER": lines.value(Alarm, "TRIGGER", trigger),
        }
        text += [b"BEGIN:VALARM\r\n", *(alarm[n] for n in lines.order(Alarm, list(alarm)))]
        text.append(b"END:VALARM\r\n")
    text.append(b"END:VEVENT\r\n")
    return b"".join(text)


def _cancelled(old: _Old, stamp: datetime, words: dict[str, str]) -> Event:
    """The earlier event as it was, marked cancelled (once: a cancelled one stays as it is)."""
    event = Event()
    for name, value in old.event.property_items(recursive=False):
        if name in {"BEGIN", "END", "DTSTAMP", "SEQUENCE", "STATUS"}:
            continue
        if name == "SUMMARY" and not old.cancelled:
            value = vText(words["cancelled"] + str(value))
        event.add(name, value, encode=False)
    event.add("DTSTAMP", stamp)
    event.add("SEQUENCE", old.sequence if old.cancelled else old.sequence + 1)
    event.add("STATUS", "CANCELLED")
    return event


# --- files ----------------------------------------------------------------------------------


def _has_tzid(event: Event) -> bool:
    """Whether the event's dates name a timezone (as `Calendar.get_used_tzids` would find:
    only DTSTART and DTEND of these events can carry a TZID), without walking every
    property of every event of the file."""
    return any(
        (value := event.get(name)) is not None and "TZID" in value.params
        for name in ("DTSTART", "DTEND")
    )


def _calendar_file(
    schedule: Schedule, name: str, events: list[tuple[Event, bytes, int]], zones: ZoneCache
) -> WrittenFile:
    """The file's text (its properties, the timezones its events use, the events' text) and
    its events' states as `calendar_states` reads them back (none when an event's UID is
    not one this module makes: such a file is read back as any other)."""
    calendar = Calendar()
    calendar.add("PRODID", f"-//promo-scheduler//promo-scheduler//{_words_key(schedule)}")
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("NAME", vText(_one_line(name)))
    calendar.add("X-WR-CALNAME", vText(_one_line(name)))
    calendar.add("X-WR-TIMEZONE", vText(_one_line(schedule.timezone)))
    calendar.add("REFRESH-INTERVAL", timedelta(hours=12), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", "PT12H")
    calendar.add("X-PROMO-PLAN", vText(_one_line(schedule.plan)))
    days = [_day(event.get("DTSTART")) for event, _, _ in events]
    if days and any(_has_tzid(event) for event, _, _ in events):
        zones.add_missing(
            calendar,
            (event for event, _, _ in events),
            first_date=date(min(days).year - 1, 1, 1),
            last_date=date(max(days).year + 2, 1, 1),
        )
    # The events' text is written once and shared by team.ics and the person files.
    calendar.subcomponents = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
    end = b"END:VCALENDAR\r\n"
    head = component_bytes(calendar).removesuffix(end)
    data = head + b"".join(ical for _, ical, _ in events) + end
    states = []
    for event, ical, sequence in events:
        uid = str(event["UID"])
        if not OWN_UID.fullmatch(uid):
            return WrittenFile(data, schedule.plan, len(head), None)
        status = str(event.get("STATUS", "CONFIRMED")).upper()
        states.append((uid, sequence, status, hashlib.sha256(_content(ical)).hexdigest()))
    return WrittenFile(data, schedule.plan, len(head), tuple(states))


def _written_states(path: Path, plan: str) -> list[tuple[str, int, str, str]] | None:
    """The events' states of a file this process has just written for `plan` (as
    `calendar_states` would read them back), sorted by UID; None when it did not, or the
    file is not recognisably that plan's."""
    written = recall(path, path.read_bytes(), plan)
    if written is None or written.events is None:
        return None
    try:
        head = Calendar.from_ical(written.head + b"END:VCALENDAR\r\n")
    except ValueError:
        return None
    if _x_text(head, "X-PROMO-PLAN") != _one_line(plan):
        return None
    by_uid = {event[0]: event for event in written.events}
    return [by_uid[uid] for uid in sorted(by_uid)]


# --- small helpers --------------------------------------------------------------------------


def _uid(kind: str, plan: str, *key: Any) -> str:
    name = encodable(json.dumps([kind, plan, *key], ensure_ascii=False))
    return f"{uuid.uuid5(UID_NAMESPACE, name).hex}@{UID_DOMAIN}"


def _words_key(schedule: Schedule) -> str:
    return "ZH" if schedule.language == "zh" else "EN"


def _words(language: str) -> dict[str, str]:
    return _WORDS["zh" if language == "zh" else "en"]


def _as_utc(stamp: datetime) -> datetime:
    if stamp.tzinfo is None:
        return stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def _day(prop: Any) -> date:
    value = getattr(prop, "dt", prop)
    return value.date() if isinstance(value, datetime) else value


def _clean(text: str) -> str:
    """Text with one kind of line break and no other control character (TEXT can't hold them),
    and no lone surrogate (UTF-8 can't)."""
    return _CONTROL.sub("", _BREAKS.sub("\n", encodable(text)))


def _mailto(email: str) -> str:
    """The `mailto:` address of an email, each character a URI cannot hold (line breaks and
    other controls, spaces, quotes, `%`) percent-encoded; empty for an empty email."""
    email = encodable(email).strip()
    return _MAILTO_UNSAFE.sub(lambda m: urllib.parse.quote(m.group(), safe=""), email)


def _one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", _clean(text)).strip()


def _x_text(component: Any, name: str) -> str:
    """An X- property's text value, unescaped (icalendar keeps X- values as written)."""
    value = component.get(name)
    if value is None:
        return ""
    raw = value.to_ical() if hasattr(value, "to_ical") else value
    raw = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    return _ESCAPED.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), raw)
