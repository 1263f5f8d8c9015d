"""The serve-time log as the admin reads and exports it: one row per ticket and queue
segment (the `serve_times` view), found by ticket label, never by need: rows carry the
class only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from typing_extensions import Unpack

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.reports.cache import days
from kiosk.reports.engine import Filters
from kiosk.reports.report import Progress, Question, question
from kiosk.rows import CLASSES

if TYPE_CHECKING:
    from kiosk.store import Store

LOG_COLUMNS = (
    "day", "label", "segment", "service", "class", "counter", "outcome", "queued", "called",
    "ended", "wait_min", "service_min",
)
"""The serve-time log as the admin screen shows and exports it (local times HH:MM:SS)."""


def _local_time(text: str | None, tz: Any) -> str | None:
    return None if text is None else clk.parse(text).astimezone(tz).strftime("%H:%M:%S")


def _log_row(row: dict[str, Any], tz: Any) -> dict[str, Any]:
    """A serve_times row as the log shows it: the class, never the need."""
    wait, service = row["wait_s"], row["service_s"]
    return {
        "day": row["day"], "label": row["label"], "segment": row["segment"],
        "service": row["service"], "class": CLASSES[0] if row["priority"] else CLASSES[1],
        "counter": row["counter"], "outcome": row["outcome"],
        "queued": _local_time(row["queued_at"], tz), "called": _local_time(row["called_at"], tz),
        "ended": _local_time(row["ended_at"], tz),
        "wait_min": None if wait is None else round(wait / 60.0, 1),
        "service_min": None if service is None else round(service / 60.0, 1),
    }


def _label_pattern(label: str | None) -> str | None:
    text = (label or "").strip().upper()
    if not text:
        return None
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _log_where(first: date, last: date, filters: Filters,
               label: str | None) -> tuple[str, list[Any]]:
    """Tickets with at least one segment the filters keep (a transfer leaves a segment in
    the old queue, called by the old counter: its `transferred` event says which)."""
    where = "t.day BETWEEN ? AND ?"
    params: list[Any] = [first.isoformat(), last.isoformat()]
    earlier = ("EXISTS (SELECT 1 FROM events x WHERE x.ticket_id = t.id"
               " AND +x.kind = 'transferred' AND {})")
    if filters.priority is not None:
        where += " AND t.need IS NOT NULL" if filters.priority else " AND t.need IS NULL"
    pattern = _label_pattern(label)
    if pattern is not None:
        where += " AND t.label LIKE ? ESCAPE '\\'"
        params.append(pattern)
    if filters.service is not None:
        where += " AND (t.service = ? OR " + earlier.format(
            "json_extract(x.detail, '$.from') = ?") + ")"
        params += [filters.service, filters.service]
    if filters.counter is not None:
        where += " AND (t.counter = ? OR " + earlier.format("x.counter = ?") + ")"
        params += [filters.counter, filters.counter]
    return where, params


def _segments(conn: sqlite3.Connection, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    cur = conn.execute(
        f"SELECT * FROM serve_times WHERE ticket_id IN ({', '.join('?' for _ in ids)})"
        " ORDER BY day DESC, ticket_id DESC, segment", ids)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def log_page(store: Store, settings: Settings, *, label: str | None = None, page: int = 0,
             per_page: int = 100, **q: Unpack[Question]) -> dict[str, Any]:
    """One page of the serve-time log, newest ticket first: {"tickets" (how many match),
    "page", "pages", "rows"} where rows are LOG_COLUMNS dicts, one per queue segment the
    filters keep. `label` matches any part of a ticket label, case-insensitively."""
    first, last, filters = question(q)
    where, params = _log_where(first, last, filters, label)
    tz = settings.site.tz
    conn = store.conn
    matched = int(conn.execute(f"SELECT COUNT(*) FROM tickets t WHERE {where}",
                               params).fetchone()[0])
    pages = max(1, -(-matched // per_page))
    page = min(max(page, 0), pages - 1)
    ids = [r[0] for r in conn.execute(
        f"SELECT t.id FROM tickets t WHERE {where} ORDER BY t.day DESC, t.id DESC"
        " LIMIT ? OFFSET ?", [*params, per_page, page * per_page])]
    segments = _segments(conn, ids)
    rows = [_log_row(r, tz) for r in segments if filters.keep(r)]
    return {"tickets": matched, "page": page, "pages": pages, "rows": rows}


def log_rows(store: Store, settings: Settings, *, label: str | None = None,
             progress: Progress | None = None,
             **q: Unpack[Question]) -> Iterator[dict[str, Any]]:
    """Every row of the serve-time log in the range, oldest first, one local day at a time
    (for exports: memory stays flat over a year)."""
    first, last, filters = question(q)
    pattern = (label or "").strip().upper()
    tz = settings.site.tz
    total = (last - first).days + 1
    for i, day in enumerate(days(first, last)):
        cur = store.conn.execute("SELECT * FROM serve_times WHERE day = ?"
                                 " ORDER BY ticket_id, segment", (day.isoformat(),))
        names = [d[0] for d in cur.description]
        for values in cur.fetchall():
            row = dict(zip(names, values, strict=True))
            if filters.keep(row) and pattern in row["label"]:
                yield _log_row(row, tz)
        if progress is not None:
            progress(i + 1, total)
