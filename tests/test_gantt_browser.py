"""gantt.html in a real browser: headless Chromium renders it, runs its script, and takes
screenshots for people to look at (tests/artifacts/, not committed; the README's are in docs/,
written again by these tests).

The page's state comes from its URL fragment (`#today=...&view=people&zoom=thisweek`), which
is how these tests set "today" without touching the machine's clock. What the browser laid out
is read by a probe script appended to a copy of the page: it runs after the page's own script
and writes its findings as JSON into <pre id="probe"> for --dump-dom to carry out.

Needs the Debian package `chromium`. Without it the tests are skipped, unless the environment
variable CI is set: then they fail, so that CI cannot pass without having looked.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from PIL import Image
from rules import check_schedule
from test_export_tables import sample_schedule

from scheduler import api
from scheduler.export.gantt_html import write_html
from scheduler.export.gantt_png import write_png
from scheduler.schedule import Schedule

ARTIFACTS = Path(__file__).parent / "artifacts"
TIMEOUT_S = 60
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,1000",
]

# Appended to a copy of the page: checks what the browser laid out, then tries the person
# filter, and writes the findings as JSON into <pre id="probe"> for --dump-dom to carry out.
PROBE = """
<script>
(function () {
  function visible(el) {
    var r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.display !== "none" && s.visibility !== "hidden"
      && s.color !== "rgba(0, 0, 0, 0)";
  }
  var names = Array.from(document.querySelectorAll(".row.task .name"));
  var bars = Array.from(document.querySelectorAll(".bar"));
  var result = {
    ready: document.body.dataset.ready,
    names: names.filter(visible).map(function (el) { return el.textContent; }),
    bars: bars.filter(visible).length,
    barWidths: bars.map(function (el) { return Math.round(el.getBoundingClientRect().width); }),
    shown: document.getElementById("shown").textContent
  };
  var select = document.getElementById("person");
  select.value = "li_na";
  select.dispatchEvent(new Event("change"));
  result.filtered = Array.from(document.querySelectorAll(".row.task"))
    .filter(visible).map(function (el) { return el.dataset.task; });
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(result);
  document.body.appendChild(pre);
})();
</script>
"""


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not on PATH but CI is set: install the Debian package chromium")
    pytest.skip("chromium not installed (Debian package chromium); set CI=1 to make this fail")


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    command = [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "gantt.html"
    write_html(sample_schedule(), path)
    return path


def test_rendered_page_shows_bars_and_task_names(page: Path, tmp_path: Path) -> None:
    probe = tmp_path / "probe.html"
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    done = _run(tmp_path, "--dump-dom", probe.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, f"the page's script did not run: {done.stdout[:500]}"
    result = json.loads(html.unescape(found.group(1)))
    assert result["ready"] == "1"
    tasks = sample_schedule().tasks
    assert len(result["names"]) == len(tasks)
    for task in tasks:
        assert any(text.startswith(task.name) for text in result["names"]), task.name
    assert result["bars"] == 7
    assert min(result["barWidths"]) >= 20  # a day is about 32 px at this span
    assert result["shown"].endswith(": 5")
    assert result["filtered"] == ["member_day@2027-05-18/banner", "mid_year@2027-06-01/photos"]


def test_screenshot(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "gantt.png"
    done = _run(tmp_path, f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (1600, 1000)
        colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20) or []}
    assert len(colours) > 50  # something was drawn, not a blank page
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / "gantt-browser.png")


# ------------------------------------------------- the quickstart plan, planned for real

DOCS = Path(__file__).parents[1] / "docs"
QUICKSTART = Path(__file__).parents[1] / "examples" / "quickstart.yaml"
QS_TODAY = date(2026, 3, 18)  # a Wednesday in the quickstart's busiest weeks

# The layout in numbers: each finding is computed in the page, after its script ran.
LAYOUT = """
(function () {
  var gantt = document.getElementById("gantt");
  function box(el) {
    var r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width};
  }
  function shown(el) {
    var r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.display !== "none";
  }
  var label = gantt.querySelector(".head .label");
  var track = gantt.querySelector(".head .track");
  var now = new Date();
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  return {
    ready: document.body.dataset.ready,
    viewport: window.innerWidth,
    pageWidth: document.documentElement.scrollWidth,
    gantt: box(gantt),
    clientWidth: gantt.clientWidth,
    scrollWidth: gantt.scrollWidth,
    scrollLeft: gantt.scrollLeft,
    label: box(label),
    track: box(track),
    dayPx: parseFloat(gantt.style.getPropertyValue("--day")),
    zoomOn: Array.from(document.querySelectorAll("button[data-zoom].on"))
      .map(function (b) { return b.dataset.zoom; }),
    viewOn: Array.from(document.querySelectorAll("button[data-view].on"))
      .map(function (b) { return b.dataset.view; }),
    byActivity: shown(document.getElementById("by-activity")),
    byPerson: shown(document.getElementById("by-person")),
    taskRows: Array.from(document.querySelectorAll(".row.task")).filter(shown).length,
    struck: Array.from(document.querySelectorAll(".row.task")).filter(shown).filter(function (r) {
      var due = r.querySelector(".due"), name = r.querySelector(".name");
      return due && name && box(due).right > box(name).left;
    }).map(function (r) { return r.dataset.task; }),
    lanes: Array.from(document.querySelectorAll(".row.lane")).filter(shown).map(function (l) {
      return {person: l.dataset.person, box: box(l), label: box(l.querySelector(".label")),
        bars: Array.from(l.querySelectorAll(".lbar")).map(function (b) {
          return {task: b.dataset.task, lane: getComputedStyle(b).getPropertyValue("--l"),
            box: box(b), text: b.textContent};
        })};
    }),
    todayShown: gantt.dataset.todayShown,
    browserToday: now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()),
    todayLine: shown(document.getElementById("today-line"))
      ? box(document.getElementById("today-line")) : null,
    weekBand: shown(document.getElementById("week-band"))
      ? box(document.getElementById("week-band")) : null,
    nowCell: Array.from(document.querySelectorAll(".d.now")).map(function (d) { return d.title; }),
    note: document.getElementById("today-note").textContent,
    weekList: shown(document.getElementById("week-list"))
      ? Array.from(document.querySelectorAll("#week-list li")).map(function (li) {
        return li.textContent;
      }) : null,
    corner: gantt.querySelector(".corner").textContent,
    hash: location.hash
  };
})()
"""


FRAME = """<!DOCTYPE html>
<html><body style="margin:0"><iframe id="frame" src="{src}"
style="border:0;display:block;width:{width}px;height:{height}px"></iframe>
<script>
document.getElementById("frame").addEventListener("load", function () {{
  var inner = this.contentDocument.getElementById("probe");
  if (!inner) return;
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = inner.textContent;
  document.body.appendChild(pre);
}});
</script></body></html>
"""


def _framed(tmp_path: Path, page: Path, fragment: str, size: str) -> tuple[Path, str]:
    """A page holding `page` at `fragment` in a frame of `size` (width,height), and the window
    size to open it in: headless Chromium's window is at least 500 px wide, a frame can be
    narrower and is a viewport of its own (media queries, innerWidth)."""
    width, height = (int(n) for n in size.split(","))
    frame = tmp_path / f"frame-{abs(hash((page.name, fragment, size)))}.html"
    src = html.escape(page.as_uri() + fragment, quote=True)
    frame.write_text(FRAME.format(src=src, width=width, height=height), encoding="utf-8")
    return frame, f"{max(width, 600)},{height}"


def _probe(
    page: Path, tmp_path: Path, fragment: str = "", size: str = "1600,1000", then: str = ""
) -> dict:
    """The LAYOUT findings for `page` opened at `fragment` in a viewport of `size`; `then` is
    script run after the first findings, whose findings are under "after"."""
    script = (
        "<script>(function () { var result = "
        + LAYOUT
        + ";"
        + then
        + (" result.after = " + LAYOUT + ";" if then else "")
        + 'var pre = document.createElement("pre"); pre.id = "probe";'
        " pre.textContent = JSON.stringify(result); document.body.appendChild(pre);"
        "})();</script>"
    )
    probe = tmp_path / f"probe-{abs(hash((fragment, size, then)))}.html"
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", script + "</body>"), encoding="utf-8"
    )
    frame, window = _framed(tmp_path, probe, fragment, size)
    done = _run(
        tmp_path,
        f"--window-size={window}",
        "--allow-file-access-from-files",
        "--hide-scrollbars",
        "--dump-dom",
        frame.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, f"the probe did not run: {done.stdout[:500]}"
    result = json.loads(html.unescape(found.group(1)))
    assert result["ready"] == "1"
    return result


def _screenshot(
    page: Path, tmp_path: Path, name: str, fragment: str, size: str, scale: int = 1
) -> Path:
    """A screenshot of `page` at `fragment` in a viewport of `size`, copied to tests/artifacts/
    and docs/<name>."""
    shot = tmp_path / f"window-{name}"
    frame, window = _framed(tmp_path, page, fragment, size)
    done = _run(
        tmp_path,
        f"--window-size={window}",
        f"--force-device-scale-factor={scale}",
        "--allow-file-access-from-files",
        "--hide-scrollbars",
        f"--screenshot={shot}",
        frame.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    width, height = (int(n) * scale for n in size.split(","))
    with Image.open(shot) as image:
        assert image.size == tuple(int(n) * scale for n in window.split(","))
        cropped = image.convert("RGB").crop((0, 0, width, height))
    colours = {colour for _, colour in cropped.getcolors(maxcolors=1 << 22) or []}
    assert len(colours) > 50  # something was drawn, not a blank page
    out = tmp_path / name
    cropped.save(out, optimize=True)
    for folder in (ARTIFACTS, DOCS):
        folder.mkdir(exist_ok=True)
        shutil.copyfile(out, folder / name)
    return out


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """gantt.html of the quickstart plan as planned by the engine (checked by rules.py)."""
    loaded = api.load_plan(QUICKSTART)
    schedule = api.make_schedule(loaded, effort=1, workers=1)
    data = json.loads(schedule.to_json())
    assert check_schedule(QUICKSTART, data) == []
    path = tmp_path_factory.mktemp("quickstart") / "gantt.html"
    write_html(schedule, path, today=date(2026, 3, 2))  # the export's today: no-JS fallback
    (path.parent / "schedule.json").write_text(schedule.to_json(), encoding="utf-8")
    return path, data


def test_readme_png_of_the_quickstart(quickstart: tuple[Path, dict]) -> None:
    """docs/gantt-png.png, the README's picture of gantt.png: one row per task."""
    page, data = quickstart
    schedule = Schedule.read(page.parent / "schedule.json")
    DOCS.mkdir(exist_ok=True)
    write_png(schedule, DOCS / "gantt-png.png", today=QS_TODAY)
    with Image.open(DOCS / "gantt-png.png") as image:
        rows = len(data["tasks"]) + len({t["activity"] for t in data["tasks"]})
        assert image.width >= 900 and image.height >= rows * 20


