"""Serve-time reports against numbers worked out by hand for small fixed histories."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from kiosk import cli, reports
from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.exceptions import NotAllowed, UsageError
from kiosk.store import Store

from .conftest import local, write_config

DAY = "2026-11-27"


def at(clock: ManualClock, hour: int, minute: int, day: int = 27) -> None:
    clock.set(local(hour, minute, day=day))


@pytest.fixture
def history(store: Store, clock: ManualClock) -> Store:
    """One morning at counter 1 (serves A and B), local times (Asia/Jakarta):

    08:00 counter 1 opens; A001 issued     08:14 A003 done (4 min); A001 called (waited 14)
    08:02 A002 issued                      08:20 A001 no-show; A002 called (waited 18)
    08:04 A003 issued, priority (lansia)   08:21 A002 starts; 08:26 A002 transferred to B
    08:05 B001 issued (never called)             (front), called again at once (waited 0)
    08:10 A003 called (waited 6), starts   08:30 A002 done (4 min); counter pauses
    08:40 counter resumes; 08:50 closes;   16:05 day closes: B001 expires
    """
    at(clock, 8, 0)
    store.counter(1, "open")
    store.issue("A")
    at(clock, 8, 2)
    store.issue("A")
    at(clock, 8, 4)
    store.issue("A", "lansia")
    at(clock, 8, 5)
    store.issue("B")
    at(clock, 8, 10)
    assert store.call_next(1).label == "A003"
    store.start(1)
    at(clock, 8, 14)
    assert store.call_next(1).label == "A001"
    at(clock, 8, 20)
    store.no_show(1)
    assert store.call_next(1).label == "A002"
    at(clock, 8, 21)
    store.start(1)
    at(clock, 8, 26)
    store.transfer("A002", "B", position="front")
    assert store.call_next(1).label == "A002"
    at(clock, 8, 30)
    store.finish(1)
    store.counter(1, "pause")
    at(clock, 8, 40)
    store.counter(1, "resume")
    at(clock, 8, 50)
    store.counter(1, "close")
    at(clock, 16, 5)
    assert store.day_close() == 1
    return store


def group(items: list[dict], key: str, value: object) -> dict:
    return next(g for g in items if g[key] == value)


def test_overall_by_hand(history: Store, settings: cfg.Settings) -> None:
    rep = reports.report(history, settings, date_from=DAY, date_to=DAY)
    o = rep["overall"]
    # Segments: A003 (6 min wait, served 4), A001 (14, no-show), A002 in A (18, transferred),
    # A002 in B (0, served 4), B001 (expired, never called).
    assert {k: o[k] for k in reports.COUNT_FIELDS} == {
        "issued": 4, "called": 4, "served": 2, "no_show": 1, "expired": 1, "cancelled": 0,
        "transferred": 1, "open": 0,
    }
    # Waits 0, 6, 14, 18: mean 9.5; median 6 + 0.5*8; p90 at rank 2.7: 14 + 0.7*4.
    assert o["wait_min"] == {"n": 4, "mean": 9.5, "median": 10.0, "p90": 16.8, "p95": 17.4,
                             "max": 18.0}
    assert o["service_min"] == {"n": 2, "mean": 4.0, "median": 4.0, "p90": 4.0, "max": 4.0}
    # Judged: 4 called + 1 expired. Within: A003 (6 <= 10), A002 twice (18, 0 <= 30).
    assert o["judged"] == 5
    assert o["within_target"] == 0.6
    assert o["target_met"] is False  # regular: 2 of 4 < 90%
    # A003 (joined 08:04, called 08:10) overtook A001 (08:00 -> 08:14) and A002 (08:02 -> 08:20).
    assert o["overtakes"] == 2


def test_groups_by_hand(history: Store, settings: cfg.Settings) -> None:
    rep = reports.report(history, settings, date_from=DAY, date_to=DAY)
    a = group(rep["by_service"], "service", "A")
    assert (a["issued"], a["called"], a["served"], a["no_show"], a["transferred"]) == (3, 3, 1,
                                                                                      1, 1)
    assert a["wait_min"] == {"n": 3, "mean": 12.67, "median": 14.0, "p90": 17.2, "p95": 17.6,
                             "max": 18.0}
    assert a["within_target"] == pytest.approx(2 / 3, abs=1e-4)
    assert a["overtakes"] == 2
    b = group(rep["by_service"], "service", "B")
    assert (b["issued"], b["served"], b["expired"], b["transferred"]) == (1, 1, 1, 0)
    assert b["wait_min"]["max"] == 0.0 and b["service_min"]["mean"] == 4.0
    assert b["within_target"] == 0.5
    assert [g["service"] for g in rep["by_service"]] == ["A", "B", "C", "D", "E"]
    c = group(rep["by_service"], "service", "C")
    assert c["issued"] == 0 and c["wait_min"]["mean"] is None and c["within_target"] is None

    c1 = group(rep["by_counter"], "counter", 1)
    assert (c1["called"], c1["served"], c1["no_show"], c1["transferred"]) == (4, 2, 1, 1)
    # Busy: 4 + 6 + 6 + 4 = 20 min of 40 open (08:00-08:30, 08:40-08:50).
    assert (c1["busy_min"], c1["open_min"], c1["utilisation"]) == (20.0, 40.0, 0.5)
    c2 = group(rep["by_counter"], "counter", 2)
    assert c2["called"] == 0 and c2["utilisation"] is None

    assert [h["hour"] for h in rep["by_hour"]] == [8]
    assert rep["by_hour"][0]["issued"] == 4

    prio = group(rep["by_class"], "class", "priority")
    assert (prio["issued"], prio["served"], prio["wait_min"]["mean"]) == (1, 1, 6.0)
    assert (prio["within_target"], prio["target_met"], prio["overtakes"]) == (1.0, True, 0)
    assert prio["target_wait_min"] == 10
    reg = group(rep["by_class"], "class", "regular")
    assert reg["issued"] == 3 and reg["wait_min"]["mean"] == 10.67
    assert (reg["within_target"], reg["target_met"], reg["overtakes"]) == (0.5, False, 2)


def test_filters(history: Store, settings: cfg.Settings) -> None:
    rep = reports.report(history, settings, date_from=DAY, date_to=DAY, priority=True)
    assert rep["overall"]["issued"] == 1 and rep["overall"]["wait_min"]["mean"] == 6.0
    rep = reports.report(history, settings, date_from=DAY, date_to=DAY, service="b")
    assert rep["overall"]["issued"] == 1 and rep["overall"]["expired"] == 1
    rep = reports.report(history, settings, date_from=DAY, date_to=DAY, counter=1)
    assert rep["overall"]["called"] == 4 and rep["overall"]["expired"] == 0
    assert rep["filters"] == {"service": None, "counter": 1, "priority": None}


def test_transfer_segments_in_the_view(history: Store) -> None:
    rows = list(history.db.query(
        "SELECT segment, service, outcome, wait_s, counter FROM serve_times"
        " WHERE label = 'A002' ORDER BY segment"))
    assert rows == [
        {"segment": 1, "service": "A", "outcome": "transferred", "wait_s": 1080.0, "counter": 1},
        {"segment": 2, "service": "B", "outcome": "done", "wait_s": 0.0, "counter": 1},
    ]
    summary = list(history.db.query(
        "SELECT service, class, issued, served, expired FROM daily_summary ORDER BY service,"
        " class"))
    assert {"service": "B", "class": "regular", "issued": 1, "served": 1,
            "expired": 1} in summary


def test_transfer_while_waiting_is_not_judged(store: Store, clock: ManualClock,
                                              settings: cfg.Settings) -> None:
    at(clock, 9, 0)
    store.issue("A")
    at(clock, 9, 20)
    store.transfer("A001", "C")  # waited 20 min in A, never called there
    at(clock, 9, 25)
    assert store.call_next(3).label == "A001"
    rep = reports.report(store, settings, date_from=DAY, date_to=DAY)
    o = rep["overall"]
    assert (o["issued"], o["transferred"], o["open"], o["judged"]) == (1, 1, 1, 1)
    assert o["wait_min"]["n"] == 1 and o["wait_min"]["max"] == 5.0  # the C segment alone
    assert group(rep["by_service"], "service", "A")["wait_min"]["n"] == 0


def test_empty_range(store: Store, settings: cfg.Settings) -> None:
    rep = reports.report(store, settings, date_from="2026-01-01", date_to="2026-01-31")
    o = rep["overall"]
    assert all(o[k] == 0 for k in reports.COUNT_FIELDS)
    assert o["wait_min"]["mean"] is None and o["wait_min"]["p95"] is None
    assert o["within_target"] is None and o["target_met"] is None
    assert rep["by_hour"] == []
    assert len(rep["by_counter"]) == len(settings.counters)
    with pytest.raises(UsageError):
        reports.report(store, settings, date_from="2026-02-01", date_to="2026-01-01")
    with pytest.raises(UsageError):
        reports.report(store, settings, date_from="yesterday", date_to="2026-01-01")


def test_local_midnight(tmp_path: Path) -> None:
    """23:50 and 00:10 in Jakarta are the same UTC date but two local days."""
    settings = cfg.load(write_config(tmp_path, replace={
        'open = "08:00"': 'open = "00:00"', 'last_ticket = "15:30"': 'last_ticket = "23:59"',
        'close = "16:00"': 'close = "23:59"'}))
    clock = ManualClock(local(23, 50))
    with Store(settings, clock=clock) as store:
        store.issue("A")
        clock.set(local(0, 10, day=28))
        store.issue("A")
        clock.set(local(0, 15, day=28))
        store.call_next(1)
        assert store.ticket(1).state == "expired"  # the day rolled over
        first = reports.report(store, settings, date_from=DAY, date_to=DAY)
        second = reports.report(store, settings, date_from="2026-11-28", date_to="2026-11-28")
    assert (first["overall"]["issued"], first["overall"]["expired"]) == (1, 1)
    assert [h["hour"] for h in first["by_hour"]] == [23]
    assert second["overall"]["issued"] == 1 and second["overall"]["wait_min"]["max"] == 5.0
    assert [h["hour"] for h in second["by_hour"]] == [0]


def test_range_spanning_a_daily_reset(store: Store, clock: ManualClock,
                                      settings: cfg.Settings) -> None:
    at(clock, 9, 0)
    store.issue("A")  # never called: expires when the next day starts
    at(clock, 9, 0, day=28)
    assert store.issue("A").ticket.label == "A001"  # numbers restart
    at(clock, 9, 12, day=28)
    store.call_next(1)
    one = reports.report(store, settings, date_from=DAY, date_to=DAY)["overall"]
    two = reports.report(store, settings, date_from="2026-11-28", date_to="2026-11-28")
    both = reports.report(store, settings, date_from=DAY, date_to="2026-11-28")["overall"]
    assert (one["issued"], one["expired"], one["judged"], one["within_target"]) == (1, 1, 1, 0)
    assert (two["overall"]["issued"], two["overall"]["expired"]) == (1, 0)
    assert two["overall"]["wait_min"]["mean"] == 12.0
    assert (both["issued"], both["expired"], both["called"]) == (2, 1, 1)
    assert both["within_target"] == 0.5


def test_cache_gives_the_same_report(history: Store, clock: ManualClock,
                                     settings: cfg.Settings) -> None:
    fresh = reports.report(history, settings, date_from="2026-11-01", date_to="2026-11-30")
    periods = {r["period"] for r in history.db.query("SELECT period FROM report_cache")}
    assert DAY not in periods and "2026-11-26" in periods  # today is not settled yet
    at(clock, 9, 0, day=28)
    live = reports.report(history, settings, date_from="2026-11-01", date_to="2026-11-30")
    periods = {r["period"] for r in history.db.query("SELECT period FROM report_cache")}
    assert DAY in periods and "2026-11-26" in periods and "2026-11-28" not in periods
    cached = reports.report(history, settings, date_from="2026-11-01", date_to="2026-11-30")
    assert cached == live == fresh
    clock.set(local(9, 0, day=2, month=12))
    month = reports.report(history, settings, date_from="2026-11-01", date_to="2026-11-30")
    assert "2026-11" in {r["period"] for r in history.db.query("SELECT period FROM report_cache")}
    assert reports.report(history, settings, date_from="2026-11-01",
                          date_to="2026-11-30") == month == fresh


def test_csv_round_trip(history: Store, settings: cfg.Settings) -> None:
    rep = reports.report(history, settings, date_from=DAY, date_to=DAY)
    text = reports.to_csv(rep)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert list(parsed[0]) == list(reports.CSV_COLUMNS)
    flat = reports.rows(rep)
    assert len(parsed) == len(flat) == 1 + 5 + 4 + 1 + 2
    for got, want in zip(parsed, flat, strict=True):
        for key, value in want.items():
            if value is None:
                assert got[key] == "", key
            elif isinstance(value, bool):
                assert got[key] == str(value)
            elif isinstance(value, int | float):
                assert float(got[key]) == pytest.approx(value), key
            else:
                assert got[key] == value
    overall = parsed[0]
    assert overall["group"] == "overall" and float(overall["wait_p90_min"]) == 16.8


def test_cli_report_matches_the_function(history: Store, settings: cfg.Settings,
                                         config_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("KIOSK_NOW", "2026-11-27T17:00:00+07:00")
    assert cli.main(["--config", str(config_path), "report", "--from", DAY, "--to", DAY,
                     "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == reports.report(history, settings, date_from=DAY, date_to=DAY)
    assert cli.main(["--config", str(config_path), "report", "--to", DAY]) == 0
    table = capsys.readouterr().out
    assert "class priority" in table and "counter 1" in table
    assert cli.main(["--config", str(config_path), "report", "--to", DAY, "--class",
                     "priority", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["issued"] == "1"


def test_export_events(history: Store, settings: cfg.Settings) -> None:
    data = json.loads(reports.export_events(history, settings, date_from=DAY, date_to=DAY,
                                            fmt="json"))
    kinds = [e["kind"] for e in data["events"]]
    assert kinds[:2] == ["counter_opened", "issued"] and "transferred" in kinds
    issued = [e for e in data["events"] if e["kind"] == "issued"]
    assert [e["detail"]["need"] for e in issued] == [None, None, "priority", None]
    assert all(e["at"].endswith("Z") for e in data["events"])
    text = reports.export_events(history, settings, date_from=DAY, date_to=DAY, fmt="csv")
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert len(parsed) == len(data["events"])
    assert "lansia" not in text
    assert parsed[1]["label"] == "A001" and parsed[1]["day"] == DAY
    empty = reports.export_events(history, settings, date_from="2026-11-28",
                                  date_to="2026-11-28", fmt="csv")
    assert empty.strip() == ",".join(reports.EXPORT_COLUMNS)


def test_purge(history: Store, clock: ManualClock, settings: cfg.Settings) -> None:
    at(clock, 9, 0, day=28)
    history.issue("C")
    history.counter(3, "open")
    reports.report(history, settings, date_from=DAY, date_to="2026-11-28")  # fills the cache
    assert history.db["report_cache"].count == 1
    with pytest.raises(NotAllowed):
        history.purge("2026-11-29")
    with pytest.raises(UsageError):
        history.purge("28-11-2026")
    result = history.purge("2026-11-28", actor="admin")
    assert result == {"before": "2026-11-28", "tickets": 4, "events": 20}
    assert history.db["tickets"].count == 1
    assert history.db["report_cache"].count == 0
    kinds = [r["kind"] for r in history.db.query("SELECT kind FROM events ORDER BY id")]
    assert kinds == ["issued", "counter_opened", "purged"]
    purged = next(history.db.query("SELECT * FROM events WHERE kind = 'purged'"))
    assert json.loads(purged["detail"]) == result and purged["actor"] == "admin"
    gone = reports.report(history, settings, date_from=DAY, date_to=DAY)["overall"]
    assert gone["issued"] == 0
    kept = reports.report(history, settings, date_from="2026-11-28", date_to="2026-11-28")
    assert kept["overall"]["issued"] == 1
    # A later purge keeps the earlier purge's record (it is dated after any cutoff so far).
    history.purge("2026-11-28")
    assert [r["kind"] for r in history.db.query(
        "SELECT kind FROM events WHERE kind = 'purged'")] == ["purged", "purged"]


def test_cli_purge_and_export(history: Store, config_path: Path, monkeypatch, capsys,
                              tmp_path: Path) -> None:
    monkeypatch.setenv("KIOSK_NOW", "2026-11-28T09:00:00+07:00")
    out_file = tmp_path / "events.csv"
    assert cli.main(["--config", str(config_path), "export", "events", "--from", DAY,
                     "--to", DAY, "--format", "csv", "-o", str(out_file)]) == 0
    assert len(out_file.read_text("utf-8").splitlines()) == 1 + 20  # see `history`
    assert cli.main(["--config", str(config_path), "purge", "--before", "2026-11-28",
                     "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tickets"] == 4
    assert cli.main(["--config", str(config_path), "purge", "--before", "2026-12-01"]) == 1
    assert "today's queue" in capsys.readouterr().err


def test_the_standard_is_each_classs_own(tmp_path):
    """A day with no priority patron judged is held to the regular standard, not the
    priority one (the charts once compared the two the wrong way round)."""
    settings = cfg.load(write_config(tmp_path, replace={
        "[targets.priority]\nwait_min = 10\nshare = 0.9": "[targets.priority]\nwait_min = 10\n"
                                                       "share = 0.8",
        "[targets.regular]\nwait_min = 30\nshare = 0.9": "[targets.regular]\nwait_min = 30\n"
                                                      "share = 0.95"}))
    assert reports.standard_met([0, 9], [0, 10], settings) is False  # 90% < 95%
    assert reports.standard_met([9, 0], [10, 0], settings) is True   # 90% >= 80%
    assert reports.standard_met([0, 0], [0, 0], settings) is None
    assert reports.within_share(9, 10) == 0.9 and reports.within_share(0, 0) is None
