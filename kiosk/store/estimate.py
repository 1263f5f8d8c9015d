"""The outlook: how many are ahead of a ticket and how long it will wait (design §4).

The estimate is the call policy itself (`kiosk.queue`) played over the waiting list and the
counters that will serve it, each service taking its recent median service time. The
medians are cached per process: today's finished tickets are read again each minute, the
earlier days of the window (which no longer change) once an hour or on a new day.

Which counters it counts on (`availability()`), so that no face promises a wait nobody will
serve: an open counter whose console is there; a paused one whose staff said when they will
be back, from then; before the opening time, the counters due then. A counter that is late
(a pause run over, nobody signed in after the opening time) is not counted on.
A service no counter will serve gets no figure ("not available now"); one whose counters
are all yet to come gets the time the first is expected (`opens_at`) with the wait. The
kiosk, the slip, the board and (next) the phone page and the API all read these.
"""

from __future__ import annotations

import collections
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from kiosk import clock as clk
from kiosk import queue
from kiosk.consoles import unattended
from kiosk.rows import Issued, Outlook, ServiceOutlook, Ticket
from kiosk.store.base import StoreBase

MEDIAN_WINDOW = 100
"""Service-time medians use this many of a service's most recent finished tickets."""
MEDIAN_TTL_S = 60.0
MEDIAN_DAYS = 31
"""...looked for within this many days back (a service unused for a month has no median)."""
MEDIAN_HISTORY_TTL_S = 3600.0
"""The earlier days' part of the window is read again after this long (and each new day)."""


@dataclass(frozen=True)
class Availability:
    """The counters the estimate counts on, and when those not serving now are expected."""

    counters: list[queue.OpenCounter]
    starts: dict[int, float]
    """Counter id -> when it is expected to serve (Unix time): a paused counter's announced
    return, or the opening time. Counters serving now are not in it."""

    def opens_at(self, service: str) -> float | None:
        """When the first counter of `service` is expected, if none serves it now."""
        serving = [c.id for c in self.counters if service in c.services]
        if not serving or any(c not in self.starts for c in serving):
            return None
        return min(self.starts[c] for c in serving)


TAIL_S = 1.0
"""A kept replay (`_Tail`) serves tickets for this long: its counters' times are relative
to when it was made."""


@dataclass
class _Tail:
    """A linked group's queue replayed to its end (queue.free_after), kept so the next
    ticket behind everyone is estimated by a look at the counters (queue.take_last)."""

    version: int
    """The store's data_version then: another connection's commit ends it."""
    now: float
    medians: dict[str, float]
    counters: list[queue.OpenCounter]
    free: dict[int, float]
    waiting: collections.Counter[str]
    last: tuple[float, float, int]
    """The largest call key in the replay: a ticket after it is behind everyone."""
    opens_at: dict[str, str | None]

    def behind(self, ticket: Ticket, key: tuple[float, float, int]) -> Issued:
        """`ticket`, behind everyone, joins the end of the replay; its outlook."""
        taken = queue.take_last(self.free, self.counters, ticket.service)
        if taken is not None:
            self.free[taken[1]] += self.medians.get(ticket.service, queue.DEFAULT_SERVICE_S)
        ahead = self.waiting[ticket.service]
        self.waiting[ticket.service] += 1
        self.last = key
        return Issued(ticket, ahead,
                      queue.rounded_wait_minutes(None if taken is None else taken[0]),
                      self.opens_at.get(ticket.service))


