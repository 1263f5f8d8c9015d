"""The `kiosk` command. Its verbs mirror the store's verbs one to one (design §5).

Exit codes: 0 success, 2 bad usage or configuration, 1 a runtime failure. Errors are one
line on stderr (`kiosk: ...`) with no traceback unless --debug. `--json` prints one object.
"""

# The command line is a face, like the screens: it imports the features (the store, the
# read side, the devices, the reports) and registers their verbs here; no feature imports
# it. One module per group of verbs: tickets.py (the store's verbs), screens.py,
# serve.py, announcer.py, printing.py, reports.py, survey.py, upkeep.py (backup, restore,
# install-units), doctor.py, central.py (sync, central), bookings.py (bookings, check-in);
# common.py holds what they share.

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kiosk.cli import (
    announcer,
    bookings,
    central,
    doctor,
    printing,
    reports,
    screens,
    serve,
    survey,
    tickets,
    upkeep,
)
from kiosk.cli.common import Parser, settings_of
from kiosk.exceptions import KioskError

Handler = Callable[[argparse.Namespace], int]

DEFAULT_VERB = "patron"
"""`kiosk` alone starts the patron kiosk."""


def build_parser() -> argparse.ArgumentParser:
    def globals_parser(default: Any) -> argparse.ArgumentParser:
        # The global options work before and after the verb; after it, SUPPRESS keeps an
        # absent option from overwriting one given before it.
        p = argparse.ArgumentParser(add_help=False)
        p.add_argument("--config", metavar="PATH", default=default,
                       help="config.toml (else $KIOSK_CONFIG, ./config.toml, embedded default)")
        p.add_argument("--db", metavar="PATH", default=default,
                       help="the store file, overriding [store].path")
        p.add_argument("--create", action="store_true",
                       default=False if default is None else default,
                       help="with --db: make a new store there if there is none")
        p.add_argument("--debug", action="store_true",
                       default=False if default is None else default, help="show tracebacks")
        p.add_argument("--version", action="store_true",
                       default=False if default is None else default,
                       help="print this program's version and the store's schema version")
        return p

    common = globals_parser(argparse.SUPPRESS)
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print one JSON object")

    parser = Parser(prog="kiosk", description=__doc__, parents=[globals_parser(None)])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def verb(name: str, handler: Handler, help_text: str, *parents: argparse.ArgumentParser,
             ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, parents=[common, *parents],
                           description=help_text)
        p.set_defaults(handler=handler)
        return p

    for group in (tickets, bookings, screens, serve, announcer, printing, reports, survey, upkeep,
                  doctor, central):
        group.register(verb, as_json)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Everything this program writes (the store, its WAL, logs, slips, exports, WAVs) is
    # the site's and nobody else's on the machine: folders 0700, files 0600.
    os.umask(0o077)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        args.handler = _version
    elif not getattr(args, "handler", None):
        args = parser.parse_args([*(argv if argv is not None else sys.argv[1:]), DEFAULT_VERB])
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
        fault = _store_fault(args, exc)  # a store read outside the store's transactions
        if fault is not None:
            print(f"kiosk: {fault}", file=sys.stderr)
            return fault.exit_code
        what = getattr(args, "command", None) or "kiosk"
        print(f"kiosk: {what} stopped on a fault in the program ({exc or type(exc).__name__});"
              " run it again with --debug to see where, and report it", file=sys.stderr)
        return 1


def _version(args: argparse.Namespace) -> int:
    """`kiosk --version`: what an upgrade changes, read without touching the store."""
    from kiosk import __version__
    from kiosk.store.schema import SCHEMA_VERSION, version_of

    print(f"kiosk {__version__} (store schema {SCHEMA_VERSION})")
    try:
        path = settings_of(args).store.path
    except KioskError as exc:
        print(f"store: unknown ({exc})")
        return 0
    found = version_of(path)
    if found is None:
        print(f"store: none yet at {path}")
    elif found == SCHEMA_VERSION:
        print(f"store: {path}, schema {found}")
    elif found < SCHEMA_VERSION:
        print(f"store: {path}, schema {found}: migrated to {SCHEMA_VERSION} when a kiosk process"
              " next opens it (a copy is made first)")
    else:
        print(f"store: {path}, schema {found}, newer than this program: install the version"
              " that made it, or restore a copy made before the upgrade")
    return 0


def _store_fault(args: argparse.Namespace, exc: BaseException) -> KioskError | None:
    """The store's plain sentence for an SQLite fault met outside the store's own
    transactions (kiosk.store.faults), naming the store file of --config/--db."""
    if type(exc).__module__ != "sqlite3":  # another file's trouble is not the store's
        return None
    from kiosk.store.faults import explain

    try:
        path = Path(args.db) if getattr(args, "db", None) else settings_of(args).store.path
    except Exception:  # the config itself is the trouble: say the fault without a path
        path = Path("the store")
    return explain(exc, Path(path))


__all__ = ["build_parser", "main"]
