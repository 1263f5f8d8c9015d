"""How well a listener can make out the English calls: each call rendered by the real
speech path (espeak-ng through kiosk.speech, words for the ear, letter words) and scored by
an offline recogniser, PocketSphinx's US English model (from PyPI), listening with a grammar
of every possible call, as a listener who knows the form of a call does.

For each candidate English voice and each letter-word setting it renders N calls (random
prefix A-E, number 1-60, counter 1-4; a fixed seed, so every voice hears the same calls)
and prints the share whose number, whose letter and whose whole label was recognised. The
floor, in the same run: the same calls as text straight to the grammar's parser (what a
perfect listener would score; it must be 100 %, or the grammar is wrong).

    .venv/bin/python benchmarks/speech_intelligibility.py [--calls 40] [--voices en,en-us]

Needs: pip install pocketsphinx (the test extra), sox, espeak-ng. The goal (issue 21): the
number recognised in at least 90 % of English calls and the letter in at least 90 % with
the letter words on; the shipped English voice is the one that scores best here.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from num2words import num2words  # noqa: E402

from kiosk import config as cfg  # noqa: E402
from kiosk.i18n import t  # noqa: E402
from kiosk.speech.audio import write_wav  # noqa: E402
from kiosk.speech.engine import render, shared_engine  # noqa: E402
from kiosk.speech.phrases import for_the_ear, spoken_label  # noqa: E402

LETTERS = "ABCDE"
NUMBERS = range(1, 61)
COUNTERS = range(1, 5)
GOAL = 0.90


def number_words(n: int) -> str:
    return str(num2words(n, lang="en")).replace("-", " ")


def grammar() -> str:
    """JSGF: every call the site can make, in the words espeak-ng is given."""
    letters = " | ".join(t("en", f"speech.letter.{c}").lower() for c in LETTERS)
    words = " | ".join(t("en", f"speech.word.{c}").lower() for c in LETTERS)
    numbers = " | ".join(number_words(n) for n in NUMBERS)
    counters = " | ".join(number_words(n) for n in COUNTERS)
    return (
        "#JSGF V1.0;\ngrammar call;\n"
        "public <call> = ticket number <letter> [as in <word>] <number> please proceed to"
        " counter <counter>;\n"
        f"<letter> = {letters};\n<word> = {words};\n<number> = {numbers};\n"
        f"<counter> = {counters};\n"
    )


def parse(hypothesis: str) -> tuple[str | None, int | None]:
    """(letter, number) out of a recognised call, None where it is missing."""
    names = {t("en", f"speech.letter.{c}").lower(): c for c in LETTERS}
    words = {t("en", f"speech.word.{c}").lower(): c for c in LETTERS}
    match = re.match(r"ticket number (\S+)(?: as in (\S+))? (.+?) please proceed", hypothesis)
    if not match:
        return None, None
    # A listener who hears "as in Echo" knows the letter, whatever the letter sounded like.
    letter = words.get(match.group(2) or "") or names.get(match.group(1))
    numbers = {number_words(n): n for n in NUMBERS}
    return letter, numbers.get(match.group(3))


def decoder(grammar_text: str):  # type: ignore[no-untyped-def]
    from pocketsphinx import Config, Decoder

    config = Config(lm=None, jsgf=None, loglevel="FATAL")
    dec = Decoder(config)
    for word in set(re.findall(r"[a-z]+", grammar_text.split("public", 1)[1])):
        if dec.lookup_word(word) is None:
            raise SystemExit(f"the recogniser's dictionary has no {word!r}")
    dec.add_jsgf_string("call", grammar_text)
    dec.activate_search("call")
    return dec


def recognise(dec, path: Path) -> str:  # type: ignore[no-untyped-def]
    raw = subprocess.run(["sox", str(path), "-t", "raw", "-r", "16000", "-b", "16", "-c", "1",
                          "-e", "signed-integer", "-"], capture_output=True, check=True).stdout
    dec.start_utt()
    dec.process_raw(raw, full_utt=True)
    dec.end_utt()
    hyp = dec.hyp()
    return hyp.hypstr if hyp is not None else ""


def calls(count: int) -> list[tuple[str, int, int]]:
    rng = random.Random(21)
    return [(rng.choice(LETTERS), rng.choice(list(NUMBERS)), rng.choice(list(COUNTERS)))
            for _ in range(count)]


def score(voice: str, letter_words: str, plan: list[tuple[str, int, int]],
          dec, rate: int, folder: Path) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    engine = shared_engine()
    number_ok = letter_ok = both_ok = 0
    for i, (letter, number, counter) in enumerate(plan):
        label = spoken_label(f"{letter}{number:03d}", "en", "words", letter_words)
        text = for_the_ear(t("en", "call.phrase", label=label,
                             counter=f"{t('en', 'call.counter')} {counter}"), "en")
        rendered = render(engine, [(text, "en")], voices={"en": voice}, rate=rate)
        assert rendered is not None
        path = write_wav(folder / f"{voice}-{letter_words}-{i}.wav", rendered.samples)
        heard_letter, heard_number = parse(recognise(dec, path))
        number_ok += heard_number == number
        letter_ok += heard_letter == letter
        both_ok += heard_number == number and heard_letter == letter
    n = len(plan)
    return number_ok / n, letter_ok / n, both_ok / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--voices", default="en,en-us")
    parser.add_argument("--rates", default="", help="words a minute to try (default: the"
                        " configured rate and 120)")
    args = parser.parse_args()
    settings = cfg.load(None)
    rates = [int(r) for r in args.rates.split(",") if r] or sorted(
        {settings.speech.rate, 120}, reverse=True)
    text = grammar()
    dec = decoder(text)
    plan = calls(args.calls)
    # The floor: the same calls as text through the parser: a perfect listener.
    perfect = sum(parse(f"ticket number {t('en', f'speech.letter.{c}').lower()} "
                        f"{number_words(n)} please proceed to counter {number_words(k)}")
                  == (c, n) for c, n, k in plan) / len(plan)
    print(f"{len(plan)} English calls (seed 21); floor: the same calls as text through the"
          f" grammar's parser: {perfect:.0%} recognised")
    best: tuple[float, str, int] = (-1.0, "", 0)
    with tempfile.TemporaryDirectory() as tmp:
        for voice in args.voices.split(","):
            for rate in rates:
                for letter_words in ("none", "alike"):
                    number, letter, both = score(voice, letter_words, plan, dec, rate,
                                                 Path(tmp))
                    met = "met" if number >= GOAL and letter >= GOAL else "not met"
                    print(f"voice {voice:6} {rate} wpm, letter words {letter_words:5}: number"
                          f" {number:4.0%}  letter {letter:4.0%}  whole label {both:4.0%}"
                          f"  (goal {GOAL:.0%}: {met})")
                    if letter_words == "alike":
                        best = max(best, (both, voice, rate))
    print(f"best (whole label, letter words on): voice {best[1]} at {best[2]} wpm"
          f" ({best[0]:.0%}); shipped: voice {settings.speech.voices['en']} at"
          f" {settings.speech.rate} wpm")


if __name__ == "__main__":
    main()
