"""Appointments in the store (issue 26): slots from [booking], booking a slot with its code
and token, the last place never taken twice (threads and processes on their own
connections), the refusals (full, past, closed, too far, cancelled, another day's code, a
wrong code and the slow-down), the check-in early, within the grace and late, the
appointment's place in the queue, closed days for walk-ins too, and the migration from
schema 9. Real SQLite files, a manual clock at 09:00 on Friday 27 November 2026."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kiosk import clock as clk
from kiosk import config as cfg
from kiosk import views
from kiosk.clock import ManualClock
from kiosk.exceptions import (
    BookingRefused,
    CheckInEarly,
    CheckInRefused,
    CheckInSlowed,
    IssueRefused,
    UsageError,
    WrongField,
)
from kiosk.i18n import refusal_text, t
from kiosk.store import Store
from kiosk.store.tokens import digest

from .conftest import JAKARTA, TWO_PLACES, local, write_config

TODAY, TOMORROW = "2026-11-27", "2026-11-28"
CLOSED = """
[[closed]]
date = "2026-11-27"
reason = { id = "Cuti bersama", en = "Collective leave" }

[[closed]]
date = 2026-12-25
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """The shipped config with two places a slot (conftest.TWO_PLACES)."""
    return write_config(tmp_path, replace=TWO_PLACES)


def store_with(tmp_path: Path, clock: ManualClock, extra: str = "",
               replace: dict[str, str] | None = None) -> Store:
    return Store(cfg.load(write_config(tmp_path, extra, {**TWO_PLACES, **(replace or {})})),
                 clock=clock)


def kinds(store: Store) -> list[str]:
    return [e.kind for e in store.events_after(0)]


# -- slots ------------------------------------------------------------------------------------


def test_slots_follow_the_config_and_only_future_ones_are_offered(store: Store):
    today = store.slots("A", TODAY)
    # 08:00-15:30 in 15 minutes is 30 slots; at 09:00 the ones from 09:15 are left.
    assert [s.start for s in today[:2]] == ["09:15", "09:30"] and len(today) == 25
    assert today[-1].start == "15:15" and today[-1].end == "15:30"
    assert all(s.places == 2 and s.free == 2 for s in today)
    assert today[0].at == "2026-11-27T02:15:00.000Z"  # UTC, as every stored time
    assert len(store.slots("A", TOMORROW)) == 30
    with pytest.raises(UsageError, match='"B" takes no bookings'):
        store.slots("B", TODAY)
    with pytest.raises(UsageError, match="unknown service"):
        store.slots("Z", TODAY)
    with pytest.raises(WrongField):
        store.slots("A", "27-11-2026")


def test_a_service_may_have_its_own_slots(tmp_path: Path, clock: ManualClock):
    extra = "[booking.overrides.C]\nslot_min = 30\nper_slot = 1\nopen = \"10:00\"\n"
    with store_with(tmp_path, clock, replace={"# [booking.overrides.C]": extra}) as store:
        slots = store.slots("C", TOMORROW)
        assert (slots[0].start, slots[0].end, slots[0].places) == ("10:00", "10:30", 1)
        assert slots[-1].end == "15:30" and len(slots) == 11
        assert len(store.slots("A", TOMORROW)) == 30  # the others keep [booking]'s


def test_the_booking_config_is_checked(tmp_path: Path):
    def refused(old: str, new: str) -> str:
        text = cfg.embedded_text().replace(old, new, 1)
        with pytest.raises(cfg.ConfigError) as info:
            cfg.parse(text, "config.toml", tmp_path)
        return str(info.value)

    assert refused('services = ["A", "C"]', 'services = ["A", "Z"]') == (
        'config.toml: booking.services[1]: unknown service "Z"')
    assert "booking.overrides.B" in refused(
        "# [booking.overrides.C]", '[booking.overrides.B]\nslot_min = 20\n')
    assert "must lie within [hours]" in refused('# open = "08:00"', 'open = "07:00"')
    assert "booking.slot_min" in refused("slot_min = 15", "slot_min = 2")
    text = cfg.embedded_text() + CLOSED + '\n[[closed]]\ndate = "2026-11-27"\n'
    with pytest.raises(cfg.ConfigError, match=r"closed\[2\].date: 2026-11-27 is listed twice"):
        cfg.parse(text, "config.toml", tmp_path)
    with pytest.raises(cfg.ConfigError, match=r'closed\[0\].date: must be a date "YYYY-MM-DD"'):
        cfg.parse(cfg.embedded_text() + '[[closed]]\ndate = "27/11"\n', "config.toml", tmp_path)


