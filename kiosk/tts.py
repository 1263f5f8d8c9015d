"""The one speech-engine module: pyttsx3 with its espeak-ng driver, WAV assembly, playback.

**One engine, one worker.** pyttsx3's espeak driver initialises espeak-ng once per process
and keeps one global synthesis callback, so there can only be one engine per process. It
lives in a long-lived worker *process* (`python -m kiosk.tts --serve`) whose main thread owns
it and handles one request at a time (JSON lines on stdin/stdout). `SpeechEngine` is the
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

**Audio.** Every file is 16-bit PCM, 22050 Hz, mono (what pyttsx3's espeak driver writes).
The two-tone chime is generated here; volume is a gain on the samples, clipped at full scale.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import itertools
import json
import logging
import math
import operator
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import wave
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kiosk.exceptions import SpeechError, UsageError

if TYPE_CHECKING:
    from kiosk.config import Settings

log = logging.getLogger("kiosk.tts")

SAMPLE_RATE = 22050
SAMPLE_WIDTH = 2
CHANNELS = 1
FULL_SCALE = 32768

GAP_BETWEEN_LANGUAGES_S = 0.6
"""Silence between the call in one language and the next."""
AFTER_CHIME_S = 0.25
KIOSK_GAP_S = 0.3
"""Silence between the parts of a kiosk prompt (`say_many`)."""

VOLUME_STEP = 1.25
"""Each `+` on the kiosk multiplies the gain by this (about 2 dB); each `-` divides by it."""
MIN_GAIN = 0.25
MAX_GAIN = 4.0

REQUEST_TIMEOUT_S = 20.0
START_TIMEOUT_S = 20.0
PLAYER_GRACE_S = 10.0
"""A player may take this much longer than the audio before it counts as hung."""


# -- samples and WAV files -----------------------------------------------------------------


def _pcm(data: bytes) -> array:
    samples = array("h")
    samples.frombytes(data)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _bytes(samples: array) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def silence(seconds: float) -> array:
    return array("h", bytes(SAMPLE_WIDTH * round(max(0.0, seconds) * SAMPLE_RATE)))


@cache
def _chime_bytes() -> bytes:
    # A falling major third (E5 then C5), the familiar "ding-dong" of a public address: each
    # note is a sine with a quieter octave partial, a 10 ms attack and an exponential decay,
    # so it sounds like a soft bell, not a beep, and needs no binary asset.
    notes = ((659.25, 0.42), (523.25, 0.75))
    out = array("h")
    for freq, length in notes:
        count = round(length * SAMPLE_RATE)
        attack = 0.010 * SAMPLE_RATE
        for i in range(count):
            t = i / SAMPLE_RATE
            envelope = min(1.0, i / attack) * math.exp(-4.0 * t / length)
            value = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t)
            out.append(round(0.42 * FULL_SCALE * envelope * value / 1.3))
    return _bytes(out)


def chime() -> array:
    """The two-tone chime that opens every call (about 1.2 s, 22050 Hz mono)."""
    return _pcm(_chime_bytes())


def with_gain(samples: array, gain: float) -> array:
    """The samples times `gain`, clipped at full scale."""
    if abs(gain - 1.0) < 1e-9:
        return array("h", samples)
    low, high = -FULL_SCALE, FULL_SCALE - 1
    return array("h", [min(high, max(low, round(s * gain))) for s in samples])


def rms(samples: array) -> float:
    """Root mean square level, 0 (silence) to 1 (full scale)."""
    if not samples:
        return 0.0
    return math.sqrt(sum(map(operator.mul, samples, samples)) / len(samples)) / FULL_SCALE


def trim_end(samples: array, *, keep_s: float = 0.1, threshold: float = 0.01) -> array:
    """Drop trailing near-silence (espeak ends each utterance with ~0.4 s), keeping `keep_s`,
    so the pauses between parts are the ones chosen here."""
    limit = threshold * FULL_SCALE
    end = len(samples)
    while end > 0 and abs(samples[end - 1]) <= limit:
        end -= 1
    return samples[: min(len(samples), end + round(keep_s * SAMPLE_RATE))]


def duration_s(samples: array) -> float:
    return len(samples) / SAMPLE_RATE


def read_wav(path: Path) -> array:
    """A WAV file as 22050 Hz mono 16-bit samples, converting other formats with sox."""
    try:
        with wave.open(str(path), "rb") as wav:
            shape = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
            if shape == (SAMPLE_RATE, CHANNELS, SAMPLE_WIDTH):
                return _pcm(wav.readframes(wav.getnframes()))
    except (OSError, EOFError, wave.Error) as exc:
        raise SpeechError(f"cannot read {path}: {exc}") from None
    return _pcm(_converted(path, shape))


def _converted(path: Path, shape: tuple[int, int, int]) -> bytes:
    sox = shutil.which("sox")
    if sox is None:
        rate, channels, width = shape
        raise SpeechError(
            f"{path} is {rate} Hz, {channels} channel(s), {8 * width}-bit; converting it to"
            f" {SAMPLE_RATE} Hz mono 16-bit needs sox, which is not installed"
        )
    with tempfile.TemporaryDirectory(prefix="kiosk-sox-") as tmp:
        target = Path(tmp) / "converted.wav"
        done = subprocess.run(
            [sox, str(path), "-r", str(SAMPLE_RATE), "-c", str(CHANNELS), "-b", "16",
             "-e", "signed-integer", str(target)],
            capture_output=True, text=True, timeout=60, check=False,
        )
        if done.returncode != 0:
            raise SpeechError(f"sox could not convert {path}: {done.stderr.strip()[-200:]}")
        with wave.open(str(target), "rb") as wav:
            return wav.readframes(wav.getnframes())


def write_wav(path: Path, samples: array) -> Path:
    """Write 22050 Hz mono 16-bit atomically: the file appears complete or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with wave.open(str(tmp), "wb") as wav:
            wav.setnchannels(CHANNELS)
            wav.setsampwidth(SAMPLE_WIDTH)
            wav.setframerate(SAMPLE_RATE)
            wav.writeframes(_bytes(samples))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def compose(
    parts: Sequence[array],
    *,
    with_chime: bool = False,
    repeat: int = 1,
    pause_s: float = 0.0,
    gap_s: float = GAP_BETWEEN_LANGUAGES_S,
    gain: float = 1.0,
) -> array:
    """[chime] part1 gap part2 ... then (pause, the parts again) for each repeat; with gain."""
    block = array("h")
    for i, part in enumerate(parts):
        if i:
            block.extend(silence(gap_s))
        block.extend(part)
    out = array("h")
    if with_chime:
        out.extend(chime())
        out.extend(silence(AFTER_CHIME_S))
    for i in range(max(1, repeat)):
        if i:
            out.extend(silence(pause_s))
        out.extend(block)
    return with_gain(out, gain)


