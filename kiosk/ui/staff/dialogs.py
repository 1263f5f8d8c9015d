"""The console's dialogs: transfer (which service, front or back) and reclassify (regular
or a need). Digits pick, Enter confirms, Escape cancels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
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
        self.dismiss(self.chosen(message.option_index))

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None:
            self.dismiss(self.chosen(index))

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
