"""What every patron screen shares: the keypad map, the input guard, the toolbar, moving
the focus ring, speaking on appearance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from kiosk.config import VOLUME_STEPS
from kiosk.i18n import t
from kiosk.ui.latency import find
from kiosk.ui.patron.widgets import Choice, Targets

if TYPE_CHECKING:
    from kiosk.ui.patron.app import PatronApp


# -- keys --------------------------------------------------------------------------------

KEYS: dict[str, str] = {
    **{str(n): str(n) for n in range(10)},
    # NumLock off: the navigation keys printed under the digits.
    "end": "1", "pagedown": "3", "kp_begin": "5", "home": "7", "pageup": "9", "insert": "0",
    "asterisk": "contrast", "multiply": "contrast",
    "plus": "louder", "add": "louder", "equals_sign": "louder",
    "minus": "softer", "subtract": "softer",
    "backspace": "back", "delete": "back", "full_stop": "back", "decimal": "back",
    "comma": "back", "separator": "back",
    "up": "up", "down": "down", "left": "left", "right": "right",
    "enter": "enter",
    "slash": "staff", "divide": "staff",
}
"""Textual key name -> what it means on the kiosk. Everything else is ignored."""

STAFF_TAPS = 5
STAFF_WINDOW_S = 4.0
EXIT_TRIES = 5
"""Wrong PINs in a row at the kiosk's exit before it rests for EXIT_LOCK_S."""
EXIT_LOCK_S = 60.0
STORE_REST_S = 15.0
"""After a store fault the welcome screen says tickets cannot be made for this long, then
offers them again (a patron's touch is the retry; nothing was made the first time)."""
STORE_MIN_REST_S = 5.0
"""...or sooner, from this long after the fault, once a full or read-only disk or a removed
file is seen put right (the trouble poll asks the store without writing)."""
"""The staff gesture: five taps on the site name (or five `/`) within four seconds."""
TICKET_DISMISS_S = 2.0
"""A touch dismisses the ticket screen only after this long: a second tap of the choosing
finger must not wipe the number before it has been seen and heard."""
TICK_S = 0.1

Spoken = str | tuple[str, str]
"""A part of what a screen says: words in the language on screen, or (words, language)."""

TAP_SLOP = (4, 2)
"""A tap this close (cells across, rows down) to the one before is "the same place"."""


@dataclass(frozen=True)
class Press:
    """One input the patron made: a key (by what it means on the keypad) or a tap (where)."""

    kind: str
    """"key" or "tap"."""
    key: str = ""
    x: int = 0
    y: int = 0

    def same_as(self, other: Press | None) -> bool:
        """The same key again, or a tap at about the same place (a trembling second press)."""
        if other is None or other.kind != self.kind:
            return False
        if self.kind == "key":
            return self.key == other.key
        return abs(self.x - other.x) <= TAP_SLOP[0] and abs(self.y - other.y) <= TAP_SLOP[1]


