"""`kiosk doctor` (issue 22, point 3) on a real site: a config, a store with tickets, a
`kiosk backup` copy, an announcer's heartbeat, a loopback ESC/POS printer, a real
`kiosk serve`, espeak-ng. Healthy, it says "all well" on one screen and exits 0; each
fault is one FAIL line with its fix and exit 1, while every other check still passes."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from kiosk import cli, doctor
from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.store import SCHEMA_VERSION, Store
from kiosk.views import ANNOUNCER_KIND, announcer_device
from printers.fake import FakePrinter, closed_port

from .conftest import REPO, local, require_tool, write_config
from .serve_support import Served
from .test_print_support import SHIPPED_PRINTER, network, toml_value

NOW = local(9, 0)
"""The doctor's clock (KIOSK_NOW): 2026-11-27 09:00 in Jakarta."""
ISSUED = NOW - timedelta(minutes=20)
"""When the tickets were issued and called: the store's newest event."""
BEATEN = NOW - timedelta(seconds=5)
"""The announcer's last heartbeat."""
BACKED_UP = NOW - timedelta(hours=2)
HEALTHY = ["config", "store", "disk", "store WAL", "time zone", "clock", "printer lobby",
           "espeak-ng", "voice id", "voice en", "player lobby", "kiosk serve",
           "announcer main", "backups"]


@dataclass
class Line:
    mark: str
    detail: str
    fix: str = ""


def parse(out: str) -> tuple[dict[str, Line], str]:
    """The checks of a text run by name, and its verdict (the last line)."""
    *lines, verdict = out.rstrip("\n").splitlines()
    checks: dict[str, Line] = {}
    last = ""
    for line in lines:
        if line.startswith(" " * 6 + "→ fix: "):
            checks[last].fix = line.removeprefix(" " * 6 + "→ fix: ")
            continue
        last = line[6:20].strip()
        checks[last] = Line(line[:6].strip(), line[21:])
    return checks, verdict


@pytest.fixture(autouse=True)
def site_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The PC in the site's time zone, as a lobby PC is, and the doctor's clock at NOW."""
    monkeypatch.setenv("TZ", "Asia/Jakarta")
    monkeypatch.setenv("KIOSK_NOW", NOW.isoformat())
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A real `kiosk serve` on a loopback port (its own site: the doctor only asks it)."""
    site = Served(tmp_path_factory.mktemp("served"))
    site.start()
    yield site
    site.stop()


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    with FakePrinter() as fake:
        yield fake


@pytest.fixture(autouse=True)
def tools() -> None:
    require_tool("espeak-ng")
    require_tool("play")  # sox: the sites' player here (aplay may not be installed)


def site(tmp_path: Path, *, serve_port: int, printer_table: dict[str, Any],
         replace: dict[str, str] | None = None,
         heartbeat: tuple[datetime, str, str | None] | None = (BEATEN, "ok", None),
         backup: datetime | None = BACKED_UP) -> Path:
    """A lobby: its config, a store with tickets called at ISSUED, the announcer's last
    heartbeat (when, state, detail), and a `kiosk backup` copy made at `backup`."""
    table = "[printers.main]\n" + "".join(f"{k} = {toml_value(v)}\n"
                                          for k, v in printer_table.items())
    config = write_config(tmp_path, replace={
        SHIPPED_PRINTER: table, 'player = ["aplay", "-q"]': 'player = ["play", "-q"]',
        "port = 8000": f"port = {serve_port}", **(replace or {})})
    settings = cfg.load(config)
    clock = ManualClock(ISSUED)
    with Store(settings, clock=clock) as store:
        store.counter(1, "open")
        for service in ("A", "B", "A"):
            store.issue(service)
        store.call_next(1)
        if heartbeat is not None:
            clock.set(heartbeat[0])
            store.set_device(announcer_device("main"), ANNOUNCER_KIND, *heartbeat[1:])
    if backup is not None:
        assert cli.main(["--config", str(config), "backup"]) == 0
        [copy] = (settings.store.path.parent / "backups").iterdir()
        os.utime(copy, (backup.timestamp(), backup.timestamp()))
    return config


