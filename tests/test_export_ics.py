"""team.ics, <person>.ics and activities.ics (scheduler.export.ics), on a hand-built schedule.

The fixture has Chinese names, a task split by a weekend, a person with an email and one
without, a person and a task whose names hold commas, semicolons, quotes and a line break, a
late task and a person without tasks. Files are read back with `icalendar` and, independently,
with `vobject`. Regenerate the golden file with `UPDATE_GOLDEN=1 pytest tests/test_export_ics.py`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import time as time_module
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import vobject
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event

from scheduler.export.ics import CalendarStateError, activity_uid, task_uid, write_calendars
from scheduler.schedule import ActivityWindow, Person, Schedule, ScheduledTask
from scheduler.versions.atomic import write_bytes

GOLDEN = Path(__file__).parent / "golden" / "ics" / "team.ics"
STAMP = datetime(2027, 9, 1, 8, 0, tzinfo=UTC)
PLAN = "天猫旗舰店 2027"
D11 = "double_eleven@2027-10-20"
WEEKLY = "weekly_promo@2027-09-24"
PHOTOS_NAME = '商品图, 含"主图"; 白底\n细节图'
WANG_FANG = "王芳, 运营; 组"
D = date.fromisoformat


def _task(activity: str, step: str, name: str, role: str, who: str, dates: str, **extra):
    """A task of `activity` worked by `who` on `dates` ("first..last"), due on `extra["due"]`."""
    start, end = (D(d) for d in dates.split(".."))
    due = extra.pop("due", None)
    return ScheduledTask(
        id=f"{activity}/{step}",
        activity=activity,
        step=step,
        name=name,
        role=role,
        assignee=who,
        start=start,
        end=end,
        load=extra.pop("load", 100),
        due=D(due) if due else None,
        late_days=extra.pop("late_days", 0),
        stretches=extra.pop("stretches", ((start, end),)),
        working_days=extra.pop("working_days", (end - start).days + 1),
        **extra,
    )


def working_days_2027() -> list[date]:
    """Monday to Friday in September and October 2027, without National Day (1-7 October)."""
    day, days = date(2027, 9, 1), []
    while day <= date(2027, 10, 31):
        if day.weekday() < 5 and not date(2027, 10, 1) <= day <= date(2027, 10, 7):
            days.append(day)
        day += timedelta(days=1)
    return days


def sample_schedule() -> Schedule:
    """Two activities, four tasks (one split by the weekend of 25/26 September, one late)."""
    goals = f"{D11}/goals"
    split = ((D("2027-09-23"), D("2027-09-24")), (D("2027-09-27"), D("2027-09-28")))
    tasks = [
        _task(D11, "goals", "确定目标、主题与预算", "operations", "zhang_wei",
              "2027-09-20..2027-09-21", due="2027-09-24"),
        _task(D11, "design", "详情页设计", "design", "li_na", "2027-09-23..2027-09-28",
              due="2027-10-01", working_days=4, after=(goals,), stretches=split),
        _task(D11, "photos", PHOTOS_NAME, "operations", "wang_fang", "2027-09-27..2027-09-29",
              due="2027-09-24", late_days=5, load=50, after=(goals,)),
        _task(WEEKLY, "banner", "首页横幅", "design", "li_na", "2027-09-22..2027-09-22",
              due="2027-09-23"),
    ]  # fmt: skip
    return Schedule(
        plan=PLAN,
        status="feasible",
        tasks=tasks,
        activities=[
            ActivityWindow(
                D11, "double_eleven", "双十一", "festival", D("2027-10-20"), D("2027-11-11")
            ),
            ActivityWindow(
                WEEKLY, "weekly_promo", "周五上新", "weekly", D("2027-09-24"), D("2027-09-26")
            ),
        ],
        staff=[
            Person("zhang_wei", "张伟", ("operations",), email="zhang.wei@example.com"),
            Person("li_na", "李娜", ("design",)),
            Person("wang_fang", WANG_FANG, ("operations",), email="wang.fang@example.com"),
            Person("zhao_lei", "赵磊", ("design",)),
        ],
        language="zh",
        timezone="Asia/Shanghai",
    )


def export(schedule: Schedule, out: Path, **options) -> list[Path]:
    options.setdefault("working_days", working_days_2027())
    return write_calendars(schedule, out, stamp=STAMP, **options)


def read(path: Path) -> Calendar:
    return Calendar.from_ical(path.read_bytes())


def events(path: Path) -> dict[str, Event]:
    found = read(path).walk("VEVENT")
    uids = [str(e["UID"]) for e in found]
    assert len(uids) == len(set(uids)), f"duplicate UIDs in {path.name}"
    return dict(zip(uids, found, strict=True))


def day(event: Event, name: str) -> date:
    value = event.decoded(name)
    return value.date() if isinstance(value, datetime) else value


def with_task(schedule: Schedule, task_id: str, **changes) -> Schedule:
    tasks = [dataclasses.replace(t, **changes) if t.id == task_id else t for t in schedule.tasks]
    return dataclasses.replace(schedule, tasks=tasks)


@pytest.fixture
def schedule() -> Schedule:
    return sample_schedule()


@pytest.fixture
def calendar_dir(schedule: Schedule, tmp_path: Path) -> Path:
    export(schedule, tmp_path)
    return tmp_path / "calendar"


def test_writes_team_activities_and_one_file_per_person(schedule: Schedule, tmp_path: Path):
    written = export(schedule, tmp_path)
    folder = tmp_path / "calendar"
    assert written == [
        folder / "team.ics",
        folder / "activities.ics",
        *(folder / f"{who}.ics" for who in ["li_na", "wang_fang", "zhang_wei", "zhao_lei"]),
    ]
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in written)
    assert events(folder / "zhao_lei.ics") == {}  # a person without tasks still gets a file


def test_calendar_properties(calendar_dir: Path):
    for name, title in [("team", "团队"), ("activities", "活动日历"), ("zhang_wei", "张伟")]:
        cal = read(calendar_dir / f"{name}.ics")
        assert str(cal["VERSION"]) == "2.0"
        assert str(cal["PRODID"]).startswith("-//promo-scheduler//")
        assert str(cal["CALSCALE"]) == "GREGORIAN"
        assert cal["X-WR-CALNAME"].to_ical().decode() == f"{PLAN} · {title}"
        assert str(cal["X-WR-TIMEZONE"]) == "Asia/Shanghai"
        for event in cal.walk("VEVENT"):
            assert event.decoded("DTSTAMP") == STAMP
            assert event["SEQUENCE"] == 0


def test_files_are_for_import_not_itip_messages(calendar_dir: Path):
    """No METHOD (FORMAT.md section 6); the assignee is an ATTENDEE asked for no reply."""
    files = sorted(calendar_dir.iterdir())
    assert len(files) == 6
    for path in files:
        raw = path.read_bytes()
        assert "METHOD" not in read(path), path.name
        assert b"\r\nMETHOD" not in raw, path.name
        assert b"ORGANIZER" not in raw, path.name
    attendees = {}
    for uid, event in events(calendar_dir / "team.ics").items():
        if "ATTENDEE" in event:
            attendee = event["ATTENDEE"]
            assert attendee.params["PARTSTAT"] == "ACCEPTED"
            assert attendee.params.get("RSVP", "FALSE") == "FALSE"
            attendees[uid] = str(attendee)
    assert attendees == {
        task_uid(PLAN, f"{D11}/goals", 1): "mailto:zhang.wei@example.com",
        task_uid(PLAN, f"{D11}/photos", 1): "mailto:wang.fang@example.com",
    }


@pytest.mark.parametrize("reader", ["icalendar", "vobject"])
def test_each_task_has_its_events(schedule: Schedule, calendar_dir: Path, reader: str):
    """Every stretch is one all-day event with its UID, dates, title and attendee."""
    found = read_events(calendar_dir / "team.ics", reader)
    expected = {}
    for task in schedule.tasks:
        activity = "双十一" if task.activity == D11 else "周五上新"
        title = f"[{activity}] {task.name.replace(chr(10), ' ')}"
        for number, (first, last) in enumerate(task.stretches, start=1):
            n = len(task.stretches)
            summary = title if n == 1 else f"{title} ({number}/{n})"
            email = {"zhang_wei": "zhang.wei@example.com", "wang_fang": "wang.fang@example.com"}
            cn = {"zhang_wei": "张伟", "wang_fang": WANG_FANG}
            attendee = (
                (f"mailto:{email[task.assignee]}", cn[task.assignee])
                if (task.assignee in email)
                else None
            )
            uid = task_uid(PLAN, task.id, number)
            expected[uid] = (first, last + timedelta(days=1), summary, attendee)
    assert found == expected


def read_events(path: Path, reader: str) -> dict[str, tuple]:
    """UID -> (start, exclusive end, summary, (attendee, CN) or None), read by `reader`."""
    text = path.read_text(encoding="utf-8")
    found = {}
    if reader == "icalendar":
        for event in Calendar.from_ical(text).walk("VEVENT"):
            attendee = event.get("ATTENDEE")
            found[str(event["UID"])] = (
                event.decoded("DTSTART"),
                event.decoded("DTEND"),
                str(event["SUMMARY"]),
                (str(attendee), attendee.params["CN"]) if attendee is not None else None,
            )
    else:
        for event in vobject.readOne(text).vevent_list:
            attendees = event.contents.get("attendee", [])
            assert len(attendees) <= 1
            found[event.uid.value] = (
                event.dtstart.value,
                event.dtend.value,
                event.summary.value,
                (attendees[0].value, attendees[0].params["CN"][0]) if attendees else None,
            )
    return found


def test_split_task_shows_no_work_on_the_weekend(calendar_dir: Path):
    for event in events(calendar_dir / "team.ics").values():
        first, end = day(event, "DTSTART"), day(event, "DTEND")
        worked = [first + timedelta(days=i) for i in range((end - first).days)]
        assert all(d.weekday() < 5 for d in worked), str(event["SUMMARY"])
    design = events(calendar_dir / "li_na.ics")
    assert str(design[task_uid(PLAN, f"{D11}/design", 1)]["SUMMARY"]) == "[双十一] 详情页设计 (1/2)"
    assert str(design[task_uid(PLAN, f"{D11}/design", 2)]["SUMMARY"]) == "[双十一] 详情页设计 (2/2)"


def test_person_files_partition_team(schedule: Schedule, tmp_path: Path):
    """Live person events partition team.ics's live events; cancelled ones are per file."""
    export(schedule, tmp_path)
    export(with_task(schedule, f"{D11}/goals", assignee="wang_fang"), tmp_path)
    export(dataclasses.replace(schedule, tasks=schedule.tasks[1:]), tmp_path)  # goals leaves
    folder = tmp_path / "calendar"
    team = events(folder / "team.ics")
    union: Counter[str] = Counter()
    for person in sample_schedule().staff:
        for uid, event in events(folder / f"{person.id}.ics").items():
            assert event["X-PROMO-ASSIGNEE"].to_ical().decode() == person.id
            if not cancelled(event):
                union[uid] += 1
                assert event.to_ical() == team[uid].to_ical()
    assert union == Counter(uid for uid, event in team.items() if not cancelled(event))
    goals = task_uid(PLAN, f"{D11}/goals", 1)
    assert cancelled(team[goals])
    # cancelled in both files that had it, each with its own last version
    for who in ["zhang_wei", "wang_fang"]:
        assert cancelled(events(folder / f"{who}.ics")[goals]), who


