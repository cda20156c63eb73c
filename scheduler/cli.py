"""The command line (FORMAT.md section 7): parse, call the library, print, set the exit code.

Exit codes: 0 every task on time; 2 bad input (nothing written); 3 no schedule exists;
4 a schedule was written but some tasks are late; 5 another run holds the output folder
(with --no-wait); 6 `sync` left conflicts (events changed on the server, not overwritten).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import sqlite3
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import time
from pathlib import Path
from time import monotonic
from typing import Any

import click

from scheduler import api
from scheduler.errors import BadInput
from scheduler.executors import executor_for
from scheduler.export.changes import changes_by_person, task_changes
from scheduler.export.ics import CalendarStateError
from scheduler.phrases import phrasebook, status_words, table_headers
from scheduler.plan.workbook_read import located_in_workbooks
from scheduler.planning.baseline import Baseline
from scheduler.progress import reporter
from scheduler.schedule import Schedule
from scheduler.terminal import (
    diagnosis,
    occurrence_table,
    plain_warning_lines,
    plain_warnings,
    schedule_summary,
    suggestion_lines,
    template_steps,
    template_table,
    text_table,
    version_table,
)
from scheduler.versions import folder as version
from scheduler.versions.history import HISTORY, HistoryError, Run
from scheduler.words import yes_no

OK, BAD_INPUT, NO_SCHEDULE, LATE, BUSY = 0, 2, 3, 4, 5
STARTED = "promo-scheduler.started"  # key of the click context's meta: when the command began

plan_argument = click.argument(
    "plan_file", metavar="PLAN.yaml", type=click.Path(dir_okay=False, path_type=Path)
)


def _exits_cleanly(command: Callable[..., int | None]) -> Callable[..., None]:
    """Turn bad input into one line per mistake and exit 2; return codes into exit codes."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        click.get_current_context().meta[STARTED] = monotonic()  # --time-limit counts from here
        # A name that UTF-8 cannot hold (a lone surrogate) is printed escaped, as on stderr.
        with contextlib.suppress(AttributeError, ValueError):
            sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        try:
            with plain_warnings():
                code = command(*args, **kwargs) or OK
        except BadInput as bad:
            for problem in located_in_workbooks(bad.problems):
                click.echo(str(problem), err=True)
            code = BAD_INPUT
        except OSError as failed:  # an output folder that cannot be written, a full disk
            click.echo(_os_failure(failed, kwargs.get("out_dir")), err=True)
            code = BAD_INPUT
        except sqlite3.Error as failed:  # history.sqlite on a full or read-only disk
            out_dir = kwargs.get("out_dir")
            where = f"{out_dir}/{HISTORY}" if out_dir else HISTORY
            click.echo(f"{where}: {failed}{_kept(out_dir)}", err=True)
            code = BAD_INPUT
        except version.FolderBusy as busy:
            click.echo(str(busy), err=True)
            code = BUSY
        except HistoryError as bad:
            out_dir = kwargs.get("out_dir")
            text = str(bad)
            if out_dir:  # the history being written is the staged copy of DIR/history.sqlite
                text = text.replace(
                    str(Path(out_dir, version.STAGING, HISTORY)), f"{out_dir}/{HISTORY}"
                )
            click.echo(text, err=True)
            code = BAD_INPUT
        except CalendarStateError as bad:
            click.echo(
                f"{bad.path}: {bad.problem} (remove it to start the calendars anew)", err=True
            )
            code = BAD_INPUT
        sys.exit(code)

    return wrapper


