"""Atomic writes (scheduler/versions/atomic.py) and FORMAT.md section 6: "a version is written whole
or not at all", "a run that exits 2 or 3 adds no version".

A write goes through a temporary file in the same folder and a rename, so a reader sees the
old file or the new one, never a part of either: not when the write fails, not when the
writing process is killed with SIGKILL. Failures are made at the OS layer (os.replace,
os.fsync, the file's write), never by replacing the engine's own code.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import crash_report, invoke_cli

import scheduler
from scheduler.versions import atomic

# The folder the child processes import `scheduler` from: the same code as this process.
ENGINE_ROOT = Path(scheduler.__file__).resolve().parents[1]

OLD = b"old content\n" * 1000
NEW = "新的内容, new content\r\n" * 500


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones and temporary files included), by relative path."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# --------------------------------------------------------------------------- write_bytes/text


def test_written_file_has_exactly_the_content_and_no_temp_file_is_left(tmp_path):
    target = tmp_path / "deep" / "er" / "schedule.json"  # missing folders are made
    atomic.write_text(target, NEW)
    assert target.read_bytes() == NEW.encode("utf-8")  # no newline translation, no BOM
    assert sorted(p.name for p in target.parent.iterdir()) == ["schedule.json"]

    raw = bytes(range(256)) * 64
    atomic.write_bytes(tmp_path / "raw.bin", raw)
    assert (tmp_path / "raw.bin").read_bytes() == raw
    atomic.write_text(tmp_path / "gbk.txt", "中文", encoding="gbk")
    assert (tmp_path / "gbk.txt").read_bytes() == "中文".encode("gbk")
    atomic.write_bytes(tmp_path / "empty", b"")
    assert (tmp_path / "empty").read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "empty", "gbk.txt", "raw.bin"]


def test_written_file_has_the_permissions_of_a_normally_created_file(tmp_path):
    """mkstemp makes 0600 files; a calendar served or shared must be as readable as any."""
    plain = tmp_path / "plain"
    plain.write_bytes(b"x")
    atomic.write_bytes(tmp_path / "atomic", b"x")
    mode = stat.S_IMODE((tmp_path / "atomic").stat().st_mode)
    assert mode == stat.S_IMODE(plain.stat().st_mode)


def test_existing_file_is_replaced_whole(tmp_path):
    target = tmp_path / "team.ics"
    target.write_bytes(OLD)
    with target.open("rb") as reader:  # someone reading the old version meanwhile
        atomic.write_bytes(target, b"short")
        assert reader.read() == OLD  # a rename: the reader keeps the whole old file
    assert target.read_bytes() == b"short"  # nothing of the longer old content is left
    atomic.write_bytes(target, OLD)
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["team.ics"]


def test_a_value_that_cannot_be_encoded_leaves_the_old_file(tmp_path):
    target = tmp_path / "schedule.csv"
    target.write_bytes(OLD)
    with pytest.raises(UnicodeEncodeError):
        atomic.write_text(target, "ok so far, then 张伟", encoding="ascii")
    with pytest.raises(UnicodeEncodeError):
        atomic.write_text(target, "a lone surrogate \ud800")
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["schedule.csv"]


def _fail_replace(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _fail_fsync(_fd):
    raise OSError(errno.EIO, "Input/output error")


def _interrupt_fsync(_fd):
    raise KeyboardInterrupt  # Ctrl-C in the middle of a write is no Exception


@pytest.mark.parametrize(
    ("name", "patch", "error"),
    [
        ("replace", _fail_replace, OSError),
        ("fsync", _fail_fsync, OSError),
        ("fsync", _interrupt_fsync, KeyboardInterrupt),
    ],
    ids=["os.replace-fails", "fsync-fails", "ctrl-c-during-fsync"],
)
def test_a_write_failing_midway_leaves_the_old_file_and_no_temp_file(
    tmp_path, monkeypatch, name, patch, error
):
    target = tmp_path / "gantt.html"
    target.write_bytes(OLD)
    monkeypatch.setattr(os, name, patch)
    with pytest.raises(error):
        atomic.write_text(target, NEW)
    monkeypatch.undo()
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["gantt.html"]


def test_a_disk_full_in_the_middle_of_the_data_leaves_the_old_file(tmp_path, monkeypatch):
    """The file's own write stores half of the data, then the disk is full."""
    real_fdopen = os.fdopen
    written: list[int] = []

    class HalfWriter:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            written.append(len(data) // 2)
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, attr):
            return getattr(self.handle, attr)

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    target = tmp_path / "schedule.xlsx"
    target.write_bytes(OLD)
    with pytest.raises(OSError, match="No space left"):
        atomic.write_text(target, NEW)
    monkeypatch.undo()
    assert written and written[0] > 0  # the failure did come in the middle of the data
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["schedule.xlsx"]


