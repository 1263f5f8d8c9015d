"""Writers take turns: a first-come, first-served queue for the store's write lock.

SQLite lets one writer at a time and makes the others wait in its busy handler, which
sleeps and tries again (1, 2, 5 ... up to 100 ms between tries). Under many busy processes
a waiter can keep waking just after somebody else took the lock: measured with 16 processes,
one kiosk's `issue` waited 3.6 s while others went through in milliseconds. Here each
writer draws a number and waits for the one before it, so the lock goes round in order of
arrival; SQLite's lock still does the locking, this only orders who asks for it.

How (an MCS-style queue on Linux open-file-description locks, `F_OFD_SETLK[W]`, on a small
file beside the store, `kiosk.db-turns`):

- under a brief lock on byte 0, a writer reads the last number drawn (bytes 0..7 of the
  file, mapped into memory), writes its own (one more), and locks the byte of its own
  number;
- it then waits for the byte of the number before it, which that writer holds until its
  transaction ends; the kernel wakes it when that lock is released (no polling);
- after its transaction it releases its own byte, which wakes the next one.

A process that dies holding or awaiting a turn releases its bytes with its file descriptor,
so the queue never sticks. Each `Turns` has its own open file description, so two threads
with their own `Store` queue like two processes. The wait for the turn before has the busy
timeout as its bound: the kernel's blocking wait runs on a helper thread (one per handle,
kept), and a writer that has waited too long gives its own turn back (whoever follows goes
on) and reports the store as busy, as SQLite would.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import queue
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_GUARD = 0
_FIRST_SLOT = 16
"""Lock offsets: byte 0 guards the counter; number N's byte is at 16 + N."""


def _flock(kind: int, start: int) -> bytes:
    # struct flock: l_type, l_whence, (pad), l_start, l_len, l_pid (0 for OFD locks), pad
    return struct.pack("hhqqi4x", kind, os.SEEK_SET, start, 1, 0)


_GUARD_LOCK = _flock(fcntl.F_WRLCK, _GUARD)
_GUARD_UNLOCK = _flock(fcntl.F_UNLCK, _GUARD)
_LAST = struct.Struct("<q")
"""The last number drawn: the file's first 8 bytes, shared through a memory map (a write
there is no system call and dirties no inode under the commits' fsyncs)."""


class _Helper(threading.Thread):
    """Waits in the kernel for the turn before, for a writer that waits with a timeout (a
    blocking lock cannot be given up from outside). One per `Turns` that ever had to wait,
    kept: starting a thread per wait cost more than the wait itself under contention."""

    def __init__(self, fd: int) -> None:
        super().__init__(name="kiosk-turn", daemon=True)
        self._fd = os.dup(fd)  # the same open file description: the same lock owner
        self.requests: queue.SimpleQueue[tuple[int, threading.Event] | None] = (
            queue.SimpleQueue())
        self.start()

    def run(self) -> None:
        try:
            while (request := self.requests.get()) is not None:
                slot, done = request
                try:
                    fcntl.fcntl(self._fd, fcntl.F_OFD_SETLKW, _flock(fcntl.F_WRLCK, slot))
                    fcntl.fcntl(self._fd, fcntl.F_OFD_SETLK, _flock(fcntl.F_UNLCK, slot))
                except OSError:
                    pass
                done.set()
        finally:
            os.close(self._fd)


class Turns:
    """One writer's place in the queue (one per Store, used by one thread at a time)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            if os.fstat(self._fd).st_size < _LAST.size:
                os.ftruncate(self._fd, _LAST.size)  # zeros: no number drawn yet
            self._shared = mmap.mmap(self._fd, _LAST.size)
        except OSError:
            os.close(self._fd)
            raise
        self.waits = 0
        """How many turns had to wait for the writer before (tests, diagnosis)."""
        self._helper: _Helper | None = None

    def close(self) -> None:
        if self._helper is not None:
            self._helper.requests.put(None)
            self._helper = None
        if self._fd >= 0:
            self._shared.close()
            os.close(self._fd)
            self._fd = -1

    def _lock(self, start: int, *, wait: bool) -> bool:
        command = fcntl.F_OFD_SETLKW if wait else fcntl.F_OFD_SETLK
        try:
            fcntl.fcntl(self._fd, command, _flock(fcntl.F_WRLCK, start))
        except (BlockingIOError, PermissionError):
            return False
        return True

    def _unlock(self, start: int) -> None:
        fcntl.fcntl(self._fd, fcntl.F_OFD_SETLK, _flock(fcntl.F_UNLCK, start))

    def _draw(self) -> int:
        """Draw the next number and hold its byte; returns it."""
        fcntl.fcntl(self._fd, fcntl.F_OFD_SETLKW, _GUARD_LOCK)  # held for one system call
        try:
            mine = _LAST.unpack_from(self._shared)[0] + 1
            _LAST.pack_into(self._shared, 0, mine)
            self._lock(_FIRST_SLOT + mine, wait=False)  # nobody else can have drawn it
        finally:
            fcntl.fcntl(self._fd, fcntl.F_OFD_SETLK, _GUARD_UNLOCK)
        return mine

    def _await(self, before: int, timeout_s: float) -> bool:
        """Wait until the writer with number `before` is done (or gone); False after
        `timeout_s`. The common case, nobody before us, costs one non-blocking try."""
        slot = _FIRST_SLOT + before
        if self._lock(slot, wait=False):
            self._unlock(slot)
            return True
        self.waits += 1
        if self._helper is None:
            self._helper = _Helper(self._fd)
        done = threading.Event()
        self._helper.requests.put((slot, done))
        return done.wait(timeout_s)

    @contextmanager
    def turn(self, timeout_s: float) -> Iterator[bool]:
        """Hold a turn for the duration of the block; yields False when the wait for it
        timed out (the caller then lets SQLite's own busy handler decide)."""
        mine = self._draw()
        try:
            yield self._await(mine - 1, timeout_s)
        finally:
            self._unlock(_FIRST_SLOT + mine)
