"""Calendar updates through the command line (FORMAT.md section 6): plan, edit the plan,
plan again into the same folder, and read every .ics back with the icalendar parser.

What people who imported or subscribed to the files rely on: UIDs never change; an event
that changed gets a higher SEQUENCE and an unchanged one keeps it; an event that left a file
stays in it as STATUS:CANCELLED with a higher SEQUENCE (a reassigned task is cancelled in
the old person's file and live in the new person's); the live events of the person files
partition the live events of team.ics; no METHOD anywhere (import, not iTIP).

Everything is judged from the files: the events by UID, "changed" as the contract defines
it (a property other than DTSTAMP and SEQUENCE differs), and a task's events found in its
assignee's file by its dates from schedule.json (here nobody has two tasks at once).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest
from conftest import crash_report, invoke_cli

TEMPLATE = """\
id: sale
name: {en: Sale, zh: 特惠}
kind: theme
live_days: 3
steps:
  - id: plan
    name: {en: Plan, zh: 策划}
    role: operations
    duration: 2
    earliest: start-6wd
    due: start-4wd
  - id: poster
    name: {en: Poster, zh: 海报}
    role: design
    duration: 2
    after: [plan]
    due: start-1wd
"""

# Two operations people, one designer, two sales a week apart (Mon-Fri, no CN holiday in
# March 2026). Every step fits in the working days of one week, and a person's tasks never
# overlap (load 100, capacity 100).
PLAN = """\
name: Calendar update shop
start: 2026-03-01
end: 2026-03-31
language: en
templates: [templates]
calendar: {{holidays: CN}}
staff:
  - {{id: wang_fang, name: Wang Fang, email: wang.fang@example.com, roles: [operations]{wang_fang}}}
  - {{id: zhang_wei, name: Zhang Wei, email: zhang.wei@example.com, roles: [operations]{zhang_wei}}}
  - {{id: li_na, name: Li Na, roles: [design]{li_na}}}
activities:
  - {{id: sale_a, template: sale, start: 2026-03-20}}
{sale_b}"""
SALE_B = "  - {id: sale_b, template: sale, start: 2026-03-27}\n"
OPERATIONS = ("wang_fang", "zhang_wei")
# sale_a/plan may only run 03-12..03-16 (start-6wd..start-4wd)
SALE_A_PLAN_WINDOW = ("2026-03-12", "2026-03-16")


def plan_text(*, leave: dict[str, tuple[str, str]] | None = None, sale_b: bool = True) -> str:
    extra = {}
    for who in (*OPERATIONS, "li_na"):
        span = (leave or {}).get(who)
        extra[who] = f", leave: [{{from: {span[0]}, to: {span[1]}}}]" if span else ""
    return PLAN.format(**extra, sale_b=SALE_B if sale_b else "")


@dataclass
class Version:
    """One run's folder as read back: the schedule and every calendar file."""

    schedule: dict
    calendars: dict[str, icalendar.Calendar]  # file name -> parsed file
    raw: dict[str, bytes]

    def events(self, name: str) -> dict[str, icalendar.Event]:
        found: dict[str, icalendar.Event] = {}
        for event in self.calendars[name].walk("VEVENT"):
            uid = str(event["UID"])
            assert uid not in found, f"{name}: UID {uid} twice"
            found[uid] = event
        return found

    def live(self, name: str) -> dict[str, icalendar.Event]:
        return {uid: e for uid, e in self.events(name).items() if not cancelled(e)}

    def person_files(self) -> list[str]:
        return sorted(n for n in self.calendars if n not in {"team.ics", "activities.ics"})

    def task(self, task_id: str) -> dict:
        return next(t for t in self.schedule["tasks"] if t["id"] == task_id)

    def task_uids(self, task_id: str) -> set[str]:
        """The UIDs of a task's events: the live events of its assignee's file within its
        working days (one event, or one per stretch of consecutive days)."""
        task = self.task(task_id)
        first, last = date.fromisoformat(task["start"]), date.fromisoformat(task["end"])
        uids = {
            uid
            for uid, event in self.live(f"{task['assignee']}.ics").items()
            if first <= as_date(event["DTSTART"].dt)
            and as_date(event["DTEND"].dt) <= last + timedelta(days=1)
        }
        assert uids, f"no event of {task_id} in {task['assignee']}.ics"
        return uids


def placement(task: dict) -> tuple[str, str, str]:
    return task["start"], task["end"], task["assignee"]


