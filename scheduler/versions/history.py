"""Every version written to an output folder, kept in `history.sqlite` (FORMAT.md section 6).

One row per version (a `plan`, `replan`, `restore` or `export` run that succeeded): when,
which command, the plan file's text and the templates it used, the schedule, the export
options, what changed against the version before, and the export state (each event's UID,
SEQUENCE, status and content hash, per calendar file).

Schema version 2 adds what outlives a version: `feeds` (each subscription feed's
unguessable token for `serve`, and the latest version that wrote it) and `caldav_collections`
/ `caldav_events` (what `sync` last left on each CalDAV server: collection URLs, sync tokens,
each event's href, server ETag and the hash of the body sent). A version-1 file is read as it
is (the new tables count as empty) and migrated when it is next written. Those tables are
changed outside a version run by `update`, under the folder lock, by an atomic replacement
of the whole file.

The database is written like every other file of a version: the run copies the folder's
database into its staging folder, appends its version there and the copy is installed with
the rest (`versions.folder`), so history.sqlite always agrees with the files beside it.
Plain `sqlite3`, WAL journal, a schema version in `meta`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HISTORY = "history.sqlite"
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE versions (
    number INTEGER PRIMARY KEY,
    written TEXT NOT NULL,          -- ISO 8601, UTC
    command TEXT NOT NULL,          -- plan, replan, restore or export
    plan TEXT NOT NULL,             -- the plan's name
    plan_file TEXT,                 -- the plan file as given on the command line
    plan_text TEXT,                 -- its text (none for `export`)
    today TEXT,                     -- replan --today
    restored_from INTEGER,          -- restore N
    status TEXT NOT NULL,
    late_days INTEGER NOT NULL,
    tasks INTEGER NOT NULL,
    moved INTEGER NOT NULL,
    reassigned INTEGER NOT NULL,
    added INTEGER NOT NULL,
    cancelled INTEGER NOT NULL,
    options TEXT NOT NULL,          -- the export options, JSON
    schedule TEXT NOT NULL          -- schedule.json as written
);
CREATE TABLE templates (
    version INTEGER NOT NULL REFERENCES versions(number),
    id TEXT NOT NULL,
    file TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (version, id)
);
CREATE TABLE events (
    version INTEGER NOT NULL REFERENCES versions(number),
    file TEXT NOT NULL,             -- e.g. calendar/team.ics
    uid TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    status TEXT NOT NULL,           -- CONFIRMED, TENTATIVE, CANCELLED, ...
    content_hash TEXT NOT NULL,     -- its properties but DTSTAMP and SEQUENCE
    PRIMARY KEY (version, file, uid)
);
"""

# Schema version 2: created in a version-1 file by `_migrate`.
_SCHEMA_2 = """
CREATE TABLE IF NOT EXISTS feeds (
    name TEXT PRIMARY KEY,          -- e.g. calendar/team.ics, gantt.html
    token TEXT NOT NULL UNIQUE,     -- the unguessable part of its URL
    version INTEGER NOT NULL        -- the latest version that wrote it
);
CREATE TABLE IF NOT EXISTS caldav_collections (
    server TEXT NOT NULL,           -- the calendar home URL given to sync
    collection TEXT NOT NULL,       -- team, activities or a staff id
    url TEXT NOT NULL,
    sync_token TEXT,                -- RFC 6578, or the ctag, after our last change
    PRIMARY KEY (server, collection)
);
CREATE TABLE IF NOT EXISTS caldav_events (
    server TEXT NOT NULL,
    collection TEXT NOT NULL,
    uid TEXT NOT NULL,
    href TEXT NOT NULL,
    etag TEXT,                      -- the server's ETag after our last write
    sent_hash TEXT NOT NULL,        -- hash of the body we sent
    PRIMARY KEY (server, collection, uid)
);
"""


class HistoryError(ValueError):
    """history.sqlite is missing, from a newer schema, or has no such version."""


