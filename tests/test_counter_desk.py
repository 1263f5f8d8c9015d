"""The counter desk tells the truth (issue 17), on the store's verbs with a manual clock:
one console per counter, no verb on a ticket a console never saw, consoles that go away,
no-shows that wait a minute and can come back, and an honest wait when counters are closed.
The consoles themselves (Textual) are in test_staff_desk.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from kiosk import views
from kiosk.clock import ManualClock, iso
from kiosk.exceptions import ConsoleGone, CounterTaken, NotAllowed, TicketMoved
from kiosk.reports import report
from kiosk.store import UNATTENDED_S, Store, new_session

from .conftest import local, write_config

BUDI, SITI, PIN = "Budi", "Siti", "2468"


@pytest.fixture
def desk(store: Store) -> Store:
    store.staff_add(BUDI, "staff", PIN)
    store.staff_add(SITI, "staff", PIN)
    return store


def kinds(store: Store, *wanted: str) -> list[tuple[str, str | None, dict]]:
    marks = ", ".join("?" for _ in wanted)
    rows = store.conn.execute(
        f"SELECT kind, actor, detail FROM events WHERE kind IN ({marks}) ORDER BY id", wanted)
    return [(k, a, json.loads(d) if d else {}) for k, a, d in rows]


# -- one counter, one console ----------------------------------------------------------------


def test_a_second_console_is_refused_with_the_holders_name(desk: Store, clock: ManualClock):
    budi = new_session()
    desk.sign_in(BUDI, PIN, 1, session=budi)
    with pytest.raises(CounterTaken) as taken:
        desk.sign_in(SITI, PIN, 1, session=new_session())
    assert taken.value.holder == BUDI
    assert str(taken.value) == (f"{BUDI} is signed in at counter 1 since 09:00; take over"
                                " only if they have left (it signs them out)")
    assert desk.counter_states()[1].staff == BUDI  # nothing changed
    assert [k for k, _, _ in kinds(desk, "signed_in", "signed_out")] == ["signed_in"]


def test_taking_over_signs_the_first_console_out_and_its_verbs_are_refused(desk: Store):
    """The issue's case: the second console's Next finished A004 two seconds after the
    first had called it. Now the second must take over, and the first can no longer act."""
    for _ in range(3):
        desk.issue("A")
    budi, siti = new_session(), new_session()
    desk.sign_in(BUDI, PIN, 1, session=budi)
    called = desk.call_next(1, actor=BUDI, session=budi, expect=None)
    assert called is not None and called.label == "A001"
    desk.sign_in(SITI, PIN, 1, session=siti, take_over=True)
    assert kinds(desk, "signed_out")[-1] == ("signed_out", BUDI, {"taken_over_by": SITI})
    with pytest.raises(ConsoleGone) as gone:
        desk.call_next(1, actor=BUDI, session=budi, expect="A001")
    assert (gone.value.reason, gone.value.holder) == ("taken", SITI)
    assert desk.find("A001").state == "called"  # the patron called is not lost
    # Siti sees A001 (the counter's ticket) and goes on from there.
    assert desk.finish(1, actor=SITI, session=siti, expect="A001").state == "done"


def test_a_verb_on_a_ticket_the_console_never_saw_is_refused(desk: Store):
    for _ in range(3):
        desk.issue("A")
    key = new_session()
    desk.sign_in(BUDI, PIN, 1, session=key)
    desk.call_next(1, actor=BUDI, session=key, expect=None)  # A001, shown on the console
    desk.call_next(1)  # the command line moves on: A001 done, A002 called
    for verb in (desk.call_next, desk.recall, desk.finish, desk.start):
        with pytest.raises(TicketMoved) as moved:
            verb(1, actor=BUDI, session=key, expect="A001")
        assert moved.value.have == "A002"
        assert "counter 1 now has A002, not A001; nothing was done" in str(moved.value)
    assert desk.find("A002").state == "called" and desk.find("A003").state == "waiting"
    with pytest.raises(TicketMoved):
        desk.transfer("A001", "C", counter=1, session=key)
    with pytest.raises(TicketMoved):
        desk.reclassify("A001", "lansia", counter=1, session=key)
    # "a2" is A002 (as staff type it); a console that shows nothing expects None.
    assert desk.recall(1, session=key, expect="a2").label == "A002"
    desk.finish(1, session=key, expect="A002")
    assert desk.call_next(1, session=key, expect=None).label == "A003"


# -- consoles that go away ---------------------------------------------------------------------


def test_a_silent_console_is_unattended_within_a_minute_then_closed(desk: Store,
                                                                    clock: ManualClock):
    budi, siti = new_session(), new_session()
    desk.sign_in(BUDI, PIN, 1, session=budi)
    desk.sign_in(SITI, PIN, 3, session=siti)
    assert desk.waiting_outlook()[0].estimated_wait_min == 0
    clock.advance(UNATTENDED_S - 5)
    desk.console_beat(3, siti)
    assert views.status(desk).counters[0].state == "open"
    clock.advance(10)  # Budi's tab was closed: no beat for UNATTENDED_S + 5 s
    line = views.status(desk).counters[0]
    assert (line.state, line.staff) == ("unattended", BUDI)
    # The read side stops counting it at once: nobody serves A now.
    a = desk.waiting_outlook()[0]
    assert (a.service, a.estimated_wait_min, a.opens_at) == ("A", None, None)
    desk.console_beat(3, siti)  # any console's beat closes it, with events
    assert desk.counter_states()[1].state == "closed"
    assert views.status(desk).counters[0].state == "closed"
    closed = kinds(desk, "counter_closed", "signed_out")
    assert [(k, a, d["reason"]) for k, a, d in closed] == [
        ("counter_closed", BUDI, "unattended"), ("signed_out", BUDI, "unattended")]
    with pytest.raises(ConsoleGone) as gone:
        desk.call_next(1, session=budi, expect=None)
    assert gone.value.reason == "closed"
    desk.sign_in(SITI, PIN, 1, session=new_session())  # free again: no take-over asked


def test_the_announcers_sweep_closes_a_gone_console_when_no_other_console_runs(
        desk: Store, clock: ManualClock):
    budi = new_session()
    desk.sign_in(BUDI, PIN, 1, session=budi)
    assert desk.sweep_unattended() == []  # there: nothing written
    before = desk.conn.total_changes
    desk.sweep_unattended()
    assert desk.conn.total_changes == before
    clock.advance(UNATTENDED_S + 1)
    assert desk.sweep_unattended() == [1]
    assert desk.counter_states()[1].state == "closed"


def test_a_closing_console_closes_its_counter_at_once(desk: Store):
    key = new_session()
    desk.sign_in(BUDI, PIN, 2, session=key)
    desk.console_left(2, key)
    assert desk.counter_states()[2].state == "closed"
    assert kinds(desk, "counter_closed")[-1][2]["reason"] == "console closed"
    desk.console_left(2, key)  # again: no longer its counter, nothing happens
    assert len(kinds(desk, "counter_closed")) == 1


# -- no-shows: not too soon, and back in the queue ------------------------------------------


def test_a_no_show_waits_a_minute_after_the_call_or_one_recall(desk: Store,
                                                               clock: ManualClock):
    for _ in range(3):
        desk.issue("A")
    desk.call_next(1)
    clock.advance(20)
    with pytest.raises(NotAllowed, match="a no-show can be marked in 40 s"):
        desk.no_show(1)
    clock.advance(40)
    assert desk.no_show(1).state == "no_show"
    desk.call_next(1)
    desk.recall(1)  # called again once: the patron was called twice, no need to wait
    assert desk.no_show(1).state == "no_show"


def test_no_show_after_s_is_configurable(tmp_path, clock: ManualClock):
    from kiosk import config as cfg

    path = write_config(tmp_path, replace={"no_show_after_s = 60": "no_show_after_s = 0"})
    with Store(cfg.load(path), clock=clock) as store:
        store.issue("A")
        store.call_next(1)
        assert store.no_show(1).state == "no_show"


def test_requeue_puts_a_no_show_back_and_reports_count_both_segments(desk: Store,
                                                                     clock: ManualClock):
    for _ in range(3):
        desk.issue("A")
    desk.call_next(1)
    clock.advance(61)
    desk.no_show(1)  # A001 gone
    clock.advance(120)  # ...and walks up two minutes later
    back = desk.requeue("A001", position="front", actor=BUDI)
    assert (back.label, back.state, back.counter, back.called_at) == (
        "A001", "waiting", None, None)
    assert desk.call_next(1).label == "A001"  # at the front: before A002
    clock.advance(300)
    desk.finish(1)
    (_, actor, detail), = kinds(desk, "requeued")
    assert actor == BUDI and detail["state"] == "no_show" and detail["position"] == "front"
    segments = desk.conn.execute(
        "SELECT segment, outcome, wait_s IS NOT NULL FROM serve_times WHERE label = 'A001'"
        " ORDER BY segment").fetchall()
    assert segments == [(1, "no_show", 1), (2, "done", 1)]
    rep = report(desk, desk.settings, date_from="2026-11-27", date_to="2026-11-27")
    overall = rep["overall"]
    assert (overall["issued"], overall["no_show"], overall["served"]) == (3, 1, 1)
    # The back of the queue, and a cancelled ticket too.
    desk.cancel("A003")
    assert desk.requeue("A003").state == "waiting"
    assert desk.call_next(1).label == "A002"


def test_only_todays_no_show_or_cancelled_tickets_come_back(desk: Store, clock: ManualClock):
    desk.issue("A")
    desk.issue("A")
    desk.call_next(1)
    with pytest.raises(NotAllowed, match="A001 is called; only a no-show or a cancelled"):
        desk.requeue("A001")
    with pytest.raises(NotAllowed, match="A002 is waiting"):
        desk.requeue("A002")
    desk.cancel("A002")
    clock.set(local(9, 0, day=28))
    with pytest.raises(Exception, match='no ticket "A002" today'):
        desk.requeue("A002")


# -- an honest estimate when counters are closed -------------------------------------------


def outlook(store: Store, service: str):
    return next(o for o in store.waiting_outlook() if o.service == service)


def test_with_no_counter_open_nobody_is_promised_a_wait(store: Store, clock: ManualClock):
    """The issue's case: at lunch or at the end of the day the kiosk promised "less than 5
    minutes" because it assumed every counter would open."""
    store.counter(1, "open")
    store.counter(1, "close")  # opened today, then closed: not expected back
    a = outlook(store, "A")
    assert (a.estimated_wait_min, a.opens_at) == (None, None)
    issued = store.issue("A")
    assert (issued.estimated_wait_min, issued.opens_at) == (None, None)


