"""The Textual screens on `kiosk serve`'s one port (issue 19): plain pages for what cannot be
served, the staff networks, a foreign Origin refused, the caps; and in a real headless
Chromium, a board that heals itself: the server stopped and started again, and the app
process behind the page killed, each time the same page shows the board again with no
click, and a call made afterwards by the command line reaches it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .browser import CHROMIUM, CHROMIUM_FLAGS, wait_for
from .conftest import require_tool
from .serve_support import Served
from .test_patron_fit import GEOMETRIES


@pytest.fixture
def site(tmp_path) -> Iterator[Served]:
    served = Served(tmp_path, replace={"max_boards = 4": "max_boards = 1"})
    served.kiosk("counter", "open", "--counter", "1")
    served.start()
    yield served
    served.stop()


def test_what_cannot_be_served_is_a_plain_page_in_the_sites_languages(site: Served):
    page = httpx.get(site.url + "/screen/staff?counter=9")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Tidak ada loket 9 di sini." in page.text and "There is no counter 9 here." in page.text
    assert "1, 2, 3, 4" in page.text  # what is configured
    assert "<script" not in page.text
    unknown = httpx.get(site.url + "/screen/patron?kiosk=hall")
    assert unknown.status_code == 404 and "There is no kiosk" in unknown.text
    assert httpx.get(site.url + "/screen/cinema").status_code == 404
    served = httpx.get(site.url + "/screen/staff?counter=1&fontsize=24")
    assert served.status_code == 200 and 'data-font-size="24"' in served.text
    csp = served.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert "googleapis" not in served.text and "https://" not in served.text


def test_staff_screens_answer_only_from_the_staff_networks(tmp_path):
    served = Served(tmp_path, replace={
        'staff_networks = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12",'
        ' "192.168.0.0/16", "fc00::/7"]': 'staff_networks = ["10.0.0.0/8"]'})
    served.start()
    try:
        for screen in ("admin", "staff?counter=1", "patron"):
            page = httpx.get(f"{served.url}/screen/{screen}")
            assert page.status_code == 403, screen
            assert "hanya dapat dibuka dari jaringan kantor" in page.text
        assert httpx.get(served.url + "/screen/board").status_code == 200  # the board is public
        assert httpx.get(served.url + "/metrics").status_code == 403
    finally:
        served.stop()


def socket_url(site: Served, screen: str = "board", target: str = "-") -> str:
    return f"ws://127.0.0.1:{site.port}/screen/{screen}/ws/{target}?width=100&height=30"


def test_a_foreign_origin_is_refused_and_a_screen_beyond_its_cap_gets_no_process(site: Served):
    import websockets

    async def main() -> None:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(socket_url(site), origin="http://evil.example"):
                pass
        assert refused.value.response.status_code == 403
        origin = f"http://127.0.0.1:{site.port}"
        async with websockets.connect(socket_url(site), origin=origin) as first:
            assert await asyncio.wait_for(first.recv(), 20)  # the board's first bytes
            # max_boards = 1: a second is refused before any app process starts
            with pytest.raises(websockets.InvalidStatus) as capped:
                async with websockets.connect(socket_url(site), origin=origin):
                    pass
            assert capped.value.response.status_code == 403
            assert len(app_processes(site, "board")) == 1
            busy = await asyncio.to_thread(httpx.get, site.url + "/screen/board")
            assert busy.status_code == 503 and 'http-equiv="refresh"' in busy.text

    asyncio.run(main())


class Browser:
    """Headless Chromium on a served page, keeping the text the server sends its terminal."""

    def __init__(self, url: str, viewport: tuple[int, int] = (1400, 900)) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(executable_path=CHROMIUM,
                                                        args=CHROMIUM_FLAGS)
        self.page = self.browser.new_page(viewport={"width": viewport[0],
                                                    "height": viewport[1]})
        self.received = bytearray()
        self.sockets = 0
        self.size: tuple[int, int] | None = None
        """The terminal's columns and rows, as the page told the server."""
        self.page.on("websocket", self._socket)
        self.page.goto(url)

    def _socket(self, socket_: Any) -> None:
        from urllib.parse import parse_qs, urlparse

        self.sockets += 1
        query = parse_qs(urlparse(socket_.url).query)
        if "width" in query:
            self.size = int(query["width"][0]), int(query["height"][0])
        socket_.on("framereceived", lambda payload: self.received.extend(
            payload if isinstance(payload, bytes) else payload.encode()))

    def text(self) -> str:
        self.page.wait_for_timeout(20)  # Playwright hands over socket events in its calls
        return self.received.decode("utf-8", "replace")

    def reconnecting(self) -> bool:
        return self.page.locator("#reconnecting").is_visible()

    def close(self) -> None:
        self.browser.close()
        self._playwright.stop()


