"""`kiosk sync [--to URL] [--once]` and `kiosk central init|migrate URL` (issue 25).

The sync runs until SIGTERM or SIGINT (a second one stops at once), or with --once ships
what is pending and exits. Every fault is one line; the URL is shown with its password
masked, everywhere.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from kiosk.cli.common import clock_of, emit, settings_of, stop_on_signals
from kiosk.config import masked
from kiosk.exceptions import UsageError
from kiosk.host import logs, notify

Verb = Callable[..., argparse.ArgumentParser]


def _url(args: argparse.Namespace, configured: str) -> str:
    url = getattr(args, "to", None) or getattr(args, "url", None) or configured
    if not url:
        raise UsageError("no central database: give --to postgresql://USER@HOST/DB, or set"
                         " [sync] url in the config")
    if not url.startswith(("postgresql://", "postgres://")):
        raise UsageError(f'"{masked(url)}" is not a PostgreSQL URL (postgresql://...)')
    return url


def cmd_sync(args: argparse.Namespace) -> int:
    from kiosk.central.sync import Sync, log  # psycopg: imported only for these verbs
    from kiosk.store import Store

    settings = settings_of(args)
    url = _url(args, settings.sync.url)
    with Store(settings, clock=clock_of()) as store:
        sync = Sync(store, settings, url)
        if args.once:
            logs.setup(settings, "sync", debug=args.debug)
            said = logging.StreamHandler(sys.stderr)  # a warning (the clock) in plain words
            said.setLevel(logging.WARNING)
            said.setFormatter(logging.Formatter("kiosk sync: %(message)s"))
            log.addHandler(said)
            report = sync.run()
            emit(args, report.as_json(),
                 f"shipped {report.events} event(s) and {report.tickets} ticket(s) of site"
                 f" {report.site} to {report.centre} in {report.batches} batch(es); cursor"
                 f" {report.cursor}, {report.behind} behind")
            return 0
        logs.setup(settings, "sync", debug=args.debug, console=logging.INFO)
        notifier = notify.for_this_process()
        stop = stop_on_signals(log, notifier, "the current batch")
        log.info("sync of site %s to %s started (every %d s)", settings.site.id, masked(url),
                 settings.sync.interval_s)
        notifier.ready(f"syncing site {settings.site.id} to {masked(url)}")
        sync.run_forever(stop, notifier.alive)
    return 0


def cmd_central(args: argparse.Namespace) -> int:
    from kiosk.central import schema
    from kiosk.central.connect import connect, explain, where

    url = _url(args, "")
    conn = connect(url, application="kiosk-central")
    try:
        before, after = schema.migrate(conn, create=args.action == "init")
    except Exception as exc:
        if type(exc).__module__.startswith("psycopg"):
            raise explain(exc, url) from None
        raise
    finally:
        conn.close()
    there = where(url)
    if before is None and after == 0:
        raise UsageError(f"the central database at {there} has no kiosk tables yet: run"
                         f" kiosk central init {masked(url)}")
    if before is not None and before > schema.SCHEMA_VERSION:
        raise UsageError(f"the central database at {there} is at schema {before}, newer than"
                         f" this program's {schema.SCHEMA_VERSION}: upgrade this kiosk")
    text = (f"the central database at {there} is at schema {after} already" if before == after
            else f"the central database at {there}: schema {before or 0} -> {after}")
    emit(args, {"centre": there, "before": before, "after": after}, text)
    return 0


def register(verb: Verb, as_json: argparse.ArgumentParser) -> None:
    """Add `sync` and `central` to the `kiosk` parser."""
    p = verb("sync", cmd_sync, "ship the event log and settled tickets to the central"
             " PostgreSQL database", as_json)
    p.add_argument("--to", metavar="URL", help="postgresql://USER:PASSWORD@HOST/DB"
                   " (default: [sync] url)")
    p.add_argument("--once", action="store_true", help="ship what is pending, then exit")
    p = verb("central", cmd_central, "create or upgrade the central database's tables",
             as_json)
    p.add_argument("action", choices=["init", "migrate"])
    p.add_argument("url", metavar="URL", help="postgresql://USER:PASSWORD@HOST/DB")
