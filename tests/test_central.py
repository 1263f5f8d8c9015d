"""Many sites, one central PostgreSQL (issue 25), against a real PostgreSQL that these tests
start themselves: a throwaway cluster made with initdb in a temporary folder, on a port of
its own, stopped at the end.

Every count is compared exactly: the sites' SQLite files against the centre, after a clean
sync, after a sync killed (os._exit(137), as kill -9) at every point of a batch and run
again, and with two sites syncing into one centre at once.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from kiosk import config as cfg
from kiosk.central.schema import SCHEMA_VERSION
from kiosk.central.sync import CRASH_POINTS

from .conftest import write_config

PASSWORD = "s3cret-centre"
DAYS = "3"
"""Demo days per site: ~4,000 events, 8 batches of 500."""


@dataclass(frozen=True)
class Cluster:
    port: int

    def url(self, db: str, password: str = PASSWORD) -> str:
        return f"postgresql://kiosk:{password}@127.0.0.1:{self.port}/{db}"


def _initdb() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        message = "PostgreSQL (initdb) is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}, and CI must run this test (.ci/run installs it)")
        pytest.skip(message)
    return Path(found[-1]).parent


def _enterable(as_user: list[str]) -> str:
    """A temporary folder's parent the cluster's user may enter (a root-only /tmp is not)."""
    for folder in (tempfile.gettempdir(), "/var/tmp", "/dev/shm"):
        if subprocess.run([*as_user, "test", "-w", folder, "-a", "-x", folder],
                          check=False).returncode == 0:
            return folder
    pytest.fail("no temporary folder the postgres user may write in")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    bindir = _initdb()
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster is the postgres user's
        as_postgres = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="kiosk-pg-", dir=_enterable(as_postgres)))
    if as_postgres:
        shutil.chown(root, "postgres", "postgres")
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if as_postgres:
        shutil.chown(pwfile, "postgres", "postgres")
    data, port = root / "data", _free_port()

    def run(*words: str) -> None:
        done = subprocess.run([*as_postgres, *words], capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, f"{words[0]}: {done.stderr}"

    run(str(bindir / "initdb"), "-D", str(data), "-U", "kiosk", f"--pwfile={pwfile}",
        "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync")
    options = (f"-k {root} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
               " -c synchronous_commit=off -c full_page_writes=off")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
        "-w", "start")
    try:
        yield Cluster(port)
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def centre(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database of its own for each test, with the kiosk tables."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    url = cluster.url(name)
    done = kiosk(None, "central", "init", url)
    assert done.returncode == 0, done.stderr
    yield url


def kiosk(config: Path | None, *args: str, env: dict[str, str] | None = None,
          ) -> subprocess.CompletedProcess[str]:
    head = ["--config", str(config)] if config else []
    return subprocess.run([sys.executable, "-m", "kiosk", *head, *args],
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=300)


_BUILT: dict[tuple[str, str, str], Path] = {}
"""A demo store per (site id, days, seed), made once per test run and copied after: the
demo is the same for the same seed, and its run was most of each test's time."""


def site(tmp_path: Path, site_id: str, *, send_needs: bool = False, days: str = DAYS,
         seed: str = "1") -> Path:
    folder = tmp_path / site_id
    folder.mkdir()
    config = write_config(folder, replace={'id = "lobby"': f'id = "{site_id}"',
                                           "batch = 20000": "batch = 500",
                                           "send_needs = false":
                                           f"send_needs = {str(send_needs).lower()}"})
    built = _BUILT.get((site_id, days, seed))
    if built is None:
        done = kiosk(config, "demo-data", "--days", days, "--seed", seed)
        assert done.returncode == 0, done.stderr
        built = Path(tempfile.mkdtemp(prefix="kiosk-demo-")) / "kiosk.db"
        shutil.copyfile(folder / "data" / "kiosk.db", built)
        _BUILT[(site_id, days, seed)] = built
    else:
        (folder / "data").mkdir(exist_ok=True)
        shutil.copyfile(built, folder / "data" / "kiosk.db")
    return config


