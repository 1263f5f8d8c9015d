"""Opening a printer from its `[printers.NAME]` table, always with an explicit timeout.

Each connection is a python-escpos printer class; this module only chooses the class, its
arguments and the timeout, and turns every way of not finding the device into one
`PrinterError` sentence. python-escpos' own defaults are unsafe for a kiosk: `Network`
waits 60 s, `Usb` waits forever, `Serial` has no write timeout.

| connection | python-escpos class                    | status (DLE EOT)          |
|------------|----------------------------------------|---------------------------|
| network    | Network(host, port, timeout)           | yes                       |
| usb        | Usb(idVendor, idProduct, timeout ms)   | yes                       |
| serial     | Serial(devfile, baudrate, timeout)     | yes                       |
| cups       | CupsPrinter(name) with pycups, else LP | queue state only / none   |
| file       | File(devfile) in the slips folder      | no (a folder has no paper)|
| none       | -                                      | -                         |
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

from kiosk.config import Printer
from kiosk.exceptions import PrinterError

STATUS_CONNECTIONS = frozenset({"network", "usb", "serial"})
"""Connections over which the printer answers real-time status queries (DLE EOT)."""


def describe(printer: Printer) -> str:
    """Where the printer is, for messages and the devices row."""
    match printer.connection:
        case "network":
            return f"network {printer.host}:{printer.port}"
        case "usb":
            assert printer.usb is not None
            return f"usb {printer.usb.vendor:04x}:{printer.usb.product:04x}"
        case "serial":
            return f"serial {printer.serial.device} at {printer.serial.baudrate} baud"
        case "cups":
            return f"CUPS queue {printer.cups}"
        case "file":
            return f"folder {printer.path}"
        case _:
            return "no printer"


def _one_line(exc: BaseException) -> str:
    """The cause in a few words: python-escpos wraps it as "Device not found (... :\n
    [Errno 111] Connection refused)"; the OSError underneath says it best."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, TimeoutError):
        return "no answer (timed out)"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror[0].lower() + cause.strerror[1:]
    text = getattr(exc, "msg", None) or str(exc)
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def cups_class() -> Any:
    """python-escpos' CupsPrinter when pycups is installed (the `python-escpos[cups]`
    extra), else its LP class, which pipes the raw job to CUPS' own `lp` command."""
    from escpos.printer import LP, CupsPrinter

    return CupsPrinter if CupsPrinter.is_usable() else LP


def make_printer(name: str, printer: Printer, *, timeout_s: float,
                 devfile: Path | None = None) -> Any:
    """The python-escpos object for this printer, not yet opened.

    `devfile` is the file a `file` connection writes (one per slip)."""
    from escpos import printer as escpos_printer

    profile = printer.profile
    match printer.connection:
        case "network":
            return escpos_printer.Network(host=printer.host, port=printer.port,
                                          timeout=timeout_s, profile=profile)
        case "usb":
            assert printer.usb is not None
            # pyusb counts milliseconds; 0 (python-escpos' default) means wait forever.
            return escpos_printer.Usb(idVendor=printer.usb.vendor,
                                      idProduct=printer.usb.product,
                                      timeout=max(1, int(timeout_s * 1000)), profile=profile)
        case "serial":
            return escpos_printer.Serial(devfile=printer.serial.device,
                                         baudrate=printer.serial.baudrate,
                                         timeout=timeout_s, profile=profile)
        case "cups":
            cls = cups_class()
            if cls is escpos_printer.LP and shutil.which("lp") is None:
                raise PrinterError(
                    f'printer {name}: connection "cups" needs pycups '
                    "(pip install 'python-escpos[cups]') or CUPS' lp command (cups-client)"
                )
            return cls(printer_name=printer.cups, profile=profile)
        case "file":
            if devfile is None:
                raise ValueError("a file connection needs the slip's file name")
            return escpos_printer.File(devfile=str(devfile), profile=profile)
        case _:
            raise PrinterError(f"printer {name}: connection is none; nothing to open")


def open_printer(name: str, printer: Printer, *, timeout_s: float,
                 devfile: Path | None = None) -> Any:
    """Make and open the connection; a missing device is a PrinterError, never a hang."""
    if printer.connection == "file":
        try:
            printer.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PrinterError(
                f"printer {name}: cannot use the slips folder {printer.path}: {exc.strerror}"
            ) from None
    device = make_printer(name, printer, timeout_s=timeout_s, devfile=devfile)
    try:
        device.open()
    except PrinterError:
        raise
    except Exception as exc:  # DeviceNotFoundError, NoBackendError, RuntimeError (no driver)
        reason = _one_line(exc)
        raise PrinterError(f"printer {name}: cannot open {describe(printer)}: {reason}") from exc
    if printer.connection == "network":
        # Status queries are 3-byte writes; without TCP_NODELAY each waits for the
        # printer's delayed ACK (~40 ms) behind the previous one.
        device.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if printer.connection == "serial":
        # pyserial's write has no timeout unless asked; a printer holding the line with
        # flow control would otherwise block the write forever.
        device.device.write_timeout = timeout_s
    return device


def set_timeout(device: Any, connection: str, seconds: float) -> None:
    """Shrink the connection's own timeout to what is left of the print's budget."""
    seconds = max(0.01, seconds)
    if connection == "network":
        device.device.settimeout(seconds)
    elif connection == "serial":
        device.device.timeout = seconds
        device.device.write_timeout = seconds
    elif connection == "usb":
        device.timeout = max(1, int(seconds * 1000))
