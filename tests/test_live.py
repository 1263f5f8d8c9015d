"""kiosk.web.live.Follower: one read per batch for every page, each page told only of its own
changes, and a page that arrives while a read is under way is not dropped."""

from __future__ import annotations

import asyncio
from typing import Any

from kiosk.web.hub import Listener
from kiosk.web.live import Follower


class Hub:
    def __init__(self) -> None:
        self.listeners: set[Listener] = set()

    def batch(self) -> None:
        for listener in self.listeners:
            listener.queue.put_nowait([])


class Store:
    """Runs compute at once, except a batch read while `hold` is set: that one waits."""

    def __init__(self) -> None:
        self.version = 1
        self.reads: list[frozenset[int]] = []
        self.hold = asyncio.Event()
        self.held = asyncio.Event()
        self.hold.set()

    async def run(self, compute: Any, keys: frozenset[int]) -> dict[int, str]:
        self.reads.append(keys)
        if len(keys) > 1 and not self.hold.is_set():
            self.held.set()
            await self.hold.wait()
        return compute(self, keys)


def compute(store: Store, keys: frozenset[int]) -> dict[int, str]:
    return {key: f"{key}@{store.version if key != 9 else 1}" for key in keys if key < 10}


async def take(values: Any, timeout: float = 2.0) -> Any:
    return await asyncio.wait_for(anext(values), timeout)


def test_pages_get_their_own_changes_and_a_newcomer_during_a_read_stays():
    async def scenario() -> None:
        hub, store = Hub(), Store()
        follower = Follower("test", hub, store, compute, refresh_s=60)  # type: ignore[arg-type]
        await follower.start()
        one, nine = follower.follow(1), follower.follow(9)
        assert await take(one) == "1@1" and await take(nine) == "9@1"
        assert follower.pages == 2
        store.version = 2
        store.hold.clear()  # the next batch read waits...
        hub.batch()
        await asyncio.wait_for(store.held.wait(), 2)
        newcomer = follower.follow(5)  # ...while a page of another ticket arrives
        assert await take(newcomer) == "5@2"
        store.hold.set()
        assert await take(one) == "1@2"  # changed: told
        store.version = 3
        hub.batch()
        assert await take(newcomer) == "5@3"  # the newcomer was kept, and follows
        assert await take(one) == "1@3"
        nothing = asyncio.ensure_future(take(nine, 0.3))  # 9 never changed: never told
        try:
            await nothing
            raise AssertionError("an unchanged page was told")
        except TimeoutError:
            pass
        reads = [keys for keys in store.reads if len(keys) > 1]
        assert reads == [frozenset({1, 9}), frozenset({1, 5, 9})]  # one read per batch
        for values in (one, nine, newcomer):
            await values.aclose()
        assert follower.pages == 0
        await follower.stop()

    asyncio.run(scenario())


def test_a_page_whose_key_has_gone_ends_and_an_idle_one_hears_none():
    async def scenario() -> None:
        hub, store = Hub(), Store()
        follower = Follower("test", hub, store, compute, refresh_s=60)  # type: ignore[arg-type]
        await follower.start()
        missing = follower.follow(12)  # compute has nothing for it
        try:
            await take(missing)
            raise AssertionError("a page of nothing got a value")
        except StopAsyncIteration:
            pass
        idle = follower.follow(3, idle_s=0.05)
        assert await take(idle) == "3@1"
        assert await take(idle) is None  # alive, nothing new
        await idle.aclose()
        await follower.stop()

    asyncio.run(scenario())
