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
)


def rows(rep: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat dict per group (overall first), with the CSV's columns."""
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
        flat: dict[str, Any] = {"group": kind, "key": key, "name": g.get("name", "")}
        for name in COUNT_FIELDS:
            flat[name] = g[name]
        for prefix, part in (("wait", g["wait_min"]), ("service", g["service_min"])):
            for stat, value in part.items():
                flat[f"{prefix}_n" if stat == "n" else f"{prefix}_{stat}_min"] = value
        for name in ("judged", "within_target", "target_met", "overtakes",
                     "busy_min", "open_min", "utilisation"):
            flat[name] = g.get(name)
        out.append(flat)
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
