"""The welcome screen: the greeting, the language, the trouble (if any) and the services."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from kiosk.config import Service
from kiosk.i18n import other_language, t
from kiosk.ui.latency import find
from kiosk.ui.patron.base import KioskScreen, Spoken
from kiosk.ui.patron.priority import PriorityScreen
from kiosk.ui.patron.widgets import Banner, Choice, Targets


class WelcomeScreen(KioskScreen):
    """The greeting, the language, the trouble (if any) and the services, numbered 1..8."""

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
        yield from self.compose_toolbar()

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
            parts.append(t(lang, "welcome.keys_hint"))
        return parts

    def key_digit(self, digit: int) -> None:
        services = self.app.settings.services
        if 1 <= digit <= len(services):
            self.choose(services[digit - 1].prefix)
        else:
            self.help()

    def choose(self, value: str) -> None:
        try:
            service = self.app.settings.service(value)
        except KeyError:
            super().choose(value)
            return
        app = self.app
        if app.trouble.issuing is not None:
            app.say(app.trouble.messages(app.settings, app.lang))
        elif service.prefix in app.trouble.sold_out:
            app.say([t(app.lang, "trouble.quota")])
        elif app.settings.needs:
            app.push_screen(PriorityScreen(service))
        else:
            app.issue(service, None)

    def on_click(self, event: events.Click) -> None:
        if event.widget is not None and event.widget.id == "greeting":
            self.app.staff_tap()

    def deadline(self) -> tuple[float, Callable[[], None]] | None:
        app = self.app
        return float(app.settings.patron.idle_s), lambda: app.new_patron(speak=False)
