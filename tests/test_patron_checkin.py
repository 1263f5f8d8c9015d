"""The appointment check-in at the kiosk (issue 26, points 3 and 6), through Textual's pilot
on a real store file with bookings made by `Store.book`: "Saya sudah punya janji / I have
an appointment" on the welcome screen, the code typed on the keypad or tapped, the ticket
with its booked time, and every refusal one plain sentence shown and said (a wrong code,
another day's, a cancelled booking, too early with a walk-in ticket instead, too late as a
walk-in, the sixth wrong code in a minute slowed). The kiosk's voice records what it says;
the store's clock (the grace, the slow-down) and the kiosk's (guards, idle, the wait) are
moved by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from kiosk.exceptions import CheckInRefused
from kiosk.i18n import refusal_text, t
from kiosk.ui.patron.checkin import CODE_LENGTH, ICON, CheckInScreen
from kiosk.ui.patron.more_time import MoreTimeScreen
from kiosk.ui.patron.priority import PriorityScreen
from kiosk.ui.patron.ticket import TicketScreen
from kiosk.ui.patron.welcome import WelcomeScreen
from kiosk.ui.patron.widgets import Banner, BigNumber, Choice

from .conftest import local
from .patron_fakes import Kit
from .test_patron import GUARD, drive, key, tap, tick, tickets

TODAY, TOMORROW = "2026-11-27", "2026-11-28"
SIX = CODE_LENGTH
NUMLOCK_OFF = {"1": "end", "2": "down", "3": "pagedown", "4": "left", "5": "kp_begin",
               "6": "right", "7": "home", "8": "up", "9": "pageup", "0": "insert"}
"""What a numpad sends for each digit with NumLock off."""


@pytest.fixture
def make_kit(tmp_path: Path):
    made: list[Kit] = []

    def make(**options) -> Kit:
        folder = tmp_path / str(len(made))
        folder.mkdir()
        made.append(Kit(folder, **options))
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.fixture
def kit(make_kit) -> Kit:
    return make_kit()


def book(kit: Kit, start: str, day: str = TODAY, need: str | None = None) -> str:
    """A booking for Keanggotaan (A) made the way the /book page makes it: its code."""
    return kit.store.book("A", day, start, need)[2]


def wrong_code(*taken: str) -> str:
    return next(c for c in ("123456", "654321", "111111") if c not in taken)


def banner(kit: Kit) -> Banner:
    return kit.app.screen.query_one("#checkin-message", Banner)


def shown_code(kit: Kit) -> str:
    return str(kit.app.screen.query_one("#code", Static).render().plain)


def booking_line(kit: Kit) -> Static:
    return kit.app.screen.query_one("#booking", Static)


async def open_check_in(kit: Kit, pilot: Pilot) -> CheckInScreen:
    kit.mono.advance(GUARD)
    await key(kit, pilot, "6")
    screen = kit.app.screen
    assert isinstance(screen, CheckInScreen)
    return screen


def typed(lang: str = "id") -> list[str]:
    """What typing a whole code says on the lobby's speaker: places, never digits."""
    return [t(lang, "checkin.typed", n=n, total=SIX) for n in range(1, SIX + 1)] + [
        t(lang, "checkin.complete", total=SIX)]


# -- the welcome screen's choice -----------------------------------------------------------


def test_the_welcome_screen_offers_the_appointment_on_the_next_key(kit: Kit):
    async def scenario(pilot: Pilot) -> None:
        choice = kit.app.screen.query_one("#checkin", Choice)
        assert (choice.number, choice.icon) == ("6", ICON)
        assert choice.label == "Saya sudah punya janji"
        assert t("id", "checkin.choice_detail") in choice.render().plain
        said = kit.voice.spoken()
        option = t("id", "welcome.spoken_option", n=6, name="Saya sudah punya janji")
        assert said.index(option) == said.index(t("id", "welcome.keys_hint")) - 1
        kit.mono.advance(GUARD)
        await key(kit, pilot, "9")
        assert kit.app.screen.query_one("#checkin", Choice).label == "I have an appointment"

    drive(kit, scenario)