class KioskScreen(Screen[None]):
    """Shared behaviour: the keypad map, the input guard, speaking on appearance."""

    app: PatronApp

    TOOLBAR: ClassVar[tuple[str, ...]] = ("lang", "repeat", "contrast", "softer", "louder")
    DIGITS_ONLY: ClassVar[bool] = False
    """True where 0 and 9 are plain digits too (the staff PIN, a check-in code)."""
    KEYMAP: ClassVar[dict[str, str]] = {}
    """This screen's own meanings of some keys, over KEYS (the check-in's `-` deletes a
    digit); a meaning the shared handler does not know goes to `key_other`."""

    def _toolbar_items(self) -> dict[str, tuple[str, str]]:
        """Toolbar name -> (its key, its words in the language on screen)."""
        lang = self.app.lang
        items = {
            "back": ("⟵", t(lang, "common.back")),
            "done": ("✔", t(lang, "kiosk.done")),
            "print": ("🧾", t(lang, "ticket.print_again")),
            "lang": ("9", t(lang, "language.switch")),
            "repeat": ("0", t(lang, "common.repeat")),
            "contrast": ("*", t(lang, "common.contrast")),
            "softer": ("-", t(lang, "common.softer")),
            "louder": ("+", t(lang, "common.louder")),
        }
        if len(self.app.settings.site.languages) < 2:
            del items["lang"]
        return {name: items[name] for name in self.TOOLBAR if name in items}

    def compose_toolbar(self) -> ComposeResult:
        items = self._toolbar_items()
        with Targets(id="toolbar", classes=f"tools-{len(items)}"):
            for name, (number, label) in items.items():
                yield Choice(name, label, number=number, id=f"tool-{name}", classes="tool")

    def relabel_toolbar(self) -> None:
        """The toolbar's words in the language on screen, without composing it again."""
        for name, (_number, label) in self._toolbar_items().items():
            find(self, f"#tool-{name}", Choice).set_text(label, spoken=label)

    def compose_prompt(self, prompt_key: str, hint_key: str, *, prompt_id: str = "question",
                       hint_id: str = "hint") -> ComposeResult:
        """The screen's question and the hint under it, in the language on screen."""
        lang = self.app.lang
        yield Static(t(lang, prompt_key), id=prompt_id, classes="prompt", markup=False)
        yield Static(t(lang, hint_key), id=hint_id, classes="hint", markup=False)

    def speech(self) -> list[Spoken]:
        """What this screen says when it appears and on `0`: each part in the language on
        screen, or (text, language)."""
        return []

    def tick(self, left: float) -> None:
        """Ten times a second while the screen has a deadline: `left` seconds to go."""

    def on_screen_resume(self) -> None:
        self.app.screen_shown(self)

    def deadline(self) -> tuple[float, Callable[[], None]] | None:
        """(seconds from now, what then) after the last input, or None."""
        return None

    def after_drawn(self) -> None:
        """Once the screen, having appeared, has been drawn (after its prompt is spoken)."""

    # input ------------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        meaning = self.KEYMAP.get(event.key, KEYS.get(event.key))
        if event.key in ("tab", "shift+tab"):
            self.app.touched()
            self.app.after_focus_move()
            return  # the screen's own bindings move the focus
        event.stop()
        event.prevent_default()
        if meaning is None:  # a key this kiosk has no use for: say how it is used
            if self.app.accept_input():
                self.help()
            return
        if not self.app.accept_input(Press("key", meaning)):
            return
        if meaning == "staff":
            self.app.staff_tap()
            return
        if self.DIGITS_ONLY and meaning.isdigit():
            self.key_digit(int(meaning))
            return
        self.app.voice.stop()
        if meaning in ("up", "down", "left", "right"):
            self.move_focus(meaning)
        elif meaning == "enter":
            focused = self.focused
            if isinstance(focused, Choice):
                self.choose(focused.value)
            else:
                self.key_enter()
        elif meaning == "0":
            self.app.speak(self)
        elif meaning == "9" and len(self.app.settings.site.languages) > 1:
            self.app.switch_language()
        elif meaning in ("contrast", "louder", "softer"):
            self.choose(meaning)
        elif meaning == "back":
            self.key_back()
        elif meaning.isdigit():
            self.key_digit(int(meaning))
        else:
            self.key_other(meaning)

    def on_choice_chosen(self, message: Choice.Chosen) -> None:
        message.stop()
        at = message.at
        press = None if at is None else Press("tap", x=at[0], y=at[1])
        if not self.app.accept_input(press):
            return
        self.app.voice.stop()
        self.choose(message.choice.value)

    def choose(self, value: str) -> None:
        app = self.app
        if value == "lang":
            app.switch_language()
        elif value == "repeat":
            app.speak(self)
        elif value == "contrast":
            app.toggle_contrast()
        elif value in ("louder", "softer"):
            app._adjusted = True
            (app.voice.volume_up if value == "louder" else app.voice.volume_down)()
            app.say([t(app.lang, "common.volume_step", step=app.voice.volume,
                       steps=VOLUME_STEPS)])
        elif value == "back":
            self.key_back()

    def help(self) -> None:
        """Said for a key the screen has no use for: the screen's words again, which say
        which keys it takes (a patron who cannot see learns the keypad by trying it)."""
        self.app.speak(self)

    def key_digit(self, digit: int) -> None:
        self.help()

    def key_back(self) -> None:
        pass

    def key_enter(self) -> None:
        self.help()

    def key_other(self, meaning: str) -> None:
        """A meaning from this screen's KEYMAP that the shared handler does not act on."""
        self.help()

    def move_focus(self, direction: str) -> None:
        choices = [w for w in self.query(Choice) if w.display and w.focusable]
        if not choices:
            return
        current = self.focused
        if not isinstance(current, Choice) or current not in choices:
            choices[0].focus()
        else:
            target = _nearest(current, choices, direction)
            if target is not None:
                target.focus()
        self.app.after_focus_move()


def _nearest(current: Widget, choices: list[Choice], direction: str) -> Choice | None:
    """The closest choice in a direction, preferring those within 45 degrees of it; wraps
    to the next/previous choice in order when nothing lies that way."""
    here = current.region.center
    cone: list[tuple[float, Choice]] = []
    wide: list[tuple[float, Choice]] = []
    for choice in choices:
        if choice is current:
            continue
        there = choice.region.center
        dx, dy = there[0] - here[0], there[1] - here[1]
        # Cells are about twice as tall as wide: weigh rows double.
        ahead = {"up": -2 * dy, "down": 2 * dy, "left": -dx, "right": dx}[direction]
        side = abs(dx) if direction in ("up", "down") else 2 * abs(dy)
        if ahead <= 0:
            continue
        (cone if side <= ahead else wide).append((ahead + 2 * side, choice))
    for group in (cone, wide):
        if group:
            return min(group, key=lambda pair: pair[0])[1]
    index = choices.index(current)  # type: ignore[arg-type]
    step = 1 if direction in ("down", "right") else -1
    return choices[(index + step) % len(choices)]
