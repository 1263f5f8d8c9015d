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
"""A player may take this much longer than the audio before it counts as hung."""

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
        tick: Callable[[], None] | None = None,
        tick_s: float = 5.0,
    ) -> bool:
        """Block until played: True; False when `interrupt` was set and playback cut.

        A player that cannot start, exits non-zero or outlives the audio by `grace_s` is a
        SpeechError naming the command and its complaint."""
        argv = [*self.command, str(path)]
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True, errors="replace",
                                    start_new_session=True)
        except OSError as exc:
            raise SpeechError(
                f"player {self.command[0]!r} cannot start: {exc.strerror or exc}"
            ) from None
        deadline = time.monotonic() + audio_s + self.grace_s
        last_tick = time.monotonic()
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
                    tick()
        if proc.returncode != 0:
            complaint = (err or "").strip().splitlines()
            detail = f": {complaint[-1]}" if complaint else ""
            raise SpeechError(
                f"player {self.command[0]!r} failed with exit code {proc.returncode}{detail}"
            )
        return True

    @staticmethod
    def _kill(proc: subprocess.Popen[str]) -> None:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=5)
