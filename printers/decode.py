"""Reading an ESC/POS byte stream back: what a patron would see on the paper.

Used by the fake printer (to find the real-time status queries among the slip's bytes, as a
printer does, without mistaking image data for commands) and by the tests (to assert the
text, the type sizes, the QR payload and the cut). It knows the commands python-escpos
emits for a slip; anything else raises `DecodeError`, so a test notices new bytes instead
of silently skipping them.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

ESC, GS, DLE = 0x1B, 0x1D, 0x10


class DecodeError(ValueError):
    pass


@dataclass(frozen=True)
class Command:
    name: str
    """"text", "LF", "ESC a", "GS !", "DLE EOT", "GS ( k", "GS v 0", ..."""
    args: bytes = b""
    data: bytes = b""


def _u16(lo: int, hi: int) -> int:
    return lo + 256 * hi


# ESC commands with a fixed number of parameter bytes.
_ESC_FIXED = {
    ord("@"): 0, ord("!"): 1, ord("E"): 1, ord("-"): 1, ord("M"): 1, ord("a"): 1,
    ord("t"): 1, ord("d"): 1, ord("{"): 1, ord("G"): 1, ord("2"): 0, ord("3"): 1,
    ord("J"): 1, ord("V"): 1, ord("p"): 3,
}
_GS_FIXED = {ord("!"): 1, ord("B"): 1, ord("b"): 1, ord("h"): 1, ord("w"): 1, ord("H"): 1,
             ord("f"): 1}


def next_command(buf: bytes | bytearray, pos: int) -> tuple[Command, int] | None:
    """The command starting at `pos` and where the next one starts; None if incomplete."""
    n = len(buf)
    if pos >= n:
        return None
    b = buf[pos]
    if b == 0x0A:
        return Command("LF"), pos + 1
    if b == 0x0D:
        return Command("CR"), pos + 1
    if b >= 0x20 or b == 0x09:
        end = pos
        while end < n and (buf[end] >= 0x20 or buf[end] == 0x09):
            end += 1
        return Command("text", data=bytes(buf[pos:end])), end
    if b == DLE:
        if pos + 2 >= n:
            return None
        if buf[pos + 1] == 0x04:
            return Command("DLE EOT", args=bytes(buf[pos + 2:pos + 3])), pos + 3
        raise DecodeError(f"unknown DLE command {buf[pos + 1]:#04x} at byte {pos}")
    if b == ESC:
        if pos + 1 >= n:
            return None
        c = buf[pos + 1]
        if c == ord("*"):  # ESC * m nL nH d...: column image
            if pos + 5 > n:
                return None
            m, count = buf[pos + 2], _u16(buf[pos + 3], buf[pos + 4])
            end = pos + 5 + count * (3 if m in (32, 33) else 1)
            if end > n:
                return None
            return Command("ESC *", args=bytes(buf[pos + 2:pos + 5]),
                           data=bytes(buf[pos + 5:end])), end
        if c not in _ESC_FIXED:
            raise DecodeError(f"unknown command ESC {chr(c)!r} at byte {pos}")
        end = pos + 2 + _ESC_FIXED[c]
        if end > n:
            return None
        return Command(f"ESC {chr(c)}", args=bytes(buf[pos + 2:end])), end
    if b == GS:
        if pos + 1 >= n:
            return None
        c = buf[pos + 1]
        if c in _GS_FIXED:
            end = pos + 3
            return (Command(f"GS {chr(c)}", args=bytes(buf[pos + 2:end])), end) if end <= n \
                else None
        if c == ord("V"):  # GS V m [n]
            if pos + 2 >= n:
                return None
            end = pos + (4 if buf[pos + 2] in (65, 66) else 3)
            return (Command("GS V", args=bytes(buf[pos + 2:end])), end) if end <= n else None
        if c == ord("("):  # GS ( k / GS ( L pL pH data
            if pos + 5 > n:
                return None
            fn = chr(buf[pos + 2])
            end = pos + 5 + _u16(buf[pos + 3], buf[pos + 4])
            if end > n:
                return None
            return Command(f"GS ( {fn}", data=bytes(buf[pos + 5:end])), end
        if c == ord("v"):  # GS v 0 m xL xH yL yH d...: raster image
            if pos + 8 > n:
                return None
            width_bytes = _u16(buf[pos + 4], buf[pos + 5])
            rows = _u16(buf[pos + 6], buf[pos + 7])
            end = pos + 8 + width_bytes * rows
            if end > n:
                return None
            return Command("GS v 0", args=bytes(buf[pos + 3:pos + 8]),
                           data=bytes(buf[pos + 8:end])), end
        raise DecodeError(f"unknown command GS {chr(c)!r} at byte {pos}")
    raise DecodeError(f"unexpected control byte {b:#04x} at byte {pos}")


def commands(data: bytes) -> list[Command]:
    out: list[Command] = []
    pos = 0
    while pos < len(data):
        step = next_command(data, pos)
        if step is None:
            raise DecodeError(f"stream ends inside a command at byte {pos}")
        command, pos = step
        out.append(command)
    return out


# -- what is on the paper -----------------------------------------------------------------


@dataclass
class Line:
    text: str
    width: int
    height: int
    bold: bool
    invert: bool
    align: str


@dataclass
class Reading:
    """A slip as printed: lines with their type, QR codes, images, cuts."""

    lines: list[Line] = field(default_factory=list)
    qr_native: list[str] = field(default_factory=list)
    """Payloads printed with the printer's own QR code (GS ( k)."""
    qr_module_dots: list[int] = field(default_factory=list)
    images: list[Image.Image] = field(default_factory=list)
    """Raster images (GS v 0), black = 1; a QR code printed as an image is one of these."""
    cuts: int = 0
    status_queries: list[int] = field(default_factory=list)
    """DLE EOT n, in order."""
    feeds: int = 0

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def texts(self) -> list[str]:
        return [line.text for line in self.lines if line.text.strip()]

    def line_with(self, fragment: str) -> Line:
        for line in self.lines:
            if fragment in line.text:
                return line
        raise AssertionError(f"no line contains {fragment!r}:\n{self.text}")


