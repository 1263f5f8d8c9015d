"""The admin screen through Textual's pilot, on a real store file with fixed demo history:
the PIN (and the lockout kept in the store), the live Today view, the filters, the tables
against `kiosk report`, sorting, the log (pages, label search, no needs), charts, export and
purge."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, ProgressBar, Select, Static

from kiosk import reports
from kiosk.clock import ManualClock
from kiosk.ui import themes
from kiosk.ui.admin import AdminApp, AdminScreen, LoginScreen
from kiosk.ui.admin.base import Range, Stopped
from kiosk.ui.admin.charts import Chart
from kiosk.ui.admin.export import ExportJob, ExportScreen
from kiosk.ui.admin.purge import PurgeScreen
from kiosk.ui.admin.tables import COUNTER_COLUMNS, STAT_COLUMNS, SortableTable, fmt

from .admin_support import (
    ADMIN,
    ADMIN_PIN,
    FIRST,
    LAST,
    SIZE,
    STAFF,
    STAFF_PIN,
    TODAY,
    Kit,
    cell,
    day,
    drive,
    log_text,
    make_template,
    say,
    settle,
    show_range,
    sign_in,
    signed_in,
    until,
)
from .conftest import REPO, local
from .test_staff_support import flood_reads


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("admin-template"))


def login_message(kit: Kit) -> str:
    return str(kit.app.screen.query_one("#sign-in-message", Static).render())


# -- the PIN -----------------------------------------------------------------------------


def test_only_an_admin_pin_opens_the_screen(tmp_path, template):
    async def scenario(kit: Kit, pilot: Pilot) -> None:
        await sign_in(pilot, ADMIN, "99999")
        assert isinstance(kit.app.screen, LoginScreen)
        assert "wrong name or PIN" in login_message(kit)
        assert kit.app.screen.query_one("#pin", Input).value == ""
        await sign_in(pilot, STAFF, STAFF_PIN)  # a right PIN, but not an admin
        assert isinstance(kit.app.screen, LoginScreen)
        assert f"{STAFF} is not an admin" in login_message(kit)
        assert kit.app.today is None  # nothing was read for the views before the PIN
        await sign_in(pilot, ADMIN, ADMIN_PIN)
        assert isinstance(kit.app.screen, AdminScreen)
        assert ADMIN in str(kit.app.screen.query_one("#title", Static).render())

    kit = drive(tmp_path, template, scenario)
    with kit.store() as store:
        rows = list(store.db.query(
            "SELECT kind, actor, detail FROM events WHERE kind IN"
            " ('pin_failed', 'signed_in', 'signed_out') AND at >= '2026-11-27T01:59' ORDER BY id"))
    assert [(r["kind"], r["actor"]) for r in rows] == [
        ("pin_failed", ADMIN), ("signed_in", ADMIN), ("signed_out", ADMIN)]
    assert json.loads(rows[1]["detail"]) == {"screen": "admin"}


def test_the_lockout_is_kept_in_the_store_not_in_the_app(tmp_path, template):
    async def five_wrong(kit: Kit, pilot: Pilot) -> None:
        for _ in range(5):
            await sign_in(pilot, ADMIN, "11111")
        assert "too many wrong PINs" in login_message(kit)

    kit = drive(tmp_path, template, five_wrong)

    # A new app (as a new browser tab would be) on the same store file: still locked.
    clock = ManualClock(local(9, 0) + timedelta(seconds=30))
    again = AdminApp(kit.settings, clock=clock, poll_s=0.05)

    async def main() -> None:
        async with again.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await sign_in(pilot, ADMIN, ADMIN_PIN)
            assert isinstance(again.screen, LoginScreen)
            message = str(again.screen.query_one("#sign-in-message", Static).render())
            assert "too many wrong PINs; try again in 31 s" in message
            clock.advance(31)
            await sign_in(pilot, ADMIN, ADMIN_PIN)
            assert isinstance(again.screen, AdminScreen)

    asyncio.run(main())


# -- Today -------------------------------------------------------------------------------


def test_today_is_live_and_shows_devices(tmp_path, template):
    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        classes = screen.query_one("#today-classes", DataTable)
        assert cell(classes, 0, 0) == say("class_overall") == "keseluruhan"
        assert cell(classes, 0, 2) == "3"  # waiting now
        assert cell(classes, 0, 4) == "15"  # issued today
        assert cell(classes, 2, 3) == "20.0"  # the oldest regular ticket waits since 08:40
        devices = str(screen.query_one("#today-devices", Static).render())
        assert (f"⚠ {say('printer', name='main')}: {say('printer_paper_low')}"
                " (paper near its end") in devices  # the detail is the printer's own
        assert f"⚠ {say('announcer', name='main')}: {say('announcer_off')}" in devices
        reads = kit.app.follower.reads
        # Another process issues a ticket: the view follows within a poll or two.
        with kit.store() as other:
            other.issue("A", "lansia", actor="other")
        await until(pilot, lambda: cell(classes, 0, 2) == "4")
        assert kit.app.follower.reads > reads
        assert cell(classes, 1, 2) == "1"  # one priority patron waiting now
        services = screen.query_one("#today-services", DataTable)
        assert cell(services, 0, 0).startswith("A ") and cell(services, 0, 1) == "1"
        # Time passes: at 09:15 the oldest regular patron has waited past the 30 min target.
        kit.clock.set(local(9, 15))
        kit.app.follower.poke()
        await until(pilot, lambda: cell(classes, 2, 3) == f"35.0 {say('over')}")
        assert "09:15" in str(screen.query_one("#today-head", Static).render())

    drive(tmp_path, template, scenario)


# -- the range view: filters and tables --------------------------------------------------


def table_rows(rep: dict[str, Any]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    return {
        "#t-class": [(say("class_overall"), rep["overall"]),
                     *((say(f"class_{g['class']}"), g) for g in rep["by_class"])],
        "#t-service": [(g["service"], g) for g in rep["by_service"]],
        "#t-counter": [(str(g["counter"]), g) for g in rep["by_counter"]],
        "#t-hour": [(f"{g['hour']:02d}:00", g) for g in rep["by_hour"]],
    }


def assert_tables_show(screen: AdminScreen, rep: dict[str, Any]) -> int:
    """Every cell of every statistics table against the report's own numbers."""
    checked = 0
    for selector, groups in table_rows(rep).items():
        table = screen.query_one(selector, SortableTable)
        assert table.row_count == len(groups), selector
        columns = COUNTER_COLUMNS if selector == "#t-counter" else STAT_COLUMNS
        for row, (name, group) in enumerate(groups):
            assert cell(table, row, 0).startswith(name), (selector, row)
            for index, column in enumerate(columns, start=1):
                assert table.value(row, column.key) == column.get(group), (selector, column)
                assert cell(table, row, index) == fmt(column.get(group), column.kind)
                checked += 1
    return checked


