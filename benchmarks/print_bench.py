"""Printing latency: from store.issue() to the slip's last byte at a loopback printer.

For 200 tickets, one at a time, the clock starts before `store.issue()` and stops when the
fake ESC/POS printer (printers/fake.py) receives the cut, the slip's last byte. Measured
through both ways in: the PrintWorker a kiosk screen uses (submit() right after issue())
and the synchronous print_issued() of `kiosk issue`. Next to them: store.issue() alone,
and a bare sqlite3 INSERT + COMMIT on the same disk, the floor under any issue.
Target: p95 <= 50 ms from issue() to the last byte.

    .venv/bin/python benchmarks/print_bench.py [--tickets 200] [--dir PATH]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from store_bench import floor_latency  # the same floor as the store benchmark

from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.store import Store
from printers.fake import FakePrinter
from printers.worker import PrintWorker, print_issued

SHIPPED_PRINTER = 'connection = "file"               # network | usb | serial | cups | file | none'
TARGET_P95_MS = 50.0
SERVICES = "ABCDE"


def settings_for(folder: Path, port: int) -> cfg.Settings:
    text = cfg.embedded_text().replace(
        SHIPPED_PRINTER, f'connection = "network"\nhost = "127.0.0.1"\nport = {port}')
    path = folder / "config.toml"
    path.write_text(text, "utf-8")
    return cfg.load(path)


def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta")))


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def row(name: str, samples: list[float]) -> str:
    p50, p95, worst = percentiles(samples)
    return f"  {name:<44} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   max {worst:7.2f} ms"


def bare_sqlite(folder: Path, count: int) -> list[float]:
    """The store benchmark's floor (bare INSERT+COMMIT, same pragmas), in milliseconds."""
    return [seconds * 1000 for seconds in floor_latency(folder, count)]


def issue_alone(settings: cfg.Settings, folder: Path, count: int) -> list[float]:
    man = clock()
    out = []
    with Store(settings, clock=man, path=folder / "alone.db") as store:
        for i in range(count):
            started = time.perf_counter()
            store.issue(SERVICES[i % len(SERVICES)], lang="id")
            out.append((time.perf_counter() - started) * 1000)
            man.advance(1)
    return out


def through(fake: FakePrinter, count: int, step: Callable[[int], None]) -> list[float]:
    out = []
    first = len(fake.slips())
    for i in range(count):
        started = time.perf_counter()
        step(i)
        cut = fake.wait_for_cuts(first + i + 1, timeout=10)[first + i]
        out.append((cut - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--dir", type=Path, help="where the store files go (default: a "
                        "temporary folder)")
    args = parser.parse_args()
    count = args.tickets
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp, FakePrinter() as fake:
        folder = Path(tmp)
        settings = settings_for(folder, fake.port)
        bare_sqlite(folder, 50)  # the first commits on a fresh disk area lag
        floor = bare_sqlite(folder, count)
        alone = issue_alone(settings, folder, count)

        man = clock()
        worker_db = folder / "worker.db"
        settings_w = settings.model_copy(
            update={"store": settings.store.model_copy(update={"path": worker_db})})
        with Store(settings_w, clock=man) as store:
            worker = PrintWorker(settings_w, "lobby", clock=man).start()
            worker.wait_idle(10)

            def via_worker(i: int) -> None:
                issued = store.issue(SERVICES[i % len(SERVICES)], lang="en", kiosk="lobby")
                worker.submit(issued)
                man.advance(1)

            with_worker = through(fake, count, via_worker)
            worker.wait_idle(10)
            worker.stop()

        man = clock()
        with Store(settings, clock=man, path=folder / "sync.db") as store:

            def synchronous(i: int) -> None:
                issued = store.issue(SERVICES[i % len(SERVICES)], lang="id")
                if not print_issued(store, issued, None):
                    raise SystemExit("a slip failed to print; the figures would lie")
                man.advance(1)

            sync = through(fake, count, synchronous)

    print(f"printing benchmark: {count} tickets, one at a time, loopback fake printer "
          f"(profile {settings.printers['main'].profile}), store on {Path(tmp).parent}")
    print(row("bare sqlite3 INSERT+COMMIT (floor)", floor))
    print(row("store.issue() alone", alone))
    print(row("issue() -> last byte, PrintWorker.submit()", with_worker))
    print(row("issue() -> last byte, print_issued() (CLI)", sync))
    p95 = percentiles(with_worker)[1]
    verdict = "met" if p95 <= TARGET_P95_MS else "MISSED"
    print(f"target p95 <= {TARGET_P95_MS:.0f} ms (PrintWorker): {verdict}")


if __name__ == "__main__":
    main()
