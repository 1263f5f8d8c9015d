"""The reports engine: one local day's serve-time rows turned into mergeable partial
aggregates (`Acc` per group), the counters' open time, and the overtakes; the day's
bookings (`Appt` per service) and each group split by arrival (appointment, walk-in).

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
from kiosk.store.bookings import slot_bounds
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
ARRIVALS = ("appointment", "walk_in")
"""How a ticket came: checked in for its booked slot within the grace (`tickets.slot_at`),
or anything else (a late check-in is a walk-in ticket)."""
APPOINTMENTS = "appointments"
"""The partial's kind for one service's bookings of the day (an `Appt`)."""


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


BOOKING_FIELDS = ("booked", "cancelled", "checked_in", "late", "no_show", "pending")


@dataclass
class Appt:
    """The mergeable partial of one service's bookings for the slots of a period: what
    became of them (`BOOKING_FIELDS`), and the punctuality of its appointment tickets
    (first call minus the slot's start, seconds; negative: called before the slot)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BOOKING_FIELDS, 0))
    n: int = 0
    total: float = 0.0
    top: float | None = None
    hist: Counter[int] = field(default_factory=Counter)
    punctual: int = 0
    """Called at most [booking] punctual_min after the slot's start."""
    offered: int = 0
    """Places the slots offered (`offered_places`: the config's slot rules)."""

    def merge(self, other: Appt) -> None:
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        self.offered += other.offered
        self.n += other.n
        self.total += other.total
        if other.top is not None:
            self.top = other.top if self.top is None else max(self.top, other.top)
        self.hist.update(other.hist)
        self.punctual += other.punctual

    def to_json(self) -> list[Any]:
        return [[self.counts[k] for k in BOOKING_FIELDS],
                [self.n, self.total, self.top, *_hist_json(self.hist)], self.punctual,
                self.offered]

    @classmethod
    def from_json(cls, data: list[Any]) -> Appt:
        counts, (n, total, top, keys, values), punctual, offered = data
        return cls(counts=dict(zip(BOOKING_FIELDS, counts, strict=True)), n=n, total=total,
                   top=top, hist=Counter(dict(zip(keys, values, strict=True))),
                   punctual=punctual, offered=offered)


def offered_places(settings: Settings, service: str, day: date) -> int:
    """Places the config's slot rules offer for `service` on local `day`: its slots times
    their places, none on a closed day or for a service that takes no bookings. Pure (the
    store's `slots` lists only the slots still to come)."""
    if service not in settings.booking.services or settings.closed_on(day) is not None:
        return 0
    rules = settings.slots_of(service)
    return len(slot_bounds(rules)) * rules.per_slot


Partial = dict[tuple[str, str], Any]
"""(kind, key) -> Acc; kind in KINDS, key "" for overall. With appointments, also
(f"{kind}:{arrival}", key) -> Acc, the group's tickets of one arrival (ARRIVALS), and
(APPOINTMENTS, service) -> Appt. A group without its split entries came all by walk-in:
its walk-in part is the group itself, its appointment part empty (`arrival_part`), so a
day without bookings keeps exactly the entries it had before there were any."""


def split_key(kind: str, arrival: str) -> str:
    return f"{kind}:{arrival}"


def arrival_part(partial: Partial, kind: str, key: str, arrival: str) -> Acc | None:
    """One arrival's part of a group (None: no such group, or no appointment in it)."""
    found = partial.get((split_key(kind, arrival), key))
    if found is not None or arrival != "walk_in":
        return found
    return partial.get((kind, key))


def _copy(acc: Acc, open_time: bool = True) -> Acc:
    out = Acc()
    out.merge(acc)
    if not open_time:
        out.open_s = 0.0  # a counter's open time is the counter's, never an arrival's
    return out


def merge(into: Partial, other: Partial) -> Partial:
    """Add `other` to `into` (day to day, site to site): sums, maxima and histograms, so
    every percentile is taken over the merged histogram, never averaged."""
    for (kind, key), acc in other.items():
        if ":" in kind:
            continue  # with its group below
        if kind == APPOINTMENTS:
            if (kind, key) in into:
                into[(kind, key)].merge(acc)
            else:
                into[(kind, key)] = Appt.from_json(acc.to_json())
            continue
        walk_in = (split_key(kind, "walk_in"), key)
        appointment = (split_key(kind, "appointment"), key)
        if walk_in in other or walk_in in into:
            # Either side had appointments in this group: keep both parts from now on.
            if walk_in not in into:
                mine = into.get((kind, key))
                into[walk_in] = _copy(mine, False) if mine is not None else Acc()
            into[walk_in].merge(other.get(walk_in, acc) if walk_in in other
                                else _copy(acc, False))
            if appointment in other:
                if appointment in into:
                    into[appointment].merge(other[appointment])
                else:
                    into[appointment] = _copy(other[appointment])
        if (kind, key) in into:
            into[(kind, key)].merge(acc)
        else:
            into[(kind, key)] = _copy(acc)
    return into


def partial_json(partial: Partial) -> str:
    return json.dumps([[kind, key, acc.to_json()] for (kind, key), acc in partial.items()])


def partial_from_json(text: str) -> Partial:
    return {(kind, key): (Appt if kind == APPOINTMENTS else Acc).from_json(data)
            for kind, key, data in json.loads(text)}


# -- one day's rows ------------------------------------------------------------------------

_SEGMENTS_SQL = """
SELECT ticket_id, segment, service, priority, counter, outcome, queued_at, called_at,
  CAST(strftime('%H', queued_at, ?) AS INTEGER) AS hour, wait_s, service_s,
  CASE WHEN called_at IS NOT NULL AND ended_at IS NOT NULL
    THEN (julianday(ended_at) - julianday(called_at)) * 86400.0 END AS busy_s,
  CASE WHEN ended_at IS NOT NULL THEN ended_at ELSE called_at END AS last_at
FROM serve_times WHERE day = ?
"""
# A day's bookings (through `bookings_slot`: only that day's rows), with their tickets'
# slot (NULL: a walk-in, i.e. a late check-in).
_BOOKINGS_SQL = """
SELECT b.service, b.need IS NOT NULL, b.state, b.ticket_id, t.slot_at
FROM bookings b LEFT JOIN tickets t ON t.id = b.ticket_id WHERE b.day = ?
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

    def keep_booking(self, service: str, priority: bool) -> bool:
        """A booking counts unless filtered out by service or class; none is a counter's."""
        if self.counter is not None:
            return False
        if self.service is not None and service != self.service:
            return False
        return self.priority is None or bool(priority) == self.priority


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
        self.punctual_s = settings.booking.punctual_min * 60.0
        self.today = store.today()
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

        slot_of = self._bookings(day, filters, partial)
        pairs: dict[tuple[str, str], tuple[Acc, Acc]] = {}

        def pair(kind: str, key: str) -> tuple[Acc, Acc]:
            """A group's two parts (appointment, walk-in), made together."""
            found = pairs.get((kind, key))
            if found is None:
                found = pairs[(kind, key)] = (acc(split_key(kind, ARRIVALS[0]), key),
                                              acc(split_key(kind, ARRIVALS[1]), key))
            return found

        for i, row in enumerate(rows):
            if not filters.keep(row):
                continue
            keys = [("overall", ""), ("service", row["service"]), ("hour", str(row["hour"])),
                    ("class", CLASSES[0] if row["priority"] else CLASSES[1])]
            if row["counter"] is not None and row["called_at"] is not None:
                keys.append(("counter", str(row["counter"])))
            groups = [acc(kind, key) for kind, key in keys]
            if slot_of:  # the day had appointments: every group it touches is split
                slot_at = slot_of.get(row["ticket_id"])
                mine = 0 if slot_at is not None else 1
                groups += [pair(kind, key)[mine] for kind, key in keys]
                if slot_at is not None and row["segment"] == 1 and row["called_at"]:
                    self._punctuality(partial, row["service"], row["called_at"], slot_at)
            self._add(groups, row, overtaken[i])
        for counter, seconds in open_s.items():
            if filters.counter is None or filters.counter == counter:
                acc("counter", str(counter)).open_s += seconds
        return partial

    def _bookings(self, day: date, filters: Filters, partial: Partial) -> dict[int, str]:
        """Count the day's bookings into `partial` (per service: what became of them; a
        booking not checked in is a no-show once its day is over, pending until then);
        return the slot's start of each appointment ticket of the day, by ticket id."""
        slot_of: dict[int, str] = {}
        over = day.isoformat() < self.today
        if filters.counter is None:  # the places a day offers are no counter's
            for service in self.settings.booking.services:
                if filters.service is None or filters.service == service:
                    offered = offered_places(self.settings, service, day)
                    if offered:
                        appt = partial.get((APPOINTMENTS, service))
                        if appt is None:
                            appt = partial[(APPOINTMENTS, service)] = Appt()
                        appt.offered += offered
        for service, priority, state, ticket_id, slot_at in self.conn.execute(
                _BOOKINGS_SQL, (day.isoformat(),)):
            if slot_at is not None:
                slot_of[ticket_id] = slot_at
            if not filters.keep_booking(service, priority):
                continue
            appt = partial.get((APPOINTMENTS, service))
            if appt is None:
                appt = partial[(APPOINTMENTS, service)] = Appt()
            counts = appt.counts
            counts["booked"] += 1
            if state == "cancelled":
                counts["cancelled"] += 1
            elif state == "checked_in":
                counts["checked_in"] += 1
                if ticket_id is not None and slot_at is None:
                    counts["late"] += 1
            else:
                counts["no_show" if over else "pending"] += 1
        return slot_of

    def _punctuality(self, partial: Partial, service: str, called_at: str,
                     slot_at: str) -> None:
        """An appointment's first call, against its slot's start."""
        appt = partial.get((APPOINTMENTS, service))
        if appt is None:
            appt = partial[(APPOINTMENTS, service)] = Appt()
        late_s = _seconds(slot_at, called_at)
        appt.n += 1
        appt.total += late_s
        appt.top = late_s if appt.top is None else max(appt.top, late_s)
        appt.hist[round(late_s / BIN_S)] += 1
        appt.punctual += late_s <= self.punctual_s + 1e-6

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
