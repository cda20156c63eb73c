"""Make a CalDAV server hold an output folder's latest version (FORMAT.md section 7).

Under the calendar home URL, each calendar file has a child collection: `team`,
`activities`, and one per person file whose last path segment is the staff id, made with
MKCALENDAR when missing. In each, every event of the file is the resource
`<UID's local part>.ics`:

- a live event we never stored is created with `If-None-Match: *`;
- a live event whose text (all but DTSTAMP) changed since our last write is updated with
  `If-Match` on the ETag the server gave us then;
- a cancelled event that we stored is deleted with `If-Match`;
- an event the server changed since our last write (another ETag; the same content as
  ours counts as no change) is a conflict: reported, not overwritten or deleted, by every
  sync until someone deletes it on the server (then the plan's version is stored again);
- any other resource is not ours and never touched.

What was stored (href, ETag, hash of the text sent) and each collection's sync token (RFC
6578, else its ctag) are kept in history.sqlite, per server. When the token is the one our
last change left, nothing changed on the server and its listing is not even read; so a
second sync with nothing new makes one PROPFIND per collection and no write.

history.sqlite is written once, at the end; each PUT and DELETE is also journaled as it
happens, before the request and after the answer, in DIR/.promo-sync-journal (`journal.py`).
A sync that is killed leaves the server with writes history does not hold; the next sync
first merges the journal into the state, so those events are known as ours with the ETags
the server gave. The rule for a write whose outcome is unknown (killed between the request
and its record): an event on the server that is not as the state says is ours when its body
is the one we would write now, or the one a journaled PUT of that UID sent (same
`resources.digest`); it is then taken as stored with the server's ETag and updated or
deleted as the plan says. Any other body is someone else's edit: a conflict. So the next sync
creates what is missing, updates, deletes the cancelled, and writes nothing twice.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scheduler.caldav_sync import journal
from scheduler.caldav_sync.dav import Answer, Dav
from scheduler.caldav_sync.resources import KINDS, Collection, Resource, collections, digest
from scheduler.versions import folder as version
from scheduler.versions import history
from scheduler.versions.history import SyncedEvent, SyncState


@dataclass(frozen=True)
class Conflict:
    """An event changed on the server since our last write: left as the server has it."""

    collection: str
    uid: str
    summary: str
    reason: str


@dataclass
class Summary:
    """What a sync did (or, with dry_run, would do)."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    collections_created: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # one line per write, for --dry-run
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    writes: int = 0

    def line(self) -> str:
        """The one-line summary."""
        return (
            f"created {self.created}, updated {self.updated}, deleted {self.deleted}, "
            f"unchanged {self.unchanged}, conflicts {len(self.conflicts)}"
        )


def sync(
    out_dir: Path,
    home: str,
    user: str | None = None,
    password: str | None = None,
    *,
    dry_run: bool = False,
    only: tuple[str, ...] = KINDS,
    on_wait: Callable[[], None] = lambda: None,
    dav: Dav | None = None,
) -> Summary:
    """Sync the latest version of `out_dir` to the calendar home `home` (a collection URL;
    a missing final `/` is added). Holds the folder lock meanwhile (waiting, after
    `on_wait`, for a run writing it); journals each write (`journal.py`) and keeps what it
    stored in history.sqlite unless `dry_run`. HistoryError: no history; DavError: the
    server cannot be reached or refuses."""
    out_dir = Path(out_dir)
    home = home if home.endswith("/") else home + "/"
    path = out_dir / history.HISTORY
    history.versions(path)  # a folder without history is bad input, before any lock
    with version.folder_lock(out_dir, wait=True, on_wait=on_wait):
        version.recover(out_dir)
        state = history.sync_state(path, home)
        pending = journal.merge(journal.read(out_dir), home, state)  # a killed sync's writes
        found, warnings = collections(out_dir, only)
        dav = dav or Dav(home, user, password)
        run = _Run(
            dav=dav,
            state=state,
            summary=Summary(warnings=warnings),
            dry=dry_run,
            log=None if dry_run else journal.Journal(out_dir, home),
            pending=pending,
        )
        try:
            for collection in found:
                _sync_collection(run, home, collection)
        finally:
            if run.log is not None:
                run.log.close()
            run.summary.requests, run.summary.writes = dav.requests, dav.writes
            if not dry_run:
                if _state_changed(path, home, state):
                    history.update(path, lambda db: history.save_sync_state(db, home, state))
                keep = [
                    r
                    for r in journal.read(out_dir)
                    if r["server"] == home
                    and r["op"] == "put"
                    and (r["collection"], r["uid"]) not in run.resolved
                ]
                journal.clear(out_dir, home, keep)
    return run.summary


@dataclass
class _Run:
    """One sync's connection, state, summary and journal."""

    dav: Dav
    state: SyncState
    summary: Summary
    dry: bool
    log: journal.Journal | None  # None in a dry run
    pending: dict[tuple[str, str], list[dict]]  # journaled PUTs, by (collection, uid)
    resolved: set[tuple[str, str]] = field(default_factory=set)  # the events looked at

    def record(self, op: str, key: tuple[str, str], href: str, **fields) -> None:
        """Journal one step of a write (nothing in a dry run)."""
        if self.log is not None:
            self.log.record(op, key[0], key[1], href, **fields)


def _state_changed(path: Path, home: str, state: SyncState) -> bool:
    old = history.sync_state(path, home)
    return old.collections != state.collections or old.events != state.events


