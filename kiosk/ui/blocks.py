"""Block letters that grow with the space they have: a ticket label (and an arrow and a
counter number) drawn with half-block characters, as large as a widget allows.

The board's call tiles and the staff console's current ticket use them; the patron kiosk's
ticket number uses its own thicker font (kiosk/ui/patron/widgets.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import pyfiglet
from rich.text import Text
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
