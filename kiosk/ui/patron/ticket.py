"""The ticket screen: the number in block letters, the service, a booking's time, people
ahead, the wait, the print state."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from kiosk.config import Service
from kiosk.i18n import t, wait_text
from kiosk.ui.latency import find
from kiosk.ui.patron.base import TICKET_DISMISS_S, KioskScreen, Spoken
from kiosk.ui.patron.checkin import ICON
from kiosk.ui.patron.widgets import Banner, BigNumber, Choice

if TYPE_CHECKING:  # the kiosk imports its rows after the first frame
    from kiosk.rows import Issued


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
            "booking": "" if not self._booking() else f"{ICON}  " + self._booking(),
            "ahead": "" if self.issued is None else "👥  " + self._ahead(),
            "wait": "" if self.issued is None else "⏳  " + self._wait(),
            "thanks": t(lang, "ticket.thanks"),
            "hint": t(lang, "kiosk.done_hint"),
        }

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        texts = self._texts()
        with Horizontal(id="ticket"):
            with Vertical(id="number-side"):
                yield Static(texts["your-number"], id="your-number", markup=False)
                yield BigNumber(self.label, id="number")
                yield Static(texts["number-text"], id="number-text", markup=False)
            with Vertical(id="details"):
                for key in ("service", "booking", "ahead", "wait"):
                    yield Static(texts[key], id=key, markup=False)
                yield Banner(id="print-state")
                yield Static(texts["thanks"], id="thanks", markup=False)
                yield Static(texts["hint"], id="hint", classes="hint", markup=False)
        with Horizontal(id="actions"):
            yield Choice("print", t(lang, "ticket.print_again"), number="1", icon="🧾",
                         id="print-again", classes="action")
            yield Choice("done", t(lang, "kiosk.done"), icon="✔", id="done", classes="action")
        yield from self.compose_toolbar()

    def on_mount(self) -> None:
        self.show_print_state()
        find(self, "#booking", Static).display = bool(self._booking())

    def on_resize(self, event: events.Resize) -> None:
        # Wide and low (a landscape display's 110 x 28): the number beside the details,
        # where it can be drawn taller than above them.
        self.set_class(event.size.width >= 3.5 * event.size.height, "-landscape")

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
            find(self, f"#{key}", Static).update(text)
        find(self, "#booking", Static).display = bool(self._booking())
        find(self, "#number", BigNumber).show(self.label)
        find(self, "#print-again", Choice).set_text(
            t(lang, "ticket.print_again"), spoken=t(lang, "ticket.print_again"))
        find(self, "#done", Choice).set_text(t(lang, "kiosk.done"),
                                              spoken=t(lang, "kiosk.done"))
        self.relabel_toolbar()
        self.show_print_state()
        self.set_focus(None)

    def after_drawn(self) -> None:
        if self.print_pending:
            self.print_pending = False
            self.app.print_ticket(self)

    def _booking(self) -> str:
        """A checked-in booking's line: its booked time, or (checked in after the grace)
        that this is a walk-in ticket now, said plainly. Empty for a walk-in."""
        issued = self.issued
        if issued is None:
            return ""
        if issued.appointment and issued.slot:
            return t(self.app.lang, "checkin.appointment", slot=issued.slot)
        if issued.late:
            return t(self.app.lang, "checkin.late")
        return ""

    def _ahead(self) -> str:
        n = self.issued.people_ahead
        lang = self.app.lang
        return t(lang, "ticket.people_ahead_none") if n == 0 else t(
            lang, "ticket.people_ahead", n=n)

    def _wait(self) -> str:
        return wait_text(self.app.lang, self.issued.estimated_wait_min, self.issued.opens_at,
                         self.app.settings.site.tz)

    def _print_text(self) -> tuple[str, str]:
        lang = self.app.lang
        return {
            "printing": ("🧾", t(lang, "ticket.printing")),
            "printed": ("✔", t(lang, "ticket.printed")),
            "failed": ("⚠", t(lang, "ticket.print_failed")),
            "none": ("ℹ", t(lang, "ticket.please_wait")),
        }[self.printing]

    def show_print_state(self) -> None:
        icon, text = self._print_text()
        banner = find(self, "#print-state", Banner)
        banner.show(icon, text)
        banner.set_class(self.printing == "failed", "alert")
        find(self, "#print-again", Choice).display = self.printing == "failed"

    def print_done(self, ok: bool) -> None:
        self.printing = "printed" if ok else "failed"
        self.show_print_state()
        lang = self.app.lang
        if ok:  # after what is being said: the number is not cut off
            self.app.say_after([t(lang, "ticket.printed")])
        else:  # what a patron who cannot read the screen can do: the number, twice
            self.app.say([t(lang, "ticket.print_failed_spoken", label=self._label_words())])
        self.app.touched()  # a failed print restarts the (longer) wait before returning

    def _label_words(self) -> str:
        from kiosk.speech.phrases import said_label  # num2words is slow to import: not at start

        return said_label(self.app.settings, self.label, self.app.lang)

    def _spoken_number(self) -> str:
        return t(self.app.lang, "ticket.spoken", label=self._label_words())

    def speech(self) -> list[Spoken]:
        """The number first, what to know, and the number once more (said twice: a patron
        who missed it the first time hears it at the end)."""
        lang = self.app.lang
        booking = [self._booking()] if self._booking() else []
        if self.printing == "failed":
            return [t(lang, "ticket.print_failed_spoken", label=self._label_words()),
                    *booking, self._ahead(), self._wait()]
        parts: list[Spoken] = [self._spoken_number(), *booking, self._ahead(), self._wait()]
        if self.printing == "printed":
            parts.append(t(lang, "ticket.printed"))
        parts.append(t(lang, "ticket.spoken_again", label=self._label_words()))
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
