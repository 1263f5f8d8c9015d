"""The staff counter console through Textual's pilot, on a real store file: sign-in and the
store's lockout (also across a restart of the app), every key and every button, the
transfer and reclassify dialogs, impossible actions as plain messages, and what the screen
shows (waiting per service and class, oldest wait, printer and announcer, never the need)."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from kiosk.clock import iso
from kiosk.i18n import both, t
from kiosk.store import PIN_LOCK_S, PIN_MAX_FAILURES
from kiosk.ui import themes
from kiosk.ui.blocks import BigText
from kiosk.ui.staff import (
    ConsoleScreen,
    PauseDialog,
    ReclassifyDialog,
    SignInScreen,
    StaffApp,
    TransferDialog,
)
from kiosk.ui.staff.console import ACTIONS

from .test_patron_look import MIN_CONTRAST, pair_contrast, rendered_pairs
from .test_staff_support import (
    NAME,
    PIN,
    Site,
    flood_reads,
    message_of,
    run_app,
    screen_text,
    sign_in,
    signed_in_console,
    squeezed,
    until,
)

HOW = ["key", "button"]


@pytest.fixture
def site(tmp_path):
    s = Site(tmp_path)
    yield s
    s.close()


async def act(pilot: Pilot, how: str, action: str) -> None:
    """One action as staff do it: its key, or a tap on its button."""
    app = pilot.app
    if how == "key":
        key = next(k for k, a, _ in ACTIONS if a == action)
        await pilot.press(key)
    else:
        await pilot.pause(0.25)  # Button ignores a second press within 0.2 s
        assert await pilot.click(f"#key-{action}")
    await until(pilot, lambda: not app.busy, f"{action} to finish")
    await pilot.pause()


def ticket_state(site: Site, label: str) -> tuple[str, Any]:
    row = site.ticket(label)
    return row.state, row.counter


# -- sign-in -----------------------------------------------------------------------------


def test_sign_in_opens_the_counter_and_both_are_counter_events(site):
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        assert isinstance(app.screen, SignInScreen)
        assert site.store.counter_states()[1].state == "closed"
        await sign_in(pilot)
        assert NAME in screen_text(app)
        state = site.store.counter_states()[1]
        assert (state.state, state.staff) == ("open", NAME)

    run_app(app, scenario)
    kinds = [(e["kind"], e["counter"], e["actor"]) for e in site.events("signed_in",
                                                                         "counter_opened")]
    assert kinds == [("signed_in", 1, NAME), ("counter_opened", 1, NAME)]
    # The console closed (its app quit): the counter is not left open with nobody there.
    assert site.store.counter_states()[1].state == "closed"
    closed = site.events("counter_closed")[0]
    assert json.loads(closed["detail"])["reason"] == "console closed"


def test_a_wrong_pin_is_a_plain_message_and_the_sign_in_screen_stays(site):
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await sign_in(pilot, pin="9999", expect=False)
        message = app.screen.query_one("#sign-in-message")
        await until(pilot, lambda: "wrong name or PIN" in str(message.content), "the refusal")
        assert isinstance(app.screen, SignInScreen)
        assert app.screen.query_one("#pin").value == ""  # cleared for the next try
        await sign_in(pilot, name="nobody", pin=PIN, expect=False)
        await pilot.pause(0.3)
        assert isinstance(app.screen, SignInScreen)
        assert "Traceback" not in screen_text(app)

    run_app(app, scenario)
    assert site.store.counter_states()[1].state == "closed"
    assert len(site.events("pin_failed")) == 2
    assert not site.events("signed_in")


def test_lockout_is_kept_in_the_store_across_a_restart_of_the_console(site):
    async def fail_until_locked(pilot: Pilot) -> None:
        app = pilot.app
        message = app.screen.query_one("#sign-in-message")
        for _ in range(PIN_MAX_FAILURES):
            before = len(site.events("pin_failed"))
            await sign_in(pilot, pin="0000", expect=False)
            await until(pilot, lambda b=before: len(site.events("pin_failed")) > b,
                        "the failure to be logged")
        await until(pilot, lambda: "too many wrong PINs" in str(message.content), "lockout")

    run_app(site.staff(), fail_until_locked)

    async def still_locked(pilot: Pilot) -> None:  # a new process, the right PIN
        app = pilot.app
        await sign_in(pilot, expect=False)
        message = app.screen.query_one("#sign-in-message")
        await until(pilot, lambda: "try again in" in str(message.content), "the lockout")
        assert isinstance(app.screen, SignInScreen)

    run_app(site.staff(), still_locked)
    assert not site.events("signed_in")

    site.clock.advance(PIN_LOCK_S + 1)

    async def unlocked(pilot: Pilot) -> None:
        await sign_in(pilot)

    run_app(site.staff(), unlocked)
    assert [e["actor"] for e in site.events("signed_in")] == [NAME]


# -- every key and every button ----------------------------------------------------------


@pytest.mark.parametrize("how", HOW)
def test_n_finishes_the_current_ticket_and_calls_the_next(site, how):
    site.store.issue("A")
    site.store.issue("B")
    site.store.issue("C")  # counter 1 serves A and B only
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await act(pilot, how, "next")
        assert ticket_state(site, "A001") == ("called", 1)
        assert "A001" in message_of(app)
        await until(pilot, lambda: app.screen.query_one("#current-label", BigText).text
                    == "A001", "the current ticket on screen")
        await act(pilot, how, "next")
        assert ticket_state(site, "A001")[0] == "done"
        assert ticket_state(site, "B001") == ("called", 1)
        await act(pilot, how, "next")
        assert ticket_state(site, "B001")[0] == "done"
        assert ticket_state(site, "C001")[0] == "waiting"
        assert t("en", "staff.done_nothing") in message_of(app)

    run_app(app, scenario)
    called = site.events("called")
    assert [(e["counter"], e["actor"]) for e in called] == [(1, NAME), (1, NAME)]


@pytest.mark.parametrize("how", HOW)
def test_r_recalls_up_to_max_recalls_then_suggests_a_no_show(site, how):
    site.store.issue("A")
    app = site.staff()
    limit = site.settings.queue.max_recalls

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await act(pilot, how, "next")
        for n in range(1, limit + 1):
            await act(pilot, how, "recall")
            assert site.ticket("A001").recalls == n
            assert f"({n} of {limit})" in message_of(app)
        await act(pilot, how, "recall")
        assert "no-show" in message_of(app)
        assert app.screen.query_one("#message").has_class("-trouble")
        assert site.ticket("A001").recalls == limit

    run_app(app, scenario)
    assert len(site.events("recalled")) == limit


@pytest.mark.parametrize("how", HOW)
def test_s_starts_and_f_finishes(site, how):
    site.store.issue("A")
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await act(pilot, how, "next")
        await act(pilot, how, "start")
        assert ticket_state(site, "A001") == ("serving", 1)
        await until(pilot, lambda: "Being served" in screen_text(app), "the serving state")
        await act(pilot, how, "finish")
        assert ticket_state(site, "A001")[0] == "done"
        await until(pilot, lambda: t("en", "staff.no_ticket") in screen_text(app),
                    "no current ticket")

    run_app(app, scenario)
    assert [e["kind"] for e in site.events("started", "finished")] == ["started", "finished"]


@pytest.mark.parametrize("how", HOW)
def test_x_marks_a_no_show(site, how):
    site.store.issue("A")
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await act(pilot, how, "next")
        site.clock.advance(61)  # [queue] no_show_after_s: the patron had a minute to come
        await act(pilot, how, "no_show")
        assert "no-show" in message_of(app)

    run_app(app, scenario)
    assert site.ticket("A001").state == "no_show"
    assert site.events("no_show")[0]["actor"] == NAME


def option_offset(options: OptionList, index: int) -> tuple[int, int]:
    """Where to tap an option, relative to the option list's top-left corner."""
    content = options.scrollable_content_region
    line = options._index_to_line[index]
    return content.x - options.region.x + 2, content.y - options.region.y + line


