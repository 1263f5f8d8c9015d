"""The console's dialogs: transfer (which service, front or back), reclassify (regular or
a need), pause (back in how long), requeue (which ticket, front or back) and taking over a
counter someone else is signed in at. Digits pick, Enter confirms, Escape cancels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.config import Settings
from kiosk.i18n import both, localized

# -- dialogs -----------------------------------------------------------------------------


class Dialog(ModalScreen[Any]):
    """Digits pick an option, Enter (or a tap on the option) confirms, Escape cancels."""

    BINDINGS: ClassVar[list[Any]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, languages: Sequence[str], title: str, options: Sequence[str]) -> None:
        super().__init__()
        self.languages = languages
        self.title_text = title
        self.options = list(options)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, id="dialog-title", markup=False)
            yield OptionList(*[Option(f"{n}  {text}") for n, text in
                               enumerate(self.options, start=1)], id="options")
            yield from self.compose_body()
            yield Static(both(self.languages, "staff.dialog_hint"), id="dialog-hint",
                         markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button(both(self.languages, "staff.ok"), id="ok", variant="primary")
                yield Button(both(self.languages, "staff.cancel"), id="cancel")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def on_key(self, event: events.Key) -> None:
        if event.character and event.character.isdigit():
            index = int(event.character) - 1
            if 0 <= index < len(self.options):
                self.query_one(OptionList).highlighted = index
                event.stop()

    def chosen(self, index: int) -> Any:
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected)
    def _selected(self, message: OptionList.OptionSelected) -> None:
        self._answer(self.chosen(message.option_index))

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None:
            self._answer(self.chosen(index))

    def _answer(self, choice: Any) -> None:
        if choice is not None:  # None: the dialog said what is missing; it stays
            self.dismiss(choice)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class TransferTo:
    service: str
    position: str


class TransferDialog(Dialog):
    """Which service, and the front or the back of its queue (`f` / `b`)."""

    BINDINGS: ClassVar[list[Any]] = [
        Binding("escape", "cancel", show=False),
        Binding("f", "position('front')", show=False),
        Binding("b", "position('back')", show=False),
    ]

    def __init__(self, settings: Settings, languages: Sequence[str], label: str,
                 service: str) -> None:
        self.services = [s for s in settings.services if s.prefix != service]
        super().__init__(
            languages, both(languages, "staff.transfer_title", label=label),
            [f"{s.prefix}  {localized(s.name, languages)}" for s in self.services])
        self.position = settings.queue.transfer_position

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="position"):
            for key, position in (("f", "front"), ("b", "back")):
                yield Button(self.position_label(key, position), id=position,
                             classes="position")

    def position_label(self, key: str, position: str) -> str:
        mark = "◉" if self.position == position else "○"
        return f"{key}  {mark} {both(self.languages, f'staff.{position}', sep=chr(10) + '      ')}"

    def action_position(self, position: str) -> None:
        self.position = position
        for key, name in (("f", "front"), ("b", "back")):
            button = self.query_one(f"#{name}", Button)
            button.label = self.position_label(key, name)
            button.set_class(name == position, "-chosen")

    def on_mount(self) -> None:
        super().on_mount()
        self.action_position(self.position)

    @on(Button.Pressed, ".position")
    def _position(self, message: Button.Pressed) -> None:
        assert message.button.id is not None
        self.action_position(message.button.id)
        self.query_one(OptionList).focus()

    def chosen(self, index: int) -> TransferTo:
        return TransferTo(self.services[index].prefix, self.position)


@dataclass(frozen=True)
class Reclass:
    need: str | None


class ReclassifyDialog(Dialog):
    """Regular, or one of the configured needs (the current one is not marked)."""

    def __init__(self, settings: Settings, languages: Sequence[str], label: str) -> None:
        self.needs: list[str | None] = [None, *settings.needs]
        options = [both(languages, "staff.regular_choice")] + [
            f"{need.icon} {localized(need.label, languages)}".strip()
            for need in settings.needs.values()
        ]
        super().__init__(languages, both(languages, "staff.reclassify_title", label=label),
                         options)

    def chosen(self, index: int) -> Reclass:
        return Reclass(self.needs[index])


@dataclass(frozen=True)
class PauseFor:
    minutes: int | None
    """None: staff do not know (the estimate stops counting on the counter)."""


PAUSE_CHOICES = (5, 15, 30, 60)


class PauseDialog(Dialog):
    """Back in 5, 15, 30 or 60 minutes, or not sure: the estimate counts on the counter
    again from the time said (kiosk.store.estimate)."""

    def __init__(self, languages: Sequence[str]) -> None:
        options = [both(languages, "staff.pause_minutes", minutes=m) for m in PAUSE_CHOICES]
        options.append(both(languages, "staff.pause_unknown"))
        super().__init__(languages, both(languages, "staff.pause_title"), options)

    def chosen(self, index: int) -> PauseFor:
        return PauseFor(PAUSE_CHOICES[index] if index < len(PAUSE_CHOICES) else None)


@dataclass(frozen=True)
class RequeueTo:
    label: str
    position: str


class RequeueDialog(Dialog):
    """Which ticket (the last no-show of this console, or any typed), front or back of its
    queue (1 / 2)."""

    def __init__(self, languages: Sequence[str], label: str) -> None:
        super().__init__(languages, both(languages, "staff.requeue_title"),
                         [both(languages, "staff.front"), both(languages, "staff.back")])
        self.label = label

    def compose_body(self) -> ComposeResult:
        yield Input(self.label, placeholder=both(self.languages, "staff.requeue_label"),
                    id="requeue-label", restrict=r"[A-Za-z0-9]*", max_length=8)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(OptionList).highlighted = 1  # the back, as a late-comer would expect
        if not self.label:
            self.query_one("#requeue-label", Input).focus()

    @on(Input.Submitted, "#requeue-label")
    def _label_done(self) -> None:
        self.query_one(OptionList).focus()

    def chosen(self, index: int) -> RequeueTo | None:
        label = self.query_one("#requeue-label", Input).value.strip()
        if not label:
            self.query_one("#requeue-label", Input).focus()
            self.notify(both(self.languages, "staff.requeue_needs_label"), severity="error")
            return None
        return RequeueTo(label, "front" if index == 0 else "back")


class TakeOverDialog(ModalScreen[bool]):
    """Someone is signed in at this counter: take over (signing them out), or not."""

    BINDINGS: ClassVar[list[Any]] = [Binding("escape", "answer(False)", show=False),
                                     Binding("enter", "answer(True)", show=False)]

    def __init__(self, languages: Sequence[str], holder: str, since: str) -> None:
        super().__init__()
        self.languages = languages
        self.holder = holder
        self.since = since

    def compose(self) -> ComposeResult:
        langs = self.languages
        with Vertical(id="dialog"):
            yield Static(both(langs, "staff.taken_title", name=self.holder, since=self.since),
                         id="dialog-title", markup=False)
            yield Static(both(langs, "staff.taken_hint", name=self.holder), id="dialog-hint",
                         markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button(both(langs, "staff.take_over"), id="take-over", variant="warning")
                yield Button(both(langs, "staff.cancel"), id="cancel", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()  # the safe answer has the focus

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed, "#take-over")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _no(self) -> None:
        self.dismiss(False)
