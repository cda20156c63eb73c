"""`promo-scheduler serve` (FORMAT.md section 7) on a free port of 127.0.0.1, as a user runs it.

The quickstart plan is planned once for the module; the server is a real process (waitress)
asked with a real HTTP client (urllib): every feed of `serve --links` answers with
`text/calendar; charset=utf-8`, an ETag and Last-Modified, parses with icalendar and vobject;
`If-None-Match` and `If-Modified-Since` give 304; a replan into the folder changes the ETag
and the body at once (no restart); a wrong token, another feed's file name under a token,
`/../history.sqlite` and `/` are 404. Tokens stay the same across versions and restarts, a
history written before tokens existed (schema version 1) gets them, and Ctrl-C stops the
server cleanly. A version installed while `--links` reads the history (right after it
opened the file) does not make it print a partial list: it lists one version's feeds.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import vobject
from conftest import REPO_ROOT, crash_report, invoke_cli
from icalendar import Calendar
from test_replan_calendars_radicale import edited_plan

EXAMPLE = REPO_ROOT / "examples" / "quickstart.yaml"
EFFORT = "1"
TIMEOUT = 10


def run(*args: str | Path) -> str:
    result = invoke_cli(args)
    assert result.exit_code == 0, crash_report(result)
    return result.output


def links(out: Path, *extra: str) -> dict[str, str]:
    lines = run("serve", out, "--links", *extra).splitlines()
    found = dict(line.split(" ") for line in lines)
    assert len(found) == len(lines)
    return found


class Server:
    """`serve DIR --port 0` in its own process; its port read from what it prints."""

    def __init__(self, out: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "serve", str(out), "--port", "0"],
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
        )
        line = self.process.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, line + self.process.stderr.read()
        self.port = int(found.group(1))

    def get(self, path: str, **headers: str) -> tuple[int, Any, bytes]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def raw_get(self, path: str) -> int:
        """The status of a request sent byte for byte (no client normalises the path)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        return int(answer.split(b" ", 2)[1])

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=TIMEOUT)
        finally:
            self.process.stderr.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("serve")
    out = base / "out"
    run("plan", EXAMPLE, "--out", out, "--effort", EFFORT)
    return out


@pytest.fixture(scope="module")
def server(folder: Path):
    running = Server(folder)
    yield running
    running.stop()


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_links_name_every_feed_on_the_given_host_and_port(folder: Path):
    found = links(folder, "--host", "127.0.0.1", "--port", "8123")
    people = {p.stem for p in (folder / "calendar").glob("*.ics")} - {"team", "activities"}
    assert set(found) == {"team.ics", "activities.ics", "gantt.html", *(f"{p}.ics" for p in people)}
    tokens = set()
    for name, url in found.items():
        match = re.fullmatch(r"http://127\.0\.0\.1:8123/([A-Za-z0-9_-]{32})/(.+)", url)
        assert match and match.group(2) == name, url
        tokens.add(match.group(1))
    assert len(tokens) == len(found)  # one token per feed
    webcal = links(folder, "--base-url", "https://cal.example.com/feeds/", "--webcal")
    assert webcal["team.ics"] == found["team.ics"].replace(
        "http://127.0.0.1:8123/", "webcal://cal.example.com/feeds/"
    )
    assert webcal["gantt.html"].startswith("https://cal.example.com/feeds/")


def test_every_feed_is_served_with_caching_headers_and_parses(folder: Path, server: Server):
    for name, url in links(folder).items():
        status, headers, body = server.get(path_of(url))
        assert status == 200, name
        assert headers["ETag"].startswith('"'), name
        assert "GMT" in headers["Last-Modified"]
        if name.endswith(".ics"):
            assert headers["Content-Type"] == "text/calendar; charset=utf-8"
            kind = "calendar/" + name
            assert body == (folder / kind).read_bytes()
            parsed = Calendar.from_ical(body)
            assert "METHOD" not in parsed
            assert len(list(vobject.readComponents(body.decode("utf-8")))) == 1
        else:
            assert headers["Content-Type"] == "text/html; charset=utf-8"
            assert body == (folder / name).read_bytes()
        again, cached, empty = server.get(path_of(url), **{"If-None-Match": headers["ETag"]})
        assert (again, empty, cached["ETag"]) == (304, b"", headers["ETag"]), name
        since = server.get(path_of(url), **{"If-Modified-Since": headers["Last-Modified"]})
        assert since[0] == 304, name
        other = server.get(path_of(url), **{"If-None-Match": '"something else"'})
        assert other[0] == 200