def as_date(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def cancelled(event: icalendar.Event) -> bool:
    return str(event.get("STATUS", "")).upper() == "CANCELLED"


def sequence(event: icalendar.Event) -> int:
    return int(event.get("SEQUENCE", 0))


def content(event: icalendar.Event) -> list[tuple[str, bytes]]:
    """What the contract compares: every property (alarms included) but DTSTAMP and SEQUENCE."""
    return sorted(
        (name, value.to_ical() if hasattr(value, "to_ical") else str(value).encode())
        for name, value in event.property_items(recursive=True, sorted=False)
        if name not in {"DTSTAMP", "SEQUENCE"}
    )


def plan_into(folder: Path, out: Path, text: str) -> Version:
    (folder / "templates").mkdir(parents=True, exist_ok=True)
    (folder / "templates" / "sale.yaml").write_text(TEMPLATE, encoding="utf-8")
    plan = folder / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    result = invoke_cli(["plan", plan, "--out", out])
    assert result.exit_code == 0, crash_report(result)
    return read_version(out)


def read_version(out: Path) -> Version:
    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    raw = {p.name: p.read_bytes() for p in sorted((out / "calendar").glob("*.ics"))}
    calendars = {name: icalendar.Calendar.from_ical(data) for name, data in raw.items()}
    return Version(schedule, calendars, raw)


def sequences(version: Version) -> dict[str, dict[str, tuple[int, bool]]]:
    """file -> UID -> (SEQUENCE, cancelled)."""
    return {
        name: {uid: (sequence(e), cancelled(e)) for uid, e in version.events(name).items()}
        for name in version.calendars
    }


# --------------------------------------------------------------------------- the scenario


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Version]:
    """plan; then the person A who got sale_a/plan on leave over its whole window (it must
    go to the other one, B) and li_na on leave on sale_b/poster's first day (it must move);
    then the edited plan once more, unchanged."""
    base = tmp_path_factory.mktemp("updates")
    out = base / "out"
    first = plan_into(base / "v1", out, plan_text())
    a = first.task("sale_a/plan")["assignee"]
    poster = first.task("sale_b/poster")["start"]
    edited = plan_text(leave={a: SALE_A_PLAN_WINDOW, "li_na": (poster, poster)})
    second = plan_into(base / "v2", out, edited)
    third = plan_into(base / "v3", out, edited)
    return {"first": first, "second": second, "third": third}


def moved_from_to(runs: dict[str, Version]) -> tuple[str, str]:
    """A and B: who had sale_a/plan first, and who has it after the edit."""
    return (
        runs["first"].task("sale_a/plan")["assignee"],
        runs["second"].task("sale_a/plan")["assignee"],
    )


def test_the_edit_moves_what_it_must(runs):
    """The scenario itself, from schedule.json: the tests below depend on it."""
    first, second = runs["first"], runs["second"]
    a, b = moved_from_to(runs)
    assert a in OPERATIONS and b in OPERATIONS and a != b
    before, after = first.task("sale_b/poster"), second.task("sale_b/poster")
    assert (before["start"], before["end"]) != (after["start"], after["end"])
    assert before["assignee"] == after["assignee"] == "li_na"
    assert all(t["late_days"] == 0 for t in second.schedule["tasks"])


def test_no_file_has_a_method(runs):
    for label, version in runs.items():
        for name, calendar in version.calendars.items():
            assert "METHOD" not in calendar, f"{label} {name}"
            for component in calendar.walk():
                assert "METHOD" not in component, f"{label} {name} {component.name}"
            unfolded = version.raw[name].replace(b"\r\n ", b"").replace(b"\r\n\t", b"")
            assert not any(line.upper().startswith(b"METHOD") for line in unfolded.splitlines())


@pytest.mark.parametrize("label", ["first", "second", "third"])
def test_person_files_partition_the_live_team_events(runs, label):
    version = runs[label]
    team = version.live("team.ics")
    owners: dict[str, list[str]] = {}
    for name in version.person_files():
        for uid, event in version.live(name).items():
            owners.setdefault(uid, []).append(name)
            assert uid in team, f"{name}: live event {uid} is not live in team.ics"
            for prop in ("DTSTART", "DTEND", "SUMMARY"):
                assert event[prop].to_ical() == team[uid][prop].to_ical(), (name, uid, prop)
    assert {uid: len(files) for uid, files in owners.items()} == dict.fromkeys(team, 1), owners


def test_a_changed_event_gets_a_higher_sequence_an_unchanged_one_keeps_it(runs):
    """In every file, for every UID in both versions: the contract's "changed" (a property
    other than DTSTAMP and SEQUENCE differs) raises SEQUENCE, "unchanged" keeps it."""
    first, second = runs["first"], runs["second"]
    changed = unchanged = 0
    for name in first.calendars:
        old, new = first.events(name), second.events(name)
        assert set(old) <= set(new), f"{name}: events vanished instead of being cancelled"
        for uid in old:
            if content(old[uid]) == content(new[uid]):
                unchanged += 1
                assert sequence(new[uid]) == sequence(old[uid]), (name, uid)
            else:
                changed += 1
                assert sequence(new[uid]) > sequence(old[uid]), (name, uid)
    assert changed and unchanged


