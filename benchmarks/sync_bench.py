"""Sync benchmark (issue 25, point 6): N simulated sites, a month each, synced from scratch
into one PostgreSQL; then the central report for all sites over that month, cold and warm.

Each site is the shipped lobby (5 services, 4 counters) with its own [site] id, its month
built by the benchmarks' fast writer as backup_bench.py builds a year (`kiosk.demo` at load
0.85 from 2025-01-01), each with its own seeds (about 0.7 s a month). `--distinct K`
simulates only K months and makes the other sites copies of them under their own ids and
identity keys (the centre cannot tell a copy from a site): for a quick run. The centre is
a throwaway cluster (initdb in a temporary folder, as tests/test_central.py makes one;
fsync off: the figures are the program's, not a disk's).

Printed:
- events/s of `kiosk sync` (`kiosk.central.sync.Sync.run`, batch from the config) from
  scratch, all sites one after the other;
- the floor, in the same run: one plain COPY of the same event rows into an unindexed
  table (what any loader pays at least);
- the all-site report over the month (`kiosk.central.report.CentralReports`): cold (the
  day partials computed on scratch stores and kept in `report_partials`), then warm (read
  back and merged). Targets: >= 50,000 events/s; warm <= 2 s. Each site has the month and
  the first day after it, so the month is settled at the centre (a day is, once a later
  day has begun), as last month is when a head office reads it.

    .venv/bin/python benchmarks/sync_bench.py [--sites 100] [--distinct K] [--days 31]
        [--keep]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fast_writer import YEAR_START, build_year, lobby_config  # noqa: E402

from kiosk import config as cfg  # noqa: E402
from kiosk.central import schema  # noqa: E402
from kiosk.central.connect import connect  # noqa: E402
from kiosk.central.report import CentralReports  # noqa: E402
from kiosk.central.sync import EVENT_COLUMNS, Sync  # noqa: E402
from kiosk.store import Store  # noqa: E402

TARGET_EVENTS_S = 50_000
TARGET_WARM_S = 2.0


def enterable() -> str:
    """A temporary folder's parent the postgres user may enter (a root-only /tmp is not)."""
    if os.geteuid() != 0:
        return tempfile.gettempdir()
    for folder in (tempfile.gettempdir(), "/var/tmp", "/dev/shm"):
        if subprocess.run(["runuser", "-u", "postgres", "--", "test", "-w", folder, "-a",
                           "-x", folder], check=False).returncode == 0:
            return folder
    sys.exit("no temporary folder the postgres user may write in")


def start_cluster(root: Path) -> tuple[str, list[str]]:
    """A PostgreSQL of its own in `root`: (its URL, the pg_ctl stop command)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        sys.exit("PostgreSQL (initdb) is not installed")
    bindir = Path(found[-1]).parent
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(root, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = root / "data"
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "kiosk",
                    "--auth=trust", "-E", "UTF8", "--no-sync"], check=True,
                   capture_output=True)
    options = (f"-k {root} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
               " -c synchronous_commit=off -c full_page_writes=off")
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                    str(root / "log"), "-w", "start"], check=True, capture_output=True)
    stop = [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
    return f"postgresql://kiosk@127.0.0.1:{port}/postgres", stop


def site_settings(folder: Path, site: str) -> cfg.Settings:
    config = lobby_config(folder)
    config.write_text(config.read_text("utf-8").replace('id = "lobby"', f'id = "{site}"'),
                      "utf-8")
    return cfg.load(config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--distinct", type=int, default=0,
                        help="months simulated (0: one per site); the other sites are copies")
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kiosk-sync-bench-"))
    os.chmod(root, 0o755)
    pg_root = Path(tempfile.mkdtemp(prefix="kiosk-pg-", dir=enterable()))
    url, stop = start_cluster(pg_root)
    try:
        distinct = max(1, min(args.distinct or args.sites, args.sites))
        run(root, url, args.sites, args.days, distinct)
    finally:
        subprocess.run(stop, check=False, capture_output=True)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(pg_root, ignore_errors=True)


def run(root: Path, url: str, sites: int, days: int, distinct: int) -> None:
    pg = connect(url)
    schema.migrate(pg, create=True)
    stores: list[tuple[cfg.Settings, Path]] = []
    for i in range(sites):
        folder = root / f"site{i}"
        folder.mkdir()
        settings = site_settings(folder, f"site{i}")
        path = folder / "year.db"
        if i < distinct:
            # and the next day: a month is settled at the centre once a later day
            # has begun there, as last month is when a head office reads it
            took = build_year(settings, path, days + 1, seed=1000 + 1000 * i)
            print(f"site{i}: {days} days built in {took:.1f} s", file=sys.stderr)
        else:
            shutil.copyfile(stores[i % distinct][1], path)
        stores.append((settings, path))

    events = 0
    started = time.perf_counter()
    for settings, path in stores:
        with Store(settings, path=path) as store:
            report = Sync(store, settings, url).run()
        events += report.events
    sync_s = time.perf_counter() - started

    # The floor: the same rows, one COPY, into a table with no key, index or partition.
    rows = []
    for settings, path in stores:
        with Store(settings, path=path) as store:
            rows += [(settings.site.id, e.id, e.ticket_id, e.kind, e.at, e.counter, e.actor,
                      json.dumps(e.detail) if e.detail else None)
                     for e in store.events_after(0, None, 10**9)]
    pg.execute("CREATE UNLOGGED TABLE floor_events (site text, id bigint, ticket_id bigint,"
               " kind text, at timestamptz, counter integer, actor text, detail jsonb)")
    started = time.perf_counter()
    with pg.cursor() as cur, cur.copy(f"COPY floor_events ({EVENT_COLUMNS}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
    floor_s = time.perf_counter() - started

    first, last = YEAR_START, YEAR_START + timedelta(days=days - 1)
    settings = stores[0][0]
    timings = []
    for _ in range(2):
        with CentralReports(url, settings) as reports:
            started = time.perf_counter()
            rep = reports.report(date_from=first.isoformat(), date_to=last.isoformat())
            timings.append((time.perf_counter() - started, reports.built))
    pg.close()

    rate = events / sync_s
    print(f"sites: {sites} x {days} days (+1), {events:,} events, "
          f"{rep['overall']['issued']:,} tickets issued")
    print(f"sync from scratch: {sync_s:.2f} s, {rate:,.0f} events/s"
          f" (target >= {TARGET_EVENTS_S:,}: {'met' if rate >= TARGET_EVENTS_S else 'NOT met'})")
    print(f"floor, one plain COPY of the same events: {floor_s:.2f} s,"
          f" {len(rows) / floor_s:,.0f} events/s")
    (cold_s, cold_built), (warm_s, warm_built) = timings
    print(f"all-site report, cold: {cold_s:.2f} s ({cold_built} site-days computed)")
    print(f"all-site report, warm: {warm_s:.2f} s ({warm_built} site-days computed; target"
          f" <= {TARGET_WARM_S} s: {'met' if warm_s <= TARGET_WARM_S else 'NOT met'})")


if __name__ == "__main__":
    main()