def _in_week(task: dict, monday: date) -> bool:
    return date.fromisoformat(task["start"]) <= monday + timedelta(days=6) and (
        date.fromisoformat(task["end"]) >= monday
    )


def test_fit_fills_a_wide_window_without_scrolling_sideways(
    quickstart: tuple[Path, dict], tmp_path: Path
) -> None:
    page, data = quickstart
    found = _probe(page, tmp_path)
    assert found["zoomOn"] == ["fit"] and found["viewOn"] == ["activities"]
    assert found["weekList"] is None  # only with "this week"
    assert found["byActivity"] and not found["byPerson"]
    assert found["taskRows"] == len(data["tasks"])
    assert found["struck"] == []  # no due tick strikes through a task's name
    # the whole span fits: no sideways scrolling, and at most a day's width left over
    assert found["scrollWidth"] <= found["clientWidth"] + 1
    assert found["clientWidth"] - found["scrollWidth"] <= found["dayPx"] + 2
    assert found["label"]["width"] == 300
    first = min(date.fromisoformat(t["start"]) for t in data["tasks"])
    last = max(date.fromisoformat(t["end"]) for t in data["tasks"])
    assert found["dayPx"] == pytest.approx(1300 / ((last - first).days + 1), abs=1)
    _screenshot(page, tmp_path, "gantt-html-wide.png", f"#today={QS_TODAY}", "1600,1000")