def _os_failure(failed: OSError, out_dir: Path | None) -> str:
    """One line for a file that could not be read or written: the file as the user knows it
    (in the output folder, not its staging copy, backup or temporary file; the folder for
    its lock or journal) and, in the output folder, that the folder is left as it was."""
    if isinstance(failed, FileNotFoundError) and isinstance(failed.__context__, OSError):
        failed = failed.__context__  # cleaning up after the first failure failed as well
    reason = failed.strerror or str(failed)
    name = failed.filename if failed.filename is not None else failed.filename2
    if isinstance(failed, shutil.Error) and failed.args and isinstance(failed.args[0], list):
        _source, name, reason = failed.args[0][0]  # copytree: (source, target, why) each
    if name is None:
        return f"{out_dir}: {reason}{_kept(out_dir)}" if out_dir else reason
    path = Path(os.fsdecode(name))
    if out_dir is None:
        return f"{path}: {reason}"
    try:
        parts = path.relative_to(out_dir).parts
    except ValueError:
        if Path(out_dir).is_relative_to(path):
            return f"{path}: {reason} (the output folder {out_dir} cannot be made)"
        return f"{path}: {reason}"
    if parts[:1] in ((version.STAGING,), (version.BACKUP,)):
        parts = parts[1:]
    if not parts or parts[0] in (version.LOCK, version.JOURNAL, version.STAGING, version.BACKUP):
        return f"{out_dir}: {reason}{_kept(out_dir)}"
    if _TEMPORARY.fullmatch(parts[-1]):
        parts = (*parts[:-1], _TEMPORARY.fullmatch(parts[-1]).group(1))
    return f"{Path(out_dir, *parts)}: {reason}{_kept(out_dir)}"


_TEMPORARY = re.compile(r"\.(.+)\.[^.]+\.tmp")  # versions/atomic.py's `.<name>.<random>.tmp`


def _kept(out_dir: Path | None) -> str:
    return f" (the output folder {out_dir} is left as it was)" if out_dir else ""


@contextlib.contextmanager
def _holding(out_dir: Path, no_wait: bool) -> Iterator[None]:
    """Hold the output folder for this run (FORMAT.md section 6), after finishing a version
    that a killed run left half installed. A folder this run created only for its lock is
    removed again when nothing was written into it."""
    existed = out_dir.exists()

    def waiting() -> None:
        click.echo(f"{out_dir}: another run is writing this folder; waiting for it", err=True)

    try:
        with version.folder_lock(out_dir, wait=not no_wait, on_wait=waiting):
            version.recover(out_dir)
            yield
    finally:
        if not existed and [p.name for p in out_dir.iterdir()] == [version.LOCK]:
            shutil.rmtree(out_dir, ignore_errors=True)


no_wait_option = click.option(
    "--no-wait",
    is_flag=True,
    help="Exit 5 at once when another run is writing the output folder, instead of waiting.",
)


def _load(plan_file: Path):
    if not plan_file.is_file():
        raise BadInput.single(str(plan_file), "", "", "no such file", "a plan file, .yaml or .xlsx")
    return api.load_plan(plan_file)


def _event_time(_ctx: click.Context, _param: click.Parameter, value: str | None):
    if value is None:
        return None
    try:
        first, last = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise click.BadParameter(f"{value}: expected HH:MM-HH:MM, e.g. 09:30-18:30") from None
    if last <= first:
        raise click.BadParameter(f"{value}: the end time must be after the start time")
    return first, last


def export_options(command: Callable) -> Callable:
    """The options shared by `plan` and `export`."""
    command = click.option(
        "--event-time",
        callback=_event_time,
        metavar="HH:MM-HH:MM",
        help="Timed calendar events in the plan's timezone instead of all-day ones.",
    )(command)
    command = click.option(
        "--no-alarm", is_flag=True, help="No reminder the working day before each task."
    )(command)
    return click.option(
        "--today",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        metavar="YYYY-MM-DD",
        help="Draw a 'today' line on that day in gantt.png (and in gantt.html where its script "
        "cannot run: the page itself marks the viewer's own today, or #today=YYYY-MM-DD).",
    )(command)


def _options(event_time, no_alarm: bool, today) -> api.ExportOptions:
    return api.ExportOptions(
        event_time=event_time, alarm=not no_alarm, today=today.date() if today else None
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="promo-scheduler")
def main() -> None:
    """Plan a store's year of promotions: who prepares what, when."""


