"""The reports engine: one local day's serve-time rows turned into mergeable partial
aggregates (`Acc` per group), the counters' open time, and the overtakes.

Reads only, through the store's connection (the store's `serve_times` view, schema 2): the
reports engine is the one place besides the store package that runs SQL on it.
"""

from __future__ import annotations

import json
from bisect import bisect_left, insort
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.rows import CLASSES
from kiosk.store.schema import COUNTER_KINDS, INDEXED_KINDS_SQL

if TYPE_CHECKING:
    from kiosk.store import Store

BIN_S = 6.0
"""Waits and service times are binned to this many seconds for percentiles (0.1 min)."""
KINDS = ("overall", "service", "counter", "hour", "class")
OUTCOME_FIELD = {
    "done": "served",
    "no_show": "no_show",
    "expired": "expired",
    "cancelled": "cancelled",
    "transferred": "transferred",
    "waiting": "open",
    "called": "open",
    "serving": "open",
}
COUNT_FIELDS = (
    "issued", "called", "served", "no_show", "expired", "cancelled", "transferred", "open",
)


# -- accumulating ------------------------------------------------------------------------


@dataclass
class Acc:
    """The mergeable partial statistics of one group (what the cache stores)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_FIELDS, 0))
    wait_n: int = 0
    wait_sum: float = 0.0
    wait_max: float = 0.0
    wait_hist: Counter[int] = field(default_factory=Counter)
    svc_n: int = 0
    svc_sum: float = 0.0
    svc_max: float = 0.0
    svc_hist: Counter[int] = field(default_factory=Counter)
    judged: list[int] = field(default_factory=lambda: [0, 0])
    """Per class (0 priority, 1 regular): segments judged against the target."""
    within: list[int] = field(default_factory=lambda: [0, 0])
    overtakes: int = 0
    busy_s: float = 0.0
    open_s: float = 0.0

    def merge(self, other: Acc) -> None:
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        self.wait_n += other.wait_n
        self.wait_sum += other.wait_sum
        self.wait_max = max(self.wait_max, other.wait_max)
        self.wait_hist.update(other.wait_hist)
        self.svc_n += other.svc_n
        self.svc_sum += other.svc_sum
        self.svc_max = max(self.svc_max, other.svc_max)
        self.svc_hist.update(other.svc_hist)
        for i in (0, 1):
            self.judged[i] += other.judged[i]
            self.within[i] += other.within[i]
        self.overtakes += other.overtakes
        self.busy_s += other.busy_s
        self.open_s += other.open_s

    def to_json(self) -> list[Any]:
        return [
            [self.counts[k] for k in COUNT_FIELDS],
            [self.wait_n, self.wait_sum, self.wait_max, *_hist_json(self.wait_hist)],
            [self.svc_n, self.svc_sum, self.svc_max, *_hist_json(self.svc_hist)],
            self.judged, self.within, self.overtakes, self.busy_s, self.open_s,
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> Acc:
        counts, wait, svc, judged, within, overtakes, busy_s, open_s = data
        return cls(
            counts=dict(zip(COUNT_FIELDS, counts, strict=True)),
            wait_n=wait[0], wait_sum=wait[1], wait_max=wait[2],
            wait_hist=Counter(dict(zip(wait[3], wait[4], strict=True))),
            svc_n=svc[0], svc_sum=svc[1], svc_max=svc[2],
            svc_hist=Counter(dict(zip(svc[3], svc[4], strict=True))),
            judged=list(judged), within=list(within), overtakes=overtakes,
            busy_s=busy_s, open_s=open_s,
        )


def _hist_json(hist: Counter[int]) -> tuple[list[int], list[int]]:
    keys = sorted(hist)
    return keys, [hist[k] for k in keys]


Partial = dict[tuple[str, str], Acc]
"""(kind, key) -> Acc; kind in KINDS, key "" for overall."""


def merge(into: Partial, other: Partial) -> Partial:
    for key, acc in other.items():
        if key in into:
            into[key].merge(acc)
        else:
            copy = Acc()
            copy.merge(acc)
            into[key] = copy
    return into


def partial_json(partial: Partial) -> str:
    return json.dumps([[kind, key, acc.to_json()] for (kind, key), acc in partial.items()])


def partial_from_json(text: str) -> Partial:
    return {(kind, key): Acc.from_json(data) for kind, key, data in json.loads(text)}


# -- one day's rows ------------------------------------------------------------------------

_SEGMENTS_SQL = """
SELECT segment, service, priority, counter, outcome, queued_at, called_at,
  CAST(strftime('%H', queued_at, ?) AS INTEGER) AS hour, wait_s, service_s,
  CASE WHEN called_at IS NOT NULL AND ended_at IS NOT NULL
    THEN (julianday(ended_at) - julianday(called_at)) * 86400.0 END AS busy_s,
  CASE WHEN ended_at IS NOT NULL THEN ended_at ELSE called_at END AS last_at
