"""The range views, Statistics and Charts: a range of local dates and the filters of
`kiosk report`, read in the background and shown as sortable tables and charts; the cache
of past months warmed meanwhile."""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta
from typing import Any

from textual import on
from textual.widgets import (
    Button,
    Input,
    ProgressBar,
    Select,
    Static,
)
from textual.worker import Worker

from kiosk import clock as clk
from kiosk import reports
from kiosk.exceptions import KioskError
from kiosk.store import Store
from kiosk.ui.admin.base import AdminViews, Range, Stopped, dates_text
from kiosk.ui.admin.charts import (
    Chart,
    chart_series,
)
from kiosk.ui.admin.tables import SortableTable
from kiosk.ui.admin.words import named, short, w

log = logging.getLogger("kiosk.admin")
"""To the screen's log file (Textual's `self.log` keeps nothing without devtools)."""


class RangeViews(AdminViews):
    """Statistics and Charts of the range in the filter bar."""

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
        problem = rng.problem()
        if problem is not None:  # said here in the admin's words, not the report's
            status.update(problem)
            return
        status.update(w("loading", days=max(rng.days, 0)))
        bar.update(total=max(rng.days, 1), progress=0)
        bar.display = True
        started = time.perf_counter()
        token = self._wanted = object()
        progress = app.progress_callback(bar, lambda: self._wanted is token)
        try:
            if app.central:
                data = await app.store.run(_central_overview, app.central, app.central_site,
                                           rng, progress)
            else:
                data = await app.store.run(_overview, rng, progress)
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
        elif self.view == "survey":
            self.load_survey(force=True)
        if not self._warming and not app.central:
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
                log.error(f"admin: cache warm-up stopped: {exc}")
                return
            end = first - timedelta(days=1)
        app.timings["warmed"] = time.perf_counter() - started

    def show_range(self, rng: Range, data: dict[str, Any]) -> None:
        settings = self.kiosk_app.settings
        rep = data["report"]
        self.query_one("#range-status", Static).update(w(
            "range", dates=dates_text(rep["from"], rep["to"]), days=rng.days,
            issued=rep["overall"]["issued"], filters=rng.filters_text()))
        self.query_one("#t-class", SortableTable).set_items(
            [(w("class_overall"), rep["overall"]),
             *((w(f"class_{g['class']}"), g) for g in rep["by_class"])])
        services = {s.prefix: s.name for s in settings.services}
        self.query_one("#t-service", SortableTable).set_items(
            [(_row_name(g["service"], services.get(g["service"], {}), g["name"]), g)
             for g in rep["by_service"]])
        counters = {c.id: c.name for c in settings.counters}
        self.query_one("#t-counter", SortableTable).set_items(
            [(_row_name(g["counter"], counters.get(g["counter"], {}), g["name"]), g)
             for g in rep["by_counter"]])
        self.query_one("#t-hour", SortableTable).set_items(
            [(f"{g['hour']:02d}:00", g) for g in rep["by_hour"]])
        self.query_one("#t-arrival", SortableTable).set_items(
            [(w(f"arrival_{g['arrival']}"), g) for g in rep["overall"]["by_arrival"]])
        booked = rep["appointments"]
        self.query_one("#appointments-heading", Static).update(
            w("appointments", target=booked["punctual_target_min"]))
        self.query_one("#t-booking", SortableTable).set_items(
            [(w("class_overall"), booked),
             *((_row_name(g["service"], services.get(g["service"], {}), g["name"]), g)
               for g in booked["by_service"])])
        for chart_id, cid, series in chart_series(settings, data):
            chart = self.query_one(f"#{chart_id}", Chart)
            chart.show(series)
            self.query_one(f"#caption-{cid}", Static).update(chart.caption())


def _row_name(key: object, names: dict[str, str], reported: str) -> str:
    """A service's or counter's row: its key and its name in the admin's language (else the
    name the report carries)."""
    return f"{key} {short(named(names, reported))}"


def _overview(store: Store, rng: Range, progress: reports.Progress) -> dict[str, Any]:
    return reports.overview(store, store.settings, progress=progress, **rng.kwargs())


def _central_overview(store: Store, url: str, site: str, rng: Range,
                      progress: reports.Progress) -> dict[str, Any]:
    from kiosk.central.report import CentralReports

    with CentralReports(url, store.settings) as centre:
        return centre.overview(site, progress=progress, **rng.kwargs())


def _warm_month(store: Store, first: str, last: str) -> None:
    reports.report(store, store.settings, date_from=first, date_to=last)
