"""Reads the read side (kiosk/views.py) builds on: today's calls and who waits now.

Reads only: they change nothing, and no verb depends on them. They return typed rows
(kiosk.rows); what the board reads never includes a need.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from kiosk import clock as clk
from kiosk.rows import OPEN_STATES, Call, Ticket, Waiting
from kiosk.store.base import StoreBase
from kiosk.store.schema import CALL_KINDS, INDEXED_KINDS_SQL


class Reads(StoreBase):
    """The queries behind what screens, pages and the command line show."""

    def count_today(self, kind: str) -> int:
        """How many events of `kind` the local day has had so far (`at` index)."""
        start, end = clk.day_bounds_utc(date.fromisoformat(self.today()), self.tz)
        row = self.conn.execute("SELECT COUNT(*) FROM events WHERE at >= ? AND at < ?"
                                " AND kind = ?", (start, end, kind)).fetchone()
        return int(row[0])

    def recent_calls(self, limit: int = 8) -> list[Call]:
        """Today's calls, newest first, one per ticket (its latest `called` or `recalled`
        event), `open` while the ticket is still called or being served at that counter."""
        start, _ = clk.day_bounds_utc(self.now().astimezone(self.tz).date(), self.tz)
        rows = self.conn.execute(
            "SELECT e.id, e.kind, e.counter, t.label, t.state, t.counter FROM events e"
            " JOIN tickets t ON t.id = e.ticket_id"
            " WHERE e.id IN (SELECT MAX(id) FROM events WHERE kind IN (?, ?) AND at >= ?"
            f"   AND {INDEXED_KINDS_SQL} GROUP BY ticket_id)"
            " ORDER BY e.id DESC LIMIT ?",
            (*CALL_KINDS, start, limit),
        ).fetchall()
        return [
            Call(int(event_id), str(label), int(counter), kind == "recalled",
                 state in OPEN_STATES and now_counter == counter)
            for event_id, kind, counter, label, state, now_counter in rows
        ]

    def waiting(self, day: str | None = None) -> list[Waiting]:
        """Who waits now (today, or `day`): one row per service and class with a count and
        the oldest queue time. The only place the waiting counts are read: every screen's
        "waiting" and "oldest wait" figures derive from these rows (kiosk.views)."""
        rows = self.conn.execute(
            "SELECT service, need IS NOT NULL, COUNT(*), MIN(queued_at) FROM tickets"
            " WHERE state = 'waiting' AND day = ? GROUP BY service, need IS NOT NULL",
            (day or self.today(),),
        ).fetchall()
        return [Waiting(service, bool(priority), int(count), oldest)
                for service, priority, count, oldest in rows]

    def tickets_by_id(self, ids: Iterable[int]) -> list[Ticket]:
        """These tickets as they are now (the phone pages': many at once)."""
        wanted = sorted(set(ids))
        out: list[Ticket] = []
        for start in range(0, len(wanted), 500):  # well under SQLite's limit of variables
            chunk = wanted[start:start + 500]
            out += [Ticket(*row) for row in self.conn.execute(
                f"SELECT {Ticket.COLUMNS} FROM tickets WHERE id IN"
                f" ({', '.join('?' for _ in chunk)})", chunk)]
        return out

    def appointment_slots(self, ids: Iterable[int]) -> dict[int, str]:
        """The booked slot ("09:30–09:45") of each of these tickets that is an appointment
        (checked in within its grace; a late check-in is a walk-in and has none)."""
        wanted = sorted(set(ids))
        out: dict[int, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            out.update((tid, f"{begin}–{end}") for tid, begin, end in self.conn.execute(
                "SELECT t.id, b.slot_start, b.slot_end FROM tickets t"
                " JOIN bookings b ON b.id = t.booking_id WHERE t.slot_at IS NOT NULL"
                f" AND t.id IN ({', '.join('?' for _ in chunk)})", chunk))
        return out

    def ticket_days(self) -> tuple[int, str | None]:
        """(how many tickets the store holds, the newest local day among them)."""
        count, newest = self.conn.execute("SELECT COUNT(*), MAX(day) FROM tickets").fetchone()
        return int(count), newest
