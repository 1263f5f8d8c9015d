"""The admin app: sign-in first (an admin PIN; nothing is read before it), then the admin
screen; the follower for Today, the store thread for the rest."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.widgets import (
    ProgressBar,
)

from kiosk import clock as clk
from kiosk import reports, views
from kiosk.config import Settings
from kiosk.exceptions import KioskError
from kiosk.i18n import other_language, t
from kiosk.rows import Person
from kiosk.store import Store
from kiosk.ui import themes
from kiosk.ui.admin.base import Stopped
from kiosk.ui.admin.screen import AdminScreen
from kiosk.ui.admin.words import bind, say_bindings, set_language, w
from kiosk.ui.idle_lock import IdleLock, LockScreen
from kiosk.ui.sign_in import SignInForm, SignInWords
from kiosk.ui.store_thread import Fresh, StoreThread, follow, fresh_data

log = logging.getLogger("kiosk.admin")
"""To the screen's log file (Textual's `self.log` keeps nothing without devtools)."""

# -- sign-in -------------------------------------------------------------------------------


class LoginScreen(SignInForm):
    """Name and PIN of an admin account; the store counts failures and locks."""

    def words(self) -> SignInWords:
        return SignInWords(w("sign_in_title"), w("sign_in_hint"), w("name"), w("pin"),
                           w("sign_in"), needs_name=w("needs_name"))


class AdminLockScreen(LockScreen):
    """The admin screen locked after `[web] idle_lock_min`: the same admin's PIN only."""

    app: AdminApp

    def words(self) -> SignInWords:
        return SignInWords(
            w("locked_title", minutes=f"{self.app.settings.web.idle_lock_min:g}"),
            w("locked_hint", name=self.fixed_name or ""), w("name"), w("pin"), w("unlock"))


# -- the app -------------------------------------------------------------------------------


