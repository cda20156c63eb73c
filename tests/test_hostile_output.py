"""Hostile text in, safe files out (issue 11, classes 4, 6, 7 and 8), through the CLI.

4. Whatever `validate` accepts, `plan` exports: staff ids named like the team's and the
   activities' calendars, emails with line breaks, lone surrogates, control characters,
   mathtext, very long names. `export` of such a schedule.json too.
6. No formula anywhere: every text cell of every xlsx sheet is a text cell (one that looks
   like a formula carries Excel's quote prefix), and no cell of schedule.csv or changes.csv
   starts like a formula unless neutralised with `'`.
7. A broken schedule.json given to `export` is bad input: exit 2, one line per mistake naming
   the file and the key path, no traceback, nothing written, no folder made.
8. A file that cannot be written is named as the user knows it (the output file, not its
   staging copy or temporary file) with its output folder, also when the system names no
   file (a full disk).

Every output is checked the same way (`check_outputs`): each .ics parses with icalendar and
holds only the properties the exporter writes, on CRLF lines only; csv rows have the
header's width and no formula; no xlsx cell is a formula; gantt.html has one script element
and no event-handler attribute; schedule.json is UTF-8 JSON; gantt.png is a PNG.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import re
import sqlite3
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import Result
from conftest import crash_report, invoke_cli
from hypothesis import given, note
from hypothesis import strategies as st
from icalendar import Calendar
from openpyxl import load_workbook
from property_settings import SEED_NOTE, property_test

from scheduler.versions import atomic, history

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart.yaml"

# --- a small plan whose every free text can be replaced ---------------------------------------

TEXT_FIELDS = (
    "plan_name",
    "store_a",
    "store_b",
    "name_a",
    "name_b",
    "title_a",
    "title_b",
    "template_en",
    "template_zh",
    "step_en",
    "step_zh",
)
EMAIL_FIELDS = ("email_a", "email_b")
SAFE = {
    "plan_name": "Hostile shop",
    "store_a": "天猫旗舰店",
    "store_b": "京东店",
    "name_a": "王芳",
    "name_b": "李娜",
    "title_a": "春季特惠",
    "title_b": "秋季特惠",
    "template_en": "Sale",
    "template_zh": "特惠",
    "step_en": "Plan",
    "step_zh": "策划",
    "email_a": "wang.fang@example.com",
    "email_b": "li.na@example.com",
    "id_a": "wang_fang",
    "id_b": "li_na",
}

PLAN = """\
name: {plan_name}
start: 2026-03-01
end: 2026-03-31
language: zh
templates: [templates]
stores:
  - {{id: tmall, name: {store_a}}}
  - {{id: jd, name: {store_b}}}
staff:
  - {{id: {id_a}, name: {name_a}, email: {email_a}, roles: [operations]}}
  - {{id: {id_b}, name: {name_b}, email: {email_b}, roles: [design]}}
activities:
  - {{id: spring_sale, template: sale, start: 2026-03-20, title: {title_a}, store: tmall}}
  - {{id: autumn_sale, template: sale, start: 2026-03-27, title: {title_b}, store: jd}}
"""

TEMPLATE = """\
id: sale
name: {{en: {template_en}, zh: {template_zh}}}
kind: theme
live_days: 3
steps:
  - id: plan
    name: {{en: {step_en}, zh: {step_zh}}}
    role: operations
    duration: 2
    earliest: start-12d
    due: start-8d
  - id: poster
    name: {{en: Poster, zh: 海报}}
    role: design
    duration: 2
    after: [plan]
    due: start-4d
