"""What the staff console and the lobby board share: bilingual text, the ticket label in block
letters scaled to the space it has, and the threads that talk to the store.

Store access never runs on the UI's event loop, and one `Store` (one sqlite connection) is
only ever used by the thread that opened it:

- `Follower` is a thread with its own Store that polls `PRAGMA data_version` several times a
  second (a read of a counter in shared memory, microseconds) and, only when another
  connection has committed (or every `every_s`, for what ages by itself: oldest waits, the
  announcer's heartbeat), reads what the screen shows and posts it to the app as a message.
- `StoreThread` is one worker thread with its own Store for the staff console's actions; its
  commits move the Follower's data_version like anyone else's, so the screen refreshes itself.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

import pyfiglet
from rich.text import Text
from textual.app import App
from textual.message import Message
from textual.widget import Widget

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.i18n import t
from kiosk.store import Store

T = TypeVar("T")

# -- words -------------------------------------------------------------------------------


def board_languages(settings: Settings) -> list[str]:
    """The board speaks to every patron: all site languages, in config order."""
    return list(dict.fromkeys(settings.site.languages))


def staff_languages(settings: Settings) -> list[str]:
    """The staff console: the site's first language, with English beside it."""
    return list(dict.fromkeys([settings.default_language, "en"]))


def both(languages: Sequence[str], key: str, sep: str = " / ", **values: object) -> str:
    """A catalogue message in each language, joined; said once when the languages agree."""
    return sep.join(dict.fromkeys(t(lang, key, **values) for lang in languages))


def localized(names: dict[str, str], languages: Sequence[str], sep: str = " / ") -> str:
    """A config name ({"id": ..., "en": ...}) in each language that has one, joined."""
    return sep.join(dict.fromkeys(names[lang] for lang in languages if lang in names))


# -- the announcers ---------------------------------------------------------------------


def announcers(store: Store) -> list[dict[str, Any]]:
    """Every announcer's heartbeat (`kiosk.announcer.announcer_state`: on, state, detail...),
    with its name, by name. Screens say announcements are on when any of them is."""
    from kiosk.announcer import DEVICE_KIND, announcer_state

    prefix = f"{DEVICE_KIND}:"
    names = sorted(row["name"].removeprefix(prefix) for row in store.devices().values()
                   if row["kind"] == DEVICE_KIND and row["name"].startswith(prefix))
    return [{"name": name, **announcer_state(store, name)} for name in names]


# -- block letters that grow with the space they have -------------------------------------

BITMAP_FONT = "banner"
"""A FIGlet font drawn with one character per dot (7 dots high): a bitmap to scale."""

ARROW = (
    "    #    ",
    "     #   ",
    "      #  ",
    "#########",
    "      #  ",
    "     #   ",
    "    #    ",
)
"""A right arrow on the same 7-dot grid, between a ticket and its counter."""


@cache
def bitmap(text: str) -> tuple[str, ...]:
    """`text` as rows of dots ("#" = ink), 7 rows, all the same width, no blank margins."""
    drawn = pyfiglet.figlet_format(text, font=BITMAP_FONT, width=10_000)
    rows = [row.rstrip() for row in drawn.split("\n")]
    rows = [row for row in rows if row.strip()] or [""]
    width = max(len(row) for row in rows)
    return tuple(row.ljust(width) for row in rows)


def join_bitmaps(parts: Sequence[tuple[str, ...]], gap: int = 3) -> tuple[str, ...]:
    """Bitmaps side by side, `gap` dots apart, aligned at the top."""
    height = max(len(p) for p in parts)
    padded = [tuple(p) + (" " * len(p[0]),) * (height - len(p)) for p in parts]
    spacer = " " * gap
    return tuple(spacer.join(p[row] for p in padded) for row in range(height))


MAX_STRETCH = 1.5
"""How much taller than wide a dot may be drawn: letters grow into height a screen has to
spare (a condensed face reads well; beyond about 1.5 letters start to look squeezed)."""


@dataclass(frozen=True, order=True)
class Scale:
    """How big block letters are drawn: `tall` first, so comparing two scales compares the
    height of the letters (what makes a number readable from across a room)."""

    tall: int
    """Half-cells per dot, downwards (`wide` of them is square on 1:2 cells)."""
    wide: int
    """Cells per dot, across."""

    def __bool__(self) -> bool:
        return self.wide > 0


NONE = Scale(0, 0)


