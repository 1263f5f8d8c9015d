"""Block letters that grow with the space they have: a ticket label (and an arrow and a
counter number) drawn with half-block characters, as large as a widget allows.

The board's call tiles, the staff console's current ticket and the patron kiosk's ticket
number use them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import pyfiglet
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

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


def layouts(text: str) -> list[tuple[str, ...]]:
    """The ways a label may be drawn: on one line, and (a ticket label such as "A001") as its
    letters over its digits, which on a narrow, tall screen is drawn twice as large."""
    found = [(text,)]
    split = re.fullmatch(r"([A-Za-z]+)(\d+)", text)
    if split:
        found.append((split[1], split[2]))
    return found


def best_fit(text: str, width: int, height: int) -> tuple[tuple[str, ...], Scale]:
    """The layout of `text` (see `layouts`) whose letters are drawn tallest in width x height
    cells, and its scale (the first layout on a tie: one line reads best)."""
    best: tuple[tuple[str, ...], Scale] = ((text,), NONE)
    for lines in layouts(text):
        scale = fit([bitmap(line) for line in lines], width, height)
        if scale > best[1]:
            best = (lines, scale)
    return best


def draw_lines(lines: Sequence[str], scale: Scale) -> list[str]:
    """Each line's bitmap drawn at `scale`, one under the other with a blank row between,
    each centred on the widest."""
    blocks = [draw(bitmap(line), scale) for line in lines]
    width = max(len(block[0]) for block in blocks)
    drawn: list[str] = []
    for n, block in enumerate(blocks):
        if n:
            drawn.append(" " * width)
        drawn.extend(row.center(width) for row in block)
    return drawn


class BigText(Widget):
    """Text in block letters, as large as the widget's size allows (plain bold text when even
    the smallest block letters do not fit). A ticket label may be drawn on two lines where
    that makes it larger (`layouts`). The text stays readable by tools: `text`."""

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

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """With `height: auto`, as tall as the letters drawn in the container's height less
        two rows (a heading and a line under it, as on the ticket screen)."""
        if not self.text.strip():
            return 1
        lines, scale = best_fit(self.text, width, max(container.height - 2, 1))
        return len(draw_lines(lines, scale)) if scale else 1

    @property
    def layout_now(self) -> tuple[tuple[str, ...], Scale]:
        """The lines and the scale the text is drawn at now (a false scale: plain text)."""
        if not self.text.strip():
            return (self.text,), NONE
        return best_fit(self.text, self.content_size.width, self.content_size.height)

    @property
    def scale(self) -> Scale:
        return self.layout_now[1]

    def render(self) -> Text:
        lines, scale = self.layout_now
        if not scale:
            return Text(self.text, style="bold", no_wrap=True, overflow="ellipsis",
                        justify="center")
        return Text("\n".join(draw_lines(lines, scale)), no_wrap=True, justify="center")
