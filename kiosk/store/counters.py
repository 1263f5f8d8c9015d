"""The counter verbs: call the next patron, recall, start, finish, no-show; a counter's
open, pause, resume and close; staff signing in and out at a counter; the day's open and
close.

Sign-in, sign-out, pause and resume are counter events: the reports derive each counter's
open time (utilisation) from them.
"""

from __future__ import annotations

from datetime import timedelta

from kiosk import clock as clk
from kiosk import queue
from kiosk.exceptions import NotAllowed, UsageError
from kiosk.rows import OPEN_STATES, CounterState, Person, Ticket
from kiosk.store.accounts import Accounts
from kiosk.store.tickets import Tickets


class Counters(Tickets, Accounts):
    """What happens at a counter."""

    def _finish_open(self, counter: int, at: str, actor: str | None) -> Ticket | None:
        """Finish what the counter has called or is serving (one UPDATE through the open
        index, no read first); returns the finished ticket, or None when there was none."""
        done = self._written(
            "UPDATE tickets SET state = 'done', finished_at = ?"
            " WHERE state IN ('called', 'serving') AND counter = ?",
            (at, counter),
        )
        for row in done:  # one, unless an older ticket was somehow left open here too
            self._event("finished", at, ticket_id=row.id, counter=counter, actor=actor)
        return max(done, key=lambda r: r.called_at or "") if done else None

    def _counter_state(self, counter: int) -> str:
        row = self._one("SELECT state FROM counters WHERE id = ?", (counter,))
        return row["state"] if row else "closed"

    def call_next(self, counter: int, *, actor: str | None = None) -> Ticket | None:
        """Finish the counter's current ticket, then call the next by the policy."""
        self._check_counter(counter)
        services = self.settings.counter(counter).services
        with self.transaction():
            now = self.now()
            at = clk.iso(now)
            state = self._counter_state(counter)
            if state == "paused":
                raise NotAllowed(f"counter {counter} is paused; resume it first")
            if state == "closed":
                self._set_counter(counter, "open", at, actor, "counter_opened")
            self._finish_open(counter, at, actor)
            today = clk.local_day(now, self.tz)
            self._roll_day(today, at)
            chosen = queue.choose_next(self._waiting(today), services, self._head_start)
            if chosen is None:
                return None
            ticket = self._returning(
                "UPDATE tickets SET state = 'called', counter = ?, called_at = ? WHERE id = ?",
                (counter, at, chosen.id),
            )
            self._event(
                "called",
                at,
                ticket_id=chosen.id,
                counter=counter,
                actor=actor,
                detail={"label": ticket.label, "service": ticket.service},
            )
        return ticket

    def _require_current(self, counter: int, states: tuple[str, ...], verb: str) -> Ticket:
        self._check_counter(counter)
        current = self.current(counter)
        if current is None:
            raise NotAllowed(f"counter {counter} has no ticket called; nothing to {verb}")
        if current.state not in states:
            raise NotAllowed(f"{current.label} is {current.state}; cannot {verb} it")
        return current

    def recall(self, counter: int, *, actor: str | None = None) -> Ticket:
        """Call the counter's current ticket again (up to max_recalls)."""
        with self.transaction():
            current = self._require_current(counter, ("called",), "recall")
            limit = self.settings.queue.max_recalls
            if current.recalls >= limit:
                raise NotAllowed(
                    f"{current.label} was already called again {limit} times;"
                    " mark it as a no-show (x)"
                )
            at = clk.iso(self.now())
            recalled = self._returning(
                "UPDATE tickets SET recalls = recalls + 1 WHERE id = ?", (current.id,))
            self._event(
                "recalled",
                at,
                ticket_id=current.id,
                counter=counter,
                actor=actor,
                detail={"label": current.label, "recall": current.recalls + 1},
            )
            return recalled

    def start(self, counter: int, *, actor: str | None = None) -> Ticket:
        """The called patron has arrived: service starts."""
        return self._step(counter, "start", "serving", "started_at", "started", actor)

    def finish(self, counter: int, *, actor: str | None = None) -> Ticket:
        self._check_counter(counter)
        with self.transaction():
            done = self._finish_open(counter, clk.iso(self.now()), actor)
            if done is None:  # nothing open: say why, as the other counter verbs do
                self._require_current(counter, OPEN_STATES, "finish")
        assert done is not None
        return done

    def no_show(self, counter: int, *, actor: str | None = None) -> Ticket:
        """The called patron did not come."""
        return self._step(counter, "mark as no-show", "no_show", "finished_at", "no_show",
                          actor)

    def _step(self, counter: int, verb: str, state: str, stamp: str, kind: str,
              actor: str | None) -> Ticket:
        """The counter's called ticket moves on to `state`, its `stamp` column set now."""
        with self.transaction():
            current = self._require_current(counter, ("called",), verb)
            at = clk.iso(self.now())
            moved = self._returning(
                f"UPDATE tickets SET state = ?, {stamp} = ? WHERE id = ?",
                (state, at, current.id),
            )
            self._event(kind, at, ticket_id=current.id, counter=counter, actor=actor)
            return moved

    # -- counters and the day --------------------------------------------------------------

    def _set_counter(
        self, counter: int, state: str, at: str, actor: str | None, kind: str
    ) -> None:
        self.conn.execute(
            "UPDATE counters SET state = ?, staff = ?, since = ? WHERE id = ?",
            (state, actor, at, counter),
        )
        self._event(kind, at, counter=counter, actor=actor)

    _COUNTER_MOVES = {
        "open": (("closed",), "open", "counter_opened"),
        "pause": (("open",), "paused", "counter_paused"),
        "resume": (("paused",), "open", "counter_resumed"),
        "close": (("open", "paused"), "closed", "counter_closed"),
    }

    def counter(self, counter: int, action: str, *, actor: str | None = None) -> str:
        """open | pause | resume | close a counter; returns its new state."""
        self._check_counter(counter)
        if action not in self._COUNTER_MOVES:
            raise UsageError(f'unknown counter action "{action}" (open, pause, resume, close)')
        allowed, new_state, kind = self._COUNTER_MOVES[action]
        with self.transaction():
            state = self._counter_state(counter)
            if state not in allowed:
                raise NotAllowed(f"counter {counter} is {state}; cannot {action} it")
            self._set_counter(counter, new_state, clk.iso(self.now()), actor, kind)
        return new_state

    def counter_states(self) -> dict[int, CounterState]:
        rows = self.conn.execute(f"SELECT {CounterState.COLUMNS} FROM counters ORDER BY id")
        return {row[0]: CounterState(*row) for row in rows.fetchall()}

    def day_open(self, *, actor: str | None = None) -> int:
        """Start a day: expire what waits from earlier days. Returns how many expired."""
        with self.transaction():
            at = clk.iso(self.now())
            expired = self._expire_before(self.today(), at, actor=actor or "day-open")
            self._event("day_opened", at, actor=actor, detail={"day": self.today()})
            return expired

    def day_close(self, *, actor: str | None = None) -> int:
        """End the day: what still waits is expired (walk-aways). Returns how many."""
        with self.transaction():
            at = clk.iso(self.now())
            tomorrow = (self.now().astimezone(self.tz) + timedelta(days=1)).date().isoformat()
            expired = self._expire_before(tomorrow, at, actor=actor or "day-close")
            self._event(
                "day_closed", at, actor=actor, detail={"day": self.today(), "expired": expired}
            )
            return expired

    # -- staff -----------------------------------------------------------------------------
    def sign_in(self, name: str, pin: str, counter: int) -> Person:
        """PIN check, then the counter opens under this person's name."""
        self._check_counter(counter)
        person = self.verify_pin(name, pin, counter=counter)
        with self.transaction():
            at = clk.iso(self.now())
            self._event("signed_in", at, counter=counter, actor=person.name)
            if self._counter_state(counter) == "closed":
                self._set_counter(counter, "open", at, person.name, "counter_opened")
        return person

    def sign_out(self, name: str, counter: int) -> None:
        """Close the counter. Refused while it still has a patron called or being served:
        the board would go on showing that call with nobody at the counter."""
        self._check_counter(counter)
        with self.transaction():
            current = self.current(counter)
            if current is not None:
                raise NotAllowed(
                    f"{current.label} is still {current.state} at counter {counter};"
                    " finish it (f), mark a no-show (x) or transfer it (t) first"
                )
            at = clk.iso(self.now())
            if self._counter_state(counter) != "closed":
                self._set_counter(counter, "closed", at, name, "counter_closed")
            self._event("signed_out", at, counter=counter, actor=name)
