"""The command line as a user runs it: real processes, one store file, exit codes, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import write_config

NOW = "2026-11-27T09:00:00+07:00"


@pytest.fixture
def kiosk(tmp_path: Path):
    config = write_config(tmp_path)

    def run(*args: str, stdin: str | None = None, now: str = NOW,
            ok: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KIOSK_NOW": now, "KIOSK_CONFIG": str(config)}
        done = subprocess.run(
            [sys.executable, "-m", "kiosk", *args], env=env, input=stdin,
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    return run


def as_json(done: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(done.stdout)


def test_a_day_at_the_counter(kiosk):
    kiosk("counter", "open", "--counter", "1")
    first = as_json(kiosk("issue", "A", "--json", "--no-print"))
    assert first["label"] == "A001" and first["state"] == "waiting"
    assert first["people_ahead"] == 0 and first["estimated_wait_min"] == 0
    assert first["printed"] is None
    assert first["issued_at"] == "2026-11-27T02:00:00.000Z"
    second = as_json(kiosk("issue", "a", "--need", "lansia", "--lang", "en", "--json",
                           "--no-print"))
    assert second["label"] == "A002" and second["need"] == "lansia"
    called = as_json(kiosk("call", "--counter", "1", "--json"))
    assert (called["label"], called["state"], called["counter"]) == ("A002", "called", 1)
    assert as_json(kiosk("recall", "--counter", "1", "--json"))["label"] == "A002"
    assert as_json(kiosk("start", "--counter", "1", "--json"))["state"] == "serving"
    assert as_json(kiosk("finish", "--counter", "1", "--json"))["state"] == "done"
    assert as_json(kiosk("call", "--counter", "2", "--json"))["label"] == "A001"
    # A no-show only after [queue] no_show_after_s (60 s): the patron may be on the way.
    early = kiosk("no-show", "--counter", "2", ok=False)
    assert early.returncode == 1
    assert "A001 was called only just now; a no-show can be marked in 60 s" in early.stderr
    later = "2026-11-27T09:01:01+07:00"
    assert as_json(kiosk("no-show", "--counter", "2", "--json", now=later))["state"] == "no_show"
    empty = kiosk("call", "--counter", "1", "--json", now=later)
    assert as_json(empty)["label"] is None
    assert "nothing waiting" in kiosk("call", "--counter", "1", now=later).stdout


def test_expect_requeue_and_a_pause_with_a_return_time(kiosk):
    """Issue 17 from the command line: `--expect` refuses a verb on a ticket the counter no
    longer has, `requeue` puts today's no-show back, a pause may say when it ends (and the
    wait then counts from it, `opens_at`)."""
    for _ in range(3):
        kiosk("issue", "A", "--no-print")
    assert as_json(kiosk("call", "--counter", "1", "--expect", "none", "--json"))[
        "label"] == "A001"
    moved = kiosk("finish", "--counter", "1", "--expect", "A009", ok=False)
    assert moved.returncode == 1
    assert moved.stderr == "kiosk: counter 1 now has A001, not A009; nothing was done\n"
    later = "2026-11-27T09:01:01+07:00"
    gone = as_json(kiosk("no-show", "--counter", "1", "--expect", "a1", "--json", now=later))
    assert gone["state"] == "no_show"
    back = as_json(kiosk("requeue", "A001", "--position", "front", "--json", now=later))
    assert (back["label"], back["state"], back["counter"]) == ("A001", "waiting", None)
    refused = kiosk("requeue", "A002", now=later, ok=False)
    assert refused.stderr == ("kiosk: A002 is waiting; only a no-show or a cancelled ticket"
                              " of today can go back in the queue\n")
    assert as_json(kiosk("call", "--counter", "1", "--json", now=later))["label"] == "A001"
    kiosk("finish", "--counter", "1", now=later)
    paused = as_json(kiosk("counter", "pause", "--counter", "1", "--minutes", "30", "--json",
                           now=later))
    assert paused["state"] == "paused"
    issued = as_json(kiosk("issue", "A", "--no-print", "--json", now=later))
    assert issued["opens_at"] == "2026-11-27T02:31:01.000Z"  # 09:31 Jakarta
    # Two ahead from 09:31, at A's median (30 s: A001 was finished at once): about 30 min.
    assert issued["estimated_wait_min"] == 30
    text = kiosk("issue", "B", "--no-print", now=later).stdout
    assert "wait opens 09:31" in text
    bad = kiosk("counter", "resume", "--counter", "1", "--minutes", "5", ok=False, now=later)
    assert bad.returncode == 2 and "--minutes is only for a pause" in bad.stderr


def test_transfer_reclassify_cancel(kiosk):
    kiosk("issue", "A", "--no-print")
    kiosk("issue", "A", "--need", "hamil", "--no-print")
    moved = as_json(kiosk("transfer", "A001", "C", "--json"))
    assert (moved["label"], moved["service"]) == ("A001", "C")
    assert as_json(kiosk("reclassify", "A002", "--need", "none", "--json"))["need"] is None
    kiosk("cancel", "A002")
    status = as_json(kiosk("status", "--json"))
    waiting = {s["service"]: s["waiting"] for s in status["services"]}
    assert waiting == {"A": 0, "B": 0, "C": 1, "D": 0, "E": 0}


def test_counter_and_day_verbs(kiosk):
    assert as_json(kiosk("counter", "open", "--counter", "3", "--json"))["state"] == "open"
    assert "paused" in kiosk("counter", "pause", "--counter", "3").stdout
    refused = kiosk("call", "--counter", "3", ok=False)
    assert refused.returncode == 1 and "paused" in refused.stderr
    kiosk("counter", "resume", "--counter", "3")
    kiosk("counter", "close", "--counter", "3")
    kiosk("issue", "D", "--no-print")
    closed = as_json(kiosk("day", "close", "--json"))
    assert closed["expired"] == 1
    assert "2026-11-27" in kiosk("status").stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("call", "--counter", "9"), 2, "kiosk: unknown counter 9 (configured: 1, 2, 3, 4)"),
        (("issue", "Q"), 2, 'kiosk: unknown service "Q" (configured: A, B, C, D, E)'),
        (("issue", "A", "--need", "vip"), 2, 'kiosk: unknown need "vip"'),
        (("transfer", "A001", "C"), 2, 'kiosk: no ticket "A001" today (2026-11-27)'),
        (("finish", "--counter", "1"), 1, "kiosk: counter 1 has no ticket called"),
        (("recall", "--counter", "1"), 1, "kiosk: counter 1 has no ticket called"),
    ],
)
def test_errors_are_one_line(kiosk, args, code, message):
    done = kiosk(*args, ok=False)
    assert done.returncode == code
    assert done.stderr.startswith(message)
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_transfer_to_an_unknown_service(kiosk):
    kiosk("issue", "A", "--no-print")
    done = kiosk("transfer", "A001", "Z", ok=False)
    assert done.returncode == 2 and 'unknown service "Z"' in done.stderr


def test_outside_hours_and_clock_jump(kiosk):
    done = kiosk("issue", "A", now="2026-11-27T20:00:00+07:00", ok=False)
    assert done.returncode == 1 and "closed" in done.stderr
    kiosk("issue", "A", "--no-print")
    done = kiosk("issue", "A", now="2026-11-27T08:30:00+07:00", ok=False)
    assert done.returncode == 1 and "clock" in done.stderr
    assert "CLOCK" in kiosk("status", now="2026-11-27T08:30:00+07:00").stdout


def test_staff_add_reads_the_pin_from_stdin(kiosk, tmp_path: Path):
    assert "saved" in kiosk("staff-add", "Sari", "--role", "admin", stdin="482193\n").stdout
    bad = kiosk("staff-add", "Budi", "--role", "staff", stdin="12\n", ok=False)
    assert bad.returncode == 2 and "4 to 12 digits" in bad.stderr


def test_db_override(kiosk, tmp_path: Path):
    other = tmp_path / "elsewhere.db"
    typo = kiosk("--db", str(other), "issue", "B", "--no-print", ok=False)
    assert typo.returncode == 2 and not other.exists()  # a typo makes no empty store
    assert typo.stderr == (f"kiosk: no store at {other}: check the path, or add --create to"
                           " make a new one there\n")
    kiosk("--db", str(other), "--create", "issue", "B", "--no-print")
    assert other.exists()
    assert as_json(kiosk("status", "--json", "--db", str(other)))["services"][1]["waiting"] == 1
    assert as_json(kiosk("status", "--json"))["services"][1]["waiting"] == 0


def test_screens_log_to_a_file_not_over_the_screen(tmp_path: Path, capsys):
    import logging

    from kiosk import config as cfg
    from kiosk.host import logs

    settings = cfg.load(write_config(tmp_path))
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        logging.basicConfig()  # what python-escpos does on import: a stderr handler
        path = Path(logs.setup(settings, "patron-lobby"))
        logging.getLogger("kiosk.speech.player").warning("player 'aplay' cannot start")
        for handler in root.handlers:
            handler.flush()
        assert path == settings.store.path.parent / "logs" / "patron-lobby.log"
        assert "player 'aplay' cannot start" in path.read_text("utf-8")
        assert capsys.readouterr().err == ""
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
