"""Every benchmark script still runs: each with the smallest arguments that go through all of
its code (the figures themselves are quoted from full runs, in the README)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import REPO, require_tool

RUNS = {
    "store_bench": (["--n", "20", "--seconds", "0.1", "--rounds", "1"], "lifecycles/s"),
    "board_bench": (["--calls", "3"], "board: call visible"),
    "estimate_bench": (["--days", "1", "--loads", "0.5", "--booked-days", "1"],
                       "walk-ins wait med"),
    "print_bench": (["--tickets", "3"], "PrintWorker"),
    "patron_bench": (["--starts", "1", "--touches", "2", "--terminal", "1"], "final touch"),
    "report_bench": (["--days", "3"], "year, warm"),
    "admin_bench": (["--days", "3"], "warm (best of 3)"),
    "backup_bench": (["--days", "3", "--rounds", "1"], "backup median"),
    "speech_bench": (["--calls", "1"], "target p95 <= 500 ms"),
    "speech_intelligibility": (["--calls", "2", "--voices", "en-us", "--rates", "140"],
                               "floor: the same calls as text"),
    "cli_bench": (["--runs", "1"], "target every verb"),
    "sync_bench": (["--sites", "2", "--distinct", "1", "--days", "2"], "all-site report, warm"),
    "contention_bench": (["--seconds", "2", "--api", "2"], "duplicate labels"),
    "recovery_bench": (["--after", "6", "--rounds", "1"], "offered again after"),
    "serve_bench": (["--n", "20", "--seconds", "1", "--streams", "1", "5", "--idle-s", "1",
                     "--phones", "5"],
                    "phone pages"),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_benchmark_runs(name: str, tmp_path):
    args, expect = RUNS[name]
    if name.startswith("speech"):
        require_tool("espeak-ng")
    if name == "speech_intelligibility":
        require_tool("sox")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / f"{name}.py"), *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert expect in done.stdout, done.stdout[-2000:]
