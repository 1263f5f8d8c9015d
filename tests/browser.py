"""A real headless Chromium on a screen served by `kiosk web SCREEN` (kiosk serve).

Reusable by every screen's tests:

    with WebScreen("patron", env=env, args=["--kiosk", "lobby"]) as web:
        web.tap(col, row)                 # a touch at the centre of a terminal cell
        web.press("Enter")                # a key, as Playwright names keys
    with WebScreen("staff", env=env, args=["--counter", "1"]) as web: ...
    with WebScreen("board", env=env) as web: ...

The server runs as a subprocess (its own process group, so the app processes it starts per
tab stop with it) on a free loopback port; Debian's /usr/bin/chromium is driven by
Playwright through `executable_path` with a fresh profile, and every request that is not
to the loopback server is aborted (nothing may come from outside a lobby's LAN).

Where the cells are: xterm.js sizes its `.xterm-screen` element to exactly cols x rows
cells, and textual.js tells the server the terminal size in the websocket URL
(`?width=..&height=..`) and in later `["resize", ...]` messages, which the harness reads
from the page's websocket traffic. Cell (col, row) is then at
`screen.x + (col + 0.5) * width / cols`, likewise for rows.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float, what: str,
             interval: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy; its value, or AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class WebScreen:
    """`kiosk web SCREEN` in a subprocess, opened in headless Chromium."""

    def __init__(
        self,
        screen: str,
        *,
        env: dict[str, str] | None = None,
        args: Sequence[str] = (),
        global_args: Sequence[str] = (),
        viewport: tuple[int, int] = (1400, 900),
        font_size: int = 16,
        startup_timeout: float = 30.0,
        cwd: str | os.PathLike[str] | None = None,
        touch: bool = False,
    ) -> None:
        self.screen = screen
        self.touch = touch
        """A touchscreen: taps are touch events (`tap`), not mouse clicks."""
        self.env = {**os.environ, **(env or {})}
        self.args = list(args)
        self.global_args = list(global_args)
        self.viewport = viewport
        self.font_size = font_size
        self.startup_timeout = startup_timeout
        self.cwd = cwd
        self.port = 0
        self.server: subprocess.Popen[bytes] | None = None
        self.cols = 0
        self.rows = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._playwright: Any = None
        self._browser: Any = None
        self.page: Any = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> WebScreen:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?fontsize={self.font_size}"

    @property
    def server_log(self) -> str:
        if self._tmp is None:
            return ""
        path = Path(self._tmp.name) / "server.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""

    def start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._tmp = tempfile.TemporaryDirectory(prefix="kiosk-web-")
        self.port = free_port()
        log = open(Path(self._tmp.name) / "server.log", "wb")  # noqa: SIM115
        command = [sys.executable, "-m", "kiosk", *self.global_args, "web", self.screen,
                   "--host", "127.0.0.1", "--port", str(self.port), *self.args]
        self.server = subprocess.Popen(
            command, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        wait_for(self._listening, self.startup_timeout, f"`kiosk web {self.screen}` to listen"
                 f" on port {self.port}\n{self.server_log}")

        self._playwright = sync_playwright().start()
        width, height = self.viewport
        # A persistent context is how Playwright takes a fresh --user-data-dir of our own.
        context = self._browser = self._playwright.chromium.launch_persistent_context(
            str(Path(self._tmp.name) / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_FLAGS,
            viewport={"width": width, "height": height},
            has_touch=self.touch,
        )
        context.route("**/*", self._only_loopback)
        self.page = context.pages[0] if context.pages else context.new_page()
        self.page.on("websocket", self._watch_socket)
        self.page.goto(self.url)
        self.page.wait_for_selector(".xterm-screen", timeout=self.startup_timeout * 1000)
        self.page.wait_for_selector("body.-first-byte", timeout=self.startup_timeout * 1000)
        wait_for(lambda: self.cols and self.rows, 10, "the terminal size")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            if self._browser is not None:
                self._browser.close()
        with contextlib.suppress(Exception):
            if self._playwright is not None:
                self._playwright.stop()
        self._browser = self._playwright = self.page = None
        server, self.server = self.server, None
        if server is not None and server.poll() is None:
            # The server and the app processes it started share its process group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
        if server is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)  # app processes left in the group
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _listening(self) -> bool:
        assert self.server is not None
        if self.server.poll() is not None:
            raise AssertionError(f"`kiosk web {self.screen}` exited with "
                                 f"{self.server.returncode}:\n{self.server_log}")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def _only_loopback(self, route: Any) -> None:
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            route.abort()

    def _watch_socket(self, socket_: Any) -> None:
        query = parse_qs(urlparse(socket_.url).query)
        if "width" in query and "height" in query:
            self.cols, self.rows = int(query["width"][0]), int(query["height"][0])
        socket_.on("framesent", self._frame_sent)

    def _frame_sent(self, payload: Any) -> None:
        if not isinstance(payload, str) or not payload.startswith('["resize"'):
            return
        size = json.loads(payload)[1]
        self.cols, self.rows = int(size["width"]), int(size["height"])

    # -- where things are ------------------------------------------------------------------

    def terminal_box(self) -> dict[str, float]:
        box = self.page.locator(".xterm-screen").bounding_box()
        assert box is not None, "the terminal is not on the page"
        return dict(box)

    def cell_size(self) -> tuple[float, float]:
        box = self.terminal_box()
        return box["width"] / self.cols, box["height"] / self.rows

    def cell_center(self, col: int, row: int) -> tuple[float, float]:
        if not (0 <= col < self.cols and 0 <= row < self.rows):
            raise ValueError(f"cell ({col}, {row}) is outside {self.cols}x{self.rows}")
        box = self.terminal_box()
        width, height = box["width"] / self.cols, box["height"] / self.rows
        return box["x"] + (col + 0.5) * width, box["y"] + (row + 0.5) * height

    # -- acting ----------------------------------------------------------------------------

    def tap(self, col: int, row: int) -> None:
        """A touch on a cell: press and release there, as a finger does."""
        x, y = self.cell_center(col, row)
        if self.touch:
            self.page.touchscreen.tap(x, y)
        else:
            self.page.mouse.click(x, y)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def screenshot(self, path: str | os.PathLike[str]) -> None:
        self.page.screenshot(path=str(path))
