"""Patron kiosk speed: cold start to the first frame, and the final touch to the number on
screen (p50/p95). Targets: start <= 1 s, touch -> number p95 <= 100 ms.

- Cold start: a fresh Python process imports the kiosk, opens a store file and draws the
  welcome screen (headless, 120 x 40); measured from just before the process is spawned to
  the moment the first frame has been drawn. Floor: the same for a bare Textual app with
  one line of text.
- Touch -> number: in one process, the pilot taps "No" on the priority screen; measured from
  the moment the app accepts the touch until the ticket screen with the number has been
  drawn (also shown: from the pilot's click call, which adds the pilot's own delivery). The
  store's BEGIN IMMEDIATE + fsync is included; the printer is a stand-in that answers at
  once, so the figure does not depend on a printer. Floor: `store.issue()` alone.

Run: .venv/bin/python benchmarks/patron_bench.py [--starts N] [--touches N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CHILD_KIOSK = r"""
import asyncio, sys, tempfile
from pathlib import Path
from kiosk import config as cfg
from kiosk.ui.patron import PatronApp
tmp = Path(tempfile.mkdtemp())
settings = cfg.load(None, db=tmp / "kiosk.db")
speech = settings.speech.model_copy(update={"output": "none"})
settings = settings.model_copy(update={"speech": speech})
app = PatronApp(settings, printer=None, poll_s=3600)  # the real store and KioskVoice
app.on_first_frame = lambda: (print("FRAME", flush=True), app.exit())
async def main():
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(5)
asyncio.run(main())
"""

CHILD_BARE = r"""
import asyncio
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(lambda: (print("FRAME", flush=True), self.exit()))
async def main():
    async with Bare().run_test(size=(120, 40)) as pilot:
        await pilot.pause(5)
asyncio.run(main())
"""


def cold_start(code: str) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            cwd=REPO)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("FRAME"):
            elapsed = time.perf_counter() - started
            break
    else:
        raise RuntimeError("the child never drew a frame")
    proc.wait(timeout=30)
    return elapsed


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def touches(count: int) -> tuple[list[float], list[float], list[float]]:
    from kiosk import config as cfg
    from kiosk.clock import ManualClock
    from kiosk.store import Store
    from kiosk.ui.patron import PatronApp, SilentVoice, TicketScreen
    from tests.conftest import local
    from tests.test_patron_fakes import FakePrinter, Monotonic

    tmp = Path(tempfile.mkdtemp())
    settings = cfg.load(None, db=tmp / "kiosk.db")
    clock = ManualClock(local(9, 0))
    store = Store(settings, clock=clock)
    mono = Monotonic()
    app = PatronApp(settings, store=store, printer=FakePrinter(), voice=SilentVoice(),
                    monotonic=mono, poll_s=3600)
    shown: asyncio.Event | None = None
    results: list[float] = []
    in_app: list[float] = []

    def on_ticket(screen: TicketScreen) -> None:
        assert shown is not None
        in_app.append(time.perf_counter() - app.input_at)
        shown.set()

    app.on_ticket_shown = on_ticket

    async def main() -> None:
        nonlocal shown
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for i in range(count):
                mono.advance(1)
                await pilot.click(f"#service-{i % len(settings.services) + 1}")
                await pilot.pause()
                mono.advance(1)
                shown = asyncio.Event()
                started = time.perf_counter()
                await pilot.click("#need-no")
                await shown.wait()
                results.append(time.perf_counter() - started)
                await app.workers.wait_for_complete()
                clock.advance(5)
                mono.advance(3)
                await pilot.click("#done")
                await app.workers.wait_for_complete()
                await pilot.pause()

    asyncio.run(main())
    floor = []
    for i in range(count):
        started = time.perf_counter()
        store.issue(settings.services[i % len(settings.services)].prefix)
        floor.append(time.perf_counter() - started)
        clock.advance(5)
    store.close()
    return results, in_app, floor


def report(name: str, values: list[float], target: float | None = None) -> None:
    p50, p95 = statistics.median(values) * 1000, percentile(values, 95) * 1000
    verdict = ""
    if target is not None:
        verdict = "  (target met)" if p95 <= target * 1000 else "  (TARGET MISSED)"
    print(f"{name:<42} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   n={len(values)}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--touches", type=int, default=60)
    args = parser.parse_args()
    kiosk = [cold_start(CHILD_KIOSK) for _ in range(args.starts)]
    bare = [cold_start(CHILD_BARE) for _ in range(args.starts)]
    report("cold start -> first frame (kiosk)", kiosk, target=1.0)
    report("cold start -> first frame (bare Textual)", bare)
    touch, in_app, floor = touches(args.touches)
    report("final touch -> number drawn (in the app)", in_app, target=0.1)
    report("  the same, from the pilot's click call", touch)
    report("store.issue() alone (floor)", floor)


if __name__ == "__main__":
    main()