def cancelled(event: Event) -> bool:
    return str(event.get("STATUS")) == "CANCELLED"


def test_description_and_late_task(calendar_dir: Path):
    team = events(calendar_dir / "team.ics")
    photos = team[task_uid(PLAN, f"{D11}/photos", 1)]
    text = str(photos["DESCRIPTION"])
    first_line, second_line = PHOTOS_NAME.splitlines()
    assert text.splitlines()[:3] == [
        f"活动：双十一 ({D11})",
        f"步骤：{first_line}",
        f"{second_line} (photos)",
    ]
    assert f"负责人：{WANG_FANG}" in text
    assert "截止：2027-09-24" in text
    assert "前置任务：确定目标、主题与预算" in text
    assert "投入：50%" in text
    assert text.endswith("状态：延误 5 天")
    assert photos["PRIORITY"] == 1
    assert photos.categories == ["节日大促"]  # the kind festival, in the plan's language
    goals = team[task_uid(PLAN, f"{D11}/goals", 1)]
    assert str(goals["DESCRIPTION"]).endswith("状态：按时")
    assert "PRIORITY" not in goals
    design2 = str(team[task_uid(PLAN, f"{D11}/design", 2)]["DESCRIPTION"])
    assert "本段：第 2/2 段，2027-09-27 至 2027-09-28" in design2
    assert "工作日：2027-09-23 至 2027-09-28，共 4 个工作日" in design2


