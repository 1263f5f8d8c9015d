"""Message catalogues: every patron-facing string, in each language, in kiosk/locales/*.toml.

Keys are dotted (`ticket.people_ahead`); placeholders use str.format (`{n}`). A missing key
is a programming error and raises KeyError at once rather than showing a half-translated
screen; tests check that every catalogue has the same keys and placeholders.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from datetime import date, tzinfo
from functools import cache
from importlib import resources
from typing import Any

from kiosk import clock as clk
from kiosk.config import KNOWN_LANGUAGES, Settings
from kiosk.exceptions import BookingRefused, CheckInRefused


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


def wait_text(lang: str, minutes: int | None, opens_at: str | None, tz: tzinfo, *,
              short: bool = False) -> str:
    """The estimated wait in words, the one way every face says it (the kiosk, the slip,
    the board; `short` for the board's table): "less than 5 minutes", "about N minutes",
    with "a counter is expected from HH:MM" when none serves the service yet, or "not
    available now" when no counter will (kiosk.store.estimate)."""
    group = "board" if short else "ticket"
    if minutes is None:
        return t(lang, "board.wait_none" if short else "ticket.wait_unavailable")
    wait = (t(lang, f"{group}.wait_under_5") if minutes <= 0
            else t(lang, f"{group}.wait_about", minutes=minutes))
    if opens_at is None:
        return wait
    time = clk.parse(opens_at).astimezone(tz).strftime("%H:%M")
    return t(lang, f"{group}.opens_at", time=time) + ("  " if short else ". ") + wait


def ahead_text(lang: str, people: int) -> str:
    """People ahead in words, the one way the slip and the phone page say it."""
    if people <= 0:
        return t(lang, "ticket.people_ahead_none")
    if people == 1:
        return t(lang, "slip.people_ahead_one")
    return t(lang, "ticket.people_ahead", n=people)


def date_text(lang: str, day: date | str, *, year: bool = True) -> str:
    """A date as `lang` writes it, day first with the month's short name: "5 Des 2026"
    (id), "5 Dec 2026" (en); `year=False` for a chart's ticks ("5 Des"). `day` may be ISO
    text (YYYY-MM-DD). The month names are in the admin's catalogue table (`admin.months`):
    the admin screen is the one face that shows dates; the dates it asks for stay typed as
    ISO."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    month = month_text(lang, day.month)
    return f"{day.day} {month} {day.year}" if year else f"{day.day} {month}"


def day_words(lang: str, day: date | str) -> str:
    """A day in full words, as a patron reads it: "Jumat, 27 November 2026" (id),
    "Friday 27 November 2026" (en)."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return t(lang, "booking.day_words", weekday=t(lang, "booking.weekdays").split()[day.weekday()],
             day=day.day, month=t(lang, "booking.months").split()[day.month - 1], year=day.year)


def slot_words(lang: str, day: date | str, start: str, end: str) -> str:
    """A booked slot in words: "Jumat, 27 November 2026, pukul 09:30–09:45"."""
    return t(lang, "booking.slot_words", day=day_words(lang, day), start=start, end=end)


def refusal_text(lang: str, exc: BookingRefused | CheckInRefused) -> str:
    """A refused booking or check-in as the page and the kiosk say it, in `lang` (a day
    in words)."""
    group = "checkin.refused" if isinstance(exc, CheckInRefused) else "booking.refused"
    values = dict(exc.values)
    if isinstance(values.get("day"), str):
        values["day"] = day_words(lang, str(values["day"]))
    return t(lang, f"{group}.{exc.reason}", **values)


def month_text(lang: str, month: int) -> str:
    """A month's short name in `lang` (1 = January): "Des", "Dec"."""
    return t(lang, "admin.months").split()[month - 1]


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
