"""The staff counter console: one key (or one touch) per action, the line at a glance.

Sign in with name and PIN (the store checks it and keeps the lockout, so a restart of the
console does not reset it); signing in opens the counter, signing out closes it, and both,
like pause and resume, are counter events the reports derive utilisation from.

Keys, each also a button for a touchscreen counter:
  n  finish the current ticket and call the next      r  recall (up to [queue].max_recalls)
  s  start: the called patron has arrived (optional)  f  finish
  x  no-show                                          t  transfer (service, front or back)
  c  reclassify (regular or a priority need)          p  pause / resume
  o  sign out

What it shows: the counter's services, the current ticket and its state, how many wait per
service and class with the oldest wait, the printers' and the announcer's state. A patron's
need is never shown (only "Priority"); the reclassify dialog lists the needs as the kiosk's
own question does, without marking the ticket's current one.

Impossible actions (nothing called, recall limit, counter paused...) come back from the
store as one plain sentence, shown on the message line, never a traceback. Store calls run
on the console's own store thread; a `Follower` thread re-reads what is shown whenever
anyone commits (this console, another counter, the kiosk, the command line).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from kiosk import clock as clk
from kiosk import views
from kiosk.config import Settings
from kiosk.exceptions import KioskError
from kiosk.i18n import both, localized, staff_languages
from kiosk.rows import Ticket
from kiosk.store import Store
from kiosk.ui import themes
from kiosk.ui.blocks import BigText
from kiosk.ui.store_thread import Fresh, StoreThread, follow

ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("n", "next", "staff.key_next"),
    ("r", "recall", "staff.key_recall"),
    ("s", "start", "staff.key_start"),
    ("f", "finish", "staff.key_finish"),
    ("x", "no_show", "staff.key_no_show"),
    ("t", "transfer", "staff.key_transfer"),
    ("c", "reclassify", "staff.key_reclassify"),
    ("p", "pause", "staff.key_pause"),
    ("o", "sign_out", "staff.key_sign_out"),
)
"""(key, action, label key): the keys and the buttons of the console, in button order."""

REPEAT_GUARD_S = 1.0
"""The same action again within this long is ignored: a double tap on `n` must not finish
the patron just called and call the next one."""
ALERT_PRINTER_STATES = ("paper_low", "paper_out", "offline")

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


# -- sign-in -----------------------------------------------------------------------------


class SignInScreen(Screen[None]):
    app: StaffApp

    def __init__(self, names: Sequence[str] = ()) -> None:
        super().__init__()
        self.names = list(names)

    def compose(self) -> ComposeResult:
        app = self.app
        with Vertical(id="sign-in"):
            yield Static(f"{app.counter_name} — {both(app.languages, 'staff.title')}",
                         id="sign-in-title", markup=False)
            yield Static(both(app.languages, "staff.sign_in_hint"), id="sign-in-hint",
                         markup=False)
            yield Input(placeholder=both(app.languages, "staff.name"), id="name",
                        suggester=SuggestFromList(self.names, case_sensitive=False))
            yield Input(placeholder=both(app.languages, "staff.pin"), id="pin", password=True,
                        restrict=r"\d*", max_length=12)
            yield Button(both(app.languages, "staff.sign_in"), id="sign-in-button",
                         variant="primary")
            yield Static(id="sign-in-message", markup=False)

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Submitted, "#name")
    def _name_done(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    @on(Button.Pressed, "#sign-in-button")
    def _submit(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        pin = self.query_one("#pin", Input).value
        if not name:
            self.query_one("#name", Input).focus()
            return
        # On the app, not this screen: signing in replaces this screen, and a screen's own
        # workers are cancelled when it goes.
        self.app.run_worker(self.app.sign_in(self, name, pin), group="sign-in", exclusive=True)

    def refused(self, message: str) -> None:
        self.query_one("#sign-in-message", Static).update(f"⚠ {message}")
        pin = self.query_one("#pin", Input)
        pin.value = ""
        pin.focus()


# -- the console -------------------------------------------------------------------------


class ConsoleScreen(Screen[None]):
    app: StaffApp

    BINDINGS: ClassVar[list[Any]] = [
        Binding(key, f"act('{action}')", show=False) for key, action, _ in ACTIONS
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.staff_name = name
        self.ready = False

    def compose(self) -> ComposeResult:
        app = self.app
        with Horizontal(id="header"):
            yield Static(id="counter-name", markup=False)
            yield Static(id="who", markup=False)
        with Horizontal(id="body"):
            with Vertical(id="current"):
                yield Static(both(app.languages, "staff.current"), id="current-title",
                             markup=False)
                yield BigText(id="current-label")
                yield Static(id="current-state", markup=False)
            with Vertical(id="side"):
                yield Static(id="waiting", markup=False)
                yield Static(id="devices", markup=False)
        yield Static(id="message", markup=False)
        with Grid(id="keys"):
            for key, action, label in ACTIONS:
                yield Button(self.key_label(key, label), id=f"key-{action}",
                             classes="key")

    def key_label(self, key: str, label: str) -> str:
        return f"{key}  " + both(self.app.languages, label, sep="\n   ")

    def on_mount(self) -> None:
        self.ready = True
        self.query_one("#counter-name", Static).update(self.app.header_text())
        if self.app.view is not None:
            self.show(self.app.view)

    def say(self, message: str, *, trouble: bool = False) -> None:
        line = self.query_one("#message", Static)
        line.update(("⚠ " if trouble else "✔ ") + message)
        line.set_class(trouble, "-trouble")

    def show(self, view: views.CounterView) -> None:
        if not self.ready:  # switched to but not composed yet: on_mount shows the view
            return
        app = self.app
        langs = app.languages
        state = both(langs, f"staff.counter_{view.state}")
        icon = {"open": "●", "paused": "⏸", "closed": "■"}.get(view.state, "")
        who = both(langs, "staff.signed_in_as", name=self.staff_name)
        self.query_one("#who", Static).update(
            f"{who}   {icon} {state}   {view.now.astimezone(app.settings.site.tz):%H:%M}")
        self.query_one("#who").set_class(view.state != "open", "-not-open")
        self.query_one("#key-pause", Button).label = self.key_label(
            "p", "staff.key_resume" if view.state == "paused" else "staff.key_pause")
        current = view.current
        label = self.query_one("#current-label", BigText)
        state_line = self.query_one("#current-state", Static)
        if current is None:
            label.update("")
            state_line.update(both(langs, "staff.no_ticket"))
        else:
            label.update(current.label)
            state_line.update(self.current_text(view, current))
        self.query_one("#waiting", Static).update(self.waiting_table(view))
        self.query_one("#devices", Static).update(self.devices_text(view))

    def current_text(self, view: views.CounterView, current: views.Current) -> Text:
        langs = self.app.languages
        text = Text()
        text.append(current.label + "  ", "bold")
        text.append(both(langs, "staff.called" if current.state == "called" else "staff.serving"),
                    "bold")
        text.append("\n" + current.service + "  " + localized(
            self.app.settings.service(current.service).name, langs))
        klass = "priority.word" if current.priority else "staff.regular"
        text.append("\n" + ("★ " if current.priority else "") + both(langs, klass))
        if current.called_at:
            minutes = max(0, int((view.now.timestamp() - clk.epoch(current.called_at)) // 60))
            text.append("\n" + both(langs, "staff.since", minutes=minutes))
        limit = self.app.settings.queue.max_recalls
        if current.recalls:
            text.append("\n" + both(langs, "staff.recalls", n=current.recalls, max=limit))
        return text

    def waiting_table(self, view: views.CounterView) -> Table:
        langs = self.app.languages
        mine = set(self.app.counter.services)
        table = Table(expand=True, box=None, pad_edge=False, header_style="bold")
        table.add_column(both(langs, "staff.services", sep="\n"), ratio=1, no_wrap=True,
                         overflow="ellipsis")
        for key in ("staff.waiting", "priority.word", "staff.regular", "staff.oldest"):
            table.add_column(both(langs, key, sep="\n"), justify="right", no_wrap=True)
        rows = sorted(view.services, key=lambda s: s.service not in mine)
        for s in rows:
            try:
                name = self.app.settings.service(s.service).name[langs[0]]
            except KeyError:
                name = ""
            oldest = s.oldest_wait_min
            table.add_row(
                ("▶ " if s.service in mine else "  ") + f"{s.service}  {name}",
                str(s.waiting), str(s.priority), str(s.regular),
                "-" if oldest is None else both(langs, "staff.minutes", minutes=int(oldest)),
                style="bold" if s.service in mine else "",
            )
        return table

    def devices_text(self, view: views.CounterView) -> Text:
        langs = self.app.languages
        text = Text()
        if not view.printers:
            text.append(both(langs, "staff.no_printer"))
        for n, printer in enumerate(view.printers):
            state = printer.state
            key = f"staff.printer_{state}"
            try:
                words = both(langs, key)
            except KeyError:
                words = state
            alert = state in ALERT_PRINTER_STATES
            text.append(("\n" if n else "") + ("⚠ " if alert else "✔ " if state == "ok" else "  "))
            text.append(both(langs, "staff.printer", name=printer.name) + ": ")
            text.append(words, "bold" if alert else "")
        for announcer in view.announcers:
            if announcer.on:
                words, mark = both(langs, "staff.announcer_on"), "✔ "
            elif announcer.state == "error":
                words = both(langs, "staff.announcer_error", detail=announcer.detail or "")
                mark = "⚠ "
            else:
                words, mark = both(langs, "staff.announcer_off"), "⚠ "
            name = f" {announcer.name}" if len(view.announcers) > 1 else ""
            text.append("\n" + mark + both(langs, "staff.announcer") + name + ": ")
            text.append(words, "bold" if mark == "⚠ " else "")
        return text

    # -- acting ----------------------------------------------------------------------------

    def action_act(self, action: str) -> None:
        self.app.act(self, action)

    @on(Button.Pressed, ".key")
    def _button(self, message: Button.Pressed) -> None:
        assert message.button.id is not None
        self.app.act(self, message.button.id.removeprefix("key-"))


# -- the app -----------------------------------------------------------------------------


class StaffApp(App[None]):
    """The counter console. `clock` is the store's clock (tests: a ManualClock)."""

    CSS_PATH = "staff.tcss"
    TITLE = "kiosk staff"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        settings: Settings,
        counter: int,
        *,
        clock: clk.Clock | None = None,
        poll_s: float = 0.1,
        every_s: float = 2.0,
        repeat_guard_s: float = REPEAT_GUARD_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.counter = settings.counter(counter)
        self.languages = staff_languages(settings)
        self.clock: clk.Clock = clock or clk.SystemClock()
        self.repeat_guard_s = repeat_guard_s
        self.monotonic = monotonic
        for theme in themes.THEMES:
            self.register_theme(theme)
        self.theme = themes.CONTRAST
        self.store = StoreThread(settings, self.clock, name="kiosk-staff-store")
        self.follower = follow(self, settings, self.clock,
                               lambda store: views.counter(store, self.counter.id),
                               poll_s=poll_s, every_s=every_s, name="kiosk-staff-follower")
        self.view: views.CounterView | None = None
        self.busy = False
        self._last: tuple[str, float] = ("", -1e9)

    @property
    def counter_name(self) -> str:
        return localized(self.counter.name, self.languages, sep=" · ")

    def header_text(self) -> str:
        services = ", ".join(
            f"{p} {self.settings.service(p).name[self.languages[0]]}"
            for p in self.counter.services
        )
        return f"{self.counter_name}\n{both(self.languages, 'staff.services')}: {services}"

    async def on_mount(self) -> None:
        self.follower.start()
        try:
            names = await self.store.run(Store.staff_names)
        except Exception as exc:  # the sign-in screen still comes up and says what is wrong
            self.log.error(f"staff: cannot read the staff list: {exc!r}")
            names = []
        await self.push_screen(SignInScreen(names))

    async def on_unmount(self) -> None:
        self.follower.stop()
        self.store.close()

    def on_fresh(self, message: Fresh[views.CounterView]) -> None:
        if not self.is_running:
            # Shutting down: the screens' widgets may already be gone (a read posted just
            # before the app began to close would otherwise fail to find them).
            return
        if message.data is None:
            self.log.error(f"staff: cannot read the store: {message.error}")
            return
        self.view = message.data
        if isinstance(self.screen, ConsoleScreen):
            self.screen.show(message.data)

    # -- sign-in and out -------------------------------------------------------------------

    async def sign_in(self, screen: SignInScreen, name: str, pin: str) -> None:
        try:
            person = await self.store.run(Store.sign_in, name, pin, self.counter.id)
        except KioskError as exc:
            screen.refused(str(exc))
            return
        except Exception as exc:  # a broken store file: a plain line, never a traceback
            self.log.error(f"staff: sign-in failed: {exc!r}")
            screen.refused(f"{type(exc).__name__}: {exc}")
            return
        self.follower.poke()
        await self.switch_screen(ConsoleScreen(person.name))

    # -- actions ---------------------------------------------------------------------------

    def act(self, screen: ConsoleScreen, action: str) -> None:
        now = self.monotonic()
        last_action, last_at = self._last
        if self.busy or (action == last_action and now - last_at < self.repeat_guard_s):
            return
        self._last = (action, now)
        self.busy = True
        self.run_worker(self._act(screen, action), group="act")

    async def _act(self, screen: ConsoleScreen, action: str) -> None:
        try:
            message = await self._do(screen, action)
        except KioskError as exc:
            screen.say(str(exc), trouble=True)
        except Exception as exc:  # never a traceback on the counter's screen
            self.log.error(f"staff action {action} failed: {exc!r}")
            screen.say(f"{type(exc).__name__}: {exc}", trouble=True)
        else:
            if message:
                screen.say(message)
        finally:
            self.busy = False
            self.follower.poke()

    async def _do(self, screen: ConsoleScreen, action: str) -> str | None:
        counter = self.counter.id
        actor = screen.staff_name
        langs = self.languages
        run = self.store.run
        if action == "next":
            ticket = await run(Store.call_next, counter, actor=actor)
            if ticket is None:
                return both(langs, "staff.done_nothing")
            return both(langs, "staff.done_called", label=ticket.label)
        if action == "recall":
            ticket = await run(Store.recall, counter, actor=actor)
            return both(langs, "staff.done_recalled", label=ticket.label,
                        n=ticket.recalls, max=self.settings.queue.max_recalls)
        if action == "start":
            ticket = await run(Store.start, counter, actor=actor)
            return both(langs, "staff.done_started", label=ticket.label)
        if action == "finish":
            ticket = await run(Store.finish, counter, actor=actor)
            return both(langs, "staff.done_finished", label=ticket.label)
        if action == "no_show":
            ticket = await run(Store.no_show, counter, actor=actor)
            return both(langs, "staff.done_no_show", label=ticket.label)
        if action == "transfer":
            return await self._transfer(actor)
        if action == "reclassify":
            return await self._reclassify(actor)
        if action == "pause":
            state = (await run(Store.counter_states))[counter].state
            move = "resume" if state == "paused" else "pause"
            await run(Store.counter, counter, move, actor=actor)
            return both(langs, "staff.done_resumed" if move == "resume" else "staff.done_paused")
        if action == "sign_out":
            await run(Store.sign_out, actor, counter)
            names = await run(Store.staff_names)
            await self.switch_screen(SignInScreen(names))
            return None
        raise KioskError(f"unknown action {action}")

    async def _current(self) -> Ticket:
        current = await self.store.run(Store.current, self.counter.id)
        if current is None:
            raise KioskError(both(self.languages, "staff.no_current"))
        return current

    async def _transfer(self, actor: str) -> str | None:
        current = await self._current()
        dialog = TransferDialog(self.settings, self.languages, current.label,
                                current.service)
        choice = await self.push_screen_wait(dialog)
        if not isinstance(choice, TransferTo):
            return None
        ticket = await self.store.run(Store.transfer, current.label, choice.service,
                                      position=choice.position, actor=actor)
        return both(self.languages, "staff.done_transferred", label=ticket.label,
                    service=ticket.service,
                    position=both(self.languages, f"staff.{choice.position}"))

    async def _reclassify(self, actor: str) -> str | None:
        current = await self._current()
        choice = await self.push_screen_wait(
            ReclassifyDialog(self.settings, self.languages, current.label))
        if not isinstance(choice, Reclass):
            return None
        ticket = await self.store.run(Store.reclassify, current.label, choice.need,
                                      actor=actor)
        klass = "priority.word" if ticket.priority else "staff.regular"
        return both(self.languages, "staff.done_reclassified", label=ticket.label,
                    klass=both(self.languages, klass))


def run(settings: Settings, counter: int, *, clock: clk.Clock | None = None) -> None:
    """`kiosk staff --counter N`: the console in this terminal (or a textual-serve tab)."""
    StaffApp(settings, counter, clock=clock).run()
