"""The feeds of an output folder's latest version, read as one consistent whole.

A version is installed file by file (`versions.folder`): a journal is written first, each
file replaces its old one, then the journal is removed, and history.sqlite is among the
files replaced. So files read while no journal exists, with history.sqlite the same file
before and after the reads, all belong to the version history.sqlite names as its latest:
a reader never mixes two versions. When a version is being installed, the caller keeps
what it read before.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from scheduler.versions import folder as version
from scheduler.versions import history

CONTENT_TYPES = {
    ".ics": "text/calendar; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
ATTEMPTS = 3


@dataclass(frozen=True)
class Feed:
    """One feed file of a version: its bytes and what HTTP caching needs."""

    name: str  # relative to the folder, e.g. calendar/team.ics
    token: str
    body: bytes
    etag: str  # strong, quoted
    last_modified: int  # seconds since the epoch
    content_type: str

    @property
    def file_name(self) -> str:
        """The file's own name, e.g. team.ics: the last segment of its URL."""
        return self.name.rsplit("/", 1)[-1]

    @property
    def path(self) -> str:
        """The feed's URL path: `/<token>/<file name>`."""
        return f"/{self.token}/{self.file_name}"


@dataclass(frozen=True)
class Snapshot:
    """The feeds of one version, by URL path."""

    version: int
    feeds: dict[str, Feed]
    identity: tuple[int, int, int] | None  # history.sqlite's (inode, mtime, size)


def identity(out_dir: Path) -> tuple[int, int, int] | None:
    """What tells one history.sqlite file from its replacement (None when there is none)."""
    try:
        found = os.stat(Path(out_dir) / history.HISTORY)
    except FileNotFoundError:
        return None
    return (found.st_ino, found.st_mtime_ns, found.st_size)


def installing(out_dir: Path) -> bool:
    """Whether a version is being installed in `out_dir` (or a killed run left one half
    installed, to be finished by the next run)."""
    return (Path(out_dir) / version.JOURNAL).exists()


def read_snapshot(out_dir: Path) -> Snapshot | None:
    """The latest version's feeds, or None while a version is being installed (or the
    folder changed during every attempt). HistoryError when the folder has no history."""
    out_dir = Path(out_dir)
    path = out_dir / history.HISTORY
    for _ in range(ATTEMPTS):
        if installing(out_dir):
            return None
        before = identity(out_dir)
        tokens = history.feed_tokens(path)
        latest = history.versions(path)[-1].number
        feeds: dict[str, Feed] = {}
        try:
            for name, (token, written_by) in sorted(tokens.items()):
                if written_by != latest:
                    continue  # a feed an earlier version had and the latest has not
                feed = _feed(out_dir, name, token)
                feeds[feed.path] = feed
        except FileNotFoundError:
            continue  # replaced while being read: read again
        if not installing(out_dir) and identity(out_dir) == before:
            return Snapshot(latest, feeds, before)
    return None


def _feed(out_dir: Path, name: str, token: str) -> Feed:
    file = out_dir / name
    with open(file, "rb") as handle:
        body = handle.read()
        modified = int(os.fstat(handle.fileno()).st_mtime)
    digest = hashlib.sha256(body).hexdigest()[:32]
    kind = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
    return Feed(name, token, body, f'"{digest}"', modified, kind)
