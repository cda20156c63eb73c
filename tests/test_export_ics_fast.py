"""The quicker ways the calendars are written and read back give icalendar's own bytes.

- `ics_fold.folded` folds a content line exactly where icalendar's `Contentline.to_ical`
  does (74 bytes of UTF-8 at most, never inside a character, an escape kept whole);
- `ics._event_bytes` (lines written once per distinct value, `ics_lines`) is byte for byte
  icalendar's text of the event `ics._render` builds, for any names, emails and options;
- `calendar_states` of files `write_calendars` has just written (from what it remembers)
  equals what parsing them back gives, also after moves, reassignments and cancellations.
"""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import UTC, datetime, time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar.parser.content_line import Contentline
from test_export_ics import export, sample_schedule, working_days_2027

from scheduler.export import ics, ics_written
from scheduler.export.ics_fold import component_bytes, folded
from scheduler.export.ics_lines import EventLines
from scheduler.schedule import Person, Schedule

STAMP = datetime(2027, 9, 1, 8, 30, tzinfo=UTC)
# Characters that matter to folding and escaping: wide ones, escapes, separators, breaks.
TEXT = st.text(
    alphabet=st.sampled_from([*"ab ;,:\\^\"'\n\r\t=+-@", "中", "é", "😀", "\u2028"]),
    max_size=120,
)


@given(st.text(alphabet=st.sampled_from([*"a\\^ ;", "中", "é", "😀"]), max_size=400))
@settings(max_examples=400, deadline=None)
def test_folding_is_icalendars(line: str) -> None:
    """Every line is folded at the places icalendar folds it."""
    assert folded(line) == Contentline(line).to_ical()


def test_folding_keeps_escapes_whole_at_every_boundary() -> None:
    """A backslash or caret at any position around the 74th byte stays with what follows."""
    for prefix in range(60, 80):
        for mark in ("\\", "^", "中", "😀"):
            line = "x" * prefix + mark + "n" + "y" * 100
            assert folded(line) == Contentline(line).to_ical()


def _specs(schedule: Schedule, **options) -> list:
    days = tuple(working_days_2027())
    specs = ics._task_specs(
        schedule,
        options.get("event_time"),
        options.get("alarm", True),
        time(9, 0),
        days,
    )
    return specs + ics._activity_specs(schedule)


def _same_as_icalendar(specs: list) -> None:
    lines = EventLines()
    for spec in specs:
        fingerprint = spec.fingerprint()
        event = ics._render(spec, 0, fingerprint, STAMP)
        assert component_bytes(event) == event.to_ical()
        assert ics._event_bytes(spec, fingerprint, STAMP, lines) == event.to_ical()


def test_events_are_icalendars_text_with_every_option() -> None:
    """All-day and timed events, with and without reminders, late and split tasks."""
    schedule = sample_schedule()
    for options in ({}, {"alarm": False}, {"event_time": (time(9, 30), time(18, 0))}):
        _same_as_icalendar(_specs(schedule, **options))


@given(name=TEXT, person=TEXT, email=TEXT, plan=TEXT)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_events_are_icalendars_text_for_any_names(
    name: str, person: str, email: str, plan: str
) -> None:
    """Task names, people, emails and plan names with any characters."""
    schedule = sample_schedule()
    tasks = [dataclasses.replace(t, name=name + t.name) for t in schedule.tasks]
    staff = [
        Person(p.id, person + p.name, p.roles, email=email + "x@example.com")
        for p in schedule.staff
    ]
    schedule = dataclasses.replace(schedule, plan=plan or "p", tasks=tasks, staff=staff)
    _same_as_icalendar(_specs(schedule))
    _same_as_icalendar(_specs(schedule, event_time=(time(8, 0), time(17, 0))))


def _states_both_ways(out: Path, plan: str) -> None:
    remembered = ics.calendar_states(out, plan)
    ics_written.remember({})  # forget: parse every file back
    parsed = ics.calendar_states(out, plan)
    assert remembered == parsed
    assert parsed


