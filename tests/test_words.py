"""The team's words in both languages (issue 13 item 6).

A zh plan and an en plan, late (the designer is away), are planned, re-planned and explained
through the CLI; every output a person reads is read back with the real parsers (icalendar,
pandas, openpyxl, html.parser) and must speak the plan's language: role names, activity
kinds and yes/no in it, never a role key, a kind key or the other language's words, and
task names beside the task ids of every message. The machine-readable schedule.json keeps
the keys (and adds the role names). Every schedule is checked by tests/rules.py.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import rules
from conftest import crash_report, invoke_cli
from icalendar import Calendar
from openpyxl import load_workbook

ROLE_KEYS = ("operations", "design", "promotion", "customer_service")
KIND_KEYS = ("daily", "weekly", "monthly", "anniversary", "semiannual", "theme", "festival")
# The standard names the package ships (scheduler/data/roles.yaml), and the en plan's own.
ZH_ROLES = {"operations": "运营", "design": "美工", "promotion": "推广", "customer_service": "客服"}
EN_ROLES = {
    "operations": "Operations",
    "design": "Visual design",  # the en plan names this one itself: the plan's name wins
    "promotion": "Promotion",
    "customer_service": "Customer service",
}
ZH_KINDS = {"weekly": "周活动", "semiannual": "半年大促"}
EN_KINDS = {"weekly": "Weekly promotion", "semiannual": "Half-year sale"}
ZH_YES_NO = ("是", "否")
EN_YES_NO = ("yes", "no")
CHINESE_WORDS = (*ZH_ROLES.values(), "设计", *ZH_KINDS.values(), *ZH_YES_NO)

PLAN = """
name: 词语 LANGUAGE
start: 2026-03-01
end: 2026-05-31
language: LANGUAGE
calendar: {workdays: [mon, tue, wed, thu, fri], holidays: CN}
ROLES
staff:
  - {id: wang_fang, name: 王芳, roles: [operations]}
  - {id: zhao_lei, name: 赵磊, roles: [promotion, operations]}
  - {id: li_na, name: 李娜, roles: [design], leave: [{from: 2026-03-02, to: LEAVE_END}]}
  - {id: chen_jing, name: 陈静, roles: [customer_service], capacity: 50}
activities:
  - {template: weekly_promo, repeat: "FREQ=WEEKLY;BYDAY=FR;COUNT=2"}
  - {id: sale_618, template: mid_year_618, start: 2026-05-20, live_days: 5}
"""
EN_ROLE_LIST = "roles: [{id: design, name: {en: Visual design, zh: 视觉设计}}]"


def _plan_text(language: str, leave_end: str = "2026-03-09") -> str:
    roles = EN_ROLE_LIST if language == "en" else ""
    return (
        PLAN.replace("LANGUAGE", language).replace("ROLES", roles).replace("LEAVE_END", leave_end)
    )


class _Words:
    """What one language's outputs must and must not say."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.roles = ZH_ROLES if language == "zh" else EN_ROLES
        self.kinds = ZH_KINDS if language == "zh" else EN_KINDS
        self.yes_no = ZH_YES_NO if language == "zh" else EN_YES_NO
        # whole words (values, cells, words of a text) that must never be shown
        self.forbidden = (
            {*ROLE_KEYS, *KIND_KEYS, "yes", "no", "true", "false", "optimal", "feasible"}
            if language == "zh"
            else {*CHINESE_WORDS, "视觉设计", "Design"}
        )

    def bad_value(self, value: object) -> bool:
        """A whole value (a cell, a `key: value` line's value, a category) not allowed."""
        return str(value).strip() in self.forbidden

    def bad_words(self, text: str) -> list[str]:
        """The forbidden words found in a text (Chinese words anywhere, keys as words)."""
        if self.language == "en":
            return [w for w in self.forbidden if w != "Design" and w in text] + re.findall(
                r"\bDesign\b", text
            )
        return [w for w in self.forbidden if re.search(rf"(?<![\w@/]){w}(?![\w@/])", text)]


