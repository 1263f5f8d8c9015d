"""Phrases and labels as a person says them, and the audio helpers (chime, gain, formats)."""

from __future__ import annotations

import math
import re
import string
import subprocess
import wave
from array import array
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.i18n import t
from kiosk.speech.audio import (
    FULL_SCALE,
    SAMPLE_RATE,
    chime,
    compose,
    duration_s,
    read_wav,
    rms,
    silence,
    trim_end,
    with_gain,
    write_wav,
)
from kiosk.speech.phrases import (
    call_phrases,
    for_the_ear,
    spoken_label,
    spoken_letters,
    spoken_number,
)
from tests.conftest import require_tool
from tests.test_speech_support import speech_settings

# -- labels --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "lang", "numbers", "spoken"),
    [
        ("A012", "id", "words", "A dua belas"),
        ("A012", "en", "words", "eh twelve"),
        ("B101", "id", "words", "B seratus satu"),
        ("B101", "en", "words", "B one hundred and one"),
        ("I007", "en", "words", "eye seven"),
        ("A012", "id", "digits", "A nol satu dua"),
        ("A012", "en", "digits", "eh zero one two"),
        ("c-020", "id", "words", "C dua puluh"),
    ],
)
def test_spoken_label(label: str, lang: str, numbers: str, spoken: str):
    assert spoken_label(label, lang, numbers) == spoken


@pytest.mark.parametrize(("shown", "lang", "heard"), [
    ("Informasi, pengaduan & PPID", "id", "Informasi, pengaduan dan P P I D"),
    ("Reference & research help", "en", "Reference and research help"),
    ("Selamat datang di Perpustakaan Nasional RI", "id",
     "Selamat datang di Perpustakaan Nasional R I"),
    ("Ibu menyusui / membawa bayi", "id", "Ibu menyusui, membawa bayi"),
    ("Kontras tinggi ✔", "id", "Kontras tinggi"),
    ("Suara +", "id", "Suara +"),
    ("A dua belas", "id", "A dua belas"),  # a single letter stays as it is
    ("Janji temu pukul 09:30–09:45", "id", "Janji temu pukul 09:30 sampai 09:45"),
    ("Appointment 09:30–09:45", "en", "Appointment 09:30 to 09:45"),
    ("tickets are issued 08:00 - 15:30", "en", "tickets are issued 08:00 to 15:30"),
])
def test_what_is_shown_is_said_for_the_ear(shown: str, lang: str, heard: str):
    """Issue 21, point 8: espeak-ng read "&" as "tanda dan", "PPID" as one syllable "pid",
    and "✔" as "heavy check mark"."""
    assert for_the_ear(shown, lang) == heard


def test_spoken_label_refuses_what_is_not_a_label():
    for bad in ("", "A0B1", "!!"):
        with pytest.raises(ValueError):
            spoken_label(bad, "id", "words")
    with pytest.raises(ValueError):
        spoken_number("12", "en", "roman")


def test_every_letter_has_a_spoken_name_in_both_catalogues():
    for lang in ("id", "en"):
        for letter in string.ascii_uppercase:
            assert t(lang, f"speech.letter.{letter}").strip()
    assert spoken_letters("ab", "en") == "eh B"


def _phonemes(text: str, voice: str) -> str:
    done = subprocess.run(["espeak-ng", "-q", "-x", "-v", voice, text],
                          capture_output=True, text=True, check=True)
    return re.sub(r"[',_:\s-]", "", done.stdout)


def test_espeak_says_each_letter_by_its_name():
    """The oracle is espeak-ng's own letter name (a letter alone before a comma); inside a
    call, the spelled letter must sound the same. A bare "A" in English fails this (espeak
    reads it as the article, a schwa), which is why the catalogue spells it."""
    require_tool("espeak-ng")
    contexts = {"en": "Ticket number {} twelve", "id": "Nomor antrean {} dua belas"}
    for lang, context in contexts.items():
        for letter in string.ascii_uppercase:
            name = _phonemes(f"{letter},", lang)
            said = _phonemes(context.format(spoken_letters(letter, lang)), lang)
            assert name in said, (lang, letter, name, said)
    assert _phonemes("A,", "en") not in _phonemes(contexts["en"].format("A"), "en")


# -- phrases -------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return speech_settings(tmp_path)


def test_call_phrases_follow_the_catalogue_and_config(settings: Settings):
    assert call_phrases(settings, "A012", 3) == [
        ("Nomor antrean A dua belas, silakan menuju Loket 3.", "id"),
        ("Ticket number eh as in Alfa, twelve, please proceed to Counter 3.", "en"),
    ]
    assert call_phrases(settings, "A012", 3, recall=True) == [
        ("Panggilan ulang. Nomor antrean A dua belas, silakan menuju Loket 3.", "id"),
        ("Calling again. Ticket number eh as in Alfa, twelve, please proceed to Counter 3.",
         "en"),
    ]


