"""The store's verbs on a real SQLite file, with a manual clock."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk import config as cfg
from kiosk import views
from kiosk.clock import ManualClock
from kiosk.exceptions import IssueRefused, NotAllowed, PinError, StoreFault, UsageError
from kiosk.store import MEDIAN_DAYS, SCHEMA_VERSION, Store

from .conftest import local, write_config


def events(store: Store, ticket_id: int | None = None) -> list[str]:
    if ticket_id is None:
        rows = store.db.query("SELECT kind FROM events ORDER BY id")
    else:
        rows = store.db.query(
            "SELECT kind FROM events WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        )
    return [r["kind"] for r in rows]


def serve(store: Store, clock: ManualClock, service: str, *, counter: int, tickets: int,
          seconds_each: float) -> None:
    """Issue `tickets` of `service`, then serve them one after another at `counter`."""
    for _ in range(tickets):
        store.issue(service)
    for _ in range(tickets):
        store.call_next(counter)
        clock.advance(seconds_each)
    store.finish(counter)


def test_schema_pragmas_and_version(store: Store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    for table in ("tickets", "events", "counters", "staff", "devices", "cursors"):
        assert store.db[table].exists()
    columns = set(store.db["tickets"].columns_dict)
    assert {"id", "day", "prefix", "number", "label", "service", "need", "lang", "kiosk",
            "state", "counter", "issued_at", "queued_at", "called_at", "started_at",
            "finished_at", "recalls"} <= columns
    assert set(store.db["events"].columns_dict) >= {
        "id", "ticket_id", "kind", "at", "counter", "actor", "detail"}


def test_reopening_keeps_everything(settings: cfg.Settings, clock: ManualClock):
    with Store(settings, clock=clock) as s:
        s.issue("A")
    with Store(settings, clock=clock) as s:
        assert s.issue("A").ticket.label == "A002"


def test_newer_schema_is_refused(settings: cfg.Settings, clock: ManualClock):
    with Store(settings, clock=clock) as s:
        s.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(UsageError, match="newer version"):
        Store(settings, clock=clock)


def test_a_first_release_store_is_migrated_and_keeps_its_data(
    settings: cfg.Settings, clock: ManualClock
):
    """A file made by schema 1 (the first release) opens as the current schema: same rows,
    the views of 2, without the five indexes schema 3 dropped to write fewer pages, and
    with schema 4's partial indexes in place of the two it replaced."""
    import sqlite_utils

    from kiosk.store.schema import _DROPPED_IN_V3, _PARTIAL_INDEXES_V4, MIGRATIONS

    path = Path(settings.store.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = sqlite_utils.Database(sqlite3.connect(path))
    MIGRATIONS[1](old)
    old.conn.execute("PRAGMA user_version=1")
    old["tickets"].insert({
        "day": "2026-11-27", "prefix": "A", "number": 1, "label": "A001", "service": "A",
        "state": "waiting", "issued_at": "2026-11-27T01:00:00.000Z",
        "queued_at": "2026-11-27T01:00:00.000Z", "order_at": 1.0, "recalls": 0})
    old["events"].insert({"ticket_id": 1, "kind": "issued", "at": "2026-11-27T01:00:00.000Z"})
    old.conn.commit()
    made_by_v1 = {i.name for i in old["tickets"].indexes + old["events"].indexes}
    assert set(_DROPPED_IN_V3) - made_by_v1 == {"idx_tickets_day_state"}  # that one came in 2
    old.conn.close()

    with Store(settings, clock=clock) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 10
        # The migration made a copy of the store as it was, first (issue 22).
        [before] = (path.parent / "backups").glob(f"kiosk-*-before-schema-{SCHEMA_VERSION}.db")
        with sqlite3.connect(before) as copy:
            assert copy.execute("PRAGMA user_version").fetchone()[0] == 1
            assert copy.execute("SELECT label FROM tickets").fetchall() == [("A001",)]
        names = {i.name for i in s.db["tickets"].indexes + s.db["events"].indexes}
        assert not names & set(_DROPPED_IN_V3)
        assert "idx_tickets_state_day_service" not in names
        partial = s.conn.execute(
            "SELECT name FROM pragma_index_list('tickets') WHERE partial"
            " UNION ALL SELECT name FROM pragma_index_list('events') WHERE partial"
        ).fetchall()
        assert {n for (n,) in partial} == {*_PARTIAL_INDEXES_V4, "tickets_token"}
        assert {"serve_times", "daily_summary"} <= set(s.db.view_names())
        assert s.find("A001").state == "waiting"
        assert s.issue("A").ticket.label == "A002"  # numbering continues
        assert [e.kind for e in s.events_after(0)] == ["issued", "issued"]
        # The old row is in the queue the new index holds: it is called first.
        assert s.call_next(1).label == "A001"
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_hot_queries_use_their_index(store: Store):
    """Guard for schema 3's fewer indexes and schema 4's partial ones: each query a verb, a
    screen or a report runs often goes through the index meant for it, never through a
    whole table (a partial index is only taken when the query repeats its WHERE)."""
    from kiosk.rows import Event, Ticket
    from kiosk.store import COUNTER_KINDS, INDEXED_KINDS_SQL

    day = "2026-11-27"
    unique = "idx_tickets_day_prefix_number"
    waiting, open_, kinds = "idx_tickets_waiting", "idx_tickets_open", "idx_events_kind_at"
    marks = ", ".join("?" for _ in COUNTER_KINDS)
    queries = [
        (unique, "SELECT MAX(number) FROM tickets WHERE day = ? AND prefix = ?", (day, "A")),
        (unique, f"SELECT {Ticket.COLUMNS} FROM tickets WHERE day = ? AND prefix = ?"
         " AND number = ?", (day, "A", 1)),
        (open_, f"SELECT {Ticket.COLUMNS} FROM tickets WHERE state IN ('called', 'serving')"
         " AND counter = ?", (1,)),
        ("COVERING INDEX " + waiting, "SELECT id, service, need, order_at FROM tickets"
         " WHERE state = 'waiting' AND day = ?", (day,)),
        ("COVERING INDEX " + waiting, "SELECT id, service, need, order_at, slot_at FROM"
         " tickets WHERE state = 'waiting' AND day = ?", (day,)),  # schema 10: the slot too
        (open_, "SELECT counter, service, called_at FROM tickets"
         " WHERE state IN ('called', 'serving') AND counter IS NOT NULL ORDER BY called_at", ()),
        (unique, "SELECT service, finished_at, called_at FROM tickets WHERE day = ?"
         " AND state = 'done' AND finished_at IS NOT NULL AND called_at IS NOT NULL", (day,)),
        (waiting, "SELECT id FROM tickets WHERE state = 'waiting' AND day < ?", (day,)),
        (open_, "SELECT id, state, counter FROM tickets WHERE state IN ('called', 'serving')"
         " AND +day < ?", (day,)),
        (waiting, "SELECT service, need IS NOT NULL, COUNT(*), MIN(queued_at) FROM tickets"
         " WHERE state = 'waiting' AND day = ? GROUP BY service, need IS NOT NULL", (day,)),
        ("idx_events_at", "SELECT MAX(at) FROM events", ()),
        ("PRIMARY KEY", f"SELECT {Event.COLUMNS} FROM events WHERE id > ?"
         " AND +kind IN (?, ?) ORDER BY id LIMIT ?", (0, "called", "recalled", 10)),
        (kinds, "SELECT MAX(id) FROM events WHERE kind IN (?, ?) AND at >= ?"
         f" AND {INDEXED_KINDS_SQL} GROUP BY ticket_id", ("called", "recalled", day)),
        (kinds, f"SELECT counter, kind, at FROM events WHERE kind IN ({marks})"
         f" AND at >= ? AND at < ? AND {INDEXED_KINDS_SQL} ORDER BY at, id",
         (*COUNTER_KINDS, day, "2026-11-28")),
        (kinds, "SELECT COUNT(*) FROM events e WHERE e.kind = 'called' AND e.at >= ?"
         f" AND e.at < ? AND e.{INDEXED_KINDS_SQL}", (day, "2026-11-28")),
    ]
    for index, sql, params in queries:
        steps = [r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        # A SCAN is allowed only of a partial index (its few rows), never of a table.
        assert index in steps[0] and (
            steps[0].startswith("SEARCH") or "INDEX idx_tickets_open" in steps[0]), (sql, steps)
    # Both halves of "is anything still open in these days?" (reports' settled check).
    plan = [r[3] for r in store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT EXISTS (SELECT 1 FROM tickets WHERE state = 'waiting'"
        " AND day BETWEEN ? AND ?) OR EXISTS (SELECT 1 FROM tickets WHERE state IN"
        " ('called', 'serving') AND +day BETWEEN ? AND ?)", (day, day, day, day))]
    assert any(waiting in step for step in plan) and any(open_ in step for step in plan), plan


def test_a_label_is_found_by_prefix_and_number(store: Store):
    store.issue("A")
    store.issue("A")
    assert store.find("A002").number == 2
    assert store.find(" a2 ").label == "A002"  # as staff may type it
    for wrong in ("A003", "A", "2", "AB2", "A-2", ""):
        with pytest.raises(UsageError, match="no ticket"):
            store.find(wrong)


def test_medians_reach_back_to_earlier_days(store: Store, clock: ManualClock):
    """Early in the morning today has no finished tickets yet: yesterday's serve for the
    estimate, newest first, and a service never served has no median."""
    serve(store, clock, "B", counter=2, tickets=3, seconds_each=240)
    clock.set(local(8, 1, day=28))
    store._medians = (-1e18, {})
    assert store.service_times() == {"B": pytest.approx(240, abs=1)}
    clock.set(local(8, 1, day=28) + timedelta(days=40))
    store._medians = (-1e18, {})
    assert store.service_times() == {}  # more than a month ago


def test_medians_read_earlier_days_once_an_hour(store: Store, clock: ManualClock):
    """The once-a-minute refresh reads only today's finished tickets; the earlier days of
    the window (which no longer change) are read again after an hour or on a new day."""
    serve(store, clock, "B", counter=2, tickets=3, seconds_each=240)
    clock.set(local(9, 0, day=28))
    reads: list[str] = []
    store.conn.set_trace_callback(
        lambda sql: reads.append(sql) if "state = 'done'" in sql else None)

    def refresh() -> dict[str, float]:
        reads.clear()
        clock.advance(61)  # past the one-minute cache
        return store.service_times()

    assert refresh() == {"B": pytest.approx(240, abs=1)}
    assert len(reads) == MEDIAN_DAYS  # today, then 30 earlier days (B's window is not full)
    serve(store, clock, "A", counter=1, tickets=2, seconds_each=120)  # today
    medians = refresh()
    assert medians["A"] == pytest.approx(120, abs=1) and len(reads) == 1
    clock.advance(3600)
    assert refresh()["B"] == pytest.approx(240, abs=1) and len(reads) == MEDIAN_DAYS


def test_numbers_per_prefix_per_day_from_one(store: Store, clock: ManualClock):
    labels = [store.issue(p).ticket.label for p in "AABAC"]
    assert labels == ["A001", "A002", "B001", "A003", "C001"]
    t = store.find("A002")
    assert t.day == "2026-11-27" and t.issued_at == "2026-11-27T02:00:00.000Z"
    assert t.queued_at == t.issued_at and t.state == "waiting"
    clock.set(local(8, 5, day=28))
    assert store.issue("A").ticket.label == "A001"
    assert store.find("A001").day == "2026-11-28"
    # yesterday's waiting tickets expired with events when the new day began
    assert store.find("A002", day="2026-11-27").state == "expired"
    assert events(store, store.find("A002", day="2026-11-27").id) == ["issued", "expired"]


def test_issue_event_and_outlook(store: Store):
    store.counter(1, "open")
    first = store.issue("A", lang="en", kiosk="lobby")
    assert first.people_ahead == 0 and first.estimated_wait_min == 0
    second = store.issue("A")
    assert second.people_ahead == 1
    assert second.ticket.lang == "id" and first.ticket.kiosk == "lobby"
    row = store.db.query("SELECT * FROM events WHERE kind = 'issued' LIMIT 1").__next__()
    assert row["ticket_id"] == first.ticket.id and row["actor"] == "kiosk:lobby"
    assert json.loads(row["detail"])["label"] == "A001"


def test_estimate_uses_recent_service_times(store: Store, clock: ManualClock):
    # five served A tickets taking 10 minutes each at counter 1
    serve(store, clock, "A", counter=1, tickets=5, seconds_each=600)
    clock.advance(60)
    store._medians = (-1e18, {})
    assert store.service_times()["A"] == pytest.approx(600, abs=1)
    # counters 1 and 2 open (counter 2 by signing in through the verb), 6 A tickets waiting
    store.counter(2, "open")
    for _ in range(6):
        store.issue("A")
    new = store.issue("A")
    assert new.people_ahead == 6
    # two counters, 10 min each, six ahead: the new one is called after 30 minutes
    assert new.estimated_wait_min == 30


def test_outside_hours_and_last_ticket(store: Store, clock: ManualClock):
    clock.set(local(7, 59))
    with pytest.raises(IssueRefused) as info:
        store.issue("A")
    assert info.value.reason == "closed"
    clock.set(local(15, 30))
    with pytest.raises(IssueRefused) as info:
        store.issue("A")
    assert info.value.reason == "after_last_ticket"
    clock.set(local(16, 0))
    with pytest.raises(IssueRefused) as info:
        store.issue("A")
    assert info.value.reason == "closed"
    assert store.db["tickets"].count == 0 and store.db["events"].count == 0


def test_quota(tmp_path: Path, clock: ManualClock):
    settings = cfg.load(write_config(tmp_path, replace={"quota = 0                         #":
                                                         "quota = 2                         #"}))
    with Store(settings, clock=clock) as s:
        s.issue("A")
        s.issue("A")
        with pytest.raises(IssueRefused) as info:
            s.issue("A")
        assert info.value.reason == "quota"
        assert s.issue("B").ticket.label == "B001"  # other services unaffected


def test_clock_jump_stops_issuing(store: Store, clock: ManualClock):
    store.issue("A")
    clock.set(local(8, 30))  # half an hour earlier than the newest event
    with pytest.raises(IssueRefused) as info:
        store.issue("A")
    assert info.value.reason == "clock"
    assert "behind" in str(info.value)
    with pytest.raises(IssueRefused):
        store.issue("A")
    assert events(store).count("clock_jump") == 1  # logged once, not per attempt
    assert views.status(store).clock_problem
    clock.set(local(8, 59))  # one minute behind is normal drift between machines
    assert store.issue("A").ticket.label == "A002"
    assert [r["label"] for r in store.db.query("SELECT label FROM tickets")] == ["A001", "A002"]


def test_call_next_follows_the_policy(store: Store, clock: ManualClock):
    store.issue("A")                   # A001 regular 09:00
    clock.advance(60)
    store.issue("B")                   # B001 regular 09:01
    clock.advance(60)
    store.issue("A", need="lansia")    # A002 priority 09:02
    clock.advance(60)
    store.issue("C")                   # C001 (counter 1 does not serve C)
    called = [store.call_next(1).label for _ in range(3)]
    assert called == ["A002", "A001", "B001"]
    assert store.call_next(1) is None  # nothing left for counter 1; B001 finished
    assert store.find("B001").state == "done"
    assert store.find("C001").state == "waiting"
    t = store.find("A002")
    assert t.state == "done" and t.counter == 1
    assert events(store, t.id) == ["issued", "called", "finished"]


def test_call_opens_a_closed_counter_and_refuses_a_paused_one(store: Store):
    store.issue("A")
    assert store.counter_states()[1].state == "closed"
    store.call_next(1)
    assert store.counter_states()[1].state == "open"
    store.counter(1, "pause")
    with pytest.raises(NotAllowed, match="paused"):
        store.call_next(1)
    store.counter(1, "resume")
    kinds = events(store)
    assert ["counter_opened", "called", "counter_paused", "counter_resumed"] == [
        k for k in kinds if k != "issued"]


def test_recall_start_finish_no_show(store: Store, clock: ManualClock):
    for _ in range(3):
        store.issue("A")
    store.call_next(1)
    assert store.recall(1).recalls == 1
    assert store.recall(1).recalls == 2
    with pytest.raises(NotAllowed, match="no-show"):
        store.recall(1)
    gone = store.no_show(1)
    assert gone.state == "no_show" and gone.finished_at
    with pytest.raises(NotAllowed, match="no ticket called"):
        store.finish(1)
    store.call_next(1)
    clock.advance(30)
    started = store.start(1)
    assert started.state == "serving" and started.started_at
    with pytest.raises(NotAllowed, match="serving"):
        store.recall(1)
    clock.advance(240)
    done = store.finish(1)
    assert done.state == "done"
    assert events(store, done.id) == ["issued", "called", "started", "finished"]
    assert events(store, gone.id) == ["issued", "called", "recalled", "recalled", "no_show"]


def test_transfer_keeps_the_label_front_and_back(store: Store, clock: ManualClock):
    for _ in range(3):
        store.issue("C")                     # C001..C003 waiting
    store.issue("A")
    clock.advance(600)
    store.call_next(1)                       # A001 at counter 1
    moved = store.transfer("A001", "C")      # config: front
    assert moved.label == "A001" and moved.service == "C" and moved.prefix == "A"
    assert moved.state == "waiting" and moved.counter is None
    assert moved.queued_at == "2026-11-27T02:10:00.000Z"
    assert store.call_next(3).label == "A001"   # at the front of C
    store.issue("A")
    store.call_next(1)                       # A002
    store.transfer("A002", "C", position="back")
    assert [store.call_next(3).label for _ in range(4)] == ["C001", "C002", "C003", "A002"]
    detail = json.loads(next(store.db.query(
        "SELECT detail FROM events WHERE kind = 'transferred' ORDER BY id LIMIT 1"))["detail"])
    assert detail == {"label": "A001", "from": "A", "to": "C", "position": "front",
                      "state": "called"}
    with pytest.raises(UsageError, match='unknown service "Z"'):
        store.transfer("A002", "Z")


def test_reclassify_and_cancel(store: Store):
    store.issue("A")
    store.issue("A", need="hamil")
    assert store.reclassify("A002", None).need is None
    assert store.call_next(1).label == "A001"  # no longer ahead
    assert store.cancel("A002").state == "cancelled"
    with pytest.raises(NotAllowed):
        store.cancel("A002")
    with pytest.raises(UsageError, match='unknown need "vip"'):
        store.reclassify("A001", "vip")
    with pytest.raises(UsageError, match='no ticket "A999" today'):
        store.cancel("A999")


def test_day_close_expires_what_waits(store: Store):
    for _ in range(3):
        store.issue("B")
    store.call_next(1)
    assert store.day_close() == 2
    states = [r["state"] for r in store.db.query("SELECT state FROM tickets ORDER BY id")]
    assert states == ["called", "expired", "expired"]
    assert events(store).count("expired") == 2 and "day_closed" in events(store)
    assert store.day_open() == 0


def test_unknown_counter(store: Store):
    with pytest.raises(UsageError, match="unknown counter 9"):
        store.call_next(9)
    with pytest.raises(UsageError, match="unknown counter 9"):
        store.counter(9, "open")


def test_events_are_append_only_in_practice(store: Store, clock: ManualClock):
    store.issue("A")
    before = list(store.db.query("SELECT * FROM events"))
    store.call_next(1)
    clock.advance(100)
    store.finish(1)
    after = list(store.db.query("SELECT * FROM events"))
    assert after[: len(before)] == before


def test_staff_pins_and_lockout(settings: cfg.Settings, clock: ManualClock):
    with Store(settings, clock=clock) as s:
        s.staff_add("Sari", "staff", "4821")
        stored = s.db.query("SELECT pin_hash FROM staff").__next__()["pin_hash"]
        assert stored.startswith("scrypt$") and "4821" not in stored
        assert s.sign_in("Sari", "4821", 1).role == "staff"
        assert s.counter_states()[1].state == "open"
        for _ in range(4):
            with pytest.raises(PinError, match="wrong name or PIN"):
                s.verify_pin("Sari", "0000", counter=1)
        with pytest.raises(PinError, match="too many wrong PINs"):
            s.verify_pin("Sari", "0000", counter=1)
    # the lockout is in the store: a new process (a reloaded tab) sees it
    with Store(settings, clock=clock) as s:
        with pytest.raises(PinError, match="try again in"):
            s.verify_pin("Sari", "4821")
        clock.advance(61)
        assert s.verify_pin("Sari", "4821").name == "Sari"
        with pytest.raises(PinError, match="not an admin"):
            s.verify_pin("Sari", "4821", need_role="admin")
        s.sign_out("Sari", 1)
        kinds = events(s)
        assert kinds.count("pin_failed") == 5
        assert "signed_in" in kinds and "signed_out" in kinds
        assert s.counter_states()[1].state == "closed"
        with pytest.raises(UsageError, match="4 to 12 digits"):
            s.staff_add("Budi", "staff", "12")


def test_commit_failure_leaves_no_ticket(store: Store, monkeypatch: pytest.MonkeyPatch):
    def boom() -> None:
        raise sqlite3.OperationalError("disk I/O error (injected)")

    monkeypatch.setattr(store, "_commit", boom)
    with pytest.raises(StoreFault, match="failed to read or write"):  # one plain sentence
        store.issue("A")
    monkeypatch.undo()
    assert store.db["tickets"].count == 0 and store.db["events"].count == 0
    assert store.issue("A").ticket.label == "A001"


def test_devices_and_cursors(store: Store):
    store.set_device("main", "printer", "paper_low", "near end")
    store.set_device("main", "printer", "ok")
    assert store.devices()["main"].state == "ok"
    assert store.get_cursor("announcer") == 0
    store.set_cursor("announcer", 42)
    assert store.get_cursor("announcer") == 42


def test_status_counts_per_service_and_class(store: Store, clock: ManualClock):
    store.issue("A")
    store.issue("A", need="anak")
    clock.advance(600)
    store.issue("B")
    status = views.status(store)
    a = next(s for s in status.services if s.service == "A")
    assert (a.waiting, a.priority, a.regular, a.oldest_wait_min) == (2, 1, 1, 10.0)
    assert status.counters[0].counter == 1 and status.clock_problem is None
    # The admin's per-class figures come from the same rows, split by the same classes.
    from kiosk import reports, rows
    assert views.CLASSES == rows.CLASSES == reports.CLASSES
    now = store.now()
    assert views.by_class(status.waiting, now)["priority"] == views.WaitingNow(1, 10.0)
    assert views.everyone(status.waiting, now) == views.WaitingNow(3, 10.0)


def test_a_refused_issue_does_not_skip_the_day_roll(store: Store, clock: ManualClock,
                                                    tmp_path: Path):
    store.issue("A")
    clock.set(local(9, 0, day=28))
    with pytest.raises(UsageError):
        store.issue("A", need="vip")   # refused before any write
    clock.set(local(7, 0, day=28))
    with pytest.raises(IssueRefused):
        store.issue("A")               # refused: closed
    clock.set(local(9, 0, day=28))
    assert store.call_next(3) is None  # the first real verb of the day rolls it
    assert store.find("A001", day="2026-11-27").state == "expired"


def test_a_ticket_left_open_overnight_is_expired_not_finished(store: Store, clock: ManualClock):
    store.issue("A")
    store.call_next(1)                      # A001 called, never finished
    clock.set(local(8, 30, day=28))
    store.issue("A")
    assert store.call_next(1).label == "A001"
    old = store.find("A001", day="2026-11-27")
    assert old.state == "expired"
    assert events(store, old.id) == ["issued", "called", "expired"]


def test_sign_out_is_refused_while_a_patron_is_called(store: Store):
    store.staff_add("Sari", "staff", "4821")
    store.sign_in("Sari", "4821", 1)
    store.issue("A")
    store.call_next(1)
    with pytest.raises(NotAllowed, match="A001 is still called at counter 1"):
        store.sign_out("Sari", 1)
    store.finish(1)
    store.sign_out("Sari", 1)
    assert store.counter_states()[1].state == "closed"


def test_a_store_held_locked_too_long_is_a_plain_error(store: Store):
    from kiosk.exceptions import StoreBusy

    other = sqlite3.connect(str(store.path), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    store.conn.execute("PRAGMA busy_timeout=200")
    try:
        with pytest.raises(StoreBusy, match="stayed locked"):
            store.issue("A")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.issue("A").ticket.label == "A001"



@pytest.mark.parametrize("seed", [7, 8, 9, 10])
def test_kept_replays_give_the_same_outlook_as_a_fresh_look(settings, clock, seed):
    """Issue 19: a ticket behind everyone continues this process's last replay of the queue
    (kiosk.store.estimate, `_Tail`); every outlook must be what a process without it says,
    whatever happens in between: calls here and elsewhere, priority tickets, batches."""
    import random

    rng = random.Random(seed)
    kept = 0
    with Store(settings, clock=clock) as store, Store(settings, clock=clock) as fresh, \
            Store(settings, clock=clock) as elsewhere:
        for counter in (1, 2, 3, 4):
            store.counter(counter, "open")
        for step in range(200):
            clock.advance(rng.choice([0, 0, 0, 0.5, 5, 40]))
            roll = rng.random()
            if roll < 0.08:
                elsewhere.call_next(rng.choice([1, 2, 3, 4]))
                continue
            if roll < 0.12:
                store.call_next(rng.choice([1, 2, 3, 4]))
                continue
            need = "lansia" if rng.random() < 0.1 else None
            if roll < 0.3:
                batch = store.issue_many([{"service": rng.choice("ABCDE"), "need": need}
                                          for _ in range(rng.randint(1, 4))])
                issued = [b for b in batch if not isinstance(b, Exception)]
            else:
                issued = [store.issue(rng.choice("ABCDE"), need)]
            last = issued[-1]
            kept += bool(store._tails)
            again = fresh.outlook(last.ticket)
            assert (last.people_ahead, last.estimated_wait_min, last.opens_at) == (
                again.people_ahead, again.estimated_wait_min, again.opens_at), step
        assert kept > 20  # the replays were kept and used
