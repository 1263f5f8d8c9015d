"""Reports with appointments (issue 26, point 5), against numbers worked out by hand: every
group split by arrival (appointment, walk-in), the bookings of the period's slots (booked,
cancelled, checked in, late, no-shows once the day is over), the appointments' punctuality
(first call minus the slot's start), slot utilisation from the config's slot rules, the
merge of days in any order, the cache's fingerprint, the CSV and the table, the admin's
Statistics, and the phone page and the board of an appointment ticket. Real SQLite files;
bookings, check-ins and calls through the store's own verbs on a manual clock."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kiosk import cli, reports
from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.i18n import t
from kiosk.reports.cache import CACHE_VERSION, fingerprint
from kiosk.reports.engine import (
    ARRIVALS,
    Engine,
    Filters,
    merge,
    offered_places,
    partial_from_json,
    partial_json,
)
from kiosk.reports.report import overview_merged
from kiosk.reports.summary import finish
from kiosk.store import Store
from kiosk.views import ticket_pages
from kiosk.web.phone import words

from .conftest import TWO_PLACES, local, write_config

D1, D2, D3 = "2026-11-26", "2026-11-27", "2026-11-28"
COUNTS = reports.COUNT_FIELDS


def at(clock: ManualClock, hour: int, minute: int, day: int = 26) -> None:
    clock.set(local(hour, minute, day=day))


def play(store: Store, clock: ManualClock) -> dict[str, str]:
    """Two days at a library (shipped config: A and C take bookings, 15-minute slots of 2
    places from 08:00 to 15:30; early_min 10, late_min 15; punctual_min 10). Local times.

    Booked at 07:00 on the 26th, for the 26th: A 09:00 (a1), A 09:00 with a need (a2),
    C 10:00 (c1), A 11:00 (a3, cancelled at 07:30), A 14:00 (a4, nobody comes), C 10:30
    (c2, comes at 10:50: after the grace, a walk-in); for the 27th: A 09:30 (a5), A 15:00
    (a6, never checked in).

    26th: counters 1 (A, B) and 3 (C, E) open at 08:00.
      08:10 A001 walk-in       08:15 called (wait 5)          08:20 done (5)
      08:52 a1 -> A002 appt.   09:04 called (wait 12; +4)      09:10 done (6)
      09:05 a2 -> A003 appt.   09:12 called (wait 7; +12)      09:20 done (8)
      09:58 c1 -> C001 appt.   09:59 called (wait 1; -1)       10:09 done (10)
      10:50 c2 -> C002 late    10:55 called (wait 5)           10:57 no-show
      13:00 B001 walk-in       13:02 called (wait 2)           13:05 done (3)
    27th: 09:25 a5 -> A001 appt., 09:40 called (wait 15; +10, just on time), 09:45 done (5);
      09:50 A002 walk-in, 09:51 called (wait 1), 09:55 done (4). The clock ends at 17:00.
    Returns the booking tokens by name."""
    at(clock, 7, 0)
    tokens, codes = {}, {}
    for name, service, day, start, need in (
            ("a1", "A", D1, "09:00", None), ("a2", "A", D1, "09:00", "lansia"),
            ("c1", "C", D1, "10:00", None), ("a3", "A", D1, "11:00", None),
            ("a4", "A", D1, "14:00", None), ("c2", "C", D1, "10:30", None),
            ("a5", "A", D2, "09:30", None), ("a6", "A", D2, "15:00", None)):
        _, tokens[name], codes[name] = store.book(service, day, start, need, lang="en")
    at(clock, 7, 30)
    store.cancel_booking(tokens["a3"])
    at(clock, 8, 0)
    store.counter(1, "open")
    store.counter(3, "open")
    steps: list[tuple[int, int, str, Any]] = [
        (8, 10, "issue", "A"), (8, 15, "call", 1), (8, 20, "finish", 1),
        (8, 52, "check_in", "a1"), (9, 4, "call", 1), (9, 5, "check_in", "a2"),
        (9, 10, "finish", 1), (9, 12, "call", 1), (9, 20, "finish", 1),
        (9, 58, "check_in", "c1"), (9, 59, "call", 3), (10, 9, "finish", 3),
        (10, 50, "check_in", "c2"), (10, 55, "call", 3), (10, 57, "no_show", 3),
        (13, 0, "issue", "B"), (13, 2, "call", 1), (13, 5, "finish", 1)]
    called = []
    for hour, minute, verb, arg in steps:
        at(clock, hour, minute)
        if verb == "issue":
            store.issue(arg)
        elif verb == "check_in":
            store.check_in(codes[arg])
        elif verb == "call":
            called.append(store.call_next(arg).label)  # type: ignore[union-attr]
        else:
            getattr(store, verb)(arg)
    assert called == ["A001", "A002", "A003", "C001", "C002", "B001"]
    at(clock, 16, 5)
    store.day_close()
    at(clock, 9, 25, day=27)
    assert store.check_in(codes["a5"]).appointment
    at(clock, 9, 40, day=27)
    assert store.call_next(1).label == "A001"  # type: ignore[union-attr]
    at(clock, 9, 45, day=27)
    store.finish(1)
    at(clock, 9, 50, day=27)
    store.issue("A")
    at(clock, 9, 51, day=27)
    assert store.call_next(1).label == "A002"  # type: ignore[union-attr]
    at(clock, 9, 55, day=27)
    store.finish(1)
    at(clock, 17, 0, day=27)
    return tokens


@pytest.fixture
def booked(tmp_path: Path) -> tuple[Store, ManualClock, dict[str, str]]:
    settings = cfg.load(write_config(tmp_path, replace=TWO_PLACES))
    clock = ManualClock(local(7, 0, day=26))
    with Store(settings, clock=clock) as store:
        tokens = play(store, clock)
        yield store, clock, tokens


def part(group: dict[str, Any], arrival: str) -> dict[str, Any]:
    return next(p for p in group["by_arrival"] if p["arrival"] == arrival)


def find(items: list[dict[str, Any]], key: str, value: object) -> dict[str, Any]:
    return next(g for g in items if g[key] == value)


def every_group(rep: dict[str, Any]) -> list[dict[str, Any]]:
    return [rep["overall"], *rep["by_service"], *rep["by_counter"], *rep["by_hour"],
            *rep["by_class"]]


# -- the split by arrival ---------------------------------------------------------------------


def test_every_group_splits_its_tickets_by_arrival(booked):
    store, _, _ = booked
    rep = reports.report(store, store.settings, date_from=D1, date_to=D1)
    o = rep["overall"]
    appt, walk = part(o, "appointment"), part(o, "walk_in")
    assert [p["arrival"] for p in o["by_arrival"]] == list(ARRIVALS)
    # Appointments: A002 (12 min), A003 (7), C001 (1), all served in 6, 8, 10 minutes.
    assert {k: appt[k] for k in COUNTS} == {
        "issued": 3, "called": 3, "served": 3, "no_show": 0, "expired": 0, "cancelled": 0,
        "transferred": 0, "open": 0}
    # Sorted 1, 7, 12: median 7; p90 at rank 1.8: 7 + 0.8 * 5; p95 at 1.9: 7 + 0.9 * 5.
    assert appt["wait_min"] == {"n": 3, "mean": 6.67, "median": 7.0, "p90": 11.0,
                                "p95": 11.5, "max": 12.0}
    assert appt["service_min"] == {"n": 3, "mean": 8.0, "median": 8.0, "p90": 9.6,
                                   "max": 10.0}
    assert (appt["judged"], appt["within_target"], appt["target_met"]) == (3, 1.0, True)
    # Walk-ins: A001 (5), C002 the late check-in (5, then a no-show), B001 (2).
    assert {k: walk[k] for k in ("issued", "called", "served", "no_show")} == {
        "issued": 3, "called": 3, "served": 2, "no_show": 1}
    assert walk["wait_min"] == {"n": 3, "mean": 4.0, "median": 5.0, "p90": 5.0, "p95": 5.0,
                                "max": 5.0}
    assert (walk["judged"], walk["within_target"], walk["target_met"]) == (3, 0.6667, False)
    # The whole is as it always was: 6 tickets, waits 1, 2, 5, 5, 7, 12.
    assert (o["issued"], o["wait_min"]["median"], o["within_target"]) == (6, 5.0, 0.8333)
    a = find(rep["by_service"], "service", "A")
    assert (part(a, "appointment")["issued"], part(a, "walk_in")["issued"]) == (2, 1)
    c3 = find(rep["by_counter"], "counter", 3)
    assert (part(c3, "appointment")["served"], part(c3, "walk_in")["no_show"]) == (1, 1)
    assert "utilisation" in c3 and "utilisation" not in part(c3, "appointment")
    priority = find(rep["by_class"], "class", "priority")
    assert (part(priority, "appointment")["issued"], part(priority, "walk_in")["issued"]) == (
        1, 0)
    assert part(priority, "walk_in")["wait_min"]["median"] is None
    eight = find(rep["by_hour"], "hour", 8)  # A001 08:10, A002 08:52
    assert (part(eight, "appointment")["wait_min"]["max"],
            part(eight, "walk_in")["wait_min"]["max"]) == (12.0, 5.0)
    for g in every_group(rep):  # the two parts always make the whole
        a_, w_ = part(g, "appointment"), part(g, "walk_in")
        for key in COUNTS:
            assert a_[key] + w_[key] == g[key], key
        assert a_["wait_min"]["n"] + w_["wait_min"]["n"] == g["wait_min"]["n"]
        assert a_["judged"] + w_["judged"] == g["judged"]
        assert a_["overtakes"] + w_["overtakes"] == g["overtakes"]


def test_without_bookings_every_field_is_as_before_and_the_new_ones_are_zero(
        store: Store, clock: ManualClock, settings: cfg.Settings):
    store.counter(1, "open")
    for minute, service in ((0, "A"), (2, "B"), (4, "A")):
        at(clock, 9, minute, day=27)
        store.issue(service, "lansia" if minute == 2 else None)
    at(clock, 9, 10, day=27)
    store.call_next(1)
    rep = reports.report(store, settings, date_from=D2, date_to=D2)
    for g in every_group(rep):
        walk = part(g, "walk_in")
        whole = {k: v for k, v in g.items() if k in walk}
        assert walk == {**whole, "arrival": "walk_in"}
        appt = part(g, "appointment")
        assert all(appt[k] == 0 for k in COUNTS) and appt["wait_min"]["median"] is None
    booked = rep["appointments"]
    assert {k: booked[k] for k in ("booked", "cancelled", "checked_in", "late", "no_show",
                                   "pending", "punctual")} == dict.fromkeys(
        ("booked", "cancelled", "checked_in", "late", "no_show", "pending", "punctual"), 0)
    # the shipped config: A and C, 30 slots of one place each
    assert booked["offered"] == 60 and booked["slot_utilisation"] == 0.0
    assert booked["punctuality_min"] == {"n": 0, "mean": None, "median": None, "p90": None,
                                         "max": None}
    assert booked["punctual_share"] is None
    # A day's partial keeps exactly the groups it had before bookings existed (and the
    # places its slots offered)...
    partial = Engine(store, settings).day(date(2026, 11, 27), Filters())
    assert {kind for kind, _ in partial} <= {*reports.KINDS, "appointments"}
    # ...and the CSV its rows (overall, 5 services, 4 counters, 1 hour, 2 classes).
    rows = list(csv.DictReader(io.StringIO(reports.to_csv(rep))))
    assert len(rows) == 13 and {r["group"] for r in rows} == {"overall", "service",
                                                              "counter", "hour", "class"}
    from kiosk.cli.reports import table

    assert table(rep).splitlines()[-1] == "appointments: none booked (60 places offered)"


# -- the bookings and the punctuality -------------------------------------------------------------


def test_bookings_punctuality_and_slot_utilisation_by_hand(booked):
    store, _, _ = booked
    rep = reports.report(store, store.settings, date_from=D1, date_to=D1)
    b = rep["appointments"]
    assert b["punctual_target_min"] == 10
    assert {k: b[k] for k in ("booked", "cancelled", "checked_in", "late", "no_show",
                              "pending")} == {
        "booked": 6, "cancelled": 1, "checked_in": 4, "late": 1, "no_show": 1, "pending": 0}
    # 30 slots of 2 places a day for A and for C; 5 places kept (6 booked, 1 cancelled).
    assert (b["offered"], b["slot_utilisation"]) == (120, round(5 / 120, 4))
    # Called minus the slot's start: C001 -1, A002 +4, A003 +12. p90 at rank 1.8: 4 + 0.8*8.
    assert b["punctuality_min"] == {"n": 3, "mean": 5.0, "median": 4.0, "p90": 10.4,
                                    "max": 12.0}
    assert (b["punctual"], b["punctual_share"]) == (2, 0.6667)
    a, c = (find(b["by_service"], "service", s) for s in ("A", "C"))
    assert [s["service"] for s in b["by_service"]] == ["A", "C"]
    assert (a["booked"], a["cancelled"], a["checked_in"], a["late"], a["no_show"]) == (
        4, 1, 2, 0, 1)
    assert (a["offered"], a["slot_utilisation"]) == (60, 0.05)
    assert a["punctuality_min"] == {"n": 2, "mean": 8.0, "median": 8.0, "p90": 11.2,
                                    "max": 12.0}
    assert (a["punctual"], a["punctual_share"]) == (1, 0.5)
    assert (c["booked"], c["checked_in"], c["late"], c["no_show"]) == (2, 2, 1, 0)
    assert c["punctuality_min"]["median"] == -1.0 and c["punctual_share"] == 1.0
    assert offered_places(store.settings, "B", date(2026, 11, 26)) == 0  # takes no bookings


def test_the_places_offered_follow_each_services_slots_and_the_closed_days(tmp_path: Path):
    extra = '[[closed]]\ndate = "2026-11-28"\n'
    override = "[booking.overrides.C]\nslot_min = 30\nper_slot = 1\nopen = \"10:00\"\n"
    settings = cfg.load(write_config(tmp_path, extra, replace={
        "# [booking.overrides.C]": override, **TWO_PLACES}))
    assert offered_places(settings, "A", date(2026, 11, 27)) == 60  # 30 slots x 2
    assert offered_places(settings, "C", date(2026, 11, 27)) == 11  # 10:00-15:30 by 30 x 1
    assert offered_places(settings, "A", date(2026, 11, 28)) == 0  # closed
    with Store(settings, clock=ManualClock(local(9, 0, day=30))) as store:
        b = reports.report(store, settings, date_from=D2, date_to="2026-11-29")["appointments"]
        assert (b["offered"], b["booked"], b["slot_utilisation"]) == (2 * (60 + 11), 0, 0.0)
        assert [s["offered"] for s in b["by_service"]] == [120, 22]
        only_a = reports.report(store, settings, date_from=D2, date_to=D2, service="A")
        assert only_a["appointments"]["offered"] == 60
    plain = cfg.load(write_config(tmp_path, replace=TWO_PLACES))
    assert fingerprint(settings) != fingerprint(plain)


def test_a_booking_is_pending_on_its_day_and_a_no_show_once_it_is_over(booked):
    store, clock, _ = booked
    today = reports.report(store, store.settings, date_from=D2, date_to=D2)["appointments"]
    assert (today["booked"], today["checked_in"], today["pending"], today["no_show"]) == (
        2, 1, 1, 0)
    # a5 called 10 minutes after its slot began: on time, just.
    assert today["punctuality_min"]["median"] == 10.0 and today["punctual_share"] == 1.0
    at(clock, 9, 0, day=28)
    after = reports.report(store, store.settings, date_from=D2, date_to=D2)["appointments"]
    assert (after["pending"], after["no_show"]) == (0, 1)


def test_the_punctual_target_is_the_configs(tmp_path: Path):
    settings = cfg.load(write_config(tmp_path, replace={
        "punctual_min = 10": "punctual_min = 5", **TWO_PLACES}))
    clock = ManualClock(local(7, 0, day=26))
    with Store(settings, clock=clock) as store:
        play(store, clock)
        rep = reports.report(store, settings, date_from=D1, date_to=D2)
    b = rep["appointments"]  # within 5 min: -1 and +4, not +10 nor +12
    assert (b["punctual_target_min"], b["punctual"], b["punctuality_min"]["n"]) == (5, 2, 4)


def test_filters_apply_to_the_bookings(booked):
    store, _, _ = booked
    settings = store.settings
    only_c = reports.report(store, settings, date_from=D1, date_to=D1, service="C")
    b = only_c["appointments"]
    assert [s["service"] for s in b["by_service"]] == ["C"]
    assert (b["booked"], b["late"], b["offered"], b["punctuality_min"]["n"]) == (2, 1, 60, 1)
    priority = reports.report(store, settings, date_from=D1, date_to=D1, priority=True)
    b = priority["appointments"]  # a2 only, called 12 minutes after its slot
    assert (b["booked"], b["checked_in"], b["punctuality_min"]["median"]) == (1, 1, 12.0)
    counter = reports.report(store, settings, date_from=D1, date_to=D1, counter=3)
    b = counter["appointments"]  # no booking is a counter's: only the punctuality of its calls
    assert b["booked"] is None and b["slot_utilisation"] is None
    assert b["punctuality_min"]["n"] == 1 and b["punctuality_min"]["median"] == -1.0


# -- merging, caching --------------------------------------------------------------------------


def test_days_merged_in_any_order_are_the_reports_own_figures(booked):
    store, clock, _ = booked
    settings = store.settings
    at(clock, 9, 0, day=28)  # a third day, walk-ins only (counter 1 is still open)
    store.issue("A")
    at(clock, 9, 6, day=28)
    store.call_next(1)
    at(clock, 9, 9, day=28)
    store.finish(1)
    at(clock, 9, 0, day=29)
    engine = Engine(store, settings)
    parts = [engine.day(date.fromisoformat(d), Filters()) for d in (D1, D2, D3)]
    assert not any(":" in kind for kind, _ in parts[2])  # a day without appointments
    head = {"from": D1, "to": D3, "timezone": settings.site.timezone,
            "filters": {"service": None, "counter": None, "priority": None}}
    want = reports.report(store, settings, date_from=D1, date_to=D3)
    for order in ((0, 1, 2), (2, 0, 1), (2, 1, 0), (1, 2, 0)):
        total: dict[Any, Any] = {}
        for i in order:  # through the cache's text too, as kept days are read back
            merge(total, partial_from_json(partial_json(parts[i])))
        assert finish(total, settings, head) == want, order
    appt = part(want["overall"], "appointment")
    # Percentiles of the merged histogram: waits 1, 7, 12 and 15 -> median 9.5 (the days'
    # own medians, 7 and 15, are never averaged).
    assert (appt["issued"], appt["wait_min"]["median"]) == (4, 9.5)
    walk = part(want["overall"], "walk_in")  # A001 (5), C002 (5), B001 (2), A002 (1), A001 (6)
    assert (walk["issued"], walk["wait_min"]["max"]) == (5, 6.0)
    assert want["appointments"]["punctuality_min"]["median"] == 7.0  # -1, 4, 10, 12
    assert want["appointments"]["no_show"] == 2  # a4, and a6 now that the 27th is over
    # Settled days come from the cache now, with the same figures.
    cached = {r["period"] for r in store.db.query("SELECT period FROM report_cache")}
    assert {D1, D2, D3} <= cached
    assert reports.report(store, settings, date_from=D1, date_to=D3) == want


def test_sites_merged_at_the_head_office(booked, tmp_path: Path):
    """Two sites' same day, merged before anything is finished (as `kiosk report --central
    --site all` and the admin's central Statistics merge): sums and histograms."""
    one, _, _ = booked
    settings = one.settings
    clock = ManualClock(local(7, 0, day=26))
    with Store(settings, clock=clock, path=tmp_path / "north.db") as other:
        _, _, code = other.book("C", D1, "09:00")
        other.book("A", D1, "10:00")  # nobody comes
        other.counter(3, "open")
        at(clock, 8, 58)
        other.check_in(code)
        at(clock, 9, 20)
        other.call_next(3)  # waited 22 minutes, 20 after the slot's start: late
        at(clock, 9, 30)
        other.finish(3)
        at(clock, 9, 0, day=27)
        merged = overview_merged([one, other], settings, date_from=D1, date_to=D1)["report"]
    appt = part(merged["overall"], "appointment")
    # Waits 1, 7, 12 (the first site) and 22: median 9.5, p90 at rank 2.7: 12 + 0.7 * 10.
    assert (appt["issued"], appt["wait_min"]["median"], appt["wait_min"]["p90"]) == (4, 9.5,
                                                                                     19.0)
    b = merged["appointments"]
    assert (b["booked"], b["no_show"], b["checked_in"]) == (8, 2, 5)
    # Called minus slot: -1, 4, 12 and 20; within 10 minutes: 2 of 4.
    assert (b["punctuality_min"]["median"], b["punctual_share"]) == (8.0, 0.5)
    assert b["offered"] == 240  # each site's slots (the caller's config, as at the centre)


def test_a_partial_cached_in_the_old_shape_is_never_read(booked):
    store, clock, _ = booked
    settings = store.settings
    old_basis = {"version": 1, "bin": reports.BIN_S, "tz": settings.site.timezone,
                 "hours": [settings.hours.open.isoformat(), settings.hours.close.isoformat()],
                 "targets": [settings.targets.priority.wait_min,
                             settings.targets.regular.wait_min],
                 "counters": {c.id: sorted(c.services) for c in settings.counters}}
    old = hashlib.sha256(json.dumps(old_basis, sort_keys=True).encode()).hexdigest()[:16]
    assert CACHE_VERSION == 2 and fingerprint(settings) != old
    # A version-1 partial of the 26th (no split, no bookings) left in the table:
    engine = Engine(store, settings)
    stale = {k: v for k, v in engine.day(date(2026, 11, 26), Filters()).items()
             if ":" not in k[0] and k[0] in reports.KINDS}
    assert store.put_report_cache([(D1, old, partial_json(stale))])
    rep = reports.report(store, settings, date_from=D1, date_to=D1)
    assert part(rep["overall"], "appointment")["issued"] == 3
    assert rep["appointments"]["booked"] == 6
    row = next(store.db.query("SELECT fingerprint FROM report_cache WHERE period = ?", [D1]))
    assert row["fingerprint"] == fingerprint(settings)  # rebuilt in the new shape
    changed = settings.model_copy(update={"booking": settings.booking.model_copy(
        update={"punctual_min": 5})})
    assert fingerprint(changed) != fingerprint(settings)


# -- the CSV, the table ---------------------------------------------------------------------------


def test_the_csv_and_the_table_show_the_split_and_the_bookings(booked, monkeypatch, capsys):
    store, _, _ = booked
    rep = reports.report(store, store.settings, date_from=D1, date_to=D1)
    rows = list(csv.DictReader(io.StringIO(reports.to_csv(rep))))
    assert list(rows[0]) == list(reports.CSV_COLUMNS)
    groups = [(r["group"], r["key"]) for r in rows]
    assert groups[:3] == [("overall", ""), ("overall:appointment", ""),
                          ("overall:walk_in", "")]
    assert ("service:appointment", "C") in groups and ("service:appointment", "B") not in groups
    appt = rows[1]
    assert (appt["arrival"], appt["issued"], appt["wait_median_min"]) == ("appointment", "3",
                                                                          "7.0")
    booked_rows = [r for r in rows if r["group"] == "appointments"]
    assert [r["key"] for r in booked_rows] == ["", "A", "C"]
    whole = booked_rows[0]
    assert (whole["booked"], whole["booking_cancelled"], whole["late"],
            whole["booking_no_show"], whole["offered"], whole["punctuality_median_min"],
            whole["punctual_share"]) == ("6", "1", "1", "1", "120", "4.0", "0.6667")
    assert whole["issued"] == ""  # a bookings row carries no ticket counts
    monkeypatch.setenv("KIOSK_NOW", "2026-11-27T17:00:00+07:00")
    config = store.settings.store.path.parent.parent / "config.toml"
    assert cli.main(["--config", str(config), "report", "--from", D1, "--to", D1]) == 0
    lines = capsys.readouterr().out.splitlines()
    overall = lines.index(next(line for line in lines if line.startswith("overall")))
    assert lines[overall + 1].split()[:3] == ["appointment", "3", "3"]
    assert lines[overall + 2].split()[:4] == ["walk-in", "3", "2", "1"]
    service_b = lines.index(next(line for line in lines if line.startswith("service B")))
    assert lines[service_b + 1].startswith("service C")  # B had no appointment: no split
    assert lines[service_b + 2].split()[:2] == ["appointment", "1"]
    heading = next(i for i, line in enumerate(lines) if line.startswith("appointments ("))
    assert "within 10 min" in lines[heading]
    assert lines[heading + 2].split() == ["all", "6", "1", "4", "1", "1", "0", "120", "4%",
                                          "4.0", "10.4", "67%"]
    assert lines[heading + 3].split()[:3] == ["service", "A", "4"]


# -- the phone page and the board -----------------------------------------------------------------


def test_the_phone_page_of_an_appointment_says_its_slot(booked):
    store, _, _ = booked
    tickets = {(t.day, t.label): t for t in store.tickets_by_id(range(1, 10))}
    wanted = {key: tickets[key].id for key in ((D1, "A002"), (D1, "C002"), (D1, "A001"),
                                               (D2, "A001"))}
    pages = ticket_pages(store, frozenset(wanted.values()))
    assert pages[wanted[(D1, "A002")]].slot == "09:00–09:15"
    assert pages[wanted[(D2, "A001")]].slot == "09:30–09:45"
    assert pages[wanted[(D1, "C002")]].slot is None  # checked in late: a walk-in
    assert pages[wanted[(D1, "A001")]].slot is None
    for lang in ("id", "en"):
        said = words(store.settings, pages[wanted[(D1, "A002")]], lang)["lines"]
        assert said == [t(lang, "checkin.appointment", slot="09:00–09:15")]
        assert words(store.settings, pages[wanted[(D1, "A001")]], lang)["lines"] == []
    assert t("id", "checkin.appointment", slot="09:30–09:45") == "Janji temu pukul 09:30–09:45"
    assert t("en", "checkin.appointment", slot="09:30–09:45") == "Appointment 09:30–09:45"


def test_an_appointment_on_its_phone_page_and_on_the_board(tmp_path: Path):
    """Through a real `kiosk serve` (09:00): a patron booked 09:00 checked in at 08:55,
    beside a walk-in; the board counts both as waiting and shows the call like any other."""
    from .serve_support import Served

    site = Served(tmp_path)
    clock = ManualClock(local(8, 30))
    with Store(cfg.load(site.config), clock=clock) as store:
        _, token, code = store.book("A", D2, "09:00", lang="en")
        clock.set(local(8, 50))
        walk_in = store.issue("A", lang="en")
        clock.set(local(8, 55))
        assert store.check_in(code).appointment
        store.counter(1, "open")
    site.start()
    try:
        page = site.get(f"/t/{token}")
        assert page.status_code == 200
        assert t("en", "checkin.appointment", slot="09:00–09:15") in page.text
        assert ">A002<" in page.text and t("en", "phone.waiting") in page.text
        indonesian = site.get(f"/t/{token}?lang=id").text
        assert "Janji temu pukul 09:00–09:15" in indonesian
        other = site.get(f"/t/{walk_in.token}").text
        assert "Janji temu" not in other and "Appointment" not in other
        board = site.get("/board").text
        assert "A002" not in board  # nobody called yet
        site.kiosk("call", "--counter", "1")  # the appointment goes first (its slot's place)
        board = site.get("/board").text
        assert 'class="label">A002</span>' in board and "Loket 1" in board
        assert "Janji temu" not in board and "Appointment" not in board
        called = site.get(f"/t/{token}").text
        assert t("en", "phone.called", counter="Counter 1") in called
        assert t("en", "checkin.appointment", slot="09:00–09:15") in called
    finally:
        site.stop()


# -- the admin's Statistics -----------------------------------------------------------------------


def test_the_admins_statistics_show_the_split_and_the_bookings(tmp_path: Path):
    from textual.widgets import Static

    from kiosk.ui.admin.base import Range
    from kiosk.ui.admin.tables import BOOKING_COLUMNS, STAT_COLUMNS, SortableTable, fmt

    from .admin_support import ADMIN, ADMIN_PIN, SIZE, Kit, cell, say, settle, show_range
    from .admin_support import signed_in as sign

    template = tmp_path / "template"
    template.mkdir()
    settings = cfg.load(write_config(template, replace=TWO_PLACES))
    clock = ManualClock(local(7, 0, day=26))
    with Store(settings, clock=clock) as store:
        play(store, clock)
        store.staff_add(ADMIN, "admin", ADMIN_PIN)
        want = reports.report(store, settings, date_from=D1, date_to=D1)
    (tmp_path / "site").mkdir()
    kit = Kit(tmp_path / "site", Path(settings.store.path), replace=TWO_PLACES, poll_s=0.05)

    async def main() -> None:
        async with kit.app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            screen = await sign(kit, pilot)
            screen.show_view("stats")
            await show_range(pilot, Range(D1, D1))
            arrival = screen.query_one("#t-arrival", SortableTable)
            assert arrival.row_count == 2
            for row, (name, group) in enumerate(zip(
                    (say("arrival_appointment"), say("arrival_walk_in")),
                    want["overall"]["by_arrival"], strict=True)):
                assert cell(arrival, row, 0) == name
                for index, column in enumerate(STAT_COLUMNS, start=1):
                    assert cell(arrival, row, index) == fmt(column.get(group), column.kind)
            booking = screen.query_one("#t-booking", SortableTable)
            b = want["appointments"]
            rows = [b, *b["by_service"]]
            assert booking.row_count == 3
            assert [cell(booking, r, 0) for r in range(3)] == [
                say("class_overall"), "A Keanggotaan", "C Referensi & p…"]
            for row, group in enumerate(rows):
                for index, column in enumerate(BOOKING_COLUMNS, start=1):
                    assert cell(booking, row, index) == fmt(column.get(group), column.kind)
            assert [cell(booking, 0, i) for i in range(1, 12)] == [
                "6", "1", "4", "1", "1", "0", "120", "4%", "4.0", "10.4", "67%"]
            heading = str(screen.query_one("#appointments-heading", Static).render())
            assert heading == say("appointments", target=10)
            assert "tepat waktu" in heading

    asyncio.run(main())


def test_the_admin_words_for_appointments_are_in_both_languages():
    for key in ("by_arrival", "arrival_appointment", "arrival_walk_in", "col_booked",
                "col_punctual_share", "col_slot_utilisation"):
        assert t("id", f"admin.{key}") != t("en", f"admin.{key}")
    assert "{target}" not in t("en", "admin.appointments", target=10)


# -- demo history with bookings -------------------------------------------------------------------


def test_demo_days_with_bookings_are_deterministic_and_reported(tmp_path: Path):
    from kiosk import demo

    settings = cfg.load(write_config(tmp_path, replace=TWO_PLACES))
    plan = demo.Plan(booked=0.3)
    seen = []
    for run in ("one", "two"):
        clock = ManualClock(local(6, 0, day=1, month=3))
        with Store(settings, clock=clock, path=tmp_path / f"{run}.db") as store:
            demo.generate(store, 2, end=date(2026, 3, 2), plan=plan, seed=5)
            rep = reports.report(store, settings, date_from="2026-03-01", date_to="2026-03-02")
            rows = store.conn.execute(
                "SELECT day, label, service, need, state, slot_at, booking_id IS NOT NULL,"
                " issued_at, called_at, finished_at FROM tickets ORDER BY id").fetchall()
            states = store.conn.execute(
                "SELECT state, COUNT(*) FROM bookings GROUP BY state").fetchall()
            seen.append((rows, rep, dict(states)))
    assert seen[0] == seen[1]
    _, rep, states = seen[0]
    b = rep["appointments"]
    assert b["booked"] > 30 and states["checked_in"] > 20
    assert b["booked"] == sum(states.values())
    assert b["checked_in"] + b["cancelled"] + b["no_show"] + b["pending"] == b["booked"]
    assert part(rep["overall"], "appointment")["issued"] > 20
    assert 0 < b["punctuality_min"]["n"] <= b["checked_in"]
    assert b["punctuality_min"]["median"] is not None and b["slot_utilisation"] > 0


def test_demo_data_books_by_default_and_not_with_booked_0(config_path: Path, monkeypatch,
                                                          capsys):
    monkeypatch.setenv("KIOSK_NOW", "2026-03-10T09:00:00+07:00")
    assert cli.main(["--config", str(config_path), "demo-data", "--days", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bookings"] > 5
    assert cli.main(["--config", str(config_path), "demo-data", "--days", "1", "--end",
                     "2026-03-10", "--booked", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["bookings"] == 0
    assert cli.main(["--config", str(config_path), "demo-data", "--days", "1", "--end",
                     "2026-03-11", "--booked", "1.5"]) != 0
    assert "--booked" in capsys.readouterr().err
