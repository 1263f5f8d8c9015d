"""Pins for the patron kiosk's latency workarounds (kiosk/ui/latency.py): each private
Textual detail a workaround relies on is checked here, so a Textual upgrade that changes
one fails with the name of the workaround to revisit; and each workaround does what it says.
"""

from __future__ import annotations

import asyncio
import gc

from textual.app import App, ComposeResult
from textual.dom import DOMNode
from textual.widgets import Static

from kiosk.ui import latency


class Two(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("a", id="a")
        yield Static("b", id="b")


def run(check: object) -> None:
    async def main() -> None:
        app = Two()
        async with app.run_test() as pilot:
            await pilot.pause()
            check(app)  # type: ignore[operator]

    asyncio.run(main())


def test_pin_query_one_keeps_its_answers_per_node():
    """latency.find: Textual's `query_one` caches its answers on the node it was asked on
    (`DOMNode._query_one_cache`, an LRU of 1024), which kept recomposed-away widgets alive.
    If this fails, Textual changed that cache: revisit `find` (it may no longer be needed)."""
    assert DOMNode()._query_one_cache.maxsize == 1024

    def check(app: App[None]) -> None:
        screen = app.screen
        screen._query_one_cache.clear()
        screen.query_one("#a", Static)
        assert len(screen._query_one_cache) == 1

    run(check)


def test_find_answers_without_filling_that_cache():
    def check(app: App[None]) -> None:
        screen = app.screen
        screen._query_one_cache.clear()
        found = latency.find(screen, "#b", Static)
        assert found.id == "b" and len(screen._query_one_cache) == 0

    run(check)


def test_pin_get_inner_outer_is_an_lru_cache():
    """latency.tidy_memory: `StylesCache.get_inner_outer` is memoised with functools'
    lru_cache on a method (Textualize/textual#6665), which kept dead widgets' style caches
    alive. If this fails, Textual changed it: revisit `tidy_memory`."""
    from textual._styles_cache import StylesCache

    assert callable(StylesCache.get_inner_outer.cache_clear)
    assert callable(StylesCache.get_inner_outer.cache_info)


def test_tidy_memory_empties_that_cache():
    from textual._styles_cache import StylesCache

    def check(app: App[None]) -> None:
        assert StylesCache.get_inner_outer.cache_info().currsize > 0  # drawing filled it
        latency.tidy_memory()
        assert StylesCache.get_inner_outer.cache_info().currsize == 0

    run(check)


def test_the_collector_is_held_and_given_back():
    hold = latency.GcHold()
    assert gc.isenabled()
    try:
        hold.hold()
        hold.hold()  # twice is once
        assert not gc.isenabled() and hold.held
        hold.release()
        assert gc.isenabled() and not hold.held
        hold.release()  # releasing what is not held changes nothing
        assert gc.isenabled()
        gc.disable()  # someone else's choice is kept
        hold.hold()
        hold.release()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_startup_is_frozen_out_of_the_collectors_walks_and_thawed():
    try:
        latency.freeze_startup()
        assert gc.get_freeze_count() > 0
    finally:
        latency.thaw()
    assert gc.get_freeze_count() == 0