def test_anything_but_a_feed_is_404(folder: Path, server: Server):
    found = links(folder)
    team = path_of(found["team.ics"])
    token = team.split("/")[1]
    assert server.get("/")[0] == 404
    assert server.get("/" + "A" * 32 + "/team.ics")[0] == 404  # a wrong token
    assert server.get(f"/{token}/activities.ics")[0] == 404  # another feed's name
    assert server.get(f"/{token}/")[0] == 404  # no listing
    assert server.get("/team.ics")[0] == 404
    for path in (
        "/../history.sqlite",
        f"/{token}/../history.sqlite",
        "/%2e%2e/history.sqlite",
        f"/{token}/../../schedule.json",
        "/calendar/team.ics",
        "/history.sqlite",
    ):
        assert server.raw_get(path) == 404, path
    assert server.raw_get(team) == 200


def test_a_new_version_is_served_at_once_with_the_same_urls(
    folder: Path, server: Server, tmp_path: Path
):
    before = links(folder)
    team = path_of(before["team.ics"])
    status, headers, body = server.get(team)
    assert status == 200
    plan = edited_plan(tmp_path / "edited.yaml")
    result = invoke_cli(
        ["replan", plan, "--out", folder, "--today", "2026-03-19", "--effort", EFFORT]
    )
    assert result.exit_code in (0, 4), crash_report(result)
    after = links(folder)
    assert {k: v for k, v in after.items() if k in before} == before  # tokens kept
    assert "sun_yue.ics" in after  # the newcomer's feed
    new_status, new_headers, new_body = server.get(team, **{"If-None-Match": headers["ETag"]})
    assert new_status == 200
    assert new_headers["ETag"] != headers["ETag"]
    assert new_body != body and new_body == (folder / "calendar" / "team.ics").read_bytes()
    assert server.get(path_of(after["sun_yue.ics"]))[0] == 200


def test_a_history_from_before_tokens_gets_them_and_keeps_its_versions(folder: Path, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(folder, old)
    db = sqlite3.connect(old / "history.sqlite")
    db.executescript(
        "DROP TABLE feeds; DROP TABLE caldav_collections; DROP TABLE caldav_events;"
        "UPDATE meta SET value = '1' WHERE key = 'schema_version';"
    )
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    history = run("history", old)
    found = links(old)
    assert {"team.ics", "activities.ics", "gantt.html", "zhao_lei.ics"} <= set(found)
    assert links(old) == found  # kept, not made again
    assert run("history", old) == history
    db = sqlite3.connect(old / "history.sqlite")
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("2",)
    db.close()


def test_ctrl_c_stops_the_server_cleanly(folder: Path):
    running = Server(folder)
    assert running.get(path_of(links(folder)["team.ics"]))[0] == 200
    assert running.stop() == 0


def test_a_folder_without_history_is_bad_input(tmp_path: Path):
    result = invoke_cli(["serve", tmp_path / "nothing", "--links"])
    assert result.exit_code == 2
    assert "no history" in result.output
    assert not (tmp_path / "nothing").exists()
    assert os.listdir(tmp_path) == []


def test_links_are_of_one_version_when_another_is_installed_while_reading(
    folder: Path, tmp_path: Path, monkeypatch
):
    from scheduler.feeds import tokens
    from scheduler.versions import history

    base = "http://127.0.0.1:8080/"
    before = tokens.links(folder, base)
    newer = tmp_path / "newer"  # the same folder with one more version (tokens kept)
    shutil.copytree(folder, newer)
    run("export", newer / "schedule.json", "--out", newer)
    out = tmp_path / "out"
    shutil.copytree(folder, out)
    connect = sqlite3.connect
    opened = []

    def connect_then_install(*args, **kwargs):
        db = connect(*args, **kwargs)
        if not opened:  # a run installs its version right after links() opened the history
            os.replace(newer / "history.sqlite", out / "history.sqlite")
        opened.append(args)
        return db

    monkeypatch.setattr(history.sqlite3, "connect", connect_then_install)
    assert tokens.links(out, base) == before  # the old version's, every feed
    monkeypatch.undo()
    assert tokens.links(out, base) == before  # and the new one's: the same tokens
