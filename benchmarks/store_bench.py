"""Store benchmark: issue() latency against the floor of a bare sqlite3 INSERT+COMMIT with the
same pragmas on the same disk, and issue+call+finish lifecycles per second with 1, 4 and 16
processes next to bare sqlite3 doing the same number of commits, with the CPU time a
lifecycle took (user: SQLite and Python; system: the writes and syncs) and, with several
processes, how much of the work the busiest one did (SQLite's busy handler sleeps, so a
process that releases the lock and takes it again at once can keep it for long stretches).

The disk here is shared and its fsync time drifts by tens of percent within a minute, so
the throughput runs alternate bare and store, several rounds of each, and report the
medians and the median of each round's ratio (both sides of a round saw the same disk).

    .venv/bin/python benchmarks/store_bench.py [--n 400] [--seconds 2] [--rounds 5] [--dir PATH]
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing as mp
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk import config as cfg  # noqa: E402
from kiosk.clock import ManualClock  # noqa: E402
from kiosk.store import Store  # noqa: E402

MORNING = datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
SPAWN = mp.get_context("spawn")
_RUNS = itertools.count(1)


def bare_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
    return conn


def bare_commit(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t (v) VALUES ('x')")
    conn.execute("COMMIT")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def make_settings(folder: Path) -> cfg.Settings:
    """The shipped config plus counters 5..16, so each process has a counter of its own."""
    extra = "".join(
        f'\n[[counters]]\nid = {i}\nname = {{ id = "Loket {i}", en = "Counter {i}" }}\n'
        f'services = ["{"ABCDE"[i % 5]}"]\n'
        for i in range(5, 17)
    )
    return cfg.parse(cfg.embedded_text() + extra, "bench", folder)


# -- latency -------------------------------------------------------------------------------


def floor_latency(folder: Path, n: int) -> list[float]:
    conn = bare_connect(folder / "floor.db")
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        bare_commit(conn)
        out.append(time.perf_counter() - t0)
    conn.close()
    return out


def issue_latency(folder: Path, n: int, queue_length: int | None) -> list[float]:
    """issue() as the kiosk calls it (commit, then people ahead and the estimate).

    With `queue_length`, counters call (untimed) whenever more wait, as in a lobby in steady
    state; with None nobody is called and the queue grows to n (the worst case)."""
    db = folder / f"issue-{queue_length}.db"
    store = Store(make_settings(folder), clock=ManualClock(MORNING), path=db)
    out = []
    services = "ABCDE"
    waiting = 0
    for i in range(n):
        t0 = time.perf_counter()
        store.issue(services[i % 5], "lansia" if i % 7 == 0 else None)
        out.append(time.perf_counter() - t0)
        waiting += 1
        while queue_length is not None and waiting > queue_length:
            for counter in (1, 2, 3, 4):
                if store.call_next(counter) is not None:
                    waiting -= 1
    store.close()
    return out


# -- throughput ----------------------------------------------------------------------------


class Run(NamedTuple):
    """One process's share of a throughput run."""

    lifecycles: int
    user_s: float
    system_s: float


class Rate(NamedTuple):
    """A throughput run: lifecycles per second, the busiest process's share of them, and
    CPU per lifecycle (user, system) in microseconds."""

    per_s: float
    busiest: float
    user_us: float
    system_us: float


def _run_for(seconds: float, lifecycle: Callable[[], None], ready: Any) -> Run:
    """Wait at the barrier until every process has started and set up (16 spawned
    interpreters take seconds of CPU on 2 cores to import), then count lifecycles and the
    CPU time they took (user: SQLite and Python; system: the writes and the syncs)."""
    ready.wait()
    done = 0
    before = resource.getrusage(resource.RUSAGE_SELF)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        lifecycle()
        done += 1
    after = resource.getrusage(resource.RUSAGE_SELF)
    return Run(done, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime)


def _bare_worker(path: str, seconds: float, ready: Any, result: mp.Queue) -> None:
    conn = bare_connect(Path(path))

    def lifecycle() -> None:
        for _ in range(3):  # a lifecycle is three commits: issue, call, finish
            bare_commit(conn)

    result.put(_run_for(seconds, lifecycle, ready))


