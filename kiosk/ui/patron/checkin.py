"""The appointment check-in (design §14, issue 26 point 3): the booking's six-digit code typed
on the keypad or tapped on the screen's digit targets; the ticket then, as for any patron.

The keys differ from the other screens because a code may hold any digit ("090210"): `0`–`9`
type, so neither `0` (repeat) nor `9` (the other language) is free here; their toolbar
buttons stay, and Enter with fewer than six digits says the screen again with how many are
typed. Enter with six checks in; `-` (the numpad's minus) or Backspace deletes the last
digit (Backspace with nothing typed goes back); `.`/Delete goes back to the welcome screen,
as on every screen; `*` and `+` keep their meaning. With NumLock off a numpad sends arrows
from 2, 4, 6 and 8: here they type those digits, so a code can be typed whatever the
NumLock light says (Tab still moves the focus ring over the targets).

A refusal is one plain sentence (kiosk.i18n.refusal_text), shown in the alert banner and
spoken, with the entry cleared for another try. Too early: the sentence and two choices, a
walk-in ticket now (the service's own flow: the priority question) or back to the start.
Too many wrong codes at this kiosk: the digits are disabled and the banner counts the wait
down; then the kiosk says the code can be typed again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Static

from kiosk.config import Service
from kiosk.i18n import t
from kiosk.ui.latency import find
from kiosk.ui.patron.base import KioskScreen, Spoken
from kiosk.ui.patron.widgets import Banner, Choice, Targets

CODE_LENGTH = 6
ICON = "📅"
"""The appointment's icon: the welcome screen's choice, this screen, the ticket's line."""
PAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "delete", "0", "confirm")
"""The on-screen targets in a telephone's order: three across on a portrait screen, six
across (two rows) elsewhere, where the rows must leave room for the sentences above."""

PAD_ICONS = {"delete": "⌫", "confirm": "✔"}
WAIT_ICON = "⏳"

Words = Callable[[str], str]
"""A sentence in a given language: kept as a function so a language switch redraws it."""


