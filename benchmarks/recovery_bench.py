"""From a freed disk to a working patron kiosk (issue 18, point 12).

The real patron kiosk (headless; its real store file on a 1 MB tmpfs this script mounts, so
run it as root; its real trouble poll, every 2 s; speech output "none"; no printer) runs
while the disk is filled, and a patron's ticket fails: the kiosk says tickets cannot be
made. `--after` seconds later (plus 0-2 s at random, so the poll's phase varies) the disk
is freed; measured from freeing it to the kiosk offering tickets again (the welcome
screen's trouble gone). Then the next patron's ticket is taken, to show it works. Floors,
from the kiosk's own rules: the trouble poll (2 s) and the shortest rest after a fault
(STORE_MIN_REST_S, 5 s); without the probe the rest was STORE_REST_S (15 s).

    sudo .venv/bin/python benchmarks/recovery_bench.py [--after 1 8] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk import config as cfg  # noqa: E402
from kiosk.clock import from_environment  # noqa: E402
from kiosk.speech.voice import KioskVoice  # noqa: E402
from kiosk.store import Store  # noqa: E402
from kiosk.ui.patron import PatronApp  # noqa: E402
from kiosk.ui.patron.base import STORE_MIN_REST_S, STORE_REST_S  # noqa: E402
from kiosk.ui.patron.ticket import TicketScreen  # noqa: E402
from tests.conftest import fill  # noqa: E402

NOW = "2026-11-27T09:00:00+07:00"


async def until(pilot, predicate, timeout: float = 60.0) -> float:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        await pilot.pause(0.02)
    return time.monotonic()


async def one_round(disk: Path, after: float) -> tuple[float, str]:
    folder = disk / f"round-{time.monotonic_ns()}"
    folder.mkdir()
    config = folder / "config.toml"
    config.write_text(cfg.embedded_text().replace('path = "data/kiosk.db"',
                                                  f'path = "{folder}/kiosk.db"'), "utf-8")
    settings = cfg.load(config)
    store = Store(settings, clock=from_environment())
    store.counter(1, "open")
    app = PatronApp(settings, store=store, printer=None,
                    voice=KioskVoice(settings, None, output="none"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(1.0)  # started; past the input guard

        async def ticket() -> None:
            await pilot.click("#service-1")
            await pilot.pause(1.2)  # "No" is where the service was: past the repeat guard
            await pilot.click("#need-no")

        filler = fill(disk)
        await ticket()
        await until(pilot, lambda: app.trouble.issuing == "store")
        await pilot.pause(after + random.uniform(0.0, 2.0))
        filler.unlink()
        freed = time.monotonic()
        offered = await until(pilot, lambda: app.trouble.issuing is None)
        await pilot.pause(0.5)
        await ticket()
        await until(pilot, lambda: isinstance(app.screen, TicketScreen))
        screen = app.screen
        label = screen.issued.ticket.label if isinstance(screen, TicketScreen) and \
            screen.issued else "?"
    store.close()
    shutil.rmtree(folder)  # the next round needs the little room there is
    return offered - freed, label


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--after", type=float, nargs="+", default=[1.0, 8.0],
                        help="seconds between the failed ticket and freeing the disk")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import os

    os.environ["KIOSK_NOW"] = NOW
    mount = Path(tempfile.mkdtemp(prefix="recovery-bench-"))
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if made.returncode != 0:
        raise SystemExit(f"cannot mount a small tmpfs (run as root): {made.stderr.strip()}")
    try:
        print(f"floors: trouble poll 2.0 s; shortest rest after a fault {STORE_MIN_REST_S:.0f} s"
              f" (the rest without the probe: {STORE_REST_S:.0f} s)")
        for after in args.after:
            offered, labels = [], []
            for _ in range(args.rounds):
                seconds, label = asyncio.run(one_round(mount, after))
                offered.append(seconds)
                labels.append(label)
            print(f"disk freed {after:4.1f} s after the fault: tickets offered again after"
                  f" {statistics.median(offered):4.1f} s (min {min(offered):4.1f}, max"
                  f" {max(offered):4.1f}), {args.rounds} rounds; the next patron's number:"
                  f" {', '.join(labels)}")
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


if __name__ == "__main__":
    main()
