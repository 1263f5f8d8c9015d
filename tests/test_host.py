"""The lobby PC's side (kiosk/host): the units `kiosk install-units` writes, verified by
systemd itself; the long-running processes telling systemd they are ready and alive; their
log in the journal; `kiosk --version`."""

from __future__ import annotations

import logging
import os
import pty
import select
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.host import notify
from kiosk.host.logs import JournalFormatter
from kiosk.host.units import arg
from kiosk.store.schema import SCHEMA_VERSION

from .conftest import REPO, require_tool, write_config
from .serve_support import NOW, free_port

ACCOUNT = "daemon"
"""An ordinary account every Debian system has (systemd warns about `nobody`)."""


def kiosk(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO), "KIOSK_NOW": NOW,
                               **(env or {})},
                          capture_output=True, text=True, timeout=60)


def unit_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


# -- the units ------------------------------------------------------------------------------


@pytest.mark.parametrize("patron", ["browser", "console"])
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path, patron: str):
    analyze = require_tool("systemd-analyze")
    if patron == "browser":
        require_tool("cage")
        require_tool("chromium")
    site = tmp_path / "lobby site"  # a space: the Exec lines quote it
    site.mkdir()
    config = write_config(site)
    units = tmp_path / "units"
    units.mkdir()
    done = kiosk(site, "--config", str(config), "install-units", "--user", ACCOUNT,
                 "--dir", str(units), "--patron", patron, "--json",
                 *(["--rotate", "90"] if patron == "browser" else []))
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in units.iterdir())
    assert written == ["kiosk-announcer.service", "kiosk-backup.service", "kiosk-backup.timer",
                       "kiosk-patron-lobby.service", "kiosk-serve.service"]
    verified = subprocess.run([analyze, "verify", "--man=no", *sorted(units.iterdir())],
                              capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr == "", verified.stderr  # not even a warning

    store_dir = site / "data"
    for name in ("kiosk-serve.service", "kiosk-announcer.service",
                 "kiosk-patron-lobby.service"):
        lines = unit_lines((units / name).read_text())
        assert "Restart=always" in lines and "StartLimitIntervalSec=0" in lines, name
        assert f'RequiresMountsFor="{store_dir}"' in lines, name  # quoted: a space
        assert f"User={ACCOUNT}" in lines, name
    for name in ("kiosk-serve.service", "kiosk-announcer.service"):
        lines = unit_lines((units / name).read_text())
        assert "Type=notify" in lines, name
        assert any(line.startswith("After=network-online.target") for line in lines), name
        assert any(line.startswith("WatchdogSec=") for line in lines), name
    patron_unit = unit_lines((units / "kiosk-patron-lobby.service").read_text())
    if patron == "browser":
        start = next(line for line in patron_unit if line.startswith("ExecStart="))
        assert " -d -r -- " in start  # a portrait touchscreen: turned once
        assert "chromium" in start and "--kiosk" in start
        assert start.endswith("http://127.0.0.1:8000/screen/patron?kiosk=lobby")
        assert "PAMName=login" in patron_unit and "TTYPath=/dev/tty1" in patron_unit
    else:
        assert {"Type=notify", "StandardError=tty", "StandardOutput=journal"} <= set(
            patron_unit)
    timer = unit_lines((units / "kiosk-backup.timer").read_text())
    assert "Persistent=true" in timer and any(line.startswith("OnCalendar=") for line in timer)


def test_the_backup_unit_runs_as_written(tmp_path: Path):
    """The Exec line of kiosk-backup.service, split as systemd splits it, makes a checked
    copy of the site's store: the unit's command is a working command."""
    site = tmp_path / "lobby 100%"
    site.mkdir()
    config = write_config(site)
    assert kiosk(site, "--config", str(config), "issue", "A", "--no-print").returncode == 0
    units = tmp_path / "units"
    units.mkdir()
    done = kiosk(site, "--config", str(config), "install-units", "--user", ACCOUNT,
                 "--dir", str(units), "--patron", "none")
    assert done.returncode == 0, done.stderr
    assert "kiosk-patron-lobby.service" not in {p.name for p in units.iterdir()}
    line = next(line for line in unit_lines((units / "kiosk-backup.service").read_text())
                if line.startswith("ExecStart="))
    words = [w.replace("%%", "%").replace("$$", "$") for w in shlex.split(line[10:])]
    assert words[0] == sys.executable and words[-3:] == ["backup", "--keep", "14"]
    ran = subprocess.run(words, cwd=site, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(REPO), "KIOSK_NOW": NOW})
    assert ran.returncode == 0, ran.stderr
    copies = list((site / "data" / "backups").glob("kiosk-*.db"))
    assert len(copies) == 1 and "backed up 1 tickets" in ran.stdout