@pytest.fixture(scope="module", params=["zh", "en"])
def planned(request, tmp_path_factory) -> dict:
    """The plan planned (exit 4: late), then re-planned with a longer leave, explained and
    staffed; every schedule checked by the rules."""
    language = request.param
    folder = tmp_path_factory.mktemp(f"words_{language}")
    plan = folder / "plan.yaml"
    plan.write_text(_plan_text(language), encoding="utf-8")
    out = folder / "out"
    first = invoke_cli(["plan", plan, "--out", out, "--effort", "2", "--today", "2026-03-02"])
    assert first.exit_code == 4, crash_report(first)
    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    assert rules.check_schedule(plan, schedule) == []
    changed = folder / "changed.yaml"
    changed.write_text(_plan_text(language, "2026-03-10"), encoding="utf-8")
    second = invoke_cli(["replan", changed, "--out", out, "--today", "2026-03-02", "--effort", "2"])
    assert second.exit_code == 4, crash_report(second)
    replanned = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    assert rules.check_schedule(changed, replanned, today="2026-03-02") == []
    explained = invoke_cli(["explain", plan, "--effort", "2"])
    assert explained.exit_code == 4, crash_report(explained)
    staffing = invoke_cli(["staffing", plan, "--role", "design", "--effort", "2"])
    assert staffing.exit_code == 0, crash_report(staffing)
    calendar = invoke_cli(["calendar", plan])
    assert calendar.exit_code == 0, crash_report(calendar)
    return {
        "words": _Words(language),
        "out": out,
        "schedule": replanned,
        "plan": first.output,
        "replan": second.output,
        "explain": explained.output,
        "staffing": staffing.output,
        "calendar": calendar.output,
    }


def _events(out: Path):
    for file in sorted((out / "calendar").glob("*.ics")):
        calendar = Calendar.from_ical(file.read_bytes())
        for event in calendar.walk("VEVENT"):
            yield file.name, event


def _description(event) -> dict[str, str]:
    """The `key: value` lines of an event's DESCRIPTION, by key."""
    lines = str(event.get("DESCRIPTION", "")).splitlines()
    return dict(re.split(r"：|: ", line, maxsplit=1) for line in lines)


def test_calendar_descriptions_and_categories_speak_the_plan_language(planned):
    words: _Words = planned["words"]
    role_key, kind_key = ("角色", "类型") if words.language == "zh" else ("Role", "Kind")
    roles_seen, kinds_seen = set(), set()
    for name, event in _events(planned["out"]):
        fields = _description(event)
        for key, value in fields.items():
            value = re.sub(r"\s*\([^()]*\)$", "", value)  # the id beside a name
            assert not words.bad_value(value), f"{name}: {key}: {value}"
            assert not words.bad_words(value), f"{name}: {key}: {value}"
        if role_key in fields:
            roles_seen.add(fields[role_key])
        if kind_key in fields:
            kinds_seen.add(fields[kind_key])
        categories = event.get("CATEGORIES")
        for category in categories.cats if categories else []:
            assert category in words.kinds.values(), f"{name}: CATEGORIES:{category}"
            kinds_seen.add(category)
    assert roles_seen == set(words.roles.values())
    assert kinds_seen == set(words.kinds.values())


def _check_table(words: _Words, frame: pd.DataFrame, where: str) -> None:
    ids = [c for c in frame.columns if re.match(r"(task id|activity id|step|assignee id)", c)]
    for column in frame.columns:
        if column in ids:
            continue
        for value in frame[column].dropna():
            assert not words.bad_value(value), f"{where}: {column}: {value}"
            assert not words.bad_words(str(value)), f"{where}: {column}: {value}"
    role = next(c for c in frame.columns if c.startswith("role"))
    strict = next(c for c in frame.columns if c.startswith("strict"))
    assert set(frame[role]) == set(words.roles.values())
    assert set(frame[strict]) == set(words.yes_no)  # the 618 has a strict step


def test_csv_speaks_the_plan_language(planned):
    frame = pd.read_csv(planned["out"] / "schedule.csv", encoding="utf-8-sig", dtype=str)
    _check_table(planned["words"], frame, "schedule.csv")
    changes = pd.read_csv(planned["out"] / "changes.csv", encoding="utf-8-sig", dtype=str)
    names = {t["id"]: t["name"] for t in planned["schedule"]["tasks"]}
    assert len(changes) > 0
    for _, row in changes.iterrows():
        assert row["name"] == names[row["task"]], row.to_dict()


