"""How long each store verb takes as a whole `kiosk` process (start, work, exit), next to
the floor of a bare interpreter (`python -c pass`) and one importing sqlite3, measured in
the same run. Target (issue 18): every verb here <= 300 ms.

    .venv/bin/python benchmarks/cli_bench.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk import config as cfg  # noqa: E402

VERBS = [
    ["issue", "A", "--no-print"],
    ["call", "--counter", "1"],
    ["recall", "--counter", "1"],
    ["finish", "--counter", "1"],
    ["status"],
    ["counter", "pause", "--counter", "2", "--minutes", "5"],
    ["counter", "resume", "--counter", "2"],
    ["report"],
    ["check-config"],
]
TARGET_MS = 300.0


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cli-bench-"))
    config = folder / "config.toml"
    config.write_text(cfg.embedded_text(), "utf-8")
    env = {**os.environ, "KIOSK_CONFIG": str(config),
           "KIOSK_NOW": "2026-11-27T09:00:00+07:00"}
    python = sys.executable
    for _ in range(3):  # the store exists, the escpos pickle is cached, the page cache warm
        timed([python, "-m", "kiosk", "issue", "A", "--no-print"], env, folder)
    rows = [("python -c pass (floor)", [python, "-c", "pass"]),
            ("python -c 'import sqlite3'", [python, "-c", "import sqlite3"])]
    rows += [(f"kiosk {' '.join(v)}", [python, "-m", "kiosk", *v]) for v in VERBS]
    print(f"{args.runs} runs each, whole process, milliseconds")
    worst = 0.0
    for name, argv in rows:
        times = sorted(timed(argv, env, folder) for _ in range(args.runs))
        median = statistics.median(times)
        if name.startswith("kiosk"):
            worst = max(worst, median)
        print(f"{name:<48} median {median:7.1f}   max {times[-1]:7.1f}")
    print(f"target every verb's median <= {TARGET_MS:.0f} ms: "
          f"{'met' if worst <= TARGET_MS else 'MISSED'} (slowest {worst:.0f} ms)")


if __name__ == "__main__":
    main()