# -- booking ----------------------------------------------------------------------------------


def test_a_booking_gets_a_code_and_a_token_and_no_personal_data(store: Store):
    booking, token, code = store.book("A", TODAY, "09:30", "lansia", "en")
    assert len(code) == 6 and code.isdigit() and booking.code == code
    assert len(token) == 22 and booking.state == "booked"
    assert (booking.slot_start, booking.slot_end, booking.slot) == ("09:30", "09:45",
                                                                     "09:30–09:45")
    assert booking.slot_at == "2026-11-27T02:30:00.000Z"
    assert store.booking_by_token(token) == booking
    assert store.slots("A", TODAY)[1].free == 1
    # What the file holds: the token's digest, never the token; no name, phone or ID.
    columns = set(store.db["bookings"].columns_dict)
    assert columns == {"id", "token_hash", "code", "service", "day", "slot_start", "slot_end",
                       "slot_at", "need", "lang", "state", "created_at", "checked_in_at",
                       "cancelled_at", "ticket_id"}
    row = store.conn.execute("SELECT token_hash FROM bookings").fetchone()
    assert bytes(row[0]) == digest(token)
    [event] = store.events_after(0)
    assert (event.kind, event.ticket_id, event.actor) == ("booked", None, "patron")
    assert event.detail == {"booking": booking.id, "service": "A", "day": TODAY,
                            "slot": "09:30–09:45", "priority": True}  # never the need
    for wrong in ("", "x" * 22, token[:-1] + "!", code):
        with pytest.raises(UsageError, match="no such booking"):
            store.booking_by_token(wrong)


def test_codes_differ_and_each_opens_only_its_booking(store: Store):
    made = [store.book("A", TOMORROW, f"{h:02d}:00") for h in range(8, 15)]
    assert len({code for _, _, code in made}) == len(made)
    assert len({token for _, token, _ in made}) == len(made)


def test_a_full_slot_is_refused_until_a_place_is_freed(store: Store):
    first = store.book("A", TODAY, "10:00")
    store.book("A", TODAY, "10:00")
    with pytest.raises(BookingRefused) as info:
        store.book("A", TODAY, "10:00")
    assert info.value.reason == "full" and "is full" in str(info.value)
    assert refusal_text("id", info.value) == t("id", "booking.refused.full")
    assert store.slots("A", TODAY)[3].free == 0
    store.cancel_booking(first[1])
    assert store.book("A", TODAY, "10:00")[0].state == "booked"
    assert kinds(store) == ["booked", "booked", "booking_cancelled", "booked"]


@pytest.mark.parametrize("day, start, reason", [
    (TODAY, "08:45", "past"),
    (TODAY, "09:00", "past"),  # it begins now
    ("2026-11-26", "10:00", "past"),
    ("2026-12-12", "10:00", "too_far"),  # days_ahead = 14
    ("2026-12-25", "10:00", "closed_day"),
])
def test_past_far_and_closed_slots_are_refused(tmp_path, clock, day, start, reason):
    with store_with(tmp_path, clock, CLOSED.replace("2026-11-27", "2026-01-01")) as store:
        with pytest.raises(BookingRefused) as info:
            store.book("A", day, start)
        assert info.value.reason == reason
        assert refusal_text("en", info.value)  # a plain sentence in each language
        assert store.slots("A", day) == [] or reason == "past"
        assert store.conn.execute("SELECT COUNT(*) FROM bookings").fetchone()[0] == 0
    with store_with(tmp_path, clock) as store:
        assert store.slots("A", "2026-12-11")  # the 14th day after today is open


