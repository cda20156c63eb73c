"""Progress on stderr: shown under a terminal, silent in a pipe or with --quiet, and never
a change to the schedule."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from rules import check_schedule

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "examples" / "quickstart.yaml"
PHASES = ("首个排期", "细调")  # the quickstart is a zh plan: its phases in Chinese


def _plan(
    out: Path, *extra: str, tty: bool, delay: str = "0", plan: Path = PLAN
) -> tuple[int, str]:
    """Run `plan` on `plan` (the quickstart) into `out`, stderr on a pseudo-terminal or a
    pipe; the exit code and what came on stderr."""
    env = os.environ | {
        "PYTHONPATH": str(ROOT),
        "SOURCE_DATE_EPOCH": "1700000000",
        "PROMO_SCHEDULER_PROGRESS_DELAY": delay,
        "PROMO_SCHEDULER_SUGGEST": "0",
    }
    command = [sys.executable, "-m", "scheduler", "plan", str(plan), "--out", str(out),
               "--effort", "1", *extra]  # fmt: skip
    if not tty:
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        return done.returncode, done.stderr
    master, slave = pty.openpty()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def _schedule(out: Path) -> dict:
    """schedule.json of `out`, without the solve's wall-clock seconds."""
    data = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    data["solver"].pop("seconds", None)
    return data


def test_progress_on_a_terminal_and_not_in_a_pipe_same_schedule(tmp_path):
    code, shown = _plan(tmp_path / "tty", tty=True)
    assert code == 0, shown
    for phase in PHASES:
        assert f"✓ {phase}" in shown, shown
    assert " s  " in shown or shown.rstrip().endswith(" s"), shown  # elapsed seconds
    code, piped = _plan(tmp_path / "pipe", tty=False)
    assert code == 0, piped
    assert not any(phase in piped for phase in PHASES), piped
    assert "✓" not in piped
    with_progress, without = _schedule(tmp_path / "tty"), _schedule(tmp_path / "pipe")
    assert with_progress == without
    assert check_schedule(PLAN, with_progress) == []


def test_quiet_and_short_solves_show_nothing_on_a_terminal(tmp_path):
    code, shown = _plan(tmp_path / "quiet", "--quiet", tty=True)
    assert code == 0, shown
    assert not any(phase in shown for phase in PHASES), shown
    code, shown = _plan(tmp_path / "short", tty=True, delay="600")
    assert code == 0, shown
    assert not any(phase in shown for phase in PHASES), shown
    assert _schedule(tmp_path / "quiet") == _schedule(tmp_path / "short")
    assert check_schedule(PLAN, _schedule(tmp_path / "quiet")) == []


def test_progress_speaks_the_plan_s_language(tmp_path):
    code, shown = _plan(tmp_path / "zh", tty=True)
    assert code == 0, shown
    assert "first schedule" not in shown and "tie-break" not in shown, shown
    english = tmp_path / "quickstart-en.yaml"
    text = PLAN.read_text("utf-8")
    assert "language: zh" in text
    english.write_text(text.replace("language: zh", "language: en", 1), "utf-8")
    code, shown = _plan(tmp_path / "en", tty=True, plan=english)
    assert code == 0, shown
    for phase in ("first schedule", "tie-break"):
        assert f"✓ {phase}" in shown, shown
    assert not any(phase in shown for phase in PHASES), shown
    assert check_schedule(english, _schedule(tmp_path / "en")) == []