@pytest.mark.parametrize("how", HOW)
def test_t_transfers_to_the_chosen_service_at_the_front_or_back(site, how):
    site.store.issue("A")
    site.store.issue("D")
    site.clock.advance(60)
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await act(pilot, how, "next")
        if how == "key":
            await pilot.press("t")
        else:
            await pilot.click("#key-transfer")
        dialog = await until(pilot, lambda: isinstance(app.screen, TransferDialog)
                             and app.screen, "the transfer dialog")
        assert [s.prefix for s in dialog.services] == ["B", "C", "D", "E"]  # not its own
        assert dialog.position == "front"  # [queue].transfer_position
        if how == "key":
            await pilot.press("b", "3", "enter")
        else:
            await pilot.click("#back")
            options = dialog.query_one(OptionList)
            await pilot.click(options, offset=option_offset(options, 2))
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen), "the console")
        await until(pilot, lambda: not app.busy, "the transfer")
        assert "A001" in message_of(app) and "D" in message_of(app)

    run_app(app, scenario)
    row = site.ticket("A001")
    assert (row.service, row.state, row.counter) == ("D", "waiting", None)
    event = site.events("transferred")[0]
    assert '"position": "back"' in event["detail"] and event["actor"] == NAME
    # At the back: D001, which waited already, is still first in D's queue.
    assert site.store.call_next(4).label == "D001"