def test_before_the_day_starts_the_opening_time_is_given(store: Store, clock: ManualClock):
    clock.set(local(7, 30))
    a = outlook(store, "A")
    assert a.opens_at == iso(local(8, 0)) and a.estimated_wait_min == 30
    clock.set(local(8, 1))  # nobody has signed in yet: no promise, whoever is late
    issued = store.issue("A")
    assert (issued.opens_at, issued.estimated_wait_min) == (None, None)
    store.counter(1, "open")
    assert store.outlook(issued.ticket).estimated_wait_min == 0


def test_a_pause_with_a_return_time_counts_from_then(store: Store, clock: ManualClock):
    store.counter(1, "open")
    store.counter(2, "open")
    store.counter(1, "pause", minutes=30)
    store.counter(2, "pause")  # not said: not counted on
    a = outlook(store, "A")
    assert a.opens_at == iso(clock.now() + timedelta(minutes=30))
    assert a.estimated_wait_min == 30
    store.counter(2, "resume")  # someone serves A now: no opening time, a plain estimate
    a = outlook(store, "A")
    assert (a.opens_at, a.estimated_wait_min) == (None, 0)
    store.counter(2, "pause")
    clock.advance(31 * 60)  # overdue: no promise
    assert outlook(store, "A").estimated_wait_min is None