def solve_options(command: Callable) -> Callable:
    """The options shared by `plan` and `replan`: the output folder and the search."""
    command = no_wait_option(search_options(command))
    command = click.option(
        "--suggest/--no-suggest",
        default=True,
        show_default=True,
        envvar="PROMO_SCHEDULER_SUGGEST",
        show_envvar=True,
        help="When tasks are late or no schedule exists, look for fixes and check each by "
        "planning the changed plan (schedule.json `suggestions`); --no-suggest is faster "
        "(so is PROMO_SCHEDULER_SUGGEST=0).",
    )(command)
    return click.option(
        "--out",
        "out_dir",
        required=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Output folder.",
    )(command)


def search_options(command: Callable) -> Callable:
    """The options of every command that solves: --effort, --time-limit, --workers,
    --cluster."""
    for option in reversed(
        [
            click.option(
                "--effort",
                default=api.DEFAULT_EFFORT,
                show_default=True,
                type=click.FloatRange(min=0.1),
                help="Search work (CP-SAT deterministic time units, about 1-3 s each on a "
                "laptop core); the same plan and effort always give the same schedule.",
            ),
            click.option(
                "--time-limit",
                default=api.DEFAULT_TIME_LIMIT,
                show_default=True,
                type=click.FloatRange(min=0.1),
                help="Wall-clock safety limit in seconds for the whole run (what writing the "
                "files will take is estimated from the plan's size and kept out of the search's "
                "share); a search it stops says so.",
            ),
            click.option(
                "--workers",
                default=api.DEFAULT_WORKERS,
                show_default=True,
                type=click.IntRange(min=1),
                help="Solver threads.",
            ),
            click.option(
                "--cluster",
                metavar="tcp://HOST:8786",
                envvar="PROMO_SCHEDULER_CLUSTER",
                show_envvar=True,
                help="Run the independent sub-solves (checks of fixes, staffing probes) on "
                "this Dask scheduler's workers; the result is the same as without. Needs "
                "pip install 'promo-scheduler[cluster]'.",
            ),
        ]
    ):
        command = option(command)
    return click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="No progress on stderr (shown on a terminal while a search lasts over a second).",
    )(command)


@main.command()
@plan_argument
@solve_options
@export_options
@_exits_cleanly
def plan(
    plan_file: Path,
    out_dir: Path,
    effort: float,
    time_limit: float,
    workers: int,
    no_wait: bool,
    suggest: bool,
    cluster: str | None,
    quiet: bool,
    **export,
) -> int:
    """Expand, schedule and export everything into --out (a schedule already there is the
    tie-break: among the least-late schedules, the closest to it)."""
    loaded = _load(plan_file)
    search = {"effort": effort, "time_limit": time_limit, "workers": workers, "suggest": suggest}
    with executor_for(cluster) as executor, _holding(out_dir, no_wait):
        search |= {"executor": executor}
        search |= {"quiet": quiet}
        previous = api.previous_version(out_dir, loaded)
        baseline = Baseline(previous) if previous else None
        run = api.run_of("plan", loaded)
        return _schedule_into(loaded, out_dir, baseline, search, _options(**export), run)


