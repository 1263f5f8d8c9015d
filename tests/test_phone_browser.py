"""The phone page in a real headless Chromium at 360x640 (a small old Android phone's
screen), on a real `kiosk serve`, with calls made by `kiosk` in other processes: it follows
waiting -> called -> finished live, "I'm leaving" cancels, it works without script, every
text meets AAA contrast, and nothing comes from outside."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.i18n import t

from .browser import CHROMIUM, CHROMIUM_FLAGS
from .conftest import REPO, require_tool
from .serve_support import Served
from .test_phone import open_lobby

PHONE = {"width": 360, "height": 640}
SHOTS = os.environ.get("KIOSK_SCREENSHOTS")
"""A folder: keep the screenshots there (the README's come from here)."""

TEXT_PAIRS = """() => {
  const pairs = [];
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const bg = getComputedStyle(node).backgroundColor;
      if (bg && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null) continue;
    const style = getComputedStyle(el);
    pairs.push([style.color, background(el), el.textContent.trim().slice(0, 30),
                parseFloat(style.fontSize)]);
  }
  return pairs;
}"""


def luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(fg: str, bg: str) -> float:
    high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


class Phone:
    """Chromium at a phone's size; every request not to the loopback server is aborted."""

    def __init__(self, *, javascript: bool = True) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(executable_path=CHROMIUM,
                                                        args=CHROMIUM_FLAGS)
        self.context = self.browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
            java_script_enabled=javascript)
        self.outside: list[str] = []
        self.context.route("**/*", self._only_loopback)
        self.page = self.context.new_page()

    def _only_loopback(self, route: Any) -> None:
        url = route.request.url
        if url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def close(self) -> None:
        self.browser.close()
        self._playwright.stop()


@pytest.fixture
def lobby(tmp_path: Path) -> Iterator[Served]:
    require_tool("chromium")
    with open_lobby(tmp_path) as site:
        yield site


@pytest.fixture
def phone() -> Iterator[Phone]:
    browser = Phone()
    yield browser
    browser.close()


def issue(site: Served, *args: str) -> dict[str, Any]:
    return json.loads(site.kiosk("issue", *args, "--no-print", "--json").stdout)


def headline(phone: Phone) -> str:
    return phone.page.locator("#ticket .headline").inner_text()


