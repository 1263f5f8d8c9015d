"""The announcer in this process: real store files, real espeak-ng WAVs, a stub player."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.announcer import Announcer
from kiosk.clock import ManualClock
from kiosk.config import Settings
from kiosk.exceptions import SpeechError
from kiosk.rows import Ticket
from kiosk.speech.audio import AFTER_CHIME_S, chime, duration_s, read_wav
from kiosk.speech.engine import SpeechEngine
from kiosk.speech.phrases import call_phrases
from kiosk.store import Store
from kiosk.views import HEARTBEAT_STALE_S, announcements_off, announcer_state
from kiosk.views import announcer_device as device_name
from tests.conftest import local, require_tool
from tests.test_speech_support import (
    StubPlayer,
    assert_speech_wav,
    speech_settings,
    stub_on_path,
    wav_facts,
)


@pytest.fixture
def stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StubPlayer:
    return stub_on_path(tmp_path, monkeypatch)


@pytest.fixture
def espeak() -> None:
    require_tool("espeak-ng")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return speech_settings(tmp_path, output="wav")


@pytest.fixture
def store(settings: Settings, clock: ManualClock) -> Iterator[Store]:
    with Store(settings, clock=clock) as s:
        yield s


def events(store: Store, kind: str) -> list[dict]:
    rows = store.db.query("SELECT * FROM events WHERE kind = ? ORDER BY id", (kind,))
    return [{**row, "detail": json.loads(row["detail"] or "{}")} for row in rows]


def call(store: Store, service: str = "A", counter: int = 1, need: str | None = None) -> Ticket:
    store.issue(service, need)
    ticket = store.call_next(counter)
    assert ticket is not None
    return ticket


def test_a_call_becomes_one_wav_chime_then_both_languages_twice(
        espeak: None, settings: Settings, store: Store, clock: ManualClock):
    ticket = call(store, "C", counter=3)
    with Announcer(settings, clock=clock) as announcer:
        assert announcer.run_once() == 1
    (wav,) = announcer.files
    facts = assert_speech_wav(wav)
    samples = read_wav(wav)
    assert samples[: len(chime())] == chime()
    phrases = call_phrases(settings, ticket.label, 3)
    assert phrases[0] == ("Nomor antrean C, Cabai, satu, silakan menuju Loket 3.", "id")
    # the voice asked for each part, on the synthesis requests
    assert [(r.text, r.voice, r.rate) for r in announcer.requests] == [
        (phrases[0][0], "id", 140), (phrases[1][0], "en-us", 140)]
    assert [v.split("/")[-1] for v in announcer.voices_used] == ["id", "en-us"]
    (announced,) = events(store, "announced")
    assert announced["ticket_id"] == ticket.id and announced["counter"] == 3
    assert announced["detail"]["label"] == ticket.label
    assert announced["detail"]["audio_s"] == pytest.approx(facts.seconds, abs=0.01)
    assert announced["detail"]["file"] == str(wav)
    assert store.get_cursor("main") == events(store, "called")[0]["id"]


def test_repeat_and_pause_come_from_config(espeak: None, tmp_path: Path, clock: ManualClock):
    durations = {}
    for repeat in (1, 2):
        folder = tmp_path / f"r{repeat}"
        folder.mkdir()
        settings = speech_settings(folder, replace={"repeat = 2": f"repeat = {repeat}"})
        with Store(settings, clock=clock) as store:
            call(store)
        with Announcer(settings, clock=clock) as announcer:
            assert announcer.run_once() == 1
        durations[repeat] = wav_facts(announcer.files[0]).seconds
    speech_once = durations[1] - duration_s(chime()) - AFTER_CHIME_S
    assert durations[2] - durations[1] == pytest.approx(speech_once + 1.5, abs=0.05)


def test_voice_per_language_and_rate_come_from_config(
        espeak: None, tmp_path: Path, clock: ManualClock):
    settings = speech_settings(tmp_path, replace={
        'voices = { id = "id", en = "en-us" }': 'voices = { id = "ms", en = "en-us" }',
        "rate = 140": "rate = 170",
    })
    with Store(settings, clock=clock) as store:
        call(store)
    with Announcer(settings, clock=clock) as announcer:
        assert announcer.run_once() == 1
    assert [(r.lang, r.voice, r.rate) for r in announcer.requests] == [
        ("id", "ms", 170), ("en", "en-us", 170)]
    assert [v.split("/")[-1] for v in announcer.voices_used] == ["ms", "en-us"]


def test_a_recall_says_so_and_the_need_is_never_spoken(
        espeak: None, settings: Settings, store: Store, clock: ManualClock):
    call(store, need="disabilitas")
    store.recall(1)
    with Announcer(settings, clock=clock) as announcer:
        assert announcer.run_once() == 2
    texts = [r.text for r in announcer.requests]
    assert texts[2].startswith("Panggilan ulang. Nomor antrean A satu")
    assert texts[3].startswith("Calling again. Ticket number eh as in Alfa, one")
    need = settings.needs["disabilitas"].label
    for text in texts:
        for word in ("disabil", "prioritas", "priority", need["id"], need["en"]):
            assert word.lower() not in text.lower()
    assert [e["detail"]["call"] for e in events(store, "announced")] == ["called", "recalled"]


def test_never_twice_across_a_clean_restart_between_two_calls(
        espeak: None, settings: Settings, store: Store, clock: ManualClock):
    first = call(store, counter=1)
    with Announcer(settings, clock=clock) as announcer:
        assert announcer.run_once() == 1
    with Announcer(settings, clock=clock) as announcer:  # restarted: nothing new
        assert announcer.run_once() == 0
    clock.advance(30)
    second = call(store, counter=2)
    with Announcer(settings, clock=clock) as announcer:
        assert announcer.run_once() == 1
        assert announcer.requests[0].text.startswith("Nomor antrean A dua")
    announced = events(store, "announced")
    assert [e["ticket_id"] for e in announced] == [first.id, second.id]
    assert len({e["detail"]["event"] for e in announced}) == 2


def test_stale_calls_are_skipped_with_an_event_and_fresh_ones_spoken(
        espeak: None, settings: Settings, store: Store, clock: ManualClock):
    announcer = Announcer(settings, clock=clock)
    assert announcer.run_once() == 0  # running (or restarted) since before the calls
    old = call(store, counter=1)
    clock.advance(60)
    fresh = call(store, counter=2)
    clock.advance(70)  # old: 130 s > stale_call_s = 120; fresh: 70 s
    assert announcer.run_once() == 1
    announcer.close()
    (skipped,) = events(store, "announce_skipped")
    assert skipped["ticket_id"] == old.id
    assert skipped["detail"]["reason"] == "stale" and skipped["detail"]["age_s"] == 130
    (announced,) = events(store, "announced")
    assert announced["ticket_id"] == fresh.id
    assert len(announcer.files) == 1


class RunningClock:
    """Real time, starting at 09:00 in Jakarta (issuing needs opening hours)."""

    def __init__(self, start: datetime) -> None:
        self.start, self.t0 = start, time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


def test_a_call_that_goes_stale_while_another_plays_is_skipped(
        espeak: None, tmp_path: Path, stub: StubPlayer):
    """Staleness is judged when a call's turn comes, not when the batch was read."""
    settings = speech_settings(tmp_path, output="speaker",
                               replace={"stale_call_s = 120": "stale_call_s = 2"})
    clock = RunningClock(local(9, 0))
    os.environ.update(STUB_MODE="sleep", STUB_SLEEP="2.5")
    with Store(settings, clock=clock) as store, Announcer(settings, clock=clock) as announcer:
        assert announcer.run_once() == 0  # running since before the calls
        call(store, counter=1)
        call(store, counter=2)
        assert announcer.run_once() == 1
        assert [e["counter"] for e in events(store, "announced")] == [1]
        assert [e["counter"] for e in events(store, "announce_skipped")] == [2]
    assert len(stub.starts()) == 1