class AdminApp(IdleLock, App[None]):
    """`kiosk admin`. `clock` is the store's clock (tests: a ManualClock)."""

    CSS_PATH = "admin.tcss"
    TITLE = "kiosk admin"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[Any]] = [bind("f2", "toggle_theme", "key_theme", show=False)]

    def __init__(
        self,
        settings: Settings,
        *,
        clock: clk.Clock | None = None,
        poll_s: float = 0.25,
        every_s: float = 10.0,
        per_page: int = 100,
        export_dir: Path | None = None,
        warm_months: int = 12,
        monotonic: Callable[[], float] = time.monotonic,
        lang: str | None = None,
        central: str | None = None,
        central_site: str = "all",
    ) -> None:
        super().__init__()
        self.central = central
        """A head office's PostgreSQL URL (`kiosk admin --central URL`): Statistics,
        Charts and Survey then read what the sites shipped there (kiosk.central), for
        `central_site` or all sites merged; Today and Log stay this PC's own store."""
        self.central_site = central_site
        self.lang = lang or settings.default_language
        """The admin's language: the site's first, until `l` switches (words.py)."""
        set_language(self.lang)
        say_bindings(self)
        self.monotonic = monotonic
        self.idle_lock_s = settings.web.idle_lock_min * 60.0
        self.warm_months = warm_months
        """Past months whose report cache is filled in the background after sign-in."""
        self.settings = settings
        self.clock: clk.Clock = clock or clk.SystemClock()
        self.per_page = per_page
        self.export_dir = export_dir or Path(settings.store.path).parent / "exports"
        for theme in themes.THEMES:
            self.register_theme(theme)
        self.theme = themes.BY_SETTING[settings.patron.theme]
        self.store = StoreThread(settings, self.clock, name="kiosk-admin-store")
        self.follower = follow(self, settings, self.clock, views.today, poll_s=poll_s,
                               every_s=every_s, name="kiosk-admin-follower")
        self.admin: str | None = None
        self.today: views.TodayView | None = None
        self.store_error: str | None = None
        """Why the follower cannot read the store now (None: it can)."""
        self.closing = threading.Event()
        """Set when the app closes: long reads on the store thread stop at their next day."""
        self.timings: dict[str, float] = {}
        """Benchmarks: seconds spent on the last range's steps."""

    async def on_mount(self) -> None:
        self.start_idle_lock()
        await self.push_screen(LoginScreen())

    def lock_screen(self) -> AdminLockScreen | None:
        if self.admin is None:
            return None
        return AdminLockScreen(fixed_name=self.admin)

    async def on_unmount(self) -> None:
        self.closing.set()
        self.follower.stop()
        if self.admin is not None:
            try:
                await self.store.run(_log_admin, "signed_out", self.admin)
            except Exception as exc:  # a locked store must not keep the app from closing
                log.error(f"admin: sign-out not logged: {exc}")
        self.store.close()

    async def sign_in(self, screen: SignInForm, name: str, pin: str) -> None:
        locked = isinstance(screen, AdminLockScreen)
        try:
            person = await self.store.run(_verify_admin, name, pin,
                                          "unlocked" if locked else "signed_in")
        except KioskError as exc:
            screen.refused(str(exc))
            return
        if locked:
            self.unlocked(screen)
            return
        self.admin = person.name
        self.follower.start()  # nothing is read for an admin view before the PIN
        await self.switch_screen(AdminScreen(person.name))

    def on_fresh(self, message: Fresh[views.TodayView]) -> None:
        data = fresh_data(self, message, "admin")
        if not self.is_running:
            return
        was, self.store_error = self.store_error, message.error
        if message.error != was:  # said once when it starts and once when it ends
            if message.error is not None:
                self.notify(w("store_trouble", error=message.error), severity="error",
                            timeout=30)
            else:
                self.notify(w("store_back"))
        if data is None:
            return
        self.today = data
        if isinstance(self.screen, AdminScreen):
            self.screen.show_today(data)
        else:
            for screen in self.screen_stack:
                if isinstance(screen, AdminScreen):
                    screen.show_today(data)

    @property
    def next_language(self) -> str:
        """The language `l` switches to: the next of the site's (back to the first)."""
        return other_language(self.settings.site.languages, self.lang)

    def next_language_name(self) -> str:
        """The language `l` switches to, named in itself ("English", "Bahasa Indonesia")."""
        return t(self.next_language, "language.name")

    def switch_language(self) -> None:
        """The admin's words from now on in the next site language (the screen redraws
        itself: AdminScreen.action_switch_language)."""
        self.lang = self.next_language
        set_language(self.lang)
        say_bindings(self)

    def toggle_theme(self) -> None:
        self.theme = (themes.HIGH_CONTRAST if self.theme != themes.HIGH_CONTRAST
                      else themes.CONTRAST)

    def action_toggle_theme(self) -> None:
        self.toggle_theme()

    def progress_callback(self, bar: ProgressBar,
                          wanted: Callable[[], bool] = lambda: True) -> reports.Progress:
        """progress(done, total) from the store thread, shown on the bar (never blocking
        the thread; at most about 20 updates a second). Raises Stopped in the thread once
        `wanted()` is false or the app is closing."""
        loop = asyncio.get_running_loop()
        last = [0.0]

        def update(done: int, total: int) -> None:
            if self.closing.is_set() or not wanted():
                raise Stopped
            now = time.monotonic()
            if done < total and now - last[0] < 0.05:
                return
            last[0] = now
            if not loop.is_closed():
                loop.call_soon_threadsafe(lambda: bar.update(total=total, progress=done))

        return update


def _verify_admin(store: Store, name: str, pin: str, kind: str = "signed_in") -> Person:
    person = store.verify_pin(name, pin, need_role="admin")
    _log_admin(store, kind, person.name)
    return person


def _log_admin(store: Store, kind: str, name: str) -> None:
    """Who opened the admin screen, and when, is in the event log (no counter: reports
    count only counter events as a counter's time)."""
    store.log(kind, actor=name, detail={"screen": "admin"})


def run(settings: Settings, *, clock: clk.Clock | None = None, central: str | None = None,
        central_site: str = "all") -> None:
    """`kiosk admin`: the admin screen in this terminal (or, served, in a browser)."""
    AdminApp(settings, clock=clock, central=central, central_site=central_site).run()