class Estimate(StoreBase):
    """People ahead and the estimated wait, for a ticket and for each service."""

    def _setup_caches(self) -> None:
        super()._setup_caches()
        self._tails: dict[tuple[str, frozenset[str]], _Tail] = {}
        self._tail_hints: dict[tuple[str, frozenset[str]], int] = {}
        """The data_version at this process's last full outlook of each group."""
        self._keep_tails = False
        """Set while a transaction only issues tickets (their outlooks extend the tails)."""
        self._medians: tuple[float, dict[str, float]] = (-1e18, {})
        self._median_history: tuple[date | None, float, dict[str, list[tuple[str, str]]]] = (
            None, 0.0, {})

    def _waiting(self, day: str) -> list[queue.Waiting]:
        # Plain tuples, not _rows' dicts: this runs under the write lock in call_next.
        return [queue.Waiting(tid, service, need, order_at, _slot(order_at, slot))
                for tid, service, need, order_at, slot in self.conn.execute(
                    "SELECT id, service, need, order_at, slot_at FROM tickets"
                    " WHERE state = 'waiting' AND day = ?", (day,))]

    def _upcoming(self, day: str, now: float) -> list[queue.Waiting]:
        """Today's bookings not checked in yet whose grace has not run out, as the policy
        counts bookings still to come (queue.estimate_wait_s's `upcoming`): from their
        slot's start, by their slot (ids negative: never a ticket's)."""
        if not self.settings.booking.services:
            return []
        late = self.settings.booking.late_min * 60.0
        return [queue.Waiting(-bid, service, need, at, at)
                for bid, service, need, at in (
                    (bid, service, need, clk.epoch(slot_at))
                    for bid, service, need, slot_at in self.conn.execute(
                        "SELECT id, service, need, slot_at FROM bookings"
                        " WHERE day = ? AND state = 'booked'", (day,)))
                if at + late > now]

    def _slots_of(self, tickets: list[Ticket]) -> dict[int, float | None]:
        """The booked slot (Unix seconds) of each of these new tickets that is an
        appointment holding its slot's place; the file has it, the Ticket row not."""
        if not self.settings.booking.services:
            return {}
        ids = [t.id for t in tickets]
        rows = self.conn.execute(
            "SELECT id, order_at, slot_at FROM tickets WHERE slot_at IS NOT NULL AND id IN"
            f" ({', '.join('?' for _ in ids)})", ids).fetchall()
        return {tid: _slot(order_at, slot) for tid, order_at, slot in rows}

    def service_times(self) -> dict[str, float]:
        """Each service's median service time (seconds) over its recent finished tickets."""
        stamp, cached = self._medians
        moment = self.now()
        now = moment.timestamp()
        if 0 <= now - stamp < MEDIAN_TTL_S:
            return cached
        today = moment.astimezone(self.tz).date()
        recent = self._finished_on(today.isoformat())
        day, at, history = self._median_history
        if day != today or not 0 <= now - at < MEDIAN_HISTORY_TTL_S:
            history = self._finished_before(today)
            self._median_history = (today, now, history)
        medians: dict[str, float] = {}
        for service in self.settings.services:
            pairs = recent.get(service.prefix, []) + history.get(service.prefix, [])
            durations = [clk.epoch(finished) - clk.epoch(called)
                         for finished, called in pairs[:MEDIAN_WINDOW]]
            if durations:
                medians[service.prefix] = max(30.0, statistics.median(durations))
        self._medians = (now, medians)
        return medians

    def _finished_on(self, day: str) -> dict[str, list[tuple[str, str]]]:
        """A day's finished tickets per service as (finished_at, called_at), newest first.

        Read through the unique index's day (finished tickets have no index of their own:
        it would be written on every finish), so a day costs one pass over its tickets."""
        rows = self.conn.execute(
            "SELECT service, finished_at, called_at FROM tickets WHERE day = ?"
            " AND state = 'done' AND finished_at IS NOT NULL AND called_at IS NOT NULL",
            (day,),
        ).fetchall()
        out: dict[str, list[tuple[str, str]]] = {}
        for service, finished_at, called_at in sorted(rows, reverse=True):
            out.setdefault(service, []).append((finished_at, called_at))
        return out

    def _finished_before(self, today: date) -> dict[str, list[tuple[str, str]]]:
        """The earlier days' part of each service's window, newest day first, up to
        MEDIAN_DAYS back. Past days no longer change, so this is kept for an hour, and
        the once-a-minute refresh reads only today."""
        out: dict[str, list[tuple[str, str]]] = {}
        wanted = {service.prefix for service in self.settings.services}
        for back in range(1, MEDIAN_DAYS):
            if not wanted:
                break
            day = (today - timedelta(days=back)).isoformat()
            for service, pairs in self._finished_on(day).items():
                if service in wanted:
                    out[service] = (out.get(service, []) + pairs)[:MEDIAN_WINDOW]
            wanted = {s for s in wanted if len(out.get(s, [])) < MEDIAN_WINDOW}
        return out

    def availability(self, medians: dict[str, float]) -> Availability:
        """The counters the estimate may count on, with when each will be free (a busy
        counter's patron is expected to take the service's median, `service_times()`)."""
        with self.snapshot():
            states = self.counter_states()
            # Tuples rather than _rows' dicts: this runs for every ticket issued.
            busy = {
                counter: (service, called_at)
                for counter, service, called_at in self.conn.execute(
                    "SELECT counter, service, called_at FROM tickets"
                    " WHERE state IN ('called', 'serving') AND counter IS NOT NULL"
                    " ORDER BY called_at"
                )
            }
        now = self.now()
        ts = now.timestamp()
        local = now.astimezone(self.tz)
        day_start = datetime.combine(local.date(), datetime.min.time(), self.tz).timestamp()
        opening = datetime.combine(local.date(), self.settings.hours.open,
                                   self.tz).timestamp()
        counters: list[queue.OpenCounter] = []
        starts: dict[int, float] = {}
        for counter, services in self._counter_services.items():
            free_in = 0.0
            if counter in busy:
                service, called_at = busy[counter]
                typical = medians.get(service, queue.DEFAULT_SERVICE_S)
                free_in = max(0.0, typical - (ts - clk.epoch(called_at)))
            state = states.get(counter)
            if state is None or state.state == "closed":
                # Not opened yet today, before the opening time: expected then. Once the
                # time has passed, a counter nobody opened is not counted on (as a pause
                # that has run over): the estimate never waits for someone who is late.
                untouched = state is None or state.since is None \
                    or clk.epoch(state.since) < day_start
                if not (untouched and ts < opening):
                    continue
                starts[counter] = opening
                free_in = max(free_in, opening - ts)
            elif unattended(state, ts):
                continue  # its console has gone: nobody calls from it
            elif state.state == "paused":
                back = clk.epoch(state.back_at) if state.back_at else None
                if back is None or back < ts:
                    continue  # no return announced, or overdue: not counted on
                starts[counter] = back
                free_in = max(free_in, back - ts)
            counters.append(queue.OpenCounter(counter, services, free_in))
        return Availability(counters, starts)

    def open_counters(self, medians: dict[str, float]) -> list[queue.OpenCounter]:
        """The counters of `availability()` (the benchmarks replay the estimate on them)."""
        return self.availability(medians).counters

    def outlook(self, ticket: Ticket) -> Issued:
        """People ahead, the rounded estimated wait in minutes and, when no counter serves
        its service now, when one is expected: for a waiting ticket."""
        return self.outlooks([ticket])[0]

    def outlooks(self, tickets: list[Ticket]) -> list[Issued]:
        """`outlook()` of tickets issued together (one commit: Store.issue_many), from one
        read of who waits: each counts only those before it, not the batch's later ones.

        A ticket behind everyone waiting in its linked services (nearly every ticket) that
        follows another such ticket of this process, with nothing else written anywhere in
        between and within TAIL_S, continues the previous replay (`_Tail`) instead of
        replaying the whole queue again: the same answer (a property test), at a cost that
        does not grow with the queue."""
        out: list[Issued] = []
        version = self.data_version()
        now = self.now().timestamp()
        slots = self._slots_of(tickets)
        lead_s = self._lead_s
        for day in dict.fromkeys(t.day for t in tickets):
            medians = self.service_times()
            read: tuple[list[queue.Waiting], Availability] | None = None
            mine = [t for t in tickets if t.day == day]
            batch = {t.id for t in mine}
            for ticket in mine:
                linked = queue.linked_services(ticket.service, self._counter_services.values())
                me = queue.Waiting(ticket.id, ticket.service, ticket.need, ticket.order_at,
                                   slots.get(ticket.id))
                key = queue.call_key(me, self._head_start, lead_s=lead_s)
                tail = self._tails.get((day, linked))
                if (tail is not None and tail.version == version and tail.medians is medians
                        and abs(now - tail.now) <= TAIL_S and key > tail.last):
                    out.append(tail.behind(ticket, key))
                    continue
                self._tails.pop((day, linked), None)  # this ticket is not in it
                if read is None:
                    with self.snapshot():
                        read = (self._waiting(day), self.availability(medians),
                                self._upcoming(day, now))
                waiting, available, upcoming = read
                others = [w for w in waiting if w.service in linked and w.id != me.id
                          and not (w.id > me.id and w.id in batch)]
                coming = [u for u in upcoming if u.service in linked]
                ahead = queue.people_ahead(others, me, [me.service], self._head_start,
                                           lead_s=lead_s)
                seconds = queue.estimate_wait_s(others, me, available.counters, medians,
                                                self._head_start, upcoming=coming, now=now,
                                                lead_s=lead_s)
                opens = {s: _iso(available.opens_at(s)) for s in linked}
                out.append(Issued(ticket, ahead, queue.rounded_wait_minutes(seconds),
                                  opens[ticket.service]))
                # Kept only when this process issues again before anyone else writes
                # (the second such ticket in a row): a kiosk among many busy writers
                # would only pay for a replay nobody uses.
                hint = (day, linked)
                quiet, self._tail_hints[hint] = self._tail_hints.get(hint) == version, version
                # The kept replay is exact only while no booking still to come is keyed
                # before the tickets it will be asked about (queue.free_after).
                if quiet and all(queue.call_key(w, self._head_start, lead_s=lead_s) < key
                                 for w in others) and not coming:
                    tail = _Tail(version, now, medians, available.counters,
                                 queue.free_after(others, available.counters, medians,
                                                  self._head_start, lead_s=lead_s),
                                 collections.Counter(w.service for w in others), key, opens)
                    tail.behind(ticket, key)  # this ticket joins the replay's end
                    self._tails[(day, linked)] = tail
        order = {t.id: n for n, t in enumerate(tickets)}
        return sorted(out, key=lambda issued: order[issued.ticket.id])

    def _committed(self, committed: bool) -> None:
        super()._committed(committed)
        # Anything but new tickets may change any replay; a rollback undoes what a batch's
        # outlooks added to them.
        if not (committed and self._keep_tails):
            self._tails.clear()

    def outlook_of_everyone(self) -> dict[int, Outlook]:
        """Every ticket waiting today: its `outlook()`, by ticket id, from one read and one
        replay (queue.everyone): what the phone pages show, for all of them at once."""
        now = self.now().timestamp()
        with self.snapshot():
            waiting = self._waiting(self.today())
            upcoming = self._upcoming(self.today(), now)
            medians = self.service_times()
            available = self.availability(medians)
        places = queue.everyone(waiting, available.counters, medians, self._head_start,
                                upcoming=upcoming, now=now, lead_s=self._lead_s)
        opens = {s.prefix: _iso(available.opens_at(s.prefix)) for s in self.settings.services}
        out = {}
        for ticket in waiting:
            ahead, seconds = places[ticket.id]
            out[ticket.id] = Outlook(ahead, queue.rounded_wait_minutes(seconds),
                                     opens.get(ticket.service))
        return out

    def waiting_outlook(self) -> list[ServiceOutlook]:
        """Per service, in config order: how many wait now, and `estimated_wait_min` for a
        regular ticket taken now (rounded as the kiosk says it: 0 = under 5 minutes; None =
        no counter will serve the service), `opens_at` as for a ticket."""
        now = self.now().timestamp()
        with self.snapshot():
            waiting = self._waiting(self.today())
            upcoming = self._upcoming(self.today(), now)
            medians = self.service_times()
            available = self.availability(medians)
        out = []
        for service in self.settings.services:
            # Last among equals: a probe id above every real id loses each tie.
            probe = queue.Waiting(2**62, service.prefix, None, now)
            seconds = queue.estimate_wait_s(waiting, probe, available.counters, medians,
                                            self._head_start, upcoming=upcoming, now=now,
                                            lead_s=self._lead_s)
            out.append(ServiceOutlook(
                service.prefix,
                sum(1 for w in waiting if w.service == service.prefix),
                queue.rounded_wait_minutes(seconds),
                _iso(available.opens_at(service.prefix)),
            ))
        return out


def _slot(order_at: float, slot_at: str | None) -> float | None:
    """A ticket's booked slot for the policy: only while its `order_at` is that slot's
    start (an appointment that checked in within its grace). A ticket that rejoined a
    queue (transferred, or a no-show brought back) has a new `order_at` and goes by it,
    as anyone rejoining does; the file keeps `slot_at` for the reports."""
    if slot_at is None:
        return None
    at = clk.epoch(slot_at)
    return at if at == order_at else None


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else clk.iso(datetime.fromtimestamp(epoch, UTC))
