"""gantt.png and gantt.html (scheduler.export.gantt_png, gantt_html) on the hand-built schedule
of test_export_tables.py, and gantt.png's year overview on a larger one made from it.

The Chinese in gantt.png is checked against tofu (empty boxes) with a CJK font, which the
Debian package fonts-noto-cjk provides. Without one those tests are skipped, unless the
environment variable CI is set: then they fail, so that CI cannot pass with boxes for names.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass, replace
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from PIL import Image
from test_export_tables import sample_schedule

from scheduler.export.gantt_common import chart_rows, split_at_due
from scheduler.export.gantt_fonts import cjk_font_family
from scheduler.export.gantt_html import gantt_html, write_html
from scheduler.export.gantt_html_lanes import sub_lanes
from scheduler.export.gantt_overview_rows import overview_rows, person_rows
from scheduler.export.gantt_png import DETAIL_MAX_TASKS, DPI, png_bytes, uses_overview, write_png
from scheduler.export.gantt_tasks import task_figure
from scheduler.export.tables import OffDays, day_span
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


def require_cjk_family() -> str:
    """The CJK font family gantt.png uses; without one skip, or fail when CI is set."""
    family = cjk_font_family()
    if family is None:
        if os.environ.get("CI"):
            pytest.fail("no CJK font, but CI is set: install the Debian package fonts-noto-cjk")
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    return family


def test_a_cjk_font_is_found_and_draws_the_names() -> None:
    family = require_cjk_family()
    path = font_manager.findfont(font_manager.FontProperties(family=family))
    font = FT2Font(path)
    text = "".join(t.name for t in sample_schedule().tasks) + "李娜王芳小王延误上线期今天"
    missing = {ch for ch in text if ord(ch) > 0x2E80 and font.get_char_index(ord(ch)) == 0}
    assert not missing, f"{family} ({path}) lacks {missing}"


# Chinese characters (CJK ideographs): a name made of these is what shows as tofu.
IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Font:
    """A font file (and face of a collection) found for a family."""

    family: str
    path: str
    face: int

    def has_glyph(self, char: str) -> bool:
        ft2 = FT2Font(self.path, face_index=self.face) if self.face else FT2Font(self.path)
        return ft2.get_char_index(ord(char)) != 0


@dataclass(frozen=True)
class DrawnText:
    """One text of the chart: what it says, its font properties, its box in pixels (from the
    bottom left, as matplotlib gives it) and the fonts matplotlib tries for it, in order."""

    text: str
    props: FontProperties
    box: Bbox
    fonts: tuple[Font, ...]


@dataclass(frozen=True)
class DrawnChart:
    """The task chart of sample_schedule() drawn under a font family list, and its texts."""

    pixels: np.ndarray  # height x width x RGB
    texts: list[DrawnText]

    def text(self, text: str) -> DrawnText:
        found = [t for t in self.texts if t.text == text]
        assert len(found) == 1, f"{text!r} is drawn {len(found)} times"
        return found[0]


def font_chain(props: FontProperties) -> tuple[Font, ...]:
    """The fonts matplotlib's Agg renderer draws `props` with: one per family of the list, each
    found with fallback_to_default=False; a character comes from the first that has its glyph
    (and from matplotlib's Last Resort boxes when none has)."""
    chain = []
    for family in props.get_family():
        single = props.copy()
        single.set_family(family)
        try:
            path = font_manager.findfont(single, fallback_to_default=False)
        except ValueError:
            continue
        chain.append(Font(family, str(path), getattr(path, "face_index", 0)))
    return tuple(chain)


def font_for(char: str, chain: tuple[Font, ...]) -> Font | None:
    """The first font of the chain with a glyph for `char`, None when none has one (tofu)."""
    return next((font for font in chain if font.has_glyph(char)), None)


def chart_style(family: str | None) -> dict[str, object]:
    """The rc settings png_bytes draws the (small) task chart with, for a CJK family or None."""
    families = ["DejaVu Sans", family] if family else ["DejaVu Sans"]
    return {"font.family": families, "figure.dpi": DPI}


def agg_pixels(figure: Figure) -> tuple[np.ndarray, FigureCanvasAgg]:
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy(), canvas


def draw_task_chart(family: str | None) -> DrawnChart:
    """The chart of sample_schedule() as png_bytes draws it, keeping the figure's texts."""
    schedule = sample_schedule()
    span = day_span(schedule)
    assert span is not None and not uses_overview(schedule)
    with rc_context(chart_style(family)), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from font")
        figure = task_figure(schedule, span, TODAY, OffDays())
        pixels, canvas = agg_pixels(figure)
        renderer = canvas.get_renderer()
        texts = [
            DrawnText(
                t.get_text(),
                t.get_fontproperties(),
                t.get_window_extent(renderer),
                font_chain(t.get_fontproperties()),
            )
            for t in figure.findobj(Text)
            if t.get_visible() and t.get_text()
        ]
    return DrawnChart(pixels, texts)


@pytest.fixture(scope="module")
def gantt_png(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """gantt.png of sample_schedule() as write_png writes it, as RGB pixels."""
    require_cjk_family()
    path = tmp_path_factory.mktemp("png") / "gantt.png"
    write_png(sample_schedule(), path, today=TODAY)
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@pytest.fixture(scope="module")
def cjk_chart() -> DrawnChart:
    return draw_task_chart(require_cjk_family())


def test_png_chinese_names_are_drawn_with_a_font_that_has_their_glyphs(
    gantt_png: np.ndarray, cjk_chart: DrawnChart
) -> None:
    # The figure examined here is the one in gantt.png, pixel for pixel: so its texts' fonts
    # are the fonts gantt.png was drawn with.
    assert cjk_chart.pixels.shape == gantt_png.shape
    assert np.array_equal(cjk_chart.pixels, gantt_png), (
        "draw_task_chart no longer draws what write_png writes: the font check below would "
        "examine another picture (follow how gantt_png.png_bytes styles its figure)"
    )
    family = cjk_font_family()
    schedule = sample_schedule()
    names = [t.name for t in schedule.tasks] + [a.name for a in schedule.activities]
    chinese = [n for n in names if IDEOGRAPH.search(n)]
    assert len(chinese) == 7  # the sample's five task names and two activity names
    drawn = [t for t in cjk_chart.texts if IDEOGRAPH.search(t.text)]
    for name in chinese:
        assert any(name in t.text for t in drawn), f"{name!r} is not drawn in gantt.png"
    missing, used = [], set()
    for text in drawn:
        assert text.fonts, f"no font file found for {text.text!r} ({text.props})"
        for char in text.text:
            font = font_for(char, text.fonts)
            if font is None:
                missing.append((text.text, char))
            elif IDEOGRAPH.match(char):
                used.add(font.family)
    assert not missing, f"drawn as tofu (no font of the chain has the glyph): {missing}"
    assert used == {family}, f"Chinese drawn with {used}, expected the chosen {family}"


def label_window(chart: DrawnChart, text: str, size: tuple[int, int]) -> np.ndarray:
    """The pixels of a y-axis label: a window of `size` (rows, columns) centred vertically on
    the label and ending just right of it (the labels are right-aligned)."""
    box = chart.text(text).box
    height = chart.pixels.shape[0]
    middle = height - round((box.y0 + box.y1) / 2)
    right = int(np.ceil(box.x1)) + 1
    rows, columns = size
    top = middle - rows // 2
    return chart.pixels[top : top + rows, right - columns : right]


def same_length_labels() -> tuple[str, str]:
    """Two on-time task names of as many characters, all Chinese: as tofu they look alike."""
    names = [t.name for t in sample_schedule().tasks if t.late_days == 0]
    pairs = [
        (a, b)
        for a, b in itertools.combinations(names, 2)
        if len(a) == len(b) and a != b and all(map(IDEOGRAPH.match, a + b))
    ]
    assert pairs, "the sample schedule needs two on-time all-Chinese task names of one length"
    return pairs[0]


def test_png_chinese_task_labels_are_not_tofu(gantt_png: np.ndarray, cjk_chart: DrawnChart) -> None:
    first, second = same_length_labels()  # 商品拍摄, 上线检查
    tofu_chart = draw_task_chart(None)
    boxes = [c.text(n).box for c in (cjk_chart, tofu_chart) for n in (first, second)]
    size = (int(max(b.height for b in boxes)) + 4, int(max(b.width for b in boxes)) + 4)
    # Without a CJK font both labels are four identical boxes: the windows are equal.
    tofu = [label_window(tofu_chart, n, size) for n in (first, second)]
    assert np.array_equal(*tofu), "the control failed: tofu labels should look the same"
    # In gantt.png (pixel-identical to cjk_chart, see above) they are different glyphs.
    assert np.array_equal(cjk_chart.pixels, gantt_png)
    drawn = [label_window(cjk_chart, n, size) for n in (first, second)]
    assert all((window < 128).any() for window in drawn), "a label window has no ink"
    assert not np.array_equal(*drawn), f"{first} and {second} look alike in gantt.png: tofu"
    assert not np.array_equal(drawn[0], tofu[0]), f"{first} is drawn as in the tofu chart"


def draw_char(char: str, props: FontProperties, family: str | None) -> np.ndarray:
    """One character at 24 pt in a 48 x 48 px image, with the given properties and style."""
    with rc_context(chart_style(family)), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from font")
        figure = Figure(figsize=(0.48, 0.48))
        props = props.copy()
        props.set_size(24)
        figure.text(0.5, 0.5, char, fontproperties=props, ha="center", va="center")
        return agg_pixels(figure)[0]


def test_png_font_draws_distinct_chinese_characters(cjk_chart: DrawnChart) -> None:
    first, second = same_length_labels()
    a, b = first[0], second[0]  # two different ideographs: 商, 上
    assert a != b
    props = cjk_chart.text(first).props  # the task label's own font properties
    drawn = [draw_char(ch, props, cjk_font_family()) for ch in (a, b)]
    assert all((image < 128).any() for image in drawn), "nothing drawn"
    assert not np.array_equal(*drawn), f"{a} and {b} come out alike: the missing-glyph box"
    tofu_props = props.copy()
    tofu_props.set_family(["DejaVu Sans"])
    tofu = [draw_char(ch, tofu_props, None) for ch in (a, b)]
    assert np.array_equal(*tofu), "the control failed: missing glyphs should look the same"
    assert not np.array_equal(drawn[0], tofu[0])


def _drawn_axes(schedule: Schedule):
    """The axes of gantt.png's task chart of `schedule`, drawn, and its renderer."""
    span = day_span(schedule)
    assert span is not None and not uses_overview(schedule)
    with rc_context(chart_style(None)), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from font")
        figure = task_figure(schedule, span, None, OffDays())
        _, canvas = agg_pixels(figure)
    return figure.axes[0], canvas.get_renderer()


def _short_schedule(first: date, days: int) -> Schedule:
    """sample_schedule()'s tasks moved to lie within `days` days from `first`."""
    schedule = sample_schedule()
    start = min(t.start for t in schedule.tasks)
    factor = days / ((max(t.end for t in schedule.tasks) - start).days + 1)

    def move(day: date) -> date:
        return first + timedelta(days=int((day - start).days * factor))

    schedule.tasks = [
        replace(
            t,
            start=move(t.start),
            end=move(t.end),
            due=move(t.due) if t.due else None,
            stretches=((move(t.start), move(t.end)),),
        )
        for t in schedule.tasks
    ]
    schedule.activities = []
    return schedule


@pytest.mark.parametrize(
    ("first", "days"),
    [(date(2027, 4, 28), 12), (date(2027, 4, 27), 110), (date(2027, 5, 30), 40)],
)
def test_png_month_labels_do_not_overlap(first: date, days: int) -> None:
    """Short plans, and plans starting a few days before a month: no two date labels on one
    side of the plot overlap (month labels, and the Mondays' day numbers)."""
    axes, renderer = _drawn_axes(_short_schedule(first, days))
    ticks = axes.xaxis.get_major_ticks() + axes.xaxis.get_minor_ticks()
    labels = [
        (label.get_text(), label.get_window_extent(renderer))
        for tick in ticks
        for label in (tick.label1, tick.label2)
        if label.get_visible() and label.get_text()
    ]
    months = {text for text, _ in labels if "-" in text}
    assert f"{first + timedelta(days=10):%Y-%m}" in months
    assert len(labels) >= 4
    for (a, box_a), (b, box_b) in itertools.combinations(labels, 2):
        assert not box_a.overlaps(box_b), (a, b)


def test_png_due_ticks_do_not_strike_through_names() -> None:
    """The text beside a bar (its person, how late) starts right of the task's due tick."""
    schedule = sample_schedule()
    axes, renderer = _drawn_axes(schedule)
    first = day_span(schedule)[0]
    notes = [t for t in axes.texts if t.get_text()]
    assert len(notes) == len(schedule.tasks)
    rows = [r for r in chart_rows(schedule)]
    for text in notes:
        row = rows[round(text.get_position()[1])]
        assert row.task is not None
        box = text.get_window_extent(renderer)
        if row.task.due is not None:
            due_x = axes.transData.transform(((row.task.due - first).days + 1, 0))[0]
            assert box.x0 > due_x + 1, row.task.name
        end_x = axes.transData.transform(((row.task.end - first).days + 1, 0))[0]
        assert box.x0 > end_x


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


# ---------------------------------------------------------------- png: year overview


def large_schedule(copies: int = 40) -> Schedule:
    """The sample's two activities repeated `copies` times a week apart: 5 tasks each copy
    (one of them late), so 40 copies make 200 tasks in 80 activity occurrences."""
    base = sample_schedule()
    tasks, windows = [], []
    for n in range(copies):
        shift = timedelta(days=7 * n)
        ids = {w.id: f"{w.template}@{w.start + shift}" for w in base.activities}
        windows += [
            replace(w, id=ids[w.id], start=w.start + shift, end=w.end + shift)
            for w in base.activities
        ]
        tasks += [
            replace(
                t,
                id=f"{ids[t.activity]}/{t.step}",
                activity=ids[t.activity],
                start=t.start + shift,
                end=t.end + shift,
                due=t.due + shift if t.due else None,
                stretches=tuple((s + shift, e + shift) for s, e in t.stretches),
            )
            for t in base.tasks
        ]
    base.tasks, base.activities = tasks, windows
    return base


def test_large_schedules_get_a_year_overview_of_sane_size(tmp_path: Path) -> None:
    schedule = large_schedule()
    assert len(schedule.tasks) == 200 > DETAIL_MAX_TASKS
    assert uses_overview(schedule) and not uses_overview(sample_schedule())
    path = tmp_path / "gantt.png"
    write_png(schedule, path, today=date(2027, 7, 1))
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.verify()
    with Image.open(path) as image:
        width, height = image.size
        colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20) or []}
    assert 2400 <= width <= 3000
    # 80 activity rows and 3 people at about 20 px a row, not 280 task rows at 25 px
    assert 80 * 18 <= height <= 5000
    assert len(colours) > 50
    artifacts = Path(__file__).parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "overview-generated.png").write_bytes(path.read_bytes())


