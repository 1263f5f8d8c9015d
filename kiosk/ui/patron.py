"""The patron kiosk: two touches (or two keys) to a ticket, self-voicing, bilingual, locked down.

Flow (design §6): welcome (services 1..8) -> "Do you need priority service?" (1 = no, 2.. =
each need) -> the ticket (number in block letters, service, people ahead, estimated wait,
print state) -> back to welcome after `ticket_screen_s` or a touch.

Keypad map: `1`-`8` choose, `9` the other language, `0` repeats the spoken prompt, `*` high
contrast, `+`/`-` volume, Backspace/Delete/`.` back, Tab/arrows move the focus ring, Enter
chooses. With NumLock off a USB numpad sends navigation keys instead of digits; the kiosk
reads End, PgDn, Home, PgUp and Insert as 1, 3, 7, 9 and 0 (the digits printed on those
keys), Delete as `.`, and the arrows on 2, 4, 6 and 8 move the focus ring, whose target is
spoken; Enter then chooses.

Time is read from an injectable monotonic function so the 0.4 s input guard, the idle prompt
and the ticket screen's return are tested without waiting; deadlines are checked by one
10 Hz ticker. Store calls run on one worker thread (the store's connection is only ever
used from there, one call at a time); printing and speech are the workers' own threads.

Speed (final touch -> number on screen, p95 <= 100 ms on two cores): the ticket screen is
built once at start and filled in on the touch; a screen speaks (and the ticket prints)
once its frame is drawn; the garbage collector is held from the final touch to that frame,
what exists after start is frozen out of its walks, and the rest is collected between
patrons (benchmarks/patron_bench.py).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from textual import events
from textual.app import App, ComposeResult, ScreenStackError
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from kiosk import clock as clk
from kiosk import views
from kiosk.config import Service, Settings
from kiosk.exceptions import IssueRefused, KioskError, PinError
from kiosk.i18n import other_language, t
from kiosk.rows import Issued
from kiosk.ui import themes
from kiosk.ui.widgets import Banner, BigNumber, Choice, block_letters

if TYPE_CHECKING:
    from kiosk.store import Store

T = TypeVar("T")

# -- keys --------------------------------------------------------------------------------

KEYS: dict[str, str] = {
    **{str(n): str(n) for n in range(10)},
    # NumLock off: the navigation keys printed under the digits.
    "end": "1", "pagedown": "3", "kp_begin": "5", "home": "7", "pageup": "9", "insert": "0",
    "asterisk": "contrast", "multiply": "contrast",
    "plus": "louder", "add": "louder", "equals_sign": "louder",
    "minus": "softer", "subtract": "softer",
    "backspace": "back", "delete": "back", "full_stop": "back", "decimal": "back",
    "comma": "back", "separator": "back",
    "up": "up", "down": "down", "left": "left", "right": "right",
    "enter": "enter",
    "slash": "staff", "divide": "staff",
}
"""Textual key name -> what it means on the kiosk. Everything else is ignored."""

STAFF_TAPS = 5
STAFF_WINDOW_S = 4.0
"""The staff gesture: five taps on the site name (or five `/`) within four seconds."""
TICKET_DISMISS_S = 2.0
"""A touch dismisses the ticket screen only after this long: a second tap of the choosing
finger must not wipe the number before it has been seen and heard."""
TICK_S = 0.1


# -- the services the screen needs ---------------------------------------------------------


class Voice(Protocol):
    volume: float

    def say(self, text: str, lang: str) -> None: ...
    def say_many(self, parts: Sequence[tuple[str, str]]) -> None: ...
    def stop(self) -> None: ...
    def volume_up(self) -> None: ...
    def volume_down(self) -> None: ...
    def reset_volume(self) -> None: ...
    def close(self) -> None: ...


class Printer(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def state(self) -> str: ...
    def submit(self, issued: Issued, *, on_done: Callable[[bool, str | None], None]) -> None:
        ...


class SilentVoice:
    """A voice that only records what it was asked to say (benchmarks, layout probes)."""

    def __init__(self) -> None:
        self.volume = 1.0
        self.log: list[tuple[str, str, float]] = []

    def say(self, text: str, lang: str) -> None:
        self.log.append((text, lang, self.volume))

    def say_many(self, parts: Sequence[tuple[str, str]]) -> None:
        for text, lang in parts:
            self.say(text, lang)

    def stop(self) -> None:
        pass

    def volume_up(self) -> None:
        self.volume = min(4.0, self.volume * 1.4)

    def volume_down(self) -> None:
        self.volume = max(0.25, self.volume / 1.4)

    def reset_volume(self) -> None:
        self.volume = 1.0

    def close(self) -> None:
        pass


def default_voice(settings: Settings, kiosk_id: str) -> Any:
    """The kiosk's voice (kiosk/speech/voice.py)."""
    from kiosk.speech.voice import KioskVoice

    return KioskVoice(settings, kiosk_id)