@main.command()
@plan_argument
@solve_options
@click.option(
    "--today",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="The re-planning day: tasks that ended before it stay as they were, tasks under way "
    "keep their start, nothing else starts before it.",
)
@click.option(
    "--event-time",
    callback=_event_time,
    metavar="HH:MM-HH:MM",
    help="Timed calendar events in the plan's timezone instead of all-day ones.",
)
@click.option("--no-alarm", is_flag=True, help="No reminder the working day before each task.")
@_exits_cleanly
def replan(
    plan_file: Path,
    out_dir: Path,
    effort: float,
    time_limit: float,
    workers: int,
    no_wait: bool,
    suggest: bool,
    cluster: str | None,
    quiet: bool,
    today,
    event_time,
    no_alarm: bool,
) -> int:
    """Re-plan the changed plan against the schedule last written to --out (FORMAT.md
    section 5): least lateness, then the fewest tasks moved or reassigned."""
    loaded = _load(plan_file)
    with executor_for(cluster) as executor, _holding(out_dir, no_wait):
        previous = api.previous_version(out_dir, loaded, required=True)
        baseline = Baseline(previous, today.date())
        search = {"effort": effort, "time_limit": time_limit, "workers": workers}
        search |= {"suggest": suggest, "executor": executor, "quiet": quiet}
        options = _options(event_time=event_time, no_alarm=no_alarm, today=today)
        run = api.run_of("replan", loaded, today.date())
        return _schedule_into(loaded, out_dir, baseline, search, options, run)


def _schedule_into(
    loaded,
    out_dir: Path,
    baseline: Baseline | None,
    search: dict,
    options: api.ExportOptions,
    run: Run,
) -> int:
    """Schedule, print what came out and write the folder (nothing when no schedule)."""
    with reporter(not search.pop("quiet"), language=loaded.language) as progress:
        schedule = api.make_schedule(
            loaded, baseline=baseline, progress=progress, reserve=api.export_reserve,
            started=click.get_current_context().meta.get(STARTED), **search,
        )  # fmt: skip
    _print_warnings(schedule.warnings)
    if schedule.status not in ("optimal", "feasible"):
        say = phrasebook(loaded.language)
        status = status_words(schedule.status, loaded.language)
        click.echo(say("no_schedule_for", plan=loaded.name, status=status), err=True)
        for item in schedule.explanation:
            click.echo(f"  - {item.text}", err=True)
        for line in suggestion_lines(schedule):
            click.echo(line, err=True)
        if schedule.status != "infeasible":
            return NO_SCHEDULE  # none found in time, none proven impossible: write nothing
        if api.write_infeasible(schedule, out_dir) is None:
            click.echo(say("kept_file", file=f"{out_dir}/schedule.json"), err=True)
        return NO_SCHEDULE
    previous = baseline.schedule if baseline else None
    changes = task_changes(previous, schedule, api.leave_ranges(loaded))
    api.write_outputs(schedule, out_dir, options, changes, run, search.get("executor"))
    click.echo(schedule_summary(schedule))
    for line in suggestion_lines(schedule):
        click.echo(line)
    if baseline is not None:
        click.echo(phrasebook(loaded.language)("changed", count=len(changes)))
        if changes:
            click.echo(changes_by_person(changes, schedule))
    click.echo(phrasebook(loaded.language)("wrote", folder=out_dir))
    return LATE if schedule.late_tasks else OK


@main.command()
@plan_argument
@search_options
@_exits_cleanly
def explain(
    plan_file: Path,
    effort: float,
    time_limit: float,
    workers: int,
    cluster: str | None,
    quiet: bool,
) -> int:
    """Why tasks are late or no schedule exists: each late task's chain of dates and people,
    the activities that cannot be prepared in time, and fixes, each checked by planning the
    changed plan with the same options. Writes nothing; exits as `plan`."""
    loaded = _load(plan_file)
    search = {"effort": effort, "time_limit": time_limit, "workers": workers}
    with (
        executor_for(cluster) as executor,
        reporter(not quiet, language=loaded.language) as progress,
    ):
        schedule = api.make_schedule(
            loaded, suggest=True, executor=executor, progress=progress, **search
        )
    _print_warnings(schedule.warnings)
    click.echo(diagnosis(schedule))
    if schedule.status not in ("optimal", "feasible"):
        return NO_SCHEDULE
    return LATE if schedule.late_tasks else OK