def test_every_xlsx_sheet_speaks_the_plan_language(planned):
    words: _Words = planned["words"]
    book = load_workbook(planned["out"] / "schedule.xlsx", read_only=True)
    assert {"Tasks", "Gantt", "People"} <= set(book.sheetnames)
    for sheet in book.worksheets:
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        if sheet.title == "Tasks":
            frame = pd.DataFrame(rows[1:], columns=rows[0])
            _check_table(words, frame, "schedule.xlsx Tasks")
            continue
        for row in rows:
            for value in row:
                if isinstance(value, str):
                    assert not words.bad_value(value), f"{sheet.title}: {value}"
                    assert not words.bad_words(value), f"{sheet.title}: {value}"


class _Text(HTMLParser):
    """The text a person sees in a page: its text and its tooltips (title attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.parts += [value or "" for name, value in attrs if name == "title"]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def test_gantt_html_speaks_the_plan_language(planned):
    words: _Words = planned["words"]
    reader = _Text()
    reader.feed((planned["out"] / "gantt.html").read_text(encoding="utf-8"))
    text = "\n".join(reader.parts)
    assert not words.bad_words(text), words.bad_words(text)
    for name in words.roles.values():  # each task's tooltip names its role
        assert name in text


def _table(output: str, first_header: str) -> list[list[str]]:
    """The rows of the text table whose header row starts with `first_header`."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [first_header])
    widths = [len(dash) for dash in lines[start + 1].split("  ")]
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip() or line.startswith(" "):
            break
        cells, at = [], 0
        for width in widths:  # CJK characters are two columns wide
            cell, used = "", 0
            while at < len(line) and used < width:
                used += 2 if "\u2e80" <= line[at] <= "\u9fff" else 1
                cell += line[at]
                at += 1
            cells.append(cell.strip())
            at += 2
        rows.append(cells)
    return rows


def test_terminal_tables_speak_the_plan_language(planned):
    words: _Words = planned["words"]
    staff = _table(planned["plan"], "人员" if words.language == "zh" else "person")
    expected = {
        "wang_fang": words.roles["operations"],
        "zhao_lei": f"{words.roles['promotion']}, {words.roles['operations']}",
        "li_na": words.roles["design"],
        "chen_jing": words.roles["customer_service"],
    }
    assert {row[1]: row[2] for row in staff} == expected
    role = "角色" if words.language == "zh" else "role"
    staffing = _table(planned["staffing"], role)[0]  # then a line explaining the columns
    assert staffing[0].startswith(words.roles["design"]), staffing
    assert staffing[3] in words.yes_no, staffing
    occurrences = _table(planned["calendar"], "start")[:-1]  # then "N occurrence(s)"
    kinds = {row[5] for row in occurrences}
    assert kinds == set(words.kinds.values())


def test_messages_name_tasks_beside_their_ids_and_roles_in_the_plan_language(planned):
    words: _Words = planned["words"]
    names = {t["id"]: t["name"] for t in planned["schedule"]["tasks"]}
    for command in ("plan", "replan", "explain"):
        text = planned[command]
        for task_id in set(re.findall(r"[\w:]+@\d{4}-\d\d-\d\d/\w+|sale_618/\w+", text)):
            assert f"{names[task_id]} ({task_id})" in text, f"{command}: {task_id}"
        header = "修改建议（" if words.language == "zh" else "Fixes, each checked"
        fixes = text.partition(header)[2]
        assert fixes or command != "explain", header  # explain checks fixes
        shown = [w for w in words.bad_words(fixes) if w not in ("yes", "no")]
        assert not shown, (command, shown, fixes)
    changed = "与上一版相比有变化的任务" if words.language == "zh" else "Changed against the"
    changes = planned["replan"].partition(changed)[2]
    kinds = ("换人", "改期") if words.language == "zh" else ("reassigned", "moved")
    assert any(kind in changes for kind in kinds), changes
    # the fix that adds a designer names the role, in the plan's language only
    design = words.roles["design"]
    more = f"增加一名{design}" if words.language == "zh" else f"one more person for {design}"
    assert more in planned["explain"] and " / " not in planned["explain"].partition(header)[2]


def test_schedule_json_keeps_keys_and_adds_role_names(planned):
    schedule = planned["schedule"]
    words: _Words = planned["words"]
    assert {t["role"] for t in schedule["tasks"]} == set(ROLE_KEYS)
    assert {a["kind"] for a in schedule["activities"]} == set(words.kinds)
    assert {r["id"]: r["name"] for r in schedule["roles"]} == words.roles