def test_text_survives_escaping_and_folding(calendar_dir: Path):
    """Commas, semicolons, quotes, line breaks and Chinese text come back as written."""
    raw = (calendar_dir / "team.ics").read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")  # folding never splits a character
    team = events(calendar_dir / "team.ics")
    photos = team[task_uid(PLAN, f"{D11}/photos", 1)]
    assert str(photos["SUMMARY"]) == '[双十一] 商品图, 含"主图"; 白底 细节图'
    assert PHOTOS_NAME in str(photos["DESCRIPTION"])
    assert photos["ATTENDEE"].params["CN"] == WANG_FANG
    by_vobject = {e.uid.value: e for e in vobject.readOne(raw.decode()).vevent_list}
    assert PHOTOS_NAME in by_vobject[str(photos["UID"])].description.value


def test_alarm_on_the_working_day_before(schedule: Schedule, tmp_path: Path):
    export(schedule, tmp_path)
    team = events(tmp_path / "calendar" / "team.ics")
    goals = team[task_uid(PLAN, f"{D11}/goals", 1)]  # Monday 20 September
    (alarm,) = goals.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    # the Friday before at 09:00: 2 days and 15 hours before Monday 00:00
    assert alarm.decoded("TRIGGER") == timedelta(days=-3, hours=9)
    assert not team[task_uid(PLAN, f"{D11}/design", 2)].walk("VALARM")  # only the first part

    export(schedule, tmp_path / "plain", working_days=())  # no calendar: the day before
    team = events(tmp_path / "plain" / "calendar" / "team.ics")
    (alarm,) = team[task_uid(PLAN, f"{D11}/goals", 1)].walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(hours=-15)

    export(schedule, tmp_path / "quiet", alarm=False)
    raw = (tmp_path / "quiet" / "calendar" / "team.ics").read_bytes()
    assert b"VALARM" not in raw


def test_same_schedule_and_stamp_give_identical_bytes(schedule: Schedule, tmp_path: Path):
    export(schedule, tmp_path / "a")
    first = {p.name: p.read_bytes() for p in (tmp_path / "a" / "calendar").iterdir()}
    export(schedule, tmp_path / "a")  # again, over the earlier export
    export(sample_schedule(), tmp_path / "b")  # afresh
    for folder in ["a", "b"]:
        again = {p.name: p.read_bytes() for p in (tmp_path / folder / "calendar").iterdir()}
        assert again == first


def test_unchanged_files_are_not_rewritten(schedule: Schedule, tmp_path: Path):
    """A subscription server sees the same modification time when nothing changed."""
    export(schedule, tmp_path)
    files = sorted((tmp_path / "calendar").iterdir())
    before = [p.stat().st_mtime_ns for p in files]
    time_module.sleep(0.01)
    export(schedule, tmp_path)
    assert [p.stat().st_mtime_ns for p in files] == before


