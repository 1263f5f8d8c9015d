"""The connection to the central database, and each way it fails as one plain line.

Messages name the URL only with its password masked (`kiosk.config.masked`) and never a
psycopg class: an admin at a branch reads them in the journal or on a terminal.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg

from kiosk.config import masked
from kiosk.exceptions import KioskError

CONNECT_TIMEOUT_S = 10
TCP_OPTIONS: dict[str, Any] = {
    # A cut network is noticed in ~30 s instead of the kernel's ~15 minutes: the batch
    # fails, is retried later, and the centre's transaction is rolled back meanwhile.
    "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}


class SyncFault(KioskError):
    """The sync could not go on; retried with backoff by the loop, exit 1 with --once."""


class SiteRefused(SyncFault):
    """Another site already syncs under this [site] id (its identity key differs)."""


def where(url: str) -> str:
    """host[:port]/db of a URL, for messages (no user, no password)."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    host = info.get("host") or "localhost"
    port = f":{info['port']}" if info.get("port") else ""
    return f"{host}{port}/{info.get('dbname') or info.get('user') or ''}"


def connect(url: str, *, application: str = "kiosk") -> psycopg.Connection:
    """A connection of its own (never the store's); faults as SyncFault."""
    try:
        # autocommit: every unit of work is an explicit `with conn.transaction()`.
        return psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True,
                               application_name=application, **TCP_OPTIONS)
    except psycopg.Error as exc:
        raise explain(exc, url) from None
    except ValueError as exc:  # an URL libpq cannot read
        raise SyncFault(f"cannot read the central database URL {masked(url)}: {exc}") from None


def explain(exc: BaseException, url: str) -> SyncFault:
    """A psycopg error as one line naming the centre, the password masked."""
    text = str(exc).strip()
    low = text.lower()
    try:
        there = where(url)
    except (psycopg.Error, ValueError):
        there = masked(url)
    if isinstance(exc, SyncFault):
        return exc
    if "password authentication failed" in low or "no password supplied" in low:
        user = re.search(r'for user "([^"]*)"', text)
        who = f' "{user.group(1)}"' if user else ""
        return SyncFault(f"the central database at {there} refused the user{who}: wrong user"
                         " name or password (check [sync] url)")
    missing = re.search(r'database "([^"]*)" does not exist', text)
    if missing:
        return SyncFault(f'there is no database "{missing.group(1)}" at {there}: create it'
                         " (createdb), then run kiosk central init URL")
    if isinstance(exc, psycopg.errors.UndefinedTable):
        return SyncFault(f"the central database at {there} has no kiosk tables yet: run"
                         " kiosk central init URL")
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return SyncFault(f"the central database at {there} refused this user a table"
                         " (permission denied): grant it, or use the owner's user")
    for words, why in (("connection refused", "connection refused: is PostgreSQL running?"),
                       ("no route to host", "no route to host: is the network up?"),
                       ("network is unreachable", "network unreachable: is the network up?"),
                       ("timeout expired", "no answer in time: is the network up?"),
                       ("could not translate host name", "unknown host name"),
                       ("name or service not known", "unknown host name"),
                       ("no such file or directory", "no server on that socket: is"
                        " PostgreSQL running?")):
        if words in low:
            return SyncFault(f"cannot reach the central database at {there}: {why}")
    if isinstance(exc, psycopg.OperationalError):
        first = text.splitlines()[0] if text else "the connection broke"
        return SyncFault(f"the connection to the central database at {there} broke"
                         f" ({masked(first)}); nothing is lost: the batch is sent again")
    first = text.splitlines()[0] if text else type(exc).__name__
    return SyncFault(f"the central database at {there} refused a batch: {masked(first)}")
