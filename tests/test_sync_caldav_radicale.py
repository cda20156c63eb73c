"""`promo-scheduler sync DIR --caldav URL` (FORMAT.md section 7) against a real Radicale.

Radicale runs on 127.0.0.1 with a temporary folder and a user (htpasswd), started and
stopped by this module. The quickstart plan is planned (version 1) and synced; then
re-planned as tests/test_replan_calendars_radicale.py edits it (a designer leaves, a
newcomer joins, leave moves tasks, an activity is dropped) and synced again. Read back with
the `caldav` client, each person's collection holds exactly their live tasks of version 2's
schedule.json (by X-PROMO-REF), once each, with the file's dates; nothing cancelled is left.
Writes are counted from Radicale's own request log: a third sync makes none. An event edited
on the server is a conflict (exit 6), not overwritten; deleted there, the next sync stores
the plan's version again, and a conflict left is reported by every sync. A sync whose
state never reached history.sqlite is completed by the next one without writing anything
twice: with the state deleted from history, and with the CLI killed for real (SIGKILL, in a
subprocess, right after the answer to its N-th write, before it records it) during a first
sync or the sync of a replan, then (for a first sync) a replan in which a person leaves.
The next sync exits 0 with no conflict, every collection holds exactly the latest version
(none duplicated, nothing cancelled left), a further sync writes nothing and the journal
is gone; an event edited on the server after the kill is the one conflict.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
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

from scheduler.caldav_sync.dav import KILL_AFTER_WRITES
from scheduler.caldav_sync.journal import JOURNAL

caldav = pytest.importorskip("caldav")

EXAMPLE = REPO_ROOT / "examples" / "quickstart.yaml"
EFFORT = "1"
USER, PASSWORD = "ops", "s3cret-for-tests"
HOMES = tuple(f"killed{i}" for i in range(8))  # users whose homes the kill tests sync to
WRITES = re.compile(r"\b(PUT|DELETE|MKCALENDAR|MKCOL|PROPPATCH|MOVE|COPY) request for")


@dataclass
class Server:
    url: str  # the calendar home
    log: Path
    user: str = USER

    def home_of(self, user: str) -> Server:
        """The same server seen as `user` (one of HOMES): a calendar home of its own."""
        return Server(self.url.rsplit("/", 2)[0] + f"/{user}/", self.log, user)

    def writes_since(self, offset: int) -> int:
        text = self.log.read_bytes()[offset:].decode("utf-8", "replace")
        return len(WRITES.findall(text))

    def offset(self) -> int:
        return self.log.stat().st_size


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    base = tmp_path_factory.mktemp("radicale")
    port = free_port()
    users = "".join(f"{name}:{PASSWORD}\n" for name in (USER, *HOMES))
    (base / "users").write_text(users, encoding="utf-8")
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
        ["sync", out, "--caldav", server.url, "--user", server.user,
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
    with caldav.DAVClient(url=server.url, username=server.user, password=PASSWORD) as dav:
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
    assert_server_holds_the_latest_version(synced.out, server)


def assert_server_holds_the_latest_version(out: Path, server: Server) -> None:
    """Each person's collection holds exactly their live tasks of schedule.json, once each,
    with the file's dates and SEQUENCE, nothing cancelled; team and activities likewise."""
    wanted = schedule_refs(out)
    assert NEWCOMER["id"] in wanted
    people = [p.stem for p in (out / "calendar").glob("*.ics")]
    people = [p for p in people if p not in ("team", "activities")]
    assert LEAVER in people
    for person in people:
        events = server_events(server, person)
        uids = Counter(str(e["UID"]) for e in events)
        assert not uids or max(uids.values()) == 1, person  # none duplicated
        assert live_refs(events) == wanted.get(person, Counter()), person
        assert all(str(e.get("STATUS")).upper() != "CANCELLED" for e in events), person
        mine = Calendar.from_ical((out / "calendar" / f"{person}.ics").read_bytes())
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
    assert max(Counter(str(e["UID"]) for e in team).values()) == 1
    activities = Calendar.from_ical((out / "calendar" / "activities.ics").read_bytes())
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


# A sync killed for real: the CLI in a subprocess that SIGKILLs itself when the answer to its
# N-th write arrives (PROMO_SCHEDULER_TEST_KILL_AFTER_WRITES, scheduler/caldav_sync/dav.py),
# so the server did that write and nobody recorded it. The first sync of version 1 writes
# activities (MKCALENDAR and 11 events: writes 1-12), chen_jing (13-24), li_na (25-37), then
# team, wang_fang and zhao_lei. Each test syncs to a calendar home of its own (HOMES).


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> Path:
    """Version 1 of the quickstart plan, never synced: copied by each test."""
    out = tmp_path_factory.mktemp("planned") / "out"
    result = invoke_cli(["plan", EXAMPLE, "--out", out, "--effort", EFFORT])
    assert result.exit_code == 0, crash_report(result)
    return out