def test_remembered_states_are_the_parsed_ones(tmp_path: Path) -> None:
    """Fresh files, then a version with a task moved, one reassigned and one dropped."""
    schedule = sample_schedule()
    export(schedule, tmp_path)
    _states_both_ways(tmp_path, schedule.plan)
    moved = dataclasses.replace(schedule.tasks[0], name=schedule.tasks[0].name + " (v2)")
    given_away = dataclasses.replace(schedule.tasks[3], assignee="zhao_lei")
    changed = dataclasses.replace(schedule, tasks=[moved, schedule.tasks[1], given_away])
    export(changed, tmp_path)
    _states_both_ways(tmp_path, schedule.plan)
    export(changed, tmp_path, event_time=(time(9, 0), time(18, 0)))
    _states_both_ways(tmp_path, schedule.plan)


def test_a_file_changed_since_it_was_written_is_parsed_again(tmp_path: Path) -> None:
    """The remembered states are used only for the very bytes written."""
    schedule = sample_schedule()
    export(schedule, tmp_path)
    team = tmp_path / "calendar" / "team.ics"
    team.write_bytes(team.read_bytes().replace(b"SEQUENCE:0", b"SEQUENCE:7", 1))
    states = ics.calendar_states(tmp_path, schedule.plan)
    assert any(f == "calendar/team.ics" and seq == 7 for f, _, seq, _, _ in states)
    _states_both_ways(tmp_path, schedule.plan)


def _old_as_text(state: dict | None) -> dict | None:
    """An earlier file's state, comparable: the parsed event as its text."""
    if state is None:
        return None
    return {
        uid: (old.sequence, old.cancelled, old.owner, old.content, old.status, old.event.to_ical())
        for uid, old in state.items()
    }


def _quick_is_parsed(out: Path, plan: str) -> int:
    """Every calendar file's state read from its lines equals its state parsed; returns
    how many files were read the quick way."""
    quick_files = 0
    for path in sorted((out / "calendar").glob("*.ics")):
        raw = path.read_bytes()
        quick = ics._quick_state(raw, plan, {})
        quick_files += quick is not None
        if quick is not None:
            assert _old_as_text(quick) == _old_as_text(ics._parsed_state(path, raw, plan))
    return quick_files


def test_earlier_files_read_from_their_lines_as_parsed(tmp_path: Path) -> None:
    """Fresh, timed, with cancelled events: every file of ours takes the quick way and
    gives what parsing gives."""
    schedule = sample_schedule()
    export(schedule, tmp_path)
    files = len(list((tmp_path / "calendar").glob("*.ics")))
    assert _quick_is_parsed(tmp_path, schedule.plan) == files
    dropped = dataclasses.replace(schedule, tasks=schedule.tasks[1:])
    export(dropped, tmp_path, event_time=(time(9, 30), time(18, 0)))
    assert _quick_is_parsed(tmp_path, schedule.plan) == files
    export(schedule, tmp_path, alarm=False)
    assert _quick_is_parsed(tmp_path, schedule.plan) == files


@given(name=TEXT, person=TEXT, staff_id=TEXT)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_earlier_files_with_any_names_read_as_parsed(name: str, person: str, staff_id: str):
    """Names and staff ids with any characters: quick where certain, always as parsed."""
    schedule = sample_schedule()
    who = "x" + staff_id
    tasks = [dataclasses.replace(t, name=name + t.name, assignee=who) for t in schedule.tasks]
    staff = [*schedule.staff, Person(who, person or "p", ("design",))]
    schedule = dataclasses.replace(schedule, tasks=tasks, staff=staff)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        export(schedule, out)
        export(dataclasses.replace(schedule, tasks=tasks[:2]), out)
        _quick_is_parsed(out, schedule.plan)


def test_edited_and_foreign_files_are_parsed(tmp_path: Path) -> None:
    """A lower-case property name, a second UID, a folded END line, another plan: parsed."""
    schedule = sample_schedule()
    export(schedule, tmp_path)
    team = tmp_path / "calendar" / "team.ics"
    raw = team.read_bytes()
    for edited in (
        raw.replace(b"\r\nSTATUS:CONFIRMED\r\n", b"\r\nstatus:CANCELLED\r\n", 1),
        raw.replace(b"\r\nTRANSP:", b"\r\nUID:second\r\nTRANSP:", 1),
        raw.replace(b"END:VEVENT\r\n", b"END:VEVENT\r\n X-AFTER:1\r\n", 1),
        raw.replace(b"X-PROMO-PLAN:", b"X-PROMO-PLAN:other ", 1),
    ):
        assert ics._quick_state(edited, schedule.plan, {}) is None