def test_overview_has_one_row_per_activity_with_all_its_tasks() -> None:
    schedule = large_schedule()
    rows = overview_rows(schedule)
    assert len(rows) == 80
    assert {r.activity for r in rows} == {t.activity for t in schedule.tasks}
    labels = [r.label for r in rows]
    assert labels[:3] == ["会员日 05-18", "会员日 05-25", "618 年中大促 06-01"]
    for window in schedule.activities:
        assert f"{window.name} {window.start:%m-%d}" in labels
    placed = sorted(t.id for r in rows for t in r.tasks)
    assert placed == sorted(t.id for t in schedule.tasks)
    assert sum(1 for r in rows if r.late_days > 0) == 40  # each copy's pricing is late
    for row in rows:  # tasks sharing a lane do not overlap
        for lane in set(row.lanes):
            tasks = sorted(
                (t for t, n in zip(row.tasks, row.lanes, strict=True) if n == lane),
                key=lambda t: t.start,
            )
            assert all(a.end < b.start for a, b in itertools.pairwise(tasks))


def test_overview_lists_activities_without_tasks_and_people_load() -> None:
    schedule = large_schedule(copies=25)
    extra = replace(schedule.activities[0], id="quiet@2027-06-03", name="静默日")
    schedule.activities.append(replace(extra, start=date(2027, 6, 3), end=date(2027, 6, 3)))
    labels = [r.label for r in overview_rows(schedule)]
    at = labels.index("静默日 06-03")  # among the others in order of first live day
    assert labels[at - 2 : at + 2] == [
        "618 年中大促 06-01",
        "会员日 06-01",
        "静默日 06-03",
        "618 年中大促 06-08",
    ]
    people = {p.person: p for p in person_rows(sample_schedule())}
    assert list(people) == ["li_na", "wang_fang", "xiao_wang"]
    li_na = people["li_na"].load
    assert li_na[date(2027, 5, 10)] == 50 and li_na[date(2027, 5, 13)] == 100
    assert date(2027, 5, 15) not in li_na  # the weekend inside 商品拍摄
    assert people["xiao_wang"].capacity == 80 and "80%" in people["xiao_wang"].label


