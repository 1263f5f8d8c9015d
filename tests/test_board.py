"""The lobby board through Textual's pilot, on a real store file written by this test, by a
staff console running beside it, and by other processes through the command line: the
newest call highlighted until the next, the other open calls, the last calls in plain
words, waiting and estimates per service, the time, the "announcements off" notice, and
never a need. Also the store's read helpers the board and the console use."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Digits

from kiosk.announcer import Announcer
from kiosk.i18n import t
from kiosk.speech.engine import shared_engine
from kiosk.ui.blocks import ARROW, Scale, bitmap, bitmap_size, draw, fit, fit_scale
from kiosk.ui.board import ALSO, BoardApp, CallTile, read_board
from kiosk.ui.staff import ConsoleScreen
from kiosk.views import HEARTBEAT_STALE_S

from .conftest import require_tool
from .test_staff_support import (
    BOARD_SIZE,
    Site,
    flood_reads,
    run_app,
    screen_text,
    sign_in,
    squeezed,
    until,
)


@pytest.fixture
def site(tmp_path):
    s = Site(tmp_path)
    yield s
    s.close()


def hero(app: BoardApp) -> CallTile:
    return app.query_one("#hero", CallTile)


def hero_label(app: BoardApp) -> str | None:
    call = hero(app).call
    return call.label if call else None


def recent_lines(app: BoardApp) -> list[str]:
    text = str(app.query_one("#recent").content)
    return [" ".join(line.split()) for line in text.splitlines()[1:]]


async def loaded(pilot: Pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: app.data is not None, "the board's first read")
    await pilot.pause()


# -- the store's read helpers ------------------------------------------------------------


def test_recent_calls_are_todays_newest_first_one_per_ticket(site):
    store = site.store
    for service in "AAB":
        store.issue(service)
    store.call_next(1)  # A001
    site.clock.advance(5)
    store.call_next(2)  # A002
    site.clock.advance(5)
    store.recall(1)  # A001 again: the newest call now
    calls = store.recent_calls()
    assert [(c.label, c.counter, c.recall, c.open) for c in calls] == [
        ("A001", 1, True, True), ("A002", 2, False, True)]
    store.transfer("A002", "C")  # back to waiting: no longer an open call
    store.finish(1)  # done: no longer open either
    assert [(c.label, c.open) for c in store.recent_calls()] == [
        ("A001", False), ("A002", False)]
    assert not hasattr(calls[0], "need")
    assert len(store.recent_calls(limit=1)) == 1
    site.clock.advance(24 * 3600)  # tomorrow: yesterday's calls are not "recent"
    assert store.recent_calls() == []


def test_waiting_outlook_counts_each_service_and_estimates_a_new_ticket(site):
    store = site.store
    for service in "AAABC":
        store.issue(service)
    site.store.counter(1, "open")  # only counter 1 (A, B) is staffed
    outlook = {row.service: row for row in store.waiting_outlook()}
    assert [row.service for row in store.waiting_outlook()] == list("ABCDE")
    assert (outlook["A"].waiting, outlook["B"].waiting, outlook["C"].waiting) == (
        3, 1, 1)
    assert outlook["C"].estimated_wait_min is None  # no open counter serves C
    # A new A ticket waits for the 4 tickets counter 1 takes before it (A, A, A, B all came
    # earlier or at the same time: the probe loses ties) at 5 minutes each.
    assert outlook["A"].estimated_wait_min == 20
    issued = store.issue("A")
    assert issued.estimated_wait_min == 20  # what the kiosk would have said


def test_the_accounts_are_listed_by_name(site):
    site.store.staff_add("agus", "admin", "135790")
    assert [a["name"] for a in site.store.staff_list()] == ["agus", "siti"]


# -- what the board shows ----------------------------------------------------------------


def test_the_newest_call_is_highlighted_until_the_next_one(site):
    for service in "AAB":
        site.store.issue(service)
    app = site.board()

    async def scenario(pilot: Pilot) -> None:
        await loaded(pilot)
        assert hero_label(app) is None and not hero(app).has_class("-newest")
        assert t("en", "board.no_calls") in screen_text(app)
        site.store.call_next(1)
        await until(pilot, lambda: hero_label(app) == "A001", "the first call")
        assert hero(app).has_class("-newest")
        assert recent_lines(app)[0].startswith("▶ A001 → Loket 1 / Counter 1")
        site.store.call_next(2)
        await until(pilot, lambda: hero_label(app) == "A002", "the second call")
        assert hero(app).has_class("-newest")
        tiles = [tile for tile in app.query(".also").results(CallTile) if tile.display]
        assert [tile.call.label for tile in tiles if tile.call] == ["A001"]
        assert not any(tile.has_class("-newest") for tile in tiles)
        assert recent_lines(app)[:2] == ["▶ A002 → Loket 2 / Counter 2",
                                         "A001 → Loket 1 / Counter 1"]
        site.store.recall(1)  # a recall is announced again: it is the newest call again
        await until(pilot, lambda: hero_label(app) == "A001", "the recall")
        assert hero(app).call is not None and hero(app).call.recall
        assert "A001 → Loket 1 / Counter 1 (panggilan ulang / called again)" in (
            squeezed(screen_text(app)))
        # Finished: no longer being called; the newest call still open takes its place,
        # and A001 stays in the last calls as plain text, without the arrow.
        site.store.finish(1)
        await until(pilot, lambda: hero_label(app) == "A002", "A001 no longer shown as called")
        assert recent_lines(app)[0] == "A001 → Loket 1 / Counter 1 (panggilan ulang / called again)"

    run_app(app, scenario, BOARD_SIZE)


@pytest.mark.parametrize("verb", ["transfer", "cancel", "finish", "no_show"])
def test_a_call_that_ended_is_never_shown_as_being_made(site, verb):
    """Transferred, cancelled, finished or a no-show: the board stops showing the call as
    being made; it stays in the last calls as plain text (issue 17)."""
    site.store.issue("A")
    site.store.call_next(1)
    app = site.board()

    async def scenario(pilot: Pilot) -> None:
        await loaded(pilot)
        assert hero_label(app) == "A001"
        if verb == "transfer":
            site.store.transfer("A001", "C")
        elif verb == "cancel":
            site.store.cancel("A001")
        elif verb == "finish":
            site.store.finish(1)
        else:
            site.clock.advance(61)
            site.store.no_show(1)
        await until(pilot, lambda: hero_label(app) is None, f"A001 gone after {verb}")
        assert recent_lines(app)[0] == "A001 → Loket 1 / Counter 1"
        assert t("en", "board.no_calls") in screen_text(app)

    run_app(app, scenario, BOARD_SIZE)


def test_the_other_open_calls_get_tiles_of_their_own(site):
    for service in "ABCDE":
        site.store.issue(service)
    for counter in (1, 2, 3, 4):
        site.store.call_next(counter)
        site.clock.advance(1)
    app = site.board()

    async def scenario(pilot: Pilot) -> None:
        await loaded(pilot)
        assert hero_label(app) == "D001"
        tiles = [tile.call.label for tile in app.query(".also").results(CallTile)
                 if tile.display and tile.call]
        assert tiles == ["C001", "B001", "A001"][:ALSO]
        site.store.finish(3)  # C001 done: its tile goes, the list keeps it
        await until(pilot, lambda: [tile.call.label for tile in app.query(".also")
                                    .results(CallTile) if tile.display and tile.call]
                    == ["B001", "A001"], "C001's tile to go")
        assert any(line.startswith("C001") for line in recent_lines(app))

    run_app(app, scenario, BOARD_SIZE)


def test_the_board_never_shows_a_need(site):
    needs = site.settings.needs
    for need in needs:
        site.store.issue("A", need)
    for _ in range(len(needs) // 2):  # every priority ticket called; the last two still open
        site.store.call_next(1)
        site.store.call_next(2)
    app = site.board()

    async def scenario(pilot: Pilot) -> None:
        await loaded(pilot)
        text = screen_text(app)
        assert hero_label(app) is not None
        for code, need in needs.items():
            for words in (code, *need.label.values()):
                assert words not in text
            if need.icon:
                assert need.icon not in text
        assert "Prioritas" not in text and "Priority" not in text

    run_app(app, scenario, BOARD_SIZE)
    data = read_board(site.store)
    assert "need" not in repr(data)


def test_waiting_counts_and_estimates_per_service(site):
    for service in "AABBBE":
        site.store.issue(service)
    site.store.counter(1, "open")
    app = site.board()

    async def scenario(pilot: Pilot) -> None:
        await loaded(pilot)
        text = squeezed(screen_text(app))
        outlook = {row.service: row for row in site.store.waiting_outlook()}
        a_min = outlook["A"].estimated_wait_min
        assert f"A Keanggotaan / Membership 2 ± {a_min} menit / ~{a_min} min" in text
        assert "B Sirkulasi / Circulation 3" in text
        assert "E Informasi" in text and "1 tutup / closed" in text
        site.cli("issue", "E", "--no-print")  # another process: E's count follows
        await until(pilot, lambda: "2 tutup / closed" in squeezed(screen_text(app)),
                    "E's new count")

    run_app(app, scenario, BOARD_SIZE)


def test_the_board_shows_the_time_and_keeps_it(site):
    app = site.board()

    async def scenario(pilot: Pilot) -> None:
        await loaded(pilot)
        clock = app.query_one("#clock", Digits)
        assert clock.value == "09:00"
        site.clock.advance(5 * 60)
        await until(pilot, lambda: clock.value == "09:05", "the clock to move", timeout=3)

    run_app(app, scenario, BOARD_SIZE)


def test_announcements_off_is_shown_until_an_announcer_reports_in(site):
    app = site.board(every_s=0.1)

    async def scenario(pilot: Pilot) -> None:
        await loaded(pilot)
        notice = app.query_one("#notice")
        assert notice.display
        assert "Pengumuman suara tidak aktif / Spoken announcements are off" in (
            screen_text(app))
        site.heartbeat("ok")
        await until(pilot, lambda: not notice.display, "the notice to go")
        site.clock.advance(HEARTBEAT_STALE_S + 1)  # the announcer stopped reporting
        await until(pilot, lambda: notice.display, "the notice to come back")
        site.heartbeat("error")
        await pilot.pause(0.3)
        assert notice.display
        # A second announcer (`kiosk announcer --name lobby2`) that is running is enough.
        site.store.set_device("announcer:lobby2", "announcer", "ok")
        await until(pilot, lambda: not notice.display, "any running announcer to count")
        site.store.set_device("main", "printer", "ok")  # a printer is not an announcer
        site.clock.advance(HEARTBEAT_STALE_S + 1)
        await until(pilot, lambda: notice.display, "the notice once both are silent")

    run_app(app, scenario, BOARD_SIZE)


def test_a_call_by_another_process_appears_on_the_board(site):
    site.store.issue("B")
    app = site.board(every_s=600)  # only a commit can make it read again
    seen: list[float] = []

    async def scenario(pilot: Pilot) -> None:
        await loaded(pilot)
        started = time.monotonic()
        result = await asyncio.to_thread(site.cli, "call", "--counter", "2")
        returned = time.monotonic()
        await until(pilot, lambda: hero_label(app) == "B001", "the call from the CLI")
        seen.append(time.monotonic() - returned)
        assert result["label"] == "B001" and returned > started

    run_app(app, scenario, BOARD_SIZE)
    # The process exits after its COMMIT, so this is an upper bound on commit -> screen;
    # benchmarks/board_bench.py measures it properly (target p95 <= 300 ms).
    assert seen[0] < 1.0


def test_a_board_and_a_staff_console_on_one_store_file(site):
    for service in "AB":
        site.store.issue(service)
    board = site.board(every_s=600)
    console = site.staff(every_s=600)

    async def main() -> None:
        async with board.run_test(size=BOARD_SIZE) as board_pilot:
            async with console.run_test(size=(120, 36)) as staff_pilot:
                await loaded(board_pilot)
                await sign_in(staff_pilot)
                assert isinstance(console.screen, ConsoleScreen)
                await staff_pilot.press("n")
                await until(board_pilot, lambda: hero_label(board) == "A001",
                            "the console's call on the board")
                await until(staff_pilot, lambda: not console.busy, "the console")
                # ...and a call by another process, the command line at counter 2
                await asyncio.to_thread(site.cli, "call", "--counter", "2")
                await until(board_pilot, lambda: hero_label(board) == "B001",
                            "the command line's call on the board")
                await until(staff_pilot, lambda: "▶ B Sirkulasi 0 0 0"
                            in squeezed(screen_text(console)), "B's queue emptied")
                assert recent_lines(board)[:2] == ["▶ B001 → Loket 2 / Counter 2",
                                                   "A001 → Loket 1 / Counter 1"]

    asyncio.run(main())


# -- as large as the screen allows -------------------------------------------------------


def test_block_letters_take_the_largest_scale_that_fits():
    dots = bitmap("A012")
    assert len(dots) == 7 and set("".join(dots)) <= {"#", " "}
    cols, rows = bitmap_size(dots, 3)
    assert fit_scale(dots, cols, rows) == 3
    assert fit_scale(dots, cols - 1, rows) == 2
    assert fit_scale(dots, cols, rows - 1) == 2
    assert fit_scale(dots, 5, 5) == 0
    drawn = draw(dots, 2)
    assert (len(drawn[0]), len(drawn)) == bitmap_size(dots, 2)
    assert len(ARROW) == len(dots)


def test_letters_grow_into_spare_height_up_to_a_condensed_face():
    dots = bitmap("A012")
    cols, _ = bitmap_size(dots, 2)
    # Width allows 2 cells a dot; the height allows much more, but letters stop at 1.5:1.
    assert fit([dots], cols, 100) == Scale(3, 2)
    assert fit([dots], cols, 7) == Scale(2, 2)  # 7 rows: square dots only
    assert fit([dots], cols, 6) == Scale(1, 1)
    assert fit([dots, dots], cols, 7 + 1 + 7) == Scale(2, 2)  # stacked, a row between
    tall = draw(dots, Scale(3, 2))
    assert (len(tall[0]), len(tall)) == bitmap_size(dots, Scale(3, 2)) == (cols, 11)
    assert not fit([dots], 5, 5)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
def test_the_newest_call_is_the_biggest_thing_on_the_board(site, size):
    for service in "ABCD":
        site.store.issue(service)
    for counter in (1, 2, 3):
        site.store.call_next(counter)
    app = site.board()
    scales: dict[str, int] = {}

    async def scenario(pilot: Pilot) -> None:
        await loaded(pilot)
        main = hero(app)
        assert main.scale
        scales["hero"] = main.scale.tall
        for tile in app.query(".also").results(CallTile):
            if tile.display:
                assert tile.scale <= main.scale
                assert tile.region.area < main.region.area
        assert main.region.height >= size[1] // 3

    run_app(app, scenario, size)
    if size == (200, 60):
        assert scales["hero"] >= 4


# -- kiosk board --speak -----------------------------------------------------------------


class HeldEngine:
    """The real espeak-ng engine, held at each synthesis until the test lets it go."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.asked = threading.Event()
        self.real = shared_engine()

    def synthesize(self, *args: Any, **kwargs: Any) -> Any:
        self.asked.set()
        assert self.go.wait(30), "the test never released the engine"
        return self.real.synthesize(*args, **kwargs)


