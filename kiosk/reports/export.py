"""Reports as files: the report as CSV (one flat row per group) and the event log itself
as CSV or JSON, with a need replaced by its class (needs are health data).
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any, TextIO

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.exceptions import UsageError
from kiosk.reports.engine import COUNT_FIELDS
from kiosk.reports.report import question
from kiosk.rows import redacted

if TYPE_CHECKING:
    from kiosk.store import Store

CSV_COLUMNS = (
    "group", "key", "name", *COUNT_FIELDS,
    "wait_n", "wait_mean_min", "wait_median_min", "wait_p90_min", "wait_p95_min",
    "wait_max_min", "service_n", "service_mean_min", "service_median_min",
    "service_p90_min", "service_max_min", "judged", "within_target", "target_met",
    "overtakes", "busy_min", "open_min", "utilisation",
    # issue 26: a group's tickets by arrival, and the bookings (rows only where there are)
    "arrival", "booked", "booking_cancelled", "checked_in", "late", "booking_no_show",
    "booking_pending", "offered", "slot_utilisation", "punctuality_n",
    "punctuality_mean_min", "punctuality_median_min", "punctuality_p90_min",
    "punctuality_max_min", "punctual", "punctual_share",
)
BOOKING_COLUMNS = {"booked": "booked", "cancelled": "booking_cancelled",
                   "checked_in": "checked_in", "late": "late", "no_show": "booking_no_show",
                   "pending": "booking_pending", "offered": "offered",
                   "slot_utilisation": "slot_utilisation", "punctual": "punctual",
                   "punctual_share": "punctual_share"}


def _flat(kind: str, key: str, g: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {"group": kind, "key": key, "name": g.get("name", "")}
    for name in COUNT_FIELDS:
        flat[name] = g[name]
    for prefix, part in (("wait", g["wait_min"]), ("service", g["service_min"])):
        for stat, value in part.items():
            flat[f"{prefix}_n" if stat == "n" else f"{prefix}_{stat}_min"] = value
    for name in ("judged", "within_target", "target_met", "overtakes",
                 "busy_min", "open_min", "utilisation"):
        flat[name] = g.get(name)
    return flat


def _bookings_flat(key: str, name: str, figures: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {"group": "appointments", "key": key, "name": name}
    for field, column in BOOKING_COLUMNS.items():
        flat[column] = figures[field]
    for stat, value in figures["punctuality_min"].items():
        flat["punctuality_n" if stat == "n" else f"punctuality_{stat}_min"] = value
    return flat


def rows(rep: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat dict per group (overall first), with the CSV's columns. A group that had
    appointment tickets is followed by its two parts (group "KIND:appointment" and
    "KIND:walk_in", column `arrival`); a period with bookings ends with the `appointments`
    rows (key "": all services, then each service)."""
    out = []
    groups: list[tuple[str, str, dict[str, Any]]] = [("overall", "", rep["overall"])]
    for kind, key_name, items in (
        ("service", "service", rep["by_service"]),
        ("counter", "counter", rep["by_counter"]),
        ("hour", "hour", rep["by_hour"]),
        ("class", "class", rep["by_class"]),
    ):
        groups.extend((kind, str(g[key_name]), g) for g in items)
    for kind, key, g in groups:
        out.append(_flat(kind, key, g))
        parts = g.get("by_arrival", [])
        if any(p["arrival"] == "appointment" and any(p[n] for n in COUNT_FIELDS)
               for p in parts):
            for part in parts:
                flat = _flat(f"{kind}:{part['arrival']}", key, part)
                flat["name"] = g.get("name", "")
                flat["arrival"] = part["arrival"]
                out.append(flat)
    booked = rep.get("appointments")
    if booked and (booked["booked"] or booked["punctuality_min"]["n"]):
        out.append(_bookings_flat("", "", booked))
        out.extend(_bookings_flat(s["service"], s["name"], s) for s in booked["by_service"])
    return out


def to_csv(rep: dict[str, Any]) -> str:
    """The report as CSV: a header, then one flat row per group (overall, each service,
    counter, hour and class), so it opens in a spreadsheet as it is. Empty cell = none."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for flat in rows(rep):
        writer.writerow({k: "" if v is None else v for k, v in flat.items()})
    return buffer.getvalue()


EXPORT_COLUMNS = ("id", "at", "kind", "ticket_id", "label", "day", "counter", "actor", "detail")


def _redact(kind: str, detail: str | None) -> str | None:
    """Needs are health data: the export says only whether a ticket is priority."""
    if not detail:
        return detail
    return json.dumps(redacted(kind, json.loads(detail)), ensure_ascii=False)


def export_events(
    store: Store,
    settings: Settings,
    *,
    date_from: str,
    date_to: str,
    fmt: str = "csv",
    out: TextIO | None = None,
) -> str | None:
    """The event log between local dates `date_from` and `date_to` (inclusive), oldest
    first, as CSV (a header and one row per event) or JSON (one object with "events").

    Times stay ISO-8601 UTC as stored. Each row has the ticket's label and local day.
    A need code in `issued`/`reclassified` details is replaced by "priority". Writes to
    `out` and returns None when given, else returns the text."""
    if fmt not in ("csv", "json"):
        raise UsageError(f'--format must be csv or json, got "{fmt}"')
    first, last, _filters = question({"date_from": date_from, "date_to": date_to})
    tz = settings.site.tz
    start_at = clk.day_bounds_utc(first, tz)[0]
    end_at = clk.day_bounds_utc(last, tz)[1]
    buffer = io.StringIO()
    target: TextIO = out if out is not None else buffer
    cur = store.conn.execute(
        "SELECT e.id, e.at, e.kind, e.ticket_id, t.label, t.day, e.counter, e.actor,"
        " e.detail FROM events e LEFT JOIN tickets t ON t.id = e.ticket_id"
        " WHERE e.at >= ? AND e.at < ? ORDER BY e.at, e.id",
        (start_at, end_at),
    )
    if fmt == "csv":
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for row in cur:
            writer.writerow(["" if v is None else v for v in row[:-1]]
                            + [_redact(row[2], row[-1]) or ""])
    else:
        head = {"from": first.isoformat(), "to": last.isoformat(),
                "timezone": settings.site.timezone}
        target.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "events": [')
        sep = ""
        for row in cur:
            item = dict(zip(EXPORT_COLUMNS, row, strict=True))
            detail = _redact(row[2], row[-1])
            item["detail"] = json.loads(detail) if detail else None
            target.write(sep + json.dumps(item, ensure_ascii=False))
            sep = ", "
        target.write("]}\n")
    return None if out is not None else buffer.getvalue()
