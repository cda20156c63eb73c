"""The WebDAV and CalDAV requests `sync` makes, over the `caldav` library's DAVClient.

Every request is one of: PROPFIND of a collection (does it exist, its RFC 6578 sync token
or its ctag) or of its members' ETags, GET of one resource, MKCALENDAR, and PUT or DELETE
of one resource with `If-Match` (its ETag) or `If-None-Match: *` (only when absent), so that
the server refuses, with 412, to overwrite an event that changed since we saw it.

For tests only: with PROMO_SCHEDULER_TEST_KILL_AFTER_WRITES=N in the environment, the
process kills itself (SIGKILL) as soon as the answer to its N-th write arrives, before the
caller sees it: the server has done the write, nobody recorded its outcome.
"""

from __future__ import annotations

import os
import signal
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
CS = "{http://calendarserver.org/ns/}"
KILL_AFTER_WRITES = "PROMO_SCHEDULER_TEST_KILL_AFTER_WRITES"

_PROPS_COLLECTION = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/">'
    "<d:prop><d:resourcetype/><d:sync-token/><cs:getctag/></d:prop></d:propfind>"
)
_PROPS_ETAGS = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>'
)


class DavError(RuntimeError):
    """The server cannot be reached or refused a request we cannot do without."""


@dataclass(frozen=True)
class Answer:
    """A response's status, ETag and body."""

    status: int
    etag: str | None
    body: str


class Dav:
    """A CalDAV server reached with the `caldav` library's client."""

    def __init__(self, home: str, user: str | None = None, password: str | None = None):
        import caldav

        self.home = home
        self.client = caldav.DAVClient(url=home, username=user, password=password, timeout=30)
        self.requests = 0
        self.writes = 0
        kill = os.environ.get(KILL_AFTER_WRITES, "")
        self._kill_after = int(kill) if kill.isdigit() else None

    def request(self, url: str, method: str, body: str = "", headers: dict | None = None) -> Answer:
        """One request; DavError when the server cannot be reached or refuses the login."""
        import caldav.lib.error as errors

        self.requests += 1
        if method in ("PUT", "DELETE", "MKCALENDAR", "MKCOL", "PROPPATCH"):
            self.writes += 1
        try:
            answer = self.client.request(url, method, body, headers or {})
        except errors.AuthorizationError as error:
            raise DavError(
                f"{url}: the server refused the login ({error.reason or error})"
            ) from None
        except Exception as error:  # the client's transport errors (requests or niquests)
            raise DavError(f"{url}: {method} failed ({type(error).__name__}: {error})") from None
        if self.writes == self._kill_after and method in ("PUT", "DELETE", "MKCALENDAR"):
            os.kill(os.getpid(), signal.SIGKILL)  # the test hook: see the module docstring
        headers_in = answer.headers or {}
        etag = headers_in.get("ETag") or headers_in.get("etag")
        raw = answer.raw
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
        return Answer(int(answer.status), etag, text)

    def collection(self, url: str) -> tuple[bool, str | None]:
        """Whether the collection at `url` exists, and its sync token (or ctag)."""
        answer = self.request(url, "PROPFIND", _PROPS_COLLECTION, _xml_headers("0"))
        if answer.status == 404:
            return False, None
        _check(answer, url, "PROPFIND")
        token = None
        for _href, props in _multistatus(answer.body):
            token = props.get(DAV + "sync-token") or props.get(CS + "getctag") or token
        return True, token

    def etags(self, url: str) -> dict[str, str | None]:
        """The ETag of each resource in the collection at `url`, by its last path segment."""
        answer = self.request(url, "PROPFIND", _PROPS_ETAGS, _xml_headers("1"))
        _check(answer, url, "PROPFIND")
        own = urllib.parse.urlparse(url).path.rstrip("/")
        found = {}
        for href, props in _multistatus(answer.body):
            path = urllib.parse.urlparse(href).path
            if path.rstrip("/") == own or props.get("collection"):
                continue
            found[urllib.parse.unquote(path.rstrip("/").rsplit("/", 1)[-1])] = props.get(
                DAV + "getetag"
            )
        return found

    def make_calendar(self, url: str, name: str) -> None:
        """Create the calendar collection at `url`, shown as `name`."""
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            f"<d:set><d:prop><d:displayname>{_escape(name)}</d:displayname>"
            '<c:supported-calendar-component-set><c:comp name="VEVENT"/>'
            "</c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>"
        )
        answer = self.request(url, "MKCALENDAR", body, {"Content-Type": "application/xml"})
        _check(answer, url, "MKCALENDAR")

    def get(self, url: str) -> Answer:
        """The resource at `url` (status 404 when it is gone)."""
        return self.request(url, "GET")

    def put(self, url: str, body: bytes, etag: str | None) -> Answer:
        """Store `body` at `url`: over the resource with `etag`, or (None) only where none is."""
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        headers["If-Match" if etag else "If-None-Match"] = etag or "*"
        return self.request(url, "PUT", body.decode("utf-8"), headers)

    def delete(self, url: str, etag: str | None) -> Answer:
        """Delete the resource at `url` if it still has `etag`."""
        return self.request(url, "DELETE", "", {"If-Match": etag} if etag else {})


def _xml_headers(depth: str) -> dict[str, str]:
    return {"Depth": depth, "Content-Type": "application/xml; charset=utf-8"}


def _check(answer: Answer, url: str, method: str) -> None:
    if not 200 <= answer.status < 300:
        raise DavError(f"{url}: {method} answered {answer.status}")


def _multistatus(text: str) -> list[tuple[str, dict[str, str | None]]]:
    """(href, {property: text}) of each response of a 207 Multi-Status with status 200."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise DavError(f"not a WebDAV answer ({error})") from None
    found = []
    for response in root.iter(DAV + "response"):
        href = (response.findtext(DAV + "href") or "").strip()
        props: dict[str, str | None] = {}
        for propstat in response.iter(DAV + "propstat"):
            if " 200 " not in f" {propstat.findtext(DAV + 'status') or ''} ":
                continue
            for prop in propstat.iter(DAV + "prop"):
                for child in prop:
                    if child.tag == DAV + "resourcetype":
                        if child.find(DAV + "collection") is not None:
                            props["collection"] = "yes"
                        continue
                    props[child.tag] = (child.text or "").strip() or None
        found.append((href, props))
    return found


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
