"""`kiosk admin`: the admin screen (statistics, charts, the serve-time log, exports, purge).

In a terminal, or served to browsers with `kiosk web admin` (each tab its own process, on
the same store file). The screen asks for an admin name and PIN before it shows anything.
"""

from __future__ import annotations

import argparse
from typing import Any

from kiosk import cli
from kiosk import clock as clk
from kiosk.exceptions import UsageError


def cmd_admin(args: argparse.Namespace) -> int:
    settings = cli.settings_of(args)
    try:
        clock = clk.from_environment()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    from kiosk.ui.admin import run

    cli.log_to_file(settings, "admin")
    run(settings, clock=clock)
    return 0


def register(sub: Any, verb: Any, common: argparse.ArgumentParser,
             as_json: argparse.ArgumentParser) -> None:
    """Add `admin` to the `kiosk` parser (see kiosk.cli.EXTENSIONS)."""
    verb("admin", cmd_admin,
         "the admin screen: today live, statistics, charts, the serve-time log, exports")


cli.EXTENSIONS.append(register)