def test_fit_follows_a_narrower_window(quickstart: tuple[Path, dict], tmp_path: Path) -> None:
    page, _ = quickstart
    wide = _probe(page, tmp_path, size="1600,1000")
    narrow = _probe(page, tmp_path, size="1000,800")
    assert narrow["dayPx"] < wide["dayPx"]
    assert narrow["scrollWidth"] <= narrow["clientWidth"] + 1


def test_phone_width_keeps_the_label_column_narrow(
    quickstart: tuple[Path, dict], tmp_path: Path
) -> None:
    page, data = quickstart
    found = _probe(page, tmp_path, size="420,900")
    assert found["viewport"] == 420
    assert found["pageWidth"] <= 420  # only the chart scrolls, never the page
    assert found["label"]["width"] <= 0.3 * 420
    assert found["track"]["width"] >= 420 - found["label"]["width"] - 20
    assert found["taskRows"] == len(data["tasks"])


def test_person_lane_view(quickstart: tuple[Path, dict], tmp_path: Path) -> None:
    page, data = quickstart
    found = _probe(
        page,
        tmp_path,
        "#view=people",
        then="document.querySelector('[data-view=\"activities\"]').click();",
    )
    assert found["viewOn"] == ["people"] and found["byPerson"] and not found["byActivity"]
    assert found["taskRows"] == 0 and found["corner"] in ("人员", "People")
    people = [p["id"] for p in yaml.safe_load(QUICKSTART.read_text(encoding="utf-8"))["staff"]]
    assert sorted(lane["person"] for lane in found["lanes"]) == sorted(people)
    assignee = {t["id"]: t["assignee"] for t in data["tasks"]}
    seen: set[str] = set()
    for lane in found["lanes"]:
        bars = lane["bars"]
        seen |= {bar["task"] for bar in bars}
        assert all(assignee[bar["task"]] == lane["person"] for bar in bars)
        for bar in bars:  # inside its lane, under the label column's right edge or beyond
            assert (
                lane["box"]["top"]
                <= bar["box"]["top"]
                < bar["box"]["bottom"]
                <= (lane["box"]["bottom"])
            )
        for a, b in itertools.combinations(bars, 2):  # no two bars of one sub-lane overlap
            if a["lane"] == b["lane"]:
                assert a["box"]["right"] <= b["box"]["left"] + 0.5 or (
                    b["box"]["right"] <= a["box"]["left"] + 0.5
                ), (a["task"], b["task"])
    assert seen == set(assignee)
    # the toggle goes back to one row per task, and the URL says which view is shown
    assert found["hash"] == "#view=people"
    after = found["after"]
    assert after["byActivity"] and not after["byPerson"] and after["hash"] == ""
    assert after["taskRows"] == len(data["tasks"])