def test_without_bookings_there_is_no_such_choice(make_kit):
    kit = make_kit(replace={'services = ["A", "C"]': "services = []"})

    async def scenario(pilot: Pilot) -> None:
        assert not kit.app.screen.query("#checkin")
        kit.mono.advance(GUARD)
        before = len(kit.voice.log)
        await key(kit, pilot, "6")  # five services: 6 chooses nothing, the screen is said
        assert isinstance(kit.app.screen, WelcomeScreen)
        assert t("id", "welcome.prompt") in kit.voice.spoken()[before:]
        assert t("id", "checkin.choice") not in " ".join(kit.voice.spoken())

    drive(kit, scenario)


def test_after_an_eighth_service_the_choice_has_no_key_but_the_focus_ring_reaches_it(make_kit):
    """9 is the other language: the choice then goes without a key of its own."""
    extra = "".join(f'\n[[services]]\nprefix = "{p}"\nname = {{ id = "Layanan {p}", en ='
                    f' "Service {p}" }}\nicon = "📄"\n' for p in "FGH")
    kit = make_kit(extra=extra)

    async def scenario(pilot: Pilot) -> None:
        choice = kit.app.screen.query_one("#checkin", Choice)
        assert choice.number == "" and choice.spoken == t("id", "checkin.choice") + "."
        kit.mono.advance(GUARD)
        await key(kit, pilot, "9")  # still the other language
        assert kit.app.lang == "en"
        await key(kit, pilot, *["down"] * 5, wait=False)  # the ring, down the left column
        assert kit.app.focused is kit.app.screen.query_one("#checkin", Choice)
        await key(kit, pilot, "enter")
        assert isinstance(kit.app.screen, CheckInScreen)

    drive(kit, scenario)


def test_the_booking_page_names_the_kiosks_choice_in_its_words():
    for lang in ("id", "en"):
        hint = t(lang, "booking.code_hint", early="09:20", late="09:45")
        assert f'"{t(lang, "checkin.choice")}"' in hint, (lang, hint)


def test_when_closed_the_choice_is_not_available_after_the_last_ticket_it_is(make_kit):
    closed = make_kit(at=local(7, 30))

    async def scenario(pilot: Pilot) -> None:
        choice = closed.app.screen.query_one("#checkin", Choice)
        assert not choice.available and "✕" in choice.render().plain
        closed.mono.advance(GUARD)
        await key(closed, pilot, "6")
        assert isinstance(closed.app.screen, WelcomeScreen)
        assert closed.voice.spoken()[-1].startswith(t("id", "trouble.closed", open="08:00",
                                                      close="16:00")[:20])

    drive(closed, scenario)
    late = make_kit(at=local(15, 45))  # no more walk-in tickets; appointments still

    async def after_last(pilot: Pilot) -> None:
        assert late.app.trouble.issuing == "after_last_ticket"
        assert late.app.screen.query_one("#checkin", Choice).available
        option = t("id", "welcome.spoken_option", n=6, name=t("id", "checkin.choice"))
        assert option in late.voice.spoken()
        await open_check_in(late, pilot)

    drive(late, after_last)


# -- a good code -----------------------------------------------------------------------------


