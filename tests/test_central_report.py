"""`kiosk report --central URL` (issue 25, point 3): the site's own report, computed by the
site's own code on what the sites shipped, per site and for all sites merged, against the
same throwaway PostgreSQL cluster as tests/test_central.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk import config as cfg
from kiosk.central.report import CentralReports

from .test_central import at_centre, at_site, kiosk, site, sync
from .test_central import centre as centre  # noqa: F401  (a fixture)
from .test_central import cluster as cluster  # noqa: F401  (a fixture)

OPEN = "('waiting', 'called', 'serving')"


def _as_json(done) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _settled_days(config: Path) -> tuple[str, str]:
    """The demo's days at the site with nothing left open (what the centre holds whole)."""
    rows = at_site(config, "SELECT day FROM tickets GROUP BY day HAVING"
                           f" SUM(state IN {OPEN}) = 0 ORDER BY day")
    assert len(rows) >= 2, rows
    return rows[0][0], rows[-1][0]


@pytest.fixture
def two_sites(tmp_path, centre):  # noqa: F811
    north = site(tmp_path, "north", seed="1")
    south = site(tmp_path, "south", seed="2")
    for config in (north, south):
        done = sync(config, centre)
        assert done.returncode == 0, done.stderr
    return north, south, centre


def test_each_site_at_the_centre_equals_its_own_report(two_sites):
    north, south, url = two_sites
    first, last = _settled_days(north)
    for config, name in ((north, "north"), (south, "south")):
        own = _as_json(kiosk(config, "report", "--from", first, "--to", last,
                             "--format", "json"))
        central = _as_json(kiosk(north, "report", "--central", url, "--site", name,
                                 "--from", first, "--to", last, "--format", "json"))
        assert central.pop("site") == name
        # the demo books some slots: appointments, walk-ins and bookings compared too
        assert own["appointments"]["booked"] > 0 and own["appointments"]["checked_in"] > 0
        assert central.keys() == own.keys()
        for key in own:  # field by field, so a difference names its group
            assert central[key] == own[key], (name, key)
        # filtered too (computed from the same partials, kept under their own key)
        own = _as_json(kiosk(config, "report", "--from", first, "--to", last,
                             "--class", "priority", "--format", "json"))
        central = _as_json(kiosk(north, "report", "--central", url, "--site", name,
                                 "--class", "priority", "--from", first, "--to", last,
                                 "--format", "json"))
        assert {**central, "site": None} == {**own, "site": None}


def test_all_sites_are_merged_before_finishing(two_sites):
    north, south, url = two_sites
    first, last = _settled_days(north)
    args = ("--from", first, "--to", last, "--format", "json")
    both = _as_json(kiosk(north, "report", "--central", url, *args))
    assert both["site"] == "all"
    one = _as_json(kiosk(north, "report", *args))
    two = _as_json(kiosk(south, "report", *args))
    for field in ("issued", "served", "no_show", "expired", "transferred", "called",
                  "judged", "overtakes"):
        assert both["overall"][field] == one["overall"][field] + two["overall"][field], field
    n = [r["overall"]["wait_min"]["n"] for r in (one, two)]
    means = [r["overall"]["wait_min"]["mean"] for r in (one, two)]
    assert both["overall"]["wait_min"]["n"] == sum(n)
    assert both["overall"]["wait_min"]["mean"] == pytest.approx(
        (n[0] * means[0] + n[1] * means[1]) / sum(n), abs=0.011)
    assert both["overall"]["wait_min"]["max"] == max(r["overall"]["wait_min"]["max"]
                                                     for r in (one, two))
    by_service = {g["service"]: g["issued"] for g in both["by_service"]}
    for g in one["by_service"] + two["by_service"]:
        by_service[g["service"]] -= g["issued"]
    assert set(by_service.values()) == {0}


def test_an_unknown_site_is_one_line(two_sites):
    north, _south, url = two_sites
    done = kiosk(north, "report", "--central", url, "--site", "west")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "west" in lines[0] and "north, south" in lines[0]
    done = kiosk(north, "report", "--site", "north")
    assert done.returncode != 0 and "--central" in done.stderr


def test_cold_then_warm_reads_the_kept_partials(two_sites):
    north, _south, url = two_sites
    settings = cfg.load(north)
    days = [d for (d,) in at_site(north, "SELECT DISTINCT day FROM tickets ORDER BY day")]
    first, last = days[0], days[-1]
    with CentralReports(url, settings) as cold:
        a = cold.report(date_from=first, date_to=last)
    assert cold.built == 2 * len(days)
    kept = at_centre(url, "SELECT site, day::text FROM report_partials WHERE site <> '*'"
                          " ORDER BY 1, 2")
    merged = at_centre(url, "SELECT day::text FROM report_partials WHERE site = '*'")
    # all sites' days merged, kept once both sites' day is settled
    assert 0 < len(merged) <= len(days) - 1
    # every day but the last one shipped is settled at the centre (a later day began)
    assert {s for s, _ in kept} == {"north", "south"}
    assert len(kept) >= 2 * (len(days) - 1)
    with CentralReports(url, settings) as warm:
        b = warm.report(date_from=first, date_to=last)
    assert a == b
    assert warm.built == 2 * len(days) - len(kept)
    # a kept partial really is what the warm report reads: spoil one, and it shows
    at_centre(url, "UPDATE report_partials SET partial = '[]'::jsonb WHERE site = 'north'"
                   " AND day = %s RETURNING 1", kept[0][1])
    with CentralReports(url, settings) as spoiled:
        c = spoiled.report(site="north", date_from=kept[0][1], date_to=kept[0][1])
    assert c["overall"]["issued"] == 0 and spoiled.built == 0
    # and the merged day is what an all-site report reads
    at_centre(url, "UPDATE report_partials SET partial = '[]'::jsonb WHERE site = '*'"
                   " AND day = %s RETURNING 1", merged[0][0])
    with CentralReports(url, settings) as spoiled:
        c = spoiled.report(date_from=merged[0][0], date_to=merged[0][0])
    assert c["overall"]["issued"] == 0 and spoiled.built == 0


