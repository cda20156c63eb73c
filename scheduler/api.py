"""The library API: load a plan, schedule it, write the output folder.

    from scheduler import api
    plan = api.load_plan("examples/quickstart.yaml")
    schedule = api.make_schedule(plan)
    api.write_outputs(schedule, "out")

The CLI is a thin layer over these functions.
"""

from __future__ import annotations

import json
import os
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from time import monotonic

from scheduler import core
from scheduler.errors import BadInput
from scheduler.executors import IN_PROCESS, Executor
from scheduler.expansion.expand import Occurrence, occurrences
from scheduler.export.changes import Change, task_changes, write_changes_csv
from scheduler.export.ics import calendar_states
from scheduler.export.options import ExportOptions
from scheduler.phrases import phrasebook
from scheduler.plan.loading import load_plan
from scheduler.plan.model import Plan
from scheduler.plan.workbook_cells import is_workbook
from scheduler.planning.adapter import Compiled, compile_plan, to_schedule
from scheduler.planning.baseline import Baseline
from scheduler.planning.explain import explain_lateness
from scheduler.planning.headcount import RoleNeed, role_need, role_task_count
from scheduler.planning.subsolve import Outcome
from scheduler.planning.suggest import suggest_fixes
from scheduler.progress import Progress
from scheduler.schedule import ExplanationItem, Schedule
from scheduler.versions import history
from scheduler.versions.atomic import write_text
from scheduler.versions.folder import write_version
from scheduler.versions.history import Run

__all__ = [
    "ExportOptions",
    "activity_calendar",
    "load_plan",
    "make_schedule",
    "previous_version",
    "restore",
    "role_needs",
    "run_of",
    "version_changes",
    "version_schedule",
    "versions",
    "write_infeasible",
    "write_outputs",
]

DEFAULT_EFFORT = core.DEFAULT_EFFORT
DEFAULT_TIME_LIMIT = 600.0
DEFAULT_WORKERS = 2
# What writing the exports costs, kept out of the search's share of a time limit: a
# generous reading of BENCHMARKS.md (about 4 s at 700 tasks, 30 s at 7,000, 160 s at 35,000)
EXPORT_SECONDS = 3.0
EXPORT_SECONDS_PER_TASK = 0.005


def export_reserve(tasks: int) -> float:
    """The seconds of a run's time limit kept for writing the exports of `tasks` tasks."""
    return EXPORT_SECONDS + EXPORT_SECONDS_PER_TASK * tasks


