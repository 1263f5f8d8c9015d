"""The queue's rules as pure functions: no clock, no files, no store.

The call policy (design §4): every waiting ticket has a *virtual arrival*, its queue time
minus the head start of its need. `Call next` takes the earliest virtual arrival among the
tickets a counter serves; ties go to the earlier real time, then the lower id. Ordering both
classes on one key is what keeps the bound honest: a priority ticket passes a regular one only
if it came less than its head start later, so nobody waits forever. A head start of `None`
means "strict": that need goes before every regular ticket, whenever it came.

The wait estimate replays that same policy over the current waiting list and the open
counters, so a counter that serves several services is accounted for, which a plain
"people ahead x service time" formula cannot do.

Appointments (design §14) join the same key rather than a queue of their own: an appointment
checked in within its grace has the virtual arrival of its slot's start instead of its
check-in time (minus its need's head start, and minus `lead_s`, the one appointment
parameter, 0 by default). A walk-in's key is unchanged, so with no appointments the order
and every estimate are exactly the walk-in ones; and since both kinds sit on one time scale
the overtaking bound stays a bound for everyone: an appointment passes a walk-in only if it
checked in less than (late grace + lead_s + its head start) after the walk-in came.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

#: A need's head start in seconds; None = strict (unbounded).
HeadStart = Callable[[str | None], float | None]


Key = tuple[float, float, int]
"""A call key: (virtual arrival, real queue time, id); the smallest is called first."""


@dataclass(frozen=True, slots=True)
class Waiting:
    """What the policy needs to know about one waiting ticket."""

    id: int
    service: str
    need: str | None
    queued_at: float
    """Seconds on any monotone scale (the store uses Unix time)."""
    slot_at: float | None = None
    """An appointment's booked slot start, on queued_at's scale; None for a walk-in. Set
    only for an appointment checked in within its grace (the store's rule: a later one is a
    walk-in), since the key trusts it."""


Keyed = tuple[Key, Waiting]


def _keyed(waiting: Iterable[Waiting], head_start: HeadStart, below: Key | None = None,
           lead_s: float = 0.0) -> list[Keyed]:
    """(call key, ticket) for each ticket (only those before `below`, when given): the one
    place the key is computed, so the call, the order, the people ahead and the estimate can
    never disagree.

    The virtual arrival is the queue time minus the need's head start (-inf for a strict
    need); an appointment's queue time is its slot's start less `lead_s`, whenever it
    checked in within its grace: it was booked for then. Ties go to the earlier real time,
    then the lower id. A hot path (the estimate keys every waiting ticket for every ticket
    issued): head starts are looked up once per need, and the formula is inline, with no
    call per ticket."""
    leads: dict[str | None, float | None] = {}
    minus_inf = -math.inf
    out: list[Keyed] = []
    for ticket in waiting:
        need = ticket.need
        try:
            lead = leads[need]
        except KeyError:
            lead = leads[need] = head_start(need)
        at = ticket.queued_at
        if lead is None:
            key = (minus_inf, at, ticket.id)
        else:
            slot = ticket.slot_at
            key = ((at if slot is None else slot - lead_s) - lead, at, ticket.id)
        if below is None or key < below:
            out.append((key, ticket))
    return out


def _first(item: Keyed) -> Key:
    return item[0]


def virtual_arrival(ticket: Waiting, head_start: HeadStart, *, lead_s: float = 0.0) -> float:
    """The first part of `call_key`: when the policy counts `ticket` as having come."""
    return call_key(ticket, head_start, lead_s=lead_s)[0]


def call_key(ticket: Waiting, head_start: HeadStart, *, lead_s: float = 0.0) -> Key:
    """The one sort key of the call policy: earlier key = called sooner."""
    return _keyed((ticket,), head_start, None, lead_s)[0][0]


def order(tickets: Iterable[Waiting], head_start: HeadStart, *,
          lead_s: float = 0.0) -> list[Waiting]:
    """All tickets in the order the policy would call them (one counter serving all)."""
    return [ticket for _key, ticket in sorted(_keyed(tickets, head_start, None, lead_s),
                                              key=_first)]


def choose_next(
    waiting: Iterable[Waiting], services: Iterable[str], head_start: HeadStart, *,
    lead_s: float = 0.0,
) -> Waiting | None:
    """The ticket a counter serving `services` calls next, or None when none waits."""
    served = set(services)
    keyed = _keyed((t for t in waiting if t.service in served), head_start, None, lead_s)
    return min(keyed, key=_first)[1] if keyed else None


def head_start_from(
    default_minutes: int | str, overrides: Mapping[str, int | str | None] | None = None
) -> HeadStart:
    """Build a HeadStart from config-like values (minutes, or "strict")."""
    overrides = overrides or {}

    def lead(need: str | None) -> float | None:
        if need is None:
            return 0.0
        value = overrides.get(need)
        value = default_minutes if value is None else value
        return None if value == "strict" else float(value) * 60.0

    return lead


# -- the wait estimate ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenCounter:
    """A counter that is calling: what it serves and when it will be free."""

    id: int
    services: frozenset[str]
    free_in_s: float = 0.0
    """Seconds until its current patron is expected to be done (0 = free now)."""


DEFAULT_SERVICE_S = 300.0
"""Service time assumed for a service with no history yet (5 minutes)."""


def _replay(keyed: list[Keyed], counters: Sequence[OpenCounter],
            service_s: Mapping[str, float], later: Iterable[tuple[float, Keyed]] = (),
            ) -> Iterator[tuple[float, int, Waiting | None]]:
    """The call policy replayed: (when, which counter, the ticket it calls), in the order
    the calls happen; (when, counter, None) when a counter has nothing more to take (it
    is free from then on). One queue per service, each in call order; a counter takes the
    best head among its services: the same result as scanning one sorted list, in
    O(n log n). Counters that free up at the same moment act in id order.

    `later`: (seconds from now, ticket) for tickets not here yet (bookings still to check
    in): each is a candidate only from then on. A counter with nothing here to take waits
    for the first of them in its services instead of finishing. Kept apart from the
    queues, so a replay without them runs exactly as before."""
    queues: dict[str, list[Keyed]] = {}
    for item in keyed:
        queues.setdefault(item[1].service, []).append(item)
    pending: dict[str, list[tuple[Key, float, Waiting]]] = {}
    for release, (key, ticket) in later:
        if release <= 0.0:
            queues.setdefault(ticket.service, []).append((key, ticket))
        else:
            pending.setdefault(ticket.service, []).append((key, release, ticket))
    for items in queues.values():
        items.sort(key=lambda item: item[0])
    for pend in pending.values():
        pend.sort(key=lambda item: item[0])
    heads = dict.fromkeys(queues, 0)
    heap = [(max(0.0, c.free_in_s), c.id, c.services) for c in counters]
    heapq.heapify(heap)
    while heap:
        free_at, counter_id, services = heapq.heappop(heap)
        best: str | None = None
        for service in services:
            index = heads.get(service)
            if index is None or index >= len(queues[service]):
                continue
            if best is None or queues[service][index][0] < queues[best][heads[best]][0]:
                best = service
        if pending:
            came: tuple[str, int] | None = None
            soonest = math.inf
            for service in services:
                for index, (key, release, _ticket) in enumerate(pending.get(service, ())):
                    if release > free_at:
                        soonest = min(soonest, release)
                        continue
                    if (came is None or key < pending[came[0]][came[1]][0]) and (
                            best is None or key < queues[best][heads[best]][0]):
                        came = (service, index)
                    break  # in key order: the first here is its service's best
            if came is not None:
                ticket = pending[came[0]].pop(came[1])[2]
                if not pending[came[0]]:
                    del pending[came[0]]
                yield free_at, counter_id, ticket
                heapq.heappush(heap, (free_at + service_s.get(ticket.service,
                                                              DEFAULT_SERVICE_S),
                                      counter_id, services))
                continue
            if best is None and soonest < math.inf:
                heapq.heappush(heap, (soonest, counter_id, services))  # idle till it comes
                continue
        if best is None:
            yield free_at, counter_id, None
            continue
        ticket = queues[best][heads[best]][1]
        heads[best] += 1
        yield free_at, counter_id, ticket
        heapq.heappush(heap, (free_at + service_s.get(ticket.service, DEFAULT_SERVICE_S),
                              counter_id, services))


def _coming(upcoming: Iterable[Waiting], head_start: HeadStart, below: Key | None,
            lead_s: float, now: float) -> list[tuple[float, Keyed]]:
    """The upcoming bookings (only those before `below`, when given), each with when it is
    assumed to come: its slot's start, in seconds from `now` (at once if that has passed)."""
    return [(item[1].queued_at - now, item)
            for item in _keyed(upcoming, head_start, below, lead_s)]