def test_an_exec_word_is_escaped_as_systemd_reads_it():
    assert arg("/srv/kiosk/config.toml") == "/srv/kiosk/config.toml"
    assert arg("/srv/my lobby/config.toml") == '"/srv/my lobby/config.toml"'
    assert arg("100%") == "100%%"
    assert arg("$HOME") == "$$HOME"
    assert arg('say "hi"') == '"say \\"hi\\""'


@pytest.mark.parametrize("args, says", [
    (["--user", "root"], "must not run as root"),
    (["--user", "no-such-account-here"], "no such account"),
    (["--user", ACCOUNT, "--kiosk", "hall"], 'unknown kiosk "hall"'),
    (["--user", ACCOUNT, "--dir", "/no/such/folder"], "--dir /no/such/folder: no such folder"),
])
def test_install_units_refuses_what_cannot_work_in_one_line(tmp_path: Path, args, says):
    config = write_config(tmp_path)
    done = kiosk(tmp_path, "--config", str(config), "install-units", "--dir", str(tmp_path),
                 "--patron", "console", *args)
    assert done.returncode == 2
    assert says in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert not list(tmp_path.glob("*.service"))


def test_install_units_needs_the_sites_own_config(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
    done = subprocess.run([sys.executable, "-m", "kiosk", "install-units", "--user", ACCOUNT,
                           "--dir", str(tmp_path)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env={**env, "PYTHONPATH": str(REPO)})
    assert done.returncode == 2 and "needs the site's own config file" in done.stderr


# -- ready, alive, stopping -----------------------------------------------------------------


class NotifySocket:
    """What systemd listens on: a datagram socket whose messages the test reads."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.settimeout(0.2)
        self.seen: list[str] = []

    def env(self, watchdog_s: float = 0.4) -> dict[str, str]:
        return {"NOTIFY_SOCKET": str(self.path), "WATCHDOG_USEC": str(int(watchdog_s * 1e6))}

    def wait_for(self, line: str, timeout: float = 30.0, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while sum(m.split("\n").count(line) for m in self.seen) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {line} ({count}) from the process: {self.seen}")
            try:
                self.seen.append(self.sock.recv(4096).decode())
            except TimeoutError:
                pass

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    sock = NotifySocket(tmp_path)
    yield sock
    sock.close()


def journal_env(stream: int) -> dict[str, str]:
    """$JOURNAL_STREAM as systemd sets it: the device and inode of the process's stream
    (a pipe's two ends share them)."""
    st = os.fstat(stream)
    return {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_kiosk_serve_is_ready_alive_and_logs_each_request_to_the_journal(
        tmp_path: Path, notify_socket: NotifySocket):
    config = write_config(tmp_path)
    staff = kiosk(tmp_path, "--config", str(config), "api-key", "add", "desk", "--scope",
                  "staff")
    assert staff.returncode == 0, staff.stderr
    key = staff.stdout.strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--config", str(config), "serve", "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO), "KIOSK_NOW": NOW,
             **notify_socket.env()})
    assert proc.stderr is not None
    try:
        # the child's stderr is the journal: told after it started, as systemd does before
        notify_socket.wait_for("READY=1")
        notify_socket.wait_for("WATCHDOG=1", timeout=5, count=3)  # every 0.1 s of 0.4 s
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        assert httpx.post(f"{url}/api/v1/counters/1/open", timeout=5,
                          headers={"Authorization": f"Bearer {key}"}).status_code == 200
        assert httpx.post(f"{url}/api/v1/counters/1/call", timeout=5).status_code == 401
        assert httpx.get(f"{url}/t/secret-token-123", timeout=5).status_code == 404
        assert httpx.get(f"{url}/no/secret-token-456", timeout=5).status_code == 404
    finally:
        stop(proc)
    notify_socket.wait_for("STOPPING=1", timeout=5)
    err = proc.stderr.read().decode()
    assert "secret-token" not in err and key not in err
    # not under the journal here (JOURNAL_STREAM unset): the requests went to the file
    log = (tmp_path / "data" / "logs" / "serve.log").read_text()
    assert "kiosk.web.requests: GET /healthz 200" in log
    assert "POST /api/v1/counters/{counter_id}/{verb} 200" in log or \
        "POST /api/v1/counters/{counter}/{verb} 200" in log, log
    assert "/api/v1/counters/1/call" not in log
    assert " 401 " in log and "from 127.0.0.1" in log
    assert "GET /t/{token} 404" in log and "secret-token-123" not in log
    assert "(no such address) 404" in log and "secret-token-456" not in log


def test_under_the_journal_each_record_carries_its_priority(tmp_path: Path,
                                                            notify_socket: NotifySocket):
    """`kiosk announcer` started as systemd starts it: stderr is the journal's stream, so
    its records go there, each line with its syslog priority, and no log file is made."""
    config = write_config(tmp_path, replace={'output = "speaker"': 'output = "none"'})
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--config", str(config), "announcer"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=write_end,
        env={**os.environ, "PYTHONPATH": str(REPO), "KIOSK_NOW": NOW,
             **notify_socket.env(), **journal_env(write_end)})
    os.close(write_end)
    try:
        notify_socket.wait_for("READY=1")
        notify_socket.wait_for("WATCHDOG=1", timeout=5, count=2)
    finally:
        stop(proc)
    notify_socket.wait_for("STOPPING=1", timeout=5)
    with os.fdopen(read_end) as journal:
        lines = journal.read().splitlines()
    assert any(line.startswith("<6>kiosk.announcer: announcer main started") for line in lines), \
        lines
    assert all(line[:3] in {"<2>", "<3>", "<4>", "<6>", "<7>"} for line in lines), lines
    assert not (tmp_path / "data" / "logs").exists()