@dataclass(frozen=True)
class EventState:
    """One event of one calendar file as a version wrote it."""

    file: str
    uid: str
    sequence: int
    status: str
    content_hash: str


@dataclass(frozen=True)
class Run:
    """What a run knows about itself: the command and the plan it was given."""

    command: str
    plan_file: str | None = None
    plan_text: str | None = None
    templates: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (file, text)
    today: str | None = None
    restored_from: int | None = None


@dataclass(frozen=True)
class Version:
    """One version's row, without its large texts."""

    number: int
    written: str
    command: str
    plan: str
    plan_file: str | None
    today: str | None
    restored_from: int | None
    status: str
    late_days: int
    tasks: int
    moved: int
    reassigned: int
    added: int
    cancelled: int


@dataclass(frozen=True)
class Entry:
    """What a run adds: its `Run`, the schedule it wrote and what came of it."""

    run: Run
    written: str
    plan: str
    status: str
    late_days: int
    tasks: int
    counts: dict[str, int]  # moved, reassigned, added, cancelled
    options: dict
    schedule_json: str
    events: list[EventState]
    feeds: tuple[str, ...] = ()  # the feed files of this version (calendar/*.ics, gantt.html)


@dataclass(frozen=True)
class SyncedEvent:
    """What `sync` left of one event on a CalDAV server."""

    collection: str
    uid: str
    href: str
    etag: str | None
    sent_hash: str


@dataclass
class SyncState:
    """What `sync` left on one CalDAV server: collection URLs and sync tokens, and events."""

    collections: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # url, token
    events: dict[tuple[str, str], SyncedEvent] = field(default_factory=dict)  # (coll, uid)


def append(previous: Path, staged: Path, entry: Entry) -> int:
    """Copy the history at `previous` (when there is one) to `staged` and add `entry` to it
    as the next version; returns its number."""
    staged.unlink(missing_ok=True)
    with _connect(staged, named=previous) as target:
        if previous.is_file():
            with _connect(previous, read_only=True) as source:
                _check_schema(source, previous)
                source.backup(target)
        else:
            target.executescript(_SCHEMA)
            target.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        _migrate(target)
        target.execute("PRAGMA journal_mode=WAL")
        number = _add(target, entry)
        target.commit()
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for leftover in (
        staged.with_name(staged.name + "-wal"),
        staged.with_name(staged.name + "-shm"),
    ):
        leftover.unlink(missing_ok=True)  # checkpointed: nothing in them
    return number


def update(path: Path, change: Callable[[sqlite3.Connection], None]) -> None:
    """Apply `change` to a copy of the history at `path` and put the copy in its place at
    once (readers see the old file or the new one, never a mix). The caller holds the
    folder lock (`versions.folder.folder_lock`), so no version run writes meanwhile."""
    path = Path(path)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    staged = Path(name)
    try:
        staged.unlink()
        with _connect(staged, named=path) as target:
            with _connect(path, read_only=True) as source:
                _check_schema(source, path)
                source.backup(target)
            _migrate(target)
            change(target)
            target.commit()
            target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with open(staged, "rb") as written:
            os.fsync(written.fileno())
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)
        for leftover in ("-wal", "-shm", "-journal"):
            staged.with_name(staged.name + leftover).unlink(missing_ok=True)


def feed_tokens(path: Path) -> dict[str, tuple[str, int]]:
    """Each feed's token and the latest version that wrote it, by name (empty in a
    version-1 history, which has none yet)."""
    with _reading(path) as db:
        if not _has_table(db, "feeds"):
            return {}
        rows = db.execute("SELECT name, token, version FROM feeds").fetchall()
    return {name: (token, version) for name, token, version in rows}


def add_feed_tokens(db: sqlite3.Connection, names: list[str], version: int) -> None:
    """Give every feed in `names` a token of its own (kept when it has one), written by
    `version`; for `update`."""
    for name in names:
        db.execute(
            "INSERT INTO feeds VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
            "version = MAX(version, excluded.version)",
            (name, secrets.token_urlsafe(24), version),
        )


