"""The `kiosk` command. Its verbs mirror the store's verbs one to one (design §5).

Exit codes: 0 success, 2 bad usage or configuration, 1 a runtime failure. Errors are one
line on stderr (`kiosk: ...`) with no traceback unless --debug. `--json` prints one object.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from kiosk import clock as clk
from kiosk import config as cfg
from kiosk.exceptions import ConfigError, IssueRefused, KioskError, UsageError

JSON_KEYS = (
    "label",
    "service",
    "need",
    "state",
    "counter",
    "kiosk",
    "people_ahead",
    "estimated_wait_min",
    "printed",
    "issued_at",
    "called_at",
    "finished_at",
)

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line, as every other usage error does."""

    def error(self, message: str) -> NoReturn:
        print(f"kiosk: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(2)


# -- shared helpers ------------------------------------------------------------------------


def settings_of(args: argparse.Namespace) -> cfg.Settings:
    return cfg.load(args.config, db=args.db)


def open_store(args: argparse.Namespace) -> Any:
    from kiosk.store import Store

    try:
        clock = clk.from_environment()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return Store(settings_of(args), clock=clock)


def log_to_file(settings: cfg.Settings, screen: str) -> Path:
    """Send log records to `logs/SCREEN.log` beside the store while a screen runs.

    Anything written to stderr lands on top of a full-screen app (python-escpos even installs
    a stderr handler on import), so a screen process logs to a file staff can read instead."""
    import logging
    import logging.handlers

    folder = settings.store.path.parent / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{screen}.log"
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def ticket_json(ticket: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {key: None for key in ("label", "service", "state", "counter")}
    if ticket is not None:
        out.update({k: ticket.get(k) for k in JSON_KEYS if k in ticket})
    out.update(extra)
    return out


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(text)


def actor_of(args: argparse.Namespace) -> str:
    return getattr(args, "actor", None) or "cli"


# -- verbs ---------------------------------------------------------------------------------


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
    lines.append("ok" if not settings.warnings else f"ok, {len(settings.warnings)} warning(s)")
    print("\n".join(lines))
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        try:
            issued = store.issue(
                args.service.upper(), args.need, lang=args.lang, kiosk=args.kiosk,
                actor=actor_of(args),
            )
        except IssueRefused as exc:
            raise KioskError(f"not issued: {exc}") from None
        printed: bool | None = None
        if not args.no_print:
            printed = print_ticket(store, issued, args.kiosk)
            if printed is False:  # the ticket stays valid: warn, still exit 0
                from printers.worker import failure_reason

                reason = failure_reason(store, issued.ticket["id"])
                print(f"kiosk: warning: {issued.ticket['label']} is issued but its slip was "
                      f"not printed: {reason}", file=sys.stderr)
        payload = ticket_json(
            issued.ticket,
            people_ahead=issued.people_ahead,
            estimated_wait_min=issued.estimated_wait_min,
            printed=printed,
        )
        wait = issued.estimated_wait_min
        wait_text = "unknown" if wait is None else ("< 5 min" if wait == 0 else f"~{wait} min")
        emit(
            args,
            payload,
            f"{issued.ticket['label']}  {issued.people_ahead} ahead, wait {wait_text}",
        )
    return 0


def print_ticket(store: Any, issued: Any, kiosk: str | None) -> bool | None:
    """Print the slip at the kiosk's printer; None when no printer is configured.

    Replaced by the printing module once it exists; until then nothing is printed."""
    try:
        from printers.worker import print_issued
    except ImportError:
        return None
    return print_issued(store, issued, kiosk)


def _counter_verb(verb: str) -> Handler:
    def run(args: argparse.Namespace) -> int:
        with open_store(args) as store:
            method = getattr(store, verb)
            ticket = method(args.counter, actor=actor_of(args))
            if verb == "call_next":
                text = (
                    f"{ticket['label']} -> counter {args.counter}"
                    if ticket
                    else f"nothing waiting for counter {args.counter}"
                )
            else:
                text = f"{ticket['label']}: {ticket['state']}"
            emit(args, ticket_json(ticket), text)
        return 0

    return run


def cmd_transfer(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        ticket = store.transfer(
            args.label, args.service.upper(), position=args.position, actor=actor_of(args)
        )
        emit(args, ticket_json(ticket), f"{ticket['label']} -> queue {ticket['service']}")
    return 0


def cmd_reclassify(args: argparse.Namespace) -> int:
    need = None if args.need == "none" else args.need
    with open_store(args) as store:
        ticket = store.reclassify(args.label, need, actor=actor_of(args))
        emit(args, ticket_json(ticket), f"{ticket['label']}: need {ticket['need'] or 'none'}")
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        ticket = store.cancel(args.label, actor=actor_of(args))
        emit(args, ticket_json(ticket), f"{ticket['label']}: cancelled")
    return 0


def cmd_counter(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        state = store.counter(args.counter, args.action, actor=actor_of(args))
        emit(args, {"counter": args.counter, "state": state}, f"counter {args.counter}: {state}")
    return 0


def cmd_day(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        if args.action == "open":
            expired = store.day_open(actor=actor_of(args))
            text = f"day {store.today()} opened; {expired} earlier ticket(s) expired"
        else:
            expired = store.day_close(actor=actor_of(args))
            text = f"day {store.today()} closed; {expired} waiting ticket(s) expired"
        emit(args, {"day": store.today(), "action": args.action, "expired": expired}, text)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        status = store.status()
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
        lines.append(f"counter {c['counter']}: {c['state']}{staff}; current {current}")
    for d in status["devices"]:
        detail = f" ({d['detail']})" if d["detail"] else ""
        lines.append(f"{d['kind']} {d['name']}: {d['state']}{detail} at {d['updated_at']}")
    print("\n".join(lines))
    return 0


def cmd_staff_add(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        pin = getpass.getpass("PIN (4-12 digits): ")
        again = getpass.getpass("PIN again: ")
        if pin != again:
            raise UsageError("the two PINs differ; nothing was changed")
    else:
        pin = sys.stdin.readline().strip()
    with open_store(args) as store:
        store.staff_add(args.name, args.role, pin)
    print(f"{args.name}: {args.role} account saved")
    return 0


# -- the parser ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    def globals_parser(default: Any) -> argparse.ArgumentParser:
        # The global options work before and after the verb; after it, SUPPRESS keeps an
        # absent option from overwriting one given before it.
        p = argparse.ArgumentParser(add_help=False)
        p.add_argument("--config", metavar="PATH", default=default,
                       help="config.toml (else $KIOSK_CONFIG, ./config.toml, embedded default)")
        p.add_argument("--db", metavar="PATH", default=default,
                       help="the store file, overriding [store].path")
        p.add_argument("--debug", action="store_true",
                       default=False if default is None else default, help="show tracebacks")
        return p

    common = globals_parser(argparse.SUPPRESS)
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print one JSON object")

    parser = _Parser(prog="kiosk", description=__doc__, parents=[globals_parser(None)])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def verb(name: str, handler: Handler, help_text: str, *parents: argparse.ArgumentParser,
             ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, parents=[common, *parents],
                           description=help_text)
        p.set_defaults(handler=handler)
        return p

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
        p.add_argument("--counter", type=int, required=True, metavar="N")
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

    p = verb("counter", cmd_counter, "open, pause, resume or close a counter", as_json)
    p.add_argument("action", choices=["open", "pause", "resume", "close"])
    p.add_argument("--counter", type=int, required=True, metavar="N")
    p.add_argument("--actor", help=argparse.SUPPRESS)

    p = verb("day", cmd_day, "open or close the day", as_json)
    p.add_argument("action", choices=["open", "close"])
    p.add_argument("--actor", help=argparse.SUPPRESS)

    verb("status", cmd_status, "waiting per service, counters, devices", as_json)

    p = verb("staff-add", cmd_staff_add, "add a staff or admin account (asks for the PIN)")
    p.add_argument("name")
    p.add_argument("--role", choices=["staff", "admin"], required=True)

    for register in EXTENSIONS:
        register(sub, verb, common, as_json)
    return parser


Register = Callable[..., None]
EXTENSIONS: list[Register] = []
"""Feature modules add their verbs here when imported (see EXTENSION_MODULES)."""

EXTENSION_MODULES: tuple[str, ...] = ("kiosk.announcer", "kiosk.cli_screens", "printers.cli",
                                      "kiosk.cli_reports", "kiosk.cli_counter",
                                      "kiosk.cli_admin")
"""Modules that register more verbs: screens, printing, speech, reports."""


def _load_extensions() -> None:
    import importlib

    for module in EXTENSION_MODULES:
        importlib.import_module(module)


def main(argv: Sequence[str] | None = None) -> int:
    _load_extensions()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        # `kiosk` alone starts the patron kiosk (or, before it exists, checks the config).
        default = "patron" if _has_verb(parser, "patron") else "check-config"
        args = parser.parse_args([*(argv if argv is not None else sys.argv[1:]), default])
    try:
        return int(args.handler(args))
    except KioskError as exc:
        if args.debug:
            raise
        print(f"kiosk: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kiosk export ... | head`: the reader has had enough
        sys.stderr.close()
        return 0
    except Exception as exc:  # the last line of defence: one line, not a traceback
        if args.debug:
            raise
        print(f"kiosk: unexpected {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return 1


def _has_verb(parser: argparse.ArgumentParser, name: str) -> bool:
    for action in parser._actions:  # argparse keeps subparsers here
        if isinstance(action, argparse._SubParsersAction):
            return name in action.choices
    return False


__all__ = ["main", "build_parser", "EXTENSIONS", "ConfigError"]