def test_the_console_kiosk_draws_on_its_tty_and_logs_to_the_journal(
        tmp_path: Path, notify_socket: NotifySocket):
    """The console unit's arrangement: stdin and stderr the text console (here a pty),
    stdout the journal. The kiosk draws on the console, says READY and keeps pinging from
    its tick; nothing of the screen reaches the journal."""
    config = write_config(tmp_path, replace={'output = "speaker"': 'output = "none"'})
    controller, console = pty.openpty()
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--config", str(config), "patron"],
        cwd=tmp_path, stdin=console, stdout=write_end, stderr=console,
        env={**os.environ, "PYTHONPATH": str(REPO), "KIOSK_NOW": NOW, "TERM": "linux",
             **notify_socket.env(), **journal_env(write_end)},
        start_new_session=True)
    os.close(console)
    os.close(write_end)
    drawn = bytearray()
    done = threading.Event()

    def drain() -> None:  # the screen's bytes must be read, or the kiosk blocks writing
        while not done.is_set():
            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                try:
                    drawn.extend(os.read(controller, 65536))
                except OSError:
                    return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        notify_socket.wait_for("READY=1", timeout=60)
        notify_socket.wait_for("WATCHDOG=1", timeout=5, count=2)
    finally:
        stop(proc)
        done.set()
        reader.join(5)
        os.close(controller)
    with os.fdopen(read_end, "rb") as journal:
        logged = journal.read()
    assert b"\x1b[" in drawn  # the screen went to the console
    assert b"\x1b[" not in logged  # and none of it to the journal
    assert all(line[:1] == b"<" for line in logged.splitlines()), logged[:400]
    assert not (tmp_path / "data" / "logs").exists()


def test_a_notifier_speaks_only_to_its_own_systemd(tmp_path: Path):
    assert notify.Notifier({}).send("READY=1") is False  # not under systemd: nothing
    abstract = notify.Notifier({"NOTIFY_SOCKET": "@kiosk-test"})
    assert abstract.address == "\0kiosk-test"
    child = notify.Notifier({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "30000000",
                             "WATCHDOG_PID": str(os.getpid() + 1)})
    assert child.ping_every_s is None  # the watchdog was meant for our parent
    mine = notify.Notifier({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "30000000",
                            "WATCHDOG_PID": str(os.getpid())})
    assert mine.ping_every_s == 7.5
    gone = notify.Notifier({"NOTIFY_SOCKET": str(tmp_path / "none.sock")})
    assert gone.ready() is False  # said once in the log, never raised


def test_the_process_systemd_started_keeps_the_line_to_itself(monkeypatch):
    monkeypatch.setenv("NOTIFY_SOCKET", "/run/systemd/notify")
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    notifier = notify.for_this_process()
    assert notifier.address == "/run/systemd/notify" and notifier.ping_every_s == 7.5
    assert not {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"} & set(os.environ)


def test_every_line_of_a_record_carries_its_priority():
    formatter = JournalFormatter()
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("kiosk.x", logging.ERROR, __file__, 1, "failed", None,
                                   sys.exc_info())
    lines = formatter.format(record).splitlines()
    assert lines[0] == "<3>kiosk.x: failed" and len(lines) > 2
    assert all(line.startswith("<3>") for line in lines)
    warning = logging.LogRecord("kiosk.x", logging.WARNING, __file__, 1, "low", None, None)
    assert formatter.format(warning) == "<4>kiosk.x: low"


# -- the version ----------------------------------------------------------------------------


def test_version_names_the_program_and_the_stores_schema(tmp_path: Path):
    config = write_config(tmp_path)
    done = kiosk(tmp_path, "--config", str(config), "--version")
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        f"kiosk 0.1.0 (store schema {SCHEMA_VERSION})",
        f"store: none yet at {tmp_path / 'data' / 'kiosk.db'}"]
    assert not (tmp_path / "data" / "kiosk.db").exists()  # asking made nothing
    assert kiosk(tmp_path, "--config", str(config), "status").returncode == 0
    done = kiosk(tmp_path, "--config", str(config), "--version")
    assert done.stdout.splitlines()[1].endswith(f"schema {SCHEMA_VERSION}")
    with sqlite3.connect(tmp_path / "data" / "kiosk.db") as conn:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    done = kiosk(tmp_path, "--config", str(config), "--version")
    assert "newer than this program" in done.stdout