def test_language_order_counter_names_and_digits_come_from_config(tmp_path: Path):
    settings = speech_settings(tmp_path, replace={
        'languages = ["id", "en"]': 'languages = ["en", "id"]',
        'numbers = "words"': 'numbers = "digits"',
        'name = { id = "Loket 1", en = "Counter 1" }':
            'name = { id = "Meja Informasi", en = "the information desk" }',
    })
    assert call_phrases(settings, "B007", 1) == [
        ("Ticket number B as in Bravo, zero zero seven, please proceed to the information"
         " desk.", "en"),
        ("Nomor antrean B, Bunga, nol nol tujuh, silakan menuju Meja Informasi.", "id"),
    ]


def test_an_unknown_counter_is_an_error_not_a_wrong_call(settings: Settings):
    with pytest.raises(KeyError):
        call_phrases(settings, "A001", 99)


# -- audio helpers -------------------------------------------------------------------------


def _zero_crossing_hz(samples: array) -> float:
    crossings = sum(1 for a, b in zip(samples, samples[1:], strict=False) if a < 0 <= b)
    return crossings / (len(samples) / SAMPLE_RATE)


def test_the_chime_has_two_tones_high_then_low():
    sound = chime()
    assert 0.8 < duration_s(sound) < 2.0
    rate = SAMPLE_RATE
    first = sound[int(0.02 * rate): int(0.30 * rate)]
    second = sound[int(0.45 * rate): int(0.80 * rate)]
    high, low = _zero_crossing_hz(first), _zero_crossing_hz(second)
    assert abs(high - 659) < 25, high
    assert abs(low - 523) < 25, low
    assert rms(sound) > 0.05
    assert max(abs(s) for s in sound) < FULL_SCALE  # no clipping


def test_gain_scales_the_level_and_clips_at_full_scale():
    tone = array("h", [round(8000 * math.sin(i / 5)) for i in range(5000)])
    assert rms(with_gain(tone, 2.0)) == pytest.approx(2 * rms(tone), rel=0.01)
    assert rms(with_gain(tone, 0.5)) == pytest.approx(0.5 * rms(tone), rel=0.01)
    loud = with_gain(tone, 10.0)
    assert max(loud) == 32767 and min(loud) == -32768


def test_compose_puts_the_chime_first_then_parts_gaps_and_repeats():
    part = array("h", [1000] * 2205)  # 0.1 s
    out = compose([part, part], with_chime=True, repeat=2, pause_s=1.5, gap_s=0.5)
    sound = chime()
    assert out[: len(sound)] == sound
    expected = len(sound) + 0.25 * 22050 + 2 * (2 * 2205 + 0.5 * 22050) + 1.5 * 22050
    assert len(out) == round(expected)


def test_trim_end_keeps_a_short_tail():
    sound = array("h", [5000] * 1000) + silence(1.0)
    trimmed = trim_end(sound, keep_s=0.1)
    assert len(trimmed) == 1000 + 2205


def test_write_wav_is_atomic_and_read_wav_round_trips(tmp_path: Path):
    path = write_wav(tmp_path / "sub" / "c.wav", chime())
    assert read_wav(path) == chime()
    assert [p.name for p in path.parent.iterdir()] == ["c.wav"]  # no temporary left


def test_other_formats_are_converted_to_22050_hz_mono(tmp_path: Path):
    require_tool("sox")
    source = tmp_path / "stereo16k.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "2", "-b", "16", str(source),
                    "synth", "0.5", "sine", "440"], check=True)
    samples = read_wav(source)
    assert len(samples) == pytest.approx(0.5 * 22050, abs=50)
    assert abs(_zero_crossing_hz(samples) - 440) < 10
    with wave.open(str(source)) as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (16000, 2)


def test_a_site_can_give_its_own_letter_words_and_a_spoken_service_name(tmp_path: Path):
    settings = speech_settings(tmp_path, extra_speech='words = { B = { id = "Bandung" } }',
                               replace={'name = { id = "Informasi, pengaduan & PPID"':
                                        'spoken = { id = "Layanan informasi" }\n'
                                        'name = { id = "Informasi, pengaduan & PPID"'})
    assert call_phrases(settings, "B012", 3)[0][0].startswith("Nomor antrean B, Bandung,")
    assert call_phrases(settings, "B012", 3)[1][0].startswith("Ticket number B as in Bravo,")
    service = settings.service("E")
    assert service.said("id") == "Layanan informasi"
    assert service.said("en") == service.name["en"]  # not given: said as shown
