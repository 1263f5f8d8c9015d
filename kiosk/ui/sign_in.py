"""The one sign-in form of the staff console and the admin screen: a name, a PIN, a button,
a message line.

Enter on the name moves to the PIN; Enter on the PIN (or the button) signs in. The check
itself runs as a worker of the app, not of this screen (`app.sign_in(screen, name, pin)`):
signing in replaces the screen, and a screen's own workers are cancelled when it goes. The
store counts failures and keeps the lockout, so a restarted screen does not reset it; the
form only shows `refused(message)` and clears the PIN for the next try. It suggests no
names (a counter PC is in reach of patrons). With `fixed_name` it is a lock: the name is
given and only the PIN is asked (kiosk.ui.idle_lock); `notice` says why it is shown.

Each app subclasses it with its own words (`SignInWords`), from the catalogues: the
console's bilingual, the admin's in the language it shows (kiosk.ui.admin.words). The
patron kiosk's staff exit is not this form: a kiosk has no keyboard, so it is a pad of touch
targets (kiosk/ui/patron/staff_exit.py).
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Static

MAX_PIN = 12


@dataclass(frozen=True)
class SignInWords:
    title: str
    hint: str
    name: str
    """The name field's placeholder."""
    pin: str
    button: str
    needs_name: str | None = None
    """Said when the PIN is submitted without a name (None: the name field takes the focus
    silently)."""
    primary: bool = False
    """The button in the primary variant (the console's touch-sized one)."""


class SignsIn(Protocol):
    def sign_in(self, screen: SignInForm, name: str, pin: str) -> Awaitable[None]: ...


class SignInForm(Screen[None]):
    """Name and PIN; subclasses say the words (`words()`)."""

    def __init__(self, *, notice: str | None = None, fixed_name: str | None = None) -> None:
        super().__init__()
        self.notice = notice
        """Said on the message line when the form comes up (why it is asked again)."""
        self.fixed_name = fixed_name
        """The name is given and cannot be changed (a locked screen asks only the PIN)."""

    def words(self) -> SignInWords:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        words = self.words()
        with Vertical(id="sign-in"):
            yield Static(words.title, id="sign-in-title", markup=False)
            yield Static(words.hint, id="sign-in-hint", markup=False)
            yield Input(self.fixed_name or "", placeholder=words.name, id="name",
                        disabled=self.fixed_name is not None)
            yield Input(placeholder=words.pin, id="pin", password=True, restrict=r"[0-9]*",
                        max_length=MAX_PIN)
            yield Button(words.button, id="sign-in-button",
                         variant="primary" if words.primary else "default")
            yield Static(f"⚠ {self.notice}" if self.notice else "", id="sign-in-message",
                         markup=False)

    def on_mount(self) -> None:
        self.query_one("#pin" if self.fixed_name else "#name", Input).focus()

    @on(Input.Submitted, "#name")
    def _name_done(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    @on(Button.Pressed, "#sign-in-button")
    def _submit(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        pin = self.query_one("#pin", Input).value
        if not name:
            needs_name = self.words().needs_name
            if needs_name:
                self.refused(needs_name)
            self.query_one("#name", Input).focus()
            return
        app: SignsIn = self.app  # type: ignore[assignment]
        self.app.run_worker(app.sign_in(self, name, pin), group="sign-in", exclusive=True)

    def refused(self, message: str) -> None:
        """Say why, clear the PIN, and let the person try again."""
        self.query_one("#sign-in-message", Static).update(f"⚠ {message}")
        pin = self.query_one("#pin", Input)
        pin.value = ""
        pin.focus()
