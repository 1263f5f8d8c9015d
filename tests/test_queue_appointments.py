"""Appointments and walk-ins on one call key (issue 26, design §14), with property tests.

An appointment checked in within its grace carries its slot's start (`Waiting.slot_at`) and
is ordered as if it came then, less its need's head start and the appointment lead
(`lead_s`); a walk-in is ordered as before. The bookings still to come (`upcoming`) count in
the wait estimate from their slot's start, when their key is before the ticket's.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.queue import (
    HeadStart,
    OpenCounter,
    Waiting,
    call_key,
    choose_next,
    estimate_wait_s,
    everyone,
    free_after,
    head_start_from,
    order,
    people_ahead,
    virtual_arrival,
)

H = 60 * 60.0
LEAD = head_start_from(60)
MIXED_NEEDS = head_start_from(60, {"hamil": 10, "lansia": "strict"})
NEEDS = [None, None, None, "lansia", "hamil"]
EARLY, LATE = 10 * 60.0, 15 * 60.0
"""The check-in grace around a slot's start (the booking store's defaults)."""
SLOT = 15 * 60.0
LEADS = [0.0, 600.0, 3600.0]
"""Appointment leads tried: none, 10 minutes, an hour."""

COUNTERS = [OpenCounter(1, frozenset("AB")), OpenCounter(2, frozenset("B"), free_in_s=90.0),
            OpenCounter(3, frozenset("CB")), OpenCounter(4, frozenset("D"))]
TIMES = {"A": 240.0, "B": 300.0, "C": 420.0, "D": 180.0}


# -- strategies ----------------------------------------------------------------------------


@st.composite
def walk_ins(draw: st.DrawFn, max_size: int = 40, services: str = "ABCD") -> list[Waiting]:
    rows = draw(st.lists(st.tuples(st.integers(0, 5 * 3600), st.sampled_from(NEEDS),
                                   st.sampled_from(services)), max_size=max_size))
    return [Waiting(i + 1, s, n, float(t)) for i, (t, n, s) in enumerate(rows)]


@st.composite
def mixed(draw: st.DrawFn, max_size: int = 40, services: str = "AB") -> list[Waiting]:
    """Walk-ins and appointments checked in within the grace (a slot on a 15-minute grid,
    checked in from EARLY before its start to LATE after it)."""
    out: list[Waiting] = []
    for i in range(draw(st.integers(0, max_size))):
        service = draw(st.sampled_from(services))
        need = draw(st.sampled_from(NEEDS))
        if draw(st.booleans()):
            slot = SLOT * draw(st.integers(0, 20))
            at = slot + draw(st.integers(-int(EARLY), int(LATE)))
            out.append(Waiting(i + 1, service, need, float(at), slot))
        else:
            out.append(Waiting(i + 1, service, need, float(draw(st.integers(0, 5 * 3600)))))
    return out


@st.composite
def bookings(draw: st.DrawFn, max_size: int = 12, services: str = "ABCD") -> list[Waiting]:
    """Bookings not checked in yet: slot_at = queued_at = the slot's start, negative ids."""
    rows = draw(st.lists(st.tuples(st.integers(0, 24), st.sampled_from(NEEDS),
                                   st.sampled_from(services)), max_size=max_size))
    return [Waiting(-(i + 1), s, n, SLOT * k, SLOT * k) for i, (k, n, s) in enumerate(rows)]


# -- references: the rule as it was, and the slow, obvious replay -----------------------------


def walk_in_key(ticket: Waiting, head_start: HeadStart) -> tuple[float, float, int]:
    """The call key before appointments (design §4), kept here to hold the new one to it."""
    lead = head_start(ticket.need)
    return (-math.inf if lead is None else ticket.queued_at - lead, ticket.queued_at, ticket.id)


