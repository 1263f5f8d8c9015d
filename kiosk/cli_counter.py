"""Verbs of the counter screens: `kiosk staff --counter N` and `kiosk board [--speak]`.

Both also run in browsers through `kiosk web staff --counter N` / `kiosk web board`
(kiosk/cli_screens.py starts `kiosk SCREEN ...` per tab through textual-serve). A served
board does not speak: each tab is its own process, and the voice belongs to the host, so
the host runs `kiosk announcer` (or one `kiosk board --speak` on its own screen) beside it.
"""

from __future__ import annotations

import argparse
from typing import Any

from kiosk import cli
from kiosk import clock as clk
from kiosk.exceptions import UsageError


def _clock() -> clk.Clock:
    try:
        return clk.from_environment()
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def cmd_staff(args: argparse.Namespace) -> int:
    settings = cli.settings_of(args)
    try:
        settings.counter(args.counter)
    except KeyError:
        known = ", ".join(str(c.id) for c in settings.counters)
        raise UsageError(f"unknown counter {args.counter} (configured: {known})") from None
    clock = _clock()
    from kiosk.ui.staff import run

    cli.log_to_file(settings, f"staff-{args.counter}")
    run(settings, args.counter, clock=clock)
    return 0


def cmd_board(args: argparse.Namespace) -> int:
    settings = cli.settings_of(args)
    clock = _clock()
    from kiosk.ui.board import run

    cli.log_to_file(settings, "board")
    run(settings, speak=args.speak, clock=clock)
    return 0


def register(sub: Any, verb: Any, common: argparse.ArgumentParser,
             as_json: argparse.ArgumentParser) -> None:
    p = verb("staff", cmd_staff, "the counter console for staff (sign in with a PIN)")
    p.add_argument("--counter", type=int, required=True, metavar="N", help="this counter")

    p = verb("board", cmd_board, "the lobby board: calls now, last calls, waiting, estimates")
    p.add_argument("--speak", action="store_true",
                   help="also announce the calls from this process (the announcer in a thread)")


cli.EXTENSIONS.append(register)