"""


def scalar(text: str) -> str:
    """`text` as a YAML double-quoted scalar: every character escaped as JSON writes it
    (JSON's escapes are YAML's), so a lone surrogate or a control character gets in whole."""
    return json.dumps(text, ensure_ascii=True)


def write_plan(folder: Path, **texts: str) -> Path:
    """The small plan (2 people, 2 stores, 2 activities of 2 steps) in `folder`, each text
    field replaced by the one given (ids and emails too)."""
    values = {**SAFE, **texts}
    quoted = {key: scalar(value) for key, value in values.items()}
    (folder / "templates").mkdir(parents=True, exist_ok=True)
    (folder / "templates" / "sale.yaml").write_text(TEMPLATE.format(**quoted), encoding="utf-8")
    plan = folder / "plan.yaml"
    plan.write_text(PLAN.format(**quoted), encoding="utf-8")
    return plan


def quickstart(folder: Path, *replacements: tuple[str, str]) -> Path:
    """A copy of examples/quickstart.yaml with each (old, new) text replaced once."""
    text = QUICKSTART.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    folder.mkdir(parents=True, exist_ok=True)
    plan = folder / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    return plan


# --- running the CLI ------------------------------------------------------------------------


def no_crash(result: Result) -> None:
    """The CLI handled whatever happened: no exception escaped, no traceback printed."""
    assert result.exception is None or isinstance(result.exception, SystemExit), crash_report(
        result
    )
    assert "Traceback" not in result.output, result.output


def cli(*args: str | Path) -> Result:
    result = invoke_cli(args)
    no_crash(result)
    return result


def plan_exports_what_validate_accepts(plan: Path, out: Path) -> Result:
    """`validate` then `plan`: accepted plans are planned and exported (0 or 4), refused ones
    are refused by `plan` too (2) with nothing written."""
    checked = cli("validate", plan)
    assert checked.exit_code in (0, 2), checked.output
    planned = cli("plan", plan, "--out", out, "--effort", "1")
    if checked.exit_code == 2:
        assert planned.exit_code == 2, planned.output
        assert not out.exists()
    else:
        assert planned.exit_code in (0, 4), planned.output
        check_outputs(out)
    return planned


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- what every output folder must be -------------------------------------------------------

CALENDAR_PROPERTIES = {
    "PRODID",
    "VERSION",
    "CALSCALE",
    "NAME",
    "X-WR-CALNAME",
    "X-WR-TIMEZONE",
    "REFRESH-INTERVAL",
    "X-PUBLISHED-TTL",
    "X-PROMO-PLAN",
}
EVENT_PROPERTIES = {
    "UID",
    "DTSTAMP",
    "SEQUENCE",
    "DTSTART",
    "DTEND",
    "SUMMARY",
    "DESCRIPTION",
    "CATEGORIES",
    "STATUS",
    "TRANSP",
    "PRIORITY",
    "ATTENDEE",
    "X-PROMO-REF",
    "X-PROMO-ASSIGNEE",
    "X-PROMO-FINGERPRINT",
}
ALARM_PROPERTIES = {"ACTION", "DESCRIPTION", "TRIGGER"}
TIMEZONE_PROPERTIES = {"TZID", "TZNAME", "TZOFFSETFROM", "TZOFFSETTO", "DTSTART", "RRULE", "RDATE"}
COMPONENT_PROPERTIES = {
    "VCALENDAR": CALENDAR_PROPERTIES,
    "VEVENT": EVENT_PROPERTIES,
    "VALARM": ALARM_PROPERTIES,
    "VTIMEZONE": TIMEZONE_PROPERTIES,
    "STANDARD": TIMEZONE_PROPERTIES,
    "DAYLIGHT": TIMEZONE_PROPERTIES,
}
EVERY_PROPERTY = set().union(*COMPONENT_PROPERTIES.values()) | {"BEGIN", "END"}
CONTENT_LINE = re.compile(r"([A-Z][A-Z0-9-]*)[;:]")


def check_calendar(path: Path) -> None:
    """An .ics file holds only the exporter's components and properties, one per CRLF line:
    no text can have smuggled in a line or a property."""
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    unfolded = re.sub(r"\r\n[ \t]", "", text)
    assert unfolded.endswith("\r\n"), path
    for line in unfolded.removesuffix("\r\n").split("\r\n"):
        assert "\r" not in line and "\n" not in line, f"{path.name}: a bare line break: {line!r}"
        found = CONTENT_LINE.match(line)
        assert found and found.group(1) in EVERY_PROPERTY, f"{path.name}: {line[:80]!r}"
    calendar = Calendar.from_ical(raw)
    for component in calendar.walk():
        allowed = COMPONENT_PROPERTIES.get(component.name)
        assert allowed is not None, f"{path.name}: component {component.name}"
        names = {name for name, _ in component.property_items(recursive=False)}
        extra = names - allowed - {"BEGIN", "END"}
        assert not extra, f"{path.name}: {component.name} has {extra}"
    for event in calendar.walk("VEVENT"):
        assert len(event.walk("VALARM")) <= 1


def formula_like(value: str) -> bool:
    """Whether a spreadsheet could read this text as a formula: its first character after
    spaces and invisible characters is = + - @ (or a full-width one), or it starts with a
    tab or a carriage return."""
    if value.startswith(("\t", "\r")):
        return True
    rest = re.sub(
        r"^[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+", "", value
    )
    return rest[:1] in {"=", "+", "-", "@", "＝", "＋", "－", "＠"}


def check_csv(path: Path) -> None:
    """UTF-8 with BOM, every row as wide as the header (a line break inside a cell is
    quoted), and no cell that starts like a formula unless it starts with `'`."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows, path
    for number, row in enumerate(rows):
        assert len(row) == len(rows[0]), f"{path.name} row {number}: {row}"
        for cell in row:
            assert not formula_like(cell), f"{path.name} row {number}: {cell[:80]!r}"


