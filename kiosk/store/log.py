"""The log and its neighbours: appending events, reading them after a cursor, the devices'
heartbeats, the announcers' cursors, the report cache, and the retention purge (the one
path that deletes from the append-only log: an admin's explicit, logged act).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from typing import Any

from kiosk import clock as clk
from kiosk.exceptions import NotAllowed, StoreBusy, UsageError
from kiosk.rows import Device, Event
from kiosk.store.base import StoreBase


class Log(StoreBase):
    """Events, devices, cursors, the report cache and the purge."""

    def set_device(self, name: str, kind: str, state: str, detail: str | None = None) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO devices (name, kind, state, detail, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET"
                " kind = excluded.kind, state = excluded.state, detail = excluded.detail,"
                " updated_at = excluded.updated_at",
                (name, kind, state, detail, clk.iso(self.now())),
            )

    def devices(self) -> dict[str, Device]:
        rows = self.conn.execute(f"SELECT {Device.COLUMNS} FROM devices ORDER BY name")
        return {row[0]: Device(*row) for row in rows.fetchall()}

    def log(self, kind: str, *, ticket_id: int | None = None, counter: int | None = None,
            actor: str | None = None, detail: dict[str, Any] | None = None) -> int:
        """Append one event on its own (printers, the announcer)."""
        with self.transaction():
            return self._event(
                kind,
                clk.iso(self.now()),
                ticket_id=ticket_id,
                counter=counter,
                actor=actor,
                detail=detail,
            )

    def events_after(self, event_id: int, kinds: tuple[str, ...] | None = None,
                     limit: int = 1000) -> list[Event]:
        """The events after `event_id` (of these kinds), oldest first."""
        sql = f"SELECT {Event.COLUMNS} FROM events WHERE id > ?"
        params: list[Any] = [event_id]
        if kinds:
            # `+kind`: walk the rowids after the cursor (a few new events), never every
            # event of these kinds through the (kind, at) index.
            sql += f" AND +kind IN ({', '.join('?' for _ in kinds)})"
            params.extend(kinds)
        sql += " ORDER BY id LIMIT ?"
        params.append(limit)
        return [Event.from_row(row) for row in self.conn.execute(sql, params).fetchall()]

    def newest_event_id(self, *, before: datetime | None = None) -> int:
        """The newest event's id (0: none); with `before`, of the events older than that."""
        if before is None:
            row = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()
        else:
            row = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM events WHERE at < ?",
                                    (clk.iso(before),)).fetchone()
        return int(row[0])

    def print_failure(self, ticket_id: int) -> str | None:
        """The reason of the ticket's latest print, if that print failed."""
        row = self.conn.execute(
            "SELECT kind, detail FROM events WHERE ticket_id = ? AND kind IN"
            " ('printed', 'print_failed') ORDER BY id DESC LIMIT 1",
            (ticket_id,),
        ).fetchone()
        if row is None or row[0] != "print_failed":
            return None
        return str(json.loads(row[1] or "{}").get("reason") or "unknown reason")

    def cursor(self, name: str) -> int | None:
        """Where the reader NAME (an announcer) has got to in the log; None: never set."""
        row = self.conn.execute("SELECT event_id FROM cursors WHERE name = ?",
                                (name,)).fetchone()
        return None if row is None else int(row[0])

    def get_cursor(self, name: str) -> int:
        """The cursor, 0 (the log's start) when never set."""
        return self.cursor(name) or 0

    def set_cursor(self, name: str, event_id: int) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO cursors (name, event_id, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET event_id = excluded.event_id,"
                " updated_at = excluded.updated_at",
                (name, event_id, clk.iso(self.now())),
            )

    # -- the report cache ------------------------------------------------------------------

    def put_report_cache(self, items: list[tuple[str, str, str]]) -> bool:
        """Keep settled periods' report partials: (period, fingerprint, data JSON) each.

        Derived data, so optional: False (nothing kept) when the file is read-only, busy,
        or this connection is inside a read snapshot (a screen's consistent read)."""
        if not items or self.conn.in_transaction:
            return False
        at = clk.iso(self.now())
        try:
            with self.transaction():
                self.conn.executemany(
                    "INSERT OR REPLACE INTO report_cache (period, fingerprint, built_at, data)"
                    " VALUES (?, ?, ?, ?)",
                    [(period, fingerprint, at, data) for period, fingerprint, data in items],
                )
        except (sqlite3.OperationalError, StoreBusy):
            return False
        return True

    # -- retention (issue 4: reports) ------------------------------------------------------
    # Purge is the one path that deletes from the append-only log. It is an admin's
    # explicit, logged act (UU 27/2022: needs are health data, kept only as long as needed).

    _PURGED_EVENTS = (
        " FROM events WHERE ticket_id IN (SELECT id FROM tickets WHERE day < ?)"
        " OR (ticket_id IS NULL AND at < ?)"
    )
    """The events a purge before a day deletes: its tickets' and the others (counters,
    devices...) older than that day's local midnight."""

    def _purge_counts(self, before: date) -> tuple[int, int, str]:
        """(tickets, events) a purge before `before` deletes, and its cutoff time."""
        cutoff_at, _ = clk.day_bounds_utc(before, self.tz)
        day = before.isoformat()
        tickets = self.conn.execute(
            "SELECT COUNT(*) FROM tickets WHERE day < ?", (day,)).fetchone()[0]
        events = self.conn.execute(
            "SELECT COUNT(*)" + self._PURGED_EVENTS, (day, cutoff_at)).fetchone()[0]
        return int(tickets), int(events), cutoff_at

    def purge_preview(self, before: str) -> dict[str, Any]:
        """What `purge(before)` would delete: {"before", "tickets", "events", "first_day"}
        (first_day: the oldest local day the store holds, or None)."""
        try:
            cutoff = date.fromisoformat(before)
        except ValueError:
            raise UsageError(
                f'--before must be a local date YYYY-MM-DD, got "{before}"') from None
        with self.snapshot():
            tickets, events, _ = self._purge_counts(cutoff)
            first_day = self.conn.execute("SELECT MIN(day) FROM tickets").fetchone()[0]
        return {"before": cutoff.isoformat(), "tickets": tickets, "events": events,
                "first_day": first_day}

    def purge(self, before: str, *, actor: str | None = None) -> dict[str, Any]:
        """Delete tickets and bookings of local days before `before` (YYYY-MM-DD), the
        tickets' events, and the other events (counters, devices, bookings...) older than
        local midnight of that day.

        Logged as a `purged` event that survives: it is written first, so it also keeps the
        newest event id (event ids are never reused, so announcer cursors stay valid).
        Returns {"before", "tickets", "events"}."""
        try:
            cutoff_day = datetime.strptime(before, "%Y-%m-%d").date()
        except ValueError:
            raise UsageError(f'--before must be a date YYYY-MM-DD, got "{before}"') from None
        if before > self.today():
            raise NotAllowed(f"cannot purge before {before}: that would delete today's queue")
        with self.transaction():
            at = clk.iso(self.now())
            tickets, events, cutoff_at = self._purge_counts(cutoff_day)
            detail = {"before": before, "tickets": tickets, "events": events}
            # Logged first (and never itself purged: its time is today, after the cutoff).
            self._event("purged", at, actor=actor, detail=detail)
            self.conn.execute("DELETE" + self._PURGED_EVENTS, (before, cutoff_at))
            # Bookings of those days too: a declared need is health data as a ticket's is.
            self.conn.execute("DELETE FROM bookings WHERE day < ?", (before,))
            self.conn.execute("DELETE FROM tickets WHERE day < ?", (before,))
            # Derived report data of purged days (periods are YYYY-MM-DD or YYYY-MM).
            self.conn.execute("DELETE FROM report_cache WHERE period < ?", (before,))
        return detail
