"""Partial aggregates turned into the report's figures, each defined once here: the
percentiles, the share within target and whether the standard was met (the admin's tables,
its charts and its exports all use these).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from kiosk.config import Settings
from kiosk.reports.engine import (
    APPOINTMENTS,
    ARRIVALS,
    BIN_S,
    BOOKING_FIELDS,
    Acc,
    Appt,
    Partial,
    arrival_part,
)
from kiosk.rows import CLASSES


def within_share(within: int, judged: int) -> float | None:
    """The share of judged segments called within their class's target (0..1, 4 places);
    None when nothing was judged."""
    return round(within / judged, 4) if judged else None


def standard_met(within: Sequence[int], judged: Sequence[int],
                 settings: Settings) -> bool | None:
    """Whether every class that was judged ([priority, regular] counts) reaches its own
    standard (`[targets.CLASS] share`); None when neither was judged."""
    shares = (settings.targets.priority.share, settings.targets.regular.share)
    met = [within[i] / judged[i] >= shares[i] - 1e-9 for i in (0, 1) if judged[i]]
    return all(met) if met else None


def _percentile(hist: Counter[int], n: int, p: float) -> float:
    """Linear interpolation between order statistics of the binned values (seconds)."""
    rank = (n - 1) * p
    lo = math.floor(rank)
    frac = rank - lo
    seen = 0
    low_value: float | None = None
    for key in sorted(hist):
        seen += hist[key]
        if low_value is None and seen > lo:
            low_value = key * BIN_S
            if frac == 0 or seen > lo + 1:
                return low_value
        elif low_value is not None:
            return low_value + frac * (key * BIN_S - low_value)
    return low_value if low_value is not None else 0.0


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 2)


def _summary(hist: Counter[int], n: int, total: float, top: float,
             quantiles: Iterable[tuple[str, float]]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": n, "mean": _minutes(total / n) if n else None}
    for name, p in quantiles:
        out[name] = _minutes(_percentile(hist, n, p)) if n else None
    out["max"] = _minutes(top) if n else None
    return out


def _group(acc: Acc, settings: Settings, head: dict[str, Any],
           utilisation: bool = False) -> dict[str, Any]:
    out = dict(head)
    out.update(acc.counts)
    out["wait_min"] = _summary(acc.wait_hist, acc.wait_n, acc.wait_sum, acc.wait_max,
                               (("median", 0.5), ("p90", 0.9), ("p95", 0.95)))
    out["service_min"] = _summary(acc.svc_hist, acc.svc_n, acc.svc_sum, acc.svc_max,
                                  (("median", 0.5), ("p90", 0.9)))
    out["judged"] = sum(acc.judged)
    out["within_target"] = within_share(sum(acc.within), sum(acc.judged))
    out["target_met"] = standard_met(acc.within, acc.judged, settings)
    out["overtakes"] = acc.overtakes
    if utilisation:
        out["busy_min"] = _minutes(acc.busy_s)
        out["open_min"] = _minutes(acc.open_s)
        out["utilisation"] = round(acc.busy_s / acc.open_s, 4) if acc.open_s > 0 else None
    return out


def _by_arrival(partial: Partial, kind: str, key: str,
                settings: Settings) -> list[dict[str, Any]]:
    """A group's tickets split by how they came: [appointment, walk-in], each with the
    fields of a class (no counter's open time: that is the counter's)."""
    return [_group(arrival_part(partial, kind, key, arrival) or Acc(), settings,
                   {"arrival": arrival}) for arrival in ARRIVALS]


def _booking_figures(appt: Appt, counted: bool) -> dict[str, Any]:
    out: dict[str, Any] = {k: appt.counts[k] if counted else None for k in BOOKING_FIELDS}
    taken = appt.counts["booked"] - appt.counts["cancelled"]
    offered = appt.offered
    out["offered"] = offered if counted else None
    out["slot_utilisation"] = round(taken / offered, 4) if counted and offered else None
    out["punctuality_min"] = _summary(appt.hist, appt.n, appt.total, appt.top or 0.0,
                                      (("median", 0.5), ("p90", 0.9)))
    out["punctual"] = appt.punctual
    out["punctual_share"] = within_share(appt.punctual, appt.n)
    return out


def appointments(partial: Partial, settings: Settings, head: dict[str, Any]) -> dict[str, Any]:
    """The report's `appointments`: the bookings for the period's slots and the punctuality
    of the appointment tickets, overall and per service (see kiosk.reports)."""
    lang = settings.default_language
    filters = head["filters"]
    services = list(settings.booking.services)
    services += sorted(k for kind, k in partial if kind == APPOINTMENTS and k not in services)
    if filters["service"] is not None:
        services = [s for s in services if s == filters["service"]]
    counted = filters["counter"] is None  # a booking is no counter's
    total, by_service = Appt(), []
    for prefix in services:
        appt = partial.get((APPOINTMENTS, prefix)) or Appt()
        total.merge(appt)
        try:
            name = settings.service(prefix).name.get(lang, prefix)
        except KeyError:
            name = prefix
        by_service.append({"service": prefix, "name": name,
                           **_booking_figures(appt, counted)})
    out = {"punctual_target_min": settings.booking.punctual_min,
           **_booking_figures(total, counted)}
    out["by_service"] = by_service
    return out


def finish(partial: Partial, settings: Settings, head: dict[str, Any]) -> dict[str, Any]:
    lang = settings.default_language
    empty = Acc()

    def get(kind: str, key: str) -> Acc:
        return partial.get((kind, key), empty)

    def split(group: dict[str, Any], kind: str, key: str) -> dict[str, Any]:
        group["by_arrival"] = _by_arrival(partial, kind, key, settings)
        return group

    services = [s.prefix for s in settings.services]
    services += sorted(k for kind, k in partial if kind == "service" and k not in services)
    by_service = []
    for prefix in services:
        try:
            name = settings.service(prefix).name.get(lang, prefix)
        except KeyError:
            name = prefix
        by_service.append(split(_group(get("service", prefix), settings,
                                       {"service": prefix, "name": name}), "service", prefix))
    counters = [c.id for c in settings.counters]
    counters += sorted(int(k) for kind, k in partial
                       if kind == "counter" and int(k) not in counters)
    by_counter = []
    for cid in counters:
        try:
            name = settings.counter(cid).name.get(lang, str(cid))
        except KeyError:
            name = str(cid)
        by_counter.append(split(_group(get("counter", str(cid)), settings,
                                       {"counter": cid, "name": name}, utilisation=True),
                                "counter", str(cid)))
    hours = sorted(int(k) for kind, k in partial if kind == "hour")
    by_hour = [split(_group(get("hour", str(h)), settings, {"hour": h}), "hour", str(h))
               for h in hours]
    by_class = []
    for cls, target in zip(CLASSES, (settings.targets.priority, settings.targets.regular),
                           strict=True):
        by_class.append(split(_group(get("class", cls), settings,
                                     {"class": cls, "target_wait_min": target.wait_min,
                                      "target_share": target.share}), "class", cls))
    report = dict(head)
    report["overall"] = split(_group(get("overall", ""), settings, {}), "overall", "")
    report["by_service"] = by_service
    report["by_counter"] = by_counter
    report["by_hour"] = by_hour
    report["by_class"] = by_class
    report["appointments"] = appointments(partial, settings, head)
    return report
