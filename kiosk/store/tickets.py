"""The ticket verbs: issue, and what staff do to a ticket by its label (transfer,
reclassify, cancel); the day's roll-over that expires what earlier days left waiting.

Each verb is one short transaction that changes the ticket and appends its event; a
refusal is a named error with one plain sentence (kiosk.exceptions).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from kiosk import clock as clk
from kiosk import queue
from kiosk.consoles import ANY, session_hash
from kiosk.exceptions import (
    ConsoleGone,
    IssueRefused,
    KioskError,
    NotAllowed,
    TicketMoved,
    UsageError,
)
from kiosk.rows import ACTIVE_STATES, Booking, Issued, Ticket
from kiosk.store import tokens
from kiosk.store.estimate import Estimate

TOKEN_KEPT_S = 24 * 3600
"""A ticket's page stays this long after the ticket ended (the survey is answered there)."""
CLOCK_JUMP_S = 120
"""A wall clock this many seconds behind the newest event stops issuing (design §3)."""


def label_key(text: str | None) -> tuple[str, int] | str | None:
    """A label as (prefix, number), so "a12", "A12" and "A012" are one ticket (as staff
    would expect); text that is not a label stays as typed, upper case."""
    if text is None:
        return None
    text = text.strip().upper()
    if text.isascii() and 2 <= len(text) <= 8 and text[0].isalpha() and text[1:].isdigit():
        return text[0], int(text[1:])
    return text


def _position(position: str) -> str:
    if position not in ("front", "back"):
        raise UsageError(f'position must be "front" or "back", got "{position}"')
    return position