def test_a_task_with_other_dates_or_assignee_has_a_higher_sequence_in_team_ics(runs):
    first, second = runs["first"], runs["second"]
    team_before, team_after = first.events("team.ics"), second.events("team.ics")
    moved = []
    for task in second.schedule["tasks"]:
        if placement(first.task(task["id"])) == placement(task):
            continue
        moved.append(task["id"])
        uids = first.task_uids(task["id"]) & second.task_uids(task["id"])
        assert uids, f"{task['id']}: its events got new UIDs"
        for uid in uids:
            assert sequence(team_after[uid]) > sequence(team_before[uid]), task["id"]
            assert not cancelled(team_after[uid])
    assert {"sale_a/plan", "sale_b/poster"} <= set(moved)


def test_an_unchanged_task_keeps_sequence_0(runs):
    first, second = runs["first"], runs["second"]
    kept = [
        t["id"] for t in second.schedule["tasks"] if placement(t) == placement(first.task(t["id"]))
    ]
    assert "sale_a/poster" in kept  # its predecessor kept its dates, only its person changed
    zero = 0
    for task_id in kept:
        for uid in second.task_uids(task_id):
            before, after = first.events("team.ics")[uid], second.events("team.ics")[uid]
            if content(before) == content(after):
                assert sequence(before) == sequence(after) == 0, task_id
                zero += 1
    assert zero, f"no unchanged event among the unchanged tasks {kept}"


def test_the_reassigned_task_is_cancelled_for_the_old_person_and_live_for_the_new(runs):
    first, second = runs["first"], runs["second"]
    uids = first.task_uids("sale_a/plan")
    a, b = moved_from_to(runs)
    old_before = first.events(f"{a}.ics")
    old_after, new_after = second.events(f"{a}.ics"), second.events(f"{b}.ics")
    for uid in uids:
        assert not cancelled(old_before[uid])
        assert uid in old_after, "the old person's file must keep the event, cancelled"
        assert cancelled(old_after[uid])
        assert sequence(old_after[uid]) > sequence(old_before[uid])
        assert uid in new_after and not cancelled(new_after[uid])  # same UID, now B's
        assert uid not in first.events(f"{b}.ics")
    assert second.task_uids("sale_a/plan") == uids
    # and from the files alone: exactly these UIDs left A's file, for B's
    left = {u for u in first.live(f"{a}.ics") if u not in second.live(f"{a}.ics")}
    assert left == uids and left <= set(second.live(f"{b}.ics"))


def test_the_unchanged_plan_again_changes_no_sequence(runs):
    assert sequences(runs["third"]) == sequences(runs["second"])


def test_planning_the_same_plan_twice_keeps_every_sequence_0(tmp_path):
    out = tmp_path / "out"
    first = plan_into(tmp_path / "a", out, plan_text())
    again = plan_into(tmp_path / "b", out, plan_text())
    assert sequences(again) == sequences(first)
    assert {s for files in sequences(again).values() for s in files.values()} == {(0, False)}


def test_a_removed_activity_is_cancelled_not_dropped(tmp_path):
    out = tmp_path / "out"
    first = plan_into(tmp_path / "a", out, plan_text())
    second = plan_into(tmp_path / "b", out, plan_text(sale_b=False))
    assert {t["activity"] for t in second.schedule["tasks"]} == {"sale_a"}
    gone = first.task_uids("sale_b/plan") | first.task_uids("sale_b/poster")
    team_before, team_after = first.events("team.ics"), second.events("team.ics")
    for uid in gone:
        assert uid in team_after, "a task that left the plan stays in team.ics"
        assert cancelled(team_after[uid])
        assert sequence(team_after[uid]) > sequence(team_before[uid])
    assert set(second.live("team.ics")) == set(team_before) - gone
    for name in first.person_files():  # and in the person files that had them
        for uid in gone & set(first.events(name)):
            assert cancelled(second.events(name)[uid]), name
    # the activity's own live window in activities.ics, too
    windows_before, windows_after = first.events("activities.ics"), second.events("activities.ics")
    dropped = set(windows_before) - set(second.live("activities.ics"))
    assert len(dropped) == 1
    (window,) = dropped
    assert cancelled(windows_after[window])
    assert sequence(windows_after[window]) > sequence(windows_before[window])
    # a later version still carries the cancelled events, with the same SEQUENCE
    third = plan_into(tmp_path / "c", out, plan_text(sale_b=False))
    assert sequences(third) == sequences(second)
