"""The store's connection: opening the file, its pragmas, transactions, snapshots, migration.

Every change is one short `BEGIN IMMEDIATE` transaction (`transaction()`), so two writers
queue on SQLite's busy handler instead of failing. (sqlite-utils' `atomic()` opens a
deferred BEGIN, which under two writers fails with "database is locked" when the reader
upgrades; hence the explicit transactions here, while sqlite-utils still does the schema.)
Several reads that must agree with each other share one `snapshot()`.

The verbs (kiosk/store/*.py) build on `StoreBase`; nothing outside the store package runs
SQL on its connection, except the reports engine's reads (tests/test_architecture.py).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import sqlite_utils

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.exceptions import IssueRefused, StoreBusy, StoreFault, UsageError
from kiosk.rows import Ticket
from kiosk.store.faults import explain, gone, probe
from kiosk.store.schema import MIGRATIONS, SCHEMA_VERSION
from kiosk.store.turns import Turns

BUSY_TIMEOUT_MS = 10_000
WAL_CHECKPOINT_PAGES = 10_000

_JSON = json.JSONEncoder(ensure_ascii=False)
"""One encoder for event details (json.dumps with options builds a new one per call)."""
CLOCK_AHEAD_S = 120.0
"""A wall clock this far ahead of the time the machine counted has jumped (as far behind:
the log's own check, Tickets.clock_problem)."""
CLOCK_MARK_S = 60.0
"""The (boot, wall) mark is written again at most this often (one small write a minute)."""
Row = dict[str, Any]
"""A row of an internal query, by column name (typed rows leave the store: kiosk.rows)."""


def private_folder(folder: Path) -> None:
    """Make `folder` (and its parents) if needed; the folder itself only its owner's (0700),
    also when it already existed. A folder we do not own is left as it is."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.resolve() != Path.home().resolve():  # a store kept in ~ leaves ~ alone
        _owner_only(folder, 0o700)


def private_files(*paths: Path) -> None:
    """Files that exist among `paths`: readable and writable by their owner only (0600)."""
    for path in paths:
        _owner_only(path, 0o600)


def _owner_only(path: Path, mode: int) -> None:
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o777 != mode:
            path.chmod(mode)
    except FileNotFoundError:
        pass


class StoreBase:
    """One process's handle on the shared SQLite file: the connection and its transactions.

    A `Store` is used by one thread at a time (the screens give it a thread of its own)."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: clk.Clock | None = None,
        path: Path | None = None,
        create: bool = True,
    ) -> None:
        self.settings = settings
        self.clock: clk.Clock = clock or clk.SystemClock()
        self.path = Path(path or settings.store.path)
        self.tz = settings.site.tz
        self._head_start = settings.head_start()
        self._lead_s = settings.booking.lead_min * 60.0
        """An appointment's lead on the call key (kiosk.queue; [booking] lead_min)."""
        self._counter_services = {c.id: frozenset(c.services) for c in settings.counters}
        """Counter id -> the services it serves, in config order (the estimate's counters)."""
        self.conn: sqlite3.Connection | None = None  # type: ignore[assignment]
        self._turns: Turns | None = None
        """This handle's place in the writers' queue, opened at the first write."""
        self._file: tuple[int, int] | None = None
        """(device, inode) of the file this connection has open: a file removed or replaced
        under a running program is noticed (`check_file`) instead of written into the void."""
        self._open_or_explain(create)

    def _open_or_explain(self, create: bool) -> None:
        if not create and self._identity() is None:
            raise gone(self.path)
        try:
            self._open()
        except (sqlite3.Error, OSError) as exc:
            if self.conn is not None:
                self.conn.close()
            fault = explain(exc, self.path)
            if fault is None:
                raise
            raise fault from exc

    def _identity(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return info.st_dev, info.st_ino

    def check_file(self) -> None:
        """Is the file at the store's path still the one this connection has open? A file
        removed under a running screen (or its folder) is a `StoreFault` ("gone") until it
        is back: SQLite would go on writing into the removed file, where nothing is ever
        read again. A file put back or replaced (a restored backup) is opened again here,
        so a long-running screen carries on by itself. One stat: about a microsecond."""
        ident = self._identity()
        if ident == self._file:
            return
        if ident is None:
            raise gone(self.path)
        self.conn.close()
        self._open_or_explain(create=False)

    def write_fault(self) -> StoreFault | None:
        """A fault that would stop a write now, seen without writing: the file gone, its
        disk full or read-only (kiosk.store.faults.probe); None when none is seen."""
        try:
            self.check_file()
        except StoreFault as fault:
            return fault
        return probe(self.path)

    def _open(self) -> None:
        private_folder(self.path.parent)
        conn = sqlite3.connect(
            str(self.path),
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # we issue BEGIN IMMEDIATE / COMMIT ourselves
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self.conn = conn
        self._file = self._identity()
        # PIN hashes and each ticket's need (health data) are in here: the owner only.
        # SQLite gives the -wal and -shm files the database file's mode when it makes them.
        private_files(self.path, self.path.with_name(self.path.name + "-wal"),
                      self.path.with_name(self.path.name + "-shm"))
        self._enable_wal()
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        # Checkpoint every ~40 MB of WAL instead of 4 MB: hot index pages are copied back
        # once instead of ten times (worth ~15% of write throughput under schema 2; under
        # schema 4, 1,000 / 3,000 / 10,000 pages measure the same within the disk's noise).
        conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        self.db = sqlite_utils.Database(conn)
        self._bulk: bool = False
        self._clock_confirmed = False
        self._clock_ready = False
        self._rolled_day: str | None = None
        """The local day whose first verb has expired what earlier days left waiting."""
        self._rolling: str | None = None
        """...set inside a transaction, remembered as `_rolled_day` once it commits."""
        self._setup_caches()
        self.migrate()

    def _setup_caches(self) -> None:
        """Per-process caches of the mixins (the estimate's medians)."""

    def _committed(self, committed: bool) -> None:
        """After each write transaction (`committed`, or rolled back): mixins drop what it
        may have changed."""

    def close(self) -> None:
        self.conn.close()
        if self._turns is not None:
            self._turns.close()
            self._turns = None

    def __enter__(self) -> StoreBase:
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
        self.check_file()
        with self.faults(), self._turn():
            self._begin_immediate()
            self._rolling = None
            committed = False
            try:
                self._check_clock()
                yield self.db
                self._commit()
                committed = True
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            finally:
                self._committed(committed)
        if self._rolling is not None:
            self._rolled_day = self._rolling

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """This writer's turn at the write lock, first come first served (kiosk.store.turns).
        Without the turns file (a read-only folder, say) SQLite's busy handler alone decides,
        as before."""
        if self._turns is None:
            try:
                self._turns = Turns(self.path.with_name(self.path.name + "-turns"))
            except OSError:
                pass
        if self._turns is None:
            yield
            return
        with self._turns.turn(BUSY_TIMEOUT_MS / 1000) as ours:
            if not ours:
                raise self._busy()
            yield

    def _busy(self) -> StoreBusy:
        return StoreBusy(f"{self.path}: the store stayed locked for {BUSY_TIMEOUT_MS // 1000} s;"
                         " is another program holding it?")

    # -- a wall clock that jumps ahead --------------------------------------------------------

    def _check_clock(self) -> None:
        """Before anything is written: is the wall clock where the machine's boot clock says
        it should be, counted from the last write on this boot? A clock that jumped ahead
        (a host before its time is synced, a wrong manual change) would expire a live queue
        at its false new day and stamp the log with times from the future; then nothing is
        written but one `clock_jump` event (at the time the machine counted), and the verb
        is refused in a sentence for staff. Across a reboot the gap cannot be measured:
        a new day that would expire waiting tickets then waits for `kiosk day open
        --confirm`. Simulated clocks (no boot clock) are not checked."""
        mark = self._clock_mark()
        if mark is None:  # simulated time, or before migrating
            return
        (boot_id, boot_s), row, counted = mark
        now = self.now()
        wall = now.timestamp()
        if self._clock_confirmed:
            pass  # an admin said the clock is right: it becomes the mark
        elif counted is not None:
            ahead = wall - counted
            if ahead > CLOCK_AHEAD_S:
                self._clock_refusal(
                    counted, f"the clock of this computer is {ahead / 60:.0f} minutes ahead of"
                    " the time it has counted since the last write; nothing is done until"
                    " the clock is right (or an admin confirms the new day: kiosk day open"
                    " --confirm)")
            if boot_s - row[1] < CLOCK_MARK_S and abs(ahead) <= CLOCK_AHEAD_S:
                return  # the mark is fresh enough: no write for it
        elif row is not None:
            waiting = self.conn.execute(
                "SELECT day FROM tickets WHERE state = 'waiting' AND day < ? LIMIT 1",
                (clk.local_day(now, self.tz),)).fetchone()
            if waiting is not None:
                newest = self.conn.execute("SELECT MAX(at) FROM events").fetchone()[0]
                self._clock_refusal(
                    clk.epoch(newest) if newest else wall,
                    f"the clock says a new day has begun, but this computer restarted since"
                    f" the last write, so that cannot be checked, and tickets of {waiting[0]}"
                    " still wait; an admin confirms the new day with kiosk day open"
                    " --confirm (or sets the clock right)")
        self.conn.execute(
            "INSERT INTO clock (id, boot_id, boot_s, wall) VALUES (1, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET boot_id = excluded.boot_id,"
            " boot_s = excluded.boot_s, wall = excluded.wall",
            (boot_id, boot_s, clk.iso(now)))

    def _clock_mark(self) -> tuple[clk.Boot, Any, float | None] | None:
        """(this boot, the recorded mark row, the wall time the machine counted since the
        mark: None across a reboot or without a mark); None when nothing can be checked
        (a clock without a boot clock, or a store not migrated yet)."""
        boot_of = getattr(self.clock, "boot", None)  # older or simulated clocks have none
        boot = boot_of() if boot_of is not None else None
        if boot is None or not self._clock_ready:
            return None
        row = self.conn.execute("SELECT boot_id, boot_s, wall FROM clock WHERE id = 1").fetchone()
        counted = (clk.epoch(row[2]) + (boot[1] - row[1])
                   if row is not None and row[0] == boot[0] else None)
        return boot, row, counted

    def clock_ahead(self) -> float | None:
        """Seconds the wall clock is ahead of the time counted on this boot since the last
        write, when that is more than CLOCK_AHEAD_S; None otherwise (or not measurable)."""
        mark = self._clock_mark()
        if mark is None or mark[2] is None:
            return None
        ahead = self.now().timestamp() - mark[2]
        return ahead if ahead > CLOCK_AHEAD_S else None

    def _clock_jump_once(self, at: str, message: str, actor: str | None = None) -> None:
        """A `clock_jump` event, unless the newest event already is one (a clock that stays
        wrong is one fault, not one per try)."""
        last = self.conn.execute("SELECT kind FROM events ORDER BY id DESC LIMIT 1").fetchone()
        if last is None or last[0] != "clock_jump":
            self._event("clock_jump", at, actor=actor, detail={"message": message})

    def _clock_refusal(self, counted: float, message: str) -> NoReturn:
        """Log the jump once (at the time the machine counted, not the false one), keep
        that event, and refuse."""
        self._clock_jump_once(clk.iso(datetime.fromtimestamp(counted, UTC)), message)
        self._commit()
        raise IssueRefused("clock", message)

    def confirm_clock(self) -> None:
        """An admin confirms the wall clock (`kiosk day open --confirm`): writes go on, and
        this moment becomes the new mark."""
        self._clock_confirmed = True

    @contextmanager
    def faults(self) -> Iterator[None]:
        """A fault of the file or its disk as one plain sentence (kiosk.store.faults)."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            fault = explain(exc, self.path)
            if fault is None:
                raise
            raise fault from exc

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads from one state of the file: consistent with each other, and one
        read lock instead of one per statement (a deferred, read-only transaction: it never
        takes the write lock, and WAL lets writers go on meanwhile). Inside a transaction,
        that transaction's."""
        if self.conn.in_transaction:
            yield
            return
        self.check_file()
        with self.faults():
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
            raise self._busy() from None

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
        if version < 0:
            raise StoreFault(
                "damaged", f"{self.path}: unknown schema version {version} (not a kiosk store,"
                " or damaged): restore the latest backup copy; the file was left as it is")
        if version > SCHEMA_VERSION:
            raise UsageError(
                f"{self.path}: made by a newer version of this program (schema {version})"
            )
        if version == SCHEMA_VERSION:
            self._clock_ready = True
            self._ensure_counters()
            return
        if version > 0:  # a store with data in it: a copy before its schema changes
            from kiosk.store.backup import backup

            backup(self.path, self.path.parent / "backups", keep=10_000,
                   now=self.clock.now(), tag=f"before-schema-{SCHEMA_VERSION}")
        with self.transaction():
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            for step in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](self.db)
            self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._clock_ready = True
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

    def _event(self, kind: str, at: str, *, ticket_id: int | None = None,
               counter: int | None = None, actor: str | None = None,
               detail: dict[str, Any] | None = None) -> int:
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
        """Rows as dicts straight from sqlite3 (sqlite-utils' query() parses each statement
        first, which doubles the cost of a short verb)."""
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _tickets(self, where: str, params: tuple[Any, ...] = ()) -> list[Ticket]:
        """The tickets a WHERE clause selects."""
        sql = f"SELECT {Ticket.COLUMNS} FROM tickets WHERE {where}"
        return [Ticket(*row) for row in self.conn.execute(sql, params).fetchall()]

    def _written(self, sql: str, params: tuple[Any, ...]) -> list[Ticket]:
        """The tickets an INSERT or UPDATE wrote, as written (`RETURNING`: no second
        statement to read them back). Read to the end, so the statement is finished before
        COMMIT."""
        cur = self.conn.execute(f"{sql} RETURNING {Ticket.COLUMNS}", params)
        return [Ticket(*row) for row in cur.fetchall()]

    def _returning(self, sql: str, params: tuple[Any, ...]) -> Ticket:
        """The one ticket an INSERT or UPDATE wrote."""
        (ticket,) = self._written(sql, params)
        return ticket

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
