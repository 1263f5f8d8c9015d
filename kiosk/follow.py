"""Following the store: re-read a view whenever anyone commits, without Textual.

`Follower` is a thread with its own `Store` that polls `PRAGMA data_version` several times a
second (a read of a counter in shared memory: microseconds) and, only when another
connection has committed (or every `every_s`, for what ages by itself: oldest waits, the
announcer's heartbeat), runs `read(store)` in one snapshot and hands the result to
`deliver(data, error)`. One follower serves any number of listeners: a Textual screen
posts what it gets to its app (kiosk/ui/store_thread.py), a server fans it out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.exceptions import KioskError
from kiosk.store import Store

T = TypeVar("T")

Deliver = Callable[[T | None, str | None], bool | None]
"""deliver(data, None) after a read, deliver(None, error) when the store cannot be read;
returning False stops the follower (its listener has gone)."""


class Follower(Generic[T]):
    """A thread with its own Store: `read(store)` after every commit anyone makes (polled
    through data_version every `poll_s`) or every `every_s`, handed to `deliver`."""

    def __init__(
        self,
        settings: Settings,
        clock: clk.Clock,
        read: Callable[[Store], T],
        deliver: Deliver[T],
        *,
        poll_s: float = 0.05,
        every_s: float = 2.0,
        name: str = "kiosk-follower",
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.read = read
        self.deliver = deliver
        self.poll_s = poll_s
        self.every_s = every_s
        self._stop = threading.Event()
        self._poke = threading.Event()
        self._wake = threading.Event()
        """Set by poke() and stop(): the thread stops waiting for the next poll."""
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.reads = 0
        """How many reads were delivered (tests, diagnosis)."""

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        """Read again now, changed or not (a console after its own action)."""
        self._poke.set()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        store: Store | None = None
        seen: int | None = None
        due = 0.0
        opened = False
        while not self._stop.is_set():
            try:
                if store is None:
                    # Once the file has been there, a missing file is a fault to report,
                    # not a reason to start a new empty store.
                    store = Store(self.settings, clock=self.clock, create=not opened)
                    opened = True
                version = store.data_version()
                now = time.monotonic()
                if version != seen or now >= due or self._poke.is_set():
                    self._poke.clear()
                    seen, due = version, now + self.every_s
                    with store.snapshot():
                        data = self.read(store)
                    self.reads += 1
                    self._hand(data, None)
            except Exception as exc:  # a locked or broken store must not end the follower
                self._hand(None, str(exc) if isinstance(exc, KioskError)
                           else f"{type(exc).__name__}: {exc}")
                if store is not None:
                    store.close()
                store, seen = None, None
                self._stop.wait(1.0)
            self._wake.wait(self.poll_s)
            self._wake.clear()
        if store is not None:
            store.close()

    def _hand(self, data: T | None, error: str | None) -> None:
        if self.deliver(data, error) is False:
            self._stop.set()
