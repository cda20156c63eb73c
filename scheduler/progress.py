"""Progress of a long solve on stderr: phase, elapsed seconds, late days and bound.

The solver calls a `Progress` callback, `progress(phase, late, bound)`, when it enters a
phase, with the least late days found so far and the proven lower bound (None when not
known yet). `reporter()` gives such a callback that shows them with rich on a terminal,
once the solve has lasted `DELAY` seconds (or $PROMO_SCHEDULER_PROGRESS_DELAY); elsewhere it
shows nothing. It only reads what it
is given: a result never depends on it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.live import Live
from rich.text import Text

from scheduler.phrases import phase_name, phrasebook
from scheduler.words import language_of

Progress = Callable[[str, int | None, int | None], None]

DELAY = 1.0  # seconds a solve lasts before its progress is shown


def quiet(_phase: str, _late: int | None, _bound: int | None) -> None:
    """A progress callback that shows nothing."""


class _Display:
    """The phases seen so far, one line each, and the live line of the current one."""

    def __init__(self, stream: TextIO, delay: float, language: str):
        self.language = language_of(language)
        self.say = phrasebook(language)
        self.console = Console(file=stream, force_terminal=True, highlight=False)
        self.begin = time.monotonic()
        self.delay = delay
        self.lock = threading.RLock()
        self.current: tuple[str, int | None, int | None, float] | None = None
        self.pending: list[str] = []  # lines of phases done before the display started
        self.live: Live | None = None
        self.timer = threading.Timer(delay, self.start)
        self.timer.daemon = True
        self.timer.start()

    def __rich__(self) -> Text:
        with self.lock:
            if self.current is None:
                return Text("")
            phase, late, bound, _ = self.current
        return Text(f"⠿ {self._line(phase, late, bound)}", "cyan")

    def start(self) -> None:
        """Show the display (called once the solve has lasted `delay` seconds)."""
        with self.lock:
            if self.live is not None or self.current is None:
                return
            self.live = Live(self, console=self.console, refresh_per_second=4, transient=True)
            self.live.start()
            for line in self.pending:
                self.live.console.print(line)
            self.pending = []

    def update(self, phase: str, late: int | None, bound: int | None) -> None:
        """Close the current phase's line and show `phase` as the current one."""
        with self.lock:
            if self.current is not None:
                done = self.current[0]  # its line shows what it ended with
                line = "✓ " + self._line(done, late, bound)
                if self.live is None:
                    self.pending.append(line)
                else:
                    self.live.console.print(line)
            self.current = (phase, late, bound, time.monotonic())
            if self.live is None and time.monotonic() - self.begin >= self.delay:
                self.start()

    def stop(self) -> None:
        """Close the last phase's line and remove the live line."""
        self.timer.cancel()
        with self.lock:
            live, self.live = self.live, None
        if live is not None:
            if self.current is not None:
                phase, late, bound, _ = self.current
                live.console.print("✓ " + self._line(phase, late, bound))
            live.stop()

    def _line(self, phase: str, late: int | None, bound: int | None) -> str:
        """One phase's line: its name, the seconds since the start, late days and bound."""
        name = phase_name(phase, self.language)
        padded = name + " " * max(0, 16 - cell_len(name))  # Chinese takes two cells a character
        parts = [padded, f"{time.monotonic() - self.begin:6.1f} s"]
        if late is not None:
            parts.append(self.say("progress_late", days=late))
        if bound is not None:
            parts.append(self.say("progress_bound", bound=bound))
        return "  ".join(parts)


@contextlib.contextmanager
def reporter(
    enabled: bool = True,
    stream: TextIO | None = None,
    delay: float | None = None,
    language: str = "en",
) -> Iterator[Progress]:
    """While inside: a progress callback that shows the solve's phases on `stream`
    (default stderr) in `language` (a plan's: `zh` or `en`) when it is a terminal,
    `enabled`, and the solve lasts more than `delay` seconds (default `DELAY`, or
    $PROMO_SCHEDULER_PROGRESS_DELAY); otherwise it shows nothing."""
    stream = sys.stderr if stream is None else stream
    if delay is None:
        try:
            delay = float(os.environ.get("PROMO_SCHEDULER_PROGRESS_DELAY", DELAY))
        except ValueError:
            delay = DELAY
    if not enabled or not getattr(stream, "isatty", bool)():
        yield quiet
        return
    display = _Display(stream, delay, language)
    try:
        yield display.update
    finally:
        display.stop()
