"""Printing slips: the print job, its time budget, the event log and the `devices` row.

A print job runs in a short-lived thread of its own and the caller waits for it at most the
printer's `timeout_s` (plus `GRACE_S`); every network, USB and serial operation inside it
is also given only what is left of that budget, so a printer that refuses, never reads,
never answers or drops the connection ends the job on time with a reason. The caller, the
thread that owns the Store, then writes the truth: `printed` or `print_failed` (with the
reason) for the ticket, the printer's state in its `devices` row, and a `printer_state`
event whenever that state turns into or out of a problem (paper low, paper out, offline).

Before a slip is sent, printers that answer real-time status (network, USB, serial) are
asked DLE EOT 1 (online) and DLE EOT 4 (paper); after it, DLE EOT 4 again. That answer
proves the printer has read every byte of the slip: bytes sitting in a socket buffer of a
printer that stopped reading would otherwise look printed.

Two ways in, both given the issued ticket as the store committed it (nothing is read back):
- `print_issued()` for `kiosk issue` and `kiosk reprint`: synchronous, bounded.
- `PrintWorker`, one per kiosk for the screens: a background thread with its own Store;
  `submit()` never blocks.
Across processes on the host (the kiosk's worker and a `kiosk reprint`), an advisory file
lock next to the store lets only one job at a time talk to a printer.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escpos.constants import (
    RT_MASK_LOWPAPER,
    RT_MASK_NOPAPER,
    RT_MASK_ONLINE,
    RT_STATUS_ONLINE,
    RT_STATUS_PAPER,
)

from kiosk import clock as clk
from kiosk.config import Printer, Settings
from kiosk.exceptions import PrinterError, UsageError
from kiosk.rows import Issued, Ticket
from printers.connect import STATUS_CONNECTIONS, describe, open_printer, set_timeout
from printers.slip import Slip, build_slip, render_escpos, render_text

if TYPE_CHECKING:
    from kiosk.store import Store

try:
    import fcntl
except ImportError:  # not on Windows; the lock is then per process only
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

STATES = ("ok", "paper_low", "paper_out", "offline", "unknown")
PROBLEMS = frozenset({"paper_low", "paper_out", "offline"})
GRACE_S = 0.25
"""How long past the budget the caller waits for a job that ignores its own timeouts."""
POLL_S = 30.0
"""An idle PrintWorker asks the printer for its state this often."""
STORE_ATTEMPTS = 20
"""Tries (with growing pauses, about 10 s in all) to open the worker's Store."""
OnDone = Callable[[bool, str | None], None]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    state: str | None
    """The printer's state afterwards; None when the job could not learn it (busy)."""
    reason: str | None
    """Why it failed, in one sentence; None on success."""
    elapsed_ms: float
    note: str | None = None
    """What the devices row says (e.g. where the slips go); defaults to the reason."""


class _NoAnswer(Exception):
    pass


def printer_of(settings: Settings, kiosk_id: str | None) -> tuple[str, Printer] | None:
    """The kiosk's printer name and table; None when it has none (absent or "none")."""
    try:
        kiosk = settings.kiosk(kiosk_id)
    except KeyError:
        raise UsageError(f'unknown kiosk "{kiosk_id}"') from None
    if kiosk.printer is None:
        return None
    printer = settings.printers[kiosk.printer]
    if printer.connection == "none":
        return None
    return kiosk.printer, printer


# -- the job (runs in its own thread; never touches the store) -----------------------------


def _status(device: Any, mode: bytes, connection: str) -> int:
    """One DLE EOT query; its answer is one byte."""
    try:
        if connection == "serial":
            # python-escpos' Serial reads 16 bytes, and pyserial then waits out the whole
            # timeout for the 15 that never come; one byte is the whole answer.
            device._raw(mode)
            answer = device.device.read(1)
        else:
            answer = device.query_status(mode)
    except TimeoutError:
        raise _NoAnswer("no answer to the status query") from None
    if not answer:  # serial read timeout, or the peer closed the socket
        raise _NoAnswer("no answer to the status query")
    return int(answer[0])


