"""The reads the admin screen uses (kiosk/reports/report.py `overview`, serve_log.py; the
store's purge preview): `overview` is `report` plus chart series, the serve-time log by
pages and by day, and the purge preview, each against the store's own rows or verbs."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk import config as cfg
from kiosk import reports
from kiosk.clock import ManualClock
from kiosk.store import Store

from .admin_support import FIRST, LAST, TODAY, make_template
from .conftest import local, write_config


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("admin-reports-template"))


@pytest.fixture
def year_store(tmp_path: Path, template: Path):
    settings = cfg.load(write_config(tmp_path))
    path = Path(settings.store.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, path)
    with Store(settings, clock=ManualClock(local(9, 0)), path=path) as store:
        yield store


FILTERS = [{}, {"service": "b"}, {"counter": 3}, {"priority": True},
           {"service": "A", "counter": 2, "priority": False}]


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_overview_carries_exactly_the_report(year_store: Store, filters):
    settings = year_store.settings
    seen: list[tuple[int, int]] = []
    got = reports.overview(year_store, settings, date_from=FIRST, date_to=TODAY,
                           progress=lambda done, total: seen.append((done, total)), **filters)
    want = reports.report(year_store, settings, date_from=FIRST, date_to=TODAY, **filters)
    assert got["report"] == want
    assert seen == [(i, 15) for i in range(1, 16)]
    days = got["days"]
    assert [d["day"] for d in days][0] == FIRST and days[-1]["day"] == TODAY and len(days) == 15
    assert sum(d["issued"] for d in days) == want["overall"]["issued"]
    assert sum(d["served"] for d in days) == want["overall"]["served"]
    judged = sum(sum(d["judged"]) for d in days)
    within = sum(sum(d["within"]) for d in days)
    assert judged == want["overall"]["judged"]
    assert round(within / judged, 4) == want["overall"]["within_target"]
    for d in days:  # each day's share and standard, by the report's own definitions
        assert d["within_target"] == [reports.within_share(w, j)
                                      for w, j in zip(d["within"], d["judged"], strict=True)]
        assert d["target_met"] == reports.standard_met(d["within"], d["judged"], settings)
    assert sum(got["calls_by_hour"].values()) == want["overall"]["called"]
    for group in want["by_class"]:
        hist = got["wait_hist"][group["class"]]
        assert sum(hist.values()) == group["wait_min"]["n"]
        if group["wait_min"]["n"]:
            assert max(hist) == int(group["wait_min"]["max"])


def test_calls_by_hour_count_each_call_at_its_own_local_hour(tmp_path: Path):
    settings = cfg.load(write_config(tmp_path))
    clock = ManualClock(local(7, 50))
    with Store(settings, clock=clock) as store:
        store.day_open()
        for minute, service in ((0, "A"), (10, "A"), (50, "B")):
            clock.set(local(8, minute))
            store.issue(service, "lansia" if service == "B" else None)
        clock.set(local(8, 55))
        store.call_next(1)  # B001, the priority ticket, called in the 08 hour
        clock.set(local(9, 5))
        store.call_next(1)  # A001 queued at 08:00, called at 09:05
        clock.set(local(10, 30))
        store.call_next(2)  # A002, queued 08:10, called 10:30
        got = reports.overview(store, settings, date_from=TODAY, date_to=TODAY)
        assert got["calls_by_hour"] == {8: 1, 9: 1, 10: 1}
        assert {g["hour"]: g["issued"] for g in got["report"]["by_hour"]} == {8: 3}
        assert got["wait_hist"] == {"priority": {5: 1}, "regular": {65: 1, 140: 1}}
        only = reports.overview(store, settings, date_from=TODAY, date_to=TODAY,
                                priority=False, counter=1)
        assert only["calls_by_hour"] == {9: 1}


def test_settled_days_are_read_from_the_cache_the_second_time(year_store: Store):
    settings = year_store.settings
    reports.overview(year_store, settings, date_from=FIRST, date_to=LAST)
    cached = {r[0] for r in year_store.conn.execute("SELECT period FROM report_cache")}
    assert {FIRST, LAST} <= cached and TODAY not in cached  # today is not settled
    # A changed cached day shows: the cache is what was read (filters never use it).
    year_store.conn.execute("UPDATE report_cache SET data = '[]' WHERE period = ?", (LAST,))
    again = reports.overview(year_store, settings, date_from=LAST, date_to=LAST)
    assert again["days"] == [{"day": LAST, "issued": 0, "served": 0, "judged": [0, 0],
                              "within": [0, 0], "within_target": [None, None],
                              "target_met": None}]
    filtered = reports.overview(year_store, settings, date_from=LAST, date_to=LAST,
                                counter=1)
    assert filtered["days"][0]["issued"] > 0


def test_log_pages_cover_the_range_once_newest_first(year_store: Store):
    settings = year_store.settings
    first = reports.log_page(year_store, settings, date_from=FIRST, date_to=TODAY,
                             per_page=250)
    total = year_store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    assert first["tickets"] == total and first["pages"] == -(-total // 250)
    seen: list[tuple[str, str, int]] = []
    for page in range(first["pages"]):
        rows = reports.log_page(year_store, settings, date_from=FIRST, date_to=TODAY,
                                page=page, per_page=250)["rows"]
        seen += [(r["day"], r["label"], r["segment"]) for r in rows]
    segments = year_store.conn.execute("SELECT COUNT(*) FROM serve_times").fetchone()[0]
    assert len(seen) == len(set(seen)) == segments
    assert seen[0][0] == TODAY and seen[-1][0] == FIRST
    by_day = list(reports.log_rows(year_store, settings, date_from=FIRST, date_to=TODAY))
    assert sorted((r["day"], r["label"], r["segment"]) for r in by_day) == sorted(seen)
    # Past the last page: the last page.
    last = reports.log_page(year_store, settings, date_from=FIRST, date_to=TODAY,
                            page=10_000, per_page=250)
    assert last["page"] == first["pages"] - 1


def test_log_filters_keep_segments_as_the_report_counts_them(year_store: Store):
    """A transferred ticket left a segment in its first queue: the service filter of that
    queue finds it, and shows that segment only."""
    settings = year_store.settings
    moved = year_store.conn.execute(
        "SELECT t.label, t.day, json_extract(e.detail, '$.from') AS origin, t.service"
        " FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE e.kind = 'transferred'"
        " ORDER BY e.id LIMIT 1").fetchone()
    label, day, origin, now = moved
    page = reports.log_page(year_store, settings, date_from=day, date_to=day,
                            service=origin, label=label)
    assert page["tickets"] >= 1
    rows = [r for r in page["rows"] if r["label"] == label]
    assert [(r["service"], r["outcome"]) for r in rows] == [(origin, "transferred")]
    both = reports.log_page(year_store, settings, date_from=day, date_to=day, label=label)
    assert {r["service"] for r in both["rows"] if r["label"] == label} == {origin, now}
    for flt in ({"service": "C"}, {"counter": 2}, {"priority": True}):
        rep = reports.report(year_store, settings, date_from=day, date_to=day, **flt)
        rows = list(reports.log_rows(year_store, settings, date_from=day, date_to=day, **flt))
        assert sum(1 for r in rows if r["segment"] == 1) == rep["overall"]["issued"]
        assert sum(1 for r in rows if r["outcome"] == "done") == rep["overall"]["served"]
        assert sum(1 for r in rows if r["called"]) == rep["overall"]["called"]


def test_log_rows_show_the_class_and_local_times_never_the_need(year_store: Store):
    settings = year_store.settings
    rows = list(reports.log_rows(year_store, settings, date_from=TODAY, date_to=TODAY,
                                 label="b00"))
    assert [r["label"] for r in rows] == [f"B00{i}" for i in range(1, 7)]
    b1 = rows[0]
    assert b1["class"] == "priority" and "need" not in b1
    assert (b1["queued"], b1["called"], b1["wait_min"]) == ("08:04:00", "08:04:00", 0.0)
    assert set(b1) == set(reports.LOG_COLUMNS)
    assert "lansia" not in repr(rows)


def test_purge_preview_counts_what_purge_deletes(year_store: Store):
    before = "2026-11-20"
    preview = year_store.purge_preview(before)
    assert preview["first_day"] == FIRST and preview["tickets"] > 0
    year_store.clock.set(local(9, 0) + timedelta(minutes=1))
    done = year_store.purge(before, actor="test")
    assert (done["tickets"], done["events"]) == (preview["tickets"], preview["events"])
    after = year_store.purge_preview(before)
    assert (after["tickets"], after["events"], after["first_day"]) == (0, 0, before)
