"""The serve-time report for a range of local dates, and the admin's overview of it (the
report plus the series its charts draw, computed in the same pass).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Required, TypedDict

from typing_extensions import Unpack

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.exceptions import UsageError
from kiosk.reports.cache import Cache, days, month_end
from kiosk.reports.engine import BIN_S, Acc, Engine, Filters, Partial, merge
from kiosk.reports.summary import finish, standard_met, within_share
from kiosk.rows import CLASSES
from kiosk.store.schema import INDEXED_KINDS_SQL

if TYPE_CHECKING:
    from kiosk.store import Store

Progress = Callable[[int, int], None]
"""progress(done, total): called after each local day (or chunk) a long read has finished."""


def parse_day(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f'{what} must be a local date YYYY-MM-DD, got "{text}"') from None


class Question(TypedDict, total=False):
    """What every report is asked, as keywords (the options of `kiosk report`)."""

    date_from: Required[str]
    """The first local date, YYYY-MM-DD (the site's time zone)."""
    date_to: Required[str]
    """The last local date, inclusive."""
    service: str | None
    """Only the segments in this service's queue (a prefix)."""
    counter: int | None
    """Only the segments this counter called."""
    priority: bool | None
    """True: the priority class only; False: the regular class only."""


def question(q: Question) -> tuple[date, date, Filters]:
    """The checked dates and the filters, as every report reads its keywords."""
    unknown = set(q) - set(Question.__annotations__)
    if unknown:
        raise TypeError(f"unexpected report keyword(s): {', '.join(sorted(unknown))}")
    date_from, date_to = q["date_from"], q["date_to"]
    first = parse_day(date_from, "--from")
    last = parse_day(date_to, "--to")
    if last < first:
        raise UsageError(f"--to ({date_to}) is before --from ({date_from})")
    service = q.get("service")
    return first, last, Filters(service.upper() if service else None, q.get("counter"),
                                q.get("priority"))


def head(first: date, last: date, settings: Settings, filters: Filters) -> dict[str, Any]:
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "timezone": settings.site.timezone,
        "filters": {"service": filters.service, "counter": filters.counter,
                    "priority": filters.priority},
    }


def report(store: Store, settings: Settings, **q: Unpack[Question]) -> dict[str, Any]:
    """The serve-time report for local dates `date_from`..`date_to` (inclusive, YYYY-MM-DD,
    in the site's time zone), exactly the JSON of `kiosk report --format json`.

    Filters (`Question`): `service` (a prefix: segments in that queue), `counter` (segments
    that counter called), `priority` (True: priority class only, False: regular only).
    Returns {"from",
    "to", "timezone", "filters", "overall", "by_service", "by_counter", "by_hour",
    "by_class"}; each group has issued, called, served, no_show, expired, cancelled,
    transferred, open, wait_min {n, mean, median, p90, p95, max}, service_min {n, mean,
    median, p90, max}, judged, within_target (0..1 or None), target_met (bool or None),
    overtakes; counters also busy_min, open_min, utilisation; every group also `by_arrival`
    (its appointment and walk-in parts, each with a class's fields); and "appointments"
    (booked, cancelled, checked_in, late, no_show, pending, offered, slot_utilisation,
    punctuality_min {n, mean, median, p90, max}, punctual, punctual_share,
    punctual_target_min, by_service). Minutes are rounded to 0.01 (percentiles are exact to
    0.1). See kiosk.reports for each definition. Settled days are cached in `report_cache`
    (unfiltered only).
    """
    first, last, filters = question(q)
    partial = _collect(store, settings, first, last, filters)
    return finish(partial, settings, head(first, last, settings, filters))


