"""Serve-time statistics from the append-only event log (issue 4; domain.md "Metrics").

Everything is derived from the store's rows through the `serve_times` view (schema 2): one
row per ticket and queue segment. A transfer ends a segment and starts another in the new
service's queue, so each queue is measured on its own.

Definitions (the admin screen and `kiosk report` share them):
- A ticket belongs to the local day it was issued on (`tickets.day`, the site's time zone);
  `date_from`/`date_to` are inclusive local dates. A segment's hour is the local hour its
  queue time began.
- Groups: overall, by service (the segment's queue), by counter (the counter that called the
  segment; never-called segments belong to none), by hour, by class (priority = a ticket with
  a need, as it stands after any reclassification).
- issued = tickets issued (first segments); served = segments finished (`done`);
  no_show / expired / cancelled / transferred = segments that ended so; open = still waiting,
  called or serving; called = segments that were called.
- wait = queue -> call, over every called segment (no-shows included: they waited to be
  called); service = call -> finish, over served segments.
- within_target = share of judged segments called within their class's `wait_min`. Judged:
  every called segment plus every expired one; no-shows and expired tickets count as not
  within target. Not judged: segments still waiting, cancelled or transferred before a call.
  target_met: every class present in the group reaches its `share` (None: nothing judged).
- overtakes: for each called segment X, the segments Y of the services X's counter serves
  (same day) that joined a queue after X and were called before X; summed over the group.
- utilisation (counters): time from call to the end of each segment the counter called,
  divided by the time the counter was open (counter_opened/resumed until paused/closed;
  sign-in opens a counter and sign-out closes it, so these four events carry the staff's
  time). A counter left open is counted until the day's closing hour or its last patron,
  whichever is later.
- Percentiles are linear interpolation between order statistics (as numpy's default), taken
  over waits rounded to 6 seconds (0.1 minute, the precision the report shows); means and
  maxima are exact.

Appointments (issue 26; design §14). Added keys only: every key above keeps its meaning.
- Arrival: a ticket is an *appointment* when it was checked in for its booked slot within
  the grace (`tickets.slot_at` set); every other ticket is a *walk-in*, a late check-in
  included (it is a walk-in ticket). Every group (overall, each of by_service, by_counter,
  by_hour, by_class) has `by_arrival`: [{"arrival": "appointment", ...}, {"arrival":
  "walk_in", ...}], each with the fields of a class above (issued ... overtakes; no
  busy/open/utilisation: a counter's open time is the counter's). The two parts add up to
  the group, count by count. Without appointments the walk-in part is the group itself and
  the appointment part zeros (its statistics None).
- `appointments` (top level): the bookings for the slots of the period's days (by the
  booking's day, like a ticket's): `booked` (all made, cancelled ones included),
  `cancelled`, `checked_in` (within the grace or `late`), `late` (checked in after the
  grace: a walk-in ticket), `no_show` (neither cancelled nor checked in, the day over),
  `pending` (the same, its day not over yet): booked = cancelled + checked_in + no_show +
  pending. `offered`: the places the config's slot rules give the period's days (each
  bookable service's slots times `per_slot`, none on a [[closed]] day; computed from the
  config, as every report's config is the current one); `slot_utilisation` = (booked -
  cancelled) / offered (None when nothing is offered). `punctuality_min` {n, mean, median,
  p90, max}: an appointment's first call minus its slot's start, in minutes (negative:
  called before the slot began), over the appointment tickets called; `punctual`: those
  called at most [booking] `punctual_min` after the slot's start, `punctual_share` =
  punctual / n; `punctual_target_min`. `by_service`: the same per bookable service
  (`service`, `name`). Filters: `service` and `priority` (the booking's declared need)
  apply to bookings; a booking is no counter's, so with `counter` the booking counts,
  `offered` and `slot_utilisation` are None and the punctuality is that of the counter's
  calls.
- Mergeable as the rest: each group's parts are `Acc`s under ("KIND:appointment"|
  "KIND:walk_in", key), present only for groups that had an appointment (a day without
  any keeps exactly the entries it had before bookings existed); each service's bookings
  an `Appt` under ("appointments", service), its punctuality a histogram (6 s bins), so a
  merge of days or of sites takes percentiles from the merged histogram.

Speed: a settled day (in the past, nothing left waiting, called or serving) can no longer
change, so its partial aggregate is cached in `report_cache`, and a settled calendar month
too; a report merges cached periods and computes only the rest. Filtered reports are always
computed from the rows.

Rooms: `engine.py` (one day's rows to partial aggregates), `summary.py` (partials to
figures: percentiles, within target, the standard), `cache.py`, `report.py` (`report`, the
admin's `overview`), `export.py` (CSV, the event log), `serve_log.py` (the log by label);
`survey.py` is the satisfaction survey's report (issue 24) and its publication table.
The engine reads the store's connection (the one place outside kiosk/store that may); it
writes nothing but the cache, and that through the store.
"""

from __future__ import annotations

from kiosk.reports.engine import BIN_S, COUNT_FIELDS, KINDS, Acc, Filters
from kiosk.reports.export import CSV_COLUMNS, EXPORT_COLUMNS, export_events, rows, to_csv
from kiosk.reports.report import Progress, overview, parse_day, report
from kiosk.reports.serve_log import LOG_COLUMNS, log_page, log_rows
from kiosk.reports.summary import standard_met, within_share
from kiosk.rows import CLASSES

__all__ = [
    "BIN_S",
    "CLASSES",
    "COUNT_FIELDS",
    "CSV_COLUMNS",
    "EXPORT_COLUMNS",
    "KINDS",
    "LOG_COLUMNS",
    "Acc",
    "Filters",
    "Progress",
    "export_events",
    "log_page",
    "log_rows",
    "overview",
    "parse_day",
    "report",
    "rows",
    "standard_met",
    "to_csv",
    "within_share",
]