def test_this_week_follows_the_today_of_the_fragment(
    quickstart: tuple[Path, dict], tmp_path: Path
) -> None:
    page, data = quickstart
    found = _probe(page, tmp_path, f"#today={QS_TODAY}&zoom=thisweek&person=zhao_lei")
    monday = QS_TODAY - timedelta(days=QS_TODAY.weekday())
    assert found["todayShown"] == QS_TODAY.isoformat()
    assert found["nowCell"] == [QS_TODAY.isoformat()]
    assert found["zoomOn"] == ["thisweek"]
    # the week fills the room beside the labels: Monday at its left edge, today's line two
    # days on, the week band seven days wide
    px, left = found["dayPx"], found["label"]["right"]
    assert 7 * px <= found["clientWidth"] - found["label"]["width"] < 8 * px
    assert found["weekBand"]["left"] == pytest.approx(left, abs=2)
    assert found["weekBand"]["width"] == pytest.approx(7 * px, abs=2)
    assert found["todayLine"]["left"] == pytest.approx(left + 2 * px, abs=2)
    mine = [t for t in data["tasks"] if t["assignee"] == "zhao_lei" and _in_week(t, monday)]
    assert mine  # zhao_lei is busy that week
    assert (
        f"{monday.isoformat()} – {monday + timedelta(days=6):%m-%d}: {len(mine)} "
        in (found["note"])
    )
    assert found["taskRows"] == sum(1 for t in data["tasks"] if t["assignee"] == "zhao_lei")
    # the week's list under the chart: each of those tasks, with its dates, in start order
    listed = found["weekList"]
    assert len(listed) == len(mine) and listed == sorted(listed, key=lambda text: text[:10])
    for task in mine:
        assert any(
            text.startswith(f"{task['start']} – {task['end']}") and task["name"] in text
            for text in listed
        ), task["id"]


