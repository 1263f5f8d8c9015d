"""The SQLite store: the write side, the one way to the site's single source of truth.

One file holds everything (design §3). Every screen and worker is its own process with its
own `Store`; every change is one short `BEGIN IMMEDIATE` transaction that updates the
ticket and appends its event. Rooms, each a mixin of `Store`, each on `StoreBase`:

- `schema.py`: the tables, views and indexes, and the migrations between versions;
- `base.py`: the connection, transactions, snapshots, migration on open;
- `estimate.py`: people ahead and the estimated wait, with the service-time medians' cache;
- `tickets.py`: issue, find, transfer, reclassify, cancel, the day's roll-over;
- `tickets.py` also holds requeue (a no-show or cancelled ticket back in its queue) and the
  guard every console verb runs (the console holds the counter; the ticket is the one shown);
- `bookings.py`: appointments: the slots, booking, cancelling, the check-in that issues the
  ticket (issue 26);
- `counters.py`: call next, recall, start, finish, no-show, counter states, sign-in/out,
  the consoles' heartbeats and closing the counters whose console has gone;
- `accounts.py`: staff accounts, PIN hashes and the lockout;
- `log.py`: events, devices, cursors, the report cache, the retention purge;
- `keys.py`: the HTTP API's keys (only their hashes) and scopes;
- `reads.py`: the queries the read side (kiosk/views.py) builds on;
- `shipping.py`: the site's identity key and what `kiosk sync` ships to the centre;
- `surveys.py`: the satisfaction survey's responses, the counter's quick rating, their sums.

Verbs return typed rows (kiosk.rows) and raise named errors (kiosk.exceptions) with one
plain sentence. The rules themselves are pure functions in kiosk.queue.
"""

from __future__ import annotations

from kiosk.consoles import ANY, CONSOLE_BEAT_S, UNATTENDED_S, new_session
from kiosk.rows import Issued
from kiosk.store.accounts import PIN_LOCK_S, PIN_MAX_FAILURES
from kiosk.store.base import BUSY_TIMEOUT_MS
from kiosk.store.bookings import Bookings
from kiosk.store.counters import Counters
from kiosk.store.estimate import MEDIAN_DAYS
from kiosk.store.keys import Keys
from kiosk.store.log import Log
from kiosk.store.reads import Reads
from kiosk.store.schema import CALL_KINDS, COUNTER_KINDS, INDEXED_KINDS_SQL, SCHEMA_VERSION
from kiosk.store.shipping import Shipping
from kiosk.store.surveys import Surveys


class Store(Counters, Bookings, Surveys, Log, Reads, Keys, Shipping):
    """One process's handle on the shared SQLite file, speaking the domain's verbs."""

    def __enter__(self) -> Store:
        return self


__all__ = [
    "ANY",
    "BUSY_TIMEOUT_MS",
    "CONSOLE_BEAT_S",
    "UNATTENDED_S",
    "new_session",
    "CALL_KINDS",
    "COUNTER_KINDS",
    "INDEXED_KINDS_SQL",
    "MEDIAN_DAYS",
    "PIN_LOCK_S",
    "PIN_MAX_FAILURES",
    "SCHEMA_VERSION",
    "Issued",
    "Store",
]