def _paper(byte: int) -> str:
    # python-escpos' paper_status() reads "no answer" as "paper adequate"; a kiosk must
    # not, so the answer byte is read here with python-escpos' own masks.
    if byte & RT_MASK_NOPAPER == RT_MASK_NOPAPER:
        return "paper_out"
    if byte & RT_MASK_LOWPAPER == RT_MASK_LOWPAPER:
        return "paper_low"
    return "ok"


def _oserror(exc: OSError) -> str:
    if isinstance(exc, TimeoutError):
        return "the printer stopped taking data (timed out)"
    if isinstance(exc, ConnectionResetError):
        return "the printer reset the connection"
    if isinstance(exc, BrokenPipeError):
        return "the printer closed the connection"
    return exc.strerror or str(exc) or type(exc).__name__


@contextlib.contextmanager
def _printer_lock(lock_dir: Path, name: str, deadline: float) -> Iterator[bool]:
    """An advisory lock per printer, shared by every process on the host; waits until the
    deadline at most and yields whether it was taken."""
    if fcntl is None:
        yield True
        return
    try:
        lock_dir.mkdir(parents=True, exist_ok=True)
        handle = open(lock_dir / f".printer-{name}.lock", "a+b")
    except OSError:
        yield True  # no lock file possible (read-only folder): print anyway
        return
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.perf_counter() >= deadline:
                    yield False
                    return
                time.sleep(0.005)
        yield True
    finally:
        handle.close()  # closing releases the lock


