"""Verbs that start screens: `kiosk patron [--kiosk ID]` and `kiosk web SCREEN` (textual-serve).

`kiosk web SCREEN` serves any screen verb to browsers: each browser tab gets its own app
process, started as `python -m kiosk SCREEN ...` with this command's --config and --db, so
every tab works on the same store file. It listens on 127.0.0.1 unless --host says otherwise.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import Any

from kiosk import cli
from kiosk import clock as clk
from kiosk.exceptions import UsageError

SCREENS = ("patron", "staff", "board", "admin")
"""Screens `kiosk web` can serve (each is also a verb of its own, once its module exists)."""


def cmd_patron(args: argparse.Namespace) -> int:
    settings = cli.settings_of(args)
    try:
        settings.kiosk(args.kiosk)
    except KeyError:
        known = ", ".join(k.id for k in settings.kiosks)
        raise UsageError(f'unknown kiosk "{args.kiosk}" (configured: {known})') from None
    try:
        clk.from_environment()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    from kiosk.ui.patron import run

    cli.log_to_file(settings, f"patron-{settings.kiosk(args.kiosk).id}")
    run(settings, args.kiosk)
    return 0


def served_command(args: argparse.Namespace) -> list[str]:
    """The command textual-serve starts for each browser tab."""
    command = [sys.executable, "-m", "kiosk", args.screen]
    if args.config:
        command += ["--config", os.path.abspath(args.config)]
    if args.db:
        command += ["--db", os.path.abspath(args.db)]
    if args.counter is not None:
        command += ["--counter", str(args.counter)]
    if args.kiosk is not None:
        command += ["--kiosk", args.kiosk]
    return command


def cmd_web(args: argparse.Namespace) -> int:
    if not cli._has_verb(cli.build_parser(), args.screen):
        raise UsageError(f'screen "{args.screen}" is not available in this installation')
    if args.screen == "staff" and args.counter is None:
        raise UsageError("kiosk web staff needs --counter N")
    settings = cli.settings_of(args)  # a bad config fails here, once, with its key
    if args.kiosk is not None and args.kiosk not in {k.id for k in settings.kiosks}:
        raise UsageError(f'unknown kiosk "{args.kiosk}"')
    from textual_serve.server import Server

    command = shlex.join(served_command(args))
    title = f"{settings.site.name} — {args.screen}"
    server = Server(command, host=args.host, port=args.port, title=title,
                    public_url=args.public_url)
    server.serve(debug=False)  # never debug: that would hand the tab devtools
    return 0


def register(sub: Any, verb: Any, common: argparse.ArgumentParser,
             as_json: argparse.ArgumentParser) -> None:
    p = verb("patron", cmd_patron, "the patron kiosk in this terminal (the default verb)")
    p.add_argument("--kiosk", metavar="ID", help="kiosk id from config (default: the first)")

    p = verb("web", cmd_web, "serve a screen to browsers (textual-serve)")
    p.add_argument("screen", choices=SCREENS, help="which screen")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (8000)")
    p.add_argument("--counter", type=int, metavar="N", help="the counter (staff screen)")
    p.add_argument("--kiosk", metavar="ID", help="the kiosk (patron screen)")
    p.add_argument("--public-url", metavar="URL",
                   help="address browsers use when --host is 0.0.0.0 (e.g. http://10.0.0.5:8000)")


cli.EXTENSIONS.append(register)