def _store_worker(folder: str, db: str, counter: int, seconds: float, ready: Any,
                  result: mp.Queue) -> None:
    settings = make_settings(Path(folder))
    store = Store(settings, clock=ManualClock(MORNING), path=Path(db))
    service = settings.counter(counter).services[0]

    def lifecycle() -> None:
        store.issue(service)
        if store.call_next(counter) is not None:
            store.finish(counter)

    result.put(_run_for(seconds, lifecycle, ready))
    store.close()


def _schema_sql_worker(folder: str, db: str, counter: int, seconds: float, ready: Any,
                       result: mp.Queue) -> None:
    """The same three transactions on the store's schema in bare SQL: the ticket and its
    event each time, but none of the store's checks (clock, hours, quota, counter state),
    no outlook and no Python layer. A bound on what the schema itself costs."""
    service = make_settings(Path(folder)).counter(counter).services[0]
    conn = bare_connect(Path(db))
    day, at = MORNING.date().isoformat(), "2026-11-27T02:00:00.000Z"

    def lifecycle() -> None:
        conn.execute("BEGIN IMMEDIATE")
        top = conn.execute("SELECT MAX(number) FROM tickets WHERE day = ? AND prefix = ?",
                           (day, service)).fetchone()[0] or 0
        ticket = conn.execute(
            "INSERT INTO tickets (day, prefix, number, label, service, lang, state,"
            " issued_at, queued_at, order_at, recalls)"
            " VALUES (?, ?, ?, ?, ?, 'id', 'waiting', ?, ?, ?, 0)",
            (day, service, top + 1, f"{service}{top + 1:03d}", service, at, at, time.time()),
        ).lastrowid
        conn.execute("INSERT INTO events (ticket_id, kind, at, detail) VALUES (?, 'issued', ?, ?)",
                     (ticket, at, '{"label": "x"}'))
        conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        (first,) = conn.execute(
            "SELECT id FROM tickets WHERE state = 'waiting' AND day = ? AND service = ?"
            " ORDER BY order_at LIMIT 1", (day, service)).fetchone()
        conn.execute("UPDATE tickets SET state = 'called', counter = ?, called_at = ?"
                     " WHERE id = ?", (counter, at, first))
        conn.execute("INSERT INTO events (ticket_id, kind, at, counter, detail)"
                     " VALUES (?, 'called', ?, ?, ?)", (first, at, counter, '{"label": "x"}'))
        conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE tickets SET state = 'done', finished_at = ?"
                     " WHERE state IN ('called', 'serving') AND counter = ?", (at, counter))
        conn.execute("INSERT INTO events (ticket_id, kind, at, counter)"
                     " VALUES (?, 'finished', ?, ?)", (first, at, counter))
        conn.execute("COMMIT")

    result.put(_run_for(seconds, lifecycle, ready))


WORKERS: dict[str, Callable[..., None]] = {
    "store": _store_worker, "schema-sql": _schema_sql_worker}


def throughput(kind: str, procs: int, folder: Path, seconds: float) -> Rate:
    result: mp.Queue = SPAWN.Queue()
    ready = SPAWN.Barrier(procs)
    db = folder / f"{kind}-{procs}-{next(_RUNS)}.db"  # a new file each run
    if kind == "bare":
        bare_connect(db).close()
    else:
        Store(make_settings(folder), path=db).close()
    workers = []
    for i in range(procs):
        if kind == "bare":
            args = (str(db), seconds, ready, result)
            workers.append(SPAWN.Process(target=_bare_worker, args=args))
        else:
            counter = i + 1
            args = (str(folder), str(db), counter, seconds, ready, result)
            workers.append(SPAWN.Process(target=WORKERS[kind], args=args))
    for w in workers:
        w.start()
    runs: list[Run] = [result.get(timeout=seconds + 120) for _ in workers]
    total = sum(r.lifecycles for r in runs)
    for w in workers:
        w.join()
    if kind == "store":
        with Store(make_settings(folder), clock=ManualClock(MORNING), path=db) as store:
            dupes = store.conn.execute(
                "SELECT COUNT(*) FROM (SELECT day, prefix, number FROM tickets"
                " GROUP BY 1, 2, 3 HAVING COUNT(*) > 1)").fetchone()[0]
            double_calls = store.conn.execute(
                "SELECT COUNT(*) FROM (SELECT ticket_id FROM events WHERE kind = 'called'"
                " GROUP BY 1 HAVING COUNT(*) > 1)").fetchone()[0]
            assert dupes == 0 and double_calls == 0, (dupes, double_calls)
    for leftover in folder.glob(db.name + "*"):
        leftover.unlink()
    return Rate(total / seconds, max(r.lifecycles for r in runs) / max(total, 1),
                sum(r.user_s for r in runs) / max(total, 1) * 1e6,
                sum(r.system_s for r in runs) / max(total, 1) * 1e6)


