"""gantt.png: the Gantt chart as one image (matplotlib, Agg), Chinese drawn with a CJK font.

A schedule of up to DETAIL_MAX_TASKS tasks is drawn one row per task (`gantt_tasks`); a
larger one, such as a year of promotions, as a year overview with one row per activity and
one per person (`gantt_overview`), which stays a readable size and is quick to draw.

Every text is drawn as written, never as mathtext (a `$` is a dollar sign), on one line,
without control characters, and cut at `cells.CHART_LIMIT` characters
(`scheduler.export.cells.chart_text`).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from scheduler.export.cells import chart_text
from scheduler.export.gantt_common import words
from scheduler.export.gantt_fonts import FontWarning, cjk_font_family, has_cjk
from scheduler.export.gantt_overview import overview_figure
from scheduler.export.gantt_tasks import task_figure
from scheduler.export.tables import OffDays, day_span, off_days
from scheduler.schedule import Schedule
from scheduler.versions.atomic import write_bytes

DPI = 100
COMPRESS_LEVEL = 3  # zlib: 1 fastest .. 9 smallest
DETAIL_MAX_TASKS = 120  # more tasks than this: the year overview


def write_png(
    schedule: Schedule,
    path: str | Path,
    *,
    today: date | None = None,
    working_days: Sequence[date] = (),
) -> None:
    """Write `gantt.png`: the Gantt chart as an image, Chinese drawn with a CJK font.

    Without a CJK font the default font is used and a FontWarning says so.
    """
    family = cjk_font_family()
    if family is None and has_cjk(schedule):
        warnings.warn(
            "no CJK font found, Chinese text in gantt.png will show as boxes (install the "
            "Debian package fonts-noto-cjk, or promo-scheduler[cjk] for a font from PyPI)",
            FontWarning,
            stacklevel=2,
        )
    write_bytes(path, png_bytes(schedule, today, off_days(schedule, working_days), family))


def uses_overview(schedule: Schedule) -> bool:
    """Whether gantt.png shows the year overview rather than one row per task."""
    return len(schedule.tasks) > DETAIL_MAX_TASKS


def png_bytes(schedule: Schedule, today: date | None, off: OffDays, family: str | None) -> bytes:
    """The PNG image of the chart drawn with the font family `family` (None: the default)."""
    schedule = drawable(schedule)
    families = ["DejaVu Sans", family] if family else ["DejaVu Sans"]
    style = {"font.family": families, "figure.dpi": DPI, "text.parse_math": False}
    if uses_overview(schedule):
        style["text.hinting"] = "no_hinting"  # a quarter quicker for its hundreds of labels
    with rc_context(style), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from font")
        canvas = FigureCanvasAgg(_figure(schedule, today, off))
        canvas.draw()
    # RGB without the (opaque) alpha channel, lightly compressed: a third quicker to write
    # than matplotlib's RGBA at zlib level 6, for a year overview of several megapixels.
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", compress_level=COMPRESS_LEVEL)
    return buffer.getvalue()


def drawable(schedule: Schedule) -> Schedule:
    """A copy of `schedule` whose texts a chart can draw: names as `chart_text`, ids on one
    line without control characters (not cut, so that they stay distinct)."""

    def ident(text: str) -> str:
        return chart_text(text, limit=len(text) + 1)

    def changed(item: Any, **texts: Any) -> Any:
        """`item` with these texts, itself when it has them already (no copy of each of a
        year's tasks)."""
        same = all(getattr(item, key) == value for key, value in texts.items())
        return item if same else replace(item, **texts)

    return replace(
        schedule,
        plan=chart_text(schedule.plan),
        tasks=[
            changed(
                t,
                id=ident(t.id),
                activity=ident(t.activity),
                name=chart_text(t.name),
                assignee=ident(t.assignee),
            )
            for t in schedule.tasks
        ],
        activities=[
            changed(
                a,
                id=ident(a.id),
                name=chart_text(a.name),
                store=ident(a.store) if a.store else a.store,
            )
            for a in schedule.activities
        ],
        staff=[changed(p, id=ident(p.id), name=chart_text(p.name)) for p in schedule.staff],
        stores={ident(k): chart_text(v) for k, v in schedule.stores.items()},
    )


def _figure(schedule: Schedule, today: date | None, off: OffDays) -> Figure:
    span = day_span(schedule)
    if span is None:
        figure = Figure(figsize=(6, 1.5))
        figure.text(0.5, 0.5, f"{schedule.plan}: {words(schedule)['no_tasks']}", ha="center")
        return figure
    if today is not None and not span[0] <= today <= span[1]:
        today = None
    if uses_overview(schedule):
        return overview_figure(schedule, span, today, off)
    return task_figure(schedule, span, today, off)
