"""The satisfaction survey's report (kiosk.reports.survey): the report object against figures
worked by hand on responses written through the store's own verb, its filters, too few
respondents said plainly, the quick rating apart; the publication table (CSV and text)
against the report; `kiosk survey report` as a user runs it; demo patrons less satisfied
with time the longer they waited. The admin's Survey view: tests/test_survey_admin.py."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from kiosk import config as cfg
from kiosk import demo, survey
from kiosk.clock import ManualClock
from kiosk.exceptions import UsageError
from kiosk.i18n import t
from kiosk.reports.survey import (
    half_up,
    publication,
    publication_csv,
    publication_text,
    survey_report,
    survey_suggestions,
)
from kiosk.store import Store

from .conftest import local, write_config

WIFI = """
[[survey.questions]]
code = "WIFI"
text = { id = "Bagaimana Wi-Fi di ruang tunggu?", en = "How was the Wi-Fi?" }
labels.id = ["Buruk", "Cukup", "Baik", "Sangat baik"]
labels.en = ["Poor", "Fair", "Good", "Very good"]
"""
FIRST, SECOND = "2026-11-27", "2026-11-28"


def answers(value: int, **different: int) -> dict[str, object]:
    return {code: different.get(code, value) for code in survey.ELEMENTS}


def served(store: Store, service: str, counter: int, need: str | None = None) -> str:
    """One ticket issued, called at `counter`, served and finished: its token."""
    issued = store.issue(service, need)
    called = store.call_next(counter)
    assert called is not None and called.id == issued.ticket.id
    store.start(counter)
    store.finish(counter)
    assert issued.token
    return issued.token


def play(store: Store, clock: ManualClock) -> None:
    """Four respondents and one patron served who did not answer, over two days:

    27 Nov  A at counter 1, regular:  all 3, U1 4        WIFI 4  "More chairs"
            B at counter 2, priority: all 4              WIFI 2
            A at counter 1, regular:  all 2, U3 1        (rates counter 1: 1)
            B at counter 2, regular:  served, no answer  (rates counter 2: 4)
    28 Nov  C at counter 3, regular:  all 3
    """
    store.counter(1, "open")
    store.counter(2, "open")
    store.answer_survey(served(store, "A", 1), answers(3, U1=4) | {"WIFI": 4},
                        suggestion="More chairs")
    clock.advance(60)
    store.answer_survey(served(store, "B", 2, "lansia"), answers(4) | {"WIFI": 2})
    clock.advance(60)
    store.answer_survey(served(store, "A", 1), answers(2, U3=1))
    store.rate(1, 1)
    clock.advance(60)
    served(store, "B", 2)
    store.rate(2, 4)
    clock.set(local(9, 0, day=28))
    store.counter(3, "open")
    store.answer_survey(served(store, "C", 3), answers(3))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Store, cfg.Settings]]:
    settings = cfg.load(write_config(tmp_path, extra=WIFI))
    clock = ManualClock(local(9, 0))
    with Store(settings, clock=clock) as store:
        play(store, clock)
        yield store, settings


def report(site: tuple[Store, cfg.Settings], first: str = FIRST, last: str = SECOND,
           **filters: object) -> dict:
    store, settings = site
    return survey_report(store, settings, first, last, **filters)  # type: ignore[arg-type]


def test_the_report_worked_by_hand(site):
    rep = report(site)
    # U1 (4+4+2+3)/4 = 3.25; U3 (3+4+1+3)/4 = 2.75; the seven others (3+4+2+3)/4 = 3.0.
    # IKM = 25 x (3.25 + 2.75 + 7 x 3.0) / 9 = 25 x 27 / 9 = 75.00: C (65.00-76.60).
    nrr = {e["code"]: e["nrr"] for e in rep["elements"]}
    assert nrr == {"U1": 3.25, "U2": 3.0, "U3": 2.75, "U4": 3.0, "U5": 3.0, "U6": 3.0,
                   "U7": 3.0, "U8": 3.0, "U9": 3.0}
    weighted = {e["code"]: e["weighted"] for e in rep["elements"]}
    assert (weighted["U1"], weighted["U3"], weighted["U9"]) == (0.361, 0.306, 0.333)
    assert all(e["answers"] == 4 for e in rep["elements"])
    assert (rep["weighted_total"], rep["ikm"], rep["category"]) == (3.0, 75.0, "C")
    assert rep["category_words"] == "kurang baik"
    # Five tickets served; Krejcie and Morgan ask all five of so few.
    assert (rep["population"], rep["respondents"], rep["min_sample"]) == (5, 4, 5)
    assert rep["enough"] is False
    assert "4 of the 5 respondents this period needs have answered" in rep["message"]
    assert rep["by_month"] == [{"month": "2026-11", "respondents": 4, "ikm": 75.0,
                                "category": "C", "nrr": nrr}]
    # The site's own question, apart from the index: (4 + 2) / 2.
    assert rep["own_questions"] == [{"code": "WIFI", "text": "Bagaimana Wi-Fi di ruang tunggu?",
                                     "answers": 2, "mean": 3.0}]
    assert (rep["from"], rep["to"], rep["unit"]) == (FIRST, SECOND, "Perpustakaan Nasional RI")
    assert json.loads(json.dumps(rep)) == rep  # the object is its JSON


@pytest.mark.parametrize(("filters", "respondents", "population", "ikm", "category"), [
    # A: (4+2)/2 = 3.0 for U1, (3+1)/2 = 2.0 for U3, 2.5 for the rest: 25 x 22.5 / 9 = 62.5
    ({"service": "a"}, 2, 2, 62.5, "D"),
    ({"counter": 2}, 1, 2, 100.0, "A"),
    ({"priority": True}, 1, 1, 100.0, "A"),
    ({"priority": False}, 3, 4, 66.67, "C"),  # 25 x (3.0+2.67+2.33+6 x 2.67)/9 = 66.666
    ({"first": SECOND}, 1, 1, 75.0, "C"),
    ({"last": FIRST, "service": "C"}, 0, 0, None, None),
])
def test_each_filter_counts_its_own_respondents_and_population(site, filters, respondents,
                                                               population, ikm, category):
    first, last = filters.pop("first", FIRST), filters.pop("last", SECOND)
    rep = report(site, first, last, **filters)
    assert (rep["respondents"], rep["population"]) == (respondents, population)
    assert (rep["ikm"], rep["category"]) == (ikm, category)
    assert rep["min_sample"] == survey.min_sample(population)
    assert rep["enough"] == (0 < respondents >= rep["min_sample"])


def test_too_few_is_said_plainly_and_enough_says_nothing(site):
    counter_two = report(site, counter=2)
    assert counter_two["message"] == (
        "Too few answered: 1 of the 2 respondents this period needs have answered (Krejcie"
        " and Morgan, for 2 tickets served); read the index as a first indication only.")
    assert report(site, priority=True)["message"] is None
    nobody = report(site, FIRST, FIRST, service="C")
    assert nobody["message"] == "Nobody answered the survey in this period."
    assert all(e["nrr"] is None and e["weighted"] is None for e in nobody["elements"])


def test_the_quick_rating_is_reported_apart_and_never_moves_the_index(site):
    store, settings = site
    rep = report(site)
    assert rep["quick_rating"] == {"counts": {"1": 1, "2": 0, "3": 0, "4": 1}, "ratings": 2,
                                   "mean": 2.5}
    token = served(store, "C", 3)
    before = report(site)
    store.rate(3, 1)
    after = report(site)
    assert after["quick_rating"]["ratings"] == 3
    assert {k: v for k, v in after.items() if k != "quick_rating"} == {
        k: v for k, v in before.items() if k != "quick_rating"}
    store.answer_survey(token, answers(1))  # the survey does move it
    assert report(site)["ikm"] < before["ikm"]


def test_rounding_is_half_up_as_the_published_tables_print():
    assert half_up(88.305, 2) == 88.31 and survey.category(88.305) == "A"
    assert half_up(76.604999, 2) == 76.6 and half_up(0.3605, 3) == 0.361
    assert half_up(None, 2) is None


def test_bad_dates_services_and_counters_are_one_plain_sentence(site):
    for args, words in ((("2026-13-01", SECOND), '--from must be a local date YYYY-MM-DD'),
                        ((SECOND, FIRST), "--to (2026-11-27) is before --from (2026-11-28)")):
        with pytest.raises(UsageError, match=re.escape(words)):
            report(site, *args)
    with pytest.raises(UsageError, match=r'unknown service "Z" \(configured: A, B, C, D, E\)'):
        report(site, service="z")
    with pytest.raises(UsageError, match=r"unknown counter 9 \(configured: 1, 2, 3, 4\)"):
        report(site, counter=9)


def test_the_suggestions_are_read_for_the_admin(site):
    store, settings = site
    said = survey_suggestions(store, settings, FIRST, SECOND)
    assert said == [{"day": FIRST, "service": "A", "counter": 1, "text": "More chairs"}]
    assert survey_suggestions(store, settings, FIRST, SECOND, service="B") == []


# -- the publication table --------------------------------------------------------------------


def test_the_publication_csv_rows_are_the_reports_elements(site):
    rep = report(site)
    rows = list(csv.reader(io.StringIO(publication_csv(rep, "id"))))
    assert rows[0] == ["Survei Kepuasan Masyarakat"]
    head = {row[0]: row[1] for row in rows[1:] if len(row) == 2}
    assert head["Unit pelayanan"] == "Perpustakaan Nasional RI"
    assert head["Periode"] == "27 Nov 2026 s.d. 28 Nov 2026"
    assert head["Responden"] == "4 (minimal 5 untuk 5 tiket yang dilayani)"
    assert head["Catatan"].startswith("Responden belum cukup: baru 4 dari 5 responden")
    start = rows.index(["Kode", "Unsur pelayanan", "NRR", "NRR tertimbang"])
    elements = rows[start + 1:start + 10]
    assert elements == [[e["code"], t("id", f"survey.{e['code']}.name"), f"{e['nrr']:.2f}",
                         f"{e['weighted']:.3f}"] for e in rep["elements"]]
    assert rows[start + 10:] == [["", "Jumlah NRR tertimbang", "", "3.000"],
                                 ["", "IKM unit pelayanan", "", "75.00"],
                                 ["", "Mutu pelayanan", "", "C (kurang baik)"]]


def test_the_publication_in_english_and_as_text(site):
    rep = report(site, service="A")
    pub = publication(rep, "en")
    assert pub.title == "Public Satisfaction Survey"
    assert ("Scope", "service A") in pub.head
    assert pub.foot[-1] == ("Service quality", "D (not good)")
    text = publication_text(rep, "en")
    assert "U3   Time to complete" in text and text.splitlines()[-2].endswith("62.50")
    lines = text.splitlines()
    table = lines[lines.index(next(x for x in lines if x.startswith("Code"))):]
    widths = {len(line) for line in table if line[0] != "-"}
    assert len(widths) == 1  # the table's columns line up


# -- the command line ------------------------------------------------------------------------


def kiosk(config: Path, *args: str, now: str = "2026-11-28T12:00:00+07:00",
          ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KIOSK_NOW": now, "KIOSK_CONFIG": str(config)}
    return subprocess.run([sys.executable, "-m", "kiosk", "survey", "report", *args],
                          env=env, capture_output=True, text=True, timeout=60,
                          cwd=config.parent)


def test_the_cli_in_each_format(tmp_path: Path, site):
    store, settings = site
    config = tmp_path / "config.toml"
    rep = report(site)
    dates = ("--from", FIRST, "--to", SECOND)
    done = kiosk(config, *dates, "--format", "json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got == rep
    assert {"respondents", "min_sample", "elements", "ikm", "category",
            "quick_rating"} <= set(got)
    assert got["elements"][0] == {"code": "U1", "answers": 4, "nrr": 3.25, "weighted": 0.361}
    assert json.loads(kiosk(config, *dates, "--json").stdout) == rep
    assert kiosk(config, *dates, "--format", "csv").stdout == publication_csv(rep, "id")
    table = kiosk(config, *dates).stdout
    assert publication_text(rep, "id") in table
    assert "IKM per bulan" in table and "2 penilaian, rata-rata 2.50 dari 4" in table
    assert "WIFI Bagaimana Wi-Fi di ruang tunggu?: rata-rata 3.00 dari 2 jawaban" in table
    english = kiosk(config, *dates, "--lang", "en", "--class", "priority").stdout
    assert "Service quality" in english and "A (very good)" in english
    today = json.loads(kiosk(config, "--json").stdout)  # today: 28 Nov
    assert (today["from"], today["to"], today["respondents"]) == (SECOND, SECOND, 1)
    counter = json.loads(kiosk(config, *dates, "--counter", "1", "--json").stdout)
    assert counter == report(site, counter=1)


@pytest.mark.parametrize(("args", "line"), [
    (("--from", "2026-11-31"), 'kiosk: --from must be a local date YYYY-MM-DD, got'
                               ' "2026-11-31"'),
    (("--service", "Z"), 'kiosk: unknown service "Z" (configured: A, B, C, D, E)'),
    (("--counter", "9"), "kiosk: unknown counter 9 (configured: 1, 2, 3, 4)"),
    (("--counter", "x"), 'kiosk: argument --counter: "x" is not a whole number (digits 0-9)'
                         " (see `kiosk survey --help`)"),
])
def test_the_cli_refuses_bad_usage_in_one_line(tmp_path: Path, args, line):
    done = kiosk(write_config(tmp_path), *args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == line


# -- demo data ---------------------------------------------------------------------------------


def test_demo_patrons_rate_time_lower_the_longer_they_waited(tmp_path: Path):
    settings = cfg.load(write_config(tmp_path))
    with Store(settings, clock=ManualClock(local(6, 0, day=1, month=3))) as store:
        demo.generate(store, 3, end=date(2026, 3, 3), plan=demo.Plan(load=0.9), seed=5)
        rows = store.conn.execute(
            "SELECT (julianday(t.called_at) - julianday(t.issued_at)) * 1440, a.value"
            " FROM survey_responses r JOIN tickets t ON t.id = r.ticket_id"
            " JOIN survey_answers a ON a.response_id = r.id AND a.code = 'U3'").fetchall()
        served = store.conn.execute(
            "SELECT count(*) FROM tickets WHERE state = 'done'").fetchone()[0]
        rep = survey_report(store, settings, "2026-03-01", "2026-03-03")
    short = [value for waited, value in rows if waited <= 10]
    long = [value for waited, value in rows if waited >= 30]
    assert len(short) > 30 and len(long) > 30
    assert sum(short) / len(short) > sum(long) / len(long) + 0.8
    assert 0.2 < len(rows) / served < 0.4  # about 30% answer
    assert rep["respondents"] == len(rows) and rep["quick_rating"]["ratings"] > len(rows)
    nrr = {e["code"]: e["nrr"] for e in rep["elements"]}
    assert min(nrr, key=nrr.__getitem__) in {"U3", "U8"}  # time (and complaints) lowest
