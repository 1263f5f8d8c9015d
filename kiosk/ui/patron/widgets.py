"""Widgets of the patron kiosk: big touch targets, the ticket number in block letters, banners.

`Choice` is a focusable block rather than a Textual `Button` because a kiosk target shows a
number, an icon and two lines of words, must change shape (not only colour) when focused,
and must not carry Button's own press debounce and animation: the kiosk has its own input
guard after each screen change.
"""

from __future__ import annotations

import textwrap

from rich.cells import cell_len
from rich.text import Text
from textual.containers import Grid
from textual.events import Click
from textual.geometry import Size
from textual.layout import Layout
from textual.layouts.grid import GridLayout
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from kiosk.ui.blocks import BigText


class Choice(Widget, can_focus=True):
    """One touch target: a number (its key), an icon and words. A tap posts `Chosen`;
    the screen maps Enter on the focused choice to the same."""

    COMPONENT_CLASSES = {"choice--number", "choice--detail", "choice--marker"}

    class Chosen(Message):
        """Posted when the patron taps the choice or presses Enter on it."""

        def __init__(self, choice: Choice, at: tuple[int, int] | None = None) -> None:
            super().__init__()
            self.choice = choice
            self.at = at
            """Where on the screen it was tapped (None: Enter)."""

    def __init__(
        self,
        value: str,
        label: str,
        *,
        number: str = "",
        icon: str = "",
        detail: str = "",
        spoken: str = "",
        available: bool = True,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.value = value
        """What the screen acts on (a service prefix, a need code, an action name)."""
        self.label = label
        self.number = number
        self.icon = icon
        self.detail = detail
        self.spoken = spoken or label
        """Said when keyboard focus lands here (never the patron's need: screens decide)."""
        self.available = available
        self.set_class(not available, "-unavailable")

    def set_text(self, label: str, *, detail: str | None = None, spoken: str | None = None,
                 available: bool | None = None) -> None:
        self.label = label
        if detail is not None:
            self.detail = detail
        if spoken is not None:
            self.spoken = spoken
        if available is not None:
            self.available = available
            self.set_class(not available, "-unavailable")
        self.refresh(layout=True)

    def _head(self) -> str:
        """What comes before the words: the focus pointer, the key, the icon."""
        # The focus ring is also a shape: a pointer in front of the words, plus the heavy
        # frame from the .tcss, so focus never depends on colour alone.
        marker = "▶ " if self.has_focus else "  "
        return marker + (f"{self.number} " if self.number else "") + (
            f"{self.icon} " if self.icon else "")

    def _lines(self, width: int) -> tuple[list[str], list[str], int, bool]:
        """(label lines, detail lines, indent, hung) at `width` cells: words wrap whole, under
        the label's first word (a hanging indent), so the key and icon stand out on their
        own; where that leaves too little room, the words start on the next line, under
        the pointer (hung)."""
        indent = cell_len(self._head())
        room = width - indent
        hung = room < 8
        if hung:
            indent, room = 2, max(width - 2, 1)
        label = textwrap.wrap(self.label, room, break_long_words=False,
                              break_on_hyphens=False) or [""]
        detail = textwrap.wrap(self.detail, room, break_long_words=False,
                               break_on_hyphens=False)
        return label, detail, indent, hung

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        label, detail, _indent, hung = self._lines(width)
        return hung + len(label) + len(detail)

    def render(self) -> Text:
        number_style = self.get_component_rich_style("choice--number")
        detail_style = self.get_component_rich_style("choice--detail")
        marker_style = self.get_component_rich_style("choice--marker")
        label, detail, indent, hung = self._lines(self.content_size.width)
        text = Text(no_wrap=True, overflow="fold")
        text.append("▶ " if self.has_focus else "  ", marker_style)
        if self.number:
            text.append(f"{self.number} ", number_style)
        if self.icon:
            text.append(f"{self.icon} ")
        if hung:
            text.append("\n" + " " * indent)
        text.append(label[0], "bold")
        for line in label[1:]:
            text.append("\n" + " " * indent)
            text.append(line, "bold")
        for line in detail:
            text.append("\n" + " " * indent)
            text.append(line, detail_style)
        return text

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_click(self, event: Click) -> None:
        self.post_message(self.Chosen(self, (event.screen_x, event.screen_y)))


class Targets(Grid):
    """A grid of targets in which a row is as tall as its tallest target and every target in
    the row fills it (words wrap to different heights; the frames stay even)."""

    DEFAULT_CSS = """
    Targets { height: auto; grid-rows: auto; }
    """

    def pre_layout(self, layout: Layout) -> None:
        if isinstance(layout, GridLayout):
            layout.stretch_height = True


class BigNumber(BigText):
    """The ticket label in block letters: the largest thing on the ticket screen, grown to
    the space it has (on a portrait screen, letters over digits)."""

    @property
    def label(self) -> str:
        return self.text

    def show(self, label: str) -> None:
        """Draw another label in place (the ticket screen is built once and reused)."""
        self.update(label)


class Banner(Static):
    """A message with an icon and words (never colour alone): trouble, print state."""

    def __init__(self, icon: str = "", text: str = "", *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, markup=False)
        self.show(icon, text)

    def show(self, icon: str, text: str) -> None:
        self.message = text
        self.update(f"{icon}  {text}" if icon else text)
        self.display = bool(text)
