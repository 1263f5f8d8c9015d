"""The speech engine's worker process: `python -m kiosk.speech.worker --serve`.

It owns the one pyttsx3 engine a process may have and answers synthesis requests, one at a
time, as JSON lines on stdin/stdout (kiosk/speech/engine.py is its client and explains the
pyttsx3 traps each step below works around).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any


class _Utterance:
    """What the driver's callbacks reported for the request in progress."""

    def __init__(self) -> None:
        self.finished = threading.Event()
        self.cancelled = 0
        self.errors: list[str] = []
        self.voice: str | None = None

    def reset(self) -> None:
        self.finished.clear()
        self.cancelled = 0
        self.errors = []
        self.voice = None


def serve() -> int:
    """The worker: own one pyttsx3 engine and answer synthesis requests, one at a time."""
    channel: IO[str] = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # the driver's prints go to stderr, never into the protocol
    sys.stdout = sys.stderr

    def send(message: dict[str, Any]) -> None:
        channel.write(json.dumps(message, ensure_ascii=False) + "\n")
        channel.flush()

    try:
        import pyttsx3
        from pyttsx3.drivers import _espeak

        engine = pyttsx3.init("espeak")
    except Exception as exc:  # no libespeak-ng, no voices data...
        send({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return 1
    state = _Utterance()

    def on_start(name: object = None) -> None:
        state.voice = str(engine.getProperty("voice"))

    def on_finish(name: object = None, completed: bool = True) -> None:
        if completed:
            state.finished.set()
        else:
            state.cancelled += 1

    def on_error(name: object = None, exception: BaseException | None = None) -> None:
        state.errors.append(str(exception))

    engine.connect("started-utterance", on_start)
    engine.connect("finished-utterance", on_finish)
    engine.connect("error", on_error)

    def wait_idle(limit: float = 2.0) -> None:
        deadline = time.monotonic() + limit
        while _espeak.IsPlaying() and time.monotonic() < deadline:
            time.sleep(0.002)

    # An empty first loop: until a runAndWait has run, setProperty is only queued (the driver
    # starts busy), so the wait for idleness in once() would come before the rate is set.
    # Idle first, or this loop's stop() leaves a pending cancel for the first utterance.
    wait_idle()
    engine.runAndWait()

    def once(text: str, voice: str, rate: int, path: Path, timeout: float) -> dict[str, Any]:
        wait_idle()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        state.reset()
        engine.setProperty("voice", voice)
        engine.setProperty("rate", rate)
        wait_idle()  # else runAndWait's stop() cancels the utterance it is about to start
        engine.save_to_file(text, str(path))
        engine.runAndWait()  # may return early: the finished-utterance event decides
        if not state.finished.wait(timeout):
            return {"ok": False, "error": f"espeak-ng did not finish within {timeout:.0f} s"}
        if state.errors:
            return {"ok": False, "error": f"voice {voice!r}: {state.errors[0]}"}
        try:
            with wave.open(str(path), "rb") as wav:
                frames = wav.getnframes()
                expected = 44 + frames * wav.getsampwidth() * wav.getnchannels()
                rate_hz = wav.getframerate()
        except (OSError, EOFError, wave.Error) as exc:
            return {"ok": False, "error": f"no complete WAV from espeak-ng: {exc}"}
        if frames == 0 or path.stat().st_size < expected:
            return {"ok": False, "error": "espeak-ng wrote an empty or incomplete WAV",
                    "cancelled": state.cancelled, "retry": True}
        return {"ok": True, "voice": state.voice, "frames": frames, "rate": rate_hz,
                "cancelled": state.cancelled}

    send({"ready": True, "pid": os.getpid(), "voice": engine.getProperty("voice")})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        reply: dict[str, Any] = {}
        for _attempt in range(3):
            reply = once(request["text"], request["voice"], int(request["rate"]),
                         Path(request["path"]), float(request.get("timeout", 15)))
            if not (reply.get("retry") or (reply.get("ok") and reply.get("cancelled"))):
                break
            # A stray driver stop() cancelled this utterance: its WAV may be cut short.
            print(f"utterance {request['id']} was cancelled; synthesising again",
                  file=sys.stderr)
        reply["id"] = request["id"]
        send(reply)
    return 0



def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--serve"]:
        return serve()
    print("usage: python -m kiosk.speech.worker --serve   (the speech engine worker)",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    code = main()
    # The worker's stdin closing (its owner exited or was killed) ends serve(); exit now even
    # if the espeak driver left a non-daemon thread behind, so no orphan outlives its kiosk.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
