"""Backups (issue 22, point 2): an online copy while four processes keep writing holds every
ticket committed before it began and passes its integrity check; copies rotate; a restore is
refused while a process has the store open, keeps the file it replaces, and checks the copy."""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.exceptions import StoreFault, UsageError
from kiosk.store import Store
from kiosk.store.backup import backup, copies, holders, restore

from .conftest import REPO, local, write_config
from .test_concurrency import MORNING, SPAWN

WRITERS = 4


def _writer(config: str, stop: str) -> None:
    with Store(cfg.load(config), clock=ManualClock(MORNING)) as store:
        while not Path(stop).exists():
            store.issue("AB"[int(time.monotonic() * 1000) % 2])


def committed(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return {row[0] for row in conn.execute("SELECT day || label FROM tickets")}


def kiosk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"KIOSK_CONFIG": str(config), "KIOSK_NOW": "2026-11-27T18:00:00+07:00",
           "PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "kiosk", *args], env=env, capture_output=True,
                          text=True, timeout=60)


def test_a_backup_while_four_processes_write_has_everything_committed_before_it(tmp_path):
    config = write_config(tmp_path)
    settings = cfg.load(config)
    Store(settings).close()
    stop = tmp_path / "stop"
    procs = [SPAWN.Process(target=_writer, args=(str(config), str(stop)))
             for _ in range(WRITERS)]
    for proc in procs:
        proc.start()
    try:
        time.sleep(2.0)  # the writers are writing
        before = committed(settings.store.path)
        assert len(before) > 50
        made = kiosk(config, "backup", "--json")
        assert made.returncode == 0, made.stderr
        after = committed(settings.store.path)
        assert len(after) > len(before)  # the writers went on meanwhile
    finally:
        stop.touch()
        for proc in procs:
            proc.join(timeout=60)
    assert all(proc.exitcode == 0 for proc in procs)
    answer = json.loads(made.stdout)
    copy = Path(answer["path"])
    assert copy.parent == settings.store.path.parent / "backups"
    assert copy.name == "kiosk-20261127-180000.db"
    assert before <= committed(copy)  # nothing committed before the backup is missing
    with contextlib.closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert answer["tickets"] == len(committed(copy)) and answer["bytes"] == copy.stat().st_size

    # Restore: refused while a process holds the store, then done, keeping the old file.
    holder = Store(settings, clock=ManualClock(MORNING))
    try:
        assert holders(settings.store.path) == []  # this process is not counted
        other = SPAWN.Process(target=_writer, args=(str(config), str(tmp_path / "stop2")))
        other.start()
        time.sleep(1.5)
        refused = kiosk(config, "restore", str(copy))
        assert refused.returncode != 0
        # this test's own handle and the writer's
        assert "is open in 2 process" in refused.stderr
        assert "nothing was changed" in refused.stderr
        (tmp_path / "stop2").touch()
        other.join(timeout=60)
    finally:
        holder.close()
    latest = committed(settings.store.path)
    done = kiosk(config, "restore", str(copy))
    assert done.returncode == 0, done.stderr
    assert committed(settings.store.path) == committed(copy)
    [kept] = settings.store.path.parent.glob("kiosk.db.replaced-*")
    assert committed(kept) == latest  # nothing lost: the replaced store is beside it
    with Store(settings, clock=ManualClock(MORNING)) as store:  # and the kiosk opens it
        assert store.issue("A").ticket.label


def test_copies_rotate_and_a_damaged_copy_is_never_put_back(tmp_path):
    settings = cfg.load(write_config(tmp_path))
    with Store(settings, clock=ManualClock(MORNING)) as store:
        store.issue("A")
    folder = tmp_path / "copies"
    for hour in (8, 9, 10, 11):
        made = backup(settings.store.path, folder, keep=3, now=local(hour))
    assert [p.name for p in copies(folder)] == [
        "kiosk-20261127-090000.db", "kiosk-20261127-100000.db", "kiosk-20261127-110000.db"]
    assert [p.name for p in made.removed] == ["kiosk-20261127-080000.db"]
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises(StoreFault, match="not a readable kiosk store|integrity"):
        restore(broken, settings.store.path, now=local(12))
    assert committed(settings.store.path)  # untouched
    with pytest.raises(UsageError, match="no such backup copy"):
        restore(tmp_path / "nowhere.db", settings.store.path, now=local(12))
    with pytest.raises(UsageError, match="--keep"):
        backup(settings.store.path, folder, keep=0, now=local(12))


if __name__ == "__main__":  # pragma: no cover
    mp.freeze_support()