def test_overview_is_deterministic_and_draws_without_a_cjk_font() -> None:
    schedule = large_schedule(copies=25)
    assert uses_overview(schedule)
    family = cjk_font_family()
    first = png_bytes(schedule, None, OffDays(), family)
    assert first == png_bytes(schedule, None, OffDays(), family)
    assert png_bytes(schedule, None, OffDays(), None).startswith(b"\x89PNG\r\n\x1a\n")


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
    assert len([b for b in bars if "over" in b["class"].split()]) == 1
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
    buttons = [a for tag, a in page.elements if tag == "button"]
    assert [b.get("data-zoom") for b in buttons if "data-zoom" in b] == [
        "year",
        "month",
        "week",
        "fit",
        "thisweek",
    ]
    assert [b["data-view"] for b in buttons if "data-view" in b] == ["activities", "people"]


def test_html_person_view_has_a_lane_per_person_with_their_tasks(page_text: str) -> None:
    page = Page(page_text)
    lanes = [a for a in page.with_class("lane")]
    assert [a["data-person"] for a in lanes] == ["li_na", "wang_fang", "xiao_wang"]
    bars = page.with_class("lbar")
    tasks = {t.id: t.assignee for t in sample_schedule().tasks}
    assert {b["data-task"] for b in bars} == set(tasks)
    # each bar in its person's lane (the bars follow their lane's element in the page)
    lane_of: dict[str, str] = {}
    current = None
    for _, attrs in page.elements:
        classes = attrs.get("class", "").split()
        if "lane" in classes:
            current = attrs["data-person"]
        elif "lbar" in classes:
            lane_of[attrs["data-task"]] = current
    assert lane_of == tasks
    # nobody here has two tasks at once: one sub-lane each
    assert all("--lanes:1" in a["style"] for a in lanes)