def check_xlsx(path: Path) -> None:
    """Every sheet: no formula cell; a text that starts like a formula is a text cell with
    Excel's quote prefix (so that editing it does not make it one either)."""
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Tasks", "Gantt", "People"]
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                where = f"{sheet.title}!{cell.coordinate}"
                assert cell.data_type != "f", f"{where}: formula {cell.value!r}"
                if isinstance(cell.value, str) and formula_like(cell.value):
                    assert cell.data_type in ("s", "inlineStr"), where
                    assert cell.quotePrefix, f"{where}: {cell.value[:80]!r} has no quote prefix"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts = 0
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        self.handlers += [f"<{tag} {name}>" for name, _ in attrs if name.startswith("on")]


def check_html(path: Path) -> None:
    """One script element (the page's own) and no event-handler attribute."""
    text = path.read_bytes().decode("utf-8")
    assert text.lower().count("<script") == 1, path
    tags = _Tags()
    tags.feed(text)
    tags.close()
    assert tags.scripts == 1, f"{path.name}: {tags.scripts} script elements"
    assert not tags.handlers, f"{path.name}: {tags.handlers[:3]}"


def check_outputs(out: Path) -> None:
    """Every file of the output folder is well formed and safe (see the module docstring)."""
    json.loads((out / "schedule.json").read_bytes().decode("utf-8"))
    calendars = sorted((out / "calendar").glob("*.ics"))
    assert {"team.ics", "activities.ics"} <= {p.name for p in calendars}
    for path in calendars:
        check_calendar(path)
    for name in ("schedule.csv", "changes.csv"):
        check_csv(out / name)
    check_xlsx(out / "schedule.xlsx")
    check_html(out / "gantt.html")
    assert (out / "gantt.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def team_events(out: Path) -> dict[str, dict[str, str]]:
    """team.ics's events by UID: their SEQUENCE, STATUS and assignee."""
    calendar = Calendar.from_ical((out / "calendar" / "team.ics").read_bytes())
    return {
        str(e["UID"]): {
            "sequence": str(e.get("SEQUENCE")),
            "status": str(e.get("STATUS")),
            "assignee": str(e.get("X-PROMO-ASSIGNEE")),
        }
        for e in calendar.walk("VEVENT")
    }


def sequences(folder: Path) -> dict[str, dict[str, tuple[int, str]]]:
    """Every calendar file's events: file name -> UID -> (SEQUENCE, STATUS)."""
    return {
        path.name: {
            str(e["UID"]): (int(e.get("SEQUENCE", 0)), str(e.get("STATUS")))
            for e in Calendar.from_ical(path.read_bytes()).walk("VEVENT")
        }
        for path in sorted(folder.glob("*.ics"))
    }


def person_events(path: Path) -> dict[str, str]:
    """A person file's events: UID -> STATUS."""
    calendar = Calendar.from_ical(path.read_bytes())
    return {str(e["UID"]): str(e.get("STATUS")) for e in calendar.walk("VEVENT")}


# --- 4. whatever validate accepts, plan exports ----------------------------------------------


@pytest.mark.parametrize("staff_id", ["team", "activities"])
def test_a_staff_id_named_like_a_shared_calendar_gets_its_own_file(tmp_path, staff_id):
    plan = write_plan(tmp_path, id_b=staff_id)
    out = tmp_path / "out"
    first = plan_exports_what_validate_accepts(plan, out)
    if first.exit_code == 2:  # the plan loader refuses the id: as good
        assert staff_id in first.output
        return
    folder = out / "calendar"
    own = folder / f"staff~{staff_id}.ics"
    team = team_events(out)
    mine = person_events(own)
    assert mine and set(mine) == {u for u, e in team.items() if e["assignee"] == staff_id}
    assert len(team) == 4  # team.ics is the team's: every task, not the person's file
    activities = Calendar.from_ical((folder / "activities.ics").read_bytes()).walk("VEVENT")
    assert len(activities) == 2  # the activities' live windows, not the person's tasks
    assert not any("X-PROMO-ASSIGNEE" in e for e in activities)
    before = sequences(folder)
    again = cli("plan", plan, "--out", out, "--effort", "1")
    assert again.exit_code == 0, again.output
    assert sequences(folder) == before  # read back as its state: no event changed or doubled
    exported = cli("export", out / "schedule.json", "--out", tmp_path / "exported")
    assert exported.exit_code == 0, exported.output
    assert person_events(tmp_path / "exported" / "calendar" / own.name) == mine


HOSTILE_CASES = {
    "email with CRLF and a property": {"email_b": "li.na@example.com\r\nX-INJECTED:1"},
    "email with LF, quote and angle": {"email_b": 'li"na@example.com\n<ATTENDEE:x>'},
    "staff id with a trailing line break": {"id_b": "li_na\n"},
    "lone surrogates": {"name_b": "李\ud800娜", "plan_name": "shop \udfff", "title_a": "\udc80"},
    "terminal escape and NUL": {"name_b": "李\x1b[31m娜\x00", "step_zh": "\x07策划\x08"},
    "C1 controls, DEL, non-characters": {"name_a": "\x85\x9b\x7f\ufffe\uffff王芳"},
    "mathtext in the chart": {"title_a": r"$\frac{$ sale", "name_b": "$x^$"},
    "bidi and line separators": {"plan_name": "\u202eshop\u2066\u2028next", "store_b": "\u200f"},
    "script and handler": {"title_b": "</script><script>alert(1)</script><b onclick=x>"},
    "longer than an Excel cell": {"title_a": "=" + "长" * 40000},
}


@pytest.mark.parametrize("texts", HOSTILE_CASES.values(), ids=HOSTILE_CASES.keys())
def test_plan_exports_every_text_that_validate_accepts(tmp_path, texts):
    out = tmp_path / "out"
    planned = plan_exports_what_validate_accepts(write_plan(tmp_path, **texts), out)
    if planned.exit_code == 2:
        return
    exported = cli("export", out / "schedule.json", "--out", tmp_path / "again")
    if "id_b" not in texts:  # a staff id that names no file is refused in a schedule.json
        assert exported.exit_code == 0, exported.output
        check_outputs(tmp_path / "again")


def test_an_email_with_a_line_break_adds_no_property(tmp_path):
    out = tmp_path / "out"
    email = "li.na@example.com\r\nX-INJECTED:1"
    if plan_exports_what_validate_accepts(write_plan(tmp_path, email_b=email), out).exit_code:
        return
    text = (out / "calendar" / "li_na.ics").read_text(encoding="utf-8")
    assert "\nX-INJECTED" not in text
    attendee = Calendar.from_ical(text).walk("VEVENT")[0]["ATTENDEE"]
    assert str(attendee) == "mailto:li.na@example.com%0D%0AX-INJECTED:1"


def test_export_of_a_schedule_with_hostile_texts(tmp_path):
    """schedule.json may hold any text a plan cannot (escapes JSON allows): export writes
    every file, and what cannot be written in a format is dropped or replaced there."""
    out = tmp_path / "out"
    assert cli("plan", write_plan(tmp_path), "--out", out, "--effort", "1").exit_code == 0
    data = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    nasty = "=\ud800\x00\x1b[2J\r\nX-INJECTED:1\u2028$\\frac{$</script><img onerror=x>"
    data["plan"] = nasty
    data["stores"] = [{"id": "tmall", "name": nasty}, {"id": "jd", "name": "-" + nasty}]
    for task in data["tasks"]:
        task["name"] = "@" + nasty
        task["role"] = "+" + nasty
    for activity in data["activities"]:
        activity["name"] = nasty * 3
        activity["kind"] = nasty
    for person in data["staff"]:
        person["name"] = "\t" + nasty
        person["email"] = "x@example.com" + nasty
    data["warnings"] = [nasty]
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps(data, ensure_ascii=True), encoding="ascii")
    again = tmp_path / "again"
    result = cli("export", hostile, "--out", again)
    assert result.exit_code == 0, result.output
    check_outputs(again)
    written = json.loads((again / "schedule.json").read_text(encoding="utf-8"))
    assert written["plan"] == nasty.replace("\ud800", "\ufffd")  # all but the surrogate kept


