"""Hardening (issue 18): accounts that hold under parallel tries, files only their owner can
read."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.exceptions import PinError
from kiosk.store import PIN_MAX_FAILURES, Store

from .conftest import local, write_config


def test_thirty_simultaneous_tries_check_no_more_pins_than_the_tries_left(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from kiosk.store import accounts

    settings = cfg.load(write_config(tmp_path))
    clock = ManualClock(local(9, 0))
    with Store(settings, clock=clock) as store:
        store.staff_add("Sari", "admin", "482193")
    checks: list[str] = []
    real = accounts.check_pin

    def counted(pin: str, stored: str) -> bool:
        checks.append(pin)
        time.sleep(0.05)  # the hash is slow: every try is in flight at once
        return real(pin, stored)

    monkeypatch.setattr(accounts, "check_pin", counted)
    start = threading.Barrier(30)
    results: list[str] = []

    def attempt(pin: str) -> None:
        with Store(settings, clock=clock) as mine:
            start.wait()
            try:
                results.append(mine.verify_pin("Sari", pin).name)
            except PinError as exc:
                results.append(str(exc))

    pins = [f"{n:06d}" for n in range(29)] + ["482193"]
    threads = [threading.Thread(target=attempt, args=(pin,)) for pin in pins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 30
    assert len(checks) <= PIN_MAX_FAILURES  # never more checks than tries allowed
    refused = [r for r in results if r.startswith("too many wrong PINs")]
    assert len(refused) >= 30 - PIN_MAX_FAILURES
    if "482193" not in checks:  # the right PIN came too late: it was not even checked
        assert "Sari" not in results


def test_every_file_the_programs_make_is_the_owners_only(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)  # already there, too open
    data.chmod(0o755)
    config = write_config(tmp_path)  # the shipped one: slips as files in data/slips
    env = {**os.environ, "KIOSK_CONFIG": str(config),
           "KIOSK_NOW": "2026-11-27T09:00:00+07:00"}

    def kiosk(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "kiosk", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr

    kiosk("issue", "A")
    kiosk("call", "--counter", "1")
    kiosk("export", "events", "--format", "csv", "--from", "2026-11-27", "--to",
          "2026-11-27", "--output", str(data / "events.csv"))
    # The WAL exists while a program has the store open (the last one out removes it);
    # this process has the usual umask 022, and the WAL still follows the store's 0600.
    with Store(cfg.load(config), clock=ManualClock(local(9, 0))) as store:
        store.issue("B")
        made = [p for p in data.rglob("*")]
        assert any(p.name.endswith("-wal") for p in made)
        assert any(p.name == "kiosk.db" for p in made)
        assert any(p.parent.name == "slips" for p in made if p.is_file())
        assert any(p.name == "events.csv" for p in made)
        loose = [f"{p.relative_to(tmp_path)} {stat.filemode(p.stat().st_mode)}"
                 for p in [data, *made] if p.stat().st_mode & 0o077]
    assert not loose, loose


@pytest.mark.parametrize("args, words", [
    (("call", "--counter", "١"), '"١" is not a whole number'),
    (("call", "--counter", "²"), '"²" is not a whole number'),
    (("transfer", "A²", "C"), 'no ticket "A²" today'),
    (("transfer", "A" + "9" * 400, "C"), "no ticket"),
    (("demo-data", "--days", "99999999999"), "is not a whole number"),
])
def test_bad_input_is_a_usage_sentence_never_unexpected(tmp_path: Path, args, words):
    env = {**os.environ, "KIOSK_CONFIG": str(write_config(tmp_path)),
           "KIOSK_NOW": "2026-11-27T09:00:00+07:00"}
    done = subprocess.run([sys.executable, "-m", "kiosk", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and "unexpected" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_port_in_use_is_one_line_before_any_banner(tmp_path: Path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "KIOSK_CONFIG": str(write_config(tmp_path))}
        for args, words in [
            (("--port", str(port)), f"cannot listen on 127.0.0.1:{port}: the port is already"
                                    " in use"),
            (("--host", "10.255.255.254", "--port", str(port)), "has no such address"),
            (("--port", "70000"), "a port is a number from 1 to 65535"),
        ]:
            done = subprocess.run([sys.executable, "-m", "kiosk", "web", "board", *args],
                                  env=env, cwd=tmp_path, capture_output=True, text=True,
                                  timeout=60, check=False)
            assert done.returncode == 2, done.stderr
            assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
            assert words in done.stderr, done.stderr


def test_a_pin_is_ascii_digits_only(tmp_path: Path):
    with Store(cfg.load(write_config(tmp_path)), clock=ManualClock(local(9, 0))) as store:
        with pytest.raises(Exception, match="a PIN is 4 to 12 digits"):
            store.staff_add("Sari", "staff", "١٢٣٤")


def test_accounts_are_not_replaced_by_a_typo_and_can_be_listed_disabled_removed(
        tmp_path: Path):
    env = {**os.environ, "KIOSK_CONFIG": str(write_config(tmp_path)),
           "KIOSK_NOW": "2026-11-27T09:00:00+07:00"}

    def kiosk(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kiosk", *args], env=env, cwd=tmp_path,
                              input=stdin, capture_output=True, text=True, timeout=60,
                              check=False)

    assert kiosk("staff-add", "Budi", "--role", "staff", stdin="2468\n").returncode == 0
    again = kiosk("staff-add", "Budi", "--role", "admin", stdin="111111\n")
    assert again.returncode == 1
    assert again.stderr == ('kiosk: "Budi" already has an account (staff); add --reset-pin'
                            " to give it a new PIN (and this role)\n")
    assert kiosk("staff", "list").stdout.strip() == "Budi  staff"
    assert kiosk("staff", "disable", "Budi").returncode == 0
    with Store(cfg.load(env["KIOSK_CONFIG"]), clock=ManualClock(local(9, 0))) as store:
        with pytest.raises(PinError, match="disabled"):
            store.verify_pin("Budi", "2468")
        assert store.match_pin("2468") is None
    assert kiosk("staff", "list").stdout.strip() == "Budi  staff  disabled"
    assert kiosk("staff-add", "Budi", "--role", "staff", "--reset-pin",
                 stdin="1357\n").returncode == 0
    assert kiosk("staff", "remove", "Budi").returncode == 0
    assert kiosk("staff", "list").stdout.strip() == "no accounts"
    gone = kiosk("staff", "remove", "Budi")
    assert gone.returncode == 2 and 'no account "Budi"' in gone.stderr


def test_an_admin_pin_has_at_least_six_digits(tmp_path: Path):
    with Store(cfg.load(write_config(tmp_path)), clock=ManualClock(local(9, 0))) as store:
        with pytest.raises(Exception, match="an admin's PIN is 6 to 12 digits"):
            store.staff_add("Ayu", "admin", "13579")
        store.staff_add("Ayu", "admin", "135790")
        store.staff_add("Budi", "staff", "2468")  # a counter's PIN may stay at 4


def test_a_fault_in_the_program_is_one_plain_line_naming_the_command(tmp_path: Path, monkeypatch,
                                                                     capsys):
    """The CLI's last line of defence names what stopped and how to see more, never an
    exception's class as if the reader should know it."""
    import kiosk.cli

    config = write_config(tmp_path)
    parser = kiosk.cli.build_parser()

    def broken(_args: object) -> int:
        raise RuntimeError("the sky fell")

    real = parser.parse_args

    def parse(argv: object = None) -> object:
        args = real(argv)
        args.handler = broken
        return args

    monkeypatch.setattr(kiosk.cli, "build_parser", lambda: parser)
    monkeypatch.setattr(parser, "parse_args", parse)
    assert kiosk.cli.main(["--config", str(config), "status"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == ("kiosk: status stopped on a fault in the program (the sky fell); run it"
                   " again with --debug to see where, and report it"), err
    assert "unexpected" not in err and "RuntimeError" not in err