def test_the_speaker_output_plays_the_call_with_the_configured_player(
        espeak: None, tmp_path: Path, stub: StubPlayer, clock: ManualClock):
    settings = speech_settings(tmp_path, output="speaker")
    with Store(settings, clock=clock) as store:
        call(store)
        with Announcer(settings, clock=clock) as announcer:
            assert announcer.run_once() == 1
        (announced,) = events(store, "announced")
    (started,) = stub.starts()
    assert started.startswith("start 0 -q ") and started.endswith(".wav")
    assert stub.ends() == ["end 0"]
    facts = assert_speech_wav(stub.played(0))
    assert announced["detail"]["output"] == "speaker"
    assert announced["detail"]["audio_s"] == pytest.approx(facts.seconds, abs=0.01)
    wav_dir = settings.speech.wav_dir
    assert not wav_dir.exists() or not list(wav_dir.glob("*.wav"))  # played, not kept


def test_a_failing_player_is_reported_and_the_call_stays_pending(
        espeak: None, tmp_path: Path, stub: StubPlayer, clock: ManualClock):
    settings = speech_settings(tmp_path, output="speaker")
    os.environ["STUB_MODE"] = "fail"
    with Store(settings, clock=clock) as store:
        ticket = call(store)
        announcer = Announcer(settings, clock=clock)
        for _ in range(2):  # two tries: the failure is logged once
            with pytest.raises(SpeechError, match="exit code 1: aplay: .*audio open error"):
                announcer.run_once()
        state = announcer_state(store)
        assert state.state == "error" and "exit code 1" in state.detail
        assert announcements_off(store)
        (failed,) = events(store, "announce_failed")
        assert failed["ticket_id"] == ticket.id and "exit code 1" in failed["detail"]["error"]
        assert events(store, "announced") == []
        os.environ["STUB_MODE"] = "ok"  # the sound card is back
        assert announcer.run_once() == 1
        assert announcer_state(store).state == "ok"
        announcer.close()
        assert len(events(store, "announced")) == 1
        assert len(stub.starts()) == 3 and stub.ends() == ["end 2"]