def test_speak_runs_the_announcer_in_the_board_which_never_waits_for_it(tmp_path):
    require_tool("espeak-ng")
    site = Site(tmp_path, replace={'output = "speaker"': 'output = "wav"'})
    try:
        site.store.issue("A")
        engine = HeldEngine()
        announcer = Announcer(site.settings, clock=site.clock, engine=engine)  # type: ignore[arg-type]
        app = site.board(announcer=announcer)

        async def scenario(pilot: Pilot) -> None:
            await loaded(pilot)
            notice = app.query_one("#notice")
            await until(pilot, lambda: not notice.display, "the announcer's heartbeat")
            await asyncio.to_thread(site.cli, "call", "--counter", "1")
            await until(pilot, lambda: hero_label(app) == "A001", "the call on the board")
            # The board shows the call while the announcer is still held before speaking.
            assert await asyncio.to_thread(engine.asked.wait, 10)
            assert not site.events("announced")
            engine.go.set()
            await until(pilot, lambda: site.events("announced"), "the announcement",
                        timeout=60)

        run_app(app, scenario, BOARD_SIZE)
        announced = site.events("announced")
        assert '"label": "A001"' in announced[0]["detail"]
        assert len(announcer.files) == 1 and announcer.files[0].stat().st_size > 10_000
        # Closing the board stopped the announcer, which said so in its heartbeat.
        assert site.store.devices()["announcer:main"].state == "off"
    finally:
        site.close()


def test_a_broken_store_file_does_not_take_the_board_down(site, tmp_path):
    from kiosk import config as cfg

    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database at all" * 100)
    app = BoardApp(cfg.load(site.config_path, db=broken), clock=site.clock)

    async def scenario(pilot: Pilot) -> None:
        await until(pilot, lambda: app.error and "not a database" in app.error, "the error")
        assert app.data is None and app.is_running
        assert t("en", "board.no_calls") in screen_text(app)

    run_app(app, scenario, BOARD_SIZE)


def test_reads_arriving_while_the_board_closes_are_dropped(site):
    """As for the staff console: a read in flight while the board shuts down is dropped,
    not drawn into widgets that are already gone."""
    site.store.issue("A")
    site.store.call_next(1)

    async def scenario(pilot: Pilot) -> None:
        await loaded(pilot)
        app = pilot.app
        assert isinstance(app, BoardApp)
        flood_reads(app, lambda: app.data)

    for _ in range(5):
        run_app(site.board(), scenario, BOARD_SIZE)
