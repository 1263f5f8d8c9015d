"""How the board and the staff console look: snapshots (pytest-textual-snapshot, on a fixed
clock so they are deterministic) and the contrast of every text colour pair actually
rendered (Textual blends colours; the .tcss alone proves nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from kiosk.ui import themes
from kiosk.ui.staff import ConsoleScreen, ReclassifyDialog, TransferDialog

from .test_patron_look import MIN_CONTRAST, pair_contrast, rendered_pairs
from .test_staff_support import BOARD_SIZE, SIZE, Site, sign_in, until


def lobby(site: Site) -> None:
    """A morning: three counters calling, one recall, people waiting in every queue."""
    store = site.store
    for service in "AABBBCCDE":
        store.issue(service)
        site.clock.advance(30)
    store.issue("A", "lansia")
    for counter in (1, 2, 3):
        store.call_next(counter)
        site.clock.advance(20)
    store.recall(2)
    site.clock.advance(60)


async def board_ready(pilot: Pilot) -> None:
    app: Any = pilot.app
    await until(pilot, lambda: app.data is not None, "the board's first read")
    await pilot.pause()


async def console_ready(pilot: Pilot, then: str = "") -> None:
    app: Any = pilot.app
    await sign_in(pilot)
    if then:
        await pilot.press(then)
        await until(pilot, lambda: not app.busy or not isinstance(app.screen, ConsoleScreen),
                    "the action")
    await until(pilot, lambda: app.view is not None, "the console's first read")
    await pilot.pause(0.2)


async def no_blink(pilot: Pilot) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


# name -> (which app, terminal size, what the site holds, how to get there)
Setup = Callable[[Pilot], Awaitable[None]]
SCENES: dict[str, tuple[str, tuple[int, int], bool, Setup]] = {
    "board_calls": ("board", BOARD_SIZE, True, board_ready),
    "board_empty": ("board", BOARD_SIZE, False, board_ready),
    "board_small": ("board", (80, 24), True, board_ready),
    "staff_sign_in": ("staff", SIZE, False, no_blink),
    "staff_console": ("staff", SIZE, True, lambda p: console_ready(p, "n")),
    "staff_transfer": ("staff", SIZE, True, lambda p: transfer_dialog(p)),
    "staff_reclassify": ("staff", SIZE, True, lambda p: reclassify_dialog(p)),
}


async def transfer_dialog(pilot: Pilot) -> None:
    await console_ready(pilot, "n")
    await pilot.press("t")
    await until(pilot, lambda: isinstance(pilot.app.screen, TransferDialog), "the dialog")
    await pilot.pause(0.2)


async def reclassify_dialog(pilot: Pilot) -> None:
    await console_ready(pilot, "n")
    await pilot.press("c")
    await until(pilot, lambda: isinstance(pilot.app.screen, ReclassifyDialog), "the dialog")
    await pilot.pause(0.2)


def make(site: Site, name: str) -> App[Any]:
    kind, _, busy, _ = SCENES[name]
    if busy:
        lobby(site)
    site.store.set_device("main", "printer", "paper_low")
    return site.board() if kind == "board" else site.staff()


@pytest.mark.parametrize("name", sorted(SCENES))
def test_snapshot(tmp_path, snap_compare, name: str):
    site = Site(tmp_path)
    try:
        app = make(site, name)
        _, size, _, setup = SCENES[name]
        assert snap_compare(app, terminal_size=size, run_before=setup)
    finally:
        site.close()


@pytest.mark.parametrize("theme", [themes.CONTRAST, themes.HIGH_CONTRAST])
@pytest.mark.parametrize("name", sorted(SCENES))
def test_every_rendered_text_colour_pair_is_at_least_7_to_1(tmp_path, name: str, theme: str):
    site = Site(tmp_path)
    app = make(site, name)
    _, size, _, setup = SCENES[name]

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            app.theme = theme
            await setup(pilot)
            await pilot.pause()
            pairs = rendered_pairs(SimpleNamespace(app=app))
            assert len(pairs) >= 2  # text and its frame at least: the check saw the screen
            low = {pair: (round(pair_contrast(pair), 2), where) for pair, where in pairs.items()}
            failing = {pair: v for pair, v in low.items() if v[0] < MIN_CONTRAST}
            assert not failing, failing

    try:
        asyncio.run(main())
    finally:
        site.close()


def test_the_board_uses_the_high_contrast_theme(tmp_path):
    site = Site(tmp_path)
    try:
        assert site.board().theme == themes.HIGH_CONTRAST
        assert site.staff().theme == themes.CONTRAST
    finally:
        site.close()