class CheckInScreen(KioskScreen):
    """Six digits, then the ticket; a refusal said plainly and the entry cleared."""

    TOOLBAR = ("back", "lang", "repeat", "contrast", "softer", "louder")
    DIGITS_ONLY = True
    KEYMAP: ClassVar[dict[str, str]] = {
        "minus": "delete", "subtract": "delete", "backspace": "erase",
        # NumLock off: the arrows are the 8, 2, 4 and 6 keys.
        "up": "8", "down": "2", "left": "4", "right": "6",
    }
    KEYS_TAKEN: ClassVar[tuple[str, ...]] = ("lang", "repeat", "softer")
    """Toolbar buttons whose key (9, 0, -) types or deletes a digit here: shown without it."""

    def __init__(self) -> None:
        super().__init__()
        self.code = ""
        self.busy = False
        """The code is with the store: input waits for its answer."""
        self.message: Words | None = None
        """The sentence in the banner (a refusal, or "type the code again")."""
        self.alert = True
        self.early = False
        """Too early for the slot: the choices are a walk-in ticket or the start."""
        self.walk_in_service: Service | None = None
        """The booked service, whose walk-in flow the early patron may take."""
        self.slowed_until: float | None = None
        """Too many wrong codes: no digit is taken until then (the kiosk's monotonic time)."""
        self._shown_seconds = 0

    # -- drawing ----------------------------------------------------------------------------

    def _toolbar_items(self) -> dict[str, tuple[str, str]]:
        items = super()._toolbar_items()
        return {name: ("" if name in self.KEYS_TAKEN else key, label)
                for name, (key, label) in items.items()}

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        with Vertical(id="header"):
            yield Static(f"{ICON}  {t(lang, 'checkin.choice')}", id="chosen", markup=False)
            yield from self.compose_prompt("checkin.prompt", "checkin.keys_hint")
            with Center(id="code-row"):
                yield Static(self._code_text(), id="code", markup=False)
            yield Banner(id="checkin-message", classes="alert")
        with Targets(id="codepad"):
            for key in PAD:
                yield self._pad_target(key)
        with Targets(id="early", classes="choices"):
            service = self.walk_in_service
            yield Choice("walk_in", t(lang, "checkin.walk_in"), number="1",
                         icon=service.icon if service is not None else "",
                         detail=service.name[lang] if service is not None else "",
                         spoken=t(lang, "welcome.spoken_option", n=1,
                                  name=t(lang, "checkin.walk_in")),
                         id="walk-in", classes="early")
            yield Choice("start", t(lang, "checkin.start_again"), number="2", icon="⟵",
                         spoken=t(lang, "welcome.spoken_option", n=2,
                                  name=t(lang, "checkin.start_again")),
                         id="start-again", classes="early")
        yield from self.compose_toolbar()

    def _pad_target(self, key: str) -> Choice:
        lang = self.app.lang
        if key == "delete":
            return Choice("delete", t(lang, "checkin.delete"), number="-",
                          icon=PAD_ICONS["delete"], id="pad-delete", classes="pad")
        if key == "confirm":
            return Choice("confirm", t(lang, "checkin.confirm"), icon=PAD_ICONS["confirm"],
                          id="pad-confirm", classes="pad")
        return Choice(f"digit:{key}", key, id=f"digit-{key}", classes="pad -digit")

    def _code_text(self) -> str:
        """The digits typed so far and a mark for each still to come, spaced to be read."""
        marks = list(self.code) + ["_"] * (CODE_LENGTH - len(self.code))
        return "   ".join(marks)

    def on_mount(self) -> None:
        self.show_state()

    def show_state(self) -> None:
        """Everything that changes without composing again: the code, the banner, which
        targets are shown and whether the digits can be used now."""
        lang = self.app.lang
        find(self, "#code", Static).update(self._code_text())
        find(self, "#code-row", Center).display = not self.early
        find(self, "#question", Static).display = not self.early
        find(self, "#hint", Static).update(
            t(lang, "checkin.early_hint" if self.early else "checkin.keys_hint"))
        find(self, "#codepad", Targets).display = not self.early
        find(self, "#early", Targets).display = self.early
        banner = find(self, "#checkin-message", Banner)
        text = self._message_text()
        banner.show(("⚠" if self.alert else "✔") if text else "", text)
        banner.set_class(self.alert, "alert")
        waiting = self._slowed_left() > 0
        for choice in self.query(".pad").results(Choice):
            # Waiting is a shape too (never colour alone): an hourglass on every target.
            choice.icon = WAIT_ICON if waiting else PAD_ICONS.get(choice.value, "")
            choice.set_text(choice.label, available=not waiting)

    def _message_text(self) -> str:
        left = self._slowed_left()
        if left > 0:
            return t(self.app.lang, "checkin.refused.slowed", seconds=math.ceil(left))
        return self.message(self.app.lang) if self.message is not None else ""

    # -- speech -----------------------------------------------------------------------------

    @property
    def private(self) -> bool:
        """The voice is in the patron's headset, so nobody else hears it."""
        return bool(getattr(self.app.voice, "private", False))

    def speech(self) -> list[Spoken]:
        """The sentence of the moment (a refusal, the wait), then what to do: the code's
        prompt and keys, with how much is typed; or, too early, the two choices."""
        lang = self.app.lang
        parts: list[Spoken] = []
        message = self._message_text()
        if message:
            parts.append(message)
        if self.early:
            parts += [t(lang, "welcome.spoken_option", n=1, name=t(lang, "checkin.walk_in")),
                      t(lang, "welcome.spoken_option", n=2,
                        name=t(lang, "checkin.start_again")),
                      t(lang, "checkin.early_hint")]
            return parts
        parts += [t(lang, "checkin.prompt"), t(lang, "checkin.keys_hint")]
        if self.code:
            parts.append(t(lang, "checkin.incomplete", n=len(self.code), total=CODE_LENGTH))
            if self.private:
                parts.append(self._code_words())
        return parts

    def _code_words(self) -> str:
        return t(self.app.lang, "checkin.code_private", digits=" ".join(self.code))

    def _typed_words(self, digit: str) -> list[Spoken]:
        """What a typed digit says. On the lobby's speaker only its place ("Digit 3 of 6"),
        never the digit. The screen is read by the one patron standing at it, the speaker
        by the whole lobby; and the code is all it takes to check the booking in: whoever
        hears it before the patron presses Enter can type it first at another kiosk and
        take the ticket and its place. ATMs do the same for a PIN (ADA 707.5 allows tones
        instead of speech for what is kept private); the count still tells a patron who
        cannot see that the press was taken and how far they are. In a headset
        (voice.private) only the patron hears, so the digit is said too and, at six, the
        whole code is read back: the one way to check it without sight."""
        lang = self.app.lang
        n = len(self.code)
        if self.private:
            parts: list[Spoken] = [t(lang, "checkin.typed_private", digit=digit, n=n,
                                     total=CODE_LENGTH)]
        else:
            parts = [t(lang, "checkin.typed", n=n, total=CODE_LENGTH)]
        if n == CODE_LENGTH:
            if self.private:
                parts.append(self._code_words())
            parts.append(t(lang, "checkin.complete", total=CODE_LENGTH))
        return parts

    # -- input ------------------------------------------------------------------------------

    def key_digit(self, digit: int) -> None:
        if self.early:
            if digit in (1, 2):
                self.choose("walk_in" if digit == 1 else "start")
            else:
                self.help()
            return
        self.choose(f"digit:{digit}")

    def key_other(self, meaning: str) -> None:
        if self.early:
            if meaning == "erase":
                self.key_back()
            else:
                self.help()
        elif meaning == "erase" and not self.code and self._slowed_left() <= 0:
            self.key_back()  # Backspace with nothing to delete: back, as on the PIN pad
        elif meaning in ("erase", "delete"):
            self.choose("delete")
        else:
            self.help()

    def key_enter(self) -> None:
        if self.early:
            self.help()
        else:
            self.choose("confirm")

    def key_back(self) -> None:
        if not self.busy:  # (the store's answer is for this screen)
            self.app.pop_screen()

    def choose(self, value: str) -> None:
        if value == "walk_in" and self.early:
            self.app.walk_in(self.walk_in_service)
        elif value == "start" and self.early:
            self.app.new_patron()
        elif value.startswith("digit:") or value in ("delete", "confirm"):
            self._pad(value)
        else:
            super().choose(value)

    def _pad(self, value: str) -> None:
        if self.busy or self.early:
            return
        lang = self.app.lang
        if self._slowed_left() > 0:  # the wait, said again (with its seconds left)
            self.app.say([self._message_text()])
            return
        if value == "confirm":
            if len(self.code) < CODE_LENGTH:
                self.help()
                return
            self.busy = True
            self.app.check_in(self, self.code)
            return
        if value == "delete":
            if not self.code:
                self.help()
                return
            self.code = self.code[:-1]
            said: list[Spoken] = [t(lang, "checkin.deleted", n=len(self.code),
                                    total=CODE_LENGTH)]
        else:
            if len(self.code) >= CODE_LENGTH:
                self.app.say([t(lang, "checkin.complete", total=CODE_LENGTH)])
                return
            if self.message is not None:  # a new try: the last refusal goes
                self.message = None
            self.code += value.removeprefix("digit:")
            said = self._typed_words(self.code[-1])
        self.show_state()
        self.app.say(said)

    # -- the store's answers (PatronApp.check_in) ---------------------------------------------

    def refused(self, words: Words) -> None:
        """A plain sentence shown and said; the entry cleared for another try."""
        self._answered(words)
        self.app.say([words(self.app.lang)])

    def too_early(self, words: Words, service: Service | None) -> None:
        """The sentence, then the choices: a walk-in ticket now, or back to the start."""
        self._answered(words)
        self.early = True
        self.walk_in_service = service
        walk_in = find(self, "#walk-in", Choice)
        lang = self.app.lang
        walk_in.icon = service.icon if service is not None else ""
        walk_in.set_text(walk_in.label, detail=service.name[lang] if service else "")
        self.show_state()
        self.app.speak(self)

    def slowed(self, wait_s: int) -> None:
        """Too many wrong codes: the digits wait `wait_s` seconds (the banner counts down)."""
        self._answered(None)
        self.slowed_until = self.app.monotonic() + wait_s
        self._shown_seconds = wait_s
        self.show_state()
        self.app.say([self._message_text()])

    def _answered(self, words: Words | None) -> None:
        self.busy = False
        self.code = ""
        self.message = words
        self.alert = True
        self.show_state()

    def _slowed_left(self) -> float:
        if self.slowed_until is None:
            return 0.0
        return max(0.0, self.slowed_until - self.app.monotonic())

    # -- time -------------------------------------------------------------------------------

    def tick(self, left: float) -> None:
        if self.slowed_until is None or not self.is_mounted:
            return
        waiting = self._slowed_left()
        if waiting <= 0:  # usable again: said, and the idle time starts afresh
            self.slowed_until = None
            self.message = lambda lang: t(lang, "checkin.ready")
            self.alert = False
            self.show_state()
            self.app.touched()
            self.app.say([t(self.app.lang, "checkin.ready")])
        elif math.ceil(waiting) != self._shown_seconds:
            self._shown_seconds = math.ceil(waiting)
            self.show_state()

    def deadline(self) -> tuple[float, Callable[[], None]] | None:
        if self.slowed_until is not None:  # waiting is not idling: no "more time?" meanwhile
            return math.inf, self.app.ask_more_time
        return float(self.app.settings.patron.idle_s), self.app.ask_more_time