def test_the_transfer_dialog_cancels_with_escape_and_the_cancel_button(site):
    site.store.issue("A")
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await act(pilot, "key", "next")
        for leave in ("escape", "#cancel"):
            await pilot.press("t")
            await until(pilot, lambda: isinstance(app.screen, TransferDialog), "the dialog")
            if leave == "escape":
                await pilot.press("escape")
            else:
                await pilot.click(leave)
            await until(pilot, lambda: isinstance(app.screen, ConsoleScreen), "the console")
            await until(pilot, lambda: not app.busy, "the action to end")

    run_app(app, scenario)
    assert site.ticket("A001").service == "A"
    assert not site.events("transferred")


@pytest.mark.parametrize("how", HOW)
def test_c_reclassifies_to_a_need_and_back_to_regular(site, how):
    site.store.issue("A")
    needs = list(site.settings.needs)
    app = site.staff()

    async def choose(pilot: Pilot, index: int) -> None:
        if how == "key":
            await pilot.press("c")
        else:
            await pilot.pause(0.25)
            await pilot.click("#key-reclassify")
        dialog = await until(pilot, lambda: isinstance(app.screen, ReclassifyDialog)
                             and app.screen, "the reclassify dialog")
        if how == "key":
            await pilot.press(str(index + 1), "enter")
        else:
            options = dialog.query_one(OptionList)
            await pilot.click(options, offset=option_offset(options, index))
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen), "the console")
        await until(pilot, lambda: not app.busy, "the reclassification")

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await act(pilot, how, "next")
        await choose(pilot, 2)  # options: regular, then the needs in config order
        assert site.ticket("A001").need == needs[1]
        await until(pilot, lambda: "Prioritas / Priority" in screen_text(app), "the class")
        await choose(pilot, 0)
        assert site.ticket("A001").need is None
        await until(pilot, lambda: "Reguler / Regular" in screen_text(app), "the class")

    run_app(app, scenario)
    moves = [e["detail"] for e in site.events("reclassified")]
    assert len(moves) == 2 and all(e["actor"] == NAME for e in site.events("reclassified"))


