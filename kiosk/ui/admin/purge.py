"""Purge: retention, after a review of what would go and a separate confirmation (logged
by the store with the admin's name)."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Input,
    Static,
)

from kiosk import clock as clk
from kiosk.exceptions import KioskError
from kiosk.store import Store
from kiosk.ui.admin.base import admin_app
from kiosk.ui.admin.words import w

# -- purge ---------------------------------------------------------------------------------


class PurgeScreen(ModalScreen[dict[str, Any] | None]):
    """Retention: a date, a review of what would go, then a separate confirmation."""

    BINDINGS: ClassVar[list[Any]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, admin: str) -> None:
        super().__init__()
        self.admin = admin
        self.preview: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(w("purge_title"), classes="dialog-title")
            yield Static(w("purge_hint"), classes="dialog-hint")
            with Horizontal(classes="dialog-row"):
                yield Input(placeholder=w("purge_before"), id="purge-before", max_length=10)
                yield Button(w("review"), id="purge-review")
            yield Static("", id="purge-summary")
            with Horizontal(classes="dialog-buttons"):
                yield Button(w("purge_confirm", tickets=0), id="purge-confirm",
                             classes="danger", disabled=True)
                yield Button(w("cancel"), id="purge-cancel")

    def on_mount(self) -> None:
        app = admin_app(self)
        today = date.fromisoformat(clk.local_day(app.clock.now(), app.settings.site.tz))
        default = today.replace(year=today.year - 1, day=1)
        self.query_one("#purge-before", Input).value = default.isoformat()
        self.query_one("#purge-before", Input).focus()

    @on(Input.Changed, "#purge-before")
    def _changed(self) -> None:
        self.preview = None  # a new date needs a new review before anything is deleted
        self.query_one("#purge-confirm", Button).disabled = True

    @on(Button.Pressed, "#purge-review")
    @on(Input.Submitted, "#purge-before")
    def _review(self) -> None:
        before = self.query_one("#purge-before", Input).value.strip()
        self.run_worker(self._preview(before), group="purge", exclusive=True)

    async def _preview(self, before: str) -> None:
        app = admin_app(self)
        summary = self.query_one("#purge-summary", Static)
        try:
            preview = await app.store.run(Store.purge_preview, before)
        except KioskError as exc:
            summary.update(w("error", error=exc))
            return
        confirm = self.query_one("#purge-confirm", Button)
        if not preview["tickets"] and not preview["events"]:
            summary.update(w("purge_nothing", before=preview["before"]))
            return
        since = f" (from {preview['first_day']})" if preview["first_day"] else ""
        summary.update(w("purge_summary", since=since, **preview))
        confirm.label = w("purge_confirm", tickets=preview["tickets"])
        confirm.disabled = False
        self.preview = preview

    @on(Button.Pressed, "#purge-confirm")
    def _confirm(self) -> None:
        if self.preview is not None:
            self.run_worker(self._purge(self.preview["before"]), group="purge", exclusive=True)

    async def _purge(self, before: str) -> None:
        app = admin_app(self)
        summary = self.query_one("#purge-summary", Static)
        self.query_one("#purge-confirm", Button).disabled = True
        try:
            result = await app.store.run(Store.purge, before, actor=self.admin)
        except KioskError as exc:
            summary.update(w("error", error=exc))
            return
        self.preview = None
        summary.update(w("purged", **result))
        self.query_one("#purge-cancel", Button).label = w("close")
        self.result = result

    @on(Button.Pressed, "#purge-cancel")
    def action_cancel(self) -> None:
        self.dismiss(getattr(self, "result", None))
