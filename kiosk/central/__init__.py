"""Many sites, one head office (issue 25): each site ships its append-only event log and its
settled tickets to a central PostgreSQL database, where every row carries the site's id.

- `schema.py`: the central tables (partitioned by month, the site first in every key, so
  they distribute by site on Citus unchanged) and their migrations;
- `connect.py`: the connection, and every fault of it as one plain line;
- `sync.py`: one batch, a run until caught up, and the loop `kiosk sync` runs.

The site's SQLite store stays the truth of its queue: the centre is a copy that never
blocks a kiosk or a counter, and that keeps what a site purges.
"""