RANGES = {
    "two weeks": Range(FIRST, LAST),
    "service B": Range(FIRST, TODAY, service="B"),
    "counter 3, priority": Range(FIRST, LAST, counter=3, priority=True),
    "regular at counter 2 in B": Range("2026-11-20", TODAY, service="B", counter=2,
                                       priority=False),
}


@pytest.mark.parametrize("name", sorted(RANGES))
def test_the_tables_are_kiosk_reports_numbers_for_the_same_filters(tmp_path, template,
                                                                    name: str):
    rng = RANGES[name]

    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        screen.show_view("stats")
        await show_range(pilot, rng)
        with kit.store() as store:
            rep = reports.report(store, kit.settings, **rng.kwargs())
        assert screen.data is not None and screen.data["report"] == rep
        assert assert_tables_show(screen, rep) > 100
        status = str(screen.query_one("#range-status", Static).render())
        assert status == say("range", dates=say("dates", first=day(rng.date_from),
                                                last=day(rng.date_to)),
                             days=rng.days, issued=rep["overall"]["issued"],
                             filters=rng.filters_text())

    drive(tmp_path, template, scenario)


def test_the_tables_match_the_kiosk_report_command(tmp_path, template):
    """The real CLI in a subprocess (KIOSK_NOW freezes its clock), the same filters."""
    rng = Range(FIRST, TODAY, service="B", priority=False)
    kit_box: list[Kit] = []

    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        screen.show_view("stats")
        await show_range(pilot, rng, by_click=False)  # Enter in a date field works too
        kit_box.append(kit)
        config = tmp_path / "config.toml"
        done = subprocess.run(
            [sys.executable, "-m", "kiosk", "report", "--config", str(config), "--from",
             rng.date_from, "--to", rng.date_to, "--service", "B", "--class", "regular",
             "--format", "json"],
            capture_output=True, text=True, timeout=60, cwd=REPO,
            env={**os.environ, "KIOSK_NOW": "2026-11-27T09:00:00+07:00"})
        assert done.returncode == 0, done.stderr
        cli = json.loads(done.stdout)
        assert screen.data is not None and screen.data["report"] == cli
        assert assert_tables_show(screen, cli) > 100

    drive(tmp_path, template, scenario)


