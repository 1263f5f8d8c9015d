"""The rating tablet's app: it follows what the counter's faces would rate (kiosk.views.rate),
asks about that ticket with four faces, rates it with one tap, thanks, and goes back."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, ClassVar, Literal

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Static

from kiosk import clock as clk
from kiosk import views
from kiosk.config import Settings
from kiosk.exceptions import KioskError
from kiosk.i18n import board_languages, both, localized
from kiosk.rows import Ticket
from kiosk.store import Store
from kiosk.ui import themes
from kiosk.ui.rate.faces import SCORES, Face
from kiosk.ui.store_thread import Fresh, StoreThread, follow, fresh_data

log = logging.getLogger("kiosk.rate")
"""Records go to the screen's log file (kiosk.host.logs.setup): Textual's own
`self.log` reaches only a connected devtools console, so nothing would be kept."""

THANKS_S = 4.0
"""How long the thanks stay before the tablet is back to its greeting."""
POLL_S = 0.1
EVERY_S = 1.0
"""Read again at least this often: the rating window closes with time, not with a commit."""
NUMPAD = {"end": 1, "down": 2, "pagedown": 3, "left": 4}
"""A numeric keypad with NumLock off sends these for 1-4."""

Mode = Literal["idle", "asking", "sending", "thanks"]


def rate_shown(store: Store, counter: int, ticket_id: int, score: int) -> Ticket | None:
    """Rate the ticket the faces show, if it may still be rated; None when it may not (it
    was rated, or its window closed): nothing is written then."""
    if store.rate_target(counter, ticket_id) is None:
        return None
    return store.rate(counter, score, ticket_id=ticket_id)


class RateApp(App[None]):
    """Four faces facing the patron at counter `counter`. `clock` is the store's clock
    (tests: a ManualClock); `monotonic` times the input guard."""

    CSS_PATH = "rate.tcss"
    TITLE = "kiosk rate"
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (48, "-wide")]
    BINDINGS: ClassVar[list[Any]] = [
        *(Binding(str(n), f"rate({n})", show=False) for n in SCORES),
        *(Binding(key, f"rate({n})", show=False) for key, n in NUMPAD.items()),
        Binding("asterisk", "contrast", show=False),
    ]

    def __init__(
        self,
        settings: Settings,
        counter: int,
        *,
        clock: clk.Clock | None = None,
        poll_s: float = POLL_S,
        every_s: float = EVERY_S,
        thanks_s: float = THANKS_S,
        guard_s: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.counter = settings.counter(counter)
        self.languages = board_languages(settings)
        self.clock: clk.Clock = clock or clk.SystemClock()
        self.thanks_s = thanks_s
        self.guard_s = settings.patron.input_guard_s if guard_s is None else guard_s
        """Input is ignored this long after the faces appear (a tap meant for the greeting
        must not rate)."""
        self.monotonic = monotonic
        for theme in themes.THEMES:
            self.register_theme(theme)
        self.theme = themes.BY_SETTING[settings.patron.theme]
        self.store = StoreThread(settings, self.clock, name="kiosk-rate-store")
        self.follower = follow(self, settings, self.clock,
                               lambda store: views.rate(store, self.counter.id),
                               poll_s=poll_s, every_s=every_s, name="kiosk-rate-follower")
        self.mode: Mode = "idle"
        self.asked: views.RateView | None = None
        """The ticket the faces show (while asking and rating it)."""
        self.latest: views.RateView | None = None
        """What the follower read last."""
        self._guard_until = 0.0

    def compose(self) -> ComposeResult:
        langs = self.languages
        yield Static(localized(self.counter.name, langs), id="counter", markup=False)
        with Vertical(id="idle"):
            yield Static(both(langs, "rate.nothing", sep="\n"), id="welcome", markup=False)
        with Vertical(id="asking"):
            yield Static(both(langs, "rate.question", sep="\n"), id="question", markup=False)
            yield Static(id="ticket", markup=False)
            with Grid(id="faces"):
                for score in SCORES:
                    yield Face(score, langs, id=f"face-{score}")
        with Vertical(id="thanks"):
            yield Static(both(langs, "rate.thanks", sep="\n"), id="thanks-text", markup=False)
            with Horizontal(id="chosen-row"):
                yield Face(SCORES[-1], langs, id="chosen")

    def on_mount(self) -> None:
        self._show_mode("idle")
        self.follower.start()

    def on_unmount(self) -> None:
        self.follower.stop()
        self.store.close()

    # -- what the follower read --------------------------------------------------------------

    def on_fresh(self, message: Fresh[views.RateView]) -> None:
        data = fresh_data(self, message, "rate")
        if not self.is_running:
            return
        self.latest = data  # None: the store cannot be read now, so nothing is asked
        if self.mode in ("idle", "asking"):
            self._follow(data)

    def _follow(self, data: views.RateView | None) -> None:
        if data is None or not data.asking:
            self.asked = None
            self._show_mode("idle")
            return
        if self.asked is None or self.asked.ticket_id != data.ticket_id:
            self._guard_until = self.monotonic() + self.guard_s
        self.asked = data
        self.query_one("#ticket", Static).update(
            both(self.languages, "rate.for_ticket", label=data.label))
        self._show_mode("asking")

    def _show_mode(self, mode: Mode) -> None:
        self.mode = mode
        shown = {"idle": "idle", "asking": "asking", "sending": "asking", "thanks": "thanks"}
        for part in ("idle", "asking", "thanks"):
            self.query_one(f"#{part}").display = part == shown[mode]

    # -- the patron's tap --------------------------------------------------------------------

    def action_rate(self, score: int) -> None:
        self.choose(score)

    @on(Face.Chosen)
    def _tapped(self, message: Face.Chosen) -> None:
        self.choose(message.score)

    def choose(self, score: int) -> None:
        """One tap, one rating: anything after it (a second tap, a trembling hand) finds the
        tablet no longer asking."""
        asked = self.asked
        if self.mode != "asking" or asked is None or asked.ticket_id is None:
            return
        if self.monotonic() < self._guard_until:
            return
        self.mode = "sending"
        self.run_worker(self._rate(asked.ticket_id, score), group="rate")

    async def _rate(self, ticket_id: int, score: int) -> None:
        try:
            ticket = await self.store.run(rate_shown, self.counter.id, ticket_id, score)
        except KioskError as exc:  # the window closed meanwhile: nothing to rate
            log.info(f"rate: not rated at counter {self.counter.id}: {exc}")
            ticket = None
        except Exception:  # never a traceback facing the patron
            log.exception(f"rate: rating at counter {self.counter.id} failed")
            self._thank(score, both(self.languages, "rate.failed", sep="\n"), saved=False)
            return
        if ticket is None:
            self.mode = "idle"
            self._follow(self.latest)
            self.follower.poke()
            return
        log.info(f"rate: {ticket.label} rated {score} at counter {self.counter.id}")
        self._thank(score, both(self.languages, "rate.thanks", sep="\n"))

    def _thank(self, score: int, words: str, *, saved: bool = True) -> None:
        """The thanks (or, when the rating could not be saved, that sentence), with the
        face chosen; for THANKS_S, then back to the greeting."""
        self.query_one("#thanks-text", Static).update(words)
        chosen = self.query_one("#chosen", Face)
        chosen.show(score)
        chosen.display = saved
        self.asked = None
        self._show_mode("thanks")
        self.set_timer(self.thanks_s, self._thanks_over)

    def _thanks_over(self) -> None:
        self.mode = "idle"
        self._follow(self.latest)
        self.follower.poke()

    def action_contrast(self) -> None:
        """`*`: the high-contrast theme and back (for a tablet with a keyboard)."""
        high = self.theme != themes.HIGH_CONTRAST
        self.theme = themes.HIGH_CONTRAST if high else themes.CONTRAST


def run(settings: Settings, counter: int, *, clock: clk.Clock | None = None) -> None:
    """`kiosk rate --counter N`: the faces in this terminal (or a textual-serve tab)."""
    RateApp(settings, counter, clock=clock).run()