def test_today_defaults_to_the_viewers_clock(quickstart: tuple[Path, dict], tmp_path: Path) -> None:
    """The page was exported with today 2026-03-02; opened without a fragment it takes the
    browser's own date (outside the plan here, and said so); #today=export takes the
    export's."""
    page, _ = quickstart
    found = _probe(page, tmp_path)
    assert found["todayShown"] == found["browserToday"]
    exported = _probe(page, tmp_path, "#today=export&zoom=bogus%22%5D")  # and a broken zoom
    assert exported["todayShown"] == "2026-03-02" and exported["zoomOn"] == ["fit"]
    if found["browserToday"] > "2026-05-01":
        assert found["todayLine"] is None and found["nowCell"] == []
        assert "(" in found["note"]  # "outside the plan"


def test_phone_screenshot_of_my_week_in_the_person_view(
    quickstart: tuple[Path, dict], tmp_path: Path
) -> None:
    page, _ = quickstart
    fragment = f"#today={QS_TODAY}&view=people&zoom=thisweek"
    found = _probe(page, tmp_path, fragment, size="420,900")
    assert found["pageWidth"] <= 420 and found["label"]["width"] <= 0.3 * 420
    assert len(found["lanes"]) == 4
    # the lanes are on the screen, and some of this week's bars show their names
    assert all(lane["box"]["bottom"] <= 900 for lane in found["lanes"])
    named = [
        b
        for lane in found["lanes"]
        for b in lane["bars"]
        if b["text"] and 0 <= b["box"]["left"] < 420
    ]
    assert named
    _screenshot(page, tmp_path, "gantt-html-phone-week.png", fragment, "420,900", scale=2)
    _screenshot(
        page,
        tmp_path,
        "gantt-html-week.png",
        f"#today={QS_TODAY}&zoom=thisweek&person=li_na",
        "1600,700",
    )


def test_print_layout_fits_pages_and_hides_the_controls(
    quickstart: tuple[Path, dict], tmp_path: Path
) -> None:
    if not shutil.which("pdfinfo"):
        pytest.skip("pdfinfo not installed (Debian package poppler-utils)")
    page, data = quickstart
    pdf = tmp_path / "gantt.pdf"
    done = _run(
        tmp_path,
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf}",
        page.as_uri() + f"#today={QS_TODAY}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info.stdout).groups())
    assert width > height  # landscape
    rows = len(data["tasks"]) + len({t["activity"] for t in data["tasks"]})
    assert 1 <= pages <= rows * 24 // 500 + 2  # every row printed, about 20 rows a page
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "缩放" not in text  # the controls are not printed
    for task in data["tasks"][:5]:
        assert task["name"] in text
    if shutil.which("pdftoppm"):  # the first printed page, for the README
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                str(tmp_path / "page"),
            ],
            check=True,
        )
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(tmp_path / "page.png", DOCS / "gantt-html-print.png")