def test_filters_are_chosen_with_the_keyboard_and_bad_dates_are_explained(tmp_path, template):
    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        screen.show_view("stats")
        await settle(pilot)
        # Choose "counter 2" in the counter list by keys, as an admin would.
        screen.query_one("#counter", Select).focus()
        await pilot.press("enter", "down", "down", "enter")
        await settle(pilot)
        assert screen.query_one("#counter", Select).value == 2
        await pilot.click("#show")
        await settle(pilot)
        await until(pilot, lambda: screen.range is not None and screen.range.counter == 2)
        counters = screen.query_one("#t-counter", SortableTable)
        assert [cell(counters, r, 0)[0] for r in range(counters.row_count)] == ["1", "2", "3",
                                                                                 "4"]
        assert counters.value(0, "issued") == 0 and counters.value(1, "issued") > 0
        before = screen.range
        screen.query_one("#from", Input).value = "2026-13-01"
        await pilot.click("#show")
        await settle(pilot)
        status = str(screen.query_one("#range-status", Static).render())
        assert status == say("bad_date", field=say("from"), value="2026-13-01") == (
            "⚠ dari: “2026-13-01” bukan tanggal TTTT-BB-HH")
        assert screen.range == before  # the tables still show the last good range
        screen.query_one("#from", Input).value = "2026-11-20"
        screen.query_one("#to", Input).value = "2026-11-10"
        await pilot.pause(0.3)  # Button's press debounce
        await pilot.click("#show")
        await settle(pilot)
        assert str(screen.query_one("#range-status", Static).render()) == say(
            "bad_order", first="20 Nov 2026", last="10 Nov 2026")
        assert screen.range == before

    drive(tmp_path, template, scenario)


def test_tables_sort_by_any_column_and_say_which(tmp_path, template):
    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        screen.show_view("stats")
        await settle(pilot)
        table = screen.query_one("#t-service", SortableTable)

        def p90s() -> list[float]:
            return [table.value(r, "wait_p90") for r in range(table.row_count)]

        before = p90s()
        assert before != sorted(before, reverse=True)  # config order is not p90 order
        column = 1 + [c.key for c in STAT_COLUMNS].index("wait_p90")
        await pilot.click("#t-service", offset=(header_x(table, column), 0))
        await settle(pilot)
        assert p90s() == sorted(before, reverse=True)
        assert "▼" in table.ordered_columns[column].label.plain
        await pilot.click("#t-service", offset=(header_x(table, column), 0))
        await settle(pilot)
        assert p90s() == sorted(before)
        assert "▲" in table.ordered_columns[column].label.plain
        # By keyboard: `s` on a cell sorts by its column.
        table.focus()
        table.cursor_coordinate = table.cursor_coordinate._replace(column=1)
        await pilot.press("s")
        await settle(pilot)
        issued = [table.value(r, "issued") for r in range(table.row_count)]
        assert issued == sorted(issued, reverse=True)

    drive(tmp_path, template, scenario)


def header_x(table: DataTable[Any], column: int) -> int:
    """The x offset of a column's header in the table."""
    x = 0
    for index, col in enumerate(table.ordered_columns):
        if index == column:
            return x + 1
        x += col.get_render_width(table)
    raise AssertionError(column)


# -- charts ------------------------------------------------------------------------------


