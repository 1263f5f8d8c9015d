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
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

#: A need's head start in seconds; None = strict (unbounded).
HeadStart = Callable[[str | None], float | None]


@dataclass(frozen=True, slots=True)
class Waiting:
    """What the policy needs to know about one waiting ticket."""

    id: int
    service: str
    need: str | None
    queued_at: float
    """Seconds on any monotone scale (the store uses Unix time)."""


def virtual_arrival(ticket: Waiting, head_start: HeadStart) -> float:
    lead = head_start(ticket.need)
    return -math.inf if lead is None else ticket.queued_at - lead


def call_key(ticket: Waiting, head_start: HeadStart) -> tuple[float, float, int]:
    """The one sort key of the call policy: earlier key = called sooner."""
    return (virtual_arrival(ticket, head_start), ticket.queued_at, ticket.id)


def order(tickets: Iterable[Waiting], head_start: HeadStart) -> list[Waiting]:
    """All tickets in the order the policy would call them (one counter serving all)."""
    return sorted(tickets, key=lambda t: call_key(t, head_start))


def choose_next(
    waiting: Iterable[Waiting], services: Iterable[str], head_start: HeadStart
) -> Waiting | None:
    """The ticket a counter serving `services` calls next, or None when none waits."""
    served = set(services)
    candidates = [t for t in waiting if t.service in served]
    if not candidates:
        return None
    return min(candidates, key=lambda t: call_key(t, head_start))


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


Keyed = tuple[tuple[float, float, int], Waiting]


def _keyed(waiting: Iterable[Waiting], head_start: HeadStart,
           below: tuple[float, float, int] | None = None) -> list[Keyed]:
    """(call key, ticket) for each ticket (only those before `below`, when given); the head
    starts are looked up once per need, not once per ticket: this runs for every ticket
    issued, over every waiting ticket."""
    leads: dict[str | None, float | None] = {}
    out: list[Keyed] = []
    for ticket in waiting:
        need = ticket.need
        if need in leads:
            lead = leads[need]
        else:
            lead = leads[need] = head_start(need)
        key = (-math.inf if lead is None else ticket.queued_at - lead, ticket.queued_at,
               ticket.id)
        if below is None or key < below:
            out.append((key, ticket))
    return out


def _replay(keyed: list[Keyed], counters: Sequence[OpenCounter],
            service_s: Mapping[str, float]) -> Iterator[tuple[float, int, Waiting | None]]:
    """The call policy replayed: (when, which counter, the ticket it calls), in the order
    the calls happen; (when, counter, None) when a counter has nothing more to take (it
    is free from then on). One queue per service, each in call order; a counter takes the
    best head among its services: the same result as scanning one sorted list, in
    O(n log n). Counters that free up at the same moment act in id order."""
    queues: dict[str, list[Keyed]] = {}
    for item in keyed:
        queues.setdefault(item[1].service, []).append(item)
    for items in queues.values():
        items.sort(key=lambda item: item[0])
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
        if best is None:
            yield free_at, counter_id, None
            continue
        ticket = queues[best][heads[best]][1]
        heads[best] += 1
        yield free_at, counter_id, ticket
        heapq.heappush(heap, (free_at + service_s.get(ticket.service, DEFAULT_SERVICE_S),
                              counter_id, services))


def estimate_wait_s(
    waiting: Sequence[Waiting],
    new: Waiting,
    counters: Sequence[OpenCounter],
    service_s: Mapping[str, float],
    head_start: HeadStart,
) -> float | None:
    """Seconds until `new` would be called, by replaying the call policy.

    `waiting` is everything waiting now (not `new`); `service_s` is each service's typical
    service time (the store passes recent medians). Returns None when no open counter serves
    `new`'s service: then no honest estimate exists.

    Only tickets the policy puts before `new` can matter: a counter that serves `new`'s
    service always has a head there no later than `new`, so it takes nothing later than
    `new` before `new`; what other counters take later than `new` leaves it alone.
    """
    if not any(new.service in c.services for c in counters):
        return None
    mine = call_key(new, head_start)
    for free_at, _counter, ticket in _replay([(mine, new), *_keyed(waiting, head_start, mine)],
                                             counters, service_s):
        if ticket is new:
            return free_at
    return None  # unreachable: `new` is servable by some counter


def free_after(
    waiting: Sequence[Waiting],
    counters: Sequence[OpenCounter],
    service_s: Mapping[str, float],
    head_start: HeadStart,
) -> dict[int, float]:
    """When each counter is free (seconds from now) once the policy has handed out every
    waiting ticket: the replay of `estimate_wait_s` run to the end. A ticket that comes
    after all of them is then taken by the first counter free (by time, then id) that
    serves its service (`take_last`): what makes the estimate of the next ticket, which is
    nearly always the last one, cost nothing but a look at each counter."""
    return {counter: free_at
            for free_at, counter, ticket in _replay(_keyed(waiting, head_start), counters,
                                                    service_s)
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
) -> dict[int, tuple[int, float | None]]:
    """Each waiting ticket's (people ahead, seconds until its call or None) from one
    replay: what `people_ahead` and `estimate_wait_s` give one ticket at a time, for all
    of them at once (every phone page following the queue). The same answers: a ticket's
    call time depends only on the tickets the policy puts before it (`estimate_wait_s`),
    and those ahead of it in its own service are the ones before it in its queue."""
    keyed = _keyed(waiting, head_start)
    ahead: dict[int, int] = {}
    queues: dict[str, list[Keyed]] = {}
    for item in keyed:
        queues.setdefault(item[1].service, []).append(item)
    for items in queues.values():
        items.sort(key=lambda item: item[0])
        for place, (_key, ticket) in enumerate(items):
            ahead[ticket.id] = place
    called: dict[int, float] = {}
    for free_at, _counter, ticket in _replay(keyed, counters, service_s):
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
    waiting: Sequence[Waiting], new: Waiting, services: Iterable[str], head_start: HeadStart
) -> int:
    """Tickets of the same service that the policy would call before `new` (as of now)."""
    served = set(services)
    key = call_key(new, head_start)
    return sum(
        1
        for t in waiting
        if t.id != new.id and t.service in served and call_key(t, head_start) < key
    )


def rounded_wait_minutes(seconds: float | None) -> int | None:
    """What the kiosk says: 0 means "less than 5 minutes"; else a multiple of 5 (minutes).

    An estimate is shown rounded, never with false precision."""
    if seconds is None:
        return None
    minutes = seconds / 60.0
    if minutes < 5:
        return 0
    return int(5 * round(minutes / 5))
