"""`kiosk report --central URL`: the site's own serve-time report, per site or for all
sites together, from what the sites shipped to the centre (issue 25, point 3).

No figure is computed here. For one site and the days the report needs, the site's shipped
rows are read back from PostgreSQL and written into a scratch SQLite store
(`Store.receive`, a fresh file in a temporary folder), where the reports engine computes
each local day's mergeable partial (`Engine.day`) exactly as at the site; the days are
merged and finished by the engine's own `merge` and `finish`. "All sites" merges every
site's day partials before `finish`: percentiles and shares come from the merged sums and
histograms, never from adding or averaging finished numbers.

What differs from the site (say so to whoever reads a central report):

- The centre holds settled tickets only (done, no-show, expired, cancelled): a day that is
  still going on lacks its waiting, called and serving tickets (`open` is 0). A past day
  whose leftovers have expired (the site's next day has begun and been shipped) is equal
  to the site's report, field by field.
- A site's config (time zone, hours, targets, counters and their services) is not at the
  centre: the caller's config is used for every site. Sites with another time zone or
  other counters need their own config (`--config`) and `--site`.
- Needs are not shipped unless `send_needs`: a priority ticket comes back with the need
  "priority" (the class is all a report uses).

Settled days' partials are kept in `report_partials` (site, day, filters_key): a day is
settled at the centre once the site has shipped an event of a later local day (events ship
in id order, so the day's are all there). Unsettled days are computed on every report.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg
from typing_extensions import Unpack

from kiosk import clock as clk
from kiosk.central.connect import connect, explain
from kiosk.config import Settings
from kiosk.exceptions import UsageError
from kiosk.reports.cache import days, fingerprint
from kiosk.reports.engine import Engine, Filters, Partial, merge, partial_from_json, partial_json
from kiosk.reports.report import Progress, Question, head, overview_merged, question
from kiosk.reports.summary import finish
from kiosk.rows import Event, Ticket
from kiosk.store import Store
from kiosk.store.schema import COUNTER_KINDS

ALL = "all"
"""`--site all`: every site the centre knows, merged."""
MERGED = "*"
"""`report_partials`' site for all sites' day partials merged (no site id has a `*`)."""

_TICKETS_SQL = (
    "SELECT id, day, prefix, number, label, service, priority, need, lang, kiosk, state,"
    " counter, issued_at, queued_at, called_at, started_at, finished_at, recalls, slot_at,"
    " booking_id FROM tickets WHERE site = %s AND day BETWEEN %s AND %s ORDER BY id")
_BOOKINGS_SQL = (
    "SELECT id, service, day::text, slot_start, slot_end, slot_at, need, priority, lang,"
    " state, created_at, checked_in_at, cancelled_at, ticket_id FROM bookings"
    " WHERE site = %s AND day BETWEEN %s AND %s ORDER BY id")
# A ticket's events all come at or after its issue, so `at >= start` prunes the months
# before; the join keeps the events of the tickets read (the scratch store's foreign key).
_TICKET_EVENTS_SQL = (
    "SELECT e.id, e.ticket_id, e.kind, e.at, e.counter, e.actor, e.detail FROM events e"
    " WHERE e.site = %s AND e.at >= %s AND e.ticket_id IN (SELECT id FROM tickets t"
    " WHERE t.site = %s AND t.day BETWEEN %s AND %s)")
# The counters' changes of the days, and each counter's last change before them (the state
# it opened the first day in: `Engine._initial_states`).
_COUNTER_EVENTS_SQL = (
    "SELECT id, ticket_id, kind, at, counter, actor, detail FROM events"
    " WHERE site = %s AND kind = ANY(%s) AND at >= %s AND at < %s"
    " UNION ALL (SELECT DISTINCT ON (counter) id, ticket_id, kind, at, counter, actor,"
    " detail FROM events WHERE site = %s AND kind = ANY(%s) AND at < %s"
    " ORDER BY counter, id DESC)")


def filters_key(settings: Settings, filters: Filters) -> str:
    """What a kept partial depends on besides the rows: the report cache's fingerprint
    (time zone, hours, targets, counters) and the filters."""
    basis = [fingerprint(settings), filters.service, filters.counter, filters.priority]
    return hashlib.sha256(json.dumps(basis).encode()).hexdigest()[:16]


def _ticket(row: tuple[Any, ...]) -> Ticket:
    (tid, day, prefix, number, label, service, priority, need, lang, kiosk, state, counter,
     issued, queued, called, started, finished, recalls) = row[:18]
    # Without `send_needs` the centre has the class only: "priority" stands for the need,
    # as in the site's redacted exports (a report reads `need IS NOT NULL`, nothing more).
    need = need if need is not None else ("priority" if priority else None)
    return Ticket(tid, day.isoformat(), prefix, number, label, service, need, lang, kiosk,
                  state, counter, clk.iso(issued), clk.iso(queued), queued.timestamp(),
                  _iso(called), _iso(started), _iso(finished), recalls)


def _event(row: tuple[Any, ...]) -> Event:
    eid, ticket_id, kind, at, counter, actor, detail = row
    return Event(eid, ticket_id, kind, clk.iso(at), counter, actor, detail or {})


def _iso(moment: datetime | None) -> str | None:
    # The store's own text (UTC, milliseconds, Z): the engine compares times as text.
    return None if moment is None else clk.iso(moment)


class CentralReports:
    """The serve-time report over the central database, one connection per instance."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.settings = settings
        self.pg = connect(url, application="kiosk report")
        self.built = 0
        """Site-days computed by the engine by this instance (the others came from
        `report_partials`): what tests and the benchmark look at."""

    def close(self) -> None:
        self.pg.close()

    def __enter__(self) -> CentralReports:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sites(self) -> dict[str, tuple[int, date | None]]:
        """Each known site: (its last shipped event id, that event's local day)."""
        rows = self.pg.execute(
            "SELECT s.site, s.last_event, (SELECT e.at FROM events e WHERE e.site = s.site"
            " AND e.id = s.last_event LIMIT 1) FROM sites s ORDER BY s.site").fetchall()
        tz = self.settings.site.tz
        return {site: (int(last), None if at is None
                       else date.fromisoformat(clk.local_day(at, tz)))
                for site, last, at in rows}

    def report(self, site: str = ALL, **q: Unpack[Question]) -> dict[str, Any]:
        """The object of `kiosk report` for `site` (an id, or "all"), with "site" added."""
        first, last, filters = question(q)
        try:
            known = self.sites()
            self._chosen(site, known)  # an unknown site: one line naming the known
            total: Partial = {}
            for partial in (self._merged_days(known, first, last, filters) if site == ALL
                            else self._partials(site, known[site], first, last, filters)):
                merge(total, partial)
        except psycopg.Error as exc:
            raise explain(exc, self.url) from None
        return {"site": site, **finish(total, self.settings,
                                       head(first, last, self.settings, filters))}

    def _merged_days(self, known: dict[str, tuple[int, date | None]], first: date,
                     last: date, filters: Filters) -> list[Partial]:
        """Every site's partial of each day, merged: kept whole under the site `*` and a
        key naming the sites, once every site's day is settled (a hundred sites' month is
        then 31 rows to read, not 3,100). Another set of sites is another key."""
        sites = sorted(known)
        if not sites:
            return [{} for _day in days(first, last)]
        key = filters_key(self.settings, filters)
        merged_key = key + ":" + hashlib.sha256(" ".join(sites).encode()).hexdigest()[:16]
        kept = self._kept_all([MERGED], first, last, merged_key)[MERGED]
        missing = [d for d in days(first, last) if d not in kept]
        if missing:
            per_site = self._kept_all(sites, missing[0], missing[-1], key)
            built: dict[date, Partial] = {day: {} for day in missing}
            for one in sites:
                mine = self._partials(one, known[one], missing[0], missing[-1], filters,
                                      per_site[one])
                for day, partial in zip(days(missing[0], missing[-1]), mine, strict=True):
                    if day in built:
                        merge(built[day], partial)
            settled = [(d, p) for d, p in built.items()
                       if all(shipped is not None and d < shipped
                              for _last, shipped in known.values())]
            newest = max(event for event, _day in known.values())
            self._keep(MERGED, merged_key, newest, settled)
            kept.update(built)
        return [kept[d] for d in days(first, last)]

    # -- one site's days ------------------------------------------------------------------

    def _partials(self, site: str, shipped: tuple[int, date | None], first: date,
                  last: date, filters: Filters,
                  kept: dict[date, Partial] | None = None) -> list[Partial]:
        """The site's day partials, oldest first: kept ones read (or given: `_kept_all`),
        the rest computed."""
        key = filters_key(self.settings, filters)
        if kept is None:
            kept = self._kept_all([site], first, last, key).get(site, {})
        missing = [d for d in days(first, last) if d not in kept]
        if missing:
            last_event, shipped_day = shipped
            built = self._build(site, missing, filters)
            self.built += len(built)
            settled = [(d, p) for d, p in built.items()
                       if shipped_day is not None and d < shipped_day]
            self._keep(site, key, last_event, settled)
            kept.update(built)
        return [kept[d] for d in days(first, last)]

    def _kept_all(self, sites: list[str], first: date, last: date,
                  key: str) -> dict[str, dict[date, Partial]]:
        """The kept partials of these sites' days, in one query (a hundred sites' month is
        3,100 rows: one round trip, not a hundred)."""
        kept: dict[str, dict[date, Partial]] = {site: {} for site in sites}
        with self.pg.cursor(binary=False) as cur:
            cur.execute("SELECT site, day, partial::text FROM report_partials"
                        " WHERE site = ANY(%s) AND day BETWEEN %s AND %s AND filters_key = %s",
                        (sites, first, last, key))
            for site, day, text in cur:
                kept[site][day] = partial_from_json(text)
        return kept

    def _build(self, site: str, wanted: list[date], filters: Filters) -> dict[date, Partial]:
        """The engine's partials of `wanted` days, on the site's rows in a scratch store."""
        with scratch(self.settings) as store:
            self._load(store, site, wanted[0], wanted[-1])
            engine = Engine(store, self.settings)
            return {day: engine.day(day, filters) for day in wanted}

    def overview(self, site: str = ALL, *, progress: Progress | None = None,
                 **q: Unpack[Question]) -> dict[str, Any]:
        """The admin's Statistics and Charts (`kiosk.reports.overview`'s object) for `site`
        or all: each site's rows of the range in a scratch store of its own, the days
        merged across them (`overview_merged`). Nothing kept: a reading for a screen."""
        first, last, _filters = question(q)
        try:
            known = self.sites()
            chosen = self._chosen(site, known)
            with ExitStack() as stack:
                stores = []
                for one in chosen:
                    store = stack.enter_context(scratch(self.settings))
                    self._load(store, one, first, last)
                    stores.append(store)
                rep = overview_merged(stores, self.settings, progress=progress, **q)
        except psycopg.Error as exc:
            raise explain(exc, self.url) from None
        rep["report"] = {"site": site, **rep["report"]}
        return rep

    def _chosen(self, site: str, known: dict[str, tuple[int, date | None]]) -> list[str]:
        if site != ALL and site not in known:
            names = ", ".join(known) or "none yet"
            raise UsageError(f'the centre knows no site "{site}" (it knows: {names})')
        return list(known) if site == ALL else [site]

    def _load(self, store: Store, site: str, first: date, last: date) -> None:
        """The site's rows of local days `first`..`last` into a fresh scratch store."""
        tz = self.settings.site.tz
        start_at, end_at = clk.day_bounds_utc(first, tz)[0], clk.day_bounds_utc(last, tz)[1]
        rows = self.pg.execute(_TICKETS_SQL, (site, first, last)).fetchall()
        tickets = [_ticket(r) for r in rows]
        slots = {r[0]: (_iso(r[18]), r[19]) for r in rows if r[19] is not None}
        bookings = [(bid, service, day, start, end, clk.iso(slot_at),
                     need if need is not None else ("priority" if priority else None), lang,
                     state, clk.iso(created), _iso(checked_in), _iso(cancelled), ticket_id)
                    for (bid, service, day, start, end, slot_at, need, priority, lang, state,
                         created, checked_in, cancelled, ticket_id)
                    in self.pg.execute(_BOOKINGS_SQL, (site, first, last))]
        events = [_event(r) for r in self.pg.execute(
            _TICKET_EVENTS_SQL, (site, start_at, site, first, last))]
        kinds = list(COUNTER_KINDS)
        events += [_event(r) for r in self.pg.execute(
            _COUNTER_EVENTS_SQL, (site, kinds, start_at, end_at, site, kinds, start_at))]
        events.sort(key=lambda e: e.id)
        store.receive(events, tickets, slots, bookings)

    def _keep(self, site: str, key: str, last_event: int,
              items: list[tuple[date, Partial]]) -> None:
        """Keep settled days' partials (derived data: a read-only user keeps none)."""
        if not items:
            return
        try:
            with self.pg.transaction(), self.pg.cursor() as cur:
                cur.executemany(
                    "INSERT INTO report_partials (site, day, filters_key, partial, last_event)"
                    " VALUES (%s, %s, %s, %s::jsonb, %s) ON CONFLICT (site, day, filters_key)"
                    " DO UPDATE SET partial = excluded.partial, built_at = now(),"
                    " last_event = excluded.last_event",
                    [(site, day, key, partial_json(p), last_event) for day, p in items])
        except psycopg.errors.InsufficientPrivilege:
            pass


@contextmanager
def scratch(settings: Settings) -> Iterator[Store]:
    """A fresh store in a temporary folder, gone afterwards."""
    with tempfile.TemporaryDirectory(prefix="kiosk-central-") as folder:
        store = Store(settings, path=Path(folder) / "site.db")
        try:
            yield store
        finally:
            store.close()


def central_report(url: str, settings: Settings, site: str = ALL,
                   **q: Unpack[Question]) -> dict[str, Any]:
    """`kiosk report --central URL --site SITE`: see `CentralReports.report`."""
    with CentralReports(url, settings) as reports:
        return reports.report(site, **q)


__all__ = ["ALL", "CentralReports", "central_report", "filters_key", "scratch"]
