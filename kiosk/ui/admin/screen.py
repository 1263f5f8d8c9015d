"""The admin screen: the tabs, the filter bar and the four views (Today, Statistics,
Charts, Log), and its actions (export, purge, theme, reload, quit)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
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

from kiosk import clock as clk
from kiosk import reports
from kiosk.ui.admin.base import Range, default_range
from kiosk.ui.admin.charts import (
    HoursChart,
    UtilisationChart,
    WaitChart,
    WithinChart,
    chart_export,
)
from kiosk.ui.admin.export import ExportJob, ExportScreen
from kiosk.ui.admin.log_view import LogView
from kiosk.ui.admin.purge import PurgeScreen
from kiosk.ui.admin.ranges import RangeViews
from kiosk.ui.admin.tables import COUNTER_COLUMNS, LOG_TITLES, STAT_COLUMNS, SortableTable
from kiosk.ui.admin.today import TodayView
from kiosk.ui.admin.words import VIEWS, short, w


class AdminScreen(TodayView, RangeViews, LogView):
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
