"""The sentences the terminal and the explanations say, in a plan's language (`zh` or `en`).

Each phrase is one `str.format` template per language with the same fields: the facts
(names with their ids, ISO dates, counts) are filled in by the caller, so both languages
carry the same facts. The English templates are the engine's original wording, byte for
byte; the Chinese ones are written for an operations lead (运营主管), with Chinese
punctuation. Joiners (between the clauses of a chain, the items of a list) are phrases
too. `say(language)` gives the phrase book of one language:

    say = phrasebook("zh")
    say("late", task="...", end=..., days=1, due=...)
"""

from __future__ import annotations

import re
from collections.abc import Callable

from scheduler.plan.model import LocalText
from scheduler.words import language_of, status_name

PHRASES: dict[str, LocalText] = {
    # ---- joiners
    "clauses": LocalText("; ", "；"),  # the links of a chain, the people who were taken
    "list": LocalText(", ", "、"),  # dates, leave spans, holiday breaks
    "tasks": LocalText(", ", "，"),  # task names (which may hold 、 themselves)
    "and": LocalText(" and ", "，并且"),  # on leave ... and busy with ...
    "or": LocalText(" or ", " 或 "),  # the people who can do a task
    "reason": LocalText(": ", "："),  # a fact, then why
    # ---- a late task and its chain (scheduler/planning/explain.py)
    "late": LocalText(
        "{task} ends {end}, {days} day(s) after its due {due}",
        "{task} 于 {end} 完成，比截止日 {due} 晚 {days} 天",
    ),
    "finished": LocalText(
        ", before the re-planning day: it is done as it was",
        "，在重新排期日之前：已完成的任务保持原样",
    ),
    "it": LocalText("it", "它"),
    "waits": LocalText(
        "{who} waits for {before}{lag}, which ends {end}{gap}",
        "{who}要等 {before} 完成（{end}）{lag}{gap}",
    ),
    "waits_then_taken": LocalText(
        "{who} waits for {before}{lag}, which ends {end}{gap}, and could start {date}, but {taken}",
        "{who}要等 {before} 完成（{end}）{lag}{gap}，最早可在 {date} 开始，但{taken}",
    ),
    "waits_lag": LocalText(" and {lag} after it", "，之后还要再隔 {lag}"),
    "could_start": LocalText(
        "{who} could start {date}, but {taken}", "{who}最早可在 {date} 开始，但{taken}"
    ),
    "earliest_free": LocalText(
        "even with everybody free, {who} may not start before its earliest date {date}",
        "即使所有人都有空，{who}也不能早于最早日期 {date} 开始",
    ),
    "earliest": LocalText(
        "{who} may not start before its earliest date {date}",
        "{who}不能早于最早日期 {date} 开始",
    ),
    "today": LocalText(
        "{who} may not start before the re-planning day {date}",
        "{who}不能早于重新排期日 {date} 开始",
    ),
    "fixed": LocalText(
        "{who} was already under way or done from {start}",
        "{who}自 {start} 起已在进行或已完成",
    ),
    # what occupied the people who could do it
    "person_taken": LocalText("{person} is {what}", "{person} {what}"),
    "on_leave": LocalText("on leave {spans}", "休假 {spans}"),
    "busy_with": LocalText("busy with {tasks}{more}", "正忙于 {tasks}{more}"),
    "busy_task": LocalText("{task} {span}", "{task}（{span}）"),
    "more_tasks": LocalText(" and {count} more", "，还有另外 {count} 项任务"),
    "nobody_taken": LocalText(
        "nobody who can do it was away or busy {span}{days_off}: ",
        "能做它的人在 {span} 都没有休假，也没有别的任务{days_off}：",
    ),
    "earlier_is_later": LocalText(
        "starting it earlier would make other tasks later", "提前开始它会让别的任务更晚"
    ),
    "not_proven": LocalText(
        "the schedule found is not proven the best (status feasible)",
        "找到的日程未被证明是最优的（状态：可行）",
    ),
    # holidays between two links, or inside a window
    "day_off": LocalText("{span} is {name}", "{span} 是{name}"),
    "days_off_one": LocalText(" ({breaks}, no working day)", "（{breaks}，不上班）"),
    "days_off_many": LocalText(" ({breaks}: no working days)", "（{breaks}，都不上班）"),
    # an activity that cannot be prepared before its live window ends
    "unprepared": LocalText(
        "{activity} cannot be prepared in time: ready {ready}, after its live window "
        "{window} ended (leave this occurrence out, move it, or add people)",
        "{activity} 来不及准备：要到 {ready} 才能准备好，而上线期 {window} 已经结束"
        "（可以不做这一期、改期或加人）",
    ),
    # ---- why no schedule exists (scheduler/planning/adapter.py `describe_term`)
    "release": LocalText(
        "{task} may not start before its earliest date {date}",
        "{task} 不能早于最早日期 {date} 开始",
    ),
    "strict": LocalText(
        "{task} is strict: it must finish by {due}; it needs {days} working day(s) of {who}",
        "{task} 是硬性截止：最晚 {due} 必须完成；它需要 {who} 的 {days} 个工作日",
    ),
    "under_way": LocalText(
        "{task} was under way from {start}: it keeps that start, and its {days} working "
        "day(s) left from the re-planning day on",
        "{task} 自 {start} 起已在进行：保持这个开始日，剩下的 {days} 个工作日从重新排期日起做",
    ),
    "person_on_leave": LocalText("{person} is on leave {spans}", "{person} 休假 {spans}"),
    "starts_after": LocalText(
        "{after} starts after {before} ends{lag}", "{after} 要在 {before} 完成后{lag}才能开始"
    ),
    "starts_after_lag": LocalText(" plus {lag}", "再隔 {lag}"),
    "time_limit": LocalText(
        "no schedule was found within the search effort {effort}, and none was proven "
        "impossible: raise --effort",
        "在搜索量 {effort} 内没有找到日程，也没有证明无解：请提高 --effort",
    ),
    # ---- the terminal (scheduler/terminal.py, scheduler/cli.py)
    "summary": LocalText(
        "{plan}: {tasks} tasks for {activities} activity occurrences, status {status}",
        "{plan}：{activities} 个活动场次，共 {tasks} 项任务，状态：{status}",
    ),
    "seconds": LocalText(" ({seconds} s)", " ({seconds} s)"),
    "late_total": LocalText(
        "Late: {tasks} task(s), {days} day(s) in total", "延误：{tasks} 项任务，共 {days} 天"
    ),
    "all_on_time": LocalText(": every task is on time", "，所有任务都按时完成"),
    "status": LocalText("{plan}: status {status}", "{plan}，状态：{status}"),
    "no_schedule": LocalText("No schedule exists:", "无法排出日程："),
    "no_schedule_for": LocalText(
        "No schedule exists for {plan} (status {status}):",
        "{plan} 无法排出日程（状态：{status}）：",
    ),
    "unprepared_header": LocalText("Cannot be prepared in time:", "来不及准备的活动："),
    "late_header": LocalText("Late tasks:", "延误的任务："),
    "no_fix": LocalText(
        "Fixes: none of the changes tried helps.", "修改建议：试过的修改都没有帮助。"
    ),
    "fixes_header": LocalText(
        "Fixes, each checked by planning the changed plan:",
        "修改建议（每条都已按修改后的计划重新排期验证）：",
    ),
    "fix": LocalText("  - {text}: {result}{proven}", "  - {text}：{result}{proven}"),
    "fix_on_time": LocalText("no task late", "无任务延误"),
    "fix_late": LocalText("{days} late day(s)", "仍延误 {days} 天"),
    "fix_not_proven": LocalText(", not proven the least", "，未证明是最少"),
    "kept_file": LocalText("{file} was left as it was.", "{file} 保持原样。"),
    # ---- holidays (scheduler/workdays/calendar.py)
    "provisional_one": LocalText(
        "the official {code} holiday calendar for {years} is not published yet: planned with "
        "the holidays library's estimate (no make-up working days); re-plan when it is "
        "published",
        "{years} 年的官方节假日安排（{code}）尚未公布：按 holidays 库的估算排期（没有调休上班日）；"
        "公布后请重新排期",
    ),
    "provisional": LocalText(
        "the official {code} holiday calendars for {years} are not published yet: planned "
        "with the holidays library's estimate (no make-up working days); re-plan when they "
        "are published",
        "{years} 年的官方节假日安排（{code}）尚未公布：按 holidays 库的估算排期（没有调休上班日）；"
        "公布后请重新排期",
    ),
    "with_closed": LocalText(
        "{name}, with the plan's closed days {days}", "{name}，{days} 店休 (closed)"
    ),
    # ---- warnings (scheduler/expansion/expand.py, scheduler/api.py)
    "no_occurrence": LocalText(
        "{entry} repeat {rule} has no occurrence from {first} to {last}",
        "{entry} 的 `repeat` {rule} 在 {first}..{last} 内没有任何一期",
    ),
    "outside_plan": LocalText(
        "{entry} starts {start}, outside the plan {first}..{last}: not planned",
        "{entry} 于 {start} 开始，在计划 {first}..{last} 之外：不排期",
    ),
    "no_id": LocalText(
        "{entry} has no `id`: moving its date will re-create its tasks and calendar events "
        "instead of moving them",
        "{entry} 没有 `id`：改它的日期会重新生成它的任务和日历事件，而不是移动它们",
    ),
    "cut_short": LocalText(
        "the wall-clock limit of {limit} s stopped the search before its effort ({effort}) "
        "was spent: this result may differ from run to run; raise --time-limit (or lower "
        "--effort) for one answer",
        "运行时间上限 {limit} 秒在搜索用完工作量（{effort}）之前停止了搜索：结果可能每次不同；"
        "要得到唯一的结果，请提高 --time-limit（或降低 --effort）",
    ),
    "fixes_cut_short": LocalText(
        "the wall-clock limit of {limit} s stopped the search for fixes: raise --time-limit "
        "(or use --no-suggest)",
        "运行时间上限 {limit} 秒停止了修改建议的检查：请提高 --time-limit（或使用 --no-suggest）",
    ),
    # ---- what a re-plan changed, per person (scheduler/export/changes.py)
    "changed": LocalText(
        "Changed against the previous version: {count} task(s)",
        "与上一版相比有变化的任务：{count} 项",
    ),
    "person_changed": LocalText("{person}: {count} changed", "{person}：{count} 项变化"),
    "moved": LocalText("moved", "改期"),
    "reassigned": LocalText("reassigned", "换人"),
    "moved+reassigned": LocalText("moved+reassigned", "改期并换人"),
    "added": LocalText("added", "新增"),
    "cancelled": LocalText("cancelled", "取消"),
    "wrote": LocalText(
        "Wrote {folder}/ (schedule.json, calendar/, schedule.csv/.xlsx, gantt.png/.html, "
        "changes.csv)",
        "已写入 {folder}/（schedule.json、calendar/、schedule.csv/.xlsx、gantt.png/.html、"
        "changes.csv）",
    ),
    # ---- the commands that read a folder's versions (export, diff, restore)
    "exported": LocalText(
        "Wrote the exports of {file} to {folder}/", "已把 {file} 的导出文件写入 {folder}/"
    ),
    "nothing_to_export": LocalText(
        "{file}: no tasks to export (status {status})", "{file}：没有可导出的任务（状态 {status}）"
    ),
    "version_changes": LocalText(
        "Version {first} -> {second}: {count} task(s) changed",
        "版本 {first} → {second}：{count} 项任务有变化",
    ),
    "restored": LocalText(
        "Restored version {number} as version {latest}: {count} task(s) changed",
        "已把版本 {number} 恢复为版本 {latest}：{count} 项任务有变化",
    ),
    # ---- the progress display's figures (scheduler/progress.py)
    "progress_late": LocalText("late {days} day(s)", "延误 {days} 天"),
    "progress_bound": LocalText("bound {bound}", "下界 {bound}"),
    # table headers and notes
    "staff_headers": LocalText("person|id|roles|tasks|person-days", "人员|id|角色|任务数|人天"),
    "staffing_headers": LocalText(
        "role|in plan|fewest|proven|late days then", "角色|现有|最少|已证明|届时延误天数"
    ),
    "staffing_note": LocalText(
        "fewest: full-time people with only this role, no leave, every store; "
        "late days then: what the other roles leave late on their own",
        "最少：只做这个角色、不休假、负责所有店铺的全职人数；届时延误天数：其他角色单独造成的延误",
    ),
}