def test_a_check_in_by_keypad_alone(kit: Kit):
    code = book(kit, "09:15")
    kit.clock.set(local(9, 10))  # within the grace (from 09:05)
    heard: list[str] = []

    async def scenario(pilot: Pilot) -> None:
        app = kit.app
        screen = await open_check_in(kit, pilot)
        assert kit.voice.spoken()[-2:] == [t("id", "checkin.prompt"),
                                          t("id", "checkin.keys_hint")]
        assert shown_code(kit) == "   ".join("_" * SIX)
        start = len(kit.voice.log)
        await key(kit, pilot, *code)
        heard.extend(kit.voice.spoken()[start:])
        assert heard == typed()  # on the lobby's speaker the code is never said
        assert screen.code == code and shown_code(kit) == "   ".join(code)
        await key(kit, pilot, "enter")
        ticket = app.screen
        assert isinstance(ticket, TicketScreen)
        assert ticket.query_one("#number", BigNumber).label == "A001"
        appointment = t("id", "checkin.appointment", slot="09:15–09:30")
        assert booking_line(kit).display
        assert booking_line(kit).render().plain == f"{ICON}  {appointment}"
        said = kit.voice.spoken()
        assert said[said.index(appointment) - 1].startswith("Nomor antrean Anda A")
        assert ticket.printing == "printed" and len(kit.printer.jobs) == 1

    drive(kit, scenario)
    [row] = tickets(kit)
    assert (row["label"], row["kiosk"], row["lang"]) == ("A001", "lobby", "id")
    assert row["booking_id"] is not None and row["slot_at"] == "2026-11-27T02:15:00.000Z"
    for text in heard:  # nothing said while typing holds the code
        assert code not in re.sub(r"\D", "", text)


def test_a_check_in_by_touch_alone_in_english(kit: Kit):
    code = book(kit, "09:15")
    kit.clock.set(local(9, 5))

    async def scenario(pilot: Pilot) -> None:
        app = kit.app
        kit.mono.advance(GUARD)
        await tap(kit, pilot, "#tool-lang")
        await tap(kit, pilot, "#checkin")
        assert isinstance(app.screen, CheckInScreen)
        assert app.screen.query_one("#question", Static).render().plain == (
            "Type your appointment code: 6 digits.")
        await tap(kit, pilot, f"#digit-{code[0]}")
        await tap(kit, pilot, "#pad-delete")  # a slip of the finger, put right
        assert app.screen.code == ""
        assert kit.voice.spoken()[-1] == t("en", "checkin.deleted", n=0, total=SIX)
        for digit in code:
            await tap(kit, pilot, f"#digit-{digit}")
        await tap(kit, pilot, "#pad-confirm")
        assert isinstance(app.screen, TicketScreen)
        assert booking_line(kit).render().plain.endswith("Appointment 09:15–09:30")

    drive(kit, scenario)
    assert [(r["label"], r["lang"]) for r in tickets(kit)] == [("A001", "en")]


def test_the_numpad_types_a_code_with_numlock_off(kit: Kit):
    """End, arrows, PgUp...: the digits printed on the keys (the arrows move no focus here)."""
    code = "9870" + book(kit, "09:15")[:2]  # every key once across the two tries
    real = kit.store.bookings()[0].code

    async def scenario(pilot: Pilot) -> None:
        screen = await open_check_in(kit, pilot)
        for digits in ("123456", code[:4]):
            await key(kit, pilot, *(NUMLOCK_OFF[d] for d in digits))
            assert screen.code == digits
            await key(kit, pilot, *["minus"] * len(digits))  # `-` deletes one by one
            assert screen.code == ""
        kit.clock.set(local(9, 10))
        await key(kit, pilot, *(NUMLOCK_OFF[d] for d in real), "enter")
        assert isinstance(kit.app.screen, TicketScreen)

    drive(kit, scenario)


def test_headset_listening_hears_the_digits_and_the_code_read_back(kit: Kit):
    code = book(kit, "09:15")
    kit.voice.private = True  # a headset in the jack: only the patron hears

    async def scenario(pilot: Pilot) -> None:
        await open_check_in(kit, pilot)
        start = len(kit.voice.log)
        await key(kit, pilot, *code)
        said = kit.voice.spoken()[start:]
        assert said[:SIX] == [t("id", "checkin.typed_private", digit=d, n=n, total=SIX)
                              for n, d in enumerate(code, start=1)]
        assert said[SIX:] == [t("id", "checkin.code_private", digits=" ".join(code)),
                              t("id", "checkin.complete", total=SIX)]

    drive(kit, scenario)


