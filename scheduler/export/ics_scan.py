"""What an earlier calendar file says about its events, read without parsing every property.

Re-planning reads the earlier team.ics and every person file back as export state: each
event's UID, SEQUENCE, STATUS and assignee, and its text. Parsing a year of events with
icalendar takes seconds per file, and team.ics and the person files hold the same events.
For a file laid out as this project writes it, those four values can be read from their
own lines: `split_calendar` cuts the file into its head (the calendar's lines and
timezones) and its events, and `event_facts` reads one event's values, both only when
icalendar's parser would certainly read the same (otherwise they return None, and the
file is parsed as before):

- the head is followed by whole events only, each starting with `BEGIN:VEVENT` and ending
  with `END:VEVENT`, then `END:VCALENDAR`, nothing folded across their edges;
- an event holds no other component than reminders (`VALARM` with the three lines this
  project writes) and each of the four properties at most once, on a line of its own
  written plainly (upper-case name, no parameter, a value without backslash).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from icalendar.parser.content_line import NEWLINE, UFOLD

CALENDAR_END = b"END:VCALENDAR\r\n"
_EVENT = re.compile(rb"^BEGIN:VEVENT\r\n.*?^END:VEVENT\r\n", re.MULTILINE | re.DOTALL)
_NAME = re.compile(r"[^;:]*")  # a line's name as icalendar finds it, when it is plain:
_PLAIN_NAME = re.compile(r"[A-Za-z0-9 \t-]*")  # no quote or backslash, which move its end
_PLAIN = {
    "UID": re.compile(r"[^\\]*"),
    "SEQUENCE": re.compile(r"[+-]?[0-9]+"),
    "STATUS": re.compile(r"[A-Za-z-]+"),
    "X-PROMO-ASSIGNEE": re.compile(r"[^\\]*"),
}
_ALARM_LINES = (
    re.compile(r"ACTION:DISPLAY"),
    re.compile(r"DESCRIPTION:.*"),
    # -PT15H, -P2DT15H, -P1D, -PT30M: what a timedelta is written as, never empty
    re.compile(r"TRIGGER:-?P(?:[0-9]+D)?(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+S)?)?(?<!P)"),
)


@dataclass(frozen=True)
class EventFacts:
    """An event's UID, SEQUENCE, STATUS and X-PROMO-ASSIGNEE as icalendar reads them
    (None where the event has none)."""

    uid: str | None
    sequence: int | None
    status: str | None
    assignee: str | None


def split_calendar(raw: bytes) -> tuple[bytes, list[bytes]] | None:
    """The head and the events' text of a calendar file laid out as this project writes
    it (see the module docstring); None for any other file."""
    if not raw.endswith(CALENDAR_END):
        return None
    body_end = len(raw) - len(CALENDAR_END)
    blocks: list[bytes] = []
    head_end = None
    at = None
    for match in _EVENT.finditer(raw, 0, body_end):
        if at is None:
            head_end = at = match.start()
        elif match.start() != at:
            return None
        blocks.append(match.group())
        at = match.end()
    if at is None:
        head_end = at = body_end
    if at != body_end or not raw[:head_end].endswith(b"\r\n"):
        return None
    return raw[:head_end], blocks


def event_facts(block: bytes) -> EventFacts | None:
    """The four values of one event's text (from `split_calendar`), or None when icalendar
    might read them otherwise (see the module docstring)."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # unfolded and split as `Contentlines.from_ical` does, without a Contentline each
    lines = [line for line in NEWLINE.split(UFOLD.sub("", text)) if line]
    if len(lines) < 2 or lines[0] != "BEGIN:VEVENT" or lines[-1] != "END:VEVENT":
        return None
    values: dict[str, str] = {}
    in_alarm = False
    for line in lines[1:-1]:
        raw_name = _NAME.match(line).group()
        if not _PLAIN_NAME.fullmatch(raw_name):
            return None
        # icalendar drops blanks from a name and reads it in upper case
        name = raw_name.replace(" ", "").replace("\t", "").upper()
        if in_alarm:
            if line == "END:VALARM":
                in_alarm = False
            elif not any(form.fullmatch(line) for form in _ALARM_LINES):
                return None
            continue
        if name in ("BEGIN", "END"):
            if line != "BEGIN:VALARM":
                return None
            in_alarm = True
            continue
        form = _PLAIN.get(name)
        if form is None:
            continue
        value = line[len(name) + 1 :]
        if name in values or not line.startswith(f"{name}:") or not form.fullmatch(value):
            return None
        values[name] = value
    if in_alarm:
        return None
    sequence = values.get("SEQUENCE")
    return EventFacts(
        uid=values.get("UID"),
        sequence=int(sequence) if sequence is not None else None,
        status=values.get("STATUS"),
        assignee=values.get("X-PROMO-ASSIGNEE"),
    )
