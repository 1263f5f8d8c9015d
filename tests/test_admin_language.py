"""The admin screen's language (issue: the admin speaks the site's language): it opens in
the site's first language (Bahasa Indonesia on the shipped config), `l` switches to the next
site language and back without losing the view, the filters or what was read, and dates
are written the site's way ("27 Nov 2026") while typed dates stay ISO."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static, Tab

from kiosk.ui.admin import AdminScreen
from kiosk.ui.admin.base import Range
from kiosk.ui.admin.charts import Chart
from kiosk.ui.admin.tables import STAT_COLUMNS, SortableTable

from .admin_support import (
    FIRST,
    LAST,
    SIZE,
    Kit,
    cell,
    day,
    drive,
    log_text,
    make_template,
    say,
    settle,
    show_range,
    signed_in,
    until,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("admin-language-template"))


def tab_labels(screen: AdminScreen) -> list[str]:
    return [str(tab.label) for tab in screen.query(Tab)]


def footer_words(screen: AdminScreen) -> dict[str, str]:
    """What the footer says for each of the screen's own keys."""
    return {active.binding.action: active.binding.description
            for active in screen.active_bindings.values()
            if active.node is screen and active.binding.show}


def test_the_admin_speaks_the_sites_first_language_and_writes_dates_its_way(tmp_path,
                                                                            template):
    async def scenario(kit: Kit, pilot: Pilot) -> None:
        assert kit.app.lang == kit.settings.default_language == "id"
        title = str(kit.app.screen.query_one("#sign-in-title", Static).render())
        assert title == say("sign_in_title") == "Masuk sebagai admin"
        assert str(kit.app.screen.query_one("#sign-in-button", Button).label) == "Masuk"
        screen = await signed_in(kit, pilot)
        assert tab_labels(screen) == ["Hari ini", "Statistik", "Grafik", "Log", "Survei"]
        assert footer_words(screen)["export"] == "Ekspor"
        assert footer_words(screen)["switch_language"] == "English"  # named in itself
        head = str(screen.query_one("#today-head", Static).render())
        assert head == "Hari ini 27 Nov 2026 · pukul 09:00"
        # The first range: the last 30 days, the months as Indonesian writes them.
        status = str(screen.query_one("#range-status", Static).render())
        assert status.startswith("29 Okt 2026 s.d. 27 Nov 2026 · 30 hari · ")
        # Typed dates stay ISO; the field says what it is in the language.
        start = screen.query_one("#from", Input)
        assert start.value == "2026-10-29" and str(start.border_title) == "dari"

    drive(tmp_path, template, scenario)


def test_dates_are_written_the_sites_way_in_each_language():
    assert day("2026-12-05") == "5 Des 2026" and day("2026-12-05", "en") == "5 Dec 2026"
    assert day("2026-05-17") == "17 Mei 2026" and day("2026-08-01") == "1 Agu 2026"
    assert day("2026-10-29", "en") == "29 Oct 2026"


def test_l_switches_to_english_and_back_keeping_the_view_and_the_filters(tmp_path, template):
    rng = Range(FIRST, LAST, service="B", priority=True)

    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        screen.show_view("stats")
        await show_range(pilot, rng)
        table = screen.query_one("#t-service", SortableTable)
        table.sort_by("issued")
        data = screen.data
        screen.query_one("#tabs").focus()
        await pilot.press("l")
        await settle(pilot)
        assert kit.app.lang == "en" and kit.app.screen is screen
        assert tab_labels(screen) == ["Today", "Statistics", "Charts", "Log", "Survey"]
        assert footer_words(screen)["export"] == "Export"
        assert footer_words(screen)["switch_language"] == "Bahasa Indonesia"
        assert str(screen.query_one("#do-switch_language", Button).label) == (
            "Bahasa Indonesia (l)")
        # Still Statistics, on the same range and filters, drawn from what was read.
        assert screen.view == "stats" and screen.range == rng and screen.data is data
        assert screen.read_filters() == rng
        status = str(screen.query_one("#range-status", Static).render())
        assert status.startswith("13 Nov 2026 – 26 Nov 2026 · 14 day(s) · ")
        assert status.endswith(" · service B · priority")
        table = screen.query_one("#t-service", SortableTable)
        assert table.sort_key == "issued" and "issued▼" in table.ordered_columns[1].label.plain
        classes = screen.query_one("#t-class", SortableTable)
        assert [cell(classes, r, 0) for r in range(3)] == ["overall", "priority", "regular"]
        assert cell(classes, 0, 1 + [c.key for c in STAT_COLUMNS].index("target_met")) in (
            "yes", "NO")
        today = screen.query_one("#today-classes", DataTable)
        assert cell(today, 0, 0) == "overall"
        assert str(screen.query_one("#today-head", Static).render()).startswith(
            "Today 27 Nov 2026")
        # The charts, the dialogs and the log speak English too.
        screen.show_view("charts")
        await settle(pilot)
        assert screen.query_one("#c-hours", Chart).chart_title() == (
            "Arrivals and calls by hour")
        screen.query_one("#tabs").focus()
        await pilot.press("p")
        await settle(pilot)
        assert str(kit.app.screen.query_one(".dialog-title", Static).render()) == (
            "Purge history (retention)")
        await pilot.press("escape")
        await settle(pilot)
        screen.show_view("log")
        await settle(pilot)
        await until(pilot, lambda: screen.log_data is not None)
        await pilot.press("right_square_bracket")  # the second page
        await settle(pilot)
        english = log_text(screen)
        assert screen.log_page == 1 and english[0][0].endswith(" Nov 2026")
        assert {row[4] for row in english} == {"priority"}
        # And back: Bahasa Indonesia, still the log's second page, the same tickets.
        screen.query_one("#tabs").focus()
        await pilot.press("l")
        await settle(pilot)
        assert kit.app.lang == "id" and screen.view == "log" and screen.log_page == 1
        assert tab_labels(screen)[0] == "Hari ini"
        indonesian = log_text(screen)
        assert [row[1] for row in indonesian] == [row[1] for row in english]
        assert {row[4] for row in indonesian} == {"prioritas"}
        log = screen.log_data
        assert str(screen.query_one("#log-status", Static).render()) == say(
            "page", page=2, pages=log["pages"], tickets=log["tickets"], search="")
        assert screen.query_one("#c-hours", Chart).chart_title() == say("chart_hours")

    drive(tmp_path, template, scenario)


def test_a_site_with_one_language_has_nothing_to_switch(tmp_path, template):
    kit = Kit(tmp_path, template, poll_s=0.05,
              replace={'languages = ["id", "en"]': 'languages = ["en"]'})

    async def main() -> None:
        async with kit.app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            screen = await signed_in(kit, pilot)
            assert kit.app.lang == "en" and tab_labels(screen)[0] == "Today"
            assert not screen.query("#do-switch_language")
            assert "switch_language" not in {b.binding.action
                                             for b in screen.active_bindings.values()}
            await pilot.press("l")
            await settle(pilot)
            assert kit.app.lang == "en"

    asyncio.run(main())
