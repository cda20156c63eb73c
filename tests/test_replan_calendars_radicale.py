"""Re-planning seen through per-person calendars on a real CalDAV server (Radicale).

The bundled quickstart plan is planned (version 1); then the plan is edited so that tasks
change hands: the designer li_na leaves the plan (a new designer, sun_yue, joins), wang_fang
and zhao_lei get leave over days where they have tasks, and the April member day is dropped.
`replan --today 2026-03-19` (in the middle of the plan: some tasks finished, one under way)
writes version 2 into the same folder (FORMAT.md sections 5-7).

Each person file `calendar/<staff id>.ics` of version 1 is imported into a calendar collection
of its own on the server, one calendar object per VEVENT, keeping the file's SEQUENCE. Then
every person file of version 2 is imported into the same person's collection the way a
calendar app does: by UID; an event with STATUS:CANCELLED and a higher SEQUENCE than the
server's removes the server's event, any other event is stored over the server's (unless the
server's SEQUENCE is higher). Read back with the `caldav` client, each person's calendar must
hold exactly that person's tasks of version 2's schedule.json, one event per UID, nothing
stale (no event of a task now someone else's or cancelled); the person who left keeps only
their finished tasks.

Events are matched to tasks by schedule.json alone: the SUMMARY `[activity name] task name`
(with ` (i/n)` for a task split into n stretches of consecutive working days, as the README
says) and the task's dates; never by the exporter's UIDs.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import test_caldav_radicale as dav
import yaml
from conftest import REPO_ROOT, crash_report, invoke_cli
from icalendar import Calendar

radicale = dav.radicale  # the Radicale fixture, found by pytest in this module's namespace

EXAMPLE = REPO_ROOT / "examples" / "quickstart.yaml"
EFFORT = "3"  # small: the quickstart plan is solved in well under a second of search
TODAY = date(2026, 3, 19)
LEAVER = "li_na"  # the designer who leaves the plan
NEWCOMER = {"id": "sun_yue", "name": "孙悦", "email": "sun.yue@example.com", "roles": ["design"]}
LEAVE = {
    "wang_fang": (date(2026, 3, 23), date(2026, 3, 25)),  # her operations go to zhao_lei
    "zhao_lei": (date(2026, 3, 27), date(2026, 3, 27)),  # the only promoter: his tasks move
}
DROPPED = ("monthly_member_day", date(2026, 4, 18))  # its tasks are cancelled
SPLIT = re.compile(r"^(?P<title>.*?)(?: \((?P<number>\d+)/(?P<count>\d+)\))?$")


@dataclass
class Versions:
    """The two versions' schedule.json and their person files (calendar/<staff id>.ics)."""

    first: dict
    second: dict
    first_files: dict[str, Path]
    second_files: dict[str, Path]


def edited_plan(path: Path) -> Path:
    """The quickstart plan with the edit of the module docstring, written to `path`."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    staff = [person for person in data["staff"] if person["id"] != LEAVER]
    for person in staff:
        if person["id"] in LEAVE:
            first, last = LEAVE[person["id"]]
            person["leave"] = [{"from": first, "to": last}]
    data["staff"] = [*staff, NEWCOMER]
    template, skipped = DROPPED
    activity = next(a for a in data["activities"] if a["template"] == template)
    activity["except"] = [skipped]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run(*args: str | Path) -> None:
    result = invoke_cli(args)
    assert result.exit_code == 0, crash_report(result)


def person_files(calendar_dir: Path) -> dict[str, Path]:
    return {
        path.stem: path
        for path in sorted(calendar_dir.glob("*.ics"))
        if path.name not in {"team.ics", "activities.ics"}
    }


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> Versions:
    """plan the example, keep version 1's files aside, then replan the edited plan."""
    base = tmp_path_factory.mktemp("replan-calendars")
    out = base / "out"
    run("plan", EXAMPLE, "--out", out, "--effort", EFFORT)
    first = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    shutil.copytree(out / "calendar", base / "v1-calendar")
    plan = edited_plan(base / "quickstart-edited.yaml")
    run("replan", plan, "--out", out, "--today", TODAY.isoformat(), "--effort", EFFORT)
    second = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    return Versions(
        first, second, person_files(base / "v1-calendar"), person_files(out / "calendar")
    )


def tasks_by_id(schedule: dict) -> dict[str, dict]:
    return {task["id"]: task for task in schedule["tasks"]}


def day(text: str) -> date:
    return date.fromisoformat(text)


