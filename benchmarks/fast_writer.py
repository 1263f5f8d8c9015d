"""The fast path to a year of history, for benchmarks and the admin tests' fixtures.

`FastWriter` has the Store's verbs as `kiosk.demo.simulate_day` uses them, kept in memory
and written with executemany once per simulated day: the same ticket rows, survey
responses, quick ratings and events as the store's verbs write (tests/test_demo.py checks
that parity row for row), without the
per-verb queries and the wait estimate (so `people_ahead`/`estimated_wait_min` are not
computed). It is not part of the product: the product writes only through `kiosk.store`.
It opens its own connection to the store's file.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from contextlib import closing
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from kiosk import clock as clk
from kiosk import demo, queue, survey
from kiosk.clock import ManualClock
from kiosk.config import Settings, embedded_text
from kiosk.rows import Issued, Ticket
from kiosk.store import Store
from kiosk.store.tokens import new_token

YEAR_START = date(2025, 1, 1)
"""The benchmarks' simulated year begins here."""


def lobby_config(folder: Path) -> Path:
    """The shipped config (5 services, 4 counters), its store `year.db` in `folder`."""
    path = folder / "config.toml"
    path.write_text(embedded_text().replace('path = "data/kiosk.db"', 'path = "year.db"'),
                    "utf-8")
    return path


def build_year(settings: Settings, path: Path, days: int, *,
               start: dtime = dtime(6), seed: int = 1000) -> float:
    """`days` simulated days from YEAR_START at load 0.85 (seeds `seed` + day) written into
    the store at `path`, then ANALYZE; the seconds it took."""
    clock = ManualClock(datetime.combine(YEAR_START, start, settings.site.tz))
    started = time.perf_counter()
    with Store(settings, clock=clock, path=path) as store:
        with closing(FastWriter(store.path, settings, clock)) as writer:
            for i in range(days):
                demo.simulate_day(writer, clock, settings, YEAR_START + timedelta(days=i),
                                  demo.Plan(load=0.85), seed=seed + i)
                writer.flush()
                if (i + 1) % 60 == 0:
                    print(f"  built {i + 1} days", file=sys.stderr, flush=True)
        store.conn.execute("ANALYZE")
    return time.perf_counter() - started


