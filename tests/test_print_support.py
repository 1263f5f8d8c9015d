"""Helpers for the printing tests (configs with a given printer table), and tests of the
ESC/POS reader the other printing tests rely on: if the reader were wrong, every slip test
would be wrong with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from escpos.printer import Dummy

from kiosk import config as cfg
from printers.decode import DecodeError, commands, next_command, read

from .conftest import write_config

SHIPPED_PRINTER = """[printers.main]
connection = "file"               # network | usb | serial | cups | file | none
path = "data/slips"
profile = "TM-T20II"
paper_width_mm = 80
timeout_s = 3
"""


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value))


def printer_config(tmp_path: Path, kiosk_printer: str | None = "main",
                   **keys: Any) -> Path:
    """The shipped config with [printers.main] replaced by `keys`."""
    table = "[printers.main]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())
    replace = {SHIPPED_PRINTER: table}
    if kiosk_printer is None:
        replace['printer = "main"                  # a [printers.NAME] table\n'] = ""
    return write_config(tmp_path, replace=replace)


def printer_settings(tmp_path: Path, **keys: Any) -> cfg.Settings:
    return cfg.load(printer_config(tmp_path, **keys))


def network(port: int, timeout_s: float = 1.0, **more: Any) -> dict[str, Any]:
    return {"connection": "network", "host": "127.0.0.1", "port": port,
            "timeout_s": timeout_s, "profile": "TM-T20II", **more}


# -- the reader ----------------------------------------------------------------------------


def test_the_reader_reads_back_what_python_escpos_wrote():
    out = Dummy(profile="TM-T20II")
    out.hw("INIT")
    out.set(align="center", bold=True, custom_size=True, width=3, height=5)
    out.textln("A012")
    out.set(normal_textsize=True, bold=False, align="left", invert=True)
    out.textln("Café")
    out.qr("hello", size=6, native=True)
    out.cut()
    got = read(out.output, "TM-T20II")
    big, small = got.lines[0], got.lines[1]
    assert (big.text, big.width, big.height, big.bold, big.align) == ("A012", 3, 5, True,
                                                                       "center")
    assert (small.text, small.width, small.height, small.bold, small.invert) == (
        "Café", 1, 1, False, True)
    assert got.qr_native == ["hello"] and got.qr_module_dots == [6]
    assert got.cuts == 1


def test_the_reader_finds_status_queries_and_refuses_unknown_bytes():
    assert [c.name for c in commands(b"\x10\x04\x01AB\n\x10\x04\x04")] == [
        "DLE EOT", "text", "LF", "DLE EOT"]
    assert next_command(b"\x1d(k\x05\x00", 0) is None  # incomplete: wait for more bytes
    with pytest.raises(DecodeError):
        commands(b"\x1bZ")
    # Image data is skipped as a whole: a DLE EOT inside it is not a query.
    raster = b"\x1dv0\x00\x01\x00\x03\x00" + b"\x10\x04\x01"
    assert [c.name for c in commands(raster)] == ["GS v 0"]
