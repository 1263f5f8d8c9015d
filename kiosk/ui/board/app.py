"""The board's app: the newest call, the other open calls, the last calls, the line per
service, the clock, the "announcements off" notice; and the announcer in a thread when
asked to speak."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

from kiosk import clock as clk
from kiosk import views
from kiosk.announcer import Announcer
from kiosk.config import Settings
from kiosk.i18n import board_languages, both, localized, wait_text
from kiosk.rows import Call, ServiceOutlook
from kiosk.store import Store
from kiosk.ui import themes
from kiosk.ui.board.tiles import CallTile
from kiosk.ui.store_thread import Fresh, follow, fresh_data

RECENT = 8
"""How many of the last calls the plain-text list shows."""
ALSO = 3
"""How many other open calls get block letters of their own below the newest."""
POLL_S = 0.05
EVERY_S = 2.0


def read_board(store: Store) -> views.BoardView:
    """What the board shows (on the follower's thread): enough calls for the last-calls
    list and the other open calls."""
    return views.board(store, max(RECENT, ALSO + 1))


# -- the app -----------------------------------------------------------------------------


class BoardApp(App[None]):
    """The lobby board. `clock` is the store's clock (tests: a ManualClock); `announcer`, when
    given, runs in a thread of this process (`kiosk board --speak`)."""

    CSS_PATH = "board.tcss"
    TITLE = "kiosk board"
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False
    BINDINGS: ClassVar[list[Any]] = []

    def __init__(
        self,
        settings: Settings,
        *,
        clock: clk.Clock | None = None,
        announcer: Announcer | None = None,
        poll_s: float = POLL_S,
        every_s: float = EVERY_S,
        speech_stop_s: float = 20.0,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.languages = board_languages(settings)
        self.clock: clk.Clock = clock or clk.SystemClock()
        self.announcer = announcer
        self.speech_stop_s = speech_stop_s
        """How long closing waits for a call being spoken to end (never cut one short)."""
        for theme in themes.THEMES:
            self.register_theme(theme)
        self.theme = themes.HIGH_CONTRAST
        self.data: views.BoardView | None = None
        self.error: str | None = None
        self.follower = follow(self, settings, self.clock, read_board, poll_s=poll_s,
                               every_s=every_s, name="kiosk-board-follower")
        self._speech_stop = threading.Event()
        self._speech: threading.Thread | None = None
        self.on_call_shown: Callable[[Call], None] | None = None
        """Benchmarks: called after the frame that first shows a new newest call."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield Static(self.settings.site.name, id="site", markup=False)
            yield Static(both(self.languages, "call.announcements_off"), id="notice",
                         markup=False)
            yield Digits(self._time(), id="clock")
        with Horizontal(id="now"):
            yield CallTile(self.settings, "call.now_calling", id="hero")
            with Vertical(id="also"):
                for n in range(ALSO):
                    yield CallTile(self.settings, "board.ticket", big_counter=False,
                                   id=f"also-{n}", classes="also")
        with Horizontal(id="lower"):
            yield Static(id="recent", markup=False)
            yield Static(id="services", markup=False)

    def on_mount(self) -> None:
        self.query_one("#notice").display = False
        self.query_one("#also").display = False
        self.follower.start()
        self.set_interval(1.0, self._tick)
        if self.announcer is not None:
            self._speech = threading.Thread(target=self.announcer.run_forever,
                                            args=(self._speech_stop,), daemon=True,
                                            name="kiosk-announcer")
            self._speech.start()

    def on_unmount(self) -> None:
        self.follower.stop()
        if self._speech is not None:
            self._speech_stop.set()
            self._speech.join(self.speech_stop_s)

    # -- time ------------------------------------------------------------------------------

    def _time(self) -> str:
        return self.clock.now().astimezone(self.settings.site.tz).strftime("%H:%M")

    def _tick(self) -> None:
        self.query_one("#clock", Digits).update(self._time())

    # -- what the follower read ------------------------------------------------------------

    def on_fresh(self, message: Fresh[views.BoardView]) -> None:
        data = fresh_data(self, message, "board")
        if not self.is_running:
            return
        self.error = message.error
        if data is not None:
            self.show(data)
        else:
            self._notice()

    def _notice(self) -> None:
        """The top band's notice: a store that cannot be read (what the board shows may be
        old), else announcements that are off; nothing when all is well."""
        notice = self.query_one("#notice", Static)
        if self.error is not None:
            notice.update(both(self.languages, "board.store_trouble"))
            notice.display = True
        elif self.data is not None and not self.data.announcements_on:
            notice.update(both(self.languages, "call.announcements_off"))
            notice.display = True
        else:
            notice.display = False

    def show(self, data: views.BoardView) -> None:
        previous = self.data
        self.data = data
        # Only calls still open at their counter are shown as being made: a ticket since
        # finished, transferred, cancelled or marked a no-show stays in the last calls only.
        calling = [c for c in data.calls if c.open]
        newest = calling[0] if calling else None
        hero = self.query_one("#hero", CallTile)
        hero.show(newest)
        hero.set_class(newest is not None, "-newest")
        others = calling[1:1 + ALSO]
        for n, tile in enumerate(self.query(".also").results(CallTile)):
            call = others[n] if n < len(others) else None
            tile.show(call)
            tile.display = call is not None
        self.query_one("#also").display = bool(others)
        self.query_one("#recent", Static).update(self._recent(data.calls[:RECENT], hero))
        self.query_one("#services", Static).update(self._services(data.services))
        # The lower band is as tall as the services table (a header and a line each); the
        # last calls list shows as many as fit beside it, newest first.
        self.query_one("#lower").styles.height = len(data.services) + 2
        self._notice()
        self._tick()
        before = [c for c in previous.calls if c.open] if previous is not None else []
        fresh = newest is not None and (not before or before[0] != newest)
        if fresh and self.on_call_shown is not None:
            self.call_after_refresh(self.on_call_shown, newest)

    def _recent(self, calls: Sequence[Call], tile: CallTile) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(both(self.languages, "board.last_calls"), "bold underline")
        if not calls:
            text.append("\n" + both(self.languages, "board.no_calls"))
        for n, call in enumerate(calls):
            line = f"{call.label}  → {tile.counter_name(call.counter)}"
            if call.recall:
                line += f"  ({both(self.languages, 'board.again')})"
            text.append("\n")
            now = n == 0 and call.open
            text.append(("▶ " if now else "  ") + line, "bold" if now else "")
        return text

    def _services(self, lines: Sequence[ServiceOutlook]) -> Table:
        table = Table(expand=True, box=None, show_edge=False, pad_edge=False,
                      header_style="bold underline")
        table.add_column(both(self.languages, "board.service"), ratio=1, no_wrap=True,
                         overflow="ellipsis")
        table.add_column(both(self.languages, "board.waiting"), justify="right", no_wrap=True)
        table.add_column(both(self.languages, "board.wait"), justify="right", no_wrap=True)
        for line in lines:
            try:
                name = localized(self.settings.service(line.service).name, self.languages)
            except KeyError:
                name = ""
            table.add_row(f"{line.service}  {name}", str(line.waiting),
                          self._estimate(line))
        return table

    def _estimate(self, line: ServiceOutlook) -> str:
        tz = self.settings.site.tz
        return " / ".join(dict.fromkeys(
            wait_text(lang, line.estimated_wait_min, line.opens_at, tz, short=True)
            for lang in self.languages))


def run(settings: Settings, *, speak: bool = False, clock: clk.Clock | None = None) -> None:
    """`kiosk board [--speak]`: the board in this terminal (or, under textual-serve, a tab)."""
    clock = clock or clk.SystemClock()
    announcer = Announcer(settings, clock=clock) if speak else None
    BoardApp(settings, clock=clock, announcer=announcer).run()
