"""The bundled examples, planned through the command line and checked against FORMAT.md.

`plan` runs once per example and module (the yearly one takes seconds: marked slow, it
still runs in CI). Its schedule.json must obey rules 1-7 by tests/rules.py, the
independent checker; exit code and `status` must agree with the late days (section 7:
0 "every task on time", 4 "some tasks are late"; README "The objective": `optimal` once
proven, and a schedule without lateness proves itself); and every file section 6 lists
for a plan's output folder must exist and parse. The exports are tested in depth
elsewhere: here it is a light check that each file is what it says it is.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import icalendar
import openpyxl
import pytest
import rules
from conftest import REPO_ROOT, plan_into
from PIL import Image

EXAMPLES = REPO_ROOT / "examples"
BOM = b"\xef\xbb\xbf"


@dataclass
class Run:
    plan: Path
    out: Path
    exit_code: int
    output: str
    schedule: dict

    @property
    def tasks(self) -> list[dict]:
        return self.schedule.get("tasks") or []

    @property
    def late_tasks(self) -> list[dict]:
        return [t for t in self.tasks if t.get("late_days", 0) > 0]


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("quickstart.yaml", id="quickstart"),
        pytest.param("tmall-flagship-2027.yaml", id="tmall-2027", marks=pytest.mark.slow),
    ],
)
def planned(request, tmp_path_factory) -> Run:
    plan = EXAMPLES / request.param
    if request.param == "tmall-flagship-2027.yaml":  # planned once for the whole session
        run = request.getfixturevalue("yearly_planned")
    else:
        run = plan_into(plan, tmp_path_factory.mktemp(plan.stem) / "out")
    assert (run.out / "schedule.json").is_file(), run.output
    schedule = json.loads((run.out / "schedule.json").read_text(encoding="utf-8"))
    return Run(run.plan, run.out, run.exit_code, run.output, schedule)


# --------------------------------------------------------------------------- the schedule


def test_schedule_obeys_the_rules(planned):
    violations = rules.check_schedule(planned.plan, planned.schedule)
    assert violations == [], "\n".join(violations[:50])


def test_every_occurrence_is_planned(planned):
    """Not only a task set the checker accepts: the plan's occurrences, none dropped."""
    plan = rules.load_plan(planned.plan)
    assert plan.tasks, "the example implies no task"
    assert {t["activity"] for t in planned.tasks} == {o.id for o in plan.occurrences}


def test_exit_code_and_status_agree_with_the_late_days(planned):
    late_days = sum(t.get("late_days", 0) for t in planned.tasks)
    status = planned.schedule.get("status")
    if planned.late_tasks:
        assert planned.exit_code == 4, planned.output
        assert status in ("optimal", "feasible"), status
        for late in planned.late_tasks:  # "the late tasks and why are printed"
            assert late["id"] in planned.output, late["id"]
    else:
        assert planned.exit_code == 0, planned.output
        # No lateness is the bound 0 reached: proven optimal.
        assert status == "optimal", status
    if "late_days" in planned.schedule:  # the engine's total, where it writes one
        assert planned.schedule["late_days"] == late_days


# --------------------------------------------------------------------------- output files


def test_schedule_csv_is_one_row_per_task_with_a_bom(planned):
    raw = (planned.out / "schedule.csv").read_bytes()
    assert raw.startswith(BOM)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert all(len(row) == len(header) for row in body)
    assert sorted(row[0] for row in body) == sorted(t["id"] for t in planned.tasks), header[0]


def test_schedule_xlsx_has_its_sheets(planned):
    workbook = openpyxl.load_workbook(planned.out / "schedule.xlsx", read_only=True)
    try:
        assert {"Tasks", "Gantt", "People"} <= set(workbook.sheetnames), workbook.sheetnames
        header, *rows = list(workbook["Tasks"].iter_rows(values_only=True))
        column = [str(h).split(" (")[0] for h in header].index("task id")
        ids = sorted(str(row[column]) for row in rows if row and row[column] is not None)
        assert ids == sorted(t["id"] for t in planned.tasks)
        assert workbook["Gantt"].max_row > 1 and workbook["People"].max_row > 1
    finally:
        workbook.close()


def test_gantt_png_is_a_png(planned):
    with Image.open(planned.out / "gantt.png") as image:
        assert image.format == "PNG"
        assert image.width > 100 and image.height > 100
        image.verify()


class _Resources(HTMLParser):
    """The tags of an html page and the URLs its scripts, styles and images load."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.loads: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        values = dict(attrs)
        if tag in ("script", "img", "iframe") and values.get("src"):
            self.loads.append(values["src"])
        if tag == "link" and values.get("href"):
            self.loads.append(values["href"])


def test_gantt_html_loads_nothing_from_the_network(planned):
    page = _Resources()
    page.feed((planned.out / "gantt.html").read_text(encoding="utf-8"))
    assert {"html", "body"} <= page.tags
    remote = [url for url in page.loads if url.startswith(("http:", "https:", "//"))]
    assert remote == [], "the html must work offline"


def read_ics(path: Path) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    return list(calendar.walk("VEVENT"))


def live(events: list[icalendar.Event]) -> list[icalendar.Event]:
    return [e for e in events if str(e.get("STATUS", "")).upper() != "CANCELLED"]


def test_team_and_person_calendars_parse_and_hold_every_task(planned):
    folder = planned.out / "calendar"
    team = read_ics(folder / "team.ics")
    uids = [str(e["UID"]) for e in team]
    assert len(set(uids)) == len(uids), "UIDs repeat in team.ics"
    assert all(e.get("DTSTART") is not None and e.get("SUMMARY") for e in team)
    # One event per task, or one per stretch of consecutive working days.
    assert len(live(team)) >= len(planned.tasks)

    person_live = 0
    for person in sorted({t["assignee"] for t in planned.tasks}):
        events = read_ics(folder / f"{person}.ics")
        assert live(events), f"{person}.ics has no event"
        person_live += len(live(events))
    # The person files' live events partition the team file's (here: the counts add up).
    assert person_live == len(live(team))


def test_activities_calendar_has_one_event_per_occurrence(planned):
    events = read_ics(planned.out / "calendar" / "activities.ics")
    occurrences = rules.load_plan(planned.plan).occurrences
    assert len(live(events)) == len(occurrences)
    assert len({str(e["UID"]) for e in events}) == len(events)