def test_a_schedule_longer_than_an_excel_sheet_is_exported(tmp_path):
    """A plan may span more days than a sheet has columns (16384): the Gantt sheet shows the
    first ones and says so; schedule.json, gantt.html and the calendars have them all."""
    out = tmp_path / "out"
    assert cli("plan", write_plan(tmp_path), "--out", out, "--effort", "1").exit_code == 0
    data = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    data["activities"][0]["end"] = "2086-03-22"  # live for 60 years
    long = tmp_path / "long.json"
    long.write_text(json.dumps(data), encoding="utf-8")
    result = cli("export", long, "--out", tmp_path / "again")
    assert result.exit_code == 0, result.output
    check_outputs(tmp_path / "again")
    gantt = load_workbook(tmp_path / "again" / "schedule.xlsx", read_only=True)["Gantt"]
    assert gantt.max_column == 16384
    assert "16384" in next(gantt.iter_rows(max_row=1))[0].value  # the note says why


# --- 6. no formula in any sheet or csv -------------------------------------------------------

HYPERLINK = '=HYPERLINK("http://evil.example/","click")'


def test_no_sheet_and_no_csv_holds_a_formula(tmp_path):
    plan = quickstart(
        tmp_path,
        ("name: 李娜", f"name: {scalar(HYPERLINK)}"),
        ("name: 陈静", "name: \"@SUM(1+1)*cmd|' /C calc'!A0\""),
        ("title: 春茶上新", 'title: "+HYPERLINK(\\"http://evil.example/\\")"'),
        ("title: 会员日", 'title: " =1+1"'),
        ("name: 小山茶铺 2026 春季", 'name: "-2+3 小山茶铺"'),
    )
    out = tmp_path / "out"
    planned = cli("plan", plan, "--out", out, "--effort", "1")
    assert planned.exit_code in (0, 4), planned.output
    check_outputs(out)
    workbook = load_workbook(out / "schedule.xlsx")
    gantt, people = workbook["Gantt"], workbook["People"]
    assignees = [c for c in gantt["C"] if c.value == HYPERLINK]
    assert assignees, "the Gantt sheet names the person as written"
    assert all(c.data_type == "s" and c.quotePrefix for c in assignees)
    activities = {c.value for c in gantt["A"] if isinstance(c.value, str)}
    assert any(v.startswith('+HYPERLINK("http://evil.example/")') for v in activities)
    names = {c.value: c for c in people["A"]}
    assert names[HYPERLINK].data_type == "s" and names[HYPERLINK].quotePrefix
    assert names["@SUM(1+1)*cmd|' /C calc'!A0"].quotePrefix
    tasks = workbook["Tasks"]
    assignee = next(c.column_letter for c in tasks[1] if c.value.split(" (")[0] == "assignee")
    assert any(c.value == HYPERLINK and c.quotePrefix for c in tasks[assignee])
    rows = list(csv.reader(io.StringIO((out / "schedule.csv").read_text("utf-8-sig"))))
    assert ["'" + HYPERLINK] in [[r[7]] for r in rows]  # neutralised with a quote in the csv


