"""`kiosk sync`: ship the site's event log and settled tickets to the central database.

One batch, and why a crash anywhere in it is safe:

1. read the events after the cursor and the settled tickets they concern, in one snapshot
   of the store (a read transaction: no kiosk or counter ever waits on the sync);
2. make the months' partitions the batch needs (each its own short transaction);
3. in ONE central transaction: COPY the rows into temporary tables, insert the events
   that the centre does not have yet (by site and event id), upsert the tickets (a later
   reading of a ticket wins), move the site's `last_event`; commit;
4. only then move the site's cursor in the store.

A crash before 3 commits leaves the centre as it was; a crash between 3 and 4 sends the
batch again, and the centre ignores what it has: nothing is ever counted twice. Every run
starts with the site's identity check: the first sync registers (site, SHA-256 of the
site's key); another key under the same id is refused, so two sites given one id by
mistake never mix their queues.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import psycopg

from kiosk import clock as clk
from kiosk.central import schema
from kiosk.central.connect import SiteRefused, SyncFault, connect, explain, where
from kiosk.config import Settings, masked
from kiosk.exceptions import KioskError
from kiosk.rows import NEED_KEYS, Ticket, redacted
from kiosk.store import Store
from kiosk.store.shipping import (
    RATING_CURSOR,
    SURVEY_CURSOR,
    SYNC_CURSOR,
    Shipment,
    ShippedEvent,
)

log = logging.getLogger("kiosk.sync")

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 300.0
"""After a fault: wait 1 s, then 2, 4, ... at most 5 minutes, until a run succeeds."""
SKEW_WARN_S = 300.0
"""A site clock this far from the centre's is said in the log (each row keeps the site's own
time: nothing at the centre depends on two sites' clocks agreeing)."""
CRASH_ENV = "KIOSK_SYNC_CRASH_AT"
"""Tests only: "POINT" or "POINT:N" makes the process die (os._exit(137), as a kill -9)
the Nth time it reaches POINT (one of CRASH_POINTS)."""
CRASH_POINTS = ("after-read", "after-events", "before-commit", "after-commit", "after-cursor")

EVENT_COLUMNS = "site, id, ticket_id, kind, at, counter, actor, detail"
TICKET_COLUMNS = ("site, id, day, prefix, number, label, service, priority, need, lang, kiosk,"
                  " state, counter, issued_at, queued_at, called_at, started_at, finished_at,"
                  " recalls, version, slot_at, booking_id")
_UPDATED = [c.strip() for c in TICKET_COLUMNS.split(",")][3:]
BOOKING_COLUMNS = ("site, id, service, day, slot_start, slot_end, slot_at, priority, need,"
                   " lang, state, created_at, checked_in_at, cancelled_at, ticket_id, version")
_BOOKING_UPDATED = [c.strip() for c in BOOKING_COLUMNS.split(",")][2:]


@dataclass(frozen=True)
class Report:
    """What one run shipped."""

    site: str
    centre: str
    """host[:port]/db, never the user or the password."""
    events: int
    """Events new to the centre (a batch sent again counts 0)."""
    tickets: int
    """Ticket rows written (new, or a later reading of one)."""
    responses: int
    """Survey responses and quick ratings new to the centre."""
    batches: int
    cursor: int
    behind: int
    """Events still at the site only (new since the run began)."""
    skew_s: float
    """The site's clock minus the centre's, seconds."""

    def as_json(self) -> dict[str, object]:
        return asdict(self)


