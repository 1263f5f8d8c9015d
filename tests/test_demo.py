"""Demo history: simulated library days through the store's verbs, and the fast writer."""

from __future__ import annotations

import json
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from benchmarks.fast_writer import FastWriter
from kiosk import cli, demo, reports
from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.rows import Ticket
from kiosk.store import Store

from .conftest import local, write_config


def test_two_days_through_the_verbs(store: Store, settings: cfg.Settings) -> None:
    clock = ManualClock(local(6, 0, day=1, month=3))
    with Store(settings, clock=clock, path=store.path.with_name("demo.db")) as s:
        seen: list[int] = []
        made = demo.generate(s, 2, end=date(2026, 3, 2), seed=3, progress=seen.append)
        assert seen == [1, 2]
        tickets = list(s.db.query("SELECT * FROM tickets"))
        assert made == len(tickets) > 300
        assert {t["day"] for t in tickets} == {"2026-03-01", "2026-03-02"}
        priority = sum(t["need"] is not None for t in tickets) / len(tickets)
        assert 0.09 < priority < 0.21
        states = {t["state"] for t in tickets}
        assert {"done", "no_show"} <= states and not states & {"waiting", "called", "serving"}
        kinds = {r["kind"]: r["n"] for r in s.db.query(
            "SELECT kind, COUNT(*) AS n FROM events GROUP BY kind")}
        assert kinds["counter_paused"] >= len(settings.counters)  # lunch at least
        assert kinds["transferred"] >= 1 and kinds["recalled"] >= 1
        # Arrivals peak mid-morning and early afternoon, dip at lunch.
        rep = reports.report(s, settings, date_from="2026-03-01", date_to="2026-03-02")
        by_hour = {h["hour"]: h["issued"] for h in rep["by_hour"]}
        assert by_hour[10] > by_hour[8] and by_hour[13] > by_hour[12]
        assert all(0.3 < c["utilisation"] < 1.0 for c in rep["by_counter"])


COLUMNS = Ticket.COLUMNS
"""Every column but the random token's digest."""
SURVEY_READS = (
    "SELECT * FROM survey_responses ORDER BY id",
    "SELECT * FROM survey_answers ORDER BY response_id, code",
    "SELECT * FROM quick_ratings ORDER BY id",
)
"""The survey's rows (demo patrons answer it and tap the counter's faces)."""


def test_fast_writer_writes_what_the_verbs_write(tmp_path: Path,
                                                 settings: cfg.Settings) -> None:
    day = date(2026, 3, 2)
    plan = demo.Plan(load=0.9, transfer=0.08, walk_away=0.08)
    clock = ManualClock(local(6, 0, day=2, month=3))
    with Store(settings, clock=clock, path=tmp_path / "verbs.db") as slow:
        with slow.bulk():
            demo.simulate_day(slow, clock, settings, day, plan, seed=11)
        slow_tickets = slow.conn.execute(f"SELECT {COLUMNS} FROM tickets ORDER BY id").fetchall()
        slow_events = slow.conn.execute(
            "SELECT id, ticket_id, kind, at, counter, actor, detail FROM events ORDER BY id"
        ).fetchall()
        slow_survey = [slow.conn.execute(sql).fetchall() for sql in SURVEY_READS]
    clock = ManualClock(local(6, 0, day=2, month=3))
    with Store(settings, clock=clock, path=tmp_path / "fast.db") as fast:
        with closing(FastWriter(fast.path, settings, clock)) as writer:
            demo.simulate_day(writer, clock, settings, day, plan, seed=11)
            writer.flush()
        fast_tickets = fast.conn.execute(f"SELECT {COLUMNS} FROM tickets ORDER BY id").fetchall()
        tokens = fast.conn.execute("SELECT count(DISTINCT token_hash) FROM tickets").fetchone()
        fast_events = fast.conn.execute(
            "SELECT id, ticket_id, kind, at, counter, actor, detail FROM events ORDER BY id"
        ).fetchall()
        fast_survey = [fast.conn.execute(sql).fetchall() for sql in SURVEY_READS]
    kinds = {e[2] for e in slow_events}
    assert {"transferred", "no_show", "counter_paused", "expired"} & kinds >= {
        "transferred", "no_show", "counter_paused"}
    assert fast_tickets == slow_tickets
    assert tokens == (len(fast_tickets),)  # each its own random token, as the store's
    assert fast_events == slow_events
    responses, answers, ratings = slow_survey
    assert len(responses) > 20 and len(answers) >= 9 * len(responses) and len(ratings) > 20
    assert any(r[-1] for r in responses)  # a suggestion or more
    assert fast_survey == slow_survey


