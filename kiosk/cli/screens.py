"""Verbs that start a screen: `kiosk patron [--kiosk ID]`, `kiosk staff --counter N`,
`kiosk board [--speak]`, `kiosk admin`, `kiosk rate --counter N` (the four faces facing the
patron at a counter), and `kiosk web SCREEN` (kiosk serve, one screen).

`kiosk web SCREEN` serves any screen verb to browsers: each browser tab gets its own app
process, started as `python -m kiosk SCREEN ...` with this command's --config and --db, so
every tab works on the same store file. It listens on 127.0.0.1 unless --host says otherwise.
A served board does not speak: each tab is its own process, and the voice belongs to the
host, so the host runs `kiosk announcer` (or one `kiosk board --speak` on its own screen).

Each screen logs to logs/SCREEN.log beside the store (stderr would draw over the screen), or
to the journal when systemd started it (kiosk.host.logs).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from kiosk.cli.common import clock_of, number, settings_of
from kiosk.config import Settings
from kiosk.exceptions import UsageError
from kiosk.host import logs

SCREENS = ("patron", "staff", "board", "admin", "rate")
"""Screens `kiosk web` can serve (each is also a verb of its own)."""

Verb = Callable[..., argparse.ArgumentParser]


def cmd_patron(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    try:
        settings.kiosk(args.kiosk)
    except KeyError:
        known = ", ".join(k.id for k in settings.kiosks)
        raise UsageError(f'unknown kiosk "{args.kiosk}" (configured: {known})') from None
    clock_of()  # a wrong $KIOSK_NOW fails here, before the screen takes the terminal
    from kiosk.ui.patron import run

    logs.setup(settings, f"patron-{settings.kiosk(args.kiosk).id}")
    run(settings, args.kiosk)
    return 0


def cmd_staff(args: argparse.Namespace) -> int:
    if args.action is not None:  # `kiosk staff list|disable|enable|remove`: the accounts
        from kiosk.cli.tickets import cmd_accounts

        return cmd_accounts(args)
    if args.counter is None:
        raise UsageError("kiosk staff needs --counter N (the console), or list, disable,"
                         " enable or remove (the accounts)")
    settings = _with_counter(args)
    clock = clock_of()
    from kiosk.ui.staff import run

    logs.setup(settings, f"staff-{args.counter}")
    run(settings, args.counter, clock=clock)
    return 0


def cmd_board(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    clock = clock_of()
    from kiosk.ui.board import run

    logs.setup(settings, "board")
    run(settings, speak=args.speak, clock=clock)
    return 0


def cmd_admin(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    clock = clock_of()
    from kiosk.ui.admin import run

    if args.site and not args.central:
        raise UsageError("--site needs --central URL (a site's store reports on itself)")
    logs.setup(settings, "admin")
    run(settings, clock=clock, central=args.central, central_site=args.site or "all")
    return 0


def _with_counter(args: argparse.Namespace) -> Settings:
    """The settings, once --counter names a configured counter (else one line)."""
    settings = settings_of(args)
    try:
        settings.counter(args.counter)
    except KeyError:
        known = ", ".join(str(c.id) for c in settings.counters)
        raise UsageError(f"unknown counter {args.counter} (configured: {known})") from None
    return settings


def cmd_rate(args: argparse.Namespace) -> int:
    settings = _with_counter(args)
    clock = clock_of()
    from kiosk.ui.rate import run

    logs.setup(settings, f"rate-{args.counter}")
    run(settings, args.counter, clock=clock)
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    """`kiosk web SCREEN`: the same server as `kiosk serve` (kiosk/web), whose "/" opens
    this one screen (with its --counter or --kiosk)."""
    if args.screen in ("staff", "rate") and args.counter is None:
        raise UsageError(f"kiosk web {args.screen} needs --counter N")
    settings = settings_of(args)  # a bad config fails here, once, with its key
    if args.kiosk is not None and args.kiosk not in {k.id for k in settings.kiosks}:
        raise UsageError(f'unknown kiosk "{args.kiosk}"')
    if args.counter is not None and args.counter not in {c.id for c in settings.counters}:
        known = ", ".join(str(c.id) for c in settings.counters)
        raise UsageError(f"unknown counter {args.counter} (configured: {known})")
    if args.public_url:
        settings = settings.model_copy(
            update={"web": settings.web.model_copy(update={"public_url": args.public_url})})
    from kiosk.cli.serve import serve

    params = {"counter": args.counter, "kiosk": args.kiosk}
    home = (args.screen, {k: str(v) for k, v in params.items() if v is not None})
    serve(args, settings, args.host, args.port, f"kiosk: serving the {args.screen} screen on"
          f" http://{args.host}:{args.port}/ (Ctrl-C stops)", home)
    return 0


def register(verb: Verb, as_json: argparse.ArgumentParser) -> None:
    """Add the screens' verbs to the `kiosk` parser."""
    p = verb("patron", cmd_patron, "the patron kiosk in this terminal (the default verb)")
    p.add_argument("--kiosk", metavar="ID", help="kiosk id from config (default: the first)")

    p = verb("staff", cmd_staff, "the counter console for staff (sign in with a PIN); or"
             " list, disable, enable or remove the accounts", as_json)
    p.add_argument("action", nargs="?", choices=["list", "disable", "enable", "remove"],
                   help="the accounts instead of the console")
    p.add_argument("name", nargs="?", help="the account to disable, enable or remove")
    p.add_argument("--counter", type=number, metavar="N", help="this counter")

    p = verb("board", cmd_board, "the lobby board: calls now, last calls, waiting, estimates")
    p.add_argument("--speak", action="store_true",
                   help="also announce the calls from this process (the announcer in a thread)")

    p = verb("admin", cmd_admin,
             "the admin screen: today live, statistics, charts, the serve-time log, exports")
    p.add_argument("--central", metavar="URL",
                   help="Statistics, Charts and Survey from the head office's PostgreSQL"
                        " (what the sites shipped)")
    p.add_argument("--site", metavar="ID",
                   help="with --central: one site's id, or all (default: all, merged)")

    p = verb("rate", cmd_rate, "the counter's four-face rating, on a small tablet facing the"
             " patron: one tap rates the ticket just finished there")
    p.add_argument("--counter", type=number, metavar="N", required=True, help="this counter")

    p = verb("web", cmd_web, "serve one screen to browsers (kiosk serve, opening it at /)")
    p.add_argument("screen", choices=SCREENS, help="which screen")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=number, default=8000, help="port (8000)")
    p.add_argument("--counter", type=number, metavar="N",
                   help="the counter (staff and rate screens)")
    p.add_argument("--kiosk", metavar="ID", help="the kiosk (patron screen)")
    p.add_argument("--public-url", metavar="URL",
                   help="address browsers use when --host is 0.0.0.0 (e.g. http://10.0.0.5:8000)")