# -- refusals ---------------------------------------------------------------------------------


def test_a_wrong_code_is_refused_plainly_then_the_right_one_is_taken(kit: Kit):
    code = book(kit, "09:15")
    kit.clock.set(local(9, 10))
    wrong = wrong_code(code)

    async def scenario(pilot: Pilot) -> None:
        app = kit.app
        screen = await open_check_in(kit, pilot)
        await key(kit, pilot, *wrong, "enter")
        assert app.screen is screen
        sentence = t("id", "checkin.refused.unknown")
        assert banner(kit).display and banner(kit).message == sentence
        assert banner(kit).has_class("alert") and banner(kit).render().plain.startswith("⚠")
        assert kit.voice.spoken()[-1] == sentence
        assert screen.code == "" and shown_code(kit) == "   ".join("_" * SIX)  # cleared
        await key(kit, pilot, "0")  # the first digit of the next try takes the sentence away
        assert not banner(kit).display
        await key(kit, pilot, "minus", *code, "enter")
        assert isinstance(app.screen, TicketScreen)

    drive(kit, scenario)
    assert [r["label"] for r in tickets(kit)] == ["A001"]


@pytest.mark.parametrize("case", ["other_day", "cancelled"])
def test_another_days_code_and_a_cancelled_booking_are_each_one_sentence(kit: Kit, case: str):
    if case == "other_day":
        code = book(kit, "10:00", TOMORROW)
        sentence = {"id": "Kode ini untuk hari lain: Sabtu, 28 November 2026, pukul"
                          " 10:00–10:15.",
                    "en": "This code is for another day: Saturday 28 November 2026,"
                          " 10:00–10:15."}
    else:
        _, token, code = kit.store.book("A", TODAY, "10:00")
        kit.store.cancel_booking(token)
        sentence = {lang: t(lang, "checkin.refused.cancelled", slot="10:00–10:15")
                    for lang in ("id", "en")}

    async def scenario(pilot: Pilot) -> None:
        await open_check_in(kit, pilot)
        await key(kit, pilot, *code, "enter")
        assert banner(kit).message == sentence["id"]
        assert kit.voice.spoken()[-1] == sentence["id"]
        await tap(kit, pilot, "#tool-lang")  # the sentence follows the language
        assert isinstance(kit.app.screen, CheckInScreen)
        assert banner(kit).message == sentence["en"]
        assert kit.voice.spoken()[0 - len(kit.app.screen.speech()):][0] == sentence["en"]
        await key(kit, pilot, "full_stop")  # `.`: back to the start, as on every screen
        assert isinstance(kit.app.screen, WelcomeScreen)

    drive(kit, scenario)
    assert tickets(kit) == []


def test_early_says_when_and_offers_a_walk_in_ticket_or_the_start(kit: Kit):
    code = book(kit, "09:30")  # the grace opens at 09:20; it is 09:00
    sentence = t("id", "checkin.refused.early", slot="09:30–09:45", time="09:20")

    async def scenario(pilot: Pilot) -> None:
        app = kit.app
        screen = await open_check_in(kit, pilot)
        await key(kit, pilot, *code, "enter")
        assert screen.early and banner(kit).message == sentence
        assert not app.screen.query_one("#codepad").display
        walk_in = app.screen.query_one("#walk-in", Choice)
        assert walk_in.display and walk_in.number == "1" and walk_in.detail == "Keanggotaan"
        assert kit.voice.spoken()[-4:] == [
            sentence, t("id", "welcome.spoken_option", n=1, name=t("id", "checkin.walk_in")),
            t("id", "welcome.spoken_option", n=2, name=t("id", "checkin.start_again")),
            t("id", "checkin.early_hint")]
        await key(kit, pilot, "2")  # back to the start
        assert isinstance(app.screen, WelcomeScreen)
        await open_check_in(kit, pilot)
        await key(kit, pilot, *code, "enter")
        await key(kit, pilot, "1")  # a walk-in ticket now: the service's own flow
        assert isinstance(app.screen, PriorityScreen) and app.screen.service.prefix == "A"
        await key(kit, pilot, "1")
        assert isinstance(app.screen, TicketScreen)
        assert not booking_line(kit).display  # a walk-in ticket says nothing of bookings

    drive(kit, scenario)
    [row] = tickets(kit)
    assert (row["label"], row["booking_id"], row["slot_at"]) == ("A001", None, None)
    assert kit.store.bookings()[0].state == "booked"  # the booking stays for its time