@pytest.fixture
def lobby(tmp_path: Path, served: Served, printer: FakePrinter) -> Path:
    return site(tmp_path, serve_port=served.port, printer_table=network(printer.port))


def run(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(["--config", str(config), "doctor", *args])
    captured = capsys.readouterr()
    assert captured.err == ""  # never a traceback, never a stray line
    return code, captured.out


def only_fault(code: int, out: str, name: str, detail: str, fix: str) -> Line:
    """Exit 1, one FAIL line naming the fault with its fix, every other check ok."""
    checks, verdict = parse(out)
    assert code == 1 and verdict == "1 problem", out
    found = checks.pop(name)
    assert found.mark == "FAIL" and detail in found.detail and fix in found.fix, out
    assert {n: c.mark for n, c in checks.items()} == {n: "ok" for n in checks}, out
    return found


# -- a healthy lobby --------------------------------------------------------------------------


def test_a_healthy_lobby_is_all_well_on_one_screen(lobby, served, printer, capsys):
    code, out = run(lobby, capsys)
    checks, verdict = parse(out)
    assert code == 0 and verdict == "all well", out
    assert list(checks) == HEALTHY
    assert all(c.mark == "ok" and not c.fix for c in checks.values()), out
    lines = out.splitlines()
    assert len(lines) <= 24 and max(map(len, lines)) <= 80, out  # one 80x24 screen
    assert checks["config"].detail == "config.toml: 5 services, 4 counters, 1 kiosk"
    assert checks["store"].detail.startswith(f"integrity ok, schema {SCHEMA_VERSION}, 3 tickets")
    assert checks["store WAL"].detail.endswith("(limit 64.0 MB)")
    assert checks["time zone"].detail == "Asia/Jakarta (UTC+07:00), the same as the PC's"
    assert checks["clock"].detail == "now 2026-11-27 09:00; newest event 20 min before"
    assert checks["printer lobby"].detail == (
        f"main (network 127.0.0.1:{printer.port}): online, paper ok")
    assert printer.received == b"\x10\x04\x01\x10\x04\x04"  # asked its state, printed nothing
    assert checks["voice id"].detail.startswith("id speaks (")
    assert checks["voice en"].detail.startswith("en-us speaks (")
    assert checks["player lobby"].detail == f"play -q (found at {shutil.which('play')})"
    assert checks["kiosk serve"].detail == f"answers at {served.url}"
    assert checks["announcer main"].detail == "speaking; last heartbeat 5 s ago"
    assert checks["backups"].detail == "newest 2 h 0 min old: kiosk-20261127-090000.db (1 copy)"


def test_json_from_a_real_process_and_the_store_left_as_it_was(lobby, capsys):
    store = cfg.load(lobby).store.path
    before = store.read_bytes()
    env = {**os.environ, "KIOSK_CONFIG": str(lobby), "PYTHONPATH": str(REPO)}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "kiosk", "doctor", "--json"], env=env,
                          capture_output=True, text=True, timeout=60, cwd=lobby.parent)
    assert time.monotonic() - started < 10  # a few seconds, with a Python start-up
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(done.stdout)
    assert answer["ok"] is True
    assert [c["name"] for c in answer["checks"]] == HEALTHY
    assert all(set(c) == {"name", "ok", "level", "detail", "fix"} for c in answer["checks"])
    assert {(c["ok"], c["level"], c["fix"]) for c in answer["checks"]} == {(True, "ok", "")}
    assert store.read_bytes() == before  # read only: not migrated, not checkpointed


# -- each fault: one FAIL line with its fix ------------------------------------------------------


def test_a_printer_that_refuses(tmp_path, served, capsys):
    port = closed_port()
    config = site(tmp_path, serve_port=served.port, printer_table=network(port))
    only_fault(*run(config, capsys), "printer lobby",
               f"printer main: cannot open network 127.0.0.1:{port}: connection refused",
               f"has the address 127.0.0.1 (port {port}); then kiosk printer-test --kiosk lobby")