@main.command()
@plan_argument
@click.option("--role", "roles", multiple=True, help="Only this role (repeatable); default: all.")
@search_options
@_exits_cleanly
def staffing(
    plan_file: Path,
    roles: tuple[str, ...],
    effort: float,
    time_limit: float,
    workers: int,
    cluster: str | None,
    quiet: bool,
) -> int:
    """The fewest full-time people per role with which that role makes no task late (the
    plan's holders of the role give it up to them); proven where the solver proves that one
    fewer is later. Writes nothing."""
    loaded = _load(plan_file)
    needed = sorted({r for p in loaded.staff for r in p.roles})
    unknown = [r for r in roles if r not in needed]
    if unknown:
        raise BadInput.single(
            str(plan_file), "--role", unknown[0], "no staff member holds this role",
            " | ".join(needed),
        )  # fmt: skip
    search = {"effort": effort, "time_limit": time_limit, "workers": workers}
    with executor_for(cluster) as executor:
        needs = api.role_needs(loaded, roles or needed, executor=executor, **search)
    rows = []
    for need in needs:
        role = need.role
        name = loaded.role_name(role)
        rows.append(
            (role if name == role else f"{name} ({role})", need.in_plan, need.fewest,
             yes_no(need.proven, loaded.language), need.late_days)
        )  # fmt: skip
    click.echo(text_table(table_headers("staffing_headers", loaded.language), rows))
    click.echo(phrasebook(loaded.language)("staffing_note"))
    return OK


@main.command()
@plan_argument
@_exits_cleanly
def validate(plan_file: Path) -> int:
    """Check the plan and its templates; schedule nothing."""
    from scheduler.planning.adapter import compile_plan

    loaded = _load(plan_file)
    compiled = compile_plan(loaded)
    _print_warnings(compiled.warnings)
    click.echo(
        f"{plan_file}: OK: {len(compiled.occurrences)} activity occurrences, "
        f"{len(compiled.task_ids)} tasks, {len(loaded.staff)} staff"
    )
    return OK


@main.command()
@plan_argument
@_exits_cleanly
def calendar(plan_file: Path) -> int:
    """The year's activity occurrences (the promotion calendar), without scheduling."""
    loaded = _load(plan_file)
    warnings: list[str] = []
    found = api.activity_calendar(loaded, warnings)
    _print_warnings(warnings)
    click.echo(occurrence_table(found, loaded.language))
    return OK


@main.command()
@click.argument("template_id", required=False)
@click.option(
    "--dir",
    "dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="An extra template folder, searched before the bundled one.",
)
@_exits_cleanly
def templates(template_id: str | None, dirs: tuple[Path, ...]) -> int:
    """List the activity templates, or show one template's steps."""
    from scheduler.plan.loading import available_templates, load_template

    found = available_templates(dirs)
    if template_id is None:
        click.echo(template_table([load_template(path) for path in found.values()]))
        return OK
    if template_id not in found:
        raise click.BadParameter(
            f"unknown template {template_id!r}; run `promo-scheduler templates` to list them",
            param_hint="TEMPLATE_ID",
        )
    click.echo(template_steps(load_template(found[template_id])))
    return OK


@main.command()
@click.argument(
    "schedule_file", metavar="SCHEDULE.json", type=click.Path(exists=True, dir_okay=False)
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder: the exports are written there as a new version.",
)
@no_wait_option
@export_options
@_exits_cleanly
def export(schedule_file: str, out_dir: Path, no_wait: bool, **export) -> int:
    """Re-write the exports from an existing schedule.json, without solving."""
    schedule = Schedule.read(schedule_file)
    if not schedule.tasks:
        say = phrasebook(schedule.language)
        click.echo(say("nothing_to_export", file=schedule_file, status=schedule.status), err=True)
        return NO_SCHEDULE
    with _holding(out_dir, no_wait):
        if Path(schedule_file).resolve().parent == out_dir.resolve():
            schedule = Schedule.read(schedule_file)  # as the recovered folder holds it
        api.write_outputs(schedule, out_dir, _options(**export))
    click.echo(phrasebook(schedule.language)("exported", file=schedule_file, folder=out_dir))
    return OK


folder_argument = click.argument(
    "out_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path)
)


