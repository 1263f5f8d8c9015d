"""`kiosk announcer [--once] [--name NAME]`: the speech worker as its own process.

Runs until SIGTERM or SIGINT (a second one stops at once); a stop takes effect after the
call being played, so a clean stop never cuts a call short nor says it twice.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

from kiosk.cli.common import clock_of, emit, settings_of, stop_on_signals
from kiosk.host import logs, notify

Verb = Callable[..., argparse.ArgumentParser]


def cmd_announcer(args: argparse.Namespace) -> int:
    from kiosk.announcer import Announcer, log  # speech: imported only for this verb

    settings = settings_of(args)
    clock = clock_of()
    # Records go to the journal under systemd; else to logs/announcer-NAME.log and, as a
    # worker in a terminal, to stderr too.
    logs.setup(settings, f"announcer-{args.name}", debug=args.debug, console=logging.INFO)
    notifier = notify.for_this_process()
    announcer = Announcer(settings, name=args.name, output=args.output, clock=clock,
                          kiosk=args.kiosk, alive=notifier.alive)
    if args.once:
        try:
            spoken = announcer.run_once()
        except BaseException:
            announcer.close(state=None)  # the heartbeat keeps saying "error"
            raise
        announcer.close(detail="ran once")
        emit(args, {"announced": spoken, "name": announcer.name, "output": announcer.output},
             f"announced {spoken} call(s)")
        return 0
    stop = stop_on_signals(log, notifier, "the current call")
    log.info("announcer %s started (output %s, store %s)", announcer.name, announcer.output,
             settings.store.path)
    notifier.ready(f"announcing through {announcer.output}")
    announcer.run_forever(stop)
    return 0


def register(verb: Verb, as_json: argparse.ArgumentParser) -> None:
    """Add `announcer` to the `kiosk` parser."""
    p = verb("announcer", cmd_announcer,
             "speech worker: announces new calls from the event log", as_json)
    p.add_argument("--once", action="store_true", help="announce what is pending, then exit")
    p.add_argument("--name", default="main",
                   help="announcer name: its own cursor and heartbeat (default: main)")
    p.add_argument("--output", choices=["speaker", "wav", "none"],
                   help="overrides [speech].output")
    p.add_argument("--kiosk", metavar="ID",
                   help="the kiosk whose player to use (default: the first in config)")
