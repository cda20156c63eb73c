"""The calendar files of an output folder as CalDAV collections of event resources.

Each VEVENT becomes one calendar object resource (RFC 4791 section 4.1): a VCALENDAR with
the file's VERSION and PRODID, the VTIMEZONEs the event uses, and the event as the file
writes it. Its href in the collection is `<UID's local part>.ics`, so it depends only on
the UID. `content_hash` is what tells a changed event from an unchanged one (its text
without DTSTAMP, which every version renews); `digest` compares an event as a server returns
it (re-serialised, properties in another order) with ours.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from icalendar import Calendar

from scheduler.export.ics import ACTIVITIES_FILE, CALENDAR_FOLDER, TEAM_FILE, file_owner

KINDS = ("team", "people", "activities")
_BLOCK = re.compile(rb"^BEGIN:(VEVENT|VTIMEZONE)\r\n.*?^END:\1\r\n", re.MULTILINE | re.DOTALL)
_FOLD = re.compile(rb"\r\n[ \t]")
_TZID = re.compile(rb"^TZID:(.*)$", re.MULTILINE)
_TZID_PARAM = re.compile(rb";TZID=([^;:]*)")
_IGNORED = {"DTSTAMP", "LAST-MODIFIED", "CREATED"}


@dataclass(frozen=True)
class Resource:
    """One event of a calendar file, as the resource `sync` keeps on the server."""

    uid: str
    href_name: str  # the resource's last path segment
    body: bytes
    content_hash: str
    cancelled: bool
    summary: str


@dataclass(frozen=True)
class Collection:
    """One calendar file as a server collection: `team`, `activities` or a staff id."""

    name: str
    kind: str  # team, people or activities
    file: Path
    resources: dict[str, Resource]  # by UID


def collections(out_dir: Path, only: tuple[str, ...] = KINDS) -> tuple[list[Collection], list[str]]:
    """The collections of the folder's calendar files (team, activities, one per person
    file) whose kind is in `only`; and warnings for person files that name no collection."""
    folder = Path(out_dir) / CALENDAR_FOLDER
    found: list[Collection] = []
    warnings: list[str] = []
    for path in sorted(folder.glob("*.ics")) if folder.is_dir() else []:
        if path.name == TEAM_FILE:
            name, kind = "team", "team"
        elif path.name == ACTIVITIES_FILE:
            name, kind = "activities", "activities"
        else:
            owner = file_owner(path.name)
            if owner is None:
                continue  # not a person file of ours
            if owner in ("team", "activities"):
                warnings.append(f"{path}: staff id {owner!r} is the name of another collection")
                continue
            name, kind = owner, "people"
        if kind in only:
            found.append(Collection(name, kind, path, read_resources(path)))
    return found, warnings


def read_resources(path: Path) -> dict[str, Resource]:
    """Each VEVENT of the calendar file at `path` as a resource, by UID."""
    raw = path.read_bytes()
    head = _head(raw)
    zones = {}
    events = []
    for match in _BLOCK.finditer(raw):
        block = match.group(0)
        if match.group(1) == b"VTIMEZONE":
            tzid = _TZID.search(_FOLD.sub(b"", block))
            if tzid:
                zones[tzid.group(1).strip()] = block
        else:
            events.append(block)
    found: dict[str, Resource] = {}
    for block in events:
        event = Calendar.from_ical(b"BEGIN:VCALENDAR\r\n" + block + b"END:VCALENDAR\r\n")
        (vevent,) = event.walk("VEVENT")
        uid = str(vevent["UID"])
        used = set(_TZID_PARAM.findall(_FOLD.sub(b"", block)))
        body = (
            b"BEGIN:VCALENDAR\r\n"
            + head
            + b"".join(zones[z] for z in sorted(used) if z in zones)
            + block
            + b"END:VCALENDAR\r\n"
        )
        found[uid] = Resource(
            uid=uid,
            href_name=urllib.parse.quote(uid.split("@", 1)[0], safe="") + ".ics",
            body=body,
            content_hash=content_hash(block),
            cancelled=str(vevent.get("STATUS", "")).upper() == "CANCELLED",
            summary=str(vevent.get("SUMMARY", "")),
        )
    return found


def content_hash(block: bytes) -> str:
    """A hash of an event's text without its DTSTAMP (which each version renews)."""
    lines = _FOLD.sub(b"", block).split(b"\r\n")
    kept = b"\r\n".join(line for line in lines if not line.upper().startswith(b"DTSTAMP"))
    return hashlib.sha256(kept).hexdigest()


def digest(ical: bytes | str) -> str | None:
    """A hash of the VEVENTs of a calendar object, whatever order or line folding a server
    gives them: each property but DTSTAMP, LAST-MODIFIED and CREATED, with its parameters,
    and each alarm's. None when it is no calendar object."""
    try:
        calendar = Calendar.from_ical(ical)
    except ValueError:
        return None
    parts = []
    for event in calendar.walk("VEVENT"):
        parts.append(repr(_component_key(event)))
    return hashlib.sha256("\n".join(sorted(parts)).encode("utf-8", "surrogatepass")).hexdigest()


def _component_key(component) -> tuple:
    props = []
    for name, value in component.property_items(recursive=False):
        if name in _IGNORED or name in ("BEGIN", "END"):
            continue
        params = sorted((k.upper(), str(v)) for k, v in getattr(value, "params", {}).items())
        text = value.to_ical() if hasattr(value, "to_ical") else str(value)
        if isinstance(text, bytes):
            text = text.decode("utf-8", "surrogatepass")
        props.append((name, tuple(params), text))
    subs = sorted(repr(_component_key(sub)) for sub in component.subcomponents)
    return (component.name, tuple(sorted(props)), tuple(subs))


def _head(raw: bytes) -> bytes:
    """The file's VERSION and PRODID lines."""
    lines = []
    for line in raw.split(b"\r\n"):
        if line.startswith(b"BEGIN:V") and line != b"BEGIN:VCALENDAR":
            break
        if line.startswith((b"VERSION:", b"PRODID:")):
            lines.append(line + b"\r\n")
    return b"".join(lines)