def test_charts_draw_the_reports_numbers_in_both_themes(tmp_path, template):
    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        screen.show_view("charts")
        await settle(pilot)
        charts = {c.id: c for c in screen.query(Chart)}
        assert set(charts) == {"c-hours", "c-wait-priority", "c-wait-regular", "c-within",
                               "c-util"}
        assert all(c.drawn > 0 for c in charts.values())
        assert screen.data is not None
        rep = screen.data["report"]
        hours = charts["c-hours"].data
        assert sum(hours["arrivals"].values()) == rep["overall"]["issued"]
        assert sum(hours["calls"].values()) == rep["overall"]["called"]
        for group in rep["by_class"]:
            chart = charts[f"c-wait-{group['class']}"]
            assert sum(chart.data["minutes"].values()) == group["wait_min"]["n"]
            assert chart.data["target_min"] == group["target_wait_min"]
            cls = say(f"class_{group['class']}")
            title = say("chart_wait_target", cls=cls,
                        minutes=f"{group['target_wait_min']:g}")
            assert chart.chart_title() == title[0].upper() + title[1:]
        within = charts["c-within"].data
        assert len(within["days"]) == screen.range.days
        judged = sum(sum(d["judged"]) for d in within["days"])
        inside = sum(sum(d["within"]) for d in within["days"])
        assert round(inside / judged, 4) == rep["overall"]["within_target"]
        util = charts["c-util"].data
        assert [c["utilisation"] for c in util] == [g["utilisation"] for g in rep["by_counter"]]
        busiest = max(rep["by_hour"], key=lambda g: g["issued"])
        assert str(screen.query_one("#caption-hours", Static).render()) == say(
            "hours_busiest", hour=f"{busiest['hour']:02d}:00", n=busiest["issued"])
        # The plot itself: the legend names each series with its own fill.
        drawn = charts["c-hours"].render().plain
        assert f"{say('arrivals')} █" in drawn and f"{say('calls')} ▒" in drawn
        # Switching the theme redraws every chart in the theme's colours.
        counts = {k: c.drawn for k, c in charts.items()}
        await pilot.press("t")
        await settle(pilot)
        assert kit.app.theme == themes.HIGH_CONTRAST
        assert all(c.drawn > counts[k] for k, c in charts.items())
        colours = {span.style.color.get_truecolor().hex
                   for span in charts["c-hours"].render().spans
                   if span.style and getattr(span.style, "color", None)}
        assert "#ffff00" in colours  # the high-contrast accent

    drive(tmp_path, template, scenario)


@pytest.mark.parametrize("name", ["two weeks", "service B"])
def test_statistics_and_charts_show_one_within_target_share(tmp_path, template, name: str):
    """One figure everywhere: the share within target the Statistics view shows for a class
    is the one its wait chart states, and each day's point is the report's own share."""
    rng = RANGES[name]

    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        screen.show_view("stats")
        await show_range(pilot, rng)
        table = screen.query_one("#t-class", SortableTable)
        shown = {cell(table, row, 0): cell(table, row, 1 + next(
            i for i, c in enumerate(STAT_COLUMNS) if c.key == "within_target"))
            for row in range(table.row_count)}
        screen.show_view("charts")
        await settle(pilot)
        assert screen.data is not None
        groups = {g["class"]: g for g in screen.data["report"]["by_class"]}
        for cls in reports.CLASSES:
            caption = str(screen.query_one(f"#caption-wait-{cls}", Static).render())
            assert caption == say("wait_caption", share=shown[say(f"class_{cls}")],
                                  n=groups[cls]["judged"],
                                  standard=f"{groups[cls]['target_share']:.0%}"), caption
        with kit.store() as store:
            for day in screen.data["days"]:
                rep = reports.report(store, kit.settings, date_from=day["day"],
                                     date_to=day["day"], service=rng.service)
                assert day["within_target"] == [g["within_target"] for g in rep["by_class"]]

    drive(tmp_path, template, scenario)


# -- the log -----------------------------------------------------------------------------

NEEDS = ("lansia", "disabilitas", "hamil", "menyusui", "anak")


