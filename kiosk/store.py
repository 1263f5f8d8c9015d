"""The SQLite store: schema, migrations, the domain's verbs and the append-only event log.

One file is the single source of truth. Every screen and worker is its own process with its
own `Store`; every change is one short `BEGIN IMMEDIATE` transaction that updates the ticket
and appends its event, so two writers queue on the busy timeout instead of failing.
(sqlite-utils' `atomic()` opens a deferred BEGIN, which under two writers fails with
"database is locked" when the reader upgrades; hence the explicit transactions here, while
sqlite-utils still does the schema, inserts and queries.)

Rows come back as plain dicts with the column names of design §3.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from kiosk import clock as clk
from kiosk import queue
from kiosk.config import Settings
from kiosk.exceptions import IssueRefused, NotAllowed, PinError, StoreBusy, UsageError

SCHEMA_VERSION = 4
BUSY_TIMEOUT_MS = 10_000
CLOCK_JUMP_S = 120
PIN_MAX_FAILURES = 5
PIN_LOCK_S = 60
MEDIAN_WINDOW = 100
"""Service-time medians use this many of a service's most recent finished tickets."""
MEDIAN_TTL_S = 60.0
MEDIAN_DAYS = 31
"""...looked for within this many days back (a service unused for a month has no median)."""
MEDIAN_HISTORY_TTL_S = 3600.0
"""The earlier days' part of the window is read again after this long (and each new day)."""
WAL_CHECKPOINT_PAGES = 10_000

OPEN_STATES = ("called", "serving")
_JSON = json.JSONEncoder(ensure_ascii=False)
"""One encoder for event details (json.dumps with options builds a new one per call)."""
Row = dict[str, Any]


@dataclass(frozen=True)
class Issued:
    """What the kiosk shows and prints for a new ticket."""

    ticket: Row
    people_ahead: int
    estimated_wait_min: int | None
    """Rounded: 0 = "less than 5 minutes", else a multiple of 5; None = not known."""


# -- schema --------------------------------------------------------------------------------


def _create_v1(db: sqlite_utils.Database) -> None:
    db["tickets"].create(
        {
            "id": int,
            "day": str,
            "prefix": str,
            "number": int,
            "label": str,
            "service": str,
            "need": str,
            "lang": str,
            "kiosk": str,
            "state": str,
            "counter": int,
            "issued_at": str,
            "queued_at": str,
            "order_at": float,
            "called_at": str,
            "started_at": str,
            "finished_at": str,
            "recalls": int,
        },
        pk="id",
        not_null={"day", "prefix", "number", "label", "service", "state", "issued_at",
                  "queued_at", "order_at", "recalls"},
        defaults={"recalls": 0, "state": "waiting"},
    )
    db["tickets"].create_index(["day", "prefix", "number"], unique=True)
    db["tickets"].create_index(["state", "day", "service"])
    db["tickets"].create_index(["counter", "state"])
    db["tickets"].create_index(["day", "label"])
    db["tickets"].create_index(["service", "finished_at"])
    db["events"].create(
        {
            "id": int,
            "ticket_id": int,
            "kind": str,
            "at": str,
            "counter": int,
            "actor": str,
            "detail": str,
        },
        pk="id",
        not_null={"kind", "at"},
        foreign_keys=[("ticket_id", "tickets", "id")],
    )
    db["events"].create_index(["ticket_id"])
    db["events"].create_index(["at"])
    db["events"].create_index(["kind", "id"])
    db["counters"].create(
        {"id": int, "state": str, "staff": str, "since": str},
        pk="id",
        not_null={"state"},
        defaults={"state": "closed"},
    )
    db["staff"].create(
        {
            "id": int,
            "name": str,
            "role": str,
            "pin_hash": str,
            "failed": int,
            "locked_until": str,
            "created_at": str,
        },
        pk="id",
        not_null={"name", "role", "pin_hash", "failed"},
        defaults={"failed": 0},
    )
    db["staff"].create_index(["name"], unique=True)
    db["devices"].create(
        {"name": str, "kind": str, "state": str, "detail": str, "updated_at": str},
        pk="name",
        not_null={"kind", "state", "updated_at"},
    )
    db["cursors"].create({"name": str, "event_id": int, "updated_at": str}, pk="name")


MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {1: _create_v1}
"""Schema version -> the step that brings the previous version to it. Append, never edit."""


# -- schema 2: read-only views for reports and other tools (issue 4) -----------------------