def copy_of(planned: Path, base: Path) -> Path:
    out = base / "out"
    shutil.copytree(planned, out)
    return out


def killed_sync(out: Path, server: Server, writes: int) -> None:
    """`promo-scheduler sync` in a process of its own, killed after its `writes`-th write."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), PROMO_DAV_PASSWORD=PASSWORD)
    env[KILL_AFTER_WRITES] = str(writes)
    offset = server.offset()
    process = subprocess.run(
        [sys.executable, "-m", "scheduler", "sync", str(out), "--caldav", server.url,
         "--user", server.user, "--password-env", "PROMO_DAV_PASSWORD"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert process.returncode == -signal.SIGKILL, (process.returncode, process.stderr)
    assert server.writes_since(offset) == writes


def replan(out: Path, base: Path) -> None:
    """Version 2: the designer LEAVER leaves the plan (and the rest of edited_plan's edit)."""
    plan = edited_plan(base / "edited.yaml")
    result = invoke_cli(["replan", plan, "--out", out, "--today", "2026-03-19", "--effort", EFFORT])
    assert result.exit_code in (0, 4), crash_report(result)


def assert_completed_and_idle(out: Path, server: Server) -> None:
    """The server holds the latest version; one more sync writes nothing; no journal left."""
    assert_server_holds_the_latest_version(out, server)
    offset = server.offset()
    again = counts(sync(out, server))
    assert server.writes_since(offset) == 0
    assert (again["created"], again["updated"], again["deleted"], again["conflicts"]) == (0,) * 4
    assert not (out / JOURNAL).exists()


@pytest.mark.parametrize(
    ("writes", "home"),
    [(30, HOMES[1]), (100, HOMES[2])],  # stale events, then spurious conflicts, before the journal
    ids=["30-writes", "100-writes"],
)
def test_a_first_sync_killed_after_some_writes_is_completed_after_a_replan(
    planned: Path, server: Server, tmp_path: Path, writes: int, home: str
):
    server = server.home_of(home)
    out = copy_of(planned, tmp_path)
    killed_sync(out, server, writes)
    records = [json.loads(line) for line in (out / JOURNAL).read_text().splitlines()]
    assert records[-1]["op"] == "put"  # the killed write: sent, its outcome never recorded
    puts = [r["op"] for r in records if r["op"].startswith("put")]
    assert puts.count("put") == puts.count("put-done") + 1 > 0  # the other PUTs recorded
    replan(out, tmp_path)
    done = counts(sync(out, server))
    assert done["conflicts"] == 0 and done["created"] > 0
    assert_completed_and_idle(out, server)


@pytest.mark.parametrize(("writes", "home"), [(8, HOMES[4])])  # updates and deletes
def test_a_sync_of_a_replan_killed_after_some_writes_is_completed(
    planned: Path, server: Server, tmp_path: Path, writes: int, home: str
):
    server = server.home_of(home)
    out = copy_of(planned, tmp_path)
    assert counts(sync(out, server))["created"] > 100
    replan(out, tmp_path)
    killed_sync(out, server, writes)  # updates and deletes with If-Match, one not recorded
    done = counts(sync(out, server))
    assert done["conflicts"] == 0 and done["updated"] + done["deleted"] > 0
    assert_completed_and_idle(out, server)


def test_after_a_killed_sync_only_an_event_edited_on_the_server_is_a_conflict(
    planned: Path, server: Server, tmp_path: Path
):
    server = server.home_of(HOMES[5])
    out = copy_of(planned, tmp_path)
    killed_sync(out, server, 30)  # activities and chen_jing done, inside li_na's calendar
    replan(out, tmp_path)
    live = Calendar.from_ical((out / "calendar" / "activities.ics").read_bytes())
    uid = next(str(e["UID"]) for e in live.walk("VEVENT") if e.get("STATUS") != "CANCELLED")
    with caldav.DAVClient(url=server.url, username=server.user, password=PASSWORD) as dav:
        item = dav.calendar(url=f"{server.url}activities/").event_by_uid(uid)
        item.data = item.data.replace("SUMMARY:", "SUMMARY:EDITED ", 1)
        item.save()
    output = sync(out, server, expect=6)
    assert counts(output)["conflicts"] == 1 and f"({uid})" in output
    edited = [e for e in server_events(server, "activities") if "EDITED" in str(e["SUMMARY"])]
    assert [str(e["UID"]) for e in edited] == [uid]  # kept as the server has it
    assert_server_holds_the_latest_version(out, server)
    assert counts(sync(out, server, expect=6))["conflicts"] == 1
