"""Store benchmark: issue() latency against the floor of a bare sqlite3 INSERT+COMMIT with the
same pragmas on the same disk, and issue+call+finish lifecycles per second with 1, 4 and 16
processes next to bare sqlite3 doing the same number of commits.

    .venv/bin/python benchmarks/store_bench.py [--n 400] [--seconds 4] [--dir PATH]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk import config as cfg  # noqa: E402
from kiosk.clock import ManualClock  # noqa: E402
from kiosk.store import Store  # noqa: E402

MORNING = datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
SPAWN = mp.get_context("spawn")


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


def _bare_worker(path: str, seconds: float, start_at: float, result: mp.Queue) -> None:
    conn = bare_connect(Path(path))
    while time.time() < start_at:
        time.sleep(0.001)
    done = 0
    end = start_at + seconds
    while time.time() < end:
        for _ in range(3):  # a lifecycle is three commits: issue, call, finish
            bare_commit(conn)
        done += 1
    result.put(done)


def _store_worker(folder: str, db: str, counter: int, seconds: float, start_at: float,
                  result: mp.Queue) -> None:
    settings = make_settings(Path(folder))
    store = Store(settings, clock=ManualClock(MORNING), path=Path(db))
    service = settings.counter(counter).services[0]
    while time.time() < start_at:
        time.sleep(0.001)
    done = 0
    end = start_at + seconds
    while time.time() < end:
        store.issue(service)
        if store.call_next(counter) is not None:
            store.finish(counter)
        done += 1
    store.close()
    result.put(done)


def throughput(kind: str, procs: int, folder: Path, seconds: float) -> float:
    result: mp.Queue = SPAWN.Queue()
    db = folder / f"{kind}-{procs}.db"
    if kind == "bare":
        bare_connect(db).close()
    else:
        Store(make_settings(folder), path=db).close()
    start_at = time.time() + 1.5  # let every process start before the clock runs
    workers = []
    for i in range(procs):
        if kind == "bare":
            args = (str(db), seconds, start_at, result)
            workers.append(SPAWN.Process(target=_bare_worker, args=args))
        else:
            counter = i + 1
            args = (str(folder), str(db), counter, seconds, start_at, result)
            workers.append(SPAWN.Process(target=_store_worker, args=args))
    for w in workers:
        w.start()
    total = sum(result.get(timeout=seconds + 60) for _ in workers)
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
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=400, help="issues for the latency figures")
    parser.add_argument("--seconds", type=float, default=4.0, help="per throughput run")
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
                  f"   p95/floor {i95 / f95:4.2f}x (target <= 3x)")
        print("lifecycles/s (issue+call+finish; bare = 3 INSERT+COMMIT), zero duplicates checked")
        for procs in (1, 4, 16):
            bare = throughput("bare", procs, folder, args.seconds)
            store = throughput("store", procs, folder, args.seconds)
            print(f"  {procs:2d} processes: store {store:7.1f}/s   bare {bare:7.1f}/s"
                  f"   ratio {store / bare:5.1%}")


if __name__ == "__main__":
    main()