def wait_until(phone: Phone, predicate: Any, timeout: float, what: str) -> float:
    """Poll the page until `predicate()`; the seconds it took."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout} s ({headline(phone)!r})")
        phone.page.wait_for_timeout(20)
    return time.monotonic() - started


def shot(phone: Phone, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        phone.page.evaluate("window.scrollTo(0, 0)")
        phone.page.screenshot(path=str(Path(SHOTS) / name))


def test_the_page_follows_its_ticket_from_waiting_to_called_to_finished(lobby: Served,
                                                                        phone: Phone):
    issue(lobby, "A", "--lang", "en")
    mine = issue(lobby, "A", "--lang", "en")
    phone.page.goto(f"{lobby.url}/t/{mine['token']}")
    assert headline(phone) == t("en", "phone.waiting")
    assert "1 person ahead of you" in phone.page.inner_text("#ticket")
    phone.page.locator("#sound").tap()  # the one tap browsers ask before a sound
    assert phone.page.locator("#sound").inner_text() == t("en", "phone.sound_on")
    shot(phone, "phone-waiting-360x640.png")
    lobby.kiosk("call", "--counter", "1")  # A001: one fewer ahead, live
    wait_until(phone, lambda: "Nobody is ahead of you" in phone.page.inner_text("#ticket"),
               5, "people ahead updated")
    phone.page.evaluate("window.__vibrations = []; navigator.vibrate = "
                        "(p) => { window.__vibrations.push(p); return true; }; 0")
    lobby.kiosk("call", "--counter", "1")
    called_by_then = time.monotonic()
    took = wait_until(phone, lambda: headline(phone) == t("en", "phone.called",
                                                           counter="Counter 1"),
                      5, "the call shown")
    late = time.monotonic() - called_by_then
    assert late < 1.0, f"the call reached the phone {late:.2f} s after kiosk call returned"
    assert "called" in phone.page.evaluate("document.body.className")
    assert phone.page.evaluate("window.__vibrations") == [[400, 200, 400, 200, 400]]
    wait_until(phone, lambda: "\u25b6" in phone.page.title()
               or phone.page.title() == t("en", "phone.called_title", label="A002"),
               3, "the title")
    shot(phone, "phone-called-360x640.png")
    lobby.kiosk("start", "--counter", "1")
    lobby.kiosk("finish", "--counter", "1")
    wait_until(phone, lambda: headline(phone) == t("en", "phone.done"), 5, "finished shown")
    assert phone.outside == []
    print(f"the call on the phone {late:.2f} s after kiosk call returned (polled {took:.2f} s)")


def test_im_leaving_with_a_confirm_cancels_and_the_next_call_skips_it(lobby: Served,
                                                                      phone: Phone):
    mine = issue(lobby, "A", "--lang", "id")
    issue(lobby, "A", "--lang", "id")
    phone.page.goto(f"{lobby.url}/t/{mine['token']}")
    phone.page.get_by_text(t("id", "phone.leave"), exact=True).tap()
    assert t("id", "phone.leave_question", label="A001") in phone.page.inner_text("main")
    phone.page.get_by_text(t("id", "phone.leave_yes")).tap()
    phone.page.wait_for_url(re.compile(r"/t/[^/]+\?lang=id$"))
    assert headline(phone) == t("id", "phone.cancelled")
    called = lobby.kiosk("call", "--counter", "1")
    assert "A002" in called.stdout  # the cancelled A001 is skipped


def test_the_language_switch_and_the_page_at_a_phones_width(lobby: Served, phone: Phone):
    mine = issue(lobby, "B", "--lang", "id")
    phone.page.goto(f"{lobby.url}/t/{mine['token']}")
    assert phone.page.evaluate("document.documentElement.lang") == "id"
    with phone.page.expect_navigation():
        phone.page.get_by_text("English", exact=True).tap()
    assert phone.page.evaluate("document.documentElement.lang") == "en"
    assert headline(phone) == t("en", "phone.waiting")
    # nothing runs off a 360 px screen; the label is the largest text
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    sizes = {text: size for _fg, _bg, text, size in phone.page.evaluate(TEXT_PAIRS)}
    assert max(sizes, key=lambda text: sizes[text]) == "B001"
    assert min(sizes.values()) >= 16  # no text under 16 CSS px (accessibility.md)


@pytest.mark.parametrize("state", ["waiting", "called"])
def test_every_text_on_the_page_meets_aaa_contrast(lobby: Served, phone: Phone, state: str):
    mine = issue(lobby, "A", "--lang", "en")
    if state == "called":
        lobby.kiosk("call", "--counter", "1")
    phone.page.goto(f"{lobby.url}/t/{mine['token']}")
    pairs = phone.page.evaluate(TEXT_PAIRS)
    assert len(pairs) >= 5
    for fg, bg, text, _size in pairs:
        assert contrast(fg, bg) >= 7.0, f"{text!r}: {fg} on {bg} is {contrast(fg, bg):.1f}:1"


def test_without_script_the_page_reloads_itself(lobby: Served):
    mine = issue(lobby, "A", "--lang", "en")
    still = Phone(javascript=False)
    try:
        still.page.goto(f"{lobby.url}/t/{mine['token']}")
        assert headline(still) == t("en", "phone.waiting")
        assert still.page.locator(".sound").is_hidden()  # no sound button without script
        lobby.kiosk("call", "--counter", "1")
        wait_until(still, lambda: headline(still) == t("en", "phone.called",
                                                        counter="Counter 1"),
                   20, "the reload showing the call")
    finally:
        still.close()


def test_the_page_comes_back_after_the_server_restarts(lobby: Served, phone: Phone):
    mine = issue(lobby, "A", "--lang", "en")
    phone.page.goto(f"{lobby.url}/t/{mine['token']}")
    lobby.stop()
    wait_until(phone, lambda: phone.page.locator(".offline").count() == 1, 10,
               "the page saying it lost the connection")
    lobby.kiosk("call", "--counter", "1")  # while the server is down
    lobby.start()
    wait_until(phone, lambda: headline(phone) == t("en", "phone.called", counter="Counter 1"),
               40, "the call after the restart")
    assert phone.page.locator(".offline").count() == 0


def test_the_readme_screenshots_exist():
    for name in ("phone-waiting-360x640.png", "phone-called-360x640.png"):
        assert (REPO / "docs" / "img" / name).stat().st_size > 5_000
