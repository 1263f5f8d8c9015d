"""The admin screen: how the day and the month went, without SQL (design §6, issue 9).

After an admin PIN (`Store.verify_pin(..., need_role="admin")`; the lockout lives in the
store), four views:

- **Today**, live: waiting now per class and service with the oldest wait, served so far,
  today's waits against each class's target, counters, printers and the announcer. A
  `Follower` thread polls `PRAGMA data_version` and re-reads only when someone committed
  (and every few seconds, for what ages by itself).
- **Statistics** for a range of local dates, filtered by service, counter and class: the
  tables of `kiosk report` (the same numbers: `reports.overview` returns `report`'s object),
  sortable by any column (click a header, or `s` on a cell).
- **Charts** of the same range: arrivals and calls by hour, the wait distribution per class
  with its target, the share within target by day, counter utilisation.
- **Log**: the serve-time log itself (one row per ticket and queue segment), paged, searched
  by ticket label.

`e` exports the view on show to CSV or JSON into a chosen folder (a progress bar for long
ranges), `p` purges old history after a review and a confirmation (logged by the store with
the admin's name). Readable in both kiosk themes (`t` switches).

Personal data: the log shows ticket labels and the class (priority / regular), never the
need behind a priority ticket; exports say the same. Admin words are English and live in
the WORDS table below. Store access never runs on the event loop: reads for Today on the
follower's own Store, everything else on one `StoreThread`.
"""

from __future__ import annotations

import asyncio
import csv
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    ContentSwitcher,
    DataTable,
    Footer,
    Input,
    ProgressBar,
    Select,
    Static,
    Tab,
    Tabs,
)
from textual.worker import Worker

from kiosk import clock as clk
from kiosk import reports, views
from kiosk.config import Settings
from kiosk.exceptions import KioskError
from kiosk.rows import Person
from kiosk.store import Store
from kiosk.ui import themes
from kiosk.ui.charts import Chart, HoursChart, UtilisationChart, WaitChart, WithinChart
from kiosk.ui.store_thread import Fresh, StoreThread, follow

# -- words ---------------------------------------------------------------------------------

WORDS: dict[str, str] = {
    "title": "{site} — admin",
    "signed_in_as": "signed in: {name}",
    "sign_in_title": "Admin sign-in",
    "sign_in_hint": "Type an admin name and PIN, then Enter.",
    "name": "admin name",
    "pin": "PIN",
    "sign_in": "Sign in",
    "needs_name": "Type the admin name first.",
    "tab_today": "Today",
    "tab_stats": "Statistics",
    "tab_charts": "Charts",
    "tab_log": "Log",
    "from": "from YYYY-MM-DD",
    "to": "to YYYY-MM-DD",
    "all_services": "all services",
    "all_counters": "all counters",
    "all_classes": "both classes",
    "show": "Show",
    "loading": "reading {days} day(s)…",
    "range": "{first} .. {last} · {days} day(s) · {issued:,} tickets{filters}",
    "today": "Today {day} · {time}",
    "classes": "Waits against target, by class",
    "services": "Waiting now, by service",
    "counters": "Counters",
    "devices": "Printers and announcer",
    "overall_class": "Overall and by class",
    "by_service": "By service",
    "by_counter": "By counter",
    "by_hour": "By hour (local hour the queue time began)",
    "search": "label, e.g. A012",
    "prev": "◀ Newer",
    "next": "Older ▶",
    "page": "page {page} of {pages} · {tickets:,} ticket(s){search}",
    "export_title": "Export: {view}, {what}",
    "export_folder": "folder",
    "export": "Export",
    "close": "Close",
    "cancel": "Cancel",
    "exported": "✔ written: {files}",
    "export_failed": "⚠ not written: {error}",
    "purge_title": "Purge history (retention)",
    "purge_hint": ("Deletes every ticket of the local days before this date, their events and "
                   "older counter and device events. The purge itself is logged."),
    "purge_before": "before YYYY-MM-DD",
    "review": "Review",
    "purge_summary": ("{tickets:,} ticket(s) and {events:,} event(s) before {before} will be "
                      "deleted{since}. This cannot be undone."),
    "purge_nothing": "Nothing is older than {before}: nothing to delete.",
    "purge_confirm": "Delete {tickets:,} ticket(s)",
    "purged": "✔ purged {tickets:,} ticket(s) and {events:,} event(s) before {before}",
    "no_printer": "no printer is configured",
    "error": "⚠ {error}",
}


def w(key: str, **values: Any) -> str:
    return WORDS[key].format(**values)


NONE = "–"
VIEWS = ("today", "stats", "charts", "log")
NAME_CHARS = 14
"""Service and counter names are cut to this many characters in tables and lists."""


def short(name: str, most: int = NAME_CHARS) -> str:
    return name if len(name) <= most else name[: most - 1].rstrip() + "…"

# -- the range and its data ----------------------------------------------------------------


class Stopped(Exception):
    """Raised inside a long read or export on the store thread when nobody wants its result
    any more (a newer range, a closed dialog, the app closing): the thread is free at once
    instead of finishing a year's work first."""


