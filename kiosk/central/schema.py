"""The central database's tables, and their migrations (`kiosk central init|migrate URL`).

Every table's key and every index starts with `site`, so the tables distribute by site on
Citus as they are (`create_distributed_table('events', 'site')`), and one site's rows are
read without touching another's. Events and tickets are partitioned by month (events by
their time, tickets by their local day): a month is kept, moved or dropped whole. The
partitions are made when a batch first needs them (`ensure_months`).

`kiosk_schema` holds the version; `MIGRATIONS[n]` brings version n - 1 to n (append, never
edit, as the store's own schema).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import psycopg

SCHEMA_VERSION = 4
LOCK = 0x6B696F736B  # "kiosk": the advisory lock that orders migrations and new partitions

_V1 = (
    "CREATE TABLE kiosk_schema (version integer NOT NULL,"
    " migrated_at timestamptz NOT NULL DEFAULT now())",
    # One row per site: the SHA-256 of its identity key (the first sync registers it; a
    # different key under the same id is refused), and how far it has shipped.
    "CREATE TABLE sites (site text PRIMARY KEY, key_hash text NOT NULL,"
    " first_seen timestamptz NOT NULL DEFAULT now(), last_sync timestamptz,"
    " last_event bigint NOT NULL DEFAULT 0, skew_s double precision)",
    "CREATE TABLE events (site text NOT NULL, id bigint NOT NULL, ticket_id bigint,"
    " kind text NOT NULL, at timestamptz NOT NULL, counter integer, actor text, detail jsonb,"
    " received_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (site, id, at)) PARTITION BY RANGE (at)",
    "CREATE INDEX events_site_ticket ON events (site, ticket_id)",
    "CREATE INDEX events_site_kind_at ON events (site, kind, at)",
    # A ticket's settled facts: `version` is the site's newest event id when it was read,
    # so a later reading wins whatever order two shipments arrive in.
    "CREATE TABLE tickets (site text NOT NULL, id bigint NOT NULL, day date NOT NULL,"
    " prefix text NOT NULL, number integer NOT NULL, label text NOT NULL,"
    " service text NOT NULL, priority boolean NOT NULL, need text, lang text, kiosk text,"
    " state text NOT NULL, counter integer, issued_at timestamptz NOT NULL,"
    " queued_at timestamptz NOT NULL, called_at timestamptz, started_at timestamptz,"
    " finished_at timestamptz, recalls integer NOT NULL, version bigint NOT NULL,"
    " received_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (site, id, day)) PARTITION BY RANGE (day)",
    "CREATE INDEX tickets_site_day_service ON tickets (site, day, service)",
)

_V2 = (
    # The central report's per-(site, local day) partial sums (kiosk.central.report):
    # derived data, rebuilt when missing. `filters_key` covers the filters and what a
    # partial depends on besides the rows (kiosk.reports.cache.fingerprint); `last_event`
    # is the site's `sites.last_event` when it was built (only settled days are kept).
    "CREATE TABLE report_partials (site text NOT NULL, day date NOT NULL,"
    " filters_key text NOT NULL, partial jsonb NOT NULL,"
    " built_at timestamptz NOT NULL DEFAULT now(), last_event bigint NOT NULL,"
    " PRIMARY KEY (site, day, filters_key))",
)

_V3 = (
    # The satisfaction survey (issue 24): each response's day, service, counter, class and
    # its answers; the counter's quick ratings apart. Immutable at the site, so shipped
    # once each (a cursor per table) and inserted where missing. The respondent's
    # optional profile and the free-text suggestion stay at the site.
    "CREATE TABLE survey_responses (site text NOT NULL, id bigint NOT NULL,"
    " ticket_id bigint, day date NOT NULL, service text NOT NULL, counter integer,"
    " priority boolean NOT NULL, at timestamptz NOT NULL, via text NOT NULL,"
    " received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (site, id))",
    "CREATE INDEX survey_responses_site_day ON survey_responses (site, day)",
    "CREATE TABLE survey_answers (site text NOT NULL, response_id bigint NOT NULL,"
    " code text NOT NULL, value smallint NOT NULL CHECK (value BETWEEN 1 AND 4),"
    " PRIMARY KEY (site, response_id, code))",
    "CREATE TABLE quick_ratings (site text NOT NULL, id bigint NOT NULL, ticket_id bigint,"
    " day date NOT NULL, service text NOT NULL, counter integer NOT NULL,"
    " priority boolean NOT NULL, at timestamptz NOT NULL,"
    " score smallint NOT NULL CHECK (score BETWEEN 1 AND 4),"
    " received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (site, id))",
    "CREATE INDEX quick_ratings_site_day ON quick_ratings (site, day)",
)

_V4 = (
    # Appointments (issue 26): a ticket's booked slot and booking, and the bookings
    # themselves as they stand (a later reading wins, by `version` as for tickets): what
    # became of them (booked, cancelled, checked in; a booked one whose day is over was a
    # no-show), never their check-in code or token, and the need only as its class.
    "ALTER TABLE tickets ADD COLUMN slot_at timestamptz",
    "ALTER TABLE tickets ADD COLUMN booking_id bigint",
    "CREATE TABLE bookings (site text NOT NULL, id bigint NOT NULL, service text NOT NULL,"
    " day date NOT NULL, slot_start text NOT NULL, slot_end text NOT NULL,"
    " slot_at timestamptz NOT NULL, priority boolean NOT NULL, need text, lang text,"
    " state text NOT NULL, created_at timestamptz NOT NULL, checked_in_at timestamptz,"
    " cancelled_at timestamptz, ticket_id bigint, version bigint NOT NULL,"
    " received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (site, id))",
    "CREATE INDEX bookings_site_day ON bookings (site, day)",
)

MIGRATIONS: dict[int, tuple[str, ...]] = {1: _V1, 2: _V2, 3: _V3, 4: _V4}


def version(conn: psycopg.Connection) -> int | None:
    """The central schema's version; None: no kiosk tables in this database."""
    found = conn.execute("SELECT to_regclass('kiosk_schema') IS NOT NULL").fetchone()
    if not found or not found[0]:
        return None
    row = conn.execute("SELECT max(version) FROM kiosk_schema").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(conn: psycopg.Connection, *, create: bool) -> tuple[int | None, int]:
    """Bring the schema to SCHEMA_VERSION in one transaction: (before, after). Without
    `create`, a database with no kiosk tables is left alone (before = None, after = 0)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
        before = version(conn)
        if before is None and not create:
            return None, 0
        if before is not None and before > SCHEMA_VERSION:
            return before, before
        for step in range((before or 0) + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[step]:
                conn.execute(statement)  # type: ignore[arg-type]
            conn.execute("INSERT INTO kiosk_schema (version) VALUES (%s)", (step,))
    return before, SCHEMA_VERSION


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def ensure_months(conn: psycopg.Connection, months: Iterable[date]) -> list[str]:
    """Make the monthly partitions of events and tickets these months need; each new one
    in a short transaction of its own (under the advisory lock: two sites may need the
    same new month at once). Returns the partitions made."""
    made = []
    for month in sorted(set(months)):
        end = next_month(month)
        for table, low, high in (
                ("events", f"{month.isoformat()} 00:00:00+00", f"{end.isoformat()} 00:00:00+00"),
                ("tickets", month.isoformat(), end.isoformat())):
            name = f"{table}_{month:%Y_%m}"
            if _exists(conn, name):
                continue
            try:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
                    if not _exists(conn, name):
                        conn.execute(f"CREATE TABLE {name} PARTITION OF {table}"  # type: ignore[arg-type]
                                     f" FOR VALUES FROM ('{low}') TO ('{high}')")
                        made.append(name)
            except psycopg.errors.DuplicateTable:
                pass  # made by another sync meanwhile (its own tool, a person): there it is
    return made


def _exists(conn: psycopg.Connection, name: str) -> bool:
    # pg_class itself, not to_regclass(): the catalog cache may not have seen a partition
    # another site's sync committed a moment ago (an advisory lock brings no invalidation).
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = %s"
                       " AND relnamespace = current_schema()::regnamespace)",
                       (name,)).fetchone()
    return bool(row and row[0])