def obvious_replay(
    here: Iterable[Waiting], later: Iterable[tuple[float, Waiting]],
    counters: Sequence[OpenCounter], service_s: Mapping[str, float],
    key: Callable[[Waiting], tuple[float, float, int]],
) -> tuple[dict[int, float], dict[int, float]]:
    """Every counter, when free, takes the best ticket (by `key`) of its services among all
    those here by then; with none here but some to come, it waits for the first; else it is
    done. `later`: (seconds from now, ticket). Returns (each ticket's call, each counter's
    time when done)."""
    left = [(0.0, t) for t in here] + [(max(0.0, r), t) for r, t in later]
    free = sorted((max(0.0, c.free_in_s), c.id, c.services) for c in counters)
    calls: dict[int, float] = {}
    done: dict[int, float] = {}
    while free:
        at, cid, services = free.pop(0)
        mine = [(r, t) for r, t in left if t.service in services]
        present = [t for r, t in mine if r <= at]
        if present:
            pick = min(present, key=key)
            left = [(r, t) for r, t in left if t is not pick]
            calls[pick.id] = at
            free.append((at + service_s.get(pick.service, 300.0), cid, services))
        elif mine:
            free.append((min(r for r, _ in mine), cid, services))
        else:
            done[cid] = at
        free.sort()
    return calls, done


# -- (a) with no appointments, exactly today's rule -------------------------------------------


@settings(max_examples=150)
@given(walk_ins(), st.sampled_from(LEADS), st.sampled_from([LEAD, MIXED_NEEDS]))
def test_without_appointments_the_order_is_exactly_the_walk_in_order(tickets, lead_s, lead):
    """The lead and the slot field change nothing for walk-ins: the same keys, the same
    order, the same counter's choice and the same people ahead, for any input."""
    for t in tickets:
        assert call_key(t, lead, lead_s=lead_s) == walk_in_key(t, lead)
        assert virtual_arrival(t, lead, lead_s=lead_s) == walk_in_key(t, lead)[0]
    assert order(tickets, lead, lead_s=lead_s) == sorted(tickets,
                                                         key=lambda t: walk_in_key(t, lead))
    for services in (["A"], ["A", "B"], ["C", "D"]):
        mine = [t for t in tickets if t.service in services]
        expected = min(mine, key=lambda t: walk_in_key(t, lead)) if mine else None
        assert choose_next(tickets, services, lead, lead_s=lead_s) == expected
    new = Waiting(999, "A", None, 3 * 3600.0)
    assert people_ahead(tickets, new, ["A"], lead, lead_s=lead_s) == sum(
        1 for t in tickets if t.service == "A" and walk_in_key(t, lead) < walk_in_key(new, lead))


@settings(max_examples=150)
@given(walk_ins(), st.sampled_from("ABCD"), st.sampled_from(NEEDS), st.integers(0, 5 * 3600),
       st.sampled_from(LEADS))
def test_without_appointments_every_estimate_is_exactly_todays(tickets, service, need, at,
                                                               lead_s):
    new = Waiting(999, service, need, float(at))

    def old(t: Waiting) -> tuple[float, float, int]:
        return walk_in_key(t, LEAD)

    calls, done = obvious_replay([*tickets, new], [], COUNTERS, TIMES, old)
    assert estimate_wait_s(tickets, new, COUNTERS, TIMES, LEAD, lead_s=lead_s,
                           upcoming=()) == calls.get(new.id)
    all_calls, all_done = obvious_replay(tickets, [], COUNTERS, TIMES, old)
    assert free_after(tickets, COUNTERS, TIMES, LEAD, lead_s=lead_s) == all_done
    places = everyone(tickets, COUNTERS, TIMES, LEAD, lead_s=lead_s)
    for t in tickets:
        ahead = sum(1 for o in tickets if o.service == t.service and old(o) < old(t))
        assert places[t.id] == (ahead, all_calls.get(t.id))


# -- (b) an appointment on time is called within a bound of its slot -------------------------

S_MAX = 600.0
"""The longest a counter spends on one ticket in the simulations below."""


def simulate(tickets: list[Waiting], counters: Sequence[OpenCounter],
             service_of: Mapping[int, float], head_start: HeadStart,
             lead_s: float) -> dict[int, tuple[float, int]]:
    """The day as it happens: each counter, free, calls the policy's choice
    (`choose_next`) among the tickets already queued; with none, it waits for the next
    ticket of its services. Returns each ticket's (call time, counter)."""
    arrivals = sorted(tickets, key=lambda t: (t.queued_at, t.id))
    free = [(0.0, c.id, c.services) for c in counters]
    heapq.heapify(free)
    waiting: list[Waiting] = []
    came = 0
    calls: dict[int, tuple[float, int]] = {}
    while free:
        at, cid, services = heapq.heappop(free)
        while came < len(arrivals) and arrivals[came].queued_at <= at:
            waiting.append(arrivals[came])
            came += 1
        pick = choose_next(waiting, services, head_start, lead_s=lead_s)
        if pick is None:
            upcoming = [t.queued_at for t in arrivals[came:] if t.service in services]
            if upcoming:
                heapq.heappush(free, (upcoming[0], cid, services))
            continue
        waiting.remove(pick)
        calls[pick.id] = (at, cid)
        heapq.heappush(free, (at + service_of[pick.id], cid, services))
    return calls


