"""The patron kiosk's latency workarounds, in one place: what each buys, and which detail of
Textual (or of Python's collector) it relies on. tests/test_latency.py pins every private
Textual detail named here, so an upgrade that changes one fails with the name of the
workaround to revisit.

Measured on two cores (benchmarks/patron_bench.py): final touch -> number on screen p95
~150-280 ms before these, 22-61 ms with them (target 100 ms); memory flat over 200 patrons.
The other half of that speed is the app's own order of work, documented in kiosk/ui/patron:
the ticket screen is built once at start and filled in on the touch, and a screen speaks
(and the ticket prints) only once its frame is drawn.
"""

from __future__ import annotations

import gc
from typing import Any, TypeVar

from textual.screen import Screen
from textual.widget import Widget

W = TypeVar("W", bound=Widget)


def find(screen: Screen[Any], selector: str, kind: type[W]) -> W:
    """`query_one` without its cache, for the screens that live as long as the kiosk and are
    recomposed (welcome: every patron; ticket: on a language switch).

    Relies on: Textual keeps up to 1024 `query_one` answers per node
    (`DOMNode._query_one_cache`, an LRU keyed by the node's child generation), so each
    recompose would leave the widgets it replaced alive in that cache, one set per patron.
    `query(...).only_one()` answers the same without caching."""
    return screen.query(selector).only_one(kind)


def tidy_memory() -> None:
    """Between patrons (the welcome screen is drawn and ignores input for 0.4 s): collect the
    last patron's screens now rather than during the next one's touch.

    Relies on: Textual 8 memoises `StylesCache.get_inner_outer` with `functools.lru_cache`
    on a method (Textualize/textual#6665), which keeps up to 1024 dead widgets' style caches
    alive with every line they rendered: ~200 000 objects that every full collection walked.
    Forgetting it here keeps the heap at its size after start."""
    try:
        from textual._styles_cache import StylesCache
    except ImportError:  # a Textual without it: nothing to forget
        pass
    else:
        cache_clear = getattr(StylesCache.get_inner_outer, "cache_clear", None)
        if cache_clear is not None:
            cache_clear()
    gc.collect()


def freeze_startup() -> None:
    """What exists once the kiosk has started lives as long as the kiosk: collect, then keep
    it out of the collector's walks (`gc.freeze`), so a collection costs only what the
    patrons since made. `thaw()` when the app ends."""
    gc.collect()
    gc.freeze()


def thaw() -> None:
    gc.unfreeze()


class GcHold:
    """No collector pause between the patron's final touch and the number on screen (a full
    collection took 50-250 ms here): `hold()` on the touch, `release()` once that frame is
    drawn (or the ticket was refused). Holding twice, or releasing what was not held, is a
    no-op; a collector someone else disabled stays disabled."""

    def __init__(self) -> None:
        self.held = False

    def hold(self) -> None:
        if gc.isenabled():
            gc.disable()
            self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            gc.enable()