def default_printer(settings: Settings, kiosk_id: str) -> Any:
    """The kiosk's print worker, or None when it has no printer (or printing is not built)."""
    if settings.kiosk(kiosk_id).printer is None:
        return None
    try:
        from printers.worker import PrintWorker
    except ImportError:
        return None
    return PrintWorker(settings, kiosk_id)


# -- screens -----------------------------------------------------------------------------

W = TypeVar("W", bound=Widget)


def _find(screen: Screen[Any], selector: str, kind: type[W]) -> W:
    """`query_one` without its cache, for the screens that live as long as the kiosk and are
    recomposed (welcome: every patron; ticket: on a language switch). Textual keeps up to
    1024 `query_one` answers per screen, keyed by the screen's child generation, so each
    recompose would leave the widgets it replaced alive in that cache."""
    return screen.query(selector).only_one(kind)


class KioskScreen(Screen[None]):
    """Shared behaviour: the keypad map, the input guard, speaking on appearance."""

    app: PatronApp

    TOOLBAR: ClassVar[tuple[str, ...]] = ("lang", "repeat", "contrast", "softer", "louder")
    DIGITS_ONLY: ClassVar[bool] = False
    """True where 0 and 9 are plain digits too (the staff PIN)."""

    def _toolbar_items(self) -> dict[str, tuple[str, str]]:
        """Toolbar name -> (its key, its words in the language on screen)."""
        lang = self.app.lang
        items = {
            "back": ("⟵", t(lang, "common.back")),
            "done": ("✔", t(lang, "kiosk.done")),
            "print": ("🖨", t(lang, "ticket.print_again")),
            "lang": ("9", t(lang, "language.switch")),
            "repeat": ("0", t(lang, "common.repeat")),
            "contrast": ("*", t(lang, "common.contrast")),
            "softer": ("-", t(lang, "common.softer")),
            "louder": ("+", t(lang, "common.louder")),
        }
        if len(self.app.settings.site.languages) < 2:
            del items["lang"]
        return {name: items[name] for name in self.TOOLBAR if name in items}

    def compose_toolbar(self) -> ComposeResult:
        with Horizontal(id="toolbar"):
            for name, (number, label) in self._toolbar_items().items():
                yield Choice(name, label, number=number, id=f"tool-{name}", classes="tool")

    def relabel_toolbar(self) -> None:
        """The toolbar's words in the language on screen, without composing it again."""
        for name, (_number, label) in self._toolbar_items().items():
            _find(self, f"#tool-{name}", Choice).set_text(label, spoken=label)

    def speech(self) -> list[str]:
        """What this screen says when it appears and on `0`."""
        return []

    def on_screen_resume(self) -> None:
        self.app.screen_shown(self)

    def deadline(self) -> tuple[float, Callable[[], None]] | None:
        """(seconds from now, what then) after the last input, or None."""
        return None

    def after_drawn(self) -> None:
        """Once the screen, having appeared, has been drawn (after its prompt is spoken)."""

    # input ------------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        meaning = KEYS.get(event.key)
        if event.key in ("tab", "shift+tab"):
            self.app.touched()
            self.app.after_focus_move()
            return  # the screen's own bindings move the focus
        event.stop()
        event.prevent_default()
        if meaning is None or not self.app.accept_input():
            return
        if meaning == "staff":
            self.app.staff_tap()
            return
        if self.DIGITS_ONLY and meaning.isdigit():
            self.key_digit(int(meaning))
            return
        self.app.voice.stop()
        if meaning in ("up", "down", "left", "right"):
            self.move_focus(meaning)
        elif meaning == "enter":
            focused = self.focused
            if isinstance(focused, Choice):
                self.choose(focused.value)
            else:
                self.key_enter()
        elif meaning == "0":
            self.app.speak(self)
        elif meaning == "9" and len(self.app.settings.site.languages) > 1:
            self.app.switch_language()
        elif meaning in ("contrast", "louder", "softer"):
            self.choose(meaning)
        elif meaning == "back":
            self.key_back()
        else:
            self.key_digit(int(meaning))

    def on_choice_chosen(self, message: Choice.Chosen) -> None:
        message.stop()
        if not self.app.accept_input():
            return
        self.app.voice.stop()
        self.choose(message.choice.value)

    def choose(self, value: str) -> None:
        app = self.app
        if value == "lang":
            app.switch_language()
        elif value == "repeat":
            app.speak(self)
        elif value == "contrast":
            app.toggle_contrast()
        elif value == "louder":
            app._adjusted = True
            app.voice.volume_up()
            app.say([t(app.lang, "common.louder")])
        elif value == "softer":
            app._adjusted = True
            app.voice.volume_down()
            app.say([t(app.lang, "common.softer")])
        elif value == "back":
            self.key_back()

    def key_digit(self, digit: int) -> None:
        pass

    def key_back(self) -> None:
        pass

    def key_enter(self) -> None:
        pass

    def move_focus(self, direction: str) -> None:
        choices = [w for w in self.query(Choice) if w.display and w.focusable]
        if not choices:
            return
        current = self.focused
        if not isinstance(current, Choice) or current not in choices:
            choices[0].focus()
        else:
            target = _nearest(current, choices, direction)
            if target is not None:
                target.focus()
        self.app.after_focus_move()