def test_the_log_is_paged_and_searched_by_label_and_names_no_need(tmp_path, template):
    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        screen.show_view("log")
        await settle(pilot)
        with kit.store() as store:
            total = store.conn.execute(
                "SELECT COUNT(*) FROM tickets WHERE day BETWEEN ? AND ?",
                (screen.range.date_from, screen.range.date_to)).fetchone()[0]
        status = str(screen.query_one("#log-status", Static).render())
        pages = -(-total // 40)
        assert status == say("page", page=1, pages=pages, tickets=total, search="")
        first = log_text(screen)
        assert first[0][:2] == [day(TODAY), "E002"]  # newest first, the day the site's way
        assert screen.query_one("#log-prev", Button).disabled
        await pilot.click("#log-next")
        await settle(pilot)
        second = log_text(screen)
        assert str(screen.query_one("#log-status", Static).render()) == say(
            "page", page=2, pages=pages, tickets=total, search="")
        assert {r[1] + r[0] for r in second}.isdisjoint({r[1] + r[0] for r in first})
        await pilot.press("left_square_bracket")  # back a page by key
        await settle(pilot)
        assert log_text(screen) == first
        # Search: any part of a label, any case; Enter searches at once.
        search = screen.query_one("#log-search", Input)
        search.focus()
        await pilot.press(*"b01", "enter")
        await settle(pilot)
        found = log_text(screen)
        assert found and all("B01" in row[1] for row in found)
        with kit.store() as store:
            matching = store.conn.execute(
                "SELECT COUNT(*) FROM tickets WHERE day BETWEEN ? AND ? AND label LIKE '%B01%'",
                (screen.range.date_from, screen.range.date_to)).fetchone()[0]
        assert str(screen.query_one("#log-status", Static).render()) == say(
            "page", page=1, pages=-(-matching // 40), tickets=matching,
            search=say("matching", label="B01"))
        # Priority tickets show the class, never the need behind it.
        everything = " ".join(" ".join(row) for row in first + second + found)
        assert say("class_priority") in everything
        assert not any(need in everything for need in NEEDS)

    drive(tmp_path, template, scenario, per_page=40)


# -- export ------------------------------------------------------------------------------


async def export(kit: Kit, pilot: Pilot, fmt_name: str, folder: Path) -> ExportScreen:
    await pilot.press("e")
    await settle(pilot)
    dialog = kit.app.screen
    assert isinstance(dialog, ExportScreen)
    dialog.query_one("#export-format", Select).value = fmt_name
    dialog.query_one("#export-folder", Input).value = str(folder)
    await pilot.click("#export-go")
    await settle(pilot)
    await until(pilot, lambda: bool(dialog.written) or "⚠" in str(
        dialog.query_one("#export-result", Static).render()))
    return dialog


def test_export_writes_the_view_on_show_as_csv_and_json(tmp_path, template):
    out = tmp_path / "out" / "nested"
    rng = Range(FIRST, LAST, service="C")

    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        screen.show_view("stats")
        await show_range(pilot, rng)
        screen.query_one("#tabs").focus()
        rep = screen.data["report"]
        for kind in ("csv", "json"):
            dialog = await export(kit, pilot, kind, out)
            [path] = dialog.written
            assert path == out / f"kiosk-statistics-{FIRST}_{LAST}-C.{kind}"
            text = path.read_text("utf-8")
            if kind == "csv":
                assert text == reports.to_csv(rep)
            else:
                assert json.loads(text) == rep
            bar = dialog.query_one("#export-progress", ProgressBar)
            assert bar.percentage == 1.0
            assert str(path) in str(dialog.query_one("#export-result", Static).render())
            await pilot.press("escape")
            await settle(pilot)
        screen.show_view("charts")
        await settle(pilot)
        dialog = await export(kit, pilot, "json", out)
        series = json.loads(dialog.written[0].read_text("utf-8"))
        assert sum(series["arrivals_by_hour"].values()) == rep["overall"]["issued"]
        assert sum(series["calls_by_hour"].values()) == rep["overall"]["called"]
        assert series["filters"]["service"] == "C"
        await pilot.press("escape")
        await settle(pilot)
        dialog = await export(kit, pilot, "csv", out)
        lines = list(csv.reader(io.StringIO(dialog.written[0].read_text("utf-8"))))
        assert lines[0] == ["chart", "series", "x", "value"]
        assert {row[0] for row in lines[1:]} == {"by_hour", "wait_minutes",
                                                "within_target_by_day", "utilisation"}
        await pilot.press("escape")
        await settle(pilot)
        screen.show_view("today")
        await settle(pilot)
        dialog = await export(kit, pilot, "json", out)
        assert dialog.written[0].name == f"kiosk-today-{TODAY}_{TODAY}.json"
        assert json.loads(dialog.written[0].read_text("utf-8"))["overall"]["issued"] == 15

    drive(tmp_path, template, scenario)
    assert not list(out.glob("*.part"))


def test_a_served_admin_downloads_its_export_to_the_browser(tmp_path, template, monkeypatch):
    """Issue 19: served to a browser, an export goes to the browser (Textual's file
    delivery), never to a folder on the server that the typed path points at."""
    from kiosk.ui.admin import AdminApp

    delivered: list[tuple[Path, dict]] = []
    monkeypatch.setattr(AdminApp, "is_web", property(lambda self: True))
    monkeypatch.setattr(AdminApp, "deliver_text",
                        lambda self, path, **kw: delivered.append((Path(path), kw)))
    aimed = tmp_path / "outside"

    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        screen.show_view("stats")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        dialog = kit.app.screen
        assert isinstance(dialog, ExportScreen)
        folder = dialog.query_one("#export-folder", Input)
        assert folder.disabled
        folder.value = str(aimed)  # even if a path got in, it is not used
        await pilot.click("#export-go")
        await until(pilot, lambda: bool(delivered))

    drive(tmp_path, template, scenario)
    [(path, options)] = delivered
    assert path.exists() and not aimed.exists()
    assert options["save_filename"] == path.name and options["mime_type"] == "text/csv"


def test_exporting_a_long_log_shows_progress_and_writes_every_row(tmp_path, template):
    out = tmp_path / "exports"
    seen: list[float] = []

    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        screen.show_view("log")
        await show_range(pilot, Range(FIRST, TODAY, priority=True))
        screen.query_one("#log-search", Input).value = "a0"
        await pilot.press("e")
        await settle(pilot)
        dialog = kit.app.screen
        assert isinstance(dialog, ExportScreen)
        bar = dialog.query_one("#export-progress", ProgressBar)
        original = bar.update

        def watch(**kwargs: Any) -> None:
            original(**kwargs)
            seen.append(bar.percentage or 0.0)

        bar.update = watch  # type: ignore[method-assign]
        dialog.query_one("#export-folder", Input).value = str(out)
        await pilot.click("#export-go")
        await until(pilot, lambda: bool(dialog.written))
        [path] = dialog.written
        assert path.name == f"kiosk-log-{FIRST}_{TODAY}-priority-label-A0.csv"
        with kit.store() as store:
            expected = list(reports.log_rows(store, kit.settings, date_from=FIRST,
                                             date_to=TODAY, priority=True, label="a0"))
        rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))
        assert len(rows) == len(expected) > 10
        assert all(r["class"] == "priority" and "A0" in r["label"] for r in rows)
        assert rows[0]["day"] == FIRST and rows[-1]["day"] == TODAY  # oldest first
        assert not any(need in path.read_text("utf-8") for need in NEEDS)

    drive(tmp_path, template, scenario)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) >= 3


