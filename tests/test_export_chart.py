"""gantt.png and gantt.html (scheduler.export.chart) on the hand-built schedule of
test_export_tables.py."""

from __future__ import annotations

import io
import os
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from PIL import Image
from test_export_tables import sample_schedule

from scheduler.export.chart import (
    chart_rows,
    cjk_font_family,
    gantt_html,
    png_bytes,
    split_at_due,
    write_html,
    write_png,
)
from scheduler.export.tables import OffDays
from scheduler.schedule import Schedule

TODAY = date(2027, 5, 20)


class Page(HTMLParser):
    """The elements (tag, attributes) and the text of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def with_class(self, name: str) -> list[dict[str, str]]:
        return [a for _, a in self.elements if name in a.get("class", "").split()]


# ---------------------------------------------------------------- rows


def test_rows_group_tasks_under_their_activity() -> None:
    rows = chart_rows(sample_schedule())
    labels = [(r.task is None, r.label) for r in rows]
    assert labels[0] == (True, "会员日 05-18")
    assert labels[1] == (False, "会员日海报")
    assert labels[2] == (True, "618 年中大促 06-01")
    assert [r.task.step for r in rows[3:] if r.task] == ["photos", "copy", "pricing", "launch"]


def test_split_at_due_cuts_the_late_days() -> None:
    tasks = {t.step: t for t in sample_schedule().tasks}
    assert split_at_due(tasks["pricing"]) == [
        (date(2027, 5, 24), date(2027, 5, 25), False),
        (date(2027, 5, 26), date(2027, 5, 27), True),
    ]
    assert len(split_at_due(tasks["photos"])) == 2  # the weekend splits it


# ---------------------------------------------------------------- png


def test_a_cjk_font_is_found_and_draws_the_names() -> None:
    family = cjk_font_family()
    if family is None:
        if os.environ.get("CI"):
            pytest.fail("no CJK font: install the Debian package fonts-noto-cjk")
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    path = font_manager.findfont(font_manager.FontProperties(family=family))
    font = FT2Font(path)
    text = "".join(t.name for t in sample_schedule().tasks) + "李娜王芳小王延误上线期今天"
    missing = {ch for ch in text if ord(ch) > 0x2E80 and font.get_char_index(ord(ch)) == 0}
    assert not missing, f"{family} ({path}) lacks {missing}"


def test_png_is_a_sensible_image(tmp_path: Path) -> None:
    path = tmp_path / "gantt.png"
    write_png(sample_schedule(), path, today=TODAY)
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert 800 <= width <= 4000
    assert 300 <= height <= 2000
    artifacts = Path(__file__).parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "gantt-matplotlib.png").write_bytes(path.read_bytes())


def test_png_grows_with_the_number_of_tasks() -> None:
    small = sample_schedule()
    big = sample_schedule()
    big.tasks = big.tasks * 6
    sizes = []
    for schedule in (small, big):
        data = png_bytes(schedule, None, OffDays(), cjk_font_family())
        with Image.open(io.BytesIO(data)) as image:
            sizes.append(image.size[1])
    assert sizes[1] > sizes[0] + 25 * 6 * 4  # about 25 px a row


def test_png_without_a_cjk_font_still_draws(tmp_path: Path) -> None:
    data = png_bytes(sample_schedule(), TODAY, OffDays(), None)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")


def test_png_is_deterministic() -> None:
    family = cjk_font_family()
    first = png_bytes(sample_schedule(), TODAY, OffDays(), family)
    assert first == png_bytes(sample_schedule(), TODAY, OffDays(), family)


def test_png_of_an_empty_schedule(tmp_path: Path) -> None:
    path = tmp_path / "gantt.png"
    write_png(Schedule(plan="p", status="infeasible", tasks=[]), path, today=TODAY)
    with Image.open(path) as image:
        assert image.format == "PNG"


# ---------------------------------------------------------------- html


@pytest.fixture(scope="module")
def page_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("html") / "gantt.html"
    write_html(sample_schedule(), path, today=TODAY)
    return path.read_text(encoding="utf-8")


def test_html_contains_every_task_name(page_text: str) -> None:
    text = "".join(Page(page_text).text)
    for task in sample_schedule().tasks:
        assert task.name in text


def test_html_escapes_text(page_text: str) -> None:
    assert "&lt;草稿&gt; &amp; &quot;审核&quot;" in page_text
    assert "<草稿>" not in page_text
    assert "@小王" in page_text


def test_html_is_self_contained(page_text: str) -> None:
    page = Page(page_text)
    assert "http://" not in page_text and "https://" not in page_text
    assert all("src" not in attrs for tag, attrs in page.elements if tag == "script")
    assert not [attrs for tag, attrs in page.elements if tag == "link"]
    assert "@import" not in page_text and "url(" not in page_text
    assert [tag for tag, _ in page.elements].count("style") == 1


def test_html_bars_follow_the_stretches(page_text: str) -> None:
    page = Page(page_text)
    rows = {a["data-task"]: a for a in page.with_class("row") if "data-task" in a}
    assert len(rows) == 5
    assert "late" in rows["mid_year@2027-06-01/pricing"]["class"].split()
    bars = page.with_class("bar")
    # photos: two stretches; pricing: on time + late piece; the others one each
    assert len(bars) == 2 + 2 + 1 + 1 + 1
    assert len(page.with_class("over")) == 1
    assert "--s:3;--n:2" in bars[1]["style"]  # photos from 13 May (span starts 10 May)
    assert "负责人" not in bars[1]["title"] and "李娜" in bars[1]["title"]


def test_html_marks_windows_weekends_and_today(page_text: str) -> None:
    page = Page(page_text)
    assert len(page.with_class("golive")) == 2
    assert len(page.with_class("win")) == 5
    days = page.with_class("d")
    off = [a["title"] for a in days if "off" in a["class"].split()]
    assert off[:2] == ["2027-05-15", "2027-05-16"]
    assert len(off) == 10
    assert page.with_class("today")[0]["style"] == "--s:10"


def test_html_has_person_filter_and_zoom(page_text: str) -> None:
    page = Page(page_text)
    options = [a.get("value") for tag, a in page.elements if tag == "option"]
    assert options == ["", "li_na", "wang_fang", "xiao_wang"]
    assert len([a for tag, a in page.elements if tag == "button"]) == 4


def test_html_is_deterministic_and_english_without_zh() -> None:
    schedule = sample_schedule()
    assert gantt_html(schedule, today=TODAY) == gantt_html(schedule, today=TODAY)
    schedule.language = "en"
    assert "Activity / task" in gantt_html(schedule)


def test_html_of_an_empty_schedule(tmp_path: Path) -> None:
    path = tmp_path / "gantt.html"
    write_html(Schedule(plan="p & q", status="infeasible", tasks=[]), path)
    text = path.read_text(encoding="utf-8")
    assert "No tasks." in text and "p &amp; q" in text


def test_bare_contract_schedule(tmp_path: Path) -> None:
    """Only the contract's task fields: no activities, no staff, no stretches."""
    schedule = sample_schedule()
    schedule.activities, schedule.staff = [], []
    schedule.tasks = [replace(t, stretches=()) for t in schedule.tasks]
    write_png(schedule, tmp_path / "gantt.png")
    write_html(schedule, tmp_path / "gantt.html")
    page = Page((tmp_path / "gantt.html").read_text(encoding="utf-8"))
    assert len(page.with_class("bar")) == 6  # photos now one piece from 13 to 18 May
    assert "xiao_wang" in "".join(page.text)
