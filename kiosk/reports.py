"""Serve-time statistics from the append-only event log (issue 4; domain.md "Metrics").

Everything is derived from the store's rows through the `serve_times` view (schema 2): one
row per ticket and queue segment. A transfer ends a segment and starts another in the new
service's queue, so each queue is measured on its own.

Definitions (the admin screen and `kiosk report` share them):
- A ticket belongs to the local day it was issued on (`tickets.day`, the site's time zone);
  `date_from`/`date_to` are inclusive local dates. A segment's hour is the local hour its
  queue time began.
- Groups: overall, by service (the segment's queue), by counter (the counter that called the
  segment; never-called segments belong to none), by hour, by class (priority = a ticket with
  a need, as it stands after any reclassification).
- issued = tickets issued (first segments); served = segments finished (`done`);
  no_show / expired / cancelled / transferred = segments that ended so; open = still waiting,
  called or serving; called = segments that were called.
- wait = queue -> call, over every called segment (no-shows included: they waited to be
  called); service = call -> finish, over served segments.
- within_target = share of judged segments called within their class's `wait_min`. Judged:
  every called segment plus every expired one; no-shows and expired tickets count as not
  within target. Not judged: segments still waiting, cancelled or transferred before a call.
  target_met: every class present in the group reaches its `share` (None: nothing judged).
- overtakes: for each called segment X, the segments Y of the services X's counter serves
  (same day) that joined a queue after X and were called before X; summed over the group.
- utilisation (counters): time from call to the end of each segment the counter called,
  divided by the time the counter was open (counter_opened/resumed until paused/closed;
  sign-in opens a counter and sign-out closes it, so these four events carry the staff's
  time). A counter left open is counted until the day's closing hour or its last patron,
  whichever is later.
- Percentiles are linear interpolation between order statistics (as numpy's default), taken
  over waits rounded to 6 seconds (0.1 minute, the precision the report shows); means and
  maxima are exact.

Speed: a settled day (in the past, nothing left waiting, called or serving) can no longer
change, so its partial aggregate is cached in `report_cache`, and a settled calendar month
too; a report merges cached periods and computes only the rest. Filtered reports are always
computed from the rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import sqlite3
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.exceptions import UsageError
from kiosk.store import COUNTER_KINDS, INDEXED_KINDS_SQL

BIN_S = 6.0
"""Waits and service times are binned to this many seconds for percentiles (0.1 min)."""
CACHE_VERSION = 1
CLASSES = ("priority", "regular")
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


def _partial_json(partial: Partial) -> str:
    return json.dumps([[kind, key, acc.to_json()] for (kind, key), acc in partial.items()])


def _partial_from_json(text: str) -> Partial:
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

    def keep(self, row: sqlite3.Row | dict[str, Any]) -> bool:
        if self.service is not None and row["service"] != self.service:
            return False
        if self.counter is not None and row["counter"] != self.counter:
            return False
        return self.priority is None or bool(row["priority"]) == self.priority


class _Engine:
    """Computes partial aggregates for local days, carrying counter states day to day."""

    def __init__(self, conn: sqlite3.Connection, settings: Settings) -> None:
        self.conn = conn
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
        opening = _local_iso(day, self.settings.hours.open, self.tz)
        closing = _local_iso(day, self.settings.hours.close, self.tz)
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


def _local_iso(day: date, at: time, tz: Any) -> str:
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


# -- turning partials into the report --------------------------------------------------


def _percentile(hist: Counter[int], n: int, p: float) -> float:
    """Linear interpolation between order statistics of the binned values (seconds)."""
    rank = (n - 1) * p
    lo = math.floor(rank)
    frac = rank - lo
    seen = 0
    low_value: float | None = None
    for key in sorted(hist):
        seen += hist[key]
        if low_value is None and seen > lo:
            low_value = key * BIN_S
            if frac == 0 or seen > lo + 1:
                return low_value
        elif low_value is not None:
            return low_value + frac * (key * BIN_S - low_value)
    return low_value if low_value is not None else 0.0


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 2)


def _summary(hist: Counter[int], n: int, total: float, top: float,
             quantiles: Iterable[tuple[str, float]]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": n, "mean": _minutes(total / n) if n else None}
    for name, p in quantiles:
        out[name] = _minutes(_percentile(hist, n, p)) if n else None
    out["max"] = _minutes(top) if n else None
    return out


def _group(acc: Acc, settings: Settings, head: dict[str, Any],
           utilisation: bool = False) -> dict[str, Any]:
    out = dict(head)
    out.update(acc.counts)
    out["wait_min"] = _summary(acc.wait_hist, acc.wait_n, acc.wait_sum, acc.wait_max,
                               (("median", 0.5), ("p90", 0.9), ("p95", 0.95)))
    out["service_min"] = _summary(acc.svc_hist, acc.svc_n, acc.svc_sum, acc.svc_max,
                                  (("median", 0.5), ("p90", 0.9)))
    judged = sum(acc.judged)
    out["judged"] = judged
    out["within_target"] = round(sum(acc.within) / judged, 4) if judged else None
    shares = (settings.targets.priority.share, settings.targets.regular.share)
    met = [acc.within[i] / acc.judged[i] >= shares[i] - 1e-9
           for i in (0, 1) if acc.judged[i]]
    out["target_met"] = all(met) if met else None
    out["overtakes"] = acc.overtakes
    if utilisation:
        out["busy_min"] = _minutes(acc.busy_s)
        out["open_min"] = _minutes(acc.open_s)
        out["utilisation"] = round(acc.busy_s / acc.open_s, 4) if acc.open_s > 0 else None
    return out


def _finish(partial: Partial, settings: Settings, head: dict[str, Any]) -> dict[str, Any]:
    lang = settings.default_language
    empty = Acc()

    def get(kind: str, key: str) -> Acc:
        return partial.get((kind, key), empty)

    services = [s.prefix for s in settings.services]
    services += sorted(k for kind, k in partial if kind == "service" and k not in services)
    by_service = []
    for prefix in services:
        try:
            name = settings.service(prefix).name.get(lang, prefix)
        except KeyError:
            name = prefix
        by_service.append(_group(get("service", prefix), settings,
                                 {"service": prefix, "name": name}))
    counters = [c.id for c in settings.counters]
    counters += sorted(int(k) for kind, k in partial
                       if kind == "counter" and int(k) not in counters)
    by_counter = []
    for cid in counters:
        try:
            name = settings.counter(cid).name.get(lang, str(cid))
        except KeyError:
            name = str(cid)
        by_counter.append(_group(get("counter", str(cid)), settings,
                                 {"counter": cid, "name": name}, utilisation=True))
    hours = sorted(int(k) for kind, k in partial if kind == "hour")
    by_hour = [_group(get("hour", str(h)), settings, {"hour": h}) for h in hours]
    by_class = []
    for cls, target in zip(CLASSES, (settings.targets.priority, settings.targets.regular),
                           strict=True):
        by_class.append(_group(get("class", cls), settings,
                               {"class": cls, "target_wait_min": target.wait_min,
                                "target_share": target.share}))
    report = dict(head)
    report["overall"] = _group(get("overall", ""), settings, {})
    report["by_service"] = by_service
    report["by_counter"] = by_counter
    report["by_hour"] = by_hour
    report["by_class"] = by_class
    return report


# -- the cache ------------------------------------------------------------------------------


def fingerprint(settings: Settings) -> str:
    """What a cached partial depends on besides the rows: change any, and it is rebuilt."""
    basis = {
        "version": CACHE_VERSION,
        "bin": BIN_S,
        "tz": settings.site.timezone,
        "hours": [settings.hours.open.isoformat(), settings.hours.close.isoformat()],
        "targets": [settings.targets.priority.wait_min, settings.targets.regular.wait_min],
        "counters": {c.id: sorted(c.services) for c in settings.counters},
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:16]


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _month_end(day: date) -> date:
    nxt = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


class _Cache:
    def __init__(self, conn: sqlite3.Connection, settings: Settings, today: str) -> None:
        self.conn = conn
        self.fp = fingerprint(settings)
        self.today = today
        self.writable = not conn.in_transaction

    def get(self, period: str) -> Partial | None:
        row = self.conn.execute(
            "SELECT fingerprint, data FROM report_cache WHERE period = ?", (period,)
        ).fetchone()
        if row is None or row[0] != self.fp:
            return None
        return _partial_from_json(row[1])

    def settled(self, first: date, last: date) -> bool:
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
        if not items or not self.writable:
            return
        now = clk.iso(datetime.now(UTC))
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(
                "INSERT OR REPLACE INTO report_cache (period, fingerprint, built_at, data)"
                " VALUES (?, ?, ?, ?)",
                [(period, self.fp, now, _partial_json(p)) for period, p in items],
            )
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError:  # read-only file or busy: the cache is optional
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.writable = False


# -- the public interface ---------------------------------------------------------------


@contextmanager
def _connection(store_or_db: Any, settings: Settings) -> Iterator[tuple[sqlite3.Connection, str]]:
    """(connection, today) for a Store, a sqlite3.Connection, a sqlite_utils.Database or a
    path. A path is opened through a Store, which migrates it to schema 2 first."""
    from kiosk.store import SCHEMA_VERSION, Store

    if isinstance(store_or_db, Store):
        yield store_or_db.conn, store_or_db.today()
        return
    if isinstance(store_or_db, str | Path):
        with Store(settings, path=Path(store_or_db)) as store:
            yield store.conn, store.today()
        return
    conn = getattr(store_or_db, "conn", store_or_db)
    if not isinstance(conn, sqlite3.Connection):
        raise TypeError(f"expected a Store, a database or a path, got {type(store_or_db)!r}")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version < 2:
        raise UsageError(f"the store is at schema {version}; open it once with this version"
                         f" (schema {SCHEMA_VERSION}) to add the report views")
    yield conn, clk.local_day(datetime.now(UTC), settings.site.tz)


def parse_day(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f'{what} must be a local date YYYY-MM-DD, got "{text}"') from None


def report(
    store_or_db: Any,
    settings: Settings,
    *,
    date_from: str,
    date_to: str,
    service: str | None = None,
    counter: int | None = None,
    priority: bool | None = None,
) -> dict[str, Any]:
    """The serve-time report for local dates `date_from`..`date_to` (inclusive, YYYY-MM-DD,
    in the site's time zone), exactly the JSON of `kiosk report --format json`.

    `store_or_db`: a Store, a sqlite3 connection / sqlite_utils.Database on a schema-2
    store, or the store's path. Filters: `service` (a prefix: segments in that queue),
    `counter` (segments that counter called), `priority` (True: priority class only, False:
    regular only). Returns {"from", "to", "timezone", "filters", "overall", "by_service",
    "by_counter", "by_hour", "by_class"}; each group has issued, called, served, no_show,
    expired, cancelled, transferred, open, wait_min {n, mean, median, p90, p95, max},
    service_min {n, mean, median, p90, max}, judged, within_target (0..1 or None),
    target_met (bool or None), overtakes; counters also busy_min, open_min, utilisation.
    Minutes are rounded to 0.01 (percentiles are exact to 0.1). See the module docstring
    for each definition. Settled days are cached in `report_cache` (unfiltered only).
    """
    first = parse_day(date_from, "--from")
    last = parse_day(date_to, "--to")
    if last < first:
        raise UsageError(f"--to ({date_to}) is before --from ({date_from})")
    if service is not None:
        service = service.upper()
    filters = Filters(service, counter, priority)
    head = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "timezone": settings.site.timezone,
        "filters": {"service": service, "counter": counter, "priority": priority},
    }
    with _connection(store_or_db, settings) as (conn, today):
        partial = _collect(conn, settings, first, last, filters, today)
    return _finish(partial, settings, head)


def _collect(conn: sqlite3.Connection, settings: Settings, first: date, last: date,
             filters: Filters, today: str) -> Partial:
    engine = _Engine(conn, settings)
    total: Partial = {}
    if filters.any:
        for day in _days(first, last):
            merge(total, engine.day(day, filters))
        return total
    cache = _Cache(conn, settings, today)
    pending: list[tuple[str, Partial]] = []
    day = first
    while day <= last:
        month_end = _month_end(day)
        if day.day == 1 and month_end <= last:
            period = day.isoformat()[:7]
            cached = cache.get(period)
            if cached is None and cache.settled(day, month_end):
                cached = {}
                for d in _days(day, month_end):
                    merge(cached, _day_partial(engine, cache, d, pending))
                pending.append((period, cached))
            if cached is not None:
                merge(total, cached)
                day = month_end + timedelta(days=1)
                continue
        merge(total, _day_partial(engine, cache, day, pending))
        day += timedelta(days=1)
    cache.put_many(pending)
    return total


def _day_partial(engine: _Engine, cache: _Cache, day: date,
                 pending: list[tuple[str, Partial]]) -> Partial:
    period = day.isoformat()
    cached = cache.get(period)
    if cached is not None:
        return cached
    partial = engine.day(day, Filters())
    if cache.settled(day, day):
        pending.append((period, partial))
    return partial


# -- flat rows: CSV ---------------------------------------------------------------------

CSV_COLUMNS = (
    "group", "key", "name", *COUNT_FIELDS,
    "wait_n", "wait_mean_min", "wait_median_min", "wait_p90_min", "wait_p95_min",
    "wait_max_min", "service_n", "service_mean_min", "service_median_min",
    "service_p90_min", "service_max_min", "judged", "within_target", "target_met",
    "overtakes", "busy_min", "open_min", "utilisation",
)


def rows(rep: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat dict per group (overall first), with the CSV's columns."""
    out = []
    groups: list[tuple[str, str, dict[str, Any]]] = [("overall", "", rep["overall"])]
    for kind, key_name, items in (
        ("service", "service", rep["by_service"]),
        ("counter", "counter", rep["by_counter"]),
        ("hour", "hour", rep["by_hour"]),
        ("class", "class", rep["by_class"]),
    ):
        groups.extend((kind, str(g[key_name]), g) for g in items)
    for kind, key, g in groups:
        flat: dict[str, Any] = {"group": kind, "key": key, "name": g.get("name", "")}
        for name in COUNT_FIELDS:
            flat[name] = g[name]
        for prefix, part in (("wait", g["wait_min"]), ("service", g["service_min"])):
            for stat, value in part.items():
                flat[f"{prefix}_n" if stat == "n" else f"{prefix}_{stat}_min"] = value
        for name in ("judged", "within_target", "target_met", "overtakes",
                     "busy_min", "open_min", "utilisation"):
            flat[name] = g.get(name)
        out.append(flat)
    return out


def to_csv(rep: dict[str, Any]) -> str:
    """The report as CSV: a header, then one flat row per group (overall, each service,
    counter, hour and class), so it opens in a spreadsheet as it is. Empty cell = none."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for flat in rows(rep):
        writer.writerow({k: "" if v is None else v for k, v in flat.items()})
    return buffer.getvalue()


# -- events export ------------------------------------------------------------------------

EXPORT_COLUMNS = ("id", "at", "kind", "ticket_id", "label", "day", "counter", "actor", "detail")


def _redact(kind: str, detail: str | None) -> str | None:
    """Needs are health data: the export says only whether a ticket is priority."""
    if not detail:
        return detail
    data = json.loads(detail)
    for key in ("need",) if kind == "issued" else ("from", "to") if kind == "reclassified" else ():
        if data.get(key) is not None:
            data[key] = "priority"
    return json.dumps(data, ensure_ascii=False)


def export_events(
    store_or_db: Any,
    settings: Settings,
    *,
    date_from: str,
    date_to: str,
    fmt: str = "csv",
    out: TextIO | None = None,
) -> str | None:
    """The event log between local dates `date_from` and `date_to` (inclusive), oldest
    first, as CSV (a header and one row per event) or JSON (one object with "events").

    Times stay ISO-8601 UTC as stored. Each row has the ticket's label and local day.
    A need code in `issued`/`reclassified` details is replaced by "priority". Writes to
    `out` and returns None when given, else returns the text."""
    if fmt not in ("csv", "json"):
        raise UsageError(f'--format must be csv or json, got "{fmt}"')
    first = parse_day(date_from, "--from")
    last = parse_day(date_to, "--to")
    if last < first:
        raise UsageError(f"--to ({date_to}) is before --from ({date_from})")
    tz = settings.site.tz
    start_at = clk.day_bounds_utc(first, tz)[0]
    end_at = clk.day_bounds_utc(last, tz)[1]
    buffer = io.StringIO()
    target: TextIO = out if out is not None else buffer
    with _connection(store_or_db, settings) as (conn, _today):
        cur = conn.execute(
            "SELECT e.id, e.at, e.kind, e.ticket_id, t.label, t.day, e.counter, e.actor,"
            " e.detail FROM events e LEFT JOIN tickets t ON t.id = e.ticket_id"
            " WHERE e.at >= ? AND e.at < ? ORDER BY e.at, e.id",
            (start_at, end_at),
        )
        if fmt == "csv":
            writer = csv.writer(target, lineterminator="\n")
            writer.writerow(EXPORT_COLUMNS)
            for row in cur:
                writer.writerow(["" if v is None else v for v in row[:-1]]
                                + [_redact(row[2], row[-1]) or ""])
        else:
            head = {"from": first.isoformat(), "to": last.isoformat(),
                    "timezone": settings.site.timezone}
            target.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "events": [')
            sep = ""
            for row in cur:
                item = dict(zip(EXPORT_COLUMNS, row, strict=True))
                detail = _redact(row[2], row[-1])
                item["detail"] = json.loads(detail) if detail else None
                target.write(sep + json.dumps(item, ensure_ascii=False))
                sep = ", "
            target.write("]}\n")
    return None if out is not None else buffer.getvalue()


# -- read helpers for the admin screen (issue 9) -------------------------------------------
# Reads only (plus the settled-day cache entries `report` itself would write); nothing above
# depends on them. `overview` is `report` with the per-day and per-hour series the admin's
# charts draw, computed in the same pass; `log_page`/`log_rows` read the serve-time log
# (the `serve_times` view) by ticket label, never by need: rows carry the class only.

Progress = Callable[[int, int], None]
"""progress(done, total): called after each local day (or chunk) a long read has finished."""

LOG_COLUMNS = (
    "day", "label", "segment", "service", "class", "counter", "outcome", "queued", "called",
    "ended", "wait_min", "service_min",
)
"""The serve-time log as the admin screen shows and exports it (local times HH:MM:SS)."""


def _question(date_from: str, date_to: str, service: str | None, counter: int | None,
              priority: bool | None) -> tuple[date, date, Filters]:
    """The checked dates and the filters, as `report` reads its arguments."""
    first = parse_day(date_from, "--from")
    last = parse_day(date_to, "--to")
    if last < first:
        raise UsageError(f"--to ({date_to}) is before --from ({date_from})")
    return first, last, Filters(service.upper() if service else None, counter, priority)


def _head(first: date, last: date, settings: Settings, filters: Filters) -> dict[str, Any]:
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "timezone": settings.site.timezone,
        "filters": {"service": filters.service, "counter": filters.counter,
                    "priority": filters.priority},
    }


def _calls_by_hour(conn: sqlite3.Connection, settings: Settings, first: date, last: date,
                   filters: Filters) -> Counter[int]:
    """Calls made on local days `first`..`last` by local hour of the call (not of the queue
    time, as `by_hour`): one per called segment, so the total equals the report's `called`.

    One query per run of days with the same UTC offset (one for most zones, a few around
    DST changes). Whole-hour offsets group on the stored UTC hour and shift it here, which
    the (kind, at) index answers alone; other offsets convert each time in SQLite."""
    tz = settings.site.tz
    spans: list[tuple[date, date, timedelta]] = []
    for day in _days(first, last):
        offset = datetime.combine(day, time(12), tz).utcoffset() or timedelta(0)
        if spans and spans[-1][2] == offset:
            spans[-1] = (spans[-1][0], day, offset)
        else:
            spans.append((day, day, offset))
    calls: Counter[int] = Counter()
    for start, end, offset in spans:
        minutes = int(offset.total_seconds()) // 60
        whole = minutes % 60 == 0
        hour = ("substr(e.at, 12, 2)" if whole
                else "strftime('%H', e.at, '" + f"{minutes:+d} minutes" + "')")
        sql = (f"SELECT {hour}, COUNT(*) FROM events e"
               + (" JOIN tickets t ON t.id = e.ticket_id" if filters.priority is not None
                  else "")
               + f" WHERE e.kind = 'called' AND e.at >= ? AND e.at < ? AND e.{INDEXED_KINDS_SQL}")
        params: list[Any] = [clk.day_bounds_utc(start, tz)[0], clk.day_bounds_utc(end, tz)[1]]
        if filters.counter is not None:
            sql += " AND e.counter = ?"
            params.append(filters.counter)
        if filters.service is not None:
            sql += " AND json_extract(e.detail, '$.service') = ?"
            params.append(filters.service)
        if filters.priority is not None:
            sql += " AND (t.need IS NOT NULL) = ?"
            params.append(int(filters.priority))
        for h, n in conn.execute(sql + " GROUP BY 1", params):
            local = (int(h) + minutes // 60) % 24 if whole else int(h)
            calls[local] += int(n)
    return calls


def _cached_series(cache: _Cache, period: str) -> Partial | None:
    """A cached day's overall and class groups only: the charts need no more, and building
    every group's histograms is most of the cost of reading a big site's year."""
    row = cache.conn.execute(
        "SELECT fingerprint, data FROM report_cache WHERE period = ?", (period,)).fetchone()
    if row is None or row[0] != cache.fp:
        return None
    return {(kind, key): Acc.from_json(data) for kind, key, data in json.loads(row[1])
            if kind in ("overall", "class")}


def overview(
    store_or_db: Any,
    settings: Settings,
    *,
    date_from: str,
    date_to: str,
    service: str | None = None,
    counter: int | None = None,
    priority: bool | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """`report(...)` for the range (the same object, the same numbers) under "report", plus:

    - "days": per local day {"day", "issued", "served", "judged": [priority, regular],
      "within": [priority, regular]} (the share within target by day is within / judged);
    - "calls_by_hour": {local hour of the call: calls} (arrivals by hour are the report's
      `by_hour` `issued`);
    - "wait_hist": {"priority"|"regular": {whole minutes waited: segments}} over every
      called segment of the class.

    Unfiltered, settled days come from the report cache (and are put there); filtered, each
    day is computed once and the report is merged from those same partials."""
    first, last, filters = _question(date_from, date_to, service, counter, priority)
    total_days = (last - first).days + 1
    days: list[dict[str, Any]] = []
    hist: dict[str, Counter[int]] = {cls: Counter() for cls in CLASSES}
    total: Partial = {}
    with _connection(store_or_db, settings) as (conn, today):
        engine = _Engine(conn, settings)
        cache = None if filters.any else _Cache(conn, settings, today)
        pending: list[tuple[str, Partial]] = []
        for i, day in enumerate(_days(first, last)):
            if cache is None:
                partial = engine.day(day, filters)
                merge(total, partial)
            else:
                cached = _cached_series(cache, day.isoformat())
                partial = (cached if cached is not None
                           else _day_partial(engine, cache, day, pending))
            overall = partial.get(("overall", ""), Acc())
            days.append({"day": day.isoformat(), "issued": overall.counts["issued"],
                         "served": overall.counts["served"], "judged": list(overall.judged),
                         "within": list(overall.within)})
            for cls in CLASSES:
                acc = partial.get(("class", cls))
                if acc is not None:
                    hist[cls].update(acc.wait_hist)
            if progress is not None:
                progress(i + 1, total_days)
        if cache is not None:
            cache.put_many(pending)
        calls = _calls_by_hour(conn, settings, first, last, filters)
    if filters.any:
        rep = _finish(total, settings, _head(first, last, settings, filters))
    else:
        rep = report(store_or_db, settings, date_from=first.isoformat(),
                     date_to=last.isoformat())
    per_minute: dict[str, dict[int, int]] = {}
    for cls, bins in hist.items():
        minutes: Counter[int] = Counter()
        for key, n in bins.items():
            minutes[int(key * BIN_S // 60)] += n
        per_minute[cls] = dict(sorted(minutes.items()))
    return {"report": rep, "days": days, "calls_by_hour": dict(sorted(calls.items())),
            "wait_hist": per_minute}


def _local_time(text: str | None, tz: Any) -> str | None:
    return None if text is None else clk.parse(text).astimezone(tz).strftime("%H:%M:%S")


def _log_row(row: dict[str, Any], tz: Any) -> dict[str, Any]:
    """A serve_times row as the log shows it: the class, never the need."""
    wait, service = row["wait_s"], row["service_s"]
    return {
        "day": row["day"], "label": row["label"], "segment": row["segment"],
        "service": row["service"], "class": CLASSES[0] if row["priority"] else CLASSES[1],
        "counter": row["counter"], "outcome": row["outcome"],
        "queued": _local_time(row["queued_at"], tz), "called": _local_time(row["called_at"], tz),
        "ended": _local_time(row["ended_at"], tz),
        "wait_min": None if wait is None else round(wait / 60.0, 1),
        "service_min": None if service is None else round(service / 60.0, 1),
    }


def _label_pattern(label: str | None) -> str | None:
    text = (label or "").strip().upper()
    if not text:
        return None
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _log_where(first: date, last: date, filters: Filters,
               label: str | None) -> tuple[str, list[Any]]:
    """Tickets with at least one segment the filters keep (a transfer leaves a segment in
    the old queue, called by the old counter: its `transferred` event says which)."""
    where = "t.day BETWEEN ? AND ?"
    params: list[Any] = [first.isoformat(), last.isoformat()]
    earlier = ("EXISTS (SELECT 1 FROM events x WHERE x.ticket_id = t.id"
               " AND +x.kind = 'transferred' AND {})")
    if filters.priority is not None:
        where += " AND t.need IS NOT NULL" if filters.priority else " AND t.need IS NULL"
    pattern = _label_pattern(label)
    if pattern is not None:
        where += " AND t.label LIKE ? ESCAPE '\\'"
        params.append(pattern)
    if filters.service is not None:
        where += " AND (t.service = ? OR " + earlier.format(
            "json_extract(x.detail, '$.from') = ?") + ")"
        params += [filters.service, filters.service]
    if filters.counter is not None:
        where += " AND (t.counter = ? OR " + earlier.format("x.counter = ?") + ")"
        params += [filters.counter, filters.counter]
    return where, params


def _segments(conn: sqlite3.Connection, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    cur = conn.execute(
        f"SELECT * FROM serve_times WHERE ticket_id IN ({', '.join('?' for _ in ids)})"
        " ORDER BY day DESC, ticket_id DESC, segment", ids)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def log_page(
    store_or_db: Any,
    settings: Settings,
    *,
    date_from: str,
    date_to: str,
    service: str | None = None,
    counter: int | None = None,
    priority: bool | None = None,
    label: str | None = None,
    page: int = 0,
    per_page: int = 100,
) -> dict[str, Any]:
    """One page of the serve-time log, newest ticket first: {"tickets" (how many match),
    "page", "pages", "rows"} where rows are LOG_COLUMNS dicts, one per queue segment the
    filters keep. `label` matches any part of a ticket label, case-insensitively."""
    first, last, filters = _question(date_from, date_to, service, counter, priority)
    where, params = _log_where(first, last, filters, label)
    tz = settings.site.tz
    with _connection(store_or_db, settings) as (conn, _today):
        matched = int(conn.execute(f"SELECT COUNT(*) FROM tickets t WHERE {where}",
                                   params).fetchone()[0])
        pages = max(1, -(-matched // per_page))
        page = min(max(page, 0), pages - 1)
        ids = [r[0] for r in conn.execute(
            f"SELECT t.id FROM tickets t WHERE {where} ORDER BY t.day DESC, t.id DESC"
            " LIMIT ? OFFSET ?", [*params, per_page, page * per_page])]
        segments = _segments(conn, ids)
    rows = [_log_row(r, tz) for r in segments if filters.keep(r)]
    return {"tickets": matched, "page": page, "pages": pages, "rows": rows}


def log_rows(
    store_or_db: Any,
    settings: Settings,
    *,
    date_from: str,
    date_to: str,
    service: str | None = None,
    counter: int | None = None,
    priority: bool | None = None,
    label: str | None = None,
    progress: Progress | None = None,
) -> Iterator[dict[str, Any]]:
    """Every row of the serve-time log in the range, oldest first, one local day at a time
    (for exports: memory stays flat over a year)."""
    first, last, filters = _question(date_from, date_to, service, counter, priority)
    pattern = (label or "").strip().upper()
    tz = settings.site.tz
    total = (last - first).days + 1
    with _connection(store_or_db, settings) as (conn, _today):
        for i, day in enumerate(_days(first, last)):
            cur = conn.execute("SELECT * FROM serve_times WHERE day = ?"
                               " ORDER BY ticket_id, segment", (day.isoformat(),))
            names = [d[0] for d in cur.description]
            for values in cur.fetchall():
                row = dict(zip(names, values, strict=True))
                if filters.keep(row) and pattern in row["label"]:
                    yield _log_row(row, tz)
            if progress is not None:
                progress(i + 1, total)


def purge_preview(store_or_db: Any, settings: Settings, before: str) -> dict[str, Any]:
    """What `Store.purge(before)` would delete, counted the same way: {"before", "tickets",
    "events", "first_day"} (first_day: the oldest local day the store holds, or None)."""
    cutoff = parse_day(before, "--before")
    cutoff_at, _ = clk.day_bounds_utc(cutoff, settings.site.tz)
    with _connection(store_or_db, settings) as (conn, _today):
        tickets, first_day = conn.execute(
            "SELECT COUNT(*), (SELECT MIN(day) FROM tickets) FROM tickets WHERE day < ?",
            (before,)).fetchone()
        events = conn.execute(
            "SELECT COUNT(*) FROM events WHERE ticket_id IN"
            " (SELECT id FROM tickets WHERE day < ?) OR (ticket_id IS NULL AND at < ?)",
            (before, cutoff_at)).fetchone()[0]
    return {"before": cutoff.isoformat(), "tickets": int(tickets), "events": int(events),
            "first_day": first_day}