LAG_UNITS = {"wd": LocalText("wd", " 个工作日"), "d": LocalText("d", " 天")}

# the solver's phases as the progress display names them (scheduler/progress.py)
PHASES: dict[str, LocalText] = {
    "first schedule": LocalText("first schedule", "首个排期"),
    "near part": LocalText("near part", "截止日附近"),
    "bound": LocalText("bound", "计算下界"),
    "neighbourhoods": LocalText("neighbourhoods", "分段改进"),
    "lateness": LocalText("lateness", "减少延误"),
    "least change": LocalText("least change", "最少改动"),
    "tie-break": LocalText("tie-break", "细调"),
    "checking fixes": LocalText("checking fixes", "检验改进建议"),
}


def phase_name(phase: str, language: str) -> str:
    """A solver phase's name in `language` (the phase itself when it has none)."""
    return PHASES[phase].get(language_of(language)) if phase in PHASES else phase


def phrasebook(language: str) -> Callable[..., str]:
    """`say(key, **fields)`: phrase `key` of PHRASES in `language`, its fields filled."""
    chosen = language_of(language)

    def say(key: str, **fields: object) -> str:
        return PHRASES[key].get(chosen).format(**fields)

    return say


def subject(text: str, language: str) -> str:
    """A task named at the head of a Chinese clause (`{who}要等 ...`): a space after it when
    it ends in a Latin letter, digit or bracket, as between Chinese and Latin text; as is in
    English, where the templates have the space."""
    spaced = language_of(language) == "zh" and text[-1:].isascii()
    return f"{text} " if spaced else text


def table_headers(key: str, language: str) -> list[str]:
    """The column headers of a table (phrase `key`, `|`-separated) in `language`."""
    return PHRASES[key].get(language_of(language)).split("|")


def lag_text(lag: str, language: str) -> str:
    """A lag such as `2wd` or `3d` in `language`: as written in English, `2 个工作日` or
    `3 天` in Chinese."""
    found = re.fullmatch(r"(-?\d+)(wd|d)", lag)
    if found is None:
        return lag
    return found.group(1) + LAG_UNITS[found.group(2)].get(language_of(language))


def status_words(status: str, language: str) -> str:
    """A schedule status as the terminal says it: the key in English (`optimal`, as
    before), its name in Chinese (最优)."""
    return status if language_of(language) == "en" else status_name(status, language)