def test_a_failed_first_write_leaves_no_file_at_all(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "replace", _fail_replace)
    with pytest.raises(OSError):
        atomic.write_bytes(tmp_path / "team.ics", OLD)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- SIGKILL

# Two large contents of different lengths: any mix or prefix of them is neither.
BIG_A = b"A" * (3 << 20)
BIG_B = b"B" * (5 << 20) + b"\n"

REWRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from scheduler.versions.atomic import write_bytes
    target = sys.argv[2]
    a = b"A" * (3 << 20)
    b = b"B" * (5 << 20) + b"\\n"
    write_bytes(target, a)
    print("ready", flush=True)
    while True:
        write_bytes(target, b)
        write_bytes(target, a)
    """
)


def _start(script: str, *args: str | Path) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(ENGINE_ROOT), *(str(a) for a in args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    line = child.stdout.readline()
    if line.strip() not in {b"ready", b"inside"}:
        child.kill()
        _, err = child.communicate()
        pytest.fail(f"child did not start: {line!r} {err.decode(errors='replace')}")
    return child


def _kill(child: subprocess.Popen) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    child.stdout.close()
    child.stderr.close()


def test_a_writer_killed_at_any_moment_never_leaves_a_half_written_file(tmp_path):
    """A child rewrites a big file between two contents; the parent reads it all the while,
    kills the child at some moment, and checks every read and the file left behind."""
    target = tmp_path / "team.ics"
    for round_ in range(3):
        seen = {BIG_A: 0, BIG_B: 0}
        child = _start(REWRITER, target)
        try:
            # Read until the file was seen rewritten both ways (at most 20 s on a slow disk),
            # then some more, a different while each round, and kill the writer.
            give_up = time.monotonic() + 20
            while not all(seen.values()) and time.monotonic() < give_up:
                check_whole(target, seen)
            counts = {len(k): n for k, n in seen.items()}
            assert all(counts.values()), f"the reads did not see the file rewritten: {counts}"
            kill_at = time.monotonic() + 0.1 + 0.15 * round_
            while time.monotonic() < kill_at:
                check_whole(target, seen)
        finally:
            _kill(child)
        check_whole(target, seen)  # what the killed writer left
        # A temporary file of the killed write may be left beside it; the target is whole.
        assert [p for p in tmp_path.iterdir() if not p.name.endswith(".tmp")] == [target]


def check_whole(target: Path, seen: dict[bytes, int]) -> None:
    data = target.read_bytes()
    whole = data in seen  # (not `assert data in seen`: megabytes in the report)
    assert whole, f"half-written file: {len(data)} bytes, {data[:1]!r}...{data[-1:]!r}"
    seen[data] += 1


KILLED_INSIDE = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, sys.argv[1])
    from scheduler.versions.atomic import write_bytes

    def stop_here(fd):  # the new data is written, not yet in place: wait to be killed
        print("inside", flush=True)
        time.sleep(60)

    os.fsync = stop_here
    write_bytes(sys.argv[2], b"new" * (1 << 20))
    """
)


