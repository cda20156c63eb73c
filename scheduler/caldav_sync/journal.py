"""The write journal of `sync`: each PUT and DELETE, recorded durably as it happens.

`sync` keeps what it stored on a server in history.sqlite, which is replaced whole once, at
the end of the sync. A sync killed before that would leave the server holding events that
history does not know as ours. So every write is also recorded in `DIR/.promo-sync-journal`,
one JSON object a line, appended and fsync'ed:

- before the request, the intent: `put` (collection, UID, href, the ETag it overwrites, the
  content hash and the `resources.digest` of the body sent) or `delete`;
- after the answer, its outcome: `put-done` with the server's new ETag, `delete-done`, or
  `refused` (412, or any other status that changed nothing).

The next sync, before anything else, merges this server's records into the state read from
history (`merge`): a `put-done` stores the event with its new ETag and hash, a `delete-done`
forgets it. An intent with no outcome (killed between request and record) changes nothing
in the state, but its body's digest becomes a *candidate* for that UID: an event found on the
server that is not as history left it (unknown, or another ETag) is ours when its body says
what we would write now or what a journaled intent sent (equal `digest`), and it is then
taken as stored with the server's ETag and the hash of what that intent sent; so it is
updated or deleted as planned, not reported as a conflict. An event whose body is equal to
one we sent is ours to replace whatever wrote it: its content is ours. Anything else stays a
conflict.

Once the state is saved (`clear`), the journal keeps only the intents still unresolved, for
UIDs this sync did not look at (`--only`, or a sync stopped early): a later sync still needs
them as candidates. Replaying a journal onto a state that already holds it (a sync killed
between saving history and clearing the journal) gives the same state, or one whose ETags the
next sync re-reads; a torn last line (killed while appending) is ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from scheduler.versions.atomic import write_text
from scheduler.versions.history import SyncedEvent, SyncState

JOURNAL = ".promo-sync-journal"

Key = tuple[str, str]  # (collection, uid)


class Journal:
    """The append-only journal of one sync to the server `server` (its calendar home URL)."""

    def __init__(self, out_dir: Path, server: str):
        self.path = Path(out_dir) / JOURNAL
        self.server = server
        self._handle = None

    def record(self, op: str, collection: str, uid: str, href: str, **fields) -> None:
        """Append one record and make it durable (fsync) before returning."""
        line = {"server": self.server, "op": op, "collection": collection, "uid": uid}
        line.update(href=href, **fields)
        if self._handle is None:
            new = not self.path.exists()
            self._handle = open(self.path, "ab")  # noqa: SIM115 - kept open for the sync
            if new:
                _fsync_folder(self.path.parent)
        self._handle.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the journal file (a later `record` opens it again)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def read(out_dir: Path) -> list[dict]:
    """Every complete record of the journal in `out_dir`, oldest first (none when absent)."""
    path = Path(out_dir) / JOURNAL
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    found = []
    for line in raw.split(b"\n"):
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a torn last line, or an empty one
        if isinstance(record, dict) and {"server", "op", "collection", "uid"} <= record.keys():
            found.append(record)
    return found


def merge(records: list[dict], server: str, state: SyncState) -> dict[Key, list[dict]]:
    """Apply the outcomes journaled for `server` to `state`, in order; return each UID's
    intents to PUT (candidate bodies: `digest`, `hash`, `href`), by (collection, uid)."""
    pending: dict[Key, list[dict]] = {}
    for record in records:
        if record["server"] != server:
            continue
        key = (record["collection"], record["uid"])
        op = record["op"]
        if op == "put":
            pending.setdefault(key, []).append(record)
        elif op == "put-done":
            state.events[key] = SyncedEvent(
                key[0], key[1], record["href"], record.get("etag"), record["hash"]
            )
        elif op == "delete-done":
            state.events.pop(key, None)
    return pending


def clear(out_dir: Path, server: str, keep: list[dict]) -> None:
    """After this server's state is saved: drop its records but the intents in `keep`
    (other servers' records stay); remove the journal when nothing is left."""
    path = Path(out_dir) / JOURNAL
    records = read(out_dir)
    left = [r for r in records if r["server"] != server] + keep
    if not left:
        path.unlink(missing_ok=True)
        return
    if left == records:
        return
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in left)
    write_text(path, text)


def _fsync_folder(folder: Path) -> None:
    """Make a new file's name durable in `folder` (where the system allows it)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
