"""Fonts for gantt.png: finding one that draws Chinese, and guessing how wide text will be.

Matplotlib keeps the fonts it knows in a cache file written on its first run, so a font
installed later (`apt-get install fonts-noto-cjk`, a file copied into ~/.local/share/fonts)
is not among them. When the cache has no CJK font, the fonts on the system are looked at
afresh (fontconfig's `fc-list :lang=zh`, then matplotlib's own scan of the font folders,
keeping a file whose character map has Chinese) and the one found is registered with
matplotlib for this process.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import shutil
import subprocess
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


class FontWarning(UserWarning):
    """gantt.png is drawn without a font for its Chinese text."""


CJK_SAMPLE = "中文汉字任务"  # characters a font must have to draw the charts' Chinese
FC_LIST_TIMEOUT_S = 20
CJK_TEXT = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


@functools.cache
def cjk_font_family() -> str | None:
    """The name of a font family able to draw Chinese, or None when none can be found.

    Looks at the fonts matplotlib knows, then at the system's fonts that its cache predates,
    then at fonts shipped by optional Python packages (FONT_PACKAGES, e.g. the `cjk` extra);
    a font found outside the cache is registered with matplotlib.
    """
    return _known_family() or _font_from_system() or _font_from_packages()


def _known_family() -> str | None:
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    for name in CJK_FAMILIES:
        if name in installed:
            return name
    for name in sorted(installed):
        if "CJK" in name:
            return name
    return None


def _font_from_system() -> str | None:
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    candidates = [f for f in _fontconfig_cjk_files() if f not in known]
    scanned = sorted(set(font_manager.findSystemFonts()) - known - set(candidates))
    # likely names first (Noto Sans CJK SC, ...), so that few files are opened
    candidates += sorted(scanned, key=lambda f: (not FONT_FILE.search(Path(f).name), f))
    for file in candidates:
        if _draws_chinese(file):
            # every face of a collection (.ttc), and its family's other weights beside it
            # (a regular weight, when the bold file sorts first)
            folder = Path(file).parent
            for other in [file, *(f for f in candidates if f != file and Path(f).parent == folder)]:
                if other == file or _draws_chinese(other):
                    font_manager.fontManager.addfont(other)
            return _known_family() or font_manager.FontProperties(fname=file).get_name()
    return None


def _fontconfig_cjk_files() -> list[str]:
    """The font files fontconfig says cover Chinese, likely names first ([] without fc-list)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        done = subprocess.run(
            [fc_list, ":lang=zh", "file"],
            capture_output=True,
            text=True,
            timeout=FC_LIST_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    files = {line.strip().rstrip(":") for line in done.stdout.splitlines() if line.strip()}
    files = {f for f in files if Path(f).suffix.lower() in {".otf", ".ttf", ".ttc"}}
    return sorted(files, key=lambda f: (not FONT_FILE.search(Path(f).name), f))


def _draws_chinese(file: str) -> bool:
    try:
        charmap = font_manager.get_font(file).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(ch) in charmap for ch in CJK_SAMPLE)


def _font_from_packages() -> str | None:
    for package in FONT_PACKAGES:
        spec = importlib.util.find_spec(package)
        folders = spec.submodule_search_locations if spec else None
        for folder in folders or ():
            files = [
                str(f)
                for f in Path(folder).rglob("*")
                if f.suffix.lower() in {".otf", ".ttf", ".ttc"}
            ]
            # likely names first (a sans serif for Simplified Chinese), then any with Chinese
            for file in sorted(files, key=lambda f: (not FONT_FILE.search(Path(f).name), f)):
                if _draws_chinese(file):
                    font_manager.fontManager.addfont(file)
                    return font_manager.FontProperties(fname=file).get_name()
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