@pytest.mark.parametrize("day, start, need, lang, field", [
    ("2026/11/27", "10:00", None, None, "date"),
    ("2026-02-30", "10:00", None, None, "date"),
    (TODAY, "10:07", None, None, "start"),  # no slot starts then
    (TODAY, "10", None, None, "start"),
    (TODAY, "16:00", None, None, "start"),
    (TODAY, "10:00", "vip", None, "need"),
    (TODAY, "10:00", None, "fr", "lang"),
])
def test_a_wrong_field_is_named(store: Store, day, start, need, lang, field):
    with pytest.raises(WrongField) as info:
        store.book("A", day, start, need, lang)
    assert info.value.field == field and str(info.value).startswith(f"{field}:")


def test_staff_cancel_by_code_and_a_code_on_two_days(store: Store, clock: ManualClock):
    booking, _, code = store.book("A", TOMORROW, "10:00")
    with pytest.raises(WrongField):  # a code is a check-in key, not a way to cancel
        store.cancel_booking(code)
    assert store.cancel_booking(code, staff=True, actor="cli").state == "cancelled"
    with pytest.raises(BookingRefused, match="already cancelled"):
        store.cancel_booking(code, staff=True)
    with pytest.raises(UsageError, match="no booking has the code"):
        store.cancel_booking("000000" if code != "000000" else "000001", staff=True)
    # The file takes the same code on another day (codes are unique per day): a staff
    # cancel then asks which day.
    other, _, other_code = store.book("A", TODAY, "10:00")
    store.conn.execute("UPDATE bookings SET code = ? WHERE id = ?", (other_code, booking.id))
    store.conn.execute("UPDATE bookings SET state = 'booked' WHERE id = ?", (booking.id,))
    with pytest.raises(UsageError, match="several days"):
        store.cancel_booking(other_code, staff=True)
    assert store.cancel_booking(other_code, staff=True, day=TODAY).id == other.id
    with pytest.raises(sqlite3.IntegrityError):  # one live code per day, by the file itself
        store.conn.execute("UPDATE bookings SET code = ?, day = ?, state = 'booked'"
                           " WHERE id = ?", (other_code, TOMORROW, other.id))


def test_the_days_list_for_staff(store: Store):
    store.book("A", TODAY, "11:00")
    store.book("C", TODAY, "09:30", "hamil")
    _, token, _ = store.book("A", TODAY, "10:00")
    store.cancel_booking(token)
    listed = store.bookings(TODAY)
    assert [(b.slot_start, b.service, b.state) for b in listed] == [
        ("09:30", "C", "booked"), ("10:00", "A", "cancelled"), ("11:00", "A", "booked")]
    assert store.bookings(TOMORROW) == []


# -- the last place: one transaction --------------------------------------------------------


def _book_in_process(config: str, go: str, results: mp.Queue) -> None:
    with Store(cfg.load(config), clock=ManualClock(local(9, 0))) as store:
        store.data_version()  # opened before the race
        while not Path(go).exists():
            time.sleep(0.001)
        try:
            store.book("A", TODAY, "10:00")
            results.put("booked")
        except BookingRefused as exc:
            results.put(exc.reason)


