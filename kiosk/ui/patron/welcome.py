"""The welcome screen: the greeting, the language, the trouble (if any), the services and,
where bookings are taken, "I have an appointment"."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from kiosk.config import MAX_SERVICES, Service
from kiosk.i18n import other_language, t
from kiosk.ui.latency import find
from kiosk.ui.patron.base import KioskScreen, Spoken
from kiosk.ui.patron.checkin import ICON, CheckInScreen
from kiosk.ui.patron.widgets import Banner, Choice, Targets

CHECK_IN = "checkin"
"""The appointment choice's value (no service prefix is a word)."""
CHECK_IN_DESPITE = ("after_last_ticket",)
"""Trouble under which an appointment can still be checked in: a booked patron within the
grace is served after the last ticket (kiosk.store.bookings)."""


class WelcomeScreen(KioskScreen):
    """The greeting, the language, the trouble (if any) and the services, numbered 1..8;
    then, when `[booking] services` is not empty, "I have an appointment" on the next key
    (6 with five services): every choice a digit in one run, so the keypad's map stays
    "a digit chooses" and the spoken list reads straight on (design §6)."""

    def compose(self) -> ComposeResult:
        app = self.app
        lang = app.lang
        with Vertical(id="header"):
            yield Static(t(lang, "welcome.greeting", site=app.settings.site.name),
                         id="greeting", markup=False)
            yield Static(f"🌐  {t(lang, 'language.name')}", id="language", markup=False)
            yield Banner(id="trouble", classes="alert")
            yield from self.compose_prompt("welcome.prompt", "welcome.keys_hint",
                                           prompt_id="prompt")
        with Targets(id="choices", classes="choices"):
            for n, service in enumerate(app.settings.services, start=1):
                yield Choice(service.prefix, service.name[lang], number=str(n),
                             icon=service.icon, detail=self._detail(service),
                             spoken=t(lang, "welcome.spoken_option", n=n,
                                      name=service.said(lang)),
                             available=self._available(service),
                             id=f"service-{n}", classes="service")
            if self._bookings():
                key = self._check_in_key()
                yield Choice(CHECK_IN, t(lang, "checkin.choice"),
                             number=str(key) if key is not None else "",
                             icon=ICON, detail=self._check_in_detail(),
                             spoken=self._check_in_spoken(),
                             available=self._check_in_available(),
                             id="checkin", classes="service")
        yield from self.compose_toolbar()

    def _bookings(self) -> bool:
        """The site takes bookings, so a patron may come with a check-in code."""
        return bool(self.app.settings.booking.services)

    def _check_in_key(self) -> int | None:
        """The digit after the last service's; none after an eighth service (9 is the
        other language): then the focus ring and Enter reach it, as any choice."""
        key = len(self.app.settings.services) + 1
        return key if key <= MAX_SERVICES else None

    def _check_in_spoken(self) -> str:
        lang = self.app.lang
        key = self._check_in_key()
        if key is None:
            return t(lang, "checkin.choice") + "."
        return t(lang, "welcome.spoken_option", n=key, name=t(lang, "checkin.choice"))

    def _check_in_available(self) -> bool:
        return self.app.trouble.issuing in (None, *CHECK_IN_DESPITE)

    def _check_in_detail(self) -> str:
        if not self._check_in_available():
            return "✕  " + t(self.app.lang, "kiosk.unavailable")
        return t(self.app.lang, "checkin.choice_detail")

    def _available(self, service: Service) -> bool:
        trouble = self.app.trouble
        return trouble.issuing is None and service.prefix not in trouble.sold_out

    def _detail(self, service: Service) -> str:
        lang = self.app.lang
        trouble = self.app.trouble
        if trouble.issuing is not None:
            return "✕  " + t(lang, "kiosk.unavailable")
        if service.prefix in trouble.sold_out:
            return "✕  " + t(lang, "kiosk.sold_out")
        return service.detail[lang] if service.detail else ""

    def on_mount(self) -> None:
        self.show_trouble()

    def show_trouble(self) -> None:
        app = self.app
        messages = app.trouble.messages(app.settings, app.lang)
        find(self, "#trouble", Banner).show("⚠", "\n".join(messages))
        for choice in self.query(".service").results(Choice):
            if choice.value == CHECK_IN:
                choice.set_text(t(app.lang, "checkin.choice"), detail=self._check_in_detail(),
                                available=self._check_in_available())
                continue
            service = app.settings.service(choice.value)
            choice.set_text(service.name[app.lang], detail=self._detail(service),
                            available=self._available(service))

    def speech(self) -> list[Spoken]:
        app = self.app
        lang = app.lang
        parts: list[Spoken] = [t(lang, "welcome.greeting", site=app.settings.site.name)]
        if len(app.settings.site.languages) > 1:  # at once, in the other language's voice
            other = other_language(app.settings.site.languages, lang)
            parts.append((t(other, "language.offer"), other))
        parts += app.trouble.messages(app.settings, lang)
        if app.trouble.issuing is None:
            parts.append(t(lang, "welcome.prompt"))
            for n, service in enumerate(app.settings.services, start=1):
                parts.append(t(lang, "welcome.spoken_option", n=n, name=service.said(lang)))
                if service.prefix in app.trouble.sold_out:
                    parts.append(t(lang, "trouble.quota"))
        if self._bookings() and self._check_in_available():
            parts.append(self._check_in_spoken())
        if app.trouble.issuing is None:
            parts.append(t(lang, "welcome.keys_hint"))
        return parts

    def key_digit(self, digit: int) -> None:
        services = self.app.settings.services
        if 1 <= digit <= len(services):
            self.choose(services[digit - 1].prefix)
        elif digit == self._check_in_key() and self._bookings():
            self.choose(CHECK_IN)
        else:
            self.help()

    def choose(self, value: str) -> None:
        app = self.app
        if value == CHECK_IN:
            if self._check_in_available():
                app.push_screen(CheckInScreen())
            else:
                app.say(app.trouble.messages(app.settings, app.lang))
            return
        try:
            service = app.settings.service(value)
        except KeyError:
            super().choose(value)
            return
        app.walk_in(service)

    def on_click(self, event: events.Click) -> None:
        if event.widget is not None and event.widget.id == "greeting":
            self.app.staff_tap()

    def deadline(self) -> tuple[float, Callable[[], None]] | None:
        app = self.app
        return float(app.settings.patron.idle_s), lambda: app.new_patron(speak=False)