def test_sub_lanes_never_put_overlapping_tasks_together() -> None:
    schedule = sample_schedule()
    base = schedule.tasks[0]
    tasks = [
        replace(base, id="a", start=date(2027, 5, 3), end=date(2027, 5, 7)),
        replace(base, id="b", start=date(2027, 5, 5), end=date(2027, 5, 10)),
        replace(base, id="c", start=date(2027, 5, 8), end=date(2027, 5, 9)),
        replace(base, id="d", start=date(2027, 5, 10), end=date(2027, 5, 12)),
    ]
    assert sub_lanes(tasks) == {"a": 0, "b": 1, "c": 0, "d": 0}


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


# ---------------------------------------------- a font installed after matplotlib's cache

STRIP_CACHE = """
import json, sys
from pathlib import Path
from matplotlib import font_manager
from scheduler.export.gantt_fonts import _draws_chinese
cache = Path(sys.argv[1])
data = json.loads(cache.read_text(encoding="utf-8"))
data["ttflist"] = [
    e for e in data["ttflist"]
    if not (Path(e["fname"]).is_absolute() and _draws_chinese(e["fname"]))
]
cache.write_text(json.dumps(data), encoding="utf-8")
"""

FOUND_FONT = """
import json
from matplotlib import font_manager
from scheduler.export import gantt_fonts
before = gantt_fonts._known_family()
family = gantt_fonts.cjk_font_family()
file = family and font_manager.findfont(
    font_manager.FontProperties(family=family), fallback_to_default=False
)
print(json.dumps({"before": before, "family": family, "file": file}))
"""


