"""The Survey view: the satisfaction survey (SKM, issue 24) of the range in the filter bar.

The IKM with its category and the respondents against the sample the period needs (said
plainly when too few answered), the nine NRRs as a chart and as the regulation's table
(the very rows the export prints: `kiosk.reports.survey.publication`), the IKM by month,
the site's own questions and the counter's quick four-face rating apart from the index,
and the suggestions to read. Its words are the `[survey_report]` table of the catalogues
(`sw`), in the admin's language; read on the store thread like the other range views.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from kiosk import i18n
from kiosk.exceptions import KioskError
from kiosk.reports import survey
from kiosk.store import Store
from kiosk.ui.admin.base import AdminViews, Range
from kiosk.ui.admin.charts import SOLID, Plot, percent_ticks
from kiosk.ui.admin.words import NONE, day_text, language, month_name, w


def sw(key: str, **values: Any) -> str:
    """The survey word `key` (`survey_report.KEY`) in the admin's language."""
    return i18n.t(language(), f"survey_report.{key}", **values)


class NrrChart(Plot):
    """Each element's NRR (1 to 4) as a bar."""

    def chart_title(self) -> str:
        return sw("chart_nrr")

    def draw(self, data: list[dict[str, Any]]) -> None:
        answered = [e for e in data if e["nrr"] is not None]
        if not answered:
            return
        self.plt.bar([e["code"] for e in answered], [e["nrr"] for e in answered],
                     marker=SOLID, color=self.colour("kiosk-accent"), width=0.6)
        self.plt.ylim(0, 4)
        self.plt.yticks([0, 1, 2, 3, 4], ["0", "1", "2", "3", "4"])

    def describe(self, data: list[dict[str, Any]]) -> str:
        answered = [e for e in data if e["nrr"] is not None]
        if not answered:
            return sw("nrr_none")
        low = min(answered, key=lambda e: e["nrr"])
        high = max(answered, key=lambda e: e["nrr"])
        return sw("nrr_caption", low=low["code"], low_nrr=f"{low['nrr']:.2f}",
                  high=high["code"], high_nrr=f"{high['nrr']:.2f}")


class TrendChart(Plot):
    """The IKM of each month of the range (0 to 100)."""

    def chart_title(self) -> str:
        return sw("chart_trend")

    def draw(self, data: list[dict[str, Any]]) -> None:
        months = [m for m in data if m["ikm"] is not None]
        if not months:
            return
        long = len(months) <= 4  # room for the year under each bar
        labels = [survey.month_text(language(), m["month"]) if long
                  else month_name(int(m["month"][5:])) for m in months]
        self.plt.bar(labels, [m["ikm"] for m in months], marker=SOLID,
                     color=self.colour("kiosk-accent"), width=0.6)
        self.plt.xlim(0, max(len(months), 6) + 1)  # a month or two: bars, not a wall
        percent_ticks(self.plt)

    def describe(self, data: list[dict[str, Any]]) -> str:
        months = [m for m in data if m["ikm"] is not None]
        if not months:
            return sw("trend_none")
        last = months[-1]
        return sw("trend_caption", month=survey.month_text(language(), last["month"]),
                  ikm=f"{last['ikm']:.2f}", category=last["category"], n=last["respondents"])


