"""One log line per request at info: method, the route's template, status and time.

The template (`/t/{token}`, `/api/v1/tickets/{token}/stream`), never the path itself, and
never the query or the body: a token grants power over a ticket, and a need travels only in
bodies. Only a refused request (401, 403, 429) names its client's address, which is what an
operator looking for a misconfigured counter PC needs; nobody else's is kept.
"""

from __future__ import annotations

import logging
import time

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("kiosk.web.requests")

REFUSED = frozenset({401, 403, 429})


def shown_path(scope: Scope) -> str:
    """What a log line may say of the address asked for."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template is None:
        return "(no such address)"
    if isinstance(route, Mount):  # the static files: a file's name is all there is
        return str(scope.get("path", template))
    return str(template)


class RequestLog:
    """Plain ASGI around the whole application (it sees every route and every refusal)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def noting(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = int(message["status"])
            elif kind == "websocket.accept":
                status = 101
            elif kind in ("websocket.close", "websocket.http.response.start") and not status:
                status = int(message.get("status", 403))
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            method = scope.get("method", "WS")
            ms = (time.perf_counter() - started) * 1000
            client = scope.get("client")
            who = f" from {client[0]}" if status in REFUSED and client else ""
            log.info("%s %s %s %.1f ms%s", method, shown_path(scope), status or "-", ms, who)
