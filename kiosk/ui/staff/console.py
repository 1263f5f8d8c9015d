"""The console itself: the current ticket in block letters, the line per service and class,
the printers and the announcer, a button for every key; and the console's sign-in form."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk import clock as clk
from kiosk import views
from kiosk.consoles import no_show_wait_s
from kiosk.i18n import both, localized
from kiosk.ui.blocks import BigText
from kiosk.ui.idle_lock import LockScreen
from kiosk.ui.sign_in import SignInForm, SignInWords

if TYPE_CHECKING:
    from kiosk.ui.staff.app import StaffApp


ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("n", "next", "staff.key_next"),
    ("r", "recall", "staff.key_recall"),
    ("s", "start", "staff.key_start"),
    ("f", "finish", "staff.key_finish"),
    ("x", "no_show", "staff.key_no_show"),
    ("a", "rate", "rate.offer"),
    ("t", "transfer", "staff.key_transfer"),
    ("c", "reclassify", "staff.key_reclassify"),
    ("b", "requeue", "staff.key_requeue"),
    ("p", "pause", "staff.key_pause"),
    ("o", "sign_out", "staff.key_sign_out"),
)
"""(key, action, label key): the keys and the buttons of the console, in button order (the
rating's button stands at the end of the first row, two rows high: staff.tcss)."""
TALL = {"rate": 13}
"""Buttons two rows high, whose words wrap at this many cells."""

REPEAT_GUARD_S = 1.0
"""The same action again within this long is ignored: a double tap on `n` must not finish
the patron just called and call the next one."""
ALERT_PRINTER_STATES = ("paper_low", "paper_out", "offline")


# -- sign-in -----------------------------------------------------------------------------


class SignInScreen(SignInForm):
    """A staff name and PIN (no names are offered); signing in opens the counter."""

    app: StaffApp

    def words(self) -> SignInWords:
        langs = self.app.languages
        return SignInWords(f"{self.app.counter_name} — {both(langs, 'staff.title')}",
                           both(langs, "staff.sign_in_hint"), both(langs, "staff.name"),
                           both(langs, "staff.pin"), both(langs, "staff.sign_in"),
                           primary=True)


class StaffLockScreen(LockScreen):
    """The console locked after `[web] idle_lock_min`: the signed-in person's PIN only."""

    app: StaffApp

    def words(self) -> SignInWords:
        app = self.app
        langs = app.languages
        minutes = f"{app.settings.web.idle_lock_min:g}"
        return SignInWords(both(langs, "staff.locked_title", counter=app.counter_name,
                                minutes=minutes),
                           both(langs, "staff.locked_hint", name=self.fixed_name or ""),
                           both(langs, "staff.name"), both(langs, "staff.pin"),
                           both(langs, "staff.unlock"), primary=True)


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
                yield Button(self.key_label(key, label, TALL.get(action)),
                             id=f"key-{action}", classes="key")

    def key_label(self, key: str, label: str, wrap: int | None = None) -> str:
        if wrap is None:
            return f"{key}  " + both(self.app.languages, label, sep="\n   ")
        lines = [line for words in both(self.app.languages, label, sep="\n").splitlines()
                 for line in textwrap.wrap(words, wrap, break_long_words=False)]
        return f"{key}  " + "\n   ".join(lines)

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
        icon = {"open": "●", "paused": "‖", "closed": "■", "unattended": "⚠"}.get(
            view.state, "")
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
        left = no_show_wait_s(current, self.app.settings.queue.no_show_after_s,
                              view.now.timestamp())
        if left > 0:
            text.append("\n" + both(langs, "staff.no_show_in", seconds=int(left + 0.999)))
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
        for voice in view.voices:
            if voice.state == "ok":
                continue  # said only when a kiosk cannot speak
            kiosk = voice.name.removeprefix("voice:")
            text.append("\n⚠ " + both(langs, "staff.voice", kiosk=kiosk) + ": ")
            text.append(both(langs, "staff.voice_error"), "bold")
        return text

    # -- acting ----------------------------------------------------------------------------

    def action_act(self, action: str) -> None:
        self.app.act(self, action)

    @on(Button.Pressed, ".key")
    def _button(self, message: Button.Pressed) -> None:
        assert message.button.id is not None
        self.app.act(self, message.button.id.removeprefix("key-"))