class _Job:
    """One print (or status probe) on one printer, bounded by a deadline."""

    def __init__(self, name: str, printer: Printer, data: bytes | None, *,
                 preview: str | None, stem: str, lock_dir: Path, budget_s: float) -> None:
        self.name, self.printer = name, printer
        self.data, self.preview, self.stem = data, preview, stem
        self.lock_dir = lock_dir
        self.budget_s = budget_s
        self.start = time.perf_counter()
        self.deadline = self.start + budget_s
        self.device: Any = None
        self.abandoned = False

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def outcome(self, ok: bool, state: str | None, reason: str | None = None,
                note: str | None = None) -> Outcome:
        return Outcome(ok, state, reason, (time.perf_counter() - self.start) * 1000, note)

    def run(self) -> Outcome:
        with _printer_lock(self.lock_dir, self.name, self.deadline) as locked:
            if not locked:
                return self.outcome(False, None, f"printer {self.name} is busy with another "
                                    f"job that did not finish within {self.budget_s:g} s")
            if self.printer.connection == "file":
                return self._to_folder()
            return self._to_device()

    def _to_folder(self) -> Outcome:
        folder = self.printer.path
        where = f"slips go to {folder}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if self.data is None:
                if not os.access(folder, os.W_OK):
                    return self.outcome(False, "offline", f"cannot write to {folder}")
                return self.outcome(True, "ok", note=where)
            device = open_printer(self.name, self.printer, timeout_s=self.left(),
                                  devfile=folder / f"{self.stem}.bin")
            try:
                device._raw(self.data)  # python-escpos' raw output; the slip is one write
            finally:
                device.close()
            if self.preview is not None:
                (folder / f"{self.stem}.txt").write_text(self.preview, "utf-8")
        except PrinterError as exc:
            return self.outcome(False, "offline", str(exc))
        except OSError as exc:
            return self.outcome(False, "offline", f"cannot write to {folder}: {_oserror(exc)}")
        return self.outcome(True, "ok", note=where)

    def _to_device(self) -> Outcome:
        connection = self.printer.connection
        answers = connection in STATUS_CONNECTIONS and self.printer.status
        phase = "connecting"
        try:
            self.device = open_printer(self.name, self.printer, timeout_s=max(0.01, self.left()))
        except PrinterError as exc:
            return self.outcome(False, "offline", str(exc))
        device = self.device
        state = "unknown"
        note = None
        if connection in STATUS_CONNECTIONS and not answers:
            note = (f"{describe(self.printer)}; status queries off (status = false):"
                    " slips are sent unconfirmed, paper state not reported")
        elif not answers:
            note = f"{describe(self.printer)}; paper state not reported"
        try:
            if answers:
                phase = "checking status"
                set_timeout(device, connection, self.left())
                online = _status(device, RT_STATUS_ONLINE, connection)
                state = _paper(_status(device, RT_STATUS_PAPER, connection))
                if state == "paper_out":
                    return self.outcome(False, "paper_out", "paper out")
                if online & RT_MASK_ONLINE:
                    return self.outcome(False, "offline", "the printer reports it is offline "
                                        "(cover open or an error)")
            elif connection == "cups":
                state = _cups_state(device, self.printer)
                if state == "offline":
                    return self.outcome(False, "offline",
                                        f"CUPS queue {self.printer.cups} is stopped")
            if self.data is not None and not self.abandoned:
                phase = "sending the slip"
                if connection in STATUS_CONNECTIONS:
                    set_timeout(device, connection, self.left())
                device._raw(self.data)  # python-escpos' raw output; the slip is one write
                if answers:
                    phase = "confirming the slip"
                    set_timeout(device, connection, self.left())
                    state = _paper(_status(device, RT_STATUS_PAPER, connection))
                    if state == "paper_out":
                        return self.outcome(False, "paper_out",
                                            "paper ran out while printing the slip")
                else:
                    phase = "handing the job over"
                    device.close()  # CUPS/LP submit the job on close; others flush
            return self.outcome(True, state, note=note)
        except _NoAnswer as exc:
            return self.outcome(False, "offline", f"{phase}: {exc} within {self.budget_s:g} s")
        except OSError as exc:  # python-escpos lets socket errors through raw
            return self.outcome(False, "offline", f"{phase}: {_oserror(exc)}")
        finally:
            with contextlib.suppress(Exception):
                device.close()

    def abandon(self) -> None:
        """The caller gave up: unblock a network job stuck in a send or receive."""
        self.abandoned = True
        sock = getattr(self.device, "_device", None)
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _cups_state(device: Any, printer: Printer) -> str:
    """CUPS knows whether its queue is stopped (printer-state 5), not the paper."""
    printers = getattr(device, "printers", None)
    if not isinstance(printers, dict) or not hasattr(device, "tmpfile"):  # LP: lpstat only
        return "unknown"
    attributes = printers.get(printer.cups, {})
    return "offline" if attributes.get("printer-state") == 5 else "unknown"


def run_job(name: str, printer: Printer, data: bytes | None, *, lock_dir: Path,
            preview: str | None = None, stem: str = "slip") -> Outcome:
    """Print `data` (or only probe the state when None), waiting at most timeout + GRACE_S."""
    job = _Job(name, printer, data, preview=preview, stem=stem, lock_dir=lock_dir,
               budget_s=printer.timeout_s)
    result: list[Outcome] = []
    finished = threading.Event()

    def target() -> None:
        try:
            result.append(job.run())
        except Exception as exc:  # a bug must still end as a logged failure
            log.exception("print job failed")
            result.append(job.outcome(False, "unknown", f"unexpected {type(exc).__name__}: "
                                      f"{exc}"))
        finally:
            finished.set()

    thread = threading.Thread(target=target, name=f"print-{name}", daemon=True)
    thread.start()
    if finished.wait(printer.timeout_s + GRACE_S) and result:
        return result[0]
    job.abandon()
    return job.outcome(False, "offline", f"no result within {printer.timeout_s:g} s; "
                       "gave up (the slip may be incomplete)")


# -- the truth in the store (the caller's thread) ------------------------------------------


def _device_detail(printer: Printer, outcome: Outcome) -> str:
    if outcome.state == "paper_low":
        return f"paper near its end; {describe(printer)}"
    if outcome.state == "paper_out":
        return f"paper out; {describe(printer)}"
    return outcome.reason or outcome.note or describe(printer)


