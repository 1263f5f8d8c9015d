"""Helpers for the patron-kiosk tests: a printer stand-in, a recording voice, a hand-moved
monotonic clock, and an app factory on a real store in a tmp dir. (No tests here.)"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.rows import Issued
from kiosk.speech.voice import KioskVoice
from kiosk.store import Store
from kiosk.ui.patron import PatronApp

from .conftest import local, write_config

SIZE = (120, 40)


class Monotonic:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakePrinter:
    """The print worker's interface; answers from its own thread, as the real one does."""

    def __init__(self, state: str = "ok", *, succeed: bool = True, hold: bool = False) -> None:
        self._state = state
        self.succeed = succeed
        self.hold = hold
        self.started = self.stopped = False
        self.jobs: list[tuple[int, int, int | None]] = []
        self._pending: list[Callable[[bool, str | None], None]] = []

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def state(self) -> str:
        return self._state

    def set_state(self, state: str) -> None:
        self._state = state

    def submit(self, issued: Issued, *, on_done: Callable[[bool, str | None], None]) -> None:
        self.jobs.append((issued.ticket.id, issued.people_ahead, issued.estimated_wait_min))
        if self.hold:
            self._pending.append(on_done)
            return
        self._answer(on_done, self.succeed)

    def finish(self, ok: bool) -> None:
        while self._pending:
            self._answer(self._pending.pop(0), ok)

    def finish_first(self, ok: bool) -> None:
        """Answer only the oldest job still waiting."""
        self._answer(self._pending.pop(0), ok)

    def _answer(self, on_done: Callable[[bool, str | None], None], ok: bool) -> None:
        thread = threading.Thread(target=on_done, args=(ok, None if ok else "paper_out"))
        thread.start()
        thread.join()


class RecordingVoice(KioskVoice):
    """The real kiosk voice with output "none" (no espeak), also counting stop() calls."""

    def __init__(self, settings: cfg.Settings) -> None:
        super().__init__(settings, None, output="none")
        self.stops = 0

    def stop(self) -> None:
        self.stops += 1
        super().stop()

    def spoken(self) -> list[str]:
        return [text for text, _lang, _volume in self.log]

    def langs(self) -> set[str]:
        return {lang for _text, lang, _volume in self.log}


class Kit:
    """Everything one kiosk test needs: settings, store, clocks, fakes, the app."""

    def __init__(self, tmp_path: Path, *, extra: str = "", replace: dict[str, str] | None = None,
                 at: Any = None, printer: Any = "fake") -> None:
        self.settings = cfg.load(write_config(tmp_path, extra, replace))
        self.clock = ManualClock(at or local(9, 0))
        self.store = Store(self.settings, clock=self.clock)
        for counter in self.settings.counters:  # mid-morning: the counters are open
            self.store.counter(counter.id, "open")
        self.printer = FakePrinter() if printer == "fake" else printer
        self.voice = RecordingVoice(self.settings)
        self.mono = Monotonic()
        self.app = PatronApp(self.settings, store=self.store, printer=self.printer,
                             voice=self.voice, monotonic=self.mono, poll_s=3600)

    def close(self) -> None:
        self.store.close()
