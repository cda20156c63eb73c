"""Each feed's unguessable token (kept in history.sqlite) and the subscription links.

A version run gives every feed it writes a token (`history.append`); a folder whose
history predates them (schema version 1) gets them from `ensure_tokens`, under the folder
lock. A token stays the same across versions and restarts.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from pathlib import Path

from scheduler.versions import folder as version
from scheduler.versions import history

LEGACY_FEEDS = ("calendar/team.ics", "calendar/activities.ics", "gantt.html")


def ensure_tokens(out_dir: Path, on_wait: Callable[[], None] = lambda: None) -> None:
    """Make sure the latest version's feeds have tokens: a history written before tokens
    existed gets them now (waiting, after `on_wait`, for a run writing the folder)."""
    out_dir = Path(out_dir)
    path = out_dir / history.HISTORY
    if not _missing(path) and not (out_dir / version.JOURNAL).exists():
        return
    with version.folder_lock(out_dir, wait=True, on_wait=on_wait):
        version.recover(out_dir)
        if not _missing(path):
            return
        latest = history.versions(path)[-1].number
        names = {state.file for state in history.event_states(path, latest)}
        names |= {name for name in LEGACY_FEEDS if (out_dir / name).is_file()}
        names = sorted(n for n in names if (out_dir / n).is_file())
        history.update(path, lambda db: history.add_feed_tokens(db, names, latest))


def _missing(path: Path) -> bool:
    latest, tokens = _latest_tokens(path)
    return not any(v == latest for _, v in tokens.values())


def base_url(host: str, port: int) -> str:
    """`http://host:port/` (an IPv6 address in brackets)."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


def links(out_dir: Path, base: str, webcal: bool = False) -> list[tuple[str, str]]:
    """(file name, URL) of every feed of the latest version, team.ics and activities.ics
    first, then the person files, then gantt.html; `base` is the server's address (an
    https:// one behind a TLS proxy); `webcal` gives the calendars' webcal:// form. The
    latest version and the tokens are read in one read of one history file: a version
    installed meanwhile (which replaces the file) is not half seen."""
    path = Path(out_dir) / history.HISTORY
    latest, tokens = _latest_tokens(path)
    found = []
    for name, (token, written_by) in tokens.items():
        if written_by == latest:
            file_name = name.rsplit("/", 1)[-1]
            url = urllib.parse.urljoin(base if base.endswith("/") else base + "/", token)
            url = f"{url}/{urllib.parse.quote(file_name)}"
            if webcal and file_name.endswith(".ics"):
                url = "webcal://" + url.split("://", 1)[1]
            found.append((file_name, url))
    order = {"team.ics": 0, "activities.ics": 1, "gantt.html": 3}
    return sorted(found, key=lambda pair: (order.get(pair[0], 2), pair[0]))


def _latest_tokens(path: Path) -> tuple[int, dict[str, tuple[str, int]]]:
    """The latest version's number and each feed's (token, version that last wrote it),
    through one connection: one file (an installed history is replaced whole, never
    changed), so both belong to the same version. HistoryError as `history.versions`."""
    with history._reading(path) as db:  # one connection for both reads
        row = db.execute("SELECT MAX(number) FROM versions").fetchone()
        if row is None or row[0] is None:
            raise IndexError("no version in the history")  # as versions(path)[-1] did
        rows = []
        if history._has_table(db, "feeds"):  # a version-1 history has no tokens yet
            rows = db.execute("SELECT name, token, version FROM feeds").fetchall()
    return int(row[0]), {name: (token, version) for name, token, version in rows}
