"""The store, off the UI's event loop: how a Textual app reads and writes.

Store access never runs on the event loop, and one `Store` (one sqlite connection) is only
ever used by the thread that opened it:

- `follow()` starts a `kiosk.follow.Follower` (a thread with its own Store) whose reads
  arrive in the app as `Fresh` messages;
- `StoreThread` is one worker thread with its own Store for a screen's actions; its commits
  move every follower's data_version like anyone else's, so screens refresh themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from textual.app import App
from textual.message import Message

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.follow import Follower
from kiosk.store import Store
from kiosk.store.thread import StoreThread

log = logging.getLogger("kiosk.ui")
"""Records go to the screen's log file (kiosk.host.logs.setup): Textual's own
`self.log` reaches only a connected devtools console, so nothing would be kept."""

T = TypeVar("T")


class Fresh(Message, Generic[T]):
    """What the follower read after a change; `error` when the read failed."""

    def __init__(self, data: T | None, error: str | None = None) -> None:
        super().__init__()
        self.data = data
        self.error = error


def fresh_data(app: App[Any], message: Fresh[T], who: str) -> T | None:
    """What a follower's read brought, or None when there is nothing to show: the app is
    shutting down (its screens' widgets may already be gone: a read posted just before it
    began to close would fail to find them), or the read failed (logged as WHO's)."""
    if not app.is_running:
        return None
    if message.data is None:
        log.error(f"{who}: cannot read the store: {message.error}")
        return None
    return message.data


def follow(app: App[Any], settings: Settings, clock: clk.Clock, read: Callable[[Store], T],
           *, poll_s: float = 0.05, every_s: float = 2.0,
           name: str = "kiosk-follower") -> Follower[T]:
    """A follower whose reads are posted to `app` as `Fresh` (not started yet)."""

    def deliver(data: T | None, error: str | None) -> bool:
        try:
            app.post_message(Fresh(data, error))
        except RuntimeError:  # the app's loop has closed: we are stopping anyway
            return False
        return True

    return Follower(settings, clock, read, deliver, poll_s=poll_s, every_s=every_s,
                    name=name)


__all__ = ["Fresh", "StoreThread", "follow", "fresh_data"]
