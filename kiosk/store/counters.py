"""The counter verbs: call the next patron, recall, start, finish, no-show; a counter's
open, pause, resume and close; staff signing in and out at a counter; the day's open and
close.

Sign-in, sign-out, pause and resume are counter events: the reports derive each counter's
open time (utilisation) from them.

One counter, one console. A console signs in with a random session key (`new_session()`);
the counter keeps its hash, and every verb the console sends carries the key: a verb from a
console that no longer holds the counter is refused (`ConsoleGone`). A second console's
sign-in is refused with the holder's name (`CounterTaken`) unless it takes over, which signs
the holder out. A console says it is there every CONSOLE_BEAT_S (`console_beat`); one not
heard from for UNATTENDED_S is unattended: the read side stops counting it at once and the
next beat of any console or announcer closes it with an event (`sweep_unattended`).

No blind verbs: a console names the ticket it acts on as it last showed it (`expect`), and
the verb is refused (`TicketMoved`) when the counter has another. The command line's verbs
take any ticket (`ANY`) unless `--expect` says otherwise.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kiosk import clock as clk
from kiosk import queue
from kiosk.consoles import ANY, PAUSE_MAX_MIN, no_show_wait_s, session_hash, unattended
from kiosk.exceptions import CounterTaken, NotAllowed, UsageError
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

    def call_next(self, counter: int, *, actor: str | None = None,
                  session: str | None = None, expect: str | None = ANY) -> Ticket | None:
        """Finish the counter's current ticket, then call the next by the policy."""
        self._check_counter(counter)
        services = self.settings.counter(counter).services
        with self.transaction():
            self._guard(counter, session, expect)
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
            chosen = queue.choose_next(self._waiting(today), services, self._head_start,
                                       lead_s=self._lead_s)
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

    def recall(self, counter: int, *, actor: str | None = None, session: str | None = None,
               expect: str | None = ANY) -> Ticket:
        """Call the counter's current ticket again (up to max_recalls)."""
        with self.transaction():
            self._guard(counter, session, expect)
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

    def start(self, counter: int, *, actor: str | None = None, session: str | None = None,
              expect: str | None = ANY) -> Ticket:
        """The called patron has arrived: service starts."""
        return self._step(counter, "start", "serving", "started_at", "started", actor,
                          session, expect)

    def finish(self, counter: int, *, actor: str | None = None, session: str | None = None,
               expect: str | None = ANY) -> Ticket:
        self._check_counter(counter)
        with self.transaction():
            self._guard(counter, session, expect)
            done = self._finish_open(counter, clk.iso(self.now()), actor)
            if done is None:  # nothing open: say why, as the other counter verbs do
                self._require_current(counter, OPEN_STATES, "finish")
        assert done is not None
        return done

    def no_show(self, counter: int, *, actor: str | None = None, session: str | None = None,
                expect: str | None = ANY) -> Ticket:
        """The called patron did not come (not before `[queue] no_show_after_s` after the
        call, unless called again once: they may still be walking to the desk)."""
        return self._step(counter, "mark as no-show", "no_show", "finished_at", "no_show",
                          actor, session, expect)

    def _step(self, counter: int, verb: str, state: str, stamp: str, kind: str,
              actor: str | None, session: str | None, expect: str | None) -> Ticket:
        """The counter's called ticket moves on to `state`, its `stamp` column set now."""
        with self.transaction():
            self._guard(counter, session, expect)
            current = self._require_current(counter, ("called",), verb)
            now = self.now()
            if kind == "no_show":
                left = no_show_wait_s(current, self.settings.queue.no_show_after_s,
                                      now.timestamp())
                if left > 0:
                    raise NotAllowed(
                        f"{current.label} was called only just now; a no-show can be marked"
                        f" in {int(left + 0.999)} s, or after calling it again (recall)")
            at = clk.iso(now)
            moved = self._returning(
                f"UPDATE tickets SET state = ?, {stamp} = ? WHERE id = ?",
                (state, at, current.id),
            )
            self._event(kind, at, ticket_id=current.id, counter=counter, actor=actor)
            return moved

    # -- counters and the day --------------------------------------------------------------

    def _set_counter(
        self, counter: int, state: str, at: str, actor: str | None, kind: str,
        detail: dict[str, object] | None = None, back_at: str | None = None,
    ) -> None:
        self.conn.execute(
            "UPDATE counters SET state = ?, staff = ?, since = ?, back_at = ? WHERE id = ?",
            (state, actor, at, back_at, counter),
        )
        self._event(kind, at, counter=counter, actor=actor, detail=detail)

    _COUNTER_MOVES = {
        "open": (("closed",), "open", "counter_opened"),
        "pause": (("open",), "paused", "counter_paused"),
        "resume": (("paused",), "open", "counter_resumed"),
        "close": (("open", "paused"), "closed", "counter_closed"),
    }

    def counter(self, counter: int, action: str, *, actor: str | None = None,
                minutes: int | None = None, session: str | None = None) -> str:
        """open | pause | resume | close a counter; returns its new state. A pause may say
        in how many minutes staff will be back: the estimate counts on the counter from
        then (without it, a paused counter is not counted on)."""
        self._check_counter(counter)
        if action not in self._COUNTER_MOVES:
            raise UsageError(f'unknown counter action "{action}" (open, pause, resume, close)')
        if minutes is not None and (action != "pause" or not 1 <= minutes <= PAUSE_MAX_MIN):
            raise UsageError(f"--minutes is for a pause, 1 to {PAUSE_MAX_MIN}"
                             if action == "pause" else "--minutes is only for a pause")
        allowed, new_state, kind = self._COUNTER_MOVES[action]
        with self.transaction():
            self._guard(counter, session, ANY)
            state = self._counter_state(counter)
            if state not in allowed:
                raise NotAllowed(f"counter {counter} is {state}; cannot {action} it")
            now = self.now()
            back_at = None
            detail = None
            if minutes is not None:
                back_at = clk.iso(now + timedelta(minutes=minutes))
                detail = {"back_at": back_at}
            self._set_counter(counter, new_state, clk.iso(now), actor, kind, detail, back_at)
            if new_state == "closed":
                self.conn.execute("UPDATE counters SET session = NULL WHERE id = ?", (counter,))
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

    # -- staff and their consoles ---------------------------------------------------------

    def sign_in(self, name: str, pin: str, counter: int, *, session: str | None = None,
                take_over: bool = False) -> Person:
        """PIN check, then the counter opens under this person's name. With `session` (a
        console's key) the console holds the counter: refused while another console holds
        it (`CounterTaken`, naming who), unless `take_over`, which signs that one out."""
        self._check_counter(counter)
        person = self.verify_pin(name, pin, counter=counter)
        with self.transaction():
            now = self.now()
            at = clk.iso(now)
            held = self.counter_states()[counter]
            if session is not None and held.session is not None \
                    and not unattended(held, now.timestamp()):
                holder = held.staff or "someone"
                if not take_over:
                    since = (f"{clk.parse(held.since).astimezone(self.tz):%H:%M}"
                             if held.since else None)
                    raise CounterTaken(
                        holder, since,
                        f"{holder} is signed in at counter {counter}"
                        + (f" since {since}" if since else "")
                        + "; take over only if they have left (it signs them out)")
                self._event("signed_out", at, counter=counter, actor=held.staff,
                            detail={"taken_over_by": person.name})
            self._event("signed_in", at, counter=counter, actor=person.name,
                        detail={"take_over": True} if take_over else None)
            if held.state == "closed":
                self._set_counter(counter, "open", at, person.name, "counter_opened")
            if session is not None:
                self.conn.execute(
                    "UPDATE counters SET session = ?, seen_at = ?, staff = ? WHERE id = ?",
                    (session_hash(session), at, person.name, counter))
        return person

    def sign_out(self, name: str, counter: int, *, session: str | None = None) -> None:
        """Close the counter. Refused while it still has a patron called or being served:
        the board would go on showing that call with nobody at the counter."""
        self._check_counter(counter)
        with self.transaction():
            self._guard(counter, session, ANY)
            current = self.current(counter)
            if current is not None:
                raise NotAllowed(
                    f"{current.label} is still {current.state} at counter {counter};"
                    " finish it (f), mark a no-show (x) or transfer it (t) first"
                )
            at = clk.iso(self.now())
            if self._counter_state(counter) != "closed":
                self._set_counter(counter, "closed", at, name, "counter_closed")
            self.conn.execute("UPDATE counters SET session = NULL WHERE id = ?", (counter,))
            self._event("signed_out", at, counter=counter, actor=name)

    def console_beat(self, counter: int, session: str) -> None:
        """A console says it is still there (every CONSOLE_BEAT_S), and closes any other
        counter whose console has gone silent. Refused (`ConsoleGone`) when this console no
        longer holds its counter."""
        with self.transaction():
            self._guard(counter, session, ANY)
            now = self.now()
            self.conn.execute("UPDATE counters SET seen_at = ? WHERE id = ?",
                              (clk.iso(now), counter))
            self._close_unattended(now)

    def console_left(self, counter: int, session: str) -> None:
        """The console closes (its app quits): the counter closes as if unattended, at
        once, so it is not left "open" with nobody there. A ticket still called there stays
        called; the next person at the counter finds it. Nothing when it no longer holds
        the counter."""
        with self.transaction():
            state = self.counter_states().get(counter)
            if state is None or state.session != session_hash(session):
                return
            self._close_console(state, clk.iso(self.now()), "console closed")

    def sweep_unattended(self) -> list[int]:
        """Close the counters whose console has gone silent (an event each); returns them.
        A read first: nothing is written, and no lock taken, when every console is there."""
        now = self.now().timestamp()
        if not any(unattended(c, now) for c in self.counter_states().values()):
            return []
        with self.transaction():
            return self._close_unattended(self.now())

    def _close_unattended(self, now: datetime) -> list[int]:
        closed = []
        at = clk.iso(now)
        for state in self.counter_states().values():
            if unattended(state, now.timestamp()):
                self._close_console(state, at, "unattended")
                closed.append(state.id)
        return closed

    def _close_console(self, state: CounterState, at: str, reason: str) -> None:
        detail = {"reason": reason, "seen_at": state.seen_at}
        self.conn.execute(
            "UPDATE counters SET state = 'closed', session = NULL, since = ?, back_at = NULL"
            " WHERE id = ?", (at, state.id))
        if state.state != "closed":
            self._event("counter_closed", at, counter=state.id, actor=state.staff,
                        detail=detail)
        self._event("signed_out", at, counter=state.id, actor=state.staff, detail=detail)
