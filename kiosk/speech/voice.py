"""The patron kiosk's voice: speak now, in a language, interrupting what was being said.

Its volume steps, the engine shared with the announcer in this process, the kiosk's player.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import DEFAULT_VOLUME_STEP, VOLUME_STEPS
from kiosk.exceptions import SpeechError, UsageError
from kiosk.speech.audio import write_wav
from kiosk.speech.engine import SpeechEngine, SynthesisRequest, render, shared_engine
from kiosk.speech.phrases import for_the_ear
from kiosk.speech.player import Player

if TYPE_CHECKING:
    from kiosk.config import Settings

log = logging.getLogger(__name__)

KIOSK_GAP_S = 0.3
"""Silence between the parts of a kiosk prompt (`say_many`)."""
STEP_DB = 3.0
"""Between two of the kiosk's VOLUME_STEPS (kiosk.config)."""
DEFAULT_PEAK_DB = -3.0
"""Where DEFAULT_VOLUME_STEP puts a prompt's peaks (dBFS): headroom at the usual level."""


def level_db(step: int) -> float:
    """The peak level (dBFS, before the limiter) of volume step `step`."""
    return DEFAULT_PEAK_DB + STEP_DB * (step - DEFAULT_VOLUME_STEP)


class KioskVoice:
    """Speak now, in a language, interrupting whatever the kiosk was saying.

    `say()` returns at once; one worker thread per voice synthesises (through this process's
    engine worker) and plays with the kiosk's player, cutting the previous prompt short.
    Output "wav" writes each prompt to speech.wav_dir/kiosk-ID-NNNNN.wav instead; "none"
    only records. Every request is recorded in `.log` as (text, lang, volume) whatever the
    output, so screen tests can assert what was spoken. Failures are logged and kept in
    `.errors`; they never reach the screen as exceptions."""

    KEEP_WAVS = 50

    def __init__(
        self,
        settings: Settings,
        kiosk_id: str | None,
        *,
        output: str | None = None,
        engine: SpeechEngine | None = None,
        player: Sequence[str] | None = None,
    ) -> None:
        self.settings = settings
        try:
            kiosk = settings.kiosk(kiosk_id)
        except KeyError:
            raise UsageError(f'unknown kiosk "{kiosk_id}"') from None
        self.kiosk_id = kiosk.id
        self.output = output or settings.speech.output
        if self.output not in ("speaker", "wav", "none"):
            raise UsageError(f'speech output must be speaker, wav or none, got "{self.output}"')
        self.player = Player(player or kiosk.player)
        self.headset = Player(kiosk.headset_player) if kiosk.headset_player else None
        """The private listening path, if this kiosk has one."""
        self.headset_detect = kiosk.headset_detect
        self.private = False
        """Prompts go to the headset (set while one is plugged in)."""
        self._engine = engine
        self._default_volume = settings.patron.volume_step
        self._volume = self._default_volume
        self.log: list[tuple[str, str, int]] = []
        """(text, language, volume step) of every request."""
        self.errors: list[str] = []
        self.requests: list[SynthesisRequest] = []
        self.wav_files: list[Path] = []
        self.played = 0
        self._cond = threading.Condition()
        self._job: tuple[int, list[tuple[str, str]], int] | None = None
        self._generation = 0
        self._busy = False
        self._closed = False
        self._interrupt = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq = itertools.count(1)
        self._tmp: Path | None = None
        self.on_state: Callable[[str, str | None], None] | None = None
        """Told "ok" or "error" (with why) whenever that changes: the kiosk writes it to
        its `voice:ID` devices row, so staff and admins see a kiosk that cannot speak."""
        self._state: str | None = None

    # -- what screens call -----------------------------------------------------------------

    @property
    def volume(self) -> int:
        """The volume step now, 1 to VOLUME_STEPS."""
        return self._volume

    def volume_up(self) -> int:
        self._volume = min(VOLUME_STEPS, self._volume + 1)
        return self._volume

    def volume_down(self) -> int:
        self._volume = max(1, self._volume - 1)
        return self._volume

    def reset_volume(self) -> int:
        """Back to the configured level: done for each new patron (EN 301 549 5.1.3.13)."""
        self._volume = self._default_volume
        return self._volume

    def say(self, text: str, lang: str) -> None:
        self.say_many([(text, lang)])

    @staticmethod
    def _words(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The parts that have words in them, as text."""
        return [(str(text), lang) for text, lang in parts if str(text).strip()]

    def say_many(self, parts: list[tuple[str, str]], *, step: int | None = None) -> None:
        """Speak the parts one after the other, cutting off what is being said now; at
        volume `step` instead of the patron's (a quiet hint)."""
        parts = self._words(parts)
        volume = self._volume if step is None else max(1, min(VOLUME_STEPS, step))
        with self._cond:
            if self._closed:
                return
            for text, lang in parts:
                self.log.append((text, lang, volume))
            self._generation += 1
            speak = bool(parts) and self.output != "none"
            self._job = (self._generation, parts, volume) if speak else None
            self._interrupt.set()
            self._cond.notify_all()
        if speak:
            self._ensure_thread()

    def say_after(self, parts: list[tuple[str, str]]) -> None:
        """Speak the parts once what is being said now has ended (without cutting it off):
        news that arrives mid-prompt, such as "your ticket is printed"."""
        parts = self._words(parts)
        with self._cond:
            if self._closed or not parts:
                return
            for text, lang in parts:
                self.log.append((text, lang, self._volume))
            if self.output == "none":
                return
            if self._job is not None:
                generation, queued, volume = self._job
                self._job = (generation, queued + parts, volume)
            else:
                self._job = (self._generation, parts, self._volume)
            self._cond.notify_all()
        self._ensure_thread()

    def headset_plugged(self) -> bool:
        """Asks `headset_detect` (exit 0: a headset is in the jack); False without one, or
        when the command fails or hangs (the lobby speaker is the safe way to be heard)."""
        if self.headset is None or not self.headset_detect:
            return False
        try:
            done = subprocess.run(self.headset_detect, capture_output=True, timeout=2)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("kiosk %s: headset_detect failed: %s", self.kiosk_id, exc)
            return False
        return done.returncode == 0

    @property
    def speaking(self) -> bool:
        """True while a prompt is being rendered or played, or waits to be."""
        with self._cond:
            return self._busy or self._job is not None

    def stop(self) -> None:
        """Silence now."""
        with self._cond:
            self._generation += 1
            self._job = None
            self._interrupt.set()
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once nothing is pending or playing (for tests and orderly shutdown)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._job is not None or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self) -> None:
        self.stop()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    # -- the worker ------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=f"voice-{self.kiosk_id}",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._job is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job, self._job = self._job, None
                assert job is not None
                self._interrupt.clear()
                self._busy = True
            try:
                self._speak(*job)
                self._tell("ok", None)
            except SpeechError as exc:
                self._failed(str(exc))
            except Exception as exc:  # a screen must never lose its voice to a bug here
                log.exception("kiosk voice failed")
                self._failed(f"{type(exc).__name__}: {exc}")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _failed(self, message: str) -> None:
        log.warning("kiosk %s could not speak: %s", self.kiosk_id, message)
        self.errors.append(message)
        self._tell("error", message)

    def _tell(self, state: str, detail: str | None) -> None:
        if state == self._state or self.on_state is None:
            return
        self._state = state
        try:
            self.on_state(state, detail)
        except Exception:  # telling staff must never cost the patron the voice
            log.exception("kiosk voice: could not report its state")

    def _current(self, generation: int) -> bool:
        return generation == self._generation and not self._closed

    def _speak(self, generation: int, parts: list[tuple[str, str]], volume: int) -> None:
        parts = [(for_the_ear(text, lang), lang) for text, lang in parts]
        engine = self._engine or shared_engine()
        speech = self.settings.speech
        rendered = render(engine, parts, voices=speech.voices, rate=speech.rate,
                          gap_s=KIOSK_GAP_S, peak_db=level_db(volume),
                          keep_going=lambda: self._current(generation))
        if rendered is None or not self._current(generation):
            return
        self.requests.extend(s.request for s in rendered.syntheses)
        if self.output == "wav":
            path = speech.wav_dir / f"kiosk-{self.kiosk_id}-{next(self._seq):05d}.wav"
            self.wav_files.append(write_wav(path, rendered.samples))
            for old in self.wav_files[: -self.KEEP_WAVS]:
                with contextlib.suppress(OSError):
                    old.unlink()
            del self.wav_files[: -self.KEEP_WAVS]
            return
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="kiosk-voice-"))
        path = write_wav(self._tmp / "prompt.wav", rendered.samples)
        player = self.headset if self.private and self.headset is not None else self.player
        if player.play(path, audio_s=rendered.duration_s, interrupt=self._interrupt):
            self.played += 1