def test_unreadable_earlier_calendar_is_reported(schedule: Schedule, tmp_path: Path):
    team = tmp_path / "calendar" / "team.ics"
    write_bytes(team, b"not a calendar")
    with pytest.raises(CalendarStateError, match=r"team\.ics: not an iCalendar file"):
        export(schedule, tmp_path)
    assert team.read_bytes() == b"not a calendar"


def test_events_are_sorted_by_start_then_uid(calendar_dir: Path):
    found = read(calendar_dir / "team.ics").walk("VEVENT")
    keys = [(e.decoded("DTSTART"), str(e["UID"])) for e in found]
    assert keys == sorted(keys)


def test_uid_depends_on_plan_task_and_stretch_only(schedule: Schedule, tmp_path: Path):
    export(schedule, tmp_path / "a")
    day = D("2027-09-21")
    moved = with_task(
        schedule,
        f"{WEEKLY}/banner",
        assignee="zhao_lei",
        start=day,
        end=day,
        stretches=((day, day),),
    )
    export(moved, tmp_path / "b")
    uids_a = set(events(tmp_path / "a" / "calendar" / "team.ics"))
    assert uids_a == set(events(tmp_path / "b" / "calendar" / "team.ics"))
    assert task_uid(PLAN, "x/y", 1) == task_uid(PLAN, "x/y", 1)
    assert (
        len(
            {
                task_uid(PLAN, "x/y", 1),
                task_uid(PLAN, "x/y", 2),
                task_uid("other", "x/y", 1),
                activity_uid(PLAN, "x/y"),
            }
        )
        == 4
    )
    assert re.fullmatch(r"[0-9a-f]{32}@promo-scheduler", task_uid(PLAN, "x/y", 1))


def test_changing_one_task_bumps_only_its_sequence(schedule: Schedule, tmp_path: Path):
    export(schedule, tmp_path)
    later = with_task(
        schedule,
        f"{WEEKLY}/banner",
        start=D("2027-09-21"),
        end=D("2027-09-21"),
        stretches=((D("2027-09-21"), D("2027-09-21")),),
    )
    export(later, tmp_path)
    banner = task_uid(PLAN, f"{WEEKLY}/banner", 1)
    team = events(tmp_path / "calendar" / "team.ics")
    assert {uid: e["SEQUENCE"] for uid, e in team.items() if e["SEQUENCE"]} == {banner: 1}
    assert day(team[banner], "DTSTART") == D("2027-09-21")
    export(later, tmp_path)  # unchanged: keeps its SEQUENCE
    assert events(tmp_path / "calendar" / "team.ics")[banner]["SEQUENCE"] == 1
    assert events(tmp_path / "calendar" / "li_na.ics")[banner]["SEQUENCE"] == 1


def test_removed_task_stays_cancelled(schedule: Schedule, tmp_path: Path):
    export(schedule, tmp_path)
    goals = task_uid(PLAN, f"{D11}/goals", 1)
    without = dataclasses.replace(schedule, tasks=schedule.tasks[1:])
    for sequence in [1, 1]:  # cancelled once, then kept as it is
        export(without, tmp_path)
        for name in ["team.ics", "zhang_wei.ics"]:
            event = events(tmp_path / "calendar" / name)[goals]
            assert str(event["STATUS"]) == "CANCELLED"
            assert event["SEQUENCE"] == sequence
            assert day(event, "DTSTART") == D("2027-09-20")
            assert str(event["SUMMARY"]) == "[已取消] [双十一] 确定目标、主题与预算"
            assert not event.walk("VALARM")
    export(schedule, tmp_path)  # back again: a new version of the event
    event = events(tmp_path / "calendar" / "team.ics")[goals]
    assert (str(event["STATUS"]), event["SEQUENCE"]) == ("CONFIRMED", 2)
    assert str(event["SUMMARY"]) == "[双十一] 确定目标、主题与预算"


def test_task_split_later_keeps_its_first_event(schedule: Schedule, tmp_path: Path):
    banner = f"{WEEKLY}/banner"
    longer = with_task(
        schedule,
        banner,
        end=D("2027-09-27"),
        working_days=4,
        stretches=((D("2027-09-22"), D("2027-09-24")), (D("2027-09-27"), D("2027-09-27"))),
    )
    export(schedule, tmp_path)
    export(longer, tmp_path)
    team = events(tmp_path / "calendar" / "team.ics")
    assert team[task_uid(PLAN, banner, 1)]["SEQUENCE"] == 1
    assert team[task_uid(PLAN, banner, 2)]["SEQUENCE"] == 0
    export(schedule, tmp_path)
    team = events(tmp_path / "calendar" / "team.ics")
    assert team[task_uid(PLAN, banner, 1)]["SEQUENCE"] == 2
    assert str(team[task_uid(PLAN, banner, 2)]["STATUS"]) == "CANCELLED"