# -- the engine worker (the child process) -------------------------------------------------


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


def _serve() -> int:
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


# -- the engine client ---------------------------------------------------------------------


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
    return [sys.executable, "-m", "kiosk.tts", "--serve"]


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
        root = str(Path(__file__).resolve().parent.parent)
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
        hello = self._next_reply(self.start_timeout_s, "start")
        if not hello.get("ready"):
            self._stop_worker()
            raise SpeechError(f"speech engine unavailable: {hello.get('error', 'no reason')}")
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
                      repeat=repeat, pause_s=pause_s, gap_s=gap_s, gain=gain)
    return Rendered(samples, syntheses)


# -- playing -------------------------------------------------------------------------------


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


# -- the patron kiosk's voice --------------------------------------------------------------


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
        self._engine = engine
        self._default_volume = settings.speech.volume
        self._volume = self._default_volume
        self.log: list[tuple[str, str, float]] = []
        self.errors: list[str] = []
        self.requests: list[SynthesisRequest] = []
        self.wav_files: list[Path] = []
        self.played = 0
        self._cond = threading.Condition()
        self._job: tuple[int, list[tuple[str, str]], float] | None = None
        self._generation = 0
        self._busy = False
        self._closed = False
        self._interrupt = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq = itertools.count(1)
        self._tmp: Path | None = None

    # -- what screens call -----------------------------------------------------------------

    @property
    def volume(self) -> float:
        return self._volume

    def volume_up(self) -> float:
        self._volume = min(MAX_GAIN, round(self._volume * VOLUME_STEP, 4))
        return self._volume

    def volume_down(self) -> float:
        self._volume = max(MIN_GAIN, round(self._volume / VOLUME_STEP, 4))
        return self._volume

    def reset_volume(self) -> float:
        """Back to the configured level: done for each new patron (EN 301 549 5.1.3.13)."""
        self._volume = self._default_volume
        return self._volume

    def say(self, text: str, lang: str) -> None:
        self.say_many([(text, lang)])

    def say_many(self, parts: list[tuple[str, str]]) -> None:
        """Speak the parts one after the other, cutting off what is being said now."""
        parts = [(str(text), lang) for text, lang in parts if str(text).strip()]
        with self._cond:
            if self._closed:
                return
            for text, lang in parts:
                self.log.append((text, lang, self._volume))
            self._generation += 1
            speak = bool(parts) and self.output != "none"
            self._job = (self._generation, parts, self._volume) if speak else None
            self._interrupt.set()
            self._cond.notify_all()
        if speak:
            self._ensure_thread()

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

    def _current(self, generation: int) -> bool:
        return generation == self._generation and not self._closed

    def _speak(self, generation: int, parts: list[tuple[str, str]], volume: float) -> None:
        engine = self._engine or shared_engine()
        speech = self.settings.speech
        rendered = render(engine, parts, voices=speech.voices, rate=speech.rate,
                          gap_s=KIOSK_GAP_S, gain=volume,
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
        if self.player.play(path, audio_s=rendered.duration_s, interrupt=self._interrupt):
            self.played += 1


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--serve"]:
        return _serve()
    print("usage: python -m kiosk.tts --serve   (the speech engine worker)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    code = main()
    # The worker's stdin closing (its owner exited or was killed) ends _serve(); exit now even
    # if the espeak driver left a non-daemon thread behind, so no orphan outlives its kiosk.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