def _sync_collection(run: _Run, home: str, collection: Collection) -> None:
    dav, state, summary, dry = run.dav, run.state, run.summary, run.dry
    url = home + urllib.parse.quote(collection.name, safe="") + "/"
    name = collection.name
    known = {uid: e for (c, uid), e in state.events.items() if c == name}
    writes, conflicts = dav.writes, len(summary.conflicts)
    exists, token = dav.collection(url)
    if not exists:
        summary.collections_created.append(name)
        summary.actions.append(f"make collection {url}")
        if not dry:
            dav.make_calendar(url, name)
        server: dict[str, str | None] = {}
        known = {}  # a collection made anew holds none of what we stored
        for uid in [u for (c, u) in state.events if c == name]:
            del state.events[(name, uid)]
    elif state.collections.get(name, (None, None))[1] == token and token is not None:
        server = {e.href.rsplit("/", 1)[-1]: e.etag for e in known.values()}  # as we left it
    else:
        server = dav.etags(url)

    for uid, resource in collection.resources.items():
        _sync_event(run, url, name, resource, known.get(uid), server)
        run.resolved.add((name, uid))
    gone = {uid: stored.href for uid, stored in known.items()}
    for (c, uid), intents in run.pending.items():  # PUT by a killed sync, outcome unknown
        if c == name and uid not in gone:
            gone[uid] = intents[-1]["href"]
    for uid, href in gone.items():
        if uid not in collection.resources:  # not in the file any more: as if cancelled
            resource = Resource(uid, href.rsplit("/", 1)[-1], b"", "", True, uid)
            _sync_event(run, url, name, resource, known.get(uid), server)
            run.resolved.add((name, uid))

    if not dry:
        if dav.writes > writes:  # the token our changes left
            _exists, token = dav.collection(url)
        if len(summary.conflicts) > conflicts:
            token = None  # not as we left it: list it again next time, to report them again
        state.collections[name] = (url, token)


def _sync_event(
    run: _Run,
    url: str,
    name: str,
    resource: Resource,
    stored: SyncedEvent | None,
    server: dict[str, str | None],
) -> None:
    dav, state, summary, dry = run.dav, run.state, run.summary, run.dry
    href = url + resource.href_name
    on_server = resource.href_name in server
    etag = server.get(resource.href_name)
    key = (name, resource.uid)
    candidates = run.pending.get(key, [])

    def conflict(reason: str) -> None:
        summary.conflicts.append(Conflict(name, resource.uid, resource.summary, reason))

    def remember(new_etag: str | None, sent_hash: str = resource.content_hash) -> SyncedEvent:
        state.events[key] = SyncedEvent(name, resource.uid, href, new_etag, sent_hash)
        return state.events[key]

    if resource.cancelled:
        if not on_server or (stored is None and not candidates):
            state.events.pop(key, None)  # never ours, or already gone
            return
        if stored is None or etag != stored.etag:
            # Not as we left it: ours to delete when it is what a journaled PUT sent.
            current = dav.get(href)
            sent = _sent(current, candidates)
            if current.status == 404 or (stored is None and sent is None):
                state.events.pop(key, None)
                return
            if sent is None:
                conflict("changed on the server since the last sync; not deleted")
                return
            stored = remember(current.etag or etag, sent["hash"])
        summary.actions.append(f"delete {href}")
        if dry:
            summary.deleted += 1
            return
        run.record("delete", key, href, etag=stored.etag)
        answer = dav.delete(href, stored.etag)
        if answer.status in (200, 204, 404):
            run.record("delete-done", key, href)
            summary.deleted += 1
            state.events.pop(key, None)
            return
        run.record("refused", key, href, status=answer.status)
        if answer.status == 412:
            conflict("changed on the server since the last sync; not deleted")
        else:
            summary.warnings.append(f"{href}: DELETE answered {answer.status}")
        return

    if on_server and (stored is None or etag != stored.etag or stored.etag is None):
        # Not as we left it (or we never knew its ETag): ours when it says what we would
        # write, or what a journaled PUT sent (then updated as any event of ours).
        current = dav.get(href)
        if current.status == 200 and digest(current.body) == digest(resource.body):
            summary.unchanged += 1
            remember(current.etag or etag)
            return
        sent = _sent(current, candidates)
        if sent is not None:
            stored = remember(current.etag or etag, sent["hash"])
        elif current.status != 404:
            if stored is None:
                conflict("an event with this UID is on the server but was not stored by sync")
            else:
                conflict("changed on the server since the last sync; not overwritten")
            return
        else:
            on_server = False
    if on_server and stored is not None and stored.sent_hash == resource.content_hash:
        summary.unchanged += 1
        return
    creating = not on_server
    summary.actions.append(f"{'create' if creating else 'update'} {href}")
    if dry:
        if creating:
            summary.created += 1
        else:
            summary.updated += 1
        return
    previous = None if creating else stored.etag
    run.record(
        "put", key, href, etag=previous, hash=resource.content_hash, digest=digest(resource.body)
    )
    answer = dav.put(href, resource.body, previous)
    if answer.status in (200, 201, 204):
        run.record("put-done", key, href, etag=answer.etag, hash=resource.content_hash)
        if creating:
            summary.created += 1
        else:
            summary.updated += 1
        remember(answer.etag)
        return
    run.record("refused", key, href, status=answer.status)
    if answer.status == 412:
        conflict("changed on the server since the last sync; not overwritten")
    else:
        summary.warnings.append(f"{href}: PUT answered {answer.status}: {answer.body[:200]}")


def _sent(current: Answer, candidates: list[dict]) -> dict | None:
    """The journaled PUT whose body the server's answer holds (by `digest`), if any."""
    if current.status != 200 or not candidates:
        return None
    found = digest(current.body)
    if found is None:
        return None
    return next((c for c in reversed(candidates) if c.get("digest") == found), None)