def test_reassigned_task_is_cancelled_in_the_old_persons_file(schedule: Schedule, tmp_path: Path):
    """li_na's banner goes to zhao_lei and back (FORMAT.md section 6, per person)."""
    folder = tmp_path / "calendar"
    banner = task_uid(PLAN, f"{WEEKLY}/banner", 1)
    export(schedule, tmp_path)
    assert events(folder / "li_na.ics")[banner]["SEQUENCE"] == 0
    to_zhao = with_task(schedule, f"{WEEKLY}/banner", assignee="zhao_lei")
    for _ in range(2):  # the second export changes nothing: every SEQUENCE is kept
        export(to_zhao, tmp_path)
        old, new = events(folder / "li_na.ics")[banner], events(folder / "zhao_lei.ics")[banner]
        assert (str(old["STATUS"]), old["SEQUENCE"]) == ("CANCELLED", 1)
        assert str(old["SUMMARY"]) == "[已取消] [周五上新] 首页横幅"
        assert day(old, "DTSTART") == D("2027-09-22")
        assert (str(new["STATUS"]), new["SEQUENCE"]) == ("CONFIRMED", 1)
        assert "负责人：赵磊" in str(new["DESCRIPTION"])
        assert events(folder / "team.ics")[banner].to_ical() == new.to_ical()
    export(schedule, tmp_path)  # back to li_na
    old, new = events(folder / "zhao_lei.ics")[banner], events(folder / "li_na.ics")[banner]
    assert (str(old["STATUS"]), old["SEQUENCE"]) == ("CANCELLED", 2)
    assert (str(new["STATUS"]), new["SEQUENCE"]) == ("CONFIRMED", 2)
    assert str(new["SUMMARY"]) == "[周五上新] 首页横幅"
    assert events(folder / "team.ics")[banner].to_ical() == new.to_ical()


def test_person_files_are_their_own_state_without_team_ics(schedule: Schedule, tmp_path: Path):
    """team.ics moved away (as its error message suggests): a person file still never
    lowers a SEQUENCE its subscribers saw, and keeps its cancelled events."""
    folder = tmp_path / "calendar"
    banner = task_uid(PLAN, f"{WEEKLY}/banner", 1)
    export(schedule, tmp_path)
    export(with_task(schedule, f"{WEEKLY}/banner", assignee="zhao_lei"), tmp_path)
    (folder / "team.ics").unlink()
    before = snapshot(folder)
    export(schedule, tmp_path)  # back to li_na, where it was cancelled with SEQUENCE 1
    back = events(folder / "li_na.ics")[banner]
    assert (str(back["STATUS"]), back["SEQUENCE"]) == ("CONFIRMED", 2)
    old = events(folder / "zhao_lei.ics")[banner]
    assert (str(old["STATUS"]), old["SEQUENCE"]) == ("CANCELLED", 2)
    for name, data in before.items():
        for earlier in Calendar.from_ical(data).walk("VEVENT"):
            now = events(folder / name)[str(earlier["UID"])]
            assert now["SEQUENCE"] >= earlier["SEQUENCE"], (name, str(now["SUMMARY"]))


def test_a_person_who_left_keeps_their_file(schedule: Schedule, tmp_path: Path):
    """wang_fang leaves: first her finished task stays hers, then it leaves the plan too."""
    folder = tmp_path / "calendar"
    photos = task_uid(PLAN, f"{D11}/photos", 1)
    export(schedule, tmp_path)
    staff = [p for p in schedule.staff if p.id != "wang_fang"]
    gone = dataclasses.replace(schedule, staff=staff)  # her task is still hers (it happened)
    written = export(gone, tmp_path)
    assert folder / "wang_fang.ics" in written
    assert str(events(folder / "wang_fang.ics")[photos]["STATUS"]) == "CONFIRMED"
    without = dataclasses.replace(gone, tasks=[t for t in gone.tasks if t.step != "photos"])
    for _ in range(2):
        written = export(without, tmp_path)
        assert folder / "wang_fang.ics" in written
        mine = events(folder / "wang_fang.ics")
        assert set(mine) == {photos}
        assert str(mine[photos]["STATUS"]) == "CANCELLED"
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in written)


def test_another_plans_person_file_is_left_alone(schedule: Schedule, tmp_path: Path):
    """A file in the folder that is no person file of this plan is neither state nor ours."""
    folder = tmp_path / "calendar"
    export(dataclasses.replace(schedule, plan="另一个计划"), tmp_path)
    stray = folder / "not_staff.ics"
    write_bytes(stray, (folder / "li_na.ics").read_bytes())
    write_bytes(folder / "notes.ics", b"not a calendar")
    written = export(schedule, tmp_path)
    assert stray not in written and folder / "notes.ics" not in written
    assert (folder / "notes.ics").read_bytes() == b"not a calendar"
    for path in written:
        assert {e["SEQUENCE"] for e in events(path).values()} <= {0}, path.name
        assert not any(cancelled(e) for e in events(path).values()), path.name


def test_unreadable_earlier_person_file_is_reported(schedule: Schedule, tmp_path: Path):
    li_na = tmp_path / "calendar" / "li_na.ics"
    write_bytes(li_na, b"not a calendar")
    with pytest.raises(CalendarStateError, match=r"li_na\.ics: not an iCalendar file"):
        export(schedule, tmp_path)
    assert li_na.read_bytes() == b"not a calendar"


