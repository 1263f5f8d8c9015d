"""The store's schema and its migrations: what the SQLite file holds, version by version.

`PRAGMA user_version` is the schema version; `MIGRATIONS[n]` brings a file at n - 1 to n.
Append a step, never edit one: files made by every earlier version must open (the tests
migrate a schema-1 file). sqlite-utils creates the tables; views and partial indexes are
plain SQL.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

SCHEMA_VERSION = 10


def version_of(path: Path) -> int | None:
    """The schema version of the store file at `path`, read only (no migration, nothing
    written; SQLite may add the empty -wal and -shm files a reader needs): None when there
    is no file. A file that is not SQLite raises sqlite3.Error."""
    if not path.exists():
        return None
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])

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


# -- schema 5: one console per counter, and a ticket can come back (issue 17) ---------------

SEGMENT_KINDS = ("transferred", "requeued")
"""Events that end a ticket's queue segment and start the next: a transfer to another
service's queue, and a no-show or cancelled ticket put back in the queue."""

_SEGMENT_KINDS_SQL = "('transferred', 'requeued')"

_SERVE_TIMES_V5_SQL = f"""
CREATE VIEW serve_times AS
-- One row per ticket and queue segment. A transfer or a requeue ends a segment and starts
-- the next one; each is measured on its own. A transferred segment's outcome is
-- 'transferred'; a requeued one keeps how it ended (no_show or cancelled).
-- Times are UTC text as stored; wait_s = queued -> called, service_s = called -> finished.
-- (`+x.kind` keeps SQLite on the ticket_id index: the (kind, at) index would scan a year.)
SELECT t.id AS ticket_id, t.day, t.label, t.prefix AS issued_service,
  1 + (SELECT COUNT(*) FROM events x WHERE x.ticket_id = t.id
       AND +x.kind IN {_SEGMENT_KINDS_SQL}) AS segment,
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
  outcome, queued_at, called_at, started_at, ended_at,
  ROUND((julianday(called_at) - julianday(queued_at)) * 86400.0, 3), NULL
FROM (
  SELECT e.ticket_id, t.day, t.label, t.prefix AS issued_service,
    (SELECT COUNT(*) FROM events x WHERE x.ticket_id = e.ticket_id
       AND +x.kind IN {_SEGMENT_KINDS_SQL} AND x.id <= e.id) AS segment,
    json_extract(e.detail, '$.from') AS service, t.need, t.need IS NOT NULL AS priority,
    e.counter,
    CASE WHEN e.kind = 'transferred' THEN 'transferred'
      ELSE json_extract(e.detail, '$.state') END AS outcome,
    COALESCE((SELECT MAX(p.at) FROM events p WHERE p.ticket_id = e.ticket_id
               AND +p.kind IN {_SEGMENT_KINDS_SQL} AND p.id < e.id), t.issued_at)
      AS queued_at,
    CASE WHEN json_extract(e.detail, '$.state') IN ('called', 'serving', 'no_show')
           OR json_extract(e.detail, '$.called')
      THEN (SELECT MAX(c.at) FROM events c WHERE c.ticket_id = e.ticket_id
              AND +c.kind = 'called' AND c.id < e.id) END AS called_at,
    CASE WHEN json_extract(e.detail, '$.state') = 'serving'
      THEN (SELECT MAX(c.at) FROM events c WHERE c.ticket_id = e.ticket_id
              AND +c.kind = 'started' AND c.id < e.id) END AS started_at,
    COALESCE(json_extract(e.detail, '$.ended_at'), e.at) AS ended_at
  FROM tickets t JOIN events e ON e.ticket_id = t.id
  WHERE +e.kind IN {_SEGMENT_KINDS_SQL}
)
"""


def _console_and_requeue_v5(db: sqlite_utils.Database) -> None:
    """A counter remembers which console holds it (a hash of the console's random session
    key: a second console cannot act for it), when that console last said it is there
    (a console that goes silent is unattended) and, while paused, when it expects to be
    back (the estimate counts on it from then); `serve_times` learns the `requeued` event,
    which ends a segment as a transfer does."""
    db["counters"].add_column("session", str)
    db["counters"].add_column("seen_at", str)
    db["counters"].add_column("back_at", str)
    # The newest (boot, wall) pair a process wrote with: kiosk.store.base checks a wall
    # clock against the time the machine really counted since (a clock that jumps ahead
    # must not expire a live queue).
    db["staff"].add_column("disabled", int, not_null_default=0)
    db["clock"].create({"id": int, "boot_id": str, "boot_s": float, "wall": str}, pk="id")
    db.execute("DROP VIEW IF EXISTS daily_summary")
    db.execute("DROP VIEW IF EXISTS serve_times")
    db.execute(_SERVE_TIMES_V5_SQL)
    db.execute(_DAILY_SUMMARY_SQL)


MIGRATIONS[5] = _console_and_requeue_v5


# -- schema 6: API keys (issue 19) -----------------------------------------------------------


def _api_keys_v6(db: sqlite_utils.Database) -> None:
    """Keys for the HTTP API: a name, the SHA-256 of the key (the key itself is shown once
    and never stored), its scopes, and when it was made, last used and revoked."""
    db["api_keys"].create({"name": str, "hash": str, "scopes": str, "created_at": str,
                           "used_at": str, "revoked_at": str}, pk="name")
    db.execute("CREATE UNIQUE INDEX api_keys_hash ON api_keys (hash)")


MIGRATIONS[6] = _api_keys_v6


# -- schema 7: the tickets' tokens (issue 23) ---------------------------------------------