_SERVE_TIMES_SQL = """
CREATE VIEW serve_times AS
-- One row per ticket and queue segment. A transfer ends a segment (outcome 'transferred')
-- and starts the next one in the other service's queue; each is measured on its own.
-- Times are UTC text as stored; wait_s = queued -> called, service_s = called -> finished.
-- (`+x.kind` keeps SQLite on the ticket_id index: the (kind, at) index would scan a year.)
SELECT t.id AS ticket_id, t.day, t.label, t.prefix AS issued_service,
  1 + (SELECT COUNT(*) FROM events x WHERE x.ticket_id = t.id AND +x.kind = 'transferred')
    AS segment,
  t.service, t.need, t.need IS NOT NULL AS priority, t.counter, t.state AS outcome,
  t.queued_at, t.called_at, t.started_at,
  CASE WHEN t.state IN ('done', 'no_show', 'cancelled', 'expired') THEN t.finished_at END
    AS ended_at,
  ROUND((julianday(t.called_at) - julianday(t.queued_at)) * 86400.0, 3) AS wait_s,
  CASE WHEN t.state = 'done'
    THEN ROUND((julianday(t.finished_at) - julianday(t.called_at)) * 86400.0, 3) END
    AS service_s
FROM tickets t
UNION ALL
SELECT ticket_id, day, label, issued_service, segment, service, need, priority, counter,
  'transferred', queued_at, called_at, started_at, ended_at,
  ROUND((julianday(called_at) - julianday(queued_at)) * 86400.0, 3), NULL
FROM (
  SELECT e.ticket_id, t.day, t.label, t.prefix AS issued_service,
    (SELECT COUNT(*) FROM events x WHERE x.ticket_id = e.ticket_id
       AND +x.kind = 'transferred' AND x.id <= e.id) AS segment,
    json_extract(e.detail, '$.from') AS service, t.need, t.need IS NOT NULL AS priority,
    e.counter,
    COALESCE((SELECT MAX(p.at) FROM events p WHERE p.ticket_id = e.ticket_id
               AND +p.kind = 'transferred' AND p.id < e.id), t.issued_at) AS queued_at,
    CASE WHEN json_extract(e.detail, '$.state') IN ('called', 'serving')
      THEN (SELECT MAX(c.at) FROM events c WHERE c.ticket_id = e.ticket_id
              AND +c.kind = 'called' AND c.id < e.id) END AS called_at,
    CASE WHEN json_extract(e.detail, '$.state') = 'serving'
      THEN (SELECT MAX(c.at) FROM events c WHERE c.ticket_id = e.ticket_id
              AND +c.kind = 'started' AND c.id < e.id) END AS started_at,
    e.at AS ended_at
  FROM tickets t JOIN events e ON e.ticket_id = t.id
  WHERE +e.kind = 'transferred'
)
"""

_DAILY_SUMMARY_SQL = """
CREATE VIEW daily_summary AS
-- Per local day, service and class: the counts and mean waits an admin looks at first.
SELECT day, service, CASE WHEN priority THEN 'priority' ELSE 'regular' END AS class,
  SUM(segment = 1) AS issued, SUM(outcome = 'done') AS served,
  SUM(outcome = 'no_show') AS no_show, SUM(outcome = 'expired') AS expired,
  SUM(outcome = 'cancelled') AS cancelled, SUM(outcome = 'transferred') AS transferred,
  ROUND(AVG(wait_s) / 60.0, 1) AS mean_wait_min,
  ROUND(MAX(wait_s) / 60.0, 1) AS max_wait_min,
  ROUND(AVG(service_s) / 60.0, 1) AS mean_service_min
FROM serve_times GROUP BY day, service, priority
"""


def _create_v2(db: sqlite_utils.Database) -> None:
    """Views for reports and for `datasette kiosk.db` / the sqlite3 shell, the index the
    counter-utilisation query needs, and the report cache (derived data: safe to delete)."""
    db.execute(_SERVE_TIMES_SQL)
    db.execute(_DAILY_SUMMARY_SQL)
    db["events"].create_index(["kind", "at"])
    db["tickets"].create_index(["day", "state"])
    db["report_cache"].create(
        {"period": str, "fingerprint": str, "built_at": str, "data": str},
        pk="period",
        not_null={"fingerprint", "built_at", "data"},
    )


MIGRATIONS[2] = _create_v2


# -- schema 3: fewer indexes, so each commit writes fewer pages (issue 3) ------------------

_DROPPED_IN_V3 = (
    # find() looks a label up as (day, prefix, number) on the unique index instead.
    "idx_tickets_day_label",
    # current() reads the few called/serving tickets through (state, day, service).
    "idx_tickets_counter_state",
    # service_times() reads (state='done', day, service) day by day, newest day first.
    "idx_tickets_service_finished_at",
    # Day ranges use (day, prefix, number); day + state use (state, day, service).
    "idx_tickets_day_state",
    # Cursors read new events by rowid; today's calls use (kind, at).
    "idx_events_kind_id",
)


def _drop_write_indexes_v3(db: sqlite_utils.Database) -> None:
    """Every index is another page written, in the WAL and through its fsync, on every
    verb that touches its columns: with these five a lifecycle (issue, call, finish) wrote
    ~40 WAL pages, without them ~23, for queries that the remaining indexes answer as
    fast (`benchmarks/report_bench.py`: the same times on a 1.5 M-ticket year)."""
    for name in _DROPPED_IN_V3:
        db.execute(f"DROP INDEX IF EXISTS {name}")


MIGRATIONS[3] = _drop_write_indexes_v3


# -- schema 4: partial indexes that hold only what the hot queries look for (issue 3) ------

CALL_KINDS = ("called", "recalled")
COUNTER_KINDS = ("counter_opened", "counter_paused", "counter_resumed", "counter_closed")
INDEXED_KINDS_SQL = f"kind IN ({', '.join(repr(k) for k in CALL_KINDS + COUNTER_KINDS)})"
"""The events in the (kind, at) index: the calls and the counter changes, the only kinds a
query looks up by time. A query must repeat this term word for word to use the index
(SQLite takes a partial index only when the query's WHERE contains the index's own)."""

_PARTIAL_INDEXES_V4 = {
    # The queue itself: added when a ticket is issued, gone when it is called. Covering,
    # so the policy's list is read from the index alone (`state` too: SQLite 3.40 does not
    # count a column as covered because the index's WHERE fixes it).
    "idx_tickets_waiting":
        "tickets (day, service, need, order_at, state) WHERE state = 'waiting'",
    # What each counter has called or is serving: a handful of rows at any moment.
    "idx_tickets_open": "tickets (counter) WHERE state IN ('called', 'serving')",
    # Calls and counter changes by time (the board's recent calls, reports), not the
    # issued/started/finished events that make up most of the log.
    "idx_events_kind_at": f"events (kind, at) WHERE {INDEXED_KINDS_SQL}",
}


