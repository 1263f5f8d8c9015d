"""The Log view: the serve-time log itself, paged, searched by ticket label."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.widgets import (
    Button,
    DataTable,
    Input,
    Static,
)

from kiosk import reports
from kiosk.exceptions import KioskError
from kiosk.store import Store
from kiosk.ui.admin.base import AdminViews, Range
from kiosk.ui.admin.words import NONE, day_text, w, word


class LogView(AdminViews):
    """The log of the range in the filter bar, 100 tickets a page, newest first."""

    def load_log(self, page: int | None = None) -> None:
        if self.range is None:
            return
        label = self.query_one("#log-search", Input).value.strip()
        wanted = (self.range, label, self.log_page if page is None else page)
        if page is None and wanted == self.log_range:
            return
        self.run_worker(self._load_log(*wanted), group="log", exclusive=True)

    async def _load_log(self, rng: Range, label: str, page: int) -> None:
        app = self.kiosk_app
        try:
            data = await app.store.run(_log_page, rng, label, page, app.per_page)
        except KioskError as exc:
            self.query_one("#log-status", Static).update(w("error", error=exc))
            return
        self.log_range = (rng, label, data["page"])
        self.log_page = data["page"]
        self.log_data = data
        self.show_log(label, data)

    def show_log(self, label: str, data: dict[str, Any]) -> None:
        """A page of the log in the table, and which page it is."""
        table = self.query_one("#log-table", DataTable)
        if not table.columns:
            for key in reports.LOG_COLUMNS:
                table.add_column(w(f"col_{key}"), key=key)
        table.clear()
        for row in data["rows"]:
            table.add_row(*(_cell(key, row[key]) for key in reports.LOG_COLUMNS))
        search = w("matching", label=label.upper()) if label else ""
        self.query_one("#log-status", Static).update(w(
            "page", page=data["page"] + 1, pages=data["pages"], tickets=data["tickets"],
            search=search))
        self.query_one("#log-prev", Button).disabled = data["page"] == 0
        self.query_one("#log-next", Button).disabled = data["page"] >= data["pages"] - 1

    @on(Input.Changed, "#log-search")
    def _search_changed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(0.3, lambda: self.load_log(page=0))

    @on(Input.Submitted, "#log-search")
    def _search_now(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self.load_log(page=0)

    @on(Button.Pressed, "#log-prev")
    def _prev(self) -> None:
        self.action_page(-1)

    @on(Button.Pressed, "#log-next")
    def _next(self) -> None:
        self.action_page(1)

    def action_page(self, step: int) -> None:
        if self.view == "log" and self.log_data is not None:
            self.load_log(page=max(0, self.log_page + step))


RIGHT = {"segment", "counter", "wait_min", "service_min"}
"""The log's columns of numbers, set to the right."""


def _cell(key: str, value: Any) -> Text:
    """One log cell: the day the site's way, the class and the outcome in words."""
    if value is None:
        text = NONE
    elif key == "day":
        text = day_text(value)
    elif key == "class":
        text = w(f"class_{value}")
    elif key == "outcome":
        text = word("state", value)
    else:
        text = str(value)
    return Text(text, justify="right" if key in RIGHT else "left")


def _log_page(store: Store, rng: Range, label: str, page: int, per_page: int,
              ) -> dict[str, Any]:
    return reports.log_page(store, store.settings, label=label, page=page, per_page=per_page,
                            **rng.kwargs())
