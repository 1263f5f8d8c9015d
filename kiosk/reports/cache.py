"""The report cache: a settled local day (in the past, nothing left waiting, called or
serving) can no longer change, so its partial aggregate is kept, and a settled calendar
month's too; a report merges cached periods and computes only the rest.

Its `fingerprint` covers what a partial depends on besides the rows (the time zone, the
hours, the targets, which counter serves what; the appointments' punctual_min, which
services take bookings, their slot rules and the closed days: the places a day offered)
and the partial's shape (`CACHE_VERSION`): change any and the entries are rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import astuple
from datetime import date, timedelta
from typing import TYPE_CHECKING

from kiosk.config import Settings
from kiosk.reports.engine import BIN_S, Acc, Partial, partial_from_json, partial_json

if TYPE_CHECKING:
    from kiosk.store import Store

CACHE_VERSION = 2
"""The shape of a cached partial: 2 added the arrival split and the bookings (issue 26);
a partial of version 1 is never read as one of version 2."""


def fingerprint(settings: Settings) -> str:
    """What a cached partial depends on besides the rows: change any, and it is rebuilt."""
    basis = {
        "version": CACHE_VERSION,
        "bin": BIN_S,
        "tz": settings.site.timezone,
        "hours": [settings.hours.open.isoformat(), settings.hours.close.isoformat()],
        "targets": [settings.targets.priority.wait_min, settings.targets.regular.wait_min],
        "counters": {c.id: sorted(c.services) for c in settings.counters},
        "punctual": settings.booking.punctual_min,
        # the places a day's slots offer (reports.engine.offered_places)
        "slots": {s: [str(v) for v in astuple(settings.slots_of(s))]
                  for s in settings.booking.services},
        "closed": sorted(c.date.isoformat() for c in settings.closed),
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def month_end(day: date) -> date:
    nxt = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


class Cache:
    """The settled days' and months' partials in `report_cache` (derived data: deleting the
    table only costs time). Read here; written through the store (`put_report_cache`)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.conn = store.conn
        self.fp = fingerprint(settings)
        self.today = store.today()

    def _data(self, period: str) -> str | None:
        row = self.conn.execute(
            "SELECT fingerprint, data FROM report_cache WHERE period = ?", (period,)
        ).fetchone()
        if row is None or row[0] != self.fp:
            return None
        return str(row[1])

    def get(self, period: str) -> Partial | None:
        data = self._data(period)
        return None if data is None else partial_from_json(data)

    def get_series(self, period: str) -> Partial | None:
        """A cached day's overall and class groups only: the charts need no more, and
        building every group's histograms is most of the cost of reading a big site's
        year."""
        data = self._data(period)
        if data is None:
            return None
        return {(kind, key): Acc.from_json(acc) for kind, key, acc in json.loads(data)
                if kind in ("overall", "class")}

    def settled(self, first: date, last: date) -> bool:
        """Nothing in these days can change any more (past, nothing waiting or open)."""
        if last.isoformat() >= self.today:
            return False
        # Each through its partial index: the queue, and what counters have open (`+day`:
        # a handful of open tickets, never the day range of the unique index).
        days = (first.isoformat(), last.isoformat())
        row = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM tickets WHERE state = 'waiting'"
            "   AND day BETWEEN ? AND ?)"
            " OR EXISTS (SELECT 1 FROM tickets WHERE state IN ('called', 'serving')"
            "   AND +day BETWEEN ? AND ?)",
            days + days,
        ).fetchone()
        return not row[0]

    def put_many(self, items: list[tuple[str, Partial]]) -> None:
        self.store.put_report_cache(
            [(period, self.fp, partial_json(p)) for period, p in items])
