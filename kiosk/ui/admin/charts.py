"""Charts of the admin screen, drawn in the terminal by plotext (textual-plotext).

Every chart takes plain data (from `kiosk.reports.overview`) and redraws itself from it
whenever the data or the app's theme changes. Colours come from the kiosk themes (the
accent, the foreground and the alert line on the theme's background), and no series is told
apart by colour alone: each has its own fill (full blocks, shading) or line marker, named in
the legend, because in the high-contrast theme the alert colour is the accent's yellow.
Each chart also says its main figure in words under it (`caption`). Titles, legends and
captions are admin words, looked up at each redraw (the admin's language).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from textual.color import Color
from textual_plotext import PlotextPlot

from kiosk import reports
from kiosk.config import Settings
from kiosk.ui.admin.words import capital, day_text, month_name, w

RGB = tuple[int, int, int]

SOLID = "█"
SHADED = "▒"
WAIT_CAP_MIN = 60
"""Waits of this many minutes and more share the last bar of the wait distribution."""


class Plot(PlotextPlot):
    """A plot that redraws from `data` (None: "no data") on every change of data or theme."""

    DEFAULT_CSS = """
    Plot { height: 1fr; width: 1fr; }
    """

    title_key = ""
    """The admin word of the chart's title."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: Any = None
        self.drawn = 0
        """How many times the plot was built (benchmarks, tests)."""

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.redraw())
        self.redraw()

    def show(self, data: Any) -> None:
        self.data = data
        if self.is_mounted:
            self.redraw()

    def colour(self, name: str) -> RGB:
        value = self.app.theme_variables.get(name) or self.app.theme_variables["foreground"]
        return Color.parse(value).rgb

    def redraw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.chart_title())  # canvas and ticks: the widget's "auto" plotext theme
        if self.data is not None:
            self.draw(self.data)
        self.refresh()

    def chart_title(self) -> str:
        """The chart's title in the admin's language."""
        return w(self.title_key)

    def draw(self, data: Any) -> None:
        raise NotImplementedError

    def render(self) -> Any:
        self.drawn += 1
        return super().render()

    def caption(self) -> str:
        """The chart's main figure in words (also what a screen reader or a test reads)."""
        return "" if self.data is None else self.describe(self.data)

    def describe(self, data: Any) -> str:
        return ""


class Chart(Plot):
    """One of the Charts view's plots (the Survey view's are Plots of their own)."""


class HoursChart(Chart):
    """Arrivals (tickets issued, by the hour they were taken) and calls (by the hour of the
    call) side by side for each local hour of the range."""

    title_key = "chart_hours"

    def draw(self, data: dict[str, dict[int, int]]) -> None:
        hours = sorted(set(data["arrivals"]) | set(data["calls"]))
        if not hours:
            return
        labels = [f"{h:02d}" for h in hours]
        arrivals = [data["arrivals"].get(h, 0) for h in hours]
        calls = [data["calls"].get(h, 0) for h in hours]
        self.plt.multiple_bar(
            labels, [arrivals, calls],
            labels=[f"{w('arrivals')} {SOLID}", f"{w('calls')} {SHADED}"],
            color=[self.colour("kiosk-accent"), self.colour("kiosk-fg")],
            marker=[SOLID, SHADED],
        )
        count_ticks(self.plt, max(arrivals + calls))

    def describe(self, data: dict[str, dict[int, int]]) -> str:
        arrivals = data["arrivals"]
        if not arrivals:
            return w("hours_none")
        hour = max(arrivals, key=lambda h: (arrivals[h], -h))
        return w("hours_busiest", hour=f"{hour:02d}:00", n=arrivals[hour])


