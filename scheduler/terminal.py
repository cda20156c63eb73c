"""Plain-text tables and summaries for the terminal (Chinese text aligned by display width)."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import sys
import textwrap
import unicodedata
import warnings
from collections import defaultdict
from collections.abc import Iterator, Sequence

from scheduler.expansion.expand import Occurrence
from scheduler.phrases import phrasebook, status_words, table_headers
from scheduler.plan.model import Template
from scheduler.schedule import Schedule, ScheduledTask
from scheduler.versions.history import Version
from scheduler.words import kind_name, role_label


def plain_warning_lines(lines: Sequence[str]) -> list[str]:
    """The lines `warning: <text>` for `lines`, each text once, in order."""
    return [f"warning: {text}" for text in dict.fromkeys(lines)]


@contextlib.contextmanager
def plain_warnings() -> Iterator[None]:
    """While inside: a Python warning (ours or a library's) is printed to stderr as one line
    `warning: <message>`, without file name or source line, and each message only once."""
    seen: set[tuple[type, str]] = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        text = " ".join(str(message).split())
        if (category, text) not in seen:
            seen.add((category, text))
            print(f"warning: {text}", file=sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def terminal_width() -> int | None:
    """The width in columns that tables must fit: $COLUMNS when set, else the terminal's
    when the output is one; None (no limit) when the output goes to a file or a pipe."""
    if os.environ.get("COLUMNS", "").isdigit() or getattr(sys.stdout, "isatty", bool)():
        return shutil.get_terminal_size((80, 24)).columns
    return None


def text_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    width: int | None = None,
    wrap: Sequence[int] = (),
) -> str:
    """A left-aligned text table; CJK characters count as two columns. With `width`, the
    columns listed in `wrap` (indices) are narrowed, widest first, and their cells wrapped
    onto more lines until the table fits in `width` columns (or they are as narrow as
    their header and MIN_WRAP_COLUMNS allow)."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    if width is not None:
        widths = _fitted(widths, [_width(h) for h in cells[0]], width, wrap)
        if sum(widths) + 2 * (len(widths) - 1) > width:
            return _stacked(cells, width)
    lines = []
    for n, row in enumerate(cells):
        pieces = [_wrapped(c, w) for c, w in zip(row, widths, strict=True)]
        for parts in itertools.zip_longest(*pieces, fillvalue=""):
            lines.append("  ".join(_pad(c, w) for c, w in zip(parts, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


MIN_WRAP_COLUMNS = 8


def _stacked(cells: list[list[str]], width: int) -> str:
    """A table too wide for `width` columns, one block per row: its first cell, then
    `header: value` pairs wrapped and indented."""
    headers, lines = cells[0], []
    for row in cells[1:]:
        lines.append(row[0])
        pairs = " · ".join(f"{h}: {v}" for h, v in zip(headers[1:], row[1:], strict=True))
        lines += ["  " + part for part in _wrapped(pairs, max(10, width - 2))]
    return "\n".join(lines)


def _fitted(widths: list[int], heads: list[int], width: int, wrap: Sequence[int]) -> list[int]:
    widths = list(widths)
    floor = {i: max(heads[i], MIN_WRAP_COLUMNS) for i in wrap}
    while sum(widths) + 2 * (len(widths) - 1) > width:
        shrinkable = [i for i in wrap if widths[i] > floor[i]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: (widths[i], -i))
        widths[widest] -= 1
    return widths


def _wrapped(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` display columns, broken after the last space,
    comma, `@` or `/` that fits, else between characters."""
    lines: list[str] = []
    rest = text
    while _width(rest) > width:
        cut, used = 0, 0
        for index, ch in enumerate(rest):
            used += _width(ch)
            if used > width:
                break
            cut = index + 1
        cut = max(cut, 1)
        space = max(rest.rfind(" ", 0, cut + 1), *(rest.rfind(c, 0, cut) for c in ",@/"))
        if space > 0:
            cut = space + 1
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    lines.append(rest)
    return lines


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def schedule_summary(schedule: Schedule) -> str:
    """What `plan` prints: counts, each person's load, the late tasks and why, in the
    schedule's language (scheduler/phrases.py)."""
    solver = schedule.solver
    say = phrasebook(schedule.language)
    status = status_words(schedule.status, schedule.language)
    counts = {"tasks": len(schedule.tasks), "activities": len(schedule.activities)}
    head = say("summary", plan=schedule.plan, status=status, **counts)
    if "seconds" in solver:
        head += say("seconds", seconds=solver["seconds"])
    lines = [head, say("late_total", tasks=len(schedule.late_tasks), days=schedule.late_days), ""]
    days: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for task in schedule.tasks:
        days[task.assignee] += task.working_days * task.load / 100
        count[task.assignee] += 1
    rows = [
        (p.name, p.id, ", ".join(role_label(r, schedule.roles) for r in p.roles), count[p.id],
         f"{days[p.id]:.1f}")
        for p in schedule.staff
    ]  # fmt: skip
    lines.append(text_table(table_headers("staff_headers", schedule.language), rows))
    return "\n".join(lines + _late_lines(schedule))


def diagnosis(schedule: Schedule) -> str:
    """What `explain` prints: the status, then why no schedule exists, or which activities
    cannot be prepared in time and why each late task is late (in the schedule's
    language)."""
    say = phrasebook(schedule.language)
    status = status_words(schedule.status, schedule.language)
    lines = [say("status", plan=schedule.plan, status=status)]
    if schedule.status not in ("optimal", "feasible"):
        lines += ["", say("no_schedule")] + [f"  - {i.text}" for i in schedule.explanation]
    else:
        lines.append(
            say("late_total", tasks=len(schedule.late_tasks), days=schedule.late_days)
            + ("" if schedule.late_tasks else say("all_on_time"))
        )
        lines += _late_lines(schedule)
    return "\n".join(lines + suggestion_lines(schedule))


def suggestion_lines(schedule: Schedule) -> list[str]:
    """The checked fixes, each with the late days the changed plan gets, in the plan's
    language (both, for a schedule read back from schedule.json)."""
    if schedule.suggestions is None:
        return []
    say = phrasebook(schedule.language)
    if not schedule.suggestions:
        return ["", say("no_fix")]
    lines = ["", say("fixes_header")]
    words = schedule.fix_words or [fix["text"] for fix in schedule.suggestions]
    for fix, text in zip(schedule.suggestions, words, strict=True):
        late = fix["late_days"]
        result = say("fix_on_time") if late == 0 else say("fix_late", days=late)
        proven = "" if fix["status"] == "optimal" else say("fix_not_proven")
        lines.append(say("fix", text=text, result=result, proven=proven))
    return lines


def task_label(task: ScheduledTask) -> str:
    """A task as messages name it: its name, then its id."""
    return f"{task.name} ({task.id})" if task.name and task.name != task.id else task.id


def _late_lines(schedule: Schedule) -> list[str]:
    """The activities that cannot be prepared in time, then each late task and why."""
    say = phrasebook(schedule.language)
    lines = []
    unprepared = [i.text for i in schedule.explanation if i.term.startswith("unprepared[")]
    if unprepared:
        lines += ["", say("unprepared_header")] + [f"  - {text}" for text in unprepared]
    if schedule.late_tasks:
        lines += ["", say("late_header")]
        reasons = {item.term: item.text for item in schedule.explanation}
        for task in schedule.late_tasks:
            lines.append(f"  - {reasons.get(f'late[{task.id}]', task_label(task))}")
    return lines


def occurrence_table(found: Sequence[Occurrence], language: str) -> str:
    """The promotion calendar: one row per occurrence, its kind in `language`."""
    weekdays = WEEKDAYS_ZH if language.startswith("zh") else WEEKDAYS_EN
    rows = [
        (
            o.start,
            weekdays[o.start.weekday()],
            o.end,
            (o.end - o.start).days + 1,
            o.id,
            kind_name(o.template.kind, language),
            o.title,
        )
        for o in found
    ]
    headers = ["start", "weekday", "end", "days", "occurrence", "kind", "name"]
    table = text_table(headers, rows, terminal_width(), wrap=(4, 6))
    return table + f"\n{len(found)} occurrence(s)"


WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def template_table(templates: Sequence[Template]) -> str:
    """One row per template: id, kind, live days, steps, names."""
    rows = [
        (t.id, t.kind, t.live_days, len(t.steps), t.name.en, t.name.zh)
        for t in sorted(templates, key=lambda t: t.id)
    ]
    headers = ["id", "kind", "live days", "steps", "name", "名称"]
    return text_table(headers, rows, terminal_width(), wrap=(4, 5))


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
    width = terminal_width()
    headers = ["step", "role", "days", "load%", "after", "earliest", "due", "name"]
    table = text_table(headers, rows, width, wrap=(4, 5, 6, 7))
    if width is not None:
        head = "\n".join(textwrap.wrap(head, width, break_on_hyphens=False)) or head
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
