"""The message catalogues: every key in every language, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from kiosk.config import KNOWN_LANGUAGES
from kiosk.i18n import catalogue, other_language, t


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_key_with_the_same_placeholders():
    base = catalogue("en")
    assert len(base) > 40
    for lang in KNOWN_LANGUAGES:
        cat = catalogue(lang)
        assert set(cat) == set(base), set(cat) ^ set(base)
        for key, text in cat.items():
            assert text.strip(), f"{lang}:{key} is empty"
            assert placeholders(text) == placeholders(base[key]), f"{lang}:{key}"


def test_indonesian_uses_the_standard_spelling():
    for key, text in catalogue("id").items():
        lowered = text.lower()
        for wrong in ("antrian", "nomer", "silahkan"):
            assert wrong not in lowered, f"id:{key} says {wrong!r}"


def test_lookup_and_formatting():
    assert t("id", "call.phrase", label="A dua belas", counter="Loket 3") == (
        "Nomor antrean A dua belas, silakan menuju Loket 3."
    )
    assert t("en", "ticket.wait_about", minutes=15) == "Estimated wait: about 15 minutes"
    with pytest.raises(KeyError):
        t("en", "no.such.key")
    with pytest.raises(KeyError):
        catalogue("fr")


def test_other_language_cycles():
    assert other_language(["id", "en"], "id") == "en"
    assert other_language(["id", "en"], "en") == "id"
    assert other_language(["id"], "id") == "id"