def test_a_writer_killed_inside_a_write_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "schedule.json"
    target.write_bytes(BIG_B)
    child = _start(KILLED_INSIDE, target)
    _kill(child)
    left = target.read_bytes()
    assert len(left) == len(BIG_B) and left == BIG_B, f"{len(left)} bytes left"


# --------------------------------------------------------------------------- through the CLI

TEMPLATE = """\
id: sale
name: {en: Sale, zh: 特惠}
kind: theme
live_days: 3
steps:
  - {id: plan, name: {en: Plan, zh: 策划}, role: operations, duration: 2,
     earliest: start-12d, due: start-8d}
  - {id: poster, name: {en: Poster, zh: 海报}, role: design, duration: 2,
     after: [plan], due: start-4d}
"""

PLAN = """\
name: Atomic test shop
start: 2026-03-01
end: 2026-03-31
language: zh
templates: [templates]
staff:
  - {id: wang_fang, name: 王芳, email: wang.fang@example.com, roles: [operations]}
  - {id: li_na, name: 李娜, roles: [design]}
activities:
  - {id: spring_sale, template: sale, start: 2026-03-20}
"""


def write_plan(folder: Path, text: str = PLAN) -> Path:
    (folder / "templates").mkdir(parents=True, exist_ok=True)
    (folder / "templates" / "sale.yaml").write_text(TEMPLATE, encoding="utf-8")
    plan = folder / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    return plan


@pytest.fixture
def good_run(tmp_path) -> tuple[Path, dict[str, bytes]]:
    """A folder after a good `plan` run, and its files."""
    out = tmp_path / "out"
    result = invoke_cli(["plan", write_plan(tmp_path / "good"), "--out", out])
    assert result.exit_code == 0, crash_report(result)
    before = files_in(out)
    for name in ["schedule.json", "schedule.csv", "calendar/team.ics", "calendar/li_na.ics"]:
        assert name in before, sorted(before)
    return out, before


BAD_PLANS = {
    "impossible-date": PLAN.replace("end: 2026-03-31", "end: 2026-02-30"),
    "unknown-template": PLAN.replace("template: sale", "template: no_such_template"),
    "role-nobody-has": PLAN.replace("roles: [design]", "roles: [operations]"),
    "yaml-syntax": PLAN + "  - {id: broken, template: sale, start: [2026-03-27\n",
}


@pytest.mark.parametrize("mistake", sorted(BAD_PLANS))
def test_bad_input_after_a_good_run_leaves_every_file_as_it_was(tmp_path, good_run, mistake):
    out, before = good_run
    bad = write_plan(tmp_path / "bad", BAD_PLANS[mistake])
    result = invoke_cli(["plan", bad, "--out", out])
    assert result.exit_code == 2, crash_report(result)
    assert "Traceback" not in result.output
    assert files_in(out) == before  # same files, byte for byte, and no new (temporary) ones


def test_a_run_failing_while_writing_leaves_the_previous_version(tmp_path, good_run, monkeypatch):
    """Section 6: a version is written whole or not at all, and a run that exits 2 adds no
    version. The disk fills up when the changed plan's gantt.png is put in place, after
    other files of the new version are ready: the folder must still hold the good run."""
    out, before = good_run
    changed = write_plan(tmp_path / "changed", PLAN.replace("2026-03-20", "2026-03-25"))
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(dst).name == "gantt.png":
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    result = invoke_cli(["plan", changed, "--out", out])
    monkeypatch.undo()
    assert result.exit_code == 2, crash_report(result)
    assert "No space left on device" in result.output
    after = files_in(out)
    assert sorted(after) == sorted(before)
    differ = sorted(name for name in before if after[name] != before[name])
    assert differ == [], f"files of the failed run's version left in the folder: {differ}"
    # and the folder still describes the good run's schedule
    data = json.loads(after["schedule.json"])
    assert {t["id"] for t in data["tasks"]} == {"spring_sale/plan", "spring_sale/poster"}
