"""Content lines of calendar events, each as icalendar writes it, for a year of events.

Building one icalendar `Event` per task and writing it costs about 40 microseconds a
property. The events of a plan repeat most of their values (the stamp, the status, a
person's attendee line, the same few hundred dates), so `EventLines` has icalendar write
each distinct property once (a component holding only it, written by
`ics_fold.component_bytes`) and reuses that text. A text that differs from event to event
(a summary, a description) is escaped by icalendar's own `vText` and folded by
`ics_fold.folded`, which is what icalendar does to a text property without parameters.
The order of an event's properties is icalendar's (`Component.sorted_keys`) for the names
it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import date, datetime
from typing import Any

from icalendar import Component, vText

from scheduler.export.ics_fold import component_bytes, folded


class EventLines:
    """Each distinct property line written once by icalendar, then reused."""

    def __init__(self) -> None:
        self._lines: dict[Hashable, bytes] = {}
        self._orders: dict[tuple, list[str]] = {}

    def text(self, name: str, value: str) -> bytes:
        """The line of a TEXT property without parameters (`component.add(name, value)`)."""
        return folded(f"{name}:{vText(value).to_ical().decode('utf-8')}") + b"\r\n"

    def value(self, kind: type[Component], name: str, value: Any) -> bytes:
        """The line(s) of `kind().add(name, value)`: a date, a number, a list of texts."""
        key = (kind, name, _value_key(value))
        line = self._lines.get(key)
        if line is None:
            line = self.made(key, kind, lambda component: component.add(name, value))
        return line

    def made(
        self, key: Hashable, kind: type[Component], fill: Callable[[Component], None]
    ) -> bytes:
        """The property lines that `fill` adds to an empty `kind` component, written once per
        `key` (which must tell apart everything `fill` may write)."""
        line = self._lines.get(key)
        if line is None:
            component = kind()
            fill(component)
            text = component_bytes(component)
            begin = f"BEGIN:{component.name}\r\n".encode()
            end = f"END:{component.name}\r\n".encode()
            if not (text.startswith(begin) and text.endswith(end)):
                raise ValueError(f"{component.name}: unexpected text {text[:80]!r}")
            line = self._lines[key] = text[len(begin) : -len(end)]
        return line

    def order(self, kind: type[Component], names: Sequence[str]) -> list[str]:
        """The order icalendar writes these properties of a `kind` component in."""
        key = (kind, tuple(names))
        order = self._orders.get(key)
        if order is None:
            component = kind()
            for name in names:
                component[name] = ""
            order = self._orders[key] = list(component.sorted_keys())
        return order


def _value_key(value: Any) -> Hashable:
    """What tells apart the values a property line may show: equal aware datetimes in
    two timezones are equal in Python, not in a calendar."""
    if isinstance(value, datetime):
        return (datetime, value.isoformat(), str(value.tzinfo), value.fold)
    if isinstance(value, date):
        return (date, value.isoformat())
    if isinstance(value, list):
        return (list, *(_value_key(v) for v in value))
    return (type(value), value)