class Sync:
    """One site's shipping to one centre."""

    def __init__(self, store: Store, settings: Settings, url: str) -> None:
        self.store = store
        self.site = settings.site.id
        self.url = url
        self.batch = settings.sync.batch
        self.send_needs = settings.sync.send_needs
        self.interval_s = float(settings.sync.interval_s)
        self._crash, self._crash_at = _crash_plan()

    # -- one run ---------------------------------------------------------------------------

    def run(self, alive: Callable[[], None] = lambda: None) -> Report:
        """Ship everything after the cursor, batch by batch; faults as SyncFault."""
        key_hash = hashlib.sha256(self.store.site_key()).hexdigest()
        conn = connect(self.url, application=f"kiosk-sync {self.site}")
        try:
            return self._run(conn, key_hash, alive)
        except psycopg.Error as exc:
            raise explain(exc, self.url) from None
        finally:
            conn.close()

    def _run(self, conn: psycopg.Connection, key_hash: str,
             alive: Callable[[], None]) -> Report:
        last, skew = self._register(conn, key_hash)
        self._check_continuity(conn, last)
        # The centre may know less than the cursor says (a new or restored centre): send
        # from what it has. It may know more (a crash after its commit): the rest is
        # sent again and ignored.
        cursor = min(self.store.get_cursor(SYNC_CURSOR), last)
        events = tickets = batches = 0
        while True:
            shipment = self.store.shipment(cursor, self.batch)
            if not shipment.events:
                break
            self._reached("after-read")
            new_events, new_tickets = self._ship(conn, key_hash, shipment)
            self._reached("after-commit")
            cursor = shipment.events[-1].id
            self.store.set_cursor(SYNC_CURSOR, cursor)
            self._reached("after-cursor")
            events, tickets, batches = events + new_events, tickets + new_tickets, batches + 1
            alive()
            if len(shipment.events) < self.batch:
                break
        responses = self._ship_survey(conn, key_hash, alive)
        behind, _ = self.store.unshipped(cursor)
        return Report(self.site, where(self.url), events, tickets, responses, batches, cursor,
                      behind, skew)

    def _ship_survey(self, conn: psycopg.Connection, key_hash: str,
                     alive: Callable[[], None]) -> int:
        """The survey's responses and the quick ratings, after their own cursors, as the
        events are: committed at the centre, then the cursors move. Ids above what the
        centre has are COPYed; the few at or below it (sent again after a crash between
        the centre's commit and the cursors) are inserted where missing."""
        shipped = 0
        # A centre restored from an older copy may lack what the cursors say it has.
        had = conn.execute("SELECT (SELECT COALESCE(max(id), 0) FROM survey_responses WHERE"
                           " site = %(s)s), (SELECT COALESCE(max(id), 0) FROM quick_ratings"
                           " WHERE site = %(s)s)", {"s": self.site}).fetchone()
        assert had is not None
        had_response, had_rating = int(had[0]), int(had[1])
        after_response = min(self.store.get_cursor(SURVEY_CURSOR), had_response)
        after_rating = min(self.store.get_cursor(RATING_CURSOR), had_rating)
        while True:
            responses, answers, ratings = self.store.survey_shipment(
                after_response, after_rating, self.batch)
            if not responses and not ratings:
                return shipped
            with conn.transaction(), conn.cursor() as cur:
                row = cur.execute("SELECT key_hash FROM sites WHERE site = %s FOR UPDATE",
                                  (self.site,)).fetchone()
                if row is None or row[0] != key_hash:
                    raise SiteRefused(f'the centre no longer knows site id "{self.site}"'
                                      " with this site's key: stopped")
                site = self.site
                shipped += _copy_new(
                    cur, "survey_responses", "id, ticket_id, day, service, counter,"
                    " priority, at, via", had_response,
                    [(site, i, tid, day, service, counter, bool(prio), at, via)
                     for i, tid, day, service, counter, prio, at, via in responses])
                _copy_new(cur, "survey_answers", "response_id, code, value", had_response,
                          [(site, *a) for a in answers])
                shipped += _copy_new(
                    cur, "quick_ratings", "id, ticket_id, day, service, counter, priority,"
                    " at, score", had_rating,
                    [(site, i, tid, day, service, counter, bool(prio), at, score)
                     for i, tid, day, service, counter, prio, at, score in ratings])
            if responses:
                after_response = responses[-1][0]
                self.store.set_cursor(SURVEY_CURSOR, after_response)
            if ratings:
                after_rating = ratings[-1][0]
                self.store.set_cursor(RATING_CURSOR, after_rating)
            alive()

    def _check_continuity(self, conn: psycopg.Connection, last: int) -> None:
        """Refuse a store that is behind what the centre holds for this site: one restored
        from an older copy (or replaced) would number its next events with ids the centre
        already has for other events, and those would be dropped as sent already. Events
        are never taken off the top of the log (a purge takes the oldest), so a store whose
        newest event is older than the centre's last, or whose event of that id differs
        (time, kind, ticket, counter, actor or detail), is not the store the centre has
        been receiving."""
        if last <= 0:
            return
        newest, mine = self.store.event_at(last)
        if mine is None and newest >= last:
            return  # purged at the site since: nothing to compare, nothing reused
        row = conn.execute("SELECT at, kind, ticket_id, counter, actor, detail FROM events"
                           " WHERE site = %s AND id = %s", (self.site, last)).fetchone()
        theirs = None if row is None else (clk.iso(row[0]), *row[1:5], row[5] or {})
        if mine is not None:
            at, kind, ticket_id, counter, actor, detail = mine
            detail = json.loads(detail) if detail else {}
            if not self.send_needs:
                detail = redacted(kind, detail)
            if theirs is None or theirs == (at, kind, ticket_id, counter, actor, detail):
                return
        raise SiteRefused(
            f'this store is not the one the centre holds for site "{self.site}" (the centre'
            f" has its events up to {last}, this store's newest is {newest}"
            + ("" if mine is None else f" and event {last} differs") + "): it was restored"
            " from an older copy or replaced, and its next events would reuse ids the centre"
            " holds; nothing was shipped. Give it a new [site] id (for example"
            f' "{self.site}-2") and sync again: the centre keeps both')

    def _register(self, conn: psycopg.Connection, key_hash: str) -> tuple[int, float]:
        """The identity check: (the centre's last event of this site, the clock skew)."""
        found = schema.version(conn)
        if found is None:
            raise SyncFault(f"the central database at {where(self.url)} has no kiosk tables"
                            f" yet: run kiosk central init {masked(self.url)}")
        if found != schema.SCHEMA_VERSION:
            newer = found > schema.SCHEMA_VERSION
            raise SyncFault(
                f"the central database at {where(self.url)} is at schema {found}, this"
                f" program's is {schema.SCHEMA_VERSION}: "
                + ("upgrade this site's kiosk" if newer
                   else f"run kiosk central migrate {masked(self.url)}"))
        with conn.transaction():
            conn.execute("INSERT INTO sites (site, key_hash) VALUES (%s, %s)"
                         " ON CONFLICT (site) DO NOTHING", (self.site, key_hash))
            row = conn.execute("SELECT key_hash, last_event, now() FROM sites WHERE site = %s",
                               (self.site,)).fetchone()
            assert row is not None
            if row[0] != key_hash:
                raise SiteRefused(
                    f'the centre refuses site id "{self.site}": another site already syncs'
                    " under it (its identity key differs: another site given the same id, or"
                    " this store restored from a copy made before its first sync); give this"
                    " store its own [site] id")
            skew = (self.store.now() - row[2]).total_seconds()
            conn.execute("UPDATE sites SET skew_s = %s WHERE site = %s", (skew, self.site))
        if abs(skew) > SKEW_WARN_S:
            log.warning("this site's clock is %.0f min %s the centre's (%+.0f s): rows keep"
                        " the site's own times; set the clock (timedatectl) to compare sites",
                        abs(skew) / 60, "ahead of" if skew > 0 else "behind", skew)
        return int(row[1]), skew

    def _ship(self, conn: psycopg.Connection, key_hash: str,
              shipment: Shipment) -> tuple[int, int]:
        """Steps 2 and 3 of the module's docstring: (events new, tickets written)."""
        months = {_month(m) for m in {e.at[:7] for e in shipment.events}
                  | {t.day[:7] for t in shipment.tickets}}
        schema.ensure_months(conn, months)
        with conn.transaction():
            # The row lock orders two syncs of one site; the key is checked again under it.
            row = conn.execute("SELECT key_hash, last_event FROM sites WHERE site = %s"
                               " FOR UPDATE", (self.site,)).fetchone()
            if row is None or row[0] != key_hash:
                raise SiteRefused(f'the centre no longer knows site id "{self.site}" with'
                                  " this site's key: stopped")
            new_events = self._copy_events(conn, shipment.events, int(row[1]))
            self._reached("after-events")
            written = self._copy_tickets(conn, shipment)
            self._copy_bookings(conn, shipment)
            conn.execute("UPDATE sites SET last_event = GREATEST(last_event, %s),"
                         " last_sync = now() WHERE site = %s",
                         (shipment.events[-1].id, self.site))
            self._reached("before-commit")
        return new_events, written

    def _copy_events(self, conn: psycopg.Connection, events: list[ShippedEvent],
                     last: int) -> int:
        """Idempotent on (site, id). The centre holds every event of the site up to `last`
        (its `last_event` moves in the same transaction as the rows) and none after it, so
        the events after `last` are COPYed straight into their partitions; only the few at
        or below it (a batch sent again after a crash between the centre's commit and the
        site's cursor) go through a temporary table and are inserted where missing."""
        again = [e for e in events if e.id <= last] if events[0].id <= last else []
        fresh = events[len(again):] if again else events
        with conn.cursor() as cur:
            if fresh:
                with cur.copy(f"COPY events ({EVENT_COLUMNS}) FROM STDIN") as copy:
                    for e in fresh:
                        copy.write_row(self._event_row(e))
            if not again:
                return len(fresh)
            cur.execute("CREATE TEMP TABLE incoming_events (site text, id bigint,"
                        " ticket_id bigint, kind text, at timestamptz, counter integer,"
                        " actor text, detail jsonb) ON COMMIT DROP")
            with cur.copy(f"COPY incoming_events ({EVENT_COLUMNS}) FROM STDIN") as copy:
                for e in again:
                    copy.write_row(self._event_row(e))
            cur.execute(f"INSERT INTO events ({EVENT_COLUMNS}) SELECT {EVENT_COLUMNS}"
                        " FROM incoming_events i WHERE NOT EXISTS (SELECT 1 FROM events e"
                        " WHERE e.site = i.site AND e.id = i.id) ON CONFLICT DO NOTHING")
            return len(fresh) + max(cur.rowcount, 0)

    def _event_row(self, e: ShippedEvent) -> tuple[object, ...]:
        detail = e.detail
        if detail and not self.send_needs and e.kind in NEED_KEYS:
            detail = json.dumps(redacted(e.kind, json.loads(detail)))
        return (self.site, e.id, e.ticket_id, e.kind, e.at, e.counter, e.actor, detail)

    def _copy_tickets(self, conn: psycopg.Connection, shipment: Shipment) -> int:
        if not shipment.tickets:
            return 0
        conn.execute("CREATE TEMP TABLE incoming_tickets (LIKE tickets INCLUDING DEFAULTS)"
                     " ON COMMIT DROP")
        with conn.cursor() as cur:
            with cur.copy(f"COPY incoming_tickets ({TICKET_COLUMNS}) FROM STDIN") as copy:
                for t in shipment.tickets:
                    copy.write_row(self._ticket_row(t, shipment))
            updates = ", ".join(f"{c} = excluded.{c}" for c in _UPDATED)
            cur.execute(f"INSERT INTO tickets ({TICKET_COLUMNS}) SELECT {TICKET_COLUMNS}"
                        " FROM incoming_tickets ON CONFLICT (site, id, day) DO UPDATE SET"
                        f" {updates}, received_at = now()"
                        " WHERE tickets.version < excluded.version")
            return max(cur.rowcount, 0)

    def _ticket_row(self, t: Ticket, shipment: Shipment) -> tuple[object, ...]:
        slot_at, booking_id = shipment.slots.get(t.id, (None, None))
        return (self.site, t.id, t.day, t.prefix, t.number, t.label, t.service, t.priority,
                t.need if self.send_needs else None, t.lang, t.kiosk, t.state, t.counter,
                t.issued_at, t.queued_at, t.called_at, t.started_at, t.finished_at,
                t.recalls, shipment.newest, slot_at, booking_id)

    def _copy_bookings(self, conn: psycopg.Connection, shipment: Shipment) -> None:
        """The batch's bookings as they stand; a later reading wins (`version`)."""
        if not shipment.bookings:
            return
        conn.execute("CREATE TEMP TABLE incoming_bookings (LIKE bookings INCLUDING DEFAULTS)"
                     " ON COMMIT DROP")
        with conn.cursor() as cur:
            with cur.copy(f"COPY incoming_bookings ({BOOKING_COLUMNS}) FROM STDIN") as copy:
                for (bid, service, day, start, end, slot_at, need, lang, state, created,
                     checked_in, cancelled, ticket_id) in shipment.bookings:
                    copy.write_row((self.site, bid, service, day, start, end, slot_at,
                                    need is not None, need if self.send_needs else None,
                                    lang, state, created, checked_in, cancelled, ticket_id,
                                    shipment.newest))
            updates = ", ".join(f"{c} = excluded.{c}" for c in _BOOKING_UPDATED)
            cur.execute(f"INSERT INTO bookings ({BOOKING_COLUMNS}) SELECT {BOOKING_COLUMNS}"
                        " FROM incoming_bookings ON CONFLICT (site, id) DO UPDATE SET"
                        f" {updates}, received_at = now()"
                        " WHERE bookings.version < excluded.version")

    # -- the loop ----------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event, alive: Callable[[], None]) -> None:
        """Sync every `interval_s` until `stop`; after a fault, one line in the log and
        a retry after 1 s, 2 s, 4 s ... at most 5 minutes. `alive` is the watchdog's
        ping, called between batches and while waiting."""
        delay = BACKOFF_FIRST_S
        while not stop.is_set():
            alive()
            try:
                report = self.run(alive)
            except KioskError as exc:
                log.warning("%s; trying again in %.0f s", exc, delay)
                wait, delay = delay, min(delay * 2, BACKOFF_MAX_S)
            except Exception as exc:  # a fault of the program: said, and retried too
                log.error("sync stopped on a fault in the program (%s); trying again in"
                          " %.0f s", masked(str(exc)) or type(exc).__name__, delay)
                wait, delay = delay, min(delay * 2, BACKOFF_MAX_S)
            else:
                if report.events or report.tickets:
                    log.info("shipped %d event(s) and %d ticket(s) to %s (cursor %d)",
                             report.events, report.tickets, report.centre, report.cursor)
                wait, delay = self.interval_s, BACKOFF_FIRST_S
            _wait(stop, wait, alive)

    def _reached(self, point: str) -> None:
        if self._crash == point:
            self._crash_at -= 1
            if self._crash_at <= 0:
                os._exit(137)


