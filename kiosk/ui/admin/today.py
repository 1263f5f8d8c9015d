"""The Today view: waiting now per class and service with the oldest wait, served so far,
today's waits against each class's target, counters, printers and the announcer, live."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import (
    DataTable,
    Static,
)

from kiosk import views
from kiosk.ui.admin.base import AdminViews
from kiosk.ui.admin.tables import fmt, plain_table, titles
from kiosk.ui.admin.words import NONE, day_text, named, short, w, word


class TodayView(AdminViews):
    """Today, drawn from `kiosk.views.TodayView` each time the follower reads the store."""

    def show_today(self, data: views.TodayView) -> None:
        settings = self.kiosk_app.settings
        local = data.now.astimezone(settings.site.tz)
        self.query_one("#today-head", Static).update(
            w("today", day=day_text(data.day), time=local.strftime("%H:%M")))
        plain_table(self.query_one("#today-classes", DataTable),
                    titles("class", "target", "waiting", "oldest", "issued", "served",
                           "no_show", "wait_med", "wait_p90", "within_target", "standard",
                           "target_met"),
                    _class_rows(data), right=range(1, 12))
        plain_table(self.query_one("#today-services", DataTable),
                    titles("service", "waiting", "priority", "regular", "oldest"),
                    self._service_rows(data), right=range(1, 5))
        counters = []
        for c in data.status.counters:
            current = (f"{c.label} ({word('state', c.ticket_state or '')})" if c.label
                       else NONE)
            staff = c.staff if c.staff and c.state != "closed" else NONE
            counters.append([str(c.counter), word("counter", c.state), staff, current])
        plain_table(self.query_one("#today-counters", DataTable),
                    titles("counter", "state", "staff", "now"), counters)
        self.query_one("#today-devices", Static).update(self._devices(data))

    def _service_rows(self, data: views.TodayView) -> list[list[str]]:
        settings = self.kiosk_app.settings
        rows = []
        for s in data.status.services:
            try:
                name = named(settings.service(s.service).name, s.service)
            except KeyError:
                name = s.service
            rows.append([f"{s.service} {short(name)}", fmt(s.waiting), fmt(s.priority),
                         fmt(s.regular), fmt(s.oldest_wait_min, "min")])
        return rows

    def _devices(self, data: views.TodayView) -> Text:
        lines = self._printer_lines(data)
        for a in data.announcers:
            lines.append((w("announcer", name=a.name), *_announcer_state(a)))
        for v in views.voices(data.status.devices):
            ok = v.state == "ok"
            lines.append((w("voice", name=v.name.removeprefix("voice:")),
                          w("voice_ok") if ok else w("voice_error", detail=v.detail or ""),
                          not ok))
        text = Text()
        for i, (what, state, alert) in enumerate(lines):
            text.append(("\n" if i else "") + ("⚠ " if alert else "✔ ") + what + ": ")
            text.append(state, "bold" if alert else "")
        return text

    def _printer_lines(self, data: views.TodayView) -> list[tuple[str, str, bool]]:
        printers = views.printers(data.status.devices)
        configured = {k.printer for k in self.kiosk_app.settings.kiosks if k.printer}
        seen = {p.name for p in printers}
        lines: list[tuple[str, str, bool]] = []
        for p in printers:
            detail = f" ({p.detail})" if p.detail else ""
            lines.append((w("printer", name=p.name), word("printer", p.state) + detail,
                          p.state != "ok"))
        for name in sorted(configured - seen):
            lines.append((w("printer", name=name), w("printer_unreported"), True))
        if not lines:
            lines.append((w("printer_any"), w("no_printer"), False))
        return lines


def _class_rows(data: views.TodayView) -> list[list[str]]:
    """Overall, then each class: waiting now and the oldest wait, and today's figures."""
    rep = data.report
    overall = rep["overall"]
    rows = [[w("class_overall"), NONE, fmt(data.everyone.waiting),
             fmt(data.everyone.oldest_wait_min, "min"), *_today_figures(overall), NONE,
             fmt(overall["target_met"], "bool")]]
    for group in rep["by_class"]:
        now = data.waiting[group["class"]]
        oldest = now.oldest_wait_min
        late = oldest is not None and oldest > group["target_wait_min"]
        rows.append([w(f"class_{group['class']}"),
                     w("minutes", minutes=f"{group['target_wait_min']:g}"),
                     fmt(now.waiting), fmt(oldest, "min") + (f" {w('over')}" if late else ""),
                     *_today_figures(group), f"{group['target_share']:.0%}",
                     fmt(group["target_met"], "bool")])
    return rows


def _today_figures(group: dict[str, Any]) -> list[str]:
    return [fmt(group["issued"]), fmt(group["served"]), fmt(group["no_show"]),
            fmt(group["wait_min"]["median"], "min"), fmt(group["wait_min"]["p90"], "min"),
            fmt(group["within_target"], "pct")]


def _announcer_state(a: views.AnnouncerState) -> tuple[str, bool]:
    """An announcer's state in words, and whether it is an alert."""
    if a.on:
        return w("announcer_on"), False
    state = w("announcer_error") if a.state == "error" else w("announcer_off")
    if a.updated_at is None:  # no heartbeat ever: the store's "never started"
        return f"{state} ({w('announcer_never')})", True
    since = "" if a.age_s is None else w("heartbeat", age=_age(a.age_s))
    reasons = [r for r in (a.detail, since) if r]
    return state + (f" ({', '.join(reasons)})" if reasons else ""), True


def _age(seconds: float) -> str:
    if seconds < 90:
        return w("age_s", n=f"{seconds:.0f}")
    if seconds < 5400:
        return w("age_min", n=f"{seconds / 60:.0f}")
    return w("age_h", n=f"{seconds / 3600:.1f}")
