"""gantt.html: the Gantt chart as one self-contained page, one row per task.

Tasks are grouped under a row per activity occurrence, in time order, as in gantt.png's
one-row-per-task chart (whatever the number of tasks: the browser scrolls and zooms). The page
needs no network: inline CSS and a little vanilla JS (zoom buttons and a person filter);
without JS it still shows the chart at its default zoom.

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

LABEL_PX = 300
ZOOMS = (("year", 3), ("month", 20), ("week", 40))
COMPACT_BELOW_PX = 18
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
    summary = (
        f"{text['status']}: {schedule.status} · {text['count']}: {len(schedule.tasks)} · "
        f"{text['late']}: {late} ({text['late_days']}: {schedule.late_days})"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(schedule.plan)} · Gantt</title>\n<style>{CSS}</style>\n</head>\n"
        f'<body data-ready="0">\n<header><h1>{_e(schedule.plan)}</h1>'
        f'<p class="summary">{_e(summary)} '
        f'<span id="shown" data-label="{_e(text["shown"])}"></span></p>\n'
        f"{_html_controls(schedule, span)}{_html_legend(schedule)}</header>\n"
        f"{body}\n<script>{JS}</script>\n</body>\n</html>\n"
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
        f'<button type="button" data-day="{px}">{_e(text[name])}</button>' for name, px in zooms
    )
    names = person_names(schedule)
    options = "".join(
        f'<option value="{_e(pid)}">{_e(names.get(pid, pid))}</option>'
        for pid in person_colours(schedule)
        if any(t.assignee == pid for t in schedule.tasks)
    )
    return (
        f'<div class="controls"><span>{_e(text["zoom"])}:</span> {buttons} '
        f'<label>{_e(text["person"])}: <select id="person"><option value="">'
        f"{_e(text['everyone'])}</option>{options}</select></label></div>\n"
    )


def _html_legend(schedule: Schedule) -> str:
    text = words(schedule)
    names = person_names(schedule)
    chips = [
        f'<span class="chip" data-person="{_e(pid)}" style="background:{colour}">'
        f"{_e(names.get(pid, pid))}</span>"
        for pid, colour in person_colours(schedule).items()
        if any(t.assignee == pid for t in schedule.tasks)
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
    data_today = "" if today_index is None else f' data-today="{today_index}"'
    return (
        f'<div id="gantt" class="gantt{compact}" style="--day:{day_px}px;--days:{len(days)};'
        f'--label:{LABEL_PX}px" data-compact="{COMPACT_BELOW_PX}"{data_today}>\n'
        f"{_html_head(schedule, days, off)}"
        f'<div class="body">\n{_html_grid(schedule, days, off, today_index)}'
        f"{_html_groups(schedule, span[0])}</div>\n</div>"
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
    day_html = "".join(
        f'<span class="d{" off" if day in off else ""}" style="--s:{i}" '
        f'title="{day.isoformat()}">{day.day}</span>'
        for i, day in enumerate(days)
    )
    return (
        f'<div class="head"><div class="label corner">{_e(words(schedule)["tasks"])}</div>'
        f'<div class="track"><div class="months">{month_html}</div>'
        f'<div class="days">{day_html}</div></div></div>\n'
    )


def _html_grid(schedule: Schedule, days: list[date], off: OffDays, today: int | None) -> str:
    marks = [f'<i class="off" style="--s:{i}"></i>' for i, d in enumerate(days) if d in off]
    marks += [f'<i class="month" style="--s:{i}"></i>' for i, d in enumerate(days) if d.day == 1]
    if today is not None:
        title = f"{words(schedule)['today']} {days[today].isoformat()}"
        marks.append(f'<i class="today" style="--s:{today}" title="{_e(title)}"></i>')
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
    window = _window_html(row.window, first_day, "win", words(schedule)["window"])
    return (
        f'<div class="row task{late}" data-person="{_e(task.assignee)}" data-task="{_e(task.id)}">'
        f'<div class="label" title="{tip}"><span class="dot" style="background:{colour}"></span>'
        f"{_e(task.name)} <small>{person}</small></div>"
        f'<div class="track">{window}'
        f'{bars}{due}<span class="name" style="--s:{after}">{name}</span></div></div>\n'
    )


def _tooltip(schedule: Schedule, task: ScheduledTask, names: dict[str, str]) -> str:
    text = words(schedule)
    lines = [
        task.name,
        f"{text['person']}: {names.get(task.assignee, task.assignee)}",
        f"{task.start.isoformat()} – {task.end.isoformat()} "
        f"({task.working_days or len(worked_days(task))} {text['working_days']})",
    ]
    if task.due is not None:
        lines.append(f"{text['due']}: {task.due.isoformat()}")
    if task.late_days > 0:
        lines.append(f"{text['late_days']}: {task.late_days}")
    return "\n".join(lines)


CSS = """
*{box-sizing:border-box}
body{margin:0;font:13px/1.35 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",
"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",sans-serif;color:#212529}
header{padding:8px 12px;border-bottom:1px solid #dee2e6}
h1{font-size:18px;margin:0 0 4px}
.summary{margin:0 0 6px;color:#495057}
.controls{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin-bottom:6px}
.controls button{font:inherit;padding:2px 10px;border:1px solid #adb5bd;background:#f8f9fa;
border-radius:4px;cursor:pointer}
.controls button.on{background:#343a40;color:#fff}
.legend{display:flex;gap:6px;flex-wrap:wrap}
.chip{padding:1px 8px;border-radius:10px;border:1px solid #868e96;cursor:pointer}
.chip-late{background:#e03131;color:#fff;cursor:default}
.chip-win{background:#fff3bf;border-color:#f59f00;cursor:default}
.gantt{overflow:auto;max-height:calc(100vh - 120px);position:relative}
.head,.row{display:flex;width:calc(var(--label) + var(--days) * var(--day))}
.head{position:sticky;top:0;z-index:4;background:#fff;border-bottom:1px solid #adb5bd}
.label{position:sticky;left:0;z-index:3;flex:none;width:var(--label);background:#fff;
padding:0 6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;
border-right:1px solid #adb5bd}
.track{position:relative;flex:none;width:calc(var(--days) * var(--day));z-index:1}
.head .track{height:38px}
.months,.days{position:absolute;left:0;right:0;height:19px}
.days{top:19px}
.m{position:absolute;left:calc(var(--s) * var(--day));width:calc(var(--n) * var(--day));
border-left:1px solid #868e96;padding-left:3px;font-weight:600;white-space:nowrap;overflow:hidden}
.d{position:absolute;left:calc(var(--s) * var(--day));width:var(--day);text-align:center;
font-size:11px;color:#495057}
.d.off{background:#e9ecef}
.compact .d{color:transparent}
.corner{display:flex;align-items:end;font-weight:600;padding-bottom:3px}
.body{position:relative}
.grid{position:absolute;top:0;bottom:0;left:var(--label);width:calc(var(--days) * var(--day));
pointer-events:none}
.grid i{position:absolute;top:0;bottom:0;left:calc(var(--s) * var(--day))}
.grid .off{width:var(--day);background:rgba(134,142,150,.16)}
.grid .month{border-left:1px solid #ced4da}
.grid .today{border-left:2px dashed #c92a2a;z-index:2}
.row{height:24px;border-bottom:1px solid #f1f3f5}
.row .label{line-height:23px}
.row.act{height:26px;background:rgba(222,226,230,.55)}
.row.act .label{font-weight:700;background:#e9ecef;line-height:25px}
.row.late .label{color:#c92a2a;font-weight:600}
.label small{color:#868e96}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:5px}
.win,.golive{position:absolute;top:0;bottom:0;left:calc(var(--s) * var(--day));
width:calc(var(--n) * var(--day));background:rgba(255,236,153,.55)}
.golive{top:5px;bottom:5px;background:#f59f00;border-radius:3px}
.bar{position:absolute;top:4px;height:16px;left:calc(var(--s) * var(--day));
width:max(calc(var(--n) * var(--day)),2px);border:1px solid rgba(0,0,0,.35);border-radius:3px}
.bar.over{border-color:#a51111}
.due{position:absolute;top:2px;height:20px;left:calc(var(--s) * var(--day) - 1px);width:2px;
background:#212529}
.name{position:absolute;left:calc(var(--s) * var(--day) + 5px);top:4px;line-height:16px;
white-space:nowrap;pointer-events:none;font-size:12px;background:rgba(255,255,255,.75);
padding:0 2px;border-radius:2px}
.row.late .name{color:#a51111;font-weight:600}
.row[hidden],section[hidden]{display:none}
"""

JS = """
(function () {
  var gantt = document.getElementById("gantt");
  var select = document.getElementById("person");
  var shown = document.getElementById("shown");
  function zoom(px) {
    if (!gantt) return;
    gantt.style.setProperty("--day", px + "px");
    gantt.classList.toggle("compact", px < Number(gantt.dataset.compact));
    document.querySelectorAll("button[data-day]").forEach(function (b) {
      b.classList.toggle("on", Number(b.dataset.day) === px);
    });
  }
  function filter() {
    var who = select ? select.value : "";
    var count = 0;
    document.querySelectorAll("section.activity").forEach(function (section) {
      var any = false;
      section.querySelectorAll(".row.task").forEach(function (row) {
        var hide = who !== "" && row.dataset.person !== who;
        row.hidden = hide;
        if (!hide) { any = true; count += 1; }
      });
      section.hidden = !any;
    });
    if (shown) shown.textContent = "· " + shown.dataset.label + ": " + count;
  }
  document.querySelectorAll("button[data-day]").forEach(function (b) {
    b.addEventListener("click", function () { zoom(Number(b.dataset.day)); });
  });
  document.querySelectorAll(".chip[data-person]").forEach(function (chip) {
    chip.addEventListener("click", function () {
      if (!select) return;
      select.value = select.value === chip.dataset.person ? "" : chip.dataset.person;
      filter();
    });
  });
  if (select) select.addEventListener("change", filter);
  filter();
  if (gantt && gantt.dataset.today) {
    var px = parseFloat(getComputedStyle(gantt).getPropertyValue("--day")) || 6;
    var label = parseFloat(getComputedStyle(gantt).getPropertyValue("--label")) || 0;
    var x = Number(gantt.dataset.today) * px;
    var view = gantt.clientWidth - label;
    if (x > view - 100) gantt.scrollLeft = x - view / 4;
  }
  document.body.dataset.ready = "1";
})();
"""
