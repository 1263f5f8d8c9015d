"""Every fault a plain sentence (issue 18): the command line's store verbs against a full
disk (a small tmpfs the test mounts), a read-only disk, a damaged file and a store of an
unknown schema. None may say "unexpected" or show a traceback; the disk full loses nothing
and numbering goes on once space is back."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import fill, write_config

VERBS = [
    ("issue", "A", "--no-print"),
    ("call", "--counter", "1"),
    ("finish", "--counter", "1"),
    ("transfer", "A001", "C"),
    ("counter", "pause", "--counter", "2"),
    ("status",),
    ("report",),
    ("export", "events", "--format", "csv"),
]


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KIOSK_CONFIG": str(config),
           "KIOSK_NOW": "2026-11-27T09:00:00+07:00"}
    return subprocess.run([sys.executable, "-m", "kiosk", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def plain(done: subprocess.CompletedProcess[str], *words: str) -> None:
    err = done.stderr
    assert done.returncode in (1, 2), (done.returncode, err)
    assert "unexpected" not in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err


def on_disk(tmp_path: Path, disk: Path) -> Path:
    return write_config(tmp_path, replace={'path = "data/kiosk.db"':
                                           f'path = "{disk}/data/kiosk.db"'})


def test_a_full_disk_is_one_sentence_and_loses_nothing(tmp_path: Path, small_disk: Path):
    config = on_disk(tmp_path, small_disk)
    assert run(config, "issue", "A", "--no-print").returncode == 0
    filler = fill(small_disk)
    for verb in VERBS:
        done = run(config, *verb)
        if done.returncode != 0:
            plain(done)
    issued = run(config, "issue", "A", "--no-print")
    plain(issued, "is full", "free", str(small_disk / "data" / "kiosk.db"))
    filler.unlink()  # space again: the next ticket is the next number, none lost
    again = run(config, "issue", "A", "--no-print", "--json")
    assert again.returncode == 0, again.stderr
    labels = [r[0] for r in sqlite3.connect(small_disk / "data" / "kiosk.db").execute(
        "SELECT label FROM tickets ORDER BY id")]
    assert labels == [f"A{n:03d}" for n in range(1, len(labels) + 1)]


def test_a_read_only_disk_is_one_sentence(tmp_path: Path, small_disk: Path):
    config = on_disk(tmp_path, small_disk)
    assert run(config, "issue", "A", "--no-print").returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    for verb in VERBS:
        done = run(config, *verb)
        if done.returncode != 0:
            plain(done)
    plain(run(config, "issue", "A", "--no-print"), "kiosk.db")


@pytest.mark.parametrize("damage", ["garbage", "schema -1", "newer"])
def test_a_damaged_or_foreign_store_is_one_sentence(tmp_path: Path, damage: str):
    config = write_config(tmp_path)
    path = tmp_path / "data" / "kiosk.db"
    path.parent.mkdir()
    if damage == "garbage":
        path.write_bytes(b"this is not a database at all" * 200)
    else:
        conn = sqlite3.connect(path)
        conn.execute(f"PRAGMA user_version={-1 if damage == 'schema -1' else 99}")
        conn.close()
    for verb in VERBS:
        done = run(config, *verb)
        plain(done, str(path))
    words = {"garbage": "not a kiosk store or it is damaged",
             "schema -1": "unknown schema version -1", "newer": "newer version"}[damage]
    plain(run(config, "status"), words)
