"""The four faces: each a touch target with its key, an emoji, a face drawn in half blocks as
large as the target allows (kiosk.ui.blocks) and its words in every site language.

The face is drawn as well as shown as an emoji: a two-cell emoji is small on a tablet across
the counter, the drawing grows with the target and reads without words or colour.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from rich.text import Text
from textual.events import Click
from textual.message import Message
from textual.widget import Widget

from kiosk.i18n import t
from kiosk.ui.blocks import draw, fit_scale

SCORES = (1, 2, 3, 4)
"""1 unhappy .. 4 very happy (the store's scale)."""
EMOJI = {1: "😞", 2: "😐", 3: "🙂", 4: "😄"}
"""Two cells wide in Textual and in the served terminal's xterm.js, from the emoji face
(tests/test_web_fonts.py checks every symbol of kiosk/ui)."""

_RIM = (
    "   #####   ",
    " ##     ## ",
    "#         #",
    "#         #",
    "#         #",
    "#         #",
    "#         #",
    "#         #",
    "#         #",
    " ##     ## ",
    "   #####   ",
)
_EYES = {3: "   #   #   ", 4: "   #   #   "}
_MARKS: dict[int, dict[int, str]] = {
    1: {**_EYES, 6: "   #####   ", 7: "  #     #  "},
    2: {**_EYES, 6: "  #######  "},
    3: {**_EYES, 6: "  #     #  ", 7: "   #####   "},
    4: {3: "   #   #   ", 4: "  # # # #  ", 6: "  #######  ", 7: "   #####   ",
        8: "    ###    "},
}
"""Eyes and mouth over the rim: a frown, a straight mouth, a smile, a wide grin with happy
eyes."""


def bitmap(score: int) -> tuple[str, ...]:
    """The face for `score` as rows of dots ("#" = ink)."""
    rows = [list(row) for row in _RIM]
    for r, marks in _MARKS[score].items():
        for c, ch in enumerate(marks):
            if ch == "#":
                rows[r][c] = "#"
    return tuple("".join(row) for row in rows)


class Face(Widget):
    """One face to tap. A tap posts `Chosen`; the app maps the keys 1-4 to the same."""

    class Chosen(Message):
        def __init__(self, score: int) -> None:
            super().__init__()
            self.score = score

    def __init__(self, score: int, languages: Sequence[str], *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.languages = list(languages)
        self.score = score
        self.words: list[str] = []
        self.show(score)

    def show(self, score: int) -> None:
        """Be the face for `score` (the thanks screen shows the one chosen)."""
        self.score = score
        self.words = list(dict.fromkeys(t(lang, f"rate.face{score}")
                                        for lang in self.languages))
        """Its words, one per language (said once when two languages agree)."""
        self.refresh()

    def render(self) -> Text:
        width, height = self.content_size.width, self.content_size.height
        words = [textwrap.wrap(word, max(width, 1), break_long_words=False) or [""]
                 for word in self.words]
        room = height - 1 - sum(len(w) for w in words)  # less the key, emoji and words
        dots = bitmap(self.score)
        scale, gap = 0, ""
        for blank in (2, 0):  # a blank row above and below the face, where there is room
            if room - blank > 0 and (scale := fit_scale(dots, width, room - blank)):
                gap = "\n" * (blank // 2)
                break
        text = Text(justify="center", no_wrap=True, overflow="crop")
        text.append(f"{self.score}  {EMOJI[self.score]}", "bold")
        if scale:
            text.append("\n" + gap + "\n".join(draw(dots, scale)) + gap)
        for n, word in enumerate(words):
            for line in word:
                text.append("\n" + line, "bold" if n == 0 else "")
        return text

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(self.Chosen(self.score))