def estimate_wait_s(
    waiting: Sequence[Waiting],
    new: Waiting,
    counters: Sequence[OpenCounter],
    service_s: Mapping[str, float],
    head_start: HeadStart,
    *,
    upcoming: Sequence[Waiting] = (),
    lead_s: float = 0.0,
    now: float | None = None,
) -> float | None:
    """Seconds until `new` would be called, by replaying the call policy.

    `waiting` is everything waiting now (not `new`); `service_s` is each service's typical
    service time (the store passes recent medians). Returns None when no open counter serves
    `new`'s service: then no honest estimate exists.

    Only tickets the policy puts before `new` can matter: a counter that serves `new`'s
    service always has a head there no later than `new`, so it takes nothing later than
    `new` before `new`; another counter takes a ticket later than `new` only when none
    before `new` is left in its services, so what it is busy with then delays nobody
    before `new` either.

    `upcoming`: the bookings still to come (not checked in, not past their grace), as
    Waiting with slot_at = queued_at = the slot's start and negative ids. Each counts ahead
    of `new` only when its key is before `new`'s (one whose slot comes within `lead_s` of
    now, a priority one within its head start, or an overdue one still within its grace),
    whatever their number later in the day. Each is assumed to come at its slot's start (at
    once if that has passed) and to be a candidate from then on: a counter free before it
    comes takes who is here, as the policy does, so a booking due after `new` would be
    called does not delay it. (Counting them all as here already, the simpler reading,
    made the walk-ins' estimates worse: benchmarks/estimate_bench.py.) Coming a little early or
    late moves the call by about one service time at most; a no-show makes the figure a
    little long, which a patron minds less than a short one. `now` (on queued_at's scale)
    places the slots, so it is needed with them: `new.queued_at` will not do, since an
    appointment's queue time may be its slot's.

    While a booking before `new` is still to come, the argument above no longer leaves the
    later tickets out: a counter busy with one of them when the booking comes is one the
    booking cannot go to, so it may go to `new`'s counter instead. Then everything is
    replayed (the same answer as `everyone`, a property test).
    """
    if upcoming and now is None:
        raise ValueError("estimate_wait_s(): upcoming bookings need `now` to place their slots")
    if not any(new.service in c.services for c in counters):
        return None
    mine = call_key(new, head_start, lead_s=lead_s)
    later = _coming(upcoming, head_start, None, lead_s, now) \
        if upcoming and now is not None else []
    if any(due > 0.0 and key < mine for due, (key, _ticket) in later):
        keyed = [(mine, new), *_keyed(waiting, head_start, None, lead_s)]
    else:
        keyed = [(mine, new), *_keyed(waiting, head_start, mine, lead_s)]
        later = [item for item in later if item[1][0] < mine]
    for free_at, _counter, ticket in _replay(keyed, counters, service_s, later):
        if ticket is new:
            return free_at
    return None  # unreachable: `new` is servable by some counter