def test_a_printer_that_never_answers_costs_its_timeout_once(tmp_path, served, capsys):
    with FakePrinter(behaviour="silent") as silent:
        config = site(tmp_path, serve_port=served.port,
                      printer_table=network(silent.port, timeout_s=1.5))
        started = time.monotonic()
        code, out = run(config, capsys)
        took = time.monotonic() - started
    only_fault(code, out, "printer lobby", f"main (network 127.0.0.1:{silent.port}):"
               " checking status: no answer to the status query within 1.5 s",
               "kiosk printer-test --kiosk lobby")
    assert 1.5 <= took < 1.5 + 1.5, took  # the other checks ran meanwhile


def test_a_printer_out_of_paper(tmp_path, served, capsys):
    with FakePrinter(paper="out") as empty:
        config = site(tmp_path, serve_port=served.port, printer_table=network(empty.port))
        only_fault(*run(config, capsys), "printer lobby",
                   f"main (network 127.0.0.1:{empty.port}): paper out",
                   "put in a new 80 mm paper roll")


def test_espeak_ng_missing(lobby, capsys, monkeypatch, tmp_path):
    bin_dir = tmp_path / "bin"  # the player is there, espeak-ng is not
    bin_dir.mkdir()
    (bin_dir / "play").symlink_to(shutil.which("play"))
    monkeypatch.setenv("PATH", str(bin_dir))
    code, out = run(lobby, capsys)
    only_fault(code, out, "espeak-ng", "espeak-ng is not installed (not found on PATH)",
               "apt install espeak-ng")
    assert "voice id" not in out  # one fault, one line: no voice is tried without it


def test_a_voice_espeak_ng_does_not_have(tmp_path, served, printer, capsys):
    config = site(tmp_path, serve_port=served.port, printer_table=network(printer.port),
                  replace={'voices = { id = "id", en = "en-us" }':
                           'voices = { id = "id", en = "xx-nowhere" }'})
    only_fault(*run(config, capsys), "voice en",
               "espeak-ng cannot speak in voice xx-nowhere: the specified espeak-ng voice"
               " does not exist", "set speech.voices.en in")


def test_a_clock_behind_the_newest_event(lobby, capsys, monkeypatch):
    monkeypatch.setenv("KIOSK_NOW", (ISSUED - timedelta(minutes=10)).isoformat())
    only_fault(*run(lobby, capsys), "clock",
               "the clock is behind: it says 2026-11-27 08:30, but the store has an event"
               " from 2026-11-27 08:40, 10 min later", "timedatectl set-ntp true")


class Usage(NamedTuple):
    total: int
    used: int
    free: int


@pytest.mark.parametrize(("free_gb", "total_gb", "found"), [
    (0.5, 64, "512.0 MB free of 64.0 GB (1%)"),    # under 1 GB
    (90, 2000, "90.0 GB free of 2000.0 GB (4%)"),  # 4.5 %: under 5 %
    (1.5, 16, "1.5 GB free of 16.0 GB (9%)"),
    (120, 2000, "120.0 GB free of 2000.0 GB (6%)"),
], ids=["under 1 GB", "under 5 %", "9 % of a small disk", "6 % of a big disk"])
def test_free_disk(lobby, capsys, monkeypatch, free_gb, total_gb, found):
    seen: list[Path] = []

    def disk_usage(path: str | Path) -> Usage:
        seen.append(Path(path))
        total, free = int(total_gb * 2**30), int(free_gb * 2**30)
        return Usage(total, total - free, free)

    monkeypatch.setattr(shutil, "disk_usage", disk_usage)
    code, out = run(lobby, capsys)
    store = cfg.load(lobby).store.path
    assert seen == [store.parent]  # asked once, about the store's own disk
    if free_gb >= 1 and free_gb / total_gb >= 0.05:
        assert code == 0 and parse(out)[0]["disk"] == Line("ok", found), out
    else:
        only_fault(code, out, "disk", f"only {found} on the disk of {store.parent}",
                   "free some space there: old exports, logs, slips")


