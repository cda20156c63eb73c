"""Fonts for gantt.png: finding one that draws Chinese, and guessing how wide text will be."""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

from matplotlib import font_manager

from scheduler.schedule import Schedule

# Families tried in order; any other installed family with "CJK" in its name comes next.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Heiti SC",
    "Hiragino Sans GB",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Source Han Sans",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
    "AR PL UKai CN",
)
# Python packages that ship a Simplified Chinese font file; used when no system font has CJK.
FONT_PACKAGES = ("pylopdf_fonts_zh_cn", "mplfonts")
FONT_FILE = re.compile(r"sans.*(sc|cjk)|hei", re.IGNORECASE)
CJK_TEXT = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


@functools.cache
def cjk_font_family() -> str | None:
    """The name of a font family able to draw Chinese, or None when none can be found.

    Looks at the fonts matplotlib knows, then at fonts shipped by optional Python packages
    (FONT_PACKAGES), which are registered with matplotlib when found.
    """
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    for name in CJK_FAMILIES:
        if name in installed:
            return name
    for name in sorted(installed):
        if "CJK" in name:
            return name
    return _font_from_packages()


def _font_from_packages() -> str | None:
    for package in FONT_PACKAGES:
        spec = importlib.util.find_spec(package)
        folders = spec.submodule_search_locations if spec else None
        for folder in folders or ():
            for file in sorted(Path(folder).rglob("*")):
                if file.suffix.lower() in {".otf", ".ttf", ".ttc"} and FONT_FILE.search(file.name):
                    font_manager.fontManager.addfont(str(file))
                    return font_manager.FontProperties(fname=str(file)).get_name()
    return None


def has_cjk(schedule: Schedule) -> bool:
    """Whether any name the chart draws (plan, tasks, people, activities) contains CJK."""
    texts = [schedule.plan, *(t.name for t in schedule.tasks)]
    texts += [p.name for p in schedule.staff] + [a.name for a in schedule.activities]
    return any(CJK_TEXT.search(text) for text in texts)


def text_inches(text: str, points: float) -> float:
    """Rough width of a line of text: CJK characters one em wide, others 0.62 em."""
    ems = sum(1.0 if CJK_TEXT.match(ch) else 0.62 for ch in text)
    return ems * points / 72
