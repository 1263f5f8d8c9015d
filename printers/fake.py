"""A fake ESC/POS network printer on a loopback port, for the tests and the benchmark.

It accepts connections like a printer's raw port 9100, records every byte, and answers the
real-time status queries (DLE EOT 1 and 4) the way an Epson-style printer does. It reads
the stream command by command (printers.decode), so bytes inside image or QR data are never
mistaken for a status query. Its faults are the ones a lobby meets:

- `behaviour="ok"`: prints; `paper` "ok" | "low" | "out"; `online=False` reports offline.
- `"never_read"`: accepts the connection and never reads a byte (a wedged printer).
- `"silent"`: reads everything but never answers a status query.
- `"reset"`: drops the connection with a TCP reset after `reset_after` bytes.
- A closed port: just don't start one (see `closed_port()`).
"""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from printers.decode import DecodeError, next_command

PAPER_BYTES = {"ok": 0x12, "low": 0x1E, "out": 0x72}
"""DLE EOT 4 answers: fixed bits 0x12, near-end 0x0C, paper end 0x60."""
ONLINE_BYTE, OFFLINE_BYTE = 0x12, 0x1A
"""DLE EOT 1 answers: bit 3 set = offline."""


@dataclass
class Job:
    """One connection's bytes."""

    data: bytearray = field(default_factory=bytearray)
    cut_at: float | None = None
    """time.perf_counter() when the cut (GS V) arrived: the slip's last byte."""
    closed: bool = False


class FakePrinter:
    def __init__(
        self,
        *,
        behaviour: str = "ok",
        paper: str = "ok",
        online: bool = True,
        reset_after: int = 64,
        on_connect: Callable[[], None] | None = None,
    ) -> None:
        if behaviour not in ("ok", "never_read", "silent", "reset"):
            raise ValueError(f"unknown behaviour {behaviour!r}")
        self.behaviour = behaviour
        self.paper = paper
        self.online = online
        self.reset_after = reset_after
        self.on_connect = on_connect
        """Called in the printer's thread as each connection is accepted (tests look at
        the store at that moment)."""
        self.jobs: list[Job] = []
        self.errors: list[str] = []
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)
        self.host, self.port = self._server.getsockname()[:2]

    # -- life ------------------------------------------------------------------------------

    def start(self) -> FakePrinter:
        thread = threading.Thread(target=self._accept, name="fake-printer", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for conn in list(self._conns):
            try:
                conn.close()
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=2)
        self._server.close()

    def __enter__(self) -> FakePrinter:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- what arrived ----------------------------------------------------------------------

    @property
    def received(self) -> bytes:
        with self._changed:
            return b"".join(bytes(job.data) for job in self.jobs)

    def slips(self) -> list[bytes]:
        """The bytes of each connection that ended with a cut."""
        with self._changed:
            return [bytes(job.data) for job in self.jobs if job.cut_at is not None]

    def wait_for_cuts(self, count: int, timeout: float = 5.0) -> list[float]:
        """Block until `count` slips were cut; their cut times (perf_counter)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                times = [job.cut_at for job in self.jobs if job.cut_at is not None]
                if len(times) >= count:
                    return times
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(times)} of {count} slips cut after {timeout} s")
                self._changed.wait(left)

    # -- the printer -----------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._conns.append(conn)
            if self.on_connect is not None:
                self.on_connect()
            job = Job()
            with self._changed:
                self.jobs.append(job)
            thread = threading.Thread(target=self._serve, args=(conn, job), daemon=True,
                                      name="fake-printer-conn")
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket, job: Job) -> None:
        try:
            if self.behaviour == "never_read":
                self._stop.wait()
                return
            conn.settimeout(0.05)
            pos = 0
            while not self._stop.is_set():
                want = 65536
                if self.behaviour == "reset":  # read no further than the reset point
                    want = max(1, self.reset_after - len(job.data))
                try:
                    chunk = conn.recv(want)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                with self._changed:
                    job.data += chunk
                if self.behaviour == "reset" and len(job.data) >= self.reset_after:
                    # SO_LINGER 0 turns close() into a TCP reset: the client's next send or
                    # receive fails with ConnectionResetError (or BrokenPipeError).
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                pos = self._react(conn, job, pos)
        finally:
            with self._changed:
                job.closed = True
                self._changed.notify_all()
            try:
                conn.close()
            except OSError:
                pass

    def _react(self, conn: socket.socket, job: Job, pos: int) -> int:
        reply, pos, cut = respond(job.data, pos, self._status, self.errors)
        if cut:
            with self._changed:
                job.cut_at = time.perf_counter()
                self._changed.notify_all()
        if reply and self.behaviour != "silent":
            conn.sendall(reply)
        return pos

    def _status(self, n: int) -> int:
        return status_byte(n, self.paper, self.online)


def status_byte(n: int, paper: str = "ok", online: bool = True) -> int:
    """What an Epson-style printer answers to DLE EOT n."""
    if n == 4:
        return PAPER_BYTES[paper]
    if n == 1:
        return ONLINE_BYTE if online else OFFLINE_BYTE
    return 0x12  # 2 (off-line cause) and 3 (errors): nothing to report


def respond(data: bytes | bytearray, pos: int, status: Callable[[int], int],
            errors: list[str]) -> tuple[bytes, int, bool]:
    """Walk the complete commands in data[pos:]; the status answers they ask for, where the
    next command starts, and whether a cut (GS V) was among them."""
    reply = bytearray()
    cut = False
    while True:
        try:
            step = next_command(data, pos)
        except DecodeError as exc:
            errors.append(str(exc))
            pos += 1
            continue
        if step is None:
            return bytes(reply), pos, cut
        command, pos = step
        if command.name == "GS V":
            cut = True
        elif command.name == "DLE EOT":
            reply.append(status(command.args[0]))


class FakeSerialPrinter:
    """The same printer behind a pseudo-terminal: `device` is a real tty path that
    pyserial (and so python-escpos' Serial) opens like /dev/ttyUSB0."""

    def __init__(self, *, paper: str = "ok", online: bool = True) -> None:
        self.paper, self.online = paper, online
        self.data = bytearray()
        self.errors: list[str] = []
        self.cuts = 0
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        self.device = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="fake-serial")

    def __enter__(self) -> FakeSerialPrinter:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        os.close(self._master)
        os.close(self._slave)

    def _serve(self) -> None:
        pos = 0
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                return
            self.data += chunk
            reply, pos, cut = respond(self.data, pos,
                                      lambda n: status_byte(n, self.paper, self.online),
                                      self.errors)
            self.cuts += cut
            if reply:
                os.write(self._master, reply)


def closed_port() -> int:
    """A loopback port where nothing listens (connecting is refused)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        return int(server.getsockname()[1])
