"""The ticket slip: what a patron holds for the next half hour.

The slip is built once as a list of printable items (`Slip`), then rendered two ways from
the same list: ESC/POS bytes through python-escpos' `Dummy` printer with the configured
capability profile (so python-escpos does the commands, code pages and QR code), and a
plain-text preview for the `file` connection. Rendering to bytes first means a printer gets
the whole slip in one write, inside one timeout, and tests can read exactly what was sent.

Every word comes from the message catalogues in the patron's language. The need behind a
priority ticket is health data: the slip only ever carries the generic mark
("PRIORITAS" / "PRIORITY").
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import qrcode
from escpos.capabilities import get_profile
from escpos.printer import Dummy

from kiosk import clock as clk
from kiosk.config import Printer, Settings
from kiosk.i18n import ahead_text, t, wait_text
from kiosk.rows import Issued, Ticket

FONT_A_DOTS = 12
"""Font A is 12 dots wide on every ESC/POS printer in python-escpos' profile database."""
MAX_MAGNIFICATION = 8
"""GS ! takes width and height multipliers 1..8."""
QR_MODULE_DOTS = 8
"""Dots per QR module: about 1 mm at 203 dpi, easy for any phone camera."""
STANDARD_PAPER = {80: (48, 576), 58: (32, 384)}
"""Paper width in mm -> (Font A columns, printable dots) at the common 203 dpi."""


@dataclass(frozen=True)
class Paper:
    """What fits across the roll."""

    columns: int
    """Font A characters per line at normal size."""
    dots: int
    """Printable width in dots (the widest image)."""


def paper_for(printer: Printer) -> Paper:
    """The usable width for this printer's profile and paper.

    A profile describes one model with its usual roll; when the configured paper is the
    profile's own roll size its columns and dots are exact. Otherwise the common 203-dpi
    figures for the paper are used, never more columns than the profile's Font A has (a
    180-dpi model fits 42, not 48, on 80 mm), so text never runs off the edge."""
    profile = get_profile(printer.profile)
    standard_columns, standard_dots = STANDARD_PAPER[printer.paper_width_mm]
    profile_columns = int(profile.fonts["0"]["columns"])
    media = profile.profile_data.get("media", {}).get("width", {})
    mm, pixels = media.get("mm"), media.get("pixels")
    if isinstance(mm, int | float) and (mm > 60) == (printer.paper_width_mm == 80):
        dots = int(pixels) if isinstance(pixels, int) else profile_columns * FONT_A_DOTS
        return Paper(columns=profile_columns, dots=dots)
    columns = min(standard_columns, profile_columns)
    return Paper(columns=columns, dots=min(standard_dots, columns * FONT_A_DOTS))


# -- the printable items ------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """One printed line (already wrapped to the paper), centred."""

    text: str
    width: int = 1
    height: int = 1
    bold: bool = False
    invert: bool = False


@dataclass(frozen=True)
class Qr:
    payload: str


@dataclass(frozen=True)
class Gap:
    """An empty line."""


Item = Text | Qr | Gap


@dataclass(frozen=True)
class Slip:
    label: str
    lang: str
    profile: str
    paper: Paper
    items: tuple[Item, ...] = field(default_factory=tuple)

    @property
    def native_qr(self) -> bool:
        return bool(get_profile(self.profile).supports("qrCode"))


