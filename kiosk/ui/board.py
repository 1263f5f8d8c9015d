"""The lobby board: every call seen at once, across the room, whatever the speech is doing.

Top to bottom: the site and the time; the newest call in block letters as large as the
screen allows, highlighted (yellow block, black letters) until the next call; the other
calls still open at other counters; the last calls as plain text, the newest included;
per service how many wait and about how long a ticket taken now waits; and, when no
announcer has reported in lately, a notice that spoken announcements are off (patrons who
rely on hearing their number must then watch the board).

Every text is in all site languages (the board is patron-facing). The board never shows a
patron's need: it reads no need at all.

It follows the store that other processes write: a `Follower` thread polls
`PRAGMA data_version` every 50 ms and re-reads only after a commit, so a new call is on
screen within one poll plus one frame. `kiosk board --speak` also runs the announcer in a
thread of this process, with its own store connection; the board never waits for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Digits, Static

from kiosk import clock as clk
from kiosk import views
from kiosk.announcer import Announcer
from kiosk.config import Settings
from kiosk.i18n import board_languages, both, localized
from kiosk.rows import Call, ServiceOutlook
from kiosk.store import Store
from kiosk.ui import themes
from kiosk.ui.blocks import ARROW, NONE, Scale, bitmap, bitmap_size, draw, fit, join_bitmaps
from kiosk.ui.store_thread import Fresh, follow

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


# -- widgets -----------------------------------------------------------------------------


class CallTile(Widget):
    """One call: the ticket label, an arrow and the counter number in block letters, as large
    as the tile allows (side by side, or the counter under the label when that is larger);
    a caption over each part and the call in plain words under them."""

    DEFAULT_CSS = """
    CallTile { height: 1fr; width: 1fr; }
    """

    def __init__(self, settings: Settings, caption_key: str, *, big_counter: bool = True,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.settings = settings
        self.languages = board_languages(settings)
        self.caption_key = caption_key
        self.big_counter = big_counter
        """False: only the label in block letters, the counter in words under it (the
        smaller tiles of other open calls)."""
        self.call: Call | None = None

    def show(self, call: Call | None) -> None:
        if call != self.call:
            self.call = call
            self.refresh()

    def counter_name(self, counter: int) -> str:
        try:
            return localized(self.settings.counter(counter).name, self.languages)
        except KeyError:  # a counter since removed from config
            return f"{both(self.languages, 'call.counter')} {counter}"

    def plain(self) -> str:
        """The call in words, as the last-calls list says it too."""
        if self.call is None:
            return both(self.languages, "board.no_calls")
        text = f"{self.call.label} → {self.counter_name(self.call.counter)}"
        if self.call.recall:
            text += f"  ({both(self.languages, 'board.again')})"
        return text

    @property
    def scale(self) -> Scale:
        """The scale the block letters are drawn at now (false: plain words only)."""
        return self._layout()[1]

    def _parts(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        assert self.call is not None
        return bitmap(self.call.label), join_bitmaps([ARROW, bitmap(str(self.call.counter))])

    def _layout(self) -> tuple[str, Scale, bool]:
        """(arrangement, scale, with words) for the current size.

        Arrangements: "side" (label, arrow, counter on one line), "stacked" (the arrow and
        counter under the label), "label" (small tiles: the counter in words only). The
        tallest letters win, then the widest; at equal scale, with words (a caption line
        above, the call in plain words below) rather than without, and side by side rather
        than stacked."""
        if self.call is None:
            return "plain", NONE, True
        width, height = self.content_size
        label, pointer = self._parts()
        if not self.big_counter:
            return "label", fit([label], width, height - 1), True
        best: tuple[str, Scale, bool] = ("plain", NONE, True)
        for words in (True, False):
            extra = 2 if words else 0
            for mode, blocks in (("side", [join_bitmaps([label, pointer])]),
                                 ("stacked", [label, pointer])):
                scale = fit(blocks, width, height - extra)
                if scale > best[1]:
                    best = (mode, scale, words)
        return best

    def render(self) -> Text:
        width, height = self.content_size
        mode, scale, words = self._layout()
        lines: list[Text] = []
        if not scale or self.call is None:
            lines.append(_centred(self.plain(), width, "bold"))
        else:
            label, pointer = self._parts()
            caption = both(self.languages, self.caption_key)
            where = both(self.languages, "call.counter")
            if mode == "side":
                row = join_bitmaps([label, pointer])
                left = max(0, (width - bitmap_size(row, scale)[0]) // 2)
                right = left + (len(label[0]) + 3) * scale.wide
                if words:
                    lines.append(_captions(width, [(left, caption), (right, where)]))
                lines.extend(_drawn(row, scale, width))
            else:
                if words and mode == "stacked":
                    lines.append(_centred(caption, width, "bold"))
                lines.extend(_drawn(label, scale, width))
                if mode == "stacked":
                    lines.append(Text())
                    lines.extend(_drawn(pointer, scale, width))
            if words:
                lines.append(_centred(self.plain(), width, "bold"))
        out = Text(no_wrap=True, overflow="crop")
        out.append("\n" * max(0, (height - len(lines)) // 2))
        out.append(Text("\n").join(lines))
        return out


def _drawn(dots: Sequence[str], scale: Scale, width: int) -> list[Text]:
    """Block letters centred in `width`."""
    left = " " * max(0, (width - bitmap_size(dots, scale)[0]) // 2)
    return [Text(left + line) for line in draw(dots, scale)]


def _centred(words: str, width: int, style: str = "") -> Text:
    text = Text(" " * max(0, (width - len(words)) // 2) + words, style=style)
    text.truncate(width, overflow="ellipsis")
    return text


def _captions(width: int, parts: Sequence[tuple[int, str]]) -> Text:
    """One line with each caption starting at its column (or after the previous one)."""
    text = Text(style="bold")
    for column, words in parts:
        gap = column - len(text.plain)
        text.append(" " * (gap if gap > 0 else (2 if text.plain else 0)))
        text.append(words)
    text.truncate(width)
    return text


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
        if not self.is_running:
            # Shutting down: the screens' widgets may already be gone (a read posted just
            # before the app began to close would otherwise fail to find them).
            return
        if message.data is None:
            self.error = message.error
            self.log.error(f"board: cannot read the store: {message.error}")
            return
        self.error = None
        self.show(message.data)

    def show(self, data: views.BoardView) -> None:
        previous = self.data
        self.data = data
        newest = data.calls[0] if data.calls else None
        hero = self.query_one("#hero", CallTile)
        hero.show(newest)
        hero.set_class(newest is not None, "-newest")
        others = [c for c in data.calls[1:] if c.open][:ALSO]
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
        self.query_one("#notice").display = not data.announcements_on
        self._tick()
        fresh = newest is not None and (
            previous is None or not previous.calls or previous.calls[0] != newest)
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
            text.append(("▶ " if n == 0 else "  ") + line, "bold" if n == 0 else "")
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
                          self._estimate(line.estimated_wait_min))
        return table

    def _estimate(self, minutes: int | None) -> str:
        if minutes is None:
            return both(self.languages, "board.wait_none")
        if minutes == 0:
            return both(self.languages, "board.wait_under_5")
        return both(self.languages, "board.wait_about", minutes=minutes)


def run(settings: Settings, *, speak: bool = False, clock: clk.Clock | None = None) -> None:
    """`kiosk board [--speak]`: the board in this terminal (or, under textual-serve, a tab)."""
    clock = clock or clk.SystemClock()
    announcer = Announcer(settings, clock=clock) if speak else None
    BoardApp(settings, clock=clock, announcer=announcer).run()
