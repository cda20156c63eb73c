"""Plain-text tables and summaries for the terminal (Chinese text aligned by display width)."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence

from scheduler.expansion.expand import Occurrence
from scheduler.plan.model import Template
from scheduler.schedule import Schedule
from scheduler.versions.history import Version


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A left-aligned text table; CJK characters count as two columns."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def schedule_summary(schedule: Schedule) -> str:
    """What `plan` prints: counts, each person's load, the late tasks and why."""
    solver = schedule.solver
    lines = [
        f"{schedule.plan}: {len(schedule.tasks)} tasks for {len(schedule.activities)} "
        f"activity occurrences, status {schedule.status}"
        + (f" ({solver['seconds']} s)" if "seconds" in solver else ""),
        f"Late: {len(schedule.late_tasks)} task(s), {schedule.late_days} day(s) in total",
        "",
    ]
    days: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for task in schedule.tasks:
        days[task.assignee] += task.working_days * task.load / 100
        count[task.assignee] += 1
    rows = [
        (p.name, p.id, ",".join(p.roles), count[p.id], f"{days[p.id]:.1f}") for p in schedule.staff
    ]
    lines.append(text_table(["person", "id", "roles", "tasks", "person-days"], rows))
    return "\n".join(lines + _late_lines(schedule))


def diagnosis(schedule: Schedule) -> str:
    """What `explain` prints: the status, then why no schedule exists, or which activities
    cannot be prepared in time and why each late task is late."""
    lines = [
        f"{schedule.plan}: status {schedule.status}",
    ]
    if schedule.status not in ("optimal", "feasible"):
        lines += ["", "No schedule exists:"] + [f"  - {i.text}" for i in schedule.explanation]
    else:
        lines.append(
            f"Late: {len(schedule.late_tasks)} task(s), {schedule.late_days} day(s) in total"
            + ("" if schedule.late_tasks else ": every task is on time")
        )
        lines += _late_lines(schedule)
    return "\n".join(lines + suggestion_lines(schedule))


def suggestion_lines(schedule: Schedule) -> list[str]:
    """The checked fixes, each with the late days the changed plan gets."""
    if schedule.suggestions is None:
        return []
    if not schedule.suggestions:
        return ["", "Fixes: none of the changes tried helps."]
    lines = ["", "Fixes, each checked by planning the changed plan:"]
    for fix in schedule.suggestions:
        late = fix["late_days"]
        result = "no task late" if late == 0 else f"{late} late day(s)"
        proven = "" if fix["status"] == "optimal" else ", not proven the least"
        lines.append(f"  - {fix['text']}: {result}{proven}")
    return lines


def _late_lines(schedule: Schedule) -> list[str]:
    """The activities that cannot be prepared in time, then each late task and why."""
    lines = []
    unprepared = [i.text for i in schedule.explanation if i.term.startswith("unprepared[")]
    if unprepared:
        lines += ["", "Cannot be prepared in time:"] + [f"  - {text}" for text in unprepared]
    if schedule.late_tasks:
        lines += ["", "Late tasks:"]
        reasons = {item.term: item.text for item in schedule.explanation}
        for task in schedule.late_tasks:
            lines.append(f"  - {reasons.get(f'late[{task.id}]', task.id)}")
    return lines


def occurrence_table(found: Sequence[Occurrence], language: str) -> str:
    """The promotion calendar: one row per occurrence."""
    rows = [
        (
            o.start,
            o.end,
            (o.end - o.start).days + 1,
            o.id,
            o.template.kind,
            o.title,
        )
        for o in found
    ]
    headers = ["start", "end", "days", "occurrence", "kind", "name"]
    return text_table(headers, rows) + f"\n{len(found)} occurrence(s)"


def template_table(templates: Sequence[Template]) -> str:
    """One row per template: id, kind, live days, steps, names."""
    rows = [
        (t.id, t.kind, t.live_days, len(t.steps), t.name.en, t.name.zh)
        for t in sorted(templates, key=lambda t: t.id)
    ]
    return text_table(["id", "kind", "live days", "steps", "name", "名称"], rows)


def template_steps(template: Template) -> str:
    """A template's steps: role, working days, load, predecessors and dates."""
    rows = [
        (
            s.id,
            s.role,
            s.duration,
            s.load,
            ", ".join(a.text or a.step for a in s.after) or "-",
            s.earliest.text if s.earliest else "-",
            (s.due.text if s.due else "-") + (" (strict)" if s.strict else ""),
            s.name.zh if s.name.zh != s.name.en else s.name.en,
        )
        for s in template.steps
    ]
    head = f"{template.id}: {template.name.en} / {template.name.zh} ({template.kind}, "
    head += f"live {template.live_days} day(s)) from {template.source}"
    table = text_table(["step", "role", "days", "load%", "after", "earliest", "due", "name"], rows)
    return f"{head}\n{table}"


def version_table(versions: Sequence[Version]) -> str:
    """What `history` prints: one row per version of a folder."""
    rows = [
        (
            v.number,
            v.written.replace("+00:00", "Z"),
            v.command
            + (f" {v.restored_from}" if v.restored_from else "")
            + (f" --today {v.today}" if v.today else ""),
            v.plan,
            v.status,
            v.late_days,
            v.tasks,
            v.moved,
            v.reassigned,
            v.added,
            v.cancelled,
        )
        for v in versions
    ]
    headers = ("version", "written (UTC)", "command", "plan", "status", "late days", "tasks",
               "moved", "reassigned", "added", "cancelled")  # fmt: skip
    return text_table(headers, rows)