@pytest.mark.parametrize("how", HOW)
def test_p_pauses_and_resumes_as_counter_events(site, how):
    site.store.issue("A")
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        if how == "key":
            await pilot.press("p")
        else:
            await pilot.pause(0.25)
            await pilot.click("#key-pause")
        dialog = await until(pilot, lambda: isinstance(app.screen, PauseDialog)
                             and app.screen, "the pause dialog")
        if how == "key":
            await pilot.press("2", "enter")  # back in 15 minutes
        else:
            options = dialog.query_one(OptionList)
            await pilot.click(options, offset=option_offset(options, 1))
        await until(pilot, lambda: not app.busy, "the pause")
        state = site.store.counter_states()[1]
        assert state.state == "paused"
        assert state.back_at == iso(site.clock.now() + timedelta(minutes=15))
        await until(pilot, lambda: "Lanjutkan" in str(app.screen.query_one("#key-pause")
                                                      .label), "the resume label")
        await act(pilot, how, "next")  # a paused counter calls nobody
        assert "paused" in message_of(app) and site.ticket("A001").state == "waiting"
        await act(pilot, how, "pause")
        assert site.store.counter_states()[1].state == "open"
        await act(pilot, how, "next")
        assert site.ticket("A001").state == "called"

    run_app(app, scenario)
    kinds = [(e["kind"], e["actor"]) for e in site.events("counter_paused", "counter_resumed")]
    assert kinds == [("counter_paused", NAME), ("counter_resumed", NAME)]


@pytest.mark.parametrize("how", HOW)
def test_o_signs_out_closing_the_counter(site, how):
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await act(pilot, how, "sign_out")
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the sign-in screen")
        await sign_in(pilot)  # and in again

    run_app(app, scenario)
    kinds = [e["kind"] for e in site.events("signed_in", "signed_out", "counter_opened",
                                            "counter_closed")]
    assert kinds == ["signed_in", "counter_opened", "counter_closed", "signed_out",
                     "signed_in", "counter_opened",
                     "counter_closed", "signed_out"]  # the app quit: the counter closed


def test_sign_out_with_a_patron_called_is_refused_in_plain_words(site):
    site.store.issue("A")
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await act(pilot, "key", "next")
        await act(pilot, "key", "sign_out")
        assert "A001 is still called at counter 1" in message_of(app)
        assert not isinstance(app.screen, SignInScreen)
        await act(pilot, "key", "finish")
        await act(pilot, "key", "sign_out")
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the sign-in screen")

    run_app(app, scenario)
    assert site.store.counter_states()[1].state == "closed"


def test_every_action_has_a_key_and_a_button():
    keys = [k for k, _, _ in ACTIONS]
    assert keys == list("nrsfxatcbpo")
    assert len({a for _, a, _ in ACTIONS}) == len(ACTIONS)


# -- what cannot be done -----------------------------------------------------------------


def test_impossible_actions_are_plain_messages_never_tracebacks(site):
    app = site.staff()
    expected = {
        "recall": "nothing to recall",
        "start": "nothing to start",
        "finish": "nothing to finish",
        "no_show": "nothing to mark as no-show",
        "transfer": t("en", "staff.no_current"),
        "reclassify": t("en", "staff.no_current"),
    }

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        for action, words in expected.items():
            await act(pilot, "key", action)
            assert words in message_of(app), action
            assert app.screen.query_one("#message").has_class("-trouble")
            assert isinstance(app.screen, ConsoleScreen)
        site.store.counter(1, "close")  # closed from elsewhere: this console is signed out
        await act(pilot, "key", "pause")
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the sign-in form")
        message = app.screen.query_one("#sign-in-message")
        assert both(app.languages, "staff.signed_out_closed") in str(message.content)
        assert "Traceback" not in screen_text(app)

    run_app(app, scenario)


def test_a_double_tap_on_the_same_key_acts_once(site):
    for _ in range(3):
        site.store.issue("A")
    now = [100.0]
    app = site.staff(repeat_guard_s=1.0, monotonic=lambda: now[0])

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await pilot.press("n")
        await until(pilot, lambda: not app.busy, "the call")
        await pilot.press("n")  # 0 s later: a trembling double tap
        await pilot.pause(0.2)
        assert ticket_state(site, "A001") == ("called", 1)
        now[0] += 1.5
        await pilot.press("n")
        await until(pilot, lambda: ticket_state(site, "A002")[0] == "called", "the next call")

    run_app(app, scenario)
    assert len(site.events("called")) == 2


