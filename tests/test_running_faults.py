"""The store fails while the screens run (issue 18, point 2): a full disk under a running
patron kiosk and a running counter console (a small tmpfs the test mounts), and the store
file removed under a running board, follower and announcer. Every screen stays up, says so
in plain words, makes no second (and loses no) ticket, never starts a new empty store in the
removed file's place, and carries on by itself once the fault is gone."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from textual.pilot import Pilot

from kiosk import config as cfg
from kiosk.announcer import Announcer
from kiosk.clock import ManualClock
from kiosk.exceptions import StoreFault
from kiosk.follow import Follower
from kiosk.i18n import both, t
from kiosk.store import Store
from kiosk.store.base import StoreBase
from kiosk.ui.patron.base import STORE_MIN_REST_S
from kiosk.ui.patron.ticket import TicketScreen
from kiosk.ui.patron.welcome import WelcomeScreen

from .conftest import fill, local, write_config
from .patron_fakes import Kit
from .test_patron import GUARD, drive, settle, tap, ticket_refused_by_the_store
from .test_staff_support import (
    BOARD_SIZE,
    Site,
    message_of,
    run_app,
    signed_in_console,
    until,
)


def on_disk(disk: Path) -> dict[str, str]:
    return {'path = "data/kiosk.db"': f'path = "{disk}/data/kiosk.db"'}


def labels(path: Path) -> list[str]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT label FROM tickets ORDER BY id")]
    finally:
        conn.close()


def aside(path: Path) -> Path:
    """Move the store file away (as a careless `mv` or a cleanup script would)."""
    moved = path.with_name("moved-away.db")
    path.rename(moved)
    return moved


# -- the store itself -------------------------------------------------------------------------


def test_a_removed_file_is_a_fault_until_it_is_back_and_no_empty_store_is_made(tmp_path):
    settings = cfg.load(write_config(tmp_path))
    with Store(settings, clock=ManualClock(local(9, 0))) as store:
        assert store.issue("A").ticket.label == "A001"
        moved = aside(store.path)
        for _ in range(2):
            with pytest.raises(StoreFault) as fault:
                store.issue("A")  # SQLite would have written it into the removed file
            assert fault.value.kind == "gone"
            assert str(store.path) in str(fault.value) and "missing" in str(fault.value)
            assert not store.path.exists()  # no new, empty store in its place
        with pytest.raises(StoreFault):
            Store(settings, create=False)
        moved.rename(store.path)  # put back: the same handle carries on by itself
        assert store.issue("A").ticket.label == "A002"
    assert labels(store.path) == ["A001", "A002"]


def test_a_follower_says_the_file_is_missing_and_reads_again_once_it_is_back(tmp_path):
    settings = cfg.load(write_config(tmp_path))
    with Store(settings, clock=ManualClock(local(9, 0))) as store:
        store.issue("A")
        path = store.path
    got: list[tuple[int | None, str | None]] = []
    follower = Follower(settings, ManualClock(local(9, 0)),
                        lambda s: len(s.waiting()), lambda d, e: got.append((d, e)),
                        poll_s=0.02, every_s=0.1)
    follower.start()
    try:
        wait_for(lambda: got and got[-1] == (1, None), "the first read")
        moved = aside(path)
        wait_for(lambda: got[-1][1] is not None, "the error")
        assert "missing" in (got[-1][1] or "") and "StoreFault" not in (got[-1][1] or "")
        time.sleep(0.3)
        assert not path.exists()
        moved.rename(path)
        wait_for(lambda: got[-1] == (1, None), "reads again")
    finally:
        follower.stop()


def wait_for(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


# -- the screens ------------------------------------------------------------------------------


def test_a_full_disk_under_a_running_patron_kiosk(tmp_path, small_disk: Path):
    """The issue's case: the disk filled while the kiosk ran and the kiosk died on the next
    touches. Now: the patron is told, nothing is made, and once space is back the kiosk
    offers tickets again by itself with the next number."""
    kit = Kit(tmp_path, replace=on_disk(small_disk))
    path = kit.store.path
    kit.store.issue("B")
    filler = fill(small_disk)
    words = t("id", "trouble.store")

    async def scenario(pilot: Pilot) -> None:
        app = kit.app
        await ticket_refused_by_the_store(kit, pilot)
        kit.mono.advance(GUARD)  # the issue's second touch: the kiosk says it again
        await tap(kit, pilot, "#service-2")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, WelcomeScreen)
        assert words in kit.voice.spoken()[-1]
        await app.refresh_trouble(speak=False)  # still full: the rest goes on
        assert app.trouble.issuing == "store"
        filler.unlink()
        kit.mono.advance(STORE_MIN_REST_S)  # inside the rest: a poll sees the disk has room
        await app.refresh_trouble(speak=False)
        await settle(pilot)
        assert app.trouble.issuing is None
        kit.mono.advance(GUARD)
        await tap(kit, pilot, "#service-2")
        await tap(kit, pilot, "#need-no")
        assert isinstance(app.screen, TicketScreen)

    drive(kit, scenario)
    kit.close()
    assert labels(path) == ["B001", "B002"]  # none lost, none doubled


def test_a_full_disk_under_a_running_console_is_one_sentence_and_it_goes_on(
        tmp_path, small_disk: Path):
    site = Site(tmp_path, replace=on_disk(small_disk))
    for _ in range(2):
        site.store.issue("A")
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        filler = fill(small_disk)
        await pilot.press("n")
        await until(pilot, lambda: not app.busy and "is full" in message_of(app),
                    "the full disk said")
        assert app.screen.query_one("#message").has_class("-trouble")
        assert "unexpected" not in message_of(app) and "Error" not in message_of(app)
        filler.unlink()
        await pilot.pause(0.1)
        await pilot.press("n")
        await until(pilot, lambda: app.shown() == "A001", "A001 called once space is back")

    run_app(app, scenario)
    assert site.ticket("A001").state == "called" and site.ticket("A002").state == "waiting"
    site.close()


def test_a_removed_store_under_a_running_board_is_said_and_heals(tmp_path):
    site = Site(tmp_path)
    site.store.issue("A")
    site.store.call_next(1)
    site.heartbeat()  # announcements on: no notice while all is well
    path = site.store.path
    board = site.board(poll_s=0.02, every_s=0.1)
    trouble = both(board.languages, "board.store_trouble")

    async def scenario(pilot: Pilot) -> None:
        notice = board.query_one("#notice")
        await until(pilot, lambda: board.data is not None, "the first read")
        assert not notice.display
        moved = aside(path)
        await until(pilot, lambda: notice.display and trouble in str(notice.content),
                    "the notice")
        assert board.is_running and not path.exists()
        moved.rename(path)
        await until(pilot, lambda: not notice.display, "the notice gone")

    run_app(board, scenario, size=BOARD_SIZE)
    site.close()


def test_a_removed_store_under_a_running_announcer(tmp_path):
    """The announcer says the store is missing (in its log and, once the file is back, its
    heartbeat goes on) and never makes a new store where the file was."""
    site = Site(tmp_path)
    path = site.store.path
    announcer = Announcer(site.settings, output="none", clock=site.clock)
    stop = threading.Event()
    runner = threading.Thread(target=announcer.run_forever, args=(stop,), daemon=True)
    runner.start()
    try:
        wait_for(lambda: any(n.startswith("announcer") for n in site.store.devices()),
                 "the first heartbeat")
        moved = aside(path)
        wait_for(lambda: announcer.last_error is not None, "the fault", timeout=15)
        assert "missing" in announcer.last_error
        assert not path.exists()
        moved.rename(path)
        wait_for(lambda: announcer.last_error is None, "back at work", timeout=15)
    finally:
        stop.set()
        runner.join(10)




@pytest.mark.parametrize("error, words", [
    (sqlite3.OperationalError("attempt to write a readonly database"), "cannot be written"),
    (sqlite3.DatabaseError("database disk image is malformed"), "is damaged"),
])
def test_a_read_only_or_damaged_store_under_a_running_console(
        tmp_path, monkeypatch: pytest.MonkeyPatch, error: Exception, words: str):
    """A disk turned read-only, or a file damaged, while the console runs (injected at the
    commit: a disk cannot be remounted read-only while files on it are open for writing).
    The key answers with the store's sentence; once the fault is gone the console goes on."""
    site = Site(tmp_path)
    site.store.issue("A")
    app = site.staff()
    failing = [True]
    real = StoreBase._commit

    def commit(store: StoreBase) -> None:
        if failing[0] and store is not site.store:
            raise error
        real(store)

    monkeypatch.setattr(StoreBase, "_commit", commit)

    async def scenario(pilot: Pilot) -> None:
        failing[0] = False
        await signed_in_console(pilot)
        failing[0] = True
        await pilot.press("n")
        await until(pilot, lambda: not app.busy and words in message_of(app), "the fault said")
        assert str(site.store.path) in message_of(app) and "Error" not in message_of(app)
        assert site.ticket("A001").state == "waiting"  # nothing was done
        failing[0] = False
        await pilot.pause(0.1)
        await pilot.press("n")
        await until(pilot, lambda: app.shown() == "A001", "A001 called once it is gone")

    run_app(app, scenario)
    site.close()
