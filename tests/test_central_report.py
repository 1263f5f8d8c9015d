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
    kept = at_centre(url, "SELECT site, day::text FROM report_partials ORDER BY 1, 2")
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