def record(store: Store, name: str, printer: Printer, outcome: Outcome, *,
           ticket: Ticket | None = None, copy: bool = False,
           test: bool = False) -> None:
    """Event log and devices row for one job, in one transaction."""
    actor = f"printer:{name}"
    with store.bulk():
        if outcome.state is not None:
            previous = store.devices().get(name)
            before = previous.state if previous else None
            detail = _device_detail(printer, outcome)
            store.set_device(name, "printer", outcome.state, detail)
            if outcome.state != before and (outcome.state in PROBLEMS or before in PROBLEMS):
                store.log("printer_state", actor=actor,
                          detail={"printer": name, "state": outcome.state, "from": before,
                                  "detail": detail})
        info: dict[str, Any] = {"printer": name, "ms": round(outcome.elapsed_ms, 1)}
        if outcome.reason:
            info["reason"] = outcome.reason
        if copy:
            info["copy"] = True
        if ticket is not None:
            info["label"] = ticket.label
            store.log("printed" if outcome.ok else "print_failed", ticket_id=ticket.id,
                      actor=actor, detail=info)
        elif test:
            store.log("printer_test", actor=actor, detail={**info, "ok": outcome.ok})


def slip_stem(ticket: Ticket) -> str:
    return f"{ticket.day}-{ticket.label}"


def print_slip(store: Store, name: str, printer: Printer, slip: Slip, *,
               ticket: Ticket | None, stem: str, copy: bool = False,
               test: bool = False) -> Outcome:
    """Render, print within the printer's budget, record. Never raises for printer trouble."""
    data = render_escpos(slip)
    preview = render_text(slip) if printer.connection == "file" else None
    outcome = run_job(name, printer, data, lock_dir=store.path.parent, preview=preview,
                      stem=stem)
    record(store, name, printer, outcome, ticket=ticket, copy=copy, test=test)
    return outcome


def print_ticket(store: Store, name: str, printer: Printer, issued: Issued, *,
                 copy: bool = False) -> Outcome:
    """The slip of a committed ticket, with the outlook it was issued with (or, for a
    copy, the outlook now)."""
    ticket = issued.ticket
    try:
        slip = build_slip(store.settings, printer, issued, copy=copy)
    except Exception as exc:  # a layout bug must not lose the ticket
        log.exception("slip layout failed")
        outcome = Outcome(False, None, f"slip layout failed: {type(exc).__name__}: {exc}", 0.0)
        record(store, name, printer, outcome, ticket=ticket, copy=copy)
        return outcome
    stem = slip_stem(ticket) + ("-copy" if copy else "")
    return print_slip(store, name, printer, slip, ticket=ticket, stem=stem, copy=copy)


def print_issued(store: Store, issued: Issued, kiosk_id: str | None) -> bool | None:
    """Print a just-issued ticket at the kiosk's printer (`kiosk issue`).

    Synchronous but bounded by the printer's timeout_s (+ GRACE_S); True printed, False
    failed (the reason is in the event log; `Store.print_failure()` reads it), None when
    the kiosk has no printer."""
    target = printer_of(store.settings, kiosk_id)
    if target is None:
        return None
    name, printer = target
    return print_ticket(store, name, printer, issued).ok


def probe(store: Store, name: str, printer: Printer) -> Outcome:
    """Ask the printer for its state (no paper used) and record it in the devices row."""
    outcome = run_job(name, printer, None, lock_dir=store.path.parent)
    record(store, name, printer, outcome)
    return outcome


# -- the per-kiosk worker ------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    issued: Issued
    on_done: OnDone | None
    copy: bool


_STOP = object()


