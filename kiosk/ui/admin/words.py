"""The admin screen's words: the `[admin]` table of kiosk/locales/*.toml in the admin's
language, how a date and a name are shown, and key bindings that say their descriptions in
that language.

The language is one value for the process (`set_language`), not a parameter of every call:
one admin app runs per process (`kiosk admin` in a terminal; under `kiosk serve` each
browser tab gets its own app process), so the running admin's language *is* the process's.
The app sets it when it starts (the site's first language) and when `l` switches; every
word is looked up when it is drawn, so redrawing after a switch speaks the new language.
Threading a `lang` argument through every widget, table column, chart and `Range` would add
a parameter to dozens of calls and say nothing more.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from kiosk import i18n

_language = ["en"]
"""The running admin's language (a list: one mutable cell)."""


def set_language(lang: str) -> None:
    """The admin's language from now on (the app calls this: at start and on `l`)."""
    i18n.catalogue(lang)  # an unknown language fails here, not at the first word
    _language[0] = lang


def language() -> str:
    """The running admin's language (for words of another catalogue table)."""
    return _language[0]


def w(key: str, **values: Any) -> str:
    """The admin word `key` (`admin.KEY` in the catalogue) in the admin's language."""
    return i18n.t(_language[0], f"admin.{key}", **values)


def has(key: str) -> bool:
    """True when `key` is an admin word (and not, say, a Textual widget's own)."""
    return f"admin.{key}" in i18n.catalogue(_language[0])


def word(kind: str, state: str) -> str:
    """A state the store names (`open`, `no_show`, `paper_low`) as the admin word
    `KIND_STATE`; one the catalogue does not know yet is shown as the store says it."""
    key = f"{kind}_{state}"
    return w(key) if has(key) else state.replace("_", " ")


def day_text(day: date | str, *, year: bool = True) -> str:
    """A date the site's way in the admin's language: "5 Des 2026", "5 Dec 2026"."""
    return i18n.date_text(_language[0], day, year=year)


def month_name(month: int) -> str:
    """A month's short name in the admin's language (1 = January): "Des", "Dec"."""
    return i18n.month_text(_language[0], month)


def capital(text: str) -> str:
    """The first letter in capitals (a class name at the start of a chart's title)."""
    return text[:1].upper() + text[1:]


# -- key bindings ----------------------------------------------------------------------------


def bind(keys: str, action: str, word: str, *, show: bool = True) -> Binding:
    """A binding whose description is the admin word `word` (its key in the catalogue): a
    node says it in the admin's language once it takes its bindings (`say_bindings`)."""
    return Binding(keys, action, word, show=show)


def say_bindings(node: DOMNode, **words: str) -> None:
    """Give `node` its class's bindings with their descriptions said in the admin's language:
    each admin word is looked up now; `words` gives the description of an action outright
    (e.g. the language switch, named in the language it switches to). Bindings Textual's
    widgets bring (a table's cursor keys) keep theirs."""
    merged = node._merged_bindings or BindingsMap()
    said = []
    for _key, binding in merged:
        if binding.action in words:
            binding = replace(binding, description=words[binding.action])
        elif binding.description and has(binding.description):
            binding = replace(binding, description=w(binding.description))
        said.append(binding)
    node._bindings = BindingsMap(said)
    node.refresh_bindings()


# -- names ---------------------------------------------------------------------------------

NONE = "–"
VIEWS = ("today", "stats", "charts", "log")
NAME_CHARS = 14
"""Service and counter names are cut to this many characters in tables and lists."""


def named(names: dict[str, str], fallback: str) -> str:
    """A configured name ({"id": ..., "en": ...}) in the admin's language, else `fallback`
    (the name the report carries, in the site's first language)."""
    return names.get(_language[0], fallback)


def short(name: str, most: int = NAME_CHARS) -> str:
    return name if len(name) <= most else name[: most - 1].rstrip() + "…"
