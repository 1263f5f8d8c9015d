"""The admin screen in a real headless Chromium through `kiosk web admin` (textual-serve):
typed name and PIN, the views by keys, and an export whose file is checked against
`kiosk report`'s own numbers."""

from __future__ import annotations

import shutil
from pathlib import Path

from kiosk import config as cfg
from kiosk import reports
from kiosk.store import Store

from .browser import wait_for
from .conftest import require_tool, write_config
from .test_admin_support import ADMIN, ADMIN_PIN, TODAY, make_template
from .test_board_web import RecordedScreen

NOW = f"{TODAY}T09:00:00+07:00"


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
        wait_for(lambda: "Admin sign-in" in web.sent_text(), 30, "the sign-in screen")
        web.tap(0, 0)  # the page's terminal takes the keyboard (a corner: nothing there)
        web.page.keyboard.type(ADMIN)
        web.press("Enter")
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
        wait_for(lambda: f"Today {TODAY}" in web.sent_text(), 20, "the Today view")
        web.press("ArrowRight")  # the tabs have the focus: on to Statistics
        wait_for(lambda: "Overall and by class" in web.sent_text(), 20, "the statistics")
        wait_for(lambda: "3,626 tickets" in web.sent_text(), 30, "the 30-day range")
        web.press("e")
        wait_for(lambda: "Export: statistics" in web.sent_text(), 10, "the export dialog")
        web.press("Enter")  # the Export button has the focus
        written = store_path.parent / "exports" / f"kiosk-statistics-2026-10-29_{TODAY}.csv"
        try:
            wait_for(written.exists, 20, f"{written.name} on disk")
        except AssertionError:
            web.screenshot(tmp_path / "failed.png")
            raise
    with Store(settings) as store:
        rep = reports.report(store, settings, date_from="2026-10-29", date_to=TODAY)
    assert written.read_text("utf-8") == reports.to_csv(rep)