@dataclass(frozen=True)
class Range:
    """A range view's question: local dates (inclusive) and the filters of `kiosk report`."""

    date_from: str
    date_to: str
    service: str | None = None
    counter: int | None = None
    priority: bool | None = None

    def kwargs(self) -> dict[str, Any]:
        return {"date_from": self.date_from, "date_to": self.date_to, "service": self.service,
                "counter": self.counter, "priority": self.priority}

    @property
    def days(self) -> int:
        try:
            return (date.fromisoformat(self.date_to) - date.fromisoformat(self.date_from)).days + 1
        except ValueError:
            return 0

    def filters_text(self) -> str:
        parts = []
        if self.service:
            parts.append(f"service {self.service}")
        if self.counter is not None:
            parts.append(f"counter {self.counter}")
        if self.priority is not None:
            parts.append("priority" if self.priority else "regular")
        return "".join(f" · {p}" for p in parts)

    def slug(self) -> str:
        """For file names: dates and filters, nothing else."""
        out = f"{self.date_from}_{self.date_to}"
        if self.service:
            out += f"-{self.service}"
        if self.counter is not None:
            out += f"-counter{self.counter}"
        if self.priority is not None:
            out += "-priority" if self.priority else "-regular"
        return out


def default_range(today: str, days: int = 30) -> Range:
    last = date.fromisoformat(today)
    return Range((last - timedelta(days=days - 1)).isoformat(), last.isoformat())


# -- formatting ------------------------------------------------------------------------------


def fmt(value: Any, kind: str = "n") -> str:
    """One cell as text: minutes to 0.1, shares as whole percent, yes/NO in words."""
    if value is None:
        return NONE
    if kind == "pct":
        return f"{value:.0%}"
    if kind == "bool":
        return "yes" if value else "NO"
    if kind == "min":
        return f"{value:.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    get: Callable[[dict[str, Any]], Any]
    kind: str = "n"


def _stat(part: str, name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda g: g[part][name]


def _field(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda g: g.get(name)


STAT_COLUMNS: tuple[Column, ...] = (
    Column("issued", "issued", _field("issued")),
    Column("served", "served", _field("served")),
    Column("no_show", "no-show", _field("no_show")),
    Column("expired", "exp.", _field("expired")),
    Column("transferred", "transf.", _field("transferred")),
    Column("wait_mean", "mean", _stat("wait_min", "mean"), "min"),
    Column("wait_median", "median", _stat("wait_min", "median"), "min"),
    Column("wait_p90", "p90", _stat("wait_min", "p90"), "min"),
    Column("wait_p95", "p95", _stat("wait_min", "p95"), "min"),
    Column("wait_max", "max", _stat("wait_min", "max"), "min"),
    Column("service_median", "svc med", _stat("service_min", "median"), "min"),
    Column("service_p90", "svc p90", _stat("service_min", "p90"), "min"),
    Column("within_target", "within", _field("within_target"), "pct"),
    Column("target_met", "met", _field("target_met"), "bool"),
    Column("overtakes", "overt.", _field("overtakes")),
)
"""The columns of `kiosk report`'s table: counts, then the wait (queue to call) in minutes,
the service time (call to finish), the share called within target and whether every class
met its standard, and how often patrons were overtaken."""

COUNTER_COLUMNS: tuple[Column, ...] = (
    # A counter never calls an expired ticket: that column would only ever say 0.
    *(c for c in STAT_COLUMNS if c.key != "expired"),
    Column("utilisation", "util.", _field("utilisation"), "pct"),
    Column("open_h", "open h", lambda g: None if g.get("open_min") is None
           else round(g["open_min"] / 60.0, 1), "min"),
)

LOG_TITLES = {"day": "day", "label": "label", "segment": "seg.", "service": "service",
              "class": "class", "counter": "counter", "outcome": "outcome",
              "queued": "queued", "called": "called", "ended": "ended",
              "wait_min": "wait min", "service_min": "svc min"}


# -- widgets -------------------------------------------------------------------------------


class SortableTable(DataTable[Any]):
    """A statistics table: a name column, then `columns`; rows keep their raw values and
    re-sort on a header click or `s` (first largest first, again to reverse). The sorted
    column's header carries ▼ or ▲, so the order never rests on colour."""

    BINDINGS: ClassVar[list[Any]] = [Binding("s", "sort_here", "Sort column")]

    def __init__(self, name_title: str, columns: Sequence[Column], *,
                 id: str | None = None) -> None:
        # No cell padding: each cell brings one leading space, so 16 columns fit 120 cells.
        super().__init__(id=id, cursor_type="cell", zebra_stripes=False, cell_padding=0)
        self.name_title = name_title
        self.spec = tuple(columns)
        self.items: list[tuple[str, dict[str, Any]]] = []
        self.sort_key: str | None = None
        self.descending = True

    def on_mount(self) -> None:
        self._fill()

    def set_items(self, items: Sequence[tuple[str, dict[str, Any]]]) -> None:
        self.items = list(items)
        self._fill()

    def value(self, row: int, key: str) -> Any:
        """The raw value behind a cell of the table as sorted now."""
        name, group = self.ordered()[row]
        if key == "name":
            return name
        return next(c for c in self.spec if c.key == key).get(group)

    def ordered(self) -> list[tuple[str, dict[str, Any]]]:
        if self.sort_key is None:
            return list(self.items)
        if self.sort_key == "name":
            return sorted(self.items, key=lambda item: item[0], reverse=self.descending)
        column = next(c for c in self.spec if c.key == self.sort_key)
        present = [i for i in self.items if column.get(i[1]) is not None]
        absent = [i for i in self.items if column.get(i[1]) is None]
        present.sort(key=lambda item: column.get(item[1]), reverse=self.descending)
        return present + absent  # "no value" stays last either way

    def sort_by(self, key: str) -> None:
        if key == self.sort_key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, key != "name"
        self._fill()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))

    def action_sort_here(self) -> None:
        column = self.cursor_column
        keys = ["name", *(c.key for c in self.spec)]
        if 0 <= column < len(keys):
            self.sort_by(keys[column])

    def _title(self, key: str, title: str) -> Text:
        justify = "left" if key == "name" else "right"
        if key != self.sort_key:
            return Text(f" {title}", justify=justify)
        return Text(f" {title}{'▼' if self.descending else '▲'}", style="underline",
                    justify=justify)

    def _fill(self) -> None:
        cursor = self.cursor_coordinate
        self.clear(columns=True)
        self.add_column(self._title("name", self.name_title), key="name")
        for column in self.spec:
            self.add_column(self._title(column.key, column.title), key=column.key)
        for name, group in self.ordered():
            self.add_row(Text(f" {name}"), *(Text(f" {fmt(c.get(group), c.kind)}",
                                                   justify="right") for c in self.spec))
        if self.row_count:
            self.cursor_coordinate = self.validate_cursor_coordinate(cursor)


