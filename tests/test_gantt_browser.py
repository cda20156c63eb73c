"""gantt.html in a real browser: headless Chromium renders it, runs its script, and takes a
screenshot for people to look at (tests/artifacts/gantt-browser.png, not committed).

Needs the Debian package `chromium`. Without it the tests are skipped, unless the environment
variable CI is set: then they fail, so that CI cannot pass without having looked.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from test_export_tables import sample_schedule

from scheduler.export.gantt_html import write_html

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
