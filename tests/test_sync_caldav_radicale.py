"""`promo-scheduler sync DIR --caldav URL` (FORMAT.md section 7) against a real Radicale.

Radicale runs on 127.0.0.1 with a temporary folder and a user (htpasswd), started and
stopped by this module. The quickstart plan is planned (version 1) and synced; then
re-planned as tests/test_replan_calendars_radicale.py edits it (a designer leaves, a
newcomer joins, leave moves tasks, an activity is dropped) and synced again. Read back with
the `caldav` client, each person's collection holds exactly their live tasks of version 2's
schedule.json (by X-PROMO-REF), once each, with the file's dates; nothing cancelled is left.
Writes are counted from Radicale's own request log: a third sync makes none. An event edited
on the server is a conflict (exit 6), not overwritten; deleted there, the next sync stores
the plan's version again. A sync whose state never reached history.sqlite (killed) is
completed by the next one without writing anything twice.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO_ROOT, crash_report, invoke_cli
from icalendar import Calendar
from test_caldav_radicale import free_port
from test_replan_calendars_radicale import LEAVER, NEWCOMER, edited_plan

caldav = pytest.importorskip("caldav")

EXAMPLE = REPO_ROOT / "examples" / "quickstart.yaml"
EFFORT = "1"
USER, PASSWORD = "ops", "s3cret-for-tests"
WRITES = re.compile(r"\b(PUT|DELETE|MKCALENDAR|MKCOL|PROPPATCH|MOVE|COPY) request for")


@dataclass
class Server:
    url: str  # the calendar home
    log: Path

    def writes_since(self, offset: int) -> int:
        text = self.log.read_bytes()[offset:].decode("utf-8", "replace")
        return len(WRITES.findall(text))

    def offset(self) -> int:
        return self.log.stat().st_size


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    base = tmp_path_factory.mktemp("radicale")
    port = free_port()
    (base / "users").write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
    config = base / "radicale.conf"
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {base / 'users'}\n"
        "htpasswd_encryption = plain\n"
        f"[storage]\nfilesystem_folder = {base / 'collections'}\n"
        "[web]\ntype = none\n[logging]\nlevel = info\n",
        encoding="utf-8",
    )
    log = base / "radicale.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/{USER}/"
    try:
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, log.read_text()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
        yield Server(url, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(autouse=True)
def password(monkeypatch):
    monkeypatch.setenv("PROMO_DAV_PASSWORD", PASSWORD)


def sync(out: Path, server: Server, *extra: str, expect: int = 0) -> str:
    result = invoke_cli(
        ["sync", out, "--caldav", server.url, "--user", USER,
         "--password-env", "PROMO_DAV_PASSWORD", *extra]
    )  # fmt: skip
    assert result.exit_code == expect, crash_report(result)
    return result.output


def counts(output: str) -> dict[str, int]:
    found = re.search(
        r"created (\d+), updated (\d+), deleted (\d+), unchanged (\d+), conflicts (\d+)", output
    )
    assert found, output
    names = ("created", "updated", "deleted", "unchanged", "conflicts")
    return dict(zip(names, map(int, found.groups()), strict=True))


def server_events(server: Server, collection: str) -> list:
    """Every VEVENT in the server's collection, read with the caldav client."""
    with caldav.DAVClient(url=server.url, username=USER, password=PASSWORD) as dav:
        calendar = dav.calendar(url=f"{server.url}{collection}/")
        found = []
        for item in calendar.events():
            found.extend(Calendar.from_ical(item.data).walk("VEVENT"))
    return found


def live_refs(events) -> Counter:
    return Counter(
        str(e["X-PROMO-REF"]) for e in events if str(e.get("STATUS", "")).upper() != "CANCELLED"
    )


@dataclass
class Run:
    out: Path
    first: str
    dry: str
    second: str
    second_writes: int


@pytest.fixture(scope="module")
def synced(server: Server, tmp_path_factory) -> Run:
    base = tmp_path_factory.mktemp("sync")
    out = base / "out"
    result = invoke_cli(["plan", EXAMPLE, "--out", out, "--effort", EFFORT])
    assert result.exit_code == 0, crash_report(result)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PROMO_DAV_PASSWORD", PASSWORD)
        first = sync(out, server)
        plan = edited_plan(base / "edited.yaml")
        result = invoke_cli(
            ["replan", plan, "--out", out, "--today", "2026-03-19", "--effort", EFFORT]
        )
        assert result.exit_code in (0, 4), crash_report(result)
        offset = server.offset()
        dry = sync(out, server, "--dry-run")
        assert server.writes_since(offset) == 0
        second = sync(out, server)
        writes = server.writes_since(offset)
    return Run(out, first, dry, second, writes)


def schedule_refs(out: Path) -> dict[str, Counter]:
    """Each assignee's task ids in schedule.json, each counted once per stretch event."""
    import json

    schedule = json.loads((out / "schedule.json").read_text(encoding="utf-8"))
    by_person: dict[str, Counter] = {}
    team = Calendar.from_ical((out / "calendar" / "team.ics").read_bytes())
    stretches = live_refs(team.walk("VEVENT"))
    for task in schedule["tasks"]:
        by_person.setdefault(task["assignee"], Counter())[task["id"]] = stretches[task["id"]]
    return by_person