class Tickets(Estimate):
    """Issuing, finding and moving tickets."""

    def ticket(self, ticket_id: int) -> Ticket:
        found = self._tickets("id = ?", (ticket_id,))
        if not found:
            raise UsageError(f"no ticket with id {ticket_id}")
        return found[0]

    def find(self, label: str, day: str | None = None) -> Ticket:
        """Today's ticket with this label (labels repeat every day)."""
        day = day or self.today()
        # A label is its prefix and its number ("A012" = A, 12): look it up on the unique
        # (day, prefix, number) index. "A12" finds A012 too, as staff would expect.
        key = label_key(label)
        found: list[Ticket] = []
        if isinstance(key, tuple):
            found = self._tickets("day = ? AND prefix = ? AND number = ?", (day, *key))
        if not found:
            raise UsageError(f'no ticket "{label}" today ({day})')
        return found[0]

    def current(self, counter: int) -> Ticket | None:
        """The ticket a counter has called or is serving, if any."""
        # Through the partial index of open tickets: only a few are called or being served
        # at any moment, about one per counter (the newest wins, chosen here rather than
        # sorted in a temporary B-tree).
        rows = self._tickets("state IN ('called', 'serving') AND counter = ?", (counter,))
        return max(rows, key=lambda r: r.called_at or "") if rows else None

    def _guard(self, counter: int, session: str | None, expect: str | None) -> None:
        """Refuse a console that no longer holds the counter, and a verb on a ticket the
        counter no longer has. Runs inside the verb's transaction."""
        if session is not None:
            row = self._one("SELECT state, staff, session FROM counters WHERE id = ?",
                            (counter,))
            if row is None or row["session"] != session_hash(session):
                holder = row["staff"] if row and row["session"] else None
                reason = "taken" if holder else "closed"
                raise ConsoleGone(
                    f"{holder} signed in at counter {counter}; this screen was signed out"
                    if holder else
                    f"counter {counter} was closed (its console was away, or it was closed"
                    " from elsewhere); sign in again", holder=holder, reason=reason)
        if expect == ANY:
            return
        current = self.current(counter)
        have = current.label if current else None
        if label_key(have) != label_key(expect):
            raise TicketMoved(
                f"counter {counter} now has {have or 'no ticket'}, not {expect or 'no ticket'};"
                " nothing was done", have=have)

    def _roll_day(self, day: str, at: str) -> None:
        """At the first verb of a new day, expire what still waits from earlier days.

        Remembered per process: once a day has begun no process can add to an earlier one
        (all share the host's clock), so later verbs skip the query."""
        if self._rolled_day != day:
            self._expire_before(day, at, actor="day-roll")
            # A ticket still called or being served from an earlier day was never finished
            # (the counter closed with it open): close it as expired rather than let the
            # next call finish it with an overnight service time.
            for row in self._rows(
                "SELECT id, state, counter FROM tickets"
                " WHERE state IN ('called', 'serving') AND +day < ?",  # the few open ones
                (day,),
            ):
                self.conn.execute(
                    "UPDATE tickets SET state = 'expired', finished_at = ? WHERE id = ?",
                    (at, row["id"]),
                )
                self._event("expired", at, ticket_id=row["id"], counter=row["counter"],
                            actor="day-roll", detail={"was": row["state"]})
            self._rolling = day  # remembered only once the transaction commits

    def _expire_before(self, day: str, at: str, actor: str) -> int:
        """Expire what still waits from days before `day`; returns how many."""
        # Expired in the order they were issued (their events too): the queue's index
        # returns them by day, service and need, and `ORDER BY id` would tempt SQLite into
        # walking the whole table in rowid order instead.
        rows = sorted(
            self._rows("SELECT id FROM tickets WHERE state = 'waiting' AND day < ?", (day,)),
            key=lambda row: row["id"],
        )
        for row in rows:
            self.conn.execute(
                "UPDATE tickets SET state = 'expired', finished_at = ? WHERE id = ?",
                (at, row["id"]),
            )
            self._event("expired", at, ticket_id=row["id"], actor=actor)
        return len(rows)

    # -- issuing ---------------------------------------------------------------------------

    def _refuse_outside_hours(self, now: datetime, *, appointment: bool = False) -> None:
        """A closed day ([[closed]]), outside the hours, or after the last ticket: refused.
        A booked patron checking in within the grace (`appointment`) is still served after
        the last ticket, until closing time."""
        hours = self.settings.hours
        local = now.astimezone(self.tz)
        fmt = "%H:%M"
        closed = self.settings.closed_on(local.date())
        if closed is not None:
            said = closed.reason or {}
            reason = said.get("en") or next(iter(said.values()), "")  # the log's language
            raise IssueRefused(
                "closed_day", f"closed today{f' ({reason})' if reason else ''}: no tickets"
                              " are issued")
        if local.time() < hours.open or local.time() >= hours.close:
            raise IssueRefused(
                "closed",
                f"closed: tickets are issued {hours.open.strftime(fmt)}–"
                f"{hours.last_ticket.strftime(fmt)}",
            )
        if local.time() >= hours.last_ticket and not appointment:
            raise IssueRefused(
                "after_last_ticket",
                f"no more tickets today: the last ticket is at {hours.last_ticket.strftime(fmt)}",
            )

    def issue_refusal(self) -> IssueRefused | None:
        """Why a ticket could not be issued right now (clock, closed, after the last
        ticket), or None: the same rule issue() applies, for screens to show beforehand."""
        problem = self.clock_problem()
        if problem is not None:
            return IssueRefused("clock", problem)
        try:
            self._refuse_outside_hours(self.now())
        except IssueRefused as exc:
            return exc
        return None

    def sold_out(self) -> frozenset[str]:
        """Services whose daily quota is used up today."""
        quotas = {s.prefix: s.quota for s in self.settings.services if s.quota}
        if not quotas:
            return frozenset()
        counts = self._rows(
            "SELECT prefix, COUNT(*) AS n FROM tickets WHERE day = ? GROUP BY prefix",
            (self.today(),),
        )
        return frozenset(
            r["prefix"] for r in counts if r["prefix"] in quotas and r["n"] >= quotas[r["prefix"]]
        )

    def clock_problem(self) -> str | None:
        """A message for staff when the wall clock runs behind the log, or ahead of the
        time this machine counted since the last write (StoreBase._check_clock), else None:
        the kiosk shows it before anyone chooses."""
        newest = self.conn.execute("SELECT MAX(at) FROM events").fetchone()[0]
        if newest is None:
            return None
        behind = clk.epoch(newest) - self.now().timestamp()
        if behind > CLOCK_JUMP_S:
            return (
                f"the clock is {behind / 60:.0f} minutes behind the newest event "
                f"({newest}); issuing is stopped until the clock is fixed"
            )
        ahead = self.clock_ahead()
        if ahead is not None:
            return (f"the clock of this computer is {ahead / 60:.0f} minutes ahead of the time"
                    " it has counted since the last write; issuing waits until it is right")
        return None

    def issue(self, service: str, need: str | None = None, *, lang: str | None = None,
              kiosk: str | None = None, actor: str | None = None) -> Issued:
        """Give a patron a new ticket (with its token), or raise IssueRefused with the
        reason."""
        ticket, token = self._issue(service, need, lang=lang, kiosk=kiosk, actor=actor)
        return replace(self.outlook(ticket), token=token)

    def _issue(self, service: str, need: str | None = None, *, lang: str | None = None,
               kiosk: str | None = None, actor: str | None = None) -> tuple[Ticket, str]:
        """The ticket written and its token (its outlook is the caller's). Its transaction
        only adds a ticket: the estimate's kept replays stay good (kiosk.store.estimate,
        `_Tail`)."""
        keep, self._keep_tails = self._keep_tails, True
        try:
            return self._write_ticket(service, need, lang=lang, kiosk=kiosk, actor=actor)
        finally:
            self._keep_tails = keep

    def _ticket_args(self, service: str, need: str | None, lang: str | None,
                     kiosk: str | None) -> str:
        """Refuse an unknown service, need, language or kiosk; the language to use."""
        self._check_service(service)
        self._check_need(need)
        lang = lang or self.settings.default_language
        if lang not in self.settings.site.languages:
            raise UsageError(f'language "{lang}" is not one of the site\'s languages')
        if kiosk is not None:
            try:
                self.settings.kiosk(kiosk)
            except KeyError:
                raise UsageError(f'unknown kiosk "{kiosk}"') from None
        return lang

    def _write_ticket(self, service: str, need: str | None, *, lang: str | None,
                      kiosk: str | None, actor: str | None) -> tuple[Ticket, str]:
        lang = self._ticket_args(service, need, lang, kiosk)
        clock_trouble: str | None = None
        with self.transaction():
            now = self.now()
            clock_trouble = self.clock_problem()
            if clock_trouble is None:
                ticket, token = self._new_ticket(service, need, lang, kiosk, actor, now)
            else:
                self._clock_jump_once(clk.iso(now), clock_trouble, actor)
        if clock_trouble is not None:
            raise IssueRefused("clock", clock_trouble)
        assert token is not None
        return ticket, token

    def _new_ticket(self, service: str, need: str | None, lang: str, kiosk: str | None,
                    actor: str | None, now: datetime, *, booking: Booking | None = None,
                    appointment: bool = False, token_hash: bytes | None = None,
                    ) -> tuple[Ticket, str | None]:
        """Write a ticket inside the caller's transaction: the hours, the day's roll-over,
        the quota, the next number, the row and its `issued` event. A booking's check-in
        (`booking`) gives the booking's token digest; within its grace (`appointment`) it
        goes by the slot's start (`order_at`, `slot_at`), past the last ticket and the
        quota. Returns the ticket and its new token (None when `token_hash` was given)."""
        self._refuse_outside_hours(now, appointment=appointment)
        at = clk.iso(now)
        day = clk.local_day(now, self.tz)
        self._roll_day(day, at)
        quota = self.settings.service(service).quota
        # Numbers run 1, 2, 3... without gaps and nothing of today is ever deleted, so the
        # highest number is also the count. MAX() is one step down the unique index;
        # COUNT(*) would walk the whole day under the write lock.
        top = self.conn.execute(
            "SELECT MAX(number) FROM tickets WHERE day = ? AND prefix = ?",
            (day, service),
        ).fetchone()[0] or 0
        if quota and top >= quota and not appointment:
            raise IssueRefused("quota", f'today\'s quota for "{service}" is reached')
        number = int(top) + 1
        label = f"{service}{number:03d}"
        token: str | None = None
        if token_hash is None:
            token, token_hash = tokens.new_token()
        slot_at = booking.slot_at if booking is not None and appointment else None
        order_at = clk.epoch(slot_at) if slot_at is not None else now.timestamp()
        ticket = self._returning(
            "INSERT INTO tickets (day, prefix, number, label, service, need, lang,"
            " kiosk, state, issued_at, queued_at, order_at, recalls, token_hash, slot_at,"
            " booking_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?, 0, ?, ?, ?)",
            (day, service, number, label, service, need, lang, kiosk, at, at, order_at,
             token_hash, slot_at, booking.id if booking is not None else None),
        )
        detail: dict[str, Any] = {"label": label, "service": service, "need": need,
                                  "lang": lang}
        if booking is not None:
            detail.update(booking=booking.id, appointment=appointment)
        self._event("issued", at, ticket_id=ticket.id,
                    actor=actor or (f"kiosk:{kiosk}" if kiosk else None), detail=detail)
        return ticket, token

    def issue_many(self, requests: list[dict[str, Any]]) -> list[Issued | KioskError]:
        """Several `issue(**request)` in one transaction, one commit: what the server's
        concurrent requests share (one fsync and one turn at the write lock for all).
        Each answer is its ticket or the named error that refused it; a refusal leaves the
        others alone (every refusal is raised before its ticket is written)."""
        answers: list[tuple[Ticket, str] | KioskError] = []
        keep, self._keep_tails = self._keep_tails, True
        try:
            with self.bulk():
                for request in requests:
                    try:
                        answers.append(self._issue(**request))
                    except KioskError as exc:
                        answers.append(exc)
                issued = [a for a in answers if not isinstance(a, KioskError)]
                outlooks = iter(self.outlooks([ticket for ticket, _token in issued]))
        finally:
            self._keep_tails = keep
        return [a if isinstance(a, KioskError) else replace(next(outlooks), token=a[1])
                for a in answers]

    # -- ticket verbs ----------------------------------------------------------------------

    def _active(self, label: str, verb: str) -> Ticket:
        """Today's ticket with this label, if a staff verb can still move it."""
        ticket = self.find(label)
        if ticket.state not in ACTIVE_STATES:
            raise NotAllowed(f"{ticket.label} is {ticket.state}; cannot {verb} it")
        return ticket

    def _rejoin(self, ticket: Ticket, service: str, position: str, kind: str,
                actor: str | None, **detail: object) -> Ticket:
        """`ticket` joins `service`'s queue now, keeping its label: at the back, or at the
        front (just ahead of everyone there, keeping its own class's head start). Its queue
        time restarts, so the reports measure the new segment on its own; the `kind` event
        (transferred, requeued) ends the old one. Inside the caller's transaction."""
        now = self.now()
        at = clk.iso(now)
        order_at = now.timestamp()
        if position == "front":
            finite = [
                queue.virtual_arrival(w, self._head_start, lead_s=self._lead_s)
                for w in self._waiting(ticket.day)
                if w.service == service and w.id != ticket.id
            ]
            finite = [v for v in finite if v != float("-inf")]
            if finite:
                lead = self._head_start(ticket.need) or 0.0
                order_at = min(order_at, min(finite) - 0.001 + lead)
        moved = self._returning(
            "UPDATE tickets SET service = ?, state = 'waiting', counter = NULL,"
            " queued_at = ?, order_at = ?, called_at = NULL, started_at = NULL,"
            " finished_at = NULL, recalls = 0 WHERE id = ?",
            (service, at, order_at, ticket.id),
        )
        self._event(kind, at, ticket_id=ticket.id, counter=ticket.counter, actor=actor,
                    detail={"label": ticket.label, "from": ticket.service, "to": service,
                            "position": position, "state": ticket.state, **detail})
        return moved

    def transfer(self, label: str, service: str, *, position: str | None = None,
                 actor: str | None = None, counter: int | None = None,
                 session: str | None = None) -> Ticket:
        """Move a ticket to another service's queue; it keeps its label (the patron's slip).
        From a console (`counter`): only the ticket that counter has now."""
        self._check_service(service)
        position = _position(position or self.settings.queue.transfer_position)
        with self.transaction():
            if counter is not None:
                self._guard(counter, session, label)
            ticket = self._active(label, "transfer")
            return self._rejoin(ticket, service, position, "transferred", actor)

    REQUEUE_STATES = ("no_show", "cancelled")

    def requeue(self, label: str, *, position: str = "back", actor: str | None = None,
                counter: int | None = None, session: str | None = None) -> Ticket:
        """Put today's no-show or cancelled ticket back in its service's queue (the patron
        turned up after all); it keeps its label. The ended segment stays in the reports
        as it ended (no-show, cancelled) and a new one starts, as after a transfer."""
        position = _position(position)
        with self.transaction():
            if counter is not None:
                self._guard(counter, session, ANY)
            ticket = self.find(label)
            if ticket.state not in self.REQUEUE_STATES:
                raise NotAllowed(f"{ticket.label} is {ticket.state}; only a no-show or a"
                                 " cancelled ticket of today can go back in the queue")
            return self._rejoin(ticket, ticket.service, position, "requeued", actor,
                                called=ticket.called_at is not None,
                                ended_at=ticket.finished_at)

    def reclassify(self, label: str, need: str | None, *, actor: str | None = None,
                   counter: int | None = None, session: str | None = None) -> Ticket:
        """Change a ticket's priority need (staff's answer to misuse); logged. From a
        console (`counter`): only the ticket that counter has now."""
        self._check_need(need)
        with self.transaction():
            if counter is not None:
                self._guard(counter, session, label)
            ticket = self._active(label, "reclassify")
            at = clk.iso(self.now())
            changed = self._returning("UPDATE tickets SET need = ? WHERE id = ?",
                                      (need, ticket.id))
            self._event(
                "reclassified",
                at,
                ticket_id=ticket.id,
                actor=actor,
                detail={"label": ticket.label, "from": ticket.need, "to": need},
            )
            return changed

    def cancel(self, label: str, *, actor: str | None = None) -> Ticket:
        with self.transaction():
            ticket = self._active(label, "cancel")
            at = clk.iso(self.now())
            cancelled = self._returning(
                "UPDATE tickets SET state = 'cancelled', finished_at = ? WHERE id = ?",
                (at, ticket.id),
            )
            self._event("cancelled", at, ticket_id=ticket.id, actor=actor)
            return cancelled

    # -- by token (the patron's phone) ----------------------------------------------------

    def by_token(self, token: str) -> Ticket:
        """The ticket this token opens; UsageError ("no such ticket") for a token that is
        malformed, unknown, or of a ticket whose page is no longer kept (TOKEN_KEPT_S
        after it ended, or issued before yesterday)."""
        if tokens.well_formed(token):
            row = self.conn.execute(
                f"SELECT token_hash, {Ticket.COLUMNS} FROM tickets WHERE token_hash = ?",
                (tokens.digest(token),)).fetchone()
            if row is not None and tokens.same(row[0], token):
                ticket = Ticket(*row[1:])
                if self._page_kept(ticket):
                    return ticket
        raise UsageError("no such ticket: the link is wrong, or the ticket's page is no"
                         " longer kept")

    def _page_kept(self, ticket: Ticket) -> bool:
        now = self.now()
        if ticket.finished_at is not None:
            ended = clk.parse(ticket.finished_at)
            return (now - ended).total_seconds() <= TOKEN_KEPT_S
        return ticket.day >= clk.local_day(now - timedelta(days=1), self.tz)

    def renew_token(self, label: str) -> tuple[Ticket, str]:
        """A new token for today's ticket (its slip printed again: the old link stops)."""
        token, token_hash = tokens.new_token()
        with self.transaction():
            ticket = self.find(label)
            self.conn.execute("UPDATE tickets SET token_hash = ? WHERE id = ?",
                              (token_hash, ticket.id))
        return ticket, token

    def cancel_by_token(self, token: str) -> Ticket:
        """The holder's "I'm leaving": a waiting ticket is cancelled (actor "patron")."""
        ticket = self.by_token(token)
        if ticket.day != self.today():  # its label may be someone else's today
            raise NotAllowed(f"{ticket.label} was a ticket of {ticket.day}")
        if ticket.state != "waiting":
            raise NotAllowed(f"{ticket.label} is {ticket.state}; only a waiting ticket can"
                             " be cancelled from its page")
        return self.cancel(ticket.label, actor="patron")
