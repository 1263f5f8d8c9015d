"""Speech latency: from a `called` event committed by one process to the WAV of that call
being ready to play in another.

`kiosk announcer --output wav` runs as its own process on a fresh store (its engine worker
stays warm); this process calls tickets one at a time through its own Store and, after each
COMMIT, waits for that call's WAV file to appear (the announcer writes it atomically). After
3 warm-up calls it measures N calls (default 50) and prints p50 / p95 / max, the part of it
spent rendering (synthesis of both languages + chime + repeat + writing, from the
`announced` events), and a floor measured in the same run on the same disk: a bare sqlite3
INSERT + COMMIT (WAL, synchronous=FULL). Target: p95 <= 500 ms.

    .venv/bin/python benchmarks/speech_bench.py [--calls 50]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_bench import floor_latency, percentile  # noqa: E402 (the same floor)

from kiosk import config as cfg  # noqa: E402
from kiosk.store import Store  # noqa: E402

TARGET_P95_MS = 500.0
WARMUP = 3


def make_config(folder: Path) -> Path:
    text = cfg.embedded_text()
    for old, new in (('open = "08:00"', 'open = "00:00"'),
                     ('last_ticket = "15:30"', 'last_ticket = "23:59"'),
                     ('close = "16:00"', 'close = "23:59"'),
                     ('output = "speaker"', 'output = "wav"')):
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "config.toml"
    path.write_text(text, "utf-8")
    return path


def wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"speech_bench: gave up waiting for {what}")
        time.sleep(0.001)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="speech-bench-") as tmp:
        folder = Path(tmp)
        config = make_config(folder)
        settings = cfg.load(config)
        wav_dir = settings.speech.wav_dir
        total = WARMUP + args.calls
        store = Store(settings)
        for i in range(total):
            store.issue("AB"[i % 2])
        log = (folder / "announcer.log").open("w")
        announcer = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "--config", str(config), "announcer",
             "--output", "wav"],
            stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, "KIOSK_NOW": ""},
        )
        latencies: list[float] = []
        try:
            wait_for(lambda: any(d.kind == "announcer" and d.state == "ok"
                                 for d in store.devices().values()), 30, "the announcer")
            for i in range(total):
                ticket = store.call_next(1)
                committed = time.perf_counter()
                assert ticket is not None
                pattern = f"*-{ticket.label}.wav"
                wait_for(lambda p=pattern: any(wav_dir.glob(p)) if wav_dir.exists() else False,
                         30, f"the WAV of {ticket.label}")
                if i >= WARMUP:
                    latencies.append((time.perf_counter() - committed) * 1000)
            wait_for(lambda: store.conn.execute(
                "SELECT COUNT(*) FROM events WHERE kind = 'announced'").fetchone()[0] == total,
                30, "the last announced event")
        finally:
            announcer.terminate()
            announcer.wait(timeout=30)
            log.close()
        details = [json.loads(r[0]) for r in store.conn.execute(
            "SELECT detail FROM events WHERE kind = 'announced' ORDER BY id")][WARMUP:]
        store.close()
        render = [d["render_ms"] for d in details]
        audio = [d["audio_s"] for d in details]
        floor = statistics.median(floor_latency(folder, 50)) * 1000
    p50, p95 = percentile(latencies, 0.50), percentile(latencies, 0.95)
    print(f"speech latency, `called` committed -> WAV ready, {len(latencies)} calls "
          f"(announcer in its own process, output wav):")
    print(f"  p50 {p50:.0f} ms   p95 {p95:.0f} ms   max {max(latencies):.0f} ms")
    print(f"  of which rendering (2 syntheses + chime + repeat + write): "
          f"p50 {percentile(render, 0.5):.0f} ms, p95 {percentile(render, 0.95):.0f} ms")
    print(f"  audio per call: {statistics.mean(audio):.1f} s")
    print(f"  floor: bare sqlite3 INSERT+COMMIT on the same disk, median {floor:.1f} ms")
    verdict = "met" if p95 <= TARGET_P95_MS else "MISSED"
    print(f"  target p95 <= {TARGET_P95_MS:.0f} ms: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
