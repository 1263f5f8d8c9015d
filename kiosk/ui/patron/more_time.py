""""Do you need more time?": any touch or key goes on; else back to welcome."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical

from kiosk.i18n import t
from kiosk.ui.patron.base import KioskScreen
from kiosk.ui.patron.widgets import Choice


class MoreTimeScreen(KioskScreen):
    """ "Do you need more time?": any touch or key goes on; else back to welcome."""

    TOOLBAR = ()

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        with Vertical(id="header"):
            yield from self.compose_prompt("common.more_time", "common.more_time_hint")
        yield Choice("yes", t(lang, "common.more_time_yes"), icon="✔", id="more-time")

    def speech(self) -> list[str]:
        lang = self.app.lang
        return [t(lang, "common.more_time"), t(lang, "common.more_time_hint")]

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        if self.app.accept_input():
            self.app.voice.stop()
            self.app.pop_screen()

    def on_click(self, event: events.Click) -> None:
        if self.app.accept_input():
            self.app.voice.stop()
            self.app.pop_screen()

    def on_choice_chosen(self, message: Choice.Chosen) -> None:
        message.stop()

    def deadline(self) -> tuple[float, Callable[[], None]] | None:
        return float(self.app.settings.patron.more_time_s), self.app.new_patron
