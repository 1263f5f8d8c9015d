"""Pages that follow the queue live (the web board, a ticket's phone page) without a process
or a store read of their own.

A `Follower` is one listener of the event hub. After each batch of new events (and every
`refresh_s` anyway: estimates move with time) it asks the store once, on its own store
thread, for what every page it serves shows (`compute(store, keys)`: one read for a
thousand phones), and hands each page's stream its value only when that value changed.
A page that cannot keep up only ever misses values that a newer one replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Generic, TypeVar

from kiosk.store import Store
from kiosk.store.thread import StoreThread
from kiosk.web.hub import EventHub, Listener

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

REFRESH_S = 30.0
"""Without events, values are computed again this often (a wait estimate drifts with time)."""


class Follower(Generic[K, V]):
    """`compute(store, keys)` -> {key: value} once per batch for every key followed now."""

    def __init__(self, name: str, hub: EventHub, store: StoreThread,
                 compute: Callable[[Store, frozenset[K]], dict[K, V]], *,
                 refresh_s: float = REFRESH_S) -> None:
        self.name = name
        self.hub = hub
        self.store = store
        self.compute = compute
        self.refresh_s = refresh_s
        self._pages: dict[K, set[asyncio.Queue[V]]] = {}
        self._last: dict[K, V] = {}
        self._task: asyncio.Task[None] | None = None
        self._listener = Listener()

    @property
    def pages(self) -> int:
        """Streams following now."""
        return sum(len(queues) for queues in self._pages.values())

    async def start(self) -> None:
        self.hub.listeners.add(self._listener)
        self._task = asyncio.create_task(self._run(), name=f"kiosk-live-{self.name}")

    async def stop(self) -> None:
        self.hub.listeners.discard(self._listener)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def value(self, key: K) -> V | None:
        """What `key`'s page shows now (one read), or None when compute has nothing for it."""
        return (await self.store.run(self.compute, frozenset([key]))).get(key)

    async def follow(self, key: K, idle_s: float | None = None) -> AsyncIterator[V | None]:
        """Each new value of `key` (the current one first) for as long as the caller
        iterates, and None after `idle_s` without one (a stream's sign of life); it ends
        when compute stops answering for `key`, or when the first read fails (a busy or
        broken store: the page opens a new stream, with backoff)."""
        queue: asyncio.Queue[V] = asyncio.Queue(1)
        self._pages.setdefault(key, set()).add(queue)  # first: no change is missed
        try:
            try:
                first = await self.value(key)
            except Exception as exc:
                log.warning("%s: cannot read the store: %s", self.name, exc)
                return
            if first is None:
                return
            self._last.setdefault(key, first)
            yield first
            while True:
                try:
                    value = await asyncio.wait_for(queue.get(), idle_s)
                except TimeoutError:
                    yield None
                    continue
                if value is _GONE:
                    return
                yield value
        finally:
            queues = self._pages.get(key)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._pages[key]
                    self._last.pop(key, None)

    async def _run(self) -> None:
        while True:
            if self._listener.overflowed:  # fell behind: start again from now
                self._listener = Listener()
                self.hub.listeners.add(self._listener)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._listener.queue.get(), self.refresh_s)
            while not self._listener.queue.empty():  # one read for everything pending
                self._listener.queue.get_nowait()
            if not self._pages:
                continue
            keys = frozenset(self._pages)
            try:
                values = await self.store.run(self.compute, keys)
            except Exception as exc:  # a busy or broken store: the pages keep their value
                log.warning("%s: cannot read the store: %s", self.name, exc)
                continue
            for key in keys:  # a page that came meanwhile got its own first value
                queues = self._pages.get(key)
                if queues is None:  # every page of it has gone meanwhile
                    continue
                value = values.get(key, _GONE)
                if value is not _GONE and self._last.get(key) == value:
                    continue
                if value is not _GONE:
                    self._last[key] = value
                for queue in list(queues):
                    _put_latest(queue, value)


_GONE: object = object()
"""Sent to a page whose key compute no longer answers for (its iteration ends)."""


def _put_latest(queue: asyncio.Queue[V], value: object) -> None:
    """Replace what the page has not taken yet: only the newest value matters."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(value)  # type: ignore[arg-type]
