"""Matplotlib pieces shared by both pictures of gantt.png (one row per task, year overview).

The x axis counts calendar days from the first day of the chart's span: day n is drawn from
x = n to x = n + 1.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection

from scheduler.export.gantt_common import TODAY_COLOUR
from scheduler.export.tables import OFF_DAY_COLOUR, OffDays, day_range

Box = tuple[float, float, float, float]  # x, y, width, height


def rectangles(boxes: list[Box], **style) -> PolyCollection:
    """One collection of rectangles (x, y, width, height): far faster than one patch each."""
    if not boxes:
        return PolyCollection([], **style)
    x, y, w, h = np.asarray(boxes, dtype=float).T
    corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    # one array of polygons: matplotlib makes their paths in one go (the same paths as from
    # a list of corner lists, a quarter of the time for a year's tens of thousands of bars)
    verts = np.stack([np.column_stack(corner) for corner in corners], axis=1)
    return PolyCollection(verts, **style)


def shade_off_days(
    axes: Axes, span: tuple[date, date], off: OffDays, top: float, height: float, **style
) -> None:
    """Grey columns behind the non-working days, from y = top over `height` rows."""
    boxes = [((day - span[0]).days, top, 1, height) for day in day_range(*span) if day in off]
    style = {"facecolors": OFF_DAY_COLOUR, "linewidths": 0, "zorder": 0, **style}
    axes.add_collection(rectangles(boxes, **style))


def today_line(axes: Axes, span: tuple[date, date], today: date | None) -> None:
    """A dashed red line at the start of `today`, when it falls inside the span."""
    if today is not None and span[0] <= today <= span[1]:
        x = (today - span[0]).days
        axes.axvline(x, color=TODAY_COLOUR, linestyle="--", linewidth=1.2, zorder=5)