def make_schedule(
    plan: Plan,
    *,
    effort: float = DEFAULT_EFFORT,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int = DEFAULT_WORKERS,
    baseline: Baseline | None = None,
    suggest: bool = False,
    executor: Executor = IN_PROCESS,
    progress: Progress | None = None,
    reserve: Callable[[int], float] | None = None,
    started: float | None = None,
    lateness_only: bool = False,
) -> Schedule:
    """The best schedule of `plan` found within `effort` units of deterministic search work
    (status says how good). The same plan, effort and workers give the same schedule on any
    machine; `time_limit` seconds (expansion and search) is a safety net, and a run it cuts
    short warns so. `started` (a `time.monotonic()` reading, default now) is when the limit
    began to count, and `reserve(tasks)` the seconds of it kept for what the caller does
    after (e.g. `export_reserve`, for writing the exports): the whole run stays within it.
    `lateness_only`: the same status and late days, without the tie-breaks and the
    explanations (for a check that reads only those).

    `baseline`: the previous version; among the least-late schedules the one that moves or
    reassigns the fewest of its tasks is chosen, and with its `today` the tasks finished
    before it are kept and those under way keep their start (FORMAT.md section 5).

    `suggest`: when tasks are late or no schedule exists, look for fixes and check each by
    planning the changed plan with the same options (`schedule.suggestions`).

    `executor`: where the independent sub-solves (neighbourhoods, the checks of fixes) run
    (scheduler/executors.py); the schedule is the same whichever runs them.

    `progress(phase, late, bound)` is told each phase of the search as it begins
    (`scheduler.progress`); it never changes the result."""
    began = monotonic() if started is None else started
    compiled = compile_plan(plan, baseline)
    kept = reserve(len(compiled.problem.tasks)) if reserve is not None else 0.0
    left = max(0.1, time_limit - kept - (monotonic() - began))  # the expansion counts too
    result = core.solve(
        compiled.problem,
        effort=effort,
        time_limit=left,
        workers=workers,
        progress=progress,
        executor=executor,
        explain=not lateness_only,
        lateness_only=lateness_only,
    )
    schedule = to_schedule(compiled, result)
    if lateness_only:
        return schedule
    if result.cut_short:
        schedule.warnings.append(
            phrasebook(plan.language)("cut_short", limit=f"{time_limit:g}", effort=f"{effort:g}")
        )
    if result.status == core.UNKNOWN:
        schedule.explanation.append(
            ExplanationItem(
                "time_limit", phrasebook(plan.language)("time_limit", effort=f"{effort:g}")
            )
        )
    schedule.explanation.extend(explain_lateness(compiled, schedule))
    if suggest and (schedule.late_tasks or schedule.status == core.INFEASIBLE):
        left = time_limit - kept - (monotonic() - began)
        options = SolveOptions(effort, time_limit, workers, baseline, clock.time() + left)
        if progress is not None:
            progress("checking fixes", result.objectives.get("late"), result.bounds.get("late"))
        try:
            fixes = suggest_fixes(plan, compiled, schedule, partial(solve_outcome, options),
                                  executor)  # fmt: skip
        except TimeoutError:
            fixes = []
            schedule.warnings.append(
                phrasebook(plan.language)("fixes_cut_short", limit=f"{time_limit:g}")
            )
        schedule.suggestions = [fix.to_json() for fix in fixes]
        schedule.fix_words = [fix.words.get(plan.language) for fix in fixes]
    schedule.working_days = _working_days_around(compiled, schedule)
    schedule.generated = _now()
    return schedule


@dataclass(frozen=True)
class SolveOptions:
    """How a sub-solve plans a changed plan: the command's search options, its baseline,
    and the wall-clock deadline (seconds since the epoch; None: `time_limit` alone)."""

    effort: float = DEFAULT_EFFORT
    time_limit: float = DEFAULT_TIME_LIMIT
    workers: int = DEFAULT_WORKERS
    baseline: Baseline | None = None
    deadline: float | None = None


def solve_outcome(options: SolveOptions, plan: Plan) -> Outcome:
    """What `make_schedule` gives a changed plan with `options`: its status and late days,
    `cut_short` when the deadline or time limit stopped it (a sub-solve that an executor may
    run on another machine)."""
    limit = options.time_limit
    if options.deadline is not None:
        limit = min(limit, options.deadline - clock.time())
    if limit <= 0:
        return Outcome(core.UNKNOWN, 0, cut_short=True)
    found = make_schedule(plan, effort=options.effort, time_limit=limit, workers=options.workers,
                          baseline=options.baseline, lateness_only=True)  # fmt: skip
    return Outcome(found.status, found.late_days, bool(found.solver.get("cut_short")))


def role_needs(
    plan: Plan,
    roles: list[str] | tuple[str, ...],
    *,
    effort: float = DEFAULT_EFFORT,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int = DEFAULT_WORKERS,
    executor: Executor = IN_PROCESS,
) -> list[RoleNeed]:
    """The fewest full-time people of each of `roles` that some task needs (in the order
    given), each probe planned with these options through `executor` (the answer is the
    same whichever runs them)."""
    probe = partial(solve_outcome, SolveOptions(effort, time_limit, workers))
    return [role_need(plan, role, probe, executor) for role in roles if role_task_count(plan, role)]