_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


def _codec(codepages: dict[str, str], number: int) -> str:
    name = codepages.get(str(number), "CP437")
    try:
        return codecs.lookup(name.lower().replace("_", "-")).name
    except LookupError:
        return "latin-1"


def read(data: bytes, profile: str = "default") -> Reading:
    """Interpret a whole stream as a printer would."""
    from escpos.capabilities import get_profile

    codepages: dict[str, Any] = dict(get_profile(profile).codePages)
    reading = Reading()
    state = {"width": 1, "height": 1, "bold": False, "invert": False, "align": "left"}
    codec = _codec(codepages, 0)
    text = ""
    style: dict[str, Any] | None = None
    qr_store = ""

    def end_line() -> None:
        nonlocal text, style
        s = style or state
        reading.lines.append(Line(text, s["width"], s["height"], s["bold"], s["invert"],
                                  s["align"]))
        text, style = "", None

    for cmd in commands(data):
        name, args = cmd.name, cmd.args
        if name == "text":
            if style is None:
                style = dict(state)
            text += cmd.data.decode(codec, errors="replace")
        elif name == "LF":
            end_line()
        elif name == "ESC @":
            state = {"width": 1, "height": 1, "bold": False, "invert": False, "align": "left"}
            codec = _codec(codepages, 0)
        elif name == "ESC !":
            state["width"] = 2 if args[0] & 0x20 else 1
            state["height"] = 2 if args[0] & 0x10 else 1
            state["bold"] = bool(args[0] & 0x08)
        elif name == "GS !":
            state["width"] = (args[0] >> 4) + 1
            state["height"] = (args[0] & 0x0F) + 1
        elif name == "ESC E":
            state["bold"] = bool(args[0] & 1)
        elif name == "GS B":
            state["invert"] = bool(args[0] & 1)
        elif name == "ESC a":
            state["align"] = _ALIGN.get(args[0], "left")
        elif name == "ESC t":
            codec = _codec(codepages, args[0])
        elif name == "ESC d":
            if text:
                end_line()
            reading.feeds += args[0]
        elif name == "GS V":
            if text:
                end_line()
            reading.cuts += 1
        elif name == "DLE EOT":
            reading.status_queries.append(args[0])
        elif name == "GS ( k":
            cn, fn = cmd.data[0], cmd.data[1]
            if cn != ord("1"):
                raise DecodeError(f"2D code type {cn} is not a QR code")
            if fn == 67:
                reading.qr_module_dots.append(cmd.data[2])
            elif fn == 80:
                qr_store = cmd.data[3:].decode("utf-8")
            elif fn == 81:
                reading.qr_native.append(qr_store)
        elif name == "GS v 0":
            width_bytes, rows = _u16(args[1], args[2]), _u16(args[3], args[4])
            image = Image.frombytes("1", (width_bytes * 8, rows), cmd.data)
            reading.images.append(image)
        # ESC - / ESC M / ESC { / ESC G / GS b / line spacing: no effect on what is read
    if text:
        end_line()
    return reading


def black_on_white(image: Image.Image) -> Image.Image:
    """An ESC/POS raster (1 = black dot) as a normal picture with a white margin, for a
    QR reader."""
    inverted = Image.eval(image.convert("L"), lambda v: 255 - v)
    framed = Image.new("L", (inverted.width + 40, inverted.height + 40), 255)
    framed.paste(inverted, (20, 20))
    return framed
