"""Widgets of the patron kiosk: big touch targets, the ticket number in block letters, banners.

`Choice` is a focusable block rather than a Textual `Button` because a kiosk target shows a
number, an icon and two lines of words, must change shape (not only colour) when focused,
and must not carry Button's own press debounce and animation: the kiosk has its own input
guard after each screen change.
"""

from __future__ import annotations

from functools import cache

import pyfiglet
from rich.text import Text
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

BIG_FONT = "ansi_shadow"
"""A FIGlet font drawn with full blocks: the thickest strokes, readable with low vision."""


class Choice(Widget, can_focus=True):
    """One touch target: a number (its key), an icon and words. A tap posts `Chosen`;
    the screen maps Enter on the focused choice to the same."""

    COMPONENT_CLASSES = {"choice--number", "choice--detail", "choice--marker"}

    class Chosen(Message):
        """Posted when the patron taps the choice or presses Enter on it."""

        def __init__(self, choice: Choice) -> None:
            super().__init__()
            self.choice = choice

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

    def render(self) -> Text:
        number_style = self.get_component_rich_style("choice--number")
        detail_style = self.get_component_rich_style("choice--detail")
        marker_style = self.get_component_rich_style("choice--marker")
        text = Text(no_wrap=False, overflow="fold")
        # The focus ring is also a shape: a pointer in front of the words, plus the heavy
        # frame from the .tcss, so focus never depends on colour alone.
        text.append("▶ " if self.has_focus else "  ", marker_style)
        if self.number:
            text.append(f"{self.number} ", number_style)
        if self.icon:
            text.append(f"{self.icon} ")
        text.append(self.label, "bold")
        if self.detail:
            text.append("\n")
            text.append("  " + (" " * (len(self.number) + 1) if self.number else ""))
            text.append(self.detail, detail_style)
        return text

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_click(self) -> None:
        self.post_message(self.Chosen(self))


@cache
def _figlet() -> pyfiglet.Figlet:
    return pyfiglet.Figlet(font=BIG_FONT, width=400)  # loading the font is the slow part


@cache
def block_letters(text: str) -> str:
    """`text` drawn in the big block font, trailing blank lines removed."""
    drawn = _figlet().renderText(text)
    lines = [line.rstrip() for line in drawn.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    width = max((len(line) for line in lines), default=0)
    return "\n".join(line.ljust(width) for line in lines)


class BigNumber(Static):
    """The ticket label in block letters: the largest thing on the ticket screen."""

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(block_letters(label), id=id, markup=False)
        self.label = label

    def show(self, label: str) -> None:
        """Draw another label in place (the ticket screen is built once and reused)."""
        self.label = label
        self.update(block_letters(label))


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