def wal_pages_per_lifecycle(folder: Path, n: int = 300) -> float:
    """WAL frames one lifecycle appends (each is a page write inside the commit's fsync)."""
    with Store(make_settings(folder), clock=ManualClock(MORNING), path=folder / "pages.db") as st:
        for _ in range(100):  # past the first page splits
            st.issue("A")
            st.call_next(1)
            st.finish(1)
        st.conn.execute("PRAGMA wal_autocheckpoint=0")
        st.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for _ in range(n):
            st.issue("A")
            st.call_next(1)
            st.finish(1)
        frames = st.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    bare = bare_connect(folder / "pages-bare.db")
    bare.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for _ in range(n * 3):
        bare_commit(bare)
    bare_frames = bare.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    bare.close()
    print(f"WAL pages per lifecycle: store {frames / n:.1f}, bare {bare_frames / n:.1f}")
    return frames / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=400, help="issues for the latency figures")
    parser.add_argument("--seconds", type=float, default=2.0, help="per throughput run")
    parser.add_argument("--rounds", type=int, default=5, help="bare/store pairs per count")
    parser.add_argument("--dir", type=Path, help="folder on the disk to measure (default tmp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        floor = floor_latency(folder, args.n)
        f50, f95 = statistics.median(floor) * 1000, percentile(floor, 0.95) * 1000
        print(f"disk: {folder}")
        print(f"floor  bare INSERT+COMMIT           p50 {f50:6.2f} ms   p95 {f95:6.2f} ms")
        cases = (("~30 waiting (steady lobby)", 30), (f"up to {args.n} waiting", None))
        for label, length in cases:
            issue = issue_latency(folder, args.n, length)
            i50, i95 = statistics.median(issue) * 1000, percentile(issue, 0.95) * 1000
            print(f"issue  {label:27s} p50 {i50:6.2f} ms   p95 {i95:6.2f} ms"
                  f"   p95/floor {i95 / f95:4.2f}x"
                  + ("   target <= 3x" if length is not None else "   (the worst case)"))
        wal_pages_per_lifecycle(folder)
        print(f"lifecycles/s (issue+call+finish; bare = 3 INSERT+COMMIT), medians of"
              f" {args.rounds} alternating rounds, zero duplicates checked each round")
        for procs in (1, 4, 16):
            # At 4 processes also the same lifecycle as bare SQL on the store's schema.
            kinds = ("bare", "store", "schema-sql") if procs == 4 else ("bare", "store")
            runs: dict[str, list[Rate]] = {kind: [] for kind in kinds}
            for _ in range(args.rounds):
                for kind in kinds:
                    runs[kind].append(throughput(kind, procs, folder, args.seconds))
            for kind in kinds[1:]:
                ratios = sorted(r.per_s / b.per_s
                                for r, b in zip(runs[kind], runs["bare"], strict=True))
                print(f"  {procs:2d} processes: {kind:10s} {_median(runs[kind], 'per_s'):7.1f}/s"
                      f"   bare {_median(runs['bare'], 'per_s'):7.1f}/s"
                      f"   ratio {statistics.median(ratios):5.1%}"
                      f" (rounds {ratios[0]:.0%}–{ratios[-1]:.0%})"
                      + ("   target >= 50%" if procs == 4 and kind == "store" else "")
                      + ("   (a bound: no checks, no outlook)" if kind == "schema-sql" else ""))
            # What a lifecycle cost in CPU, and how the write lock was shared.
            for kind in kinds:
                print(f"  {'':14s}{kind:10s} CPU per lifecycle: user"
                      f" {_median(runs[kind], 'user_us'):4.0f} µs, system"
                      f" {_median(runs[kind], 'system_us'):4.0f} µs"
                      + (f"; the busiest process did {_median(runs[kind], 'busiest'):4.0%}"
                         " of them" if procs > 1 else ""))


def _median(runs: list[Rate], field: str) -> float:
    return statistics.median(getattr(r, field) for r in runs)

if __name__ == "__main__":
    main()