def test_png_finds_a_cjk_font_installed_after_matplotlibs_cache(tmp_path: Path) -> None:
    """matplotlib's font cache is written before the CJK font is installed (here: the cache
    of a fresh MPLCONFIGDIR with its CJK fonts taken out, and a CJK font file copied into
    $XDG_DATA_HOME/fonts afterwards): gantt.png still finds a font with every Chinese
    character of the names, and `export` prints no warning."""
    source = require_cjk_family()
    source_file = font_manager.findfont(FontProperties(family=source), fallback_to_default=False)
    root = Path(__file__).parents[1]
    env = {
        **os.environ,
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }

    def python(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            check=False,
        )
        assert done.returncode in (0, 4), done.stderr[-3000:]
        return done

    python("-c", "import matplotlib.font_manager")  # the first run writes the cache
    (cache,) = (tmp_path / "mpl").glob("fontlist-*.json")
    python("-c", STRIP_CACHE, str(cache))
    fonts = tmp_path / "xdg" / "fonts"
    fonts.mkdir(parents=True)
    shutil.copyfile(source_file, fonts / Path(source_file).name)  # installed after the cache

    found = json.loads(python("-c", FOUND_FONT).stdout)
    assert found["before"] is None  # the cache does not know any CJK font
    assert found["family"] is not None and found["file"]
    charmap = FT2Font(found["file"]).get_charmap()
    schedule = sample_schedule()
    names = [schedule.plan, *(t.name for t in schedule.tasks), *(p.name for p in schedule.staff)]
    chinese = {ch for name in names for ch in name if re.match(r"[\u4e00-\u9fff]", ch)}
    assert len(chinese) > 10
    assert not [ch for ch in chinese if ord(ch) not in charmap]  # no tofu

    (tmp_path / "schedule.json").write_text(schedule.to_json(), encoding="utf-8")
    done = python("-m", "scheduler", "export", "schedule.json", "--out", "out")
    assert "warning" not in done.stderr, done.stderr
    with Image.open(tmp_path / "out" / "gantt.png") as image:
        assert image.format == "PNG"


