"""Admin-screen benchmark: a year of history, then the time from opening a year-long range
(Show pressed) to the statistics tables drawn, and on to the charts drawn, in Textual's pilot.

The year is built by the benchmarks' fast writer (`benchmarks/fast_writer.py`: the same
simulated days as `kiosk demo-data`, written with executemany): the shipped library lobby
(5 services, 4 counters, load 0.85, every day of 2025), or with `--big` the report
benchmark's large site (8 services, 60 counters, ~4,100 tickets a day).

Cases, each on its own copy of the store:
- cold: no report cache at all (the first year-long report a store ever makes);
- warm: the settled days and months cached (what every later report reads), best of 3;
- after warm-up: a fresh admin screen left on Today while it fills the cache of the past
  12 months in the background (AdminApp's warm-up), then the year;
- filtered (service B): never cached, so every day is computed.

"Drawn" is the first refresh after the data is on the widgets (`call_after_refresh`). The
floor is reading the year's cached report alone (`kiosk.reports.report`, warm).

    .venv/bin/python benchmarks/admin_bench.py [--days 365] [--big] [--db PATH] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fast_writer import YEAR_START, build_year, lobby_config  # noqa: E402

from kiosk import config as cfg  # noqa: E402
from kiosk import reports  # noqa: E402
from kiosk.clock import ManualClock  # noqa: E402
from kiosk.store import Store  # noqa: E402
from kiosk.ui.admin import AdminApp, AdminScreen  # noqa: E402
from kiosk.ui.admin.base import Range  # noqa: E402
from kiosk.ui.admin.charts import Chart  # noqa: E402

SIZE = (160, 50)
TARGET_S = 3.0
ADMIN, PIN = "bench", "246802"


def build(settings: cfg.Settings, path: Path, days: int) -> tuple[int, float]:
    took = build_year(settings, path, days)
    with Store(settings, path=path) as store:
        store.staff_add(ADMIN, "admin", PIN)
        tickets = store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    return int(tickets), took


def copy_store(source: Path, folder: Path, name: str, *, cache: bool) -> Path:
    target = folder / name
    shutil.copy(source, target)
    if not cache:
        with Store(SETTINGS, path=target) as store:
            store.conn.execute("DELETE FROM report_cache")
    return target


async def until(pilot: Any, predicate: Any, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the admin screen did not get there")
        await pilot.pause(0.01)


async def painted(app: AdminApp) -> float:
    """perf_counter() at the first refresh from now on."""
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(time.perf_counter()))
    return await done


def open_year(path: Path, rng: Range, clock_day: date, *, warm_months: int = 0,
              wait_warm: bool = False, cold: bool = False) -> dict[str, float]:
    """Sign in, then time Show (year) -> tables drawn -> Charts tab -> charts drawn."""
    settings = cfg.load(CONFIG, db=str(path))
    clock = ManualClock(datetime.combine(clock_day, dtime(9), settings.site.tz))
    app = AdminApp(settings, clock=clock, warm_months=warm_months, every_s=3600)
    out: dict[str, float] = {}

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.screen.query_one("#name").value = ADMIN
            app.screen.query_one("#pin").value = PIN
            app.screen.query_one("#pin").focus()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, AdminScreen))
            screen = app.screen
            assert isinstance(screen, AdminScreen)
            await until(pilot, lambda: screen.range is not None)  # the default 30 days
            if cold:  # forget what the default range just cached, too
                with Store(settings, path=path) as other:
                    other.conn.execute("DELETE FROM report_cache")
            if wait_warm:
                await until(pilot, lambda: "warmed" in app.timings)
                out["warm_up_s"] = app.timings["warmed"]
            screen.show_view("stats")
            await pilot.pause()
            screen.query_one("#from").value = rng.date_from
            screen.query_one("#to").value = rng.date_to
            screen.query_one("#service").value = rng.service or screen.query_one(
                "#service").NULL
            await pilot.pause()
            started = time.perf_counter()
            await screen.load(screen.read_filters()).wait()
            assert screen.range == rng
            out["computed_s"] = app.timings["computed"]
            out["tables_s"] = await painted(app) - started
            drawn = {c.id: c.drawn for c in screen.query(Chart)}
            screen.show_view("charts")
            charts = list(screen.query(Chart))
            while not all(c.drawn > drawn[c.id] for c in charts):
                await painted(app)
            out["charts_s"] = await painted(app) - started
            out["tickets"] = screen.data["report"]["overall"]["issued"]

    asyncio.run(main())
    return out


def floor(path: Path, rng: Range) -> float:
    with Store(SETTINGS, path=path) as store:
        started = time.perf_counter()
        reports.report(store, SETTINGS, date_from=rng.date_from, date_to=rng.date_to)
        return time.perf_counter() - started


def line(name: str, r: dict[str, float]) -> str:
    verdict = "ok" if r["charts_s"] <= TARGET_S else "OVER"
    return (f"{name:<26}{r['computed_s']:>9.2f}{r['tables_s']:>9.2f}{r['charts_s']:>9.2f}"
            f"   {verdict}")


def main() -> None:
    global CONFIG, SETTINGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--big", action="store_true", help="the 60-counter site")
    parser.add_argument("--db", type=Path, help="reuse (or keep) the year's store here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="admin-bench-"))
    if args.big:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from report_bench import big_config

        CONFIG = big_config(folder)
    else:
        CONFIG = lobby_config(folder)
    source = args.db or folder / "year.db"
    SETTINGS = cfg.load(CONFIG, db=str(source))
    try:
        if source.exists():
            with Store(SETTINGS, path=source) as store:
                tickets = store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
            print(f"store: {source} ({tickets:,} tickets, reused)")
        else:
            tickets, took = build(SETTINGS, source, args.days)
            print(f"built {args.days} days, {tickets:,} tickets in {took:.1f} s "
                  f"({'60-counter site' if args.big else 'library lobby, 4 counters'})")
        last = YEAR_START + timedelta(days=args.days - 1)
        today = last + timedelta(days=1)
        year = Range(YEAR_START.isoformat(), last.isoformat())
        print(f"range {year.date_from} .. {year.date_to}, pilot at {SIZE[0]}x{SIZE[1]}, "
              f"today {today}")
        print(f"{'case':<26}{'compute':>9}{'tables':>9}{'charts':>9}   (s from Show; "
              f"target charts <= {TARGET_S:.0f} s)")

        cold_db = copy_store(source, folder, "cold.db", cache=False)
        cold = open_year(cold_db, year, today, cold=True)
        print(line("cold (no cache)", cold))
        warm_runs = [open_year(cold_db, year, today) for _ in range(3)]
        warm = min(warm_runs, key=lambda r: r["charts_s"])
        print(line("warm (best of 3)", warm)
              + f"   [median charts {statistics.median(r['charts_s'] for r in warm_runs):.2f}]")
        warmed_db = copy_store(source, folder, "warmed.db", cache=False)
        warmed = open_year(warmed_db, year, today, warm_months=12, wait_warm=True)
        print(line("after warm-up on Today", warmed)
              + f"   [warm-up took {warmed['warm_up_s']:.1f} s in the background]")
        filtered = open_year(cold_db, replace_service(year, "B"), today)
        print(line("filtered: service B", filtered))
        print(f"floor: the year's report alone from the cache: {floor(cold_db, year):.3f} s; "
              f"{int(warm['tickets']):,} tickets in the range")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def replace_service(rng: Range, service: str) -> Range:
    return Range(rng.date_from, rng.date_to, service=service)


CONFIG: Path
SETTINGS: cfg.Settings

if __name__ == "__main__":
    main()
