"""The speech engine: pyttsx3 with its espeak-ng driver, in a worker process of its own.

**One engine, one worker.** pyttsx3's espeak driver initialises espeak-ng once per process
and keeps one global synthesis callback, so there can only be one engine per process. It
lives in a long-lived worker *process* (`python -m kiosk.speech.worker --serve`) whose main
thread owns it and handles one request at a time (JSON lines on stdin/stdout). `SpeechEngine` is the
client: it serialises requests, starts the worker on first use (then keeps it warm), and
restarts it after a crash or a hang. A native crash or hang inside espeak-ng therefore kills
or stalls only the worker, never the announcer or a screen (design §1: workers with a
timeout).

**pyttsx3 2.99 traps on Linux, and what this module does about each** (read in
pyttsx3/engine.py, driver.py and drivers/espeak.py):

- `runAndWait()` can return before espeak has finished: in the first loop the queued
  `endLoop` runs before synthesis starts, and espeak-ng synthesises on its own thread
  (AUDIO_OUTPUT_RETRIEVAL). The worker waits for `finished-utterance` with completed=True
  and then checks that the WAV file is complete.
- Every `runAndWait` runs the driver's `stop()`, which cancels whatever espeak-ng is busy
  with; setting the rate queues a command on espeak-ng's own thread, so right after
  `setProperty` espeak counts as busy and the utterance about to start is cancelled, yet
  still reported as completed, with an empty or cut WAV (seen here in 189 of 200 requests).
  The worker waits until espeak-ng is idle after setting the voice and rate, and
  synthesises again if a cancellation or an empty file shows up anyway.
- Only one `save_to_file` per `runAndWait`, and back-to-back `say()` cancels: the driver
  keeps a single pending text. One request here is exactly one `save_to_file` + one
  `runAndWait`; `say()` is never used.
- `say()` plays through `os.system("aplay ...")` and ignores its result, so it fails
  silently without a sound device. Everything is synthesised to a WAV and played by the
  configured player (`[[kiosks]].player`), whose exit code is checked (`Player`).
- An unknown voice is only reported on the `error` topic and synthesis goes on in the
  previous voice: the worker refuses the result, and reports the voice espeak-ng actually
  used when the utterance started, so tests assert the voice of every part.
- The driver prints "Audio saved to ..." on stdout: in the worker, stdout is not the
  protocol channel (the parent logs the worker's stderr at debug level).

`render()` turns (text, language) parts into one sound (kiosk/speech/audio.py assembles it).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import itertools
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.exceptions import SpeechError
from kiosk.speech.audio import GAP_BETWEEN_LANGUAGES_S, compose, duration_s, read_wav, trim_end

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 20.0
START_TIMEOUT_S = 20.0

def _plain_start_error(message: str) -> str:
    """What an operator can do about an engine that cannot start: the two faults of a
    machine without (all of) espeak-ng, from what pyttsx3 and espeak-ng say about them."""
    if "eSpeak" in message and "installed" in message:  # pyttsx3: the library did not load
        return ("speech engine unavailable: espeak-ng is not installed (libespeak-ng cannot be"
                " loaded); install it: apt install espeak-ng")
    if "espeak-ng-data" in message or "phontab" in message:  # espeak-ng exits on it
        return ("speech engine unavailable: espeak-ng's voice data is missing or damaged"
                f" ({message.rsplit(': ', 2)[-2] if ': ' in message else message});"
                " reinstall it: apt install --reinstall espeak-ng-data")
    return message


@dataclass(frozen=True)
class SynthesisRequest:
    """One request to the engine: what is asked is what tests assert."""

    text: str
    voice: str
    rate: int
    lang: str | None = None


@dataclass(frozen=True)
class Synthesis:
    request: SynthesisRequest
    samples: array
    voice_used: str
    """The voice espeak-ng reported when the utterance started (e.g. "poz/id")."""
    elapsed_s: float

    @property
    def duration_s(self) -> float:
        return duration_s(self.samples)


def _worker_command() -> list[str]:
    return [sys.executable, "-m", "kiosk.speech.worker", "--serve"]


class SpeechEngine:
    """Client of the engine worker process; thread-safe, one request at a time.

    `command` replaces the worker command (tests use it to simulate a missing or crashing
    engine). The worker starts on the first request, stays warm, and is started again on
    the next request after it died or hung; each failure is a SpeechError."""

    def __init__(
        self,
        command: Sequence[str] | None = None,
        *,
        timeout_s: float = REQUEST_TIMEOUT_S,
        start_timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        self.command = list(command) if command else _worker_command()
        self.timeout_s = timeout_s
        self.start_timeout_s = start_timeout_s
        self.requests: list[SynthesisRequest] = []
        """Every request made, in order (tests assert text and voice of each part)."""
        self.starts = 0
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._replies: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._tmp: Path | None = None  # made on first use: an unused engine leaves nothing
        self._seq = itertools.count(1)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> None:
        with self._lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self._stop_worker()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            proc = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1, env=env,
                start_new_session=True,  # a Ctrl-C on the terminal is the parent's to handle
            )
        except OSError as exc:
            raise SpeechError(
                f"speech engine cannot start ({self.command[0]}): {exc.strerror or exc}"
            ) from None
        self.starts += 1
        self._proc = proc
        self._replies = queue.Queue()
        threading.Thread(target=self._read_replies, args=(proc, self._replies),
                         name="tts-replies", daemon=True).start()
        threading.Thread(target=self._read_stderr, args=(proc,), name="tts-stderr",
                         daemon=True).start()
        try:
            hello = self._next_reply(self.start_timeout_s, "start")
        except SpeechError as exc:
            raise SpeechError(_plain_start_error(str(exc))) from None
        if not hello.get("ready"):
            self._stop_worker()
            raise SpeechError(_plain_start_error(
                f"speech engine unavailable: {hello.get('error', 'no reason')}"))
        log.info("speech engine started (pid %s, default voice %s)", proc.pid,
                 hello.get("voice"))

    @staticmethod
    def _read_replies(proc: subprocess.Popen[str], out: queue.Queue[str | None]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.put(line)
        out.put(None)

    def _read_stderr(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            line = line.rstrip()
            if line:
                if not line.startswith("Audio saved to "):
                    self._stderr.append(line)
                log.debug("engine: %s", line)

    def _next_reply(self, timeout: float, what: str) -> dict[str, Any]:
        try:
            line = self._replies.get(timeout=timeout)
        except queue.Empty:
            self._stop_worker(kill=True)
            raise SpeechError(f"speech engine hung ({what} took over {timeout:.0f} s);"
                              " it was stopped and will be started again") from None
        if line is None:
            proc = self._proc
            code: int | None = None
            if proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    code = proc.wait(timeout=5)
            self._stop_worker(kill=True)
            last = self._stderr[-1] if self._stderr else "no message"
            raise SpeechError(f"speech engine stopped (exit code {code}): {last}")
        try:
            reply: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            self._stop_worker()
            raise SpeechError(f"speech engine said something unexpected: {line[:100]!r}") from None
        return reply

    def synthesize(self, text: str, voice: str, rate: int, *, lang: str | None = None,
                   ) -> Synthesis:
        """Synthesise `text` in `voice` at `rate` words a minute; 22050 Hz mono samples."""
        request = SynthesisRequest(text, voice, int(rate), lang)
        with self._lock:
            self.requests.append(request)
            started = time.perf_counter()
            self._ensure_started()
            proc = self._proc
            assert proc is not None and proc.stdin is not None
            seq = next(self._seq)
            if self._tmp is None:
                self._tmp = Path(tempfile.mkdtemp(prefix="kiosk-tts-"))
            path = self._tmp / f"u{seq}.wav"
            message = {"id": seq, "text": text, "voice": voice, "rate": int(rate),
                       "path": str(path), "timeout": self.timeout_s}
            try:
                proc.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
                proc.stdin.flush()
            except OSError:
                pass  # the worker died; its end of stdout tells how
            reply = self._next_reply(self.timeout_s + min(5.0, self.timeout_s), "a synthesis")
            try:
                if reply.get("id") != seq:
                    self._stop_worker()
                    raise SpeechError("speech engine answered out of turn; restarted")
                if not reply.get("ok"):
                    raise SpeechError(f"synthesis failed: {reply.get('error')}")
                samples = read_wav(path)
            finally:
                with contextlib.suppress(OSError):
                    path.unlink()
            return Synthesis(request, samples, str(reply.get("voice")),
                             time.perf_counter() - started)

    def _stop_worker(self, *, kill: bool = False) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(timeout=0.1 if kill else 2)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)

    def close(self) -> None:
        with self._lock:
            self._stop_worker()
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None

    def __enter__(self) -> SpeechEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_shared: SpeechEngine | None = None
_shared_lock = threading.Lock()


def shared_engine() -> SpeechEngine:
    """This process's engine, shared by the announcer and the kiosk voice."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SpeechEngine()
            atexit.register(_shared.close)
        return _shared