@pytest.mark.parametrize("situation", ["open", "paused", "closed", "morning"])
def test_kiosk_slip_and_board_give_the_same_answer(store: Store, clock: ManualClock,
                                                   situation: str):
    if situation == "morning":  # the doors open, nobody has signed in yet
        clock.set(local(8, 0))
    for service in "AABBC":
        store.issue(service)
    if situation == "open":
        store.counter(1, "open")
    elif situation == "paused":
        store.counter(2, "open")
        store.counter(2, "pause", minutes=15)
    elif situation == "closed":
        store.counter(1, "open")
        store.counter(1, "close")
    for service in "ABC":
        board = outlook(store, service)
        issued = store.issue(service)
        assert (issued.estimated_wait_min, issued.opens_at) == (
            board.estimated_wait_min, board.opens_at), service
        # The slip reprinted now says the same as the kiosk said (store.outlook).
        again = store.outlook(issued.ticket)
        assert (again.estimated_wait_min, again.opens_at) == (
            issued.estimated_wait_min, issued.opens_at)


# -- a wall clock that jumps ahead (issue 18) -------------------------------------------------


class Host:
    """A host's clocks: the wall clock (a ManualClock) and the boot clock, which only moves
    with real time (`pass_time`), so a test can jump the wall clock alone."""

    def __init__(self, boot_id: str = "boot-1") -> None:
        self.boot_id = boot_id
        self.boot_s = 5000.0
        self.wall = ManualClock(local(10, 0), boot=lambda: (self.boot_id, self.boot_s))

    def pass_time(self, seconds: float) -> None:
        self.wall.advance(seconds)
        self.boot_s += seconds


