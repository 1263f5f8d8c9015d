"""Icons that always render (issue 20, point 3): every icon of the shipped config, the
catalogues and the screens' code has a glyph in the fonts `kiosk serve` sends (Roboto Mono
for the grid, Debian's Noto Color Emoji and DejaVu Sans Mono for the icons), takes as many
cells in the browser's terminal as Textual gives it, and the server sends the fonts."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import httpx
import pytest

from kiosk import config as cfg
from kiosk.web.server import ICON_FONTS

from .serve_support import Served

IGNORED = {0xFE0F, 0xFE0E, 0x200D}
"""Variation selectors and the zero-width joiner: no glyph of their own."""


def fonts() -> list[Path]:
    import textual_serve

    grid = Path(textual_serve.__file__).parent / "static/fonts/RobotoMono-VariableFont_wght.ttf"
    for path, package in ICON_FONTS.values():
        if not path.exists():
            message = f"{path} is missing (apt install {package})"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
    return [grid, *(path for path, _package in ICON_FONTS.values())]


KIOSK = Path(cfg.__file__).parent


def icons() -> set[str]:
    """The config's icons and every symbol in the catalogues and the screens' code."""
    settings = cfg.load(None)
    found = {s.icon for s in settings.services} | {n.icon for n in settings.needs.values()}
    for path in [*(KIOSK / "locales").glob("*.toml"), *(KIOSK / "ui").rglob("*.py")]:
        found |= {ch for ch in path.read_text("utf-8") if ord(ch) > 0x2000
                  and unicodedata.category(ch).startswith("S")}
    return {icon for icon in found if icon}


def xterm_widths() -> dict[str, list[tuple[int, int]]]:
    """The Unicode 11 width tables of the xterm.js that textual-serve ships (and switches to
    Unicode 11): zero-width and wide ranges, below and above U+FFFF, read from its bundle."""
    import textual_serve

    bundle = (Path(textual_serve.__file__).parent / "static/js/textual.js").read_text()
    start = bundle.index("t.UnicodeV11=void 0")
    tables = re.findall(r"=(\[\[\d+,\d+\](?:,\[\d+,\d+\])*\])", bundle[start:])[:4]
    names = ("zero", "zero_high", "wide", "wide_high")
    return {name: [(int(a), int(b)) for a, b in re.findall(r"\[(\d+),(\d+)\]", table)]
            for name, table in zip(names, tables, strict=True)}


def xterm_width(ch: str, tables: dict[str, list[tuple[int, int]]]) -> int:
    """What xterm.js's UnicodeV11.wcwidth gives one character."""
    code = ord(ch)
    if code < 127:
        return int(code >= 32)

    def inside(name: str) -> bool:
        return any(a <= code <= b for a, b in tables[name])

    if code < 0x10000:
        return 0 if inside("zero") else 2 if inside("wide") else 1
    return 0 if inside("zero_high") else 2 if inside("wide_high") else 1


def face_ranges() -> dict[str, list[tuple[int, int]]]:
    """screen.css: font file name -> the code point ranges of its face."""
    css = (KIOSK / "web/static/screen.css").read_text()
    faces = {}
    for url, ranges in re.findall(r'url\("/fonts/([\w.]+)"\)[^}]*?unicode-range:([^;]+);', css):
        spans = []
        for part in ranges.replace("U+", "").split(","):
            first, _, last = part.strip().partition("-")
            spans.append((int(first, 16), int(last or first, 16)))
        faces[url] = spans
    return faces


def test_every_icon_takes_the_cells_textual_gives_it_and_comes_from_a_font_that_fits():
    """A colour emoji is two cells wide: Textual (rich) and the browser's xterm.js must agree
    that the icon takes two cells, or every cell after it on the row shifts (measured: 🪪,
    U+1FAAA, is two cells for rich and one for xterm's Unicode 11 table). A one-cell symbol
    must come from a face that fits a cell (the grid font or DejaVu Sans Mono), never from
    the emoji font, whose glyph would spill over the next cell (measured: 🖨, ✔)."""
    from fontTools.ttLib import TTFont
    from rich.cells import cell_len

    fonts()
    tables = xterm_widths()
    assert len(tables) == 4 and all(tables.values()), "xterm.js's width tables moved"
    faces = face_ranges()
    assert set(faces) == set(ICON_FONTS), faces
    grid = TTFont(fonts()[0], lazy=True).getBestCmap()
    cmaps = {name: TTFont(path, lazy=True).getBestCmap()
             for name, (path, _package) in ICON_FONTS.items()}

    def face_of(code: int) -> str:
        """The face the browser draws `code` from: the last declared whose range has it."""
        for name in reversed(list(faces)):
            if any(a <= code <= b for a, b in faces[name]) and code in cmaps[name]:
                return name
        return "grid" if code in grid else "none"

    wrong = []
    for icon in sorted(icons()):
        for ch in icon:
            if ord(ch) in IGNORED or ch.isascii():
                continue
            ours, theirs = cell_len(ch), xterm_width(ch, tables)
            face = face_of(ord(ch))
            if ours != theirs:
                wrong.append(f"{ch} U+{ord(ch):04X}: {ours} cells in Textual, {theirs} in xterm")
            elif (face == "emoji.ttf") != (ours == 2):
                wrong.append(f"{ch} U+{ord(ch):04X}: {ours} cell(s), drawn from {face}")
    assert not wrong, wrong


def test_every_icon_has_a_glyph_in_the_served_fonts():
    from fontTools.ttLib import TTFont

    cmaps = [TTFont(path, lazy=True).getBestCmap() for path in fonts()]
    missing = sorted({f"{icon} U+{ord(ch):04X} {unicodedata.name(ch, '?')}"
                      for icon in icons() for ch in icon
                      if ord(ch) not in IGNORED and not any(ord(ch) in c for c in cmaps)})
    assert not missing, missing


def test_the_server_sends_the_icons_fonts(tmp_path):
    fonts()
    served = Served(tmp_path)
    served.start()
    try:
        css = httpx.get(served.url + "/static/kiosk/screen.css").text
        for name, (path, _package) in ICON_FONTS.items():
            font = httpx.get(f"{served.url}/fonts/{name}")
            assert font.status_code == 200 and font.headers["content-type"] == "font/ttf"
            assert len(font.content) == path.stat().st_size
            assert f'url("/fonts/{name}")' in css
        assert httpx.get(served.url + "/fonts/passwd").status_code == 404
    finally:
        served.stop()