def test_export_into_an_unusable_folder_says_why(tmp_path, template):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    async def scenario(kit: Kit, pilot: Pilot) -> None:
        await signed_in(kit, pilot)
        dialog = await export(kit, pilot, "csv", blocker)
        assert not dialog.written
        message = str(dialog.query_one("#export-result", Static).render())
        assert message.startswith(say("export_failed", error="")) and "a-file" in message

    drive(tmp_path, template, scenario)


# -- purge -------------------------------------------------------------------------------


def test_purge_needs_a_review_and_a_confirmation_and_is_logged(tmp_path, template):
    before = "2026-11-20"

    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        assert screen.data is not None
        issued = screen.data["report"]["overall"]["issued"]
        await pilot.press("p")
        await settle(pilot)
        dialog = kit.app.screen
        assert isinstance(dialog, PurgeScreen)
        confirm = dialog.query_one("#purge-confirm", Button)
        assert confirm.disabled  # nothing can be deleted before a review
        dialog.query_one("#purge-before", Input).value = before
        await pilot.click("#purge-review")
        await settle(pilot)
        with kit.store() as store:
            preview = store.purge_preview(before)
        assert preview["tickets"] > 100
        summary = str(dialog.query_one("#purge-summary", Static).render())
        assert summary == say("purge_summary", tickets=preview["tickets"],
                              events=preview["events"], before=day(before),
                              since=say("purge_since", first=day(FIRST)))
        assert not confirm.disabled and f"{preview['tickets']:,}" in str(confirm.label)
        # Changing the date after the review asks for a new review.
        dialog.query_one("#purge-before", Input).value = "2026-11-21"
        await settle(pilot)
        assert confirm.disabled
        await pilot.click("#purge-cancel")
        await settle(pilot)
        assert kit.app.screen is screen
        with kit.store() as store:
            assert store.purge_preview(before) == preview  # untouched
        # Now for real: review, confirm.
        await pilot.press("p")
        await settle(pilot)
        dialog = kit.app.screen
        assert isinstance(dialog, PurgeScreen)
        dialog.query_one("#purge-before", Input).value = before
        await pilot.click("#purge-review")
        await settle(pilot)
        await pilot.click("#purge-confirm")
        await settle(pilot)
        assert str(dialog.query_one("#purge-summary", Static).render()) == say(
            "purged", tickets=preview["tickets"], events=preview["events"],
            before=day(before))
        assert str(dialog.query_one("#purge-cancel", Button).label) == say("key_close")
        await pilot.click("#purge-cancel")  # now labelled Close
        await settle(pilot)
        # The range on show is read again without the purged days.
        await until(pilot, lambda: screen.data is not None
                    and screen.data["report"]["overall"]["issued"] < issued)

    kit = drive(tmp_path, template, scenario)
    with kit.store() as store:
        assert store.conn.execute("SELECT COUNT(*) FROM tickets WHERE day < ?",
                                  (before,)).fetchone()[0] == 0
        purged = list(store.db.query("SELECT actor, detail FROM events WHERE kind = 'purged'"))
    assert len(purged) == 1 and purged[0]["actor"] == ADMIN
    assert json.loads(purged[0]["detail"])["before"] == before