def test_a_clock_a_day_ahead_never_expires_the_queue(settings):
    host = Host()
    with Store(settings, clock=host.wall) as store:
        for _ in range(5):
            store.issue("A")
        host.wall.set(local(10, 0, day=28))  # one command with a clock a day ahead
        assert "1440 minutes ahead" in (store.clock_problem() or "")  # the kiosk says so
        with pytest.raises(Exception, match="1440 minutes ahead"):
            store.issue("A")
        with pytest.raises(Exception, match="minutes ahead"):
            store.call_next(1)
        assert [t.state for t in store._tickets("1 = 1", ())] == ["waiting"] * 5
        (jump,) = kinds(store, "clock_jump")
        host.wall.set(local(10, 1))  # the clock is right again, a minute later
        host.boot_s += 60
        assert store.issue("A").ticket.label == "A006"  # nothing expired, issuing goes on
        assert store.clock_problem() is None
    # The jump was logged at the time the machine counted, not the false one.
    assert store_events_at(settings, "clock_jump")[0].startswith("2026-11-27T03:00")


def store_events_at(settings, kind: str) -> list[str]:
    with Store(settings, clock=ManualClock(local(10, 2))) as store:
        return [r[0] for r in store.conn.execute(
            "SELECT at FROM events WHERE kind = ? ORDER BY id", (kind,))]


def test_a_real_night_still_rolls_by_itself(settings):
    host = Host()
    with Store(settings, clock=host.wall) as store:
        store.issue("A")
        host.pass_time(22 * 3600 + 600)  # a night on the same boot: the boot clock agrees
        assert store.issue("A").ticket.label == "A001"
        assert store.find("A001", day="2026-11-27").state == "expired"


def test_after_a_reboot_a_new_day_with_a_live_queue_waits_for_a_confirmation(settings,
                                                                            tmp_path):
    first = Host("boot-1")
    with Store(settings, clock=first.wall) as store:
        store.issue("A")
    second = Host("boot-2")  # restarted; the clock says tomorrow: cannot be checked
    second.wall.set(local(9, 0, day=28))
    with Store(settings, clock=second.wall) as store:
        with pytest.raises(Exception, match="kiosk day open --confirm"):
            store.issue("A")
        assert store.find("A001", day="2026-11-27").state == "waiting"
        store.confirm_clock()
        assert store.day_open() == 1  # confirmed: yesterday's queue expires
        store._clock_confirmed = False
        assert store.issue("A").ticket.label == "A001"
