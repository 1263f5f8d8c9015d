"""API keys: who may use the HTTP API, for what (design §10, "Keys").

A key is 32 random bytes, URL-safe, shown once when it is made; the store keeps only its
SHA-256 (a key is high-entropy, so a fast hash is enough, unlike a PIN) and finds it by
that hash, comparing in constant time. Scopes: `issue` (take tickets), `read` (status and
the event stream), `staff` (counter verbs, transfer), `admin` (reports; implies the others).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from kiosk import clock as clk
from kiosk.exceptions import NotAllowed, UsageError
from kiosk.rows import ApiKey
from kiosk.store.base import StoreBase

SCOPES = ("issue", "read", "staff", "admin")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_scopes(text: str) -> tuple[str, ...]:
    scopes = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [s for s in scopes if s not in SCOPES]
    if not scopes or unknown:
        raise UsageError(f"--scope: {', '.join(unknown) or 'none given'} is not a scope"
                         f" (scopes: {', '.join(SCOPES)}, comma-separated)")
    return scopes


class Keys(StoreBase):
    """Making, listing, revoking and checking API keys."""

    def api_key_add(self, name: str, scopes: tuple[str, ...]) -> str:
        """A new key for `name` with these scopes; returns the key (shown once)."""
        if not _NAME.fullmatch(name):
            raise UsageError(f'"{name}" cannot name a key: letters, digits, "_", "-" or "."'
                             ", at most 40")
        for scope in scopes:
            if scope not in SCOPES:
                raise UsageError(f'unknown scope "{scope}" (scopes: {", ".join(SCOPES)})')
        key = secrets.token_urlsafe(32)
        with self.transaction():
            if self._one("SELECT name FROM api_keys WHERE name = ?", (name,)):
                raise NotAllowed(f'a key named "{name}" exists; revoke it first or choose'
                                 " another name")
            at = clk.iso(self.now())
            self.conn.execute(
                "INSERT INTO api_keys (name, hash, scopes, created_at) VALUES (?, ?, ?, ?)",
                (name, _digest(key), ",".join(scopes), at))
            self._event("api_key_added", at, actor=name, detail={"scopes": list(scopes)})
        return key

    def api_keys(self) -> list[ApiKey]:
        return [ApiKey(r["name"], tuple(r["scopes"].split(",")), r["created_at"],
                       r["used_at"], r["revoked_at"])
                for r in self._rows("SELECT * FROM api_keys ORDER BY name")]

    def api_key_revoke(self, name: str) -> None:
        with self.transaction():
            row = self._one("SELECT revoked_at FROM api_keys WHERE name = ?", (name,))
            if row is None:
                raise UsageError(f'no key named "{name}"')
            if row["revoked_at"] is None:
                at = clk.iso(self.now())
                self.conn.execute("UPDATE api_keys SET revoked_at = ? WHERE name = ?",
                                  (at, name))
                self._event("api_key_revoked", at, actor=name)

    def api_key_check(self, key: str) -> ApiKey | None:
        """The live key `key` is, or None (unknown or revoked). Read only: when a key was
        last used is written by `api_key_used`, at most once a minute."""
        digest = _digest(key)
        row = self._one("SELECT * FROM api_keys WHERE hash = ?", (digest,))
        if row is None or not hmac.compare_digest(row["hash"], digest) or row["revoked_at"]:
            return None
        return ApiKey(row["name"], tuple(row["scopes"].split(",")), row["created_at"],
                      row["used_at"], row["revoked_at"])

    def api_key_used(self, name: str) -> None:
        with self.transaction():
            self.conn.execute("UPDATE api_keys SET used_at = ? WHERE name = ?",
                              (clk.iso(self.now()), name))
