"""The verbs that mirror the store's: issue, the counter verbs, transfer, reclassify,
cancel, counters and the day, status, staff accounts; and check-config."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk import views
from kiosk.cli.common import (
    actor_of,
    emit,
    number,
    open_store,
    settings_of,
    ticket_json,
)
from kiosk.exceptions import IssueRefused, KioskError, UsageError
from kiosk.i18n import wait_text

if TYPE_CHECKING:
    from kiosk.rows import Issued
    from kiosk.store import Store

Handler = Callable[[argparse.Namespace], int]
Verb = Callable[..., argparse.ArgumentParser]


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    for warning in settings.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(settings.model_dump(mode="json"), ensure_ascii=False))
        return 0
    lang = settings.default_language
    hours = settings.hours
    lines = [
        f"config: {settings.source}",
        f"site: {settings.site.name} ({settings.site.timezone}), "
        f"languages {', '.join(settings.site.languages)}",
        f"hours: open {hours.open:%H:%M}, last ticket {hours.last_ticket:%H:%M}, "
        f"close {hours.close:%H:%M}",
        f"store: {settings.store.path}",
        f"queue: head start {settings.queue.head_start_minutes} min, "
        f"max recalls {settings.queue.max_recalls}, transfers to the "
        f"{settings.queue.transfer_position}",
        "services:",
    ]
    for service in settings.services:
        quota = f", quota {service.quota}/day" if service.quota else ""
        lines.append(f"  {service.prefix}  {service.icon} {service.name[lang]}{quota}")
    lines.append("counters:")
    for counter in settings.counters:
        lines.append(f"  {counter.id}  {counter.name[lang]}: {', '.join(counter.services)}")
    lines.append("priority needs: " + ", ".join(settings.needs) if settings.needs else
                 "priority needs: none")
    for kiosk in settings.kiosks:
        printer = settings.printers.get(kiosk.printer) if kiosk.printer else None
        where = printer.connection if printer else "no printer"
        lines.append(f"kiosk {kiosk.id}: printer {kiosk.printer or '-'} ({where})")
    lines.append(f"speech: {settings.speech.output}, rate {settings.speech.rate}, "
                 f"repeat {settings.speech.repeat}, numbers as {settings.speech.numbers}")
    booking = settings.booking
    if booking.services:
        for prefix in booking.services:
            rules = settings.slots_of(prefix)
            lines.append(f"booking {prefix}: {rules.slot_min}-minute slots {rules.open:%H:%M}–"
                         f"{rules.close:%H:%M}, {rules.per_slot} a slot")
        lines.append(f"booking: {booking.days_ahead} days ahead, check-in from"
                     f" {booking.early_min} min before to {booking.late_min} min after the"
                     " slot's start")
    else:
        lines.append("booking: none")
    if settings.closed:
        lines.append("closed: " + ", ".join(c.date.isoformat() for c in settings.closed))
    lines.append("ok" if not settings.warnings else f"ok, {len(settings.warnings)} warning(s)")
    print("\n".join(lines))
    return 0


def print_slip(store: Store, issued: Issued, kiosk: str | None) -> bool | None:
    """Print a new ticket's slip on the kiosk's printer (`kiosk issue`, `kiosk check-in`):
    False, with one warning line, when it failed (the ticket stays valid, the exit 0);
    None when the kiosk has no printer."""
    from printers.worker import print_issued

    printed = print_issued(store, issued, kiosk)
    if printed is False:
        reason = store.print_failure(issued.ticket.id)
        print(f"kiosk: warning: {issued.ticket.label} is issued but its slip was "
              f"not printed: {reason}", file=sys.stderr)
    return printed


def cmd_issue(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        try:
            issued = store.issue(
                args.service.upper(), args.need, lang=args.lang, kiosk=args.kiosk,
                actor=actor_of(args),
            )
        except IssueRefused as exc:
            raise KioskError(f"not issued: {exc}") from None
        printed = None if args.no_print else print_slip(store, issued, args.kiosk)
        payload = ticket_json(
            issued.ticket,
            people_ahead=issued.people_ahead,
            estimated_wait_min=issued.estimated_wait_min,
            opens_at=issued.opens_at,
            printed=printed,
            token=issued.token,
            url=store.settings.ticket_url(issued.token, store.settings.local_url),
        )
        wait = wait_text("en", issued.estimated_wait_min, issued.opens_at,
                         store.settings.site.tz, short=True)
        emit(args, payload, f"{issued.ticket.label}  {issued.people_ahead} ahead, wait {wait}")
    return 0


def _expect(text: str | None) -> str | None:
    """`--expect LABEL`: act only if the counter has that ticket; `--expect none`: only if
    it has none; no option: whatever it has."""
    from kiosk.store import ANY  # here: `kiosk check-config` needs no store

    if text is None:
        return ANY
    return None if text.strip().lower() in ("none", "-") else text


def _counter_verb(verb: str) -> Handler:
    def run(args: argparse.Namespace) -> int:
        with open_store(args) as store:
            method = getattr(store, verb)
            ticket = method(args.counter, actor=actor_of(args), expect=_expect(args.expect))
            if verb == "call_next":
                text = (
                    f"{ticket.label} -> counter {args.counter}"
                    if ticket
                    else f"nothing waiting for counter {args.counter}"
                )
            else:
                text = f"{ticket.label}: {ticket.state}"
            emit(args, ticket_json(ticket), text)
        return 0

    return run


def cmd_transfer(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        ticket = store.transfer(
            args.label, args.service.upper(), position=args.position, actor=actor_of(args)
        )
        emit(args, ticket_json(ticket), f"{ticket.label} -> queue {ticket.service}")
    return 0


def cmd_reclassify(args: argparse.Namespace) -> int:
    need = None if args.need == "none" else args.need
    with open_store(args) as store:
        ticket = store.reclassify(args.label, need, actor=actor_of(args))
        emit(args, ticket_json(ticket), f"{ticket.label}: need {ticket.need or 'none'}")
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        ticket = store.cancel(args.label, actor=actor_of(args))
        emit(args, ticket_json(ticket), f"{ticket.label}: cancelled")
    return 0


def cmd_requeue(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        ticket = store.requeue(args.label, position=args.position, actor=actor_of(args))
        emit(args, ticket_json(ticket),
             f"{ticket.label} back in queue {ticket.service} ({args.position})")
    return 0


def cmd_counter(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        state = store.counter(args.counter, args.action, actor=actor_of(args),
                              minutes=args.minutes)
        emit(args, {"counter": args.counter, "state": state}, f"counter {args.counter}: {state}")
    return 0


def cmd_day(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        if args.action == "open":
            if args.confirm:  # an admin vouches for the clock (kiosk.store.base)
                store.confirm_clock()
            expired = store.day_open(actor=actor_of(args))
            text = f"day {store.today()} opened; {expired} earlier ticket(s) expired"
        else:
            expired = store.day_close(actor=actor_of(args))
            text = f"day {store.today()} closed; {expired} waiting ticket(s) expired"
        emit(args, {"day": store.today(), "action": args.action, "expired": expired}, text)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        status = views.status(store).as_json()
    if args.json:
        print(json.dumps(status, ensure_ascii=False))
        return 0
    lines = [f"day {status['day']}"]
    if status["clock_problem"]:
        lines.append(f"CLOCK: {status['clock_problem']}")
    lines.append("waiting  service  priority  regular  oldest (min)")
    for s in status["services"]:
        oldest = "-" if s["oldest_wait_min"] is None else f"{s['oldest_wait_min']:.0f}"
        lines.append(
            f"{s['waiting']:>7}  {s['service']:<7}  {s['priority']:>8}  {s['regular']:>7}"
            f"  {oldest:>12}"
        )
    for c in status["counters"]:
        current = f"{c['label']} ({c['ticket_state']})" if c["label"] else "-"
        staff = f" by {c['staff']}" if c["staff"] and c["state"] != "closed" else ""
        if c["state"] == "unattended":  # a console holds it but has gone silent
            staff = f" ({c['staff']}'s console has not answered; it will be closed)"
        lines.append(f"counter {c['counter']}: {c['state']}{staff}; current {current}")
    for d in status["devices"]:
        detail = f" ({d['detail']})" if d["detail"] else ""
        lines.append(f"{d['kind']} {d['name']}: {d['state']}{detail} at {d['updated_at']}")
    print("\n".join(lines))
    return 0


def cmd_staff_add(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        pin = getpass.getpass("PIN (6-12 digits): " if args.role == "admin"
                              else "PIN (4-12 digits): ")
        again = getpass.getpass("PIN again: ")
        if pin != again:
            raise UsageError("the two PINs differ; nothing was changed")
    else:
        pin = sys.stdin.readline().strip()
    with open_store(args) as store:
        store.staff_add(args.name, args.role, pin, reset=args.reset_pin)
    print(f"{args.name}: {args.role} account saved")
    return 0


def cmd_accounts(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        if args.action == "list":
            rows = store.staff_list()
            text = "\n".join(
                f"{r['name']}  {r['role']}" + ("  disabled" if r["disabled"] else "")
                + ("  locked" if r["locked"] else "") for r in rows) or "no accounts"
            emit(args, {"accounts": rows}, text)
            return 0
        if not args.name:
            raise UsageError(f"kiosk staff {args.action} needs a NAME")
        store.staff_set(args.name, args.action)
        emit(args, {"name": args.name, "action": args.action},
             f"{args.name}: {args.action}d" if args.action != "remove"
             else f"{args.name}: removed")
    return 0


def register(verb: Verb, as_json: argparse.ArgumentParser) -> None:
    """Add these verbs to the `kiosk` parser."""
    verb("check-config", cmd_check_config, "validate config.toml and print a summary", as_json)

    p = verb("issue", cmd_issue, "issue a ticket", as_json)
    p.add_argument("service", help="service prefix, e.g. A")
    p.add_argument("--need", help="priority need code (e.g. lansia)")
    p.add_argument("--lang", help="patron language (id, en)")
    p.add_argument("--kiosk", help="kiosk id from config")
    p.add_argument("--no-print", action="store_true", help="do not print a slip")
    p.add_argument("--actor", help=argparse.SUPPRESS)

    for name, method, text in (
        ("call", "call_next", "finish the counter's current ticket and call the next"),
        ("recall", "recall", "call the current ticket again"),
        ("start", "start", "the called patron has arrived"),
        ("finish", "finish", "finish the current ticket"),
        ("no-show", "no_show", "the called patron did not come"),
    ):
        p = verb(name, _counter_verb(method), text, as_json)
        p.add_argument("--counter", type=number, required=True, metavar="N")
        p.add_argument("--expect", metavar="LABEL",
                       help="act only if the counter has this ticket now (none: no ticket)")
        p.add_argument("--actor", help=argparse.SUPPRESS)

    p = verb("transfer", cmd_transfer, "move a ticket to another service's queue", as_json)
    p.add_argument("label")
    p.add_argument("service")
    p.add_argument("--position", choices=["front", "back"])
    p.add_argument("--actor", help=argparse.SUPPRESS)

    p = verb("reclassify", cmd_reclassify, "change a ticket's priority need", as_json)
    p.add_argument("label")
    p.add_argument("--need", required=True, help="need code, or none")
    p.add_argument("--actor", help=argparse.SUPPRESS)

    p = verb("cancel", cmd_cancel, "cancel a ticket", as_json)
    p.add_argument("label")
    p.add_argument("--actor", help=argparse.SUPPRESS)

    p = verb("requeue", cmd_requeue,
             "put today's no-show or cancelled ticket back in its queue", as_json)
    p.add_argument("label")
    p.add_argument("--position", choices=["front", "back"], default="back")
    p.add_argument("--actor", help=argparse.SUPPRESS)

    p = verb("counter", cmd_counter, "open, pause, resume or close a counter", as_json)
    p.add_argument("action", choices=["open", "pause", "resume", "close"])
    p.add_argument("--counter", type=number, required=True, metavar="N")
    p.add_argument("--minutes", type=number, metavar="M",
                   help="pause: back in M minutes (the estimate counts on the counter then)")
    p.add_argument("--actor", help=argparse.SUPPRESS)

    p = verb("day", cmd_day, "open or close the day", as_json)
    p.add_argument("action", choices=["open", "close"])
    p.add_argument("--confirm", action="store_true",
                   help="open: the clock is right, go on although it could not be checked")
    p.add_argument("--actor", help=argparse.SUPPRESS)

    verb("status", cmd_status, "waiting per service, counters, devices", as_json)

    p = verb("staff-add", cmd_staff_add, "add a staff or admin account (asks for the PIN)")
    p.add_argument("name")
    p.add_argument("--role", choices=["staff", "admin"], required=True)
    p.add_argument("--reset-pin", action="store_true",
                   help="the account exists: give it a new PIN (and this role)")

