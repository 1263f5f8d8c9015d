"""Message catalogues: every patron-facing string, in each language, in kiosk/locales/*.toml.

Keys are dotted (`ticket.people_ahead`); placeholders use str.format (`{n}`). A missing key
is a programming error and raises KeyError at once rather than showing a half-translated
screen; tests check that every catalogue has the same keys and placeholders.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from kiosk.config import KNOWN_LANGUAGES, Settings


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, by dotted key."""
    if lang not in KNOWN_LANGUAGES:
        raise KeyError(f"no catalogue for language {lang!r}")
    text = resources.files("kiosk").joinpath(f"locales/{lang}.toml").read_text("utf-8")
    return _flatten(tomllib.loads(text))


def t(lang: str, key: str, **values: object) -> str:
    """The message `key` in `lang`, with its placeholders filled."""
    message = catalogue(lang)[key]
    return message.format(**values) if values else message


def other_language(languages: list[str], current: str) -> str:
    """The language the `9` key switches to: the next one in the site's list."""
    if current not in languages:
        return languages[0]
    return languages[(languages.index(current) + 1) % len(languages)]


def both(languages: Sequence[str], key: str, sep: str = " / ", **values: object) -> str:
    """A catalogue message in each language, joined; said once when the languages agree."""
    return sep.join(dict.fromkeys(t(lang, key, **values) for lang in languages))


def localized(names: dict[str, str], languages: Sequence[str], sep: str = " / ") -> str:
    """A config name ({"id": ..., "en": ...}) in each language that has one, joined."""
    return sep.join(dict.fromkeys(names[lang] for lang in languages if lang in names))


def board_languages(settings: Settings) -> list[str]:
    """The board speaks to every patron: all site languages, in config order."""
    return list(dict.fromkeys(settings.site.languages))


def staff_languages(settings: Settings) -> list[str]:
    """The staff console: the site's first language, with English beside it."""
    return list(dict.fromkeys([settings.default_language, "en"]))
