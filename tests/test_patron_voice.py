"""The kiosk speaks to everyone who needs it (issue 21), through Textual's pilot: time enough
to listen (a screen's time counts from the end of its speech), the countdown of "Need more
time?" shown and said, the chosen service said back, the other language offered in its
own voice. (The number said twice and "printed" said after it: tests/test_patron.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from kiosk.i18n import t
from kiosk.ui.patron.more_time import MoreTimeScreen
from kiosk.ui.patron.priority import PriorityScreen
from kiosk.ui.patron.ticket import TicketScreen
from kiosk.ui.patron.welcome import WelcomeScreen

from .conftest import local
from .patron_fakes import Kit
from .test_patron import GUARD, drive, key, tick
from .test_staff_support import until


@pytest.fixture
def kit(tmp_path) -> Any:
    made = Kit(tmp_path)
    yield made
    made.close()


def speaking_when(kit: Kit, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """A switch for whether the kiosk's voice is speaking (the test's voice never plays)."""
    flag = [False]
    monkeypatch.setattr(type(kit.voice), "speaking", property(lambda _self: flag[0]))
    return flag


def test_the_ticket_stays_while_it_is_spoken_and_its_full_time_after(kit: Kit, monkeypatch):
    """Measured before: the ticket screen closed at 10 s while its Indonesian speech lasted
    10.11 s. Now its `ticket_screen_s` counts from the end of the speech."""
    speaking = speaking_when(kit, monkeypatch)

    async def scenario(pilot: Pilot) -> None:
        app = kit.app
        kit.mono.advance(GUARD)
        await key(kit, pilot, "1", "1")
        assert isinstance(app.screen, TicketScreen)
        speaking[0] = True  # a long prompt, or `0` pressed again and again
        await tick(kit, pilot, 15)
        await tick(kit, pilot, 15)
        assert isinstance(app.screen, TicketScreen)
        speaking[0] = False
        await tick(kit, pilot, kit.settings.patron.ticket_screen_s - 1)
        assert isinstance(app.screen, TicketScreen)  # at least 5 s after the speech
        await tick(kit, pilot, 1.2)
        assert isinstance(app.screen, WelcomeScreen)

    drive(kit, scenario)


def test_need_more_time_shows_its_countdown_and_says_it(kit: Kit):
    async def scenario(pilot: Pilot) -> None:
        app = kit.app
        kit.mono.advance(GUARD)
        await key(kit, pilot, "1")
        await tick(kit, pilot, kit.settings.patron.idle_s)
        assert isinstance(app.screen, MoreTimeScreen)
        total = kit.settings.patron.more_time_s
        countdown = app.screen.query_one("#countdown", Static)

        def shown() -> str:
            return str(countdown.render().plain)

        assert t("id", "common.more_time_countdown", seconds=total) in shown()
        said = t("id", "common.more_time_countdown", seconds=total)
        await until(pilot, lambda: kit.voice.spoken()[-1:] == [said], "the countdown said")
        await tick(kit, pilot, 5)
        assert t("id", "common.more_time_countdown", seconds=total - 5) in shown()
        await tick(kit, pilot, total - 5 - MoreTimeScreen.SAY_AGAIN_AT_S + 0.1)
        again = t("id", "common.more_time_countdown", seconds=MoreTimeScreen.SAY_AGAIN_AT_S)
        await until(pilot, lambda: kit.voice.spoken()[-1:] == [again], "said again at 10 s")
        assert kit.voice.spoken().count(again) == 1

    drive(kit, scenario)


def test_the_other_language_is_offered_at_once_in_its_own_voice_and_the_choice_said_back(
        kit: Kit):
    async def scenario(pilot: Pilot) -> None:
        app = kit.app
        welcome = kit.voice.log[:2]
        greeting = t("id", "welcome.greeting", site=kit.settings.site.name)
        assert [(text, lang) for text, lang, _volume in welcome] == [
            (greeting, "id"), (t("en", "language.offer"), "en")]
        kit.mono.advance(GUARD)
        await key(kit, pilot, "2")
        assert isinstance(app.screen, PriorityScreen)
        service = kit.settings.services[1].name["id"]
        chosen = t("id", "priority.chosen", service=service)
        said = kit.voice.spoken()
        assert said[said.index(chosen) + 1] == t("id", "priority.question")

    drive(kit, scenario)



def hints(kit: Kit) -> list[tuple[str, str, int]]:
    return [entry for entry in kit.voice.log if entry[0] in (
        t("id", "welcome.voice_hint"), t("en", "welcome.voice_hint"))]


def test_a_quiet_hint_tells_that_the_kiosk_speaks_while_it_waits_but_not_when_closed(kit: Kit):
    """Measured before: after the first welcome, 57 s of silence; only `0` started speech
    and that was written on screen only."""
    every = kit.settings.patron.voice_hint_s

    async def scenario(pilot: Pilot) -> None:
        await tick(kit, pilot, every - 1)
        assert hints(kit) == []
        await tick(kit, pilot, 1.2)
        quiet = kit.settings.patron.volume_step - kit.app.HINT_QUIETER
        assert hints(kit) == [(t("id", "welcome.voice_hint"), "id", quiet),
                              (t("en", "welcome.voice_hint"), "en", quiet)]
        await tick(kit, pilot, every + 0.2)
        assert len(hints(kit)) == 4  # again, every `voice_hint_s` of silence
        kit.clock.set(local(17, 0))  # closing time: no voice in an empty hall
        await kit.app.refresh_trouble()
        await tick(kit, pilot, 3 * every)
        assert len(hints(kit)) == 4

    drive(kit, scenario)


def test_a_key_the_screen_has_no_use_for_says_how_the_screen_is_used(kit: Kit):
    async def scenario(pilot: Pilot) -> None:
        kit.mono.advance(GUARD)
        before = len(kit.voice.log)
        await key(kit, pilot, "8")  # five services: 8 chooses nothing
        assert isinstance(kit.app.screen, WelcomeScreen)
        said = kit.voice.spoken()[before:]
        assert t("id", "welcome.prompt") in said and t("id", "welcome.keys_hint") in said
        before = len(kit.voice.log)
        await key(kit, pilot, "enter")  # nothing focused
        assert t("id", "welcome.prompt") in kit.voice.spoken()[before:]

    drive(kit, scenario)
