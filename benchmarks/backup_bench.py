"""Backup benchmark (issue 22): how long `kiosk backup` takes, and how big its copy is, for a
year of the shipped lobby.

The year is built as admin_bench.py builds it: the shipped config (the embedded
kiosk/default_config.toml: 5 services, 4 counters), `kiosk.demo.simulate_day` at load 0.85
for every day of 2025, written by the benchmarks' fast writer (`benchmarks/fast_writer.py`:
the same ticket rows and events as the store's verbs, with executemany per day).

Measured, on one store file in a temporary folder:
- the store's size (the file and its -wal), tickets and events;
- `kiosk.store.backup.backup()` `--rounds` times into a temporary folder: its own seconds
  (SQLite's online backup, fsync, then `PRAGMA integrity_check` and the ticket count on the
  copy, as `kiosk backup` reports them) and the copy's bytes; the median;
- the floor, each round beside it: a plain `shutil.copyfile` of the same store file plus
  fsync, the fastest any copy can be on this disk (no check);
- the integrity check alone, re-run on the last copy: the part of the backup's time that
  is the check;
- one round under load (`--writers`, default 1, 0 for none): writer processes keep issuing
  tickets through `kiosk.store.Store` (as tests/test_backup.py does) on a copy of the year,
  on the next day; prints the backup's seconds, the tickets written while it ran, and the
  writers' issue latency before and during it.

Both the backup and the floor read a store the page cache already holds (it was just
written, or just read): the figures are the copy, not a cold disk read.

    .venv/bin/python benchmarks/backup_bench.py [--days 365] [--rounds 3] [--writers 1]
                                                [--db PATH] [--keep]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fast_writer import YEAR_START, build_year, lobby_config  # noqa: E402

from kiosk import config as cfg  # noqa: E402
from kiosk.clock import ManualClock  # noqa: E402
from kiosk.store import Store  # noqa: E402
from kiosk.store.backup import _check, backup  # noqa: E402

SPAWN = mp.get_context("spawn")
MB = 1e6


def counts(path: Path) -> tuple[int, int]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        tickets = conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    return int(tickets), int(events)


def size(path: Path) -> tuple[int, int]:
    """The store file's bytes and its -wal's (0 when there is none)."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size, wal.stat().st_size if wal.exists() else 0


def floor_copy(source: Path, target: Path) -> float:
    """A plain copy of the store file, fsynced: the fastest copy this disk makes."""
    started = time.perf_counter()
    shutil.copyfile(source, target)
    with open(target, "rb") as handle:
        os.fsync(handle.fileno())
    took = time.perf_counter() - started
    target.unlink()
    return took


# -- under load -----------------------------------------------------------------------------


def writer(config: str, db: str, now: str, ready: str, stop: str, out: str) -> None:
    """Issue tickets through the Store until `stop` exists; log each issue's wall-clock
    start and its seconds to `out`."""
    settings = cfg.load(config, db=db)
    services = [s.prefix for s in settings.services]
    lines = []
    with Store(settings, clock=ManualClock(datetime.fromisoformat(now))) as store:
        i = 0
        while not Path(stop).exists():
            wall, started = time.time(), time.perf_counter()
            store.issue(services[i % len(services)])
            lines.append(f"{wall} {time.perf_counter() - started}")
            i += 1
            if i == 1:
                Path(ready).touch()
    Path(out).write_text("\n".join(lines))


def newest_ticket(path: Path) -> int:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM tickets").fetchone()[0])


def ms(values: list[float]) -> str:
    if not values:
        return "none"
    return f"p50 {statistics.median(values) * 1000:.1f} / max {max(values) * 1000:.1f} ms"