def test_the_first_sync_creates_every_live_event(synced: Run):
    first = counts(synced.first)
    assert first["created"] > 100 and first["conflicts"] == 0
    assert first["updated"] == first["deleted"] == 0


def test_each_person_holds_exactly_their_live_tasks_after_the_replan(synced: Run, server: Server):
    second = counts(synced.second)
    assert second["updated"] + second["deleted"] > 0 and second["conflicts"] == 0
    dry = counts(synced.dry)
    assert dry == second and "would " in synced.dry
    wanted = schedule_refs(synced.out)
    assert NEWCOMER["id"] in wanted
    people = [p.stem for p in (synced.out / "calendar").glob("*.ics")]
    people = [p for p in people if p not in ("team", "activities")]
    assert LEAVER in people
    for person in people:
        events = server_events(server, person)
        uids = Counter(str(e["UID"]) for e in events)
        assert max(uids.values()) == 1, person  # none duplicated
        assert live_refs(events) == wanted.get(person, Counter()), person
        assert all(str(e.get("STATUS")).upper() != "CANCELLED" for e in events), person
        mine = Calendar.from_ical((synced.out / "calendar" / f"{person}.ics").read_bytes())
        in_file = {
            str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND"), int(e["SEQUENCE"]))
            for e in mine.walk("VEVENT")
            if str(e.get("STATUS")).upper() != "CANCELLED"
        }
        on_server = {
            str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND"), int(e["SEQUENCE"]))
            for e in events
        }
        assert on_server == in_file, person
    team = server_events(server, "team")
    assert live_refs(team) == sum(wanted.values(), Counter())
    activities = Calendar.from_ical((synced.out / "calendar" / "activities.ics").read_bytes())
    assert len(server_events(server, "activities")) == len(
        [e for e in activities.walk("VEVENT") if str(e.get("STATUS")).upper() != "CANCELLED"]
    )


def test_a_third_sync_writes_nothing(synced: Run, server: Server):
    assert synced.second_writes > 0
    offset = server.offset()
    third = counts(sync(synced.out, server))
    assert server.writes_since(offset) == 0
    assert (third["created"], third["updated"], third["deleted"], third["conflicts"]) == (0,) * 4


def test_an_event_edited_on_the_server_is_a_conflict_not_overwritten(synced: Run, server: Server):
    person = "zhao_lei"
    with caldav.DAVClient(url=server.url, username=USER, password=PASSWORD) as dav:
        calendar = dav.calendar(url=f"{server.url}{person}/")
        item = calendar.events()[0]
        text = item.data.replace("SUMMARY:", "SUMMARY:EDITED ", 1)
        item.data = text
        item.save()
        url = str(item.url)
    output = sync(synced.out, server, expect=6)
    assert counts(output)["conflicts"] == 1
    assert "conflict: zhao_lei" in output
    edited = [e for e in server_events(server, person) if str(e["SUMMARY"]).startswith("EDITED")]
    assert len(edited) == 1  # kept as the server has it
    assert counts(sync(synced.out, server, "--only", "team,activities"))["conflicts"] == 0
    with caldav.DAVClient(url=server.url, username=USER, password=PASSWORD) as dav:
        dav.delete(url)
    again = counts(sync(synced.out, server))
    assert (again["created"], again["conflicts"]) == (1, 0)
    assert not [e for e in server_events(server, person) if "EDITED" in str(e["SUMMARY"])]


def test_a_sync_killed_before_saving_its_state_is_completed(synced: Run, server: Server):
    db = sqlite3.connect(synced.out / "history.sqlite")
    db.execute("DELETE FROM caldav_events")
    db.execute("DELETE FROM caldav_collections")
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    offset = server.offset()
    after = counts(sync(synced.out, server))
    assert server.writes_since(offset) == 0
    assert (after["created"], after["updated"], after["conflicts"]) == (0, 0, 0)
    assert counts(sync(synced.out, server))["unchanged"] == after["unchanged"]


def test_bad_input_and_unreachable_server_exit_2(synced: Run, tmp_path: Path, monkeypatch):
    result = invoke_cli(["sync", synced.out, "--caldav", f"http://127.0.0.1:{free_port()}/x/"])
    assert result.exit_code == 2, crash_report(result)
    result = invoke_cli(
        ["sync", synced.out, "--caldav", "http://127.0.0.1:1/", "--password-env", "NO_SUCH_VAR"]
    )
    assert result.exit_code == 2 and "NO_SUCH_VAR" in result.output
    result = invoke_cli(["sync", tmp_path, "--caldav", "http://127.0.0.1:1/"])
    assert result.exit_code == 2 and "no history" in result.output
    result = invoke_cli(["sync", synced.out, "--caldav", "http://x/", "--only", "nobody"])
    assert result.exit_code == 2