def test_the_last_place_is_taken_once_by_concurrent_processes(tmp_path: Path):
    config = str(write_config(tmp_path, replace={"per_slot = 1 ": "per_slot = 3 "}))
    Store(cfg.load(config)).close()
    spawn = mp.get_context("spawn")
    results = spawn.Queue()
    go = tmp_path / "go"
    procs = [spawn.Process(target=_book_in_process, args=(config, str(go), results))
             for _ in range(8)]
    for p in procs:
        p.start()
    time.sleep(1.0)  # all of them opened their store and wait for the word
    go.touch()
    answers = sorted(results.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert answers == ["booked"] * 3 + ["full"] * 5
    with Store(cfg.load(config), clock=ManualClock(local(9, 0))) as store:
        assert store.slots("A", TODAY)[3].free == 0
        assert kinds(store).count("booked") == 3


def test_the_last_place_is_taken_once_by_concurrent_threads(settings, clock):
    Store(settings, clock=clock).close()
    barrier = threading.Barrier(6)
    answers: list[str] = []

    def book() -> None:
        with Store(settings, clock=ManualClock(local(9, 0))) as own:  # its own connection
            barrier.wait()
            try:
                own.book("A", TODAY, "10:00")
                answers.append("booked")
            except BookingRefused as exc:
                answers.append(exc.reason)

    threads = [threading.Thread(target=book) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(answers) == ["booked", "booked"] + ["full"] * 4


# -- check-in ----------------------------------------------------------------------------------


def test_early_within_the_grace_and_the_ticket_takes_the_bookings_token(store, clock):
    store.counter(1, "open")
    booking, token, code = store.book("A", TODAY, "09:30", lang="en")
    clock.set(local(9, 19))
    with pytest.raises(CheckInEarly) as info:
        store.check_in(code, kiosk="lobby")
    assert (info.value.come_back, info.value.reason) == ("09:20", "early")
    assert refusal_text("en", info.value) == t("en", "checkin.refused.early",
                                               slot="09:30–09:45", time="09:20")
    clock.set(local(9, 20))  # the grace opens early_min (10) before the slot
    issued = store.check_in(code, kiosk="lobby")
    ticket = issued.ticket
    assert (issued.appointment, issued.slot, issued.late) == (True, "09:30–09:45", False)
    assert ticket.label == "A001" and ticket.kiosk == "lobby" and ticket.lang == "en"
    assert ticket.order_at == clk.epoch("2026-11-27T02:30:00.000Z")  # the slot's start
    assert ticket.issued_at == clk.iso(local(9, 20))
    row = store.conn.execute("SELECT slot_at, booking_id, token_hash FROM tickets").fetchone()
    assert row[:2] == ("2026-11-27T02:30:00.000Z", booking.id)
    assert bytes(row[2]) == digest(token)  # the booking's link is the ticket's page now
    assert store.by_token(token).id == ticket.id
    after = store.booking_by_token(token)
    assert (after.state, after.ticket_id) == ("checked_in", ticket.id)
    assert kinds(store)[-3:] == ["check_in_refused", "issued", "checked_in"]
    checked = store.events_after(0)[-1]
    assert checked.ticket_id == ticket.id and checked.detail["appointment"] is True
    with pytest.raises(CheckInRefused) as again:
        store.check_in(code, kiosk="lobby")
    assert again.value.reason == "checked_in" and again.value.values["label"] == "A001"


def test_at_the_end_of_the_grace_and_after_it(store: Store, clock: ManualClock):
    _, _, on_time = store.book("A", TODAY, "09:15")
    _, _, late = store.book("A", TODAY, "09:15", "lansia")
    clock.set(local(9, 30))  # slot + late_min (15): still an appointment
    assert store.check_in(on_time).appointment is True
    clock.advance(1)
    issued = store.check_in(late)
    assert (issued.appointment, issued.late, issued.slot) == (False, True, "09:15–09:30")
    assert issued.ticket.order_at == local(9, 30).timestamp() + 1  # its real time
    assert issued.ticket.need == "lansia"  # the declared need stays
    assert store.conn.execute("SELECT slot_at FROM tickets WHERE id = ?",
                              (issued.ticket.id,)).fetchone()[0] is None
    assert store.events_after(0)[-1].detail["appointment"] is False


def _appointment_day(store: Store, clock: ManualClock) -> dict[str, str]:
    """Two bookings (09:30, and 09:45 with a need) among walk-ins at 09:21, 09:29 and
    09:35; the first checks in at 09:25, the second at 09:50. Labels by role."""
    _, _, first = store.book("A", TODAY, "09:30")
    _, _, second = store.book("A", TODAY, "09:45", "lansia")
    clock.set(local(9, 21))
    early_walk_in = store.issue("A").ticket
    clock.set(local(9, 25))
    appointment = store.check_in(first).ticket  # 5 minutes early: its place is 09:30
    clock.set(local(9, 29))
    before_slot = store.issue("A").ticket
    clock.set(local(9, 35))
    after_slot = store.issue("A").ticket
    clock.set(local(9, 50))
    priority = store.check_in(second).ticket
    slots = {w.id: w.slot_at for w in store._waiting(TODAY)}  # type: ignore[attr-defined]
    assert slots[appointment.id] == clk.epoch("2026-11-27T02:30:00.000Z")
    assert slots[early_walk_in.id] is None
    return {"early_walk_in": early_walk_in.label, "appointment": appointment.label,
            "before_slot": before_slot.label, "after_slot": after_slot.label,
            "priority": priority.label}


def test_an_appointment_takes_its_place_by_its_slot(tmp_path: Path, clock: ManualClock):
    """The plain slot-start rule (lead_min = 0): a walk-in who came before the slot's
    start goes first; one who came after it (even before the appointment checked in,
    within the grace) goes after; a need's head start counts from the slot too."""
    with store_with(tmp_path, clock, replace={"lead_min = 75": "lead_min = 0"}) as store:
        who = _appointment_day(store, clock)
        store.counter(1, "open")
        calls = [store.call_next(1).label for _ in range(5)]  # type: ignore[union-attr]
    assert calls == [who["priority"], who["early_walk_in"], who["before_slot"],
                     who["appointment"], who["after_slot"]]
    assert store.settings.booking.lead_min == 0


def test_the_lead_puts_an_appointment_ahead_of_the_last_hour(store: Store,
                                                             clock: ManualClock):
    """The shipped lead (60 min): an on-time appointment ranks as if it came an hour
    before its slot, so ahead of the walk-ins of the last hour."""
    who = _appointment_day(store, clock)
    store.counter(1, "open")
    calls = [store.call_next(1).label for _ in range(5)]  # type: ignore[union-attr]
    assert calls == [who["priority"], who["appointment"], who["early_walk_in"],
                     who["before_slot"], who["after_slot"]]


def test_the_estimate_counts_a_booking_still_to_come(store: Store, clock: ManualClock):
    """A walk-in at 09:40 behind two others at one counter (5 minutes each, no history
    yet): 10 minutes; with a booking at 09:45 not checked in yet, whose key (09:45 less
    the hour's lead) is before the walk-in's, it is counted from 09:45 and the walk-in
    waits 15 minutes; cancelled, 10 again."""
    _, token, _code = store.book("A", TODAY, "09:45")
    store.counter(1, "open")
    clock.set(local(9, 31))
    store.issue("A")
    clock.set(local(9, 32))
    store.issue("A")
    clock.set(local(9, 40))
    wait = {o.service: o.estimated_wait_min for o in store.waiting_outlook()}
    assert wait["A"] == 15
    store.cancel_booking(token)
    wait = {o.service: o.estimated_wait_min for o in store.waiting_outlook()}
    assert wait["A"] == 10


def test_another_days_code_a_cancelled_one_and_a_wrong_one(store: Store):
    _, _, tomorrow = store.book("A", TOMORROW, "10:00")
    _, token, cancelled = store.book("A", TODAY, "10:00")
    store.cancel_booking(token)
    with pytest.raises(CheckInRefused) as info:
        store.check_in(tomorrow, kiosk="lobby")
    assert info.value.reason == "other_day"
    assert refusal_text("en", info.value) == (
        "This code is for another day: Saturday 28 November 2026, 10:00–10:15.")
    assert refusal_text("id", info.value) == (
        "Kode ini untuk hari lain: Sabtu, 28 November 2026, pukul 10:00–10:15.")
    with pytest.raises(CheckInRefused) as info:
        store.check_in(cancelled, kiosk="lobby")
    assert info.value.reason == "cancelled"
    wrong = next(c for c in ("123456", "654321") if c not in (tomorrow, cancelled))
    with pytest.raises(CheckInRefused) as info:
        store.check_in(wrong, kiosk="lobby")
    assert info.value.reason == "unknown"
    assert refusal_text("id", info.value) == t("id", "checkin.refused.unknown")
    refused = [e for e in store.events_after(0) if e.kind == "check_in_refused"]
    assert [e.detail["reason"] for e in refused] == ["other_day", "cancelled", "unknown"]
    assert all(e.actor == "kiosk:lobby" and e.ticket_id is None for e in refused)
    assert "booking" not in refused[-1].detail
    with pytest.raises(WrongField):
        store.check_in("12345")
    assert store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0


def test_five_wrong_codes_in_a_minute_slow_that_kiosk_down(store: Store, clock: ManualClock):
    _, _, code = store.book("A", TODAY, "09:15")
    start = local(9, 6)  # within the slot's grace
    clock.set(start)
    wrong = [c for c in (f"{n:06d}" for n in range(1, 8)) if c != code]
    for n in range(5):
        clock.advance(5)
        with pytest.raises(CheckInRefused):
            store.check_in(wrong[n], kiosk="lobby")
    with pytest.raises(CheckInSlowed) as info:
        store.check_in(code, kiosk="lobby")  # even the right code waits
    # the first wrong code was at +5 s, this is +25 s: the minute ends in 40 s
    assert info.value.wait_s == 40 and "wait 40 seconds" in str(info.value)
    assert refusal_text("en", info.value) == t("en", "checkin.refused.slowed", seconds=40)
    clock.set(start + timedelta(seconds=64))
    with pytest.raises(CheckInSlowed) as info:
        store.check_in(code, kiosk="lobby")
    assert info.value.wait_s == 1
    clock.set(start + timedelta(seconds=65))
    assert store.check_in(code, kiosk="lobby").appointment is True
    reasons = [e.detail["reason"] for e in store.events_after(0)
               if e.kind == "check_in_refused"]
    assert reasons == ["unknown"] * 5  # the slowed tries are neither counted nor logged


def test_another_kiosk_is_not_slowed_by_this_ones_wrong_codes(tmp_path, clock):
    second_kiosk = '[[kiosks]]\nid = "hall"\n\n[printers.main]'
    with store_with(tmp_path, clock, replace={"[printers.main]": second_kiosk}) as store:
        _, _, code = store.book("A", TODAY, "09:15")
        clock.set(local(9, 6))
        for wrong in [c for c in (f"{n:06d}" for n in range(1, 8)) if c != code][:6]:
            with pytest.raises(CheckInRefused):
                store.check_in(wrong, kiosk="lobby")
        assert store.check_in(code, kiosk="hall").ticket.kiosk == "hall"


# -- closed days and the hours ------------------------------------------------------------------


def test_a_closed_day_issues_no_ticket_and_offers_no_slot(tmp_path, clock):
    with store_with(tmp_path, clock, CLOSED) as store:
        with pytest.raises(IssueRefused) as info:
            store.issue("A")
        assert info.value.reason == "closed_day" and "Collective leave" in str(info.value)
        refusal = store.issue_refusal()
        assert refusal is not None and refusal.reason == "closed_day"
        trouble = views.trouble(store, None)
        assert trouble.messages(store.settings, "id") == [
            t("id", "trouble.closed_day_reason", reason="Cuti bersama")]
        assert trouble.messages(store.settings, "en") == [
            "Sorry, we are closed today: Collective leave."]
        assert store.slots("A", TODAY) == [] and store.slots("A", TOMORROW)
        clock.set(datetime(2026, 12, 25, 9, 0, tzinfo=JAKARTA))
        assert views.trouble(store, None).messages(store.settings, "en") == [
            t("en", "trouble.closed_day")]  # a closed day without a reason


def test_a_booked_patron_is_served_after_the_last_ticket(store, clock):
    _, _, code = store.book("A", TODAY, "15:15")
    clock.set(local(15, 30))
    with pytest.raises(IssueRefused, match="no more tickets"):
        store.issue("A")
    assert store.check_in(code).appointment is True  # within its grace
    clock.set(local(16, 0))
    _, _, later = store.book("A", TOMORROW, "15:15")
    with pytest.raises(CheckInRefused, match="another day|not today"):
        store.check_in(later)


def test_the_slip_of_an_appointment_says_the_booked_time(tmp_path, clock):
    from printers.decode import read
    from printers.fake import FakePrinter
    from printers.worker import print_issued

    from .test_print_support import network, printer_settings

    with FakePrinter() as fake:
        settings = printer_settings(tmp_path, **network(fake.port))
        with Store(settings, clock=clock) as store:
            _, _, code = store.book("A", TODAY, "09:15", "lansia", "en")
            clock.set(local(9, 10))
            issued = store.check_in(code)
            assert print_issued(store, issued, None) is True
        [data] = fake.slips()
    texts = read(data, "TM-T20II").texts()
    assert "Appointment: 09:15–09:30" in texts and "PRIORITY" in texts
    assert "A001" in texts and not any("lansia" in line.lower() for line in texts)


# -- the file -----------------------------------------------------------------------------------


def test_a_schema_9_store_is_migrated_and_keeps_its_queue(settings, clock):
    import sqlite_utils

    from kiosk.store.schema import MIGRATIONS

    path = Path(settings.store.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = sqlite_utils.Database(sqlite3.connect(path))
    for step in range(1, 10):
        MIGRATIONS[step](old)
    old.conn.execute("PRAGMA user_version=9")
    old["tickets"].insert({
        "day": TODAY, "prefix": "A", "number": 1, "label": "A001", "service": "A",
        "state": "waiting", "issued_at": "2026-11-27T01:00:00.000Z",
        "queued_at": "2026-11-27T01:00:00.000Z", "order_at": local(8, 0).timestamp(),
        "recalls": 0})
    old.conn.commit()
    old.conn.close()
    with Store(settings, clock=clock) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == 10
        assert [before.name for before in (path.parent / "backups").glob("*.db")]
        columns = set(store.db["tickets"].columns_dict)
        assert {"slot_at", "booking_id"} <= columns
        assert store.conn.execute("SELECT slot_at, booking_id FROM tickets").fetchone() == (
            None, None)
        plan = [r[3] for r in store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id, service, need, order_at, slot_at FROM tickets"
            " WHERE state = 'waiting' AND day = ?", (TODAY,))]
        assert "COVERING INDEX idx_tickets_waiting" in plan[0]
        _, _, code = store.book("A", TODAY, "09:15")
        clock.set(local(9, 10))
        assert store.check_in(code).ticket.label == "A002"
        store.counter(1, "open")
        # the old ticket came at 08:00, before the appointment's 09:15 less the hour's lead
        assert store.call_next(1).label == "A001"
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_purge_takes_old_bookings_with_their_tickets(store: Store, clock: ManualClock):
    _, _, code = store.book("A", TODAY, "09:15", "anak")
    store.book("A", TOMORROW, "09:15")
    clock.set(local(9, 10))
    store.check_in(code)
    clock.set(datetime(2026, 11, 29, 9, 0, tzinfo=JAKARTA))
    store.purge("2026-11-28")
    assert [b.day for b in store.bookings(TOMORROW)] == [TOMORROW]
    assert store.conn.execute("SELECT COUNT(*) FROM bookings").fetchone()[0] == 1


def test_the_booking_queries_use_their_index(store: Store):
    """Counting a slot's places, a code's look-up, the wrong codes of the last minute."""
    queries = [
        ("bookings_slot", "SELECT COUNT(*) FROM bookings WHERE day = ? AND service = ?"
         " AND slot_start = ? AND state != 'cancelled'", (TODAY, "A", "10:00")),
        ("bookings_code", "SELECT 1 FROM bookings WHERE code = ? AND day >= ?"
         " AND state != 'cancelled'", ("123456", TODAY)),
        ("bookings_code", "SELECT id FROM bookings WHERE code = ? AND day = ?"
         " AND state != 'cancelled'", ("123456", TODAY)),
        ("idx_events_at", "SELECT at FROM events WHERE at > ? AND kind = 'check_in_refused'"
         " AND actor = ? ORDER BY at DESC LIMIT 5", ("2026-11-27T02:00:00.000Z", "cli")),
    ]
    for index, sql, params in queries:
        steps = [r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        assert steps[0].startswith("SEARCH") and index in steps[0], (sql, steps)


def test_a_transferred_appointment_goes_by_its_new_queue_time(store: Store,
                                                              clock: ManualClock):
    """Its slot's place holds only in the queue it checked into: moved to another service
    (or a no-show brought back), it joins as anyone rejoining does; the file keeps its
    slot for the reports."""
    _, _, code = store.book("A", TODAY, "09:30")
    clock.set(local(9, 25))
    ticket = store.check_in(code).ticket
    assert {w.id: w.slot_at for w in store._waiting(TODAY)}[ticket.id] is not None  # type: ignore[attr-defined]
    clock.set(local(9, 40))
    moved = store.transfer(ticket.label, "B", position="back")
    assert moved.order_at == local(9, 40).timestamp()
    assert {w.id: w.slot_at for w in store._waiting(TODAY)}[ticket.id] is None  # type: ignore[attr-defined]
    assert store.conn.execute("SELECT slot_at FROM tickets WHERE id = ?",
                              (ticket.id,)).fetchone()[0] == "2026-11-27T02:30:00.000Z"
