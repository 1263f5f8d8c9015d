"""What is said aloud: the words of a call, with ticket labels spoken as a person says them.

Pure text, no audio: the engine, the chime and the player live beside this module
(kiosk/speech/), the worker that announces calls in `kiosk.announcer`.

espeak-ng reads "A012" as "a nol dua belas" (id) or "uh twelve" (en), so a label is
normalised before it reaches the engine: each letter becomes its spoken name from the
message catalogue (`speech.letter.X`), and the number becomes words by num2words
(`numbers = "words"`: "dua belas", "twelve") or one word per digit (`numbers = "digits"`:
"nol satu dua", "zero one two"). The patron's need is never an input here, so it can never
be spoken.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from num2words import num2words

from kiosk.config import Settings, alike_letters
from kiosk.i18n import t

_LABEL = re.compile(r"\s*([A-Za-z]*)[\s-]*(\d*)\s*")


def spoken_letters(letters: str, lang: str, words: str = "none",
                   own: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """Each letter by its name in `lang` ("A" -> "eh" in English); with `words` ("alike",
    "all"; [speech] letter_words) the letters that sound alike, or all, with their word
    ("B, Bunga," / "B as in Bravo,"): the site's `own` ([speech] words) or the
    catalogue's."""
    said = []
    for letter in letters.upper():
        name = t(lang, f"speech.letter.{letter}")
        if words == "all" or (words == "alike" and letter in alike_letters(lang)):
            word = (own or {}).get(letter, {}).get(lang) or t(lang, f"speech.word.{letter}")
            name = t(lang, "speech.letter_word", letter=name, word=word)
        said.append(name)
    return " ".join(said)


def spoken_number(digits: str, lang: str, numbers: str = "words") -> str:
    """ "012" -> "dua belas" / "twelve"; with numbers="digits": "nol satu dua"."""
    if not digits.isdigit():
        raise ValueError(f"not a number: {digits!r}")
    if numbers == "digits":
        return " ".join(num2words(int(digit), lang=lang) for digit in digits)
    if numbers != "words":
        raise ValueError(f'numbers must be "words" or "digits", got {numbers!r}')
    return str(num2words(int(digits), lang=lang))


def spoken_label(label: str, lang: str, numbers: str, letter_words: str = "none",
                 own: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """A ticket label as espeak-ng should say it: "A012" -> "A dua belas" / "eh twelve";
    "B012" with letter_words "alike" -> "B, Bunga, dua belas" / "B as in Bravo, twelve"."""
    match = _LABEL.fullmatch(label)
    if not match or not (match.group(1) or match.group(2)):
        raise ValueError(f"not a ticket label: {label!r}")
    letters, digits = match.groups()
    words = []
    if letters:
        words.append(spoken_letters(letters, lang, letter_words, own))
    if digits:
        words.append(spoken_number(digits, lang, numbers))
    return " ".join(words)


def said_label(settings: Settings, label: str, lang: str) -> str:
    """`label` as this site says it ([speech] numbers, letter_words, words)."""
    speech = settings.speech
    return spoken_label(label, lang, speech.numbers, speech.letter_words, speech.words)


_ACRONYM = re.compile(r"\b[A-Z]{2,5}\b")
_SLASH = re.compile(r"\s*/\s*")
_TIME_SPAN = re.compile(r"\b(\d{1,2}[:.]\d{2})\s*[–—-]\s*(\d{1,2}[:.]\d{2})\b")
"""09:30–09:45: espeak-ng drops the dash and says "nine thirty nine forty-five"."""


def for_the_ear(text: str, lang: str) -> str:
    """Shown words as a listener should hear them: "&" as "dan"/"and", an abbreviation
    letter by letter ("PPID" -> "P P I D", not one syllable "pid"), "a / b" as "a, b", a
    span of times as "09:30 sampai 09:45" / "09:30 to 09:45", and
    no symbols (espeak-ng read "✔" as "heavy check mark"). Every kiosk prompt and call goes
    through here on its way to the engine."""
    text = text.replace("&", f" {t(lang, 'speech.and')} ")
    text = _TIME_SPAN.sub(lambda m: f"{m.group(1)} {t(lang, 'speech.until')} {m.group(2)}",
                          text)
    text = _ACRONYM.sub(lambda m: spoken_letters(m.group(0), lang), text)
    text = _SLASH.sub(", ", text)
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("S")
                   or ch in "+-<>=%$")
    return " ".join(text.split())


def call_phrases(
    settings: Settings, label: str, counter_id: int, *, recall: bool = False
) -> list[tuple[str, str]]:
    """(text, lang) of a call in each site language, in config order.

    ("Nomor antrean A dua belas, silakan menuju Loket 3.", "id"), then the English one.
    The counter is named as configured ([[counters]].name); the need is never an input."""
    counter = settings.counter(counter_id)
    key = "call.recall" if recall else "call.phrase"
    return [
        (
            for_the_ear(t(lang, key, counter=counter.name[lang],
                          label=said_label(settings, label, lang)), lang),
            lang,
        )
        for lang in settings.site.languages
    ]


def voice_for(settings: Settings, lang: str) -> str:
    """The espeak-ng voice configured for a language ([speech].voices)."""
    try:
        return settings.speech.voices[lang]
    except KeyError:
        raise KeyError(f"speech.voices has no voice for language {lang!r}") from None


__all__ = ["call_phrases", "for_the_ear", "said_label", "spoken_label", "spoken_letters",
           "spoken_number", "voice_for"]