def test_changes_csv_neutralises_ids_and_reasons(tmp_path):
    """changes.csv's task and activity ids, and a reason that names a person, as text."""
    out = tmp_path / "out"
    assert cli("plan", write_plan(tmp_path), "--out", out, "--effort", "1").exit_code == 0
    data = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    starts = ["=1+1", "-2+3", "@SUM(A1)", "\t=1", " =1", "\uff1d1+1", "\u202e=1"]
    for index, task in enumerate(data["tasks"]):
        task["id"] = f"{starts[index % len(starts)]}/{index}"
        task["activity"] = starts[(index + 1) % len(starts)]
        task["after"] = []
    data["staff"][1]["name"] = HYPERLINK
    first = tmp_path / "first.json"
    first.write_text(json.dumps(data), encoding="utf-8")
    folder = tmp_path / "folder"
    assert cli("export", first, "--out", folder).exit_code == 0
    check_outputs(folder)
    added = list(csv.DictReader(io.StringIO((folder / "changes.csv").read_text("utf-8-sig"))))
    assert {row["change"] for row in added} == {"added"} and len(added) == len(data["tasks"])
    assert {row["task"][:1] for row in added} == {"'"}
    data["staff"] = data["staff"][:1]  # li_na leaves: her tasks go to wang_fang
    for task in data["tasks"]:
        task["assignee"] = data["staff"][0]["id"]
    second = tmp_path / "second.json"
    second.write_text(json.dumps(data), encoding="utf-8")
    assert cli("export", second, "--out", folder).exit_code == 0
    check_outputs(folder)
    moved = list(csv.DictReader(io.StringIO((folder / "changes.csv").read_text("utf-8-sig"))))
    reasons = {row["reason"] for row in moved if row["change"] == "reassigned"}
    assert reasons and all(r.startswith("'" + HYPERLINK) for r in reasons), reasons


