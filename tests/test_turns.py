"""Writers take turns at the store's write lock, first come first served (issue 18, point 5):
kiosk.store.turns on a real lock file, with threads and processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.store import Store
from kiosk.store.turns import Turns

from .conftest import local, write_config


def test_turns_go_in_the_order_they_were_drawn(tmp_path: Path):
    path = tmp_path / "kiosk.db-turns"
    first = Turns(path)
    order: list[int] = []
    entered = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with first.turn(10) as ours:
            assert ours
            entered.set()
            release.wait(10)
            order.append(0)

    def waiter(n: int) -> None:
        turns = Turns(path)
        with turns.turn(10) as ours:
            assert ours
            order.append(n)
        turns.close()

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    entered.wait(5)
    for n in range(1, 6):  # each draws its number well after the one before
        thread = threading.Thread(target=waiter, args=(n,))
        thread.start()
        threads.append(thread)
        time.sleep(0.05)
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2, 3, 4, 5]
    first.close()


def test_a_writer_killed_while_holding_its_turn_passes_it_on(tmp_path: Path):
    path = tmp_path / "kiosk.db-turns"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from kiosk.store.turns import Turns\n"
         f"t = Turns(Path({str(path)!r}))\n"
         "with t.turn(10):\n    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    turns = Turns(path)
    started = time.monotonic()
    threading.Timer(0.3, holder.kill).start()
    with turns.turn(10) as ours:
        assert ours
    waited = time.monotonic() - started
    assert 0.25 < waited < 5, waited
    holder.wait(10)
    turns.close()


def test_a_turn_that_never_comes_times_out_and_the_next_writer_goes_on(tmp_path: Path):
    path = tmp_path / "kiosk.db-turns"
    stuck, impatient, later = Turns(path), Turns(path), Turns(path)
    with stuck.turn(10):
        started = time.monotonic()
        with impatient.turn(0.3) as ours:
            assert not ours  # the store reports itself busy then
        assert 0.25 < time.monotonic() - started < 3
        assert impatient.waits == 1
    # `stuck` is done, `impatient` gave its turn back: the next one goes at once.
    started = time.monotonic()
    with later.turn(10) as ours:
        assert ours
    assert time.monotonic() - started < 1
    for turns in (stuck, impatient, later):
        turns.close()


def test_the_store_takes_turns_and_keeps_its_turns_file_private(tmp_path: Path):
    settings = cfg.load(write_config(tmp_path))
    with Store(settings, clock=ManualClock(local(9, 0))) as store:
        store.issue("A")
        turns = store.path.with_name(store.path.name + "-turns")
        assert turns.exists() and turns.stat().st_mode & 0o077 == 0
        other = Turns(turns)
        with other.turn(10):  # another writer holds the turn: the store waits for it
            done = threading.Event()
            threading.Thread(target=lambda: (Store(settings, clock=ManualClock(
                local(9, 0))).issue("A"), done.set()), daemon=True).start()
            assert not done.wait(0.3)
        assert done.wait(10)
        other.close()
        assert store.find("A002").state == "waiting"
