"""Report benchmark: one year of history (about 1.5 million tickets), then the standard
report (no filters) for one month and for the whole year.

The year is built by `benchmarks/fast_writer.py`: the same simulated days as `kiosk demo-data`,
written as the same ticket rows and events the store's verbs write (tests/test_demo.py checks
that parity), but with executemany per day instead of one verb at a time. The site is large:
8 services and 60 counters, ~4,100 tickets a day, every day of 2025.

Each report is timed cold (nothing cached: the first report after the history was written
computes every day and caches the settled days and months) and warm (the steady state: past
days are settled and read from report_cache). A filtered month (no cache) is timed too, and
the floor: one bare GROUP BY pass over the year's tickets in SQLite.

    .venv/bin/python benchmarks/report_bench.py [--days 365] [--db PATH] [--keep]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fast_writer import YEAR_START, build_year  # noqa: E402

from kiosk import config as cfg  # noqa: E402
from kiosk import demo, reports  # noqa: E402
from kiosk.store import Store  # noqa: E402

SERVICES = "ABCDEFGH"
COUNTERS = 60


def big_config(folder: Path) -> Path:
    """The shipped config with 8 services and 60 counters (each serves two services)."""
    text = cfg.embedded_text()
    head = text[: text.index("[[services]]")]
    tail = text[text.index("[needs.lansia]"):]
    mix = {p: demo.SERVICE_MIX.get(p, 0.125) * demo.SERVICE_MEAN_S.get(p, 300.0)
           for p in SERVICES}
    total = sum(mix.values())
    blocks = []
    for p in SERVICES:
        blocks.append(f'[[services]]\nprefix = "{p}"\nname = {{ id = "Layanan {p}", '
                      f'en = "Service {p}" }}\nicon = "*"\nquota = 0\n')
    counter_id = 1
    for i, p in enumerate(SERVICES):
        share = round(COUNTERS * mix[p] / total) or 1
        other = SERVICES[(i + 1) % len(SERVICES)]
        for _ in range(share):
            blocks.append(f'[[counters]]\nid = {counter_id}\nname = {{ id = "Loket '
                          f'{counter_id}", en = "Counter {counter_id}" }}\n'
                          f'services = ["{p}", "{other}"]\n')
            counter_id += 1
    path = folder / "config.toml"
    path.write_text(head.replace('path = "data/kiosk.db"', 'path = "year.db"')
                    + "\n".join(blocks) + "\n" + tail, "utf-8")
    return path


def build(settings: cfg.Settings, path: Path, days: int) -> tuple[int, int, float]:
    took = build_year(settings, path, days, start=dtime(0))
    with Store(settings, path=path) as store:
        tickets = store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        events = store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    return tickets, events, took


def timed(label: str, fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    took = time.perf_counter() - started
    print(f"{label:<44} {took:8.3f} s")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--db", type=Path, help="reuse (or keep) this store file")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="report-bench-"))
    settings = cfg.load(big_config(folder))
    path = args.db or folder / "year.db"
    if not path.exists() or path.stat().st_size == 0:
        tickets, events, took = build(settings, path, args.days)
        print(f"built {tickets:,} tickets and {events:,} events over {args.days} days "
              f"in {took:.0f} s ({tickets / took:,.0f} tickets/s; FastWriter)")
    last = YEAR_START + timedelta(days=args.days - 1)
    month = ("2025-03-01", "2025-03-31")
    year = (YEAR_START.isoformat(), last.isoformat())
    with Store(settings, path=path) as store:
        tickets = store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        print(f"{tickets:,} tickets, {store.path.stat().st_size / 1e6:,.0f} MB; "
              f"{len(settings.counters)} counters, {len(settings.services)} services; "
              f"today {datetime.now(ZoneInfo(settings.site.timezone)).date()}")
        timed("floor: bare GROUP BY service over the year", lambda: store.conn.execute(
            "SELECT service, COUNT(*), AVG(julianday(called_at) - julianday(queued_at))"
            " FROM tickets GROUP BY service").fetchall())
        store.conn.execute("DELETE FROM report_cache")

        def run(span: tuple[str, str], **filters: object) -> None:
            reports.report(store, settings, date_from=span[0], date_to=span[1], **filters)

        figures = {
            "month cold": timed("month (March), cold: computes, caches", lambda: run(month)),
            "month warm": timed("month (March), warm (target <= 0.5 s)", lambda: run(month)),
            "year cold": timed("year, cold: computes the other 11 months",
                               lambda: run(year)),
            "year warm": timed("year, warm (target <= 3 s)", lambda: run(year)),
            "month filtered": timed("month, class=priority (never cached)",
                                    lambda: run(month, priority=True)),
            "month mid": timed("15 Mar .. 14 Apr, warm (days, not months)",
                               lambda: run(("2025-03-15", "2025-04-14"))),
        }
        ok = figures["month warm"] <= 0.5 and figures["year warm"] <= 3.0
        print("targets met" if ok else "TARGETS MISSED")
    if not args.keep and args.db is None:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