def test_late_is_a_walk_in_ticket_said_plainly(kit: Kit):
    code = book(kit, "09:15")
    kit.clock.set(local(9, 31))  # the grace ended at 09:30

    async def scenario(pilot: Pilot) -> None:
        await open_check_in(kit, pilot)
        await key(kit, pilot, *code, "enter")
        assert isinstance(kit.app.screen, TicketScreen)
        late = t("id", "checkin.late")
        assert booking_line(kit).render().plain == f"{ICON}  {late}"
        said = kit.voice.spoken()
        assert said[said.index(late) - 1].startswith("Nomor antrean Anda A")

    drive(kit, scenario)
    [row] = tickets(kit)
    assert row["booking_id"] is not None and row["slot_at"] is None


def test_the_sixth_wrong_code_in_a_minute_waits_then_the_kiosk_says_to_go_on(kit: Kit):
    code = book(kit, "09:15")
    kit.clock.set(local(9, 10))
    wrongs = [c for c in (f"{n:06d}" for n in range(1, 9)) if c != code][:5]

    async def scenario(pilot: Pilot) -> None:
        app = kit.app
        screen = await open_check_in(kit, pilot)
        for wrong in wrongs:
            await key(kit, pilot, *wrong, "enter")
            assert banner(kit).message == t("id", "checkin.refused.unknown")
        await key(kit, pilot, *code, "enter")  # even the right code waits now
        wait = t("id", "checkin.refused.slowed", seconds=60)
        assert banner(kit).message == wait and kit.voice.spoken()[-1] == wait
        pad = [c for c in app.screen.query(".pad").results(Choice)]
        assert pad and all(not c.available and c.icon == "⏳" for c in pad)
        await key(kit, pilot, "4")  # not taken; the wait said again, its seconds counted
        assert screen.code == ""
        assert kit.voice.spoken()[-1].startswith(t("id", "checkin.refused.slowed",
                                                   seconds=58)[:30])
        await tick(kit, pilot, 20)
        assert banner(kit).message == t("id", "checkin.refused.slowed", seconds=38)
        assert isinstance(app.screen, CheckInScreen)  # waiting is not idling
        kit.clock.advance(61)
        await tick(kit, pilot, 40)
        ready = t("id", "checkin.ready")
        assert kit.voice.spoken()[-1] == ready
        assert banner(kit).message == ready and not banner(kit).has_class("alert")
        assert all(c.available for c in app.screen.query(".pad").results(Choice))
        await key(kit, pilot, *code, "enter")
        assert isinstance(app.screen, TicketScreen)

    drive(kit, scenario)
    reasons = [e.detail["reason"] for e in kit.store.events_after(0)
               if e.kind == "check_in_refused"]
    assert reasons == ["unknown"] * 5


# -- keys, guards and time --------------------------------------------------------------------


