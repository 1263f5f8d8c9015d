"""The per-kiosk PrintWorker the patron screen uses: submit() never blocks, the worker
thread prints with its own Store after the ticket is committed, reports through on_done,
and keeps the printer's state in the devices row, also while nobody prints."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from kiosk.clock import ManualClock
from kiosk.store import Store
from printers.decode import read
from printers.fake import FakePrinter
from printers.worker import PrintWorker

from .conftest import local
from .test_print_support import network, printer_settings

TIMEOUT_S = 1.0


class Done:
    """Collects on_done calls and the thread they came from."""

    def __init__(self) -> None:
        self.calls: list[tuple[bool, str | None, str]] = []
        self.event = threading.Event()

    def __call__(self, ok: bool, reason: str | None) -> None:
        self.calls.append((ok, reason, threading.current_thread().name))
        self.event.set()


def events(path: Path, kind: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT ticket_id, detail FROM events WHERE kind = ? ORDER BY id",
                          (kind,)).fetchall()


def test_the_worker_prints_each_committed_ticket_in_turn(tmp_path):
    seen_in_store: list[int] = []
    settings = None

    def count_tickets() -> None:  # runs in the printer as each connection arrives
        with sqlite3.connect(settings.store.path) as db:
            seen_in_store.append(db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0])

    with FakePrinter(on_connect=count_tickets) as fake:
        settings = printer_settings(tmp_path, **network(fake.port, TIMEOUT_S))
        clock = ManualClock(local(9, 0))
        worker = PrintWorker(settings, "lobby", clock=clock).start()
        done = Done()
        with Store(settings, clock=clock) as store:
            assert worker.wait_idle(5)
            probes = len(fake.jobs)  # the start-up status check
            labels = []
            for service, lang in (("A", "id"), ("B", "en"), ("A", "en")):
                issued = store.issue(service, lang=lang, kiosk="lobby")
                labels.append(issued.ticket.label)
                started = time.perf_counter()
                worker.submit(issued, done)
                assert time.perf_counter() - started < 0.01  # never blocks the screen
            assert worker.wait_idle(5)
        worker.stop()
        slips = [read(data, "TM-T20II") for data in fake.slips()]
    assert [ok for ok, _, _ in done.calls] == [True, True, True]
    assert {thread for _, _, thread in done.calls} == {"print-worker-lobby"}
    assert [slip.qr_native[0] for slip in slips] == labels == ["A001", "B001", "A002"]
    assert "Selamat datang" in slips[0].texts() and "Welcome" in slips[1].texts()
    # Each slip's connection found its ticket (the n-th) already committed.
    assert len(seen_in_store) == probes + 3 and probes == 1
    assert all(seen >= n for n, seen in enumerate(seen_in_store[probes:], start=1))
    assert worker.state() == "ok"
    assert len(events(settings.store.path, "printed")) == 3


def test_submit_returns_at_once_even_when_the_printer_never_reads(tmp_path):
    with FakePrinter(behaviour="never_read") as fake:
        settings = printer_settings(tmp_path, **network(fake.port, TIMEOUT_S))
        clock = ManualClock(local(9, 0))
        with Store(settings, clock=clock) as store:
            worker = PrintWorker(settings, None, clock=clock, poll_s=60).start()
            issued = store.issue("C", "lansia", lang="en")
            done = Done()
            started = time.perf_counter()
            worker.submit(issued, done)
            assert time.perf_counter() - started < 0.01
            # Behind the start-up probe (also unanswered): two budgets at most.
            assert done.event.wait(2 * (TIMEOUT_S + 0.5))
            worker.stop()
            [(ok, reason, _)] = done.calls
            assert ok is False and "no answer" in reason
            assert worker.state() == "offline"
            assert store.devices()["main"].state == "offline"
            assert store.find("C001").state == "waiting"
    [(ticket_id, _)] = events(settings.store.path, "print_failed")
    assert ticket_id == issued.ticket.id


def test_an_idle_worker_notices_paper_running_low_before_anyone_prints(tmp_path):
    with FakePrinter() as fake:
        settings = printer_settings(tmp_path, **network(fake.port, TIMEOUT_S))
        worker = PrintWorker(settings, "lobby", poll_s=0.05).start()
        try:
            deadline = time.monotonic() + 3
            while worker.state() != "ok" and time.monotonic() < deadline:
                time.sleep(0.01)
            assert worker.state() == "ok"
            fake.paper = "low"
            while worker.state() != "paper_low" and time.monotonic() < deadline:
                time.sleep(0.01)
            assert worker.state() == "paper_low"
            fake.paper = "out"
            while worker.state() != "paper_out" and time.monotonic() < deadline:
                time.sleep(0.01)
            assert worker.state() == "paper_out"
        finally:
            worker.stop()
        assert fake.slips() == []  # status queries only: no paper was used
    with Store(settings) as store:
        row = store.devices()["main"]
    assert (row.kind, row.state) == ("printer", "paper_out")
    states = [detail for _, detail in events(settings.store.path, "printer_state")]
    assert '"state": "paper_low"' in states[0] and '"state": "paper_out"' in states[1]


def test_a_kiosk_without_a_printer_says_so(tmp_path):
    settings = printer_settings(tmp_path, connection="none")
    clock = ManualClock(local(9, 0))
    worker = PrintWorker(settings, "lobby", clock=clock).start()
    with Store(settings, clock=clock) as store:
        issued = store.issue("A")
        done = Done()
        worker.submit(issued, done)
        assert done.event.wait(2)
        worker.stop()
        assert store.devices() == {}
    assert not worker.has_printer and worker.state() == "unknown"
    assert done.calls[0][:2] == (False, "this kiosk has no printer")


def test_the_file_connection_worker_writes_slips_next_to_the_store(tmp_path):
    settings = printer_settings(tmp_path, connection="file", path="data/slips")
    clock = ManualClock(local(9, 0))
    with Store(settings, clock=clock) as store:
        worker = PrintWorker(settings, "lobby", clock=clock).start()
        issued = store.issue("B", lang="en")
        worker.submit(issued)
        assert worker.wait_idle(5)
        worker.stop()
    folder = tmp_path / "data" / "slips"
    assert settings.store.path.parent == folder.parent  # beside data/kiosk.db
    assert "B 0 0 1" in (folder / "2026-11-27-B001.txt").read_text("utf-8")
    assert worker.state() == "ok"


def test_a_worker_that_cannot_open_the_store_still_answers(tmp_path, monkeypatch):
    monkeypatch.setattr("printers.worker.STORE_ATTEMPTS", 2)
    (tmp_path / "blocked").write_text("a file where the store's folder should be")
    settings = printer_settings(tmp_path, connection="file")
    settings = settings.model_copy(update={"store": settings.store.model_copy(
        update={"path": tmp_path / "blocked" / "kiosk.db"})})
    worker = PrintWorker(settings, "lobby").start()
    done = Done()
    with Store(settings.model_copy(update={"store": settings.store.model_copy(
            update={"path": tmp_path / "elsewhere.db"})}), clock=ManualClock(local(9, 0))) as other:
        issued = other.issue("A")  # a ticket from a store this worker cannot reach
    worker.submit(issued, done)
    assert done.event.wait(5)
    worker.stop()
    assert done.calls[0][:2] == (False, "the print worker cannot open the store")
