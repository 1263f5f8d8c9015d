"""A call tile: the ticket label, an arrow and the counter number in block letters, as large
as the tile allows, with the call in plain words."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from kiosk.config import Settings
from kiosk.i18n import board_languages, both, localized
from kiosk.rows import Call
from kiosk.ui.blocks import ARROW, NONE, Scale, bitmap, bitmap_size, draw, fit, join_bitmaps

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