def under_load(config: Path, source: Path, folder: Path, writers: int, day: date,
               tz: tzinfo) -> None:
    """One backup of a copy of the year while `writers` processes issue tickets into it."""
    store = folder / "load.db"
    shutil.copyfile(source, store)
    now = datetime.combine(day, dtime(9), tz).isoformat()
    stop = folder / "stop"
    ready = [folder / f"ready-{i}" for i in range(writers)]
    logs = [folder / f"writer-{i}.log" for i in range(writers)]
    procs = [SPAWN.Process(target=writer, args=(str(config), str(store), now, str(ready[i]),
                                                  str(stop), str(logs[i])))
             for i in range(writers)]
    for proc in procs:
        proc.start()
    try:
        deadline = time.monotonic() + 60
        while not all(r.exists() for r in ready):
            if time.monotonic() > deadline or any(p.exitcode is not None for p in procs):
                raise RuntimeError("a writer did not start issuing")
            time.sleep(0.01)
        time.sleep(1.0)  # the writers are writing: their latency before the backup
        before = newest_ticket(store)
        began = time.time()
        made = backup(store, folder / "load-copies", keep=1,
                      now=datetime.combine(day, dtime(12), tz))
        ended = time.time()
        after = newest_ticket(store)
    finally:
        stop.touch()
        for proc in procs:
            proc.join(timeout=60)
    if any(proc.exitcode != 0 for proc in procs):
        raise RuntimeError(f"a writer failed: exit codes {[p.exitcode for p in procs]}")
    issues = [tuple(map(float, line.split())) for log in logs
              for line in log.read_text().splitlines()]
    quiet = [took for wall, took in issues if wall + took < began]
    during = [took for wall, took in issues if wall < ended and wall + took > began]
    written = after - before
    print(f"under load ({writers} writer process{'es' if writers > 1 else ''} issuing"
          f" through Store on a copy of the year):")
    print(f"  backup {made.seconds:8.3f} s   copy {made.bytes / MB:8.1f} MB"
          f"   {made.tickets:,} tickets in the copy")
    print(f"  tickets written during the backup: {written:,}"
          f" ({written / (ended - began):,.0f}/s)")
    print(f"  writers' issue() before the backup: {ms(quiet)};"
          f" overlapping it: {ms(during)}")


# -- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--writers", type=int, default=1,
                        help="writer processes for the round under load (0: no such round)")
    parser.add_argument("--db", type=Path, help="reuse (or keep) the year's store here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="backup-bench-"))
    config = lobby_config(folder)
    source = args.db or folder / "year.db"
    settings = cfg.load(config, db=str(source))
    try:
        if source.exists():
            print(f"store: {source} (reused)")
        else:
            took = build_year(settings, source, args.days)
            print(f"built {args.days} days of the shipped lobby ({len(settings.services)}"
                  f" services, {len(settings.counters)} counters, load 0.85) in {took:.1f} s")
        main_bytes, wal_bytes = size(source)
        tickets, events = counts(source)
        print(f"store {main_bytes / MB:.1f} MB + -wal {wal_bytes / MB:.1f} MB"
              f" = {(main_bytes + wal_bytes) / MB:.1f} MB; {tickets:,} tickets,"
              f" {events:,} events")
        print(f"{'round':<8}{'backup s':>10}{'copy MB':>10}{'floor s':>10}   (backup: copy"
              f" + fsync + integrity check; floor: copyfile + fsync)")
        copies = folder / "copies"
        stamp = datetime.combine(YEAR_START + timedelta(days=args.days), dtime(18),
                                 settings.site.tz)
        made, seconds, floors = None, [], []
        for i in range(args.rounds):
            made = backup(source, copies, keep=args.rounds, now=stamp + timedelta(seconds=i))
            assert made.tickets == tickets, (made.tickets, tickets)
            floor = floor_copy(source, folder / "floor.db")
            seconds.append(made.seconds)
            floors.append(floor)
            print(f"{i + 1:<8}{made.seconds:>10.3f}{made.bytes / MB:>10.1f}{floor:>10.3f}")
        assert made is not None
        backup_med, floor_med = statistics.median(seconds), statistics.median(floors)
        print(f"backup median {backup_med:.3f} s, copy {made.bytes / MB:.1f} MB"
              f" ({made.bytes:,} bytes); floor median {floor_med:.3f} s"
              f" ({backup_med / floor_med:.1f}x the floor)")
        check_started = time.perf_counter()
        _check(made.path)
        print(f"of which the integrity check + count: {time.perf_counter() - check_started:.3f}"
              " s (re-run on the last copy)")
        if args.writers > 0:
            under_load(config, source, folder, args.writers,
                       YEAR_START + timedelta(days=args.days), settings.site.tz)
        print(f"whole run {time.perf_counter() - started:.1f} s on {os.cpu_count()} cores")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