# -- the satisfaction survey at the centre -----------------------------------------------------


def test_each_sites_survey_at_the_centre_equals_its_own(two_sites):
    north, south, url = two_sites
    first, last = _settled_days(north)
    args = ("--from", first, "--to", last, "--format", "json")
    for config, name in ((north, "north"), (south, "south")):
        responses = at_site(config, "SELECT COUNT(*) FROM survey_responses")[0][0]
        ratings = at_site(config, "SELECT COUNT(*) FROM quick_ratings")[0][0]
        assert responses > 0 and ratings > 0  # the demo answers: something to compare
        assert at_centre(url, "SELECT (SELECT COUNT(*) FROM survey_responses WHERE site = %s),"
                              " (SELECT COUNT(*) FROM quick_ratings WHERE site = %s)",
                         name, name) == [(responses, ratings)]
        own = _as_json(kiosk(config, "survey", "report", *args))
        central = _as_json(kiosk(north, "survey", "report", "--central", url, "--site", name,
                                 *args))
        assert central.pop("site") == name
        assert own["respondents"] > 0 and own["ikm"] is not None
        for key in own:
            assert central[key] == own[key], (name, key)
        # one service and one class: the same filters, the same sums
        own = _as_json(kiosk(config, "survey", "report", "--service", "B",
                             "--class", "regular", *args))
        central = _as_json(kiosk(north, "survey", "report", "--central", url, "--site", name,
                                 "--service", "B", "--class", "regular", *args))
        assert {**central, "site": None} == {**own, "site": None}
    # sent again: nothing new, nothing twice
    done = sync(north, url, "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["responses"] == 0
    assert at_centre(url, "SELECT COUNT(*) FROM survey_responses WHERE site = 'north'")[0][0] \
        == at_site(north, "SELECT COUNT(*) FROM survey_responses")[0][0]


def test_all_sites_survey_pools_every_answer(two_sites):
    north, south, url = two_sites
    first, last = _settled_days(north)
    args = ("--from", first, "--to", last, "--format", "json")
    both = _as_json(kiosk(north, "survey", "report", "--central", url, *args))
    one = _as_json(kiosk(north, "survey", "report", *args))
    two = _as_json(kiosk(south, "survey", "report", *args))
    assert both["site"] == "all"
    for field in ("respondents", "population"):
        assert both[field] == one[field] + two[field], field
    for mine, a, b in zip(both["elements"], one["elements"], two["elements"], strict=True):
        assert mine["answers"] == a["answers"] + b["answers"]
        # the pooled NRR: every answer counted once, not the mean of the two sites' NRRs
        pooled = (a["nrr"] * a["answers"] + b["nrr"] * b["answers"]) / mine["answers"]
        assert mine["nrr"] == pytest.approx(pooled, abs=0.011)  # each NRR rounded to 2
    for score in "1234":
        assert both["quick_rating"]["counts"][score] == (
            one["quick_rating"]["counts"][score] + two["quick_rating"]["counts"][score])


def test_what_stays_at_the_site(two_sites):
    """The respondent's profile and the free-text suggestion never travel."""
    _north, _south, url = two_sites
    columns = {c for (c,) in at_centre(
        url, "SELECT column_name FROM information_schema.columns"
             " WHERE table_name IN ('survey_responses', 'survey_answers', 'quick_ratings')")}
    assert not columns & {"suggestion", "age", "sex", "education", "occupation", "need"}


# -- the admin screen on the centre -----------------------------------------------------------


def test_the_admin_screen_reads_the_centre(two_sites):
    """`kiosk admin --central URL`: Statistics, Charts and Survey show what the sites
    shipped, all sites merged (or one), the same objects as the central reports."""
    import asyncio

    from kiosk.central.survey import central_survey_report
    from kiosk.store import Store
    from kiosk.ui.admin import AdminApp, AdminScreen
    from kiosk.ui.admin.base import Range

    from .admin_support import ADMIN, ADMIN_PIN, SIZE, settle, show_range, sign_in, until

    north, _south, url = two_sites
    first, last = _settled_days(north)
    settings = cfg.load(north)
    with Store(settings) as store:
        store.staff_add(ADMIN, "admin", ADMIN_PIN)
    rng = Range(first, last, None, None, None)
    with CentralReports(url, settings) as centre:
        want = centre.overview("all", **rng.kwargs())
    want_survey = central_survey_report(url, settings, "all", **rng.kwargs())
    assert want["report"]["overall"]["issued"] == sum(
        _as_json(kiosk(config, "report", "--from", first, "--to", last, "--format", "json"))
        ["overall"]["issued"] for config in two_sites[:2])

    async def main() -> None:
        app = AdminApp(settings, central=url, poll_s=0.05)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await sign_in(pilot)
            screen = app.screen
            assert isinstance(screen, AdminScreen)
            assert "Data pusat" in screen._title() and "all" in screen._title()
            await until(pilot, lambda: screen.range is not None)
            screen.show_view("stats")
            await settle(pilot)
            await show_range(pilot, rng)
            assert screen.data == want
            screen.show_view("survey")
            await until(pilot, lambda: screen.survey_range == rng)
            await settle(pilot)
            assert screen.survey_data["report"] == want_survey
            text = str(screen.query_one("#survey-suggestion-text").render())
            assert text.startswith("Saran tetap di setiap lokasi")

    asyncio.run(main())