def test_the_edit_reassigns_finishes_and_cancels_tasks(versions: Versions):
    """The scenario itself, from the two schedule.json files, so that the server test below
    cannot pass vacuously: tasks go from the leaver to the newcomer and from a person on
    leave to a colleague, one task under way on --today is handed over keeping its start,
    the leaver's finished tasks stay theirs, a task moves for its own assignee, and the
    dropped activity's tasks are cancelled."""
    before, after = tasks_by_id(versions.first), tasks_by_id(versions.second)
    assert versions.second["status"] == "optimal"
    moves = Counter(
        (before[i]["assignee"], after[i]["assignee"])
        for i in before.keys() & after.keys()
        if before[i]["assignee"] != after[i]["assignee"]
    )
    assert moves[(LEAVER, NEWCOMER["id"])] >= 3, moves
    assert moves[("wang_fang", "zhao_lei")] >= 2, moves

    handed_over = [
        i
        for i in before.keys() & after.keys()
        if day(before[i]["start"]) < TODAY <= day(before[i]["end"])
        and before[i]["assignee"] == LEAVER
    ]
    assert handed_over, "no task of the leaver is under way on --today"
    for i in handed_over:
        assert after[i]["assignee"] == NEWCOMER["id"]
        assert after[i]["start"] == before[i]["start"]  # under way: keeps its start

    kept = [t for t in after.values() if t["assignee"] == LEAVER]
    assert kept, "the leaver has no finished task to keep"
    assert all(day(t["end"]) < TODAY for t in kept)
    assert {t["id"] for t in kept} == {
        t["id"] for t in before.values() if t["assignee"] == LEAVER and day(t["end"]) < TODAY
    }

    assert any(
        (before[i]["start"], before[i]["end"]) != (after[i]["start"], after[i]["end"])
        and before[i]["assignee"] == after[i]["assignee"]
        for i in before.keys() & after.keys()
    ), "no task moved for its own assignee"
    cancelled = before.keys() - after.keys()
    assert cancelled and all(i.startswith(f"{DROPPED[0]}@{DROPPED[1]}/") for i in cancelled)
    assert not after.keys() - before.keys()  # the edit adds no task

    # the leaver keeps a person file; the newcomer gets one
    assert LEAVER in versions.second_files and NEWCOMER["id"] in versions.second_files
    assert set(versions.first_files) <= set(versions.second_files)


# --------------------------------------------------------------------------- the server


@dataclass
class Held:
    """A calendar object on the server: the resource and its event's SEQUENCE."""

    resource: object
    sequence: int


def collection_maker(url: str):
    """make(staff id) -> a new calendar collection of that name, all through one client
    (as dav.caldav_calendar, without finding the principal again for every person)."""
    import caldav

    timeout = dav.REQUEST_TIMEOUT
    client = caldav.DAVClient(url=url, username="planner", password="x", timeout=timeout)
    principal = client.principal()
    return lambda name: principal.make_calendar(name=name, cal_id=name)


def single_events(path: Path) -> list[tuple[str, str, int, bool]]:
    """(UID, VCALENDAR text, SEQUENCE, cancelled) for each VEVENT of a person file."""
    found = []
    for uid, text in dav.resources(path):
        (event,) = Calendar.from_ical(text).walk("VEVENT")
        cancelled = str(event.get("STATUS", "")).upper() == "CANCELLED"
        found.append((uid, text, int(event.get("SEQUENCE", 0)), cancelled))
    return found


def server_state(calendar) -> dict[str, Held]:
    """The server's events by UID; one calendar object per UID."""
    get = getattr(calendar, "get_events", None) or calendar.events
    state: dict[str, Held] = {}
    for resource in get():
        events = Calendar.from_ical(resource.data).walk("VEVENT")
        assert len(events) == 1, f"{resource.url} holds {len(events)} events"
        uid = str(events[0]["UID"])
        assert uid not in state, f"UID {uid} twice on the server"
        state[uid] = Held(resource, int(events[0].get("SEQUENCE", 0)))
    return state


def import_file(calendar, path: Path) -> Counter:
    """Import a person file as a calendar app does; returns what it did, per kind."""
    add = getattr(calendar, "add_event", None) or calendar.save_event
    state = server_state(calendar)
    done: Counter = Counter()
    for uid, text, sequence, cancelled in single_events(path):
        held = state.get(uid)
        if cancelled:
            if held is not None and sequence > held.sequence:
                held.resource.delete()
                done["deleted"] += 1
            else:
                done["cancel ignored"] += 1  # nothing to remove, or not newer
        elif held is not None and sequence < held.sequence:
            done["outdated"] += 1
        else:
            try:
                add(text, increase_seqno=False)  # keep the file's SEQUENCE (caldav >= 2)
            except TypeError:
                add(text)
            done["updated" if held is not None else "created"] += 1
    return done


def live_in_file(path: Path) -> dict[str, int]:
    """UID -> SEQUENCE of the live (not cancelled) events of a file."""
    return {uid: seq for uid, _, seq, cancelled in single_events(path) if not cancelled}


