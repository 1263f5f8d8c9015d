"""What `kiosk sync` ships to the head office, read from the store (issue 25).

The sync reads here through one snapshot per batch (a deferred read transaction: it never
takes the write lock, so no kiosk or counter waits on it); what it writes is one short
transaction once a batch is safe at the centre (its cursor), and once per store its
identity key. Shipping rules live in kiosk/central; this room only reads and keeps.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from kiosk import clock as clk
from kiosk.rows import Event, Ticket
from kiosk.store.base import StoreBase

SYNC_CURSOR = "sync:central"
"""The cursor (in `cursors`) of the last event the centre has committed."""
BOOKING_KINDS = ("booked", "booking_cancelled", "checked_in")
"""Events after which a booking is shipped (again) as it stands."""
BOOKING_COLUMNS = ("id, service, day, slot_start, slot_end, slot_at, need, lang, state,"
                   " created_at, checked_in_at, cancelled_at, ticket_id")
"""What of a booking travels (never its code or its token)."""
SURVEY_CURSOR = "sync:survey"
RATING_CURSOR = "sync:ratings"
"""The last survey response and quick rating the centre has committed."""
FINAL_STATES = ("done", "no_show", "expired", "cancelled")
"""A ticket in one of these states is settled: its row is shipped (again, should it be
requeued and settle anew)."""


class ShippedEvent(NamedTuple):
    """An event as it leaves: its detail still the store's JSON text, so the sync parses
    only the details it must redact (a JSON round trip per event was a fifth of a batch's
    time)."""

    id: int
    ticket_id: int | None
    kind: str
    at: str
    counter: int | None
    actor: str | None
    detail: str | None


@dataclass(frozen=True)
class Shipment:
    """One batch as the store holds it at one moment."""

    events: list[ShippedEvent]
    """The events after the cursor, oldest first, at most the batch size."""
    tickets: list[Ticket]
    """The settled tickets that an event of the batch concerns, as they are now."""
    newest: int
    """The newest event id in the store at that moment: the tickets' version (a later
    snapshot of a ticket wins at the centre, whichever process ships it)."""
    slots: dict[int, tuple[str | None, int | None]] = field(default_factory=dict)
    """(slot_at, booking_id) of the tickets above that are appointments (not in Ticket)."""
    bookings: list[tuple[Any, ...]] = field(default_factory=list)
    """The bookings an event of the batch concerns, as they are now: (id, service, day,
    slot_start, slot_end, slot_at, need, lang, state, created_at, checked_in_at,
    cancelled_at, ticket_id); never the code or the token."""


class Shipping(StoreBase):
    """The site's identity key and the batches of the sync."""

    def site_key(self) -> bytes:
        """The site's 32-byte identity key, made (and kept) on first use."""
        row = self.conn.execute("SELECT key FROM site_identity WHERE id = 1").fetchone()
        if row is not None:
            return bytes(row[0])
        with self.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO site_identity (id, key, created_at) VALUES (1, ?, ?)",
                (secrets.token_bytes(32), clk.iso(self.now())))
            row = self.conn.execute("SELECT key FROM site_identity WHERE id = 1").fetchone()
        return bytes(row[0])

    def shipment(self, cursor: int, limit: int) -> Shipment:
        """The next batch after `cursor`, from one consistent read of the file."""
        with self.snapshot():
            events = list(map(ShippedEvent._make, self.conn.execute(
                f"SELECT {Event.COLUMNS} FROM events WHERE id > ? ORDER BY id LIMIT ?",
                (cursor, limit))))
            ids = sorted({e.ticket_id for e in events if e.ticket_id is not None})
            rows = self.conn.execute(
                f"SELECT {Ticket.COLUMNS} FROM tickets"
                " WHERE id IN (SELECT value FROM json_each(?)) AND state IN"
                f" ({', '.join('?' for _ in FINAL_STATES)}) ORDER BY id",
                (json.dumps(ids), *FINAL_STATES)).fetchall() if ids else []
            newest = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
            slots = {tid: (slot_at, booking_id) for tid, slot_at, booking_id in
                     self.conn.execute(
                         "SELECT id, slot_at, booking_id FROM tickets WHERE id IN"
                         " (SELECT value FROM json_each(?)) AND booking_id IS NOT NULL",
                         (json.dumps([row[0] for row in rows]),))} if rows else {}
            booked = sorted({json.loads(e.detail)["booking"] for e in events
                             if e.kind in BOOKING_KINDS and e.detail
                             and '"booking"' in e.detail})
            bookings = self.conn.execute(
                f"SELECT {BOOKING_COLUMNS} FROM bookings"
                " WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
                (json.dumps(booked),)).fetchall() if booked else []
        return Shipment(events, [Ticket(*row) for row in rows], int(newest), slots, bookings)

    def survey_shipment(self, after_response: int, after_rating: int, limit: int
                        ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]],
                                   list[tuple[Any, ...]]]:
        """(responses, their answers, quick ratings) after the two cursors, oldest first,
        at most `limit` of each, from one read. What leaves: the day, service, counter,
        class and the answers; never the profile or the suggestion."""
        with self.snapshot():
            responses = self.conn.execute(
                "SELECT id, ticket_id, day, service, counter, priority, at, via"
                " FROM survey_responses WHERE id > ? ORDER BY id LIMIT ?",
                (after_response, limit)).fetchall()
            answers = self.conn.execute(
                "SELECT response_id, code, value FROM survey_answers"
                " WHERE response_id > ? AND response_id <= ? ORDER BY response_id",
                (after_response, responses[-1][0])).fetchall() if responses else []
            ratings = self.conn.execute(
                "SELECT id, ticket_id, day, service, counter, priority, at, score"
                " FROM quick_ratings WHERE id > ? ORDER BY id LIMIT ?",
                (after_rating, limit)).fetchall()
        return responses, answers, ratings

    def receive_survey(self, responses: list[tuple[Any, ...]], answers: list[tuple[Any, ...]],
                       ratings: list[tuple[Any, ...]], served: list[tuple[Any, ...]]) -> None:
        """Write survey rows read back from the centre into this scratch store (the
        survey report's own reads then count them), and `served`: (id, day, prefix,
        number, service, counter, priority) of the tickets served, the population. Links
        to tickets are dropped: the report does not follow them."""
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO tickets (id, day, prefix, number, label, service, need, state,"
                " counter, issued_at, queued_at, order_at, recalls) VALUES"
                " (?, ?, ?, ?, '', ?, ?, 'done', ?, '', '', 0, 0)",
                [(tid, day, prefix, number, service, "priority" if priority else None,
                  counter) for tid, day, prefix, number, service, counter, priority in served])
            self.conn.executemany(
                "INSERT INTO survey_responses (id, day, service, counter, priority, at, via)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", responses)
            self.conn.executemany(
                "INSERT INTO survey_answers (response_id, code, value) VALUES (?, ?, ?)",
                answers)
            self.conn.executemany(
                "INSERT INTO quick_ratings (id, day, service, counter, priority, at, score)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", ratings)

    def clear_received(self) -> None:
        """Empty this scratch store of what `receive_survey` wrote (the next site's turn)."""
        with self.transaction():
            for table in ("survey_answers", "survey_responses", "quick_ratings", "tickets"):
                self.conn.execute(f"DELETE FROM {table}")

    def event_at(self, event_id: int) -> tuple[int, tuple[Any, ...] | None]:
        """(the newest event id, event `event_id` as (at, kind, ticket_id, counter, actor,
        detail text) or None when the store has none of that id): what the sync compares
        with the centre."""
        with self.snapshot():
            newest = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()
            row = self.conn.execute("SELECT at, kind, ticket_id, counter, actor, detail"
                                    " FROM events WHERE id = ?", (event_id,)).fetchone()
        return int(newest[0]), None if row is None else tuple(row)

    def unshipped(self, cursor: int) -> tuple[int, str | None]:
        """(events after `cursor`, the time of the oldest of them): the sync's lag."""
        with self.snapshot():
            count, oldest = self.conn.execute(
                "SELECT COUNT(*), MIN(at) FROM events WHERE id > ?", (cursor,)).fetchone()
        return int(count), oldest

    def receive(self, events: list[Event], tickets: list[Ticket],
                slots: dict[int, tuple[str | None, int | None]] | None = None,
                bookings: list[tuple[Any, ...]] | None = None) -> None:
        """Write rows read back from the centre into this (fresh, scratch) store, in one
        transaction: the centre's report runs the site's own report code on them
        (kiosk.central.report), so no figure is defined twice. Tickets first (the events'
        foreign key); the ids are the site's own. `slots`: the appointments' (slot_at,
        booking_id); `bookings`: rows of BOOKING_COLUMNS, given a code and a token of their
        own here (the centre has neither)."""
        with self.transaction():
            self.conn.executemany(
                f"INSERT INTO tickets ({Ticket.COLUMNS}) VALUES"
                f" ({', '.join('?' for _ in Ticket.COLUMNS.split(','))})",
                [(t.id, t.day, t.prefix, t.number, t.label, t.service, t.need, t.lang,
                  t.kiosk, t.state, t.counter, t.issued_at, t.queued_at, t.order_at,
                  t.called_at, t.started_at, t.finished_at, t.recalls) for t in tickets])
            received = {t.id for t in tickets}
            self.conn.executemany("UPDATE tickets SET slot_at = ?, booking_id = ? WHERE id = ?",
                                  [(slot, bid, tid) for tid, (slot, bid) in (slots or {}).items()])
            self.conn.executemany(
                f"INSERT INTO bookings ({BOOKING_COLUMNS}, code, token_hash) VALUES"
                f" ({', '.join('?' for _ in BOOKING_COLUMNS.split(','))}, ?, ?)",
                [(*row[:-1], row[-1] if row[-1] in received else None,
                  f"{row[0] % 10**6:06d}", hashlib.sha256(str(row[0]).encode()).digest())
                 for row in bookings or []])
            self.conn.executemany(
                f"INSERT INTO events ({Event.COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(e.id, e.ticket_id, e.kind, e.at, e.counter, e.actor,
                  json.dumps(e.detail, ensure_ascii=False) if e.detail else None)
                 for e in events])
