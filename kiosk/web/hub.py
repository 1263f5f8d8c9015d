"""One poller, many listeners: the event stream of `kiosk serve`.

One task on the server's loop asks the store (on a thread of its own, through
`PRAGMA data_version`: microseconds when nothing changed) several times a second whether
anyone committed, reads the new events once, and hands them to every live stream; a
thousand open streams cost one read loop. A stream that cannot keep up is ended (its
client reconnects with Last-Event-ID and catches up from the store), so no listener holds
up another.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi.responses import StreamingResponse

from kiosk.rows import Event, redacted
from kiosk.store import Store
from kiosk.store.thread import StoreThread

log = logging.getLogger(__name__)

POLL_S = 0.1
BATCH = 500
QUEUE = 256
"""Batches a listener may fall behind before its stream is ended."""
KEEPALIVE_S = 15.0


def event_json(event: Event) -> dict[str, Any]:
    """An event as streams and the API show it: a need only as its class."""
    return {"id": event.id, "kind": event.kind, "at": event.at, "ticket_id": event.ticket_id,
            "counter": event.counter, "actor": event.actor,
            "detail": redacted(event.kind, event.detail)}


def message(kind: str, data: dict[str, Any]) -> str:
    """One server-sent event of `kind` with `data` as JSON (the live pages' streams)."""
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def event_stream(body: AsyncIterator[str]) -> StreamingResponse:
    """A text/event-stream response that no cache or proxy holds back."""
    return StreamingResponse(body, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def sse(event: Event) -> str:
    data = json.dumps(event_json(event), ensure_ascii=False)
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


class Listener:
    """One stream's queue of event batches; `overflowed` once it fell too far behind."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[list[Event]] = asyncio.Queue(QUEUE)
        self.overflowed = False


class EventHub:
    def __init__(self, store: StoreThread, *, poll_s: float = POLL_S,
                 alive: Callable[[], None] = lambda: None) -> None:
        self.store = store
        """The hub's own store thread: its connection sees others' commits in data_version
        (the API's writes go through another)."""
        self.poll_s = poll_s
        self.cursor = 0
        self.listeners: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None
        self.healthy = True
        self.alive = alive
        """Called on every turn of the poll: the server's watchdog ping (kiosk.host.notify),
        from the loop every stream depends on, so a stuck event loop stops it."""

    async def start(self) -> None:
        self.cursor = await self.store.run(Store.newest_event_id)
        self._task = asyncio.create_task(self._run(), name="kiosk-event-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        seen: int | None = None
        while True:
            try:
                version = await self.store.run(Store.data_version)
                if version != seen:
                    seen = version
                    while True:
                        events = await self.store.run(Store.events_after, self.cursor, None,
                                                      BATCH)
                        if not events:
                            break
                        self.cursor = events[-1].id
                        self._fan_out(events)
                self.healthy = True
            except Exception as exc:  # a busy or broken store: say so, keep polling
                if self.healthy:
                    log.error("event hub cannot read the store: %s", exc)
                self.healthy = False
                seen = None
            self.alive()
            await asyncio.sleep(self.poll_s)

    def _fan_out(self, events: list[Event]) -> None:
        for listener in list(self.listeners):
            try:
                listener.queue.put_nowait(events)
            except asyncio.QueueFull:
                listener.overflowed = True
                self.listeners.discard(listener)

    async def stream(self, after: int | None,
                     kinds: frozenset[str] | None = None) -> AsyncIterator[str]:
        """Server-sent events after event id `after` (None: from now on), then live; a
        comment every KEEPALIVE_S keeps proxies from closing a quiet stream."""
        listener = Listener()
        self.listeners.add(listener)  # first: nothing committed meanwhile is missed
        last = self.cursor if after is None else after
        try:
            yield "retry: 2000\n\n"
            while after is not None:  # the backlog a reconnecting client missed
                backlog = await self.store.run(Store.events_after, last, None, BATCH)
                for event in backlog:
                    if kinds is None or event.kind in kinds:
                        yield sse(event)
                if backlog:
                    last = backlog[-1].id
                if len(backlog) < BATCH:
                    break
            while not listener.overflowed:
                try:
                    batch = await asyncio.wait_for(listener.queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                for event in batch:
                    if event.id > last:
                        last = event.id
                        if kinds is None or event.kind in kinds:
                            yield sse(event)
        finally:
            self.listeners.discard(listener)