def free_after(
    waiting: Sequence[Waiting],
    counters: Sequence[OpenCounter],
    service_s: Mapping[str, float],
    head_start: HeadStart,
    *,
    lead_s: float = 0.0,
) -> dict[int, float]:
    """When each counter is free (seconds from now) once the policy has handed out every
    waiting ticket: the replay of `estimate_wait_s` run to the end. A ticket that comes
    after all of them is then taken by the first counter free (by time, then id) that
    serves its service (`take_last`): what makes the estimate of the next ticket, which is
    nearly always the last one, cost nothing but a look at each counter.

    Upcoming bookings have no place here: a counter waiting for one that is not here yet
    would take the last ticket instead, which this replay without it cannot know. So the
    shortcut holds only when no upcoming booking's key is before the new ticket's; else
    `estimate_wait_s` with `upcoming`."""
    return {counter: free_at
            for free_at, counter, ticket in _replay(_keyed(waiting, head_start, None, lead_s),
                                                    counters, service_s)
            if ticket is None}


def take_last(free: dict[int, float], counters: Sequence[OpenCounter],
              service: str) -> tuple[float, int] | None:
    """(when, which counter) a ticket of `service` behind everyone in `free_after` is
    called; None when no counter serves it."""
    serving = [(free[c.id], c.id) for c in counters if service in c.services and c.id in free]
    return min(serving) if serving else None


