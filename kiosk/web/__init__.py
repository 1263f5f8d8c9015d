"""The web face: `kiosk serve`, one process on one port for the whole lobby (design §10).

- `server.py`: the FastAPI application, its headers, limits and errors; `run()`;
- `screens.py`: the Textual screens, one app process per tab, and their reconnecting page;
- `api.py`: the HTTP API; `hub.py`: the event stream (one poller, many listeners);
- `guard.py`: keys and scopes, staff networks, Origin, rate limits, error statuses;
- `live.py`: pages that follow the queue (one read per batch of events for all of them);
  `board.py`: the web board `/board`; `phone.py`: the ticket's phone page `/t/{token}`;
- `request_log.py`: one log line per request, never a token;
- `pages.py`: the plain pages; `templates/` and `static/` beside them.

Nothing here computes what the screens compute: it reads through kiosk.views and
kiosk.reports and writes through the store's verbs.
"""
