"""The Today view: waiting now per class and service with the oldest wait, served so far,
today's waits against each class's target, counters, printers and the announcer, live."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import (
    DataTable,
    Static,
)

from kiosk import views
from kiosk.ui.admin.base import AdminViews
from kiosk.ui.admin.tables import fmt, plain_table
from kiosk.ui.admin.words import NONE, short, w


class TodayView(AdminViews):
    """Today, drawn from `kiosk.views.TodayView` each time the follower reads the store."""

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
        for v in views.voices(data.status.devices):
            ok = v.state == "ok"
            lines.append((f"kiosk voice {v.name.removeprefix('voice:')}",
                          "ok" if ok else f"cannot speak ({v.detail})", not ok))
        for i, (what, state, alert) in enumerate(lines):
            text.append(("\n" if i else "") + ("⚠ " if alert else "✔ ") + what + ": ")
            text.append(state, "bold" if alert else "")
        return text


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
