"""The calendar files this process wrote last, remembered with their events' states.

Right after the exports, the folder's history records the state of every event of the
calendar files (`ics.calendar_states`: UID, SEQUENCE, STATUS, hash of its text), which
parsing the files back with icalendar would find. For a file `ics.write_calendars` has just
written, that state is known already: it is remembered here with the file's bytes and used
only while the file still holds exactly those bytes (anything else is parsed as before).
Only the last `write_calendars` call's files are kept.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

# The UIDs `ics` gives its events: their text reads back unchanged.
OWN_UID = re.compile(r"[0-9a-f]{32}@promo-scheduler")

EventState = tuple[str, int, str, str]  # UID, SEQUENCE, STATUS, hash of its text


@dataclass(frozen=True)
class WrittenFile:
    """A calendar file as written: its bytes, the plan it is for, the length of its head
    (the calendar's own lines and timezones, before the first event) and its events' states
    in the order written."""

    data: bytes
    plan: str
    head_size: int
    events: tuple[EventState, ...] | None  # None: not known (read the file back)

    @property
    def head(self) -> bytes:
        """The calendar's text without its events."""
        return self.data[: self.head_size]


_last: dict[str, WrittenFile] = {}


def remember(files: dict[Path, WrittenFile]) -> None:
    """Keep these files (and forget those of the previous call)."""
    _last.clear()
    _last.update({os.path.abspath(path): written for path, written in files.items()})


def recall(path: Path, data: bytes, plan: str) -> WrittenFile | None:
    """The remembered file at `path` when it was written for `plan` and holds `data`."""
    written = _last.get(os.path.abspath(path))
    if written is None or written.plan != plan or written.data != data:
        return None
    return written