class FastWriter:
    """The Store's verbs as simulate_day uses them, kept in memory and written with
    executemany per day: the same ticket rows and events, without the per-verb queries and
    the wait estimate (so `people_ahead`/`estimated_wait_min` are not computed)."""

    def __init__(self, path: Path, settings: Settings, clock: ManualClock) -> None:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=10)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        self.conn = conn
        self.settings = settings
        self.clock = clock
        self.tz = settings.site.tz
        self.head_start = settings.head_start()
        self.position = settings.queue.transfer_position
        self.next_ticket = (conn.execute("SELECT COALESCE(MAX(id), 0) FROM tickets")
                            .fetchone()[0]) + 1
        self.next_event = (conn.execute("SELECT COALESCE(MAX(id), 0) FROM events")
                           .fetchone()[0]) + 1
        self.next_response = (conn.execute(
            "SELECT COALESCE(MAX(id), 0) FROM survey_responses").fetchone()[0]) + 1
        self.next_rating = (conn.execute(
            "SELECT COALESCE(MAX(id), 0) FROM quick_ratings").fetchone()[0]) + 1
        self.counter_state = {c.id: "closed" for c in settings.counters}
        self.counter_services = {c.id: c.services for c in settings.counters}
        self._reset()

    def _reset(self) -> None:
        self.tickets: dict[int, dict[str, Any]] = {}
        self.events: list[tuple[Any, ...]] = []
        self.waiting: dict[str, dict[int, queue.Waiting]] = {}
        self.current: dict[int, int] = {}
        self.numbers: dict[str, int] = {}
        self.day = ""
        self.digests: dict[int, bytes] = {}
        self.by_token: dict[str, int] = {}
        self.last_finished: dict[int, int] = {}
        self.responses: list[tuple[Any, ...]] = []
        self.answers: list[tuple[Any, ...]] = []
        self.ratings: list[tuple[Any, ...]] = []

    def _now(self) -> tuple[datetime, str]:
        now = self.clock.now()
        return now, clk.iso(now)

    def _event(self, kind: str, at: str, ticket_id: int | None = None,
               counter: int | None = None, actor: str | None = None,
               detail: dict[str, Any] | None = None) -> None:
        self.events.append((self.next_event, ticket_id, kind, at, counter, actor,
                            json.dumps(detail, ensure_ascii=False) if detail else None))
        self.next_event += 1

    def flush(self) -> None:
        cols = ("id", "day", "prefix", "number", "label", "service", "need", "lang", "kiosk",
                "state", "counter", "issued_at", "queued_at", "order_at", "called_at",
                "started_at", "finished_at", "recalls")
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(
            f"INSERT INTO tickets ({', '.join(cols)}, token_hash)"
            f" VALUES ({', '.join('?' for _ in cols)}, ?)",
            # each ticket's token digest, random as the store's (what the store holds)
            [(*(t[c] for c in cols), self.digests[t["id"]]) for t in self.tickets.values()],
        )
        self.conn.executemany(
            "INSERT INTO survey_responses (id, ticket_id, day, service, counter, priority, at,"
            " via, age, sex, education, occupation, suggestion)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.responses)
        self.conn.executemany(
            "INSERT INTO survey_answers (response_id, code, value) VALUES (?, ?, ?)",
            self.answers)
        self.conn.executemany(
            "INSERT INTO quick_ratings (id, ticket_id, day, service, counter, priority, at,"
            " score) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self.ratings)
        self.conn.executemany(
            "INSERT INTO events (id, ticket_id, kind, at, counter, actor, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", self.events,
        )
        self.conn.execute("COMMIT")
        self._reset()

    # the verbs ---------------------------------------------------------------------------

    def day_open(self, *, actor: str | None = None) -> int:
        now, at = self._now()
        self.day = clk.local_day(now, self.tz)
        self._event("day_opened", at, actor=actor, detail={"day": self.day})
        return 0

    def day_close(self, *, actor: str | None = None) -> int:
        now, at = self._now()
        expired = 0
        # The store expires them in the order they were issued: the same order here.
        order = sorted(self.tickets.values(), key=lambda t: t["id"])
        for ticket in order:
            if ticket["state"] == "waiting":
                ticket["state"] = "expired"
                ticket["finished_at"] = at
                self._event("expired", at, ticket["id"], actor=actor or "day-close")
                expired += 1
        self.waiting.clear()
        self._event("day_closed", at, actor=actor,
                    detail={"day": clk.local_day(now, self.tz), "expired": expired})
        return expired

    def issue(self, service: str, need: str | None = None, *, lang: str | None = None,
              kiosk: str | None = None, actor: str | None = None) -> Issued:
        now, at = self._now()
        number = self.numbers.get(service, 0) + 1
        self.numbers[service] = number
        label = f"{service}{number:03d}"
        tid = self.next_ticket
        self.next_ticket += 1
        ticket = {"id": tid, "day": clk.local_day(now, self.tz), "prefix": service,
                  "number": number, "label": label, "service": service, "need": need,
                  "lang": lang, "kiosk": kiosk, "state": "waiting", "counter": None,
                  "issued_at": at, "queued_at": at, "order_at": now.timestamp(),
                  "called_at": None, "started_at": None, "finished_at": None, "recalls": 0}
        self.tickets[tid] = ticket
        token, self.digests[tid] = new_token()
        self.by_token[token] = tid
        self.waiting.setdefault(service, {})[tid] = queue.Waiting(tid, service, need,
                                                                  now.timestamp())
        self._event("issued", at, tid, actor=actor or (f"kiosk:{kiosk}" if kiosk else None),
                    detail={"label": label, "service": service, "need": need, "lang": lang})
        return Issued(Ticket(**ticket), 0, None, token=token)

    def counter(self, counter: int, action: str, *, actor: str | None = None,
                minutes: int | None = None) -> str:
        now, at = self._now()
        new, kind = {"open": ("open", "counter_opened"), "pause": ("paused", "counter_paused"),
                     "resume": ("open", "counter_resumed"),
                     "close": ("closed", "counter_closed")}[action]
        self.counter_state[counter] = new
        detail = None if minutes is None else {
            "back_at": clk.iso(now + timedelta(minutes=minutes))}
        self._event(kind, at, counter=counter, actor=actor, detail=detail)
        return new

    def _finish_current(self, counter: int, at: str, actor: str | None) -> None:
        tid = self.current.pop(counter, None)
        if tid is not None:
            self.tickets[tid].update(state="done", finished_at=at)
            self.last_finished[counter] = tid
            self._event("finished", at, tid, counter=counter, actor=actor)

    def call_next(self, counter: int, *, actor: str | None = None) -> Ticket | None:
        _, at = self._now()
        if self.counter_state[counter] == "closed":
            self.counter(counter, "open", actor=actor)
        self._finish_current(counter, at, actor)
        services = self.counter_services[counter]
        candidates = [w for s in services for w in self.waiting.get(s, {}).values()]
        chosen = queue.choose_next(candidates, services, self.head_start)
        if chosen is None:
            return None
        del self.waiting[chosen.service][chosen.id]
        ticket = self.tickets[chosen.id]
        ticket.update(state="called", counter=counter, called_at=at)
        self.current[counter] = chosen.id
        self._event("called", at, chosen.id, counter=counter, actor=actor,
                    detail={"label": ticket["label"], "service": ticket["service"]})
        return Ticket(**ticket)

    def recall(self, counter: int, *, actor: str | None = None) -> Ticket:
        _, at = self._now()
        ticket = self.tickets[self.current[counter]]
        ticket["recalls"] += 1
        self._event("recalled", at, ticket["id"], counter=counter, actor=actor,
                    detail={"label": ticket["label"], "recall": ticket["recalls"]})
        return Ticket(**ticket)

    def start(self, counter: int, *, actor: str | None = None) -> Ticket:
        _, at = self._now()
        ticket = self.tickets[self.current[counter]]
        ticket.update(state="serving", started_at=at)
        self._event("started", at, ticket["id"], counter=counter, actor=actor)
        return Ticket(**ticket)

    def finish(self, counter: int, *, actor: str | None = None) -> Ticket:
        _, at = self._now()
        tid = self.current[counter]
        self._finish_current(counter, at, actor)
        return Ticket(**self.tickets[tid])

    def no_show(self, counter: int, *, actor: str | None = None) -> Ticket:
        _, at = self._now()
        tid = self.current.pop(counter)
        self.tickets[tid].update(state="no_show", finished_at=at)
        self._event("no_show", at, tid, counter=counter, actor=actor)
        return Ticket(**self.tickets[tid])

    def transfer(self, label: str, service: str, *, position: str | None = None,
                 actor: str | None = None) -> Ticket:
        now, at = self._now()
        position = position or self.position
        ticket = next(t for t in self.tickets.values() if t["label"] == label)
        order_at = now.timestamp()
        if position == "front":
            finite = [queue.virtual_arrival(w, self.head_start)
                      for w in self.waiting.get(service, {}).values() if w.id != ticket["id"]]
            finite = [v for v in finite if v != float("-inf")]
            if finite:
                lead = self.head_start(ticket["need"]) or 0.0
                order_at = min(order_at, min(finite) - 0.001 + lead)
        old_counter, old_state, old_service = ticket["counter"], ticket["state"], ticket["service"]
        if old_counter is not None and self.current.get(old_counter) == ticket["id"]:
            del self.current[old_counter]
        self.waiting.get(old_service, {}).pop(ticket["id"], None)
        ticket.update(service=service, state="waiting", counter=None, queued_at=at,
                      order_at=order_at, called_at=None, started_at=None, recalls=0)
        self.waiting.setdefault(service, {})[ticket["id"]] = queue.Waiting(
            ticket["id"], service, ticket["need"], order_at)
        self._event("transferred", at, ticket["id"], counter=old_counter, actor=actor,
                    detail={"label": label, "from": old_service, "to": service,
                            "position": position, "state": old_state})
        return Ticket(**ticket)

    def answer_survey(self, token: str, answers: dict[str, object], *,
                      profile: dict[str, object] | None = None, suggestion: object = None,
                      via: str = "phone") -> Ticket:
        """The store's response rows and event (the sim answers only served tickets, once,
        the same day: the store's checks of that are not repeated here)."""
        _, at = self._now()
        asked = self.settings.survey
        given = survey.answers_of(answers, tuple(q.code for q in asked.questions))
        who = survey.profile_of(profile) if asked.profile else {}
        text = survey.suggestion_of(suggestion) if asked.suggestion else None
        ticket = self.tickets[self.by_token[token]]
        rid = self.next_response
        self.next_response += 1
        self.responses.append((rid, ticket["id"], ticket["day"], ticket["service"],
                               ticket["counter"], int(ticket["need"] is not None), at,
                               via if via in ("phone", "api") else "phone", who.get("age"),
                               who.get("sex"), who.get("education"), who.get("occupation"),
                               text))
        self.answers.extend((rid, code, value) for code, value in given.items())
        self._event("survey_answered", at, ticket["id"], counter=ticket["counter"],
                    actor="patron", detail={"label": ticket["label"], "via": via})
        return Ticket(**ticket)

    def rate(self, counter: int, score: int, *, actor: str | None = None) -> Ticket:
        """The store's quick rating of the ticket just finished at `counter`."""
        _, at = self._now()
        ticket = self.tickets[self.last_finished.pop(counter)]
        self.ratings.append((self.next_rating, ticket["id"], ticket["day"], ticket["service"],
                             counter, int(ticket["need"] is not None), at, score))
        self.next_rating += 1
        self._event("rated", at, ticket["id"], counter=counter,
                    actor=actor or f"rate:{counter}",
                    detail={"label": ticket["label"], "score": score})
        return Ticket(**ticket)

    def close(self) -> None:
        """Close the connection (callers use `contextlib.closing`): a store copied while
        it is open would miss what sits in its WAL."""
        self.conn.close()
