"""Purge: retention, after a review of what would go and a separate confirmation (logged
by the store with the admin's name)."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Input,
    Static,
)

from kiosk import clock as clk
from kiosk.exceptions import KioskError, NotAllowed
from kiosk.store import Store
from kiosk.ui.admin.base import admin_app
from kiosk.ui.admin.words import bind, day_text, say_bindings, w

# -- purge ---------------------------------------------------------------------------------


class PurgeScreen(ModalScreen[dict[str, Any] | None]):
    """Retention: a date, a review of what would go, then a separate confirmation."""

    BINDINGS: ClassVar[list[Any]] = [bind("escape", "cancel", "key_cancel")]

    def __init__(self, admin: str) -> None:
        super().__init__()
        say_bindings(self)
        self.admin = admin
        self.preview: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(w("purge_title"), classes="dialog-title")
            yield Static(w("purge_hint"), classes="dialog-hint")
            with Horizontal(classes="dialog-row"):
                field = Input(placeholder=w("date_hint"), id="purge-before", max_length=10)
                field.border_title = w("before")
                yield field
                yield Button(w("review"), id="purge-review")
            yield Static("", id="purge-summary")
            with Horizontal(classes="dialog-buttons"):
                yield Button(w("purge_confirm", tickets=0), id="purge-confirm",
                             classes="danger", disabled=True)
                yield Button(w("key_cancel"), id="purge-cancel")

    def on_mount(self) -> None:
        today = self.today()
        default = today.replace(year=today.year - 1, day=1)
        self.query_one("#purge-before", Input).value = default.isoformat()
        self.query_one("#purge-before", Input).focus()

    def today(self) -> date:
        app = admin_app(self)
        return date.fromisoformat(clk.local_day(app.clock.now(), app.settings.site.tz))

    def problem(self, before: str) -> str | None:
        """Why `before` cannot be purged, in words (None: it can be reviewed)."""
        try:
            day = date.fromisoformat(before)
        except ValueError:
            return w("bad_date", field=w("before"), value=before)
        if day > self.today():  # the store refuses it too: today's queue would go
            return w("purge_today", before=day_text(day))
        return None

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
        problem = self.problem(before)
        if problem is not None:
            summary.update(problem)
            return
        try:
            preview = await app.store.run(Store.purge_preview, before)
        except KioskError as exc:
            summary.update(w("error", error=exc))
            return
        confirm = self.query_one("#purge-confirm", Button)
        when = day_text(preview["before"])
        if not preview["tickets"] and not preview["events"]:
            summary.update(w("purge_nothing", before=when))
            return
        since = (w("purge_since", first=day_text(preview["first_day"]))
                 if preview["first_day"] else "")
        summary.update(w("purge_summary", since=since, tickets=preview["tickets"],
                         events=preview["events"], before=when))
        confirm.label = w("purge_confirm", tickets=preview["tickets"])
        confirm.refresh(layout=True)  # as wide as its new words, not its first ones
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
        except NotAllowed:  # reviewed before midnight, confirmed after it
            summary.update(w("purge_today", before=day_text(before)))
            return
        except KioskError as exc:
            summary.update(w("error", error=exc))
            return
        self.preview = None
        summary.update(w("purged", tickets=result["tickets"], events=result["events"],
                         before=day_text(result["before"])))
        self.query_one("#purge-cancel", Button).label = w("key_close")
        self.result = result

    @on(Button.Pressed, "#purge-cancel")
    def action_cancel(self) -> None:
        self.dismiss(getattr(self, "result", None))