def test_delete_and_back_keys(kit: Kit):
    async def scenario(pilot: Pilot) -> None:
        app = kit.app
        screen = await open_check_in(kit, pilot)
        await key(kit, pilot, "1", "2", "3", "subtract", "backspace")
        assert screen.code == "1"
        assert kit.voice.spoken()[-1] == t("id", "checkin.deleted", n=1, total=SIX)
        await key(kit, pilot, "backspace", "minus")  # `-` with nothing typed: the screen
        assert isinstance(app.screen, CheckInScreen)
        assert kit.voice.spoken()[-2:] == [t("id", "checkin.prompt"),
                                          t("id", "checkin.keys_hint")]
        await key(kit, pilot, "backspace")  # Backspace with nothing typed: back
        assert isinstance(app.screen, WelcomeScreen)
        for back in ("delete", "full_stop", "decimal"):
            await key(kit, pilot, "6", "5", back)
            assert isinstance(app.screen, WelcomeScreen), back
        await key(kit, pilot, "6")
        await tap(kit, pilot, "#tool-back")
        assert isinstance(app.screen, WelcomeScreen)

    drive(kit, scenario)


def test_enter_before_six_digits_says_how_many_and_the_screen_again(kit: Kit):
    async def scenario(pilot: Pilot) -> None:
        screen = await open_check_in(kit, pilot)
        await key(kit, pilot, "4", "2", "enter")
        assert isinstance(kit.app.screen, CheckInScreen) and screen.code == "42"
        assert kit.voice.spoken()[-3:] == [t("id", "checkin.prompt"),
                                          t("id", "checkin.keys_hint"),
                                          t("id", "checkin.incomplete", n=2, total=SIX)]
        await key(kit, pilot, "1", "1", "1", "1", "7")  # a seventh digit is not taken
        assert screen.code == "421111"
        assert kit.voice.spoken()[-1] == t("id", "checkin.complete", total=SIX)

    drive(kit, scenario)
    assert tickets(kit) == []


def test_a_trembling_second_press_types_nothing(kit: Kit):
    async def scenario(pilot: Pilot) -> None:
        kit.mono.advance(GUARD)
        await key(kit, pilot, "6", wait=False)
        screen = kit.app.screen
        assert isinstance(screen, CheckInScreen)
        kit.mono.advance(0.2)
        await key(kit, pilot, "5", wait=False)  # within the 0.4 s input guard
        kit.mono.advance(0.4)
        await key(kit, pilot, "6", wait=False)  # the same key as the choice, 0.6 s later
        assert screen.code == ""
        kit.mono.advance(0.5)
        await key(kit, pilot, "6", wait=False)  # 1.1 s: the patron heard the screen
        assert screen.code == "6"

    drive(kit, scenario)


def test_idle_asks_for_more_time_and_keeps_the_digits(kit: Kit):
    async def scenario(pilot: Pilot) -> None:
        app = kit.app
        screen = await open_check_in(kit, pilot)
        await key(kit, pilot, "3", "1")
        await tick(kit, pilot, kit.settings.patron.idle_s)
        assert isinstance(app.screen, MoreTimeScreen)
        kit.mono.advance(GUARD)
        await key(kit, pilot, "7")  # any key: more time
        assert app.screen is screen and screen.code == "31"
        assert t("id", "checkin.incomplete", n=2, total=SIX) in kit.voice.spoken()[-2:]
        await tick(kit, pilot, kit.settings.patron.idle_s)
        await tick(kit, pilot, kit.settings.patron.more_time_s + 0.5)
        assert isinstance(app.screen, WelcomeScreen)

    drive(kit, scenario)


def test_a_booking_already_checked_in_says_its_number(kit: Kit):
    """refusal_text's sentence, as `kiosk check-in` would give it: no words of the kiosk's."""
    code = book(kit, "09:15")
    kit.clock.set(local(9, 10))
    kit.store.check_in(code, kiosk="lobby")

    async def scenario(pilot: Pilot) -> None:
        await open_check_in(kit, pilot)
        await key(kit, pilot, *code, "enter")
        exc = CheckInRefused("checked_in", "", label="A001")
        assert banner(kit).message == refusal_text("id", exc)

    drive(kit, scenario)
    assert len(tickets(kit)) == 1