def test_only_dtstamp_changed_keeps_every_sequence(schedule: Schedule, tmp_path: Path):
    """SEQUENCE follows the properties other than DTSTAMP and SEQUENCE, nothing else."""
    folder = tmp_path / "calendar"
    export(schedule, tmp_path)
    write_calendars(schedule, tmp_path, stamp=STAMP + timedelta(days=3),
                    working_days=working_days_2027())  # fmt: skip
    for path in folder.iterdir():
        for event in events(path).values():
            assert event.decoded("DTSTAMP") == STAMP + timedelta(days=3)
            assert event["SEQUENCE"] == 0, (path.name, str(event["SUMMARY"]))
    # an email is part of ATTENDEE: the events of that person change, in both files
    staff = [
        dataclasses.replace(p, email="zw@example.com") if p.id == "zhang_wei" else p
        for p in schedule.staff
    ]
    export(dataclasses.replace(schedule, staff=staff), tmp_path)
    goals = task_uid(PLAN, f"{D11}/goals", 1)
    for name in ["team.ics", "zhang_wei.ics"]:
        found = events(folder / name)
        assert {uid for uid, e in found.items() if e["SEQUENCE"]} == {goals}, name
        assert str(found[goals]["ATTENDEE"]) == "mailto:zw@example.com"


def test_stretches_come_from_the_working_days_when_missing(schedule: Schedule, tmp_path: Path):
    """A task without `stretches` is split where the plan calendar has days off."""
    export(with_task(schedule, f"{D11}/design", stretches=()), tmp_path)
    team = events(tmp_path / "calendar" / "team.ics")
    parts = [team[task_uid(PLAN, f"{D11}/design", n)] for n in (1, 2)]
    assert [(day(e, "DTSTART"), day(e, "DTEND")) for e in parts] == [
        (D("2027-09-23"), D("2027-09-25")),
        (D("2027-09-27"), D("2027-09-29")),
    ]


def test_several_stores_name_the_store(schedule: Schedule, tmp_path: Path):
    activities = [dataclasses.replace(a, store="tmall") for a in schedule.activities]
    stores = {"tmall": "天猫旗舰店", "jd": "京东自营店"}
    export(dataclasses.replace(schedule, activities=activities, stores=stores), tmp_path)
    goals = events(tmp_path / "calendar" / "team.ics")[task_uid(PLAN, f"{D11}/goals", 1)]
    assert str(goals["SUMMARY"]) == "[天猫旗舰店 · 双十一] 确定目标、主题与预算"
    assert "店铺：天猫旗舰店" in str(goals["DESCRIPTION"])
    d11 = events(tmp_path / "calendar" / "activities.ics")[activity_uid(PLAN, D11)]
    assert str(d11["SUMMARY"]) == "天猫旗舰店 · 双十一"


def test_activities_calendar(schedule: Schedule, tmp_path: Path):
    export(schedule, tmp_path)
    found = events(tmp_path / "calendar" / "activities.ics")
    d11 = found[activity_uid(PLAN, D11)]
    assert (day(d11, "DTSTART"), day(d11, "DTEND")) == (D("2027-10-20"), D("2027-11-12"))
    assert str(d11["SUMMARY"]) == "双十一"
    assert d11.categories == ["节日大促"]
    assert "上线：2027-10-20 至 2027-11-11，共 23 天" in str(d11["DESCRIPTION"])
    assert set(found) == {activity_uid(PLAN, D11), activity_uid(PLAN, WEEKLY)}

    later = dataclasses.replace(
        schedule, activities=[dataclasses.replace(schedule.activities[0], end=D("2027-11-12"))]
    )
    export(later, tmp_path)
    found = events(tmp_path / "calendar" / "activities.ics")
    assert found[activity_uid(PLAN, D11)]["SEQUENCE"] == 1
    assert (
        str(found[activity_uid(PLAN, WEEKLY)]["STATUS"]),
        found[activity_uid(PLAN, WEEKLY)]["SEQUENCE"],
    ) == ("CANCELLED", 1)


def test_timed_events_carry_the_plan_timezone(schedule: Schedule, tmp_path: Path):
    export(schedule, tmp_path, event_time=(time(9, 30), time(18, 30)))
    cal = read(tmp_path / "calendar" / "team.ics")
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    assert cal.get_missing_tzids() == set()
    design = {str(e["UID"]): e for e in cal.walk("VEVENT")}[task_uid(PLAN, f"{D11}/design", 2)]
    assert design["DTSTART"].params["TZID"] == "Asia/Shanghai"
    start, end = design.decoded("DTSTART"), design.decoded("DTEND")
    assert start.isoformat() == "2027-09-27T09:30:00+08:00"
    assert end.isoformat() == "2027-09-28T18:30:00+08:00"
    text = (tmp_path / "calendar" / "team.ics").read_text(encoding="utf-8")
    assert "DTSTART;TZID=Asia/Shanghai:20270927T093000" in text
    vcal = vobject.readOne(text)
    assert {e.dtstart.value.utcoffset() for e in vcal.vevent_list} == {timedelta(hours=8)}
    goals = {str(e["UID"]): e for e in cal.walk("VEVENT")}[task_uid(PLAN, f"{D11}/goals", 1)]
    (alarm,) = goals.walk("VALARM")  # Friday 09:00 before Monday 09:30
    assert alarm.decoded("TRIGGER") == -timedelta(days=3, minutes=30)


