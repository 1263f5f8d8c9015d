"""Many real processes on one real store file: no duplicate numbers, no double calls, and a
killed process leaves a sound file."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from datetime import datetime
from pathlib import Path

from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.store import Store

from .conftest import JAKARTA, write_config

SPAWN = mp.get_context("spawn")
MORNING = datetime(2026, 11, 27, 9, 0, tzinfo=JAKARTA)


def _issuer(config: str, count: int, service: str) -> None:
    with Store(cfg.load(config), clock=ManualClock(MORNING)) as store:
        for _ in range(count):
            store.issue(service)


def _caller(config: str, counter: int, stop_after_empty: int) -> None:
    empty = 0
    with Store(cfg.load(config), clock=ManualClock(MORNING)) as store:
        while empty < stop_after_empty:
            if store.call_next(counter) is None:
                empty += 1
                time.sleep(0.01)
            else:
                empty = 0


def _endless_issuer(config: str, ready: str) -> None:
    with Store(cfg.load(config), clock=ManualClock(MORNING)) as store:
        Path(ready).touch()
        while True:
            store.issue("A")
            store.call_next(1)


def _run_all(procs: list) -> None:
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0, f"worker exited with {p.exitcode}"


def test_four_processes_issue_one_thousand_numbers_without_gap(tmp_path: Path):
    config = str(write_config(tmp_path))
    Store(cfg.load(config)).close()  # schema made once, before the race
    _run_all([SPAWN.Process(target=_issuer, args=(config, 250, "A")) for _ in range(4)])
    with Store(cfg.load(config), clock=ManualClock(MORNING)) as store:
        numbers = [r["number"] for r in store.db.query("SELECT number FROM tickets")]
        assert sorted(numbers) == list(range(1, 1001))
        issued = store.conn.execute("SELECT COUNT(*) FROM events WHERE kind='issued'").fetchone()
        assert issued[0] == 1000


def test_issuing_and_calling_at_once_never_calls_a_ticket_twice(tmp_path: Path):
    config = str(write_config(tmp_path))
    Store(cfg.load(config)).close()
    procs = [SPAWN.Process(target=_issuer, args=(config, 150, s)) for s in "AB"]
    procs += [SPAWN.Process(target=_caller, args=(config, c, 40)) for c in (1, 2)]
    _run_all(procs)
    with Store(cfg.load(config), clock=ManualClock(MORNING)) as store:
        calls = list(store.db.query(
            "SELECT ticket_id, COUNT(*) AS n FROM events WHERE kind = 'called'"
            " GROUP BY ticket_id"))
        assert len(calls) == 300, "every ticket was called"
        assert all(row["n"] == 1 for row in calls)
        # a ticket is called by exactly one counter and finished (or still current) once
        finished = store.conn.execute(
            "SELECT COUNT(*) FROM events WHERE kind = 'finished'").fetchone()[0]
        assert finished >= 298  # the two counters' last calls may still be current


def test_sigkill_mid_loop_leaves_a_sound_file(tmp_path: Path):
    config = str(write_config(tmp_path))
    Store(cfg.load(config)).close()
    ready = tmp_path / "ready"
    proc = SPAWN.Process(target=_endless_issuer, args=(config, str(ready)))
    proc.start()
    deadline = time.monotonic() + 30
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # let it write for a while, then pull the plug
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    with Store(cfg.load(config), clock=ManualClock(MORNING)) as store:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = store.db["tickets"].count
        assert count > 5, "the worker did write before it was killed"
        orphans = store.conn.execute(
            "SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM events e"
            " WHERE e.ticket_id = t.id AND e.kind = 'issued')").fetchone()[0]
        assert orphans == 0
        # called tickets all have their called event
        uncalled = store.conn.execute(
            "SELECT COUNT(*) FROM tickets t WHERE t.called_at IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'called')"
        ).fetchone()[0]
        assert uncalled == 0
        # and the store goes on numbering without a gap
        nxt = store.issue("A").ticket.number
        assert nxt == count + 1


def _opener(config: str, start_at: float) -> None:
    while time.time() < start_at:
        time.sleep(0.001)
    with Store(cfg.load(config), clock=ManualClock(MORNING)) as store:
        store.issue("B")


def test_many_processes_creating_the_same_new_file_at_once(tmp_path: Path):
    config = str(write_config(tmp_path))
    start_at = time.time() + 2.0  # all of them past their imports, then at the same moment
    _run_all([SPAWN.Process(target=_opener, args=(config, start_at)) for _ in range(6)])
    with Store(cfg.load(config), clock=ManualClock(MORNING)) as store:
        assert sorted(r["number"] for r in store.db.query("SELECT number FROM tickets")) == \
            list(range(1, 7))
