"""One truth per number (issue 17): on demo history, the command line's report, the admin's
Statistics (the overview's report), its Charts (the series they draw and caption) and its
Today read the same figures for the same range; the demo's expired tickets are counted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from kiosk import config as cfg
from kiosk import demo, reports, views
from kiosk.clock import ManualClock
from kiosk.store import Store
from kiosk.ui.admin.charts import chart_series

from .conftest import local, write_config

FIRST, LAST, TODAY = "2026-11-21", "2026-12-04", "2026-12-05"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[cfg.Settings, Path]:
    """Fourteen demo days through the store's own verbs, then this morning's queue."""
    folder = tmp_path_factory.mktemp("truth")
    config = write_config(folder)
    settings = cfg.load(config)
    clock = ManualClock(datetime.combine(date(2026, 11, 20), time(6), settings.site.tz))
    with Store(settings, clock=clock) as store:
        demo.generate(store, 14, end=date.fromisoformat(LAST))
        clock.set(local(8, 0, day=5, month=12))
        store.counter(1, "open")
        for n, service in enumerate("AABABBA"):
            clock.set(local(8, 5 + n, day=5, month=12))
            store.issue(service, "lansia" if n == 3 else None)
            if n % 2:
                store.call_next(1)
    return settings, config


def cli_report(config: Path, first: str, last: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "report", "--from", first, "--to", last, "--json"],
        env={**os.environ, "KIOSK_CONFIG": str(config),
             "KIOSK_NOW": "2026-12-05T09:00:00+07:00"},
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


GROUPS = ("overall", "by_service", "by_counter", "by_hour", "by_class")


def test_statistics_charts_and_the_command_line_agree(history):
    settings, config = history
    cli = cli_report(config, FIRST, LAST)
    with Store(settings, clock=ManualClock(local(9, 0, day=5, month=12))) as store:
        overview = reports.overview(store, settings, date_from=FIRST, date_to=LAST)
        days = {d: reports.report(store, settings, date_from=d, date_to=d)
                for d in (FIRST, "2026-11-28", LAST)}
    statistics = overview["report"]
    for group in GROUPS:  # every figure the Statistics view shows
        assert statistics[group] == cli[group], group
    # The demo leaves tickets to expire (a rush day's queue outlasts the hours).
    assert cli["overall"]["expired"] > 0
    # Charts: each series and caption from the same figures.
    series = {cid: value for _chart, cid, value in chart_series(settings, overview)}
    by_class = {g["class"]: g for g in cli["by_class"]}
    for cls in reports.CLASSES:
        wait = series[f"wait-{cls}"]
        assert (wait["within_target"], wait["judged"]) == (
            by_class[cls]["within_target"], by_class[cls]["judged"])
        assert sum(wait["minutes"].values()) == by_class[cls]["called"]
    assert series["hours"]["arrivals"] == {g["hour"]: g["issued"] for g in cli["by_hour"]}
    assert {c["counter"]: c["utilisation"] for c in series["util"]} == {
        g["counter"]: g["utilisation"] for g in cli["by_counter"]}
    # The within-target-by-day chart: each day as that day's own report says it.
    by_day = {d["day"]: d for d in series["within"]["days"]}
    for day, rep in days.items():
        classes = {g["class"]: g for g in rep["by_class"]}
        assert by_day[day]["within_target"] == [classes[c]["within_target"]
                                                for c in reports.CLASSES], day
        assert (by_day[day]["issued"], by_day[day]["served"]) == (
            rep["overall"]["issued"], rep["overall"]["served"])
        assert by_day[day]["target_met"] == rep["overall"]["target_met"]


def test_today_and_the_command_line_agree(history):
    settings, config = history
    with Store(settings, clock=ManualClock(local(9, 0, day=5, month=12))) as store:
        with store.snapshot():
            today = views.today(store)
    cli = cli_report(config, TODAY, TODAY)
    assert today.day == TODAY
    for group in GROUPS:
        assert today.report[group] == cli[group], group
    assert cli["overall"]["issued"] == 7 and cli["overall"]["called"] == 3