def _nearest(current: Widget, choices: list[Choice], direction: str) -> Choice | None:
    """The closest choice in a direction, preferring those within 45 degrees of it; wraps
    to the next/previous choice in order when nothing lies that way."""
    here = current.region.center
    cone: list[tuple[float, Choice]] = []
    wide: list[tuple[float, Choice]] = []
    for choice in choices:
        if choice is current:
            continue
        there = choice.region.center
        dx, dy = there[0] - here[0], there[1] - here[1]
        # Cells are about twice as tall as wide: weigh rows double.
        ahead = {"up": -2 * dy, "down": 2 * dy, "left": -dx, "right": dx}[direction]
        side = abs(dx) if direction in ("up", "down") else 2 * abs(dy)
        if ahead <= 0:
            continue
        (cone if side <= ahead else wide).append((ahead + 2 * side, choice))
    for group in (cone, wide):
        if group:
            return min(group, key=lambda pair: pair[0])[1]
    index = choices.index(current)  # type: ignore[arg-type]
    step = 1 if direction in ("down", "right") else -1
    return choices[(index + step) % len(choices)]


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
            yield Static(t(lang, "welcome.prompt"), id="prompt", classes="prompt",
                         markup=False)
            yield Static(t(lang, "welcome.keys_hint"), id="hint", classes="hint",
                         markup=False)
        with Grid(id="choices", classes="choices"):
            for n, service in enumerate(app.settings.services, start=1):
                yield Choice(service.prefix, service.name[lang], number=str(n),
                             icon=service.icon, detail=self._detail(service),
                             spoken=t(lang, "welcome.spoken_option", n=n,
                                      name=service.name[lang]),
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
        _find(self, "#trouble", Banner).show("⚠", "\n".join(messages))
        for choice in self.query(".service").results(Choice):
            service = app.settings.service(choice.value)
            choice.set_text(service.name[app.lang], detail=self._detail(service),
                            available=self._available(service))

    def speech(self) -> list[str]:
        app = self.app
        lang = app.lang
        parts = [t(lang, "welcome.greeting", site=app.settings.site.name)]
        parts += app.trouble.messages(app.settings, lang)
        if app.trouble.issuing is None:
            parts.append(t(lang, "welcome.prompt"))
            for n, service in enumerate(app.settings.services, start=1):
                parts.append(t(lang, "welcome.spoken_option", n=n, name=service.name[lang]))
                if service.prefix in app.trouble.sold_out:
                    parts.append(t(lang, "trouble.quota"))
            parts.append(t(lang, "welcome.keys_hint"))
        return parts

    def key_digit(self, digit: int) -> None:
        services = self.app.settings.services
        if 1 <= digit <= len(services):
            self.choose(services[digit - 1].prefix)

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
            yield Static(t(lang, "priority.question"), id="question", classes="prompt",
                         markup=False)
            yield Static(t(lang, "kiosk.priority_hint"), id="hint", classes="hint",
                         markup=False)
        with Grid(id="choices", classes="choices"):
            yield Choice("", t(lang, "priority.no"), number="1", icon="✋",
                         spoken=t(lang, "priority.spoken_no"), id="need-no", classes="need")
            for n, (code, need) in enumerate(app.settings.needs.items(), start=2):
                # Focus speech says "priority service", never the need itself.
                yield Choice(code, need.label[lang], number=str(n), icon=need.icon,
                             spoken=t(lang, "kiosk.spoken_yes", keys=str(n)),
                             id=f"need-{n}", classes="need")
        yield from self.compose_toolbar()

    def speech(self) -> list[str]:
        lang = self.app.lang
        count = len(self.app.settings.needs)
        keys = "2" if count == 1 else t(lang, "kiosk.range", first=2, last=count + 1)
        return [t(lang, "priority.question"), t(lang, "priority.spoken_no"),
                t(lang, "kiosk.spoken_yes", keys=keys)]

    def key_digit(self, digit: int) -> None:
        needs = list(self.app.settings.needs)
        if digit == 1:
            self.choose("")
        elif 2 <= digit <= len(needs) + 1:
            self.choose(needs[digit - 2])

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


class TicketScreen(KioskScreen):
    """The number in block letters, the service, people ahead, the wait, the print state.

    The kiosk builds one when it starts and fills it in for each ticket (`show`): composing
    and mounting a screen on the patron's final touch was a third of the time before the
    number appeared. Printing starts once the number is on screen (`after_drawn`)."""

    def __init__(self, issued: Issued | None = None, service: Service | None = None,
                 printing: str = "none") -> None:
        super().__init__()
        self.issued = issued
        self.service = service
        self.printing = printing
        """printing | printed | failed | none"""
        self.print_pending = printing == "printing"
        """The slip is still to be sent (once this ticket is on screen)."""

    @property
    def label(self) -> str:
        return "" if self.issued is None else self.issued.ticket.label

    def _texts(self) -> dict[str, str]:
        """Static id -> its words for this ticket, in the language on screen."""
        lang = self.app.lang
        service = self.service
        return {
            "your-number": t(lang, "ticket.your_number"),
            "number-text": self.label,
            "service": "" if service is None else f"{service.icon}  " + t(
                lang, "ticket.service", service=service.name[lang]),
            "ahead": "" if self.issued is None else "👥  " + self._ahead(),
            "wait": "" if self.issued is None else "⏱  " + self._wait(),
            "thanks": t(lang, "ticket.thanks"),
            "hint": t(lang, "kiosk.done_hint"),
        }

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        texts = self._texts()
        with Vertical(id="ticket"):
            yield Static(texts["your-number"], id="your-number", markup=False)
            yield BigNumber(self.label, id="number")
            for key in ("number-text", "service", "ahead", "wait"):
                yield Static(texts[key], id=key, markup=False)
            yield Banner(id="print-state")
            yield Static(texts["thanks"], id="thanks", markup=False)
            yield Static(texts["hint"], id="hint", classes="hint", markup=False)
        with Horizontal(id="actions"):
            yield Choice("print", t(lang, "ticket.print_again"), number="1", icon="🖨",
                         id="print-again", classes="action")
            yield Choice("done", t(lang, "kiosk.done"), icon="✔", id="done", classes="action")
        yield from self.compose_toolbar()

    def on_mount(self) -> None:
        self.show_print_state()

    def show(self, issued: Issued, service: Service, printing: str) -> None:
        """Fill the screen in for a new ticket (in the language on screen), focus cleared."""
        self.issued = issued
        self.service = service
        self.printing = printing
        self.print_pending = printing == "printing"
        if not self.is_mounted:
            return  # compose() will draw it
        lang = self.app.lang
        for key, text in self._texts().items():
            _find(self, f"#{key}", Static).update(text)
        _find(self, "#number", BigNumber).show(self.label)
        _find(self, "#print-again", Choice).set_text(
            t(lang, "ticket.print_again"), spoken=t(lang, "ticket.print_again"))
        _find(self, "#done", Choice).set_text(t(lang, "kiosk.done"),
                                              spoken=t(lang, "kiosk.done"))
        self.relabel_toolbar()
        self.show_print_state()
        self.set_focus(None)

    def after_drawn(self) -> None:
        if self.print_pending:
            self.print_pending = False
            self.app.print_ticket(self)

    def _ahead(self) -> str:
        n = self.issued.people_ahead
        lang = self.app.lang
        return t(lang, "ticket.people_ahead_none") if n == 0 else t(
            lang, "ticket.people_ahead", n=n)

    def _wait(self) -> str:
        minutes = self.issued.estimated_wait_min
        lang = self.app.lang
        if minutes is None:
            return t(lang, "ticket.wait_unknown")
        if minutes == 0:
            return t(lang, "ticket.wait_under_5")
        return t(lang, "ticket.wait_about", minutes=minutes)

    def _print_text(self) -> tuple[str, str]:
        lang = self.app.lang
        return {
            "printing": ("🖨", t(lang, "ticket.printing")),
            "printed": ("✔", t(lang, "ticket.printed")),
            "failed": ("⚠", t(lang, "ticket.print_failed")),
            "none": ("ℹ", t(lang, "ticket.please_wait")),
        }[self.printing]

    def show_print_state(self) -> None:
        icon, text = self._print_text()
        banner = _find(self, "#print-state", Banner)
        banner.show(icon, text)
        banner.set_class(self.printing == "failed", "alert")
        _find(self, "#print-again", Choice).display = self.printing == "failed"

    def print_done(self, ok: bool) -> None:
        self.printing = "printed" if ok else "failed"
        self.show_print_state()
        lang = self.app.lang
        if not ok:
            self.app.say([t(lang, "ticket.print_failed"), self._spoken_number()])
        self.app.touched()  # a failed print restarts the (longer) wait before returning

    def _spoken_number(self) -> str:
        from kiosk.speech.phrases import spoken_label  # num2words is slow to import: not at start

        lang = self.app.lang
        words = spoken_label(self.label, lang, self.app.settings.speech.numbers)
        return t(lang, "ticket.spoken", label=words)

    def speech(self) -> list[str]:
        lang = self.app.lang
        parts = [self._spoken_number(), self._ahead(), self._wait()]
        if self.printing == "failed":
            parts.insert(0, t(lang, "ticket.print_failed"))
        return parts

    def choose(self, value: str) -> None:
        if value == "print":
            if self.printing == "failed":
                self.app.print_ticket(self)
        elif value == "done":
            self.app.new_patron()
        else:
            super().choose(value)

    def key_digit(self, digit: int) -> None:
        if digit == 1 and self.printing == "failed":
            self.choose("print")
        else:
            self.dismiss_by_touch()

    def key_back(self) -> None:
        self.dismiss_by_touch()

    def key_enter(self) -> None:
        self.dismiss_by_touch()

    def on_click(self, event: events.Click) -> None:
        if not isinstance(event.widget, Choice) and self.app.accept_input():
            self.dismiss_by_touch()

    def dismiss_by_touch(self) -> None:
        if self.printing == "failed":
            return  # only "Done" leaves while the number exists nowhere but on screen
        if self.app.since_shown() >= TICKET_DISMISS_S:
            self.app.new_patron()

    def deadline(self) -> tuple[float, Callable[[], None]] | None:
        patron = self.app.settings.patron
        seconds = patron.ticket_screen_s if self.printing != "failed" else patron.idle_s
        return float(seconds), self.app.new_patron


class MoreTimeScreen(KioskScreen):
    """ "Do you need more time?": any touch or key goes on; else back to welcome."""

    TOOLBAR = ()

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        with Vertical(id="header"):
            yield Static(t(lang, "common.more_time"), id="question", classes="prompt",
                         markup=False)
            yield Static(t(lang, "common.more_time_hint"), id="hint", classes="hint",
                         markup=False)
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
            yield Static(t(lang, "kiosk.staff_title"), id="staff-title", classes="prompt",
                         markup=False)
            yield Static(t(lang, "kiosk.staff_choose"), id="staff-step", classes="hint",
                         markup=False)
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


# -- the app -----------------------------------------------------------------------------

_DEFAULT: Any = object()


class PatronApp(App[None], inherit_bindings=False):
    """The kiosk. Store, printer and voice are arguments so tests can pass fakes."""

    CSS_PATH = "patron.tcss"
    TITLE = "kiosk"
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False
    AUTO_FOCUS = None  # no ring until the patron uses Tab or the arrows
    BINDINGS: ClassVar[list[Any]] = []  # and inherit_bindings=False: no quit key

    def __init__(
        self,
        settings: Settings,
        kiosk_id: str | None = None,
        *,
        store: Store | None = None,
        printer: Any = _DEFAULT,
        voice: Any = None,
        monotonic: Callable[[], float] = time.monotonic,
        poll_s: float = 2.0,
    ) -> None:
        super().__init__()
        # Lockdown: whatever $TEXTUAL says, no devtools connection and no debug mode.
        self.features = frozenset(self.features - {"devtools", "debug"})
        self.devtools = None
        self._devtools_redirector = None
        self.settings = settings
        self.kiosk_id = settings.kiosk(kiosk_id).id
        self._own_store = store is None
        self.store: Store = store  # type: ignore[assignment]  # opened in on_mount if None
        self.printer = default_printer(settings, self.kiosk_id) if printer is _DEFAULT else (
            printer)
        self.voice = voice if voice is not None else default_voice(settings, self.kiosk_id)
        self.monotonic = monotonic
        self.poll_s = poll_s
        self.lang = settings.default_language
        self.default_theme = themes.BY_SETTING[settings.patron.theme]
        for theme in themes.THEMES:
            self.register_theme(theme)
        self.theme = self.default_theme
        self.trouble = views.Trouble()
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-store")
        self._shown_at = monotonic()
        self._guard_until = 0.0
        self._last_input = monotonic()
        self._staff_taps: list[float] = []
        self._starting = True
        self._adjusted = False
        """The patron changed language, theme or volume: undo it for the next one."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self.ticket_screen = TicketScreen()
        """Built once (see `_prepare_ticket_screen`), filled in for each ticket; installed,
        so leaving it keeps it for the next patron."""
        self.install_screen(self.ticket_screen, "ticket")
        self._gc_held = False

    # lifecycle -------------------------------------------------------------------------

    async def on_mount(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.printer is not None:
            self.printer.start()
        # Textual draws nothing until on_mount returns (its start-up is one batch update), so
        # only the welcome screen is pushed here. Opening the store (its imports and file are
        # the slow part of a cold start), reading the trouble and building the ticket screen
        # follow once that frame is out; then the welcome speaks, trouble included, and
        # input counts.
        self._starting = True
        welcome = WelcomeScreen()
        await self.push_screen(welcome)
        self.call_after_refresh(self._begin_start_up, welcome)

    def _begin_start_up(self, welcome: WelcomeScreen) -> None:
        self.run_worker(self._start_up(welcome), group="start")

    async def _start_up(self, welcome: WelcomeScreen) -> None:
        if self.store is None:
            self.store = await self.in_store(_open_store, self.settings)
        await self.refresh_trouble(speak=False)
        welcome.show_trouble()
        await self._prepare_ticket_screen(welcome)
        # What exists now lives as long as the kiosk: keep it out of the collector's walks.
        gc.collect()
        gc.freeze()
        self._starting = False
        if self.screen is welcome:
            self.screen_shown(welcome)
        self.set_interval(TICK_S, self._tick)
        self.set_interval(self.poll_s, self._poll)

    async def _prepare_ticket_screen(self, welcome: WelcomeScreen) -> None:
        """Compose and mount the ticket screen once, unseen (no frame is drawn while it is
        on top), and load what a first ticket would otherwise load on the patron's touch:
        the block-letter font and the spoken-number words."""
        from kiosk.speech.phrases import (
            spoken_label,  # num2words: a slow import, kept off the start
        )

        spoken_label("A1", self.lang, self.settings.speech.numbers)
        block_letters("A001")
        ticket = self.ticket_screen
        if ticket.is_running or self.screen is not welcome:
            return  # a patron was quicker: it is built on first use
        with self.batch_update():
            await self.push_screen(ticket)
            await self.pop_screen()
        # The welcome screen's resume (queued by the pop) is handled before this returns.
        await welcome.wait_for_refresh()

    async def on_unmount(self) -> None:
        self._release_gc()
        gc.unfreeze()
        if self.printer is not None:
            self.printer.stop()
        self.voice.stop()
        self.voice.close()
        self._db.shutdown(wait=True)
        if self._own_store and self.store is not None:
            self.store.close()

    async def in_store(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store call on the store's own thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, lambda: fn(*args, **kwargs))

    # time and input --------------------------------------------------------------------

    def screen_shown(self, screen: KioskScreen) -> None:
        if self._starting:
            return  # on_mount speaks once the store has been read
        now = self.monotonic()
        self._shown_at = now
        self._guard_until = now + self.settings.patron.input_guard_s
        self._last_input = now
        # Speech, printing and tidying wait for the frame: on two cores an espeak-ng
        # synthesis or a print job started now would delay the screen the patron waits for.
        self.call_after_refresh(self._screen_drawn, screen)

    def _screen_drawn(self, screen: KioskScreen) -> None:
        self._release_gc()
        if self._top() is not screen:
            return
        self.speak(screen)
        if isinstance(screen, WelcomeScreen):
            _tidy_memory()
        screen.after_drawn()

    def _hold_gc(self) -> None:
        """No collector pause between the patron's final touch and the number on screen
        (a full collection took 50-250 ms here); `_release_gc` after that frame."""
        if gc.isenabled():
            gc.disable()
            self._gc_held = True

    def _release_gc(self) -> None:
        if self._gc_held:
            self._gc_held = False
            gc.enable()

    def since_shown(self) -> float:
        return self.monotonic() - self._shown_at

    def accept_input(self) -> bool:
        """False while starting (no store yet) and during the guard after a screen change;
        otherwise marks the patron active."""
        if self._starting or self.monotonic() < self._guard_until:
            return False
        self.touched()
        return True

    def touched(self) -> None:
        self._last_input = self.monotonic()

    def _top(self) -> Screen[Any] | None:
        """The screen on top, or None once shutting down has emptied the stack (a timer or a
        printer's answer may still arrive then)."""
        try:
            return self.screen
        except ScreenStackError:
            return None

    def _tick(self) -> None:
        screen = self._top()
        if not isinstance(screen, KioskScreen):
            return
        due = screen.deadline()
        if due is not None and self.monotonic() - self._last_input >= due[0]:
            self._last_input = self.monotonic()
            due[1]()

    async def _poll(self) -> None:
        if isinstance(self._top(), WelcomeScreen):
            await self.refresh_trouble(speak=True)

    async def refresh_trouble(self, *, speak: bool = True) -> None:
        """Re-read what stands in the way of a ticket; show (and say) what changed."""
        state = self.printer.state() if self.printer is not None else None
        try:
            trouble = await self.in_store(views.trouble, self.store, state)
        except Exception as exc:  # a locked or broken store must not take the screen down
            self.log.error(f"trouble check failed: {exc}")
            return
        if trouble == self.trouble:
            return
        new = set(trouble.messages(self.settings, self.lang)) - set(
            self.trouble.messages(self.settings, self.lang))
        self.trouble = trouble
        screen = self.screen
        if isinstance(screen, WelcomeScreen):
            screen.show_trouble()
            if speak and new:
                self.say(sorted(new))

    # speech ----------------------------------------------------------------------------

    def say(self, parts: Iterable[str]) -> None:
        self.voice.say_many([(text, self.lang) for text in parts])

    def speak(self, screen: KioskScreen) -> None:
        parts = screen.speech()
        if parts:
            self.say(parts)

    def after_focus_move(self) -> None:
        self.call_after_refresh(self._say_focused)

    def _say_focused(self) -> None:
        focused = self.focused
        if isinstance(focused, Choice):
            self.voice.stop()
            self.say([focused.spoken])

    # patron actions --------------------------------------------------------------------

    def switch_language(self) -> None:
        self._adjusted = True
        self.lang = other_language(self.settings.site.languages, self.lang)
        self.run_worker(self._recompose_and_speak(), group="language")

    async def _recompose_and_speak(self) -> None:
        screen = self.screen
        if isinstance(screen, KioskScreen):
            await screen.recompose()
            if isinstance(screen, WelcomeScreen):
                screen.show_trouble()
            if isinstance(screen, TicketScreen):
                screen.show_print_state()
            self.speak(screen)

    def toggle_contrast(self) -> None:
        self._adjusted = True
        high = self.theme != themes.HIGH_CONTRAST
        self.theme = themes.HIGH_CONTRAST if high else themes.CONTRAST
        self.say([t(self.lang, "common.contrast") + (" ✔" if high else "")])

    def new_patron(self, *, speak: bool = True) -> None:
        """Back to welcome with everything as the next patron expects it."""
        if not self._adjusted and isinstance(self.screen, WelcomeScreen):
            return
        self._adjusted = False
        self.voice.stop()
        self.voice.reset_volume()
        self.lang = self.settings.default_language
        self.theme = self.default_theme
        # Leaving another screen makes the welcome screen speak as it appears; an idle reset
        # on the welcome screen itself (speak=False) only redraws it.
        self.run_worker(self._back_to_welcome(), group="reset", exclusive=True)

    async def _back_to_welcome(self) -> None:
        """Redraw the welcome screen in the (reset) language, then drop what is above it;
        the welcome screen speaks as it appears again."""
        welcome = self.screen_stack[1] if len(self.screen_stack) > 1 else None
        if isinstance(welcome, WelcomeScreen):
            await welcome.recompose()
            welcome.show_trouble()
        while len(self.screen_stack) > 2:
            await self.pop_screen()

    def ask_more_time(self) -> None:
        self.push_screen(MoreTimeScreen())

    def issue(self, service: Service, need: str | None) -> None:
        self._hold_gc()
        self.run_worker(self._issue(service, need), group="issue")

    async def _issue(self, service: Service, need: str | None) -> None:
        try:
            issued = await self.in_store(self.store.issue, service.prefix, need,
                                         lang=self.lang, kiosk=self.kiosk_id)
        except IssueRefused:
            # Things changed since the welcome screen last looked: read them again, then go
            # back, where the welcome screen shows and says the reason.
            self._release_gc()
            await self.refresh_trouble(speak=False)
            await self._back_to_welcome()
            return
        except BaseException as exc:
            self._release_gc()
            if not isinstance(exc, KioskError):
                raise
            self.log.error(f"issue failed: {exc}")
            await self._back_to_welcome()
            return
        screen = self.ticket_screen
        screen.show(issued, service, "none" if self.printer is None else "printing")
        if isinstance(self.screen, PriorityScreen):
            await self.switch_screen(screen)
        else:
            await self.push_screen(screen)
        # It speaks, prints (TicketScreen.after_drawn) and lets the collector run again
        # once this frame is drawn (_screen_drawn).

    def print_ticket(self, screen: TicketScreen) -> None:
        if self.printer is None or screen.issued is None:
            return
        issued = screen.issued
        screen.printing = "printing"
        screen.show_print_state()
        loop = self._loop
        ticket_id = issued.ticket.id

        def done(ok: bool, reason: str | None) -> None:
            # The worker calls back on its own thread; hop onto the UI loop.
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self._printed, screen, ticket_id, ok)

        self.printer.submit(issued, on_done=done)

    def _printed(self, screen: TicketScreen, ticket_id: int, ok: bool) -> None:
        # The screen is reused: an answer about an earlier patron's slip is not this one's.
        issued = screen.issued
        if (screen.is_attached and self._top() is screen and issued is not None
                and issued.ticket.id == ticket_id):
            screen.print_done(ok)

    # staff -----------------------------------------------------------------------------

    def staff_tap(self) -> None:
        if self._starting:
            return
        now = self.monotonic()
        self._staff_taps = [t0 for t0 in self._staff_taps if now - t0 <= STAFF_WINDOW_S]
        self._staff_taps.append(now)
        if len(self._staff_taps) >= STAFF_TAPS and not isinstance(self.screen, StaffScreen):
            self._staff_taps.clear()
            self.run_worker(self._open_staff(), group="staff")

    async def _open_staff(self) -> None:
        self.voice.stop()
        await self.push_screen(StaffScreen(await self.in_store(self.store.staff_names)))

    def staff_exit(self, screen: StaffScreen, name: str, pin: str) -> None:
        self.run_worker(self._staff_exit(screen, name, pin), group="staff", exclusive=True)

    async def _staff_exit(self, screen: StaffScreen, name: str, pin: str) -> None:
        try:
            person = await self.in_store(self.store.verify_pin, name, pin)
        except PinError:
            screen.refused()
            return
        await self.in_store(self.store.log, "kiosk_stopped", actor=person.name,
                            detail={"kiosk": self.kiosk_id})
        self.exit()


def _tidy_memory() -> None:
    """Between patrons (the welcome screen is drawn and ignores input for 0.4 s): collect
    the last patron's screens now rather than during the next one's touch.

    Textual 8 memoises `StylesCache.get_inner_outer` with `functools.lru_cache` on a method
    (Textualize/textual#6665), which keeps up to 1024 dead widgets' style caches alive with
    every line they rendered: ~200 000 objects that every full collection walked. Forgetting
    it here keeps the heap at its size after start."""
    try:
        from textual._styles_cache import StylesCache
    except ImportError:  # a Textual without it: nothing to forget
        pass
    else:
        cache_clear = getattr(StylesCache.get_inner_outer, "cache_clear", None)
        if cache_clear is not None:
            cache_clear()
    gc.collect()


def _open_store(settings: Settings) -> Store:
    from kiosk.store import Store

    return Store(settings, clock=clk.from_environment())


def run(settings: Settings, kiosk_id: str | None = None) -> None:
    """`kiosk patron`: the kiosk in this terminal (or, under textual-serve, a browser)."""
    PatronApp(settings, kiosk_id).run()