FROM serve_times WHERE day = ?
"""


@dataclass(frozen=True, slots=True)
class Filters:
    service: str | None = None
    counter: int | None = None
    priority: bool | None = None

    @property
    def any(self) -> bool:
        return self.service is not None or self.counter is not None or self.priority is not None

    def keep(self, row: dict[str, Any]) -> bool:
        if self.service is not None and row["service"] != self.service:
            return False
        if self.counter is not None and row["counter"] != self.counter:
            return False
        return self.priority is None or bool(row["priority"]) == self.priority


class Engine:
    """Computes partial aggregates for local days, carrying counter states day to day."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.conn = store.conn
        self.settings = settings
        self.tz = settings.site.tz
        self.targets = (
            settings.targets.priority.wait_min * 60.0,
            settings.targets.regular.wait_min * 60.0,
        )
        self.counter_services = {c.id: frozenset(c.services) for c in settings.counters}
        self._states: dict[int, str] | None = None
        self._states_day: date | None = None

    # counters ---------------------------------------------------------------------------

    def _initial_states(self, start_at: str) -> dict[int, str]:
        marks = ", ".join("?" for _ in COUNTER_KINDS)
        rows = self.conn.execute(
            f"SELECT counter, kind, MAX(id) FROM events WHERE kind IN ({marks}) AND at < ?"
            f" AND {INDEXED_KINDS_SQL} GROUP BY counter",
            (*COUNTER_KINDS, start_at),
        ).fetchall()
        return {int(c): _state_after(k) for c, k, _ in rows if c is not None}

    def _open_seconds(
        self, day: date, start_at: str, end_at: str, last_at: dict[int, str], busy_day: bool
    ) -> dict[int, float]:
        """Seconds each counter was open (not paused) during the local day."""
        if self._states is None or self._states_day != day:
            self._states = self._initial_states(start_at)
        states = self._states
        opening = local_iso(day, self.settings.hours.open, self.tz)
        closing = local_iso(day, self.settings.hours.close, self.tz)
        since: dict[int, str] = {}
        if busy_day:
            for counter, state in states.items():
                if state == "open":
                    since[counter] = max(opening, start_at)
        marks = ", ".join("?" for _ in COUNTER_KINDS)
        events = self.conn.execute(
            f"SELECT counter, kind, at FROM events WHERE kind IN ({marks})"
            f" AND at >= ? AND at < ? AND {INDEXED_KINDS_SQL} ORDER BY at, id",
            (*COUNTER_KINDS, start_at, end_at),
        ).fetchall()
        total: dict[int, float] = {}
        for counter, kind, at in events:
            if counter is None:
                continue
            new = _state_after(kind)
            if counter in since and new != "open":
                total[counter] = total.get(counter, 0.0) + _seconds(since.pop(counter), at)
            elif new == "open" and counter not in since:
                since[counter] = at
            states[counter] = new
        for counter, start in since.items():
            end = min(max(closing, last_at.get(counter, closing)), end_at)
            if end > start:
                total[counter] = total.get(counter, 0.0) + _seconds(start, end)
        self._states_day = day + timedelta(days=1)
        return total

    # one day ----------------------------------------------------------------------------

    def day(self, day: date, filters: Filters) -> Partial:
        start_at, end_at = clk.day_bounds_utc(day, self.tz)
        offset = datetime.combine(day, time(12), self.tz).utcoffset() or timedelta(0)
        modifier = f"{int(offset.total_seconds()) // 60:+d} minutes"
        cur = self.conn.execute(_SEGMENTS_SQL, (modifier, day.isoformat()))
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        last_at: dict[int, str] = {}
        for row in rows:
            c = row["counter"]
            if c is not None and row["last_at"] and row["last_at"] > last_at.get(c, ""):
                last_at[c] = row["last_at"]
        open_s = self._open_seconds(day, start_at, end_at, last_at, bool(rows))
        overtaken = _overtakes(rows, self.counter_services)
        partial: Partial = {}

        def acc(kind: str, key: str) -> Acc:
            found = partial.get((kind, key))
            if found is None:
                found = partial[(kind, key)] = Acc()
            return found

        for i, row in enumerate(rows):
            if not filters.keep(row):
                continue
            groups = [
                acc("overall", ""),
                acc("service", row["service"]),
                acc("hour", str(row["hour"])),
                acc("class", CLASSES[0] if row["priority"] else CLASSES[1]),
            ]
            if row["counter"] is not None and row["called_at"] is not None:
                groups.append(acc("counter", str(row["counter"])))
            self._add(groups, row, overtaken[i])
        for counter, seconds in open_s.items():
            if filters.counter is None or filters.counter == counter:
                acc("counter", str(counter)).open_s += seconds
        return partial

    def _add(self, groups: list[Acc], row: dict[str, Any], overtaken: int) -> None:
        cls = 0 if row["priority"] else 1
        outcome = OUTCOME_FIELD.get(row["outcome"], "open")
        wait = row["wait_s"]
        service = row["service_s"] if row["outcome"] == "done" else None
        judged = wait is not None or row["outcome"] == "expired"
        within = (
            wait is not None and row["outcome"] != "no_show" and wait <= self.targets[cls] + 1e-6
        )
        busy = row["busy_s"] or 0.0
        for g in groups:
            counts = g.counts
            counts[outcome] += 1
            if row["segment"] == 1:
                counts["issued"] += 1
            if wait is not None:
                counts["called"] += 1
                g.wait_n += 1
                g.wait_sum += wait
                g.wait_max = max(g.wait_max, wait)
                g.wait_hist[round(wait / BIN_S)] += 1
            if service is not None:
                g.svc_n += 1
                g.svc_sum += service
                g.svc_max = max(g.svc_max, service)
                g.svc_hist[round(service / BIN_S)] += 1
            if judged:
                g.judged[cls] += 1
                g.within[cls] += within
            g.overtakes += overtaken
            g.busy_s += busy


