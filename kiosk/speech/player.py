"""Playing a WAV file through the configured command (`[[kiosks]].player`, e.g. aplay) and
checking its exit code: pyttsx3's own `say()` ignores it and fails silently without a
sound device.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk.exceptions import SpeechError, UsageError

PLAYER_GRACE_S = 10.0
"""A player may take this much longer than the audio before it is stopped as hung."""
LATE_S = 2.0
"""A player still running this long after its audio should have ended is late: `tick` says
so at once (an announcer's heartbeat turns to "error" while the player may yet finish)."""
PLAYED_SHARE = 0.9
"""A player that ran at least this share of the audio before failing had the sound out:
the call was heard, and is not played again (PlayedWithError)."""


class PlayedWithError(SpeechError):
    """The player failed after it had played the sound: heard, but reported as an error."""


class Player:
    """Plays a WAV file with a command (`["aplay", "-q"]` + the path) and checks its exit."""

    def __init__(self, command: Sequence[str], *, grace_s: float = PLAYER_GRACE_S) -> None:
        if not command:
            raise UsageError("the player command is empty")
        self.command = list(command)
        self.grace_s = grace_s

    def play(
        self,
        path: Path,
        *,
        audio_s: float,
        interrupt: threading.Event | None = None,
        tick: Callable[[bool], None] | None = None,
        tick_s: float = 1.0,
    ) -> bool:
        """Block until played: True; False when `interrupt` was set and playback cut.

        A player that cannot start, exits non-zero or outlives the audio by `grace_s` is a
        SpeechError naming the command and its complaint (PlayedWithError when it failed
        only after the sound was out). `tick(late)` is called every `tick_s` while it
        plays; `late` once it has run LATE_S past the audio's end."""
        argv = [*self.command, str(path)]
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True, errors="replace",
                                    start_new_session=True)
        except OSError as exc:
            raise SpeechError(
                f"player {self.command[0]!r} cannot start: {exc.strerror or exc}"
            ) from None
        started = time.monotonic()
        deadline = started + audio_s + self.grace_s
        last_tick = started
        while True:
            try:
                _, err = proc.communicate(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                now = time.monotonic()
                if interrupt is not None and interrupt.is_set():
                    self._kill(proc)
                    return False
                if now > deadline:
                    self._kill(proc)
                    raise SpeechError(
                        f"player {self.command[0]!r} did not finish {audio_s:.1f} s of audio"
                        f" within {audio_s + self.grace_s:.0f} s; stopped it"
                    ) from None
                if tick is not None and now - last_tick >= tick_s:
                    last_tick = now
                    tick(now - started > audio_s + LATE_S)
        if proc.returncode != 0:
            complaint = (err or "").strip().splitlines()
            detail = f": {complaint[-1]}" if complaint else ""
            message = (f"player {self.command[0]!r} failed with exit code"
                       f" {proc.returncode}{detail}")
            if time.monotonic() - started >= PLAYED_SHARE * audio_s:
                raise PlayedWithError(message + " (after playing the sound)")
            raise SpeechError(message)
        return True

    @staticmethod
    def _kill(proc: subprocess.Popen[str]) -> None:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=5)