def test_purge_refuses_today_and_says_so(tmp_path, template):
    async def scenario(kit: Kit, pilot: Pilot) -> None:
        await signed_in(kit, pilot)
        await pilot.press("p")
        await settle(pilot)
        dialog = kit.app.screen
        tomorrow = (kit.clock.now() + timedelta(days=1)).date().isoformat()
        dialog.query_one("#purge-before", Input).value = tomorrow
        await pilot.click("#purge-review")
        await settle(pilot)
        await pilot.click("#purge-confirm")
        await settle(pilot)
        summary = str(dialog.query_one("#purge-summary", Static).render())
        assert summary == say("purge_today", before=day(tomorrow))
        assert dialog.query_one("#purge-confirm", Button).disabled

    kit = drive(tmp_path, template, scenario)
    with kit.store() as store:
        assert store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] > 3000


# -- stopping long work ------------------------------------------------------------------


def test_a_stopped_export_leaves_no_file_behind(tmp_path, template):
    kit = Kit(tmp_path, template)
    job = ExportJob("log", "everything", Range(FIRST, TODAY))
    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        if done == 3:
            raise Stopped

    with kit.store() as store:
        with pytest.raises(Stopped):
            job.write(store, tmp_path / "out", "csv", progress)
        assert calls == [1, 2, 3]
        assert list((tmp_path / "out").iterdir()) == []
        path = job.write(store, tmp_path / "out", "json", lambda done, total: None)
    assert [p.name for p in (tmp_path / "out").iterdir()] == [path.name]


def test_only_the_newest_range_is_computed_to_the_end(tmp_path, template):
    seen: list[tuple[str, int]] = []

    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await signed_in(kit, pilot)
        original = reports.overview

        def watched(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
            def spy(done: int, total: int) -> None:
                seen.append((kwargs["date_from"], done))
                if kwargs["date_from"] != FIRST:
                    time.sleep(0.01)  # a slow store: 731 days would take 7 s
                progress(done, total)

            return original(*args, progress=spy, **kwargs)

        reports.overview = watched  # type: ignore[assignment]
        try:
            # Two years back, then at once two weeks: the first stops at its next day.
            screen.load(Range("2024-11-27", TODAY))
            await until(pilot, lambda: len(seen) >= 3)  # the thread is on the long range
            await screen.load(Range(FIRST, LAST)).wait()
        finally:
            reports.overview = original  # type: ignore[assignment]
        assert screen.range == Range(FIRST, LAST)
        assert screen.data["report"]["from"] == FIRST

    drive(tmp_path, template, scenario)
    long_days = [done for first, done in seen if first == "2024-11-27"]
    assert len(long_days) < 200  # stopped early (731 days in all)
    assert [done for first, done in seen if first == FIRST][-1] == 14


def test_reads_arriving_while_the_admin_screen_closes_are_dropped(tmp_path, template):
    """As for the staff console and the board: a read in flight while the app shuts down
    is dropped, not drawn into tables that are already gone."""
    for attempt in range(3):
        async def scenario(kit: Kit, pilot: Pilot) -> None:
            await signed_in(kit, pilot)
            flood_reads(kit.app, lambda: kit.app.today)

        folder = tmp_path / str(attempt)
        folder.mkdir()
        drive(folder, template, scenario)
