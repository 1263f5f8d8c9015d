"""Helpers for the speech and announcer tests: a config with speech settings, a stub player
first on PATH that records what would have played, and WAV measurements. The tests at the
bottom check the stub itself, so a broken stub cannot make other tests pass."""

from __future__ import annotations

import os
import stat
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk import config as cfg
from kiosk.speech.audio import chime, read_wav, rms, write_wav
from tests.conftest import write_config

RMS_FLOOR = 0.02
"""espeak-ng speech sits near 0.08-0.10 RMS of full scale; silence is 0."""

STUB = r"""#!/bin/sh
# Stub player: records its arguments and a copy of the WAV it was asked to play.
# STUB_MODE: ok (default) | fail (exit 1 like aplay without a sound card) |
#            sleep (play for STUB_SLEEP seconds) | kill-parent (crash the announcer).
dir="$STUB_DIR"
for last; do :; done
n=$(ls "$dir" | grep -c '^played-')
cp "$last" "$dir/played-$n.wav"
echo "start $n $*" >> "$dir/log"
case "${STUB_MODE:-ok}" in
  fail) echo "aplay: main:831: audio open error: No such file or directory" >&2; exit 1 ;;
  sleep) sleep "${STUB_SLEEP:-5}" ;;
  kill-parent) kill -9 "$PPID"; exit 0 ;;
esac
echo "end $n" >> "$dir/log"
exit 0
"""


@dataclass
class StubPlayer:
    bin_dir: Path
    dir: Path

    def env(self, mode: str = "ok", sleep: float = 5.0) -> dict[str, str]:
        """Environment variables for a subprocess that should find this stub as aplay."""
        return {
            "PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "STUB_DIR": str(self.dir),
            "STUB_MODE": mode,
            "STUB_SLEEP": str(sleep),
        }

    def lines(self) -> list[str]:
        log = self.dir / "log"
        return log.read_text().splitlines() if log.exists() else []

    def starts(self) -> list[str]:
        return [line for line in self.lines() if line.startswith("start ")]

    def ends(self) -> list[str]:
        return [line for line in self.lines() if line.startswith("end ")]

    def played(self, n: int) -> Path:
        return self.dir / f"played-{n}.wav"


def install_stub(tmp_path: Path, name: str = "aplay") -> StubPlayer:
    bin_dir = tmp_path / "stub-bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / "stub-played"
    record.mkdir(exist_ok=True)
    script = bin_dir / name
    script.write_text(STUB)
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return StubPlayer(bin_dir, record)


def stub_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StubPlayer:
    """The stub as `aplay`, first on PATH for this process and its children (STUB_MODE may
    then be changed in os.environ; monkeypatch restores it)."""
    player = install_stub(tmp_path)
    for key, value in player.env().items():
        monkeypatch.setenv(key, value)
    return player


def speech_config(tmp_path: Path, *, output: str = "wav", extra_speech: str = "",
                  replace: dict[str, str] | None = None) -> Path:
    """The shipped config with [speech].output set and the store/WAVs inside tmp_path."""
    changes = {'output = "speaker"': f'output = "{output}"'}
    if extra_speech:
        changes['numbers = "words"'] = f'numbers = "words"\n{extra_speech}'
    changes.update(replace or {})
    return write_config(tmp_path, replace=changes)


def speech_settings(tmp_path: Path, **kwargs: object) -> cfg.Settings:
    return cfg.load(speech_config(tmp_path, **kwargs))  # type: ignore[arg-type]


@dataclass
class WavFacts:
    rate: int
    channels: int
    width: int
    seconds: float
    rms: float


def wav_facts(path: Path) -> WavFacts:
    with wave.open(str(path), "rb") as wav:
        rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
        seconds = wav.getnframes() / rate
    return WavFacts(rate, channels, width, seconds, rms(read_wav(path)))


def assert_speech_wav(path: Path, low: float = 2.0, high: float = 30.0) -> WavFacts:
    facts = wav_facts(path)
    assert (facts.rate, facts.channels, facts.width) == (22050, 1, 2), facts
    assert low <= facts.seconds <= high, facts
    assert facts.rms > RMS_FLOOR, facts
    return facts


# -- the stub is tested too ----------------------------------------------------------------


def test_stub_records_what_would_have_played(tmp_path: Path):
    player = install_stub(tmp_path)
    wav = write_wav(tmp_path / "x.wav", chime())
    env = {**os.environ, **player.env()}
    done = subprocess.run(["aplay", "-q", str(wav)], env=env, capture_output=True, text=True)
    assert done.returncode == 0
    assert player.starts() == [f"start 0 -q {wav}"]
    assert player.ends() == ["end 0"]
    assert player.played(0).read_bytes() == wav.read_bytes()


def test_stub_fails_like_aplay_without_a_sound_card(tmp_path: Path):
    player = install_stub(tmp_path)
    wav = write_wav(tmp_path / "x.wav", chime())
    env = {**os.environ, **player.env("fail")}
    done = subprocess.run(["aplay", "-q", str(wav)], env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert "audio open error" in done.stderr
    assert player.ends() == []
