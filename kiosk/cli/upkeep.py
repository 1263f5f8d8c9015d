"""Keeping a site: `kiosk backup` and `kiosk restore` (kiosk.store.backup)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from kiosk.cli.common import clock_of, emit, settings_of

Verb = Callable[..., argparse.ArgumentParser]


def default_folder(args: argparse.Namespace) -> Path:
    return settings_of(args).store.path.parent / "backups"


def cmd_backup(args: argparse.Namespace) -> int:
    from kiosk.store.backup import backup

    store = settings_of(args).store.path
    folder = Path(args.to) if args.to else default_folder(args)
    made = backup(store, folder, keep=args.keep, now=clock_of().now())
    gone = f"; {len(made.removed)} older copies removed" if made.removed else ""
    emit(args, {"path": str(made.path), "bytes": made.bytes, "seconds": round(made.seconds, 3),
                "tickets": made.tickets, "removed": [str(p) for p in made.removed]},
         f"backed up {made.tickets:,} tickets to {made.path} ({made.bytes / 1e6:.1f} MB,"
         f" {made.seconds:.1f} s, integrity ok){gone}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from kiosk.store.backup import restore

    store = settings_of(args).store.path
    kept = restore(Path(args.file), store, now=clock_of().now())
    emit(args, {"restored": str(args.file), "store": str(store), "kept": str(kept)},
         f"restored {args.file} as {store} (integrity ok); the file it replaced is {kept}")
    return 0


def register(verb: Verb, as_json: argparse.ArgumentParser) -> None:
    p = verb("backup", cmd_backup, "an online, checked copy of the store (while it is in use)",
             as_json)
    p.add_argument("--to", help="folder for the copies (default: backups/ beside the store)")
    p.add_argument("--keep", type=int, default=14, help="copies to keep (default 14)")
    p = verb("restore", cmd_restore, "put a backup copy back (with everything stopped)",
             as_json)
    p.add_argument("file", help="a copy made by kiosk backup")