def app_processes(site: Served, screen: str) -> list[int]:
    """The app processes of `screen` (not the shell AppService starts them through)."""
    pattern = f"^{sys.executable} -m kiosk --config {site.config}.* {screen}"
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def test_a_served_board_heals_itself_in_chromium(site: Served):
    require_tool("chromium")
    web = Browser(site.url + "/screen/board?fontsize=20")
    try:
        wait_for(lambda: "Belum ada panggilan" in web.text(), 30, "the empty board")
        assert not web.reconnecting()
        # 1. The server stops (an upgrade, a reboot) and comes back on the same port.
        site.stop()
        wait_for(web.reconnecting, 10, '"Menyambung kembali… / Reconnecting…"')
        assert "Menyambung kembali" in web.page.locator("#reconnecting").inner_text()
        web.received.clear()
        time.sleep(2)
        started = time.monotonic()
        site.start()
        wait_for(lambda: "Belum ada panggilan" in web.text(), 15, "the board again, no click")
        back = time.monotonic() - started
        assert not web.reconnecting() and back < 15
        # 2. The app process behind the page dies: the page must not go on showing it.
        pids = wait_for(lambda: app_processes(site, "board"), 10, "the board's process")
        web.received.clear()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        wait_for(lambda: "Belum ada panggilan" in web.text(), 15, "a fresh board")
        site.kiosk("issue", "A", "--no-print")
        site.kiosk("call", "--counter", "1")
        wait_for(lambda: "A001" in web.text(), 10, "the call made afterwards")
    finally:
        web.close()


def test_a_counter_screen_opens_on_its_counter_and_after_a_restart_asks_the_sign_in_again(
        site: Served):
    require_tool("chromium")
    web = Browser(site.url + "/screen/staff?counter=2")
    try:
        wait_for(lambda: "Loket 2" in web.text() and "PIN" in web.text(), 30,
                 "counter 2's sign-in")
        site.stop()
        wait_for(web.reconnecting, 10, "the reconnecting notice")
        web.received.clear()
        site.start()
        wait_for(lambda: "Loket 2" in web.text() and "PIN" in web.text(), 15,
                 "counter 2's sign-in again")
        assert "counter=2" in web.page.url
    finally:
        web.close()


def test_the_api_documentation_renders_from_local_assets_only(site: Served):
    require_tool("chromium")
    web = Browser(site.url + "/docs")
    outside: list[str] = []
    try:
        web.page.on("request", lambda r: None if r.url.startswith(site.url)
                    else outside.append(r.url))
        web.page.reload()
        web.page.wait_for_selector(".opblock", timeout=20000)
        text = web.page.inner_text("body")
        assert "/api/v1/tickets" in text and "/api/v1/events" in text
        assert outside == []
    finally:
        web.close()


ACCENT = (0xFF, 0xE1, 0x4D)
"""The ticket number's colour in the default theme (kiosk/ui/themes.py kiosk-accent)."""


def number_share(png: bytes, height: int) -> float:
    """The ticket number's height as a share of the screen, measured on a screenshot: the
    span of pixel rows in which the accent colour covers at least 4 % of the width (the
    block letters; the plain label and the key digits in the same colour cover far less)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    width = image.width
    pixels = image.load()
    inked = [y for y in range(image.height)
             if sum(1 for x in range(0, width, 2)
                    if all(abs(a - b) < 40 for a, b in zip(pixels[x, y], ACCENT, strict=True)))
             >= 0.04 * width / 2]
    return (inked[-1] - inked[0] + 1) / height if inked else 0.0


@pytest.mark.parametrize("display", list(GEOMETRIES))
def test_a_served_patron_screen_fits_the_display_takes_keys_at_once_and_shows_a_big_number(
        site: Served, display: str):
    """Issue 20: the cell size comes from the viewport (about 110 columns on a landscape
    display, 67 on a portrait one, as tests/test_patron_fit.py lays them out; `?fontsize=`
    still overrides); the keypad works from the first moment, with no click: two keys make a
    ticket; the number's block letters are at least a third of the screen's height, measured
    on the screenshot. KIOSK_SCREENSHOTS=DIR keeps the screenshots (the README's come from
    there)."""
    require_tool("chromium")
    width, height = (int(n) for n in display.split("x"))
    cols, rows, font_px = GEOMETRIES[display]
    web = Browser(site.url + "/screen/patron?kiosk=lobby", viewport=(width, height))
    keep = os.environ.get("KIOSK_SCREENSHOTS")
    try:
        wait_for(lambda: "Selamat datang" in web.text() and web.size is not None, 30,
                 "the welcome screen")
        assert web.size == (cols, rows)
        assert web.page.evaluate("document.getElementById('terminal').dataset.fontSize") == str(
            font_px)
        web.page.wait_for_timeout(800)  # past the input guard
        if keep:
            web.page.screenshot(path=f"{keep}/welcome-{display}.png")
        web.page.keyboard.press("1")
        web.page.wait_for_timeout(1200)  # past the repeat guard: the same key again
        web.page.keyboard.press("1")
        wait_for(lambda: "A001" in web.text(), 15, "the ticket, from keys alone")
        web.page.wait_for_timeout(500)  # the frame is drawn
        png = web.page.screenshot()
        if keep:
            Path(keep, f"ticket-{display}.png").write_bytes(png)
        share = number_share(png, height)
        print(f"{display}: {cols}x{rows} cells, {font_px} px type, number {share:.0%} of the"
              " screen's height")
        assert share >= 1 / 3, share
    finally:
        web.close()
    if display != "1920x1080":
        return
    fixed = Browser(site.url + "/screen/patron?kiosk=lobby&fontsize=16", viewport=(1920, 1080))
    try:
        wait_for(lambda: fixed.text() and fixed.size is not None, 30, "the terminal size")
        assert fixed.size is not None and fixed.size[0] > 180  # 16 px on 1920: ?fontsize wins
    finally:
        fixed.close()
