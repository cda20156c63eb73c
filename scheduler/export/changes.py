"""What changed against the previous version: `changes.csv` (FORMAT.md section 6) and the
per-person summary printed after `plan` and `replan`.

A task changed when it is new (`added`), gone (`cancelled`), runs on other dates
(`moved`: another start or end), by someone else (`reassigned`) or both
(`moved+reassigned`). The reason is given where the two versions show it: the person
left the plan, the activity's live window moved, a predecessor changed; otherwise the
column is empty (the search placed it elsewhere).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scheduler.export.cells import table_text
from scheduler.phrases import phrasebook
from scheduler.schedule import Schedule, ScheduledTask
from scheduler.versions.atomic import write_bytes

COLUMNS = (
    "task",
    "activity",
    "change",
    "old_start",
    "old_end",
    "old_assignee",
    "new_start",
    "new_end",
    "new_assignee",
    "reason",
    "name",
)

_REASONS = {
    "en": {
        "left": "{person} left the plan",
        "leave": "{person} is on leave then",
        "window": "the activity's live window moved",
        "predecessor": "a predecessor changed",
        "new_activity": "new activity",
        "removed": "removed from the plan",
    },
    "zh": {
        "left": "{person} 已不在计划中",
        "leave": "{person} 该时段休假",
        "window": "活动上线时间已变",
        "predecessor": "前置任务有变",
        "new_activity": "新活动",
        "removed": "已从计划中移除",
    },
}


@dataclass(frozen=True)
class Change:
    """One task that differs between two versions."""

    task: str
    activity: str
    change: str
    old: ScheduledTask | None
    new: ScheduledTask | None
    reason: str

    @property
    def people(self) -> list[str]:
        """Whom it concerns: the old and the new assignee."""
        ids = [t.assignee for t in (self.old, self.new) if t is not None]
        return sorted(set(ids), key=ids.index)


def task_changes(
    previous: Schedule | None,
    schedule: Schedule,
    leave: dict[str, list[tuple[date, date]]] | None = None,
) -> list[Change]:
    """The tasks of `schedule` that differ from `previous` (all added when there is none),
    and those of `previous` that are gone; sorted by task id. `leave` (staff id -> leave
    ranges, both ends inclusive, of the new plan) names leave as a reason."""
    leave = leave or {}
    words = _REASONS.get(schedule.language, _REASONS["en"])
    old_tasks = {t.id: t for t in previous.tasks} if previous else {}
    new_tasks = {t.id: t for t in schedule.tasks}
    old_windows = {a.id: (a.start, a.end) for a in previous.activities} if previous else {}
    new_windows = {a.id: (a.start, a.end) for a in schedule.activities}
    staff = {p.id: p.name for p in schedule.staff}
    old_staff = {p.id: p.name for p in previous.staff} if previous else {}

    kinds: dict[str, str] = {}
    for task_id in sorted(old_tasks.keys() | new_tasks.keys()):
        old, new = old_tasks.get(task_id), new_tasks.get(task_id)
        kind = _kind(old, new)
        if kind:
            kinds[task_id] = kind
    changes = []
    for task_id, kind in kinds.items():
        old, new = old_tasks.get(task_id), new_tasks.get(task_id)
        task = new or old
        if kind == "added":
            reason = words["new_activity"] if task.activity not in old_windows else ""
        elif kind == "cancelled":
            reason = words["removed"]
        elif old.assignee not in staff:
            reason = words["left"].format(person=old_staff.get(old.assignee, old.assignee))
        elif any(a <= old.end and old.start <= b for a, b in leave.get(old.assignee, ())):
            reason = words["leave"].format(person=staff.get(old.assignee, old.assignee))
        elif old_windows.get(task.activity) != new_windows.get(task.activity):
            reason = words["window"]
        elif any(kinds.get(p) in ("moved", "moved+reassigned") for p in task.after):
            reason = words["predecessor"]
        else:
            reason = ""
        changes.append(Change(task_id, task.activity, kind, old, new, reason))
    return changes


def write_changes_csv(changes: list[Change], path: str | Path) -> None:
    """Write `changes.csv`: one row per changed task, UTF-8 with BOM, formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in changes:
        old, new = c.old, c.new
        row = [
            c.task,
            c.activity,
            c.change,
            old.start.isoformat() if old else "",
            old.end.isoformat() if old else "",
            old.assignee if old else "",
            new.start.isoformat() if new else "",
            new.end.isoformat() if new else "",
            new.assignee if new else "",
            c.reason,
            _name(c),
        ]
        writer.writerow([table_text(v) for v in row])
    write_bytes(path, buffer.getvalue().encode("utf-8-sig"))


def changes_by_person(changes: list[Change], schedule: Schedule) -> str:
    """The changes as text grouped by person, for the terminal, in the schedule's language
    (empty when none); changes.csv keeps the kinds' keys (`moved`, ...)."""
    if not changes:
        return ""
    say = phrasebook(schedule.language)
    names = {p.id: p.name for p in schedule.staff}
    kinds = {c.change: say(c.change) for c in changes}
    width = 6 if schedule.language == "zh" else 17  # the longest kind, and a space
    lines = []
    people = sorted({p for c in changes for p in c.people})
    for person in people:
        mine = [c for c in changes if person in c.people]
        who = f"{names.get(person, person)} ({person})"
        lines.append(say("person_changed", person=who, count=len(mine)))
        for c in mine:
            lines.append(
                f"  {kinds[c.change]:<{width}} {_label(c)}{say('reason')}{_dates(c)}"
                + (f" ({c.reason})" if c.reason else "")
            )
    return "\n".join(lines)


def _name(c: Change) -> str:
    """The changed task's name: as it is now, else as it was."""
    return next((t.name for t in (c.new, c.old) if t is not None and t.name), "")


def _label(c: Change) -> str:
    """The changed task as messages name it: its name, then its id."""
    name = _name(c)
    return f"{name} ({c.task})" if name and name != c.task else c.task


def _kind(old: ScheduledTask | None, new: ScheduledTask | None) -> str:
    if old is None:
        return "added"
    if new is None:
        return "cancelled"
    moved = (old.start, old.end) != (new.start, new.end)
    reassigned = old.assignee != new.assignee
    if moved and reassigned:
        return "moved+reassigned"
    return "moved" if moved else "reassigned" if reassigned else ""


def _dates(c: Change) -> str:
    def span(t: ScheduledTask | None) -> str:
        return f"{t.start}..{t.end} {t.assignee}" if t else "-"

    return f"{span(c.old)} -> {span(c.new)}"