def _partial_indexes_v4(db: sqlite_utils.Database) -> None:
    """(state, day, service) changed on every step of a ticket and (kind, at) took every
    event: two entries moved or added per commit. The partial indexes get an entry only on
    the steps their queries care about (a lifecycle writes ~19 WAL pages instead of ~22)."""
    db.execute("DROP INDEX IF EXISTS idx_tickets_state_day_service")
    db.execute("DROP INDEX IF EXISTS idx_events_kind_at")
    for name, target in _PARTIAL_INDEXES_V4.items():
        db.execute(f"CREATE INDEX {name} ON {target}")


MIGRATIONS[4] = _partial_indexes_v4


# -- PIN hashing ---------------------------------------------------------------------------

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    scheme, n, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=8, p=1)
    return hmac.compare_digest(got.hex(), digest)


def valid_pin(pin: str) -> bool:
    return pin.isdigit() and 4 <= len(pin) <= 12


# -- the store -----------------------------------------------------------------------------


class Store:
    """One process's handle on the shared SQLite file, speaking the domain's verbs."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: clk.Clock | None = None,
        path: Path | None = None,
    ) -> None:
        self.settings = settings
        self.clock: clk.Clock = clock or clk.SystemClock()
        self.path = Path(path or settings.store.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tz = settings.site.tz
        self._head_start = settings.head_start()
        self._counter_services = {c.id: frozenset(c.services) for c in settings.counters}
        """Counter id -> the services it serves, in config order (the estimate's counters)."""
        conn = sqlite3.connect(
            str(self.path),
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # we issue BEGIN IMMEDIATE / COMMIT ourselves
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self.conn = conn
        self._enable_wal()
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        # Checkpoint every ~40 MB of WAL instead of 4 MB: hot index pages are copied back
        # once instead of ten times (worth ~15% of write throughput under schema 2; under
        # schema 4, 1,000 / 3,000 / 10,000 pages measure the same within the disk's noise).
        conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        self.db = sqlite_utils.Database(conn)
        self._medians: tuple[float, dict[str, float]] = (-1e18, {})
        self._median_history: tuple[date | None, float, dict[str, list[tuple[str, str]]]] = (
            None, 0.0, {})
        self._bulk = False
        self._rolled_day: str | None = None
        self._rolling: str | None = None
        self.migrate()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One short write transaction; other writers wait on the busy timeout.

        Inside `bulk()` the verbs share the bulk's one transaction instead."""
        if self._bulk:
            yield self.db
            return
        self._begin_immediate()
        self._rolling = None
        try:
            yield self.db
            self._commit()
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        if self._rolling is not None:
            self._rolled_day = self._rolling

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Several reads from one state of the file: consistent with each other, and one
        read lock instead of one per statement. Inside a transaction, that transaction's."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    def _enable_wal(self) -> None:
        """Switch a new file to WAL. Two processes creating the same file at once can see
        "database is locked" here, which the busy handler does not cover: retry briefly."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                mode = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01 * (0.5 + random.random()))
                continue
            if mode.lower() != "wal":
                raise UsageError(f"{self.path}: cannot switch the store to WAL (mode {mode})")
            return

    def _begin_immediate(self) -> None:
        """Take the write lock; SQLite's busy handler waits up to the busy timeout.

        (Measured: retrying here every fraction of a millisecond instead was slower, 650
        against 880 lifecycles/s with 4 processes on 2 cores, as the spinning processes
        took CPU from the one holding the lock.)"""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            raise StoreBusy(
                f"{self.path}: the store stayed locked for {BUSY_TIMEOUT_MS // 1000} s;"
                " is another program holding it?"
            ) from None

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Run many verbs in one transaction (demo data: one simulated day per commit)."""
        if self._bulk:
            raise RuntimeError("bulk() does not nest")
        with self.transaction():
            self._bulk = True
            try:
                yield
            finally:
                self._bulk = False

    def _commit(self) -> None:
        """COMMIT; a seam where tests inject a failure."""
        self.conn.execute("COMMIT")

    def migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UsageError(
                f"{self.path}: made by a newer version of this program (schema {version})"
            )
        if version == SCHEMA_VERSION:
            self._ensure_counters()
            return
        with self.transaction():
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            for step in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](self.db)
            self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._ensure_counters()

    def _ensure_counters(self) -> None:
        known = {row["id"] for row in self._rows("SELECT id FROM counters")}
        missing = [c.id for c in self.settings.counters if c.id not in known]
        if missing:
            with self.transaction():
                for counter_id in missing:
                    self.conn.execute(
                        "INSERT OR IGNORE INTO counters (id, state) VALUES (?, 'closed')",
                        (counter_id,),
                    )

    def data_version(self) -> int:
        """Changes whenever another connection commits: a cheap "anything new?" poll."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    # -- small helpers ---------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> str:
        return clk.local_day(self.now(), self.tz)

    def _event(
        self,
        kind: str,
        at: str,
        *,
        ticket_id: int | None = None,
        counter: int | None = None,
        actor: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> int:
        cur = self.conn.execute(
            "INSERT INTO events (ticket_id, kind, at, counter, actor, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                ticket_id,
                kind,
                at,
                counter,
                actor,
                _JSON.encode(detail) if detail else None,
            ),
        )
        return int(cur.lastrowid or 0)

    def _rows(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[Row]:
        """Rows as dicts straight from sqlite3: the verbs' hot path (sqlite-utils' query()
        parses each statement first, which doubles the cost of a short verb)."""
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _returning(self, sql: str, params: tuple[Any, ...]) -> Row:
        """The one row an INSERT/UPDATE ... RETURNING * wrote: no second statement to read
        it. (_rows reads to the end, so the statement is finished before COMMIT.)"""
        (row,) = self._rows(sql, params)
        return row

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _check_counter(self, counter: int) -> None:
        try:
            self.settings.counter(counter)
        except KeyError:
            known = ", ".join(str(c.id) for c in self.settings.counters)
            raise UsageError(f"unknown counter {counter} (configured: {known})") from None

    def _check_service(self, service: str) -> None:
        try:
            self.settings.service(service)
        except KeyError:
            known = ", ".join(s.prefix for s in self.settings.services)
            raise UsageError(f'unknown service "{service}" (configured: {known})') from None

    def _check_need(self, need: str | None) -> None:
        if need is not None and need not in self.settings.needs:
            known = ", ".join(self.settings.needs) or "none"
            raise UsageError(f'unknown need "{need}" (configured: {known})')

    def ticket(self, ticket_id: int) -> Row:
        row = self._one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        if row is None:
            raise UsageError(f"no ticket with id {ticket_id}")
        return row

    def find(self, label: str, day: str | None = None) -> Row:
        """Today's ticket with this label (labels repeat every day)."""
        day = day or self.today()
        text = label.strip().upper()
        # A label is its prefix and its number ("A012" = A, 12): look it up on the unique
        # (day, prefix, number) index. "A12" finds A012 too, as staff would expect.
        row = None
        if len(text) >= 2 and text[0].isalpha() and text[1:].isdigit():
            row = self._one(
                "SELECT * FROM tickets WHERE day = ? AND prefix = ? AND number = ?",
                (day, text[0], int(text[1:])),
            )
        if row is None:
            raise UsageError(f'no ticket "{label}" today ({day})')
        return row

    def current(self, counter: int) -> Row | None:
        """The ticket a counter has called or is serving, if any."""
        # Through the partial index of open tickets: only a few are called or being served
        # at any moment, about one per counter (the newest wins, chosen here rather than
        # sorted in a temporary B-tree).
        rows = self._rows(
            "SELECT * FROM tickets WHERE state IN ('called', 'serving') AND counter = ?",
            (counter,),
        )
        return max(rows, key=lambda r: r["called_at"] or "") if rows else None

    def _waiting(self, day: str) -> list[queue.Waiting]:
        # Plain tuples, not _rows' dicts: this runs under the write lock in call_next.
        return [
            queue.Waiting(*row)
            for row in self.conn.execute(
                "SELECT id, service, need, order_at FROM tickets"
                " WHERE state = 'waiting' AND day = ?",
                (day,),
            )
        ]

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

    def _refuse_outside_hours(self, now: datetime) -> None:
        hours = self.settings.hours
        local = now.astimezone(self.tz).time()
        fmt = "%H:%M"
        if local < hours.open or local >= hours.close:
            raise IssueRefused(
                "closed",
                f"closed: tickets are issued {hours.open.strftime(fmt)}–"
                f"{hours.last_ticket.strftime(fmt)}",
            )
        if local >= hours.last_ticket:
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
        """A message for staff when the wall clock runs behind the log, else None."""
        newest = self.conn.execute("SELECT MAX(at) FROM events").fetchone()[0]
        if newest is None:
            return None
        behind = clk.epoch(newest) - self.now().timestamp()
        if behind > CLOCK_JUMP_S:
            return (
                f"the clock is {behind / 60:.0f} minutes behind the newest event "
                f"({newest}); issuing is stopped until the clock is fixed"
            )
        return None

    def issue(
        self,
        service: str,
        need: str | None = None,
        *,
        lang: str | None = None,
        kiosk: str | None = None,
        actor: str | None = None,
    ) -> Issued:
        """Give a patron a new ticket, or raise IssueRefused with the reason."""
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
        clock_trouble: str | None = None
        with self.transaction():
            now = self.now()
            at = clk.iso(now)
            clock_trouble = self.clock_problem()
            if clock_trouble is None:
                self._refuse_outside_hours(now)
                day = clk.local_day(now, self.tz)
                self._roll_day(day, at)
                quota = self.settings.service(service).quota
                # Numbers run 1, 2, 3... without gaps and nothing of today is ever deleted,
                # so the highest number is also the count. MAX() is one step down the
                # unique index; COUNT(*) would walk the whole day under the write lock.
                top = self.conn.execute(
                    "SELECT MAX(number) FROM tickets WHERE day = ? AND prefix = ?",
                    (day, service),
                ).fetchone()[0] or 0
                if quota and top >= quota:
                    raise IssueRefused("quota", f'today\'s quota for "{service}" is reached')
                number = int(top) + 1
                label = f"{service}{number:03d}"
                ticket = self._returning(
                    "INSERT INTO tickets (day, prefix, number, label, service, need, lang,"
                    " kiosk, state, issued_at, queued_at, order_at, recalls)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?, 0) RETURNING *",
                    (day, service, number, label, service, need, lang, kiosk, at, at,
                     now.timestamp()),
                )
                self._event(
                    "issued",
                    at,
                    ticket_id=ticket["id"],
                    actor=actor or (f"kiosk:{kiosk}" if kiosk else None),
                    detail={"label": label, "service": service, "need": need, "lang": lang},
                )
            else:
                last = self._one("SELECT kind FROM events ORDER BY id DESC LIMIT 1")
                if last is None or last["kind"] != "clock_jump":
                    self._event("clock_jump", at, actor=actor, detail={"message": clock_trouble})
        if clock_trouble is not None:
            raise IssueRefused("clock", clock_trouble)
        ahead, wait = self.outlook(ticket)
        return Issued(ticket, ahead, wait)

    # -- the outlook: people ahead and the estimate ----------------------------------------

    def service_times(self) -> dict[str, float]:
        """Each service's median service time (seconds) over its recent finished tickets."""
        stamp, cached = self._medians
        moment = self.now()
        now = moment.timestamp()
        if 0 <= now - stamp < MEDIAN_TTL_S:
            return cached
        today = moment.astimezone(self.tz).date()
        recent = self._finished_on(today.isoformat())
        day, at, history = self._median_history
        if day != today or not 0 <= now - at < MEDIAN_HISTORY_TTL_S:
            history = self._finished_before(today)
            self._median_history = (today, now, history)
        medians: dict[str, float] = {}
        for service in self.settings.services:
            pairs = recent.get(service.prefix, []) + history.get(service.prefix, [])
            durations = [clk.epoch(finished) - clk.epoch(called)
                         for finished, called in pairs[:MEDIAN_WINDOW]]
            if durations:
                medians[service.prefix] = max(30.0, statistics.median(durations))
        self._medians = (now, medians)
        return medians

    def _finished_on(self, day: str) -> dict[str, list[tuple[str, str]]]:
        """A day's finished tickets per service as (finished_at, called_at), newest first.

        Read through the unique index's day (finished tickets have no index of their own:
        it would be written on every finish), so a day costs one pass over its tickets."""
        rows = self.conn.execute(
            "SELECT service, finished_at, called_at FROM tickets WHERE day = ?"
            " AND state = 'done' AND finished_at IS NOT NULL AND called_at IS NOT NULL",
            (day,),
        ).fetchall()
        out: dict[str, list[tuple[str, str]]] = {}
        for service, finished_at, called_at in sorted(rows, reverse=True):
            out.setdefault(service, []).append((finished_at, called_at))
        return out

    def _finished_before(self, today: date) -> dict[str, list[tuple[str, str]]]:
        """The earlier days' part of each service's window, newest day first, up to
        MEDIAN_DAYS back. Past days no longer change, so this is kept for an hour, and
        the once-a-minute refresh reads only today."""
        out: dict[str, list[tuple[str, str]]] = {}
        wanted = {service.prefix for service in self.settings.services}
        for back in range(1, MEDIAN_DAYS):
            if not wanted:
                break
            day = (today - timedelta(days=back)).isoformat()
            for service, pairs in self._finished_on(day).items():
                if service in wanted:
                    out[service] = (out.get(service, []) + pairs)[:MEDIAN_WINDOW]
            wanted = {s for s in wanted if len(out.get(s, [])) < MEDIAN_WINDOW}
        return out

    def open_counters(self, medians: dict[str, float]) -> list[queue.OpenCounter]:
        """The counters the estimate may count on, with when each will be free (a busy
        counter's patron is expected to take the service's median, `service_times()`)."""
        with self._snapshot():
            # Tuples rather than _rows' dicts: this runs for every ticket issued.
            states = dict(self.conn.execute("SELECT id, state FROM counters").fetchall())
            busy = {
                counter: (service, called_at)
                for counter, service, called_at in self.conn.execute(
                    "SELECT counter, service, called_at FROM tickets"
                    " WHERE state IN ('called', 'serving') AND counter IS NOT NULL"
                    " ORDER BY called_at"
                )
            }
        staffed = [c for c in self._counter_services if states.get(c) in ("open", "paused")]
        # Before anyone signs in (the day is starting) assume every counter will open.
        now = self.now().timestamp()
        out = []
        for counter in staffed or self._counter_services:
            free_in = 0.0
            if counter in busy:
                service, called_at = busy[counter]
                typical = medians.get(service, queue.DEFAULT_SERVICE_S)
                free_in = max(0.0, typical - (now - clk.epoch(called_at)))
            out.append(queue.OpenCounter(counter, self._counter_services[counter], free_in))
        return out

    def outlook(self, ticket: Row) -> tuple[int, int | None]:
        """(people ahead, rounded estimated wait in minutes) for a waiting ticket."""
        with self._snapshot():
            waiting = self._waiting(ticket["day"])
            medians = self.service_times()
            counters = self.open_counters(medians)
        me = queue.Waiting(ticket["id"], ticket["service"], ticket["need"], ticket["order_at"])
        others = [w for w in waiting if w.id != me.id]
        ahead = queue.people_ahead(others, me, [me.service], self._head_start)
        seconds = queue.estimate_wait_s(others, me, counters, medians, self._head_start)
        return ahead, queue.rounded_wait_minutes(seconds)

    # -- counter verbs ---------------------------------------------------------------------

    def _finish_open(self, counter: int, at: str, actor: str | None) -> Row | None:
        """Finish what the counter has called or is serving (one UPDATE through the open
        index, no read first); returns the finished ticket, or None when there was none."""
        done = self._rows(
            "UPDATE tickets SET state = 'done', finished_at = ?"
            " WHERE state IN ('called', 'serving') AND counter = ? RETURNING *",
            (at, counter),
        )
        for row in done:  # one, unless an older ticket was somehow left open here too
            self._event("finished", at, ticket_id=row["id"], counter=counter, actor=actor)
        return max(done, key=lambda r: r["called_at"] or "") if done else None

    def _counter_state(self, counter: int) -> str:
        row = self._one("SELECT state FROM counters WHERE id = ?", (counter,))
        return row["state"] if row else "closed"

    def call_next(self, counter: int, *, actor: str | None = None) -> Row | None:
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
                "UPDATE tickets SET state = 'called', counter = ?, called_at = ? WHERE id = ?"
                " RETURNING *",
                (counter, at, chosen.id),
            )
            self._event(
                "called",
                at,
                ticket_id=chosen.id,
                counter=counter,
                actor=actor,
                detail={"label": ticket["label"], "service": ticket["service"]},
            )
        return ticket

    def _require_current(self, counter: int, states: tuple[str, ...], verb: str) -> Row:
        self._check_counter(counter)
        current = self.current(counter)
        if current is None:
            raise NotAllowed(f"counter {counter} has no ticket called; nothing to {verb}")
        if current["state"] not in states:
            raise NotAllowed(f"{current['label']} is {current['state']}; cannot {verb} it")
        return current

    def recall(self, counter: int, *, actor: str | None = None) -> Row:
        """Call the counter's current ticket again (up to max_recalls)."""
        with self.transaction():
            current = self._require_current(counter, ("called",), "recall")
            limit = self.settings.queue.max_recalls
            if current["recalls"] >= limit:
                raise NotAllowed(
                    f"{current['label']} was already called again {limit} times;"
                    " mark it as a no-show (x)"
                )
            at = clk.iso(self.now())
            self.conn.execute(
                "UPDATE tickets SET recalls = recalls + 1 WHERE id = ?", (current["id"],)
            )
            self._event(
                "recalled",
                at,
                ticket_id=current["id"],
                counter=counter,
                actor=actor,
                detail={"label": current["label"], "recall": current["recalls"] + 1},
            )
            return self.ticket(current["id"])

    def start(self, counter: int, *, actor: str | None = None) -> Row:
        """The called patron has arrived: service starts."""
        with self.transaction():
            current = self._require_current(counter, ("called",), "start")
            at = clk.iso(self.now())
            self.conn.execute(
                "UPDATE tickets SET state = 'serving', started_at = ? WHERE id = ?",
                (at, current["id"]),
            )
            self._event("started", at, ticket_id=current["id"], counter=counter, actor=actor)
            return self.ticket(current["id"])

    def finish(self, counter: int, *, actor: str | None = None) -> Row:
        self._check_counter(counter)
        with self.transaction():
            done = self._finish_open(counter, clk.iso(self.now()), actor)
            if done is None:  # nothing open: say why, as the other counter verbs do
                self._require_current(counter, OPEN_STATES, "finish")
        assert done is not None
        return done

    def no_show(self, counter: int, *, actor: str | None = None) -> Row:
        with self.transaction():
            current = self._require_current(counter, ("called",), "mark as no-show")
            at = clk.iso(self.now())
            self.conn.execute(
                "UPDATE tickets SET state = 'no_show', finished_at = ? WHERE id = ?",
                (at, current["id"]),
            )
            self._event("no_show", at, ticket_id=current["id"], counter=counter, actor=actor)
            return self.ticket(current["id"])

    # -- ticket verbs ----------------------------------------------------------------------

    def transfer(
        self,
        label: str,
        service: str,
        *,
        position: str | None = None,
        actor: str | None = None,
    ) -> Row:
        """Move a ticket to another service's queue; it keeps its label (the patron's slip)."""
        self._check_service(service)
        position = position or self.settings.queue.transfer_position
        if position not in ("front", "back"):
            raise UsageError(f'position must be "front" or "back", got "{position}"')
        with self.transaction():
            ticket = self.find(label)
            if ticket["state"] not in ("waiting", *OPEN_STATES):
                raise NotAllowed(f"{ticket['label']} is {ticket['state']}; cannot transfer it")
            now = self.now()
            at = clk.iso(now)
            order_at = now.timestamp()
            if position == "front":
                others = [w for w in self._waiting(ticket["day"]) if w.service == service]
                finite = [
                    queue.virtual_arrival(w, self._head_start)
                    for w in others
                    if w.id != ticket["id"]
                ]
                finite = [v for v in finite if v != float("-inf")]
                if finite:
                    lead = self._head_start(ticket["need"]) or 0.0
                    order_at = min(order_at, min(finite) - 0.001 + lead)
            self.conn.execute(
                "UPDATE tickets SET service = ?, state = 'waiting', counter = NULL,"
                " queued_at = ?, order_at = ?, called_at = NULL, started_at = NULL,"
                " recalls = 0 WHERE id = ?",
                (service, at, order_at, ticket["id"]),
            )
            self._event(
                "transferred",
                at,
                ticket_id=ticket["id"],
                counter=ticket["counter"],
                actor=actor,
                detail={
                    "label": ticket["label"],
                    "from": ticket["service"],
                    "to": service,
                    "position": position,
                    "state": ticket["state"],
                },
            )
            return self.ticket(ticket["id"])

    def reclassify(self, label: str, need: str | None, *, actor: str | None = None) -> Row:
        """Change a ticket's priority need (staff's answer to misuse); logged."""
        self._check_need(need)
        with self.transaction():
            ticket = self.find(label)
            if ticket["state"] not in ("waiting", *OPEN_STATES):
                raise NotAllowed(f"{ticket['label']} is {ticket['state']}; cannot reclassify it")
            at = clk.iso(self.now())
            self.conn.execute("UPDATE tickets SET need = ? WHERE id = ?", (need, ticket["id"]))
            self._event(
                "reclassified",
                at,
                ticket_id=ticket["id"],
                actor=actor,
                detail={"label": ticket["label"], "from": ticket["need"], "to": need},
            )
            return self.ticket(ticket["id"])

    def cancel(self, label: str, *, actor: str | None = None) -> Row:
        with self.transaction():
            ticket = self.find(label)
            if ticket["state"] not in ("waiting", *OPEN_STATES):
                raise NotAllowed(f"{ticket['label']} is {ticket['state']}; cannot cancel it")
            at = clk.iso(self.now())
            self.conn.execute(
                "UPDATE tickets SET state = 'cancelled', finished_at = ? WHERE id = ?",
                (at, ticket["id"]),
            )
            self._event("cancelled", at, ticket_id=ticket["id"], actor=actor)
            return self.ticket(ticket["id"])

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

    def counter_states(self) -> dict[int, Row]:
        return {r["id"]: r for r in self._rows("SELECT * FROM counters ORDER BY id")}

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

    def staff_add(self, name: str, role: str, pin: str) -> None:
        name = name.strip()
        if not name:
            raise UsageError("a staff name cannot be empty")
        if role not in ("staff", "admin"):
            raise UsageError(f'role must be "staff" or "admin", got "{role}"')
        if not valid_pin(pin):
            raise UsageError("a PIN is 4 to 12 digits")
        pin_hash = hash_pin(pin)
        with self.transaction():
            if self._one("SELECT id FROM staff WHERE name = ?", (name,)):
                self.conn.execute(
                    "UPDATE staff SET role = ?, pin_hash = ?, failed = 0, locked_until = NULL"
                    " WHERE name = ?",
                    (role, pin_hash, name),
                )
            else:
                self.conn.execute(
                    "INSERT INTO staff (name, role, pin_hash, failed, created_at)"
                    " VALUES (?, ?, ?, 0, ?)",
                    (name, role, pin_hash, clk.iso(self.now())),
                )

    def verify_pin(
        self, name: str, pin: str, *, counter: int | None = None, need_role: str = "staff"
    ) -> Row:
        """Check a PIN; 5 failures lock the account for 60 s (kept here, not in an app)."""
        now = self.now()
        at = clk.iso(now)
        row = self._one("SELECT * FROM staff WHERE name = ?", (name.strip(),))
        if row is None:
            with self.transaction():
                self._event("pin_failed", at, counter=counter, actor=name,
                            detail={"reason": "unknown name"})
            raise PinError("wrong name or PIN")
        if row["locked_until"] and clk.parse(row["locked_until"]) > now:
            wait = int((clk.parse(row["locked_until"]) - now).total_seconds()) + 1
            raise PinError(f"too many wrong PINs; try again in {wait} s")
        ok = check_pin(pin, row["pin_hash"])  # slow on purpose; outside the write lock
        failure = ""
        with self.transaction():
            if ok:
                self.conn.execute(
                    "UPDATE staff SET failed = 0, locked_until = NULL WHERE id = ?", (row["id"],)
                )
            else:
                failed = int(row["failed"]) + 1
                locked = None
                failure = "wrong name or PIN"
                if failed >= PIN_MAX_FAILURES:
                    locked = clk.iso(now + timedelta(seconds=PIN_LOCK_S))
                    failed = 0
                    failure = f"too many wrong PINs; try again in {PIN_LOCK_S} s"
                self.conn.execute(
                    "UPDATE staff SET failed = ?, locked_until = ? WHERE id = ?",
                    (failed, locked, row["id"]),
                )
                self._event("pin_failed", at, counter=counter, actor=row["name"],
                            detail={"locked": locked is not None})
        if failure:  # raised after COMMIT so the failure count is kept
            raise PinError(failure)
        if need_role == "admin" and row["role"] != "admin":
            raise PinError(f"{row['name']} is not an admin")
        return {"name": row["name"], "role": row["role"]}

    def sign_in(self, name: str, pin: str, counter: int) -> Row:
        """PIN check, then the counter opens under this person's name."""
        self._check_counter(counter)
        person = self.verify_pin(name, pin, counter=counter)
        with self.transaction():
            at = clk.iso(self.now())
            self._event("signed_in", at, counter=counter, actor=person["name"])
            if self._counter_state(counter) == "closed":
                self._set_counter(counter, "open", at, person["name"], "counter_opened")
        return person

    def sign_out(self, name: str, counter: int) -> None:
        """Close the counter. Refused while it still has a patron called or being served:
        the board would go on showing that call with nobody at the counter."""
        self._check_counter(counter)
        with self.transaction():
            current = self.current(counter)
            if current is not None:
                raise NotAllowed(
                    f"{current['label']} is still {current['state']} at counter {counter};"
                    " finish it (f), mark a no-show (x) or transfer it (t) first"
                )
            at = clk.iso(self.now())
            if self._counter_state(counter) != "closed":
                self._set_counter(counter, "closed", at, name, "counter_closed")
            self._event("signed_out", at, counter=counter, actor=name)

    # -- devices, cursors, events ----------------------------------------------------------

    def set_device(self, name: str, kind: str, state: str, detail: str | None = None) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO devices (name, kind, state, detail, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET"
                " kind = excluded.kind, state = excluded.state, detail = excluded.detail,"
                " updated_at = excluded.updated_at",
                (name, kind, state, detail, clk.iso(self.now())),
            )

    def devices(self) -> dict[str, Row]:
        return {r["name"]: r for r in self._rows("SELECT * FROM devices ORDER BY name")}

    def log(
        self,
        kind: str,
        *,
        ticket_id: int | None = None,
        counter: int | None = None,
        actor: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> int:
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
                     limit: int = 1000) -> list[Row]:
        sql = "SELECT * FROM events WHERE id > ?"
        params: list[Any] = [event_id]
        if kinds:
            # `+kind`: walk the rowids after the cursor (a few new events), never every
            # event of these kinds through the (kind, at) index.
            sql += f" AND +kind IN ({', '.join('?' for _ in kinds)})"
            params.extend(kinds)
        sql += " ORDER BY id LIMIT ?"
        params.append(limit)
        return self._rows(sql, params)

    def newest_event_id(self) -> int:
        row = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()
        return int(row[0])

    def get_cursor(self, name: str) -> int:
        row = self._one("SELECT event_id FROM cursors WHERE name = ?", (name,))
        return int(row["event_id"]) if row else 0

    def set_cursor(self, name: str, event_id: int) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO cursors (name, event_id, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET event_id = excluded.event_id,"
                " updated_at = excluded.updated_at",
                (name, event_id, clk.iso(self.now())),
            )

    # -- the overview every screen shows ---------------------------------------------------

    def status(self) -> Row:
        """Waiting per service and class, counters, devices: `kiosk status` and screens."""
        day = self.today()
        now = self.now().timestamp()
        per_service: dict[str, Row] = {
            s.prefix: {"service": s.prefix, "waiting": 0, "priority": 0, "regular": 0,
                       "oldest_wait_min": None}
            for s in self.settings.services
        }
        for row in self._rows(
            "SELECT service, need IS NOT NULL AS priority, COUNT(*) AS n,"
            " MIN(queued_at) AS oldest FROM tickets WHERE state = 'waiting' AND day = ?"
            " GROUP BY service, need IS NOT NULL",
            (day,),
        ):
            entry = per_service.setdefault(
                row["service"],
                {"service": row["service"], "waiting": 0, "priority": 0, "regular": 0,
                 "oldest_wait_min": None},
            )
            entry["waiting"] += row["n"]
            entry["priority" if row["priority"] else "regular"] += row["n"]
            wait = round((now - clk.epoch(row["oldest"])) / 60, 1)
            if entry["oldest_wait_min"] is None or wait > entry["oldest_wait_min"]:
                entry["oldest_wait_min"] = wait
        counters = []
        states = self.counter_states()
        for counter in self.settings.counters:
            current = self.current(counter.id)
            state = states.get(counter.id, {})
            counters.append(
                {
                    "counter": counter.id,
                    "state": state.get("state", "closed"),
                    "staff": state.get("staff"),
                    "services": counter.services,
                    "label": current["label"] if current else None,
                    "ticket_state": current["state"] if current else None,
                }
            )
        return {
            "day": day,
            "services": list(per_service.values()),
            "counters": counters,
            "devices": list(self.devices().values()),
            "clock_problem": self.clock_problem(),
        }

    # -- retention (issue 4: reports) ------------------------------------------------------
    # Purge is the one path that deletes from the append-only log. It is an admin's
    # explicit, logged act (UU 27/2022: needs are health data, kept only as long as needed).

    def purge(self, before: str, *, actor: str | None = None) -> dict[str, Any]:
        """Delete tickets of local days before `before` (YYYY-MM-DD), their events, and the
        other events (counters, devices, ...) older than local midnight of that day.

        Logged as a `purged` event that survives: it is written first, so it also keeps the
        newest event id (event ids are never reused, so announcer cursors stay valid).
        Returns {"before", "tickets", "events"}."""
        try:
            cutoff_day = datetime.strptime(before, "%Y-%m-%d").date()
        except ValueError:
            raise UsageError(f'--before must be a date YYYY-MM-DD, got "{before}"') from None
        if before > self.today():
            raise NotAllowed(f"cannot purge before {before}: that would delete today's queue")
        cutoff_at, _ = clk.day_bounds_utc(cutoff_day, self.tz)
        doomed = (
            " FROM events WHERE ticket_id IN (SELECT id FROM tickets WHERE day < ?)"
            " OR (ticket_id IS NULL AND at < ?)"
        )
        with self.transaction():
            at = clk.iso(self.now())
            n_tickets = self.conn.execute(
                "SELECT COUNT(*) FROM tickets WHERE day < ?", (before,)
            ).fetchone()[0]
            n_events = self.conn.execute("SELECT COUNT(*)" + doomed, (before, cutoff_at))
            detail = {"before": before, "tickets": int(n_tickets),
                      "events": int(n_events.fetchone()[0])}
            # Logged first (and never itself purged: its time is today, after the cutoff).
            self._event("purged", at, actor=actor, detail=detail)
            self.conn.execute("DELETE" + doomed, (before, cutoff_at))
            self.conn.execute("DELETE FROM tickets WHERE day < ?", (before,))
            # Derived report data of purged days (periods are YYYY-MM-DD or YYYY-MM).
            self.conn.execute("DELETE FROM report_cache WHERE period < ?", (before,))
        return detail

    # -- read helpers for the staff console and the lobby board (issue 8) ------------------
    # Reads only: they change nothing, and no verb above depends on them. What the board
    # reads never includes `need` (the board, like the slip and the speech, names no need).

    def recent_calls(self, limit: int = 8) -> list[Row]:
        """Today's calls, newest first, one row per ticket (its latest `called` or `recalled`
        event): event_id, kind, at, counter, ticket_id, label, state (the ticket's state
        now) and `open` (still called or being served at that counter)."""
        start, _ = clk.day_bounds_utc(self.now().astimezone(self.tz).date(), self.tz)
        return [
            {**row, "open": row["state"] in OPEN_STATES and row["now_counter"] == row["counter"]}
            for row in self._rows(
                "SELECT e.id AS event_id, e.kind, e.at, e.counter, e.ticket_id, t.label,"
                " t.state, t.counter AS now_counter FROM events e"
                " JOIN tickets t ON t.id = e.ticket_id"
                " WHERE e.id IN (SELECT MAX(id) FROM events WHERE kind IN (?, ?) AND at >= ?"
                f"   AND {INDEXED_KINDS_SQL} GROUP BY ticket_id)"
                " ORDER BY e.id DESC LIMIT ?",
                (*CALL_KINDS, start, limit),
            )
        ]

    def waiting_outlook(self) -> list[Row]:
        """Per service, in config order: how many wait now, and `estimated_wait_min` for a
        regular ticket taken now (rounded as the kiosk says it: 0 = under 5 minutes; None =
        no open counter serves the service)."""
        now = self.now().timestamp()
        waiting = self._waiting(self.today())
        medians = self.service_times()
        counters = self.open_counters(medians)
        out = []
        for service in self.settings.services:
            # Last among equals: a probe id above every real id loses each tie.
            probe = queue.Waiting(2**62, service.prefix, None, now)
            seconds = queue.estimate_wait_s(waiting, probe, counters, medians, self._head_start)
            out.append({
                "service": service.prefix,
                "waiting": sum(1 for w in waiting if w.service == service.prefix),
                "estimated_wait_min": queue.rounded_wait_minutes(seconds),
            })
        return out

    def staff_names(self) -> list[str]:
        return [row["name"] for row in self._rows("SELECT name FROM staff ORDER BY name")]