def test_warnings_print_as_one_plain_line_once(capfd: pytest.CaptureFixture[str]) -> None:
    from scheduler.export.gantt_fonts import FontWarning
    from scheduler.terminal import plain_warnings

    with plain_warnings():
        for _ in range(3):
            warnings.warn("no CJK font found, boxes", FontWarning, stacklevel=1)
        warnings.warn("something else", UserWarning, stacklevel=1)
    err = capfd.readouterr().err
    assert err.splitlines() == ["warning: no CJK font found, boxes", "warning: something else"]


def test_a_large_chart_drawn_in_another_process_has_the_same_bytes(tmp_path, monkeypatch):
    import scheduler.export as export
    from scheduler.export.options import ExportOptions

    schedule = sample_schedule()
    monkeypatch.setattr(export, "DRAW_BESIDE_FROM", 10**9)  # drawn here
    here = export.export_all(schedule, tmp_path / "here", ExportOptions())
    monkeypatch.setattr(export, "DRAW_BESIDE_FROM", 0)  # drawn in a worker process
    there = export.export_all(schedule, tmp_path / "there", ExportOptions())
    assert [p.name for p in here] == [p.name for p in there]
    for a, b in zip(here, there, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    Image.open(tmp_path / "there" / "gantt.png").verify()  # a whole PNG


def test_the_exports_written_in_worker_processes_have_the_same_bytes(tmp_path):
    import scheduler.export as export
    from scheduler.executors import LocalProcesses
    from scheduler.export.options import ExportOptions

    schedule = sample_schedule()
    here = export.export_all(schedule, tmp_path / "here", ExportOptions())
    with LocalProcesses(2) as workers:  # gantt.png and schedule.xlsx written by workers
        there = export.export_all(schedule, tmp_path / "there", ExportOptions(), workers)
        assert workers._pool is not None, "the workers were used"
    assert [p.name for p in here] == [p.name for p in there]
    for a, b in zip(here, there, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    Image.open(tmp_path / "there" / "gantt.png").verify()
