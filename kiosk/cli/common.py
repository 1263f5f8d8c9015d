"""What every verb of the `kiosk` command shares: its settings, its store, its clock, its
one-line output."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

from kiosk import clock as clk
from kiosk import config as cfg
from kiosk.exceptions import UsageError
from kiosk.host.notify import Notifier
from kiosk.views import JSON_KEYS, ticket_json  # noqa: F401 (the verbs' output)

if TYPE_CHECKING:
    from kiosk.store import Store




class Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line, as every other usage error does."""

    def error(self, message: str) -> NoReturn:
        print(f"kiosk: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(2)


def number(text: str) -> int:
    """An argparse type: a whole number in ASCII digits (int() would also take "١٢" or "²",
    which no keyboard at a counter types on purpose)."""
    digits = text.strip()
    if not (digits.isascii() and digits.lstrip("-").isdigit()) or len(digits) > 9:
        raise argparse.ArgumentTypeError(f'"{text}" is not a whole number (digits 0-9)')
    return int(digits)


def settings_of(args: argparse.Namespace) -> cfg.Settings:
    if args.db and not getattr(args, "create", False):
        path = Path(args.db)
        if not path.exists():  # a typo must not make a new empty store and "succeed"
            where = "" if path.parent.is_dir() else " (its folder does not exist either)"
            raise UsageError(f"no store at {path}{where}: check the path, or add --create"
                             " to make a new one there")
    return cfg.load(args.config, db=args.db)


def clock_of() -> clk.Clock:
    """The command line's clock: the system's, or $KIOSK_NOW standing still (tests)."""
    try:
        return clk.from_environment()
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def open_store(args: argparse.Namespace) -> Store:
    """The store of --config/--db (imported here: `kiosk check-config` needs no store)."""
    from kiosk.store import Store

    clock = clock_of()
    return Store(settings_of(args), clock=clock)


def stop_on_signals(log: logging.Logger, notifier: Notifier, after: str) -> threading.Event:
    """SIGTERM or SIGINT sets the returned event (the worker stops `after` what it is
    doing, and tells systemd it is stopping); a second one stops at once."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        log.info("stopping after %s (signal %s)", after, signum)
        notifier.stopping()
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(text)


def actor_of(args: argparse.Namespace) -> str:
    return getattr(args, "actor", None) or "cli"


def check_port(host: str, port: int) -> None:
    """Refuse, in one line and before any banner, an address a server cannot listen on (a
    port in use, an address this machine does not have). A probe bind: the server binds
    again a moment later, which a port in use in between would still fail, but in its own
    words."""
    import errno
    import socket

    if not 0 < port < 65536:
        raise UsageError(f"--port {port}: a port is a number from 1 to 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(
            f"--host {host}: not an address of this machine ({exc.strerror})") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            where = f"{host}:{port}"
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"cannot listen on {where}: the port is already in use (another"
                                 " kiosk server?); stop it or choose another --port") from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise UsageError(f"cannot listen on {where}: this machine has no such address;"
                                 " check --host") from None
            if exc.errno == errno.EACCES:
                raise UsageError(f"cannot listen on {where}: ports below 1024 need"
                                 " privileges; choose a --port above 1024") from None
            raise UsageError(f"cannot listen on {where}: {exc.strerror or exc}") from None