def _wrapped(text: str, columns: int, **style: Any) -> list[Text]:
    width = int(style.get("width", 1))
    fits = max(1, columns // width)
    lines = textwrap.wrap(text, fits, break_long_words=True, break_on_hyphens=True) or [""]
    return [Text(line, **style) for line in lines]


def number_size(label: str, paper: Paper) -> int:
    """The largest magnification (1..8) at which the label still fits on one line."""
    return max(1, min(MAX_MAGNIFICATION, paper.columns // max(1, len(label))))


def when_text(lang: str, moment: datetime) -> str:
    return t(
        lang,
        "slip.when",
        day=f"{moment.day:02d}",
        month=f"{moment.month:02d}",
        year=moment.year,
        hour=f"{moment.hour:02d}",
        minute=f"{moment.minute:02d}",
    )


def slip_language(settings: Settings, lang: str | None) -> str:
    return lang if lang in settings.site.languages else settings.default_language


def build_slip(settings: Settings, printer: Printer, issued: Issued, *,
               copy: bool = False) -> Slip:
    """The slip for one issued ticket in the patron's language."""
    ticket = issued.ticket
    lang = slip_language(settings, ticket.lang)
    paper = paper_for(printer)
    cols = paper.columns
    label = ticket.label
    service = settings.service(ticket.service).name[lang]
    at = clk.parse(ticket.issued_at).astimezone(settings.site.tz)
    size = number_size(label, paper)
    items: list[Item] = [
        *_wrapped(settings.site.name, cols, height=2, bold=True),
        *_wrapped(t(lang, "ticket.greeting_slip"), cols),
        Gap(),
        *_wrapped(t(lang, "ticket.your_number"), cols),
        Text(label, width=size, height=size, bold=True),
    ]
    if ticket.priority:
        # The generic mark only: the need itself is never printed.
        items += _wrapped(t(lang, "priority.mark"), cols, width=2, height=2, bold=True,
                          invert=True)
    if copy:
        items += _wrapped(t(lang, "slip.copy"), cols, bold=True)
    if issued.appointment and issued.slot:  # a booking's check-in: the booked time
        items += _wrapped(t(lang, "slip.appointment", slot=issued.slot), cols, height=2,
                          bold=True)
    elif issued.late:
        items += _wrapped(t(lang, "slip.late"), cols)
    items += [
        Gap(),
        *_wrapped(t(lang, "ticket.service", service=service), cols, height=2, bold=True),
        Gap(),
        *_wrapped(ahead_text(lang, issued.people_ahead), cols),
        *_wrapped(wait_text(lang, issued.estimated_wait_min, issued.opens_at,
                             settings.site.tz), cols),
        *_wrapped(when_text(lang, at), cols),
        Gap(),
    ]
    url = settings.ticket_url(issued.token)
    if url is not None:  # the QR code opens the ticket's page: say so in words
        items += _wrapped(t(lang, "slip.follow_phone"), cols, bold=True)
    items += [
        Qr(url or label),
        *_wrapped(t(lang, "ticket.thanks_slip"), cols, bold=True),
    ]
    return Slip(label=label, lang=lang, profile=printer.profile, paper=paper, items=tuple(items))


def build_test_slip(settings: Settings, printer_name: str, printer: Printer,
                    now: datetime) -> Slip:
    """`kiosk printer-test`: a sample slip in the site's first language, marked as a test."""
    lang = settings.default_language
    prefix = settings.services[0].prefix
    at = clk.iso(now)
    sample = Ticket(id=0, day=now.date().isoformat(), prefix=prefix, number=0,
                    label=f"{prefix}000", service=prefix, need=None, lang=lang, kiosk=None,
                    state="waiting", counter=None, issued_at=at, queued_at=at,
                    order_at=now.timestamp(), called_at=None, started_at=None,
                    finished_at=None, recalls=0)
    slip = build_slip(settings, printer, Issued(sample, 0, 0))
    cols = slip.paper.columns
    head = _wrapped(t(lang, "slip.test", printer=printer_name), cols, width=1, height=2,
                    bold=True)
    facts = _wrapped(f"{printer.profile}, {printer.paper_width_mm} mm, {cols} col", cols)
    return Slip(label=slip.label, lang=lang, profile=slip.profile, paper=slip.paper,
                items=(*head, *facts, Gap(), *slip.items))


# -- rendering ----------------------------------------------------------------------------


def _set_media_width(profile: Any, dots: int) -> None:
    """Give this profile instance the paper's printable width in dots.

    python-escpos centres images by the profile's media width and prints a warning on
    stdout when that width is unknown; an instance copy with the real width avoids both a
    mis-centred QR code and stray output in `kiosk issue --json`."""
    data = dict(profile.profile_data)
    media = dict(data.get("media", {}))
    media["width"] = {"mm": media.get("width", {}).get("mm", "Unknown"), "pixels": dots}
    data["media"] = media
    profile.profile_data = data


def _image_impl(profile: Any) -> str | None:
    """How this profile prints an image; None for models that cannot (line displays)."""
    for impl in ("bitImageRaster", "graphics", "bitImageColumn"):
        if profile.supports(impl):
            return impl
    return None


def render_escpos(slip: Slip) -> bytes:
    """The slip as ESC/POS bytes for its profile: init, text, QR code, cut."""
    out = Dummy(profile=slip.profile)
    profile = out.profile
    _set_media_width(profile, slip.paper.dots)
    out.hw("INIT")
    native = bool(profile.supports("qrCode"))
    for item in slip.items:
        if isinstance(item, Text):
            out.set(align="center", bold=item.bold, invert=item.invert, custom_size=True,
                    width=item.width, height=item.height)
            out.textln(item.text)
        elif isinstance(item, Gap):
            out.set(custom_size=True, width=1, height=1, bold=False, invert=False)
            out.ln()
        else:
            out.set(align="center", custom_size=True, width=1, height=1, bold=False,
                    invert=False)
            impl = _image_impl(profile)
            if native:
                out.qr(item.payload, size=QR_MODULE_DOTS, native=True)
                out.ln()
            elif impl is not None:
                out.qr(item.payload, size=QR_MODULE_DOTS, native=False,
                       image_arguments={"impl": impl, "center": True})
            # else: no QR at all; the label is on the slip in the largest type anyway
    out.set(custom_size=True, width=1, height=1, bold=False, invert=False, align="left")
    out.cut()
    return out.output


def _qr_text(payload: str) -> list[str]:
    code = qrcode.QRCode(border=1)
    code.add_data(payload)
    code.make(fit=True)
    buf = io.StringIO()
    code.print_ascii(out=buf, invert=True)
    return buf.getvalue().rstrip("\n").split("\n")


def render_text(slip: Slip) -> str:
    """A plain-text picture of the slip, as wide as the paper, for the `file` connection."""
    cols = slip.paper.columns
    edge = "-" * cols
    lines = [edge]
    for item in slip.items:
        if isinstance(item, Text):
            text = item.text
            if item.width > 1 and len(text) * 2 <= cols:
                text = " ".join(text)  # a hint of the bigger type
            if item.invert:
                text = f"[ {text} ]"
            lines.append(text.center(cols).rstrip())
            if item.height >= 4:
                lines.append("")
        elif isinstance(item, Gap):
            lines.append("")
        else:
            lines += [row.center(cols).rstrip() for row in _qr_text(item.payload)]
    lines += [("- " * cols)[:cols], ""]  # the cut
    return "\n".join(lines)