def _copy_new(cur: psycopg.Cursor[Any], table: str, columns: str, had: int,
              rows: list[tuple[Any, ...]]) -> int:
    """Rows (site first, then the id the centre keys on) into `table`: those with an id
    above `had`, the centre's highest, by COPY; the rest where missing. The rows written."""
    again = [r for r in rows if r[1] <= had]
    fresh = [r for r in rows if r[1] > had]
    if fresh:
        with cur.copy(f"COPY {table} (site, {columns}) FROM STDIN") as copy:  # type: ignore[arg-type]
            for r in fresh:
                copy.write_row(r)
    if not again:
        return len(fresh)
    marks = ", ".join(["%s"] * len(again[0]))
    cur.executemany(f"INSERT INTO {table} (site, {columns}) VALUES ({marks})"  # type: ignore[arg-type]
                    " ON CONFLICT DO NOTHING", again)
    return len(fresh) + max(cur.rowcount, 0)


def _wait(stop: threading.Event, seconds: float, alive: Callable[[], None]) -> None:
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0 or stop.wait(min(left, 5.0)):
            return
        alive()


def _month(year_month: str) -> date:
    return date(int(year_month[:4]), int(year_month[5:7]), 1)


def _crash_plan() -> tuple[str | None, int]:
    text = os.environ.get(CRASH_ENV, "")
    if not text:
        return None, 0
    point, _, nth = text.partition(":")
    if point not in CRASH_POINTS:
        raise ValueError(f"{CRASH_ENV}: unknown point {point!r} (one of {CRASH_POINTS})")
    return point, int(nth or 1)


__all__ = ["Report", "Sync"]
