"""The store off an event loop: one worker thread that owns one `Store`.

A `Store` (one sqlite connection) is only ever used by the thread that opened it; the
Textual screens and the web server both await their store calls through a `StoreThread`,
so no read or write blocks their event loop. Its commits move every follower's
data_version like anyone else's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.store import Store

T = TypeVar("T")


class StoreThread:
    """One worker thread that owns one Store; `await run(fn, ...)` calls fn(store, ...) there,
    one call at a time, in order."""

    def __init__(self, settings: Settings, clock: clk.Clock, name: str = "kiosk-store") -> None:
        self.settings = settings
        self.clock = clock
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._store: Store | None = None
        self._opened = False

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        if self._store is None:
            self._store = Store(self.settings, clock=self.clock, create=not self._opened)
            self._opened = True
        return fn(self._store, *args, **kwargs)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._call, fn, args, kwargs)

    def close(self) -> None:
        def shut() -> None:
            if self._store is not None:
                self._store.close()
                self._store = None

        self._pool.submit(shut).result(timeout=10)
        self._pool.shutdown(wait=True)