@dataclass(frozen=True)
class Rendered:
    samples: array
    syntheses: list[Synthesis]

    @property
    def duration_s(self) -> float:
        return duration_s(self.samples)


def render(
    engine: SpeechEngine,
    parts: Sequence[tuple[str, str]],
    *,
    voices: dict[str, str],
    rate: int,
    with_chime: bool = False,
    repeat: int = 1,
    pause_s: float = 0.0,
    gap_s: float = GAP_BETWEEN_LANGUAGES_S,
    gain: float = 1.0,
    peak_db: float | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> Rendered | None:
    """Synthesise (text, lang) parts, each in its language's voice, into one sound.

    Returns None when `keep_going` turns false between parts (the kiosk was interrupted)."""
    syntheses = []
    for text, lang in parts:
        if keep_going is not None and not keep_going():
            return None
        try:
            voice = voices[lang]
        except KeyError:
            raise SpeechError(f"speech.voices has no voice for language {lang!r}") from None
        syntheses.append(engine.synthesize(text, voice, rate, lang=lang))
    samples = compose([trim_end(s.samples) for s in syntheses], with_chime=with_chime,
                      repeat=repeat, pause_s=pause_s, gap_s=gap_s, gain=gain, peak_db=peak_db)
    return Rendered(samples, syntheses)