def at_site(config: Path, sql: str) -> list[tuple]:
    # closing(): sqlite3's own `with` commits but leaves the file open (kiosk restore
    # refuses a store some process holds)
    with closing(sqlite3.connect(config.parent / "data" / "kiosk.db")) as db:
        return db.execute(sql).fetchall()


def at_centre(url: str, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


def site_counts(config: Path) -> tuple[int, int]:
    events = at_site(config, "SELECT COUNT(*) FROM events")[0][0]
    settled = at_site(config, "SELECT COUNT(*) FROM tickets WHERE state IN"
                              " ('done', 'no_show', 'expired', 'cancelled')")[0][0]
    return events, settled


def centre_counts(url: str, site_id: str) -> tuple[int, int]:
    return (at_centre(url, "SELECT COUNT(*) FROM events WHERE site = %s", site_id)[0][0],
            at_centre(url, "SELECT COUNT(*) FROM tickets WHERE site = %s", site_id)[0][0])


def sync(config: Path, url: str, *more: str, env: dict[str, str] | None = None,
         ) -> subprocess.CompletedProcess[str]:
    return kiosk(config, "sync", "--to", url, "--once", *more, env=env)


# -- the happy path ---------------------------------------------------------------------------


def test_a_demo_month_arrives_exactly_once(tmp_path, centre):
    config = site(tmp_path, "north")
    done = sync(config, centre, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    events, settled = site_counts(config)
    assert report["events"] == events and report["behind"] == 0 and report["batches"] >= 8
    assert centre_counts(centre, "north") == (events, settled)
    assert PASSWORD not in done.stdout + done.stderr
    # the same ids, the same kinds: the log itself, not just as many rows
    ids = at_site(config, "SELECT id, kind FROM events ORDER BY id")
    assert [tuple(r) for r in at_centre(
        centre, "SELECT id, kind FROM events WHERE site = 'north' ORDER BY id")] == ids
    # again: nothing new, nothing counted twice
    again = json.loads(sync(config, centre, "--json").stdout)
    assert (again["events"], again["tickets"]) == (0, 0)
    assert centre_counts(centre, "north") == (events, settled)
    # partitioned by month, the site first in every index
    parts = at_centre(centre, "SELECT c.relname FROM pg_inherits i JOIN pg_class c"
                              " ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent"
                              " WHERE p.relname = 'events'")
    assert parts and all(name.startswith("events_20") for (name,) in parts)
    indexes = at_centre(centre, "SELECT indexdef FROM pg_indexes WHERE tablename IN"
                                " ('events', 'tickets', 'sites')")
    assert all("(site" in d for (d,) in indexes), indexes


def test_new_events_after_a_sync_follow(tmp_path, centre):
    config = site(tmp_path, "north")
    assert sync(config, centre).returncode == 0
    last_day = at_site(config, "SELECT MAX(day) FROM tickets")[0][0]
    next_day = date.fromisoformat(last_day) + timedelta(days=1)
    issued = kiosk(config, "issue", "A", "--no-print",
                   env={"KIOSK_NOW": f"{next_day}T03:00:00Z"})  # 10:00 in Jakarta
    assert issued.returncode == 0, issued.stderr
    done = json.loads(sync(config, centre, "--json").stdout)
    assert done["events"] >= 1
    assert centre_counts(centre, "north") == site_counts(config)


def test_the_need_goes_over_as_the_class_only(tmp_path, centre):
    config = site(tmp_path, "north")
    assert sync(config, centre).returncode == 0
    needs = {n for (n,) in at_site(config, "SELECT DISTINCT need FROM tickets")} - {None}
    assert needs, "the demo has priority tickets"
    assert at_centre(centre, "SELECT COUNT(*) FROM tickets WHERE need IS NOT NULL")[0][0] == 0
    assert at_centre(centre, "SELECT COUNT(*) FROM tickets WHERE priority")[0][0] > 0
    shipped = at_centre(centre, "SELECT detail::text FROM events WHERE kind = 'issued'")
    assert not any(need in text for (text,) in shipped for need in needs)


def test_send_needs_ships_the_need(tmp_path, centre):
    config = site(tmp_path, "north", send_needs=True)
    assert sync(config, centre).returncode == 0
    assert at_centre(centre, "SELECT COUNT(*) FROM tickets WHERE need IS NOT NULL")[0][0] > 0


def test_a_purge_at_the_site_stays_at_the_centre(tmp_path, centre):
    config = site(tmp_path, "north")
    assert sync(config, centre).returncode == 0
    before = centre_counts(centre, "north")
    last_day = at_site(config, "SELECT MAX(day) FROM tickets")[0][0]
    done = kiosk(config, "purge", "--before", last_day)
    assert done.returncode == 0, done.stderr
    assert sync(config, centre).returncode == 0
    events, tickets = centre_counts(centre, "north")
    assert (events, tickets) == (before[0] + 1, before[1])  # + the `purged` event
    assert site_counts(config)[0] < events


# -- crashes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_kill_at_any_point_of_a_batch_never_counts_twice(tmp_path, centre, point):
    config = site(tmp_path, "north")
    # killed in the third batch, at this point of it
    killed = sync(config, centre, env={"KIOSK_SYNC_CRASH_AT": f"{point}:3"})
    assert killed.returncode == 137, killed.stderr
    shipped = centre_counts(centre, "north")[0]
    assert 0 < shipped < site_counts(config)[0]
    done = sync(config, centre)
    assert done.returncode == 0, done.stderr
    assert centre_counts(centre, "north") == site_counts(config)
    dupes = at_centre(centre, "SELECT COUNT(*) FROM (SELECT site, id FROM events"
                              " GROUP BY site, id HAVING COUNT(*) > 1) d")[0][0]
    assert dupes == 0


def test_a_real_sigkill_mid_run_then_again(tmp_path, centre):
    config = site(tmp_path, "north", days="6")
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config), "sync",
                             "--to", centre, "--once"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        import time

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if centre_counts(centre, "north")[0] > 0:
                    break
            except psycopg.Error:
                pass
            time.sleep(0.01)
    finally:
        proc.kill()
        proc.communicate()
    done = sync(config, centre)
    assert done.returncode == 0, done.stderr
    assert centre_counts(centre, "north") == site_counts(config)


def test_two_sites_at_once(tmp_path, centre):
    north, south = site(tmp_path, "north"), site(tmp_path, "south", seed="2")
    procs = [subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(c), "sync",
                               "--to", centre, "--once"], stderr=subprocess.PIPE, text=True)
             for c in (north, south)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert centre_counts(centre, "north") == site_counts(north)
    assert centre_counts(centre, "south") == site_counts(south)


