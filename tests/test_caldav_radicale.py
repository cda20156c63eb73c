"""team.ics uploaded to a real CalDAV server (Radicale) and read back with the `caldav` client.

Radicale runs as a subprocess on 127.0.0.1 with a free port, a temporary storage folder and
no authentication. Each VEVENT of team.ics becomes one calendar object resource (a VCALENDAR
without METHOD, as RFC 4791 section 4.1 requires, with the VTIMEZONE it needs). Uploading an
updated export again must update the events in place: none lost, none duplicated.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import pytest
from icalendar import Calendar, Event
from test_export_ics import D11, WEEKLY, export, sample_schedule, with_task

from scheduler.schedule import Schedule

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("radicale") is None or importlib.util.find_spec("caldav") is None,
    reason="the CalDAV round trip needs the `radicale` and `caldav` packages (extra `test`)",
)

START_TIMEOUT = 10.0  # seconds for Radicale to answer
REQUEST_TIMEOUT = 5  # seconds for any one HTTP request


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[str]:
    """The URL of a Radicale server of our own, stopped after the test."""
    port = free_port()
    config = tmp_path / "radicale.conf"
    config.write_text(
        "[server]\n"
        f"hosts = 127.0.0.1:{port}\n"
        "[auth]\n"
        "type = none\n"
        "[storage]\n"
        f"filesystem_folder = {tmp_path / 'collections'}\n"
        "[web]\n"
        "type = none\n"
        "[logging]\n"
        "level = warning\n",
        encoding="utf-8",
    )
    log = (tmp_path / "radicale.log").open("wb")
    # --config with our file only: no system or user configuration is read.
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_answering(url, process, tmp_path / "radicale.log")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


def wait_until_answering(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Radicale exited with {process.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answers, even if not with 200
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"Radicale did not answer at {url} within {START_TIMEOUT} s: {log.read_text()}")


def resources(team_ics: Path) -> list[tuple[str, str]]:
    """(UID, VCALENDAR text) for each VEVENT of team.ics, as a CalDAV server stores them."""
    team = Calendar.from_ical(team_ics.read_bytes())
    result = []
    for event in team.walk("VEVENT"):
        single = Calendar()
        single.add("PRODID", team["PRODID"])
        single.add("VERSION", "2.0")
        single.add_component(event)
        single.add_missing_timezones()
        result.append((str(event["UID"]), single.to_ical().decode("utf-8")))
    return result


def upload(calendar, team_ics: Path, limit: int | None = None) -> None:
    add = getattr(calendar, "add_event", None) or calendar.save_event
    for _uid, text in resources(team_ics)[:limit]:
        try:
            add(text, increase_seqno=False)  # keep the export's SEQUENCE (caldav >= 2)
        except TypeError:
            add(text)


def stored(calendar) -> list[tuple[str, date, date, str, int, str]]:
    """(UID, start, end, summary, SEQUENCE, STATUS) of every VEVENT the server holds."""
    get = getattr(calendar, "get_events", None) or calendar.events
    found = []
    for resource in get():
        for event in Calendar.from_ical(resource.data).walk("VEVENT"):
            found.append(key(event))
    return found


def key(event: Event) -> tuple[str, date, date, str, int, str]:
    return (
        str(event["UID"]),
        event.decoded("DTSTART"),
        event.decoded("DTEND"),
        str(event["SUMMARY"]),
        int(event.get("SEQUENCE", 0)),
        str(event.get("STATUS", "")),
    )


def in_file(team_ics: Path) -> list[tuple[str, date, date, str, int, str]]:
    return [key(e) for e in Calendar.from_ical(team_ics.read_bytes()).walk("VEVENT")]


def caldav_calendar(url: str, name: str):
    import caldav

    client = caldav.DAVClient(url=url, username="planner", password="x", timeout=REQUEST_TIMEOUT)
    return client.principal().make_calendar(name=name, cal_id=name)


def test_upload_read_back_and_update(radicale: str, tmp_path: Path):
    schedule = sample_schedule()
    export(schedule, tmp_path)
    team_ics = tmp_path / "calendar" / "team.ics"
    calendar = caldav_calendar(radicale, "team")

    upload(calendar, team_ics)
    first = stored(calendar)
    assert Counter(uid for uid, *_ in first) == Counter(uid for uid, *_ in in_file(team_ics))
    assert sorted(first) == sorted(in_file(team_ics))
    assert len(first) == 5

    # Re-plan: one task moves a day, one leaves the plan; upload the updated export again.
    day = date(2027, 9, 21)
    moved = with_task(schedule, f"{WEEKLY}/banner", start=day, end=day, stretches=((day, day),))
    later: Schedule = dataclasses.replace(
        moved, tasks=[t for t in moved.tasks if t.id != f"{D11}/goals"]
    )
    export(later, tmp_path)
    upload(calendar, team_ics)
    second = stored(calendar)
    assert sorted(second) == sorted(in_file(team_ics))
    assert len(second) == len({uid for uid, *_ in second}) == 5  # none lost, none duplicated
    statuses = Counter(status for *_, status in second)
    assert statuses == {"CONFIRMED": 4, "CANCELLED": 1}
    banner = next(k for k in second if k[3] == "[周五上新] 首页横幅")
    assert (banner[1], banner[2], banner[4]) == (date(2027, 9, 21), date(2027, 9, 22), 1)


def test_timed_events_keep_their_timezone_on_the_server(radicale: str, tmp_path: Path):
    export(sample_schedule(), tmp_path, event_time=(clock(9, 30), clock(18, 30)))
    team_ics = tmp_path / "calendar" / "team.ics"
    calendar = caldav_calendar(radicale, "timed")
    upload(calendar, team_ics)
    upload(calendar, team_ics)  # the same again: still one resource per event
    found = stored(calendar)
    assert sorted(found) == sorted(in_file(team_ics))
    starts = [start for _, start, *_ in found]
    assert all(isinstance(s, datetime) for s in starts)
    assert {s.utcoffset() for s in starts} == {timedelta(hours=8)}
    assert {(s.hour, s.minute) for s in starts} == {(9, 30)}


@pytest.mark.slow
def test_the_yearly_example_round_trips_without_loss_or_duplicates(radicale: str, yearly_planned):
    """The bundled example's team.ics (about 800 events), uploaded twice, read back whole."""
    assert yearly_planned.exit_code == 0, yearly_planned.output
    team_ics = yearly_planned.out / "calendar" / "team.ics"
    calendar = caldav_calendar(radicale, "example")
    upload(calendar, team_ics)
    upload(calendar, team_ics, limit=100)  # importing again updates, never duplicates
    found = stored(calendar)
    expected = in_file(team_ics)
    assert len(expected) >= 693
    assert Counter(uid for uid, *_ in found) == Counter(uid for uid, *_ in expected)
    assert sorted(found) == sorted(expected)
