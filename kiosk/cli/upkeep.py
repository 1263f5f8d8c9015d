"""Keeping a site: `kiosk backup` and `kiosk restore` (kiosk.store.backup), and
`kiosk install-units` (kiosk.host.units)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from kiosk.cli.common import clock_of, emit, number, settings_of
from kiosk.config import EMBEDDED
from kiosk.exceptions import UsageError
from kiosk.host.units import PATRON_MODES

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


def cmd_install_units(args: argparse.Namespace) -> int:
    from kiosk.host.units import Site, enable_line, units

    settings = settings_of(args)
    if settings.source == EMBEDDED:
        raise UsageError("install-units needs the site's own config file (--config PATH or"
                         " $KIOSK_CONFIG): the services must read the file you edit")
    kiosk_id = settings.kiosk(args.kiosk).id if args.kiosk is None else args.kiosk
    if kiosk_id not in {k.id for k in settings.kiosks}:
        known = ", ".join(k.id for k in settings.kiosks)
        raise UsageError(f'unknown kiosk "{args.kiosk}" (configured: {known})')
    folder = Path(args.dir)
    if not folder.is_dir():
        raise UsageError(f"--dir {folder}: no such folder")
    site = Site(kiosk=(sys.executable, "-m", "kiosk"), config=Path(settings.source).absolute(),
                store_dir=settings.store.path.parent, user=_account(args.user),
                url=settings.local_url, patron=args.patron,
                kiosk_id=kiosk_id, tty=args.tty, rotate=args.rotate, keep=args.keep,
                sync=bool(settings.sync.url))
    if args.patron == "browser":
        site = replace(site, cage=_program("cage", "apt install cage"),
                       chromium=_program("chromium", "apt install chromium"))
    written = []
    for name, text in units(site).items():
        target = folder / name
        target.write_text(text, "utf-8")
        target.chmod(0o644)  # systemd reads units as any user; nothing secret is in them
        written.append(target)
    emit(args, {"dir": str(folder), "units": [p.name for p in written], "user": site.user,
                "enable": enable_line([p.name for p in written])},
         "\n".join([*(f"wrote {p}" for p in written),
                    f"the services run as {site.user}; start them now and at every boot with:",
                    f"  {enable_line([p.name for p in written])}"]))
    return 0


def _account(wanted: str | None) -> str:
    """The account the services run as: --user, else whoever ran sudo, else the current
    user; never root (a kiosk that a patron can reach must not hold the whole PC)."""
    import getpass
    import pwd

    name = wanted or os.environ.get("SUDO_USER") or getpass.getuser()
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        raise UsageError(f'--user {name}: no such account on this PC; make one with'
                         f' "sudo adduser --disabled-password {name}"') from None
    if uid == 0:
        raise UsageError("the services must not run as root: name the account they run as"
                         " with --user NAME (e.g. sudo adduser --disabled-password kiosk)")
    return name


def _program(name: str, install: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise UsageError(f"--patron browser needs {name}, which is not installed: {install}"
                         " (or --patron console for the terminal kiosk)")
    return found


def register(verb: Verb, as_json: argparse.ArgumentParser) -> None:
    p = verb("backup", cmd_backup, "an online, checked copy of the store (while it is in use)",
             as_json)
    p.add_argument("--to", help="folder for the copies (default: backups/ beside the store)")
    p.add_argument("--keep", type=int, default=14, help="copies to keep (default 14)")
    p = verb("restore", cmd_restore, "put a backup copy back (with everything stopped)",
             as_json)
    p.add_argument("file", help="a copy made by kiosk backup")
    p = verb("install-units", cmd_install_units,
             "write the systemd units of this lobby PC (server, announcer, nightly backup,"
             " the touchscreen)", as_json)
    p.add_argument("--user", help="the account the services run as (default: yours, or"
                   " sudo's caller; never root)")
    p.add_argument("--dir", default="/etc/systemd/system",
                   help="where to write them (default /etc/systemd/system)")
    p.add_argument("--patron", choices=PATRON_MODES, default="browser",
                   help="the touchscreen: Chromium in kiosk mode under cage (default), the"
                   " terminal kiosk on a text console, or none")
    p.add_argument("--kiosk", metavar="ID", help="the touchscreen's kiosk (default: the first)")
    p.add_argument("--tty", type=number, default=1, help="the touchscreen's console (tty1)")
    p.add_argument("--rotate", type=int, choices=[0, 90, 180, 270], default=0,
                   help="turn the browser's screen clockwise (a portrait touchscreen: 90)")
    p.add_argument("--keep", type=int, default=14, help="backup copies to keep (default 14)")