# -- faults, each one line ---------------------------------------------------------------------


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "psycopg" not in lines[0] and "Error" not in lines[0] and PASSWORD not in lines[0]
    return lines[0]


def test_a_site_id_reused_by_another_site_is_refused(tmp_path, centre):
    (tmp_path / "first").mkdir()
    first = site(tmp_path / "first", "north")
    assert sync(first, centre).returncode == 0
    other = site(tmp_path, "north")  # another store (another key), the same id
    line = one_line(sync(other, centre))
    assert 'site id "north"' in line and "another site" in line
    assert centre_counts(centre, "north") == site_counts(first)


def test_a_wrong_password_is_one_line(tmp_path, cluster, centre):
    config = site(tmp_path, "north")
    line = one_line(sync(config, centre.replace(PASSWORD, "wrong-password")))
    assert "wrong user name or password" in line and "wrong-password" not in line


def test_the_centre_down_is_one_line(tmp_path):
    config = site(tmp_path, "north")
    line = one_line(sync(config, f"postgresql://kiosk:{PASSWORD}@127.0.0.1:{_free_port()}/x"))
    assert "cannot reach the central database" in line and "connection refused" in line


def test_no_database_and_no_schema_are_one_line(tmp_path, cluster):
    config = site(tmp_path, "north")
    line = one_line(sync(config, cluster.url("nowhere")))
    assert 'no database "nowhere"' in line
    line = one_line(sync(config, cluster.url("postgres")))
    assert "kiosk central init" in line and PASSWORD not in line


