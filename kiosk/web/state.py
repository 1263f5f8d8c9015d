"""What one `kiosk serve` process holds while it runs: its settings, its store threads, the
event hub, the keys, the rate limit, the staff networks and the served screens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.store.thread import StoreThread
from kiosk.web.batch import IssueBatcher
from kiosk.web.guard import Keys, Networks, RateLimit
from kiosk.web.hub import EventHub

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection


@dataclass
class Served:
    settings: Settings
    store: StoreThread
    """The API's verbs and reads, one at a time, off the event loop."""
    printing: StoreThread
    """Slips: a print waits for its printer (up to its timeout) without holding up the
    other verbs."""
    hub: EventHub
    issuer: IssueBatcher
    """Concurrent ticket requests share one commit."""
    keys: Keys
    limit: RateLimit
    networks: Networks
    clock: clk.Clock = field(default_factory=clk.SystemClock)
    pages: StoreThread | None = None
    """The live pages' reads (kiosk.web.live): one per batch of events for all of them."""
    live: dict[str, Any] = field(default_factory=dict)
    """The live pages' Followers by page ("board", "ticket"), started with the server."""
    screens: dict[str, int] = field(default_factory=dict)
    """Served screen processes running now, by kind ("patron", "staff:1", "board", ...)."""


def served(conn: HTTPConnection) -> Served:
    """What this server holds, from a request or a websocket of it."""
    return conn.app.state.served  # type: ignore[no-any-return]
