"""One version of an output folder, written whole or not at all (FORMAT.md section 6).

Each file is written atomically on its own (`versions/atomic.py`), but a version is many files:
schedule.json, the calendars, the tables and the charts must always belong to the same
run. `write_version` stages the new version in a hidden folder beside them, then commits:

1. the exports are written into `.promo-staging/` (with the earlier calendars copied there
   first, since they are the SEQUENCE state of the new ones);
2. a journal, `.promo-commit.json`, is written atomically: from here on the version is
   complete and will be installed;
3. each staged file replaces its old one, the old one kept in `.promo-backup/`;
4. the journal is removed (the commit point of the cleanup), then the backup and staging.

A failure during 1 leaves the old version untouched; during 3 it is rolled back from the
backup before the error goes on. A run killed during 3 leaves the journal: the next run on
the folder (`recover`) finishes the installation and removes the temporary files a killed
write left. So the folder always holds exactly one version, at the latest after the next
start.

`folder_lock` keeps two runs on one folder from interleaving: the second waits, or fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from scheduler.versions.atomic import write_text

STAGING = ".promo-staging"
BACKUP = ".promo-backup"
JOURNAL = ".promo-commit.json"
LOCK = ".promo-lock"
STATE_FOLDERS = ("calendar",)  # earlier files the exporters read as their state


class FolderBusy(RuntimeError):
    """Another run holds the output folder."""


def write_version(out_dir: Path, build: Callable[[Path], list[Path]]) -> list[Path]:
    """Let `build(folder)` write a whole version into a staging folder, then install it in
    `out_dir` as one: every file of it, or (on failure) none. Returns the installed paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    recover(out_dir)
    staging = out_dir / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for name in STATE_FOLDERS:
            if (out_dir / name).is_dir():
                shutil.copytree(out_dir / name, staging / name)
        staging.mkdir(exist_ok=True)
        build(staging)
        files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
        write_text(out_dir / JOURNAL, json.dumps({"files": files}, indent=1))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        _install(out_dir, files)
    except BaseException:
        _roll_back(out_dir, files)
        raise
    _finish(out_dir)
    return [out_dir / f for f in files]


def recover(out_dir: Path) -> None:
    """Finish a version whose run was killed while installing it; drop unfinished staging."""
    out_dir = Path(out_dir)
    journal = out_dir / JOURNAL
    if journal.is_file():
        try:
            files = json.loads(journal.read_text(encoding="utf-8"))["files"]
        except (ValueError, KeyError, TypeError):
            files = None
        if files is not None:
            _install(out_dir, files)
    _finish(out_dir)


@contextlib.contextmanager
def folder_lock(out_dir: Path, wait: bool, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold the output folder for one run. When another run holds it: wait for it (after
    calling `on_wait`), or with `wait=False` raise FolderBusy."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise FolderBusy(f"{out_dir}: another run is writing this folder") from None
            on_wait()
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _install(out_dir: Path, files: list[str]) -> None:
    staging, backup = out_dir / STAGING, out_dir / BACKUP
    for name in files:
        new = staging / name
        if not new.exists():
            continue  # installed before the run was killed
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and not (backup / name).exists():
            (backup / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(target, backup / name)
        os.replace(new, target)


def _roll_back(out_dir: Path, files: list[str]) -> None:
    staging, backup = out_dir / STAGING, out_dir / BACKUP
    for name in files:
        target, old = out_dir / name, backup / name
        if old.exists():
            os.replace(old, target)
        elif not (staging / name).exists():
            target.unlink(missing_ok=True)  # installed, and new in this version
    (out_dir / JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(backup, ignore_errors=True)


def _finish(out_dir: Path) -> None:
    (out_dir / JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(out_dir / BACKUP, ignore_errors=True)
    shutil.rmtree(out_dir / STAGING, ignore_errors=True)
    for folder in (out_dir, *(out_dir / name for name in STATE_FOLDERS)):
        for stale in folder.glob(".*.tmp"):  # versions/atomic.py's temporary files of a killed run
            stale.unlink(missing_ok=True)