# -- what the console shows --------------------------------------------------------------


def test_the_console_shows_services_waiting_per_class_oldest_wait_and_devices(site):
    site.store.issue("A")
    site.clock.advance(7 * 60)
    site.store.issue("A", "disabilitas")
    site.store.issue("B")
    site.store.issue("C")
    site.store.set_device("main", "printer", "paper_out", "no paper")
    site.clock.advance(3 * 60)
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        text = squeezed(screen_text(app))
        assert "Loket 1 · Counter 1" in text
        assert "A Keanggotaan, B Sirkulasi" in text  # the counter's services
        # service, waiting, priority, regular, oldest wait (10 and 3 minutes)
        assert "▶ A Keanggotaan 2 1 1 10 menit / 10 min" in text
        assert "▶ B Sirkulasi 1 0 1 3 menit / 3 min" in text
        assert "C Referensi" in text and "▶ C" not in text
        assert "⚠ Printer main: kertas habis / paper out" in text
        assert "⚠ Pengumuman suara / Announcements: mati / off" in text
        site.heartbeat("ok")
        await until(pilot, lambda: "✔ Pengumuman suara / Announcements: aktif / on"
                    in squeezed(screen_text(app)), "the announcer's heartbeat")
        site.store.set_device("main", "printer", "ok")
        await until(pilot, lambda: "✔ Printer main: siap / ready"
                    in squeezed(screen_text(app)), "the printer's state")
        site.store.set_device("announcer:lobby2", "announcer", "error", "player failed")
        devices = app.screen.query_one("#devices")
        await until(pilot, lambda: "⚠ Pengumuman suara / Announcements lobby2: galat: player "
                    "failed / error: player failed" in str(devices.content),
                    "each announcer by name")
        assert "✔ Pengumuman suara / Announcements main: aktif / on" in str(devices.content)

    run_app(app, scenario)


def test_the_current_ticket_shows_its_class_never_its_need(site):
    site.store.issue("A", "disabilitas")
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await act(pilot, "key", "next")
        site.clock.advance(4 * 60)
        await act(pilot, "key", "recall")
        await until(pilot, lambda: "4 min ago" in screen_text(app), "the time since the call")
        text = screen_text(app)
        state = str(app.screen.query_one("#current-state").content)
        assert "Prioritas / Priority" in state
        assert "A001  Dipanggil / Called" in state
        assert "dipanggil ulang 1 dari 2 kali / called again 1 of 2 times" in state
        need = site.settings.needs["disabilitas"]
        for words in (*need.label.values(), "disabilitas", need.icon):
            assert words not in text

    run_app(app, scenario)


def test_changes_made_by_another_process_appear_on_the_console(site):
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        assert "▶ B Sirkulasi 0 0 0 -" in squeezed(screen_text(app))
        site.cli("issue", "B", "--no-print")
        await until(pilot, lambda: "▶ B Sirkulasi 1 0 1" in squeezed(screen_text(app)),
                    "the new ticket in the waiting table")
        site.cli("call", "--counter", "1")  # e.g. a second console on the same counter
        await until(pilot, lambda: app.screen.query_one("#current-label", BigText).text
                    == "B001", "the call on this console")

    run_app(app, scenario)


# -- the verbs ---------------------------------------------------------------------------


