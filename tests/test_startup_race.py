"""Processes that start together must not race on shared files (issue 18): python-escpos'
capabilities pickle in the user's cache folder is made once, whole, under a lock."""

from __future__ import annotations

import os
import pickle
import platform
import subprocess
import sys
from pathlib import Path

PROBE = ("from kiosk.config import escpos_capabilities as caps; "
         "caps().get_profile_class('TM-T20II')")


def test_eight_processes_at_once_on_an_empty_cache_never_fail(tmp_path: Path):
    failures = []
    for round_ in range(20):
        cache = tmp_path / f"round-{round_}"
        env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
        procs = [subprocess.Popen([sys.executable, "-c", PROBE], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(8)]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            if proc.returncode != 0:
                failures.append(err.decode(errors="replace").strip().splitlines()[-1:])
        pickles = list((cache / "kiosk" / "escpos").glob("*.pickle"))
        assert len(pickles) == 1, pickles
        assert not list((cache / "kiosk" / "escpos").glob(".tmp-*"))  # nothing left half-made
    assert not failures, failures


def test_a_torn_pickle_is_made_again(tmp_path: Path):
    folder = tmp_path / "kiosk" / "escpos"
    folder.mkdir(parents=True)
    torn = folder / f"{platform.python_version()}.capabilities.pickle"
    torn.write_bytes(pickle.dumps({"profiles": {}}, protocol=2)[:-5])  # cut short
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert pickle.loads(torn.read_bytes())["profiles"]["TM-T20II"]
