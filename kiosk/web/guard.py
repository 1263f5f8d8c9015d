"""Who may do what on the server: API keys and scopes, the staff networks, a websocket's
Origin, the public endpoints' rate limit, and errors as one JSON line.

Every refusal is an `ApiError` (status, one sentence) that the server turns into
`{"error": "..."}`; the store's own named errors map onto statuses in `status_of`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections import deque
from collections.abc import Iterable

from fastapi import Request
from starlette.requests import HTTPConnection

from kiosk.exceptions import (
    IssueRefused,
    KioskError,
    NotAllowed,
    StoreBusy,
    StoreFault,
    UsageError,
    WrongField,
)
from kiosk.rows import ApiKey
from kiosk.store import Store
from kiosk.store.thread import StoreThread


class ApiError(Exception):
    """A refusal: `status` and one sentence for `{"error": ...}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def status_of(exc: KioskError) -> int:
    """The HTTP status of a store's named error."""
    if isinstance(exc, (StoreBusy, StoreFault)):
        return 503
    if isinstance(exc, WrongField):
        return 422  # a field's value is malformed, or none of its choices
    if isinstance(exc, UsageError):
        return 404  # names something that does not exist: a counter, a service, a label
    if isinstance(exc, (NotAllowed, IssueRefused)):
        return 409
    return 409


class Networks:
    """The networks whose browsers may open the staff, admin and patron screens."""

    def __init__(self, networks: Iterable[str]) -> None:
        self.networks = [ipaddress.ip_network(n, strict=False) for n in networks]

    def allows(self, conn: HTTPConnection) -> bool:
        host = conn.client.host if conn.client else None
        if host is None:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


def same_origin(conn: HTTPConnection, public_url: str) -> bool:
    """A websocket's Origin is this server as the browser reached it (its Host header) or
    the configured public address; a page from anywhere else may not drive a screen."""
    origin = conn.headers.get("origin")
    if not origin:
        return False
    host = conn.headers.get("host", "")
    allowed = {f"http://{host}", f"https://{host}"}
    if public_url:
        allowed.add(public_url)
    return origin.rstrip("/") in allowed


class RateLimit:
    """At most `per_minute` requests a minute from one client address (a sliding
    window); the public endpoints use it."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}

    def check(self, request: Request) -> None:
        host = request.client.host if request.client else "?"
        now = time.monotonic()
        seen = self._seen.setdefault(host, deque())
        while seen and now - seen[0] > 60:
            seen.popleft()
        if len(seen) >= self.per_minute:
            raise ApiError(429, f"too many requests from {host}: at most {self.per_minute}"
                                " a minute; try again shortly")
        seen.append(now)
        if len(self._seen) > 10_000:  # forget quiet clients rather than grow without end
            for quiet in [h for h, q in self._seen.items() if not q or now - q[-1] > 60]:
                del self._seen[quiet]


class Keys:
    """`Authorization: Bearer KEY` checked against the store's hashes; a key's last use is
    written at most once a minute. An answer is remembered for CHECK_TTL_S (by the key's
    hash, never the key), so a busy client costs one store read every few seconds, and a
    revoked key stops working within that time."""

    CHECK_TTL_S = 5.0

    def __init__(self, store: StoreThread) -> None:
        self.store = store
        self._used: dict[str, float] = {}
        self._checked: dict[str, tuple[float, ApiKey | None]] = {}

    async def _check(self, key: str) -> ApiKey | None:
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = time.monotonic()
        known = self._checked.get(digest)
        if known is not None and now - known[0] < self.CHECK_TTL_S:
            return known[1]
        found = await self.store.run(Store.api_key_check, key)
        if len(self._checked) > 1000:
            self._checked.clear()
        self._checked[digest] = (now, found)
        return found

    async def require(self, request: Request, scope: str) -> ApiKey:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, "this needs an API key: Authorization: Bearer KEY"
                                " (kiosk api-key add NAME --scope ...)")
        found = await self._check(key.strip())
        if found is None:
            raise ApiError(401, "unknown or revoked API key")
        if not found.allows(scope):
            raise ApiError(403, f'the key "{found.name}" has no "{scope}" scope'
                                f" (it has: {', '.join(found.scopes)})")
        now = time.monotonic()
        if now - self._used.get(found.name, -1e9) > 60:
            self._used[found.name] = now
            try:
                await self.store.run(Store.api_key_used, found.name)
            except KioskError:
                pass  # when a key was last used is a convenience, never a refusal
        return found