def test_fast_writer_expires_at_day_close_in_the_store_order(tmp_path: Path,
                                                             settings: cfg.Settings) -> None:
    """What still waits at day close is expired in issue order by both writers, whatever
    the services and needs (the store reads it through an index ordered otherwise)."""
    def day(target: Any, clock: ManualClock) -> None:
        target.day_open(actor="demo")
        for service, need in (("C", None), ("A", "lansia"), ("B", None), ("A", None)):
            clock.advance(30)
            target.issue(service, need, lang="id", actor="demo")
        clock.advance(60)
        assert target.day_close(actor="demo") == 4

    read = "SELECT id, ticket_id, kind, at, counter, actor, detail FROM events ORDER BY id"
    clock = ManualClock(local(9, 0, day=2, month=3))
    with Store(settings, clock=clock, path=tmp_path / "verbs.db") as slow:
        day(slow, clock)
        slow_events = slow.conn.execute(read).fetchall()
    clock = ManualClock(local(9, 0, day=2, month=3))
    with Store(settings, clock=clock, path=tmp_path / "fast.db") as fast:
        with closing(FastWriter(fast.path, settings, clock)) as writer:
            day(writer, clock)
            writer.flush()
        fast_events = fast.conn.execute(read).fetchall()
    expired = [e[1] for e in slow_events if e[2] == "expired"]
    assert expired == sorted(expired) and len(expired) == 4
    assert fast_events == slow_events


def test_demo_data_verb(config_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("KIOSK_NOW", "2026-03-10T09:00:00+07:00")
    assert cli.main(["--config", str(config_path), "demo-data", "--days", "1", "--json",
                     "--progress"]) == 0
    captured = capsys.readouterr()
    assert "simulated days" in captured.err  # the progress bar
    out = json.loads(captured.out)
    assert out["from"] == out["to"] == "2026-03-09" and out["tickets"] > 100
    assert 0.15 * out["tickets"] < out["survey_responses"] < 0.4 * out["tickets"]
    # History only follows what the store already has, and the advice given works.
    assert cli.main(["--config", str(config_path), "demo-data", "--days", "1"]) == 1
    err = capsys.readouterr().err
    assert ("the store already has tickets up to 2026-03-09; demo history can only follow"
            " them (--end after 2026-03-09, with --days to fit)") in err
    assert cli.main(["--config", str(config_path), "demo-data", "--days", "1", "--end",
                     "2026-03-10"]) == 0


def test_an_interrupted_demo_leaves_nothing_half_made(tmp_path: Path) -> None:
    settings = cfg.load(write_config(tmp_path))
    stop_after = 3

    def interrupt(done: int) -> None:
        if done == stop_after:
            raise KeyboardInterrupt  # Ctrl-C on the fourth day

    with Store(settings, clock=ManualClock(local(6, 0, day=1, month=3))) as store:
        with pytest.raises(KeyboardInterrupt):
            demo.generate(store, 10, end=date(2026, 3, 12), progress=interrupt)
        assert store.ticket_days() == (0, None)  # nothing kept: a rerun starts clean
        assert demo.generate(store, 2, end=date(2026, 3, 12)) > 100
