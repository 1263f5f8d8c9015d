"""Helpers for the staff-console and lobby-board tests: a site (config + real store file in a
tmp dir + a hand-moved clock at 09:00 Jakarta), app factories, waiting on a running app,
reading what is on screen, and the command line in another process. (No tests here.)"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static

from kiosk import config as cfg
from kiosk.clock import ManualClock, iso
from kiosk.rows import Ticket
from kiosk.store import Store
from kiosk.ui.board import BoardApp
from kiosk.ui.staff import ConsoleScreen, StaffApp

from .conftest import REPO, local, write_config

SIZE = (120, 36)
BOARD_SIZE = (120, 40)
NAME, PIN = "siti", "2468"


class Site:
    """A library lobby on a real store file; `store` is the test's own connection."""

    def __init__(self, tmp_path: Path, extra: str = "",
                 replace: dict[str, str] | None = None) -> None:
        self.tmp_path = tmp_path
        self.config_path = write_config(tmp_path, extra, replace)
        self.settings = cfg.load(self.config_path)
        self.clock = ManualClock(local(9, 0))
        self.store = Store(self.settings, clock=self.clock)
        self.store.staff_add(NAME, "staff", PIN)

    def close(self) -> None:
        self.store.close()

    def staff(self, counter: int = 1, **kwargs: Any) -> StaffApp:
        kwargs.setdefault("repeat_guard_s", 0.0)
        return StaffApp(self.settings, counter, clock=self.clock, **kwargs)

    def board(self, **kwargs: Any) -> BoardApp:
        return BoardApp(self.settings, clock=self.clock, **kwargs)

    def events(self, *kinds: str) -> list[dict[str, Any]]:
        marks = ", ".join("?" for _ in kinds)
        return self.store._rows(f"SELECT * FROM events WHERE kind IN ({marks}) ORDER BY id",
                                kinds)

    def ticket(self, label: str) -> Ticket:
        return self.store.find(label)

    def heartbeat(self, state: str = "ok") -> None:
        """What a running announcer writes (kiosk.announcer), at the site clock's time."""
        self.store.set_device("announcer:main", "announcer", state)

    # -- another process -------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {**os.environ, "KIOSK_NOW": self.clock.now().isoformat(),
                "KIOSK_CONFIG": str(self.config_path), "PYTHONPATH": str(REPO)}

    def cli(self, *args: str) -> dict[str, Any]:
        """`kiosk ARGS --json` in its own process, on the same store file and clock."""
        done = subprocess.run(
            [sys.executable, "-m", "kiosk", *args, "--json"], env=self.env(), cwd=REPO,
            capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))


def run_app(app: App[Any], scenario: Callable[[Pilot], Awaitable[None]],
            size: tuple[int, int] = SIZE) -> None:
    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await scenario(pilot)

    asyncio.run(main())


async def until(pilot: Pilot, predicate: Callable[[], Any], what: str,
                timeout: float = 10.0) -> Any:
    """Let the app run until `predicate()` is truthy; its value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await pilot.pause(0.02)


def screen_text(app: App[Any]) -> str:
    """What the terminal shows now, as lines of text."""
    return "\n".join("".join(seg.text for seg in strip)
                     for strip in app.screen._compositor.render_strips())


def squeezed(text: str) -> str:
    """Runs of spaces as one: for finding a table row whatever its column widths."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


async def sign_in(pilot: Pilot, name: str = NAME, pin: str = PIN, *,
                  expect: bool = True) -> None:
    app = pilot.app
    await until(pilot, lambda: app.screen.query("#name"), "the sign-in screen")
    app.screen.query_one("#name").value = ""
    app.screen.query_one("#pin").value = ""
    app.screen.query_one("#name").focus()
    await pilot.press(*name, "enter", *pin, "enter")
    if expect:
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen), "the console")
        await until(pilot, lambda: app.view is not None and app.view.state == "open",
                    "the counter to show as open")


async def signed_in_console(pilot: Pilot) -> ConsoleScreen:
    await sign_in(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ConsoleScreen)
    return screen


def message_of(app: App[Any]) -> str:
    return str(app.screen.query_one("#message", Static).content)


def now_iso(site: Site) -> str:
    return iso(site.clock.now())


def flood_reads(app: App[Any], data: Callable[[], Any]) -> None:
    """Start posting `Fresh(data())` to `app` every millisecond from a thread, as a busy
    follower would, until the app's loop is gone: for closing an app with reads in flight."""
    from kiosk.ui.store_thread import Fresh

    def run() -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                app.post_message(Fresh(data()))
            except RuntimeError:  # the loop has closed: the app is gone
                return
            time.sleep(0.001)

    threading.Thread(target=run, daemon=True).start()
