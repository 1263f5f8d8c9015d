"""Icons that always render (issue 20, point 3): every icon of the shipped config and of
the patron catalogues has a glyph in the fonts `kiosk serve` sends (Roboto Mono for the
grid, Debian's Noto Color Emoji for the icons), and the server sends both."""

from __future__ import annotations

import os
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


def icons() -> set[str]:
    settings = cfg.load(None)
    found = {s.icon for s in settings.services} | {n.icon for n in settings.needs.values()}
    catalogue = (Path(cfg.__file__).parent / "locales").glob("*.toml")
    for path in catalogue:  # the symbols the screens put beside words
        found |= {ch for ch in path.read_text("utf-8") if ord(ch) > 0x2000
                  and unicodedata.category(ch).startswith("S")}
    found |= set("🌐✔⚠▶◀●■⏸")  # drawn by the screens themselves
    return {icon for icon in found if icon}


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
