"""The counter desk through the consoles (issue 17), Textual's pilot on a real store file:
two consoles on one counter, a verb on a ticket the console no longer has, the no-show
countdown, putting a no-show back with `b`, and the staff and admin screens locking when
left alone."""

from __future__ import annotations

import asyncio
import time

import pytest
from textual.pilot import Pilot

from kiosk.i18n import both
from kiosk.store import UNATTENDED_S
from kiosk.ui.admin import AdminApp
from kiosk.ui.idle_lock import LockScreen
from kiosk.ui.staff import (
    ConsoleScreen,
    RequeueDialog,
    SignInScreen,
    StaffLockScreen,
    TakeOverDialog,
)

from .conftest import require_tool
from .patron_fakes import Monotonic
from .test_staff_support import (
    NAME,
    PIN,
    SIZE,
    Site,
    message_of,
    run_app,
    screen_text,
    sign_in,
    signed_in_console,
    until,
)

OTHER, OTHER_PIN = "budi", "1357"


@pytest.fixture
def site(tmp_path):
    s = Site(tmp_path)
    s.store.staff_add(OTHER, "staff", OTHER_PIN)
    yield s
    s.close()


def test_a_second_console_is_refused_or_takes_over_and_the_first_is_told(site):
    first = site.staff(beat_s=0.1)
    second = site.staff(beat_s=0.1)

    async def main() -> None:
        async with first.run_test(size=SIZE) as one:
            await signed_in_console(one)
            async with second.run_test(size=SIZE) as two:
                await sign_in(two, OTHER, OTHER_PIN, expect=False)
                dialog = await until(two, lambda: isinstance(second.screen, TakeOverDialog)
                                     and second.screen, "the take-over question")
                assert NAME in screen_text(second)  # whose counter it is
                await two.press("escape")  # no: the form says who holds the counter
                form = await until(two, lambda: isinstance(second.screen, SignInScreen)
                                   and second.screen, "the sign-in form")
                message = form.query_one("#sign-in-message")
                await until(two, lambda: f"{NAME} is signed in at counter 1" in
                            str(message.content), "the refusal")
                assert isinstance(first.screen, ConsoleScreen)  # the first goes on
                await sign_in(two, OTHER, OTHER_PIN, expect=False)
                dialog = await until(two, lambda: isinstance(second.screen, TakeOverDialog)
                                     and second.screen, "the question again")
                await two.click("#take-over")
                await until(two, lambda: isinstance(second.screen, ConsoleScreen),
                            "the second console")
                assert dialog is not None
                # The first console learns at its next beat, and says why.
                await until(one, lambda: isinstance(first.screen, SignInScreen),
                            "the first console signed out")
                notice = str(first.screen.query_one("#sign-in-message").content)
                assert both(first.languages, "staff.signed_out_taken", name=OTHER) in notice
                assert site.store.counter_states()[1].staff == OTHER

    asyncio.run(main())
    taken = [e for e in site.events("signed_out") if e["actor"] == NAME]
    assert taken and '"taken_over_by": "budi"' in taken[0]["detail"]


def test_a_verb_on_a_ticket_the_console_no_longer_has_changes_nothing(site):
    for _ in range(3):
        site.store.issue("A")
    # A console whose screen is not refreshed by others (a slow network, say).
    app = site.staff(poll_s=3600, every_s=3600)

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await pilot.press("n")
        await until(pilot, lambda: app.shown() == "A001" and not app.busy, "A001 shown")
        site.store.call_next(1)  # elsewhere: A001 finished, A002 called
        await pilot.pause(1.1)  # past the double-tap guard
        await pilot.press("n")
        await until(pilot, lambda: not app.busy, "the refusal")
        expected = both(app.languages, "staff.moved", have="A002")
        assert expected in message_of(app)
        assert app.screen.query_one("#message").has_class("-trouble")
        await until(pilot, lambda: app.shown() == "A002", "the console refreshed")

    run_app(app, scenario)
    assert site.ticket("A002").state == "called" and site.ticket("A003").state == "waiting"


def test_the_console_counts_down_to_a_no_show_and_b_puts_it_back(site):
    for _ in range(2):
        site.store.issue("A")
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await pilot.press("n")
        await until(pilot, lambda: app.shown() == "A001", "A001 called")
        countdown = both(app.languages, "staff.no_show_in", seconds=60)
        state = app.screen.query_one("#current-state")
        await until(pilot, lambda: countdown in str(state.content), "the countdown")
        await pilot.press("x")
        await until(pilot, lambda: not app.busy, "the refusal")
        assert "a no-show can be marked in 60 s" in message_of(app)
        assert site.ticket("A001").state == "called"
        site.clock.advance(61)
        await pilot.pause(1.1)
        await pilot.press("x")
        await until(pilot, lambda: site.ticket("A001").state == "no_show", "the no-show")
        await pilot.pause(0.1)
        await pilot.press("b")  # the patron walks up after all
        dialog = await until(pilot, lambda: isinstance(app.screen, RequeueDialog)
                             and app.screen, "the requeue dialog")
        assert dialog.query_one("#requeue-label").value == "A001"
        await pilot.press("1", "enter")  # the front of the queue
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen) and not app.busy,
                    "the console")
        assert "A001" in message_of(app)

    run_app(app, scenario)
    assert site.ticket("A001").state == "waiting"
    assert site.store.call_next(1).label == "A001"  # before A002: at the front
    (event,) = site.events("requeued")
    assert event["actor"] == NAME and event["counter"] == 1


