"""What every view of the admin screen shares: the range a view asks about (`Range`), the
screen's state (the range on show, the log's page) and its app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from textual.screen import Screen
from textual.widgets import ContentSwitcher

from kiosk.ui.admin.words import day_text, w

if TYPE_CHECKING:
    from kiosk.ui.admin.app import AdminApp


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
        """The filters in words, each after " · " (nothing when none is chosen)."""
        parts = []
        if self.service:
            parts.append(w("filter_service", service=self.service))
        if self.counter is not None:
            parts.append(w("filter_counter", counter=self.counter))
        if self.priority is not None:
            parts.append(w("class_priority" if self.priority else "class_regular"))
        return "".join(f" · {p}" for p in parts)

    def dates_text(self) -> str:
        """The dates the site's way: "29 Okt 2026 s.d. 27 Nov 2026"."""
        return dates_text(self.date_from, self.date_to)

    def problem(self) -> str | None:
        """Why the typed dates cannot be asked about, in words (None: they can)."""
        days = []
        for field, text in (("from", self.date_from), ("to", self.date_to)):
            try:
                days.append(date.fromisoformat(text))
            except ValueError:
                return w("bad_date", field=w(field), value=text)
        if days[1] < days[0]:
            return w("bad_order", first=day_text(days[0]), last=day_text(days[1]))
        return None

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


def dates_text(first: str, last: str) -> str:
    """Two ISO dates as a range the site's way ("27 Nov 2026" alone when they agree)."""
    if first == last:
        return day_text(first)
    return w("dates", first=day_text(first), last=day_text(last))


def default_range(today: str, days: int = 30) -> Range:
    last = date.fromisoformat(today)
    return Range((last - timedelta(days=days - 1)).isoformat(), last.isoformat())


def admin_app(screen: Screen[Any]) -> AdminApp:
    """The admin app a screen of it runs in."""
    from kiosk.ui.admin.app import AdminApp  # the app imports the screens: not at the top

    app = screen.app
    assert isinstance(app, AdminApp)
    return app


class AdminViews(Screen[None]):
    """The admin screen's state; each view adds its own behaviour (today.py, ranges.py,
    log_view.py) and screen.py puts them together."""

    def __init__(self, admin: str) -> None:
        super().__init__()
        self.admin = admin
        self.range: Range | None = None
        self.data: dict[str, Any] | None = None
        self.log_page = 0
        self.log_data: dict[str, Any] | None = None
        self.log_range: tuple[Range, str, int] | None = None
        self.survey_range: Range | None = None
        self.survey_data: dict[str, Any] | None = None
        self._search_timer: Any = None
        self._warming = False
        self._wanted: object | None = None
        """The newest range asked for; an older one still computing stops."""

    @property
    def kiosk_app(self) -> AdminApp:
        return admin_app(self)

    @property
    def view(self) -> str:
        return self.query_one("#views", ContentSwitcher).current or "today"