class PrintWorker:
    """One per kiosk: the only thing in the process that talks to the kiosk's printer.

    `submit()` queues a committed ticket (as issued: nothing is read back) and returns at
    once; the worker thread (with its own Store) prints it within the printer's timeout,
    records the outcome and then calls
    `on_done(printed, reason)` from the worker thread (a Textual app passes it on with
    `call_from_thread`). While idle it asks the printer for its state every `poll_s`, so a
    screen can show paper out before anyone chooses."""

    def __init__(self, settings: Settings, kiosk_id: str | None, *,
                 clock: clk.Clock | None = None, poll_s: float = POLL_S) -> None:
        self.settings = settings
        target = printer_of(settings, kiosk_id)  # UsageError for an unknown kiosk
        self.kiosk_id = settings.kiosk(kiosk_id).id
        self.clock = clock
        self.poll_s = poll_s
        self.printer_name: str | None = target[0] if target else None
        self.printer: Printer | None = target[1] if target else None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._state = "unknown"
        self._thread: threading.Thread | None = None
        self._pending = 0
        self._idle = threading.Condition()

    @property
    def has_printer(self) -> bool:
        return self.printer is not None

    def start(self) -> PrintWorker:
        if self._thread is None:
            with self._idle:
                self._pending += 1  # the start-up status check
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"print-worker-{self.kiosk_id}")
            self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Finish what was submitted, then end the thread."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        budget = self.printer.timeout_s + 1 if self.printer else 1.0
        self._thread.join(timeout if timeout is not None else budget * 4)
        self._thread = None

    def submit(self, issued: Issued, on_done: OnDone | None = None, *,
               copy: bool = False) -> None:
        """Queue a committed ticket for printing; never blocks."""
        with self._idle:
            self._pending += 1
        self._queue.put(_Request(issued, on_done, copy))
        if self._thread is None:
            self.start()

    def state(self) -> str:
        """ok, paper_low, paper_out, offline or unknown (no printer, or not yet known)."""
        return self._state

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Tests and shutdown: wait until every submitted slip has been handled."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        store = self._open_store()
        try:
            if store is not None:
                try:
                    self._probe(store)
                finally:
                    self._done_one()
            else:
                self._done_one()
            while True:
                try:
                    item = self._queue.get(timeout=self.poll_s)
                except queue.Empty:
                    if store is not None:
                        self._probe(store)
                    continue
                if item is _STOP:
                    break
                try:
                    if store is None:
                        self._answer(item, False, "the print worker cannot open the store")
                    else:
                        self._handle(store, item)
                finally:
                    self._done_one()
        finally:
            if store is not None:
                store.close()

    def _open_store(self) -> Store | None:
        """The worker's own Store. Opening can meet a lock while another process creates
        or migrates the same file; retry for a while rather than lose the thread."""
        from kiosk.store import Store

        for attempt in range(STORE_ATTEMPTS):
            try:
                return Store(self.settings, clock=self.clock)
            except Exception:
                if attempt == STORE_ATTEMPTS - 1:
                    log.exception("the print worker cannot open the store")
                    return None
                time.sleep(0.05 * (attempt + 1))
        return None

    def _done_one(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _probe(self, store: Store) -> None:
        if self.printer is None or self.printer_name is None:
            return
        try:
            outcome = probe(store, self.printer_name, self.printer)
        except Exception:  # the store is busy or gone; try again at the next poll
            log.exception("printer probe failed")
            return
        if outcome.state is not None:
            self._state = outcome.state

    def _handle(self, store: Store, request: _Request) -> None:
        ok, reason = False, None
        try:
            if self.printer is None or self.printer_name is None:
                reason = "this kiosk has no printer"
            else:
                outcome = print_ticket(store, self.printer_name, self.printer,
                                       request.issued, copy=request.copy)
                ok, reason = outcome.ok, outcome.reason
                if outcome.state is not None:
                    self._state = outcome.state
        except Exception as exc:
            log.exception("printing ticket %s failed", request.issued.ticket.label)
            reason = f"{type(exc).__name__}: {exc}"
        self._answer(request, ok, reason)

    @staticmethod
    def _answer(request: _Request, ok: bool, reason: str | None) -> None:
        if request.on_done is not None:
            try:
                request.on_done(ok, reason)
            except Exception:
                log.exception("on_done callback failed")