RESTART = "systemctl restart kiosk-announcer (or run kiosk announcer)"


@pytest.mark.parametrize(("heartbeat", "detail", "fix"), [
    ((NOW - timedelta(minutes=10), "ok", None),
     "no announcer has reported since 2026-11-27 08:50 (10 min ago)", RESTART),
    (None, "no announcer has ever reported", RESTART),
    ((NOW - timedelta(minutes=3), "off", "stopped"),
     "announcer main was stopped at 2026-11-27 08:57", RESTART),
    ((BEATEN, "error", "speech engine unavailable: espeak-ng is not installed"),
     "announcer main reports a fault: speech engine unavailable: espeak-ng is not installed",
     f"see journalctl -u kiosk-announcer; then {RESTART}"),
], ids=["stale", "never", "stopped", "fault"])
def test_announcements_off(tmp_path, served, printer, capsys, heartbeat, detail, fix):
    config = site(tmp_path, serve_port=served.port, printer_table=network(printer.port),
                  heartbeat=heartbeat)
    found = only_fault(*run(config, capsys), "announcer main", "", fix)
    assert found == Line("FAIL", f"announcements off: {detail}", fix)


BALLAST = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA wal_autocheckpoint=0")
conn.execute("CREATE TABLE ballast AS SELECT zeroblob(70 * 1048576) AS b")
conn.execute("DROP TABLE ballast")
conn.execute("BEGIN")
conn.execute("SELECT count(*) FROM tickets").fetchone()  # a reader that stays
print("ready", flush=True)
time.sleep(60)
"""


def test_a_wal_held_back_by_a_reader(lobby, capsys):
    store = cfg.load(lobby).store.path
    holder = subprocess.Popen([sys.executable, "-c", BALLAST, str(store)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        wal = store.with_name(store.name + "-wal")
        assert wal.stat().st_size > 70 * 2**20
        only_fault(*run(lobby, capsys), "store WAL",
                   f"{wal} is {doctor.size(wal.stat().st_size)} (limit 64.0 MB): a process that"
                   " has the store open holds SQLite's checkpoints back",
                   f"restart what has it open (pid {holder.pid}): systemctl restart 'kiosk-*'")
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize(("version", "detail", "fix"), [
    (SCHEMA_VERSION + 1, f"was made by a newer version of this program (schema"
     f" {SCHEMA_VERSION + 1}; this one knows up to {SCHEMA_VERSION})", "install the newer"),
    (0, "is not a kiosk store (schema version 0)", "kiosk restore "),
], ids=["newer", "none"])
def test_a_store_of_another_schema(lobby, capsys, version, detail, fix):
    store = cfg.load(lobby).store.path
    with sqlite3.connect(store) as conn:
        conn.execute(f"PRAGMA user_version = {version}")
    conn.close()
    found = only_fault(*run(lobby, capsys), "store", f"{store} {detail}", fix)
    if version == 0:  # the fix names the copy to put back
        assert str(store.parent / "backups" / "kiosk-20261127-090000.db") in found.fix


def test_no_backup_and_a_copy_elsewhere(tmp_path, served, printer, capsys):
    config = site(tmp_path, serve_port=served.port, printer_table=network(printer.port),
                  backup=None)
    folder = cfg.load(config).store.path.parent / "backups"
    only_fault(*run(config, capsys), "backups", f"no backup copy in {folder}",
               "make one now: kiosk backup; then see systemctl status kiosk-backup.timer")
    elsewhere = tmp_path / "usb"
    assert cli.main(["--config", str(config), "backup", "--to", str(elsewhere)]) == 0
    [copy] = elsewhere.iterdir()
    hour_ago = (NOW - timedelta(hours=1)).timestamp()
    os.utime(copy, (hour_ago, hour_ago))
    code, out = run(config, capsys, "--backups", str(elsewhere))
    assert code == 0, out
    assert parse(out)[0]["backups"].detail == (
        "newest 1 h 0 min old: kiosk-20261127-090000.db (1 copy)")


def test_a_backup_too_old(tmp_path, served, printer, capsys):
    config = site(tmp_path, serve_port=served.port, printer_table=network(printer.port),
                  backup=NOW - timedelta(hours=40))
    copy = cfg.load(config).store.path.parent / "backups" / "kiosk-20261127-090000.db"
    only_fault(*run(config, capsys), "backups",
               f"the newest copy, {copy}, is 40 h 0 min old (limit 36 h 0 min)", "kiosk backup")


def test_kiosk_serve_not_answering(tmp_path, printer, capsys):
    port = closed_port()
    config = site(tmp_path, serve_port=port, printer_table=network(printer.port))
    only_fault(*run(config, capsys), "kiosk serve",
               f"nothing answers at http://127.0.0.1:{port}/healthz (connection refused)",
               "systemctl start kiosk-serve (or run kiosk serve)")


def test_a_bad_config_is_the_one_failure(tmp_path, capsys):
    config = write_config(tmp_path, replace={'prefix = "A"': 'prefix = "ab"'})
    code, out = run(config, capsys)
    checks, verdict = parse(out)
    assert code == 1 and verdict == "1 problem" and list(checks) == ["config"], out
    assert checks["config"].detail == (
        f'{config}: services[0].prefix: must be one capital letter, got "ab"')
    assert checks["config"].fix == f"correct it in {config}; kiosk check-config checks it"
    code, out = run(config, capsys, "--json")
    assert code == 1 and json.loads(out)["ok"] is False
    assert [c["name"] for c in json.loads(out)["checks"]] == ["config"]


# -- warnings, and a check that breaks --------------------------------------------------------


def test_warnings_alone_exit_0(tmp_path, served, capsys, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    with FakePrinter(paper="low") as low:
        config = site(tmp_path, serve_port=served.port, printer_table=network(low.port))
        code, out = run(config, capsys)
    checks, verdict = parse(out)
    assert code == 0 and verdict == "all well (2 warnings)", out
    assert checks["printer lobby"] == Line(
        "warn", f"main (network 127.0.0.1:{low.port}): paper near its end",
        "put in a new 80 mm paper roll soon")
    assert checks["time zone"] == Line(
        "warn", "the PC's is UTC+00:00 (UTC), the site's Asia/Jakarta is UTC+07:00; screens"
        " show site time anyway", "for logs and timers in site time: timedatectl"
        " set-timezone Asia/Jakarta")


@pytest.mark.parametrize(("fault", "detail", "fix"), [
    (PermissionError(13, "Permission denied", "/srv/copies"), "permission denied (/srv/copies)",
     "run it as the user the kiosk runs as (sudo -u USER kiosk doctor), or as root"),
    (RuntimeError("the sky fell"), "the sky fell",
     "run kiosk --debug doctor to see where, and report it"),
], ids=["denied", "a bug"])
def test_a_check_that_breaks_is_one_failed_line(lobby, capsys, monkeypatch, fault, detail, fix):
    def broken(folder: Path) -> list[Path]:
        raise fault

    monkeypatch.setattr(doctor, "copies", broken)
    found = only_fault(*run(lobby, capsys), "backups", "", fix)
    assert found == Line("FAIL", f"the backups check could not finish: {detail}", fix)


def test_no_heartbeat_is_asked_of_a_site_without_announcements(tmp_path, served, printer,
                                                                capsys):
    config = site(tmp_path, serve_port=served.port, printer_table=network(printer.port),
                  replace={'output = "speaker"': 'output = "none"'}, heartbeat=None)
    code, out = run(config, capsys)
    checks, verdict = parse(out)
    assert code == 0 and verdict == "all well", out
    assert checks["announcer"] == Line("ok", 'not checked: [speech] output is "none"')