def test_central_init_twice_and_migrate(centre):
    done = kiosk(None, "central", "migrate", centre)
    assert done.returncode == 0 and "already" in done.stdout, done.stderr
    done = kiosk(None, "central", "init", centre, "--json")
    assert json.loads(done.stdout)["after"] == SCHEMA_VERSION


def test_a_store_restored_from_an_older_copy_is_refused(tmp_path, centre):
    """Its next events would take ids the centre holds for other events (and be dropped as
    sent already): one line, nothing shipped; under a new site id it syncs, and the
    centre keeps both."""
    config = site(tmp_path, "north")
    assert sync(config, centre).returncode == 0  # the copy has the site's identity key
    made = kiosk(config, "backup", "--json")
    assert made.returncode == 0, made.stderr
    copy = json.loads(made.stdout)["path"]
    last_day = at_site(config, "SELECT MAX(day) FROM tickets")[0][0]
    now = {"KIOSK_NOW": f"{date.fromisoformat(last_day) + timedelta(days=1)}T03:00:00Z"}
    for _ in range(3):
        assert kiosk(config, "issue", "A", "--no-print", env=now).returncode == 0
    assert sync(config, centre).returncode == 0
    before = centre_counts(centre, "north")
    assert before == site_counts(config)
    restored = kiosk(config, "restore", copy)
    assert restored.returncode == 0, restored.stderr
    assert site_counts(config)[0] < before[0], (site_counts(config), before, restored.stdout)
    line = one_line(sync(config, centre))
    assert 'not the one the centre holds for site "north"' in line and '"north-2"' in line
    for _ in range(3):  # new events with ids the centre holds for others
        assert kiosk(config, "issue", "B", "--no-print", env=now).returncode == 0
    line = one_line(sync(config, centre))
    assert "differs" in line, line
    assert centre_counts(centre, "north") == before  # nothing mixed in
    config.write_text(config.read_text("utf-8").replace('id = "north"', 'id = "north-2"'),
                      "utf-8")
    done = sync(config, centre)
    assert done.returncode == 0, done.stderr
    assert centre_counts(centre, "north-2") == site_counts(config)
    assert centre_counts(centre, "north") == before


class CuttingProxy:
    """A TCP relay to the cluster that cuts its first connection once the client has sent
    `cut_after` bytes (mid-COPY: a network cut in the middle of a batch); later
    connections pass whole."""

    def __init__(self, port: int, cut_after: int) -> None:
        self.target = port
        self.cut_after = cut_after
        self.cuts = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._first = True
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, db: str) -> str:
        return f"postgresql://kiosk:{PASSWORD}@127.0.0.1:{self.port}/{db}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            limit, self._first = (self.cut_after if self._first else None), False
            pair = (client, upstream)
            threading.Thread(target=self._pump, args=(client, upstream, limit, pair),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, None, pair),
                             daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, limit: int | None,
              pair: tuple[socket.socket, socket.socket]) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                dst.sendall(data)
                sent += len(data)
                if limit is not None and sent >= limit:
                    self.cuts += 1
                    break
        except OSError:
            pass
        for sock in pair:  # both ways at once, as a pulled cable looks to each end
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self) -> None:
        self.server.close()


def test_a_network_cut_mid_batch_is_one_line_and_the_next_run_completes(tmp_path, cluster,
                                                                         centre):
    config = site(tmp_path, "north")
    db = centre.rsplit("/", 1)[1]
    proxy = CuttingProxy(cluster.port, cut_after=120_000)  # a few batches of 500 in
    try:
        done = sync(config, proxy.url(db))
        assert proxy.cuts == 1
        line = one_line(done)
        assert "central database" in line and PASSWORD not in line, line
        shipped = at_site(config, "SELECT event_id FROM cursors WHERE name = 'sync:central'")
        assert shipped and 0 < shipped[0][0] < site_counts(config)[0]  # cut mid-way
        # What the centre has is whole batches: exactly the events up to the cursor or
        # one batch more (committed just before the cut reached the site), never a part.
        have = centre_counts(centre, "north")[0]
        assert have in (shipped[0][0], shipped[0][0] + 500)
        done = sync(config, proxy.url(db))  # the network is back
        assert done.returncode == 0, done.stderr
        assert centre_counts(centre, "north") == site_counts(config)
        assert at_centre(centre, "SELECT COUNT(*) - COUNT(DISTINCT id) FROM events"
                                 " WHERE site = 'north'") == [(0,)]
    finally:
        proxy.close()