def _collect(store: Store, settings: Settings, first: date, last: date,
             filters: Filters) -> Partial:
    engine = Engine(store, settings)
    total: Partial = {}
    if filters.any:
        for day in days(first, last):
            merge(total, engine.day(day, filters))
        return total
    cache = Cache(store, settings)
    pending: list[tuple[str, Partial]] = []
    day = first
    while day <= last:
        end = month_end(day)
        if day.day == 1 and end <= last:
            period = day.isoformat()[:7]
            cached = cache.get(period)
            if cached is None and cache.settled(day, end):
                cached = {}
                for d in days(day, end):
                    merge(cached, _day_partial(engine, cache, d, pending))
                pending.append((period, cached))
            if cached is not None:
                merge(total, cached)
                day = end + timedelta(days=1)
                continue
        merge(total, _day_partial(engine, cache, day, pending))
        day += timedelta(days=1)
    cache.put_many(pending)
    return total


def _day_partial(engine: Engine, cache: Cache, day: date,
                 pending: list[tuple[str, Partial]]) -> Partial:
    period = day.isoformat()
    cached = cache.get(period)
    if cached is not None:
        return cached
    partial = engine.day(day, Filters())
    if cache.settled(day, day):
        pending.append((period, partial))
    return partial


# -- the admin's overview -------------------------------------------------------------------