def sync_state(path: Path, server: str) -> SyncState:
    """What `sync` last left on the CalDAV server at `server` (empty when nothing yet)."""
    state = SyncState()
    with _reading(path) as db:
        if not _has_table(db, "caldav_events"):
            return state
        for collection, url, token in db.execute(
            "SELECT collection, url, sync_token FROM caldav_collections WHERE server = ?",
            (server,),
        ):
            state.collections[collection] = (url, token)
        for row in db.execute(
            "SELECT collection, uid, href, etag, sent_hash FROM caldav_events WHERE server = ?",
            (server,),
        ):
            event = SyncedEvent(*row)
            state.events[(event.collection, event.uid)] = event
    return state


def save_sync_state(db: sqlite3.Connection, server: str, state: SyncState) -> None:
    """Replace what history keeps of the CalDAV server `server` by `state`; for `update`."""
    db.execute("DELETE FROM caldav_collections WHERE server = ?", (server,))
    db.execute("DELETE FROM caldav_events WHERE server = ?", (server,))
    db.executemany(
        "INSERT INTO caldav_collections VALUES (?, ?, ?, ?)",
        [(server, name, url, token) for name, (url, token) in sorted(state.collections.items())],
    )
    db.executemany(
        "INSERT INTO caldav_events VALUES (?, ?, ?, ?, ?, ?)",
        [
            (server, e.collection, e.uid, e.href, e.etag, e.sent_hash)
            for _, e in sorted(state.events.items())
        ],
    )


def versions(path: Path) -> list[Version]:
    """Every version in the history at `path`, oldest first."""
    with _reading(path) as db:
        rows = db.execute(
            "SELECT number, written, command, plan, plan_file, today, restored_from, status, "
            "late_days, tasks, moved, reassigned, added, cancelled FROM versions ORDER BY number"
        ).fetchall()
    return [Version(*row) for row in rows]


def schedule_json(path: Path, number: int) -> str:
    """The schedule.json text that version `number` wrote."""
    return _one(path, number, "schedule")


def options_of(path: Path, number: int) -> dict:
    """The export options version `number` was written with."""
    return json.loads(_one(path, number, "options"))


def run_of(path: Path, number: int) -> Run:
    """The plan file text and templates of version `number`, as a `restore` run of it."""
    with _reading(path) as db:
        row = db.execute(
            "SELECT plan_file, plan_text, today FROM versions WHERE number = ?", (number,)
        ).fetchone()
        if row is None:
            raise HistoryError(_no_version(path, number))
        templates = {
            template_id: (file, text)
            for template_id, file, text in db.execute(
                "SELECT id, file, text FROM templates WHERE version = ? ORDER BY id", (number,)
            )
        }
    plan_file, plan_text, today = row
    return Run("restore", plan_file, plan_text, templates, today, restored_from=number)


def event_states(path: Path, number: int) -> list[EventState]:
    """The export state version `number` left: every event of every calendar file."""
    with _reading(path) as db:
        if db.execute("SELECT 1 FROM versions WHERE number = ?", (number,)).fetchone() is None:
            raise HistoryError(_no_version(path, number))
        rows = db.execute(
            "SELECT file, uid, sequence, status, content_hash FROM events WHERE version = ? "
            "ORDER BY file, uid",
            (number,),
        ).fetchall()
    return [EventState(*row) for row in rows]


