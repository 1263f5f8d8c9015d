"""The appointments' verbs (issue 26): `kiosk bookings list|cancel` for staff, and
`kiosk check-in CODE`, which does what the kiosk does with a booking's code: the ticket,
issued at once and printed like `kiosk issue`'s."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from kiosk.cli.common import actor_of, emit, open_store, ticket_json
from kiosk.cli.tickets import print_slip
from kiosk.exceptions import CheckInRefused, IssueRefused, KioskError, UsageError
from kiosk.i18n import wait_text
from kiosk.rows import Booking

Verb = Callable[..., argparse.ArgumentParser]


def booking_json(booking: Booking, label: str | None) -> dict[str, Any]:
    """A booking as `--json` prints it: never its need, only whether it is priority."""
    return {"code": booking.code, "service": booking.service, "date": booking.day,
            "slot_start": booking.slot_start, "slot_end": booking.slot_end,
            "state": booking.state, "priority": booking.priority, "label": label,
            "created_at": booking.created_at, "checked_in_at": booking.checked_in_at}


def cmd_bookings(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        if args.action == "list":
            if args.code:
                raise UsageError("kiosk bookings list takes no CODE (a day: --date)")
            day = args.date or store.today()
            rows = []
            for booking in store.bookings(day):
                ticket = store.ticket_of_booking(booking)
                rows.append(booking_json(booking, ticket.label if ticket else None))
            lines = [f"bookings of {day}: {sum(r['state'] != 'cancelled' for r in rows)}"
                     f" ({sum(r['state'] == 'checked_in' for r in rows)} checked in)"]
            for r in rows:
                extra = "  priority" if r["priority"] else ""
                ticket = f"  ticket {r['label']}" if r["label"] else ""
                lines.append(f"{r['slot_start']}–{r['slot_end']}  {r['service']}  {r['code']}"
                             f"  {r['state']}{extra}{ticket}")
            emit(args, {"day": day, "bookings": rows}, "\n".join(lines))
            return 0
        if not args.code:
            raise UsageError("kiosk bookings cancel needs the booking's CODE")
        booking = store.cancel_booking(args.code, staff=True, day=args.date,
                                       actor=actor_of(args))
        emit(args, booking_json(booking, None),
             f"{booking.code}: cancelled ({booking.service}, {booking.day}"
             f" {booking.slot})")
    return 0


def cmd_check_in(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        try:
            issued = store.check_in(args.code, kiosk=args.kiosk, lang=args.lang,
                                    actor=getattr(args, "actor", None))
        except (IssueRefused, CheckInRefused) as exc:
            raise KioskError(f"not checked in: {exc}") from None
        printed = None if args.no_print else print_slip(store, issued, args.kiosk)
        payload = ticket_json(
            issued.ticket, people_ahead=issued.people_ahead,
            estimated_wait_min=issued.estimated_wait_min, opens_at=issued.opens_at,
            printed=printed, token=None, url=None,
            appointment=issued.appointment, slot=issued.slot, late=issued.late)
        wait = wait_text("en", issued.estimated_wait_min, issued.opens_at,
                         store.settings.site.tz, short=True)
        kind = (f"appointment {issued.slot}" if issued.appointment
                else f"walk-in: the booked time {issued.slot} has passed")
        emit(args, payload, f"{issued.ticket.label}  {kind}; {issued.people_ahead} ahead,"
                            f" wait {wait}")
    return 0


def register(verb: Verb, as_json: argparse.ArgumentParser) -> None:
    """Add these verbs to the `kiosk` parser."""
    p = verb("bookings", cmd_bookings, "list a day's bookings, or cancel one by its code",
             as_json)
    p.add_argument("action", choices=["list", "cancel"])
    p.add_argument("code", nargs="?", help="cancel: the booking's six-digit code")
    p.add_argument("--date", metavar="YYYY-MM-DD",
                   help="list: that day (default today); cancel: the day of the code")
    p.add_argument("--actor", help=argparse.SUPPRESS)

    p = verb("check-in", cmd_check_in,
             "check a booking in by its code: its ticket, printed as `kiosk issue`'s",
             as_json)
    p.add_argument("code", help="the booking's six-digit check-in code")
    p.add_argument("--kiosk", help="kiosk id from config (whose printer prints; wrong codes"
                                   " are counted per kiosk)")
    p.add_argument("--lang", help="the ticket's language (default: the booking's)")
    p.add_argument("--no-print", action="store_true", help="do not print a slip")
    p.add_argument("--actor", help=argparse.SUPPRESS)