def test_the_heartbeat_shows_ok_off_and_stale(
        espeak: None, settings: Settings, store: Store, clock: ManualClock):
    assert announcer_state(store).detail == "never started"
    announcer = Announcer(settings, clock=clock)
    announcer.run_once()
    row = store.devices()[device_name("main")]
    assert (row.kind, row.state) == ("announcer", "ok")
    assert not announcements_off(store)
    clock.advance(HEARTBEAT_STALE_S + 1)
    assert announcements_off(store)  # nothing wrote a heartbeat since: off
    announcer.close()
    assert store.devices()[device_name("main")].state == "off"
    assert "main" not in store.devices()  # a printer called "main" keeps its own row


def test_output_none_speaks_nothing_and_says_off(
        settings: Settings, store: Store, clock: ManualClock, tmp_path: Path):
    call(store)
    missing = SpeechEngine([str(tmp_path / "no-such-engine")])
    with Announcer(settings, clock=clock, output="none", engine=missing) as announcer:
        assert announcer.run_once() == 0
        assert announcer_state(store).state == "off"
    assert missing.starts == 0
    assert events(store, "announced") == [] and events(store, "announce_skipped") == []
    assert store.get_cursor("main") == events(store, "called")[0]["id"]


def test_a_new_announcer_does_not_replay_history(
        espeak: None, settings: Settings, store: Store, clock: ManualClock):
    call(store, counter=1)
    call(store, counter=2)
    clock.advance(600)
    fresh = call(store, counter=1)
    with Announcer(settings, clock=clock, name="second") as announcer:
        assert announcer.run_once() == 1
    assert [e["ticket_id"] for e in events(store, "announced")] == [fresh.id]
    assert events(store, "announce_skipped") == []  # history is not "skipped", just past


def test_a_missing_engine_is_retried_with_backoff_until_it_appears(
        espeak: None, settings: Settings, store: Store, clock: ManualClock, tmp_path: Path):
    engine_path = tmp_path / "engine"
    engine = SpeechEngine([str(engine_path)])
    announcer = Announcer(settings, clock=clock, engine=engine)
    stop = threading.Event()
    worker = threading.Thread(target=announcer.run_forever, args=(stop,), daemon=True)
    call(store)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while announcer_state(store).state != "error" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "cannot start" in announcer_state(store).detail
        time.sleep(1.6)  # a few backoff rounds: the worker keeps running
        assert worker.is_alive() and engine.starts == 0
        engine_path.write_text(f"#!/bin/sh\nexec {sys.executable} -m kiosk.speech.worker --serve\n")
        engine_path.chmod(0o755)
        while not events(store, "announced") and time.monotonic() < deadline + 10:
            time.sleep(0.05)
        assert len(events(store, "announced")) == 1
        assert announcer_state(store).state == "ok"
    finally:
        stop.set()
        worker.join(30)
        engine.close()
    assert not worker.is_alive()
    assert store.devices()[device_name("main")].state == "off"
    assert len(events(store, "announce_failed")) == 1


def test_a_wav_folder_that_cannot_be_written_is_a_reported_failure(
        espeak: None, tmp_path: Path, clock: ManualClock):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the WAV folder should be")
    settings = speech_settings(tmp_path, replace={
        'wav_dir = "data/announcements"': f'wav_dir = "{blocker}/calls"'})
    with Store(settings, clock=clock) as store:
        call(store)
        announcer = Announcer(settings, clock=clock)
        with pytest.raises(SpeechError, match="cannot write"):
            announcer.run_once()
        assert announcer_state(store).state == "error"
        assert len(events(store, "announce_failed")) == 1
        announcer.close(state=None)


