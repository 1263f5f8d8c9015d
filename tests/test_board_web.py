"""The board and the staff console in a real headless Chromium, served by `kiosk web`
(kiosk serve) through the shared harness in tests/browser.py: a call made by another
process reaches the browser's board, and a tap on the console's Next button calls a patron.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from typing import Any

import pytest
from textual.screen import Screen

from kiosk.ui.staff import ConsoleScreen, SignInScreen

from .browser import WebScreen, wait_for
from .conftest import require_tool
from .test_staff_support import NAME, PIN, Site

TV = (1920, 1080)
TV_FONT = 28
"""The font size the README recommends for a 1080p lobby TV (`?fontsize=28`)."""


@pytest.fixture
def site(tmp_path):
    require_tool("chromium")
    s = Site(tmp_path)
    yield s
    s.close()


class RecordedScreen(WebScreen):
    """The shared harness, also keeping what the server sends the browser: the app's
    terminal output, where the board's plain-text lines can be read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received = bytearray()

    def _watch_socket(self, socket_: Any) -> None:
        super()._watch_socket(socket_)
        socket_.on("framereceived", self._frame_received)

    def _frame_received(self, payload: Any) -> None:
        self.received += payload if isinstance(payload, bytes) else payload.encode()

    def sent_text(self) -> str:
        self.page.wait_for_timeout(10)  # Playwright hands over socket events only in its calls
        return self.received.decode("utf-8", "replace")


def yellow_share(web: WebScreen) -> float:
    """The share of the terminal's pixels that are the highlight's yellow (#ffff00)."""
    from PIL import Image

    png = web.page.screenshot(clip=web.terminal_box())
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(image.width * image.height) or []
    yellow = sum(n for n, (r, g, b) in colours if r > 220 and g > 220 and b < 60)
    return yellow / (image.width * image.height)


def test_a_call_from_another_process_reaches_the_board_in_chromium(site):
    site.store.issue("A")
    args = ["--config", str(site.config_path)]
    with RecordedScreen("board", env=site.env(), global_args=args, viewport=TV,
                        font_size=TV_FONT) as web:
        wait_for(lambda: "Belum ada panggilan" in web.sent_text(), 30, "the empty board")
        idle = yellow_share(web)
        site.cli("call", "--counter", "1")
        wait_for(lambda: "A001" in web.sent_text(), 10, "A001 in the board's last calls")
        wait_for(lambda: yellow_share(web) > idle + 0.15, 10, "the highlighted call on screen")
        assert "Loket 1 / Counter 1" in web.sent_text()
        # Readable across a room: at 28 px a 1080p TV shows about 110 x 30 cells.
        assert 90 <= web.cols <= 130 and 25 <= web.rows <= 40, (web.cols, web.rows)
        assert web.server is not None and web.server.poll() is None


def cell_of(site: Site, screen: Screen[Any], selector: str, cols: int,
            rows: int) -> tuple[int, int]:
    """The centre cell of a widget as the console lays it out at this terminal size: the
    same app, headless, at the browser's size (cells are cells, in a terminal or in
    xterm.js). The probe only lays out; it writes nothing to the store."""
    app = site.staff()
    where: dict[str, int] = {}

    async def main() -> None:
        async with app.run_test(size=(cols, rows)) as pilot:
            await app.switch_screen(screen)
            await pilot.pause()
            region = app.screen.query_one(selector).region
            where.update(col=region.x + region.width // 2, row=region.y + region.height // 2)

    # In a thread of its own: Playwright's sync API keeps an event loop in this one.
    probe = threading.Thread(target=asyncio.run, args=(main(),))
    probe.start()
    probe.join(60)
    return where["col"], where["row"]


def test_the_staff_console_in_chromium_signs_in_and_calls_with_a_tap(site):
    site.store.issue("B")
    args = ["--config", str(site.config_path)]
    with RecordedScreen("staff", env=site.env(), global_args=args,
                        args=["--counter", "1"]) as web:
        wait_for(lambda: "Masuk" in web.sent_text(), 30, "the sign-in screen")
        web.tap(*cell_of(site, SignInScreen(), "#name", web.cols, web.rows))
        web.page.keyboard.type(NAME, delay=30)
        web.press("Enter")
        web.page.wait_for_timeout(300)  # as a person does: the PIN field has focus by now
        web.page.keyboard.type(PIN, delay=30)
        web.press("Enter")
        wait_for(lambda: site.store.counter_states()[1].state == "open", 20, "the sign-in")
        col, row = cell_of(site, ConsoleScreen(NAME), "#key-next", web.cols, web.rows)
        wait_for(lambda: "Berikutnya" in web.sent_text(), 10, "the console's buttons")
        web.tap(col, row)
        wait_for(lambda: site.store.find("B001").state == "called", 20, "the tap's call")
        # Issue 17: the tab is closed with the counter open: it must not stay "open by
        # siti" for good. The server ends the tab's app, whose exit closes the counter.
        web.page.close()
        wait_for(lambda: site.store.counter_states()[1].state == "closed", 30,
                 "the counter closed after its tab")
    called = site.events("called")
    assert [(e["counter"], e["actor"]) for e in called] == [(1, NAME)]
    closed = site.events("counter_closed")
    assert [json.loads(e["detail"])["reason"] for e in closed] == ["console closed"]
    assert site.store.find("B001").state == "called"  # the patron called is not lost
