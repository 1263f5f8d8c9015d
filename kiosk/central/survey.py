"""`kiosk survey report --central URL`: the satisfaction index per site or for all sites
together, from what the sites shipped (issue 25, point 3; design §11).

As the central serve-time report: no figure is computed here. Each site's responses, their
answers, the quick ratings and the tickets served in the period (the population the sample
is drawn from) are read back into a scratch SQLite store, where the survey report's own
reads give that site's sums (`survey_parts`); "all" adds the sites' sums before the index
is computed (every answer pooled, as one unit's survey over several offices would be),
never averaging the sites' indexes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from kiosk import clock as clk
from kiosk.central.connect import connect, explain
from kiosk.central.report import ALL, scratch
from kiosk.config import Settings
from kiosk.exceptions import UsageError
from kiosk.reports.survey import Parts, survey_filters, survey_finish, survey_parts
from kiosk.store import Store
from kiosk.store.surveys import Filters

_RESPONSES_SQL = ("SELECT id, day::text, service, counter, priority, at, via"
                  " FROM survey_responses WHERE site = %s AND day BETWEEN %s AND %s")
_ANSWERS_SQL = ("SELECT a.response_id, a.code, a.value FROM survey_answers a"
                " JOIN survey_responses r ON r.site = a.site AND r.id = a.response_id"
                " WHERE a.site = %s AND r.day BETWEEN %s AND %s")
_RATINGS_SQL = ("SELECT id, day::text, service, counter, priority, at, score"
                " FROM quick_ratings WHERE site = %s AND day BETWEEN %s AND %s")
_SERVED_SQL = ("SELECT id, day::text, prefix, number, service, counter, priority"
               " FROM tickets WHERE site = %s AND day BETWEEN %s AND %s AND state = 'done'")


def central_survey_report(url: str, settings: Settings, site: str = ALL, *,
                          date_from: str, date_to: str, service: str | None = None,
                          counter: int | None = None,
                          priority: bool | None = None) -> dict[str, Any]:
    """The object of `kiosk survey report --format json` for `site` (an id, or "all"),
    with "site" added."""
    filters = survey_filters(settings, date_from, date_to, service, counter, priority)
    total = Parts()
    with connect(url, application="kiosk survey report") as pg:
        try:
            known = [row[0] for row in pg.execute("SELECT site FROM sites ORDER BY site")]
            if site != ALL and site not in known:
                names = ", ".join(known) or "none yet"
                raise UsageError(f'the centre knows no site "{site}" (it knows: {names})')
            with scratch(settings) as store:
                for one in known if site == ALL else [site]:
                    total.add(_site_parts(pg, store, one, filters))
        except psycopg.Error as exc:
            raise explain(exc, url) from None
    return {"site": site, **survey_finish(total, settings, filters)}


def _site_parts(pg: psycopg.Connection, store: Store, site: str, filters: Filters) -> Parts:
    """One site's sums over the scratch store (emptied again after)."""
    span = (site, filters.first, filters.last)
    responses = [(i, day, service, counter, int(prio), _iso(at), via)
                 for i, day, service, counter, prio, at, via in pg.execute(_RESPONSES_SQL,
                                                                           span)]
    ratings = [(i, day, service, counter, int(prio), _iso(at), score)
               for i, day, service, counter, prio, at, score in pg.execute(_RATINGS_SQL, span)]
    store.receive_survey(responses, pg.execute(_ANSWERS_SQL, span).fetchall(), ratings,
                         pg.execute(_SERVED_SQL, span).fetchall())
    try:
        return survey_parts(store, filters)
    finally:
        store.clear_received()


def _iso(moment: datetime) -> str:
    return clk.iso(moment)  # the store's own text: UTC, milliseconds, Z


__all__ = ["central_survey_report"]
