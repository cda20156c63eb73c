"""The WSGI application of `serve`: the latest version's feeds, and 404 for anything else.

`GET` or `HEAD /<token>/<file name>` answers the feed with `Content-Type`, a strong `ETag`
(a hash of the body), `Last-Modified` and `Cache-Control: no-cache` (clients revalidate);
`If-None-Match` (which wins) or `If-Modified-Since` give `304 Not Modified`. Any other path
(a wrong token, a file name of another feed, `/../history.sqlite`, `/`) is `404` without a
listing. Every request first checks, by a stat of history.sqlite and of the journal, whether
a new version was installed; a version being installed is not read until it is whole, and
meanwhile the last whole one is served.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any

from scheduler.feeds.snapshot import Feed, Snapshot, identity, installing, read_snapshot
from scheduler.versions import folder as version
from scheduler.versions.history import HistoryError

StartResponse = Callable[..., Any]


class FeedApp:
    """A WSGI application serving the feeds of the output folder `out_dir`."""

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def current(self) -> Snapshot | None:
        """The snapshot to serve: re-read when history.sqlite was replaced, kept while a
        version is being installed (a version a killed run left half installed is finished
        here when no run holds the folder)."""
        with self._lock:
            known = self._snapshot
            same = known is not None and known.identity == identity(self.out_dir)
            if same and not installing(self.out_dir):
                return known
            if installing(self.out_dir):
                self._finish_killed_run()
            try:
                fresh = read_snapshot(self.out_dir)
            except HistoryError:
                fresh = None
            if fresh is not None:
                self._snapshot = fresh
            return self._snapshot

    def _finish_killed_run(self) -> None:
        try:
            with version.folder_lock(self.out_dir, wait=False, on_wait=lambda: None):
                version.recover(self.out_dir)
        except (version.FolderBusy, OSError):
            pass  # a run is installing it: serve the last whole version meanwhile

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request (PEP 3333)."""
        method = environ.get("REQUEST_METHOD", "GET")
        snapshot = self.current()
        feed = snapshot.feeds.get(environ.get("PATH_INFO", "")) if snapshot else None
        if feed is None:
            return _plain(start_response, "404 Not Found", b"not found\n")
        if method not in ("GET", "HEAD"):
            return _plain(start_response, "405 Method Not Allowed", b"", [("Allow", "GET, HEAD")])
        headers = [
            ("ETag", feed.etag),
            ("Last-Modified", formatdate(feed.last_modified, usegmt=True)),
            ("Cache-Control", "no-cache"),
        ]
        if _not_modified(environ, feed):
            start_response("304 Not Modified", headers)
            return [b""]
        headers += [("Content-Type", feed.content_type), ("Content-Length", str(len(feed.body)))]
        start_response("200 OK", headers)
        return [b"" if method == "HEAD" else feed.body]


def _not_modified(environ: dict, feed: Feed) -> bool:
    """RFC 9110 section 13.2.2: If-None-Match (weak comparison) when given, else
    If-Modified-Since."""
    none_match = environ.get("HTTP_IF_NONE_MATCH")
    if none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in none_match.split(",")]
        return "*" in tags or feed.etag in tags
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if since:
        try:
            return feed.last_modified <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError, IndexError):
            return False
    return False


def _plain(
    start_response: StartResponse, status: str, body: bytes, extra: list | None = None
) -> list[bytes]:
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response(status, headers + (extra or []))
    return [body]