def plain_table(table: DataTable[Any], columns: Sequence[str], rows: Sequence[Sequence[Any]],
                right: Sequence[int] = ()) -> None:
    """Refill a small read-only table (the Today view)."""
    if not table.columns:
        for title in columns:
            table.add_column(title)
    table.clear()
    for row in rows:
        table.add_row(*(Text(str(v), justify="right" if i in right else "left")
                        for i, v in enumerate(row)))


# -- sign-in -------------------------------------------------------------------------------


class LoginScreen(Screen[None]):
    """Name and PIN of an admin account; the store counts failures and locks."""

    def compose(self) -> ComposeResult:
        with Vertical(id="login"):
            yield Static(w("sign_in_title"), id="login-title")
            yield Static(w("sign_in_hint"), id="login-hint")
            yield Input(placeholder=w("name"), id="name")
            yield Input(placeholder=w("pin"), id="pin", password=True, restrict=r"[0-9]*",
                        max_length=12)
            yield Button(w("sign_in"), id="sign-in")
            yield Static("", id="login-message")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Submitted, "#name")
    def _name_done(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    @on(Button.Pressed, "#sign-in")
    def _submit(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        pin = self.query_one("#pin", Input).value
        if not name:
            self.refused(w("needs_name"))
            self.query_one("#name", Input).focus()
            return
        app = self.app
        assert isinstance(app, AdminApp)
        app.run_worker(app.sign_in(self, name, pin), group="sign-in", exclusive=True)

    def refused(self, message: str) -> None:
        self.query_one("#login-message", Static).update(w("error", error=message))
        pin = self.query_one("#pin", Input)
        pin.value = ""
        pin.focus()


# -- the admin screen ----------------------------------------------------------------------


class AdminScreen(Screen[None]):
    """Today, Statistics, Charts and Log; the filter bar serves the three range views."""

    BINDINGS: ClassVar[list[Any]] = [
        Binding("e", "export", "Export"),
        Binding("p", "purge", "Purge"),
        Binding("t", "toggle_theme", "Theme"),
        Binding("r", "reload", "Reload"),
        Binding("left_square_bracket", "page(-1)", "Newer page", show=False),
        Binding("right_square_bracket", "page(1)", "Older page", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, admin: str) -> None:
        super().__init__()
        self.admin = admin
        self.range: Range | None = None
        self.data: dict[str, Any] | None = None
        self.log_page = 0
        self.log_data: dict[str, Any] | None = None
        self.log_range: tuple[Range, str, int] | None = None
        self._search_timer: Any = None
        self._warming = False
        self._wanted: object | None = None
        """The newest range asked for; an older one still computing stops."""

    @property
    def kiosk_app(self) -> AdminApp:
        app = self.app
        assert isinstance(app, AdminApp)
        return app

    # layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        settings = self.kiosk_app.settings
        lang = settings.default_language
        with Horizontal(id="top"):
            yield Static(self._title(), id="title")
            for action, words in (("export", "Export (e)"), ("purge", "Purge (p)"),
                                  ("toggle_theme", "Theme (t)"), ("quit", "Quit (q)")):
                yield Button(words, id=f"do-{action}", classes="tool", compact=True)
        yield Tabs(*(Tab(w(f"tab_{view}"), id=f"tab-{view}") for view in VIEWS), id="tabs")
        with Horizontal(id="filters"):
            yield Input(placeholder=w("from"), id="from", max_length=10)
            yield Input(placeholder=w("to"), id="to", max_length=10)
            yield Select([(f"{s.prefix} {short(s.name[lang])}", s.prefix)
                          for s in settings.services], prompt=w("all_services"), id="service")
            yield Select([(f"{c.id} {short(c.name[lang])}", c.id)
                          for c in settings.counters], prompt=w("all_counters"), id="counter")
            yield Select([("priority", True), ("regular", False)], prompt=w("all_classes"),
                         id="class")
            yield Button(w("show"), id="show")
        with Horizontal(id="range-line"):
            yield Static("", id="range-status")
            yield ProgressBar(total=None, show_eta=False, id="range-progress")
        with ContentSwitcher(initial="today", id="views"):
            with VerticalScroll(id="today"):
                yield Static("", id="today-head")
                yield Static(w("classes"), classes="heading")
                yield DataTable(id="today-classes", cursor_type="none", classes="small")
                with Horizontal(id="today-pair"):
                    with Vertical(id="today-left"):
                        yield Static(w("services"), classes="heading")
                        yield DataTable(id="today-services", cursor_type="none",
                                        classes="small")
                    with Vertical(id="today-right"):
                        yield Static(w("counters"), classes="heading")
                        yield DataTable(id="today-counters", cursor_type="none",
                                        classes="small")
                yield Static(w("devices"), classes="heading")
                yield Static("", id="today-devices")
            with VerticalScroll(id="stats"):
                yield Static(w("overall_class"), classes="heading")
                yield SortableTable("group", STAT_COLUMNS, id="t-class")
                yield Static(w("by_service"), classes="heading")
                yield SortableTable("service", STAT_COLUMNS, id="t-service")
                yield Static(w("by_counter"), classes="heading")
                yield SortableTable("counter", COUNTER_COLUMNS, id="t-counter")
                yield Static(w("by_hour"), classes="heading")
                yield SortableTable("hour", STAT_COLUMNS, id="t-hour")
            with Grid(id="charts"):
                for chart, cid in ((HoursChart(id="c-hours"), "hours"),
                                   (WaitChart("priority", id="c-wait-priority"),
                                    "wait-priority"),
                                   (WaitChart("regular", id="c-wait-regular"), "wait-regular"),
                                   (WithinChart(id="c-within"), "within"),
                                   (UtilisationChart(id="c-util"), "util")):
                    with Vertical(classes="chart-cell", id=f"cell-{cid}"):
                        yield chart
                        yield Static("", classes="caption", id=f"caption-{cid}")
            with Vertical(id="log"):
                with Horizontal(id="log-bar"):
                    yield Input(placeholder=w("search"), id="log-search", max_length=12)
                    yield Button(w("prev"), id="log-prev")
                    yield Static("", id="log-status")
                    yield Button(w("next"), id="log-next")
                yield DataTable(id="log-table", cursor_type="row")
        yield Footer()

    def _title(self) -> str:
        settings = self.kiosk_app.settings
        return (f"{w('title', site=settings.site.name)} · "
                f"{w('signed_in_as', name=self.admin)}")

    def on_mount(self) -> None:
        today = clk.local_day(self.kiosk_app.clock.now(), self.kiosk_app.settings.site.tz)
        first = default_range(today)
        self.query_one("#from", Input).value = first.date_from
        self.query_one("#to", Input).value = first.date_to
        self.query_one("#range-progress").display = False
        log = self.query_one("#log-table", DataTable)
        for key in reports.LOG_COLUMNS:
            log.add_column(LOG_TITLES[key], key=key)
        self._show_filters("today")
        self.query_one("#tabs", Tabs).focus()
        if self.kiosk_app.today is not None:
            self.show_today(self.kiosk_app.today)
        self.load(first)

    # which view -------------------------------------------------------------------------

    @property
    def view(self) -> str:
        return self.query_one("#views", ContentSwitcher).current or "today"

    def show_view(self, view: str) -> None:
        """Switch to a view (the tabs do this; tests and benchmarks call it too)."""
        self.query_one("#tabs", Tabs).active = f"tab-{view}"

    def _show_filters(self, view: str) -> None:
        ranged = view != "today"
        self.query_one("#filters").display = ranged
        self.query_one("#range-line").display = ranged

    @on(Tabs.TabActivated, "#tabs")
    def _tab(self, event: Tabs.TabActivated) -> None:
        view = (event.tab.id or "tab-today").removeprefix("tab-")
        self.query_one("#views", ContentSwitcher).current = view
        self._show_filters(view)
        if view == "log":
            self.load_log()

    @on(Button.Pressed, ".tool")
    async def _tool(self, event: Button.Pressed) -> None:
        action = (event.button.id or "").removeprefix("do-")
        await self.run_action(action)

    # Today -------------------------------------------------------------------------------

    def show_today(self, data: views.TodayView) -> None:
        settings = self.kiosk_app.settings
        lang = settings.default_language
        local = data.now.astimezone(settings.site.tz)
        self.query_one("#today-head", Static).update(
            w("today", day=data.day, time=local.strftime("%H:%M")))
        rep = data.report
        rows = []
        overall = rep["overall"]
        rows.append(["overall", NONE, fmt(data.everyone.waiting),
                     fmt(data.everyone.oldest_wait_min, "min"),
                     fmt(overall["issued"]), fmt(overall["served"]), fmt(overall["no_show"]),
                     fmt(overall["wait_min"]["median"], "min"),
                     fmt(overall["wait_min"]["p90"], "min"),
                     fmt(overall["within_target"], "pct"), NONE,
                     fmt(overall["target_met"], "bool")])
        for group in rep["by_class"]:
            now = data.waiting[group["class"]]
            oldest = now.oldest_wait_min
            late = oldest is not None and oldest > group["target_wait_min"]
            rows.append([group["class"], f"{group['target_wait_min']:g} min",
                         fmt(now.waiting), fmt(oldest, "min") + (" ⚠ over" if late else ""),
                         fmt(group["issued"]), fmt(group["served"]), fmt(group["no_show"]),
                         fmt(group["wait_min"]["median"], "min"),
                         fmt(group["wait_min"]["p90"], "min"),
                         fmt(group["within_target"], "pct"), f"{group['target_share']:.0%}",
                         fmt(group["target_met"], "bool")])
        plain_table(self.query_one("#today-classes", DataTable),
                    ["class", "target", "waiting", "oldest min", "issued", "served",
                     "no-show", "wait med.", "p90", "within", "standard", "met"],
                    rows, right=range(1, 12))
        services = []
        for s in data.status.services:
            try:
                name = settings.service(s.service).name[lang]
            except KeyError:
                name = s.service
            services.append([f"{s.service} {short(name)}", fmt(s.waiting), fmt(s.priority),
                             fmt(s.regular), fmt(s.oldest_wait_min, "min")])
        plain_table(self.query_one("#today-services", DataTable),
                    ["service", "waiting", "priority", "regular", "oldest min"], services,
                    right=range(1, 5))
        counters = []
        for c in data.status.counters:
            current = f"{c.label} ({c.ticket_state})" if c.label else NONE
            staff = c.staff if c.staff and c.state != "closed" else NONE
            counters.append([str(c.counter), c.state, staff, current])
        plain_table(self.query_one("#today-counters", DataTable),
                    ["counter", "state", "staff", "now"], counters)
        self.query_one("#today-devices", Static).update(self._devices(data))

    def _devices(self, data: views.TodayView) -> Text:
        text = Text()
        printers = views.printers(data.status.devices)
        configured = {k.printer for k in self.kiosk_app.settings.kiosks if k.printer}
        seen = {p.name for p in printers}
        lines: list[tuple[str, str, bool]] = []
        for p in printers:
            ok = p.state == "ok"
            detail = f" ({p.detail})" if p.detail else ""
            state = p.state.replace("_", " ")  # paper_low -> paper low
            lines.append((f"printer {p.name}", f"{state}{detail}", not ok))
        for name in sorted(configured - seen):
            lines.append((f"printer {name}", "not reported yet", True))
        if not lines:
            lines.append(("printer", w("no_printer"), False))
        for a in data.announcers:
            if a.on:
                state, alert = "on", False
            else:
                age = a.age_s
                since = "" if age is None else f", last heartbeat {_age(age)} ago"
                state = f"{'error' if a.state == 'error' else 'off'}"
                state += f" ({a.detail}{since})" if a.detail else (
                    f" ({since[2:]})" if since else "")
                alert = True
            lines.append((f"announcer {a.name}", state, alert))
        for i, (what, state, alert) in enumerate(lines):
            text.append(("\n" if i else "") + ("⚠ " if alert else "✔ ") + what + ": ")
            text.append(state, "bold" if alert else "")
        return text

    # the range views ---------------------------------------------------------------------

    def read_filters(self) -> Range:
        def chosen(selector: str) -> Any:
            value = self.query_one(selector, Select).value
            return None if value is Select.NULL else value

        return Range(self.query_one("#from", Input).value.strip(),
                     self.query_one("#to", Input).value.strip(),
                     chosen("#service"), chosen("#counter"), chosen("#class"))

    @on(Button.Pressed, "#show")
    @on(Input.Submitted, "#from, #to")
    def _show(self) -> None:
        self.load(self.read_filters())

    def action_reload(self) -> None:
        if self.range is not None:
            self.load(self.range)

    def load(self, rng: Range) -> Worker[None]:
        """Read a range in the background and show it (the worker: tests and benchmarks
        can wait for it)."""
        return self.run_worker(self._load(rng), group="range", exclusive=True)

    async def _load(self, rng: Range) -> None:
        app = self.kiosk_app
        status = self.query_one("#range-status", Static)
        bar = self.query_one("#range-progress", ProgressBar)
        status.update(w("loading", days=max(rng.days, 0)))
        bar.update(total=max(rng.days, 1), progress=0)
        bar.display = True
        started = time.perf_counter()
        token = self._wanted = object()
        try:
            data = await app.store.run(_overview, rng, app.progress_callback(
                bar, lambda: self._wanted is token))
        except Stopped:
            return
        except KioskError as exc:
            # The reports' messages name the command's options (--from); here: the fields.
            status.update(w("error", error=str(exc).replace("--", "")))
            bar.display = False
            return
        self.range = rng
        self.data = data
        app.timings["computed"] = time.perf_counter() - started
        self.show_range(rng, data)
        bar.display = False
        if self.view == "log":
            self.load_log(page=0)
        if not self._warming:
            self._warming = True
            self.run_worker(self._warm(), group="warm")

    async def _warm(self) -> None:
        """Fill the report cache for the settled months of the last `warm_months`, newest
        first, one month per store-thread call: a range asked for meanwhile waits at most one
        month's computing, and a year-long range later reads cached months (design: the
        first year-long report of a store costs seconds; afterwards it costs ~0.1 s)."""
        app = self.kiosk_app
        started = time.perf_counter()
        today = date.fromisoformat(clk.local_day(app.clock.now(), app.settings.site.tz))
        end = today.replace(day=1) - timedelta(days=1)
        for _ in range(app.warm_months):
            first = end.replace(day=1)
            try:
                await app.store.run(_warm_month, first.isoformat(), end.isoformat())
            except KioskError as exc:
                self.log.error(f"admin: cache warm-up stopped: {exc}")
                return
            end = first - timedelta(days=1)
        app.timings["warmed"] = time.perf_counter() - started

    def show_range(self, rng: Range, data: dict[str, Any]) -> None:
        settings = self.kiosk_app.settings
        rep = data["report"]
        self.query_one("#range-status", Static).update(w(
            "range", first=rep["from"], last=rep["to"], days=rng.days,
            issued=rep["overall"]["issued"], filters=rng.filters_text()))
        self.query_one("#t-class", SortableTable).set_items(
            [("overall", rep["overall"]), *((g["class"], g) for g in rep["by_class"])])
        self.query_one("#t-service", SortableTable).set_items(
            [(f"{g['service']} {short(g['name'])}", g) for g in rep["by_service"]])
        self.query_one("#t-counter", SortableTable).set_items(
            [(f"{g['counter']} {short(g['name'])}", g) for g in rep["by_counter"]])
        self.query_one("#t-hour", SortableTable).set_items(
            [(f"{g['hour']:02d}:00", g) for g in rep["by_hour"]])
        for chart_id, cid, series in chart_series(settings, data):
            chart = self.query_one(f"#{chart_id}", Chart)
            chart.show(series)
            self.query_one(f"#caption-{cid}", Static).update(chart.caption())

    # the log -----------------------------------------------------------------------------

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
        table = self.query_one("#log-table", DataTable)
        table.clear()
        right = {"segment", "counter", "wait_min", "service_min"}
        for row in data["rows"]:
            table.add_row(*(Text(NONE if row[k] is None else str(row[k]),
                                 justify="right" if k in right else "left")
                            for k in reports.LOG_COLUMNS))
        search = f" matching “{label.upper()}”" if label else ""
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

    # actions -----------------------------------------------------------------------------

    def action_toggle_theme(self) -> None:
        self.kiosk_app.toggle_theme()

    def action_export(self) -> None:
        if self.view != "today" and self.data is None:
            return
        self.app.push_screen(ExportScreen(self.export_job()))

    def action_purge(self) -> None:
        def done(result: dict[str, Any] | None) -> None:
            if result is not None and self.range is not None:
                self.log_range = None
                self.load(self.range)

        self.app.push_screen(PurgeScreen(self.admin), done)

    async def action_quit(self) -> None:
        await self.kiosk_app.action_quit()

    def export_job(self) -> ExportJob:
        """What `e` writes for the view on show (computed when the dialog opens)."""
        view = self.view
        app = self.kiosk_app
        if view == "today":
            data = app.today
            day = data.day if data is not None else clk.local_day(app.clock.now(),
                                                                  app.settings.site.tz)
            rng = Range(day, day)
            today_report = data.report if data is not None else None
            return ExportJob("today", f"today {day}", rng, report=today_report)
        assert self.range is not None and self.data is not None
        what = f"{self.range.date_from} .. {self.range.date_to}{self.range.filters_text()}"
        if view == "stats":
            return ExportJob("statistics", what, self.range, report=self.data["report"])
        if view == "charts":
            return ExportJob("charts", what, self.range,
                             series=chart_export(app.settings, self.data))
        label = self.query_one("#log-search", Input).value.strip()
        if label:
            what += f" · label “{label.upper()}”"
        return ExportJob("log", what, self.range, label=label)


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _overview(store: Store, rng: Range, progress: reports.Progress) -> dict[str, Any]:
    return reports.overview(store, store.settings, progress=progress, **rng.kwargs())


def _warm_month(store: Store, first: str, last: str) -> None:
    reports.report(store, store.settings, date_from=first, date_to=last)


def _log_page(store: Store, rng: Range, label: str, page: int, per_page: int,
              ) -> dict[str, Any]:
    return reports.log_page(store, store.settings, label=label, page=page, per_page=per_page,
                            **rng.kwargs())


def chart_series(settings: Settings, data: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(chart id, caption id, what the chart draws) for the Charts view."""
    rep = data["report"]
    targets = {"priority": settings.targets.priority, "regular": settings.targets.regular}
    out: list[tuple[str, str, Any]] = [
        ("c-hours", "hours", {"arrivals": {g["hour"]: g["issued"] for g in rep["by_hour"]},
                              "calls": dict(data["calls_by_hour"])}),
    ]
    groups = {g["class"]: g for g in rep["by_class"]}
    for cls in reports.CLASSES:
        out.append((f"c-wait-{cls}", f"wait-{cls}", {
            "minutes": dict(data["wait_hist"][cls]),
            "target_min": targets[cls].wait_min, "target_share": targets[cls].share,
            "within_target": groups[cls]["within_target"], "judged": groups[cls]["judged"]}))
    out.append(("c-within", "within", {
        "days": data["days"],
        "shares": [targets["priority"].share, targets["regular"].share]}))
    out.append(("c-util", "util", [{"counter": g["counter"], "utilisation": g["utilisation"]}
                                   for g in rep["by_counter"]]))
    return out


def chart_export(settings: Settings, data: dict[str, Any]) -> dict[str, Any]:
    """The numbers behind the charts, as exported (JSON as is; CSV one row per point)."""
    series = {cid: value for _chart, cid, value in chart_series(settings, data)}
    rep = data["report"]
    return {
        "from": rep["from"], "to": rep["to"], "timezone": rep["timezone"],
        "filters": rep["filters"],
        "arrivals_by_hour": series["hours"]["arrivals"],
        "calls_by_hour": series["hours"]["calls"],
        "wait_minutes": {cls: series[f"wait-{cls}"]["minutes"] for cls in reports.CLASSES},
        "targets": {cls: {"wait_min": series[f"wait-{cls}"]["target_min"],
                          "share": series[f"wait-{cls}"]["target_share"]}
                    for cls in reports.CLASSES},
        "days": data["days"],
        "utilisation": {g["counter"]: g["utilisation"] for g in series["util"]},
    }


# -- export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportJob:
    """One view's export: `report` (Today, Statistics), `series` (Charts) or the log."""

    view: str
    what: str
    range: Range
    report: dict[str, Any] | None = None
    series: dict[str, Any] | None = None
    label: str = ""

    def path(self, folder: Path, ext: str) -> Path:
        slug = self.range.slug()
        if self.label:
            slug += "-label-" + "".join(ch for ch in self.label.upper() if ch.isalnum())
        return folder / f"kiosk-{self.view}-{slug}.{ext}"

    def write(self, store: Store, folder: Path, ext: str,
              progress: reports.Progress) -> Path:
        """Runs on the store thread. Writes to a temporary name, then renames: a half-written
        file never carries the final name."""
        folder.mkdir(parents=True, exist_ok=True)
        path = self.path(folder, ext)
        partial = path.with_name(path.name + ".part")
        try:
            self._write(store, partial, ext, progress)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(path)
        return path

    def _write(self, store: Store, partial: Path, ext: str,
               progress: reports.Progress) -> None:
        with open(partial, "w", encoding="utf-8", newline="") as out:
            if self.view == "log":
                self._write_log(store, out, ext, progress)
            elif self.series is not None:
                _write_series(self.series, out, ext)
                progress(1, 1)
            else:
                rep = self.report
                if rep is None:  # Today before the first read: read it now
                    rep = reports.report(store, store.settings,
                                         date_from=self.range.date_from,
                                         date_to=self.range.date_to)
                out.write(reports.to_csv(rep) if ext == "csv"
                          else json.dumps(rep, ensure_ascii=False) + "\n")
                progress(1, 1)

    def _write_log(self, store: Store, out: Any, ext: str, progress: reports.Progress) -> None:
        rows = reports.log_rows(store, store.settings, label=self.label, progress=progress,
                                **self.range.kwargs())
        if ext == "csv":
            writer = csv.DictWriter(out, fieldnames=reports.LOG_COLUMNS, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
            return
        head = {"from": self.range.date_from, "to": self.range.date_to,
                "timezone": store.settings.site.timezone,
                "filters": {"service": self.range.service, "counter": self.range.counter,
                            "priority": self.range.priority},
                "label": self.label or None}
        out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [')
        sep = ""
        for row in rows:
            out.write(sep + json.dumps(row, ensure_ascii=False))
            sep = ", "
        out.write("]}\n")


def _write_series(series: dict[str, Any], out: Any, ext: str) -> None:
    if ext == "json":
        out.write(json.dumps(series, ensure_ascii=False) + "\n")
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["chart", "series", "x", "value"])
    for key in ("arrivals_by_hour", "calls_by_hour"):
        for hour, n in series[key].items():
            writer.writerow(["by_hour", key.split("_")[0], hour, n])
    for cls, minutes in series["wait_minutes"].items():
        for minute, n in minutes.items():
            writer.writerow(["wait_minutes", cls, minute, n])
    for day in series["days"]:
        for i, cls in enumerate(reports.CLASSES):
            share = day["within_target"][i]
            writer.writerow(["within_target_by_day", cls, day["day"],
                             "" if share is None else share])
    for counter, share in series["utilisation"].items():
        writer.writerow(["utilisation", "counter", counter, "" if share is None else share])


class ExportScreen(ModalScreen[list[Path]]):
    """Choose CSV or JSON and a folder; a progress bar while a long range is written."""

    BINDINGS: ClassVar[list[Any]] = [Binding("escape", "close", "Close")]

    def __init__(self, job: ExportJob) -> None:
        super().__init__()
        self.job = job
        self.written: list[Path] = []
        self.closed = threading.Event()

    def compose(self) -> ComposeResult:
        app = self.app
        assert isinstance(app, AdminApp)
        with Vertical(id="dialog"):
            yield Static(w("export_title", view=self.job.view, what=self.job.what),
                         classes="dialog-title")
            with Horizontal(classes="dialog-row"):
                yield Select([("CSV", "csv"), ("JSON", "json")], value="csv",
                             allow_blank=False, id="export-format")
                yield Input(str(app.export_dir), placeholder=w("export_folder"),
                            id="export-folder")
            yield ProgressBar(total=1, show_eta=False, id="export-progress")
            yield Static("", id="export-result")
            with Horizontal(classes="dialog-buttons"):
                yield Button(w("export"), id="export-go")
                yield Button(w("close"), id="export-close")

    def on_mount(self) -> None:
        self.query_one("#export-go", Button).focus()

    @on(Button.Pressed, "#export-go")
    @on(Input.Submitted, "#export-folder")
    def _go(self) -> None:
        ext = str(self.query_one("#export-format", Select).value)
        folder = Path(self.query_one("#export-folder", Input).value.strip() or ".").expanduser()
        self.run_worker(self._export(folder, ext), group="export", exclusive=True)

    async def _export(self, folder: Path, ext: str) -> None:
        app = self.app
        assert isinstance(app, AdminApp)
        bar = self.query_one("#export-progress", ProgressBar)
        result = self.query_one("#export-result", Static)
        go = self.query_one("#export-go", Button)
        bar.update(total=max(self.job.range.days, 1), progress=0)
        go.disabled = True
        try:
            path = await app.store.run(self.job.write, folder, ext, app.progress_callback(
                bar, lambda: not self.closed.is_set()))
        except Stopped:
            return
        except (OSError, KioskError) as exc:
            result.update(w("export_failed", error=exc))
            return
        finally:
            go.disabled = False
        bar.update(total=1, progress=1)
        app.export_dir = folder
        self.written.append(path)
        result.update(w("exported", files=path))

    @on(Button.Pressed, "#export-close")
    def action_close(self) -> None:
        self.closed.set()  # an export still writing stops at its next day
        self.dismiss(self.written)


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
        app = self.app
        assert isinstance(app, AdminApp)
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
        app = self.app
        assert isinstance(app, AdminApp)
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
        app = self.app
        assert isinstance(app, AdminApp)
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


# -- the app -------------------------------------------------------------------------------


class AdminApp(App[None]):
    """`kiosk admin`. `clock` is the store's clock (tests: a ManualClock)."""

    CSS_PATH = "admin.tcss"
    TITLE = "kiosk admin"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[Any]] = [Binding("f2", "toggle_theme", "Theme", show=False)]

    def __init__(
        self,
        settings: Settings,
        *,
        clock: clk.Clock | None = None,
        poll_s: float = 0.25,
        every_s: float = 10.0,
        per_page: int = 100,
        export_dir: Path | None = None,
        warm_months: int = 12,
    ) -> None:
        super().__init__()
        self.warm_months = warm_months
        """Past months whose report cache is filled in the background after sign-in."""
        self.settings = settings
        self.clock: clk.Clock = clock or clk.SystemClock()
        self.per_page = per_page
        self.export_dir = export_dir or Path(settings.store.path).parent / "exports"
        for theme in themes.THEMES:
            self.register_theme(theme)
        self.theme = themes.BY_SETTING[settings.patron.theme]
        self.store = StoreThread(settings, self.clock, name="kiosk-admin-store")
        self.follower = follow(self, settings, self.clock, views.today, poll_s=poll_s,
                               every_s=every_s, name="kiosk-admin-follower")
        self.admin: str | None = None
        self.today: views.TodayView | None = None
        self.closing = threading.Event()
        """Set when the app closes: long reads on the store thread stop at their next day."""
        self.timings: dict[str, float] = {}
        """Benchmarks: seconds spent on the last range's steps."""

    async def on_mount(self) -> None:
        await self.push_screen(LoginScreen())

    async def on_unmount(self) -> None:
        self.closing.set()
        self.follower.stop()
        if self.admin is not None:
            try:
                await self.store.run(_log_admin, "signed_out", self.admin)
            except Exception as exc:  # a locked store must not keep the app from closing
                self.log.error(f"admin: sign-out not logged: {exc}")
        self.store.close()

    async def sign_in(self, screen: LoginScreen, name: str, pin: str) -> None:
        try:
            person = await self.store.run(_verify_admin, name, pin)
        except KioskError as exc:
            screen.refused(str(exc))
            return
        self.admin = person.name
        self.follower.start()  # nothing is read for an admin view before the PIN
        await self.switch_screen(AdminScreen(person.name))

    def on_fresh(self, message: Fresh[views.TodayView]) -> None:
        if not self.is_running:
            # Shutting down: the screens' widgets may already be gone (a read posted just
            # before the app began to close would otherwise fail to find them).
            return
        if message.data is None:
            self.log.error(f"admin: cannot read the store: {message.error}")
            return
        self.today = message.data
        if isinstance(self.screen, AdminScreen):
            self.screen.show_today(message.data)
        else:
            for screen in self.screen_stack:
                if isinstance(screen, AdminScreen):
                    screen.show_today(message.data)

    def toggle_theme(self) -> None:
        self.theme = (themes.HIGH_CONTRAST if self.theme != themes.HIGH_CONTRAST
                      else themes.CONTRAST)

    def action_toggle_theme(self) -> None:
        self.toggle_theme()

    def progress_callback(self, bar: ProgressBar,
                          wanted: Callable[[], bool] = lambda: True) -> reports.Progress:
        """progress(done, total) from the store thread, shown on the bar (never blocking
        the thread; at most about 20 updates a second). Raises Stopped in the thread once
        `wanted()` is false or the app is closing."""
        loop = asyncio.get_running_loop()
        last = [0.0]

        def update(done: int, total: int) -> None:
            if self.closing.is_set() or not wanted():
                raise Stopped
            now = time.monotonic()
            if done < total and now - last[0] < 0.05:
                return
            last[0] = now
            if not loop.is_closed():
                loop.call_soon_threadsafe(lambda: bar.update(total=total, progress=done))

        return update


def _verify_admin(store: Store, name: str, pin: str) -> Person:
    person = store.verify_pin(name, pin, need_role="admin")
    _log_admin(store, "signed_in", person.name)
    return person


def _log_admin(store: Store, kind: str, name: str) -> None:
    """Who opened the admin screen, and when, is in the event log (no counter: reports
    count only counter events as a counter's time)."""
    store.log(kind, actor=name, detail={"screen": "admin"})


def run(settings: Settings, *, clock: clk.Clock | None = None) -> None:
    """`kiosk admin`: the admin screen in this terminal (or, served, in a browser)."""
    AdminApp(settings, clock=clock).run()


__all__ = ["AdminApp", "AdminScreen", "LoginScreen", "Range", "run"]