def _add(db: sqlite3.Connection, entry: Entry) -> int:
    (last,) = db.execute("SELECT COALESCE(MAX(number), 0) FROM versions").fetchone()
    number = last + 1
    run, counts = entry.run, entry.counts
    db.execute(
        "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            number,
            entry.written,
            run.command,
            entry.plan,
            run.plan_file,
            run.plan_text,
            run.today,
            run.restored_from,
            entry.status,
            entry.late_days,
            entry.tasks,
            counts.get("moved", 0),
            counts.get("reassigned", 0),
            counts.get("added", 0),
            counts.get("cancelled", 0),
            json.dumps(entry.options, sort_keys=True),
            entry.schedule_json,
        ),
    )
    db.executemany(
        "INSERT INTO templates VALUES (?, ?, ?, ?)",
        [(number, tid, file, text) for tid, (file, text) in sorted(run.templates.items())],
    )
    db.executemany(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
        [(number, e.file, e.uid, e.sequence, e.status, e.content_hash) for e in entry.events],
    )
    add_feed_tokens(db, list(entry.feeds), number)
    return number


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a history of an older schema to this program's (adds tables, changes none)."""
    db.executescript(_SCHEMA_2)
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
    db.commit()


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return db.execute(query, (name,)).fetchone() is not None


def _one(path: Path, number: int, column: str) -> str:
    with _reading(path) as db:
        row = db.execute(f"SELECT {column} FROM versions WHERE number = ?", (number,)).fetchone()
    if row is None:
        raise HistoryError(_no_version(path, number))
    return row[0]


def _no_version(path: Path, number: int) -> str:
    return f"{path}: no version {number} (run `promo-scheduler history {path.parent}`)"


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[sqlite3.Connection]:
    if not path.is_file():
        raise HistoryError(f"{path}: no history here (no plan, replan or export wrote this folder)")
    with _connect(path, read_only=True) as db:
        _check_schema(db, path)
        yield db


@contextlib.contextmanager
def _connect(
    path: Path, read_only: bool = False, named: Path | None = None
) -> Iterator[sqlite3.Connection]:
    """A connection to the database file `path`; its errors become HistoryError. A copy
    being written in the place of another file says so as `named`: the history the user
    knows (DIR/history.sqlite, not its staged copy or temporary file)."""
    shown = named or path
    try:
        if read_only:  # an installed history is never changed, only replaced whole
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        else:
            db = sqlite3.connect(path)
    except sqlite3.Error as error:
        raise HistoryError(f"{shown}: cannot open the history ({error})") from error
    try:
        yield db
    except sqlite3.DatabaseError as error:
        raise _failure(error, shown, read_only) from error
    finally:
        db.close()


_NOT_WRITTEN = {  # SQLite's primary result codes of a write the file system refused
    sqlite3.SQLITE_IOERR: "the disk refused the write (I/O error)",
    sqlite3.SQLITE_READONLY: "the folder or file is read-only",
    sqlite3.SQLITE_CANTOPEN: "the file cannot be made or opened",
}


def _failure(error: sqlite3.DatabaseError, path: Path, read_only: bool) -> HistoryError:
    """What went wrong with the history `path`, in the user's terms: a full disk (SQLite's
    SQLITE_FULL, "database or disk is full") names the folder; a damaged file is not a
    readable history."""
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
    folder = path.parent
    if code == sqlite3.SQLITE_FULL:
        return HistoryError(
            f"{path}: the disk is full: no room in {folder} to write the history "
            f"(free some space; {folder} keeps its previous version)"
        )
    if code in _NOT_WRITTEN and not read_only:
        return HistoryError(
            f"{path}: cannot be written: {_NOT_WRITTEN[code]} ({error}; "
            f"{folder} keeps its previous version)"
        )
    return HistoryError(f"{path}: not a readable history ({error})")


def _check_schema(db: sqlite3.Connection, path: Path) -> None:
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as error:
        raise HistoryError(f"{path}: not a promo-scheduler history ({error})") from error
    if row is None or not row[0].isdigit():
        raise HistoryError(f"{path}: not a promo-scheduler history (no schema version)")
    if int(row[0]) > SCHEMA_VERSION:
        raise HistoryError(
            f"{path}: schema version {row[0]} is newer than this program's {SCHEMA_VERSION} "
            "(upgrade promo-scheduler)"
        )