def _calls_by_hour(store: Store, settings: Settings, first: date, last: date,
                   filters: Filters) -> Counter[int]:
    """Calls made on local days `first`..`last` by local hour of the call (not of the queue
    time, as `by_hour`): one per called segment, so the total equals the report's `called`.

    One query per run of days with the same UTC offset (one for most zones, a few around
    DST changes). Whole-hour offsets group on the stored UTC hour and shift it here, which
    the (kind, at) index answers alone; other offsets convert each time in SQLite."""
    tz = settings.site.tz
    spans: list[tuple[date, date, timedelta]] = []
    for day in days(first, last):
        offset = datetime.combine(day, time(12), tz).utcoffset() or timedelta(0)
        if spans and spans[-1][2] == offset:
            spans[-1] = (spans[-1][0], day, offset)
        else:
            spans.append((day, day, offset))
    calls: Counter[int] = Counter()
    for start, end, offset in spans:
        minutes = int(offset.total_seconds()) // 60
        whole = minutes % 60 == 0
        hour = ("substr(e.at, 12, 2)" if whole
                else "strftime('%H', e.at, '" + f"{minutes:+d} minutes" + "')")
        sql = (f"SELECT {hour}, COUNT(*) FROM events e"
               + (" JOIN tickets t ON t.id = e.ticket_id" if filters.priority is not None
                  else "")
               + f" WHERE e.kind = 'called' AND e.at >= ? AND e.at < ? AND e.{INDEXED_KINDS_SQL}")
        params: list[Any] = [clk.day_bounds_utc(start, tz)[0], clk.day_bounds_utc(end, tz)[1]]
        if filters.counter is not None:
            sql += " AND e.counter = ?"
            params.append(filters.counter)
        if filters.service is not None:
            sql += " AND json_extract(e.detail, '$.service') = ?"
            params.append(filters.service)
        if filters.priority is not None:
            sql += " AND (t.need IS NOT NULL) = ?"
            params.append(int(filters.priority))
        for h, n in store.conn.execute(sql + " GROUP BY 1", params):
            local = (int(h) + minutes // 60) % 24 if whole else int(h)
            calls[local] += int(n)
    return calls


def overview(store: Store, settings: Settings, *, progress: Progress | None = None,
             **q: Unpack[Question]) -> dict[str, Any]:
    """`report(...)` for the range (the same object, the same numbers) under "report", plus:

    - "days": per local day {"day", "issued", "served", "judged": [priority, regular],
      "within": [priority, regular], "within_target": [priority, regular] (the share, or
      None), "target_met" (every judged class reached its standard; None: none judged)};
    - "calls_by_hour": {local hour of the call: calls} (arrivals by hour are the report's
      `by_hour` `issued`);
    - "wait_hist": {"priority"|"regular": {whole minutes waited: segments}} over every
      called segment of the class.

    Unfiltered, settled days come from the report cache (and are put there); filtered, each
    day is computed once and the report is merged from those same partials."""
    first, last, filters = question(q)
    total_days = (last - first).days + 1
    series: list[dict[str, Any]] = []
    hist: dict[str, Counter[int]] = {cls: Counter() for cls in CLASSES}
    total: Partial = {}
    engine = Engine(store, settings)
    cache = None if filters.any else Cache(store, settings)
    pending: list[tuple[str, Partial]] = []
    for i, day in enumerate(days(first, last)):
        if cache is None:
            partial = engine.day(day, filters)
            merge(total, partial)
        else:
            cached = cache.get_series(day.isoformat())
            partial = (cached if cached is not None
                       else _day_partial(engine, cache, day, pending))
        series.append(_day_row(day, partial, settings))
        _add_hist(hist, partial)
        if progress is not None:
            progress(i + 1, total_days)
    if cache is not None:
        cache.put_many(pending)
    calls = _calls_by_hour(store, settings, first, last, filters)
    if filters.any:
        rep = finish(total, settings, head(first, last, settings, filters))
    else:
        rep = report(store, settings, date_from=first.isoformat(), date_to=last.isoformat())
    return {"report": rep, "days": series, "calls_by_hour": dict(sorted(calls.items())),
            "wait_hist": _per_minute(hist)}


def overview_merged(stores: list[Store], settings: Settings, *,
                    progress: Progress | None = None,
                    **q: Unpack[Question]) -> dict[str, Any]:
    """`overview`'s object over several stores together (the centre's sites, each read back
    into a scratch store: kiosk.central.report): each day's partials are merged across the
    stores before anything is finished, as `kiosk report --central --site all` merges; no
    cache (scratch stores live for one reading)."""
    first, last, filters = question(q)
    total_days = (last - first).days + 1
    engines = [Engine(store, settings) for store in stores]
    series: list[dict[str, Any]] = []
    hist: dict[str, Counter[int]] = {cls: Counter() for cls in CLASSES}
    total: Partial = {}
    for i, day in enumerate(days(first, last)):
        partial: Partial = {}
        for engine in engines:
            merge(partial, engine.day(day, filters))
        merge(total, partial)
        series.append(_day_row(day, partial, settings))
        _add_hist(hist, partial)
        if progress is not None:
            progress(i + 1, total_days)
    calls: Counter[int] = Counter()
    for store in stores:
        calls.update(_calls_by_hour(store, settings, first, last, filters))
    return {"report": finish(total, settings, head(first, last, settings, filters)),
            "days": series, "calls_by_hour": dict(sorted(calls.items())),
            "wait_hist": _per_minute(hist)}


def _day_row(day: date, partial: Partial, settings: Settings) -> dict[str, Any]:
    """One day of `overview`'s "days"."""
    overall = partial.get(("overall", ""), Acc())
    judged, within = list(overall.judged), list(overall.within)
    return {"day": day.isoformat(), "issued": overall.counts["issued"],
            "served": overall.counts["served"], "judged": judged, "within": within,
            "within_target": [within_share(w, j) for w, j in zip(within, judged, strict=True)],
            "target_met": standard_met(within, judged, settings)}


def _add_hist(hist: dict[str, Counter[int]], partial: Partial) -> None:
    for cls in CLASSES:
        acc = partial.get(("class", cls))
        if acc is not None:
            hist[cls].update(acc.wait_hist)


def _per_minute(hist: dict[str, Counter[int]]) -> dict[str, dict[int, int]]:
    """The wait histogram's bins as whole minutes waited."""
    per_minute: dict[str, dict[int, int]] = {}
    for cls, bins in hist.items():
        minutes: Counter[int] = Counter()
        for key, n in bins.items():
            minutes[int(key * BIN_S // 60)] += n
        per_minute[cls] = dict(sorted(minutes.items()))
    return per_minute