# --- 7. a broken schedule.json is bad input --------------------------------------------------


@pytest.fixture(scope="module")
def good_schedule(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("good")
    planned = cli("plan", write_plan(folder), "--out", folder / "out", "--effort", "1")
    assert planned.exit_code == 0, planned.output
    return json.loads((folder / "out" / "schedule.json").read_text(encoding="utf-8"))


def _set(path: str, value: object):
    """A change of the schedule.json object: the value at `path` (keys and indexes joined by
    dots) set, or removed when `value` is REMOVE."""

    def change(data: dict) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for key in parents:
            data = data[key]
        if value is REMOVE:
            del data[last]
        else:
            data[last] = value

    return change


REMOVE = object()
BROKEN = {
    # name: (change of the object or the file's text, the line expected, its key path)
    "not JSON": ('{"format": 1, ', "line 1 column 15: not JSON: Expecting property name"),
    "empty file": ("", "line 1 column 1: not JSON: Expecting value"),
    "NaN": ('{"plan": NaN}', "not JSON: NaN is not a number JSON allows"),
    "nested too deeply": ("[" * 100000 + "]" * 100000, "not JSON: nested too deeply"),
    "list at top level": ("[1, 2]", "[1, 2]: not a schedule (a JSON object with format, plan"),
    "not UTF-8": (b'{"plan": "\xff"}', "byte 10: not UTF-8 text"),
    "a key missing": (_set("tasks.3.start", REMOVE), "tasks[3].start: missing (a date YYYY-MM-DD)"),
    "a bad date": (
        _set("tasks.3.start", "2027-13-01"),
        "tasks[3].start: 2027-13-01: not a date (YYYY-MM-DD)",
    ),
    "a date not written YYYY-MM-DD": (
        _set("tasks.0.due", "20260310"),
        "tasks[0].due: 20260310: not a date (YYYY-MM-DD)",
    ),
    "a date out of range": (
        _set("activities.1.end", "9999-12-31"),
        "activities[1].end: 9999-12-31: out of range (a date from 1900-01-01 to 2199-12-31)",
    ),
    "an assignee like ../x": (
        _set("tasks.1.assignee", "../x"),
        "tasks[1].assignee: ../x: not a staff id (an id: letters, digits",
    ),
    "a staff id with a line break": (
        _set("staff.0.id", "wang_fang\nX"),
        "staff[0].id: wang_fang\\nX: not a staff id",
    ),
    "tasks not a list": (_set("tasks", {"a": 1}), 'tasks: {"a": 1}: not a list (a JSON list)'),
    "a task not an object": (_set("tasks.2", "x"), "tasks[2]: x: not an object (a JSON object)"),
    "a load as text": (_set("tasks.0.load", "100"), "tasks[0].load: 100: not integer 1..100"),
    "a load true": (_set("tasks.0.load", True), "tasks[0].load: true: not integer 1..100"),
    "end before start": (_set("tasks.0.end", "2026-01-01"), "tasks[0].end: 2026-01-01: before"),
    "an unknown status": (_set("status", "great"), "status: great: unknown status"),
    "an unknown timezone": (
        _set("timezone", "../../etc/passwd"),
        "timezone: ../../etc/passwd: unknown timezone",
    ),
    "a duplicate task id": (
        lambda d: d["tasks"][1].update(id=d["tasks"][0]["id"]),
        "tasks[1].id: ",
    ),
    "a stretch outside its task": (
        _set("tasks.0.stretches", [["2020-01-01", "2020-01-02"]]),
        "tasks[0].stretches[0]: ",
    ),
    "a plan name not a text": (_set("plan", ["x"]), 'plan: ["x"]: not a text (a non-empty text)'),
}


def _broken_file(tmp_path: Path, data: dict, change) -> Path:
    path = tmp_path / "schedule.json"
    if isinstance(change, bytes):
        path.write_bytes(change)
    elif isinstance(change, str):
        path.write_text(change, encoding="utf-8")
    else:
        copy = json.loads(json.dumps(data))
        change(copy)
        path.write_text(json.dumps(copy, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "expected"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_schedule_json_is_bad_input_and_nothing_is_written(
    tmp_path, monkeypatch, good_schedule, change, expected
):
    monkeypatch.chdir(tmp_path)
    _broken_file(tmp_path, good_schedule, change)
    result = cli("export", "schedule.json", "--out", "out")
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"schedule.json: {expected}"), lines[0]
    assert len(lines[0]) < 700
    assert not (tmp_path / "out").exists()


def test_every_mistake_of_a_schedule_json_is_reported_at_once(tmp_path, good_schedule):
    data = json.loads(json.dumps(good_schedule))
    data["tasks"][3]["start"] = "2027-13-01"
    del data["tasks"][0]["assignee"]
    data["staff"][1]["capacity"] = 0
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = cli("export", path, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"{path}: tasks[0].assignee: missing (an id: letters, digits, '_', '.' and '-', "
        "starting with a letter or digit)",
        f"{path}: tasks[3].start: 2027-13-01: not a date (YYYY-MM-DD)",
        f"{path}: staff[1].capacity: 0: not integer 1..100 (an integer 1..100)",
    ]
    assert not (tmp_path / "out").exists()


def test_null_in_an_optional_field_is_taken_as_absent(tmp_path, good_schedule):
    data = json.loads(json.dumps(good_schedule))
    for key in ("language", "timezone", "activities", "stores", "warnings", "solver"):
        data[key] = None
    data["explanation"] = [{"term": None, "text": None}]
    for key in ("due", "earliest", "after", "stretches"):
        data["tasks"][0][key] = None
    data["staff"][0].update(email=None, roles=None)
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = cli("export", path, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    check_outputs(tmp_path / "out")


def test_a_broken_schedule_json_leaves_an_existing_folder_as_it_was(tmp_path, good_schedule):
    out = tmp_path / "out"
    good = tmp_path / "good.json"
    good.write_text(json.dumps(good_schedule), encoding="utf-8")
    assert cli("export", good, "--out", out).exit_code == 0
    before = files_of(out)
    bad = _broken_file(tmp_path, good_schedule, _set("tasks.1.assignee", "../x"))
    assert cli("export", bad, "--out", out).exit_code == 2
    assert files_of(out) == before
    assert not (tmp_path / "x.ics").exists() and not (out / "x.ics").exists()


# --- 8. a file that cannot be written is named as the user knows it ---------------------------


@pytest.fixture
def planned(tmp_path) -> tuple[Path, dict[str, bytes]]:
    """A folder holding one version, and its files."""
    out = tmp_path / "out"
    assert cli("plan", write_plan(tmp_path), "--out", out, "--effort", "1").exit_code == 0
    return out, files_of(out)


def _export_failing(out: Path) -> Result:
    result = cli("export", out / "schedule.json", "--out", out)
    assert result.exit_code == 2, result.output
    return result


def _left_as_it_was(out: Path, before: dict[str, bytes]) -> None:
    assert files_of(out) == before
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_a_file_that_cannot_be_made_is_named_not_its_temporary_file(planned, monkeypatch):
    out, before = planned
    real = tempfile.mkstemp

    def refuse(prefix="", suffix="", dir=None, **kw):
        if prefix.startswith(".activities.ics."):
            name = Path(dir, f"{prefix}yurk6s08{suffix}")
            raise PermissionError(errno.EACCES, "Permission denied", str(name))
        return real(prefix=prefix, suffix=suffix, dir=dir, **kw)

    changed = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    changed["activities"][0]["name"] = "改名"  # so that activities.ics is written again
    (out.parent / "changed.json").write_text(json.dumps(changed), encoding="utf-8")
    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    result = cli("export", out.parent / "changed.json", "--out", out)
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        f"{out}/calendar/activities.ics: Permission denied "
        f"(the output folder {out} is left as it was)"
    ]
    monkeypatch.undo()
    _left_as_it_was(out, before)


def test_a_full_disk_names_the_file_and_the_folder(planned, monkeypatch):
    out, before = planned
    real_mkstemp, real_fsync = tempfile.mkstemp, atomic.os.fsync
    making: list[str] = []

    def remember(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        making.append(name)
        return fd, name

    def full(fd):
        if ".schedule.xlsx." in making[-1]:
            raise OSError(errno.ENOSPC, "No space left on device")  # no file named
        return real_fsync(fd)

    monkeypatch.setattr(atomic.tempfile, "mkstemp", remember)
    monkeypatch.setattr(atomic.os, "fsync", full)
    result = _export_failing(out)
    assert result.output.splitlines() == [
        f"{out}/schedule.xlsx: No space left on device (the output folder {out} is left as it was)"
    ]
    monkeypatch.undo()
    _left_as_it_was(out, before)


def test_a_read_only_folder_is_named(planned, monkeypatch):
    out, before = planned
    from scheduler.versions import folder

    def read_only(path, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(folder, "open", read_only, raising=False)  # the lock file
    result = _export_failing(out)
    assert result.output.splitlines() == [
        f"{out}: Read-only file system (the output folder {out} is left as it was)"
    ]
    monkeypatch.undo()
    _left_as_it_was(out, before)


def test_a_folder_that_cannot_be_made_is_named(planned, monkeypatch, tmp_path):
    out, _ = planned
    target = tmp_path / "read-only" / "new"
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if self == target.parent:  # its parent is on a read-only disk
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    result = cli("export", out / "schedule.json", "--out", target)
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        f"{target.parent}: Read-only file system (the output folder {target} cannot be made)"
    ]
    assert not target.parent.exists()


def test_a_full_disk_while_writing_the_history_names_it(planned, monkeypatch):
    out, before = planned

    def full(*_args, **_kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(history, "append", full)
    result = _export_failing(out)
    assert result.output.splitlines() == [
        f"{out}/history.sqlite: database or disk is full (the output folder {out} is left as it "
        "was)"
    ]
    monkeypatch.undo()
    _left_as_it_was(out, before)


# --- any text in every free-text field -------------------------------------------------------

SPECIALS = (
    HYPERLINK,
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    " =1",
    "\uff1d1",
    "x\r=HYPERLINK(1)",
    "</script><script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "\r\nX-INJECTED:1",
    "\nATTENDEE:mailto:evil@example.com",
    "a;b,c:d\\e",
    "$\\frac{$",
    "\x1b[31m",
    "\x00",
    "\ud800",
    "\udfff\ud800",
    "\u202e\u2066\u200f",
    "a\u2028b\u2029c\x85",
    "\ufffe\uffff",
    "x" * 5000,
    "=" + "长" * 33000,
)
NASTY_CHARACTERS = st.sampled_from(
    list("\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\x9b\u2028\u2029\u202e\u200f\u2066\ufeff")
    + list("\ufffe\uffff\ud800\udbff\udc00\udfff=+-@\t\r\n\"'\\<>&;:,$%{}[]#|!*?")
)
HOSTILE_TEXT = st.one_of(
    st.text(st.one_of(st.characters(), NASTY_CHARACTERS), min_size=1, max_size=24),
    st.sampled_from(SPECIALS),
    st.tuples(st.sampled_from(SPECIALS), st.text(NASTY_CHARACTERS, max_size=6)).map("".join),
)
HOSTILE_EMAIL = st.one_of(HOSTILE_TEXT, HOSTILE_TEXT.map(lambda t: f"{t}@example.com"))


@property_test(local=30, ci=100)
@given(
    texts=st.fixed_dictionaries(
        {},
        optional={
            **dict.fromkeys(TEXT_FIELDS, HOSTILE_TEXT),
            **dict.fromkeys(EMAIL_FIELDS, HOSTILE_EMAIL),
        },
    )
)
def test_any_text_in_any_field_exports_safely_or_is_refused(texts):
    note(SEED_NOTE)
    note(f"texts: {texts!r}")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        planned = plan_exports_what_validate_accepts(write_plan(Path(folder), **texts), out)
        if planned.exit_code == 2:
            return
        again = Path(folder) / "again"
        exported = cli("export", out / "schedule.json", "--out", again)
        assert exported.exit_code == 0, exported.output
        check_outputs(again)