def test_a_call_from_a_counter_no_longer_configured_is_skipped_not_stuck(
        espeak: None, tmp_path: Path, clock: ManualClock):
    settings = speech_settings(tmp_path)
    with Store(settings, clock=clock) as store:
        store.issue("D")
        store.call_next(4)
        store.issue("A")
        store.call_next(1)
    counter_4 = '[[counters]]\nid = 4\nname = { id = "Loket 4", en = "Counter 4" }\n' \
                'services = ["D", "E"]\n'
    smaller = speech_settings(tmp_path, replace={counter_4: ""})
    with Store(smaller, clock=clock) as store, Announcer(smaller, clock=clock) as announcer:
        assert announcer.run_once() == 1
        (skipped,) = events(store, "announce_skipped")
        assert skipped["counter"] == 4 and skipped["detail"]["reason"].startswith("cannot phrase")
        assert events(store, "announced")[0]["counter"] == 1


def test_a_call_the_counter_has_moved_on_from_is_skipped(
        espeak: None, settings: Settings, store: Store, clock: ManualClock):
    announcer = Announcer(settings, clock=clock)
    assert announcer.run_once() == 0
    store.issue("A")
    store.issue("A")
    store.issue("C")
    first = store.call_next(1)           # A001 ...
    second = store.call_next(1)          # ... finished at once by a second press: A002
    moved = store.call_next(3)           # C001, then transferred away before its turn
    store.transfer(moved.label, "D")
    clock.advance(5)
    assert announcer.run_once() == 1
    announcer.close()
    skipped = events(store, "announce_skipped")
    assert [(e["ticket_id"], e["detail"]["reason"], e["detail"]["state"]) for e in skipped] == [
        (first.id, "no longer called", "done"), (moved.id, "no longer called", "waiting")]
    (announced,) = events(store, "announced")
    assert announced["ticket_id"] == second.id


# -- a truthful announcer (issue 18) ---------------------------------------------------------


class HangingPlayer:
    """A player that is still playing long after its audio should have ended: it says so
    through `tick(late)`, as kiosk.speech.player does, and then finishes."""

    def __init__(self, states: list[str], store: Store) -> None:
        self.states = states
        self.store = store

    def play(self, path: Path, *, audio_s: float, tick: Any = None, **_: Any) -> bool:
        tick(False)
        self.states.append(f"{announcer_state(self.store).state}"
                           f" off={announcements_off(self.store)}")
        tick(True)  # LATE_S past the audio's end: nobody hears anything any more
        self.states.append(f"{announcer_state(self.store).state}"
                           f" off={announcements_off(self.store)}")
        return True


def test_a_hung_player_turns_the_heartbeat_to_error_while_it_hangs(
        espeak: None, tmp_path: Path, clock: ManualClock):
    settings = speech_settings(tmp_path, output="speaker")
    with Store(settings, clock=clock) as store:
        call(store)
        states: list[str] = []
        with Announcer(settings, clock=clock) as announcer:
            announcer.player = HangingPlayer(states, store)  # type: ignore[assignment]
            announcer.run_once()
        # Every screen says "announcements off" while it hangs (views.announcements_off).
        assert states == ["ok off=False", "error off=True"]


def test_the_player_says_late_two_seconds_after_the_audio_and_failure_after_the_sound(
        tmp_path: Path):
    from kiosk.speech.player import PlayedWithError, Player

    wav = tmp_path / "x.wav"
    wav.write_bytes(b"")
    lates: list[bool] = []
    slow = Player(["sh", "-c", "sleep 3.4", "player"], grace_s=10)
    assert slow.play(wav, audio_s=0.5, tick=lates.append, tick_s=0.5) is True
    assert lates[:4] == [False, False, False, False] and lates[-1] is True
    with pytest.raises(PlayedWithError, match="after playing the sound"):
        Player(["sh", "-c", "sleep 0.6; exit 1", "player"]).play(wav, audio_s=0.5)
    with pytest.raises(SpeechError) as early:
        Player(["sh", "-c", "exit 1", "player"]).play(wav, audio_s=2.0)
    assert not isinstance(early.value, PlayedWithError)


def test_a_player_that_fails_after_playing_does_not_loop_the_call(
        espeak: None, tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch):
    from kiosk.speech.player import PlayedWithError

    settings = speech_settings(tmp_path, output="speaker")
    plays: list[Path] = []

    def played_then_failed(self: Any, path: Path, **_: Any) -> bool:
        plays.append(path)
        raise PlayedWithError("player 'aplay' failed with exit code 1 (after playing)")

    with Store(settings, clock=clock) as store:
        call(store)
        with Announcer(settings, clock=clock) as announcer:
            monkeypatch.setattr(type(announcer.player), "play", played_then_failed)
            assert announcer.run_once() == 1
            for _ in range(5):  # later passes: the call is not replayed
                assert announcer.run_once() == 0
            assert announcer_state(store).state == "error"  # ...and the player is reported
        assert len(plays) == 1
        (announced,) = events(store, "announced")
        assert "player_error" in announced["detail"]