@main.command()
@folder_argument
@_exits_cleanly
def history(out_dir: Path) -> int:
    """The versions written to DIR, oldest first."""
    _recover(out_dir)
    click.echo(version_table(api.versions(out_dir)))
    return OK


@main.command()
@folder_argument
@click.argument("first", metavar="[A", type=int, required=False)
@click.argument("second", metavar="[B]]", type=int, required=False)
@_exits_cleanly
def diff(out_dir: Path, first: int | None, second: int | None) -> int:
    """What changed from version A to version B of DIR (default: the last two; with A
    only, from A to the latest)."""
    _recover(out_dir)
    numbers = [v.number for v in api.versions(out_dir)]
    if first is None:
        if len(numbers) < 2:
            click.echo(f"{out_dir}: only {len(numbers)} version(s), nothing to compare", err=True)
            return BAD_INPUT
        first, second = numbers[-2], numbers[-1]
    elif second is None:
        second = numbers[-1]
    changes = api.version_changes(out_dir, first, second)
    later = api.version_schedule(out_dir, second)
    say = phrasebook(later.language)
    click.echo(say("version_changes", first=first, second=second, count=len(changes)))
    if changes:
        click.echo(changes_by_person(changes, later))
    return OK


@main.command()
@folder_argument
@click.argument("number", metavar="N", type=int)
@no_wait_option
@_exits_cleanly
def restore(out_dir: Path, number: int, no_wait: bool) -> int:
    """Write version N of DIR again, as a new version (calendars follow it back)."""
    if not out_dir.is_dir():
        raise HistoryError(f"{out_dir}: no such folder")
    with _holding(out_dir, no_wait):
        schedule, changes = api.restore(out_dir, number)
    latest = api.versions(out_dir)[-1].number
    say = phrasebook(schedule.language)
    click.echo(say("restored", number=number, latest=latest, count=len(changes)))
    if changes:
        click.echo(changes_by_person(changes, schedule))
    return OK


def _recover(out_dir: Path) -> None:
    """Finish (or drop) a version a killed run left half installed in DIR, so that what is
    read is the version the folder holds (waiting for a run that is writing it)."""
    if out_dir.is_dir() and any((out_dir / n).exists() for n in (version.JOURNAL, version.STAGING)):
        with _holding(out_dir, no_wait=False):
            pass


def _print_warnings(warnings: list[str]) -> None:
    for line in plain_warning_lines(warnings):
        click.echo(line, err=True)


@main.command()
@folder_argument
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port, printed).",
)
@click.option("--links", is_flag=True, help="Print each feed's URL and exit.")
@click.option(
    "--base-url",
    metavar="URL",
    help="With --links: the public address in front of the server (e.g. an https:// proxy).",
)
@click.option("--webcal", is_flag=True, help="With --links: the calendars' webcal:// URLs.")
@_exits_cleanly
def serve(
    out_dir: Path, host: str, port: int, links: bool, base_url: str | None, webcal: bool
) -> int:
    """Serve DIR's latest version as subscription feeds (team.ics, each person's,
    activities.ics, gantt.html), each at a URL with its own token, until Ctrl-C."""
    from scheduler.feeds import server, tokens

    def waiting() -> None:
        click.echo(f"{out_dir}: another run is writing this folder; waiting for it", err=True)

    if links:
        tokens.ensure_tokens(out_dir, waiting)
        base = base_url or tokens.base_url(host, port)
        for name, url in tokens.links(out_dir, base, webcal):
            click.echo(f"{name} {url}")
        return OK

    def ready(bound: str, bound_port: int) -> None:
        click.echo(
            f"Serving {out_dir} at {tokens.base_url(bound, bound_port)} "
            f"(`promo-scheduler serve {out_dir} --links --port {bound_port}` lists the feeds; "
            "Ctrl-C stops)",
            err=True,
        )

    try:
        server.serve(out_dir, host, port, on_ready=ready, on_wait=waiting)
    except OSError as failed:
        if failed.filename is not None:
            raise
        click.echo(f"{host}:{port}: {failed.strerror or failed}", err=True)
        return BAD_INPUT
    click.echo("Stopped.", err=True)
    return OK


