"""The timezones (VTIMEZONE) of the calendar files, made once per zone and span of years.

`Calendar.add_missing_timezones` walks every property of every event of a file to find the
TZIDs they use, then builds each missing zone's transitions afresh; with timed events the
team file and each person file did both, for the same zone and years. `ZoneCache` does what
it does, finding each event's TZIDs once (the person files hold the team file's events) and
building a zone once per span; a file whose events use more than one zone is left to
icalendar, whose order of several zones is its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from icalendar import Calendar, Timezone


class ZoneCache:
    """Each event's TZIDs and each (zone, first date, last date)'s VTIMEZONE, made once."""

    def __init__(self) -> None:
        self._used: dict[int, tuple[Any, frozenset[str]]] = {}
        self._zones: dict[tuple[str, date, date], Timezone | None] = {}

    def used(self, component: Any) -> frozenset[str]:
        """The TZIDs a component's properties name, as `Calendar.get_used_tzids` finds them."""
        known = self._used.get(id(component))
        if known is None:
            tzids = frozenset(
                value.params.get("TZID")
                for _, value in component.property_items(sorted=False)
                if hasattr(value, "params")
            )
            known = self._used[id(component)] = (component, tzids - {None})
        return known[1]

    def add_missing(
        self, calendar: Calendar, events: Iterable[Any], first_date: date, last_date: date
    ) -> None:
        """Give `calendar` (no events or timezones in it yet) the VTIMEZONE components that
        `add_missing_timezones(first_date, last_date)` would give it holding `events`."""
        events = list(events)
        own = {
            value.params.get("TZID")
            for _, value in calendar.property_items(recursive=False, sorted=False)
            if hasattr(value, "params")
        }
        missing = own.union(*(self.used(event) for event in events)) - {None, "UTC"}
        if len(missing) > 1:
            for event in events:
                calendar.add_component(event)
            calendar.add_missing_timezones(first_date=first_date, last_date=last_date)
            return
        for tzid in missing:
            key = (tzid, first_date, last_date)
            if key not in self._zones:
                try:
                    zone = Timezone.from_tzid(tzid, first_date=first_date, last_date=last_date)
                except ValueError:
                    zone = None
                self._zones[key] = zone
            if self._zones[key] is not None:
                calendar.subcomponents.insert(0, self._zones[key])
