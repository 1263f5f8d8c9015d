"""Sound as samples: 16-bit PCM, 22050 Hz, mono (what pyttsx3's espeak driver writes).

The two-tone chime is generated here (no binary asset); volume is a gain on the samples,
clipped at full scale; WAV files are written atomically and other formats read through sox.
"""

from __future__ import annotations

import contextlib
import math
import operator
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from array import array
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from kiosk.exceptions import SpeechError

SAMPLE_RATE = 22050
SAMPLE_WIDTH = 2
CHANNELS = 1
FULL_SCALE = 32768

GAP_BETWEEN_LANGUAGES_S = 0.6
"""Silence between the call in one language and the next."""
AFTER_CHIME_S = 0.25

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


CEILING_DB = -1.0
"""No sample of a levelled prompt goes above this (dBFS): the limiter's ceiling."""
LOOKAHEAD_S = 0.002
"""The limiter sees a peak this long before it and lowers the gain over that time (a
linear ramp, no click); it lets the gain back up with RELEASE_S."""
RELEASE_S = 0.05


def peak(samples: array) -> int:
    return max((abs(s) for s in samples), default=0)


def at_level(samples: array, peak_db: float) -> array:
    """The samples scaled so that their peak is `peak_db` dBFS (a prompt's loudness chosen
    by one number, whatever the voice's own level), through a look-ahead limiter at
    CEILING_DB where that would go higher: louder steps make the speech louder without
    a single clipped sample."""
    top = peak(samples)
    if not top:
        return array("h", samples)
    gain = 10 ** (peak_db / 20) * FULL_SCALE / top
    ceiling = 10 ** (CEILING_DB / 20) * FULL_SCALE
    if top * gain <= ceiling:
        return array("h", [round(s * gain) for s in samples])
    return _limited(samples, gain, ceiling)


def _limited(samples: array, gain: float, ceiling: float) -> array:
    """`samples` times `gain`, each sample's gain lowered just enough that no sample passes
    `ceiling`: the least gain any sample within the look-ahead needs (a sliding minimum),
    averaged over the look-ahead (so it ramps down and is reached at the peak itself), and
    released exponentially."""
    from collections import deque

    n = len(samples)
    ahead = max(1, round(LOOKAHEAD_S * SAMPLE_RATE))
    need = [min(gain, ceiling / abs(s)) if s else gain for s in samples]
    least = [0.0] * n  # least[i] = min(need[i .. i + ahead])
    window: deque[int] = deque()
    for i in range(n - 1, -1, -1):
        while window and need[window[-1]] >= need[i]:
            window.pop()
        window.append(i)
        while window[0] > i + ahead:
            window.popleft()
        least[i] = need[window[0]]
    release = 1 - math.exp(-1 / (RELEASE_S * SAMPLE_RATE))
    out = array("h", bytes(2 * n))
    total = gain * ahead  # the average's window starts full of the plain gain
    g = gain
    for i in range(n):
        total += least[i] - (least[i - ahead] if i >= ahead else gain)
        g = min(total / ahead, g + (gain - g) * release)
        out[i] = round(samples[i] * g)
    return out


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
    peak_db: float | None = None,
) -> array:
    """[chime] part1 gap part2 ... then (pause, the parts again) for each repeat; with gain,
    or levelled to `peak_db` (see `at_level`)."""
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
    return with_gain(out, gain) if peak_db is None else at_level(out, peak_db)