def test_the_verbs_start_the_screens_on_the_configured_store(site, monkeypatch, capsys):
    from kiosk import cli
    from kiosk.announcer import Announcer
    from kiosk.ui.board import BoardApp
    from kiosk.ui.staff import StaffApp

    started: dict[str, Any] = {}
    monkeypatch.setattr(BoardApp, "run", lambda self: started.update(board=self))
    monkeypatch.setattr(StaffApp, "run", lambda self: started.update(staff=self))
    monkeypatch.setenv("KIOSK_NOW", site.clock.now().isoformat())
    config = ["--config", str(site.config_path)]

    assert cli.main(["board", "--speak", *config]) == 0
    board = started.pop("board")
    assert isinstance(board.announcer, Announcer)
    assert board.clock.now() == site.clock.now()  # KIOSK_NOW, as every verb
    assert cli.main(["board", *config]) == 0
    assert started.pop("board").announcer is None

    assert cli.main(["staff", "--counter", "3", *config]) == 0
    assert started.pop("staff").counter.id == 3
    assert cli.main(["staff", "--counter", "9", *config]) == 2
    assert "unknown counter 9 (configured: 1, 2, 3, 4)" in capsys.readouterr().err
    assert cli.main(["web", "staff", *config]) == 2  # the served console needs its counter
    assert "--counter" in capsys.readouterr().err
    monkeypatch.setenv("KIOSK_NOW", "09:00")
    assert cli.main(["board", *config]) == 2
    assert not started


def test_a_broken_store_file_is_a_plain_message_on_the_sign_in_screen(site, tmp_path):
    from kiosk import config as cfg
    from kiosk.ui.staff import StaffApp

    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database at all" * 100)
    app = StaffApp(cfg.load(site.config_path, db=broken), 1, clock=site.clock)

    async def scenario(pilot: Pilot) -> None:
        await sign_in(pilot, expect=False)
        message = app.screen.query_one("#sign-in-message")
        await until(pilot, lambda: "not a database" in str(message.content), "the message")
        assert isinstance(app.screen, SignInScreen)

    run_app(app, scenario)


def test_reads_arriving_while_the_console_closes_are_dropped(site):
    """The follower thread posts what it read at any moment, also while the app shuts
    down and its screens' widgets are already gone; those reads must be dropped quietly
    (seen once under load: NoMatches '#who' ended the app with a traceback)."""

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        app = pilot.app
        assert isinstance(app, StaffApp)
        flood_reads(app, lambda: app.view)  # the app closes as soon as this returns

    for _ in range(5):  # the window is small: close the console a few times
        run_app(site.staff(), scenario)


# -- contrast ------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", [themes.CONTRAST, themes.HIGH_CONTRAST])
def test_every_rendered_text_colour_pair_is_at_least_7_to_1_in_full_and_256_colours(
        site, theme):
    """The sign-in screen and the console with a ticket called (issue 20, point 6)."""
    site.store.issue("A")
    app = site.staff()
    failing: dict[tuple[str, str], tuple[float, str]] = {}

    def check() -> None:
        pairs = rendered_pairs(SimpleNamespace(app=app))
        assert len(pairs) >= 3  # the check saw the screen
        for pair, where in pairs.items():
            if pair_contrast(pair) < MIN_CONTRAST:
                failing[pair] = (round(pair_contrast(pair), 2), where)

    async def scenario(pilot: Pilot) -> None:
        app.theme = theme
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the sign-in screen")
        await pilot.pause()
        check()
        await signed_in_console(pilot)
        await act(pilot, "key", "next")
        await until(pilot, lambda: app.screen.query_one("#current-label", BigText).text
                    == "A001", "the current ticket on screen")
        check()

    run_app(app, scenario)
    assert not failing, failing


def test_a_fault_in_the_program_under_a_key_is_a_plain_sentence_with_the_log_file(
        site, monkeypatch):
    """What did not work, in staff's words, and which file has the details: never an
    exception's name on the counter's screen."""
    site.store.issue("A")
    app = site.staff()

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the sky fell")

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        monkeypatch.setattr(type(site.store), "call_next", broken)
        await act(pilot, "key", "next")
        await until(pilot, lambda: "program" in message_of(app), "the fault sentence")
        seen.append(message_of(app))

    seen: list[str] = []
    run_app(app, scenario)
    message = seen[0]
    log = str(site.settings.log_file("staff-1"))
    assert t("id", "staff.failed", what=t("id", "staff.key_next"), log=log) in message
    assert t("en", "staff.failed", what=t("en", "staff.key_next"), log=log) in message
    assert "RuntimeError" not in message and "sky" not in message