def everyone(
    waiting: Sequence[Waiting],
    counters: Sequence[OpenCounter],
    service_s: Mapping[str, float],
    head_start: HeadStart,
    *,
    upcoming: Sequence[Waiting] = (),
    lead_s: float = 0.0,
    now: float | None = None,
) -> dict[int, tuple[int, float | None]]:
    """Each waiting ticket's (people ahead, seconds until its call or None) from one
    replay: what `people_ahead` and `estimate_wait_s` give one ticket at a time, for all
    of them at once (every phone page following the queue). The same answers: with every
    ticket here, a ticket's call time depends only on the tickets the policy puts before it
    (`estimate_wait_s`), and those ahead of it in its own service are the ones before it in
    its queue.

    `upcoming` and `now` as in `estimate_wait_s`: all of them in the one replay, which is
    the whole replay `estimate_wait_s` falls back on while a booking is still to come, so
    the answers stay the same. The people ahead are those waiting now, as the board shows
    them; a booking that checks in ahead of a ticket adds one then."""
    if upcoming and now is None:
        raise ValueError("everyone(): upcoming bookings need `now` to place their slots")
    keyed = _keyed(waiting, head_start, None, lead_s)
    ahead: dict[int, int] = {}
    queues: dict[str, list[Keyed]] = {}
    for item in keyed:
        queues.setdefault(item[1].service, []).append(item)
    for items in queues.values():
        items.sort(key=lambda item: item[0])
        for place, (_key, ticket) in enumerate(items):
            ahead[ticket.id] = place
    later = _coming(upcoming, head_start, None, lead_s, now) \
        if upcoming and now is not None else ()
    called: dict[int, float] = {}
    for free_at, _counter, ticket in _replay(keyed, counters, service_s, later):
        if ticket is not None:
            called[ticket.id] = free_at
    return {t.id: (ahead[t.id], called.get(t.id)) for t in waiting}


def linked_services(service: str, counters: Iterable[Iterable[str]]) -> frozenset[str]:
    """`service` and every service linked to it through counters that serve several (the
    services of its connected part): only their tickets can change when `service`'s next
    ticket is called."""
    groups = [frozenset(c) for c in counters]
    linked = {service}
    grown = True
    while grown:
        grown = False
        for group in groups:
            if group & linked and not group <= linked:
                linked |= group
                grown = True
    return frozenset(linked)


def people_ahead(
    waiting: Sequence[Waiting], new: Waiting, services: Iterable[str], head_start: HeadStart,
    *, lead_s: float = 0.0,
) -> int:
    """Tickets of the same service that the policy would call before `new` (as of now)."""
    served = set(services)
    mine = call_key(new, head_start, lead_s=lead_s)
    return sum(1 for _key, t in _keyed(waiting, head_start, mine, lead_s)
               if t.id != new.id and t.service in served)


def rounded_wait_minutes(seconds: float | None) -> int | None:
    """What the kiosk says: 0 means "less than 5 minutes"; else a multiple of 5 (minutes).

    An estimate is shown rounded, never with false precision."""
    if seconds is None:
        return None
    minutes = seconds / 60.0
    if minutes < 5:
        return 0
    return int(5 * round(minutes / 5))