def titles(schedule: dict) -> dict[str, str]:
    """task id -> the `[activity name] task name` its events are titled with."""
    names = {a["id"]: a["name"] for a in schedule["activities"]}
    return {t["id"]: f"[{names[t['activity']]}] {t['name']}" for t in schedule["tasks"]}


def check_calendar(calendar, who: str, schedule: dict, file: Path) -> set[str]:
    """Assert that the server calendar of `who` holds exactly their tasks of `schedule`:
    each task's events numbered 1..n, from its start to its end, in order and not
    overlapping; no stale event (of a task now someone else's or cancelled, or left with
    STATUS:CANCELLED); one event per UID; the same UIDs and SEQUENCEs as the live events of
    the person file. Returns the task ids found."""
    found = dav.stored(calendar)
    uids = [uid for uid, *_ in found]
    assert len(uids) == len(set(uids)), f"{who}: duplicated UIDs on the server"

    mine = {t["id"]: t for t in schedule["tasks"] if t["assignee"] == who}
    title = titles(schedule)
    events: dict[str, list[tuple[date, date, int, int]]] = defaultdict(list)
    stale = []
    for uid, start, end, summary, _, status in found:
        parts = SPLIT.fullmatch(summary)
        assert parts, summary
        last = end - timedelta(days=1)  # DTEND of an all-day event is exclusive
        owners = [
            i
            for i, t in mine.items()
            if title[i] == parts["title"] and day(t["start"]) <= start and last <= day(t["end"])
        ]
        if not owners or status.upper() == "CANCELLED":
            stale.append(f"{summary} {start}..{last} {status}")
            continue
        assert len(owners) == 1, f"{who}: {summary} {start}..{last} ({uid}) fits {owners}"
        number, count = int(parts["number"] or 1), int(parts["count"] or 1)
        events[owners[0]].append((start, last, number, count))

    assert not stale, f"{who}: stale events, of no live task of theirs: {stale}"
    assert sorted(events) == sorted(mine), (
        f"{who}: tasks missing {sorted(mine.keys() - events.keys())}"
    )
    for task_id, parts in events.items():
        parts.sort()
        count = parts[0][3]
        assert [(n, c) for *_, n, c in parts] == [(n, count) for n in range(1, count + 1)], (
            f"{who}: {task_id} events {parts}"
        )
        assert parts[0][0] == day(mine[task_id]["start"]), f"{who}: {task_id} {parts}"
        assert parts[-1][1] == day(mine[task_id]["end"]), f"{who}: {task_id} {parts}"
        assert all(a[1] < b[0] for a, b in pairwise(parts)), parts
    # the import itself: the server holds the file's live events, SEQUENCE as written
    assert {uid: seq for uid, *_, seq, _ in found} == live_in_file(file), who
    return set(events)


@dav.pytestmark
def test_person_calendars_on_the_server_follow_the_replan(radicale: str, versions: Versions):
    """Version 1's person files imported into one CalDAV collection per person, then version
    2's over them (by UID, cancelled events removing the server's): every person's calendar
    read back holds exactly their tasks of version 2's schedule.json, nothing stale, nothing
    duplicated; the person who left keeps only their finished tasks, the newcomer has the
    task handed over to them."""
    make = collection_maker(radicale)
    calendars = {}
    for who, path in versions.first_files.items():
        calendars[who] = make(who)
        assert import_file(calendars[who], path)["created"] > 0
    for who, path in versions.first_files.items():
        check_calendar(calendars[who], who, versions.first, path)

    imports = {}
    for who, path in versions.second_files.items():
        if who not in calendars:
            calendars[who] = make(who)
        imports[who] = import_file(calendars[who], path)

    found = {
        who: check_calendar(calendars[who], who, versions.second, path)
        for who, path in versions.second_files.items()
    }
    # the import removed events in several calendars and updated others in place
    assert imports[LEAVER]["deleted"] > 0, imports
    assert sum(done["deleted"] for done in imports.values()) > imports[LEAVER]["deleted"]
    assert sum(done["updated"] for done in imports.values()) > 0, imports
    everyone = [task_id for tasks in found.values() for task_id in tasks]
    assert sorted(everyone) == sorted(t["id"] for t in versions.second["tasks"])

    finished = {
        t["id"]
        for t in versions.first["tasks"]
        if t["assignee"] == LEAVER and day(t["end"]) < TODAY
    }
    assert found[LEAVER] == finished  # the leaver's calendar: their finished tasks only
    before = tasks_by_id(versions.first)
    handed = {i for i in found[NEWCOMER["id"]] if before[i]["assignee"] == LEAVER}
    assert any(day(before[i]["start"]) < TODAY for i in handed)  # the one under way
