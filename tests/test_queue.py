"""The pure call policy and wait estimate, with property tests."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.queue import (
    OpenCounter,
    Waiting,
    call_key,
    choose_next,
    estimate_wait_s,
    everyone,
    free_after,
    head_start_from,
    linked_services,
    order,
    people_ahead,
    rounded_wait_minutes,
    take_last,
)

H = 60 * 60.0  # the default head start, seconds
LEAD = head_start_from(60)
STRICT = head_start_from("strict")
NEEDS = [None, None, None, "lansia", "hamil"]


@st.composite
def arrivals(draw: st.DrawFn, max_size: int = 40) -> list[Waiting]:
    """Tickets with arbitrary arrival times (up to 5 hours apart) and needs."""
    times = draw(st.lists(st.integers(0, 5 * 3600), min_size=1, max_size=max_size))
    needs = draw(st.lists(st.sampled_from(NEEDS), min_size=len(times), max_size=len(times)))
    services = draw(st.lists(st.sampled_from("AB"), min_size=len(times), max_size=len(times)))
    return [Waiting(i + 1, s, n, float(t)) for i, (t, n, s) in
            enumerate(zip(times, needs, services, strict=True))]


def position(seq: list[Waiting]) -> dict[int, int]:
    return {t.id: i for i, t in enumerate(seq)}


@given(arrivals())
def test_fifo_within_a_class(tickets: list[Waiting]):
    pos = position(order(tickets, LEAD))
    for a in tickets:
        for b in tickets:
            if (a.need is None) == (b.need is None) and a.need == b.need and \
                    (a.queued_at, a.id) < (b.queued_at, b.id):
                assert pos[a.id] < pos[b.id]


@given(arrivals())
def test_priority_first_within_the_head_start(tickets: list[Waiting]):
    """No regular ticket is called while a priority ticket that came less than the head start
    after it is waiting."""
    pos = position(order(tickets, LEAD))
    for reg in (t for t in tickets if t.need is None):
        for pri in (t for t in tickets if t.need is not None):
            if pri.queued_at - reg.queued_at < H:
                assert pos[pri.id] < pos[reg.id]


@given(arrivals())
def test_nobody_is_passed_by_one_who_came_more_than_the_head_start_later(tickets):
    pos = position(order(tickets, LEAD))
    for a in tickets:
        for b in tickets:
            if b.queued_at - a.queued_at > H:
                assert pos[a.id] < pos[b.id]


@given(arrivals())
def test_strict_mode_puts_every_priority_ticket_first(tickets: list[Waiting]):
    seq = order(tickets, STRICT)
    classes = [t.need is not None for t in seq]
    assert classes == sorted(classes, reverse=True)
    pri = [t for t in seq if t.need is not None]
    assert [(t.queued_at, t.id) for t in pri] == sorted((t.queued_at, t.id) for t in pri)


@given(arrivals(), st.permutations(range(40)))
def test_order_is_deterministic_whatever_the_input_order(tickets, perm):
    shuffled = [tickets[i] for i in perm if i < len(tickets)]
    assert order(shuffled, LEAD) == order(tickets, LEAD)


def test_ties_go_to_the_lower_id():
    a, b = Waiting(7, "A", None, 100.0), Waiting(3, "A", None, 100.0)
    assert choose_next([a, b], ["A"], LEAD) == b
    # equal virtual arrival: earlier real time first
    p = Waiting(9, "A", "lansia", H + 100.0)
    r = Waiting(10, "A", None, 100.0)
    assert call_key(p, LEAD)[0] == call_key(r, LEAD)[0]
    assert choose_next([p, r], ["A"], LEAD) == r


def test_choose_next_only_takes_the_counters_services():
    tickets = [Waiting(1, "C", "lansia", 0.0), Waiting(2, "A", None, 50.0)]
    assert choose_next(tickets, ["A", "B"], LEAD) == tickets[1]
    assert choose_next(tickets, ["D"], LEAD) is None
    assert choose_next([], ["A"], LEAD) is None


def test_per_need_override():
    lead = head_start_from(60, {"hamil": 10, "lansia": "strict"})
    reg = Waiting(1, "A", None, 0.0)
    assert choose_next([reg, Waiting(2, "A", "hamil", 11 * 60.0)], ["A"], lead).id == 1
    assert choose_next([reg, Waiting(2, "A", "hamil", 9 * 60.0)], ["A"], lead).id == 2
    assert choose_next([reg, Waiting(2, "A", "lansia", 9 * 3600.0)], ["A"], lead).id == 2


# -- the estimate ---------------------------------------------------------------------------

COUNTERS = [OpenCounter(1, frozenset("AB")), OpenCounter(2, frozenset("B"))]
TIMES = {"A": 300.0, "B": 120.0}


def test_estimate_by_hand():
    # counter 1 serves A and B, counter 2 only B; three A tickets ahead.
    waiting = [Waiting(i, "A", None, float(i)) for i in range(1, 4)]
    new = Waiting(10, "A", None, 10.0)
    # counter 1 takes A1 (0-300), A2 (300-600), A3 (600-900), then the new one at 900.
    assert estimate_wait_s(waiting, new, COUNTERS, TIMES, LEAD) == 900.0
    # a B ticket for the new patron goes to counter 2 at once
    assert estimate_wait_s(waiting, Waiting(11, "B", None, 10.0), COUNTERS, TIMES, LEAD) == 0.0
    # no open counter serves C: no honest estimate
    assert estimate_wait_s(waiting, Waiting(12, "C", None, 10.0), COUNTERS, TIMES, LEAD) is None
    # a busy counter frees up later
    busy = [OpenCounter(1, frozenset("AB"), free_in_s=200.0)]
    assert estimate_wait_s([], Waiting(13, "A", None, 0.0), busy, TIMES, LEAD) == 200.0
    # a priority patron goes ahead of the three
    assert estimate_wait_s(waiting, Waiting(14, "A", "lansia", 10.0), COUNTERS, TIMES, LEAD) == 0.0


@settings(max_examples=150)
@given(arrivals(max_size=30), st.sampled_from("AB"), st.sampled_from([None, "lansia"]))
def test_estimate_monotone_in_people_ahead_and_never_negative(tickets, service, need):
    new_time = max(t.queued_at for t in tickets) + 1
    new = Waiting(999, service, need, new_time)
    previous = -1.0
    # add the waiting tickets one at a time: more people ahead never shortens the wait
    for n in range(len(tickets) + 1):
        wait = estimate_wait_s(tickets[:n], new, COUNTERS, TIMES, LEAD)
        assert wait is not None and wait >= 0 and math.isfinite(wait)
        assert wait >= previous
        previous = wait


@given(arrivals(max_size=30))
def test_people_ahead_counts_who_the_policy_calls_first(tickets):
    new = Waiting(999, "A", None, max(t.queued_at for t in tickets) + 1)
    ahead = people_ahead(tickets, new, ["A"], LEAD)
    assert ahead == sum(1 for t in tickets if t.service == "A")  # a regular latecomer is last


def test_rounding_is_honest():
    assert rounded_wait_minutes(None) is None
    assert rounded_wait_minutes(0) == 0
    assert rounded_wait_minutes(4 * 60 + 59) == 0
    assert rounded_wait_minutes(6 * 60) == 5
    assert rounded_wait_minutes(13 * 60) == 15
    assert rounded_wait_minutes(62 * 60) == 60


def replay_everything(waiting, new, counters, service_s, head_start) -> float | None:
    """The estimate the slow, obvious way: every counter, when free, takes the best ticket
    of all its services among *all* waiting tickets, until `new` is taken."""
    if not any(new.service in c.services for c in counters):
        return None
    left = sorted([*waiting, new], key=lambda t: call_key(t, head_start))
    free = sorted((max(0.0, c.free_in_s), c.id, c.services) for c in counters)
    while free:
        at, cid, services = free.pop(0)
        pick = next((t for t in left if t.service in services), None)
        if pick is None:
            continue
        left.remove(pick)
        if pick.id == new.id:
            return at
        free.append((at + service_s.get(pick.service, 300.0), cid, services))
        free.sort()
    return None


MIXED = [OpenCounter(1, frozenset("AB")), OpenCounter(2, frozenset("B"), free_in_s=90.0),
         OpenCounter(3, frozenset("CB")), OpenCounter(4, frozenset("D"))]


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 5 * 3600), st.sampled_from(NEEDS),
                          st.sampled_from("ABCD")), max_size=40))
def test_everyones_place_from_one_replay_is_each_ones_own(rows):
    """queue.everyone (every phone page at once) gives each waiting ticket exactly what
    people_ahead and estimate_wait_s give it alone, on counters that share services, one
    busy, one whose service nobody waits for, and a service (E) no counter serves."""
    waiting = [Waiting(i + 1, s, n, float(t)) for i, (t, n, s) in enumerate(rows)]
    waiting += [Waiting(100, "E", None, 5.0)]
    places = everyone(waiting, MIXED, TIMES, LEAD)
    assert set(places) == {w.id for w in waiting}
    for me in waiting:
        others = [w for w in waiting if w.id != me.id]
        assert places[me.id] == (people_ahead(others, me, [me.service], LEAD),
                                 estimate_wait_s(others, me, MIXED, TIMES, LEAD))
    assert places[100][1] is None


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 5 * 3600), st.sampled_from(NEEDS),
                          st.sampled_from("ABCD")), max_size=40),
       st.sampled_from("ABCD"), st.sampled_from(NEEDS), st.integers(0, 5 * 3600))
def test_the_estimate_equals_the_obvious_replay(rows, service, need, at):
    """The estimate leaves out tickets the policy puts after the new one and reads only
    the linked services' tickets (issue 18: it runs for every ticket issued): the same
    answer as replaying everything."""
    waiting = [Waiting(i + 1, s, n, float(t)) for i, (t, n, s) in enumerate(rows)]
    new = Waiting(999, service, need, float(at))
    times = {"A": 240.0, "B": 300.0, "C": 420.0, "D": 180.0}
    expected = replay_everything(waiting, new, MIXED, times, LEAD)
    assert estimate_wait_s(waiting, new, MIXED, times, LEAD) == expected
    linked = linked_services(service, [c.services for c in MIXED])
    only = [w for w in waiting if w.service in linked]
    assert estimate_wait_s(only, new, MIXED, times, LEAD) == expected


def test_linked_services_follow_the_counters_that_serve_several():
    counters = [{"A", "B"}, {"B", "A"}, {"C", "E"}, {"D", "E"}, {"F"}]
    assert linked_services("A", counters) == {"A", "B"}
    assert linked_services("C", counters) == {"C", "D", "E"}
    assert linked_services("F", counters) == {"F"}
    assert linked_services("Z", counters) == {"Z"}


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 5 * 3600), st.sampled_from(NEEDS),
                          st.sampled_from("ABCD")), max_size=40),
       st.lists(st.sampled_from("ABCD"), min_size=1, max_size=6))
def test_a_ticket_behind_everyone_is_estimated_from_the_counters_free_times(rows, newcomers):
    """Issue 19: the estimate of tickets that come after everyone waiting (nearly every
    ticket a kiosk issues) continues one replay instead of replaying the queue again: the
    same answer as `estimate_wait_s`, ticket after ticket."""
    waiting = [Waiting(i + 1, s, n, float(t)) for i, (t, n, s) in enumerate(rows)]
    times = {"A": 240.0, "B": 300.0, "C": 420.0, "D": 180.0}
    free = free_after(waiting, MIXED, times, LEAD)
    now = 6 * 3600.0
    for n, service in enumerate(newcomers):
        new = Waiting(1000 + n, service, None, now)
        taken = take_last(free, MIXED, service)
        assert taken is not None
        assert taken[0] == estimate_wait_s(waiting, new, MIXED, times, LEAD)
        free[taken[1]] += times[service]
        waiting.append(new)