def previous_version(out_dir: str | Path, plan: Plan, required: bool = False) -> Schedule | None:
    """The schedule last written to `out_dir` for this plan (None when there is none, or it
    is another plan's). With `required`, a missing or unreadable one is bad input."""
    path = Path(out_dir) / "schedule.json"
    if not path.is_file():
        if required:
            raise BadInput.single(
                str(path),
                "",
                "",
                "no schedule to re-plan from",
                "run `plan` into this folder first",
            )
        return None
    try:
        previous = Schedule.read(path)
    except (ValueError, KeyError, TypeError) as error:
        if not required:
            return None
        raise BadInput.single(
            str(path), "", "", f"not a readable schedule ({error})", "a schedule.json of `plan`"
        ) from None
    if previous.plan != plan.name or not previous.tasks:
        if required:
            raise BadInput.single(
                str(path), "plan", previous.plan,
                "no schedule of this plan", f"a schedule of {plan.name!r}",
            )  # fmt: skip
        return None
    return previous


def leave_ranges(plan: Plan) -> dict[str, list[tuple[date, date]]]:
    """Each staff member's leave in `plan`, as (first, last) dates."""
    return {p.id: [(lv.start, lv.end) for lv in p.leave] for p in plan.staff}


def activity_calendar(plan: Plan, warnings: list[str] | None = None) -> list[Occurrence]:
    """The plan's activity occurrences, in date order, without scheduling anything."""
    return occurrences(plan, warnings)


def write_outputs(
    schedule: Schedule,
    out_dir: str | Path,
    options: ExportOptions | None = None,
    changes: list[Change] | None = None,
    run: Run | None = None,
    executor: Executor | None = None,
) -> list[Path]:
    """Write schedule.json and every export into `out_dir` as one version: all of them, or
    on failure none (the folder keeps its last good version), and add it to the folder's
    history.sqlite. `changes` (default: against the schedule now in the folder) become
    changes.csv; `run` says which command wrote it (default: `export`); `executor` may
    draw the chart on another core meanwhile (`export.export_all`). Returns the files
    written."""
    from scheduler.export import export_all

    out_dir = Path(out_dir)
    options = options or ExportOptions()
    if changes is None:
        changes = task_changes(_installed_schedule(out_dir, schedule.plan), schedule)

    def build(folder: Path) -> list[Path]:
        written = export_all(schedule, folder, options, executor)
        write_changes_csv(changes, folder / "changes.csv")
        text = schedule.to_json()
        write_text(folder / "schedule.json", text)
        entry = _history_entry(schedule, text, folder, options, changes, run or Run("export"))
        entry = replace(entry, feeds=_feed_names(written, folder))
        history.append(out_dir / history.HISTORY, folder / history.HISTORY, entry)
        return [*written, folder / "changes.csv", folder / "schedule.json"]

    return write_version(out_dir, build)


def run_of(command: str, plan: Plan, today: date | None = None) -> Run:
    """What `history.sqlite` keeps of a `plan` or `replan` run: the plan file's text and
    the text of every template it uses."""
    return Run(
        command,
        str(plan.source),
        _text_of(plan.source),
        {
            template_id: (str(template.source), _text_of(template.source) or "")
            for template_id, template in sorted(plan.templates.items())
        },
        today.isoformat() if today else None,
    )


def versions(out_dir: str | Path) -> list[history.Version]:
    """The versions written to `out_dir`, oldest first (HistoryError: none kept there)."""
    return history.versions(Path(out_dir) / history.HISTORY)


def version_schedule(out_dir: str | Path, number: int) -> Schedule:
    """The schedule that version `number` of `out_dir` wrote."""
    text = history.schedule_json(Path(out_dir) / history.HISTORY, number)
    return Schedule.from_dict(json.loads(text))


def version_changes(out_dir: str | Path, first: int, second: int) -> list[Change]:
    """What changed from version `first` to version `second` of `out_dir`."""
    return task_changes(version_schedule(out_dir, first), version_schedule(out_dir, second))


