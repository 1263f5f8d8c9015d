"""The admin screen's Survey view (issue 24) on the admin tests' fixed demo history, whose
patrons answered the survey through the fast writer: the IKM, its category and the
respondents against the sample as `kiosk survey report` computes them, the nine NRRs as a
chart and as the publication table, the quick rating apart, the suggestions to read, too
few respondents said plainly, the filters, the export, the language switch and contrast."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from kiosk.i18n import t
from kiosk.reports.survey import publication, publication_csv, survey_report
from kiosk.ui import themes
from kiosk.ui.admin import AdminScreen
from kiosk.ui.admin.base import Range
from kiosk.ui.admin.export import ExportScreen

from .admin_support import (
    FIRST,
    LAST,
    SIZE,
    TODAY,
    Kit,
    drive,
    make_template,
    settle,
    show_range,
    signed_in,
    until,
)
from .test_patron_look import MIN_CONTRAST, pair_contrast, rendered_pairs


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("survey-admin-template"))


def text(screen: AdminScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def expected(kit: Kit, rng: Range) -> dict[str, Any]:
    with kit.store() as store:
        return survey_report(store, kit.settings, **rng.kwargs())


async def survey_view(kit: Kit, pilot: Pilot) -> AdminScreen:
    screen = await signed_in(kit, pilot)
    screen.show_view("survey")
    await until(pilot, lambda: screen.survey_data is not None)
    await settle(pilot)
    return screen


async def shown(pilot: Pilot, screen: AdminScreen, rng: Range) -> None:
    await show_range(pilot, rng)
    await until(pilot, lambda: screen.survey_range == rng)
    await settle(pilot)


def test_the_survey_view_shows_the_index_the_nrrs_and_the_suggestions(tmp_path, template):
    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await survey_view(kit, pilot)
        assert screen.range is not None
        rep = expected(kit, screen.range)
        assert screen.survey_data["report"] == rep and rep["respondents"] > 300
        words = t("id", f"survey_report.cat_{rep['category']}")
        head = text(screen, "#survey-head").splitlines()
        assert head[0] == f"IKM {rep['ikm']:.2f} · mutu pelayanan {rep['category']} ({words})"
        assert head[1] == (f"{rep['respondents']:,} responden dari minimal"
                           f" {rep['min_sample']:,} untuk {rep['population']:,} tiket yang"
                           " dilayani")
        assert len(head) == 2  # enough answered: nothing to warn of
        # The publication table's rows, exactly, and the chart of the same NRRs.
        table = screen.query_one("#survey-elements", DataTable)
        pub = publication(rep, "id")
        rows = [[str(c) for c in table.get_row_at(r)] for r in range(table.row_count)]
        assert rows == [list(row) for row in pub.rows] + [["", label, "", value]
                                                          for label, value in pub.foot]
        nrr = {e["code"]: e["nrr"] for e in rep["elements"]}
        low = min(nrr, key=nrr.__getitem__)
        assert screen.query_one("#c-nrr").data == rep["elements"]
        assert text(screen, "#caption-nrr").startswith(f"terendah {low} ({nrr[low]:.2f})")
        assert text(screen, "#caption-trend") == (
            f"Nov 2026: IKM {rep['ikm']:.2f} ({rep['category']}) dari"
            f" {rep['respondents']:,} responden")
        quick = rep["quick_rating"]
        assert text(screen, "#survey-quick").startswith(
            f"{quick['ratings']:,} penilaian, rata-rata {quick['mean']:.2f} dari 4\n"
            f"Tidak puas {quick['counts']['1']:,} · ")
        # The suggestions to read, newest first, in the patrons' own words.
        said = screen.survey_data["suggestions"]
        assert said and text(screen, "#survey-suggestions-title") == (
            f"Saran responden ({len(said)})")
        lines = text(screen, "#survey-suggestion-text").splitlines()
        first = said[0]
        assert lines[0].endswith(f"layanan {first['service']} · loket {first['counter']}:"
                                 f" {first['text']}")
        assert len(lines) == len(said)

    drive(tmp_path, template, scenario)


def test_the_filters_and_too_few_respondents(tmp_path, template):
    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await survey_view(kit, pilot)
        one_day = Range(LAST, LAST)  # 67 of the 135 one day needs
        await shown(pilot, screen, one_day)
        rep = expected(kit, one_day)
        assert 0 < rep["respondents"] < rep["min_sample"]
        head = text(screen, "#survey-head").splitlines()
        assert head[2] == (f"⚠ Responden belum cukup: baru {rep['respondents']} dari"
                           f" {rep['min_sample']} responden yang dibutuhkan periode ini."
                           " Baca indeks ini sebagai gambaran awal saja.")
        counter = Range(FIRST, LAST, counter=3, priority=True)
        await shown(pilot, screen, counter)
        assert screen.survey_data["report"] == expected(kit, counter)
        assert all(s["counter"] == 3 for s in screen.survey_data["suggestions"])
        today = Range(TODAY, TODAY)  # served this morning, nobody has answered yet
        await shown(pilot, screen, today)
        head = text(screen, "#survey-head").splitlines()
        assert head[0] == "Belum ada yang mengisi survei pada periode ini."
        assert head[1].startswith("0 responden dari minimal ")
        assert text(screen, "#caption-nrr") == "belum ada jawaban"
        assert text(screen, "#survey-suggestion-text") == "Belum ada saran pada periode ini."

    drive(tmp_path, template, scenario)


def test_export_writes_the_publication_table_and_the_report(tmp_path, template):
    out = tmp_path / "out"
    rng = Range(FIRST, LAST, service="B")

    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await survey_view(kit, pilot)
        await shown(pilot, screen, rng)
        rep = screen.survey_data["report"]
        for kind in ("csv", "json"):
            screen.query_one("#tabs").focus()
            await pilot.press("e")
            await settle(pilot)
            dialog = kit.app.screen
            assert isinstance(dialog, ExportScreen)
            title = text(dialog, ".dialog-title")
            assert title.startswith("Ekspor: survei, 13 Nov 2026 s.d. 26 Nov 2026")
            dialog.query_one("#export-format", Select).value = kind
            dialog.query_one("#export-folder", Input).value = str(out)
            await pilot.click("#export-go")
            await until(pilot, lambda: bool(dialog.written))  # noqa: B023
            [path] = dialog.written
            assert path == out / f"kiosk-survey-{FIRST}_{LAST}-B.{kind}"
            written = path.read_text("utf-8")
            if kind == "csv":
                assert written == publication_csv(rep, "id")
                rows = list(csv.reader(io.StringIO(written)))
                assert ["Cakupan", "layanan B"] in rows
            else:
                assert json.loads(written) == rep == expected(kit, rng)
            await pilot.press("escape")
            await settle(pilot)

    drive(tmp_path, template, scenario)


def test_l_speaks_english_keeping_the_survey(tmp_path, template):
    async def scenario(kit: Kit, pilot: Pilot) -> None:
        screen = await survey_view(kit, pilot)
        data = screen.survey_data
        screen.query_one("#tabs").focus()
        await pilot.press("l")
        await settle(pilot)
        assert screen.view == "survey" and screen.survey_data is data
        rep = data["report"]
        words = t("en", f"survey_report.cat_{rep['category']}")
        assert text(screen, "#survey-head").splitlines()[0] == (
            f"IKM {rep['ikm']:.2f} · service quality {rep['category']} ({words})")
        table = screen.query_one("#survey-elements", DataTable)
        assert [str(c) for c in table.get_row_at(2)][:2] == ["U3", "Time to complete"]
        assert text(screen, "#survey-suggestions-title").startswith("Suggestions (")

    drive(tmp_path, template, scenario)


@pytest.mark.parametrize("theme", [themes.CONTRAST, themes.HIGH_CONTRAST])
def test_every_text_colour_pair_of_the_survey_is_at_least_7_to_1(tmp_path, template,
                                                                   theme: str):
    kit = Kit(tmp_path, template, poll_s=0.05)
    failing: dict[tuple[str, str], tuple[float, str]] = {}

    async def main() -> None:
        async with kit.app.run_test(size=SIZE) as pilot:
            kit.app.theme = theme
            await settle(pilot)
            screen = await survey_view(kit, pilot)
            for scrolled in (False, True):
                if scrolled:
                    screen.query_one("#survey").scroll_end(animate=False)
                    await settle(pilot)
                for pair, where in rendered_pairs(SimpleNamespace(app=kit.app)).items():
                    ratio = pair_contrast(pair)
                    if ratio < MIN_CONTRAST:
                        failing[pair] = (round(ratio, 2), where)

    asyncio.run(main())
    assert not failing, failing


def test_snapshot(tmp_path, template, snap_compare):
    kit = Kit(tmp_path, template, poll_s=0.05, export_dir=Path("exports"))

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        screen = await survey_view(kit, pilot)
        screen.query_one("#tabs").focus()
        for field in screen.query(Input):
            field.cursor_blink = False
        await settle(pilot)
        await pilot.pause(0.1)

    assert snap_compare(kit.app, terminal_size=SIZE, run_before=run_before)