def test_switching_to_timed_events_updates_every_event(schedule: Schedule, tmp_path: Path):
    export(schedule, tmp_path)
    export(schedule, tmp_path, event_time=(time(9, 30), time(18, 30)))
    team = events(tmp_path / "calendar" / "team.ics")
    assert {e["SEQUENCE"] for e in team.values()} == {1}


def test_english_plan(schedule: Schedule, tmp_path: Path):
    export(dataclasses.replace(schedule, language="en"), tmp_path)
    cal = read(tmp_path / "calendar" / "team.ics")
    assert cal["X-WR-CALNAME"].to_ical().decode() == f"{PLAN} · Team"
    assert read(tmp_path / "calendar" / "activities.ics")["X-WR-CALNAME"].to_ical().decode() == (
        f"{PLAN} · Activities"
    )
    photos = events(tmp_path / "calendar" / "team.ics")[task_uid(PLAN, f"{D11}/photos", 1)]
    assert str(photos["DESCRIPTION"]).endswith("Status: late by 5 days")


def test_another_plans_calendar_is_not_taken_as_state(schedule: Schedule, tmp_path: Path):
    export(dataclasses.replace(schedule, plan="另一个计划"), tmp_path)
    export(schedule, tmp_path)
    team = events(tmp_path / "calendar" / "team.ics")
    assert {e["SEQUENCE"] for e in team.values()} == {0}
    assert all(str(e["STATUS"]) == "CONFIRMED" for e in team.values())


def test_staff_id_that_cannot_name_a_file_gets_an_escaped_file(schedule: Schedule, tmp_path: Path):
    """A person whose id is `team` cannot have calendar/team.ics: their file is
    staff~team.ics, and team.ics stays the team's file with every task."""
    bad = dataclasses.replace(schedule, staff=[*schedule.staff, Person("team", "Team", ("x",))])
    task = bad.tasks[0]
    bad = dataclasses.replace(
        bad, tasks=[dataclasses.replace(task, assignee="team"), *bad.tasks[1:]]
    )
    export(bad, tmp_path)
    folder = tmp_path / "calendar"
    team = Calendar.from_ical((folder / "team.ics").read_bytes())
    assert len(team.walk("VEVENT")) >= len(bad.tasks)
    person = Calendar.from_ical((folder / "staff~team.ics").read_bytes())
    uids = {str(e["UID"]) for e in person.walk("VEVENT")}
    assert uids and uids <= {str(e["UID"]) for e in team.walk("VEVENT")}
    mine = {task_uid(bad.plan, task.id, n) for n in range(1, len(task.stretches) + 1)}
    assert uids == mine


def golden_check(data: bytes, golden: Path) -> None:
    """`data` equals the golden file byte for byte (`UPDATE_GOLDEN=1` rewrites it)."""
    if os.environ.get("UPDATE_GOLDEN") == "1":
        write_bytes(golden, data)
    assert golden.exists(), f"{golden} is missing: run with UPDATE_GOLDEN=1 to create it"
    assert data == golden.read_bytes()


def test_golden_team_calendar(schedule: Schedule, tmp_path: Path):
    """The fixture's team.ics, byte for byte (`UPDATE_GOLDEN=1` rewrites the golden file)."""
    export(schedule, tmp_path)
    golden_check((tmp_path / "calendar" / "team.ics").read_bytes(), GOLDEN)


def test_golden_person_file_after_a_reassignment(schedule: Schedule, tmp_path: Path):
    """li_na.ics once her banner went to zhao_lei: its cancelled copy, byte for byte."""
    export(schedule, tmp_path)
    export(with_task(schedule, f"{WEEKLY}/banner", assignee="zhao_lei"), tmp_path)
    data = (tmp_path / "calendar" / "li_na.ics").read_bytes()
    golden_check(data, GOLDEN.parent / "li_na-after-reassignment.ics")


# ---------------------------------------------------------------- versions (FORMAT.md section 6)


def snapshot(folder: Path) -> dict[str, bytes]:
    """The calendar files of an output folder's calendar/ folder, by name."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.ics"))}


def content(event: Event) -> list[bytes]:
    """An event's content lines (unfolded, alarms included) but DTSTAMP and SEQUENCE."""
    lines = event.to_ical().replace(b"\r\n ", b"").split(b"\r\n")
    return [line for line in lines if not re.match(rb"(DTSTAMP|SEQUENCE)[;:]", line, re.I)]