def restore(out_dir: str | Path, number: int) -> tuple[Schedule, list[Change]]:
    """Write version `number` of `out_dir` again, as a new version, exported against the
    latest (FORMAT.md section 6): returns its schedule and what changed against the latest."""
    out_dir = Path(out_dir)
    path = out_dir / history.HISTORY
    schedule = version_schedule(out_dir, number)
    options = _options_from(history.options_of(path, number))
    latest = history.versions(path)[-1].number
    changes = task_changes(version_schedule(out_dir, latest), schedule)
    schedule.generated = _now()
    write_outputs(schedule, out_dir, options, changes, history.run_of(path, number))
    return schedule, changes


def _history_entry(
    schedule: Schedule,
    text: str,
    folder: Path,
    options: ExportOptions,
    changes: list[Change],
    run: Run,
) -> history.Entry:
    kinds = [c.change for c in changes]
    return history.Entry(
        run=run,
        written=_now().isoformat(),
        plan=schedule.plan,
        status=schedule.status,
        late_days=schedule.late_days,
        tasks=len(schedule.tasks),
        counts={
            "moved": sum("moved" in k for k in kinds),
            "reassigned": sum("reassigned" in k for k in kinds),
            "added": kinds.count("added"),
            "cancelled": kinds.count("cancelled"),
        },
        options=_options_json(options),
        schedule_json=text,
        events=[history.EventState(*e) for e in calendar_states(folder, schedule.plan)],
    )


def _feed_names(written: list[Path], folder: Path) -> tuple[str, ...]:
    """The files `serve` answers (the calendars and gantt.html), relative to `folder`."""
    names = [p.relative_to(folder).as_posix() for p in written]
    return tuple(
        sorted(
            n
            for n in names
            if n == "gantt.html" or (n.startswith("calendar/") and n.endswith(".ics"))
        )
    )


def _options_json(options: ExportOptions) -> dict:
    return {
        "event_time": [t.strftime("%H:%M") for t in options.event_time]
        if options.event_time
        else None,
        "alarm": options.alarm,
        "today": options.today.isoformat() if options.today else None,
    }


def _options_from(data: dict) -> ExportOptions:
    event_time = data.get("event_time")
    today = data.get("today")
    return ExportOptions(
        event_time=tuple(time.fromisoformat(t) for t in event_time) if event_time else None,
        alarm=bool(data.get("alarm", True)),
        today=date.fromisoformat(today[:10]) if today else None,
    )


def _text_of(path: Path) -> str | None:
    """A plan or template file's text; for a plan workbook, the text of its YAML twin."""
    if is_workbook(path):
        from scheduler.plan.workbook import plan_data, plan_yaml

        try:
            return plan_yaml(plan_data(Path(path)), Path(path))
        except BadInput:
            return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _installed_schedule(out_dir: Path, plan_name: str) -> Schedule | None:
    """The schedule of this plan now in `out_dir` (None when there is none or unreadable)."""
    path = out_dir / "schedule.json"
    if not path.is_file():
        return None
    try:
        found = Schedule.read(path)
    except (ValueError, KeyError, TypeError):
        return None
    return found if found.plan == plan_name else None


def write_infeasible(schedule: Schedule, out_dir: str | Path) -> Path | None:
    """For a plan with no schedule: write schedule.json only where none exists yet."""
    path = Path(out_dir) / "schedule.json"
    if path.exists():
        return None
    write_text(path, schedule.to_json())
    return path


def _working_days_around(compiled: Compiled, schedule: Schedule) -> list[date]:
    dates = [t.start for t in schedule.tasks] + [a.start for a in schedule.activities]
    ends = [t.end for t in schedule.tasks] + [a.end for a in schedule.activities]
    if not dates:
        return []
    first, last = min(dates) - timedelta(days=14), max(ends) + timedelta(days=14)
    return [d for d in compiled.calendar.days if first <= d <= last]


def _now() -> datetime:
    """Now, in UTC, or SOURCE_DATE_EPOCH when set (reproducible outputs)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)
