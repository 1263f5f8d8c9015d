"""The admin screen: how the day and the month went, without SQL (design §6, issue 9).

After an admin PIN (`Store.verify_pin(..., need_role="admin")`; the lockout lives in the
store), five views:

- **Today**, live: waiting now per class and service with the oldest wait, served so far,
  today's waits against each class's target, counters, printers and the announcer. A
  `Follower` thread polls `PRAGMA data_version` and re-reads only when someone committed
  (and every few seconds, for what ages by itself).
- **Statistics** for a range of local dates, filtered by service, counter and class: the
  tables of `kiosk report` (the same numbers: `reports.overview` returns `report`'s object),
  sortable by any column (click a header, or `s` on a cell).
- **Charts** of the same range: arrivals and calls by hour, the wait distribution per class
  with its target, the share within target by day, counter utilisation.
- **Log**: the serve-time log itself (one row per ticket and queue segment), paged, searched
  by ticket label.
- **Survey** of the same range: the satisfaction index (IKM) with its category and the
  respondents against the sample the period needs, the nine NRRs as a chart and as the
  regulation's table, the IKM by month, the quick rating apart, the suggestions to read
  (`survey_view.py`; its words are the `[survey_report]` table).

`e` exports the view on show to CSV or JSON into a chosen folder (a progress bar for long
ranges), `p` purges old history after a review and a confirmation (logged by the store with
the admin's name). Readable in both kiosk themes (`t` switches).

Language: the admin's words are the `[admin]` table of kiosk/locales/*.toml, in the site's
first language; `l` switches to the next site language and back, keeping the view, the
filters and what was read (words.py says how the language is kept). Dates are shown the
site's way ("27 Nov 2026", `kiosk.i18n.date_text`); dates typed in a field stay ISO. Exports
keep the store's own words and ISO dates: they are data for other programs.

Personal data: the log shows ticket labels and the class (priority / regular), never the
need behind a priority ticket; exports say the same. Store access never runs on the event
loop: reads for Today on the follower's own Store, everything else on one `StoreThread`.

Rooms: `app.py` (the App, the admin sign-in), `screen.py` (tabs, filter bar, actions), one
module per view (`today.py`, `ranges.py` for Statistics and Charts, `log_view.py`,
`survey_view.py`) on the shared state of `base.py`, `tables.py`, `charts.py`, `export.py`,
`purge.py`, `words.py`, `admin.tcss`.
"""

from __future__ import annotations

from kiosk.ui.admin.app import AdminApp, LoginScreen, run
from kiosk.ui.admin.screen import AdminScreen

__all__ = ["AdminApp", "AdminScreen", "LoginScreen", "run"]