class SurveyView(AdminViews):
    """The survey of the range on show: read when its tab opens and with every new range."""

    def compose_survey(self) -> ComposeResult:
        yield Static("", id="survey-head", markup=False)
        with Horizontal(id="survey-top"):
            with Vertical(classes="chart-cell", id="cell-nrr"):
                yield NrrChart(id="c-nrr")
                yield Static("", classes="caption", id="caption-nrr")
            yield DataTable(id="survey-elements", cursor_type="none")
        with Horizontal(id="survey-bottom"):
            with Vertical(classes="chart-cell", id="cell-trend"):
                yield TrendChart(id="c-trend")
                yield Static("", classes="caption", id="caption-trend")
            with Vertical(id="survey-apart"):
                yield Static(sw("quick_title"), classes="heading")
                yield Static("", id="survey-quick", markup=False)
                yield Static(sw("own_title"), classes="heading")
                yield Static("", id="survey-own", markup=False)
        yield Static("", id="survey-suggestions-title", classes="heading")
        with VerticalScroll(id="survey-suggestions"):
            # The patrons' own words: never read as markup.
            yield Static("", id="survey-suggestion-text", markup=False)

    def load_survey(self, *, force: bool = False) -> None:
        """Read the survey of the range on show (unless it is what is shown already)."""
        if self.range is None or (not force and self.survey_range == self.range):
            return
        self.run_worker(self._load_survey(self.range), group="survey", exclusive=True)

    async def _load_survey(self, rng: Range) -> None:
        head = self.query_one("#survey-head", Static)
        head.update(sw("loading"))
        try:
            app = self.kiosk_app
            data = await (app.store.run(_central_survey, app.central, app.central_site, rng)
                          if app.central else app.store.run(_survey, rng))
        except KioskError as exc:
            head.update(w("error", error=str(exc).replace("--", "")))
            return
        self.survey_range = rng
        self.survey_data = data
        self.show_survey(data)

    def show_survey(self, data: dict[str, Any]) -> None:
        lang = language()
        rep = data["report"]
        lines = [sw("respondents_line", n=rep["respondents"], needed=rep["min_sample"],
                    served=rep["population"])]
        note = survey.too_few_text(lang, rep)
        if rep["ikm"] is None:
            lines.insert(0, note or sw("none"))
        else:
            lines.insert(0, sw("head", ikm=f"{rep['ikm']:.2f}",
                               category=survey.category_text(lang, rep["category"])))
            if note:
                lines.append(f"⚠ {note}")
        self.query_one("#survey-head", Static).update("\n".join(lines))
        self._show_table(survey.publication(rep, lang))
        for chart_id, cid, series in (("c-nrr", "nrr", rep["elements"]),
                                      ("c-trend", "trend", rep["by_month"])):
            chart = self.query_one(f"#{chart_id}", Plot)
            chart.show(series)
            self.query_one(f"#caption-{cid}", Static).update(chart.caption())
        self.query_one("#survey-quick", Static).update(_quick(rep["quick_rating"]))
        self.query_one("#survey-own", Static).update("\n".join(
            sw("own_line", code=q["code"], text=q["text"] or "",
               mean=survey.number(q["mean"], 2), n=q["answers"])
            for q in rep["own_questions"]) or NONE)
        said = data["suggestions"]
        self.query_one("#survey-suggestions-title", Static).update(
            sw("suggestions_title", n=len(said)))
        self.query_one("#survey-suggestion-text", Static).update(
            "\n".join(_suggestion(s) for s in said)
            or sw("suggestions_central" if self.kiosk_app.central else "suggestions_none"))

    def _show_table(self, pub: survey.Publication) -> None:
        table = self.query_one("#survey-elements", DataTable)
        if not table.columns:
            for i, title in enumerate(pub.columns):
                table.add_column(Text(title, justify="right" if i >= 2 else "left"),
                                 key=f"col{i}")
        table.clear()
        rows = [*pub.rows, *(("", label, "", value) for label, value in pub.foot)]
        for code, name, nrr, weighted in rows:
            table.add_row(code, name, Text(nrr, justify="right"),
                          Text(weighted, justify="right"))

    def survey_export(self) -> tuple[str, Range, dict[str, Any]] | None:
        """What the export writes from this view: its words, range and report."""
        if self.survey_range is None or self.survey_data is None:
            return None
        rng = self.survey_range
        return rng.dates_text() + rng.filters_text(), rng, self.survey_data["report"]


def _quick(quick: dict[str, Any]) -> str:
    """The counter's four faces: how many, their mean, each face's count."""
    if not quick["ratings"]:
        return sw("quick_none")
    lang = language()
    faces = " · ".join(f"{i18n.t(lang, f'rate.face{score}')} {n:,}"
                       for score, n in quick["counts"].items())
    return sw("quick_line", n=quick["ratings"], mean=survey.number(quick["mean"], 2)) + (
        f"\n{faces}")


def _suggestion(said: dict[str, Any]) -> str:
    where = [day_text(said["day"]), w("filter_service", service=said["service"])]
    if said["counter"] is not None:
        where.append(w("filter_counter", counter=said["counter"]))
    return f"{' · '.join(where)}: {said['text']}"


def _survey(store: Store, rng: Range) -> dict[str, Any]:
    kwargs = rng.kwargs()
    return {"report": survey.survey_report(store, store.settings, **kwargs),
            "suggestions": survey.survey_suggestions(store, store.settings, **kwargs)}


def _central_survey(store: Store, url: str, site: str, rng: Range) -> dict[str, Any]:
    """The survey of the centre's sites; the suggestions stay at each site (free text is
    never shipped)."""
    from kiosk.central.survey import central_survey_report

    return {"report": central_survey_report(url, store.settings, site, **rng.kwargs()),
            "suggestions": []}