def _ticket_tokens_v7(db: sqlite_utils.Database) -> None:
    """A ticket's token opens its phone page and cancels it: only a digest is kept (the
    token itself is printed once, in the slip's QR code), 16 bytes of its SHA-256, unique
    where set. Tickets issued before have none."""
    db.execute("ALTER TABLE tickets ADD COLUMN token_hash BLOB")
    db.execute("CREATE UNIQUE INDEX tickets_token ON tickets (token_hash)"
               " WHERE token_hash IS NOT NULL")


MIGRATIONS[7] = _ticket_tokens_v7


# -- schema 8: the satisfaction survey (issue 24) ---------------------------------------------


def _survey_v8(db: sqlite_utils.Database) -> None:
    """One response per served ticket (UNIQUE ticket_id: a second is refused by the file
    itself), tied to the ticket's day, service, counter and class (priority or not), never
    to a person, and never its need; its answers one row each (the nine and the site's own
    questions). The counter's quick four-face rating, one per ticket too, apart. A purge of
    old tickets keeps both (they carry what the reports need; the link becomes NULL): the
    year's index outlives the retention of tickets."""
    db.execute(
        "CREATE TABLE survey_responses ("
        " id INTEGER PRIMARY KEY,"
        " ticket_id INTEGER UNIQUE REFERENCES tickets(id) ON DELETE SET NULL,"
        " day TEXT NOT NULL, service TEXT NOT NULL, counter INTEGER,"
        " priority INTEGER NOT NULL, at TEXT NOT NULL, via TEXT NOT NULL,"
        " age TEXT, sex TEXT, education TEXT, occupation TEXT, suggestion TEXT)")
    db.execute("CREATE INDEX survey_responses_day ON survey_responses (day)")
    db.execute(
        "CREATE TABLE survey_answers ("
        " response_id INTEGER NOT NULL REFERENCES survey_responses(id),"
        " code TEXT NOT NULL, value INTEGER NOT NULL CHECK (value BETWEEN 1 AND 4),"
        " PRIMARY KEY (response_id, code)) WITHOUT ROWID")
    db.execute(
        "CREATE TABLE quick_ratings ("
        " id INTEGER PRIMARY KEY,"
        " ticket_id INTEGER UNIQUE REFERENCES tickets(id) ON DELETE SET NULL,"
        " day TEXT NOT NULL, service TEXT NOT NULL, counter INTEGER NOT NULL,"
        " priority INTEGER NOT NULL, at TEXT NOT NULL,"
        " score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 4))")
    db.execute("CREATE INDEX quick_ratings_day ON quick_ratings (day)")


MIGRATIONS[8] = _survey_v8


# -- schema 9: the site's identity at the centre (issue 25) -----------------------------------


def _site_identity_v9(db: sqlite_utils.Database) -> None:
    """One row: the site's random 32-byte identity key, made once (kiosk sync). The centre
    keeps only its SHA-256 and refuses another key under the same [site] id, so two sites
    given the same id by mistake never mix their queues. A restored copy keeps the key."""
    db.execute(
        "CREATE TABLE site_identity ("
        " id INTEGER PRIMARY KEY CHECK (id = 1),"
        " key BLOB NOT NULL CHECK (length(key) = 32),"
        " created_at TEXT NOT NULL)")


MIGRATIONS[9] = _site_identity_v9


# -- schema 10: appointments (issue 26) ------------------------------------------------------


def _bookings_v10(db: sqlite_utils.Database) -> None:
    """A booking holds a service, a day and a slot (local "HH:MM", and its start in UTC as
    every stored time), a declared need if any, and its check-in code: no name, phone or ID
    number. Its token is kept as a ticket's is, a digest; the ticket its check-in issues
    takes the same digest (the booking's page becomes the ticket's), `slot_at` (the slot's
    start: the queue orders it by that) and `booking_id`. A code is unique among the day's
    bookings that are not cancelled (the file itself refuses a second; the same index finds
    a code on any day); a slot's places and a day's list go through `bookings_slot`. A purge
    deletes a day's bookings with its tickets (a ticket gone first leaves its booking's
    `ticket_id` NULL). The waiting queue's covering index also carries `slot_at`, so the
    policy's read stays on the index."""
    db.execute(
        "CREATE TABLE bookings ("
        " id INTEGER PRIMARY KEY,"
        " token_hash BLOB NOT NULL UNIQUE,"
        " code TEXT NOT NULL CHECK (length(code) = 6 AND code NOT GLOB '*[^0-9]*'),"
        " service TEXT NOT NULL, day TEXT NOT NULL,"
        " slot_start TEXT NOT NULL, slot_end TEXT NOT NULL, slot_at TEXT NOT NULL,"
        " need TEXT, lang TEXT,"
        " state TEXT NOT NULL DEFAULT 'booked'"
        "   CHECK (state IN ('booked', 'cancelled', 'checked_in')),"
        " created_at TEXT NOT NULL, checked_in_at TEXT, cancelled_at TEXT,"
        " ticket_id INTEGER REFERENCES tickets(id) ON DELETE SET NULL)")
    db.execute("CREATE UNIQUE INDEX bookings_code ON bookings (code, day)"
               " WHERE state != 'cancelled'")
    db.execute("CREATE INDEX bookings_slot ON bookings (day, service, slot_start)")
    db.execute("ALTER TABLE tickets ADD COLUMN slot_at TEXT")
    db.execute("ALTER TABLE tickets ADD COLUMN booking_id INTEGER")
    db.execute("DROP INDEX IF EXISTS idx_tickets_waiting")
    db.execute(f"CREATE INDEX idx_tickets_waiting ON {WAITING_INDEX_V10}")


WAITING_INDEX_V10 = (
    "tickets (day, service, need, order_at, state, slot_at) WHERE state = 'waiting'")
"""Schema 4's queue index with the booked slot's start (NULL for a walk-in) at its end."""

MIGRATIONS[10] = _bookings_v10
