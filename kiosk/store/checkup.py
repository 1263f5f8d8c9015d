"""What `kiosk doctor` reads of the store, through a read-only connection of its own.

A `Store` migrates the file, switches it to WAL and adds missing counters when it opens it;
the doctor must do none of that (it runs while every screen and worker runs, and on a file
that may be newer than this program). This connection never writes, never checkpoints and
never migrates; at most SQLite adds the empty -wal and -shm files a reader of a WAL file
needs (owned like the store file). Nothing here judges what it reads: kiosk.doctor does.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.rows import Device
from kiosk.store.faults import explain
from kiosk.store.shipping import SYNC_CURSOR

INTEGRITY_PROBLEMS_SHOWN = 3
"""`PRAGMA integrity_check` stops after this many findings: enough to say what is wrong."""
BUSY_S = 5.0
"""A read waits at most this long for a writer (only a file not in WAL mode makes it wait)."""


@dataclass(frozen=True)
class Checkup:
    version: int
    """`PRAGMA user_version`: the schema version (kiosk.store.schema.SCHEMA_VERSION)."""
    problems: tuple[str, ...]
    """`PRAGMA integrity_check`'s findings; () when the file is whole."""
    tickets: int | None
    """None when there is no tickets table (not a kiosk store, or an empty file)."""
    newest_event: str | None
    """The latest `at` in the event log (stored time), None when there is none."""
    devices: dict[str, Device]
    """The printers' and announcers' last words about themselves."""
    unshipped: int | None = None
    """Events the central database has not confirmed yet (kiosk sync); None: no cursor
    table (another schema)."""
    oldest_unshipped: str | None = None
    """The stored time of the oldest of them, None when there is none."""


def _read(conn: sqlite3.Connection, sql: str) -> list[Any] | None:
    """Rows, or None when a table is missing (a file of another schema)."""
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such" in str(exc):
            return None
        raise


def checkup(path: Path) -> Checkup:
    """Read the store at `path` (which exists) without writing it. A fault of the file is a
    StoreFault in kiosk.store.faults' words."""
    uri = f"{path.absolute().as_uri()}?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=BUSY_S)) as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            verdict = [row[0] for row in conn.execute(
                f"PRAGMA integrity_check({INTEGRITY_PROBLEMS_SHOWN})")]
            tickets = _read(conn, "SELECT count(*) FROM tickets")
            newest = _read(conn, "SELECT max(at) FROM events")
            devices = _read(conn, f"SELECT {Device.COLUMNS} FROM devices ORDER BY name")
            lag = _read(conn, "SELECT COUNT(*), MIN(at) FROM events WHERE id > COALESCE("
                        f"(SELECT event_id FROM cursors WHERE name = '{SYNC_CURSOR}'), 0)")
    except sqlite3.Error as exc:
        fault = explain(exc, path)
        if fault is None:
            raise
        raise fault from None
    return Checkup(
        version=version,
        problems=() if verdict == ["ok"] else tuple(verdict),
        tickets=None if tickets is None else int(tickets[0][0]),
        newest_event=None if newest is None else newest[0][0],
        devices={row[0]: Device(*row) for row in devices or []},
        unshipped=None if lag is None else int(lag[0][0]),
        oldest_unshipped=None if lag is None else lag[0][1],
    )