class WaitChart(Chart):
    """How long one class waited (whole minutes, the last bar = WAIT_CAP_MIN and more):
    bars within the class's target solid, bars over it shaded, the target a line."""

    def __init__(self, cls: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.cls = cls

    def chart_title(self) -> str:
        """The title ("Priority wait"), with the target once the data says it."""
        cls = w(f"class_{self.cls}")
        if self.data is None:
            return capital(w("chart_wait", cls=cls))
        return capital(w("chart_wait_target", cls=cls,
                         minutes=f"{self.data['target_min']:g}"))

    def draw(self, data: dict[str, Any]) -> None:
        bins: dict[int, int] = {}
        for minute, n in data["minutes"].items():
            key = min(int(minute), WAIT_CAP_MIN)
            bins[key] = bins.get(key, 0) + n
        target = float(data["target_min"])
        within = [(m, n) for m, n in sorted(bins.items()) if m < target]
        over = [(m, n) for m, n in sorted(bins.items()) if m >= target]
        if within:
            self.plt.bar([m for m, _ in within], [n for _, n in within], width=0.8,
                         marker=SOLID, color=self.colour("kiosk-accent"),
                         label=f"{w('within')} {SOLID}")
        if over:
            self.plt.bar([m for m, _ in over], [n for _, n in over], width=0.8,
                         marker=SHADED, color=self.colour("kiosk-alert-line"),
                         label=f"{w('over_target')} {SHADED}")
        top = max(max(bins, default=0), int(target) + 1)
        self.plt.vertical_line(target - 0.5, color=self.colour("kiosk-alert-line"))
        ticks = sorted({0, int(target), top} | set(range(0, top, 10 if top > 20 else 5)))
        self.plt.xticks(ticks, [f"{t}+" if t == WAIT_CAP_MIN else str(t) for t in ticks])
        self.plt.xlabel(w("minutes_waited"))
        count_ticks(self.plt, max(bins.values(), default=0))

    def describe(self, data: dict[str, Any]) -> str:
        # The report's own share (the Statistics view's "within"), not one counted again
        # from the bars: those are whole minutes of called patrons only, while the report
        # also judges the expired (never called) and counts no-shows as not within.
        if not data["judged"]:
            return w("wait_none", cls=w(f"class_{self.cls}"))
        return w("wait_caption", share=f"{data['within_target']:.0%}", n=data["judged"],
                 standard=f"{data['target_share']:.0%}")


class WithinChart(Chart):
    """The share of each class called within its target, day by day, with the standard."""

    title_key = "chart_within"

    def draw(self, data: dict[str, Any]) -> None:
        days: Sequence[dict[str, Any]] = data["days"]
        if not days:
            return
        markers = {"priority": "●", "regular": "+"}
        colours = {"priority": self.colour("kiosk-accent"), "regular": self.colour("kiosk-fg")}
        for i, cls in enumerate(("priority", "regular")):
            xs, ys = [], []
            for x, day in enumerate(days):
                share = day["within_target"][i]
                if share is not None:
                    xs.append(x)
                    ys.append(round(100.0 * share, 1))
            if xs:
                self.plt.plot(xs, ys, marker=markers[cls], color=colours[cls],
                              label=f"{w(f'class_{cls}')} {markers[cls]}")
        for share in sorted(set(data["shares"])):
            self.plt.horizontal_line(100 * share, color=self.colour("kiosk-alert-line"))
        percent_ticks(self.plt, data["shares"])
        ticks = _day_ticks([date.fromisoformat(d["day"]) for d in days])
        self.plt.xticks([x for x, _ in ticks], [label for _, label in ticks])

    def describe(self, data: dict[str, Any]) -> str:
        judged = [day["target_met"] for day in data["days"] if day["target_met"] is not None]
        if not judged:
            return w("within_none")
        return w("within_caption", met=sum(judged), days=len(judged))


class UtilisationChart(Chart):
    """Each counter's busy time over its open time, in percent."""

    title_key = "chart_util"

    def draw(self, data: list[dict[str, Any]]) -> None:
        if not data:
            return
        self.plt.bar([str(c["counter"]) for c in data],
                     [round(100 * (c["utilisation"] or 0.0), 1) for c in data],
                     marker=SOLID, color=self.colour("kiosk-accent"), width=0.6)
        percent_ticks(self.plt)
        self.plt.xlabel(w("col_counter"))

    def describe(self, data: list[dict[str, Any]]) -> str:
        used = [c for c in data if c["utilisation"] is not None]
        if not used:
            return w("util_none")
        top = max(used, key=lambda c: c["utilisation"])
        low = min(used, key=lambda c: c["utilisation"])
        return w("util_caption", top=top["counter"], top_share=f"{top['utilisation']:.0%}",
                 low=low["counter"], low_share=f"{low['utilisation']:.0%}")


def count_ticks(plt: Any, top: int, most: int = 5) -> None:
    """Whole-number y ticks on a 1-2-5 step (plotext would label counts 109.8, 219.7...)."""
    step = nice_step(top, most)
    ticks = list(range(0, max(top, 1) + step, step))
    plt.ylim(0, ticks[-1])
    plt.yticks(ticks, [f"{t:,}" for t in ticks])


def nice_step(top: float, most: int = 5) -> int:
    """The smallest step of 1, 2 or 5 times a power of ten that needs at most `most` steps."""
    power = 1
    while True:
        for factor in (1, 2, 5):
            if top / (factor * power) <= most:
                return factor * power
        power *= 10


def percent_ticks(plt: Any, marks: Sequence[float] = ()) -> None:
    """0 to 100 % in quarters, plus the standards (e.g. 90)."""
    ticks = sorted({0, 25, 50, 75, 100} | {round(100 * m) for m in marks})
    plt.ylim(0, 100)
    plt.yticks(ticks, [str(t) for t in ticks])


def _day_ticks(days: Sequence[date], most: int = 6) -> list[tuple[int, str]]:
    """A few readable x labels for a run of days, the site's way in the admin's language:
    month starts over long ranges (Jan, Feb..), else evenly spaced days (3 Nov)."""
    if len(days) > 62:
        starts = [(i, month_name(d.month)) for i, d in enumerate(days) if d.day == 1]
        step = -(-len(starts) // most) if starts else 1
        return starts[::step] or [(0, month_name(days[0].month))]
    step = max(1, -(-len(days) // most))
    return [(i, day_text(days[i], year=False)) for i in range(0, len(days), step)]


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
