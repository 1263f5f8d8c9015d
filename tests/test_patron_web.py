"""End to end in a real browser: `kiosk web patron` (kiosk serve), Debian's
headless Chromium tapping computed cell coordinates, a ticket found in the store file."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.store import Store
from kiosk.ui.patron import PatronApp, SilentVoice

from .browser import WebScreen, wait_for
from .conftest import local, require_tool, write_config

NOW = "2026-11-27T09:00:00+07:00"
GUARD_S = 0.8  # more than the kiosk's 0.4 s input guard, with room for a slow machine


def regions(settings: cfg.Settings, db: Path, size: tuple[int, int],
            first: str, then: list[str]) -> dict[str, tuple[int, int, int, int]]:
    """(x, y, width, height) of `first` on the welcome screen and of `then` on the screen
    after choosing it, at this terminal size (the same app, headless)."""
    found: dict[str, tuple[int, int, int, int]] = {}

    async def main() -> None:
        with Store(settings, clock=ManualClock(local(9, 0)), path=db) as store:
            app = PatronApp(settings, store=store, printer=None, voice=SilentVoice(),
                            poll_s=3600)
            async with app.run_test(size=size) as pilot:
                await pilot.pause()
                found[first] = tuple(app.screen.query_one(first).region)  # type: ignore
                await pilot.pause(GUARD_S)
                await pilot.click(first)
                await pilot.pause()
                await app.workers.wait_for_complete()
                for selector in then:
                    found[selector] = tuple(app.screen.query_one(selector).region)  # type: ignore

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, main()).result()
    return found


def layout(settings: cfg.Settings, db: Path, size: tuple[int, int],
           selectors: list[str]) -> dict[str, tuple[int, int]]:
    """Where each target's centre cell is at this terminal size (the same app, headless)."""
    found = regions(settings, db, size, selectors[0], selectors[1:])
    return {selector: (x + w // 2, y + h // 2) for selector, (x, y, w, h) in found.items()}


def test_a_ticket_by_touch_in_headless_chromium(tmp_path: Path):
    require_tool("chromium")
    config = write_config(tmp_path, replace={'output = "speaker"': 'output = "none"'})
    settings = cfg.load(config)
    env = {"KIOSK_NOW": NOW, "KIOSK_CONFIG": str(config), "CI": ""}

    with WebScreen("patron", env=env, args=["--kiosk", "lobby"], cwd=tmp_path) as web:
        assert web.cols >= 100 and web.rows >= 30, (web.cols, web.rows)
        cell_w, cell_h = web.cell_size()
        assert 4 < cell_w < 30 and 8 < cell_h < 60
        spots = layout(settings, tmp_path / "layout.db", (web.cols, web.rows),
                       ["#service-2", "#need-no"])
        time.sleep(2 * GUARD_S)  # the welcome screen is up and its guard has passed
        web.tap(*spots["#service-2"])
        time.sleep(GUARD_S)
        web.tap(*spots["#need-no"])

        with Store(settings) as store:
            def issued() -> list[dict]:
                return list(store.db.query("SELECT * FROM tickets"))

            try:
                rows = wait_for(issued, 20, "the ticket in the store")
            except AssertionError:
                web.screenshot(tmp_path / "failed.png")
                raise
    [row] = rows
    assert (row["label"], row["service"], row["need"], row["kiosk"], row["lang"]) == (
        "B001", "B", None, "lobby", "id")
    assert row["day"] == "2026-11-27"


def test_a_touch_on_the_corner_of_a_choices_frame_chooses_it(tmp_path: Path):
    """Issue 20: a tap anywhere on a choice's frame chooses it, not only on its words;
    with touch events (a touchscreen), in headless Chromium."""
    require_tool("chromium")
    config = write_config(tmp_path, replace={'output = "speaker"': 'output = "none"'})
    settings = cfg.load(config)
    env = {"KIOSK_NOW": NOW, "KIOSK_CONFIG": str(config), "CI": ""}

    with WebScreen("patron", env=env, args=["--kiosk", "lobby"], cwd=tmp_path,
                   touch=True) as web:
        spots = regions(settings, tmp_path / "layout.db", (web.cols, web.rows),
                        "#service-3", ["#need-no"])
        time.sleep(2 * GUARD_S)
        x, y, _w, _h = spots["#service-3"]
        web.tap(x, y)  # the frame's top-left corner
        time.sleep(GUARD_S)
        x, y, w, h = spots["#need-no"]
        web.tap(x + w - 1, y + h - 1)  # the frame's bottom-right corner
        with Store(settings) as store:
            rows = wait_for(lambda: list(store.db.query("SELECT * FROM tickets")), 20,
                            "the ticket in the store")
    assert [(r["label"], r["need"]) for r in rows] == [("C001", None)]


def test_a_check_in_by_keys_alone_in_headless_chromium(tmp_path: Path):
    """Issue 26: a booked patron at a served kiosk, with the keypad only: 6 ("I have an
    appointment"), the six digits, Enter; the appointment's ticket is in the store file."""
    require_tool("chromium")
    config = write_config(tmp_path, replace={'output = "speaker"': 'output = "none"'})
    settings = cfg.load(config)
    now = "2026-11-27T09:10:00+07:00"  # within the grace of the 09:15 slot
    with Store(settings, clock=ManualClock(local(9, 10))) as store:
        booking, _token, code = store.book("A", "2026-11-27", "09:15")
    env = {"KIOSK_NOW": now, "KIOSK_CONFIG": str(config), "CI": ""}

    with WebScreen("patron", env=env, args=["--kiosk", "lobby"], cwd=tmp_path) as web:
        time.sleep(2 * GUARD_S)  # the welcome screen is up and its guard has passed
        web.press("6")
        time.sleep(1.5)  # past the repeat guard: a code may begin with 6 too
        for digit in code:
            web.press(digit)
            time.sleep(0.2)
        web.press("Enter")
        with Store(settings) as store:
            try:
                rows = wait_for(lambda: list(store.db.query("SELECT * FROM tickets")), 20,
                                "the appointment's ticket in the store")
            except AssertionError:
                web.screenshot(tmp_path / "failed.png")
                raise
            checked = store.bookings("2026-11-27")[0]
    [row] = rows
    assert (row["label"], row["kiosk"], row["booking_id"]) == ("A001", "lobby", booking.id)
    assert row["slot_at"] == "2026-11-27T02:15:00.000Z"  # an appointment, by its slot
    assert (checked.state, checked.ticket_id) == ("checked_in", row["id"])