def test_the_loop_retries_with_backoff_and_stops_on_sigterm(tmp_path, cluster, centre):
    """`kiosk sync` (the service): a cut batch is one line and a retry 1 s later that
    ships the rest; SIGTERM ends it at once, exit 0."""
    config = site(tmp_path, "north")
    db = centre.rsplit("/", 1)[1]
    proxy = CuttingProxy(cluster.port, cut_after=120_000)
    head = ["--config", str(config)]
    process = subprocess.Popen([sys.executable, "-m", "kiosk", *head, "sync", "--to",
                                proxy.url(db)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while centre_counts(centre, "north") != site_counts(config):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the loop did not ship everything"
            time.sleep(0.5)
        assert proxy.cuts == 1
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert time.monotonic() - started < 10
        retried = [line for line in err.splitlines() if "trying again in 1 s" in line]
        assert len(retried) == 1 and PASSWORD not in err, err
    finally:
        if process.poll() is None:
            process.kill()
        proxy.close()


# -- config -----------------------------------------------------------------------------------


def test_the_sync_config_and_its_masked_url(tmp_path):
    config = write_config(tmp_path, replace={'\nurl = ""': '\nurl = "mysql://u:pw@h/db"'})
    with pytest.raises(cfg.ConfigError) as caught:
        cfg.load(config)
    assert "sync.url" in str(caught.value) and "pw" not in str(caught.value).split("got")[1]
    config = write_config(tmp_path, replace={'id = "lobby"': 'id = "North Branch"'})
    with pytest.raises(cfg.ConfigError, match="site.id"):
        cfg.load(config)
    assert cfg.masked("postgresql://k:secret@h:5/db") == "postgresql://k:***@h:5/db"
    assert cfg.masked("postgresql://h/db") == "postgresql://h/db"
    assert cfg.load().sync.url == "" and cfg.load().site.id == "lobby"


# -- the unit and the doctor ------------------------------------------------------------------


def test_install_units_adds_the_sync_only_when_a_url_is_set():
    from kiosk.host.units import Site, units

    base = Site(kiosk=("/usr/bin/python3", "-m", "kiosk"), config=Path("/etc/kiosk/c.toml"),
                store_dir=Path("/var/lib/kiosk"), user="kiosk", url="http://127.0.0.1:8000",
                patron="none")
    assert "kiosk-sync.service" not in units(base)
    text = units(Site(**{**base.__dict__, "sync": True}))["kiosk-sync.service"]
    assert "Type=notify" in text and "WatchdogSec=" in text
    assert text.count("ExecStart=") == 1
    assert text.split("ExecStart=")[1].splitlines()[0].endswith(" sync")
    verify = shutil.which("systemd-analyze")
    if verify:
        folder = Path(tempfile.mkdtemp())
        (folder / "kiosk-sync.service").write_text(text.replace("User=kiosk", "User=root"))
        done = subprocess.run([verify, "verify", str(folder / "kiosk-sync.service")],
                              capture_output=True, text=True, check=False)
        assert "kiosk-sync.service" not in done.stderr or done.returncode == 0, done.stderr


@pytest.mark.parametrize(("hours", "status"), [(0.1, "ok"), (2, "warn"), (30, "fail")])
def test_the_doctor_shows_the_sync_lag(tmp_path, hours, status):
    from datetime import UTC, datetime

    from kiosk import clock as clk
    from kiosk import doctor
    from kiosk.store.checkup import Checkup

    settings = cfg.load(write_config(tmp_path, replace={
        '\nurl = ""': f'\nurl = "postgresql://k:{PASSWORD}@centre/q"'}))
    now = datetime(2026, 11, 27, 5, tzinfo=UTC)
    read = Checkup(version=9, problems=(), tickets=1, newest_event=None, devices={},
                   unshipped=42, oldest_unshipped=clk.iso(now - timedelta(hours=hours)))
    check = doctor.sync_check(settings, read, now)
    assert check.level == status and "42 events" in check.detail
    assert PASSWORD not in check.detail and "***" in check.detail
    caught_up = Checkup(version=9, problems=(), tickets=1, newest_event=None, devices={},
                        unshipped=0)
    assert doctor.sync_check(settings, caught_up, now).level == "ok"


def test_a_site_clock_off_the_centres_is_said_and_the_rows_keep_their_times(tmp_path,
                                                                            centre):
    """Clock skew between sites: the skew is measured against the centre's clock at each
    run (kept in `sites.skew_s`, in the --json report), said in one line past 5 minutes;
    nothing at the centre depends on two sites' clocks agreeing, so it still ships."""
    config = site(tmp_path, "north")
    ahead = datetime.now(UTC) + timedelta(hours=2)
    done = sync(config, centre, "--json",
                env={"KIOSK_NOW": ahead.isoformat(timespec="seconds")})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert 7100 < report["skew_s"] < 7300
    assert centre_counts(centre, "north") == site_counts(config)
    assert at_centre(centre, "SELECT round(skew_s) FROM sites WHERE site = 'north'")[0][0] \
        == round(report["skew_s"])
    said = [line for line in done.stderr.splitlines() if "clock" in line]
    assert len(said) == 1, done.stderr
    assert said[0].startswith("kiosk sync: this site's clock is 120 min ahead of the centre's")
    assert "timedatectl" in said[0]


def test_bookings_and_appointments_arrive_without_code_token_or_need(tmp_path, centre):
    """Appointments at the centre (schema 4): each booking as it stands (checked in,
    cancelled, still booked), the appointment ticket's slot and booking; never the check-in
    code or the token, and the need only as its class."""
    from kiosk.clock import ManualClock
    from kiosk.store import Store

    config = site(tmp_path, "north")
    settings = cfg.load(config)
    last_day = date.fromisoformat(at_site(config, "SELECT MAX(day) FROM tickets")[0][0])
    day = (last_day + timedelta(days=1)).isoformat()
    clock = ManualClock(datetime.fromisoformat(f"{day}T08:30:00+07:00"))
    with Store(settings, clock=clock) as store:
        _b, _token, kept = store.book("A", day, "09:30", "lansia")
        _b, cancelled, _code = store.book("A", day, "09:45")
        store.book("A", day, "10:00")  # never comes
        store.cancel_booking(cancelled)
        clock.set(datetime.fromisoformat(f"{day}T09:25:00+07:00"))
        appointment = store.check_in(kept).ticket
        store.counter(1, "open")
        assert store.call_next(1).id == appointment.id  # type: ignore[union-attr]
        store.finish(1)
    done = sync(config, centre)
    assert done.returncode == 0, done.stderr
    rows = at_centre(centre, "SELECT slot_start, state, priority, need, ticket_id FROM bookings"
                             " WHERE site = 'north' AND day = %s ORDER BY slot_start", day)
    assert rows == [("09:30", "checked_in", True, None, appointment.id),
                    ("09:45", "cancelled", False, None, None),
                    ("10:00", "booked", False, None, None)]
    columns = {c for (c,) in at_centre(centre, "SELECT column_name FROM"
                                               " information_schema.columns WHERE"
                                               " table_name = 'bookings'")}
    assert not columns & {"code", "token_hash", "token"}
    slot = at_centre(centre, "SELECT slot_at, booking_id IS NOT NULL FROM tickets"
                             " WHERE site = 'north' AND id = %s", appointment.id)
    assert slot[0][0].isoformat().startswith(f"{day}T02:30:00") and slot[0][1]