def _state_after(kind: str) -> str:
    return {"counter_opened": "open", "counter_resumed": "open",
            "counter_paused": "paused"}.get(kind, "closed")


def _seconds(start: str, end: str) -> float:
    return clk.epoch(end) - clk.epoch(start)


def local_iso(day: date, at: time, tz: Any) -> str:
    return clk.iso(datetime.combine(day, at, tz))


def _overtakes(
    rows: list[dict[str, Any]], counter_services: dict[int, frozenset[str]]
) -> list[int]:
    """For each row: how many segments of its counter's services (same day) joined a queue
    after it and were called before it. Times are stored ISO text, which sorts as time."""
    out = [0] * len(rows)
    called = [i for i, r in enumerate(rows) if r["called_at"] is not None]
    by_set: dict[frozenset[str], list[int]] = {}
    for i in called:
        counter = rows[i]["counter"]
        services = counter_services.get(counter, frozenset({rows[i]["service"]}))
        by_set.setdefault(services, []).append(i)
    for services, xs in by_set.items():
        ys = sorted(
            (i for i in called if rows[i]["service"] in services),
            key=lambda i: rows[i]["queued_at"],
            reverse=True,
        )
        xs.sort(key=lambda i: rows[i]["queued_at"], reverse=True)
        later_calls: list[str] = []  # called_at of segments queued after the current x
        j = 0
        for i in xs:
            queued = rows[i]["queued_at"]
            while j < len(ys) and rows[ys[j]]["queued_at"] > queued:
                insort(later_calls, rows[ys[j]]["called_at"])
                j += 1
            out[i] = bisect_left(later_calls, rows[i]["called_at"])
    return out
