"""Concurrent ticket requests share one commit (group commit).

Each `POST /api/v1/tickets` waits on a future; one task hands whatever is waiting (up to
BATCH) to the store thread as one `Store.issue_many` transaction: one turn at the write
lock and one fsync for all. A lone request is a batch of one, as fast as before.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from kiosk.exceptions import KioskError
from kiosk.rows import Issued
from kiosk.store import Store
from kiosk.store.thread import StoreThread

BATCH = 64


class IssueBatcher:
    def __init__(self, store: StoreThread) -> None:
        self.store = store
        self._queue: asyncio.Queue[tuple[dict[str, Any], asyncio.Future[Issued]]] = (
            asyncio.Queue())
        self._task: asyncio.Task[None] | None = None

    async def issue(self, **request: Any) -> Issued:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="kiosk-issue-batcher")
        future: asyncio.Future[Issued] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((request, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                answers = await self.store.run(Store.issue_many, [r for r, _f in batch])
            except Exception as exc:  # the whole transaction failed (disk full...)
                for _request, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_request, future), answer in zip(batch, answers, strict=True):
                if future.done():
                    continue  # its client has gone
                if isinstance(answer, KioskError):
                    future.set_exception(answer)
                else:
                    future.set_result(answer)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