@settings(max_examples=200)
@given(mixed(max_size=35), st.integers(1, 3), st.sampled_from(LEADS), st.data())
def test_an_appointment_on_time_is_called_within_a_bound_of_its_slot(tickets, k, lead_s,
                                                                     data):
    """k counters serve A and B, one more serves only B; each ticket takes 30 s to S_MAX.

    The bound: an appointment that checked in at q (within its grace, so q <= slot + LATE)
    is called by q + (floor(N / k_s) + 1) * S_MAX, so at most LATE + (floor(N / k_s) + 1)
    * S_MAX after its slot's start, where k_s is the number of open counters serving its
    service and N the number of tickets of their services with a key before its own that
    were not yet called when it checked in (those waiting then, and those coming later
    with an earlier key: a walk-in before slot - lead_s + its head start, an earlier slot).
    Why: from q until its call, each of those counters is busy without a break (a free one
    would call it), first finishing the ticket it had (at most S_MAX), then only tickets
    with an earlier key (the policy); one of them took at most floor(N / k_s) of those."""
    counters = [OpenCounter(i + 1, frozenset("AB")) for i in range(k)]
    counters.append(OpenCounter(k + 1, frozenset("B")))
    service_of = {t.id: float(data.draw(st.integers(30, int(S_MAX)))) for t in tickets}
    calls = simulate(tickets, counters, service_of, LEAD, lead_s)
    assert set(calls) == {t.id for t in tickets}  # open counters call everyone
    for appt in (t for t in tickets if t.slot_at is not None):
        mine = call_key(appt, LEAD, lead_s=lead_s)
        serving = [c for c in counters if appt.service in c.services]
        services = frozenset().union(*(c.services for c in serving))
        ahead = [t for t in tickets if t.id != appt.id and t.service in services
                 and call_key(t, LEAD, lead_s=lead_s) < mine and calls[t.id][0] >= appt.queued_at]
        called, _counter = calls[appt.id]
        bound = (len(ahead) // len(serving) + 1) * S_MAX
        assert called <= appt.queued_at + bound
        assert called - appt.slot_at <= LATE + bound
        # ...and meanwhile its counters took only tickets with an earlier key
        ids = {c.id for c in serving}
        for t in tickets:
            at, by = calls[t.id]
            if by in ids and appt.queued_at <= at < called:
                assert call_key(t, LEAD, lead_s=lead_s) < mine


# -- (c) the overtaking bound holds for everyone --------------------------------------------


@settings(max_examples=200)
@given(mixed(), st.sampled_from(LEADS))
def test_no_walk_in_is_passed_by_an_appointment_that_came_more_than_the_bound_later(
        tickets, lead_s):
    """An appointment goes ahead of a walk-in only if it checked in less than LATE + lead_s
    + its need's head start after the walk-in came (the walk-in's own head start only
    helps it): the bound of design §4, with the grace and the lead added."""
    pos = {t.id: i for i, t in enumerate(order(tickets, LEAD, lead_s=lead_s))}
    for appt in (t for t in tickets if t.slot_at is not None):
        head = LEAD(appt.need)
        assert head is not None
        for walk in (t for t in tickets if t.slot_at is None):
            if appt.queued_at - walk.queued_at > LATE + lead_s + head:
                assert pos[walk.id] < pos[appt.id]


@settings(max_examples=200)
@given(mixed(), st.sampled_from(LEADS))
def test_an_appointment_goes_ahead_of_whoever_came_after_its_slot_less_the_lead(tickets,
                                                                              lead_s):
    """What booking buys: a regular appointment goes before every regular walk-in who came
    after its slot's start less the lead, whenever it checked in within the grace."""
    pos = {t.id: i for i, t in enumerate(order(tickets, LEAD, lead_s=lead_s))}
    for appt in (t for t in tickets if t.slot_at is not None and t.need is None):
        for walk in (t for t in tickets if t.slot_at is None and t.need is None):
            if walk.queued_at > appt.slot_at - lead_s:
                assert pos[appt.id] < pos[walk.id]


# -- (d) first come, first served within each kind -----------------------------------------


@settings(max_examples=200)
@given(mixed(), st.sampled_from(LEADS))
def test_fifo_by_slot_among_appointments_and_by_arrival_among_walk_ins(tickets, lead_s):
    pos = {t.id: i for i, t in enumerate(order(tickets, LEAD, lead_s=lead_s))}
    for a in tickets:
        for b in tickets:
            if a.need != b.need or (a.slot_at is None) != (b.slot_at is None):
                continue
            if a.slot_at is not None and b.slot_at is not None:
                if (a.slot_at, a.queued_at, a.id) < (b.slot_at, b.queued_at, b.id):
                    assert pos[a.id] < pos[b.id]
            elif (a.queued_at, a.id) < (b.queued_at, b.id):
                assert pos[a.id] < pos[b.id]


def test_the_key_of_an_appointment_by_hand():
    appt = Waiting(5, "A", None, 1000.0, 900.0)  # 100 s late, within the grace
    assert call_key(appt, LEAD) == (900.0, 1000.0, 5)
    assert call_key(appt, LEAD, lead_s=600.0) == (300.0, 1000.0, 5)
    priority = Waiting(6, "A", "lansia", 800.0, 900.0)  # 100 s early
    assert call_key(priority, LEAD, lead_s=600.0) == (300.0 - H, 800.0, 6)
    assert virtual_arrival(priority, LEAD) == 900.0 - H
    strict = Waiting(7, "A", "lansia", 800.0, 900.0)
    assert call_key(strict, MIXED_NEEDS)[0] == -math.inf
    # a walk-in who came at the slot's start goes first: the earlier real time breaks the tie
    walk = Waiting(8, "A", None, 900.0)
    assert choose_next([appt, walk], ["A"], LEAD) == walk
    # one who came after it goes after it, whatever the appointment's own check-in time
    later = Waiting(9, "A", None, 950.0)
    assert order([later, appt], LEAD) == [appt, later]
    assert people_ahead([appt], later, ["A"], LEAD) == 1


# -- the estimate and the bookings still to come ---------------------------------------------


@settings(max_examples=200)
@given(mixed(max_size=30, services="ABCD"), bookings(), st.sampled_from("ABCD"),
       st.sampled_from(NEEDS), st.integers(0, 6 * 3600), st.sampled_from(LEADS))
def test_the_estimate_with_upcoming_bookings_equals_the_obvious_replay(
        waiting, upcoming, service, need, now, lead_s):
    """Each booking to come is a candidate from its slot's start on (at once if overdue):
    the estimate leaves out what cannot change the new ticket's call, which must change
    nothing against replaying all of it. Bookings whose key is after the new ticket's
    alone never delay it."""
    new = Waiting(999, service, need, float(now))

    def key(t: Waiting) -> tuple[float, float, int]:
        return call_key(t, LEAD, lead_s=lead_s)

    later = [(u.queued_at - now, u) for u in upcoming]
    calls, _ = obvious_replay([*waiting, new], later, COUNTERS, TIMES, key)
    got = estimate_wait_s(waiting, new, COUNTERS, TIMES, LEAD, upcoming=upcoming,
                          lead_s=lead_s, now=float(now))
    assert got == calls.get(new.id)
    after = [u for u in upcoming if key(u) > key(new)]
    assert estimate_wait_s(waiting, new, COUNTERS, TIMES, LEAD, upcoming=after,
                           lead_s=lead_s, now=float(now)) == estimate_wait_s(
        waiting, new, COUNTERS, TIMES, LEAD, lead_s=lead_s)


@settings(max_examples=150)
@given(mixed(max_size=30, services="ABCD"), bookings(), st.integers(0, 6 * 3600),
       st.sampled_from(LEADS))
def test_everyones_place_with_upcoming_bookings_is_each_ones_own(waiting, upcoming, now,
                                                                 lead_s):
    places = everyone(waiting, COUNTERS, TIMES, LEAD, upcoming=upcoming, lead_s=lead_s,
                      now=float(now))
    assert set(places) == {w.id for w in waiting}
    for me in waiting:
        others = [w for w in waiting if w.id != me.id]
        assert places[me.id] == (
            people_ahead(others, me, [me.service], LEAD, lead_s=lead_s),
            estimate_wait_s(others, me, COUNTERS, TIMES, LEAD, upcoming=upcoming,
                            lead_s=lead_s, now=float(now)))


def test_upcoming_bookings_by_hand():
    """One counter, five minutes a patron; a walk-in comes at 1000."""
    one = [OpenCounter(1, frozenset("A"))]
    busy = [OpenCounter(1, frozenset("A"), free_in_s=200.0)]
    times = {"A": 300.0}
    new = Waiting(1, "A", None, 1000.0)
    soon = Waiting(-1, "A", None, 1100.0, 1100.0)  # its slot starts 100 s from now
    # no lead: a booking due later has a later key and never delays the walk-in
    assert estimate_wait_s([], new, busy, times, LEAD, upcoming=[soon], now=1000.0) == 200.0
    # with a 10-minute lead it goes first if it is here when the counter is free...
    assert estimate_wait_s([], new, busy, times, LEAD, upcoming=[soon], lead_s=600.0,
                           now=1000.0) == 500.0
    # ...but a counter free before it comes calls the walk-in who is here
    assert estimate_wait_s([], new, one, times, LEAD, upcoming=[soon], lead_s=600.0,
                           now=1000.0) == 0.0
    # an overdue booking still within its grace is counted as coming at once
    overdue = Waiting(-2, "A", None, 900.0, 900.0)
    assert estimate_wait_s([], new, one, times, LEAD, upcoming=[overdue], now=1000.0) == 300.0
    # a priority booking within its head start too, when it has come
    priority = Waiting(-3, "A", "hamil", 2800.0, 2800.0)
    assert estimate_wait_s([], new, busy, times, LEAD, upcoming=[priority], now=1000.0) == 200.0
    late_counter = [OpenCounter(1, frozenset("A"), free_in_s=2000.0)]
    assert estimate_wait_s([], new, late_counter, times, LEAD, upcoming=[priority],
                           now=1000.0) == 2300.0
    # the phone pages' replay says the same, and needs to know when now is
    waiting = [new]
    assert everyone(waiting, busy, times, LEAD, upcoming=[soon], lead_s=600.0,
                    now=1000.0) == {1: (0, 500.0)}
    with pytest.raises(ValueError):
        everyone(waiting, busy, times, LEAD, upcoming=[soon])
    with pytest.raises(ValueError):
        estimate_wait_s([], new, busy, times, LEAD, upcoming=[soon])


def test_a_booking_still_to_come_makes_the_later_tickets_count():
    """Found by the property test above: with a booking before the new ticket still to
    come, a ticket after the new one can delay it, by keeping the one counter the booking
    could have gone to busy. Counter 1 serves A and B, counter 2 only B, 5 minutes each."""
    counters = [OpenCounter(1, frozenset("AB")), OpenCounter(2, frozenset("B"))]
    times = {"A": 300.0, "B": 300.0}
    early = Waiting(2, "A", "lansia", 500.0)       # before the new ticket
    later = Waiting(3, "B", None, 900.0)           # after it (a regular one)
    new = Waiting(10, "A", "hamil", 1000.0)        # priority: key 1000 - 3600
    booking = Waiting(-1, "B", "lansia", 1100.0, 1100.0)  # due in 100 s, key 1100 - 600 - 3600
    # counter 1 takes `early`, counter 2 `later`, both until 300; the booking, here from
    # 100, then goes to counter 1 (before the new ticket), which calls the new one at 600.
    # Left out, `later` would have let counter 2 wait for the booking: 300.
    assert estimate_wait_s([early, later], new, counters, times, LEAD, upcoming=[booking],
                           lead_s=600.0, now=1000.0) == 600.0
    assert estimate_wait_s([early], new, counters, times, LEAD, upcoming=[booking],
                           lead_s=600.0, now=1000.0) == 300.0
