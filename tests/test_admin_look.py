"""How the admin screen looks: snapshots of every view on fixed demo data and a fixed clock
(pytest-textual-snapshot; `pytest --snapshot-update` after a deliberate change), and the
contrast of every text colour pair actually rendered, in both kiosk themes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from kiosk.ui import themes
from kiosk.ui.admin import AdminScreen
from kiosk.ui.admin.export import ExportScreen
from kiosk.ui.admin.purge import PurgeScreen

from .admin_support import SIZE, Kit, make_template, settle, sign_in, until
from .test_patron_look import MIN_CONTRAST, pair_contrast, rendered_pairs


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("admin-look-template"))


async def steady(pilot: Pilot) -> None:
    """No blinking cursors, every worker done: the same frame on every run."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await settle(pilot)
    await pilot.pause(0.1)


async def login(pilot: Pilot) -> None:
    await steady(pilot)


async def admin(pilot: Pilot, view: str = "today") -> AdminScreen:
    await sign_in(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AdminScreen)
    app = pilot.app
    await until(pilot, lambda: screen.range is not None and app.today is not None)  # type: ignore[attr-defined]
    screen.show_view(view)
    await settle(pilot)
    screen.query_one("#tabs").focus()
    await steady(pilot)
    return screen


async def today(pilot: Pilot) -> None:
    await admin(pilot, "today")


async def stats(pilot: Pilot) -> None:
    await admin(pilot, "stats")


async def charts(pilot: Pilot) -> None:
    await admin(pilot, "charts")


async def log(pilot: Pilot) -> None:
    await admin(pilot, "log")
    await until(pilot, lambda: pilot.app.screen.log_data is not None)  # type: ignore[attr-defined]
    await steady(pilot)


async def export(pilot: Pilot) -> None:
    await admin(pilot, "stats")
    await pilot.press("e")
    await until(pilot, lambda: isinstance(pilot.app.screen, ExportScreen))
    await steady(pilot)


async def purge(pilot: Pilot) -> None:
    await admin(pilot, "today")
    await pilot.press("p")
    await until(pilot, lambda: isinstance(pilot.app.screen, PurgeScreen))
    pilot.app.screen.query_one("#purge-before", Input).value = "2026-11-20"
    await pilot.click("#purge-review")
    await settle(pilot)
    pilot.app.screen.query_one("#purge-confirm").focus()
    await steady(pilot)


VIEWS: dict[str, Callable[[Pilot], Awaitable[None]]] = {
    "login": login, "today": today, "stats": stats, "charts": charts, "log": log,
    "export": export, "purge": purge,
}


@pytest.mark.parametrize("theme", [themes.CONTRAST, themes.HIGH_CONTRAST])
@pytest.mark.parametrize("name", sorted(VIEWS))
def test_every_rendered_text_colour_pair_is_at_least_7_to_1(tmp_path, template, name: str,
                                                             theme: str):
    kit = Kit(tmp_path, template, poll_s=0.05)
    failing: dict[tuple[str, str], tuple[float, str]] = {}

    async def main() -> None:
        async with kit.app.run_test(size=SIZE) as pilot:
            kit.app.theme = theme
            await settle(pilot)
            await VIEWS[name](pilot)
            for pair, where in rendered_pairs(SimpleNamespace(app=kit.app)).items():
                ratio = pair_contrast(pair)
                if ratio < MIN_CONTRAST:
                    failing[pair] = (round(ratio, 2), where)

    asyncio.run(main())
    assert not failing, failing


SNAPSHOTS = [(name, themes.CONTRAST) for name in sorted(VIEWS)] + [
    (name, themes.HIGH_CONTRAST) for name in ("today", "stats", "charts", "log")]


@pytest.mark.parametrize(("name", "theme"), SNAPSHOTS)
def test_snapshot(tmp_path, template, snap_compare, name: str, theme: str):
    kit = Kit(tmp_path, template, poll_s=0.05, export_dir=Path("exports"))

    async def run_before(pilot: Pilot) -> None:
        kit.app.theme = theme
        await settle(pilot)
        await VIEWS[name](pilot)

    assert snap_compare(kit.app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("name", ["today", "stats", "charts", "log", "purge"])
def test_snapshot_in_english(tmp_path, template, snap_compare, name: str):
    """The same screens after `l`: English words fit the same columns."""
    kit = Kit(tmp_path, template, poll_s=0.05, export_dir=Path("exports"), lang="en")

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await VIEWS[name](pilot)

    assert snap_compare(kit.app, terminal_size=SIZE, run_before=run_before)
