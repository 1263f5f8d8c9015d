"""The admin screen in a real headless Chromium through `kiosk web admin` (kiosk serve):
typed name and PIN, the views by keys (in the site's first language), and an export
(downloaded by the browser) whose file is checked against `kiosk report`'s own numbers."""

from __future__ import annotations

import asyncio
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kiosk import config as cfg
from kiosk import reports
from kiosk.clock import ManualClock
from kiosk.store import Store
from kiosk.ui.admin import AdminApp

from .admin_support import ADMIN, ADMIN_PIN, TODAY, day, make_template, say
from .browser import wait_for
from .conftest import local, require_tool, write_config
from .test_board_web import RecordedScreen

NOW = f"{TODAY}T09:00:00+07:00"


def layout(settings: cfg.Settings, size: tuple[int, int],
           selectors: list[str]) -> dict[str, tuple[int, int]]:
    """The centre cell of each sign-in field at this terminal size (the same app, headless,
    on a thread of its own: Playwright's sync API keeps an event loop on this one)."""
    centres: dict[str, tuple[int, int]] = {}

    async def main() -> None:
        app = AdminApp(settings, clock=ManualClock(local(9, 0)))
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            for selector in selectors:
                centres[selector] = tuple(app.screen.query_one(selector).region.center)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, main()).result()
    return centres


def test_sign_in_browse_and_export_in_headless_chromium(tmp_path: Path):
    require_tool("chromium")
    template = make_template(tmp_path / "template")
    config = write_config(tmp_path)
    settings = cfg.load(config)
    store_path = Path(settings.store.path)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, store_path)
    env = {"KIOSK_NOW": NOW, "CI": ""}

    with RecordedScreen("admin", env=env, global_args=["--config", str(config)],
                        cwd=tmp_path) as web:
        wait_for(lambda: say("sign_in_title") in web.sent_text(), 30, "the sign-in screen")
        spots = layout(settings, (web.cols, web.rows), ["#name", "#pin"])
        web.tap(*spots["#name"])
        web.page.keyboard.type(ADMIN)
        web.tap(*spots["#pin"])
        web.page.keyboard.type(ADMIN_PIN)
        web.press("Enter")
        with Store(settings) as store:
            try:
                wait_for(lambda: store.conn.execute(
                    "SELECT 1 FROM events WHERE kind = 'signed_in' AND actor = ?",
                    (ADMIN,)).fetchone(), 20, "the admin's sign-in in the event log")
            except AssertionError:
                web.screenshot(tmp_path / "failed.png")
                raise
        wait_for(lambda: say("today", day=day(TODAY), time="09:00") in web.sent_text(), 20,
                 "the Today view")
        web.press("ArrowRight")  # the tabs have the focus: on to Statistics
        wait_for(lambda: say("overall_class") in web.sent_text(), 20, "the statistics")
        wait_for(lambda: "4,005 tiket" in web.sent_text(), 30, "the 30-day range")
        # Served, an export is downloaded by the browser (issue 19), never written to a
        # folder on the server.
        downloads: list = []
        assert web._browser is not None
        def keep(download: object) -> None:
            downloads.append(download)

        web._browser.on("page", lambda page: page.on("download", keep))
        web.page.on("download", keep)
        web.press("e")
        title = say("export_title", view=say("view_statistics"), what="")
        wait_for(lambda: title in web.sent_text(), 10, "the export dialog")
        web.press("Enter")  # the Export button has the focus
        try:
            wait_for(lambda: web.sent_text() and downloads, 20, "the download")
        except AssertionError:
            web.screenshot(tmp_path / "failed.png")
            raise
        [download] = downloads
        assert download.suggested_filename == f"kiosk-statistics-2026-10-29_{TODAY}.csv"
        text = Path(download.path()).read_text("utf-8")
    assert not (store_path.parent / "exports").exists()
    with Store(settings) as store:
        rep = reports.report(store, settings, date_from="2026-10-29", date_to=TODAY)
    assert text == reports.to_csv(rep)
