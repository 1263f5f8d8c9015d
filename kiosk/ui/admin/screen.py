"""The admin screen: the tabs, the filter bar and the five views (Today, Statistics,
Charts, Log, Survey), and its actions (export, purge, theme, language, reload, quit).

`l` switches the admin's words to the next site language: the screen composes itself again
in it and puts back what was on show (the tab, the filters, the range, the log's page, each
table's order) from what it already holds, without reading the store again."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
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
from kiosk.ui.admin.survey_view import SurveyView, sw
from kiosk.ui.admin.tables import (
    BOOKING_COLUMNS,
    COUNTER_COLUMNS,
    STAT_COLUMNS,
    SortableTable,
)
from kiosk.ui.admin.today import TodayView
from kiosk.ui.admin.words import (
    VIEWS,
    bind,
    day_text,
    language,
    named,
    say_bindings,
    short,
    w,
)


class AdminScreen(TodayView, RangeViews, LogView, SurveyView):
    """Today, Statistics, Charts, Log and Survey; the filter bar serves the range views."""

    BINDINGS: ClassVar[list[Any]] = [
        bind("e", "export", "key_export"),
        bind("p", "purge", "key_purge"),
        bind("t", "toggle_theme", "key_theme"),
        bind("l", "switch_language", "key_language"),
        bind("r", "reload", "key_reload"),
        bind("left_square_bracket", "page(-1)", "key_newer", show=False),
        bind("right_square_bracket", "page(1)", "key_older", show=False),
        bind("q", "quit", "key_quit"),
    ]
    TOOLS = (("export", "e"), ("purge", "p"), ("toggle_theme", "t"),
             ("switch_language", "l"), ("quit", "q"))
    """The buttons in the top line: an action and its key (the binding's words)."""

    def __init__(self, admin: str) -> None:
        super().__init__(admin)
        self._say_bindings()

    def _say_bindings(self) -> None:
        # The language key is named in the language it switches to ("English").
        say_bindings(self, switch_language=self.kiosk_app.next_language_name())

    # layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield Static(self._title(), id="title", markup=False)
            yield from self._tools()
        yield Tabs(*(Tab(w(f"tab_{view}"), id=f"tab-{view}") for view in VIEWS),
                   Tab(sw("tab"), id="tab-survey"), id="tabs")
        with Horizontal(id="filters"):
            yield from self._filters()
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
                yield Static(w("by_arrival"), classes="heading")
                yield SortableTable("arrival", STAT_COLUMNS, id="t-arrival")
                yield Static(w("appointments",
                               target=self.kiosk_app.settings.booking.punctual_min),
                             classes="heading", id="appointments-heading")
                yield SortableTable("service", BOOKING_COLUMNS, id="t-booking")
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
            with VerticalScroll(id="survey"):
                yield from self.compose_survey()
        yield Footer()

    def _title(self) -> str:
        app = self.kiosk_app
        if app.central:
            from kiosk.central.connect import where

            return w("title_central", where=where(app.central), site=app.central_site,
                     name=self.admin)
        return w("title", site=app.settings.site.name, name=self.admin)

    def _tools(self) -> ComposeResult:
        languages = set(self.kiosk_app.settings.site.languages)
        for action, keys in self.TOOLS:
            if action == "switch_language" and len(languages) < 2:
                continue  # one site language: nothing to switch to
            words = next(b.description for _k, b in self._bindings if b.action == action)
            yield Button(f"{words} ({keys})", id=f"do-{action}", classes="tool",
                         compact=True)

    def _filters(self) -> ComposeResult:
        settings = self.kiosk_app.settings
        for field in ("from", "to"):
            typed = Input(placeholder=w("date_hint"), id=field, max_length=10)
            typed.border_title = w(field)  # the field's name stays in sight over a date
            yield typed
        yield Select([(f"{s.prefix} {short(named(s.name, s.prefix))}", s.prefix)
                      for s in settings.services], prompt=w("all_services"), id="service")
        yield Select([(f"{c.id} {short(named(c.name, str(c.id)))}", c.id)
                      for c in settings.counters], prompt=w("all_counters"), id="counter")
        yield Select([(w("class_priority"), True), (w("class_regular"), False)],
                     prompt=w("all_classes"), id="class")
        yield Button(w("show"), id="show")

    def on_mount(self) -> None:
        today = clk.local_day(self.kiosk_app.clock.now(), self.kiosk_app.settings.site.tz)
        first = default_range(today)
        self.query_one("#from", Input).value = first.date_from
        self.query_one("#to", Input).value = first.date_to
        self.query_one("#range-progress").display = False
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
        elif view == "survey":
            self.load_survey()

    @on(Button.Pressed, ".tool")
    async def _tool(self, event: Button.Pressed) -> None:
        action = (event.button.id or "").removeprefix("do-")
        await self.run_action(action)

    # actions -----------------------------------------------------------------------------

    def action_toggle_theme(self) -> None:
        self.kiosk_app.toggle_theme()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_language":  # one site language: the key does nothing
            return len(set(self.kiosk_app.settings.site.languages)) > 1
        return True

    async def action_switch_language(self) -> None:
        """The admin's words in the next site language, all that was on show kept."""
        kept = self._kept()
        self.kiosk_app.switch_language()
        self._say_bindings()
        await self.recompose()
        self._put_back(kept)

    def _kept(self) -> dict[str, Any]:
        """What the admin chose on this screen (the fields, the tables' order)."""
        fields = {f"#{i}": self.query_one(f"#{i}", Input).value
                  for i in ("from", "to", "log-search")}
        chosen = {f"#{i}": self.query_one(f"#{i}", Select).value
                  for i in ("service", "counter", "class")}
        orders = {t.id: (t.sort_key, t.descending) for t in self.query(SortableTable)}
        return {"view": self.view, "fields": fields, "chosen": chosen, "orders": orders}

    def _put_back(self, kept: dict[str, Any]) -> None:
        """After composing again: the choices, then what was shown, drawn from what the
        screen holds (nothing is read again)."""
        with self.prevent(Input.Changed):  # a search typed again is not a new search
            for selector, value in kept["fields"].items():
                self.query_one(selector, Input).value = value
        for selector, value in kept["chosen"].items():
            self.query_one(selector, Select).value = value
        for table in self.query(SortableTable):
            table.sort_key, table.descending = kept["orders"].get(table.id, (None, True))
        self.query_one("#range-progress").display = False
        self.query_one("#views", ContentSwitcher).current = kept["view"]
        self._show_filters(kept["view"])
        self.query_one("#tabs", Tabs).active = f"tab-{kept['view']}"
        self.query_one("#tabs", Tabs).focus()
        if self.kiosk_app.today is not None:
            self.show_today(self.kiosk_app.today)
        if self.range is not None and self.data is not None:
            self.show_range(self.range, self.data)
        if self.log_range is not None and self.log_data is not None:
            self.show_log(self.log_range[1], self.log_data)
        if self.survey_data is not None:
            self.show_survey(self.survey_data)

    def action_export(self) -> None:
        if self.view == "survey" and self.survey_data is None:
            return
        if self.view not in ("today", "survey") and self.data is None:
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
            return ExportJob("today", day_text(day), rng, report=today_report)
        shown = self.survey_export() if view == "survey" else None
        if shown is not None:
            what, rng, survey_report = shown
            return ExportJob("survey", what, rng, survey=survey_report, lang=language())
        assert self.range is not None and self.data is not None
        what = self.range.dates_text() + self.range.filters_text()
        if view == "stats":
            return ExportJob("statistics", what, self.range, report=self.data["report"])
        if view == "charts":
            return ExportJob("charts", what, self.range,
                             series=chart_export(app.settings, self.data))
        label = self.query_one("#log-search", Input).value.strip()
        if label:
            what += w("export_label", label=label.upper())
        return ExportJob("log", what, self.range, label=label)
