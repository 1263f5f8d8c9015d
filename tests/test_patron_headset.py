"""Private listening (issue 21, point 2; ADA 707.5): with a headset plugged into the kiosk's
jack every prompt goes to the headset player and the lobby speaker stays quiet; pulled out,
the speaker takes over again. Two stub players write what they are given as WAVs; real
espeak-ng renders the prompts; `headset_detect` is a command that looks for a file."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.exceptions import ConfigError
from kiosk.i18n import t
from kiosk.speech.voice import KioskVoice
from kiosk.store import Store
from kiosk.ui.patron import PatronApp

from .conftest import local, require_tool, write_config
from .patron_fakes import FakePrinter
from .test_speech_support import STUB
from .test_staff_support import until


def stub(tmp_path: Path, name: str) -> tuple[list[str], Path]:
    """A player command that keeps a copy of each WAV it plays in its own folder."""
    folder = tmp_path / f"{name}-played"
    folder.mkdir()
    script = tmp_path / f"{name}-player"
    script.write_text(STUB)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return ["env", f"STUB_DIR={folder}", str(script)], folder


def wavs(folder: Path) -> int:
    return len(list(folder.glob("played-*.wav")))


def test_a_plugged_headset_takes_every_prompt_and_the_speaker_takes_them_back(tmp_path):
    require_tool("espeak-ng")
    lobby, lobby_dir = stub(tmp_path, "lobby")
    headset, headset_dir = stub(tmp_path, "headset")
    plugged = tmp_path / "plugged"
    as_list = '", "'.join
    config = write_config(tmp_path, "", {
        'player = ["aplay", "-q"]          # plays a WAV file given last':
            f'player = ["{as_list(lobby)}"]\nheadset_player = ["{as_list(headset)}"]\n'
            f'headset_detect = ["test", "-e", "{plugged}"]'})
    settings = cfg.load(config)
    store = Store(settings, clock=ManualClock(local(9, 0)))
    voice = KioskVoice(settings, None, output="speaker")
    app = PatronApp(settings, store=store, printer=FakePrinter(), voice=voice, poll_s=0.2)

    async def main() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: wavs(lobby_dir) >= 1, "the welcome on the speaker", 30)
            assert wavs(headset_dir) == 0
            plugged.touch()  # a patron plugs a headset into the jack
            await until(pilot, lambda: voice.private, "the headset taken up")
            await until(pilot, lambda: wavs(headset_dir) >= 1, "a prompt in the headset", 30)
            assert voice.wait_idle(30)
            lobby_before = wavs(lobby_dir)
            app.speak(app.screen)  # `0`: the screen again, in the headset only
            assert voice.wait_idle(30)
            assert wavs(lobby_dir) == lobby_before and wavs(headset_dir) >= 2
            said = [text for text, _lang, _step in voice.log]
            assert t("id", "common.headset_on") in said
            plugged.unlink()
            await until(pilot, lambda: not voice.private, "the speaker taking over")
            assert voice.wait_idle(30)
            assert wavs(lobby_dir) == lobby_before + 1  # "headset unplugged", on the speaker

    try:
        asyncio.run(main())
    finally:
        voice.close()
        store.close()
    assert voice.errors == []


def test_without_a_headset_player_nothing_is_asked(tmp_path):
    settings = cfg.load(write_config(tmp_path))
    voice = KioskVoice(settings, None, output="none")
    assert voice.headset is None and not voice.headset_plugged()
    with pytest.raises(ConfigError, match="headset_player"):
        cfg.load(write_config(tmp_path, "", {
            'player = ["aplay", "-q"]          # plays a WAV file given last':
                'player = ["aplay", "-q"]\nheadset_player = []'}))
