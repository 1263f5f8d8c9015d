"""`kiosk reprint LABEL` and `kiosk printer-test [--kiosk ID]` (design §5).

Both print synchronously within the printer's timeout, write the outcome to the event log
and the devices row like every other print, and exit 1 with one line when nothing came out
(after the JSON object with `"printed": false` under --json).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kiosk.cli.common import emit, open_store, ticket_json
from kiosk.config import Settings
from kiosk.exceptions import NotAllowed, PrinterError
from kiosk.rows import Ticket

Verb = Callable[..., argparse.ArgumentParser]


def _kiosk_for(settings: Settings, wanted: str | None, ticket: Ticket | None) -> str | None:
    """--kiosk, else the kiosk that issued the ticket (if still configured), else the first."""
    if wanted:
        return wanted
    issued_at = ticket.kiosk if ticket else None
    if issued_at and any(k.id == issued_at for k in settings.kiosks):
        return str(issued_at)
    return None


def _no_printer(settings: Settings, kiosk_id: str | None) -> PrinterError:
    kiosk = settings.kiosk(kiosk_id).id
    return PrinterError(f'kiosk "{kiosk}" has no printer (printer absent or connection "none")')


def _finish(args: argparse.Namespace, payload: dict[str, Any], ok: bool, text: str,
            failure: str) -> int:
    if ok:
        emit(args, payload, text)
        return 0
    if getattr(args, "json", False):
        emit(args, payload, text)
    print(f"kiosk: {failure}", file=sys.stderr)
    return PrinterError.exit_code


def cmd_reprint(args: argparse.Namespace) -> int:
    from printers.worker import print_ticket, printer_of

    with open_store(args) as store:
        ticket = store.find(args.label)
        if ticket.state != "waiting":
            raise NotAllowed(f"{ticket.label} is {ticket.state}; only a waiting "
                             "ticket's slip is printed again")
        kiosk_id = _kiosk_for(store.settings, args.kiosk, ticket)
        target = printer_of(store.settings, kiosk_id)
        if target is None:
            raise _no_printer(store.settings, kiosk_id)
        name, printer = target
        outlook = store.outlook(ticket)  # the outlook now, not at issue time
        booked = store.appointment_of(ticket)  # a check-in's slip: the booked time again
        if booked is not None:
            outlook = replace(outlook, appointment=booked[0], slot=booked[1],
                              late=not booked[0])
        if store.settings.web.public_url:  # the copy's QR code: a new link, the old stops
            ticket, token = store.renew_token(ticket.label)
            outlook = replace(outlook, token=token)
        ahead, wait = outlook.people_ahead, outlook.estimated_wait_min
        outcome = print_ticket(store, name, printer, outlook, copy=True)
        payload = ticket_json(ticket, people_ahead=ahead, estimated_wait_min=wait,
                              opens_at=outlook.opens_at, printed=outcome.ok, printer=name)
        return _finish(
            args, payload, outcome.ok,
            f"{ticket.label}: slip printed again on {name} ({outcome.elapsed_ms:.0f} ms)",
            f"{ticket.label}: slip not printed on {name}: {outcome.reason}",
        )


def cmd_printer_test(args: argparse.Namespace) -> int:
    from printers.connect import describe
    from printers.slip import build_test_slip
    from printers.worker import print_slip, printer_of

    with open_store(args) as store:
        settings = store.settings
        target = printer_of(settings, args.kiosk)
        if target is None:
            raise _no_printer(settings, args.kiosk)
        name, printer = target
        slip = build_test_slip(settings, name, printer, store.now())
        outcome = print_slip(store, name, printer, slip, ticket=None, stem="printer-test",
                             test=True)
        payload = {
            "kiosk": settings.kiosk(args.kiosk).id,
            "printer": name,
            "connection": describe(printer),
            "profile": printer.profile,
            "printed": outcome.ok,
            "state": outcome.state,
            "reason": outcome.reason,
            "ms": round(outcome.elapsed_ms, 1),
        }
        return _finish(
            args, payload, outcome.ok,
            f"printer {name} ({describe(printer)}): {outcome.state}; test slip printed in "
            f"{outcome.elapsed_ms:.0f} ms",
            f"printer {name} ({describe(printer)}): test slip not printed: {outcome.reason}",
        )


def register(verb: Verb, as_json: argparse.ArgumentParser) -> None:
    """Add the printing verbs to the `kiosk` parser."""
    p = verb("reprint", cmd_reprint, "print a waiting ticket's slip again (marked as a copy)",
             as_json)
    p.add_argument("label", help="today's ticket label, e.g. A012")
    p.add_argument("--kiosk", help="print at this kiosk's printer (default: where it was issued)")
    p = verb("printer-test", cmd_printer_test,
             "check a kiosk's printer and print a test slip", as_json)
    p.add_argument("--kiosk", help="kiosk id from config (default: the first)")