def bitmap_size(dots: Sequence[str], scale: Scale | int) -> tuple[int, int]:
    """(columns, rows) of a bitmap drawn with half blocks at `scale` (an int: square dots)."""
    scale = scale if isinstance(scale, Scale) else Scale(scale, scale)
    return len(dots[0]) * scale.wide, -(-len(dots) * scale.tall // 2)


def fit_scale(dots: Sequence[str], width: int, height: int, most: int = 40) -> int:
    """The largest square scale at which the bitmap fits in width x height cells (0: none)."""
    scale = 0
    while scale < most:
        cols, rows = bitmap_size(dots, scale + 1)
        if cols > width or rows > height:
            break
        scale += 1
    return scale


def fit(blocks: Sequence[Sequence[str]], width: int, height: int) -> Scale:
    """The largest scale for bitmaps stacked one under the other (a blank row between), all
    at the same scale: as wide as fits, then as tall as fits up to MAX_STRETCH."""
    if not blocks:
        return NONE
    gaps = len(blocks) - 1

    def rows(tall: int) -> int:
        return sum(bitmap_size(b, Scale(tall, 1))[1] for b in blocks) + gaps

    widest = max(len(b[0]) for b in blocks)
    wide = width // widest if widest else 0
    while wide and rows(wide) > height:
        wide -= 1
    if not wide:
        return NONE
    tall = wide
    while tall + 1 <= wide * MAX_STRETCH and rows(tall + 1) <= height:
        tall += 1
    return Scale(tall, wide)


_HALF = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def draw(dots: Sequence[str], scale: Scale | int) -> list[str]:
    """The bitmap at `scale` (an int: square dots), as lines of half-block characters."""
    scale = scale if isinstance(scale, Scale) else Scale(scale, scale)
    tall = [row for row in dots for _ in range(scale.tall)]
    if len(tall) % 2:
        tall.append(" " * len(dots[0]))
    lines = []
    for top, bottom in zip(tall[0::2], tall[1::2], strict=True):
        lines.append("".join(
            _HALF[(a != " ", b != " ")] * scale.wide for a, b in zip(top, bottom, strict=True)
        ))
    return lines


class BigText(Widget):
    """Text in block letters, as large as the widget's size allows (plain bold text when even
    the smallest block letters do not fit). The text stays readable by tools: `text`."""

    DEFAULT_CSS = """
    BigText { height: 1fr; width: 1fr; content-align: center middle; }
    """

    def __init__(self, text: str = "", *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.text = text

    def update(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    @property
    def scale(self) -> Scale:
        """The scale the text is drawn at now (false: plain text)."""
        if not self.text.strip():
            return NONE
        return fit([bitmap(self.text)], self.content_size.width, self.content_size.height)

    def render(self) -> Text:
        scale = self.scale
        if not scale:
            return Text(self.text, style="bold", no_wrap=True, overflow="ellipsis",
                        justify="center")
        return Text("\n".join(draw(bitmap(self.text), scale)), no_wrap=True, justify="center")


# -- the store, off the event loop ---------------------------------------------------------


class Fresh(Message, Generic[T]):
    """What the follower read after a change; `error` when the read failed."""

    def __init__(self, data: T | None, error: str | None = None) -> None:
        super().__init__()
        self.data = data
        self.error = error


class Follower(Generic[T]):
    """A thread with its own Store: read(store) after every commit anyone makes (polled
    through data_version every `poll_s`) or every `every_s`, posted to `app` as `Fresh`."""

    def __init__(
        self,
        app: App[Any],
        settings: Settings,
        clock: clk.Clock,
        read: Callable[[Store], T],
        *,
        poll_s: float = 0.05,
        every_s: float = 2.0,
        name: str = "kiosk-follower",
    ) -> None:
        self.app = app
        self.settings = settings
        self.clock = clock
        self.read = read
        self.poll_s = poll_s
        self.every_s = every_s
        self._stop = threading.Event()
        self._poke = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.reads = 0
        """How many reads were delivered (tests, diagnosis)."""

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        """Read again at the next poll, changed or not."""
        self._poke.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        store: Store | None = None
        seen: int | None = None
        due = 0.0
        while not self._stop.is_set():
            try:
                if store is None:
                    store = Store(self.settings, clock=self.clock)
                version = store.data_version()
                now = time.monotonic()
                if version != seen or now >= due or self._poke.is_set():
                    self._poke.clear()
                    seen, due = version, now + self.every_s
                    data = self._consistent_read(store)
                    self.reads += 1
                    self._post(Fresh(data))
            except Exception as exc:  # a locked or broken store must not end the follower
                self._post(Fresh(None, f"{type(exc).__name__}: {exc}"))
                if store is not None:
                    store.close()
                store, seen = None, None
                self._stop.wait(1.0)
            self._stop.wait(self.poll_s)
        if store is not None:
            store.close()

    def _consistent_read(self, store: Store) -> T:
        """All of one read from one snapshot of the file (a deferred, read-only transaction:
        it never takes the write lock, and WAL lets writers go on meanwhile)."""
        store.conn.execute("BEGIN")
        try:
            return self.read(store)
        finally:
            store.conn.execute("COMMIT")

    def _post(self, message: Fresh[T]) -> None:
        try:
            self.app.post_message(message)
        except RuntimeError:  # the app's loop has closed: we are stopping anyway
            self._stop.set()


class StoreThread:
    """One worker thread that owns one Store; `await run(fn, ...)` calls fn(store, ...) there,
    one call at a time, in order."""

    def __init__(self, settings: Settings, clock: clk.Clock, name: str = "kiosk-store") -> None:
        self.settings = settings
        self.clock = clock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._store: Store | None = None

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        if self._store is None:
            self._store = Store(self.settings, clock=self.clock)
        return fn(self._store, *args, **kwargs)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._call, fn, args, kwargs)

    def close(self) -> None:
        def shut() -> None:
            if self._store is not None:
                self._store.close()
                self._store = None

        self._pool.submit(shut).result(timeout=10)
        self._pool.shutdown(wait=True)