CONFLICTS = 6


def _only(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...]:
    from scheduler.caldav_sync.resources import KINDS

    if value is None:
        return KINDS
    parts = tuple(part.strip() for part in value.split(",") if part.strip())
    wrong = [part for part in parts if part not in KINDS]
    if wrong or not parts:
        raise click.BadParameter(f"{value}: expected a comma-separated list of {', '.join(KINDS)}")
    return parts


@main.command()
@folder_argument
@click.option("--caldav", "url", required=True, metavar="URL", help="The calendar home URL.")
@click.option("--user", help="User name on the CalDAV server.")
@click.option(
    "--password-env",
    metavar="VAR",
    help="The environment variable holding the password (never on the command line).",
)
@click.option("--dry-run", is_flag=True, help="List what would be written; write nothing.")
@click.option(
    "--only",
    callback=_only,
    metavar="team,people,activities",
    help="Sync only these calendars (default: all).",
)
@_exits_cleanly
def sync(
    out_dir: Path,
    url: str,
    user: str | None,
    password_env: str | None,
    dry_run: bool,
    only: tuple[str, ...],
) -> int:
    """Make the CalDAV server at URL hold DIR's latest version: collections team,
    activities and one per person, events created, updated and deleted by UID; an event
    changed on the server is a conflict (exit 6), not overwritten."""
    from scheduler.caldav_sync.dav import DavError
    from scheduler.caldav_sync.sync import sync as run_sync

    if urllib.parse.urlparse(url).scheme not in ("http", "https"):
        click.echo(f"--caldav: {url}: not an http:// or https:// URL", err=True)
        return BAD_INPUT
    password = None
    if password_env:
        password = os.environ.get(password_env)
        if password is None:
            click.echo(f"--password-env: {password_env}: no such environment variable", err=True)
            return BAD_INPUT

    def waiting() -> None:
        click.echo(f"{out_dir}: another run is writing this folder; waiting for it", err=True)

    try:
        summary = run_sync(
            out_dir, url, user, password, dry_run=dry_run, only=only, on_wait=waiting
        )
    except DavError as failed:
        click.echo(str(failed), err=True)
        return BAD_INPUT
    _print_warnings(summary.warnings)
    if dry_run:
        for action in summary.actions:
            click.echo(f"would {action}")
    for conflict in summary.conflicts:
        click.echo(
            f"conflict: {conflict.collection}: {conflict.summary} ({conflict.uid}): "
            f"{conflict.reason}",
            err=True,
        )
    prefix = "dry run, would have " if dry_run else ""
    click.echo(f"{prefix}{summary.line()}")
    return CONFLICTS if summary.conflicts else OK


@main.command()
@click.argument("target", metavar="PLAN.xlsx", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--from",
    "source",
    metavar="PLAN.yaml",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Convert this plan instead of writing a blank workbook: a PLAN.yaml into the "
    "workbook PLAN.xlsx, or a PLAN.xlsx into the YAML file named as the target.",
)
@click.option("--force", is_flag=True, help="Overwrite the target file when it exists.")
@_exits_cleanly
def init(target: Path, source: Path | None, force: bool) -> int:
    """Write a plan workbook (FORMAT.md section 8): the sheets Plan, Stores, Staff, Leave,
    Activities and Roles with headers, an example row and drop-down lists; or, with
    --from, convert a plan between YAML and Excel. An existing file is never overwritten
    without --force."""
    from scheduler.plan.workbook import init_plan

    if source is not None and not source.is_file():
        raise BadInput.single(str(source), "", "", "no such file", "a plan file (.yaml or .xlsx)")
    written = init_plan(target, source, force)
    click.echo(f"Wrote {written}" + (f" from {source}" if source else ""))
    return OK
