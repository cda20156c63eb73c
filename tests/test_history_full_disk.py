"""A disk that fills up while history.sqlite is written (issue 10, FORMAT.md sections 6-7).

A real small tmpfs holds version 1 of a plan whose file carries a long comment, so that its
history.sqlite (which keeps the plan's text) is bigger than the room left on the disk while
the exports are not: the next `plan` writes every export into its staging folder and runs
out of space copying and extending the history. It must say so as a full disk, naming
DIR/history.sqlite and the folder (SQLite's own words, "database or disk is full", read as
"not a readable history" before), exit 2 without a traceback, and leave version 1 whole.
Mounting needs root; without it the test is skipped (CI runs as root, see test_faults.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO_ROOT, crash_report, invoke_cli
from test_atomic import files_in

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="tmpfs: Linux")

COMMENT_BYTES = 1_800_000  # a plan file of about 1.8 MB (the limit is 2 MB)


@contextlib.contextmanager
def tmpfs(path: Path, size: int) -> Iterator[Path]:
    """A tmpfs of `size` bytes mounted at `path` (skip without root or when mounting fails,
    but fail under CI, as tests/test_faults.py does)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs at {path}: {mounted.stderr.strip()}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def free_bytes(mount: Path) -> int:
    stats = os.statvfs(mount)
    return stats.f_bavail * stats.f_frsize


def fill(mount: Path, room: int) -> Path:
    """A filler file that leaves `room` bytes free on `mount`."""
    filler = mount / "filler"
    with open(filler, "wb") as handle:
        handle.write(b"\0" * (free_bytes(mount) - room))
    assert abs(free_bytes(mount) - room) <= 8192
    return filler


def versions_in(out: Path) -> list[int]:
    uri = (out / "history.sqlite").resolve().as_uri() + "?mode=ro&immutable=1"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        return [n for (n,) in db.execute("SELECT number FROM versions ORDER BY number")]


def test_a_disk_full_while_writing_the_history_says_so(tmp_path):
    text = (REPO_ROOT / "examples" / "quickstart.yaml").read_text(encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    padding = "".join(f"# {'notes ' * 16}{n}\n" for n in range(COMMENT_BYTES // 100))
    plan.write_text(text + padding, encoding="utf-8")
    first = tmp_path / "v1"
    result = invoke_cli(["plan", plan, "--out", first, "--effort", "1"])
    assert result.exit_code in (0, 4), crash_report(result)
    sizes = {name: len(data) for name, data in files_in(first).items()}
    history = sizes.pop("history.sqlite")
    pages = {name: -(-size // 4096) * 4096 for name, size in sizes.items()}
    exports = sum(pages.values())
    calendars = sum(size for name, size in pages.items() if name.startswith("calendar/"))
    # Room for the staged exports (the calendars copied first, then every file written, each
    # through a temporary file) but not for a copy of the history with a second plan text.
    room = exports + calendars + 512 * 1024
    assert history + COMMENT_BYTES > room + 512 * 1024, (history, exports, calendars)

    size = room + 2 * (exports + history + COMMENT_BYTES) + (4 << 20)  # room for version 2
    with tmpfs(tmp_path / "disk", size) as mount:
        out = mount / "out"
        shutil.copytree(first, out)
        before = files_in(out)
        fill(mount, room)
        run = subprocess.run(
            [sys.executable, "-m", "scheduler", "plan", str(plan), "--out", str(out),
             "--effort", "1"],
            env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)), capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
        shown = f"exit {run.returncode}: {run.stderr!r}"
        assert run.returncode == 2, shown
        assert "Traceback" not in run.stderr + run.stdout, shown
        (line,) = [x for x in run.stderr.splitlines() if not x.startswith("warning:")]
        assert line.startswith(f"{out / 'history.sqlite'}: the disk is full: "), line
        assert f"no room in {out} " in line and "not a readable history" not in line, line
        assert ".promo-staging" not in line, line
        after = files_in(out)
        after.pop(".promo-lock", None)
        before.pop(".promo-lock", None)
        assert after == before  # version 1, byte for byte, and no staging left
        assert versions_in(out) == [1]
        (mount / "filler").unlink()
        again = invoke_cli(["plan", plan, "--out", out, "--effort", "1"])
        assert again.exit_code in (0, 4), crash_report(again)
        assert versions_in(out) == [1, 2]
