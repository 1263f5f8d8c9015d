"""Staff and admin screens lock themselves when left alone: after `[web] idle_lock_min`
without a key or a touch, the screen asks the signed-in person's PIN again (a counter PC in
a lobby is in reach of patrons). Locking changes nothing in the store: the counter stays
open, its console keeps saying it is there; only the screen waits for the PIN.

`IdleLock` is mixed into the staff and admin apps: it notes every key and mouse press
(`App.on_event` sees them before any screen does) and checks once a second.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events

from kiosk.ui.sign_in import SignInForm

INPUT_EVENTS = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)
CHECK_S = 1.0


class LockScreen(SignInForm):
    """The sign-in form with the name given: only the PIN brings the screen back."""


class IdleLock:
    """Mixed into an App that has `monotonic`, `idle_lock_s` and a `lock_screen()`."""

    monotonic: Callable[[], float]
    idle_lock_s: float
    """0: never lock."""

    def start_idle_lock(self) -> None:
        self._last_input = self.monotonic()
        if self.idle_lock_s > 0:
            self.set_interval(CHECK_S, self.check_idle_lock)  # type: ignore[attr-defined]

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, INPUT_EVENTS):
            self._last_input = self.monotonic()
        await super().on_event(event)  # type: ignore[misc]

    @property
    def screen_locked(self) -> bool:
        return any(isinstance(s, LockScreen) for s in self.screen_stack)  # type: ignore[attr-defined]

    def check_idle_lock(self) -> None:
        """Lock when nobody has used the screen for idle_lock_s (and someone is signed in)."""
        if self.idle_lock_s <= 0 or self.screen_locked:
            return
        if self.monotonic() - getattr(self, "_last_input", self.monotonic()) < self.idle_lock_s:
            return
        screen = self.lock_screen()
        if screen is not None:
            self.push_screen(screen)  # type: ignore[attr-defined]

    def lock_screen(self) -> LockScreen | None:
        """The lock for whoever is signed in now, or None (nobody is: nothing to lock)."""
        raise NotImplementedError

    def unlocked(self, screen: Any) -> None:
        """The PIN was right: back to what was on screen, the idle time starting again."""
        self._last_input = self.monotonic()
        self.pop_screen()  # type: ignore[attr-defined]