def check_new_version(before: dict[str, bytes], folder: Path, live: dict[str, str]) -> None:
    """The rules of FORMAT.md section 6 between the calendar files `before` (a snapshot) and
    the files now in `folder`, whose live task events must be `live` (UID -> assignee)."""
    after = snapshot(folder)
    found = {}
    for name, data in after.items():
        calendar = Calendar.from_ical(data)
        assert "METHOD" not in calendar, name
        found[name] = events(folder / name)
    # the live events of the person files partition the live events of team.ics
    team = {uid: e for uid, e in found["team.ics"].items() if not cancelled(e)}
    assert {uid: str(e["X-PROMO-ASSIGNEE"]) for uid, e in team.items()} == live
    union: Counter[str] = Counter()
    for name, mine in found.items():
        if name in {"team.ics", "activities.ics"}:
            continue
        for uid, event in mine.items():
            assert str(event["X-PROMO-ASSIGNEE"]) == name.removesuffix(".ics"), (name, uid)
            if not cancelled(event):
                union[uid] += 1
                assert content(event) == content(team[uid]), (name, uid)
    assert union == Counter(list(team))
    assert {f"{who}.ics" for who in live.values()} <= set(after)
    # every file stays, every event stays in its file; SEQUENCE follows its content
    assert set(before) <= set(after), set(before) - set(after)
    for name, data in before.items():
        old_events = {str(e["UID"]): e for e in Calendar.from_ical(data).walk("VEVENT")}
        for uid, old in old_events.items():
            assert uid in found[name], f"{name}: {old['SUMMARY']} is gone"
            new = found[name][uid]
            if content(new) == content(old):
                assert new["SEQUENCE"] == old["SEQUENCE"], (name, str(new["SUMMARY"]))
            else:
                assert new["SEQUENCE"] > old["SEQUENCE"], (name, str(new["SUMMARY"]))
            # a task that left the plan, or this person, is cancelled here
            stays = uid in live and name in {"team.ics", f"{live[uid]}.ics"}
            if name != "activities.ics" and not stays:
                assert cancelled(new), (name, str(new["SUMMARY"]))


def live_events(schedule: Schedule) -> dict[str, str]:
    """UID -> assignee of every event a schedule's tasks must have live in team.ics."""
    return {
        task_uid(schedule.plan, task.id, n): task.assignee
        for task in schedule.tasks
        for n in range(1, len(task.stretches) + 1)
    }


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["reassign", "move", "remove", "restore", "email", "leave_staff"]),
        st.integers(0, 3),
        st.integers(-3, 3),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=EDITS)
def test_any_sequence_of_versions_follows_the_contract(edits: list[tuple[str, int, int]]):
    """Random re-plans of the fixture (people swapped, tasks moved, removed and back, an
    email changed, a person leaving the plan), each exported over the last: every version
    keeps the rules of FORMAT.md section 6 against the one before."""
    base = sample_schedule()
    people = [p.id for p in base.staff]
    current = sample_schedule()
    with tempfile.TemporaryDirectory() as out:
        folder = Path(out) / "calendar"
        export(current, Path(out))
        for kind, index, number in edits:
            task = base.tasks[index]
            if kind == "reassign" and task.id in {t.id for t in current.tasks}:
                who = people[(people.index(task.assignee) + number) % len(people)]
                current = with_task(current, task.id, assignee=who)
            elif kind == "move" and task.id in {t.id for t in current.tasks}:
                first = task.start + timedelta(days=7 * number)
                current = with_task(
                    current, task.id, start=first, end=first, stretches=((first, first),)
                )
            elif kind == "remove":
                tasks = [t for t in current.tasks if t.id != task.id]
                current = dataclasses.replace(current, tasks=tasks)
            elif kind == "restore" and task.id not in {t.id for t in current.tasks}:
                current = dataclasses.replace(current, tasks=[*current.tasks, task])
            elif kind == "email":
                staff = [
                    dataclasses.replace(p, email=f"{p.id}.{number}@example.com")
                    if p.id == people[index]
                    else p
                    for p in current.staff
                ]
                current = dataclasses.replace(current, staff=staff)
            elif kind == "leave_staff":
                staff = [p for p in current.staff if p.id != people[index]]
                current = dataclasses.replace(current, staff=staff)
            note(f"{kind} {task.id} {number}")
            before = snapshot(folder)
            export(current, Path(out))
            check_new_version(before, folder, live_events(current))


names = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task_name=names, person_name=names)
def test_any_name_reads_back(task_name: str, person_name: str):
    """Whatever the names, the file parses, the description holds them as written, and the
    file read back as export state gives the same file (no SEQUENCE raised)."""
    schedule = sample_schedule()
    schedule = with_task(schedule, f"{D11}/photos", name=task_name)
    schedule.staff[2] = dataclasses.replace(schedule.staff[2], name=person_name)
    with tempfile.TemporaryDirectory() as folder:
        export(schedule, Path(folder))
        raw = (Path(folder) / "calendar" / "team.ics").read_bytes()
        photos = events(Path(folder) / "calendar" / "team.ics")[task_uid(PLAN, f"{D11}/photos", 1)]
        vevents = vobject.readOne(raw.decode("utf-8")).vevent_list
        export(schedule, Path(folder))  # read back as export state: nothing changed
        again = (Path(folder) / "calendar" / "team.ics").read_bytes()
    assert again == raw
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert plain(task_name) in str(photos["DESCRIPTION"])
    assert str(photos["SUMMARY"]) == f"[双十一] {one_line(task_name)}"
    cn = one_line(person_name).replace('"', "'").replace("\\", "/")
    assert photos["ATTENDEE"].params.get("CN", "") == cn
    assert len(vevents) == 5


def plain(text: str) -> str:
    """What the export keeps of a text: line breaks made `\\n`, other controls dropped."""
    text = re.sub(r"\r\n|[\r\x85\u2028\u2029]", "\n", text)
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", text)


def one_line(text: str) -> str:
    """What a title or a display name keeps of a text."""
    return re.sub(r"\s*\n\s*", " ", plain(text)).strip()
