"""Staff only: a touch PIN pad that stops the kiosk app (a patron can never leave it).

Not the staff console's and admin's sign-in form (kiosk/ui/sign_in.py): a kiosk has no
keyboard, so staff type their PIN on a pad of touch targets, and the right PIN ends the app
instead of opening a screen. No names are listed (the kiosk is in the lobby: a list of
accounts is half of a guess): any staff or admin account's PIN is accepted. Its tries are
counted by the kiosk itself (EXIT_TRIES, then EXIT_LOCK_S of rest), never on an account,
so PINs typed in the lobby cannot lock anyone out of their counter."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Static

from kiosk.i18n import t
from kiosk.ui.patron.base import KioskScreen
from kiosk.ui.patron.widgets import Banner, Choice


class StaffScreen(KioskScreen):
    """Staff only: type a PIN (any staff or admin account); the right one closes the app."""

    TOOLBAR = ("back",)
    DIGITS_ONLY = True

    def __init__(self) -> None:
        super().__init__()
        self.pin = ""

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        with Vertical(id="header"):
            yield from self.compose_prompt("kiosk.staff_title", "kiosk.staff_pin",
                                           prompt_id="staff-title", hint_id="staff-step")
            yield Banner(id="staff-error", classes="alert")
        with Grid(id="pinpad"):
            for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0", "ok"):
                label = {"back": "⌫", "ok": t(lang, "kiosk.staff_ok")}.get(key, key)
                yield Choice(f"pin:{key}", label, id=f"pin-{key}", classes="pin")
        yield from self.compose_toolbar()

    def _show_step(self) -> None:
        step = f"{t(self.app.lang, 'kiosk.staff_pin')}  " + "●" * len(self.pin)
        self.query_one("#staff-step", Static).update(step)

    def key_digit(self, digit: int) -> None:
        self.choose(f"pin:{digit}")

    def key_enter(self) -> None:
        self.choose("pin:ok")

    def key_back(self) -> None:
        if self.pin:
            self.choose("pin:back")
        else:
            self.app.pop_screen()

    def choose(self, value: str) -> None:
        if value.startswith("pin:"):
            key = value[4:]
            if key == "back":
                self.pin = self.pin[:-1]
            elif key == "ok":
                if self.pin:
                    self.app.staff_exit(self, self.pin)
                    self.pin = ""
            elif len(self.pin) < 12:
                self.pin += key
        else:
            super().choose(value)
            return
        self.query_one("#staff-error", Banner).show("", "")
        self._show_step()

    def refused(self, key: str = "kiosk.staff_wrong", **values: object) -> None:
        self.query_one("#staff-error", Banner).show("⚠", t(self.app.lang, key, **values))
        self._show_step()

    def deadline(self) -> tuple[float, Callable[[], None]] | None:
        return float(self.app.settings.patron.more_time_s), self.app.new_patron