def test_the_console_locks_when_idle_and_the_counter_stays_open(site):
    mono = Monotonic()
    app = site.staff(monotonic=mono)

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        mono.advance(4 * 60)
        await pilot.pause(1.2)
        assert isinstance(app.screen, ConsoleScreen)  # 4 minutes: not yet
        mono.advance(61)
        lock = await until(pilot, lambda: isinstance(app.screen, StaffLockScreen)
                           and app.screen.query("#pin") and app.screen, "the lock", timeout=5)
        assert lock.query_one("#name").value == NAME and lock.query_one("#name").disabled
        await pilot.press("n")  # the console's keys do nothing under the lock
        assert site.store.counter_states()[1].state == "open"
        await pilot.press(*"9999", "enter")
        await until(pilot, lambda: "wrong name or PIN" in
                    str(lock.query_one("#sign-in-message").content), "the refusal")
        await pilot.press(*PIN, "enter")
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen), "unlocked")

    run_app(app, scenario)
    assert not site.events("called")


def test_the_admin_screen_locks_when_idle(site):
    site.store.staff_add("agus", "admin", "135790")
    mono = Monotonic()
    app = AdminApp(site.settings, clock=site.clock, monotonic=mono, warm_months=0)

    async def scenario(pilot: Pilot) -> None:
        app.screen.query_one("#name").value = "agus"
        app.screen.query_one("#pin").value = "135790"
        app.screen.query_one("#pin").focus()
        await pilot.press("enter")
        await until(pilot, lambda: app.admin == "agus", "signed in")
        mono.advance(5 * 60 + 1)
        lock = await until(pilot, lambda: isinstance(app.screen, LockScreen)
                           and app.screen.query("#pin") and app.screen, "the lock", timeout=5)
        assert lock.query_one("#name").value == "agus"
        await pilot.press(*"135790", "enter")
        await until(pilot, lambda: not isinstance(app.screen, LockScreen), "unlocked")

    run_app(app, scenario, (140, 45))
    assert [e["actor"] for e in site.events("unlocked")] == ["agus"]


def test_a_console_killed_without_a_word_is_closed_by_the_others(site):
    """A tab closed or a process killed runs no exit code: its heartbeats stop, and the
    next beat of another console closes its counter (issue 17: within a minute)."""
    site.store.issue("A")
    gone = site.staff(beat_s=0)  # this console never beats: as if killed at once
    other = site.staff(3, beat_s=0.1)

    async def main() -> None:
        async with gone.run_test(size=SIZE) as one:
            await signed_in_console(one)
            gone.session = None  # its exit code will not run either
        async with other.run_test(size=SIZE) as two:
            await sign_in(two, OTHER, OTHER_PIN)
            site.clock.advance(UNATTENDED_S + 1)
            await until(two, lambda: site.store.counter_states()[1].state == "closed",
                        "counter 1 closed by counter 3's console")

    asyncio.run(main())
    reasons = [e["detail"] for e in site.events("counter_closed") if e["counter"] == 1]
    assert reasons and '"unattended"' in reasons[0]


def test_a_kiosk_that_cannot_speak_is_shown_at_the_counter_and_in_status(site, tmp_path):
    """Issue 18: with no working player the kiosk was silent and only a log line said so.
    Its voice now reports to a devices row that the console and `kiosk status` show."""
    from kiosk.speech.voice import KioskVoice

    require_tool("espeak-ng")
    voice = KioskVoice(site.settings, "lobby", output="speaker",
                       player=[str(tmp_path / "no-such-player")])
    states: list[tuple[str, str | None]] = []
    voice.on_state = lambda state, detail: (
        states.append((state, detail)),
        site.store.set_device("voice:lobby", "voice", state, detail))
    try:
        voice.say("Selamat datang", "id")
        deadline = time.monotonic() + 30
        while not states and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        voice.close()
    assert states and states[0][0] == "error" and "cannot start" in (states[0][1] or "")
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        text = " ".join(screen_text(app).split())
        assert both(app.languages, "staff.voice", kiosk="lobby") in text

    run_app(app, scenario)
    status = site.cli("status")
    assert any(d["name"] == "voice:lobby" and d["state"] == "error" for d in status["devices"])
