"""Staff only: a touch PIN pad that stops the kiosk app (a patron can never leave it).

Not the staff console's and admin's sign-in form (kiosk/ui/sign_in.py): a kiosk has no
keyboard, so staff choose their name among buttons and type the PIN on a pad of touch
targets, and the right PIN ends the app instead of opening a screen."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Static

from kiosk.i18n import t
from kiosk.ui.patron.base import KioskScreen
from kiosk.ui.patron.widgets import Banner, Choice


class StaffScreen(KioskScreen):
    """Staff only: choose a name, type the PIN; the right PIN closes the kiosk app."""

    TOOLBAR = ("back",)
    DIGITS_ONLY = True
    MAX_NAMES = 8

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.persons = names[: self.MAX_NAMES]
        self.person: str | None = None
        self.pin = ""

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        with Vertical(id="header"):
            yield from self.compose_prompt("kiosk.staff_title", "kiosk.staff_choose",
                                           prompt_id="staff-title", hint_id="staff-step")
            yield Banner(id="staff-error", classes="alert")
        with Grid(id="choices", classes="choices"):
            for n, name in enumerate(self.persons, start=1):
                yield Choice(name, name, number=str(n), id=f"staff-{n}", classes="staff")
        with Grid(id="pinpad"):
            for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0", "ok"):
                label = {"back": "⌫", "ok": t(lang, "kiosk.staff_ok")}.get(key, key)
                yield Choice(f"pin:{key}", label, id=f"pin-{key}", classes="pin")
        yield from self.compose_toolbar()

    def on_mount(self) -> None:
        self.query_one("#pinpad").display = False

    def _show_step(self) -> None:
        lang = self.app.lang
        picking = self.person is None
        self.query_one("#choices").display = picking
        self.query_one("#pinpad").display = not picking
        step = t(lang, "kiosk.staff_choose") if picking else (
            f"{self.person}: {t(lang, 'kiosk.staff_pin')}  " + "●" * len(self.pin))
        self.query_one("#staff-step", Static).update(step)

    def key_digit(self, digit: int) -> None:
        if self.person is None:
            if 1 <= digit <= len(self.persons):
                self.choose(self.persons[digit - 1])
        else:
            self.choose(f"pin:{digit}")

    def key_enter(self) -> None:
        if self.person is not None:
            self.choose("pin:ok")

    def key_back(self) -> None:
        if self.person is None:
            self.app.pop_screen()
        elif self.pin:
            self.choose("pin:back")
        else:
            self.person = None
            self._show_step()

    def choose(self, value: str) -> None:
        if value in self.persons and self.person is None:
            self.person = value
            self.pin = ""
        elif value.startswith("pin:"):
            key = value[4:]
            if key == "back":
                self.pin = self.pin[:-1]
            elif key == "ok":
                if self.person and self.pin:
                    self.app.staff_exit(self, self.person, self.pin)
                    self.pin = ""
            elif len(self.pin) < 12:
                self.pin += key
        else:
            super().choose(value)
            return
        self.query_one("#staff-error", Banner).show("", "")
        self._show_step()

    def refused(self) -> None:
        self.query_one("#staff-error", Banner).show("⚠", t(self.app.lang, "kiosk.staff_wrong"))
        self._show_step()

    def deadline(self) -> tuple[float, Callable[[], None]] | None:
        return float(self.app.settings.patron.more_time_s), self.app.new_patron
