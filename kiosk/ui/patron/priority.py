""""Do you need priority service?": 1 = no, then each need with its icon and words."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from kiosk.config import Service
from kiosk.i18n import t
from kiosk.ui.patron.base import KioskScreen, Spoken
from kiosk.ui.patron.widgets import Choice, Targets


class PriorityScreen(KioskScreen):
    """"Do you need priority service?" 1 = no, then each need with its icon and words."""

    TOOLBAR = ("back", "lang", "repeat", "contrast", "softer", "louder")

    def __init__(self, service: Service) -> None:
        super().__init__()
        self.service = service
        self.issuing = False

    def compose(self) -> ComposeResult:
        app = self.app
        lang = app.lang
        with Vertical(id="header"):
            yield Static(f"{self.service.icon}  {self.service.name[lang]}", id="chosen",
                         markup=False)
            yield from self.compose_prompt("priority.question", "kiosk.priority_hint")
        with Targets(id="choices", classes="choices"):
            yield Choice("", t(lang, "priority.no"), number="1", icon="✋",
                         spoken=t(lang, "priority.spoken_no"), id="need-no", classes="need")
            for n, (code, need) in enumerate(app.settings.needs.items(), start=2):
                # Focus speech says "priority service", never the need itself.
                yield Choice(code, need.label[lang], number=str(n), icon=need.icon,
                             spoken=t(lang, "kiosk.spoken_yes", keys=str(n)),
                             id=f"need-{n}", classes="need")
        yield from self.compose_toolbar()

    def speech(self) -> list[Spoken]:
        lang = self.app.lang
        count = len(self.app.settings.needs)
        keys = "2" if count == 1 else t(lang, "kiosk.range", first=2, last=count + 1)
        return [t(lang, "priority.chosen", service=self.service.said(lang)),
                t(lang, "priority.question"), t(lang, "priority.spoken_no"),
                t(lang, "kiosk.spoken_yes", keys=keys)]

    def key_digit(self, digit: int) -> None:
        needs = list(self.app.settings.needs)
        if digit == 1:
            self.choose("")
        elif 2 <= digit <= len(needs) + 1:
            self.choose(needs[digit - 2])
        else:
            self.help()

    def choose(self, value: str) -> None:
        if value and value not in self.app.settings.needs:
            super().choose(value)
            return
        if self.issuing:
            return
        self.issuing = True
        self.app.issue(self.service, value or None)

    def key_back(self) -> None:
        self.app.pop_screen()

    def deadline(self) -> tuple[float, Callable[[], None]] | None:
        return float(self.app.settings.patron.idle_s), self.app.ask_more_time
