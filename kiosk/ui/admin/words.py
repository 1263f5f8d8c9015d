"""The admin screen's words (English: it is not patron-facing) and how a name is cut."""

from __future__ import annotations

from typing import Any

# -- words ---------------------------------------------------------------------------------

WORDS: dict[str, str] = {
    "title": "{site} — admin",
    "signed_in_as": "signed in: {name}",
    "sign_in_title": "Admin sign-in",
    "locked_title": "Admin: locked after {minutes} minutes without use",
    "locked_hint": "{name}, type your PIN and press Enter to go on.",
    "unlock": "Unlock",
    "sign_in_hint": "Type an admin name and PIN, then Enter.",
    "name": "admin name",
    "pin": "PIN",
    "sign_in": "Sign in",
    "needs_name": "Type the admin name first.",
    "tab_today": "Today",
    "tab_stats": "Statistics",
    "tab_charts": "Charts",
    "tab_log": "Log",
    "from": "from YYYY-MM-DD",
    "to": "to YYYY-MM-DD",
    "all_services": "all services",
    "all_counters": "all counters",
    "all_classes": "both classes",
    "show": "Show",
    "loading": "reading {days} day(s)…",
    "range": "{first} .. {last} · {days} day(s) · {issued:,} tickets{filters}",
    "today": "Today {day} · {time}",
    "classes": "Waits against target, by class",
    "services": "Waiting now, by service",
    "counters": "Counters",
    "devices": "Printers and announcer",
    "overall_class": "Overall and by class",
    "by_service": "By service",
    "by_counter": "By counter",
    "by_hour": "By hour (local hour the queue time began)",
    "search": "label, e.g. A012",
    "prev": "◀ Newer",
    "next": "Older ▶",
    "page": "page {page} of {pages} · {tickets:,} ticket(s){search}",
    "export_title": "Export: {view}, {what}",
    "export_folder": "folder",
    "export": "Export",
    "close": "Close",
    "cancel": "Cancel",
    "exported": "✔ written: {files}",
    "export_failed": "⚠ not written: {error}",
    "purge_title": "Purge history (retention)",
    "purge_hint": ("Deletes every ticket of the local days before this date, their events and "
                   "older counter and device events. The purge itself is logged."),
    "purge_before": "before YYYY-MM-DD",
    "review": "Review",
    "purge_summary": ("{tickets:,} ticket(s) and {events:,} event(s) before {before} will be "
                      "deleted{since}. This cannot be undone."),
    "purge_nothing": "Nothing is older than {before}: nothing to delete.",
    "purge_confirm": "Delete {tickets:,} ticket(s)",
    "purged": "✔ purged {tickets:,} ticket(s) and {events:,} event(s) before {before}",
    "no_printer": "no printer is configured",
    "error": "⚠ {error}",
    "store_trouble": "⚠ The store cannot be read: {error}. Today's figures may be old; this"
                     " screen tries again by itself.",
    "store_back": "✔ The store can be read again.",
}


def w(key: str, **values: Any) -> str:
    return WORDS[key].format(**values)


NONE = "–"
VIEWS = ("today", "stats", "charts", "log")
NAME_CHARS = 14
"""Service and counter names are cut to this many characters in tables and lists."""


def short(name: str, most: int = NAME_CHARS) -> str:
    return name if len(name) <= most else name[: most - 1].rstrip() + "…"
