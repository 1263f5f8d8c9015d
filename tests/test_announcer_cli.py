"""`kiosk announcer` as its own process: --once, a failing player, a crash mid-playback,
and a clean stop by SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.test_speech_support import (
    StubPlayer,
    assert_speech_wav,
    install_stub,
    speech_config,
)

NOW = "2026-11-27T09:00:00+07:00"


@pytest.fixture
def player(tmp_path: Path) -> StubPlayer:
    require_tool("espeak-ng")
    return install_stub(tmp_path)


def kiosk_env(player: StubPlayer, mode: str = "ok") -> dict[str, str]:
    # TMPDIR: what a killed announcer leaves behind stays in the test's folder
    tmp = player.dir.parent / "tmp"
    tmp.mkdir(exist_ok=True)
    return {**os.environ, "KIOSK_NOW": NOW, "TMPDIR": str(tmp), **player.env(mode)}


def kiosk(config: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config), *args],
                          env=env, capture_output=True, text=True, timeout=120)


def rows(config: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(config.parent / "data" / "kiosk.db") as db:
        return db.execute(sql).fetchall()


def announced(config: Path) -> list[tuple]:
    return rows(config, "SELECT ticket_id, json_extract(detail, '$.event') FROM events"
                        " WHERE kind = 'announced' ORDER BY id")


def issue_and_call(config: Path, env: dict[str, str], counter: int = 1) -> None:
    assert kiosk(config, "issue", "A", "--no-print", env=env).returncode == 0
    done = kiosk(config, "call", "--counter", str(counter), "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["label"]


def test_once_announces_what_is_pending_then_exits(tmp_path: Path, player: StubPlayer):
    config = speech_config(tmp_path, output="wav")
    env = kiosk_env(player)
    issue_and_call(config, env, 1)
    issue_and_call(config, env, 2)
    done = kiosk(config, "announcer", "--once", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"announced": 2, "name": "main", "output": "wav"}
    wavs = sorted((tmp_path / "data" / "announcements").glob("*.wav"))
    assert len(wavs) == 2
    for wav in wavs:
        assert_speech_wav(wav)
    again = kiosk(config, "announcer", "--once", env=env)
    assert again.returncode == 0 and again.stdout.strip() == "announced 0 call(s)"
    assert len(announced(config)) == 2
    status = kiosk(config, "status", "--json", env=env)
    (device,) = [d for d in json.loads(status.stdout)["devices"] if d["kind"] == "announcer"]
    assert (device["name"], device["state"]) == ("announcer:main", "off")


def test_a_failing_player_fails_the_command_with_one_line(tmp_path: Path, player: StubPlayer):
    config = speech_config(tmp_path, output="speaker")
    issue_and_call(config, kiosk_env(player))
    done = kiosk(config, "announcer", "--once", env=kiosk_env(player, "fail"))
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("kiosk: player 'aplay' failed with exit code 1: aplay:"), done.stderr
    assert rows(config, "SELECT state FROM devices WHERE kind = 'announcer'") == [("error",)]
    assert rows(config, "SELECT COUNT(*) FROM events WHERE kind = 'announce_failed'") == [(1,)]
    assert announced(config) == []


def test_a_crash_mid_playback_repeats_that_call_at_most_once(
        tmp_path: Path, player: StubPlayer):
    config = speech_config(tmp_path, output="speaker")
    issue_and_call(config, kiosk_env(player))
    crashed = kiosk(config, "announcer", env=kiosk_env(player, "kill-parent"))
    assert crashed.returncode == -signal.SIGKILL
    assert len(player.starts()) == 1 and player.ends() == []
    assert announced(config) == []
    done = kiosk(config, "announcer", "--once", env=kiosk_env(player))
    assert done.stdout.strip() == "announced 1 call(s)", done.stderr
    done = kiosk(config, "announcer", "--once", env=kiosk_env(player))
    assert done.stdout.strip() == "announced 0 call(s)"
    assert len(player.starts()) == 2 and player.ends() == ["end 1"]
    assert len(announced(config)) == 1


def test_sigterm_stops_cleanly_and_a_restart_never_repeats(tmp_path: Path, player: StubPlayer):
    config = speech_config(tmp_path, output="wav")
    env = kiosk_env(player)
    assert kiosk(config, "day", "open", env=env).returncode == 0  # the store exists
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config),
                             "announcer"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        issue_and_call(config, env)
        deadline = time.monotonic() + 20
        while not announced(config) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(announced(config)) == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _, err = proc.communicate()
    assert "announced A001 at counter 1" in err
    assert rows(config, "SELECT state, detail FROM devices WHERE kind = 'announcer'") == [
        ("off", "stopped")]
    done = kiosk(config, "announcer", "--once", env=env)
    assert done.stdout.strip() == "announced 0 call(s)"
    issue_and_call(config, env, 2)
    done = kiosk(config, "announcer", "--once", env=env)
    assert done.stdout.strip() == "announced 1 call(s)"
    assert len({event for _, event in announced(config)}) == 2


@pytest.mark.parametrize("missing", ["library", "data"])
def test_espeak_ng_missing_is_one_plain_line_and_the_heartbeat_says_error(
        tmp_path: Path, player: StubPlayer, missing: str):
    """Issue 18: a machine without espeak-ng (or without its voice data) must not pass for
    one that speaks. The test hides them in a mount namespace of its own (root, unshare)."""
    unshare = require_tool("unshare")
    config = speech_config(tmp_path, output="wav")
    env = kiosk_env(player)
    issue_and_call(config, env)
    library = Path("/usr/lib/x86_64-linux-gnu/libespeak-ng.so.1")
    data = Path("/usr/lib/x86_64-linux-gnu/espeak-ng-data")
    hidden = library if missing == "library" else data
    if not hidden.exists():
        pytest.fail(f"{hidden} is not where Debian's espeak-ng puts it")
    empty = tmp_path / ("empty.so" if missing == "library" else "empty")
    if missing == "library":
        empty.touch()
    else:
        empty.mkdir()
    script = (f"mount --bind {empty} {hidden} && exec {sys.executable} -m kiosk --config"
              f" {config} announcer --once")
    done = subprocess.run([unshare, "-m", "sh", "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)
    if "mount" in done.stderr and "permission denied" in done.stderr.lower():
        pytest.fail(f"cannot hide espeak-ng here: {done.stderr.strip()}")
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr and "unexpected" not in done.stderr
    words = ("espeak-ng is not installed" if missing == "library"
             else "espeak-ng's voice data is missing")
    assert last.startswith(f"kiosk: speech engine unavailable: {words}"), done.stderr
    assert "apt install" in last
    (state, detail), = rows(config, "SELECT state, detail FROM devices WHERE kind = 'announcer'")
    assert state == "error" and words in detail
    assert announced(config) == []
