""""Do you need more time?": any touch or key goes on; else back to welcome."""

from __future__ import annotations

import math
from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from kiosk.i18n import t
from kiosk.ui.patron.base import KioskScreen, Spoken
from kiosk.ui.patron.widgets import Choice


class MoreTimeScreen(KioskScreen):
    """ "Do you need more time?": any touch or key goes on; else back to welcome."""

    TOOLBAR = ()

    SAY_AGAIN_AT_S = 10
    """The countdown is said when the screen appears and once more at this many seconds."""

    def __init__(self) -> None:
        super().__init__()
        self.said_again = False

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        with Vertical(id="header"):
            yield from self.compose_prompt("common.more_time", "common.more_time_hint")
            yield Static(self._countdown(self.app.settings.patron.more_time_s), id="countdown",
                         classes="prompt", markup=False)
        yield Choice("yes", t(lang, "common.more_time_yes"), icon="✔", id="more-time")

    def _countdown(self, seconds: float) -> str:
        return "⏳  " + t(self.app.lang, "common.more_time_countdown", seconds=math.ceil(seconds))

    def speech(self) -> list[Spoken]:
        lang = self.app.lang
        seconds = self.app.settings.patron.more_time_s
        return [t(lang, "common.more_time"), t(lang, "common.more_time_hint"),
                t(lang, "common.more_time_countdown", seconds=seconds)]

    def tick(self, left: float) -> None:
        # A tick can come between the push and the compose: nothing to update yet then.
        for countdown in self.query("#countdown").results(Static):
            countdown.update(self._countdown(left))
        if left <= self.SAY_AGAIN_AT_S and not self.said_again:
            self.said_again = True
            self.app.say([t(self.app.lang, "common.more_time_countdown",
                            seconds=self.SAY_AGAIN_AT_S)])

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
