"""`kiosk serve` (the whole lobby on one port) and `kiosk api-key add|list|revoke`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable

from kiosk.cli.common import check_port, number, open_store, settings_of
from kiosk.config import Settings
from kiosk.exceptions import UsageError
from kiosk.host import logs

Verb = Callable[..., argparse.ArgumentParser]


def cmd_serve(args: argparse.Namespace) -> int:
    settings = settings_of(args)  # a bad config fails here, once, with its key
    host = args.host or settings.web.host
    port = args.port or settings.web.port
    where = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"
    serve(args, settings, host, port, f"kiosk: serving {settings.site.name} on {where}"
          f" (screens: {where}/, API: {where}/docs); Ctrl-C stops")
    return 0


def serve(args: argparse.Namespace, settings: Settings, host: str, port: int, banner: str,
          home: tuple[str, dict[str, str]] | None = None) -> None:
    """What `kiosk serve` and `kiosk web SCREEN` share: refuse a bad address and open the
    store (each fault one line, before any banner), then print the banner and serve. The
    log (a line per request) goes to the journal under systemd, else to logs/serve.log with
    warnings on stderr too."""
    check_port(host, port)
    with open_store(args):  # the store opens (and migrates) now
        pass
    from kiosk.web.server import run

    _enough_files()
    where = logs.setup(settings, "serve" if home is None else f"web-{home[0]}",
                       debug=args.debug, console=logging.WARNING)
    print(f"{banner}\nkiosk: the log is in {where}", flush=True)
    run(settings, host, port, home=home)


def _enough_files() -> None:
    """Every open event stream and screen is a file descriptor: lift this process's soft
    limit (often 1,024) to the hard one, so a thousand phones can follow the queue."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, 65536), hard))


def cmd_api_key(args: argparse.Namespace) -> int:
    from kiosk.store.keys import parse_scopes

    with open_store(args) as store:
        if args.action == "add":
            if not args.name:
                raise UsageError("kiosk api-key add NAME --scope issue,read,staff,admin")
            key = store.api_key_add(args.name, parse_scopes(args.scope or ""))
            if args.json:
                print(json.dumps({"name": args.name, "key": key}))
            else:
                print(key)
                print(f"kiosk: the key of \"{args.name}\" above is shown once; the store keeps"
                      " only its hash", file=sys.stderr)
        elif args.action == "list":
            keys = store.api_keys()
            if args.json:
                print(json.dumps([{"name": k.name, "scopes": list(k.scopes),
                                   "created_at": k.created_at, "used_at": k.used_at,
                                   "revoked_at": k.revoked_at} for k in keys]))
            else:
                for k in keys:
                    state = f"revoked {k.revoked_at}" if k.revoked_at else \
                        f"last used {k.used_at or 'never'}"
                    print(f"{k.name:<20} {','.join(k.scopes):<24} {state}")
        else:
            if not args.name:
                raise UsageError("kiosk api-key revoke NAME")
            store.api_key_revoke(args.name)
            print(f"{args.name}: revoked")
    return 0


def register(verb: Verb, as_json: argparse.ArgumentParser) -> None:
    p = verb("serve", cmd_serve, "serve every screen, the HTTP API and the event stream on"
             " one port ([web] host and port; 127.0.0.1:8000)")
    p.add_argument("--host", help="address to listen on ([web] host, 127.0.0.1)")
    p.add_argument("--port", type=number, help="port ([web] port, 8000)")

    p = verb("api-key", cmd_api_key, "add, list or revoke the HTTP API's keys", as_json)
    p.add_argument("action", choices=["add", "list", "revoke"])
    p.add_argument("name", nargs="?", help="the key's name (a system or a device)")
    p.add_argument("--scope", help="add: issue, read, staff, admin (comma-separated)")
