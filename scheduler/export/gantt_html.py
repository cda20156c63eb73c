"""gantt.html: the Gantt chart as one self-contained page, by activity or by person.

The activity view has one row per task, grouped under a row per activity occurrence, in time
order, as in gantt.png's one-row-per-task chart (whatever the number of tasks: the browser
scrolls and zooms); the person view one lane per person with their tasks on it
(`gantt_html_lanes`). The page needs no network: inline CSS and a little vanilla JS
(`gantt_html_assets`: fit to the window, zoom, "this week", the view toggle, a person filter,
today from the viewer's clock or the URL fragment, print layout); without JS it still shows the
activity view at its default zoom, with the export's `today` line if one was given.

Colours: each person has one colour (legend at the top); the days of a task after its due date
are red and a late task's label is red; the live window of an activity is pale yellow across
its rows, with a gold bar in the activity's own row; non-working days are light grey (days not
in `working_days`, or weekends when that is empty); an optional `today` is a red line.

Every text from the schedule is HTML-escaped (`_e`, also inside attributes), without control
characters or lone surrogates: the page has its one script element and no event handler
whatever the names hold.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from scheduler.export.cells import encodable
from scheduler.export.gantt_common import Row, chart_rows, split_at_due, words
from scheduler.export.gantt_html_assets import CSS, JS
from scheduler.export.gantt_html_lanes import lanes_html
from scheduler.export.tables import (
    LATE_COLOUR,
    OffDays,
    day_range,
    day_span,
    is_chinese,
    off_days,
    person_colours,
    person_names,
    worked_days,
)
from scheduler.schedule import ActivityWindow, Schedule, ScheduledTask
from scheduler.versions.atomic import write_text
from scheduler.words import role_label, status_name

ZOOMS = (("year", 3), ("month", 20), ("week", 40))
COMPACT_BELOW_PX = 18
WIDE_FROM_PX = 36  # from this many pixels a day, its column says the weekday
LONG_FROM_PX = 80  # ... and from this many, the month too
WEEKDAYS_EN = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
WEEKDAYS_ZH = ("一", "二", "三", "四", "五", "六", "日")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not in an HTML text


def write_html(
    schedule: Schedule,
    path: str | Path,
    *,
    today: date | None = None,
    working_days: Sequence[date] = (),
) -> None:
    """Write `gantt.html`: one self-contained page (no network) with the Gantt chart."""
    write_text(path, gantt_html(schedule, today=today, working_days=working_days))


def gantt_html(
    schedule: Schedule, *, today: date | None = None, working_days: Sequence[date] = ()
) -> str:
    """The text of gantt.html."""
    text = words(schedule)
    span = day_span(schedule)
    body = (
        _html_chart(schedule, span, today, off_days(schedule, working_days))
        if span
        else (f"<p>{_e(text['no_tasks'])}</p>")
    )
    lang = "zh-CN" if is_chinese(schedule.language) else "en"
    late = sum(1 for t in schedule.tasks if t.late_days > 0)
    status = status_name(schedule.status, schedule.language)
    summary = (
        f"{text['status']}: {status} · {text['count']}: {len(schedule.tasks)} · "
        f"{text['late']}: {late} ({text['late_days']}: {schedule.late_days})"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(schedule.plan)} · Gantt</title>\n<style>{CSS}</style>\n</head>\n"
        f'<body data-ready="0">\n<header><h1>{_e(schedule.plan)}</h1>'
        f'<p class="summary">{_e(summary)} '
        f'<span id="shown" data-label="{_e(text["shown"])}"></span> '
        f'<span id="today-note" data-today="{_e(text["today"])}" '
        f'data-week="{_e(text["this_week"])}" data-tasks="{_e(text["count"])}" '
        f'data-outside="{_e(text["outside"])}"></span></p>\n'
        f"{_html_controls(schedule, span)}{_html_legend(schedule)}</header>\n"
        f'{body}\n<section id="week-list" hidden><h2>{_e(text["this_week"])}</h2><ol></ol>'
        f"</section>\n<script>{JS}</script>\n</body>\n</html>\n"
    )


def _e(text: object) -> str:
    """Text for the page: HTML-escaped, without control characters or lone surrogates."""
    return html.escape(_CONTROL.sub("", encodable(str(text))), quote=True)


def _default_day_px(span: tuple[date, date] | None) -> int:
    if span is None:
        return ZOOMS[1][1]
    days = (span[1] - span[0]).days + 1
    return max(3, min(40, 1300 // days))


def _html_controls(schedule: Schedule, span: tuple[date, date] | None) -> str:
    text = words(schedule)
    zooms = (*ZOOMS, ("fit", _default_day_px(span)))
    buttons = "".join(
        f'<button type="button" data-zoom="{name}" data-day="{px}">{_e(text[name])}</button>'
        for name, px in zooms
    )
    buttons += f'<button type="button" data-zoom="thisweek">{_e(text["this_week"])}</button>'
    views = "".join(
        f'<button type="button" data-view="{view}">{_e(text[f"view_{view}"])}</button>'
        for view in ("activities", "people")
    )
    names = person_names(schedule)
    assignees = {t.assignee for t in schedule.tasks}
    options = "".join(
        f'<option value="{_e(pid)}">{_e(names.get(pid, pid))}</option>'
        for pid in person_colours(schedule)
        if pid in assignees
    )
    return (
        f'<div class="controls"><span>{_e(text["zoom"])}:</span> {buttons}'
        f'<span class="sep"></span><span>{_e(text["view"])}:</span> {views}'
        f'<span class="sep"></span>'
        f'<label>{_e(text["person"])}: <select id="person"><option value="">'
        f"{_e(text['everyone'])}</option>{options}</select></label></div>\n"
    )


def _html_legend(schedule: Schedule) -> str:
    text = words(schedule)
    names = person_names(schedule)
    assignees = {t.assignee for t in schedule.tasks}
    chips = [
        f'<span class="chip" data-person="{_e(pid)}" style="background:{colour}">'
        f"{_e(names.get(pid, pid))}</span>"
        for pid, colour in person_colours(schedule).items()
        if pid in assignees
    ]
    chips.append(f'<span class="chip chip-late">{_e(text["late"])}</span>')
    chips.append(f'<span class="chip chip-win">{_e(text["window"])}</span>')
    return f'<div class="legend">{"".join(chips)}</div>\n'


def _html_chart(
    schedule: Schedule, span: tuple[date, date], today: date | None, off: OffDays
) -> str:
    days = day_range(*span)
    day_px = _default_day_px(span)
    compact = " compact" if day_px < COMPACT_BELOW_PX else ""
    today_index = (today - span[0]).days if today and span[0] <= today <= span[1] else None
    names = person_names(schedule)
    tips = {t.id: _tooltip(schedule, t, names) for t in schedule.tasks}
    data_today = "" if today_index is None else f' data-today="{today_index}"'
    return (
        f'<div id="gantt" class="gantt{compact}" style="--day:{day_px}px;--days:{len(days)}" '
        f'data-compact="{COMPACT_BELOW_PX}" data-wide="{WIDE_FROM_PX}" data-long="{LONG_FROM_PX}" '
        f'data-first="{span[0].isoformat()}" '
        f'data-days="{len(days)}"{data_today}>\n'
        f"{_html_head(schedule, days, off)}"
        f'<div class="bodies">\n{_html_grid(schedule, days, off, today_index)}'
        f'<div class="body" id="by-activity">\n{_html_groups(schedule, span[0])}</div>\n'
        f'<div class="body" id="by-person" hidden>\n'
        f"{lanes_html(schedule, span[0], _e, lambda t: tips[t.id])}</div>\n</div>\n</div>"
    )


def _html_head(schedule: Schedule, days: list[date], off: OffDays) -> str:
    months: list[tuple[int, int, date]] = []
    for index, day in enumerate(days):
        if not months or day.day == 1:
            months.append((index, 0, day))
        start, count, first = months[-1]
        months[-1] = (start, count + 1, first)
    month_html = "".join(
        f'<span class="m" style="--s:{s};--n:{n}">{first:%Y-%m}</span>' for s, n, first in months
    )
    text = words(schedule)
    weekdays = WEEKDAYS_ZH if is_chinese(schedule.language) else WEEKDAYS_EN
    day_html = "".join(
        f'<span class="d{" off" if day in off else ""}" style="--s:{i}" data-i="{i}" '
        f'data-w="{weekdays[day.weekday()]} {day.day}" '
        f'data-wl="{weekdays[day.weekday()]} {day.month}/{day.day}" '
        f'title="{day.isoformat()}">{day.day}</span>'
        for i, day in enumerate(days)
    )
    return (
        f'<div class="head"><div class="label corner" data-people="{_e(text["people"])}">'
        f"{_e(text['tasks'])}</div>"
        f'<div class="track"><div class="months">{month_html}</div>'
        f'<div class="days">{day_html}</div></div></div>\n'
    )


def _html_grid(schedule: Schedule, days: list[date], off: OffDays, today: int | None) -> str:
    marks = [f'<i class="off" style="--s:{i}"></i>' for i, d in enumerate(days) if d in off]
    marks += [f'<i class="month" style="--s:{i}"></i>' for i, d in enumerate(days) if d.day == 1]
    marks.append('<i class="week" id="week-band" hidden></i>')
    if today is None:
        marks.append('<i class="today" id="today-line" hidden></i>')
    else:  # the export's today, until the script puts the viewer's own
        title = f"{words(schedule)['today']} {days[today].isoformat()}"
        marks.append(
            f'<i class="today" id="today-line" style="--s:{today}" title="{_e(title)}"></i>'
        )
    return f'<div class="grid">{"".join(marks)}</div>\n'


def _html_groups(schedule: Schedule, first_day: date) -> str:
    colours = person_colours(schedule)
    names = person_names(schedule)
    parts: list[str] = []
    for row in chart_rows(schedule):
        if row.task is None:
            if parts:
                parts.append("</section>\n")
            parts.append(f'<section class="activity" data-activity="{_e(row.activity)}">\n')
            parts.append(_html_activity_row(row, first_day))
        else:
            parts.append(_html_task_row(schedule, row, first_day, colours, names))
    if parts:
        parts.append("</section>\n")
    return "".join(parts)


def _window_html(window: ActivityWindow | None, first_day: date, css: str, title: str) -> str:
    if window is None:
        return ""
    start = (window.start - first_day).days
    count = (window.end - window.start).days + 1
    tip = f"{title}: {window.start.isoformat()} – {window.end.isoformat()}"
    return f'<div class="{css}" style="--s:{start};--n:{count}" title="{_e(tip)}"></div>'


def _html_activity_row(row: Row, first_day: date) -> str:
    title = row.window.name if row.window else row.activity
    return (
        f'<div class="row act"><div class="label" title="{_e(row.activity)}">{_e(row.label)}'
        f'</div><div class="track">{_window_html(row.window, first_day, "golive", title)}'
        "</div></div>\n"
    )


def _html_task_row(
    schedule: Schedule, row: Row, first_day: date, colours: dict[str, str], names: dict[str, str]
) -> str:
    task = row.task
    assert task is not None
    tip = _e(_tooltip(schedule, task, names))
    person = _e(names.get(task.assignee, task.assignee))
    colour = colours[task.assignee]
    late = " late" if task.late_days > 0 else ""
    bars = "".join(
        f'<div class="bar{" over" if over else ""}" style="--s:{(s - first_day).days};'
        f'--n:{(e - s).days + 1};background:{LATE_COLOUR if over else colour}" title="{tip}">'
        "</div>"
        for s, e, over in split_at_due(task)
    )
    due = (
        f'<i class="due" style="--s:{(task.due - first_day).days + 1}" '
        f'title="{_e(words(schedule)["due"])}: {task.due.isoformat()}"></i>'
        if task.due is not None and task.due >= first_day
        else ""
    )
    name = f"{_e(task.name)} · {person}" + (
        f" ({_e(words(schedule)['late_note'].format(n=task.late_days))})" if late else ""
    )
    after = (task.end - first_day).days + 1
    # the name starts after the bar and after the due tick, which never strikes through it
    name_at = max(after, (task.due - first_day).days + 1 if task.due is not None else after)
    window = _window_html(row.window, first_day, "win", words(schedule)["window"])
    return (
        f'<div class="row task{late}" data-person="{_e(task.assignee)}" data-task="{_e(task.id)}" '
        f'data-from="{(task.start - first_day).days}" data-to="{after - 1}">'
        f'<div class="label" title="{tip}"><span class="dot" style="background:{colour}"></span>'
        f"{_e(task.name)} <small>{person}</small></div>"
        f'<div class="track">{window}'
        f'{bars}{due}<span class="name" style="--s:{name_at}">{name}</span></div></div>\n'
    )


def _tooltip(schedule: Schedule, task: ScheduledTask, names: dict[str, str]) -> str:
    text = words(schedule)
    lines = [
        task.name,
        f"{text['person']}: {names.get(task.assignee, task.assignee)}",
        f"{task.start.isoformat()} – {task.end.isoformat()} "
        f"({task.working_days or len(worked_days(task))} {text['working_days']})",
        f"{text['role']}: {role_label(task.role, schedule.roles)}",
    ]
    if task.due is not None:
        lines.append(f"{text['due']}: {task.due.isoformat()}")
    if task.late_days > 0:
        lines.append(f"{text['late_days']}: {task.late_days}")
    return "\n".join(lines)
