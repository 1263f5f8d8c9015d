"""Helpers for the admin-screen tests: a store with fixed demo history and a fixed "today",
an admin app on it, and pilot helpers. (No tests here.)

The history is two weeks of simulated library days written by the reports module's fast
writer with fixed seeds; today (2026-11-27, the clock stands at 09:00 Jakarta) is played
through the store's own verbs, so every number on screen is the same on every run. The
shipped config's first language is Bahasa Indonesia, so the screen speaks it (`say`).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from contextlib import closing
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from benchmarks.fast_writer import FastWriter
from kiosk import config as cfg
from kiosk import demo
from kiosk.clock import ManualClock
from kiosk.i18n import date_text, t
from kiosk.store import Store
from kiosk.ui.admin import AdminApp, AdminScreen

from .conftest import local, write_config

SIZE = (120, 40)
TODAY = "2026-11-27"
FIRST = "2026-11-13"
LAST = "2026-11-26"
ADMIN, ADMIN_PIN = "Ayu", "135790"
STAFF, STAFF_PIN = "Budi", "2468"


def build_history(settings: cfg.Settings, path: Path, first: date, days: int,
                  load: float = 0.8) -> None:
    """`days` simulated days from `first`, by the fast writer (fixed seeds)."""
    clock = ManualClock(datetime.combine(first, time(6), settings.site.tz))
    with Store(settings, clock=clock, path=path) as store:
        with closing(FastWriter(store.path, settings, clock)) as writer:
            for i in range(days):
                demo.simulate_day(writer, clock, settings, first + timedelta(days=i),
                                  demo.Plan(load=load), seed=4242 + i)
                writer.flush()


def play_today(store: Store, clock: ManualClock) -> None:
    """This morning, 08:00 to 09:00, through the store's verbs: a fixed little queue."""
    clock.set(local(7, 55))
    store.day_open(actor="test")
    store.counter(1, "open", actor="Budi")
    store.counter(3, "open", actor="Sari")
    script: list[tuple[int, str, str | None]] = [
        (1, "A", None), (4, "B", "lansia"), (6, "B", None), (9, "C", None), (12, "A", None),
        (15, "B", None), (18, "E", "hamil"), (22, "B", None), (25, "A", None), (31, "C", None),
        (36, "B", None), (40, "D", None), (44, "A", "disabilitas"), (50, "B", None),
        (55, "E", None),
    ]
    for minute, service, need in script:
        clock.set(local(8, minute))
        store.issue(service, need, actor="test")
        if minute % 2 == 0:
            store.call_next(1, actor="Budi")
        if minute % 3 == 0:
            store.call_next(3, actor="Sari")
    clock.set(local(8, 58))
    store.no_show(3, actor="Sari")
    store.set_device("main", "printer", "paper_low", "paper near its end; file data/slips")
    clock.set(local(9, 0))


class Kit:
    """A copy of the template store in tmp_path, a clock at 09:00 and an AdminApp on it
    (`replace`: changes to the shipped config's text, as conftest.write_config takes)."""

    def __init__(self, tmp_path: Path, template: Path, *,
                 replace: dict[str, str] | None = None, **app_args: Any) -> None:
        self.settings = cfg.load(write_config(tmp_path, replace=replace))
        self.path = Path(self.settings.store.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(template, self.path)
        self.clock = ManualClock(local(9, 0))
        app_args.setdefault("export_dir", tmp_path / "exports")
        self.app = AdminApp(self.settings, clock=self.clock, **app_args)

    def store(self) -> Store:
        return Store(self.settings, clock=self.clock)


def make_template(folder: Path) -> Path:
    """The fixed store every admin test starts from (built once per test module)."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = cfg.load(write_config(folder))
    path = Path(settings.store.path)
    build_history(settings, path, date.fromisoformat(FIRST), 14)
    clock = ManualClock(local(7, 55))
    with Store(settings, clock=clock) as store:
        play_today(store, clock)
        store.staff_add(ADMIN, "admin", ADMIN_PIN)
        store.staff_add(STAFF, "staff", STAFF_PIN)
    return path


async def settle(pilot: Pilot, rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def sign_in(pilot: Pilot, name: str = ADMIN, pin: str = ADMIN_PIN) -> None:
    app = pilot.app
    app.screen.query_one("#name").value = name
    app.screen.query_one("#pin").value = pin
    app.screen.query_one("#pin").focus()
    await pilot.press("enter")  # on the PIN field: submits
    await settle(pilot)


async def until(pilot: Pilot, predicate: Any, timeout: float = 10.0) -> None:
    """Pause until predicate() holds (threads deliver on their own time)."""
    import time as _time

    deadline = _time.monotonic() + timeout
    while not predicate():
        if _time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the screen")
        await pilot.pause(0.05)


async def show_range(pilot: Pilot, rng: Any, *, by_click: bool = True) -> None:
    """Type the dates, choose the filters, press Show; wait for the tables."""
    from textual.widgets import Input, Select

    screen = pilot.app.screen
    screen.query_one("#from", Input).value = rng.date_from
    screen.query_one("#to", Input).value = rng.date_to
    for selector, value in (("#service", rng.service), ("#counter", rng.counter),
                            ("#class", rng.priority)):
        screen.query_one(selector, Select).value = Select.NULL if value is None else value
    await settle(pilot)
    if by_click:
        await pilot.click("#show")
    else:
        screen.query_one("#to", Input).focus()
        await pilot.press("enter")
    await settle(pilot)
    await until(pilot, lambda: screen.range == rng)
    await settle(pilot)


Scenario = Callable[[Kit, Pilot], Awaitable[None]]


def drive(tmp_path: Path, template: Path, scenario: Scenario, **app_args: Any) -> Kit:
    """Run `scenario` on a fresh Kit's app (a terminal of SIZE) and return the Kit."""
    kit = Kit(tmp_path, template, poll_s=0.05, **app_args)

    async def main() -> None:
        async with kit.app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await scenario(kit, pilot)

    asyncio.run(main())
    return kit


async def signed_in(kit: Kit, pilot: Pilot) -> AdminScreen:
    """Sign in as the admin; the screen once Today and the first range are read."""
    await sign_in(pilot)
    screen = kit.app.screen
    assert isinstance(screen, AdminScreen)
    await until(pilot, lambda: screen.range is not None and kit.app.today is not None)
    await settle(pilot)
    return screen


def log_text(screen: AdminScreen) -> list[list[str]]:
    """The log table's rows as text."""
    table = screen.query_one("#log-table", DataTable)
    return [[str(v).strip() for v in table.get_row_at(r)] for r in range(table.row_count)]


def cell(table: Any, row: int, column: int) -> str:
    return str(table.get_cell_at((row, column))).strip()


def say(key: str, lang: str = "id", **values: Any) -> str:
    """An admin word as the screen says it (the shipped config's first language: id)."""
    return t(lang, f"admin.{key}", **values)


def day(iso: str, lang: str = "id") -> str:
    """A date as the admin screen shows it ("27 Nov 2026")."""
    return date_text(lang, iso)
